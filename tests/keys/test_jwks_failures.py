"""A JWKS endpoint that misbehaves in every way we could think of, for real, on 127.0.0.1.

Each failure mode of the matrix in ``docs/security.md`` is a real HTTP server
(or a port nobody listens on, or a socket that never accepts) and is run
through the same three questions:

* **nothing cached**: the verifier answers ``JwksUnavailableError`` (503), with
  the mode's ``reason``; a slow mode is ended by our own deadline (the server
  had not finished, and the timeout that fired is the one the reason names);
  the endpoint got exactly one request; while backing off it is not asked
  again; once it recovers, tokens verify.
* **keys cached**: valid tokens keep verifying while the refresh fails; callers
  past ``max_age`` share the one refresh, which the fetcher's own timeout ends,
  then the stale keys serve; attempts are spaced by the back-off (counted);
  recovery.
* the cache's clock is a fake (exact ages, no sleeping), the HTTP timeouts are
  real, and nothing asserts a duration: what ended a call is read from the
  error and from the server's counters (a hanging server gives up only at
  ``hostile_servers.HORIZON``, which no passing test reaches).

With keys cached, the refresh these tests count is the one made in the request
(``background_refresh=False, refresh_ahead=0``, what an AWS Lambda function gets), so that each
attempt is counted when the call returns; ``test_refresh_ahead.py`` runs the
same failures through the background refresh.

Worst-case latencies are measured (never asserted), collected in ``LATENCY``
and appended to the file named by ``COGNITO_JWT_REPORT``, if set (``nox -s soak``
sets it and prints the file).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests  # imported up front: the first fetch must not pay for the import
import urllib3
from fixed_time import NOW
from hostile_servers import (
    HORIZON,
    JSON,
    Behaviour,
    HostileServer,
    black_hole,
    chained_gzip_bomb,
    current_jwks,
    drip_body,
    drip_headers,
    free_port,
    gzip_bomb,
    huge_body,
    json_body,
    refused_uri,
    reply,
    reset,
    silent_listener,
)

from cognito_jwt import (
    CognitoJwtVerifier,
    JwksCache,
    JwksUnavailableError,
    Report,
    RequestsFetcher,
    UnknownKeyError,
)
from cognito_jwt.testing import FakeCognitoPool, ManualClock

#: Timeouts no answer reaches, however loaded the machine: every fetch here uses
#: them but a slow mode's, which sets only the one timeout it is about.
PATIENT = {
    "connect_timeout": 2 * HORIZON,
    "read_timeout": 2 * HORIZON,
    "total_timeout": 2 * HORIZON,
}
#: A slow mode that only the connect or read timeout (0.3 s of silence) may end.
BY_READ = {**PATIENT, "connect_timeout": 0.3, "read_timeout": 0.3}
#: A slow mode that only the total deadline (0.6 s) may end: it sends a byte a
#: second, and each byte restarts a read timeout.
BY_TOTAL = {**PATIENT, "total_timeout": 0.6}
#: What the transport raises when a connect or read timeout fires.
TIMEOUTS = (requests.Timeout, urllib3.exceptions.TimeoutError)
MB = 1024 * 1024

LATENCY: dict[str, float] = {}


def record(mode: str, seconds: float) -> None:
    LATENCY[mode] = max(LATENCY.get(mode, 0.0), seconds)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    path = os.environ.get("COGNITO_JWT_REPORT")
    if path and LATENCY:
        with open(path, "a", encoding="utf-8") as out:
            out.write("JWKS failure matrix, worst-case added latency per call (s):\n")
            for mode, seconds in sorted(LATENCY.items()):
                out.write(f"  {mode:<36} {seconds:6.3f}\n")


@pytest.fixture(scope="module")
def pool() -> FakeCognitoPool:
    return FakeCognitoPool("us-east-1_JwksFail01")


def fetcher(
    *,
    connect_timeout: float = PATIENT["connect_timeout"],
    read_timeout: float = PATIENT["read_timeout"],
    total_timeout: float = PATIENT["total_timeout"],
) -> RequestsFetcher:
    return RequestsFetcher(
        connect_timeout=connect_timeout, read_timeout=read_timeout, total_timeout=total_timeout
    )


def verifier_for(pool: FakeCognitoPool, uri: str, cache: JwksCache) -> CognitoJwtVerifier:
    return pool.verifier(
        token_use="id", jwks_uri=uri, allow_http=True, jwks_cache=cache, clock=lambda: NOW
    )


class Counted:
    """A fetcher that counts its calls: fetches a server cannot count (nothing listens)."""

    def __init__(self, inner: RequestsFetcher) -> None:
        self.inner = inner
        self.total_timeout = inner.total_timeout
        self.calls = 0

    def fetch(self, uri: str) -> bytes:
        self.calls += 1
        return self.inner.fetch(uri)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``call``; return (seconds, result or the exception it raised).

    The seconds are a figure for ``LATENCY``; no test asserts them."""
    started = time.monotonic()
    try:
        result = call()
    except Exception as exc:
        result = exc
    return time.monotonic() - started, result


