"""A complete FastAPI service protected by Amazon Cognito tokens.

Try it on your machine, against a fake user pool (no AWS account; from the
repository's root, with ``pip install "cognito-jwt[fastapi]" uvicorn``)::

    COGNITO_TOKEN_USE=access python examples/fastapi_app.py --fake-pool

It serves on 127.0.0.1 (any free port; ``--port 8000`` to choose) and prints
tokens and ``curl`` commands to paste, each with the status it gets.

Against your user pool, with its settings in the environment::

    export COGNITO_USER_POOL_ID=eu-west-1_AbCdEf123
    export COGNITO_CLIENT_ID=1example23456789
    export COGNITO_TOKEN_USE=access          # required: "access", or "any" for ID tokens too
    python examples/fastapi_app.py --port 8000      # or: cd examples && uvicorn fastapi_app:app

    curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:8000/me

``COGNITO_TOKEN_USE`` has no default: which token an API accepts is a
security decision (docs/tokens.md).  ``"id"`` is refused at start-up, since
``/orders`` demands a scope and ID tokens carry none.  ``COGNITO_JWKS_URI``
(optional) must be https; plain http is only for the fake pool's loopback
server.

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
import socket
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI

from cognito_jwt import CognitoJwtVerifier, ConfigurationError
from cognito_jwt.integrations.fastapi import Claims, CognitoAuth


def create_app(verifier: CognitoJwtVerifier) -> FastAPI:
    """Build the application around ``verifier`` (one verifier = one JWKS cache)."""
    auth = CognitoAuth(verifier)
    admin_only = auth.require(groups="admin")
    can_read_orders = auth.require(scopes="orders/read")
    maybe_signed_in = auth.optional()

    # The lifespan loads the pool's keys at start-up, not on the first request.
    app = FastAPI(title="cognito-jwt FastAPI example", lifespan=auth.lifespan)

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


#: Said after a refused configuration: this example has no ``allow_http`` switch.
CONFIGURATION_HINT = (
    "Check the COGNITO_* variables (see the top of examples/fastapi_app.py). This example "
    "accepts plain http only from its own --fake-pool server on 127.0.0.1; COGNITO_JWKS_URI "
    "must be https, since keys fetched over plain http can be replaced on the way."
)


def token_use_from_env() -> Literal["id", "access"] | None:
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


def required_env(name: str) -> str:
    """An environment variable the app cannot start without."""
    value = os.environ.get(name)
    if not value:
        raise SystemExit(
            f"{name} is not set: this example reads its user pool from the environment"
        )
    return value


def verifier_from_env() -> CognitoJwtVerifier:
    """The production verifier, configured by environment variables.

    No ``allow_http`` here: ``COGNITO_JWKS_URI`` must be https, and the
    library refuses plain http saying why.
    """
    return CognitoJwtVerifier(
        user_pool_id=required_env("COGNITO_USER_POOL_ID"),
        client_id=required_env("COGNITO_CLIENT_ID"),
        token_use=token_use_from_env(),
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


def serve(app: FastAPI, sock: socket.socket) -> None:
    """Serve ``app`` with uvicorn on a socket that already listens."""
    import uvicorn

    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    """``python examples/fastapi_app.py [--fake-pool] [--port N]``."""
    import argparse

    import local_pool

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fake-pool", action="store_true", help="a local fake pool, no AWS")
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    args = parser.parse_args(argv)
    token_use = token_use_from_env()  # required in both modes, checked first
    try:
        if not args.fake_pool:
            app = create_app(verifier_from_env())
            sock = local_pool.listening_socket(args.port)
            print(f"Listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
            serve(app, sock)
            return
        with local_pool.fake_pool(token_use) as local:
            verifier = CognitoJwtVerifier(
                user_pool_id=local.user_pool_id,
                client_id=local.client_id,
                token_use=token_use,
                jwks_uri=local.jwks_uri,  # http://127.0.0.1:...: loopback only
                allow_http=True,
            )
            app = create_app(verifier)
            sock = local_pool.listening_socket(args.port)
            local_pool.print_try_it(
                local,
                f"http://127.0.0.1:{sock.getsockname()[1]}",
                [
                    local_pool.Call(None, "/me", 401, "no token"),
                    local_pool.Call("READER", "/me", 200, "any valid token"),
                    local_pool.Call("READER", "/admin/stats", 403, "bob is not in group admin"),
                    local_pool.Call("ADMIN", "/admin/stats", 200, "alice is"),
                    local_pool.Call("READER", "/orders", 200, "bob holds orders/read"),
                    local_pool.Call("ADMIN", "/orders", 403, "alice does not"),
                    local_pool.Call(None, "/greeting", 200, "anonymous is welcome here"),
                ],
            )
            serve(app, sock)
    except ConfigurationError as error:
        raise SystemExit(f"configuration refused: {error}\n{CONFIGURATION_HINT}") from None


if __name__ == "__main__":
    main()
