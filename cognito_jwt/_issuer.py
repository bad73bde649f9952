"""One configured issuer: its claim rules, and every check after the key is found.

A verifier is a map from accepted `iss` values to `_Issuer` objects.  Each one
is immutable and carries everything its tokens are judged by: where its keys
come from, the algorithms, leeway and clock (its `_Settings`, checked in
`_issuer_settings.py`), the claim rules, the caller's `custom_check`, and
whether its tokens may be remembered by the verified-token cache.
`MultiIssuerVerifier` simply merges the maps of its members, so each issuer
keeps exactly the settings it was configured with.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from cognito_jwt import _claim_types, _claims
from cognito_jwt._claims import TokenUse
from cognito_jwt._fetch import check_jwks_uri
from cognito_jwt._issuer_settings import CustomCheck, _Immutable, _Settings
from cognito_jwt._keys import VerificationKey
from cognito_jwt._step_up import StepUp
from cognito_jwt._token import Header, ParsedToken
from cognito_jwt.errors import (
    CognitoJwtError,
    InvalidClaimError,
    InvalidSignatureError,
    UnsupportedAlgorithmError,
    shown,
)

# -- claim rules --------------------------------------------------------------------------------


class _Rules(Protocol):
    """What one issuer requires of a token's claims beyond the time rule."""

    def check(self, claims: dict[str, Any]) -> None:
        """Return if the claims pass, else raise the error that names the rule."""
        ...


class _CognitoRules(NamedTuple):
    """A Cognito user pool's rules: `token_use` decides whether `aud` or `client_id` is read."""

    token_use: TokenUse | None
    client_ids: frozenset[str] | None
    groups: frozenset[str] | None
    require_all_groups: bool
    scopes: frozenset[str] | None
    require_all_scopes: bool
    #: Cognito access tokens bound to a resource (RFC 8707) carry it in `aud`.
    resources: frozenset[str] | None = None

    def check(self, claims: dict[str, Any]) -> None:
        """Claim types, `token_use`, `aud` or `client_id`, the resource, groups, scopes.

        The claim types come first, whatever else is configured: a caller is
        never handed a `"sub": {}`.  `aud` is the app client of an ID token;
        an access token names it in `client_id`, and its `aud` holds the
        resource (`resource=`) when it is bound to one.
        """
        _claim_types.check_claim_types(claims, cognito=True)
        use = _claims.check_token_use(claims, self.token_use)
        if self.client_ids is not None:
            if use == "id":
                _claims.check_audience(claims, self.client_ids, allow_list=False)
            else:
                _claims.check_client_id(claims, self.client_ids)
        if self.resources is not None:
            _claims.check_audience(claims, self.resources, allow_list=True)
        if self.groups is not None:
            _claims.check_groups(claims, self.groups, require_all=self.require_all_groups)
        if self.scopes is not None:
            _claims.check_scopes(claims, self.scopes, require_all=self.require_all_scopes)


class _AudienceRules(NamedTuple):
    """A generic OIDC issuer's rules: `aud` (a string or a list), and scopes."""

    audiences: frozenset[str] | None
    scopes: frozenset[str] | None
    require_all_scopes: bool

    def check(self, claims: dict[str, Any]) -> None:
        """Claim types, then `aud` names one of the audiences, then scopes."""
        _claim_types.check_claim_types(claims, cognito=False)
        if self.audiences is not None:
            _claims.check_audience(claims, self.audiences, allow_list=True)
        if self.scopes is not None:
            _claims.check_scopes(claims, self.scopes, require_all=self.require_all_scopes)


# -- the issuer ---------------------------------------------------------------------------------


