"""How the JWKS cache refreshes ahead of expiry: the window, the fetch in flight, where it runs.

`JwksCache` (`_jwks.py`) decides *when* to refresh; this module holds the parts
of that decision that are not about keys:

* **The refresh window** (`refresh_at`): the last `refresh_ahead` seconds of
  a key set's freshness, at most a quarter of its lifetime (so a one-minute
  `Cache-Control` life is not refreshed every few seconds).  The first caller
  inside it starts a refresh; every caller keeps verifying with the current
  keys meanwhile.
* **A fetch in flight** (`Flight`): the one fetch of a URI that everyone who
  needs it shares.  It holds no lock while it runs: callers that must wait for
  it (no usable key, or a kid never seen) wait on its event, and only until its
  deadline, the fetcher's own `total_timeout` plus a grace.  A fetch abandoned
  mid-way (an AWS Lambda environment frozen between two invocations, a thread
  that never comes back) therefore delays the next caller by at most that
  deadline; the caller then fetches itself.  The abandoned fetch's late answer,
  if good, is still installed unless a fetch begun after it has installed a
  set meanwhile (`seq` orders them): a fetcher slower than the deadline still
  loads keys under load, and an older set never replaces a newer one.
* **Where a background refresh runs** (`dispatch`): a daemon thread, so
  interpreter shutdown never waits for it; under a running event loop (the
  `verify_async` path) the refresh is also an asyncio task that awaits that
  thread, held by the cache until the thread ends (not until the task does:
  a loop closed without running it must not be kept alive by the cache).
* **After `os.fork`** (`reset_after_fork`): the child has only the forking
  thread, so a fetch in flight in the parent never ends there and a lock
  another thread held stays held; a child's caches therefore drop their
  flights and get new locks (registered with `os.register_at_fork`).
* **Inline under AWS Lambda** (`background_default`): Lambda freezes the
  execution environment between invocations, which would strand a background
  thread mid-fetch, and runs one invocation at a time per environment, so no
  concurrent caller could wait anyway: the caller inside the window refreshes
  in its own request.  Detected by `AWS_LAMBDA_FUNCTION_NAME`, which the
  Lambda runtime sets (docs/jwks-cache.md cites AWS), or chosen explicitly
  with `background_refresh=`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from cognito_jwt._fetch import DEFAULT_TOTAL_TIMEOUT
from cognito_jwt.errors import ConfigurationError

__all__ = [
    "ABANDON_GRACE",
    "DEFAULT_REFRESH_AHEAD",
    "LAMBDA_VARIABLE",
    "Flight",
    "background_default",
    "dispatch",
    "fetch_deadline",
    "refresh_at",
    "reset_after_fork",
    "ticket",
]

logger = logging.getLogger("cognito_jwt")

#: Seconds before a key set's freshness ends in which one caller refreshes it.
DEFAULT_REFRESH_AHEAD = 300.0
#: Seconds past a fetcher's `total_timeout` after which its fetch counts as abandoned.
ABANDON_GRACE = 1.0
#: The variable the AWS Lambda runtime sets in every function's environment.
LAMBDA_VARIABLE = "AWS_LAMBDA_FUNCTION_NAME"


def refresh_at(fresh_until: float, lifetime: float, refresh_ahead: float) -> float:
    """When the refresh window of a set fresh until `fresh_until` for `lifetime` opens."""
    return fresh_until - min(refresh_ahead, lifetime / 4)


def background_default(option: object) -> bool:
    """Whether refreshes run in the background: `option`, or `False` under AWS Lambda.

    Raises:
        ConfigurationError: `option` is neither `None`, `True` nor `False`.
    """
    if option is None:
        return not os.environ.get(LAMBDA_VARIABLE)
    if not isinstance(option, bool):
        raise ConfigurationError(
            "background_refresh: expected True, False or None (None: in the background, "
            f"inline under AWS Lambda), found {option!r}"
        )
    return option


def fetch_deadline(fetcher: object) -> float:
    """Seconds a caller waits on a fetch in flight before it counts as abandoned.

    The fetcher's `total_timeout` (as `RequestsFetcher` has) plus `ABANDON_GRACE`;
    `DEFAULT_TOTAL_TIMEOUT` for a fetcher that does not say.
    """
    total = getattr(fetcher, "total_timeout", None)
    if isinstance(total, bool) or not isinstance(total, int | float) or not total > 0:
        total = DEFAULT_TOTAL_TIMEOUT
    return float(total) + ABANDON_GRACE


_order = itertools.count()


def ticket() -> int:
    """A number larger than every `ticket` and `Flight.seq` taken before: what came first.

    A caller takes one when it asks for a fetch, so it can tell whether the
    fetch it shares began before it asked (and cannot know of a key published
    since), and a fetch carries one, so an older one never replaces a newer set.
    """
    return next(_order)  # atomic under the GIL


class Flight:
    """One fetch of a URI in progress: its end, when waiting for it stops, its place in time.

    The deadline is real time (`time.monotonic`), whatever clock the cache
    keeps ages with: it bounds a real wait.  `seq` orders it among fetches
    and callers (`ticket`).
    """

    __slots__ = ("deadline", "done", "seq")

    def __init__(self, seconds: float) -> None:
        self.done = threading.Event()
        self.deadline = time.monotonic() + seconds
        self.seq = ticket()

    def live(self) -> bool:
        """Whether it may still end: not done, and not past its deadline."""
        return not self.done.is_set() and time.monotonic() < self.deadline

    def wait(self) -> None:
        """Block until it ends or its deadline passes, whichever comes first."""
        self.done.wait(max(0.0, self.deadline - time.monotonic()))


def dispatch(run: Callable[[], None], tasks: set[Any]) -> bool:
    """Run `run` on a daemon thread; under a running event loop, as a task awaiting it too.

    The thread starts here, not when the loop gets to the task, so a loop that
    closes right after (`asyncio.run` per call) cannot cancel the refresh
    before it began.  `tasks` holds each task until it ends (the loop keeps
    only a weak reference).

    Returns `False` when no thread could be started (a thread or pid limit,
    or interpreter shutdown): `run` will not run, and the caller, which still
    has keys to serve, must release what it reserved for it.  A refresh that
    cannot start is no reason to fail the request.
    """
    asyncio = sys.modules.get("asyncio")
    loop = asyncio._get_running_loop() if asyncio is not None else None
    if loop is None:
        return _start(run)
    finished = loop.create_future()

    def resolve() -> None:
        if not finished.done():
            finished.set_result(None)

    async def refresh() -> None:
        await finished

    task = loop.create_task(refresh(), name="cognito-jwt-refresh")

    def target() -> None:
        try:
            run()
        finally:
            tasks.discard(task)  # held no longer than the refresh runs
            with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile
                loop.call_soon_threadsafe(resolve)

    tasks.add(task)
    task.add_done_callback(tasks.discard)
    if not _start(target):
        tasks.discard(task)
        task.cancel()
        return False
    return True


_forked: weakref.WeakSet[Any] = weakref.WeakSet()


def reset_after_fork(owner: Any) -> None:
    """Call `owner._after_fork()` in every child process forked from this one.

    Held weakly: a cache that is gone is not kept for it.
    """
    _forked.add(owner)


def _in_child() -> None:
    for owner in list(_forked):
        owner._after_fork()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_in_child)


def _start(run: Callable[[], None]) -> bool:
    """Start `run` on a daemon thread; `False` (logged) if the thread cannot start."""
    try:
        threading.Thread(target=run, name="cognito-jwt-refresh", daemon=True).start()
    except RuntimeError as exc:  # "can't start new thread", or interpreter shutdown
        logger.warning("background refresh not started (%s); the current keys keep serving", exc)
        return False
    return True
