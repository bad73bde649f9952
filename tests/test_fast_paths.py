"""The fast paths accept and reject exactly what the straightforward code does.

Each optimisation on the first-sight path is a shortcut with a fallback: when
anything looks unusual it hands over to the original, fully checked code.
These tests pin that down by comparing against reference implementations (the
code as it was before the shortcut) over every single byte and generated input.
"""

from __future__ import annotations

import binascii
import json
import math
import re
import sys
from typing import Any

import pytest
from fixed_time import NOW
from hypothesis import given
from hypothesis import strategies as st
from test_properties import budget  # one home for example counts: nox -s fuzz raises them

from cognito_jwt import MalformedTokenError, _claims
from cognito_jwt._token import Header, _json_object, b64url_decode, parse_token
from cognito_jwt.errors import CognitoJwtError
from cognito_jwt.testing import FakeCognitoPool, b64url

# -- base64url: translate + binascii strict mode == the regex-checked decoder ---------------

_REF_RE = re.compile(r"[A-Za-z0-9_\-]*")
_REF_LAST_2 = frozenset("AQgw")
_REF_LAST_3 = frozenset("AEIMQUYcgkosw048")


def reference_b64url(segment: str) -> bytes | None:
    """The pre-issue-4 decoder: ``None`` where it raised."""
    n = len(segment)
    rem = n % 4
    if (
        rem == 1
        or _REF_RE.fullmatch(segment) is None
        or (rem == 2 and segment[-1] not in _REF_LAST_2)
        or (rem == 3 and segment[-1] not in _REF_LAST_3)
    ):
        return None
    return binascii.a2b_base64(
        segment.translate(str.maketrans("-_", "+/")) + "=" * (-n % 4), strict_mode=True
    )


def expected(segment: str) -> bytes | str:
    """The reference's bytes, or the reason it rejects with."""
    value = reference_b64url(segment)
    return "invalid_base64url" if value is None else value


def decoded(segment: str) -> bytes | str:
    """The bytes, or the error reason."""
    try:
        return b64url_decode(segment, "segment")
    except MalformedTokenError as exc:
        return exc.reason


_ODD_CHARS = [chr(c) for c in range(256)] + ["\u2028", "\ufeff", "\U0001f600", "\udcff"]


@pytest.mark.parametrize("char", _ODD_CHARS, ids=lambda c: f"U+{ord(c):04X}")
def test_every_character_in_every_position(char: str) -> None:
    for base in ("", "QQ", "QUI", "QUJD", "QUJDRA", "QUJDREU", "QUJDREVG"):
        for at in range(len(base) + 1):
            segment = base[:at] + char + base[at:]
            assert decoded(segment) == expected(segment), repr(segment)


@budget(1000)
@given(st.text(alphabet=st.sampled_from("AQgwBz09-_+/= .\n\t\x00é"), max_size=24))
def test_generated_segments(segment: str) -> None:
    assert decoded(segment) == expected(segment)


@budget(500)
@given(st.binary(max_size=64))
def test_round_trip(data: bytes) -> None:
    assert b64url_decode(b64url(data), "x") == data


# -- JSON: one scanner call == JSONDecoder.decode with the strict hooks ----------------------


