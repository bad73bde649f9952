"""The verified-token cache stops paying for entries nobody reuses, and recovers.

After `2 * cache_size` more misses than (weighted) hits the cache is cold: only
one verified token in 16 is remembered, so a workload that never repeats a
token within the cache's reach does not pay an insertion and an eviction per
request (docs/performance.md measures it).  A resent token is still
remembered after a few sightings, and hits on more than one lookup in 9 end the
cold spell.
Whether a call was a hit is observed by counting signature checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from fixed_time import NOW

from cognito_jwt import CognitoJwtVerifier
from cognito_jwt._keys import VerificationKey
from cognito_jwt.testing import FakeCognitoPool, ManualClock

SIZE = 8


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = VerificationKey.verify

    def counting(self: VerificationKey, *args: Any) -> bool:
        calls.append(self.kid)
        return real(self, *args)

    monkeypatch.setattr(VerificationKey, "verify", counting)
    return calls


@pytest.fixture
def verifier(pool: FakeCognitoPool) -> CognitoJwtVerifier:
    return pool.verifier(clock=ManualClock(NOW), cache_size=SIZE)


def remembered(verifier: CognitoJwtVerifier, token: str) -> bool:
    cache = verifier._token_cache
    assert cache is not None
    return token in cache


def tokens(pool: FakeCognitoPool, count: int) -> list[str]:
    return [pool.id_token(now=NOW) for _ in range(count)]


def make_cold(verifier: CognitoJwtVerifier, pool: FakeCognitoPool) -> None:
    for token in tokens(pool, 2 * SIZE + 1):
        verifier.verify(token)


def test_a_cache_that_never_hits_remembers_one_token_in_sixteen(
    pool: FakeCognitoPool, verifier: CognitoJwtVerifier
) -> None:
    make_cold(verifier, pool)
    fresh = tokens(pool, 64)
    for token in fresh:
        assert verifier.verify(token)["sub"]
    assert sum(remembered(verifier, token) for token in fresh) == 64 // 16


def test_until_cold_every_verified_token_is_remembered(
    pool: FakeCognitoPool, verifier: CognitoJwtVerifier
) -> None:
    fresh = tokens(pool, 2 * SIZE)
    for token in fresh:
        verifier.verify(token)
    assert all(remembered(verifier, token) for token in fresh[-SIZE:])


def test_a_resent_token_gets_cached_and_its_hits_end_the_cold_spell(
    pool: FakeCognitoPool, verifier: CognitoJwtVerifier, signature_checks: list[str]
) -> None:
    make_cold(verifier, pool)
    for token in tokens(pool, 4 * SIZE):  # as cold as it gets
        verifier.verify(token)
    hot = pool.id_token(now=NOW, groups=["admin"])
    for _ in range(16):
        verifier.verify(hot)
    assert remembered(verifier, hot)
    del signature_checks[:]
    for _ in range(4):
        assert verifier.verify(hot)["cognito:groups"] == ["admin"]
    assert signature_checks == []  # hits
    newcomer = pool.id_token(now=NOW)
    verifier.verify(newcomer)
    assert remembered(verifier, newcomer)  # warm again: remembered at first sight


def test_a_few_hits_among_many_misses_keep_the_cache_cold(
    pool: FakeCognitoPool, verifier: CognitoJwtVerifier
) -> None:
    make_cold(verifier, pool)
    hot = pool.id_token(now=NOW)
    for _ in range(16):
        verifier.verify(hot)
    assert remembered(verifier, hot)
    fresh = tokens(pool, 64)
    for token in fresh:  # one hit per 16 lookups: too few to be worth remembering all
        verifier.verify(token)
        if fresh.index(token) % 16 == 0:
            verifier.verify(hot)
    assert sum(remembered(verifier, token) for token in fresh) == 64 // 16


def test_a_cache_that_hits_never_goes_cold(
    pool: FakeCognitoPool, verifier: CognitoJwtVerifier
) -> None:
    hot = pool.id_token(now=NOW)
    verifier.verify(hot)
    for token in tokens(pool, 6 * SIZE):
        verifier.verify(token)
        assert remembered(verifier, token)
        verifier.verify(hot)  # a hit each time
