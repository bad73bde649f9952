"""The verified-token cache: every correctness rule of a cached answer, one test (or more) each.

A repeat ``verify`` of the exact same token string may skip the parse, the
signature and the issuer rules, never the checks that can change between two
calls: ``exp``/``nbf``/``iat`` against the verifier's clock and leeway, the key
still being the one served for its kid, and ``custom_check``.  Only successes
are remembered, memory is bounded (LRU), and callers never share claims.

No timings here (a 2-core CI machine is too noisy); ``benchmarks/bench.py``
measures the speed.  Whether a call was a hit is observed by counting the
signature checks that reach :meth:`VerificationKey.verify`.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest
from fixed_time import NOW
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_jwt import (
    CognitoJwtVerifier,
    ConfigurationError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidSignatureError,
    InvalidTokenError,
    JwksCache,
    JwtVerifier,
    MissingGroupError,
    MultiIssuerVerifier,
    TokenExpiredError,
    TokenNotYetValidError,
    UnknownKeyError,
    decode_unverified,
)
from cognito_jwt import _token_cache as cache_module
from cognito_jwt._keys import VerificationKey
from cognito_jwt._token_cache import DEFAULT_CACHE_SIZE, copy_json
from cognito_jwt.testing import FakeCognitoPool, ManualClock, b64url


class PoolFetcher:
    """Serves a pool's *current* JWKS; counts fetches."""

    def __init__(self, pool: FakeCognitoPool) -> None:
        self.pool = pool
        self.count = 0

    def fetch(self, uri: str) -> bytes:
        self.count += 1
        return self.pool.jwks_json.encode()


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The kid of every signature check that runs, in order."""
    calls: list[str] = []
    real = VerificationKey.verify

    def counting(self: VerificationKey, alg: str, data: bytes, signature: bytes) -> bool:
        calls.append(self.kid)
        return real(self, alg, data, signature)

    monkeypatch.setattr(VerificationKey, "verify", counting)
    return calls


@pytest.fixture(params=[True, False], ids=["lock-free", "locked"])
def cache_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run a test with the GIL build's lock-free cache and the free-threaded locked one."""
    monkeypatch.setattr(cache_module, "_GIL", request.param)
    return bool(request.param)


def cache_len(verifier: Any) -> int:
    cache = verifier._token_cache
    return 0 if cache is None else len(cache)


# -- on by default, off with cache_size=0 ---------------------------------------------------


def test_on_by_default_a_repeat_skips_the_signature(
    pool: FakeCognitoPool, signature_checks: list[str]
) -> None:
    verifier = pool.verifier(clock=ManualClock(NOW))
    token = pool.id_token(now=NOW)
    first = verifier.verify(token)
    second = verifier.verify(token)
    assert first == second
    assert len(signature_checks) == 1
    assert verifier._token_cache is not None
    assert verifier._token_cache.maxsize == DEFAULT_CACHE_SIZE


def test_cache_size_zero_turns_it_off(pool: FakeCognitoPool, signature_checks: list[str]) -> None:
    verifier = pool.verifier(clock=ManualClock(NOW), cache_size=0)
    token = pool.id_token(now=NOW)
    for _ in range(3):
        verifier.verify(token)
    assert len(signature_checks) == 3
    assert verifier._token_cache is None


def test_a_cache_of_one_token_remembers_it(
    pool: FakeCognitoPool, signature_checks: list[str]
) -> None:
    verifier = pool.verifier(clock=ManualClock(NOW), cache_size=1)
    token = pool.id_token(now=NOW)
    for _ in range(3):
        verifier.verify(token)
    assert len(signature_checks) == 1


def test_a_verifier_with_cache_size_zero_keeps_it_off_inside_a_multi_issuer_verifier(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool, signature_checks: list[str]
) -> None:
    """The merged verifier shares one cache; the issuer that said 0 is never put in it."""
    multi = MultiIssuerVerifier(
        [
            pool.verifier(clock=ManualClock(NOW), cache_size=0),
            other_pool.verifier(clock=ManualClock(NOW), cache_size=8),
        ]
    )
    uncached, cached = pool.id_token(now=NOW), other_pool.id_token(now=NOW)
    for _ in range(3):
        multi.verify(uncached)
        multi.verify(cached)
    assert len(signature_checks) == 3 + 1


