"""The verifiers: ``CognitoJwtVerifier``, the generic ``JwtVerifier`` and ``MultiIssuerVerifier``.

One request's path (every verifier shares it)::

    parse (token.py) → alg allow-list → kid → route by iss among the
    *configured* issuers → key (jwks.py; fetch only on miss) → signature →
    exp/nbf/iat → issuer rules (token_use, aud/client_id, groups, scopes) →
    custom_check → claims

The token never names where keys come from: its ``iss`` only selects among
issuers the caller configured, and ``jku``/``x5u``/``jwk``/``x5c`` headers are
never read.  The signature is checked before any claim, so a forged token is
always reported as a bad signature, never as "expired".
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

from cognito_jwt import _events
from cognito_jwt import claims as _claims
from cognito_jwt._cache import DEFAULT_CACHE_SIZE, CachedToken, TokenCache
from cognito_jwt._partitions import dns_suffix
from cognito_jwt.errors import (
    CognitoJwtError,
    ConfigurationError,
    InvalidClaimError,
    InvalidIssuerError,
    InvalidSignatureError,
    MalformedTokenError,
    MissingClaimError,
    UnsupportedAlgorithmError,
    shown,
)
from cognito_jwt.fetch import Fetcher, RequestsFetcher, check_jwks_uri
from cognito_jwt.jwks import (
    DEFAULT_JWKS_CACHE,
    JwksCache,
    KeySource,
    StaticKeySource,
    hydrate_first,
)
from cognito_jwt.keys import SUPPORTED_ALGORITHMS, VerificationKey
from cognito_jwt.token import DEFAULT_MAX_TOKEN_LENGTH, Header, ParsedToken, parse_token

__all__ = [
    "CognitoJwtVerifier",
    "CustomCheck",
    "JwtVerifier",
    "MultiIssuerVerifier",
    "cognito_issuers",
]

TokenUse = Literal["id", "access"]
#: ``custom_check(header, claims)``: raise (ideally a ``CognitoJwtError``) or
#: return ``False`` to reject; any other return value accepts.
CustomCheck = Callable[[dict[str, Any], dict[str, Any]], object]


class _Required:
    """Sentinel default of settings that must be given (``None`` means "skip")."""

    def __repr__(self) -> str:
        return "<required>"


_REQUIRED: Any = _Required()
_POOL_ID_RE = re.compile(r"(?P<region>[a-z]{2,}(?:-[a-z0-9]+)+)_[A-Za-z0-9]+")
_MAX_HEADER_CACHE = 64


def _domain_for(region: str) -> str:
    """The DNS suffix of the AWS partition a region belongs to (see `_partitions`)."""
    return dns_suffix(region)


def _pool_region(user_pool_id: str) -> str:
    """The region part of a ``<region>_<id>`` pool id."""
    match = _POOL_ID_RE.fullmatch(user_pool_id) if isinstance(user_pool_id, str) else None
    if match is None:
        raise ConfigurationError(
            f"user_pool_id: expected '<region>_<id>' such as 'us-east-1_AbC123', "
            f"found {shown(user_pool_id)}"
        )
    return match["region"]


def cognito_issuers(user_pool_id: str, additional_regions: Sequence[str] = ()) -> tuple[str, ...]:
    """Every ``iss`` value Cognito may put in a token of ``user_pool_id``.

    Cognito issues ``https://cognito-idp.<region>.amazonaws.com/<pool>`` and,
    for newer and multi-region pools, ``https://issuer-cognito-idp.<region>...``.
    With Multi-Region Replication the classic form may carry a replica region,
    listed in ``additional_regions``.

    Raises:
        ConfigurationError: ``user_pool_id`` is not ``<region>_<id>``, or its
            region is in a partition whose issuer cannot be derived (the
            isolated ``us-iso-``/``us-isob-``/``eu-isoe-``/``us-isof-`` regions,
            or an unknown one): pass ``issuer=`` to ``CognitoJwtVerifier``.

    Examples:
        >>> cognito_issuers("us-east-1_AbC123")[0]
        'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123'
    """
    region = _pool_region(user_pool_id)
    issuers = [
        f"https://cognito-idp.{region}.{_domain_for(region)}/{user_pool_id}",
        f"https://issuer-cognito-idp.{region}.{_domain_for(region)}/{user_pool_id}",
    ]
    for extra in additional_regions:
        if not isinstance(extra, str) or not re.fullmatch(r"[a-z]{2,}(?:-[a-z0-9]+)+", extra):
            raise ConfigurationError(f"additional_regions: expected region names, found {extra!r}")
        issuers.append(f"https://cognito-idp.{extra}.{_domain_for(extra)}/{user_pool_id}")
    return tuple(dict.fromkeys(issuers))


def _string_set(name: str, value: object, *, allow_none: bool) -> frozenset[str] | None:
    """Normalise ``str | Sequence[str] | None`` settings, rejecting empty ones.

    An empty list would silently mean "nothing matches" (or, worse, in some
    libraries "anything matches"); it is almost always a configuration bug.
    """
    if value is None:
        if allow_none:
            return None
        raise ConfigurationError(f"{name}: expected a string or a list of strings, found None")
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


class _Rules(NamedTuple):
    """What one configured issuer requires of a token's claims."""

    cognito: bool
    token_use: TokenUse | None
    audiences: frozenset[str] | None
    groups: frozenset[str] | None
    require_all_groups: bool
    scopes: frozenset[str] | None
    require_all_scopes: bool
    #: Cognito access tokens bound to a resource (RFC 8707) carry it in ``aud``.
    resources: frozenset[str] | None = None

    def check(self, claims: dict[str, Any]) -> None:
        _claims.check_claim_types(claims, cognito=self.cognito)
        if self.cognito:
            use = _claims.check_token_use(claims, self.token_use)
            if self.audiences is not None:
                if use == "id":
                    _claims.check_audience(claims, self.audiences, allow_list=False)
                else:
                    _claims.check_client_id(claims, self.audiences)
            if self.resources is not None:
                _claims.check_audience(claims, self.resources, allow_list=True)
        elif self.audiences is not None:
            _claims.check_audience(claims, self.audiences, allow_list=True)
        if self.groups is not None:
            _claims.check_groups(claims, self.groups, require_all=self.require_all_groups)
        if self.scopes is not None:
            _claims.check_scopes(claims, self.scopes, require_all=self.require_all_scopes)


