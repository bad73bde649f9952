"""FastAPI / Starlette integration: a dependency that yields verified claims.

Usage::

    from typing import Annotated, Any
    from fastapi import Depends, FastAPI
    from cognito_jwt import CognitoJwtVerifier
    from cognito_jwt.integrations.fastapi import CognitoAuth

    verifier = CognitoJwtVerifier(user_pool_id=..., client_id=..., token_use="access")
    auth = CognitoAuth(verifier)
    app = FastAPI()

    @app.get("/me")
    async def me(claims: Annotated[dict[str, Any], Depends(auth)]) -> dict[str, Any]:
        return {"sub": claims["sub"]}

    @app.delete("/items/{item_id}")
    async def delete(claims: Annotated[dict[str, Any], Depends(auth.require(groups="admin"))]):
        ...

Verification runs on the event loop through ``verify_async``, so a JWKS fetch
never blocks other requests.  Rejections are raised as
`fastapi.HTTPException` (status, RFC 6750 ``WWW-Authenticate`` header and
a ``{"error": ..., "reason": ...}`` detail), so an application that already
customises HTTPException rendering keeps one place to do it.

Start-up: ``FastAPI(lifespan=auth.lifespan)`` (or ``await auth.warm_up()`` in
a lifespan of your own) loads the signing keys before the first request, and
fails soft when the JWKS endpoint is down.

This module deliberately avoids ``from __future__ import annotations``: FastAPI
reads the dependencies' ``__call__`` signatures at runtime.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

try:
    from fastapi import HTTPException
    from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
    from fastapi.security.base import SecurityBase
    from starlette.requests import HTTPConnection
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    if exc.name not in ("fastapi", "starlette"):
        raise
    raise ImportError(
        'cognito_jwt.integrations.fastapi needs FastAPI: pip install "cognito-jwt[fastapi]"'
    ) from exc

from cognito_jwt._exports import rehome as _rehome
from cognito_jwt.errors import CognitoJwtError
from cognito_jwt.integrations._common import (
    AsyncVerifier,
    Requirement,
    check_realm,
    deny,
    request_token,
    warm_up_async,
)

__all__ = ["Claims", "ClaimsDependency", "CognitoAuth", "OptionalClaimsDependency"]

#: The verified claims, as returned by `CognitoJwtVerifier.verify_async`.
Claims = dict[str, Any]
#: What `CognitoAuth.require` returns: pass it to `fastapi.Depends`.
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

#: What every verified token must also meet: well-formed `cognito:groups`.
_ANY_CALLER = Requirement()


class CognitoAuth(SecurityBase):
    """A FastAPI dependency verifying the request's Cognito bearer token.

    ``Depends(auth)`` yields the verified claims or answers 401 / 403 / 503.
    One instance per verifier is enough for a whole application; per-route
    requirements are built with `require`.  The token is verified once
    per request even when a route combines several of these dependencies: the
    claims are kept in the request's scope for the others.

    It is a single dependency that reads the `Authorization` header and awaits
    `verify_async` itself, declared to OpenAPI as the `CognitoBearer` HTTP
    bearer scheme.  (Stacking it on FastAPI's `HTTPBearer` cost a second
    dependency resolution per request, which measured more than the library's
    own work on a cache hit; see docs/performance.md.)

    Args:
        verifier: a `CognitoJwtVerifier` (or any object with
            ``verify_async``, e.g. `MultiIssuerVerifier`).
        realm: optional ``realm`` for the ``WWW-Authenticate`` challenge.

    Raises:
        ConfigurationError: the realm cannot be put in a header safely.
    """

    def __init__(self, verifier: AsyncVerifier, *, realm: str | None = None) -> None:
        self.verifier = verifier
        self.realm = check_realm(realm)
        self.model = _SCHEME
        self.scheme_name = _SCHEME_NAME

    async def __call__(self, request: HTTPConnection) -> Claims:
        """Verify the bearer token; the claims on success, else an HTTPException."""
        return await self._claims(request, _ANY_CALLER)

    def require(
        self,
        *,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
    ) -> ClaimsDependency:
        """A dependency that also demands groups and/or scopes (403 otherwise).

        By default any one of the listed groups (scopes) suffices; set
        ``require_all_groups`` (``require_all_scopes``) to demand all of them.
        Scopes live in access tokens only, so a scope requirement denies ID
        tokens.  Build requirements once at import time (as a module-level
        name or directly in the route signature); they are cheap and stateless.

        Raises:
            ConfigurationError: a group or scope is empty or not a string.
        """
        requirement = Requirement.build(
            groups=groups,
            scopes=scopes,
            require_all_groups=require_all_groups,
            require_all_scopes=require_all_scopes,
        )
        return _Required(self, requirement)

    def optional(self) -> OptionalClaimsDependency:
        """A dependency for routes that also serve anonymous callers.

        No token yields ``None``; a token that is present must still be valid
        (a bad one is 401, not silently anonymous: a client with a broken token
        should learn about it rather than get a degraded page).
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

    async def _claims(self, request: HTTPConnection, requirement: Requirement) -> Claims:
        """The request's verified claims meeting ``requirement``, or an HTTPException."""
        scope = request.scope
        verified: dict[CognitoAuth, Claims] | None = scope.get(_CLAIMS_KEY)
        claims = verified.get(self) if verified is not None else None
        if claims is None:
            token = request_token(self.verifier, request.headers.get)
            if token is None:
                raise self._http_error(None)
            claims = await self._verify(token)
            if verified is None:
                scope[_CLAIMS_KEY] = {self: claims}
            else:
                verified[self] = claims
        if requirement is not _ANY_CALLER:
            try:
                requirement.check(claims)
            except CognitoJwtError as error:
                raise self._http_error(error, requirement) from error
        return claims

    async def _verify(self, token: str) -> Claims:
        """Run the verifier (and the shape check on groups), translating errors."""
        try:
            claims = await self.verifier.verify_async(token)
            _ANY_CALLER.check(claims)
        except CognitoJwtError as error:
            raise self._http_error(error) from error
        return claims

    def _http_error(
        self, error: CognitoJwtError | None, requirement: Requirement | None = None
    ) -> HTTPException:
        """The HTTPException answering ``error`` (``None``: no token was sent)."""
        denial = deny(error, realm=self.realm, requirement=requirement)
        return HTTPException(denial.status, detail=denial.body, headers=denial.headers or None)


class _Required(SecurityBase):
    """The dependency `require` returns: claims meeting a requirement."""

    def __init__(self, auth: CognitoAuth, requirement: Requirement) -> None:
        self.auth = auth
        self.requirement = requirement
        self.model = _SCHEME
        self.scheme_name = _SCHEME_NAME

    async def __call__(self, request: HTTPConnection) -> Claims:
        """Verify (or reuse this request's verified claims), then check the requirement."""
        return await self.auth._claims(request, self.requirement)


class _Optional(SecurityBase):
    """The dependency `optional` returns: claims, or `None` without a token."""

    def __init__(self, auth: CognitoAuth) -> None:
        self.auth = auth
        self.model = _SCHEME
        self.scheme_name = _SCHEME_NAME

    async def __call__(self, request: HTTPConnection) -> Claims | None:
        """`None` if no bearer token was sent, else the verified claims (or a 401)."""
        if request_token(self.auth.verifier, request.headers.get) is None:
            return None
        return await self.auth._claims(request, _ANY_CALLER)


_rehome(__name__, globals(), __all__)
