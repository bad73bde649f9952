"""One pure function per claim rule: time, `token_use`, audience, groups, scopes.

Each check takes the claims and its setting and either returns or raises the
error that names the rule.  They hold no state, so the sync and async paths and
every verifier class share them.

A rule never vanishes because its claim is absent: a required claim that is
missing raises `MissingClaimError` (or `MissingGroupError` /
`MissingScopeError` for authorization rules).  What type each claim must have,
and the readers of NumericDates, `cognito:groups` and `scope`, are in
`_claim_types.py`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Literal

from cognito_jwt._claim_types import cognito_groups, numeric_date, oauth_scopes
from cognito_jwt.errors import (
    InvalidAudienceError,
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
    "DEFAULT_IAT_NBF_LEEWAY",
    "TokenUse",
    "check_audience",
    "check_client_id",
    "check_groups",
    "check_scopes",
    "check_time",
    "check_token_use",
    "valid_window",
]

TokenUse = Literal["id", "access"]


#: Seconds the verifier's clock may lag the issuer's on `iat` and `nbf`.  A token
#: is verified the moment it is issued (the first request after sign-in), so a
#: host one second behind Cognito would otherwise refuse every fresh token.
DEFAULT_IAT_NBF_LEEWAY = 60.0

#: The longest `exp - iat` that `check_time`'s fast path passes: a small int
#: (one internal digit, so the comparison is the interpreter's cheapest).
#: A longer-lived token is judged by the full rules instead.
_FAST_LIFETIME = (1 << 30) - 1
#: Integers this small are exact as doubles, so the window's arithmetic is too.
_FAST_BOUND = 1 << 52


def valid_window(
    claims: Mapping[str, Any], leeway: float, iat_nbf_leeway: float = DEFAULT_IAT_NBF_LEEWAY
) -> tuple[float, float] | None:
    """`(start, end)`: `check_time` passes at every `now` with `start <= now < end`.

    Only for the common Cognito shape (integer `exp` and `iat`, no `nbf`, both
    within 2**52 of the epoch, so exact as doubles, and a lifetime under 34
    years); `None` for any other, which `check_time` decides by the full
    rules.  The fast path of `check_time` is this window, and a token-cache
    hit keeps it with the entry, so both test the same two comparisons.
    """
    exp = claims.get("exp")
    iat = claims.get("iat")
    if (
        type(exp) is int
        and type(iat) is int
        and -_FAST_BOUND < iat <= exp < _FAST_BOUND
        and exp - iat < _FAST_LIFETIME
        and "nbf" not in claims
    ):
        return iat - iat_nbf_leeway, exp + leeway
    return None


def check_time(
    claims: Mapping[str, Any],
    now: float,
    leeway: float,
    iat_nbf_leeway: float = DEFAULT_IAT_NBF_LEEWAY,
    *,
    require_exp: bool = True,
) -> None:
    """`exp` required and in the future; `nbf` and `iat` not in the future.

    `exp` is required even though RFC 7519 makes it optional: a token that
    never expires cannot be contained after it leaks.  The one exception is
    `require_exp=False`, for an ALB token's payload: its header carries the
    `exp` the ALB signed, required before its key was even fetched.

    The two sides are tolerant on purpose by different amounts.  `exp` gets
    `leeway` only (0 by default): accepting a token after its `exp` grants
    access the issuer has stopped granting.  `iat` and `nbf` get
    `max(leeway, iat_nbf_leeway)` (60 s by default): a token "issued in the
    future" by a few seconds only says that this host's clock is behind the
    issuer's, and accepting it grants nothing its `exp` does not already bound.

    Every verification runs this (a token-cache hit tests the same window,
    kept with its entry), so its first lines pass the common Cognito shape by
    `valid_window`'s two comparisons; any other shape, and every failure,
    takes the full rules and their wording below.
    """
    window = valid_window(claims, leeway, iat_nbf_leeway)
    if window is not None and window[0] <= now < window[1]:  # a NaN clock falls through
        return
    ahead = max(leeway, iat_nbf_leeway)
    exp = numeric_date(claims, "exp")
    if exp is None:
        if require_exp:
            raise MissingClaimError(
                "claim exp: expected a NumericDate, found none", reason="missing_exp"
            )
    # Written so that a NaN clock fails closed (every comparison with NaN is False).
    elif not exp > now - leeway:
        raise TokenExpiredError(
            f"claim exp: expected after {now - leeway:.0f} (now - leeway), found {shown(exp)}",
            reason="token_expired",
        )
    nbf = numeric_date(claims, "nbf")
    if nbf is not None and not nbf <= now + ahead:
        raise TokenNotYetValidError(
            f"claim nbf: expected at or before {now + ahead:.0f} (now + {ahead:g} s), "
            f"found {shown(nbf)}",
            reason="token_not_yet_valid",
        )
    iat = numeric_date(claims, "iat")
    if iat is not None and not iat <= now + ahead:
        raise TokenNotYetValidError(
            f"claim iat: expected at or before {now + ahead:.0f} (now + {ahead:g} s), "
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
    return "id" if use == "id" else "access"


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
    """The `scope` claim must hold any (or all) of `required` (see `oauth_scopes`)."""
    _require("claim scope", oauth_scopes(claims), required, require_all, MissingScopeError)
