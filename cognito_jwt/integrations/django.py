"""Django without Django REST framework: a middleware and a view decorator.

Settings (``settings.py``), the same ``COGNITO_JWT`` setting the DRF
integration reads::

    COGNITO_JWT = {
        "USER_POOL_ID": "eu-west-1_AbCdEf123",
        "CLIENT_ID": "1example23456789",
        "TOKEN_USE": "access",  # "id", "access", or None for both
    }
    MIDDLEWARE = [
        ...,
        "cognito_jwt.integrations.django.CognitoJwtMiddleware",
    ]

Views::

    from cognito_jwt.integrations.django import require_auth

    @require_auth
    def me(request):
        return JsonResponse({"sub": request.cognito_claims["sub"]})

    @require_auth(groups="admin")
    def delete_order(request, order_id):
        ...

What Django's model decides here:

* The middleware verifies a bearer token when one is sent and puts the claims
  on ``request.cognito_claims`` (``None`` for an anonymous request).  A
  **bad** token is answered 401 with the challenge on every route, so a
  client with a broken token learns it.  It does **not** replace
  ``request.user``: that stays Django's (sessions, the admin).  With
  ``COGNITO_JWT["USER_GETTER"]`` (a callable or dotted path, as in the DRF
  integration) ``request.cognito_user`` is what it returns for the claims;
  returning ``None`` refuses the token (401, ``unknown_user``).
  ``COGNITO_JWT["REALM"]`` adds a ``realm`` to every challenge.
* ``@require_auth`` (bare, like ``@login_required``) or
  ``@require_auth(groups=..., scopes=...)`` protects a view; it verifies the
  token itself, so a view stays protected even if the middleware is missing.
* CSRF: a bearer token is not sent by a browser on its own, so a view that
  accepts bearer tokens only is CSRF-exempt, and API clients need no CSRF
  token.  Two kinds of credentials *are* ambient, and there the CSRF check
  stays: a view that also accepts Django's session (``allow_session=True``)
  is not exempt, and a token an ALB put in ``x-amzn-oidc-data`` or
  ``x-amzn-oidc-accesstoken`` (from its session cookie) is CSRF-checked on
  unsafe methods, exactly as Django's `CsrfViewMiddleware` would.

Every refusal is `cognito_jwt.http`'s answer, as a `JsonResponse`.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast, overload

try:
    from asgiref.sync import sync_to_async
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.signals import setting_changed
    from django.http import HttpRequest, HttpResponse, JsonResponse
    from django.middleware.csrf import CsrfViewMiddleware
    from django.utils.module_loading import import_string
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    if (exc.name or "").split(".")[0] not in ("django", "asgiref"):
        raise
    raise ImportError(
        'cognito_jwt.integrations.django needs Django: pip install "cognito-jwt[django]"'
    ) from exc

from cognito_jwt._verifier import refuse_async_only
from cognito_jwt.errors import ConfigurationError, InvalidTokenError
from cognito_jwt.http import (
    AUTHORIZATION,
    MISSING_TOKEN,
    Rejection,
    Requirement,
    authenticate,
    bearer_credentials,
    check_realm,
    rejection,
)
from cognito_jwt.integrations._common import verifier_from_settings, verifier_setting

__all__ = ["CognitoJwtMiddleware", "ambient_credentials", "get_verifier", "require_auth"]

SETTINGS_NAME = "COGNITO_JWT"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_View = TypeVar("_View", bound=Callable[..., Any])

# --------------------------------------------------------------------------
# Settings: one verifier per process
# --------------------------------------------------------------------------

_lock = threading.Lock()


@dataclass(frozen=True)
class _Settings:
    """What ``COGNITO_JWT`` configures, built once per process."""

    verifier: Any
    user_getter: Callable[[dict[str, Any]], Any] | None
    realm: str | None


_state: _Settings | None = None


def _config() -> Mapping[str, Any]:
    config = getattr(settings, SETTINGS_NAME, None)
    if not isinstance(config, Mapping):
        raise ImproperlyConfigured(
            f"settings.{SETTINGS_NAME} must be a dict (USER_POOL_ID, CLIENT_ID, TOKEN_USE, ...)"
        )
    return config


def _build(config: Mapping[str, Any]) -> _Settings:
    given = config.get("VERIFIER")
    if given is not None:
        where = f"settings.{SETTINGS_NAME}['VERIFIER']"
        try:  # the middleware and decorator verify synchronously
            verifier = verifier_setting(given, where, load=import_string)
            refuse_async_only(verifier, where)
        except ConfigurationError as error:
            raise ImproperlyConfigured(error.message) from error
    else:
        try:
            verifier = verifier_from_settings(config, prefix="", where=f"settings.{SETTINGS_NAME}")
        except ConfigurationError as error:
            raise ImproperlyConfigured(error.message) from error
    getter = config.get("USER_GETTER")
    if getter is not None:
        getter = import_string(getter) if isinstance(getter, str) else getter
        if not callable(getter):
            raise ImproperlyConfigured(f"{SETTINGS_NAME}['USER_GETTER'] must be callable")
    try:
        realm = check_realm(config.get("REALM"))
    except ConfigurationError as error:
        raise ImproperlyConfigured(f"{SETTINGS_NAME}['REALM']: {error.message}") from error
    return _Settings(verifier, getter, realm)


def _settings_state() -> _Settings:
    global _state  # noqa: PLW0603 - a deliberate per-process singleton (it owns the key cache)
    state = _state
    if state is not None:
        return state
    with _lock:
        if _state is None:
            _state = _build(_config())
        return _state


def get_verifier() -> Any:
    """The process-wide verifier configured by ``settings.COGNITO_JWT``.

    Built on first use and shared (it owns the JWKS cache); rebuilt when the
    setting changes (``override_settings`` in tests).

    Raises:
        ImproperlyConfigured: the setting is missing or invalid.
    """
    return _settings_state().verifier


def _reset(*, setting: str, **_: Any) -> None:
    global _state  # noqa: PLW0603
    if setting == SETTINGS_NAME:
        with _lock:
            _state = None


setting_changed.connect(_reset, dispatch_uid="cognito_jwt.integrations.django")


# --------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------


def _answer(refusal: Rejection) -> HttpResponse:
    response = JsonResponse(refusal.body, status=refusal.status_code)
    for name, value in refusal.headers.items():
        response[name] = value
    return response


def _verify(request: HttpRequest, need: Requirement | None = None) -> Rejection | None:
    """Verify the request's token against `need`: the refusal, or `None` with claims set."""
    state = _settings_state()
    getter = state.user_getter
    realm, method, path = state.realm, request.method, request.path
    try:
        claims = authenticate(
            state.verifier,
            request.headers,
            requirement=need,
            realm=realm,
            method=method,
            path=path,
        )
    except Rejection as refusal:
        return refusal
    user = getter(claims) if getter is not None else None
    if getter is not None and user is None:
        # As the DRF integration answers it: a genuine token nobody here knows.
        unknown = InvalidTokenError("no user for this token", reason="unknown_user")
        return rejection(unknown, realm=realm, method=method, path=path)
    request.cognito_claims = claims  # type: ignore[attr-defined]
    request.cognito_user = user  # type: ignore[attr-defined]
    return None


