"""The reference API examples: deploy.py against moto, sign_in.py, the template, the demo.

Everything runs against the session's moto server on 127.0.0.1 (see
conftest.py) with dummy credentials; each test deploys under its own name so
tests never see each other's resources.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import deploy
import pytest
import sign_in
import smoke
from local_gateway import LocalGateway, Route
from moto_server import dummy_aws_environment

from cognito_jwt import CognitoJwtVerifier, cognito_issuers
from cognito_jwt.authorizer import allow_policy, deny_policy, make_handler, policy_allows
from cognito_jwt.testing import FakeCognitoPool

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "reference_api"
PASSWORD = "Corr3ct-Horse-Battery!"

pytestmark = pytest.mark.moto


def run_script(
    script: str, *args: str, env: Mapping[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run one of the example scripts the way a user would."""
    return subprocess.run(
        [sys.executable, str(EXAMPLE / script), *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def aws_env(moto_server: Any) -> Iterator[dict[str, str]]:
    """Dummy credentials and the moto endpoint, for this process and its children."""
    with dummy_aws_environment(moto_server.url):
        yield dict(os.environ)


@pytest.fixture(scope="module")
def clients(aws_env: dict[str, str]) -> deploy.Clients:
    return deploy.make_clients()


@pytest.fixture(scope="module")
def deployed(aws_env: dict[str, str], clients: deploy.Clients) -> Iterator[dict[str, Any]]:
    """The stack deployed once by the command-line script (``--json``)."""
    result = run_script("deploy.py", "--name", "news-tests", "--json", env=aws_env)
    assert result.returncode == 0, result.stderr
    yield json.loads(result.stdout)
    deploy.teardown(clients, "news-tests")


# ------------------------------------------------------------------ helpers


def _pools_named(clients: deploy.Clients, name: str) -> list[str]:
    pools = clients.cognito.list_user_pools(MaxResults=60)["UserPools"]
    return [p["Id"] for p in pools if p.get("Name") == name]


def _apis_named(clients: deploy.Clients, name: str) -> list[str]:
    return [a["id"] for a in clients.apigateway.get_rest_apis()["items"] if a.get("name") == name]


def _news_resource(clients: deploy.Clients, api_id: str) -> str:
    items = clients.apigateway.get_resources(restApiId=api_id)["items"]
    return next(item["id"] for item in items if item.get("path") == "/news")


def _counts(clients: deploy.Clients, name: str) -> dict[str, int]:
    """How many of each resource exist for deployment ``name``."""
    (pool_id,) = _pools_named(clients, name)
    (api_id,) = _apis_named(clients, name)
    apigw, cognito = clients.apigateway, clients.cognito
    return {
        "pools": len(_pools_named(clients, name)),
        "apis": len(_apis_named(clients, name)),
        "clients": len(cognito.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"]),
        "groups": len(cognito.list_groups(UserPoolId=pool_id)["Groups"]),
        "resources": len(apigw.get_resources(restApiId=api_id)["items"]),
        "authorizers": len(apigw.get_authorizers(restApiId=api_id)["items"]),
        "deployments": len(apigw.get_deployments(restApiId=api_id)["items"]),
        "stages": len(apigw.get_stages(restApiId=api_id)["item"]),
    }


# ---------------------------------------------------------------- deploy.py


def test_deploy_creates_the_user_pool_group_and_client(
    deployed: dict[str, Any], clients: deploy.Clients
) -> None:
    cognito = clients.cognito
    pool = cognito.describe_user_pool(UserPoolId=deployed["user_pool_id"])["UserPool"]
    assert pool["Name"] == "news-tests"
    assert pool["Arn"] == deployed["user_pool_arn"]
    assert pool.get("UserPoolTags") == {deploy.TAG_KEY: deploy.TAG_VALUE}
    assert cognito.get_group(GroupName="admin", UserPoolId=pool["Id"])["Group"]["GroupName"] == (
        "admin"
    )

    (client_summary,) = cognito.list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"]
    assert client_summary["ClientId"] == deployed["client_id"]
    client = cognito.describe_user_pool_client(
        UserPoolId=pool["Id"], ClientId=deployed["client_id"]
    )["UserPoolClient"]
    assert client["ClientName"] == "news-tests-client"
    assert "ClientSecret" not in client
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
    ]
    assert client["CallbackURLs"] == ["http://localhost"]
    assert client["AllowedOAuthFlows"] == ["implicit"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "phone", "profile"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert pool["UserAttributeUpdateSettings"] == {
        "AttributesRequireVerificationBeforeUpdate": ["email"]
    }


def test_template_hardens_the_pool_like_deploy_does() -> None:
    """No user-existence oracle; a changed email is not used before it is verified."""
    template = (EXAMPLE / "template.yaml").read_text(encoding="utf-8")
    assert "PreventUserExistenceErrors: ENABLED" in template
    assert re.search(
        r"UserAttributeUpdateSettings:\s+AttributesRequireVerificationBeforeUpdate:\s+- email",
        template,
    )


def test_deploy_creates_the_api_authorizer_methods_and_stage(
    deployed: dict[str, Any], clients: deploy.Clients
) -> None:
    apigw = clients.apigateway
    api_id = deployed["api_id"]
    assert _apis_named(clients, "news-tests") == [api_id]
    paths = sorted(item["path"] for item in apigw.get_resources(restApiId=api_id)["items"])
    assert paths == ["/", "/news"]

    (authorizer,) = apigw.get_authorizers(restApiId=api_id)["items"]
    assert authorizer["id"] == deployed["authorizer_id"]
    assert authorizer["type"] == "COGNITO_USER_POOLS"
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    assert authorizer["providerARNs"] == [deployed["user_pool_arn"]]

    resource_id = _news_resource(clients, api_id)
    get = apigw.get_method(restApiId=api_id, resourceId=resource_id, httpMethod="GET")
    delete = apigw.get_method(restApiId=api_id, resourceId=resource_id, httpMethod="DELETE")
    assert get["authorizationType"] == "NONE"
    assert get.get("authorizerId") is None
    assert delete["authorizationType"] == "COGNITO_USER_POOLS"
    assert delete["authorizerId"] == authorizer["id"]
    for method, body in ((get, deploy.NEWS_RESPONSE), (delete, deploy.DELETE_RESPONSE)):
        integration = method["methodIntegration"]
        assert integration["type"] == "MOCK"
        templates = integration["integrationResponses"]["200"]["responseTemplates"]
        assert templates == {"application/json": body}

    stage = apigw.get_stage(restApiId=api_id, stageName="api")
    deployments = apigw.get_deployments(restApiId=api_id)["items"]
    assert stage["deploymentId"] in [d["id"] for d in deployments]
    assert len(deployments) == 1  # deployed once, after DELETE was already protected

    assert deployed["invoke_url"] == f"https://{api_id}.execute-api.us-east-1.amazonaws.com/api"
    assert deployed["news_url"] == deployed["invoke_url"] + "/news"
    assert deployed["account_id"] == "123456789012"
    assert deployed["changed"] is True


def test_deployed_pool_issues_tokens_the_library_verifies(
    deployed: dict[str, Any], clients: deploy.Clients
) -> None:
    cognito, client_id = clients.cognito, deployed["client_id"]
    assert sign_in.sign_up(cognito, client_id, "verify-me", PASSWORD, "v@example.com")
    assert not sign_in.sign_up(cognito, client_id, "verify-me", PASSWORD, "v@example.com")
    sign_in.confirm(cognito, client_id, "verify-me", user_pool_id=deployed["user_pool_id"])
    tokens = sign_in.sign_in(cognito, client_id, "verify-me", PASSWORD)
    verifier = CognitoJwtVerifier(
        user_pool_id=deployed["user_pool_id"],
        token_use="id",
        client_id=client_id,
        jwks_uri=deployed["jwks_uri"],
        allow_http=True,
    )
    claims = verifier.verify(tokens.id_token)
    assert claims["iss"] == deployed["issuer"]
    assert claims["cognito:username"] == "verify-me"
    with pytest.raises(ValueError, match="confirmation code"):
        sign_in.confirm(cognito, client_id, "verify-me")


def test_deploy_is_idempotent(
    deployed: dict[str, Any], clients: deploy.Clients, aws_env: dict[str, str]
) -> None:
    before = _counts(clients, "news-tests")
    again = run_script("deploy.py", "--name", "news-tests", "--json", env=aws_env)
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second == {**deployed, "changed": False}
    assert _counts(clients, "news-tests") == before
    assert before == {
        "pools": 1,
        "apis": 1,
        "clients": 1,
        "groups": 1,
        "resources": 2,
        "authorizers": 1,
        "deployments": 1,
        "stages": 1,
    }


def test_deploy_repairs_drift(clients: deploy.Clients) -> None:
    name = "news-tests-drift"
    first = deploy.deploy(clients, name)
    try:
        apigw = clients.apigateway
        resource_id = _news_resource(clients, first.api_id)
        # Someone "simplifies" the API by hand: DELETE loses its authorizer.
        apigw.delete_method(restApiId=first.api_id, resourceId=resource_id, httpMethod="DELETE")
        apigw.put_method(
            restApiId=first.api_id,
            resourceId=resource_id,
            httpMethod="DELETE",
            authorizationType="NONE",
        )
        second = deploy.deploy(clients, name)
        assert second.changed
        assert (second.api_id, second.user_pool_id) == (first.api_id, first.user_pool_id)
        delete = apigw.get_method(
            restApiId=first.api_id, resourceId=resource_id, httpMethod="DELETE"
        )
        assert delete["authorizationType"] == "COGNITO_USER_POOLS"
        assert delete["authorizerId"] == first.authorizer_id
        assert delete["methodIntegration"]["type"] == "MOCK"
        assert _counts(clients, name)["deployments"] == 2  # the fix went live
        assert not deploy.deploy(clients, name).changed
    finally:
        deploy.teardown(clients, name)


def test_teardown_removes_everything_and_only_that(
    clients: deploy.Clients, aws_env: dict[str, str]
) -> None:
    name = "news-tests-teardown"
    other_pools = clients.cognito.list_user_pools(MaxResults=60)["UserPools"]
    other_apis = clients.apigateway.get_rest_apis()["items"]
    created = run_script("deploy.py", "--name", name, env=aws_env)
    assert created.returncode == 0, created.stderr
    assert re.search(r"^invoke URL: +https://\w+\.execute-api\.us-east-1\.", created.stdout, re.M)
    assert re.search(r"^user pool id: +us-east-1_\w+$", created.stdout, re.M)
    assert re.search(r"^app client id: +\w+$", created.stdout, re.M)

    removed = run_script("deploy.py", "--name", name, "--teardown", env=aws_env)
    assert removed.returncode == 0, removed.stderr
    assert re.search(r"^deleted REST API \w+$", removed.stdout, re.M)
    assert re.search(r"^deleted user pool us-east-1_\w+$", removed.stdout, re.M)
    assert _pools_named(clients, name) == []
    assert _apis_named(clients, name) == []
    # Nothing else was touched (other tests' pools and APIs are still there).
    pools_after = clients.cognito.list_user_pools(MaxResults=60)["UserPools"]
    assert {p["Id"] for p in other_pools} <= {p["Id"] for p in pools_after}
    apis_after = clients.apigateway.get_rest_apis()["items"]
    assert {a["id"] for a in other_apis} <= {a["id"] for a in apis_after}

    again = run_script("deploy.py", "--name", name, "--teardown", "--json", env=aws_env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"removed": []}


def test_deploy_refuses_resources_it_did_not_make(
    clients: deploy.Clients, aws_env: dict[str, str]
) -> None:
    name = "news-tests-foreign"
    api_id = clients.apigateway.create_rest_api(name=name)["id"]
    try:
        for args in ((), ("--teardown",)):
            result = run_script("deploy.py", "--name", name, *args, env=aws_env)
            assert result.returncode == 1
            assert "not made by this script" in result.stderr
        assert _apis_named(clients, name) == [api_id]
    finally:
        clients.apigateway.delete_rest_api(restApiId=api_id)
        deploy.teardown(clients, name)


def test_deploy_honours_endpoint_url_option(moto_server: Any) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_")
    }  # no endpoint in the environment: only the option points at moto
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    env.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    args = ("--name", "news-tests-endpoint", "--region", "eu-west-1", "--json")
    result = run_script("deploy.py", *args, "--endpoint-url", moto_server.url, env=env)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["region"] == "eu-west-1"
    assert output["jwks_uri"].startswith(moto_server.url + "/eu-west-1_")
    teardown = run_script(
        "deploy.py", *args, "--teardown", "--endpoint-url", moto_server.url, env=env
    )
    assert teardown.returncode == 0, teardown.stderr
    assert len(json.loads(teardown.stdout)["removed"]) == 2


# --------------------------------------------------------------- sign_in.py


def _cognito_gateway(deployed: Mapping[str, Any]) -> LocalGateway:
    verifier = CognitoJwtVerifier(
        user_pool_id=deployed["user_pool_id"],
        token_use="id",
        client_id=deployed["client_id"],
        jwks_uri=deployed["jwks_uri"],
        allow_http=True,
    )
    return LocalGateway(
        mode="cognito",
        arn_prefix=f"arn:aws:execute-api:us-east-1:123456789012:{deployed['api_id']}",
        stage="api",
        routes=[
            Route("GET", "/news", protected=False, body=deploy.NEWS_RESPONSE),
            Route("DELETE", "/news", protected=True, body=deploy.DELETE_RESPONSE),
        ],
        verifier=verifier,
    )


@pytest.mark.parametrize(
    "confirm_args",
    [("--code", "000000"), ("--admin-confirm", "--user-pool-id", "{pool}")],
    ids=["code", "admin-confirm"],
)
def test_sign_in_script(
    deployed: dict[str, Any], aws_env: dict[str, str], confirm_args: tuple[str, ...]
) -> None:
    username = f"cli-{confirm_args[0].strip('-')}"
    confirm = [a.format(pool=deployed["user_pool_id"]) for a in confirm_args]
    with _cognito_gateway(deployed) as gateway:
        common = ["--client-id", deployed["client_id"], "--username", username]
        common += ["--password", PASSWORD, "--api-url", gateway.url]
        first = run_script("sign_in.py", *common, *confirm, env=aws_env)
        assert first.returncode == 0, first.stderr
        assert f"sign-up: created {username}" in first.stdout
        assert "confirm-sign-up: confirmed" in first.stdout
        tokens, _ = json.JSONDecoder().raw_decode(first.stdout, first.stdout.index("{"))
        assert set(tokens) == {"IdToken", "AccessToken"}
        lines = [line.split() for line in first.stdout.splitlines() if "/news" in line]
        statuses = [(words[0], words[words.index("->") + 1]) for words in lines]
        assert statuses == [("GET", "200"), ("DELETE", "401"), ("DELETE", "200")]

        second = run_script("sign_in.py", *common, env=aws_env)  # already exists: signs in
        assert second.returncode == 0, second.stderr
        assert "already exists" in second.stdout


def test_sign_in_script_admin_confirm_needs_pool(aws_env: dict[str, str]) -> None:
    args = ["--client-id", "x", "--username", "u", "--password", "p", "--admin-confirm"]
    result = run_script("sign_in.py", *args, env=aws_env)
    assert result.returncode == 2
    assert "--user-pool-id" in result.stderr


# ------------------------------------------------------------ local gateway


def _gateway(authorizer: Callable[[dict[str, Any], Any], Mapping[str, Any]]) -> LocalGateway:
    return LocalGateway(
        mode="lambda",
        arn_prefix="arn:aws:execute-api:us-east-1:123456789012:abc123",
        stage="api",
        routes=[Route("DELETE", "/news", protected=True, body="{}")],
        authorizer=authorizer,
    )


def _raise(error: Exception) -> Callable[[dict[str, Any], Any], Mapping[str, Any]]:
    def authorizer(event: dict[str, Any], context: Any) -> Mapping[str, Any]:
        raise error

    return authorizer


def _answer(response: Mapping[str, Any]) -> Callable[[dict[str, Any], Any], Mapping[str, Any]]:
    return lambda event, context: response


ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/api/DELETE/news"


@pytest.mark.parametrize(
    ("authorizer", "status"),
    [
        (_raise(Exception("Unauthorized")), 401),
        (_raise(RuntimeError("boom")), 500),
        (_raise(Exception("unauthorized")), 500),  # the match is exact
        (_answer({"principalId": 1}), 500),
        (_answer({"principalId": "u", "policyDocument": {"Statement": "x"}}), 500),
        (_answer(deny_policy("u", ARN)), 403),
        (_answer({"principalId": "u", "policyDocument": {"Statement": []}}), 403),
        (_answer(allow_policy("u", ARN)), 200),
        (_answer(allow_policy("u", ARN.replace("abc123", "other"))), 403),
    ],
)
def test_local_gateway_enforces_lambda_answers(
    authorizer: Callable[[dict[str, Any], Any], Mapping[str, Any]], status: int
) -> None:
    assert _gateway(authorizer).handle("DELETE", "/api/news", {"Authorization": "t"}).status == (
        status
    )


def test_local_gateway_checks_identity_source_and_routes_first() -> None:
    calls: list[dict[str, Any]] = []

    def authorizer(event: dict[str, Any], context: Any) -> Mapping[str, Any]:
        calls.append(event)
        return allow_policy("u", event["methodArn"])

    gateway = _gateway(authorizer)
    assert gateway.handle("DELETE", "/api/news", {}).status == 401
    assert gateway.handle("DELETE", "/api/news", {"authorization": " "}).status == 401
    assert gateway.handle("GET", "/api/news", {"Authorization": "t"}).status == 403
    assert gateway.handle("DELETE", "/other/news", {"Authorization": "t"}).status == 403
    assert calls == []
    assert gateway.handle("DELETE", "/api/news?x=1", {"Authorization": "t"}).status == 200
    assert calls == [{"type": "TOKEN", "authorizationToken": "t", "methodArn": ARN}]


def test_local_gateway_request_events(pool: FakeCognitoPool) -> None:
    calls: list[dict[str, Any]] = []

    def authorizer(event: dict[str, Any], context: Any) -> Mapping[str, Any]:
        calls.append(event)
        return allow_policy("u", event["methodArn"])

    gateway = LocalGateway(
        mode="lambda",
        arn_prefix="arn:aws:execute-api:us-east-1:123456789012:abc123",
        stage="api",
        routes=[Route("DELETE", "/news", protected=True, body="{}")],
        authorizer=authorizer,
        authorizer_type="REQUEST",
    )
    assert gateway.handle("DELETE", "/api/news", {"Authorization": "t"}).status == 200
    (event,) = calls
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == ARN
    assert event["headers"] == {"Authorization": "t"}
    assert event["requestContext"]["apiId"] == "abc123"
    assert event["requestContext"]["accountId"] == "123456789012"

    cognito = LocalGateway(
        mode="cognito",
        arn_prefix="arn:aws:execute-api:us-east-1:123456789012:abc123",
        stage="api",
        routes=[Route("DELETE", "/news", protected=True, body="{}")],
        verifier=pool.verifier("id", groups=["admin"]),
    )
    assert cognito.handle("DELETE", "/api/news", {"Authorization": pool.id_token()}).status == 403
    admin = pool.id_token(groups=["admin"])
    assert cognito.handle("DELETE", "/api/news", {"Authorization": admin}).status == 200
    with pytest.raises(ValueError, match="verifier"):
        LocalGateway(mode="cognito", arn_prefix="a", stage="s", routes=[])
    with pytest.raises(ValueError, match="authorizer"):
        LocalGateway(mode="lambda", arn_prefix="a", stage="s", routes=[])


# ------------------------------------------------------- example authorizer


def _load_example_authorizer(env: Mapping[str, str]) -> ModuleType:
    """Import authorizer.py afresh, as a Lambda cold start would."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        spec = importlib.util.spec_from_file_location(
            "reference_api_authorizer_under_test", EXAMPLE / "authorizer.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_example_authorizer_hydrates_at_init_and_enforces_admin(pool: FakeCognitoPool) -> None:
    with pool.serve_jwks() as jwks:
        module = _load_example_authorizer(
            {"USER_POOL_ID": pool.user_pool_id, "CLIENT_ID": pool.client_id, "JWKS_URI": jwks.url}
        )
        assert jwks.request_count == 1  # fetched during "init", before any request
        handler = module.handler
        event = {"type": "TOKEN", "methodArn": ARN}
        reader = handler({**event, "authorizationToken": pool.id_token()}, None)
        admin = handler({**event, "authorizationToken": pool.id_token(groups=["admin"])}, None)
        assert jwks.request_count == 1
    assert not policy_allows(reader, ARN)
    assert policy_allows(reader, ARN.replace("/DELETE/", "/GET/"))
    assert policy_allows(admin, ARN)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CLIENT_ID": "c"}, "USER_POOL_ID"),
        ({"USER_POOL_ID": "us-east-1_X"}, "CLIENT_ID"),
        (
            {
                "USER_POOL_ID": "us-east-1_X",
                "CLIENT_ID": "c",
                "JWKS_URI": "https://example.com/jwks.json",
            },
            "local emulators only",
        ),
    ],
)
def test_example_authorizer_configuration_errors(env: dict[str, str], message: str) -> None:
    cleared = {"USER_POOL_ID": "", "CLIENT_ID": "", "JWKS_URI": ""} | env
    with pytest.raises(RuntimeError, match=message):
        _load_example_authorizer(cleared)


# ------------------------------------------------------------------ template


def _cfn_lint_command() -> list[str]:
    script = Path(sys.executable).with_name("cfn-lint")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]


def test_template_passes_cfn_lint() -> None:
    pytest.importorskip("cfnlint")
    result = subprocess.run(
        [*_cfn_lint_command(), str(EXAMPLE / "template.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _template() -> dict[str, Any]:
    """template.yaml as data (cfn-lint's loader understands the ``!Ref`` short forms)."""
    pytest.importorskip("cfnlint")
    code = (
        "import json, sys; from cfnlint.decode import decode; "
        "t, m = decode(sys.argv[1]); assert not m, m; print(json.dumps(t))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLE / "template.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    template: dict[str, Any] = json.loads(result.stdout)
    return template


def test_template_matches_the_tutorial_and_the_script() -> None:
    resources = _template()["Resources"]
    client = resources["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["ExplicitAuthFlows"] == deploy.AUTH_FLOWS
    assert client["AllowedOAuthFlows"] == deploy.OAUTH_FLOWS
    assert client["AllowedOAuthScopes"] == deploy.OAUTH_SCOPES
    assert resources["AdminGroup"]["Properties"]["GroupName"] == {"Ref": "AdminGroupName"}

    cognito_authorizer = resources["CognitoAuthorizer"]["Properties"]
    assert cognito_authorizer["Type"] == "COGNITO_USER_POOLS"
    assert cognito_authorizer["IdentitySource"] == deploy.TOKEN_SOURCE
    assert cognito_authorizer["ProviderARNs"] == [{"Fn::GetAtt": ["UserPool", "Arn"]}]
    for get, delete in (("NewsGet", "NewsDelete"), ("GroupsNewsGet", "GroupsNewsDelete")):
        get_props = resources[get]["Properties"]
        delete_props = resources[delete]["Properties"]
        assert get_props["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in get_props
        for props, body in (
            (get_props, deploy.NEWS_RESPONSE),
            (delete_props, deploy.DELETE_RESPONSE),
        ):
            assert props["Integration"]["Type"] == "MOCK"
            templates = props["Integration"]["IntegrationResponses"][0]["ResponseTemplates"]
            assert templates == {"application/json": body}
    assert resources["NewsDelete"]["Properties"]["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert resources["NewsDelete"]["Properties"]["AuthorizerId"] == {"Ref": "CognitoAuthorizer"}

    # The second variant: DELETE behind the cognito_jwt Lambda authorizer.
    groups_delete = resources["GroupsNewsDelete"]["Properties"]
    assert groups_delete["AuthorizationType"] == "CUSTOM"
    assert groups_delete["AuthorizerId"] == {"Ref": "GroupsAuthorizer"}
    lambda_authorizer = resources["GroupsAuthorizer"]["Properties"]
    assert lambda_authorizer["Type"] == "TOKEN"
    assert lambda_authorizer["IdentitySource"] == deploy.TOKEN_SOURCE
    assert "${AuthorizerFunction.Arn}" in lambda_authorizer["AuthorizerUri"]["Fn::Sub"]
    function = resources["AuthorizerFunction"]
    assert function["Type"] == "AWS::Serverless::Function"
    assert function["Properties"]["Handler"] == "authorizer.handler"
    assert set(function["Properties"]["Environment"]["Variables"]) == {
        "USER_POOL_ID",
        "CLIENT_ID",
        "ADMIN_GROUP",
    }
    assert resources["GroupsAuthorizerPermission"]["Properties"]["Principal"] == (
        "apigateway.amazonaws.com"
    )
    for stage in ("NewsStage", "GroupsNewsStage"):
        assert resources[stage]["Properties"]["StageName"] == "api"
    assert (EXAMPLE / "requirements.txt").read_text().strip().endswith("cognito-jwt")


# ---------------------------------------------------------------------- demo

EXPECTED_TABLE = [
    ("Cognito", "GET /news", "no token", 200),
    ("Cognito", "DELETE /news", "no token", 401),
    ("Cognito", "DELETE /news", "reader's ID token, forged admin group", 401),
    ("Cognito", "DELETE /news", "reader's access token (ID token required)", 401),
    ("Cognito", "DELETE /news", "reader's ID token (not in admin)", 200),
    ("Cognito", "DELETE /news", "editor's ID token (in admin)", 200),
    ("Lambda", "GET /news", "no token", 200),
    ("Lambda", "DELETE /news", "no token", 401),
    ("Lambda", "DELETE /news", "reader's ID token, forged admin group", 401),
    ("Lambda", "DELETE /news", "reader's access token (ID token required)", 401),
    ("Lambda", "DELETE /news", "reader's ID token (not in admin)", 403),
    ("Lambda", "DELETE /news", "editor's ID token (in admin)", 200),
    ("Cognito", "DELETE /news", "reader's ID token, after GlobalSignOut", 200),
    ("Cognito (revocation)", "DELETE /news", "reader's ID token, after GlobalSignOut", 401),
    ("Lambda", "DELETE /news", "editor's ID token, after GlobalSignOut", 200),
    ("Lambda (revocation)", "DELETE /news", "editor's ID token, after GlobalSignOut", 401),
]


@pytest.mark.slow
@pytest.mark.parametrize("event_type", ["TOKEN", "REQUEST"])
def test_demo_prints_the_expected_table(event_type: str) -> None:
    # The demo brings its own moto and dummy credentials; give it a clean slate.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "demo.py"), "--event-type", event_type],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard, not a performance claim
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [
        tuple(re.split(r"\s{2,}", line.strip()))
        for line in result.stdout.splitlines()
        if line.startswith(("Cognito ", "Lambda "))
    ]
    table = [(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5]) for r in rows]
    assert [(a, b, c, d) for a, b, c, d, _, _ in table] == EXPECTED_TABLE
    assert all(got == expected and ok == "ok" for _, _, _, expected, got, ok in table)
    assert "16/16 requests got the expected status" in result.stdout
    revoked = [r for r in table if r[0].endswith("(revocation)")]
    assert [r[5] for r in revoked] == ["ok", "ok"]
    assert result.stdout.count("token_revoked") == 2
    assert "smoke.py against both gateways: 40/40 calls as expected" in result.stdout
    assert "checks authentication only, so the reader's DELETE gets 200" in result.stdout
    assert f"Lambda authorizer, {event_type} events" in result.stdout
    assert "torn down: REST API" in result.stdout
    assert re.search(
        r"moto \(local AWS emulator\) listening on http://127\.0\.0\.1:\d+", result.stdout
    )


# ---------------------------------------------------------------- smoke test


def _smoke_gateways(
    pool: FakeCognitoPool, authorizer: Callable[[dict[str, Any], Any], Mapping[str, Any]]
) -> tuple[LocalGateway, LocalGateway]:
    routes = [
        Route("GET", "/news", protected=False, body="[]"),
        Route("DELETE", "/news", protected=True, body="{}"),
    ]
    prefix = "arn:aws:execute-api:us-east-1:123456789012:abc123"
    cognito = LocalGateway(
        mode="cognito", arn_prefix=prefix, stage="api", routes=routes, verifier=pool.verifier("id")
    )
    custom = LocalGateway(
        mode="lambda", arn_prefix=prefix, stage="api", routes=routes, authorizer=authorizer
    )
    return cognito, custom


def test_smoke_passes_against_the_local_gateways(pool: FakeCognitoPool) -> None:
    handler = make_handler(pool.verifier("id"), rule={"DELETE": "admin"})
    cognito, custom = _smoke_gateways(pool, handler)
    with cognito, custom:
        checks = smoke.run_smoke(
            cognito.url, custom.url, pool.id_token(), pool.id_token(groups=["admin"])
        )
    assert len(checks) == 40
    assert [c for c in checks if not c.ok] == []
    assert {(c.variant, c.who, c.method, c.got) for c in checks if c.method == "DELETE"} == {
        ("Cognito", "anonymous", "DELETE", 401),
        ("Cognito", "reader", "DELETE", 200),
        ("Cognito", "admin", "DELETE", 200),
        ("Lambda", "anonymous", "DELETE", 401),
        ("Lambda", "reader", "DELETE", 403),
        ("Lambda", "admin", "DELETE", 200),
    }


def test_smoke_catches_an_answer_the_cache_reuses_wrongly(
    pool: FakeCognitoPool, capsys: pytest.CaptureFixture[str]
) -> None:
    """An authorizer that answers for one route only is caught by the second call."""
    verifier = pool.verifier("id")

    def route_only(event: dict[str, Any], context: Any) -> Mapping[str, Any]:
        claims = verifier.verify(event["authorizationToken"])
        if "admin" in claims.get("cognito:groups", []):
            return allow_policy("u", event["methodArn"])
        # Allows the whole stage on any route but DELETE: cached, it opens DELETE too.
        return allow_policy("u", event["methodArn"], scope="stage")

    cognito, custom = _smoke_gateways(pool, route_only)
    with cognito, custom:
        argv = [
            "--cognito-url", cognito.url, "--lambda-url", custom.url,
            "--reader-token", pool.id_token(), "--admin-token", pool.id_token(groups=["admin"]),
        ]  # fmt: skip
        assert smoke.main(argv) == 1
    assert (
        "Lambda   DELETE /news as reader    expected 403 got 200  UNEXPECTED"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("pool_id", "url"),
    [
        ("us-east-1_Ab1", "https://abc.execute-api.us-east-1.amazonaws.com/api"),
        ("cn-north-1_Ab1", "https://abc.execute-api.cn-north-1.amazonaws.com.cn/api"),
        ("eusc-de-east-1_Ab1", "https://abc.execute-api.eusc-de-east-1.amazonaws.eu/api"),
        ("us-gov-west-1_Ab1", "https://abc.execute-api.us-gov-west-1.amazonaws.com/api"),
    ],
)
def test_deploy_names_urls_in_the_pools_partition(pool_id: str, url: str) -> None:
    assert deploy._invoke_url("abc", cognito_issuers(pool_id)[0], "api") == url
