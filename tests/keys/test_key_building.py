"""cognito_jwt._keys: which JWKs and PEMs become keys, each checked with a real signed token."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from fixed_time import NOW, clock

from cognito_jwt import JwksUnavailableError, JwtVerifier, UnknownKeyError
from cognito_jwt._keys import key_from_pem, parse_jwks
from cognito_jwt.testing import FakeCognitoPool, b64url, sign_okp

ISSUER = "https://idp.example.com"
CLAIMS: dict[str, Any] = {"iss": ISSUER, "aud": "api", "sub": "u1", "exp": NOW + 60, "iat": NOW}


def _id_jwk(pool: FakeCognitoPool, **members: Any) -> dict[str, Any]:
    jwk = dict(next(k for k in pool.jwks["keys"] if k["kid"] == pool.id_kid))
    for name, value in members.items():
        if value is None:
            jwk.pop(name, None)
        else:
            jwk[name] = value
    return jwk


def _verifier_with(pool: FakeCognitoPool, *jwks: dict[str, Any]) -> Any:
    others = [k for k in pool.jwks["keys"] if k["kid"] != pool.id_kid]
    return pool.verifier(token_use="id", clock=clock, jwks={"keys": [*jwks, *others]})


def _b64_int(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


# -- RSA exponents ------------------------------------------------------------------------------


@pytest.mark.parametrize("exponent", [1, 2, 65538], ids=["one", "two", "even"])
def test_an_rsa_key_with_an_exponent_below_three_or_even_is_unusable(
    pool: FakeCognitoPool, exponent: int
) -> None:
    jwk = _id_jwk(pool, e=_b64_int(exponent))
    assert "exponent" in parse_jwks({"keys": [jwk]}).unusable[pool.id_kid]
    with pytest.raises(UnknownKeyError) as info:
        _verifier_with(pool, jwk).verify(pool.id_token(now=NOW))
    assert info.value.reason == "unusable_key"


def test_an_rsa_key_with_exponent_three_verifies(pool: FakeCognitoPool) -> None:
    key = rsa.generate_private_key(public_exponent=3, key_size=2048)
    jwk = {**_id_jwk(pool), "e": _b64_int(3), "n": _b64_int(key.public_key().public_numbers().n)}
    token = pool.sign(
        {**CLAIMS, "iss": pool.issuer, "aud": pool.client_id, "token_use": "id"}, key=key
    )
    assert _verifier_with(pool, jwk).verify(token)["sub"] == "u1"


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ({"n": 12345}, "n is missing or not a string"),
        ({"n": ""}, "n is missing or not a string"),
        ({"e": None}, "e is missing or not a string"),
        ({"n": "not base64url!"}, "n is not base64url"),
    ],
    ids=["n a number", "n empty", "e missing", "n not base64url"],
)
def test_an_rsa_key_whose_numbers_are_not_base64url_strings_is_unusable(
    pool: FakeCognitoPool, members: dict[str, Any], why: str
) -> None:
    jwk = _id_jwk(pool, **members) if members != {"n": ""} else {**_id_jwk(pool), "n": ""}
    assert parse_jwks({"keys": [jwk]}).unusable[pool.id_kid] == why
    with pytest.raises(UnknownKeyError) as info:
        _verifier_with(pool, jwk).verify(pool.id_token(now=NOW))
    assert info.value.reason == "unusable_key"


@pytest.mark.parametrize("crv", [["P-256"], 256, "p-256"], ids=["a list", "a number", "lowercase"])
def test_an_ec_key_whose_crv_is_no_curve_name_is_unusable(crv: Any) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = {**_ec_jwk(key, "ec", "P-256"), "crv": crv}
    assert parse_jwks({"keys": [jwk]}).unusable["ec"].startswith("unsupported curve")
    good = ec.generate_private_key(ec.SECP256R1())
    verifier = JwtVerifier(
        issuer=ISSUER,
        audience="api",
        algorithms=["ES256"],
        jwks={"keys": [jwk, _ec_jwk(good, "good", "P-256")]},
        clock=clock,
    )
    with pytest.raises(UnknownKeyError) as info:
        verifier.verify(_es(key, "ES256", "ec"))
    assert info.value.reason == "unusable_key"
    assert verifier.verify(_es(good, "ES256", "good"))["sub"] == "u1"


_ENCRYPTION_OPS = ("encrypt", "decrypt", "wrapKey", "unwrapKey", "deriveKey", "deriveBits")


@pytest.mark.parametrize("op", _ENCRYPTION_OPS)
def test_each_encryption_op_beside_verify_contradicts_use_sig(
    pool: FakeCognitoPool, op: str
) -> None:
    """RFC 7517 4.3: `use` and `key_ops` must agree; every registered encryption op is `enc`."""
    jwk = _id_jwk(pool, key_ops=["verify", op])
    assert "contradicts" in parse_jwks({"keys": [jwk]}).unusable[pool.id_kid]
    with pytest.raises(UnknownKeyError) as info:
        _verifier_with(pool, jwk).verify(pool.id_token(now=NOW))
    assert info.value.reason == "unusable_key"


# -- kid and kty --------------------------------------------------------------------------------


@pytest.mark.parametrize("kid", [None, "", 7], ids=["missing", "empty", "a number"])
def test_a_key_without_a_string_kid_is_never_used(pool: FakeCognitoPool, kid: Any) -> None:
    jwk = _id_jwk(pool, kid=kid) if kid is not None else _id_jwk(pool, kid=None)
    keyset = parse_jwks({"keys": [jwk]})
    assert dict(keyset.keys) == {}
    assert dict(keyset.unusable) == {}


def test_an_hmac_secret_in_the_jwks_is_unusable_and_the_other_keys_still_verify(
    pool: FakeCognitoPool,
) -> None:
    """A `kty: oct` key (a shared secret) is no key type here; it never breaks the set."""
    secret = {"kty": "oct", "kid": "hmac", "k": b64url(b"secret" * 6), "alg": "HS256"}
    keyset = parse_jwks({"keys": [secret, *pool.jwks["keys"]]})
    assert "not supported" in keyset.unusable["hmac"]
    verifier = pool.verifier(
        token_use="id", clock=clock, jwks={"keys": [secret, *pool.jwks["keys"]]}
    )
    assert verifier.verify(pool.id_token(now=NOW))["token_use"] == "id"
    with pytest.raises(UnknownKeyError) as info:
        verifier.verify(pool.id_token(now=NOW, header_overrides={"kid": "hmac"}))
    assert info.value.reason == "unusable_key"


_NULLABLE = ("kty", "use", "key_ops", "alg", "x5u", "x5c", "x5t", "x5t#S256", "n", "e", "crv",
             "x", "y")  # fmt: skip


@pytest.mark.parametrize("member", _NULLABLE)
def test_any_registered_member_that_is_null_makes_the_key_unusable(
    pool: FakeCognitoPool, member: str
) -> None:
    """`null` is no value of any JWK member, even one this key type does not read (`crv` on RSA)."""
    jwk = {**_id_jwk(pool), member: None}
    assert parse_jwks({"keys": [jwk]}).unusable[pool.id_kid].startswith(f"{member} is null")
    with pytest.raises(UnknownKeyError) as info:
        _verifier_with(pool, jwk).verify(pool.id_token(now=NOW))
    assert info.value.reason == "unusable_key"


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ({"alg": ["RS256"]}, "alg is not a string"),
        ({"alg": 256}, "alg is not a string"),
        ({"kty": ["RSA"]}, "kty ['RSA'] is not supported"),
        ({"kty": "rsa"}, "kty 'rsa' is not supported"),
    ],
    ids=["alg a list", "alg a number", "kty a list", "kty lowercase"],
)
def test_a_key_whose_alg_or_kty_is_no_name_is_unusable(
    pool: FakeCognitoPool, members: dict[str, Any], why: str
) -> None:
    jwk = _id_jwk(pool, **members)
    assert parse_jwks({"keys": [jwk]}).unusable[pool.id_kid] == why
    with pytest.raises(UnknownKeyError) as info:
        _verifier_with(pool, jwk).verify(pool.id_token(now=NOW))
    assert info.value.reason == "unusable_key"


# -- every EC curve serves its one algorithm -----------------------------------------------------


def _ec_jwk(key: ec.EllipticCurvePrivateKey, kid: str, crv: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    size = (key.curve.key_size + 7) // 8
    return {
        "kty": "EC",
        "kid": kid,
        "crv": crv,
        "x": b64url(numbers.x.to_bytes(size, "big")),
        "y": b64url(numbers.y.to_bytes(size, "big")),
    }


_DIGESTS: dict[str, hashes.HashAlgorithm] = {
    "ES256": hashes.SHA256(),
    "ES384": hashes.SHA384(),
    "ES512": hashes.SHA512(),
}


def _es(key: ec.EllipticCurvePrivateKey, alg: str, kid: str) -> str:
    header = b64url(json.dumps({"alg": alg, "kid": kid}).encode())
    signing_input = f"{header}.{b64url(json.dumps(CLAIMS).encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(_DIGESTS[alg])))
    size = (key.curve.key_size + 7) // 8
    return f"{signing_input}.{b64url(r.to_bytes(size, 'big') + s.to_bytes(size, 'big'))}"


_CURVES = [("SECP256R1", "P-256", "ES256"), ("SECP384R1", "P-384", "ES384"),
           ("SECP521R1", "P-521", "ES512")]  # fmt: skip


@pytest.mark.parametrize(("curve", "crv", "alg"), _CURVES, ids=[c[1] for c in _CURVES])
def test_each_ec_curve_verifies_its_own_algorithm(curve: str, crv: str, alg: str) -> None:
    key = ec.generate_private_key(getattr(ec, curve)())
    verifier = JwtVerifier(
        issuer=ISSUER,
        audience="api",
        algorithms=[alg],
        jwks={"keys": [_ec_jwk(key, "ec", crv)]},
        clock=clock,
    )
    assert verifier.verify(_es(key, alg, "ec"))["sub"] == "u1"


# -- PEM keys (the ALB's) are built as their JWK would be ----------------------------------------


def _pem(public: Any) -> bytes:
    return bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _split(token: str) -> tuple[bytes, bytes]:
    signing_input, _, signature = token.rpartition(".")
    return base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)), signing_input.encode()


def test_an_rsa_pem_verifies_the_tokens_of_its_key(pool: FakeCognitoPool) -> None:
    key = key_from_pem(_pem(pool.id_key.public_key()), "pem")
    assert (key.kid, key.kty, key.alg) == ("pem", "RSA", None)
    assert key.algorithms == {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
    signature, data = _split(pool.id_token(now=NOW))
    assert key.verify("RS256", data, signature)
    other, _ = _split(pool.access_token(now=NOW))
    assert not key.verify("RS256", data, other)


def test_an_rsa_pem_with_an_alg_serves_only_that_alg(pool: FakeCognitoPool) -> None:
    key = key_from_pem(_pem(pool.id_key.public_key()), "pem", alg="PS256")
    assert (key.alg, key.algorithms) == ("PS256", frozenset({"PS256"}))
    data = b"signed bytes"
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    assert key.verify("PS256", data, pool.id_key.sign(data, pss, hashes.SHA256()))
    assert not key.verify(
        "RS256", data, pool.id_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    )
    with pytest.raises(ValueError, match="does not fit"):
        key_from_pem(_pem(pool.id_key.public_key()), "pem", alg="ES256")


@pytest.mark.parametrize(("curve", "crv", "alg"), _CURVES, ids=[c[1] for c in _CURVES])
def test_an_ec_pem_verifies_its_curve_algorithm(curve: str, crv: str, alg: str) -> None:
    private = ec.generate_private_key(getattr(ec, curve)())
    key = key_from_pem(_pem(private.public_key()), "pem")
    assert (key.kty, key.algorithms) == ("EC", frozenset({alg}))
    signature, data = _split(_es(private, alg, "pem"))
    assert key.verify(alg, data, signature)
    # The same key's JWK builds the same key.
    jwk_key = parse_jwks({"keys": [_ec_jwk(private, "pem", crv)]}).keys["pem"]
    assert isinstance(jwk_key.public_key, ec.EllipticCurvePublicKey)
    assert isinstance(key.public_key, ec.EllipticCurvePublicKey)
    assert jwk_key.public_key.public_numbers() == key.public_key.public_numbers()


@pytest.mark.parametrize("cls", [ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey])
def test_an_okp_pem_verifies_the_tokens_of_its_key(cls: Any) -> None:
    private = cls.generate()
    crv = "Ed25519" if cls is ed25519.Ed25519PrivateKey else "Ed448"
    key = key_from_pem(_pem(private.public_key()), "pem")
    assert (key.kty, key.algorithms) == ("OKP", frozenset({"EdDSA", crv}))
    signature, data = _split(sign_okp(private, {"alg": "EdDSA", "kid": "pem"}, CLAIMS))
    assert key.verify("EdDSA", data, signature)
    assert key.verify(crv, data, signature)


@pytest.mark.parametrize(
    ("public", "why"),
    [
        (lambda: ec.generate_private_key(ec.SECP256K1()).public_key(), "unsupported curve"),
        (lambda: x25519.X25519PrivateKey.generate().public_key(), "unsupported key type"),
    ],
    ids=["secp256k1", "X25519"],
)
def test_a_pem_of_a_key_without_a_table_entry_is_refused(public: Any, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        key_from_pem(_pem(public()), "pem")


def test_a_pem_on_a_curve_cryptography_does_not_implement_is_refused() -> None:
    """sect283k1 (SEC 2 OID 1.3.132.0.16), spelled into a secp256k1 key's PEM."""
    public = ec.generate_private_key(ec.SECP256K1()).public_key()
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    secp256k1, sect283k1 = bytes.fromhex("06052b8104000a"), bytes.fromhex("06052b81040010")
    assert der.count(secp256k1) == 1
    body = base64.encodebytes(der.replace(secp256k1, sect283k1))
    pem = b"-----BEGIN PUBLIC KEY-----\n" + body + b"-----END PUBLIC KEY-----\n"
    # Older cryptography releases refuse the point itself ("Invalid key").
    with pytest.raises(ValueError, match=r"cryptography does not implement|Invalid key"):
        key_from_pem(pem, "pem")


