"""`AlbJwtVerifier` and its key cache: every rejection is a real ALB-shaped token
signed with ES256 and wrong in exactly one way, asserting class and reason."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fixed_time import NOW, clock
from hypothesis import given
from hypothesis import strategies as st

from cognito_jwt import (
    AlbJwtVerifier,
    AlbKeyCache,
    CognitoJwtError,
    ConfigurationError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuerError,
    InvalidSignatureError,
    JwksUnavailableError,
    JwtVerifier,
    MalformedTokenError,
    MissingClaimError,
    TokenExpiredError,
    TokenNotYetValidError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
)
from cognito_jwt._alb import _unpad, alb_key_endpoint
from cognito_jwt._alb_keys import KEY_NOT_FOUND
from cognito_jwt.testing import AlbKeyServer, FakeAlb, ManualClock, alb_segment, b64url

OTHER_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "loadbalancer/app/other-alb/0123456789abcdef"
)
EU_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/eu/0123456789abcdef"
GOV_WEST_ARN = (
    "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:"
    "loadbalancer/app/gov/0123456789abcdef"
)
GOV_EAST_ARN = GOV_WEST_ARN.replace("us-gov-west-1", "us-gov-east-1")
CN_ARN = (
    "arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/cn/0123456789abcdef"
)


@pytest.fixture
def verifier(alb: FakeAlb, alb_key_server: AlbKeyServer) -> AlbJwtVerifier:
    return alb.verifier(alb_key_server, clock=clock)


def expect(verifier: Any, token: Any, error: type[CognitoJwtError], reason: str) -> CognitoJwtError:
    with pytest.raises(error) as info:
        verifier.verify(token)
    assert info.value.reason == reason, info.value
    return info.value


class CannedFetcher:
    """Answers every key URL with one body (or raises one error), recording the URLs."""

    def __init__(self, answer: bytes | BaseException) -> None:
        self.answer = answer
        self.urls: list[str] = []

    def fetch(self, uri: str) -> bytes:
        self.urls.append(uri)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def not_found() -> JwksUnavailableError:
    return JwksUnavailableError("no such key", reason=KEY_NOT_FOUND)


# -- acceptance ----------------------------------------------------------------


def test_padded_alb_token_returns_its_payload_claims(
    alb: FakeAlb, verifier: AlbJwtVerifier
) -> None:
    token = alb.token(now=NOW)
    assert "=" in token  # the kit pads as an ALB does
    claims = verifier.verify(token)
    assert claims["email"] == "alice@example.com"
    assert claims["iss"] == alb.issuer


def test_unpadded_alb_token_verifies_too(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    token = alb.token(now=NOW, padded=False)
    assert "=" not in token
    assert verifier.verify(token)["username"] == "alice"


def test_verify_async_gives_the_same_answers(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    assert asyncio.run(verifier.verify_async(alb.token(now=NOW)))["username"] == "alice"
    with pytest.raises(InvalidAudienceError):
        asyncio.run(verifier.verify_async(alb.token(now=NOW, header_overrides={"client": "x"})))


def test_key_is_fetched_once_then_served_from_cache(
    alb: FakeAlb, alb_key_server: AlbKeyServer
) -> None:
    verifier = alb.verifier(alb_key_server, clock=clock)
    before = alb_key_server.request_count
    for _ in range(5):
        verifier.verify(alb.token(now=NOW))
    assert alb_key_server.request_count == before + 1
    assert alb_key_server.requested[-1] == alb.kid


def test_payload_without_exp_and_iss_relies_on_the_header(
    alb: FakeAlb, verifier: AlbJwtVerifier
) -> None:
    claims = verifier.verify(alb.token(now=NOW, exp=None, iss=None))
    assert "exp" not in claims


def test_issuer_none_and_client_id_none_skip_those_checks(
    alb: FakeAlb, alb_key_server: AlbKeyServer
) -> None:
    verifier = alb.verifier(alb_key_server, issuer=None, client_id=None, clock=clock)
    token = alb.token(now=NOW, iss="https://other", header_overrides={"iss": None, "client": None})
    assert verifier.verify(token)["iss"] == "https://other"


def test_any_configured_arn_may_sign(alb: FakeAlb, alb_key_server: AlbKeyServer) -> None:
    verifier = alb.verifier(alb_key_server, alb_arn=[OTHER_ARN, alb.alb_arn], clock=clock)
    assert verifier.verify(alb.token(now=NOW))
    assert set(verifier.alb_arns) == {OTHER_ARN, alb.alb_arn}


def test_client_id_list_accepts_any_listed(alb: FakeAlb, alb_key_server: AlbKeyServer) -> None:
    verifier = alb.verifier(alb_key_server, client_id=["a", alb.client_id], clock=clock)
    assert verifier.verify(alb.token(now=NOW))


def test_leeway_tolerates_a_just_expired_header(alb: FakeAlb, alb_key_server: AlbKeyServer) -> None:
    token = alb.token(now=NOW - 125, expires_in=120)
    expect(alb.verifier(alb_key_server, clock=clock), token, TokenExpiredError, "token_expired")
    assert alb.verifier(alb_key_server, clock=clock, leeway=10).verify(token)


def test_rotated_key_verifies_and_the_old_one_still_does(alb_key_server: AlbKeyServer) -> None:
    alb = FakeAlb()
    with alb.serve_keys() as serving:
        verifier = alb.verifier(serving, clock=clock)
        old = alb.token(now=NOW)
        alb.rotate()
        assert verifier.verify(alb.token(now=NOW))
        assert verifier.verify(old)


def test_custom_check_sees_header_and_claims(alb: FakeAlb, alb_key_server: AlbKeyServer) -> None:
    seen: list[tuple[str, str]] = []

    def check(header: dict[str, Any], claims: dict[str, Any]) -> None:
        seen.append((header["signer"], claims["email"]))

    alb.verifier(alb_key_server, clock=clock, custom_check=check).verify(alb.token(now=NOW))
    assert seen == [(alb.alb_arn, "alice@example.com")]


# -- rejections: shape -----------------------------------------------------------


def test_non_string_token_is_malformed(verifier: AlbJwtVerifier) -> None:
    expect(verifier, b"a.b.c", MalformedTokenError, "malformed_token")


def test_oversized_token_is_rejected_before_parsing(
    alb: FakeAlb, alb_key_server: AlbKeyServer
) -> None:
    verifier = alb.verifier(alb_key_server, clock=clock, max_token_length=200)
    expect(verifier, alb.token(now=NOW), MalformedTokenError, "token_too_large")


def test_two_segments_are_malformed(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    token = alb.token(now=NOW)
    expect(verifier, token.rsplit(".", 1)[0], MalformedTokenError, "malformed_token")


def test_bearer_prefix_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    expect(verifier, "Bearer " + alb.token(now=NOW), MalformedTokenError, "bearer_prefix")


@pytest.mark.parametrize("segment", [0, 1, 2])
def test_excess_padding_in_any_segment_is_rejected(
    alb: FakeAlb, verifier: AlbJwtVerifier, segment: int
) -> None:
    parts = alb.token(now=NOW).split(".")
    parts[segment] += "===="
    expect(verifier, ".".join(parts), MalformedTokenError, "invalid_padding")


def test_padding_on_a_segment_that_needs_none_is_rejected(verifier: AlbJwtVerifier) -> None:
    alb = FakeAlb()
    header = {"alg": "ES256", "kid": alb.kid, "signer": alb.alb_arn, "exp": NOW + 60}
    raw = json.dumps(header).encode()
    while len(raw) % 3:  # a length whose base64 needs no padding
        raw += b" "
    token = alb.sign_raw(raw, b'{"sub":"a"}')
    first, rest = token.split(".", 1)
    assert not first.endswith("=")
    expect(verifier, f"{first}=.{rest}", MalformedTokenError, "invalid_padding")


def test_padding_inside_a_segment_is_not_base64url(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    header, payload, signature = alb.token(now=NOW, padded=False).split(".")
    broken = f"{header}.{payload[:8]}={payload[8:]}.{signature}"
    expect(verifier, broken, MalformedTokenError, "invalid_base64url")


def test_standard_base64_characters_are_rejected(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    header, payload, signature = alb.token(now=NOW).split(".")
    mangled = signature.replace("-", "+").replace("_", "/")
    if mangled == signature:
        mangled = "+" + signature[1:]
    expect(verifier, f"{header}.{payload}.{mangled}", MalformedTokenError, "invalid_base64url")


def test_payload_that_is_not_a_json_object_is_malformed(
    alb: FakeAlb, verifier: AlbJwtVerifier
) -> None:
    header = {"alg": "ES256", "kid": alb.kid, "signer": alb.alb_arn, "exp": NOW + 60}
    token = alb.sign_raw(json.dumps(header).encode(), b"[1, 2]")
    expect(verifier, token, MalformedTokenError, "invalid_json")


def test_duplicate_header_member_is_malformed(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    header = f'{{"alg":"ES256","kid":"{alb.kid}","signer":"{OTHER_ARN}","signer":"{alb.alb_arn}"}}'
    token = alb.sign_raw(header.encode(), b'{"sub":"a"}')
    expect(verifier, token, MalformedTokenError, "duplicate_member")


def test_critical_header_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    token = alb.token(now=NOW, header_overrides={"crit": ["exp"]})
    expect(verifier, token, MalformedTokenError, "unsupported_crit")


# -- rejections: header before the key -------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "ES384", "HS256", "none", "EdDSA"])
def test_algorithms_other_than_es256_are_rejected(
    alb: FakeAlb, verifier: AlbJwtVerifier, alb_key_server: AlbKeyServer, alg: str
) -> None:
    before = alb_key_server.request_count
    token = alb.token(now=NOW, header_overrides={"alg": alg})
    expect(verifier, token, UnsupportedAlgorithmError, "unsupported_algorithm")
    assert alb_key_server.request_count == before


def test_missing_kid_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    expect(
        verifier,
        alb.token(now=NOW, header_overrides={"kid": None}),
        MalformedTokenError,
        "missing_kid",
    )


@pytest.mark.parametrize(
    "kid",
    [
        "not-a-uuid",
        "12345678-1234-1234-1234-12345678901",  # one digit short
        "12345678-1234-1234-1234-1234567890123",  # one digit long
        "12345678123412341234123456789012",  # no hyphens
        "../12345678-1234-1234-1234-123456789012",
        "12345678-1234-1234-1234-123456789012/..",
        "g2345678-1234-1234-1234-123456789012",
    ],
)
def test_kid_that_is_not_a_uuid_never_reaches_a_url(
    alb: FakeAlb, verifier: AlbJwtVerifier, alb_key_server: AlbKeyServer, kid: str
) -> None:
    before = alb_key_server.request_count
    expect(
        verifier,
        alb.token(now=NOW, header_overrides={"kid": kid}),
        MalformedTokenError,
        "invalid_kid",
    )
    assert alb_key_server.request_count == before


def test_missing_signer_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    token = alb.token(now=NOW, header_overrides={"signer": None})
    expect(verifier, token, MissingClaimError, "missing_signer")


@pytest.mark.parametrize("signer", [OTHER_ARN, ["arn"], 7, ""])
def test_signer_not_configured_is_rejected_before_any_fetch(
    alb: FakeAlb, verifier: AlbJwtVerifier, alb_key_server: AlbKeyServer, signer: object
) -> None:
    before = alb_key_server.request_count
    token = alb.token(now=NOW, header_overrides={"signer": signer})
    expect(verifier, token, InvalidIssuerError, "invalid_signer")
    assert alb_key_server.request_count == before


# -- rejections: the key ------------------------------------------------------------


def test_kid_the_endpoint_does_not_know_is_unknown_and_remembered(
    alb: FakeAlb, alb_key_server: AlbKeyServer
) -> None:
    verifier = alb.verifier(alb_key_server, clock=clock)
    token = alb.token(now=NOW, header_overrides={"kid": str(uuid.uuid4())})
    before = alb_key_server.request_count
    expect(verifier, token, UnknownKeyError, "unknown_kid")
    expect(verifier, token, UnknownKeyError, "unknown_kid")
    assert (
        alb_key_server.request_count == before + 1
    )  # the second answer came from the negative cache


def test_published_key_that_is_not_p256_is_unusable(
    alb: FakeAlb, alb_key_server: AlbKeyServer
) -> None:
    kid = str(uuid.uuid4())
    alb.publish(kid, ec.generate_private_key(ec.SECP384R1()).public_key())
    token = alb.token(now=NOW, header_overrides={"kid": kid})
    expect(alb.verifier(alb_key_server, clock=clock), token, UnknownKeyError, "unusable_key")


def test_published_rsa_key_is_unusable(alb: FakeAlb, alb_key_server: AlbKeyServer) -> None:
    kid = str(uuid.uuid4())
    alb.publish(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())
    token = alb.token(now=NOW, header_overrides={"kid": kid})
    expect(alb.verifier(alb_key_server, clock=clock), token, UnknownKeyError, "unusable_key")


def _private_pem(key: ec.EllipticCurvePrivateKey, form: serialization.PrivateFormat) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption())


@pytest.mark.parametrize(
    ("after", "found"),
    [
        pytest.param(
            lambda a: _private_pem(a.key, serialization.PrivateFormat.PKCS8),
            "a private key",
            id="its-private-key-pkcs8",
        ),
        pytest.param(
            lambda a: _private_pem(a.key, serialization.PrivateFormat.TraditionalOpenSSL),
            "a private key",
            id="its-private-key-sec1",
        ),
        pytest.param(
            lambda a: (
                ec.generate_private_key(ec.SECP256R1())
                .public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            ),
            "more than one PEM block",
            id="another-public-key",
        ),
    ],
)
def test_a_key_body_with_another_pem_block_after_the_public_key_is_unusable(
    alb: FakeAlb, after: Any, found: str
) -> None:
    """`cat key.pub key.pem`: the public key verifies, but whoever fetched it can sign."""
    public = alb.pem(alb.kid)
    assert public is not None
    verifier = AlbJwtVerifier(
        alb_arn=alb.alb_arn,
        issuer=alb.issuer,
        client_id=alb.client_id,
        fetcher=CannedFetcher(public + after(alb)),
        clock=clock,
    )
    error = expect(verifier, alb.token(now=NOW), UnknownKeyError, "unusable_key")
    assert f"found {found} in the body" in str(error)
    alone = AlbJwtVerifier(
        alb_arn=alb.alb_arn,
        issuer=alb.issuer,
        client_id=alb.client_id,
        fetcher=CannedFetcher(public),
        clock=clock,
    )
    assert alone.verify(alb.token(now=NOW))["sub"]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        pytest.param(b"<html>maintenance</html>", "alb_key_invalid", id="body-not-a-pem"),
        pytest.param(
            JwksUnavailableError("boom", reason="jwks_http_status"),
            "jwks_http_status",
            id="endpoint-failure",
        ),
        pytest.param(RuntimeError("bug"), "jwks_fetch_failed", id="foreign-exception-becomes-ours"),
    ],
)
def test_a_key_endpoint_that_fails_is_an_unavailable_key(
    alb: FakeAlb, answer: bytes | BaseException, reason: str
) -> None:
    verifier = AlbJwtVerifier(
        alb_arn=alb.alb_arn,
        issuer=alb.issuer,
        client_id=alb.client_id,
        fetcher=CannedFetcher(answer),
        clock=clock,
    )
    expect(verifier, alb.token(now=NOW), JwksUnavailableError, reason)


@pytest.mark.parametrize(
    ("status", "error", "reason"),
    [
        (403, UnknownKeyError, "unknown_kid"),  # S3 answers a missing object with 403
        (404, UnknownKeyError, "unknown_kid"),
        (500, JwksUnavailableError, "jwks_http_status"),
        (503, JwksUnavailableError, "jwks_http_status"),
    ],
)
def test_http_status_of_the_key_endpoint_maps_to_an_error(
    alb: FakeAlb, status: int, error: type[CognitoJwtError], reason: str
) -> None:
    answering = AlbKeyServer(lambda kid: status)
    try:
        expect(alb.verifier(answering, clock=clock), alb.token(now=NOW), error, reason)
    finally:
        answering.close()


# -- rejections: signature ------------------------------------------------------------


def test_token_signed_by_another_key_has_an_invalid_signature(
    alb: FakeAlb, verifier: AlbJwtVerifier
) -> None:
    token = alb.token(now=NOW, key=ec.generate_private_key(ec.SECP256R1()))
    expect(verifier, token, InvalidSignatureError, "invalid_signature")


def test_tampered_payload_has_an_invalid_signature(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    header, _, signature = alb.token(now=NOW).split(".")
    forged = alb_segment(json.dumps({"sub": "admin", "email": "root@example.com"}).encode())
    expect(verifier, f"{header}.{forged}.{signature}", InvalidSignatureError, "invalid_signature")


def test_signature_covers_the_padding_as_sent(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    """Stripping the padding an ALB sent changes the signed bytes: the signature must fail."""
    header, payload, signature = alb.token(now=NOW).split(".")
    assert header.endswith("=") or payload.endswith("=")
    stripped = f"{header.rstrip('=')}.{payload.rstrip('=')}.{signature}"
    expect(verifier, stripped, InvalidSignatureError, "invalid_signature")


def test_truncated_signature_is_invalid(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    header, payload, signature = alb.token(now=NOW).split(".")
    short = alb_segment(base64.urlsafe_b64decode(signature)[:-1])
    expect(verifier, f"{header}.{payload}.{short}", InvalidSignatureError, "invalid_signature")


# -- rejections: after the signature -----------------------------------------------------


def test_missing_header_exp_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    token = alb.token(now=NOW, header_overrides={"exp": None})
    expect(verifier, token, MissingClaimError, "missing_exp")


@pytest.mark.parametrize("exp", ["1900000000", True, [1], 1e400])
def test_header_exp_that_is_not_a_number_is_rejected(
    alb: FakeAlb, verifier: AlbJwtVerifier, exp: object
) -> None:
    if exp == 1e400:
        header = {"alg": "ES256", "kid": alb.kid, "signer": alb.alb_arn}
        raw = json.dumps(header)[:-1] + ', "exp": 1e400}'
        token = alb.sign_raw(raw.encode(), b'{"sub": "a"}')
    else:
        token = alb.token(now=NOW, header_overrides={"exp": exp})
    expect(verifier, token, InvalidClaimError, "invalid_claim_type")


def test_expired_header_is_rejected_even_with_a_valid_payload_exp(
    alb: FakeAlb, verifier: AlbJwtVerifier
) -> None:
    token = alb.token(now=NOW, exp=NOW + 3600, header_overrides={"exp": NOW - 1})
    expect(verifier, token, TokenExpiredError, "token_expired")


def test_expired_payload_is_rejected_even_with_a_valid_header_exp(
    alb: FakeAlb, verifier: AlbJwtVerifier
) -> None:
    token = alb.token(now=NOW, exp=NOW - 1)
    expect(verifier, token, TokenExpiredError, "token_expired")


def test_payload_exp_of_the_wrong_type_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    expect(verifier, alb.token(now=NOW, exp="soon"), InvalidClaimError, "invalid_claim_type")


def test_payload_nbf_in_the_future_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    token = alb.token(now=NOW, nbf=NOW + 61)
    expect(verifier, token, TokenNotYetValidError, "token_not_yet_valid")
    assert verifier.verify(alb.token(now=NOW, nbf=NOW + 60))  # a clock up to 60 s behind


def test_iat_nbf_leeway_is_configurable(alb: FakeAlb, alb_key_server: AlbKeyServer) -> None:
    strict = alb.verifier(alb_key_server, clock=clock, iat_nbf_leeway=0)
    expect(strict, alb.token(now=NOW, nbf=NOW + 1), TokenNotYetValidError, "token_not_yet_valid")


def test_payload_iat_in_the_future_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    expect(verifier, alb.token(now=NOW, iat=NOW + 61), TokenNotYetValidError, "issued_in_future")


def test_missing_header_iss_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    token = alb.token(now=NOW, header_overrides={"iss": None})
    expect(verifier, token, MissingClaimError, "missing_iss")


@pytest.mark.parametrize("iss", ["https://evil.example.com", "", ["x"]])
def test_wrong_header_iss_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier, iss: object) -> None:
    token = alb.token(now=NOW, header_overrides={"iss": iss})
    expect(verifier, token, InvalidIssuerError, "invalid_issuer")


def test_header_iss_must_match_exactly(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    token = alb.token(now=NOW, header_overrides={"iss": alb.issuer + "/"})
    expect(verifier, token, InvalidIssuerError, "invalid_issuer")


def test_wrong_payload_iss_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    token = alb.token(now=NOW, iss="https://evil.example.com")
    expect(verifier, token, InvalidIssuerError, "invalid_issuer")


def test_missing_client_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    token = alb.token(now=NOW, header_overrides={"client": None})
    expect(verifier, token, MissingClaimError, "missing_client")


@pytest.mark.parametrize("client", ["other-client", ["testclient0123456789abcdef"], 3])
def test_wrong_client_is_rejected(alb: FakeAlb, verifier: AlbJwtVerifier, client: object) -> None:
    token = alb.token(now=NOW, header_overrides={"client": client})
    expect(verifier, token, InvalidAudienceError, "invalid_client")


def test_custom_check_returning_false_rejects(alb: FakeAlb, alb_key_server: AlbKeyServer) -> None:
    verifier = alb.verifier(alb_key_server, clock=clock, custom_check=lambda h, c: False)
    expect(verifier, alb.token(now=NOW), InvalidClaimError, "custom_check_failed")


def test_custom_check_raising_rejects_and_claims_attach_on_request(
    alb: FakeAlb, alb_key_server: AlbKeyServer
) -> None:
    def check(header: dict[str, Any], claims: dict[str, Any]) -> None:
        raise KeyError("tenant")

    verifier = alb.verifier(
        alb_key_server, clock=clock, custom_check=check, include_claims_in_errors=True
    )
    error = expect(verifier, alb.token(now=NOW), InvalidClaimError, "custom_check_failed")
    assert error.claims is not None
    assert error.claims["username"] == "alice"


def test_claims_stay_out_of_errors_by_default(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    error = expect(verifier, alb.token(now=NOW, exp=NOW - 1), TokenExpiredError, "token_expired")
    assert error.claims is None
    assert "alice" not in str(error)


# -- padding is this verifier's exception, nobody else's -------------------------------


def test_generic_verifier_rejects_the_padded_token_it_accepts_unpadded(alb: FakeAlb) -> None:
    numbers = alb.key.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "kid": alb.kid,
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }
    verifier = JwtVerifier(
        issuer=alb.issuer, audience=None, algorithms=["ES256"], jwks={"keys": [jwk]}, clock=clock
    )
    assert verifier.verify(alb.token(now=NOW, padded=False))
    expect(verifier, alb.token(now=NOW, padded=True), MalformedTokenError, "invalid_base64url")


@given(st.binary(min_size=1, max_size=64), st.integers(min_value=0, max_value=4))
def test_unpad_accepts_exactly_the_padding_base64_writes(data: bytes, extra: int) -> None:
    padded = base64.urlsafe_b64encode(data).decode("ascii")
    bare = padded.rstrip("=")
    assert _unpad(padded, "x") == bare
    assert _unpad(bare, "x") == bare
    candidate = bare + "=" * extra
    if candidate in (padded, bare):
        assert _unpad(candidate, "x") == bare
    else:
        with pytest.raises(MalformedTokenError) as info:
            _unpad(candidate, "x")
        assert info.value.reason == "invalid_padding"


# -- where keys come from ------------------------------------------------------------


@pytest.mark.parametrize(
    ("arn", "endpoint"),
    [
        (EU_ARN, "https://public-keys.auth.elb.eu-west-1.amazonaws.com"),
        (
            GOV_WEST_ARN,
            "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1",
        ),
        (
            GOV_EAST_ARN,
            "https://s3-us-gov-east-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-east-1",
        ),
    ],
)
def test_key_endpoint_follows_the_arn_partition_and_region(arn: str, endpoint: str) -> None:
    assert alb_key_endpoint(arn) == endpoint


def test_each_signer_fetches_from_its_own_region() -> None:
    east, eu = FakeAlb(), FakeAlb(EU_ARN)
    fetcher = CannedFetcher(not_found())
    verifier = AlbJwtVerifier(
        alb_arn=[east.alb_arn, eu.alb_arn],
        issuer=east.issuer,
        client_id=None,
        fetcher=fetcher,
        clock=clock,
    )
    expect(verifier, east.token(now=NOW), UnknownKeyError, "unknown_kid")
    expect(verifier, eu.token(now=NOW), UnknownKeyError, "unknown_kid")
    assert fetcher.urls == [
        f"https://public-keys.auth.elb.us-east-1.amazonaws.com/{east.kid}",
        f"https://public-keys.auth.elb.eu-west-1.amazonaws.com/{eu.kid}",
    ]


@pytest.mark.parametrize(
    "arn",
    [
        CN_ARN,
        "arn:aws-eusc:elasticloadbalancing:eusc-de-east-1:123456789012:"
        "loadbalancer/app/x/0123456789abcdef",
        "arn:aws:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/x/0123456789abcdef",
        "arn:aws-us-gov:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0123456789abcdef",
    ],
)
def test_partitions_without_a_documented_endpoint_need_key_endpoint(arn: str) -> None:
    with pytest.raises(ConfigurationError):
        AlbJwtVerifier(alb_arn=arn, issuer="https://i", client_id=None)
    verifier = AlbJwtVerifier(
        alb_arn=arn, issuer="https://i", client_id=None, key_endpoint="https://keys.example/"
    )
    assert verifier.alb_arns == (arn,)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/x/0123456789abcdef",
        "arn:aws:elasticloadbalancing:us-east-1:1234:loadbalancer/app/x/0123456789abcdef",
        "arn:aws:ec2:us-east-1:123456789012:loadbalancer/app/x/0123456789abcdef",
        "https://public-keys.auth.elb.us-east-1.amazonaws.com",
        "",
    ],
)
def test_arns_that_are_not_alb_arns_are_configuration_errors(arn: str) -> None:
    with pytest.raises(ConfigurationError):
        AlbJwtVerifier(alb_arn=arn, issuer="https://i", client_id=None)
    with pytest.raises(ConfigurationError):
        AlbJwtVerifier(alb_arn=arn, issuer="https://i", client_id=None, key_endpoint="https://k")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"issuer": "https://i"},  # client_id missing
        {"client_id": None},  # issuer missing
        {"issuer": "", "client_id": None},
        {"issuer": "https://i", "client_id": []},
        {"issuer": "https://i", "client_id": None, "leeway": -1},
        {"issuer": "https://i", "client_id": None, "leeway": True},
        {"issuer": "https://i", "client_id": None, "clock": 5},
        {"issuer": "https://i", "client_id": None, "custom_check": "x"},
        {"issuer": "https://i", "client_id": None, "max_token_length": 10},
        {"issuer": "https://i", "client_id": None, "key_endpoint": "http://k"},
        {"issuer": "https://i", "client_id": None, "key_endpoint": "ftp://k", "allow_http": True},
        {"issuer": "https://i", "client_id": None, "key_cache": AlbKeyCache(), "session": object()},
    ],
)
def test_invalid_settings_are_configuration_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        AlbJwtVerifier(alb_arn=EU_ARN, **kwargs)


def test_empty_arn_list_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        AlbJwtVerifier(alb_arn=[], issuer="https://i", client_id=None)


# -- the key cache: negative cache, budget, single flight, bounds ----------------------


#: The key endpoint the cache's key source is asked about (keys at `<endpoint>/<kid>`).
ENDPOINT = "https://keys.example"


def test_negative_entry_expires_after_its_ttl() -> None:
    fetcher = CannedFetcher(not_found())
    ticks = ManualClock()
    cache = AlbKeyCache(fetcher, negative_ttl=30, clock=ticks)
    kid = str(uuid.uuid4())
    for _ in range(3):
        with pytest.raises(UnknownKeyError):
            cache.get_key(ENDPOINT, kid)
    assert len(fetcher.urls) == 1
    ticks.advance(31)
    with pytest.raises(UnknownKeyError):
        cache.get_key(ENDPOINT, kid)
    assert len(fetcher.urls) == 2


def test_random_kid_flood_spends_only_the_fetch_budget() -> None:
    fetcher = CannedFetcher(not_found())
    ticks = ManualClock()
    cache = AlbKeyCache(fetcher, fetch_budget=3, budget_window=60, clock=ticks)
    reasons = []
    for _ in range(50):
        kid = str(uuid.uuid4())
        with pytest.raises(CognitoJwtError) as info:
            cache.get_key(ENDPOINT, kid)
        reasons.append(info.value.reason)
    assert len(fetcher.urls) == 3
    assert reasons[:3] == ["unknown_kid"] * 3
    assert set(reasons[3:]) == {"alb_key_fetch_throttled"}
    ticks.advance(61)
    kid = str(uuid.uuid4())
    with pytest.raises(UnknownKeyError):
        cache.get_key(ENDPOINT, kid)
    assert len(fetcher.urls) == 4


def test_throttled_flood_leaves_cached_keys_serving(
    alb: FakeAlb, alb_key_server: AlbKeyServer
) -> None:
    cache = AlbKeyCache(fetch_budget=2, clock=ManualClock())
    verifier = alb.verifier(alb_key_server, key_cache=cache, clock=clock)
    token = alb.token(now=NOW)
    verifier.verify(token)
    for _ in range(5):
        with pytest.raises(CognitoJwtError):
            verifier.verify(alb.token(now=NOW, header_overrides={"kid": str(uuid.uuid4())}))
    assert verifier.verify(token)
    expect(
        verifier,
        alb.token(now=NOW, header_overrides={"kid": str(uuid.uuid4())}),
        JwksUnavailableError,
        "alb_key_fetch_throttled",
    )


def test_concurrent_callers_share_one_fetch(alb: FakeAlb) -> None:
    release = threading.Event()
    published = alb.pem(alb.kid)
    assert published is not None
    pem: bytes = published

    class SlowFetcher:
        calls = 0

        def fetch(self, uri: str) -> bytes:
            SlowFetcher.calls += 1
            release.wait(5)
            return pem

    cache = AlbKeyCache(SlowFetcher())
    results: list[object] = []

    def worker() -> None:
        results.append(cache.get_key(ENDPOINT, alb.kid))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(5)
    assert SlowFetcher.calls == 1
    assert len(results) == 8
    assert len({id(r) for r in results}) == 1


def test_waiters_of_a_failed_fetch_get_their_own_error(alb: FakeAlb) -> None:
    release = threading.Event()

    class FailingFetcher:
        calls = 0

        def fetch(self, uri: str) -> bytes:
            FailingFetcher.calls += 1
            release.wait(5)
            raise JwksUnavailableError("down", reason="jwks_http_status")

    cache = AlbKeyCache(FailingFetcher())
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            cache.get_key(ENDPOINT, alb.kid)
        except JwksUnavailableError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(5)
    assert FailingFetcher.calls == 1
    assert [e.reason for e in errors] == ["jwks_http_status"] * 4  # type: ignore[attr-defined]
    assert len({id(e) for e in errors}) == 4


def test_stale_key_serves_while_the_refresh_fails(alb: FakeAlb) -> None:
    pem = alb.pem(alb.kid)
    assert pem is not None
    fetcher = CannedFetcher(pem)
    ticks = ManualClock()
    cache = AlbKeyCache(fetcher, max_age=100, stale_if_error=50, clock=ticks)
    key = cache.get_key(ENDPOINT, alb.kid)
    fetcher.answer = JwksUnavailableError("down", reason="jwks_http_status")
    ticks.advance(120)
    assert cache.peek(ENDPOINT, alb.kid) is None
    assert cache.get_key(ENDPOINT, alb.kid) is key
    ticks.advance(40)
    with pytest.raises(JwksUnavailableError):
        cache.get_key(ENDPOINT, alb.kid)


def test_key_cache_holds_at_most_max_keys() -> None:
    albs = [FakeAlb() for _ in range(4)]
    pems = {a.kid: a.pem(a.kid) for a in albs}

    class ByKid:
        def fetch(self, uri: str) -> bytes:
            body = pems[uri.rsplit("/", 1)[1]]
            assert body is not None
            return body

    cache = AlbKeyCache(ByKid(), max_keys=2)
    for a in albs:
        cache.get_key(ENDPOINT, a.kid)
    held = [a.kid for a in albs if cache.peek(ENDPOINT, a.kid) is not None]
    assert held == [albs[2].kid, albs[3].kid]


def test_negative_cache_holds_at_most_max_negative() -> None:
    cache = AlbKeyCache(CannedFetcher(not_found()), max_negative=5, fetch_budget=100)
    for _ in range(20):
        kid = str(uuid.uuid4())
        with pytest.raises(UnknownKeyError):
            cache.get_key(ENDPOINT, kid)
    assert len(cache._negative) <= 5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_keys": 0},
        {"fetch_budget": 0},
        {"max_negative": 1.5},
        {"negative_ttl": -1},
        {"budget_window": float("nan")},
        {"fetcher": object()},
        {"clock": 3},
    ],
)
def test_invalid_key_cache_settings_are_configuration_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        AlbKeyCache(**kwargs)


def test_stale_key_serves_while_the_budget_is_spent(alb: FakeAlb) -> None:
    pem = alb.pem(alb.kid)
    assert pem is not None
    fetcher = CannedFetcher(pem)
    ticks = ManualClock()
    cache = AlbKeyCache(fetcher, max_age=100, fetch_budget=1, budget_window=1000, clock=ticks)
    key = cache.get_key(ENDPOINT, alb.kid)
    assert cache.get_key(ENDPOINT, alb.kid) is key  # fresh: no fetch
    ticks.advance(150)
    assert cache.get_key(ENDPOINT, alb.kid) is key  # stale, and no budget left to refresh
    assert len(fetcher.urls) == 1


def test_kid_published_after_it_was_unknown_is_found_once_the_ttl_passes(alb: FakeAlb) -> None:
    pem = alb.pem(alb.kid)
    assert pem is not None
    fetcher = CannedFetcher(not_found())
    ticks = ManualClock()
    cache = AlbKeyCache(fetcher, negative_ttl=60, clock=ticks)
    with pytest.raises(UnknownKeyError):
        cache.get_key(ENDPOINT, alb.kid)
    fetcher.answer = pem
    with pytest.raises(UnknownKeyError):
        cache.get_key(ENDPOINT, alb.kid)  # still remembered as unknown
    ticks.advance(61)
    assert cache.get_key(ENDPOINT, alb.kid).kid == alb.kid
    assert (ENDPOINT, alb.kid) not in cache._negative
    assert len(fetcher.urls) == 2


def test_clear_forgets_keys_and_unknown_kids(alb: FakeAlb) -> None:
    pem = alb.pem(alb.kid)
    assert pem is not None
    fetcher = CannedFetcher(pem)
    cache = AlbKeyCache(fetcher)
    cache.get_key(ENDPOINT, alb.kid)
    cache.clear()
    assert cache.peek(ENDPOINT, alb.kid) is None
    cache.get_key(ENDPOINT, alb.kid)
    assert len(fetcher.urls) == 2


def test_verifier_reports_its_issuer(alb: FakeAlb, verifier: AlbJwtVerifier) -> None:
    assert verifier.issuer == alb.issuer


def test_fetcher_and_session_together_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        AlbJwtVerifier(
            alb_arn=EU_ARN,
            issuer="https://i",
            client_id=None,
            fetcher=CannedFetcher(b""),
            session=object(),
        )


def test_coroutine_custom_check_is_a_configuration_error() -> None:
    async def check(header: dict[str, Any], claims: dict[str, Any]) -> None:
        return None

    with pytest.raises(ConfigurationError):
        AlbJwtVerifier(alb_arn=EU_ARN, issuer="https://i", client_id=None, custom_check=check)
