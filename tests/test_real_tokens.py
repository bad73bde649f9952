"""Tokens Amazon Cognito really issued (published in public repositories, long
expired) verify against their pools' real JWKS with a fixed clock, and stop
verifying when altered in any way.

The data lives outside this repository (../shared/real-cognito-tokens); the
tests skip when it is absent.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from cognito_jwt import (
    CognitoJwtVerifier,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenError,
    InvalidTokenUseError,
    TokenExpiredError,
    TokenNotYetValidError,
)
from cognito_jwt._key_source import StaticKeySource
from cognito_jwt.testing import b64url


def _data_dir() -> Path:
    """`shared/real-cognito-tokens` beside the checkout, found from any depth (worktrees)."""
    for parent in Path(__file__).resolve().parents[1:]:
        candidate = parent / "shared" / "real-cognito-tokens"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parents[2] / "shared" / "real-cognito-tokens"


DATA = _data_dir()
SAMPLES = sorted(DATA.glob("*.json")) if DATA.is_dir() else []

pytestmark = pytest.mark.skipif(not SAMPLES, reason=f"no real Cognito tokens at {DATA}")


def load(path: Path) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads(path.read_text())
    return sample


def verifier_for(sample: dict[str, Any], **kwargs: Any) -> CognitoJwtVerifier:
    kwargs.setdefault("token_use", sample["token_use"])
    kwargs.setdefault("client_id", sample["client_id"])
    kwargs.setdefault("clock", lambda: sample["iat"] + 60)
    return CognitoJwtVerifier(user_pool_id=sample["user_pool_id"], jwks=sample["jwks"], **kwargs)


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_real_token_verifies_with_a_fixed_clock(path: Path) -> None:
    sample = load(path)
    claims = verifier_for(sample).verify(sample["token"])
    assert claims["token_use"] == sample["token_use"]
    assert claims["exp"] == sample["exp"]


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_real_token_is_rejected_when_expired_or_misused(path: Path) -> None:
    sample = load(path)
    with pytest.raises(TokenExpiredError):
        verifier_for(sample, clock=lambda: sample["exp"]).verify(sample["token"])
    with pytest.raises(InvalidAudienceError):
        verifier_for(sample, client_id="someone-else").verify(sample["token"])
    other_use = "access" if sample["token_use"] == "id" else "id"
    with pytest.raises(InvalidTokenUseError):
        verifier_for(sample, token_use=other_use).verify(sample["token"])


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_real_token_verifies_on_a_host_up_to_60_s_behind_the_issuer(path: Path) -> None:
    """The first request after sign-in arrives at once; this host's clock may lag Cognito's."""
    sample = load(path)
    for lag in (0, 0.001, 1, 1.5, 10, 30, 59.999, 60):
        claims = verifier_for(sample, clock=lambda lag=lag: sample["iat"] - lag).verify(
            sample["token"]
        )
        assert claims["iat"] == sample["iat"], lag
    for lag in (60.001, 61, 3600):
        with pytest.raises(TokenNotYetValidError) as info:
            verifier_for(sample, clock=lambda lag=lag: sample["iat"] - lag).verify(sample["token"])
        assert info.value.reason == "issued_in_future", lag
    # exp stays strict: a second before it verifies, at it does not.
    assert verifier_for(sample, clock=lambda: sample["exp"] - 1).verify(sample["token"])
    with pytest.raises(TokenExpiredError):
        verifier_for(sample, clock=lambda: sample["exp"]).verify(sample["token"])
    with pytest.raises(TokenNotYetValidError):
        verifier_for(sample, clock=lambda: sample["iat"] - 1, iat_nbf_leeway=0).verify(
            sample["token"]
        )


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_real_token_altered_anywhere_fails(path: Path) -> None:
    sample = load(path)
    verifier = verifier_for(sample)
    header, payload, signature = sample["token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for name in claims:
        changed = dict(claims)
        value = changed[name]
        changed[name] = value + 1 if isinstance(value, int) and not isinstance(value, bool) else "x"
        forged = f"{header}.{b64url(json.dumps(changed).encode())}.{signature}"
        # A changed iss names no configured issuer: refused before any key is used.
        expected = InvalidIssuerError if name == "iss" else InvalidSignatureError
        with pytest.raises(expected):
            verifier.verify(forged)
    raw_sig = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw_sig[-1] ^= 0x80
    with pytest.raises(InvalidSignatureError):
        verifier.verify(f"{header}.{payload}.{b64url(bytes(raw_sig))}")
    with pytest.raises(InvalidTokenError):
        verifier.verify(f"{header}.{payload}.{signature[:-2]}")


def test_every_published_jwks_sample_loads() -> None:
    samples = json.loads((DATA / "jwks-only" / "cognito-jwks-samples.json").read_text())
    assert samples
    for sample in samples:
        source = StaticKeySource(sample["jwks"])
        assert len(source.keyset.keys) == len(sample["jwks"]["keys"]), sample["user_pool_id"]
        for kid, key in source.keyset.keys.items():
            assert isinstance(key.public_key, rsa.RSAPublicKey), kid
            assert key.public_key.key_size >= 2048, kid
