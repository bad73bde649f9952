"""The Lambda handler: verify, apply the rule, answer in a form API Gateway may cache.

API Gateway may cache an authorizer's answer and reuse it for later requests
without calling the function again: keyed by the token alone by default
(REST `TOKEN` authorizers always; REST `REQUEST` and HTTP API authorizers
unless their identity sources include the route), and for up to an hour.  The
handler is told how the API caches its answers (`authorizer_cache`) and only
gives answers that stay right for every request that may reuse them:

* `"per-token"` (the default; API Gateway's own default, and the only
  choice for REST `TOKEN` authorizers): a cached answer is reused on every
  route of the stage.  The handler answers with one policy per token: allow
  the stage, deny each route the caller's groups do not open; and a simple
  response only when it is the same on every route.
* `"per-route"` (the identity sources include `$context.routeKey`): reused on
  the same route.  The same policies; a simple response that holds for every
  request of the route.
* `"off"` (result TTL 0): nothing is reused.  The handler answers exactly this
  request.

Configurations that cannot be made safe are refused at construction with a
`ConfigurationError` that says what to change; what only an event reveals (an
HTTP API route `ANY /news` whose ARN cannot tell `GET` from `DELETE`) is
answered with a `Deny`, never an `Allow` a cache could carry elsewhere, and
logged once with the fix.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, Protocol, TypeAlias

from cognito_jwt._claim_types import cognito_groups
from cognito_jwt._verifier import refuse_async_only
from cognito_jwt.authorizer._events import (
    ApiRequest,
    Unauthorized,
    describe_request,
    extract_token,
    parse_execute_api_arn,
    stage_resource,
)
from cognito_jwt.authorizer._glob import wildcard_match
from cognito_jwt.authorizer._limits import check_answer_limits, check_rule_limits
from cognito_jwt.authorizer._policy import (
    MAX_RESOURCE_CHARS,
    PolicyScope,
    allow_policy,
    arn_problem,
    deny_resource,
    policy_response,
    simple_response,
)
from cognito_jwt.authorizer._rules import GroupRule, Rule, require_groups_for
from cognito_jwt.authorizer._spellings import ODD_MARKS
from cognito_jwt.errors import (
    AccessDeniedError,
    CognitoJwtError,
    ConfigurationError,
    InvalidTokenError,
)

__all__ = ["AuthorizerCache", "LambdaAuthorizer", "ResponseFormat", "TokenVerifier", "make_handler"]

logger = logging.getLogger("cognito_jwt")

ResponseFormat: TypeAlias = Literal["auto", "policy", "simple"]
#: How the API caches this authorizer's answers; see `make_handler`.
AuthorizerCache: TypeAlias = Literal["per-token", "per-route", "off"]

_ANONYMOUS: Final = "anonymous"
_CACHE_MODES: Final = ("per-token", "per-route", "off")
_FORMATS: Final = ("auto", "policy", "simple")
_SCOPES: Final = ("stage", "method")
#: Routes already warned about, so a busy ANY route logs its fix once per container.
_WARNED_LIMIT: Final = 256


class TokenVerifier(Protocol):
    """Anything with `verify(token) -> claims`.

    `CognitoJwtVerifier`, `JwtVerifier` and `MultiIssuerVerifier` all qualify;
    so does a stub in a unit test.
    """

    def verify(self, token: str) -> Mapping[str, Any]:
        """Return the verified claims or raise a `CognitoJwtError`."""
        ...


def _default_principal(claims: Mapping[str, Any]) -> str:
    for name in ("sub", "username", "cognito:username"):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return _ANONYMOUS


def _email_is_verified(claims: Mapping[str, Any]) -> bool:
    # Cognito's ID tokens carry a JSON boolean; older pools sent the string.
    verified = claims.get("email_verified")
    return verified is True or verified == "true"


def _default_context(claims: Mapping[str, Any]) -> dict[str, object]:
    """The claims an integration usually wants, under stable names.

    `email` is passed on only when `email_verified` is true: a user can change
    their own email attribute, and unless the pool requires verification first
    the next ID token carries the new, unproven address.  A backend that keys
    accounts on it could be taken over; key on `sub`.
    """
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) == 1:
        audience = audience[0]
    verified = _email_is_verified(claims)
    return {
        "sub": claims.get("sub"),
        "username": claims.get("cognito:username", claims.get("username")),
        "email": claims.get("email") if verified else None,
        "email_verified": verified if "email" in claims or "email_verified" in claims else None,
        "groups": claims.get("cognito:groups"),
        "scope": claims.get("scope"),
        "token_use": claims.get("token_use"),
        "client_id": claims.get("client_id", audience),
    }


class LambdaAuthorizer:
    """A ready Lambda handler: `handler(event, context) -> response`.

    Built by `make_handler`, which validates the configuration; see there for
    the outcomes.  A class rather than a closure so the configuration (and the
    verifier, e.g. to hydrate it) stays inspectable.
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
        authorizer_cache: AuthorizerCache = "per-token",
    ) -> None:
        _check_configuration(rule, scope, response_format, authorizer_cache)
        _check_step_up_cache(verifier, authorizer_cache)
        refuse_async_only(verifier, "make_handler")
        self.verifier = verifier
        self.rule = rule
        self.header = header
        self.query_parameter = query_parameter
        self.scope: PolicyScope = scope
        self.response_format: ResponseFormat = response_format
        self.principal = principal
        self.context = context
        self.authorizer_cache: AuthorizerCache = authorizer_cache
        self._warned: set[str] = set()

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
            raise Unauthorized
        try:
            claims = self.verifier.verify(token)
            # One reader of cognito:groups: a malformed claim is a 401 here as everywhere.
            groups = cognito_groups(claims)
        except InvalidTokenError as error:
            self._log(logging.INFO, request, error.reason)
            raise Unauthorized from None
        except AccessDeniedError as error:
            self._log(logging.INFO, request, error.reason)
            return self._deny_everywhere(request, error.claims or {}, error.reason)
        except CognitoJwtError as error:
            # JwksUnavailableError above all: not the caller's fault and not a
            # "no".  Failing the invocation makes API Gateway answer 500 and
            # cache nothing.
            self._log(logging.ERROR, request, error.reason)
            raise
        if self._simple(request):
            answer = self._simple_answer(request, claims, groups)
        else:
            answer = self._policy_answer(request, claims, groups)
        try:
            check_answer_limits(answer)
        except ConfigurationError as error:
            self._log(logging.ERROR, request, error.reason)
            logger.error("%s", error)
            raise
        return answer

    # ------------------------------------------------------------ decisions

    def _simple(self, request: ApiRequest) -> bool:
        if self.response_format == "auto":
            return request.kind == "http-v2"
        return self.response_format == "simple"

    def _allows_request(
        self, request: ApiRequest, claims: Mapping[str, Any], groups: frozenset[str]
    ) -> bool:
        """The rule's answer for this request alone (`groups`: the caller's, read once)."""
        rule = self.rule
        if rule is None:
            return True
        if isinstance(rule, GroupRule):
            return rule.allows(request, groups)
        return bool(rule(request, claims))

    def _simple_answer(
        self, request: ApiRequest, claims: Mapping[str, Any], groups: frozenset[str]
    ) -> dict[str, Any]:
        """`isAuthorized` for every request that may reuse it (see the module table)."""
        if request.arn and arn_problem(request.arn) == "arn_too_long":
            self._log(logging.INFO, request, "arn_too_long")
            return simple_response(False, context={"reason": "arn_too_long"})
        here = self._allows_request(request, claims, groups)
        rule = self.rule
        if isinstance(rule, GroupRule) and self.authorizer_cache != "off":
            if self.authorizer_cache == "per-token":
                answer = rule.allows_everywhere(groups)
                fix = (
                    "a simple response is one answer for every route; set "
                    "authorizer_cache='per-route' (identity sources + $context.routeKey) "
                    "or response_format='policy'"
                )
            else:
                answer = rule.allows_on_route(request.route_key, groups)
                fix = (
                    f"route {request.route_key or '$default'} carries requests that need "
                    "different groups; give them routes of their own or set authorizer_cache='off'"
                )
            if here and not answer:
                self._warn_once(request, fix)
        else:
            answer = here
        if not answer:
            self._log(logging.INFO, request, "rule_denied")
            return simple_response(False, context={"reason": "rule_denied"})
        self._log(logging.DEBUG, request, "ok")
        return simple_response(True, context=self.context(claims))

    def _policy_answer(
        self, request: ApiRequest, claims: Mapping[str, Any], groups: frozenset[str]
    ) -> dict[str, Any]:
        arn = _arn(request)
        principal = self.principal(claims)
        rule = self.rule
        # An ARN with a client's `*`/`?`, or beyond AWS's length, is never allowed,
        # and is never named in a policy as it is (see `deny_resource`).
        problem = arn_problem(arn)
        if rule is None and self.scope == "stage":
            # The answer does not depend on the route: allow the stage, minus this ARN.
            self._log(logging.INFO if problem else logging.DEBUG, request, problem or "ok")
            denied = [deny_resource(arn)] if problem else []
            return policy_response(
                principal, allow=stage_resource(arn), deny=denied, context=self.context(claims)
            )
        if rule is None or self.authorizer_cache == "off":
            # Nothing is reused: answer exactly this request, on its own ARN.
            reason = problem or (None if len(arn) <= MAX_RESOURCE_CHARS else "arn_too_long")
            if reason is None and not self._allows_request(request, claims, groups):
                reason = "rule_denied"
            if reason is not None:
                self._log(logging.INFO, request, reason)
                return policy_response(
                    principal, deny=deny_resource(arn), context={"reason": reason}
                )
            self._log(logging.DEBUG, request, "ok")
            return allow_policy(principal, arn, scope="method", context=self.context(claims))
        assert isinstance(rule, GroupRule)  # _check_configuration refuses the rest
        # One policy per token, identical whichever route triggered it; the
        # context goes into the cache with it, so it too depends on the token only.
        parsed = parse_execute_api_arn(arn)
        allowed = rule.allowed_resources(parsed, groups)
        denied = rule.denied_for_groups(parsed, groups)
        here = problem is None and rule.allows(request, groups)
        blocked = any(wildcard_match(r, arn) for r in denied) or not any(
            wildcard_match(r, arn) for r in allowed
        )
        if not here and not blocked:
            # The event's fields say the rule denies this request, but its ARN is
            # not one the patterns name (a route key, another spelling of the
            # path, a method outside the seven, a client's wildcard).  Deny that
            # ARN too: a cached answer reaches it again only for a request with
            # the same ARN.
            denied = [*denied, deny_resource(arn)]
            blocked = True
            if problem is None:
                logger.warning(
                    "authorizer denied %s %s by its own ARN %s, which its rule's patterns do "
                    "not name; if this is a route of your API, list it in the rule",
                    request.method or "-",
                    request.path or "-",
                    arn.partition("/")[2][:MAX_RESOURCE_CHARS],
                    extra={"reason": "rule_denied", "route": request.route_key or ""},
                )
        odd = parsed.method != parsed.method.upper() or any(m in parsed.path for m in ODD_MARKS)
        if here and blocked and odd:
            # An odd spelling is denied to every caller who lacks a group (see `_spellings`).
            problem = problem or "odd_spelling"
        elif here and blocked:
            self._warn_once(
                request,
                f"the ARN of route {request.route_key or parsed.method} names no single request, "
                "so a cached policy must deny it to callers who lack a group one of its "
                "requests needs; give each method its own route or set authorizer_cache='off'",
            )
        reason = (problem or "rule_denied") if blocked else "ok"
        self._log(logging.INFO if blocked else logging.DEBUG, request, reason)
        if not allowed and not denied:
            denied = [f"{parsed.stage_prefix}/*"]
        return policy_response(principal, allow=allowed, deny=denied, context=self.context(claims))

    def _deny_everywhere(
        self, request: ApiRequest, claims: Mapping[str, Any], reason: str
    ) -> dict[str, Any]:
        """The answer to an `AccessDeniedError`: it holds on every route (a token-only fact)."""
        context = {"reason": reason}
        if self._simple(request):
            return simple_response(False, context=context)
        principal = self.principal(claims) if claims else _ANONYMOUS
        arn = _arn(request)
        resource = stage_resource(arn) if self.scope == "stage" else deny_resource(arn)
        return policy_response(principal, deny=resource, context=context)

    # -------------------------------------------------------------- logging

    def _warn_once(self, request: ApiRequest, fix: str) -> None:
        route = request.route_key or f"{request.method} {request.path}"
        if route in self._warned:
            return
        if len(self._warned) < _WARNED_LIMIT:
            self._warned.add(route)
        logger.warning(
            "authorizer denied %s %s although its rule allows it: %s",
            request.method or "-",
            request.path or "-",
            fix,
            extra={"reason": "cache_unsafe_route", "route": route},
        )

    @staticmethod
    def _log(level: int, request: ApiRequest, reason: str) -> None:
        # Never the token: the reason code and the route are enough to debug.
        outcome = "allowed" if reason == "ok" else "rejected"
        logger.log(
            level,
            "authorizer %s %s %s: %s",
            outcome,
            request.method or "-",
            request.path or "-",
            reason,
            extra={"reason": reason, "route": f"{request.method} {request.path}"},
        )


