"""Every developer and CI task is a nox session; ``.ci/run`` only calls nox.

Sessions install the package into their own virtualenv, so a task never depends
on what happens to be installed on the machine.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint"]
# A Python the matrix names but the machine lacks: skipped on a laptop, an
# error in CI (CI set, as every CI service and .ci/run do), so CI cannot pass
# by testing fewer versions than the classifiers claim.
nox.options.error_on_missing_interpreters = "CI" in os.environ


def _classifier_pythons() -> list[str]:
    """The ``Programming Language :: Python :: 3.X`` versions pyproject claims."""
    import tomllib

    with open("pyproject.toml", "rb") as f:
        classifiers = tomllib.load(f)["project"]["classifiers"]
    prefix = "Programming Language :: Python :: "
    versions = [c.removeprefix(prefix) for c in classifiers if c.startswith(prefix + "3.")]
    return sorted(versions, key=lambda v: tuple(int(part) for part in v.split(".")))


#: Every version the classifiers claim; ``nox -s tests`` runs them all.
PYTHONS = _classifier_pythons()
#: The oldest of them, for the sessions that need one interpreter only.
PYTHON = PYTHONS[0]


def _find_pyenv_pythons(versions: list[str]) -> None:
    """Put pyenv-installed interpreters that pyenv has not activated on PATH.

    nox looks for ``python3.12`` on PATH; pyenv's shim of that name fails
    unless the version is selected with ``pyenv global``/``local``.  For each
    version whose ``python3.X`` is missing or only a shim, the newest
    ``$PYENV_ROOT/versions/3.X.N/bin`` goes first on PATH.  Nothing is installed
    or selected: without such a directory the version stays missing.
    """
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for version in versions:
        found = shutil.which(f"python{version}")
        if found is not None and Path(found).parent.name != "shims":
            continue
        installs = [
            d for d in root.glob(f"{version}.*") if d.name.removeprefix(f"{version}.").isdigit()
        ]
        if installs:
            newest = max(installs, key=lambda d: int(d.name.removeprefix(f"{version}.")))
            os.environ["PATH"] = f"{newest / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"


_find_pyenv_pythons(PYTHONS)
TEST_DEPS = [
    "pytest>=8",
    "pytest-xdist>=3.5",
    "hypothesis>=6.100",
    "pyjwt>=2.8",  # the independent JWS implementation the suite cross-checks against
    "moto[server]>=5.1.10",
    "boto3>=1.34",
    "cfn-lint>=1.20",
    "httpx2>=2.0",  # Starlette's TestClient transport
    "uvicorn>=0.30",  # the conformance table's real ASGI server
    "waitress>=3.0",  # the conformance table's real WSGI server
    "redis>=5.0",  # the Redis revocation store, against a real redis-server the tests start
    "opentelemetry-api>=1.20",  # docs/reports.md's example runs (no docs page is skipped in CI)
]
#: The package with every framework adapter's extra: the tests drive each one.
WITH_ADAPTERS = ".[fastapi,flask,django,starlette,litestar,ninja,powertools]"
#: pip byte-compiles every file it installs (thousands per test venv: moto,
#: django, cfn-lint); Python compiles the few a session imports, when it does.
NO_COMPILE = "--no-compile"
#: Two pytest workers: the suite is I/O- and sleep-heavy (JWKS servers, timeouts).
XDIST = ["-n", "2"]
#: Tests that build or install the wheel; ``nox -s build`` runs them, against
#: the wheel it built, so one CI run builds one wheel.
NOT_WHEEL = ["-m", "not wheel"]
# ruff formats the signatures mkdocstrings renders (separate_signature).
DOCS_DEPS = ["mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26", "ruff>=0.6"]
BUILD_DEPS = ["build>=1.2", "twine>=5.1"]
LINT_DEPS = [
    "ruff>=0.6",
    "mypy>=1.11",
    "types-requests",
    "django-stubs>=5.1",
    "djangorestframework-stubs>=3.15",
    "boto3-stubs[apigateway,cognito-idp]",
]


def _pytest(session: nox.Session, *args: str) -> None:
    """Run pytest; its exit code 5 (nothing collected) fails the session like any error."""
    session.run("pytest", *args, *session.posargs)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The full test suite on every supported Python (no internet: moto and JWKS
    servers run on 127.0.0.1).  The wheel tests run in ``build``."""
    session.install(NO_COMPILE, "-e", WITH_ADAPTERS, *TEST_DEPS)
    if session.posargs:  # a selection of the developer's: run just that
        _pytest(session, *XDIST, *NOT_WHEEL)
        return
    _pytest(session, *XDIST, "-m", "not wheel and not slow")
    # The slow tests next, alone in one process: the memory flood counts every
    # allocation its process makes, so it must not share one with threads
    # left over from a thousand other tests.
    _pytest(session, "-m", "slow and not wheel")


