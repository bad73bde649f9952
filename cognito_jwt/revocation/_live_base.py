"""What both live checks share: the verdict cache, single flight, rate bound and failure rules.

`_LiveCheck` asks `_revoked_by_cognito` (each check's one call to Cognito) at
most once per token per `cache_ttl`, shares one call among concurrent callers
of a token (threads and tasks), bounds calls per process (`_RateBound`), and
turns any failure of the call into `RevocationUnavailableError` (503).  The
checks themselves, and why they exist, are in `_live`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cognito_jwt._revocation import IssuerFacts, check_cache_ttl, check_fail_open
from cognito_jwt.errors import (
    ConfigurationError,
    InvalidClaimError,
    RevocationUnavailableError,
    TokenRevokedError,
)

if TYPE_CHECKING:  # pragma: no cover
    import asyncio

__all__ = ["DEFAULT_MAX_CALLS_PER_SECOND", "unavailable"]

#: Calls to Cognito per second per process (a burst of as many is allowed).
#: Set it to this process's share of the account's quota.
DEFAULT_MAX_CALLS_PER_SECOND = 10.0
#: Seconds a caller waits for another caller's call on the same token.
_FLIGHT_WAIT = 10.0
_MAX_ENTRIES = 16_384


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
            raise unavailable(f"{self.call} did not answer in {_FLIGHT_WAIT:g} s")
        if flight.error is not None:
            if isinstance(flight.error, RevocationUnavailableError):
                raise unavailable(flight.error.message, reason=flight.error.reason)
            raise unavailable(f"{self.call} failed: {type(flight.error).__name__}")
        assert flight.revoked is not None
        return flight.revoked

    def _bounded_call(self, token: str) -> bool:
        """One call, within the rate bound; any failure is `RevocationUnavailableError`."""
        if not self._bound.take():
            raise unavailable(
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
            raise unavailable(
                f"{self.call}: expected an answer, found {type(exc).__name__}"
            ) from exc

    def _revoked_by_cognito(self, token: str) -> bool:
        """True if Cognito refuses `token`, False if it accepts it; raise if unknown."""
        raise NotImplementedError


def _revoked(call: str) -> TokenRevokedError:
    return TokenRevokedError(
        f"token: expected Cognito to accept it, found it refused by {call} (signed out, "
        "revoked, or user disabled or deleted)",
        reason="token_revoked",
    )


def unavailable(
    message: str, *, reason: str = "revocation_unavailable"
) -> RevocationUnavailableError:
    return RevocationUnavailableError(message, reason=reason)
