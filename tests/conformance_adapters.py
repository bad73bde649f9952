"""The conformance table's serve functions for Starlette, Litestar, Django, django-ninja and
Powertools' Event Handler (see `conformance` for the table, the routes and the harness).

Starlette and Litestar run behind uvicorn, Django and django-ninja behind
waitress, each asked with real HTTP requests on 127.0.0.1; Powertools has no
server (Lambda invokes it), so its rows are AWS's documented REST API proxy
event (`tests/fixtures/proxy_events/`) carrying the row's header lines, resolved
by Powertools' own `APIGatewayRestResolver`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import (
    OK,
    REALM,
    ROUTES,
    SCOPE,
    Adapter,
    Answer,
    Lines,
    OverHttp,
    Route,
    Served,
    World,
    parse_challenge,
    requirement_of,
    uvicorn_server,
    waitress_server,
)

#: Django's URLconf while the Django and ninja adapters serve (this module is `ROOT_URLCONF`).
urlpatterns: list[Any] = []


def _by_verifier(apps: dict[str, Any]) -> Callable[..., Any]:
    """One ASGI app routing `/<route>` to the app built for that route's verifier.

    Starlette and Litestar bind one authentication middleware (one verifier)
    per application, as their users do.
    """

    async def dispatch(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return
        name = scope["path"].strip("/")
        await apps[ROUTES[name].verifier](scope, receive, send)

    return dispatch


@contextmanager
def serve_starlette(world: World) -> Iterator[Served]:
    """Starlette behind uvicorn: `CognitoAuthBackend`, and `requires` on each route.

    The framework's own scopes are `requires([SCOPE])`: every listed scope.
    """
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route as StarletteRoute

    from cognito_jwt.integrations.starlette import CognitoAuthBackend, requires

    async def ok(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    apps: dict[str, Any] = {}
    for kind, verifier in world.verifiers.items():
        routes = []
        for name, route in ROUTES.items():
            if route.verifier != kind:
                continue
            if route.security:
                protect = requires([SCOPE])
            else:
                protect = requires("authenticated", requirement=requirement_of(route))
            routes.append(StarletteRoute(f"/{name}", protect(ok)))
        backend = CognitoAuthBackend(verifier, realm=REALM)
        middleware = Middleware(
            AuthenticationMiddleware, backend=backend, on_error=backend.on_error
        )
        apps[kind] = Starlette(routes=routes, middleware=[middleware])
    with uvicorn_server(_by_verifier(apps)) as port:
        yield OverHttp(port, frozenset(ROUTES), lambda status, body: body["reason"])


@contextmanager
def serve_litestar(world: World) -> Iterator[Served]:
    """Litestar behind uvicorn: `CognitoAuthMiddleware` and its guards."""
    from litestar import Litestar, get
    from litestar.middleware.base import DefineMiddleware

    from cognito_jwt.http import require
    from cognito_jwt.integrations.litestar import (
        CognitoAuthMiddleware,
        require_any,
        require_groups,
        require_scopes,
    )

    def guards(route: Route) -> list[Any]:
        if route.any_of:
            return [require_any(require(groups="admin"), require(scopes=SCOPE))]
        if route.step_up:
            return [require_any(requirement_of(route))]
        if route.groups:
            return [require_groups(route.groups)]
        if route.scopes:
            return [require_scopes(route.scopes)]
        return []

    routes = {name: route for name, route in ROUTES.items() if not route.security}
    apps: dict[str, Any] = {}
    for kind, verifier in world.verifiers.items():
        handlers = [
            get(f"/{name}", guards=guards(route), name=name)(_litestar_ok)
            for name, route in routes.items()
            if route.verifier == kind
        ]
        middleware = DefineMiddleware(CognitoAuthMiddleware, verifier=verifier, realm=REALM)
        apps[kind] = Litestar(handlers, middleware=[middleware], logging_config=None)
    with uvicorn_server(_by_verifier(apps)) as port:
        yield OverHttp(port, frozenset(routes), lambda status, body: body["extra"]["reason"])


async def _litestar_ok() -> dict[str, bool]:
    return {"ok": True}


def _django_settings(world: World, kind: str) -> AbstractContextManager[object]:
    from django.test import override_settings

    return override_settings(
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["127.0.0.1"],
        MIDDLEWARE=["cognito_jwt.integrations.django.CognitoJwtMiddleware"],
        COGNITO_JWT={"VERIFIER": world.verifiers[kind], "REALM": REALM},
    )


@contextmanager
def serve_django(world: World) -> Iterator[Served]:
    """Django behind waitress: `CognitoJwtMiddleware` and `@require_auth(requirement=...)`.

    Django has one verifier per process (`COGNITO_JWT`), so each request runs
    under the setting naming its route's verifier.
    """
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import HttpRequest, JsonResponse
    from django.urls import path

    from cognito_jwt.integrations.django import require_auth

    def ok(request: HttpRequest) -> JsonResponse:
        return JsonResponse({"ok": True})

    routes = {name: route for name, route in ROUTES.items() if not route.security}
    for name, route in routes.items():
        with _django_settings(world, route.verifier):
            urlpatterns.append(path(name, require_auth(requirement=requirement_of(route))(ok)))
    try:
        with _django_settings(world, "id"), waitress_server(WSGIHandler()) as port:
            yield OverHttp(
                port,
                frozenset(routes),
                lambda status, body: body["reason"],
                lambda route: _django_settings(world, ROUTES[route].verifier),
            )
    finally:
        urlpatterns.clear()


@contextmanager
def serve_ninja(world: World) -> Iterator[Served]:
    """django-ninja behind waitress: `auth=CognitoBearer(...)` per route, `install(api)`."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings
    from django.urls import path
    from ninja import NinjaAPI

    from cognito_jwt.integrations.ninja import CognitoBearer, install

    def ok(request: object) -> dict[str, bool]:  # ninja's first parameter is the request
        return {"ok": True}

    api = install(NinjaAPI(urls_namespace="conformance-ninja"))
    routes = {name: route for name, route in ROUTES.items() if not route.security}
    for name, route in routes.items():
        verifier = world.verifiers[route.verifier]
        auth = CognitoBearer(verifier, requirement=requirement_of(route), realm=REALM)
        api.get(f"/{name}", auth=auth, url_name=name)(ok)
    urlpatterns.append(path("", api.urls))
    settings = override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["127.0.0.1"], MIDDLEWARE=[])
    try:
        with settings, waitress_server(WSGIHandler()) as port:
            yield OverHttp(port, frozenset(routes), lambda status, body: body["reason"])
    finally:
        urlpatterns.clear()


