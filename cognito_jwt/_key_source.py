"""Where a verifier's keys come from: one interface, the static source, and the failure policy.

Every key source answers the same three questions, whatever stands behind it
(a JWKS by URI in `_jwks.py`, an ALB's one-PEM-per-kid endpoint in
`_alb_keys.py`, keys given in code here):

* `peek(uri, kid)`: the key, if one is ready; never blocks, never fetches.
* `get_key(uri, kid)`: the key, fetching if the source's rules allow.
* `hydrate(uri)`: load what can be loaded before any token names a kid.

The caches that fetch share two parts, written once here:

* `Backoff`, the failure bookkeeping of one URI or key URL: how many fetches
  failed in a row, the last error (so callers during the back-off get its
  `reason`), and when the next attempt is allowed (exponential, from
  `cooldown` to `max_backoff`).
* `fetch_body`, which holds a fetcher to its contract: anything it raises
  that is not a `JwksUnavailableError` becomes one (`jwks_fetch_failed`).
* `report_fetch`, the one shape of a fetch's report to the `on_report` hook,
  and `logger`, the library's logger, imported on first use.
* `Flight`, one fetch in progress that concurrent callers wait on (the ALB
  cache's single flight; the JWKS cache shares one per URI under its lock),
  and the checks of the settings both take (`seconds`, `count`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from cognito_jwt import _reports
from cognito_jwt._keys import KeySet, VerificationKey, parse_jwks
from cognito_jwt.errors import (
    CognitoJwtError,
    ConfigurationError,
    JwksUnavailableError,
    UnknownKeyError,
)

if TYPE_CHECKING:  # pragma: no cover
    from cognito_jwt._fetch import Fetcher

__all__ = [
    "STATIC_JWKS_ORIGIN",
    "Backoff",
    "Flight",
    "KeySource",
    "StaticKeySource",
    "count",
    "fetch_body",
    "hydrate_first",
    "logger",
    "report_fetch",
    "seconds",
]


class _Logger:
    """`logging.getLogger("cognito_jwt")`, resolved on first use.

    Only fetches log, and importing `logging` costs a cold start ~5 ms that a
    verifier on a bundled JWKS never needs.
    """

    def __getattr__(self, name: str) -> Any:
        import logging

        return getattr(logging.getLogger("cognito_jwt"), name)


logger = _Logger()


class KeySource(Protocol):
    """Where a verifier gets keys: a caching fetcher (JWKS or ALB), or a static set.

    `peek` must return the *same* `VerificationKey` object for as long as the
    key it serves is unchanged: the verified-token cache keeps the key that
    verified a token and serves a hit only while `peek` still returns that
    object (a reloaded set builds new objects, so a hit falls back to the
    full path).  A source that refreshes ahead of expiry keeps serving the old
    object until the new set is installed.
    """

    def peek(self, uri: str, kid: str) -> VerificationKey | None:
        """A fresh cached key, or `None`; never blocks, never does I/O."""
        ...

    def get_key(self, uri: str, kid: str) -> VerificationKey:
        """The key for `kid`, fetching if the rules allow; may block on I/O."""
        ...

    def hydrate(self, uri: str) -> None:
        """Make sure keys for `uri` are loaded (fetching now if needed)."""
        ...


#: HTTP answers that mean "no keys are published at this URI", as opposed to
#: an outage: a token routed here is refused (401) rather than deferred (503).
NOT_PUBLISHED = frozenset({403, 404})


def hydrate_first(source: KeySource, uris: Sequence[str]) -> None:
    """Load the keys of one pool from the first of `uris` that publishes them.

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
            if exc.http_status not in NOT_PUBLISHED:
                raise
            first = first or exc
            continue
        return
    if first is not None:
        raise first


#: How an `UnknownKeyError` names keys given up front: no URI was involved,
#: so naming the one derived from the issuer would send the reader to the
#: wrong place.  The command line swaps it for the ``--jwks-file`` it read.
STATIC_JWKS_ORIGIN = "the JWKS given as jwks="


def unknown_kid(
    uri: str, kid: str, keyset: KeySet | None, *, origin: str | None = None
) -> UnknownKeyError:
    """The 401 for a `kid` a loaded key set lacks, or holds but cannot use.

    `origin` names where the keys came from when they were not fetched from
    `uri` (static keys); the message then names it instead of the URI.
    """
    where = f"the JWKS at {uri}" if origin is None else origin
    if keyset is not None and kid in keyset.unusable:
        return UnknownKeyError(
            f"kid {kid!r:.60}: expected a usable key, found one {where} lists but "
            f"cannot be used ({keyset.unusable[kid]})",
            reason="unusable_key",
        )
    published = f"published at {uri}" if origin is None else f"in {origin}"
    return UnknownKeyError(
        f"kid {kid!r:.60}: expected one of the keys {published}, found none matching",
        reason="unknown_kid",
    )


