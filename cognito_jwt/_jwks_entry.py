"""The state of one JWKS URI in the JWKS cache, and the transitions the cache makes on it.

`JwksCache` (`_jwks.py`) decides *when* to fetch; this says what a fetch, a
failure or a missing kid changes: the installed key set and its freshness, the
back-off (`_key_source.Backoff`, shared with the ALB cache), and the cooldown
for unknown kids.
"""

from __future__ import annotations

import threading

from cognito_jwt._key_source import Backoff
from cognito_jwt._keys import KeySet

__all__ = ["JwksEntry"]


class JwksEntry:
    """The state of one JWKS URI and its transitions.  All fields are written under `lock` only."""

    __slots__ = (
        "backoff",
        "fetched_at",
        "fresh_until",
        "generation",
        "keyset",
        "last_attempt",
        "lock",
        "unknown_kid_until",
    )

    def __init__(self, backoff: Backoff) -> None:
        self.lock = threading.Lock()
        self.keyset: KeySet | None = None
        self.fetched_at = float("-inf")
        self.fresh_until = float("-inf")
        self.last_attempt = float("-inf")
        # Until when unknown kids are refused without a fetch: set only by a
        # successful fetch that lacked a kid somebody asked for.
        self.unknown_kid_until = float("-inf")
        self.generation = 0
        self.backoff = backoff  # failures in a row, the last error, the next attempt

    def usable_stale(self, now: float, max_age: float, stale_if_error: float) -> bool:
        """Keys past their freshness may still serve, for `stale_if_error` more seconds.

        Measured from `max_age` (or a longer Cache-Control life): a shorter
        Cache-Control refreshes sooner without shortening stale-if-error.
        """
        horizon = max(self.fresh_until, self.fetched_at + max_age)
        return self.keyset is not None and now < horizon + stale_if_error

    def install(self, keyset: KeySet, now: float, lifetime: float) -> None:
        """Serve `keyset`, fetched at `now`, for `lifetime` seconds; failures are forgotten."""
        self.keyset = keyset
        self.fetched_at = now
        self.fresh_until = now + lifetime
        self.backoff.succeeded()
        self.generation += 1

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
