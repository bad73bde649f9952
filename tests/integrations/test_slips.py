"""Wiring slips, one row each: refused when the route or app is defined, or answered 401/403.

However a protection is wired (as the guide shows, or by a slip a new user
makes: a factory passed where its result belongs, a bare decorator, a class
where an instance belongs, scopes given through the framework's own
mechanism), a request without a valid token meeting the requirement never
reaches the handler: never 200, never 500 for a client's token.  Every row
sends real tokens from the test kit through the framework's own test client.
(The same adapters behind real servers are the conformance table's.)

No ``from __future__ import annotations``: FastAPI reads the routes'
signatures at runtime, and they use ``Depends`` on local names.
"""

from collections.abc import Callable
from types import SimpleNamespace
from typing import Annotated, Any

import pytest
from integration_support import bearer, configure_django

pytest.importorskip("fastapi")
pytest.importorskip("flask")
pytest.importorskip("rest_framework")

from django.conf import settings as django_settings

if not django_settings.configured:  # by another test module, or a docs page
    configure_django(__name__)

from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from fastapi import APIRouter, Depends, FastAPI, Security
from fastapi.exceptions import FastAPIError
from fastapi.testclient import TestClient
from flask import Blueprint, Flask
from flask.views import MethodView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from cognito_jwt import CognitoJwtVerifier, ConfigurationError
from cognito_jwt.http import any_of, require
from cognito_jwt.integrations import drf
from cognito_jwt.integrations.drf import get_verifier
from cognito_jwt.integrations.fastapi import CognitoAuth
from cognito_jwt.integrations.flask import CognitoJwt, require_auth
from cognito_jwt.testing import FakeCognitoPool

POOL = FakeCognitoPool()
SCOPE = "news/delete"
urlpatterns: list[Any] = []

#: What a slip may come to: refused at definition, or these statuses per request.
REFUSED = "refused when defined"


def tokens() -> dict[str, str | None]:
    """One request of each kind a slip must never let through (and one that may pass)."""
    return {
        "none": None,
        "garbage": "garbage",
        "reader": POOL.access_token(scopes=["news/read"]),
        "admin": POOL.access_token(groups=["admin"], scopes=["news/read"]),
        "m2m": POOL.access_token(sub=POOL.client_id, username=None, scopes=[SCOPE]),
        "id": POOL.id_token(groups=["admin"]),
    }


def headers(token: str | None) -> dict[str, str]:
    return {} if token is None else bearer(token)


# ------------------------------------------------------------------------------- FastAPI


def fastapi_status(dependency: Callable[[], Any]) -> dict[str, int] | str:
    """Each kind of request's status on a route built with `dependency()`, or REFUSED."""
    app = FastAPI()
    try:
        dep = dependency()

        @app.delete("/news")
        async def delete_news(claims: Annotated[Any, dep]) -> str:
            return "deleted"

    except (ConfigurationError, FastAPIError):
        return REFUSED
    client = TestClient(app, raise_server_exceptions=False)
    return {
        kind: client.delete("/news", headers=headers(t)).status_code for kind, t in tokens().items()
    }


AUTH = CognitoAuth(POOL.verifier(token_use="access"))
ID_AUTH = CognitoAuth(POOL.verifier(token_use="id"))

