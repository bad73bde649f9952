"""The built wheel, not the checkout, is what users get: test that artefact.

A file missing from the wheel (``py.typed``, a submodule), a wrong entry point
or an undeclared dependency all pass every test run from the source tree.  So
the wheel is built, installed into a fresh venv, and used from a directory in
which the checkout is not importable.

To stay fast and work offline the venv gets the wheel with ``--no-deps`` and
sees the running interpreter's site-packages through a ``.pth`` line for the
dependencies; the wheel's declared ``Requires-Dist`` is then checked against
what is importable, so an undeclared dependency still fails.  (``nox -s
build`` does the full online install.)  Set ``COGNITO_JWT_WHEEL`` to test an
already built wheel instead of building one.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import site
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import pytest

import cognito_jwt
from cognito_jwt.testing import FakeCognitoPool

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_DEPS = {"cryptography", "requests", "urllib3"}
#: Building a wheel and a venv takes ~10 s; ``-m "not slow"`` skips it locally.
#: ``nox -s build`` runs these against the wheel it built, and the ``tests``
#: session deselects them (``-m "not wheel"``), so CI builds one wheel.


def _changelog_versions() -> list[str]:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return re.findall(r"^## \[(\d+\.\d+\.\d+[^\]]*)\]", text, flags=re.MULTILINE)


def test_changelog_top_release_is_the_package_version() -> None:
    """A release without its changelog entry (or the reverse) is caught before tagging."""
    versions = _changelog_versions()
    assert versions, "CHANGELOG.md has no '## [X.Y.Z] - date' release heading"
    assert versions[0] == cognito_jwt.__version__


def test_changelog_follows_keep_a_changelog() -> None:
    """An Unreleased section on top and dated releases, as Keep a Changelog asks."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings[0] == "[Unreleased]"
    for heading in headings[1:]:
        assert re.fullmatch(r"\[\d+\.\d+\.\d+\S*\] - \d{4}-\d{2}-\d{2}", heading), heading


def test_version_is_single_sourced() -> None:
    """pyproject reads the version from _version.py; nothing else may hard-code it."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'path = "cognito_jwt/_version.py"' in pyproject
    from cognito_jwt._version import __version__

    assert cognito_jwt.__version__ == __version__


# --------------------------------------------------------------------------- the wheel


@dataclass(frozen=True)
class Installed:
    """A fresh venv holding only the wheel (dependencies seen through a .pth)."""

    wheel: Path
    python: Path
    script: Path
    workdir: Path

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        # A clean environment: no PYTHONPATH pointing back at the checkout.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        return subprocess.run(
            args,
            cwd=self.workdir,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def _build_wheel(outdir: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(outdir)]
    if find_spec("hatchling") is not None:
        # Offline when the backend is already here; otherwise pip fetches it.
        cmd.append("--no-build-isolation")
    subprocess.run([*cmd, str(ROOT)], check=True, timeout=300)
    (wheel,) = outdir.glob("cognito_jwt-*.whl")
    return wheel


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("packaging")
    given = os.environ.get("COGNITO_JWT_WHEEL")
    wheel = Path(given) if given else _build_wheel(base / "dist")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = _bin(venv, "python")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=120,
    )
    # Dependencies come from this interpreter's environment.  Plain path lines
    # in a .pth do not process that environment's own .pth files, so an
    # editable install of the checkout living there stays invisible.
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    parents = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    parents.update(site.getsitepackages())
    parents.update(p for p in sys.path if Path(p).name in ("site-packages", "dist-packages"))
    (Path(purelib) / "_parent_env.pth").write_text("\n".join(sorted(parents)) + "\n")
    workdir = base / "work"
    workdir.mkdir()
    return Installed(wheel, python, _bin(venv, "cognito-jwt"), workdir)


@pytest.mark.slow
@pytest.mark.wheel
def test_wheel_contents(installed: Installed) -> None:
    """py.typed, the CLI and __main__ ship; tests and docs do not."""
    with zipfile.ZipFile(installed.wheel) as zf:
        names = set(zf.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(f"{dist_info}/METADATA").decode()
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
    assert "cognito_jwt/py.typed" in names
    assert {"cognito_jwt/__init__.py", "cognito_jwt/cli.py", "cognito_jwt/__main__.py"} <= names
    assert not any(n.startswith(("tests/", "docs/", "examples/")) for n in names)
    assert f"Version: {cognito_jwt.__version__}" in metadata
    assert "Requires-Python: >=3.11" in metadata
    assert "cognito-jwt = cognito_jwt.cli:main" in entry_points


@pytest.mark.slow
@pytest.mark.wheel
def test_installed_package_is_the_wheel(installed: Installed) -> None:
    """The venv imports the wheel's copy (with py.typed beside it), not the checkout."""
    code = (
        "import json, pathlib, cognito_jwt; p = pathlib.Path(cognito_jwt.__file__).parent; "
        "print(json.dumps([str(p), (p / 'py.typed').is_file(), cognito_jwt.__version__]))"
    )
    proc = installed.run(str(installed.python), "-c", code)
    assert proc.returncode == 0, proc.stderr
    location, has_py_typed, version = json.loads(proc.stdout)
    assert Path(location).is_relative_to(installed.python.parent.parent)
    assert not Path(location).is_relative_to(ROOT)
    assert has_py_typed is True
    assert version == cognito_jwt.__version__


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(metadata: str) -> set[str]:
    """Names of the unconditional ``Requires-Dist`` entries (extras excluded)."""
    names = set()
    for line in metadata.splitlines():
        if line.startswith("Requires-Dist:") and "extra ==" not in line:
            spec = line.removeprefix("Requires-Dist:").strip()
            names.add(_canonical(re.split(r"[ ;<>=!~\[(]", spec, maxsplit=1)[0]))
    return names


