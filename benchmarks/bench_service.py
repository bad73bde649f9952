"""Service benchmark: what bearer-token auth costs a real web service, side by side.

Run with ``nox -s bench_service`` (installs the package, the servers and the
peers) or ``python benchmarks/bench_service.py [--quick] [--seconds S]
[--repeats N] [--only fastapi,flask,drf,never,first,cold]``.  Not a test: nothing
asserts a time; the closing lines say which targets this run met.

Method (details in docs/performance.md):

* Every contender serves ``GET /items`` (three small JSON objects) from its own
  server process pinned with ``taskset`` to CPU 0; the load generator runs
  pinned to CPU 1.  FastAPI runs under uvicorn (uvloop, httptools, one
  process), Flask and DRF under gunicorn (one sync worker).  The fake user
  pool's JWKS is served on 127.0.0.1.
* The load generator is ``wrk`` when it is installed (Debian package ``wrk``),
  else a Python asyncio client (keep-alive, same connection count); the
  output says which.
* Two workloads: one token resent on every request, and a new token every
  request (5,000 distinct valid tokens cycled, so the verified-token cache
  never hits).
* Before timing, every contender must answer 200 to a valid token and reject a
  forged (re-signed payload), an expired and a wrong-client token; the status
  it used is printed (cognito_jwt's must be 401).
* Per workload all contenders' servers run at once (idle but one); each is
  warmed up (the new-token one past the point where a never-hitting token
  cache turns cold), then each repeat runs every contender once, in rotating
  order; the table shows
  medians over repeats of req/s, server CPU µs per request (user + system
  time of the server process over the run, divided by the requests it
  answered) and p50/p99 latency, as ratios against the floors measured in the
  same repeat: no auth at all, and the bearer-only floor (FastAPI's
  ``HTTPBearer()``; for Flask and DRF a decorator / authentication class that
  finds the bearer token and verifies nothing).
* A cache that never hits, in-process (section ``never``, see
  ``never_hits.py``): the FastAPI and Flask apps driven without a server,
  cache on and ``cache_size=0`` taking turns request by request, every
  request with a token never sent before; the median CPU time of a request
  per round, paired by round.
* First request after start: a fresh server, polled on ``/health`` until it
  answers, then one authenticated request, timed; with and without start-up
  key loading.
* Lambda cold start: a fresh interpreter imports the library, loads a bundled
  JWKS and verifies one token; wall time and peak RSS, against the PyJWT
  recipe doing the same.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from cognito_jwt.testing import FakeCognitoPool

HERE = Path(__file__).resolve().parent
POOL_ID = "us-east-1_BenchPool1"
CLIENT_ID = "benchclient0123456789abcd"
NEW_TOKENS = 5000
#: Requests sent to a server before the new-token workload is timed: more
#: than twice the default cache size, the point where a cache that never
#: hits turns cold.
WARM_REQUESTS = 2 * 1024 + 200
SERVER_CPU, LOAD_CPU = "0", "1"

FASTAPI = ("noauth", "httpbearer", "cognito_jwt", "cognito_jwt_nocache", "cloudauth", "pyjwt")
WSGI = ("noauth", "bearer_only", "cognito_jwt", "cognito_jwt_nocache")
TITLES = {
    "fastapi": "FastAPI (uvicorn, uvloop, httptools, 1 process)",
    "flask": "Flask (gunicorn, 1 sync worker)",
    "drf": "Django REST framework (gunicorn, 1 sync worker)",
}
LABELS = {
    "noauth": "A: no auth",
    "httpbearer": "A': `HTTPBearer()` only (verifies nothing)",
    "bearer_only": "A': bearer token read, not verified",
    "cognito_jwt": "cognito_jwt (cache on, default)",
    "cognito_jwt_nocache": "cognito_jwt, `cache_size=0`",
    "cloudauth": "fastapi-cloudauth `CognitoCurrentUser`",
    "pyjwt": "PyJWT `PyJWKClient` recipe",
}


# -- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(cpu: str, argv: list[str]) -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", cpu, *argv] if taskset else argv


def server_argv(framework: str, port: int) -> list[str]:
    python = sys.executable
    if framework == "fastapi":
        return [
            python, "-m", "uvicorn", "--factory", "service_apps:build_fastapi",
            "--app-dir", str(HERE), "--host", "127.0.0.1", "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--no-access-log",
            "--log-level", "warning", "--workers", "1",
        ]  # fmt: skip
    target = "service_apps:build_flask()" if framework == "flask" else "service_apps:build_drf()"
    return [
        python, "-m", "gunicorn", "--chdir", str(HERE), "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--worker-class", "sync", "--log-level", "warning",
        "--backlog", "2048", target,
    ]  # fmt: skip


@dataclass
class Server:
    framework: str
    contender: str
    port: int
    process: subprocess.Popen[bytes]
    ready_after: float  # seconds from spawn to the first /health answer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/items"

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and its workers so far."""
        total = 0.0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            total += _cpu_of(pid)
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            found = [int(p) for p in f.read().split()]
    except OSError:
        return []
    return found + [g for c in found for g in _children(c)]


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_of(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


@contextlib.contextmanager
def serving(
    framework: str, contender: str, env: dict[str, str], warm: bool = True
) -> Iterator[Server]:
    port = free_port()
    child_env = {**env, "BENCH_CONTENDER": contender, "BENCH_WARM": "1" if warm else "0"}
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603
        pinned(SERVER_CPU, server_argv(framework, port)), env=child_env, cwd=HERE
    )
    server = Server(framework, contender, port, process, 0.0)
    try:
        deadline = started + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{framework}/{contender} server exited ({process.returncode})")
            with contextlib.suppress(OSError):
                if get(port, "/health")[0] == 200:
                    break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{framework}/{contender} server did not start")
            time.sleep(0.005)
        server.ready_after = time.perf_counter() - started
        yield server
    finally:
        server.stop()


