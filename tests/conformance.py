"""One conformance table, one harness, every HTTP adapter: the same request gets the same answer.

`ROWS` are requests (each a list of raw `(name, value)` header lines, so a
header can come twice) sent to a named route; each states the answer every
adapter must give: status, `reason`, and the `WWW-Authenticate` parameters.
`ADAPTERS` maps an adapter's name to a context manager that serves the routes
it supports and answers a row; the framework adapters run behind real
servers (uvicorn for ASGI, waitress for WSGI) on 127.0.0.1, port 0, and are
asked with real HTTP requests.  To add an adapter, write its serve function
(routes of `ROUTES` it supports, served; an `answer(route, lines)` method) and
add it to `ADAPTERS`: every row then runs against it.

The expected answers are literals (RFC 6750's codes, the verifier's reasons),
not what `cognito_jwt.http` computes, so the table also pins `http` itself.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from integration_support import closed_port_uri

from cognito_jwt import CognitoJwtVerifier, JwksCache
from cognito_jwt.testing import AlbKeyServer, FakeAlb, FakeCognitoPool

#: The realm every adapter is configured with, so each challenge carries it.
REALM = "api"
#: The scope the scope routes demand.
SCOPE = "news/delete"
#: The `acr` the step-up route's verifier demands (RFC 9470).
STEP_UP_ACR = "urn:cognito:loa:2"
#: The oldest sign-in (seconds) the step-up route's requirement accepts, with
#: `min_acr_level=2`: the challenge lists the default levels from 2 up.
STEP_UP_AGE = 300
STEP_UP_LEVELS = "urn:cognito:loa:2 urn:cognito:loa:3 urn:cognito:loa:4"

#: Header lines of one request, in order; a name may repeat.
Lines = list[tuple[str, str]]


@dataclass(frozen=True)
class Answer:
    """What a client sees: status, body reason ("ok" for 2xx) and challenge parameters.

    `challenge` is `None` without a `WWW-Authenticate` header, and the
    parameters (a bare `Bearer realm="api"` is `{"realm": "api"}`) otherwise.
    """

    status: int
    reason: str
    challenge: dict[str, str] | None = None


_PARAM = re.compile(r'\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)="([^"]*)"\s*(?:,|$)')


def parse_challenge(value: str | None) -> dict[str, str] | None:
    """The auth-params of a `Bearer` challenge (all quoted, as `cognito_jwt.http` writes them)."""
    if value is None:
        return None
    scheme, _, rest = value.partition(" ")
    assert scheme == "Bearer", value
    params = dict(_PARAM.findall(rest))
    assert rest.strip() == "" or params, value
    return params


def challenge(
    error: str | None = None, description: str | None = None, **more: str
) -> dict[str, str]:
    """The challenge parameters expected: realm, then RFC 6750's error and description."""
    params = {"realm": REALM}
    if error is not None:
        params["error"] = error
    if description is not None:
        params["error_description"] = description
    params.update(more)
    return params


#: What a route demanding `min_acr_level=2, max_auth_age=STEP_UP_AGE` answers a sign-in
#: that falls short (RFC 9470 section 3).
STEP_UP_CHALLENGE = challenge(
    "insufficient_user_authentication",
    "insufficient_user_authentication",
    acr_values=STEP_UP_LEVELS,
    max_age=str(STEP_UP_AGE),
)


# ---------------------------------------------------------------------------------- the world


@dataclass
class World:
    """The pools, the ALB and the verifiers every adapter's routes use."""

    pool: FakeCognitoPool
    other_pool: FakeCognitoPool
    alb: FakeAlb
    alb_keys: AlbKeyServer
    verifiers: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        down = CognitoJwtVerifier(
            user_pool_id=self.pool.user_pool_id,
            client_id=self.pool.client_id,
            token_use="id",
            jwks_uri=closed_port_uri(),
            allow_http=True,
            jwks_cache=JwksCache(cooldown=0, max_backoff=0),
        )
        self.verifiers = {
            "id": self.pool.verifier(token_use="id"),
            "access": self.pool.verifier(token_use="access"),
            "alb": self.alb.verifier(self.alb_keys),
            "down": down,
            "step_up": self.pool.verifier(token_use="id", acr_values=[STEP_UP_ACR]),
        }


