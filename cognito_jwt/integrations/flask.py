"""Flask integration: a view decorator and an extension reading ``app.config``.

Usage with the extension (configuration from ``app.config``)::

    from flask import Flask, g
    from cognito_jwt.integrations.flask import CognitoJwt, require_auth

    app = Flask(__name__)
    app.config.update(
        COGNITO_USER_POOL_ID="eu-west-1_AbCdEf123",
        COGNITO_CLIENT_ID="1example23456789",
        COGNITO_TOKEN_USE="access",
    )
    CognitoJwt(app)

    @app.get("/me")
    @require_auth()
    def me():
        return {"sub": g.cognito_claims["sub"]}

    @app.delete("/items/<int:item_id>")
    @require_auth(groups="admin")
    def delete(item_id):
        ...

Or without the extension, with an explicit verifier:
``@require_auth(verifier, scopes="orders/write")``.

A rejection is raised as a `werkzeug.exceptions.HTTPException` of the
right status (401, 403, 503) that already carries its JSON response and
``WWW-Authenticate`` header, so it renders correctly with no setup while an
application's own ``@app.errorhandler(401)`` still takes precedence.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, ParamSpec, TypeVar, cast

try:
    from flask import Flask, current_app, g, request
    from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions
    from werkzeug.wrappers import Response
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    if exc.name not in ("flask", "werkzeug"):
        raise
    raise ImportError(
        'cognito_jwt.integrations.flask needs Flask: pip install "cognito-jwt[flask]"'
    ) from exc

from cognito_jwt._exports import rehome as _rehome
from cognito_jwt.errors import CognitoJwtError
from cognito_jwt.integrations._common import (
    Requirement,
    SyncVerifier,
    check_realm,
    deny,
    request_token,
    verifier_from_settings,
    warm_up,
)

__all__ = ["EXTENSION_NAME", "CognitoJwt", "current_claims", "require_auth", "verifier_from_config"]

P = ParamSpec("P")
R = TypeVar("R")

#: Key of this extension's state in ``app.extensions``.
EXTENSION_NAME = "cognito_jwt"


def verifier_from_config(config: Mapping[str, Any]) -> SyncVerifier:
    """Build a `CognitoJwtVerifier` from Flask-style config.

    Required keys: ``COGNITO_USER_POOL_ID``, ``COGNITO_CLIENT_ID`` (a string or a
    list of app client ids) and ``COGNITO_TOKEN_USE`` (``"id"``, ``"access"``,
    or ``None`` to accept both).  ``COGNITO_TOKEN_USE`` has no default on
    purpose: which token an API accepts is a security decision, not a detail.

    Optional keys: ``COGNITO_JWKS_URI``, ``COGNITO_ISSUER``, ``COGNITO_JWKS``
    (static JWKS, dict or JSON text, never fetched), ``COGNITO_LEEWAY``,
    ``COGNITO_GROUPS``, ``COGNITO_SCOPES``, ``COGNITO_REQUIRE_ALL_GROUPS``,
    ``COGNITO_REQUIRE_ALL_SCOPES``, ``COGNITO_ALLOW_HTTP``: the table DRF's
    ``COGNITO_JWT`` setting shares (``_common.REQUIRED_SETTINGS`` and
    ``OPTIONAL_SETTINGS``).

    Raises:
        ConfigurationError: a required key is missing, or the verifier rejected
            the settings; raised at start-up rather than on the first request.
    """
    return verifier_from_settings(config, prefix="COGNITO_", where="Flask config")


class _State:
    """What one app's ``init_app`` stored: its verifier and challenge realm."""

    def __init__(self, verifier: SyncVerifier, realm: str | None) -> None:
        self.verifier = verifier
        self.realm = realm


class CognitoJwt:
    """Flask extension holding the verifier an application's routes use.

    Supports both the direct form ``CognitoJwt(app)`` and the application
    factory form ``cognito = CognitoJwt(); cognito.init_app(app)``.  Per-app
    state lives in ``app.extensions["cognito_jwt"]``, so one extension object
    may serve several apps (e.g. one per test) with different settings.

    Args:
        app: the application to initialise now, if any.
        verifier: use this verifier instead of building one from
            ``app.config`` (handy for tests, a `MultiIssuerVerifier`,
            or a generic `JwtVerifier`).
        realm: optional ``realm`` for the ``WWW-Authenticate`` challenge;
            defaults to ``app.config["COGNITO_REALM"]`` when set.
        warm_up: load the signing keys in ``init_app`` (Flask's start-up, in
            the application factory), so the first request does not wait for
            the JWKS fetch.  Fails soft: with the endpoint down the app still
            starts (a WARNING is logged) and requests fetch the keys once it
            answers.  Defaults to ``app.config["COGNITO_WARM_UP"]``, else off.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        verifier: SyncVerifier | None = None,
        realm: str | None = None,
        warm_up: bool | None = None,
    ) -> None:
        self._verifier = verifier
        self._realm = realm
        self._warm_up = warm_up
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Attach to ``app``: build (or take) its verifier and register it.

        Raises:
            ConfigurationError: ``app.config`` lacks a required key or holds an
                invalid value; better at start-up than on the first request.
        """
        verifier = (
            self._verifier if self._verifier is not None else verifier_from_config(app.config)
        )
        realm = check_realm(self._realm or app.config.get("COGNITO_REALM"))
        app.extensions[EXTENSION_NAME] = _State(verifier, realm)
        load_keys = self._warm_up
        if load_keys is None:
            load_keys = bool(app.config.get("COGNITO_WARM_UP", False))
        if load_keys:
            warm_up(verifier)

    def require(
        self,
        *,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
    ) -> Callable[[Callable[P, R]], Callable[P, R]]:
        """Same as `require_auth` without a verifier (uses the app's)."""
        return require_auth(
            groups=groups,
            scopes=scopes,
            require_all_groups=require_all_groups,
            require_all_scopes=require_all_scopes,
        )