def get(port: int, path: str, token: str | None = None) -> tuple[int, float]:
    """(status, wall seconds) of one GET on a new connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


# -- tokens ---------------------------------------------------------------------------------


@dataclass
class Tokens:
    repeat: str
    fresh: list[str]
    forged: str
    expired: str
    wrong_client: str


def mint(pool: FakeCognitoPool, count: int) -> Tokens:
    valid = pool.id_token()
    header, payload, signature = valid.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:username"] = "mallory"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return Tokens(
        repeat=valid,
        fresh=[pool.id_token(jti=f"bench-{i}") for i in range(count)],
        forged=f"{header}.{forged_payload}.{signature}",
        expired=pool.id_token(now=int(time.time()) - 7200, expires_in=3600),
        wrong_client=pool.id_token(aud="someotherclient0123456789"),
    )


def check_contender(server: Server, tokens: Tokens) -> str:
    """Refuse to time a contender that accepts a bad token; return the rejection statuses."""
    if server.contender == "noauth":
        return "-"
    ok = get(server.port, "/items", tokens.repeat)[0]
    if ok != 200:
        raise RuntimeError(f"{server.contender}: a valid token got {ok}")
    statuses = []
    for name, token in (
        ("forged", tokens.forged),
        ("expired", tokens.expired),
        ("wrong client", tokens.wrong_client),
    ):
        status = get(server.port, "/items", token)[0]
        floor = server.contender in ("httpbearer", "bearer_only")
        if not floor and not 400 <= status < 500:
            raise RuntimeError(f"{server.contender}: a {name} token got {status}")
        if server.contender.startswith("cognito_jwt") and status != 401:
            raise RuntimeError(f"{server.contender}: a {name} token got {status}, not 401")
        statuses.append(str(status))
    return "/".join(statuses)


# -- load generators ------------------------------------------------------------------------


@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_seconds: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us(self) -> float:
        return self.cpu_seconds / max(self.requests, 1) * 1e6


_WRK_SCRIPT = r"""
local tokens = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  i = math.random(#tokens) - 1
end
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", "/items", {["Authorization"] = "Bearer " .. tokens[i]})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.1f %.1f %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def load_wrk(
    server: Server, tokens: list[str], seconds: float, connections: int, workdir: Path
) -> Run:
    token_file = workdir / "tokens.txt"
    token_file.write_text("\n".join(tokens) + "\n", encoding="ascii")
    script = workdir / "rotate.lua"
    script.write_text(_WRK_SCRIPT, encoding="ascii")
    wrk = shutil.which("wrk") or "wrk"
    argv = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), server.url]
    cpu_before = server.cpu_seconds()
    output = subprocess.run(  # noqa: S603
        [*pinned(LOAD_CPU, argv), "--", str(token_file)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = server.cpu_seconds() - cpu_before
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", output)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    requests, duration_us, p50, p99, errors = match.groups()
    return Run(
        int(requests), int(duration_us) / 1e6, float(p50) / 1e3, float(p99) / 1e3, int(errors), cpu
    )


def load_python(server: Server, tokens: list[str], seconds: float, connections: int) -> Run:
    """A keep-alive asyncio load generator (used when wrk is not installed)."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {int(LOAD_CPU)})
    requests = [
        f"GET /items HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {t}\r\n\r\n".encode()
        for t in tokens
    ]
    latencies: list[float] = []
    errors = 0

    async def client(offset: int, stop_at: float) -> None:
        nonlocal errors
        i = offset
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            while time.perf_counter() < stop_at:
                i = (i + 1) % len(requests)
                started = time.perf_counter()
                writer.write(requests[i])
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = re.search(rb"(?i)content-length:\s*(\d+)", head)
                await reader.readexactly(int(length[1]) if length else 0)
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors += 1
                if re.search(rb"(?i)connection:\s*close", head):
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        finally:
            writer.close()

    async def main() -> float:
        started = time.perf_counter()
        stop_at = started + seconds
        await asyncio.gather(
            *(client(k * len(requests) // connections, stop_at) for k in range(connections))
        )
        return time.perf_counter() - started

    cpu_before = server.cpu_seconds()
    elapsed = asyncio.run(main())
    cpu = server.cpu_seconds() - cpu_before
    latencies.sort()
    count = len(latencies)
    return Run(
        count,
        elapsed,
        latencies[count // 2] * 1e3,
        latencies[min(count - 1, int(count * 0.99))] * 1e3,
        errors,
        cpu,
    )


# -- measurement ----------------------------------------------------------------------------


def measure_framework(  # noqa: PLR0917 - one call site, named at it
    framework: str,
    contenders: Sequence[str],
    env: dict[str, str],
    tokens: Tokens,
    args: argparse.Namespace,
    workdir: Path,
) -> tuple[dict[str, dict[str, list[Run]]], dict[str, str]]:
    """Every contender, both workloads, ``args.repeats`` times in rotating order.

    Per workload, every contender's server is started once and kept running,
    so that the repeats interleave in time (a noisy neighbour slows all of
    them alike).  Each server is warmed up first; for the new-token workload
    with at least `WARM_REQUESTS` requests, so the verified-token cache has
    reached its steady state for a cache that never hits (cold, see
    docs/performance.md) before anything is timed, as in a service that has
    been up for more than a few seconds.
    """
    runs: dict[str, dict[str, list[Run]]] = {c: {"repeat": [], "fresh": []} for c in contenders}
    rejections: dict[str, str] = {}
    connections = 16 if framework == "fastapi" else 8
    for workload, token_list in (("repeat", [tokens.repeat]), ("fresh", tokens.fresh)):
        with contextlib.ExitStack() as stack:
            servers = {c: stack.enter_context(serving(framework, c, env)) for c in contenders}
            for contender, server in servers.items():
                rejections[contender] = check_contender(server, tokens)
                warm = load(server, token_list, args.warmup, connections, workdir)
                if workload == "fresh" and warm.requests < WARM_REQUESTS:
                    more = (WARM_REQUESTS - warm.requests) / max(warm.rps, 1.0) + 1
                    load(server, token_list, more, connections, workdir)
            for repeat in range(args.repeats):
                shift = repeat % len(contenders)
                for contender in [*contenders[shift:], *contenders[:shift]]:
                    run = load(servers[contender], token_list, args.seconds, connections, workdir)
                    runs[contender][workload].append(run)
                    print(
                        f"  {framework:7} {contender:20} {workload:6} {run.rps:8.0f} req/s "
                        f"{run.cpu_us:7.0f} µs CPU/req p50 {run.p50_ms:6.2f} ms "
                        f"p99 {run.p99_ms:6.2f} ms errors {run.errors}",
                        flush=True,
                    )
    return runs, rejections


def load(server: Server, tokens: list[str], seconds: float, connections: int, workdir: Path) -> Run:
    if USE_WRK:
        return load_wrk(server, tokens, max(1, round(seconds)), connections, workdir)
    return load_python(server, tokens, seconds, connections)


def ratio(
    runs: dict[str, dict[str, list[Run]]], contender: str, floor: str, workload: str, what: str
) -> float:
    """Median over repeats of contender / floor, each pair from the same repeat."""
    pairs = zip(runs[contender][workload], runs[floor][workload], strict=True)
    return statistics.median(getattr(c, what) / getattr(f, what) for c, f in pairs)


def med(runs: list[Run], what: str) -> float:
    return statistics.median(getattr(r, what) for r in runs)


def framework_table(
    framework: str,
    runs: dict[str, dict[str, list[Run]]],
    rejections: dict[str, str],
) -> list[str]:
    floor = "httpbearer" if framework == "fastapi" else "bearer_only"
    lines = [
        f"**{TITLES[framework]}**",
        "",
        "| contender | workload | req/s | vs A | vs A' | CPU µs/req | CPU vs A' "
        "| p50 ms | p99 ms | p99 vs A' | rejects forged/expired/client |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for contender in runs:
        for workload, label in (("repeat", "one token"), ("fresh", "new token")):
            rows = runs[contender][workload]
            lines.append(
                f"| {LABELS[contender]} | {label} | {med(rows, 'rps'):,.0f} "
                f"| {ratio(runs, contender, 'noauth', workload, 'rps'):.2f}x "
                f"| {ratio(runs, contender, floor, workload, 'rps'):.2f}x "
                f"| {med(rows, 'cpu_us'):.0f} "
                f"| {ratio(runs, contender, floor, workload, 'cpu_us'):.2f}x "
                f"| {med(rows, 'p50_ms'):.2f} | {med(rows, 'p99_ms'):.2f} "
                f"| {ratio(runs, contender, floor, workload, 'p99_ms'):.2f}x "
                f"| {rejections.get(contender, '-')} |"
            )
    return lines


# -- first request and cold start -----------------------------------------------------------


def first_requests(env: dict[str, str], token: str, repeats: int) -> list[str]:
    cases = [
        ("fastapi", "noauth", True),
        ("fastapi", "cognito_jwt", False),
        ("fastapi", "cognito_jwt", True),
        ("flask", "cognito_jwt", False),
        ("flask", "cognito_jwt", True),
        ("drf", "cognito_jwt", False),
        ("drf", "cognito_jwt", True),
    ]
    lines = [
        "| server | contender | keys loaded at start-up | start to ready ms "
        "| first request ms | second request ms |",
        "|---|---|---|---:|---:|---:|",
    ]
    results: dict[tuple[str, str, bool], list[tuple[float, float, float]]] = {c: [] for c in cases}
    for _ in range(repeats):
        for case in cases:
            framework, contender, warm = case
            with serving(framework, contender, env, warm=warm) as server:
                status, first = get(server.port, "/items", token if contender != "noauth" else None)
                if status != 200:
                    raise RuntimeError(f"first request to {framework}/{contender} got {status}")
                second = get(server.port, "/items", token if contender != "noauth" else None)[1]
                results[case].append((server.ready_after, first, second))
    for case, samples in results.items():
        framework, contender, warm = case
        lines.append(
            f"| {framework} | {LABELS[contender]} | {'yes' if warm else 'no (lazy)'} "
            f"| {statistics.median(s[0] for s in samples) * 1e3:.0f} "
            f"| {statistics.median(s[1] for s in samples) * 1e3:.1f} "
            f"| {statistics.median(s[2] for s in samples) * 1e3:.1f} |"
        )
    FIRST["fastapi"] = statistics.median(s[1] for s in results[("fastapi", "cognito_jwt", True)])
    FIRST["flask"] = statistics.median(s[1] for s in results[("flask", "cognito_jwt", True)])
    FIRST["drf"] = statistics.median(s[1] for s in results[("drf", "cognito_jwt", True)])
    return lines


#: Printed by each cold-start program: the peak RSS of its own address space
#: (kB).  Not `wait4`'s `ru_maxrss`, which on Linux also counts the memory of
#: the (large) benchmark process the child was forked from before its exec.
_PEAK_RSS = r"""
print(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""

_COLD_OURS = (
    r"""
import os
from cognito_jwt import CognitoJwtVerifier
verifier = CognitoJwtVerifier(user_pool_id=os.environ["BENCH_POOL"], token_use="id",
                              client_id=os.environ["BENCH_AUD"],
                              jwks=open(os.environ["BENCH_JWKS_FILE"]).read())
verifier.verify(os.environ["BENCH_TOKEN"])
"""
    + _PEAK_RSS
)

_COLD_PYJWT = (
    r"""
import json, os, jwt
token = os.environ["BENCH_TOKEN"]
keys = jwt.PyJWKSet.from_dict(json.load(open(os.environ["BENCH_JWKS_FILE"])))
key = keys[jwt.get_unverified_header(token)["kid"]]
claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=os.environ["BENCH_AUD"],
                    issuer=os.environ["BENCH_ISS"], options={"require": ["exp", "iss", "aud"]})
assert claims["token_use"] == "id"
"""
    + _PEAK_RSS
)


def cold_start(pool: FakeCognitoPool, token: str, runs: int, workdir: Path) -> list[str]:
    jwks_file = workdir / "jwks.json"
    jwks_file.write_text(pool.jwks_json, encoding="ascii")
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        PYTHONPYCACHEPREFIX=str(workdir / "pycache"),
        BENCH_TOKEN=token,
        BENCH_JWKS_FILE=str(jwks_file),
        BENCH_ISS=pool.issuer,
        BENCH_AUD=pool.client_id,
        BENCH_POOL=pool.user_pool_id,
    )
    programs = {"cognito_jwt": _COLD_OURS, "PyJWT recipe": _COLD_PYJWT}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in programs}
    for code in programs.values():  # warm the bytecode and page caches
        subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)  # noqa: S603
    for _ in range(runs):
        for name, code in programs.items():
            started = time.perf_counter()
            done = subprocess.run(  # noqa: S603
                [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
            )
            wall_ms = (time.perf_counter() - started) * 1e3
            samples[name].append((wall_ms, int(done.stdout.split()[-1]) / 1024))
    wall = {n: statistics.median(s[0] for s in v) for n, v in samples.items()}
    rss = {n: statistics.median(s[1] for s in v) for n, v in samples.items()}
    COLD["wall"] = wall["cognito_jwt"] / wall["PyJWT recipe"]
    COLD["rss"] = rss["cognito_jwt"] / rss["PyJWT recipe"]
    return [
        "| process | wall ms | vs PyJWT | peak RSS MiB | vs PyJWT |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {name} | {wall[name]:.0f} | {wall[name] / wall['PyJWT recipe']:.2f}x "
            f"| {rss[name]:.1f} | {rss[name] / rss['PyJWT recipe']:.2f}x |"
            for name in programs
        ),
    ]


