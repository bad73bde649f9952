"""The request path every verifier shares (`_VerifierBase`), and `refuse_async_only`.

One request's path::

    verified before? (token cache) → parse (_token.py) → alg allow-list → kid →
    the configured issuer its iss names → key (_jwks.py; fetch only on a miss) →
    signature → exp/nbf/iat → issuer rules (claim types first) → custom_check →
    claims (remembered) → [custom_check_async, in verify_async] → [revocation]

A token-cache hit re-runs the bracketed steps and `custom_check` (the cache's
rule: whatever can change between two calls is checked on every call).

A rejection is reported to the verifier's `on_report` hook, if it has one
(`_reports.py`), and then raised as it would have been.

A verifier is a map from accepted `iss` values to per-issuer objects
(`_issuer.py`), each carrying the settings its tokens are judged by.  The token
never names where keys come from: its `iss` only selects among issuers the
caller configured, and `jku`/`x5u`/`jwk`/`x5c` headers are never read.

The generic `JwtVerifier` lives in `_jwt_verifier.py`, `CognitoJwtVerifier` and
`cognito_issuers` in `_cognito.py` and `MultiIssuerVerifier` in
`_multi_issuer.py`, all on top of this module, which names none of them;
`cognito_jwt.verifier`, the path 0.1.0 shipped, re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cognito_jwt import _reports
from cognito_jwt._issuer import _Issuer
from cognito_jwt._key_source import KeySource, hydrate_first
from cognito_jwt._revocation import (
    IssuerFacts,
    Revocation,
    run_checks_async,
)
from cognito_jwt._token import _KNOWN_TYPS, Header, ParsedToken, parse_token
from cognito_jwt._token_cache import TokenCache
from cognito_jwt.errors import (
    CognitoJwtError,
    ConfigurationError,
    InvalidIssuerError,
    MalformedTokenError,
    MissingClaimError,
    RevocationUnavailableError,
    UnsupportedAlgorithmError,
    shown,
)

__all__ = ["refuse_async_only"]

_MAX_HEADER_CACHE = 64


class _VerifierBase:
    """What every verifier is: a map of configured issuers, and the request path over it.

    A verifier kind differs only in its issuers' rules and in three steps it
    may replace: `_parse` (the token's form), `_issuer_for` (which configured
    issuer a parsed token belongs to, and the rules that run before any key
    is fetched) and `_report` (what a rejection tells the hook).
    """

    #: The header `typ` values accepted besides none (lower case).  One policy
    #: per verifier, because `_header_cache` remembers headers that passed it.
    _typs: frozenset[str] = _KNOWN_TYPS

    #: Whether the token's `iss` picks the issuer, so that `MultiIssuerVerifier`
    #: can merge this verifier's issuers with others' (an ALB routes by `signer`).
    _routed_by_iss = True

    #: The request headers that may carry this verifier's token, in order (read
    #: by `cognito_jwt.http`): RFC 6750's `Authorization`, then the access token
    #: an ALB that authenticated the user forwards.  The verifier declares it, so
    #: no adapter has to test which verifier it was given.
    token_headers: ClassVar[tuple[str, ...]] = ("Authorization", "x-amzn-oidc-accesstoken")

    def __init__(
        self,
        issuers: Mapping[str, _Issuer],
        *,
        on_report: _reports.Hook | None,
        facts: Mapping[str, IssuerFacts],
        revocation: tuple[Revocation, ...] | None = None,
    ) -> None:
        self._issuers = dict(issuers)
        uses = {getattr(issuer.rules, "token_use", None) for issuer in self._issuers.values()}
        self._token_use: str | None = uses.pop() if len(uses) == 1 else None
        #: What each issuer tells a revocation mechanism (kept for MultiIssuerVerifier).
        self._facts = dict(facts)
        #: Told of each rejection; `None` costs the error path one test.
        self._on_report = on_report
        # Each verifier's issuers share one settings value; a MultiIssuerVerifier
        # holds several.
        shared = list({id(i.settings): i.settings for i in self._issuers.values()}.values())
        # The union, checked before routing; each issuer's own list is checked after.
        self._algorithms: frozenset[str] = frozenset().union(*(s.algorithms for s in shared))
        self._max_token_length = max(s.max_token_length for s in shared)
        self._header_cache: dict[str, Header] = {}
        size = sum(s.cache_size for s in shared)
        self._token_cache = TokenCache(size) if size else None
        #: iss -> the mechanisms its tokens are checked by; empty when none has one,
        #: so a verifier without revocation pays one truthiness test per call.
        self._revocations: dict[str, tuple[Revocation, ...]] = {}
        if revocation is not None:  # one list for every issuer (MultiIssuerVerifier)
            for check in revocation:
                check.accept_issuers(list(self._facts.values()))
            self._revocations = dict.fromkeys(self._issuers, revocation)
        else:
            for settings in shared:
                if settings.revocation:
                    mine = [
                        f for f in self._facts.values() if self._issuers[f.iss].settings is settings
                    ]
                    for check in settings.revocation:
                        check.accept_issuers(mine)
                    for fact in mine:
                        self._revocations[fact.iss] = settings.revocation
        #: iss of issuers with a `custom_check_async`.
        self._async_checked = frozenset(
            iss for iss, i in self._issuers.items() if i.settings.custom_check_async is not None
        )
        self.requires_async: bool = bool(self._async_checked) or any(
            check.requires_async for checks in self._revocations.values() for check in checks
        )
        """`True` when only `verify_async` can verify: an issuer has a
        `custom_check_async`, or a revocation store has an asyncio client only.
        `verify()` then raises `ConfigurationError`, and the synchronous
        integrations and `make_handler` refuse the verifier when built."""

    def _refuse_sync(self) -> ConfigurationError:
        what = (
            "custom_check_async"
            if self._async_checked
            else "a revocation store with an asyncio client only"
        )
        return ConfigurationError(
            f"verify: this verifier has {what}, which only verify_async can await: "
            "call `await verifier.verify_async(token)` (or use an async integration)"
        )

    def verify(self, token: str) -> dict[str, Any]:
        """Verify `token` and return its claims.

        Raises:
            InvalidTokenError: (401) the token must not be trusted; the subclass
                and `reason` say why.
            AccessDeniedError: (403) valid, but lacks a required group or scope.
            JwksUnavailableError: (503) the keys could not be obtained.
            RevocationUnavailableError: (503) whether it is revoked could not be told.
            ConfigurationError: the verifier `requires_async`: use `verify_async`.
        """
        if self.requires_async:
            raise self._refuse_sync()
        try:
            cache = self._token_cache
            claims = cache.lookup(token) if cache is not None else None
            if claims is None:
                parsed = self._parse(token)
                issuer, kid = self._issuer_for(parsed)
                keys, uri = issuer.settings.keys, issuer.jwks_uri
                key = keys.peek(uri, kid) or keys.get_key(uri, kid)
                claims = issuer.verify_signed(parsed, key)
                if cache is not None:
                    cache.remember(token, issuer, parsed.header, kid, key)
            revocations = self._revocations
            if revocations:
                checks = revocations.get(claims["iss"])
                if checks is not None:
                    # run_checks_async's policy, inlined: a token-cache hit pays no extra call.
                    for check in checks:
                        try:
                            check.check(token, claims)
                        except RevocationUnavailableError as exc:
                            if not check.fail_open:
                                raise
                            self._fail_open_report(exc, claims["iss"])
            return claims
        except CognitoJwtError as exc:
            if self._on_report is not None:
                self._report(exc, token)
            raise

    async def verify_async(self, token: str) -> dict[str, Any]:
        """Like `verify`, without blocking the event loop on a JWKS fetch.

        A cached key is used inline (the signature check takes microseconds); a
        fetch runs in a worker thread, where concurrent callers share it.  An
        issuer's `custom_check_async` is awaited after `custom_check`, and the
        revocation check awaits its store (or Cognito).
        """
        try:
            cache = self._token_cache
            claims = cache.lookup(token) if cache is not None else None
            header: Header | None = None
            if claims is None:
                parsed = self._parse(token)
                header = parsed.header
                issuer, kid = self._issuer_for(parsed)
                keys, uri = issuer.settings.keys, issuer.jwks_uri
                key = keys.peek(uri, kid)
                if key is None:
                    import asyncio  # only here: it is slow to import (docs/performance.md)

                    key = await asyncio.to_thread(keys.get_key, uri, kid)
                claims = issuer.verify_signed(parsed, key)
                if cache is not None:
                    cache.remember(token, issuer, parsed.header, kid, key)
            iss: str = claims.get("iss", "")  # an ALB's payload need not route by it
            if self._async_checked and iss in self._async_checked:
                if header is None:  # a cache hit: the header of the remembered token
                    header = self._parse(token).header
                await self._issuers[iss].run_custom_check_async(header, claims)
            revocations = self._revocations
            if revocations:
                checks = revocations.get(iss)
                if checks is not None:
                    await run_checks_async(checks, token, claims, self._fail_open_report)
            return claims
        except CognitoJwtError as exc:
            if self._on_report is not None:
                self._report(exc, token)
            raise

    def _fail_open_report(self, error: RevocationUnavailableError, iss: Any) -> None:
        """Tell the hook that a fail-open revocation accepted a token it could not check."""
        hook = self._on_report
        if hook is not None:
            _reports.notify(
                hook,
                "revocation_fail_open",
                reason=error.reason,
                status=error.status_code,
                issuer=iss if isinstance(iss, str) and iss in self._issuers else None,
            )

    def _report(self, error: CognitoJwtError, token: str) -> None:
        """Tell the `on_report` hook about a rejection (see `_reports.py`)."""
        assert self._on_report is not None  # the caller checked
        issuer, kid = _reports.routing_of(
            token, self._issuers, self._max_token_length, self._header_cache, self._typs
        )
        _reports.rejection(self._on_report, error, issuer=issuer, kid=kid)

    def _parse(self, token: str) -> ParsedToken:
        header_cache = self._header_cache
        if len(header_cache) >= _MAX_HEADER_CACHE:
            header_cache.clear()  # bounded: a flood of distinct headers cannot grow it
        return parse_token(
            token, max_length=self._max_token_length, header_cache=header_cache, typs=self._typs
        )

    def _issuer_for(self, parsed: ParsedToken) -> tuple[_Issuer, str]:
        """The configured issuer the token names, and its kid; nothing fetched yet."""
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
        issuer = self._issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            if iss is None:
                raise MissingClaimError(
                    "claim iss: expected an issuer, found none", reason="missing_iss"
                )
            raise InvalidIssuerError(
                f"claim iss: expected {' or '.join(sorted(self._issuers))}, found {shown(iss)}",
                reason="invalid_issuer",
            )
        algorithms = issuer.settings.algorithms
        if alg not in algorithms:
            # Only reachable through MultiIssuerVerifier, whose allow-list is the
            # union: each issuer keeps its own.
            raise UnsupportedAlgorithmError(
                f"header alg: expected {' or '.join(sorted(algorithms))} for "
                f"issuer {issuer.iss}, found {shown(alg)}",
                reason="unsupported_algorithm",
            )
        return issuer, kid

    def hydrate(self) -> None:
        """Fetch the keys now, e.g. at Lambda init or service start-up.

        Only the first (primary) issuer's JWKS of each pool is loaded; other
        issuer forms are fetched when a token uses them.  If the primary host
        answers 403/404 (the pool publishes its keys on its other issuer host
        only), the next one is loaded instead.

        Raises:
            JwksUnavailableError: (503) the keys could not be obtained.
        """
        for keys, uris in self._uris_by_pool():
            hydrate_first(keys, uris)

    def _uris_by_pool(self) -> list[tuple[KeySource, list[str]]]:
        """Each configured verifier's key source and JWKS URIs, its primary issuer's first.

        The issuers one verifier configured share one settings value, so that
        is what groups them (a `MultiIssuerVerifier` holds several groups).
        """
        pools: dict[int, tuple[KeySource, list[str]]] = {}
        for issuer in sorted(self._issuers.values(), key=lambda i: not i.primary):
            _, uris = pools.setdefault(id(issuer.settings), (issuer.settings.keys, []))
            if issuer.jwks_uri not in uris:
                uris.append(issuer.jwks_uri)
        return list(pools.values())

    async def hydrate_async(self) -> None:
        """`hydrate` without blocking the event loop."""
        import asyncio

        await asyncio.to_thread(self.hydrate)

    @property
    def issuers(self) -> tuple[str, ...]:
        """The `iss` values this verifier accepts."""
        return tuple(self._issuers)

    def now(self, claims: Mapping[str, Any] | None = None) -> float:
        """The current time by the clock of the issuer `claims` name (else the first issuer's).

        What a step-up age demanded after verification (a route's
        `max_auth_age`) is measured against, so a verifier built with a test
        `clock` judges it as it judges `exp`.
        """
        iss = claims.get("iss") if claims is not None else None
        issuer = self._issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            issuer = next(iter(self._issuers.values()))
        return issuer.settings.clock()

    @property
    def max_auth_age(self) -> int | None:
        """The oldest sign-in accepted, in seconds, or `None` when no age is demanded.

        The `max_auth_age` the verifier was built with (for a
        `MultiIssuerVerifier`, the smallest of its members').  What a cache in
        front of the verifier must not outlive: `make_handler` reads it to
        refuse API Gateway's authorizer cache.
        """
        ages = [
            issuer.step_up.max_age
            for issuer in self._issuers.values()
            if issuer.step_up is not None and issuer.step_up.max_age is not None
        ]
        return min(ages) if ages else None

    @property
    def token_use(self) -> str | None:
        """`"id"` or `"access"` when every token this verifier accepts is of that kind, else `None`.

        Lets a route's requirement be refused when it can never pass (a scope
        demanded of ID tokens, which carry none): see `cognito_jwt.http`.
        """
        return self._token_use


def refuse_async_only(verifier: object, where: str) -> None:
    """Refuse, when a synchronous integration is built, a verifier only `verify_async` can run.

    Raises:
        ConfigurationError: `verifier.requires_async` (a `custom_check_async`,
            or a revocation store with an asyncio client only).
    """
    if getattr(verifier, "requires_async", False) is True:
        raise ConfigurationError(
            f"{where}: expected a verifier that verify() can run, found one that requires "
            "verify_async (a custom_check_async, or a revocation store with an asyncio client "
            "only): use the async integration, or give the store a synchronous client"
        )
