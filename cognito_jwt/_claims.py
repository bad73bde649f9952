"""One pure function per claim rule, and the shapes of Cognito's claims.

Each check takes the claims and its setting and either returns or raises the
error that names the rule.  They hold no state, so the sync and async paths and
every verifier class share them.

A rule never vanishes because its claim is absent: a required claim that is
missing raises `MissingClaimError` (or `MissingGroupError` /
`MissingScopeError` for authorization rules).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Collection, Mapping
from typing import Any, Literal, TypedDict

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
    "DEFAULT_IAT_NBF_LEEWAY",
    "CognitoAccessTokenClaims",
    "CognitoIdTokenClaims",
    "check_audience",
    "check_claim_types",
    "check_client_id",
    "check_groups",
    "check_scopes",
    "check_time",
    "check_token_use",
    "cognito_groups",
    "numeric_date",
    "oauth_scopes",
]

TokenUse = Literal["id", "access"]


#: Marks a claim that is not in the token at all (`null` is a value, and a wrong one).
_ABSENT: Any = object()
#: The type every value of a list of strings has, as JSON decodes it.
_JUST_STR = frozenset({str})


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


#: The largest magnitude a NumericDate may have: a JSON number beyond the range
#: of a double (`1e309`, or an integer literal of 400 digits) is no date that
#: any issuer meant, and other verifiers read it as infinity or fail on it.
_MAX_NUMERIC_DATE = sys.float_info.max


def numeric_date(claims: Mapping[str, Any], name: str) -> float | None:
    """Read a NumericDate claim: an int or finite float, never a bool or string.

    Integers are held to the range of a double like floats are, so `1e309` and a
    400-digit integer literal get the same answer (`invalid_claim_type`).

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
        if -_MAX_NUMERIC_DATE <= value <= _MAX_NUMERIC_DATE:
            return value
        raise InvalidClaimError(
            expected_found(
                f"claim {name}", "a number within the range of a double (NumericDate)", value
            ),
            reason="invalid_claim_type",
        )
    if type(value) is float and math.isfinite(value):
        return value
    raise InvalidClaimError(
        expected_found(f"claim {name}", "a number (NumericDate)", value),
        reason="invalid_claim_type",
    )


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
) -> None:
    """`exp` required and in the future; `nbf` and `iat` not in the future.

    `exp` is required even though RFC 7519 makes it optional: a token that
    never expires cannot be contained after it leaks.

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


def check_scopes(
    claims: Mapping[str, Any], required: Collection[str], *, require_all: bool
) -> None:
    """The `scope` claim must hold any (or all) of `required` (see `oauth_scopes`)."""
    _require("claim scope", oauth_scopes(claims), required, require_all, MissingScopeError)


#: Claims that RFC 7519 / OIDC / RFC 9068 define as strings, checked for every issuer.
_REGISTERED_STRINGS = ("sub", "jti", "client_id")
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
    `cognito:username`, `scope`, `auth_time`, `cognito:groups`) is
    `invalid_claim_type`, and a `scope` that breaks RFC 6749's grammar is
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
    if cognito and "cognito:groups" in claims:
        cognito_groups(claims)
