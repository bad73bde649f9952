"""The Flask integration, through Flask's own test client and real signed tokens."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

import pytest
from integration_support import (
    bearer,
    closed_port_uri,
    printed_after_importing_cognito_jwt,
    tampered,
)

pytest.importorskip("flask")

from flask import Flask, g
from flask.testing import FlaskClient
from werkzeug.exceptions import Unauthorized

from cognito_jwt import CognitoJwtVerifier, ConfigurationError
from cognito_jwt.integrations.flask import (
    EXTENSION_NAME,
    CognitoJwt,
    current_claims,
    require_auth,
    verifier_from_config,
)
from cognito_jwt.testing import FakeCognitoPool

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def add_routes(app: Flask) -> None:
    @app.get("/me")
    @require_auth()
    def me() -> dict[str, Any]:
        return dict(g.cognito_claims)

    @app.get("/admin")
    @require_auth(groups="admin")
    def admin() -> dict[str, Any]:
        return {"sub": current_claims()["sub"]}

    @app.get("/write")
    @require_auth(scopes=["orders/write", "orders/admin"])
    def write() -> dict[str, Any]:
        return {"sub": current_claims()["sub"]}

    @app.get("/both")
    @require_auth(groups=["admin", "ops"], require_all_groups=True)
    def both() -> dict[str, Any]:
        return {"sub": current_claims()["sub"]}

    @app.get("/items/<int:item_id>")
    @require_auth()
    def item(item_id: int) -> dict[str, Any]:
        return {"item": item_id, "sub": current_claims()["sub"]}

    @app.get("/public")
    def public() -> dict[str, Any]:
        return {"has_claims": "cognito_claims" in g}


def make_app(verifier: CognitoJwtVerifier | None = None, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    CognitoJwt(app, verifier=verifier)
    add_routes(app)
    return app


@pytest.fixture
def client(pool: FakeCognitoPool) -> FlaskClient:
    return make_app(pool.verifier(token_use=None)).test_client()


# -- success ------------------------------------------------------------------


def test_valid_id_token_puts_claims_on_g(client: FlaskClient, pool: FakeCognitoPool) -> None:
    response = client.get("/me", headers=bearer(pool.id_token()))
    assert response.status_code == 200
    claims = response.get_json()
    assert claims["token_use"] == "id"
    assert claims["cognito:username"] == "alice"


def test_valid_access_token(client: FlaskClient, pool: FakeCognitoPool) -> None:
    response = client.get("/me", headers=bearer(pool.access_token()))
    assert response.status_code == 200
    assert response.get_json()["token_use"] == "access"


def test_view_arguments_pass_through(client: FlaskClient, pool: FakeCognitoPool) -> None:
    response = client.get("/items/7", headers=bearer(pool.id_token()))
    assert response.get_json()["item"] == 7


def test_group_and_scope_requirements_met(client: FlaskClient, pool: FakeCognitoPool) -> None:
    assert client.get("/admin", headers=bearer(pool.id_token(groups=["admin"]))).status_code == 200
    token = pool.access_token(scopes=["orders/admin"])
    assert client.get("/write", headers=bearer(token)).status_code == 200
    token = pool.id_token(groups=["ops", "admin"])
    assert client.get("/both", headers=bearer(token)).status_code == 200


def test_unprotected_view_has_no_claims(client: FlaskClient, pool: FakeCognitoPool) -> None:
    response = client.get("/public", headers=bearer(pool.id_token()))
    assert response.get_json() == {"has_claims": False}


# -- 401 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}],
    ids=["no-header", "other-scheme", "empty-bearer"],
)
def test_no_token_is_401_with_plain_challenge(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.get("/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json() == {"error": "missing_token", "reason": "missing_token"}


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda pool: tampered(pool.id_token()), "invalid_signature"),
        (lambda pool: pool.id_token(now=int(time.time()) - 7200, expires_in=3600), "token_expired"),
    ],
    ids=["tampered", "expired"],
)
def test_bad_token_is_401_invalid_token(
    client: FlaskClient, pool: FakeCognitoPool, make_token: Any, reason: str
) -> None:
    token = make_token(pool)
    response = client.get("/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer error="invalid_token", error_description="{reason}"'
    )
    assert response.get_json() == {"error": "invalid_token", "reason": reason}
    assert token not in response.get_data(as_text=True)


def test_garbage_token_is_401(client: FlaskClient) -> None:
    response = client.get("/me", headers=bearer("garbage"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


# -- 403 ----------------------------------------------------------------------


def test_missing_group_is_403(client: FlaskClient, pool: FakeCognitoPool) -> None:
    response = client.get("/admin", headers=bearer(pool.id_token(groups=["users"])))
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", error_description="missing_group"'
    )
    assert response.get_json() == {"error": "insufficient_scope", "reason": "missing_group"}


def test_missing_all_groups_is_403(client: FlaskClient, pool: FakeCognitoPool) -> None:
    assert client.get("/both", headers=bearer(pool.id_token(groups=["ops"]))).status_code == 403


def test_missing_scope_is_403_and_names_scopes(client: FlaskClient, pool: FakeCognitoPool) -> None:
    response = client.get("/write", headers=bearer(pool.access_token(scopes=["orders/read"])))
    assert response.status_code == 403
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="insufficient_scope"')
    assert 'scope="orders/write orders/admin"' in challenge


# -- 503 ----------------------------------------------------------------------


def test_keys_unavailable_is_503(pool: FakeCognitoPool) -> None:
    app = make_app(
        COGNITO_USER_POOL_ID=pool.user_pool_id,
        COGNITO_CLIENT_ID=pool.client_id,
        COGNITO_TOKEN_USE="id",
        COGNITO_JWKS_URI=closed_port_uri(),
        COGNITO_ALLOW_HTTP=True,
    )
    token = pool.id_token()
    response = app.test_client().get("/me", headers=bearer(token))
    assert response.status_code == 503
    assert "WWW-Authenticate" not in response.headers
    body = response.get_json()
    assert body["error"] == "temporarily_unavailable"
    assert body["reason"].startswith("jwks_")
    assert token not in response.get_data(as_text=True)


# -- the extension ------------------------------------------------------------


def test_extension_builds_verifier_from_config(pool: FakeCognitoPool) -> None:
    app = make_app(
        COGNITO_USER_POOL_ID=pool.user_pool_id,
        COGNITO_CLIENT_ID=[pool.client_id, "another-client"],
        COGNITO_TOKEN_USE="access",
        COGNITO_JWKS=pool.jwks_json,
        COGNITO_REALM="orders",
    )
    client = app.test_client()
    assert client.get("/me", headers=bearer(pool.access_token())).status_code == 200
    wrong_use = client.get("/me", headers=bearer(pool.id_token()))
    assert wrong_use.status_code == 401
    assert wrong_use.headers["WWW-Authenticate"].startswith(
        'Bearer realm="orders", error="invalid_token"'
    )


def test_config_wide_group_rule_is_403(pool: FakeCognitoPool) -> None:
    app = make_app(
        COGNITO_USER_POOL_ID=pool.user_pool_id,
        COGNITO_CLIENT_ID=pool.client_id,
        COGNITO_TOKEN_USE="id",
        COGNITO_JWKS=pool.jwks,
        COGNITO_GROUPS=["staff"],
    )
    response = app.test_client().get("/me", headers=bearer(pool.id_token()))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "missing", ["COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID", "COGNITO_TOKEN_USE"]
)
def test_missing_config_fails_at_startup(pool: FakeCognitoPool, missing: str) -> None:
    config = {
        "COGNITO_USER_POOL_ID": pool.user_pool_id,
        "COGNITO_CLIENT_ID": pool.client_id,
        "COGNITO_TOKEN_USE": "id",
    }
    del config[missing]
    with pytest.raises(ConfigurationError, match=missing):
        verifier_from_config(config)


def test_factory_pattern_one_extension_many_apps(pool: FakeCognitoPool) -> None:
    other = FakeCognitoPool(user_pool_id="us-east-1_OtherPool")
    cognito = CognitoJwt()
    first, second = Flask("first"), Flask("second")
    for app, source in ((first, pool), (second, other)):
        app.config.update(
            COGNITO_USER_POOL_ID=source.user_pool_id,
            COGNITO_CLIENT_ID=source.client_id,
            COGNITO_TOKEN_USE="id",
            COGNITO_JWKS=source.jwks,
        )
        cognito.init_app(app)

        @app.get("/me")
        @cognito.require()
        def me() -> dict[str, Any]:
            return {"iss": current_claims()["iss"]}

    assert first.test_client().get("/me", headers=bearer(pool.id_token())).status_code == 200
    assert first.test_client().get("/me", headers=bearer(other.id_token())).status_code == 401
    assert second.test_client().get("/me", headers=bearer(other.id_token())).status_code == 200


def test_explicit_verifier_needs_no_extension(pool: FakeCognitoPool) -> None:
    app = Flask(__name__)

    @app.get("/me")
    @require_auth(pool.verifier(token_use="id"), groups="admin", realm="api")
    def me() -> dict[str, Any]:
        return {"sub": current_claims()["sub"]}

    client = app.test_client()
    assert client.get("/me", headers=bearer(pool.id_token(groups=["admin"]))).status_code == 200
    assert client.get("/me").headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert EXTENSION_NAME not in app.extensions


@pytest.mark.parametrize("testing", [False, True], ids=["production", "TESTING"])
def test_without_extension_or_verifier_every_request_is_500_and_the_fix_is_logged(
    pool: FakeCognitoPool, testing: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A deployment without its configuration: no view runs, whatever the token."""
    app = Flask(__name__)
    app.config["TESTING"] = testing  # propagates a view's exceptions to the client
    add_routes(app)
    client = app.test_client()
    for headers in ({}, bearer(pool.id_token(groups=["admin"])), bearer("garbage")):
        with caplog.at_level("ERROR", logger="cognito_jwt.integrations"):
            response = client.get("/admin", headers=headers)
        assert response.status_code == 500
        assert response.get_json() == {"error": "server_error", "reason": "configuration_error"}
    assert caplog.messages, "the fix is logged"
    assert all("call CognitoJwt(app) or cognito.init_app(app)" in m for m in caplog.messages)


