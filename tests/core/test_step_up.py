"""Step-up authentication: `acr`, `amr` and `auth_time` checked as the verifier is told.

Every rule is pinned with a real signed token (the test kit's) wrong in
exactly one way, asserting the error's class and `reason`; every setting a
user can get wrong is a row of the configuration table.
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
    ConfigurationError,
    InsufficientUserAuthenticationError,
    InvalidClaimError,
    InvalidTokenError,
    JwtVerifier,
    MultiIssuerVerifier,
)
from cognito_jwt.testing import FakeCognitoPool, ManualClock, step_up_claims

POOL = FakeCognitoPool()
LOA = [f"urn:cognito:loa:{n}" for n in range(1, 5)]
#: What a sign-in at level 3 looks like in a Cognito ID token (AWS's examples).
STRONG: dict[str, Any] = {"acr": LOA[2], "amr": ["pwd", "otp", "mfa"]}


def token(**claims: Any) -> str:
    """An ID token issued and signed at `NOW`, the user signed in then too."""
    return POOL.id_token(now=NOW, **{**STRONG, **claims})


def verifier(**options: Any) -> CognitoJwtVerifier:
    return POOL.verifier(token_use="id", clock=clock, **options)


def refusal(verify: Any, value: str) -> CognitoJwtError:
    with pytest.raises(CognitoJwtError) as info:
        verify(value)
    return info.value


# -- the rules, one real token wrong in one way each -------------------------------------------

#: Stands for a JSON `null` (the kit reads `None` as "remove the claim").
NULL = object()

#: The two answers a step-up rule gives: not met, and a claim of the wrong type.
STEP = (InsufficientUserAuthenticationError, "insufficient_user_authentication")
TYPE = (InvalidClaimError, "invalid_claim_type")

WRONG_ONE_WAY: list[tuple[str, dict[str, Any], dict[str, Any], type[CognitoJwtError], str]] = [
    # (id, verifier options, token claims, error class, reason)
    ("acr absent", {"acr_values": LOA[2]}, {"acr": None}, *STEP),
    ("acr not listed", {"acr_values": [LOA[2]]}, {"acr": LOA[3]}, *STEP),
    ("acr below the minimum", {"min_acr_level": 3}, {"acr": LOA[1]}, *STEP),
    ("acr renamed by the pool", {"min_acr_level": 1}, {"acr": "gold"}, *STEP),
    ("acr differs in case", {"acr_values": LOA[2]}, {"acr": LOA[2].upper()}, *STEP),
    ("auth_time absent", {"max_auth_age": 300}, {"auth_time": None}, *STEP),
    ("sign-in too old", {"max_auth_age": 300}, {"auth_time": NOW - 301}, *STEP),
    (
        "auth_time in milliseconds",
        {"max_auth_age": 300},
        {"auth_time": NOW * 1000},
        InvalidClaimError,
        "invalid_auth_time",
    ),
    ("auth_time a string", {"max_auth_age": 300}, {"auth_time": str(NOW)}, *TYPE),
    ("acr a list", {}, {"acr": [LOA[2]]}, *TYPE),
    ("acr null", {}, {"acr": NULL}, *TYPE),
    ("acr a number", {"min_acr_level": 1}, {"acr": 3}, *TYPE),
    ("amr a string", {}, {"amr": "mfa"}, *TYPE),
    ("amr null", {}, {"amr": NULL}, *TYPE),
    ("amr holding a number", {}, {"amr": ["pwd", 2]}, *TYPE),
    ("amr an object", {}, {"amr": {"mfa": True}}, *TYPE),
]


def _signed(claims: dict[str, Any]) -> str:
    """`token(**claims)`, where a `NULL` value is signed as JSON `null`."""
    nulls = [name for name, value in claims.items() if value is NULL]
    value = token(**{name: v for name, v in claims.items() if v is not NULL})
    if not nulls:
        return value
    body = json.loads(base64.urlsafe_b64decode(value.split(".")[1] + "=="))
    body.update(dict.fromkeys(nulls))
    return POOL.sign(body, {"kid": POOL.id_kid, "alg": "RS256"})


@pytest.mark.parametrize(
    ("options", "claims", "error", "reason"),
    [row[1:] for row in WRONG_ONE_WAY],
    ids=[row[0] for row in WRONG_ONE_WAY],
)
def test_a_token_wrong_in_one_way_is_refused_with_its_reason(
    options: dict[str, Any], claims: dict[str, Any], error: type[CognitoJwtError], reason: str
) -> None:
    value = _signed(claims)
    found = refusal(verifier(**options).verify, value)
    assert type(found) is error
    assert found.reason == reason
    assert found.status_code == 401
    # The same token without the one fault passes the same verifier.
    assert verifier(**options).verify(token())["acr"] == LOA[2]


@pytest.mark.parametrize(
    "options",
    [
        {"acr_values": LOA[2]},
        {"acr_values": [LOA[3], LOA[2]]},
        {"min_acr_level": 3},
        {"min_acr_level": LOA[1]},
        {"max_auth_age": 300},
        {"min_acr_level": 2, "max_auth_age": 1},
    ],
)
def test_a_sign_in_that_meets_the_demand_passes(options: dict[str, Any]) -> None:
    claims = verifier(**options).verify(token())
    assert claims["acr"] == LOA[2]
    assert claims["amr"] == ["pwd", "otp", "mfa"]


def test_the_age_is_now_minus_auth_time_by_the_verifiers_clock_inclusive() -> None:
    at_limit = token(auth_time=NOW - 300)
    assert verifier(max_auth_age=300).verify(at_limit)["auth_time"] == NOW - 300
    found = refusal(verifier(max_auth_age=299).verify, at_limit)
    assert isinstance(found, InsufficientUserAuthenticationError)


def test_a_refreshed_token_is_as_old_as_its_sign_in_not_its_issue() -> None:
    """A token refreshed at `NOW` from a sign-in an hour ago carries the old `auth_time`."""
    refreshed = POOL.id_token(now=NOW, auth_time=NOW - 3600, **STRONG)
    found = refusal(verifier(max_auth_age=600).verify, refreshed)
    assert found.reason == "insufficient_user_authentication"
    assert "auth_time" in found.message


def test_the_error_carries_what_the_challenge_needs() -> None:
    found = refusal(verifier(min_acr_level=4, max_auth_age=120).verify, token())
    assert isinstance(found, InsufficientUserAuthenticationError)
    assert found.acr_values == (LOA[3],)
    assert found.max_age == 120
    assert "expected 'urn:cognito:loa:4', found 'urn:cognito:loa:3'" in found.message
    # It is a 401 like every InvalidTokenError, so whatever answers those answers it.
    assert isinstance(found, InvalidTokenError)


def test_acr_values_keep_the_order_given_and_a_minimum_lists_the_weakest_first() -> None:
    found = refusal(verifier(acr_values=["b", "a", "b"]).verify, token())
    assert isinstance(found, InsufficientUserAuthenticationError)
    assert found.acr_values == ("b", "a")
    found = refusal(verifier(min_acr_level=4, max_auth_age=None).verify, token(acr=None))
    assert isinstance(found, InsufficientUserAuthenticationError)
    assert (found.acr_values, found.max_age) == ((LOA[3],), None)


def test_the_message_names_the_rule_and_never_the_token() -> None:
    value = token(auth_time=NOW - 4000)
    found = refusal(verifier(max_auth_age=300).verify, value)
    assert value not in str(found)
    assert found.message.startswith("claim auth_time: expected at or after")


def test_claims_are_attached_only_when_asked() -> None:
    found = refusal(verifier(min_acr_level=4, include_claims_in_errors=True).verify, token())
    assert found.claims is not None
    assert found.claims["acr"] == LOA[2]
    assert refusal(verifier(min_acr_level=4).verify, token()).claims is None


def test_access_tokens_are_held_to_the_same_rules() -> None:
    """AWS documents `acr`/`amr` on the ID token; an access token without them fails closed."""
    access = POOL.verifier(token_use="access", clock=clock, min_acr_level=1)
    found = refusal(access.verify, POOL.access_token(now=NOW))
    assert found.reason == "insufficient_user_authentication"
    assert access.verify(POOL.access_token(now=NOW, acr=LOA[0]))["acr"] == LOA[0]


# -- the verified-token cache: the age rule depends on now -------------------------------------


@pytest.mark.parametrize("auth_time", [NOW, NOW - 100, NOW + 30])
def test_a_remembered_token_is_refused_the_moment_its_sign_in_grows_too_old(
    auth_time: int,
) -> None:
    moving = ManualClock(NOW)
    checked = POOL.verifier(token_use="id", clock=moving, max_auth_age=300)
    value = token(auth_time=auth_time)
    checked.verify(value)
    assert value in checked._token_cache  # type: ignore[operator]
    moving.now = auth_time + 300
    assert checked.verify(value)["auth_time"] == auth_time  # a hit, still young enough
    moving.now = auth_time + 300.5
    found = refusal(checked.verify, value)
    assert type(found) is InsufficientUserAuthenticationError
    assert value not in checked._token_cache  # type: ignore[operator]


def test_a_remembered_token_with_a_float_auth_time_is_judged_on_every_hit() -> None:
    moving = ManualClock(NOW)
    checked = POOL.verifier(token_use="id", clock=moving, max_auth_age=300)
    value = token(auth_time=NOW - 0.5)
    checked.verify(value)
    checked.verify(value)
    moving.advance(300)
    assert refusal(checked.verify, value).reason == "insufficient_user_authentication"


def test_without_step_up_a_hit_stays_as_cheap_as_before() -> None:
    """No demand, no narrowing: the window is the time rule's own."""
    moving = ManualClock(NOW)
    plain = POOL.verifier(token_use="id", clock=moving)
    value = token(auth_time=NOW - 10_000)
    plain.verify(value)
    moving.advance(3000)
    assert plain.verify(value)["auth_time"] == NOW - 10_000


