"""cognito_jwt._keys: building keys from a JWKS, and key hygiene."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from fixed_time import NOW, clock

from cognito_jwt import JwtVerifier, UnknownKeyError, UnsupportedAlgorithmError
from cognito_jwt._keys import parse_jwks
from cognito_jwt.testing import FakeCognitoPool, ManualClock, b64url, okp_jwk, sign_okp


@pytest.mark.parametrize("good_first", [True, False])
def test_kid_listed_twice_is_unusable_whatever_the_order(
    pool: FakeCognitoPool, good_first: bool
) -> None:
    """A kid listed twice is unusable, whichever of its keys comes first."""
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


# -- key hygiene: keys that are not what they claim are unusable, whatever the token ----------
#
# Small-order Edwards points (with the identity as the key, one constant signature
# verifies for any message) and keys whose `key_ops` (RFC 7517 4.3) do not allow
# verifying.  The encodings come from published lists, not from this library:
# libsodium's `ge25519_has_small_order` blocklist for Ed25519, RFC 8032's Ed448
# curve constants for Ed448.

ISSUER = "https://idp.example.com"
CLAIMS: dict[str, Any] = {"iss": ISSUER, "aud": "api", "sub": "u1", "exp": NOW + 60, "iat": NOW}

# -- small-order Edwards points -------------------------------------------------------------

#: libsodium's blocklist (src/libsodium/crypto_core/ed25519/ref10/ref10.c,
#: `ge25519_has_small_order`), compared with the sign bit cleared: the
#: encodings of y for the points of order 1, 2, 4 and 8, canonical and not.
_ED25519_BLOCKLIST = {
    "order 4 (y = 0)": "00" * 32,
    "order 1, identity (y = 1)": "01" + "00" * 31,
    "order 8 (y = 2707...2022)": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "order 8 (y = 5518...7927)": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "order 2 (y = p - 1)": "ec" + "ff" * 30 + "7f",
    "order 4, non-canonical (y = p)": "ed" + "ff" * 30 + "7f",
    "order 1, non-canonical (y = p + 1)": "ee" + "ff" * 30 + "7f",
}


def _with_sign_bit(hex_y: str) -> str:
    raw = bytearray(bytes.fromhex(hex_y))
    raw[-1] |= 0x80
    return raw.hex()


#: Every blocklisted y with either sign of x: the eight small-order points in
#: all their encodings (the sign bit of a point with x = 0 is a non-canonical
#: spelling of the same point).
ED25519_SMALL_ORDER = {
    **_ED25519_BLOCKLIST,
    **{f"{name}, x sign bit set": _with_sign_bit(y) for name, y in _ED25519_BLOCKLIST.items()},
}

#: Ed448 (RFC 8032 5.2): p = 2^448 - 2^224 - 1, 57-byte encodings (y little-endian in
#: 56 bytes, the sign of x in the top bit of the last).  The cofactor is 4: the
#: identity (0, 1), the point of order 2 (0, -1) and the two of order 4 (+-1, 0).
_P448 = 2**448 - 2**224 - 1


def _ed448(y: int, sign: int) -> str:
    return (y.to_bytes(56, "little") + bytes([sign << 7])).hex()


ED448_SMALL_ORDER = {
    "identity (y = 1)": _ed448(1, 0),
    "order 2 (y = p - 1)": _ed448(_P448 - 1, 0),
    "order 4 (y = 0, x = -1)": _ed448(0, 0),
    "order 4 (y = 0, x = 1)": _ed448(0, 1),
    "identity, non-canonical (y = p + 1)": _ed448(_P448 + 1, 0),
    "order 4, non-canonical (y = p)": _ed448(0 + _P448, 0),
    "identity, x sign bit set": _ed448(1, 1),
    "order 2, x sign bit set": _ed448(_P448 - 1, 1),
}


def _okp(crv: str, hex_x: str, kid: str = "k1") -> dict[str, str]:
    return {"kty": "OKP", "crv": crv, "kid": kid, "use": "sig", "x": b64url(bytes.fromhex(hex_x))}


@pytest.mark.parametrize(
    ("crv", "hex_x"),
    [("Ed25519", x) for x in ED25519_SMALL_ORDER.values()]
    + [("Ed448", x) for x in ED448_SMALL_ORDER.values()],
    ids=[f"Ed25519 {n}" for n in ED25519_SMALL_ORDER] + [f"Ed448 {n}" for n in ED448_SMALL_ORDER],
)
def test_small_order_okp_key_is_unusable(crv: str, hex_x: str) -> None:
    keyset = parse_jwks({"keys": [_okp(crv, hex_x)]})
    assert "k1" not in keyset.keys
    assert "small-order point" in keyset.unusable["k1"]


def test_identity_key_does_not_verify_the_constant_forgery() -> None:
    """With the identity as the key, R = identity and S = 0 verifies any message
    (security review 3, F5); the key is refused before any token reaches it."""
    identity = bytes.fromhex(ED25519_SMALL_ORDER["order 1, identity (y = 1)"])
    verifier = JwtVerifier(
        issuer=ISSUER,
        audience="api",
        algorithms=["EdDSA"],
        jwks={
            "keys": [
                _okp("Ed25519", identity.hex()),
                okp_jwk(ed25519.Ed25519PrivateKey.generate().public_key(), "good"),
            ]
        },
        clock=clock,
    )
    header = b64url(b'{"alg":"EdDSA","kid":"k1"}')
    payload = b64url(
        f'{{"iss":"{ISSUER}","aud":"api","sub":"admin","exp":{NOW + 60},"iat":{NOW}}}'.encode()
    )
    forged = f"{header}.{payload}.{b64url(identity + bytes(32))}"
    with pytest.raises(UnknownKeyError) as info:
        verifier.verify(forged)
    assert info.value.reason == "unusable_key"


def test_an_ordinary_ed25519_key_next_to_a_small_order_one_still_verifies() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    verifier = JwtVerifier(
        issuer=ISSUER,
        audience="api",
        algorithms=["EdDSA"],
        jwks={"keys": [okp_jwk(key.public_key(), "good"), _okp("Ed25519", "00" * 32, "bad")]},
        clock=clock,
    )
    assert verifier.verify(sign_okp(key, {"alg": "EdDSA", "kid": "good"}, CLAIMS))["sub"] == "u1"


# -- key_ops (RFC 7517 4.3) -----------------------------------------------------------------


def _rsa(pool: FakeCognitoPool, **members: Any) -> dict[str, Any]:
    jwk = dict(next(k for k in pool.jwks["keys"] if k["kid"] == pool.id_kid))
    for name, value in members.items():
        if value is None:
            jwk.pop(name, None)
        else:
            jwk[name] = value
    return jwk


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ({"key_ops": ["encrypt"]}, "key_ops"),
        ({"key_ops": ["sign"]}, "key_ops"),
        ({"key_ops": []}, "key_ops"),
        ({"key_ops": ["wrapKey", "unwrapKey"], "use": None}, "key_ops"),
        # RFC 7517 4.3: use and key_ops, when both are present, must agree.
        ({"key_ops": ["verify", "encrypt"]}, "contradicts"),
        ({"key_ops": ["verify", "deriveBits"]}, "contradicts"),
        # Malformed: not an array of strings, or a value listed twice (4.3).
        ({"key_ops": "verify"}, "key_ops"),
        ({"key_ops": ["verify", 7]}, "key_ops"),
        ({"key_ops": ["verify", "verify"]}, "key_ops"),
    ],
    ids=[
        "encrypt only",
        "sign only",
        "empty",
        "key wrapping without use",
        "sig with encrypt",
        "sig with deriveBits",
        "a string",
        "a number inside",
        "verify twice",
    ],
)
def test_key_ops_that_do_not_allow_verifying_make_the_key_unusable(
    pool: FakeCognitoPool, members: dict[str, Any], why: str
) -> None:
    jwk = _rsa(pool, **members)
    keyset = parse_jwks({"keys": [jwk]})
    assert pool.id_kid not in keyset.keys
    assert why in keyset.unusable[pool.id_kid]
    only = pool.verifier(
        token_use="id",
        clock=clock,
        jwks={"keys": [jwk, *(k for k in pool.jwks["keys"] if k["kid"] != pool.id_kid)]},
    )
    with pytest.raises(UnknownKeyError) as info:
        only.verify(pool.id_token(now=NOW))
    assert info.value.reason == "unusable_key"


@pytest.mark.parametrize(
    "members",
    [
        {"key_ops": ["verify"]},
        {"key_ops": ["verify"], "use": None},
        {"key_ops": ["sign", "verify"]},
        # Values RFC 7517 does not register are ignored, as it allows.
        {"key_ops": ["verify", "x-attest"]},
    ],
    ids=["verify", "verify without use", "sign and verify", "with an unknown value"],
)
def test_key_ops_that_allow_verifying_keep_the_key_usable(
    pool: FakeCognitoPool, members: dict[str, Any]
) -> None:
    jwk = _rsa(pool, **members)
    verifier = pool.verifier(
        token_use="id",
        clock=clock,
        jwks={"keys": [jwk, *(k for k in pool.jwks["keys"] if k["kid"] != pool.id_kid)]},
    )
    assert verifier.verify(pool.id_token(now=NOW))["token_use"] == "id"


# -- curve and algorithm are bound (RFC 7518 3.4, RFC 8812 3.2) ------------------------------


def _ec_jwk(key: Any, kid: str, crv: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    size = (key.curve.key_size + 7) // 8
    return {
        "kty": "EC",
        "kid": kid,
        "crv": crv,
        "x": b64url(numbers.x.to_bytes(size, "big")),
        "y": b64url(numbers.y.to_bytes(size, "big")),
    }


def _es(key: Any, alg: str, kid: str) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    header = b64url(json.dumps({"alg": alg, "kid": kid}).encode())
    signing_input = f"{header}.{b64url(json.dumps(CLAIMS).encode())}"
    digest = {"ES256": hashes.SHA256(), "ES384": hashes.SHA384(), "ES512": hashes.SHA512()}[alg]
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(digest)))
    size = (key.curve.key_size + 7) // 8
    return f"{signing_input}.{b64url(r.to_bytes(size, 'big') + s.to_bytes(size, 'big'))}"


@pytest.mark.parametrize(
    ("curve", "crv", "own", "other"),
    [("SECP256R1", "P-256", "ES256", "ES384"), ("SECP384R1", "P-384", "ES384", "ES256")],
)
def test_an_ec_key_verifies_only_the_algorithm_of_its_curve(
    curve: str, crv: str, own: str, other: str
) -> None:
    key = ec.generate_private_key(getattr(ec, curve)())
    verifier = JwtVerifier(
        issuer=ISSUER,
        audience="api",
        algorithms=["ES256", "ES384", "ES512"],
        jwks={"keys": [_ec_jwk(key, "ec", crv)]},
        clock=clock,
    )
    assert verifier.verify(_es(key, own, "ec"))["sub"] == "u1"
    with pytest.raises(UnsupportedAlgorithmError) as info:
        verifier.verify(_es(key, other, "ec"))  # the other hash, over this curve
    assert info.value.reason == "key_algorithm_mismatch"


def test_a_secp256k1_key_is_unusable() -> None:
    key = ec.generate_private_key(ec.SECP256K1())
    keyset = parse_jwks({"keys": [_ec_jwk(key, "k1", "secp256k1")]})
    assert "unsupported curve" in keyset.unusable["k1"]


def test_an_unknown_kid_among_static_keys_names_the_jwks_argument_not_a_url(
    pool: FakeCognitoPool,
) -> None:
    """Static keys were never fetched: sending the reader to the pool's URL would mislead."""
    verifier = pool.verifier(token_use="id", clock=clock)
    with pytest.raises(UnknownKeyError) as info:
        verifier.verify(pool.id_token(now=NOW, header_overrides={"kid": "rotated-away"}))
    assert info.value.reason == "unknown_kid"
    assert info.value.message == (
        "kid 'rotated-away': expected one of the keys in the JWKS given as jwks=, "
        "found none matching"
    )
