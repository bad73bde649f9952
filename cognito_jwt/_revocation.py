"""What a verifier asks of its `revocation=`, and the failure policy around it.

The core's side of revocation: the protocol every mechanism follows and the
one function that runs them.  The mechanisms themselves (the list and its
stores, the live checks) live in the `cognito_jwt.revocation` package, on top
of the core, so a verifier without revocation never imports them.

A revocation mechanism (`RevocationList`, `GetUserCheck`, `UserInfoCheck`, or
one the application writes) is told at construction which issuers it will
serve (`IssuerFacts`) and refuses what cannot work there; at verification it
is given a token that passed every other check and its claims, and raises
`TokenRevokedError` (401) or `RevocationUnavailableError` (503), or returns.

The failure policy: an unavailable answer is a 503 unless the mechanism was
built with `fail_open=True`, in which case the token is accepted and the
verifier's hook is told.  `run_checks_async` applies it for `verify_async`;
`verify` applies the same few lines inline, so a token-cache hit pays no
extra call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

from cognito_jwt.errors import ConfigurationError, RevocationUnavailableError

__all__ = [
    "COGNITO_MAX_TOKEN_LIFETIME",
    "DEFAULT_CACHE_TTL",
    "MAX_CACHE_TTL",
    "IssuerFacts",
    "Revocation",
    "check_cache_ttl",
    "run_checks_async",
]

#: Cognito's longest ID or access token lifetime: one day (app client
#: `AccessTokenValidity`/`IdTokenValidity` range from five minutes to one day).
COGNITO_MAX_TOKEN_LIFETIME = 86_400.0

#: Seconds a "not revoked" answer is reused: a revocation reaches this
#: process at most this long after it was written (plus API Gateway's
#: authorizer cache TTL, in front of a Lambda authorizer).
DEFAULT_CACHE_TTL = 5.0
#: The longest "not revoked" may be reused: a sign-out must take effect soon.
MAX_CACHE_TTL = 60.0


class IssuerFacts(NamedTuple):
    """What a verifier tells its revocation mechanism about one accepted `iss`.

    Attributes:
        iss: the accepted issuer.
        user_pool_id: the Cognito user pool (a `CognitoJwtVerifier`), else `None`.
        token_use: the verifier's `token_use` (`"id"`, `"access"`, or `None`
            for either or for a generic issuer).
        max_token_lifetime: the longest `exp - iat` its tokens can have:
            Cognito's bound, or what a `JwtVerifier` declared (`None`: undeclared).
    """

    iss: str
    user_pool_id: str | None
    token_use: str | None
    max_token_lifetime: float | None


@runtime_checkable
class Revocation(Protocol):
    """A revocation mechanism a verifier runs on every accepted token (cache hits included)."""

    #: Accept (and report) instead of answering 503 when the answer is unknown.
    fail_open: bool
    #: Only `check_async` can work (e.g. a store with an asyncio client only):
    #: `verify()` then raises `ConfigurationError` naming `verify_async`.
    requires_async: bool

    def accept_issuers(self, issuers: Sequence[IssuerFacts]) -> None:
        """Raise `ConfigurationError` if this mechanism cannot serve these issuers."""
        ...

    def check(self, token: str, claims: dict[str, Any]) -> None:
        """Return if the token is not revoked; raise `TokenRevokedError` or
        `RevocationUnavailableError` otherwise."""
        ...

    async def check_async(self, token: str, claims: dict[str, Any]) -> None:
        """`check` without blocking the event loop."""
        ...


#: `report(error, iss)`: told when a fail-open mechanism accepted a token it could not check.
FailOpenReport = Callable[[RevocationUnavailableError, Any], None]


def check_cache_ttl(cache_ttl: float) -> float:
    """Check a "not revoked" cache time: `(0, MAX_CACHE_TTL]` seconds.

    Raises:
        ConfigurationError: not a number in range (0 would make every cache
            hit a network call; more than a minute leaves a sign-out unseen too long).
    """
    if (
        isinstance(cache_ttl, bool)
        or not isinstance(cache_ttl, int | float)
        or not 0 < cache_ttl <= MAX_CACHE_TTL
    ):
        raise ConfigurationError(
            f"cache_ttl: expected seconds in (0, {MAX_CACHE_TTL:g}], found {cache_ttl!r}"
        )
    return float(cache_ttl)


def check_fail_open(fail_open: object) -> bool:
    """`fail_open` must be a real bool: a truthy string must not open the gate."""
    if type(fail_open) is not bool:
        raise ConfigurationError(f"fail_open: expected True or False, found {fail_open!r}")
    return fail_open


async def run_checks_async(
    checks: tuple[Revocation, ...],
    token: str,
    claims: dict[str, Any],
    report: FailOpenReport | None,
) -> None:
    """Run each mechanism's `check_async`; an unknown answer is a 503 unless built fail-open."""
    for check in checks:
        try:
            await check.check_async(token, claims)
        except RevocationUnavailableError as exc:
            if not check.fail_open:
                raise
            if report is not None:
                report(exc, claims.get("iss"))


def revocations_of(revocation: object) -> tuple[Revocation, ...]:
    """A verifier's `revocation=` (`None`, one mechanism or several), checked.

    Raises:
        ConfigurationError: something that is not a revocation mechanism, or
            an empty list (which would look like protection and be none).
    """
    if revocation is None:
        return ()
    items = revocation if isinstance(revocation, list | tuple) else (revocation,)
    if not items:
        raise ConfigurationError(
            "revocation: expected a mechanism or a non-empty list of them (None for none), "
            "found an empty list"
        )
    for item in items:
        if not isinstance(item, Revocation):
            raise ConfigurationError(
                "revocation: expected a RevocationList, GetUserCheck, UserInfoCheck or another "
                f"cognito_jwt.revocation.Revocation, found {type(item).__name__}"
            )
    return tuple(items)
