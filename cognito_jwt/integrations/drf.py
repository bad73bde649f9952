"""Django REST framework integration: an authentication class and permissions.

Settings (``settings.py``)::

    COGNITO_JWT = {
        "USER_POOL_ID": "eu-west-1_AbCdEf123",
        "CLIENT_ID": "1example23456789",
        "TOKEN_USE": None,  # "id", "access", or None to accept both
    }
    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "cognito_jwt.integrations.drf.CognitoJwtAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }

Views::

    from cognito_jwt.integrations.drf import require_groups, require_scopes

    class ReportView(APIView):
        permission_classes = [IsAuthenticated, require_groups("admin")]

        def get(self, request):
            return Response({"sub": request.auth["sub"]})

``request.auth`` is the verified claims dict; ``request.user`` is a
`CognitoUser` (no database needed) unless ``COGNITO_JWT["USER_GETTER"]``
maps claims to a user of your own.  Unlike some older packages, both ID and
access tokens are accepted (``TOKEN_USE`` chooses).

Either of several requirements is one permission:
``require(any_of(...))``, with `any_of` and `require` from `cognito_jwt.http`.

Status mapping (`cognito_jwt.http`'s): no token is DRF's usual 401
``NotAuthenticated`` with a bare ``WWW-Authenticate: Bearer`` challenge; an
invalid token is 401 with ``error="invalid_token"``; a token header sent twice
is 400 ``invalid_request``; a missing group or scope is 403 with
``error="insufficient_scope"``; unavailable keys are 503 (`ServiceUnavailable`).
``CognitoJwtAuthentication`` must come first in the authentication classes:
DRF takes the 401 challenge from the first one, and answers 403 instead of 401
if that one (e.g. ``SessionAuthentication``) has none.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, overload

try:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.signals import setting_changed
    from django.utils.module_loading import import_string
    from rest_framework.authentication import BaseAuthentication, get_authorization_header
    from rest_framework.exceptions import (
        APIException,
        AuthenticationFailed,
        NotAuthenticated,
        PermissionDenied,
    )
    from rest_framework.permissions import BasePermission
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    if exc.name not in ("django", "rest_framework"):
        raise
    raise ImportError(
        "cognito_jwt.integrations.drf needs Django REST framework: "
        'pip install "cognito-jwt[django]"'
    ) from exc

if TYPE_CHECKING:
    # Annotations only: DRF loads authentication classes while importing
    # rest_framework.views, so importing the views module here would be circular.
    from rest_framework.request import Request
    from rest_framework.views import APIView

from cognito_jwt import http
from cognito_jwt._exports import rehome as _rehome
from cognito_jwt._verifier import refuse_async_only
from cognito_jwt.errors import CognitoJwtError, ConfigurationError, InvalidTokenError
from cognito_jwt.integrations._common import (
    SyncVerifier,
    claim_groups,
    claim_scopes,
    requirement_class,
    verifier_from_settings,
    verifier_setting,
)
from cognito_jwt.integrations._common import warm_up as _warm_up

__all__ = [
    "SETTINGS_NAME",
    "CognitoJwtAuthentication",
    "CognitoUser",
    "HasCognitoGroup",
    "HasRequirement",
    "HasScope",
    "InsufficientScope",
    "InvalidToken",
    "ServiceUnavailable",
    "cognito_claims",
    "get_verifier",
    "require",
    "require_groups",
    "require_scopes",
    "require_step_up",
    "warm_up",
]

logger = logging.getLogger("cognito_jwt.integrations")

#: Name of the Django setting (a dict) this module reads.
SETTINGS_NAME = "COGNITO_JWT"

#: Attribute on the DRF request where a 401's `Rejection` waits for
#: `CognitoJwtAuthentication.authenticate_header` (see there for why).
_REJECTION_ATTR = "_cognito_jwt_rejection"

# --------------------------------------------------------------------------
# Settings and the shared verifier
# --------------------------------------------------------------------------


def _config() -> Mapping[str, Any]:
    """The ``COGNITO_JWT`` settings dict, validated for shape only."""
    config = getattr(settings, SETTINGS_NAME, None)
    if not isinstance(config, Mapping):
        raise ImproperlyConfigured(
            f"settings.{SETTINGS_NAME} must be a dict (USER_POOL_ID, CLIENT_ID, TOKEN_USE, ...)"
        )
    return config


def _build_verifier(config: Mapping[str, Any]) -> SyncVerifier:
    """A verifier from ``COGNITO_JWT``: the ``VERIFIER`` given, or one built from keys."""
    given = config.get("VERIFIER")
    if given is not None:
        where = f"settings.{SETTINGS_NAME}['VERIFIER']"
        try:
            verifier = verifier_setting(given, where, load=import_string)
            refuse_async_only(verifier, where)
        except ConfigurationError as error:
            raise ImproperlyConfigured(error.message) from error
        result: SyncVerifier = verifier
        return result

    try:
        return verifier_from_settings(config, prefix="", where=f"settings.{SETTINGS_NAME}")
    except ConfigurationError as error:
        raise ImproperlyConfigured(error.message) from error


_lock = threading.Lock()
_verifier: SyncVerifier | None = None
#: `USER_GETTER`, resolved with the verifier (rather than read from the
#: settings on every request) and dropped with it when the setting changes.
_getter: Callable[[dict[str, Any]], Any] | None = None

#: The requirement every authenticated request meets (well-formed claims only).
_ANY_CALLER = http.require()


def get_verifier() -> SyncVerifier:
    """The process-wide verifier configured by ``settings.COGNITO_JWT``.

    Built on first use and then shared, because the verifier owns the JWKS
    cache: one per process means one key fetch, not one per request.  It is
    rebuilt when the setting changes (``override_settings`` in tests).

    Raises:
        ImproperlyConfigured: the setting is missing or invalid.
    """
    global _verifier, _getter  # noqa: PLW0603 - a deliberate per-process singleton
    verifier = _verifier
    if verifier is not None:  # every request but the first: no lock needed to read
        return verifier
    with _lock:
        if _verifier is None:
            config = _config()
            built = _build_verifier(config)
            _getter = _resolve_user_getter(config)
            _verifier = built
        return _verifier


def _reset_verifier(*, setting: str, **_: Any) -> None:
    """Drop the cached verifier when ``COGNITO_JWT`` is overridden or restored."""
    global _verifier, _getter  # noqa: PLW0603
    if setting == SETTINGS_NAME:
        with _lock:
            _verifier = None
            _getter = None


def warm_up() -> bool:
    """Build the process's verifier and load its signing keys now.

    Django has no start-up hook of its own for a library that is not an
    installed app, so call this from your `AppConfig.ready()` (or at the end
    of `wsgi.py`): the first request then neither builds the verifier nor
    waits for the JWKS fetch.  It fails soft: with the JWKS endpoint down the
    service still starts, a WARNING is logged, and requests fetch the keys
    once the endpoint answers (503 until then).

    Returns:
        `True` if the keys are loaded, `False` if loading failed.

    Raises:
        ImproperlyConfigured: the setting is missing or invalid (that one is
            not soft: a service that cannot verify anything must not start).
    """
    return _warm_up(get_verifier())


setting_changed.connect(_reset_verifier, dispatch_uid="cognito_jwt.integrations.drf")


def _realm() -> str | None:
    """The optional challenge realm, ``COGNITO_JWT["REALM"]`` (none by default)."""
    config = getattr(settings, SETTINGS_NAME, None)
    realm = config.get("REALM") if isinstance(config, Mapping) else None
    return http.check_realm(realm)


def _resolve_user_getter(config: Mapping[str, Any]) -> Callable[[dict[str, Any]], Any] | None:
    """The configured ``USER_GETTER`` (callable or dotted path), if any."""
    getter = config.get("USER_GETTER")
    if getter is None:
        return None
    resolved = import_string(getter) if isinstance(getter, str) else getter
    if not callable(resolved):
        raise ImproperlyConfigured(f"{SETTINGS_NAME}['USER_GETTER'] must be callable")
    return resolved  # type: ignore[no-any-return]


# --------------------------------------------------------------------------
# Exceptions: DRF APIExceptions carrying RFC 6750 challenges
# --------------------------------------------------------------------------


class InvalidToken(AuthenticationFailed):
    """401: the bearer token was rejected; DRF adds the challenge header."""

    default_code = "invalid_token"


class InsufficientScope(PermissionDenied):
    """403 with ``WWW-Authenticate: Bearer error="insufficient_scope"``.

    DRF only attaches challenges to 401s by itself, so this exception carries
    its own ``auth_header``, which DRF's default exception handler emits.
    """

    default_code = "insufficient_scope"

    def __init__(self, detail: dict[str, str], auth_header: str | None) -> None:
        super().__init__(detail)
        self.auth_header = auth_header


class ServiceUnavailable(APIException):
    """503: the signing keys could not be obtained, so no token can be checked now."""

    status_code = 503
    default_detail = "Token verification is temporarily unavailable."
    default_code = "temporarily_unavailable"


def _raise_rejection(request: Request, rejected: http.Rejection) -> NoReturn:
    """Raise the DRF exception carrying `cognito_jwt.http`'s answer."""
    challenge = rejected.headers.get("WWW-Authenticate")
    if rejected.status_code == 401:
        # DRF replaces any auth_header on 401s with authenticate_header(request),
        # so the answer is left on the request for that method to find.
        setattr(request, _REJECTION_ATTR, rejected)
        raise InvalidToken(rejected.body) from rejected
    if rejected.status_code == 403:
        raise InsufficientScope(rejected.body, challenge) from rejected
    if rejected.status_code == 503:
        raise ServiceUnavailable(rejected.body) from rejected
    failure = APIException(rejected.body)
    failure.status_code = rejected.status_code
    failure.auth_header = challenge  # type: ignore[attr-defined]  # DRF's handler emits it
    raise failure from rejected


