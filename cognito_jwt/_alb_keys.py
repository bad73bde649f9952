"""The public keys of Application Load Balancers: one PEM per `kid`, fetched rarely.

An ALB does not publish a JWKS.  Each signing key lives at its own URL,
`<endpoint>/<kid>`, as a PEM-encoded P-256 public key (`docs/alb.md` cites
AWS).  So every kid a cache has not seen costs a request, and a client that
sends random UUIDs as kids could turn each request into an outbound fetch.
`AlbKeyCache` bounds that, and shares what it learns.
It is a key source like the JWKS cache (`_key_source.KeySource`): `peek(uri,
kid)` and `get_key(uri, kid)` with `uri` the endpoint, as aws-jwt-verify's
`AlbJwksCache` expands `uri/kid` inside.

* **Positive cache, bounded.** Up to `max_keys` keys, the oldest evicted
  first, each refreshed after `max_age` seconds (a key AWS withdrew stops
  verifying) and serving `stale_if_error` more while a refresh fails.
* **Negative cache, bounded.** A kid the endpoint does not know (HTTP 403 or
  404), or whose key is not P-256, is answered from memory for `negative_ttl`.
* **A fair fetch budget** (`_fetch_budget.FairBudget`).  At most
  `fetch_budget` requests per `budget_window` seconds, all kids together, and
  each free slot goes to the missing kid asked for most: a key real users keep
  asking for is fetched within one budget window however invented kids are
  timed.  Past the budget an uncached kid gets a 503
  (`alb_key_fetch_throttled`) and keys already cached keep serving.
* **Back-off per key URL** (`_key_source.Backoff`, the JWKS cache's): after a
  failed fetch, that URL is not asked again for `cooldown` seconds, doubling
  up to `max_backoff` while it keeps failing; meanwhile its callers get the
  last failure's reason (or the stale key).
* **Single flight.** Concurrent callers asking for the same kid share one
  request and its outcome.
* **Same transport rules as the JWKS fetcher** (`_fetch.PemFetcher`): timeouts,
  no redirects, an 8 KiB cap, any content type (the body is checked as a PEM).

Lookups of a cached key take no lock and do no I/O.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from cognito_jwt import _reports
from cognito_jwt._fetch import KEY_NOT_FOUND, PemFetcher
from cognito_jwt._fetch_budget import FairBudget
from cognito_jwt._jwks import DEFAULT_COOLDOWN, DEFAULT_MAX_BACKOFF
from cognito_jwt._key_source import Backoff, Flight, count, fetch_body, report_fetch, seconds
from cognito_jwt._keys import VerificationKey, key_from_pem
from cognito_jwt.errors import ConfigurationError, JwksUnavailableError, UnknownKeyError

if TYPE_CHECKING:  # pragma: no cover
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
#: Kids remembered as unknown (or failing) at once; the oldest are forgotten first.
DEFAULT_MAX_NEGATIVE = 1024
#: Outbound key requests allowed per `DEFAULT_BUDGET_WINDOW`.
DEFAULT_FETCH_BUDGET = 10
#: Seconds over which `DEFAULT_FETCH_BUDGET` is counted.
DEFAULT_BUDGET_WINDOW = 60.0
#: Seconds before a cached key is fetched again.
DEFAULT_MAX_AGE = 3600.0
#: Seconds past `DEFAULT_MAX_AGE` a key keeps serving while its refresh fails.
DEFAULT_STALE_IF_ERROR = 24 * 3600.0

_PEM_HEADER = b"-----BEGIN PUBLIC KEY-----"
_UNKNOWN = frozenset({"unknown_kid", "unusable_key"})

#: A key's place: the endpoint (the issuer's `jwks_uri`) and the kid.
_Ref = tuple[str, str]


def load_alb_key(body: bytes, kid: str) -> VerificationKey:
    """Build the ES256 key of a PEM body, through the key table (`_keys.key_from_pem`).

    Raises:
        ValueError: no PEM public key, not P-256 (another type or curve, even one
            `cryptography` does not implement), or another PEM block after it (a
            private key there lets whoever fetched the body sign tokens).
    """
    if not isinstance(body, bytes) or not body.lstrip().startswith(_PEM_HEADER):
        raise ValueError("expected a PEM public key")
    if b"PRIVATE KEY" in body or body.count(b"-----BEGIN ") != 1:
        found = "a private key" if b"PRIVATE KEY" in body else "more than one PEM block"
        raise ValueError(f"expected one PEM public key alone, found {found} in the body")
    try:
        return key_from_pem(body, kid, alg="ES256")
    except ValueError as exc:
        raise ValueError(f"expected a P-256 (ES256) key: {exc}") from None


class _Cached:
    __slots__ = ("fetched_at", "key")

    def __init__(self, key: VerificationKey, fetched_at: float) -> None:
        self.key = key
        self.fetched_at = fetched_at


class AlbKeyCache:
    """Thread-safe per-kid key cache with a negative cache, back-off and a fair fetch budget.

    Keyed by endpoint and kid, so one cache serves any number of ALBs,
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
        max_negative: unknown (or failing) kids remembered at once.
        fetch_budget: requests allowed per `budget_window` seconds.
        budget_window: the window of `fetch_budget`.
        cooldown: seconds a key URL whose fetch failed is not asked again
            (the first back-off step, doubling while it keeps failing).
        max_backoff: the longest back-off.
        clock: monotonic seconds; replaceable for tests.
        on_report: `f(report)`, told of each fetch, refresh, failed fetch,
            withheld fetch (`"backoff"`: budget or back-off) and stale serve;
            see `Report`.
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
        cooldown: float = DEFAULT_COOLDOWN,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        clock: Callable[[], float] = time.monotonic,
        on_report: _reports.ReportHook | None = None,
        on_event: _reports.ReportHook | None = None,
    ) -> None:
        self._on_report = _reports.make_hook(_reports.renamed(on_report, on_event))
        if fetcher is not None and not callable(getattr(fetcher, "fetch", None)):
            raise ConfigurationError("fetcher: expected an object with a fetch(uri) method")
        if not callable(clock):
            raise ConfigurationError("clock: expected a callable returning monotonic seconds")
        self.fetcher: Fetcher = fetcher if fetcher is not None else PemFetcher()
        self.max_keys = count("max_keys", max_keys)
        self.max_age = seconds("max_age", max_age)
        self.stale_if_error = seconds("stale_if_error", stale_if_error)
        self.negative_ttl = seconds("negative_ttl", negative_ttl)
        self.max_negative = count("max_negative", max_negative)
        self.fetch_budget = count("fetch_budget", fetch_budget)
        self.budget_window = seconds("budget_window", budget_window)
        self.cooldown = seconds("cooldown", cooldown)
        self.max_backoff = seconds("max_backoff", max_backoff)
        self._clock = clock
        self._keys: dict[_Ref, _Cached] = {}
        self._negative: dict[_Ref, tuple[float, UnknownKeyError]] = {}
        self._failing: dict[_Ref, Backoff] = {}
        self._budget = FairBudget(self.fetch_budget, self.budget_window)
        self._flights: dict[_Ref, Flight] = {}
        self._lock = threading.Lock()

    # -- the key-source interface --------------------------------------------

    def peek(self, uri: str, kid: str | None = None) -> VerificationKey | None:
        """The fresh cached key of `kid` at endpoint `uri`, or `None`; never blocks or fetches."""
        cached = self._keys.get(_ref(uri, kid))
        if cached is None or not self._clock() < cached.fetched_at + self.max_age:
            return None
        return cached.key

    def get_key(self, uri: str, kid: str) -> VerificationKey:
        """The key of `kid` at endpoint `uri` (fetched from `<uri>/<kid>` if the rules allow).

        Raises:
            UnknownKeyError: (401) the endpoint has no usable key for `kid`
                (now, or when last asked within `negative_ttl`).
            JwksUnavailableError: (503) the key could not be fetched, the URL
                is backing off after a failure, or the fetch budget is spent,
                and no usable cached copy exists.
        """
        ref = _ref(uri, kid)
        uri, kid = ref
        now = self._clock()
        cached = self._keys.get(ref)
        if cached is not None and now < cached.fetched_at + self.max_age:
            return cached.key
        negative = self._negative.get(ref)
        if negative is not None and now < negative[0]:
            error = negative[1]
            raise UnknownKeyError(error.message, reason=error.reason)
        stale = (
            cached.key
            if cached is not None and now < cached.fetched_at + self.max_age + self.stale_if_error
            else None
        )
        url = f"{uri}/{kid}"
        flight, leader, refused = self._admit(ref, now)
        if refused is not None:
            _reports.notify(
                self._on_report,
                "backoff",
                reason=refused.reason,
                status=503,
                kid=kid,
                uri=url,
            )
            if stale is not None:
                _reports.notify(self._on_report, "stale", kid=kid, uri=url)
                return stale
            raise refused
        assert flight is not None  # the leader made one; a follower found one
        if not leader:
            flight.done.wait()
            return flight.outcome()
        started = time.perf_counter()
        try:
            flight.key = self._load(ref, url, now)
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
                del self._flights[ref]
            flight.done.set()
        return flight.key

    def hydrate(self, uri: str) -> None:
        """Nothing to load before a token names a kid: an ALB publishes no key set."""

    def _admit(
        self, ref: _Ref, now: float
    ) -> tuple[Flight | None, bool, JwksUnavailableError | None]:
        """`(flight, leader, refused)`: join a fetch, lead one (out of back-off, with a
        slot of the fair budget), or be refused."""
        with self._lock:
            flight = self._flights.get(ref)
            if flight is not None:
                return flight, False, None
            backoff = self._failing.get(ref)
            if backoff is not None and backoff.waiting(now):
                last = backoff.last_error
                assert last is not None  # waiting() says so
                return None, False, JwksUnavailableError(last.message, reason=last.reason)
            if self._budget.request(ref, now):
                flight = self._flights[ref] = Flight()
                return flight, True, None
        return (
            None,
            False,
            JwksUnavailableError(
                f"key for kid {ref[1]!r:.60}: expected a fetch within the budget of "
                f"{self.fetch_budget} per {self.budget_window:g} s, found it spent "
                "(or given to a kid asked for more often)",
                reason="alb_key_fetch_throttled",
            ),
        )

    def clear(self) -> None:
        """Forget every cached, unknown and failing key, and the budget's demands."""
        with self._lock:
            self._keys = {}
            self._negative = {}
            self._failing = {}
            self._budget.clear()

    # -- internals ---------------------------------------------------------

    def _fetched(
        self, url: str, kid: str, started: float, reason: str | None, *, refresh: bool = False
    ) -> None:
        """Report one key fetch to the `on_report` hook (nothing without one)."""
        if self._on_report is not None:
            kind: _reports.ReportKind = (
                "fetch_failed" if reason is not None else "refresh" if refresh else "fetch"
            )
            status = None if reason is None else 401 if reason in _UNKNOWN else 503
            report_fetch(
                self._on_report, kind, url, started=started, reason=reason, status=status, kid=kid
            )

    def _load(self, ref: _Ref, url: str, now: float) -> VerificationKey:
        kid = ref[1]
        try:
            body = fetch_body(self.fetcher, url)
        except JwksUnavailableError as exc:
            if exc.reason != KEY_NOT_FOUND:
                raise self._failed(ref, exc, now) from exc.__cause__
            raise self._remember_unknown(
                ref,
                now,
                UnknownKeyError(
                    f"kid {kid!r:.60}: expected a key published at {url}, found none",
                    reason="unknown_kid",
                ),
            ) from None
        try:
            key = load_alb_key(body, kid)
        except (ValueError, TypeError) as exc:
            if isinstance(body, bytes) and body.lstrip().startswith(_PEM_HEADER):
                # A well-formed answer naming a key we must not use: remember it.
                raise self._remember_unknown(
                    ref,
                    now,
                    UnknownKeyError(
                        f"kid {kid!r:.60}: expected a usable key, found one at {url} that "
                        f"cannot be used ({exc})",
                        reason="unusable_key",
                    ),
                ) from None
            raise self._failed(
                ref,
                JwksUnavailableError(
                    f"key fetch from {url}: expected a PEM public key, found another body",
                    reason="alb_key_invalid",
                ),
                now,
            ) from None
        with self._lock:
            keys = dict(self._keys)
            keys.pop(ref, None)
            while len(keys) >= self.max_keys:
                del keys[next(iter(keys))]
            keys[ref] = _Cached(key, now)
            self._keys = keys  # copy-on-write: readers never see a dict mid-change
            self._forget(ref)
        return key

    def _forget(self, ref: _Ref) -> None:
        """Drop `ref`'s unknown and failing marks (call under `_lock`)."""
        if ref in self._negative:
            self._negative = {r: v for r, v in self._negative.items() if r != ref}
        self._failing.pop(ref, None)

    def _failed(self, ref: _Ref, error: JwksUnavailableError, now: float) -> JwksUnavailableError:
        """Record a failed fetch of `ref` (its back-off) and return `error` to raise."""
        with self._lock:
            backoff = self._failing.get(ref)
            if backoff is None:
                while len(self._failing) >= self.max_negative:
                    del self._failing[next(iter(self._failing))]
                backoff = self._failing[ref] = Backoff(self.cooldown, self.max_backoff)
            backoff.failed(error, now)
        return error

    def _remember_unknown(self, ref: _Ref, now: float, error: UnknownKeyError) -> UnknownKeyError:
        """Remember `error` for `ref` and return a copy to raise (the stored one stays clean)."""
        with self._lock:
            negative = self._negative
            if len(negative) >= self.max_negative:
                negative = {r: v for r, v in negative.items() if now < v[0]}
                while len(negative) >= self.max_negative:
                    del negative[next(iter(negative))]
            else:
                negative = dict(negative)
            negative[ref] = (now + self.negative_ttl, error)
            self._negative = negative
            self._failing.pop(ref, None)
        return UnknownKeyError(error.message, reason=error.reason)


def _ref(uri: str, kid: str | None) -> _Ref:
    """`(endpoint, kid)`; the 0.x calls `peek(url)` and `get_key(url, kid)` still work, warned."""
    if kid is not None and not uri.endswith("/" + kid):
        return uri, kid
    import warnings

    warnings.warn(
        "AlbKeyCache: pass the endpoint and the kid (peek(uri, kid), get_key(uri, kid)), "
        "not the key URL",
        DeprecationWarning,
        stacklevel=3,
    )
    endpoint, _, last = uri.rpartition("/")
    return endpoint, kid if kid is not None else last
