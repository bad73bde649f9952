"""Typed claims as user code writes them: `mypy --strict` accepts every line, with no `cast`.

The twin of `claims_typed_refused.py`.  `check.py` (run by ``nox -s lint``)
expects no error here, and `tests/system/test_typing_usage.py` runs each
function on tokens of the test kit, so what the checker accepts is also right
at run time.  It shows the three kinds of token (ID, access, machine to
machine) reaching typed code through `id_token_claims` / `access_token_claims`,
and code written against `dict[str, Any]`, which `verify` still returns,
type-checking unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal, assert_type

from cognito_jwt import (
    ANY_CLIENT,
    CognitoAccessTokenClaims,
    CognitoIdTokenClaims,
    CognitoJwtVerifier,
    access_token_claims,
    id_token_claims,
)
from cognito_jwt.integrations.fastapi import Claims


def verifier_from_the_environment(
    jwks: str, token_use: Literal["id", "access"], environ: Mapping[str, str] = os.environ
) -> CognitoJwtVerifier:
    client_id: str = environ["CLIENT_ID"]  # a str read from the environment
    return CognitoJwtVerifier(
        user_pool_id=environ["USER_POOL_ID"], token_use=token_use, client_id=client_id, jwks=jwks
    )


def any_client_on_purpose(jwks: str, environ: Mapping[str, str] = os.environ) -> CognitoJwtVerifier:
    return CognitoJwtVerifier(
        user_pool_id=environ["USER_POOL_ID"], token_use="access", client_id=ANY_CLIENT, jwks=jwks
    )


def profile(verifier: CognitoJwtVerifier, token: str) -> str:
    """An ID token: its always-present claims read with [], the optional ones with .get."""
    person = id_token_claims(verifier.verify(token))
    assert_type(person, CognitoIdTokenClaims)
    assert_type(person["sub"], str)
    assert_type(person["aud"], str)
    assert_type(person["exp"], int)
    assert_type(person["token_use"], Literal["id"])
    email = person.get("email")
    assert_type(email, str | None)
    tenant = person.get("custom:tenant")  # added by a Lambda: typed `object`, so check it
    return f"{email or person['sub']} of {tenant if isinstance(tenant, str) else 'no tenant'}"


def scopes_of(verifier: CognitoJwtVerifier, token: str) -> list[str]:
    """A user's access token."""
    grant = access_token_claims(verifier.verify(token))
    assert_type(grant, CognitoAccessTokenClaims)
    assert_type(grant["client_id"], str)
    assert_type(grant["token_use"], Literal["access"])
    assert_type(grant.get("username"), str | None)
    return grant.get("scope", "").split()


def machine_client(verifier: CognitoJwtVerifier, token: str) -> str | None:
    """A machine-to-machine token: an access token without a user."""
    grant = access_token_claims(verifier.verify(token))
    if grant.get("username") is None and grant["sub"] == grant["client_id"]:
        return grant["client_id"]
    return None


async def scopes_of_async(verifier: CognitoJwtVerifier, token: str) -> list[str]:
    grant = access_token_claims(await verifier.verify_async(token))
    return grant.get("scope", "").split()


def audience_of_either(verifier: CognitoJwtVerifier, token: str) -> str:
    """A verifier built with token_use=None: branch on the claim, then narrow."""
    claims = verifier.verify(token)
    if claims["token_use"] == "id":
        return id_token_claims(claims)["aud"]
    return access_token_claims(claims)["client_id"]


def route(claims: Claims) -> str:
    """A FastAPI route's claims (the `Claims` alias, a `dict[str, Any]`) narrow the same way."""
    return id_token_claims(claims)["sub"]


# -- code written against dict[str, Any] before typed claims existed, unchanged --------------


def tenant_of(claims: dict[str, Any]) -> str:
    return str(claims.get("custom:tenant", "none"))


def untyped_caller(verifier: CognitoJwtVerifier, token: str) -> str:
    claims: dict[str, Any] = verifier.verify(token)
    assert_type(verifier.verify(token), dict[str, Any])
    claims["seen"] = True  # the caller's own dict, to change as it likes
    return tenant_of(claims)


def count_claims(claims: Mapping[str, Any]) -> int:
    """A function taking a read-only Mapping accepts the typed claims too."""
    return len(claims)


def typed_claims_where_a_mapping_is_expected(verifier: CognitoJwtVerifier, token: str) -> int:
    return count_claims(id_token_claims(verifier.verify(token)))
