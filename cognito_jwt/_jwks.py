"""The JWKS cache: keys by URI and kid, fetched rarely, shared widely, kept while failing.

Behaviour, and why:

* **Shared.** One `JwksCache` serves any number of URIs and verifiers.
  Verifiers use `DEFAULT_JWKS_CACHE` unless given another, so building a
  verifier per request does not refetch.
* **Hot path without I/O or locks.** A lookup is two dict reads and a clock
  read; keys are pre-built `VerificationKey` objects.
  Key sets are replaced whole (copy-on-write), never mutated in place.
* **Single flight.** When a fetch is needed, concurrent callers (threads, and
  coroutines through worker threads) wait on one per-URI lock and share the
  one response; a generation counter tells a waiter that the fetch it queued
  for has already happened.
* **Unknown kid → refetch at once, then a cooldown.** A kid not in a fresh
  set triggers an immediate refetch (shared by all concurrent callers), so a
  key the pool has just published is adopted on first sight.  Only a fetch
  that came back *without* the kid a caller asked for starts the cooldown:
  during it, unknown kids are refused without a fetch.  So a flood of junk
  kids costs at most one request per ``cooldown``, and a genuinely new key
  is accepted at once when no flood is going on, and within one cooldown
  when one is (the flood's next refetch brings it in).
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
* **Static keys.** `StaticKeySource` serves a JWKS given in code or
  bundled at deploy time, and never touches the network.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from cognito_jwt import _reports
from cognito_jwt._fetch import Fetcher, RequestsFetcher
from cognito_jwt._keys import KeySet, VerificationKey, parse_jwks
from cognito_jwt.errors import ConfigurationError, JwksUnavailableError, UnknownKeyError

__all__ = [
    "DEFAULT_COOLDOWN",
    "DEFAULT_JWKS_CACHE",
    "DEFAULT_MAX_AGE",
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_STALE_IF_ERROR",
    "JwksCache",
    "KeySource",
    "StaticKeySource",
    "hydrate_first",
]


class _Logger:
    """``logging.getLogger("cognito_jwt")``, resolved on first use.

    Only fetches log, and importing ``logging`` costs a cold start ~5 ms that a
    verifier on a bundled JWKS never needs.
    """

    def __getattr__(self, name: str) -> Any:
        import logging

        return getattr(logging.getLogger("cognito_jwt"), name)


logger = _Logger()

#: Seconds after a fetch before keys are refreshed.  Cognito rotates keys
#: rarely; an hour bounds how long a *removed* key keeps verifying.
DEFAULT_MAX_AGE = 3600.0
#: Seconds unknown kids are refused without a fetch, after a fetch that lacked one.
DEFAULT_COOLDOWN = 10.0
#: Seconds past ``max_age`` that old keys keep serving while the endpoint fails.
DEFAULT_STALE_IF_ERROR = 24 * 3600.0
#: Longest wait between two attempts while the endpoint keeps failing.
DEFAULT_MAX_BACKOFF = 300.0


class KeySource(Protocol):
    """Where a verifier gets keys: the caching fetcher, or a static set."""

    def peek(self, uri: str, kid: str) -> VerificationKey | None:
        """A fresh cached key, or ``None``; never blocks, never does I/O."""
        ...

    def get_key(self, uri: str, kid: str) -> VerificationKey:
        """The key for ``kid``, fetching if the rules allow; may block on I/O."""
        ...

    def hydrate(self, uri: str) -> None:
        """Make sure keys for ``uri`` are loaded (fetching now if needed)."""
        ...


#: HTTP answers that mean "no keys are published at this URI", as opposed to
#: an outage: a token routed here is refused (401) rather than deferred (503).
_NOT_PUBLISHED = frozenset({403, 404})


def hydrate_first(source: KeySource, uris: Sequence[str]) -> None:
    """Load the keys of one pool from the first of ``uris`` that publishes them.

    A Cognito pool has two issuer forms on two hosts, and a pool may publish
    its keys on only one of them.  A URI that answers 403/404 is passed over
    for the next; any other failure is raised at once, as is the first URI's
    failure when every one answers 403/404.

    Raises:
        JwksUnavailableError: (503) no URI yielded keys.
    """
    first: JwksUnavailableError | None = None
    for uri in dict.fromkeys(uris):
        try:
            source.hydrate(uri)
        except JwksUnavailableError as exc:
            if exc.http_status not in _NOT_PUBLISHED:
                raise
            first = first or exc
            continue
        return
    if first is not None:
        raise first


def _unknown(uri: str, kid: str, keyset: KeySet | None) -> UnknownKeyError:
    if keyset is not None and kid in keyset.unusable:
        return UnknownKeyError(
            f"kid {kid!r:.60}: expected a usable key, found one the JWKS at {uri} lists but "
            f"cannot be used ({keyset.unusable[kid]})",
            reason="unusable_key",
        )
    return UnknownKeyError(
        f"kid {kid!r:.60}: expected one of the keys published at {uri}, found none matching",
        reason="unknown_kid",
    )


class _Entry:
    """The state of one JWKS URI.  All fields are written under ``lock`` only."""

    __slots__ = (
        "failures",
        "fetched_at",
        "fresh_until",
        "generation",
        "keyset",
        "last_attempt",
        "last_error",
        "lock",
        "next_retry",
        "unknown_kid_until",
    )

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.keyset: KeySet | None = None
        self.fetched_at = float("-inf")
        self.fresh_until = float("-inf")
        self.last_attempt = float("-inf")
        self.next_retry = float("-inf")
        # Until when unknown kids are refused without a fetch: set only by a
        # successful fetch that lacked a kid somebody asked for.
        self.unknown_kid_until = float("-inf")
        self.failures = 0
        self.generation = 0
        self.last_error: JwksUnavailableError | None = None


class JwksCache:
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
        clock: monotonic seconds; replaceable for tests.
        on_report: ``f(report)``, told of each fetch, refresh, failed fetch,
            back-off and stale serve (URI, duration, outcome; see `Report`).
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
        clock: Callable[[], float] = time.monotonic,
        on_report: _reports.ReportHook | None = None,
        on_event: _reports.ReportHook | None = None,
    ) -> None:
        on_report = _reports.renamed(on_report, on_event)
        self._on_report = _reports.make_hook(on_report)
        for name, value in (
            ("max_age", max_age),
            ("cooldown", cooldown),
            ("stale_if_error", stale_if_error),
            ("max_backoff", max_backoff),
        ):
            if not isinstance(value, int | float) or value < 0 or math.isnan(value):
                raise ConfigurationError(f"{name}: expected seconds >= 0, found {value!r}")
        if fetcher is not None and not isinstance(fetcher, Fetcher):
            raise ConfigurationError("fetcher: expected an object with a fetch(uri) method")
        self.fetcher: Fetcher = fetcher if fetcher is not None else RequestsFetcher()
        self.max_age = float(max_age)
        self.cooldown = float(cooldown)
        self.stale_if_error = float(stale_if_error)
        self.max_backoff = max(float(max_backoff), float(cooldown))
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._entries_lock = threading.Lock()

    # -- public ------------------------------------------------------------

    def peek(self, uri: str, kid: str) -> VerificationKey | None:
        """A fresh cached key for ``kid``, or ``None``.  Never blocks."""
        entry = self._entries.get(uri)
        if entry is None or self._clock() >= entry.fresh_until:
            return None
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
            if exc.http_status not in _NOT_PUBLISHED:
                raise
            # The endpoint says it has no keys here: a token naming this issuer
            # cannot be verified however often it is retried, so it is a token
            # problem (401), not an outage (503).  Typically the pool's other
            # issuer form, whose host does not serve this pool's keys.
            raise UnknownKeyError(
                f"kid {kid!r:.60}: expected a key published at {uri}, found that the endpoint "
                f"answers HTTP {exc.http_status} (no keys published there)",
                reason="no_published_keys",
            ) from None

    def _get_key(self, uri: str, kid: str) -> VerificationKey:
        entry = self._entry(uri)
        # Read first: a fetch that completes after this point is one that
        # this caller may share instead of repeating (see _refresh).
        seen = entry.generation
        now = self._clock()
        keyset = entry.keyset
        if now < entry.fresh_until and keyset is not None:
            key = keyset.keys.get(kid)
            if key is not None:
                return key
            if now < entry.unknown_kid_until or now < entry.next_retry:
                raise _unknown(uri, kid, keyset)
            self._refresh(uri, entry, seen, wait=True, kid=kid, gated=True)
            return self._lookup_after_fetch(uri, kid, entry)
        # Stale or never loaded.
        if self._usable_stale(entry, now) and keyset is not None:
            key = keyset.keys.get(kid)
            if now < entry.next_retry or entry.lock.locked():
                # Backing off, or another caller is already refreshing: serve stale.
                if key is not None:
                    _reports.notify(self._on_report, "stale", uri=uri, kid=kid)
                    return key
                raise _unknown(uri, kid, keyset)
            try:
                self._refresh(uri, entry, seen, wait=False, kid=kid)
            except JwksUnavailableError:
                if key is not None:
                    logger.warning("JWKS refresh failed for %s; serving cached keys", uri)
                    _reports.notify(self._on_report, "stale", uri=uri, kid=kid)
                    return key
                raise
            return self._lookup_after_fetch(uri, kid, entry)
        if now < entry.next_retry and entry.last_error is not None and not entry.lock.locked():
            error = self._still_failing(uri, entry)
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

    def hydrate(self, uri: str) -> None:
        """Load keys for ``uri`` now unless fresh ones are cached.

        Follows the same rules as a request would: during a back-off it does
        not contact the endpoint, and keys still within ``stale_if_error``
        count as usable.

        Raises:
            JwksUnavailableError: (503) the fetch failed (or is backing off)
                and nothing usable is cached.
        """
        entry = self._entry(uri)
        now = self._clock()
        if now < entry.fresh_until:
            return
        usable = self._usable_stale(entry, now)
        if now < entry.next_retry and entry.last_error is not None:
            if usable:
                return
            raise self._still_failing(uri, entry)
        try:
            self._refresh(uri, entry, entry.generation, wait=True)
        except JwksUnavailableError:
            if usable:
                logger.warning("JWKS refresh failed for %s; cached keys still serve", uri)
                return
            raise
        if entry.keyset is None:
            # We waited on another caller's fetch, and it failed.
            raise self._still_failing(uri, entry)

    def add_jwks(self, uri: str, jwks: bytes | str | Mapping[str, Any]) -> None:
        """Load a JWKS you already have (bundled, or fetched elsewhere) for ``uri``.

        It counts as a fresh fetch: it is refreshed from the network after ``max_age``.
        """
        keyset = parse_jwks(jwks, source=f"JWKS for {uri}")
        entry = self._entry(uri)
        with entry.lock:
            self._install(entry, keyset, self._clock())

    def clear(self) -> None:
        """Forget every cached key set (tests, or after a known compromise)."""
        with self._entries_lock:
            self._entries = {}

    # -- internals ---------------------------------------------------------

    def _entry(self, uri: str) -> _Entry:
        entry = self._entries.get(uri)
        if entry is None:
            with self._entries_lock:
                entry = self._entries.get(uri)
                if entry is None:
                    entry = _Entry()
                    self._entries = {**self._entries, uri: entry}
        return entry

    def _usable_stale(self, entry: _Entry, now: float) -> bool:
        """Keys past ``max_age`` may still serve, for ``stale_if_error`` more seconds."""
        return entry.keyset is not None and now < (
            entry.fetched_at + self.max_age + self.stale_if_error
        )

    def _lookup_after_fetch(self, uri: str, kid: str, entry: _Entry) -> VerificationKey:
        keyset = entry.keyset
        if keyset is None:
            raise self._still_failing(uri, entry)
        key = keyset.keys.get(kid)
        if key is None:
            raise _unknown(uri, kid, keyset)
        return key

    def _still_failing(self, uri: str, entry: _Entry) -> JwksUnavailableError:
        last = entry.last_error
        detail = f" ({last.message})" if last is not None else ""
        return JwksUnavailableError(
            f"JWKS at {uri}: expected keys, found none usable{detail}",
            reason=last.reason if last is not None else "jwks_unavailable",
            http_status=last.http_status if last is not None else None,
        )

    def _install(self, entry: _Entry, keyset: KeySet, now: float) -> None:
        entry.keyset = keyset
        entry.fetched_at = now
        entry.fresh_until = now + self.max_age
        entry.failures = 0
        entry.next_retry = float("-inf")
        entry.last_error = None
        entry.generation += 1

    def _note_missing_kid(self, entry: _Entry, kid: str | None) -> None:
        """Start the cooldown if the set just fetched lacks the ``kid`` asked for.

        Called under the lock, after a fetch the caller made or shared.  A set
        that has the kid (a rotation adopted) or a fetch nobody asked a kid of
        (`hydrate`, a refresh after `max_age`) starts nothing.
        """
        keyset = entry.keyset
        if kid is None or keyset is None or entry.last_error is not None or kid in keyset.keys:
            return
        entry.unknown_kid_until = max(entry.unknown_kid_until, entry.last_attempt + self.cooldown)

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
        the caller waited for the lock cancels.

        Raises:
            JwksUnavailableError: this fetch (or the one we waited for) failed.
        """
        if not entry.lock.acquire(blocking=wait):
            return
        try:
            if entry.generation != seen_generation:
                # Someone fetched while we waited for the lock: share their result.
                if entry.last_error is not None and entry.failures and entry.keyset is None:
                    raise self._still_failing(uri, entry)
                self._note_missing_kid(entry, kid)
                return
            now = self._clock()
            if gated and now < entry.unknown_kid_until:
                return  # another caller's fetch has just answered "no such kid"
            entry.last_attempt = now
            first = entry.keyset is None
            started = time.perf_counter() if self._on_report is not None else 0.0
            try:
                body = self.fetcher.fetch(uri)
                keyset = parse_jwks(body, source=f"JWKS at {uri}")
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
                entry.failures += 1
                backoff = min(self.cooldown * 2 ** (entry.failures - 1), self.max_backoff)
                entry.next_retry = now + backoff
                entry.last_error = exc
                entry.generation += 1
                logger.warning(
                    "JWKS fetch failed for %s (%s); next attempt in %.1f s",
                    uri,
                    exc.reason,
                    backoff,
                )
                self._fetched(uri, started, exc.reason)
                raise
            except Exception as exc:  # a user-supplied fetcher broke its contract
                entry.failures += 1
                entry.next_retry = now + min(
                    self.cooldown * 2 ** (entry.failures - 1), self.max_backoff
                )
                entry.last_error = JwksUnavailableError(
                    f"JWKS fetch from {uri}: fetcher raised {type(exc).__name__}",
                    reason="jwks_fetch_failed",
                )
                entry.generation += 1
                self._fetched(uri, started, entry.last_error.reason)
                raise entry.last_error from exc
            self._install(entry, keyset, now)
            self._note_missing_kid(entry, kid)
            logger.info("JWKS loaded from %s: %d usable key(s)", uri, len(keyset.keys))
            if self._on_report is not None:
                self._fetched(uri, started, None, kind="fetch" if first else "refresh")
        finally:
            entry.lock.release()

    def _fetched(
        self,
        uri: str,
        started: float,
        reason: str | None,
        *,
        kind: _reports.ReportKind = "fetch_failed",
    ) -> None:
        """Report one fetch to the `on_report` hook (nothing without one)."""
        if self._on_report is not None:
            self._on_report(
                _reports.Report(
                    kind,
                    reason=reason,
                    status=503 if reason is not None else None,
                    uri=uri,
                    duration=time.perf_counter() - started,
                    outcome="ok" if reason is None else "failed",
                )
            )


