"""The test kit's stand-ins: a fake answers for a real key URL, in this process, until stopped.

Re-exported from `cognito_jwt.testing`.  Code under test often builds the
production verifier, ``CognitoJwtVerifier(user_pool_id=..., ...)``, which
fetches ``https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json``.
`FakeCognitoPool.stand_in` makes that fetch answer with the fake pool's keys
instead, so the production lines run unchanged in a test, offline.

How, and why it cannot leak into production:

* **Only code that imports the test kit can start one.**  No argument,
  configuration key or environment variable of the library reaches it; the
  production modules do not know this one exists (the module graph test holds
  them to that).
* **It wraps `RequestsFetcher.fetch` while at least one stand-in runs**, and
  puts back exactly what it found when the last one stops.  URLs no stand-in
  owns go to what was there before (the network, or a test harness's refusal),
  so a stand-in makes no other fetch succeed.  A fetcher of your own is never
  touched: it already answers as you wrote it.
* **Undone explicitly**: `StandIn.stop` (or leaving its ``with`` block)
  removes it and drops its URLs from `DEFAULT_JWKS_CACHE`, so the fake keys stop
  verifying there; `stop_stand_ins` stops every one still running (a test
  harness's teardown).  A cache of your own keeps what it loaded, as it would
  after a real fetch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from types import TracebackType

from cognito_jwt._fetch import RequestsFetcher
from cognito_jwt._jwks import DEFAULT_JWKS_CACHE

__all__ = ["StandIn", "stop_stand_ins"]

_lock = threading.Lock()
_running: list[StandIn] = []
#: What `RequestsFetcher.fetch` was before the first stand-in started (kept
#: after the last stops, for a `_dispatch` put back by an undone patch).
_replaced: list[Callable[[RequestsFetcher, str], bytes]] = []
#: `RequestsFetcher.fetch` as this module found it on import: the fallback when
#: what was there is gone or is `_dispatch` itself, so that `_dispatch` never
#: calls itself.  That happens when a patch of `fetch` made while a stand-in
#: ran (`monkeypatch`, `mock.patch`) is undone after it stopped: the patch
#: puts back what it saw, `_dispatch`, with no stand-in left.
_ORIGINAL_FETCH: Callable[[RequestsFetcher, str], bytes] = RequestsFetcher.fetch


def _underneath() -> Callable[[RequestsFetcher, str], bytes]:
    """What a fetch no stand-in answers goes to: what was there, never `_dispatch`.

    That is what was there before the first stand-in started, which `stop`
    puts back; else (never in practice) the original.
    """
    replaced = tuple(_replaced)  # empty if the last stand-in stopped meanwhile
    for fetch in (*replaced, RequestsFetcher.fetch):
        if fetch is not _dispatch:
            return fetch
    return _ORIGINAL_FETCH


def _dispatch(self: RequestsFetcher, uri: str) -> bytes:
    """`RequestsFetcher.fetch` while stand-ins run: theirs first, then what was there."""
    for stand_in in reversed(tuple(_running)):  # the newest wins, as the latest setup would
        body = stand_in.answer(uri)
        if body is not None:
            return body
    return _underneath()(self, uri)


class StandIn:
    """A running stand-in: fetches of `urls` in this process get a test double's answer.

    Built by `FakeCognitoPool.stand_in`, not directly.  Use it as a context
    manager, or call `stop` when done; `request_count` counts the fetches it
    answered.

    Args:
        owner: what stands in, for messages (``"FakeCognitoPool us-east-1_AbC123"``).
        urls: the exact URLs answered.
        body: returns the document to serve; called per fetch, so keys rotated
            while it runs show.
    """

    def __init__(self, owner: str, urls: Iterable[str], body: Callable[[], bytes]) -> None:
        self.owner = owner
        self.urls = tuple(urls)
        self._body = body
        self.request_count = 0
        self.running = False

    def answer(self, uri: str) -> bytes | None:
        """The document for ``uri`` if this stand-in owns it, else ``None``."""
        if uri not in self.urls:
            return None
        with _lock:
            self.request_count += 1
        return self._body()

    def start(self) -> StandIn:
        """Start answering (done by `FakeCognitoPool.stand_in`); returns itself.

        Raises:
            ValueError: another running stand-in already answers one of these URLs.
        """
        with _lock:
            if self.running:
                return self
            for other in _running:
                shared = sorted(set(other.urls) & set(self.urls))
                if shared:
                    raise ValueError(
                        f"{self.owner}: expected no other stand-in for {shared[0]}, found "
                        f"{other.owner}'s still running; stop it first"
                    )
            if not _running:
                found = RequestsFetcher.fetch  # `_dispatch` itself, left by an undone patch?
                _replaced[:] = [found if found is not _dispatch else _underneath()]
                RequestsFetcher.fetch = _dispatch  # type: ignore[method-assign]
            _running.append(self)
            self.running = True
        self._forget_cached()  # a failed real fetch's back-off must not hide the stand-in
        return self

    def stop(self) -> None:
        """Stop answering; the fake keys no longer verify through the default cache.

        Stopping twice is harmless.
        """
        with _lock:
            if not self.running:
                return
            _running.remove(self)
            self.running = False
            # The last one: put back what was there, unless someone replaced us since.
            if not _running and RequestsFetcher.__dict__.get("fetch") is _dispatch:
                RequestsFetcher.fetch = _underneath()  # type: ignore[method-assign,assignment]
        self._forget_cached()

    def _forget_cached(self) -> None:
        for url in self.urls:
            DEFAULT_JWKS_CACHE.forget(url)

    def __enter__(self) -> StandIn:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<StandIn {self.owner} ({state}, {self.request_count} fetch(es))>"


def stop_stand_ins() -> int:
    """Stop every stand-in still running; returns how many were.

    For a test harness's teardown (a fixture, a docs runner), so one test's
    stand-in never answers for the next.
    """
    with _lock:
        running = list(_running)
    for stand_in in running:
        stand_in.stop()
    return len(running)
