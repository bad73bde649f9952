"""JWS signature checks: one prepared `verify(signature, data)` per key and algorithm.

`VerificationKey` is a public key with those checks, one per algorithm it
may serve; `_keys.py` builds it from a JWK or a PEM.

Each factory binds a public key to one algorithm once, when a key set is
loaded; a token then costs one dictionary read and the `cryptography` call.
The checks a JWS signature needs beyond the maths are here too: the exact
length of the signature, and the raw `r || s` form of ECDSA (RFC 7518 3.4)
turned into the DER `cryptography` wants.

`cryptography` is imported when the first verifier is built, never with this
module (see `_keys`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:  # pragma: no cover
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    PublicKey = (
        rsa.RSAPublicKey
        | ec.EllipticCurvePublicKey
        | ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey
    )

__all__ = ["VerificationKey", "Verify", "ec_verifier", "okp_verifier", "rsa_verifier"]

#: `verify(signature, data) -> bool`: a key bound to one algorithm.
Verify = Callable[[bytes, bytes], bool]


def _hash(alg: str) -> hashes.HashAlgorithm:
    """The hash of `RS256`/`PS384`/`ES512`...: SHA-256, -384 or -512."""
    from cryptography.hazmat.primitives import hashes

    bits = alg[2:]
    if bits == "256":
        return hashes.SHA256()
    if bits == "384":
        return hashes.SHA384()
    if bits == "512":
        return hashes.SHA512()
    raise ValueError(f"no hash for algorithm {alg!r:.20}")


def rsa_verifier(key: rsa.RSAPublicKey, alg: str) -> Verify:
    """`RS*` (PKCS #1 v1.5) or `PS*` (PSS, salt as long as the hash) with `key`."""
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


def ec_verifier(key: ec.EllipticCurvePublicKey, alg: str, coordinate_bytes: int) -> Verify:
    """`ES*` with `key`: a raw `r || s` signature of two `coordinate_bytes` halves."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    sig_alg = ec.ECDSA(_hash(alg))
    coord = coordinate_bytes

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


def okp_verifier(key: ed25519.Ed25519PublicKey | ed448.Ed448PublicKey, size: int) -> Verify:
    """EdDSA with `key`: one verification whichever name (`EdDSA`, `Ed25519`, `Ed448`)."""
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
    `dataclasses` costs a cold start ~5 ms.)
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
        """True if `signature` over `data` verifies with this key under `alg`."""
        verifier = self._verifiers.get(alg)
        return verifier is not None and verifier(signature, data)
