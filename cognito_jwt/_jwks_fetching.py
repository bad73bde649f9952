"""How the JWKS cache fetches: one fetch in flight per URI, in the caller or in the background.

`JwksCache` (`_jwks.py`) decides *when* a URI needs a fetch; `JwksFetching`,
its base, runs it: the single flight (`_refresh`: whoever finds no fetch in
flight leads, the others wait on it until its deadline, see
`_jwks_refresh.Flight`), the fetch itself with what it installs or records
(`_fetch`), and the background refresh (`_start_background`: one per window,
on a daemon thread or an asyncio task, see `_jwks_refresh.dispatch`).  No lock
is held across a fetch; each entry's lock guards its fields only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cognito_jwt import _reports
from cognito_jwt._fetch import Fetcher
from cognito_jwt._jwks_document import JwksParser, lifetime, parsed
from cognito_jwt._jwks_entry import JwksEntry as _Entry
from cognito_jwt._jwks_refresh import Flight, dispatch, ticket
from cognito_jwt._key_source import fetch_body, logger, report_fetch, unknown_kid
from cognito_jwt._keys import VerificationKey, parse_jwks
from cognito_jwt.errors import JwksUnavailableError

__all__ = ["JwksFetching"]


class JwksFetching:
    """The fetching half of `JwksCache`: its settings are set by `JwksCache.__init__`."""

    fetcher: Fetcher
    max_age: float
    cooldown: float
    refresh_ahead: float
    background_refresh: bool
    jwks_parser: JwksParser | None
    cache_control_extends: bool
    _on_report: _reports.Hook | None
    _clock: Callable[[], float]
    _deadline: float
    _tasks: set[Any]

    def _lookup_after_fetch(self, uri: str, kid: str, entry: _Entry) -> VerificationKey:
        keyset = entry.keyset
        if keyset is None:
            raise entry.backoff.still_failing(f"JWKS at {uri}")
        key = keyset.keys.get(kid)
        if key is None:
            raise unknown_kid(uri, kid, keyset)
        return key

    def lifetime(self, body: bytes) -> float:
        """Seconds a document fetched as `body` stays fresh (see `_jwks_document.lifetime`)."""
        return lifetime(body, self.max_age, extends=self.cache_control_extends)

    def _start_background(self, uri: str, entry: _Entry) -> None:
        """Start one background refresh of ``uri`` unless one runs or none is due."""
        if entry.fetching():
            return
        with entry.lock:
            now = self._clock()
            if entry.fetching() or now < entry.refresh_at or entry.backoff.waiting(now):
                return  # another caller started it, or it has just ended
            flight = entry.start(now, self._deadline)
        if dispatch(lambda: self._background(uri, entry, flight, now), self._tasks):
            _reports.notify(self._on_report, "refresh_started", uri=uri)
            return
        with entry.lock:  # no thread: nobody will end this flight but us
            if entry.flight is flight:
                entry.flight = None
        flight.done.set()

    def _background(self, uri: str, entry: _Entry, flight: Flight, now: float) -> None:
        """The body of a background refresh: its failure is logged and reported, never raised."""
        try:
            self._fetch(uri, entry, flight, now, None)
        except JwksUnavailableError:
            pass  # the current keys keep serving; the back-off is recorded
        except Exception:  # a parser or hook bug must not die silently in a thread
            logger.exception("JWKS background refresh of %s failed", uri)

    def _refresh(
        self,
        uri: str,
        entry: _Entry,
        seen_generation: int,
        *,
        wait: bool,
        kid: str | None = None,
        gated: bool = False,
    ) -> None:
        """Fetch ``uri`` once for everyone who asked since ``seen_generation``.

        ``kid`` is what the caller is looking for (none for `hydrate`); if the
        set fetched (or shared) lacks it, the cooldown starts.  ``gated`` marks
        a fetch wanted only for an unknown kid, which a cooldown started while
        the caller waited cancels.  ``wait=False`` returns at once when another
        caller's fetch is in flight.  A fetch in flight past its deadline is
        abandoned: this caller fetches instead.

        A caller for a kid the shared fetch lacked, when that fetch began
        before the caller asked (a background refresh, say), cannot tell an
        invented kid from a key published since: it does not start the
        cooldown from that fetch but makes one more, once, which the cooldown
        (started by someone else's fetch that lacked their kid) still bars.

        Raises:
            JwksUnavailableError: this fetch (or the one we waited for) failed.
        """
        asked = ticket()
        again = False
        while True:
            with entry.lock:
                if entry.generation != seen_generation:
                    # A fetch ended since we looked: share its result.
                    keyset = entry.keyset
                    if (
                        entry.backoff.last_error is not None
                        and entry.backoff.failures
                        and keyset is None
                    ):
                        raise entry.backoff.still_failing(f"JWKS at {uri}")
                    if (
                        not again
                        and kid is not None
                        and keyset is not None
                        and kid not in keyset.keys
                        and entry.backoff.last_error is None
                        and entry.installed_seq < asked
                    ):
                        again = gated = True  # one fetch of our own, if the cooldown allows
                        seen_generation = entry.generation
                        continue
                    entry.note_missing_kid(kid, self.cooldown)
                    return
                now = self._clock()
                if gated and now < entry.unknown_kid_until:
                    return  # another caller's fetch has just answered "no such kid"
                flight = entry.flight
                leader = flight is None or not flight.live()
                if leader:
                    flight = entry.start(now, self._deadline)
            assert flight is not None
            if leader:
                self._fetch(uri, entry, flight, now, kid)
                return
            if not wait:
                return
            flight.wait()

    def _fetch(self, uri: str, entry: _Entry, flight: Flight, now: float, kid: str | None) -> None:
        """Fetch ``uri`` as `flight`, begun at `now`, and install what it brings.

        No lock is held while fetching.  If `flight` was abandoned and another
        has replaced it meanwhile, its keys are still installed unless a fetch
        begun after it has already installed its own; its failure is not
        recorded (the fetch that replaced it speaks for the endpoint).

        Raises:
            JwksUnavailableError: the fetch failed.
        """
        first = entry.keyset is None
        started = time.perf_counter() if self._on_report is not None else 0.0
        try:
            try:
                fetched = fetch_body(self.fetcher, uri)
                keyset = parse_jwks(parsed(uri, fetched, self.jwks_parser), source=f"JWKS at {uri}")
                if not keyset.keys:
                    # A set with no usable key is a broken endpoint, not a rotation
                    # (Cognito always publishes its keys): it fails like any bad
                    # answer, so keys that still work keep serving (stale-if-error).
                    raise JwksUnavailableError(
                        f"JWKS at {uri}: expected at least one usable key, found none "
                        f"({len(keyset.unusable)} unusable)",
                        reason="jwks_invalid",
                    )
            except JwksUnavailableError as exc:
                with entry.lock:
                    current = entry.flight is flight
                    delay = entry.failed(exc, now) if current else 0.0
                if current:
                    logger.warning(
                        "JWKS fetch failed for %s (%s); next attempt in %.1f s",
                        uri,
                        exc.reason,
                        delay,
                    )
                    report_fetch(
                        self._on_report,
                        "fetch_failed",
                        uri,
                        started=started,
                        reason=exc.reason,
                        status=503,
                    )
                raise
            with entry.lock:
                # Even abandoned (answered past its deadline), install it, unless a
                # fetch begun after it (or `add_jwks`) has installed a newer set.
                current = flight.seq > entry.installed_seq
                if current:
                    entry.install(keyset, now, self.lifetime(fetched), self.refresh_ahead)
                    entry.installed_seq = flight.seq
                    entry.note_missing_kid(kid, self.cooldown)
            if current:
                logger.info("JWKS loaded from %s: %d usable key(s)", uri, len(keyset.keys))
                kind: _reports.ReportKind = "fetch" if first else "refresh"
                report_fetch(self._on_report, kind, uri, started=started)
        finally:
            with entry.lock:
                if entry.flight is flight:
                    entry.flight = None
            flight.done.set()
