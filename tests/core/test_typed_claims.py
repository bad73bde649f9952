"""`id_token_claims` / `access_token_claims` narrow only what is true, and `ANY_CLIENT`.

Each refusal takes the claims a real verifier returned for a token wrong in
exactly one way (signed by the test kit, verified with `client_id=ANY_CLIENT`
where the fault is one the client check would otherwise catch first), and
asserts the error class and its reason.  `client_id=None` still means any
client, with a `DeprecationWarning`, until a release refuses it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import pytest
from fixed_time import NOW, clock

from cognito_jwt import (
    ANY_CLIENT,
    CognitoJwtError,
    CognitoJwtVerifier,
    ConfigurationError,
    InvalidClaimError,
    InvalidTokenUseError,
    JwtVerifier,
    MissingClaimError,
    access_token_claims,
    id_token_claims,
)
from cognito_jwt.integrations._common import verifier_from_settings
from cognito_jwt.testing import FakeCognitoPool


@pytest.fixture(scope="module")
def pool() -> FakeCognitoPool:
    return FakeCognitoPool()


def verified(pool: FakeCognitoPool, token: str, token_use: str | None = None) -> dict[str, Any]:
    """The claims a verifier of any client returns for `token`."""
    return pool.verifier(token_use=token_use, client_id=ANY_CLIENT, clock=clock).verify(token)


def test_an_id_token_narrows_to_the_same_dict(pool: FakeCognitoPool) -> None:
    claims = pool.verifier(token_use="id", clock=clock).verify(pool.id_token(now=NOW))
    person = id_token_claims(claims)
    assert person is claims
    assert person["aud"] == pool.client_id
    assert person["token_use"] == "id"


@pytest.mark.parametrize(
    "mint",
    [
        lambda p: p.access_token(now=NOW, scopes=["orders/read"]),
        lambda p: p.client_credentials_token(now=NOW, scopes=["orders/read"]),
    ],
    ids=["user", "machine-to-machine"],
)
def test_an_access_token_narrows_to_the_same_dict(
    pool: FakeCognitoPool, mint: Callable[[FakeCognitoPool], str]
) -> None:
    claims = pool.verifier(token_use="access", clock=clock).verify(mint(pool))
    grant = access_token_claims(claims)
    assert grant is claims
    assert grant["client_id"] == pool.client_id
    assert grant.get("scope") == "orders/read"


def test_a_read_only_mapping_is_copied_into_a_dict(pool: FakeCognitoPool) -> None:
    claims = verified(pool, pool.id_token(now=NOW))
    person = id_token_claims(MappingProxyType(claims))
    assert type(person) is dict
    assert person == claims


Slip = Callable[[FakeCognitoPool], dict[str, Any]]

#: One row per way the claims can fail to be what the type says: the claims, the
#: function asked, the error class and its reason.
SLIPS: list[tuple[str, Slip, Callable[[Any], Any], type[CognitoJwtError], str]] = [
    (
        "access-token-as-id",
        lambda p: verified(p, p.access_token(now=NOW)),
        id_token_claims,
        InvalidTokenUseError,
        "wrong_token_use",
    ),
    (
        "id-token-as-access",
        lambda p: verified(p, p.id_token(now=NOW)),
        access_token_claims,
        InvalidTokenUseError,
        "wrong_token_use",
    ),
    (
        "m2m-token-as-id",
        lambda p: verified(p, p.client_credentials_token(now=NOW, scopes=["orders/read"])),
        id_token_claims,
        InvalidTokenUseError,
        "wrong_token_use",
    ),
    (
        "id-token-without-aud",
        lambda p: verified(p, p.id_token(now=NOW, aud=None)),
        id_token_claims,
        MissingClaimError,
        "missing_aud",
    ),
    (
        "access-token-without-client_id",
        lambda p: verified(p, p.access_token(now=NOW, client_id=None)),
        access_token_claims,
        MissingClaimError,
        "missing_client_id",
    ),
    (
        "id-token-without-sub",
        lambda p: verified(p, p.id_token(now=NOW, sub=None)),
        id_token_claims,
        MissingClaimError,
        "missing_sub",
    ),
    (
        "access-token-without-iat",
        lambda p: verified(p, p.access_token(now=NOW, iat=None)),
        access_token_claims,
        MissingClaimError,
        "missing_iat",
    ),
    (
        "id-token-with-an-aud-list",
        lambda p: verified(p, p.id_token(now=NOW, aud=[p.client_id])),
        id_token_claims,
        InvalidClaimError,
        "invalid_claim_type",
    ),
    (
        "access-token-with-a-float-exp",
        lambda p: verified(p, p.access_token(now=NOW, exp=NOW + 3600.5)),
        access_token_claims,
        InvalidClaimError,
        "invalid_claim_type",
    ),
]


@pytest.mark.parametrize(
    ("claims_of", "narrow", "error", "reason"),
    [row[1:] for row in SLIPS],
    ids=[row[0] for row in SLIPS],
)
def test_claims_that_are_not_what_the_type_says_are_refused(
    pool: FakeCognitoPool,
    claims_of: Slip,
    narrow: Callable[[Any], Any],
    error: type[CognitoJwtError],
    reason: str,
) -> None:
    claims = claims_of(pool)  # the verifier accepted them
    with pytest.raises(error) as info:
        narrow(claims)
    assert info.value.reason == reason, info.value
    assert info.value.status_code == 401


def test_claims_without_token_use_are_refused(pool: FakeCognitoPool) -> None:
    """A generic OIDC verifier's claims: no token_use, so neither Cognito type holds."""
    generic = JwtVerifier(
        issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{pool.user_pool_id}",
        audience=pool.client_id,
        jwks=pool.jwks,
        clock=clock,
    )
    claims = generic.verify(pool.id_token(now=NOW, token_use=None))
    for narrow in (id_token_claims, access_token_claims):
        with pytest.raises(MissingClaimError) as info:
            narrow(claims)
        assert info.value.reason == "missing_token_use"


