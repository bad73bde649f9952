"""Authorizer responses: IAM policies, simple responses, context values, and their evaluation.

Builders for the two answers API Gateway understands (an IAM policy for REST,
WebSocket and HTTP API payload 1.0/2.0 authorizers, the `isAuthorized` simple
response for HTTP API 2.0 authorizers with simple responses enabled), the
flattening a REST `context` needs, and `policy_allows`, a strict evaluator of
the small subset of IAM these policies use.

IAM's resource wildcards (`*` any run of characters, `/` included; `?` one
character) are matched by `_glob.wildcard_match`, without backtracking.  The
rules in `_rules.py` write their patterns in the same language and match
requests with the same function, so what a rule decides and what API Gateway
decides from the policy cannot drift.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, TypeAlias

from cognito_jwt.authorizer._events import stage_resource
from cognito_jwt.authorizer._glob import wildcard_match

__all__ = [
    "INVOKE_ACTION",
    "MAX_METHOD_ARN_BYTES",
    "MAX_RESOURCE_CHARS",
    "POLICY_VERSION",
    "ContextValue",
    "PolicyScope",
    "allow_policy",
    "arn_problem",
    "deny_policy",
    "deny_resource",
    "flatten_context",
    "policy_allows",
    "policy_response",
    "simple_response",
    "wildcard_match",
]

#: The value types API Gateway accepts in a REST authorizer's `context`.
ContextValue: TypeAlias = str | int | float | bool
PolicyScope: TypeAlias = Literal["stage", "method"]

POLICY_VERSION: Final = "2012-10-17"
INVOKE_ACTION: Final = "execute-api:Invoke"
#: "For an authorization-enabled method ARN ... the maximum length is 1600 bytes"
#: (API Gateway, "Output from an API Gateway Lambda authorizer"; also its quotas page).
MAX_METHOD_ARN_BYTES: Final = 1600
#: "the resource ARN, as shown in the policy statement output by the authorizer, is
#: currently limited to 512 characters" (same page).
MAX_RESOURCE_CHARS: Final = 512


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
    """Make `values` acceptable as a REST authorizer `context`.

    API Gateway rejects (with a 500) a REST authorizer response whose context
    holds anything but strings, numbers and booleans, so: lists become
    comma-joined strings (`["admin", "editors"]` -> `"admin,editors"`, the
    shape mapping templates can split), mappings and nested lists become compact
    JSON, `None` values are dropped, and anything else becomes `str(value)`.
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
            (`$context.authorizer.principalId`).
        allow: resources (ARNs, `*` wildcards allowed) to allow.
        deny: resources to deny explicitly.  An explicit `Deny` beats any
            `Allow`, which is how a stage-wide allow can still exclude routes.
        context: passed to the integration as `$context.authorizer.<key>`;
            flattened with `flatten_context`.

    Raises:
        ValueError: neither `allow` nor `deny` names a resource (API
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
    """Allow `principal_id`; the resource covers `arn`'s whole stage by default.

    Args:
        principal_id: see `policy_response`.
        arn: the event's `methodArn` / `routeArn`.
        scope: `"stage"` (default) allows `<api>/<stage>/*` so a cached
            result stays valid on every route; `"method"` allows exactly
            `arn` (use only with the authorizer cache off).
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
    """Deny `principal_id` (API Gateway answers 403); arguments as `allow_policy`."""
    resource = stage_resource(arn) if scope == "stage" else arn
    return policy_response(principal_id, deny=resource, context=context)


def simple_response(
    authorized: bool, *, context: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """An HTTP API "simple" response: `{"isAuthorized": ..., "context": ...}`.

    Only valid for HTTP API authorizers with simple responses enabled (payload
    format 2.0).  `isAuthorized: False` makes API Gateway answer 403.
    """
    response: dict[str, Any] = {"isAuthorized": bool(authorized)}
    if context:
        response["context"] = flatten_context(context)
    return response


# ------------------------------------------------------------ policy evaluation


def arn_problem(arn: str) -> str | None:
    """Why an event's ARN must not be allowed, as a reason code; `None` if it may be.

    * `arn_too_long`: longer than the 1,600 bytes AWS documents for a method
      ARN (API Gateway answers 414 itself beyond that, so only a hand-built
      event gets here).
    * `wildcard_in_arn`: a `*` or `?`, which the client put into the path.
      Named in a policy, they would be IAM wildcards (`.../GET/*` allows
      every `GET`), and a cached Allow would carry them to other routes.
    """
    if len(arn) > MAX_METHOD_ARN_BYTES or len(arn.encode("utf-8", "surrogatepass")) > (
        MAX_METHOD_ARN_BYTES
    ):
        return "arn_too_long"
    if "*" in arn or "?" in arn:
        return "wildcard_in_arn"
    return None


def deny_resource(arn: str) -> str:
    """A `Deny` resource that covers `arn` and stays within AWS's 512 characters.

    `arn` itself when it can be: no wildcard, at most `MAX_RESOURCE_CHARS`.
    Otherwise each `*` and `?` becomes `?` (one character, so the pattern still
    covers `arn`, and only ARNs of the same length that differ there), and an
    ARN beyond the limit is cut to its first 511 characters followed by `*`
    (every ARN sharing that prefix is denied too: fail-closed).
    """
    resource = arn.replace("*", "?")
    if len(resource) > MAX_RESOURCE_CHARS:
        resource = resource[: MAX_RESOURCE_CHARS - 1] + "*"
    return resource


def _strings(value: object, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(f"policy statement {what} must be a string or a list of strings")


def policy_allows(policy: Mapping[str, Any], resource_arn: str) -> bool:
    """Evaluate an authorizer policy for one request, the way API Gateway does.

    An explicit `Deny` matching `resource_arn` wins; otherwise a matching
    `Allow` allows; otherwise the request is implicitly denied.  Intended for
    tests and local gateways (the reference API demo uses it), so it is strict:
    anything this subset of IAM does not understand raises instead of guessing.

    Args:
        policy: a whole authorizer response, or just its `policyDocument`.
        resource_arn: the `methodArn` of the request being decided.

    Raises:
        ValueError: malformed policy, or one using `NotAction`/`NotResource`/
            `Condition`.  (API Gateway answers 500 for malformed policies.)
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
        if not any(wildcard_match(a.lower(), INVOKE_ACTION.lower()) for a in actions):
            continue
        if any(wildcard_match(r, resource_arn) for r in resources):
            if effect == "Deny":
                return False
            allowed = True
    return allowed
