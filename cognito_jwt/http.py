"""The framework-free HTTP answer: request headers in, verified claims or a `Rejection` out.

Every web adapter (FastAPI, Flask, DRF, and any you write for Powertools'
Event Handler, aiohttp or a bare ASGI app) answers through this module, so a
request gets the same status, challenge and `reason` whatever serves it:

    from cognito_jwt import http

    admin_or_m2m = http.any_of(http.require(groups="admin"), http.require(scopes="news/delete"))

    def handler(event):                               # e.g. an API Gateway proxy event
        try:
            claims = http.authenticate(verifier, event["multiValueHeaders"],
                                       requirement=admin_or_m2m)
        except http.Rejection as rejected:
            return {"statusCode": rejected.status_code, "headers": rejected.headers,
                    "body": json.dumps(rejected.body)}
        ...

## The mapping (RFC 6750)

* no token (no header, `Basic ...`, `Bearer` alone): **401**, a bare
  `Bearer` challenge (`realm` only), body `missing_token` / `missing_token`;
* the token's header sent more than once: **400**
  `error="invalid_request"`, reason `duplicate_header`;
* a token the verifier refuses: **401** `error="invalid_token"`, the
  error's reason (`token_expired`, `invalid_issuer`, ...);
* a missing group or scope: **403** `error="insufficient_scope"`, with
  `scope="..."` listing the route's scopes when it has any, reason
  `missing_group` / `missing_scope`;
* a sign-in too weak or too old for a step-up demand (the verifier's or the
  route's `acr_values`, `min_acr_level`, `max_auth_age`): **401**
  `error="insufficient_user_authentication"` with `acr_values="..."` and
  `max_age="..."` (RFC 9470 section 3), reason
  `insufficient_user_authentication`;
* keys unavailable: **503**, no challenge, body `temporarily_unavailable` /
  the error's reason.

The body is `{"error": <the challenge's error code>, "reason": <reason>}`.
`error_description` is always the stable `reason` code (never a message,
never the token).

## Extension point: what an error class adds to the challenge

The answer is driven by the error's attributes, never by a list of error
classes, so a new error is answered correctly by giving it attributes (all
declared on `CognitoJwtError`, with the defaults below):

* `status_code`, `reason`: as every `CognitoJwtError` has;
* `challenge_error` (`str | None`): the RFC 6750 `error` code of the
  challenge and of the body's `error`; without it, 400 is `invalid_request`,
  401 `invalid_token`, 403 `insufficient_scope`, and other statuses carry no
  challenge;
* `challenge_params` (`Mapping[str, str]`, empty): more auth-params for the
  challenge, after `error` and `error_description`, each value quoted.  A
  name that is not an RFC 9110 token or a value outside RFC 6750's printable
  character set is left out (and logged), never put in the header raw.

An RFC 9470 step-up error, for example, is a 401 with
`challenge_error = "insufficient_user_authentication"` and
`challenge_params = {"acr_values": "urn:mfa", "max_age": "300"}`, answered
`Bearer error="insufficient_user_authentication", error_description="...",
acr_values="urn:mfa", max_age="300"`.

## Which header carries the token

The verifier decides, through its `token_headers` attribute: the header names
to read, in order, the first one carrying a token winning.  `Authorization`
is read as RFC 6750 says (`Bearer <token>`, or a bare token as API Gateway's
Cognito authorizer sends it; see `bearer_credentials`); any other header holds
a bare token.  The library's verifiers declare `("Authorization",
"x-amzn-oidc-accesstoken")` (the access token an ALB forwards), and
`AlbJwtVerifier` `("x-amzn-oidc-data",)`; an object without the attribute
gets `("Authorization",)`.

`headers` may be a mapping (looked up case-insensitively; a value that is a
list is several values, as in API Gateway's `multiValueHeaders`), an object
with `getlist` (Starlette's and Werkzeug's headers), a callable
`name -> value | None`, or an iterable of `(name, value)` pairs (raw ASGI or
WSGI headers, `bytes` or `str`).  Only a form that keeps every value can show
a header sent twice; a WSGI server joins repeated lines with commas (RFC 9110
5.3), which no token contains, so a comma where the token belongs is read as
two values too.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias

from cognito_jwt._claim_types import cognito_groups
from cognito_jwt._claims import check_groups, check_scopes
from cognito_jwt._exports import rehome as _rehome
from cognito_jwt._step_up import StepUp, step_up_rule
from cognito_jwt._token import bearer_credentials
from cognito_jwt.errors import CognitoJwtError, ConfigurationError, InvalidRequestError

__all__ = [
    "AUTHORIZATION",
    "DEFAULT_TOKEN_HEADERS",
    "MISSING_TOKEN",
    "AsyncVerifier",
    "Headers",
    "Rejection",
    "Requirement",
    "SyncVerifier",
    "any_of",
    "authenticate",
    "authenticate_async",
    "authorize",
    "bearer_credentials",
    "check_realm",
    "rejection",
    "request_token",
    "require",
]

logger = logging.getLogger("cognito_jwt.integrations")

#: The header RFC 6750 puts the bearer token in.
AUTHORIZATION = "Authorization"
#: Where a verifier without a `token_headers` attribute finds its token.
DEFAULT_TOKEN_HEADERS: tuple[str, ...] = (AUTHORIZATION,)
#: `reason` (and body `error`) of a request that carried no token.
MISSING_TOKEN = "missing_token"  # noqa: S105 - a reason code, not a secret

#: What `headers` may be: see the module docstring.
Headers: TypeAlias = (
    Mapping[str, Any]
    | Callable[[str], "str | None"]
    | Iterable[tuple["str | bytes", "str | bytes"]]
)


class SyncVerifier(Protocol):
    """Anything with a blocking `verify`: the library's verifiers, or a test double."""

    def verify(self, token: str) -> dict[str, Any]:
        """The verified claims, or a `CognitoJwtError`."""
        ...


