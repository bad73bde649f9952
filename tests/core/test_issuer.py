"""cognito_jwt._issuer: one accepted `iss`, its rules, and where its keys live.

The verifier suites reach the issuer through Cognito pools; these pin the
generic issuer's rules (`audience=None`, `scopes=`) with real signed tokens,
and the default JWKS location.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import requests
from fixed_time import NOW, clock

from cognito_jwt import (
    CognitoJwtVerifier,
    ConfigurationError,
    InvalidClaimError,
    JwksCache,
    JwtVerifier,
    MalformedTokenError,
    MissingScopeError,
    RequestsFetcher,
)
from cognito_jwt._issuer import default_jwks_uri
from cognito_jwt._issuer_settings import _key_source
from cognito_jwt._jwks import DEFAULT_JWKS_CACHE
from cognito_jwt._key_source import StaticKeySource
from cognito_jwt.revocation import MemoryStore, RevocationList
from cognito_jwt.testing import FakeCognitoPool


def generic(pool: FakeCognitoPool, **options: Any) -> JwtVerifier:
    return JwtVerifier(issuer=pool.issuer, jwks=pool.jwks, clock=clock, **options)


@pytest.mark.parametrize("aud", ["someone-else", ["a", "b"], None], ids=["str", "list", "absent"])
def test_audience_none_accepts_any_audience_and_none(pool: FakeCognitoPool, aud: Any) -> None:
    """`audience=None` is the explicit "any audience": the rule is skipped, not run on nothing."""
    claims = generic(pool, audience=None).verify(pool.id_token(now=NOW, aud=aud))
    assert claims.get("aud") == aud


def test_a_generic_issuer_requires_its_scopes(pool: FakeCognitoPool) -> None:
    verifier = generic(pool, audience=None, scopes=["orders/read"])
    assert verifier.verify(pool.access_token(now=NOW, scopes=["orders/read"]))
    with pytest.raises(MissingScopeError) as info:
        verifier.verify(pool.access_token(now=NOW, scopes=["orders/write"]))
    assert info.value.reason == "missing_scope"


def _refusing(verdict: Exception | None) -> Any:
    """A check that returns False (`verdict` None) or raises `verdict`."""

    def check(header: dict[str, Any], claims: dict[str, Any]) -> bool:
        if verdict is not None:
            raise verdict
        return False

    return check


def _refusing_async(verdict: Exception | None) -> Any:
    async def check(header: dict[str, Any], claims: dict[str, Any]) -> bool:
        return _refusing(verdict)(header, claims)  # type: ignore[no-any-return]

    return check


@pytest.mark.parametrize("name", ["custom_check", "custom_check_async"])
@pytest.mark.parametrize(
    ("verdict", "found"),
    [
        (None, "found it returned False"),
        (RuntimeError("database down"), "found it raised RuntimeError: 'database down'"),
    ],
    ids=["returns-false", "raises"],
)
def test_a_refusing_custom_check_is_named_with_what_it_did(
    pool: FakeCognitoPool, name: str, verdict: Exception | None, found: str
) -> None:
    """The message names the check that refused and how (expected vs found)."""
    make = _refusing if name == "custom_check" else _refusing_async
    verifier = generic(pool, audience=None, **{name: make(verdict)})
    token = pool.id_token(now=NOW)

    def verify() -> object:
        if name == "custom_check":
            return verifier.verify(token)
        return asyncio.run(verifier.verify_async(token))

    with pytest.raises(InvalidClaimError) as info:
        verify()
    assert info.value.reason == "custom_check_failed"
    assert str(info.value) == f"{name}: expected it to accept the token, {found}"


@pytest.mark.parametrize(
    ("iss", "uri"),
    [
        ("https://idp.example.com", "https://idp.example.com/.well-known/jwks.json"),
        ("https://idp.example.com/", "https://idp.example.com/.well-known/jwks.json"),
        ("https://idp.example.com/tenant/", "https://idp.example.com/tenant/.well-known/jwks.json"),
    ],
)
def test_the_default_jwks_uri_follows_the_issuer_without_a_double_slash(iss: str, uri: str) -> None:
    assert default_jwks_uri(iss) == uri


# -- the settings every verifier shares (`_issuer_settings`) -------------------------------

BASE: dict[str, Any] = {"user_pool_id": "us-east-1_A", "token_use": "id", "client_id": "c"}
JWKS: dict[str, Any] = {"keys": []}


class NoFetcher:
    def fetch(self, url: str) -> bytes:
        raise AssertionError("never called")


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"leeway": 600}, "leeway"),
        ({"iat_nbf_leeway": -0.5}, "iat_nbf_leeway"),
        ({"clock": 1_800_000_000}, "clock"),
        ({"max_token_length": 63}, "max_token_length"),
        ({"max_token_length": 64.0}, "max_token_length"),
        ({"cache_size": -1}, "cache_size"),
        ({"cache_size": 1.0}, "cache_size"),
        ({"jwks": JWKS, "jwks_cache": JwksCache()}, "jwks: static keys never fetch"),
        ({"jwks": JWKS, "fetcher": NoFetcher()}, "jwks: static keys never fetch"),
        ({"jwks": JWKS, "session": requests.Session()}, "jwks: static keys never fetch"),
        ({"fetcher": NoFetcher(), "jwks_cache": JwksCache()}, "fetcher"),
        ({"session": requests.Session(), "jwks_cache": JwksCache()}, "session"),
        ({"session": requests.Session(), "fetcher": NoFetcher()}, "session"),
    ],
)
def test_each_wrong_setting_is_refused_naming_it(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        CognitoJwtVerifier(**{**BASE, **kwargs})
    assert str(info.value).startswith(named if ":" in named else f"{named}:"), info.value


def test_an_empty_audience_list_says_how_to_skip_the_check(pool: FakeCognitoPool) -> None:
    with pytest.raises(ConfigurationError) as info:
        generic(pool, audience=[])
    assert str(info.value) == (
        "audience: expected non-empty strings (None to skip the check), found []"
    )


@pytest.mark.parametrize(
    "options",
    [
        {"leeway": 599.5, "iat_nbf_leeway": 0},
        {"cache_size": 0},
        {"algorithms": "RS256"},  # one algorithm as a string, not its characters
    ],
)
def test_settings_at_their_limits_are_accepted(
    pool: FakeCognitoPool, options: dict[str, Any]
) -> None:
    verifier = generic(pool, audience=None, **options)
    assert verifier.verify(pool.id_token(now=NOW))["token_use"] == "id"


TEN_YEARS = 10 * 365 * 86_400


@pytest.mark.parametrize("lifetime", [0, -1, True, "3600", TEN_YEARS + 1, TEN_YEARS + 0.5])
def test_a_declared_token_lifetime_out_of_range_is_refused(
    pool: FakeCognitoPool, lifetime: Any
) -> None:
    """`max_token_lifetime` is seconds in (0, ten years]; a bool is not a number of seconds."""
    with pytest.raises(ConfigurationError) as info:
        generic(pool, audience=None, max_token_lifetime=lifetime)
    assert str(info.value).startswith("max_token_lifetime:"), info.value


@pytest.mark.parametrize("lifetime", [1, 0.5, TEN_YEARS])
def test_a_declared_token_lifetime_reaches_the_revocation_list(
    pool: FakeCognitoPool, lifetime: float
) -> None:
    """A revocation list on a generic issuer needs its declared lifetime, down to the bounds."""
    revocations = RevocationList(MemoryStore(), max_token_lifetime=TEN_YEARS)
    verifier = generic(pool, audience=None, max_token_lifetime=lifetime, revocation=revocations)
    assert verifier.verify(pool.id_token(now=NOW))["token_use"] == "id"


def test_the_shortest_token_length_limit_is_64(pool: FakeCognitoPool) -> None:
    with pytest.raises(MalformedTokenError) as info:
        generic(pool, audience=None, max_token_length=64).verify(pool.id_token(now=NOW))
    assert info.value.reason == "token_too_large"


def test_each_way_of_giving_keys_is_the_key_source_used(pool: FakeCognitoPool) -> None:
    """At most one way of four; none given is the process-wide cache."""
    cache = JwksCache()
    fetcher = NoFetcher()
    session = requests.Session()
    assert _key_source(None, None, None, None, None) is DEFAULT_JWKS_CACHE
    assert _key_source(None, cache, None, None, None) is cache
    assert isinstance(_key_source(pool.jwks, None, None, None, None), StaticKeySource)
    own = _key_source(None, None, fetcher, None, None)
    assert isinstance(own, JwksCache)
    assert own is not DEFAULT_JWKS_CACHE
    assert own.fetcher is fetcher
    through = _key_source(None, None, None, session, None)
    assert isinstance(through, JwksCache)
    assert isinstance(through.fetcher, RequestsFetcher)
    assert through.fetcher._session is session