# -- the endpoints ----------------------------------------------------------------


@dataclass
class Endpoint:
    """One JWKS URI in some failure mode, which a test can make healthy again."""

    uri: str
    server: HostileServer | None
    stack: ExitStack
    good: Behaviour
    port: int
    restart: Callable[[], None] | None = None
    revived: list[HostileServer] = field(default_factory=list)

    @property
    def requests(self) -> int:
        """Requests the endpoint answered (or swallowed) on this URI."""
        total = self.server.requests if self.server is not None else 0
        return total + sum(s.requests for s in self.revived)

    def recover(self) -> None:
        if self.server is not None:
            self.server.behaviour = self.good
            return
        if self.restart is not None:
            self.restart()
        revived = HostileServer(self.good, port=self.port)
        self.stack.callback(revived.close)
        self.revived.append(revived)

    def fail(self, behaviour: Behaviour) -> None:
        assert self.server is not None
        self.server.behaviour = behaviour


@dataclass(frozen=True)
class Mode:
    """A failure mode: how to build it, what reason it ends in, how slow it is."""

    name: str
    behaviour: Behaviour | None  # None: not an HTTP server (refused / never accepts)
    reason: str
    fetch: dict[str, float] = field(default_factory=lambda: PATIENT)
    counts: bool = True  # False where no HTTP request can be counted
    slow: bool = False  # the failure takes a timeout to detect
    #: 403/404: "no keys published here", so with nothing cached a token is
    #: refused (401 `no_published_keys`) rather than deferred (503).
    not_published: bool = False


HTML = {"Content-Type": "text/html"}
ELSEWHERE = "http://127.0.0.1:1/jwks.json"
NONE: dict[str, Any] = {"not_published": True}


def _modes(pool: FakeCognitoPool) -> list[Mode]:
    jwks = pool.jwks_json.encode()
    return [
        Mode("down (refused)", None, "jwks_fetch_failed", counts=False),
        Mode("never accepts", None, "jwks_fetch_failed", BY_READ, counts=False, slow=True),
        Mode("black hole", black_hole, "jwks_fetch_failed", BY_READ, slow=True),
        Mode("connection reset", reset, "jwks_fetch_failed"),
        # One byte per second: each byte resets the per-read timeout, so only
        # the total deadline can end these two.
        Mode("drip headers 1 B/s", drip_headers(1.0), "jwks_timeout", BY_TOTAL, slow=True),
        Mode("drip body 1 B/s", drip_body(jwks, 1.0), "jwks_timeout", BY_TOTAL, slow=True),
        Mode(
            "drip body, read timeout", drip_body(jwks, 1.0), "jwks_fetch_failed", BY_READ, slow=True
        ),
        Mode("403", reply(403, JSON, b'{"message":"Forbidden"}'), "jwks_http_status", **NONE),
        Mode("404", reply(404, HTML, b"<h1>Not Found</h1>"), "jwks_http_status", **NONE),
        Mode("429", reply(429, {**JSON, "Retry-After": "0"}, b"{}"), "jwks_http_status"),
        Mode("500", reply(500, JSON, b'{"message":"boom"}'), "jwks_http_status"),
        Mode("302 elsewhere", reply(302, {"Location": ELSEWHERE}, b""), "jwks_http_status"),
        Mode("HTML body", reply(200, HTML, b"<html>sign in</html>"), "jwks_content_type"),
        Mode("HTML labelled JSON", json_body(b"<html>sign in</html>"), "jwks_invalid"),
        Mode("invalid JSON", json_body(b'{"keys": [{"kty": "RSA",'), "jwks_invalid"),
        Mode("JSON without keys", json_body(b'{"jwks": []}'), "jwks_invalid"),
        Mode("JSON array", json_body(b"[]"), "jwks_invalid"),
        Mode("keys not a list", json_body(b'{"keys": {"kid": "x"}}'), "jwks_invalid"),
        Mode("keys of wrong type", json_body(b'{"keys": [1, "two", null, []]}'), "jwks_invalid"),
        Mode("keys empty", json_body(b'{"keys": []}'), "jwks_invalid"),
        Mode("keys unusable", json_body(_unusable(pool)), "jwks_invalid"),
        Mode("50 MB, Content-Length", huge_body(50 * MB, declare_length=True), "jwks_too_large"),
        Mode("50 MB, no length", huge_body(50 * MB, declare_length=False), "jwks_too_large"),
        Mode("gzip bomb 50 MB", gzip_bomb(50 * MB), "jwks_too_large"),
        # Refused from the headers: urllib3 before 2.6 inflated all but the last
        # layer of a chain in full, before any size cap could apply.
        Mode("gzip, gzip bomb 50 MB", chained_gzip_bomb(50 * MB), "jwks_content_encoding"),
        Mode(
            "two Content-Encoding lines",
            chained_gzip_bomb(50 * MB, header_lines=2),
            "jwks_content_encoding",
        ),
    ]


