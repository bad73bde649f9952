"""The authorizer under API Gateway's result cache: no request sequence opens a denied route.

The authorizer (`make_handler`) runs behind `gateway_model.ApiModel`, a model of
API Gateway written from AWS's documentation that imports nothing from
`cognito_jwt.authorizer`: it routes each request, builds the event of the
configured kind, caches the answer per token, per route or not at all, and
evaluates a cached policy against each later request's ARN.  Whether a request
*should* pass is decided by `expected`, a second, independent reading of the
documented rule-key semantics (regular expressions here; IAM patterns there).

Hypothesis drives random request sequences (tokens, methods, paths, time) over
random rules and every supported `authorizer_cache` x `response_format` x
event kind, with both readings of what an HTTP API's ARN holds.  The invariants:

* never a 200 for a request the rule denies, nor for an invalid token;
* with IAM-policy answers, a 200 for every request the rule allows, except on
  HTTP API routes whose ARN cannot name the request (`ANY`, templates,
  `$default` under the route-shaped reading), where a per-token or per-route
  cache must fail closed;
* configurations that cannot be made safe are refused at `make_handler`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pytest
from gateway_model import ApiModel, ArnForm, CacheMode, EventKind, ModelRoute, iam_allows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognito_jwt import CognitoJwtVerifier, ConfigurationError
from cognito_jwt.authorizer import make_handler, require_groups_for
from cognito_jwt.testing import FakeCognitoPool

# ------------------------------------------------------------- the truth


@dataclass(frozen=True)
class Key:
    """One rule key, read independently of the library: which requests it covers."""

    methods: frozenset[str] | None  # None: every request, WebSocket included
    path: re.Pattern[str] | None  # None: any path
    groups: frozenset[str]


def read_key(key: str, groups: Sequence[str]) -> Key:
    """The documented meaning of a rule key, as regular expressions over the request."""
    method, _, path = key.partition(" ")
    if method == "$connect":
        return Key(frozenset({"$connect"}), None, frozenset(groups))
    if method.upper() in ("*", "ANY"):
        methods: frozenset[str] | None = None if not path else frozenset(HTTP_METHODS)
    elif method.upper() == "GET":
        methods = frozenset({"GET", "HEAD"})
    else:
        methods = frozenset({method.upper()})
    if not path or path == "/*":
        return Key(methods, None, frozenset(groups))
    below = path.endswith("/*")
    segments = (path[:-2] if below else path).strip("/").split("/") if path != "/" else []
    # A template stands for one or more characters, "/" included (IAM has nothing narrower).
    body = "".join("/" + (".+" if s.startswith("{") else re.escape(s)) for s in segments)
    regex = re.compile(body + ("(/.*)?" if below else "") if segments else "/")
    return Key(methods, regex, frozenset(groups))


def spellings(path: str) -> set[str]:
    """The request path as a key sees it: every path a lenient backend may read it as.

    Decoded (`/%6Eews` is `/news`), slashes merged (`//news`), dot segments
    resolved (`/x/../news`), and `/news/` is the `/news` resource; each
    step's result counts, since a backend may do some and not others.
    """
    decoded = unquote(path)
    merged = re.sub("/{2,}", "/", decoded)
    kept: list[str] = []
    for segment in merged.split("/")[1:]:
        if segment == "..":
            kept = kept[:-1]
        elif segment != ".":
            kept.append(segment)
    found = {path, decoded, merged, "/" + "/".join(kept)}
    return found | {p[:-1] for p in found if len(p) > 1 and p.endswith("/")}


ODD_MARKS = ("%", "//", "/./", "/../")


def expected(
    keys: Sequence[Key], unmatched: str, groups: frozenset[str], method: str, path: str
) -> bool:
    """Whether a caller in `groups` may call `method path` (`$connect` has no path).

    The method in any letter case is the method (a backend may upper-case it),
    and every spelling of the path is a path the backend may serve: a key that
    applies to any of them must be met, and with `unmatched="deny"` each of
    them must be listed.
    """
    if method != "$connect":
        method = method.upper()
    # `/news/` is the `/news` resource: a trailing slash never makes another path.
    found = spellings(path)
    unslashed = {p[:-1] if len(p) > 1 and p.endswith("/") else p for p in found}
    readings = unslashed if method != "$connect" else {path}
    # A key must also be met where it applies to a spelling as sent: a template
    # matches across "/" (IAM has nothing narrower), so `/news//` is
    # `/news/{id}` with the id "/".
    guarded = readings | found if method != "$connect" else readings

    def applies(key: Key, reading: str) -> bool:
        if key.methods is None:
            return True
        if method not in key.methods:
            return False
        return method == "$connect" or key.path is None or bool(key.path.fullmatch(reading))

    if any(applies(k, p) and not k.groups & groups for k in keys for p in guarded):
        return False
    if unmatched == "deny":
        return all(any(applies(k, p) for k in keys) for p in readings)
    return True


def over_denied(
    keys: Sequence[Key], unmatched: str, groups: frozenset[str], method: str, path: str
) -> bool:
    """Whether a policy may deny this request although `expected` allows it.

    The documented over-deny: for a caller who lacks a group some key needs
    (or under `unmatched="deny"`), every path holding `%`, `//`, `/./` or
    `/../` of the methods at stake; under `unmatched="deny"` (whose policy
    allows only the listed patterns), also a method not in upper case.
    """
    if method == "$connect":
        return False
    odd = any(mark in path for mark in ODD_MARKS)
    if unmatched == "deny":
        return odd or method != method.upper()
    at_stake: set[str] = set()
    for key in keys:
        if not key.groups & groups:
            at_stake |= set(HTTP_METHODS) if key.methods is None else set(key.methods)
    return odd and method.upper() in at_stake


HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")

# ---------------------------------------------------------- the universe

KEYS = [
    "DELETE",
    "DELETE /news",
    "delete /news/{id}",
    "GET /news",
    "* /admin/*",
    "ANY /admin",
    "POST",
    "GET /",
    "GET /news/{id}/comments",
    "PUT /{proxy+}",
    "*",
    "$connect",
]
GROUPS = ("admin", "editors")
LOWER_CASE = ("delete", "get", "Post")
TOKENS = {"admin": ["admin"], "editor": ["editors"], "both": ["admin", "editors"], "none": []}

REST_ROUTES = [
    ModelRoute("GET", "/"),
    ModelRoute("GET", "/news"),
    ModelRoute("HEAD", "/news"),
    ModelRoute("DELETE", "/news"),
    ModelRoute("POST", "/news"),
    ModelRoute("ANY", "/news/{id}"),
    ModelRoute("GET", "/news/{id}/comments"),
    ModelRoute("ANY", "/admin"),
    ModelRoute("ANY", "/admin/{proxy+}"),
    ModelRoute("ANY", "/{proxy+}"),
]
HTTP_ROUTES = [
    *REST_ROUTES,
    ModelRoute("$default"),
]
HTTP_ROUTES_LITERAL = [r for r in REST_ROUTES if r.method != "ANY" and "{" not in r.path]
PATHS = [
    "/",
    "/news",
    "/news/",
    "/news/7",
    "/news/7/comments",
    "/admin",
    "/admin/users",
    "/other/x",
    # Other spellings of the same routes, and odd paths that are not (the over-deny).
    "/%6Eews",
    "//news",
    "/news//",
    "/x/../news",
    "/news/./7",
    "/%61dmin/users",
    "//admin/users",
    "/users/a%40b.com",
]

CONFIGS: list[tuple[EventKind, bool, str]] = [
    ("rest-token", False, "auto"),
    ("rest-token", False, "policy"),
    ("rest-request", False, "auto"),
    ("http-v1", False, "auto"),
    ("http-v1", False, "policy"),
    ("http-v2", True, "auto"),
    ("http-v2", True, "simple"),
    ("http-v2", False, "policy"),
    ("websocket", False, "auto"),
]


@pytest.fixture(scope="module")
def tokens(pool: FakeCognitoPool) -> dict[str, str]:
    minted = {name: pool.id_token(groups=groups or None) for name, groups in TOKENS.items()}
    minted["expired"] = pool.id_token(expires_in=-10, groups=["admin"])
    minted["other-client"] = pool.id_token(aud="someone-else", groups=["admin"])
    return minted


@pytest.fixture(scope="module")
def verifier(pool: FakeCognitoPool) -> CognitoJwtVerifier:
    return pool.verifier("id")


rules = st.dictionaries(
    st.sampled_from(KEYS),
    st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2),
    min_size=1,
    max_size=4,
)


@st.composite
def requests(draw: st.DrawFn) -> list[tuple[str, str, str, int]]:
    """Request sequences that revisit one token and path with several methods.

    A cached answer goes wrong when the same token comes back for another route;
    drawing (token, path, methods) groups makes that the common case instead of
    a coincidence of independent draws.
    """
    sequence: list[tuple[str, str, str, int]] = []
    for _ in range(draw(st.integers(1, 6))):
        token = draw(st.sampled_from([*TOKENS, "expired", "other-client"]))
        path = draw(st.sampled_from(PATHS))
        methods = draw(
            st.lists(
                st.sampled_from([*HTTP_METHODS, *LOWER_CASE, "$connect"]), min_size=1, max_size=4
            )
        )
        wait = draw(st.sampled_from([0, 0, 1, 200, 400]))
        for index, method in enumerate(methods):
            sequence.append((token, method, path, wait if index == 0 else 0))
    return sequence


def _normalised(rule: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Drop keys that mean the same routes as an earlier one (the library refuses those)."""
    seen: set[str] = set()
    kept: dict[str, list[str]] = {}
    for key, groups in rule.items():
        meaning = key.lower()
        if meaning in seen:
            continue
        seen.add(meaning)
        kept[key] = list(groups)
    return kept


