"""Step-up demands against tokens Amazon Cognito really issued.

The tokens of AWS's step-up sample (github.com/aws-samples/step-up-auth) and
every other real token we hold carry `auth_time` but neither `acr` nor `amr`:
they predate Cognito's authentication levels, which AWS documents as rolling
out gradually and only for the Essentials and Plus plans.  So they verify with
a fixed clock, meet an age demand their `auth_time` satisfies, and fail closed
on every `acr` demand and on an age demand they are too old for.

The data lives outside this repository (../shared/real-cognito-tokens); the
tests skip when it is absent.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from cognito_jwt import CognitoJwtVerifier, InsufficientUserAuthenticationError


def _data_dir() -> Path:
    """`shared/real-cognito-tokens` beside the checkout, found from any depth (worktrees)."""
    for parent in Path(__file__).resolve().parents[1:]:
        candidate = parent / "shared" / "real-cognito-tokens"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parents[2] / "shared" / "real-cognito-tokens"


DATA = _data_dir()
STEP_UP = sorted(DATA.glob("aws-samples-step-up-auth-*.json")) if DATA.is_dir() else []
EVERY = sorted(DATA.glob("*.json")) if DATA.is_dir() else []

pytestmark = pytest.mark.skipif(not STEP_UP, reason=f"no real Cognito tokens at {DATA}")


def load(path: Path) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads(path.read_text())
    return sample


def payload(sample: dict[str, Any]) -> dict[str, Any]:
    body = sample["token"].split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return claims


def verifier_for(sample: dict[str, Any], **kwargs: Any) -> CognitoJwtVerifier:
    return CognitoJwtVerifier(
        user_pool_id=sample["user_pool_id"],
        token_use=sample["token_use"],
        client_id=sample["client_id"],
        jwks=sample["jwks"],
        clock=lambda: sample["iat"] + 60,
        **kwargs,
    )


@pytest.mark.parametrize("path", EVERY, ids=[p.stem for p in EVERY])
def test_no_real_token_we_hold_carries_acr_or_amr(path: Path) -> None:
    """What the kit's default tokens copy: a pool without authentication levels."""
    claims = payload(load(path))
    assert "acr" not in claims
    assert "amr" not in claims


@pytest.mark.parametrize("path", STEP_UP, ids=[p.stem for p in STEP_UP])
def test_the_step_up_samples_verify_and_meet_an_age_their_sign_in_satisfies(path: Path) -> None:
    sample = load(path)
    auth_time = payload(sample)["auth_time"]
    age = sample["iat"] + 60 - auth_time  # 60 s, or 63 for a token issued 3 s after sign-in
    claims = verifier_for(sample, max_auth_age=age).verify(sample["token"])
    assert claims["auth_time"] == auth_time
    assert claims["auth_time"] <= claims["iat"]


@pytest.mark.parametrize("path", STEP_UP, ids=[p.stem for p in STEP_UP])
def test_the_step_up_samples_fail_an_age_they_are_too_old_for(path: Path) -> None:
    sample = load(path)
    age = sample["iat"] + 60 - payload(sample)["auth_time"]
    with pytest.raises(InsufficientUserAuthenticationError) as info:
        verifier_for(sample, max_auth_age=age - 1).verify(sample["token"])
    assert info.value.reason == "insufficient_user_authentication"
    assert info.value.max_age == age - 1


@pytest.mark.parametrize(
    "demand",
    [
        {"min_acr_level": 1},
        {"min_acr_level": "urn:cognito:loa:2"},
        {"acr_values": ["urn:cognito:loa:1", "urn:cognito:loa:2"]},
    ],
    ids=["level 1", "level 2", "listed"],
)
@pytest.mark.parametrize("path", STEP_UP, ids=[p.stem for p in STEP_UP])
def test_the_step_up_samples_fail_closed_on_every_acr_demand(
    path: Path, demand: dict[str, Any]
) -> None:
    sample = load(path)
    with pytest.raises(InsufficientUserAuthenticationError) as info:
        verifier_for(sample, **demand).verify(sample["token"])
    assert info.value.reason == "insufficient_user_authentication"
    assert "claim acr: expected" in info.value.message
    assert info.value.message.endswith("found none")


def test_a_real_token_without_auth_time_fails_an_age_demand_closed() -> None:
    """Cognito's 2017 access tokens carried no `auth_time` at all."""
    old = [p for p in EVERY if "auth_time" not in payload(load(p))]
    if not old:
        pytest.skip("no real token without auth_time")
    sample = load(old[0])
    assert verifier_for(sample).verify(sample["token"])["sub"]
    with pytest.raises(InsufficientUserAuthenticationError) as info:
        verifier_for(sample, max_auth_age=3600).verify(sample["token"])
    assert "claim auth_time: expected at or after" in info.value.message
    assert info.value.message.endswith("found none")