class AsyncVerifier(Protocol):
    """Anything with an awaitable `verify_async` (the library's verifiers have both)."""

    async def verify_async(self, token: str) -> dict[str, Any]:
        """The verified claims, or a `CognitoJwtError`."""
        ...


# --------------------------------------------------------------------------
# The answer
# --------------------------------------------------------------------------


class Rejection(Exception):
    """The HTTP answer to a request that must not reach the handler.

    Raised by `authenticate`, `authenticate_async`, `authorize` and
    `request_token`; an adapter turns it into its framework's response as it
    is.  It is not a `CognitoJwtError`: it is what the client is told, built
    from one (`error`) or from the absence of a token.

    Attributes:
        status_code: 400, 401, 403 or 503 (500 for an error of the server's own).
        headers: `{"WWW-Authenticate": ...}` when the status calls for a
            challenge, else empty.
        body: `{"error": ..., "reason": ...}`, safe to show any client.
        reason: the stable reason code, as in the body.
        error: the library error behind it; `None` when no token was sent.
    """

    def __init__(
        self,
        status_code: int,
        headers: dict[str, str],
        body: dict[str, str],
        error: CognitoJwtError | None,
    ) -> None:
        super().__init__(f"{status_code} {body['reason']}")
        self.status_code = status_code
        self.headers = headers
        self.body = body
        self.reason: str = body["reason"]
        self.error = error

    def __repr__(self) -> str:
        return f"Rejection({self.status_code}, reason={self.reason!r})"


#: The challenge's `error` code by status, for errors that name none.
_CHALLENGE_ERRORS = {400: "invalid_request", 401: "invalid_token", 403: "insufficient_scope"}
#: The body's `error` for statuses that carry no challenge.
_BODY_ERRORS = {503: "temporarily_unavailable"}
#: Which failure wins among the branches of an any-of requirement.
_PRECEDENCE = {503: 3, 403: 2, 401: 1}
#: How much of a request's path a log line shows.
_MAX_SHOWN = 200
#: An RFC 9110 token: what an auth-param name may be.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _header_safe(text: str) -> bool:
    """True if `text` may go inside a quoted auth-param unescaped (RFC 6750's set)."""
    return all(0x20 <= ord(char) <= 0x7E and char not in '"\\' for char in text)