class _Route(NamedTuple):
    """Where the keys of one issuer live and which rules its tokens must pass."""

    issuer: str
    jwks_uri: str
    rules: _Rules
    owner: _VerifierBase


class _VerifierBase:
    """The machinery every verifier shares; subclasses only build routes."""

    _routes: dict[str, _Route]
    _algorithms: frozenset[str]
    _on_event: _events.Hook | None = None

    def __init__(
        self,
        *,
        algorithms: Sequence[str],
        leeway: float,
        custom_check: CustomCheck | None,
        iat_nbf_leeway: float,
        jwks: Mapping[str, Any] | str | bytes | None,
        jwks_cache: JwksCache | None,
        fetcher: Fetcher | None,
        session: Any,
        clock: Callable[[], float] | None,
        max_token_length: int,
        include_claims_in_errors: bool,
        cache_size: int = DEFAULT_CACHE_SIZE,
        on_event: _events.EventHook | None = None,
    ) -> None:
        if isinstance(algorithms, str):
            algorithms = (algorithms,)
        algs = frozenset(algorithms)
        bad = algs - SUPPORTED_ALGORITHMS
        if not algs or bad:
            raise ConfigurationError(
                f"algorithms: expected a non-empty subset of {sorted(SUPPORTED_ALGORITHMS)}, "
                f"found {sorted(bad) or 'none'} (none and HMAC algorithms are never allowed)"
            )
        for name, value in (("leeway", leeway), ("iat_nbf_leeway", iat_nbf_leeway)):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value < 600
            ):
                raise ConfigurationError(f"{name}: expected seconds in [0, 600), found {value!r}")
        if custom_check is not None:
            if not callable(custom_check):
                raise ConfigurationError("custom_check: expected a callable(header, claims)")
            import inspect  # only here: it costs ~5 ms of import time

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
        if type(cache_size) is not int or cache_size < 0:
            raise ConfigurationError(
                f"cache_size: expected an int >= 0 (0 turns the cache off), found {cache_size!r}"
            )
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
        self._on_event = _events.make_hook(on_event)
        self._algorithms = algs
        self._leeway = float(leeway)
        # What claims.check_time allows on iat/nbf: leeway never narrows it.
        self._iat_nbf_leeway = max(float(leeway), float(iat_nbf_leeway))
        self._custom_check = custom_check
        self._clock: Callable[[], float] = clock or time.time
        self._max_token_length = max_token_length
        self._include_claims = include_claims_in_errors
        self._header_cache: dict[str, Header] = {}
        self._token_cache = TokenCache(cache_size) if cache_size else None
        self._keys: KeySource
        if jwks is not None:
            self._keys = StaticKeySource(jwks)
        elif jwks_cache is not None:
            self._keys = jwks_cache
        elif fetcher is not None or session is not None:
            # A caller-specific transport gets a cache of its own: sharing one
            # would let the first verifier's transport serve everyone.
            self._keys = JwksCache(fetcher or RequestsFetcher(session), on_event=self._on_event)
        else:
            self._keys = DEFAULT_JWKS_CACHE

    # -- the request path ---------------------------------------------------

    def _parse(self, token: str) -> tuple[ParsedToken, _Route, str]:
        header_cache = self._header_cache
        if len(header_cache) >= _MAX_HEADER_CACHE:
            header_cache.clear()  # bounded: a flood of distinct headers cannot grow it
        parsed = parse_token(token, max_length=self._max_token_length, header_cache=header_cache)
        alg = parsed.header.alg
        if alg not in self._algorithms:
            raise UnsupportedAlgorithmError(
                f"header alg: expected {' or '.join(sorted(self._algorithms))}, found {shown(alg)}",
                reason="unsupported_algorithm",
            )
        kid = parsed.header.kid
        if kid is None:
            raise MalformedTokenError(
                "header kid: expected the id of a key in the JWKS, found none",
                reason="missing_kid",
            )
        iss = parsed.claims.get("iss")
        route = self._routes.get(iss) if isinstance(iss, str) else None
        if route is None:
            if iss is None:
                raise MissingClaimError(
                    "claim iss: expected an issuer, found none", reason="missing_iss"
                )
            raise InvalidIssuerError(
                f"claim iss: expected {' or '.join(sorted(self._routes))}, found {shown(iss)}",
                reason="invalid_issuer",
            )
        if alg not in route.owner._algorithms:
            # Only reachable through MultiIssuerVerifier, whose allow-list is the
            # union: each issuer keeps its own.
            raise UnsupportedAlgorithmError(
                f"header alg: expected {' or '.join(sorted(route.owner._algorithms))} for "
                f"issuer {route.issuer}, found {shown(alg)}",
                reason="unsupported_algorithm",
            )
        return parsed, route, kid

    def _finish(self, parsed: ParsedToken, route: _Route, key: VerificationKey) -> dict[str, Any]:
        alg = parsed.header.alg
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
        try:
            owner = route.owner
            now = owner._clock()
            leeway = owner._leeway
            _claims.check_time(claims, now, leeway, iat_nbf_leeway=owner._iat_nbf_leeway)
            route.rules.check(claims)
            if owner._custom_check is not None:
                owner._run_custom_check(parsed.header, claims)
        except CognitoJwtError as exc:
            if route.owner._include_claims:
                exc.claims = dict(claims)
            raise
        return claims

    def _run_custom_check(self, header: Header, claims: dict[str, Any]) -> None:
        check = self._custom_check
        if check is None:
            return
        try:
            # Copies: the header dict is cached across tokens and must not be
            # changed by a check; the claims are handed out to the caller anyway.
            result = check(dict(header.raw), claims)
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

    def verify(self, token: str) -> dict[str, Any]:
        """Verify ``token`` and return its claims.

        Raises:
            InvalidTokenError: (401) the token must not be trusted; the subclass
                and ``reason`` say why.
            AccessDeniedError: (403) valid, but lacks a required group or scope.
            JwksUnavailableError: (503) the keys could not be obtained.
        """
        try:
            claims = self._lookup(token)
            if claims is not None:
                return claims
            parsed, route, kid = self._parse(token)
            source = route.owner._keys
            key = source.peek(route.jwks_uri, kid) or source.get_key(route.jwks_uri, kid)
            return self._complete(token, parsed, route, kid, key)
        except CognitoJwtError as exc:
            if self._on_event is not None:
                self._report(exc, token)
            raise

    async def verify_async(self, token: str) -> dict[str, Any]:
        """Like `verify`, without blocking the event loop on a JWKS fetch.

        A cached key is used inline (the RSA check takes ~30 µs); a fetch runs
        in a worker thread, where concurrent callers share it.
        """
        try:
            claims = self._lookup(token)
            if claims is not None:
                return claims
            parsed, route, kid = self._parse(token)
            source = route.owner._keys
            key = source.peek(route.jwks_uri, kid)
            if key is None:
                import asyncio  # only here: it costs ~30 ms of import time

                key = await asyncio.to_thread(source.get_key, route.jwks_uri, kid)
            return self._complete(token, parsed, route, kid, key)
        except CognitoJwtError as exc:
            if self._on_event is not None:
                self._report(exc, token)
            raise

    def _report(self, error: CognitoJwtError, token: str) -> None:
        """Tell the `on_event` hook about a rejection (see `_events.py`)."""
        assert self._on_event is not None  # the caller checked
        issuer, kid = _events.routing_of(
            token, self._routes, self._max_token_length, self._header_cache
        )
        _events.rejection(self._on_event, error, issuer=issuer, kid=kid)

    # -- the verified-token cache (see _cache.py for what it may remember) ---

    def _lookup(self, token: str) -> dict[str, Any] | None:
        """The claims of a cached, still-valid ``token``, or ``None`` (full path)."""
        cache = self._token_cache
        if cache is None or type(token) is not str:
            return None
        entry = cache.get(token)
        if entry is None:
            return None
        route = entry.route
        owner = route.owner
        now = owner._clock()
        ahead = owner._iat_nbf_leeway
        if (
            not entry.exp > now - owner._leeway  # negated: a NaN clock fails closed
            or (entry.nbf is not None and not entry.nbf <= now + ahead)
            or (entry.iat is not None and not entry.iat <= now + ahead)
            or owner._keys.peek(route.jwks_uri, entry.kid) is not entry.key
        ):
            # Not valid at this clock, or the key that verified it is no longer
            # the one served for its kid (rotated out, JWKS reloaded or stale):
            # forget it; the full path decides and words any error.
            cache.discard(token, entry)
            return None
        claims = entry.claims(token)
        if owner._custom_check is not None:
            try:
                owner._run_custom_check(entry.header, claims)
            except CognitoJwtError as exc:
                if owner._include_claims:
                    exc.claims = dict(claims)
                raise
        return claims

    def _complete(
        self, token: str, parsed: ParsedToken, route: _Route, kid: str, key: VerificationKey
    ) -> dict[str, Any]:
        """Finish the full path; remember the token if every check passed."""
        owner = route.owner
        cache = self._token_cache
        if cache is None or owner._token_cache is None or type(token) is not str:
            return owner._finish(parsed, route, key)
        # Read before custom_check runs, which may change the claims dict it is given.
        claims = parsed.claims
        times = (claims.get("exp", 0), claims.get("nbf"), claims.get("iat"))
        result = owner._finish(parsed, route, key)  # raises unless exp is a NumericDate
        cache.put(token, CachedToken(key, route, parsed.header, kid, times))
        return result

    def _jwks_uris(self) -> list[str]:
        return list(dict.fromkeys(r.jwks_uri for r in self._routes.values()))

    def hydrate(self) -> None:
        """Fetch the keys now, e.g. at Lambda init or service start-up.

        Only the first (primary) issuer's JWKS of each pool is loaded; other
        issuer forms are fetched when a token uses them.  If the primary host
        answers 403/404 (the pool publishes its keys on its other issuer host
        only), the next one is loaded instead.

        Raises:
            JwksUnavailableError: (503) the keys could not be obtained.
        """
        for owner, uris in self._uris_by_owner():
            hydrate_first(owner._keys, uris)

    async def hydrate_async(self) -> None:
        """`hydrate` without blocking the event loop."""
        import asyncio

        await asyncio.to_thread(self.hydrate)

    def _uris_by_owner(self) -> list[tuple[_VerifierBase, list[str]]]:
        return [(self, self._jwks_uris())]

    @property
    def issuers(self) -> tuple[str, ...]:
        """The ``iss`` values this verifier accepts."""
        return tuple(self._routes)


