"""cognito_jwt._token: the strict parse of the compact form and its header, and `strip_bearer`.

Each rejection is a real signed token (or its string) wrong in exactly one way,
through a verifier, asserting the error class and its reason: the parser runs
before any key is looked up, so these reasons are the parser's.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fixed_time import NOW, clock

from cognito_jwt import (
    CognitoJwtError,
    CognitoJwtVerifier,
    InvalidTokenUseError,
    MalformedTokenError,
    UnknownKeyError,
    decode_unverified,
    strip_bearer,
)
from cognito_jwt._token import DEFAULT_MAX_TOKEN_LENGTH, bearer_credentials, check_typ
from cognito_jwt.testing import FakeCognitoPool, ManualClock


def test_claim_nested_at_the_parse_limit_fails_with_a_cognito_error(
    pool: FakeCognitoPool,
) -> None:
    """The deepest value that still parses is refused by its claim rule, not by `repr`."""
    verifier = pool.verifier(token_use="access", clock=ManualClock(NOW), cache_size=0)
    header = json.dumps({"alg": "RS256", "kid": pool.id_kid}).encode()
    reached_claim_check = False
    # Every depth around the JSON parser's recursion limit: the deepest value
    # that still parses must be rejected by the claim rule, not by repr().
    for depth in range(1010, 900, -1):
        payload = json.dumps(
            {"iss": pool.issuer, "token_use": "X", "exp": NOW + 60, "iat": NOW}
        ).replace('"X"', "[" * depth + "]" * depth)
        token = pool.sign_raw(header, payload.encode())
        with pytest.raises(CognitoJwtError) as info:
            verifier.verify(token)
        if not isinstance(info.value, MalformedTokenError):
            assert isinstance(info.value, InvalidTokenUseError)
            reached_claim_check = True
            break
    assert reached_claim_check


def id_verifier(pool: FakeCognitoPool, **kwargs: Any) -> CognitoJwtVerifier:
    kwargs.setdefault("clock", clock)
    return pool.verifier(token_use="id", **kwargs)


def expect(verifier: Any, token: str, error: type[CognitoJwtError], reason: str) -> CognitoJwtError:
    with pytest.raises(error) as info:
        verifier.verify(token)
    assert info.value.reason == reason, info.value
    return info.value


def segments(token: str) -> list[str]:
    return token.split(".")


# -- the compact form and the header ------------------------------------------------


def test_missing_kid(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW, header_overrides={"kid": None})
    expect(id_verifier(pool), token, MalformedTokenError, "missing_kid")


def test_insane_kid_is_rejected_before_lookup(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW, header_overrides={"kid": "a' OR 1=1 --"})
    expect(id_verifier(pool), token, MalformedTokenError, "invalid_kid")
    token = pool.id_token(now=NOW, header_overrides={"kid": "k" * 300})
    expect(id_verifier(pool), token, MalformedTokenError, "invalid_kid")


def test_unknown_crit_header(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW, header_overrides={"crit": ["exp"], "exp": 1})
    expect(id_verifier(pool), token, MalformedTokenError, "unsupported_crit")


def test_typ_jwt_is_accepted_but_other_typs_are_not(pool: FakeCognitoPool) -> None:
    assert id_verifier(pool).verify(pool.id_token(now=NOW, header_overrides={"typ": "JWT"}))
    token = pool.id_token(now=NOW, header_overrides={"typ": "JOSE+JSON"})
    expect(id_verifier(pool), token, MalformedTokenError, "invalid_header")


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda t: t + ".x", "malformed_token"),
        (lambda t: t.rsplit(".", 1)[0], "malformed_token"),
        (lambda t: "." + t.split(".", 1)[1], "malformed_token"),
        (lambda t: t + "=", "invalid_base64url"),
        (lambda t: t.replace(".", ".+", 1), "invalid_base64url"),
        (lambda t: t.replace(".", ". ", 1), "invalid_base64url"),
        (lambda t: t.replace(".", ".é", 1), "invalid_base64url"),
        (lambda t: "x" * 20_000, "token_too_large"),
        (lambda t: "Bearer " + t, "bearer_prefix"),
    ],
)
def test_structure_is_checked_strictly(pool: FakeCognitoPool, mangle: Any, reason: str) -> None:
    expect(id_verifier(pool), mangle(pool.id_token(now=NOW)), MalformedTokenError, reason)


@pytest.mark.parametrize(
    ("mangle", "segment"),
    [
        (lambda t: " " + t, "header"),
        (lambda t: t + " ", "signature"),
        (lambda t: t + "\n", "signature"),
        (lambda t: "\r\n" + t + "\r\n", "header"),
        (lambda t: "\t" + t, "header"),
    ],
    ids=["leading-space", "trailing-space", "trailing-newline", "crlf-around", "leading-tab"],
)
def test_a_token_with_surrounding_whitespace_is_told_so(
    pool: FakeCognitoPool, mangle: Any, segment: str
) -> None:
    """A token pasted with its newline gets a message naming whitespace, not only base64."""
    verifier = id_verifier(pool)
    token = pool.id_token(now=NOW)
    verifier.verify(token)  # its header is now cached: the fast path must say the same
    for attempt in (verifier, id_verifier(pool)):
        error = expect(attempt, mangle(token), MalformedTokenError, "invalid_base64url")
        assert error.message.startswith(f"{segment}: expected unpadded base64url, found whitespace")
        assert "strip the whitespace around the token" in error.message


def test_a_bad_character_inside_a_segment_is_not_called_whitespace(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW).replace(".", ".+", 1)
    error = expect(id_verifier(pool), token, MalformedTokenError, "invalid_base64url")
    assert "whitespace" not in error.message


def test_non_string_token(pool: FakeCognitoPool) -> None:
    expect(id_verifier(pool), b"abc.def.ghi", MalformedTokenError, "malformed_token")  # type: ignore[arg-type]


def test_duplicate_member_in_payload_is_rejected(pool: FakeCognitoPool) -> None:
    header = json.dumps({"kid": pool.id_kid, "alg": "RS256"}).encode()
    claims = json.loads(base64.urlsafe_b64decode(segments(pool.id_token(now=NOW))[1] + "=="))
    body = json.dumps(claims)[:-1] + ', "exp": 9999999999}'
    token = pool.sign_raw(header, body.encode())
    expect(id_verifier(pool), token, MalformedTokenError, "duplicate_member")


def test_payload_that_is_not_an_object(pool: FakeCognitoPool) -> None:
    token = pool.sign_raw(json.dumps({"kid": pool.id_kid, "alg": "RS256"}).encode(), b"[1,2]")
    expect(id_verifier(pool), token, MalformedTokenError, "invalid_json")


# -- strip_bearer --------------------------------------------------------------------


def test_strip_bearer_takes_a_bearer_or_a_bare_token() -> None:
    assert strip_bearer("Bearer a.b.c") == "a.b.c"
    assert strip_bearer("  bearer   a.b.c  ") == "a.b.c"
    assert strip_bearer(" a.b.c ") == "a.b.c"  # what API Gateway's Cognito authorizer expects
    for bad in ["Basic abc", "Bearer", "Bearer a b", "a b", "", "   "]:
        with pytest.raises(MalformedTokenError) as info:
            strip_bearer(bad)
        assert info.value.reason == "malformed_authorization"


def test_strip_bearer_names_the_type_of_a_value_that_is_not_a_str() -> None:
    with pytest.raises(MalformedTokenError) as info:
        strip_bearer(b"Bearer a.b.c")  # type: ignore[arg-type]
    assert info.value.reason == "malformed_authorization"
    assert "expected a str, found bytes" in info.value.message


@pytest.mark.parametrize("value", [None, b"Bearer a.b.c", b"a.b.c", 1, ["a.b.c"]], ids=repr)
def test_an_authorization_value_that_is_not_a_str_carries_no_token(value: Any) -> None:
    assert bearer_credentials(value) is None


# -- limits: each at its edge ------------------------------------------------------------


def test_a_kid_of_256_characters_is_looked_up_and_one_of_257_is_refused(
    pool: FakeCognitoPool,
) -> None:
    token = pool.id_token(now=NOW, header_overrides={"kid": "k" * 256})
    expect(id_verifier(pool), token, UnknownKeyError, "unknown_kid")
    token = pool.id_token(now=NOW, header_overrides={"kid": "k" * 257})
    expect(id_verifier(pool), token, MalformedTokenError, "invalid_kid")


@pytest.fixture
def deep_recursion() -> Iterator[None]:
    """Room for the JSON scanner past 1,000 levels on Python 3.11 too.

    Python 3.11's C scanner counts its nesting against the interpreter's
    recursion limit; raised, it parses deeper values, and only the parser's own
    cap stands between them and the claims (3.12 and later have a fixed C
    limit above the cap, so this changes nothing there).
    """
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 5000))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def nested_token(pool: FakeCognitoPool, depth: int, *, open_: str, pad: str = "") -> str:
    """An ID token whose payload nests `depth` levels deep (the payload object is level 1).

    A `[` inside a string claim makes the brackets outnumber the levels, so the
    parser's walk of the value, not its quick count, decides.
    """
    close = {"[": "]", '{"a":': "}"}[open_]
    claims = json.loads(base64.urlsafe_b64decode(segments(pool.id_token(now=NOW))[1] + "=="))
    body = json.dumps({**claims, "deep": "X", "note": "["}).replace(
        '"X"', open_ * (depth - 1) + "1" * (open_ != "[") + close * (depth - 1)
    )
    header = json.dumps({"kid": pool.id_kid, "alg": "RS256"}).encode()
    return pool.sign_raw(header, (pad + body).encode())


@pytest.mark.usefixtures("deep_recursion")
@pytest.mark.parametrize("pad", ["", " "], ids=["compact", "spaced"])
@pytest.mark.parametrize("open_", ["[", '{"a":'], ids=["arrays", "objects"])
def test_a_payload_nested_1000_deep_is_read_and_1001_deep_is_refused(
    pool: FakeCognitoPool, open_: str, pad: str
) -> None:
    verifier = id_verifier(pool, cache_size=0)
    assert verifier.verify(nested_token(pool, 1000, open_=open_, pad=pad))["note"] == "["
    error = expect(
        verifier,
        nested_token(pool, 1001, open_=open_, pad=pad),
        MalformedTokenError,
        "invalid_json",
    )
    assert "nested at most 1000 levels deep" in error.message


# -- decode_unverified ---------------------------------------------------------------


def test_decode_unverified_returns_the_header_and_claims_as_sent(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW, header_overrides={"typ": "JWT"}, sub="u-1")
    header, claims = decode_unverified(token)
    assert header == {"alg": "RS256", "kid": pool.id_kid, "typ": "JWT"}
    assert claims["sub"] == "u-1"


def test_decode_unverified_parses_as_strictly_as_verify(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW, header_overrides={"crit": ["b64"]})
    with pytest.raises(MalformedTokenError) as info:
        decode_unverified(token)
    assert info.value.reason == "unsupported_crit"


# -- the header cache -------------------------------------------------------------------


def test_a_known_header_segment_elsewhere_in_a_token_is_not_taken_for_its_header(
    pool: FakeCognitoPool,
) -> None:
    """Headers are remembered by the header segment alone: a token whose header is its
    payload segment (or whose payload is a known header) is parsed by its own header."""
    verifier = id_verifier(pool, cache_size=0)
    token = pool.id_token(now=NOW)
    verifier.verify(token)  # remembers the header segment
    head, payload, sig = segments(token)
    for forged in (f"{payload}.{head}.{sig}", f"{payload}.{payload}.{sig}"):
        error = expect(verifier, forged, MalformedTokenError, "invalid_header")
        assert error.message.startswith("header alg: expected a non-empty string")


def token_of_length(pool: FakeCognitoPool, length: int) -> str:
    """A valid ID token exactly `length` characters long (a padding claim and header member)."""
    for extra in range(4):
        header = {"kid": pool.id_kid, "alg": "RS256", "x": "x" * extra}
        short = pool.id_token(now=NOW, header_overrides=header, pad="")
        head, payload, sig = segments(short)
        size = len(base64.urlsafe_b64decode(payload + "=="))
        # Each character of the claim is one byte of payload; base64url writes n bytes
        # in (4n + 2) // 3 characters.
        for pad in range(length):
            total = len(head) + len(sig) + 2 + (4 * (size + pad) + 2) // 3
            if total == length:
                token = pool.id_token(now=NOW, header_overrides=header, pad="p" * pad)
                assert len(token) == length
                return token
            if total > length:
                break
    raise AssertionError(f"no token of {length} characters")


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm-header-cache"])
def test_a_token_of_16_kib_is_read_and_one_character_more_is_refused(
    pool: FakeCognitoPool, warm: bool
) -> None:
    verifier = id_verifier(pool, cache_size=0)
    longest = token_of_length(pool, 16 * 1024)
    assert DEFAULT_MAX_TOKEN_LENGTH == 16 * 1024
    if warm:  # its header is remembered: the size is still checked first
        verifier.verify(
            pool.id_token(
                now=NOW,
                header_overrides=json.loads(base64.urlsafe_b64decode(segments(longest)[0] + "==")),
            )
        )
    assert verifier.verify(longest)["pad"]
    too_long = token_of_length(pool, 16 * 1024 + 1)
    expect(verifier, too_long, MalformedTokenError, "token_too_large")


# -- typ ------------------------------------------------------------------------------


@pytest.mark.parametrize("typ", ["JWT", "jwt", "at+jwt", "application/jwt", "application/at+JWT"])
def test_each_typ_a_jwt_may_carry_is_accepted(pool: FakeCognitoPool, typ: str) -> None:
    assert id_verifier(pool).verify(pool.id_token(now=NOW, header_overrides={"typ": typ}))


@pytest.mark.parametrize("typ", ["", "JWS", "application/json", 1, ["JWT"]], ids=repr)
def test_another_typ_is_refused_naming_the_typs_expected(pool: FakeCognitoPool, typ: Any) -> None:
    token = pool.id_token(now=NOW, header_overrides={"typ": typ})
    error = expect(id_verifier(pool), token, MalformedTokenError, "invalid_header")
    assert error.message.startswith("header typ: expected 'JWT' or 'at+jwt', found ")


def test_a_narrower_typ_policy_names_its_own_typs() -> None:
    with pytest.raises(MalformedTokenError) as info:
        check_typ("JWT", frozenset({"at+jwt", "application/at+jwt"}))
    assert info.value.reason == "invalid_header"
    assert info.value.message == (
        "header typ: expected 'APPLICATION/AT+JWT' or 'AT+JWT', found 'JWT'"
    )
    check_typ("AT+JWT", frozenset({"at+jwt"}))  # in any case


# -- what an error names ----------------------------------------------------------------------


def with_segment(token: str, index: int, value: str) -> str:
    parts = segments(token)
    parts[index] = value
    return ".".join(parts)


@pytest.mark.parametrize(
    ("index", "value", "reason", "named"),
    [
        (0, "e30+", "invalid_base64url", "header"),
        (0, "WzFd", "invalid_json", "header"),  # [1]
        (0, "eyJhIjox", "invalid_json", "header"),  # {"a":1
        (1, "e30+", "invalid_base64url", "payload"),
        (1, "WzFd", "invalid_json", "payload"),
        (1, "eyJhIjox", "invalid_json", "payload"),
        (2, "AAA+", "invalid_base64url", "signature"),
    ],
)
def test_an_error_names_the_segment_it_is_in(
    pool: FakeCognitoPool, index: int, value: str, reason: str, named: str
) -> None:
    token = with_segment(pool.id_token(now=NOW), index, value)
    error = expect(id_verifier(pool), token, MalformedTokenError, reason)
    assert error.message.startswith(f"{named}: expected ")


def test_a_duplicate_member_is_named(pool: FakeCognitoPool) -> None:
    header = b'{"kid":"%s","alg":"RS256","typ":"JWT","typ":"JWT"}' % pool.id_kid.encode()
    token = pool.sign_raw(header, json.dumps({"sub": "u"}).encode())
    error = expect(id_verifier(pool), token, MalformedTokenError, "duplicate_member")
    assert "duplicate member name 'typ'" in error.message


def test_text_before_the_payload_object_is_refused(pool: FakeCognitoPool) -> None:
    claims = json.loads(base64.urlsafe_b64decode(segments(pool.id_token(now=NOW))[1] + "=="))
    header = json.dumps({"kid": pool.id_kid, "alg": "RS256"}).encode()
    for junk in (b"x", b"1", b"]"):
        token = pool.sign_raw(header, junk + json.dumps(claims).encode())
        expect(id_verifier(pool), token, MalformedTokenError, "invalid_json")


class _Text(str):
    """A `str` subclass, as some frameworks hand header values over."""


def test_a_token_in_a_str_subclass_is_read_like_the_str(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW, sub="u-2")
    assert id_verifier(pool, cache_size=0).verify(_Text(token))["sub"] == "u-2"
    for bad in (token + ".x", token.rsplit(".", 1)[0], "." + token.split(".", 1)[1]):
        expect(id_verifier(pool), _Text(bad), MalformedTokenError, "malformed_token")


@pytest.mark.parametrize("index", [0, 1], ids=["header", "payload"])
def test_a_segment_that_is_not_utf8_is_told_so(pool: FakeCognitoPool, index: int) -> None:
    token = with_segment(
        pool.id_token(now=NOW),
        index,
        base64.urlsafe_b64encode(b'{"a":"\xff"}').decode().rstrip("="),
    )
    error = expect(id_verifier(pool), token, MalformedTokenError, "invalid_json")
    assert error.message.endswith("expected UTF-8 JSON, found invalid UTF-8")
