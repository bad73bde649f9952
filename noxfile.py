"""Every developer and CI task is a nox session; ``.ci/run`` only calls nox.

Sessions install the package into their own virtualenv, so a task never depends
on what happens to be installed on the machine.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint"]

PYTHON = "3.11"
TEST_DEPS = ["pytest>=8", "hypothesis>=6.100", "moto[server]>=5.1.10", "boto3>=1.34", "cfn-lint>=1.20"]
DOCS_DEPS = ["mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26"]
BUILD_DEPS = ["build>=1.2", "twine>=5.1"]
LINT_DEPS = ["ruff>=0.6", "mypy>=1.11", "types-requests", "types-cachetools"]


def _pytest(session: nox.Session, *args: str) -> None:
    """Run pytest; its exit code 5 (nothing collected) fails the session like any error."""
    session.run("pytest", *args, *session.posargs)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The full test suite (no internet: moto and JWKS servers run on 127.0.0.1)."""
    session.install("-e", ".", *TEST_DEPS)
    _pytest(session)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format check) and mypy --strict over the package, tests and examples."""
    session.install("-e", ".", *LINT_DEPS, *TEST_DEPS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "--strict", "cognito_jwt", "tests", "examples")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the docs site with ``--strict``: a broken link, nav entry or API reference fails."""
    session.install("-e", ".", *DOCS_DEPS)
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", *session.posargs)


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Build sdist and wheel into dist/, ``twine check`` them, then smoke-test the wheel.

    dist/ is emptied first so twine checks only what this run built.  The wheel
    is then installed (with its dependencies, from the index) into this
    session's venv and its console script run from a neutral directory, so the
    checkout cannot stand in for a missing file in the wheel.
    """
    shutil.rmtree("dist", ignore_errors=True)
    session.install(*BUILD_DEPS)
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
