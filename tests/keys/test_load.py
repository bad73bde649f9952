"""Load and concurrency: single flight under a stampede, floods that cost bounded
fetches and bounded memory, and a soak with zero wrong answers.

The JWKS comes from a real server on 127.0.0.1 that counts requests.  Sizes are
the issue's (64 threads, 1,000 coroutines, 10,000 unknown kids); the soak runs
``COGNITO_JWT_SOAK_SECONDS`` (default 3 s here; ``nox -s soak`` runs longer), and
at least ``SOAK_MIN_CALLS`` per worker.  No test asserts a duration: overlap
is made by holding the fetch until the callers are in (``held_until``), and
fetch counts are per cooldown window of a `ManualClock`.
Figures are appended to the file named by ``COGNITO_JWT_REPORT``, if set.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fixed_time import NOW, clock
from hostile_servers import HORIZON, JSON, HostileServer, current_jwks, held, reply, wait_until

from cognito_jwt import (
    CognitoJwtError,
    CognitoJwtVerifier,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSignatureError,
    JwksCache,
    JwksUnavailableError,
    MalformedTokenError,
    MultiIssuerVerifier,
    RequestsFetcher,
    TokenExpiredError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
)
from cognito_jwt.testing import FakeCognitoPool, ManualClock, b64url

SOAK_SECONDS = float(os.environ.get("COGNITO_JWT_SOAK_SECONDS", "3"))
#: Verifications each soak worker makes at least, however slow the machine.
SOAK_MIN_CALLS = 200
FIGURES: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    path = os.environ.get("COGNITO_JWT_REPORT")
    if path and FIGURES:
        with open(path, "a", encoding="utf-8") as out:
            out.write("Load figures:\n")
            for name, value in FIGURES.items():
                out.write(f"  {name:<50} {value}\n")


@pytest.fixture(scope="module")
def pool() -> FakeCognitoPool:
    return FakeCognitoPool("us-east-1_LoadTest001", "loadclient0123456789abcdef")


class Entrances(JwksCache):
    """A `JwksCache` that counts the callers past the hot path, inside `get_key`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entered = 0
        self._count = threading.Lock()

    def get_key(self, uri: str, kid: str) -> Any:
        with self._count:
            self.entered += 1
        return super().get_key(uri, kid)


@contextmanager
def held_until(
    server: HostileServer, behaviour: Any, ready: Callable[[], bool]
) -> Iterator[threading.Event]:
    """``server`` holds every request until ``ready()`` (callers all inside the cache).

    A thread releases the hold once ``ready()`` holds and the first request
    has arrived; so the callers overlap by construction, not by a delay.
    Yields the event set when a request arrives.
    """
    arrived, release = threading.Event(), threading.Event()
    server.behaviour = held(behaviour, arrived, release)

    def releaser() -> None:
        if arrived.wait(HORIZON) and wait_until(ready, HORIZON):
            release.set()

    thread = threading.Thread(target=releaser, daemon=True)
    thread.start()
    try:
        yield arrived
    finally:
        release.set()
        thread.join()


def fetcher() -> RequestsFetcher:
    """Timeouts no fetch here reaches: these tests count fetches, not their speed,
    and a loaded machine must not turn an answer into a timeout."""
    return RequestsFetcher(connect_timeout=HORIZON, read_timeout=HORIZON, total_timeout=HORIZON)


def verifier_for(pool: FakeCognitoPool, uri: str, cache: JwksCache) -> CognitoJwtVerifier:
    return pool.verifier(
        token_use=None, jwks_uri=uri, allow_http=True, jwks_cache=cache, clock=clock
    )


def with_kid(token: str, kid: str, iss: str | None = None) -> str:
    """``token`` under another header ``kid`` (and payload ``iss``): cheap, unsigned."""
    h, p, s = token.split(".")
    header = json.loads(_unb64(h))
    header["kid"] = kid
    if iss is not None:
        claims = json.loads(_unb64(p))
        claims["iss"] = iss
        p = b64url(json.dumps(claims).encode())
    return f"{b64url(json.dumps(header).encode())}.{p}.{s}"


