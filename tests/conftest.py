"""Shared fixtures: a loopback-only network guard, the pools, a JWKS endpoint on
127.0.0.1, and one moto emulator per session.  (The fixed `NOW` and its clocks
are in `fixed_time.py`; misbehaving endpoints in `hostile_servers.py`.)

The guard makes "no test reaches the internet" a property the suite enforces,
not a promise: any connect() to a non-loopback address fails the test.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hostile_servers import HostileServer, current_jwks
from revocation_stores import dynamodb, killable_redis, redis_server, runner, userinfo

from cognito_jwt import JwksCache
from cognito_jwt.testing import AlbKeyServer, FakeAlb, FakeCognitoPool

ROOT = Path(__file__).resolve().parent.parent

# No property test is timed: Hypothesis's default 200 ms deadline per example
# would be a timed assertion, failing on a loaded machine (RSA signing, thread
# start-up) while the behaviour under test holds.  Performance lives in benchmarks.
# (The docs and build sessions run a few tests without Hypothesis installed.)
try:
    from hypothesis import settings
except ImportError:  # pragma: no cover - only in those sessions
    pass
else:
    settings.register_profile("untimed", deadline=None)
    settings.load_profile("untimed")
sys.path.insert(0, str(ROOT / "examples" / "reference_api"))

#: The revocation stores' fixtures (a real redis-server, DynamoDB on moto), shared here.
__all__ = ["dynamodb", "killable_redis", "redis_server", "runner", "userinfo"]

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths and the like stay on this machine
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"tests may only connect to loopback, not {address!r}")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"tests may only connect to loopback, not {address!r}")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After a run that included the docs test: what of the docs' code runs, and what does not.

    Printed by the process that reports (with or without xdist, with or
    without ``-s``), from the pages themselves.
    """
    reports = [
        report
        for kind in terminalreporter.stats.values()
        for report in kind
        if "test_docs.py" in str(getattr(report, "nodeid", ""))
    ]
    if not reports:
        return
    from docs_blocks import PAGES, no_test_blocks, page_id

    ran = [
        value
        for report in reports
        if getattr(report, "when", "") == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "docs_blocks_run"
    ]
    skipped = no_test_blocks(PAGES)
    terminalreporter.write_sep(
        "-",
        f"docs: {len(ran)} pages passed, {sum(ran)} python blocks run in them, "
        f"{len(skipped)} no-test blocks",
    )
    for block in skipped:
        terminalreporter.write_line(
            f"no-test {page_id(block.path)}:{block.line}: {block.reason or 'NO REASON GIVEN'}"
        )


@pytest.fixture(scope="session")
def pool() -> FakeCognitoPool:
    """The default fake user pool (keys generated once per session)."""
    return FakeCognitoPool()


@pytest.fixture(scope="session")
def other_pool() -> FakeCognitoPool:
    """A second pool in the same region, with its own keys."""
    return FakeCognitoPool("us-east-1_OtherPool2", "otherclient0123456789abcde")


@pytest.fixture
def fresh_cache() -> JwksCache:
    """A private JWKS cache, so tests never share fetched keys."""
    return JwksCache()


@pytest.fixture
def jwks_server(pool: FakeCognitoPool) -> Iterator[HostileServer]:
    """`pool`'s JWKS, as it is at each request, on 127.0.0.1 (the module's own `pool`
    if it defines one); a test may swap its `behaviour` to misbehave."""
    with HostileServer(current_jwks(pool)) as server:
        yield server


@pytest.fixture(scope="module")
def alb() -> FakeAlb:
    """A fake Application Load Balancer (its own key pair per test module)."""
    return FakeAlb()


@pytest.fixture(scope="module")
def alb_key_server(alb: FakeAlb) -> Iterator[AlbKeyServer]:
    """`alb`'s public-key endpoint on 127.0.0.1, one key per kid, as ALB publishes them."""
    with alb.serve_keys() as serving:
        yield serving


@dataclass(frozen=True)
class MotoCognito:
    """A user pool, app client and signed-in user on the session's moto server."""

    endpoint_url: str
    region: str
    user_pool_id: str
    client_id: str
    other_client_id: str
    jwks_uri: str
    id_token: str
    access_token: str
    refresh_token: str
    other_client_id_token: str


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Any]:
    """One moto server on 127.0.0.1 for the whole session (start-up costs ~1-2 s)."""
    pytest.importorskip("moto")
    from moto_server import MotoServer

    with MotoServer() as server:
        yield server


@pytest.fixture(scope="session")
def moto_cognito(moto_server: Any) -> Iterator[MotoCognito]:
    """A pool with two secretless clients and one confirmed, signed-in user.

    Created once per session: each pool costs moto ~0.4 s.
    """
    boto3 = pytest.importorskip("boto3")
    from moto_server import dummy_aws_environment

    with dummy_aws_environment(moto_server.url):
        idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=moto_server.url)
        pool_id = idp.create_user_pool(PoolName="tests")["UserPool"]["Id"]
        flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="web", GenerateSecret=False, ExplicitAuthFlows=flows
        )["UserPoolClient"]["ClientId"]
        other_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="other", GenerateSecret=False, ExplicitAuthFlows=flows
        )["UserPoolClient"]["ClientId"]
        password = "Corr3ct-Horse-Battery!"
        idp.sign_up(
            ClientId=client_id,
            Username="reader",
            Password=password,
            UserAttributes=[{"Name": "email", "Value": "reader@example.com"}],
        )
        idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="reader")
        params = {"USERNAME": "reader", "PASSWORD": password}
        auth = idp.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
        )["AuthenticationResult"]
        other = idp.initiate_auth(
            ClientId=other_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
        )["AuthenticationResult"]
        yield MotoCognito(
            endpoint_url=moto_server.url,
            region="us-east-1",
            user_pool_id=pool_id,
            client_id=client_id,
            other_client_id=other_id,
            jwks_uri=moto_server.jwks_uri(pool_id),
            id_token=auth["IdToken"],
            access_token=auth["AccessToken"],
            refresh_token=auth["RefreshToken"],
            other_client_id_token=other["IdToken"],
        )
