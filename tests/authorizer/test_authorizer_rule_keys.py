"""Every guard of the rule-key grammar, one row each: refused with which message, or enforced.

A key that can never match would leave its routes open, so each guard in
`_rules` has a row here that fails when the guard is removed or weakened:
refused keys with the words of their message; enforced keys with the
requests that show them working (a real signed token, evaluated the way API
Gateway evaluates the returned policy).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from cognito_jwt import ConfigurationError
from cognito_jwt.authorizer import (
    GroupRule,
    describe_request,
    make_handler,
    parse_execute_api_arn,
    policy_allows,
    require_groups_for,
)
from cognito_jwt.testing import FakeCognitoPool, api_gateway_event

#: key (or None for a non-key argument) -> the words its refusal must hold.
REFUSED: list[tuple[Any, dict[str, Any], str]] = [
    ("$default", {}, "only called for the WebSocket route $connect"),
    ("$disconnect", {}, "only called for the WebSocket route $connect"),
    ("$CONNECT", {}, "only called for the WebSocket route $connect"),
    ("$connect /x", {}, "$connect has no path"),
    (1, {}, "group rule keys must be strings"),
    (None, {}, "group rule keys must be strings"),
    (("GET", "/x"), {}, "group rule keys must be strings"),
    ("", {}, "one method, then at most one space and a path"),
    (" /news", {}, "one method, then at most one space and a path"),
    ("DELETE ", {}, "one method, then at most one space and a path"),
    ("DELETE\t/news", {}, "one method, then at most one space and a path"),
    ("DELETE /news x", {}, "whitespace inside the path"),
    ("DELETE  /news", {}, "whitespace inside the path"),
    ("GET /a\tb", {}, "whitespace inside the path"),
    ("FETCH /news", {}, "unknown method 'FETCH'"),
    ("GET news", {}, "must start with '/'"),
    ("GET /news//x", {}, "empty path segment"),
    ("GET /a*b", {}, "path segment 'a*b'"),
    ("GET /{x+}/y", {}, "a greedy {x+} must be the last segment"),
    ("GET /news", {"unmatched": "Deny"}, "unmatched: expected 'allow' or 'deny', found 'Deny'"),
    ("GET /news", {"unmatched": None}, "unmatched: expected 'allow' or 'deny', found None"),
    ("GET /news/{id}", {"unmatched": "deny"}, "a {name} template would also open"),
]


@pytest.mark.parametrize(("key", "options", "message"), REFUSED)
def test_a_key_outside_the_grammar_is_refused_with_its_reason(
    key: Any, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        require_groups_for({key: "admin"}, **options)
    assert message in str(raised.value)


def test_a_group_rule_built_directly_refuses_an_invalid_unmatched() -> None:
    with pytest.raises(ConfigurationError, match="unmatched: expected 'allow' or 'deny'"):
        GroupRule([], unmatched="sometimes")  # type: ignore[arg-type]


STAGE = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test"
#: key -> (requests a reader is denied, requests a reader is allowed), as (kind, method, path).
ENFORCED: list[tuple[str, list[tuple[str, str, str]], list[tuple[str, str, str]]]] = [
    (
        "$connect",
        [("websocket", "GET", "/")],
        [("rest-token", "GET", "/news"), ("rest-token", "DELETE", "/news")],
    ),
    (
        "DELETE",
        [("rest-token", "DELETE", "/news"), ("rest-request", "delete", "/x")],
        [("websocket", "GET", "/"), ("rest-token", "GET", "/news")],
    ),
    (
        "* /admin/*",
        [("rest-token", "GET", "/admin"), ("rest-token", "PUT", "/admin/x/y")],
        [("rest-token", "GET", "/administrators"), ("websocket", "GET", "/")],
    ),
    (
        "GET /news",
        [("rest-token", "GET", "/news"), ("rest-token", "HEAD", "/news/")],
        [("rest-token", "GET", "/news/7"), ("rest-token", "POST", "/news")],
    ),
    (
        "GET /*",
        [
            ("rest-token", "GET", "/"),
            ("rest-token", "GET", "/news"),
            ("rest-token", "HEAD", "/a/b"),
        ],
        [("rest-token", "POST", "/news"), ("websocket", "GET", "/")],
    ),
]


def _arn(event: dict[str, Any]) -> str:
    return str(event.get("routeArn") or event["methodArn"])


@pytest.mark.parametrize(("key", "denied", "allowed"), ENFORCED)
@pytest.mark.parametrize("cache", ["per-token", "off"])
def test_an_accepted_key_is_enforced_on_exactly_its_requests(
    pool: FakeCognitoPool,
    key: str,
    denied: list[tuple[str, str, str]],
    allowed: list[tuple[str, str, str]],
    cache: str,
) -> None:
    handler = make_handler(pool.verifier("id"), rule={key: "admin"}, authorizer_cache=cache)  # type: ignore[arg-type]
    for token, verdict in ((pool.id_token(groups=["readers"]), False), (pool.id_token(), False)):
        for kind, method, path in denied:
            event = api_gateway_event(kind, method=method, path=path, token=token)  # type: ignore[arg-type]
            assert policy_allows(handler(event, None), _arn(event)) is verdict, (kind, method, path)
    reader = pool.id_token(groups=["readers"])
    for kind, method, path in allowed:
        event = api_gateway_event(kind, method=method, path=path, token=reader)  # type: ignore[arg-type]
        assert policy_allows(handler(event, None), _arn(event)), (kind, method, path)
    admin = pool.id_token(groups=["admin"])
    for kind, method, path in denied:
        event = api_gateway_event(kind, method=method, path=path, token=admin)  # type: ignore[arg-type]
        assert policy_allows(handler(event, None), _arn(event)), (kind, method, path)


def test_a_websocket_event_without_a_method_is_read_as_connect(pool: FakeCognitoPool) -> None:
    """`_targets`' WebSocket branch: no method in the event still means `$connect`."""
    rule = require_groups_for({"$connect": "admin"})
    event = api_gateway_event("websocket", token=pool.id_token(groups=["readers"]))
    event["methodArn"] = f"{STAGE}/"  # no route key in the ARN; the context says CONNECT
    event["requestContext"].pop("routeKey")
    handler = make_handler(pool.verifier("id"), rule=rule, authorizer_cache="off")
    assert policy_allows(handler(event, None), event["methodArn"]) is False


