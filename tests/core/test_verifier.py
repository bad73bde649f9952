"""Every check of the verification path: each rejection uses a real signed token
that is wrong in exactly one way, and asserts both the error class and its reason."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from fixed_time import NOW, clock

from cognito_jwt import (
    ANY_CLIENT,
    AccessDeniedError,
    CognitoJwtError,
    CognitoJwtVerifier,
    ConfigurationError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenUseError,
    JwksCache,
    JwksUnavailableError,
    JwtVerifier,
    MalformedTokenError,
    MissingClaimError,
    MissingGroupError,
    MissingScopeError,
    MultiIssuerVerifier,
    TokenExpiredError,
    TokenNotYetValidError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
    cognito_issuers,
)
from cognito_jwt.testing import FakeCognitoPool, ManualClock, b64url

TENANT_ACME: dict[str, Any] = {"custom:tenant": "acme"}


def id_verifier(pool: FakeCognitoPool, **kwargs: Any) -> CognitoJwtVerifier:
    kwargs.setdefault("clock", clock)
    return pool.verifier(token_use="id", **kwargs)


def access_verifier(pool: FakeCognitoPool, **kwargs: Any) -> CognitoJwtVerifier:
    kwargs.setdefault("clock", clock)
    return pool.verifier(token_use="access", **kwargs)


def expect(verifier: Any, token: str, error: type[CognitoJwtError], reason: str) -> CognitoJwtError:
    with pytest.raises(error) as info:
        verifier.verify(token)
    assert info.value.reason == reason, info.value
    return info.value


def segments(token: str) -> list[str]:
    return token.split(".")


def es256_issuer(kid: str, **jwk: str) -> tuple[ec.EllipticCurvePrivateKey, JwtVerifier]:
    """A fresh P-256 key, and a generic ES256 verifier that trusts only that key.

    The verifier expects iss ``https://idp.example.com`` and aud ``api``; its JWKS
    is the key's public half under ``kid``, plus any extra members in ``jwk``.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    nums = key.public_key().public_numbers()
    public = {
        "kty": "EC",
        "crv": "P-256",
        "kid": kid,
        **jwk,
        "x": b64url(nums.x.to_bytes(32, "big")),
        "y": b64url(nums.y.to_bytes(32, "big")),
    }
    verifier = JwtVerifier(
        issuer="https://idp.example.com",
        audience="api",
        algorithms=["ES256"],
        jwks={"keys": [public]},
        clock=clock,
    )
    return key, verifier


# -- acceptance ----------------------------------------------------------------


def test_valid_id_token_returns_its_claims(pool: FakeCognitoPool) -> None:
    claims = id_verifier(pool).verify(pool.id_token(now=NOW, groups=["admin"]))
    assert claims["aud"] == pool.client_id
    assert claims["token_use"] == "id"
    assert claims["cognito:groups"] == ["admin"]


def test_valid_access_token_returns_its_claims(pool: FakeCognitoPool) -> None:
    claims = access_verifier(pool).verify(pool.access_token(now=NOW))
    assert claims["client_id"] == pool.client_id


def test_machine_to_machine_access_token_without_username(pool: FakeCognitoPool) -> None:
    token = pool.access_token(now=NOW, username=None, sub=pool.client_id, scopes=["svc/read"])
    claims = access_verifier(pool, scopes="svc/read").verify(token)
    assert "username" not in claims
    assert claims["sub"] == claims["client_id"]


def test_token_use_none_accepts_both_kinds(pool: FakeCognitoPool) -> None:
    verifier = pool.verifier(token_use=None, clock=clock)
    assert verifier.verify(pool.id_token(now=NOW))["token_use"] == "id"
    assert verifier.verify(pool.access_token(now=NOW))["token_use"] == "access"


def test_client_id_none_accepts_any_client(pool: FakeCognitoPool) -> None:
    verifier = pool.verifier(token_use="id", client_id=ANY_CLIENT, clock=clock)
    assert verifier.verify(pool.id_token(now=NOW, aud="someone-else"))["aud"] == "someone-else"


def test_client_id_list_accepts_any_listed(pool: FakeCognitoPool) -> None:
    verifier = id_verifier(pool, client_id=["a", pool.client_id])
    assert verifier.verify(pool.id_token(now=NOW))


