"""FastAPI / Starlette integration: a dependency that yields verified claims.

Usage::

    from typing import Annotated, Any
    from fastapi import Depends, FastAPI, Security
    from cognito_jwt import CognitoJwtVerifier
    from cognito_jwt.http import any_of, require
    from cognito_jwt.integrations.fastapi import CognitoAuth

    verifier = CognitoJwtVerifier(user_pool_id=..., client_id=..., token_use="access")
    auth = CognitoAuth(verifier)
    app = FastAPI(lifespan=auth.lifespan)

    @app.get("/me")
    async def me(claims: Annotated[dict[str, Any], Depends(auth)]) -> dict[str, Any]:
        return {"sub": claims["sub"]}

    @app.delete("/items/{item_id}")
    async def delete(claims: Annotated[dict[str, Any], Depends(auth.require(groups="admin"))]):
        ...

    @app.post("/items")                     # FastAPI's own way: every listed scope required
    async def create(claims: Annotated[dict[str, Any], Security(auth, scopes=["items/write"])]):
        ...

    admin_or_m2m = auth.require(any_of(require(groups="admin"), require(scopes="items/purge")))

Every answer comes from `cognito_jwt.http` (status, RFC 6750 challenge and
`{"error": ..., "reason": ...}` body), raised as a `fastapi.HTTPException`
whose `detail` is that body, so an application that customises HTTPException
rendering keeps one place to do it.

Wiring slips fail closed: `Depends(auth.require)` or `Depends(auth.optional)`
without the call is refused when the route is defined (`ConfigurationError`),
and `Security(...)`'s scopes are enforced, not only advertised.

This module deliberately avoids ``from __future__ import annotations``: FastAPI
reads the dependencies' ``__call__`` signatures at runtime.
"""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Concatenate, Generic, NoReturn, ParamSpec, TypeVar, overload

try:
    from fastapi import HTTPException
    from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
    from fastapi.security import SecurityScopes
    from fastapi.security.base import SecurityBase
    from starlette.requests import HTTPConnection
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    if exc.name not in ("fastapi", "starlette"):
        raise
    raise ImportError(
        'cognito_jwt.integrations.fastapi needs FastAPI: pip install "cognito-jwt[fastapi]"'
    ) from exc

from cognito_jwt import http
from cognito_jwt._exports import rehome as _rehome
from cognito_jwt.errors import ConfigurationError
from cognito_jwt.integrations._common import checked_verifier, warm_up_async

__all__ = ["Claims", "ClaimsDependency", "CognitoAuth", "OptionalClaimsDependency"]

#: The verified claims, as returned by `CognitoJwtVerifier.verify_async`.
Claims = dict[str, Any]
#: What `CognitoAuth.require` returns: pass it to `fastapi.Depends` or `fastapi.Security`.
ClaimsDependency = Callable[..., Awaitable[Claims]]
#: What `CognitoAuth.optional` returns: claims, or ``None`` without a token.
OptionalClaimsDependency = Callable[..., Awaitable[Claims | None]]

#: The security scheme every dependency of this module declares in OpenAPI
#: (the "Authorize" button of `/docs`).  FastAPI documents a dependency as a
#: security scheme when it is a `SecurityBase`: ours are, so they need no
#: `HTTPBearer` sub-dependency (one dependency per request, not two).
_SCHEME_NAME = "CognitoBearer"
_SCHEME = HTTPBearerModel(
    bearerFormat="JWT",
    description="An Amazon Cognito ID or access token: `Authorization: Bearer <jwt>`.",
)

#: Where a request's verified claims are kept for the other dependencies of the
#: same request (`scope[_CLAIMS_KEY][auth] = claims`).
_CLAIMS_KEY = "cognito_jwt.claims"

#: Any verified token (with a well-formed `cognito:groups`).
_ANY_CALLER = http.require()

logger = logging.getLogger("cognito_jwt.integrations")

P = ParamSpec("P")
R = TypeVar("R")


class _Factory(Generic[P, R]):
    """A method that builds a dependency, which FastAPI must never be handed itself.

    `Depends(auth.require)` (the call forgotten) would make FastAPI read
    `require`'s keyword arguments as query parameters and inject the
    dependency it returns as "the claims": the route would run for anyone.
    FastAPI reads a dependency's signature when the route is defined, so the
    bound factory's `__signature__` raises there, with the fix.
    """

    def __init__(self, method: Callable[Concatenate[Any, P], R], fix: str) -> None:
        self._method = method
        self._fix = fix
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, owner: None, cls: type) -> "_Factory[P, R]": ...
    @overload
    def __get__(self, owner: object, cls: type) -> "_BoundFactory[P, R]": ...
    def __get__(self, owner: object, cls: type) -> "_Factory[P, R] | _BoundFactory[P, R]":
        if owner is None:
            return self
        return _BoundFactory(self._method, owner, self._fix)


