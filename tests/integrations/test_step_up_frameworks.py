"""FastAPI, Flask and DRF take the step-up options where they take groups and scopes.

Through each framework's own test client (the conformance table runs the same
demand behind real servers): a route's `min_acr_level` / `max_auth_age`, and
the verifier settings read from Flask's config and Django's settings, answer a
sign-in that falls short with 401 and the RFC 9470 challenge, and let a strong,
recent one through.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from fixed_time import NOW, clock
from integration_support import bearer, configure_django

pytest.importorskip("fastapi")
pytest.importorskip("flask")
pytest.importorskip("rest_framework")

from django.conf import settings

if not settings.configured:  # by another test module, or a docs page
    configure_django(__name__)

from django.test import override_settings
from django.urls import path
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from flask import Flask
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from cognito_jwt import ConfigurationError
from cognito_jwt.integrations.drf import CognitoJwtAuthentication, require_step_up
from cognito_jwt.integrations.fastapi import Claims, CognitoAuth
from cognito_jwt.integrations.flask import CognitoJwt, require_auth
from cognito_jwt.testing import FakeCognitoPool, step_up_claims

POOL = FakeCognitoPool()
VERIFIER = POOL.verifier(token_use="id", clock=clock)
STEP_UP = "insufficient_user_authentication"
#: The challenge of a route demanding `min_acr_level=2, max_auth_age=300`.
CHALLENGE = (
    f'Bearer error="{STEP_UP}", error_description="{STEP_UP}", '
    'acr_values="urn:cognito:loa:2 urn:cognito:loa:3 urn:cognito:loa:4", max_age="300"'
)

#: (id, token) pairs: what falls short of level 2 within 300 s, and what does not.
SHORT = [
    ("no level recorded", lambda: POOL.id_token(now=NOW)),
    ("level 1", lambda: POOL.id_token(now=NOW, **step_up_claims(1))),
    ("an hour old", lambda: POOL.id_token(now=NOW, **step_up_claims(3, auth_time=NOW - 3600))),
]


def strong() -> str:
    return POOL.id_token(now=NOW, **step_up_claims(2, ["pwd", "otp", "mfa"], auth_time=NOW - 300))


# -- FastAPI -------------------------------------------------------------------------------------


def fastapi_client() -> TestClient:
    auth = CognitoAuth(VERIFIER)
    app = FastAPI()

    @app.get("/pay")
    async def pay(
        claims: Claims = Depends(auth.require(min_acr_level=2, max_auth_age=300)),  # noqa: B008
    ) -> dict[str, str]:
        return {"acr": claims["acr"]}

    return TestClient(app)


@pytest.mark.parametrize("make", [row[1] for row in SHORT], ids=[row[0] for row in SHORT])
def test_fastapi_answers_a_short_sign_in_with_the_challenge(make: Any) -> None:
    response = fastapi_client().get("/pay", headers=bearer(make()))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert response.json() == {"detail": {"error": STEP_UP, "reason": STEP_UP}}


def test_fastapi_lets_a_strong_recent_sign_in_through() -> None:
    response = fastapi_client().get("/pay", headers=bearer(strong()))
    assert (response.status_code, response.json()) == (200, {"acr": "urn:cognito:loa:2"})


def test_fastapi_refuses_a_step_up_option_wired_wrong() -> None:
    with pytest.raises(ConfigurationError):
        CognitoAuth(VERIFIER).require(min_acr_level="gold")


# -- Flask ---------------------------------------------------------------------------------------


def flask_app(**config: Any) -> Flask:
    app = Flask(__name__)
    if config:
        app.config.update(config)
        CognitoJwt(app)
    else:
        CognitoJwt(app, verifier=VERIFIER)

    @app.get("/pay")
    @require_auth(min_acr_level=2, max_auth_age=300)
    def pay() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/any")
    @require_auth
    def anyone() -> dict[str, str]:
        return {"ok": "yes"}

    return app


@pytest.mark.parametrize("make", [row[1] for row in SHORT], ids=[row[0] for row in SHORT])
def test_flask_answers_a_short_sign_in_with_the_challenge(make: Any) -> None:
    response = flask_app().test_client().get("/pay", headers=bearer(make()))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert response.get_json() == {"error": STEP_UP, "reason": STEP_UP}


def test_flask_lets_a_strong_recent_sign_in_through() -> None:
    assert flask_app().test_client().get("/pay", headers=bearer(strong())).status_code == 200


def test_flask_config_demands_a_step_up_of_every_route() -> None:
    """`COGNITO_MIN_ACR_LEVEL`: the verifier the config builds demands it everywhere."""
    app = flask_app(
        COGNITO_USER_POOL_ID=POOL.user_pool_id,
        COGNITO_CLIENT_ID=POOL.client_id,
        COGNITO_TOKEN_USE="id",
        COGNITO_JWKS=POOL.jwks,
        COGNITO_MIN_ACR_LEVEL=3,
    )
    client = app.test_client()
    weak = client.get("/any", headers=bearer(POOL.id_token(**step_up_claims(2))))
    assert weak.status_code == 401
    assert 'acr_values="urn:cognito:loa:3 urn:cognito:loa:4"' in weak.headers["WWW-Authenticate"]
    assert client.get("/any", headers=bearer(POOL.id_token(**step_up_claims(3)))).status_code == 200


def test_flask_refuses_a_step_up_option_wired_wrong() -> None:
    with pytest.raises(ConfigurationError):
        require_auth(VERIFIER, max_auth_age=0)


# -- Django REST framework -----------------------------------------------------------------------


class Pay(APIView):
    authentication_classes = (CognitoJwtAuthentication,)
    permission_classes = (IsAuthenticated, require_step_up(min_acr_level=2, max_auth_age=300))

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class Anyone(APIView):
    authentication_classes = (CognitoJwtAuthentication,)
    permission_classes = (IsAuthenticated,)

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [path("pay", Pay.as_view()), path("any", Anyone.as_view())]


def drf_get(route: str, token: str, **config: Any) -> Any:
    cognito = config or {"VERIFIER": VERIFIER}
    with override_settings(
        ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"], COGNITO_JWT=cognito
    ):
        return APIClient().get(f"/{route}", headers=bearer(token))


@pytest.mark.parametrize("make", [row[1] for row in SHORT], ids=[row[0] for row in SHORT])
def test_drf_answers_a_short_sign_in_with_the_challenge(make: Any) -> None:
    response = drf_get("pay", make())
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == CHALLENGE
    assert response.json() == {"error": STEP_UP, "reason": STEP_UP}


def test_drf_lets_a_strong_recent_sign_in_through() -> None:
    assert drf_get("pay", strong()).status_code == 200


def test_drf_settings_demand_a_step_up_of_every_view() -> None:
    config = {
        "USER_POOL_ID": POOL.user_pool_id,
        "CLIENT_ID": POOL.client_id,
        "TOKEN_USE": "id",
        "JWKS": POOL.jwks,
        "MAX_AUTH_AGE": 60,
    }
    stale = POOL.id_token(auth_time=int(time.time()) - 61)
    response = drf_get("any", stale, **config)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].endswith('max_age="60"')
    assert drf_get("any", POOL.id_token(), **config).status_code == 200


def test_drf_step_up_listed_uncalled_denies_and_wired_wrong_is_refused() -> None:
    denying = require_step_up()
    assert not isinstance(denying, type)
    with pytest.raises(ConfigurationError):
        require_step_up(acr_values=[])
