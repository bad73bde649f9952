"""Framework-neutral pieces shared by the web integrations.

Every integration must make the same three decisions: where the token is, which
extra per-route requirements apply, and how a rejection looks on the wire.  They
are made here, once, so that a FastAPI, a Flask and a Django service built on
this library answer the same request identically.  Nothing in this module
imports a web framework.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from cognito_jwt._claim_types import cognito_groups, oauth_scopes
from cognito_jwt._claims import check_groups, check_scopes
from cognito_jwt._token import bearer_credentials
from cognito_jwt.errors import (
    CognitoJwtError,
    ConfigurationError,
    JwksUnavailableError,
    MissingScopeError,
)

__all__ = [
    "ALB_ACCESS_TOKEN_HEADER",
    "ALB_TOKEN_HEADER",
    "OPTIONAL_SETTINGS",
    "REQUIRED_SETTINGS",
    "AsyncVerifier",
    "Denial",
    "Requirement",
    "SyncVerifier",
    "bearer_token",
    "build_challenge",
    "check_realm",
    "claim_groups",
    "claim_scopes",
    "deny",
    "log_denial",
    "request_token",
    "requirement_class",
    "verifier_from_settings",
    "warm_up",
    "warm_up_async",
]

logger = logging.getLogger("cognito_jwt.integrations")

#: Body ``reason`` (and log reason) for a request that carried no bearer token.
MISSING_TOKEN = "missing_token"  # noqa: S105 - a reason code, not a secret


class SyncVerifier(Protocol):
    """Anything with a blocking ``verify``: the verifiers of `cognito_jwt`.

    A protocol rather than a concrete class so that `CognitoJwtVerifier`,
    `JwtVerifier`, `MultiIssuerVerifier` and test doubles all fit.
    """

    def verify(self, token: str) -> dict[str, Any]:
        """Return the verified claims or raise a `CognitoJwtError`."""
        ...


class AsyncVerifier(Protocol):
    """Anything with an awaitable ``verify_async`` (used by ASGI integrations)."""

    async def verify_async(self, token: str) -> dict[str, Any]:
        """Return the verified claims or raise a `CognitoJwtError`."""
        ...


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization` header value, or `None` when it holds none.

    `Bearer <token>` or a bare token; see `cognito_jwt._token.bearer_credentials`,
    the one reading of that header for every entry point.  `None` (no header,
    `Basic ...`, an empty `Bearer`) is answered with a bare `Bearer` challenge
    (RFC 6750 section 3.1), whereas a present but unusable token is left to the
    verifier, which rejects it as malformed with `error="invalid_token"`.

    Args:
        authorization: the raw header value, or `None` when absent.
    """
    return bearer_credentials(authorization)


#: The header an Application Load Balancer puts its signed user-claims token in.
ALB_TOKEN_HEADER = "x-amzn-oidc-data"  # noqa: S105 - a header name, not a secret
#: The header an ALB that authenticated the user forwards the IdP's access token in.
ALB_ACCESS_TOKEN_HEADER = "x-amzn-oidc-accesstoken"  # noqa: S105 - a header name


def request_token(verifier: object, header: Callable[[str], str | None]) -> str | None:
    """The token `verifier` should see: where it comes from depends on who signed it.

    * An `AlbJwtVerifier` verifies the token the load balancer put in
      `x-amzn-oidc-data` (a bare JWT, no scheme), and nothing else.
    * Every other verifier reads `Authorization` (`Bearer <token>` or a bare
      token, see `bearer_token`), and, when the request has none, the access
      token an ALB that authenticated the user forwards in
      `x-amzn-oidc-accesstoken`.  That header is no more trusted than
      `Authorization`: a client that reaches the target directly can set it
      too, and the token in it is verified in full all the same.

    `header(name)` reads one request header (case-insensitively) or returns
    `None`.

    Returns:
        The token text, or `None` when the request carries none (answered with
        a bare challenge, as for a missing bearer token).
    """
    from cognito_jwt._alb import AlbJwtVerifier

    if isinstance(verifier, AlbJwtVerifier):
        value = header(ALB_TOKEN_HEADER)
        return value.strip() or None if value else None
    token = bearer_token(header("Authorization"))
    if token is None:
        forwarded = header(ALB_ACCESS_TOKEN_HEADER)
        token = forwarded.strip() or None if forwarded else None
    return token


def _as_tuple(value: str | Sequence[str] | None, what: str) -> tuple[str, ...]:
    """Normalise a ``str | Sequence[str] | None`` requirement to a tuple.

    A bare string is one value (not its characters), mirroring the verifier's
    own ``groups=`` / ``scopes=`` parameters.  Empty values are rejected at
    configuration time: an empty group name would be a requirement that no
    token can meet, which is always a bug.
    """
    if value is None:
        return ()
    values = (value,) if isinstance(value, str) else tuple(value)
    for item in values:
        if not isinstance(item, str) or not item.strip():
            raise ConfigurationError(f"{what} must be non-empty strings, got {item!r}")
    return values


