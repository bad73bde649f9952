"""JWK or PEM → ready-to-use public key: one table entry per key type, and key hygiene.

Keys are built once, when a JWKS is loaded, never per token: building an RSA
public key from its modulus costs about as much as verifying a signature.

`_KEY_TYPES` is the whole of what a key type means here: for each `kty` the
algorithms its keys may serve and how a JWK of it becomes a key (with the
checks that type needs).  `SUPPORTED_ALGORITHMS` is derived from it, and a PEM
(the ALB's keys) is turned into a JWK and built through the same entry, so a
new key type is one entry.  The checks every key passes whatever its type
(`kid`, `use`, `key_ops`, `alg`, no `null` member, no private member) are
`_build_key`'s.

Which curve serves which algorithm is fixed, never chosen by a token: ES256
only with P-256, ES384 only with P-384, ES512 only with P-521 (RFC 7518 3.4);
secp256k1 would be ES256K (RFC 8812 3.2), which is not supported.  An OKP
key's `crv` decides which EdDSA curve verifies.

Only asymmetric algorithms exist here.  `none` and the HMAC family cannot be
configured at all, so a token can never talk the verifier into using a public
key as an HMAC secret (the classic RS256→HS256 confusion).

`cryptography` is imported when the first key is built, not with this
module: `import cognito_jwt` stays ~20 ms cheaper for processes that never
verify (a CLI's `--help`, a web app's start-up before its first request).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from cognito_jwt._signature import VerificationKey, Verify, ec_verifier, okp_verifier, rsa_verifier
from cognito_jwt._token import b64url_decode
from cognito_jwt.errors import JwksUnavailableError, MalformedTokenError

if TYPE_CHECKING:  # pragma: no cover
    from cognito_jwt._signature import PublicKey

__all__ = [
    "MIN_RSA_BITS",
    "SUPPORTED_ALGORITHMS",
    "KeySet",
    "VerificationKey",
    "key_from_pem",
    "parse_jwks",
]

#: Smallest RSA modulus accepted (NIST SP 800-131A; Cognito uses 2048).
MIN_RSA_BITS = 2048


class _Curve:
    """One named curve: its `cryptography` name, sizes in bytes, and the algorithms it serves.

    (A slotted class, not a `NamedTuple`: creating a `NamedTuple` class costs
    the import ~0.25 ms.)
    """

    __slots__ = ("algorithms", "name", "signature_size", "size")

    def __init__(
        self, name: str, size: int, algorithms: frozenset[str], signature_size: int = 0
    ) -> None:
        self.name = name
        #: EC: bytes of one coordinate (and of each half of a signature); OKP: of the key.
        self.size = size
        self.algorithms = algorithms
        #: OKP: bytes of a signature.
        self.signature_size = signature_size


#: JWK `crv` of the EC keys, each bound to its one algorithm (RFC 7518 3.4, 6.2.1.1).
_EC_CURVES = {
    "P-256": _Curve("SECP256R1", 32, frozenset({"ES256"})),
    "P-384": _Curve("SECP384R1", 48, frozenset({"ES384"})),
    "P-521": _Curve("SECP521R1", 66, frozenset({"ES512"})),
}
#: `cryptography`'s curve names (as a PEM names them) → JWK `crv`.
_EC_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}

#: EdDSA (RFC 8037).  RFC 9864 deprecates the polymorphic `EdDSA` in favour of
#: the fully specified `Ed25519` and `Ed448`; both spellings are accepted, and
#: the key's `crv` decides which curve verifies, so an `Ed448` token can never
#: be checked with an Ed25519 key (nor the reverse).
_OKP_CURVES = {
    "Ed25519": _Curve("Ed25519", 32, frozenset({"EdDSA", "Ed25519"}), 64),
    "Ed448": _Curve("Ed448", 57, frozenset({"EdDSA", "Ed448"}), 114),
}

_RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})

#: The y coordinates (mod p) of the points of order 1, 2, 4 and 8.  With such
#: a point as the public key, one constant signature verifies for every message
#: (for the identity: R = identity, S = 0).  OpenSSL accepts these keys; a
#: zeroed key buffer encodes one.  libsodium's `ge25519_has_small_order` lists
#: the same values; "Taming the many EdDSAs" (Brendel et al., 2020) explains why.
_P25519 = 2**255 - 19
_Y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022
_P448 = 2**448 - 2**224 - 1
_SMALL_ORDER_Y = {
    "Ed25519": frozenset({0, 1, _P25519 - 1, _Y8, _P25519 - _Y8}),
    "Ed448": frozenset({0, 1, _P448 - 1}),
}

#: The members only a private key has (RFC 7518 6.2.2 EC and 6.3.2 RSA, RFC 8037 2
#: OKP).  A JWKS that publishes one has leaked the key: anybody can mint tokens
#: with it, so it verifies nothing.
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth")

#: The `key_ops` of RFC 7517 4.3 that only fit `"use": "enc"`.
_ENCRYPTION_OPS = frozenset(
    {"encrypt", "decrypt", "wrapKey", "unwrapKey", "deriveKey", "deriveBits"}
)


# -- the key types ------------------------------------------------------------------------------


def _b64(jwk: Mapping[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is missing or not a string")
    try:
        return b64url_decode(value, f"jwk {name}")
    except MalformedTokenError:
        raise ValueError(f"{name} is not base64url") from None


def _b64_int(jwk: Mapping[str, Any], name: str) -> int:
    return int.from_bytes(_b64(jwk, name), "big")


def _curve(curves: Mapping[str, _Curve], jwk: Mapping[str, Any], kind: str = "") -> _Curve:
    crv = jwk.get("crv")
    curve = curves.get(crv) if isinstance(crv, str) else None
    if curve is None:
        raise ValueError(f"unsupported {kind}curve {crv!r:.20} (expected {' or '.join(curves)})")
    return curve


Built = tuple["PublicKey", dict[str, Verify]]


def _build_rsa(jwk: Mapping[str, Any]) -> Built:
    """Modulus of at least `MIN_RSA_BITS`, an odd exponent >= 3; RS* and PS*."""
    n = _b64_int(jwk, "n")
    e = _b64_int(jwk, "e")
    if n.bit_length() < MIN_RSA_BITS:
        raise ValueError(f"RSA modulus has {n.bit_length()} bits, expected >= {MIN_RSA_BITS}")
    if e < 3 or e % 2 == 0:
        raise ValueError("RSA exponent is not an odd integer >= 3")
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.RSAPublicNumbers(e, n).public_key()
    return key, {alg: rsa_verifier(key, alg) for alg in _RSA_ALGORITHMS}


def _build_ec(jwk: Mapping[str, Any]) -> Built:
    """A point on P-256, P-384 or P-521 (`cryptography` checks it), for that curve's one ES*."""
    curve = _curve(_EC_CURVES, jwk)
    from cryptography.hazmat.primitives.asymmetric import ec

    numbers = ec.EllipticCurvePublicNumbers(
        _b64_int(jwk, "x"), _b64_int(jwk, "y"), getattr(ec, curve.name)()
    )
    key = numbers.public_key()
    return key, {alg: ec_verifier(key, alg, curve.size) for alg in curve.algorithms}


