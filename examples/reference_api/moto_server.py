"""Run moto (a local AWS emulator) on 127.0.0.1 for the demo and the tests.

Two things make a local emulator safe to point boto3 at:

* it listens on the loopback interface only, on an ephemeral port, so nothing
  outside this machine can reach it and two runs never collide;
* boto3 gets **dummy** credentials and an explicit endpoint
  (:func:`dummy_aws_environment`), so a mistake cannot send a request, signed
  with someone's real keys, to real AWS.

moto runs in a child process (``python -m moto.server``) rather than a thread:
its state then dies with the process, and a hung emulator can be killed
without taking the caller with it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from types import TracebackType
from typing import IO, Self

__all__ = ["DUMMY_REGION", "MotoServer", "dummy_aws_environment"]

DUMMY_REGION = "us-east-1"

#: Variables that could make boto3 pick up real credentials or another endpoint.
_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class MotoServer:
    """A ``moto.server`` child process on ``127.0.0.1:<ephemeral port>``.

    Use it as a context manager (or call :meth:`start` / :meth:`stop`)::

        with MotoServer() as moto, dummy_aws_environment(moto.url):
            boto3.client("cognito-idp").list_user_pools(MaxResults=10)
    """

    def __init__(self, *, startup_timeout: float = 20.0) -> None:
        self.startup_timeout = startup_timeout
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """The endpoint URL to give boto3 (``AWS_ENDPOINT_URL``)."""
        if not self.port:
            raise RuntimeError("moto server is not running")
        return f"http://127.0.0.1:{self.port}"

    def jwks_uri(self, user_pool_id: str) -> str:
        """Where moto serves a user pool's JWKS (real Cognito: under the issuer URL)."""
        return f"{self.url}/{user_pool_id}/.well-known/jwks.json"

    def start(self) -> Self:
        """Start the server and wait until it answers; retry once on a port race."""
        last_error = ""
        for _ in range(3):
            # The port is free when chosen and claimed a moment later by the
            # child; another process may win that race, hence the retry.
            port = _free_port()
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
            command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
            )
            if self._wait_ready(port):
                self.port = port
                return self
            last_error = self._output()
            self.stop()
        raise RuntimeError(f"moto server did not start:\n{last_error[-2000:]}")

    def _wait_ready(self, port: int) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/moto-api/data.json", timeout=1
                ):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def _output(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def reset(self) -> None:
        """Forget every emulated resource (moto's ``/moto-api/reset``)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        """Stop the child process (terminate, then kill) and release its log."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.port = 0

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def dummy_aws_environment(endpoint_url: str, region: str = DUMMY_REGION) -> Iterator[None]:
    """Point boto3 at ``endpoint_url`` with dummy credentials, restoring the old env after.

    Profiles, session tokens, credential files and container/web-identity
    settings are removed for the duration, so boto3 can only ever sign with the
    dummy key pair.
    """
    saved = dict(os.environ)
    try:
        for name in _AWS_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": region,
                "AWS_REGION": region,
                "AWS_ENDPOINT_URL": endpoint_url,
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
