"""The JWKS cache: keys by URI and kid, fetched rarely, shared widely, kept while failing.

Behaviour, and why:

* **Shared.** One `JwksCache` serves any number of URIs and verifiers.
  Verifiers use `DEFAULT_JWKS_CACHE` unless given another, so building a
  verifier per request does not refetch.
* **Hot path without I/O or locks.** A lookup is two dict reads and a clock
  read; keys are pre-built `VerificationKey` objects.
  Key sets are replaced whole (copy-on-write), never mutated in place.
* **Single flight.** When a fetch is needed, concurrent callers (threads, and
  coroutines through worker threads) wait on the one fetch in flight per URI
  and share its response, never on a lock held across I/O, and only until
  its deadline (`_jwks_refresh.Flight`); a generation counter tells a waiter
  that the fetch it queued for has already happened.
* **Refresh ahead, without blocking.** In the last `refresh_ahead` seconds of
  a set's freshness, the first caller starts a refresh on a daemon thread (an
  asyncio task under `verify_async`) and every caller keeps the current keys.
  With `background_refresh=False` (the default under AWS Lambda) the caller
  refreshes inline instead.  A failed refresh keeps the keys and backs off.
* **Past max_age, never served unchecked.** Keys past their freshness are
  not served while a fetch may replace them: the caller runs the refresh (or
  waits for the one in flight, shared by all) and is answered from the new
  set, so a key the issuer removed stops verifying at `max_age` however idle
  the process was.  A request also waits for a kid not in the set.
* **Unknown kid → refetch at once, then a cooldown.** A kid not in a fresh
  set triggers an immediate refetch (shared by all concurrent callers), so a
  key the pool has just published is adopted on first sight.  Only a fetch
  that came back *without* the kid a caller asked for starts the cooldown,
  during which unknown kids are refused without a fetch; a fetch that began
  before the caller asked (a background refresh it shared) is followed by one
  more, unless the cooldown is on, since it could not have seen a key
  published since (`_jwks_fetching._refresh`).  So junk kids cost
  at most one request per ``cooldown``, and a new key is accepted at once,
  or within one cooldown during a flood (its next refetch brings it in).
* **Max age, stale-if-error.** Keys older than ``max_age`` are refreshed; if
  the endpoint fails, the old keys keep serving for up to ``stale_if_error``
  more seconds, while refetches back off exponentially (from ``cooldown`` up
  to ``max_backoff``).  With no usable keys, `JwksUnavailableError`.
* **No keys published there → 401.** An endpoint that answers 403 or 404 has
  no keys for this issuer (a pool's other issuer form, on a host that does
  not serve its keys): with nothing cached, a token routed there is refused
  with `UnknownKeyError` (`no_published_keys`), not deferred with a 503, and
  the back-off keeps it to at most one fetch per cooldown however many such
  tokens arrive.  `hydrate_first` passes over such a URI at start-up.

How a fetch runs (single flight, background refresh) is `_jwks_fetching.py`'s.
The key-source interface, static keys, the back-off bookkeeping and the
fetcher's contract are `_key_source.py`'s, shared with the ALB's key cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from cognito_jwt import _reports
from cognito_jwt._fetch import Fetcher, RequestsFetcher
from cognito_jwt._jwks_document import MIN_CACHE_CONTROL_MAX_AGE, JwksParser
from cognito_jwt._jwks_entry import JwksEntry as _Entry
from cognito_jwt._jwks_fetching import JwksFetching
from cognito_jwt._jwks_refresh import (
    DEFAULT_REFRESH_AHEAD,
    background_default,
    fetch_deadline,
    reset_after_fork,
    ticket,
)
from cognito_jwt._key_source import NOT_PUBLISHED, Backoff, logger, seconds, unknown_kid
from cognito_jwt._keys import VerificationKey, parse_jwks
from cognito_jwt.errors import ConfigurationError, JwksUnavailableError, UnknownKeyError

__all__ = [
    "DEFAULT_COOLDOWN",
    "DEFAULT_JWKS_CACHE",
    "DEFAULT_MAX_AGE",
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_REFRESH_AHEAD",
    "DEFAULT_STALE_IF_ERROR",
    "MIN_CACHE_CONTROL_MAX_AGE",
    "JwksCache",
]


#: Seconds after a fetch before keys are refreshed.  Cognito rotates keys
#: rarely; an hour bounds how long a *removed* key keeps verifying.
DEFAULT_MAX_AGE = 3600.0
#: Seconds unknown kids are refused without a fetch, after a fetch that lacked one.
DEFAULT_COOLDOWN = 10.0
#: Seconds past ``max_age`` that old keys keep serving while the endpoint fails.
DEFAULT_STALE_IF_ERROR = 24 * 3600.0
#: Longest wait between two attempts while the endpoint keeps failing.
DEFAULT_MAX_BACKOFF = 300.0


class JwksCache(JwksFetching):
    """A thread-safe, multi-URI JWKS cache with single-flight fetching.

    Args:
        fetcher: how documents are fetched; defaults to `RequestsFetcher`.
        max_age: seconds before a loaded set is refreshed.
        cooldown: after a fetch that lacked a kid asked for, how long unknown
            kids are refused without a fetch; also the first back-off step
            after a failed fetch.
        stale_if_error: seconds past ``max_age`` that old keys keep serving
            while fetches fail.
        max_backoff: upper bound of the back-off between failing attempts.
        refresh_ahead: seconds before a set's freshness ends in which one
            caller refreshes it while every caller keeps its keys (at most a
            quarter of the set's lifetime); `0` refreshes only once keys are stale.
        background_refresh: `True` refreshes on a daemon thread (an asyncio
            task under `verify_async`), `False` inline in the request that
            finds the refresh due; `None` (the default) means `True`, except
            in AWS Lambda (`AWS_LAMBDA_FUNCTION_NAME` set), whose frozen
            environments would strand a background thread.
        clock: monotonic seconds; replaceable for tests.
        jwks_parser: ``f(body) -> JWKS``, for an issuer whose key document is
            not a JWKS (a map of PEM certificates, a wrapped set): it turns the
            fetched body into a JWKS (a mapping, or JSON text or bytes).  Its
            output is parsed like any fetched set, so the key-hygiene rules
            hold (an RSA key under 2048 bits, a small-order or unsupported key
            is unusable); what it raises is a failed fetch (`jwks_invalid`).
        cache_control_extends: let a response's `Cache-Control: max-age`
            keep keys *longer* than ``max_age``.  Off by default: a longer
            life delays dropping a key the issuer removed.  (A shorter one is
            always honoured, down to `MIN_CACHE_CONTROL_MAX_AGE`.)
        on_report: ``f(report)``, told of each fetch, background refresh
            started, refresh, failed fetch, back-off and stale serve (URI,
            duration, outcome; see `Report`).
            What it raises is logged once and swallowed.
        on_event: deprecated, the old name of ``on_report``; it warns.

    Examples:
        >>> cache = JwksCache(max_age=600)
        >>> # CognitoJwtVerifier(..., jwks_cache=cache)
    """

    def __init__(
        self,
        fetcher: Fetcher | None = None,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        cooldown: float = DEFAULT_COOLDOWN,
        stale_if_error: float = DEFAULT_STALE_IF_ERROR,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        refresh_ahead: float = DEFAULT_REFRESH_AHEAD,
        background_refresh: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        jwks_parser: JwksParser | None = None,
        cache_control_extends: bool = False,
        on_report: _reports.ReportHook | None = None,
        on_event: _reports.ReportHook | None = None,
    ) -> None:
        self._on_report = _reports.make_hook(_reports.renamed(on_report, on_event))
        if jwks_parser is not None and not callable(jwks_parser):
            raise ConfigurationError(
                "jwks_parser: expected a callable(body: bytes) returning a JWKS, "
                f"found {type(jwks_parser).__name__}"
            )
        self.jwks_parser = jwks_parser
        if not isinstance(cache_control_extends, bool):
            raise ConfigurationError(
                f"cache_control_extends: expected True or False, found {cache_control_extends!r}"
            )
        self.cache_control_extends = cache_control_extends
        if fetcher is not None and not isinstance(fetcher, Fetcher):
            raise ConfigurationError("fetcher: expected an object with a fetch(uri) method")
        self.fetcher: Fetcher = fetcher if fetcher is not None else RequestsFetcher()
        self.max_age = seconds("max_age", max_age)
        self.cooldown = seconds("cooldown", cooldown)
        self.stale_if_error = seconds("stale_if_error", stale_if_error)
        self.max_backoff = max(seconds("max_backoff", max_backoff), self.cooldown)
        self.refresh_ahead = seconds("refresh_ahead", refresh_ahead)
        #: Whether refreshes run in the background (see `background_refresh`).
        self.background_refresh = background_default(background_refresh)
        self._deadline = fetch_deadline(self.fetcher)
        self._tasks: set[Any] = set()  # asyncio tasks of background refreshes, until they end
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._entries_lock = threading.Lock()
        reset_after_fork(self)

    # -- public ------------------------------------------------------------

    def peek(self, uri: str, kid: str) -> VerificationKey | None:
        """A fresh cached key for ``kid``, or ``None``.  Never blocks, never fetches.

        Inside the refresh window it starts the background refresh (once) and
        still answers; refreshing inline, it answers ``None`` there so that the
        caller's `get_key` refreshes.
        """
        entry = self._entries.get(uri)
        if entry is None:
            return None
        now = self._clock()
        if now >= entry.refresh_at:
            if now >= entry.fresh_until or not self.background_refresh:
                return None
            self._start_background(uri, entry)
        keyset = entry.keyset
        return keyset.keys.get(kid) if keyset is not None else None

    def get_key(self, uri: str, kid: str) -> VerificationKey:
        """The key for ``kid`` at ``uri``; fetches when the rules above allow.

        Raises:
            UnknownKeyError: (401) the JWKS is loaded and ``kid`` is not (usably)
                in it, or the endpoint answered 403/404 and no key is cached
                (reason `no_published_keys`).
            JwksUnavailableError: (503) no usable JWKS could be obtained.
        """
        try:
            return self._get_key(uri, kid)
        except JwksUnavailableError as exc:
            if exc.http_status not in NOT_PUBLISHED:
                raise
            # No keys here, however often it is retried: a token problem (401),
            # not an outage (503); typically a pool's other issuer form.
            raise UnknownKeyError(
                f"kid {kid!r:.60}: expected a key published at {uri}, found that the endpoint "
                f"answers HTTP {exc.http_status} (no keys published there)",
                reason="no_published_keys",
            ) from None

    def _get_key(self, uri: str, kid: str) -> VerificationKey:
        entry = self._entry(uri)
        seen = entry.generation  # read first: a fetch completing later is one to share
        now = self._clock()
        keyset = entry.keyset
        if now < entry.fresh_until and keyset is not None:
            key = keyset.keys.get(kid)
            if key is not None:
                if now < entry.refresh_at:
                    return key
                return self._refresh_ahead(uri, entry, seen, kid, key)
            if now < entry.unknown_kid_until or now < entry.backoff.next_retry:
                raise unknown_kid(uri, kid, keyset)
            self._refresh(uri, entry, seen, wait=True, kid=kid, gated=True)
            return self._lookup_after_fetch(uri, kid, entry)
        # Stale or never loaded.
        if entry.usable_stale(now, self.max_age, self.stale_if_error) and keyset is not None:
            key = keyset.keys.get(kid)
            if key is None:
                # A kid this set never had: worth waiting for a fetch, unless backing off.
                if now < entry.backoff.next_retry:
                    raise unknown_kid(uri, kid, keyset)
                self._refresh(uri, entry, seen, wait=True, kid=kid)
                return self._lookup_after_fetch(uri, kid, entry)
            if now < entry.backoff.next_retry:
                # Backing off after a failure: stale-if-error.
                _reports.notify(self._on_report, "stale", uri=uri, kid=kid)
                return key
            return self._refresh_stale(uri, entry, seen, kid, key)
        if entry.backoff.waiting(now) and not entry.fetching():
            error = entry.backoff.still_failing(f"JWKS at {uri}")
            _reports.notify(
                self._on_report,
                "backoff",
                uri=uri,
                reason=error.reason,
                status=503,
            )
            raise error
        self._refresh(uri, entry, seen, wait=True, kid=kid)
        return self._lookup_after_fetch(uri, kid, entry)

    def _refresh_ahead(
        self, uri: str, entry: _Entry, seen: int, kid: str, key: VerificationKey
    ) -> VerificationKey:
        """Refresh keys still fresh, in the window, `key` being the current key for `kid`.

        In the background: start it (once) and answer `key`.  Inline: fetch
        now, and answer from the new set; if the fetch fails, `key`.
        """
        if self.background_refresh:
            self._start_background(uri, entry)
        else:
            try:
                self._refresh(uri, entry, seen, wait=False, kid=kid)
            except JwksUnavailableError:
                logger.warning("JWKS refresh failed for %s; serving cached keys", uri)
            else:
                if entry.keyset is not None and entry.generation != seen:
                    return self._lookup_after_fetch(uri, kid, entry)
        return key

    def _refresh_stale(
        self, uri: str, entry: _Entry, seen: int, kid: str, key: VerificationKey
    ) -> VerificationKey:
        """Refresh keys past their freshness, and answer from what the fetch brings.

        Stale keys are not served while the endpoint may answer: a key the
        issuer removed would keep verifying past `max_age`.  So the caller
        fetches, or waits for the fetch in flight (in the background or not),
        and is answered from the new set; only if that fetch fails is `key`,
        the stale key, served (stale-if-error).
        """
        try:
            self._refresh(uri, entry, seen, wait=True, kid=kid)
        except JwksUnavailableError:
            logger.warning("JWKS refresh failed for %s; serving cached keys", uri)
        else:
            if self._clock() < entry.fresh_until:
                return self._lookup_after_fetch(uri, kid, entry)
        # The fetch failed (ours or the one we shared): stale-if-error.
        _reports.notify(self._on_report, "stale", uri=uri, kid=kid)
        return key

    def hydrate(self, uri: str) -> None:
        """Load keys for ``uri`` now unless fresh ones are cached.

        As a request would: no fetch during a back-off, and keys still within
        ``stale_if_error`` count as usable.

        Raises:
            JwksUnavailableError: (503) the fetch failed (or is backing off)
                and nothing usable is cached.
        """
        entry = self._entry(uri)
        now = self._clock()
        if now < entry.fresh_until:
            return
        usable = entry.usable_stale(now, self.max_age, self.stale_if_error)
        if entry.backoff.waiting(now):
            if usable:
                return
            raise entry.backoff.still_failing(f"JWKS at {uri}")
        try:
            self._refresh(uri, entry, entry.generation, wait=True)
        except JwksUnavailableError:
            if usable:
                logger.warning("JWKS refresh failed for %s; cached keys still serve", uri)
                return
            raise
        if entry.keyset is None:
            # We waited on another caller's fetch, and it failed.
            raise entry.backoff.still_failing(f"JWKS at {uri}")

    def add_jwks(self, uri: str, jwks: bytes | str | Mapping[str, Any]) -> None:
        """Load a JWKS you already have (bundled, or fetched elsewhere) for ``uri``.

        It counts as a fresh fetch: it is refreshed from the network after ``max_age``.
        """
        keyset = parse_jwks(jwks, source=f"JWKS for {uri}")
        entry = self._entry(uri)
        with entry.lock:
            entry.install(keyset, self._clock(), self.max_age, self.refresh_ahead)
            entry.installed_seq = ticket()

    def clear(self) -> None:
        """Forget every cached key set (tests, or after a known compromise)."""
        with self._entries_lock:
            self._entries = {}

    def forget(self, uri: str) -> None:
        """Forget ``uri``'s keys and back-off: its next lookup fetches (one issuer's `clear`)."""
        with self._entries_lock:
            self._entries = {u: e for u, e in self._entries.items() if u != uri}

    # -- internals ---------------------------------------------------------

    def _after_fork(self) -> None:
        """In a child forked mid-fetch: no thread will end a flight, or release a lock, there."""
        self._entries_lock = threading.Lock()
        self._tasks = set()
        for entry in self._entries.values():
            entry.lock = threading.Lock()
            entry.flight = None

    def _entry(self, uri: str) -> _Entry:
        entry = self._entries.get(uri)
        if entry is None:
            with self._entries_lock:
                entry = self._entries.get(uri)
                if entry is None:
                    entry = _Entry(Backoff(self.cooldown, self.max_backoff))
                    self._entries = {**self._entries, uri: entry}
        return entry


#: The process-wide cache every verifier uses unless given ``jwks_cache=``.
DEFAULT_JWKS_CACHE = JwksCache()