# -- other verifier kinds ----------------------------------------------------------------------


def test_each_issuer_of_a_multi_issuer_verifier_keeps_its_own_demand() -> None:
    other = FakeCognitoPool("eu-west-1_OtherPool", "otherclient")
    multi = MultiIssuerVerifier(
        [
            verifier(min_acr_level=4),
            other.verifier(token_use="id", clock=clock),
        ]
    )
    assert refusal(multi.verify, token()).reason == "insufficient_user_authentication"
    assert multi.verify(other.id_token(now=NOW))["aud"] == "otherclient"


def test_a_generic_oidc_verifier_takes_acr_values_and_max_auth_age() -> None:
    generic = JwtVerifier(
        issuer=POOL.issuer,
        audience=POOL.client_id,
        jwks=POOL.jwks,
        clock=clock,
        acr_values=["urn:example:gold"],
        max_auth_age=60,
    )
    assert refusal(generic.verify, token()).reason == "insufficient_user_authentication"
    passed = generic.verify(token(acr="urn:example:gold", auth_time=NOW - 60))
    assert passed["acr"] == "urn:example:gold"


# -- configuration: every slip refused when the verifier is built ------------------------------

SLIPS = [
    ("both acr_values and min_acr_level", {"acr_values": LOA[2], "min_acr_level": 2}, "both"),
    ("a renamed level as minimum", {"min_acr_level": "gold"}, "acr_values=[...]"),
    ("a level above 4", {"min_acr_level": 5}, "1-4"),
    ("level 0", {"min_acr_level": 0}, "1-4"),
    ("a level as bool", {"min_acr_level": True}, "1-4"),
    ("a level as float", {"min_acr_level": 2.0}, "1-4"),
    ("a level name of no default level", {"min_acr_level": "urn:cognito:loa:5"}, "1-4"),
    ("a level as digit string", {"min_acr_level": "2"}, "1-4"),
    ("an empty list of acr values", {"acr_values": []}, "at least one"),
    ("an empty acr value", {"acr_values": [""]}, "AcrValueType"),
    ("an acr value with a space", {"acr_values": ["loa 3"]}, "AcrValueType"),
    ("an acr value with a quote", {"acr_values": ['a"b']}, "AcrValueType"),
    ("an acr value with a backslash", {"acr_values": ["a\\b"]}, "AcrValueType"),
    ("an acr value over 64 characters", {"acr_values": ["x" * 65]}, "AcrValueType"),
    ("an acr value that is a number", {"acr_values": [3]}, "AcrValueType"),
    ("acr values as bytes", {"acr_values": b"urn:cognito:loa:3"}, "a list of strings"),
    ("acr values as a dict", {"acr_values": {LOA[2]: 1}}, "a list of strings"),
    ("a max age of 0", {"max_auth_age": 0}, ">= 1"),
    ("a negative max age", {"max_auth_age": -5}, ">= 1"),
    ("a max age in float seconds", {"max_auth_age": 1.5}, "whole seconds"),
    ("a max age as bool", {"max_auth_age": True}, "whole seconds"),
    ("a max age as string", {"max_auth_age": "300"}, "whole seconds"),
]


