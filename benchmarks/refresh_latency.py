"""Verify latency across a key refresh, against steady state (a row group of `nox -s bench`).

A loopback JWKS endpoint answers in 200 ms.  Each round runs three batches,
in rotating order: *steady* (keys fresh, no refresh due), *across a refresh,
background* (the refresh window has just opened: the first call starts the
refresh on a daemon thread, calls continue until the new set is installed),
and *across a refresh, inline* (what `background_refresh=False`, the AWS Lambda
mode, does: the first call in the window fetches).  Every batch times each call
of the full path (token cache off, so each call checks an RS256 signature) and
runs for the 200 ms the fetch takes.  Reported per batch: the median call, the
99th percentile and the slowest call (medians over rounds), and the median and
p99 against steady state (median over rounds of the per-round ratio).  The
mean is left out on purpose: one preemption of the process by the OS (tens of
milliseconds on a busy machine) moves a 200 ms batch's mean by more than any
refresh does.  Nothing asserts a time.
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any

from cognito_jwt import JwksCache
from cognito_jwt.testing import FakeCognitoPool, JwksServer, ManualClock

#: What the endpoint takes to answer, in seconds.
ENDPOINT_DELAY = 0.2
#: Seconds of key life; the refresh window is its last `WINDOW` seconds.
MAX_AGE = 3600.0
WINDOW = 300.0
BATCHES = ("steady", "across a refresh, background", "across a refresh, inline")


def _batch(verifier: Any, token: str, seconds: float, until: threading.Event | None) -> list[float]:
    """Per-call seconds of `verify(token)` for `seconds`, and until `until` is set, if given."""
    timings: list[float] = []
    clock = time.perf_counter
    end = clock() + seconds
    while clock() < end or (until is not None and not until.is_set()):
        started = clock()
        verifier.verify(token)
        timings.append(clock() - started)
    return timings


def _round(pool: FakeCognitoPool, url: str, token: str, kind: str) -> list[float]:
    refreshed = threading.Event()

    def on_report(report: Any) -> None:
        if report.kind in ("refresh", "fetch_failed"):
            refreshed.set()

    clock = ManualClock()
    cache = JwksCache(
        clock=clock,
        max_age=MAX_AGE,
        refresh_ahead=WINDOW,
        background_refresh=kind != "across a refresh, inline",
        on_report=on_report,
    )
    verifier = pool.verifier(
        token_use="id",  # noqa: S106 - a token type, not a password
        jwks_uri=url,
        allow_http=True,
        jwks_cache=cache,
        cache_size=0,
    )
    verifier.verify(token)  # the first fetch, not timed
    _batch(verifier, token, 0.02, None)  # warm
    if kind == "steady":
        return _batch(verifier, token, ENDPOINT_DELAY, None)
    clock.advance(MAX_AGE - WINDOW)  # the refresh window opens
    return _batch(verifier, token, ENDPOINT_DELAY, refreshed)


def _p99(timings: list[float]) -> float:
    return sorted(timings)[int(len(timings) * 0.99)]


def measure(rounds: int) -> dict[str, tuple[float, float, float, float, float]]:
    """{batch: (median µs, p99 µs, slowest µs, median vs steady, p99 vs steady)}.

    Each figure is the median over `rounds` of that round's figure; a ratio is
    the median over rounds of (batch / steady batch of the same round).
    """
    pool = FakeCognitoPool("us-east-1_BenchRefr1", "benchclient0123456789abcd")
    token = pool.id_token()

    def slow() -> bytes:
        time.sleep(ENDPOINT_DELAY)
        return pool.jwks_json.encode()

    server = JwksServer(slow, path="/pool")
    figures: dict[str, list[tuple[float, float, float]]] = {kind: [] for kind in BATCHES}
    try:
        for index in range(rounds):
            order = BATCHES[index % 3 :] + BATCHES[: index % 3]
            for kind in order:
                timings = [t * 1e6 for t in _round(pool, server.url, token, kind)]
                figures[kind].append((statistics.median(timings), _p99(timings), max(timings)))
    finally:
        server.close()
    steady = figures["steady"]
    return {
        kind: (
            statistics.median(f[0] for f in figures[kind]),
            statistics.median(f[1] for f in figures[kind]),
            statistics.median(f[2] for f in figures[kind]),
            statistics.median(f[0] / s[0] for f, s in zip(figures[kind], steady, strict=True)),
            statistics.median(f[1] / s[1] for f, s in zip(figures[kind], steady, strict=True)),
        )
        for kind in BATCHES
    }
