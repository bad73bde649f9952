"""The Django REST framework integration, through DRF's APIClient and real signed tokens.

Django is configured here, in the test module, with the minimum DRF needs and no
database: the authentication class resolves users from claims alone.  This
module is its own ROOT_URLCONF.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from integration_support import (
    bearer,
    closed_port_uri,
    configure_django,
    printed_after_importing_cognito_jwt,
    tampered,
)

pytest.importorskip("django")
pytest.importorskip("rest_framework")

from django.conf import settings

if not settings.configured:  # by another test module, or a docs page
    configure_django(__name__)

from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import path
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from cognito_jwt import CognitoJwtVerifier, ConfigurationError
from cognito_jwt.integrations.drf import (
    CognitoJwtAuthentication,
    CognitoUser,
    HasCognitoGroup,
    HasScope,
    cognito_claims,
    get_verifier,
    require_groups,
    require_scopes,
)
from cognito_jwt.testing import FakeCognitoPool

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
POOL = FakeCognitoPool()


# -- the views under test -----------------------------------------------------
# Classes are set per view, not through REST_FRAMEWORK defaults: DRF reads its
# defaults when a view class is defined, and another module (a docs page, say)
# may have configured Django before this one was imported.


class CognitoView(APIView):
    authentication_classes = (CognitoJwtAuthentication,)


class MeView(CognitoView):
    permission_classes = (IsAuthenticated,)

    def get(self, request: Request) -> Response:
        user: object = request.user  # typed by django-stubs as a Django user
        assert isinstance(user, CognitoUser)
        return Response(
            {
                "claims": cognito_claims(request),
                "user": str(user),
                "pk": user.pk,
                "groups": sorted(user.cognito_groups),
                "scopes": sorted(user.scopes),
                "token_use": user.token_use,
            }
        )


class AdminView(CognitoView):
    permission_classes = (IsAuthenticated, require_groups("admin"))

    def get(self, request: Request) -> Response:
        return Response({"sub": cognito_claims(request)["sub"]})


class WriterView(CognitoView):
    permission_classes = (IsAuthenticated, require_scopes("orders/write", "orders/admin"))

    def get(self, request: Request) -> Response:
        return Response({"sub": cognito_claims(request)["sub"]})


class OpsAndAdminView(CognitoView):
    permission_classes = (require_groups("admin", "ops", require_all=True),)

    def get(self, request: Request) -> Response:
        return Response({"sub": cognito_claims(request)["sub"]})


class EitherView(CognitoView):
    """Group *or* scope: composable because these classes return False instead of raising."""

    permission_classes = (
        IsAuthenticated,
        require_groups("admin", raise_exception=False)
        | require_scopes("orders/admin", raise_exception=False),
    )

    def get(self, request: Request) -> Response:
        return Response({"sub": cognito_claims(request)["sub"]})


class NoGroupsConfigured(HasCognitoGroup):
    """A subclass that forgot ``required_groups``: must fail closed."""


class MisconfiguredView(CognitoView):
    permission_classes = (NoGroupsConfigured,)

    def get(self, request: Request) -> Response:  # pragma: no cover - never reached
        return Response({})


class PublicView(CognitoView):
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> Response:
        return Response({"authenticated": bool(request.user and request.user.is_authenticated)})


urlpatterns = [
    path("me", MeView.as_view()),
    path("admin", AdminView.as_view()),
    path("write", WriterView.as_view()),
    path("both", OpsAndAdminView.as_view()),
    path("either", EitherView.as_view()),
    path("misconfigured", MisconfiguredView.as_view()),
    path("public", PublicView.as_view()),
]


# -- helpers and fixtures -----------------------------------------------------


def make_verifier() -> CognitoJwtVerifier:
    """A factory referenced by dotted path from ``COGNITO_JWT["VERIFIER"]``."""
    return POOL.verifier(token_use=None)


class Member:
    """A project's own user type, as a USER_GETTER would return."""

    is_authenticated = True

    def __init__(self, sub: str) -> None:
        self.sub = sub


def user_getter(claims: dict[str, Any]) -> Member | None:
    return None if claims.get("cognito:username") == "mallory" else Member(claims["sub"])


