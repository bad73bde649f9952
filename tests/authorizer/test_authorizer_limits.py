"""A rule whose policy could break AWS's limits is refused at `make_handler`, with the numbers.

AWS limits a policy Resource to 512 characters (the authorizer output page) and
an authorizer result to 8 KB (the WebSocket quotas page; the library applies it
to every API).  A rule is sized under a long stage ARN at construction; a
longer stage name is caught per answer, which then fails (a 500, nothing cached).
"""

from __future__ import annotations

import json

import pytest

from cognito_jwt import ConfigurationError
from cognito_jwt.authorizer import make_handler, policy_allows, require_groups_for
from cognito_jwt.testing import FakeCognitoPool, api_gateway_event


def test_a_rule_whose_policy_could_outgrow_8_kb_is_refused_with_the_numbers(
    pool: FakeCognitoPool,
) -> None:
    rule = {f"* /section{i}/*": "admin" for i in range(12)}
    with pytest.raises(ConfigurationError, match=r"up to \d+ bytes .* beyond the 8192 bytes"):
        make_handler(pool.verifier("id"), rule=rule)


def test_a_key_whose_resource_could_outgrow_512_characters_is_refused_with_the_numbers(
    pool: FakeCognitoPool,
) -> None:
    key = "DELETE /" + "a" * 440
    with pytest.raises(ConfigurationError, match=r"would be \d+ characters .* AWS allows 512"):
        make_handler(pool.verifier("id"), rule={key: "admin"})


def test_the_readmes_rules_fit(pool: FakeCognitoPool) -> None:
    make_handler(pool.verifier("id"), rule={"DELETE": "admin"})
    make_handler(pool.verifier("id"), rule={"DELETE /news": "admin", "* /admin/*": "admin"})
    # Without a cache the rule is never written into a policy: nothing to size.
    make_handler(
        pool.verifier("id"),
        rule={f"* /section{i}/*": "admin" for i in range(12)},
        authorizer_cache="off",
    )


@pytest.mark.parametrize("kind", ["rest-token", "rest-request", "http-v1", "http-v2"])
def test_every_answer_within_the_checked_stage_length_fits(
    pool: FakeCognitoPool, kind: str
) -> None:
    """The largest policy of an accepted rule, on a 20-character stage name, is within 8 KB."""
    rule = {"DELETE /news": "admin", "* /admin/*": "admin", "POST /news/{id}": "editors"}
    handler = make_handler(pool.verifier("id"), rule=rule, response_format="policy")
    event = api_gateway_event(
        kind,  # type: ignore[arg-type]
        method="DELETE",
        path="/%6Eews/" + "x" * 300,
        token=pool.id_token(groups=[]),
        stage="s" * 20,
        region="ap-southeast-2",
    )
    answer = handler(event, None)
    assert len(json.dumps(answer, separators=(",", ":"))) <= 8192
    for statement in answer["policyDocument"]["Statement"]:
        assert all(len(resource) <= 512 for resource in statement["Resource"])


def test_an_answer_beyond_the_limits_fails_the_invocation_instead(
    pool: FakeCognitoPool, caplog: pytest.LogCaptureFixture
) -> None:
    """A stage name longer than the check assumed: a 500 (nothing cached), never a cut policy."""
    rule = {"DELETE /news": "admin", "* /admin/*": "admin", "POST /news/{id}": "editors"}
    handler = make_handler(pool.verifier("id"), rule=rule)
    event = api_gateway_event(
        "rest-token", method="GET", path="/x", token=pool.id_token(), stage="s" * 128
    )
    with pytest.raises(ConfigurationError, match=r"beyond the 8192 bytes"):
        handler(event, None)
    assert any(r.levelname == "ERROR" for r in caplog.records)
    admin = api_gateway_event(
        "rest-token",
        method="GET",
        path="/x",
        token=pool.id_token(groups=["admin", "editors"]),
        stage="s" * 128,
    )
    assert policy_allows(handler(admin, None), admin["methodArn"])  # a small policy still fits


def test_require_groups_for_alone_does_not_size(pool: FakeCognitoPool) -> None:
    """The check belongs to the handler, which knows the policy is cached: the rule builds."""
    rule = require_groups_for({f"* /section{i}/*": "admin" for i in range(12)})
    with pytest.raises(ConfigurationError, match="8192"):
        make_handler(pool.verifier("id"), rule=rule)
    make_handler(
        pool.verifier("id"), rule=rule, response_format="simple", authorizer_cache="per-route"
    )
