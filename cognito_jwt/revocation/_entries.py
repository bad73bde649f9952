"""What a revocation list holds, as pure functions: entry keys, their lifetimes, the verdict.

Two kinds of entry, each keyed by the issuer as well, never by `sub` alone (a
`MultiIssuerVerifier` spans pools, and a `sub` is unique only within one):

* **token** `(iss, origin_jti)`: written after `RevokeToken`.  Every ID and
  access token minted from the revoked refresh token carries that
  `origin_jti`; they are all refused.
* **user** `(iss, sub)` with a cut-off time: written after `GlobalSignOut`,
  `AdminUserGlobalSignOut`, `AdminDisableUser` or `AdminDeleteUser`.  A token
  of that user whose `iat` is at or before `cutoff + leeway` is refused; the
  leeway covers the application's clock running behind Cognito's, so a
  sign-in within that leeway after the sign-out is refused too.

The issuer part is canonical: a Cognito pool answers to several `iss` forms
(`cognito-idp.<region>...`, `issuer-cognito-idp.<region>...`, a replica
region's), all naming one pool, so an entry written under one form matches
tokens carrying another.  Other issuers are keyed by their exact `iss`.

An entry lives until the last token it could match has expired: a token
issued at or before the revocation (or the cut-off plus leeway) expires at
most `max_token_lifetime` later (Cognito bounds ID and access tokens to one
day).  Keys are JSON arrays, so no issuer or claim value can make two
entries collide.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from cognito_jwt._revocation import COGNITO_MAX_TOKEN_LIFETIME

__all__ = [
    "COGNITO_MAX_TOKEN_LIFETIME",
    "entry_expiry",
    "finite_number",
    "issuer_key",
    "token_key",
    "user_key",
]

_COGNITO_ISS = re.compile(
    r"https://(?:issuer-)?cognito-idp\.[a-z]{2,}(?:-[a-z0-9]+)+\.[a-z0-9.]+/"
    r"(?P<pool>[a-z]{2,}(?:-[a-z0-9]+)+_[A-Za-z0-9]+)"
)


def issuer_key(iss: str) -> str:
    """The canonical issuer: `cognito:<pool id>` for every Cognito form, else `iss` itself."""
    match = _COGNITO_ISS.fullmatch(iss)
    return f"cognito:{match['pool']}" if match else iss


def token_key(iss: str, origin_jti: str) -> str:
    """The key of a token entry `(iss, origin_jti)`."""
    return json.dumps(["origin_jti", issuer_key(iss), origin_jti], separators=(",", ":"))


def user_key(iss: str, sub: str) -> str:
    """The key of a user entry `(iss, sub)`."""
    return json.dumps(["sub", issuer_key(iss), sub], separators=(",", ":"))


def entry_expiry(at: float, leeway: float, max_token_lifetime: float) -> float:
    """When an entry written at `at` can match no unexpired token any more."""
    return at + leeway + max_token_lifetime


def finite_number(value: Any) -> bool:
    """A JSON number that is a real, finite time (not a bool, not NaN)."""
    return type(value) is not bool and isinstance(value, int | float) and math.isfinite(value)