def _factory(fix: str) -> Callable[[Callable[Concatenate[Any, P], R]], _Factory[P, R]]:
    """Mark a method as a dependency factory; `fix` is how to call it, for the error."""

    def mark(method: Callable[Concatenate[Any, P], R]) -> _Factory[P, R]:
        return _Factory(method, fix)

    return mark


class _BoundFactory(Generic[P, R]):
    """`auth.require` / `auth.optional`: callable as the method, refused as a dependency."""

    def __init__(self, method: Callable[Concatenate[Any, P], R], owner: object, fix: str) -> None:
        self._method = method
        self._owner = owner
        self._fix = fix
        self.__doc__ = method.__doc__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._method(self._owner, *args, **kwargs)

    @property
    def __signature__(self) -> NoReturn:
        """Raised where FastAPI (or anything) inspects the factory as a dependency."""
        name = self._method.__name__
        raise ConfigurationError(
            f"auth.{name} is a factory, found where a dependency belongs: FastAPI would read "
            f"its arguments as query parameters and inject what it returns as the claims, so "
            f"the route would run without a token. Call it: {self._fix}"
        )

    def __repr__(self) -> str:
        return f"<bound factory {self._method.__qualname__}>"


def _http_error(rejected: http.Rejection) -> HTTPException:
    """The HTTPException carrying `cognito_jwt.http`'s answer as it is."""
    return HTTPException(
        rejected.status_code, detail=rejected.body, headers=rejected.headers or None
    )


class CognitoAuth(SecurityBase):
    """A FastAPI dependency verifying the request's Cognito bearer token.

    ``Depends(auth)`` yields the verified claims or answers 400 / 401 / 403 /
    503.  ``Security(auth, scopes=[...])`` also demands **every** listed scope
    (FastAPI's meaning, and what `/openapi.json` then advertises).  One
    instance per verifier is enough for a whole application; per-route
    requirements are built with `require`.  The token is verified once per
    request even when a route combines several of these dependencies: the
    claims are kept in the request's scope for the others.

    It is a single dependency that reads the token header (the verifier's
    choice, see `cognito_jwt.http`) and awaits `verify_async` itself,
    declared to OpenAPI as the `CognitoBearer` HTTP bearer scheme.

    Args:
        verifier: a `CognitoJwtVerifier` (or any object with
            ``verify_async``, e.g. `MultiIssuerVerifier`, `AlbJwtVerifier`).
        realm: optional ``realm`` for the ``WWW-Authenticate`` challenge.

    Raises:
        ConfigurationError: the realm cannot be put in a header safely, or the
            verifier is a class rather than an instance.
    """

    def __init__(self, verifier: http.AsyncVerifier, *, realm: str | None = None) -> None:
        checked_verifier(verifier, "CognitoAuth(verifier)", method="verify_async")
        self.verifier = verifier
        self.realm = http.check_realm(realm)
        self.model = _SCHEME
        self.scheme_name = _SCHEME_NAME
        self._scoped: dict[tuple[str, ...], http.Requirement] = {}

    async def __call__(self, request: HTTPConnection, security_scopes: SecurityScopes) -> Claims:
        """Verify the bearer token (and `Security`'s scopes); the claims, else an HTTPException."""
        scopes = security_scopes.scopes
        need = self._with_scopes(_ANY_CALLER, scopes) if scopes else _ANY_CALLER
        return await self._claims(request, need)

    def _with_scopes(self, requirement: http.Requirement, scopes: list[str]) -> http.Requirement:
        """`requirement` and all of `Security`'s `scopes`, built once per distinct list."""
        key = (str(id(requirement)), *scopes)
        found = self._scoped.get(key)
        if found is None:
            found = requirement.with_all_scopes(scopes)
            try:
                found.check_possible(self.verifier)
            except ConfigurationError as error:
                # `Security`'s scopes are known only now, per request: every
                # request is answered 403 (the tokens lack the scope), never 500.
                logger.error("Security(..., scopes=%s) can never pass: %s", scopes, error.message)
            self._scoped[key] = found
        return found

    @_factory("Depends(auth.require(groups=...)), or Depends(auth)")
    def require(
        self,
        requirement: http.Requirement | None = None,
        *,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
        acr_values: str | Sequence[str] | None = None,
        min_acr_level: int | str | None = None,
        max_auth_age: int | None = None,
    ) -> ClaimsDependency:
        """A dependency that also demands groups and/or scopes (403 otherwise).

        `groups` and `scopes` together: both must hold.  Within each, any one
        of the listed values suffices unless ``require_all_groups`` /
        ``require_all_scopes``.  For "this **or** that", pass one requirement
        built with `cognito_jwt.http.any_of` instead:
        ``auth.require(any_of(require(groups="admin"), require(scopes="x")))``.

        `Security(auth.require(...), scopes=[...])` demands the requirement
        **and** every scope `Security` lists.  Only `Security`'s scopes appear
        in `/openapi.json` (OpenAPI cannot state "any one of"); `require`'s
        are enforced and named in the 403 challenge.

        `acr_values`, `min_acr_level` and `max_auth_age` demand a step-up (a
        sign-in strong and recent enough, as `cognito_jwt.http.require`
        reads them); a token that falls short gets 401 with the RFC 9470
        challenge.

        Raises:
            ConfigurationError: a group or scope is empty, a step-up option is
                invalid, both a requirement and `groups`/`scopes`/step-up
                options were given, or the verifier's tokens can never meet
                it (scopes of ID tokens).
        """
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
        need.check_possible(self.verifier)
        return _Required(self, need)

    @_factory("Depends(auth.optional())")
    def optional(self) -> OptionalClaimsDependency:
        """A dependency for routes that also serve anonymous callers.

        No token yields ``None``; a token that is present must still be valid
        (a bad one is 401, not silently anonymous: a client with a broken token
        should learn about it rather than get a degraded page).  Under
        ``Security(auth.optional(), scopes=[...])`` a token that is present
        must also hold every listed scope (403 otherwise); no token is still
        ``None``.
        """
        return _Optional(self)

    async def warm_up(self) -> bool:
        """Load the verifier's signing keys now, without blocking the event loop.

        Await it at start-up (or use `lifespan`) so the first request does
        not wait for the JWKS fetch.  Fails soft: with the JWKS endpoint down it
        logs a WARNING and returns `False`, the application still starts, and
        requests fetch the keys themselves once the endpoint answers (503
        until then).

        Returns:
            `True` if the keys are loaded.
        """
        return await warm_up_async(self.verifier)

    @asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:  # noqa: ARG002
        """A FastAPI lifespan that loads the keys at start-up: `FastAPI(lifespan=auth.lifespan)`.

        An application with a lifespan of its own awaits `warm_up` in it
        instead.
        """
        await self.warm_up()
        yield

    async def _claims(self, request: HTTPConnection, requirement: http.Requirement) -> Claims:
        """The request's verified claims meeting ``requirement``, or an HTTPException."""
        scope = request.scope
        verified: dict[CognitoAuth, Claims] | None = scope.get(_CLAIMS_KEY)
        claims = verified.get(self) if verified is not None else None
        try:
            if claims is None:
                claims = await http.authenticate_async(
                    self.verifier,
                    scope["headers"],
                    requirement=requirement,
                    realm=self.realm,
                    method=scope.get("method"),
                    path=scope.get("path"),
                )
                if verified is None:
                    scope[_CLAIMS_KEY] = {self: claims}
                else:
                    verified[self] = claims
            elif requirement is not _ANY_CALLER:
                http.authorize(
                    claims,
                    requirement,
                    verifier=self.verifier,
                    realm=self.realm,
                    method=scope.get("method"),
                    path=scope.get("path"),
                )
        except http.Rejection as rejected:
            raise _http_error(rejected) from rejected
        return claims


