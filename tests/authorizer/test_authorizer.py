"""cognito_jwt.authorizer: event shapes, responses, policies, and the handler's outcomes.

Events below follow the shapes API Gateway sends (REST TOKEN, REST REQUEST,
HTTP API payload 1.0 and 2.0); tokens are real RS256 tokens from the session's
FakeCognitoPool, verified by a real CognitoJwtVerifier.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from cognito_jwt import (
    CognitoJwtVerifier,
    ConfigurationError,
    InvalidClaimError,
    JwksUnavailableError,
)
from cognito_jwt.authorizer import (
    ApiRequest,
    EventKind,
    GroupRule,
    Unauthorized,
    allow_policy,
    deny_policy,
    describe_request,
    extract_token,
    flatten_context,
    make_handler,
    parse_execute_api_arn,
    policy_allows,
    policy_response,
    require_groups_for,
    require_token,
    simple_response,
    stage_resource,
    unauthorized,
)
from cognito_jwt.testing import FakeCognitoPool

ACCOUNT = "123456789012"
API = "a1b2c3d4e5"
REST_PREFIX = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API}/api"
HTTP_PREFIX = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API}/$default"


# ------------------------------------------------------------------- events


def token_event(value: str | None, method: str = "DELETE", path: str = "news") -> dict[str, Any]:
    """A REST API TOKEN authorizer event."""
    event: dict[str, Any] = {"type": "TOKEN", "methodArn": f"{REST_PREFIX}/{method}/{path}"}
    if value is not None:
        event["authorizationToken"] = value
    return event


def request_event(
    headers: Mapping[str, str], method: str = "DELETE", *, multi: bool = True
) -> dict[str, Any]:
    """A REST API REQUEST authorizer event."""
    all_headers = {"Host": f"{API}.execute-api.us-east-1.amazonaws.com", **headers}
    return {
        "type": "REQUEST",
        "methodArn": f"{REST_PREFIX}/{method}/news",
        "resource": "/news",
        "path": "/news",
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()} if multi else None,
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {},
        "stageVariables": None,
        "requestContext": {
            "path": "/api/news",
            "accountId": ACCOUNT,
            "resourceId": "x1y2z3",
            "stage": "api",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "resourcePath": "/news",
            "httpMethod": method,
            "apiId": API,
        },
    }


def http_v1_event(headers: Mapping[str, str], method: str = "DELETE") -> dict[str, Any]:
    """An HTTP API authorizer event, payload format 1.0."""
    token = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    return {
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": f"{HTTP_PREFIX}/{method}/news",
        "identitySource": token,
        "authorizationToken": token,
        "resource": "/news",
        "path": "/news",
        "httpMethod": method,
        "headers": dict(headers),
        "queryStringParameters": {},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API,
            "httpMethod": method,
            "path": "/news",
            "stage": "$default",
            "requestId": "JKJaXmPLvHcESHA=",
            "resourcePath": "/news",
        },
    }


def http_v2_event(
    headers: Mapping[str, str], method: str = "DELETE", identity: list[str] | None = None
) -> dict[str, Any]:
    """An HTTP API authorizer event, payload format 2.0 (header names lower-cased)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"{HTTP_PREFIX}/{method}/news",
        "identitySource": identity if identity is not None else list(lowered.values())[:1],
        "routeKey": f"{method} /news",
        "rawPath": "/news",
        "rawQueryString": "",
        "cookies": [],
        "headers": lowered,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API,
            "domainName": f"{API}.execute-api.us-east-1.amazonaws.com",
            "http": {
                "method": method,
                "path": "/news",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": f"{method} /news",
            "stage": "$default",
        },
        "pathParameters": {},
        "stageVariables": {},
    }


def all_shapes(value: str, method: str = "DELETE") -> list[dict[str, Any]]:
    """The same request as each of the four event shapes."""
    return [
        token_event(value, method),
        request_event({"Authorization": value}, method),
        http_v1_event({"Authorization": value}, method),
        http_v2_event({"Authorization": value}, method),
    ]


SHAPE_IDS = ["rest-token", "rest-request", "http-v1", "http-v2"]


# --------------------------------------------------------- token extraction


@pytest.mark.parametrize(
    "event",
    [
        token_event("Bearer TOKEN"),
        token_event("TOKEN"),
        token_event("bearer   TOKEN  "),
        request_event({"Authorization": "Bearer TOKEN"}),
        request_event({"authorization": "TOKEN"}),
        request_event({"AUTHORIZATION": "BEARER TOKEN"}),
        request_event({"Authorization": "TOKEN"}, multi=False),
        {**request_event({}), "multiValueHeaders": {"aUtHoRiZaTiOn": ["", "Bearer TOKEN"]}},
        http_v1_event({"Authorization": "Bearer TOKEN"}),
        {**http_v1_event({}), "authorizationToken": "TOKEN", "identitySource": "TOKEN"},
        http_v2_event({"Authorization": "Bearer TOKEN"}),
        {**http_v2_event({}), "identitySource": ["Bearer TOKEN"]},
    ],
)
def test_extract_token_from_every_shape(event: dict[str, Any]) -> None:
    assert extract_token(event) == "TOKEN"