def test_app_error_handler_can_restyle_rejections(pool: FakeCognitoPool) -> None:
    app = make_app(pool.verifier(token_use="id"))

    @app.errorhandler(401)
    def unauthorized(error: Unauthorized) -> tuple[dict[str, Any], int, dict[str, str]]:
        challenge = error.get_response().headers["WWW-Authenticate"]
        return (
            {"message": "please sign in", "code": error.description},
            401,
            {"WWW-Authenticate": challenge},
        )

    response = app.test_client().get("/me", headers=bearer(tampered(pool.id_token())))
    assert response.status_code == 401
    assert response.get_json() == {"message": "please sign in", "code": "invalid_signature"}
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_current_claims_outside_protected_view(pool: FakeCognitoPool) -> None:
    app = make_app(pool.verifier(token_use="id"))
    with app.test_request_context("/"), pytest.raises(RuntimeError, match="require_auth"):
        current_claims()


def test_empty_group_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        require_auth(groups=[""])


def test_async_view(pool: FakeCognitoPool) -> None:
    if importlib.util.find_spec("asgiref") is None:
        pytest.skip("Flask async views need asgiref (flask[async])")
    app = make_app(pool.verifier(token_use="id"))

    @app.get("/async")
    @require_auth(groups="admin")
    async def async_view() -> dict[str, Any]:
        return {"sub": current_claims()["sub"]}

    client = app.test_client()
    assert client.get("/async", headers=bearer(pool.id_token(groups=["admin"]))).status_code == 200
    assert client.get("/async", headers=bearer(pool.id_token())).status_code == 403
    assert client.get("/async").status_code == 401


