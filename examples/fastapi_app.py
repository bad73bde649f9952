"""A complete FastAPI service protected by Amazon Cognito tokens.

Run it (from the ``examples/`` directory, with ``pip install "cognito-jwt[fastapi]" uvicorn``)::

    export COGNITO_USER_POOL_ID=eu-west-1_AbCdEf123
    export COGNITO_CLIENT_ID=1example23456789
    export COGNITO_TOKEN_USE=access          # or "id"; "any" accepts both
    uvicorn fastapi_app:app

    curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:8000/me

Routes:

* ``GET /health``: public.
* ``GET /me``: any valid token; echoes who the caller is.
* ``GET /admin/stats``: members of the ``admin`` Cognito group only.
* ``GET /orders``: access tokens with the ``orders/read`` scope only.
* ``GET /greeting``: anonymous or signed in (a bad token is still a 401).

The app is built by :func:`create_app` from a verifier, so tests can pass one
backed by :class:`cognito_jwt.testing.FakeCognitoPool`.  The module-level
``app`` that uvicorn imports is built from the environment on first access.
"""

# No ``from __future__ import annotations``: FastAPI reads the route
# signatures at runtime, and they refer to ``auth``, a local of create_app().
import functools
import os
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI

from cognito_jwt import CognitoJwtVerifier
from cognito_jwt.integrations.fastapi import Claims, CognitoAuth


def create_app(verifier: CognitoJwtVerifier) -> FastAPI:
    """Build the application around ``verifier`` (one verifier = one JWKS cache)."""
    auth = CognitoAuth(verifier)
    admin_only = auth.require(groups="admin")
    can_read_orders = auth.require(scopes="orders/read")
    maybe_signed_in = auth.optional()

    app = FastAPI(title="cognito-jwt FastAPI example")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/me")
    async def me(claims: Annotated[Claims, Depends(auth)]) -> dict[str, Any]:
        return {
            "sub": claims["sub"],
            "username": claims.get("cognito:username") or claims.get("username"),
            "token_use": claims["token_use"],
            "groups": claims.get("cognito:groups", []),
        }

    @app.get("/admin/stats")
    async def admin_stats(claims: Annotated[Claims, Depends(admin_only)]) -> dict[str, Any]:
        return {"requested_by": claims["sub"], "users": 42}

    @app.get("/orders")
    async def orders(claims: Annotated[Claims, Depends(can_read_orders)]) -> dict[str, Any]:
        return {"owner": claims["sub"], "orders": [{"id": 1, "item": "boarding pass"}]}

    @app.get("/greeting")
    async def greeting(
        claims: Annotated[Claims | None, Depends(maybe_signed_in)],
    ) -> dict[str, str]:
        if claims is None:
            return {"message": "Hello, guest"}
        return {"message": f"Hello, {claims.get('cognito:username') or claims.get('username')}"}

    return app


#: COGNITO_TOKEN_USE values: which kind of token the API accepts.
TOKEN_USES: dict[str, Literal["id", "access"] | None] = {
    "id": "id",
    "access": "access",
    "any": None,
}


def verifier_from_env() -> CognitoJwtVerifier:
    """The production verifier, configured by environment variables."""
    token_use = os.environ.get("COGNITO_TOKEN_USE", "access")
    if token_use not in TOKEN_USES:
        raise SystemExit(f"COGNITO_TOKEN_USE must be one of {sorted(TOKEN_USES)}")
    return CognitoJwtVerifier(
        user_pool_id=os.environ["COGNITO_USER_POOL_ID"],
        client_id=os.environ["COGNITO_CLIENT_ID"],
        token_use=TOKEN_USES[token_use],
        jwks_uri=os.environ.get("COGNITO_JWKS_URI") or None,
    )


@functools.cache
def _app_from_env() -> FastAPI:
    return create_app(verifier_from_env())


def __getattr__(name: str) -> FastAPI:
    """Build ``app`` on first access (``uvicorn fastapi_app:app``), not at import.

    Importing this module (as the tests do) then needs no environment variables.
    """
    if name == "app":
        return _app_from_env()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
