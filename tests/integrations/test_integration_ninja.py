"""django-ninja: `CognitoBearer` and `install(api)`, through Django's test client and URL routing.

The conformance rows answer as `cognito_jwt.http` does once `install(api)` ran;
the slips (the class given as `auth=`, `install` forgotten, `DEBUG` off,
combined `auth=` callables) are refused at definition or answered 401/403,
never 200, never 500.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from adapter_cases import ALB, POOL, ROWS, VERIFIERS, Row, answer, expected, ids, routes_for
from integration_support import configure_django, tampered

pytest.importorskip("django")

from django.conf import settings

if not settings.configured:  # by another test module, or a docs page
    configure_django(__name__)

pytest.importorskip("ninja")  # reads Django's settings when imported

from django.http import HttpRequest
from django.test import AsyncClient, Client, override_settings
from django.urls import path
from ninja import NinjaAPI
from ninja.security import APIKeyHeader

from cognito_jwt import ConfigurationError
from cognito_jwt.integrations.ninja import CognitoBearer, install


def build_api(name: str, kind: str, *, installed: bool = True) -> NinjaAPI:
    api = NinjaAPI(urls_namespace=name)
    for route, requirement in routes_for(kind).items():
        auth = CognitoBearer(VERIFIERS[kind], **requirement)

        @api.get(route, auth=auth, url_name=f"{name}{route}")
        def protected(request: HttpRequest) -> dict[str, Any]:
            return {"sub": request.auth["sub"]}  # type: ignore[attr-defined]

        @api.post(route, auth=auth, url_name=f"{name}{route}-post")
        def post(request: HttpRequest) -> dict[str, Any]:
            return {"sub": request.auth["sub"]}  # type: ignore[attr-defined]

    return install(api) if installed else api


class Key(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> str | None:
        return "service" if key == "secret" else None


def _mixed() -> NinjaAPI:
    api = install(NinjaAPI(urls_namespace="mixed", auth=[CognitoBearer(VERIFIERS["id"]), Key()]))

    @api.get("/me")
    def me(request: HttpRequest) -> dict[str, Any]:
        return {"auth": "service" if request.auth == "service" else "token"}  # type: ignore[attr-defined]

    return api


def _wrong_class() -> NinjaAPI:
    api = install(NinjaAPI(urls_namespace="wrong"))

    @api.get("/me", auth=CognitoBearer)
    def me(request: HttpRequest) -> dict[str, Any]:
        return {"ok": True}

    return api


def build_async_api(name: str, kind: str) -> NinjaAPI:
    """`build_api` with `async def` operations: ninja's `AsyncOperation` runs the auth."""
    api = NinjaAPI(urls_namespace=name)
    for route, requirement in routes_for(kind).items():
        auth = CognitoBearer(VERIFIERS[kind], **requirement)

        @api.get(route, auth=auth, url_name=f"{name}{route}")
        async def protected(request: HttpRequest) -> dict[str, Any]:
            return {"sub": request.auth["sub"]}  # type: ignore[attr-defined]

        @api.post(route, auth=auth, url_name=f"{name}{route}-post")
        async def post(request: HttpRequest) -> dict[str, Any]:
            return {"sub": request.auth["sub"]}  # type: ignore[attr-defined]

    return install(api)


class CallCounter:
    """A real verifier counting which of `verify` and `verify_async` (on a running loop) ran."""

    def __init__(self, verifier: Any) -> None:
        self._verifier = verifier
        self.awaited_on_the_loop = 0
        self.called_synchronously = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._verifier, name)

    def verify(self, token: str) -> dict[str, Any]:
        self.called_synchronously += 1
        return dict(self._verifier.verify(token))

    async def verify_async(self, token: str) -> dict[str, Any]:
        asyncio.get_running_loop()  # raises unless awaited on an event loop
        self.awaited_on_the_loop += 1
        return dict(await self._verifier.verify_async(token))


SPY = CallCounter(VERIFIERS["id"])


def _spied() -> NinjaAPI:
    api = install(NinjaAPI(urls_namespace="spied", auth=CognitoBearer(SPY, groups="admin")))

    @api.get("/async")
    async def in_async(request: HttpRequest) -> dict[str, Any]:
        return {"sub": request.auth["sub"]}  # type: ignore[attr-defined]

    @api.get("/sync")
    def in_sync(request: HttpRequest) -> dict[str, Any]:
        return {"sub": request.auth["sub"]}  # type: ignore[attr-defined]

    return api


