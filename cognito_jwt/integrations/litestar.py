"""Litestar 2.x: an authentication middleware and guards for groups and scopes.

Usage::

    from litestar import Litestar, get
    from litestar.middleware.base import DefineMiddleware
    from cognito_jwt.integrations.litestar import CognitoAuthMiddleware, require_groups

    @get("/me")
    async def me(request: Request[CognitoUser, Claims, Any]) -> dict[str, str]:
        return {"sub": request.auth["sub"]}

    @get("/reports", guards=[require_groups("admin")])
    async def reports() -> list[str]: ...

    @get("/health", exclude_from_auth=True)
    async def health() -> str: ...

    app = Litestar(
        [me, reports, health],
        middleware=[DefineMiddleware(CognitoAuthMiddleware, verifier=verifier)],
    )

Supported: Litestar 2 (``litestar>=2,<3``).  What Litestar's model decides here:

* Its authentication middleware guards every route it is not told to skip,
  so a request without a token is 401 (with the bare challenge), like a bad
  one.  Skip a route with ``exclude_from_auth=True`` on the handler.
* Litestar's ``exclude=`` is a regular expression **searched** anywhere in
  the path: ``exclude="/public"`` also skips ``/public-admin`` and
  ``/api/public/secrets``.  This middleware refuses an ``exclude`` pattern that
  is not anchored at both ends (``"^/public(/.*)?$"``) when the application
  is built.
* Refusals are Litestar's own `NotAuthorizedException`,
  `PermissionDeniedException` and `HTTPException` (400, 503), carrying the
  RFC 6750 challenge in ``headers`` and `cognito_jwt.http`'s
  ``{"error", "reason"}`` as ``extra`` (the ``detail`` is the reason), so
  Litestar's exception handlers render them.
* ``request.auth`` is the verified claims, ``request.user`` a `CognitoUser`.
  The guards check groups and scopes as `cognito_jwt.http` does (403
  `insufficient_scope`); on a route the middleware skipped they answer 401,
  never let the request through.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

try:
    from litestar.connection import ASGIConnection
    from litestar.exceptions import (
        HTTPException,
        NotAuthorizedException,
        PermissionDeniedException,
    )
    from litestar.handlers.base import BaseRouteHandler
    from litestar.middleware.authentication import (
        AbstractAuthenticationMiddleware,
        AuthenticationResult,
    )
    from litestar.types import ASGIApp, Method, Scopes
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    if (exc.name or "").split(".")[0] != "litestar":
        raise
    raise ImportError(
        'cognito_jwt.integrations.litestar needs Litestar 2: pip install "cognito-jwt[litestar]"'
    ) from exc

from cognito_jwt.errors import ConfigurationError
from cognito_jwt.http import (
    Rejection,
    Requirement,
    authenticate_async,
    authorize,
    check_realm,
    rejection,
    require,
)
from cognito_jwt.integrations._common import checked_verifier, claim_groups, claim_scopes

__all__ = [
    "CognitoAuthMiddleware",
    "CognitoUser",
    "require_any",
    "require_groups",
    "require_scopes",
]

logger = logging.getLogger("cognito_jwt.integrations")

#: Where the middleware marks the requests it authenticated, for the guards.
_MIDDLEWARE_KEY = "cognito_jwt.middleware"


def _exception(refusal: Rejection) -> HTTPException:
    """The Litestar exception answering `refusal`: status, challenge, body as `extra`."""
    options: dict[str, Any] = {
        "detail": refusal.reason,
        "headers": refusal.headers or None,
        "extra": dict(refusal.body),
    }
    if refusal.status_code == 401:
        return NotAuthorizedException(**options)
    if refusal.status_code == 403:
        return PermissionDeniedException(**options)
    return HTTPException(status_code=refusal.status_code, **options)


def _method(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The request's method, for log lines (a websocket has none)."""
    method = connection.scope.get("method")
    return method if isinstance(method, str) else None