@pytest.mark.parametrize("bad", [-1, True, 1.5, "10", None])
def test_cache_size_is_validated(pool: FakeCognitoPool, bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="cache_size"):
        pool.verifier(cache_size=bad)
    with pytest.raises(ConfigurationError, match="cache_size"):
        JwtVerifier(issuer=pool.issuer, audience=None, jwks=pool.jwks, cache_size=bad)


def test_jwt_verifier_caches_too(pool: FakeCognitoPool, signature_checks: list[str]) -> None:
    verifier = JwtVerifier(issuer=pool.issuer, audience=pool.client_id, jwks=pool.jwks)
    token = pool.id_token()
    verifier.verify(token)
    verifier.verify(token)
    assert len(signature_checks) == 1


def test_only_the_exact_string_hits(pool: FakeCognitoPool, signature_checks: list[str]) -> None:
    verifier = pool.verifier(clock=ManualClock(NOW))
    token = pool.id_token(now=NOW)
    verifier.verify(token)
    head, payload, sig = token.split(".")
    forged = f"{head}.{payload}.{sig[:-4]}{'AAAA' if sig[-4:] != 'AAAA' else 'BBBB'}"
    with pytest.raises(InvalidSignatureError):
        verifier.verify(forged)
    assert len(signature_checks) == 2


def test_a_token_ending_like_a_remembered_one_is_judged_in_full(
    pool: FakeCognitoPool, signature_checks: list[str]
) -> None:
    # Entries are found by the token's last characters (its signature's end);
    # a token with the same signature on another payload must not be served
    # the remembered claims.
    verifier = pool.verifier(clock=ManualClock(NOW))
    token = pool.id_token(now=NOW)
    verifier.verify(token)
    head, _, sig = token.split(".")
    other_payload = b64url(
        json.dumps({**decode_unverified(token)[1], "cognito:username": "mallory"}).encode()
    )
    forged = f"{head}.{other_payload}.{sig}"
    assert forged[-cache_module._KEY_CHARS :] == token[-cache_module._KEY_CHARS :]
    with pytest.raises(InvalidSignatureError):
        verifier.verify(forged)
    assert len(signature_checks) == 2
    assert verifier.verify(token)["cognito:username"] != "mallory"
    assert len(signature_checks) == 2  # the remembered token still hits


def remembered(pool: FakeCognitoPool) -> tuple[Any, cache_module.TokenCache, str]:
    """A verifier with the default cache, its cache, and a token it has just remembered."""
    verifier = pool.verifier(clock=ManualClock(NOW))
    cache = verifier._token_cache
    assert cache is not None
    token = pool.id_token(now=NOW)
    verifier.verify(token)
    return verifier, cache, token


def _changed_at(token: str, index: int) -> str:
    return token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(lambda t: _changed_at(t, 10), id="header"),
        pytest.param(lambda t: _changed_at(t, t.index(".") + 20), id="payload"),
        pytest.param(lambda t: _changed_at(t, t.rindex(".") + 1), id="signature-start"),
        pytest.param(
            lambda t: _changed_at(t, len(t) - cache_module._KEY_CHARS - 1), id="before-the-key"
        ),
        pytest.param(lambda t: " " + t, id="leading-space"),
        pytest.param(lambda t: t[1:], id="first-character-cut"),
    ],
)
def test_any_change_before_the_lookup_key_takes_the_full_path(
    pool: FakeCognitoPool, signature_checks: list[str], alter: Any
) -> None:
    verifier, cache, token = remembered(pool)
    altered = alter(token)
    assert altered[-cache_module._KEY_CHARS :] == token[-cache_module._KEY_CHARS :]
    with pytest.raises(InvalidTokenError):
        verifier.verify(altered)
    assert altered not in cache
    assert token in cache
    checks = len(signature_checks)
    verifier.verify(token)
    assert len(signature_checks) == checks  # still a hit


