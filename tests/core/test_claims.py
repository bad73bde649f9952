"""The claim readers against independent restatements of the RFCs they follow.

`oauth_scopes` against RFC 6749 3.3's grammar, `numeric_date` against the range
of a double, `check_claim_types` against a table of each claim's JSON type.
The verifier's own paths (signed tokens, the token cache) are covered in
`test_attacks.py`; these pin the rules on arbitrary values.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_jwt import (
    CognitoJwtError,
    InvalidAudienceError,
    InvalidClaimError,
    MissingClaimError,
    TokenNotYetValidError,
)
from cognito_jwt._claim_types import check_claim_types, cognito_groups, numeric_date, oauth_scopes
from cognito_jwt._claims import check_audience, check_time, check_token_use, valid_window

#: RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
TOKEN_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"\\')
SCOPE_TOKENS = st.text(st.sampled_from(TOKEN_CHARS), min_size=1, max_size=12)
#: Characters near the grammar's edges, and Unicode whitespace of every kind.
EDGES = ' \t\n\r\x0b\x0c\x1f\x7f"\\\u00a0\u1680\u2000\u2028\u3000\ufeffé'


def outcome(call: Any) -> tuple[str | None, int | None]:
    """(reason, status) of the error ``call()`` raised, or (None, None)."""
    try:
        call()
    except CognitoJwtError as exc:
        return exc.reason, exc.status_code
    return None, None


def grammar_holds(scope: str) -> bool:
    return all(token and set(token) <= set(TOKEN_CHARS) for token in scope.split(" "))


@settings(max_examples=300, deadline=None)
@given(tokens=st.lists(SCOPE_TOKENS, min_size=1, max_size=6))
def test_scope_tokens_joined_by_single_spaces_are_read_exactly(tokens: list[str]) -> None:
    assert oauth_scopes({"scope": " ".join(tokens)}) == frozenset(tokens)


@settings(max_examples=400, deadline=None)
@given(scope=st.text(st.sampled_from(TOKEN_CHARS[:6] + EDGES), max_size=12))
def test_a_scope_is_read_only_if_it_follows_the_grammar(scope: str) -> None:
    reason, _ = outcome(lambda: oauth_scopes({"scope": scope}))
    if scope == "":
        assert reason is None
        assert oauth_scopes({"scope": scope}) == frozenset()
    elif grammar_holds(scope):
        assert reason is None
        assert oauth_scopes({"scope": scope}) == frozenset(scope.split(" "))
    else:
        assert reason == "invalid_scope"


@pytest.mark.parametrize("value", [None, 5, 1.5, True, [], ["a"], {"a": "b"}])
def test_a_scope_that_is_not_a_string_is_a_wrong_type(value: Any) -> None:
    with pytest.raises(InvalidClaimError) as info:
        oauth_scopes({"scope": value})
    assert info.value.reason == "invalid_claim_type"
    assert oauth_scopes({}) == frozenset()


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.integers(), st.integers(min_value=10**300, max_value=10**400)))
def test_integer_numeric_dates_are_held_to_the_range_of_a_double(value: int) -> None:
    within = -sys.float_info.max <= value <= sys.float_info.max
    reason, _ = outcome(lambda: numeric_date({"exp": value}, "exp"))
    assert reason == (None if within else "invalid_claim_type")
    if within:
        assert numeric_date({"exp": value}, "exp") == value


def test_the_largest_integer_date_is_the_largest_double() -> None:
    largest = int(sys.float_info.max)
    assert numeric_date({"exp": largest}, "exp") == largest
    assert numeric_date({"exp": -largest}, "exp") == -largest
    for beyond in (largest + 1, -largest - 1):
        with pytest.raises(InvalidClaimError, match="within the range of a double") as info:
            numeric_date({"exp": beyond}, "exp")
        assert info.value.reason == "invalid_claim_type"
        assert str(info.value).startswith("claim exp: "), info.value


class _Groups(list[str]):
    """A caller's own list type: not what JSON decodes, so not the fast path's."""


class _Name(str):
    """A caller's own string type."""


def test_groups_held_in_a_caller_s_own_list_and_string_types_are_read() -> None:
    expected = frozenset({"admin", "ops"})
    assert cognito_groups({"cognito:groups": _Groups(["admin", _Name("ops")])}) == expected
    assert cognito_groups({"cognito:groups": ["admin", _Name("ops")]}) == expected
    for wrong in (_Groups(["admin", 1]), ("admin",), "admin"):  # type: ignore[list-item]
        with pytest.raises(InvalidClaimError) as info:
            cognito_groups({"cognito:groups": wrong})
        assert info.value.reason == "invalid_claim_type", wrong


#: What each claim must be, restated: (claim, Cognito-only, accepts(value)).
def _is_str(v: Any) -> bool:
    return type(v) is str


def _is_aud(v: Any) -> bool:
    return type(v) is str or (type(v) is list and bool(v) and all(type(a) is str for a in v))


def _is_date(v: Any) -> bool:
    return (type(v) is int and abs(v) <= sys.float_info.max) or (
        type(v) is float and v == v and abs(v) != float("inf")
    )


def _is_groups(v: Any) -> bool:
    return type(v) is list and all(type(g) is str for g in v)


