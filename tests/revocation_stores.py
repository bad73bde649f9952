"""Real stores for the revocation tests, as fixtures conftest.py re-exports: a
`redis-server` the tests start on 127.0.0.1 (an ephemeral port), DynamoDB
tables on moto, and a loopback stand-in for a user pool's `/oauth2/userInfo`.

Without `redis-server` the Redis tests fail, with the command that installs
it: a store the suite claims to support is never silently untested.
"""

from __future__ import annotations

import asyncio
import http.server
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

REDIS_MISSING = (
    "redis-server not found on PATH: the Redis revocation store is tested against a real "
    "server. Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install "
    "redis); .ci/run installs it when missing."
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """A `redis-server` child process on 127.0.0.1, no persistence."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(REDIS_MISSING, pytrace=False)
        self._dir = tempfile.TemporaryDirectory(prefix="cognito-jwt-redis-")
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        for _ in range(5):  # a port taken between probe and bind: try another
            port = _free_port()
            process = subprocess.Popen(
                [
                    binary,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    self._dir.name,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._wait_ready(port, process):
                self.port, self.process = port, process
                return
            process.kill()
            process.wait()
        pytest.fail("redis-server did not start on 127.0.0.1", pytrace=False)

    @staticmethod
    def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                time.sleep(0.02)
        return False

    def client(self) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)

    def async_client(self) -> Any:
        import redis.asyncio

        return redis.asyncio.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._dir.cleanup()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One `redis-server` for the session (each test uses its own key prefix)."""
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def killable_redis() -> Iterator[RedisServer]:
    """A `redis-server` of the test's own, which the test may kill."""
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for the whole test: an asyncio Redis client stays on the loop it met first."""
    with asyncio.Runner() as loop_runner:
        yield loop_runner


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto-mocked DynamoDB client (in-process) with the documented table."""
    import boto3
    from moto import mock_aws

    # In process: never the session's moto server, whose endpoint its fixture exports.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client, "revocations")
        yield client


def create_table(client: Any, name: str) -> None:
    """The table docs/revocation.md documents: key `pk` (S), TTL on `expires_at`."""
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )


class FakeUserInfo:
    """`/oauth2/userInfo` on 127.0.0.1: 200 for active tokens, 401 for ended ones."""

    def __init__(self) -> None:
        self.ended: set[str] = set()
        self.status_for_all: int | None = None
        self.requests: list[tuple[str, str | None]] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                auth = self.headers.get("Authorization")
                fake.requests.append((self.path, auth))
                token = (auth or "").removeprefix("Bearer ")
                status = fake.status_for_all or (401 if token in fake.ended else 200)
                body = b'{"sub":"x"}' if status == 200 else b'{"error":"invalid_token"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def userinfo() -> Iterator[FakeUserInfo]:
    fake = FakeUserInfo()
    yield fake
    fake.close()
