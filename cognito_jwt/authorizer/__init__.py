"""Amazon API Gateway Lambda authorizers built on a cognito_jwt verifier.

A Lambda authorizer has three jobs, and each one has a trap that this package
exists to avoid:

1. **Find the token.**  API Gateway sends five event shapes (REST `TOKEN`,
   REST `REQUEST`, HTTP API payload 1.0 and 2.0, WebSocket `$connect`), with
   header names in whatever case the client used (`_events`).
2. **Say no the right way.**  Only an error whose message is exactly
   `"Unauthorized"` makes API Gateway answer 401; a returned `Deny` policy
   means 403, and any other error means 500 (`Unauthorized`, `make_handler`).
3. **Answer so that a cached answer stays right.**  API Gateway caches the
   authorizer's answer, by default per token, and reuses it for *every* route
   of the stage.  The rules (`_rules`) are declarative so that the handler
   (`_handler`) can answer with one policy per token that is right on every
   route (`_policy` builds it), and refuses the configurations that cannot be
   made safe.

Typical use (in the Lambda's module scope, so the verifier and its JWKS are
reused across invocations):

```python
from cognito_jwt import CognitoJwtVerifier
from cognito_jwt.authorizer import make_handler, require_groups_for

verifier = CognitoJwtVerifier(user_pool_id=..., token_use="id", client_id=...)
verifier.hydrate()
handler = make_handler(verifier, rule=require_groups_for({"DELETE": "admin"}))
```

Nothing here imports boto3 or any AWS SDK: the package is standard library plus
cognito_jwt, so it adds nothing to the Lambda package.
"""

from cognito_jwt._exports import rehome as _rehome
from cognito_jwt.authorizer._events import (
    ApiRequest,
    EventKind,
    ExecuteApiArn,
    Unauthorized,
    describe_request,
    extract_token,
    parse_execute_api_arn,
    require_token,
    stage_resource,
    unauthorized,
)
from cognito_jwt.authorizer._handler import (
    AuthorizerCache,
    LambdaAuthorizer,
    ResponseFormat,
    TokenVerifier,
    make_handler,
)
from cognito_jwt.authorizer._policy import (
    ContextValue,
    PolicyScope,
    allow_policy,
    deny_policy,
    flatten_context,
    policy_allows,
    policy_response,
    simple_response,
)
from cognito_jwt.authorizer._rules import GroupRule, Rule, Unmatched, require_groups_for

__all__ = [
    "ApiRequest",
    "AuthorizerCache",
    "ContextValue",
    "EventKind",
    "ExecuteApiArn",
    "GroupRule",
    "LambdaAuthorizer",
    "PolicyScope",
    "ResponseFormat",
    "Rule",
    "TokenVerifier",
    "Unauthorized",
    "Unmatched",
    "allow_policy",
    "deny_policy",
    "describe_request",
    "extract_token",
    "flatten_context",
    "make_handler",
    "parse_execute_api_arn",
    "policy_allows",
    "policy_response",
    "require_groups_for",
    "require_token",
    "simple_response",
    "stage_resource",
    "unauthorized",
]

_rehome(__name__, globals(), __all__)