def test_an_equal_new_string_is_a_hit(pool: FakeCognitoPool, signature_checks: list[str]) -> None:
    # Every request brings its token as a new str object, never the one remembered.
    verifier = pool.verifier(clock=ManualClock(NOW))
    token = pool.id_token(now=NOW)
    verifier.verify(token)
    copy = "".join(list(token))
    assert copy is not token
    assert verifier.verify(copy) == verifier.verify(token)
    assert len(signature_checks) == 1


def test_discarding_an_entry_keeps_a_newer_one_found_the_same_way(
    pool: FakeCognitoPool, cache_mode: bool
) -> None:
    # A hit that finds its entry stale drops that entry only: another thread
    # may have remembered a fresh one under the same key meanwhile.
    _, cache, token = remembered(pool)
    suffix = token[-cache_module._KEY_CHARS :]
    old = cache._entries[suffix]
    cache.remember(token, old.issuer, old.header, old.kid, old.key)
    newer = cache._entries[suffix]
    assert newer is not old
    cache._discard(suffix, old)
    assert cache._entries.get(suffix) is newer
    cache._discard(suffix, newer)
    assert token not in cache


@pytest.fixture(scope="module")
def look_alike_tokens(pool: FakeCognitoPool) -> list[str]:
    """Valid tokens, each with its own claims (a distinct `jti`)."""
    return [pool.id_token(now=NOW, jti=f"look-alike-{i}") for i in range(8)]


@settings(max_examples=60, deadline=None)
@given(order=st.lists(st.integers(min_value=0, max_value=7), min_size=1, max_size=40))
def test_tokens_that_share_a_lookup_key_each_get_their_own_claims(
    pool: FakeCognitoPool, look_alike_tokens: list[str], order: list[int]
) -> None:
    # With a one-character lookup key, the eight tokens collide all the time
    # (an RS256 signature segment ends in one of four characters): every
    # answer must still be the one the full path gives for that exact token.
    assert len({token[-1] for token in look_alike_tokens}) < len(look_alike_tokens)
    reference = pool.verifier(clock=ManualClock(NOW), cache_size=0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cache_module, "_KEY_CHARS", 1)
        patch.setattr(cache_module, "_COLD_AFTER", 10**6)  # remember every token
        cached = pool.verifier(clock=ManualClock(NOW), cache_size=3)
        cache = cached._token_cache
        assert cache is not None
        for index in order:
            token = look_alike_tokens[index]
            assert cached.verify(token) == reference.verify(token)
            assert token in cache


def test_str_subclasses_never_use_the_cache(
    pool: FakeCognitoPool, signature_checks: list[str]
) -> None:
    class Sneaky(str):
        __slots__ = ()

        def __eq__(self, other: object) -> bool:  # claims to equal any token
            return True

        def __hash__(self) -> int:
            return str.__hash__(self)

    verifier = pool.verifier(clock=ManualClock(NOW))
    token = pool.id_token(now=NOW)
    verifier.verify(token)
    verifier.verify(Sneaky(token))
    verifier.verify(Sneaky(token))
    assert len(signature_checks) == 3


# -- time checks re-evaluated on every hit ----------------------------------------------------


def test_exp_is_re_evaluated_on_a_hit(
    pool: FakeCognitoPool, signature_checks: list[str], cache_mode: bool
) -> None:
    clock = ManualClock(NOW)
    verifier = pool.verifier(clock=clock)
    token = pool.id_token(now=NOW, expires_in=60)
    verifier.verify(token)
    clock.now = NOW + 59
    verifier.verify(token)
    assert len(signature_checks) == 1  # still a hit
    clock.now = NOW + 60
    with pytest.raises(TokenExpiredError) as info:
        verifier.verify(token)
    assert info.value.reason == "token_expired"
    assert cache_len(verifier) == 0  # dropped, not kept around


def test_leeway_applies_on_a_hit(pool: FakeCognitoPool, signature_checks: list[str]) -> None:
    clock = ManualClock(NOW)
    verifier = pool.verifier(clock=clock, leeway=30)
    token = pool.id_token(now=NOW, expires_in=60)
    verifier.verify(token)
    clock.now = NOW + 89  # expired 29 s ago: inside the leeway
    assert verifier.verify(token)["exp"] == NOW + 60
    assert len(signature_checks) == 1
    clock.now = NOW + 90
    with pytest.raises(TokenExpiredError):
        verifier.verify(token)


