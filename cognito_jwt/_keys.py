"""JWK → ready-to-use public key, and the JWS signature algorithms.

Keys are built once, when a JWKS is loaded, never per token: building an RSA
public key from its modulus costs about as much as verifying a signature.

Only asymmetric algorithms exist here.  ``none`` and the HMAC family cannot be
configured at all, so a token can never talk the verifier into using a public
key as an HMAC secret (the classic RS256→HS256 confusion).

``cryptography`` is imported when the first key is built, not with this
module: ``import cognito_jwt`` stays ~20 ms cheaper for processes that never
verify (a CLI's ``--help``, a web app's start-up before its first request).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from cognito_jwt._token import b64url_decode
from cognito_jwt.errors import JwksUnavailableError, MalformedTokenError

if TYPE_CHECKING:  # pragma: no cover
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    PublicKey = (
        rsa.RSAPublicKey
        | ec.EllipticCurvePublicKey
        | ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey
    )

__all__ = [
    "MIN_RSA_BITS",
    "SUPPORTED_ALGORITHMS",
    "KeySet",
    "VerificationKey",
    "parse_jwks",
]

#: Smallest RSA modulus accepted (NIST SP 800-131A; Cognito uses 2048).
MIN_RSA_BITS = 2048

#: Curve (the ``cryptography.hazmat.primitives.asymmetric.ec`` class name) and
#: coordinate size in bytes of each ECDSA algorithm.
_CURVES: dict[str, tuple[str, int]] = {
    "ES256": ("SECP256R1", 32),
    "ES384": ("SECP384R1", 48),
    "ES512": ("SECP521R1", 66),
}
_JWK_CURVES = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}

#: EdDSA (RFC 8037): for each OKP curve, its raw public-key and signature sizes
#: in bytes, and the algorithms that may use it.  RFC 9864 deprecates the
#: polymorphic ``EdDSA`` in favour of the fully specified ``Ed25519`` and
#: ``Ed448``; both spellings are accepted, and the key's ``crv`` decides which
#: curve verifies, so an ``Ed448`` token can never be checked with an Ed25519
#: key (nor the reverse).
_OKP_CURVES: dict[str, tuple[int, int, frozenset[str]]] = {
    "Ed25519": (32, 64, frozenset({"EdDSA", "Ed25519"})),
    "Ed448": (57, 114, frozenset({"EdDSA", "Ed448"})),
}

#: Every algorithm a verifier may be configured with.
SUPPORTED_ALGORITHMS = frozenset(
    {
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
        "ES512",
        "EdDSA",
        "Ed25519",
        "Ed448",
    }
)

Verify = Callable[[bytes, bytes], bool]


def _hash(alg: str) -> hashes.HashAlgorithm:
    """The hash of ``RS256``/``PS384``/``ES512``...: SHA-256, -384 or -512."""
    from cryptography.hazmat.primitives import hashes

    bits = alg[2:]
    if bits == "256":
        return hashes.SHA256()
    if bits == "384":
        return hashes.SHA384()
    if bits == "512":
        return hashes.SHA512()
    raise ValueError(f"no hash for algorithm {alg!r:.20}")


def _rsa_verifier(key: rsa.RSAPublicKey, alg: str) -> Verify:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import padding

    hash_alg = _hash(alg)
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
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    _, coord = _CURVES[alg]
    sig_alg = ec.ECDSA(_hash(alg))

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


def _okp_verifier(key: ed25519.Ed25519PublicKey | ed448.Ed448PublicKey, size: int) -> Verify:
    from cryptography.exceptions import InvalidSignature

    def verify(signature: bytes, data: bytes) -> bool:
        if len(signature) != size:
            return False
        try:
            key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    return verify


class VerificationKey:
    """One usable public key from a JWKS, with its verifiers prepared per algorithm.

    Immutable, and compared by identity on purpose: two keys are "the same"
    only if they are the same object, which lets caches notice that a JWKS was
    reloaded.  (A plain slotted class rather than a dataclass: importing
    ``dataclasses`` costs a cold start ~5 ms.)
    """

    __slots__ = ("_verifiers", "alg", "algorithms", "kid", "kty", "public_key")

    kid: str
    kty: str
    alg: str | None
    algorithms: frozenset[str]
    public_key: PublicKey
    _verifiers: dict[str, Verify]

    def __init__(
        self,
        kid: str,
        kty: str,
        alg: str | None,
        algorithms: frozenset[str],
        public_key: PublicKey,
        *,
        verifiers: dict[str, Verify],
    ) -> None:
        init = object.__setattr__
        init(self, "kid", kid)
        init(self, "kty", kty)
        init(self, "alg", alg)
        init(self, "algorithms", algorithms)
        init(self, "public_key", public_key)
        init(self, "_verifiers", verifiers)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"VerificationKey is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"VerificationKey is immutable: cannot delete {name!r}")

    def __repr__(self) -> str:
        return (
            f"VerificationKey(kid={self.kid!r}, kty={self.kty!r}, alg={self.alg!r}, "
            f"algorithms={sorted(self.algorithms)!r})"
        )

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
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.RSAPublicNumbers(e, n).public_key()
    return key, frozenset(a for a in SUPPORTED_ALGORITHMS if a[:2] in ("RS", "PS"))


def _build_ec(jwk: Mapping[str, Any]) -> tuple[ec.EllipticCurvePublicKey, frozenset[str]]:
    alg = _JWK_CURVES.get(jwk.get("crv"))  # type: ignore[arg-type]
    if alg is None:
        raise ValueError(f"unsupported curve {jwk.get('crv')!r:.20}")
    from cryptography.hazmat.primitives.asymmetric import ec

    curve_name, _ = _CURVES[alg]
    curve: ec.EllipticCurve = getattr(ec, curve_name)()
    key = ec.EllipticCurvePublicNumbers(_b64_int(jwk, "x"), _b64_int(jwk, "y"), curve).public_key()
    return key, frozenset({alg})


def _build_okp(
    jwk: Mapping[str, Any],
) -> tuple[ed25519.Ed25519PublicKey | ed448.Ed448PublicKey, frozenset[str], Verify]:
    crv = jwk.get("crv")
    curve = _OKP_CURVES.get(crv) if isinstance(crv, str) else None
    if curve is None:
        raise ValueError(f"unsupported OKP curve {crv!r:.20} (Ed25519 or Ed448 expected)")
    key_size, signature_size, algorithms = curve
    x = jwk.get("x")
    if not isinstance(x, str) or not x:
        raise ValueError("x is missing or not a string")
    try:
        raw = b64url_decode(x, "jwk x")
    except MalformedTokenError:
        raise ValueError("x is not base64url") from None
    if len(raw) != key_size:
        raise ValueError(f"x holds {len(raw)} bytes, expected {key_size} for {crv}")
    if "d" in jwk:
        raise ValueError("the JWK holds a private key (d); publish only the public half")
    from cryptography.hazmat.primitives.asymmetric import ed448, ed25519

    key: ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
    if crv == "Ed25519":
        key = ed25519.Ed25519PublicKey.from_public_bytes(raw)
    else:
        key = ed448.Ed448PublicKey.from_public_bytes(raw)
    return key, algorithms, _okp_verifier(key, signature_size)


#: The members of RFC 7517 4 and RFC 7518 6 that a JWK may carry.  None of them
#: has `null` among its values, so a `null` one is a broken key, never "absent".
_REGISTERED_MEMBERS = (
    "kty", "use", "key_ops", "alg", "kid", "x5u", "x5c", "x5t", "x5t#S256",
    "n", "e", "crv", "x", "y",
)  # fmt: skip


def _build_key(jwk: Mapping[str, Any]) -> VerificationKey:
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        raise ValueError("kid is missing")
    for name in _REGISTERED_MEMBERS:
        # `"use": null` read as absent would turn a key whose publisher meant
        # something (and wrote it wrongly) into a signing key: refuse it instead.
        if name in jwk and jwk[name] is None:
            raise ValueError(f"{name} is null, expected a value or no member at all")
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise ValueError(f"use is {use!r:.20}, expected 'sig'")
    jwk_alg = jwk.get("alg")
    if jwk_alg is not None and not isinstance(jwk_alg, str):
        raise ValueError("alg is not a string")
    kty = jwk.get("kty")
    rsa_key: rsa.RSAPublicKey | None = None
    ec_key: ec.EllipticCurvePublicKey | None = None
    okp_verify: Verify | None = None
    okp_key: ed25519.Ed25519PublicKey | ed448.Ed448PublicKey | None = None
    if kty == "RSA":
        rsa_key, algorithms = _build_rsa(jwk)
    elif kty == "EC":
        ec_key, algorithms = _build_ec(jwk)
    elif kty == "OKP":
        okp_key, algorithms, okp_verify = _build_okp(jwk)
    else:
        raise ValueError(f"kty {kty!r:.20} is not supported")
    if jwk_alg is not None:
        # A key that declares its algorithm may only ever be used with it.
        algorithms = algorithms & {jwk_alg}
        if not algorithms:
            raise ValueError(f"alg {jwk_alg!r:.20} does not fit kty {kty}")
    verifiers: dict[str, Verify] = {}
    for alg in algorithms:
        if rsa_key is not None:
            verifiers[alg] = _rsa_verifier(rsa_key, alg)
        elif ec_key is not None:
            verifiers[alg] = _ec_verifier(ec_key, alg)
        elif okp_verify is not None:
            verifiers[alg] = okp_verify  # one curve, one verification, whichever name
    public_key: PublicKey | None = rsa_key or ec_key or okp_key
    assert public_key is not None  # one branch above built it
    return VerificationKey(kid, kty, jwk_alg, algorithms, public_key, verifiers=verifiers)


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
