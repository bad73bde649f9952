"""Authorization rules: which verified callers may call which routes.

A rule built by `require_groups_for` is *declarative*: a list of requirements
"requests matching this key need one of these groups".  Being declarative is
what lets the handler answer with one policy per token that is right for every
route (allow the stage, explicitly deny what the caller lacks), which is the
only kind of answer API Gateway's per-token result cache can reuse safely.

One language, one matcher.  Each key is translated once into IAM resource
patterns (`DELETE/news`, `GET/admin`, `GET/admin/*`, ...), and the same
patterns serve twice: as the `Deny` resources of the policy, which API Gateway
matches against each later request's ARN, and, through
`cognito_jwt.authorizer._policy.wildcard_match`, as the test of whether a key
applies to the request at hand.  What the rule decides now and what a cached
policy decides later therefore cannot disagree on a request-shaped ARN.

IAM has no wildcard narrower than `*` (any characters, `/` included), so a
path template `{id}` covers more than one segment: `/news/{id}` also covers
`/news/1/comments`.  That errs toward requiring the group, never toward letting
a caller in; write the deeper route as a key of its own if it needs other groups.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

from cognito_jwt._claim_types import cognito_groups
from cognito_jwt.authorizer._events import HTTP_METHODS, ApiRequest, ExecuteApiArn, spellings
from cognito_jwt.authorizer._glob import overlap, wildcard_match
from cognito_jwt.authorizer._spellings import case_variants, odd_spelling_patterns
from cognito_jwt.errors import ConfigurationError

__all__ = ["GroupRule", "Rule", "Unmatched", "require_groups_for"]

#: A request-dependent rule: return `True` to let the verified caller in.
Rule: TypeAlias = Callable[[ApiRequest, Mapping[str, Any]], bool]
#: What `require_groups_for` does with a request that no key covers.
Unmatched: TypeAlias = Literal["allow", "deny"]

_ANY_METHOD: Final = frozenset({"*", "ANY"})
#: The only WebSocket route key an authorizer is ever called for.
_CONNECT: Final = "$connect"
_LITERAL_SEGMENT = re.compile(r"[A-Za-z0-9._~%:@!&'()+,;=-]+")
_TEMPLATE_SEGMENT = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(\+?)\}")
_ONE_SEGMENT = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
#: Route-key ARNs an HTTP API might evaluate instead of the request's own:
#: any `ANY` route, a path template, and the `$default` route.
_TEMPLATED = "*{*"
#: A path template: one or more characters, `/` included (IAM has nothing narrower).
_TEMPLATE: Final = "?*"
_DEFAULT_ROUTE: Final = ("$default", "$default/*")


@dataclass(frozen=True, slots=True)
class _Requirement:
    """One key of a group rule, translated into IAM resource patterns.

    `patterns` are relative to the stage ARN (`<stage_prefix>/<pattern>`):
    `("DELETE/news",)` for `"DELETE /news"`, `("*",)` for `"*"`.
    """

    key: str
    patterns: tuple[str, ...]
    groups: frozenset[str]
    #: `True` for a key that covers every request (`"*"` / `"ANY"` alone).
    universal: bool
    #: Patterns naming the routes (not requests) that may carry a request this
    #: key covers, for HTTP APIs whose ARN might be built from the route key.
    route_patterns: tuple[str, ...]
    #: The HTTP methods the key covers (none for `$connect`).
    methods: tuple[str, ...] = ()

    def applies_to(self, target: str) -> bool:
        """Whether this key covers `target`, a request as `METHOD/path` or `$connect`."""
        return any(wildcard_match(pattern, target) for pattern in self.patterns)

    def may_apply_to_route(self, route: str) -> bool:
        """Whether this key covers *some* request of `route`, a route as a pattern.

        `route` is written like a key's pattern (`ANY` routes expanded to every
        method, templates as `*`), so the question is whether the two patterns
        share a string.
        """
        return any(overlap(pattern, route) for pattern in self.patterns)


def _targets(request: ApiRequest, paths: Sequence[str]) -> list[str]:
    """The request as the ARN tail API Gateway would match: `DELETE/news`, `$connect`.

    When the event does not say the method, every method is a candidate, so a
    key for any of them applies (failing closed).
    """
    if request.kind == "websocket" or request.method.startswith("$"):
        return [request.method or _CONNECT]
    methods = [request.method] if request.method else list(HTTP_METHODS)
    return [f"{m}/{p.removeprefix('/')}" for m in methods for p in paths]


class GroupRule:
    """Per-route group requirements that stay correct under authorizer caching.

    Build it with `require_groups_for`.  Because the requirements are
    declarative, the handler can turn them into a *token-only* policy: allow
    the stage (or, with `unmatched="deny"`, the routes the caller's groups
    open), explicitly deny each route whose groups the caller lacks.  That
    policy is the same whichever route triggered the authorizer, so API
    Gateway may cache it per token without ever applying it wrongly.
    """

    __slots__ = ("requirements", "unmatched")

    def __init__(
        self, requirements: Sequence[_Requirement], unmatched: Unmatched = "allow"
    ) -> None:
        if unmatched not in ("allow", "deny"):
            raise ConfigurationError(f"unmatched: expected 'allow' or 'deny', found {unmatched!r}")
        self.requirements: tuple[_Requirement, ...] = tuple(requirements)
        self.unmatched: Unmatched = unmatched

    def __repr__(self) -> str:
        shown = {r.key: sorted(r.groups) for r in self.requirements}
        return f"GroupRule({shown!r}, unmatched={self.unmatched!r})"

    def __call__(self, request: ApiRequest, claims: Mapping[str, Any]) -> bool:
        """Whether `claims` may call `request`.

        Every key that applies must be met, for every path the event gives; with
        `unmatched="deny"` at least one key must apply.

        Raises:
            InvalidClaimError: `cognito:groups` is not a list of strings (401).
        """
        return self.allows(request, cognito_groups(claims))

    def allows(self, request: ApiRequest, groups: frozenset[str]) -> bool:
        """`__call__` for a caller already known to be in `groups`.

        A key the caller does not meet denies if it applies under *any* of the
        paths the event gives; with `unmatched="deny"`, each spelling of the request's own path
        (`request.path`) must be covered by some key.
        """
        for target in _targets(request, request.all_paths):
            if any(not r.groups & groups for r in self.requirements if r.applies_to(target)):
                return False
        if self.unmatched == "deny":
            # Each spelling of it: what an odd spelling reads as may be unlisted.
            for target in _targets(request, spellings(request.path) or (request.path,)):
                if not any(r.applies_to(target) for r in self.requirements):
                    return False
        return True

    @property
    def route_dependent(self) -> bool:
        """Whether the answer can differ between two routes for the same caller."""
        if not self.requirements:
            return False
        return not all(r.universal for r in self.requirements)

    def allows_everywhere(self, groups: frozenset[str]) -> bool:
        """Whether a caller in `groups` may call every route of the stage."""
        if any(not r.groups & groups for r in self.requirements):
            return False
        return self.unmatched == "allow" or any(r.universal for r in self.requirements)

    def allows_on_route(self, route_key: str | None, groups: frozenset[str]) -> bool:
        """Whether a caller in `groups` may call *every* request of an HTTP API route.

        `route_key` is the event's (`"GET /news/{id}"`, `"ANY /{proxy+}"`,
        `"$default"`); `None` or anything unreadable counts as `$default`,
        the route that may carry any request.
        """
        routes = _route_patterns(route_key)
        for requirement in self.requirements:
            if not requirement.groups & groups and any(
                requirement.may_apply_to_route(route) for route in routes
            ):
                return False
        if self.unmatched == "allow":
            return True
        # Every request of the route must be covered by a key the caller meets.
        met = [r for r in self.requirements if r.groups & groups]
        return all(
            any(r.universal or any(_pattern_contains(p, route) for p in r.patterns) for r in met)
            for route in routes
        )

    def allowed_resources(self, arn: ExecuteApiArn, groups: frozenset[str]) -> list[str]:
        """ARN patterns in `arn`'s stage to allow a caller in `groups`."""
        if self.unmatched == "allow":
            return [f"{arn.stage_prefix}/*"]
        return _resources(arn, (r.patterns for r in self.requirements if r.groups & groups))

    def denied_resources(self, arn: ExecuteApiArn, claims: Mapping[str, Any]) -> list[str]:
        """ARN patterns in `arn`'s stage that `claims` may not call.

        Besides the requests' own ARNs, these cover the route-shaped ARNs an
        HTTP API may use instead (`ANY` routes, path templates, `$default`),
        so that a cached policy denies such a route to a caller who lacks a
        group one of its requests needs.  That over-matches (it may deny a
        request the rule allows), which fails closed.
        """
        return self.denied_for_groups(arn, cognito_groups(claims))

    def denied_for_groups(self, arn: ExecuteApiArn, groups: frozenset[str]) -> list[str]:
        """`denied_resources` for a caller already known to be in `groups`.

        Each pattern is denied with its method in every letter case, and the
        oddly spelled paths of the methods at stake are denied outright
        (`_spellings`): a cached policy must deny every spelling a backend may
        read as a denied route.
        """
        unmet = [r for r in self.requirements if not r.groups & groups]
        # Route keys are the API's own spelling; a request's method is the client's.
        patterns = [
            *(
                variant
                for r in unmet
                for p in r.patterns
                for variant in case_variants(p, every_method=len(r.methods) == len(HTTP_METHODS))
            ),
            *(
                variant
                for r in unmet
                for p in r.route_patterns
                for variant in (
                    case_variants(p, every_method=True)
                    if len(r.methods) == len(HTTP_METHODS)
                    else (p,)
                )
            ),
        ]
        if "*" in patterns:
            return _resources(arn, [patterns])
        return _resources(arn, [patterns, odd_spelling_patterns(self._odd_methods(unmet, groups))])

    def _odd_methods(self, unmet: Sequence[_Requirement], groups: frozenset[str]) -> set[str]:
        """The methods whose oddly spelled paths a caller in `groups` is denied."""
        methods = {m for r in unmet for m in r.methods}
        if self.unmatched == "deny" and not any(
            r.universal and r.groups & groups for r in self.requirements
        ):
            # What no key lists is denied, and an odd spelling may read as such a path.
            methods.update(HTTP_METHODS)
        if methods != set(HTTP_METHODS):  # else one method-free pattern per mark
            # A method denied on every path (`{"DELETE": ...}`) needs no more patterns.
            methods -= {m for r in unmet for m in r.methods if f"{m}/*" in r.patterns}
        return methods


