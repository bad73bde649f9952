"""The settings every verifier takes, checked once at construction.

The constructor arguments every verifier shares are checked once, in
`_settings`, into one `_Settings` value that all issuers of a verifier hold.
Adding a setting means adding it there (and to the public signatures); the
issuer objects (`_issuer.py`) and the request path read it from
`issuer.settings`.  The checks that do not depend on where keys come from
(leeways, clock, `custom_check`, size cap, `on_report`) are `_common_settings`,
which `AlbJwtVerifier` shares.  Every mistake is a `ConfigurationError` raised
here, at definition time, never a surprise on the first request.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, NamedTuple, NoReturn

from cognito_jwt import _reports
from cognito_jwt._fetch import Fetcher, RequestsFetcher
from cognito_jwt._jwks import DEFAULT_JWKS_CACHE, JwksCache
from cognito_jwt._key_source import KeySource, StaticKeySource
from cognito_jwt._keys import SUPPORTED_ALGORITHMS
from cognito_jwt._revocation import Revocation, revocations_of
from cognito_jwt.errors import ConfigurationError

#: `custom_check(header, claims)`: raise (ideally a `CognitoJwtError`) or
#: return `False` to reject; any other return value accepts.
CustomCheck = Callable[[dict[str, Any], dict[str, Any]], object]
#: `custom_check_async(header, claims)`: an `async def`, awaited by
#: `verify_async` after `custom_check`; raise or return `False` to reject.
CustomCheckAsync = Callable[[dict[str, Any], dict[str, Any]], Awaitable[object]]


class _Required:
    """Sentinel default of settings that must be given (`None` means "skip")."""

    def __repr__(self) -> str:
        return "<required>"


#: The default of an argument the caller must give, even if only as `None`.
_REQUIRED: Any = _Required()


class AnyClient(enum.Enum):
    """The type of `ANY_CLIENT`: the one way to accept tokens of every app client."""

    ANY_CLIENT = "ANY_CLIENT"

    def __repr__(self) -> str:
        return "ANY_CLIENT"

    __str__ = __repr__


#: `client_id=ANY_CLIENT` skips the app-client check on purpose: a token of any
#: app client of the pool is accepted (its `aud` or `client_id` is not read).
#: It replaces `client_id=None`, which a missing environment variable
#: (`os.environ.get("CLIENT_ID")`) produces by accident: a type checker refuses
#: `None` (and `str | None`) for `client_id`, and at run time `None` still means
#: any client, with a `DeprecationWarning`, until a future release refuses it.
ANY_CLIENT: Final = AnyClient.ANY_CLIENT


def any_client(client_id: object, where: str) -> object:
    """`client_id` as the checks take it: `None` for "any client".

    `ANY_CLIENT` becomes `None`; `None` itself still does, with a
    `DeprecationWarning` pointing at the caller's line (`where` names the
    constructor in the message).
    """
    if client_id is ANY_CLIENT:
        return None
    if client_id is None:
        import warnings

        warnings.warn(
            f"{where}(client_id=None) is deprecated: a missing environment variable "
            "(os.environ.get(...)) reads as None and would silently accept every app client; "
            "pass client_id=cognito_jwt.ANY_CLIENT to skip the client check on purpose",
            DeprecationWarning,
            stacklevel=3,
        )
    return client_id


class _Immutable:
    """Slotted, and set once in `__init__`: as immutable as a `NamedTuple`, cheaper to read.

    Every read of a `NamedTuple` field is a descriptor call, which the
    interpreter (3.11) does not specialise; a slot read it does.  The request
    path and every token-cache hit read a handful of settings, so
    `_Settings` and `_Issuer` are built on this.
    """

    __slots__: tuple[str, ...] = ()

    def _fill(self, values: Mapping[str, Any]) -> None:
        """Set every slot from `values` (an `__init__`'s `locals()`), once."""
        for name in type(self).__slots__:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in type(self).__slots__)
        return f"{type(self).__name__}({fields})"


# -- the shared constructor settings ----------------------------------------------------------


class _CommonSettings(NamedTuple):
    """What every verifier takes, the ALB's included, checked (see `_common_settings`)."""

    leeway: float
    #: What `claims.check_time` allows on `iat`/`nbf`: `leeway` never narrows it.
    iat_nbf_leeway: float
    clock: Callable[[], float]
    custom_check: CustomCheck | None
    max_token_length: int
    on_report: _reports.Hook | None


