"""What API Gateway sends a Lambda authorizer: event shapes, ARNs, the token, the 401.

API Gateway sends five event shapes: REST `TOKEN`, REST `REQUEST`, HTTP API
payload 1.0 and 2.0, and WebSocket `$connect` (a `REQUEST` event whose
`methodArn` ends in the route key).  This module reads all of them into one
`ApiRequest` and finds the token in them; it decides nothing.

Two facts shape it (sources in `docs/lambda-authorizer.md`):

* A REST `methodArn` names the request itself: the HTTP verb and the path as
  called, `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{verb}/{path}`.
  A WebSocket one names the route key: `.../{stage}/$connect`.
* For HTTP APIs AWS's own examples do not settle whether `routeArn` is built
  from the request or from the route (`ANY /{proxy+}`, `$default`), so the
  method and path come from the request fields (`requestContext.http.method`,
  `rawPath`, `httpMethod`, `path`), and `ApiRequest.arn_names_request` says
  whether the ARN could tell this request apart from another one on the same
  route.  Where the fields disagree, every candidate path is kept
  (`ApiRequest.paths`) so that a rule can require what any of them requires.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, NoReturn, TypeAlias
from urllib.parse import unquote

from cognito_jwt._token import bearer_credentials

__all__ = [
    "HTTP_METHODS",
    "ApiRequest",
    "EventKind",
    "ExecuteApiArn",
    "Unauthorized",
    "describe_request",
    "extract_token",
    "parse_execute_api_arn",
    "require_token",
    "spellings",
    "stage_resource",
    "unauthorized",
]

EventKind: TypeAlias = Literal["rest-token", "rest-request", "http-v1", "http-v2", "websocket"]

#: The HTTP methods API Gateway routes (`ANY` stands for all of them).
HTTP_METHODS: Final = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
_HTTP_METHOD_SET: Final = frozenset(HTTP_METHODS)
_DOUBLE_SLASHES: Final = re.compile("/{2,}")


# --------------------------------------------------------------------------- 401


class Unauthorized(Exception):
    """The one failure API Gateway turns into **401 Unauthorized**.

    API Gateway matches the Lambda error *message*, which must be exactly
    `"Unauthorized"`; the Python runtime reports `str(exception)` as that
    message.  Any other error (or message) becomes a 500, and a returned `Deny`
    policy becomes a 403, so this class is the only way to say "no valid
    credentials" from an authorizer.  The constructor takes no argument on
    purpose: a reason belongs in the log, never in the message.
    """

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def unauthorized() -> NoReturn:
    """Raise `Unauthorized`, i.e. make API Gateway answer 401.

    Kept for code written against earlier versions; `raise Unauthorized` says
    the same thing and cannot be misspelt either.
    """
    raise Unauthorized


# ------------------------------------------------------------------ ARN parsing


@dataclass(frozen=True, slots=True)
class ExecuteApiArn:
    """The parts of an `execute-api` method or route ARN.

    `arn:<partition>:execute-api:<region>:<account>:<api_id>/<stage>/<method>/<path>`

    Attributes:
        partition: `aws`, `aws-cn`, `aws-us-gov`, ... kept verbatim, since a
            policy naming the wrong partition simply never matches.
        method: an HTTP verb, `ANY`, or a route key such as `$connect` or
            `$default`; empty when the ARN names no method.
        path: the path with a leading `/` (`/` for the root); empty when the ARN
            ends in a route key (`.../$connect`), which has no path.
    """

    partition: str
    region: str
    account: str
    api_id: str
    stage: str
    method: str
    path: str

    @property
    def stage_prefix(self) -> str:
        """`arn:...:<api_id>/<stage>`, the prefix shared by every route of the stage."""
        return (
            f"arn:{self.partition}:execute-api:{self.region}:{self.account}:"
            f"{self.api_id}/{self.stage}"
        )

    def resource(self, method: str = "*", path: str = "*") -> str:
        """An ARN (pattern) for `method` and `path` in the same stage.

        `path` is given with or without its leading `/`; `*` is an IAM wildcard
        and matches across `/`.
        """
        return f"{self.stage_prefix}/{method}/{path.removeprefix('/')}"


def parse_execute_api_arn(arn: str) -> ExecuteApiArn:
    """Split a `methodArn` / `routeArn` into its parts.

    Raises:
        ValueError: not an `execute-api` ARN with at least an API id and a
            stage.  API Gateway never sends one; seeing it means the event was
            built by hand, and guessing a policy resource would be unsafe.
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "execute-api":
        raise ValueError(f"not an execute-api ARN: {arn[:200]!r}")
    _, partition, _, region, account, rest = parts
    segments = rest.split("/", 3)
    if len(segments) < 2 or not all((partition, region, account, segments[0], segments[1])):
        raise ValueError(f"execute-api ARN without api id and stage: {arn[:200]!r}")
    method = segments[2] if len(segments) > 2 else ""
    # A route key such as `$connect` ends the ARN: there is no path at all.
    no_path = "" if method.startswith("$") else "/"
    path = "/" + segments[3] if len(segments) > 3 else no_path
    return ExecuteApiArn(partition, region, account, segments[0], segments[1], method, path)