@settings(
    max_examples=max(int(os.environ.get("COGNITO_JWT_FUZZ_EXAMPLES", "600")) // 2, 1),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    config=st.sampled_from(CONFIGS),
    cache=st.sampled_from(["per-token", "per-route", "off"]),
    arn_form=st.sampled_from(["request", "route"]),
    stage=st.sampled_from(["api", "$default"]),
    unmatched=st.sampled_from(["allow", "deny"]),
    literal_routes_only=st.booleans(),
    rule=rules,
    sequence=requests(),
)
def test_no_cached_answer_opens_a_route_the_rule_denies(
    verifier: CognitoJwtVerifier,
    tokens: dict[str, str],
    config: tuple[EventKind, bool, str],
    cache: CacheMode,
    arn_form: ArnForm,
    stage: str,
    unmatched: str,
    literal_routes_only: bool,
    rule: dict[str, list[str]],
    sequence: list[tuple[str, str, str, int]],
) -> None:
    kind, simple, response_format = config
    rule = _normalised(rule)
    try:
        group_rule = require_groups_for(rule, unmatched=unmatched)  # type: ignore[arg-type]
    except ConfigurationError:
        # Only the documented refusal: a one-segment template where it would open paths.
        assert unmatched == "deny"
        assert any(re.search(r"\{[a-z]+\}", key) for key in rule)
        return
    try:
        handler = make_handler(
            verifier,
            rule=group_rule,
            response_format=response_format,  # type: ignore[arg-type]
            authorizer_cache=cache,
        )
    except ConfigurationError as error:
        # Only the documented refusals: explicit simple responses, a route rule,
        # per-token; or a policy that could outgrow AWS's 8 KB.
        documented = (response_format, cache) == ("simple", "per-token")
        assert documented or "8192 bytes" in str(error)  # noqa: PT017
        return
    if kind == "websocket":
        routes = [ModelRoute("$connect")]
    elif kind.startswith("http"):
        routes = HTTP_ROUTES_LITERAL if literal_routes_only else HTTP_ROUTES
    else:
        routes = REST_ROUTES
    api = ApiModel(
        kind=kind,
        routes=routes,
        handler=handler,
        cache=cache,
        simple_responses=simple,
        arn_form=arn_form,
        stage=stage,
    )
    keys = [read_key(k, g) for k, g in rule.items()]
    for name, drawn_method, drawn_path, wait in sequence:
        api.advance(wait)
        method, path = drawn_method, drawn_path
        if kind == "websocket":
            method, path = "$connect", ""
        elif method == "$connect":
            method = "GET"
        outcome = api.request(method, path, tokens[name])
        if outcome.route is None:
            continue
        if name not in TOKENS:
            assert outcome.status == 401, (name, method, path)
            continue
        allowed = expected(keys, unmatched, frozenset(TOKENS[name]), method, path)
        context = (name, method, path, outcome, rule, unmatched)
        if not allowed:
            assert outcome.status == 403, context
            continue
        assert outcome.status in (200, 403), context
        if cache != "off" and over_denied(keys, unmatched, frozenset(TOKENS[name]), method, path):
            continue  # the documented over-deny of odd spellings
        exact_arn = (
            not kind.startswith("http")
            or arn_form == "request"
            or (
                outcome.route.method != "ANY"
                and "{" not in outcome.route.path
                and outcome.route.path
            )
        )
        # Uncached answers are exact, except where the event leaves the path
        # itself open to two readings (a named stage, with an ARN that names
        # the route): a key must then be met under both.
        exact_path = exact_arn or stage == "$default"
        if not simple and (exact_arn or (cache == "off" and exact_path)):
            assert outcome.status == 200, context
        if simple and cache == "off" and exact_path:
            assert outcome.status == 200, context


def test_the_readme_rule_keeps_a_reader_out_of_delete_on_every_event_kind(
    verifier: CognitoJwtVerifier, tokens: dict[str, str]
) -> None:
    """The seed scenario: GET then DELETE /news within the TTL, for each kind, per token."""
    for kind, simple, response_format in CONFIGS:
        if kind == "websocket" or response_format == "simple":
            continue
        handler = make_handler(
            verifier,
            rule={"DELETE": "admin"},
            response_format=response_format,  # type: ignore[arg-type]
        )
        api = ApiModel(kind=kind, routes=REST_ROUTES, handler=handler, simple_responses=simple)
        assert api.request("DELETE", "/news", tokens["editor"]).status == 403
        api = ApiModel(kind=kind, routes=REST_ROUTES, handler=handler, simple_responses=simple)
        first = api.request("GET", "/news", tokens["editor"]).status
        assert first == (403 if simple else 200), kind
        assert api.request("DELETE", "/news", tokens["editor"]).status == 403, kind
        assert api.request("DELETE", "/news", tokens["admin"]).status == 200, kind
        assert api.invocations == 2, kind  # each token's answer was cached and reused


def test_an_any_route_under_the_route_shaped_arn_reading_fails_closed(
    verifier: CognitoJwtVerifier, tokens: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    handler = make_handler(verifier, rule={"DELETE /news/{id}": "admin"})
    api = ApiModel(
        kind="http-v1", routes=[ModelRoute("ANY", "/news/{id}")], handler=handler, arn_form="route"
    )
    assert api.request("GET", "/news/1", tokens["editor"]).status == 403
    assert api.request("DELETE", "/news/1", tokens["editor"]).status == 403
    assert api.request("DELETE", "/news/1", tokens["admin"]).status == 200
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "authorizer_cache='off'" in warnings[0].getMessage()
    exact = make_handler(verifier, rule={"DELETE /news/{id}": "admin"}, authorizer_cache="off")
    api = ApiModel(
        kind="http-v1",
        routes=[ModelRoute("ANY", "/news/{id}")],
        handler=exact,
        arn_form="route",
        cache="off",
    )
    assert api.request("GET", "/news/1", tokens["editor"]).status == 200
    assert api.request("DELETE", "/news/1", tokens["editor"]).status == 403


def _model_arn_example(api: ApiModel, method: str, path: str) -> str:
    route = api.route_for(method, path)
    assert route is not None
    return api.arn(method, path, route)


def test_model_arns_follow_the_documented_shapes(verifier: CognitoJwtVerifier) -> None:
    """The model's ARNs are the documented ones (see docs/lambda-authorizer.md)."""
    handler = make_handler(verifier)
    rest = ApiModel(kind="rest-token", routes=REST_ROUTES, handler=handler, stage="test")
    prefix = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/test"
    assert _model_arn_example(rest, "GET", "/") == f"{prefix}/GET/"
    assert _model_arn_example(rest, "DELETE", "/news/7") == f"{prefix}/DELETE/news/7"
    ws = ApiModel(kind="websocket", routes=[ModelRoute("$connect")], handler=handler, stage="test")
    assert _model_arn_example(ws, "GET", "") == f"{prefix}/$connect"
    http = ApiModel(
        kind="http-v2", routes=HTTP_ROUTES, handler=handler, stage="test", arn_form="route"
    )
    assert _model_arn_example(http, "DELETE", "/news/7") == f"{prefix}/ANY/news/{{id}}"
    assert _model_arn_example(http, "PATCH", "/x/y") == f"{prefix}/ANY/{{proxy+}}"
    only_default = ApiModel(
        kind="http-v2", routes=[ModelRoute("$default")], handler=handler, arn_form="route"
    )
    assert _model_arn_example(only_default, "GET", "/a") == f"{only_default.stage_arn}/$default"


def _answer(handler: Any, event: dict[str, Any]) -> Any:
    return handler(event, None)


# ------------------------------------ per-route simple responses, deterministically

ANY_ROUTES = [
    ModelRoute("ANY", "/news/{id}"),
    ModelRoute("GET", "/news"),
    ModelRoute("$default"),
]


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/news/7"), ("GET", "/other"), ("GET", "/news")]
)
def test_per_route_simple_answers_hold_for_every_request_of_the_route(
    verifier: CognitoJwtVerifier, tokens: dict[str, str], method: str, path: str
) -> None:
    """A reader's cached `true` on an `ANY` or `$default` route must not open its `DELETE`."""
    handler = make_handler(
        verifier,
        rule={"DELETE /news/{id}": "admin", "DELETE /other": "admin"},
        response_format="simple",
        authorizer_cache="per-route",
    )
    api = ApiModel(
        kind="http-v2", routes=ANY_ROUTES, handler=handler, cache="per-route", simple_responses=True
    )
    first = api.request(method, path, tokens["editor"]).status
    delete = api.request("DELETE", path, tokens["editor"]).status
    if path == "/news":  # GET has its own route; DELETE falls to $default, which may need admin
        assert (first, delete) == (200, 403)
        return
    assert (first, delete) == (403, 403)
    assert api.request("DELETE", path, tokens["admin"]).status == 200


def test_per_route_simple_answers_cover_every_method_of_an_any_route(
    verifier: CognitoJwtVerifier, tokens: dict[str, str]
) -> None:
    handler = make_handler(
        verifier, rule={"PATCH": "admin"}, response_format="simple", authorizer_cache="per-route"
    )
    api = ApiModel(
        kind="http-v2", routes=ANY_ROUTES, handler=handler, cache="per-route", simple_responses=True
    )
    assert api.request("GET", "/news/7", tokens["editor"]).status == 403
    assert api.request("PATCH", "/news/7", tokens["editor"]).status == 403
    assert api.request("GET", "/news", tokens["editor"]).status == 200


# ------------------------------------------- ARNs that are not the request's own


def _v2(token: str, method: str, raw_path: str, route_key: str, route_arn: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": route_arn,
        "routeKey": route_key,
        "rawPath": raw_path,
        "identitySource": [token],
        "headers": {"authorization": token},
        "requestContext": {
            "stage": "api",
            "routeKey": route_key,
            "http": {"method": method, "path": raw_path},
        },
    }


STAGE = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/api"


@pytest.mark.parametrize(
    ("method", "raw_path", "route_key", "arn_tail"),
    [
        ("DELETE", "/api/news", "DELETE /news", "DELETE /news"),  # AWS's route-key ARN form
        ("delete", "/api/news", "ANY /{proxy+}", "delete/news"),
        ("DELETE", "/api/%6Eews", "DELETE /news", "DELETE/%6Eews"),
        ("DELETE", "/api/news/", "DELETE /news", "DELETE/news/"),
        ("DELETE", "/api//news", "ANY /{proxy+}", "DELETE//news"),
    ],
)
def test_an_arn_the_patterns_do_not_name_is_still_denied_when_the_rule_denies(
    verifier: CognitoJwtVerifier,
    tokens: dict[str, str],
    method: str,
    raw_path: str,
    route_key: str,
    arn_tail: str,
) -> None:
    arn = f"{STAGE}/{arn_tail}"
    for cache in ("per-token", "per-route", "off"):
        handler = make_handler(
            verifier,
            rule={"DELETE /news": "admin"},
            response_format="policy",
            authorizer_cache=cache,
        )
        event = _v2(tokens["editor"], method, raw_path, route_key, arn)
        assert iam_allows(handler(event, None), arn) is False, (cache, arn_tail)
        admin = _v2(tokens["admin"], method, raw_path, route_key, arn)
        assert iam_allows(handler(admin, None), arn) is True, (cache, arn_tail)


def test_a_cached_policy_denies_the_route_key_arn_form(
    verifier: CognitoJwtVerifier, tokens: dict[str, str]
) -> None:
    """Cached from `GET /news`, the policy must deny `.../DELETE /news` too."""
    handler = make_handler(verifier, rule={"DELETE /news": "admin"}, response_format="policy")
    get = _v2(tokens["editor"], "GET", "/api/news", "GET /news", f"{STAGE}/GET /news")
    policy = handler(get, None)
    assert iam_allows(policy, f"{STAGE}/GET /news") is True
    assert iam_allows(policy, f"{STAGE}/DELETE /news") is False
    assert iam_allows(policy, f"{STAGE}/DELETE/news/") is False


@pytest.mark.parametrize("arn_tail", ["ANY/news", "delete/news", "DELETE/news/{x}"])
def test_a_rest_arn_of_an_unexpected_shape_keeps_its_path_for_the_rule(
    verifier: CognitoJwtVerifier, tokens: dict[str, str], arn_tail: str
) -> None:
    arn = f"{STAGE}/{arn_tail}"
    handler = make_handler(
        verifier, rule={"DELETE /news": "admin", "DELETE /news/*": "admin"}, authorizer_cache="off"
    )
    event = {"type": "TOKEN", "authorizationToken": tokens["editor"], "methodArn": arn}
    assert iam_allows(handler(event, None), arn) is False


def test_unmatched_deny_refuses_one_segment_templates_and_greedy_ones_need_a_segment(
    verifier: CognitoJwtVerifier, tokens: dict[str, str]
) -> None:
    with pytest.raises(ConfigurationError, match="unmatched='deny'"):
        require_groups_for({"GET /news/{id}": "editors"}, unmatched="deny")
    rule = require_groups_for({"GET /{proxy+}": "editors"}, unmatched="deny")
    handler = make_handler(verifier, rule=rule)
    api = ApiModel(kind="rest-token", routes=REST_ROUTES, handler=handler)
    assert api.request("GET", "/news", tokens["editor"]).status == 200
    assert api.request("GET", "/", tokens["editor"]).status == 403


def test_per_route_simple_answers_with_unmatched_deny_need_the_whole_route_covered(
    verifier: CognitoJwtVerifier, tokens: dict[str, str]
) -> None:
    rule = require_groups_for({"GET /news": "editors", "GET /news/{x+}": "admin"}, unmatched="deny")
    handler = make_handler(
        verifier, rule=rule, response_format="simple", authorizer_cache="per-route"
    )
    api = ApiModel(
        kind="http-v2", routes=ANY_ROUTES, handler=handler, cache="per-route", simple_responses=True
    )
    assert api.request("GET", "/news", tokens["editor"]).status == 200  # GET /news: covered
    assert api.request("GET", "/news/7", tokens["editor"]).status == 403  # ANY route: not covered
    assert api.request("GET", "/news/7", tokens["both"]).status == 403  # POST /news/7 is unlisted
    other = require_groups_for({"* /admin/*": "editors"}, unmatched="deny")
    handler = make_handler(
        verifier, rule=other, response_format="simple", authorizer_cache="per-route"
    )
    api = ApiModel(
        kind="http-v2",
        routes=[*ANY_ROUTES, ModelRoute("ANY", "/admin/{proxy+}")],
        handler=handler,
        cache="per-route",
        simple_responses=True,
    )
    assert api.request("GET", "/news/7", tokens["editor"]).status == 403  # /admin/* is elsewhere
    assert api.request("PUT", "/admin/x", tokens["editor"]).status == 200


def test_a_met_key_does_not_allow_route_shaped_arns_under_unmatched_deny(
    verifier: CognitoJwtVerifier, tokens: dict[str, str]
) -> None:
    """With route-shaped ARNs, allowing `ANY/...` for a met `PUT` key would open its `GET`."""
    rule = require_groups_for({"PUT /{proxy+}": "admin", "$connect": "admin"}, unmatched="deny")
    handler = make_handler(verifier, rule=rule, response_format="policy")
    api = ApiModel(kind="http-v2", routes=HTTP_ROUTES, handler=handler, arn_form="route")
    assert api.request("GET", "/news/7", tokens["admin"]).status == 403
    assert api.request("GET", "/other/x", tokens["admin"]).status == 403


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("cache", ["per-token", "per-route"])
@pytest.mark.parametrize("kind", ["rest-token", "rest-request", "http-v1", "http-v2"])
def test_every_key_shape_keeps_its_cached_policy_shut_on_every_spelling(
    verifier: CognitoJwtVerifier,
    tokens: dict[str, str],
    key: str,
    cache: CacheMode,
    kind: EventKind,
) -> None:
    """One cached policy per token, reused on every method and spelling of every path."""
    if key == "$connect":
        return
    handler = make_handler(verifier, rule={key: "admin"}, response_format="policy")
    api = ApiModel(kind=kind, routes=REST_ROUTES, handler=handler, cache=cache)
    keys = [read_key(key, ["admin"])]
    assert api.request("GET", "/other/x", tokens["editor"]).route is not None
    for method in (*HTTP_METHODS, *LOWER_CASE):
        for path in PATHS:
            outcome = api.request(method, path, tokens["editor"])
            if outcome.route is None:
                continue
            if not expected(keys, "allow", frozenset(["editors"]), method, path):
                assert outcome.status == 403, (method, path, outcome)
    if cache == "per-token":
        assert api.invocations == 1  # every answer after the first came from the cache