# -- report ---------------------------------------------------------------------------------

USE_WRK = False
FIRST: dict[str, float] = {}
COLD: dict[str, float] = {}


#: Median paired cost (on / off - 1) of a cache that never hits, in-process.
NEVER: dict[str, float] = {}


def never_hits(env: dict[str, str], pool: FakeCognitoPool, *, quick: bool) -> list[str]:
    """The in-process A/B of `never_hits.py`, for FastAPI and Flask."""
    import never_hits as never

    for name in ("BENCH_POOL", "BENCH_AUD", "BENCH_ISS", "BENCH_JWKS_URI"):
        os.environ[name] = env[name]
    rounds, per_round = (6, 100) if quick else (20, 200)
    lines = [
        "**A cache that never hits, in-process** (every request a new token; "
        f"{rounds} rounds of {per_round} requests per app, the two apps taking turns "
        "request by request)",
        "",
        "| app | `cache_size=0`, median CPU µs/request | cache on | cost, median of paired "
        "rounds | interquartile range |",
        "|---|---:|---:|---:|---:|",
    ]
    for framework in ("fastapi", "flask"):
        print(f"never: {framework}, {rounds} x {per_round} requests per app ...", flush=True)
        rows, NEVER[framework] = never.report(
            framework, never.measure(framework, pool, rounds, per_round)
        )
        lines += rows
    return [*lines, ""]