def stage_resource(arn: str) -> str:
    """The policy resource covering every route of `arn`'s stage: `.../<stage>/*`.

    `arn:aws-cn:execute-api:cn-north-1:123:abc/prod/GET/news` becomes
    `arn:aws-cn:execute-api:cn-north-1:123:abc/prod/*`.  One `*` after the
    stage, not `*/*`, so that it also covers ARNs without a path, such as a
    WebSocket API's `.../prod/$connect` or an HTTP API's `.../prod/$default`.
    """
    return f"{parse_execute_api_arn(arn).stage_prefix}/*"


# ----------------------------------------------------------- request description


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """What an authorization rule may know about the request being authorized.

    Attributes:
        kind: which of the five event shapes API Gateway sent.
        method: the request's upper-case HTTP method, or `"$connect"` for a
            WebSocket connection; `""` when the event does not say.
        path: the request path relative to the stage, with a leading `/`;
            `""` for a WebSocket connection (it has no path).
        arn: the `methodArn` (REST, HTTP API 1.0, WebSocket) or `routeArn`
            (HTTP API 2.0); `""` if absent.
        route_key: the HTTP API route key such as `"DELETE /news"`,
            `"ANY /{proxy+}"` or `"$default"`, else `None`.
        paths: every path the event gives for this request, `path` first.
            Usually one; two when, say, `rawPath` carries the stage name and
            the ARN does not.  Rules built by `require_groups_for` must be met
            for each of them.
        arn_names_request: whether `arn` itself names this request's method
            and path.  `False` for an ARN holding `ANY`, `$default` or a path
            template, which other requests on the same route share: a policy
            cannot then tell this request from its neighbours.
    """

    kind: EventKind
    method: str
    path: str
    arn: str
    route_key: str | None = None
    paths: tuple[str, ...] = ()
    arn_names_request: bool = True

    @property
    def parsed_arn(self) -> ExecuteApiArn:
        """`arn`, parsed (raises `ValueError` when there is none)."""
        return parse_execute_api_arn(self.arn)

    @property
    def all_paths(self) -> tuple[str, ...]:
        """`paths`, or just `path` when the event gave one."""
        return self.paths or (self.path,)


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _parsed(arn: str) -> ExecuteApiArn | None:
    try:
        return parse_execute_api_arn(arn) if arn else None
    except ValueError:
        return None


def _kind(event: Mapping[str, Any], arn: ExecuteApiArn | None = None) -> EventKind:
    version = event.get("version")
    if version == "2.0":
        return "http-v2"
    if version == "1.0":
        return "http-v1"
    if event.get("type") == "TOKEN":
        return "rest-token"
    context = _mapping(event.get("requestContext"))
    if "connectionId" in context or context.get("eventType") == "CONNECT":
        return "websocket"
    if arn is None:
        arn = _parsed(_str(event.get("methodArn")))
    if arn is not None and arn.method.startswith("$") and not arn.path:
        return "websocket"
    return "rest-request"


def _http_method(value: str) -> str:
    upper = value.upper()
    return upper if upper in _HTTP_METHOD_SET else ""