@pytest.fixture(autouse=True)
def django_test_settings() -> Iterator[None]:
    """This module's URLs and host, whoever configured Django first."""
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        yield


@pytest.fixture
def pool() -> FakeCognitoPool:
    return POOL


@pytest.fixture
def client() -> Iterator[APIClient]:
    with override_settings(COGNITO_JWT={"VERIFIER": POOL.verifier(token_use=None)}):
        yield APIClient()


def pool_settings(**extra: Any) -> dict[str, Any]:
    return {
        "USER_POOL_ID": POOL.user_pool_id,
        "CLIENT_ID": POOL.client_id,
        "TOKEN_USE": None,
        "JWKS": POOL.jwks,
        **extra,
    }


# -- success ------------------------------------------------------------------


def test_valid_id_token(client: APIClient, pool: FakeCognitoPool) -> None:
    response = client.get("/me", headers=bearer(pool.id_token(groups=["admin"])))
    assert response.status_code == 200
    body = response.json()
    assert body["claims"]["token_use"] == "id"
    assert body["user"] == "alice"
    assert body["pk"] == body["claims"]["sub"]
    assert body["groups"] == ["admin"]
    assert body["token_use"] == "id"


def test_valid_access_token(client: APIClient, pool: FakeCognitoPool) -> None:
    """Access tokens are accepted too (older Django packages accept only ID tokens)."""
    response = client.get(
        "/me", headers=bearer(pool.access_token(scopes=["orders/read", "openid"]))
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_use"] == "access"
    assert body["user"] == "alice"
    assert body["scopes"] == ["openid", "orders/read"]


def test_requirements_met(client: APIClient, pool: FakeCognitoPool) -> None:
    assert client.get("/admin", headers=bearer(pool.id_token(groups=["admin"]))).status_code == 200
    token = pool.access_token(scopes=["orders/admin"])
    assert client.get("/write", headers=bearer(token)).status_code == 200
    token = pool.id_token(groups=["ops", "admin"])
    assert client.get("/both", headers=bearer(token)).status_code == 200


def test_public_view_with_and_without_token(client: APIClient, pool: FakeCognitoPool) -> None:
    assert client.get("/public").json() == {"authenticated": False}
    assert client.get("/public", headers=bearer(pool.id_token())).json() == {"authenticated": True}


# -- 401 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}],
    ids=["no-header", "other-scheme", "empty-bearer"],
)
def test_no_token_is_401_with_plain_challenge(client: APIClient, headers: dict[str, str]) -> None:
    response = client.get("/me", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_no_token_on_permission_only_view_is_401(client: APIClient) -> None:
    response = client.get("/both")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda pool: tampered(pool.id_token()), "invalid_signature"),
        (lambda pool: pool.id_token(now=int(time.time()) - 7200, expires_in=3600), "token_expired"),
        (lambda pool: FakeCognitoPool("us-east-1_Other").id_token(), None),
        (lambda pool: "garbage", None),
    ],
    ids=["tampered", "expired", "other-pool", "garbage"],
)
def test_bad_token_is_401_invalid_token(
    client: APIClient, pool: FakeCognitoPool, make_token: Any, reason: str | None
) -> None:
    token = make_token(pool)
    response = client.get("/me", headers=bearer(token))
    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"')
    body = response.json()
    assert body["error"] == "invalid_token"
    if reason is not None:
        assert body["reason"] == reason
        assert f'error_description="{reason}"' in challenge
    assert token not in response.content.decode()


def test_bad_token_is_rejected_even_on_public_view(
    client: APIClient, pool: FakeCognitoPool
) -> None:
    """A broken token is not silently downgraded to anonymous."""
    response = client.get("/public", headers=bearer(tampered(pool.id_token())))
    assert response.status_code == 401


def test_user_getter(pool: FakeCognitoPool) -> None:
    config = pool_settings(USER_GETTER=f"{__name__}.user_getter")
    with override_settings(COGNITO_JWT=config):
        client = APIClient()
        response = client.get("/public", headers=bearer(pool.id_token()))
        assert response.json() == {"authenticated": True}
        mallory: dict[str, Any] = {"cognito:username": "mallory"}
        unknown = client.get("/public", headers=bearer(pool.id_token(**mallory)))
        assert unknown.status_code == 401
        assert unknown.json() == {"error": "invalid_token", "reason": "unknown_user"}