@nox.session(python=PYTHON)
def coverage(session: nox.Session) -> None:
    """The suite under branch coverage; fails below the figure it has reached (94 %).

    ``patch = subprocess`` (pyproject) measures the pytest workers and the
    command-line subprocesses too.  Raise ``--fail-under`` as coverage grows.
    """
    session.install(NO_COMPILE, "-e", WITH_ADAPTERS, *TEST_DEPS, "coverage>=7.10")
    session.run("coverage", "erase")
    # The slow tests are left out: the memory flood skips itself under a
    # tracer, and the demo's end-to-end runs only grow slower when measured.
    select = ["-m", "not wheel and not slow"]
    session.run("coverage", "run", "-m", "pytest", *XDIST, *select, *session.posargs)
    session.run("coverage", "combine", "--quiet")
    session.run("coverage", "report", "--fail-under=94")


def _lowest_runtime_versions() -> list[str]:
    """pyproject's runtime ``>=`` lower bounds, pinned with ``==``."""
    import re
    import tomllib

    with open("pyproject.toml", "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    pins = []
    for requirement in dependencies:
        match = re.fullmatch(
            r"([A-Za-z0-9_.\-\[\]]+)>=([0-9][0-9.]*)", requirement.replace(" ", "")
        )
        if match is None:
            raise ValueError(f"expected 'name>=version' in pyproject, found {requirement!r}")
        pins.append(f"{match[1]}=={match[2]}")
    return pins


#: The core's tests: the core and key folders, and the suites that attack the core.
#: They need nothing beyond the runtime dependencies (and the test kit's).
CORE_TESTS = [
    "tests/core",
    "tests/keys",
    "tests/system/test_module_graph.py",
    "tests/test_attacks.py",
    "tests/test_real_tokens.py",
    "tests/test_fast_paths.py",
]


@nox.session(python=PYTHON)
def tests_min(session: nox.Session) -> None:
    """The core suite against the lowest versions pyproject.toml claims to support.

    Keeps the lower bounds honest: a bound too low (urllib3 before 2.2 has no
    ``read1``, for one) fails here, not on a user's machine.
    """
    session.install(
        NO_COMPILE,
        *_lowest_runtime_versions(),
        "pytest>=8",
        "pytest-xdist>=3.5",
        "hypothesis>=6.100",
        "pyjwt>=2.8",
    )
    session.install("--no-deps", "-e", ".")
    _pytest(
        session,
        *XDIST,
        "-m",
        "not slow",
        *CORE_TESTS,
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format check) and mypy --strict over the package, tests and examples."""
    session.install(NO_COMPILE, "-e", WITH_ADAPTERS, *LINT_DEPS, *TEST_DEPS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "--strict", "cognito_jwt", "tests", "examples")
    # Mistakes the types must catch, each error expected at its line.
    session.run("python", "tests/type_checks/check.py")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the docs site with ``--strict`` (a broken link, nav entry or API reference
    fails), then check the built pages with tests/system/test_site.py."""
    session.install(NO_COMPILE, "-e", ".", *DOCS_DEPS, "pytest>=8")
    shutil.rmtree("site", ignore_errors=True)  # a stale page must not pass the checks
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        "site",
        *session.posargs,
        env={"NO_MKDOCS_2_WARNING": "1"},  # silence Material's end-of-life banner
    )
    # What the pages show: no raw reST roles, no private names, nothing remote.
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        "tests/system/test_site.py",
        env={"COGNITO_JWT_SITE": "site"},
    )


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Build sdist and wheel into dist/, ``twine check`` them, then test the wheel.

    dist/ is emptied first so twine checks only what this run built.  The wheel
    is then installed (with its dependencies, from the index) into this
    session's venv and its console script run from a neutral directory, so the
    checkout cannot stand in for a missing file in the wheel.  Last,
    tests/system/test_packaging.py runs against this same wheel (``COGNITO_JWT_WHEEL``),
    so a CI run builds one wheel, not two.
    """
    shutil.rmtree("dist", ignore_errors=True)
    session.install(*BUILD_DEPS, "pytest>=8")
    session.run("python", "-m", "build", "--outdir", "dist")
    artifacts = sorted(str(p) for p in Path("dist").iterdir())
    session.run("twine", "check", "--strict", *artifacts)
    wheel = next(a for a in artifacts if a.endswith(".whl"))
    session.install(wheel)
    session.install("--force-reinstall", "--no-deps", wheel)
    with tempfile.TemporaryDirectory() as neutral, session.chdir(neutral):
        session.run("cognito-jwt", "--help", silent=True)
        session.run("python", "-m", "cognito_jwt", "--version")
        session.run(
            "python",
            "-c",
            "import pathlib, cognito_jwt; "
            "assert (pathlib.Path(cognito_jwt.__file__).parent / 'py.typed').is_file()",
        )
    # ``pytest`` (not ``python -m pytest``) keeps the checkout off sys.path, so
    # even the suite's own imports of cognito_jwt load the installed wheel.
    session.run(
        "pytest",
        "tests/system/test_packaging.py",
        *session.posargs,
        env={"COGNITO_JWT_WHEEL": str(Path(wheel).resolve())},
    )


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The reference API end to end on 127.0.0.1 (moto, deploy.py, both authorizers)."""
    session.install("-e", ".[demo]")
    session.run("python", "examples/reference_api/demo.py", *session.posargs)


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """Hostile-input fuzzing, bounded: hypothesis at scale, then atheris on the token path.

    ``COGNITO_JWT_FUZZ_EXAMPLES`` examples per property (default 20,000; signing
    properties a tenth), then ``fuzz/fuzz_parse.py`` under atheris for
    ``COGNITO_JWT_FUZZ_SECONDS`` (default 120).  A crash input is saved under
    ``.nox/fuzz-crashes/`` and must become a regression test.
    """
    session.install("-e", ".", "pytest>=8", "hypothesis>=6.100")
    examples = os.environ.get("COGNITO_JWT_FUZZ_EXAMPLES", "20000")
    seconds = os.environ.get("COGNITO_JWT_FUZZ_SECONDS", "120")
    session.run(
        "pytest",
        "-q",
        "tests/test_properties.py",
        "tests/test_fast_paths.py",
        "tests/test_attacks.py",
        *session.posargs,
        env={"COGNITO_JWT_FUZZ_EXAMPLES": examples},
    )
    try:
        session.install("atheris>=2.3")
    except nox.command.CommandFailed:
        session.warn("atheris does not install on this platform: coverage-guided run skipped")
        return
    crashes = Path(".nox", "fuzz-crashes").resolve()
    crashes.mkdir(parents=True, exist_ok=True)
    session.run(
        "python",
        "fuzz/fuzz_parse.py",
        f"-max_total_time={seconds}",
        f"-artifact_prefix={crashes}/",
        "-print_final_stats=1",
    )