def _unb64(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# -- stampedes on a cold cache ----------------------------------------------------------------


def test_64_threads_on_a_cold_cache_make_exactly_one_fetch(
    pool: FakeCognitoPool, jwks_server: HostileServer
) -> None:
    """The server holds the fetch until all 64 callers are inside the cache: one fetch."""
    cache = Entrances(fetcher())
    verifier = verifier_for(pool, jwks_server.url, cache)
    token = pool.id_token(now=NOW)
    results: list[object] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            outcome: object = verifier.verify(token)["sub"]
        except Exception as exc:  # reported by the assertion below
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(64)]
    started = time.monotonic()
    with held_until(jwks_server, current_jwks(pool), lambda: cache.entered == 64):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    FIGURES["64 threads, cold cache"] = (
        f"{jwks_server.requests} fetch, {time.monotonic() - started:.2f} s wall"
    )
    assert cache.entered == 64  # all 64 asked the cache while the fetch was held
    assert len(results) == 64
    assert all(isinstance(r, str) for r in results), [r for r in results if not isinstance(r, str)]
    assert jwks_server.requests == 1


def test_1000_coroutines_on_a_cold_cache_make_exactly_one_fetch(
    pool: FakeCognitoPool, jwks_server: HostileServer
) -> None:
    """1,000 coroutines; the fetch is held until 16 of them (the worker threads'
    number) are inside the cache at once; the rest queue behind: one fetch."""
    workers = 16
    cache = Entrances(fetcher())
    verifier = verifier_for(pool, jwks_server.url, cache)
    tokens = [pool.id_token(now=NOW), pool.access_token(now=NOW)]

    async def main() -> list[dict[str, Any]]:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(workers))
        return await asyncio.gather(*(verifier.verify_async(tokens[i % 2]) for i in range(1000)))

    started = time.monotonic()
    with held_until(jwks_server, current_jwks(pool), lambda: cache.entered >= workers):
        results = asyncio.run(main())
    FIGURES["1,000 coroutines, cold cache"] = (
        f"{jwks_server.requests} fetch, {time.monotonic() - started:.2f} s wall"
    )
    assert cache.entered >= workers
    assert len(results) == 1000
    assert {r["token_use"] for r in results} == {"id", "access"}
    assert jwks_server.requests == 1


def test_cold_stampede_on_a_failing_endpoint_makes_one_attempt(
    pool: FakeCognitoPool, jwks_server: HostileServer
) -> None:
    """The single flight holds for failures too: one request, everyone gets the 503."""
    cache = Entrances(fetcher())
    verifier = verifier_for(pool, jwks_server.url, cache)
    token = pool.id_token(now=NOW)
    reasons: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            verifier.verify(token)
        except JwksUnavailableError as exc:
            with lock:
                reasons.append(exc.reason)

    threads = [threading.Thread(target=worker) for _ in range(32)]
    with held_until(jwks_server, reply(503, JSON, b"{}"), lambda: cache.entered == 32):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert cache.entered == 32
    assert reasons == ["jwks_http_status"] * 32
    assert jwks_server.requests == 1


# -- floods -------------------------------------------------------------------------------------


def test_unknown_kid_flood_costs_one_fetch_per_cooldown_exactly(
    pool: FakeCognitoPool,
) -> None:
    """10,000 tokens with invented kids spread over 10 (simulated) seconds, cooldown 1 s."""
    mono = ManualClock()
    with HostileServer(current_jwks(pool)) as srv:
        verifier = verifier_for(pool, srv.url, JwksCache(fetcher(), clock=mono, cooldown=1.0))
        verifier.hydrate()
        base = pool.id_token(now=NOW)
        started = time.monotonic()
        for i in range(10_000):
            mono.now += 0.001
            with pytest.raises(UnknownKeyError):
                verifier.verify(with_kid(base, f"flood-{i}"))
        elapsed = time.monotonic() - started
        refetches = srv.requests - 1
        FIGURES["unknown-kid flood, simulated 10 s"] = (
            f"10,000 tokens, {refetches} refetches (cooldown 1 s), {elapsed:.2f} s wall"
        )
        assert refetches <= 10
        assert refetches >= 9  # and it did keep looking for a rotated key
        assert verifier.verify(base)  # genuine tokens unaffected


