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
    AlbJwtVerifier,
    AlbKeyCache,
    CognitoJwtError,
    ConfigurationError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuerError,
    JwksUnavailableError,
    JwtVerifier,
    MultiIssuerVerifier,
    TokenExpiredError,
    UnknownKeyError,
)
from cognito_jwt.testing import AlbKeyServer, FakeAlb, FakeCognitoPool, ManualClock

#: secp112r1, a curve `cryptography` (OpenSSL 3) does not implement
#: (`openssl ecparam -name secp112r1 -genkey -noout | openssl ec -pubout`).
SECP112R1_PEM = b"""-----BEGIN PUBLIC KEY-----
MDIwEAYHKoZIzj0CAQYFK4EEAAYDHgAEw8mrfiU26ngzN/sGwaGdejRB+P+ocWb4
sGURaA==
-----END PUBLIC KEY-----
"""


#: A key endpoint, as a verifier's issuer names it (keys at `<endpoint>/<kid>`).
ENDPOINT = "https://keys.example"


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


# -- the key cache as a key source: the shared interface and back-off -----------------------


class FailingFetcher:
    """A key endpoint that answers 500 until told otherwise; counts its requests."""

    def __init__(self, alb: FakeAlb) -> None:
        self.alb = alb
        self.failing = True
        self.urls: list[str] = []

    def fetch(self, uri: str) -> bytes:
        self.urls.append(uri)
        if self.failing:
            raise JwksUnavailableError("HTTP 500", reason="jwks_http_status")
        pem = self.alb.pem(uri.rsplit("/", 1)[1])
        assert pem is not None
        return pem


def test_a_failed_key_fetch_backs_off_as_the_jwks_cache_does(alb: FakeAlb) -> None:
    """The JWKS cache's back-off object, per key URL: no refetch within `cooldown`,
    callers meanwhile get the failure's reason; then the doubled step."""
    fetcher = FailingFetcher(alb)
    ticks = ManualClock()
    cache = AlbKeyCache(fetcher, cooldown=10, max_backoff=300, clock=ticks)
    for _ in range(3):
        with pytest.raises(JwksUnavailableError) as info:
            cache.get_key(ENDPOINT, alb.kid)
        assert info.value.reason == "jwks_http_status"
    assert len(fetcher.urls) == 1
    ticks.advance(10)
    with pytest.raises(JwksUnavailableError):
        cache.get_key(ENDPOINT, alb.kid)  # fails again: the next step is 20 s
    ticks.advance(19)
    fetcher.failing = False
    with pytest.raises(JwksUnavailableError):
        cache.get_key(ENDPOINT, alb.kid)
    ticks.advance(1)
    assert cache.get_key(ENDPOINT, alb.kid).kid == alb.kid
    assert fetcher.urls == [f"{ENDPOINT}/{alb.kid}"] * 3


def test_the_key_cache_answers_the_key_source_interface(alb: FakeAlb) -> None:
    pem = alb.pem(alb.kid)
    assert pem is not None
    cache = AlbKeyCache(FailingFetcher(alb), clock=ManualClock())
    cache.fetcher.failing = False  # type: ignore[attr-defined]
    assert cache.peek(ENDPOINT, alb.kid) is None
    cache.hydrate(ENDPOINT)  # an ALB publishes no key set: nothing to load, no fetch
    key = cache.get_key(ENDPOINT, alb.kid)
    assert cache.peek(ENDPOINT, alb.kid) is key


def test_the_old_key_url_calls_still_work_with_a_warning(alb: FakeAlb) -> None:
    cache = AlbKeyCache(FailingFetcher(alb), clock=ManualClock())
    cache.fetcher.failing = False  # type: ignore[attr-defined]
    with pytest.warns(DeprecationWarning, match="endpoint and the kid"):
        key = cache.get_key(f"{ENDPOINT}/{alb.kid}", alb.kid)
    with pytest.warns(DeprecationWarning, match="endpoint and the kid"):
        assert cache.peek(f"{ENDPOINT}/{alb.kid}") is key
    assert cache.peek(ENDPOINT, alb.kid) is key


@pytest.mark.parametrize(
    "kwargs", [{"cooldown": -1}, {"cooldown": True}, {"max_backoff": float("nan")}]
)
def test_invalid_back_off_settings_are_configuration_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        AlbKeyCache(**kwargs)


# -- wiring slips around the shared path fail closed ------------------------------------------


def test_an_alb_verifier_cannot_join_a_multi_issuer_verifier(
    pool: FakeCognitoPool, alb: FakeAlb, alb_key_server: AlbKeyServer
) -> None:
    """Its issuers are routed by the header's `signer`, not the payload's `iss`."""
    with pytest.raises(ConfigurationError, match="expected CognitoJwtVerifier or JwtVerifier"):
        # A type checker refuses it as well; untyped code gets the ConfigurationError.
        MultiIssuerVerifier([pool.verifier("id"), alb.verifier(alb_key_server)])  # type: ignore[list-item]


def test_hydrate_on_an_alb_verifier_fetches_nothing(alb: FakeAlb) -> None:
    fetcher = FailingFetcher(alb)
    verifier = AlbJwtVerifier(
        alb_arn=alb.alb_arn,
        issuer=alb.issuer,
        client_id=alb.client_id,
        key_endpoint=ENDPOINT,
        key_cache=AlbKeyCache(fetcher),
    )
    verifier.hydrate()
    assert fetcher.urls == []
    assert verifier.issuers == (alb.issuer,)
    assert verifier.alb_arns == (alb.alb_arn,)