def claim_groups(claims: Mapping[str, Any]) -> frozenset[str]:
    """The token's Cognito groups (`cognito:groups`), for display and user objects.

    Reads through `cognito_jwt._claim_types.cognito_groups`, the library's one reader
    of the claim, so an integration can never disagree with the verifier or the
    Lambda authorizer about a user's groups.

    Raises:
        InvalidClaimError: the claim is present but not a list of strings
            (401, `invalid_claim_type`); a genuine Cognito token never has that.
    """
    return cognito_groups(claims)


def claim_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    """The token's OAuth scopes (space-separated ``scope`` claim of access tokens).

    Reads through `_claim_types.oauth_scopes`, the library's one reader of
    the claim (RFC 6749 3.3: tokens separated by single spaces), so a user
    object can never list a scope that `require_scopes` would not grant.
    ID tokens carry no ``scope``, so a scope requirement always denies them;
    send the access token to scope-protected routes.

    Raises:
        InvalidClaimError: the claim is present but breaks that grammar (401,
            `invalid_scope`) or is not a string (`invalid_claim_type`); every
            verifier refuses such a token before a request gets this far.
    """
    return oauth_scopes(claims)


@dataclass(frozen=True)
class Requirement:
    """Per-route authorisation on top of what the verifier already checked.

    The verifier answers "is this a genuine token for my app?"; a route often
    needs more ("...and is the caller an admin?").  Keeping that second question
    per route lets one verifier (one JWKS cache) serve every endpoint.

    Semantics mirror the verifier's ``groups=`` / ``scopes=`` parameters: by
    default *any one* of the listed values suffices; ``require_all_*`` demands
    every one of them.

    Attributes:
        groups: Cognito groups, from ``cognito:groups``.
        scopes: OAuth scopes, from the access token's ``scope``.
        require_all_groups: require every group rather than any one.
        require_all_scopes: require every scope rather than any one.
    """

    groups: tuple[str, ...] = field(default=())
    scopes: tuple[str, ...] = field(default=())
    require_all_groups: bool = False
    require_all_scopes: bool = False

    @classmethod
    def build(
        cls,
        *,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
    ) -> Requirement:
        """Validate and normalise user input into a requirement.

        Raises:
            ConfigurationError: a group or scope is empty or not a string.
        """
        return cls(
            groups=_as_tuple(groups, "groups"),
            scopes=_as_tuple(scopes, "scopes"),
            require_all_groups=require_all_groups,
            require_all_scopes=require_all_scopes,
        )

    def check(self, claims: Mapping[str, Any]) -> None:
        """Raise unless the (already verified) claims meet this requirement.

        Delegates to the same rule functions the verifier uses for its own
        ``groups=`` / ``scopes=``, so a route requirement and a verifier-wide one
        can never disagree about what "has the group" means.

        Every integration runs this on every authenticated request, the empty
        requirement included: a `cognito:groups` claim that is not a list of
        strings is refused (401) on every route, not only on group-protected
        ones, because application code reading `claims["cognito:groups"]`
        itself would otherwise meet a string, where `"admin" in groups` is a
        substring test.

        Raises:
            MissingGroupError: the required group(s) are absent (403).
            MissingScopeError: the required scope(s) are absent (403).
            InvalidClaimError: ``cognito:groups`` / ``scope`` has the wrong type (401).
        """
        if self.groups:
            check_groups(claims, self.groups, require_all=self.require_all_groups)
        elif "cognito:groups" in claims:
            cognito_groups(claims)  # validates the claim's shape (raises if malformed)
        if self.scopes:
            check_scopes(claims, self.scopes, require_all=self.require_all_scopes)


def check_realm(realm: str | None) -> str | None:
    """Validate a ``realm`` for the challenge: it is quoted into a header.

    Raises:
        ConfigurationError: the realm contains a quote, a backslash or a
            control character, which would break (or inject into) the header.
    """
    if realm is None:
        return None
    if not _is_header_safe(realm):
        raise ConfigurationError(f"realm must be printable ASCII without '\"' or '\\': {realm!r}")
    return realm


def _is_header_safe(text: str) -> bool:
    """True if ``text`` may be put inside a quoted auth-param unescaped.

    This is RFC 6750's character set for ``error_description`` and ``scope``
    values: printable ASCII minus the double quote and the backslash.
    """
    return all(0x20 <= ord(char) <= 0x7E and char not in '"\\' for char in text)