@pytest.mark.parametrize(
    ("options", "says"), [row[1:] for row in SLIPS], ids=[row[0] for row in SLIPS]
)
def test_a_step_up_setting_wired_wrong_is_refused_at_construction(
    options: dict[str, Any], says: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        verifier(**options)
    assert says in info.value.message


def test_a_set_of_acr_values_is_accepted_in_a_fixed_order() -> None:
    found = refusal(verifier(acr_values={"b", "a"}).verify, token())
    assert isinstance(found, InsufficientUserAuthenticationError)
    assert found.acr_values == ("a", "b")


# -- the test kit ------------------------------------------------------------------------------


def test_the_kit_writes_step_up_claims_as_cognito_does() -> None:
    assert step_up_claims(2, ["pwd", "otp", "mfa"], auth_time=NOW - 5) == {
        "acr": "urn:cognito:loa:2",
        "amr": ["pwd", "otp", "mfa"],
        "auth_time": NOW - 5,
    }
    assert step_up_claims("gold") == {"acr": "gold", "amr": ["pwd"]}
    minted = verifier().verify(POOL.id_token(now=NOW, **step_up_claims(4, ["pwd", "otp"])))
    assert (minted["acr"], minted["amr"], minted["auth_time"]) == (LOA[3], ["pwd", "otp"], NOW)


def test_the_kits_tokens_carry_no_level_unless_asked_like_real_ones() -> None:
    claims = verifier().verify(POOL.id_token(now=NOW))
    assert "acr" not in claims
    assert "amr" not in claims
    assert claims["auth_time"] == claims["iat"] == NOW


@pytest.mark.parametrize(("level", "error"), [(0, ValueError), (5, ValueError), (2.0, TypeError)])
def test_the_kit_refuses_a_level_cognito_has_not(level: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        step_up_claims(level)


def test_a_verifier_says_the_oldest_sign_in_it_accepts() -> None:
    """What a cache in front of it must not outlive (the Lambda authorizer reads it)."""
    assert verifier().max_auth_age is None
    assert verifier(min_acr_level=2).max_auth_age is None
    assert verifier(max_auth_age=300).max_auth_age == 300
    other = FakeCognitoPool("eu-west-1_OtherPool", "otherclient")
    multi = MultiIssuerVerifier(
        [verifier(max_auth_age=900), other.verifier(token_use="id", max_auth_age=60)]
    )
    assert multi.max_auth_age == 60


def test_the_error_names_the_rfc_9470_challenge_parameters() -> None:
    found = refusal(verifier(min_acr_level=3, max_auth_age=120).verify, token(acr=LOA[0]))
    assert isinstance(found, InsufficientUserAuthenticationError)
    assert found.challenge_error == "insufficient_user_authentication"
    assert found.challenge_params == {"acr_values": f"{LOA[2]} {LOA[3]}", "max_age": "120"}
    aged = refusal(verifier(max_auth_age=60).verify, token(auth_time=NOW - 61))
    assert isinstance(aged, InsufficientUserAuthenticationError)
    assert aged.challenge_params == {"max_age": "60"}


def test_a_verifier_tells_the_time_by_the_clock_of_the_tokens_issuer() -> None:
    """What a demand checked after verification measures the age against."""
    other = FakeCognitoPool("eu-west-1_OtherPool", "otherclient")
    multi = MultiIssuerVerifier([verifier(), other.verifier(token_use="id", clock=lambda: NOW + 5)])
    assert multi.now() == NOW
    assert multi.now({"iss": other.issuer}) == NOW + 5
    assert multi.now({"iss": "https://elsewhere.example"}) == NOW
