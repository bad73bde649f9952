"""IAM wildcard matching does bounded work, and no client's ARN reaches a policy unchecked.

* The matcher (`_glob`) is held to a step count, never a clock: its
  comparisons on the adversarial paths of a backtracking attack (rule keys
  with several `{templates}` before a literal, paths of 2 KB and 8 KB built
  from the key's own separators) stay within a small constant times
  |pattern| + |value|, per call and over a whole authorizer invocation.
* It agrees with an independent reference, a memoised recursive matcher
  written here from IAM's definition, on random patterns and values; so does
  the overlap test with its own reference.
* An ARN longer than AWS's 1,600-byte method-ARN bound, an ARN holding a
  client's `*` or `?`, and an ARN that would be echoed into a policy beyond
  AWS's 512-character Resource limit are denied, with every mode of the cache.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_jwt import CognitoJwtVerifier
from cognito_jwt.authorizer import _glob, make_handler, policy_allows, require_groups_for
from cognito_jwt.authorizer._glob import counted_match, counted_overlap, overlap, wildcard_match
from cognito_jwt.testing import FakeCognitoPool

STAGE = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/api"
#: The constant of the bound: comparisons <= C * (|pattern| + |value|).
C = 4
EXAMPLES = max(int(os.environ.get("COGNITO_JWT_FUZZ_EXAMPLES", "600")), 1)

# ------------------------------------------------------------- the reference


def reference_match(pattern: str, value: str) -> bool:
    """IAM's definition, directly: `*` any run (possibly empty), `?` one character."""

    @cache
    def at(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(value)
        if pattern[i] == "*":
            return at(i + 1, j) or (j < len(value) and at(i, j + 1))
        return j < len(value) and pattern[i] in ("?", value[j]) and at(i + 1, j + 1)

    return at(0, 0)


def reference_overlap(first: str, second: str) -> bool:
    """Whether one string matches both patterns, by the same recursion on two patterns."""

    @cache
    def at(i: int, j: int) -> bool:
        if i == len(first) and j == len(second):
            return True
        if i < len(first) and first[i] == "*":
            return at(i + 1, j) or (j < len(second) and at(i, j + 1))
        if j < len(second) and second[j] == "*":
            return at(i, j + 1) or (i < len(first) and at(i + 1, j))
        if i == len(first) or j == len(second):
            return False
        return (first[i] == second[j] or "?" in (first[i], second[j])) and at(i + 1, j + 1)

    return at(0, 0)


patterns = st.text(alphabet="ab/*?", max_size=12)
values = st.text(alphabet="ab/", max_size=16)


@settings(max_examples=EXAMPLES, deadline=None)
@given(pattern=patterns, value=values)
def test_the_matcher_agrees_with_iams_definition(pattern: str, value: str) -> None:
    assert wildcard_match(pattern, value) is reference_match(pattern, value)


@settings(max_examples=EXAMPLES, deadline=None)
@given(first=patterns, second=patterns)
def test_the_overlap_test_agrees_with_its_definition(first: str, second: str) -> None:
    assert overlap(first, second) is reference_overlap(first, second)


@settings(max_examples=EXAMPLES // 2 + 1, deadline=None)
@given(first=patterns, second=patterns, value=values)
def test_a_string_matching_both_patterns_means_they_overlap(
    first: str, second: str, value: str
) -> None:
    if wildcard_match(first, value) and wildcard_match(second, value):
        assert overlap(first, second)


# ------------------------------------------------------------- step counts


def _library_shaped(segments: list[str]) -> str:
    """A pattern as the rules write them: literals, and `?*` for each template."""
    return "".join(segments)


library_patterns = st.lists(st.sampled_from(["a", "b", "/", "ab/", "?*", "*"]), max_size=10).map(
    _library_shaped
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(pattern=library_patterns, value=st.text(alphabet="ab/", max_size=200))
def test_matching_a_library_pattern_costs_at_most_c_times_the_input(
    pattern: str, value: str
) -> None:
    matched, steps = counted_match(pattern, value)
    if len(value) <= 60:  # the reference recurses once per character
        assert matched is reference_match(pattern, value)
    assert steps <= C * (len(pattern) + len(value)) + C


@settings(max_examples=EXAMPLES, deadline=None)
@given(first=library_patterns, second=library_patterns)
def test_the_overlap_of_library_patterns_costs_at_most_c_times_the_input(
    first: str, second: str
) -> None:
    _, steps = counted_overlap(first, second)
    assert steps <= C * (len(first) + len(second)) + C


@pytest.fixture
def fresh_tables() -> None:
    """Empty the compiled-pattern cache: the test builds (and counts) the tables itself,
    whatever ran before it (`nox -s mutate` gives a line the tests that run it)."""
    _glob._compile.cache_clear()


def _words(alphabet: str, longest: int) -> list[str]:
    return ["".join(w) for n in range(longest + 1) for w in itertools.product(alphabet, repeat=n)]


def test_every_short_segment_is_found_wherever_it_occurs(fresh_tables: None) -> None:
    """`*s*` against every short string: a false start (`aab` in `aaab`) must not lose the match.

    Exhaustive over `a`/`b`, so each shape of failure table is searched from every offset;
    Python's `in` is the reference.
    """
    values = _words("ab", 7)
    wrong = [
        (segment, value)
        for segment in _words("ab", 5)[1:]
        for value in values
        if wildcard_match(f"*{segment}*", value) is not (segment in value)
    ]
    assert not wrong, wrong[:5]


def test_a_segment_that_overlaps_itself_is_searched_in_linear_steps(fresh_tables: None) -> None:
    """`aa...ab` in `aa...a`: a search restarting at each position compares ~32 characters there."""
    pattern = "*" + "a" * 32 + "b*"
    for value in ("a" * 4096, "a" * 4096 + "b"):
        matched, steps = counted_match(pattern, value)
        assert matched is value.endswith("b")
        assert steps <= C * (len(pattern) + len(value))


# The bounds above hold only if the count misses no comparison.


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("abc", "abc", (True, 3)),  # no `*`: one comparison per character
        ("abc", "abcd", (False, 1)),  # no `*`: the lengths differ, one test
        ("a*?b", "axb", (True, 3)),  # head 1, tail 1, the final position test 1
        ("*ab*", "ab", (True, 4)),  # the table of `ab` 1, its search 2, the position test 1
        ("*a?b*", "xazb", (True, 5)),  # `?` inside: no table; starts 0 (1) and 1 (3); 1
    ],
)
def test_the_comparison_count_is_exact_on_worked_examples(
    pattern: str, value: str, expected: tuple[bool, int], fresh_tables: None
) -> None:
    assert counted_match(pattern, value) == expected


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("a*b", "ab*", (True, 3)),  # heads: 1 comparison and the verdict; tails: the verdict
        ("*ab*", "*ab*", (True, 4)),  # the table of each `ab` 1; heads, tails: a verdict each
        ("ab", "a?", (True, 3)),  # no `*`: 2 comparisons and the verdict
        ("ab", "abc", (False, 1)),  # no `*`, and the lengths differ: one test
        ("a*", "ba*", (False, 1)),  # the heads differ at the first character
        ("a*c", "abc", (True, 3)),  # a string against a pattern: as `counted_match`
    ],
)
def test_the_overlap_count_is_exact_on_worked_examples(
    first: str, second: str, expected: tuple[bool, int], fresh_tables: None
) -> None:
    assert counted_overlap(first, second) == expected