def test_verify_async_gives_the_same_answers(pool: FakeCognitoPool) -> None:
    verifier = id_verifier(pool)
    assert asyncio.run(verifier.verify_async(pool.id_token(now=NOW)))["token_use"] == "id"
    with pytest.raises(InvalidTokenUseError):
        asyncio.run(verifier.verify_async(pool.access_token(now=NOW)))


def test_returned_claims_are_the_callers_own(pool: FakeCognitoPool) -> None:
    verifier = id_verifier(pool)
    token = pool.id_token(now=NOW, groups=["a"])
    first = verifier.verify(token)
    first["cognito:groups"].append("admin")
    first["aud"] = "changed"
    again = verifier.verify(token)
    assert again["cognito:groups"] == ["a"]
    assert again["aud"] == pool.client_id


# -- structure and header ------------------------------------------------------


def test_alg_none_with_empty_signature(pool: FakeCognitoPool) -> None:
    _h, p, _ = segments(pool.id_token(now=NOW))
    header = b64url(json.dumps({"kid": pool.id_kid, "alg": "none"}).encode())
    expect(id_verifier(pool), f"{header}.{p}.", MalformedTokenError, "malformed_token")
    expect(
        id_verifier(pool), f"{header}.{p}.AAAA", UnsupportedAlgorithmError, "unsupported_algorithm"
    )


def test_hs256_signed_with_the_public_key_bytes(pool: FakeCognitoPool) -> None:
    import hmac

    pem = pool.id_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64url(json.dumps({"kid": pool.id_kid, "alg": "HS256"}).encode())
    payload = segments(pool.id_token(now=NOW))[1]
    mac = hmac.new(pem, f"{header}.{payload}".encode(), "sha256").digest()
    expect(
        id_verifier(pool),
        f"{header}.{payload}.{b64url(mac)}",
        UnsupportedAlgorithmError,
        "unsupported_algorithm",
    )


