"""cognito_jwt._token: the strict parse of the compact form and its header, and `strip_bearer`.

Each rejection is a real signed token (or its string) wrong in exactly one way,
through a verifier, asserting the error class and its reason: the parser runs
before any key is looked up, so these reasons are the parser's.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fixed_time import NOW, clock

from cognito_jwt import (
    CognitoJwtError,
    CognitoJwtVerifier,
    InvalidTokenUseError,
    MalformedTokenError,
    strip_bearer,
)
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
