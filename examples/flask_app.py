"""A complete Flask service protected by Amazon Cognito tokens.

Try it on your machine, against a fake user pool (no AWS account; from the
repository's root, with ``pip install "cognito-jwt[flask]"``)::

    COGNITO_TOKEN_USE=access python examples/flask_app.py --fake-pool

It serves on 127.0.0.1 (any free port; ``--port 5000`` to choose) and prints
tokens and ``curl`` commands to paste, each with the status it gets.

Against your user pool, with its settings in the environment::

    export COGNITO_USER_POOL_ID=eu-west-1_AbCdEf123
    export COGNITO_CLIENT_ID=1example23456789
    export COGNITO_TOKEN_USE=access          # required: "access", or "any" for ID tokens too
    flask --app examples/flask_app run

    curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:5000/me

``COGNITO_TOKEN_USE`` has no default: which token an API accepts is a
security decision (docs/tokens.md).  ``COGNITO_JWKS_URI`` (optional) must be
https; plain http is only for the fake pool's loopback server.

Routes:

* ``GET /health``: public.
* ``GET /me``: any valid token; echoes who the caller is.
* ``GET /admin/stats``: members of the ``admin`` Cognito group only.
* ``GET /orders``: access tokens with the ``orders/read`` scope only.

:func:`create_app` is a Flask application factory: ``flask --app flask_app``
calls it without arguments (configuration from the environment), and tests
call it with a verifier backed by :class:`cognito_jwt.testing.FakeCognitoPool`.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from flask import Flask, g

from cognito_jwt import CognitoJwtVerifier, ConfigurationError
from cognito_jwt.integrations.flask import CognitoJwt, current_claims, require_auth

#: COGNITO_TOKEN_USE values: which kind of token the API accepts.
TOKEN_USES: dict[str, Literal["id", "access"] | None] = {
    "id": "id",
    "access": "access",
    "any": None,
}

#: Said after a refused configuration: this example has no ``allow_http`` switch.
CONFIGURATION_HINT = (
    "Check the COGNITO_* variables (see the top of examples/flask_app.py). This example "
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


def config_from_env() -> dict[str, Any]:
    """The extension's ``COGNITO_*`` settings from the environment.

    No ``COGNITO_ALLOW_HTTP`` here: ``COGNITO_JWKS_URI`` must be https, and
    the library refuses plain http saying why.
    """
    config: dict[str, Any] = {"COGNITO_TOKEN_USE": token_use_from_env()}
    for name in ("COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID"):
        if not os.environ.get(name):
            raise SystemExit(
                f"{name} is not set: this example reads its user pool from the environment"
            )
        config[name] = os.environ[name]
    if os.environ.get("COGNITO_JWKS_URI"):
        config["COGNITO_JWKS_URI"] = os.environ["COGNITO_JWKS_URI"]
    return config


def create_app(verifier: CognitoJwtVerifier | None = None) -> Flask:
    """Build the application; without ``verifier``, configure it from the environment."""
    app = Flask(__name__)
    if verifier is None:
        app.config.update(config_from_env())
    try:
        CognitoJwt(app, verifier=verifier)
    except ConfigurationError as error:
        raise SystemExit(f"configuration refused: {error}\n{CONFIGURATION_HINT}") from None

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/me")
    @require_auth()
    def me() -> dict[str, Any]:
        claims = current_claims()
        return {
            "sub": claims["sub"],
            "username": claims.get("cognito:username") or claims.get("username"),
            "token_use": claims["token_use"],
            "groups": claims.get("cognito:groups", []),
        }

    @app.get("/admin/stats")
    @require_auth(groups="admin")
    def admin_stats() -> dict[str, Any]:
        return {"requested_by": g.cognito_claims["sub"], "users": 42}

    @app.get("/orders")
    @require_auth(scopes="orders/read")
    def orders() -> dict[str, Any]:
        return {"owner": current_claims()["sub"], "orders": [{"id": 1, "item": "boarding pass"}]}

    return app


def main(argv: list[str] | None = None) -> None:
    """``python examples/flask_app.py [--fake-pool] [--port N]``."""
    import argparse

    import local_pool
    from werkzeug.serving import make_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fake-pool", action="store_true", help="a local fake pool, no AWS")
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    args = parser.parse_args(argv)
    token_use = token_use_from_env()  # required in both modes, checked first
    if not args.fake_pool:
        server = make_server("127.0.0.1", args.port, create_app(), threaded=True)
        print(f"Listening on http://127.0.0.1:{server.port}", flush=True)
        server.serve_forever()
        return
    with local_pool.fake_pool(token_use) as local:
        verifier = CognitoJwtVerifier(
            user_pool_id=local.user_pool_id,
            client_id=local.client_id,
            token_use=token_use,
            jwks_uri=local.jwks_uri,  # http://127.0.0.1:...: loopback only
            allow_http=True,
        )
        server = make_server("127.0.0.1", args.port, create_app(verifier), threaded=True)
        local_pool.print_try_it(
            local,
            f"http://127.0.0.1:{server.port}",
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
    main()