class CognitoJwtMiddleware:
    """Verify a bearer token when one is sent; refuse a bad one on every route.

    Sets ``request.cognito_claims`` (``None`` without a token) and
    ``request.cognito_user`` (``USER_GETTER``'s user, else ``None``); leaves
    ``request.user`` alone.  Routes that need a caller use `require_auth`.

    Raises:
        ImproperlyConfigured: at start-up, when ``COGNITO_JWT`` is missing or
            invalid.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        _settings_state()  # a misconfiguration fails the start-up, not the first request

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Anonymous without a token, refused with a bad one, claims set with a good one."""
        request.cognito_claims = None  # type: ignore[attr-defined]
        request.cognito_user = None  # type: ignore[attr-defined]
        refusal = _verify(request)
        if refusal is not None and refusal.reason != MISSING_TOKEN:
            return _answer(refusal)
        return self.get_response(request)


# --------------------------------------------------------------------------
# The view decorator
# --------------------------------------------------------------------------


@overload
def require_auth(view: _View, /) -> _View: ...


@overload
def require_auth(
    view: None = None,
    /,
    *,
    groups: str | Sequence[str] | None = None,
    scopes: str | Sequence[str] | None = None,
    require_all_groups: bool = False,
    require_all_scopes: bool = False,
    requirement: Requirement | None = None,
    allow_session: bool = False,
) -> Callable[[_View], _View]: ...


