"""Run an example app on your machine against a fake user pool: no AWS account needed.

Each ``*_app.py`` example takes ``--fake-pool``.  Instead of your pool's
settings, the app then gets those of a :class:`~cognito_jwt.testing.FakeCognitoPool`
started here, whose JWKS is served by ``pool.serve_jwks()`` over plain http on
127.0.0.1.  The app's verifier is the production ``CognitoJwtVerifier``,
fetching that URL with ``allow_http=True``: the only plain-http URL the
examples ever accept, and a loopback one by construction.  Everything else
(``COGNITO_JWKS_URI`` included) must be https, which the library enforces:
keys fetched over plain http can be replaced by anyone on the network path,
who could then sign tokens of their own.

Once the app listens, :func:`print_try_it` prints tokens the pool signed and
``curl`` commands to paste into a shell, each with the status it gets (the
example tests run these very commands).  Development only: the pool's keys
are made in this process and vanish with it.
"""

from __future__ import annotations

import shlex
import socket
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cognito_jwt.testing import FakeCognitoPool

#: How long the printed tokens stay valid, in seconds (Cognito's default for
#: ID and access tokens is one hour too).
TOKEN_LIFETIME = 3600


@dataclass(frozen=True)
class LocalPool:
    """What an example app is configured with instead of a real pool."""

    user_pool_id: str
    client_id: str
    #: ``http://127.0.0.1:<port>/<pool id>/.well-known/jwks.json``
    jwks_uri: str
    #: shell variable name -> (token, what it is)
    tokens: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class Call:
    """One printed ``curl``: which token (``None``: no header), path, status, why."""

    token: str | None
    path: str
    status: int
    why: str


@contextmanager
def fake_pool(token_use: str | None) -> Iterator[LocalPool]:
    """Start a fake pool serving its JWKS on 127.0.0.1; mint the tokens to try.

    ``token_use`` is the example's setting (``"id"``, ``"access"`` or
    ``None`` for both): the tokens are access tokens unless it is ``"id"``.
    ``READER`` is bob (no group, scope ``orders/read``), ``ADMIN`` is alice
    (group ``admin``).
    """
    pool = FakeCognitoPool()
    kind = "id" if token_use == "id" else "access"

    def token(username: str, groups: list[str], scopes: list[str]) -> str:
        sub = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{pool.user_pool_id}/{username}"))
        if kind == "id":
            names: dict[str, Any] = {"cognito:username": username}
            return pool.id_token(
                groups=groups,
                sub=sub,
                expires_in=TOKEN_LIFETIME,
                email=f"{username}@example.com",
                **names,
            )
        return pool.access_token(
            groups=groups, scopes=scopes, sub=sub, username=username, expires_in=TOKEN_LIFETIME
        )

    with pool.serve_jwks() as server:
        yield LocalPool(
            user_pool_id=pool.user_pool_id,
            client_id=pool.client_id,
            jwks_uri=server.url,
            tokens={
                "READER": (
                    token("bob", [], ["orders/read"]),
                    f"{kind} token of bob: no group, scope orders/read",
                ),
                "ADMIN": (
                    token("alice", ["admin"], []),
                    f"{kind} token of alice: group admin",
                ),
            },
        )


def listening_socket(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1 (``port=0``: any free port), before any server runs.

    Binding first lets the example print the real port, and connections made
    as soon as it is printed wait in the backlog until the server accepts.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


def print_try_it(local: LocalPool, base_url: str, calls: Sequence[Call]) -> None:
    """Print the tokens and the ``curl`` commands to paste, each with its status."""
    lines = [
        f"A fake user pool ({local.user_pool_id}, app client {local.client_id}) serves "
        f"its keys at {local.jwks_uri}",
        f"The app listens on {base_url} (Ctrl-C stops both). Paste into a shell:",
        "",
    ]
    for name, (token, what) in local.tokens.items():
        lines.append(f"{name}={token}  # {what}, valid {TOKEN_LIFETIME // 60} minutes")
    for call in calls:
        header = f'-H "Authorization: Bearer ${call.token}" ' if call.token else ""
        url = shlex.quote(base_url + call.path)
        lines.append(f"curl -i {header}{url}  # {call.status}: {call.why}")
    lines.append("")
    print("\n".join(lines), flush=True)
