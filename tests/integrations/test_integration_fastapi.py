"""The FastAPI integration, through FastAPI's own TestClient and real signed tokens.

No ``from __future__ import annotations`` here: FastAPI resolves the test
routes' signatures at runtime, and they use ``Depends`` on fixture locals.
"""

import importlib.util
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from integration_support import (
    bearer,
    closed_port_uri,
    printed_after_importing_cognito_jwt,
    tampered,
)

pytest.importorskip("fastapi")
# Starlette's TestClient runs on httpx2 (older releases: httpx); either will do.
if importlib.util.find_spec("httpx2") is None and importlib.util.find_spec("httpx") is None:
    pytest.skip("FastAPI's TestClient needs httpx2 (or httpx)", allow_module_level=True)

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from cognito_jwt import CognitoJwtVerifier, ConfigurationError
from cognito_jwt.integrations.fastapi import Claims, CognitoAuth
from cognito_jwt.testing import FakeCognitoPool

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class CountingVerifier:
    """Wraps a verifier to count verify_async calls (one per request, not per dependency)."""

    def __init__(self, inner: CognitoJwtVerifier) -> None:
        self.inner = inner
        self.calls = 0

    async def verify_async(self, token: str) -> dict[str, Any]:
        self.calls += 1
        return await self.inner.verify_async(token)


def build_app(auth: CognitoAuth) -> FastAPI:
    app = FastAPI()
    admin_only = auth.require(groups="admin")
    writer = auth.require(scopes=["orders/write", "orders/admin"])
    both = auth.require(groups=["admin", "ops"], require_all_groups=True)
    maybe = auth.optional()

    @app.get("/me")
    async def me(claims: Annotated[Claims, Depends(auth)]) -> Claims:
        return claims

    @app.get("/admin")
    async def admin(claims: Annotated[Claims, Depends(admin_only)]) -> dict[str, str]:
        return {"sub": claims["sub"]}

    @app.get("/write")
    async def write(claims: Annotated[Claims, Depends(writer)]) -> dict[str, str]:
        return {"sub": claims["sub"]}

    @app.get("/both")
    async def both_groups(claims: Annotated[Claims, Depends(both)]) -> dict[str, str]:
        return {"sub": claims["sub"]}

    @app.get("/combined")
    async def combined(
        claims: Annotated[Claims, Depends(auth)], admin: Annotated[Claims, Depends(admin_only)]
    ) -> dict[str, bool]:
        return {"same": claims is admin}

    @app.get("/optional")
    async def optional(claims: Annotated[Claims | None, Depends(maybe)]) -> dict[str, Any]:
        return {"sub": claims["sub"] if claims else None}

    return app


@pytest.fixture
def verifier(pool: FakeCognitoPool) -> CountingVerifier:
    return CountingVerifier(pool.verifier(token_use=None))


@pytest.fixture
def client(verifier: CountingVerifier) -> Iterator[TestClient]:
    with TestClient(build_app(CognitoAuth(verifier))) as test_client:
        yield test_client


# -- success ------------------------------------------------------------------


def test_valid_id_token_yields_claims(client: TestClient, pool: FakeCognitoPool) -> None:
    response = client.get("/me", headers=bearer(pool.id_token()))
    assert response.status_code == 200
    claims = response.json()
    assert claims["token_use"] == "id"
    assert claims["aud"] == pool.client_id
    assert claims["cognito:username"] == "alice"


def test_valid_access_token_yields_claims(client: TestClient, pool: FakeCognitoPool) -> None:
    response = client.get("/me", headers=bearer(pool.access_token()))
    assert response.status_code == 200
    assert response.json()["token_use"] == "access"


def test_scheme_is_case_insensitive(client: TestClient, pool: FakeCognitoPool) -> None:
    response = client.get("/me", headers={"Authorization": f"bearer {pool.id_token()}"})
    assert response.status_code == 200


def test_group_requirement_met(client: TestClient, pool: FakeCognitoPool) -> None:
    response = client.get("/admin", headers=bearer(pool.id_token(groups=["users", "admin"])))
    assert response.status_code == 200
    assert response.json()["sub"]


def test_any_scope_of_several_suffices(client: TestClient, pool: FakeCognitoPool) -> None:
    token = pool.access_token(scopes=["openid", "orders/admin"])
    assert client.get("/write", headers=bearer(token)).status_code == 200


