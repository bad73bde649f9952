"""The `on_report` hook: small immutable reports for metrics, never a token or a claim.

Verifiers report each rejection; `JwksCache` and `AlbKeyCache` report each
fetch, refresh, failed fetch, back-off and stale serve, and `JwksCache` each
background refresh it starts.  A hook is for
counting and timing (a `collections.Counter`, Powertools Metrics,
OpenTelemetry), so a `Report` carries only what is safe in a metric or a log
line: reasons, statuses, the *configured* issuer, a `kid` that passed the
parser's checks, a URI the caller configured, durations.

Rules, and why:

* **Nothing when unset.** Emission sits on the error and fetch paths only; an
  accepted token with a cached key runs no hook code at all, and with no hook
  the error paths pay one `is None` test.
* **A hook cannot change a result.** It runs after the decision; whatever it
  raises is swallowed, logged once per hook (a hook that fails on every report
  must not flood the log), and the verification returns or raises as it
  would have.
* **Synchronous.** A hook runs in the verifying thread (or the worker thread
  of a fetch), so it must be quick; coroutine functions are refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Container
from typing import Any, Literal, NamedTuple

from cognito_jwt.errors import CognitoJwtError, ConfigurationError

__all__ = [
    "Hook",
    "Report",
    "ReportHook",
    "ReportKind",
    "make_hook",
    "notify",
    "rejection",
    "renamed",
]

ReportKind = Literal[
    "rejected",
    "fetch",
    "refresh_started",
    "refresh",
    "fetch_failed",
    "backoff",
    "stale",
    "revocation_fail_open",
]


class Report(NamedTuple):
    """What happened, in fields that are safe to count and to log.

    Attributes:
        kind: `"rejected"` (a token was refused), `"fetch"` (keys loaded for
            the first time), `"refresh_started"` (a background refresh of keys
            still serving began; a `"refresh"` or `"fetch_failed"` report
            follows from its thread), `"refresh"` (keys loaded again), `"fetch_failed"`,
            `"backoff"` (a fetch was due but withheld: back-off, cooldown or
            fetch budget), or `"stale"` (keys past their age were served
            because a refresh failed or was withheld), or `"revocation_fail_open"`
            (a token was accepted unchecked: its revocation mechanism, built
            `fail_open=True`, could not answer; `reason` says why).
        reason: the error's stable `reason` (rejections, failures, back-offs).
        status: the HTTP status the error maps to (401, 403, 503), or `None`.
        issuer: the configured issuer the token was routed to, if it got that far.
        kid: the token's `kid`, once it passed the parser's checks.
        uri: the JWKS URI or key URL concerned (fetch reports).
        duration: seconds the fetch took (`fetch`, `refresh`, `fetch_failed`).
        outcome: `"ok"` or `"failed"` (fetch reports).
    """

    kind: ReportKind
    reason: str | None = None
    status: int | None = None
    issuer: str | None = None
    kid: str | None = None
    uri: str | None = None
    duration: float | None = None
    outcome: str | None = None


#: The callable `on_report` takes; its return value is ignored.
ReportHook = Callable[[Report], object]


class Hook:
    """A caller's hook, made harmless: it never raises, and logs its first failure."""

    __slots__ = ("_failed", "_lock", "function")

    def __init__(self, function: ReportHook) -> None:
        self.function = function
        self._failed = False
        self._lock = threading.Lock()

    def __call__(self, report: Report) -> None:
        try:
            self.function(report)
        except Exception:
            with self._lock:
                first, self._failed = not self._failed, True
            if first:
                import logging

                logging.getLogger("cognito_jwt").exception(
                    "on_report hook %r raised on a %r report; results are unaffected, "
                    "and further failures of this hook are not logged",
                    self.function,
                    report.kind,
                )


def make_hook(on_report: ReportHook | None) -> Hook | None:
    """Check a constructor's `on_report` and wrap it.

    Raises:
        ConfigurationError: not a callable, or a coroutine function (never awaited).
    """
    if on_report is None:
        return None
    if isinstance(on_report, Hook):
        return on_report
    if not callable(on_report):
        raise ConfigurationError("on_report: expected a callable(report)")
    import inspect

    if inspect.iscoroutinefunction(on_report):
        raise ConfigurationError("on_report: expected a plain function; coroutines are not awaited")
    return Hook(on_report)


def renamed(on_report: ReportHook | None, on_event: ReportHook | None) -> ReportHook | None:
    """`on_report`, or the deprecated `on_event=` given in its place.

    `on_event=` was the argument's name until the hook's value was renamed
    from `Event` to `Report` ("event" now means only an AWS Lambda event); it
    keeps working, with a `DeprecationWarning` that points at the caller.

    Raises:
        ConfigurationError: both names are given.
    """
    if on_event is None:
        return on_report
    if on_report is not None:
        raise ConfigurationError(
            "on_event: expected on_report alone, found both (on_event is its deprecated name)"
        )
    import warnings

    warnings.warn(
        "on_event= is deprecated; use on_report= (the same function, called with a "
        "cognito_jwt.Report)",
        DeprecationWarning,
        stacklevel=3,
    )
    return on_event


def notify(hook: Hook | None, kind: ReportKind, **fields: Any) -> None:
    """Send a report of `kind` to `hook`, if there is one."""
    if hook is not None:
        hook(Report(kind, **fields))


def rejection(
    hook: Hook, error: CognitoJwtError, *, issuer: str | None = None, kid: str | None = None
) -> None:
    """Report that a token was rejected with `error`."""
    hook(Report("rejected", error.reason, error.status_code, issuer, kid))


def routing_of(
    token: object,
    issuers: Container[str],
    max_length: int,
    header_cache: dict[str, Any] | None = None,
    typs: frozenset[str] | None = None,
) -> tuple[str | None, str | None]:
    """The configured issuer and the checked `kid` of a rejected token, as far as they parse.

    Only called on the rejection path with a hook set.  The issuer is reported
    only if it is one the caller configured, so an attacker cannot put
    arbitrary text into metrics; the `kid` only if the strict parser accepted
    it (a bounded string of safe characters).  `typs` must be the verifier's
    own `typ` policy when `header_cache` is its cache: a header parsed under
    a looser policy and cached would let a later token skip the verifier's.
    """
    from cognito_jwt._token import _KNOWN_TYPS, parse_token

    try:
        parsed = parse_token(
            token,  # type: ignore[arg-type]
            max_length=max_length,
            header_cache=header_cache,
            typs=_KNOWN_TYPS if typs is None else typs,
        )
    except CognitoJwtError:
        return None, None
    iss = parsed.claims.get("iss")
    return (iss if isinstance(iss, str) and iss in issuers else None), parsed.header.kid
