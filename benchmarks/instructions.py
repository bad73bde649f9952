"""Instructions per `verify`, counted by valgrind: a measure a busy machine cannot disturb.

Wall-clock figures on a shared 2-core machine spread by more than a small change
moves them; instruction counts do not.  Instructions are not time (the RSA code
runs far more of them per cycle than the interpreter does), so use this to
compare two versions of the code, and `bench.py` for the figures users see.

Each case runs its calls through `itertools.starmap`, and valgrind counts only
inside `starmap_next` (`--toggle-collect`), so imports and set-up are left out.

The two FastAPI cases put a cache that never hits in proportion: its cost per
request against all the instructions of one request through the documented
integration (`bench_service.py`'s section `never` measures the same in CPU
time, where noise is larger than the difference).

Run: `python benchmarks/instructions.py` (needs `valgrind` on the PATH; about a
minute per case; the FastAPI cases need the `fastapi` extra).
"""

from __future__ import annotations

import collections
import itertools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from typing import Any

NOW = 1_800_000_000
CALLS = {
    "floor": 200,
    "first sight": 200,
    "first sight, cache on (cold)": 200,
    "cache hit": 2000,
    "cache hit, new str": 2000,
    "cache hit, new str, revocation list": 2000,
    "FastAPI request, cache off": 200,
    "FastAPI request, cache on (cold)": 200,
}


def prepare(case: str) -> tuple[Callable[..., Any], list[tuple[Any, ...]]]:
    """The callable and the arguments of each call for `case`."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from cognito_jwt._token import parse_token
    from cognito_jwt.testing import FakeCognitoPool

    pool = FakeCognitoPool("us-east-1_BenchPool1", "benchclient0123456789abcd")
    tokens = [pool.id_token(groups=["admin", "users"], now=NOW) for _ in range(50)]
    n = CALLS[case]
    if case == "floor":
        parsed = [parse_token(t) for t in tokens]
        key = pool.id_key.public_key()
        pad, sha256 = padding.PKCS1v15(), hashes.SHA256()
        return key.verify, [
            (p.signature, p.signing_input, pad, sha256)
            for p in itertools.islice(itertools.cycle(parsed), n)
        ]
    if case.startswith("FastAPI"):
        return fastapi_requests(pool, tokens, n, cache_on=case.endswith("(cold)"))
    if case == "first sight, cache on (cold)":
        # A cache that never hits, in its steady state: every token new, and
        # more misses than twice its size behind it (a small cache gets there
        # with fewer tokens to mint; the cold path does not depend on size).
        verifier = pool.verifier("id", cache_size=16, clock=lambda: NOW + 100)
        for token in tokens:
            verifier.verify(token)
        fresh = [pool.id_token(groups=["admin", "users"], now=NOW) for _ in range(n)]
        return verifier.verify, [(t,) for t in fresh]
    revocation = None
    if case.endswith("revocation list"):
        from cognito_jwt.revocation import MemoryStore, RevocationList

        revocation = RevocationList(MemoryStore(), clock=lambda: NOW + 100)
    verifier = pool.verifier(
        "id",
        cache_size=0 if case == "first sight" else 1024,
        clock=lambda: NOW + 100,
        revocation=revocation,
    )
    for token in tokens:  # warm: header cache, keys, token cache, templates
        verifier.verify(token)
        verifier.verify(token)
    calls = itertools.islice(itertools.cycle(tokens), n)
    if case.startswith("cache hit, new str"):
        # As a request brings it: an equal string whose hash is not computed yet.
        return verifier.verify, [((t + " ")[:-1],) for t in calls]
    return verifier.verify, [(t,) for t in calls]


def fastapi_requests(
    pool: Any, tokens: list[str], n: int, *, cache_on: bool
) -> tuple[Callable[..., Any], list[tuple[Any, ...]]]:
    """`GET /items` through the documented FastAPI integration, as an ASGI call.

    Every request brings a token never sent before; with the cache on, more
    misses than twice its size come first, so it is in the steady state of
    a cache that never hits (docs/performance.md).
    """
    from fastapi import Depends, FastAPI
    from never_hits import fastapi_driver

    from cognito_jwt.integrations.fastapi import CognitoAuth

    verifier = pool.verifier("id", cache_size=16 if cache_on else 0, clock=lambda: NOW + 100)
    auth = CognitoAuth(verifier)
    app = FastAPI()

    @app.get("/items")
    async def items(_: Any = Depends(auth)) -> list[int]:  # noqa: B008 - FastAPI's idiom
        return [1, 2, 3]

    drive = fastapi_driver(app)
    statuses, _ = drive(tokens)  # warm: imports, routes, keys; the cache past cold
    assert statuses == {200}
    fresh = [pool.id_token(groups=["admin", "users"], now=NOW) for _ in range(n)]
    return drive, [([token],) for token in fresh]


def run_case(case: str) -> None:
    """Inside valgrind: make the calls of `case`."""
    call, args = prepare(case)
    collections.deque(itertools.starmap(call, args), maxlen=0)


def count(valgrind: str, case: str) -> int:
    """Instructions per call of `case`, from a fresh interpreter under callgrind."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            valgrind,
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=starmap_next",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--case",
            case,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    match = re.search(r"refs:\s+([\d,]+)", result.stderr)
    assert match, result.stderr[-500:]
    return int(match[1].replace(",", "")) // CALLS[case]


def main() -> None:
    if sys.argv[1:2] == ["--case"]:
        run_case(sys.argv[2])
        return
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("valgrind is not installed")
    floor = count(valgrind, "floor")
    only = sys.argv[1:]  # case names to count (default: all)
    print(f"{'case':37s} {'instructions':>12s} {'vs floor':>9s}")
    for case in [c for c in CALLS if not only or c in only or c == "floor"]:
        ir = floor if case == "floor" else count(valgrind, case)
        print(f"{case:37s} {ir:12,d} {ir / floor:8.2f}x")


if __name__ == "__main__":
    main()