class _Required(SecurityBase):
    """The dependency `require` returns: claims meeting a requirement."""

    def __init__(self, auth: CognitoAuth, requirement: http.Requirement) -> None:
        self.auth = auth
        self.requirement = requirement
        self.model = _SCHEME
        self.scheme_name = _SCHEME_NAME

    async def __call__(self, request: HTTPConnection, security_scopes: SecurityScopes) -> Claims:
        """Verify (or reuse this request's verified claims), then check the requirement."""
        scopes = security_scopes.scopes
        need = self.auth._with_scopes(self.requirement, scopes) if scopes else self.requirement
        return await self.auth._claims(request, need)


class _Optional(SecurityBase):
    """The dependency `optional` returns: claims, or `None` without a token."""

    def __init__(self, auth: CognitoAuth) -> None:
        self.auth = auth
        self.model = _SCHEME
        self.scheme_name = _SCHEME_NAME

    async def __call__(
        self, request: HTTPConnection, security_scopes: SecurityScopes
    ) -> Claims | None:
        """`None` if no token was sent, else the verified claims (or a 401 / 403)."""
        auth = self.auth
        scope = request.scope
        try:
            token = http.request_token(
                auth.verifier,
                scope["headers"],
                realm=auth.realm,
                method=scope.get("method"),
                path=scope.get("path"),
            )
        except http.Rejection as rejected:
            raise _http_error(rejected) from rejected
        if token is None:
            return None
        scopes = security_scopes.scopes
        need = auth._with_scopes(_ANY_CALLER, scopes) if scopes else _ANY_CALLER
        return await auth._claims(request, need)


_rehome(__name__, globals(), __all__)
