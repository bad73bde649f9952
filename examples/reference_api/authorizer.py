"""The reference API's custom Lambda authorizer: only the ``admin`` group may delete.

API Gateway's built-in Cognito authorizer answers one question, "is this a
valid ID token of the pool?", so any signed-in user may ``DELETE /news``.  This
authorizer adds the tutorial's announced next step, group-based authorization:
the same checks, plus "``DELETE`` needs the ``admin`` group".

Deployed by ``template.yaml`` (handler ``authorizer.handler``) as a ``TOKEN``
authorizer on the ``Authorization`` header.  Configuration comes from the
environment:

``USER_POOL_ID``, ``CLIENT_ID``
    the pool and app client whose **ID** tokens are accepted (required).
``ADMIN_GROUP``
    the group allowed to delete (default ``admin``).
``JWKS_URI``
    only for local emulators such as moto, which serve the keys elsewhere than
    Cognito.  Honoured for loopback addresses only, so a mis-set variable in AWS
    can never make the function trust keys from an arbitrary host.

Why module scope: Lambda runs this module once per execution environment and
then calls :data:`handler` for many requests.  The verifier (and its JWKS
cache) is created here once, and hydrated here too, so the keys are fetched
during initialisation rather than on the first caller's request.  If the fetch
fails now, the function still starts; the verifier fetches again on demand once
the back-off allows (10 s after the failed attempt at first), requests before
that get a 500 without a fetch, and a persistent failure stays a 500, never an
``Allow``.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

from cognito_jwt import CognitoJwtVerifier, JwksUnavailableError
from cognito_jwt.authorizer import LambdaAuthorizer, make_handler, require_groups_for

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

logging.getLogger("cognito_jwt").setLevel(logging.INFO)


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise RuntimeError(f"the authorizer needs the {name} environment variable")
    return value


def build_verifier() -> CognitoJwtVerifier:
    """The verifier for the pool's ID tokens, configured from the environment."""
    jwks_uri = os.environ.get("JWKS_URI") or None
    local = jwks_uri is not None and urlsplit(jwks_uri).hostname in _LOOPBACK_HOSTS
    if jwks_uri is not None and not local:
        raise RuntimeError("JWKS_URI is for local emulators only (127.0.0.1 / localhost)")
    return CognitoJwtVerifier(
        user_pool_id=_required("USER_POOL_ID"),
        token_use="id",
        client_id=_required("CLIENT_ID"),
        jwks_uri=jwks_uri,
        allow_http=local,
    )


verifier = build_verifier()
try:
    verifier.hydrate()
except JwksUnavailableError as error:  # pragma: no cover - depends on the network
    logging.getLogger("cognito_jwt").warning("JWKS not fetched at init: %s", error.reason)

#: The Lambda entry point (``Handler: authorizer.handler``).
handler: LambdaAuthorizer = make_handler(
    verifier,
    rule=require_groups_for({"DELETE": os.environ.get("ADMIN_GROUP", "admin")}),
)