def reference_json(raw: bytes) -> tuple[str, Any]:
    """The pre-issue-4 parse: ("ok", value) or ("error", reason, message)."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            raise ValueError("duplicate member name")
        return obj

    def constant(name: str) -> Any:
        raise ValueError(f"non-standard JSON constant {name}")

    try:
        value = json.JSONDecoder(object_pairs_hook=unique, parse_constant=constant).decode(
            raw.decode("utf-8")
        )
    except UnicodeDecodeError:
        return ("error", "invalid_json")
    except (ValueError, RecursionError) as exc:
        return ("error", "duplicate_member" if "duplicate member" in str(exc) else "invalid_json")
    if not isinstance(value, dict):
        return ("error", "invalid_json")
    return ("ok", value)


def parsed_json(raw: bytes) -> tuple[str, Any]:
    try:
        return ("ok", _json_object(raw, "payload"))
    except MalformedTokenError as exc:
        return ("error", exc.reason)


JSON_CASES = [
    b'{"a":1}',
    b' {"a":1}',
    b'{"a":1} ',
    b'\n{"a":1}\r\n',
    b'{"a":1}x',
    b'{"a":1}{"b":2}',
    b'{"a":1,"a":2}',
    b'{"a":{"b":1,"b":1}}',
    b'{"a":[{"x":1},{"y":2,"y":3}]}',
    b'{"a":NaN}',
    b'{"a":-Infinity}',
    b'{"a":1e400}',
    b"[]",
    b'"str"',
    b"1",
    b"null",
    b"",
    b" ",
    b"{",
    b'{"a":"\xff"}',
    b"\xef\xbb\xbf{}",
    b'{"a":"\\ud800"}',
    b"{}",
    b'{"k": "v" , "n" : [1, 2.5, true, false, null]}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
]


@pytest.mark.parametrize("raw", JSON_CASES, ids=lambda r: repr(r[:24]))
def test_json_cases(raw: bytes) -> None:
    assert parsed_json(raw) == reference_json(raw)


@budget(500)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.lists(st.tuples(st.sampled_from("abc"), inner), max_size=4).map(
                lambda pairs: (
                    "{" + ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in pairs) + "}"
                )
            )
        ),
        max_leaves=8,
    ),
    st.sampled_from(["", " ", "\n"]),
)
def test_generated_json(value: Any, pad: str) -> None:
    text = value if isinstance(value, str) and value.startswith("{") else json.dumps(value)
    raw = (pad + text + pad).encode()
    assert parsed_json(raw) == reference_json(raw)


# -- parse_token: the cached-header shortcut == _split + parse_header ------------------------


def outcome(call: Any) -> tuple[Any, ...]:
    try:
        parsed = call()
    except MalformedTokenError as exc:
        return ("error", exc.reason, exc.message)
    return ("ok", parsed.header.raw, parsed.claims, parsed.signing_input, parsed.signature)


def test_parse_with_a_warm_header_cache_matches_a_cold_parse(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW)
    head, payload, sig = token.split(".")
    cache: dict[str, Header] = {}
    parse_token(token, header_cache=cache)
    assert head in cache
    variants: list[Any] = [
        token,
        f"Bearer {token}",
        f"bearer {token}",
        f"{head}..{sig}",
        f"{head}.{payload}.",
        f"{head}.{payload}.{sig}.",
        f"{head}.{payload}",
        f"{head}.{payload}.{sig}.{sig}",
        f"{head}.{payload}x.{sig}",
        f"{head}.{payload}.{sig}=",
        f"{head}.{payload}.{sig[:-1]}",
        f"{head}.{payload[:-2]}.{sig}",
        f"{head}.e30.{sig}",
        token + "A" * 20_000,
        token.encode(),
        None,
        f"{head}.{payload}.{sig}\n",
        f" {token}",
    ]
    for variant in variants:
        warm = outcome(lambda v=variant: parse_token(v, header_cache=dict(cache)))
        cold = outcome(lambda v=variant: parse_token(v))
        assert warm == cold, variant if isinstance(variant, str) else type(variant)


# -- _claims.check_time (with its common-shape shortcut) == the time rule written plainly ------


TIME_CLAIMS: list[dict[str, Any]] = [
    {"exp": NOW + 10, "iat": NOW},
    {"exp": NOW, "iat": NOW - 5},
    {"exp": NOW - 1, "iat": NOW - 5},
    {"exp": NOW + 10, "iat": NOW + 1},
    {"exp": NOW + 10},
    {"exp": NOW + 10, "iat": None},
    {"exp": NOW + 10.5, "iat": NOW},
    {"exp": True, "iat": NOW},
    {"exp": NOW + 10, "iat": True},
    {"exp": str(NOW + 10), "iat": NOW},
    {"exp": None, "iat": NOW},
    {"iat": NOW},
    {"exp": NOW + 10, "iat": NOW, "nbf": NOW + 1},
    {"exp": NOW + 10, "iat": NOW, "nbf": None},
    {"exp": NOW + 10, "iat": NOW, "nbf": NOW},
    {"exp": 10**30, "iat": NOW},
    {"exp": 10**400, "iat": NOW},
    {"exp": NOW + 10, "iat": -(10**400)},
    {"exp": NOW + 10, "iat": NOW + 59},
    {"exp": NOW + 10, "iat": NOW + 61},
    {"exp": NOW + 10, "iat": NOW, "nbf": NOW + 61},
    {"exp": NOW + 10, "iat": NOW + 10 - 2**30},  # lifetimes around the fast path's limit
    {"exp": NOW + 10, "iat": NOW + 11 - 2**30},
    {"exp": 2**62, "iat": NOW},
    {"exp": NOW + 10, "iat": float("nan")},
]


def reference_time(
    values: dict[str, Any],
    leeway: float,
    now: float = NOW,
    iat_nbf_leeway: float = _claims.DEFAULT_IAT_NBF_LEEWAY,
) -> str | None:
    """The time rule as docs/checks.md states it, written plainly: the reason, or None."""
    ahead = max(leeway, iat_nbf_leeway)

    def date(name: str) -> float | str | None:
        if name not in values:
            return None
        value = values[name]
        if type(value) is int and abs(value) <= sys.float_info.max:
            return value
        if type(value) is float and math.isfinite(value):
            return value
        return "invalid_claim_type"

    exp, nbf, iat = date("exp"), date("nbf"), date("iat")
    if exp is None:
        return "missing_exp"
    if isinstance(exp, str):
        return exp
    if not exp > now - leeway:
        return "token_expired"
    for value, reason in ((nbf, "token_not_yet_valid"), (iat, "issued_in_future")):
        if isinstance(value, str):
            return value
        if value is not None and not value <= now + ahead:
            return reason
    return None


def check_time_reason(
    values: dict[str, Any],
    leeway: float,
    now: float = NOW,
    iat_nbf_leeway: float = _claims.DEFAULT_IAT_NBF_LEEWAY,
) -> str | None:
    try:
        _claims.check_time(values, now, leeway, iat_nbf_leeway=iat_nbf_leeway)
    except CognitoJwtError as exc:
        return exc.reason
    return None


_DATES = st.one_of(
    st.integers(NOW - 20, NOW + 20),
    st.floats(NOW - 20, NOW + 20),
    st.sampled_from([None, True, False, "1800000000", float("nan"), float("inf"), [NOW]]),
    # Integers at and beyond the range of a double, which NumericDates keep to.
    st.sampled_from([10**30, 10**400, -(10**400), int(sys.float_info.max), NOW - 2**30]),
)


@budget(1500)
@given(
    st.dictionaries(st.sampled_from(["exp", "nbf", "iat"]), _DATES),
    st.sampled_from([0, 0.5, 2, 30]),
    st.sampled_from([float(NOW), NOW + 0.5, float("nan")]),
    st.sampled_from([0, 1, 10, _claims.DEFAULT_IAT_NBF_LEEWAY]),
)
def test_check_time_matches_the_rule_written_plainly(
    values: dict[str, Any], leeway: float, now: float, iat_nbf_leeway: float
) -> None:
    assert check_time_reason(values, leeway, now, iat_nbf_leeway) == reference_time(
        values, leeway, now, iat_nbf_leeway
    )


@pytest.mark.parametrize("values", TIME_CLAIMS, ids=repr)
@pytest.mark.parametrize("leeway", [0, 2])
def test_verify_applies_the_time_rule_written_plainly(
    pool: FakeCognitoPool, values: dict[str, Any], leeway: float
) -> None:
    header = json.dumps({"kid": pool.id_kid, "alg": "RS256"}).encode()
    body = {
        "iss": pool.issuer,
        "token_use": "id",
        "aud": pool.client_id,
        "sub": "u",
        **values,
    }
    try:
        payload = json.dumps(body, allow_nan=True).encode()
    except ValueError:
        pytest.skip("not encodable")
    token = pool.sign_raw(header, payload)
    verifier = pool.verifier(clock=lambda: float(NOW), leeway=leeway, cache_size=0)
    try:
        verifier.verify(token)
        got = None
    except CognitoJwtError as exc:
        got = exc.reason
    if got == "invalid_json":  # NaN never reaches the time check
        return
    assert got == reference_time(json.loads(payload), leeway)