@pytest.mark.parametrize(
    "event",
    [
        token_event(None),
        token_event(""),
        token_event("Bearer "),
        token_event("   "),
        request_event({}),
        request_event({"Authorization": ""}),
        request_event({"X-Other": "TOKEN"}),
        {"type": "REQUEST", "headers": None, "multiValueHeaders": None},
        http_v1_event({}),
        http_v2_event({}, identity=[]),
        # Several identity sources: no telling which one is the token.
        http_v2_event({"x-api-key": "k"}, identity=["a", "b"]),
        {**http_v1_event({}), "identitySource": "a,b"},
    ],
)
def test_extract_token_missing(event: dict[str, Any]) -> None:
    assert extract_token(event) is None
    with pytest.raises(Unauthorized):
        require_token(event)


def test_extract_token_custom_header_and_query_parameter() -> None:
    event = request_event({"X-Id-Token": "Bearer TOKEN"})
    assert extract_token(event) is None
    assert extract_token(event, header="x-id-token") == "TOKEN"
    ws = {"type": "REQUEST", "methodArn": f"{REST_PREFIX}/$connect", "headers": {}}
    ws["queryStringParameters"] = {"token": "TOKEN"}
    assert extract_token(ws) is None
    assert extract_token(ws, query_parameter="token") == "TOKEN"


def test_headers_win_over_identity_source() -> None:
    event = http_v2_event({"Authorization": "Bearer FROM-HEADER"}, identity=["OTHER"])
    assert extract_token(event) == "FROM-HEADER"


# --------------------------------------------------------------- 401 helper


def test_unauthorized_is_exactly_what_api_gateway_matches() -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$") as caught:
        unauthorized()
    assert type(caught.value) is Unauthorized
    assert str(caught.value) == "Unauthorized"
    assert caught.value.args == ("Unauthorized",)
    assert str(Unauthorized()) == "Unauthorized"


# ------------------------------------------------------- request description


@pytest.mark.parametrize(
    ("event", "kind"),
    list(zip(all_shapes("T"), ["rest-token", "rest-request", "http-v1", "http-v2"], strict=True)),
    ids=SHAPE_IDS,
)
def test_describe_request(event: dict[str, Any], kind: str) -> None:
    request = describe_request(event)
    assert request.kind == kind
    assert request.method == "DELETE"
    assert request.path == "/news"
    assert request.arn.endswith("/DELETE/news")


def test_describe_request_falls_back_without_arn() -> None:
    event = http_v2_event({"Authorization": "T"}, method="PATCH")
    del event["routeArn"]
    request = describe_request(event)
    assert (request.method, request.path, request.arn) == ("PATCH", "/news", "")
    assert request.route_key == "PATCH /news"
    with pytest.raises(ValueError, match="not an execute-api ARN"):
        _ = request.parsed_arn
    only_route_key = {"version": "2.0", "routeKey": "GET /items/{id}"}
    assert describe_request(only_route_key).method == "GET"
    assert describe_request({"type": "REQUEST", "methodArn": "garbage"}).method == ""


# -------------------------------------------------------------------- ARNs


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (
            "arn:aws:execute-api:us-east-1:123456789012:abc123/api/DELETE/news",
            "arn:aws:execute-api:us-east-1:123456789012:abc123/api/*",
        ),
        (
            "arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/prod/GET/news/42",
            "arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/prod/*",
        ),
        (
            "arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abc123/v1/POST/",
            "arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abc123/v1/*",
        ),
        (
            "arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/GET/news",
            "arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/*",
        ),
        (
            "arn:aws:execute-api:eu-west-1:123456789012:abc123/production/$connect",
            "arn:aws:execute-api:eu-west-1:123456789012:abc123/production/*",
        ),
    ],
)
def test_stage_resource_keeps_partition_region_account(arn: str, expected: str) -> None:
    assert stage_resource(arn) == expected


def test_parse_execute_api_arn() -> None:
    parsed = parse_execute_api_arn(
        "arn:aws-us-gov:execute-api:us-gov-east-1:111122223333:q1w2e3/stage/GET/a/b/c"
    )
    assert parsed.partition == "aws-us-gov"
    assert (parsed.region, parsed.account, parsed.api_id) == (
        "us-gov-east-1",
        "111122223333",
        "q1w2e3",
    )
    assert (parsed.stage, parsed.method, parsed.path) == ("stage", "GET", "/a/b/c")
    assert parsed.resource("DELETE", "/news") == (
        "arn:aws-us-gov:execute-api:us-gov-east-1:111122223333:q1w2e3/stage/DELETE/news"
    )
    root = parse_execute_api_arn("arn:aws:execute-api:us-east-1:1:api/s/GET/")
    assert (root.method, root.path) == ("GET", "/")


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "not-an-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        "arn:aws:execute-api:us-east-1:123456789012:abc123",
        "arn:aws:execute-api:us-east-1:123456789012:abc123/",
        "arn:aws:execute-api::123456789012:abc123/api/GET/x",
        "arn::execute-api:us-east-1:123456789012:abc123/api/GET/x",
    ],
)
def test_invalid_arns_are_rejected(arn: str) -> None:
    with pytest.raises(ValueError, match="ARN"):
        stage_resource(arn)


# --------------------------------------------------------- response builders

DELETE_ARN = f"{REST_PREFIX}/DELETE/news"
GET_ARN = f"{REST_PREFIX}/GET/news"