FASTAPI_SLIPS: list[tuple[str, Callable[[], Any], dict[str, int] | str]] = [
    ("Depends(auth.require) without the call", lambda: Depends(AUTH.require), REFUSED),
    ("Depends(auth.optional) without the call", lambda: Depends(AUTH.optional), REFUSED),
    ("Security(auth.require) without the call", lambda: Security(AUTH.require), REFUSED),
    ("Depends(CognitoAuth): the class, not an instance", lambda: Depends(CognitoAuth), REFUSED),
    (
        "CognitoAuth(CognitoJwtVerifier): a verifier class",
        lambda: Depends(CognitoAuth(CognitoJwtVerifier)),  # type: ignore[arg-type]
        REFUSED,
    ),
    (
        "require(scopes=...) of an ID-token verifier",
        lambda: Depends(ID_AUTH.require(scopes=SCOPE)),
        REFUSED,
    ),
    (
        "require(requirement, groups=...): both forms",
        lambda: Depends(AUTH.require(require(scopes=SCOPE), groups="admin")),
        REFUSED,
    ),
    (
        "Security(auth, scopes=[...]): FastAPI's scopes are enforced",
        lambda: Security(AUTH, scopes=[SCOPE]),
        {"none": 401, "garbage": 401, "reader": 403, "admin": 403, "m2m": 200, "id": 401},
    ),
    (
        "Security(auth.require(groups=...), scopes=[...]): both enforced",
        lambda: Security(AUTH.require(groups="admin"), scopes=[SCOPE]),
        {"none": 401, "garbage": 401, "reader": 403, "admin": 403, "m2m": 403, "id": 401},
    ),
    (
        "Security(auth, scopes=[...]) of an ID-token verifier: 403, never 500",
        lambda: Security(ID_AUTH, scopes=[SCOPE]),
        {"none": 401, "garbage": 401, "reader": 401, "admin": 401, "m2m": 401, "id": 403},
    ),
    (
        "require(groups=..., scopes=...) demands both",
        lambda: Depends(AUTH.require(groups="admin", scopes=SCOPE)),
        {"none": 401, "garbage": 401, "reader": 403, "admin": 403, "m2m": 403, "id": 401},
    ),
    (
        "an admin or an M2M client: require(any_of(...))",
        lambda: Depends(AUTH.require(any_of(require(groups="admin"), require(scopes=SCOPE)))),
        {"none": 401, "garbage": 401, "reader": 403, "admin": 200, "m2m": 200, "id": 401},
    ),
]


@pytest.mark.parametrize(
    ("dependency", "expected"),
    [(dependency, expected) for _, dependency, expected in FASTAPI_SLIPS],
    ids=[name for name, _, _ in FASTAPI_SLIPS],
)
def test_fastapi_slip(dependency: Callable[[], Any], expected: dict[str, int] | str) -> None:
    assert fastapi_status(dependency) == expected


def test_fastapi_refuses_a_factory_with_the_fix() -> None:
    app = FastAPI()
    with pytest.raises(ConfigurationError, match=r"auth.require is a factory.*Call it"):

        @app.get("/x")
        async def x(claims: Annotated[Any, Depends(AUTH.require)]) -> None: ...


def test_fastapi_router_dependencies_without_the_call_are_refused() -> None:
    router = APIRouter(dependencies=[Depends(AUTH.require)])
    with pytest.raises(ConfigurationError, match="is a factory"):

        @router.get("/x")
        async def x() -> None: ...


def test_fastapi_openapi_advertises_exactly_the_security_scopes() -> None:
    app = FastAPI()

    @app.delete("/news")
    async def delete_news(claims: Annotated[Any, Security(AUTH, scopes=[SCOPE])]) -> None: ...

    @app.get("/news")
    async def read_news(claims: Annotated[Any, Depends(AUTH)]) -> None: ...

    paths = TestClient(app).get("/openapi.json").json()["paths"]
    assert paths["/news"]["delete"]["security"] == [{"CognitoBearer": [SCOPE]}]
    assert paths["/news"]["get"]["security"] == [{"CognitoBearer": []}]


def test_fastapi_optional_under_security_demands_the_scopes_of_a_sent_token() -> None:
    app = FastAPI()

    @app.get("/news")
    async def news(claims: Annotated[Any, Security(AUTH.optional(), scopes=[SCOPE])]) -> bool:
        return claims is None

    client = TestClient(app)
    assert client.get("/news").json() is True  # anonymous: None
    assert client.get("/news", headers=bearer(tokens()["reader"] or "")).status_code == 403
    assert client.get("/news", headers=bearer(tokens()["m2m"] or "")).json() is False


# --------------------------------------------------------------------------------- Flask


def flask_status(build: Callable[[Flask], None]) -> dict[str, int] | str:
    """Each kind of request's status on `DELETE /news` of an app `build` wires, or REFUSED."""
    app = Flask(__name__)
    try:
        build(app)
    except ConfigurationError:
        return REFUSED
    client = app.test_client()
    return {
        kind: client.delete("/news", headers=headers(t)).status_code for kind, t in tokens().items()
    }