@dataclass(frozen=True)
class Route:
    """A route every adapter serves the same way: its verifier and requirement.

    `groups` / `scopes` (any one) are the route's requirement; `any_of`
    accepts `admin` or `SCOPE`; `security` is FastAPI's `Security(auth,
    scopes=[SCOPE])` (every listed scope), for adapters that have that form;
    `step_up` demands `min_acr_level=2` and `max_auth_age=STEP_UP_AGE`.
    """

    verifier: str
    groups: str | None = None
    scopes: str | None = None
    any_of: bool = False
    security: bool = False
    step_up: bool = False


ROUTES = {
    "id": Route("id"),
    "id_admin": Route("id", groups="admin"),
    "access": Route("access"),
    "access_scope": Route("access", scopes=SCOPE),
    "access_any_of": Route("access", any_of=True),
    "access_security": Route("access", security=True),
    "alb": Route("alb"),
    "down": Route("down"),
    "step_up": Route("step_up"),
    "id_step_up": Route("id", step_up=True),
}


# ----------------------------------------------------------------------------------- the rows


@dataclass(frozen=True)
class Row:
    """One request and the answer every adapter gives it."""

    name: str
    route: str
    lines: Callable[[World], Lines]
    expected: Answer


def _auth(value: str) -> Lines:
    return [("Authorization", value)]


OK = Answer(200, "ok")
MISSING = Answer(401, "missing_token", challenge())


def _invalid(reason: str) -> Answer:
    return Answer(401, reason, challenge("invalid_token", reason))


def _expired(world: World) -> str:
    return world.pool.id_token(now=int(time.time()) - 7200)