def _arn(request: ApiRequest) -> str:
    if not request.arn:
        raise ValueError("authorizer event has neither methodArn nor routeArn")
    return request.arn


def _check_configuration(
    rule: Rule | None, scope: str, response_format: str, authorizer_cache: str
) -> None:
    """Refuse, with the fix in the message, every combination a cache could turn unsafe."""
    if authorizer_cache not in _CACHE_MODES:
        raise ConfigurationError(
            f"authorizer_cache: expected one of {list(_CACHE_MODES)}, found {authorizer_cache!r}"
        )
    if response_format not in _FORMATS:
        raise ConfigurationError(
            f"response_format: expected one of {list(_FORMATS)}, found {response_format!r}"
        )
    if scope not in _SCOPES:
        raise ConfigurationError(f"scope: expected one of {list(_SCOPES)}, found {scope!r}")
    if authorizer_cache == "off":
        return
    if isinstance(rule, GroupRule) and response_format != "simple":
        check_rule_limits(rule)
    if scope == "method":
        raise ConfigurationError(
            f"scope='method' with authorizer_cache={authorizer_cache!r}: a cached policy naming "
            "one method ARN answers 403 on every other route until it expires; use "
            "scope='stage', or set authorizer_cache='off' (result TTL 0)"
        )
    if rule is not None and not isinstance(rule, GroupRule):
        raise ConfigurationError(
            f"a callable rule with authorizer_cache={authorizer_cache!r}: its answer holds for "
            "one request, and API Gateway would reuse it for others; express the rule with "
            "require_groups_for (a mapping), or set authorizer_cache='off' (result TTL 0)"
        )
    if (
        response_format == "simple"
        and authorizer_cache == "per-token"
        and isinstance(rule, GroupRule)
        and rule.route_dependent
    ):
        raise ConfigurationError(
            "response_format='simple' with a per-route rule and authorizer_cache='per-token': "
            "a simple response is one boolean that API Gateway reuses on every route; use "
            "response_format='policy', or add $context.routeKey to the authorizer's identity "
            "sources and set authorizer_cache='per-route', or set authorizer_cache='off'"
        )


