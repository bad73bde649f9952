"""Property-based tests: no mutation, truncation or splice of a valid token is accepted,
and nothing a token contains makes ``verify`` raise anything but a ``CognitoJwtError``.

The normal suite runs a small, derandomised number of examples per property
(fast, reproducible).  ``nox -s fuzz`` runs the same properties with
``COGNITO_JWT_FUZZ_EXAMPLES`` examples each (random seeds), bounded by that
count; properties that sign every example (RSA signing costs ~1 ms) run a
tenth of it.

The oracle for "accepted" is independent of the library: a token may only be
accepted if it is byte-for-byte one of the valid tokens we minted, or (for the
properties that sign arbitrary JSON themselves) if its claims satisfy the
verifier's rules as restated here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import sys
from typing import Any

from fixed_time import NOW, clock
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cognito_jwt import (
    CognitoJwtError,
    InvalidTokenError,
    JwtVerifier,
    MalformedTokenError,
    MultiIssuerVerifier,
    decode_unverified,
    strip_bearer,
)
from cognito_jwt._token import b64url_decode
from cognito_jwt.testing import FakeCognitoPool, b64url

FUZZ_EXAMPLES = int(os.environ.get("COGNITO_JWT_FUZZ_EXAMPLES", "0"))
FUZZING = FUZZ_EXAMPLES > 0


def budget(normal: int, *, signing: bool = False) -> settings:
    """Examples for one property: ``normal`` in the suite, the fuzz budget under nox -s fuzz."""
    examples = max(FUZZ_EXAMPLES // 10, normal) if signing else FUZZ_EXAMPLES
    return settings(
        max_examples=examples if FUZZING else normal,
        deadline=None,
        derandomize=not FUZZING,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


POOL = FakeCognitoPool("us-east-1_Property01", "propclient0123456789abcdef")
OTHER = FakeCognitoPool("us-east-1_Property02", "otherprop0123456789abcdef")

VALID: list[str] = [
    POOL.id_token(now=NOW),
    POOL.id_token(now=NOW, groups=["admin", "ops"], email="eve@example.com"),
    POOL.access_token(now=NOW, scopes=["read", "write"]),
    POOL.access_token(now=NOW - 60, groups=["g"]),
]
FOREIGN: list[str] = [
    OTHER.id_token(now=NOW),
    OTHER.access_token(now=NOW),
    OTHER.id_token(now=NOW, iss=POOL.issuer, aud=POOL.client_id),  # wrong key for POOL
]
ALL_TOKENS = VALID + FOREIGN

COGNITO = POOL.verifier(token_use=None, clock=clock)
GENERIC = JwtVerifier(
    issuer=POOL.issuer,
    audience=POOL.client_id,
    jwks=POOL.jwks,
    algorithms=("RS256", "PS256", "ES256"),
    clock=clock,
)
MULTI = MultiIssuerVerifier([COGNITO, OTHER.verifier(token_use=None, clock=clock)])
ACCEPTED_BY_MULTI = set(VALID) | set(FOREIGN[:2])

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Characters worth trying in a token: its own alphabet most of all, then the
# separators and spellings a lax decoder might accept, then anything at all.
TOKEN_CHARS = st.one_of(
    st.sampled_from(B64URL),
    st.sampled_from(".=+/ \t\r\n\x00%\\\"'"),
    st.characters(codec="utf-8"),
    st.characters(),
)


def test_the_valid_tokens_are_valid() -> None:
    for token in VALID:
        assert COGNITO.verify(token)["iss"] == POOL.issuer
        assert MULTI.verify(token)
    for token in FOREIGN[:2]:
        assert MULTI.verify(token)["iss"] == OTHER.issuer


def check(token: Any, accepted: set[str] | None = None) -> None:
    """``token`` is rejected with an ``InvalidTokenError``, unless it is a known valid token.

    Every verifier kind sees it; anything but a ``CognitoJwtError`` fails the test.
    """
    expect_ok = set(VALID) if accepted is None else accepted
    for verifier, ok in ((COGNITO, expect_ok), (GENERIC, set()), (MULTI, ACCEPTED_BY_MULTI)):
        try:
            claims = verifier.verify(token)
        except InvalidTokenError:
            continue
        if verifier is GENERIC and token in VALID and claims.get("aud") == POOL.client_id:
            continue  # an ID token is a fine generic JWT: aud is the client
        assert token in ok, f"accepted a token it should not have: {token!r:.200}"


# -- mutations, truncations, splices -----------------------------------------------------------


@budget(300)
@given(
    token=st.sampled_from(ALL_TOKENS),
    edits=st.lists(st.tuples(st.integers(min_value=0), TOKEN_CHARS), min_size=1, max_size=4),
)
def test_character_substitutions_are_rejected(token: str, edits: list[tuple[int, str]]) -> None:
    chars = list(token)
    for position, char in edits:
        chars[position % len(chars)] = char
    mutated = "".join(chars)
    assume(mutated != token)
    check(mutated)


@budget(200)
@given(
    token=st.sampled_from(ALL_TOKENS),
    position=st.integers(min_value=0),
    inserted=st.text(TOKEN_CHARS, min_size=1, max_size=8),
    deleted=st.integers(min_value=0, max_value=8),
)
def test_insertions_and_deletions_are_rejected(
    token: str, position: int, inserted: str, deleted: int
) -> None:
    i = position % (len(token) + 1)
    for mutated in (token[:i] + inserted + token[i:], token[:i] + token[i + deleted :]):
        if mutated not in ALL_TOKENS:
            check(mutated)


@budget(200)
@given(token=st.sampled_from(ALL_TOKENS), cut=st.integers(min_value=0), suffix=st.booleans())
def test_truncations_are_rejected(token: str, cut: int, suffix: bool) -> None:
    n = cut % len(token)
    check(token[n + 1 :] if suffix else token[:n])


@budget(200)
@given(
    parts=st.tuples(*(st.sampled_from(ALL_TOKENS) for _ in range(3))),
    which=st.tuples(*(st.integers(min_value=0, max_value=2) for _ in range(3))),
)
def test_segment_splices_are_rejected(parts: tuple[str, str, str], which: tuple[int, ...]) -> None:
    spliced = ".".join(parts[i].split(".")[which[i]] for i in range(3))
    check(spliced)  # accepted only if the splice rebuilt one of the valid tokens exactly


@budget(200)
@given(
    a=st.sampled_from(ALL_TOKENS),
    b=st.sampled_from(ALL_TOKENS),
    i=st.integers(min_value=0),
    j=st.integers(min_value=0),
)
def test_string_splices_are_rejected(a: str, b: str, i: int, j: int) -> None:
    check(a[: i % len(a)] + b[j % len(b) :])


@budget(200)
@given(token=st.sampled_from(VALID), flips=st.sets(st.integers(min_value=0), min_size=1))
def test_flipped_bits_in_any_segment_are_rejected(token: str, flips: set[int]) -> None:
    """Decode a segment, flip bits, re-encode canonically: well-formed, wrongly signed."""
    segments = token.split(".")
    index = min(flips) % 3
    raw = bytearray(b64url_decode(segments[index], "segment"))
    for bit in flips:
        raw[(bit // 8) % len(raw)] ^= 1 << (bit % 8)
    segments[index] = b64url(bytes(raw))
    mutated = ".".join(segments)
    assume(mutated != token)
    check(mutated)


@budget(200)
@given(text=st.one_of(st.text(TOKEN_CHARS, max_size=300), st.text(max_size=300)))
def test_arbitrary_text_is_rejected(text: str) -> None:
    check(text)
    with contextlib.suppress(MalformedTokenError):
        decode_unverified(text)
    with contextlib.suppress(MalformedTokenError):
        strip_bearer(text)


@budget(100)
@given(value=st.one_of(st.none(), st.integers(), st.binary(), st.lists(st.text(max_size=3))))
def test_non_string_tokens_are_rejected(value: Any) -> None:
    check(value)


# -- correctly signed, arbitrary content --------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Values near the boundary a real check makes, for the claims that matter.
TIME_VALUES = st.one_of(
    st.integers(min_value=NOW - 10, max_value=NOW + 10),
    st.floats(min_value=NOW - 10, max_value=NOW + 10),
    JSON_VALUES,
)
CLAIM_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "iss": st.one_of(st.sampled_from([POOL.issuer, POOL.issuer + "/", OTHER.issuer]), JSON_VALUES),
    "token_use": st.one_of(st.sampled_from(["id", "access", "ID", "id "]), JSON_VALUES),
    "aud": st.one_of(
        st.sampled_from([POOL.client_id, OTHER.client_id, [POOL.client_id]]), JSON_VALUES
    ),
    "client_id": st.one_of(st.sampled_from([POOL.client_id, OTHER.client_id]), JSON_VALUES),
    "exp": TIME_VALUES,
    "nbf": TIME_VALUES,
    "iat": TIME_VALUES,
    "cognito:groups": st.one_of(st.sampled_from([[], ["admin"], ["a", "b"]]), JSON_VALUES),
    "scope": st.one_of(
        st.sampled_from(["", "a", "a b", "a\tb", "a  b", " a", "a\u00a0b", 'a"b', "r/w x"]),
        JSON_VALUES,
    ),
    "auth_time": TIME_VALUES,
}
CLAIMS = st.fixed_dictionaries(
    {},
    optional={
        **CLAIM_STRATEGIES,
        "sub": JSON_VALUES,
        "jti": JSON_VALUES,
        "username": JSON_VALUES,
        "extra": JSON_VALUES,
    },
)


def _number(value: Any) -> float | int | None:
    if type(value) is int and abs(value) <= sys.float_info.max:
        return value
    if type(value) is float and math.isfinite(value):
        return value
    return None


#: RFC 6749 3.3's scope-token characters, restated.
_SCOPE_CHARS = {chr(c) for c in range(0x21, 0x7F)} - {'"', "\\"}


def _types_hold(claims: dict[str, Any]) -> bool:
    """Registered and Cognito claims, when present, have their types."""
    for name in ("sub", "jti", "client_id", "token_use", "username"):
        if name in claims and not isinstance(claims[name], str):
            return False
    aud = claims.get("aud", "")
    if not isinstance(aud, str) and not (
        isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud)
    ):
        return False
    if "auth_time" in claims and _number(claims["auth_time"]) is None:
        return False
    groups = claims.get("cognito:groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        return False
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        return False
    return scope == "" or all(token and set(token) <= _SCOPE_CHARS for token in scope.split(" "))


def cognito_rules_hold(claims: dict[str, Any]) -> bool:
    """The Cognito verifier's rules, restated independently (token_use=None, one client)."""
    exp, nbf, iat = (_number(claims.get(n)) for n in ("exp", "nbf", "iat"))
    if exp is None or exp <= NOW:
        return False
    for name, value in (("nbf", nbf), ("iat", iat)):
        if name in claims and (value is None or value > NOW + 60):  # iat_nbf_leeway
            return False
    if claims.get("iss") != POOL.issuer or not _types_hold(claims):
        return False
    use = claims.get("token_use")
    if use == "id":
        return claims.get("aud") == POOL.client_id
    if use == "access":
        return claims.get("client_id") == POOL.client_id
    return False


