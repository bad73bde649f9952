"""Flask and DRF accept an `AlbJwtVerifier`: it reads `x-amzn-oidc-data`, not `Authorization`.

Real ALB-shaped tokens from `FakeAlb`, served keys on 127.0.0.1; each rejection
asserts the status and the reason on the wire."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cognito_jwt.http import request_token
from cognito_jwt.integrations._common import ALB_ACCESS_TOKEN_HEADER, ALB_TOKEN_HEADER
from cognito_jwt.testing import AlbKeyServer, FakeAlb, FakeCognitoPool

# -- the shared rule -------------------------------------------------------------


def test_alb_verifier_reads_the_alb_header_and_nothing_else(
    alb: FakeAlb, alb_key_server: AlbKeyServer
) -> None:
    verifier = alb.verifier(alb_key_server)
    headers = {ALB_TOKEN_HEADER: " abc.def.ghi ", "Authorization": "Bearer other"}
    assert request_token(verifier, headers.get) == "abc.def.ghi"
    assert request_token(verifier, {"Authorization": "Bearer other"}.get) is None
    assert request_token(verifier, {ALB_TOKEN_HEADER: "  "}.get) is None


def test_other_verifiers_read_the_bearer_token(pool: FakeCognitoPool) -> None:
    verifier = pool.verifier(token_use="id")
    headers = {ALB_TOKEN_HEADER: "alb.token.here", "Authorization": "Bearer a.b.c"}
    assert request_token(verifier, headers.get) == "a.b.c"
    assert request_token(verifier, {ALB_TOKEN_HEADER: "alb.token.here"}.get) is None


# -- Flask -------------------------------------------------------------------------


@pytest.fixture
def flask_client(alb: FakeAlb, alb_key_server: AlbKeyServer) -> Any:
    pytest.importorskip("flask")
    from flask import Flask, g

    from cognito_jwt.integrations.flask import require_auth

    app = Flask(__name__)
    verifier = alb.verifier(alb_key_server)

    @app.get("/me")
    @require_auth(verifier)
    def me() -> dict[str, Any]:
        return {"email": g.cognito_claims["email"]}

    return app.test_client()


def test_flask_accepts_the_alb_token(alb: FakeAlb, flask_client: Any) -> None:
    response = flask_client.get("/me", headers={ALB_TOKEN_HEADER: alb.token()})
    assert response.status_code == 200
    assert response.get_json() == {"email": "alice@example.com"}


def test_flask_without_the_alb_header_answers_a_bare_challenge(
    alb: FakeAlb, flask_client: Any
) -> None:
    response = flask_client.get("/me", headers={"Authorization": f"Bearer {alb.token()}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("wrong", "reason"),
    [
        ({"header_overrides": {"exp": 1}}, "token_expired"),
        ({"header_overrides": {"client": "other"}}, "invalid_client"),
        ({"header_overrides": {"signer": "arn:aws:elasticloadbalancing:x"}}, "invalid_signer"),
        ({"key": "other"}, "invalid_signature"),
    ],
)
def test_flask_rejects_a_bad_alb_token_with_its_reason(
    alb: FakeAlb, flask_client: Any, wrong: dict[str, Any], reason: str
) -> None:
    if wrong.get("key") == "other":
        wrong = {"key": FakeAlb().key}
    response = flask_client.get("/me", headers={ALB_TOKEN_HEADER: alb.token(**wrong)})
    assert response.status_code == 401
    assert response.get_json()["reason"] == reason
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_flask_answers_503_when_the_key_endpoint_fails(alb: FakeAlb) -> None:
    pytest.importorskip("flask")
    from flask import Flask

    from cognito_jwt.integrations.flask import require_auth

    failing = AlbKeyServer(lambda kid: 500)
    try:
        app = Flask(__name__)

        @app.get("/me")
        @require_auth(alb.verifier(failing))
        def me() -> str:
            return "ok"

        response = app.test_client().get("/me", headers={ALB_TOKEN_HEADER: alb.token()})
        assert response.status_code == 503
        assert response.get_json()["reason"] == "jwks_http_status"
    finally:
        failing.close()


# -- Django REST framework ------------------------------------------------------------

#: This module's URLconf, should it be the one that configures Django: no URLs are served.
urlpatterns: list[Any] = []


def django_configured() -> None:
    """Configure Django for the process unless another module has (one configuration)."""
    from django.conf import settings
    from integration_support import configure_django

    if not settings.configured:
        configure_django(__name__)


@pytest.fixture
def drf_authenticate(alb: FakeAlb, alb_key_server: AlbKeyServer) -> Iterator[Any]:
    pytest.importorskip("django")
    pytest.importorskip("rest_framework")
    django_configured()
    from django.test import override_settings
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from cognito_jwt.integrations.drf import CognitoJwtAuthentication

    factory = APIRequestFactory()

    def authenticate(**headers: str) -> Any:
        meta: dict[str, Any] = {
            "HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()
        }
        return CognitoJwtAuthentication().authenticate(Request(factory.get("/", **meta)))

    with override_settings(COGNITO_JWT={"VERIFIER": alb.verifier(alb_key_server)}):
        yield authenticate


def test_drf_authenticates_the_alb_token(alb: FakeAlb, drf_authenticate: Any) -> None:
    user, claims = drf_authenticate(**{ALB_TOKEN_HEADER: alb.token()})
    assert claims["email"] == "alice@example.com"
    assert user.pk == claims["sub"]


def test_drf_without_the_alb_header_leaves_it_to_the_next_authenticator(
    alb: FakeAlb, drf_authenticate: Any
) -> None:
    assert drf_authenticate(Authorization=f"Bearer {alb.token()}") is None


def test_drf_rejects_a_bad_alb_token_with_its_reason(alb: FakeAlb, drf_authenticate: Any) -> None:
    from rest_framework.exceptions import AuthenticationFailed

    with pytest.raises(AuthenticationFailed) as info:
        drf_authenticate(**{ALB_TOKEN_HEADER: alb.token(header_overrides={"client": "x"})})
    assert info.value.status_code == 401
    detail: Any = info.value.detail
    assert "invalid_client" in str(detail)


# -- FastAPI ----------------------------------------------------------------------


@pytest.fixture
def fastapi_client(alb: FakeAlb, alb_key_server: AlbKeyServer) -> Any:
    pytest.importorskip("fastapi")
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient

    from cognito_jwt.integrations.fastapi import Claims, CognitoAuth

    auth = CognitoAuth(alb.verifier(alb_key_server))
    app = FastAPI()

    @app.get("/me")
    async def me(claims: Claims = Depends(auth)) -> dict[str, Any]:  # noqa: B008
        return {"email": claims["email"]}

    @app.get("/maybe")
    async def maybe(claims: Claims | None = Depends(auth.optional())) -> dict[str, Any]:  # noqa: B008
        return {"signed_in": claims is not None}

    return TestClient(app)


def test_fastapi_accepts_the_alb_token(alb: FakeAlb, fastapi_client: Any) -> None:
    response = fastapi_client.get("/me", headers={ALB_TOKEN_HEADER: alb.token()})
    assert response.status_code == 200
    assert response.json() == {"email": "alice@example.com"}
    optional = fastapi_client.get("/maybe", headers={ALB_TOKEN_HEADER: alb.token()})
    assert optional.json() == {"signed_in": True}


def test_fastapi_without_the_alb_header_answers_a_bare_challenge(
    alb: FakeAlb, fastapi_client: Any
) -> None:
    response = fastapi_client.get("/me", headers={"Authorization": f"Bearer {alb.token()}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert fastapi_client.get("/maybe").json() == {"signed_in": False}


def test_fastapi_rejects_a_bad_alb_token_with_its_reason(alb: FakeAlb, fastapi_client: Any) -> None:
    token = alb.token(header_overrides={"client": "other"})
    response = fastapi_client.get("/me", headers={ALB_TOKEN_HEADER: token})
    assert response.status_code == 401
    assert response.json()["detail"]["reason"] == "invalid_client"


# -- the access token an ALB forwards, with a Cognito verifier -----------------------


def _access_clients(pool: FakeCognitoPool) -> dict[str, Any]:
    """`/me` behind each integration, with a Cognito verifier for access tokens."""
    pytest.importorskip("fastapi")
    pytest.importorskip("flask")
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient
    from flask import Flask

    from cognito_jwt.integrations.fastapi import Claims, CognitoAuth
    from cognito_jwt.integrations.flask import require_auth

    verifier = pool.verifier(token_use="access")
    auth = CognitoAuth(verifier)
    fast = FastAPI()

    @fast.get("/me")
    async def me(claims: Claims = Depends(auth)) -> dict[str, Any]:  # noqa: B008
        return {"sub": claims["sub"]}

    flask_app = Flask(__name__)

    @flask_app.get("/me")
    @require_auth(verifier)
    def flask_me() -> dict[str, Any]:
        return {"sub": "ok"}

    return {"fastapi": TestClient(fast), "flask": flask_app.test_client()}


def test_integrations_read_the_access_token_an_alb_forwards(pool: FakeCognitoPool) -> None:
    clients = _access_clients(pool)
    token = pool.access_token()
    forged = pool.access_token()[:-4] + "AAAA"
    for name, client in clients.items():
        forwarded = client.get("/me", headers={ALB_ACCESS_TOKEN_HEADER: token})
        assert forwarded.status_code == 200, name
        bad = client.get("/me", headers={ALB_ACCESS_TOKEN_HEADER: forged})
        assert bad.status_code == 401, name
        # Authorization, when present, is what is verified.
        both = client.get(
            "/me", headers={"Authorization": "Bearer not-a-jwt", ALB_ACCESS_TOKEN_HEADER: token}
        )
        assert both.status_code == 401, name
    assert (
        request_token(pool.verifier(token_use="access"), {ALB_ACCESS_TOKEN_HEADER: token}.get)
        == token
    )


def test_drf_reads_the_access_token_an_alb_forwards(pool: FakeCognitoPool) -> None:
    pytest.importorskip("rest_framework")
    django_configured()
    from django.test import override_settings
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from cognito_jwt.integrations.drf import CognitoJwtAuthentication

    token = pool.access_token()
    request = Request(APIRequestFactory().get("/", HTTP_X_AMZN_OIDC_ACCESSTOKEN=token))
    with override_settings(COGNITO_JWT={"VERIFIER": pool.verifier(token_use="access")}):
        result = CognitoJwtAuthentication().authenticate(request)
    assert result is not None
    assert result[1]["token_use"] == "access"
