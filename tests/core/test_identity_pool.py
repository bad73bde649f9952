"""`identity_pool_verifier`: Cognito identity-pool OpenID tokens, minted by the test kit
in the shape AWS documents (`aud` = the pool id, `amr` authenticated/unauthenticated),
verified against a loopback issuer that serves a discovery document and its keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fixed_time import NOW
from hostile_servers import JSON, HostileServer, reply

from cognito_jwt import (
    IDENTITY_POOL_ISSUER,
    ConfigurationError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuerError,
    JwksCache,
    JwksUnavailableError,
    JwtVerifier,
    MalformedTokenError,
    MultiIssuerVerifier,
    Report,
    TokenExpiredError,
    UnsupportedAlgorithmError,
    decode_unverified,
    identity_pool_verifier,
)
from cognito_jwt.testing import FakeCognitoPool, identity_pool_token, rsa_jwk

POOL_ID = "us-east-1:12345678-1234-1234-1234-123456789012"
OTHER_POOL_ID = "us-east-1:87654321-0000-1111-2222-333333333333"
USER_POOL_PROVIDER = "cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"


class IdentityIssuer:
    """A loopback stand-in for the identity-pool issuer: discovery document and JWKS."""

    def __init__(self) -> None:
        self.server = HostileServer(self._answer)
        self.issuer = f"http://127.0.0.1:{self.server.port}"
        self.pool = FakeCognitoPool("us-east-1_Identity1", issuer=self.issuer)

    def _answer(self, h: Any) -> None:
        if h.path == "/.well-known/openid-configuration":
            document = {
                "issuer": self.issuer,
                "jwks_uri": f"{self.issuer}/.well-known/jwks_uri",
                "id_token_signing_alg_values_supported": ["RS512"],
            }
            reply(200, JSON, json.dumps(document).encode())(h)
        elif h.path == "/.well-known/jwks_uri":
            jwk = rsa_jwk(self.pool.id_key.public_key(), self.pool.id_kid, alg="RS512")
            reply(200, JSON, json.dumps({"keys": [jwk]}).encode())(h)
        else:
            reply(404, JSON, b"{}")(h)

    def verifier(self, **kwargs: Any) -> JwtVerifier:
        kwargs.setdefault("amr", "authenticated")
        return identity_pool_verifier(
            POOL_ID,
            issuer=self.issuer,
            allow_http=True,
            jwks_cache=JwksCache(),
            clock=lambda: NOW,
            **kwargs,
        )

    def token(self, **kwargs: Any) -> str:
        kwargs.setdefault("now", NOW)
        return identity_pool_token(self.pool, POOL_ID, **kwargs)


@pytest.fixture(scope="module")
def idp() -> Iterator[IdentityIssuer]:
    issuer = IdentityIssuer()
    yield issuer
    issuer.server.close()


def test_an_authenticated_identitys_token_verifies(idp: IdentityIssuer) -> None:
    claims = idp.verifier().verify(idp.token(providers=[USER_POOL_PROVIDER]))
    assert claims["aud"] == POOL_ID
    assert claims["amr"] == ["authenticated", USER_POOL_PROVIDER]


@pytest.mark.parametrize(
    ("typ", "passes"),
    [
        pytest.param("JWS", True, id="JWS-as-a-published-capture-shows"),
        pytest.param("JWT", True, id="JWT"),
        pytest.param(None, True, id="absent"),
        pytest.param("jws", True, id="compared-case-insensitively"),
        pytest.param("at+jwt", False, id="an-access-token-type"),
        pytest.param("application/jwt", False, id="a-media-type"),
        pytest.param("JWE", False, id="JWE"),
        pytest.param("JOSE", False, id="JOSE"),
        pytest.param("", False, id="empty"),
        pytest.param(["JWS"], False, id="a-list"),
    ],
)
def test_the_header_typ_may_be_absent_jwt_or_jws_and_nothing_else(
    idp: IdentityIssuer, typ: Any, passes: bool
) -> None:
    token = idp.token(typ=typ)
    if passes:
        assert idp.verifier().verify(token)["aud"] == POOL_ID
    else:
        with pytest.raises(MalformedTokenError) as caught:
            idp.verifier().verify(token)
        assert caught.value.reason == "invalid_header"


def test_typ_jws_is_refused_by_every_other_verifier(idp: IdentityIssuer) -> None:
    """The same token, issuer and keys through a plain `JwtVerifier`: fail closed."""
    plain = JwtVerifier.from_discovery(
        idp.issuer,
        audience=POOL_ID,
        id_tokens=True,
        algorithms=["RS512"],
        allow_http=True,
        jwks_cache=JwksCache(),
        clock=lambda: NOW,
    )
    assert plain.verify(idp.token(typ=None))["aud"] == POOL_ID
    with pytest.raises(MalformedTokenError) as caught:
        plain.verify(idp.token(typ="JWS"))
    assert caught.value.reason == "invalid_header"
    assert "expected 'JWT' or 'at+jwt'" in str(caught.value)


def test_each_member_of_a_multi_issuer_verifier_keeps_its_own_typ_rule(
    idp: IdentityIssuer,
) -> None:
    """The identity pool's `JWS` passes for its tokens only; a Cognito pool's never."""
    pool = FakeCognitoPool("us-east-1_BesideIdp1")
    multi = MultiIssuerVerifier([idp.verifier(), pool.verifier("id")])
    assert multi.verify(idp.token(typ="JWS"))["aud"] == POOL_ID
    assert multi.verify(idp.token(typ="JWT"))["aud"] == POOL_ID
    assert multi.verify(pool.id_token())["aud"] == pool.client_id
    refused = [
        idp.token(typ="at+jwt"),  # the identity pool's rule: JWT or JWS
        pool.sign(decode_unverified(pool.id_token())[1], {"kid": pool.id_kid, "typ": "JWS"}),
    ]
    for token in refused * 2:  # the second time through the header cache
        with pytest.raises(MalformedTokenError) as caught:
            multi.verify(token)
        assert caught.value.reason == "invalid_header"


def test_a_refused_typ_stays_refused_when_a_report_hook_is_set(idp: IdentityIssuer) -> None:
    """The report of a rejection parses the token too: under the verifier's own `typ` rule."""
    reports: list[Report] = []
    verifier = idp.verifier(on_report=reports.append)
    token = idp.token(typ="at+jwt")
    for _ in range(2):  # the second time through the header cache
        with pytest.raises(MalformedTokenError) as caught:
            verifier.verify(token)
        assert caught.value.reason == "invalid_header"
    assert [r.reason for r in reports] == ["invalid_header"] * 2
    with pytest.raises(TokenExpiredError):
        verifier.verify(idp.token(typ="JWS", expires_in=-60))
    assert (reports[-1].reason, reports[-1].issuer) == ("token_expired", idp.issuer)


