"""Refreshing keys ahead of expiry: one caller starts it, nobody waits for it.

Against the test kit's `JwksServer` on 127.0.0.1.  The server's answer to a
refresh is held at a gate the test opens, so "every caller keeps verifying
while the refresh is in flight" is shown by calls that return while the fetch
*cannot* have finished, and fetches are counted.  Key ages run on a
`ManualClock` (the window's arithmetic is exact); waits are on events, never
on durations.  One test runs on the real clock end to end.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fixed_time import NOW

from cognito_jwt import (
    ConfigurationError,
    JwksCache,
    JwksUnavailableError,
    Report,
    UnknownKeyError,
)
from cognito_jwt._jwks_refresh import LAMBDA_VARIABLE, refresh_at
from cognito_jwt.testing import FakeCognitoPool, JwksServer, ManualClock

#: Generous bound on a wait for something that happens at once: a hung
#: test fails instead of hanging; no assertion depends on it being short.
PATIENCE = 30.0


class Gate:
    """The body of a `JwksServer`: the pool's current JWKS, held while the gate is shut."""

    def __init__(self, pool: FakeCognitoPool) -> None:
        self.pool = pool
        self.open = threading.Event()
        self.open.set()
        self.arrived = threading.Event()
        self.fail = False

    def shut(self) -> None:
        self.open.clear()
        self.arrived.clear()

    def __call__(self) -> bytes:
        self.arrived.set()
        assert self.open.wait(PATIENCE)
        if self.fail:
            return b"<html>down for maintenance</html>"  # not JSON: the fetch fails
        return self.pool.jwks_json.encode()


class Reports:
    """An `on_report` hook that lets a test wait for a kind of report."""

    def __init__(self) -> None:
        self.seen: list[Report] = []
        self.changed = threading.Condition()

    def __call__(self, report: Report) -> None:
        with self.changed:
            self.seen.append(report)
            self.changed.notify_all()

    def kinds(self) -> list[str]:
        with self.changed:
            return [r.kind for r in self.seen]

    def wait_for(self, kind: str, count: int = 1) -> None:
        with self.changed:
            assert self.changed.wait_for(
                lambda: sum(r.kind == kind for r in self.seen) >= count, PATIENCE
            ), self.kinds()


@pytest.fixture
def pool() -> FakeCognitoPool:
    return FakeCognitoPool("us-east-1_RefreshAhd")


@pytest.fixture
def gate(pool: FakeCognitoPool) -> Gate:
    return Gate(pool)


@pytest.fixture
def server(gate: Gate) -> Iterator[JwksServer]:
    srv = JwksServer(gate, path="/pool")
    yield srv
    gate.open.set()
    srv.close()


def verifier_for(pool: FakeCognitoPool, server: JwksServer, cache: JwksCache) -> Any:
    return pool.verifier(
        token_use="id", jwks_uri=server.url, allow_http=True, jwks_cache=cache, clock=lambda: NOW
    )


def background_cache(clock: ManualClock, reports: Reports, **settings: Any) -> JwksCache:
    return JwksCache(
        clock=clock,
        max_age=600,
        refresh_ahead=60,
        cooldown=10,
        background_refresh=True,
        on_report=reports,
        **settings,
    )


# -- the window's arithmetic -----------------------------------------------------------


@pytest.mark.parametrize(
    ("lifetime", "ahead", "opens_after"),
    [
        pytest.param(3600, 300, 3300, id="an-hour-refreshes-five-minutes-early"),
        pytest.param(600, 300, 450, id="at-most-a-quarter-of-the-lifetime"),
        pytest.param(60, 300, 45, id="the-cache-control-floor-refreshes-at-45-s"),
        pytest.param(3600, 0, 3600, id="zero-refreshes-only-when-stale"),
    ],
)
def test_the_window_opens_refresh_ahead_before_freshness_ends(
    lifetime: float, ahead: float, opens_after: float
) -> None:
    assert refresh_at(1000.0 + lifetime, lifetime, ahead) == 1000.0 + opens_after