def test_nbf_is_re_evaluated_on_a_hit(pool: FakeCognitoPool, signature_checks: list[str]) -> None:
    clock = ManualClock(NOW + 100)
    verifier = pool.verifier(clock=clock, leeway=5, iat_nbf_leeway=0)
    token = pool.id_token(now=NOW, nbf=NOW + 50)
    verifier.verify(token)
    verifier.verify(token)
    assert len(signature_checks) == 1
    clock.now = NOW + 44  # the clock stepped back (NTP): before nbf - leeway
    with pytest.raises(TokenNotYetValidError) as info:
        verifier.verify(token)
    assert info.value.reason == "token_not_yet_valid"
    clock.now = NOW + 100
    verifier.verify(token)  # valid again: verified in full and remembered again
    verifier.verify(token)
    assert cache_len(verifier) == 1


def test_iat_is_re_evaluated_on_a_hit(pool: FakeCognitoPool) -> None:
    clock = ManualClock(NOW)
    verifier = pool.verifier(clock=clock)
    token = pool.id_token(now=NOW)
    verifier.verify(token)
    clock.now = NOW - 60  # this host 60 s behind the issuer: tolerated by default
    verifier.verify(token)
    clock.now = NOW - 61
    with pytest.raises(TokenNotYetValidError) as info:
        verifier.verify(token)
    assert info.value.reason == "issued_in_future"


def test_a_float_exp_is_honoured_on_a_hit(pool: FakeCognitoPool) -> None:
    clock = ManualClock(NOW)
    verifier = pool.verifier(clock=clock)
    token = pool.id_token(now=NOW, exp=NOW + 10.5)
    verifier.verify(token)
    clock.now = NOW + 10.4
    verifier.verify(token)
    clock.now = NOW + 10.5
    with pytest.raises(TokenExpiredError):
        verifier.verify(token)


# -- custom_check runs on every hit -----------------------------------------------------------


def test_custom_check_runs_on_every_hit(pool: FakeCognitoPool, signature_checks: list[str]) -> None:
    revoked: set[str] = set()
    seen: list[str] = []

    def not_revoked(header: dict[str, Any], claims: dict[str, Any]) -> bool:
        seen.append(claims["jti"])
        return claims["jti"] not in revoked

    verifier = pool.verifier(clock=ManualClock(NOW), custom_check=not_revoked)
    token = pool.id_token(now=NOW)
    jti = verifier.verify(token)["jti"]
    verifier.verify(token)
    verifier.verify(token)
    assert seen == [jti] * 3
    assert len(signature_checks) == 1
    revoked.add(jti)
    with pytest.raises(InvalidClaimError) as info:
        verifier.verify(token)
    assert info.value.reason == "custom_check_failed"
    revoked.clear()
    assert verifier.verify(token)["jti"] == jti


def test_custom_check_error_on_a_hit_carries_claims_when_asked(pool: FakeCognitoPool) -> None:
    allow = [True]
    verifier = pool.verifier(
        clock=ManualClock(NOW),
        custom_check=lambda header, claims: allow[0],
        include_claims_in_errors=True,
    )
    token = pool.id_token(now=NOW)
    verifier.verify(token)
    allow[0] = False
    with pytest.raises(InvalidClaimError) as info:
        verifier.verify(token)
    assert info.value.claims is not None
    assert info.value.claims["token_use"] == "id"


def test_custom_check_gets_copies_on_a_hit(pool: FakeCognitoPool) -> None:
    def meddle(header: dict[str, Any], claims: dict[str, Any]) -> None:
        header["alg"] = "none"
        claims["cognito:groups"].append("admin")
        claims["email"] = "mallory@example.com"

    verifier = pool.verifier(clock=ManualClock(NOW), custom_check=meddle)
    token = pool.id_token(now=NOW, groups=["users"])
    for _ in range(3):
        claims = verifier.verify(token)
        # Each call sees the meddling of its own check only, never an earlier one's.
        assert claims["cognito:groups"] == ["users", "admin"]
        assert claims["email"] == "mallory@example.com"


# -- keys that leave the JWKS -----------------------------------------------------------------