# --------------------------------------------------------------------------
# The user and the authentication class
# --------------------------------------------------------------------------


class CognitoUser:
    """A database-free user built from verified claims.

    Carries just enough of Django's user interface for DRF (authentication
    state, ``pk`` for throttling, ``username`` for logs) while making plain that
    Django's own permission system does not apply: Cognito groups and scopes
    are checked with `HasCognitoGroup` / `HasScope`.

    Attributes:
        claims: the verified token claims.
    """

    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False
    is_active: ClassVar[bool] = True
    is_staff: ClassVar[bool] = False
    is_superuser: ClassVar[bool] = False

    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims

    @property
    def pk(self) -> str:
        """The Cognito ``sub``: the user's stable, unique id."""
        return str(self.claims.get("sub", ""))

    id = pk

    @property
    def username(self) -> str:
        """``cognito:username`` (ID tokens) or ``username`` (access tokens)."""
        name = self.claims.get("cognito:username") or self.claims.get("username")
        return str(name) if name else self.pk

    @property
    def token_use(self) -> str | None:
        """``"id"`` or ``"access"``: which kind of token authenticated the request."""
        use = self.claims.get("token_use")
        return use if isinstance(use, str) else None

    @property
    def cognito_groups(self) -> frozenset[str]:
        """The user's Cognito groups (named so as not to shadow Django's ``groups``)."""
        return claim_groups(self.claims)

    @property
    def scopes(self) -> frozenset[str]:
        """OAuth scopes of an access token (empty for ID tokens)."""
        return claim_scopes(self.claims)

    def get_username(self) -> str:
        """Django's accessor for the user name."""
        return self.username

    def has_perm(self, perm: str, obj: object = None) -> bool:  # noqa: ARG002
        """Always False: Django model permissions do not apply to token users."""
        return False

    def has_perms(self, perm_list: Sequence[str], obj: object = None) -> bool:  # noqa: ARG002
        """Always False (see `has_perm`)."""
        return False

    def has_module_perms(self, app_label: str) -> bool:  # noqa: ARG002
        """Always False (see `has_perm`)."""
        return False

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return f"CognitoUser(sub={self.pk!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CognitoUser) and other.pk == self.pk

    def __hash__(self) -> int:
        return hash(self.pk)