def _unusable(pool: FakeCognitoPool) -> bytes:
    """The pool's own kids, with keys no verifier may use (encryption, too short)."""
    document = pool.jwks
    document["keys"][0]["use"] = "enc"
    document["keys"][1]["n"] = "AQAB"
    return json.dumps(document).encode()


MODE_NAMES = [m.name for m in _modes(FakeCognitoPool("us-east-1_JwksFail01"))]


def mode_named(pool: FakeCognitoPool, name: str) -> Mode:
    return next(m for m in _modes(pool) if m.name == name)


@contextmanager
def endpoint(pool: FakeCognitoPool, mode: Mode, *, start_good: bool) -> Iterator[Endpoint]:
    good = current_jwks(pool)
    with ExitStack() as stack:
        if mode.behaviour is not None:
            server = HostileServer(good if start_good else mode.behaviour)
            stack.callback(server.close)
            yield Endpoint(server.url, server, stack, good, server.port)
            return
        assert not start_good, "non-HTTP modes start broken"
        if mode.name.startswith("down"):
            port = free_port()
            yield Endpoint(refused_uri(port), None, stack, good, port)
            return
        listener: AbstractContextManager[str] = silent_listener()
        uri = listener.__enter__()
        closed = False

        def close_listener() -> None:
            nonlocal closed
            if not closed:
                closed = True
                listener.__exit__(None, None, None)

        stack.callback(close_listener)
        port = int(uri.split(":")[2].split("/")[0])
        yield Endpoint(uri, None, stack, good, port, restart=close_listener)


# -- nothing cached -----------------------------------------------------------------


def assert_ended_by_our_deadline(
    mode: Mode,
    ep: Endpoint,
    reason: str | None,
    error: BaseException | None = None,
    *,
    good_answers: int = 0,
) -> None:
    """A slow mode's call was ended by the fetcher's own timeout, not by the server.

    The server had not finished (a hanging behaviour finishes by itself only at
    `HORIZON`, counted in `answered` beside the ``good_answers``), and the
    timeout that fired is the one the reason names: ``jwks_timeout`` is the total deadline, a slow
    ``jwks_fetch_failed`` carries the transport's connect/read timeout as the
    cause of ``error`` (when the caller saw the error; with keys cached it
    sees only the reason, in a report).
    """
    if not mode.slow:
        return
    if ep.server is not None:
        assert ep.server.answered == good_answers, f"{mode.name}: the server finished first"
    assert reason == mode.reason
    if reason == "jwks_fetch_failed" and error is not None:
        assert isinstance(error.__cause__, TIMEOUTS), repr(error.__cause__)


@pytest.mark.parametrize("name", MODE_NAMES)
def test_nothing_cached_fails_fast_then_recovers(pool: FakeCognitoPool, name: str) -> None:
    mode = mode_named(pool, name)
    mono = ManualClock()
    counted = Counted(fetcher(**mode.fetch))
    cache = JwksCache(counted, clock=mono, cooldown=10, max_backoff=40)
    token = pool.id_token(now=NOW)
    with endpoint(pool, mode, start_good=False) as ep:
        verifier = verifier_for(pool, ep.uri, cache)
        error, status, reason = (
            (UnknownKeyError, 401, "no_published_keys")
            if mode.not_published
            else (JwksUnavailableError, 503, mode.reason)
        )
        seconds, outcome = timed(lambda: verifier.verify(token))
        record(f"{name} (cold)", seconds)
        assert isinstance(outcome, error), outcome
        assert outcome.reason == reason, outcome
        assert outcome.status_code == status
        assert_ended_by_our_deadline(mode, ep, outcome.reason, outcome)
        assert counted.calls == 1  # one attempt, no retry loop inside a call
        if mode.counts:
            assert ep.requests == 1

        # Backing off: callers fail at once (no fetch is even started), with the
        # same reason, and the endpoint is not asked again.
        for _ in range(20):
            outcome = timed(lambda: verifier.verify(token))[1]
            assert isinstance(outcome, error)
            assert outcome.reason == reason
        assert counted.calls == 1
        mono.advance(9.9)
        assert isinstance(timed(lambda: verifier.verify(token))[1], error)
        assert counted.calls == 1
        if mode.counts:
            assert ep.requests == 1

        ep.recover()
        mono.advance(0.2)  # the first back-off step (cooldown) has passed
        assert verifier.verify(token)["token_use"] == "id"
        assert counted.calls == 2
        assert ep.requests == (2 if mode.counts else 1)
        for _ in range(5):
            assert verifier.verify(token)
        assert ep.requests == (2 if mode.counts else 1)


