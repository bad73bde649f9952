"""The public surface is exactly what ``__all__`` says, and it does not drift."""

from __future__ import annotations

import subprocess
import sys

import cognito_jwt
from cognito_jwt import errors

EXPECTED = {
    "AccessDeniedError",
    "AlbJwtVerifier",
    "AlbKeyCache",
    "CognitoAccessTokenClaims",
    "CognitoIdTokenClaims",
    "CognitoJwtError",
    "CognitoJwtVerifier",
    "ConfigurationError",
    "DEFAULT_JWKS_CACHE",
    "Event",
    "Fetcher",
    "InvalidAudienceError",
    "InvalidClaimError",
    "InvalidIssuerError",
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
    "TokenExpiredError",
    "TokenNotYetValidError",
    "UnknownKeyError",
    "UnsupportedAlgorithmError",
    "__version__",
    "cognito_issuers",
    "decode_unverified",
    "strip_bearer",
}


def test_all_is_the_expected_sorted_surface() -> None:
    assert set(cognito_jwt.__all__) == EXPECTED
    assert list(cognito_jwt.__all__) == sorted(
        cognito_jwt.__all__, key=lambda n: (n.lower(), n)
    ) or len(cognito_jwt.__all__) == len(set(cognito_jwt.__all__))
    for name in cognito_jwt.__all__:
        assert hasattr(cognito_jwt, name), name


def test_every_error_is_exported_and_documents_its_status() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert getattr(cognito_jwt, name) is cls
        assert issubclass(cls, errors.CognitoJwtError)
        assert cls.status_code in (401, 403, 500, 503)
        assert cls.default_reason
        assert cls.__doc__
        assert name in (errors.__doc__ or "")


def test_importing_the_package_pulls_in_no_framework_or_http_client() -> None:
    code = (
        "import sys, cognito_jwt; "
        "bad = [m for m in ('requests', 'jwt', 'fastapi', 'flask', 'django', 'boto3') "
        "if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
