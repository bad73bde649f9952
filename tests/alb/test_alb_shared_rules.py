"""The ALB verifier on the shared request path: the claim rules every verifier kind shares,
the header rules before any key fetch, and its keys built and refused like the others.

Every rejection is a real ALB-shaped ES256 token wrong in exactly one way, asserting
class and reason; the agreement table sends the same malformed claim to the Cognito,
the generic and the ALB verifier and expects one answer.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fixed_time import NOW, clock

from cognito_jwt import (
    AlbKeyCache,
    CognitoJwtError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuerError,
    JwtVerifier,
    TokenExpiredError,
    UnknownKeyError,
)
from cognito_jwt.testing import AlbKeyServer, FakeAlb, FakeCognitoPool

#: secp112r1, a curve `cryptography` (OpenSSL 3) does not implement
#: (`openssl ecparam -name secp112r1 -genkey -noout | openssl ec -pubout`).
SECP112R1_PEM = b"""-----BEGIN PUBLIC KEY-----
MDIwEAYHKoZIzj0CAQYFK4EEAAYDHgAEw8mrfiU26ngzN/sGwaGdejRB+P+ocWb4
sGURaA==
-----END PUBLIC KEY-----
"""


def expect(verifier: Any, token: str, error: type[CognitoJwtError], reason: str) -> None:
    with pytest.raises(error) as info:
        verifier.verify(token)
    assert info.value.reason == reason, info.value


# -- the header exp through the one NumericDate reader ---------------------------------


@pytest.mark.parametrize("exp", [10**400, -(10**400)], ids=["10**400", "-10**400"])
def test_header_exp_beyond_a_double_is_the_wrong_type_not_an_overflow(
    alb: FakeAlb, alb_key_server: AlbKeyServer, exp: int
) -> None:
    verifier = alb.verifier(alb_key_server, clock=clock)
    expect(
        verifier,
        alb.token(now=NOW, header_overrides={"exp": exp}),
        InvalidClaimError,
        "invalid_claim_type",
    )


# -- payload claims: the claim-type rules every verifier runs ---------------------------


@pytest.mark.parametrize(
    ("claims", "error", "reason"),
    [
        ({"sub": {}}, InvalidClaimError, "invalid_claim_type"),
        ({"username": 7}, InvalidClaimError, "invalid_claim_type"),
        ({"jti": 1}, InvalidClaimError, "invalid_claim_type"),
        ({"auth_time": "yesterday"}, InvalidClaimError, "invalid_claim_type"),
        ({"scope": "email\topenid"}, InvalidClaimError, "invalid_scope"),
        ({"scope": ["email"]}, InvalidClaimError, "invalid_claim_type"),
        ({"cognito:groups": "admin"}, InvalidClaimError, "invalid_claim_type"),
        ({"aud": 7}, InvalidAudienceError, "invalid_audience"),
        ({"client_id": ["a"]}, InvalidAudienceError, "invalid_client_id"),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_alb_payload_claim_of_the_wrong_type_is_refused(
    alb: FakeAlb,
    alb_key_server: AlbKeyServer,
    claims: dict[str, Any],
    error: type[CognitoJwtError],
    reason: str,
) -> None:
    verifier = alb.verifier(alb_key_server, clock=clock)
    expect(verifier, alb.token(now=NOW, **claims), error, reason)


def test_alb_payload_with_the_usual_userinfo_claims_still_verifies(
    alb: FakeAlb, alb_key_server: AlbKeyServer
) -> None:
    verifier = alb.verifier(alb_key_server, clock=clock)
    claims = verifier.verify(
        alb.token(now=NOW, email_verified="true", phone_number="+1", scope="openid email")
    )
    assert claims["username"] == "alice"


#: Claims every verifier kind types alike: (claims, error, reason).
SHARED_MALFORMED: list[tuple[dict[str, Any], type[CognitoJwtError], str]] = [
    ({"sub": {}}, InvalidClaimError, "invalid_claim_type"),
    ({"jti": 1}, InvalidClaimError, "invalid_claim_type"),
    ({"auth_time": "1800000000"}, InvalidClaimError, "invalid_claim_type"),
    ({"auth_time": 10**400}, InvalidClaimError, "invalid_claim_type"),
    ({"scope": "a\u3000b"}, InvalidClaimError, "invalid_scope"),
    ({"scope": 7}, InvalidClaimError, "invalid_claim_type"),
    ({"client_id": 7}, InvalidAudienceError, "invalid_client_id"),
    ({"exp": "1800000060"}, InvalidClaimError, "invalid_claim_type"),
    ({"exp": 10**400}, InvalidClaimError, "invalid_claim_type"),
    ({"exp": NOW - 5}, TokenExpiredError, "token_expired"),
    ({"iat": True}, InvalidClaimError, "invalid_claim_type"),
    ({"nbf": [NOW]}, InvalidClaimError, "invalid_claim_type"),
]


def _three_verifiers(
    pool: FakeCognitoPool, alb: FakeAlb, server: AlbKeyServer
) -> dict[str, tuple[Any, Any]]:
    """Each verifier kind, with a minting function for a token it otherwise accepts."""
    generic = JwtVerifier(
        issuer=pool.issuer, audience=pool.client_id, jwks=pool.jwks, clock=clock, cache_size=0
    )
    return {
        "cognito": (
            pool.verifier("id", clock=clock, cache_size=0),
            lambda **c: pool.id_token(now=NOW, **c),
        ),
        "generic": (generic, lambda **c: pool.id_token(now=NOW, **c)),
        "alb": (alb.verifier(server, clock=clock), lambda **c: alb.token(now=NOW, **c)),
    }


@pytest.mark.parametrize(
    ("claims", "error", "reason"),
    SHARED_MALFORMED,
    ids=[f"{next(iter(c))}={next(iter(c.values()))!r:.20}" for c, _, _ in SHARED_MALFORMED],
)
def test_one_malformed_claim_gets_one_answer_from_every_verifier_kind(
    pool: FakeCognitoPool,
    alb: FakeAlb,
    alb_key_server: AlbKeyServer,
    claims: dict[str, Any],
    error: type[CognitoJwtError],
    reason: str,
) -> None:
    answers = {}
    for kind, (verifier, mint) in _three_verifiers(pool, alb, alb_key_server).items():
        assert verifier.verify(mint()), kind  # the unchanged token is accepted
        with pytest.raises(CognitoJwtError) as info:
            verifier.verify(mint(**claims))
        answers[kind] = (type(info.value), info.value.reason)
    assert answers == dict.fromkeys(answers, (error, reason))


# -- the header rules run before any key fetch ---------------------------------------------


@pytest.mark.parametrize(
    ("header", "error", "reason"),
    [
        ({"client": "another-client"}, InvalidAudienceError, "invalid_client"),
        ({"iss": "https://evil.example.com"}, InvalidIssuerError, "invalid_issuer"),
        ({"exp": NOW - 1}, TokenExpiredError, "token_expired"),
        ({"exp": "soon"}, InvalidClaimError, "invalid_claim_type"),
    ],
    ids=["client", "iss", "expired", "exp type"],
)
def test_a_header_the_rules_refuse_spends_no_fetch_and_no_budget(
    alb: FakeAlb, header: dict[str, Any], error: type[CognitoJwtError], reason: str
) -> None:
    """A random kid under a header for another client, issuer or time costs no
    request, however many arrive: the budget stays for real keys."""
    requested: list[str] = []

    def pem_for(kid: str) -> bytes | None:
        requested.append(kid)
        return alb.pem(kid)

    server = AlbKeyServer(pem_for)
    try:
        cache = AlbKeyCache(fetch_budget=1)
        verifier = alb.verifier(server, key_cache=cache, clock=clock)
        for _ in range(5):
            random_kid = {**header, "kid": str(uuid.uuid4())}
            expect(verifier, alb.token(now=NOW, header_overrides=random_kid), error, reason)
        assert requested == []
        assert verifier.verify(alb.token(now=NOW))  # the one fetch the budget allows
        assert requested == [alb.kid]
    finally:
        server.close()


# -- a PEM the library cannot use is refused as ours, and remembered -------------------------


def test_pem_on_an_unsupported_curve_is_an_unusable_key_fetched_once(alb: FakeAlb) -> None:
    requested: list[str] = []

    def pem_for(kid: str) -> bytes:
        requested.append(kid)
        return SECP112R1_PEM

    server = AlbKeyServer(pem_for)
    try:
        verifier = alb.verifier(server, clock=clock)
        token = alb.token(now=NOW)
        for _ in range(3):
            expect(verifier, token, UnknownKeyError, "unusable_key")
        assert requested == [alb.kid]
    finally:
        server.close()