@nox.session(python=PYTHON)
def mutate(session: nox.Session) -> None:
    """Mutation testing of the security-critical modules (``mutation/mutate.py``).

    Each small change to a rule (``<`` for ``<=``, a ``raise`` removed, ...) must
    fail a test, or be listed as equivalent, with its reason, in
    docs/security.md; the session fails otherwise.  Slow (most of an hour on
    two cores): run before a release, not in ``.ci/run``.  ``-- --module claims``
    for one module, ``-- --limit 20`` for a sample; the report lands in
    ``build/mutation/``.
    """
    session.install(NO_COMPILE, "-e", ".", *TEST_DEPS)
    session.run("python", "mutation/mutate.py", *session.posargs)


@nox.session(python=PYTHON)
def soak(session: nox.Session) -> None:
    """Load tests with a long soak (``COGNITO_JWT_SOAK_SECONDS``, default 60) and the
    JWKS failure matrix; prints the figures (fetches, memory, worst-case latency)."""
    session.install("-e", ".", "pytest>=8")
    report = Path(session.create_tmp(), "figures.txt")
    report.unlink(missing_ok=True)
    session.run(
        "pytest",
        "-q",
        "tests/keys/test_load.py",
        "tests/keys/test_jwks_failures.py",
        *session.posargs,
        env={
            "COGNITO_JWT_SOAK_SECONDS": os.environ.get("COGNITO_JWT_SOAK_SECONDS", "60"),
            "COGNITO_JWT_REPORT": str(report),
        },
    )
    if report.exists():
        session.log("Figures:\n" + report.read_text(encoding="utf-8"))


