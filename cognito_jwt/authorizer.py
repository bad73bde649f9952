"""Amazon API Gateway Lambda authorizers built on a cognito_jwt verifier.

A Lambda authorizer has three jobs, and each one has a trap that this module
exists to avoid:

1. **Find the token.**  API Gateway sends four different event shapes (REST
   ``TOKEN``, REST ``REQUEST``, HTTP API payload 1.0 and 2.0), with header names
   in whatever case the client used.  `extract_token` handles all of them.
2. **Say no the right way.**  Only an error whose message is exactly
   ``"Unauthorized"`` makes API Gateway answer 401; a returned ``Deny`` policy
   means 403, and any other error means 500.  `Unauthorized` and
   `make_handler` map the library's errors onto exactly these outcomes.
3. **Return a policy that survives the cache.**  API Gateway caches the
   authorizer's answer per token and reuses it for *every* route of the stage.
   A policy that only names the current method ARN makes the next route a
   surprise 403; an ``Allow`` that ignores per-route rules lets a cached answer
   open a route it should not.  The builders here therefore cover the whole
   stage by default and express per-route group rules as explicit ``Deny``
   statements, which IAM evaluation lets win over the stage-wide ``Allow``.

Typical use (in the Lambda's module scope, so the verifier and its JWKS are
reused across invocations)::

    from cognito_jwt import CognitoJwtVerifier
    from cognito_jwt.authorizer import make_handler, require_groups_for

    verifier = CognitoJwtVerifier(user_pool_id=..., token_use="id", client_id=...)
    verifier.hydrate()
    handler = make_handler(verifier, rule=require_groups_for({"DELETE": "admin"}))

Nothing here imports boto3 or any AWS SDK: the module is standard library plus
cognito_jwt, so it adds nothing to the Lambda package.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal, NoReturn, Protocol, TypeAlias

from cognito_jwt.errors import (
    AccessDeniedError,
    CognitoJwtError,
    InvalidTokenError,
    JwksUnavailableError,
)

__all__ = [
    "ApiRequest",
    "ContextValue",
    "ExecuteApiArn",
    "GroupRule",
    "LambdaAuthorizer",
    "Rule",
    "TokenVerifier",
    "Unauthorized",
    "allow_policy",
    "deny_policy",
    "describe_request",
    "extract_token",
    "flatten_context",
    "make_handler",
    "parse_execute_api_arn",
    "policy_allows",
    "policy_response",
    "require_groups_for",
    "require_token",
    "simple_response",
    "stage_resource",
    "unauthorized",
]

logger = logging.getLogger("cognito_jwt")

#: The value types API Gateway accepts in a REST authorizer's ``context``.
ContextValue: TypeAlias = str | int | float | bool

EventKind: TypeAlias = Literal["rest-token", "rest-request", "http-v1", "http-v2"]
ResponseFormat: TypeAlias = Literal["auto", "policy", "simple"]
PolicyScope: TypeAlias = Literal["stage", "method"]

POLICY_VERSION: Final = "2012-10-17"
INVOKE_ACTION: Final = "execute-api:Invoke"
_ANONYMOUS: Final = "anonymous"
_ANY_METHOD: Final = frozenset({"*", "ANY"})


class TokenVerifier(Protocol):
    """Anything with ``verify(token) -> claims``.

    `CognitoJwtVerifier`, `JwtVerifier`
    and `MultiIssuerVerifier` all qualify; so does a stub in
    a unit test.
    """

    def verify(self, token: str) -> Mapping[str, Any]:
        """Return the verified claims or raise a `CognitoJwtError`."""
        ...


# --------------------------------------------------------------------------- 401


class Unauthorized(Exception):
    """The one failure API Gateway turns into **401 Unauthorized**.

    API Gateway matches the Lambda error *message*, which must be exactly
    ``"Unauthorized"``; the Python runtime reports ``str(exception)`` as that
    message.  Any other error (or message) becomes a 500, and a returned
    ``Deny`` policy becomes a 403, so this class is the only way to say "no
    valid credentials" from a REST API authorizer.  The constructor takes no
    argument on purpose: a reason must go to the log, never into the message.
    """

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def unauthorized() -> NoReturn:
    """Raise `Unauthorized`, i.e. make API Gateway answer 401.

    A named helper rather than ``raise Exception("Unauthorized")`` scattered
    through handlers: the exact spelling matters and a typo silently turns every
    401 into a 500.
    """
    raise Unauthorized


# ------------------------------------------------------------------ ARN parsing


@dataclass(frozen=True, slots=True)
class ExecuteApiArn:
    """The parts of an ``execute-api`` method or route ARN.

    ``arn:<partition>:execute-api:<region>:<account>:<api_id>/<stage>/<method>/<path>``

    Attributes:
        partition: ``aws``, ``aws-cn``, ``aws-us-gov``, ... kept verbatim, since
            a policy naming the wrong partition simply never matches.
        method: HTTP verb, or a WebSocket route key such as ``$connect``; empty
            when the ARN names no method.
        path: the request path with a leading ``/`` (``/`` for the root).
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
        """``arn:...:<api_id>/<stage>``, the prefix shared by every route of the stage."""
        return (
            f"arn:{self.partition}:execute-api:{self.region}:{self.account}:"
            f"{self.api_id}/{self.stage}"
        )

    def resource(self, method: str = "*", path: str = "*") -> str:
        """An ARN (pattern) for ``method`` and ``path`` in the same stage.

        ``path`` is given with or without its leading ``/``; ``*`` is an IAM
        wildcard and matches across ``/``.
        """
        return f"{self.stage_prefix}/{method}/{path.removeprefix('/')}"