@pytest.mark.parametrize(
    ("accepted", "authenticated", "passes"),
    [
        ("authenticated", True, True),
        ("authenticated", False, False),
        ("unauthenticated", False, True),
        ("unauthenticated", True, False),
        (["authenticated", "unauthenticated"], True, True),
        (["authenticated", "unauthenticated"], False, True),
    ],
)
def test_amr_is_the_explicit_requirement(
    idp: IdentityIssuer, accepted: Any, authenticated: bool, passes: bool
) -> None:
    verifier = idp.verifier(amr=accepted)
    token = idp.token(authenticated=authenticated)
    if passes:
        assert verifier.verify(token)["aud"] == POOL_ID
    else:
        with pytest.raises(InvalidClaimError) as caught:
            verifier.verify(token)
        assert caught.value.reason == "amr_not_accepted"


@pytest.mark.parametrize(
    ("overrides", "error", "reason"),
    [
        ({"aud": OTHER_POOL_ID}, InvalidAudienceError, "invalid_audience"),
        ({"iss": IDENTITY_POOL_ISSUER}, InvalidIssuerError, "invalid_issuer"),
        ({"exp": NOW - 1}, TokenExpiredError, "token_expired"),
        ({"amr": None}, InvalidClaimError, "amr_not_accepted"),
        ({"amr": ["graph.facebook.com"]}, InvalidClaimError, "amr_not_accepted"),
        ({"amr": "authenticated"}, InvalidClaimError, "invalid_claim_type"),
        ({"alg": "RS256"}, UnsupportedAlgorithmError, "unsupported_algorithm"),
    ],
    ids=[
        "another pool",
        "another issuer",
        "expired",
        "no amr",
        "amr without the value",
        "amr not a list",
        "an algorithm the document does not list",
    ],
)
def test_a_token_wrong_in_one_way_is_refused(
    idp: IdentityIssuer, overrides: dict[str, Any], error: type[Exception], reason: str
) -> None:
    with pytest.raises(error) as caught:
        idp.verifier().verify(idp.token(**overrides))
    assert getattr(caught.value, "reason", None) == reason