class _Issuer(_Immutable):
    """One accepted `iss`: where its keys live, its rules, and its verifier's settings.

    `primary` marks the issuer form whose keys `hydrate()` loads (a Cognito pool
    answers to several `iss` forms that share one key set); `cacheable` says
    whether its verifier remembers verified tokens (`cache_size > 0`);
    `step_up` is its step-up demand (`acr`, `auth_time`), checked after the
    rules and, since its age rule depends on now, on every token-cache hit.
    `require_exp` is `False` only for an ALB, whose header carries the `exp`
    (checked with the header rules, before any key fetch), so its payload may
    lack one; such an issuer is never cacheable (the token cache's time rule
    needs the payload's `exp`).
    """

    __slots__ = (
        "cacheable",
        "iss",
        "jwks_uri",
        "primary",
        "require_exp",
        "rules",
        "settings",
        "step_up",
    )

    iss: str
    jwks_uri: str
    rules: _Rules
    settings: _Settings
    primary: bool
    cacheable: bool
    step_up: StepUp | None
    require_exp: bool

    def __init__(
        self,
        *,
        iss: str,
        jwks_uri: str,
        rules: _Rules,
        settings: _Settings,
        primary: bool,
        cacheable: bool,
        step_up: StepUp | None,
        require_exp: bool = True,
    ) -> None:
        self._fill(locals())

    def verify_signed(self, parsed: ParsedToken, key: VerificationKey) -> dict[str, Any]:
        """The claims of `parsed` once its signature by `key` and every claim rule pass.

        The signature is checked before any claim, so a forged token is always
        reported as a bad signature, never as "expired".

        Raises:
            CognitoJwtError: the first check that fails (with the claims attached
                when the verifier was built with `include_claims_in_errors`).
        """
        header = parsed.header
        alg = header.alg
        if alg not in key.algorithms:
            raise UnsupportedAlgorithmError(
                f"header alg: expected an algorithm key {key.kid!r:.60} allows "
                f"({', '.join(sorted(key.algorithms))}), found {shown(alg)}",
                reason="key_algorithm_mismatch",
            )
        if not key.verify(alg, parsed.signing_input, parsed.signature):
            raise InvalidSignatureError(
                f"signature: expected a valid {alg} signature by key {key.kid!r:.60}, "
                "found one that does not verify",
                reason="invalid_signature",
            )
        claims = parsed.claims
        settings = self.settings
        try:
            now = settings.clock()
            _claims.check_time(
                claims,
                now,
                settings.leeway,
                iat_nbf_leeway=settings.iat_nbf_leeway,
                require_exp=self.require_exp,
            )
            self.rules.check(claims)
            step_up = self.step_up
            if step_up is not None:
                step_up.check(claims, now)
        except CognitoJwtError as exc:
            self._with_claims(exc, claims)
            raise
        check = settings.custom_check
        if check is not None:
            self.run_custom_check(check, header, claims)
        return claims

    def run_custom_check(self, check: CustomCheck, header: Header, claims: dict[str, Any]) -> None:
        """The caller's `custom_check`, run last, and again on every token-cache hit.

        Raises:
            CognitoJwtError: the one it raised, or `InvalidClaimError`
                (`custom_check_failed`) when it raised anything else or
                returned `False`.
        """
        try:
            # A copy: the header dict is cached across tokens and must not be
            # changed by a check; the claims are handed out to the caller anyway.
            _apply_custom_check(check, dict(header.raw), claims)
        except CognitoJwtError as exc:
            self._with_claims(exc, claims)
            raise

    async def run_custom_check_async(self, header: Header, claims: dict[str, Any]) -> None:
        """The caller's `custom_check_async`, awaited by `verify_async` after `custom_check`
        (on every token-cache hit too); judged like `custom_check`.

        Raises:
            CognitoJwtError: as `run_custom_check`.
        """
        check = self.settings.custom_check_async
        assert check is not None  # the caller checked
        try:
            try:
                result = await check(dict(header.raw), claims)
            except CognitoJwtError:
                raise
            except Exception as exc:
                raise _check_failed(exc, "custom_check_async") from exc
            if result is False:
                raise _check_failed(None, "custom_check_async")
        except CognitoJwtError as exc:
            self._with_claims(exc, claims)
            raise

    def _with_claims(self, exc: CognitoJwtError, claims: dict[str, Any]) -> CognitoJwtError:
        """`exc`, carrying a copy of the (signature-verified) claims if the caller asked."""
        if self.settings.include_claims:
            exc.claims = dict(claims)
        return exc


def _apply_custom_check(check: CustomCheck, header: dict[str, Any], claims: dict[str, Any]) -> None:
    """Run the caller's `custom_check`; every verifier kind words its verdict alike.

    Raises:
        CognitoJwtError: the one it raised, or `InvalidClaimError`
            (`custom_check_failed`) when it raised anything else or returned
            `False`.
    """
    try:
        result = check(header, claims)
    except CognitoJwtError:
        raise
    except Exception as exc:
        raise _check_failed(exc) from exc
    if result is False:
        raise _check_failed(None)


def _check_failed(exc: Exception | None, name: str = "custom_check") -> InvalidClaimError:
    """The rejection of a custom check that raised `exc` (not ours) or returned `False`."""
    found = (
        "it returned False" if exc is None else f"it raised {type(exc).__name__}: {shown(str(exc))}"
    )
    return InvalidClaimError(
        f"{name}: expected it to accept the token, found {found}", reason="custom_check_failed"
    )


def default_jwks_uri(iss: str) -> str:
    """Where an issuer publishes its keys unless told otherwise: `<iss>/.well-known/jwks.json`.

    The one home of that rule (OpenID Connect Discovery's location, which
    Cognito user pools follow): verifiers and the CLI both derive it here.
    """
    return iss.rstrip("/") + "/.well-known/jwks.json"


def _new_issuer(
    iss: str,
    jwks_uri: str | None,
    rules: _Rules,
    settings: _Settings,
    *,
    primary: bool,
    step_up: StepUp | None = None,
) -> _Issuer:
    """An issuer for `iss`; its JWKS URI defaults to `default_jwks_uri(iss)`.

    The URI must be https (unless `allow_http`) only if keys will be fetched
    from it: with a static JWKS it is a name, never contacted.

    Raises:
        ConfigurationError: the JWKS URI is not acceptable.
    """
    uri = jwks_uri if jwks_uri is not None else default_jwks_uri(iss)
    if not settings.static_keys:
        uri = check_jwks_uri(uri, allow_http=settings.allow_http)
    return _Issuer(
        iss=iss,
        jwks_uri=uri,
        rules=rules,
        settings=settings,
        primary=primary,
        cacheable=settings.cache_size > 0,
        step_up=step_up,
    )