def _common_settings(
    *,
    leeway: float,
    iat_nbf_leeway: float,
    custom_check: CustomCheck | None,
    clock: Callable[[], float] | None,
    max_token_length: int,
    on_report: _reports.ReportHook | None,
) -> _CommonSettings:
    """Check the settings of every verifier kind that do not depend on where keys come from.

    Raises:
        ConfigurationError: a setting is invalid.
    """
    for name, value in (("leeway", leeway), ("iat_nbf_leeway", iat_nbf_leeway)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 600:
            raise ConfigurationError(f"{name}: expected seconds in [0, 600), found {value!r}")
    if custom_check is not None:
        if not callable(custom_check):
            raise ConfigurationError("custom_check: expected a callable(header, claims)")
        import inspect  # only here: it is slow to import (docs/performance.md)

        if inspect.iscoroutinefunction(custom_check):
            raise ConfigurationError(
                "custom_check: expected a plain function; pass a coroutine function as "
                "custom_check_async= (verify_async awaits it)"
            )
    if clock is not None and not callable(clock):
        raise ConfigurationError("clock: expected a callable returning epoch seconds")
    if not isinstance(max_token_length, int) or max_token_length < 64:
        raise ConfigurationError(
            f"max_token_length: expected an int >= 64, found {max_token_length!r}"
        )
    return _CommonSettings(
        leeway=float(leeway),
        iat_nbf_leeway=max(float(leeway), float(iat_nbf_leeway)),
        clock=clock or time.time,
        custom_check=custom_check,
        max_token_length=max_token_length,
        on_report=_reports.make_hook(on_report),
    )


class _Settings(_Immutable):
    """A verifier's shared constructor arguments, checked and resolved (see `_settings`)."""

    __slots__ = (
        "algorithms",
        "allow_http",
        "cache_size",
        "clock",
        "custom_check",
        "custom_check_async",
        "iat_nbf_leeway",
        "include_claims",
        "keys",
        "leeway",
        "max_token_length",
        "max_token_lifetime",
        "on_report",
        "revocation",
        "static_keys",
    )

    keys: KeySource
    algorithms: frozenset[str]
    leeway: float
    #: What `claims.check_time` allows on `iat`/`nbf`: `leeway` never narrows it.
    iat_nbf_leeway: float
    clock: Callable[[], float]
    custom_check: CustomCheck | None
    custom_check_async: CustomCheckAsync | None
    include_claims: bool
    max_token_length: int
    cache_size: int
    allow_http: bool
    static_keys: bool
    #: Told of each rejection (by the verifier) and of the fetches of a key
    #: cache made for this verifier's `fetcher`/`session`.
    on_report: _reports.Hook | None
    #: The revocation mechanisms, run last on every accepted token (empty: none).
    revocation: tuple[Revocation, ...]
    #: The longest `exp - iat` of the issuer's tokens (Cognito's bound, or
    #: what a `JwtVerifier` declared; `None`: undeclared).
    max_token_lifetime: float | None

    def __init__(
        self,
        *,
        keys: KeySource,
        algorithms: frozenset[str],
        leeway: float,
        iat_nbf_leeway: float,
        clock: Callable[[], float],
        custom_check: CustomCheck | None,
        custom_check_async: CustomCheckAsync | None,
        include_claims: bool,
        max_token_length: int,
        cache_size: int,
        allow_http: bool,
        static_keys: bool,
        on_report: _reports.Hook | None,
        revocation: tuple[Revocation, ...],
        max_token_lifetime: float | None,
    ) -> None:
        self._fill(locals())

    def replace(self, **changes: Any) -> _Settings:
        """A copy with `changes` applied (a discovery verifier's key source and allow-list)."""
        values = {name: getattr(self, name) for name in type(self).__slots__}
        values.update(changes)
        return _Settings(**values)


def _settings(
    *,
    algorithms: Sequence[str],
    leeway: float,
    iat_nbf_leeway: float,
    custom_check: CustomCheck | None,
    jwks: Mapping[str, Any] | str | bytes | None,
    jwks_cache: JwksCache | None,
    fetcher: Fetcher | None,
    session: Any,
    allow_http: bool,
    clock: Callable[[], float] | None,
    max_token_length: int,
    include_claims_in_errors: bool,
    cache_size: int,
    on_report: _reports.ReportHook | None,
    custom_check_async: CustomCheckAsync | None = None,
    revocation: object = None,
    max_token_lifetime: float | None = None,
) -> _Settings:
    """Check the arguments every verifier shares, once, and resolve the key source.

    Raises:
        ConfigurationError: a setting is missing, invalid, or contradicts another.
    """
    if isinstance(algorithms, str):
        algorithms = (algorithms,)
    algs = frozenset(algorithms)
    bad = algs - SUPPORTED_ALGORITHMS
    if not algs or bad:
        raise ConfigurationError(
            f"algorithms: expected a non-empty subset of {sorted(SUPPORTED_ALGORITHMS)}, "
            f"found {sorted(bad) or 'none'} (none and HMAC algorithms are never allowed)"
        )
    common = _common_settings(
        leeway=leeway,
        iat_nbf_leeway=iat_nbf_leeway,
        custom_check=custom_check,
        clock=clock,
        max_token_length=max_token_length,
        on_report=on_report,
    )
    if type(cache_size) is not int or cache_size < 0:
        raise ConfigurationError(
            f"cache_size: expected an int >= 0 (0 turns the cache off), found {cache_size!r}"
        )
    if custom_check_async is not None:
        import inspect

        if not inspect.iscoroutinefunction(custom_check_async):
            raise ConfigurationError(
                "custom_check_async: expected an async def function (awaited by verify_async), "
                "found "
                + (
                    "a plain function: pass it as custom_check="
                    if callable(custom_check_async)
                    else type(custom_check_async).__name__
                )
            )
    if max_token_lifetime is not None and (
        isinstance(max_token_lifetime, bool)
        or not isinstance(max_token_lifetime, int | float)
        or not 0 < max_token_lifetime <= 10 * 365 * 86_400
    ):
        raise ConfigurationError(
            f"max_token_lifetime: expected seconds > 0 (at most ten years), "
            f"found {max_token_lifetime!r}"
        )
    return _Settings(
        keys=_key_source(jwks, jwks_cache, fetcher, session, common.on_report),
        algorithms=algs,
        leeway=common.leeway,
        iat_nbf_leeway=common.iat_nbf_leeway,
        clock=common.clock,
        custom_check=custom_check,
        custom_check_async=custom_check_async,
        include_claims=include_claims_in_errors,
        max_token_length=max_token_length,
        cache_size=cache_size,
        allow_http=allow_http,
        static_keys=jwks is not None,
        on_report=common.on_report,
        revocation=revocations_of(revocation),
        max_token_lifetime=None if max_token_lifetime is None else float(max_token_lifetime),
    )


def _key_source(
    jwks: Mapping[str, Any] | str | bytes | None,
    jwks_cache: JwksCache | None,
    fetcher: Fetcher | None,
    session: Any,
    on_report: _reports.Hook | None,
) -> KeySource:
    """Where the keys come from: at most one of the four ways may be given."""
    sources = sum(x is not None for x in (jwks, jwks_cache, fetcher)) + (
        session is not None and fetcher is None
    )
    if jwks is not None and sources > 1:
        raise ConfigurationError(
            "jwks: static keys never fetch, so jwks_cache/fetcher/session make no sense with it"
        )
    if fetcher is not None and jwks_cache is not None:
        raise ConfigurationError("fetcher: give it to the JwksCache you pass, not both")
    if session is not None and (fetcher is not None or jwks_cache is not None):
        raise ConfigurationError("session: give it to your fetcher or JwksCache instead")
    if jwks is not None:
        return StaticKeySource(jwks)
    if jwks_cache is not None:
        return jwks_cache
    if fetcher is not None or session is not None:
        # A caller-specific transport gets a cache of its own: sharing one
        # would let the first verifier's transport serve everyone.
        # It reports its fetches to this verifier's hook.
        return JwksCache(fetcher or RequestsFetcher(session), on_report=on_report)
    return DEFAULT_JWKS_CACHE


def _string_set(name: str, value: object, *, skip: str = "None") -> frozenset[str] | None:
    """Normalise a `str | Sequence[str] | None` setting, rejecting empty ones.

    An empty list would silently mean "nothing matches" (or, worse, in some
    libraries "anything matches"); it is almost always a configuration bug.
    `None` stays `None`: the check is skipped on purpose.  `skip` is how the
    error tells the caller to skip it (`ANY_CLIENT` for a Cognito `client_id`).
    """
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, Sequence | frozenset | set) or isinstance(items, bytes):
        raise ConfigurationError(
            f"{name}: expected a string or a list of strings, found {type(value).__name__}"
        )
    result = frozenset(items)
    if not result or not all(isinstance(v, str) and v for v in result):
        raise ConfigurationError(
            f"{name}: expected non-empty strings ({skip} to skip the check), found {value!r}"
        )
    return result
