"""Powertools for AWS Lambda (Python): an Event Handler middleware verifying the token.

Usage::

    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from cognito_jwt.integrations.powertools import CognitoAuthMiddleware

    app = APIGatewayRestResolver()
    app.use([CognitoAuthMiddleware(verifier)])          # every route

    @app.delete("/orders/<order_id>", middlewares=[CognitoAuthMiddleware(verifier, groups="admin")])
    def delete_order(order_id: str) -> dict[str, str]:
        claims = app.context["claims"]
        ...

    def lambda_handler(event, context):
        return app.resolve(event, context)

The middleware answers a request exactly as `cognito_jwt.http` does (status,
RFC 6750 challenge, `{"error", "reason"}` body), so a Lambda behind API
Gateway or an ALB answers the same request as a FastAPI or Flask service
would.  It works with `APIGatewayRestResolver`, `APIGatewayHttpResolver`,
`ALBResolver` and `LambdaFunctionUrlResolver`; headers are read through the
event's own case-insensitive view (`resolved_headers_field`), which is
`multiValueHeaders` for REST APIs and for ALB targets with multi-value headers
on (those events carry no `headers` at all).  An `AlbJwtVerifier` reads the
load balancer's `x-amzn-oidc-data` header.

The verified claims are in `app.context["claims"]`; Event Handler clears its
context after every invocation, so a warm Lambda never shows one caller's
claims to the next.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

try:
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, Response
    from aws_lambda_powertools.event_handler.middlewares import (
        BaseMiddlewareHandler,
        NextMiddleware,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    if (exc.name or "").split(".")[0] != "aws_lambda_powertools":
        raise
    raise ImportError(
        "cognito_jwt.integrations.powertools needs Powertools for AWS Lambda: "
        'pip install "cognito-jwt[powertools]"'
    ) from exc

from cognito_jwt._verifier import refuse_async_only
from cognito_jwt.http import Rejection, Requirement, authenticate, check_realm, rejection
from cognito_jwt.integrations._common import checked_verifier

__all__ = ["CONTEXT_KEY", "CognitoAuthMiddleware"]

logger = logging.getLogger("cognito_jwt.integrations")

#: The `app.context` key holding the verified claims.
CONTEXT_KEY = "claims"


class CognitoAuthMiddleware(BaseMiddlewareHandler):  # type: ignore[type-arg]
    """An Event Handler middleware: the route runs only for a token meeting the requirement.

    Per route (`@app.get(..., middlewares=[CognitoAuthMiddleware(verifier)])`)
    or for every route (`app.use([CognitoAuthMiddleware(verifier)])`).  A
    refused request is answered 401, 403, 400 (a repeated header) or 503 with
    the challenge and a JSON body, and the route never runs.

    Args:
        verifier: a `CognitoJwtVerifier`, `MultiIssuerVerifier`, `JwtVerifier`
            or `AlbJwtVerifier` (which reads `x-amzn-oidc-data`).
        groups: Cognito groups; any one suffices unless `require_all_groups`.
        scopes: OAuth scopes (access tokens); any one unless `require_all_scopes`.
        require_all_groups: demand every group.
        require_all_scopes: demand every scope.
        requirement: one built with `cognito_jwt.http.require` / `any_of`,
            instead of `groups`/`scopes`.
        realm: the challenge's `realm`, if any.

    Raises:
        ConfigurationError: `verifier` is not a verifier instance; a group or
            scope is empty; a requirement no token of `verifier` can meet
            (scopes of ID tokens).
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """Answer 401 when the class itself was listed as a middleware (the parentheses forgotten).

        Event Handler then calls the class with `(app, next_middleware)`;
        instead of a `TypeError` (a 500), every request on that route is
        refused and an ERROR names the fix.
        """
        if len(args) == 2 and isinstance(args[0], ApiGatewayResolver) and not kwargs:
            logger.error(
                "CognitoAuthMiddleware was listed as a class; list an instance instead: "
                "middlewares=[CognitoAuthMiddleware(verifier)]; refusing the request"
            )
            return _respond(rejection(None))
        return super().__new__(cls)

    def __init__(
        self,
        verifier: Any,
        *,
        groups: str | Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        require_all_groups: bool = False,
        require_all_scopes: bool = False,
        requirement: Requirement | None = None,
        realm: str | None = None,
    ) -> None:
        super().__init__()
        checked_verifier(verifier, "CognitoAuthMiddleware(verifier)")
        refuse_async_only(verifier, "CognitoAuthMiddleware")  # middlewares run synchronously
        self.verifier = verifier
        self.requirement = Requirement.of(
            requirement,
            groups=groups,
            scopes=scopes,
            require_all_groups=require_all_groups,
            require_all_scopes=require_all_scopes,
        )
        self.requirement.check_possible(verifier)
        self.realm = check_realm(realm)

    def handler(self, app: ApiGatewayResolver, next_middleware: NextMiddleware) -> Response:  # type: ignore[type-arg]
        """Verify the current event's token; call the route, or answer the refusal.

        The headers are the event's own case-insensitive view,
        `resolved_headers_field`: `multiValueHeaders` when the event has them
        (REST APIs; ALB targets with multi-value headers on, whose events carry
        no `headers`), else `headers` with comma-joined repeats split (HTTP
        APIs, Function URLs), so a repeated `Authorization` shows.
        """
        event = app.current_event
        try:
            claims = authenticate(
                self.verifier,
                event.resolved_headers_field or {},
                requirement=self.requirement,
                realm=self.realm,
                method=event.http_method,
                path=event.path,
            )
        except Rejection as refusal:
            return _respond(refusal)
        app.context[CONTEXT_KEY] = claims
        return next_middleware(app)


def _respond(refusal: Rejection) -> Response:  # type: ignore[type-arg]
    """The Event Handler response carrying a `Rejection`."""
    return Response(
        status_code=refusal.status_code,
        content_type="application/json",
        body=json.dumps(refusal.body),
        headers=dict(refusal.headers),
    )