@pytest.mark.parametrize(
    ("route", "covered"),
    [
        ("ANY /admin/{proxy+}", True),  # `/admin/*` holds every request of the route
        ("GET /admin/users", True),
        ("ANY /admin", True),
        ("GET /administrators", False),  # a prefix of characters is not a prefix of segments
        ("ANY /{proxy+}", False),
        ("$default", False),
    ],
)
def test_a_met_prefix_key_covers_exactly_the_routes_below_it(route: str, covered: bool) -> None:
    """`_pattern_contains`' prefix branch: per-route simple answers, `unmatched="deny"`."""
    rule = require_groups_for({"* /admin/*": "editors"}, unmatched="deny")
    assert rule.allows_on_route(route, frozenset({"editors"})) is covered


def test_a_caller_lacking_the_group_of_a_key_for_everything_is_denied_by_one_pattern() -> None:
    """`*` already covers every oddly spelled path: the policy names nothing else."""
    rule = require_groups_for({"*": "admin"})
    arn = parse_execute_api_arn(f"{STAGE}/GET/news")
    assert rule.denied_for_groups(arn, frozenset({"readers"})) == [f"{STAGE}/*"]
    assert rule.denied_for_groups(arn, frozenset({"admin"})) == []


def test_with_unmatched_deny_an_allowed_prefix_does_not_open_an_odd_spelling_below_it(
    pool: FakeCognitoPool,
) -> None:
    """`GET /news/*` allows `GET/news/*`, which also names `/news/../admin`: denied explicitly."""
    rule = require_groups_for({"GET /news/*": "readers"}, unmatched="deny")
    handler = make_handler(pool.verifier("id"), rule=rule)
    event = api_gateway_event(
        "rest-token", method="GET", path="/news/1", token=pool.id_token(groups=["readers"])
    )
    answer = handler(event, None)
    stage = _arn(event).removesuffix("/GET/news/1")
    assert policy_allows(answer, f"{stage}/GET/news/1")
    for odd in ("/news/../admin", "/news//x", "/news/./x", "/news/%61dmin"):
        assert policy_allows(answer, f"{stage}/GET{odd}") is False, odd