def test_inline_the_first_call_inside_the_window_refreshes_once(pool: FakeCognitoPool) -> None:
    class Counting:
        calls = 0

        def fetch(self, uri: str) -> bytes:
            self.calls += 1
            return pool.jwks_json.encode()

    fetcher, clock = Counting(), ManualClock()
    cache = JwksCache(fetcher, clock=clock, max_age=600, refresh_ahead=60, background_refresh=False)
    verifier = pool.verifier(
        token_use="id", jwks_uri="https://keys.example/jwks.json", jwks_cache=cache
    )
    token = pool.id_token()
    assert verifier.verify(token)
    clock.advance(539.9)
    assert verifier.verify(token)
    assert fetcher.calls == 1  # before the window
    clock.advance(0.1)
    assert verifier.verify(token)
    assert fetcher.calls == 2  # the window opened at 540 s: refreshed in the call
    for _ in range(10):
        assert verifier.verify(token)
    assert fetcher.calls == 2  # the new set's window is 540 s away again


def test_inline_a_failed_refresh_keeps_the_keys_and_backs_off(pool: FakeCognitoPool) -> None:
    class Failing:
        calls = 0
        down = False

        def fetch(self, uri: str) -> bytes:
            self.calls += 1
            if self.down:
                raise JwksUnavailableError(f"{uri} is down", reason="jwks_fetch_failed")
            return pool.jwks_json.encode()

    fetcher, clock, reports = Failing(), ManualClock(), Reports()
    cache = JwksCache(
        fetcher,
        clock=clock,
        max_age=600,
        refresh_ahead=60,
        cooldown=10,
        background_refresh=False,
        on_report=reports,
    )
    verifier = pool.verifier(
        token_use="id", jwks_uri="https://keys.example/jwks.json", jwks_cache=cache
    )
    token = pool.id_token()
    assert verifier.verify(token)
    fetcher.down = True
    clock.advance(540)
    assert verifier.verify(token)  # the refresh in the call failed: the current keys serve
    assert fetcher.calls == 2
    assert [r.reason for r in reports.seen if r.kind == "fetch_failed"] == ["jwks_fetch_failed"]
    clock.advance(9.9)
    for _ in range(10):
        assert verifier.verify(token)
    assert fetcher.calls == 2  # backing off: no attempt for `cooldown`
    clock.advance(0.1)
    assert verifier.verify(token)
    assert fetcher.calls == 3  # one attempt, then twice the wait
    fetcher.down = False
    clock.advance(20)
    assert verifier.verify(token)
    assert fetcher.calls == 4
    assert reports.kinds()[-1] == "refresh"


# -- in the background -----------------------------------------------------------------


def test_one_caller_starts_the_refresh_and_every_caller_keeps_verifying(
    pool: FakeCognitoPool, gate: Gate, server: JwksServer
) -> None:
    clock, reports = ManualClock(), Reports()
    verifier = verifier_for(pool, server, background_cache(clock, reports))
    token = pool.id_token(now=NOW)
    assert verifier.verify(token)
    assert server.request_count == 1

    gate.shut()  # the refresh will be held at the server until the gate opens
    clock.advance(540)  # the window (the last 60 s of 600) opens
    results: list[object] = []
    barrier = threading.Barrier(16)

    def caller() -> None:
        barrier.wait()
        for _ in range(25):
            try:
                results.append(verifier.verify(token)["sub"])
            except Exception as exc:  # pragma: no cover - reported by the assert below
                results.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(PATIENCE)
    # Every call returned while the refresh could not finish: nobody waited on it.
    assert not any(t.is_alive() for t in threads)
    assert results == [results[0]] * 400
    assert isinstance(results[0], str)
    assert gate.arrived.wait(PATIENCE)
    assert server.request_count == 2  # one refresh for 400 calls inside the window

    gate.open.set()
    reports.wait_for("refresh")
    assert reports.kinds().count("refresh_started") == 1
    assert verifier.verify(token)
    assert server.request_count == 2


