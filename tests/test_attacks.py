"""The attack table: RFC 8725 (JWT BCP) and the OWASP JWT cheat sheet, one concrete token per row.

Every row is a token an attacker could send and the *exact* error class and
``reason`` it must get (or, for the few rows that are legitimate tokens with an
odd but harmless shape, acceptance).  ``docs/security.md`` carries the same
table; :func:`test_every_case_is_documented` keeps the two in step.

Tokens that need correct signatures over malformed JSON are built with
``FakeCognitoPool.sign_raw``: the attacker cannot do that, so those rows prove
the parser and claim checks hold even *after* a signature verified (a key
compromise, a confused issuer), not just that the signature check stops them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from fixed_time import NOW, clock

from cognito_jwt import (
    ANY_CLIENT,
    CognitoJwtError,
    CognitoJwtVerifier,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenUseError,
    JwksCache,
    JwtVerifier,
    MalformedTokenError,
    MissingClaimError,
    MissingScopeError,
    TokenExpiredError,
    TokenNotYetValidError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
)
from cognito_jwt.testing import FakeCognitoPool, b64url

ROOT = Path(__file__).resolve().parent.parent
POOL = FakeCognitoPool("us-east-1_Attacks001", "attackclient0123456789abcd")
OTHER_CLIENT = "someoneelse0123456789abcde"


# -- token building -----------------------------------------------------------------------


def enc(obj: Any) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def segs(token: str) -> list[str]:
    return token.split(".")


def valid() -> str:
    return POOL.id_token(now=NOW)


def header() -> dict[str, Any]:
    return {"kid": POOL.id_kid, "alg": "RS256"}


def claims(**changes: Any) -> dict[str, Any]:
    """The claims of a valid ID token, with ``changes`` (None removes)."""
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segs(valid())[1] + "=="))
    for name, value in changes.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    return payload


def with_header(hdr: dict[str, Any], sig: str | None = None) -> str:
    """A valid token's payload and signature under another header (signature now wrong)."""
    _, p, s = segs(valid())
    return f"{enc(hdr)}.{p}.{s if sig is None else sig}"


def signed_header(hdr: dict[str, Any]) -> str:
    """Correctly RS256-signed by the pool's ID key, with exactly ``hdr``."""
    return POOL.sign_raw(json.dumps(hdr).encode(), json.dumps(claims()).encode())


def signed_payload(raw: str | bytes) -> str:
    """Correctly RS256-signed, with exactly these payload bytes."""
    data = raw.encode() if isinstance(raw, str) else raw
    return POOL.sign_raw(json.dumps(header()).encode(), data)


def signed_raw_header(raw: str) -> str:
    return POOL.sign_raw(raw.encode(), json.dumps(claims()).encode())


def payload_json(**changes: Any) -> str:
    return json.dumps(claims(**changes))


def payload_literal(name: str, literal: str) -> str:
    """The valid claims with ``name`` set to a raw JSON literal (NaN, 1e309, ...)."""
    body = claims(**{name: None})
    text = json.dumps(body)
    return text[:-1] + f', "{name}": {literal}}}'


def public_key_bytes(form: str) -> bytes:
    key = POOL.id_key.public_key()
    if form == "pem":
        return key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    if form == "pem-pkcs1":
        return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    if form == "der":
        return key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    if form == "jwk":
        jwk = next(k for k in POOL.jwks["keys"] if k["kid"] == POOL.id_kid)
        return json.dumps(jwk).encode()
    if form == "n":
        jwk = next(k for k in POOL.jwks["keys"] if k["kid"] == POOL.id_kid)
        return str(jwk["n"]).encode()
    raise AssertionError(form)


def hmac_token(alg: str, secret: bytes) -> str:
    """HS* over a valid payload, keyed with the public key: the classic confusion."""
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    signing_input = f"{enc({'kid': POOL.id_kid, 'alg': alg})}.{segs(valid())[1]}"
    mac = hmac.new(secret, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64url(mac)}"


