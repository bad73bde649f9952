"""One pure function per claim rule, and the shapes of Cognito's claims.

Each check takes the claims and its setting and either returns or raises the
error that names the rule.  They hold no state, so the sync and async paths and
every verifier class share them.

A rule never vanishes because its claim is absent: a required claim that is
missing raises :class:`MissingClaimError` (or :class:`MissingGroupError` /
:class:`MissingScopeError` for authorization rules).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any, Literal, TypedDict, cast

from cognito_jwt.errors import (
    InvalidAudienceError,
    InvalidClaimError,
    InvalidTokenUseError,
    MissingClaimError,
    MissingGroupError,
    MissingScopeError,
    TokenExpiredError,
    TokenNotYetValidError,
    expected_found,
    shown,
)

__all__ = [
    "CognitoAccessTokenClaims",
    "CognitoIdTokenClaims",
    "check_audience",
    "check_client_id",
    "check_groups",
    "check_scopes",
    "check_time",
    "check_token_use",
    "cognito_groups",
    "numeric_date",
]

TokenUse = Literal["id", "access"]


#: Marks a claim that is not in the token at all (`null` is a value, and a wrong one).
_ABSENT: Any = object()


class _CognitoCommonClaims(TypedDict):
    sub: str
    iss: str
    token_use: str
    exp: int
    iat: int


class CognitoIdTokenClaims(_CognitoCommonClaims, total=False):
    """Claims of a Cognito ID token (``token_use == "id"``).

    Pre-token-generation Lambdas may add any other claim; read those with ``.get``.
    """

    aud: str
    auth_time: int
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


class CognitoAccessTokenClaims(_CognitoCommonClaims, total=False):
    """Claims of a Cognito access token (``token_use == "access"``).

    Machine-to-machine (client-credentials) tokens carry no ``username`` and
    their ``sub`` equals ``client_id``.
    """

    client_id: str
    username: str
    scope: str
    auth_time: int
    jti: str
    origin_jti: str
    event_id: str
    version: int


def numeric_date(claims: Mapping[str, Any], name: str) -> float | None:
    """Read a NumericDate claim: an int or finite float, never a bool or string.

    Returns ``None`` when the claim is absent.
    """
    value = claims.get(name)
    if value is None:
        if name in claims:
            raise InvalidClaimError(
                expected_found(f"claim {name}", "a number", value), reason="invalid_claim_type"
            )
        return None
    if type(value) is int:
        return value
    if type(value) is float and math.isfinite(value):
        return value
    raise InvalidClaimError(
        expected_found(f"claim {name}", "a number (NumericDate)", value),
        reason="invalid_claim_type",
    )


def check_time(claims: Mapping[str, Any], now: float, leeway: float) -> None:
    """``exp`` required and in the future; ``nbf`` and ``iat`` not in the future.

    ``exp`` is required even though RFC 7519 makes it optional: a token that
    never expires cannot be contained after it leaks.

    Every verification and every token-cache hit runs this, so its first lines
    pass the common Cognito shape (integer `exp` and `iat`, no `nbf`) in one
    expression; any other shape, and every failure, takes the full rules and
    their wording below.
    """
    exp = claims.get("exp")
    iat = claims.get("iat")
    if (
        type(exp) is int
        and type(iat) is int
        and exp > now - leeway
        and iat <= now + leeway
        and "nbf" not in claims
    ):
        return
    exp = numeric_date(claims, "exp")
    if exp is None:
        raise MissingClaimError(
            "claim exp: expected a NumericDate, found none", reason="missing_exp"
        )
    # Written so that a NaN clock fails closed (every comparison with NaN is False).
    if not exp > now - leeway:
        raise TokenExpiredError(
            f"claim exp: expected after {now - leeway:.0f} (now - leeway), found {shown(exp)}",
            reason="token_expired",
        )
    nbf = numeric_date(claims, "nbf")
    if nbf is not None and not nbf <= now + leeway:
        raise TokenNotYetValidError(
            f"claim nbf: expected at or before {now + leeway:.0f} (now + leeway), "
            f"found {shown(nbf)}",
            reason="token_not_yet_valid",
        )
    iat = numeric_date(claims, "iat")
    if iat is not None and not iat <= now + leeway:
        raise TokenNotYetValidError(
            f"claim iat: expected at or before {now + leeway:.0f} (now + leeway), "
            f"found {shown(iat)}",
            reason="issued_in_future",
        )


def check_token_use(claims: Mapping[str, Any], required: TokenUse | None) -> TokenUse:
    """``token_use`` must be ``"id"`` or ``"access"``, and the required one if set."""
    use = claims.get("token_use")
    if use is None:
        raise MissingClaimError(
            "claim token_use: expected 'id' or 'access', found none", reason="missing_token_use"
        )
    # A tuple, not a set: ``use`` is any JSON value, and a list or object in a
    # set lookup raises TypeError (unhashable) instead of being rejected.
    if use not in ("id", "access"):
        raise InvalidTokenUseError(
            expected_found("claim token_use", "'id' or 'access'", use), reason="invalid_token_use"
        )
    if required is not None and use != required:
        raise InvalidTokenUseError(
            expected_found("claim token_use", repr(required), use), reason="wrong_token_use"
        )
    return cast(TokenUse, use)


def check_client_id(claims: Mapping[str, Any], client_ids: Collection[str]) -> None:
    """Access tokens: ``client_id`` must be one of the app clients."""
    value = claims.get("client_id")
    if value is None:
        raise MissingClaimError(
            "claim client_id: expected an app client id, found none", reason="missing_client_id"
        )
    if not isinstance(value, str) or value not in client_ids:
        raise InvalidAudienceError(
            expected_found("claim client_id", _one_of(client_ids), value),
            reason="invalid_client_id",
        )


def check_audience(
    claims: Mapping[str, Any], audiences: Collection[str], *, allow_list: bool
) -> None:
    """``aud`` must name one of ``audiences``.

    Cognito ID tokens carry a single string; generic OIDC issuers may send a
    list (RFC 7519 4.1.3), accepted only where ``allow_list`` says so.
    """
    aud = claims.get("aud")
    if aud is None:
        raise MissingClaimError("claim aud: expected an audience, found none", reason="missing_aud")
    if isinstance(aud, str):
        if aud in audiences:
            return
    elif (
        allow_list
        and isinstance(aud, list)
        and all(isinstance(a, str) for a in aud)
        and any(a in audiences for a in aud)
    ):
        return
    raise InvalidAudienceError(
        expected_found("claim aud", _one_of(audiences), aud), reason="invalid_audience"
    )


def _one_of(values: Collection[str]) -> str:
    items = sorted(values)
    if len(items) == 1:
        return repr(items[0])
    return "one of " + ", ".join(shown(v) for v in items[:5]) + (", ..." if len(items) > 5 else "")


def _require(
    kind: str,
    present: Collection[str],
    required: Collection[str],
    require_all: bool,
    error: type[MissingGroupError] | type[MissingScopeError],
) -> None:
    if require_all:
        missing = sorted(r for r in required if r not in present)
        if missing:
            raise error(
                f"{kind}: expected all of {sorted(required)}, found {len(present)} "
                f"without {', '.join(shown(m) for m in missing[:5])}",
            )
        return
    if not any(r in present for r in required):
        raise error(
            f"{kind}: expected any of {sorted(required)}, found "
            f"{', '.join(shown(p) for p in sorted(present)[:10]) or 'none'}",
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
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise InvalidClaimError(
            expected_found("claim cognito:groups", "a list of strings", groups),
            reason="invalid_claim_type",
        )
    return frozenset(groups)


def check_groups(
    claims: Mapping[str, Any], required: Collection[str], *, require_all: bool
) -> None:
    """`cognito:groups` must contain any (or all) of `required`.

    Raises `MissingGroupError` (403) when the user lacks them, including when
    the claim is absent (a user in no group), and `InvalidClaimError` (401) when
    the claim is not a list of strings (see `cognito_groups`).
    """
    groups = cognito_groups(claims)
    _require("claim cognito:groups", groups, required, require_all, MissingGroupError)


def check_scopes(
    claims: Mapping[str, Any], required: Collection[str], *, require_all: bool
) -> None:
    """The space-separated ``scope`` claim must hold any (or all) of ``required``."""
    scope = claims.get("scope")
    if scope is None:
        scope = ""
    elif not isinstance(scope, str):
        raise InvalidClaimError(
            expected_found("claim scope", "a space-separated string", scope),
            reason="invalid_claim_type",
        )
    _require("claim scope", frozenset(scope.split()), required, require_all, MissingScopeError)