def build_challenge(
    error: CognitoJwtError | None,
    *,
    realm: str | None = None,
    requirement: Requirement | None = None,
) -> str | None:
    """The ``WWW-Authenticate`` value for a rejection, or ``None`` for no header.

    RFC 6750 section 3: a request without credentials gets a bare ``Bearer``
    challenge; a bad token ``error="invalid_token"`` (401); a token lacking a
    privilege ``error="insufficient_scope"`` (403), with the ``scope`` attribute
    listing the scopes the route wants when scopes were what was missing.  A 503
    carries no challenge: re-authenticating would not help the client.

    ``error_description`` is the error's stable ``reason`` code (e.g.
    ``token_expired``): enough for a client developer to act on, and never
    attacker-controlled text.
    """
    params: list[str] = []
    if realm is not None:
        params.append(f'realm="{realm}"')
    if error is not None:
        if error.status_code == 401:
            params.append('error="invalid_token"')
        elif error.status_code == 403:
            params.append('error="insufficient_scope"')
        else:
            return None
        if _is_header_safe(error.reason):
            params.append(f'error_description="{error.reason}"')
        if (
            isinstance(error, MissingScopeError)
            and requirement is not None
            and requirement.scopes
            and all(_is_header_safe(scope) for scope in requirement.scopes)
        ):
            params.append(f'scope="{" ".join(requirement.scopes)}"')
    return "Bearer " + ", ".join(params) if params else "Bearer"


#: The body's ``error`` field per HTTP status: the OAuth 2 code where one exists.
_ERROR_CODES = {401: "invalid_token", 403: "insufficient_scope", 503: "temporarily_unavailable"}


@dataclass(frozen=True)
class Denial:
    """A framework-neutral rejection: what each integration turns into a response.

    Attributes:
        status: the HTTP status (the error's ``status_code``; 401 without token).
        body: ``{"error": ..., "reason": ...}``, safe to show to any client.
        headers: ``WWW-Authenticate`` when the status calls for a challenge.
        error: the library error behind it, ``None`` when no token was sent.
    """

    status: int
    body: dict[str, str]
    headers: dict[str, str]
    error: CognitoJwtError | None


def deny(
    error: CognitoJwtError | None,
    *,
    realm: str | None = None,
    requirement: Requirement | None = None,
) -> Denial:
    """Turn a verification failure (or a missing token) into a `Denial`.

    The status comes from ``error.status_code``, so the mapping follows the
    library's error hierarchy rather than a per-framework list of exception
    classes: a new error subclass is answered correctly without touching the
    integrations.  The body carries only the stable ``reason`` code, never the
    message (which may quote claim values) and never the token.

    Args:
        error: the error raised by the verifier or the requirement check, or
            ``None`` when the request carried no bearer token.
        realm: optional ``realm`` for the challenge.
        requirement: the route's requirement, to advertise required scopes.
    """
    log_denial(error)
    challenge = build_challenge(error, realm=realm, requirement=requirement)
    headers = {"WWW-Authenticate": challenge} if challenge is not None else {}
    if error is None:
        return Denial(401, {"error": MISSING_TOKEN, "reason": MISSING_TOKEN}, headers, None)
    code = _ERROR_CODES.get(error.status_code, "server_error")
    return Denial(error.status_code, {"error": code, "reason": error.reason}, headers, error)


def log_denial(error: CognitoJwtError | None) -> None:
    """Log a rejection at a level matching who has to act on it.

    A missing or bad token is the client's problem (DEBUG/INFO); keys being
    unavailable is the operator's (WARNING); anything else is a server bug
    (ERROR).  The library's messages never contain the token, so logging them
    is safe.
    """
    if error is None:
        logger.debug("request rejected: no bearer token")
    elif error.status_code in (401, 403):
        logger.info("request rejected (%s): %s", error.reason, error.message)
    elif error.status_code == 503:
        logger.warning("request failed (%s): %s", error.reason, error.message)
    else:
        logger.error("request failed (%s): %s", error.reason, error.message)


# --------------------------------------------------------------------------
# Settings: one table for every integration configured by keys (Flask, DRF)
# --------------------------------------------------------------------------

#: Setting name (after the integration's prefix) -> `CognitoJwtVerifier` keyword.
#: `TOKEN_USE` is required on purpose: which token an API accepts is a security
#: decision, not a default.
REQUIRED_SETTINGS = {
    "USER_POOL_ID": "user_pool_id",
    "CLIENT_ID": "client_id",
    "TOKEN_USE": "token_use",
}
#: Optional settings; absent ones are not passed, so the verifier's defaults apply.
OPTIONAL_SETTINGS = {
    "JWKS_URI": "jwks_uri",
    "ISSUER": "issuer",
    "JWKS": "jwks",
    "LEEWAY": "leeway",
    "GROUPS": "groups",
    "SCOPES": "scopes",
    "REQUIRE_ALL_GROUPS": "require_all_groups",
    "REQUIRE_ALL_SCOPES": "require_all_scopes",
    "ALLOW_HTTP": "allow_http",
}


