"""`cognito_jwt.http` answers a step-up refusal with the RFC 9470 challenge.

The challenge is read back with Werkzeug's `WWW-Authenticate` parser, an
implementation of the header's grammar that is not ours.  Whether the demand is
the verifier's or a route's (`require(...)`), and whatever the route combines
it with, the answer is a 401 naming what sign-in to obtain.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from fixed_time import NOW, clock
from werkzeug.datastructures import WWWAuthenticate

from cognito_jwt import CognitoJwtVerifier, ConfigurationError
from cognito_jwt import http as http_answer
from cognito_jwt.testing import FakeCognitoPool, ManualClock, step_up_claims

POOL = FakeCognitoPool()
LOA = [f"urn:cognito:loa:{n}" for n in range(1, 5)]
VERIFIER = POOL.verifier(token_use="id", clock=clock)
STEP_UP = "insufficient_user_authentication"


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_in(level: int | None = None, *, ago: int = 0, **claims: Any) -> str:
    extra = step_up_claims(level, ["pwd", "otp", "mfa"]) if level is not None else {}
    return POOL.id_token(now=NOW, auth_time=NOW - ago, **extra, **claims)


def rejected(call: Any) -> http_answer.Rejection:
    with pytest.raises(http_answer.Rejection) as info:
        call()
    return info.value


def challenge(rejection: http_answer.Rejection) -> dict[str, str | None]:
    parsed = WWWAuthenticate.from_header(rejection.headers["WWW-Authenticate"])
    assert parsed is not None
    assert parsed.type == "bearer"
    return dict(parsed.parameters)


# -- the challenge -----------------------------------------------------------------------------


def test_a_route_demand_not_met_is_answered_with_the_rfc_9470_challenge() -> None:
    found = rejected(
        lambda: http_answer.authenticate(
            VERIFIER, headers(signed_in(1)), min_acr_level=2, max_auth_age=300
        )
    )
    assert found.status_code == 401
    assert found.reason == STEP_UP
    assert found.body == {"error": STEP_UP, "reason": STEP_UP}
    assert challenge(found) == {
        "error": STEP_UP,
        "error_description": STEP_UP,
        "acr_values": " ".join(LOA[1:]),
        "max_age": "300",
    }


def test_the_exact_header_keeps_rfc_9470s_parameters_after_the_error() -> None:
    found = rejected(
        lambda: http_answer.authenticate(
            VERIFIER, headers(signed_in(2)), acr_values=[LOA[3], LOA[2]]
        )
    )
    assert found.headers == {
        "WWW-Authenticate": f'Bearer error="{STEP_UP}", error_description="{STEP_UP}", '
        f'acr_values="{LOA[3]} {LOA[2]}"'
    }


def test_a_verifier_demand_not_met_gets_the_same_answer() -> None:
    demanding = POOL.verifier(token_use="id", clock=clock, max_auth_age=60)
    found = rejected(lambda: http_answer.authenticate(demanding, headers(signed_in(ago=61))))
    assert (found.status_code, found.reason) == (401, STEP_UP)
    assert challenge(found)["max_age"] == "60"
    assert "acr_values" not in challenge(found)


def test_a_token_without_acr_or_auth_time_fails_closed() -> None:
    no_level = rejected(
        lambda: http_answer.authenticate(VERIFIER, headers(signed_in()), min_acr_level=1)
    )
    assert challenge(no_level)["acr_values"] == " ".join(LOA)
    no_time = POOL.id_token(now=NOW, auth_time=None, **step_up_claims(4))
    found = rejected(
        lambda: http_answer.authenticate(VERIFIER, headers(no_time), max_auth_age=3600)
    )
    assert (found.status_code, found.reason) == (401, STEP_UP)


@pytest.mark.parametrize(
    "demand",
    [
        {"min_acr_level": 2},
        {"acr_values": LOA[2]},
        {"max_auth_age": 300},
        {"min_acr_level": 3, "max_auth_age": 300},
    ],
)
def test_a_sign_in_that_meets_a_route_demand_passes(demand: dict[str, Any]) -> None:
    claims = http_answer.authenticate(VERIFIER, headers(signed_in(3, ago=300)), **demand)
    assert claims["acr"] == LOA[2]


def test_the_age_is_measured_by_the_verifiers_clock() -> None:
    moving = ManualClock(NOW)
    verifier = POOL.verifier(token_use="id", clock=moving)
    token = signed_in(3)
    need = http_answer.require(max_auth_age=300)
    assert http_answer.authenticate(verifier, headers(token), requirement=need)["acr"] == LOA[2]
    moving.advance(301)  # the token is remembered: the age is judged on the hit too
    found = rejected(lambda: http_answer.authenticate(verifier, headers(token), requirement=need))
    assert found.reason == STEP_UP
    assert http_answer.authorize(
        verifier.verify(token), http_answer.require(max_auth_age=301), verifier=verifier
    )


def test_the_async_answer_is_the_same() -> None:
    call = http_answer.authenticate_async(VERIFIER, headers(signed_in(1)), min_acr_level=2)
    found = rejected(lambda: asyncio.run(call))
    assert (found.status_code, found.reason) == (401, STEP_UP)
    assert challenge(found)["acr_values"] == " ".join(LOA[1:])


# -- combined with groups and scopes -----------------------------------------------------------


def test_a_step_up_and_a_group_both_hold_in_one_requirement() -> None:
    need = http_answer.require(groups="admin", min_acr_level=2)
    admin_weak = signed_in(1, groups=["admin"])
    found = rejected(
        lambda: http_answer.authenticate(VERIFIER, headers(admin_weak), requirement=need)
    )
    assert found.reason == STEP_UP
    strong_outsider = signed_in(3)
    found = rejected(
        lambda: http_answer.authenticate(VERIFIER, headers(strong_outsider), requirement=need)
    )
    assert (found.status_code, found.reason) == (403, "missing_group")
    passed = http_answer.authenticate(
        VERIFIER, headers(signed_in(3, groups=["admin"])), requirement=need
    )
    assert passed["cognito:groups"] == ["admin"]


def test_any_of_a_stepped_up_sign_in_or_a_group() -> None:
    need = http_answer.any_of(
        http_answer.require(min_acr_level=3), http_answer.require(groups="support")
    )
    assert http_answer.authenticate(VERIFIER, headers(signed_in(3)), requirement=need)
    assert http_answer.authenticate(
        VERIFIER, headers(signed_in(1, groups=["support"])), requirement=need
    )
    found = rejected(
        lambda: http_answer.authenticate(VERIFIER, headers(signed_in(1)), requirement=need)
    )
    # Both branches fail: the 403 (the group) outweighs the 401 (the step-up).
    assert (found.status_code, found.reason) == (403, "missing_group")


# -- wiring slips --------------------------------------------------------------------------------

SLIPS = [
    (
        "a requirement and a step-up option",
        {"requirement": http_answer.require(), "max_auth_age": 60},
    ),
    ("a renamed level as minimum", {"min_acr_level": "gold"}),
    ("both acr_values and a minimum", {"acr_values": LOA[2], "min_acr_level": 2}),
    ("a max age of zero", {"max_auth_age": 0}),
    ("an acr value with a quote", {"acr_values": ['x"y']}),
]


@pytest.mark.parametrize("options", [row[1] for row in SLIPS], ids=[row[0] for row in SLIPS])
def test_a_step_up_requirement_wired_wrong_is_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        http_answer.authenticate(VERIFIER, headers(signed_in(3)), **options)


# -- a token Cognito really issued ---------------------------------------------------------------


def _real_step_up_sample() -> dict[str, Any] | None:
    """AWS's step-up sample ID token (../shared/real-cognito-tokens), or `None`."""
    for parent in Path(__file__).resolve().parents:
        path = parent / "shared" / "real-cognito-tokens" / "aws-samples-step-up-auth-id.json"
        if path.is_file():
            sample: dict[str, Any] = json.loads(path.read_text())
            return sample
    return None


def test_a_real_cognito_token_meets_an_age_route_and_fails_a_level_route() -> None:
    sample = _real_step_up_sample()
    if sample is None:
        pytest.skip("no real Cognito tokens")
    verifier = CognitoJwtVerifier(
        user_pool_id=sample["user_pool_id"],
        token_use="id",
        client_id=sample["client_id"],
        jwks=sample["jwks"],
        clock=lambda: sample["iat"] + 60,
    )
    request = headers(sample["token"])
    assert http_answer.authenticate(verifier, request, max_auth_age=60)["auth_time"]
    demands: list[dict[str, Any]] = [{"max_auth_age": 59}, {"min_acr_level": 1}]
    for demand in demands:
        found = rejected(lambda: http_answer.authenticate(verifier, request, **demand))  # noqa: B023
        assert (found.status_code, found.reason) == (401, STEP_UP)