def parse_execute_api_arn(arn: str) -> ExecuteApiArn:
    """Split a ``methodArn`` / ``routeArn`` into its parts.

    Raises:
        ValueError: not an ``execute-api`` ARN with at least an API id and a
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
    path = "/" + segments[3] if len(segments) > 3 else "/"
    return ExecuteApiArn(partition, region, account, segments[0], segments[1], method, path)


def stage_resource(arn: str) -> str:
    """The policy resource covering every method and path of ``arn``'s stage.

    ``arn:aws-cn:execute-api:cn-north-1:123:abc/prod/GET/news`` becomes
    ``arn:aws-cn:execute-api:cn-north-1:123:abc/prod/*/*``.  Returning this
    instead of the method ARN keeps API Gateway's per-token result cache
    correct when the same token is then used on another route.
    """
    return parse_execute_api_arn(arn).resource("*", "*")


# ----------------------------------------------------------- request description


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """What an authorization rule may know about the request being authorized.

    Attributes:
        kind: which of the four event shapes API Gateway sent.
        method: upper-case HTTP method (``""`` if the event carries none).
        path: request path with a leading ``/``, as it appears in the ARN.
        arn: the ``methodArn`` (REST, HTTP API 1.0) or ``routeArn`` (2.0);
            ``""`` if absent.
        route_key: HTTP API route key such as ``"DELETE /news"``, else ``None``.
    """

    kind: EventKind
    method: str
    path: str
    arn: str
    route_key: str | None = None

    @property
    def parsed_arn(self) -> ExecuteApiArn:
        """`arn`, parsed (raises ``ValueError`` when there is none)."""
        return parse_execute_api_arn(self.arn)


def _kind(event: Mapping[str, Any]) -> EventKind:
    version = event.get("version")
    if version == "2.0":
        return "http-v2"
    if version == "1.0":
        return "http-v1"
    if event.get("type") == "TOKEN":
        return "rest-token"
    return "rest-request"


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def describe_request(event: Mapping[str, Any]) -> ApiRequest:
    """Work out event shape, method, path and ARN from an authorizer event.

    The ARN is the one source present in every shape (a ``TOKEN`` event carries
    nothing else), so method and path come from it first; ``httpMethod``,
    ``requestContext.http.method`` and ``routeKey`` fill in when an event has no
    usable ARN.
    """
    kind = _kind(event)
    arn = _str(event.get("routeArn")) or _str(event.get("methodArn"))
    method = path = ""
    if arn:
        try:
            parsed = parse_execute_api_arn(arn)
        except ValueError:
            pass
        else:
            method, path = parsed.method, parsed.path
    route_key = _str(event.get("routeKey")) or None
    request_context = event.get("requestContext")
    http = request_context.get("http") if isinstance(request_context, Mapping) else None
    if not method:
        method = (
            _str(event.get("httpMethod"))
            or (_str(http.get("method")) if isinstance(http, Mapping) else "")
            or (route_key.split(" ", 1)[0] if route_key and " " in route_key else "")
        )
    if not path:
        path = (
            _str(event.get("path"))
            or (_str(http.get("path")) if isinstance(http, Mapping) else "")
            or _str(event.get("rawPath"))
            or "/"
        )
    return ApiRequest(kind, method.upper(), path, arn, route_key)


# ------------------------------------------------------------- token extraction


def _strip_scheme(value: str) -> str | None:
    """``"Bearer x"`` -> ``"x"``; a bare token (what Cognito authorizers expect) stays."""
    value = value.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    return value or None


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
    """Return the bearer token an authorizer event carries, or ``None``.

    Looks, in order, at: ``authorizationToken`` of a REST ``TOKEN`` event; the
    ``header`` in ``headers`` then ``multiValueHeaders`` (name matched
    case-insensitively, because REST APIs keep the client's spelling while HTTP
    API 2.0 lower-cases it); the ``query_parameter`` if one is named (WebSocket
    ``$connect`` clients cannot set headers); finally a single
    ``identitySource`` value, or the HTTP API 1.0 ``authorizationToken``.  A
    ``Bearer`` scheme is stripped; a bare token is accepted too, because that is
    what API Gateway's own Cognito authorizer expects clients to send.

    Args:
        event: the authorizer event, any shape.
        header: the header holding the token.
        query_parameter: also accept the token from this query-string parameter.
    """
    candidates: list[str | None] = []
    if _kind(event) == "rest-token":
        candidates.append(_str(event.get("authorizationToken")))
    else:
        candidates.append(_header(event, header))
        if query_parameter:
            candidates.append(_query(event, query_parameter))
        candidates.append(_single_identity_source(event))
        if _kind(event) == "http-v1":
            candidates.append(_str(event.get("authorizationToken")))
    for candidate in candidates:
        token = _strip_scheme(candidate) if candidate else None
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
        unauthorized()
    return token


# ---------------------------------------------------------------- context values


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flatten_value(value: object) -> ContextValue | None:
    if value is None:
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # JSON has no NaN/Infinity; API Gateway would reject the whole response.
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        if any(isinstance(item, Mapping | list | tuple | set | frozenset) for item in items):
            return json.dumps(items, separators=(",", ":"), default=str)
        return ",".join(_scalar_text(item) for item in items if item is not None)
    return str(value)


def flatten_context(values: Mapping[str, object]) -> dict[str, ContextValue]:
    """Make ``values`` acceptable as a REST authorizer ``context``.

    API Gateway rejects (with a 500) a REST authorizer response whose context
    holds anything but strings, numbers and booleans, so: lists become
    comma-joined strings (``["admin", "editors"]`` -> ``"admin,editors"``, the
    shape mapping templates can split), mappings and nested lists become compact
    JSON, ``None`` values are dropped, and anything else becomes ``str(value)``.
    """
    flat: dict[str, ContextValue] = {}
    for key, value in values.items():
        item = _flatten_value(value)
        if item is not None:
            flat[str(key)] = item
    return flat


# ------------------------------------------------------------ response builders


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def policy_response(
    principal_id: str,
    *,
    allow: str | Sequence[str] = (),
    deny: str | Sequence[str] = (),
    context: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """An IAM-policy authorizer response (REST APIs, HTTP API payload 1.0).

    Args:
        principal_id: the caller's identity as API Gateway should log it
            (``$context.authorizer.principalId``).
        allow: resources (ARNs, ``*`` wildcards allowed) to allow.
        deny: resources to deny explicitly.  An explicit ``Deny`` beats any
            ``Allow``, which is how a stage-wide allow can still exclude routes.
        context: passed to the integration as ``$context.authorizer.<key>``;
            flattened with `flatten_context`.

    Raises:
        ValueError: neither ``allow`` nor ``deny`` names a resource (API
            Gateway would answer 500 for an empty policy).
    """
    allowed, denied = _as_list(allow), _as_list(deny)
    if not allowed and not denied:
        raise ValueError("a policy needs at least one allowed or denied resource")
    statements: list[dict[str, Any]] = []
    if allowed:
        statements.append({"Action": INVOKE_ACTION, "Effect": "Allow", "Resource": allowed})
    if denied:
        statements.append({"Action": INVOKE_ACTION, "Effect": "Deny", "Resource": denied})
    response: dict[str, Any] = {
        "principalId": principal_id,
        "policyDocument": {"Version": POLICY_VERSION, "Statement": statements},
    }
    if context:
        response["context"] = flatten_context(context)
    return response


def allow_policy(
    principal_id: str,
    arn: str,
    *,
    scope: PolicyScope = "stage",
    context: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """Allow ``principal_id``; the resource covers ``arn``'s whole stage by default.

    Args:
        principal_id: see `policy_response`.
        arn: the event's ``methodArn`` / ``routeArn``.
        scope: ``"stage"`` (default) allows ``<api>/<stage>/*/*`` so a cached
            result stays valid on every route; ``"method"`` allows exactly
            ``arn`` (use only with the authorizer cache off).
        context: see `policy_response`.
    """
    resource = stage_resource(arn) if scope == "stage" else arn
    return policy_response(principal_id, allow=resource, context=context)


def deny_policy(
    principal_id: str,
    arn: str,
    *,
    scope: PolicyScope = "stage",
    context: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """Deny ``principal_id`` (API Gateway answers 403); arguments as `allow_policy`."""
    resource = stage_resource(arn) if scope == "stage" else arn
    return policy_response(principal_id, deny=resource, context=context)


def simple_response(
    authorized: bool, *, context: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """An HTTP API "simple" response: ``{"isAuthorized": ..., "context": ...}``.

    Only valid for HTTP API authorizers with simple responses enabled (payload
    format 2.0).  ``isAuthorized: False`` makes API Gateway answer 403.
    """
    response: dict[str, Any] = {"isAuthorized": bool(authorized)}
    if context:
        response["context"] = flatten_context(context)
    return response


# ------------------------------------------------------------ policy evaluation


@lru_cache(maxsize=256)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """IAM wildcards: ``*`` any run of characters (``/`` included), ``?`` one."""
    return re.compile(
        "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern),
        re.DOTALL,
    )


def _matches(pattern: str, value: str) -> bool:
    return _wildcard(pattern).fullmatch(value) is not None


def _strings(value: object, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(f"policy statement {what} must be a string or a list of strings")


def policy_allows(policy: Mapping[str, Any], resource_arn: str) -> bool:
    """Evaluate an authorizer policy for one request, the way API Gateway does.

    An explicit ``Deny`` matching ``resource_arn`` wins; otherwise a matching
    ``Allow`` allows; otherwise the request is implicitly denied.  Intended for
    tests and local gateways (the reference API demo uses it), so it is strict:
    anything this subset of IAM does not understand raises instead of guessing.

    Args:
        policy: a whole authorizer response, or just its ``policyDocument``.
        resource_arn: the ``methodArn`` of the request being decided.

    Raises:
        ValueError: malformed policy, or one using ``NotAction``/``NotResource``/
            ``Condition``.  (API Gateway answers 500 for malformed policies.)
    """
    document = policy.get("policyDocument", policy)
    if not isinstance(document, Mapping):
        raise ValueError("policyDocument must be an object")
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        raise ValueError("policyDocument.Statement must be a list or an object")
    allowed = False
    for statement in statements:
        if not isinstance(statement, Mapping):
            raise ValueError("policy statements must be objects")
        unsupported = {"NotAction", "NotResource", "Condition"} & statement.keys()
        if unsupported:
            raise ValueError(f"unsupported policy statement keys: {sorted(unsupported)}")
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise ValueError(f"policy statement Effect must be Allow or Deny, not {effect!r}")
        actions = _strings(statement.get("Action"), "Action")
        resources = _strings(statement.get("Resource"), "Resource")
        if not any(_matches(a.lower(), INVOKE_ACTION.lower()) for a in actions):
            continue
        if any(_matches(r, resource_arn) for r in resources):
            if effect == "Deny":
                return False
            allowed = True
    return allowed


# ------------------------------------------------------------------------- rules


#: A request-dependent rule: return ``True`` to let the verified caller in.
Rule: TypeAlias = Callable[[ApiRequest, Mapping[str, Any]], bool]


def _groups_of(claims: Mapping[str, Any]) -> frozenset[str]:
    groups = claims.get("cognito:groups")
    if isinstance(groups, str):
        return frozenset({groups})
    if isinstance(groups, list):
        return frozenset(g for g in groups if isinstance(g, str))
    return frozenset()


@dataclass(frozen=True, slots=True)
class _Requirement:
    method: str  # upper case, or "*"
    path: str  # IAM-style pattern with a leading "/", "*" for any
    groups: frozenset[str]

    def applies_to(self, request: ApiRequest) -> bool:
        method_ok = self.method in ("*", request.method)
        return method_ok and _matches(self.path, request.path)

    def resource(self, arn: ExecuteApiArn) -> str:
        return arn.resource(self.method, self.path)


class GroupRule:
    """Per-route group requirements that stay correct under authorizer caching.

    Build it with `require_groups_for`.  Because the requirements are
    declarative, the handler can turn them into a *token-only* policy: allow the
    whole stage, explicitly deny each route whose groups the caller lacks.  That
    policy is the same whichever route triggered the authorizer, so API
    Gateway may cache it per token without ever applying it wrongly.
    """

    __slots__ = ("requirements",)

    def __init__(self, requirements: Sequence[_Requirement]) -> None:
        self.requirements: tuple[_Requirement, ...] = tuple(requirements)

    def __repr__(self) -> str:
        shown = {f"{r.method} {r.path}": sorted(r.groups) for r in self.requirements}
        return f"GroupRule({shown!r})"

    def __call__(self, request: ApiRequest, claims: Mapping[str, Any]) -> bool:
        """Whether ``claims`` may call ``request`` (every applicable requirement met)."""
        groups = _groups_of(claims)
        return all(r.groups & groups for r in self.requirements if r.applies_to(request))

    def denied_resources(self, arn: ExecuteApiArn, claims: Mapping[str, Any]) -> list[str]:
        """ARN patterns in ``arn``'s stage that ``claims`` may not call."""
        groups = _groups_of(claims)
        return [r.resource(arn) for r in self.requirements if not r.groups & groups]


