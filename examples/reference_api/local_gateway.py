"""A tiny stand-in for API Gateway, enough to run the reference API locally.

Neither API Gateway nor its authorizers run outside AWS, and moto does not
enforce authorizers on the APIs it stores.  This module does, for the reference
API's routes, what API Gateway does in front of a MOCK integration:

``cognito`` mode (a ``COGNITO_USER_POOLS`` authorizer)
    no ``Authorization`` header -> 401; the header value is verified as an ID
    token of the pool (with cognito_jwt); invalid -> 401; valid -> 200.

``lambda`` mode (a custom Lambda authorizer)
    runs on ``gateway_model.ApiModel``, the model of API Gateway the tests
    check the authorizer against: no header -> 401 without calling the
    function (API Gateway checks the identity source first); otherwise the
    authorizer event API Gateway would send (``TOKEN`` or ``REQUEST`` type),
    the answer cached per token for 300 s as API Gateway's defaults do, and
    enforced: an ``Unauthorized`` error -> 401, any other error or a malformed
    response -> 500, a policy that does not allow the method ARN -> 403, else
    200.  Because answers are cached, a wrong answer shows on the next call.

Unknown routes get API Gateway's 403 ``Missing Authentication Token``.  The
server listens on 127.0.0.1 only, on an ephemeral port.
"""

from __future__ import annotations

import http.server
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

from gateway_model import ApiModel, ModelRoute

from cognito_jwt import AccessDeniedError, CognitoJwtError, InvalidTokenError
from cognito_jwt.authorizer import TokenVerifier

__all__ = ["LambdaHandler", "LocalGateway", "Route"]

Mode = Literal["cognito", "lambda"]
#: A Lambda authorizer entry point: ``handler(event, context) -> response``.
LambdaHandler = Callable[[dict[str, Any], Any], Mapping[str, Any]]


@dataclass(frozen=True)
class Route:
    """One method of the API: whether the authorizer guards it, and its MOCK body."""

    method: str
    path: str
    protected: bool
    body: str


@dataclass(frozen=True)
class Answer:
    """What the gateway sends back; ``reason`` says why (sent as ``x-local-reason``)."""

    status: int
    body: str
    reason: str = "allowed"


def _message(status: int, message: str, reason: str) -> Answer:
    return Answer(status, json.dumps({"message": message}), reason)


def _unauthorized(reason: str) -> Answer:
    return _message(401, "Unauthorized", reason)


def _forbidden(reason: str) -> Answer:
    return _message(403, "User is not authorized to access this resource", reason)


def _internal_error(reason: str) -> Answer:
    return _message(500, "Internal server error", reason)


class _ReasonLog(logging.Handler):
    """Collects the ``reason`` of cognito_jwt log records (the authorizer logs one)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.reasons: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        reason = getattr(record, "reason", None)
        if isinstance(reason, str):
            self.reasons.append(reason)


class LocalGateway:
    """Serve ``routes`` under ``/<stage>`` the way API Gateway would.

    Args:
        mode: ``"cognito"`` or ``"lambda"``, see the module docstring.
        arn_prefix: ``arn:<partition>:execute-api:<region>:<account>:<api_id>``;
            method ARNs are this plus ``/<stage>/<METHOD>/<path>``.
        stage: the stage name, also the first path segment of every URL.
        routes: the API's methods.
        verifier: verifies ID tokens in ``cognito`` mode.
        authorizer: the Lambda handler in ``lambda`` mode.
        authorizer_type: the event shape sent to it, ``TOKEN`` or ``REQUEST``.
    """

    def __init__(
        self,
        *,
        mode: Mode,
        arn_prefix: str,
        stage: str,
        routes: Sequence[Route],
        verifier: TokenVerifier | None = None,
        authorizer: LambdaHandler | None = None,
        authorizer_type: Literal["TOKEN", "REQUEST"] = "TOKEN",
    ) -> None:
        if mode == "cognito" and verifier is None:
            raise ValueError("cognito mode needs a verifier")
        if mode == "lambda" and authorizer is None:
            raise ValueError("lambda mode needs an authorizer handler")
        self.mode: Mode = mode
        self.arn_prefix = arn_prefix
        self.stage = stage
        self.routes = {(r.method, r.path): r for r in routes}
        self.verifier = verifier
        self.authorizer = authorizer
        self.authorizer_type = authorizer_type
        self._model: ApiModel | None = None
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------- decisions

    def method_arn(self, method: str, path: str) -> str:
        """The ARN API Gateway names in the authorizer event for this request."""
        return f"{self.arn_prefix}/{self.stage}/{method}/{path.removeprefix('/')}"

    def handle(self, method: str, url_path: str, headers: Mapping[str, str]) -> Answer:
        """Answer one request (no sockets involved, so tests can call it directly)."""
        path = url_path.split("?", 1)[0]
        prefix = f"/{self.stage}"
        route = None
        if path.startswith(prefix + "/"):
            route = self.routes.get((method, path.removeprefix(prefix)))
        if route is None:
            return _message(403, "Missing Authentication Token", "no_such_route")
        if route.protected:
            token = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
            denied = (
                self._cognito(token)
                if self.mode == "cognito"
                else self._lambda(method, route.path, token)
            )
            if denied is not None:
                return denied
        return Answer(200, route.body, "allowed" if route.protected else "public route")

    def _cognito(self, token: str) -> Answer | None:
        if not token.strip():
            return _unauthorized("missing_token")
        assert self.verifier is not None
        try:
            self.verifier.verify(token)
        except InvalidTokenError as error:
            return _unauthorized(error.reason)
        except AccessDeniedError as error:
            return _forbidden(error.reason)
        except CognitoJwtError as error:
            return _internal_error(error.reason)
        return None

    def _lambda(self, method: str, path: str, token: str) -> Answer | None:
        if self._model is None:
            assert self.authorizer is not None
            self._model = ApiModel(
                kind="rest-token" if self.authorizer_type == "TOKEN" else "rest-request",
                routes=[ModelRoute(r.method, r.path, r.protected) for r in self.routes.values()],
                handler=self.authorizer,
                arn_prefix=self.arn_prefix,
                stage=self.stage,
            )
        log = _ReasonLog()
        logger = logging.getLogger("cognito_jwt")
        logger.addHandler(log)
        try:
            with self._lock:
                self._model.now = time.monotonic()
                outcome = self._model.request(method, path, token.strip())
        finally:
            logger.removeHandler(log)
        if outcome.invoked:
            reason = log.reasons[-1] if log.reasons else "policy"
        else:
            reason = "missing_token" if outcome.status == 401 else "cached answer"
        if outcome.status == 200:
            return None
        if outcome.status == 401:
            return _unauthorized(reason)
        if outcome.status == 403:
            return _forbidden(reason)
        return _internal_error(reason if outcome.invoked else "malformed_response")

    # --------------------------------------------------------------- serving

    @property
    def url(self) -> str:
        """Base URL of the stage, e.g. ``http://127.0.0.1:PORT/api``."""
        if self._server is None:
            raise RuntimeError("gateway is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/{self.stage}"

    def start(self) -> Self:
        """Listen on 127.0.0.1:<ephemeral> in a daemon thread."""
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                answer = gateway.handle(self.command, self.path, dict(self.headers.items()))
                payload = answer.body.encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("x-local-reason", answer.reason)
                if answer.status in (401, 403):
                    kind = (
                        "UnauthorizedException" if answer.status == 401 else "AccessDeniedException"
                    )
                    self.send_header("x-amzn-ErrorType", kind)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_DELETE = do_POST = do_PUT = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the demo prints its own table."""

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one interval
            name=f"gateway-{self.mode}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
