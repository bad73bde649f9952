"""Route requirements: groups and scopes, all of them in a branch, any of the branches.

Built once per route with `require` / `any_of` (re-exported by `cognito_jwt.http`,
their documented home) and checked against verified claims; what a failure is
answered with is `_http_answer`'s job, not this module's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from cognito_jwt._claim_types import cognito_groups
from cognito_jwt._claims import check_groups, check_scopes
from cognito_jwt._step_up import StepUp, step_up_rule
from cognito_jwt.errors import CognitoJwtError, ConfigurationError

__all__ = ["Clock", "Requirement", "any_of", "require"]

#: Which failure wins among the branches of an any-of requirement.
_PRECEDENCE = {503: 3, 403: 2, 401: 1}

#: A verifier's `now(claims)`: the time by the clock of the issuer of `claims`.
Clock: TypeAlias = Callable[[Mapping[str, Any]], float]


@dataclass(frozen=True)
class _Check:
    """One condition of a branch: any (or all) of some groups or scopes, or a step-up."""

    kind: Literal["groups", "scopes", "step_up"]
    values: tuple[str, ...]
    require_all: bool
    step_up: StepUp | None = None

    def run(self, claims: Mapping[str, Any], clock: Clock | None) -> None:
        if self.kind == "groups":
            check_groups(claims, self.values, require_all=self.require_all)
        elif self.kind == "scopes":
            check_scopes(claims, self.values, require_all=self.require_all)
        else:
            assert self.step_up is not None  # require() sets it with the kind
            # The verifier's clock when it has one, so a fixed test clock
            # judges the age as it judges `exp`.
            self.step_up.check(claims, clock(claims) if clock is not None else time.time())


@dataclass(frozen=True)
class Requirement:
    """What a route demands of a verified token, built once with `require` / `any_of`.

    A requirement is a list of branches, any one of which suffices; a branch
    holds conditions that must all hold.  `require(groups=..., scopes=...)` is
    one branch demanding both; `any_of(a, b)` passes if `a` or `b` does.  The
    verifier answered "is this a genuine token for my app?"; a requirement
    answers "...and may it call this route?", so one verifier (one key cache)
    serves every route.

    Every check, the empty requirement's included, refuses a `cognito:groups`
    claim that is not a list of strings (401): application code reading the
    claim itself would otherwise meet a string, where `"admin" in groups` is a
    substring test.
    """

    branches: tuple[tuple[_Check, ...], ...] = ((),)

    def check(self, claims: Mapping[str, Any], *, clock: Clock | None = None) -> None:
        """Raise unless the (verified) claims meet this requirement.

        When every branch fails, the failure answered is the most useful to the
        client: 503 before 403 before 401, the first branch among equals.

        Raises:
            MissingGroupError: (403) a required group is absent.
            MissingScopeError: (403) a required scope is absent.
            InvalidClaimError: (401) `cognito:groups` or `scope` is malformed.
            InsufficientUserAuthenticationError: (401) the sign-in is too weak
                or too old for a step-up demand, whose age is measured by
                `clock` (the verifier's `now(claims)`; `None`: the system clock).
        """
        if "cognito:groups" in claims:
            cognito_groups(claims)
        branches = self.branches
        if len(branches) == 1:
            for condition in branches[0]:
                condition.run(claims, clock)
            return
        failures: list[CognitoJwtError] = []
        for branch in branches:
            try:
                for condition in branch:
                    condition.run(claims, clock)
            except CognitoJwtError as error:
                failures.append(error)
            else:
                return
        raise max(failures, key=lambda error: _PRECEDENCE.get(error.status_code, 0))

    @property
    def challenge_scopes(self) -> tuple[str, ...]:
        """Every scope some branch asks for, in order: the 403 challenge's `scope`."""
        scopes = (
            value
            for branch in self.branches
            for condition in branch
            if condition.kind == "scopes"
            for value in condition.values
        )
        return tuple(dict.fromkeys(scopes))

    def with_all_scopes(self, scopes: Sequence[str]) -> Requirement:
        """This requirement, and every one of `scopes` too (FastAPI's `Security` meaning).

        Raises:
            ConfigurationError: a scope is empty or not a string.
        """
        values = _strings(scopes, "scopes")
        if not values:
            return self
        condition = _Check("scopes", values, True)
        return Requirement(tuple((*branch, condition) for branch in self.branches))

    @classmethod
    def of(
        cls,
        requirement: Requirement | None = None,
        *,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
        acr_values: str | Sequence[str] | None = None,
        min_acr_level: int | str | None = None,
        max_auth_age: int | None = None,
    ) -> Requirement:
        """`requirement`, or one built from `groups`/`scopes` and the step-up
        options as `require` builds it.

        The one reading of an adapter's "a requirement, or groups and scopes"
        arguments: both at once is refused rather than guessed at.

        Raises:
            ConfigurationError: both given, a value is empty, or `requirement`
                is not a `Requirement`.
        """
        step_up = (acr_values, min_acr_level, max_auth_age)
        if requirement is None:
            if groups is None and scopes is None and step_up == (None, None, None):
                return _ANY_CALLER
            return require(
                groups=groups,
                scopes=scopes,
                require_all_groups=require_all_groups,
                require_all_scopes=require_all_scopes,
                acr_values=acr_values,
                min_acr_level=min_acr_level,
                max_auth_age=max_auth_age,
            )
        if (
            groups is not None
            or scopes is not None
            or step_up != (None, None, None)
            or not isinstance(requirement, Requirement)
        ):
            raise ConfigurationError(
                "requirement: expected one Requirement (from require/any_of) and no "
                "groups=/scopes=/acr_values=/min_acr_level=/max_auth_age= beside it, found "
                f"{requirement!r}, groups={groups!r}, scopes={scopes!r}, "
                f"acr_values={acr_values!r}, min_acr_level={min_acr_level!r}, "
                f"max_auth_age={max_auth_age!r}"
            )
        return requirement

    def check_possible(self, verifier: object) -> None:
        """Refuse a requirement that no token of `verifier` can ever meet.

        An ID token carries no `scope`, so a verifier with `token_use="id"`
        (its `token_use` attribute) fails every branch that demands a scope.

        Raises:
            ConfigurationError: every branch demands a scope of ID tokens.
        """
        if getattr(verifier, "token_use", None) != "id":
            return
        if all(any(c.kind == "scopes" for c in branch) for branch in self.branches):
            raise ConfigurationError(
                f"scopes {list(self.challenge_scopes)}: expected a verifier that accepts access "
                "tokens, found token_use='id'; ID tokens carry no scope claim, so every request "
                "would get 403. Build the verifier with token_use='access' (or None), or "
                "require groups instead"
            )


def _strings(value: str | Sequence[str] | None, what: str) -> tuple[str, ...]:
    """`str | Sequence[str] | None` as a tuple; a bare string is one value."""
    if value is None:
        return ()
    values = (value,) if isinstance(value, str) else tuple(value)
    for item in values:
        if not isinstance(item, str) or not item.strip():
            raise ConfigurationError(f"{what}: expected non-empty strings, found {item!r}")
    return values


def require(
    *,
    groups: str | Sequence[str] | None = None,
    scopes: str | Sequence[str] | None = None,
    require_all_groups: bool = False,
    require_all_scopes: bool = False,
    acr_values: str | Sequence[str] | None = None,
    min_acr_level: int | str | None = None,
    max_auth_age: int | None = None,
) -> Requirement:
    """A requirement demanding groups **and** scopes (each: any one, or all of them).

    `groups="admin"` passes members of `admin`; `scopes=["a", "b"]` passes a
    token holding `a` or `b` (every one with `require_all_scopes=True`); both
    given, both must hold.  For "this **or** that", combine with `any_of`.
    No argument: any verified token.

    The step-up options demand a sign-in strong and recent enough, as the
    verifier's options of the same names do (docs/checks.md, *Step-up
    authentication*): `acr_values` (the accepted `acr` values, in order of
    preference), `min_acr_level` (the weakest of Cognito's default levels
    accepted, `1`-`4`), `max_auth_age` (the oldest sign-in accepted, in
    seconds, by the verifier's clock).  A token that fails them gets 401 with
    the RFC 9470 challenge naming them; one without `acr` or `auth_time`
    fails them.

    Raises:
        ConfigurationError: a group or scope is empty or not a string.

    Examples:
        >>> admin = require(groups="admin")
        >>> deleter = any_of(admin, require(scopes="news/delete"))
        >>> payments = require(min_acr_level=2, max_auth_age=300)
    """
    checks: list[_Check] = []
    group_values = _strings(groups, "groups")
    if group_values:
        checks.append(_Check("groups", group_values, require_all_groups))
    scope_values = _strings(scopes, "scopes")
    if scope_values:
        checks.append(_Check("scopes", scope_values, require_all_scopes))
    step_up = step_up_rule(
        acr_values=acr_values, min_acr_level=min_acr_level, max_auth_age=max_auth_age
    )
    if step_up is not None:
        checks.append(_Check("step_up", (), False, step_up))
    return Requirement((tuple(checks),))


def any_of(*requirements: Requirement) -> Requirement:
    """A requirement met when any one of `requirements` is.

    When all fail, the answer is the weightiest failure (503, then 403, then
    401), and a 403's challenge lists the scopes of every branch, so a client
    learns which scope would have let it in.

    Raises:
        ConfigurationError: no requirement, or something that is not one.
    """
    if not requirements:
        raise ConfigurationError("any_of: expected at least one requirement, found none")
    for item in requirements:
        if not isinstance(item, Requirement):
            raise ConfigurationError(
                f"any_of: expected requirements built with require(...), found {item!r}"
            )
    return Requirement(tuple(branch for item in requirements for branch in item.branches))


#: Any verified token (with a well-formed `cognito:groups`).
_ANY_CALLER = Requirement()
