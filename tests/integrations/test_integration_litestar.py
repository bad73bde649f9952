"""Litestar 2: `CognitoAuthMiddleware` and its guards, through Litestar's real `TestClient`.

The conformance rows answer as `cognito_jwt.http` does; the slips (an
unanchored `exclude` that would also skip `/public-admin`, a guard listed
uncalled, a guard on a skipped route...) are refused when the app is built or
answered 401/403.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from adapter_cases import POOL, ROWS, VERIFIERS, Row, answer, expected, ids
from integration_support import bearer

pytest.importorskip("litestar")

from litestar import Litestar, Request, get
from litestar.middleware.base import DefineMiddleware
from litestar.testing import TestClient

from cognito_jwt import ConfigurationError
from cognito_jwt.integrations.litestar import (
    CognitoAuthMiddleware,
    CognitoUser,
    require_groups,
    require_scopes,
)


@get("/me")
async def me(request: Request[CognitoUser, dict[str, Any], Any]) -> dict[str, Any]:
    return {"sub": request.auth["sub"], "user": repr(request.user)}


@get("/admin", guards=[require_groups("admin")])
async def admin(request: Request[CognitoUser, dict[str, Any], Any]) -> dict[str, Any]:
    return {"sub": request.auth["sub"]}


@get("/orders", guards=[require_scopes("orders/read")], sync_to_thread=True)
def orders(request: Request[CognitoUser, dict[str, Any], Any]) -> dict[str, Any]:
    return {"sub": request.auth["sub"]}


@get("/health", exclude_from_auth=True)
async def health() -> str:
    return "ok"


@get("/health/admin", exclude_from_auth=True, guards=[require_groups("admin")])
async def health_admin() -> str:
    return "ok"


@get("/public")
async def public_page() -> str:
    return "public"


@get("/public-admin")
async def public_admin() -> str:
    return "secret"


HANDLERS = [me, admin, orders, health, health_admin, public_page, public_admin]


def app(verifier: Any, **options: Any) -> Litestar:
    return Litestar(
        HANDLERS,
        middleware=[DefineMiddleware(CognitoAuthMiddleware, verifier=verifier, **options)],
        logging_config=None,  # leave the process's logging (and pytest's capture) alone
    )


CLIENTS = {kind: TestClient(app(verifier)) for kind, verifier in VERIFIERS.items()}


def reason_body(body: Any) -> Any:
    """Litestar's exception body carries http's `{"error", "reason"}` as `extra`."""
    return body.get("extra") if isinstance(body, dict) else body


def as_test_client(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The headers as Litestar's test transport passes them: repeated ones joined by ", "."""
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return tuple(joined.items())


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_answers_as_the_http_answer_does(row: Row) -> None:
    sent = as_test_client(row.headers)
    response = CLIENTS[row.verifier].get(row.route, headers=list(sent))
    body = response.json()
    got = answer(response.status_code, response.headers.get("www-authenticate"), reason_body(body))
    assert got == expected(Row(row.name, sent, row.verifier, row.route))
    if response.status_code != 200:
        assert body["extra"].keys() == {"error", "reason"}
        assert body["detail"] == body["extra"]["reason"]


def test_the_user_and_claims_are_on_the_request() -> None:
    token = POOL.id_token()
    sub = VERIFIERS["id"].verify(token)["sub"]
    response = CLIENTS["id"].get("/me", headers=bearer(token))
    assert response.json() == {"sub": sub, "user": f"CognitoUser(sub={sub!r})"}


def test_a_route_marked_exclude_from_auth_is_public() -> None:
    assert CLIENTS["id"].get("/health").text == "ok"


def test_an_anchored_exclude_skips_exactly_the_paths_it_names() -> None:
    client = TestClient(app(VERIFIERS["id"], exclude="^/public$"))
    assert client.get("/public").text == "public"
    assert client.get("/public-admin").status_code == 401


# ------------------------------------------------------------------ slips


@pytest.mark.parametrize("exclude", ["/public", ["^/health$", "/public"], "^/public", "/public$"])
def test_slip_an_unanchored_exclude_is_refused_when_the_app_is_built(exclude: Any) -> None:
    """Litestar searches `exclude` anywhere: "/public" would also skip "/public-admin"."""
    with (
        pytest.raises(ConfigurationError, match="anchor it at both ends"),
        TestClient(app(VERIFIERS["id"], exclude=exclude)) as client,
    ):
        client.get("/public-admin")


def test_slip_a_guard_on_a_route_the_middleware_skipped_is_401(
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = POOL.id_token(groups=["admin"])
    response = CLIENTS["id"].get("/health/admin", headers=bearer(token))
    assert (response.status_code, response.headers["www-authenticate"]) == (401, "Bearer")
    assert "did not authenticate" in caplog.text


def test_slip_guards_without_the_middleware_are_401() -> None:
    client = TestClient(Litestar([admin], logging_config=None))
    response = client.get("/admin", headers=bearer(POOL.id_token(groups=["admin"])))
    assert response.status_code == 401


def test_slip_a_guard_factory_listed_uncalled_is_403(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)

    @get("/x", guards=[require_groups])  # type: ignore[list-item]
    async def x() -> str:
        return "open"

    client = TestClient(
        Litestar(
            [x],
            middleware=[DefineMiddleware(CognitoAuthMiddleware, verifier=VERIFIERS["id"])],
            logging_config=None,
        )
    )
    assert client.get("/x", headers=bearer(POOL.id_token(groups=["admin"]))).status_code == 403
    assert "without being called" in caplog.text


@pytest.mark.parametrize("values", [(), ("",), ("admin", " "), ([],)], ids=str)
def test_slip_a_guard_without_values_is_refused_at_definition(values: tuple[Any, ...]) -> None:
    with pytest.raises(ConfigurationError):
        require_groups(*values)
    with pytest.raises(ConfigurationError):
        require_scopes(*values)


@pytest.mark.parametrize("verifier", [None, type(VERIFIERS["id"]), "us-east-1_AbCdEf123"])
def test_slip_a_middleware_without_a_verifier_instance_is_refused(verifier: Any) -> None:
    with (
        pytest.raises(ConfigurationError, match="verifier instance"),
        TestClient(app(verifier)) as client,
    ):
        client.get("/me")


def test_guards_demand_any_or_all() -> None:
    @get("/both", guards=[require_scopes("a", "b", require_all=True)])
    async def both() -> str:
        return "ok"

    @get("/either", guards=[require_scopes(["a", "b"])])
    async def either() -> str:
        return "ok"

    client = TestClient(
        Litestar(
            [both, either],
            middleware=[DefineMiddleware(CognitoAuthMiddleware, verifier=VERIFIERS["access"])],
            logging_config=None,
        )
    )
    one = bearer(POOL.access_token(scopes=["a"]))
    assert client.get("/either", headers=one).status_code == 200
    response = client.get("/both", headers=one)
    assert response.status_code == 403
    assert 'scope="a b"' in response.headers["www-authenticate"]