def require_groups_for(requirements: Mapping[str, str | Iterable[str]]) -> GroupRule:
    """A rule requiring Cognito group membership for some methods or routes.

    Keys are ``"METHOD"`` (any path) or ``"METHOD /path"``, where the method may
    be ``*``/``ANY`` and the path may use ``*`` (any characters, ``/`` included)
    and ``?``.  Values are one group name or several; membership of *any* of
    them satisfies the key.  A request must satisfy every key that applies to it;
    requests no key applies to are allowed.

    Example::

        require_groups_for({"DELETE": "admin", "* /admin/*": ["admin", "ops"]})

    Raises:
        ValueError: an empty key, or a key with no group.
    """
    parsed: list[_Requirement] = []
    for key, value in requirements.items():
        method, _, path = key.strip().partition(" ")
        method = method.upper()
        path = path.strip() or "*"
        if not method:
            raise ValueError(f"empty method in group rule key {key!r}")
        if path != "*" and not path.startswith("/"):
            path = "/" + path
        groups = frozenset([value] if isinstance(value, str) else value)
        if not groups or not all(isinstance(g, str) and g for g in groups):
            raise ValueError(f"group rule {key!r} names no group")
        parsed.append(_Requirement("*" if method in _ANY_METHOD else method, path, groups))
    return GroupRule(parsed)


