"""Refreshes that overlap, outlive their deadline, cannot start, or began before the caller asked.

Each fetch reads the pool's published JWKS when it reaches the endpoint and
is held at its own gate until the test opens it; fetches are counted, key
ages run on a `ManualClock`, waits are on events (a fetch's abandon deadline
is shortened where a test needs one to pass, and nothing is asserted about
how long anything took).
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from typing import Any

import pytest
from fixed_time import NOW

from cognito_jwt import JwksCache, UnknownKeyError
from cognito_jwt._jwks_refresh import Flight
from cognito_jwt.testing import FakeCognitoPool, ManualClock

URI = "https://keys.example.com/jwks.json"
#: Generous bound on a wait for something that happens at once (a hung test fails).
PATIENCE = 30.0


class Endpoint:
    """Fetch number `n` reads the JWKS on arrival; a held one answers when `gate(n)` opens."""

    total_timeout = PATIENCE

    def __init__(self, pool: FakeCognitoPool) -> None:
        self.pool = pool
        self.lock = threading.Lock()
        self.fetches = 0
        self.held: set[int] = set()
        self.gates: dict[int, threading.Event] = {}
        self.arrivals: dict[int, threading.Event] = {}

    def hold(self, n: int) -> None:
        """Hold fetch number `n` (counting from 1) at its gate."""
        self.held.add(n)

    def gate(self, n: int) -> threading.Event:
        with self.lock:
            return self.gates.setdefault(n, threading.Event())

    def arrived(self, n: int) -> threading.Event:
        with self.lock:
            return self.arrivals.setdefault(n, threading.Event())

    def fetch(self, uri: str) -> bytes:
        with self.lock:
            self.fetches += 1
            n = self.fetches
        body = self.pool.jwks_json.encode()  # the endpoint's state when asked
        self.arrived(n).set()
        if n in self.held:
            assert self.gate(n).wait(PATIENCE)
        return body


class Joined:
    """Counts callers waiting on a fetch in flight (`Flight.wait`), so a test can wait for them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.changed = threading.Condition()
        real_wait = Flight.wait

        def wait(flight: Flight) -> None:
            with self.changed:
                self.count += 1
                self.changed.notify_all()
            real_wait(flight)

        monkeypatch.setattr(Flight, "wait", wait)

    def wait_for(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.count >= count, PATIENCE), self.count


def setup(**settings: Any) -> tuple[FakeCognitoPool, Endpoint, ManualClock, JwksCache, Any]:
    pool = FakeCognitoPool("us-east-1_RefRaces1")
    endpoint = Endpoint(pool)
    clock = ManualClock()
    cache = JwksCache(endpoint, clock=clock, max_age=600, refresh_ahead=60, cooldown=10, **settings)
    verifier = pool.verifier(token_use="id", jwks_uri=URI, jwks_cache=cache, clock=lambda: NOW)
    return pool, endpoint, clock, cache, verifier


