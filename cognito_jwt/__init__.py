"""cognito_jwt: verify Amazon Cognito User Pool JWTs, strictly and fast.

Examples:
    >>> from cognito_jwt import CognitoJwtVerifier
    >>> verifier = CognitoJwtVerifier(
    ...     user_pool_id="us-east-1_AbCdEf123", token_use="access", client_id="app-client-id"
    ... )
    >>> # claims = verifier.verify(token)   # dict of claims, or a CognitoJwtError

What is public is stated once, in docs/api.md ("The public API"): every name
in this module's `__all__`, and the `__all__` of the public modules named there.
"""

import typing as _typing

from cognito_jwt._alb import AlbJwtVerifier
from cognito_jwt._alb_keys import AlbKeyCache
from cognito_jwt._claim_types import CognitoAccessTokenClaims, CognitoIdTokenClaims
from cognito_jwt._cognito import CognitoJwtVerifier, cognito_issuers
from cognito_jwt._exports import rehome as _rehome
from cognito_jwt._fetch import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_BYTES,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_TOTAL_TIMEOUT,
    FetchedBody,
    Fetcher,
    RequestsFetcher,
)
from cognito_jwt._identity_pool import IDENTITY_POOL_ISSUER, identity_pool_verifier
from cognito_jwt._issuer_settings import ANY_CLIENT, AnyClient
from cognito_jwt._jwks import (
    DEFAULT_COOLDOWN,
    DEFAULT_JWKS_CACHE,
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_BACKOFF,
    DEFAULT_REFRESH_AHEAD,
    DEFAULT_STALE_IF_ERROR,
    MIN_CACHE_CONTROL_MAX_AGE,
    JwksCache,
)
from cognito_jwt._jwt_verifier import JwtVerifier
from cognito_jwt._multi_issuer import MultiIssuerVerifier
from cognito_jwt._reports import Report
from cognito_jwt._token import decode_unverified, strip_bearer
from cognito_jwt._typed_claims import access_token_claims, id_token_claims
from cognito_jwt._version import __version__
from cognito_jwt.errors import (
    AccessDeniedError,
    CognitoJwtError,
    ConfigurationError,
    InsufficientUserAuthenticationError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuerError,
    InvalidRequestError,
    InvalidSignatureError,
    InvalidTokenError,
    InvalidTokenUseError,
    JwksUnavailableError,
    MalformedTokenError,
    MissingClaimError,
    MissingGroupError,
    MissingScopeError,
    RevocationUnavailableError,
    TokenExpiredError,
    TokenNotYetValidError,
    TokenRevokedError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
)

__all__ = [
    "ANY_CLIENT",
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
    "AccessDeniedError",
    "AlbJwtVerifier",
    "AlbKeyCache",
    "AnyClient",
    "CognitoAccessTokenClaims",
    "CognitoIdTokenClaims",
    "CognitoJwtError",
    "CognitoJwtVerifier",
    "ConfigurationError",
    "FetchedBody",
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
    "Report",
    "RequestsFetcher",
    "RevocationUnavailableError",
    "TokenExpiredError",
    "TokenNotYetValidError",
    "TokenRevokedError",
    "UnknownKeyError",
    "UnsupportedAlgorithmError",
    "__version__",
    "access_token_claims",
    "cognito_issuers",
    "decode_unverified",
    "id_token_claims",
    "identity_pool_verifier",
    "strip_bearer",
]

_rehome(__name__, globals(), __all__)

if _typing.TYPE_CHECKING:
    #: Deprecated: the old name of `Report` (importing it warns at run time).
    Event = Report
else:

    def __getattr__(name: str) -> _typing.Any:
        """`cognito_jwt.Event`, the deprecated name of `Report`, with a `DeprecationWarning`."""
        if name == "Event":
            import warnings

            warnings.warn(
                "cognito_jwt.Event is deprecated; use cognito_jwt.Report (the same class)",
                DeprecationWarning,
                stacklevel=2,
            )
            return Report
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