# Benchmark-only peers: the libraries users would otherwise pick (never runtime deps).
BENCH_DEPS = [
    "PyJWT[crypto]>=2.8",
    "python-jose[cryptography]>=3.3",
    "joserfc>=1.0",
    "authlib>=1.3",
]


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Side-by-side speed against the RSA floor and peers; import and cold-start times.

    Not a test (nothing asserts a time); ``-- --quick`` for a smoke run,
    ``-- --markdown`` for tables to paste into docs/performance.md.
    """
    session.install("-e", ".", *BENCH_DEPS)
    session.run("python", "benchmarks/bench.py", *session.posargs)


@nox.session(python=PYTHON)
def profile(session: nox.Session) -> None:
    """Where the microseconds of one verify go: stage breakdown and cProfile."""
    session.install("-e", ".")
    session.run("python", "benchmarks/profile_verify.py", *session.posargs)


# Benchmark-only servers and peers of the service benchmark (never runtime deps).
BENCH_SERVICE_DEPS = [
    "uvicorn>=0.30",
    "uvloop>=0.19",
    "httptools>=0.6",
    "gunicorn>=22",
    "fastapi-cloudauth>=0.4.3",
    "PyJWT[crypto]>=2.8",
]


@nox.session(python=PYTHON)
def bench_service(session: nox.Session) -> None:
    """FastAPI, Flask and DRF services side by side: floors, cognito_jwt and peers.

    Servers and load generator pinned to different CPUs (`taskset`); uses `wrk`
    when installed (Debian package `wrk`), else a Python load generator, and
    says which.  Not in `.ci/run`; ``-- --quick`` for a smoke run.
    """
    session.install("-e", ".[fastapi,flask,django]", *BENCH_SERVICE_DEPS)
    session.run("python", "benchmarks/bench_service.py", *session.posargs)


@nox.session(python=PYTHON)
def bench_adapter(session: nox.Session) -> None:
    """The FastAPI adapter against a git ref of itself, in-process: CPU per request, resent token.

    ``-- --baseline <ref>`` (default ``main``); interleaved rounds, as
    `benchmarks/never_hits.py` measures. Not in `.ci/run`.
    """
    session.install("-e", ".[fastapi]")
    session.run("python", "benchmarks/adapter_ab.py", *session.posargs)
