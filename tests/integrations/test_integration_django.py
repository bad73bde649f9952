"""Django without DRF: `CognitoJwtMiddleware` and `require_auth`, through Django's test client.

The conformance rows answer as `cognito_jwt.http` does; each way of wiring it
wrong is a row refused at definition or answered 401/403; CSRF is exempted
for bearer-only views and kept for ambient credentials (sessions, an ALB's
cookie).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from adapter_cases import POOL, ROWS, VERIFIERS, Row, answer, expected, ids
from integration_support import configure_django

pytest.importorskip("django")

from django.conf import settings

if not settings.configured:  # by another test module, or a docs page
    configure_django(__name__)

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client, override_settings
from django.urls import path
from django.utils.decorators import method_decorator
from django.views import View

from cognito_jwt import ConfigurationError
from cognito_jwt.integrations.django import CognitoJwtMiddleware, require_auth

MIDDLEWARE = "cognito_jwt.integrations.django.CognitoJwtMiddleware"
CSRF = "django.middleware.csrf.CsrfViewMiddleware"
SESSION_USER = f"{__name__}.fake_session_user"


def fake_session_user(get_response: Callable[[HttpRequest], HttpResponse]) -> Any:
    """Stands in for Django's session and auth middlewares (no database here)."""

    class User:
        def __init__(self, signed_in: bool) -> None:
            self.is_authenticated = signed_in

    def middleware(request: HttpRequest) -> HttpResponse:
        request.user = User(request.COOKIES.get("sessionid") == "alice")  # type: ignore[assignment]
        return get_response(request)

    return middleware


SEEN: dict[str, Any] = {}


def spy(get_response: Callable[[HttpRequest], HttpResponse]) -> Any:
    """Records what the view saw of `request.user` and the claims."""

    def middleware(request: HttpRequest) -> HttpResponse:
        SEEN.update(user=request.user, claims=request.cognito_claims)  # type: ignore[attr-defined]
        return get_response(request)

    return middleware


def _claims(request: HttpRequest) -> dict[str, Any]:
    claims = request.cognito_claims  # type: ignore[attr-defined]
    return {"sub": claims["sub"] if claims else None}


@require_auth
def me(request: HttpRequest) -> HttpResponse:
    return JsonResponse(_claims(request))


@require_auth(groups="admin")
def admin(request: HttpRequest) -> HttpResponse:
    return JsonResponse(_claims(request))


@require_auth(scopes="orders/read")
def orders(request: HttpRequest) -> HttpResponse:
    return JsonResponse(_claims(request))


def public(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        {
            "claims": getattr(request, "cognito_claims", "unset") is not None,
            "user": getattr(request, "cognito_user", None) is not None,
        }
    )