def test_allow_policy_covers_the_stage_by_default() -> None:
    response = allow_policy("user-1", DELETE_ARN, context={"groups": ["a", "b"]})
    assert response == {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": [f"{REST_PREFIX}/*"],
                }
            ],
        },
        "context": {"groups": "a,b"},
    }
    assert policy_allows(response, GET_ARN)
    assert policy_allows(response, DELETE_ARN)


def test_allow_policy_exact_method_option() -> None:
    response = allow_policy("user-1", DELETE_ARN, scope="method")
    assert response["policyDocument"]["Statement"][0]["Resource"] == [DELETE_ARN]
    assert "context" not in response
    assert policy_allows(response, DELETE_ARN)
    assert not policy_allows(response, GET_ARN)


def test_deny_policy() -> None:
    response = deny_policy("user-1", DELETE_ARN, context={"reason": "missing_group"})
    statement = response["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny"
    assert statement["Resource"] == [f"{REST_PREFIX}/*"]
    assert response["context"] == {"reason": "missing_group"}
    assert not policy_allows(response, GET_ARN)
    exact = deny_policy("user-1", DELETE_ARN, scope="method")
    assert exact["policyDocument"]["Statement"][0]["Resource"] == [DELETE_ARN]


def test_policy_response_allow_and_deny() -> None:
    response = policy_response("u", allow=f"{REST_PREFIX}/*/*", deny=[f"{REST_PREFIX}/DELETE/*"])
    assert [s["Effect"] for s in response["policyDocument"]["Statement"]] == ["Allow", "Deny"]
    assert policy_allows(response, GET_ARN)
    assert not policy_allows(response, DELETE_ARN)
    with pytest.raises(ValueError, match="at least one"):
        policy_response("u")


def test_simple_response() -> None:
    assert simple_response(True) == {"isAuthorized": True}
    assert simple_response(False, context={"reason": "x", "n": None}) == {
        "isAuthorized": False,
        "context": {"reason": "x"},
    }


def test_flatten_context() -> None:
    flat = flatten_context(
        {
            "s": "text",
            "i": 3,
            "f": 1.5,
            "b": False,
            "none": None,
            "groups": ["admin", "editors"],
            "tuple": ("x", 1, True),
            "flags": [False, True],
            "set": {"b", "a"},
            "numbers": frozenset({9, 10}),  # iterated 9, 10 (ints hash to themselves)
            "empty": [],
            "nested": {"b": 1, "a": [1, 2]},
            "list_of_dicts": [{"k": "v"}, {"k": "w"}],
            "nan": float("nan"),
            "other": object,
        }
    )
    assert flat == {
        "s": "text",
        "i": 3,
        "f": 1.5,
        "b": False,
        "groups": "admin,editors",
        "tuple": "x,1,true",
        "flags": "false,true",
        "set": "a,b",
        "numbers": "10,9",  # sorted as text, whatever the iteration order
        "empty": "",
        "nested": '{"a":[1,2],"b":1}',
        "list_of_dicts": '[{"k":"v"},{"k":"w"}]',
        "nan": "nan",
        "other": "<class 'object'>",
    }
    assert all(isinstance(v, str | int | float | bool) for v in flat.values())


# ------------------------------------------------------------ policy checks


def test_policy_allows_subset_of_iam() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "execute-api:*",
            "Resource": f"{REST_PREFIX}/G?T/*",
        },
    }
    assert policy_allows(document, GET_ARN)
    assert not policy_allows(document, DELETE_ARN)
    star = {"Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]}
    assert policy_allows(star, DELETE_ARN)
    other_action = {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    assert not policy_allows(other_action, GET_ARN)  # implicit deny, the Deny does not apply


def test_policy_allows_reads_only_the_statements_for_execute_api_invoke() -> None:
    """Another action's statement allows and denies nothing; IAM action names ignore case."""
    other_allow = {
        "Statement": [
            {"Effect": "Allow", "Action": "execute-api:ManageConnections", "Resource": "*"}
        ]
    }
    assert not policy_allows(other_allow, GET_ARN)
    other_deny = {
        "Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"},
            {"Effect": "Deny", "Action": ["s3:GetObject", "execute-api:Manage*"], "Resource": "*"},
        ]
    }
    assert policy_allows(other_deny, GET_ARN)
    upper_case = {
        "Statement": [{"Effect": "Allow", "Action": "EXECUTE-API:INVOKE", "Resource": GET_ARN}]
    }
    assert policy_allows(upper_case, GET_ARN)
    one_of_several = {
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "execute-api:Invoke"], "Resource": "*"}
        ]
    }
    assert policy_allows(one_of_several, GET_ARN)


@pytest.mark.parametrize("element", ["Action", "Resource"])
def test_policy_allows_names_the_malformed_element(element: str) -> None:
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*", element: 3}
    with pytest.raises(ValueError, match=f"statement {element} must be a string or a list"):
        policy_allows({"Statement": [statement]}, GET_ARN)


@pytest.mark.parametrize(
    "policy",
    [
        {"policyDocument": "nope"},
        {"Version": "2012-10-17"},  # no Statement: refused, not an implicit deny
        {"Statement": ""},
        {"Statement": "nope"},
        {"Statement": ["nope"]},
        {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": 3, "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "NotResource": "x"}]},
        # Beside the element it would negate: still refused, never read as the plain one.
        {"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "x"}]},
        {"Statement": [{"Effect": "Allow", "Action": ["execute-api:Invoke", 3], "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {}}]},
    ],
)
def test_policy_allows_rejects_what_it_does_not_understand(policy: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="policy"):
        policy_allows(policy, GET_ARN)


# -------------------------------------------------------------------- rules


def _request(method: str, path: str = "/news") -> ApiRequest:
    return ApiRequest("rest-token", method, path, f"{REST_PREFIX}/{method}/{path[1:]}")


def test_require_groups_for() -> None:
    rule = require_groups_for(
        {"DELETE": "admin", "* /admin/*": ["ops", "admin"], "post /news": "w"}
    )
    assert isinstance(rule, GroupRule)
    assert "DELETE" in repr(rule)
    admin = {"cognito:groups": ["admin"]}
    ops = {"cognito:groups": ["ops"]}
    writer = {"cognito:groups": ["w"]}
    nobody: dict[str, Any] = {}
    assert rule(_request("GET"), nobody)
    assert not rule(_request("DELETE"), nobody)
    assert rule(_request("DELETE"), admin)
    assert not rule(_request("DELETE"), ops)
    assert rule(_request("GET", "/admin/users"), ops)
    assert rule(_request("GET", "/admin"), ops)
    assert not rule(_request("GET", "/admin"), writer)
    assert not rule(_request("GET", "/admin/users"), writer)
    assert rule(_request("POST", "/news"), writer)
    assert rule(_request("POST", "/news/1"), nobody)
    assert rule(_request("GET", "/users/admin"), nobody)  # the method does not cross into paths
    parsed = parse_execute_api_arn(GET_ARN)
    odd_post = [
        f"{head}{tail}"
        for head in ("PO??", "Po??", "pO??", "po??")
        for tail in ("/*%*", "//*", "/*//*", "/./*", "/*/./*", "/../*", "/*/../*")
    ]
    assert [r.removeprefix(f"{REST_PREFIX}/") for r in rule.denied_resources(parsed, admin)] == [
        "PO??/news",  # POST in any letter case, and no other of the seven methods
        "Po??/news",
        "pO??/news",
        "po??/news",
        "PO??/news/",
        "Po??/news/",
        "pO??/news/",
        "po??/news/",
        "POST /news",
        "ANY/news",
        "ANY/*{*",
        "POST/*{*",
        "ANY /news",
        "ANY /*{*",
        "POST /*{*",
        "$default",
        "$default/*",
        *odd_post,
    ]
    denied = rule.denied_resources(parsed, nobody)
    assert denied[:4] == [
        f"{REST_PREFIX}/D?????/*",
        f"{REST_PREFIX}/d?????/*",
        f"{REST_PREFIX}/??????/admin",
        f"{REST_PREFIX}/??????/admin/*",
    ]
    assert f"{REST_PREFIX}/DELETE /*" in denied
    assert f"{REST_PREFIX}/ANY/*" in denied
    assert f"{REST_PREFIX}/???/admin" in denied  # GET and PUT, any case
    assert f"{REST_PREFIX}/????/admin/*" in denied  # HEAD and POST, any case
    assert f"{REST_PREFIX}/*%*" in denied  # every method is at stake: one pattern per mark
    spelled = [r.removeprefix(REST_PREFIX) for r in denied]
    odd = {f"/*{mark}*" for mark in ("%", "//", "/./", "/../")}
    assert not any(r.startswith("/*/") for r in spelled if r not in odd)


def test_group_rule_refuses_a_string_cognito_groups_claim() -> None:
    rule = require_groups_for({"DELETE": "admin"})
    with pytest.raises(InvalidClaimError) as caught:
        rule(_request("DELETE"), {"cognito:groups": "admin"})
    assert caught.value.reason == "invalid_claim_type"


@pytest.mark.parametrize("rules", [{"": "admin"}, {"DELETE": []}, {"DELETE": [""]}])
def test_require_groups_for_rejects_nonsense(rules: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"group rule|empty method"):
        require_groups_for(rules)


# ------------------------------------------------------------------ handler


@pytest.fixture(scope="module")
def verifier(pool: FakeCognitoPool) -> CognitoJwtVerifier:
    return pool.verifier("id")


@pytest.fixture(scope="module")
def admin_token(pool: FakeCognitoPool) -> str:
    return pool.id_token(groups=["admin", "editors"])


@pytest.fixture(scope="module")
def reader_token(pool: FakeCognitoPool) -> str:
    return pool.id_token()


def _reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.__dict__["reason"] for r in caplog.records if r.name == "cognito_jwt"]


