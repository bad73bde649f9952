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
``@require_auth(verifier, scopes="orders/write")``.  A bare ``@require_auth``
works like Flask's ``@login_required`` (any valid token); "either of several
requirements" is ``@require_auth(requirement=any_of(...))`` with `any_of` and
`require` from `cognito_jwt.http`; the application factory injects a verifier
with ``cognito.init_app(app, verifier=...)``.

A rejection (`cognito_jwt.http`'s answer) is raised as a
`werkzeug.exceptions.HTTPException` of the right status (400, 401, 403,
503) that already carries its JSON response and ``WWW-Authenticate``
header, so it renders correctly with no setup while an application's own
``@app.errorhandler(401)`` still takes precedence.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import sys
import weakref
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any, NoReturn, ParamSpec, TypeVar, cast, overload

try:
    from flask import Blueprint, Flask, current_app, g, request
    from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions
    from werkzeug.wrappers import Response
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    if exc.name not in ("flask", "werkzeug"):
        raise
    raise ImportError(
        'cognito_jwt.integrations.flask needs Flask: pip install "cognito-jwt[flask]"'
    ) from exc

from cognito_jwt import http
from cognito_jwt._exports import rehome as _rehome
from cognito_jwt._verifier import refuse_async_only
from cognito_jwt.errors import ConfigurationError
from cognito_jwt.integrations._common import (
    SyncVerifier,
    checked_verifier,
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


def _checked_verifier(verifier: object, where: str) -> SyncVerifier:
    """`verifier` if it is a verifier instance `verify()` can run, else a `ConfigurationError`."""
    # A string or list here is a group or scope given positionally.
    keywords = "groups and scopes are keywords: require_auth(groups='admin')"
    checked_verifier(verifier, where, fix=keywords if isinstance(verifier, str | list) else None)
    refuse_async_only(verifier, where)
    return cast(SyncVerifier, verifier)


def _is_view(candidate: object) -> bool:
    """True for what a bare `@require_auth` receives: the view function itself."""
    return (
        callable(candidate)
        and not isinstance(candidate, type)
        and not callable(getattr(candidate, "verify", None))
    )


class _State:
    """What one app's ``init_app`` stored: its verifier and challenge realm."""

    def __init__(self, verifier: SyncVerifier, realm: str | None) -> None:
        self.verifier = verifier
        self.realm = realm


class CognitoJwt:
    """Flask extension holding the verifier an application's routes use.

    Supports both the direct form ``CognitoJwt(app)`` and the application
    factory form ``cognito = CognitoJwt(); cognito.init_app(app)``, where
    ``init_app`` takes the same ``verifier``, ``realm`` and ``warm_up``
    arguments (a test injects its verifier there).  Per-app state lives in
    ``app.extensions["cognito_jwt"]``, so one extension object may serve
    several apps (e.g. one per test) with different settings.

    Args:
        app: the application to initialise now, if any.
        verifier: use this verifier instead of building one from
            ``app.config`` (handy for tests, a `MultiIssuerVerifier`,
            a generic `JwtVerifier` or an `AlbJwtVerifier`).
        realm: optional ``realm`` for the ``WWW-Authenticate`` challenge;
            defaults to ``app.config["COGNITO_REALM"]`` when set.
        warm_up: load the signing keys in ``init_app`` (Flask's start-up, in
            the application factory), so the first request does not wait for
            the JWKS fetch.  Fails soft: with the endpoint down the app still
            starts (a WARNING is logged) and requests fetch the keys once it
            answers.  Defaults to ``app.config["COGNITO_WARM_UP"]``, else off.

    Raises:
        ConfigurationError: `verifier` is not a verifier instance (a class, a
            factory), or the realm is unsafe in a header.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        verifier: SyncVerifier | None = None,
        realm: str | None = None,
        warm_up: bool | None = None,
    ) -> None:
        if verifier is not None:
            _checked_verifier(verifier, "CognitoJwt(verifier=...)")
        self._verifier = verifier
        self._realm = http.check_realm(realm)
        self._warm_up = warm_up
        if app is not None:
            self.init_app(app)

    def init_app(
        self,
        app: Flask,
        *,
        verifier: SyncVerifier | None = None,
        realm: str | None = None,
        warm_up: bool | None = None,
    ) -> None:
        """Attach to ``app``: build (or take) its verifier and register it.

        Args:
            app: the application.
            verifier: this app's verifier (overrides the extension's and
                ``app.config``): the application-factory way to inject one.
            realm: this app's challenge realm (overrides the extension's).
            warm_up: load the keys now (overrides the extension's setting).

        Raises:
            ConfigurationError: ``app.config`` lacks a required key or holds an
                invalid value, or `verifier` is not a verifier instance; better
                at start-up than on the first request.
        """
        if verifier is not None:
            chosen = _checked_verifier(verifier, "init_app(verifier=...)")
        elif self._verifier is not None:
            chosen = self._verifier
        else:
            chosen = verifier_from_config(app.config)
        given_realm = realm if realm is not None else self._realm
        chosen_realm = http.check_realm(given_realm or app.config.get("COGNITO_REALM"))
        app.extensions[EXTENSION_NAME] = _State(chosen, chosen_realm)
        if _refuse_unwrapped_views not in app.before_request_funcs.get(None, []):
            app.before_request(_refuse_unwrapped_views)
        load_keys = warm_up if warm_up is not None else self._warm_up
        if load_keys is None:
            load_keys = bool(app.config.get("COGNITO_WARM_UP", False))
        if load_keys:
            _warm_up(chosen)

    @overload
    def require(self, view: Callable[P, R], /) -> Callable[P, R]: ...

    @overload
    def require(
        self,
        view: None = None,
        /,
        *,
        requirement: http.Requirement | None = None,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
        acr_values: str | Sequence[str] | None = None,
        min_acr_level: int | str | None = None,
        max_auth_age: int | None = None,
    ) -> Callable[[Callable[P, R]], Callable[P, R]]: ...

    def require(
        self,
        view: Callable[P, R] | None = None,
        /,
        *,
        requirement: http.Requirement | None = None,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
        acr_values: str | Sequence[str] | None = None,
        min_acr_level: int | str | None = None,
        max_auth_age: int | None = None,
    ) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
        """Same as `require_auth` without a verifier (uses the app's); bare form too."""
        decorator: Callable[[Callable[P, R]], Callable[P, R]] = require_auth(
            requirement=requirement,
            groups=groups,
            scopes=scopes,
            require_all_groups=require_all_groups,
            require_all_scopes=require_all_scopes,
            acr_values=acr_values,
            min_acr_level=min_acr_level,
            max_auth_age=max_auth_age,
        )
        return decorator if view is None else decorator(view)


_warm_up = warm_up

logger = logging.getLogger("cognito_jwt.integrations")

#: Every view function `require_auth` wrapped, by identity: if one of these is
#: what a route serves, the route was registered before it was wrapped.
_WRAPPED: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


def _refuse_unwrapped_views() -> None:
    """Refuse the routes that serve a view `require_auth` wrapped after registration.

    ``@require_auth()`` written above ``@app.route(...)`` wraps the function
    after Flask registered it, so the route would serve it unprotected.  The
    extension runs this once, before the application's first request (Flask
    accepts no new route after it): each such route's view is replaced by one
    that answers 401 and logs the fix, then this hook removes itself, so no
    later request pays for it.
    """
    views = current_app.view_functions
    for endpoint, view in list(views.items()):
        if view in _WRAPPED:
            views[endpoint] = _refusing(endpoint)
    with suppress(ValueError):  # another thread's first request removed it already
        current_app.before_request_funcs.get(None, []).remove(_refuse_unwrapped_views)


#: How many frames above `require_auth`'s decorator are searched for the
#: application or blueprint that may already serve the view: the decorator's
#: caller (``@require_auth(...)``) and, for the bare form, one more.
_FRAMES_SEARCHED = 3


def _registered_by(view: Callable[..., Any], frame: Any) -> str | None:
    """The Flask app or blueprint in `frame`'s scope that already serves `view`, if any.

    ``@require_auth`` written above ``@app.route(...)`` wraps a function
    Flask has already registered, so the route would serve it unprotected.
    Flask does not mark a registered function, but the app keeps it in
    ``view_functions`` and a blueprint keeps it in the deferred
    ``add_url_rule`` call it records; so the names visible where the
    decorator is applied (the module's globals, a factory's locals) are
    searched for an app or blueprint holding this very function.  Only at
    definition time, never per request; an app out of sight is still caught
    by the extension before its first request (`_refuse_unwrapped_views`).
    """
    for _ in range(_FRAMES_SEARCHED):
        if frame is None:
            return None
        for scope in (frame.f_locals, frame.f_globals):
            for value in list(scope.values()):
                if isinstance(value, Flask):
                    if any(served is view for served in value.view_functions.values()):
                        return f"the app {value.name!r}"
                elif isinstance(value, Blueprint):
                    for deferred in value.deferred_functions:
                        cells = getattr(deferred, "__closure__", None) or ()
                        if any(_cell_holds(cell, view) for cell in cells):
                            return f"the blueprint {value.name!r}"
        frame = frame.f_back
    return None


def _cell_holds(cell: Any, view: Callable[..., Any]) -> bool:
    """Whether a closure cell holds `view` (an empty cell holds nothing)."""
    try:
        return cell.cell_contents is view
    except ValueError:
        return False


def _refusing(endpoint: str) -> Callable[..., NoReturn]:
    """A view answering 401 for the route `endpoint`, whose protection came too late."""

    def refuse(*_: object, **__: object) -> NoReturn:
        logger.error(
            "route %s would serve its view unprotected: @require_auth was applied above "
            "@app.route, after Flask registered the view; put @app.route(...) outermost",
            endpoint,
        )
        _abort(http.rejection(None, method=request.method, path=request.path))

    return refuse


@overload
def require_auth(verifier: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def require_auth(
    verifier: SyncVerifier | None = None,
    /,
    *,
    requirement: http.Requirement | None = None,
    groups: str | Sequence[str] | None = None,
    scopes: str | Sequence[str] | None = None,
    require_all_groups: bool = False,
    require_all_scopes: bool = False,
    acr_values: str | Sequence[str] | None = None,
    min_acr_level: int | str | None = None,
    max_auth_age: int | None = None,
    realm: str | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def require_auth(
    verifier: SyncVerifier | Callable[P, R] | None = None,
    /,
    *,
    requirement: http.Requirement | None = None,
    groups: str | Sequence[str] | None = None,
    scopes: str | Sequence[str] | None = None,
    require_all_groups: bool = False,
    require_all_scopes: bool = False,
    acr_values: str | Sequence[str] | None = None,
    min_acr_level: int | str | None = None,
    max_auth_age: int | None = None,
    realm: str | None = None,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view so it runs only for a valid token meeting the requirement.

    ``@require_auth`` (bare, like ``@login_required``) and ``@require_auth()``
    admit any caller with a valid token; ``@require_auth(groups="admin")``,
    ``@require_auth(scopes=...)`` or ``@require_auth(requirement=any_of(...))``
    (see `cognito_jwt.http`) demand more.  On success the verified claims are
    on ``flask.g.cognito_claims`` (also returned by `current_claims`) before
    the view runs.  Otherwise the request is answered through
    `cognito_jwt.http`: 400, 401, 403 or 503, with the RFC 6750
    ``WWW-Authenticate`` header.

    Args:
        verifier: the verifier to use; ``None`` uses the one registered by
            `CognitoJwt` on the current app, looked up per request.
        requirement: a requirement built once with `cognito_jwt.http.require`
            / `cognito_jwt.http.any_of`, instead of `groups` / `scopes`.
        groups: Cognito groups the route requires (any one, by default).
        scopes: OAuth scopes the route requires (any one, by default); only
            access tokens carry scopes.  Both given: both must hold.
        require_all_groups: require every listed group.
        require_all_scopes: require every listed scope.
        acr_values: step-up: the `acr` values accepted, in order of preference.
        min_acr_level: step-up: the weakest default Cognito level accepted (1-4).
        max_auth_age: step-up: the oldest sign-in accepted, in seconds; a token
            that falls short of a step-up demand gets 401 with the RFC 9470
            challenge.
        realm: ``realm`` for the challenge; defaults to the extension's.

    Raises:
        ConfigurationError: at decoration time: an empty group/scope, an unsafe
            realm, something other than a verifier instance where the verifier
            belongs, a class to decorate, or a requirement this verifier's
            tokens can never meet (scopes of ID tokens).
    """
    if _is_view(verifier):
        bare: Callable[[Callable[P, R]], Callable[P, R]] = require_auth()
        return bare(cast(Callable[P, R], verifier))
    given = None if verifier is None else _checked_verifier(verifier, "require_auth(verifier)")
    need = http.Requirement.of(
        requirement,
        groups=groups,
        scopes=scopes,
        require_all_groups=require_all_groups,
        require_all_scopes=require_all_scopes,
        acr_values=acr_values,
        min_acr_level=min_acr_level,
        max_auth_age=max_auth_age,
    )
    if given is not None:
        need.check_possible(given)
    realm = http.check_realm(realm)

    def authenticate() -> None:
        if given is not None:
            active_verifier, active_realm = given, realm
        else:
            state = _state(realm)
            active_verifier = state.verifier
            active_realm = realm if realm is not None else state.realm
        # The WSGI environ directly: `request.headers` would first build an
        # EnvironHeaders view and translate the name, for the same string.
        environ = request.environ
        try:
            g.cognito_claims = http.authenticate(
                active_verifier,
                lambda name: environ.get("HTTP_" + name.upper().replace("-", "_")),
                requirement=need,
                realm=active_realm,
                method=environ.get("REQUEST_METHOD"),
                path=environ.get("PATH_INFO"),
            )
        except http.Rejection as rejected:
            _abort(rejected)

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        if isinstance(view, type):
            raise ConfigurationError(
                f"require_auth: expected a view function, found the class {view.__name__}; "
                "for a MethodView list it in the class's decorators: "
                "decorators = [require_auth(...)]"
            )
        if not callable(view):
            raise ConfigurationError(f"require_auth: expected a view function, found {view!r}")
        registrar = _registered_by(view, sys._getframe(1))
        if registrar is not None:
            raise ConfigurationError(
                f"require_auth: {getattr(view, '__name__', view)!r} is already served by "
                f"{registrar}, so the route would serve it unprotected: @require_auth was "
                "applied above @app.route; put @app.route(...) outermost (first), "
                "then @require_auth(...)"
            )
        if inspect.iscoroutinefunction(view):
            # Flask runs a view as a coroutine only if the function it gets is
            # one, so an async view needs an async wrapper.  Verification stays
            # synchronous: Flask runs each async view to completion on an event
            # loop of its own, so awaiting the verifier would gain nothing.
            @functools.wraps(view)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                authenticate()
                return await view(*args, **kwargs)

            _WRAPPED.add(view)
            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            authenticate()
            return view(*args, **kwargs)

        _WRAPPED.add(view)
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


def _state(realm: str | None) -> _State:
    """The current app's extension state; without one, the request is answered 500.

    ``@require_auth()`` without a verifier is decorated before any app exists
    (blueprints, the application factory), so only the request can tell that
    ``CognitoJwt(app)`` never ran.  Then no request reaches the view: each is
    answered 500 `configuration_error` (a JSON body like every other refusal,
    whatever the app's debug or testing settings) and an ERROR names the fix.
    """
    state = current_app.extensions.get(EXTENSION_NAME)
    if not isinstance(state, _State):
        error = ConfigurationError(
            f"require_auth() without a verifier: expected the {EXTENSION_NAME!r} extension on "
            f"the app {current_app.name!r}, found none; call CognitoJwt(app) or "
            "cognito.init_app(app) where the app is created, or pass the verifier: "
            "require_auth(verifier, ...)"
        )
        _abort(http.rejection(error, realm=realm, method=request.method, path=request.path))
    return state


def _abort(rejected: http.Rejection) -> NoReturn:
    """Raise the HTTPException (with its ready response) carrying `cognito_jwt.http`'s answer."""
    response = Response(
        json.dumps(rejected.body),
        status=rejected.status_code,
        headers=rejected.headers,
        mimetype="application/json",
    )
    exception_class: type[HTTPException] = default_exceptions.get(
        rejected.status_code, InternalServerError
    )
    raise exception_class(description=rejected.reason, response=response) from rejected


_rehome(__name__, globals(), __all__)