def test_a_kid_never_seen_waits_for_the_refresh_in_flight(
    pool: FakeCognitoPool, gate: Gate, server: JwksServer
) -> None:
    clock, reports = ManualClock(), Reports()
    verifier = verifier_for(pool, server, background_cache(clock, reports))
    assert verifier.verify(pool.id_token(now=NOW))
    gate.shut()
    clock.advance(540)
    assert verifier.verify(pool.id_token(now=NOW))  # starts the refresh
    assert gate.arrived.wait(PATIENCE)
    pool.rotate(which="id", label="refresh-ahead-new-kid")  # published before the answer
    outcome: list[object] = []
    newcomer = threading.Thread(
        target=lambda: outcome.append(verifier.verify(pool.id_token(now=NOW))["token_use"])
    )
    newcomer.start()
    gate.open.set()
    newcomer.join(PATIENCE)
    assert outcome == ["id"]
    assert server.request_count == 2  # it shared the refresh instead of fetching again


def test_a_failed_background_refresh_keeps_the_keys_and_backs_off(
    pool: FakeCognitoPool, gate: Gate, server: JwksServer
) -> None:
    clock, reports = ManualClock(), Reports()
    verifier = verifier_for(pool, server, background_cache(clock, reports))
    token = pool.id_token(now=NOW)
    assert verifier.verify(token)
    gate.fail = True
    clock.advance(540)
    assert verifier.verify(token)
    reports.wait_for("fetch_failed")
    assert [r.reason for r in reports.seen if r.kind == "fetch_failed"] == ["jwks_invalid"]
    for _ in range(20):  # backing off (10 s): no attempt, the current keys serve
        assert verifier.verify(token)
    assert server.request_count == 2
    clock.advance(10)  # the first back-off step is over: one more attempt
    assert verifier.verify(token)
    reports.wait_for("fetch_failed", 2)
    assert server.request_count == 3
    clock.advance(55)  # past max_age: the caller refreshes itself; it fails: stale keys serve
    assert verifier.verify(token)
    assert server.request_count == 4
    assert reports.kinds()[-2:] == ["fetch_failed", "stale"]
    gate.fail = False
    clock.advance(39)  # backing off (40 s): stale keys serve, no attempt
    assert verifier.verify(token)
    assert server.request_count == 4
    clock.advance(1)  # back-off over: the caller refreshes and is answered from the new set
    assert verifier.verify(token)
    assert server.request_count == 5
    assert reports.kinds()[-1] == "refresh"


def test_past_max_age_callers_wait_for_one_refresh_and_get_the_new_keys(
    pool: FakeCognitoPool, gate: Gate, server: JwksServer
) -> None:
    """A process idle through the whole window: no stale key serves while the endpoint answers."""
    clock, reports = ManualClock(), Reports()
    verifier = verifier_for(pool, server, background_cache(clock, reports))
    token = pool.id_token(now=NOW)
    assert verifier.verify(token)
    gate.shut()
    clock.advance(601)
    results: list[object] = []
    callers = [
        threading.Thread(target=lambda: results.append(verifier.verify(token)["sub"]))
        for _ in range(5)
    ]
    for t in callers:
        t.start()
    assert gate.arrived.wait(PATIENCE)
    assert results == []  # nobody is answered while the refresh is held at the server
    gate.open.set()
    for t in callers:
        t.join(PATIENCE)
    assert len(results) == 5
    assert server.request_count == 2  # they shared one fetch
    assert "stale" not in reports.kinds()
    assert "refresh_started" not in reports.kinds()  # run by a caller, not in the background


def test_under_verify_async_the_refresh_is_an_asyncio_task(
    pool: FakeCognitoPool, server: JwksServer
) -> None:
    clock, reports = ManualClock(), Reports()
    verifier = verifier_for(pool, server, background_cache(clock, reports))
    token = pool.id_token(now=NOW)

    async def scenario() -> list[str]:
        await verifier.verify_async(token)
        clock.advance(540)
        await verifier.verify_async(token)
        tasks = [t for t in asyncio.all_tasks() if t.get_name() == "cognito-jwt-refresh"]
        await asyncio.gather(*tasks)
        return [t.get_name() for t in tasks]

    assert asyncio.run(scenario()) == ["cognito-jwt-refresh"]
    assert reports.kinds().count("refresh") == 1
    assert server.request_count == 2


