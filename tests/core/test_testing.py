"""The test kit against PyJWT, an independent JWS implementation.

`FakeCognitoPool.sign` uses `cryptography` directly, so the kit brings no
dependency of its own.  These tests keep it honest from both sides: PyJWT
verifies what the kit signs, and the verifier accepts what PyJWT signs with the
pool's keys, with the same claims.  PyJWT is a test dependency only.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest
from fixed_time import NOW
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_jwt import InvalidSignatureError
from cognito_jwt.testing import FakeCognitoPool, ManualClock

_claim_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


#: Names PyJWT checks by type on decode, whatever its options (``nbf`` must be
#: a number...); the property is about arbitrary claims, so they are left out.
_REGISTERED = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
_claim_names = st.text(min_size=1, max_size=12).filter(lambda name: name not in _REGISTERED)


def _header(token: str) -> dict[str, Any]:
    segment = token.split(".", maxsplit=1)[0]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(extra=st.dictionaries(_claim_names, _claim_values, max_size=5))
def test_pyjwt_decodes_what_the_kit_signs_to_the_same_claims(
    pool: FakeCognitoPool, extra: dict[str, Any]
) -> None:
    claims = {**extra, "iss": pool.issuer, "exp": NOW + 60}
    token = pool.sign(claims)
    decoded = jwt.decode(
        token,
        pool.id_key.public_key(),
        algorithms=["RS256"],
        options={"verify_exp": False, "verify_aud": False},
    )
    assert decoded == claims
    assert _header(token) == {"alg": "RS256", "kid": pool.id_kid}


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"])
def test_pyjwt_verifies_each_rsa_algorithm_the_kit_signs(pool: FakeCognitoPool, alg: str) -> None:
    token = pool.sign({"iss": pool.issuer}, {"kid": "k", "alg": alg, "typ": "JWT"})
    assert _header(token) == {"alg": alg, "kid": "k", "typ": "JWT"}
    decoded = jwt.decode(token, pool.id_key.public_key(), algorithms=[alg])
    assert decoded == {"iss": pool.issuer}


def test_a_none_typ_is_dropped_as_cognito_sends_no_typ(pool: FakeCognitoPool) -> None:
    token = pool.sign({"iss": pool.issuer}, {"kid": "k", "typ": None})
    assert _header(token) == {"alg": "RS256", "kid": "k"}


def test_a_non_rsa_algorithm_is_refused_rather_than_mislabelled(pool: FakeCognitoPool) -> None:
    with pytest.raises(ValueError, match="HS256"):
        pool.sign({"iss": pool.issuer}, {"kid": pool.id_kid, "alg": "HS256"})


def test_the_verifier_accepts_pyjwt_tokens_signed_with_the_pool_key(pool: FakeCognitoPool) -> None:
    claims = _claims_of(pool.id_token(now=NOW, groups=["admin"]))
    token = jwt.encode(claims, pool.id_key, algorithm="RS256", headers={"kid": pool.id_kid})
    verifier = pool.verifier(token_use="id", clock=ManualClock(NOW))
    assert verifier.verify(token) == claims


def test_the_verifier_refuses_a_pyjwt_token_signed_by_another_key(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool
) -> None:
    claims = _claims_of(pool.id_token(now=NOW))
    token = jwt.encode(claims, other_pool.id_key, algorithm="RS256", headers={"kid": pool.id_kid})
    verifier = pool.verifier(token_use="id", clock=ManualClock(NOW))
    with pytest.raises(InvalidSignatureError) as caught:
        verifier.verify(token)
    assert caught.value.reason == "invalid_signature"


def _claims_of(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded
