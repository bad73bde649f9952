"""django-ninja: `CognitoBearer` for `auth=`, and `install(api)` for the challenge.

Usage::

    from ninja import NinjaAPI
    from cognito_jwt.integrations.ninja import CognitoBearer, install

    api = NinjaAPI(auth=CognitoBearer(verifier))
    install(api)

    @api.get("/me")
    def me(request):
        return {"sub": request.auth["sub"]}

    @api.delete("/orders/{order_id}", auth=CognitoBearer(verifier, groups="admin"))
    def delete_order(request, order_id: int):
        ...

What django-ninja's model decides here:

* Ninja treats any truthy return of an `auth=` callable as success and turns
  an exception it has no handler for into a 500 when `DEBUG` is off.  So
  `CognitoBearer` returns the verified claims (never empty) or raises one of
  ninja's own error classes: `AuthenticationError` (401),
  `AuthorizationError` (403) or `HttpError` (400, 503).  It never returns a
  response object, which ninja would take for a user.
* A request **without** a token returns `None`, ninja's "not mine": the next
  `auth=` callable is tried, and if none accepts, ninja answers 401.
* Ninja's error classes carry no headers and render `{"detail": ...}`.
  `install(api)` adds the exception handlers that answer exactly as
  `cognito_jwt.http` does: the `WWW-Authenticate` challenge and the
  `{"error", "reason"}` body.  Forgetting it still answers 401/403/503
  (ninja's body, no challenge), never 500 and never 200.
* Ninja awaits what an auth callable marked `is_async` returns when it runs
  an `async def` operation (on the event loop), and takes what it returns for
  a plain one.  `CognitoBearer` is so marked: in an async operation it awaits
  the verifier's `verify_async` (no worker thread, no blocked loop); in a
  plain operation, which ninja runs in a thread of its own, it calls `verify`
  there, as before.
* Called from any coroutine (ninja's, or an `auth=` function of yours that
  combines schemes), it returns an awaitable of the claims, which must be
  awaited: `claims = await bearer(request)`.  Testing the awaitable itself
  for truth (`return bearer(request) or other(request)`) raises `TypeError`
  instead of being truthy, so a forgotten `await` can never authenticate.
* Ninja views are CSRF-exempt; a token an ALB put in `x-amzn-oidc-*` (from its
  session cookie, which a browser sends on its own) is CSRF-checked on unsafe
  methods, as ninja's cookie authentication does.

The claims are `request.auth` (ninja's convention) and `request.cognito_claims`.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Generator, Sequence
from typing import Any, NoReturn

try:
    from asgiref.sync import sync_to_async
    from django.http import HttpRequest, HttpResponse
    from ninja import NinjaAPI
    from ninja.errors import AuthenticationError, AuthorizationError, HttpError
    from ninja.security.http import HttpBearer
    from ninja.utils import check_csrf
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    if (exc.name or "").split(".")[0] not in ("ninja", "django"):
        raise
    raise ImportError(
        'cognito_jwt.integrations.ninja needs django-ninja: pip install "cognito-jwt[ninja]"'
    ) from exc

from cognito_jwt._verifier import refuse_async_only
from cognito_jwt.errors import ConfigurationError
from cognito_jwt.http import (
    MISSING_TOKEN,
    Rejection,
    Requirement,
    authenticate,
    authenticate_async,
    check_realm,
    rejection,
)
from cognito_jwt.integrations._common import checked_verifier
from cognito_jwt.integrations.django import ambient_credentials

__all__ = [
    "CognitoAuthenticationError",
    "CognitoAuthorizationError",
    "CognitoBearer",
    "CognitoHttpError",
    "install",
]

logger = logging.getLogger("cognito_jwt.integrations")

#: Where `CognitoBearer` leaves http's answer to "no token" for `install`'s handler.
_MISSING_ATTR = "_cognito_jwt_missing"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CognitoAuthenticationError(AuthenticationError):
    """401: ninja's `AuthenticationError`, carrying `cognito_jwt.http`'s `Rejection`."""

    def __init__(self, refusal: Rejection) -> None:
        super().__init__(refusal.status_code, refusal.reason)
        self.rejection = refusal


class CognitoAuthorizationError(AuthorizationError):
    """403: ninja's `AuthorizationError`, carrying the `Rejection` (`insufficient_scope`)."""

    def __init__(self, refusal: Rejection) -> None:
        super().__init__(refusal.status_code, refusal.reason)
        self.rejection = refusal


class CognitoHttpError(HttpError):
    """400 (a repeated header) or 503 (keys unavailable): ninja's `HttpError`, with the answer."""

    def __init__(self, refusal: Rejection) -> None:
        super().__init__(refusal.status_code, refusal.reason)
        self.rejection = refusal


