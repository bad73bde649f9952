"""A complete Flask service protected by Amazon Cognito tokens.

Run it (from the ``examples/`` directory, with ``pip install "cognito-jwt[flask]"``)::

    export COGNITO_USER_POOL_ID=eu-west-1_AbCdEf123
    export COGNITO_CLIENT_ID=1example23456789
    export COGNITO_TOKEN_USE=access          # or "id"; "any" accepts both
    flask --app flask_app run

    curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:5000/me

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
from typing import Any

from flask import Flask, g

from cognito_jwt import CognitoJwtVerifier
from cognito_jwt.integrations.flask import CognitoJwt, current_claims, require_auth

#: COGNITO_TOKEN_USE values: which kind of token the API accepts.
TOKEN_USES = {"id": "id", "access": "access", "any": None}


def create_app(verifier: CognitoJwtVerifier | None = None) -> Flask:
    """Build the application; without ``verifier``, configure it from the environment."""
    app = Flask(__name__)
    if verifier is None:
        token_use = os.environ.get("COGNITO_TOKEN_USE", "access")
        if token_use not in TOKEN_USES:
            raise SystemExit(f"COGNITO_TOKEN_USE must be one of {sorted(TOKEN_USES)}")
        app.config.update(
            COGNITO_USER_POOL_ID=os.environ["COGNITO_USER_POOL_ID"],
            COGNITO_CLIENT_ID=os.environ["COGNITO_CLIENT_ID"],
            COGNITO_TOKEN_USE=TOKEN_USES[token_use],
        )
        if os.environ.get("COGNITO_JWKS_URI"):
            app.config["COGNITO_JWKS_URI"] = os.environ["COGNITO_JWKS_URI"]
    CognitoJwt(app, verifier=verifier)

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


if __name__ == "__main__":
    create_app().run()
