"""A complete, single-file Django REST framework service protected by Cognito tokens.

Run it (from the ``examples/`` directory, with ``pip install "cognito-jwt[django]"``)::

    export COGNITO_USER_POOL_ID=eu-west-1_AbCdEf123
    export COGNITO_CLIENT_ID=1example23456789
    export COGNITO_TOKEN_USE=any             # "id", "access", or "any" for both
    python drf_app.py runserver

    curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:8000/me

Routes:

* ``GET /health``: public.
* ``GET /me``: any valid token; echoes who the caller is.
* ``GET /admin/stats``: members of the ``admin`` Cognito group only.
* ``GET /orders``: access tokens with the ``orders/read`` scope only.

Everything is settings-driven, as usual in Django: the verifier is built from
``settings.COGNITO_JWT`` on first use.  Tests inject one by overriding that
setting with ``{"VERIFIER": verifier}`` (see ``tests/integrations/test_integration_drf.py``).
The settings below are applied only if nothing configured Django before this
module was imported; no database is needed.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import django
from django.conf import settings

#: COGNITO_TOKEN_USE values: which kind of token the API accepts.
TOKEN_USES = {"id": "id", "access": "access", "any": None}


def cognito_settings_from_env() -> dict[str, Any]:
    """``settings.COGNITO_JWT`` from environment variables (only those that are set).

    A missing required variable surfaces as an ``ImproperlyConfigured`` naming
    the setting on the first authenticated request, instead of a ``KeyError``
    at import.
    """
    config: dict[str, Any] = {}
    for key in ("USER_POOL_ID", "CLIENT_ID", "JWKS_URI"):
        value = os.environ.get(f"COGNITO_{key}")
        if value:
            config[key] = value
    token_use = os.environ.get("COGNITO_TOKEN_USE", "any")
    if token_use in TOKEN_USES:
        config["TOKEN_USE"] = TOKEN_USES[token_use]
    return config


if not settings.configured:
    settings.configure(
        DEBUG=os.environ.get("DJANGO_DEBUG") == "1",
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret"),
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        MIDDLEWARE=[],
        DATABASES={},
        REST_FRAMEWORK={"DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]},
        COGNITO_JWT=cognito_settings_from_env(),
    )
    django.setup()

# Django must be configured before DRF's views and Django's URL helpers load.
from django.urls import path  # noqa: E402
from rest_framework.permissions import AllowAny, IsAuthenticated  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from cognito_jwt.integrations.drf import (  # noqa: E402
    CognitoJwtAuthentication,
    cognito_claims,
    require_groups,
    require_scopes,
)


class CognitoAPIView(APIView):
    """Base view: authenticated by Cognito bearer tokens.

    A project would usually set this once, as ``DEFAULT_AUTHENTICATION_CLASSES``
    in ``REST_FRAMEWORK`` (with ``IsAuthenticated`` as the default permission);
    spelling it out keeps this single file self-explanatory.
    """

    authentication_classes = (CognitoJwtAuthentication,)


class HealthView(APIView):
    """Public liveness probe."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> Response:  # noqa: ARG002 - DRF's handler signature
        return Response({"status": "ok"})


class MeView(CognitoAPIView):
    """Who is calling: ``request.user`` is a CognitoUser, ``request.auth`` the claims."""

    permission_classes = (IsAuthenticated,)

    def get(self, request: Request) -> Response:
        claims = cognito_claims(request)  # the same dict as request.auth, but typed
        return Response(
            {
                "sub": request.user.pk,
                "username": str(request.user),
                "token_use": claims["token_use"],
                "groups": claims.get("cognito:groups", []),
            }
        )


class AdminStatsView(CognitoAPIView):
    """Members of the ``admin`` group only (403 + insufficient_scope otherwise)."""

    permission_classes = (IsAuthenticated, require_groups("admin"))

    def get(self, request: Request) -> Response:
        return Response({"requested_by": request.user.pk, "users": 42})


class OrdersView(CognitoAPIView):
    """Access tokens carrying the ``orders/read`` scope only."""

    permission_classes = (IsAuthenticated, require_scopes("orders/read"))

    def get(self, request: Request) -> Response:
        return Response({"owner": request.user.pk, "orders": [{"id": 1, "item": "boarding pass"}]})


urlpatterns = [
    path("health", HealthView.as_view()),
    path("me", MeView.as_view()),
    path("admin/stats", AdminStatsView.as_view()),
    path("orders", OrdersView.as_view()),
]


if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
