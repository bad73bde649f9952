"""The test kit's machine-to-machine token has the shape Amazon Cognito gives one.

The claim set is pinned by a committed fixture (names and equalities only),
and the fixture itself is checked against a client-credentials token Cognito
really issued (``../shared/real-cognito-tokens``, skipped when absent).  The
kit's token and the real one are then refused by the same checks, the way a
user's verifier configured for ID tokens or for a group would refuse them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fixed_time import NOW

from cognito_jwt import (
    CognitoJwtError,
    CognitoJwtVerifier,
    InvalidTokenUseError,
    MissingGroupError,
    MissingScopeError,
)
from cognito_jwt.testing import FakeCognitoPool

SHAPE = json.loads(
    (
        Path(__file__).resolve().parents[1]
        / "fixtures"
        / "token_shapes"
        / "cognito_client_credentials_access.json"
    ).read_text()
)


def _real_token_path() -> Path | None:
    """The real client-credentials token beside the checkout, found from any depth (worktrees)."""
    name = "octopus-content-team-apps-access.json"
    for parent in Path(__file__).resolve().parents[1:]:
        candidate = parent / "shared" / "real-cognito-tokens" / name
        if candidate.is_file():
            return candidate
    return None


REAL = _real_token_path()
needs_real = pytest.mark.skipif(REAL is None, reason="no real Cognito tokens beside the checkout")


def _payload(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


def _real_sample() -> dict[str, Any]:
    assert REAL is not None
    sample: dict[str, Any] = json.loads(REAL.read_text())
    return sample


def _assert_has_the_shape(claims: dict[str, Any]) -> None:
    assert sorted(claims) == SHAPE["claims"]
    for left, right in SHAPE["equal"]:
        assert claims[left] == claims[right], (left, right)


@needs_real
def test_the_committed_shape_is_the_real_client_credentials_tokens() -> None:
    _assert_has_the_shape(_payload(_real_sample()["token"]))


def test_the_kit_m2m_token_has_exactly_the_committed_claim_set(pool: FakeCognitoPool) -> None:
    claims = _payload(pool.client_credentials_token(now=NOW))
    _assert_has_the_shape(claims)
    assert claims["client_id"] == pool.client_id
    assert claims["token_use"] == "access"
    assert claims["iat"] == NOW
    assert claims["exp"] == NOW + 3600


@needs_real
def test_the_kit_m2m_token_has_the_real_tokens_value_types(pool: FakeCognitoPool) -> None:
    real = _payload(_real_sample()["token"])
    kit = _payload(pool.client_credentials_token(now=NOW))
    assert {name: type(value) for name, value in kit.items()} == {
        name: type(value) for name, value in real.items()
    }
    assert kit["version"] == real["version"]


def test_client_id_names_the_client_in_both_client_id_and_sub(pool: FakeCognitoPool) -> None:
    claims = _payload(pool.client_credentials_token(client_id="machine0123", now=NOW))
    assert (claims["client_id"], claims["sub"]) == ("machine0123", "machine0123")


def test_scopes_are_joined_with_spaces_and_overrides_apply(pool: FakeCognitoPool) -> None:
    claims = _payload(
        pool.client_credentials_token(scopes=["orders/read", "orders/write"], jti=None, now=NOW)
    )
    assert claims["scope"] == "orders/read orders/write"
    assert "jti" not in claims


# -- the kit's token and the real one, refused alike -------------------------

Verify = Callable[..., dict[str, Any]]


def _kit_verify(**options: Any) -> dict[str, Any]:
    pool = FakeCognitoPool()
    token = pool.client_credentials_token(scopes=["audit.content-team/admin"], now=NOW)
    options.setdefault("token_use", "access")
    return pool.verifier(clock=lambda: NOW + 60, **options).verify(token)


def _real_verify(**options: Any) -> dict[str, Any]:
    sample = _real_sample()
    options.setdefault("token_use", "access")
    verifier = CognitoJwtVerifier(
        user_pool_id=sample["user_pool_id"],
        client_id=sample["client_id"],
        jwks=sample["jwks"],
        clock=lambda: sample["iat"] + 60,
        **options,
    )
    return verifier.verify(sample["token"])


SOURCES = [
    pytest.param(_kit_verify, id="kit"),
    pytest.param(_real_verify, id="real", marks=needs_real),
]


@pytest.mark.parametrize("verify", SOURCES)
def test_an_access_token_verifier_accepts_the_m2m_token(verify: Verify) -> None:
    claims = verify(scopes="audit.content-team/admin")
    assert claims["sub"] == claims["client_id"]
    assert "username" not in claims


@pytest.mark.parametrize(
    ("options", "error", "reason"),
    [
        ({"token_use": "id"}, InvalidTokenUseError, "wrong_token_use"),
        ({"groups": "admin"}, MissingGroupError, "missing_group"),
        ({"scopes": "audit.content-team/read"}, MissingScopeError, "missing_scope"),
    ],
    ids=["id-token-verifier", "groups-required", "other-scope-required"],
)
@pytest.mark.parametrize("verify", SOURCES)
def test_the_m2m_token_is_refused_as_the_real_one_is(
    verify: Verify, options: dict[str, Any], error: type[CognitoJwtError], reason: str
) -> None:
    with pytest.raises(error) as caught:
        verify(**options)
    assert caught.value.reason == reason
