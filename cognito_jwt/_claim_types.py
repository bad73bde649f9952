"""What type each claim has, and the readers of the claims whose type is a rule.

A claim of the wrong type is refused before any rule reads it (`check_claim_types`),
so a caller is handed claims that match `CognitoIdTokenClaims` /
`CognitoAccessTokenClaims`.  The claims that are more than their JSON type, a
NumericDate, `cognito:groups` and `scope`, each have one reader here, used by
the type check and by the rules alike (`_claims.py`, the Lambda authorizer and
the framework integrations), so every entry point gives the same answer for the
same token.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping
from typing import Any, Literal, TypedDict

from cognito_jwt.errors import (
    InvalidAudienceError,
    InvalidClaimError,
    InvalidTokenUseError,
    expected_found,
)

__all__ = [
    "CognitoAccessTokenClaims",
    "CognitoIdTokenClaims",
    "check_claim_types",
    "cognito_groups",
    "numeric_date",
    "oauth_scopes",
]


#: Marks a claim that is not in the token at all (`null` is a value, and a wrong one).
_ABSENT: Any = object()
#: The type every value of a list of strings has, as JSON decodes it.
_JUST_STR = frozenset({str})


class _IdTokenRequired(TypedDict):
    """The claims every Cognito ID token carries."""

    sub: str
    iss: str
    token_use: Literal["id"]
    exp: int
    iat: int
    aud: str


class CognitoIdTokenClaims(_IdTokenRequired, total=False):
    """Claims of a Cognito ID token (``token_use == "id"``).

    `id_token_claims(claims)` returns the claims `verify` gave you under this
    type, after checking that they are an ID token's, so no `cast` is needed.
    `sub`, `iss`, `token_use`, `exp`, `iat` and `aud` are always there; read
    the others with ``.get``, and so the claims a pre-token-generation Lambda
    adds (``.get`` of a key not declared here is typed `object` by mypy, so
    check its type before use).
    """

    auth_time: int
    #: The authentication level reached (`urn:cognito:loa:1`...`4` unless the
    #: pool renames them); only pools with authentication levels add it.
    acr: str
    #: The authentication methods completed, e.g. `["pwd", "otp", "mfa"]`.
    amr: list[str]
    jti: str
    origin_jti: str
    event_id: str
    at_hash: str
    nonce: str
    email: str
    email_verified: bool
    phone_number: str
    phone_number_verified: bool
    name: str
    given_name: str
    family_name: str
    identities: list[dict[str, Any]]


class _AccessTokenRequired(TypedDict):
    """The claims every Cognito access token carries."""

    sub: str
    iss: str
    token_use: Literal["access"]
    exp: int
    iat: int
    client_id: str


class CognitoAccessTokenClaims(_AccessTokenRequired, total=False):
    """Claims of a Cognito access token (``token_use == "access"``).

    `access_token_claims(claims)` returns the claims `verify` gave you under
    this type, after checking that they are an access token's.  `sub`, `iss`,
    `token_use`, `exp`, `iat` and `client_id` are always there.
    Machine-to-machine (client-credentials) tokens carry no ``username`` and
    their ``sub`` equals ``client_id``: read ``username`` with ``.get``.
    """

    username: str
    scope: str
    auth_time: int
    jti: str
    origin_jti: str
    event_id: str
    version: int


#: The largest magnitude a NumericDate may have: a JSON number beyond the range
#: of a double (`1e309`, or an integer literal of 400 digits) is no date that
#: any issuer meant, and other verifiers read it as infinity or fail on it.
_MAX_NUMERIC_DATE = sys.float_info.max


def numeric_date(claims: Mapping[str, Any], name: str, *, where: str = "claim") -> float | None:
    """Read a NumericDate claim: an int or finite float, never a bool or string.

    Integers are held to the range of a double like floats are, so `1e309` and a
    400-digit integer literal get the same answer (`invalid_claim_type`).
    `where` names the part of the token in the error (`"header"` for the `exp`
    an ALB puts in its header).

    Returns ``None`` when the claim is absent.
    """
    value = claims.get(name)
    if value is None:
        if name in claims:
            raise InvalidClaimError(
                expected_found(f"{where} {name}", "a number", value), reason="invalid_claim_type"
            )
        return None
    if type(value) is int:
        if -_MAX_NUMERIC_DATE <= value <= _MAX_NUMERIC_DATE:
            return value
        raise InvalidClaimError(
            expected_found(
                f"{where} {name}", "a number within the range of a double (NumericDate)", value
            ),
            reason="invalid_claim_type",
        )
    if type(value) is float and math.isfinite(value):
        return value
    raise InvalidClaimError(
        expected_found(f"{where} {name}", "a number (NumericDate)", value),
        reason="invalid_claim_type",
    )


def cognito_groups(claims: Mapping[str, Any]) -> frozenset[str]:
    """The user's Cognito groups: the one reader of `cognito:groups`.

    Cognito emits a JSON array of strings, and omits the claim for a user in no
    group.  Anything else (a bare string, `null`, a list holding a number) is
    not membership of anything, and since a genuine Cognito token never carries
    it, the token is refused with `InvalidClaimError` (401, `invalid_claim_type`)
    rather than read leniently: the verifier's `groups=` check, the Lambda
    authorizer's rules and every framework integration call this function, so
    they all give the same answer for the same token.
    """
    groups = claims.get("cognito:groups", _ABSENT)
    if groups is _ABSENT:
        return frozenset()
    # The exact types JSON yields pass in one C-level sweep; anything else
    # (a subclass from a caller's own dict) is judged by `isinstance`.
    if type(groups) is list and _JUST_STR.issuperset(map(type, groups)):
        return frozenset(groups)
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise InvalidClaimError(
            expected_found("claim cognito:groups", "a list of strings", groups),
            reason="invalid_claim_type",
        )
    return frozenset(groups)


#: RFC 6749 3.3: `scope = scope-token *( SP scope-token )`, where a scope-token is
#: one or more of %x21 / %x23-5B / %x5D-7E (printable ASCII but space, `"` and `\`).
_SCOPE_GRAMMAR = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*")


def oauth_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    """The token's OAuth scopes: the one reader of `scope`.

    RFC 6749 3.3 separates scope tokens by a single space (U+0020) and allows
    no other whitespace or control character inside them.  Splitting on "any
    whitespace" instead would let `"orders/write\\torders/read"` (or a
    no-break space, or U+3000) grant `orders/read`, a scope the issuer never
    wrote as such.  A `scope` that breaks the grammar therefore grants nothing,
    and since Cognito never emits one the token is refused outright:
    `InvalidClaimError` (401) with reason `invalid_scope`.  A `scope` that is not
    a string at all (`null` included) is `invalid_claim_type`.  An empty string
    holds no scope; an absent claim holds none either.
    """
    scope = claims.get("scope", _ABSENT)
    if scope is _ABSENT or scope == "":
        return frozenset()
    if not isinstance(scope, str):
        raise InvalidClaimError(
            expected_found("claim scope", "a space-separated string", scope),
            reason="invalid_claim_type",
        )
    if _SCOPE_GRAMMAR.fullmatch(scope) is None:
        raise InvalidClaimError(
            expected_found(
                "claim scope",
                "scope tokens of printable ASCII separated by single spaces (RFC 6749 3.3)",
                scope,
            ),
            reason="invalid_scope",
        )
    return frozenset(scope.split(" "))


#: Claims that RFC 7519 / OIDC / RFC 9068 define as strings, checked for every issuer.
_REGISTERED_STRINGS = ("sub", "jti", "client_id", "acr")
#: Claims Cognito defines as strings too, checked for Cognito verifiers.
_COGNITO_STRINGS = (
    *_REGISTERED_STRINGS,
    "token_use",
    "username",
    "cognito:username",
    "origin_jti",
    "event_id",
)


def check_claim_types(claims: Mapping[str, Any], *, cognito: bool) -> None:
    """Every registered (and, for Cognito, Cognito-defined) claim has its type.

    Runs on every full verification, before any rule reads a claim and whether
    or not a rule reads it: a caller is handed claims that match
    `CognitoIdTokenClaims` / `CognitoAccessTokenClaims`, never a `"sub": {}` or
    a `"jti": 1`.  Only present claims are checked (a required claim that is
    absent is its rule's business), and `null` is a value of the wrong type,
    not an absence.

    Each claim has one reason for a wrong type, whatever the configuration:
    `aud` (a string or a non-empty list of strings, RFC 7519 4.1.3) is
    `invalid_audience`, `client_id` is `invalid_client_id` and `token_use`
    is `invalid_token_use`, the reasons their rules have always given; every
    other claim (`sub`, `jti`, `origin_jti`, `event_id`, `username`,
    `cognito:username`, `scope`, `auth_time`, `cognito:groups`, `acr`, `amr`)
    is `invalid_claim_type`, and a `scope` that breaks RFC 6749's grammar is
    `invalid_scope`.  `exp`, `nbf` and `iat` are checked by `check_time`, and
    `iss` was matched exactly before the key was looked up.

    Raises:
        InvalidClaimError: (401) a claim has the wrong type.
        InvalidAudienceError: (401) `aud` or `client_id` has the wrong type.
        InvalidTokenUseError: (401) `token_use` is not a string.
    """
    for name in _COGNITO_STRINGS if cognito else _REGISTERED_STRINGS:
        value = claims.get(name, _ABSENT)
        if value is _ABSENT or type(value) is str:
            continue
        message = expected_found(f"claim {name}", "a string", value)
        if name == "client_id":
            raise InvalidAudienceError(message, reason="invalid_client_id")
        if name == "token_use":
            raise InvalidTokenUseError(message, reason="invalid_token_use")
        raise InvalidClaimError(message, reason="invalid_claim_type")
    aud = claims.get("aud", _ABSENT)
    # RFC 7519 4.1.3 allows a list; the ID-token audience rule still refuses
    # one (Cognito sends a string), but an access token's `aud` is not read.
    if (
        aud is not _ABSENT
        and type(aud) is not str
        and (type(aud) is not list or not aud or not all(type(a) is str for a in aud))
    ):
        raise InvalidAudienceError(
            expected_found("claim aud", "a string or a non-empty list of strings", aud),
            reason="invalid_audience",
        )
    auth_time = claims.get("auth_time")
    if type(auth_time) is not int or not -_MAX_NUMERIC_DATE <= auth_time <= _MAX_NUMERIC_DATE:
        numeric_date(claims, "auth_time")  # absent passes; every other value is judged there
    if "scope" in claims:
        oauth_scopes(claims)
    if "amr" in claims:
        amr = claims["amr"]
        if type(amr) is not list or not _JUST_STR.issuperset(map(type, amr)):
            raise InvalidClaimError(
                expected_found("claim amr", "a list of strings", amr), reason="invalid_claim_type"
            )
    if cognito and "cognito:groups" in claims:
        cognito_groups(claims)