def test_the_callers_custom_check_runs_after_amr(idp: IdentityIssuer) -> None:
    seen: list[str] = []

    def only_facebook(header: dict[str, Any], claims: dict[str, Any]) -> bool:
        seen.append(claims["sub"])
        return "graph.facebook.com" in claims["amr"]

    verifier = idp.verifier(custom_check=only_facebook)
    with pytest.raises(InvalidClaimError) as caught:
        verifier.verify(idp.token(providers=[USER_POOL_PROVIDER]))
    assert caught.value.reason == "custom_check_failed"
    with pytest.raises(InvalidClaimError) as caught:
        verifier.verify(idp.token(authenticated=False))  # amr refused first
    assert caught.value.reason == "amr_not_accepted"
    assert len(seen) == 1
    assert verifier.verify(idp.token(providers=["graph.facebook.com"]))["aud"] == POOL_ID


async def _noop(header: dict[str, Any], claims: dict[str, Any]) -> bool:
    return True


@pytest.mark.parametrize(
    ("pool_id", "kwargs", "match"),
    [
        (POOL_ID, {}, "amr: expected"),
        (POOL_ID, {"amr": "admin"}, "amr: expected"),
        (POOL_ID, {"amr": []}, "amr: expected"),
        (POOL_ID, {"amr": None}, "amr: expected"),
        ("us-east-1_AbCdEf123", {"amr": "authenticated"}, "REGION:GUID"),
        ("not a pool", {"amr": "authenticated"}, "REGION:GUID"),
        ("cn-north-1:12345678-1234", {"amr": "authenticated"}, "issuer="),
        ("us-gov-west-1:12345678-1234", {"amr": "authenticated"}, "issuer="),
        ("zz-nowhere-9:12345678-1234", {"amr": "authenticated"}, "issuer="),
        (POOL_ID, {"amr": "authenticated", "custom_check": "yes"}, "custom_check"),
        (POOL_ID, {"amr": "authenticated", "custom_check": _noop}, "custom_check"),
    ],
)
def test_wiring_slips_are_refused_before_any_request(
    pool_id: str, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ConfigurationError, match=match):
        identity_pool_verifier(pool_id, **kwargs)


class CannedFetcher:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def fetch(self, uri: str) -> bytes:
        self.asked.append(uri)
        if uri != IDENTITY_POOL_ISSUER + "/.well-known/openid-configuration":
            raise JwksUnavailableError(f"not served: {uri}", reason="jwks_fetch_failed")
        document = {"issuer": IDENTITY_POOL_ISSUER, "jwks_uri": IDENTITY_POOL_ISSUER + "/keys"}
        return json.dumps(document).encode()


def test_the_commercial_partitions_issuer_is_the_default() -> None:
    fetcher = CannedFetcher()
    verifier = identity_pool_verifier(POOL_ID, amr="authenticated", fetcher=fetcher)
    assert verifier.issuers == ("https://cognito-identity.amazonaws.com",)
    assert fetcher.asked == [
        "https://cognito-identity.amazonaws.com/.well-known/openid-configuration"
    ]