@pytest.mark.parametrize("index", range(4), ids=SHAPE_IDS)
def test_handler_allows_valid_token(
    index: int, verifier: CognitoJwtVerifier, admin_token: str, pool: FakeCognitoPool
) -> None:
    handler = make_handler(verifier)
    event = all_shapes(f"Bearer {admin_token}")[index]
    response = handler(event, None)
    claims = verifier.verify(admin_token)
    expected_context = {
        "sub": claims["sub"],
        "username": "alice",
        "email": "alice@example.com",
        "email_verified": True,
        "groups": "admin,editors",
        "token_use": "id",
        "client_id": pool.client_id,
    }
    if SHAPE_IDS[index] == "http-v2":
        assert response == {"isAuthorized": True, "context": expected_context}
        return
    prefix = HTTP_PREFIX if SHAPE_IDS[index] == "http-v1" else REST_PREFIX
    assert response["principalId"] == claims["sub"]
    assert response["context"] == expected_context
    assert response["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [f"{prefix}/*"]}
    ]


@pytest.mark.parametrize("index", range(4), ids=SHAPE_IDS)
def test_handler_missing_token_is_401(
    index: int, verifier: CognitoJwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    event = all_shapes("")[index]
    event.pop("identitySource", None)
    caplog.set_level(logging.INFO, logger="cognito_jwt")
    with pytest.raises(Unauthorized, match=r"^Unauthorized$"):
        make_handler(verifier)(event, None)
    assert _reasons(caplog) == ["missing_token"]


def _forged(token: str) -> str:
    """The token with an extra group written into its payload, old signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = ["admin"]
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def _invalid_tokens(pool: FakeCognitoPool) -> dict[str, tuple[str, str]]:
    return {
        "expired": (pool.id_token(expires_in=-60), "token_expired"),
        "access token": (pool.access_token(), "wrong_token_use"),
        "garbage": ("not-a-jwt", "malformed_token"),
        "tampered": (_forged(pool.id_token()), "invalid_signature"),
        "other audience": (pool.id_token(aud="someone-else"), "invalid_audience"),
    }


@pytest.mark.parametrize("index", range(4), ids=SHAPE_IDS)
@pytest.mark.parametrize(
    "case", ["expired", "access token", "garbage", "tampered", "other audience"]
)
def test_handler_invalid_token_is_401_and_logs_reason_not_token(
    index: int,
    case: str,
    verifier: CognitoJwtVerifier,
    pool: FakeCognitoPool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token, reason = _invalid_tokens(pool)[case]
    caplog.set_level(logging.DEBUG, logger="cognito_jwt")
    with pytest.raises(Unauthorized) as caught:
        make_handler(verifier)(all_shapes(f"Bearer {token}")[index], None)
    assert caught.value.__cause__ is None  # nothing chained that could carry the token
    assert _reasons(caplog) == [reason]
    assert token not in caplog.text
    assert token.split(".")[-1] not in caplog.text


@pytest.mark.parametrize("index", range(4), ids=SHAPE_IDS)
def test_handler_access_denied_by_verifier_is_deny(
    index: int, pool: FakeCognitoPool, reader_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cognito_jwt")
    handler = make_handler(pool.verifier("id", groups=["admin"]))
    event = all_shapes(reader_token)[index]
    response = handler(event, None)
    assert _reasons(caplog) == ["missing_group"]
    if SHAPE_IDS[index] == "http-v2":
        assert response == {"isAuthorized": False, "context": {"reason": "missing_group"}}
        return
    assert response["principalId"] == "anonymous"  # claims are not in errors by default
    assert response["context"] == {"reason": "missing_group"}
    assert not policy_allows(response, event["methodArn"])
    assert not policy_allows(response, event["methodArn"].replace("/DELETE/", "/GET/"))


def test_handler_access_denied_names_principal_when_claims_included(
    pool: FakeCognitoPool, reader_token: str
) -> None:
    verifier = pool.verifier("id", groups=["admin"], include_claims_in_errors=True)
    response = make_handler(verifier)(token_event(reader_token), None)
    assert response["principalId"] == verifier_sub(pool, reader_token)


def verifier_sub(pool: FakeCognitoPool, token: str) -> str:
    sub: str = pool.verifier("id").verify(token)["sub"]
    return sub


@pytest.mark.parametrize("index", range(4), ids=SHAPE_IDS)
def test_group_rule_policy_is_cache_safe(
    index: int, verifier: CognitoJwtVerifier, reader_token: str, admin_token: str
) -> None:
    """One response per token, valid for every route: what the authorizer cache assumes."""
    handler = make_handler(verifier, rule={"DELETE": "admin"})
    for method in ("GET", "DELETE"):
        reader = handler(all_shapes(reader_token, method)[index], None)
        admin = handler(all_shapes(admin_token, method)[index], None)
        if SHAPE_IDS[index] == "http-v2":
            # A simple response is one boolean for every route: the reader, who
            # may not DELETE, is refused everywhere rather than let in anywhere.
            assert reader["isAuthorized"] is False
            assert admin["isAuthorized"] is True
            continue
        arn = all_shapes("x", method)[index]["methodArn"]
        delete_arn, get_arn = (
            arn.replace(f"/{method}/", "/DELETE/"),
            arn.replace(f"/{method}/", "/GET/"),
        )
        # Whichever route triggered the authorizer, the answer is the same policy.
        assert policy_allows(reader, get_arn)
        assert not policy_allows(reader, delete_arn)
        assert policy_allows(admin, get_arn)
        assert policy_allows(admin, delete_arn)
        assert reader["context"]["username"] == "alice"  # context is token-only too


def test_group_rule_denial_is_logged(
    verifier: CognitoJwtVerifier, reader_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cognito_jwt")
    make_handler(verifier, rule=require_groups_for({"DELETE": "admin"}))(
        token_event(reader_token), None
    )
    assert _reasons(caplog) == ["rule_denied"]
    assert reader_token not in caplog.text


def test_callable_rule_scopes_policy_to_the_method(
    verifier: CognitoJwtVerifier, reader_token: str
) -> None:
    seen: list[tuple[str, str]] = []

    def only_reads(request: ApiRequest, claims: Mapping[str, Any]) -> bool:
        seen.append((request.method, str(claims["token_use"])))
        return request.method == "GET"

    handler = make_handler(verifier, rule=only_reads, authorizer_cache="off")
    allowed = handler(token_event(reader_token, "GET"), None)
    denied = handler(token_event(reader_token, "DELETE"), None)
    assert seen == [("GET", "id"), ("DELETE", "id")]
    assert allowed["policyDocument"]["Statement"][0] == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": [GET_ARN],
    }
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert denied["policyDocument"]["Statement"][0]["Resource"] == [DELETE_ARN]
    assert denied["context"] == {"reason": "rule_denied"}
    simple = handler(http_v2_event({"Authorization": reader_token}, "DELETE"), None)
    assert simple == {"isAuthorized": False, "context": {"reason": "rule_denied"}}


class FailingFetcher:
    """A JWKS transport that is down."""

    def fetch(self, uri: str) -> bytes:
        raise JwksUnavailableError(f"cannot reach {uri}", reason="jwks_fetch_failed")


@pytest.mark.parametrize("index", range(4), ids=SHAPE_IDS)
def test_handler_jwks_unavailable_is_an_error(
    index: int, pool: FakeCognitoPool, reader_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = pool.verifier("id", fetcher=FailingFetcher())
    caplog.set_level(logging.INFO, logger="cognito_jwt")
    with pytest.raises(JwksUnavailableError) as caught:
        make_handler(verifier)(all_shapes(reader_token)[index], None)
    assert str(caught.value) != "Unauthorized"  # API Gateway must answer 500, not 401
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.__dict__["reason"] for r in errors] == [caught.value.reason]
    assert reader_token not in caplog.text


def test_handler_partitions(pool: FakeCognitoPool, reader_token: str) -> None:
    handler = make_handler(pool.verifier("id"))
    for partition, region in [("aws-cn", "cn-northwest-1"), ("aws-us-gov", "us-gov-west-1")]:
        arn = f"arn:{partition}:execute-api:{region}:{ACCOUNT}:{API}/prod/DELETE/news"
        response = handler(
            {"type": "TOKEN", "authorizationToken": reader_token, "methodArn": arn}, None
        )
        resource = response["policyDocument"]["Statement"][0]["Resource"]
        assert resource == [f"arn:{partition}:execute-api:{region}:{ACCOUNT}:{API}/prod/*"]


def test_handler_options(
    pool: FakeCognitoPool, verifier: CognitoJwtVerifier, reader_token: str
) -> None:
    exact = make_handler(verifier, scope="method", authorizer_cache="off")(
        token_event(reader_token), None
    )
    assert exact["policyDocument"]["Statement"][0]["Resource"] == [DELETE_ARN]

    as_policy = make_handler(verifier, response_format="policy")
    response = as_policy(http_v2_event({"Authorization": reader_token}), None)
    assert response["policyDocument"]["Statement"][0]["Resource"] == [f"{HTTP_PREFIX}/*"]

    as_simple = make_handler(verifier, response_format="simple")
    assert as_simple(request_event({"Authorization": reader_token}), None)["isAuthorized"] is True

    custom = make_handler(
        verifier,
        principal=lambda claims: f"user:{claims['cognito:username']}",
        context=lambda claims: {"who": claims["cognito:username"], "n": [1, 2]},
        header="X-Token",
    )
    response = custom(request_event({"x-token": f"Bearer {reader_token}"}), None)
    assert response["principalId"] == "user:alice"
    assert response["context"] == {"who": "alice", "n": "1,2"}
    assert custom.verifier is verifier


def test_handler_needs_an_arn_for_policies(verifier: CognitoJwtVerifier, reader_token: str) -> None:
    event = token_event(reader_token)
    del event["methodArn"]
    with pytest.raises(ValueError, match="methodArn"):
        make_handler(verifier)(event, None)


def test_handler_does_not_mutate_the_event(verifier: CognitoJwtVerifier, admin_token: str) -> None:
    event = request_event({"Authorization": admin_token})
    before = copy.deepcopy(event)
    make_handler(verifier, rule={"DELETE": "admin"})(event, None)
    assert event == before


# ------------------------------------------------- AWS's documented event shapes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "authorizer_events"


def _fixture(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return {k: v for k, v in event.items() if not k.startswith("_")}


@pytest.mark.parametrize(
    ("name", "kind", "method", "paths", "names_request"),
    [
        ("rest-token.json", "rest-token", "GET", ("/request",), True),
        ("rest-token-root.json", "rest-token", "GET", ("/",), True),
        ("rest-request.json", "rest-request", "GET", ("/request",), True),
        ("http-v1.json", "http-v1", "GET", ("/request",), True),
        # AWS's own 2.0 example: the routeArn disagrees with the request, so
        # every path it gives is kept and the request's own method wins.
        ("http-v2.json", "http-v2", "POST", ("/request", "/my/path"), False),
        ("websocket-connect.json", "websocket", "$connect", ("",), True),
    ],
)
def test_documented_event_shapes_are_read_as_the_request(
    name: str, kind: str, method: str, paths: tuple[str, ...], names_request: bool
) -> None:
    request = describe_request(_fixture(name))
    assert (request.kind, request.method, request.all_paths) == (kind, method, paths)
    assert request.arn_names_request is names_request


@pytest.mark.parametrize(
    "name",
    [
        "rest-token.json",
        "rest-request.json",
        "http-v1.json",
        "http-v2.json",
        "websocket-connect.json",
    ],
)
def test_documented_event_shapes_get_a_stage_wide_answer(
    name: str, verifier: CognitoJwtVerifier, admin_token: str
) -> None:
    event = _fixture(name)
    if event.get("type") == "TOKEN":
        event["authorizationToken"] = admin_token
    else:
        event["headers"] = {"Authorization": admin_token}
    response = make_handler(verifier, response_format="policy")(event, None)
    arn = event.get("routeArn") or event["methodArn"]
    statement = response["policyDocument"]["Statement"][0]
    assert statement["Resource"] == [arn.rsplit("/", arn.count("/") - 1)[0] + "/*"]
    assert fnmatch.fnmatchcase(arn, statement["Resource"][0])


# ------------------------------------------ what a cached answer must never do


def test_http_api_simple_response_is_not_reused_to_open_delete(
    verifier: CognitoJwtVerifier, reader_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    """`auto` on payload 2.0 with a per-route rule: the cached boolean must hold everywhere."""
    handler = make_handler(verifier, rule=require_groups_for({"DELETE": "admin"}))
    caplog.set_level(logging.WARNING, logger="cognito_jwt")
    get = handler(http_v2_event({"Authorization": reader_token}, "GET"), None)
    assert get["isAuthorized"] is False  # the same boolean will answer DELETE /news
    assert "per-route" in caplog.text


def test_explicit_simple_responses_with_a_route_rule_are_refused_per_token(
    verifier: CognitoJwtVerifier,
) -> None:
    with pytest.raises(ConfigurationError, match="per-route") as caught:
        make_handler(verifier, rule={"DELETE": "admin"}, response_format="simple")
    assert isinstance(caught.value, ValueError)
    for cache in ("per-route", "off"):
        make_handler(
            verifier,
            rule={"DELETE": "admin"},
            response_format="simple",
            authorizer_cache=cache,
        )
    make_handler(verifier, rule={"*": "admin"}, response_format="simple")  # route-independent


@pytest.mark.parametrize(
    ("route_key", "route_arn"),
    [
        ("ANY /news", f"{HTTP_PREFIX}/ANY/news"),
        ("ANY /{proxy+}", f"{HTTP_PREFIX}/ANY/{{proxy+}}"),
        ("$default", f"{HTTP_PREFIX}/$default"),
    ],
)
def test_any_and_default_routes_apply_the_rule_to_the_actual_method(
    route_key: str,
    route_arn: str,
    verifier: CognitoJwtVerifier,
    reader_token: str,
    admin_token: str,
) -> None:
    event = http_v2_event({"Authorization": reader_token}, "DELETE")
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["routeArn"] = route_arn
    request = describe_request(event)
    assert (request.method, request.path, request.arn_names_request) == ("DELETE", "/news", False)
    for cache in ("per-token", "per-route", "off"):
        handler = make_handler(
            verifier,
            rule={"DELETE": "admin"},
            response_format="policy",
            authorizer_cache=cache,
        )
        assert not policy_allows(handler(event, None), route_arn), cache
        admin = handler({**event, "headers": {"authorization": admin_token}}, None)
        assert policy_allows(admin, route_arn), cache


@pytest.mark.parametrize(
    "key",
    [
        "/admin/*",
        "DELETE\t/news",
        "GET,POST /admin/*",
        "DELETE  /news",
        "DELETE news",
        "DELETE /news/",
        "DELETE /news//x",
        "DELETE /news/*/x",
        "DELETE /ne*s",
        "DELETE /news?",
        "DELETE /{proxy+}/x",
        "FETCH /news",
        "$CONNECT",
        "$disconnect",
        "$connect /x",
        " DELETE",
        "",
    ],
)
def test_rule_keys_that_could_never_match_are_refused(key: str) -> None:
    with pytest.raises(ConfigurationError, match="group rule key") as caught:
        require_groups_for({key: "admin"})
    assert isinstance(caught.value, ValueError)


