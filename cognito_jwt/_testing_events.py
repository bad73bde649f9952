"""The test kit's API Gateway Lambda-authorizer events (`cognito_jwt.testing.api_gateway_event`).

Each builder writes the event shape AWS documents for one kind, key for key
(the library's tests compare them with AWS's sample events in
`tests/fixtures/authorizer_events/`), from the parts a test varies: method,
path, headers, token.  The ARN names the request as a REST API does
(`.../<stage>/<METHOD>/<path>`; `.../<stage>/$connect` for a WebSocket).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, TypeAlias

__all__ = ["EventKindName", "api_gateway_event"]

#: The authorizer's `EventKind` values (kept equal by a test; the kit does not import it).
EventKindName: TypeAlias = Literal["rest-token", "rest-request", "http-v1", "http-v2", "websocket"]

_KINDS: Final = ("rest-token", "rest-request", "http-v1", "http-v2", "websocket")
_SOURCE_IP: Final = "203.0.113.7"  # RFC 5737 documentation address


def api_gateway_event(
    kind: EventKindName,
    *,
    method: str = "GET",
    path: str = "/",
    headers: Mapping[str, str] | None = None,
    token: str | None = None,
    stage: str = "test",
    route_key: str | None = None,
    query: Mapping[str, str] | None = None,
    region: str = "us-east-1",
    account: str = "123456789012",
    api_id: str = "abcdef123",
) -> dict[str, Any]:
    """An API Gateway Lambda-authorizer event of `kind`, as AWS sends it.

    Args:
        kind: `"rest-token"`, `"rest-request"`, `"http-v1"`, `"http-v2"` or
            `"websocket"` (a `$connect`), the authorizer's `EventKind` values.
        method: the request's HTTP method, used as given (API Gateway's
            events carry the client's spelling).
        path: the request path relative to the stage, with a leading `/`.
            An HTTP API 2.0 event's `rawPath` carries it after a named
            stage's name (`/test/news`).
        headers: the request headers (an HTTP API 2.0 event lower-cases names).
        token: put into `Authorization` as `Bearer <token>` (REST `TOKEN`:
            `authorizationToken`), and as the identity source; `None` for none.
        stage: the stage name (`$default` for an HTTP API's default stage).
        route_key: the HTTP API route (`"ANY /{proxy+}"`); by default the
            request's own `"METHOD /path"`.  REST events use it, without the
            method, as `resource`.
        query: query-string parameters.
        region, account, api_id: the parts of the ARN.

    Raises:
        ValueError: an unknown `kind`, or a `path` without its leading `/`.

    Example:
        >>> event = api_gateway_event("rest-token", method="DELETE", path="/news", token="t")
        >>> event["methodArn"]
        'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/DELETE/news'
    """
    if kind not in _KINDS:
        raise ValueError(f"kind: expected one of {list(_KINDS)}, found {kind!r}")
    if not path.startswith("/"):
        raise ValueError(f"path: expected a leading '/', found {path!r}")
    sent = dict(headers or {})
    if token is not None and kind != "rest-token":
        sent["Authorization"] = f"Bearer {token}"
    params = dict(query or {})
    route = route_key or f"{method} {path}"
    resource = route.partition(" ")[2] or path
    stage_arn = f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}"
    arn = f"{stage_arn}/{method}/{path[1:]}"
    if kind == "rest-token":
        value = f"Bearer {token}" if token is not None else ""
        return {"type": "TOKEN", "authorizationToken": value, "methodArn": arn}
    if kind == "websocket":
        return {
            "type": "REQUEST",
            "methodArn": f"{stage_arn}/$connect",
            "headers": sent,
            "multiValueHeaders": {name: [value] for name, value in sent.items()},
            "queryStringParameters": params,
            "multiValueQueryStringParameters": {k: [v] for k, v in params.items()},
            "stageVariables": {},
            "requestContext": {
                "routeKey": "$connect",
                "eventType": "CONNECT",
                "stage": stage,
                "connectionId": "AAAA1234=",
                "apiId": api_id,
                "domainName": f"{api_id}.execute-api.{region}.amazonaws.com",
            },
        }
    # An HTTP API 2.0 `rawPath` on a named stage starts with the stage name;
    # AWS's 1.0 sample (stage `test`) gives `path` without it.
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    context: dict[str, Any] = {
        "path": f"/{stage}{path}" if kind == "rest-request" else path,
        "accountId": account,
        "resourceId": "05c7jb",
        "stage": stage,
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "identity": {"sourceIp": _SOURCE_IP},
        "resourcePath": resource,
        "httpMethod": method,
        "apiId": api_id,
    }
    if kind == "rest-request":
        return {
            "type": "REQUEST",
            "methodArn": arn,
            "resource": resource,
            "path": path,
            "httpMethod": method,
            "headers": sent,
            "multiValueHeaders": {name: [value] for name, value in sent.items()},
            "queryStringParameters": params,
            "multiValueQueryStringParameters": {k: [v] for k, v in params.items()},
            "pathParameters": {},
            "stageVariables": {},
            "requestContext": context,
        }
    identity = f"Bearer {token}" if token is not None else None
    if kind == "http-v1":
        event: dict[str, Any] = {
            "version": "1.0",
            "type": "REQUEST",
            "methodArn": arn,
            "identitySource": identity or "",
            "authorizationToken": identity or "",
            "resource": resource,
            "path": path,
            "httpMethod": method,
            "headers": sent,
            "queryStringParameters": params,
            "pathParameters": {},
            "stageVariables": {},
            "requestContext": context,
        }
        return event
    query_string = "&".join(f"{k}={v}" for k, v in params.items())
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": arn,
        "identitySource": [identity] if identity else [],
        "routeKey": route,
        "rawPath": raw_path,
        "rawQueryString": query_string,
        "cookies": [],
        "headers": {name.lower(): value for name, value in sent.items()},
        "queryStringParameters": params,
        "requestContext": {
            "accountId": account,
            "apiId": api_id,
            "domainName": f"{api_id}.execute-api.{region}.amazonaws.com",
            "domainPrefix": api_id,
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": _SOURCE_IP,
                "userAgent": "cognito-jwt-testing",
            },
            "requestId": "id",
            "routeKey": route,
            "stage": stage,
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1583348638390,
        },
        "pathParameters": {},
        "stageVariables": {},
    }