@budget(60, signing=True)
@given(claims=CLAIMS)
def test_signed_arbitrary_claims_never_crash_or_slip_through(claims: dict[str, Any]) -> None:
    token = POOL.sign_raw(
        json.dumps({"kid": POOL.id_kid, "alg": "RS256"}).encode(), json.dumps(claims).encode()
    )
    try:
        result = COGNITO.verify(token)
    except InvalidTokenError:
        assert not cognito_rules_hold(claims) or len(token) > 16 * 1024
        return
    assert cognito_rules_hold(claims), claims
    assert result == claims


@budget(60, signing=True)
@given(payload=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_signed_arbitrary_payload_bytes_never_crash(payload: bytes) -> None:
    token = POOL.sign_raw(json.dumps({"kid": POOL.id_kid, "alg": "RS256"}).encode(), payload)
    try:
        claims = COGNITO.verify(token)
    except InvalidTokenError:
        return
    assert cognito_rules_hold(claims)


@budget(60, signing=True)
@given(
    extra=st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=4),
    alg=st.one_of(st.sampled_from(["RS256", "none", "HS256", "PS256", "ES256"]), JSON_VALUES),
    kid=st.one_of(st.sampled_from([POOL.id_kid, POOL.access_kid, OTHER.id_kid]), JSON_VALUES),
)
def test_signed_arbitrary_headers_never_crash(extra: dict[str, Any], alg: Any, kid: Any) -> None:
    header = {**extra, "alg": alg, "kid": kid}
    claims = json.loads(_payload_json(VALID[0]))
    token = POOL.sign_raw(json.dumps(header).encode(), json.dumps(claims).encode())
    for verifier in (COGNITO, GENERIC, MULTI):
        try:
            verifier.verify(token)
        except InvalidTokenError:
            continue
        # Only the one genuine header shape may pass: RS256, the ID key, nothing critical.
        assert alg == "RS256"
        assert kid == POOL.id_kid
        assert "crit" not in header
        typ = header.get("typ")
        assert typ is None or (isinstance(typ, str) and typ.lower() in KNOWN_TYPS)


