"""The public keys of Application Load Balancers: one PEM per ``kid``, fetched rarely.

An ALB does not publish a JWKS.  Each signing key lives at its own URL,
``<endpoint>/<kid>``, as a PEM-encoded P-256 public key (see `docs/alb.md` for
the AWS documentation).  So a cache cannot answer "is this kid one of ours?"
from a key set it already holds: every kid it has not seen costs a request,
and a client that sends random UUIDs as kids would turn each of its requests
into an outbound fetch.  `AlbKeyCache` bounds that, and shares what it learns:

* **Positive cache, bounded.** Up to `max_keys` keys, the oldest fetched
  evicted first.  A key is refreshed after `max_age` seconds (so that a key
  AWS withdrew stops verifying), and keeps serving for `stale_if_error` more
  seconds while a refresh fails or is throttled.
* **Negative cache, bounded.** A kid the endpoint does not know (HTTP 403 or
  404), or whose key is not a P-256 key, is remembered for `negative_ttl`
  seconds and answered without a request.
* **Fetch budget.** At most `fetch_budget` requests per `budget_window`
  seconds, for all kids together.  Past it, an unknown kid gets a 503
  (`alb_key_fetch_throttled`) instead of a request: a flood of random kids
  costs a bounded number of fetches, and keys already cached keep serving.
* **Single flight.** Concurrent callers asking for the same kid share one
  request and its outcome.
* **Same transport rules as the JWKS fetcher.** The default fetcher is a
  `RequestsFetcher` (connect, read and total timeouts; no redirects; a size
  cap, here 8 KiB since a P-256 PEM is under 200 bytes) that accepts any
  content type, because the body is checked as a PEM instead.

Lookups of a cached key take no lock and do no I/O.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cognito_jwt import _reports
from cognito_jwt._fetch import RequestsFetcher
from cognito_jwt._keys import VerificationKey, key_from_pem
from cognito_jwt.errors import (
    CognitoJwtError,
    ConfigurationError,
    JwksUnavailableError,
    UnknownKeyError,
)

if TYPE_CHECKING:  # pragma: no cover
    import requests

    from cognito_jwt._fetch import Fetcher

__all__ = [
    "DEFAULT_BUDGET_WINDOW",
    "DEFAULT_FETCH_BUDGET",
    "DEFAULT_MAX_KEYS",
    "DEFAULT_NEGATIVE_TTL",
    "KEY_NOT_FOUND",
    "AlbKeyCache",
    "PemFetcher",
]

#: Keys held at once.  One ALB signs with a handful of keys over time; a
#: verifier for several ALBs needs a few more.
DEFAULT_MAX_KEYS = 64
#: Seconds a kid the endpoint does not know is answered without asking again.
DEFAULT_NEGATIVE_TTL = 300.0
#: Kids remembered as unknown at once; the oldest are forgotten first.
DEFAULT_MAX_NEGATIVE = 1024
#: Outbound key requests allowed per `DEFAULT_BUDGET_WINDOW`.
DEFAULT_FETCH_BUDGET = 10
#: Seconds over which `DEFAULT_FETCH_BUDGET` is counted.
DEFAULT_BUDGET_WINDOW = 60.0
#: Seconds before a cached key is fetched again.
DEFAULT_MAX_AGE = 3600.0
#: Seconds past `DEFAULT_MAX_AGE` a key keeps serving while its refresh fails.
DEFAULT_STALE_IF_ERROR = 24 * 3600.0
#: Largest PEM body accepted.
DEFAULT_MAX_PEM_BYTES = 8 * 1024

#: The `reason` a fetcher gives to say "the endpoint has no key under this kid".
KEY_NOT_FOUND = "alb_key_not_found"

_PEM_HEADER = b"-----BEGIN PUBLIC KEY-----"
_UNKNOWN = frozenset({"unknown_kid", "unusable_key"})


class PemFetcher(RequestsFetcher):
    """`RequestsFetcher` for key endpoints: any content type, 403/404 mean "no such key".

    The ALB endpoint in the commercial partition and the S3 buckets of
    GovCloud answer a kid they do not hold with 403 or 404; both become the
    reason `KEY_NOT_FOUND`, which the cache turns into a 401 and remembers.
    """

    _accept = "*/*"

    def __init__(self, session: requests.Session | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("max_bytes", DEFAULT_MAX_PEM_BYTES)
        super().__init__(session, **kwargs)

    def _check_response(self, response: requests.Response, uri: str) -> None:
        status = response.status_code
        if status in (403, 404):
            raise JwksUnavailableError(
                f"key fetch from {uri}: expected HTTP 200, found {status} (no such key)",
                reason="alb_key_not_found",  # KEY_NOT_FOUND, spelled out for the docs check
            )
        if status != 200:
            raise JwksUnavailableError(
                f"key fetch from {uri}: expected HTTP 200, found {status}",
                reason="jwks_http_status",
            )


def load_alb_key(body: bytes, kid: str) -> VerificationKey:
    """Build the ES256 key of a PEM body, through the key table (`_keys.key_from_pem`).

    Raises:
        ValueError: the body is no PEM public key, or the key is not P-256
            (another type, another curve, or a curve `cryptography` does not
            implement at all).
    """
    if not isinstance(body, bytes) or not body.lstrip().startswith(_PEM_HEADER):
        raise ValueError("expected a PEM public key")
    try:
        return key_from_pem(body, kid, alg="ES256")
    except ValueError as exc:
        raise ValueError(f"expected a P-256 (ES256) key: {exc}") from None


class _Cached:
    __slots__ = ("fetched_at", "key")

    def __init__(self, key: VerificationKey, fetched_at: float) -> None:
        self.key = key
        self.fetched_at = fetched_at


class _Flight:
    """One request in progress, and its outcome for everyone who waited on it."""

    __slots__ = ("done", "error", "key")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.key: VerificationKey | None = None
        self.error: CognitoJwtError | None = None

    def outcome(self) -> VerificationKey:
        if self.key is not None:
            return self.key
        error = self.error
        if error is None:  # the leader died of something that is not ours
            raise JwksUnavailableError(
                "key fetch: expected a result, found the shared fetch aborted",
                reason="jwks_fetch_failed",
            )
        # A fresh object per waiter: one exception raised in many threads
        # would collect everyone's tracebacks.
        raise type(error)(error.message, reason=error.reason)


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ConfigurationError(f"{name}: expected seconds >= 0, found {value!r}")
    return float(value)


def _count(name: str, value: object) -> int:
    if type(value) is not int or value < 1:
        raise ConfigurationError(f"{name}: expected an int >= 1, found {value!r}")
    return value


class AlbKeyCache:
    """Thread-safe per-kid key cache with a negative cache and a fetch budget.

    Keyed by the full key URL, so one cache serves any number of ALBs,
    regions and verifiers.

    Args:
        fetcher: turns a key URL into the PEM body; defaults to `PemFetcher`.
            A custom fetcher says "no such key" by raising
            `JwksUnavailableError(..., reason=KEY_NOT_FOUND)`.
        max_keys: keys held at once.
        max_age: seconds before a cached key is fetched again.
        stale_if_error: seconds past `max_age` a key keeps serving while its
            refresh fails or is throttled.
        negative_ttl: seconds an unknown kid is answered from memory.
        max_negative: unknown kids remembered at once.
        fetch_budget: requests allowed per `budget_window` seconds.
        budget_window: the window of `fetch_budget`.
        clock: monotonic seconds; replaceable for tests.
        on_report: `f(report)`, told of each fetch, refresh, failed fetch,
            throttled fetch (`"backoff"`) and stale serve; see `Report`.
        on_event: deprecated, the old name of `on_report`; it warns.
    """

    def __init__(
        self,
        fetcher: Fetcher | None = None,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
        max_age: float = DEFAULT_MAX_AGE,
        stale_if_error: float = DEFAULT_STALE_IF_ERROR,
        negative_ttl: float = DEFAULT_NEGATIVE_TTL,
        max_negative: int = DEFAULT_MAX_NEGATIVE,
        fetch_budget: int = DEFAULT_FETCH_BUDGET,
        budget_window: float = DEFAULT_BUDGET_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        on_report: _reports.ReportHook | None = None,
        on_event: _reports.ReportHook | None = None,
    ) -> None:
        on_report = _reports.renamed(on_report, on_event)
        self._on_report = _reports.make_hook(on_report)
        if fetcher is not None and not callable(getattr(fetcher, "fetch", None)):
            raise ConfigurationError("fetcher: expected an object with a fetch(uri) method")
        if not callable(clock):
            raise ConfigurationError("clock: expected a callable returning monotonic seconds")
        self.fetcher: Fetcher = fetcher if fetcher is not None else PemFetcher()
        self.max_keys = _count("max_keys", max_keys)
        self.max_age = _seconds("max_age", max_age)
        self.stale_if_error = _seconds("stale_if_error", stale_if_error)
        self.negative_ttl = _seconds("negative_ttl", negative_ttl)
        self.max_negative = _count("max_negative", max_negative)
        self.fetch_budget = _count("fetch_budget", fetch_budget)
        self.budget_window = _seconds("budget_window", budget_window)
        self._clock = clock
        self._keys: dict[str, _Cached] = {}
        self._negative: dict[str, tuple[float, UnknownKeyError]] = {}
        self._fetches: deque[float] = deque()
        self._flights: dict[str, _Flight] = {}
        self._lock = threading.Lock()

    # -- public ------------------------------------------------------------

    def peek(self, url: str) -> VerificationKey | None:
        """The fresh cached key at `url`, or `None`.  Never blocks, never fetches."""
        cached = self._keys.get(url)
        if cached is None or not self._clock() < cached.fetched_at + self.max_age:
            return None
        return cached.key

    def get_key(self, url: str, kid: str) -> VerificationKey:
        """The key at `url` (which ends in `kid`), fetching if the rules allow.

        Raises:
            UnknownKeyError: (401) the endpoint has no usable key for `kid`
                (now, or when last asked within `negative_ttl`).
            JwksUnavailableError: (503) the key could not be fetched, or the
                fetch budget is spent, and no usable cached copy exists.
        """
        now = self._clock()
        cached = self._keys.get(url)
        if cached is not None and now < cached.fetched_at + self.max_age:
            return cached.key
        negative = self._negative.get(url)
        if negative is not None and now < negative[0]:
            error = negative[1]
            raise UnknownKeyError(error.message, reason=error.reason)
        stale = (
            cached.key
            if cached is not None and now < cached.fetched_at + self.max_age + self.stale_if_error
            else None
        )
        with self._lock:
            flight = self._flights.get(url)
            leader = flight is None
            if flight is None:
                if not self._spend(now):
                    _reports.notify(
                        self._on_report,
                        "backoff",
                        reason="alb_key_fetch_throttled",
                        status=503,
                        kid=kid,
                        uri=url,
                    )
                    if stale is not None:
                        _reports.notify(self._on_report, "stale", kid=kid, uri=url)
                        return stale
                    raise JwksUnavailableError(
                        f"key for kid {kid!r:.60}: expected a fetch within the budget of "
                        f"{self.fetch_budget} per {self.budget_window:g} s, found it spent",
                        reason="alb_key_fetch_throttled",
                    )
                flight = self._flights[url] = _Flight()
        if not leader:
            flight.done.wait()
            return flight.outcome()
        started = time.perf_counter()
        try:
            flight.key = self._load(url, kid, now)
        except (UnknownKeyError, JwksUnavailableError) as exc:
            self._fetched(url, kid, started, exc.reason)
            if stale is not None and isinstance(exc, JwksUnavailableError):
                _reports.notify(self._on_report, "stale", kid=kid, uri=url)
                flight.key = stale
                return stale
            flight.error = exc
            raise
        else:
            self._fetched(url, kid, started, None, refresh=cached is not None)
        finally:
            with self._lock:
                del self._flights[url]
            flight.done.set()
        return flight.key

    def clear(self) -> None:
        """Forget every cached and every negatively cached key."""
        with self._lock:
            self._keys = {}
            self._negative = {}

    # -- internals ---------------------------------------------------------

    def _fetched(
        self, url: str, kid: str, started: float, reason: str | None, *, refresh: bool = False
    ) -> None:
        """Report one key fetch to the `on_report` hook (nothing without one)."""
        if self._on_report is None:
            return
        kind: _reports.ReportKind = (
            "fetch_failed" if reason is not None else "refresh" if refresh else "fetch"
        )
        self._on_report(
            _reports.Report(
                kind,
                reason=reason,
                status=None if reason is None else 401 if reason in _UNKNOWN else 503,
                kid=kid,
                uri=url,
                duration=time.perf_counter() - started,
                outcome="ok" if reason is None else "failed",
            )
        )

    def _spend(self, now: float) -> bool:
        """Take one request from the budget, if any is left (call under `_lock`)."""
        fetches = self._fetches
        while fetches and not now - fetches[0] < self.budget_window:
            fetches.popleft()
        if len(fetches) >= self.fetch_budget:
            return False
        fetches.append(now)
        return True

    def _load(self, url: str, kid: str, now: float) -> VerificationKey:
        try:
            body = self.fetcher.fetch(url)
        except JwksUnavailableError as exc:
            if exc.reason != KEY_NOT_FOUND:
                raise
            raise self._remember_unknown(
                url,
                now,
                UnknownKeyError(
                    f"kid {kid!r:.60}: expected a key published at {url}, found none",
                    reason="unknown_kid",
                ),
            ) from None
        except Exception as exc:  # a user-supplied fetcher broke its contract
            raise JwksUnavailableError(
                f"key fetch from {url}: fetcher raised {type(exc).__name__}",
                reason="jwks_fetch_failed",
            ) from exc
        try:
            key = load_alb_key(body, kid)
        except (ValueError, TypeError) as exc:
            if isinstance(body, bytes) and body.lstrip().startswith(_PEM_HEADER):
                # A well-formed answer naming a key we must not use: remember it.
                raise self._remember_unknown(
                    url,
                    now,
                    UnknownKeyError(
                        f"kid {kid!r:.60}: expected a usable key, found one at {url} that "
                        f"cannot be used ({exc})",
                        reason="unusable_key",
                    ),
                ) from None
            raise JwksUnavailableError(
                f"key fetch from {url}: expected a PEM public key, found another body",
                reason="alb_key_invalid",
            ) from None
        with self._lock:
            keys = dict(self._keys)
            keys.pop(url, None)
            while len(keys) >= self.max_keys:
                del keys[next(iter(keys))]
            keys[url] = _Cached(key, now)
            self._keys = keys  # copy-on-write: readers never see a dict mid-change
            if url in self._negative:
                self._negative = {u: v for u, v in self._negative.items() if u != url}
        return key

    def _remember_unknown(self, url: str, now: float, error: UnknownKeyError) -> UnknownKeyError:
        """Remember `error` for `url` and return a copy to raise (the stored one stays clean)."""
        with self._lock:
            negative = self._negative
            if len(negative) >= self.max_negative:
                negative = {u: v for u, v in negative.items() if now < v[0]}
                while len(negative) >= self.max_negative:
                    del negative[next(iter(negative))]
            else:
                negative = dict(negative)
            negative[url] = (now + self.negative_ttl, error)
            self._negative = negative
        return UnknownKeyError(error.message, reason=error.reason)