EVENTS = Path(__file__).resolve().parent / "fixtures" / "proxy_events"


@dataclass
class Resolved:
    """Powertools' `APIGatewayRestResolver`, asked with AWS's REST API proxy event."""

    app: Any
    routes: frozenset[str]

    def answer(self, route: str, lines: Lines) -> Answer:
        """The event API Gateway would send for `lines` (every value in `multiValueHeaders`)."""
        event = copy.deepcopy(_REST_EVENT)
        event.update(path=f"/{route}", resource=f"/{route}", httpMethod="GET")
        event["requestContext"].update(path=f"/{route}", resourcePath=f"/{route}")
        for name, value in lines:
            event["headers"][name] = value  # the last value, as API Gateway does
            event["multiValueHeaders"].setdefault(name, []).append(value)
        result = self.app.resolve(event, None)
        headers = {name.lower(): values[0] for name, values in result["multiValueHeaders"].items()}
        status: int = result["statusCode"]
        if status < 300:
            return OK
        reason = json.loads(result["body"])["reason"]
        return Answer(status, reason, parse_challenge(headers.get("www-authenticate")))


_REST_EVENT: dict[str, Any] = json.loads(
    (EVENTS / "apiGatewayProxyEvent.json").read_text(encoding="utf-8")
)


@contextmanager
def serve_powertools(world: World) -> Iterator[Served]:
    """Powertools' Event Handler: `CognitoAuthMiddleware` per route (no server: Lambda)."""
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    from cognito_jwt.integrations.powertools import CognitoAuthMiddleware

    app = APIGatewayRestResolver()
    routes = {name: route for name, route in ROUTES.items() if not route.security}
    for name, route in routes.items():
        verifier = world.verifiers[route.verifier]
        middleware = CognitoAuthMiddleware(verifier, requirement=requirement_of(route), realm=REALM)
        app.get(f"/{name}", middlewares=[middleware])(lambda: {"ok": True})
    yield Resolved(app, frozenset(routes))


#: The adapters of this module, run by the same table as `conformance.ADAPTERS`.
FRAMEWORK_ADAPTERS: dict[str, Adapter] = {
    "starlette": serve_starlette,
    "litestar": serve_litestar,
    "django": serve_django,
    "ninja": serve_ninja,
    "powertools": serve_powertools,
}
