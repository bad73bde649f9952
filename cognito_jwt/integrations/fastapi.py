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

This module deliberately avoids ``from __future__ import annotations``: FastAPI
reads the dependency signatures at runtime, including ``Depends(self)`` built
inside `CognitoAuth.require`, which a string annotation could not
resolve.
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

try:
    from fastapi import Depends, HTTPException
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    if exc.name not in ("fastapi", "starlette"):
        raise
    raise ImportError(
        'cognito_jwt.integrations.fastapi needs FastAPI: pip install "cognito-jwt[fastapi]"'
    ) from exc

from cognito_jwt.errors import AccessDeniedError, CognitoJwtError
from cognito_jwt.integrations._common import (
    AsyncVerifier,
    Requirement,
    bearer_token,
    check_realm,
    deny,
)

__all__ = ["Claims", "ClaimsDependency", "CognitoAuth", "OptionalClaimsDependency"]

#: The verified claims, as returned by `CognitoJwtVerifier.verify_async`.
Claims = dict[str, Any]
#: What `CognitoAuth.require` returns: pass it to `fastapi.Depends`.
ClaimsDependency = Callable[..., Awaitable[Claims]]
#: What `CognitoAuth.optional` returns: claims, or ``None`` without a token.
OptionalClaimsDependency = Callable[..., Awaitable[Claims | None]]

# auto_error=False: a missing token must be answered by us (a bare Bearer
# challenge and our JSON body), not by HTTPBearer's own 403/401.  Declaring the
# scheme still documents bearer auth in the OpenAPI schema ("Authorize" button).
_bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    scheme_name="CognitoBearer",
    description="An Amazon Cognito ID or access token: `Authorization: Bearer <jwt>`.",
)

BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


class CognitoAuth:
    """A FastAPI dependency verifying the request's Cognito bearer token.

    ``Depends(auth)`` yields the verified claims or answers 401 / 403 / 503.
    One instance per verifier is enough for a whole application; per-route
    requirements are built with `require`, and FastAPI's per-request
    dependency cache guarantees the token is verified once per request even
    when a route combines several of them.

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

    async def __call__(self, credentials: BearerCredentials) -> Claims:
        """Verify the bearer token; the claims on success, else an HTTPException."""
        token = bearer_token(_header_value(credentials))
        if token is None:
            raise self._http_error(None)
        return await self._verify(token)

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

        async def dependency(claims: Annotated[Claims, Depends(self)]) -> Claims:
            try:
                requirement.check(claims)
            except AccessDeniedError as error:
                raise self._http_error(error, requirement) from error
            return claims

        return dependency

    def optional(self) -> OptionalClaimsDependency:
        """A dependency for routes that also serve anonymous callers.

        No token yields ``None``; a token that is present must still be valid
        (a bad one is 401, not silently anonymous: a client with a broken token
        should learn about it rather than get a degraded page).
        """

        async def dependency(credentials: BearerCredentials) -> Claims | None:
            token = bearer_token(_header_value(credentials))
            if token is None:
                return None
            return await self._verify(token)

        return dependency

    async def _verify(self, token: str) -> Claims:
        """Run the verifier, translating library errors into HTTP errors."""
        try:
            return await self.verifier.verify_async(token)
        except CognitoJwtError as error:
            raise self._http_error(error) from error

    def _http_error(
        self, error: CognitoJwtError | None, requirement: Requirement | None = None
    ) -> HTTPException:
        """The HTTPException answering ``error`` (``None``: no token was sent)."""
        denial = deny(error, realm=self.realm, requirement=requirement)
        return HTTPException(denial.status, detail=denial.body, headers=denial.headers or None)


def _header_value(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """Rebuild the header value HTTPBearer parsed, for the shared bearer parser."""
    if credentials is None:
        return None
    return f"{credentials.scheme} {credentials.credentials}"
