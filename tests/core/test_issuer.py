"""cognito_jwt._issuer: one accepted `iss`, its rules, and where its keys live.

The verifier suites reach the issuer through Cognito pools; these pin the
generic issuer's rules (`audience=None`, `scopes=`) with real signed tokens,
and the default JWKS location.
"""

from __future__ import annotations

from typing import Any

import pytest
from fixed_time import NOW, clock

from cognito_jwt import JwtVerifier, MissingScopeError
from cognito_jwt._issuer import default_jwks_uri
from cognito_jwt.testing import FakeCognitoPool


def generic(pool: FakeCognitoPool, **options: Any) -> JwtVerifier:
    return JwtVerifier(issuer=pool.issuer, jwks=pool.jwks, clock=clock, **options)


@pytest.mark.parametrize("aud", ["someone-else", ["a", "b"], None], ids=["str", "list", "absent"])
def test_audience_none_accepts_any_audience_and_none(pool: FakeCognitoPool, aud: Any) -> None:
    """`audience=None` is the explicit "any audience": the rule is skipped, not run on nothing."""
    claims = generic(pool, audience=None).verify(pool.id_token(now=NOW, aud=aud))
    assert claims.get("aud") == aud


def test_a_generic_issuer_requires_its_scopes(pool: FakeCognitoPool) -> None:
    verifier = generic(pool, audience=None, scopes=["orders/read"])
    assert verifier.verify(pool.access_token(now=NOW, scopes=["orders/read"]))
    with pytest.raises(MissingScopeError) as info:
        verifier.verify(pool.access_token(now=NOW, scopes=["orders/write"]))
    assert info.value.reason == "missing_scope"


@pytest.mark.parametrize(
    ("iss", "uri"),
    [
        ("https://idp.example.com", "https://idp.example.com/.well-known/jwks.json"),
        ("https://idp.example.com/", "https://idp.example.com/.well-known/jwks.json"),
        ("https://idp.example.com/tenant/", "https://idp.example.com/tenant/.well-known/jwks.json"),
    ],
)
def test_the_default_jwks_uri_follows_the_issuer_without_a_double_slash(iss: str, uri: str) -> None:
    assert default_jwks_uri(iss) == uri