def test_ps256_is_not_accepted_by_a_cognito_verifier(pool: FakeCognitoPool) -> None:
    _h, p, _ = segments(pool.id_token(now=NOW))
    header = b64url(json.dumps({"kid": pool.id_kid, "alg": "PS256"}).encode())
    signing_input = f"{header}.{p}".encode()
    sig = pool.id_key.sign(
        signing_input,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    expect(
        id_verifier(pool),
        f"{header}.{p}.{b64url(sig)}",
        UnsupportedAlgorithmError,
        "unsupported_algorithm",
    )


def test_tampered_payload_fails_the_signature(pool: FakeCognitoPool) -> None:
    h, p, s = segments(pool.id_token(now=NOW))
    claims = json.loads(base64.urlsafe_b64decode(p + "=="))
    claims["cognito:groups"] = ["admin"]
    forged = b64url(json.dumps(claims).encode())
    expect(id_verifier(pool), f"{h}.{forged}.{s}", InvalidSignatureError, "invalid_signature")


def test_one_flipped_signature_byte(pool: FakeCognitoPool) -> None:
    h, p, s = segments(pool.id_token(now=NOW))
    sig = bytearray(base64.urlsafe_b64decode(s + "=="))
    sig[100] ^= 0x01
    expect(
        id_verifier(pool),
        f"{h}.{p}.{b64url(bytes(sig))}",
        InvalidSignatureError,
        "invalid_signature",
    )


def test_signature_by_another_pools_key_under_this_kid(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool
) -> None:
    token = pool.sign(
        json.loads(base64.urlsafe_b64decode(segments(pool.id_token(now=NOW))[1] + "==")),
        {"kid": pool.id_kid, "alg": "RS256"},
        key=other_pool.id_key,
    )
    expect(id_verifier(pool), token, InvalidSignatureError, "invalid_signature")


def test_access_key_kid_with_id_key_signature(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW, header_overrides={"kid": pool.access_kid})
    expect(id_verifier(pool), token, InvalidSignatureError, "invalid_signature")


def test_wrong_kid(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW, header_overrides={"kid": "not-a-published-kid"})
    expect(id_verifier(pool), token, UnknownKeyError, "unknown_kid")


# -- time ----------------------------------------------------------------------


def test_missing_exp_is_rejected(pool: FakeCognitoPool) -> None:
    expect(id_verifier(pool), pool.id_token(now=NOW, exp=None), MissingClaimError, "missing_exp")


def test_expired_token(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW - 7200)
    err = expect(id_verifier(pool), token, TokenExpiredError, "token_expired")
    assert "expected after" in str(err)
    assert str(NOW - 3600) in str(err)


def test_exp_equal_to_now_is_expired(pool: FakeCognitoPool) -> None:
    expect(id_verifier(pool), pool.id_token(now=NOW, exp=NOW), TokenExpiredError, "token_expired")


def test_leeway_boundaries_on_exp(pool: FakeCognitoPool) -> None:
    verifier = id_verifier(pool, leeway=30)
    assert verifier.verify(pool.id_token(now=NOW - 100, exp=NOW - 29))
    expect(verifier, pool.id_token(now=NOW - 100, exp=NOW - 30), TokenExpiredError, "token_expired")


@pytest.mark.parametrize(
    "shape",
    [{"nbf": NOW - 200}, {"iat": float(NOW - 100)}],
    ids=["with-nbf", "float-iat"],
)
def test_leeway_boundaries_on_exp_outside_the_common_shape(
    pool: FakeCognitoPool, shape: dict[str, Any]
) -> None:
    """The full time rules (a token with `nbf`, or a float `iat`) give `exp` the same leeway."""
    verifier = id_verifier(pool, leeway=30)
    assert verifier.verify(pool.id_token(now=NOW - 100, exp=NOW - 29, **shape))
    expect(
        verifier,
        pool.id_token(now=NOW - 100, exp=NOW - 30, **shape),
        TokenExpiredError,
        "token_expired",
    )


def test_future_nbf_and_iat(pool: FakeCognitoPool) -> None:
    verifier = id_verifier(pool, leeway=10, iat_nbf_leeway=0)
    assert verifier.verify(pool.id_token(now=NOW, nbf=NOW + 10, iat=NOW + 10))
    expect(
        verifier, pool.id_token(now=NOW, nbf=NOW + 11), TokenNotYetValidError, "token_not_yet_valid"
    )
    expect(
        verifier, pool.id_token(now=NOW, iat=NOW + 11), TokenNotYetValidError, "issued_in_future"
    )


def test_iat_and_nbf_tolerate_a_clock_60_s_behind_by_default_and_exp_none(
    pool: FakeCognitoPool,
) -> None:
    verifier = id_verifier(pool)
    assert verifier.verify(pool.id_token(now=NOW + 60, nbf=NOW + 60))
    expect(verifier, pool.id_token(now=NOW + 61), TokenNotYetValidError, "issued_in_future")
    expect(
        verifier, pool.id_token(now=NOW, nbf=NOW + 61), TokenNotYetValidError, "token_not_yet_valid"
    )
    # exp stays strict: expired at this very second is expired.
    expect(verifier, pool.id_token(now=NOW - 3600), TokenExpiredError, "token_expired")
    expect(verifier, pool.id_token(now=NOW - 60, expires_in=60), TokenExpiredError, "token_expired")
    # A larger leeway widens both sides; iat_nbf_leeway widens only iat/nbf.
    wide = id_verifier(pool, leeway=90)
    assert wide.verify(pool.id_token(now=NOW + 90))
    assert wide.verify(pool.id_token(now=NOW - 100, expires_in=20))
    late = id_verifier(pool, iat_nbf_leeway=300)
    assert late.verify(pool.id_token(now=NOW + 300))
    expect(late, pool.id_token(now=NOW - 60, expires_in=59), TokenExpiredError, "token_expired")


@pytest.mark.parametrize("value", [-1, 600, float("nan"), True, "60", None])
def test_iat_nbf_leeway_must_be_seconds_in_range(pool: FakeCognitoPool, value: Any) -> None:
    with pytest.raises(ConfigurationError, match="iat_nbf_leeway"):
        id_verifier(pool, iat_nbf_leeway=value)


@pytest.mark.parametrize("value", ["1900000000", True, None, [1], {"a": 1}])
def test_non_numeric_exp(pool: FakeCognitoPool, value: Any) -> None:
    header = json.dumps({"kid": pool.id_kid, "alg": "RS256"}).encode()
    claims = json.loads(base64.urlsafe_b64decode(segments(pool.id_token(now=NOW))[1] + "=="))
    claims["exp"] = value
    token = pool.sign_raw(header, json.dumps(claims).encode())
    expect(id_verifier(pool), token, InvalidClaimError, "invalid_claim_type")


def test_signature_is_checked_before_expiry(pool: FakeCognitoPool) -> None:
    h, p, s = segments(pool.id_token(now=NOW - 7200))
    expect(id_verifier(pool), f"{h}.{p}.{s[:-4]}AAAA", InvalidSignatureError, "invalid_signature")


# -- issuer --------------------------------------------------------------------


def test_wrong_issuer(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW, iss="https://evil.example.com/us-east-1_TestPool1")
    expect(id_verifier(pool), token, InvalidIssuerError, "invalid_issuer")


def test_issuer_of_another_pool_in_the_same_region(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool
) -> None:
    expect(id_verifier(pool), other_pool.id_token(now=NOW), InvalidIssuerError, "invalid_issuer")


def test_missing_issuer(pool: FakeCognitoPool) -> None:
    expect(id_verifier(pool), pool.id_token(now=NOW, iss=None), MissingClaimError, "missing_iss")


def test_both_cognito_issuer_forms_are_accepted(pool: FakeCognitoPool) -> None:
    new_form = f"https://issuer-cognito-idp.us-east-1.amazonaws.com/{pool.user_pool_id}"
    assert id_verifier(pool).verify(pool.id_token(now=NOW, iss=new_form))["iss"] == new_form


@pytest.mark.parametrize(
    ("pool_id", "expected"),
    [
        ("us-east-1_AbC", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC"),
        ("us-gov-west-1_AbC", "https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_AbC"),
        ("cn-north-1_AbC", "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbC"),
        (
            "eusc-de-east-1_AbC",
            "https://cognito-idp.eusc-de-east-1.amazonaws.eu/eusc-de-east-1_AbC",
        ),
        ("ap-southeast-5_x9", "https://cognito-idp.ap-southeast-5.amazonaws.com/ap-southeast-5_x9"),
    ],
)
def test_issuers_for_every_partition(pool_id: str, expected: str) -> None:
    issuers = cognito_issuers(pool_id)
    assert issuers[0] == expected
    assert issuers[1] == expected.replace("https://cognito-idp.", "https://issuer-cognito-idp.")
    verifier = CognitoJwtVerifier(user_pool_id=pool_id, token_use="id", client_id="c")
    assert set(verifier.issuers) == set(issuers)


@pytest.mark.parametrize("pool_id", ["", "us-east-1", "_abc", "US-EAST-1_abc", "us-east-1_a-b", 5])
def test_invalid_pool_ids_are_configuration_errors(pool_id: Any) -> None:
    with pytest.raises(ConfigurationError):
        CognitoJwtVerifier(user_pool_id=pool_id, token_use="id", client_id="c")


def test_additional_regions_for_multi_region_pools(pool: FakeCognitoPool) -> None:
    replica = f"https://cognito-idp.us-west-2.amazonaws.com/{pool.user_pool_id}"
    token = pool.id_token(now=NOW, iss=replica)
    expect(id_verifier(pool), token, InvalidIssuerError, "invalid_issuer")
    assert id_verifier(pool, additional_regions=["us-west-2"]).verify(token)["iss"] == replica


def test_issuer_override_replaces_the_cognito_forms(pool: FakeCognitoPool) -> None:
    verifier = id_verifier(pool, issuer="http://localhost:9229/us-east-1_TestPool1")
    assert verifier.verify(pool.id_token(now=NOW, iss="http://localhost:9229/us-east-1_TestPool1"))
    expect(verifier, pool.id_token(now=NOW), InvalidIssuerError, "invalid_issuer")


# -- audience, client_id, token_use ---------------------------------------------


def test_wrong_audience(pool: FakeCognitoPool) -> None:
    expect(
        id_verifier(pool),
        pool.id_token(now=NOW, aud="other-client"),
        InvalidAudienceError,
        "invalid_audience",
    )


def test_list_audience_is_not_cognito_shaped(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW, aud=[pool.client_id])
    expect(id_verifier(pool), token, InvalidAudienceError, "invalid_audience")


def test_missing_audience(pool: FakeCognitoPool) -> None:
    expect(id_verifier(pool), pool.id_token(now=NOW, aud=None), MissingClaimError, "missing_aud")


def test_access_token_without_client_id(pool: FakeCognitoPool) -> None:
    expect(
        access_verifier(pool),
        pool.access_token(now=NOW, client_id=None),
        MissingClaimError,
        "missing_client_id",
    )


def test_access_token_of_another_client(pool: FakeCognitoPool) -> None:
    expect(
        access_verifier(pool),
        pool.access_token(now=NOW, client_id="x"),
        InvalidAudienceError,
        "invalid_client_id",
    )


def test_id_token_used_as_access_token_and_the_reverse(pool: FakeCognitoPool) -> None:
    expect(access_verifier(pool), pool.id_token(now=NOW), InvalidTokenUseError, "wrong_token_use")
    expect(id_verifier(pool), pool.access_token(now=NOW), InvalidTokenUseError, "wrong_token_use")


@pytest.mark.parametrize("value", ["ID", "Access", "refresh", 1])
def test_token_use_must_be_exact(pool: FakeCognitoPool, value: Any) -> None:
    verifier = pool.verifier(token_use=None, clock=clock)
    expect(
        verifier, pool.id_token(now=NOW, token_use=value), InvalidTokenUseError, "invalid_token_use"
    )


def test_missing_token_use(pool: FakeCognitoPool) -> None:
    expect(
        id_verifier(pool),
        pool.id_token(now=NOW, token_use=None),
        MissingClaimError,
        "missing_token_use",
    )


# -- groups and scopes -----------------------------------------------------------


def test_groups_any_of(pool: FakeCognitoPool) -> None:
    verifier = id_verifier(pool, groups=["admin", "editor"])
    assert verifier.verify(pool.id_token(now=NOW, groups=["editor"]))
    err = expect(
        verifier, pool.id_token(now=NOW, groups=["reader"]), MissingGroupError, "missing_group"
    )
    assert err.status_code == 403
    assert isinstance(err, AccessDeniedError)
    expect(verifier, pool.id_token(now=NOW), MissingGroupError, "missing_group")


def test_a_denial_names_the_claim_it_read(pool: FakeCognitoPool) -> None:
    groups = id_verifier(pool, groups=["admin"])
    err = expect(groups, pool.id_token(now=NOW), MissingGroupError, "missing_group")
    assert str(err).startswith("claim cognito:groups: expected any of ['admin']"), err
    scopes = access_verifier(pool, scopes=["orders/write"])
    err = expect(scopes, pool.access_token(now=NOW), MissingScopeError, "missing_scope")
    assert str(err).startswith("claim scope: expected any of ['orders/write']"), err


def test_groups_all_of(pool: FakeCognitoPool) -> None:
    verifier = id_verifier(pool, groups=["admin", "editor"], require_all_groups=True)
    assert verifier.verify(pool.id_token(now=NOW, groups=["editor", "admin", "x"]))
    expect(verifier, pool.id_token(now=NOW, groups=["editor"]), MissingGroupError, "missing_group")


def test_groups_claim_of_the_wrong_type(pool: FakeCognitoPool) -> None:
    groups_as_string: dict[str, Any] = {"cognito:groups": "admin"}
    token = pool.id_token(now=NOW, **groups_as_string)
    expect(id_verifier(pool, groups="admin"), token, InvalidClaimError, "invalid_claim_type")


def test_scopes_any_and_all(pool: FakeCognitoPool) -> None:
    token = pool.access_token(now=NOW, scopes=["news/read", "news/write"])
    assert access_verifier(pool, scopes=["news/delete", "news/write"]).verify(token)
    assert access_verifier(
        pool, scopes=["news/read", "news/write"], require_all_scopes=True
    ).verify(token)
    expect(access_verifier(pool, scopes="news/delete"), token, MissingScopeError, "missing_scope")
    expect(
        access_verifier(pool, scopes=["news/read", "news/delete"], require_all_scopes=True),
        token,
        MissingScopeError,
        "missing_scope",
    )
    expect(
        access_verifier(pool, scopes="x"),
        pool.access_token(now=NOW, scope=None),
        MissingScopeError,
        "missing_scope",
    )


def test_scope_is_matched_by_whole_words(pool: FakeCognitoPool) -> None:
    token = pool.access_token(now=NOW, scopes=["news/readwrite"])
    expect(access_verifier(pool, scopes="news/read"), token, MissingScopeError, "missing_scope")


# -- custom check ----------------------------------------------------------------


def test_custom_check_runs_last_and_may_reject(pool: FakeCognitoPool) -> None:
    seen: list[str] = []

    def check(header: dict[str, Any], claims: dict[str, Any]) -> None:
        seen.append(header["alg"])
        if claims.get("custom:tenant") != "acme":
            raise InvalidClaimError("tenant: expected 'acme'", reason="wrong_tenant")

    verifier = id_verifier(pool, groups="admin", custom_check=check)
    assert verifier.verify(pool.id_token(now=NOW, groups=["admin"], **TENANT_ACME))
    expect(verifier, pool.id_token(now=NOW, groups=["admin"]), InvalidClaimError, "wrong_tenant")
    assert seen == ["RS256", "RS256"]
    # Built-in failures come first: the check never sees an expired or unauthorised token.
    expect(
        verifier,
        pool.id_token(now=NOW - 7200, groups=["admin"]),
        TokenExpiredError,
        "token_expired",
    )
    expect(verifier, pool.id_token(now=NOW), MissingGroupError, "missing_group")
    assert seen == ["RS256", "RS256"]


def test_custom_check_returning_false_or_raising_anything(pool: FakeCognitoPool) -> None:
    expect(
        id_verifier(pool, custom_check=lambda h, c: False),
        pool.id_token(now=NOW),
        InvalidClaimError,
        "custom_check_failed",
    )

    def broken(header: dict[str, Any], claims: dict[str, Any]) -> None:
        raise KeyError("x")

    expect(
        id_verifier(pool, custom_check=broken),
        pool.id_token(now=NOW),
        InvalidClaimError,
        "custom_check_failed",
    )


def test_custom_check_cannot_poison_the_header_cache(pool: FakeCognitoPool) -> None:
    def mutate(header: dict[str, Any], claims: dict[str, Any]) -> None:
        header["alg"] = "none"

    verifier = id_verifier(pool, custom_check=mutate)
    token = pool.id_token(now=NOW)
    assert verifier.verify(token)
    assert verifier.verify(token)


def test_include_claims_in_errors_is_opt_in(pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=NOW, aud="x")
    assert expect(id_verifier(pool), token, InvalidAudienceError, "invalid_audience").claims is None
    err = expect(
        id_verifier(pool, include_claims_in_errors=True),
        token,
        InvalidAudienceError,
        "invalid_audience",
    )
    assert err.claims is not None
    assert err.claims["aud"] == "x"
    assert token not in str(err)
    assert segments(token)[1] not in str(err)


# -- multi-pool routing ---------------------------------------------------------


def test_multi_pool_routes_by_issuer(pool: FakeCognitoPool, other_pool: FakeCognitoPool) -> None:
    multi = MultiIssuerVerifier(
        [id_verifier(pool), other_pool.verifier(token_use="access", clock=clock, groups="ops")]
    )
    assert multi.verify(pool.id_token(now=NOW))["iss"] == pool.issuer
    assert (
        multi.verify(other_pool.access_token(now=NOW, groups=["ops"]))["iss"] == other_pool.issuer
    )
    # Each pool keeps its own rules.
    expect(multi, other_pool.id_token(now=NOW), InvalidTokenUseError, "wrong_token_use")
    expect(multi, other_pool.access_token(now=NOW), MissingGroupError, "missing_group")
    # A pool's key cannot sign for the other pool.
    forged = other_pool.id_token(now=NOW, iss=pool.issuer, aud=pool.client_id)
    expect(multi, forged, UnknownKeyError, "unknown_kid")


class RecordingFetcher:
    """Serves each pool's JWKS at its primary Cognito URI; records every fetch."""

    def __init__(self, *pools: FakeCognitoPool) -> None:
        primary = {cognito_issuers(p.user_pool_id)[0]: p for p in pools}
        self.jwks = {f"{iss}/.well-known/jwks.json": p for iss, p in primary.items()}
        self.fetched: list[str] = []

    def fetch(self, uri: str) -> bytes:
        self.fetched.append(uri)
        if uri not in self.jwks:
            raise JwksUnavailableError(f"JWKS at {uri}: expected a reply, found none")
        return self.jwks[uri].jwks_json.encode()


def test_multi_pool_hydrate_loads_each_members_primary_jwks_once(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool
) -> None:
    fetcher = RecordingFetcher(pool, other_pool)
    cache = JwksCache(fetcher)
    multi = MultiIssuerVerifier(
        [id_verifier(pool, jwks_cache=cache), access_verifier(other_pool, jwks_cache=cache)]
    )
    multi.hydrate()
    # One fetch per member, at its primary issuer's URI; the second issuer form
    # of each pool is fetched only when a token uses it.
    assert fetcher.fetched == list(fetcher.jwks)
    asyncio.run(multi.hydrate_async())
    assert multi.verify(pool.id_token(now=NOW))["iss"] == pool.issuer
    assert multi.verify(other_pool.access_token(now=NOW))["iss"] == other_pool.issuer
    assert fetcher.fetched == list(fetcher.jwks)  # hydrated keys served both tokens


def test_multi_pool_hydrate_fails_when_a_members_keys_cannot_be_fetched(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool
) -> None:
    cache = JwksCache(RecordingFetcher(pool))  # serves the first pool's keys only
    multi = MultiIssuerVerifier(
        [id_verifier(pool, jwks_cache=cache), id_verifier(other_pool, jwks_cache=cache)]
    )
    with pytest.raises(JwksUnavailableError) as info:
        multi.hydrate()
    assert info.value.status_code == 503
    assert info.value.reason == "jwks_unavailable"


def test_multi_pool_rejects_an_unconfigured_issuer(pool: FakeCognitoPool) -> None:
    third = FakeCognitoPool("eu-west-1_ThirdPool3")
    multi = MultiIssuerVerifier([id_verifier(pool)])
    expect(multi, third.id_token(now=NOW), InvalidIssuerError, "invalid_issuer")


def test_multi_pool_configuration_errors(pool: FakeCognitoPool) -> None:
    with pytest.raises(ConfigurationError):
        MultiIssuerVerifier([])
    with pytest.raises(ConfigurationError):
        MultiIssuerVerifier([id_verifier(pool), access_verifier(pool)])


def test_multi_pool_keeps_each_issuers_algorithms(pool: FakeCognitoPool) -> None:
    _key, generic = es256_issuer("ec1")
    multi = MultiIssuerVerifier([id_verifier(pool), generic])
    # ES256 is allowed for the generic issuer only, never for the Cognito pool.
    payload = base64.urlsafe_b64decode(segments(pool.id_token(now=NOW))[1] + "==")
    token = pool.sign_raw(json.dumps({"kid": pool.id_kid, "alg": "ES256"}).encode(), payload)
    expect(multi, token, UnsupportedAlgorithmError, "unsupported_algorithm")


# -- the generic verifier --------------------------------------------------------


def test_generic_verifier_with_es256_and_list_audience() -> None:
    import jwt

    key, verifier = es256_issuer("k1", use="sig")
    claims = {"iss": "https://idp.example.com", "aud": ["other", "api"], "exp": NOW + 60}
    token = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k1"})
    assert verifier.verify(token)["aud"] == ["other", "api"]
    bad = jwt.encode({**claims, "aud": ["other"]}, key, algorithm="ES256", headers={"kid": "k1"})
    expect(verifier, bad, InvalidAudienceError, "invalid_audience")


def test_generic_verifier_rejects_a_key_used_with_another_algorithm(pool: FakeCognitoPool) -> None:
    verifier = JwtVerifier(
        issuer=pool.issuer,
        audience=pool.client_id,
        jwks=pool.jwks,
        algorithms=["RS256", "PS256"],
        clock=clock,
    )
    _h, p, _ = segments(pool.id_token(now=NOW))
    header = b64url(json.dumps({"kid": pool.id_kid, "alg": "PS256"}).encode())
    sig = pool.id_key.sign(
        f"{header}.{p}".encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    # The JWK says alg RS256, so PS256 with the same key is refused.
    expect(
        verifier, f"{header}.{p}.{b64url(sig)}", UnsupportedAlgorithmError, "key_algorithm_mismatch"
    )


# -- configuration ---------------------------------------------------------------


def test_token_use_and_client_id_are_required() -> None:
    """Type checkers refuse these calls (tests/type_checks); code without one gets this."""
    with pytest.raises(ConfigurationError, match="token_use"):
        CognitoJwtVerifier(user_pool_id="us-east-1_A", client_id="c")  # type: ignore[call-overload]
    with pytest.raises(ConfigurationError, match="client_id"):
        CognitoJwtVerifier(user_pool_id="us-east-1_A", token_use="id")  # type: ignore[call-overload]
    with pytest.raises(ConfigurationError, match="audience"):
        JwtVerifier(issuer="https://x")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"token_use": "refresh"},
        {"client_id": []},
        {"client_id": [""]},
        {"groups": []},
        {"scopes": ""},
        {"leeway": -1},
        {"leeway": True},
        {"custom_check": "not callable"},
        {"jwks_uri": "http://127.0.0.1:1/jwks.json"},
        {"jwks_uri": "ftp://example.com/jwks.json"},
        {"jwks": {"nokeys": []}},
    ],
)
def test_bad_settings_are_configuration_errors(kwargs: dict[str, Any]) -> None:
    base: dict[str, Any] = {"user_pool_id": "us-east-1_A", "token_use": "id", "client_id": "c"}
    with pytest.raises(ConfigurationError) as info:
        CognitoJwtVerifier(**{**base, **kwargs})
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("algorithms", [["none"], ["HS256"], [], ["RS256", "HS512"]])
def test_none_and_hmac_can_never_be_configured(algorithms: list[str]) -> None:
    with pytest.raises(ConfigurationError):
        JwtVerifier(issuer="https://x", audience="a", algorithms=algorithms)