def check_realm(realm: str | None) -> str | None:
    """`realm` if it can be quoted into a challenge safely.

    Raises:
        ConfigurationError: a quote, a backslash or a control character, which
            would break (or inject into) the header.
    """
    if realm is not None and (not isinstance(realm, str) or not _header_safe(realm)):
        raise ConfigurationError(
            f"realm: expected printable ASCII without '\"' or '\\', found {realm!r}"
        )
    return realm


def rejection(
    error: CognitoJwtError | None,
    *,
    realm: str | None = None,
    requirement: Requirement | None = None,
    method: str | None = None,
    path: str | None = None,
) -> Rejection:
    """The `Rejection` answering `error` (`None`: the request carried no token), logged.

    The one home of the token-to-HTTP mapping (the table in the module
    docstring).  The status is the error's `status_code`, so a new error class
    is answered correctly without touching this function; see the module
    docstring for the attributes it reads.

    Args:
        error: what the verifier or the requirement raised, or `None`.
        realm: the challenge's `realm`, if any.
        requirement: the route's requirement; a 403 lists its scopes in the
            challenge's `scope`.
        method: the request's method, for the log line.
        path: the request's path, for the log line.
    """
    _log(error, method, path)
    params = [f'realm="{realm}"'] if realm is not None and _header_safe(realm) else []
    if error is None:
        challenge = "Bearer " + ", ".join(params) if params else "Bearer"
        body = {"error": MISSING_TOKEN, "reason": MISSING_TOKEN}
        return Rejection(401, {"WWW-Authenticate": challenge}, body, None)
    status = error.status_code
    code = error.challenge_error or _CHALLENGE_ERRORS.get(status)
    headers: dict[str, str] = {}
    if code is not None and _header_safe(code):
        params.append(f'error="{code}"')
        if _header_safe(error.reason):
            params.append(f'error_description="{error.reason}"')
        scopes = requirement.challenge_scopes if requirement is not None else ()
        if status == 403 and scopes and all(_header_safe(s) for s in scopes):
            params.append(f'scope="{" ".join(scopes)}"')
        params.extend(_extra_params(error))
        headers["WWW-Authenticate"] = "Bearer " + ", ".join(params)
    body_code = code or _BODY_ERRORS.get(status, "server_error")
    return Rejection(status, headers, {"error": body_code, "reason": error.reason}, error)


def _extra_params(error: CognitoJwtError) -> list[str]:
    """The `challenge_params` an error class declares, as safe `name="value"` pairs."""
    extra = error.challenge_params
    if not extra:
        return []
    params = []
    for name, value in dict(extra).items():
        text = str(value)
        if isinstance(name, str) and _TOKEN.fullmatch(name) and _header_safe(text):
            params.append(f'{name}="{text}"')
        else:
            logger.error("challenge parameter %r left out: not safe in a header", name)
    return params


def _shown(text: str) -> str:
    """A request's method or path for a log line: the client wrote it, so escaped and cut."""
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _log(error: CognitoJwtError | None, method: str | None, path: str | None) -> None:
    """Log a rejection at the level of who must act: client (INFO), operator (WARNING)."""
    where = f" {_shown(method or '-')} {_shown(path or '-')}" if method or path else ""
    if error is None:
        logger.debug("request rejected%s: no bearer token", where)
    elif error.status_code < 500:
        logger.info("request rejected%s (%s): %s", where, error.reason, error.message)
    elif error.status_code == 503:
        logger.warning("request failed%s (%s): %s", where, error.reason, error.message)
    else:
        logger.error("request failed%s (%s): %s", where, error.reason, error.message)


# --------------------------------------------------------------------------
# Reading the token
# --------------------------------------------------------------------------