KNOWN_TYPS = {"jwt", "at+jwt", "application/jwt", "application/at+jwt"}


def _payload_json(token: str) -> str:
    return b64url_decode(token.split(".")[1], "payload").decode()


# -- the strict base64url decoder ----------------------------------------------------------


@budget(500)
@given(data=st.binary(max_size=64))
def test_base64url_round_trips(data: bytes) -> None:
    assert b64url_decode(b64url(data), "x") == data


@budget(500)
@given(text=st.text(st.sampled_from(B64URL + "=+/ .\n\x00é"), max_size=24))
def test_base64url_has_exactly_one_spelling(text: str) -> None:
    """Whatever the decoder accepts re-encodes to the very same text."""
    try:
        decoded = b64url_decode(text, "x")
    except MalformedTokenError:
        return
    assert b64url(decoded) == text


# -- async gives the same answers ------------------------------------------------------------


@budget(40)
@given(
    token=st.sampled_from(ALL_TOKENS),
    position=st.integers(min_value=0),
    char=st.sampled_from(B64URL),
)
def test_async_and_sync_agree(token: str, position: int, char: str) -> None:
    i = position % len(token)
    mutated = token[:i] + char + token[i + 1 :]

    def outcome(run: Any) -> tuple[str, str | None]:
        try:
            run()
        except CognitoJwtError as exc:
            return type(exc).__name__, exc.reason
        return "accepted", None

    sync = outcome(lambda: COGNITO.verify(mutated))
    async_ = outcome(lambda: asyncio.run(COGNITO.verify_async(mutated)))
    assert sync == async_
    if mutated != token:
        assert sync[0] != "accepted"
