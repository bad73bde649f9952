"""One configured issuer: its settings, its claim rules, and every check after the key is found.

A verifier is a map from accepted `iss` values to `_Issuer` objects.  Each one
is immutable and carries everything its tokens are judged by: where its keys
come from, the algorithms, leeway and clock, the claim rules, the caller's
`custom_check`, and whether its tokens may be remembered by the verified-token
cache.  `MultiIssuerVerifier` simply merges the maps of its members, so each
issuer keeps exactly the settings it was configured with.

The constructor arguments every verifier shares are checked once, in
`_settings`, into one `_Settings` value that all issuers of a verifier hold.
Adding a setting means adding it there (and to the public signatures); the
issuer objects and the request path read it from `issuer.settings`.  The
checks that do not depend on where keys come from (leeways, clock,
`custom_check`, size cap, `on_event`) are `_common_settings`, which
`AlbJwtVerifier` shares.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, NoReturn, Protocol

from cognito_jwt import _claims, _events
from cognito_jwt._claims import TokenUse
from cognito_jwt._fetch import Fetcher, RequestsFetcher, check_jwks_uri
from cognito_jwt._jwks import DEFAULT_JWKS_CACHE, JwksCache, KeySource, StaticKeySource
from cognito_jwt._keys import SUPPORTED_ALGORITHMS, VerificationKey
from cognito_jwt._token import Header, ParsedToken
from cognito_jwt.errors import (
    CognitoJwtError,
    ConfigurationError,
    InvalidClaimError,
    InvalidSignatureError,
    UnsupportedAlgorithmError,
    shown,
)

#: `custom_check(header, claims)`: raise (ideally a `CognitoJwtError`) or
#: return `False` to reject; any other return value accepts.
CustomCheck = Callable[[dict[str, Any], dict[str, Any]], object]


class _Required:
    """Sentinel default of settings that must be given (`None` means "skip")."""

    def __repr__(self) -> str:
        return "<required>"


#: The default of an argument the caller must give, even if only as `None`.
_REQUIRED: Any = _Required()


class _Immutable:
    """Slotted, and set once in `__init__`: as immutable as a `NamedTuple`, cheaper to read.

    Every read of a `NamedTuple` field is a descriptor call, which the
    interpreter (3.11) does not specialise; a slot read it does.  The request
    path and every token-cache hit read a handful of settings, so
    `_Settings` and `_Issuer` are built on this.
    """

    __slots__: tuple[str, ...] = ()

    def _fill(self, values: Mapping[str, Any]) -> None:
        """Set every slot from `values` (an `__init__`'s `locals()`), once."""
        for name in type(self).__slots__:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in type(self).__slots__)
        return f"{type(self).__name__}({fields})"


# -- the shared constructor settings ----------------------------------------------------------


class _CommonSettings(NamedTuple):
    """What every verifier takes, the ALB's included, checked (see `_common_settings`)."""

    leeway: float
    #: What `claims.check_time` allows on `iat`/`nbf`: `leeway` never narrows it.
    iat_nbf_leeway: float
    clock: Callable[[], float]
    custom_check: CustomCheck | None
    max_token_length: int
    on_event: _events.Hook | None


