"""cognito_jwt._token: the strict parse, at the edges of what the JSON parser accepts."""

from __future__ import annotations

import json

import pytest
from fixed_time import NOW

from cognito_jwt import CognitoJwtError, InvalidTokenUseError, MalformedTokenError
from cognito_jwt.testing import FakeCognitoPool, ManualClock


def test_claim_nested_at_the_parse_limit_fails_with_a_cognito_error(
    pool: FakeCognitoPool,
) -> None:
    """The deepest value that still parses is refused by its claim rule, not by `repr`
    (fixed in 8a0955d, found by an adversarial review of the core)."""
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