def test_a_1024_bit_rsa_pem_is_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="2048"):
        key_from_pem(_pem(weak.public_key()), "pem")


# -- the document -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "found"),
    [(b"[1, 2]", "list"), (b'"keys"', "str"), (b'{"keys": {}}', "dict"), ({"keys": "x"}, "str")],
    ids=["an array", "a string", "keys an object", "keys a string"],
)
def test_a_document_that_is_no_object_with_a_keys_array_is_invalid(
    document: Any, found: str
) -> None:
    with pytest.raises(JwksUnavailableError) as info:
        parse_jwks(document)
    assert info.value.reason == "jwks_invalid"
    assert info.value.message == (
        f"JWKS: expected a JSON object with a 'keys' array, found {found}"
    )


def test_entries_that_are_not_objects_are_skipped_and_the_keys_beside_them_verify(
    pool: FakeCognitoPool,
) -> None:
    keys = ["a string", 7, None, ["a", "list"], *pool.jwks["keys"]]
    keyset = parse_jwks(json.dumps({"keys": keys}).encode())
    assert set(keyset.keys) == {pool.id_kid, pool.access_kid}
    assert dict(keyset.unusable) == {}
    verifier = pool.verifier(token_use="id", clock=clock, jwks={"keys": keys})
    assert verifier.verify(pool.id_token(now=NOW))["token_use"] == "id"
