"""Amazon Cognito on top of the generic verifier: pool ids, issuer forms, `CognitoJwtVerifier`.

What is Cognito-specific lives here: how a user pool id names its region, the
issuer forms Cognito puts in `iss` (with the DNS suffix of the region's AWS
partition, from `_partitions.py`), and the rules of its tokens (`token_use`
decides whether `aud` or `client_id` names the app client, and `resource`
binds access tokens to a resource server).  Everything else is the generic
request path of `_verifier.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, overload

from cognito_jwt import _reports
from cognito_jwt._claims import DEFAULT_IAT_NBF_LEEWAY, TokenUse
from cognito_jwt._fetch import Fetcher
from cognito_jwt._issuer import _CognitoRules, _new_issuer
from cognito_jwt._issuer_settings import (
    _REQUIRED,
    AnyClient,
    CustomCheck,
    CustomCheckAsync,
    _settings,
    _string_set,
    any_client,
)
from cognito_jwt._jwks import JwksCache
from cognito_jwt._partitions import dns_suffix
from cognito_jwt._revocation import COGNITO_MAX_TOKEN_LIFETIME, IssuerFacts, Revocation
from cognito_jwt._step_up import step_up_rule
from cognito_jwt._token import DEFAULT_MAX_TOKEN_LENGTH
from cognito_jwt._token_cache import DEFAULT_CACHE_SIZE
from cognito_jwt._verifier import _VerifierBase
from cognito_jwt.errors import ConfigurationError, shown

__all__ = ["CognitoJwtVerifier", "cognito_issuers"]

_REGION = r"[a-z]{2,}(?:-[a-z0-9]+)+"
#: `<region>_<id>`, e.g. `us-east-1_AbC123`.
_POOL_ID_RE = re.compile(rf"(?P<region>{_REGION})_[A-Za-z0-9]+")
_REGION_RE = re.compile(_REGION)


def _pool_region(user_pool_id: str) -> str:
    """The region part of a `<region>_<id>` pool id.

    Raises:
        ConfigurationError: `user_pool_id` is not `<region>_<id>`.
    """
    match = _POOL_ID_RE.fullmatch(user_pool_id) if isinstance(user_pool_id, str) else None
    if match is None:
        raise ConfigurationError(
            f"user_pool_id: expected '<region>_<id>' such as 'us-east-1_AbC123', "
            f"found {shown(user_pool_id)}"
        )
    return match["region"]


def cognito_issuers(user_pool_id: str, additional_regions: Sequence[str] = ()) -> tuple[str, ...]:
    """Every `iss` value Cognito may put in a token of `user_pool_id`.

    Cognito issues `https://cognito-idp.<region>.amazonaws.com/<pool>` and,
    for newer and multi-region pools, `https://issuer-cognito-idp.<region>...`.
    With Multi-Region Replication the classic form may carry a replica region,
    listed in `additional_regions`.

    Raises:
        ConfigurationError: `user_pool_id` is not `<region>_<id>`, or its
            region is in a partition whose issuer cannot be derived (the
            isolated `us-iso-`/`us-isob-`/`eu-isoe-`/`us-isof-` regions,
            or an unknown one): pass `issuer=` to `CognitoJwtVerifier`.

    Examples:
        >>> cognito_issuers("us-east-1_AbC123")[0]
        'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123'
    """
    region = _pool_region(user_pool_id)
    suffix = dns_suffix(region)
    issuers = [
        f"https://cognito-idp.{region}.{suffix}/{user_pool_id}",
        f"https://issuer-cognito-idp.{region}.{suffix}/{user_pool_id}",
    ]
    for extra in additional_regions:
        if not isinstance(extra, str) or not _REGION_RE.fullmatch(extra):
            raise ConfigurationError(f"additional_regions: expected region names, found {extra!r}")
        issuers.append(f"https://cognito-idp.{extra}.{dns_suffix(extra)}/{user_pool_id}")
    return tuple(dict.fromkeys(issuers))


class CognitoJwtVerifier(_VerifierBase):
    """Verifies ID and access tokens of one Amazon Cognito user pool.

    `token_use` and `client_id` are required: pass `token_use=None` or
    `client_id=ANY_CLIENT` to skip a check on purpose, so that loosening is
    always visible in the caller's code.

    Args:
        user_pool_id: e.g. `"us-east-1_AbCdEf123"`; the issuer and JWKS URI
            follow from it.
        token_use: `"id"`, `"access"`, or `None` for either.
        client_id: the app client id(s) allowed in `aud` (ID tokens) or
            `client_id` (access tokens), or `ANY_CLIENT` for any client.
            `None` is deprecated (it still means any client, with a
            `DeprecationWarning`): `os.environ.get("CLIENT_ID")` gives `None`
            when the variable is missing, which would silently open the
            check, so type checkers refuse `None` and `str | None` here.
        groups: `cognito:groups` required (any one, or all with
            `require_all_groups`); missing → 403.
        scopes: OAuth scopes required in `scope` (any, or all with
            `require_all_scopes`); missing → 403.  Only access tokens carry
            scopes, so `token_use="id"` with `scopes` is refused.
        acr_values: the `acr` values accepted (step-up authentication), in
            the order of preference the RFC 9470 challenge lists them; a
            token without `acr`, or with another value, gets 401
            `insufficient_user_authentication`.
        min_acr_level: the weakest of Cognito's default authentication levels
            accepted, `1`-`4` or `"urn:cognito:loa:N"`; the stronger ones
            pass too.  Only for pools that keep the default level names (a
            pool that renames them lists its names in `acr_values`).
        max_auth_age: the oldest sign-in accepted, in seconds: `now -
            auth_time` by `clock`, checked on every token-cache hit too; a
            token without `auth_time` gets 401
            `insufficient_user_authentication`.
        resource: resource server identifier(s) of which an access token's
            `aud` must hold one (RFC 8707 resource indicators), checked in
            addition to `client_id`; requires `token_use="access"`.
            `None` (the default) checks no `aud` in access tokens.
        leeway: seconds of clock skew tolerated on `exp` (and at least as
            much on `nbf`/`iat`); default 0, so a token is refused the
            moment it expires.
        iat_nbf_leeway: seconds this host's clock may lag the issuer's on
            `iat`/`nbf`; default 60.  A future `iat` grants nothing,
            a late `exp` does, so only this side is tolerant by default.
        custom_check: `f(header, claims)`, run last; raise or return `False`
            to reject.
        issuer: accept this `iss` instead of the Cognito forms (rarely needed).
        jwks_uri: fetch keys here instead (e.g. a local emulator).
        additional_regions: replica regions of a multi-region pool.
        jwks: a JWKS document to use instead of fetching (offline, bundled).
        jwks_cache: a `JwksCache` to use instead of the shared default.
        fetcher: a custom `Fetcher` (gets a private cache).
        session: a `requests.Session` for the default fetcher.
        allow_http: permit a plain-http `jwks_uri` (local emulators only).
        clock: returns the current epoch seconds (tests, replays).
        max_token_length: size cap in characters.
        include_claims_in_errors: attach verified claims to claim errors.
        cache_size: how many verified tokens to remember (LRU), so that a
            token seen again skips the signature check; `exp`/`nbf`, the
            key still being published and `custom_check` are re-checked on
            every hit.  `0` turns the cache off.
        custom_check_async: `async f(header, claims)`, awaited by
            `verify_async` after `custom_check` (on token-cache hits too);
            raise or return `False` to reject.  `verify()` on such a
            verifier raises `ConfigurationError`.
        revocation: a `cognito_jwt.revocation` mechanism (or a list of them)
            run last on every accepted token, cache hits included: a
            `RevocationList` the application writes, or `GetUserCheck` /
            `UserInfoCheck` (access tokens).  Revoked → `TokenRevokedError`
            (401); unknown → `RevocationUnavailableError` (503) unless built
            `fail_open=True`.  What cannot work is refused here.
        on_report: `f(report)`, told of every rejection with an immutable
            `Report` (reason, status, issuer, kid; never the token or a claim
            value).  It cannot change a result: what it raises is logged once
            and swallowed.  JWKS fetch reports come from the `JwksCache`'s own
            `on_report` (a cache made for `fetcher`/`session` gets this one).
        on_event: deprecated, the old name of `on_report`; it warns.

    Raises:
        ConfigurationError: a setting is missing or invalid.

    Examples:
        >>> verifier = CognitoJwtVerifier(
        ...     user_pool_id="us-east-1_AbCdEf123", token_use="access", client_id="abc"
        ... )
        >>> # claims = verifier.verify(token)
    """

    # The implementation gives `token_use` and `client_id` a sentinel default, so
    # that a caller without a type checker gets a ConfigurationError saying what
    # is missing; these overloads, which have no default for either, make a type
    # checker report the omission at the call instead.
    @overload
    def __init__(
        self,
        *,
        user_pool_id: str,
        token_use: TokenUse,
        client_id: str | Sequence[str] | AnyClient,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
        resource: str | Sequence[str] | None = None,
        acr_values: str | Sequence[str] | None = None,
        min_acr_level: int | str | None = None,
        max_auth_age: int | None = None,
        leeway: float = 0,
        iat_nbf_leeway: float = DEFAULT_IAT_NBF_LEEWAY,
        custom_check: CustomCheck | None = None,
        issuer: str | None = None,
        jwks_uri: str | None = None,
        additional_regions: Sequence[str] = (),
        jwks: Mapping[str, Any] | str | bytes | None = None,
        jwks_cache: JwksCache | None = None,
        fetcher: Fetcher | None = None,
        session: Any = None,
        allow_http: bool = False,
        clock: Callable[[], float] | None = None,
        max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH,
        include_claims_in_errors: bool = False,
        cache_size: int = DEFAULT_CACHE_SIZE,
        on_report: _reports.ReportHook | None = None,
        on_event: _reports.ReportHook | None = None,
        custom_check_async: CustomCheckAsync | None = None,
        revocation: Revocation | Sequence[Revocation] | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        *,
        user_pool_id: str,
        token_use: None,
        client_id: str | Sequence[str] | AnyClient,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
        resource: str | Sequence[str] | None = None,
        acr_values: str | Sequence[str] | None = None,
        min_acr_level: int | str | None = None,
        max_auth_age: int | None = None,
        leeway: float = 0,
        iat_nbf_leeway: float = DEFAULT_IAT_NBF_LEEWAY,
        custom_check: CustomCheck | None = None,
        issuer: str | None = None,
        jwks_uri: str | None = None,
        additional_regions: Sequence[str] = (),
        jwks: Mapping[str, Any] | str | bytes | None = None,
        jwks_cache: JwksCache | None = None,
        fetcher: Fetcher | None = None,
        session: Any = None,
        allow_http: bool = False,
        clock: Callable[[], float] | None = None,
        max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH,
        include_claims_in_errors: bool = False,
        cache_size: int = DEFAULT_CACHE_SIZE,
        on_report: _reports.ReportHook | None = None,
        on_event: _reports.ReportHook | None = None,
        custom_check_async: CustomCheckAsync | None = None,
        revocation: Revocation | Sequence[Revocation] | None = None,
    ) -> None: ...

    def __init__(
        self,
        *,
        user_pool_id: str,
        token_use: TokenUse | None = _REQUIRED,
        client_id: str | Sequence[str] | AnyClient | None = _REQUIRED,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
        resource: str | Sequence[str] | None = None,
        acr_values: str | Sequence[str] | None = None,
        min_acr_level: int | str | None = None,
        max_auth_age: int | None = None,
        leeway: float = 0,
        iat_nbf_leeway: float = DEFAULT_IAT_NBF_LEEWAY,
        custom_check: CustomCheck | None = None,
        issuer: str | None = None,
        jwks_uri: str | None = None,
        additional_regions: Sequence[str] = (),
        jwks: Mapping[str, Any] | str | bytes | None = None,
        jwks_cache: JwksCache | None = None,
        fetcher: Fetcher | None = None,
        session: Any = None,
        allow_http: bool = False,
        clock: Callable[[], float] | None = None,
        max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH,
        include_claims_in_errors: bool = False,
        cache_size: int = DEFAULT_CACHE_SIZE,
        on_report: _reports.ReportHook | None = None,
        on_event: _reports.ReportHook | None = None,
        custom_check_async: CustomCheckAsync | None = None,
        revocation: Revocation | Sequence[Revocation] | None = None,
    ) -> None:
        on_report = _reports.renamed(on_report, on_event)
        if token_use is _REQUIRED:
            raise ConfigurationError(
                "token_use: expected 'id' or 'access' (or None, explicitly, for either), "
                "found it missing"
            )
        if token_use not in ("id", "access", None):
            raise ConfigurationError(
                f"token_use: expected 'id', 'access' or None, found {token_use!r}"
            )
        if client_id is _REQUIRED:
            raise ConfigurationError(
                "client_id: expected the app client id(s) (or ANY_CLIENT, explicitly, for any), "
                "found it missing"
            )
        allowed_clients = any_client(client_id, "CognitoJwtVerifier")
        if scopes is not None and token_use == "id":  # noqa: S105
            raise ConfigurationError(
                "scopes: expected token_use='access' (or None): ID tokens carry no scope claim, "
                "so with token_use='id' every token would be refused with 403; found "
                f"token_use='id' and scopes={scopes!r}"
            )
        if resource is not None and token_use != "access":  # noqa: S105
            raise ConfigurationError(
                f"resource: expected token_use='access' (only access tokens are bound to a "
                f"resource), found token_use={token_use!r}"
            )
        step_up = step_up_rule(
            acr_values=acr_values, min_acr_level=min_acr_level, max_auth_age=max_auth_age
        )
        settings = _settings(
            algorithms=("RS256",),
            leeway=leeway,
            iat_nbf_leeway=iat_nbf_leeway,
            custom_check=custom_check,
            jwks=jwks,
            jwks_cache=jwks_cache,
            fetcher=fetcher,
            session=session,
            allow_http=allow_http,
            clock=clock,
            max_token_length=max_token_length,
            include_claims_in_errors=include_claims_in_errors,
            cache_size=cache_size,
            on_report=on_report,
            custom_check_async=custom_check_async,
            revocation=revocation,
            max_token_lifetime=COGNITO_MAX_TOKEN_LIFETIME,
        )
        self.user_pool_id = user_pool_id
        if issuer is None:
            issuers = cognito_issuers(user_pool_id, additional_regions)
        else:
            if not isinstance(issuer, str) or not issuer:
                raise ConfigurationError(f"issuer: expected a non-empty str, found {issuer!r}")
            _pool_region(user_pool_id)  # still '<region>_<id>', in any partition
            issuers = (issuer,)
        rules = _CognitoRules(
            token_use=token_use,
            client_ids=_string_set("client_id", allowed_clients, skip="ANY_CLIENT"),
            groups=_string_set("groups", groups),
            require_all_groups=require_all_groups,
            scopes=_string_set("scopes", scopes),
            require_all_scopes=require_all_scopes,
            resources=_string_set("resource", resource),
        )
        super().__init__(
            {
                iss: _new_issuer(
                    iss, jwks_uri, rules, settings, primary=iss == issuers[0], step_up=step_up
                )
                for iss in issuers
            },
            on_report=settings.on_report,
            facts={
                iss: IssuerFacts(
                    iss=iss,
                    user_pool_id=user_pool_id,
                    token_use=token_use,
                    max_token_lifetime=COGNITO_MAX_TOKEN_LIFETIME,
                )
                for iss in issuers
            },
        )