def pss_token(alg: str = "PS256") -> str:
    """A genuine PS256 signature by the pool's own RSA key."""
    signing_input = f"{enc({'kid': POOL.id_kid, 'alg': alg})}.{segs(valid())[1]}"
    sig = POOL.id_key.sign(
        signing_input.encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    return f"{signing_input}.{b64url(sig)}"


ATTACKER_EC = ec.generate_private_key(ec.SECP256R1())


#: A legitimate EC key that the "generic-with-ec" verifier's JWKS publishes.
PUBLISHED_EC = ec.generate_private_key(ec.SECP256R1())
EC_KID = "ec-key-1"


def es256_token(kid: str, key: ec.EllipticCurvePrivateKey = ATTACKER_EC, alg: str = "ES256") -> str:
    """ES256 by an EC key (the attacker's unless given), naming ``kid`` and ``alg``."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    signing_input = f"{enc({'kid': kid, 'alg': alg})}.{segs(valid())[1]}"
    der = key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def rs256_under_ec_kid() -> str:
    """A genuine RS256 signature by the pool's RSA key, naming the EC key's kid."""
    return POOL.sign(claims(), {"kid": EC_KID, "alg": "RS256"})


def ec_jwk() -> dict[str, str]:
    numbers = PUBLISHED_EC.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "kid": EC_KID,
        "use": "sig",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def with_signature(raw: bytes) -> str:
    h, p, _ = segs(valid())
    return f"{h}.{p}.{b64url(raw)}"


def real_signature() -> bytes:
    return base64.urlsafe_b64decode(segs(valid())[2] + "==")


def other_tokens_signature() -> str:
    h, p, _ = segs(valid())
    return f"{h}.{p}.{segs(POOL.id_token(now=NOW - 1))[2]}"


def other_pools_forgery() -> str:
    other = FakeCognitoPool("us-east-1_Attacks002")
    return other.id_token(now=NOW, iss=POOL.issuer, aud=POOL.client_id)


def swap_segment(index: int, change: Callable[[str], str]) -> str:
    parts = segs(valid())
    parts[index] = change(parts[index])
    return ".".join(parts)


def std_alphabet_signature() -> str:
    """Signature bytes whose base64url has ``-`` and ``_``, spelled with ``+`` and ``/``."""
    token = with_signature(b"\xfb\xff" * 128)
    h, p, s = segs(token)
    assert "-" in s
    assert "_" in s
    return f"{h}.{p}.{s.replace('-', '+').replace('_', '/')}"


def noncanonical_last_char(segment: str) -> str:
    """Same decoded bytes, non-zero unused bits in the last character."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    index = alphabet.index(segment[-1])
    return segment[:-1] + alphabet[index + 1]


# -- verifiers ------------------------------------------------------------------------------


def cognito_id() -> CognitoJwtVerifier:
    return POOL.verifier(token_use="id", clock=clock)


def cognito_access() -> CognitoJwtVerifier:
    return POOL.verifier(token_use="access", clock=clock)


def generic(algorithms: tuple[str, ...] = ("RS256",)) -> JwtVerifier:
    return JwtVerifier(
        issuer=POOL.issuer,
        audience=POOL.client_id,
        jwks=POOL.jwks,
        algorithms=algorithms,
        clock=clock,
    )


def generic_all() -> JwtVerifier:
    return generic(("RS256", "PS256", "ES256"))


def generic_with_ec() -> JwtVerifier:
    """RS256 and ES256 allowed; the JWKS holds the pool's RSA keys and one EC key."""
    return JwtVerifier(
        issuer=POOL.issuer,
        audience=POOL.client_id,
        jwks={"keys": [*POOL.jwks["keys"], ec_jwk()]},
        algorithms=("RS256", "ES256"),
        clock=clock,
    )


def cognito_any_client() -> CognitoJwtVerifier:
    """Neither `token_use` nor `client_id` checked: the type checks still run."""
    return POOL.verifier(token_use=None, client_id=ANY_CLIENT, clock=clock)


def cognito_orders_read() -> CognitoJwtVerifier:
    return POOL.verifier(token_use="access", scopes="orders/read", clock=clock)


VERIFIERS: dict[str, Callable[[], Any]] = {
    "cognito-id": cognito_id,
    "cognito-access": cognito_access,
    "cognito-any-client": cognito_any_client,
    "cognito-access-orders-read": cognito_orders_read,
    "generic": generic,
    "generic-rs-ps-es": generic_all,
    "generic-with-ec": generic_with_ec,
}


# -- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One attack: how the token is built, which verifier gets it, what it must answer."""

    id: str
    build: Callable[[], str]
    error: type[CognitoJwtError] | None  # None: a legitimate token, accepted
    reason: str | None
    verifier: str = "cognito-id"
    doc: str = ""


M, U, K, S = MalformedTokenError, UnsupportedAlgorithmError, UnknownKeyError, InvalidSignatureError
C, E = InvalidClaimError, TokenExpiredError


def _header_case(
    case_id: str,
    hdr: dict[str, Any],
    error: type[CognitoJwtError],
    reason: str,
    doc: str,
    verifier: str = "cognito-id",
    sig: str | None = None,
) -> Case:
    return Case(case_id, partial(with_header, hdr, sig), error, reason, verifier, doc)


def _kid_case(case_id: str, kid: Any, error: type[CognitoJwtError], reason: str, doc: str) -> Case:
    return _header_case(case_id, {"kid": kid, "alg": "RS256"}, error, reason, doc)


def _literal_case(
    claim: str, name: str, literal: str, error: type[CognitoJwtError], reason: str
) -> Case:
    return Case(
        f"{claim}-{name}",
        partial(lambda c, lit: signed_payload(payload_literal(c, lit)), claim, literal),
        error,
        reason,
        doc=f"`{claim}: {literal if len(literal) < 30 else literal[:12] + '...'}`",
    )


def _claim_case(
    case_id: str,
    changes: dict[str, Any],
    error: type[CognitoJwtError] | None,
    reason: str | None,
    doc: str,
    verifier: str = "cognito-id",
) -> Case:
    return Case(
        case_id,
        partial(lambda c: POOL.id_token(now=NOW, **c), changes),
        error,
        reason,
        verifier,
        doc,
    )


def token_with(kind: str, values: dict[str, Any]) -> str:
    """A genuine ID or access token with ``values`` set exactly (``None`` is JSON null)."""
    base = POOL.id_token(now=NOW) if kind == "id" else POOL.access_token(now=NOW)
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segs(base)[1] + "=="))
    payload.update(values)
    key, kid = (POOL.id_key, POOL.id_kid) if kind == "id" else (POOL.access_key, POOL.access_kid)
    return POOL.sign(payload, {"kid": kid, "alg": "RS256"}, key=key)


def _typed_case(
    case_id: str,
    kind: str,
    values: dict[str, Any],
    error: type[CognitoJwtError] | None,
    reason: str | None,
    verifier: str,
) -> Case:
    shown_values = ", ".join(f"{n}: {json.dumps(v)}" for n, v in values.items())
    return Case(
        case_id,
        partial(token_with, kind, values),
        error,
        reason,
        verifier,
        f"{'an ID' if kind == 'id' else 'an access'} token with `{shown_values}` ({verifier})",
    )


def _insert(text: str, at: Callable[[str], int]) -> Callable[[], str]:
    def build() -> str:
        token = valid()
        i = at(token)
        return token[:i] + text + token[i:]

    return build


def _replace_char(char: str) -> Callable[[], str]:
    def build() -> str:
        token = valid()
        return token[:40] + char + token[41:]

    return build