def require_auth(
    view: _View | None = None,
    /,
    *,
    groups: str | Sequence[str] | None = None,
    scopes: str | Sequence[str] | None = None,
    require_all_groups: bool = False,
    require_all_scopes: bool = False,
    requirement: Requirement | None = None,
    allow_session: bool = False,
) -> Any:
    """Protect a view: it runs only for a caller whose token meets the requirement.

    Bare (``@require_auth``, like ``@login_required``) or called
    (``@require_auth(groups="admin", scopes="orders/write")``): groups and
    scopes are any-one unless ``require_all_*``; ``requirement=`` takes one
    built with `cognito_jwt.http.require` / `any_of` instead.  The claims are
    on ``request.cognito_claims``.

    ``allow_session=True`` also lets in a request without a token whose
    Django session user is authenticated (``request.user``): such a view is
    **not** CSRF-exempt, since a browser sends the session cookie on its own;
    a bearer-only view is.

    Raises:
        ConfigurationError: a group or scope is empty; scopes demanded of
            an ID-token verifier; a requirement given with ``allow_session``
            (a session user has no groups or scopes);
            a string passed where the view belongs (``@require_auth("admin")``);
            a class-based view class decorated (decorate ``as_view()``).
        ImproperlyConfigured: ``settings.COGNITO_JWT`` is missing.
    """
    if view is not None and not callable(view):
        raise ConfigurationError(
            f"require_auth takes its requirements as keywords: "
            f"@require_auth(groups={view!r}), not @require_auth({view!r})"
        )
    if allow_session and (groups or scopes or requirement):
        raise ConfigurationError(
            "require_auth(allow_session=True) cannot also demand groups or scopes: "
            "a session user carries neither"
        )
    need = Requirement.of(
        requirement,
        groups=groups,
        scopes=scopes,
        require_all_groups=require_all_groups,
        require_all_scopes=require_all_scopes,
    )
    _config()
    _check_possible(need)

    def decorate(func: _View) -> _View:
        if isinstance(func, type):
            raise ConfigurationError(
                f"require_auth decorates a view function; for the class {func.__name__} "
                f"decorate its view: require_auth(...)({func.__name__}.as_view()), or "
                "method_decorator(require_auth, name='dispatch')"
            )

        def refusal(request: HttpRequest) -> HttpResponse | None:
            """The answer to a request the view must not see, or `None`."""
            if allow_session and _session_user(request):
                request.cognito_claims = getattr(request, "cognito_claims", None)  # type: ignore[attr-defined]
                return None
            refused = _verify(request, need)
            if refused is not None:
                return _answer(refused)
            return None if allow_session else _csrf_refusal(request)

        if inspect.iscoroutinefunction(func):
            # An async view: verification (which may fetch keys) runs in a
            # worker thread, as Django runs sync code for async views.
            @functools.wraps(func)
            async def protected_async(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                refused = await sync_to_async(refusal)(request)
                if refused is not None:
                    return refused
                return await func(request, *args, **kwargs)

            protected: Any = protected_async
        else:

            @functools.wraps(func)
            def protected_sync(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                refused = refusal(request)
                return refused if refused is not None else func(request, *args, **kwargs)

            protected = protected_sync
        if not allow_session:
            protected.csrf_exempt = True
        return cast(_View, protected)

    return decorate(view) if view is not None else decorate


def _check_possible(need: Requirement) -> None:
    """Refuse, when the view is defined, a requirement the configured verifier can never meet.

    The verifier is built from the settings when they are complete; when they
    are not yet (a test configuring them later), the check waits for the first
    request, where `cognito_jwt.http` makes it.
    """
    try:
        verifier = get_verifier()
    except ImproperlyConfigured:
        return
    need.check_possible(verifier)


def _session_user(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(getattr(user, "is_authenticated", False))


def ambient_credentials(request: HttpRequest, verifier: object) -> bool:
    """True when the request's token did not come from the client's own `Authorization`.

    A token in `Authorization` is put there by the client's code, so it
    proves the request is no cross-site forgery.  `x-amzn-oidc-data` and
    `x-amzn-oidc-accesstoken` are added by a load balancer from its session
    cookie, which a browser sends along with any page's form: such a request
    needs the CSRF check a session does.
    """
    headers = getattr(verifier, "token_headers", (AUTHORIZATION,))
    if AUTHORIZATION not in headers:  # an AlbJwtVerifier: x-amzn-oidc-data only
        return True
    return bearer_credentials(request.headers.get(AUTHORIZATION)) is None


def _csrf_refusal(request: HttpRequest) -> HttpResponse | None:
    """Django's CSRF refusal for an unsafe request on ambient credentials, else `None`."""
    if request.method in _SAFE_METHODS or not ambient_credentials(request, get_verifier()):
        return None
    check = CsrfViewMiddleware(lambda _: HttpResponse())
    check.process_request(request)
    return cast(HttpResponse | None, check.process_view(request, None, (), {}))  # type: ignore[arg-type]