# -- 403 ----------------------------------------------------------------------


def test_missing_group_is_403_insufficient_scope(client: APIClient, pool: FakeCognitoPool) -> None:
    response = client.get("/admin", headers=bearer(pool.id_token(groups=["users"])))
    assert response.status_code == 403
    assert response["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", error_description="missing_group"'
    )
    assert response.json() == {"error": "insufficient_scope", "reason": "missing_group"}


def test_missing_all_groups_is_403(client: APIClient, pool: FakeCognitoPool) -> None:
    assert client.get("/both", headers=bearer(pool.id_token(groups=["admin"]))).status_code == 403


def test_missing_scope_is_403_and_names_scopes(client: APIClient, pool: FakeCognitoPool) -> None:
    response = client.get("/write", headers=bearer(pool.access_token(scopes=["orders/read"])))
    assert response.status_code == 403
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="insufficient_scope"')
    assert 'scope="orders/write orders/admin"' in challenge
    assert response.json()["reason"] == "missing_scope"


def test_id_token_never_meets_a_scope_requirement(client: APIClient, pool: FakeCognitoPool) -> None:
    assert client.get("/write", headers=bearer(pool.id_token())).status_code == 403


def test_composed_permissions(client: APIClient, pool: FakeCognitoPool) -> None:
    assert client.get("/either", headers=bearer(pool.id_token(groups=["admin"]))).status_code == 200
    token = pool.access_token(scopes=["orders/admin"])
    assert client.get("/either", headers=bearer(token)).status_code == 200
    denied = client.get("/either", headers=bearer(pool.access_token()))
    assert denied.status_code == 403


def test_settings_wide_group_rule_is_403(pool: FakeCognitoPool) -> None:
    with override_settings(COGNITO_JWT=pool_settings(GROUPS=["staff"])):
        response = APIClient().get("/me", headers=bearer(pool.id_token()))
    assert response.status_code == 403
    assert response["WWW-Authenticate"].startswith('Bearer error="insufficient_scope"')


# -- 503 ----------------------------------------------------------------------


def test_keys_unavailable_is_503(pool: FakeCognitoPool) -> None:
    config = pool_settings(JWKS_URI=closed_port_uri(), ALLOW_HTTP=True)
    del config["JWKS"]
    token = pool.id_token()
    with override_settings(COGNITO_JWT=config):
        response = APIClient().get("/me", headers=bearer(token))
    assert response.status_code == 503
    assert "WWW-Authenticate" not in response
    body = response.json()
    assert body["error"] == "temporarily_unavailable"
    assert body["reason"].startswith("jwks_")
    assert token not in response.content.decode()


# -- settings -----------------------------------------------------------------


def test_verifier_built_from_settings_and_shared(pool: FakeCognitoPool) -> None:
    with override_settings(COGNITO_JWT=pool_settings(TOKEN_USE="access", REALM="orders")):
        first = get_verifier()
        assert get_verifier() is first
        client = APIClient()
        assert client.get("/me", headers=bearer(pool.access_token())).status_code == 200
        wrong_use = client.get("/me", headers=bearer(pool.id_token()))
        assert wrong_use.status_code == 401
        assert wrong_use.json()["reason"] == "wrong_token_use"
        assert wrong_use["WWW-Authenticate"].startswith(
            'Bearer realm="orders", error="invalid_token"'
        )
    with override_settings(COGNITO_JWT=pool_settings()):
        assert get_verifier() is not first


def test_verifier_from_dotted_factory(pool: FakeCognitoPool) -> None:
    with override_settings(COGNITO_JWT={"VERIFIER": f"{__name__}.make_verifier"}):
        assert APIClient().get("/me", headers=bearer(pool.id_token())).status_code == 200


def test_a_verifier_only_verify_async_can_run_is_improperly_configured() -> None:
    async def check(header: dict[str, object], claims: dict[str, object]) -> bool:
        return True

    verifier = POOL.verifier(token_use=None, custom_check_async=check)
    with (
        override_settings(COGNITO_JWT={"VERIFIER": verifier}),
        pytest.raises(ImproperlyConfigured, match="requires verify_async"),
    ):
        get_verifier()