def test_importing_cognito_jwt_does_not_import_flask() -> None:
    assert printed_after_importing_cognito_jwt("'flask' in sys.modules") == "False"


# -- the example app ----------------------------------------------------------


def test_example_app(pool: FakeCognitoPool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import flask_app

    client = flask_app.create_app(pool.verifier(token_use=None)).test_client()
    assert client.get("/health").get_json() == {"status": "ok"}
    assert client.get("/me").status_code == 401

    me = client.get("/me", headers=bearer(pool.access_token(groups=["admin"])))
    assert me.status_code == 200
    assert me.get_json()["username"] == "alice"
    assert me.get_json()["groups"] == ["admin"]

    assert (
        client.get("/admin/stats", headers=bearer(pool.id_token(groups=["admin"]))).status_code
        == 200
    )
    assert client.get("/admin/stats", headers=bearer(pool.id_token())).status_code == 403

    reader = bearer(pool.access_token(scopes=["orders/read"]))
    assert client.get("/orders", headers=reader).status_code == 200
    assert client.get("/orders", headers=bearer(pool.access_token())).status_code == 403


def test_example_app_from_environment(
    pool: FakeCognitoPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import flask_app

    monkeypatch.setenv("COGNITO_USER_POOL_ID", pool.user_pool_id)
    monkeypatch.setenv("COGNITO_CLIENT_ID", pool.client_id)
    monkeypatch.setenv("COGNITO_TOKEN_USE", "any")
    app = flask_app.create_app()
    assert app.config["COGNITO_TOKEN_USE"] is None
    assert pool.issuer in app.extensions[EXTENSION_NAME].verifier.issuers

    # Keys are fetched over HTTPS only: a plain-http JWKS URI fails at start-up.
    monkeypatch.setenv("COGNITO_JWKS_URI", closed_port_uri())
    with pytest.raises(SystemExit, match="jwks_uri: expected https"):
        flask_app.create_app()