_NONE_ALGS = ("none", "None", "NONE", "nOnE")
_KEY_FORMS = ("pem", "pem-pkcs1", "der", "jwk", "n")
_KIDS_OF_WRONG_TYPE = (("int", 0), ("bool", True), ("list", ["k"]), ("object", {"kid": "x"}))
_KEY_POINTERS: tuple[tuple[str, Any], ...] = (
    ("jku", "http://127.0.0.1:1/jwks.json"),
    ("x5u", "http://127.0.0.1:1/cert.pem"),
    ("jwk", {"kty": "oct", "k": "c2VjcmV0"}),
    ("x5c", ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]),
)
_NOT_OBJECTS = (
    ("array", "[]"),
    ("string", '"claims"'),
    ("number", "1"),
    ("null", "null"),
    ("true", "true"),
    ("whitespace", " "),
    ("truncated", '{"iss":'),
)
_EXP_LITERALS: tuple[tuple[str, str, type[CognitoJwtError], str], ...] = (
    ("nan", "NaN", M, "invalid_json"),
    ("infinity", "Infinity", M, "invalid_json"),
    ("minus-infinity", "-Infinity", M, "invalid_json"),
    ("1e309", "1e309", C, "invalid_claim_type"),
    ("minus-1e309", "-1e309", C, "invalid_claim_type"),
    ("negative", "-1", E, "token_expired"),
    ("zero", "0", E, "token_expired"),
    ("true", "true", C, "invalid_claim_type"),
    ("false", "false", C, "invalid_claim_type"),
    ("null", "null", C, "invalid_claim_type"),
    ("list", f"[{NOW + 3600}]", C, "invalid_claim_type"),
    ("object", f'{{"$date": {NOW + 3600}}}', C, "invalid_claim_type"),
    ("string-nan", '"NaN"', C, "invalid_claim_type"),
    ("5000-digits", "9" * 5000, M, "invalid_json"),
    ("4000-digits-negative", "-" + "9" * 4000, C, "invalid_claim_type"),
    ("400-digits", "9" * 400, C, "invalid_claim_type"),
    ("400-digits-negative", "-" + "9" * 400, C, "invalid_claim_type"),
    ("309-digits-beyond-a-double", "2" + "0" * 308, C, "invalid_claim_type"),
    ("minus-largest-double-as-integer", str(-int(sys.float_info.max)), E, "token_expired"),
)
_NBF_IAT_LITERALS: tuple[tuple[str, str, type[CognitoJwtError], str], ...] = (
    ("nan", "NaN", M, "invalid_json"),
    ("1e309", "1e309", C, "invalid_claim_type"),
    ("bool", "true", C, "invalid_claim_type"),
    ("400-digits", "9" * 400, C, "invalid_claim_type"),
    ("400-digits-negative", "-" + "9" * 400, C, "invalid_claim_type"),
)
_TOKEN_USES = (
    ("upper", "ID"),
    ("title", "Id"),
    ("trailing-space", "id "),
    ("leading-space", " id"),
    ("access-upper", "ACCESS"),
    ("empty", ""),
    ("nul", "id\x00"),
)
#: Registered and Cognito claims of the wrong type, to a verifier whose rules do
#: not read them: (id, token kind, claims, error, reason).
_WRONG_TYPES: tuple[tuple[str, str, dict[str, Any], type[CognitoJwtError], str], ...] = (
    ("sub-object", "id", {"sub": {}}, C, "invalid_claim_type"),
    ("sub-null", "id", {"sub": None}, C, "invalid_claim_type"),
    ("sub-number", "access", {"sub": 1}, C, "invalid_claim_type"),
    ("jti-number", "id", {"jti": 1}, C, "invalid_claim_type"),
    ("origin-jti-list", "id", {"origin_jti": ["x"]}, C, "invalid_claim_type"),
    ("event-id-bool", "access", {"event_id": True}, C, "invalid_claim_type"),
    ("username-number", "access", {"username": 7}, C, "invalid_claim_type"),
    ("cognito-username-null", "id", {"cognito:username": None}, C, "invalid_claim_type"),
    ("scope-number", "access", {"scope": 5}, C, "invalid_claim_type"),
    ("scope-null", "access", {"scope": None}, C, "invalid_claim_type"),
    ("scope-list", "access", {"scope": ["orders/read"]}, C, "invalid_claim_type"),
    ("cognito-groups-null", "id", {"cognito:groups": None}, C, "invalid_claim_type"),
    ("cognito-groups-string", "access", {"cognito:groups": "admin"}, C, "invalid_claim_type"),
    ("auth-time-string", "id", {"auth_time": str(NOW)}, C, "invalid_claim_type"),
    ("auth-time-null", "access", {"auth_time": None}, C, "invalid_claim_type"),
    ("auth-time-400-digits", "id", {"auth_time": 10**400}, C, "invalid_claim_type"),
    ("aud-number-any-client", "id", {"aud": 5}, InvalidAudienceError, "invalid_audience"),
    ("aud-null-any-client", "id", {"aud": None}, InvalidAudienceError, "invalid_audience"),
    ("aud-empty-list-any-client", "id", {"aud": []}, InvalidAudienceError, "invalid_audience"),
    (
        "client-id-number-any-client",
        "access",
        {"client_id": 5},
        InvalidAudienceError,
        "invalid_client_id",
    ),
    ("token-use-null", "id", {"token_use": None}, InvalidTokenUseError, "invalid_token_use"),
)
#: `scope` values against a verifier requiring `orders/read` (RFC 6749 3.3).
_SCOPES: tuple[tuple[str, str, type[CognitoJwtError] | None, str | None], ...] = (
    ("single-spaces", "orders/write orders/read", None, None),
    ("tab", "orders/write\torders/read", C, "invalid_scope"),
    ("newline", "orders/write\norders/read", C, "invalid_scope"),
    ("no-break-space", "orders/write\u00a0orders/read", C, "invalid_scope"),
    ("ideographic-space", "orders/write\u3000orders/read", C, "invalid_scope"),
    ("unit-separator", "orders/write\x1forders/read", C, "invalid_scope"),
    ("double-space", "orders/write  orders/read", C, "invalid_scope"),
    ("leading-space", " orders/read", C, "invalid_scope"),
    ("trailing-space", "orders/read ", C, "invalid_scope"),
    ("quote", 'orders/read "x"', C, "invalid_scope"),
    ("backslash", "orders/read a\\b", C, "invalid_scope"),
    ("non-ascii", "orders/read caf\u00e9", C, "invalid_scope"),
    ("empty", "", MissingScopeError, "missing_scope"),
    ("other-scope-only", "orders/write", MissingScopeError, "missing_scope"),
)
_SIGNATURE_SIZES: tuple[tuple[int, type[CognitoJwtError], str], ...] = (
    (0, M, "malformed_token"),
    (1, S, "invalid_signature"),
    (255, S, "invalid_signature"),
    (257, S, "invalid_signature"),
    (512, S, "invalid_signature"),
    (4096, S, "invalid_signature"),
)
_WHITESPACE: tuple[tuple[str, str, Callable[[str], int]], ...] = (
    ("space-in-payload", " ", lambda t: len(segs(t)[0]) + 10),
    ("newline-in-signature", "\n", lambda t: len(t) - 20),
    ("crlf-at-end", "\r\n", len),
    ("tab-at-start", "\t", lambda t: 0),
    ("space-after-dot", " ", lambda t: len(segs(t)[0]) + 1),
)
_NON_ASCII = (
    ("fullwidth-a", "\uff21"),
    ("arabic-digit", "\u0663"),
    ("e-acute", "\u00e9"),
    ("zero-width-space", "\u200b"),
    ("nul", "\x00"),
    ("surrogate", "\ud800"),
)

