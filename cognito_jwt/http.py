"""The framework-free HTTP answer: request headers in, verified claims or a `Rejection` out.

Every web adapter (FastAPI, Flask, DRF, and any you write for Powertools'
Event Handler, aiohttp or a bare ASGI app) answers through this module, so a
request gets the same status, challenge and `reason` whatever serves it:

    from cognito_jwt import http

    admin_or_m2m = http.any_of(http.require(groups="admin"), http.require(scopes="news/delete"))

    def handler(event):                               # e.g. an API Gateway proxy event
        try:
            claims = http.authenticate(verifier, event["multiValueHeaders"],
                                       requirement=admin_or_m2m)
        except http.Rejection as rejected:
            return {"statusCode": rejected.status_code, "headers": rejected.headers,
                    "body": json.dumps(rejected.body)}
        ...

## The mapping (RFC 6750)

* no token (no header, `Basic ...`, `Bearer` alone): **401**, a bare
  `Bearer` challenge (`realm` only), body `missing_token` / `missing_token`;
* the token's header sent more than once: **400**
  `error="invalid_request"`, reason `duplicate_header`;
* a token the verifier refuses: **401** `error="invalid_token"`, the
  error's reason (`token_expired`, `invalid_issuer`, ...);
* a missing group or scope: **403** `error="insufficient_scope"`, with
  `scope="..."` listing the route's scopes when it has any, reason
  `missing_group` / `missing_scope`;
* a sign-in too weak or too old for a step-up demand (the verifier's or the
  route's `acr_values`, `min_acr_level`, `max_auth_age`): **401**
  `error="insufficient_user_authentication"` with `acr_values="..."` and
  `max_age="..."` (RFC 9470 section 3), reason
  `insufficient_user_authentication`;
* keys unavailable: **503**, no challenge, body `temporarily_unavailable` /
  the error's reason.

The body is `{"error": <the challenge's error code>, "reason": <reason>}`.
`error_description` is always the stable `reason` code (never a message,
never the token).

## Extension point: what an error class adds to the challenge

The answer is driven by the error's attributes, never by a list of error
classes, so a new error is answered correctly by giving it attributes (all
declared on `CognitoJwtError`, with the defaults below):

* `status_code`, `reason`: as every `CognitoJwtError` has;
* `challenge_error` (`str | None`): the RFC 6750 `error` code of the
  challenge and of the body's `error`; without it, 400 is `invalid_request`,
  401 `invalid_token`, 403 `insufficient_scope`, and other statuses carry no
  challenge;
* `challenge_params` (`Mapping[str, str]`, empty): more auth-params for the
  challenge, after `error` and `error_description`, each value quoted.  A
  name that is not an RFC 9110 token or a value outside RFC 6750's printable
  character set is left out (and logged), never put in the header raw.

An RFC 9470 step-up error, for example, is a 401 with
`challenge_error = "insufficient_user_authentication"` and
`challenge_params = {"acr_values": "urn:mfa", "max_age": "300"}`, answered
`Bearer error="insufficient_user_authentication", error_description="...",
acr_values="urn:mfa", max_age="300"`.

## Which header carries the token

The verifier decides, through its `token_headers` attribute: the header names
to read, in order, the first one carrying a token winning.  `Authorization`
is read as RFC 6750 says (`Bearer <token>`, or a bare token as API Gateway's
Cognito authorizer sends it; see `bearer_credentials`); any other header holds
a bare token.  The library's verifiers declare `("Authorization",
"x-amzn-oidc-accesstoken")` (the access token an ALB forwards), and
`AlbJwtVerifier` `("x-amzn-oidc-data",)`; an object without the attribute
gets `("Authorization",)`.

`headers` may be a mapping (looked up case-insensitively; a value that is a
list is several values, as in API Gateway's `multiValueHeaders`), an object
with `getlist` (Starlette's and Werkzeug's headers), a callable
`name -> value | None`, or an iterable of `(name, value)` pairs (raw ASGI or
WSGI headers, `bytes` or `str`).  Only a form that keeps every value can show
a header sent twice; a WSGI server joins repeated lines with commas (RFC 9110
5.3), which no token contains, so a comma where the token belongs is read as
two values too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from cognito_jwt._exports import rehome as _rehome
from cognito_jwt._http_answer import MISSING_TOKEN, Rejection, check_realm, rejection
from cognito_jwt._http_headers import AUTHORIZATION, DEFAULT_TOKEN_HEADERS, Headers, request_token
from cognito_jwt._requirement import Clock, Requirement, any_of, require
from cognito_jwt._token import bearer_credentials
from cognito_jwt.errors import CognitoJwtError

__all__ = [
    "AUTHORIZATION",
    "DEFAULT_TOKEN_HEADERS",
    "MISSING_TOKEN",
    "AsyncVerifier",
    "Headers",
    "Rejection",
    "Requirement",
    "SyncVerifier",
    "any_of",
    "authenticate",
    "authenticate_async",
    "authorize",
    "bearer_credentials",
    "check_realm",
    "rejection",
    "request_token",
    "require",
]


class SyncVerifier(Protocol):
    """Anything with a blocking `verify`: the library's verifiers, or a test double."""

    def verify(self, token: str) -> dict[str, Any]:
        """The verified claims, or a `CognitoJwtError`."""
        ...


