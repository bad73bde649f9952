"""A JWKS that publishes a private key has leaked it: such a key verifies nothing.

Whoever reads the JWKS can sign tokens with a published private key, so a key
carrying private members (`d`; RSA's `p`, `q`, `dp`, `dq`, `qi`, `oth`) is
unusable (`unusable_key`, naming the members), for every key type and through
every way keys arrive: a fetched JWKS, a `jwks_parser`, static `jwks=` and the
CLI's `--jwks-file`.  The private JWKs come from PyJWT's `to_jwk`, not from this
library, and the tokens are signed with the very keys they describe, so the
only thing wrong with each token is where its key was published.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fixed_time import NOW
from hostile_servers import HostileServer, json_body
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from cognito_jwt import ConfigurationError, JwksCache, JwtVerifier, UnknownKeyError
from cognito_jwt._keys import parse_jwks
from cognito_jwt.cli import EXIT_INVALID_TOKEN, EXIT_OK, main
from cognito_jwt.testing import FakeCognitoPool

ISSUER = "https://leaky-issuer.example.com"
AUDIENCE = "leaky-client"
CLAIMS = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "iat": NOW, "exp": NOW + 600}
ALGORITHMS = ["RS256", "ES256", "EdDSA"]

_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_EC = ec.generate_private_key(ec.SECP256R1())
_OKP = ed25519.Ed25519PrivateKey.generate()
_HONEST = rsa.generate_private_key(public_exponent=65537, key_size=2048)

#: (kid, private key, algorithm, PyJWT's JWK converter), one row per key type.
KEY_TYPES = [
    ("rsa", _RSA, "RS256", RSAAlgorithm),
    ("ec", _EC, "ES256", ECAlgorithm),
    ("okp", _OKP, "EdDSA", OKPAlgorithm),
]
IDS = [row[0] for row in KEY_TYPES]


def jwk_of(key: Any, converter: Any, kid: str) -> dict[str, Any]:
    """The JWK PyJWT writes for `key` (private or public), under `kid`, as a JWKS lists it.

    PyJWT marks a private JWK `"key_ops": ["sign"]`, which alone would make it
    unusable here; a leaked key is published as `"use": "sig"` like the others.
    """
    jwk: dict[str, Any] = converter.to_jwk(key, as_dict=True)
    jwk.pop("key_ops", None)
    return {**jwk, "kid": kid, "use": "sig"}


def token(key: Any, alg: str, kid: str) -> str:
    return jwt.encode(CLAIMS, key, algorithm=alg, headers={"kid": kid})


def honest_jwk() -> dict[str, Any]:
    return jwk_of(_HONEST.public_key(), RSAAlgorithm, "honest")


def leaky_jwks() -> dict[str, Any]:
    """The honest public key, and every key type published with its private half."""
    return {
        "keys": [
            honest_jwk(),
            *(jwk_of(key, converter, kid) for kid, key, _, converter in KEY_TYPES),
        ]
    }


def assert_leaked(verifier: JwtVerifier, key: Any, alg: str, kid: str) -> None:
    with pytest.raises(UnknownKeyError) as caught:
        verifier.verify(token(key, alg, kid))
    assert caught.value.reason == "unusable_key"
    assert "private key" in caught.value.message
    assert "expected only the public half" in caught.value.message


def test_pyjwt_private_jwks_carry_the_private_members() -> None:
    """The fixture is what it claims: each JWK really holds its private key."""
    rsa_jwk, ec_jwk, okp_jwk = (jwk_of(key, conv, kid) for kid, key, _, conv in KEY_TYPES)
    assert {"d", "p", "q", "dp", "dq", "qi"} <= rsa_jwk.keys()
    assert "d" in ec_jwk
    assert "d" in okp_jwk


@pytest.mark.parametrize(("kid", "key", "alg", "converter"), KEY_TYPES, ids=IDS)
def test_the_public_half_of_each_key_verifies(kid: str, key: Any, alg: str, converter: Any) -> None:
    """The control: the same key and token verify once only the public half is published."""
    verifier = JwtVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        algorithms=ALGORITHMS,
        jwks={"keys": [jwk_of(key.public_key(), converter, kid)]},
        clock=lambda: NOW,
    )
    assert verifier.verify(token(key, alg, kid))["sub"] == "u1"


@pytest.mark.parametrize(("kid", "key", "alg", "converter"), KEY_TYPES, ids=IDS)
def test_a_static_jwks_key_with_its_private_half_is_unusable(
    kid: str, key: Any, alg: str, converter: Any
) -> None:
    del converter
    verifier = JwtVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        algorithms=ALGORITHMS,
        jwks=leaky_jwks(),
        clock=lambda: NOW,
    )
    assert_leaked(verifier, key, alg, kid)
    assert verifier.verify(token(_HONEST, "RS256", "honest"))["sub"] == "u1"  # the others serve


@pytest.mark.parametrize(("kid", "key", "alg", "converter"), KEY_TYPES, ids=IDS)
def test_a_static_jwks_of_only_a_private_key_is_refused_at_construction(
    kid: str, key: Any, alg: str, converter: Any
) -> None:
    del alg
    with pytest.raises(ConfigurationError) as caught:
        JwtVerifier(
            issuer=ISSUER,
            audience=AUDIENCE,
            algorithms=ALGORITHMS,
            jwks={"keys": [jwk_of(key, converter, kid)]},
        )
    assert "private key" in caught.value.message


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "oth"])
def test_each_private_rsa_member_alone_makes_the_key_unusable(member: str) -> None:
    private = jwk_of(_RSA, RSAAlgorithm, "rsa")
    public = jwk_of(_RSA.public_key(), RSAAlgorithm, "rsa")
    # `oth` (RFC 7518 6.3.2.7, a multi-prime key's other primes) is not in a two-prime key.
    value = private.get(member, [{"r": private["p"], "d": private["dp"], "t": private["qi"]}])
    keyset = parse_jwks({"keys": [{**public, member: value}]})
    assert "rsa" not in keyset.keys
    assert keyset.unusable["rsa"].startswith(f"the JWK holds a private key ({member}),")


def test_the_message_names_every_private_member_found() -> None:
    keyset = parse_jwks({"keys": [jwk_of(_RSA, RSAAlgorithm, "rsa")]})
    assert "(d, p, q, dp, dq, qi)" in keyset.unusable["rsa"]


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer(json_body(json.dumps(leaky_jwks()).encode())) as s:
        yield s


def fetching(server: HostileServer, cache: JwksCache) -> JwtVerifier:
    return JwtVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        algorithms=ALGORITHMS,
        jwks_uri=server.url,
        allow_http=True,
        jwks_cache=cache,
        clock=lambda: NOW,
    )


@pytest.mark.parametrize(("kid", "key", "alg", "converter"), KEY_TYPES, ids=IDS)
def test_a_fetched_jwks_key_with_its_private_half_is_unusable(
    server: HostileServer, kid: str, key: Any, alg: str, converter: Any
) -> None:
    del converter
    verifier = fetching(server, JwksCache())
    assert_leaked(verifier, key, alg, kid)
    assert verifier.verify(token(_HONEST, "RS256", "honest"))["sub"] == "u1"


@pytest.mark.parametrize(("kid", "key", "alg", "converter"), KEY_TYPES, ids=IDS)
def test_a_jwks_parser_cannot_hand_over_a_private_key(
    kid: str, key: Any, alg: str, converter: Any
) -> None:
    """The parser's JWKS passes the same key hygiene as a fetched one."""
    del converter
    with HostileServer(json_body(b'{"format": "not a JWKS"}')) as s:

        def parser(body: bytes) -> Mapping[str, Any]:
            del body
            return leaky_jwks()

        verifier = fetching(s, JwksCache(jwks_parser=parser))
        assert_leaked(verifier, key, alg, kid)
        assert verifier.verify(token(_HONEST, "RS256", "honest"))["sub"] == "u1"


def test_the_cli_refuses_a_private_key_in_a_jwks_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cognito-jwt verify --jwks-file`: the pool's ID key published with its private half."""
    pool = FakeCognitoPool()
    keys = [k for k in pool.jwks["keys"] if k["kid"] != pool.id_kid]
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(
        json.dumps({"keys": [*keys, jwk_of(pool.id_key, RSAAlgorithm, pool.id_kid)]}),
        encoding="utf-8",
    )

    def verify(token_use: str, tok: str) -> int:
        return main(
            [
                "verify",
                "--user-pool-id",
                pool.user_pool_id,
                "--token-use",
                token_use,
                "--client-id",
                pool.client_id,
                "--jwks-file",
                str(jwks_file),
                "--at",
                str(NOW),
                tok,
            ]
        )

    assert verify("access", pool.access_token(now=NOW)) == EXIT_OK  # its public key serves
    capsys.readouterr()
    assert verify("id", pool.id_token(now=NOW)) == EXIT_INVALID_TOKEN
    err = capsys.readouterr().err
    assert "unusable_key" in err
    assert "private key" in err