class StaticKeySource:
    """Keys given up front (a dict, JSON text or bytes); never fetched, never expire.

    Useful offline, in tests, and in Lambda functions that bundle the pool's
    JWKS at deploy time to skip the fetch on cold start.

    Raises:
        ConfigurationError: the document is not a JWKS, or holds no usable key.
    """

    def __init__(self, jwks: bytes | str | Mapping[str, Any]) -> None:
        try:
            self.keyset = parse_jwks(jwks, source="static JWKS")
        except JwksUnavailableError as exc:
            raise ConfigurationError(f"jwks: {exc.message}") from None
        if not self.keyset.keys:
            raise ConfigurationError(
                "jwks: expected at least one usable key, found none "
                f"(unusable: {dict(self.keyset.unusable)})"
            )

    def peek(self, uri: str, kid: str) -> VerificationKey | None:  # noqa: ARG002
        """The key for ``kid``, or ``None``."""
        return self.keyset.keys.get(kid)

    def get_key(self, uri: str, kid: str) -> VerificationKey:
        """The key for ``kid``.

        Raises:
            UnknownKeyError: (401) ``kid`` is not in the static set.
        """
        key = self.keyset.keys.get(kid)
        if key is None:
            raise _unknown(uri, kid, self.keyset)
        return key

    def hydrate(self, uri: str) -> None:
        """Nothing to load: the keys are already here."""


#: The process-wide cache every verifier uses unless given ``jwks_cache=``.
DEFAULT_JWKS_CACHE = JwksCache()
