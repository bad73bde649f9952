"""Every reader of `scope` follows RFC 6749 3.3: the integrations' user objects included."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_jwt import InvalidClaimError
from cognito_jwt.integrations._common import claim_scopes


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("orders/read orders/write", {"orders/read", "orders/write"}),
        ("openid", {"openid"}),
        ("", set()),
    ],
)
def test_scopes_separated_by_single_spaces_are_read(scope: str, expected: set[str]) -> None:
    assert claim_scopes({"scope": scope}) == expected


def test_no_scope_claim_holds_no_scope() -> None:
    assert claim_scopes({"sub": "u"}) == frozenset()


@pytest.mark.parametrize(
    "scope",
    ["orders/write\torders/read", "a\u3000b", "a\u00a0b", "a  b", " a", "a\nb"],
    ids=["tab", "ideographic space", "no-break space", "two spaces", "leading space", "newline"],
)
def test_a_scope_that_breaks_the_grammar_grants_nothing(scope: str) -> None:
    """`require_scopes` refuses these (`invalid_scope`); the user object's `scopes`
    once split them on any whitespace and listed `orders/read`."""
    with pytest.raises(InvalidClaimError) as info:
        claim_scopes({"scope": scope})
    assert info.value.reason == "invalid_scope"


@pytest.mark.parametrize("scope", [7, None, ["a", "b"], {"a": 1}])
def test_a_scope_that_is_not_a_string_is_the_wrong_type(scope: Any) -> None:
    with pytest.raises(InvalidClaimError) as info:
        claim_scopes({"scope": scope})
    assert info.value.reason == "invalid_claim_type"