CASES: list[Case] = [
    # --- alg "none" (RFC 8725 2.1, 3.1) ---
    *[
        _header_case(
            f"alg-{alg.lower()}-{i}-no-signature",
            {"kid": POOL.id_kid, "alg": alg},
            M,
            "malformed_token",
            f"`alg: {alg}`, empty signature segment",
            sig="",
        )
        for i, alg in enumerate(_NONE_ALGS)
    ],
    *[
        _header_case(
            f"alg-{alg.lower()}-{i}-with-signature",
            {"kid": POOL.id_kid, "alg": alg},
            U,
            "unsupported_algorithm",
            f"`alg: {alg}`, the original RS256 signature kept",
        )
        for i, alg in enumerate(_NONE_ALGS)
    ],
    _header_case(
        "alg-none-generic-verifier",
        {"kid": POOL.id_kid, "alg": "none"},
        U,
        "unsupported_algorithm",
        "`alg: none` to a JwtVerifier allowing RS/PS/ES",
        "generic-rs-ps-es",
    ),
    _header_case(
        "alg-none-no-kid",
        {"alg": "none"},
        U,
        "unsupported_algorithm",
        "`alg: none` and no `kid` at all",
    ),
    _header_case("alg-empty", {"kid": POOL.id_kid, "alg": ""}, M, "invalid_header", '`alg: ""`'),
    _header_case("alg-null", {"kid": POOL.id_kid, "alg": None}, M, "invalid_header", "`alg: null`"),
    _header_case("alg-missing", {"kid": POOL.id_kid}, M, "invalid_header", "no `alg`"),
    _header_case(
        "alg-list", {"kid": POOL.id_kid, "alg": ["RS256"]}, M, "invalid_header", '`alg: ["RS256"]`'
    ),
    _header_case(
        "alg-lowercase",
        {"kid": POOL.id_kid, "alg": "rs256"},
        U,
        "unsupported_algorithm",
        "`alg: rs256`",
    ),
    _header_case(
        "alg-trailing-space",
        {"kid": POOL.id_kid, "alg": "RS256 "},
        U,
        "unsupported_algorithm",
        '`alg: "RS256 "`',
    ),
    # --- HMAC keyed with the public key (RFC 8725 2.1, 3.1) ---
    *[
        Case(
            f"{alg.lower()}-keyed-with-{form}-{verifier}",
            partial(hmac_token, alg, public_key_bytes(form)),
            U,
            "unsupported_algorithm",
            verifier,
            f"{alg}, HMAC key = the public key's {form.upper()} bytes ({verifier})",
        )
        for alg in ("HS256", "HS384", "HS512")
        for form in _KEY_FORMS
        for verifier in ("cognito-id", "generic-rs-ps-es")
    ],
    # --- swaps between asymmetric families ---
    Case(
        "ps256-by-the-rsa-key-cognito",
        pss_token,
        U,
        "unsupported_algorithm",
        doc="a genuine PS256 signature by the pool's RSA key; Cognito allows RS256 only",
    ),
    Case(
        "ps256-by-the-rsa-key-generic",
        pss_token,
        U,
        "key_algorithm_mismatch",
        "generic-rs-ps-es",
        "the same, to a verifier allowing PS256: the JWK says `alg: RS256`",
    ),
    Case(
        "es256-attacker-key-real-kid",
        partial(es256_token, POOL.id_kid),
        U,
        "key_algorithm_mismatch",
        "generic-rs-ps-es",
        "ES256 by an attacker's EC key under the RSA key's `kid`",
    ),
    Case(
        "es256-attacker-key-cognito",
        partial(es256_token, POOL.id_kid),
        U,
        "unsupported_algorithm",
        doc="the same, to a Cognito verifier",
    ),
    Case(
        "es256-by-the-published-ec-key",
        partial(es256_token, EC_KID, PUBLISHED_EC),
        None,
        None,
        "generic-with-ec",
        "a genuine ES256 token by a published EC key (the control: accepted)",
    ),
    Case(
        "rs256-header-under-an-ec-kid",
        rs256_under_ec_kid,
        U,
        "key_algorithm_mismatch",
        "generic-with-ec",
        "a genuine RS256 signature naming the EC key's `kid`",
    ),
    Case(
        "es256-attacker-key-under-ec-kid",
        partial(es256_token, EC_KID),
        S,
        "invalid_signature",
        "generic-with-ec",
        "ES256 by an attacker's EC key under the published EC key's `kid`",
    ),
    _header_case(
        "rs384-header-rs256-signature",
        {"kid": POOL.id_kid, "alg": "RS384"},
        U,
        "unsupported_algorithm",
        "`alg: RS384` over an RS256 signature",
    ),
    Case(
        "rs256-header-ecdsa-sized-signature",
        partial(with_signature, b"\x01" * 64),
        S,
        "invalid_signature",
        doc="`alg: RS256` with a 64-byte (ES256-sized) signature",
    ),
    # --- kid injection (OWASP: kid as a path, SQL, a command) ---
    _kid_case(
        "kid-path-traversal",
        "../../../../../../etc/passwd",
        K,
        "unknown_kid",
        "`kid: ../../../../../../etc/passwd` (only ever a dict key)",
    ),
    _kid_case("kid-dev-null", "/dev/null", K, "unknown_kid", "`kid: /dev/null`"),
    _kid_case("kid-url", "http://127.0.0.1:1/key.pem", K, "unknown_kid", "`kid` is a URL"),
    _kid_case(
        "kid-sql",
        "x' UNION SELECT 'secret' --",
        M,
        "invalid_kid",
        "`kid: x' UNION SELECT 'secret' --`",
    ),
    _kid_case("kid-shell", "key;cat /etc/passwd", M, "invalid_kid", "`kid: key;cat /etc/passwd`"),
    _kid_case("kid-nul", POOL.id_kid + "\x00", M, "invalid_kid", "the real `kid` followed by NUL"),
    _kid_case(
        "kid-newline",
        POOL.id_kid + "\n",
        M,
        "invalid_kid",
        "the real `kid` followed by a newline (log injection)",
    ),
    _kid_case("kid-10kb", "A" * 10240, M, "invalid_kid", "`kid` of 10 KB"),
    _kid_case("kid-empty", "", M, "invalid_kid", '`kid: ""`'),
    _kid_case("kid-null", None, M, "missing_kid", "`kid: null`"),
    _header_case("kid-missing", {"alg": "RS256"}, M, "missing_kid", "no `kid`"),
    *[
        _kid_case(f"kid-{name}", value, M, "invalid_kid", f"`kid: {json.dumps(value)}`")
        for name, value in _KIDS_OF_WRONG_TYPE
    ],
    _kid_case(
        "kid-of-the-access-key",
        POOL.access_kid,
        S,
        "invalid_signature",
        "the other published key's `kid` over an ID-key signature",
    ),
    # --- headers that point at keys (RFC 8725 3.10): never read ---
    *[
        Case(
            f"header-{name}-ignored",
            partial(lambda n, v: signed_header({**header(), n: v}), name, value),
            None,
            None,
            doc=f"a genuine token that also carries `{name}`: the header is ignored",
        )
        for name, value in _KEY_POINTERS
    ],
    # --- crit (RFC 7515 4.1.11), typ ---
    Case(
        "crit-unknown",
        lambda: signed_header({**header(), "crit": ["exp"], "exp": 1}),
        M,
        "unsupported_crit",
        doc='`crit: ["exp"]`',
    ),
    Case(
        "crit-b64-false",
        lambda: signed_header({**header(), "b64": False, "crit": ["b64"]}),
        M,
        "unsupported_crit",
        doc='RFC 7797 unencoded payload (`b64: false`, `crit: ["b64"]`)',
    ),
    Case(
        "crit-empty",
        lambda: signed_header({**header(), "crit": []}),
        M,
        "unsupported_crit",
        doc="`crit: []`",
    ),
    Case(
        "typ-jwe",
        lambda: signed_header({**header(), "typ": "JWE"}),
        M,
        "invalid_header",
        doc="`typ: JWE`",
    ),
    # --- duplicate member names (RFC 7515 4, RFC 8259 4): rejected, signed or not ---
    Case(
        "dup-alg-none-first",
        lambda: signed_raw_header(f'{{"alg":"none","kid":"{POOL.id_kid}","alg":"RS256"}}'),
        M,
        "duplicate_member",
        doc='header `{"alg":"none", ..., "alg":"RS256"}`, correctly signed',
    ),
    Case(
        "dup-alg-rs256-first",
        lambda: signed_raw_header(f'{{"alg":"RS256","kid":"{POOL.id_kid}","alg":"none"}}'),
        M,
        "duplicate_member",
        doc='header `{"alg":"RS256", ..., "alg":"none"}`, correctly signed',
    ),
    Case(
        "dup-alg-escaped-name",
        lambda: signed_raw_header(f'{{"alg":"RS256","kid":"{POOL.id_kid}","\\u0061lg":"HS256"}}'),
        M,
        "duplicate_member",
        doc='header with `"alg"` and `"\\u0061lg"` (the same name, escaped)',
    ),
    Case(
        "dup-kid",
        lambda: signed_raw_header(
            f'{{"alg":"RS256","kid":"{POOL.access_kid}","kid":"{POOL.id_kid}"}}'
        ),
        M,
        "duplicate_member",
        doc="header with two `kid`s (the access key's, then the ID key's)",
    ),
    Case(
        "dup-iss",
        lambda: signed_payload(payload_json()[:-1] + ', "iss": "https://evil.example.com"}'),
        M,
        "duplicate_member",
        doc="payload with a second `iss`",
    ),
    Case(
        "dup-exp",
        lambda: signed_payload(payload_json()[:-1] + f', "exp": {NOW - 3600}}}'),
        M,
        "duplicate_member",
        doc="payload with a second, expired `exp`",
    ),
    Case(
        "dup-exp-future-last",
        lambda: signed_payload(payload_json(exp=NOW - 3600)[:-1] + f', "exp": {NOW + 3600}}}'),
        M,
        "duplicate_member",
        doc="payload with an expired `exp`, then a future one",
    ),
    Case(
        "dup-nested",
        lambda: signed_payload(payload_json()[:-1] + ', "identities": [{"a": 1, "a": 2}]}'),
        M,
        "duplicate_member",
        doc="a duplicate inside a nested object",
    ),
    # --- not a JSON object ---
    *[
        Case(
            f"payload-{name}",
            partial(signed_payload, raw),
            M,
            "invalid_json",
            doc=f"payload `{raw}`, correctly signed",
        )
        for name, raw in _NOT_OBJECTS
    ],
    Case(
        "payload-empty",
        partial(signed_payload, ""),
        M,
        "malformed_token",
        doc="an empty payload segment, correctly signed",
    ),
    Case(
        "payload-not-utf8",
        partial(signed_payload, b'{"iss":"\xff\xfe"}'),
        M,
        "invalid_json",
        doc="payload bytes that are not UTF-8",
    ),
    Case(
        "payload-bom",
        lambda: signed_payload(b"\xef\xbb\xbf" + payload_json().encode()),
        M,
        "invalid_json",
        doc="payload with a UTF-8 byte-order mark",
    ),
    Case(
        "payload-deep-nesting",
        partial(signed_payload, '{"a":' + "[" * 10**5 + "]" * 10**5 + "}"),
        M,
        "token_too_large",
        doc="100,000 nested arrays (too large before it is too deep)",
    ),
    Case(
        "payload-nesting-3000",
        partial(signed_payload, '{"a":' + "[" * 3000 + "]" * 3000 + "}"),
        M,
        "invalid_json",
        doc="3,000 nested arrays (past the recursion limit), correctly signed",
    ),
    Case("header-array", partial(signed_raw_header, "[]"), M, "invalid_json", doc="header `[]`"),
    # --- time claims of the wrong type (RFC 7519 2, NumericDate) ---
    _claim_case(
        "exp-as-string",
        {"exp": str(NOW + 3600)},
        C,
        "invalid_claim_type",
        "`exp` as a string of digits",
    ),
    _claim_case(
        "nbf-as-string",
        {"nbf": str(NOW - 60)},
        C,
        "invalid_claim_type",
        "`nbf` as a string of digits",
    ),
    _claim_case(
        "exp-as-date-string",
        {"exp": "2027-01-15T08:00:00Z"},
        C,
        "invalid_claim_type",
        "`exp` as an ISO 8601 date string",
    ),
    _claim_case(
        "iat-as-string",
        {"iat": str(NOW - 60)},
        C,
        "invalid_claim_type",
        "`iat` as a string of digits",
    ),
    *[_literal_case("exp", name, lit, error, reason) for name, lit, error, reason in _EXP_LITERALS],
    *[
        _literal_case(claim, name, lit, error, reason)
        for claim in ("nbf", "iat")
        for name, lit, error, reason in _NBF_IAT_LITERALS
    ],
    _claim_case(
        "exp-missing",
        {"exp": None},
        MissingClaimError,
        "missing_exp",
        "no `exp`: a token that never expires",
    ),
    _claim_case(
        "nbf-future",
        {"nbf": NOW + 3600},
        TokenNotYetValidError,
        "token_not_yet_valid",
        "`nbf` an hour ahead",
    ),
    Case(
        "iat-future",
        lambda: POOL.id_token(now=NOW + 3600),
        TokenNotYetValidError,
        "issued_in_future",
        doc="`iat` an hour ahead",
    ),
    # --- strings given as numbers, and other types ---
    Case(
        "iss-number",
        lambda: signed_payload(payload_json(iss=1)),
        InvalidIssuerError,
        "invalid_issuer",
        doc="`iss: 1`",
    ),
    Case(
        "iss-list",
        lambda: signed_payload(payload_json(iss=[POOL.issuer])),
        InvalidIssuerError,
        "invalid_issuer",
        doc="`iss: [<the right issuer>]`",
    ),
    _claim_case(
        "iss-trailing-slash",
        {"iss": POOL.issuer + "/"},
        InvalidIssuerError,
        "invalid_issuer",
        "the right issuer plus `/`",
    ),
    _claim_case(
        "iss-other-pool-prefix",
        {"iss": POOL.issuer + "x"},
        InvalidIssuerError,
        "invalid_issuer",
        "the right issuer as a prefix of another pool's",
    ),
    _claim_case(
        "aud-number", {"aud": 12345}, InvalidAudienceError, "invalid_audience", "`aud: 12345`"
    ),
    _claim_case(
        "token-use-number",
        {"token_use": 1},
        InvalidTokenUseError,
        "invalid_token_use",
        "`token_use: 1`",
    ),
    # Found by the fuzz session: an unhashable token_use raised TypeError.
    *[
        _claim_case(
            f"token-use-{name}",
            {"token_use": value},
            InvalidTokenUseError,
            "invalid_token_use",
            f"`token_use: {json.dumps(value)}` (a fuzzing find: once a TypeError)",
        )
        for name, value in (("list", []), ("object", {"id": True}), ("list-of-id", ["id"]))
    ],
    # --- registered and Cognito claims of the wrong type, read by no rule ---
    *[
        _typed_case(f"type-{name}", kind, values, error, reason, "cognito-any-client")
        for name, kind, values, error, reason in _WRONG_TYPES
    ],
    _typed_case(
        "type-scope-number-to-any-access-verifier",
        "access",
        {"scope": 5},
        C,
        "invalid_claim_type",
        "cognito-access",
    ),
    _typed_case("type-sub-object-generic", "id", {"sub": {}}, C, "invalid_claim_type", "generic"),
    _typed_case("type-username-number-generic", "id", {"username": 7}, None, None, "generic"),
    # --- scope split on single spaces only (RFC 6749 3.3) ---
    *[
        _typed_case(
            f"scope-{name}", "access", {"scope": value}, error, reason, "cognito-access-orders-read"
        )
        for name, value, error, reason in _SCOPES
    ],
    _typed_case(
        "scope-tab-without-a-scope-rule",
        "access",
        {"scope": "orders/write\torders/read"},
        C,
        "invalid_scope",
        "cognito-access",
    ),
    # --- aud as a list (RFC 7519 4.1.3) ---
    _claim_case(
        "aud-list-with-client-cognito",
        {"aud": [POOL.client_id]},
        InvalidAudienceError,
        "invalid_audience",
        "`aud: [client]`: Cognito never sends a list",
    ),
    _claim_case(
        "aud-list-with-others-cognito",
        {"aud": [OTHER_CLIENT, POOL.client_id]},
        InvalidAudienceError,
        "invalid_audience",
        "`aud: [other, client]` (Cognito)",
    ),
    _claim_case(
        "aud-list-with-client-generic",
        {"aud": [OTHER_CLIENT, POOL.client_id]},
        None,
        None,
        "`aud: [other, client]` (JwtVerifier: accepted)",
        "generic",
    ),
    _claim_case(
        "aud-list-without-client-generic",
        {"aud": [OTHER_CLIENT]},
        InvalidAudienceError,
        "invalid_audience",
        "`aud: [other]` (JwtVerifier)",
        "generic",
    ),
    _claim_case(
        "aud-list-empty-generic",
        {"aud": []},
        InvalidAudienceError,
        "invalid_audience",
        "`aud: []` (JwtVerifier)",
        "generic",
    ),
    _claim_case(
        "aud-list-non-string-generic",
        {"aud": [POOL.client_id, 1]},
        InvalidAudienceError,
        "invalid_audience",
        "`aud: [client, 1]` (JwtVerifier)",
        "generic",
    ),
    _claim_case(
        "aud-list-nested-generic",
        {"aud": [[POOL.client_id]]},
        InvalidAudienceError,
        "invalid_audience",
        "`aud: [[client]]` (JwtVerifier)",
        "generic",
    ),
    _claim_case(
        "aud-prefix",
        {"aud": POOL.client_id[:-1]},
        InvalidAudienceError,
        "invalid_audience",
        "`aud` a prefix of the client id",
    ),
    _claim_case("aud-missing", {"aud": None}, MissingClaimError, "missing_aud", "no `aud`"),
    # --- token_use ---
    *[
        _claim_case(
            f"token-use-{name}",
            {"token_use": value},
            InvalidTokenUseError,
            "invalid_token_use",
            f"`token_use: {json.dumps(value)}`",
        )
        for name, value in _TOKEN_USES
    ],
    Case(
        "token-use-access-to-id-verifier",
        lambda: POOL.access_token(now=NOW),
        InvalidTokenUseError,
        "wrong_token_use",
        doc="an access token where an ID token is required",
    ),
    Case(
        "token-use-id-to-access-verifier",
        valid,
        InvalidTokenUseError,
        "wrong_token_use",
        "cognito-access",
        "an ID token where an access token is required",
    ),
    # --- signature length and base64url spelling ---
    *[
        Case(
            f"signature-{n}-bytes",
            partial(with_signature, b"\x00" * n),
            error,
            reason,
            doc=f"a signature of {n} bytes",
        )
        for n, error, reason in _SIGNATURE_SIZES
    ],
    Case(
        "signature-leading-zero",
        lambda: with_signature(b"\x00" + real_signature()),
        S,
        "invalid_signature",
        doc="the real signature with a zero byte prepended",
    ),
    Case(
        "signature-truncated-byte",
        lambda: with_signature(real_signature()[:-1]),
        S,
        "invalid_signature",
        doc="the real signature minus its last byte",
    ),
    Case(
        "signature-of-other-token",
        other_tokens_signature,
        S,
        "invalid_signature",
        doc="a valid signature of another token",
    ),
    Case(
        "signature-noncanonical-b64",
        partial(swap_segment, 2, noncanonical_last_char),
        M,
        "invalid_base64url",
        doc="the real signature, last character with non-zero unused bits",
    ),
    Case(
        "signature-padded",
        partial(swap_segment, 2, lambda s: s + "=="),
        M,
        "invalid_base64url",
        doc="the real signature with `==` padding",
    ),
    Case(
        "header-padded",
        partial(swap_segment, 0, lambda s: s + "="),
        M,
        "invalid_base64url",
        doc="the header with `=` padding",
    ),
    Case(
        "signature-std-alphabet",
        std_alphabet_signature,
        M,
        "invalid_base64url",
        doc="a signature spelled in standard base64 (`+`, `/`)",
    ),
    *[
        Case(
            f"whitespace-{name}",
            _insert(ws, at),
            M,
            "invalid_base64url",
            doc=f"`{json.dumps(ws)}` inserted ({name})",
        )
        for name, ws, at in _WHITESPACE
    ],
    *[
        Case(
            f"non-ascii-{name}",
            _replace_char(char),
            M,
            "invalid_base64url",
            doc=f"one character replaced by U+{ord(char):04X}",
        )
        for name, char in _NON_ASCII
    ],
    # --- shape and size ---
    Case(
        "two-segments",
        lambda: ".".join(segs(valid())[:2]),
        M,
        "malformed_token",
        doc="`header.payload`",
    ),
    Case("four-segments", lambda: valid() + ".AAAA", M, "malformed_token", doc="four segments"),
    Case(
        "jwe-five-segments",
        lambda: "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d",
        M,
        "malformed_token",
        doc="a JWE-shaped token (5 segments)",
    ),
    Case("empty-token", lambda: "", M, "malformed_token", doc="the empty string"),
    Case("dots-only", lambda: "..", M, "malformed_token", doc="`..`"),
    Case(
        "bearer-prefix",
        lambda: "Bearer " + valid(),
        M,
        "bearer_prefix",
        doc="the whole `Authorization` value",
    ),
    Case(
        "token-1mb",
        lambda: valid() + "A" * (1024 * 1024),
        M,
        "token_too_large",
        doc="a 1 MB token (rejected before decoding)",
    ),
    Case(
        "token-1mb-claims",
        lambda: POOL.id_token(now=NOW, padding="x" * (1024 * 1024)),
        M,
        "token_too_large",
        doc="a correctly signed token with a 1 MB claim",
    ),
    Case(
        "token-16kb-plus-1",
        lambda: "A" * (16 * 1024 + 1),
        M,
        "token_too_large",
        doc="one character over the 16 KB cap",
    ),
    Case(
        "payload-of-other-pool",
        other_pools_forgery,
        K,
        "unknown_kid",
        doc="another pool's key signing this pool's issuer and client",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_attack(case: Case) -> None:
    token = case.build()
    verifier = VERIFIERS[case.verifier]()
    if case.error is None:
        assert verifier.verify(token)["iss"] == POOL.issuer
        return
    with pytest.raises(CognitoJwtError) as info:
        verifier.verify(token)
    assert type(info.value) is case.error, info.value
    assert info.value.reason == case.reason, info.value
    # Never leak the token, or any large chunk of it, into the message.
    if len(token) > 16:
        assert token not in info.value.message
    assert len(info.value.message) < 400, info.value.message


@pytest.mark.parametrize(
    ("kind", "values", "reason"),
    [(kind, values, reason) for _, kind, values, _, reason in _WRONG_TYPES],
    ids=[name for name, *_ in _WRONG_TYPES],
)
def test_wrong_types_are_refused_on_every_path(
    kind: str, values: dict[str, Any], reason: str
) -> None:
    """Sync, async, again after a first refusal, and from a warm verified-token cache."""
    import asyncio

    token = token_with(kind, values)
    verifier = cognito_any_client()
    warm = token_with(kind, {})
    assert verifier.verify(warm)  # the cache is in use: a genuine token is remembered
    assert verifier.verify(warm)
    calls: list[Callable[[], object]] = [
        lambda: verifier.verify(token),
        lambda: asyncio.run(verifier.verify_async(token)),
        lambda: verifier.verify(token),
    ]
    for call in calls:
        with pytest.raises(CognitoJwtError) as info:
            call()
        assert info.value.reason == reason
        assert info.value.status_code == 401


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


def test_every_case_is_documented() -> None:
    """docs/security.md lists every row of this table, with the same outcome."""
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r"^\| `([a-z0-9-]+)` \| .* \| ([^|]+) \|$", text, re.MULTILINE)
    }
    missing = [c.id for c in CASES if c.id not in rows]
    assert missing == [], f"attack cases missing from docs/security.md: {missing}"
    for case in CASES:
        expected = "accepted" if case.error is None else f"`{case.error.__name__}` `{case.reason}`"
        assert rows[case.id].strip() == expected, case.id


