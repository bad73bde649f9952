"""Start-up key loading in the integrations: before the first request, and failing soft.

Each integration can load the verifier's signing keys when the application
starts (FastAPI: `lifespan=auth.lifespan`; Flask: `CognitoJwt(app, warm_up=True)`;
DRF: `warm_up()` from `AppConfig.ready()`), so the first request does not wait
for the JWKS fetch.  With the JWKS endpoint down at start-up the application
still starts, and serves once the endpoint recovers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hostile_servers import HostileServer, current_jwks, json_body, reply
from integration_support import bearer, configure_django

pytest.importorskip("fastapi")
pytest.importorskip("flask")
pytest.importorskip("rest_framework")

from django.conf import settings

if not settings.configured:  # by another test module, or a docs page
    configure_django(__name__)

from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from flask import Flask
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from cognito_jwt import CognitoJwtVerifier, JwksCache
from cognito_jwt.integrations import drf
from cognito_jwt.integrations.fastapi import Claims, CognitoAuth
from cognito_jwt.integrations.flask import CognitoJwt, require_auth
from cognito_jwt.testing import FakeCognitoPool, ManualClock

urlpatterns: list[Any] = []
UNAVAILABLE = reply(503, {"Content-Type": "text/plain"}, b"down for maintenance")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def endpoint(pool: FakeCognitoPool) -> Iterator[HostileServer]:
    with HostileServer(current_jwks(pool)) as server:
        yield server


def fetching_verifier(
    pool: FakeCognitoPool, server: HostileServer, clock: ManualClock
) -> CognitoJwtVerifier:
    cache = JwksCache(clock=clock, cooldown=10, max_backoff=10)
    return pool.verifier(token_use="id", jwks_uri=server.url, allow_http=True, jwks_cache=cache)


def fastapi_app(auth: CognitoAuth) -> FastAPI:
    app = FastAPI(lifespan=auth.lifespan)

    @app.get("/me")
    async def me(claims: Claims = Depends(auth)) -> dict[str, str]:  # noqa: B008
        return {"sub": claims["sub"]}

    return app


def flask_app(verifier: CognitoJwtVerifier, **options: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(options.pop("config", {}))
    CognitoJwt(app, verifier=verifier, **options)

    @app.get("/me")
    @require_auth()
    def me() -> dict[str, str]:
        return {"sub": "ok"}

    return app


class _MeView(APIView):
    authentication_classes = (drf.CognitoJwtAuthentication,)

    def get(self, request: Request) -> Response:
        return Response({"sub": drf.cognito_claims(request)["sub"]})


def drf_status(token: str) -> int:
    request = APIRequestFactory().get("/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    response = _MeView.as_view()(request)
    return int(response.status_code)


# -- keys are loaded before the first request -----------------------------------


def test_fastapi_lifespan_loads_the_keys_before_the_first_request(
    pool: FakeCognitoPool, endpoint: HostileServer, clock: ManualClock
) -> None:
    app = fastapi_app(CognitoAuth(fetching_verifier(pool, endpoint, clock)))
    assert endpoint.requests == 0
    with TestClient(app) as client:
        assert endpoint.requests == 1
        assert client.get("/me", headers=bearer(pool.id_token())).status_code == 200
    assert endpoint.requests == 1


def test_flask_warm_up_loads_the_keys_in_init_app(
    pool: FakeCognitoPool, endpoint: HostileServer, clock: ManualClock
) -> None:
    app = flask_app(fetching_verifier(pool, endpoint, clock), warm_up=True)
    assert endpoint.requests == 1
    assert app.test_client().get("/me", headers=bearer(pool.id_token())).status_code == 200
    assert endpoint.requests == 1


def test_flask_warm_up_from_config(
    pool: FakeCognitoPool, endpoint: HostileServer, clock: ManualClock
) -> None:
    flask_app(fetching_verifier(pool, endpoint, clock), config={"COGNITO_WARM_UP": True})
    assert endpoint.requests == 1


def test_flask_does_not_fetch_at_start_up_unless_asked(
    pool: FakeCognitoPool, endpoint: HostileServer, clock: ManualClock
) -> None:
    app = flask_app(fetching_verifier(pool, endpoint, clock))
    assert endpoint.requests == 0
    assert app.test_client().get("/me", headers=bearer(pool.id_token())).status_code == 200
    assert endpoint.requests == 1


def test_drf_warm_up_loads_the_keys(
    pool: FakeCognitoPool, endpoint: HostileServer, clock: ManualClock
) -> None:
    with override_settings(COGNITO_JWT={"VERIFIER": fetching_verifier(pool, endpoint, clock)}):
        assert drf.warm_up() is True
        assert endpoint.requests == 1
        assert drf_status(pool.id_token()) == 200
    assert endpoint.requests == 1


# -- failing soft: the JWKS endpoint is down at start-up -------------------------


def test_fastapi_starts_with_the_endpoint_down_and_serves_once_it_recovers(
    pool: FakeCognitoPool,
    endpoint: HostileServer,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoint.behaviour = UNAVAILABLE
    app = fastapi_app(CognitoAuth(fetching_verifier(pool, endpoint, clock)))
    with caplog.at_level(logging.WARNING, "cognito_jwt.integrations"), TestClient(app) as client:
        assert endpoint.requests == 1
        assert "at start-up" in caplog.text
        down = client.get("/me", headers=bearer(pool.id_token()))
        assert down.status_code == 503
        assert down.json()["detail"]["error"] == "temporarily_unavailable"
        endpoint.behaviour = json_body(pool.jwks_json.encode)
        clock.advance(11)  # past the key cache's back-off
        assert client.get("/me", headers=bearer(pool.id_token())).status_code == 200


def test_flask_starts_with_the_endpoint_down_and_serves_once_it_recovers(
    pool: FakeCognitoPool, endpoint: HostileServer, clock: ManualClock
) -> None:
    endpoint.behaviour = UNAVAILABLE
    app = flask_app(fetching_verifier(pool, endpoint, clock), warm_up=True)
    assert endpoint.requests == 1
    client = app.test_client()
    assert client.get("/me", headers=bearer(pool.id_token())).status_code == 503
    endpoint.behaviour = json_body(pool.jwks_json.encode)
    clock.advance(11)
    assert client.get("/me", headers=bearer(pool.id_token())).status_code == 200


def test_drf_warm_up_fails_soft_and_serves_once_the_endpoint_recovers(
    pool: FakeCognitoPool, endpoint: HostileServer, clock: ManualClock
) -> None:
    endpoint.behaviour = UNAVAILABLE
    with override_settings(COGNITO_JWT={"VERIFIER": fetching_verifier(pool, endpoint, clock)}):
        assert drf.warm_up() is False
        assert drf_status(pool.id_token()) == 503
        endpoint.behaviour = json_body(pool.jwks_json.encode)
        clock.advance(11)
        assert drf_status(pool.id_token()) == 200


def test_drf_warm_up_with_missing_settings_is_not_soft() -> None:
    with override_settings(COGNITO_JWT={}), pytest.raises(ImproperlyConfigured):
        drf.warm_up()