def verifier_from_settings(config: Mapping[str, Any], *, prefix: str, where: str) -> SyncVerifier:
    """A `CognitoJwtVerifier` built from `prefix + name` keys of `config`.

    Flask reads `app.config["COGNITO_USER_POOL_ID"]` (prefix `COGNITO_`), DRF
    `settings.COGNITO_JWT["USER_POOL_ID"]` (no prefix); both go through this one
    table, so a setting added here reaches both.

    Args:
        config: the mapping holding the settings.
        prefix: what precedes each setting's name in `config`.
        where: how the error messages name `config` (`"Flask config"`).

    Raises:
        ConfigurationError: a required key is missing, or the verifier rejected
            a value; raised at start-up rather than on the first request.
    """
    from cognito_jwt import CognitoJwtVerifier

    missing = [prefix + key for key in REQUIRED_SETTINGS if prefix + key not in config]
    if missing:
        raise ConfigurationError(
            f"{where} is missing {', '.join(missing)} (needed to verify Cognito tokens; "
            f"{prefix}TOKEN_USE may be 'id', 'access' or None for both)"
        )
    table = {**REQUIRED_SETTINGS, **OPTIONAL_SETTINGS}
    kwargs = {arg: config[prefix + key] for key, arg in table.items() if prefix + key in config}
    try:
        verifier: SyncVerifier = CognitoJwtVerifier(**kwargs)
    except ConfigurationError as error:
        raise ConfigurationError(f"{where}: {error.message}", reason=error.reason) from error
    return verifier


# --------------------------------------------------------------------------
# Permission classes made per call (DRF's `require_groups` / `require_scopes`)
# --------------------------------------------------------------------------

_Permission = TypeVar("_Permission", bound=type)


def requirement_class(
    base: _Permission,
    *,
    kind: str,
    values: Sequence[str],
    require_all: bool,
    raise_exception: bool,
) -> _Permission:
    """A subclass of `base` requiring `values` (groups or scopes), named after them.

    The one factory behind DRF's `require_groups` and `require_scopes`: it
    validates the values exactly as route requirements are validated and sets
    `required_<kind>`, `require_all` and `raise_exception` on the new class.

    Args:
        base: the permission class to subclass.
        kind: `"groups"` or `"scopes"`.
        values: what the route requires.
        require_all: demand every value rather than any one.
        raise_exception: answer a denial with a 403 challenge (else return False).

    Raises:
        ConfigurationError: no value, or an empty one, was given.
    """
    requirement = Requirement.build(**{kind: values})  # type: ignore[arg-type]
    checked: tuple[str, ...] = getattr(requirement, kind)
    if not checked:
        raise ConfigurationError(f"require_{kind}() needs at least one {kind[:-1]}")
    name = f"{base.__name__}{list(checked)}"
    attributes = {
        f"required_{kind}": checked,
        "require_all": require_all,
        "raise_exception": raise_exception,
        "__qualname__": name,
        "__module__": base.__module__,
    }
    made: _Permission = type(base)(name, (base,), attributes)
    return made


# --------------------------------------------------------------------------
# Start-up: load the keys before the first request, failing soft
# --------------------------------------------------------------------------


def warm_up(verifier: object) -> bool:
    """Load `verifier`'s signing keys now: `True` once loaded, `False` if not.

    Called at application start-up so that the first request does not pay
    for the JWKS fetch.  It fails *soft*: with the JWKS endpoint down the
    service still starts, the failure is logged at WARNING, and requests fetch
    the keys themselves once the endpoint recovers (after the key cache's
    back-off), answering 503 until then.  A verifier without `hydrate` (a
    test double) is left alone.
    """
    hydrate = getattr(verifier, "hydrate", None)
    if not callable(hydrate):
        return False
    try:
        hydrate()
    except JwksUnavailableError as error:
        _log_warm_up_failure(error)
        return False
    return True


async def warm_up_async(verifier: object) -> bool:
    """`warm_up` without blocking the event loop (uses `hydrate_async`)."""
    hydrate = getattr(verifier, "hydrate_async", None)
    if not callable(hydrate):
        import asyncio

        return await asyncio.to_thread(warm_up, verifier)
    try:
        await hydrate()
    except JwksUnavailableError as error:
        _log_warm_up_failure(error)
        return False
    return True


def _log_warm_up_failure(error: JwksUnavailableError) -> None:
    logger.warning(
        "could not load the signing keys at start-up (%s): %s; requests will fetch them "
        "once the JWKS endpoint answers, and get 503 until then",
        error.reason,
        error.message,
    )