# ---------------------------------------------------------------------- handler


def _default_principal(claims: Mapping[str, Any]) -> str:
    for name in ("sub", "username", "cognito:username"):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return _ANONYMOUS


def _default_context(claims: Mapping[str, Any]) -> dict[str, object]:
    """The claims an integration usually wants, under stable names."""
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) == 1:
        audience = audience[0]
    return {
        "sub": claims.get("sub"),
        "username": claims.get("cognito:username", claims.get("username")),
        "email": claims.get("email"),
        "groups": claims.get("cognito:groups"),
        "scope": claims.get("scope"),
        "token_use": claims.get("token_use"),
        "client_id": claims.get("client_id", audience),
    }


class LambdaAuthorizer:
    """A ready Lambda handler: ``handler(event, context) -> response``.

    Built by `make_handler`; see there for the outcomes.  A class rather
    than a closure so the configuration (and the verifier, e.g. to hydrate it)
    stays inspectable.
    """

    def __init__(
        self,
        verifier: TokenVerifier,
        *,
        rule: Rule | None,
        header: str,
        query_parameter: str | None,
        scope: PolicyScope,
        response_format: ResponseFormat,
        principal: Callable[[Mapping[str, Any]], str],
        context: Callable[[Mapping[str, Any]], Mapping[str, object]],
    ) -> None:
        self.verifier = verifier
        self.rule = rule
        self.header = header
        self.query_parameter = query_parameter
        self.scope: PolicyScope = scope
        self.response_format: ResponseFormat = response_format
        self.principal = principal
        self.context = context

    def __call__(self, event: Mapping[str, Any], _lambda_context: object = None) -> dict[str, Any]:
        """Authorize one API Gateway request (the Lambda entry point).

        Raises:
            Unauthorized: no token, or a token that is not valid (401).
            JwksUnavailableError: keys could not be fetched (API Gateway: 500).
        """
        request = describe_request(event)
        token = extract_token(event, header=self.header, query_parameter=self.query_parameter)
        if token is None:
            self._log(logging.INFO, request, "missing_token")
            unauthorized()
        try:
            claims = self.verifier.verify(token)
        except InvalidTokenError as error:
            self._log(logging.INFO, request, error.reason)
            raise Unauthorized from None
        except AccessDeniedError as error:
            self._log(logging.INFO, request, error.reason)
            return self._deny(request, error.claims or {}, error.reason)
        except JwksUnavailableError as error:
            # Not the caller's fault and not a "no": fail the invocation so API
            # Gateway answers 500 and does not cache anything.
            self._log(logging.ERROR, request, error.reason)
            raise
        except CognitoJwtError as error:
            self._log(logging.ERROR, request, error.reason)
            raise
        return self._decide(request, claims)

    def _simple(self, request: ApiRequest) -> bool:
        if self.response_format == "auto":
            return request.kind == "http-v2"
        return self.response_format == "simple"

    def _deny(self, request: ApiRequest, claims: Mapping[str, Any], reason: str) -> dict[str, Any]:
        context = {"reason": reason}
        if self._simple(request):
            return simple_response(False, context=context)
        principal = self.principal(claims) if claims else _ANONYMOUS
        return deny_policy(principal, self._arn(request), scope=self.scope, context=context)

    def _decide(self, request: ApiRequest, claims: Mapping[str, Any]) -> dict[str, Any]:
        rule = self.rule
        allowed = rule is None or bool(rule(request, claims))
        if allowed:
            self._log(logging.DEBUG, request, "ok")
        else:
            self._log(logging.INFO, request, "rule_denied")
        if self._simple(request):
            if not allowed:
                return simple_response(False, context={"reason": "rule_denied"})
            return simple_response(True, context=self.context(claims))
        arn = self._arn(request)
        principal = self.principal(claims)
        if isinstance(rule, GroupRule) and self.scope == "stage":
            # Token-only policy: identical for every route, hence cache-safe.
            # The context is cached with it, so it too depends on the token only.
            parsed = parse_execute_api_arn(arn)
            denied = rule.denied_resources(parsed, claims)
            return policy_response(
                principal, allow=parsed.resource(), deny=denied, context=self.context(claims)
            )
        if not allowed:
            # An opaque rule's answer is only known for *this* route: name it alone.
            return deny_policy(principal, arn, scope="method", context={"reason": "rule_denied"})
        scope: PolicyScope = "method" if rule is not None else self.scope
        return allow_policy(principal, arn, scope=scope, context=self.context(claims))

    @staticmethod
    def _arn(request: ApiRequest) -> str:
        if not request.arn:
            raise ValueError("authorizer event has neither methodArn nor routeArn")
        return request.arn

    @staticmethod
    def _log(level: int, request: ApiRequest, reason: str) -> None:
        # Never the token: the reason code and the route are enough to debug.
        outcome = "allowed" if reason == "ok" else "rejected"
        logger.log(
            level,
            "authorizer %s %s %s: %s",
            outcome,
            request.method or "-",
            request.path,
            reason,
            extra={"reason": reason, "route": f"{request.method} {request.path}"},
        )