def _resolve_jwks_uri(issuer: str, jwks_uri: str | None, allow_http: bool, *, static: bool) -> str:
    """The JWKS URI for ``issuer``; checked for https only if it will be fetched."""
    uri = jwks_uri if jwks_uri is not None else issuer.rstrip("/") + "/.well-known/jwks.json"
    return uri if static else check_jwks_uri(uri, allow_http=allow_http)


class CognitoJwtVerifier(_VerifierBase):
    """Verifies ID and access tokens of one Amazon Cognito user pool.

    ``token_use`` and ``client_id`` are required: pass ``None`` to skip a check
    on purpose, so that loosening is always visible in the caller's code.

    Args:
        user_pool_id: e.g. ``"us-east-1_AbCdEf123"``; the issuer and JWKS URI
            follow from it.
        token_use: ``"id"``, ``"access"``, or ``None`` for either.
        client_id: the app client id(s) allowed in ``aud`` (ID tokens) or
            ``client_id`` (access tokens), or ``None`` for any client.
        groups: ``cognito:groups`` required (any one, or all with
            ``require_all_groups``); missing → 403.
        scopes: OAuth scopes required in ``scope`` (any, or all with
            ``require_all_scopes``); missing → 403.
        resource: resource server identifier(s) of which an access token's
            ``aud`` must hold one (RFC 8707 resource indicators), checked in
            addition to ``client_id``; requires ``token_use="access"``.
            ``None`` (the default) checks no ``aud`` in access tokens.
        leeway: seconds of clock skew tolerated on ``exp`` (and at least as
            much on ``nbf``/``iat``); default 0, so a token is refused the
            moment it expires.
        iat_nbf_leeway: seconds this host's clock may lag the issuer's on
            ``iat``/``nbf``; default 60.  A future ``iat`` grants nothing,
            a late ``exp`` does, so only this side is tolerant by default.
        custom_check: ``f(header, claims)``, run last; raise or return ``False``
            to reject.
        issuer: accept this ``iss`` instead of the Cognito forms (rarely needed).
        jwks_uri: fetch keys here instead (e.g. a local emulator).
        additional_regions: replica regions of a multi-region pool.
        jwks: a JWKS document to use instead of fetching (offline, bundled).
        jwks_cache: a `JwksCache` to use instead of the shared default.
        fetcher: a custom `Fetcher` (gets a private cache).
        session: a ``requests.Session`` for the default fetcher.
        allow_http: permit a plain-http ``jwks_uri`` (local emulators only).
        clock: returns the current epoch seconds (tests, replays).
        max_token_length: size cap in characters.
        include_claims_in_errors: attach verified claims to claim errors.
        cache_size: how many verified tokens to remember (LRU), so that a
            token seen again skips the signature check; ``exp``/``nbf``, the
            key still being published and ``custom_check`` are re-checked on
            every hit.  ``0`` turns the cache off.
        on_event: ``f(event)``, told of every rejection with an immutable
            `Event` (reason, status, issuer, kid; never the token or a claim
            value).  It cannot change a result: what it raises is logged once
            and swallowed.  JWKS fetch events come from the `JwksCache`'s own
            ``on_event`` (a cache made for ``fetcher``/``session`` gets this one).

    Raises:
        ConfigurationError: a setting is missing or invalid.

    Examples:
        >>> verifier = CognitoJwtVerifier(
        ...     user_pool_id="us-east-1_AbCdEf123", token_use="access", client_id="abc"
        ... )
        >>> # claims = verifier.verify(token)
    """

    def __init__(
        self,
        *,
        user_pool_id: str,
        token_use: TokenUse | None = _REQUIRED,
        client_id: str | Sequence[str] | None = _REQUIRED,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
        resource: str | Sequence[str] | None = None,
        leeway: float = 0,
        iat_nbf_leeway: float = _claims.DEFAULT_IAT_NBF_LEEWAY,
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
        on_event: _events.EventHook | None = None,
    ) -> None:
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
                "client_id: expected the app client id(s) (or None, explicitly, for any), "
                "found it missing"
            )
        if resource is not None and token_use != "access":  # noqa: S105
            raise ConfigurationError(
                f"resource: expected token_use='access' (only access tokens are bound to a "
                f"resource), found token_use={token_use!r}"
            )
        super().__init__(
            algorithms=("RS256",),
            leeway=leeway,
            iat_nbf_leeway=iat_nbf_leeway,
            custom_check=custom_check,
            jwks=jwks,
            jwks_cache=jwks_cache,
            fetcher=fetcher,
            session=session,
            clock=clock,
            max_token_length=max_token_length,
            include_claims_in_errors=include_claims_in_errors,
            cache_size=cache_size,
            on_event=on_event,
        )
        self.user_pool_id = user_pool_id
        if issuer is None:
            issuers = cognito_issuers(user_pool_id, additional_regions)
        else:
            if not isinstance(issuer, str) or not issuer:
                raise ConfigurationError(f"issuer: expected a non-empty str, found {issuer!r}")
            _pool_region(user_pool_id)  # still '<region>_<id>', in any partition
            issuers = (issuer,)
        rules = _Rules(
            cognito=True,
            token_use=token_use,
            audiences=_string_set("client_id", client_id, allow_none=True),
            groups=_string_set("groups", groups, allow_none=True),
            require_all_groups=require_all_groups,
            scopes=_string_set("scopes", scopes, allow_none=True),
            require_all_scopes=require_all_scopes,
            resources=_string_set("resource", resource, allow_none=True),
        )
        self._routes = {
            iss: _Route(
                iss,
                _resolve_jwks_uri(iss, jwks_uri, allow_http, static=jwks is not None),
                rules,
                self,
            )
            for iss in issuers
        }


