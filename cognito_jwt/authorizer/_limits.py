"""AWS's size limits on an authorizer's answer, checked before the first request.

AWS documents two limits a group rule's policy can run into:

* "the resource ARN, as shown in the policy statement output by the
  authorizer, is currently limited to 512 characters" ([output](https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html));
* "AWS Lambda authorizer result size: 8 KB" ([WebSocket quotas](https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html)).
  AWS documents no result size for REST and HTTP APIs; 8 KB is applied to
  every answer, the fail-closed choice.

`check_rule_limits` sizes the largest policy a rule can produce (every key
unmet, every key met, and each mix of groups between, plus one echoed ARN of
512 characters) under a long stage ARN (`aws` partition, 14-letter region,
20-character stage name: 79 characters with the `/`), and refuses
the rule at `make_handler` with the numbers.  A longer stage name than that
is caught per answer by `check_answer_limits`: the invocation fails (API
Gateway answers 500 and caches nothing) with the numbers in the error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from cognito_jwt.authorizer._events import ExecuteApiArn
from cognito_jwt.authorizer._policy import MAX_RESOURCE_CHARS, policy_response
from cognito_jwt.authorizer._rules import GroupRule
from cognito_jwt.errors import ConfigurationError

__all__ = [
    "ASSUMED_STAGE_NAME_CHARS",
    "MAX_RESULT_BYTES",
    "check_answer_limits",
    "check_rule_limits",
]

#: "AWS Lambda authorizer result size: 8 KB" (WebSocket quotas); applied to every API.
MAX_RESULT_BYTES: Final = 8192
#: The stage name length `check_rule_limits` assumes (longer ones are checked per answer).
ASSUMED_STAGE_NAME_CHARS: Final = 20
#: The stage ARN the check assumes: the `aws` partition, a 14-letter region, a
#: 10-character API id (API Gateway's), a 20-character stage name.  A longer
#: partition or stage name is checked per answer (`check_answer_limits`).
_ASSUMED_STAGE: Final = ExecuteApiArn(
    "aws", "ap-southeast-2", "123456789012", "a" * 10, "s" * ASSUMED_STAGE_NAME_CHARS, "", ""
)
#: Up to this many distinct groups, every combination of them is sized.
_EXACT_GROUPS: Final = 8
#: Room kept for the principal (a Cognito `sub` is 36 characters).
_PRINCIPAL: Final = "p" * 128


def _size(answer: Mapping[str, Any]) -> int:
    return len(json.dumps(answer, separators=(",", ":")).encode())


def _policies(rule: GroupRule) -> list[tuple[list[str], list[str]]]:
    """(Deny, Allow) resources of each caller whose policy differs: every set of the groups.

    Beyond 8 distinct groups, one bound instead: every key unmet and every key met at once.
    """
    names = sorted({g for r in rule.requirements for g in r.groups})
    if len(names) > _EXACT_GROUPS:
        none, every = frozenset[str](), frozenset(names)
        deny = rule.denied_for_groups(_ASSUMED_STAGE, none)
        return [(deny, rule.allowed_resources(_ASSUMED_STAGE, every))]
    found = []
    for mask in range(1 << len(names)):
        groups = frozenset(n for i, n in enumerate(names) if mask >> i & 1)
        found.append(
            (
                rule.denied_for_groups(_ASSUMED_STAGE, groups),
                rule.allowed_resources(_ASSUMED_STAGE, groups),
            )
        )
    return found


def check_rule_limits(rule: GroupRule) -> None:
    """Refuse a rule whose policy could break AWS's limits (see the module).

    Raises:
        ConfigurationError: a Resource beyond 512 characters, or a policy
            beyond 8 KB, with the numbers.
    """
    prefix = len(_ASSUMED_STAGE.stage_prefix) + 1
    echoed = "a" * MAX_RESOURCE_CHARS  # the request's own ARN, denied as it is
    for denied, allowed in _policies(rule):
        for resource in (*denied, *allowed):
            if len(resource) > MAX_RESOURCE_CHARS:
                raise ConfigurationError(
                    f"group rule: the policy resource .../{resource[prefix:][:80]} would be "
                    f"{len(resource)} characters with a stage ARN of {prefix} (a "
                    f"{ASSUMED_STAGE_NAME_CHARS}-character stage name); AWS allows "
                    f"{MAX_RESOURCE_CHARS}: shorten the key's path"
                )
        size = _size(policy_response(_PRINCIPAL, allow=allowed, deny=[*denied, echoed]))
        if size > MAX_RESULT_BYTES:
            raise ConfigurationError(
                f"group rule with {len(rule.requirements)} keys: a policy of up to {size} "
                f"bytes ({len(denied)} Deny and {len(allowed)} Allow resources with a stage "
                f"ARN of {prefix} characters), beyond the {MAX_RESULT_BYTES} bytes AWS allows "
                "an authorizer result; merge keys that need the same groups (one key per "
                "path, '*' for the method) or protect fewer paths per rule"
            )


def check_answer_limits(answer: Mapping[str, Any]) -> None:
    """Fail the invocation (a 500, nothing cached) rather than send what AWS would refuse.

    Raises:
        ConfigurationError: a Resource beyond 512 characters or an answer
            beyond 8 KB (a stage name longer than the construction check
            assumed, or a large `context`), with the numbers.
    """
    document = answer.get("policyDocument")
    if isinstance(document, Mapping):
        for statement in document.get("Statement", ()):
            for resource in statement.get("Resource", ()):
                if len(resource) > MAX_RESOURCE_CHARS:
                    raise ConfigurationError(
                        f"authorizer answer: a policy resource of {len(resource)} characters; "
                        f"AWS allows {MAX_RESOURCE_CHARS} (a long stage name or key path)"
                    )
    size = _size(answer)
    if size > MAX_RESULT_BYTES:
        raise ConfigurationError(
            f"authorizer answer of {size} bytes, beyond the {MAX_RESULT_BYTES} bytes AWS allows "
            "an authorizer result: fewer or merged rule keys, a shorter stage name, or a "
            "smaller context"
        )
