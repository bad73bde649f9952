"""A complete, single-file Django REST framework service protected by Cognito tokens.

Try it on your machine, against a fake user pool (no AWS account; from the
repository's root, with ``pip install "cognito-jwt[django]"``)::

    COGNITO_TOKEN_USE=access python examples/drf_app.py --fake-pool

It serves on 127.0.0.1 (any free port; ``--port 8000`` to choose) and prints
tokens and ``curl`` commands to paste, each with the status it gets.

Against your user pool, with its settings in the environment::

    export COGNITO_USER_POOL_ID=eu-west-1_AbCdEf123
    export COGNITO_CLIENT_ID=1example23456789
    export COGNITO_TOKEN_USE=access          # required: "access", or "any" for ID tokens too
    python examples/drf_app.py runserver

    curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:8000/me

``COGNITO_TOKEN_USE`` has no default: which token an API accepts is a
security decision (docs/tokens.md).  ``COGNITO_JWKS_URI`` (optional) must be
https; plain http is only for the fake pool's loopback server.

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

#: Said after a refused configuration: this example has no ``ALLOW_HTTP`` switch.
CONFIGURATION_HINT = (
    "Check the COGNITO_* variables (see the top of examples/drf_app.py). This example "
    "accepts plain http only from its own --fake-pool server on 127.0.0.1; COGNITO_JWKS_URI "
    "must be https, since keys fetched over plain http can be replaced on the way."
)


def token_use_from_env() -> str | None:
    """``COGNITO_TOKEN_USE``, required: there is no safe default for it.

    Raises:
        SystemExit: the variable is missing or holds another value.
    """
    value = os.environ.get("COGNITO_TOKEN_USE")
    if value not in TOKEN_USES:
        found = "it is not set" if value is None else f"found {value!r}"
        raise SystemExit(
            f"COGNITO_TOKEN_USE: expected 'access', 'id' or 'any' (both), {found}. Which "
            "token this API accepts is a security decision with no default: 'access' for "
            "API calls (they carry scopes), 'id' for the user's identity (docs/tokens.md)"
        )
    return TOKEN_USES[value]


def cognito_settings_from_env() -> dict[str, Any]:
    """``settings.COGNITO_JWT`` from environment variables (only those that are set).

    Importing this module needs no variable (the tests import it); running it
    checks them first (`main`).  A setting still missing when a request comes
    surfaces as an ``ImproperlyConfigured`` naming it, never as a default.
    No ``ALLOW_HTTP`` here: ``COGNITO_JWKS_URI`` must be https, and the
    library refuses plain http saying why.
    """
    config: dict[str, Any] = {}
    for key in ("USER_POOL_ID", "CLIENT_ID", "JWKS_URI"):
        value = os.environ.get(f"COGNITO_{key}")
        if value:
            config[key] = value
    token_use = os.environ.get("COGNITO_TOKEN_USE")
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


def check_settings() -> None:
    """Build the verifier from ``settings.COGNITO_JWT`` now, so a bad one stops the start-up."""
    from django.core.exceptions import ImproperlyConfigured

    from cognito_jwt.integrations.drf import get_verifier

    try:
        get_verifier()
    except ImproperlyConfigured as error:
        raise SystemExit(f"configuration refused: {error}\n{CONFIGURATION_HINT}") from None


def serve_with_fake_pool(argv: list[str]) -> None:
    """``python examples/drf_app.py --fake-pool [--port N]``."""
    import argparse
    from wsgiref.simple_server import make_server

    import local_pool
    from django.core.wsgi import get_wsgi_application

    parser = argparse.ArgumentParser(description="Serve this example against a fake user pool")
    parser.add_argument("--fake-pool", action="store_true", required=True)
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    args = parser.parse_args(argv)
    token_use = token_use_from_env()
    with local_pool.fake_pool(token_use) as local:
        settings.COGNITO_JWT = {
            "USER_POOL_ID": local.user_pool_id,
            "CLIENT_ID": local.client_id,
            "TOKEN_USE": token_use,
            "JWKS_URI": local.jwks_uri,  # http://127.0.0.1:...: loopback only
            "ALLOW_HTTP": True,
        }
        check_settings()
        server = make_server("127.0.0.1", args.port, get_wsgi_application())
        local_pool.print_try_it(
            local,
            f"http://127.0.0.1:{server.server_port}",
            [
                local_pool.Call(None, "/me", 401, "no token"),
                local_pool.Call("READER", "/me", 200, "any valid token"),
                local_pool.Call("READER", "/admin/stats", 403, "bob is not in group admin"),
                local_pool.Call("ADMIN", "/admin/stats", 200, "alice is"),
                local_pool.Call("READER", "/orders", 200, "bob holds orders/read"),
                local_pool.Call("ADMIN", "/orders", 403, "alice does not"),
            ],
        )
        server.serve_forever()


if __name__ == "__main__":
    if "--fake-pool" in sys.argv[1:]:
        serve_with_fake_pool(sys.argv[1:])
    else:
        from django.core.management import execute_from_command_line

        token_use_from_env()  # required: checked before Django starts anything
        check_settings()
        execute_from_command_line(sys.argv)
