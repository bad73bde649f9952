"""The README's settings per API type make `{"DELETE": "admin"}` work behind API Gateway's cache.

Each row is one of the README's snippets, run behind the gateway model with the
identity sources (cache keys) the README names: a reader gets `GET /news` and
not `DELETE /news`, in either order, and an admin gets both.
"""

from __future__ import annotations

from typing import Any

import pytest
from gateway_model import ApiModel, ModelRoute

from cognito_jwt.authorizer import make_handler
from cognito_jwt.testing import FakeCognitoPool

ROUTES = [ModelRoute("GET", "/news"), ModelRoute("DELETE", "/news"), ModelRoute("ANY", "/{proxy+}")]
#: (API kind, simple responses on, cache keyed by, make_handler options) per README snippet.
SNIPPETS: list[tuple[str, bool, str, dict[str, Any]]] = [
    ("rest-token", False, "per-token", {}),
    ("rest-request", False, "per-token", {}),
    ("http-v2", True, "per-route", {"response_format": "simple", "authorizer_cache": "per-route"}),
    ("http-v1", False, "per-token", {"response_format": "policy"}),
    ("http-v2", False, "per-token", {"response_format": "policy"}),
]


@pytest.mark.parametrize(("kind", "simple", "cache", "options"), SNIPPETS)
@pytest.mark.parametrize("first", ["GET", "DELETE"])
def test_the_readmes_settings_let_a_reader_read_and_not_delete(
    pool: FakeCognitoPool, kind: Any, simple: bool, cache: Any, options: dict[str, Any], first: str
) -> None:
    handler = make_handler(pool.verifier("id"), rule={"DELETE": "admin"}, **options)
    api = ApiModel(kind=kind, routes=ROUTES, handler=handler, cache=cache, simple_responses=simple)
    reader = pool.id_token(groups=["readers"])
    expected = {"GET": 200, "DELETE": 403}
    for method in (first, "DELETE" if first == "GET" else "GET", first):
        assert api.request(method, "/news", reader).status == expected[method], (method, kind)
    admin = pool.id_token(groups=["admin"])
    assert api.request("DELETE", "/news", admin).status == 200
    assert api.request("GET", "/news", admin).status == 200


def test_the_readmes_websocket_setting_admits_members_only(pool: FakeCognitoPool) -> None:
    handler = make_handler(
        pool.verifier("id"), rule={"$connect": "members"}, query_parameter="token"
    )
    api = ApiModel(kind="websocket", routes=[ModelRoute("$connect")], handler=handler)
    assert api.request("GET", "", pool.id_token(groups=["readers"])).status == 403
    assert api.request("GET", "", pool.id_token(groups=["members"])).status == 200


def test_the_defaults_on_simple_responses_deny_a_reader_everywhere(pool: FakeCognitoPool) -> None:
    """What the README warns of: the defaults on an HTTP API with simple responses."""
    handler = make_handler(pool.verifier("id"), rule={"DELETE": "admin"})
    api = ApiModel(kind="http-v2", routes=ROUTES, handler=handler, simple_responses=True)
    assert api.request("GET", "/news", pool.id_token(groups=["readers"])).status == 403
