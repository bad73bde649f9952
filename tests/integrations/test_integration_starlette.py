"""Starlette: `CognitoAuthBackend` under Starlette's own `AuthenticationMiddleware`, and `requires`.

Driven through Starlette's real `TestClient` (and, once, uvicorn on
127.0.0.1): the conformance rows answer as `cognito_jwt.http` does, and each
way of wiring it wrong is a row that is refused at definition or answered
401/403.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from adapter_cases import POOL, ROWS, VERIFIERS, Row, answer, expected, ids
from integration_support import bearer

pytest.importorskip("starlette")

from starlette.applications import Starlette
from starlette.authentication import requires as starlette_requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.testclient import TestClient

from cognito_jwt import ConfigurationError
from cognito_jwt.integrations.starlette import CognitoAuthBackend, CognitoUser, requires


@requires("authenticated")
async def me(request: Request) -> Response:
    user = request.user
    assert isinstance(user, CognitoUser)
    return JSONResponse({"sub": user.identity, "scopes": list(request.auth.scopes)})


@requires("authenticated", groups="admin")
async def admin(request: Request) -> Response:
    return JSONResponse({"sub": request.user.identity})


@requires("orders/read")
def orders(request: Request) -> Response:  # a sync endpoint: Starlette runs it in a thread
    return JSONResponse([{"id": 1, "owner": request.user.identity}])


async def public(request: Request) -> Response:
    return JSONResponse(
        {"authenticated": request.user.is_authenticated, "scopes": list(request.auth.scopes)}
    )


def app(
    verifier: Any, *, on_error: bool = True, routes: list[BaseRoute] | None = None
) -> Starlette:
    backend = CognitoAuthBackend(verifier)
    options: dict[str, Any] = {"backend": backend}
    if on_error:
        options["on_error"] = backend.on_error
    return Starlette(
        routes=routes
        or [
            Route("/me", me),
            Route("/admin", admin),
            Route("/orders", orders),
            Route("/public", public),
        ],
        middleware=[Middleware(AuthenticationMiddleware, **options)],
    )


CLIENTS = {name: TestClient(app(verifier)) for name, verifier in VERIFIERS.items()}


def send(client: TestClient, path: str, headers: tuple[tuple[str, str], ...]) -> Any:
    return client.get(path, headers=list(headers))


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_answers_as_the_http_answer_does(row: Row) -> None:
    response = send(CLIENTS[row.verifier], row.route, row.headers)
    body = response.json()
    got = answer(response.status_code, response.headers.get("www-authenticate"), body)
    assert got == expected(row)
    if response.status_code != 200:
        assert set(body) == {"error", "reason"}


# ------------------------------------------------------------------ behaviour


def test_no_token_is_anonymous_on_a_public_route() -> None:
    response = CLIENTS["id"].get("/public")
    assert response.json() == {"authenticated": False, "scopes": []}


def test_a_bad_token_is_401_even_on_a_public_route() -> None:
    response = CLIENTS["id"].get("/public", headers=bearer(POOL.id_token(expires_in=-60)))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "reason": "token_expired"}
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


def test_credentials_hold_authenticated_and_scopes_never_groups() -> None:
    token = POOL.access_token(groups=["admin", "orders/read"], scopes=["openid", "profile"])
    response = CLIENTS["access"].get("/public", headers=bearer(token))
    assert response.json() == {
        "authenticated": True,
        "scopes": ["authenticated", "openid", "profile"],
    }


def test_the_user_carries_claims_and_groups() -> None:
    seen: dict[str, Any] = {}

    async def who(request: Request) -> Response:
        user = request.user
        assert isinstance(user, CognitoUser)
        seen.update(name=user.display_name, groups=user.groups, claims=user.claims)
        return Response()

    client = TestClient(app(VERIFIERS["id"], routes=[Route("/who", who)]))
    client.get("/who", headers=bearer(POOL.id_token(groups=["admin"])))
    assert seen["name"] == "alice"
    assert seen["groups"] == frozenset({"admin"})
    assert seen["claims"]["token_use"] == "id"


def test_requires_demands_every_listed_scope() -> None:
    @requires(["orders/read", "orders/write"])
    async def both(request: Request) -> Response:
        return Response("ok")

    client = TestClient(app(VERIFIERS["access"], routes=[Route("/both", both)]))
    one = POOL.access_token(scopes=["orders/read"])
    response = client.get("/both", headers=bearer(one))
    assert response.status_code == 403
    assert 'scope="orders/read orders/write"' in response.headers["www-authenticate"]
    two = POOL.access_token(scopes=["orders/read", "orders/write"])
    assert client.get("/both", headers=bearer(two)).status_code == 200


def test_requires_on_an_endpoint_method() -> None:
    class Orders:
        @requires("orders/read")
        async def list(self, request: Request) -> Response:
            return Response("ok")

    client = TestClient(app(VERIFIERS["access"], routes=[Route("/o", Orders().list)]))
    assert client.get("/o").status_code == 401
    reader = POOL.access_token(scopes=["orders/read"])
    assert client.get("/o", headers=bearer(reader)).status_code == 200


# ------------------------------------------------------------------ slips


def test_slip_starlettes_own_requires_is_403_without_a_challenge() -> None:
    """Starlette's `requires` still refuses (403); ours adds the 401 and the challenge."""

    @starlette_requires("orders/read")
    async def theirs(request: Request) -> Response:
        return Response("ok")

    client = TestClient(app(VERIFIERS["access"], routes=[Route("/theirs", theirs)]))
    response = client.get("/theirs")
    assert response.status_code == 403
    assert "www-authenticate" not in response.headers
    reader = POOL.access_token(scopes=["orders/read"])
    assert client.get("/theirs", headers=bearer(reader)).status_code == 200


