"""Framework-neutral pieces the web integrations share beyond `cognito_jwt.http`.

`cognito_jwt.http` makes the per-request decisions (which header, which
requirement, which answer); this module holds the rest every adapter needs
alike: reading settings into a verifier, the claims readers behind user
objects, permission classes made per call, and warming the key cache at
start-up.  Nothing in this module imports a web framework.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from cognito_jwt._claim_types import cognito_groups, oauth_scopes
from cognito_jwt.errors import ConfigurationError, JwksUnavailableError
from cognito_jwt.http import AsyncVerifier, SyncVerifier, require

__all__ = [
    "ALB_ACCESS_TOKEN_HEADER",
    "ALB_TOKEN_HEADER",
    "OPTIONAL_SETTINGS",
    "REQUIRED_SETTINGS",
    "AsyncVerifier",
    "SyncVerifier",
    "checked_verifier",
    "claim_groups",
    "claim_scopes",
    "requirement_class",
    "verifier_from_settings",
    "verifier_setting",
    "warm_up",
    "warm_up_async",
]

logger = logging.getLogger("cognito_jwt.integrations")

#: The header an Application Load Balancer puts its signed user-claims token in.
ALB_TOKEN_HEADER = "x-amzn-oidc-data"  # noqa: S105 - a header name, not a secret
#: The header an ALB that authenticated the user forwards the IdP's access token in.
ALB_ACCESS_TOKEN_HEADER = "x-amzn-oidc-accesstoken"  # noqa: S105 - a header name


def checked_verifier(
    verifier: object, where: str, *, method: str = "verify", fix: str | None = None
) -> Any:
    """`verifier` itself if it is a verifier instance with `method`, else why not and the fix.

    Every integration takes a verifier built once (it owns the key cache and
    the verified-token cache), so a class, a factory's result forgotten or a
    stray positional argument is refused where the integration is built, with
    one message shape for all of them: where, expected vs found, and the fix.

    Args:
        verifier: what the user passed.
        where: the argument or setting, as the user wrote it.
        method: what the integration calls: `verify` (synchronous ones) or
            `verify_async`.
        fix: the fix, when the usual one ("build it once and pass that")
            does not fit the slip.

    Raises:
        ConfigurationError: `verifier` is a class, or has no callable `method`.
    """
    if isinstance(verifier, type):
        found, name = f"the class {verifier.__name__}", verifier.__name__
    elif not callable(getattr(verifier, method, None)):
        found, name = f"{verifier!r:.80}", "CognitoJwtVerifier"
    else:
        return verifier
    raise _not_a_verifier(
        where,
        method,
        found,
        fix or f"build it once, e.g. {name}(user_pool_id=..., ...), and pass that",
    )


#: The fix for a ``VERIFIER`` setting that gives no verifier instance.
_SETTING_FIX = (
    "set it to a verifier instance, e.g. CognitoJwtVerifier(user_pool_id=..., ...), "
    "a dotted path to one, or a function returning one"
)


def verifier_setting(given: object, where: str, *, load: Callable[[str], object]) -> Any:
    """The verifier a ``VERIFIER`` setting names: an instance, a dotted path, or a factory.

    A dotted path is imported with `load` (Django's `import_string`, so this
    module imports no framework); what it names, if a function rather than a
    verifier, is called once.  Whatever does not end as a verifier instance is
    refused as `checked_verifier` refuses it.

    Raises:
        ConfigurationError: the path does not import, or names no verifier.
    """
    verifier = given
    if isinstance(given, str):
        try:
            verifier = load(given)
        except ImportError:
            found = f"{given!r:.80}, which is no importable dotted path"
            raise _not_a_verifier(where, "verify", found, _SETTING_FIX) from None
    if not isinstance(verifier, type) and not hasattr(verifier, "verify") and callable(verifier):
        verifier = verifier()  # a factory, e.g. "myproject.auth.make_verifier"
    return checked_verifier(verifier, where, fix=_SETTING_FIX)


def _not_a_verifier(where: str, method: str, found: str, fix: str) -> ConfigurationError:
    """The one message every integration gives for what is no verifier instance."""
    return ConfigurationError(
        f"{where}: expected a verifier instance (an object with {method}()), found {found}; {fix}"
    )


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
    """The token's OAuth scopes (`scope`), for display and user objects.

    Reads through `cognito_jwt._claim_types.oauth_scopes`, the library's one reader
    of the claim (RFC 6749 3.3: scope tokens separated by single spaces), so a
    user object can never hold a scope the requirement checks would not grant.
    ID tokens carry no `scope`: an empty set.

    Raises:
        InvalidClaimError: the claim is not a string, or breaks RFC 6749's
            grammar (401); Cognito never emits either.
    """
    return oauth_scopes(claims)


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
    "ACR_VALUES": "acr_values",
    "MIN_ACR_LEVEL": "min_acr_level",
    "MAX_AUTH_AGE": "max_auth_age",
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
        ConfigurationError: a required key is missing, `CLIENT_ID` is `None`
            (any client is `cognito_jwt.ANY_CLIENT`), or the verifier rejected
            a value; raised at start-up rather than on the first request.
    """
    from cognito_jwt import CognitoJwtVerifier

    missing = [prefix + key for key in REQUIRED_SETTINGS if prefix + key not in config]
    if missing:
        raise ConfigurationError(
            f"{where} is missing {', '.join(missing)} (needed to verify Cognito tokens; "
            f"{prefix}TOKEN_USE may be 'id', 'access' or None for both; "
            f"{prefix}CLIENT_ID the app client id(s), or cognito_jwt.ANY_CLIENT for any)"
        )
    _check_client_setting(config[prefix + "CLIENT_ID"], f"{where}: {prefix}CLIENT_ID")
    table = {**REQUIRED_SETTINGS, **OPTIONAL_SETTINGS}
    kwargs = {arg: config[prefix + key] for key, arg in table.items() if prefix + key in config}
    try:
        verifier: SyncVerifier = CognitoJwtVerifier(**kwargs)
    except ConfigurationError as error:
        raise ConfigurationError(f"{where}: {error.message}", reason=error.reason) from error
    return verifier


def _check_client_setting(value: object, where: str) -> None:
    """Refuse a `CLIENT_ID` setting of `None` (or the string `"ANY_CLIENT"`).

    Settings are where `os.environ.get("COGNITO_CLIENT_ID")` lands, and it
    reads `None` when the variable is missing.  The constructor still takes
    `client_id=None` as "any client" (deprecated, with a warning Python's
    default filters hide when the call comes from here), so a missing variable
    would open the client check with nothing shown.  In settings, "any client"
    is said only with the `cognito_jwt.ANY_CLIENT` object itself; a string
    cannot say it, since an environment variable can hold any string.

    Raises:
        ConfigurationError: `value` is `None` or the string `"ANY_CLIENT"`.
    """
    if value is None:
        raise ConfigurationError(
            f"{where}: expected the app client id(s), or cognito_jwt.ANY_CLIENT "
            "(the object: from cognito_jwt import ANY_CLIENT) to accept every app client "
            "on purpose; found None, which a missing environment variable "
            "(os.environ.get(...)) reads as"
        )
    if value == "ANY_CLIENT":
        raise ConfigurationError(
            f"{where}: expected the app client id(s), or the object cognito_jwt.ANY_CLIENT "
            "(from cognito_jwt import ANY_CLIENT) to accept every app client; found the "
            "string 'ANY_CLIENT', which is neither"
        )


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
    # Validated as every requirement is validated.
    require(groups=values) if kind == "groups" else require(scopes=values)
    checked = tuple(values)
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
