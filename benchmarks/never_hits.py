"""A cache that never hits, measured in-process: cache on against `cache_size=0`.

The service runs of `bench_service.py` put the question "what does a
verified-token cache cost when no token ever comes back?" next to the
noise of a server, a load generator and a shared machine, where a few
per cent are within one run's spread.  Here the same apps
(`service_apps.py`, the documented integration) are driven in one process,
with no server and no network: the FastAPI app called as an ASGI callable
in one event loop, the Flask app as a WSGI callable.  Two apps per
framework, one with the default cache and one with `cache_size=0`, take
turns request by request (which goes first alternates), and each request
carries a token never sent before, to either app, so no lookup can hit.
Each request's CPU time (`time.process_time` around the app call alone) is
taken; a round's figure per app is the median of its requests (a preempted
or collected request does not move it), and the cost is the median over
rounds of (cache on / cache off) from the same round.

Before timing, each app serves more than `2 * cache_size` new tokens: the
steady state of a service that has been up for more than a few seconds,
where a cache that never hits has turned cold (docs/performance.md).

Run by `bench_service.py` (section `never`); not a test.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import service_apps

from cognito_jwt.testing import FakeCognitoPool

#: Requests each app serves before timing: past the point where a cache that
#: never hits turns cold (twice the default cache size), with room to spare.
WARM = 2 * 1024 + 400
CONTENDERS = ("cognito_jwt", "cognito_jwt_nocache")

#: Serves a batch of tokens, one request each; returns the statuses seen and
#: each request's CPU seconds (the app call alone).
Driver = Callable[[list[str]], tuple[set[int], list[float]]]


def _build(framework: str, contender: str) -> Any:
    os.environ["BENCH_CONTENDER"] = contender
    os.environ["BENCH_WARM"] = "1"
    return service_apps.build_fastapi() if framework == "fastapi" else service_apps.build_flask()


def fastapi_driver(app: Any) -> Driver:
    """GET /items through the ASGI app, in one event loop, one request at a time."""
    loop = asyncio.new_event_loop()
    base: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/items",
        "raw_path": b"/items",
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def batch(tokens: list[str]) -> tuple[set[int], list[float]]:
        statuses: set[int] = set()
        seconds: list[float] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.add(message["status"])

        for token in tokens:
            scope = dict(base)
            scope["headers"] = [
                (b"host", b"127.0.0.1:8000"),
                (b"authorization", b"Bearer " + token.encode()),
            ]
            started = time.process_time()
            await app(scope, receive, send)
            seconds.append(time.process_time() - started)
        return statuses, seconds

    return lambda tokens: loop.run_until_complete(batch(tokens))


def flask_driver(app: Any) -> Driver:
    """GET /items through the WSGI app, one request at a time."""
    base = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/items",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }

    def batch(tokens: list[str]) -> tuple[set[int], list[float]]:
        statuses: set[int] = set()
        seconds: list[float] = []

        def start_response(status: str, *_: Any) -> None:
            statuses.add(int(status.split(" ", 1)[0]))

        for token in tokens:
            environ = dict(base)
            environ["HTTP_AUTHORIZATION"] = "Bearer " + token
            started = time.process_time()
            body = app(environ, start_response)
            try:
                b"".join(body)
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
            seconds.append(time.process_time() - started)
        return statuses, seconds

    return batch


def _fresh(pool: FakeCognitoPool) -> Iterator[str]:
    """Tokens never minted before (each with its own `jti`)."""
    serial = 0
    while True:
        serial += 1
        yield pool.id_token(jti=f"never-{serial}")


def measure(
    framework: str, pool: FakeCognitoPool, rounds: int, per_round: int
) -> dict[str, list[float]]:
    """Each contender's median CPU µs per request, one value per round."""
    drive = fastapi_driver if framework == "fastapi" else flask_driver
    drivers = {c: drive(_build(framework, c)) for c in CONTENDERS}
    fresh = _fresh(pool)
    for contender, driver in drivers.items():
        statuses, _ = driver([next(fresh) for _ in range(WARM)])
        if statuses != {200}:
            raise RuntimeError(f"{framework}/{contender} answered {statuses} to valid tokens")
    results: dict[str, list[float]] = {c: [] for c in CONTENDERS}
    for _ in range(rounds):
        tokens = [next(fresh) for _ in range(2 * per_round)]
        seconds: dict[str, list[float]] = {c: [] for c in CONTENDERS}
        gc.collect()
        for i in range(per_round):
            order = CONTENDERS if i % 2 == 0 else CONTENDERS[::-1]
            for j, contender in enumerate(order):
                statuses, taken = drivers[contender]([tokens[2 * i + j]])
                if statuses != {200}:
                    raise RuntimeError(f"{framework}/{contender} answered {statuses}")
                seconds[contender] += taken
        for contender, values in seconds.items():
            results[contender].append(statistics.median(values) * 1e6)
    return results


def report(framework: str, results: dict[str, list[float]]) -> tuple[list[str], float]:
    """Markdown rows, and the median paired cost of the cache (on / off - 1)."""
    on, off = results["cognito_jwt"], results["cognito_jwt_nocache"]
    ratios = sorted(a / b for a, b in zip(on, off, strict=True))
    quartiles = statistics.quantiles(ratios, n=4)
    cost = statistics.median(ratios) - 1
    rows = [
        f"| {framework} | {statistics.median(off):.1f} | {statistics.median(on):.1f} "
        f"| {cost * 100:+.1f} % | {(quartiles[0] - 1) * 100:+.1f} % to "
        f"{(quartiles[2] - 1) * 100:+.1f} % |"
    ]
    return rows, cost