ROWS = [
    Row("no header", "id", lambda w: [], MISSING),
    Row("Bearer with nothing", "id", lambda w: _auth("Bearer "), MISSING),
    Row("Basic credentials", "id", lambda w: _auth("Basic dXNlcjpwYXNz"), MISSING),
    Row("a bare token", "id", lambda w: _auth(w.pool.id_token()), OK),
    Row("lower-case bearer", "id", lambda w: _auth(f"bearer {w.pool.id_token()}"), OK),
    Row("surrounding whitespace", "id", lambda w: _auth(f"Bearer   {w.pool.id_token()}  "), OK),
    Row(
        "two Authorization headers",
        "id",
        lambda w: [*_auth(f"Bearer {w.pool.id_token()}"), *_auth(f"Bearer {w.pool.id_token()}")],
        Answer(400, "duplicate_header", challenge("invalid_request", "duplicate_header")),
    ),
    Row(
        "x-amzn-oidc-accesstoken alone",
        "access",
        lambda w: [("x-amzn-oidc-accesstoken", w.pool.access_token())],
        OK,
    ),
    Row("garbage", "id", lambda w: _auth("Bearer garbage"), _invalid("malformed_token")),
    Row("expired", "id", lambda w: _auth(f"Bearer {_expired(w)}"), _invalid("token_expired")),
    Row(
        "another pool",
        "id",
        lambda w: _auth(f"Bearer {w.other_pool.id_token()}"),
        _invalid("invalid_issuer"),
    ),
    Row(
        "another client",
        "id",
        lambda w: _auth(f"Bearer {w.pool.id_token(aud='someone-else')}"),
        _invalid("invalid_audience"),
    ),
    Row(
        "access token where an ID token is required",
        "id",
        lambda w: _auth(f"Bearer {w.pool.access_token()}"),
        _invalid("wrong_token_use"),
    ),
    Row(
        "a member of the group",
        "id_admin",
        lambda w: _auth(f"Bearer {w.pool.id_token(groups=['admin'])}"),
        OK,
    ),
    Row(
        "missing group",
        "id_admin",
        lambda w: _auth(f"Bearer {w.pool.id_token(groups=['users'])}"),
        Answer(403, "missing_group", challenge("insufficient_scope", "missing_group")),
    ),
    Row(
        "holding the scope",
        "access_scope",
        lambda w: _auth(f"Bearer {w.pool.access_token(scopes=[SCOPE])}"),
        OK,
    ),
    Row(
        "missing scope",
        "access_scope",
        lambda w: _auth(f"Bearer {w.pool.access_token(scopes=['news/read'])}"),
        Answer(403, "missing_scope", challenge("insufficient_scope", "missing_scope", scope=SCOPE)),
    ),
    Row(
        "missing scope, through the framework's own scopes",
        "access_security",
        lambda w: _auth(f"Bearer {w.pool.access_token(scopes=['news/read'])}"),
        Answer(403, "missing_scope", challenge("insufficient_scope", "missing_scope", scope=SCOPE)),
    ),
    Row(
        "holding the scope, through the framework's own scopes",
        "access_security",
        lambda w: _auth(f"Bearer {w.pool.access_token(scopes=[SCOPE, 'news/read'])}"),
        OK,
    ),
    Row(
        "any-of: the admin branch",
        "access_any_of",
        lambda w: _auth(f"Bearer {w.pool.access_token(groups=['admin'], scopes=['news/read'])}"),
        OK,
    ),
    Row(
        "any-of: the scope branch (an M2M client)",
        "access_any_of",
        lambda w: _auth(
            f"Bearer {w.pool.access_token(sub=w.pool.client_id, username=None, scopes=[SCOPE])}"
        ),
        OK,
    ),
    Row(
        "any-of: neither branch",
        "access_any_of",
        lambda w: _auth(f"Bearer {w.pool.access_token(scopes=['news/read'])}"),
        Answer(403, "missing_group", challenge("insufficient_scope", "missing_group", scope=SCOPE)),
    ),
    Row(
        "JWKS down",
        "down",
        lambda w: _auth(f"Bearer {w.pool.id_token()}"),
        Answer(503, "jwks_fetch_failed", None),
    ),
    Row(
        "a sign-in weaker than the route demands (RFC 9470)",
        "step_up",
        lambda w: _auth(f"Bearer {w.pool.id_token()}"),
        Answer(
            401,
            "insufficient_user_authentication",
            challenge(
                "insufficient_user_authentication",
                "insufficient_user_authentication",
                acr_values=STEP_UP_ACR,
            ),
        ),
    ),
    Row(
        "a sign-in as strong as the route demands",
        "step_up",
        lambda w: _auth(f"Bearer {w.pool.id_token(acr=STEP_UP_ACR)}"),
        OK,
    ),
    Row(
        "a sign-in recording no level, on a route requiring one (RFC 9470)",
        "id_step_up",
        lambda w: _auth(f"Bearer {w.pool.id_token()}"),
        Answer(401, "insufficient_user_authentication", STEP_UP_CHALLENGE),
    ),
    Row(
        "a sign-in below the route's level (RFC 9470)",
        "id_step_up",
        lambda w: _auth(f"Bearer {w.pool.id_token(acr='urn:cognito:loa:1')}"),
        Answer(401, "insufficient_user_authentication", STEP_UP_CHALLENGE),
    ),
    Row(
        "a sign-in older than the route allows (RFC 9470)",
        "id_step_up",
        lambda w: _auth(
            f"Bearer {w.pool.id_token(acr='urn:cognito:loa:3', auth_time=int(time.time()) - 3600)}"
        ),
        Answer(401, "insufficient_user_authentication", STEP_UP_CHALLENGE),
    ),
    Row(
        "a recent sign-in at a higher level than the route demands",
        "id_step_up",
        lambda w: _auth(f"Bearer {w.pool.id_token(acr='urn:cognito:loa:3')}"),
        OK,
    ),
    Row(
        "a step-up route still refuses a bad token as invalid_token",
        "id_step_up",
        lambda w: _auth("Bearer not.a.token"),
        Answer(401, "invalid_base64url", challenge("invalid_token", "invalid_base64url")),
    ),
    Row("the ALB verifier's header", "alb", lambda w: [("x-amzn-oidc-data", w.alb.token())], OK),
    Row(
        "the ALB verifier ignores Authorization",
        "alb",
        lambda w: _auth(f"Bearer {w.alb.token()}"),
        MISSING,
    ),
    Row(
        "the ALB header twice",
        "alb",
        lambda w: [("x-amzn-oidc-data", w.alb.token()), ("x-amzn-oidc-data", w.alb.token())],
        Answer(400, "duplicate_header", challenge("invalid_request", "duplicate_header")),
    ),
]


# ------------------------------------------------------------------------------- the adapters