def markdown_table() -> str:
    """The rows of the attack table in docs/security.md.

    Regenerate with ``cd tests && python -c 'import test_attacks as t; print(t.markdown_table())'``.
    """
    lines = ["| case | token | outcome |", "|---|---|---|"]
    for case in CASES:
        outcome = "accepted" if case.error is None else f"`{case.error.__name__}` `{case.reason}`"
        doc = case.doc.replace("|", "\\|")
        lines.append(f"| `{case.id}` | {doc} | {outcome} |")
    return "\n".join(lines)


# -- every claim changed, one at a time ---------------------------------------------------


@pytest.mark.parametrize("kind", ["id", "access"])
def test_every_claim_changed_one_at_a_time_fails_the_signature(kind: str) -> None:
    token = (
        POOL.id_token(now=NOW, groups=["admin"])
        if kind == "id"
        else POOL.access_token(now=NOW, groups=["admin"], scopes=["read", "write"])
    )
    verifier = POOL.verifier(token_use=kind, clock=clock)
    assert verifier.verify(token)
    h, p, s = segs(token)
    original: dict[str, Any] = json.loads(base64.urlsafe_b64decode(p + "=="))
    tried = 0
    for name, value in original.items():
        # ``iss`` is read before the signature, but only to pick among the
        # configured issuers: a changed one matches none and fails as such.
        error: type[CognitoJwtError] = (
            InvalidIssuerError if name == "iss" else InvalidSignatureError
        )
        for changed in _alternatives(value):
            forged = dict(original, **{name: changed})
            with pytest.raises(error) as info:
                verifier.verify(f"{h}.{enc(forged)}.{s}")
            assert type(info.value) is error
            tried += 1
        removed = {k: v for k, v in original.items() if k != name}
        with pytest.raises(MissingClaimError if name == "iss" else InvalidSignatureError):
            verifier.verify(f"{h}.{enc(removed)}.{s}")
        tried += 1
    # The pool's *other* accepted issuer form routes fine, and then fails the signature.
    other_form = dict(original, iss=original["iss"].replace("cognito-idp", "issuer-cognito-idp"))
    with pytest.raises(InvalidSignatureError):
        verifier.verify(f"{h}.{enc(other_form)}.{s}")
    added = dict(original, admin=True)
    with pytest.raises(InvalidSignatureError):
        verifier.verify(f"{h}.{enc(added)}.{s}")
    # The same claims, re-serialised differently (key order, spacing): the
    # signature covers bytes, not meaning.
    reordered = b64url(json.dumps(dict(reversed(list(original.items())))).encode())
    with pytest.raises(InvalidSignatureError):
        verifier.verify(f"{h}.{reordered}.{s}")
    assert tried >= 3 * len(original)