def _build_okp(jwk: Mapping[str, Any]) -> Built:
    """An Ed25519 or Ed448 public key of the right length, not of small order."""
    curve = _curve(_OKP_CURVES, jwk, "OKP ")
    raw = _b64(jwk, "x")
    if len(raw) != curve.size:
        raise ValueError(f"x holds {len(raw)} bytes, expected {curve.size} for {curve.name}")
    # y is little-endian below the sign bit of x: Ed25519's top bit, Ed448's last byte.
    if curve.size == 32:
        y, p = int.from_bytes(raw, "little") & ((1 << 255) - 1), _P25519
    else:
        y, p = int.from_bytes(raw[:56], "little"), _P448
    if y % p in _SMALL_ORDER_Y[curve.name]:
        raise ValueError(f"x is a small-order point of {curve.name}, which any signature fits")
    from cryptography.hazmat.primitives.asymmetric import ed448, ed25519

    key: ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
    if curve.size == 32:
        key = ed25519.Ed25519PublicKey.from_public_bytes(raw)
    else:
        key = ed448.Ed448PublicKey.from_public_bytes(raw)
    return key, dict.fromkeys(curve.algorithms, okp_verifier(key, curve.signature_size))


class _KeyType:
    """One `kty`: every algorithm its keys may serve, and how a JWK of it becomes a key."""

    __slots__ = ("algorithms", "build")

    def __init__(
        self, algorithms: frozenset[str], build: Callable[[Mapping[str, Any]], Built]
    ) -> None:
        self.algorithms = algorithms
        self.build = build


_KEY_TYPES = {
    "RSA": _KeyType(_RSA_ALGORITHMS, _build_rsa),
    "EC": _KeyType(frozenset().union(*(c.algorithms for c in _EC_CURVES.values())), _build_ec),
    "OKP": _KeyType(frozenset().union(*(c.algorithms for c in _OKP_CURVES.values())), _build_okp),
}

#: Every algorithm a verifier may be configured with.
SUPPORTED_ALGORITHMS = frozenset().union(*(t.algorithms for t in _KEY_TYPES.values()))


# -- the checks every key passes -----------------------------------------------------------


#: The members of RFC 7517 4 and RFC 7518 6 that a JWK may carry.  None of them
#: has `null` among its values, so a `null` one is a broken key, never "absent".
_REGISTERED_MEMBERS = (
    "kty", "use", "key_ops", "alg", "kid", "x5u", "x5c", "x5t", "x5t#S256",
    "n", "e", "crv", "x", "y",
)  # fmt: skip


