"""EdDSA for `JwtVerifier` (RFC 8037 OKP keys; `EdDSA`, `Ed25519`, `Ed448` per RFC 9864).

Each rejection is a real signed token wrong in exactly one way, asserting class
and reason; PyJWT signs some of the tokens, as an independent implementation."""

from __future__ import annotations

from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519
from fixed_time import NOW, clock
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_jwt import (
    CognitoJwtError,
    ConfigurationError,
    InvalidSignatureError,
    JwtVerifier,
    UnknownKeyError,
    UnsupportedAlgorithmError,
)
from cognito_jwt.testing import FakeCognitoPool, b64url, okp_jwk, sign_okp

ISSUER = "https://idp.example.com"
CLAIMS: dict[str, Any] = {"iss": ISSUER, "aud": "api", "sub": "u1", "exp": NOW + 60, "iat": NOW}
ALL_EDDSA = ["EdDSA", "Ed25519", "Ed448"]

ED25519 = ed25519.Ed25519PrivateKey.generate()
ED448 = ed448.Ed448PrivateKey.generate()


def verifier_for(*jwks: dict[str, str], algorithms: list[str] | None = None) -> JwtVerifier:
    return JwtVerifier(
        issuer=ISSUER,
        audience="api",
        algorithms=algorithms or ALL_EDDSA,
        jwks={"keys": list(jwks)},
        clock=clock,
    )


def token(key: Any, alg: str, kid: str, **claims: Any) -> str:
    return sign_okp(key, {"alg": alg, "kid": kid}, {**CLAIMS, **claims})


def expect(verifier: Any, value: str, error: type[CognitoJwtError], reason: str) -> None:
    with pytest.raises(error) as info:
        verifier.verify(value)
    assert info.value.reason == reason, info.value


ED25519_JWK = okp_jwk(ED25519.public_key(), "ed25519")
ED448_JWK = okp_jwk(ED448.public_key(), "ed448")
BOTH = verifier_for(ED25519_JWK, ED448_JWK)


# -- acceptance ----------------------------------------------------------------


@pytest.mark.parametrize("alg", ["EdDSA", "Ed25519"])
def test_ed25519_key_verifies_under_both_names(alg: str) -> None:
    assert BOTH.verify(token(ED25519, alg, "ed25519"))["sub"] == "u1"


@pytest.mark.parametrize("alg", ["EdDSA", "Ed448"])
def test_ed448_key_verifies_under_both_names(alg: str) -> None:
    assert BOTH.verify(token(ED448, alg, "ed448"))["sub"] == "u1"


def test_tokens_signed_by_pyjwt_verify() -> None:
    signed = pyjwt.encode(CLAIMS, ED25519, algorithm="EdDSA", headers={"kid": "ed25519"})
    assert BOTH.verify(signed)["aud"] == "api"
    signed = pyjwt.encode(CLAIMS, ED448, algorithm="EdDSA", headers={"kid": "ed448"})
    assert BOTH.verify(signed)["aud"] == "api"


def test_verify_async_verifies_eddsa_too() -> None:
    import asyncio

    assert asyncio.run(BOTH.verify_async(token(ED448, "Ed448", "ed448")))["sub"] == "u1"


def test_jwk_alg_pins_the_key_to_that_name() -> None:
    verifier = verifier_for(okp_jwk(ED25519.public_key(), "k", alg="Ed25519"))
    assert verifier.verify(token(ED25519, "Ed25519", "k"))
    expect(
        verifier, token(ED25519, "EdDSA", "k"), UnsupportedAlgorithmError, "key_algorithm_mismatch"
    )


# -- the curve is bound to the algorithm ------------------------------------------


def test_ed448_token_against_an_ed25519_key_is_a_key_mismatch() -> None:
    value = token(ED448, "Ed448", "ed25519")
    expect(BOTH, value, UnsupportedAlgorithmError, "key_algorithm_mismatch")


def test_ed25519_token_against_an_ed448_key_is_a_key_mismatch() -> None:
    value = token(ED25519, "Ed25519", "ed448")
    expect(BOTH, value, UnsupportedAlgorithmError, "key_algorithm_mismatch")


def test_eddsa_token_signed_by_the_other_curve_has_an_invalid_signature() -> None:
    expect(BOTH, token(ED448, "EdDSA", "ed25519"), InvalidSignatureError, "invalid_signature")


@pytest.mark.parametrize(("allowed", "alg"), [(["Ed25519"], "EdDSA"), (["EdDSA"], "Ed25519")])
def test_only_the_configured_names_are_accepted(allowed: list[str], alg: str) -> None:
    verifier = verifier_for(ED25519_JWK, algorithms=allowed)
    expect(
        verifier, token(ED25519, alg, "ed25519"), UnsupportedAlgorithmError, "unsupported_algorithm"
    )