def test_rule_keys_meaning_the_same_routes_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="same routes"):
        require_groups_for({"DELETE /news": "admin", "delete /news": "ops"})
    with pytest.raises(ConfigurationError, match="same routes"):
        require_groups_for({"*": "admin", "ANY": "ops"})


@pytest.mark.parametrize(
    ("key", "covered", "not_covered"),
    [
        ("DELETE /news/{id}", ["DELETE /news/7"], ["DELETE /news", "GET /news/7"]),
        ("DELETE /news/{proxy+}", ["DELETE /news/7/x"], ["DELETE /news"]),
        ("* /admin/*", ["GET /admin", "POST /admin/x/y", "HEAD /admin"], ["GET /administrator"]),
        ("* /admin", ["PUT /admin"], ["GET /users/admin", "GET /admin/x"]),
        ("GET /news", ["GET /news", "HEAD /news"], ["POST /news", "GET /news/1"]),
        ("GET /", ["GET /"], ["GET /news"]),
        ("$connect", ["$connect "], ["GET /"]),
    ],
)
def test_rule_keys_cover_exactly_their_documented_requests(
    key: str, covered: list[str], not_covered: list[str]
) -> None:
    rule = require_groups_for({key: "admin"})
    for line in covered + not_covered:
        method, _, path = line.partition(" ")
        kind: EventKind = "websocket" if method == "$connect" else "rest-request"
        request = ApiRequest(kind, method, path, f"{REST_PREFIX}/{method}/{path[1:]}")
        assert rule(request, {}) is (line not in covered), line
        assert rule(request, {"cognito:groups": ["admin"]}), line