VERIFIER = POOL.verifier(token_use="access")
#: `require_auth` as a slip reaches it: with arguments its types refuse.
untyped_require_auth: Any = require_auth


def _bare(app: Flask) -> None:
    CognitoJwt(app, verifier=VERIFIER)

    @app.delete("/news")
    @require_auth
    def delete_news() -> str:
        return "deleted"


def _bare_extension_method(app: Flask) -> None:
    cognito = CognitoJwt(app, verifier=VERIFIER)

    @app.delete("/news")
    @cognito.require
    def delete_news() -> str:
        return "deleted"


def _factory_injection(app: Flask) -> None:
    cognito = CognitoJwt()
    cognito.init_app(app, verifier=VERIFIER)

    @app.delete("/news")
    @cognito.require(groups="admin")
    def delete_news() -> str:
        return "deleted"


def _string_where_the_verifier_belongs(app: Flask) -> None:
    @app.delete("/news")
    @untyped_require_auth("admin")  # type: ignore[untyped-decorator]
    def delete_news() -> str:
        return "deleted"


def _verifier_class(app: Flask) -> None:
    @app.delete("/news")
    @untyped_require_auth(CognitoJwtVerifier)  # type: ignore[untyped-decorator]
    def delete_news() -> str:
        return "deleted"


def _extension_given_a_class(app: Flask) -> None:
    CognitoJwt(app, verifier=CognitoJwtVerifier)  # type: ignore[arg-type]


def _init_app_given_a_class(app: Flask) -> None:
    CognitoJwt().init_app(app, verifier=CognitoJwtVerifier)  # type: ignore[arg-type]


def _scopes_of_id_tokens(app: Flask) -> None:
    @app.delete("/news")
    @require_auth(POOL.verifier(token_use="id"), scopes=SCOPE)
    def delete_news() -> str:
        return "deleted"


def _method_view_class(app: Flask) -> None:
    @require_auth(VERIFIER)
    class News(MethodView):
        def delete(self) -> str:
            return "deleted"


def _blueprint_recipe(app: Flask) -> None:
    news = Blueprint("news", __name__)

    @news.before_request
    @require_auth(VERIFIER, groups="admin")
    def protect() -> None:
        """Every route of the blueprint: admins only."""

    @news.delete("/news")
    def delete_news() -> str:
        return "deleted"

    app.register_blueprint(news)


def _decorators_in_the_wrong_order(app: Flask) -> None:
    CognitoJwt(app, verifier=VERIFIER)

    @require_auth(groups="admin")
    @app.delete("/news")
    def delete_news() -> str:
        return "deleted"


def _decorators_in_the_wrong_order_without_extension(app: Flask) -> None:
    @require_auth(VERIFIER, groups="admin")
    @app.delete("/news")
    def delete_news() -> str:
        return "deleted"


def _bare_decorator_in_the_wrong_order(app: Flask) -> None:
    CognitoJwt(app, verifier=VERIFIER)

    @require_auth
    @app.delete("/news")
    def delete_news() -> str:
        return "deleted"


def _decorators_in_the_wrong_order_on_a_blueprint(app: Flask) -> None:
    news = Blueprint("news", __name__)

    @require_auth(VERIFIER, groups="admin")
    @news.delete("/news")
    def delete_news() -> str:
        return "deleted"

    app.register_blueprint(news)


def _decorators_in_the_wrong_order_in_a_module(app: Flask) -> None:
    """The usual shape: app and routes at a module's top level (globals, not locals)."""
    source = (
        "@require_auth(VERIFIER, groups='admin')\n"
        "@app.delete('/news')\n"
        "def delete_news():\n"
        "    return 'deleted'\n"
    )
    module_globals = {"app": app, "require_auth": require_auth, "VERIFIER": VERIFIER}
    exec(compile(source, "<a user's module>", "exec"), module_globals)