class CognitoUser:
    """`request.user` for a verified token.

    Attributes:
        claims: the verified claims (also `request.auth`).
        groups: the Cognito groups (`cognito:groups`).
        scopes: the OAuth scopes (`scope`, access tokens only).
    """

    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims
        self.groups: frozenset[str] = claim_groups(claims)
        self.scopes: frozenset[str] = claim_scopes(claims)

    @property
    def sub(self) -> str:
        """The user's (or M2M client's) stable identifier."""
        sub = self.claims.get("sub")
        return sub if isinstance(sub, str) else ""

    def __repr__(self) -> str:
        return f"CognitoUser(sub={self.sub!r})"


def check_exclude(exclude: str | list[str] | None) -> str | list[str] | None:
    """Refuse `exclude` patterns that skip more paths than they name.

    Litestar searches each pattern anywhere in the path, so only a pattern
    anchored at both ends (`^` ... `$`) names exactly the paths it skips.

    Raises:
        ConfigurationError: a pattern is not anchored, or does not compile.
    """
    if exclude is None:
        return None
    for pattern in [exclude] if isinstance(exclude, str) else exclude:
        if not isinstance(pattern, str) or not pattern.startswith("^") or not pattern.endswith("$"):
            raise ConfigurationError(
                f"exclude={pattern!r}: Litestar searches this regular expression anywhere in the "
                f"path, so it would also skip authentication on e.g. {_sibling(pattern)!r}; "
                "anchor it at both ends (exclude='^/public(/.*)?$'), or mark the route "
                "handler with exclude_from_auth=True"
            )
        try:
            re.compile(pattern)
        except re.error as error:
            raise ConfigurationError(f"exclude={pattern!r} is not a regular expression") from error
    return exclude


def _sibling(pattern: object) -> str:
    text = pattern if isinstance(pattern, str) else ""
    return text.rstrip("$").lstrip("^") + "-admin"


class CognitoAuthMiddleware(AbstractAuthenticationMiddleware):
    """Litestar authentication middleware verifying the request's token.

    Add it with ``DefineMiddleware(CognitoAuthMiddleware, verifier=verifier)``.
    Every route it does not skip needs a valid token: 401 without one (bare
    challenge) or with a bad one, 400 for a repeated header, 503 when the
    keys are unavailable.

    Args:
        app: the next ASGI app (Litestar passes it).
        verifier: a `CognitoJwtVerifier` (or any verifier with
            `verify_async`; an `AlbJwtVerifier` reads `x-amzn-oidc-data`).
        exclude: Litestar's path patterns to skip, anchored at both ends.
        exclude_from_auth_key: the handler `opt` key that skips a route.
        exclude_http_methods: methods that skip authentication (`OPTIONS`).
        scopes: the ASGI scope types to authenticate.

    Raises:
        ConfigurationError: no verifier instance, or an unanchored `exclude`.
    """

    __slots__ = ("realm", "verifier")

    def __init__(  # noqa: PLR0917 - Litestar's own positional order, then ours
        self,
        app: ASGIApp,
        verifier: Any = None,
        exclude: str | list[str] | None = None,
        exclude_from_auth_key: str = "exclude_from_auth",
        exclude_http_methods: Sequence[Method] | None = None,
        scopes: Scopes | None = None,
        realm: str | None = None,
    ) -> None:
        checked_verifier(
            verifier,
            "CognitoAuthMiddleware(verifier)",
            method="verify_async",
            fix="build it once and pass that: DefineMiddleware(CognitoAuthMiddleware, "
            "verifier=CognitoJwtVerifier(...))",
        )
        super().__init__(
            app,
            exclude=check_exclude(exclude),
            exclude_from_auth_key=exclude_from_auth_key,
            exclude_http_methods=exclude_http_methods,
            scopes=scopes,
        )
        self.verifier = verifier
        self.realm = check_realm(realm)

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """The user and claims of a valid token; raise Litestar's 401/403/400/503 otherwise."""
        try:
            claims = await authenticate_async(
                self.verifier,
                connection.scope["headers"],
                realm=self.realm,
                method=_method(connection),
                path=connection.scope["path"],
            )
        except Rejection as refusal:
            raise _exception(refusal) from refusal
        connection.scope[_MIDDLEWARE_KEY] = self  # type: ignore[literal-required]
        return AuthenticationResult(user=CognitoUser(claims), auth=claims)


