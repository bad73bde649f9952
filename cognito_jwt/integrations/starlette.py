"""Starlette integration: an authentication backend and a `requires` that challenges.

Usage::

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from cognito_jwt.integrations.starlette import CognitoAuthBackend, requires

    backend = CognitoAuthBackend(verifier)
    app = Starlette(
        routes=[...],
        middleware=[
            Middleware(AuthenticationMiddleware, backend=backend, on_error=backend.on_error)
        ],
    )

    @requires("orders/read")
    async def orders(request):
        claims = request.user.claims
        ...

Starlette's model decides what this module does:

* `AuthenticationMiddleware` asks the backend once per request.  A request
  **without** a token is anonymous (`request.user.is_authenticated` is false),
  so public routes keep working; a request with a **bad** token is refused
  with 401 and the RFC 6750 challenge on every route, public ones included
  (as `optional()` does in FastAPI): a client with a broken token learns it.
* `request.auth.scopes` holds `"authenticated"` and the token's OAuth scopes
  only, never group names, so a Cognito group can never satisfy a scope check.
  Groups and claims are on `request.user` (a `CognitoUser`).
* Starlette's own `starlette.authentication.requires` answers 403 without a
  challenge, even to an anonymous caller.  `requires` of this module keeps its
  call shape and answers 401 with the bare challenge to anonymous callers and
  403 `insufficient_scope` (the scopes in the challenge) to callers lacking a
  scope, exactly as `cognito_jwt.http` answers.

Every answer comes from `cognito_jwt.http`, the one home of the mapping from a
verification outcome to HTTP.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ParamSpec, TypeVar, cast

try:
    from starlette.authentication import (
        AuthCredentials,
        AuthenticationBackend,
        AuthenticationError,
        BaseUser,
    )
    from starlette.middleware.authentication import AuthenticationMiddleware
    from starlette.requests import HTTPConnection, Request
    from starlette.responses import JSONResponse, Response
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    if (exc.name or "").split(".")[0] != "starlette":
        raise
    raise ImportError(
        'cognito_jwt.integrations.starlette needs Starlette: pip install "cognito-jwt[starlette]"'
    ) from exc

from cognito_jwt.errors import ConfigurationError
from cognito_jwt.http import (
    MISSING_TOKEN,
    Rejection,
    Requirement,
    authenticate_async,
    authorize,
    check_realm,
    rejection,
)
from cognito_jwt.integrations._common import checked_verifier, claim_groups, claim_scopes

__all__ = ["CognitoAuthBackend", "CognitoAuthenticationError", "CognitoUser", "requires"]

logger = logging.getLogger("cognito_jwt.integrations")

#: The scope Starlette's convention grants every authenticated caller.
AUTHENTICATED = "authenticated"
#: Where the backend leaves itself in the ASGI scope, for `requires`.
_BACKEND_KEY = "cognito_jwt.backend"

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _answer(refusal: Rejection) -> Response:
    """The JSON response carrying a `Rejection`: its status, challenge and body."""
    return JSONResponse(refusal.body, status_code=refusal.status_code, headers=refusal.headers)


class CognitoUser(BaseUser):
    """The caller of a request whose token verified: `request.user`.

    Attributes:
        claims: the verified claims.
        groups: the Cognito groups (`cognito:groups`).
        scopes: the OAuth scopes (`scope`, access tokens only).
    """

    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims
        self.groups: frozenset[str] = claim_groups(claims)
        self.scopes: frozenset[str] = claim_scopes(claims)

    @property
    def is_authenticated(self) -> bool:
        """Always true: an anonymous request gets Starlette's `UnauthenticatedUser`."""
        return True

    @property
    def display_name(self) -> str:
        """`cognito:username`, else `username` (access tokens), else the `sub`."""
        for claim in ("cognito:username", "username", "sub"):
            value = self.claims.get(claim)
            if isinstance(value, str):
                return value
        return ""

    @property
    def identity(self) -> str:
        """The `sub`: the user's (or M2M client's) stable identifier."""
        sub = self.claims.get("sub")
        return sub if isinstance(sub, str) else ""


class CognitoAuthenticationError(AuthenticationError):
    """A request's token was refused; carries the `Rejection` to answer with."""

    def __init__(self, refusal: Rejection) -> None:
        super().__init__(refusal.reason)
        self.rejection = refusal