def test_require_all_groups(client: TestClient, pool: FakeCognitoPool) -> None:
    assert client.get("/both", headers=bearer(pool.id_token(groups=["admin"]))).status_code == 403
    token = pool.id_token(groups=["ops", "admin"])
    assert client.get("/both", headers=bearer(token)).status_code == 200


def test_token_verified_once_per_request(
    client: TestClient, pool: FakeCognitoPool, verifier: CountingVerifier
) -> None:
    response = client.get("/combined", headers=bearer(pool.id_token(groups=["admin"])))
    assert response.status_code == 200
    assert response.json() == {"same": True}
    assert verifier.calls == 1


# -- 401: no token ------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}],
    ids=["no-header", "other-scheme", "empty-bearer"],
)
def test_no_token_is_401_with_plain_challenge(
    client: TestClient, headers: dict[str, str], verifier: CountingVerifier
) -> None:
    response = client.get("/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": {"error": "missing_token", "reason": "missing_token"}}
    assert verifier.calls == 0


# -- 401: bad token -----------------------------------------------------------


def assert_invalid_token(response: Any, reason: str, token: str) -> None:
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"')
    assert f'error_description="{reason}"' in challenge
    assert response.json() == {"detail": {"error": "invalid_token", "reason": reason}}
    assert token not in response.text
    assert "Traceback" not in response.text


def test_tampered_token_is_401_invalid_token(client: TestClient, pool: FakeCognitoPool) -> None:
    token = tampered(pool.id_token())
    assert_invalid_token(client.get("/me", headers=bearer(token)), "invalid_signature", token)


def test_expired_token_is_401_invalid_token(client: TestClient, pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=int(time.time()) - 7200, expires_in=3600)
    assert_invalid_token(client.get("/me", headers=bearer(token)), "token_expired", token)