MODEL: dict[str, tuple[bool, Any, str]] = {
    "sub": (False, _is_str, "invalid_claim_type"),
    "jti": (False, _is_str, "invalid_claim_type"),
    "client_id": (False, _is_str, "invalid_client_id"),
    "aud": (False, _is_aud, "invalid_audience"),
    "auth_time": (False, _is_date, "invalid_claim_type"),
    "token_use": (True, _is_str, "invalid_token_use"),
    "username": (True, _is_str, "invalid_claim_type"),
    "cognito:username": (True, _is_str, "invalid_claim_type"),
    "origin_jti": (True, _is_str, "invalid_claim_type"),
    "event_id": (True, _is_str, "invalid_claim_type"),
    "cognito:groups": (True, _is_groups, "invalid_claim_type"),
    "acr": (False, _is_str, "invalid_claim_type"),
    "amr": (False, _is_groups, "invalid_claim_type"),
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(MODEL)), value=JSON, cognito=st.booleans())
def test_each_claim_is_type_checked_as_the_model_says(name: str, value: Any, cognito: bool) -> None:
    cognito_only, accepts, reason = MODEL[name]
    expected_ok = (cognito_only and not cognito) or accepts(value)
    found = outcome(lambda: check_claim_types({name: value}, cognito=cognito))
    assert found == ((None, None) if expected_ok else (reason, 401)), (name, value)


def test_absent_claims_are_not_type_errors() -> None:
    check_claim_types({}, cognito=True)
    check_claim_types({"custom:anything": None, "email": 5}, cognito=True)


#: `valid_window`'s limits, restated from its docstring: integers within 2**52 of
#: the epoch (exact as doubles), a lifetime under 2**30 - 1 seconds (34 years).
BOUND = 2**52
LIFETIME = 2**30 - 1


@pytest.mark.parametrize(
    ("claims", "window"),
    [
        ({"iat": 1_800_000_000, "exp": 1_800_003_600}, (1_800_000_000 - 60, 1_800_003_600 + 5)),
        ({"iat": 1_800_000_000, "exp": 1_800_000_000}, (1_800_000_000 - 60, 1_800_000_005)),
        ({"iat": 0, "exp": LIFETIME - 1}, (-60, LIFETIME + 4)),
        ({"iat": 0, "exp": LIFETIME}, None),
        ({"iat": -BOUND + 1, "exp": -BOUND + 11}, (-BOUND - 59, -BOUND + 16)),
        ({"iat": -BOUND, "exp": -BOUND + 10}, None),
        ({"iat": BOUND - 100, "exp": BOUND - 1}, (BOUND - 160, BOUND + 4)),
        ({"iat": BOUND - 100, "exp": BOUND}, None),
        ({"iat": 1_800_000_000, "exp": 1_799_999_999}, None),  # exp before iat
        ({"iat": 1_800_000_000, "exp": 1_800_003_600.0}, None),
        ({"iat": 1_800_000_000.0, "exp": 1_800_003_600}, None),
        ({"iat": 1_800_000_000, "exp": True}, None),
        ({"exp": 1_800_003_600}, None),
        ({"iat": 1_800_000_000}, None),
        ({"iat": 1_800_000_000, "exp": 1_800_003_600, "nbf": 1_800_000_000}, None),
    ],
)
def test_the_time_window_covers_exactly_the_common_cognito_shape(
    claims: dict[str, Any], window: tuple[int, int] | None
) -> None:
    """`[iat - iat_nbf_leeway, exp + leeway)` for integer dates in range, else no window.

    A token-cache hit re-checks time by this window alone, so it is pinned on
    its own: a window wider than the rules would accept an expired token there.
    """
    assert valid_window(claims, 5.0, 60.0) == window


@pytest.mark.parametrize("use", ["id", "access"])
def test_check_token_use_returns_the_token_s_use(use: str) -> None:
    assert check_token_use({"token_use": use}, None) == use
    assert check_token_use({"token_use": use}, use) == use


@pytest.mark.parametrize("aud", [["api", 1], ["api", None], [1, "api"]])
def test_an_audience_list_holding_a_non_string_is_a_wrong_type(aud: list[Any]) -> None:
    """Whether or not a rule reads `aud` (an access token's is not read)."""
    with pytest.raises(InvalidAudienceError) as info:
        check_claim_types({"aud": aud}, cognito=True)
    assert info.value.reason == "invalid_audience"


@pytest.mark.parametrize("aud", [["api", 1], ["api", None], [1, "api"]])
def test_an_audience_list_holding_a_non_string_names_no_audience(aud: list[Any]) -> None:
    """Even when one of its members is allowed: the list is not a list of audiences."""
    with pytest.raises(InvalidAudienceError) as info:
        check_audience({"aud": aud}, frozenset({"api"}), allow_list=True)
    assert info.value.reason == "invalid_audience"


def test_exp_is_required_unless_the_caller_has_checked_it_elsewhere() -> None:
    """`require_exp=False` (the ALB's payload, whose signed header carries `exp`) skips
    only the absence check: every other time rule still holds."""
    now = 1_800_000_000.0
    with pytest.raises(MissingClaimError) as missing:
        check_time({"iat": now}, now, 0.0)
    assert missing.value.reason == "missing_exp"
    check_time({"iat": now}, now, 0.0, require_exp=False)
    with pytest.raises(TokenNotYetValidError) as early:
        check_time({"iat": now + 600}, now, 0.0, require_exp=False)
    assert early.value.reason == "issued_in_future"