def _common_settings(
    *,
    leeway: float,
    iat_nbf_leeway: float,
    custom_check: CustomCheck | None,
    clock: Callable[[], float] | None,
    max_token_length: int,
    on_event: _events.EventHook | None,
) -> _CommonSettings:
    """Check the settings of every verifier kind that do not depend on where keys come from.

    Raises:
        ConfigurationError: a setting is invalid.
    """
    for name, value in (("leeway", leeway), ("iat_nbf_leeway", iat_nbf_leeway)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 600:
            raise ConfigurationError(f"{name}: expected seconds in [0, 600), found {value!r}")
    if custom_check is not None:
        if not callable(custom_check):
            raise ConfigurationError("custom_check: expected a callable(header, claims)")
        import inspect  # only here: it is slow to import (docs/performance.md)

        if inspect.iscoroutinefunction(custom_check):
            raise ConfigurationError(
                "custom_check: expected a plain function; coroutines are not awaited"
            )
    if clock is not None and not callable(clock):
        raise ConfigurationError("clock: expected a callable returning epoch seconds")
    if not isinstance(max_token_length, int) or max_token_length < 64:
        raise ConfigurationError(
            f"max_token_length: expected an int >= 64, found {max_token_length!r}"
        )
    return _CommonSettings(
        leeway=float(leeway),
        iat_nbf_leeway=max(float(leeway), float(iat_nbf_leeway)),
        clock=clock or time.time,
        custom_check=custom_check,
        max_token_length=max_token_length,
        on_event=_events.make_hook(on_event),
    )


class _Settings(_Immutable):
    """A verifier's shared constructor arguments, checked and resolved (see `_settings`)."""

    __slots__ = (
        "algorithms",
        "allow_http",
        "cache_size",
        "clock",
        "custom_check",
        "iat_nbf_leeway",
        "include_claims",
        "keys",
        "leeway",
        "max_token_length",
        "on_event",
        "static_keys",
    )

    keys: KeySource
    algorithms: frozenset[str]
    leeway: float
    #: What `claims.check_time` allows on `iat`/`nbf`: `leeway` never narrows it.
    iat_nbf_leeway: float
    clock: Callable[[], float]
    custom_check: CustomCheck | None
    include_claims: bool
    max_token_length: int
    cache_size: int
    allow_http: bool
    static_keys: bool
    #: Told of each rejection (by the verifier) and of the fetches of a key
    #: cache made for this verifier's `fetcher`/`session`.
    on_event: _events.Hook | None

    def __init__(
        self,
        *,
        keys: KeySource,
        algorithms: frozenset[str],
        leeway: float,
        iat_nbf_leeway: float,
        clock: Callable[[], float],
        custom_check: CustomCheck | None,
        include_claims: bool,
        max_token_length: int,
        cache_size: int,
        allow_http: bool,
        static_keys: bool,
        on_event: _events.Hook | None,
    ) -> None:
        self._fill(locals())


def _settings(
    *,
    algorithms: Sequence[str],
    leeway: float,
    iat_nbf_leeway: float,
    custom_check: CustomCheck | None,
    jwks: Mapping[str, Any] | str | bytes | None,
    jwks_cache: JwksCache | None,
    fetcher: Fetcher | None,
    session: Any,
    allow_http: bool,
    clock: Callable[[], float] | None,
    max_token_length: int,
    include_claims_in_errors: bool,
    cache_size: int,
    on_event: _events.EventHook | None,
) -> _Settings:
    """Check the arguments every verifier shares, once, and resolve the key source.

    Raises:
        ConfigurationError: a setting is missing, invalid, or contradicts another.
    """
    if isinstance(algorithms, str):
        algorithms = (algorithms,)
    algs = frozenset(algorithms)
    bad = algs - SUPPORTED_ALGORITHMS
    if not algs or bad:
        raise ConfigurationError(
            f"algorithms: expected a non-empty subset of {sorted(SUPPORTED_ALGORITHMS)}, "
            f"found {sorted(bad) or 'none'} (none and HMAC algorithms are never allowed)"
        )
    common = _common_settings(
        leeway=leeway,
        iat_nbf_leeway=iat_nbf_leeway,
        custom_check=custom_check,
        clock=clock,
        max_token_length=max_token_length,
        on_event=on_event,
    )
    if type(cache_size) is not int or cache_size < 0:
        raise ConfigurationError(
            f"cache_size: expected an int >= 0 (0 turns the cache off), found {cache_size!r}"
        )
    return _Settings(
        keys=_key_source(jwks, jwks_cache, fetcher, session, common.on_event),
        algorithms=algs,
        leeway=common.leeway,
        iat_nbf_leeway=common.iat_nbf_leeway,
        clock=common.clock,
        custom_check=custom_check,
        include_claims=include_claims_in_errors,
        max_token_length=max_token_length,
        cache_size=cache_size,
        allow_http=allow_http,
        static_keys=jwks is not None,
        on_event=common.on_event,
    )


def _key_source(
    jwks: Mapping[str, Any] | str | bytes | None,
    jwks_cache: JwksCache | None,
    fetcher: Fetcher | None,
    session: Any,
    on_event: _events.Hook | None,
) -> KeySource:
    """Where the keys come from: at most one of the four ways may be given."""
    sources = sum(x is not None for x in (jwks, jwks_cache, fetcher)) + (
        session is not None and fetcher is None
    )
    if jwks is not None and sources > 1:
        raise ConfigurationError(
            "jwks: static keys never fetch, so jwks_cache/fetcher/session make no sense with it"
        )
    if fetcher is not None and jwks_cache is not None:
        raise ConfigurationError("fetcher: give it to the JwksCache you pass, not both")
    if session is not None and (fetcher is not None or jwks_cache is not None):
        raise ConfigurationError("session: give it to your fetcher or JwksCache instead")
    if jwks is not None:
        return StaticKeySource(jwks)
    if jwks_cache is not None:
        return jwks_cache
    if fetcher is not None or session is not None:
        # A caller-specific transport gets a cache of its own: sharing one
        # would let the first verifier's transport serve everyone.
        # It reports its fetches to this verifier's hook.
        return JwksCache(fetcher or RequestsFetcher(session), on_event=on_event)
    return DEFAULT_JWKS_CACHE


def _string_set(name: str, value: object) -> frozenset[str] | None:
    """Normalise a `str | Sequence[str] | None` setting, rejecting empty ones.

    An empty list would silently mean "nothing matches" (or, worse, in some
    libraries "anything matches"); it is almost always a configuration bug.
    `None` stays `None`: the check is skipped on purpose.
    """
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, Sequence | frozenset | set) or isinstance(items, bytes):
        raise ConfigurationError(
            f"{name}: expected a string or a list of strings, found {type(value).__name__}"
        )
    result = frozenset(items)
    if not result or not all(isinstance(v, str) and v for v in result):
        raise ConfigurationError(
            f"{name}: expected non-empty strings (None to skip the check), found {value!r}"
        )
    return result


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
        _claims.check_claim_types(claims, cognito=True)
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
        _claims.check_claim_types(claims, cognito=False)
        if self.audiences is not None:
            _claims.check_audience(claims, self.audiences, allow_list=True)
        if self.scopes is not None:
            _claims.check_scopes(claims, self.scopes, require_all=self.require_all_scopes)