def _combined() -> NinjaAPI:
    """`auth=` functions of the user's own calling the bearer from a coroutine."""
    api = install(NinjaAPI(urls_namespace="combined"))
    guard = CognitoBearer(VERIFIERS["id"])

    async def forgot_await(request: HttpRequest) -> Any:
        return guard(request) or None

    async def awaited(request: HttpRequest) -> Any:
        claims = await guard(request)  # type: ignore[misc]
        return claims or None

    @api.get("/forgot-await", auth=forgot_await)
    async def unawaited(request: HttpRequest) -> dict[str, Any]:
        return {"secret": True}

    @api.get("/awaited", auth=awaited)
    async def awaited_op(request: HttpRequest) -> dict[str, Any]:
        return {"sub": request.auth["sub"]}  # type: ignore[attr-defined]

    return api


APIS = {kind: build_api(kind, kind) for kind in VERIFIERS}
APIS.update({f"async-{kind}": build_async_api(f"async-{kind}", kind) for kind in VERIFIERS})
APIS["bare"] = build_api("bare", "id", installed=False)
APIS["mixed"] = _mixed()
APIS["wrong"] = _wrong_class()
APIS["spied"] = _spied()
APIS["combined"] = _combined()
urlpatterns = [path(f"{name}/", api.urls) for name, api in APIS.items()]


@pytest.fixture(autouse=True)
def django_app() -> Iterator[None]:
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[], DEBUG=False):
        yield


def client() -> Client:
    return Client(raise_request_exception=False)