def _without_stage(path: str, stage: str) -> str | None:
    """`/dev/news` -> `/news` on stage `dev` (HTTP API paths may carry the stage)."""
    if not stage or stage == "$default":
        return None
    prefix = f"/{stage}"
    if path == prefix:
        return "/"
    if path.startswith(prefix + "/"):
        return path.removeprefix(prefix)
    return None


def _without_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 on an absolute path: `/a/./b/../c` -> `/a/c`."""
    segments = path.split("/")[1:]
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    trailing = segments[-1] in (".", "..") and bool(kept)
    return "/" + "/".join(kept) + ("/" if trailing else "")


def spellings(path: str | None) -> list[str]:
    """`path` and the spellings a backend may read as the same path.

    Percent-encoded characters decoded, doubled slashes folded, dot segments
    resolved, one trailing slash dropped (`/news/` reaches the `/news`
    resource): a key for `/news` must apply to each of them, so a client
    cannot step around it.
    """
    if not path or not path.startswith("/"):
        return []
    spellings = [path]
    decoded = unquote(path)
    folded = _DOUBLE_SLASHES.sub("/", decoded)
    for variant in (decoded, folded, _without_dot_segments(folded)):
        if variant not in spellings:
            spellings.append(variant)
    for variant in list(spellings):
        if len(variant) > 1 and variant.endswith("/") and variant[:-1] not in spellings:
            spellings.append(variant[:-1])
    return spellings


def _arn_names(arn: ExecuteApiArn | None, kind: EventKind) -> bool:
    if arn is None:
        return False
    if kind == "websocket":
        return arn.method == "$connect" and not arn.path
    return arn.method in _HTTP_METHOD_SET and "{" not in arn.path and "}" not in arn.path


def describe_request(event: Mapping[str, Any]) -> ApiRequest:
    """Work out event shape, method, path and ARN from an authorizer event.

    The method and path are the *request's*: `requestContext.http.method` and
    `rawPath` (HTTP API 2.0), `httpMethod` and `path` (REST `REQUEST`, HTTP API
    1.0), or the ARN, the only source in a `TOKEN` event.  A REST ARN names the
    request, so its path comes first there; an HTTP API ARN may name the route
    instead (`ANY`, `$default`, `{proxy+}`), so the request fields come first
    there and the ARN path is used only when it is concrete.
    """
    arn = _str(event.get("routeArn")) or _str(event.get("methodArn"))
    parsed = _parsed(arn)
    kind = _kind(event, parsed)
    names = _arn_names(parsed, kind)
    context = _mapping(event.get("requestContext"))
    http = _mapping(context.get("http"))
    route_key = _str(event.get("routeKey")) or _str(context.get("routeKey")) or None
    stage = _str(context.get("stage")) or (parsed.stage if parsed else "")
    arn_method = parsed.method if parsed else ""
    # The ARN's path is a candidate whenever it is a path: a REST ARN's always
    # (AWS documents it as the request's, so even an odd one is kept), an HTTP
    # API's unless it is a route template; even on an `ANY` route, so that a
    # request path carrying a custom domain's base path (HTTP API 1.0 `path`)
    # still meets the keys for `/news`.
    arn_path = parsed.path if parsed else ""
    if kind.startswith("http") and ("{" in arn_path or "}" in arn_path):
        arn_path = ""

    if kind == "websocket":
        method = arn_method if arn_method.startswith("$") else (route_key or "")
        return ApiRequest(kind, method, "", arn, route_key, ("",), names)

    if kind in ("rest-token", "rest-request"):
        method = _http_method(_str(event.get("httpMethod")) or _str(context.get("httpMethod")))
        method = method or _http_method(arn_method)
        candidates = [arn_path, _str(event.get("path"))]
    else:
        method = _http_method(
            _str(http.get("method"))
            or _str(event.get("httpMethod"))
            or _str(context.get("httpMethod"))
        )
        if not method and names:
            method = _http_method(arn_method)
        if not method and route_key and " " in route_key:
            method = _http_method(route_key.split(" ", 1)[0])
        candidates = [
            arn_path,
            _str(event.get("rawPath")),
            _str(http.get("path")),
            _str(event.get("path")),
        ]
    if names and method and arn_method.upper() != method:
        names = False  # the ARN names another request than the event's own fields
    if names and arn_path:
        # The ARN names this request: its path (relative to the stage, without a
        # custom domain's base path) is what API Gateway matches the policy
        # against, so it is the request's path; the event's other fields only
        # add readings that are not it.
        candidates = [arn_path]
    paths: list[str] = []
    for candidate in candidates:
        # HTTP API request paths on a named stage start with the stage name; an
        # ARN's path and a REST `path` never do (`requestContext.path` would).
        reads_stage = kind.startswith("http") and candidate is not arn_path
        stripped = _without_stage(candidate, stage) if reads_stage else None
        for path in (stripped, candidate):
            for variant in spellings(path):
                if variant not in paths:
                    paths.append(variant)
    if not paths:
        paths.append("/")
    return ApiRequest(kind, method, paths[0], arn, route_key, tuple(paths), names)


# ------------------------------------------------------------- token extraction


def _header(event: Mapping[str, Any], name: str) -> str | None:
    wanted = name.lower()
    headers = event.get("headers")
    if isinstance(headers, Mapping):
        for key, value in headers.items():
            if isinstance(key, str) and key.lower() == wanted and isinstance(value, str):
                return value
    multi = event.get("multiValueHeaders")
    if isinstance(multi, Mapping):
        for key, values in multi.items():
            if isinstance(key, str) and key.lower() == wanted and isinstance(values, list):
                for value in values:
                    if isinstance(value, str) and value.strip():
                        return value
    return None


def _query(event: Mapping[str, Any], name: str) -> str | None:
    params = event.get("queryStringParameters")
    if isinstance(params, Mapping):
        value = params.get(name)
        if isinstance(value, str):
            return value
    return None


def _single_identity_source(event: Mapping[str, Any]) -> str | None:
    """The identity source value, when the event carries exactly one.

    HTTP API 2.0 sends a list, 1.0 a comma-joined string.  With several sources
    there is no telling which one is the token, so none is guessed.
    """
    source = event.get("identitySource")
    if isinstance(source, list):
        values = [v for v in source if isinstance(v, str) and v.strip()]
        return values[0] if len(values) == 1 else None
    if isinstance(source, str) and source.strip() and "," not in source:
        return source
    return None


def extract_token(
    event: Mapping[str, Any],
    *,
    header: str = "Authorization",
    query_parameter: str | None = None,
) -> str | None:
    """Return the bearer token an authorizer event carries, or `None`.

    Looks, in order, at: `authorizationToken` of a REST `TOKEN` event; the
    `header` in `headers` then `multiValueHeaders` (name matched
    case-insensitively, because REST APIs keep the client's spelling while HTTP
    API 2.0 lower-cases it); the `query_parameter` if one is named (WebSocket
    `$connect` clients in browsers cannot set headers); finally a single
    `identitySource` value, or the HTTP API 1.0 `authorizationToken`.  Each is
    read by `cognito_jwt._token.bearer_credentials`, as every entry point reads
    an `Authorization` value: `Bearer <token>` or a bare token.

    Args:
        event: the authorizer event, any shape.
        header: the header holding the token.
        query_parameter: also accept the token from this query-string parameter.
    """
    kind = _kind(event)
    candidates: list[str | None] = []
    if kind == "rest-token":
        candidates.append(_str(event.get("authorizationToken")))
    else:
        candidates.append(_header(event, header))
        if query_parameter:
            candidates.append(_query(event, query_parameter))
        candidates.append(_single_identity_source(event))
        if kind == "http-v1":
            candidates.append(_str(event.get("authorizationToken")))
    for candidate in candidates:
        token = bearer_credentials(candidate)
        if token:
            return token
    return None


def require_token(
    event: Mapping[str, Any],
    *,
    header: str = "Authorization",
    query_parameter: str | None = None,
) -> str:
    """`extract_token`, raising `Unauthorized` (401) when there is none."""
    token = extract_token(event, header=header, query_parameter=query_parameter)
    if token is None:
        raise Unauthorized
    return token
