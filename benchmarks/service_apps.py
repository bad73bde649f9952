"""The applications `bench_service.py` serves: one `GET /items` per contender.

Each server process builds one contender's app from the environment:

* `BENCH_CONTENDER`: which protection `/items` gets (see the `*_CONTENDERS`
  tuples below);
* `BENCH_POOL`, `BENCH_AUD`, `BENCH_ISS`, `BENCH_JWKS_URI`: the fake user
  pool, its app client, its issuer and the loopback URL serving its JWKS;
* `BENCH_WARM`: `1` to load the keys at start-up (the documented set-up),
  `0` to leave it to the first request.

Every authenticating contender checks what cognito_jwt checks for an ID
token: the RS256 signature by a key of the pool's JWKS, `exp`, `iss`, `aud`
and `token_use == "id"`.  `GET /health` is never protected: the benchmark
polls it to know when a server is up.

The dependencies are declared as parameter defaults (`= Depends(...)`), not
`Annotated`: with postponed annotations FastAPI could not resolve an
annotation naming a local of the factory.
"""

from __future__ import annotations

import os
from typing import Any

ITEMS = [{"id": i, "name": f"item {i}"} for i in range(3)]

FASTAPI_CONTENDERS = (
    "noauth",
    "httpbearer",
    "cognito_jwt",
    "cognito_jwt_nocache",
    "cloudauth",
    "pyjwt",
)
WSGI_CONTENDERS = ("noauth", "bearer_only", "cognito_jwt", "cognito_jwt_nocache")


def _env(name: str) -> str:
    return os.environ[name]


def _verifier(cache_size: int | None = None) -> Any:
    from cognito_jwt import CognitoJwtVerifier

    options: dict[str, Any] = {} if cache_size is None else {"cache_size": cache_size}
    return CognitoJwtVerifier(
        user_pool_id=_env("BENCH_POOL"),
        client_id=_env("BENCH_AUD"),
        token_use="id",  # noqa: S106 - a token kind, not a secret
        issuer=_env("BENCH_ISS"),
        jwks_uri=_env("BENCH_JWKS_URI"),
        allow_http=True,
        **options,
    )


def _warm() -> bool:
    return os.environ.get("BENCH_WARM", "1") == "1"


# -- FastAPI (served by uvicorn) ---------------------------------------------------------


def build_fastapi() -> Any:
    """The FastAPI app of `BENCH_CONTENDER` (a uvicorn `--factory`)."""
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

    contender = _env("BENCH_CONTENDER")
    lifespan: Any = None
    dependency: Any = None
    if contender == "httpbearer":
        dependency = HTTPBearer()
    elif contender in ("cognito_jwt", "cognito_jwt_nocache"):
        from cognito_jwt.integrations.fastapi import CognitoAuth

        auth = CognitoAuth(_verifier(0 if contender.endswith("nocache") else None))
        dependency = auth
        lifespan = auth.lifespan if _warm() else None
    elif contender == "cloudauth":
        from fastapi_cloudauth.base import UserInfoAuth
        from fastapi_cloudauth.cognito import JWKS, CognitoClaims, CognitoExtraVerifier

        # fastapi-cloudauth's CognitoCurrentUser, with the JWKS URL pointed at
        # the loopback server (its constructor hard-codes the AWS address).
        issuer, client_id = _env("BENCH_ISS"), _env("BENCH_AUD")
        dependency = UserInfoAuth(
            JWKS(url=_env("BENCH_JWKS_URI")),
            user_info=CognitoClaims,
            audience=client_id,
            issuer=issuer,
            extra=CognitoExtraVerifier(client_id=client_id, issuer=issuer, token_use={"id"}),
        )
    elif contender == "pyjwt":
        import jwt

        jwks_client = jwt.PyJWKClient(_env("BENCH_JWKS_URI"))
        bearer = HTTPBearer()
        issuer, client_id = _env("BENCH_ISS"), _env("BENCH_AUD")

        async def pyjwt_claims(
            credentials: HTTPAuthorizationCredentials = Depends(bearer),  # noqa: B008
        ) -> dict[str, Any]:
            token = credentials.credentials
            try:
                key = jwks_client.get_signing_key_from_jwt(token)
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key.key,
                    algorithms=["RS256"],
                    audience=client_id,
                    issuer=issuer,
                    options={"require": ["exp", "iss", "aud"]},
                )
            except jwt.PyJWTError as error:
                raise HTTPException(401, "invalid token") from error
            if claims.get("token_use") != "id":
                raise HTTPException(401, "invalid token")
            return claims

        dependency = pyjwt_claims
        if _warm():
            jwks_client.get_jwk_set()
    elif contender != "noauth":
        raise SystemExit(f"unknown FastAPI contender {contender!r}")

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    if dependency is None:

        @app.get("/items")
        async def items() -> list[dict[str, Any]]:
            return ITEMS

    else:

        @app.get("/items")
        async def protected_items(_: Any = Depends(dependency)) -> list[dict[str, Any]]:  # noqa: B008
            return ITEMS

    return app


