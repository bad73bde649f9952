"""The conformance rows every framework adapter is held to, answered first by `cognito_jwt.http`.

Each row is a request (its header pairs, duplicates kept), the verifier that
guards the route and the route's requirement.  `expected(row)` is what
`cognito_jwt.http` answers; an adapter's test sends the same request through
the framework's real test client and must get the same status, the same
`WWW-Authenticate` parameters and the same `reason`.

Routes (every adapter serves them, one app per verifier where the framework
binds one verifier per app):

* `/me`: any caller with a valid token;
* `/admin`: Cognito group `admin`;
* `/orders`: OAuth scope `orders/read`.

Verifiers: `id` (ID tokens), `access` (access tokens), `down` (its JWKS
endpoint fails) and `alb` (an `AlbJwtVerifier`, token in `x-amzn-oidc-data`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cognito_jwt import AlbJwtVerifier, AlbKeyCache, CognitoJwtVerifier, JwksUnavailableError
from cognito_jwt.http import Rejection, authenticate
from cognito_jwt.testing import FakeAlb, FakeCognitoPool

POOL = FakeCognitoPool(user_pool_id="us-east-1_AdapterPool", client_id="adapterclient0123456789")
OTHER_POOL = FakeCognitoPool(user_pool_id="us-east-1_OtherPool1", client_id=POOL.client_id)
ALB = FakeAlb(issuer=POOL.issuer, client_id=POOL.client_id)


class _DownFetcher:
    """A JWKS endpoint that never answers."""

    def fetch(self, uri: str) -> bytes:
        raise JwksUnavailableError(f"{uri} is down", reason="jwks_fetch_failed")


class _AlbKeys:
    """ALB's public-key endpoint, answered in process: one PEM per kid."""

    def fetch(self, uri: str) -> bytes:
        pem = ALB.pem(uri.rsplit("/", 1)[-1])
        if pem is None:
            raise JwksUnavailableError(f"no key at {uri}", reason="jwks_http_status")
        return pem


def verifiers() -> dict[str, Any]:
    """One fresh verifier per kind (an adapter's app may bind them for its lifetime)."""
    alb: AlbJwtVerifier = AlbJwtVerifier(
        alb_arn=ALB.alb_arn,
        issuer=ALB.issuer,
        client_id=ALB.client_id,
        key_cache=AlbKeyCache(fetcher=_AlbKeys()),
    )
    down: CognitoJwtVerifier = POOL.verifier(token_use="id", fetcher=_DownFetcher())
    return {
        "id": POOL.verifier(token_use="id"),
        "access": POOL.verifier(token_use="access"),
        "down": down,
        "alb": alb,
    }


VERIFIERS = verifiers()

#: Route -> the requirement `cognito_jwt.http.authenticate` is given for it.
ROUTES: dict[str, dict[str, Any]] = {
    "/me": {},
    "/admin": {"groups": "admin"},
    "/orders": {"scopes": "orders/read"},
}


def routes_for(kind: str) -> dict[str, dict[str, Any]]:
    """The routes an app on verifier `kind` can serve: no scope route for ID tokens.

    A scope requirement on an ID-token verifier is refused when the route is
    defined (ID tokens carry no `scope`), so no adapter can build it.
    """
    if getattr(VERIFIERS[kind], "token_use", None) == "id":
        return {route: need for route, need in ROUTES.items() if "scopes" not in need}
    return ROUTES


@dataclass(frozen=True)
class Row:
    """One request of the conformance table."""

    name: str
    headers: tuple[tuple[str, str], ...]
    verifier: str = "id"
    route: str = "/me"


def _rows() -> list[Row]:
    id_token = POOL.id_token(groups=["users"])
    admin = POOL.id_token(groups=["admin"])
    reader = POOL.access_token(scopes=["orders/read"])
    auth = "Authorization"
    return [
        Row("valid", ((auth, f"Bearer {id_token}"),)),
        Row("no header", ()),
        Row("Bearer with nothing", ((auth, "Bearer"),)),
        Row("Basic", ((auth, "Basic dXNlcjpwYXNz"),)),
        Row("bare token", ((auth, id_token),)),
        Row("lower-case bearer", ((auth, f"bearer {id_token}"),)),
        Row("surrounding whitespace", ((auth, f"  Bearer   {id_token}  "),)),
        Row("two Authorization headers", ((auth, f"Bearer {id_token}"), (auth, "Bearer x"))),
        Row("x-amzn-oidc-accesstoken alone", (("x-amzn-oidc-accesstoken", reader),), "access"),
        Row("garbage", ((auth, "Bearer not-a-jwt"),)),
        Row("expired", ((auth, f"Bearer {POOL.id_token(expires_in=-60)}"),)),
        Row("another pool", ((auth, f"Bearer {OTHER_POOL.id_token()}"),)),
        Row("another client", ((auth, f"Bearer {POOL.id_token(aud='someone-else')}"),)),
        Row("access where ID is required", ((auth, f"Bearer {reader}"),)),
        Row("group present", ((auth, f"Bearer {admin}"),), route="/admin"),
        Row("missing group", ((auth, f"Bearer {id_token}"),), route="/admin"),
        Row("anonymous on a group route", (), route="/admin"),
        Row("scope present", ((auth, f"Bearer {reader}"),), "access", "/orders"),
        Row(
            "missing scope",
            ((auth, f"Bearer {POOL.access_token(scopes=['openid'])}"),),
            "access",
            "/orders",
        ),
        Row("anonymous on a scope route", (), "access", "/orders"),
        Row("JWKS down", ((auth, f"Bearer {id_token}"),), "down"),
        Row("ALB header", (("x-amzn-oidc-data", ALB.token()),), "alb"),
        Row("ALB verifier, no header", ((auth, f"Bearer {id_token}"),), "alb"),
        Row("ALB header, expired", (("x-amzn-oidc-data", ALB.token(expires_in=-60)),), "alb"),
    ]


ROWS = _rows()

#: (status, sorted challenge parameters or None for no header, reason) of one answer.
Answer = tuple[int, tuple[str, ...] | None, str]

_PARAM = re.compile(r'(\w+)="([^"]*)"')


def challenge(value: str | None) -> tuple[str, ...] | None:
    """A `WWW-Authenticate` value as its scheme and sorted parameters (order is not meaning)."""
    if value is None:
        return None
    scheme = value.split(" ", 1)[0]
    return (scheme, *sorted(f"{k}={v}" for k, v in _PARAM.findall(value)))


def expected(row: Row) -> Answer:
    """What `cognito_jwt.http` answers for `row`."""
    try:
        authenticate(VERIFIERS[row.verifier], row.headers, **ROUTES[row.route])
    except Rejection as rejection:
        found = {k.lower(): v for k, v in dict(rejection.headers).items()}
        return rejection.status_code, challenge(found.get("www-authenticate")), rejection.reason
    return 200, None, "ok"


def answer(status: int, www_authenticate: str | None, body: Any) -> Answer:
    """An adapter's answer in the table's terms (200 answers carry the reason "ok")."""
    if status == 200:
        return 200, None, "ok"
    reason = body.get("reason") if isinstance(body, dict) else None
    return status, challenge(www_authenticate), str(reason)


def ids(rows: list[Row]) -> list[str]:
    return [row.name for row in rows]