@require_auth(allow_session=True)
def session_or_bearer(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


@method_decorator(require_auth(groups="admin"), name="dispatch")
class AdminView(View):
    def post(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse(_claims(request))


urlpatterns = [
    path("me", me),
    path("admin", admin),
    path("orders", orders),
    path("public", public),
    path("session", session_or_bearer),
    path("admin-view", AdminView.as_view()),
    path("admin-view-bare", method_decorator(require_auth, name="dispatch")(View).as_view()),
]


@pytest.fixture(autouse=True)
def django_app() -> Iterator[None]:
    with override_settings(
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[SESSION_USER, CSRF, MIDDLEWARE],
        COGNITO_JWT={"VERIFIER": VERIFIERS["id"]},
        ALLOWED_HOSTS=["testserver"],
    ):
        yield


def with_verifier(kind: str) -> Any:
    return override_settings(COGNITO_JWT={"VERIFIER": VERIFIERS[kind]})


def as_wsgi(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The headers as a WSGI server hands them to Django: repeated ones joined by ", "."""
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_answers_as_the_http_answer_does(row: Row) -> None:
    headers = as_wsgi(row.headers)
    with with_verifier(row.verifier):
        response = Client().get(row.route, headers=headers)
    body = json.loads(response.content)
    got = answer(response.status_code, response.headers.get("WWW-Authenticate"), body)
    assert got == expected(Row(row.name, tuple(headers.items()), row.verifier, row.route))
    if response.status_code != 200:
        assert set(body) == {"error", "reason"}


# ------------------------------------------------------------------ behaviour


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_middleware_leaves_anonymous_requests_to_public_views() -> None:
    response = Client().get("/public")
    assert response.json() == {"claims": False, "user": False}


def test_the_middleware_refuses_a_bad_token_on_a_public_view() -> None:
    response = Client().get("/public", headers=bearer(POOL.id_token(expires_in=-60)))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "reason": "token_expired"}


def test_the_middleware_sets_the_claims_and_leaves_request_user_alone() -> None:
    SEEN.clear()
    with override_settings(MIDDLEWARE=[SESSION_USER, MIDDLEWARE, f"{__name__}.spy"]):
        Client().get("/public", headers=bearer(POOL.id_token()))
    seen = SEEN
    assert seen["claims"]["token_use"] == "id"
    assert seen["user"].is_authenticated is False  # Django's user, not replaced


def test_user_getter_puts_a_user_on_the_request_and_none_refuses() -> None:
    users = {"alice": object()}

    def getter(claims: dict[str, Any]) -> object | None:
        return users.get(claims["cognito:username"])

    with override_settings(COGNITO_JWT={"VERIFIER": VERIFIERS["id"], "USER_GETTER": getter}):
        assert Client().get("/public", headers=bearer(POOL.id_token())).json()["user"] is True
        users.clear()
        response = Client().get("/me", headers=bearer(POOL.id_token()))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "reason": "unknown_user"}
    assert 'error_description="unknown_user"' in response.headers["WWW-Authenticate"]


def test_a_class_based_view_through_method_decorator() -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post("/admin-view").status_code == 401
    user = bearer(POOL.id_token(groups=["users"]))
    assert client.post("/admin-view", headers=user).status_code == 403
    response = client.post("/admin-view", headers=bearer(POOL.id_token(groups=["admin"])))
    assert response.status_code == 200


# ------------------------------------------------------------------ CSRF


def test_method_decorator_used_bare_protects_the_view() -> None:
    assert Client().get("/admin-view-bare").status_code == 401
    assert Client().get("/admin-view-bare", headers=bearer(POOL.id_token())).status_code == 405


def test_csrf_a_bearer_only_view_is_exempt() -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post("/me", headers=bearer(POOL.id_token())).status_code == 200


def test_csrf_a_view_that_also_accepts_the_session_is_not_exempt() -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "alice"
    assert client.get("/session").status_code == 200
    refused = client.post("/session")
    assert (refused.status_code, b"CSRF" in refused.content) == (403, True)
    # Not exempt for bearer callers either: the view is one view.
    client.cookies.clear()
    assert client.post("/session", headers=bearer(POOL.id_token())).status_code == 403
    assert Client().post("/session", headers=bearer(POOL.id_token())).status_code == 200


def test_csrf_an_alb_header_is_ambient_and_checked_on_unsafe_methods() -> None:
    from adapter_cases import ALB

    client = Client(enforce_csrf_checks=True)
    alb = {"x-amzn-oidc-data": ALB.token()}
    with with_verifier("alb"):
        assert client.get("/me", headers=alb).status_code == 200
        refused = client.post("/me", headers=alb)
        assert refused.status_code == 403
        assert b"CSRF" in refused.content
    forwarded = {"x-amzn-oidc-accesstoken": POOL.access_token()}
    with with_verifier("access"):
        assert client.post("/me", headers=forwarded).status_code == 403
        token = POOL.access_token()
        assert client.post("/me", headers=bearer(token)).status_code == 200


# ------------------------------------------------------------------ slips


def test_slip_the_decorator_bare_and_called_both_protect() -> None:
    @require_auth
    def bare(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    @require_auth()
    def called(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    from django.test import RequestFactory

    for view in (bare, called):
        assert view(RequestFactory().get("/")).status_code == 401
        request = RequestFactory().get("/", headers=bearer(POOL.id_token()))
        assert view(request).status_code == 200


def test_an_async_view_is_protected_and_awaited() -> None:
    import asyncio

    from django.test import AsyncRequestFactory

    @require_auth(groups="admin")
    async def report(request: HttpRequest) -> HttpResponse:
        return JsonResponse(_claims(request))

    factory = AsyncRequestFactory()
    assert asyncio.run(report(factory.get("/"))).status_code == 401
    member = factory.get("/", headers=bearer(POOL.id_token(groups=["users"])))
    assert asyncio.run(report(member)).status_code == 403
    admin = factory.get("/", headers=bearer(POOL.id_token(groups=["admin"])))
    assert asyncio.run(report(admin)).status_code == 200


def test_slip_the_middleware_forgotten_views_stay_protected() -> None:
    with override_settings(MIDDLEWARE=[]):
        assert Client().get("/me").status_code == 401
        assert Client().get("/admin", headers=bearer(POOL.id_token())).status_code == 403
        assert Client().get("/me", headers=bearer(POOL.id_token())).status_code == 200


def test_slip_a_group_passed_positionally_is_refused_at_definition() -> None:
    with pytest.raises(ConfigurationError, match="keywords"):
        require_auth("admin")  # type: ignore[call-overload]


def test_slip_a_view_class_decorated_is_refused_at_definition() -> None:
    with pytest.raises(ConfigurationError, match="as_view"):

        @require_auth
        class Orders(View):
            pass


@pytest.mark.parametrize("options", [{"groups": ""}, {"scopes": [" "]}], ids=str)
def test_slip_an_empty_group_or_scope_is_refused_at_definition(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="non-empty"):
        require_auth(**options)


def test_slip_a_requirement_with_allow_session_is_refused_at_definition() -> None:
    with pytest.raises(ConfigurationError, match="session user"):
        require_auth(groups="admin", allow_session=True)


def test_slip_a_missing_setting_is_refused_at_definition_and_start_up() -> None:
    with override_settings(COGNITO_JWT=None):
        with pytest.raises(ImproperlyConfigured, match="COGNITO_JWT"):
            require_auth(groups="admin")
        with pytest.raises(ImproperlyConfigured, match="COGNITO_JWT"):
            CognitoJwtMiddleware(lambda request: HttpResponse())
    with (
        override_settings(COGNITO_JWT={"USER_POOL_ID": "us-east-1_AbCdEf123"}),
        pytest.raises(ImproperlyConfigured, match="CLIENT_ID"),
    ):
        CognitoJwtMiddleware(lambda request: HttpResponse())


def test_slip_a_verifier_class_in_the_setting_is_refused() -> None:
    with (
        override_settings(COGNITO_JWT={"VERIFIER": type(VERIFIERS["id"])}),
        pytest.raises(ImproperlyConfigured, match="verify"),
    ):
        CognitoJwtMiddleware(lambda request: HttpResponse())


def test_slip_debug_off_a_bad_token_is_401_not_500() -> None:
    with override_settings(DEBUG=False):
        response = Client().get("/me", headers=bearer("not-a-jwt"))
    assert (response.status_code, response.json()["reason"]) == (401, "malformed_token")