def test_a_built_rule_s_requirements_cannot_be_changed() -> None:
    """A handler checks the rule once, when it is built: a requirement changed later would
    escape those checks."""
    rule = require_groups_for({"DELETE /news": "admin"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.requirements[0].groups = frozenset({"anyone"})  # type: ignore[misc]


def test_a_group_rule_built_directly_allows_what_no_key_covers_by_default() -> None:
    keys = require_groups_for({"DELETE /news": "admin"}).requirements
    rule = GroupRule(keys)
    assert rule.unmatched == "allow"
    assert rule.allows_everywhere(frozenset({"admin"})) is True


def test_a_caller_lacking_any_one_key_s_group_may_not_call_everything() -> None:
    rule = require_groups_for({"DELETE": "admin", "GET": "readers"})
    assert rule.allows_everywhere(frozenset({"readers"})) is False
    assert rule.allows_everywhere(frozenset({"admin"})) is False
    assert rule.allows_everywhere(frozenset({"admin", "readers"})) is True


def test_a_rule_without_keys_answers_the_same_on_every_route() -> None:
    assert require_groups_for({}).route_dependent is False
    assert require_groups_for({"*": "admin"}).route_dependent is False
    assert require_groups_for({"GET": "admin"}).route_dependent is True


@pytest.mark.parametrize(
    ("route_key", "allowed"),
    [
        ("GET /news", True),
        ("GET", True),  # no path: every path of GET, none of POST
        ("POST /news", False),
        ("GET news", False),  # unreadable: read as $default, which may carry a POST
        ("$default", False),
        (None, False),
    ],
)
def test_a_route_key_is_read_as_the_requests_it_may_carry(
    route_key: str | None, allowed: bool
) -> None:
    rule = require_groups_for({"POST": "admin"})
    assert rule.allows_on_route(route_key, frozenset({"readers"})) is allowed


@pytest.mark.parametrize("groups", [["admin", ""], ["admin", "  "], ["admin", 3]])
def test_every_group_a_key_names_must_be_a_name(groups: list[Any]) -> None:
    with pytest.raises(ConfigurationError, match="names no group"):
        require_groups_for({"DELETE /news": groups})


def test_a_rule_mixing_a_key_for_everything_with_others_is_route_dependent() -> None:
    assert require_groups_for({"*": "admin", "GET": "readers"}).route_dependent is True
    both = require_groups_for({"*": "admin", "GET": "readers"}, unmatched="deny")
    assert both.allows_everywhere(frozenset({"admin", "readers"})) is True
    connect = require_groups_for({"$connect": "admin"}, unmatched="deny")
    assert connect.route_dependent is True  # $connect is one route, not every one
    assert connect.allows_everywhere(frozenset({"admin"})) is False


def test_with_unmatched_deny_one_met_key_covering_the_route_is_enough() -> None:
    rule = require_groups_for({"GET /news": "readers", "POST /x": "readers"}, unmatched="deny")
    assert rule.allows_on_route("GET /news", frozenset({"readers"})) is True
    assert rule.allows_on_route("GET /other", frozenset({"readers"})) is False


def test_a_route_key_without_a_path_may_carry_every_path_of_its_method() -> None:
    rule = require_groups_for({"GET /news": "admin"})
    assert rule.allows_on_route("GET", frozenset({"readers"})) is False
    assert rule.allows_on_route("POST", frozenset({"readers"})) is True


def test_with_unmatched_deny_every_reading_of_the_path_must_be_listed(
    pool: FakeCognitoPool,
) -> None:
    """`/news/../admin` is under `/news/*` as written, and is `/admin` once normalised."""
    rule = require_groups_for({"GET /news/*": "readers"}, unmatched="deny")
    event = api_gateway_event(
        "rest-request",
        method="GET",
        path="/news/../admin",
        token=pool.id_token(groups=["readers"]),
    )
    assert rule.allows(describe_request(event), frozenset({"readers"})) is False
    plain = api_gateway_event("rest-request", method="GET", path="/news/1", token="x")
    assert rule.allows(describe_request(plain), frozenset({"readers"})) is True


def test_a_met_key_for_everything_keeps_other_methods_odd_spellings_open(
    pool: FakeCognitoPool,
) -> None:
    """Only the methods at stake (DELETE here) have their odd spellings denied."""
    rule = require_groups_for({"*": "readers", "DELETE": "admin"}, unmatched="deny")
    event = api_gateway_event(
        "rest-token", method="GET", path="/news", token=pool.id_token(groups=["readers"])
    )
    answer = make_handler(pool.verifier("id"), rule=rule)(event, None)
    stage = _arn(event).removesuffix("/GET/news")
    assert policy_allows(answer, f"{stage}/GET//news")
    assert policy_allows(answer, f"{stage}/DELETE//news") is False


def test_a_key_for_every_method_denies_its_route_key_forms_without_naming_methods() -> None:
    """`??? /admin` for seven `GET /admin`...: every route method of any case, in fewer patterns
    (a policy has 8 KB)."""
    arn = parse_execute_api_arn(f"{STAGE}/GET/x")
    denied = require_groups_for({"* /admin": "admin"}).denied_for_groups(arn, frozenset())
    route_forms = [p.removeprefix(f"{STAGE}/") for p in denied if " /" in p]
    assert route_forms
    assert all(set(form.split(" ")[0]) == {"?"} for form in route_forms), route_forms
