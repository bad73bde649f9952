"""A model of how Amazon API Gateway runs a Lambda authorizer, for tests and the local demo.

Written from AWS's documentation, independently of `cognito_jwt.authorizer`
(it imports nothing from it), so that tests can check the authorizer against
it rather than against itself.  What it models, and where each fact comes from
(see `docs/lambda-authorizer.md` for the quotes):

* **Routing.**  REST resources with methods (`ANY` included, path templates
  `{id}` and greedy `{proxy+}`); HTTP API routes (`GET /news`, `ANY /news`,
  `ANY /{proxy+}`, `$default`); a WebSocket API's `$connect`.  A request that
  matches no route never reaches the authorizer.  Odd spellings (`/%6Eews`,
  `//news`, `/x/../news`, `delete`) are routed as spelled (a lower-case
  method reaches `ANY` routes only; a greedy template takes anything) and
  named so in the ARN; `backend_reads` says which route a lenient backend
  serves them as.
* **The event** of each kind: REST `TOKEN` and `REQUEST`, HTTP API payload
  1.0 and 2.0, WebSocket `$connect`.  A REST `methodArn` names the request
  (verb and path as called).  Whether an HTTP API `routeArn` does the same or
  names the route (`.../ANY/news`, `.../$default`) the documentation leaves
  open, so both are modelled (`ArnForm`).
* **The result cache**: keyed by the token alone (`per-token`), by the token
  and the route (`per-route`: REST `context.httpMethod` + `context.resourcePath`,
  HTTP API `$context.routeKey`), or off; entries live for `ttl` seconds.  Only
  answers are cached: an `Unauthorized` error (401) and any other failure (500)
  are not.
* **The decision**: an error whose message is exactly `Unauthorized` is a 401,
  any other error or a malformed answer a 500; an IAM policy is evaluated
  against the request's ARN (an explicit `Deny` wins, else an `Allow` allows,
  else 403); a simple response's `isAuthorized` allows or gives 403.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote

__all__ = [
    "ApiModel",
    "ArnForm",
    "CacheMode",
    "EventKind",
    "ModelRoute",
    "Outcome",
    "backend_reads",
    "iam_allows",
]

EventKind = Literal["rest-token", "rest-request", "http-v1", "http-v2", "websocket"]
CacheMode = Literal["per-token", "per-route", "off"]
ArnForm = Literal["request", "route"]
#: `handler(event, context) -> response`, as Lambda calls it.
Handler = Callable[[dict[str, Any], Any], Any]

ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
ACCOUNT = "123456789012"
API_ID = "a1b2c3d4e5"


@dataclass(frozen=True)
class ModelRoute:
    """A method of a REST resource, an HTTP API route, or a WebSocket route.

    `method` is an HTTP verb or `ANY`; `path` a resource path with optional
    `{name}` / `{name+}` segments.  `$default` (HTTP) and `$connect`
    (WebSocket) are written as the method, with an empty path.
    """

    method: str
    path: str = ""
    protected: bool = True

    @property
    def key(self) -> str:
        """The route key, `"ANY /{proxy+}"` or `"$default"`."""
        return f"{self.method} {self.path}" if self.path else self.method


@dataclass(frozen=True)
class Outcome:
    """What the client gets, and whether the authorizer function was called."""

    status: int
    invoked: bool
    route: ModelRoute | None = None


def _template_regex(path: str) -> re.Pattern[str]:
    parts = []
    for segment in path.strip("/").split("/") if path != "/" else []:
        if segment.startswith("{") and segment.endswith("+}"):
            # Greedy: whatever follows, as the client spelled it (`//x`, `a/../b`).
            parts.append(".+")
        elif segment.startswith("{") and segment.endswith("}"):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


def _specificity(route: ModelRoute) -> tuple[int, int, int]:
    """Higher wins: literal paths over templates over greedy ones, a verb over ANY."""
    segments = route.path.strip("/").split("/")
    greedy = sum(s.endswith("+}") for s in segments)
    templates = sum(s.startswith("{") for s in segments)
    return (-greedy, len(segments) - templates, int(route.method != "ANY"))


def backend_reads(method: str, path: str) -> tuple[str, str]:
    """The request as a lenient backend reads it: the route its handler serves.

    Starlette, Werkzeug and Django decode `%XX` before routing, nginx merges
    slashes and resolves dot segments, Werkzeug upper-cases the method, and
    `/news/` is the `/news` resource.  AWS does not document whether API
    Gateway's ARN carries the path in either form, so the model sends the
    client's spelling and a test asks this function what it reaches.
    """
    merged = re.sub("/{2,}", "/", unquote(path))
    kept: list[str] = []
    for segment in merged.split("/")[1:]:
        if segment == "..":
            kept = kept[:-1]
        elif segment != ".":
            kept.append(segment)
    read = "/" + "/".join(kept)
    if len(read) > 1 and read.endswith("/"):
        read = read[:-1]
    return method.upper(), read


def iam_match(pattern: str, value: str) -> bool:
    """IAM resource matching: `*` any run of characters (`/` included), `?` one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def iam_allows(policy: Mapping[str, Any], arn: str) -> bool | None:
    """Evaluate an authorizer's IAM policy for `arn`; `None` when it is malformed (500)."""
    document = policy.get("policyDocument")
    if not isinstance(document, Mapping) or not isinstance(policy.get("principalId"), str):
        return None
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        return None
    allowed = False
    for statement in statements:
        if not isinstance(statement, Mapping) or statement.get("Effect") not in ("Allow", "Deny"):
            return None
        actions = statement.get("Action")
        resources = statement.get("Resource")
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if not isinstance(actions, list) or not isinstance(resources, list) or not resources:
            return None
        if not any(iam_match(a.lower(), "execute-api:invoke") for a in actions):
            continue
        if any(iam_match(r, arn) for r in resources):
            if statement["Effect"] == "Deny":
                return False
            allowed = True
    return allowed