@pytest.mark.slow
@pytest.mark.wheel
def test_every_import_of_the_core_is_a_declared_dependency(installed: Installed) -> None:
    """Each third-party module the core imports (lazily too) comes from a Requires-Dist.

    ``integrations/`` is left out: its imports belong to the optional extras.
    """
    with zipfile.ZipFile(installed.wheel) as zf:
        names = zf.namelist()
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        sources = [
            zf.read(n)
            for n in names
            if n.endswith(".py") and not n.startswith("cognito_jwt/integrations/")
        ]
    imported: set[str] = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"cognito_jwt"}
    providers = importlib.metadata.packages_distributions()
    needed = {_canonical(dist) for module in third_party for dist in providers[module]}
    declared = _requirement_names(metadata)
    assert declared == RUNTIME_DEPS, f"runtime dependencies: {sorted(declared)}"
    assert needed <= declared, f"imported but not declared: {sorted(needed - declared)}"


@pytest.mark.slow
@pytest.mark.wheel
def test_declared_dependencies_resolve_in_the_venv(installed: Installed) -> None:
    """Every unconditional Requires-Dist is installed where the wheel runs."""
    code = (
        "import json, importlib.metadata as m; "
        "reqs = [r for r in m.requires('cognito-jwt') or [] if 'extra ==' not in r]; "
        "print(json.dumps(reqs))"
    )
    proc = installed.run(str(installed.python), "-c", code)
    assert proc.returncode == 0, proc.stderr
    for requirement in json.loads(proc.stdout):
        name = re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0]
        check = installed.run(
            str(installed.python), "-c", f"import importlib.metadata as m; m.version({name!r})"
        )
        assert check.returncode == 0, f"{requirement}: {check.stderr}"


@pytest.mark.slow
@pytest.mark.wheel
def test_console_script_help(installed: Installed) -> None:
    proc = installed.run(str(installed.script), "--help")
    assert proc.returncode == 0, proc.stderr
    assert "usage: cognito-jwt" in proc.stdout
    for command in ("decode", "verify", "jwks"):
        assert command in proc.stdout
    assert "exit codes:" in proc.stdout


@pytest.mark.slow
@pytest.mark.wheel
def test_console_script_verifies_against_static_jwks(installed: Installed) -> None:
    """The installed command verifies a real signed token offline, from stdin."""
    pool = FakeCognitoPool()
    jwks = installed.workdir / "jwks.json"
    jwks.write_text(pool.jwks_json, encoding="utf-8")
    token = pool.id_token(groups=["admin"])
    args = [
        str(installed.script),
        "verify",
        "--user-pool-id",
        pool.user_pool_id,
        "--token-use",
        "id",
        "--client-id",
        pool.client_id,
        "--jwks-file",
        str(jwks),
        "--group",
        "admin",
    ]
    proc = installed.run(*args, stdin=f"Authorization: Bearer {token}\n")
    assert proc.returncode == 0, proc.stderr
    claims = json.loads(proc.stdout)
    assert claims["token_use"] == "id"
    assert claims["iss"] == pool.issuer
    assert token not in proc.stdout + proc.stderr

    expired = pool.id_token(expires_in=-3600)
    proc = installed.run(*args, expired)
    assert proc.returncode == 3
    assert "TokenExpiredError" in proc.stderr
    assert "token_expired" in proc.stderr
