"""Cognito identity-pool OpenID tokens: `identity_pool_verifier`.

An identity pool (Cognito Federated Identities) issues its own OpenID Connect
token (`GetOpenIdToken`, valid for 10 minutes) for an identity, guest or
signed-in.  AWS documents its shape in "Role trust and permissions"
(https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html):

* the issuer is `https://cognito-identity.amazonaws.com`;
* `aud` is the identity pool id (`REGION:GUID`);
* `amr` is a list holding `unauthenticated` for a guest, or `authenticated`
  followed by the providers the identity signed in with.

A trust policy that omits the `aud` or `amr` condition trusts every identity
pool, or guests, by accident; AWS warns about exactly that.  So here both are
required: `aud` is the pool id you pass, and `amr` must be said explicitly,
`"authenticated"`, `"unauthenticated"` or both, never defaulted.

The header's `typ` may be absent, `JWT` or `JWS`, and nothing else: AWS does
not document the header, and a decoded token published by a third party shows
`"typ": "JWS"` (docs/tokens.md cites it), a value other verifiers of this
library refuse (`invalid_header`).  Only this verifier accepts it.

Keys are found by OpenID Connect Discovery (`JwtVerifier.from_discovery`),
since AWS documents the issuer but not a JWKS path; the document's ID-token
algorithms narrow the RSA allow-list.  AWS documents this issuer for the
commercial partition only: for a pool in another partition, pass the
`issuer=` of its tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from cognito_jwt import _reports
from cognito_jwt._issuer_settings import _REQUIRED, CustomCheck, _string_set
from cognito_jwt._jwks import JwksCache
from cognito_jwt._jwt_verifier import JwtVerifier
from cognito_jwt._partitions import dns_suffix
from cognito_jwt.errors import ConfigurationError, InvalidClaimError, shown

__all__ = ["IDENTITY_POOL_ISSUER", "identity_pool_verifier"]

#: The issuer of identity-pool OpenID tokens in the commercial partition (AWS docs above).
IDENTITY_POOL_ISSUER = "https://cognito-identity.amazonaws.com"

#: `REGION:GUID`, the pattern of the Cognito Federated Identities API reference.
_POOL_ID = re.compile(r"([\w-]+):[0-9a-f-]+", re.ASCII)
_AMR_VALUES = frozenset({"authenticated", "unauthenticated"})


#: The header `typ` values an identity-pool token may carry (besides none), lower case.
IDENTITY_POOL_TYPS = frozenset({"jwt", "jws"})


class _IdentityPoolVerifier(JwtVerifier):
    """A `JwtVerifier` whose tokens may say `typ: JWS`, as identity-pool tokens do."""

    _typs = IDENTITY_POOL_TYPS


def _amr_rule(accepted: frozenset[str], then: CustomCheck | None) -> CustomCheck:
    """A `custom_check` demanding one of `accepted` in `amr`, then the caller's own."""

    def check(header: dict[str, Any], claims: dict[str, Any]) -> object:
        amr = claims.get("amr")
        found = [v for v in amr if v in _AMR_VALUES] if isinstance(amr, list) else []
        if not accepted.intersection(found):
            raise InvalidClaimError(
                f"claim amr: expected {' or '.join(sorted(accepted))}, "
                f"found {shown(found[0]) if found else 'neither'}",
                reason="amr_not_accepted",
            )
        return then(header, claims) if then is not None else True

    return check


def identity_pool_verifier(
    identity_pool_id: str,
    *,
    amr: str | Sequence[str] = _REQUIRED,
    issuer: str | None = None,
    algorithms: Sequence[str] = ("RS256", "RS384", "RS512"),
    leeway: float = 0,
    custom_check: CustomCheck | None = None,
    jwks_cache: JwksCache | None = None,
    fetcher: Any = None,
    session: Any = None,
    allow_http: bool = False,
    clock: Callable[[], float] | None = None,
    cache_size: int = 0,
    on_report: _reports.ReportHook | None = None,
) -> JwtVerifier:
    """A verifier of a Cognito identity pool's OpenID tokens (`GetOpenIdToken`).

    Contacts the issuer's discovery document now (see `JwtVerifier.from_discovery`).

    Args:
        identity_pool_id: `REGION:GUID`; the `aud` every token must carry.
        amr: required: `"authenticated"` (signed-in identities only),
            `"unauthenticated"` (guests only) or both.
        issuer: the tokens' `iss`; defaults to `IDENTITY_POOL_ISSUER` for a
            pool in the commercial partition, and must be given elsewhere.
        algorithms: the RSA algorithms allowed, narrowed by the issuer's
            discovery document.
        cache_size: verified tokens remembered; off by default, since these
            tokens live 10 minutes and are usually exchanged once.

    Other arguments are as for `JwtVerifier`.

    Raises:
        ConfigurationError: a malformed pool id, `amr` missing or not one of
            the two values, a partition whose issuer AWS does not document,
            or a discovery document that does not fit.
        JwksUnavailableError: (503) the discovery document could not be fetched.

    Examples:
        >>> verifier = identity_pool_verifier(  # doctest: +SKIP
        ...     "us-east-1:12345678-1234-1234-1234-123456789012", amr="authenticated"
        ... )
    """
    if not isinstance(identity_pool_id, str) or not (match := _POOL_ID.fullmatch(identity_pool_id)):
        raise ConfigurationError(
            f"identity_pool_id: expected REGION:GUID, found {identity_pool_id!r:.80}"
        )
    if amr is _REQUIRED:
        raise ConfigurationError(
            "amr: expected 'authenticated', 'unauthenticated' or both, found it missing; say "
            "which identities may call, since a guest's token is as valid as a user's"
        )
    accepted = _string_set("amr", amr)
    if accepted is None or not accepted <= _AMR_VALUES:
        raise ConfigurationError(
            f"amr: expected 'authenticated', 'unauthenticated' or both, found {amr!r}"
        )
    if custom_check is not None:
        import inspect

        if not callable(custom_check) or inspect.iscoroutinefunction(custom_check):
            raise ConfigurationError("custom_check: expected a plain function(header, claims)")
    if issuer is None:
        region = match.group(1)
        try:
            suffix = dns_suffix(region)
        except ConfigurationError:
            suffix = None
        if suffix != "amazonaws.com" or region.startswith("us-gov-"):
            raise ConfigurationError(
                f"identity_pool_id: region {region!r} is outside the commercial partition, "
                f"where AWS documents the issuer {IDENTITY_POOL_ISSUER}; pass issuer= (the "
                "iss of your pool's tokens)"
            )
        issuer = IDENTITY_POOL_ISSUER
    return _IdentityPoolVerifier.from_discovery(
        issuer,
        audience=identity_pool_id,
        id_tokens=True,
        algorithms=algorithms,
        leeway=leeway,
        custom_check=_amr_rule(accepted, custom_check),
        jwks_cache=jwks_cache,
        fetcher=fetcher,
        session=session,
        allow_http=allow_http,
        clock=clock,
        cache_size=cache_size,
        on_report=on_report,
    )