def _wrapped_where_the_app_is_out_of_sight(app: Flask) -> None:
    """Registered in one place, wrapped where no app or blueprint is visible."""
    CognitoJwt(app, verifier=VERIFIER)

    def delete_news() -> str:
        return "deleted"

    app.add_url_rule("/news", view_func=delete_news, methods=["DELETE"])
    _protect_out_of_sight(SimpleNamespace(view=delete_news))


def _protect_out_of_sight(holder: SimpleNamespace, depth: int = 3) -> None:
    """Wrap the view a few calls down, beyond the frames the decorator searches."""
    if depth:
        _protect_out_of_sight(holder, depth - 1)
    else:
        require_auth(groups="admin")(holder.view)


def _no_extension(app: Flask) -> None:
    @app.delete("/news")
    @require_auth(groups="admin")
    def delete_news() -> str:
        return "deleted"


def _any_of(app: Flask) -> None:
    either = any_of(require(groups="admin"), require(scopes=SCOPE))

    @app.delete("/news")
    @require_auth(VERIFIER, requirement=either)
    def delete_news() -> str:
        return "deleted"


SIGNED_IN = {"none": 401, "garbage": 401, "reader": 200, "admin": 200, "m2m": 200, "id": 401}
ADMINS = {"none": 401, "garbage": 401, "reader": 403, "admin": 200, "m2m": 403, "id": 401}

FLASK_SLIPS: list[tuple[str, Callable[[Flask], None], dict[str, int] | str]] = [
    ("bare @require_auth, like @login_required", _bare, SIGNED_IN),
    ("bare @cognito.require", _bare_extension_method, SIGNED_IN),
    ("init_app(app, verifier=...) in a factory", _factory_injection, ADMINS),
    (
        "@require_auth('admin'): a group where the verifier belongs",
        _string_where_the_verifier_belongs,
        REFUSED,
    ),
    ("@require_auth(CognitoJwtVerifier): a class", _verifier_class, REFUSED),
    ("CognitoJwt(app, verifier=<class>)", _extension_given_a_class, REFUSED),
    ("init_app(app, verifier=<class>)", _init_app_given_a_class, REFUSED),
    ("scopes of an ID-token verifier", _scopes_of_id_tokens, REFUSED),
    ("@require_auth on a MethodView class", _method_view_class, REFUSED),
    ("the blueprint recipe: before_request", _blueprint_recipe, ADMINS),
    ("@require_auth above @app.route, with the extension", _decorators_in_the_wrong_order, REFUSED),
    (
        "@require_auth(verifier) above @app.route, no extension",
        _decorators_in_the_wrong_order_without_extension,
        REFUSED,
    ),
    ("bare @require_auth above @app.route", _bare_decorator_in_the_wrong_order, REFUSED),
    (
        "@require_auth above @blueprint.route",
        _decorators_in_the_wrong_order_on_a_blueprint,
        REFUSED,
    ),
    (
        "@require_auth above @app.route at a module's top level",
        _decorators_in_the_wrong_order_in_a_module,
        REFUSED,
    ),
    (
        "registered, then wrapped where no app is in sight (the extension's net)",
        _wrapped_where_the_app_is_out_of_sight,
        {"none": 401, "garbage": 401, "reader": 401, "admin": 401, "m2m": 401, "id": 401},
    ),
    (
        "@require_auth() without a verifier and without CognitoJwt(app)",
        _no_extension,
        {"none": 500, "garbage": 500, "reader": 500, "admin": 500, "m2m": 500, "id": 500},
    ),
    (
        "an admin or an M2M client: requirement=any_of(...)",
        _any_of,
        {"none": 401, "garbage": 401, "reader": 403, "admin": 200, "m2m": 200, "id": 401},
    ),
]


@pytest.mark.parametrize(
    ("build", "expected"),
    [(build, expected) for _, build, expected in FLASK_SLIPS],
    ids=[name for name, _, _ in FLASK_SLIPS],
)
def test_flask_slip(build: Callable[[Flask], None], expected: dict[str, int] | str) -> None:
    assert flask_status(build) == expected


# ----------------------------------------------------------------------------------- DRF