def test_garbage_token_is_401_invalid_token(client: TestClient) -> None:
    token = "not.a.jwt"
    response = client.get("/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_other_pools_token_is_401(client: TestClient) -> None:
    stranger = FakeCognitoPool(user_pool_id="us-east-1_OtherPool")
    token = stranger.id_token()
    response = client.get("/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["detail"]["error"] == "invalid_token"


def test_bad_token_on_requirement_route_is_401_not_403(
    client: TestClient, pool: FakeCognitoPool
) -> None:
    token = tampered(pool.id_token(groups=["admin"]))
    assert client.get("/admin", headers=bearer(token)).status_code == 401


# -- 403 ----------------------------------------------------------------------


def test_missing_group_is_403_insufficient_scope(client: TestClient, pool: FakeCognitoPool) -> None:
    response = client.get("/admin", headers=bearer(pool.id_token(groups=["users"])))
    assert response.status_code == 403
    challenge = response.headers["WWW-Authenticate"]
    assert challenge == 'Bearer error="insufficient_scope", error_description="missing_group"'
    assert response.json() == {"detail": {"error": "insufficient_scope", "reason": "missing_group"}}


def test_no_groups_claim_is_403(client: TestClient, pool: FakeCognitoPool) -> None:
    assert client.get("/admin", headers=bearer(pool.id_token())).status_code == 403


def test_missing_scope_is_403_and_names_the_scopes(
    client: TestClient, pool: FakeCognitoPool
) -> None:
    response = client.get("/write", headers=bearer(pool.access_token(scopes=["orders/read"])))
    assert response.status_code == 403
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="insufficient_scope"')
    assert 'scope="orders/write orders/admin"' in challenge
    assert response.json()["detail"]["reason"] == "missing_scope"


def test_id_token_never_meets_a_scope_requirement(
    client: TestClient, pool: FakeCognitoPool
) -> None:
    assert client.get("/write", headers=bearer(pool.id_token())).status_code == 403


def test_verifier_wide_group_rule_is_403(pool: FakeCognitoPool) -> None:
    auth = CognitoAuth(pool.verifier(token_use=None, groups="staff"))
    with TestClient(build_app(auth)) as client:
        response = client.get("/me", headers=bearer(pool.id_token(groups=["users"])))
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="insufficient_scope"')


# -- 503 ----------------------------------------------------------------------


def test_keys_unavailable_is_503(pool: FakeCognitoPool) -> None:
    verifier = pool.verifier(token_use=None, jwks_uri=closed_port_uri(), allow_http=True)
    with TestClient(build_app(CognitoAuth(verifier))) as client:
        token = pool.id_token()
        response = client.get("/me", headers=bearer(token))
    assert response.status_code == 503
    assert "WWW-Authenticate" not in response.headers
    detail = response.json()["detail"]
    assert detail["error"] == "temporarily_unavailable"
    assert detail["reason"].startswith("jwks_")
    assert token not in response.text
    assert "127.0.0.1" not in response.text


# -- options ------------------------------------------------------------------


def test_optional_dependency(client: TestClient, pool: FakeCognitoPool) -> None:
    assert client.get("/optional").json() == {"sub": None}
    signed_in = client.get("/optional", headers=bearer(pool.id_token()))
    assert signed_in.json()["sub"]
    assert client.get("/optional", headers=bearer(tampered(pool.id_token()))).status_code == 401


def test_realm_in_every_challenge(pool: FakeCognitoPool) -> None:
    app = build_app(CognitoAuth(pool.verifier(token_use=None), realm="orders"))
    with TestClient(app) as client:
        assert client.get("/me").headers["WWW-Authenticate"] == 'Bearer realm="orders"'
        bad = client.get("/me", headers=bearer("x.y.z")).headers["WWW-Authenticate"]
        assert bad.startswith('Bearer realm="orders", error="invalid_token"')


def test_unsafe_realm_is_rejected(pool: FakeCognitoPool) -> None:
    with pytest.raises(ConfigurationError):
        CognitoAuth(pool.verifier(token_use="id"), realm='x", error="none')


@pytest.mark.parametrize("groups", ["", [""], ["admin", " "]])
def test_empty_requirement_is_a_configuration_error(pool: FakeCognitoPool, groups: Any) -> None:
    auth = CognitoAuth(pool.verifier(token_use="id"))
    with pytest.raises(ConfigurationError):
        auth.require(groups=groups)


def test_openapi_documents_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["CognitoBearer"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert schema["paths"]["/me"]["get"]["security"] == [{"CognitoBearer": []}]


def test_every_dependency_declares_the_one_bearer_scheme_and_no_parameter(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"] == {
        "CognitoBearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An Amazon Cognito ID or access token: `Authorization: Bearer <jwt>`.",
        }
    }
    for path in ("/me", "/admin", "/write", "/both", "/combined", "/optional"):
        operation = schema["paths"][path]["get"]
        assert operation["security"] == [{"CognitoBearer": []}], path
        assert "parameters" not in operation, path


def test_importing_cognito_jwt_does_not_import_fastapi() -> None:
    assert printed_after_importing_cognito_jwt("'fastapi' in sys.modules") == "False"


# -- the example app ----------------------------------------------------------


@pytest.fixture
def example_client(pool: FakeCognitoPool, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import fastapi_app

    with TestClient(fastapi_app.create_app(pool.verifier(token_use=None))) as test_client:
        yield test_client


def test_example_app(example_client: TestClient, pool: FakeCognitoPool) -> None:
    assert example_client.get("/health").json() == {"status": "ok"}
    assert example_client.get("/me").status_code == 401

    me = example_client.get("/me", headers=bearer(pool.id_token(groups=["admin"])))
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert me.json()["groups"] == ["admin"]

    admin = example_client.get("/admin/stats", headers=bearer(pool.id_token(groups=["admin"])))
    assert admin.status_code == 200
    assert example_client.get("/admin/stats", headers=bearer(pool.id_token())).status_code == 403

    reader = bearer(pool.access_token(scopes=["orders/read"]))
    assert example_client.get("/orders", headers=reader).status_code == 200
    assert example_client.get("/orders", headers=bearer(pool.access_token())).status_code == 403

    assert example_client.get("/greeting").json() == {"message": "Hello, guest"}
    greeting = example_client.get("/greeting", headers=bearer(pool.access_token()))
    assert greeting.json() == {"message": "Hello, alice"}


def test_example_app_from_environment(
    monkeypatch: pytest.MonkeyPatch, pool: FakeCognitoPool
) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import fastapi_app

    monkeypatch.setenv("COGNITO_USER_POOL_ID", pool.user_pool_id)
    monkeypatch.setenv("COGNITO_CLIENT_ID", pool.client_id)
    monkeypatch.setenv("COGNITO_TOKEN_USE", "access")
    fastapi_app._app_from_env.cache_clear()
    try:
        verifier = fastapi_app.verifier_from_env()
        assert pool.issuer in verifier.issuers
        assert isinstance(fastapi_app.app, FastAPI)
    finally:
        fastapi_app._app_from_env.cache_clear()