# -- keys cached ---------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in MODE_NAMES if not n.startswith(("down", "never"))])
def test_cached_keys_keep_serving_while_the_endpoint_fails(
    pool: FakeCognitoPool, name: str
) -> None:
    mode = mode_named(pool, name)
    assert mode.behaviour is not None
    mono = ManualClock()
    reports: list[Report] = []
    cache = JwksCache(
        fetcher(**mode.fetch),
        background_refresh=False,
        refresh_ahead=0,
        clock=mono,
        max_age=60,
        cooldown=10,
        max_backoff=40,
        stale_if_error=3600,
        on_report=reports.append,
    )

    def failed() -> list[str | None]:
        return [r.reason for r in reports if r.kind == "fetch_failed"]

    def stale_served() -> int:
        return sum(r.kind == "stale" for r in reports)

    token = pool.id_token(now=NOW)
    stranger = pool.id_token(now=NOW, header_overrides={"kid": "not-a-published-kid"})
    with endpoint(pool, mode, start_good=True) as ep:
        verifier = verifier_for(pool, ep.uri, cache)
        assert verifier.verify(token)
        assert ep.requests == 1
        ep.fail(mode.behaviour)

        mono.advance(61)  # keys are now stale: the next call tries a refresh
        seconds, outcome = timed(lambda: verifier.verify(token))
        record(f"{name} (cached)", seconds)
        assert isinstance(outcome, dict), outcome  # served from the stale keys
        assert failed() == [mode.reason]
        assert_ended_by_our_deadline(mode, ep, failed()[-1], good_answers=1)
        assert ep.requests == 2

        # Backing off: each call is answered from the stale keys straight
        # away (a "stale" report each), with no request and no fetch in flight.
        before = stale_served()
        for _ in range(50):
            outcome = timed(lambda: verifier.verify(token))[1]
            assert isinstance(outcome, dict)
        assert stale_served() == before + 50
        # A kid we do not have is refused; it is never accepted and never fetched.
        outcome = timed(lambda: verifier.verify(stranger))[1]
        assert isinstance(outcome, UnknownKeyError)
        assert ep.requests == 2
        assert failed() == [mode.reason]

        mono.advance(10)  # first back-off step over: exactly one more attempt
        seconds, outcome = timed(lambda: verifier.verify(token))
        record(f"{name} (cached)", seconds)
        assert isinstance(outcome, dict)
        assert failed() == [mode.reason] * 2
        assert_ended_by_our_deadline(mode, ep, failed()[-1], good_answers=1)
        assert ep.requests == 3
        mono.advance(19)  # second step is 20 s: not yet
        assert verifier.verify(token)
        assert ep.requests == 3

        ep.recover()
        mono.advance(1)
        assert verifier.verify(token)
        assert ep.requests == 4
        mono.advance(59)  # fresh again for max_age: no more requests
        for _ in range(5):
            assert verifier.verify(token)
        assert ep.requests == 4