def test_unknown_kid_flood_across_threads_costs_one_fetch_per_cooldown(
    pool: FakeCognitoPool,
) -> None:
    """8 threads, 10,000 tokens with invented kids over 10 cooldown windows: 10 refetches.

    Real threads on a real server; the cache's clock is a `ManualClock` moved one
    cooldown between windows, so the fetch count is exact whatever the speed.
    """
    cooldown, windows, threads_n, per_window = 0.25, 10, 8, 10_000 // 10
    mono = ManualClock()
    with HostileServer(current_jwks(pool)) as srv:
        verifier = verifier_for(pool, srv.url, JwksCache(fetcher(), cooldown=cooldown, clock=mono))
        verifier.hydrate()
        base = pool.id_token(now=NOW)
        tokens = [with_kid(base, f"threaded-{i}") for i in range(10_000)]
        counts = [0] * threads_n
        wrong: list[object] = []
        barrier = threading.Barrier(threads_n + 1)

        def worker(n: int) -> None:
            for w in range(windows):
                barrier.wait()  # the window is open
                for i in range(w * per_window + n, (w + 1) * per_window, threads_n):
                    try:
                        verifier.verify(tokens[i])
                        wrong.append("accepted")
                    except UnknownKeyError:
                        pass
                    except Exception as exc:
                        wrong.append(exc)
                    counts[n] += 1
                barrier.wait()  # the window's tokens are done

        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
        for t in threads:
            t.start()
        refetches: list[int] = []
        for _ in range(windows):
            before = srv.requests
            barrier.wait()
            barrier.wait()
            refetches.append(srv.requests - before)
            mono.advance(cooldown)
        for t in threads:
            t.join()
        FIGURES["unknown-kid flood, 8 threads, 10 windows"] = (
            f"{sum(counts):,} tokens in {time.monotonic() - started:.2f} s, "
            f"{sum(refetches)} refetches (one per cooldown window)"
        )
        assert wrong == []
        assert sum(counts) == 10_000
        assert refetches == [1] * windows
        assert verifier.verify(base)  # genuine tokens unaffected


def _traced() -> bool:
    """A tracer (coverage, a debugger) is active: its allocations count as growth."""
    monitoring = getattr(sys, "monitoring", None)  # coverage's sys.monitoring core, 3.12+
    return sys.gettrace() is not None or (
        monitoring is not None and monitoring.get_tool(monitoring.COVERAGE_ID) is not None
    )


@pytest.mark.slow
@pytest.mark.skipif(_traced(), reason="a tracer allocates per line, counted as growth")
def test_random_iss_and_kid_flood_keeps_memory_bounded(pool: FakeCognitoPool) -> None:
    """Tokens with random iss and kid values: what stays allocated after 12,000
    tokens (each to two verifiers) is what stayed after the first 2,000."""
    other = FakeCognitoPool("us-east-1_LoadTest002", "loadclient0123456789abcdef")
    rng = random.Random(5)
    with HostileServer(current_jwks(pool)) as srv:
        cache = JwksCache(fetcher(), cooldown=0.2)
        verifier = verifier_for(pool, srv.url, cache)
        multi = MultiIssuerVerifier([verifier, other.verifier(token_use=None, clock=clock)])
        base = pool.id_token(now=NOW)
        issuers = [pool.issuer, other.issuer]

        def random_token() -> str:
            kid = "".join(rng.choices("abcdefghijklmnop0123456789+/=", k=rng.randint(1, 200)))
            iss = rng.choice(issuers) if rng.random() < 0.5 else f"https://evil{rng.random()}"
            return with_kid(base, kid, iss)

        def flood(n: int) -> None:
            for _ in range(n):
                token = random_token()
                for v in (verifier, multi):
                    try:
                        v.verify(token)
                    except (UnknownKeyError, InvalidIssuerError):
                        continue
                    raise AssertionError(f"accepted {token!r:.100}")

        tokens_before = [random_token() for _ in range(10)]  # warm the generators
        del tokens_before
        tracemalloc.start()
        try:
            flood(2_000)
            gc.collect()
            baseline, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            flood(10_000)
            gc.collect()
            after, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        growth = after - baseline
        FIGURES["random iss/kid flood, 12,000 tokens x 2 verifiers"] = (
            f"retained growth {growth / 1024:.1f} KiB after the first 2,000, "
            f"peak {peak / 1024:.1f} KiB above start, {srv.requests} fetches"
        )
        assert growth < 256 * 1024, growth


