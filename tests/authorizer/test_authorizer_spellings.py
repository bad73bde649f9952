"""A policy cached from any request denies every spelling of every route its rule denies.

API Gateway reuses an authorizer's policy for the token's later requests.  AWS
does not document whether `methodArn`/`routeArn` carry the path decoded,
slash-merged or case-folded, while backends do read `/%6Eews`, `//news`,
`/x/../news` and `delete` as `/news` and `DELETE`.  So the policy must deny
those spellings whichever request came first, and, since IAM cannot say
"decodes to", it denies every path holding `%`, `//`, `/./` or `/../` for the
methods at stake.  The over-deny that costs is pinned here, row by row.

Events come from the test kit's `api_gateway_event`, whose shapes are checked
key by key against AWS's sample events.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, get_args
from urllib.parse import unquote

import pytest

from cognito_jwt import CognitoJwtVerifier
from cognito_jwt.authorizer import EventKind, make_handler, policy_allows
from cognito_jwt.testing import FakeCognitoPool, api_gateway_event

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "authorizer_events"
KINDS: tuple[EventKind, ...] = get_args(EventKind)

# ------------------------------------------------------- the test kit's events


def _shape(value: object) -> object:
    """The keys of nested objects (values dropped): what 'the same shape' means."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if not k.startswith("_")}
    return type(value).__name__


FIXTURE_OF = {
    "rest-token": "rest-token.json",
    "rest-request": "rest-request.json",
    "http-v1": "http-v1.json",
    "http-v2": "http-v2.json",
    "websocket": "websocket-connect.json",
}


@pytest.mark.parametrize("kind", KINDS)
def test_the_kits_events_have_the_shape_of_awss_samples(kind: EventKind) -> None:
    sample = json.loads((FIXTURES / FIXTURE_OF[kind]).read_text())
    built = api_gateway_event(kind, method="GET", path="/request", token="t")
    assert set(built) == {k for k in sample if not k.startswith("_")}
    for key, value in sample.items():
        if not key.startswith("_"):
            assert type(built[key]) is type(value), key
    # The request context key by key, nested objects included (their values vary).
    assert _shape(built.get("requestContext", {})) == _shape(sample.get("requestContext", {}))


def test_the_kits_event_kinds_are_the_authorizers() -> None:
    assert set(FIXTURE_OF) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_the_authorizer_reads_the_kits_events_as_the_request(
    kind: EventKind, pool: FakeCognitoPool
) -> None:
    token = pool.id_token(groups=["admin"])
    event = api_gateway_event(kind, method="DELETE", path="/news/7", token=token)
    handler = make_handler(pool.verifier("id"), response_format="policy")
    answer = handler(event, None)
    arn = event.get("routeArn") or event["methodArn"]
    assert policy_allows(answer, arn)
    stage = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test"
    assert arn == (f"{stage}/$connect" if kind == "websocket" else f"{stage}/DELETE/news/7")


def test_the_kits_events_reject_an_unknown_kind_or_a_relative_path() -> None:
    with pytest.raises(ValueError, match="kind"):
        api_gateway_event("rest", path="/")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="leading"):
        api_gateway_event("rest-token", path="news")


# --------------------------------------------------------------- the spellings

RULE = {"DELETE /news": "admin", "* /admin/*": "admin"}
#: Requests of a reader the rule denies, in the spellings a backend reads as the route.
DENIED_SPELLINGS = [
    ("DELETE", "/news"),
    ("DELETE", "/news/"),
    ("DELETE", "/%6Eews"),
    ("DELETE", "/%6eews"),
    ("DELETE", "//news"),
    ("DELETE", "/news//"),
    ("DELETE", "/x/../news"),
    ("DELETE", "/./news"),
    ("DELETE", "/x/%2E%2E/news"),
    ("delete", "/news"),
    ("Delete", "/news/"),
    ("GET", "/%61dmin/users"),
    ("GET", "//admin/users"),
    ("GET", "/%61dmin"),
    ("get", "/admin"),
    ("pUt", "/admin/x"),
    ("GET", "/x/../admin"),
    ("OPTIONS", "/admin/./x"),
]
#: Requests that start a token's cached policy: allowed ones and denied ones.
FIRST = [("GET", "/news"), ("DELETE", "/drafts/1"), ("POST", "/x"), *DENIED_SPELLINGS[:3]]
POLICY_KINDS = [k for k in KINDS if k != "websocket"]
STAGE = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test"


@pytest.fixture(scope="module")
def verifier(pool: FakeCognitoPool) -> CognitoJwtVerifier:
    return pool.verifier("id")


def _event(kind: EventKind, method: str, path: str, token: str) -> dict[str, Any]:
    return api_gateway_event(kind, method=method, path=path, token=token)


def _arn(event: dict[str, Any]) -> str:
    return str(event.get("routeArn") or event["methodArn"])


