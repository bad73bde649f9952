"""Each framework adapter is an optional extra: nothing of a framework loads until its module does.

Checked in fresh interpreters (`sys.modules`), so what another test imported
cannot hide a stray import.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from integration_support import printed_after_importing_cognito_jwt

ROOT = Path(__file__).resolve().parents[2]

#: Adapter module -> (its extra, the top-level packages it may load, its requirement).
ADAPTERS = {
    "starlette": ("starlette", {"starlette"}, "starlette"),
    "litestar": ("litestar", {"litestar"}, "litestar>=2,<3"),
    "django": ("django", {"django"}, "django"),
    "ninja": ("ninja", {"django", "ninja"}, "django-ninja"),
    "powertools": ("powertools", {"aws_lambda_powertools"}, "aws-lambda-powertools"),
}
FRAMEWORKS = sorted(set().union(*(packages for _, packages, _ in ADAPTERS.values())))
#: ninja reads Django's settings when imported; a project has them, the check needs some.
_DJANGO_SETTINGS = (
    "import django; from django.conf import settings; settings.configure(); django.setup(); "
)


def _loaded(code: str) -> set[str]:
    probe = f"{code}; import sys; print(' '.join(n for n in {FRAMEWORKS!r} if n in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_importing_cognito_jwt_loads_no_framework() -> None:
    loaded = printed_after_importing_cognito_jwt(f"[n for n in {FRAMEWORKS!r} if n in sys.modules]")
    assert loaded == "[]"
    assert _loaded("import cognito_jwt.http, cognito_jwt.integrations") == set()


@pytest.mark.parametrize("module", ADAPTERS)
def test_an_adapter_loads_its_own_framework_only(module: str) -> None:
    pytest.importorskip(next(iter(sorted(ADAPTERS[module][1]))))
    setup = _DJANGO_SETTINGS if module == "ninja" else ""
    loaded = _loaded(f"{setup}import cognito_jwt.integrations.{module}")
    assert loaded == ADAPTERS[module][1]


@pytest.mark.parametrize("module", ADAPTERS)
def test_an_adapter_without_its_framework_names_the_extra(module: str) -> None:
    extra, packages, _ = ADAPTERS[module]
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in sorted(packages))
    code = f"import sys; {blocked}; import cognito_jwt.integrations.{module}"
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert f'pip install "cognito-jwt[{extra}]"' in result.stderr


@pytest.mark.parametrize("module", ADAPTERS)
def test_each_adapter_is_an_extra_of_the_package(module: str) -> None:
    extra, _, requirement = ADAPTERS[module]
    with open(ROOT / "pyproject.toml", "rb") as f:
        extras = tomllib.load(f)["project"]["optional-dependencies"]
    assert any(dependency.startswith(requirement) for dependency in extras[extra]), extras[extra]