def test_slip_a_group_name_never_satisfies_a_scope_check() -> None:
    @starlette_requires("admin")
    async def theirs(request: Request) -> Response:
        return Response("ok")

    @requires("admin")
    async def ours(request: Request) -> Response:
        return Response("ok")

    client = TestClient(
        app(VERIFIERS["id"], routes=[Route("/theirs", theirs), Route("/ours", ours)])
    )
    token = POOL.id_token(groups=["admin"])
    assert client.get("/theirs", headers=bearer(token)).status_code == 403
    response = client.get("/ours", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["reason"] == "missing_scope"


def test_slip_on_error_forgotten_is_still_401_with_the_challenge(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="cognito_jwt")
    client = TestClient(app(VERIFIERS["id"], on_error=False))
    for _ in range(2):
        response = client.get("/me", headers=bearer(POOL.id_token(expires_in=-60)))
        assert response.status_code == 401
        assert response.json() == {"error": "invalid_token", "reason": "token_expired"}
        assert "token_expired" in response.headers["www-authenticate"]
    assert sum("on_error" in record.getMessage() for record in caplog.records) == 1


def test_slip_requires_without_the_middleware_is_401(caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(Starlette(routes=[Route("/me", me)]))
    response = client.get("/me", headers=bearer(POOL.id_token()))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "AuthenticationMiddleware" in caplog.text


def test_slip_requires_used_bare_is_refused_at_definition() -> None:
    with pytest.raises(ConfigurationError, match="not bare @requires"):

        @requires  # type: ignore[arg-type]
        async def bare(request: Request) -> Response:
            return Response()


def test_slip_requires_on_a_function_without_request_is_refused_at_definition() -> None:
    with pytest.raises(ConfigurationError, match="no 'request' argument"):

        @requires("authenticated")
        async def no_request(req: Request) -> Response:
            return Response()


@pytest.mark.parametrize("scopes", ["", [""], ["orders/read", " "]])
def test_slip_an_empty_scope_is_refused_at_definition(scopes: Any) -> None:
    with pytest.raises(ConfigurationError, match="non-empty"):
        requires(scopes)


def test_slip_an_empty_requires_still_refuses_anonymous_callers() -> None:
    @requires([])
    async def anyone_signed_in(request: Request) -> Response:
        return Response("ok")

    client = TestClient(app(VERIFIERS["id"], routes=[Route("/x", anyone_signed_in)]))
    assert client.get("/x").status_code == 401
    assert client.get("/x", headers=bearer(POOL.id_token())).status_code == 200


@pytest.mark.parametrize("verifier", [type(VERIFIERS["id"]), "us-east-1_AbCdEf123", None])
def test_slip_a_backend_without_a_verifier_instance_is_refused_at_definition(
    verifier: Any,
) -> None:
    with pytest.raises(ConfigurationError, match="verifier instance"):
        CognitoAuthBackend(verifier)


def test_slip_a_websocket_with_a_bad_token_is_closed() -> None:
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    client = TestClient(app(VERIFIERS["id"], routes=[WebSocketRoute("/ws", socket)]))
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect("/ws", headers=bearer("not-a-jwt")) as ws,
    ):
        ws.receive_text()