def as_wsgi(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The headers as a WSGI server hands them to Django: repeated ones joined by ", "."""
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_answers_as_the_http_answer_does(row: Row) -> None:
    headers = as_wsgi(row.headers)
    response = client().get(f"/{row.verifier}{row.route}", headers=headers)
    body = json.loads(response.content)
    got = answer(response.status_code, response.headers.get("WWW-Authenticate"), body)
    assert got == expected(Row(row.name, tuple(headers.items()), row.verifier, row.route))
    if response.status_code != 200:
        assert set(body) == {"error", "reason"}


def test_the_claims_are_request_auth() -> None:
    token = POOL.id_token()
    response = client().get("/id/me", headers=bearer(token))
    assert response.json() == {"sub": VERIFIERS["id"].verify(token)["sub"]}


def test_the_scheme_is_in_the_openapi_schema() -> None:
    schema = APIS["id"].get_openapi_schema()
    assert schema["components"]["securitySchemes"]["CognitoBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


# ------------------------------------------------------------------ slips


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [
        ({}, 401, None),
        (bearer("not-a-jwt"), 401, "malformed_token"),
        (bearer(POOL.id_token(groups=["users"])), 403, "missing_group"),
    ],
)
def test_slip_install_forgotten_still_401_or_403_never_500(
    headers: dict[str, str], status: int, reason: str | None
) -> None:
    path = "/bare/admin"
    response = client().get(path, headers=headers)
    assert response.status_code == status
    assert "WWW-Authenticate" not in response.headers  # ninja's errors carry no headers
    assert response.json() == {"detail": reason or "Unauthorized"}


def test_slip_install_forgotten_jwks_down_is_503() -> None:
    api = build_api("down-bare", "down", installed=False)
    with override_settings(ROOT_URLCONF=None):
        from ninja.testing import TestClient

        response = TestClient(api).get("/me", headers=bearer(POOL.id_token()))
    assert response.status_code == 503


def test_slip_the_class_given_as_auth_is_401_never_500(caplog: pytest.LogCaptureFixture) -> None:
    response = client().get("/wrong/me", headers=bearer(POOL.id_token()))
    assert (response.status_code, response.json()["reason"]) == (401, "missing_token")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "give an instance" in caplog.text


def test_slip_debug_on_or_off_a_bad_token_is_401() -> None:
    for debug in (False, True):
        with override_settings(DEBUG=debug):
            response = client().get("/id/me", headers=bearer("not-a-jwt"))
        assert (response.status_code, response.json()["reason"]) == (401, "malformed_token")


def test_slip_a_second_auth_callable_is_tried_without_a_token_never_after_a_bad_one() -> None:
    assert client().get("/mixed/me", headers={"X-API-Key": "secret"}).json() == {"auth": "service"}
    assert client().get("/mixed/me", headers=bearer(POOL.id_token())).json() == {"auth": "token"}
    bad = {**bearer(POOL.id_token(expires_in=-60)), "X-API-Key": "secret"}
    response = client().get("/mixed/me", headers=bad)
    assert (response.status_code, response.json()["reason"]) == (401, "token_expired")
    response = client().get("/mixed/me")
    assert (response.status_code, response.headers["WWW-Authenticate"]) == (401, "Bearer")


@pytest.mark.parametrize(
    ("route", "headers", "status", "reason"),
    [
        ("/forgot-await", bearer(POOL.id_token()), 500, None),
        ("/forgot-await", bearer(tampered(POOL.id_token())), 500, None),
        ("/forgot-await", {}, 500, None),
        ("/awaited", bearer(POOL.id_token()), 200, None),
        ("/awaited", bearer(tampered(POOL.id_token())), 401, "invalid_signature"),
        ("/awaited", {}, 401, "missing_token"),
    ],
    ids=[
        "await forgotten, good token",
        "await forgotten, forged token",
        "await forgotten, no token",
        "awaited, good token",
        "awaited, forged token",
        "awaited, no token",
    ],
)
def test_slip_an_auth_function_calling_the_bearer_without_await_is_never_200(
    route: str, headers: dict[str, str], status: int, reason: str | None
) -> None:
    """`return bearer(request) or None` in an `async def auth=`: a TypeError (500), never 200.

    The awaitable the bearer hands a coroutine has no truth value; awaited,
    it is the claims or ninja's refusal, as in ninja's own call.
    """
    response = asyncio.run(
        AsyncClient(raise_request_exception=False).get(f"/combined{route}", headers=headers)
    )
    assert response.status_code == status
    if reason is not None:
        assert response.json()["reason"] == reason


def test_slip_the_awaitable_a_coroutine_gets_refuses_a_truth_value_and_runs_nothing() -> None:
    """`bool(bearer(request))` in a coroutine raises TypeError naming `await`; nothing verifies."""
    from django.test import RequestFactory

    request = RequestFactory().get("/", headers=bearer(POOL.id_token(groups=["admin"])))
    guard = CognitoBearer(SPY)
    before = SPY.awaited_on_the_loop, SPY.called_synchronously

    async def caller() -> None:
        pending = guard(request)
        with pytest.raises(TypeError, match=r"await it \(claims = await bearer\(request\)\)"):
            bool(pending)
        with pytest.raises(TypeError, match="await it"):
            assert pending
        assert (SPY.awaited_on_the_loop, SPY.called_synchronously) == before
        claims = await guard(request)  # type: ignore[misc]
        assert claims is not None
        assert claims["cognito:groups"] == ["admin"]

    asyncio.run(caller())
    assert SPY.awaited_on_the_loop == before[0] + 1


def test_slip_install_keeps_other_401s_as_they_were() -> None:
    api = install(NinjaAPI(urls_namespace="keys-only", auth=Key()))

    @api.get("/x")
    def x(request: HttpRequest) -> dict[str, Any]:
        return {}

    from ninja.testing import TestClient

    response = TestClient(api).get("/x")
    assert (response.status_code, response.json()) == (401, {"detail": "Unauthorized"})
    assert install(api) is api  # twice: harmless


def test_slip_install_given_something_else_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="NinjaAPI"):
        install(NinjaAPI)  # type: ignore[arg-type]


@pytest.mark.parametrize("options", [{"groups": ""}, {"scopes": ["orders/read", " "]}], ids=str)
def test_slip_an_empty_group_or_scope_is_refused_at_definition(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="non-empty"):
        CognitoBearer(VERIFIERS["id"], **options)


@pytest.mark.parametrize("verifier", [type(VERIFIERS["id"]), "us-east-1_AbCdEf123"])
def test_slip_a_bearer_without_a_verifier_instance_is_refused_at_definition(
    verifier: Any,
) -> None:
    with pytest.raises(ConfigurationError, match="verifier instance"):
        CognitoBearer(verifier)


def test_csrf_an_alb_header_is_checked_on_unsafe_methods_a_bearer_token_is_not() -> None:
    strict = Client(enforce_csrf_checks=True, raise_request_exception=False)
    alb = {"x-amzn-oidc-data": ALB.token()}
    assert strict.get("/alb/me", headers=alb).status_code == 200
    refused = strict.post("/alb/me", headers=alb)
    assert (refused.status_code, refused.json()) == (403, {"detail": "CSRF check Failed"})
    assert strict.post("/id/me", headers=bearer(POOL.id_token())).status_code == 200


# ------------------------------------------------------------------ async operations


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_async_operations_answer_as_the_http_answer_does(row: Row) -> None:
    """Through Django's `AsyncClient`: ninja runs the auth of an `async def` operation."""
    headers = as_wsgi(row.headers)
    path = f"/async-{row.verifier}{row.route}"
    response = asyncio.run(AsyncClient(raise_request_exception=False).get(path, headers=headers))
    body = json.loads(response.content)
    got = answer(response.status_code, response.headers.get("WWW-Authenticate"), body)
    assert got == expected(Row(row.name, tuple(headers.items()), row.verifier, row.route))


def test_an_async_operation_awaits_verify_async_and_a_plain_one_calls_verify() -> None:
    """No worker thread for an async operation; the plain one verifies in its own thread."""
    admin = bearer(POOL.id_token(groups=["admin"]))
    before = SPY.awaited_on_the_loop, SPY.called_synchronously
    response = asyncio.run(
        AsyncClient(raise_request_exception=False).get("/spied/async", headers=admin)
    )
    assert response.status_code == 200
    assert (SPY.awaited_on_the_loop, SPY.called_synchronously) == (before[0] + 1, before[1])
    assert client().get("/spied/sync", headers=admin).status_code == 200
    assert (SPY.awaited_on_the_loop, SPY.called_synchronously) == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [
        ({}, 401, "missing_token"),
        (bearer("not-a-jwt"), 401, "malformed_token"),
        (bearer(POOL.id_token(groups=["users"])), 403, "missing_group"),
        (bearer(POOL.id_token(expires_in=-60)), 401, "token_expired"),
    ],
    ids=["no token", "garbage", "missing group", "expired"],
)
def test_an_async_operation_refuses_as_a_plain_one_does(
    headers: dict[str, str], status: int, reason: str
) -> None:
    async_answer = asyncio.run(
        AsyncClient(raise_request_exception=False).get("/spied/async", headers=headers)
    )
    plain_answer = client().get("/spied/sync", headers=headers)
    for response in (async_answer, plain_answer):
        assert (response.status_code, response.json()["reason"]) == (status, reason)
    assert async_answer.headers["WWW-Authenticate"] == plain_answer.headers["WWW-Authenticate"]