def test_a_websocket_connection_is_allowed_by_the_stage_wide_policy(
    verifier: CognitoJwtVerifier, admin_token: str, reader_token: str
) -> None:
    event = {**_fixture("websocket-connect.json"), "headers": {"Authorization": reader_token}}
    arn = event["methodArn"]
    assert policy_allows(make_handler(verifier)(event, None), arn)
    handler = make_handler(verifier, rule={"$connect": "admin"})
    assert not policy_allows(handler(event, None), arn)
    admin = handler({**event, "headers": {"Authorization": admin_token}}, None)
    assert policy_allows(admin, arn)


def test_a_string_cognito_groups_claim_is_a_401_not_membership(
    pool: FakeCognitoPool, caplog: pytest.LogCaptureFixture
) -> None:
    string_groups: dict[str, Any] = {"cognito:groups": "admin"}
    token = pool.id_token(**string_groups)
    caplog.set_level(logging.INFO, logger="cognito_jwt")
    for rule in (None, {"DELETE": "admin"}):
        with pytest.raises(Unauthorized):
            make_handler(pool.verifier("id"), rule=rule)(token_event(token), None)
    assert _reasons(caplog) == ["invalid_claim_type", "invalid_claim_type"]
    with pytest.raises(InvalidClaimError) as caught:
        pool.verifier("id", groups=["admin"]).verify(token)
    assert caught.value.reason == "invalid_claim_type"