# -- the issuer ---------------------------------------------------------------------------------


class _Issuer(_Immutable):
    """One accepted `iss`: where its keys live, its rules, and its verifier's settings.

    `primary` marks the issuer form whose keys `hydrate()` loads (a Cognito pool
    answers to several `iss` forms that share one key set); `cacheable` says
    whether its verifier remembers verified tokens (`cache_size > 0`).
    """

    __slots__ = ("cacheable", "iss", "jwks_uri", "primary", "rules", "settings")

    iss: str
    jwks_uri: str
    rules: _Rules
    settings: _Settings
    primary: bool
    cacheable: bool

    def __init__(
        self,
        *,
        iss: str,
        jwks_uri: str,
        rules: _Rules,
        settings: _Settings,
        primary: bool,
        cacheable: bool,
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
            _claims.check_time(
                claims, settings.clock(), settings.leeway, iat_nbf_leeway=settings.iat_nbf_leeway
            )
            self.rules.check(claims)
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
        raise InvalidClaimError(
            f"custom_check: expected it to accept the token, found it raised "
            f"{type(exc).__name__}: {shown(str(exc))}",
            reason="custom_check_failed",
        ) from exc
    if result is False:
        raise InvalidClaimError(
            "custom_check: expected it to accept the token, found it returned False",
            reason="custom_check_failed",
        )


def default_jwks_uri(iss: str) -> str:
    """Where an issuer publishes its keys unless told otherwise: `<iss>/.well-known/jwks.json`.

    The one home of that rule (OpenID Connect Discovery's location, which
    Cognito user pools follow): verifiers and the CLI both derive it here.
    """
    return iss.rstrip("/") + "/.well-known/jwks.json"


def _new_issuer(
    iss: str, jwks_uri: str | None, rules: _Rules, settings: _Settings, *, primary: bool
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
    )