def drf_status(permissions: list[Any], authentication: list[Any] | None = None) -> dict[str, int]:
    """Each kind of request's status on a DRF view with these classes."""

    class NewsView(APIView):
        authentication_classes = authentication or [drf.CognitoJwtAuthentication]
        permission_classes = permissions

        def delete(self, request: Request) -> Response:
            return Response("deleted")

    view = NewsView.as_view()
    statuses = {}
    with override_settings(COGNITO_JWT={"VERIFIER": VERIFIER}):
        for kind, token in tokens().items():
            request = APIRequestFactory().delete("/news", headers=headers(token))
            statuses[kind] = view(request).status_code
    return statuses


DRF_SLIPS: list[tuple[str, Callable[[], dict[str, int]], dict[str, int]]] = [
    (
        "[require_groups]: the factory, uncalled",
        lambda: drf_status([IsAuthenticated, drf.require_groups]),
        {"none": 401, "garbage": 401, "reader": 403, "admin": 403, "m2m": 403, "id": 401},
    ),
    (
        "[require_scopes]: the factory, uncalled",
        lambda: drf_status([drf.require_scopes]),
        {"none": 401, "garbage": 401, "reader": 403, "admin": 403, "m2m": 403, "id": 401},
    ),
    (
        "[require]: the factory, uncalled",
        lambda: drf_status([drf.require]),
        {"none": 401, "garbage": 401, "reader": 403, "admin": 403, "m2m": 403, "id": 401},
    ),
    (
        "[HasCognitoGroup]: the base class, requiring nothing",
        lambda: drf_status([drf.HasCognitoGroup]),
        {"none": 401, "garbage": 401, "reader": 403, "admin": 403, "m2m": 403, "id": 401},
    ),
    (
        "[require_groups('admin')()]: an instance where the class belongs",
        lambda: drf_status([drf.require_groups("admin")()]),
        {"none": 401, "garbage": 401, "reader": 403, "admin": 200, "m2m": 403, "id": 401},
    ),
    (
        "[CognitoJwtAuthentication()]: an instance where the class belongs",
        lambda: drf_status([IsAuthenticated], [drf.CognitoJwtAuthentication()]),
        {"none": 401, "garbage": 401, "reader": 200, "admin": 200, "m2m": 200, "id": 401},
    ),
    (
        "require_groups alone, without IsAuthenticated",
        lambda: drf_status([drf.require_groups("admin")]),
        {"none": 401, "garbage": 401, "reader": 403, "admin": 200, "m2m": 403, "id": 401},
    ),
    (
        "require_groups(...) | require_scopes(...) raising: closed, not open",
        lambda: drf_status([drf.require_groups("admin") | drf.require_scopes(SCOPE)]),
        {"none": 401, "garbage": 401, "reader": 403, "admin": 200, "m2m": 403, "id": 401},
    ),
    (
        "an admin or an M2M client: require(any_of(...))",
        lambda: drf_status([drf.require(any_of(require(groups="admin"), require(scopes=SCOPE)))]),
        {"none": 401, "garbage": 401, "reader": 403, "admin": 200, "m2m": 200, "id": 401},
    ),
]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [(statuses, expected) for _, statuses, expected in DRF_SLIPS],
    ids=[name for name, _, _ in DRF_SLIPS],
)
def test_drf_slip(statuses: Callable[[], dict[str, int]], expected: dict[str, int]) -> None:
    assert statuses() == expected


@pytest.mark.parametrize(
    ("setting", "match"),
    [
        ({"VERIFIER": CognitoJwtVerifier}, "found the class CognitoJwtVerifier"),
        (
            {
                "USER_POOL_ID": POOL.user_pool_id,
                "CLIENT_ID": POOL.client_id,
                "TOKEN_USE": "id",
                "SCOPES": [SCOPE],
            },
            "ID tokens carry no scope",
        ),
    ],
    ids=["VERIFIER is a class", "TOKEN_USE id with SCOPES"],
)
def test_drf_settings_that_can_never_work_are_refused_at_start_up(
    setting: dict[str, Any], match: str
) -> None:
    with override_settings(COGNITO_JWT=setting), pytest.raises(ImproperlyConfigured, match=match):
        get_verifier()
