"""cognito_jwt._keys: building keys from a JWKS."""

from __future__ import annotations

import pytest
from fixed_time import NOW

from cognito_jwt import UnknownKeyError
from cognito_jwt._keys import parse_jwks
from cognito_jwt.testing import FakeCognitoPool, ManualClock


@pytest.mark.parametrize("good_first", [True, False])
def test_kid_listed_twice_is_unusable_whatever_the_order(
    pool: FakeCognitoPool, good_first: bool
) -> None:
    """A kid listed twice is unusable, whichever of its keys comes first
    (fixed in 8a0955d, found by an adversarial review of the core)."""
    good = next(k for k in pool.jwks["keys"] if k["kid"] == pool.id_kid)
    bad = {**good, "use": "enc"}  # same kid, a key that cannot verify
    keys = [good, bad] if good_first else [bad, good]
    keyset = parse_jwks({"keys": keys})
    assert pool.id_kid not in keyset.keys
    assert keyset.unusable[pool.id_kid] == "kid appears more than once in the JWKS"
    other = next(k for k in pool.jwks["keys"] if k["kid"] != pool.id_kid)
    verifier = pool.verifier(token_use="id", clock=ManualClock(NOW), jwks={"keys": [*keys, other]})
    with pytest.raises(UnknownKeyError) as info:
        verifier.verify(pool.id_token(now=NOW))
    assert info.value.reason == "unusable_key"