def in_thread(call: Any) -> tuple[threading.Thread, list[object]]:
    """Run `call` on a thread; its result or exception lands in the list."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as exc:  # the test inspects it
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


# -- a fetch that outlives its deadline ------------------------------------------------


def test_a_successful_fetch_past_its_deadline_still_installs_its_keys() -> None:
    """A slow fetcher under load: each flight is abandoned by the next caller, yet keys load."""
    pool, endpoint, _, cache, _ = setup(background_refresh=True)
    cache._deadline = 0.05  # stands for the fetcher's total_timeout plus a second
    endpoint.hold(1)
    endpoint.hold(2)
    first, first_outcome = in_thread(lambda: cache.get_key(URI, pool.id_kid).kid)
    assert endpoint.arrived(1).wait(PATIENCE)
    second, second_outcome = in_thread(lambda: cache.get_key(URI, pool.id_kid).kid)
    assert endpoint.arrived(2).wait(PATIENCE)  # the first was abandoned, a second began
    endpoint.gate(1).set()  # the first answers
    first.join(PATIENCE)
    assert first_outcome == [pool.id_kid]
    assert cache.peek(URI, pool.id_kid) is not None  # installed for everyone
    endpoint.gate(2).set()
    second.join(PATIENCE)
    assert second_outcome == [pool.id_kid]
    assert endpoint.fetches == 2


def test_an_older_fetch_answering_late_never_replaces_a_newer_set() -> None:
    pool, endpoint, _, cache, _ = setup(background_refresh=True)
    cache._deadline = 0.05
    old_kid = pool.id_kid
    endpoint.hold(1)
    first, first_outcome = in_thread(lambda: cache.get_key(URI, old_kid).kid)
    assert endpoint.arrived(1).wait(PATIENCE)  # it has read the old set
    pool.unpublish(old_kid)
    new_kid = pool.rotate()
    assert cache.get_key(URI, new_kid).kid == new_kid  # the first abandoned: a newer fetch
    endpoint.gate(1).set()  # the older answer, with the removed key, lands last
    first.join(PATIENCE)
    assert cache.peek(URI, old_kid) is None
    assert cache.peek(URI, new_kid) is not None
    assert isinstance(first_outcome[0], UnknownKeyError)
    assert endpoint.fetches == 2


# -- a refresh thread that cannot start ------------------------------------------------


def refuse_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)


def test_a_refresh_thread_that_cannot_start_leaves_the_keys_serving_and_no_flight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool, endpoint, clock, cache, verifier = setup(background_refresh=True)
    assert verifier.verify(pool.id_token(now=NOW))
    clock.advance(570)  # inside the refresh window, keys still fresh
    with monkeypatch.context() as patch:
        refuse_threads(patch)
        for _ in range(3):
            assert verifier.verify(pool.id_token(now=NOW, email="b@example.com"))["sub"]
    assert not cache._entries[URI].fetching()  # the refresh is not wedged
    assert endpoint.fetches == 1
    new_kid = pool.rotate()  # a new kid is fetched at once, not after a dead flight's deadline
    assert verifier.verify(pool.id_token(now=NOW))["sub"]
    assert cache.peek(URI, new_kid) is not None
    assert endpoint.fetches == 2


def test_under_a_running_loop_a_refresh_thread_that_cannot_start_leaves_no_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool, endpoint, clock, cache, verifier = setup(background_refresh=True)
    assert verifier.verify(pool.id_token(now=NOW))
    clock.advance(570)

    async def scenario() -> object:
        with monkeypatch.context() as patch:
            refuse_threads(patch)
            return cache.peek(URI, pool.id_kid)  # on the loop's thread, as verify_async's hits

    assert asyncio.run(scenario()) is not None
    assert cache._tasks == set()
    assert not cache._entries[URI].fetching()
    assert endpoint.fetches == 1


# -- a kid published after the shared refresh began -----------------------------------


def test_a_kid_published_after_the_shared_refresh_began_is_adopted_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    joined = Joined(monkeypatch)
    pool, endpoint, clock, _, verifier = setup(background_refresh=True)
    assert verifier.verify(pool.id_token(now=NOW))
    clock.advance(570)
    endpoint.hold(2)
    assert verifier.verify(pool.id_token(now=NOW))  # starts the background refresh
    assert endpoint.arrived(2).wait(PATIENCE)  # it has read the old set
    pool.rotate()  # published now
    caller, outcome = in_thread(lambda: verifier.verify(pool.id_token(now=NOW))["token_use"])
    joined.wait_for(1)
    endpoint.gate(2).set()  # the refresh lands without the new kid
    caller.join(PATIENCE)
    assert outcome == ["id"]
    assert endpoint.fetches == 3  # the caller fetched once more, after it asked


def test_invented_kids_joining_a_refresh_cost_one_more_fetch_then_wait_for_the_cooldown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    joined = Joined(monkeypatch)
    pool, endpoint, clock, cache, _ = setup(background_refresh=True)
    cache.get_key(URI, pool.id_kid)
    clock.advance(570)
    endpoint.hold(2)
    assert cache.peek(URI, pool.id_kid) is not None  # starts the background refresh
    assert endpoint.arrived(2).wait(PATIENCE)
    callers = [in_thread(lambda i=i: cache.get_key(URI, f"invented-{i}")) for i in range(12)]
    joined.wait_for(12)
    endpoint.gate(2).set()
    for thread, _ in callers:
        thread.join(PATIENCE)
    outcomes = [outcome[0] for _, outcome in callers]
    assert all(isinstance(o, UnknownKeyError) and o.reason == "unknown_kid" for o in outcomes)
    assert endpoint.fetches == 3  # the refresh, and one more for all of them
    for i in range(50):  # the cooldown: refused without a fetch
        with pytest.raises(UnknownKeyError):
            cache.get_key(URI, f"later-{i}")
    assert endpoint.fetches == 3
    clock.advance(10)
    with pytest.raises(UnknownKeyError):
        cache.get_key(URI, "after-the-cooldown")
    assert endpoint.fetches == 4


# -- a child forked mid-refresh, an event loop closed mid-refresh ----------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork: POSIX only")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")  # 3.12+: fork with threads
def test_a_child_forked_mid_refresh_fetches_for_itself() -> None:
    """The parent's refresh thread and the thread holding a lock do not exist in the child."""
    pool, endpoint, clock, cache, _ = setup(background_refresh=True)
    cache.get_key(URI, pool.id_kid)
    clock.advance(570)
    endpoint.hold(2)
    assert cache.peek(URI, pool.id_kid) is not None  # starts the background refresh
    assert endpoint.arrived(2).wait(PATIENCE)
    held, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with cache._entries[URI].lock:
            held.set()
            release.wait(PATIENCE)

    holder = threading.Thread(target=hold_the_lock, daemon=True)
    holder.start()
    assert held.wait(PATIENCE)
    new_kid = pool.rotate()  # only a fetch made in the child can bring it
    pid = os.fork()
    if pid == 0:  # the child: its own fetch, not the parent's flight nor its lock
        code = 1
        try:
            code = 0 if cache.get_key(URI, new_kid).kid == new_kid else 2
        finally:
            os._exit(code)
    release.set()
    endpoint.gate(2).set()
    status = wait_for_child(pid)
    assert os.WIFEXITED(status)
    assert os.WEXITSTATUS(status) == 0
    holder.join(PATIENCE)


def wait_for_child(pid: int) -> int:
    """The child's exit status; a child still running after `PATIENCE` is killed (it hung)."""
    deadline = time.monotonic() + PATIENCE
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return os.waitpid(pid, 0)[1]
        time.sleep(0.01)


def test_a_refresh_task_of_a_loop_closed_without_running_it_is_not_kept() -> None:
    pool, endpoint, clock, cache, _ = setup(background_refresh=True)
    cache.get_key(URI, pool.id_kid)
    clock.advance(570)
    endpoint.hold(2)
    before = set(threading.enumerate())

    async def hit() -> object:
        return cache.peek(URI, pool.id_kid)  # on the loop's thread: starts the refresh task

    loop = asyncio.new_event_loop()
    assert loop.run_until_complete(hit()) is not None
    assert len(cache._tasks) == 1
    loop.close()  # closed with the refresh task pending, not cancelled
    endpoint.gate(2).set()
    for thread in set(threading.enumerate()) - before:
        thread.join(PATIENCE)
    assert cache._tasks == set()
    assert endpoint.fetches == 2