def test_a_thread_and_a_coroutine_crossing_the_window_together_start_one_fetch(
    pool: FakeCognitoPool, server: JwksServer
) -> None:
    clock, reports = ManualClock(), Reports()
    verifier = verifier_for(pool, server, background_cache(clock, reports))
    token = pool.id_token(now=NOW)
    assert verifier.verify(token)
    rounds = 40
    for round_ in range(1, rounds + 1):
        clock.advance(540)  # the window of the set fetched last opens
        together = threading.Barrier(2)

        def in_a_thread(together: threading.Barrier = together) -> None:
            together.wait()
            verifier.verify(token)

        async def in_a_coroutine(together: threading.Barrier = together) -> None:
            together.wait()
            await verifier.verify_async(token)
            await asyncio.gather(
                *(t for t in asyncio.all_tasks() if t.get_name() == "cognito-jwt-refresh")
            )

        thread = threading.Thread(target=in_a_thread)
        thread.start()
        asyncio.run(in_a_coroutine())
        thread.join(PATIENCE)
        reports.wait_for("refresh", round_)
        assert server.request_count == 1 + round_, f"round {round_}"
    assert reports.kinds().count("refresh_started") == rounds


# -- inline (AWS Lambda) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "option", "background"),
    [
        pytest.param(None, None, True, id="a-server-refreshes-in-the-background"),
        pytest.param("my-function", None, False, id="aws-lambda-refreshes-inline"),
        pytest.param("my-function", True, True, id="the-option-overrides-the-detection"),
        pytest.param(None, False, False, id="inline-on-request"),
    ],
)
def test_aws_lambda_is_detected_or_chosen(
    monkeypatch: pytest.MonkeyPatch, environment: str | None, option: bool | None, background: bool
) -> None:
    if environment is None:
        monkeypatch.delenv(LAMBDA_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(LAMBDA_VARIABLE, environment)
    assert JwksCache(background_refresh=option).background_refresh is background


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        pytest.param({"background_refresh": "yes"}, "background_refresh", id="option-not-a-bool"),
        pytest.param({"background_refresh": 1}, "background_refresh", id="option-an-int"),
        pytest.param({"refresh_ahead": -1}, "refresh_ahead", id="negative-window"),
        pytest.param({"refresh_ahead": "5m"}, "refresh_ahead", id="window-not-a-number"),
        pytest.param({"refresh_ahead": True}, "refresh_ahead", id="window-a-bool"),
    ],
)
def test_a_wrong_refresh_setting_is_refused_when_the_cache_is_built(
    settings: dict[str, Any], says: str
) -> None:
    with pytest.raises(ConfigurationError, match=says):
        JwksCache(**settings)


def test_under_aws_lambda_the_call_in_the_window_refreshes_inline(
    monkeypatch: pytest.MonkeyPatch, pool: FakeCognitoPool, server: JwksServer
) -> None:
    monkeypatch.setenv(LAMBDA_VARIABLE, "my-function")
    clock, reports = ManualClock(), Reports()
    cache = JwksCache(clock=clock, max_age=600, refresh_ahead=60, on_report=reports)
    verifier = verifier_for(pool, server, cache)
    token = pool.id_token(now=NOW)
    assert verifier.verify(token)
    clock.advance(540)
    assert verifier.verify(token)
    assert server.request_count == 2  # done when the call returned: no thread left behind
    assert "refresh_started" not in reports.kinds()
    assert not [t for t in threading.enumerate() if t.name == "cognito-jwt-refresh"]


def test_a_fetch_abandoned_mid_way_holds_no_lock(pool: FakeCognitoPool) -> None:
    """An environment frozen mid-fetch: the next caller proceeds after the fetch's deadline."""
    frozen = threading.Event()

    class FreezesOnce:
        total_timeout = 0.2  # what the cache waits for a fetch in flight, plus a grace
        calls = 0

        def fetch(self, uri: str) -> bytes:
            self.calls += 1
            if self.calls == 2:
                frozen.wait(PATIENCE)  # never answers while the test runs
                return b'{"keys": []}'  # its late answer must be dropped
            return pool.jwks_json.encode()

    fetcher, clock = FreezesOnce(), ManualClock()
    cache = JwksCache(fetcher, clock=clock, max_age=600, refresh_ahead=60, background_refresh=False)
    verifier = pool.verifier(
        token_use="id", jwks_uri="https://keys.example/jwks.json", jwks_cache=cache
    )
    assert verifier.verify(pool.id_token())
    clock.advance(540)
    abandoned = threading.Thread(target=verifier.verify, args=(pool.id_token(),), daemon=True)
    abandoned.start()  # refreshes inline, and never comes back
    while fetcher.calls < 2:
        time.sleep(0.01)
    # Another caller in the window does not wait: the current keys serve.
    assert verifier.verify(pool.id_token())
    # A kid never seen needs keys: it waits for the fetch in flight until its
    # deadline, then fetches itself, with no lock left held.
    pool.rotate(which="id", label="refresh-ahead-after-freeze")
    assert verifier.verify(pool.id_token())["token_use"] == "id"
    assert fetcher.calls == 3
    assert abandoned.is_alive()
    frozen.set()
    abandoned.join(PATIENCE)
    assert verifier.verify(pool.id_token())  # the empty late answer was not installed


