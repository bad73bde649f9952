"""A Lambda authorizer over a verifier with a step-up demand: 401, and no cache to outlive an age.

The events are AWS's documented examples (tests/fixtures/authorizer_events).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fixed_time import NOW, clock

from cognito_jwt import ConfigurationError
from cognito_jwt.authorizer import Unauthorized, make_handler
from cognito_jwt.testing import FakeCognitoPool, ManualClock, step_up_claims

POOL = FakeCognitoPool()


def _fixture(name: str) -> dict[str, Any]:
    for parent in Path(__file__).resolve().parents:
        path = parent / "fixtures" / "authorizer_events" / name
        if path.is_file():
            event: dict[str, Any] = json.loads(path.read_text())
            return event
    raise FileNotFoundError(name)


TOKEN_EVENT = _fixture("rest-token.json")


def event(token: str) -> dict[str, Any]:
    made = copy.deepcopy(TOKEN_EVENT)
    made["authorizationToken"] = f"Bearer {token}"
    return made


@pytest.mark.parametrize("cache", ["per-token", "per-route"])
def test_an_age_demand_with_a_cache_is_refused_at_make_handler(cache: Any) -> None:
    aged = POOL.verifier(token_use="id", clock=clock, max_auth_age=300)
    with pytest.raises(ConfigurationError) as info:
        make_handler(aged, authorizer_cache=cache)
    assert "max_auth_age=300" in info.value.message
    assert "authorizer_cache='off'" in info.value.message


def test_an_age_demand_without_a_cache_answers_401_once_the_sign_in_is_too_old() -> None:
    moving = ManualClock(NOW)
    handler = make_handler(
        POOL.verifier(token_use="id", clock=moving, max_auth_age=300), authorizer_cache="off"
    )
    token = POOL.id_token(now=NOW)
    allowed = handler(event(token))
    assert allowed["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    moving.advance(301)
    with pytest.raises(Unauthorized):
        handler(event(token))


def test_an_acr_demand_is_cache_safe_and_a_weaker_sign_in_gets_401(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = make_handler(POOL.verifier(token_use="id", clock=clock, min_acr_level=2))
    strong = POOL.id_token(now=NOW, **step_up_claims(2, ["pwd", "otp", "mfa"]))
    assert handler(event(strong))["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    caplog.set_level("INFO", logger="cognito_jwt")
    with pytest.raises(Unauthorized):
        handler(event(POOL.id_token(now=NOW, **step_up_claims(1))))
    assert [r.reason for r in caplog.records] == ["insufficient_user_authentication"]  # type: ignore[attr-defined]
