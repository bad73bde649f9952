"""Live checks: ask Cognito itself whether an access token's session still stands.

Cognito refuses a signed-out, revoked, disabled or deleted user's access
token in its own token-authorized operations, so asking it is the one check
that needs no list: `GetUserCheck` calls `GetUser` with the token (tokens
carrying the `aws.cognito.signin.user.admin` scope), `UserInfoCheck` calls
the user pool domain's `/oauth2/userInfo` (tokens with the `openid` scope).

Only access tokens can be checked: an ID token is not accepted by either
call, and a machine-to-machine (client credentials) token carries neither
scope, so a verifier with `token_use` other than `"access"` is refused at
construction and a token without the scope is refused (401
`revocation_not_checkable`) rather than passed unchecked.

Each answer is cached per token ("revoked" until `exp`, "active" for
`cache_ttl`); concurrent checks of one token share one call (single flight);
calls are bounded per process (`max_calls_per_second`), because `GetUser`
draws on the account's per-Region request-rate quota shared by every app of
the account.  An unanswered call, an error other than "not authorized", or
the rate bound is `RevocationUnavailableError` (503) unless `fail_open=True`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cognito_jwt._revocation import DEFAULT_CACHE_TTL, IssuerFacts
from cognito_jwt.errors import ConfigurationError
from cognito_jwt.revocation._live_base import DEFAULT_MAX_CALLS_PER_SECOND, _LiveCheck, unavailable

__all__ = ["DEFAULT_MAX_CALLS_PER_SECOND", "GetUserCheck", "UserInfoCheck"]

ADMIN_SCOPE = "aws.cognito.signin.user.admin"


class GetUserCheck(_LiveCheck):
    """Ask Cognito's `GetUser` with the access token: refused once the session ended.

    Catches `GlobalSignOut`, `AdminUserGlobalSignOut`, `RevokeToken`, and
    disabled or deleted users, with nothing for the application to write.
    Tokens must carry the `aws.cognito.signin.user.admin` scope.

    Args:
        client: a boto3 `cognito-idp` client in the user pool's region (give
            it short timeouts: `botocore.config.Config(connect_timeout=1,
            read_timeout=2, retries={"max_attempts": 2})`).
        cache_ttl: seconds an "active" answer is reused, in (0, 60]; default 5.
        max_calls_per_second: calls per process per second; default 10.
        fail_open: accept a token when Cognito cannot be asked (reported to
            the verifier's hook) instead of answering 503.
        clock: epoch seconds (tests).

    Raises:
        ConfigurationError: a setting is invalid.

    Examples:
        >>> import boto3
        >>> from cognito_jwt.revocation import GetUserCheck
        >>> check = GetUserCheck(boto3.client("cognito-idp", region_name="us-east-1"))
        >>> # CognitoJwtVerifier(..., token_use="access", revocation=check)
    """

    scope = ADMIN_SCOPE
    call = "GetUser"

    def __init__(
        self,
        client: Any,
        *,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        max_calls_per_second: float = DEFAULT_MAX_CALLS_PER_SECOND,
        fail_open: bool = False,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not callable(getattr(client, "get_user", None)):
            raise ConfigurationError(
                f"client: expected a boto3 cognito-idp client, found {type(client).__name__}"
            )
        super().__init__(
            cache_ttl=cache_ttl,
            max_calls_per_second=max_calls_per_second,
            fail_open=fail_open,
            clock=clock,
        )
        self.client = client

    def _accept_pool(self, facts: IssuerFacts) -> None:
        region = getattr(getattr(self.client, "meta", None), "region_name", None)
        pool_region = (facts.user_pool_id or "").partition("_")[0]
        if region is not None and region != pool_region:
            raise ConfigurationError(
                f"client: expected a cognito-idp client in {pool_region} (the region of pool "
                f"{facts.user_pool_id}), found one in {region}"
            )

    def _revoked_by_cognito(self, token: str) -> bool:
        try:
            self.client.get_user(AccessToken=token)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code in ("NotAuthorizedException", "UserNotFoundException"):
                return True
            raise
        return False


class UserInfoCheck(_LiveCheck):
    """Ask the user pool domain's `/oauth2/userInfo` with the access token.

    For tokens from the OAuth endpoints (they carry `openid`; tokens from
    `InitiateAuth` carry no scope the endpoint accepts).  A 200 means active,
    a 401 (RFC 6750 `invalid_token`, as OpenID Connect's UserInfo errors
    are) revoked; any other answer is unknown (503 unless fail-open).

    Args:
        domain: the user pool domain, `https://<prefix>.auth.<region>.amazoncognito.com`
            or your custom domain; https only (plain http only on a loopback
            address, for tests).
        session: a `requests.Session` (default: a new one).
        timeout: seconds for the whole call; default 2.
        cache_ttl: as for `GetUserCheck`.
        max_calls_per_second: as for `GetUserCheck`.
        fail_open: as for `GetUserCheck`.
        clock: as for `GetUserCheck`.

    Raises:
        ConfigurationError: a setting is invalid.

    Examples:
        >>> from cognito_jwt.revocation import UserInfoCheck
        >>> check = UserInfoCheck("https://example.auth.us-east-1.amazoncognito.com")
    """

    scope = "openid"
    call = "userInfo"

    def __init__(
        self,
        domain: str,
        *,
        session: Any = None,
        timeout: float = 2.0,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        max_calls_per_second: float = DEFAULT_MAX_CALLS_PER_SECOND,
        fail_open: bool = False,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.url = _userinfo_url(domain)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not 0 < timeout <= 30
        ):
            raise ConfigurationError(f"timeout: expected seconds > 0, found {timeout!r}")
        super().__init__(
            cache_ttl=cache_ttl,
            max_calls_per_second=max_calls_per_second,
            fail_open=fail_open,
            clock=clock,
        )
        self.timeout = float(timeout)
        self._session = session

    def _revoked_by_cognito(self, token: str) -> bool:
        if self._session is None:
            import requests

            self._session = requests.Session()
        response = self._session.get(
            self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=self.timeout,
            allow_redirects=False,
        )
        status = response.status_code
        if status == 200:
            return False
        if status == 401:
            return True
        raise unavailable(f"userInfo: expected 200 or 401, found {status}")


def _userinfo_url(domain: object) -> str:
    """`<domain>/oauth2/userInfo`, https only (http only for a loopback host).

    Raises:
        ConfigurationError: not an absolute https URL of a host without path.
    """
    from urllib.parse import urlsplit

    if not isinstance(domain, str) or not domain:
        raise ConfigurationError(
            f"domain: expected the user pool domain URL (https://...), found {domain!r}"
        )
    parts = urlsplit(domain.rstrip("/"))
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ConfigurationError(
            f"domain: expected an https URL (a token is sent there), found {domain!r}"
        )
    if not parts.hostname or parts.path or parts.query or parts.fragment:
        raise ConfigurationError(
            f"domain: expected scheme and host only (the path is /oauth2/userInfo), "
            f"found {domain!r}"
        )
    return f"{parts.scheme}://{parts.netloc}/oauth2/userInfo"