class Served(Protocol):
    """An adapter serving `ROUTES`: which it has, and the answer to one request."""

    routes: frozenset[str]

    def answer(self, route: str, lines: Lines) -> Answer:
        """What a client sending `lines` to `route` sees."""
        ...


#: An adapter: given the world, serves its routes for the duration of the block.
Adapter = Callable[[World], AbstractContextManager[Served]]


def send(port: int, path: str, lines: Lines) -> tuple[int, str | None, Any]:
    """A real HTTP/1.1 GET to 127.0.0.1:`port`, header lines as given (repeats kept).

    Returns the status, the `WWW-Authenticate` value and the JSON body.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("GET", path)
        for name, value in lines:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        return (
            response.status,
            response.getheader("WWW-Authenticate"),
            json.loads(body) if body else None,
        )
    finally:
        connection.close()


@contextmanager
def uvicorn_server(app: Any) -> Iterator[int]:
    """`app` served by uvicorn in a thread on 127.0.0.1, port 0; yields the port."""
    import pytest

    uvicorn = pytest.importorskip("uvicorn")

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
        time.sleep(0.01)
    port: int = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def waitress_server(app: Any) -> Iterator[int]:
    """The WSGI `app` served by waitress in a thread on 127.0.0.1, port 0; yields the port."""
    import pytest

    pytest.importorskip("waitress")
    from waitress.server import create_server  # type: ignore[import-untyped]

    server: Any = create_server(app, host="127.0.0.1", port=0, threads=2)
    port = int(server.effective_port)
    closing = threading.Event()

    def run() -> None:
        # close() from this thread races the loop's select(): a descriptor
        # closed under it raises EBADF there, which is the stop we asked for.
        try:
            server.run()
        except OSError:
            if not closing.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        closing.set()
        server.close()
        thread.join(timeout=30)


@dataclass
class OverHttp:
    """An adapter behind a real server on `port`; `reason_of` reads its framework's body."""

    port: int
    routes: frozenset[str]
    reason_of: Callable[[int, Any], str]
    around: Callable[[str], AbstractContextManager[object]] | None = None

    def answer(self, route: str, lines: Lines) -> Answer:
        """A real request; 2xx answers carry the reason "ok"."""
        if self.around is None:
            status, header, body = send(self.port, f"/{route}", lines)
        else:
            with self.around(route):
                status, header, body = send(self.port, f"/{route}", lines)
        reason = "ok" if status < 300 else self.reason_of(status, body)
        return Answer(status, reason, parse_challenge(header))


def requirement_of(route: Route) -> Any:
    """The route's `cognito_jwt.http` requirement."""
    from cognito_jwt.http import any_of, require

    if route.any_of:
        return any_of(require(groups="admin"), require(scopes=SCOPE))
    if route.security:
        return require().with_all_scopes([SCOPE])
    if route.step_up:
        return require(min_acr_level=2, max_auth_age=STEP_UP_AGE)
    return require(groups=route.groups, scopes=route.scopes)


@dataclass
class Direct:
    """`cognito_jwt.http.authenticate` itself, given the lines as raw ASGI headers."""

    world: World
    routes: frozenset[str] = frozenset(ROUTES)

    def answer(self, route: str, lines: Lines) -> Answer:
        from cognito_jwt.http import Rejection, authenticate

        spec = ROUTES[route]
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in lines]
        try:
            authenticate(
                self.world.verifiers[spec.verifier],
                raw,
                requirement=requirement_of(spec),
                realm=REALM,
            )
        except Rejection as rejected:
            header = rejected.headers.get("WWW-Authenticate")
            return Answer(rejected.status_code, rejected.reason, parse_challenge(header))
        return OK


@contextmanager
def serve_http(world: World) -> Iterator[Served]:
    """`cognito_jwt.http`, called directly (no server: it is what the servers call)."""
    yield Direct(world)