@pytest.mark.parametrize(
    ("claims", "email", "verified"),
    [
        ({"email_verified": True}, "alice@example.com", True),
        ({"email_verified": "true"}, "alice@example.com", True),
        ({"email_verified": False}, None, False),
        ({"email_verified": None}, None, False),
    ],
)
def test_the_default_context_forwards_email_only_when_verified(
    pool: FakeCognitoPool, claims: dict[str, Any], email: str | None, verified: bool
) -> None:
    token = pool.id_token(**claims)
    response = make_handler(pool.verifier("id"))(token_event(token), None)
    assert response["context"].get("email") == email
    assert response["context"]["email_verified"] is verified


@pytest.mark.parametrize(
    ("options", "fix"),
    [
        ({"scope": "method"}, "scope='stage'"),
        ({"rule": lambda request, claims: True}, "require_groups_for"),
        ({"authorizer_cache": "sometimes"}, "authorizer_cache"),
        ({"response_format": "xml"}, "response_format"),
        ({"scope": "route"}, "scope"),
    ],
)
def test_unsafe_or_unknown_configurations_are_refused_with_the_fix(
    verifier: CognitoJwtVerifier, options: dict[str, Any], fix: str
) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(fix)):
        make_handler(verifier, **options)


@pytest.mark.parametrize("arn_method", ["DELETE", "ANY"])
def test_a_custom_domain_base_path_does_not_hide_the_route_from_the_rule(
    arn_method: str, verifier: CognitoJwtVerifier, reader_token: str
) -> None:
    """HTTP API 1.0's `path` carries an API mapping's base path; the ARN's path does not."""
    event = http_v1_event({"Authorization": reader_token}, "DELETE")
    event["path"] = event["requestContext"]["path"] = "/v1/news"
    event["methodArn"] = f"{HTTP_PREFIX}/{arn_method}/news"
    request = describe_request(event)
    assert "/news" in request.all_paths
    handler = make_handler(verifier, rule={"DELETE /news": "admin"}, authorizer_cache="off")
    assert not policy_allows(handler(event, None), event["methodArn"])


def test_group_values_and_unmatched_are_validated() -> None:
    with pytest.raises(ConfigurationError, match="expected group names"):
        require_groups_for({"DELETE": 5})  # type: ignore[dict-item]
    with pytest.raises(ConfigurationError, match="unmatched"):
        require_groups_for({"DELETE": "admin"}, unmatched="Deny")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="unmatched"):
        GroupRule([], unmatched="Deny")  # type: ignore[arg-type]


def test_an_arn_naming_the_request_is_not_read_as_stage_prefixed(
    verifier: CognitoJwtVerifier, admin_token: str
) -> None:
    """On stage `api`, a route `/api/x` is `/api/x`: its ARN path is never stripped."""
    event = http_v2_event({"Authorization": admin_token}, "GET")
    stage = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/api"
    event["routeArn"] = f"{stage}/GET/api/x"
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/api/api/x"
    event["requestContext"]["stage"] = "api"
    request = describe_request(event)
    assert request.all_paths == ("/api/x",)
    rule = require_groups_for({"GET /x": "admin"}, unmatched="deny")
    handler = make_handler(verifier, rule=rule, response_format="policy", authorizer_cache="off")
    assert not policy_allows(handler(event, None), event["routeArn"])