def _check_step_up_cache(verifier: TokenVerifier, authorizer_cache: str) -> None:
    """Refuse a sign-in age demand that API Gateway's cache would outlive.

    A cached `Allow` is reused for the result TTL without calling the
    function, so with `max_auth_age` a sign-in would pass for up to a TTL
    after it grew too old.  An `acr` demand is cache-safe (a token's `acr`
    never changes); a verifier without `max_auth_age` (a test double) is not
    asked.
    """
    max_auth_age = getattr(verifier, "max_auth_age", None)
    if max_auth_age is not None and authorizer_cache != "off":
        raise ConfigurationError(
            f"a verifier with max_auth_age={max_auth_age} and authorizer_cache="
            f"{authorizer_cache!r}: API Gateway reuses a cached Allow for the result TTL "
            "without asking the authorizer, so a sign-in older than max_auth_age would pass; "
            "set authorizer_cache='off' (result TTL 0), or demand the age in the backend "
            "(cognito_jwt.http.require(max_auth_age=...) and the framework integrations)"
        )


def make_handler(
    verifier: TokenVerifier,
    *,
    rule: Rule | Mapping[str, str | Any] | None = None,
    header: str = "Authorization",
    query_parameter: str | None = None,
    scope: PolicyScope = "stage",
    response_format: ResponseFormat = "auto",
    principal: Callable[[Mapping[str, Any]], str] | None = None,
    context: Callable[[Mapping[str, Any]], Mapping[str, object]] | None = None,
    authorizer_cache: AuthorizerCache = "per-token",
) -> LambdaAuthorizer:
    """Build a Lambda authorizer handler around `verifier`.

    Outcomes, per API Gateway's contract:

    * no token, or an `InvalidTokenError` (a step-up demand's
      `InsufficientUserAuthenticationError` included): raises `Unauthorized`,
      so API Gateway answers **401** (and caches nothing); the RFC 9470
      challenge is the API's `UNAUTHORIZED` gateway response to configure
      (docs/lambda-authorizer.md);
    * an `AccessDeniedError`, or the rule says no: returns a `Deny` policy (or
      `isAuthorized: false`), so API Gateway answers **403**;
    * a `JwksUnavailableError` (or any other library error): re-raised, so API
      Gateway answers **500** and caches nothing;
    * a valid token the rule accepts: returns `Allow` plus `context`.

    Each rejection is logged on the `cognito_jwt` logger with its stable
    `reason` code; the token never is.

    Args:
        verifier: e.g. a module-scope `CognitoJwtVerifier`, so its JWKS cache
            outlives the invocation.
        rule: extra authorization after verification.  A mapping is shorthand
            for `require_groups_for`, whose rules become a cache-safe
            token-only policy.  A plain callable `(request, claims) -> bool`
            decides one request at a time, so it needs `authorizer_cache="off"`.
        header: the header carrying the token.
        query_parameter: also accept the token from this query parameter
            (WebSocket clients in browsers cannot set headers).
        scope: the resource of answers that do not depend on the route (no
            rule, or the verifier's own `groups=`/`scopes=` failing):
            `"stage"` (default) or `"method"` (only with
            `authorizer_cache="off"`).
        response_format: `"policy"`, `"simple"` (HTTP API simple responses),
            or `"auto"`: simple for payload 2.0 events, policy otherwise.  Use
            `"policy"` for a 2.0 authorizer whose simple responses are
            disabled; the event does not say.
        principal: claims -> `principalId` (default: `sub`).
        context: claims -> context mapping (default: `sub`, `username`,
            `email` (only when verified), `email_verified`, `groups`, `scope`,
            `token_use`, `client_id`; `None` values dropped, lists
            comma-joined).  Cached with the answer, so it must depend on the
            claims only.
        authorizer_cache: how the API caches this authorizer's answers:
            `"per-token"` (default: the identity source is the token alone, as
            for every `TOKEN` authorizer and API Gateway's defaults),
            `"per-route"` (the identity sources also include the route:
            `$context.routeKey` for HTTP APIs), or `"off"` (result TTL 0).
            Combinations a cache could make unsafe raise `ConfigurationError`,
            a verifier with `max_auth_age` among them (a cached `Allow`
            would outlive the sign-in's allowed age): it needs `"off"`.

    Raises:
        ConfigurationError: an unknown option, or a combination that API
            Gateway's cache could turn into a wrong answer; the message says
            what to change.
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
        authorizer_cache=authorizer_cache,
    )