# -- ANY_CLIENT, and client_id=None on its way out ---------------------------------------------


def test_any_client_accepts_every_app_client_of_the_pool(pool: FakeCognitoPool) -> None:
    other = FakeCognitoPool(user_pool_id=pool.user_pool_id, client_id="another-client")
    other_keys = pool.verifier(token_use=None, client_id=ANY_CLIENT, jwks=other.jwks, clock=clock)
    assert other_keys.verify(other.id_token(now=NOW))["aud"] == "another-client"
    assert other_keys.verify(other.access_token(now=NOW))["client_id"] == "another-client"


def test_any_client_reads_as_its_name() -> None:
    assert repr(ANY_CLIENT) == str(ANY_CLIENT) == "ANY_CLIENT"


def test_client_id_none_still_means_any_client_with_a_deprecation_warning(
    pool: FakeCognitoPool,
) -> None:
    with pytest.warns(DeprecationWarning, match="client_id=cognito_jwt.ANY_CLIENT") as caught:
        verifier = CognitoJwtVerifier(
            user_pool_id=pool.user_pool_id,
            token_use="access",
            client_id=None,  # type: ignore[call-overload]
            jwks=pool.jwks,
            clock=clock,
        )
    assert caught[0].filename == __file__, "the warning points at the caller's line"
    token = pool.access_token(now=NOW, client_id="another-client")
    assert verifier.verify(token)["client_id"] == "another-client"


def test_any_client_raises_no_warning(pool: FakeCognitoPool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pool.verifier(token_use="id", client_id=ANY_CLIENT)


def test_a_missing_client_id_names_any_client_as_the_opt_out(pool: FakeCognitoPool) -> None:
    with pytest.raises(ConfigurationError, match="ANY_CLIENT, explicitly"):
        CognitoJwtVerifier(user_pool_id=pool.user_pool_id, token_use="id")  # type: ignore[call-overload]


def test_settings_take_any_client_without_a_warning(pool: FakeCognitoPool) -> None:
    """Flask's and DRF's settings reach the same constructor (`None` is refused there:
    `tests/integrations/test_settings_client_id.py`)."""
    config = {
        "COGNITO_USER_POOL_ID": pool.user_pool_id,
        "COGNITO_CLIENT_ID": ANY_CLIENT,
        "COGNITO_TOKEN_USE": "access",
        "COGNITO_JWKS": pool.jwks,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        verifier = verifier_from_settings(config, prefix="COGNITO_", where="Flask config")
    other = pool.client_credentials_token(client_id="another-client")
    assert verifier.verify(other)["client_id"] == "another-client"


@pytest.mark.parametrize(
    "build",
    [
        lambda p: CognitoJwtVerifier(  # type: ignore[call-overload]
            user_pool_id=p.user_pool_id, token_use="id", client_id=[ANY_CLIENT]
        ),
        lambda p: JwtVerifier(issuer="https://issuer.example", audience=ANY_CLIENT),  # type: ignore[arg-type]
    ],
    ids=["inside-a-list", "as-a-generic-audience"],
)
def test_any_client_where_it_means_nothing_is_refused(
    pool: FakeCognitoPool, build: Callable[[FakeCognitoPool], object]
) -> None:
    """ANY_CLIENT only opens the Cognito client check; anywhere else it is a mistake."""
    with pytest.raises(ConfigurationError, match="expected"):
        build(pool)


def test_an_empty_client_list_names_any_client_as_the_way_to_skip(pool: FakeCognitoPool) -> None:
    with pytest.raises(ConfigurationError, match=r"\(ANY_CLIENT to skip the check\), found \[\]"):
        CognitoJwtVerifier(user_pool_id=pool.user_pool_id, token_use="id", client_id=[])
