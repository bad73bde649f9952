"""Regression tests for the findings of an adversarial review of the verification core.

Each test uses real tokens signed by :class:`FakeCognitoPool` and failed before
its fix:

* a verified token whose claims nest deeply verified once, then raised
  ``RecursionError`` on every cache hit (the claims copy recursed in Python);
* a claim nested close to the parser's depth limit made the *error message*
  raise ``RecursionError`` (``repr`` runs deeper in the stack than the parse);
* a clock returning NaN made every time comparison false, so expired tokens
  (fresh or cached) were accepted: the time checks now fail closed;
* a JWKS listing one kid twice used neither key only when the unusable entry
  came first; with the usable one first it was used.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cognito_jwt import (
    CognitoJwtError,
    InvalidTokenUseError,
    MalformedTokenError,
    TokenExpiredError,
    UnknownKeyError,
)
from cognito_jwt._token_cache import copy_json
from cognito_jwt.errors import shown
from cognito_jwt.keys import parse_jwks
from cognito_jwt.testing import FakeCognitoPool, ManualClock

NOW = 1_800_000_000


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


# -- deeply nested claims ------------------------------------------------------


def test_cache_hit_on_deeply_nested_claims_returns_the_same_claims(
    pool: FakeCognitoPool,
) -> None:
    verifier = pool.verifier(token_use="id", clock=ManualClock(NOW))
    token = pool.id_token(now=NOW, custom=nested(600))
    first = verifier.verify(token)
    second = verifier.verify(token)  # a cache hit: copies the claims template
    assert second == first
    assert second["custom"] is not first["custom"]


def test_copy_json_copies_any_depth_without_sharing_containers() -> None:
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


def test_shown_never_raises_on_deeply_nested_values() -> None:
    text = shown(nested(100_000))
    assert len(text) <= 80


def test_claim_nested_at_the_parse_limit_fails_with_a_cognito_error(
    pool: FakeCognitoPool,
) -> None:
    verifier = pool.verifier(token_use="access", clock=ManualClock(NOW), cache_size=0)
    header = json.dumps({"alg": "RS256", "kid": pool.id_kid}).encode()
    reached_claim_check = False
    # Every depth around the JSON parser's recursion limit: the deepest value
    # that still parses must be rejected by the claim rule, not by repr().
    for depth in range(1010, 900, -1):
        payload = json.dumps(
            {"iss": pool.issuer, "token_use": "X", "exp": NOW + 60, "iat": NOW}
        ).replace('"X"', "[" * depth + "]" * depth)
        token = pool.sign_raw(header, payload.encode())
        with pytest.raises(CognitoJwtError) as info:
            verifier.verify(token)
        if not isinstance(info.value, MalformedTokenError):
            assert isinstance(info.value, InvalidTokenUseError)
            reached_claim_check = True
            break
    assert reached_claim_check


# -- a NaN clock ---------------------------------------------------------------


def test_nan_clock_rejects_an_expired_token(pool: FakeCognitoPool) -> None:
    verifier = pool.verifier(token_use="id", clock=ManualClock(float("nan")))
    token = pool.id_token(now=NOW - 7200, expires_in=3600)
    with pytest.raises(TokenExpiredError):
        verifier.verify(token)


def test_nan_clock_rejects_a_cached_token(pool: FakeCognitoPool) -> None:
    clock = ManualClock(NOW)
    verifier = pool.verifier(token_use="id", clock=clock)
    token = pool.id_token(now=NOW, expires_in=3600)
    verifier.verify(token)  # now cached
    clock.now = float("nan")
    with pytest.raises(TokenExpiredError):
        verifier.verify(token)


def test_nan_clock_rejects_a_token_with_nbf(pool: FakeCognitoPool) -> None:
    # Non-int exp takes the full rules; exp is checked first and fails closed.
    verifier = pool.verifier(token_use="id", clock=ManualClock(float("nan")), cache_size=0)
    token = pool.id_token(now=NOW, nbf=NOW + 10**6, exp=NOW + 3600.5)
    with pytest.raises(TokenExpiredError):
        verifier.verify(token)


# -- a kid listed twice in a JWKS ------------------------------------------------


@pytest.mark.parametrize("good_first", [True, False])
def test_kid_listed_twice_is_unusable_whatever_the_order(
    pool: FakeCognitoPool, good_first: bool
) -> None:
    good = next(k for k in pool.jwks["keys"] if k["kid"] == pool.id_kid)
    bad = {**good, "use": "enc"}  # same kid, a key that cannot verify
    keys = [good, bad] if good_first else [bad, good]
    keyset = parse_jwks({"keys": keys})
    assert pool.id_kid not in keyset.keys
    assert keyset.unusable[pool.id_kid] == "kid appears more than once in the JWKS"
    other = next(k for k in pool.jwks["keys"] if k["kid"] != pool.id_kid)
    verifier = pool.verifier(token_use="id", clock=ManualClock(NOW), jwks={"keys": [*keys, other]})
    with pytest.raises(UnknownKeyError) as info:
        verifier.verify(pool.id_token(now=NOW))
    assert info.value.reason == "unusable_key"