@pytest.mark.parametrize("cache", ["per-token", "per-route"])
@pytest.mark.parametrize("kind", POLICY_KINDS)
@pytest.mark.parametrize(("first_method", "first_path"), FIRST)
def test_a_cached_policy_denies_every_spelling_whichever_request_came_first(
    verifier: CognitoJwtVerifier,
    pool: FakeCognitoPool,
    kind: EventKind,
    cache: str,
    first_method: str,
    first_path: str,
) -> None:
    """`GET /news` then `DELETE /%6Eews` from the cache used to be allowed."""
    handler = make_handler(
        verifier,
        rule=RULE,
        response_format="policy",
        authorizer_cache=cache,  # type: ignore[arg-type]
    )
    reader = pool.id_token(groups=["readers"])
    cached = handler(_event(kind, first_method, first_path, reader), None)
    for method, path in DENIED_SPELLINGS:
        event = _event(kind, method, path, reader)
        arn = _arn(event)
        assert policy_allows(cached, arn) is False, (method, path)
        assert policy_allows(handler(event, None), arn) is False, (method, path)
    admin = pool.id_token(groups=["admin"])
    cached = handler(_event(kind, first_method, first_path, admin), None)
    for method, path in DENIED_SPELLINGS:
        assert policy_allows(cached, _arn(_event(kind, method, path, admin))), (method, path)


@pytest.mark.parametrize("kind", POLICY_KINDS)
@pytest.mark.parametrize(("method", "path"), DENIED_SPELLINGS)
def test_without_a_cache_every_spelling_is_denied_too(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool, kind: EventKind, method: str, path: str
) -> None:
    handler = make_handler(verifier, rule=RULE, response_format="policy", authorizer_cache="off")
    event = _event(kind, method, path, pool.id_token(groups=["readers"]))
    assert policy_allows(handler(event, None), _arn(event)) is False


# ------------------------------------------------------------ the over-deny

METHODS = ["GET", "get", "HEAD", "POST", "PUT", "PATCH", "DELETE", "delete", "OPTIONS", "DEBUG"]
PATHS = [
    "/news",
    "/x/news",
    "/a/b",
    "/news/",
    "/%6Eews",
    "//news",
    "/users/a%40b.com",
    "/a//b",
    "/a/./b",
    "/a/../b",
    "/a/b/",
    "/admin/users",
    "/%61dmin",
    "/admins",
    "/.well-known/x",
]


def _backend_reads(path: str) -> str:
    """How a decoding, slash-merging, dot-resolving backend reads `path` (without `/`-twin)."""
    path = re.sub("/{2,}", "/", unquote(path))
    kept: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            kept = kept[:-1]
        elif segment != ".":
            kept.append(segment)
    resolved = "/" + "/".join(kept)
    return resolved[:-1] if len(resolved) > 1 and resolved.endswith("/") else resolved


def _rule_allows(rule: dict[str, str], method: str, path: str) -> bool:
    """A reader under `rule`, read independently: DELETE keys and `* /admin/*` keys only."""
    method, path = method.upper(), _backend_reads(path)
    for key in rule:
        key_method, _, key_path = key.partition(" ")
        if key_method not in ("*", method):
            continue
        if not key_path:
            return False
        if key_path.endswith("/*"):
            base = key_path[:-2]
            if path == base or path.startswith(base + "/"):
                return False
        elif path == key_path:
            return False
    return True


def _over_denied(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool, rule: dict[str, str]
) -> set[tuple[str, str]]:
    handler = make_handler(verifier, rule=rule)
    reader = pool.id_token(groups=["readers"])
    policy = handler(api_gateway_event("rest-token", path="/", token=reader), None)
    over: set[tuple[str, str]] = set()
    for method in METHODS:
        for path in PATHS:
            allowed = policy_allows(policy, f"{STAGE}/{method}/{path[1:]}")
            truth = _rule_allows(rule, method, path)
            assert truth or not allowed, ("under-deny", method, path)
            if truth and not allowed:
                over.add((method, path))
    return over


def test_the_readmes_rule_over_denies_no_request_of_the_seven_methods(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool
) -> None:
    """`{"DELETE": "admin"}`: every DELETE, in any case, is denied anyway; nothing else is.

    The one row: `D?????/*` (DELETE in any case) also matches a five-letter
    D-method followed by `//` (`?` matches the `/`); no standard method.
    """
    assert _over_denied(verifier, pool, {"DELETE": "admin"}) == {("DEBUG", "//news")}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_p_method_denied_everywhere_denies_no_other_p_method(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool, method: str
) -> None:
    """POST, PUT and PATCH share their first letter: the policy keeps two letters of each.

    With the first letter and the length alone, `P????/*` (PATCH in any case)
    would also hold `PUT /a/b` (`?` matches the `/` and the path), and
    `P???/*` (POST) `PUT //news`.
    """
    over = _over_denied(verifier, pool, {method: "admin"})
    assert {m for m, _ in over} <= {"DEBUG"}, over


def test_the_over_deny_of_a_rule_with_an_every_method_key_is_every_odd_path(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool
) -> None:
    """`* /admin/*` puts every method at stake: each path with `%`, `//`, `/./`, `/../`."""
    odd = ["/users/a%40b.com", "/a//b", "/a/./b", "/a/../b"]
    expected = {(m, p) for m in METHODS for p in odd}  # `/%61dmin` is /admin: denied anyway
    # `/%6Eews` and `//news` are /news, denied to DELETE by the rule itself.
    expected |= {(m, p) for m in METHODS if m.upper() != "DELETE" for p in ("/%6Eews", "//news")}
    assert _over_denied(verifier, pool, RULE) == expected