def _refuse(request: HttpRequest, refusal: Rejection) -> None:
    """Raise ninja's error for `refusal`; without a token, leave the answer for `install`.

    Without a token the caller returns `None`, ninja's "not mine", so that a
    further `auth=` callable may accept the request.
    """
    if refusal.reason != MISSING_TOKEN:
        raise _error(refusal) from refusal
    setattr(request, _MISSING_ATTR, refusal)


def _error(refusal: Rejection) -> HttpError:
    if refusal.status_code == 401:
        return CognitoAuthenticationError(refusal)
    if refusal.status_code == 403:
        return CognitoAuthorizationError(refusal)
    return CognitoHttpError(refusal)


class _PendingClaims(Awaitable[dict[str, Any] | None]):
    """The claims, once awaited; never true or false until then.

    `CognitoBearer` returns this to a coroutine.  A bare coroutine object is
    truthy, so a caller that forgot `await` (`return bearer(request) or None`
    in an `async def auth=` function) would authenticate every request, a
    forged token too.  This awaitable refuses to have a truth value at all:
    it closes the verification it holds (nothing runs, no "never awaited"
    warning) and raises `TypeError` naming the fix.
    """

    __slots__ = ("_coroutine",)

    def __init__(self, coroutine: Coroutine[Any, Any, dict[str, Any] | None]) -> None:
        self._coroutine = coroutine

    def __await__(self) -> Generator[Any, None, dict[str, Any] | None]:
        return self._coroutine.__await__()

    def __bool__(self) -> NoReturn:
        self._coroutine.close()
        raise TypeError(
            "CognitoBearer(...)(request) called from a coroutine returns an awaitable "
            "of the claims, not the claims: await it (claims = await bearer(request)); "
            "its truth value would say nothing about the token"
        )


class CognitoBearer(HttpBearer):
    """An `auth=` callable for django-ninja verifying the request's token.

    Declared to OpenAPI as an HTTP bearer scheme.  Returns the verified claims,
    `None` without a token (so a further `auth=` callable may accept the
    request), and raises ninja's 401/403/400/503 error classes otherwise.

    Args:
        verifier: a `CognitoJwtVerifier` (or any verifier; an `AlbJwtVerifier`
            reads `x-amzn-oidc-data`).
        groups: Cognito groups; any one suffices unless `require_all_groups`.
        scopes: OAuth scopes (access tokens); any one unless `require_all_scopes`.
        require_all_groups: demand every group.
        require_all_scopes: demand every scope.
        requirement: one built with `cognito_jwt.http.require` / `any_of`,
            instead of `groups`/`scopes`.
        realm: the challenge's `realm`, if any.

    Raises:
        ConfigurationError: `verifier` is not a verifier instance; a group or
            scope is empty; scopes demanded of an ID-token verifier.
    """

    #: Ninja reads `openapi_*` attributes into the security scheme, by these names.
    openapi_bearerFormat = "JWT"

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """Refuse (401) when the class itself was given as `auth=` (parentheses forgotten).

        Ninja then calls the class with the request; instead of a
        `TypeError` (a 500), every request is refused and an ERROR names the fix.
        """
        if len(args) == 1 and not kwargs and isinstance(args[0], HttpRequest):
            logger.error(
                "auth=CognitoBearer was given the class; give an instance: "
                "auth=CognitoBearer(verifier); refusing the request"
            )
            raise CognitoAuthenticationError(rejection(None))
        return super().__new__(cls)

    def __init__(
        self,
        verifier: Any,
        *,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
        requirement: Requirement | None = None,
        realm: str | None = None,
    ) -> None:
        checked_verifier(verifier, "CognitoBearer(verifier)")
        # The same instance may guard plain operations, which verify synchronously.
        refuse_async_only(verifier, "CognitoBearer")
        self.verifier = verifier
        self.requirement = Requirement.of(
            requirement,
            groups=groups,
            scopes=scopes,
            require_all_groups=require_all_groups,
            require_all_scopes=require_all_scopes,
        )
        self.requirement.check_possible(verifier)
        self.realm = check_realm(realm)
        super().__init__()
        # Ninja awaits what an `is_async` callable returns in async operations
        # and takes it as it is in plain ones; `__call__` returns a coroutine
        # only to a coroutine (see the module docstring).
        self.is_async = True

    def __call__(
        self, request: HttpRequest
    ) -> dict[str, Any] | Awaitable[dict[str, Any] | None] | None:
        """The verified claims (an awaitable of them for a coroutine); `None` without a token.

        Ninja calls this from a coroutine for an `async def` operation, and
        awaits what an `is_async` callable returns; for a plain operation it
        calls it from a plain function, in the operation's thread, and takes
        what it returns.  So the caller decides, not whether a loop happens to
        run in this thread: a plain operation called from an async test (a
        sync test client inside a loop) still verifies synchronously.

        Any coroutine gets the awaitable, not only ninja's: an `auth=`
        function combining schemes writes `claims = await bearer(request)`.
        The awaitable has no truth value (`TypeError`), so a forgotten
        `await` fails closed instead of authenticating every request.

        Raises:
            CognitoAuthenticationError: (401), `CognitoAuthorizationError` (403)
                or `CognitoHttpError` (400, 503): the token was refused.
        """
        if sys._getframe(1).f_code.co_flags & inspect.CO_COROUTINE:
            return _PendingClaims(self._verified_async(request))
        return self._verified(request)

    def _verified(self, request: HttpRequest) -> dict[str, Any] | None:
        try:
            claims = authenticate(
                self.verifier,
                request.headers,
                requirement=self.requirement,
                realm=self.realm,
                method=request.method,
                path=request.path,
            )
        except Rejection as refusal:
            _refuse(request, refusal)
            return None
        if self._csrf_applies(request) and check_csrf(request):
            raise HttpError(403, "CSRF check Failed")
        request.cognito_claims = claims  # type: ignore[attr-defined]
        return claims

    async def _verified_async(self, request: HttpRequest) -> dict[str, Any] | None:
        try:
            claims = await authenticate_async(
                self.verifier,
                request.headers,
                requirement=self.requirement,
                realm=self.realm,
                method=request.method,
                path=request.path,
            )
        except Rejection as refusal:
            _refuse(request, refusal)
            return None
        # Django's CSRF check may read the session (a database): not on the loop.
        if self._csrf_applies(request) and await sync_to_async(check_csrf)(request):
            raise HttpError(403, "CSRF check Failed")
        request.cognito_claims = claims  # type: ignore[attr-defined]
        return claims

    def _csrf_applies(self, request: HttpRequest) -> bool:
        """An unsafe method on a token the browser sent by itself (an ALB's header)."""
        return (
            request.method not in _SAFE_METHODS
            and ambient_credentials(request, self.verifier)
            and not getattr(request, "_ninja_csrf_exempt", False)
        )

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        """Unused: `__call__` reads the headers through `cognito_jwt.http`."""
        raise NotImplementedError  # pragma: no cover