def require_auth(
    verifier: SyncVerifier | None = None,
    *,
    groups: str | Sequence[str] | None = None,
    scopes: str | Sequence[str] | None = None,
    require_all_groups: bool = False,
    require_all_scopes: bool = False,
    realm: str | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view so it runs only for a valid Cognito bearer token.

    On success the verified claims are on ``flask.g.cognito_claims`` (also
    returned by `current_claims`) before the view runs.  Otherwise the
    request is answered 401 (no or bad token), 403 (missing group/scope) or
    503 (keys unavailable), with the RFC 6750 ``WWW-Authenticate`` header.

    Args:
        verifier: the verifier to use; ``None`` uses the one registered by
            `CognitoJwt` on the current app, looked up per request.
        groups: Cognito groups the route requires (any one, by default).
        scopes: OAuth scopes the route requires (any one, by default); only
            access tokens carry scopes.
        require_all_groups: require every listed group.
        require_all_scopes: require every listed scope.
        realm: ``realm`` for the challenge; defaults to the extension's.

    Raises:
        ConfigurationError: at decoration time, for an empty group/scope or an
            unsafe realm.
    """
    requirement = Requirement.build(
        groups=groups,
        scopes=scopes,
        require_all_groups=require_all_groups,
        require_all_scopes=require_all_scopes,
    )
    realm = check_realm(realm)

    def authenticate() -> None:
        if verifier is not None:
            active_verifier, active_realm = verifier, realm
        else:
            state = _state()
            active_verifier = state.verifier
            active_realm = realm if realm is not None else state.realm
        # The WSGI environ directly: `request.headers` would first build an
        # EnvironHeaders view and translate the name, for the same string.
        environ = request.environ
        token = request_token(
            active_verifier, lambda name: environ.get("HTTP_" + name.upper().replace("-", "_"))
        )
        if token is None:
            _abort(None, active_realm, requirement)
        try:
            claims = active_verifier.verify(token)
            requirement.check(claims)
        except CognitoJwtError as error:
            _abort(error, active_realm, requirement)
        g.cognito_claims = claims

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(view):
            # Flask runs a view as a coroutine only if the function it gets is
            # one, so an async view needs an async wrapper.  Verification stays
            # synchronous: Flask runs each async view to completion on an event
            # loop of its own, so awaiting the verifier would gain nothing.
            @functools.wraps(view)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                authenticate()
                return await view(*args, **kwargs)

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            authenticate()
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_claims() -> dict[str, Any]:
    """The verified claims of the current request, typed for callers.

    Equivalent to ``flask.g.cognito_claims`` but fails loudly (rather than
    with an ``AttributeError`` deep in a view) when the route is not protected.

    Raises:
        RuntimeError: no `require_auth` ran for this request.
    """
    claims = g.get("cognito_claims")
    if claims is None:
        raise RuntimeError("no verified Cognito claims: protect this view with @require_auth")
    return cast(dict[str, Any], claims)


def _state() -> _State:
    """The current app's extension state, or a clear error if it was never set up."""
    state = current_app.extensions.get(EXTENSION_NAME)
    if not isinstance(state, _State):
        raise RuntimeError(
            "require_auth() without a verifier needs CognitoJwt(app) (or init_app) first"
        )
    return state


def _abort(error: CognitoJwtError | None, realm: str | None, requirement: Requirement) -> NoReturn:
    """Raise the HTTPException (with its ready response) answering ``error``."""
    denial = deny(error, realm=realm, requirement=requirement)
    response = Response(
        json.dumps(denial.body),
        status=denial.status,
        headers=denial.headers,
        mimetype="application/json",
    )
    exception_class: type[HTTPException] = default_exceptions.get(
        denial.status, InternalServerError
    )
    raise exception_class(description=denial.body["reason"], response=response)


_rehome(__name__, globals(), __all__)