class AsyncVerifier(Protocol):
    """Anything with an awaitable `verify_async` (the library's verifiers have both)."""

    async def verify_async(self, token: str) -> dict[str, Any]:
        """The verified claims, or a `CognitoJwtError`."""
        ...


# --------------------------------------------------------------------------
# The whole answer
# --------------------------------------------------------------------------


def authorize(
    claims: dict[str, Any],
    requirement: Requirement,
    *,
    verifier: object = None,
    realm: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> dict[str, Any]:
    """`claims` if they meet `requirement`, else the `Rejection` (403, or 401).

    For adapters that keep a request's verified claims and check several
    requirements against them (FastAPI's dependencies).  Pass the `verifier`
    that verified them: a step-up age is measured by its clock (else by the
    system clock).

    Raises:
        Rejection: the claims do not meet the requirement.
    """
    try:
        requirement.check(claims, clock=_clock(verifier))
    except CognitoJwtError as error:
        raise rejection(
            error, realm=realm, requirement=requirement, method=method, path=path
        ) from error
    return claims


def authenticate(
    verifier: SyncVerifier,
    headers: Headers,
    *,
    groups: str | Sequence[str] | None = None,
    scopes: str | Sequence[str] | None = None,
    require_all_groups: bool = False,
    require_all_scopes: bool = False,
    acr_values: str | Sequence[str] | None = None,
    min_acr_level: int | str | None = None,
    max_auth_age: int | None = None,
    requirement: Requirement | None = None,
    realm: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> dict[str, Any]:
    """The verified claims of the request whose headers are `headers`, or a `Rejection`.

    Reads the token from the header the verifier names, verifies it and checks
    the requirement: `groups`/`scopes` as `require` takes them, or a
    `requirement` built once (`require`, `any_of`); not both.

    Args:
        verifier: the verifier (`CognitoJwtVerifier`, `JwtVerifier`,
            `MultiIssuerVerifier`, `AlbJwtVerifier`, or any object with `verify`).
        headers: the request's headers (see the module docstring).
        groups: Cognito groups the route requires (any one by default).
        scopes: OAuth scopes the route requires (any one by default).
        require_all_groups: demand every listed group.
        require_all_scopes: demand every listed scope.
        acr_values: step-up: the `acr` values accepted (see `require`).
        min_acr_level: step-up: the weakest default Cognito level accepted.
        max_auth_age: step-up: the oldest sign-in accepted, in seconds.
        requirement: a prebuilt requirement instead of `groups`/`scopes`
            and the step-up options.
        realm: the challenge's `realm`.
        method: the request's method, named in log lines.
        path: the request's path, named in log lines.

    Raises:
        Rejection: 400, 401, 403 or 503; see the module docstring.
        ConfigurationError: the requirement is invalid, or `scopes` can never
            be met by this verifier's tokens (ID tokens carry none).  An
            adapter checks a prebuilt `requirement` once, where it is built,
            with `Requirement.check_possible`.

    Examples:
        >>> from cognito_jwt.testing import FakeCognitoPool
        >>> pool = FakeCognitoPool()
        >>> headers = {"authorization": "Bearer " + pool.id_token(groups=["admin"])}
        >>> authenticate(pool.verifier(token_use="id"), headers, groups="admin")["token_use"]
        'id'
    """
    need, token = _requirement_and_token(
        verifier,
        headers,
        requirement,
        groups=groups,
        scopes=scopes,
        require_all_groups=require_all_groups,
        require_all_scopes=require_all_scopes,
        acr_values=acr_values,
        min_acr_level=min_acr_level,
        max_auth_age=max_auth_age,
        realm=realm,
        method=method,
        path=path,
    )
    try:
        claims = verifier.verify(token)
        need.check(claims, clock=_clock(verifier))
    except CognitoJwtError as error:
        raise rejection(error, realm=realm, requirement=need, method=method, path=path) from error
    return claims


async def authenticate_async(
    verifier: AsyncVerifier | SyncVerifier,
    headers: Headers,
    *,
    groups: str | Sequence[str] | None = None,
    scopes: str | Sequence[str] | None = None,
    require_all_groups: bool = False,
    require_all_scopes: bool = False,
    acr_values: str | Sequence[str] | None = None,
    min_acr_level: int | str | None = None,
    max_auth_age: int | None = None,
    requirement: Requirement | None = None,
    realm: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> dict[str, Any]:
    """`authenticate` without blocking the event loop: awaits `verify_async`.

    A verifier with only `verify` runs in a worker thread.

    Raises:
        Rejection: 400, 401, 403 or 503; see the module docstring.
        ConfigurationError: as for `authenticate`.
    """
    need, token = _requirement_and_token(
        verifier,
        headers,
        requirement,
        groups=groups,
        scopes=scopes,
        require_all_groups=require_all_groups,
        require_all_scopes=require_all_scopes,
        acr_values=acr_values,
        min_acr_level=min_acr_level,
        max_auth_age=max_auth_age,
        realm=realm,
        method=method,
        path=path,
    )
    try:
        claims = await _verify_async(verifier, token)
        need.check(claims, clock=_clock(verifier))
    except CognitoJwtError as error:
        raise rejection(error, realm=realm, requirement=need, method=method, path=path) from error
    return claims


def _clock(verifier: object) -> Clock | None:
    """The verifier's `now(claims)`, if it has one (the library's verifiers do)."""
    now: Clock | None = getattr(verifier, "now", None)
    return now


async def _verify_async(verifier: AsyncVerifier | SyncVerifier, token: str) -> dict[str, Any]:
    verify_async = getattr(verifier, "verify_async", None)
    if verify_async is not None:
        claims: dict[str, Any] = await verify_async(token)
        return claims
    import asyncio  # only here: it is slow to import (docs/performance.md)

    return await asyncio.to_thread(verifier.verify, token)  # type: ignore[union-attr]


_rehome(__name__, globals(), __all__)


def _requirement_and_token(
    verifier: object,
    headers: Headers,
    requirement: Requirement | None,
    *,
    realm: str | None,
    method: str | None,
    path: str | None,
    **options: Any,
) -> tuple[Requirement, str]:
    """What `authenticate` and `authenticate_async` do before verifying: the
    requirement (checked against the verifier when built here from `scopes`),
    and the request's token, or the 401 with the bare challenge when it has none."""
    need = Requirement.of(requirement, **options)
    if options["scopes"] is not None:  # a prebuilt requirement was checked where it was built
        need.check_possible(verifier)
    token = request_token(verifier, headers, realm=realm, method=method, path=path)
    if token is None:
        raise rejection(None, realm=realm, method=method, path=path)
    return need, token