@dataclass
class ApiModel:
    """One API stage behind one Lambda authorizer, with API Gateway's result cache.

    Args:
        kind: the authorizer's event kind (decides the API type too).
        routes: the API's routes.
        handler: the authorizer function.
        cache: how the authorizer's identity sources key its result cache.
        ttl: the result TTL in seconds (ignored when `cache` is `"off"`).
        simple_responses: an HTTP API 2.0 authorizer with simple responses on.
        arn_form: what an HTTP API puts in `routeArn`/`methodArn`.
        stage: the stage name.
        partition: the ARN partition.
    """

    kind: EventKind
    routes: Sequence[ModelRoute]
    handler: Handler
    cache: CacheMode = "per-token"
    ttl: float = 300.0
    simple_responses: bool = False
    arn_form: ArnForm = "request"
    stage: str = "api"
    partition: str = "aws"
    #: `arn:<partition>:execute-api:<region>:<account>:<api_id>`, if not the model's own.
    arn_prefix: str | None = None
    now: float = 0.0
    invocations: int = 0
    _cache: dict[tuple[str, ...], tuple[float, Any]] = field(default_factory=dict)

    @property
    def stage_arn(self) -> str:
        """`arn:<partition>:execute-api:us-east-1:<account>:<api>/<stage>`."""
        prefix = self.arn_prefix or f"arn:{self.partition}:execute-api:us-east-1:{ACCOUNT}:{API_ID}"
        return f"{prefix}/{self.stage}"

    def advance(self, seconds: float) -> None:
        """Let time pass (cached answers expire after `ttl`)."""
        self.now += seconds

    # ------------------------------------------------------------- routing

    def route_for(self, method: str, path: str) -> ModelRoute | None:
        """The route API Gateway would pick, or `None` (no route: 403/404)."""
        if self.kind == "websocket":
            return next((r for r in self.routes if r.method == "$connect"), None)
        # A trailing slash reaches the same resource (`/news/` is `/news`); the
        # ARN keeps the path as called.
        routed = path[:-1] if len(path) > 1 and path.endswith("/") else path
        matches = [
            r
            for r in self.routes
            if r.path
            and r.method in (method, "ANY")
            and _template_regex(r.path).fullmatch(routed) is not None
        ]
        if matches:
            return max(matches, key=_specificity)
        return next((r for r in self.routes if r.method == "$default"), None)

    def arn(self, method: str, path: str, route: ModelRoute) -> str:
        """The ARN the authorizer event names and the cached policy is matched against."""
        if self.kind == "websocket":
            return f"{self.stage_arn}/$connect"
        if self.kind.startswith("http") and self.arn_form == "route":
            if not route.path:
                return f"{self.stage_arn}/{route.method}"
            return f"{self.stage_arn}/{route.method}/{route.path.removeprefix('/')}"
        return f"{self.stage_arn}/{method}/{path.removeprefix('/')}"

    # -------------------------------------------------------------- events

    def event(self, method: str, path: str, token: str, route: ModelRoute) -> dict[str, Any]:
        """The authorizer event for one request, in the shape of `kind`."""
        arn = self.arn(method, path, route)
        header = {"Authorization": token}
        account, api_id = self.stage_arn.split(":")[4], self.stage_arn.split(":")[5].split("/")[0]
        context: dict[str, Any] = {"accountId": account, "apiId": api_id, "stage": self.stage}
        if self.kind == "rest-token":
            return {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}
        if self.kind == "websocket":
            context.update(routeKey="$connect", eventType="CONNECT", connectionId="Zm9vYmFy")
            return {
                "type": "REQUEST",
                "methodArn": arn,
                "headers": header,
                "multiValueHeaders": {"Authorization": [token]},
                "requestContext": context,
            }
        if self.kind == "rest-request":
            context.update(httpMethod=method, resourcePath=route.path, path=f"/{self.stage}{path}")
            return {
                "type": "REQUEST",
                "methodArn": arn,
                "resource": route.path,
                "path": path,
                "httpMethod": method,
                "headers": header,
                "multiValueHeaders": {"Authorization": [token]},
                "requestContext": context,
            }
        # HTTP APIs: a named stage's name leads the request path.
        raw_path = path if self.stage == "$default" else f"/{self.stage}{path}"
        if self.kind == "http-v1":
            context.update(httpMethod=method, path=raw_path, resourcePath=route.path)
            return {
                "version": "1.0",
                "type": "REQUEST",
                "methodArn": arn,
                "identitySource": token,
                "authorizationToken": token,
                "resource": route.path,
                "path": raw_path,
                "httpMethod": method,
                "headers": header,
                "requestContext": context,
            }
        context.update(routeKey=route.key, http={"method": method, "path": raw_path})
        return {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": arn,
            "identitySource": [token],
            "routeKey": route.key,
            "rawPath": raw_path,
            "headers": {"authorization": token},
            "requestContext": context,
        }

    # ------------------------------------------------------------ requests

    def cache_key(self, method: str, token: str, route: ModelRoute) -> tuple[str, ...] | None:
        """The result-cache key of a request, `None` when nothing is cached."""
        if self.cache == "off" or self.ttl <= 0:
            return None
        if self.cache == "per-token" or self.kind in ("rest-token", "websocket"):
            return (token,)
        if self.kind == "rest-request":
            return (token, method, route.path)
        return (token, route.key)

    def request(self, method: str, path: str, token: str) -> Outcome:
        """Send one request through the stage: route, authorizer (or cache), decision."""
        route = self.route_for(method, path)
        if route is None:
            return Outcome(404 if self.kind.startswith("http") else 403, invoked=False)
        if not route.protected:
            return Outcome(200, invoked=False, route=route)
        if not token:
            return Outcome(401, invoked=False, route=route)  # identity source missing
        key = self.cache_key(method, token, route)
        cached = self._cache.get(key) if key is not None else None
        invoked = False
        if cached is not None and cached[0] > self.now:
            answer = cached[1]
        else:
            invoked = True
            self.invocations += 1
            try:
                answer = self.handler(self.event(method, path, token, route), None)
            except Exception as error:
                return Outcome(401 if str(error) == "Unauthorized" else 500, invoked, route)
            decision = self._decide(answer, method, path, route)
            if decision is None:
                return Outcome(500, invoked, route)
            if key is not None:
                self._cache[key] = (self.now + self.ttl, answer)
            return Outcome(200 if decision else 403, invoked, route)
        decision = self._decide(answer, method, path, route)
        return Outcome(500 if decision is None else 200 if decision else 403, invoked, route)

    def _decide(self, answer: Any, method: str, path: str, route: ModelRoute) -> bool | None:
        if not isinstance(answer, Mapping):
            return None
        if self.simple_responses:
            authorized = answer.get("isAuthorized")
            return authorized if isinstance(authorized, bool) else None
        return iam_allows(answer, self.arn(method, path, route))