def test_an_abandoned_first_fetch_does_not_hold_a_cold_cache(pool: FakeCognitoPool) -> None:
    frozen = threading.Event()

    class FreezesFirst:
        total_timeout = 0.2
        calls = 0

        def fetch(self, uri: str) -> bytes:
            self.calls += 1
            if self.calls == 1:
                frozen.wait(PATIENCE)
                raise JwksUnavailableError("late", reason="jwks_timeout")
            return pool.jwks_json.encode()

    fetcher = FreezesFirst()
    cache = JwksCache(fetcher)
    verifier = pool.verifier(
        token_use="id", jwks_uri="https://keys.example/jwks.json", jwks_cache=cache
    )
    outcome: list[object] = []

    def first_caller() -> None:
        try:
            verifier.verify(pool.id_token())
        except JwksUnavailableError as exc:
            outcome.append(exc.reason)

    abandoned = threading.Thread(target=first_caller, daemon=True)
    abandoned.start()
    while fetcher.calls < 1:
        time.sleep(0.01)
    assert verifier.verify(pool.id_token())["token_use"] == "id"
    assert fetcher.calls == 2
    frozen.set()
    abandoned.join(PATIENCE)
    assert outcome == ["jwks_timeout"]  # its own fetch failed, late
    assert verifier.verify(pool.id_token())  # the late failure did not start a back-off
    with pytest.raises(UnknownKeyError):
        verifier.verify(pool.id_token(header_overrides={"kid": "never-published"}))


# -- real time, and the end of the process ---------------------------------------------------


def test_in_real_time_keys_are_refreshed_ahead_and_no_call_fails(
    pool: FakeCognitoPool, server: JwksServer
) -> None:
    reports = Reports()
    cache = JwksCache(max_age=0.4, refresh_ahead=0.1, background_refresh=True, on_report=reports)
    verifier = verifier_for(pool, server, cache)
    token = pool.id_token(now=NOW)
    failures: list[Exception] = []
    calls = 0
    started = time.monotonic()
    # Until two refreshes have happened, however long the machine takes to get
    # there: the deadline only turns a refresh that never comes into a failure.
    while calls < 1000 or reports.kinds().count("refresh") < 2:
        try:
            verifier.verify(token)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        calls += 1
        assert time.monotonic() - started < PATIENCE, reports.kinds()
    assert failures == []
    assert reports.kinds().count("refresh_started") >= 2
    # Each refresh was started once: never more fetches than starts plus the first.
    assert server.request_count <= 1 + reports.kinds().count("refresh_started") + 1
    assert calls > server.request_count


def test_the_interpreter_exits_without_waiting_for_a_background_refresh(
    pool: FakeCognitoPool,
) -> None:
    script = f"""
import time
from cognito_jwt import JwksCache
from cognito_jwt.testing import FakeCognitoPool, ManualClock

class Slow:
    def fetch(self, uri):
        time.sleep(600)

pool = FakeCognitoPool({pool.user_pool_id!r})
clock = ManualClock()
cache = JwksCache(Slow(), clock=clock, max_age=600, background_refresh=True)
cache.add_jwks("https://keys.example/jwks.json", pool.jwks_json)
clock.advance(590)
assert cache.peek("https://keys.example/jwks.json", pool.id_kid) is not None
print("refresh started")
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "refresh started"