def versions() -> str:
    names = [
        "fastapi", "starlette", "uvicorn", "uvloop", "httptools", "flask", "gunicorn",
        "django", "djangorestframework", "fastapi-cloudauth", "PyJWT", "cryptography",
    ]  # fmt: skip
    found = []
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return f"Python {platform.python_version()}; " + ", ".join(found)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def targets(all_runs: dict[str, dict[str, dict[str, list[Run]]]]) -> list[str]:
    lines = ["| target | measured | |", "|---|---|---|"]
    if "fastapi" in all_runs:
        runs = all_runs["fastapi"]
        for workload, label, goal in (("repeat", "one token", 0.95), ("fresh", "new token", 0.80)):
            rps = ratio(runs, "cognito_jwt", "httpbearer", workload, "rps")
            capacity = 1 / ratio(runs, "cognito_jwt", "httpbearer", workload, "cpu_us")
            lines.append(
                f"| FastAPI, {label}: >= {goal:.2f}x the `HTTPBearer` floor "
                f"| {rps:.2f}x req/s, {capacity:.2f}x by CPU/request "
                f"| {verdict(rps >= goal)} (req/s), {verdict(capacity >= goal)} (CPU) |"
            )
    for framework, runs in all_runs.items():
        miss = ratio(runs, "cognito_jwt", "cognito_jwt_nocache", "fresh", "cpu_us") - 1
        lines.append(
            f"| {framework}: a cache that never hits costs <= 3 % CPU/request vs `cache_size=0` "
            f"| {miss * 100:+.1f} % | {verdict(miss <= 0.03)} |"
        )
    for framework, cost in NEVER.items():
        lines.append(
            f"| {framework}, in-process: a cache that never hits costs <= 3 % CPU/request "
            f"| {cost * 100:+.1f} % | {verdict(cost <= 0.03)} |"
        )
    for framework, first in FIRST.items():
        lines.append(
            f"| {framework}: first request after start <= 15 ms (keys loaded at start-up) "
            f"| {first * 1e3:.1f} ms | {verdict(first <= 0.015)} |"
        )
    if COLD:
        lines.append(
            f"| Lambda cold start <= 0.5x the PyJWT recipe | wall {COLD['wall']:.2f}x, "
            f"peak RSS {COLD['rss']:.2f}x | {verdict(COLD['wall'] <= 0.5)} (wall) |"
        )
    return lines


