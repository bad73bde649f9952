"""Typed-claims code `mypy --strict` must refuse; never imported or run.

`check.py` (run by ``nox -s lint``) compares each error mypy reports here with
the ``# E: <error code>`` marks, line by line.  The main mypy run excludes
this file.
"""

from __future__ import annotations

from typing import Any

from cognito_jwt import (
    CognitoAccessTokenClaims,
    CognitoIdTokenClaims,
    CognitoJwtVerifier,
    access_token_claims,
    id_token_claims,
)


def an_id_only_claim_read_off_an_access_token(verifier: CognitoJwtVerifier, token: str) -> None:
    grant = access_token_claims(verifier.verify(token))
    print(grant["email"])  # E: typeddict-item


def an_access_only_claim_read_off_an_id_token(verifier: CognitoJwtVerifier, token: str) -> None:
    person = id_token_claims(verifier.verify(token))
    print(person["scope"])  # E: typeddict-item


def a_claim_of_the_wrong_type(verifier: CognitoJwtVerifier, token: str) -> int:
    person = id_token_claims(verifier.verify(token))
    return person["sub"]  # E: return-value


def a_token_use_the_type_rules_out(claims: CognitoIdTokenClaims) -> bool:
    return claims["token_use"] == "access"  # E: comparison-overlap


def a_custom_claim_read_as_if_declared(claims: CognitoAccessTokenClaims) -> Any:
    return claims["custom:tenant"]  # E: typeddict-item


# Why `verify` keeps returning dict[str, Any]: a TypedDict is not a dict[str, Any].
def wants_a_dict(claims: dict[str, Any]) -> None: ...


def typed_claims_where_a_dict_is_expected(claims: CognitoIdTokenClaims) -> None:
    wants_a_dict(claims)  # E: arg-type
    as_dict: dict[str, Any] = claims  # E: assignment
    print(as_dict)