# -- Flask (served by gunicorn) ----------------------------------------------------------


def build_flask() -> Any:
    """The Flask app of `BENCH_CONTENDER` (a gunicorn `module:build_flask()` target)."""
    import functools
    from collections.abc import Callable

    from flask import Flask, abort, request

    from cognito_jwt.http import bearer_credentials as bearer_token

    contender = _env("BENCH_CONTENDER")
    app = Flask(__name__)

    def bearer_only(view: Callable[[], Any]) -> Callable[[], Any]:
        # The floor: find the bearer token, verify nothing.
        @functools.wraps(view)
        def wrapper() -> Any:
            if bearer_token(request.headers.get("Authorization")) is None:
                abort(401)
            return view()

        return wrapper

    protect: Callable[[Callable[[], Any]], Callable[[], Any]]
    if contender == "noauth":
        protect = functools.partial(lambda view: view)
    elif contender == "bearer_only":
        protect = bearer_only
    elif contender in ("cognito_jwt", "cognito_jwt_nocache"):
        from cognito_jwt.integrations.flask import CognitoJwt, require_auth

        verifier = _verifier(0 if contender.endswith("nocache") else None)
        CognitoJwt(app, verifier=verifier, warm_up=_warm())
        protect = require_auth()
    else:
        raise SystemExit(f"unknown Flask contender {contender!r}")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/items")
    @protect
    def items() -> Any:
        return ITEMS

    return app


# -- Django REST framework (served by gunicorn) ------------------------------------------


def build_drf() -> Any:
    """The DRF WSGI app of `BENCH_CONTENDER` (a gunicorn `module:build_drf()` target)."""
    import django
    from django.conf import settings

    contender = _env("BENCH_CONTENDER")
    authentication = {
        "noauth": [],
        "bearer_only": ["service_apps.BearerOnlyAuthentication"],
        "cognito_jwt": ["cognito_jwt.integrations.drf.CognitoJwtAuthentication"],
        "cognito_jwt_nocache": ["cognito_jwt.integrations.drf.CognitoJwtAuthentication"],
    }.get(contender)
    if authentication is None:
        raise SystemExit(f"unknown DRF contender {contender!r}")
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only",  # noqa: S106
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF="service_apps",
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        MIDDLEWARE=[],
        DATABASES={},
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": authentication,
            "DEFAULT_PERMISSION_CLASSES": (
                ["rest_framework.permissions.IsAuthenticated"] if authentication else []
            ),
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "UNAUTHENTICATED_USER": None,
        },
        COGNITO_JWT={
            "VERIFIER": _verifier(0 if contender.endswith("nocache") else None),
        },
    )
    django.setup()
    from django.core.wsgi import get_wsgi_application

    if contender.startswith("cognito_jwt") and _warm():
        from cognito_jwt.integrations.drf import warm_up

        warm_up()
    return get_wsgi_application()


def _drf_urls() -> list[Any]:
    from django.urls import path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class Items(APIView):
        def get(self, request: Any) -> Response:  # noqa: ARG002
            return Response(ITEMS)

    class Health(APIView):
        authentication_classes = ()
        permission_classes = ()

        def get(self, request: Any) -> Response:  # noqa: ARG002
            return Response({"status": "ok"})

    return [path("items", Items.as_view()), path("health", Health.as_view())]


def _bearer_only_class() -> type:
    # Only rest_framework.authentication here: DRF imports authentication
    # classes while importing rest_framework.views.
    from rest_framework.authentication import BaseAuthentication

    from cognito_jwt.http import bearer_credentials as bearer_token

    class BearerOnly(BaseAuthentication):
        """The floor: find the bearer token, verify nothing."""

        def authenticate(self, request: Any) -> Any:
            token = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
            if token is None:
                return None
            return _User(), {}

        def authenticate_header(self, request: Any) -> str:  # noqa: ARG002
            return "Bearer"

    return BearerOnly


class _User:
    is_authenticated = True


def __getattr__(name: str) -> Any:
    # Django imports this module as the URLconf, and DRF imports the floor's
    # authentication class from it by dotted path, both after settings exist.
    if name == "urlpatterns":
        value: Any = _drf_urls()
    elif name == "BearerOnlyAuthentication":
        value = _bearer_only_class()
    else:
        raise AttributeError(name)
    globals()[name] = value
    return value