@settings(max_examples=EXAMPLES, deadline=None)
@given(pattern=patterns, value=values)
def test_a_match_counts_at_least_one_comparison_per_literal_character(
    pattern: str, value: str
) -> None:
    """Each literal of the pattern was compared with the value before it could match."""
    _glob._compile.cache_clear()  # the tables too are built, and counted, here
    matched, steps = counted_match(pattern, value)
    if matched:
        assert steps >= len(pattern.replace("*", "").replace("?", ""))


def test_a_compiled_pattern_the_cache_shares_cannot_be_changed() -> None:
    """`_compile` is cached: every rule and every request matching a pattern share its parts."""
    glob = _glob._compile("a*b?*c")
    assert glob is _glob._compile("a*b?*c")
    with pytest.raises(dataclasses.FrozenInstanceError):
        glob.head = "z"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        glob.middle[0].text = "z"  # type: ignore[misc]


def _adversarial(key: str, length: int, filler: str, head: str) -> tuple[str, str]:
    """The pattern the library writes for `key`, and a path of `length` that attacks it."""
    requirement = require_groups_for({key: "admin"}).requirements[0]
    pattern = f"{STAGE}/{requirement.patterns[0]}"
    path = head + filler * ((length - len(head)) // len(filler))
    return pattern, f"{STAGE}/GET{path}"


ATTACKS = [
    ("GET /a/{w}/b/{x}/c/{y}/d/{z}/e", "/b/c/d", "/a/x"),
    ("GET /orgs/{org}/teams/{team}/members/{member}/roles", "/teams/members", "/orgs/x"),
    ("GET /a/{w}/a/{x}/a/{y}/a/{z}/b", "/a", "/a/x"),
]


@pytest.mark.parametrize("length", [2048, 8192])
@pytest.mark.parametrize(("key", "filler", "head"), ATTACKS)
def test_backtracking_attack_paths_cost_linear_steps(
    key: str, filler: str, head: str, length: int
) -> None:
    pattern, arn = _adversarial(key, length, filler, head)
    matched, steps = counted_match(pattern, arn)
    assert not matched
    assert steps <= C * (len(pattern) + len(arn))


@pytest.fixture
def counted_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every call of the matcher during a test: (|pattern| + |value|, comparisons)."""
    calls: list[tuple[int, int]] = []
    real = _glob._match

    def counting(glob: Any, value: str, holes: bool = False) -> tuple[bool, int]:
        matched, steps = real(glob, value, holes)
        size = len(glob.head) + len(value)
        size += sum(len(s.text) for s in glob.middle) + (len(glob.tail.text) if glob.tail else 0)
        calls.append((size, steps))
        return matched, steps

    monkeypatch.setattr(_glob, "_match", counting)
    return calls


@pytest.mark.parametrize("length", [2048, 8192])
@pytest.mark.parametrize(("key", "filler", "head"), ATTACKS)
def test_one_authorizer_invocation_on_an_attack_path_does_linear_work(
    pool: FakeCognitoPool,
    counted_calls: list[tuple[int, int]],
    key: str,
    filler: str,
    head: str,
    length: int,
) -> None:
    handler = make_handler(pool.verifier("id"), rule={key: "admin"})
    token = pool.id_token(groups=["readers"])
    _, arn = _adversarial(key, length, filler, head)
    path = arn.removeprefix(f"{STAGE}/GET")
    event = {
        "type": "REQUEST",
        "httpMethod": "GET",
        "path": path,
        "methodArn": arn,
        "headers": {"Authorization": token},
    }
    handler(event, None)
    assert counted_calls, "the handler matched nothing"
    assert len(counted_calls) < 200  # a number of patterns, not of path positions
    assert all(steps <= C * size + C for size, steps in counted_calls)
    total = sum(steps for _, steps in counted_calls)
    assert total <= C * sum(size for size, _ in counted_calls) + C * len(counted_calls)


# ------------------------------------------------------ ARNs a policy cannot hold


@pytest.fixture(scope="module")
def verifier(pool: FakeCognitoPool) -> CognitoJwtVerifier:
    return pool.verifier("id")


def _token_event(token: str, arn: str) -> dict[str, Any]:
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}


def _allow_everything(request: Any, claims: Any) -> bool:
    return True


#: Every way to build a policy-answering handler: (options, whether a cache reuses answers).
HANDLERS: list[dict[str, Any]] = [
    {},
    {"rule": {"DELETE /news": "admin"}},
    {"rule": {"DELETE /news": "admin"}, "authorizer_cache": "per-route"},
    {"rule": {"DELETE /news": "admin"}, "authorizer_cache": "off"},
    {"rule": _allow_everything, "authorizer_cache": "off"},
    {"authorizer_cache": "off", "scope": "method"},
    {"rule": {"DELETE /news": "admin"}, "response_format": "policy"},
]


def _resources(answer: dict[str, Any], effect: str) -> list[str]:
    found: list[str] = []
    for statement in answer["policyDocument"]["Statement"]:
        if statement["Effect"] == effect:
            found += statement["Resource"]
    return found


@pytest.mark.parametrize("options", HANDLERS)
@pytest.mark.parametrize("tail", ["GET/*", "GET/news/*", "GET/news?x", "DELETE/*/x", "*"])
def test_a_client_wildcard_in_the_arn_never_lands_in_an_allow(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool, options: dict[str, Any], tail: str
) -> None:
    """With the cache off, `GET /*` used to come back as `Allow .../GET/*`."""
    handler = make_handler(verifier, **options)
    arn = f"{STAGE}/{tail}"
    token = pool.id_token(groups=["admin"])
    answer = handler(_token_event(token, arn), None)
    assert policy_allows(answer, arn) is False
    # What is allowed is what a plain request gets (the token's policy), or nothing.
    plain = handler(_token_event(token, f"{STAGE}/GET/plain"), None)
    off = options.get("authorizer_cache") == "off"
    assert _resources(answer, "Allow") == ([] if off else _resources(plain, "Allow"))
    assert policy_allows(answer, f"{STAGE}/GET/admin/users") is (
        options.get("authorizer_cache") != "off"
    )
    assert all(len(r) <= 512 for r in _resources(answer, "Deny"))


@pytest.mark.parametrize("options", HANDLERS)
def test_an_arn_beyond_awss_1600_bytes_is_denied(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool, options: dict[str, Any]
) -> None:
    handler = make_handler(verifier, **options)
    token = pool.id_token(groups=["admin"])
    fits = f"{STAGE}/GET/" + "n" * (1600 - len(STAGE) - 5)
    assert len(fits.encode()) == 1600
    too_long = fits + "n"
    multibyte = f"{STAGE}/GET/" + "é" * 800  # under 1,600 characters, over 1,600 bytes
    for arn in (too_long, multibyte):
        answer = handler(_token_event(token, arn), None)
        assert policy_allows(answer, arn) is False, arn[-20:]
        assert all(len(r) <= 512 for r in _resources(answer, "Deny"))
        assert all(len(r) <= 512 for r in _resources(answer, "Allow"))
    cached = options.get("authorizer_cache") != "off" and options.get("scope") != "method"
    if cached:  # the answer for the long ARN stays right for the token's other requests
        assert policy_allows(handler(_token_event(token, too_long), None), f"{STAGE}/GET/x")


def test_an_arn_of_lone_surrogates_is_measured_by_the_bytes_they_take(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool
) -> None:
    """JSON may carry `\\ud800`: 534 of them are under 1,600 characters, over 1,600 bytes."""
    arn = f"{STAGE}/GET/" + "\ud800" * 534
    answer = make_handler(verifier)(_token_event(pool.id_token(), arn), None)
    assert policy_allows(answer, arn) is False
    assert _resources(answer, "Deny") == [arn[:511] + "*"]  # named by a prefix, within 512


def test_an_arn_of_exactly_1600_bytes_is_answered(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool
) -> None:
    """AWS's bound is 1,600 bytes: an ARN of that many (and as many characters) is not refused."""
    fits = f"{STAGE}/GET/"
    fits += "n" * (1600 - len(fits))
    answer = make_handler(verifier)(_token_event(pool.id_token(), fits), None)
    assert policy_allows(answer, fits)


@pytest.mark.parametrize("options", HANDLERS)
def test_an_arn_that_would_be_echoed_beyond_512_characters_is_denied(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool, options: dict[str, Any]
) -> None:
    handler = make_handler(verifier, **options)
    arn = f"{STAGE}/GET/" + "n" * 600  # within 1,600 bytes, beyond 512 characters
    answer = handler(_token_event(pool.id_token(groups=["admin"]), arn), None)
    echoed = options.get("authorizer_cache") == "off"
    assert policy_allows(answer, arn) is not echoed
    assert all(len(r) <= 512 for r in _resources(answer, "Allow") + _resources(answer, "Deny"))


@pytest.mark.parametrize(("length", "named_whole"), [(512, True), (513, False)])
def test_a_denied_arn_is_named_whole_up_to_512_characters_and_by_a_prefix_beyond(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool, length: int, named_whole: bool
) -> None:
    """AWS's Resource limit is 512 characters: an ARN of 512 is denied as itself."""
    handler = make_handler(
        verifier, rule={"DELETE /news/*": "admin"}, authorizer_cache="off", scope="method"
    )
    arn = f"{STAGE}/DELETE/news/"
    arn += "n" * (length - len(arn))
    answer = handler(_token_event(pool.id_token(groups=["readers"]), arn), None)
    denied = _resources(answer, "Deny")
    assert policy_allows(answer, arn) is False
    assert (arn in denied) is named_whole
    assert all(len(r) <= 512 for r in denied)


def test_a_denied_long_arn_the_patterns_do_not_name_is_denied_within_512_characters(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool
) -> None:
    """The handler denies a request's own ARN when no pattern names it; never beyond 512."""
    handler = make_handler(verifier, rule={"DELETE /news": "admin"}, response_format="policy")
    path = "/%6Eews" + "/" * 600
    arn = f"{STAGE}/DELETE{path}"
    event = {
        "type": "REQUEST",
        "httpMethod": "DELETE",
        "path": path,
        "methodArn": arn,
        "headers": {"Authorization": pool.id_token(groups=["readers"])},
    }
    answer = handler(event, None)
    assert policy_allows(answer, arn) is False
    assert all(len(r) <= 512 for r in _resources(answer, "Deny"))


def test_a_simple_response_for_an_arn_beyond_1600_bytes_is_false(
    verifier: CognitoJwtVerifier, pool: FakeCognitoPool
) -> None:
    handler = make_handler(verifier)
    arn = f"{STAGE}/GET/" + "n" * 1600
    event = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": arn,
        "routeKey": "$default",
        "rawPath": "/api/" + "n" * 1600,
        "headers": {"authorization": pool.id_token()},
        "requestContext": {"stage": "api", "http": {"method": "GET", "path": "/x"}},
    }
    assert handler(event, None) == {"isAuthorized": False, "context": {"reason": "arn_too_long"}}