def install(api: NinjaAPI) -> NinjaAPI:
    """Make `api` answer `CognitoBearer`'s refusals as `cognito_jwt.http` does.

    Adds exception handlers that put the `WWW-Authenticate` challenge and the
    `{"error", "reason"}` body on the response, through the API's own
    renderer.  Ninja's 401 when no `auth=` callable accepted a request gets the
    bare challenge and the `missing_token` body when a `CognitoBearer` was
    among them; any other 401 keeps the handler it had.  Calling it twice is
    harmless.

    Returns:
        `api`, for `api = install(NinjaAPI(...))`.

    Raises:
        ConfigurationError: `api` is not a `NinjaAPI` instance.
    """
    if not isinstance(api, NinjaAPI):
        raise ConfigurationError(f"install(api) needs a NinjaAPI instance, got {api!r}")

    def respond(request: HttpRequest, exc: Exception) -> HttpResponse:
        refusal: Rejection = exc.rejection  # type: ignore[attr-defined]
        response = api.create_response(request, refusal.body, status=refusal.status_code)
        for name, value in refusal.headers.items():
            response[name] = value
        return response

    previous: Callable[[HttpRequest, Exception], HttpResponse] | None
    previous = api._lookup_exception_handler(AuthenticationError())
    if getattr(previous, "_cognito_jwt", False):
        return api

    def no_credentials(request: HttpRequest, exc: Exception) -> HttpResponse:
        missing = getattr(request, _MISSING_ATTR, None)
        if isinstance(exc, CognitoAuthenticationError):
            return respond(request, exc)
        if isinstance(missing, Rejection):
            return respond(request, CognitoAuthenticationError(missing))
        if previous is None:
            raise exc
        return previous(request, exc)

    no_credentials._cognito_jwt = True  # type: ignore[attr-defined]
    api.add_exception_handler(AuthenticationError, no_credentials)  # type: ignore[arg-type]
    for cls in (CognitoAuthenticationError, CognitoAuthorizationError, CognitoHttpError):
        api.add_exception_handler(cls, respond)  # type: ignore[arg-type]
    return api