def make_handler(
    verifier: TokenVerifier,
    *,
    rule: Rule | Mapping[str, str | Iterable[str]] | None = None,
    header: str = "Authorization",
    query_parameter: str | None = None,
    scope: PolicyScope = "stage",
    response_format: ResponseFormat = "auto",
    principal: Callable[[Mapping[str, Any]], str] | None = None,
    context: Callable[[Mapping[str, Any]], Mapping[str, object]] | None = None,
) -> LambdaAuthorizer:
    """Build a Lambda authorizer handler around ``verifier``.

    Outcomes, per API Gateway's contract:

    * no token, or an `InvalidTokenError`: raises `Unauthorized`,
      so API Gateway answers **401**;
    * an `AccessDeniedError`, or the rule says no: returns a ``Deny``
      policy (or ``isAuthorized: false``), so API Gateway answers **403**;
    * a `JwksUnavailableError` (or any other library error): re-raised,
      so API Gateway answers **500** and caches nothing;
    * a valid token the rule accepts: returns ``Allow`` plus ``context``.

    Each rejection is logged on the ``cognito_jwt`` logger with its stable
    ``reason`` code; the token never is.

    Args:
        verifier: e.g. a module-scope `CognitoJwtVerifier`,
            so its JWKS cache outlives the invocation.
        rule: extra authorization after verification.  A mapping is shorthand
            for `require_groups_for`, whose rules become a cache-safe
            stage-wide policy.  A plain callable ``(request, claims) -> bool``
            is honoured too, but its answer holds for this route only, so the
            policy then names the exact method ARN: turn the authorizer cache
            off (TTL 0) or other routes get a cached 403.
        header: the header carrying the token.
        query_parameter: also accept the token from this query parameter.
        scope: ``"stage"`` (default) or ``"method"``, see `allow_policy`.
        response_format: ``"policy"``, ``"simple"`` (HTTP API simple
            responses), or ``"auto"``: simple for payload 2.0 events, policy
            otherwise.  Use ``"policy"`` for a 2.0 authorizer whose simple
            responses are disabled; the event does not say.  A simple response
            is one boolean for every route, so with a per-route ``rule`` keep
            the HTTP API's authorizer cache off or use ``"policy"``.
        principal: claims -> ``principalId`` (default: ``sub``).
        context: claims -> context mapping (default: ``sub``, ``username``,
            ``email``, ``groups``, ``scope``, ``token_use``, ``client_id``;
            ``None`` values dropped, lists comma-joined).
    """
    if isinstance(rule, Mapping):
        rule = require_groups_for(rule)
    return LambdaAuthorizer(
        verifier,
        rule=rule,
        header=header,
        query_parameter=query_parameter,
        scope=scope,
        response_format=response_format,
        principal=principal or _default_principal,
        context=context or _default_context,
    )
