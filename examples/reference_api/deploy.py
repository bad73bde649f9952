"""Deploy (or tear down) the reference newspaper API with boto3.

This is the tutorial's console walk-through as a script that can be run again
and again: every step first looks for what it would create and only creates or
fixes what is missing or different, so a second run changes nothing.

What it builds::

    Cognito user pool  <name>               tagged, email auto-verified
      group            admin
      app client       <name>-client        no secret; USER_PASSWORD_AUTH and
                                            REFRESH_TOKEN_AUTH; implicit grant,
                                            callback http://localhost, openid/
                                            email/phone/profile scopes
    REST API           <name>               regional, tagged
      /news  GET       MOCK, no authorization (public)
      /news  DELETE    MOCK, COGNITO_USER_POOLS authorizer
      authorizer       <name>-cognito       token source: Authorization header
      stage            api                  deployed after DELETE is protected

One difference from the console steps, on purpose: the console deploys the API,
tests it, then adds the authorizer and redeploys, so for a while anyone may
``DELETE /news``.  The script attaches the authorizer before the first
deployment, so there is never such a window.

Usage::

    python examples/reference_api/deploy.py                   # real AWS, default creds
    python examples/reference_api/deploy.py --endpoint-url http://127.0.0.1:5000
    python examples/reference_api/deploy.py --teardown        # delete what it made

``--endpoint-url`` (default: ``$AWS_ENDPOINT_URL``) points it at an emulator
such as moto; the tests and the local demo do exactly that.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import boto3

from cognito_jwt import cognito_issuers

if TYPE_CHECKING:
    from mypy_boto3_apigateway.client import APIGatewayClient
    from mypy_boto3_apigateway.type_defs import MethodResponseExtraTypeDef
    from mypy_boto3_cognito_idp.client import CognitoIdentityProviderClient

__all__ = [
    "ADMIN_GROUP",
    "DEFAULT_NAME",
    "DELETE_RESPONSE",
    "NEWS_RESPONSE",
    "STAGE",
    "Clients",
    "Deployment",
    "deploy",
    "main",
    "make_clients",
    "teardown",
]

DEFAULT_NAME = "cognito-jwt-news"
STAGE = "api"
ADMIN_GROUP = "admin"
#: Marks what this script created; teardown deletes nothing without it.
TAG_KEY = "cognito-jwt-example"
TAG_VALUE = "reference-api"
AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
CALLBACK_URLS = ["http://localhost"]
OAUTH_FLOWS = ["implicit"]
OAUTH_SCOPES = ["email", "openid", "phone", "profile"]
TOKEN_SOURCE = "method.request.header.Authorization"

#: Bodies of the MOCK integrations (the "newspaper").
NEWS_RESPONSE = json.dumps(
    {
        "news": [
            {"id": 1, "title": "Cognito guards DELETE /news"},
            {"id": 2, "title": "Anonymous deletes get a 401"},
        ]
    }
)
DELETE_RESPONSE = json.dumps({"message": "News deleted"})
_MOCK_REQUEST = {"application/json": '{"statusCode": 200}'}


class DeployError(RuntimeError):
    """Something exists in a state the script will not silently overwrite."""


@dataclass(frozen=True)
class Clients:
    """The two boto3 clients the script needs, created from one session."""

    apigateway: APIGatewayClient
    cognito: CognitoIdentityProviderClient
    region: str
    endpoint_url: str | None


def make_clients(region: str | None = None, endpoint_url: str | None = None) -> Clients:
    """Create the clients; ``endpoint_url`` falls back to ``$AWS_ENDPOINT_URL``."""
    endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    session = boto3.session.Session(region_name=region)
    if not session.region_name:
        raise DeployError("no AWS region: pass --region or set AWS_REGION / AWS_DEFAULT_REGION")
    return Clients(
        apigateway=session.client("apigateway", endpoint_url=endpoint_url),
        cognito=session.client("cognito-idp", endpoint_url=endpoint_url),
        region=session.region_name,
        endpoint_url=endpoint_url,
    )


@dataclass(frozen=True)
class Deployment:
    """What was deployed: everything a client or the demo needs to call it."""

    region: str
    account_id: str
    api_id: str
    stage: str
    invoke_url: str
    news_url: str
    user_pool_id: str
    user_pool_arn: str
    client_id: str
    authorizer_id: str
    issuer: str
    jwks_uri: str
    changed: bool

    def method_arn(self, method: str, path: str = "/news", partition: str = "aws") -> str:
        """The ``execute-api`` ARN API Gateway puts in an authorizer event."""
        return (
            f"arn:{partition}:execute-api:{self.region}:{self.account_id}:"
            f"{self.api_id}/{self.stage}/{method}/{path.removeprefix('/')}"
        )


# ------------------------------------------------------------------- Cognito


def _only_ours(kind: str, name: str, found: Sequence[object], ours: Sequence[str]) -> str | None:
    """The id of our ``kind`` named ``name``, or None when there is none yet.

    ``found`` holds every ``kind`` of that name, ``ours`` the ids of those carrying
    our tag.  Two of ours are ambiguous, and one that is not ours is never adopted:
    both are errors.
    """
    if len(ours) > 1:
        raise DeployError(f"{len(ours)} {kind}s named {name!r}; delete the extra ones")
    if found and not ours:
        raise DeployError(f"a {kind} named {name!r} exists but was not made by this script")
    return ours[0] if ours else None


def _find_user_pool(cognito: CognitoIdentityProviderClient, name: str) -> str | None:
    """The id of *our* pool called ``name``; refuse to adopt an untagged one."""
    found: list[str] = []
    for page in cognito.get_paginator("list_user_pools").paginate(
        PaginationConfig={"PageSize": 60}
    ):
        found += [p["Id"] for p in page.get("UserPools", []) if p.get("Name") == name]
    ours = [
        pool_id
        for pool_id in found
        if cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        .get("UserPoolTags", {})
        .get(TAG_KEY)
        == TAG_VALUE
    ]
    return _only_ours("user pool", name, found, ours)


def _ensure_user_pool(cognito: CognitoIdentityProviderClient, name: str) -> tuple[str, bool]:
    pool_id = _find_user_pool(cognito, name)
    if pool_id:
        return pool_id, False
    pool = cognito.create_user_pool(
        PoolName=name,
        AutoVerifiedAttributes=["email"],
        # A changed email stays unverified, and unused, until the user confirms it;
        # otherwise the next ID token would carry an address nobody proved.
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
        # Self sign-up stays on, as in the tutorial: anyone who knows the public
        # app client id can create an account, so "any signed-in user may DELETE"
        # (the Cognito-authorizer variant) means "anyone on the internet may".
        # The Lambda-authorizer variant's admin-group rule is what closes that.
        UsernameConfiguration={"CaseSensitive": False},
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 8,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": False,
            }
        },
        UserPoolTags={TAG_KEY: TAG_VALUE},
    )["UserPool"]
    return pool["Id"], True


def _ensure_group(cognito: CognitoIdentityProviderClient, pool_id: str) -> bool:
    try:
        cognito.get_group(GroupName=ADMIN_GROUP, UserPoolId=pool_id)
    except cognito.exceptions.ResourceNotFoundException:
        cognito.create_group(
            GroupName=ADMIN_GROUP,
            UserPoolId=pool_id,
            Description="May delete news (checked by the custom Lambda authorizer).",
        )
        return True
    return False


def _client_settings(name: str) -> dict[str, Any]:
    return {
        "ClientName": name,
        "ExplicitAuthFlows": AUTH_FLOWS,
        "CallbackURLs": CALLBACK_URLS,
        "AllowedOAuthFlows": OAUTH_FLOWS,
        "AllowedOAuthScopes": OAUTH_SCOPES,
        "AllowedOAuthFlowsUserPoolClient": True,
        "SupportedIdentityProviders": ["COGNITO"],
        # Sign-in and recovery answer alike for unknown and known users.
        "PreventUserExistenceErrors": "ENABLED",
    }


def _same(wanted: object, current: object) -> bool:
    """Equal, ignoring the order of list settings (AWS may return them reordered)."""
    if isinstance(wanted, list) and isinstance(current, list):
        return sorted(map(str, wanted)) == sorted(map(str, current))
    return wanted == current


def _ensure_app_client(
    cognito: CognitoIdentityProviderClient, pool_id: str, name: str
) -> tuple[str, bool]:
    wanted = _client_settings(name)
    existing: list[str] = []
    for page in cognito.get_paginator("list_user_pool_clients").paginate(
        UserPoolId=pool_id, PaginationConfig={"PageSize": 60}
    ):
        existing += [
            c["ClientId"] for c in page.get("UserPoolClients", []) if c["ClientName"] == name
        ]
    if not existing:
        created = cognito.create_user_pool_client(
            UserPoolId=pool_id, GenerateSecret=False, **wanted
        )["UserPoolClient"]
        return created["ClientId"], True
    if len(existing) > 1:
        raise DeployError(f"{len(existing)} app clients named {name!r} in {pool_id}")
    client_id = existing[0]
    current = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)[
        "UserPoolClient"
    ]
    if current.get("ClientSecret"):
        # A browser or CLI app cannot keep a secret, and a secret cannot be
        # removed from an existing client: it has to be replaced.
        raise DeployError(f"app client {client_id} has a secret; delete it and deploy again")
    settings: Mapping[str, object] = current
    differs = not all(_same(value, settings.get(key)) for key, value in wanted.items())
    if differs:
        cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, **wanted)
    return client_id, differs


# --------------------------------------------------------------- API Gateway


def _find_rest_api(apigw: APIGatewayClient, name: str) -> str | None:
    matches = [
        api
        for page in apigw.get_paginator("get_rest_apis").paginate()
        for api in page.get("items", [])
        if api.get("name") == name
    ]
    ours = [api["id"] for api in matches if api.get("tags", {}).get(TAG_KEY) == TAG_VALUE]
    return _only_ours("REST API", name, matches, ours)


def _ensure_rest_api(apigw: APIGatewayClient, name: str) -> tuple[str, bool]:
    api_id = _find_rest_api(apigw, name)
    if api_id:
        return api_id, False
    api = apigw.create_rest_api(
        name=name,
        description="Reference newspaper API protected by Amazon Cognito (cognito_jwt example)",
        endpointConfiguration={"types": ["REGIONAL"]},
        tags={TAG_KEY: TAG_VALUE},
    )
    return api["id"], True


def _ensure_news_resource(apigw: APIGatewayClient, api_id: str) -> tuple[str, bool]:
    resources = [
        item
        for page in apigw.get_paginator("get_resources").paginate(restApiId=api_id)
        for item in page.get("items", [])
    ]
    by_path = {item.get("path"): item["id"] for item in resources}
    if "/news" in by_path:
        return by_path["/news"], False
    created = apigw.create_resource(restApiId=api_id, parentId=by_path["/"], pathPart="news")
    return created["id"], True


def _ensure_authorizer(
    apigw: APIGatewayClient, api_id: str, name: str, pool_arn: str
) -> tuple[str, bool]:
    for authorizer in apigw.get_authorizers(restApiId=api_id).get("items", []):
        if authorizer.get("name") != name:
            continue
        if (
            authorizer.get("type") != "COGNITO_USER_POOLS"
            or authorizer.get("providerARNs") != [pool_arn]
            or authorizer.get("identitySource") != TOKEN_SOURCE
        ):
            raise DeployError(
                f"authorizer {name!r} exists with other settings (another user pool?); "
                "run with --teardown, then deploy again"
            )
        return authorizer["id"], False
    created = apigw.create_authorizer(
        restApiId=api_id,
        name=name,
        type="COGNITO_USER_POOLS",
        providerARNs=[pool_arn],
        identitySource=TOKEN_SOURCE,
    )
    return created["id"], True


class _MethodKey(TypedDict):
    restApiId: str
    resourceId: str
    httpMethod: str


def _method_ok(
    method: MethodResponseExtraTypeDef | None,
    authorization: str,
    authorizer_id: str | None,
    body: str,
) -> bool:
    if method is None:
        return False
    integration = method.get("methodIntegration", {})
    templates = integration.get("integrationResponses", {}).get("200", {})
    return (
        method.get("authorizationType") == authorization
        and method.get("authorizerId") == authorizer_id
        and "200" in method.get("methodResponses", {})
        and integration.get("type") == "MOCK"
        and templates.get("responseTemplates", {}).get("application/json") == body
    )


def _ensure_method(
    apigw: APIGatewayClient,
    api_id: str,
    resource_id: str,
    http_method: str,
    *,
    body: str,
    authorizer_id: str | None = None,
) -> bool:
    """Make ``http_method`` exactly what the tutorial wants; True if anything changed.

    API Gateway has no in-place edit for a method's authorization in every
    emulator, so a wrong method is deleted and recreated.  That is safe: the
    live stage keeps serving its last *deployment* until the next one.
    """
    authorization = "COGNITO_USER_POOLS" if authorizer_id else "NONE"
    key = _MethodKey(restApiId=api_id, resourceId=resource_id, httpMethod=http_method)
    try:
        current: MethodResponseExtraTypeDef | None = apigw.get_method(**key)
    except apigw.exceptions.NotFoundException:
        current = None
    if _method_ok(current, authorization, authorizer_id, body):
        return False
    if current is not None:
        apigw.delete_method(**key)
    if authorizer_id:
        apigw.put_method(**key, authorizationType=authorization, authorizerId=authorizer_id)
    else:
        apigw.put_method(**key, authorizationType=authorization)
    apigw.put_method_response(**key, statusCode="200", responseModels={"application/json": "Empty"})
    apigw.put_integration(**key, type="MOCK", requestTemplates=_MOCK_REQUEST)
    apigw.put_integration_response(
        **key, statusCode="200", responseTemplates={"application/json": body}
    )
    return True


def _stage_exists(apigw: APIGatewayClient, api_id: str, stage: str) -> bool:
    try:
        apigw.get_stage(restApiId=api_id, stageName=stage)
    except apigw.exceptions.NotFoundException:
        return False
    return True


def _invoke_url(api_id: str, issuer: str, stage: str) -> str:
    """The stage's URL, in the pool's region and partition (its DNS suffix is the issuer's)."""
    host = issuer.removeprefix("https://").split("/", 1)[0]  # cognito-idp.<region>.<suffix>
    region_and_suffix = host.removeprefix("cognito-idp.")
    return f"https://{api_id}.execute-api.{region_and_suffix}/{stage}"


# ------------------------------------------------------------------ commands


def deploy(clients: Clients, name: str = DEFAULT_NAME, stage: str = STAGE) -> Deployment:
    """Create or converge every resource, deploy ``stage`` if anything changed."""
    cognito, apigw = clients.cognito, clients.apigateway
    pool_id, changed = _ensure_user_pool(cognito, name)
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    pool_arn = pool["Arn"]
    changed |= _ensure_group(cognito, pool_id)
    client_id, client_changed = _ensure_app_client(cognito, pool_id, f"{name}-client")
    changed |= client_changed

    api_id, api_changed = _ensure_rest_api(apigw, name)
    resource_id, resource_changed = _ensure_news_resource(apigw, api_id)
    authorizer_id, authorizer_changed = _ensure_authorizer(
        apigw, api_id, f"{name}-cognito", pool_arn
    )
    api_changed |= resource_changed | authorizer_changed
    api_changed |= _ensure_method(apigw, api_id, resource_id, "GET", body=NEWS_RESPONSE)
    api_changed |= _ensure_method(
        apigw, api_id, resource_id, "DELETE", body=DELETE_RESPONSE, authorizer_id=authorizer_id
    )
    if api_changed or not _stage_exists(apigw, api_id, stage):
        apigw.create_deployment(
            restApiId=api_id,
            stageName=stage,
            description="cognito_jwt reference API: GET public, DELETE needs a Cognito ID token",
        )
        api_changed = True

    # cognito_jwt's partition table: amazonaws.com, .com.cn (cn-), .eu (eusc-).
    issuer = cognito_issuers(pool_id)[0]
    if clients.endpoint_url:  # an emulator serves the keys itself (moto's layout)
        jwks_uri = f"{clients.endpoint_url.rstrip('/')}/{pool_id}/.well-known/jwks.json"
    else:
        jwks_uri = f"{issuer}/.well-known/jwks.json"
    invoke_url = _invoke_url(api_id, issuer, stage)
    return Deployment(
        region=clients.region,
        account_id=pool_arn.split(":")[4],
        api_id=api_id,
        stage=stage,
        invoke_url=invoke_url,
        news_url=f"{invoke_url}/news",
        user_pool_id=pool_id,
        user_pool_arn=pool_arn,
        client_id=client_id,
        authorizer_id=authorizer_id,
        issuer=issuer,
        jwks_uri=jwks_uri,
        changed=changed or api_changed,
    )


def teardown(clients: Clients, name: str = DEFAULT_NAME) -> list[str]:
    """Delete the REST API and the user pool this script made; return what went."""
    removed: list[str] = []
    api_id = _find_rest_api(clients.apigateway, name)
    if api_id:
        clients.apigateway.delete_rest_api(restApiId=api_id)
        removed.append(f"REST API {api_id}")
    pool_id = _find_user_pool(clients.cognito, name)
    if pool_id:
        # Deleting the pool deletes its app clients, groups and users with it.
        clients.cognito.delete_user_pool(UserPoolId=pool_id)
        removed.append(f"user pool {pool_id}")
    return removed


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--name", default=DEFAULT_NAME, help="name of the API and the pool")
    parser.add_argument("--stage", default=STAGE, help="stage to deploy (default: api)")
    parser.add_argument("--region", help="AWS region (default: from the environment)")
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="AWS endpoint, e.g. a local moto server (default: $AWS_ENDPOINT_URL)",
    )
    parser.add_argument("--teardown", action="store_true", help="delete everything it made")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        clients = make_clients(args.region, args.endpoint_url)
        if args.teardown:
            removed = teardown(clients, args.name)
            if args.json:
                print(json.dumps({"removed": removed}))
            else:
                print("\n".join(f"deleted {item}" for item in removed) or "nothing to delete")
            return 0
        result = deploy(clients, args.name, args.stage)
    except DeployError as error:
        print(f"deploy.py: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    else:
        print(f"invoke URL:     {result.invoke_url}")
        print(f"news endpoint:  {result.news_url}")
        print(f"user pool id:   {result.user_pool_id}")
        print(f"app client id:  {result.client_id}")
        print("changed:        " + ("yes" if result.changed else "no (already up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