def test_async_custom_check_is_refused() -> None:
    async def check(header: dict[str, Any], claims: dict[str, Any]) -> None:
        return None

    with pytest.raises(ConfigurationError):
        CognitoJwtVerifier(
            user_pool_id="us-east-1_A", token_use="id", client_id="c", custom_check=check
        )


def test_multi_issuer_verifier_is_initialised_like_every_verifier(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool
) -> None:
    generic = JwtVerifier(issuer=other_pool.issuer, audience=None, jwks=other_pool.jwks)
    multi = MultiIssuerVerifier([id_verifier(pool), generic])
    # The same base constructor ran: no attribute of a verifier is missing; its
    # own are the members' `typ` rules (their union, and each issuer's).
    assert set(vars(multi)) == set(vars(generic)) | {"_typs", "_typs_of"}
    assert multi.issuers == (*cognito_issuers(pool.user_pool_id), other_pool.issuer)


def test_issuer_objects_and_their_settings_cannot_change(pool: FakeCognitoPool) -> None:
    """A verifier shared by every thread judges each token by the settings it was built with."""
    verifier = id_verifier(pool)
    issuer = verifier._issuers[pool.issuer]
    for target, name in ((issuer, "rules"), (issuer.settings, "leeway"), (issuer, "new")):
        with pytest.raises(AttributeError, match="immutable"):
            setattr(target, name, None)
        with pytest.raises(AttributeError, match="immutable"):
            delattr(target, name)
    assert issuer.settings.leeway == 0.0
    assert f"iss={pool.issuer!r}" in repr(issuer)