def _values(headers: Headers, name: str) -> list[str]:
    """Every value of header `name` (case-insensitive) that `headers` shows."""
    lowered = name.lower()
    getlist = getattr(headers, "getlist", None)
    if callable(getlist):  # Starlette, Werkzeug: case-insensitive, every value
        return [_text(v) for v in getlist(name)]
    if isinstance(headers, Mapping):
        found: list[str] = []
        for key, value in headers.items():
            if isinstance(key, str | bytes) and _text(key).lower() == lowered:
                if isinstance(value, list | tuple):
                    found.extend(_text(v) for v in value)
                elif value is not None:
                    found.append(_text(value))
        return found
    if callable(headers):
        value = headers(name)
        return [] if value is None else [_text(value)]
    wanted_bytes = lowered.encode("latin-1")
    values: list[str] = []
    for key, value in headers:
        if isinstance(key, bytes):
            if key.lower() == wanted_bytes:
                values.append(_text(value))
        elif key.lower() == lowered:
            values.append(_text(value))
    return values


def _text(value: object) -> str:
    """A header name or value as text: bytes are ISO-8859-1 (RFC 9110 5.5), never failing."""
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _joined(value: str) -> bool:
    """True if `value` is several token-carrying values a server joined with commas."""
    if "," not in value:
        return False
    first, *rest = value.split(",")
    return bearer_credentials(first) is not None or any(
        part.strip().lower().startswith("bearer ") for part in rest
    )


