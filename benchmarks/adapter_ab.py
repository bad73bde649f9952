"""The FastAPI adapter against an earlier version of itself: CPU per request, resent token.

Does answering through `cognito_jwt.http` cost the FastAPI integration
anything on its hot path, a token the verifier's cache already holds?  A
service run (`bench_service.py`) puts that question next to a server, a load
generator and a shared machine, where a few per cent drown.  Here, as in
`never_hits.py`, two apps are driven in one process with no server and no
network, as ASGI callables in one event loop: one built on this checkout's
`cognito_jwt`, one on the package as it was at a git ref (`--baseline`,
default `main`), copied out of git under the name `cognito_jwt_baseline`.
They take turns request by request (which goes first alternates), each
sending the same valid token again and again (every request after the first
is a cache hit); each request's CPU time (`time.process_time` around the app
call alone) is taken; a round's figure per app is the median of its
requests, and the cost is the median over rounds of (this / baseline) from
the same round, with its interquartile range.

Usage: ``python benchmarks/adapter_ab.py [--baseline REF] [--rounds N] [--per-round N]``.
Not a test: performance claims live in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import io
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "cognito_jwt_baseline"


def load_baseline(ref: str, into: Path) -> Any:
    """The package as it was at `ref`, importable as `cognito_jwt_baseline`."""
    archive = subprocess.run(  # noqa: S603 - git, with the ref the developer gave
        ["git", "-C", str(ROOT), "archive", ref, "cognito_jwt"],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "cognito_jwt").rename(into / BASELINE)
    for path in (into / BASELINE).rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"\bcognito_jwt\b", BASELINE, text), encoding="utf-8")
    sys.path.insert(0, str(into))
    return importlib.import_module(BASELINE)


def build_app(package: str, pool: Any) -> Any:
    """A FastAPI app with `GET /items` behind `Depends(CognitoAuth(verifier))` of `package`."""
    from fastapi import Depends, FastAPI

    root = importlib.import_module(package)
    fastapi_integration = importlib.import_module(f"{package}.integrations.fastapi")
    verifier = root.CognitoJwtVerifier(
        user_pool_id=pool.user_pool_id,
        client_id=pool.client_id,
        token_use="id",  # noqa: S106 - not a password
        jwks=pool.jwks,
    )
    auth = fastapi_integration.CognitoAuth(verifier)
    app = FastAPI()

    @app.get("/items")
    async def items(claims: dict = Depends(auth)) -> dict:  # type: ignore[type-arg]  # noqa: B008
        return {"sub": claims["sub"]}

    return app


def driver(app: Any, token: str) -> Any:
    """One GET /items with `token`, through the ASGI app; returns (status, CPU seconds)."""
    scope: dict[str, Any] = {
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
    headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", b"Bearer " + token.encode())]
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    async def one() -> tuple[int, float]:
        status.clear()
        request = dict(scope, headers=list(headers))
        started = time.process_time()
        await app(request, receive, send)
        return status[0], time.process_time() - started

    return one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git ref of the baseline (main)")
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--per-round", type=int, default=2000)
    args = parser.parse_args()

    from cognito_jwt.testing import FakeCognitoPool

    with tempfile.TemporaryDirectory() as scratch:
        load_baseline(args.baseline, Path(scratch))
        pool = FakeCognitoPool()
        token = pool.id_token()
        loop = asyncio.new_event_loop()
        calls = {
            "this": driver(build_app("cognito_jwt", pool), token),
            "baseline": driver(build_app(BASELINE, pool), token),
        }
        names = ("this", "baseline")
        for name, call in calls.items():
            for _ in range(500):  # warm: imports, the verifier's caches
                status, _ = loop.run_until_complete(call())
                if status != 200:
                    raise RuntimeError(f"{name} answered {status} to a valid token")
        medians: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(args.rounds):
            seconds: dict[str, list[float]] = {name: [] for name in names}
            gc.collect()
            for i in range(args.per_round):
                for name in names if i % 2 == 0 else names[::-1]:
                    status, taken = loop.run_until_complete(calls[name]())
                    if status != 200:
                        raise RuntimeError(f"{name} answered {status}")
                    seconds[name].append(taken)
            for name in names:
                medians[name].append(statistics.median(seconds[name]) * 1e6)
    ratios = sorted(a / b for a, b in zip(medians["this"], medians["baseline"], strict=True))
    quartiles = statistics.quantiles(ratios, n=4)
    print(f"FastAPI, resent token, {args.rounds} rounds x {args.per_round} requests per app")
    print(f"| baseline ({args.baseline}) µs | this µs | this / baseline | interquartile range |")
    print("|---|---|---|---|")
    baseline, this = statistics.median(medians["baseline"]), statistics.median(medians["this"])
    print(
        f"| {baseline:.1f} | {this:.1f} "
        f"| {(statistics.median(ratios) - 1) * 100:+.1f} % "
        f"| {(quartiles[0] - 1) * 100:+.1f} % to {(quartiles[2] - 1) * 100:+.1f} % |"
    )


if __name__ == "__main__":
    main()