# -- a NaN clock -------------------------------------------------------------------


def test_nan_clock_rejects_an_expired_token(pool: FakeCognitoPool) -> None:
    """A clock returning NaN makes every time comparison fail closed."""
    verifier = pool.verifier(token_use="id", clock=ManualClock(float("nan")))
    token = pool.id_token(now=NOW - 7200, expires_in=3600)
    with pytest.raises(TokenExpiredError):
        verifier.verify(token)


def test_nan_clock_rejects_a_cached_token(pool: FakeCognitoPool) -> None:
    clock = ManualClock(NOW)
    verifier = pool.verifier(token_use="id", clock=clock)
    token = pool.id_token(now=NOW, expires_in=3600)
    verifier.verify(token)  # now cached
    clock.now = float("nan")
    with pytest.raises(TokenExpiredError):
        verifier.verify(token)


def test_nan_clock_rejects_a_token_with_nbf(pool: FakeCognitoPool) -> None:
    # Non-int exp takes the full rules; exp is checked first and fails closed.
    verifier = pool.verifier(token_use="id", clock=ManualClock(float("nan")), cache_size=0)
    token = pool.id_token(now=NOW, nbf=NOW + 10**6, exp=NOW + 3600.5)
    with pytest.raises(TokenExpiredError):
        verifier.verify(token)