def _check_key_ops(jwk: Mapping[str, Any]) -> None:
    """`key_ops` (RFC 7517 4.3), when present, must allow `verify` and agree with `use`.

    Values RFC 7517 does not register are ignored, as it allows; a value
    listed twice is malformed (4.3 forbids it).
    """
    ops = jwk.get("key_ops")
    if ops is None:
        return
    if type(ops) is not list or not all(type(op) is str for op in ops):
        raise ValueError("key_ops is not an array of strings")
    if len(set(ops)) != len(ops):
        raise ValueError("key_ops lists a value more than once")
    if "verify" not in ops:
        raise ValueError(f"key_ops {sorted(ops)!r:.80} does not allow verify")
    clash = _ENCRYPTION_OPS.intersection(ops)
    if "use" in jwk and clash:
        raise ValueError(f"use 'sig' contradicts key_ops {sorted(clash)!r:.60}")


def _build_key(jwk: Mapping[str, Any]) -> VerificationKey:
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        raise ValueError("kid is missing")
    for name in _REGISTERED_MEMBERS:
        # `"use": null` read as absent would turn a key whose publisher meant
        # something (and wrote it wrongly) into a signing key: refuse it instead.
        if name in jwk and jwk[name] is None:
            raise ValueError(f"{name} is null, expected a value or no member at all")
    leaked = [name for name in _PRIVATE_MEMBERS if name in jwk]
    if leaked:
        raise ValueError(
            f"the JWK holds a private key ({', '.join(leaked)}), expected only the public "
            "half: whoever read this JWKS can sign tokens with it, so rotate the key"
        )
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise ValueError(f"use is {use!r:.20}, expected 'sig'")
    _check_key_ops(jwk)
    jwk_alg = jwk.get("alg")
    if jwk_alg is not None and not isinstance(jwk_alg, str):
        raise ValueError("alg is not a string")
    kty = jwk.get("kty")
    key_type = _KEY_TYPES.get(kty) if isinstance(kty, str) else None
    if key_type is None or not isinstance(kty, str):
        raise ValueError(f"kty {kty!r:.20} is not supported")
    public_key, verifiers = key_type.build(jwk)
    if jwk_alg is not None:
        # A key that declares its algorithm may only ever be used with it.
        verifiers = {jwk_alg: verifiers[jwk_alg]} if jwk_alg in verifiers else {}
        if not verifiers:
            raise ValueError(f"alg {jwk_alg!r:.20} does not fit this {kty} key")
    return VerificationKey(kid, kty, jwk_alg, frozenset(verifiers), public_key, verifiers=verifiers)


def key_from_pem(pem: bytes, kid: str, *, alg: str | None = None) -> VerificationKey:
    """The key of a PEM public key (`SubjectPublicKeyInfo`), built as its JWK would be.

    The PEM becomes the JWK members of its key (as aws-jwt-verify turns an
    ALB's PEM into a JWK), so it passes the same table entry and checks.

    Raises:
        ValueError: not a PEM public key, or one of a type or curve the table
            has no entry for (`cryptography` may not even implement it), or
            that `alg` does not fit.
    """
    import base64

    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_pem_public_key,
    )

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    try:
        public = load_pem_public_key(pem)
    except UnsupportedAlgorithm as exc:
        raise ValueError(f"a key cryptography does not implement ({exc})") from None
    jwk: dict[str, Any] = {"kid": kid, "use": "sig"}
    if alg is not None:
        jwk["alg"] = alg
    if isinstance(public, rsa.RSAPublicKey):
        rsa_numbers = public.public_numbers()
        jwk |= {"kty": "RSA", "n": b64(_big(rsa_numbers.n)), "e": b64(_big(rsa_numbers.e))}
    elif isinstance(public, ec.EllipticCurvePublicKey):
        crv = _EC_NAMES.get(public.curve.name)
        if crv is None:
            raise ValueError(f"unsupported curve {public.curve.name!r:.20}")
        size, ec_numbers = _EC_CURVES[crv].size, public.public_numbers()
        x, y = ec_numbers.x.to_bytes(size, "big"), ec_numbers.y.to_bytes(size, "big")
        jwk |= {"kty": "EC", "crv": crv, "x": b64(x), "y": b64(y)}
    elif isinstance(public, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        crv = "Ed25519" if isinstance(public, ed25519.Ed25519PublicKey) else "Ed448"
        raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        jwk |= {"kty": "OKP", "crv": crv, "x": b64(raw)}
    else:
        raise ValueError(f"unsupported key type {type(public).__name__}")
    return _build_key(jwk)


def _big(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")


class KeySet(NamedTuple):
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
        JwksUnavailableError: (503) the document is not JSON with a `keys` array.
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
                if kid in keys or kid in unusable:
                    # Listed twice: ambiguous whichever entry came first.
                    keys.pop(kid, None)
                    unusable[kid] = "kid appears more than once in the JWKS"
                else:
                    unusable[kid] = str(exc)
            continue
        if key.kid in keys or key.kid in unusable:
            # Two keys under one kid make the choice ambiguous: use neither.
            keys.pop(key.kid, None)
            unusable[key.kid] = "kid appears more than once in the JWKS"
            continue
        keys[key.kid] = key
    return KeySet(keys, unusable)