def request_token(
    verifier: object,
    headers: Headers,
    *,
    realm: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> str | None:
    """The token `verifier` should see, or `None` when the request carries none.

    The headers are those the verifier's `token_headers` names (see the module
    docstring).  An adapter with an "optional authentication" mode calls this
    first: `None` means anonymous, a token goes to `authenticate` or the
    verifier.

    Raises:
        Rejection: 400 `invalid_request` (`duplicate_header`): a header that
            carries the token came more than once, so which one the server
            meant is a guess (RFC 6750 section 3.1).
    """
    if isinstance(headers, Iterator):  # a generator of pairs: read once, keep for each name
        headers = list(headers)
    for name in getattr(verifier, "token_headers", DEFAULT_TOKEN_HEADERS):
        values = _values(headers, name)
        if not values:
            continue
        if len(values) > 1 or _joined(values[0]):
            error = InvalidRequestError(
                f"header {name}: expected one value, found {len(values)} "
                f"(or several joined by the server)"
            )
            raise rejection(error, realm=realm, method=method, path=path)
        value = values[0]
        token = bearer_credentials(value) if name.lower() == "authorization" else value.strip()
        if token:
            return token
    return None


# --------------------------------------------------------------------------
# Requirements: groups and scopes, all of them in a branch, any of the branches
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# The whole answer
# --------------------------------------------------------------------------


def authorize(
    claims: dict[str, Any],
    requirement: Requirement,
    *,
    verifier: object = None,
    realm: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> dict[str, Any]:
    """`claims` if they meet `requirement`, else the `Rejection` (403, or 401).

    For adapters that keep a request's verified claims and check several
    requirements against them (FastAPI's dependencies).  Pass the `verifier`
    that verified them: a step-up age is measured by its clock (else by the
    system clock).

    Raises:
        Rejection: the claims do not meet the requirement.
    """
    try:
        requirement.check(claims, clock=_clock(verifier))
    except CognitoJwtError as error:
        raise rejection(
            error, realm=realm, requirement=requirement, method=method, path=path
        ) from error
    return claims


def authenticate(
    verifier: SyncVerifier,
    headers: Headers,
    *,
    groups: str | Sequence[str] | None = None,
    scopes: str | Sequence[str] | None = None,
    require_all_groups: bool = False,
    require_all_scopes: bool = False,
    acr_values: str | Sequence[str] | None = None,
    min_acr_level: int | str | None = None,
    max_auth_age: int | None = None,
    requirement: Requirement | None = None,
    realm: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> dict[str, Any]:
    """The verified claims of the request whose headers are `headers`, or a `Rejection`.

    Reads the token from the header the verifier names, verifies it and checks
    the requirement: `groups`/`scopes` as `require` takes them, or a
    `requirement` built once (`require`, `any_of`); not both.

    Args:
        verifier: the verifier (`CognitoJwtVerifier`, `JwtVerifier`,
            `MultiIssuerVerifier`, `AlbJwtVerifier`, or any object with `verify`).
        headers: the request's headers (see the module docstring).
        groups: Cognito groups the route requires (any one by default).
        scopes: OAuth scopes the route requires (any one by default).
        require_all_groups: demand every listed group.
        require_all_scopes: demand every listed scope.
        acr_values: step-up: the `acr` values accepted (see `require`).
        min_acr_level: step-up: the weakest default Cognito level accepted.
        max_auth_age: step-up: the oldest sign-in accepted, in seconds.
        requirement: a prebuilt requirement instead of `groups`/`scopes`
            and the step-up options.
        realm: the challenge's `realm`.
        method: the request's method, named in log lines.
        path: the request's path, named in log lines.

    Raises:
        Rejection: 400, 401, 403 or 503; see the module docstring.
        ConfigurationError: the requirement is invalid, or `scopes` can never
            be met by this verifier's tokens (ID tokens carry none).  An
            adapter checks a prebuilt `requirement` once, where it is built,
            with `Requirement.check_possible`.

    Examples:
        >>> from cognito_jwt.testing import FakeCognitoPool
        >>> pool = FakeCognitoPool()
        >>> headers = {"authorization": "Bearer " + pool.id_token(groups=["admin"])}
        >>> authenticate(pool.verifier(token_use="id"), headers, groups="admin")["token_use"]
        'id'
    """
    need = Requirement.of(
        requirement,
        groups=groups,
        scopes=scopes,
        require_all_groups=require_all_groups,
        require_all_scopes=require_all_scopes,
        acr_values=acr_values,
        min_acr_level=min_acr_level,
        max_auth_age=max_auth_age,
    )
    if scopes is not None:  # a prebuilt requirement was checked where it was built
        need.check_possible(verifier)
    token = request_token(verifier, headers, realm=realm, method=method, path=path)
    if token is None:
        raise rejection(None, realm=realm, method=method, path=path)
    try:
        claims = verifier.verify(token)
        need.check(claims, clock=_clock(verifier))
    except CognitoJwtError as error:
        raise rejection(error, realm=realm, requirement=need, method=method, path=path) from error
    return claims


async def authenticate_async(
    verifier: AsyncVerifier | SyncVerifier,
    headers: Headers,
    *,
    groups: str | Sequence[str] | None = None,
    scopes: str | Sequence[str] | None = None,
    require_all_groups: bool = False,
    require_all_scopes: bool = False,
    acr_values: str | Sequence[str] | None = None,
    min_acr_level: int | str | None = None,
    max_auth_age: int | None = None,
    requirement: Requirement | None = None,
    realm: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> dict[str, Any]:
    """`authenticate` without blocking the event loop: awaits `verify_async`.

    A verifier with only `verify` runs in a worker thread.

    Raises:
        Rejection: 400, 401, 403 or 503; see the module docstring.
        ConfigurationError: as for `authenticate`.
    """
    need = Requirement.of(
        requirement,
        groups=groups,
        scopes=scopes,
        require_all_groups=require_all_groups,
        require_all_scopes=require_all_scopes,
        acr_values=acr_values,
        min_acr_level=min_acr_level,
        max_auth_age=max_auth_age,
    )
    if scopes is not None:  # a prebuilt requirement was checked where it was built
        need.check_possible(verifier)
    token = request_token(verifier, headers, realm=realm, method=method, path=path)
    if token is None:
        raise rejection(None, realm=realm, method=method, path=path)
    try:
        claims = await _verify_async(verifier, token)
        need.check(claims, clock=_clock(verifier))
    except CognitoJwtError as error:
        raise rejection(error, realm=realm, requirement=need, method=method, path=path) from error
    return claims


def _clock(verifier: object) -> Clock | None:
    """The verifier's `now(claims)`, if it has one (the library's verifiers do)."""
    now: Clock | None = getattr(verifier, "now", None)
    return now


async def _verify_async(verifier: AsyncVerifier | SyncVerifier, token: str) -> dict[str, Any]:
    verify_async = getattr(verifier, "verify_async", None)
    if verify_async is not None:
        claims: dict[str, Any] = await verify_async(token)
        return claims
    import asyncio  # only here: it is slow to import (docs/performance.md)

    return await asyncio.to_thread(verifier.verify, token)  # type: ignore[union-attr]


_rehome(__name__, globals(), __all__)