class _Guard:
    """A Litestar guard: the request's verified claims meet a requirement, else 403 (or 401)."""

    def __init__(self, requirement: Requirement, name: str) -> None:
        self.requirement = requirement
        self.__name__ = name

    def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        """Raise Litestar's 403 (`insufficient_scope`), or 401 if the middleware did not run."""
        middleware = connection.scope.get(_MIDDLEWARE_KEY)
        method, path = _method(connection), connection.scope["path"]
        if not isinstance(middleware, CognitoAuthMiddleware):
            logger.error(
                "%s on %s: CognitoAuthMiddleware did not authenticate this request (route "
                "excluded, or middleware missing); refusing it",
                self.__name__,
                path,
            )
            raise _exception(rejection(None, method=method, path=path))
        try:
            authorize(
                connection.scope["auth"],
                self.requirement,
                realm=middleware.realm,
                method=method,
                path=path,
            )
        except Rejection as refusal:
            raise _exception(refusal) from refusal

    def __repr__(self) -> str:
        return self.__name__


def _values(kind: str, values: tuple[Any, ...]) -> tuple[str, ...]:
    if values and isinstance(values[0], ASGIConnection):
        # guards=[require_groups]: Litestar calls the factory with the request.
        logger.error(
            "require_%s was listed in guards= without being called; list "
            "require_%s(...) instead; refusing the request",
            kind,
            kind,
        )
        raise PermissionDeniedException(detail=f"require_{kind} listed without its {kind}")
    if len(values) == 1 and not isinstance(values[0], str) and isinstance(values[0], Sequence):
        values = tuple(values[0])
    if not values:
        raise ConfigurationError(f"require_{kind}() needs at least one {kind[:-1]}")
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(f"require_{kind}: {kind} must be non-empty, got {value!r}")
    return values


def require_groups(*groups: str | Sequence[str], require_all: bool = False) -> _Guard:
    """A guard: the caller is in one of `groups` (all of them with `require_all`).

    Answered 403 `insufficient_scope` (`missing_group`); 401 on a route the
    middleware skipped.

    Raises:
        ConfigurationError: no group, an empty one, or the guard's factory
            itself listed in ``guards=`` (call it: ``require_groups("admin")``).
    """
    values = _values("groups", groups)
    need = require(groups=values, require_all_groups=require_all)
    return _Guard(need, f"require_groups{values}")


def require_scopes(*scopes: str | Sequence[str], require_all: bool = False) -> _Guard:
    """A guard: the token holds one of `scopes` (all of them with `require_all`).

    Answered 403 `insufficient_scope` (`missing_scope`, the scopes in the
    challenge); 401 on a route the middleware skipped.

    Raises:
        ConfigurationError: no scope or an empty one.
    """
    values = _values("scopes", scopes)
    need = require(scopes=values, require_all_scopes=require_all)
    return _Guard(need, f"require_scopes{values}")


def require_any(*requirements: Requirement) -> _Guard:
    """A guard met when any one of `requirements` is (`cognito_jwt.http.require` / `any_of`).

    ``require_any(require(groups="admin"), require(scopes="orders/admin"))``:
    an admin user, or an M2M client holding the scope.

    Raises:
        ConfigurationError: no requirement, or something that is not one.
    """
    from cognito_jwt.http import any_of

    need = any_of(*requirements)
    return _Guard(need, f"require_any{requirements}")