def test_csrf_in_an_async_operation_an_alb_header_is_checked_on_unsafe_methods() -> None:
    strict = AsyncClient(enforce_csrf_checks=True, raise_request_exception=False)
    alb = {"x-amzn-oidc-data": ALB.token()}
    assert asyncio.run(strict.get("/async-alb/me", headers=alb)).status_code == 200
    refused = asyncio.run(strict.post("/async-alb/me", headers=alb))
    assert (refused.status_code, refused.json()) == (403, {"detail": "CSRF check Failed"})
    token = bearer(POOL.id_token())
    assert asyncio.run(strict.post("/async-id/me", headers=token)).status_code == 200


def test_a_plain_operation_run_inside_an_event_loop_still_verifies_synchronously() -> None:
    """A sync test client in an async test: ninja calls the auth from a plain function there."""
    from ninja.testing import TestClient

    admin = bearer(POOL.id_token(groups=["admin"]))

    async def from_a_loop() -> Any:
        return TestClient(APIS["spied"]).get("/sync", headers=admin)

    before = SPY.awaited_on_the_loop, SPY.called_synchronously
    assert asyncio.run(from_a_loop()).status_code == 200
    assert (SPY.awaited_on_the_loop, SPY.called_synchronously) == (before[0], before[1] + 1)