def test_rsa_key_cannot_verify_an_eddsa_token() -> None:
    pool = FakeCognitoPool()
    rsa_jwk = pool.jwks["keys"][0]
    verifier = verifier_for(rsa_jwk)
    forged = sign_okp(ED25519, {"alg": "EdDSA", "kid": rsa_jwk["kid"]}, CLAIMS)
    expect(verifier, forged, UnsupportedAlgorithmError, "key_algorithm_mismatch")


def test_okp_key_cannot_verify_an_rs256_token() -> None:
    pool = FakeCognitoPool()
    rs256 = pool.sign({**CLAIMS}, {"alg": "RS256", "kid": "ed25519"})
    verifier = verifier_for(ED25519_JWK, algorithms=["RS256", "EdDSA"])
    expect(verifier, rs256, UnsupportedAlgorithmError, "key_algorithm_mismatch")


# -- signatures -------------------------------------------------------------------


def test_signature_by_another_ed25519_key_is_invalid() -> None:
    other = ed25519.Ed25519PrivateKey.generate()
    expect(BOTH, token(other, "Ed25519", "ed25519"), InvalidSignatureError, "invalid_signature")


def test_tampered_payload_has_an_invalid_signature() -> None:
    header, _, signature = token(ED25519, "EdDSA", "ed25519").split(".")
    forged = b64url(b'{"iss":"https://idp.example.com","aud":"api","sub":"admin","exp":1900000000}')
    expect(BOTH, f"{header}.{forged}.{signature}", InvalidSignatureError, "invalid_signature")


@pytest.mark.parametrize(("key", "kid"), [(ED25519, "ed25519"), (ED448, "ed448")])
def test_signature_one_byte_short_is_invalid(key: Any, kid: str) -> None:
    import base64

    header, payload, signature = token(key, "EdDSA", kid).split(".")
    short = b64url(base64.urlsafe_b64decode(signature + "==")[:-1])
    expect(BOTH, f"{header}.{payload}.{short}", InvalidSignatureError, "invalid_signature")


@settings(max_examples=50, deadline=None)
@given(
    position=st.integers(min_value=0, max_value=63), flip=st.integers(min_value=1, max_value=255)
)
def test_any_flipped_signature_byte_is_rejected(position: int, flip: int) -> None:
    import base64

    header, payload, signature = token(ED25519, "Ed25519", "ed25519").split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[position] ^= flip
    expect(
        BOTH, f"{header}.{payload}.{b64url(bytes(raw))}", InvalidSignatureError, "invalid_signature"
    )


# -- unusable OKP keys --------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"crv": "X25519"}, "unsupported OKP curve"),
        ({"crv": "Ed448"}, "expected 57"),  # an Ed25519 x under the Ed448 curve
        ({"x": b64url(b"\x01" * 31)}, "expected 32"),
        ({"x": "not base64!"}, "not base64url"),
        ({"x": None}, "x is missing"),
        ({"alg": "Ed448"}, "does not fit"),
        ({"alg": "ES256"}, "does not fit"),
        ({"d": b64url(b"\x02" * 32)}, "private key"),
    ],
)
def test_malformed_okp_jwk_is_unusable_with_its_cause(change: dict[str, Any], why: str) -> None:
    jwk: dict[str, Any] = {**ED25519_JWK, "kid": "bad", **change}
    jwk = {k: v for k, v in jwk.items() if v is not None}
    verifier = verifier_for(ED25519_JWK, jwk)
    with pytest.raises(UnknownKeyError) as info:
        verifier.verify(token(ED25519, "Ed25519", "bad"))
    assert info.value.reason == "unusable_key"
    assert why in str(info.value)


# -- Cognito stays RS256 -------------------------------------------------------------


def test_cognito_verifier_refuses_eddsa_tokens(pool: FakeCognitoPool) -> None:
    verifier = pool.verifier(token_use="id", clock=clock)
    claims = {**CLAIMS, "iss": pool.issuer, "aud": pool.client_id, "token_use": "id"}
    forged = sign_okp(ED25519, {"alg": "EdDSA", "kid": pool.id_kid}, claims)
    expect(verifier, forged, UnsupportedAlgorithmError, "unsupported_algorithm")


@pytest.mark.parametrize("alg", ["EdDSA", "Ed25519", "Ed448"])
def test_eddsa_names_are_configurable_on_the_generic_verifier(alg: str) -> None:
    assert JwtVerifier(issuer=ISSUER, audience=None, algorithms=[alg], jwks={"keys": [ED448_JWK]})


def test_unknown_eddsa_spelling_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        JwtVerifier(
            issuer=ISSUER, audience=None, algorithms=["ed25519"], jwks={"keys": [ED448_JWK]}
        )