@pytest.fixture
def rotating() -> tuple[FakeCognitoPool, CognitoJwtVerifier, JwksCache, PoolFetcher, ManualClock]:
    """A pool of its own (its keys rotate) behind a fetching JWKS cache."""
    pool = FakeCognitoPool("us-east-1_CacheRot1", "cacherotclient0123456789a")
    mono = ManualClock()
    fetcher = PoolFetcher(pool)
    jwks_cache = JwksCache(
        fetcher, clock=mono, max_age=600, cooldown=10, background_refresh=False, refresh_ahead=0
    )
    verifier = pool.verifier(clock=ManualClock(NOW), jwks_cache=jwks_cache)
    return pool, verifier, jwks_cache, fetcher, mono


def test_an_entry_is_dropped_when_its_key_leaves_the_jwks(
    rotating: tuple[FakeCognitoPool, CognitoJwtVerifier, JwksCache, PoolFetcher, ManualClock],
    signature_checks: list[str],
) -> None:
    pool, verifier, _, _, mono = rotating
    token = pool.id_token(now=NOW)
    old_kid = pool.id_kid
    verifier.verify(token)
    verifier.verify(token)
    assert signature_checks == [old_kid]
    pool.rotate(which="id", label="cache-rotation")
    pool.unpublish(old_kid)
    mono.now += 601  # the cached set is due for refresh
    with pytest.raises(UnknownKeyError):
        verifier.verify(token)
    assert cache_len(verifier) == 0
    with pytest.raises(UnknownKeyError):
        verifier.verify(token)  # and it stays rejected


def test_a_reloaded_jwks_sends_a_hit_back_to_the_full_path(
    rotating: tuple[FakeCognitoPool, CognitoJwtVerifier, JwksCache, PoolFetcher, ManualClock],
    signature_checks: list[str],
) -> None:
    pool, verifier, jwks_cache, _, _ = rotating
    token = pool.id_token(now=NOW)
    verifier.verify(token)
    uri = verifier._issuers[pool.issuer].jwks_uri
    jwks_cache.add_jwks(uri, pool.jwks)  # same keys, new key objects
    verifier.verify(token)
    verifier.verify(token)
    assert len(signature_checks) == 2  # re-verified once against the new objects, then cached


def test_a_stale_jwks_is_never_trusted_by_the_cache(
    rotating: tuple[FakeCognitoPool, CognitoJwtVerifier, JwksCache, PoolFetcher, ManualClock],
    signature_checks: list[str],
) -> None:
    pool, verifier, _, fetcher, mono = rotating
    token = pool.id_token(now=NOW)
    verifier.verify(token)
    mono.now += 601  # past max_age: peek() no longer vouches for the key
    verifier.verify(token)
    assert fetcher.count == 2  # the full path ran and refreshed the set
    assert len(signature_checks) == 2


# -- only successes ---------------------------------------------------------------------------


def test_rejections_are_never_cached(pool: FakeCognitoPool, signature_checks: list[str]) -> None:
    clock = ManualClock(NOW)
    verifier = pool.verifier(clock=clock, groups=["admin"])
    cases = [
        (pool.id_token(now=NOW, groups=["users"]), MissingGroupError),
        (pool.id_token(now=NOW, groups=["admin"], aud="someone-else"), InvalidAudienceError),
        (pool.id_token(now=NOW - 7200, groups=["admin"]), TokenExpiredError),
    ]
    for token, error in cases:
        for _ in range(2):
            with pytest.raises(error):
                verifier.verify(token)
    assert cache_len(verifier) == 0
    assert len(signature_checks) == 6


def test_a_token_failing_custom_check_on_first_sight_is_not_cached(
    pool: FakeCognitoPool, signature_checks: list[str]
) -> None:
    allow = [False]
    verifier = pool.verifier(clock=ManualClock(NOW), custom_check=lambda h, c: allow[0])
    token = pool.id_token(now=NOW)
    with pytest.raises(InvalidClaimError):
        verifier.verify(token)
    assert cache_len(verifier) == 0
    allow[0] = True
    verifier.verify(token)
    verifier.verify(token)
    assert len(signature_checks) == 2


def test_caches_are_per_verifier(pool: FakeCognitoPool) -> None:
    """A token one verifier accepted says nothing to a verifier with other rules."""
    lenient = pool.verifier(clock=ManualClock(NOW))
    strict = pool.verifier(clock=ManualClock(NOW), groups=["admin"])
    token = pool.id_token(now=NOW, groups=["users"])
    lenient.verify(token)
    with pytest.raises(MissingGroupError):
        strict.verify(token)


# -- memory bounded ---------------------------------------------------------------------------


def test_the_cache_is_a_bounded_lru(
    pool: FakeCognitoPool, signature_checks: list[str], cache_mode: bool
) -> None:
    verifier = pool.verifier(clock=ManualClock(NOW), cache_size=3)
    tokens = [pool.id_token(now=NOW) for _ in range(5)]
    for token in tokens[:3]:
        verifier.verify(token)
    verifier.verify(tokens[0])  # most recently used now: tokens[1] is the eldest
    verifier.verify(tokens[3])  # evicts tokens[1]
    verifier.verify(tokens[4])  # evicts tokens[2]
    assert cache_len(verifier) == 3
    del signature_checks[:]
    verifier.verify(tokens[0])
    verifier.verify(tokens[3])
    verifier.verify(tokens[4])
    assert signature_checks == []
    verifier.verify(tokens[1])
    assert len(signature_checks) == 1
    assert cache_len(verifier) == 3


# -- callers never share claims ---------------------------------------------------------------


def test_mutating_returned_claims_never_reaches_the_next_caller(pool: FakeCognitoPool) -> None:
    identities = [
        {"providerName": "Google", "providerType": "Google", "userId": "1", "primary": "true"}
    ]
    profile: Any = {"tier": "free", "tags": ["a", ["b"]]}
    token = pool.id_token(
        now=NOW, groups=["users"], identities=identities, **{"custom:profile": profile}
    )
    verifier = pool.verifier(clock=ManualClock(NOW))
    pristine = verifier.verify(token)  # first sight (a miss)
    expected = {
        "cognito:groups": ["users"],
        "identities": identities,
        "custom:profile": {"tier": "free", "tags": ["a", ["b"]]},
    }
    for _ in range(3):  # the miss's dict, then hits
        claims = pristine if _ == 0 else verifier.verify(token)
        for name, value in expected.items():
            assert claims[name] == value
        claims["cognito:groups"].append("admin")
        claims["identities"][0]["userId"] = "attacker"
        claims["identities"].append({"providerName": "Evil"})
        claims["custom:profile"]["tier"] = "gold"
        claims["custom:profile"]["tags"][1].append("c")
        claims["email"] = "mallory@example.com"
        del claims["sub"]
    fresh = verifier.verify(token)
    assert fresh["email"] == "alice@example.com"
    assert "sub" in fresh
    for name, value in expected.items():
        assert fresh[name] == value


# -- async shares the cache; MultiIssuerVerifier ----------------------------------------------


def test_verify_async_shares_the_cache(pool: FakeCognitoPool, signature_checks: list[str]) -> None:
    verifier = pool.verifier(clock=ManualClock(NOW))
    token = pool.id_token(now=NOW)
    verifier.verify(token)
    assert asyncio.run(verifier.verify_async(token))["token_use"] == "id"
    other = pool.id_token(now=NOW)
    asyncio.run(verifier.verify_async(other))
    verifier.verify(other)
    assert len(signature_checks) == 2


def test_verify_async_re_evaluates_exp_on_a_hit(pool: FakeCognitoPool) -> None:
    clock = ManualClock(NOW)
    verifier = pool.verifier(clock=clock)
    token = pool.id_token(now=NOW, expires_in=60)
    asyncio.run(verifier.verify_async(token))
    clock.now = NOW + 60
    with pytest.raises(TokenExpiredError):
        asyncio.run(verifier.verify_async(token))


def test_multi_issuer_caches_and_honours_a_member_with_the_cache_off(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool, signature_checks: list[str]
) -> None:
    clock = ManualClock(NOW)
    multi = MultiIssuerVerifier(
        [pool.verifier(clock=clock), other_pool.verifier(clock=clock, cache_size=0)]
    )
    cached = pool.id_token(now=NOW, expires_in=60)
    uncached = other_pool.id_token(now=NOW)
    for _ in range(2):
        multi.verify(cached)
        multi.verify(uncached)
    assert len(signature_checks) == 3
    clock.now = NOW + 60  # the member's clock decides on a hit
    with pytest.raises(TokenExpiredError):
        multi.verify(cached)


