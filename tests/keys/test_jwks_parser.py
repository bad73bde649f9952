"""`JwksCache(jwks_parser=...)`: an issuer whose key document is not a JWKS (here a map
of PEM public keys by kid, served on 127.0.0.1), turned into one by the caller's
parser, and held to the same key-hygiene rules as a fetched JWKS."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from fixed_time import NOW
from hostile_servers import HostileServer, json_body
from test_keys import ED25519_SMALL_ORDER

from cognito_jwt import (
    ConfigurationError,
    JwksCache,
    JwksUnavailableError,
    JwtVerifier,
    UnknownKeyError,
)
from cognito_jwt.testing import FakeCognitoPool, ManualClock, b64url, rsa_jwk, sign_okp

ISSUER = "https://pem-issuer.example.com"
AUDIENCE = "pem-client"


def pem_map(*pools: FakeCognitoPool) -> bytes:
    """The issuer's document: `{kid: PEM public key}`, as some issuers publish keys."""
    from cryptography.hazmat.primitives import serialization

    return json.dumps(
        {
            p.id_kid: p.id_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
            for p in pools
        }
    ).encode()


def pem_parser(body: bytes) -> Mapping[str, Any]:
    """A caller's parser: each PEM becomes an RSA JWK under its kid."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    keys = []
    for kid, pem in json.loads(body).items():
        public = serialization.load_pem_public_key(pem.encode())
        assert isinstance(public, rsa.RSAPublicKey)
        keys.append(rsa_jwk(public, kid))
    return {"keys": keys}


@pytest.fixture(scope="module")
def good() -> FakeCognitoPool:
    return FakeCognitoPool("us-east-1_PemGood1", AUDIENCE, issuer=ISSUER)


@pytest.fixture(scope="module")
def weak() -> FakeCognitoPool:
    return FakeCognitoPool("us-east-1_PemWeak1", AUDIENCE, key_bits=1024, issuer=ISSUER)


@pytest.fixture
def server(good: FakeCognitoPool, weak: FakeCognitoPool) -> Iterator[HostileServer]:
    with HostileServer(json_body(pem_map(good, weak))) as s:
        yield s


def verifier_for(server: HostileServer, cache: JwksCache) -> JwtVerifier:
    return JwtVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        jwks_uri=server.url,
        allow_http=True,
        jwks_cache=cache,
        clock=lambda: NOW,
        cache_size=0,
    )


def test_a_pem_map_is_turned_into_keys_by_the_parser(
    server: HostileServer, good: FakeCognitoPool
) -> None:
    verifier = verifier_for(server, JwksCache(jwks_parser=pem_parser))
    for _ in range(3):
        assert verifier.verify(good.id_token(now=NOW))["aud"] == AUDIENCE
    assert server.requests == 1


def test_without_the_parser_the_pem_map_is_no_jwks(
    server: HostileServer, good: FakeCognitoPool
) -> None:
    with pytest.raises(JwksUnavailableError) as caught:
        verifier_for(server, JwksCache()).verify(good.id_token(now=NOW))
    assert caught.value.reason == "jwks_invalid"


def test_the_parser_cannot_hand_over_a_1024_bit_rsa_key(
    server: HostileServer, good: FakeCognitoPool, weak: FakeCognitoPool
) -> None:
    verifier = verifier_for(server, JwksCache(jwks_parser=pem_parser))
    with pytest.raises(UnknownKeyError) as caught:
        verifier.verify(weak.id_token(now=NOW))
    assert caught.value.reason == "unusable_key"
    assert "2048" in caught.value.message
    assert verifier.verify(good.id_token(now=NOW))["aud"] == AUDIENCE  # the other key serves


def test_the_parser_cannot_hand_over_a_small_order_ed25519_key(
    server: HostileServer, good: FakeCognitoPool
) -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    identity = bytes.fromhex(ED25519_SMALL_ORDER["order 1, identity (y = 1)"])

    def smuggler(body: bytes) -> Mapping[str, Any]:
        jwks = dict(pem_parser(body))
        small = {"kty": "OKP", "crv": "Ed25519", "kid": "small", "use": "sig"}
        jwks["keys"] = [*jwks["keys"], {**small, "x": b64url(identity)}]
        return jwks

    verifier = JwtVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        jwks_uri=server.url,
        allow_http=True,
        algorithms=["RS256", "EdDSA"],
        jwks_cache=JwksCache(jwks_parser=smuggler),
        clock=lambda: NOW,
    )
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u", "iat": NOW, "exp": NOW + 60}
    token = sign_okp(ed25519.Ed25519PrivateKey.generate(), {"alg": "EdDSA", "kid": "small"}, claims)
    with pytest.raises(UnknownKeyError) as caught:
        verifier.verify(token)
    assert caught.value.reason == "unusable_key"
    assert "small-order" in caught.value.message


@pytest.mark.parametrize(
    "parser",
    [
        lambda body: 1 / 0,
        lambda body: ["not", "a", "jwks"],
        lambda body: {"no": "keys"},
        lambda body: "not json",
    ],
    ids=["raises", "returns a list", "returns no keys array", "returns non-JSON text"],
)
def test_a_parser_that_fails_is_a_failed_fetch(
    server: HostileServer, good: FakeCognitoPool, parser: Any
) -> None:
    with pytest.raises(JwksUnavailableError) as caught:
        verifier_for(server, JwksCache(jwks_parser=parser)).verify(good.id_token(now=NOW))
    assert caught.value.reason == "jwks_invalid"


def test_a_parser_failing_on_refresh_keeps_the_cached_keys(
    server: HostileServer, good: FakeCognitoPool
) -> None:
    calls = {"n": 0}

    def flaky(body: bytes) -> Mapping[str, Any]:
        calls["n"] += 1
        if calls["n"] > 1:
            raise ValueError("the issuer changed its format")
        return pem_parser(body)

    clock = ManualClock()
    verifier = verifier_for(
        server,
        JwksCache(
            jwks_parser=flaky, max_age=600, clock=clock, background_refresh=False, refresh_ahead=0
        ),
    )
    verifier.verify(good.id_token(now=NOW))
    clock.advance(601)
    assert verifier.verify(good.id_token(now=NOW))["aud"] == AUDIENCE  # stale, still serving
    assert calls["n"] == 2


def test_a_parser_that_is_not_callable_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="jwks_parser"):
        JwksCache(jwks_parser="pem")  # type: ignore[arg-type]
