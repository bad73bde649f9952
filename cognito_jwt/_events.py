"""The `on_event` hook: small immutable events for metrics, never a token or a claim.

Verifiers report each rejection; `JwksCache` and `AlbKeyCache` report each
fetch, refresh, failed fetch, back-off and stale serve.  A hook is for
counting and timing (a `collections.Counter`, Powertools Metrics,
OpenTelemetry), so an `Event` carries only what is safe in a metric or a log
line: reasons, statuses, the *configured* issuer, a `kid` that passed the
parser's checks, a URI the caller configured, durations.

Rules, and why:

* **Nothing when unset.** Emission sits on the error and fetch paths only; an
  accepted token with a cached key runs no hook code at all, and with no hook
  the error paths pay one `is None` test.
* **A hook cannot change a result.** It runs after the decision; whatever it
  raises is swallowed, logged once per hook (a hook that fails on every event
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

__all__ = ["Event", "EventHook", "EventKind", "Hook", "make_hook", "notify", "rejection"]

EventKind = Literal["rejected", "fetch", "refresh", "fetch_failed", "backoff", "stale"]


class Event(NamedTuple):
    """What happened, in fields that are safe to count and to log.

    Attributes:
        kind: `"rejected"` (a token was refused), `"fetch"` (keys loaded for
            the first time), `"refresh"` (keys loaded again), `"fetch_failed"`,
            `"backoff"` (a fetch was due but withheld: back-off, cooldown or
            fetch budget), or `"stale"` (keys past their age were served
            because a refresh failed or was withheld).
        reason: the error's stable `reason` (rejections, failures, back-offs).
        status: the HTTP status the error maps to (401, 403, 503), or `None`.
        issuer: the configured issuer the token was routed to, if it got that far.
        kid: the token's `kid`, once it passed the parser's checks.
        uri: the JWKS URI or key URL concerned (fetch events).
        duration: seconds the fetch took (`fetch`, `refresh`, `fetch_failed`).
        outcome: `"ok"` or `"failed"` (fetch events).
    """

    kind: EventKind
    reason: str | None = None
    status: int | None = None
    issuer: str | None = None
    kid: str | None = None
    uri: str | None = None
    duration: float | None = None
    outcome: str | None = None


#: The callable `on_event` takes; its return value is ignored.
EventHook = Callable[[Event], object]


class Hook:
    """A caller's hook, made harmless: it never raises, and logs its first failure."""

    __slots__ = ("_failed", "_lock", "function")

    def __init__(self, function: EventHook) -> None:
        self.function = function
        self._failed = False
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        try:
            self.function(event)
        except Exception:
            with self._lock:
                first, self._failed = not self._failed, True
            if first:
                import logging

                logging.getLogger("cognito_jwt").exception(
                    "on_event hook %r raised on a %r event; results are unaffected, "
                    "and further failures of this hook are not logged",
                    self.function,
                    event.kind,
                )


def make_hook(on_event: EventHook | None) -> Hook | None:
    """Check a constructor's `on_event` and wrap it.

    Raises:
        ConfigurationError: not a callable, or a coroutine function (never awaited).
    """
    if on_event is None:
        return None
    if isinstance(on_event, Hook):
        return on_event
    if not callable(on_event):
        raise ConfigurationError("on_event: expected a callable(event)")
    import inspect

    if inspect.iscoroutinefunction(on_event):
        raise ConfigurationError("on_event: expected a plain function; coroutines are not awaited")
    return Hook(on_event)


def notify(hook: Hook | None, kind: EventKind, **fields: Any) -> None:
    """Send an event of `kind` to `hook`, if there is one."""
    if hook is not None:
        hook(Event(kind, **fields))


def rejection(
    hook: Hook, error: CognitoJwtError, *, issuer: str | None = None, kid: str | None = None
) -> None:
    """Report that a token was rejected with `error`."""
    hook(Event("rejected", error.reason, error.status_code, issuer, kid))


def routing_of(
    token: object,
    issuers: Container[str],
    max_length: int,
    header_cache: dict[str, Any] | None = None,
) -> tuple[str | None, str | None]:
    """The configured issuer and the checked `kid` of a rejected token, as far as they parse.

    Only called on the rejection path with a hook set.  The issuer is reported
    only if it is one the caller configured, so an attacker cannot put
    arbitrary text into metrics; the `kid` only if the strict parser accepted
    it (a bounded string of safe characters).
    """
    from cognito_jwt._token import parse_token

    try:
        parsed = parse_token(token, max_length=max_length, header_cache=header_cache)  # type: ignore[arg-type]
    except CognitoJwtError:
        return None, None
    iss = parsed.claims.get("iss")
    return (iss if isinstance(iss, str) and iss in issuers else None), parsed.header.kid