# -- thread safety ----------------------------------------------------------------------------


def test_concurrent_hits_misses_and_evictions(pool: FakeCognitoPool, cache_mode: bool) -> None:
    verifier = pool.verifier(clock=ManualClock(NOW), cache_size=4)
    assert verifier._token_cache is not None
    assert (verifier._token_cache._lock is None) is cache_mode
    tokens = [pool.id_token(now=NOW, groups=[f"g{i}"]) for i in range(8)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker(offset: int) -> None:
        try:
            barrier.wait()
            for i in range(200):
                n = (i + offset) % len(tokens)
                claims = verifier.verify(tokens[n])
                assert claims["cognito:groups"] == [f"g{n}"]
                claims["cognito:groups"].append("x")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache_len(verifier) <= 4


# -- deeply nested claims ------------------------------------------------------


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def test_cache_hit_on_deeply_nested_claims_returns_the_same_claims(
    pool: FakeCognitoPool,
) -> None:
    """A hit copies deeply nested claims without recursing in Python."""
    verifier = pool.verifier(token_use="id", clock=ManualClock(NOW))
    token = pool.id_token(now=NOW, custom=nested(600))
    first = verifier.verify(token)
    second = verifier.verify(token)  # a cache hit: copies the claims template
    assert second == first
    assert second["custom"] is not first["custom"]


def test_a_hit_copies_claims_of_every_shape_deeply(pool: FakeCognitoPool) -> None:
    """Each container shape has its own copier; none of them may share an inner container."""
    shapes: dict[str, Any] = {
        "custom:flags": {"beta": True},
        "custom:matrix": [[1, 2], [3]],
        "custom:teams": [{"name": "a", "roles": ["x"]}, {"name": "b"}],
        "custom:mixed": [{"name": "a"}, ["b"]],
    }
    expected = json.loads(json.dumps(shapes))
    token = pool.id_token(now=NOW, **shapes)
    verifier = pool.verifier(clock=ManualClock(NOW))
    verifier.verify(token)  # first sight: remembered
    for _ in range(3):  # hits
        claims = verifier.verify(token)
        assert {name: claims[name] for name in shapes} == expected
        claims["custom:flags"]["beta"] = False
        claims["custom:matrix"][0].append(9)
        claims["custom:teams"][0]["roles"].append("admin")
        claims["custom:mixed"][1].append("c")


@pytest.mark.parametrize("value", [None, True, 5, 1.5, "text"])
def test_copy_json_returns_a_scalar_itself(value: Any) -> None:
    assert copy_json(value) is value


def test_only_a_token_string_is_in_the_cache(pool: FakeCognitoPool) -> None:
    verifier = pool.verifier(clock=ManualClock(NOW))
    token = pool.id_token(now=NOW)
    verifier.verify(token)
    cache = verifier._token_cache
    assert cache is not None
    assert token in cache
    assert token.encode() not in cache
    assert 5 not in cache


def test_the_cache_holds_1024_tokens_by_default_as_documented() -> None:
    assert DEFAULT_CACHE_SIZE == 1024


def test_copy_json_copies_any_depth_without_sharing_containers() -> None:
    """`copy_json` copies any depth without sharing a container."""
    value = {"a": [1, {"b": nested(20)}, [2, 3]], "c": "d"}
    copied = copy_json(value)
    assert copied == value
    assert list(copied) == list(value)
    assert copied["a"] is not value["a"]
    assert copied["a"][1] is not value["a"][1]
    assert copied["a"][2] is not value["a"][2]
    # Far deeper than the recursion limit; compared level by level (== recurses).
    original = nested(5000)
    source, copy = original, copy_json(original)
    for _ in range(5000):
        assert type(copy) is type(source)
        assert copy is not source
        source, copy = (source["k"], copy["k"]) if type(source) is dict else (source[0], copy[0])
    assert copy == source == "leaf"
