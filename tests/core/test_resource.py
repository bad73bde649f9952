"""`CognitoJwtVerifier(resource=...)`: access tokens bound to a resource (RFC 8707).

Every rejection is a real signed access token wrong in exactly one way, with
class and reason asserted."""

from __future__ import annotations

from typing import Any

import pytest
from fixed_time import NOW, clock
from hypothesis import given
from hypothesis import strategies as st

from cognito_jwt import (
    CognitoJwtError,
    CognitoJwtVerifier,
    ConfigurationError,
    InvalidAudienceError,
    InvalidTokenUseError,
    MissingClaimError,
    MultiIssuerVerifier,
)
from cognito_jwt.testing import FakeCognitoPool, resource_bound_access_token

API = "https://api.example.com"
ORDERS = "https://orders.example.com"


def bound_verifier(pool: FakeCognitoPool, **kwargs: Any) -> CognitoJwtVerifier:
    kwargs.setdefault("resource", API)
    return pool.verifier(token_use="access", clock=clock, **kwargs)


def expect(verifier: Any, token: str, error: type[CognitoJwtError], reason: str) -> None:
    with pytest.raises(error) as info:
        verifier.verify(token)
    assert info.value.reason == reason, info.value


def test_access_token_bound_to_the_resource_verifies(pool: FakeCognitoPool) -> None:
    token = resource_bound_access_token(pool, API, now=NOW)
    claims = bound_verifier(pool).verify(token)
    assert claims["aud"] == API
    assert claims["client_id"] == pool.client_id


def test_aud_list_holding_one_configured_resource_verifies(pool: FakeCognitoPool) -> None:
    token = resource_bound_access_token(pool, [ORDERS, API], now=NOW)
    assert bound_verifier(pool).verify(token)["aud"] == [ORDERS, API]


def test_any_of_several_configured_resources_verifies(pool: FakeCognitoPool) -> None:
    token = resource_bound_access_token(pool, ORDERS, now=NOW)
    assert bound_verifier(pool, resource=[API, ORDERS]).verify(token)


def test_without_resource_nothing_changes(pool: FakeCognitoPool) -> None:
    verifier = pool.verifier(token_use="access", clock=clock)
    assert verifier.verify(pool.access_token(now=NOW))
    assert verifier.verify(resource_bound_access_token(pool, "https://anything", now=NOW))


def test_token_without_aud_is_rejected(pool: FakeCognitoPool) -> None:
    expect(bound_verifier(pool), pool.access_token(now=NOW), MissingClaimError, "missing_aud")


def test_client_credentials_token_carries_no_aud_and_is_rejected(pool: FakeCognitoPool) -> None:
    m2m = pool.access_token(now=NOW, username=None, sub=pool.client_id, scopes=["svc/read"])
    expect(bound_verifier(pool), m2m, MissingClaimError, "missing_aud")


@pytest.mark.parametrize(
    "aud",
    [
        "https://other.example.com",
        API + "/",  # exact match only
        API.upper(),
        ["https://other.example.com"],
        [],
        [API, 7],  # a list must hold only strings
        7,
        {"resource": API},
    ],
)
def test_aud_not_naming_a_configured_resource_is_rejected(
    pool: FakeCognitoPool, aud: object
) -> None:
    token = pool.access_token(now=NOW, aud=aud)
    expect(bound_verifier(pool), token, InvalidAudienceError, "invalid_audience")


def test_client_id_is_still_checked_next_to_the_resource(pool: FakeCognitoPool) -> None:
    token = resource_bound_access_token(pool, API, now=NOW, client_id="another-client")
    expect(bound_verifier(pool), token, InvalidAudienceError, "invalid_client_id")


def test_id_token_is_still_refused_by_an_access_verifier(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW, aud=API)
    expect(bound_verifier(pool), token, InvalidTokenUseError, "wrong_token_use")


def test_resource_binding_holds_through_multi_issuer_routing(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool
) -> None:
    multi = MultiIssuerVerifier(
        [bound_verifier(pool), other_pool.verifier(token_use="access", clock=clock)]
    )
    assert multi.verify(resource_bound_access_token(pool, API, now=NOW))
    assert multi.verify(other_pool.access_token(now=NOW))
    expect(multi, pool.access_token(now=NOW), MissingClaimError, "missing_aud")


def test_resource_binding_holds_on_a_token_cache_hit(pool: FakeCognitoPool) -> None:
    verifier = bound_verifier(pool)
    good = resource_bound_access_token(pool, API, now=NOW)
    bad = resource_bound_access_token(pool, ORDERS, now=NOW)
    for _ in range(3):
        assert verifier.verify(good)
        expect(verifier, bad, InvalidAudienceError, "invalid_audience")


@pytest.mark.parametrize("token_use", ["id", None])
def test_resource_needs_an_access_token_verifier(
    pool: FakeCognitoPool, token_use: str | None
) -> None:
    with pytest.raises(ConfigurationError):
        pool.verifier(token_use=token_use, resource=API)


@pytest.mark.parametrize("resource", ["", [], [""], [API, 3], 5])
def test_empty_or_non_string_resource_is_a_configuration_error(
    pool: FakeCognitoPool, resource: object
) -> None:
    with pytest.raises(ConfigurationError):
        pool.verifier(token_use="access", resource=resource)


@given(
    configured=st.sets(st.sampled_from([API, ORDERS, "urn:r1", "urn:r2"]), min_size=1),
    aud=st.one_of(
        st.sampled_from([API, ORDERS, "urn:r1", "urn:r2", "urn:other"]),
        st.lists(st.sampled_from([API, ORDERS, "urn:r1", "urn:r2", "urn:other"]), max_size=3),
    ),
)
def test_accepts_exactly_when_aud_names_a_configured_resource(
    configured: set[str], aud: str | list[str]
) -> None:
    pool = FakeCognitoPool()
    verifier = bound_verifier(pool, resource=sorted(configured), cache_size=0)
    token = resource_bound_access_token(pool, aud, now=NOW)
    model = (aud in configured) if isinstance(aud, str) else any(a in configured for a in aud)
    try:
        verifier.verify(token)
        accepted = True
    except InvalidAudienceError:
        accepted = False
    assert accepted == model