def _route_patterns(route_key: str | None) -> tuple[str, ...]:
    """An HTTP API route key as the patterns of the requests it may carry."""
    method, _, path = (route_key or "").partition(" ")
    upper = method.upper()
    if upper not in HTTP_METHODS and upper != "ANY":
        return ("*",)  # $default, or a key this code cannot read
    try:
        paths = _path_patterns(route_key or "", path) if path else ("*",)
    except ConfigurationError:
        return ("*",)
    methods = HTTP_METHODS if upper == "ANY" else (upper,)
    return tuple(f"{m}/{p}" for m in methods for p in paths)


def _pattern_contains(outer: str, inner: str) -> bool:
    """Whether every string matching `inner` matches `outer` (conservative: may say no).

    Only the shapes keys produce are decided: `outer` equal to `inner`, or
    `outer` ending in `*` with a literal prefix that `inner` starts with.
    """
    if outer in (inner, "*"):
        return True
    if outer.endswith("*") and "*" not in outer[:-1] and "?" not in outer:
        return inner.startswith(outer[:-1])
    return False


def _resources(arn: ExecuteApiArn, groups_of_patterns: Iterable[Iterable[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for patterns in groups_of_patterns:
        for pattern in patterns:
            seen.setdefault(f"{arn.stage_prefix}/{pattern}", None)
    return list(seen)


# --------------------------------------------------------------- key parsing


def _key_error(key: str, problem: str) -> ConfigurationError:
    return ConfigurationError(
        f"group rule key {key!r}: {problem}; expected 'METHOD' or 'METHOD /path', "
        "METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, * (or ANY), $connect, "
        "e.g. 'DELETE /news', '* /admin/*', 'GET /news/{id}'"
    )


def _path_patterns(key: str, path: str) -> tuple[str, ...]:
    """`/news/{id}` -> `("news/*",)`; `/admin/*` -> `("admin", "admin/*")`; `/*` -> `("*",)`."""
    if not path.startswith("/"):
        raise _key_error(key, f"the path {path!r} must start with '/'")
    if path == "/":
        return ("",)
    segments = path[1:].split("/")
    covers_below = segments[-1] == "*"
    if covers_below:
        segments.pop()
    translated: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        template = _TEMPLATE_SEGMENT.fullmatch(segment)
        if template is not None:
            if template.group(1) and (not last or covers_below):
                raise _key_error(key, f"a greedy {segment} must be the last segment")
            translated.append(_TEMPLATE)
        elif _LITERAL_SEGMENT.fullmatch(segment):
            translated.append(segment)
        elif segment == "":
            raise _key_error(key, "empty path segment (a doubled or trailing '/')")
        else:
            raise _key_error(
                key,
                f"path segment {segment!r}: use a literal, {{name}}, {{name+}}, "
                "or '*' as the whole last segment",
            )
    if not translated:  # "/*"
        return ("*",)
    base = "/".join(translated)
    if covers_below:
        return (base, f"{base}/*")
    # `/news/` reaches the `/news` resource too; a template's `*` already covers it.
    return (base,) if base.endswith("*") else (base, f"{base}/")


def _methods(key: str, token: str) -> tuple[str, ...] | None:
    """The methods a key's method token stands for; `None` for every HTTP method."""
    if token == _CONNECT:
        return (_CONNECT,)
    if token.startswith("$"):
        raise _key_error(
            key, "an authorizer is only called for the WebSocket route $connect (case-sensitive)"
        )
    upper = token.upper()
    if upper in _ANY_METHOD:
        return None
    if upper not in HTTP_METHODS:
        raise _key_error(key, f"unknown method {token!r}")
    # A HEAD request reads what a GET would, headers included (RFC 9110 9.3.2).
    return ("GET", "HEAD") if upper == "GET" else (upper,)


def _parse_key(
    key: object,
) -> tuple[str, tuple[str, ...], bool, tuple[str, ...], tuple[str, ...]]:
    """`(key, patterns, universal, route_patterns, methods)` of a key, or `ConfigurationError`."""
    if not isinstance(key, str):
        raise ConfigurationError(f"group rule keys must be strings, got {key!r}")
    method_token, space, path = key.partition(" ")
    if not method_token or any(ch.isspace() for ch in method_token) or (space and not path):
        raise _key_error(key, "one method, then at most one space and a path")
    if any(ch.isspace() for ch in path):
        raise _key_error(key, "whitespace inside the path")
    methods = _methods(key, method_token)
    if methods == (_CONNECT,):
        if path:
            raise _key_error(key, "$connect has no path")
        return key, (_CONNECT,), False, (), ()
    paths = _path_patterns(key, path) if path else ("*",)
    if methods is None and paths == ("*",):
        return key, ("*",), True, (), HTTP_METHODS
    every = methods or HTTP_METHODS
    patterns = tuple(f"{m}/{p}" for m in every for p in paths)
    # Route-shaped ARNs: `.../ANY/news` (method/path) or `.../DELETE /news`
    # (the route key itself, AWS's `api-id/stage/route-key` form).
    # Route keys have no trailing slash: the `/`-twins are for requests only.
    keyed = tuple(p for p in paths if not p.endswith("/"))
    route = [f"{m} /{p}" for m in every for p in keyed]  # the request's own route key
    for separator in ("/", " /"):
        route += [f"ANY{separator}{p}" for p in keyed]
        if paths != ("*",):
            route += [f"{m}{separator}{_TEMPLATED}" for m in ("ANY", *every)]
    route += _DEFAULT_ROUTE
    return key, patterns, False, tuple(dict.fromkeys(route)), every


def require_groups_for(
    requirements: Mapping[str, str | Iterable[str]], *, unmatched: Unmatched = "allow"
) -> GroupRule:
    """A rule requiring Cognito group membership for some methods or routes.

    Keys are `"METHOD"` (any path) or `"METHOD /path"`, one space between:

    * METHOD is `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS`
      (any case), `*` or `ANY` (every method), or the WebSocket route key
      `$connect` (case-sensitive, no path).  A `GET` key also covers `HEAD`.
      `*` alone covers every request, WebSocket connections included.
    * The path starts with `/` and is made of literal segments, API Gateway's
      path templates `{name}` and `{name+}`, and optionally `*` as the whole
      last segment: `"/admin/*"` covers `/admin` and everything below it, and
      `/news` covers `/news/` too.  A template stands for one or more
      characters, `/` included (IAM has no narrower wildcard), so `{name}` may
      cover deeper paths too: that fails closed, and with `unmatched="deny"`,
      where it would open them, `{name}` is refused.
    * `*` and `ANY` mean the seven methods API Gateway routes.  A request whose
      method is not one of them (an HTTP API `ANY` route also carries, say,
      WebDAV's `PROPFIND`) meets every key's method when the handler decides it;
      a policy cached from another request cannot name it, so such routes
      want `unmatched="deny"` (nothing the keys do not list is allowed).

    Values are one group name or several; membership of *any* of them
    satisfies the key.  A request must satisfy every key that applies to it.
    Requests no key applies to are allowed (`unmatched="allow"`, the default)
    or denied (`unmatched="deny"`, the fail-closed mode for APIs whose every
    route should be listed).

    Example:
        ```python
        require_groups_for({"DELETE": "admin", "* /admin/*": ["admin", "ops"]})
        ```

    Raises:
        ConfigurationError: a key outside that grammar (say `"/admin/*"` without
            a method, `"DELETE\\t/news"`, `"GET,POST /x"`), two keys meaning
            the same routes, or a key with no group.  A key that could never
            match would silently leave its routes open, so none is accepted.
    """
    # `unmatched` is checked once, by `GroupRule`.
    parsed: list[_Requirement] = []
    seen: dict[tuple[str, ...], str] = {}
    for raw_key, value in requirements.items():
        key, patterns, universal, route, methods = _parse_key(raw_key)
        if patterns in seen:
            raise ConfigurationError(
                f"group rule keys {seen[patterns]!r} and {key!r} cover the same routes; "
                "merge their groups into one key"
            )
        seen[patterns] = key
        if unmatched == "deny" and _ONE_SEGMENT.search(key):
            raise ConfigurationError(
                f"group rule key {key!r} with unmatched='deny': a {{name}} template would also "
                "open the deeper paths no key lists (IAM has no one-segment wildcard); write "
                "'/x/*' or '/x/{name+}' for everything below, or list the routes"
            )
        if isinstance(value, str):
            groups = frozenset([value])
        elif isinstance(value, Iterable):
            groups = frozenset(value)
        else:
            raise ConfigurationError(f"group rule {key!r}: expected group names, found {value!r}")
        if not groups or not all(isinstance(g, str) and g.strip() for g in groups):
            raise ConfigurationError(f"group rule {key!r} names no group")
        parsed.append(_Requirement(key, patterns, groups, universal, route, methods))
    return GroupRule(parsed, unmatched)