@contextmanager
def serve_fastapi(world: World) -> Iterator[Served]:
    """FastAPI behind uvicorn: `Depends(auth)`, `auth.require()`, `Security(auth, scopes=...)`."""
    from fastapi import Depends, FastAPI, Security

    from cognito_jwt.integrations.fastapi import CognitoAuth

    app = FastAPI()
    auths = {name: CognitoAuth(v, realm=REALM) for name, v in world.verifiers.items()}
    for name, route in ROUTES.items():
        auth = auths[route.verifier]
        if route.security:
            dependency = Security(auth, scopes=[SCOPE])
        elif route.any_of or route.step_up:
            dependency = Depends(auth.require(requirement_of(route)))
        elif route.groups or route.scopes:
            dependency = Depends(auth.require(groups=route.groups, scopes=route.scopes))
        else:
            dependency = Depends(auth)

        async def endpoint(claims: dict = dependency) -> dict:  # type: ignore[type-arg]
            return {"iss": claims["iss"]}

        app.add_api_route(f"/{name}", endpoint, methods=["GET"])
    with uvicorn_server(app) as port:
        yield OverHttp(port, frozenset(ROUTES), lambda status, body: body["detail"]["reason"])


@contextmanager
def serve_flask(world: World) -> Iterator[Served]:
    """Flask behind waitress: `@require_auth(verifier, ...)` on each route."""
    from flask import Flask

    from cognito_jwt.integrations.flask import require_auth

    app = Flask("conformance")
    routes = {name: route for name, route in ROUTES.items() if not route.security}
    for name, route in routes.items():
        protect = require_auth(
            world.verifiers[route.verifier], requirement=requirement_of(route), realm=REALM
        )
        app.add_url_rule(f"/{name}", name, protect(lambda: {"ok": True}))
    with waitress_server(app) as port:
        yield OverHttp(port, frozenset(routes), lambda status, body: body["reason"])


#: Django's URLconf for the DRF adapter (this module is `ROOT_URLCONF` while it serves).
urlpatterns: list[Any] = []


def _drf_reason(status: int, body: Any) -> str:
    """The reason in a DRF body; DRF's own 401 for no credentials carries none."""
    from rest_framework.exceptions import NotAuthenticated

    if status == 401 and body == {"detail": str(NotAuthenticated.default_detail)}:
        return "missing_token"  # DRF's convention; the challenge is ours (see the guide)
    return str(body["reason"])


@contextmanager
def serve_drf(world: World) -> Iterator[Served]:
    """DRF behind waitress (Django's WSGI handler): permission classes per route.

    DRF has one verifier per process (`COGNITO_JWT`), so each request runs
    under the setting naming its route's verifier.
    """
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings
    from django.urls import path
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from cognito_jwt.integrations.drf import (
        CognitoJwtAuthentication,
        require,
        require_groups,
        require_scopes,
    )

    routes = {name: route for name, route in ROUTES.items() if not route.security}
    for name, route in routes.items():
        permissions: list[Any] = [IsAuthenticated]
        if route.groups:
            permissions.append(require_groups(route.groups))
        if route.scopes:
            permissions.append(require_scopes(route.scopes))
        if route.any_of or route.step_up:
            permissions.append(require(requirement_of(route)))

        class View(APIView):
            authentication_classes = (CognitoJwtAuthentication,)
            permission_classes = tuple(permissions)

            def get(self, request: Request) -> Response:
                return Response({"ok": True})

        urlpatterns.append(path(name, View.as_view()))

    def around(route: str) -> AbstractContextManager[object]:
        verifier = world.verifiers[ROUTES[route].verifier]
        return override_settings(
            ROOT_URLCONF=__name__,
            ALLOWED_HOSTS=["127.0.0.1"],
            COGNITO_JWT={"VERIFIER": verifier, "REALM": REALM},
        )

    try:
        with waitress_server(WSGIHandler()) as port:
            yield OverHttp(port, frozenset(routes), _drf_reason, around)
    finally:
        urlpatterns.clear()


#: Every adapter the table runs against; add yours here.
ADAPTERS: dict[str, Adapter] = {
    "http": serve_http,
    "fastapi": serve_fastapi,
    "flask": serve_flask,
    "drf": serve_drf,
}

#: The adapters with a form of the `security` routes, the framework's own scopes
#: (FastAPI's `Security(auth, scopes=[...])`, Starlette's `requires([...])`; `http`
#: has every form); every adapter serves every other route.
SECURITY_FORM = frozenset({"fastapi", "http", "starlette"})


def routes_of(adapter: str) -> frozenset[str]:
    """The routes `adapter` serves, so that only its rows are generated (none to skip)."""
    return frozenset(
        name for name, route in ROUTES.items() if adapter in SECURITY_FORM or not route.security
    )