def main() -> None:
    global USE_WRK  # noqa: PLW0603 - chosen once, read by load()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short repeat (a smoke run)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per timed run (4)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats (5)")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator")
    parser.add_argument(
        "--only", default="fastapi,flask,drf,never,first,cold", help="comma-separated sections"
    )
    args = parser.parse_args()
    args.seconds = args.seconds or (2.0 if args.quick else 4.0)
    args.repeats = args.repeats or (1 if args.quick else 5)
    args.warmup = 1.0 if args.quick else 2.0
    sections = set(args.only.split(","))
    USE_WRK = shutil.which("wrk") is not None and not args.python_load
    print(
        "load generator: "
        + ("wrk (installed)" if USE_WRK else "Python asyncio client (wrk is not installed)")
    )
    print(
        f"pinning: servers on CPU {SERVER_CPU}, load generator on CPU {LOAD_CPU}"
        + ("" if shutil.which("taskset") else " (taskset missing: NOT pinned)")
    )
    print(versions())

    pool = FakeCognitoPool(POOL_ID, CLIENT_ID)
    # Even a smoke run needs more new tokens than the cache holds, or the
    # "new token" workload would hit the cache.
    tokens_needed = 1500 if args.quick else NEW_TOKENS
    print(f"minting {tokens_needed} tokens ...", flush=True)
    tokens = mint(pool, tokens_needed)
    all_runs: dict[str, dict[str, dict[str, list[Run]]]] = {}
    report: list[str] = []
    with pool.serve_jwks() as jwks, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = dict(os.environ)
        env.update(
            BENCH_POOL=pool.user_pool_id,
            BENCH_AUD=pool.client_id,
            BENCH_ISS=pool.issuer,
            BENCH_JWKS_URI=jwks.url,
            PYTHONPATH=os.pathsep.join(
                p for p in (str(HERE.parent), env.get("PYTHONPATH", "")) if p
            ),
        )
        for framework, contenders in (("fastapi", FASTAPI), ("flask", WSGI), ("drf", WSGI)):
            if framework not in sections:
                continue
            print(
                f"{framework}: {args.repeats} repeat(s) of {args.seconds:g} s per run", flush=True
            )
            runs, rejections = measure_framework(framework, contenders, env, tokens, args, workdir)
            all_runs[framework] = runs
            report += [*framework_table(framework, runs, rejections), ""]
        if "never" in sections:
            report += never_hits(env, pool, quick=args.quick)
        if "first" in sections:
            report += [
                "**First request after start** (median of 3 fresh servers)",
                "",
                *first_requests(env, tokens.repeat, 1 if args.quick else 3),
                "",
            ]
        if "cold" in sections:
            report += [
                "**Lambda cold start**: import, load a bundled JWKS, verify one token",
                "",
                *cold_start(pool, tokens.repeat, 5 if args.quick else 20, workdir),
                "",
            ]
    print()
    print(
        "Load generator: "
        + ("wrk" if USE_WRK else "the Python asyncio client")
        + f"; {args.repeats} repeat(s) of {args.seconds:g} s; ratios are medians over repeats "
        "of (contender / floor in the same repeat)."
    )
    print()
    print("\n".join(report))
    print("**Targets**" + (" (a --quick smoke run: not a measurement)" if args.quick else ""))
    print()
    print("\n".join(targets(all_runs)))


if __name__ == "__main__":
    main()
