"""`cognito_jwt.http`: every form of headers, the answer's shape, requirements and the hook.

The status/challenge/reason of each kind of request is the conformance table
(`conformance.py`, run by `test_integrations_agree.py`); these tests pin what
the table cannot: the forms `headers` may take, what `any_of` answers when its
branches fail differently, the refusal of requirements that can never pass,
the extension point error classes use, and the log lines.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import pytest

from cognito_jwt import (
    CognitoJwtError,
    ConfigurationError,
    InsufficientUserAuthenticationError,
    InvalidClaimError,
    InvalidTokenError,
    MalformedTokenError,
    MissingGroupError,
    MissingScopeError,
    TokenExpiredError,
    http,
)
from cognito_jwt.http import Rejection, any_of, authenticate, authenticate_async, require
from cognito_jwt.testing import FakeCognitoPool


@pytest.fixture(scope="module")
def verifier(pool: FakeCognitoPool) -> Any:
    return pool.verifier(token_use=None)


def rejected(verifier: Any, headers: Any, **kwargs: Any) -> Rejection:
    with pytest.raises(Rejection) as raised:
        authenticate(verifier, headers, **kwargs)
    return raised.value


# ------------------------------------------------------------------ the forms of `headers`


class GetList:
    """A headers object with `getlist`, as Starlette's and Werkzeug's have."""

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        self.lines = lines

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.lines if key.lower() == name.lower()]


@pytest.mark.parametrize(
    "form",
    [
        "mapping, other case",
        "mapping of lists",
        "getlist",
        "callable",
        "str pairs",
        "bytes pairs",
    ],
)
def test_every_form_of_headers_reads_the_token(
    form: str, pool: FakeCognitoPool, verifier: Any
) -> None:
    value = f"Bearer {pool.id_token()}"
    headers: Any = {
        "mapping, other case": {"aUtHoRiZaTiOn": value},
        "mapping of lists": {"Authorization": [value]},
        "getlist": GetList([("authorization", value)]),
        "callable": {"Authorization": value}.get,
        "str pairs": [("Host", "x"), ("Authorization", value)],
        "bytes pairs": [(b"host", b"x"), (b"authorization", value.encode())],
    }[form]
    assert authenticate(verifier, headers)["token_use"] == "id"


@pytest.mark.parametrize(
    "form",
    ["two keys differing in case", "a list of two", "getlist", "pairs", "joined by a WSGI server"],
)
def test_a_token_header_sent_twice_is_400_in_every_form(
    form: str, pool: FakeCognitoPool, verifier: Any
) -> None:
    value = f"Bearer {pool.id_token()}"
    headers = {
        "two keys differing in case": {"Authorization": value, "authorization": value},
        "a list of two": {"Authorization": [value, value]},
        "getlist": GetList([("Authorization", value), ("authorization", "Bearer x")]),
        "pairs": [(b"authorization", value.encode()), (b"authorization", b"Basic eA==")],
        "joined by a WSGI server": {"Authorization": f"{value}, {value}"}.get,
    }[form]
    answer = rejected(verifier, headers)
    assert (answer.status_code, answer.reason) == (400, "duplicate_header")
    assert answer.body == {"error": "invalid_request", "reason": "duplicate_header"}
    assert answer.headers == {
        "WWW-Authenticate": 'Bearer error="invalid_request", error_description="duplicate_header"'
    }


def test_another_scheme_with_commas_is_no_credentials_not_a_duplicate(verifier: Any) -> None:
    answer = rejected(verifier, {"Authorization": 'Digest username="a", realm="b", nonce="c"'})
    assert (answer.status_code, answer.reason) == (401, "missing_token")
    assert answer.headers == {"WWW-Authenticate": "Bearer"}


def test_a_sent_token_that_is_no_jwt_is_malformed_not_missing(verifier: Any) -> None:
    answer = rejected(verifier, {"Authorization": "Bearer not-a-jwt"})
    assert (answer.status_code, answer.reason) == (401, "malformed_token")
    assert isinstance(answer.error, MalformedTokenError)


def test_bearer_credentials_is_public_here_and_is_the_one_reader() -> None:
    from cognito_jwt.token import bearer_credentials

    assert http.bearer_credentials is bearer_credentials
    assert http.bearer_credentials("bearer  abc ") == "abc"
    assert http.bearer_credentials("Basic abc") is None


def test_a_verifier_names_its_token_header(pool: FakeCognitoPool) -> None:
    class HeaderVerifier:
        token_headers = ("X-Token",)

        def __init__(self) -> None:
            self.inner = pool.verifier(token_use="id")

        def verify(self, token: str) -> dict[str, Any]:
            return self.inner.verify(token)

    token = pool.id_token()
    assert authenticate(HeaderVerifier(), {"x-token": f" {token} "})["token_use"] == "id"
    answer = rejected(HeaderVerifier(), {"Authorization": f"Bearer {token}"})
    assert answer.reason == "missing_token"


# ------------------------------------------------------------------------------ the answer


def test_a_rejection_carries_status_headers_body_reason_and_cause(
    pool: FakeCognitoPool, verifier: Any
) -> None:
    token = pool.id_token(now=1_000_000)
    answer = rejected(verifier, {"Authorization": f"Bearer {token}"}, realm="news")
    assert answer.status_code == 401
    assert answer.reason == "token_expired"
    assert isinstance(answer.error, TokenExpiredError)
    assert answer.body == {"error": "invalid_token", "reason": "token_expired"}
    assert answer.headers == {
        "WWW-Authenticate": 'Bearer realm="news", error="invalid_token", '
        'error_description="token_expired"'
    }
    assert token not in repr(answer) + str(answer) + repr(answer.body)


def test_a_missing_token_is_a_bare_challenge_with_the_realm(verifier: Any) -> None:
    answer = rejected(verifier, {}, realm="news")
    assert answer.headers == {"WWW-Authenticate": 'Bearer realm="news"'}
    assert answer.body == {"error": "missing_token", "reason": "missing_token"}
    assert answer.error is None


def test_an_unsafe_realm_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="realm"):
        http.check_realm('a", error="x')


class UnsafeParams(InvalidTokenError):
    """An error class whose challenge parameters would break the header."""

    challenge_error = "insufficient_user_authentication"

    @property
    def challenge_params(self) -> Mapping[str, str]:
        return {"acr_values": 'x", error="forged', "bad name": "1", "ok": "2"}


class Raising:
    """A verifier raising `error` for every token."""

    def __init__(self, error: CognitoJwtError) -> None:
        self.error = error

    def verify(self, token: str) -> dict[str, Any]:
        raise self.error


def test_an_error_class_adds_challenge_parameters_through_attributes() -> None:
    error = InsufficientUserAuthenticationError(
        "acr: expected urn:mfa", acr_values=("urn:mfa",), max_age=300
    )
    answer = rejected(Raising(error), {"Authorization": "a.b.c"})
    assert answer.status_code == 401
    assert answer.body == {
        "error": "insufficient_user_authentication",
        "reason": "insufficient_user_authentication",
    }
    assert answer.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_user_authentication", '
        'error_description="insufficient_user_authentication", '
        'acr_values="urn:mfa", max_age="300"'
    )


def test_an_unsafe_challenge_parameter_is_left_out_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answer = rejected(Raising(UnsafeParams("nope")), {"Authorization": "a.b.c"})
    assert answer.headers["WWW-Authenticate"].endswith('error_description="invalid_token", ok="2"')
    assert sum("left out" in record.message for record in caplog.records) == 2


def test_a_503_carries_no_challenge() -> None:
    from cognito_jwt import JwksUnavailableError

    answer = rejected(
        Raising(JwksUnavailableError("down", reason="jwks_fetch_failed")),
        {"Authorization": "a.b.c"},
    )
    assert (answer.status_code, answer.headers) == (503, {})
    assert answer.body == {"error": "temporarily_unavailable", "reason": "jwks_fetch_failed"}


# ----------------------------------------------------------------------------- requirements


def test_groups_and_scopes_together_demand_both(pool: FakeCognitoPool, verifier: Any) -> None:
    both = require(groups="admin", scopes="news/delete")
    m2m = pool.access_token(scopes=["news/delete"])
    answer = rejected(verifier, {"Authorization": m2m}, requirement=both)
    assert (answer.status_code, answer.reason) == (403, "missing_group")
    assert isinstance(answer.error, MissingGroupError)
    admin = pool.access_token(groups=["admin"], scopes=["news/delete"])
    assert authenticate(verifier, {"Authorization": admin}, requirement=both)


def test_any_of_passes_when_one_branch_does(pool: FakeCognitoPool, verifier: Any) -> None:
    either = any_of(require(groups="admin"), require(scopes="news/delete"))
    for token in (pool.id_token(groups=["admin"]), pool.access_token(scopes=["news/delete"])):
        assert authenticate(verifier, {"Authorization": token}, requirement=either)


def test_any_of_answers_403_before_401_and_lists_every_scope() -> None:
    # The verifier refuses a `scope` that breaks RFC 6749's grammar before any
    # requirement runs, so these claims are the requirement's input as such:
    # the scope branches fail 401 (`invalid_scope`), the group branch 403.
    claims = {"scope": "news/read\tnews/delete"}
    with pytest.raises(InvalidClaimError):
        require(scopes="news/delete").check(claims)
    scope_branch = require(scopes="news/delete")
    other_scopes = require(scopes=["a/b", "news/delete"])
    for branches in (
        (scope_branch, require(groups="admin"), other_scopes),
        (require(groups="admin"), scope_branch, other_scopes),
    ):
        either = any_of(*branches)
        with pytest.raises(MissingGroupError):
            either.check(claims)
        answer = http.rejection(MissingGroupError("x"), requirement=either)
        assert answer.status_code == 403
        assert answer.headers["WWW-Authenticate"].endswith('scope="news/delete a/b"')


def test_any_of_of_scope_branches_names_the_first_failure(
    pool: FakeCognitoPool, verifier: Any
) -> None:
    either = any_of(require(scopes="a/write"), require(scopes=["b/write", "c/write"]))
    answer = rejected(
        verifier, {"Authorization": pool.access_token(scopes=["x"])}, requirement=either
    )
    assert (answer.status_code, answer.reason) == (403, "missing_scope")
    assert isinstance(answer.error, MissingScopeError)
    assert answer.headers["WWW-Authenticate"].endswith('scope="a/write b/write c/write"')


def test_with_all_scopes_demands_every_one(pool: FakeCognitoPool, verifier: Any) -> None:
    need = require(groups="admin").with_all_scopes(["a", "b"])
    ok = pool.access_token(groups=["admin"], scopes=["a", "b"])
    assert authenticate(verifier, {"Authorization": ok}, requirement=need)
    one = pool.access_token(groups=["admin"], scopes=["a"])
    assert rejected(verifier, {"Authorization": one}, requirement=need).reason == "missing_scope"


def test_a_malformed_groups_claim_is_refused_on_every_requirement(
    pool: FakeCognitoPool, verifier: Any
) -> None:
    token = pool.id_token(**{"cognito:groups": "admin"})  # type: ignore[arg-type]
    answer = rejected(verifier, {"Authorization": token})
    assert (answer.status_code, answer.reason) == (401, "invalid_claim_type")


@pytest.mark.parametrize(
    "build",
    [
        any_of,
        lambda: any_of("admin"),  # type: ignore[arg-type]
        lambda: require(groups=""),
        lambda: require(scopes=["ok", 3]),  # type: ignore[list-item]
        lambda: http.Requirement.of(require(), groups="admin"),
    ],
    ids=["nothing", "a string", "an empty group", "a non-string scope", "both forms"],
)
def test_a_malformed_requirement_is_refused_when_built(build: Any) -> None:
    with pytest.raises(ConfigurationError):
        build()


def test_scopes_of_id_tokens_can_never_pass_and_are_refused(pool: FakeCognitoPool) -> None:
    id_only = pool.verifier(token_use="id")
    with pytest.raises(ConfigurationError, match="ID tokens carry no scope"):
        authenticate(id_only, {"Authorization": pool.id_token()}, scopes="news/read")
    # A branch that an ID token can meet makes the requirement possible.
    either = any_of(require(groups="admin"), require(scopes="news/read"))
    either.check_possible(id_only)
    assert authenticate(
        id_only, {"Authorization": pool.id_token(groups=["admin"])}, requirement=either
    )


# ------------------------------------------------------------------------------ async, logs


def test_authenticate_async_awaits_verify_async_or_uses_a_thread(
    pool: FakeCognitoPool, verifier: Any
) -> None:
    class SyncOnly:
        def verify(self, token: str) -> dict[str, Any]:
            claims: dict[str, Any] = verifier.verify(token)
            return claims

    headers = [(b"authorization", f"Bearer {pool.id_token()}".encode())]
    for candidate in (verifier, SyncOnly()):
        assert asyncio.run(authenticate_async(candidate, headers))["token_use"] == "id"
    with pytest.raises(Rejection) as raised:
        asyncio.run(authenticate_async(verifier, headers, groups="admin"))
    assert raised.value.reason == "missing_group"


def test_log_lines_name_the_method_and_path_never_the_token(
    pool: FakeCognitoPool, verifier: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cognito_jwt")
    token = pool.id_token()
    rejected(verifier, {"Authorization": token}, groups="admin", method="DELETE", path="/news")
    rejected(verifier, {}, method="GET", path="/me")
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("request rejected DELETE /news (missing_group)") for m in messages)
    assert any(m.startswith("request rejected GET /me: no bearer token") for m in messages)
    assert all(token not in m for m in messages)


def test_a_path_is_logged_escaped_and_cut(verifier: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cognito_jwt")
    forged = "/news\nINFO forged line " + "x" * 500
    rejected(verifier, {}, method="GET", path=forged)
    (message,) = [record.getMessage() for record in caplog.records]
    assert "\n" not in message
    assert "/news\\nINFO forged line" in message
    assert len(message) < 300


def test_a_generator_of_pairs_is_read_for_every_header_the_verifier_names(
    pool: FakeCognitoPool,
) -> None:
    token = pool.access_token()
    pairs = ((name, value) for name, value in [("x-amzn-oidc-accesstoken", token)])
    claims = authenticate(pool.verifier(token_use="access"), pairs)
    assert claims["token_use"] == "access"