def _alternatives(value: Any) -> list[Any]:
    if isinstance(value, bool):
        return [not value, str(value).lower()]
    if isinstance(value, int):
        return [value + 1, value - 1, str(value)]
    if isinstance(value, str):
        return [value + "x", value[:-1], value.upper() if value.upper() != value else value.lower()]
    if isinstance(value, list):
        return [[*value, "admin2"], value[:-1], []]
    return [None, "x"]


# -- headers pointing elsewhere are never fetched ----------------------------------------------


def test_key_url_headers_are_never_fetched() -> None:
    """jku / x5u / jwk / x5c naming an attacker's server: ignored, zero requests there.

    The verifier fetches from the legitimate JWKS server (counted too), so "the
    attacker's server got nothing" is not because nothing fetches at all.
    """
    attacker = FakeCognitoPool("us-east-1_Attacker01")
    with POOL.serve_jwks() as legit, attacker.serve_jwks() as evil:
        verifier = POOL.verifier(
            token_use="id",
            clock=clock,
            jwks_uri=legit.url,
            allow_http=True,
            jwks_cache=JwksCache(cooldown=0),
        )
        attacker_jwk = next(k for k in attacker.jwks["keys"] if k["kid"] == attacker.id_kid)
        pointers: dict[str, Any] = {
            "jku": evil.url,
            "x5u": evil.url,
            "jwk": attacker_jwk,
            "x5c": [base64.b64encode(b"not a certificate").decode()],
        }
        for name, value in pointers.items():
            forged_own_kid = attacker.sign(
                claims(), {"kid": attacker.id_kid, "alg": "RS256", name: value}, key=attacker.id_key
            )
            forged_real_kid = attacker.sign(
                claims(), {"kid": POOL.id_kid, "alg": "RS256", name: value}, key=attacker.id_key
            )
            genuine = POOL.sign(claims(), {**header(), name: value})
            with pytest.raises(UnknownKeyError):
                verifier.verify(forged_own_kid)
            with pytest.raises(InvalidSignatureError):
                verifier.verify(forged_real_kid)
            assert verifier.verify(genuine)["iss"] == POOL.issuer
        assert evil.request_count == 0
        # One initial fetch plus one refetch per attacker kid (cooldown 0): all legit.
        assert 1 <= legit.request_count <= 1 + len(pointers)
