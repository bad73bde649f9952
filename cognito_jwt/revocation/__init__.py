"""Revocation: refuse a token whose session ended, though its signature and `exp` still pass.

A Cognito token keeps verifying after its user signed out everywhere, after
the app revoked its refresh token, after an admin disabled or deleted the
user: Cognito's documentation says revoked tokens "will still be valid if
they are verified using any JWT library".  A verifier built with
`revocation=` also asks one of these, on every accepted token (token-cache
hits included), and refuses with `TokenRevokedError` (401, `token_revoked`):

* `RevocationList`: entries the application writes when it ends a session,
  on a store the fleet already runs (`MemoryStore`, `DynamoDbStore`,
  `RedisStore`, or any `RevocationStore`);
* `GetUserCheck` / `UserInfoCheck`: a live question to Cognito, for access tokens.

What cannot work is refused when the verifier is built; an outage is a 503
(`RevocationUnavailableError`) unless the mechanism was built `fail_open=True`.
docs/revocation.md has the model, the table schema and the time windows.

Examples:
    >>> from cognito_jwt import CognitoJwtVerifier
    >>> from cognito_jwt.revocation import MemoryStore, RevocationList
    >>> revocations = RevocationList(MemoryStore())
    >>> verifier = CognitoJwtVerifier(
    ...     user_pool_id="us-east-1_AbC123", token_use="access", client_id="app",
    ...     revocation=revocations,
    ... )
"""

from cognito_jwt._exports import rehome as _rehome
from cognito_jwt._revocation import (
    COGNITO_MAX_TOKEN_LIFETIME,
    DEFAULT_CACHE_TTL,
    MAX_CACHE_TTL,
    IssuerFacts,
    Revocation,
)
from cognito_jwt.revocation._dynamodb import DynamoDbStore
from cognito_jwt.revocation._list import DEFAULT_CUTOFF_LEEWAY, RevocationList
from cognito_jwt.revocation._live import DEFAULT_MAX_CALLS_PER_SECOND, GetUserCheck, UserInfoCheck
from cognito_jwt.revocation._redis import DEFAULT_REDIS_PREFIX, RedisStore
from cognito_jwt.revocation._store import AsyncRevocationStore, MemoryStore, RevocationStore

__all__ = [
    "COGNITO_MAX_TOKEN_LIFETIME",
    "DEFAULT_CACHE_TTL",
    "DEFAULT_CUTOFF_LEEWAY",
    "DEFAULT_MAX_CALLS_PER_SECOND",
    "DEFAULT_REDIS_PREFIX",
    "MAX_CACHE_TTL",
    "AsyncRevocationStore",
    "DynamoDbStore",
    "GetUserCheck",
    "IssuerFacts",
    "MemoryStore",
    "RedisStore",
    "Revocation",
    "RevocationList",
    "RevocationStore",
    "UserInfoCheck",
]

_rehome(__name__, globals(), __all__)
