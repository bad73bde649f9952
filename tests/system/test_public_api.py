"""The public surface is exactly what ``__all__`` says, and it does not drift.

The rule itself is stated once, in docs/api.md ("The public API").  The
snapshot below makes adding or removing a name a visible decision; the check
derived from ``vars()`` makes a public name defined without an ``__all__``
entry (or the reverse) fail, whoever adds it.  Sorting is ruff's job (RUF022).
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import cognito_jwt
from cognito_jwt._exports import is_internal

ROOT = Path(__file__).resolve().parents[2]

#: The public modules docs/api.md lists, each with the names of its `__all__`.
PUBLIC_MODULES = [
    "cognito_jwt",
    "cognito_jwt.errors",
    "cognito_jwt.http",
    "cognito_jwt.authorizer",
    "cognito_jwt.revocation",
    "cognito_jwt.integrations.fastapi",
    "cognito_jwt.integrations.flask",
    "cognito_jwt.integrations.drf",
    "cognito_jwt.integrations.starlette",
    "cognito_jwt.integrations.litestar",
    "cognito_jwt.integrations.django",
    "cognito_jwt.integrations.ninja",
    "cognito_jwt.integrations.powertools",
    "cognito_jwt.testing",
    "cognito_jwt.cli",
]

EXPECTED = {
    "ANY_CLIENT",
    "AnyClient",
    "access_token_claims",
    "id_token_claims",
    "AccessDeniedError",
    "AlbJwtVerifier",
    "AlbKeyCache",
    "CognitoAccessTokenClaims",
    "CognitoIdTokenClaims",
    "CognitoJwtError",
    "CognitoJwtVerifier",
    "ConfigurationError",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_COOLDOWN",
    "DEFAULT_JWKS_CACHE",
    "DEFAULT_MAX_AGE",
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_REFRESH_AHEAD",
    "DEFAULT_STALE_IF_ERROR",
    "DEFAULT_TOTAL_TIMEOUT",
    "IDENTITY_POOL_ISSUER",
    "MIN_CACHE_CONTROL_MAX_AGE",
    "FetchedBody",
    "Report",
    "Fetcher",
    "InsufficientUserAuthenticationError",
    "InvalidAudienceError",
    "InvalidClaimError",
    "InvalidIssuerError",
    "InvalidRequestError",
    "InvalidSignatureError",
    "InvalidTokenError",
    "InvalidTokenUseError",
    "JwksCache",
    "JwksUnavailableError",
    "JwtVerifier",
    "MalformedTokenError",
    "MissingClaimError",
    "MissingGroupError",
    "MissingScopeError",
    "MultiIssuerVerifier",
    "RequestsFetcher",
    "RevocationUnavailableError",
    "TokenExpiredError",
    "TokenNotYetValidError",
    "TokenRevokedError",
    "UnknownKeyError",
    "UnsupportedAlgorithmError",
    "__version__",
    "cognito_issuers",
    "decode_unverified",
    "identity_pool_verifier",
    "strip_bearer",
}


def test_all_is_the_expected_surface_without_duplicates() -> None:
    assert set(cognito_jwt.__all__) == EXPECTED
    assert len(cognito_jwt.__all__) == len(set(cognito_jwt.__all__))
    for name in cognito_jwt.__all__:
        assert hasattr(cognito_jwt, name), name


def test_all_lists_exactly_the_public_names_the_package_defines() -> None:
    """Derived, not hand-written: every non-underscore, non-module name is in ``__all__``.

    Submodules appear in ``vars()`` once imported; which of them are public is
    the module list of docs/api.md, not this test's business.
    """
    defined = {
        name
        for name, value in vars(cognito_jwt).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert defined == set(cognito_jwt.__all__) - {"__version__"}


def test_the_re_exported_defaults_are_the_ones_the_classes_use() -> None:
    import inspect

    cache = inspect.signature(cognito_jwt.JwksCache).parameters
    fetcher = inspect.signature(cognito_jwt.RequestsFetcher).parameters
    assert cache["max_age"].default == cognito_jwt.DEFAULT_MAX_AGE
    assert cache["cooldown"].default == cognito_jwt.DEFAULT_COOLDOWN
    assert cache["stale_if_error"].default == cognito_jwt.DEFAULT_STALE_IF_ERROR
    assert cache["max_backoff"].default == cognito_jwt.DEFAULT_MAX_BACKOFF
    assert cache["refresh_ahead"].default == cognito_jwt.DEFAULT_REFRESH_AHEAD
    assert fetcher["connect_timeout"].default == cognito_jwt.DEFAULT_CONNECT_TIMEOUT
    assert fetcher["read_timeout"].default == cognito_jwt.DEFAULT_READ_TIMEOUT
    assert fetcher["total_timeout"].default == cognito_jwt.DEFAULT_TOTAL_TIMEOUT
    assert fetcher["max_bytes"].default == cognito_jwt.DEFAULT_MAX_BYTES


def test_importing_the_package_pulls_in_no_framework_or_http_client() -> None:
    code = (
        "import sys, cognito_jwt; "
        "bad = [m for m in ('requests', 'jwt', 'fastapi', 'flask', 'django', 'boto3') "
        "if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_public_modules_are_the_ones_docs_api_lists() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    rule = text[text.index("## The public API") : text.index("Everything else is internal")]
    listed = set(re.findall(r"`(cognito_jwt(?:\.[a-z]\w*)*)`", rule))
    assert listed == set(PUBLIC_MODULES)


def _exported() -> list[tuple[str, str]]:
    from django.conf import settings
    from integration_support import configure_django

    if not settings.configured:  # django-ninja reads Django's settings when imported
        configure_django(__name__)
    found = []
    for module in PUBLIC_MODULES:
        for name in importlib.import_module(module).__all__:
            found.append((module, name))
    return found


@pytest.mark.parametrize(("module", "name"), _exported())
def test_every_exported_class_and_function_names_a_public_home(module: str, name: str) -> None:
    """`__module__` is a public module that exports the name, never `cognito_jwt._x`."""
    value = getattr(importlib.import_module(module), name)
    if not isinstance(value, type | types.FunctionType):
        return  # a constant or a type alias has no `__module__` of its own
    home = value.__module__
    assert not is_internal(home), f"{module}.{name} reports {home}"
    assert home in PUBLIC_MODULES, f"{module}.{name} reports {home}"
    assert name in importlib.import_module(home).__all__
    assert getattr(importlib.import_module(home), value.__qualname__) is value


def test_the_rehomed_names_read_as_users_import_them() -> None:
    from cognito_jwt.authorizer import make_handler
    from cognito_jwt.testing import FakeAlb

    assert repr(cognito_jwt.CognitoJwtVerifier) == "<class 'cognito_jwt.CognitoJwtVerifier'>"
    assert cognito_jwt.JwksCache.__module__ == "cognito_jwt"
    assert cognito_jwt.TokenExpiredError.__module__ == "cognito_jwt.errors"  # its documented home
    assert make_handler.__module__ == "cognito_jwt.authorizer"
    assert FakeAlb.__module__ == "cognito_jwt.testing"