def test_distinct_valid_tokens_keep_the_token_cache_bounded(pool: FakeCognitoPool) -> None:
    """Every token verified once: the verified-token cache must not grow without bound."""
    verifier = pool.verifier(token_use="id", clock=clock, cache_size=64)
    header = json.dumps({"kid": pool.id_kid, "alg": "RS256"}).encode()
    base = json.loads(_unb64(pool.id_token(now=NOW).split(".")[1]))

    def tokens(start: int, n: int) -> list[str]:
        return [
            pool.sign_raw(header, json.dumps({**base, "jti": f"t-{i}"}).encode())
            for i in range(start, start + n)
        ]

    first, second = tokens(0, 200), tokens(200, 600)
    tracemalloc.start()
    try:
        for token in first:
            assert verifier.verify(token)
            assert verifier.verify(token)  # a hit builds the claims template
        gc.collect()
        baseline, _ = tracemalloc.get_traced_memory()
        for token in second:
            assert verifier.verify(token)
            assert verifier.verify(token)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    growth = after - baseline
    FIGURES["800 distinct valid tokens, cache_size=64"] = (
        f"retained growth {growth / 1024:.1f} KiB after the first 200"
    )
    assert growth < 128 * 1024, growth


# -- soak ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """What one token must get: claims with this ``jti``, or one of these errors."""

    jti: str | None = None
    errors: frozenset[tuple[type[CognitoJwtError], str]] = field(default_factory=frozenset)

    def judge(self, outcome: dict[str, Any] | BaseException) -> str | None:
        """``None`` if right, else what went wrong."""
        if isinstance(outcome, dict):
            if self.jti is not None and outcome.get("jti") == self.jti:
                return None
            return f"accepted (expected {sorted(e[1] for e in self.errors)})"
        if not isinstance(outcome, CognitoJwtError):
            return f"unexpected {type(outcome).__name__}: {outcome}"
        if (type(outcome), outcome.reason) in self.errors:
            return None
        return f"{type(outcome).__name__}/{outcome.reason}, expected {self.jti or self.errors}"


def _mix(pool: FakeCognitoPool) -> list[tuple[str, Expect]]:
    other = FakeCognitoPool("us-east-1_LoadTest003", "loadclient0123456789abcdef")
    mix: list[tuple[str, Expect]] = []
    for i in range(8):
        token = pool.id_token(now=NOW, groups=[f"g{i}"]) if i % 2 else pool.access_token(now=NOW)
        mix.append((token, Expect(jti=json.loads(_unb64(token.split(".")[1]))["jti"])))

    def bad(token: str, *errors: tuple[type[CognitoJwtError], str]) -> None:
        mix.append((token, Expect(errors=frozenset(errors))))

    good = pool.id_token(now=NOW)
    h, p, s = good.split(".")
    bad(pool.id_token(now=NOW - 7200), (TokenExpiredError, "token_expired"))
    bad(pool.id_token(now=NOW, aud="someone-else"), (InvalidAudienceError, "invalid_audience"))
    bad(f"{h}.{p}.{s[:-4]}AAAA", (InvalidSignatureError, "invalid_signature"))
    bad(
        f"{h}.{pool.access_token(now=NOW).split('.')[1]}.{s}",
        (InvalidSignatureError, "invalid_signature"),
    )
    alg_none = b64url(json.dumps({"kid": pool.id_kid, "alg": "none"}).encode())
    bad(f"{alg_none}.{p}.{s}", (UnsupportedAlgorithmError, "unsupported_algorithm"))
    bad(f"{alg_none}.{p}.", (MalformedTokenError, "malformed_token"))
    bad(other.id_token(now=NOW), (InvalidIssuerError, "invalid_issuer"))
    # Unknown kid: a refetch may be attempted, and the flapping endpoint may fail it.
    bad(
        with_kid(good, "rotated-maybe"),
        (UnknownKeyError, "unknown_kid"),
        (JwksUnavailableError, "jwks_http_status"),
    )
    bad(
        good[:-1],
        (MalformedTokenError, "invalid_base64url"),
        (InvalidSignatureError, "invalid_signature"),
    )
    bad(good + "=", (MalformedTokenError, "invalid_base64url"))
    bad("Bearer " + good, (MalformedTokenError, "bearer_prefix"))
    bad("x" * 20_000, (MalformedTokenError, "token_too_large"))
    return mix


