"""Misbehaving JWKS endpoints on 127.0.0.1, for the failure, load and soak tests.

`HostileServer` is a real `ThreadingHTTPServer` in a daemon thread.
What it answers is decided per request by its ``behaviour`` (which the test may
swap at any time), and it counts every request it receives, so a test can prove
"no unbounded retries" by arithmetic rather than by hope.

Behaviours are plain functions of the request handler; the module provides one
per failure mode of the matrix in `docs/security.md`, and `current_jwks`, the
one well-behaved endpoint every JWKS test serves (the `jwks_server` fixture in
`conftest.py` runs it).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cognito_jwt.testing import FakeCognitoPool

__all__ = [
    "HORIZON",
    "Behaviour",
    "HostileServer",
    "black_hole",
    "chained_gzip_bomb",
    "current_jwks",
    "delayed",
    "drip_body",
    "drip_headers",
    "free_port",
    "gzip_bomb",
    "held",
    "huge_body",
    "json_body",
    "refused_uri",
    "reply",
    "reset",
    "silent_listener",
]

JSON = {"Content-Type": "application/json"}
JWKS_PATH = "/pool/.well-known/jwks.json"
#: Seconds after which a hanging behaviour gives up by itself.  Not a bound any
#: test asserts: it turns a client that never gives up (a timeout removed) into
#: an answer the tests refuse (`HostileServer.answered`), instead of a hang.
HORIZON = 30.0

Behaviour = Callable[["_Handler"], None]


class _Handler(http.server.BaseHTTPRequestHandler):
    """Hands every GET to the server's current behaviour."""

    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as a real endpoint would
    hung_up = False  # set when the client closed the connection mid-behaviour

    def do_GET(self) -> None:
        owner = self.server.owner
        with owner.lock:
            owner.request_count += 1
            behaviour = owner.behaviour
        self.hung_up = False
        try:
            behaviour(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            self.close_connection = True  # the client gave up on us: fine, that is the point
            self.hung_up = True
        with owner.lock:
            if self.hung_up:
                owner.hangup_count += 1
            elif not owner.stop.is_set():
                owner.answered_count += 1

    def client_gone(self) -> bool:
        """Whether the client has closed its end (readable, and nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def stopped(self) -> threading.Event:
        return self.server.owner.stop


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: HostileServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up on a hostile server is expected; no tracebacks."""

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        with self.owner.lock:
            self.owner.connections.add(conn)
        return conn, address

    def shutdown_request(self, request: Any) -> None:
        with self.owner.lock:
            self.owner.connections.discard(request)
        super().shutdown_request(request)


class HostileServer:
    """An HTTP server on 127.0.0.1 that does whatever ``behaviour`` says.

    Args:
        behaviour: how to answer the next request; reassign ``.behaviour`` to
            change it between requests.
        port: bind this port (0 = ephemeral); used to bring a "down" endpoint
            back on the address the verifier already knows.
    """

    def __init__(self, behaviour: Behaviour, *, port: int = 0) -> None:
        self.behaviour = behaviour
        self.request_count = 0
        self.answered_count = 0
        self.hangup_count = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.connections: set[socket.socket] = set()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.owner = self
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{JWKS_PATH}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def requests(self) -> int:
        with self.lock:
            return self.request_count

    @property
    def answered(self) -> int:
        """Requests whose behaviour ran to its end on the server's own terms (a
        hanging one: at `HORIZON`), neither cut short by the client nor by `close`."""
        with self.lock:
            return self.answered_count

    @property
    def hangups(self) -> int:
        """Requests during which the client closed the connection before the end."""
        with self.lock:
            return self.hangup_count

    def close(self) -> None:
        """Stop serving and drop every open connection, keep-alive ones included,
        so that a closed server is really down; hanging behaviours are released."""
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()
        with self.lock:
            open_connections = list(self.connections)
        for conn in open_connections:
            with contextlib.suppress(OSError):  # already gone
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def hostile(behaviour: Behaviour, *, port: int = 0) -> Iterator[HostileServer]:
    server = HostileServer(behaviour, port=port)
    try:
        yield server
    finally:
        server.close()


# -- behaviours ------------------------------------------------------------------


def reply(status: int, headers: dict[str, str], body: bytes) -> Behaviour:
    """A complete, well-formed HTTP answer."""

    def behave(h: _Handler) -> None:
        h.send_response(status)
        for name, value in headers.items():
            h.send_header(name, value)
        if "Content-Length" not in headers:
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return behave


def json_body(body: Callable[[], bytes] | bytes) -> Behaviour:
    """``200 application/json`` with ``body`` (or what ``body()`` returns now)."""

    def behave(h: _Handler) -> None:
        reply(200, JSON, body() if callable(body) else body)(h)

    return behave


def current_jwks(pool: FakeCognitoPool) -> Behaviour:
    """`200` with `pool`'s JWKS as it is at each request, so a key rotation shows."""

    def current() -> bytes:
        return pool.jwks_json.encode()

    return json_body(current)


def delayed(behaviour: Behaviour, seconds: float) -> Behaviour:
    """`behaviour`, after a pause: widens the window in which callers overlap."""

    def behave(h: _Handler) -> None:
        time.sleep(seconds)
        behaviour(h)

    return behave


def black_hole(h: _Handler) -> None:
    """Accept the connection and the request, then never say a word.

    It ends when the client hangs up (counted in `HostileServer.hangups`), when
    the server closes, or at `HORIZON` (counted as answered: an empty one).
    """
    deadline = time.monotonic() + HORIZON
    while not h.stopped().wait(0.02):
        if h.client_gone():
            h.hung_up = True
            break
        if time.monotonic() > deadline:
            break
    h.close_connection = True


def held(behaviour: Behaviour, entered: threading.Event, release: threading.Event) -> Behaviour:
    """`behaviour`, once the test sets ``release``: ``entered`` is set as the request arrives.

    While the server holds the request, the test watches what everyone else does;
    the hold ends at ``release``, when the server closes, or at `HORIZON`.
    """

    def behave(h: _Handler) -> None:
        entered.set()
        deadline = time.monotonic() + HORIZON
        while not release.wait(0.02):
            if h.stopped().is_set() or time.monotonic() > deadline:
                h.close_connection = True
                return
        behaviour(h)

    return behave


def reset(h: _Handler) -> None:
    """Close the connection without an answer (a crashing upstream)."""
    h.close_connection = True
    h.connection.shutdown(socket.SHUT_RDWR)


def drip_headers(interval: float) -> Behaviour:
    """Send the status line and headers one byte every ``interval`` seconds, forever.

    Every byte resets a per-read timeout, so only a *total* deadline ends this
    (or the server, at `HORIZON`: then the headers end unfinished).
    """

    def behave(h: _Handler) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: "
        stream = head + b"a" * 100_000
        deadline = time.monotonic() + HORIZON
        for i in range(len(stream)):
            if h.stopped().wait(interval) or time.monotonic() > deadline:
                break
            h.wfile.write(stream[i : i + 1])
            h.wfile.flush()
        h.close_connection = True

    return behave


def drip_body(body: bytes, interval: float) -> Behaviour:
    """Honest headers, then the body one byte every ``interval`` seconds."""

    def behave(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.flush()
        deadline = time.monotonic() + HORIZON
        for i in range(len(body)):
            if h.stopped().wait(interval) or time.monotonic() > deadline:
                break
            h.wfile.write(body[i : i + 1])
            h.wfile.flush()
        h.close_connection = True

    return behave


def huge_body(size: int, *, declare_length: bool) -> Behaviour:
    """A ``size``-byte JSON-typed body, with or without an honest Content-Length."""
    block = b" " * 65536

    def behave(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        if declare_length:
            h.send_header("Content-Length", str(size))
        else:
            h.send_header("Connection", "close")  # body ends when the socket does
        h.end_headers()
        h.close_connection = True
        sent = 0
        while sent < size and not h.stopped().is_set():
            h.wfile.write(block)
            sent += len(block)

    return behave


@functools.lru_cache(maxsize=4)
def _compressed_spaces(size: int) -> bytes:
    return gzip.compress(b" " * size, compresslevel=9)


def gzip_bomb(size: int) -> Behaviour:
    """A small gzip body that inflates to ``size`` bytes of whitespace."""
    compressed = _compressed_spaces(size)

    def behave(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(compressed)))
        h.end_headers()
        h.wfile.write(compressed)

    return behave


def chained_gzip_bomb(size: int, *, header_lines: int = 1) -> Behaviour:
    """Spaces gzipped twice, sent as ``Content-Encoding: gzip, gzip``.

    With ``header_lines=2`` the two codings come as two header lines instead,
    which HTTP clients join into the same comma-separated value.
    """
    compressed = gzip.compress(_compressed_spaces(size), compresslevel=9)

    def behave(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        if header_lines == 1:
            h.send_header("Content-Encoding", "gzip, gzip")
        else:
            for _ in range(header_lines):
                h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(compressed)))
        h.end_headers()
        h.wfile.write(compressed)

    return behave


# -- endpoints that are not HTTP servers at all -----------------------------------


def free_port() -> int:
    """A loopback port nobody listens on (right now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def refused_uri(port: int | None = None) -> str:
    """A JWKS URI whose connection attempts are refused."""
    return f"http://127.0.0.1:{port or free_port()}{JWKS_PATH}"


@contextmanager
def silent_listener() -> Iterator[str]:
    """A socket that listens but never accepts: the kernel completes the handshake,
    nothing ever reads the request.  Yields the JWKS URI."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield refused_uri(int(s.getsockname()[1]))


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
