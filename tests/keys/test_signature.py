"""cognito_jwt._signature: each algorithm's check, against signatures `cryptography` makes.

The verifier suites sign mostly RS256 tokens; these pin every algorithm's hash
and padding, and that a signature is read in one spelling only (its exact
length), which the JWS compact form requires (RFC 7518 3.1, 3.4, 3.5; RFC 8037).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from cognito_jwt._keys import parse_jwks
from cognito_jwt._signature import Verify, _hash, ec_verifier, okp_verifier, rsa_verifier
from cognito_jwt.testing import FakeCognitoPool

DATA = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9"
HASHES = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}
CURVES = {
    "ES256": (ec.SECP256R1(), 32),
    "ES384": (ec.SECP384R1(), 48),
    "ES512": (ec.SECP521R1(), 66),
}

Signer = Callable[[bytes], bytes]


@cache
def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pair(alg: str) -> tuple[Signer, Verify]:
    """A signer of `alg` made with `cryptography` directly, and our check of it."""
    if alg[:2] in ("RS", "PS"):
        key = _rsa()
        digest = HASHES[alg[2:]]
        pad: padding.AsymmetricPadding = (
            padding.PKCS1v15()
            if alg.startswith("RS")
            else padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        )
        return (lambda data: key.sign(data, pad, digest)), rsa_verifier(key.public_key(), alg)
    if alg in CURVES:
        curve, size = CURVES[alg]
        ec_key = ec.generate_private_key(curve)

        def sign_ec(data: bytes) -> bytes:
            r, s = decode_dss_signature(ec_key.sign(data, ec.ECDSA(HASHES[alg[2:]])))
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")

        return sign_ec, ec_verifier(ec_key.public_key(), alg, size)
    okp = (
        ed25519.Ed25519PrivateKey.generate()
        if alg == "Ed25519"
        else ed448.Ed448PrivateKey.generate()
    )
    return okp.sign, okp_verifier(okp.public_key(), 64 if alg == "Ed25519" else 114)


ALGORITHMS = [
    *(f"{kind}{bits}" for kind in ("RS", "PS", "ES") for bits in ("256", "384", "512")),
    "Ed25519",
    "Ed448",
]


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_each_algorithm_verifies_its_own_signature_and_nothing_else(alg: str) -> None:
    sign, verify = _pair(alg)
    signature = sign(DATA)
    assert verify(signature, DATA) is True
    assert verify(signature, DATA + b"x") is False
    assert verify(bytes([signature[0] ^ 1]) + signature[1:], DATA) is False


@pytest.mark.parametrize(
    ("signed_as", "checked_as"),
    [("RS512", "RS384"), ("RS384", "RS512"), ("PS256", "RS256"), ("RS256", "PS256")],
)
def test_a_signature_verifies_only_under_its_own_hash_and_padding(
    signed_as: str, checked_as: str
) -> None:
    sign, _ = _pair(signed_as)
    _, verify = _pair(checked_as)
    assert verify(sign(DATA), DATA) is False


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_a_signature_is_read_in_one_spelling_only(alg: str) -> None:
    """One byte more or less is another token (the token cache keys on the string)."""
    sign, verify = _pair(alg)
    signature = sign(DATA)
    half = len(signature) // 2
    for respelled in (
        signature + b"\0",
        b"\0" + signature,
        signature[:half] + b"\0" + signature[half:],  # ECDSA: s with a leading zero
        signature[:-1],
    ):
        assert verify(respelled, DATA) is False


def test_an_rsa_signature_with_its_leading_zero_dropped_is_refused() -> None:
    """OpenSSL would read the 255 bytes as the same number: only the length check refuses."""
    sign, verify = _pair("RS256")
    signature, data = next(
        (s, d) for d in (DATA + str(i).encode() for i in range(5000)) if (s := sign(d))[0] == 0
    )
    assert verify(signature, data) is True
    assert verify(signature[1:], data) is False


@pytest.mark.parametrize("alg", ["RS1", "ES", "PS2048", "EdDSA"])
def test_an_algorithm_without_a_sha2_hash_has_no_hash(alg: str) -> None:
    with pytest.raises(ValueError, match="no hash for algorithm"):
        _hash(alg)


def test_a_verification_key_cannot_be_changed(pool: FakeCognitoPool) -> None:
    """Keys are shared by every thread and cached token: none may swap an attribute."""
    key = next(iter(parse_jwks(pool.jwks).keys.values()))
    for name in ("kid", "algorithms", "new"):
        with pytest.raises(AttributeError, match="immutable"):
            setattr(key, name, None)
        with pytest.raises(AttributeError, match="immutable"):
            delattr(key, name)
    assert key.kid in (pool.id_kid, pool.access_kid)