class CognitoAuthBackend(AuthenticationBackend):
    """A Starlette `AuthenticationBackend` verifying the request's bearer token.

    Pass it to `AuthenticationMiddleware` with `on_error=backend.on_error`:
    Starlette's default `on_error` answers a refused token with 400 and the
    error's text.  Should it be forgotten, the backend answers through its own
    `on_error` all the same (and logs a WARNING naming the fix), so a bad token
    is a 401, never a 400.

    Args:
        verifier: a `CognitoJwtVerifier` (or any verifier with `verify_async`);
            it also decides which header carries the token (see
            `cognito_jwt.http`).
        realm: the challenge's `realm`, if any.

    Raises:
        ConfigurationError: `verifier` is not a verifier instance, or the realm
            cannot be put in a header.
    """

    def __init__(self, verifier: Any, *, realm: str | None = None) -> None:
        self.verifier = checked_verifier(
            verifier, "CognitoAuthBackend(verifier)", method="verify_async"
        )
        self.realm = check_realm(realm)

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        """Credentials and user for a good token, `None` for no token; raise for a bad one.

        Raises:
            CognitoAuthenticationError: the token was refused (answered by
                `on_error`: 401, 403, 400 for a repeated header, 503).
        """
        conn.scope[_BACKEND_KEY] = self
        try:
            claims = await authenticate_async(
                self.verifier,
                conn.headers,
                realm=self.realm,
                method=conn.scope.get("method"),
                path=conn.url.path,
            )
        except Rejection as refusal:
            if refusal.reason == MISSING_TOKEN:
                return None
            self._answer_through_on_error(sys._getframe(1))
            raise CognitoAuthenticationError(refusal) from refusal
        user = CognitoUser(claims)
        return AuthCredentials([AUTHENTICATED, *sorted(user.scopes)]), user

    @staticmethod
    def on_error(conn: HTTPConnection, exc: Exception) -> Response:  # noqa: ARG004
        """`AuthenticationMiddleware`'s `on_error`: the refusal as `cognito_jwt.http` answers it.

        An `AuthenticationError` of another backend is answered as an invalid
        token (401 with the challenge) rather than Starlette's 400.
        """
        if isinstance(exc, CognitoAuthenticationError):
            return _answer(exc.rejection)
        from cognito_jwt.errors import InvalidTokenError

        return _answer(rejection(InvalidTokenError(str(exc) or "authentication failed")))

    def _answer_through_on_error(self, frame: Any) -> None:
        """Make the middleware that called us answer with `on_error`, not Starlette's 400.

        The backend cannot see how the middleware was built, but the
        middleware awaiting it is on the call stack: when its `on_error` is
        still Starlette's `default_on_error`, it is pointed at ours, once, with
        a WARNING that names the fix.
        """
        for _ in range(3):
            if frame is None:
                return
            middleware = frame.f_locals.get("self")
            if isinstance(middleware, AuthenticationMiddleware) and middleware.backend is self:
                if middleware.on_error is AuthenticationMiddleware.default_on_error:
                    logger.warning(
                        "AuthenticationMiddleware was given CognitoAuthBackend without "
                        "on_error=backend.on_error; Starlette would answer refused tokens with "
                        "400, so the backend's on_error answers them instead"
                    )
                    middleware.on_error = self.on_error
                return
            frame = frame.f_back


def requires(
    scopes: str | Sequence[str],
    *,
    groups: str | Sequence[str] | None = None,
    require_all_groups: bool = False,
    requirement: Requirement | None = None,
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Starlette's `requires`, answering as a bearer API should.

    `@requires("orders/read")` (or a list: **every** listed scope is needed,
    Starlette's meaning) protects an endpoint taking a `request` argument:

    * an anonymous caller gets 401 with the bare `Bearer` challenge
      (Starlette's own `requires` answers 403 without one);
    * a caller lacking a scope gets 403 `insufficient_scope`, the required
      scopes in the challenge;
    * `groups=` adds Cognito groups (any one, or all with
      `require_all_groups`), answered 403 `missing_group`;
    * `requirement=` takes one built with `cognito_jwt.http.require` /
      `any_of` instead ("an admin, or an M2M client with a scope").

    `"authenticated"` in `scopes` is Starlette's convention for "signed in"
    and is always implied: `@requires([])` still refuses anonymous callers.

    Raises:
        ConfigurationError: used bare (`@requires`), or on a function without
            a `request` argument, or an empty scope or group.
    """
    if callable(scopes):
        raise ConfigurationError(
            "requires must be called with the scopes it demands: "
            '@requires("authenticated") or @requires(["orders/read"]), not bare @requires'
        )
    listed = [scopes] if isinstance(scopes, str) else list(scopes)
    oauth_scopes = [scope for scope in listed if scope != AUTHENTICATED]
    need = Requirement.of(
        requirement,
        groups=groups,
        scopes=oauth_scopes or None,
        require_all_groups=require_all_groups,
        require_all_scopes=True,
    )

    def decorator(func: Callable[_P, _R]) -> Callable[_P, _R]:
        names = list(inspect.signature(func).parameters)
        if "request" not in names:
            raise ConfigurationError(
                f"requires: {func.__qualname__} has no 'request' argument to check"
            )
        index = names.index("request")

        def refusal(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Response | None:
            request = kwargs.get("request", args[index] if index < len(args) else None)
            assert isinstance(request, Request), type(request)
            return _refusal(request, need)

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Any:
                refused = refusal(args, kwargs)
                if refused is not None:
                    return refused
                return await cast(Callable[..., Awaitable[Any]], func)(*args, **kwargs)

            return cast(Callable[_P, _R], async_wrapper)

        @functools.wraps(func)
        def sync_wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Any:
            refused = refusal(args, kwargs)
            if refused is not None:
                return refused
            return func(*args, **kwargs)

        return cast(Callable[_P, _R], sync_wrapper)

    return decorator


def _refusal(request: Request, need: Requirement) -> Response | None:
    """The answer to a request `need` refuses, or `None` to let it through."""
    user = request.scope.get("user")
    backend = request.scope.get(_BACKEND_KEY)
    realm = backend.realm if isinstance(backend, CognitoAuthBackend) else None
    method, path = request.method, request.url.path
    if isinstance(user, CognitoUser) and backend is not None:
        try:
            authorize(user.claims, need, realm=realm, method=method, path=path)
        except Rejection as refused:
            return _answer(refused)
        return None
    if backend is None:
        logger.error(
            "requires: %s %s reached a protected endpoint without CognitoAuthBackend having run; "
            "add Middleware(AuthenticationMiddleware, backend=CognitoAuthBackend(verifier), "
            "on_error=CognitoAuthBackend.on_error) to the application",
            request.method,
            request.url.path,
        )
    return _answer(rejection(None, realm=realm, method=method, path=path))
