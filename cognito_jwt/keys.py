"""JWK → ready-to-use public key, and the JWS signature algorithms.

Keys are built once, when a JWKS is loaded, never per token: building an RSA
public key from its modulus costs about as much as verifying a signature.

Only asymmetric algorithms exist here.  ``none`` and the HMAC family cannot be
configured at all, so a token can never talk the verifier into using a public
key as an HMAC secret (the classic RS256→HS256 confusion).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from cognito_jwt.errors import JwksUnavailableError, MalformedTokenError
from cognito_jwt.token import b64url_decode

__all__ = [
    "MIN_RSA_BITS",
    "SUPPORTED_ALGORITHMS",
    "KeySet",
    "VerificationKey",
    "parse_jwks",
]

#: Smallest RSA modulus accepted (NIST SP 800-131A; Cognito uses 2048).
MIN_RSA_BITS = 2048

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_CURVES: dict[str, tuple[type[ec.EllipticCurve], int]] = {
    "ES256": (ec.SECP256R1, 32),
    "ES384": (ec.SECP384R1, 48),
    "ES512": (ec.SECP521R1, 66),
}
_JWK_CURVES = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}

#: Every algorithm a verifier may be configured with.
SUPPORTED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)

Verify = Callable[[bytes, bytes], bool]


def _rsa_verifier(key: rsa.RSAPublicKey, alg: str) -> Verify:
    hash_alg = _HASHES[alg[2:]]()
    size = (key.key_size + 7) // 8
    pad: padding.AsymmetricPadding
    if alg.startswith("RS"):
        pad = padding.PKCS1v15()
    else:
        pad = padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size)

    def verify(signature: bytes, data: bytes) -> bool:
        if len(signature) != size:
            return False
        try:
            key.verify(signature, data, pad, hash_alg)
        except InvalidSignature:
            return False
        return True

    return verify


def _ec_verifier(key: ec.EllipticCurvePublicKey, alg: str) -> Verify:
    _, coord = _CURVES[alg]
    sig_alg = ec.ECDSA(_HASHES[alg[2:]]())

    def verify(signature: bytes, data: bytes) -> bool:
        # JWS carries the raw r||s form (RFC 7518 3.4), cryptography wants DER.
        if len(signature) != 2 * coord:
            return False
        r = int.from_bytes(signature[:coord], "big")
        s = int.from_bytes(signature[coord:], "big")
        try:
            key.verify(encode_dss_signature(r, s), data, sig_alg)
        except InvalidSignature:
            return False
        return True

    return verify


@dataclass(frozen=True, eq=False)
class VerificationKey:
    """One usable public key from a JWKS, with its verifiers prepared per algorithm.

    ``eq=False`` on purpose: two keys are "the same" only if they are the same
    object, which lets caches notice that a JWKS was reloaded.
    """

    kid: str
    kty: str
    alg: str | None
    algorithms: frozenset[str]
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    _verifiers: dict[str, Verify]

    def verify(self, alg: str, data: bytes, signature: bytes) -> bool:
        """True if ``signature`` over ``data`` verifies with this key under ``alg``."""
        verifier = self._verifiers.get(alg)
        return verifier is not None and verifier(signature, data)


def _b64_int(jwk: Mapping[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is missing or not a string")
    try:
        raw = b64url_decode(value, f"jwk {name}")
    except MalformedTokenError:
        raise ValueError(f"{name} is not base64url") from None
    return int.from_bytes(raw, "big")


def _build_rsa(jwk: Mapping[str, Any]) -> tuple[rsa.RSAPublicKey, frozenset[str]]:
    n = _b64_int(jwk, "n")
    e = _b64_int(jwk, "e")
    if n.bit_length() < MIN_RSA_BITS:
        raise ValueError(f"RSA modulus has {n.bit_length()} bits, expected >= {MIN_RSA_BITS}")
    if e < 3 or e % 2 == 0:
        raise ValueError("RSA exponent is not an odd integer >= 3")
    key = rsa.RSAPublicNumbers(e, n).public_key()
    return key, frozenset(a for a in SUPPORTED_ALGORITHMS if a[:2] in ("RS", "PS"))


def _build_ec(jwk: Mapping[str, Any]) -> tuple[ec.EllipticCurvePublicKey, frozenset[str]]:
    alg = _JWK_CURVES.get(jwk.get("crv"))  # type: ignore[arg-type]
    if alg is None:
        raise ValueError(f"unsupported curve {jwk.get('crv')!r:.20}")
    curve_cls, _ = _CURVES[alg]
    key = ec.EllipticCurvePublicNumbers(
        _b64_int(jwk, "x"), _b64_int(jwk, "y"), curve_cls()
    ).public_key()
    return key, frozenset({alg})


def _build_key(jwk: Mapping[str, Any]) -> VerificationKey:
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        raise ValueError("kid is missing")
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise ValueError(f"use is {use!r:.20}, expected 'sig'")
    jwk_alg = jwk.get("alg")
    if jwk_alg is not None and not isinstance(jwk_alg, str):
        raise ValueError("alg is not a string")
    kty = jwk.get("kty")
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    if kty == "RSA":
        public_key, algorithms = _build_rsa(jwk)
    elif kty == "EC":
        public_key, algorithms = _build_ec(jwk)
    else:
        raise ValueError(f"kty {kty!r:.20} is not supported")
    if jwk_alg is not None:
        # A key that declares its algorithm may only ever be used with it.
        algorithms = algorithms & {jwk_alg}
        if not algorithms:
            raise ValueError(f"alg {jwk_alg!r:.20} does not fit kty {kty}")
    verifiers: dict[str, Verify] = {}
    for alg in algorithms:
        if isinstance(public_key, rsa.RSAPublicKey):
            verifiers[alg] = _rsa_verifier(public_key, alg)
        else:
            verifiers[alg] = _ec_verifier(public_key, alg)
    return VerificationKey(kid, kty, jwk_alg, algorithms, public_key, verifiers)


@dataclass(frozen=True)
class KeySet:
    """A parsed JWKS: the usable keys by kid, and why the others were skipped.

    One odd key (an encryption key, an unsupported curve) must not make the
    whole set unusable, so bad entries are skipped and remembered, and a token
    naming one gets a precise error instead of "unknown kid".
    """

    keys: Mapping[str, VerificationKey]
    unusable: Mapping[str, str]


def parse_jwks(document: bytes | str | Mapping[str, Any], *, source: str = "JWKS") -> KeySet:
    """Parse a JWKS document (bytes, JSON text or an already-decoded mapping).

    Raises:
        JwksUnavailableError: (503) the document is not JSON with a ``keys`` array.
    """
    if isinstance(document, Mapping):
        data: Any = document
    else:
        try:
            data = json.loads(document)
        except (ValueError, RecursionError):
            raise JwksUnavailableError(
                f"{source}: expected a JSON document, found invalid JSON", reason="jwks_invalid"
            ) from None
    keys_field = data.get("keys") if isinstance(data, dict | Mapping) else None
    if not isinstance(keys_field, list):
        raise JwksUnavailableError(
            f"{source}: expected a JSON object with a 'keys' array, found "
            f"{type(keys_field if isinstance(data, Mapping) else data).__name__}",
            reason="jwks_invalid",
        )
    keys: dict[str, VerificationKey] = {}
    unusable: dict[str, str] = {}
    for jwk in keys_field:
        if not isinstance(jwk, Mapping):
            continue
        kid = jwk.get("kid")
        try:
            key = _build_key(jwk)
        except (ValueError, TypeError, OverflowError) as exc:
            if isinstance(kid, str) and kid:
                unusable[kid] = str(exc)
            continue
        if key.kid in keys or key.kid in unusable:
            # Two keys under one kid make the choice ambiguous: use neither.
            keys.pop(key.kid, None)
            unusable[key.kid] = "kid appears more than once in the JWKS"
            continue
        keys[key.kid] = key
    return KeySet(keys, unusable)
