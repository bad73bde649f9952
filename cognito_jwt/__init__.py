"""cognito_jwt: verify Amazon Cognito User Pool JWTs, strictly and fast.

Examples:
    >>> from cognito_jwt import CognitoJwtVerifier
    >>> verifier = CognitoJwtVerifier(
    ...     user_pool_id="us-east-1_AbCdEf123", token_use="access", client_id="app-client-id"
    ... )
    >>> # claims = verifier.verify(token)   # dict of claims, or a CognitoJwtError

Everything importable from this module is public API; every other module is
an implementation detail and may change without notice.
"""

from cognito_jwt._cognito import CognitoJwtVerifier, cognito_issuers
from cognito_jwt._version import __version__
from cognito_jwt.claims import CognitoAccessTokenClaims, CognitoIdTokenClaims
from cognito_jwt.errors import (
    AccessDeniedError,
    CognitoJwtError,
    ConfigurationError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenError,
    InvalidTokenUseError,
    JwksUnavailableError,
    MalformedTokenError,
    MissingClaimError,
    MissingGroupError,
    MissingScopeError,
    TokenExpiredError,
    TokenNotYetValidError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
)
from cognito_jwt.fetch import Fetcher, RequestsFetcher
from cognito_jwt.jwks import DEFAULT_JWKS_CACHE, JwksCache
from cognito_jwt.token import decode_unverified, strip_bearer
from cognito_jwt.verifier import JwtVerifier, MultiIssuerVerifier

__all__ = [
    "DEFAULT_JWKS_CACHE",
    "AccessDeniedError",
    "CognitoAccessTokenClaims",
    "CognitoIdTokenClaims",
    "CognitoJwtError",
    "CognitoJwtVerifier",
    "ConfigurationError",
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
]