@pytest.mark.parametrize("name", ["black hole", "drip headers 1 B/s"])
def test_callers_past_max_age_share_one_failing_refresh_then_serve_stale(
    pool: FakeCognitoPool, name: str
) -> None:
    """Past max_age, every caller waits for the one refresh; when it fails, the stale keys serve.

    What bounds their wait is shown without timing it: the one refresh is ended
    by the fetcher's timeout that the failure's reason names, while the server
    still holds the request; no caller makes another; all 320 calls are served.
    """
    mode = mode_named(pool, name)
    assert mode.behaviour is not None
    mono = ManualClock()
    reports: list[Report] = []
    cache = JwksCache(
        fetcher(**mode.fetch),
        clock=mono,
        max_age=60,
        cooldown=10,
        background_refresh=False,
        refresh_ahead=0,
        on_report=reports.append,
    )
    token = pool.id_token(now=NOW)
    with endpoint(pool, mode, start_good=True) as ep:
        verifier = verifier_for(pool, ep.uri, cache)
        assert verifier.verify(token)
        ep.fail(mode.behaviour)
        mono.advance(61)
        latencies: list[float] = []
        errors: list[object] = []
        lock = threading.Lock()
        barrier = threading.Barrier(16)

        def worker() -> None:
            barrier.wait()
            for _ in range(20):
                seconds, outcome = timed(lambda: verifier.verify(token))
                with lock:
                    latencies.append(seconds)
                    if not isinstance(outcome, dict):
                        errors.append(outcome)

        threads = [threading.Thread(target=worker) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        record(f"{name} (16 threads)", max(latencies))
        assert errors == []
        assert len(latencies) == 320
        failed = [r.reason for r in list(reports) if r.kind == "fetch_failed"]
        assert failed == [mode.reason]  # one refresh, ended by the timeout it names
        assert_ended_by_our_deadline(mode, ep, failed[0], good_answers=1)
        assert ep.requests == 2  # one refresh for 320 calls: shared, then backing off


# -- beyond one failure ----------------------------------------------------------------


def test_persistent_failure_backs_off_exponentially_then_keys_expire(
    pool: FakeCognitoPool,
) -> None:
    """A day of a dead endpoint, a call every simulated second: requests counted."""
    mono = ManualClock()
    cache = JwksCache(
        fetcher(),
        background_refresh=False,
        refresh_ahead=0,
        clock=mono,
        max_age=60,
        cooldown=1,
        max_backoff=16,
        stale_if_error=600,
    )
    token = pool.id_token(now=NOW)
    with endpoint(pool, mode_named(pool, "500"), start_good=True) as ep:
        verifier = verifier_for(pool, ep.uri, cache)
        assert verifier.verify(token)
        ep.fail(reply(500, JSON, b"{}"))
        mono.advance(60)
        served = refused = 0
        for _ in range(1000):
            mono.advance(1)
            try:
                verifier.verify(token)
                served += 1
            except JwksUnavailableError:
                refused += 1
        # Stale keys serve until max_age + stale_if_error (660 s after the fetch),
        # then 503: the server cannot tell any more whether keys were revoked.
        assert served == 599
        assert refused == 401
        # Attempts at +1, 2, 4, 8, then every 16 s: never more than that.
        failed_attempts = ep.requests - 1
        assert failed_attempts <= 4 + 1000 // 16 + 1, failed_attempts
        assert failed_attempts >= 1000 // 16 - 1


def test_flapping_endpoint_never_fails_a_valid_token(pool: FakeCognitoPool) -> None:
    """Every other request fails (500, then reset): cached keys cover every gap."""
    mono = ManualClock()
    cache = JwksCache(
        fetcher(),
        clock=mono,
        max_age=5,
        cooldown=2,
        max_backoff=8,
        background_refresh=False,
        refresh_ahead=0,
    )
    token = pool.id_token(now=NOW)
    good = current_jwks(pool)
    bad = [reply(500, JSON, b"{}"), reset]
    with HostileServer(good) as server:
        calls = [0]

        def flap(h: Any) -> None:
            calls[0] += 1
            (good if calls[0] % 2 else bad[(calls[0] // 2) % 2])(h)

        server.behaviour = flap
        verifier = verifier_for(pool, server.url, cache)
        for _ in range(300):
            assert verifier.verify(token)
            mono.advance(1)
        # At most one attempt per cooldown (2 s) over 300 s; in fact fewer,
        # because a success is good for max_age.
        assert server.requests <= 300 // 2 + 1
        assert server.requests >= 300 // 8  # but it did keep trying


def test_body_changing_between_calls(pool: FakeCognitoPool) -> None:
    """Each successful answer replaces the set; a failed one never does."""
    other = FakeCognitoPool("us-east-1_JwksFail02")
    bodies: list[bytes] = [
        pool.jwks_json.encode(),
        other.jwks_json.encode(),  # a different, valid set: authoritative
        b'{"keys": [42]}',  # garbage: ignored, old set kept
        pool.jwks_json.encode(),
    ]
    mono = ManualClock()
    cache = JwksCache(
        fetcher(), clock=mono, max_age=60, cooldown=10, background_refresh=False, refresh_ahead=0
    )
    token = pool.id_token(now=NOW)
    with HostileServer(json_body(lambda: bodies[0])) as server:
        verifier = verifier_for(pool, server.url, cache)
        assert verifier.verify(token)
        bodies.pop(0)
        mono.advance(61)
        with pytest.raises(UnknownKeyError) as info:
            verifier.verify(token)  # refreshed: the pool's kid is no longer published
        assert info.value.reason == "unknown_kid"
        bodies.pop(0)
        mono.advance(61)
        with pytest.raises(JwksUnavailableError) as unavailable:
            # Garbage answer: not installed.  The last good set still rules, and it
            # lacks this kid; the refresh failed, so "cannot tell now" (503).
            verifier.verify(token)
        assert unavailable.value.reason == "jwks_invalid"
        with pytest.raises(UnknownKeyError):
            verifier.verify(token)  # backing off: the last good set answers
        assert server.requests == 3
        bodies.pop(0)
        mono.advance(10)
        assert verifier.verify(token)  # back: picked up after the back-off
        assert server.requests == 4


def test_redirect_target_is_never_contacted(pool: FakeCognitoPool) -> None:
    with HostileServer(current_jwks(pool)) as target:
        moved = reply(302, {"Location": target.url}, b"")
        with HostileServer(moved) as server:
            verifier = verifier_for(pool, server.url, JwksCache(fetcher()))
            with pytest.raises(JwksUnavailableError) as info:
                verifier.verify(pool.id_token(now=NOW))
            assert info.value.reason == "jwks_http_status"
            assert server.requests == 1
            assert target.requests == 0


def test_down_endpoint_comes_back_on_the_same_port(pool: FakeCognitoPool) -> None:
    """Keys cached, endpoint process dies (refused), later restarts: served throughout."""
    mono = ManualClock()
    reports: list[Report] = []
    counted = Counted(fetcher())
    cache = JwksCache(
        counted,
        clock=mono,
        max_age=60,
        cooldown=10,
        background_refresh=False,
        refresh_ahead=0,
        on_report=reports.append,
    )
    token = pool.id_token(now=NOW)
    good = current_jwks(pool)
    server = HostileServer(good)
    port, uri = server.port, server.url
    verifier = verifier_for(pool, uri, cache)
    assert verifier.verify(token)
    server.close()
    mono.advance(61)
    seconds, outcome = timed(lambda: verifier.verify(token))
    record("down (cached)", seconds)
    assert isinstance(outcome, dict)
    # One attempt, refused: the stale keys answered after it, with no retry.
    assert counted.calls == 2
    assert [(r.kind, r.reason) for r in reports if r.kind != "stale"] == [
        ("fetch", None),
        ("fetch_failed", "jwks_fetch_failed"),
    ]
    with HostileServer(good, port=port) as back:
        mono.advance(10)
        assert verifier.verify(token)
        assert back.requests == 1


# -- key rotation -------------------------------------------------------------------------


@pytest.fixture
def rotating_pool() -> FakeCognitoPool:
    return FakeCognitoPool("us-east-1_JwksRotate1")


def test_new_kid_is_picked_up_on_first_use_after_the_cooldown(
    rotating_pool: FakeCognitoPool,
) -> None:
    pool = rotating_pool
    mono = ManualClock()
    cache = JwksCache(
        fetcher(), clock=mono, max_age=3600, cooldown=10, background_refresh=False, refresh_ahead=0
    )
    with HostileServer(current_jwks(pool)) as server:
        verifier = verifier_for(pool, server.url, cache)
        old = pool.id_token(now=NOW)
        assert verifier.verify(old)
        pool.rotate(which="id", label="failures-rotation-new")
        new = pool.id_token(now=NOW)
        mono.advance(10)  # the cooldown since the last fetch has passed
        assert verifier.verify(new)  # first use fetches the new set, once
        assert server.requests == 2
        assert verifier.verify(old)  # still published during the rotation
        assert server.requests == 2


def test_removed_kid_is_rejected_after_the_next_refresh_even_if_seen_before(
    rotating_pool: FakeCognitoPool,
) -> None:
    """No cache of ours (keys, parsed headers, verified tokens) outlives the key."""
    pool = rotating_pool
    mono = ManualClock()
    cache = JwksCache(
        fetcher(), clock=mono, max_age=600, cooldown=10, background_refresh=False, refresh_ahead=0
    )
    with HostileServer(current_jwks(pool)) as server:
        verifier = verifier_for(pool, server.url, cache)
        old_kid = pool.id_kid
        old = pool.id_token(now=NOW)
        for _ in range(3):
            assert verifier.verify(old)  # seen, and cached wherever we cache
        pool.rotate(which="id", label="failures-rotation-removed")
        pool.unpublish(old_kid)
        mono.advance(601)
        with pytest.raises(UnknownKeyError) as info:
            verifier.verify(old)
        assert info.value.reason == "unknown_kid"
        with pytest.raises(UnknownKeyError):
            verifier.verify(old)  # and stays rejected
        import asyncio

        with pytest.raises(UnknownKeyError):
            asyncio.run(verifier.verify_async(old))
        assert verifier.verify(pool.id_token(now=NOW))
        assert server.requests == 2


def test_the_test_kits_server_serves_rotated_keys(rotating_pool: FakeCognitoPool) -> None:
    """``FakeCognitoPool.serve_jwks()`` reads the JWKS per request (it once froze it)."""
    pool = rotating_pool
    mono = ManualClock()
    with pool.serve_jwks() as server:
        verifier = verifier_for(pool, server.url, JwksCache(fetcher(), clock=mono, cooldown=10))
        assert verifier.verify(pool.id_token(now=NOW))
        pool.rotate(which="id", label="failures-kit-rotation")
        mono.advance(10)
        assert verifier.verify(pool.id_token(now=NOW))  # the new kid, fetched from the kit
        assert server.request_count == 2


# -- a pool's other issuer form, on a host that serves no keys for it -----------------------


class TwoHosts:
    """A fetcher that sends each of the pool's real JWKS URIs to its own loopback server."""

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = routes
        # Patient timeouts: these tests count answers, not latency, and a
        # loaded machine must not turn a 403 into a timeout.
        self.inner = fetcher()

    def fetch(self, uri: str) -> bytes:
        return self.inner.fetch(self.routes[uri])


@pytest.fixture
def two_hosts_pool() -> FakeCognitoPool:
    return FakeCognitoPool("us-east-1_TwoHosts01")


def other_form(pool: FakeCognitoPool) -> str:
    return pool.issuer.replace("https://cognito-idp.", "https://issuer-cognito-idp.")


def jwks_uri(issuer: str) -> str:
    return f"{issuer}/.well-known/jwks.json"


@contextmanager
def pool_on_two_hosts(
    pool: FakeCognitoPool,
    classic: Behaviour,
    other: Behaviour,
    *,
    cooldown: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[tuple[CognitoJwtVerifier, HostileServer, HostileServer]]:
    with HostileServer(classic) as classic_srv, HostileServer(other) as other_srv:
        hosts = TwoHosts(
            {jwks_uri(pool.issuer): classic_srv.url, jwks_uri(other_form(pool)): other_srv.url}
        )
        verifier = pool.verifier(
            token_use="id",
            jwks_cache=JwksCache(hosts, cooldown=cooldown, max_backoff=cooldown, clock=clock),
            clock=lambda: NOW,
        )
        assert set(verifier.issuers) == {pool.issuer, other_form(pool)}
        yield verifier, classic_srv, other_srv


@pytest.mark.parametrize("status", [403, 404])
def test_the_other_issuer_form_on_a_host_without_keys_costs_one_fetch_and_answers_401(
    two_hosts_pool: FakeCognitoPool, status: int
) -> None:
    pool = two_hosts_pool
    answer = reply(status, {"Content-Type": "application/json"}, b'{"message":"Forbidden"}')
    with pool_on_two_hosts(pool, current_jwks(pool), answer) as (verifier, classic, other):
        token = pool.id_token(now=NOW, iss=other_form(pool))
        reasons: list[object] = []
        lock = threading.Lock()

        def worker() -> None:
            for _ in range(50):
                try:
                    verifier.verify(token)
                    outcome: object = "accepted"
                except UnknownKeyError as exc:
                    outcome = (exc.status_code, exc.reason)
                except Exception as exc:  # pragma: no cover - reported below
                    outcome = exc
                with lock:
                    reasons.append(outcome)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert reasons == [(401, "no_published_keys")] * 200
        assert other.requests == 1  # 200 tokens, one fetch: the back-off holds the rest
        # The classic form is unaffected.
        assert verifier.verify(pool.id_token(now=NOW))["iss"] == pool.issuer
        assert classic.requests == 1


def test_a_flood_of_the_other_form_costs_one_fetch_per_cooldown_across_threads(
    two_hosts_pool: FakeCognitoPool,
) -> None:
    """4 threads, 100 tokens each per cooldown window, 8 windows: 8 fetches, not 3,200.

    The cache's clock is a `ManualClock` moved one cooldown per window, so the
    count is exact: one fetch as each window opens (the back-off is the cooldown
    here), however many threads ask in it.
    """
    pool = two_hosts_pool
    cooldown, windows, threads_n, per_thread = 0.25, 8, 4, 100
    mono = ManualClock()
    answer = reply(403, {"Content-Type": "application/json"}, b"{}")
    with pool_on_two_hosts(pool, current_jwks(pool), answer, cooldown=cooldown, clock=mono) as (
        verifier,
        _,
        other,
    ):
        token = pool.id_token(now=NOW, iss=other_form(pool))
        wrong: list[object] = []
        barrier = threading.Barrier(threads_n + 1)

        def worker() -> None:
            for _ in range(windows):
                barrier.wait()  # the window is open
                for _ in range(per_thread):
                    try:
                        verifier.verify(token)
                        wrong.append("accepted")
                    except UnknownKeyError as exc:
                        if exc.reason != "no_published_keys":
                            wrong.append(exc.reason)
                    except Exception as exc:  # pragma: no cover - reported below
                        wrong.append(exc)
                barrier.wait()  # the window's calls are done

        threads = [threading.Thread(target=worker) for _ in range(threads_n)]
        for t in threads:
            t.start()
        per_window: list[int] = []
        for _ in range(windows):
            before = other.requests
            barrier.wait()
            barrier.wait()
            per_window.append(other.requests - before)
            mono.advance(cooldown)
        for t in threads:
            t.join()
        assert wrong == []
        assert per_window == [1] * windows


def test_a_server_error_on_the_other_host_stays_a_503(two_hosts_pool: FakeCognitoPool) -> None:
    pool = two_hosts_pool
    answer = reply(500, {"Content-Type": "text/plain"}, b"boom")
    with pool_on_two_hosts(pool, current_jwks(pool), answer) as (verifier, _, other):
        token = pool.id_token(now=NOW, iss=other_form(pool))
        for _ in range(3):
            with pytest.raises(JwksUnavailableError) as info:
                verifier.verify(token)
            assert info.value.reason == "jwks_http_status"
            assert info.value.http_status == 500
        assert other.requests == 1


def test_hydrate_succeeds_when_only_the_classic_host_serves_keys(
    two_hosts_pool: FakeCognitoPool,
) -> None:
    pool = two_hosts_pool
    answer = reply(403, {"Content-Type": "application/json"}, b"{}")
    with pool_on_two_hosts(pool, current_jwks(pool), answer) as (verifier, classic, other):
        verifier.hydrate()
        assert (classic.requests, other.requests) == (1, 0)
        assert verifier.verify(pool.id_token(now=NOW))


@pytest.mark.parametrize("status", [403, 404])
def test_hydrate_succeeds_when_only_the_other_host_serves_keys(
    two_hosts_pool: FakeCognitoPool, status: int
) -> None:
    pool = two_hosts_pool
    answer = reply(status, {"Content-Type": "application/json"}, b"{}")
    with pool_on_two_hosts(pool, answer, current_jwks(pool)) as (verifier, classic, other):
        verifier.hydrate()
        assert (classic.requests, other.requests) == (1, 1)
        assert verifier.verify(pool.id_token(now=NOW, iss=other_form(pool)))
        with pytest.raises(UnknownKeyError) as info:
            verifier.verify(pool.id_token(now=NOW))
        assert info.value.reason == "no_published_keys"
        assert (classic.requests, other.requests) == (1, 1)  # backing off: no new fetch


def test_hydrate_fails_when_neither_host_serves_keys(two_hosts_pool: FakeCognitoPool) -> None:
    pool = two_hosts_pool
    answer = reply(404, {"Content-Type": "application/json"}, b"{}")
    with pool_on_two_hosts(pool, answer, answer) as (verifier, classic, other):
        with pytest.raises(JwksUnavailableError) as info:
            verifier.hydrate()
        assert info.value.reason == "jwks_http_status"
        assert info.value.http_status == 404
        assert (classic.requests, other.requests) == (1, 1)


def test_hydrate_raises_an_outage_of_the_classic_host_at_once(
    two_hosts_pool: FakeCognitoPool,
) -> None:
    """Only "no keys here" (403/404) moves on; an outage is reported, not hidden."""
    pool = two_hosts_pool
    down = reply(503, {"Content-Type": "text/plain"}, b"down")
    with pool_on_two_hosts(pool, down, current_jwks(pool)) as (verifier, classic, other):
        with pytest.raises(JwksUnavailableError) as info:
            verifier.hydrate()
        assert info.value.http_status == 503
        assert (classic.requests, other.requests) == (1, 0)
