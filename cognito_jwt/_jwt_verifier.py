"""`JwtVerifier`: the generic OpenID Connect / OAuth verifier, and `from_discovery`.

One issuer, its audience and scope rules, and keys from a JWKS URI (given, the
`<issuer>/.well-known/jwks.json` default, or found by OpenID Connect Discovery
1.0 in `from_discovery`).  It adds no step of its own: every token goes down
the request path every verifier shares (`_verifier.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cognito_jwt import _reports
from cognito_jwt._claims import DEFAULT_IAT_NBF_LEEWAY
from cognito_jwt._discovery import (
    DiscoveryKeySource,
    check_discovery_issuer,
    discovery_uri,
    narrowed_algorithms,
)
from cognito_jwt._fetch import Fetcher
from cognito_jwt._issuer import _AudienceRules, _new_issuer
from cognito_jwt._issuer_settings import (
    _REQUIRED,
    CustomCheck,
    CustomCheckAsync,
    _settings,
    _string_set,
)
from cognito_jwt._jwks import JwksCache
from cognito_jwt._revocation import IssuerFacts, Revocation
from cognito_jwt._step_up import step_up_rule
from cognito_jwt._token import DEFAULT_MAX_TOKEN_LENGTH
from cognito_jwt._token_cache import DEFAULT_CACHE_SIZE
from cognito_jwt._verifier import _VerifierBase
from cognito_jwt.errors import ConfigurationError, JwksUnavailableError

__all__ = ["JwtVerifier"]


class JwtVerifier(_VerifierBase):
    """Verifies JWTs of any OpenID Connect / OAuth issuer that publishes a JWKS.

    Args:
        issuer: the exact `iss` expected.
        audience: allowed `aud` value(s) (a token's list `aud` passes if
            any entry matches), or `None` to skip the check on purpose.
        jwks_uri: defaults to `<issuer>/.well-known/jwks.json`.
        algorithms: allowed JWS algorithms (RS*, PS*, ES*, and `EdDSA`,
            `Ed25519`, `Ed448` for OKP keys); default `RS256`.
        scopes: required `scope` entries (any, or all with `require_all_scopes`).
        acr_values: the `acr` values accepted (step-up authentication).
        max_auth_age: the oldest sign-in accepted (`now - auth_time`), seconds.
        max_token_lifetime: the longest `exp - iat` (seconds) this issuer's
            tokens have; required to use a revocation list, whose entries must
            outlive every token they could match (`None`: undeclared).

    Other arguments are as for `CognitoJwtVerifier` (`min_acr_level` is not
    one: the levels are Cognito's).

    Examples:
        >>> verifier = JwtVerifier(issuer="https://issuer.example.com", audience="api")
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | Sequence[str] | None = _REQUIRED,
        jwks_uri: str | None = None,
        algorithms: Sequence[str] = ("RS256",),
        scopes: str | Sequence[str] | None = None,
        require_all_scopes: bool = False,
        acr_values: str | Sequence[str] | None = None,
        max_auth_age: int | None = None,
        leeway: float = 0,
        iat_nbf_leeway: float = DEFAULT_IAT_NBF_LEEWAY,
        custom_check: CustomCheck | None = None,
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
        max_token_lifetime: float | None = None,
    ) -> None:
        on_report = _reports.renamed(on_report, on_event)
        if audience is _REQUIRED:
            raise ConfigurationError(
                "audience: expected the allowed audience(s) (or None, explicitly, for any), "
                "found it missing"
            )
        if not isinstance(issuer, str) or not issuer:
            raise ConfigurationError(f"issuer: expected a non-empty str, found {issuer!r}")
        settings = _settings(
            algorithms=algorithms,
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
            max_token_lifetime=max_token_lifetime,
        )
        rules = _AudienceRules(
            audiences=_string_set("audience", audience),
            scopes=_string_set("scopes", scopes),
            require_all_scopes=require_all_scopes,
        )
        step_up = step_up_rule(acr_values=acr_values, max_auth_age=max_auth_age)
        super().__init__(
            {issuer: _new_issuer(issuer, jwks_uri, rules, settings, primary=True, step_up=step_up)},
            on_report=settings.on_report,
            facts={
                issuer: IssuerFacts(
                    iss=issuer,
                    user_pool_id=None,
                    token_use=None,
                    max_token_lifetime=settings.max_token_lifetime,
                )
            },
        )

    @classmethod
    def from_discovery(
        cls,
        issuer: str,
        *,
        audience: str | Sequence[str] | None = _REQUIRED,
        id_tokens: bool = False,
        algorithms: Sequence[str] = ("RS256",),
        scopes: str | Sequence[str] | None = None,
        require_all_scopes: bool = False,
        acr_values: str | Sequence[str] | None = None,
        max_auth_age: int | None = None,
        leeway: float = 0,
        iat_nbf_leeway: float = DEFAULT_IAT_NBF_LEEWAY,
        custom_check: CustomCheck | None = None,
        jwks_cache: JwksCache | None = None,
        fetcher: Fetcher | None = None,
        session: Any = None,
        allow_http: bool = False,
        clock: Callable[[], float] | None = None,
        max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH,
        include_claims_in_errors: bool = False,
        cache_size: int = DEFAULT_CACHE_SIZE,
        on_report: _reports.ReportHook | None = None,
        custom_check_async: CustomCheckAsync | None = None,
        revocation: Revocation | Sequence[Revocation] | None = None,
        max_token_lifetime: float | None = None,
    ) -> JwtVerifier:
        """A verifier for `issuer` whose keys are found by OpenID Connect Discovery 1.0.

        Fetches `<issuer>/.well-known/openid-configuration` now, with the key
        cache's fetcher (its timeouts, size cap and no-redirect policy), and
        takes the JWKS location from its `jwks_uri`.  The document's `issuer`
        must equal `issuer` exactly (Discovery §4.3), so a multi-tenant
        templated issuer (`.../{tenantid}/v2.0`) is refused: configure your
        tenant's own.  The document is refreshed as keys are (after the
        cache's `max_age`; a failed refresh keeps it and backs off).

        Args:
            issuer: the exact `iss` expected; https (http only with `allow_http`).
            audience: as for `JwtVerifier` (required; `None` skips on purpose).
            id_tokens: this verifier checks ID tokens, so the document's
                `id_token_signing_alg_values_supported` narrows `algorithms`
                (never widens it); for access tokens it says nothing and is ignored.

        Other arguments are as for `JwtVerifier`; `jwks`/`jwks_uri` are not
        among them (the document names the keys).

        Raises:
            ConfigurationError: a setting is wrong, the document names another
                issuer or a non-https `jwks_uri`, or no allowed algorithm
                remains after narrowing.
            JwksUnavailableError: (503) the document could not be fetched.

        Examples:
            >>> verifier = JwtVerifier.from_discovery(  # doctest: +SKIP
            ...     "https://accounts.google.com", audience="my-client-id", id_tokens=True
            ... )
        """
        check_discovery_issuer(issuer, allow_http=allow_http)
        if not isinstance(id_tokens, bool):
            raise ConfigurationError(f"id_tokens: expected True or False, found {id_tokens!r}")
        # Everything else is checked by the constructor, before any request.
        verifier = cls(
            issuer=issuer,
            audience=audience,
            jwks_uri=discovery_uri(issuer),
            algorithms=algorithms,
            scopes=scopes,
            require_all_scopes=require_all_scopes,
            acr_values=acr_values,
            max_auth_age=max_auth_age,
            leeway=leeway,
            iat_nbf_leeway=iat_nbf_leeway,
            custom_check=custom_check,
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
            max_token_lifetime=max_token_lifetime,
        )
        configured = verifier._issuers[issuer]
        settings = configured.settings
        assert isinstance(settings.keys, JwksCache)  # no static keys were given
        source = DiscoveryKeySource(issuer, settings.keys, allow_http=allow_http)
        try:
            metadata = source.load()
        except JwksUnavailableError as exc:
            if exc.reason not in ("discovery_invalid", "discovery_issuer_mismatch"):
                raise
            raise ConfigurationError(f"issuer: {exc.message}") from None
        settings = settings.replace(
            keys=source,
            algorithms=narrowed_algorithms(settings.algorithms, metadata, id_tokens=id_tokens),
        )
        discovered = _new_issuer(
            issuer,
            metadata.jwks_uri,
            configured.rules,
            settings,
            primary=True,
            step_up=configured.step_up,
        )
        _VerifierBase.__init__(
            verifier, {issuer: discovered}, on_report=settings.on_report, facts=verifier._facts
        )
        return verifier
