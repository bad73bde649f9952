"""Step-up authentication: how strongly, and how recently, the user signed in.

Amazon Cognito reports the authentication level a sign-in reached in `acr`
(by default `urn:cognito:loa:1` through `urn:cognito:loa:4`, four fixed levels
of increasing assurance that a pool may rename) and the methods it used in
`amr` (`["pwd", "otp", "mfa"]`); `auth_time` says when it happened.  An
application demands a stronger or a fresher sign-in for a sensitive operation
by comparing "the `acr` level and `auth_time`" of the token with what the
operation needs (AWS: *Authentication levels with ACR and AMR claims*;
docs/checks.md cites the pages).

A `StepUp` is one such demand, checked once when it is configured
(`step_up_rule`) and then against each token (`StepUp.check`):

* the `acr` values accepted: a list (`acr_values=`), or every default level
  from a minimum up (`min_acr_level=`, which only knows the default names:
  a pool that renames its levels lists its own names instead);
* the oldest sign-in accepted (`max_auth_age=`): `now - auth_time`, by the
  verifier's clock.

It fails closed: a token that does not carry the claim a rule reads does not
meet it (AWS documents `acr` and `amr` in the ID token, as a capability
rolling out gradually, and asking for a level needs the Essentials or Plus
plan, so many tokens carry neither).  Every failure is an
`InsufficientUserAuthenticationError` (401, `insufficient_user_authentication`)
carrying the accepted `acr` values and the maximum age, which is what the
RFC 9470 challenge (`WWW-Authenticate: Bearer
error="insufficient_user_authentication", acr_values="...", max_age=...`)
tells the client to obtain.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from cognito_jwt._claim_types import numeric_date
from cognito_jwt._claims import DEFAULT_IAT_NBF_LEEWAY
from cognito_jwt.errors import (
    ConfigurationError,
    InsufficientUserAuthenticationError,
    InvalidClaimError,
    expected_found,
    shown,
)

__all__ = ["COGNITO_ACR_LEVELS", "StepUp", "step_up_rule"]

#: The names Cognito gives its four authentication levels unless the pool
#: renames them (`AcrConfiguration`), weakest first.
COGNITO_ACR_LEVELS = tuple(f"urn:cognito:loa:{level}" for level in range(1, 5))

#: Cognito's `AcrValueType`: 1 to 64 printable ASCII characters but space,
#: `"` and `\`; which also makes a value safe inside the quoted challenge.
_ACR_VALUE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,64}")


class StepUp(NamedTuple):
    """One step-up demand: accepted `acr` values and the oldest sign-in accepted.

    Build it with `step_up_rule`, which checks the settings.
    """

    #: The accepted `acr` values in the order the challenge lists them (the
    #: client's order of preference, RFC 9470), or `()` for any `acr`.
    acr_values: tuple[str, ...]
    #: The longest `now - auth_time` accepted, in seconds, or `None`.
    max_age: int | None

    def check(self, claims: Mapping[str, Any], now: float) -> None:
        """Return if `claims` record a sign-in this demand accepts at `now`, else raise.

        Raises:
            InsufficientUserAuthenticationError: (401) `acr` is absent or not
                accepted, or `auth_time` is absent or older than `max_age`.
            InvalidClaimError: (401) `auth_time` is not a number
                (`invalid_claim_type`), or lies after `iat` by more than a
                clock's drift (`invalid_auth_time`): no sign-in happens after
                the token it produced, and a date in milliseconds would
                otherwise look fresh forever.
        """
        accepted = self.acr_values
        if accepted:
            acr = claims.get("acr")
            if type(acr) is not str or acr not in accepted:
                found = shown(acr) if "acr" in claims else "none"
                raise self._insufficient(f"claim acr: expected {_one_of(accepted)}, found {found}")
        max_age = self.max_age
        if max_age is None:
            return
        auth_time = numeric_date(claims, "auth_time")
        oldest = f"{now - max_age:.0f} (now - {max_age} s)"
        if auth_time is None:
            raise self._insufficient(f"claim auth_time: expected at or after {oldest}, found none")
        iat = numeric_date(claims, "iat")
        if iat is not None and not auth_time <= iat + DEFAULT_IAT_NBF_LEEWAY:
            raise InvalidClaimError(
                expected_found(
                    "claim auth_time",
                    f"at or before {iat + DEFAULT_IAT_NBF_LEEWAY:.0f} (iat + "
                    f"{DEFAULT_IAT_NBF_LEEWAY:g} s)",
                    auth_time,
                ),
                reason="invalid_auth_time",
            )
        # Written so that a NaN clock fails closed.
        if not now - auth_time <= max_age:
            raise self._insufficient(
                f"claim auth_time: expected at or after {oldest}, found {shown(auth_time)}"
            )

    def deadline(self, claims: Mapping[str, Any]) -> float | None:
        """The time before which `check`'s age rule passes `claims` (`math.inf`: no age rule).

        `None` when the claims carry no usable `auth_time` (then every
        check decides afresh).  A token-cache hit narrows its time window by
        this, so a remembered token is refused the moment its sign-in grows
        too old, at no cost to the hits before.
        """
        if self.max_age is None:
            return math.inf
        auth_time = claims.get("auth_time")
        if type(auth_time) is not int:
            return None
        return float(auth_time + self.max_age)

    def _insufficient(self, message: str) -> InsufficientUserAuthenticationError:
        return InsufficientUserAuthenticationError(
            message, acr_values=self.acr_values, max_age=self.max_age
        )


def _one_of(values: Sequence[str]) -> str:
    if len(values) == 1:
        return repr(values[0])
    more = ", ..." if len(values) > 5 else ""
    return "one of " + ", ".join(shown(v) for v in values[:5]) + more


def step_up_rule(
    *,
    acr_values: str | Sequence[str] | None = None,
    min_acr_level: int | str | None = None,
    max_auth_age: int | None = None,
) -> StepUp | None:
    """Check step-up settings once; `None` when none is given.

    Args:
        acr_values: the `acr` values accepted, in the order of preference the
            challenge lists them (a pool's own names if it renamed its levels).
        min_acr_level: the weakest of Cognito's default levels accepted,
            `1`-`4` or its name (`"urn:cognito:loa:2"`); every stronger
            default level is accepted too.
        max_auth_age: the oldest sign-in accepted, in whole seconds (>= 1).

    Raises:
        ConfigurationError: a setting is invalid, or `acr_values` and
            `min_acr_level` are both given (say one thing: which values).

    Examples:
        >>> step_up_rule(min_acr_level=3, max_auth_age=300)
        StepUp(acr_values=('urn:cognito:loa:3', 'urn:cognito:loa:4'), max_age=300)
    """
    if acr_values is not None and min_acr_level is not None:
        raise ConfigurationError(
            "acr_values and min_acr_level: expected one of them, found both; list every "
            "accepted value in acr_values, or give the weakest default level in min_acr_level"
        )
    accepted: tuple[str, ...] = ()
    if acr_values is not None:
        accepted = _acr_values(acr_values)
    elif min_acr_level is not None:
        accepted = COGNITO_ACR_LEVELS[_default_level(min_acr_level) - 1 :]
    if max_auth_age is not None and (type(max_auth_age) is not int or max_auth_age < 1):
        raise ConfigurationError(
            f"max_auth_age: expected whole seconds >= 1 (the challenge's max_age is an "
            f"integer), found {max_auth_age!r}"
        )
    if not accepted and max_auth_age is None:
        return None
    return StepUp(acr_values=accepted, max_age=max_auth_age)


def _acr_values(value: object) -> tuple[str, ...]:
    """`acr_values=`, in order, each a name Cognito could report (`AcrValueType`)."""
    if isinstance(value, str):
        items: tuple[object, ...] = (value,)
    elif isinstance(value, set | frozenset):
        items = tuple(sorted(value, key=repr))  # no order given: one that does not vary
    elif isinstance(value, Sequence) and not isinstance(value, bytes):
        items = tuple(value)
    else:
        raise ConfigurationError(
            f"acr_values: expected a string or a list of strings, found {type(value).__name__}"
        )
    if not items:
        raise ConfigurationError(
            "acr_values: expected at least one value (None to skip the check), found none"
        )
    for item in items:
        if not isinstance(item, str) or not _ACR_VALUE.fullmatch(item):
            raise ConfigurationError(
                f"acr_values: expected names of 1-64 printable ASCII characters without "
                f"space, '\"' or '\\' (Cognito's AcrValueType), found {shown(item)}"
            )
    return tuple(dict.fromkeys(items))  # type: ignore[arg-type]


def _default_level(value: object) -> int:
    """`min_acr_level=` as a level number; only Cognito's default names are levels."""
    if type(value) is int and 1 <= value <= 4:
        return value
    if isinstance(value, str) and value in COGNITO_ACR_LEVELS:
        return COGNITO_ACR_LEVELS.index(value) + 1
    raise ConfigurationError(
        f"min_acr_level: expected 1-4 or one of Cognito's default level names "
        f"'urn:cognito:loa:1' ... 'urn:cognito:loa:4', found {shown(value)}; a pool that "
        "renames its levels (AcrConfiguration) reports its own names, whose order this "
        "library cannot know: list the accepted ones with acr_values=[...] instead"
    )