def fetch_body(fetcher: Fetcher, uri: str) -> bytes:
    """`fetcher.fetch(uri)`, held to the `Fetcher` contract.

    Raises:
        JwksUnavailableError: (503) the fetch failed; what a user-supplied
            fetcher raised instead is wrapped (`jwks_fetch_failed`), its cause kept.
    """
    try:
        return fetcher.fetch(uri)
    except JwksUnavailableError:
        raise
    except Exception as exc:  # a user-supplied fetcher broke its contract
        raise JwksUnavailableError(
            f"key fetch from {uri}: fetcher raised {type(exc).__name__}",
            reason="jwks_fetch_failed",
        ) from exc


def report_fetch(
    hook: _reports.Hook | None,
    kind: _reports.ReportKind,
    uri: str,
    *,
    started: float,
    reason: str | None = None,
    status: int | None = None,
    kid: str | None = None,
) -> None:
    """Tell `hook` (if any) of one fetch of `uri` begun at `perf_counter()` `started`."""
    if hook is not None:
        hook(
            _reports.Report(
                kind,
                reason=reason,
                status=status,
                kid=kid,
                uri=uri,
                duration=time.perf_counter() - started,
                outcome="ok" if reason is None else "failed",
            )
        )


class Flight:
    """One fetch in progress, and its outcome for everyone who waited on it."""

    __slots__ = ("done", "error", "key")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.key: VerificationKey | None = None
        self.error: CognitoJwtError | None = None

    def outcome(self) -> VerificationKey:
        """The key the fetch found, or a fresh copy of its error (raised)."""
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


def seconds(name: str, value: object) -> float:
    """A duration setting: a number of seconds >= 0 (never a bool or NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ConfigurationError(f"{name}: expected seconds >= 0, found {value!r}")
    return float(value)


def count(name: str, value: object) -> int:
    """A size setting: an int >= 1."""
    if type(value) is not int or value < 1:
        raise ConfigurationError(f"{name}: expected an int >= 1, found {value!r}")
    return value


class Backoff:
    """The failure bookkeeping of one URI: failures in a row, the last error, the next try.

    Not thread-safe by itself: its owner calls it under the lock that guards
    the fetch it describes.
    """

    __slots__ = ("cooldown", "failures", "last_error", "max_backoff", "next_retry")

    cooldown: float
    max_backoff: float
    failures: int
    next_retry: float

    def __init__(self, cooldown: float, max_backoff: float) -> None:
        self.cooldown = cooldown
        self.max_backoff = max(max_backoff, cooldown)
        self.failures = 0
        self.next_retry = float("-inf")
        self.last_error: JwksUnavailableError | None = None

    def failed(self, error: JwksUnavailableError, now: float) -> float:
        """Record a failed fetch at `now`; returns the seconds until the next attempt."""
        self.failures += 1
        delay: float = min(self.cooldown * 2.0 ** (self.failures - 1), self.max_backoff)
        self.next_retry = now + delay
        self.last_error = error
        return delay

    def succeeded(self) -> None:
        """Record a fetch that worked: the next failure starts from `cooldown` again."""
        self.failures = 0
        self.next_retry = float("-inf")
        self.last_error = None

    def waiting(self, now: float) -> bool:
        """Whether a failure is recent enough that no fetch may be tried at `now`."""
        return now < self.next_retry and self.last_error is not None

    def still_failing(self, what: str) -> JwksUnavailableError:
        """The 503 for callers while `what` has no usable keys: the last failure's reason."""
        last = self.last_error
        detail = f" ({last.message})" if last is not None else ""
        return JwksUnavailableError(
            f"{what}: expected keys, found none usable{detail}",
            reason=last.reason if last is not None else "jwks_unavailable",
            http_status=last.http_status if last is not None else None,
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
        """The key for `kid`, or `None`."""
        return self.keyset.keys.get(kid)

    def get_key(self, uri: str, kid: str) -> VerificationKey:
        """The key for `kid`.

        Raises:
            UnknownKeyError: (401) `kid` is not in the static set.
        """
        key = self.keyset.keys.get(kid)
        if key is None:
            raise unknown_kid(uri, kid, self.keyset, origin=STATIC_JWKS_ORIGIN)
        return key

    def hydrate(self, uri: str) -> None:
        """Nothing to load: the keys are already here."""
