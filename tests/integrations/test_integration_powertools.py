"""Powertools Event Handler: `CognitoAuthMiddleware` under Powertools' real resolvers.

Each request is one of AWS's documented proxy events (REST API, HTTP API, ALB
with and without multi-value headers, Function URL; `tests/fixtures/proxy_events/`)
with the row's headers added in that event's own shape, resolved by the
matching Powertools resolver.  The answers must be `cognito_jwt.http`'s.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from adapter_cases import POOL, ROWS, VERIFIERS, Row, answer, expected, ids, routes_for

pytest.importorskip("aws_lambda_powertools")

from aws_lambda_powertools.event_handler import (
    ALBResolver,
    APIGatewayHttpResolver,
    APIGatewayRestResolver,
    LambdaFunctionUrlResolver,
)
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, Router

from cognito_jwt import ConfigurationError
from cognito_jwt.http import any_of, require
from cognito_jwt.integrations.powertools import CognitoAuthMiddleware

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "proxy_events"
Pairs = tuple[tuple[str, str], ...]


def _load(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def rest_event(path: str, headers: Pairs) -> dict[str, Any]:
    """A REST API proxy event: `headers` keeps the last value, `multiValueHeaders` all."""
    event = _load("apiGatewayProxyEvent.json")
    event.update(path=path, resource=path, httpMethod="GET")
    event["requestContext"].update(path=path, resourcePath=path, httpMethod="GET")
    for name, value in headers:
        event["headers"][name] = value
        event["multiValueHeaders"].setdefault(name, []).append(value)
    return event


def _joined(event: dict[str, Any], headers: Pairs) -> None:
    """Payload 2.0: names lower-cased, repeated headers joined with commas."""
    for name, value in headers:
        key = name.lower()
        previous = event["headers"].get(key)
        event["headers"][key] = value if previous is None else f"{previous},{value}"


def http_event(path: str, headers: Pairs) -> dict[str, Any]:
    event = _load("apiGatewayProxyV2Event.json")
    event.update(rawPath=path, rawQueryString="", body=None)
    event["requestContext"]["http"].update(method="GET", path=path)
    _joined(event, headers)
    return event


def url_event(path: str, headers: Pairs) -> dict[str, Any]:
    event = _load("lambdaFunctionUrlEvent.json")
    event["rawPath"] = path
    event["requestContext"]["http"].update(method="GET", path=path)
    _joined(event, headers)
    return event


def alb_event(path: str, headers: Pairs) -> dict[str, Any]:
    """An ALB event, multi-value headers off: a repeated header keeps its last value."""
    event = _load("albEvent.json")
    event.update(path=path, httpMethod="GET")
    for name, value in headers:
        event["headers"][name.lower()] = value
    return event


def alb_multi_event(path: str, headers: Pairs) -> dict[str, Any]:
    """An ALB event, multi-value headers on: no `headers` key at all."""
    event = _load("albMultiValueHeadersEvent.json")
    event.update(path=path, httpMethod="GET")
    assert "headers" not in event
    for name, value in headers:
        event["multiValueHeaders"].setdefault(name.lower(), []).append(value)
    return event


#: Resolver class and event builder per kind of event source.
SOURCES: dict[str, tuple[type[ApiGatewayResolver], Callable[[str, Pairs], dict[str, Any]]]] = {
    "rest": (APIGatewayRestResolver, rest_event),
    "http": (APIGatewayHttpResolver, http_event),
    "alb": (ALBResolver, alb_event),
    "alb-multi": (ALBResolver, alb_multi_event),
    "url": (LambdaFunctionUrlResolver, url_event),
}


def build_app(resolver: type[ApiGatewayResolver], kind: str) -> ApiGatewayResolver:
    """Per-route middlewares on `/me`, `/admin`, `/orders`; `/public` has none."""
    app = resolver()
    verifier = VERIFIERS[kind]
    for route, requirement in routes_for(kind).items():
        middleware = CognitoAuthMiddleware(verifier, **requirement)

        @app.get(route, middlewares=[middleware])
        def protected() -> dict[str, Any]:
            return {"sub": app.context["claims"]["sub"]}

    @app.get("/public")
    def public() -> dict[str, Any]:
        return {"claims": "claims" in app.context}

    return app


APPS = {
    (source, kind): build_app(resolver, kind)
    for source, (resolver, _) in SOURCES.items()
    for kind in VERIFIERS
}


def invoke(app: ApiGatewayResolver, event: dict[str, Any]) -> tuple[int, str | None, Any]:
    """Resolve `event`; status, `WWW-Authenticate` and JSON body of the result."""
    result = app.resolve(copy.deepcopy(event), None)  # type: ignore[arg-type]
    found: dict[str, str] = {}
    for name, value in (result.get("multiValueHeaders") or {}).items():
        found[name.lower()] = value[0]
    for name, value in (result.get("headers") or {}).items():
        found[name.lower()] = value
    body = json.loads(result["body"]) if result.get("body") else None
    return result["statusCode"], found.get("www-authenticate"), body


def collapsed(source: str, row: Row) -> Pairs:
    """The headers as the event can carry them: an ALB without multi-value keeps the last."""
    if source != "alb":
        return row.headers
    last: dict[str, tuple[str, str]] = {}
    for name, value in row.headers:
        last[name.lower()] = (name, value)
    return tuple(last.values())


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_answers_as_the_http_answer_does(source: str, row: Row) -> None:
    _, event_for = SOURCES[source]
    carried = Row(row.name, collapsed(source, row), row.verifier, row.route)
    status, www, body = invoke(APPS[source, row.verifier], event_for(row.route, carried.headers))
    assert answer(status, www, body) == expected(carried)
    if status != 200:
        assert set(body) == {"error", "reason"}


def test_the_alb_without_multi_value_headers_keeps_the_last_authorization() -> None:
    row = next(r for r in ROWS if r.name == "two Authorization headers")
    status, _, body = invoke(APPS["alb", "id"], alb_event("/me", row.headers))
    assert (status, body["reason"]) == (401, "malformed_token")


# ------------------------------------------------------------------ behaviour


@pytest.mark.parametrize("source", SOURCES)
def test_claims_are_in_the_context_and_cleared_after_the_invocation(source: str) -> None:
    resolver, event_for = SOURCES[source]
    app = build_app(resolver, "id")
    token = POOL.id_token()
    status, _, body = invoke(app, event_for("/me", (("Authorization", f"Bearer {token}"),)))
    assert (status, body) == (200, {"sub": VERIFIERS["id"].verify(token)["sub"]})
    assert app.context == {}
    assert invoke(app, event_for("/public", ()))[2] == {"claims": False}


def test_resolve_async_with_data_validation_and_an_async_route() -> None:
    import asyncio

    app = APIGatewayHttpResolver(enable_validation=True)
    app.use([CognitoAuthMiddleware(VERIFIERS["id"], groups="admin")])

    @app.get("/me")
    async def me() -> dict[str, Any]:
        return {"user": app.context["claims"]["cognito:username"]}

    def status(headers: Pairs) -> int:
        result = asyncio.run(app.resolve_async(http_event("/me", headers), None))  # type: ignore[arg-type]
        return int(result["statusCode"])

    assert status(()) == 401
    assert status((("Authorization", f"Bearer {POOL.id_token(groups=['users'])}"),)) == 403
    assert status((("Authorization", f"Bearer {POOL.id_token(groups=['admin'])}"),)) == 200


def test_global_middleware_protects_every_route_of_app_and_router() -> None:
    app = APIGatewayRestResolver()
    router = Router()  # type: ignore[no-untyped-call]

    @app.get("/me")
    def me() -> dict[str, Any]:
        return {"user": app.context["claims"]["cognito:username"]}

    @router.get("/orders")
    def orders() -> dict[str, Any]:
        return {"user": router.context["claims"]["cognito:username"]}

    app.include_router(router)
    app.use([CognitoAuthMiddleware(VERIFIERS["id"])])
    good = (("Authorization", f"Bearer {POOL.id_token()}"),)
    for path in ("/me", "/orders"):
        assert invoke(app, rest_event(path, ()))[:2] == (401, "Bearer")
        assert invoke(app, rest_event(path, good)) == (200, None, {"user": "alice"})


def test_global_and_route_middlewares_combine() -> None:
    app = APIGatewayHttpResolver()
    app.use([CognitoAuthMiddleware(VERIFIERS["id"])])

    @app.get("/admin", middlewares=[CognitoAuthMiddleware(VERIFIERS["id"], groups="admin")])
    def admin() -> dict[str, Any]:
        return {"ok": True}

    user = (("Authorization", f"Bearer {POOL.id_token(groups=['users'])}"),)
    admin_user = (("Authorization", f"Bearer {POOL.id_token(groups=['admin'])}"),)
    assert invoke(app, http_event("/admin", user))[0] == 403
    assert invoke(app, http_event("/admin", admin_user))[0] == 200


# ------------------------------------------------------------------ slips


def test_slip_the_class_listed_instead_of_an_instance_is_401(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = APIGatewayRestResolver()

    @app.get("/me", middlewares=[CognitoAuthMiddleware])
    def me() -> dict[str, Any]:
        return {"ok": True}

    token = POOL.id_token()
    status, www, body = invoke(app, rest_event("/me", (("Authorization", f"Bearer {token}"),)))
    assert (status, www, body["reason"]) == (401, "Bearer", "missing_token")
    assert "list an instance" in caplog.text


def test_slip_use_without_a_list_is_refused_at_definition() -> None:
    app = APIGatewayRestResolver()
    with pytest.raises(TypeError):
        app.use(CognitoAuthMiddleware(VERIFIERS["id"]))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options", [{"groups": ""}, {"scopes": [""]}, {"groups": ["admin", " "]}], ids=str
)
def test_slip_an_empty_group_or_scope_is_refused_at_definition(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        CognitoAuthMiddleware(VERIFIERS["id"], **options)


def test_slip_scopes_demanded_of_id_tokens_are_refused_at_definition() -> None:
    with pytest.raises(ConfigurationError, match="ID tokens carry no scope"):
        CognitoAuthMiddleware(VERIFIERS["id"], scopes="orders/read")


def test_any_of_several_requirements() -> None:
    admin_or_reader = any_of(require(groups="admin"), require(scopes="orders/read"))
    app = APIGatewayRestResolver()

    @app.get(
        "/x", middlewares=[CognitoAuthMiddleware(VERIFIERS["access"], requirement=admin_or_reader)]
    )
    def x() -> dict[str, Any]:
        return {"ok": True}

    def status(token: str) -> int:
        return invoke(app, rest_event("/x", (("Authorization", f"Bearer {token}"),)))[0]

    assert status(POOL.access_token(groups=["admin"], scopes=["openid"])) == 200
    assert status(POOL.access_token(scopes=["orders/read"])) == 200
    assert status(POOL.access_token(scopes=["openid"])) == 403


@pytest.mark.parametrize("verifier", [type(VERIFIERS["id"]), "us-east-1_AbCdEf123", None])
def test_slip_a_middleware_without_a_verifier_instance_is_refused_at_definition(
    verifier: Any,
) -> None:
    with pytest.raises(ConfigurationError, match="verifier instance"):
        CognitoAuthMiddleware(verifier)


def test_slip_an_alb_verifier_behind_api_gateway_is_401_missing_token() -> None:
    app = build_app(APIGatewayRestResolver, "alb")
    token = POOL.id_token()
    status, www, body = invoke(app, rest_event("/me", (("Authorization", f"Bearer {token}"),)))
    assert (status, www, body["reason"]) == (401, "Bearer", "missing_token")


def test_slip_an_exception_handler_for_everything_does_not_open_the_route() -> None:
    """The refusal is a response, not an exception a catch-all handler could turn into 200."""
    app = build_app(APIGatewayRestResolver, "id")

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def everything(error: Exception) -> Any:
        raise AssertionError(error)

    assert invoke(app, rest_event("/me", ()))[0] == 401