def _header_reader(request: Request) -> Callable[[str], str | None]:
    """Read one request header by name, as `request_token` asks for it."""

    def read(name: str) -> str | None:
        if name == "Authorization":
            # The header arrives as bytes (ISO-8859-1 by HTTP); latin-1 never fails
            # to decode, and a non-ASCII token then fails verification as malformed.
            return get_authorization_header(request).decode("latin-1")
        value = request.headers.get(name)
        return value if isinstance(value, str) else None

    return read


class CognitoJwtAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Bearer <Cognito JWT>`` requests.

    Returns ``(user, claims)``: ``request.user`` is a `CognitoUser`
    (or what ``COGNITO_JWT["USER_GETTER"]`` returns for the claims) and
    ``request.auth`` the verified claims.  A request without a bearer token is
    left to the next authentication class (and, failing all, to DRF's 401);
    a present but invalid token is rejected outright, never skipped, so a
    broken client learns why.
    """

    def __call__(self) -> CognitoJwtAuthentication:
        """Itself: an instance listed where DRF expects the class still works."""
        return self

    def authenticate(self, request: Request) -> tuple[Any, dict[str, Any]] | None:
        """Verify the bearer token, if any; see the class docstring."""
        verifier = get_verifier()
        realm = _realm()
        method, path = request.method, request.path
        try:
            token = http.request_token(
                verifier, _header_reader(request), realm=realm, method=method, path=path
            )
            if token is None:
                return None
            claims = verifier.verify(token)
        except http.Rejection as rejected:
            _raise_rejection(request, rejected)
        except CognitoJwtError as error:
            _raise_rejection(request, http.rejection(error, realm=realm, method=method, path=path))
        try:
            # A malformed cognito:groups is a 401 on every route.
            http.authorize(claims, _ANY_CALLER, realm=realm, method=method, path=path)
        except http.Rejection as rejected:
            _raise_rejection(request, rejected)
        getter = _getter
        user = getter(claims) if getter is not None else CognitoUser(claims)
        if user is None:
            unknown = InvalidTokenError("no user for this token", reason="unknown_user")
            _raise_rejection(
                request, http.rejection(unknown, realm=realm, method=method, path=path)
            )
        return user, claims

    def authenticate_header(self, request: Request) -> str:
        """The ``WWW-Authenticate`` value DRF puts on this request's 401.

        DRF asks for it after the fact, with only the request in hand, so the
        answer that caused the 401 (if any) is read back from the request: its
        challenge for a rejected token, a bare one when no token was sent.
        """
        rejected = getattr(request, _REJECTION_ATTR, None)
        if isinstance(rejected, http.Rejection) and rejected.status_code == 401:
            challenge = rejected.headers.get("WWW-Authenticate")
            if challenge:
                return challenge
        realm = _realm()
        return f'Bearer realm="{realm}"' if realm is not None else "Bearer"


# --------------------------------------------------------------------------
# Permissions
# --------------------------------------------------------------------------


def _claims_or_none(request: Request) -> dict[str, Any] | None:
    """The claims if this request was authenticated by `CognitoJwtAuthentication`."""
    if not isinstance(request.successful_authenticator, CognitoJwtAuthentication):
        return None
    claims = request.auth
    return claims if isinstance(claims, dict) else None


def cognito_claims(request: Request) -> dict[str, Any]:
    """The verified claims of ``request``, typed (``request.auth`` is ``Any``).

    Raises:
        NotAuthenticated: the request was not authenticated by
            `CognitoJwtAuthentication` (DRF answers 401), so a view that
            forgot its permission classes still cannot run without a token.
    """
    claims = _claims_or_none(request)
    if claims is None:
        raise NotAuthenticated
    return claims


class _CognitoPermission(BasePermission):
    """Shared logic of `HasCognitoGroup`, `HasScope` and `require`'s classes.

    On denial it raises `InsufficientScope` (403 + RFC 6750 challenge)
    by default.  DRF's ``|`` operator stops at a raised exception, so for
    alternatives prefer one `require(any_of(...))`; with ``|``, set
    ``raise_exception = False``: the class then returns ``False`` and DRF
    answers a plain 403.

    A permission that requires nothing (the base class listed as it is, a
    factory listed uncalled) denies every request and logs why: an empty
    requirement is a wiring slip, never "allow everyone".
    """

    raise_exception: ClassVar[bool] = True

    def __call__(self) -> _CognitoPermission:
        """Itself: an instance listed where DRF expects the class still works."""
        return self

    def requirement(self) -> http.Requirement | None:
        """The requirement this permission enforces; `None` when it was wired wrongly."""
        raise NotImplementedError

    def has_permission(self, request: Request, view: APIView) -> bool:  # noqa: ARG002
        """True if the Cognito-authenticated caller meets the requirement.

        A request not authenticated by Cognito is simply not permitted, which
        DRF turns into 401 when no authenticator succeeded.
        """
        claims = _claims_or_none(request)
        requirement = self.requirement()
        if requirement is None:
            return False
        if claims is None:
            return False
        try:
            http.authorize(
                claims,
                requirement,
                verifier=get_verifier(),
                realm=_realm(),
                method=request.method,
                path=request.path,
            )
        except http.Rejection as rejected:
            if self.raise_exception or rejected.status_code != 403:
                _raise_rejection(request, rejected)
            self.message = rejected.reason
            return False
        return True


def _unwired(what: str, fix: str) -> None:
    """Log the wiring slip behind a permission that denies every request."""
    logger.error("%s requires nothing, so it denies every request: %s", what, fix)


class HasCognitoGroup(_CognitoPermission):
    """Permit callers in any one (or all) of ``required_groups``.

    Subclass and set ``required_groups`` (and optionally ``require_all``), or
    use the `require_groups` factory.  An empty ``required_groups`` denies
    every request (and logs why), never "allow everyone".
    """

    required_groups: ClassVar[tuple[str, ...]] = ()
    require_all: ClassVar[bool] = False

    def requirement(self) -> http.Requirement | None:
        """The group requirement; `None` (deny) for an empty group list."""
        if not self.required_groups:
            _unwired(
                type(self).__name__,
                "set required_groups, or list require_groups('admin') (called, with groups)",
            )
            return None
        return http.require(groups=self.required_groups, require_all_groups=self.require_all)


class HasScope(_CognitoPermission):
    """Permit access tokens holding any one (or all) of ``required_scopes``.

    ID tokens carry no scopes and are always denied by this permission.
    Subclass and set ``required_scopes``, or use `require_scopes`.  An empty
    ``required_scopes`` denies every request (and logs why).
    """

    required_scopes: ClassVar[tuple[str, ...]] = ()
    require_all: ClassVar[bool] = False

    def requirement(self) -> http.Requirement | None:
        """The scope requirement; `None` (deny) for an empty scope list."""
        if not self.required_scopes:
            _unwired(
                type(self).__name__,
                "set required_scopes, or list require_scopes('orders/read') (called, with scopes)",
            )
            return None
        return http.require(scopes=self.required_scopes, require_all_scopes=self.require_all)


class HasRequirement(_CognitoPermission):
    """Permit callers meeting ``required``, a `cognito_jwt.http` requirement.

    Made by `require`, which is how DRF says "an admin user **or** an M2M
    client holding `news/delete`" in one permission (``|`` of two raising
    permissions stops at the first).
    """

    required: ClassVar[http.Requirement | None] = None

    def requirement(self) -> http.Requirement | None:
        """The requirement; `None` (deny) when none was given."""
        if self.required is None:
            _unwired(type(self).__name__, "list require(any_of(...)) (called, with a requirement)")
        return self.required


@overload
def require() -> HasRequirement: ...


@overload
def require(requirement: http.Requirement) -> type[HasRequirement]: ...


def require(requirement: http.Requirement | None = None) -> type[HasRequirement] | HasRequirement:
    """A permission class enforcing `requirement` (`cognito_jwt.http.require` / `any_of`).

    Example::

        from cognito_jwt.http import any_of, require as requirement
        admin_or_m2m = any_of(requirement(groups="admin"), requirement(scopes="news/delete"))
        permission_classes = [IsAuthenticated, require(admin_or_m2m)]

    Called with nothing (as DRF calls the factory when it is listed uncalled),
    it returns a permission that denies every request and logs why.

    Raises:
        ConfigurationError: `requirement` is not a `Requirement`.
    """
    if requirement is None:
        return HasRequirement()
    if not isinstance(requirement, http.Requirement):
        raise ConfigurationError(
            f"require: expected a Requirement (cognito_jwt.http.require / any_of), "
            f"found {requirement!r}"
        )
    name = f"HasRequirement[{requirement!r}]"
    attributes = {"required": requirement, "__qualname__": name, "__module__": __name__}
    metaclass: Any = type(HasRequirement)  # DRF's, which gives permissions `&` and `|`
    made: type[HasRequirement] = metaclass(name, (HasRequirement,), attributes)
    return made


@overload
def require_step_up() -> HasRequirement: ...


@overload
def require_step_up(
    *, acr_values: str | Sequence[str], max_auth_age: int | None = ...
) -> type[HasRequirement]: ...


@overload
def require_step_up(
    *, min_acr_level: int | str, max_auth_age: int | None = ...
) -> type[HasRequirement]: ...


@overload
def require_step_up(*, max_auth_age: int) -> type[HasRequirement]: ...


def require_step_up(
    *,
    acr_values: str | Sequence[str] | None = None,
    min_acr_level: int | str | None = None,
    max_auth_age: int | None = None,
) -> type[HasRequirement] | HasRequirement:
    """A permission class demanding a step-up: a sign-in strong and recent enough.

    Example: ``permission_classes = [IsAuthenticated, require_step_up(min_acr_level=2,
    max_auth_age=300)]``.  The options are `cognito_jwt.http.require`'s; a
    token that falls short gets 401 with the RFC 9470 challenge
    (``error="insufficient_user_authentication"``, ``acr_values``,
    ``max_age``).  Called with nothing (as DRF calls it when it is listed
    uncalled), it returns a permission that denies every request and logs why.

    Raises:
        ConfigurationError: a step-up option is invalid.
    """
    if acr_values is None and min_acr_level is None and max_auth_age is None:
        return HasRequirement()
    return require(
        http.require(acr_values=acr_values, min_acr_level=min_acr_level, max_auth_age=max_auth_age)
    )


@overload
def require_groups(*, require_all: bool = ..., raise_exception: bool = ...) -> HasCognitoGroup: ...


@overload
def require_groups(
    group: str, /, *groups: str, require_all: bool = ..., raise_exception: bool = ...
) -> type[HasCognitoGroup]: ...


def require_groups(
    *groups: str, require_all: bool = False, raise_exception: bool = True
) -> type[HasCognitoGroup] | HasCognitoGroup:
    """A `HasCognitoGroup` subclass for ``groups``, for ``permission_classes``.

    Example: ``permission_classes = [IsAuthenticated, require_groups("admin")]``.
    Called with no group (as DRF calls `require_groups` when it is listed
    uncalled), it returns a permission that denies every request and logs why.

    Raises:
        ConfigurationError: an empty group was given.
    """
    if not groups:
        return HasCognitoGroup()
    return requirement_class(
        HasCognitoGroup,
        kind="groups",
        values=groups,
        require_all=require_all,
        raise_exception=raise_exception,
    )


@overload
def require_scopes(*, require_all: bool = ..., raise_exception: bool = ...) -> HasScope: ...


@overload
def require_scopes(
    scope: str, /, *scopes: str, require_all: bool = ..., raise_exception: bool = ...
) -> type[HasScope]: ...


def require_scopes(
    *scopes: str, require_all: bool = False, raise_exception: bool = True
) -> type[HasScope] | HasScope:
    """A `HasScope` subclass for ``scopes``, for ``permission_classes``.

    Example: ``permission_classes = [IsAuthenticated, require_scopes("orders/read")]``.
    Called with no scope (as DRF calls `require_scopes` when it is listed
    uncalled), it returns a permission that denies every request and logs why.

    Raises:
        ConfigurationError: an empty scope was given.
    """
    if not scopes:
        return HasScope()
    return requirement_class(
        HasScope,
        kind="scopes",
        values=scopes,
        require_all=require_all,
        raise_exception=raise_exception,
    )


_rehome(__name__, globals(), __all__)
