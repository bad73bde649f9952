"""Live checks: ask Cognito itself whether an access token's session still stands.

Cognito refuses a signed-out, revoked, disabled or deleted user's access
token in its own token-authorized operations, so asking it is the one check
that needs no list: `GetUserCheck` calls `GetUser` with the token (tokens
carrying the `aws.cognito.signin.user.admin` scope), `UserInfoCheck` calls
the user pool domain's `/oauth2/userInfo` (tokens with the `openid` scope).

Only access tokens can be checked: an ID token is not accepted by either
call, and a machine-to-machine (client credentials) token carries neither
scope, so a verifier with `token_use` other than `"access"` is refused at
construction and a token without the scope is refused (401
`revocation_not_checkable`) rather than passed unchecked.

Each answer is cached per token ("revoked" until `exp`, "active" for
`cache_ttl`); concurrent checks of one token share one call (single flight);
calls are bounded per process (`max_calls_per_second`), because `GetUser`
draws on the account's per-Region request-rate quota shared by every app of
the account.  An unanswered call, an error other than "not authorized", or
the rate bound is `RevocationUnavailableError` (503) unless `fail_open=True`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cognito_jwt._revocation import (
    DEFAULT_CACHE_TTL,
    IssuerFacts,
    check_cache_ttl,
    check_fail_open,
)
from cognito_jwt.errors import (
    ConfigurationError,
    InvalidClaimError,
    RevocationUnavailableError,
    TokenRevokedError,
)

if TYPE_CHECKING:  # pragma: no cover
    import asyncio

__all__ = ["DEFAULT_MAX_CALLS_PER_SECOND", "GetUserCheck", "UserInfoCheck"]

#: Calls to Cognito per second per process (a burst of as many is allowed).
#: Set it to this process's share of the account's quota.
DEFAULT_MAX_CALLS_PER_SECOND = 10.0
#: Seconds a caller waits for another caller's call on the same token.
_FLIGHT_WAIT = 10.0
_MAX_ENTRIES = 16_384

ADMIN_SCOPE = "aws.cognito.signin.user.admin"


class _RateBound:
    """A token bucket: `rate` calls a second, bursts of `rate`."""

    def __init__(self, rate: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self._clock = clock
        self._tokens = rate
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.rate, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


class _Flight:
    __slots__ = ("done", "error", "revoked")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.revoked: bool | None = None
        self.error: BaseException | None = None


class _LiveCheck:
    """The cache, single flight, rate bound and failure rules both live checks share."""

    #: The scope a token must carry for the call to accept it.
    scope: str = ""
    #: What is called, for messages.
    call: str = ""

    def __init__(
        self,
        *,
        cache_ttl: float,
        max_calls_per_second: float,
        fail_open: bool,
        clock: Callable[[], float] | None,
    ) -> None:
        if (
            isinstance(max_calls_per_second, bool)
            or not isinstance(max_calls_per_second, int | float)
            or not 0 < max_calls_per_second <= 10_000
        ):
            raise ConfigurationError(
                "max_calls_per_second: expected a number in (0, 10000], "
                f"found {max_calls_per_second!r}"
            )
        if clock is not None and not callable(clock):
            raise ConfigurationError("clock: expected a callable returning epoch seconds")
        self.cache_ttl = check_cache_ttl(cache_ttl)
        self.fail_open = check_fail_open(fail_open)
        self.requires_async = False
        self._clock = clock or time.time
        self._bound = _RateBound(float(max_calls_per_second), time.monotonic)
        self._verdicts: dict[str, tuple[bool, float]] = {}
        self._flights: dict[str, _Flight] = {}
        self._async_flights: dict[str, asyncio.Future[bool]] = {}
        self._lock = threading.Lock()
        #: Calls made to Cognito (tests and metrics).
        self.calls = 0

    # -- construction ----------------------------------------------------------------------

    def accept_issuers(self, issuers: Sequence[IssuerFacts]) -> None:
        """Only a Cognito verifier of access tokens can be checked live.

        Raises:
            ConfigurationError: a generic issuer, or `token_use` other than `"access"`.
        """
        for facts in issuers:
            if facts.user_pool_id is None:
                raise ConfigurationError(
                    f"revocation: {type(self).__name__} asks Cognito, but issuer {facts.iss!r} "
                    "is not a CognitoJwtVerifier's: use a RevocationList"
                )
            if facts.token_use != "access":  # noqa: S105
                raise ConfigurationError(
                    f"revocation: {type(self).__name__} checks access tokens only ({self.call} "
                    f"accepts no ID token), found token_use={facts.token_use!r}: build the "
                    "verifier with token_use='access', or use a RevocationList for ID tokens"
                )
            self._accept_pool(facts)

    def _accept_pool(self, facts: IssuerFacts) -> None:
        """Further checks of one pool (the GetUser client's region)."""

    # -- checking --------------------------------------------------------------------------

    def check(self, token: str, claims: dict[str, Any]) -> None:
        """Ask Cognito (or the cache) whether `token` is still active.

        Raises:
            TokenRevokedError: (401) Cognito refuses the token.
            InvalidClaimError: (401) the token lacks the scope the call needs.
            RevocationUnavailableError: (503) no answer, or the rate bound.
        """
        now = self._clock()
        verdict = self._verdicts.get(token)
        if verdict is None or now >= verdict[1]:
            self._require_scope(claims)
            verdict = self._decide(token, claims, self._single_flight(token), now)
        if verdict[0]:
            raise _revoked(self.call)

    async def check_async(self, token: str, claims: dict[str, Any]) -> None:
        """`check`, the call running in a worker thread; concurrent callers share it."""
        import asyncio

        now = self._clock()
        verdict = self._verdicts.get(token)
        if verdict is None or now >= verdict[1]:
            self._require_scope(claims)
            flight = self._async_flights.get(token)
            if flight is None:
                flight = asyncio.get_running_loop().create_future()
                self._async_flights[token] = flight
                try:
                    revoked = await asyncio.to_thread(self._bounded_call, token)
                except BaseException as exc:
                    flight.set_exception(exc)
                    flight.exception()  # retrieved: followers re-raise it
                    raise
                else:
                    flight.set_result(revoked)
                finally:
                    del self._async_flights[token]
            else:
                revoked = await asyncio.shield(flight)
            verdict = self._decide(token, claims, revoked, now)
        if verdict[0]:
            raise _revoked(self.call)

    def _require_scope(self, claims: dict[str, Any]) -> None:
        scope = claims.get("scope")
        if not isinstance(scope, str) or self.scope not in scope.split():
            raise InvalidClaimError(
                f"claim scope: expected {self.scope!r} ({self.call} accepts only such tokens, "
                "so no other can be checked for revocation), found "
                f"{'none' if scope is None else repr(scope)[:80]}",
                reason="revocation_not_checkable",
            )

    def _decide(
        self, token: str, claims: dict[str, Any], revoked: bool, now: float
    ) -> tuple[bool, float]:
        exp = claims["exp"]
        verdict = (revoked, exp if revoked else min(now + self.cache_ttl, exp))
        verdicts = self._verdicts
        if len(verdicts) >= _MAX_ENTRIES:
            for name in [k for k, (_, until) in verdicts.items() if until <= now]:
                del verdicts[name]
            if len(verdicts) >= _MAX_ENTRIES:
                verdicts.clear()
        verdicts[token] = verdict
        return verdict

    def _single_flight(self, token: str) -> bool:
        with self._lock:
            flight = self._flights.get(token)
            leader = flight is None
            if flight is None:
                flight = self._flights[token] = _Flight()
        if leader:
            try:
                flight.revoked = self._bounded_call(token)
            except BaseException as exc:
                flight.error = exc
                raise
            finally:
                with self._lock:
                    del self._flights[token]
                flight.done.set()
            return flight.revoked
        if not flight.done.wait(_FLIGHT_WAIT):
            raise _unavailable(f"{self.call} did not answer in {_FLIGHT_WAIT:g} s")
        if flight.error is not None:
            if isinstance(flight.error, RevocationUnavailableError):
                raise _unavailable(flight.error.message, reason=flight.error.reason)
            raise _unavailable(f"{self.call} failed: {type(flight.error).__name__}")
        assert flight.revoked is not None
        return flight.revoked

    def _bounded_call(self, token: str) -> bool:
        """One call, within the rate bound; any failure is `RevocationUnavailableError`."""
        if not self._bound.take():
            raise _unavailable(
                f"{self.call}: expected a call within {self._bound.rate:g} per second, "
                "found the bound reached",
                reason="revocation_rate_limited",
            )
        self.calls += 1
        try:
            return self._revoked_by_cognito(token)
        except RevocationUnavailableError:
            raise
        except Exception as exc:
            raise _unavailable(
                f"{self.call}: expected an answer, found {type(exc).__name__}"
            ) from exc

    def _revoked_by_cognito(self, token: str) -> bool:
        """True if Cognito refuses `token`, False if it accepts it; raise if unknown."""
        raise NotImplementedError


class GetUserCheck(_LiveCheck):
    """Ask Cognito's `GetUser` with the access token: refused once the session ended.

    Catches `GlobalSignOut`, `AdminUserGlobalSignOut`, `RevokeToken`, and
    disabled or deleted users, with nothing for the application to write.
    Tokens must carry the `aws.cognito.signin.user.admin` scope.

    Args:
        client: a boto3 `cognito-idp` client in the user pool's region (give
            it short timeouts: `botocore.config.Config(connect_timeout=1,
            read_timeout=2, retries={"max_attempts": 2})`).
        cache_ttl: seconds an "active" answer is reused, in (0, 60]; default 5.
        max_calls_per_second: calls per process per second; default 10.
        fail_open: accept a token when Cognito cannot be asked (reported to
            the verifier's hook) instead of answering 503.
        clock: epoch seconds (tests).

    Raises:
        ConfigurationError: a setting is invalid.

    Examples:
        >>> import boto3
        >>> from cognito_jwt.revocation import GetUserCheck
        >>> check = GetUserCheck(boto3.client("cognito-idp", region_name="us-east-1"))
        >>> # CognitoJwtVerifier(..., token_use="access", revocation=check)
    """

    scope = ADMIN_SCOPE
    call = "GetUser"

    def __init__(
        self,
        client: Any,
        *,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        max_calls_per_second: float = DEFAULT_MAX_CALLS_PER_SECOND,
        fail_open: bool = False,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not callable(getattr(client, "get_user", None)):
            raise ConfigurationError(
                f"client: expected a boto3 cognito-idp client, found {type(client).__name__}"
            )
        super().__init__(
            cache_ttl=cache_ttl,
            max_calls_per_second=max_calls_per_second,
            fail_open=fail_open,
            clock=clock,
        )
        self.client = client

    def _accept_pool(self, facts: IssuerFacts) -> None:
        region = getattr(getattr(self.client, "meta", None), "region_name", None)
        pool_region = (facts.user_pool_id or "").partition("_")[0]
        if region is not None and region != pool_region:
            raise ConfigurationError(
                f"client: expected a cognito-idp client in {pool_region} (the region of pool "
                f"{facts.user_pool_id}), found one in {region}"
            )

    def _revoked_by_cognito(self, token: str) -> bool:
        try:
            self.client.get_user(AccessToken=token)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code in ("NotAuthorizedException", "UserNotFoundException"):
                return True
            raise
        return False


class UserInfoCheck(_LiveCheck):
    """Ask the user pool domain's `/oauth2/userInfo` with the access token.

    For tokens from the OAuth endpoints (they carry `openid`; tokens from
    `InitiateAuth` carry no scope the endpoint accepts).  A 200 means active,
    a 401 (RFC 6750 `invalid_token`, as OpenID Connect's UserInfo errors
    are) revoked; any other answer is unknown (503 unless fail-open).

    Args:
        domain: the user pool domain, `https://<prefix>.auth.<region>.amazoncognito.com`
            or your custom domain; https only (plain http only on a loopback
            address, for tests).
        session: a `requests.Session` (default: a new one).
        timeout: seconds for the whole call; default 2.
        cache_ttl: as for `GetUserCheck`.
        max_calls_per_second: as for `GetUserCheck`.
        fail_open: as for `GetUserCheck`.
        clock: as for `GetUserCheck`.

    Raises:
        ConfigurationError: a setting is invalid.

    Examples:
        >>> from cognito_jwt.revocation import UserInfoCheck
        >>> check = UserInfoCheck("https://example.auth.us-east-1.amazoncognito.com")
    """

    scope = "openid"
    call = "userInfo"

    def __init__(
        self,
        domain: str,
        *,
        session: Any = None,
        timeout: float = 2.0,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        max_calls_per_second: float = DEFAULT_MAX_CALLS_PER_SECOND,
        fail_open: bool = False,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.url = _userinfo_url(domain)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not 0 < timeout <= 30
        ):
            raise ConfigurationError(f"timeout: expected seconds > 0, found {timeout!r}")
        super().__init__(
            cache_ttl=cache_ttl,
            max_calls_per_second=max_calls_per_second,
            fail_open=fail_open,
            clock=clock,
        )
        self.timeout = float(timeout)
        self._session = session

    def _revoked_by_cognito(self, token: str) -> bool:
        if self._session is None:
            import requests

            self._session = requests.Session()
        response = self._session.get(
            self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=self.timeout,
            allow_redirects=False,
        )
        status = response.status_code
        if status == 200:
            return False
        if status == 401:
            return True
        raise _unavailable(f"userInfo: expected 200 or 401, found {status}")


def _userinfo_url(domain: object) -> str:
    """`<domain>/oauth2/userInfo`, https only (http only for a loopback host).

    Raises:
        ConfigurationError: not an absolute https URL of a host without path.
    """
    from urllib.parse import urlsplit

    if not isinstance(domain, str) or not domain:
        raise ConfigurationError(
            f"domain: expected the user pool domain URL (https://...), found {domain!r}"
        )
    parts = urlsplit(domain.rstrip("/"))
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ConfigurationError(
            f"domain: expected an https URL (a token is sent there), found {domain!r}"
        )
    if not parts.hostname or parts.path or parts.query or parts.fragment:
        raise ConfigurationError(
            f"domain: expected scheme and host only (the path is /oauth2/userInfo), "
            f"found {domain!r}"
        )
    return f"{parts.scheme}://{parts.netloc}/oauth2/userInfo"


def _revoked(call: str) -> TokenRevokedError:
    return TokenRevokedError(
        f"token: expected Cognito to accept it, found it refused by {call} (signed out, "
        "revoked, or user disabled or deleted)",
        reason="token_revoked",
    )


def _unavailable(
    message: str, *, reason: str = "revocation_unavailable"
) -> RevocationUnavailableError:
    return RevocationUnavailableError(message, reason=reason)
