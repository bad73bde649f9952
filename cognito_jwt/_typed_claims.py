"""Typed views of verified claims: `id_token_claims` and `access_token_claims`.

`verify()` returns `dict[str, Any]` and keeps doing so: a `TypedDict` is not
assignable to `dict[str, Any]` (PEP 589: a `TypedDict` is a `Mapping`, not a
`dict`, to a type checker), so returning one would break every caller that
annotates the claims as `dict[str, Any]`, passes them to a function that takes
one, or reads a claim a pre-token-generation Lambda added (`claims["custom:x"]`
is an error on a `TypedDict`).  A caller who wants the claims typed by
`token_use` asks for it, once, with one of these functions.

They are checked narrowings, not casts: the token's `token_use` must be the
one the type names, and every claim the type declares as always present must
be there with its type, or the call raises the error a verifier raises for
the same fault (401).  They return the very dict they were given, so they
cost one look at a handful of claims and nothing else, and they work on
claims from any entry point: `verify`, `verify_async`, a framework
integration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from cognito_jwt._claim_types import CognitoAccessTokenClaims, CognitoIdTokenClaims
from cognito_jwt._claims import check_token_use
from cognito_jwt.errors import InvalidClaimError, MissingClaimError, expected_found

__all__ = ["access_token_claims", "id_token_claims"]

#: The claims each kind of token always carries: the JSON type each has, and the
#: reason its absence gets (the one the verifier's own rule for it gives).
_AlwaysThere = tuple[tuple[str, type, str], ...]
_COMMON: _AlwaysThere = (
    ("sub", str, "missing_sub"),
    ("iss", str, "missing_iss"),
    ("exp", int, "missing_exp"),
    ("iat", int, "missing_iat"),
)
_ID_REQUIRED: _AlwaysThere = (*_COMMON, ("aud", str, "missing_aud"))
_ACCESS_REQUIRED: _AlwaysThere = (*_COMMON, ("client_id", str, "missing_client_id"))


def _narrowed(
    claims: Mapping[str, Any],
    token_use: Literal["id", "access"],
    required: _AlwaysThere,
) -> dict[str, Any]:
    check_token_use(claims, token_use)
    for name, kind, missing in required:
        value = claims.get(name)
        if value is None and name not in claims:
            raise MissingClaimError(
                f"claim {name}: expected it in every {token_use} token, found none",
                reason=missing,
            )
        if type(value) is not kind:
            raise InvalidClaimError(
                expected_found(f"claim {name}", f"a JSON {kind.__name__}", value),
                reason="invalid_claim_type",
            )
    return claims if type(claims) is dict else dict(claims)


def id_token_claims(claims: Mapping[str, Any]) -> CognitoIdTokenClaims:
    """The verified claims of an ID token, typed as `CognitoIdTokenClaims`: no `cast`.

    Call it on what a verifier returned (`verify`, `verify_async`, a framework
    integration's claims).  It verifies nothing cryptographic: it checks that
    the claims are an ID token's, so the type is true, and returns the same
    dict.

    Raises:
        InvalidTokenUseError: (401) `token_use` is not `"id"` (reason
            `wrong_token_use`; `missing_token_use` / `invalid_token_use` when
            absent or neither kind).
        MissingClaimError: (401) `sub`, `iss`, `exp`, `iat` or `aud` is
            absent (reason `missing_<claim>`), possible only with
            `client_id=ANY_CLIENT`, which skips the `aud` check.
        InvalidClaimError: (401) one of those has another JSON type (reason
            `invalid_claim_type`), e.g. an `aud` list from a generic issuer.

    Examples:
        >>> person = id_token_claims(verifier.verify(token))  # doctest: +SKIP
        >>> person["aud"], person.get("email")  # doctest: +SKIP
    """
    return cast(CognitoIdTokenClaims, _narrowed(claims, "id", _ID_REQUIRED))


def access_token_claims(claims: Mapping[str, Any]) -> CognitoAccessTokenClaims:
    """The verified claims of an access token, typed as `CognitoAccessTokenClaims`: no `cast`.

    Machine-to-machine (client-credentials) tokens are access tokens too:
    their `username` is absent (`.get("username")` is `None`) and `sub`
    equals `client_id`.

    Raises:
        InvalidTokenUseError: (401) `token_use` is not `"access"` (reason
            `wrong_token_use`).
        MissingClaimError: (401) `sub`, `iss`, `exp`, `iat` or `client_id` is
            absent (reason `missing_<claim>`).
        InvalidClaimError: (401) one of those has another JSON type (reason
            `invalid_claim_type`).

    Examples:
        >>> grant = access_token_claims(verifier.verify(token))  # doctest: +SKIP
        >>> grant["client_id"], grant.get("scope", "")  # doctest: +SKIP
    """
    return cast(CognitoAccessTokenClaims, _narrowed(claims, "access", _ACCESS_REQUIRED))
