"""The state of one JWKS URI in the JWKS cache, and the transitions the cache makes on it.

`JwksCache` (`_jwks.py`) decides *when* to fetch; this says what a fetch, a
failure or a missing kid changes: the installed key set, its freshness and its
refresh window (`_jwks_refresh`), the fetch in flight, the back-off
(`_key_source.Backoff`, shared with the ALB cache), and the cooldown for
unknown kids.
"""

from __future__ import annotations

import threading

from cognito_jwt._jwks_refresh import Flight, refresh_at
from cognito_jwt._key_source import Backoff
from cognito_jwt._keys import KeySet
from cognito_jwt.errors import JwksUnavailableError

__all__ = ["JwksEntry"]


class JwksEntry:
    """The state of one JWKS URI and its transitions.  All fields are written under `lock` only."""

    __slots__ = (
        "backoff",
        "fetched_at",
        "flight",
        "fresh_until",
        "generation",
        "installed_seq",
        "keyset",
        "last_attempt",
        "lock",
        "refresh_at",
        "unknown_kid_until",
    )

    def __init__(self, backoff: Backoff) -> None:
        # Held only to read and write these fields, never across a fetch.
        self.lock = threading.Lock()
        self.keyset: KeySet | None = None
        self.fetched_at = float("-inf")
        self.fresh_until = float("-inf")
        # When the next refresh is due: the refresh window's start (at most
        # `fresh_until`), or after a failure the back-off's next attempt.  The
        # hot path compares the clock with this one number.
        self.refresh_at = float("-inf")
        self.flight: Flight | None = None  # the fetch in progress, if any
        self.last_attempt = float("-inf")
        # Until when unknown kids are refused without a fetch: set only by a
        # successful fetch that lacked a kid somebody asked for.
        self.unknown_kid_until = float("-inf")
        self.generation = 0
        # The `Flight.seq` of the fetch that brought `keyset` (or a `ticket`
        # for a set added by hand): an older fetch never replaces it.
        self.installed_seq = -1
        self.backoff = backoff  # failures in a row, the last error, the next attempt

    def usable_stale(self, now: float, max_age: float, stale_if_error: float) -> bool:
        """Keys past their freshness may still serve, for `stale_if_error` more seconds.

        Measured from `max_age` (or a longer Cache-Control life): a shorter
        Cache-Control refreshes sooner without shortening stale-if-error.
        """
        horizon = max(self.fresh_until, self.fetched_at + max_age)
        return self.keyset is not None and now < horizon + stale_if_error

    def fetching(self) -> bool:
        """Whether a fetch is in flight and may still end (not abandoned)."""
        flight = self.flight
        return flight is not None and flight.live()

    def start(self, now: float, deadline: float) -> Flight:
        """Record a fetch begun at `now` (cache clock), abandoned after `deadline` real seconds."""
        flight = self.flight = Flight(deadline)
        self.last_attempt = now
        return flight

    def install(self, keyset: KeySet, now: float, lifetime: float, ahead: float = 0.0) -> None:
        """Serve `keyset`, fetched at `now`, for `lifetime` seconds; failures are forgotten.

        Its refresh window opens `ahead` seconds (at most a quarter of
        `lifetime`) before its freshness ends.
        """
        self.keyset = keyset
        self.fetched_at = now
        self.fresh_until = now + lifetime
        self.refresh_at = refresh_at(self.fresh_until, lifetime, ahead)
        self.backoff.succeeded()
        self.generation += 1

    def failed(self, error: JwksUnavailableError, now: float) -> float:
        """Record a fetch begun at `now` that failed; the seconds until the next attempt.

        Keys still fresh keep serving without a refresh until the back-off
        allows the next one (never past their freshness).
        """
        delay = self.backoff.failed(error, now)
        self.refresh_at = min(self.backoff.next_retry, self.fresh_until)
        self.generation += 1
        return delay

    def note_missing_kid(self, kid: str | None, cooldown: float) -> None:
        """Start the cooldown if the set just fetched lacks the `kid` asked for.

        Called under the lock, after a fetch the caller made or shared.  A set
        that has the kid (a rotation adopted) or a fetch nobody asked a kid of
        (`hydrate`, a refresh after `max_age`) starts nothing.
        """
        keyset = self.keyset
        if kid is None or keyset is None or self.backoff.last_error is not None:
            return
        if kid not in keyset.keys:
            self.unknown_kid_until = max(self.unknown_kid_until, self.last_attempt + cooldown)