class JwtVerifier(_VerifierBase):
    """Verifies JWTs of any OpenID Connect / OAuth issuer that publishes a JWKS.

    Args:
        issuer: the exact ``iss`` expected.
        audience: allowed ``aud`` value(s) (a token's list ``aud`` passes if
            any entry matches), or ``None`` to skip the check on purpose.
        jwks_uri: defaults to ``<issuer>/.well-known/jwks.json``.
        algorithms: allowed JWS algorithms (RS*, PS*, ES*, and ``EdDSA``,
            ``Ed25519``, ``Ed448`` for OKP keys); default ``RS256``.
        scopes: required ``scope`` entries (any, or all with ``require_all_scopes``).

    Other arguments are as for `CognitoJwtVerifier`.

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
        leeway: float = 0,
        iat_nbf_leeway: float = _claims.DEFAULT_IAT_NBF_LEEWAY,
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
        on_event: _events.EventHook | None = None,
    ) -> None:
        if audience is _REQUIRED:
            raise ConfigurationError(
                "audience: expected the allowed audience(s) (or None, explicitly, for any), "
                "found it missing"
            )
        if not isinstance(issuer, str) or not issuer:
            raise ConfigurationError(f"issuer: expected a non-empty str, found {issuer!r}")
        super().__init__(
            algorithms=algorithms,
            leeway=leeway,
            iat_nbf_leeway=iat_nbf_leeway,
            custom_check=custom_check,
            jwks=jwks,
            jwks_cache=jwks_cache,
            fetcher=fetcher,
            session=session,
            clock=clock,
            max_token_length=max_token_length,
            include_claims_in_errors=include_claims_in_errors,
            cache_size=cache_size,
            on_event=on_event,
        )
        rules = _Rules(
            cognito=False,
            token_use=None,
            audiences=_string_set("audience", audience, allow_none=True),
            groups=None,
            require_all_groups=False,
            scopes=_string_set("scopes", scopes, allow_none=True),
            require_all_scopes=require_all_scopes,
        )
        self._routes = {
            issuer: _Route(
                issuer,
                _resolve_jwks_uri(issuer, jwks_uri, allow_http, static=jwks is not None),
                rules,
                self,
            )
        }


class MultiIssuerVerifier(_VerifierBase):
    """One verifier for several user pools or issuers, each with its own rules.

    The token's ``iss`` picks the configured verifier that handles it; an
    ``iss`` that none is configured for is rejected before any key is fetched.

    Raises:
        ConfigurationError: no verifiers, or two claim the same issuer.

    Examples:
        >>> multi = MultiIssuerVerifier([
        ...     CognitoJwtVerifier(user_pool_id="us-east-1_A", token_use="id", client_id="a"),
        ...     CognitoJwtVerifier(user_pool_id="eu-west-1_B", token_use="id", client_id="b"),
        ... ])
    """

    def __init__(
        self,
        verifiers: Sequence[CognitoJwtVerifier | JwtVerifier],
        *,
        on_event: _events.EventHook | None = None,
    ) -> None:
        if not verifiers:
            raise ConfigurationError("verifiers: expected at least one verifier, found none")
        routes: dict[str, _Route] = {}
        for verifier in verifiers:
            if not isinstance(verifier, CognitoJwtVerifier | JwtVerifier):
                raise ConfigurationError(
                    f"verifiers: expected CognitoJwtVerifier or JwtVerifier, "
                    f"found {type(verifier).__name__}"
                )
            for iss, route in verifier._routes.items():
                if iss in routes:
                    raise ConfigurationError(f"verifiers: issuer {iss!r} is configured twice")
                routes[iss] = route
        self._on_event = _events.make_hook(on_event)
        self._verifiers = tuple(verifiers)
        self._routes = routes
        self._algorithms = frozenset().union(*(v._algorithms for v in verifiers))
        self._max_token_length = max(v._max_token_length for v in verifiers)
        self._header_cache = {}
        # Room for what the members would hold; a member with cache_size=0 keeps
        # its tokens out (see _complete).
        size = sum(v._token_cache.maxsize for v in verifiers if v._token_cache is not None)
        self._token_cache = TokenCache(size) if size else None

    def _uris_by_owner(self) -> list[tuple[_VerifierBase, list[str]]]:
        return [pair for v in self._verifiers for pair in v._uris_by_owner()]