@pytest.mark.parametrize("missing", ["USER_POOL_ID", "CLIENT_ID", "TOKEN_USE"])
def test_missing_setting_is_improperly_configured(missing: str) -> None:
    config = pool_settings()
    del config[missing]
    with override_settings(COGNITO_JWT=config), pytest.raises(ImproperlyConfigured, match=missing):
        get_verifier()


def test_setting_must_be_a_dict() -> None:
    with override_settings(COGNITO_JWT="nope"), pytest.raises(ImproperlyConfigured):
        get_verifier()


def test_invalid_verifier_options_are_improperly_configured() -> None:
    with (
        override_settings(COGNITO_JWT=pool_settings(USER_POOL_ID="not a pool id")),
        pytest.raises(ImproperlyConfigured),
    ):
        get_verifier()


def test_permission_without_groups_fails_closed(
    client: APIClient, pool: FakeCognitoPool, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.get("/misconfigured", headers=bearer(pool.id_token(groups=["admin"])))
    assert response.status_code == 403
    assert "requires nothing, so it denies every request" in caplog.text
    assert client.get("/misconfigured").status_code == 401


def test_factories_reject_empty_values_and_deny_when_given_none() -> None:
    with pytest.raises(ConfigurationError):
        require_scopes("")
    with pytest.raises(ConfigurationError):
        require_groups("admin", " ")
    # Called with nothing, as DRF calls a factory listed uncalled: the class
    # that denies every request (the slips table covers it end to end).
    assert type(require_groups()) is HasCognitoGroup
    assert type(require_scopes()) is HasScope


def test_cognito_user_interface(pool: FakeCognitoPool) -> None:
    claims = pool.verifier(token_use=None).verify(pool.access_token(groups=["admin"]))
    user = CognitoUser(claims)
    assert user.is_authenticated
    assert not user.is_anonymous
    assert user.get_username() == "alice" == str(user)
    assert user.id == user.pk == claims["sub"]
    assert user.cognito_groups == frozenset({"admin"})
    assert not user.has_perm("auth.delete_user")
    assert user == CognitoUser(dict(claims))
    assert len({user, CognitoUser(dict(claims))}) == 1


def test_importing_cognito_jwt_does_not_import_django() -> None:
    expression = "'django' in sys.modules or 'rest_framework' in sys.modules"
    assert printed_after_importing_cognito_jwt(expression) == "False"


# -- the example app ----------------------------------------------------------


def test_example_app(pool: FakeCognitoPool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import drf_app

    verifier = pool.verifier(token_use=None)
    with override_settings(ROOT_URLCONF=drf_app.__name__, COGNITO_JWT={"VERIFIER": verifier}):
        client = APIClient()
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/me").status_code == 401

        me = client.get("/me", headers=bearer(pool.access_token(groups=["admin"])))
        assert me.status_code == 200
        assert me.json()["username"] == "alice"
        assert me.json()["token_use"] == "access"
        assert me.json()["groups"] == ["admin"]

        assert (
            client.get("/admin/stats", headers=bearer(pool.id_token(groups=["admin"]))).status_code
            == 200
        )
        assert client.get("/admin/stats", headers=bearer(pool.id_token())).status_code == 403

        reader = bearer(pool.access_token(scopes=["orders/read"]))
        assert client.get("/orders", headers=reader).status_code == 200
        assert client.get("/orders", headers=bearer(pool.access_token())).status_code == 403


def test_example_settings_from_environment(
    pool: FakeCognitoPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import drf_app

    monkeypatch.setenv("COGNITO_USER_POOL_ID", pool.user_pool_id)
    monkeypatch.setenv("COGNITO_CLIENT_ID", pool.client_id)
    monkeypatch.delenv("COGNITO_JWKS_URI", raising=False)
    monkeypatch.setenv("COGNITO_TOKEN_USE", "any")
    assert drf_app.cognito_settings_from_env() == {
        "USER_POOL_ID": pool.user_pool_id,
        "CLIENT_ID": pool.client_id,
        "TOKEN_USE": None,
    }