def test_soak_mixed_tokens_across_threads_zero_wrong_answers(pool: FakeCognitoPool) -> None:
    """Sync and async callers, keys refreshed constantly from an endpoint that fails
    every fifth request: every answer must be the right one."""
    mix = _mix(pool)
    calls = [0]
    ok = current_jwks(pool)
    fail = reply(500, JSON, b"{}")

    def flaky(handler: Any) -> None:
        calls[0] += 1
        (fail if calls[0] % 5 == 0 else ok)(handler)

    with HostileServer(flaky) as srv:
        cache = JwksCache(fetcher(), max_age=0.2, cooldown=0.1, max_backoff=0.4)
        verifier = verifier_for(pool, srv.url, cache)
        verifier.hydrate()
        deadline = time.monotonic() + SOAK_SECONDS
        lock = threading.Lock()
        totals = {"verified": 0, "wrong": 0}
        problems: list[str] = []

        def record(n: int, wrong: list[str]) -> None:
            with lock:
                totals["verified"] += n
                totals["wrong"] += len(wrong)
                problems.extend(wrong[:5])

        def sync_worker(seed: int) -> None:
            rng = random.Random(seed)
            n, wrong = 0, []
            while time.monotonic() < deadline or n < SOAK_MIN_CALLS:
                token, expect = rng.choice(mix)
                outcome: dict[str, Any] | BaseException
                try:
                    outcome = verifier.verify(token)
                except BaseException as exc:  # judged below
                    outcome = exc
                verdict = expect.judge(outcome)
                if verdict is not None:
                    wrong.append(verdict)
                n += 1
            record(n, wrong)

        def async_worker(seed: int) -> None:
            rng = random.Random(seed)

            async def one(token: str, expect: Expect) -> str | None:
                outcome: dict[str, Any] | BaseException
                try:
                    outcome = await verifier.verify_async(token)
                except BaseException as exc:  # judged below
                    outcome = exc
                return expect.judge(outcome)

            async def main() -> None:
                n, wrong = 0, list[str]()
                while time.monotonic() < deadline or n < SOAK_MIN_CALLS:
                    batch = [rng.choice(mix) for _ in range(50)]
                    verdicts = await asyncio.gather(*(one(t, e) for t, e in batch))
                    wrong.extend(v for v in verdicts if v is not None)
                    n += len(batch)
                record(n, wrong)

            asyncio.run(main())

        workers: list[Callable[[int], None]] = [*[sync_worker] * 6, *[async_worker] * 2]
        threads = [threading.Thread(target=w, args=(i,)) for i, w in enumerate(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        FIGURES[f"soak {SOAK_SECONDS:g} s, 6 sync + 2 async threads"] = (
            f"{totals['verified']:,} verifications, {totals['wrong']} wrong, "
            f"{srv.requests} JWKS requests ({srv.requests // 5} failed by design)"
        )
        assert problems == [], problems[:10]
        assert totals["wrong"] == 0
        # Every worker ran to its end (a worker that died records nothing).
        assert totals["verified"] >= len(workers) * SOAK_MIN_CALLS
