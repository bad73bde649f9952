"""Fail closed when wiring revocation: every slip is refused when the verifier
is built, one row each; and the table of docs/revocation.md (which mechanism
covers which token kind) is what the code does, cell by cell."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from fixed_time import NOW
from revocation_stores import FakeUserInfo

from cognito_jwt import (
    ConfigurationError,
    InvalidClaimError,
    JwtVerifier,
    MultiIssuerVerifier,
    TokenRevokedError,
    decode_unverified,
)
from cognito_jwt.revocation import (
    GetUserCheck,
    MemoryStore,
    RedisStore,
    RevocationList,
    UserInfoCheck,
)
from cognito_jwt.testing import FakeCognitoPool

DOCS = Path(__file__).resolve().parents[2] / "docs" / "revocation.md"
POOL = FakeCognitoPool()


class Idp:
    """A cognito-idp client stand-in: GetUser answers "revoked" for tokens in `ended`."""

    class Meta:
        region_name = "us-east-1"

    meta = Meta()

    def __init__(self) -> None:
        self.ended: set[str] = set()

    def get_user(self, *, AccessToken: str) -> dict[str, Any]:
        if AccessToken in self.ended:
            error = Exception("revoked")
            error.response = {"Error": {"Code": "NotAuthorizedException"}}  # type: ignore[attr-defined]
            raise error
        return {}


class OtherRegionIdp(Idp):
    meta = type("Meta", (), {"region_name": "eu-west-1"})()


class AsyncOnlyRedis:
    """Stands in for a `redis.asyncio.Redis` (never called: the build is refused first)."""

    async def eval(self, *args: Any) -> int:
        return 1

    async def mget(self, keys: Sequence[str]) -> list[None]:
        return [None for _ in keys]


def _generic(**kw: Any) -> JwtVerifier:
    return JwtVerifier(issuer="https://idp.example.com", audience=None, jwks=POOL.jwks, **kw)


SLIPS: list[tuple[str, Callable[[], object], str]] = [
    (
        "live check on ID tokens",
        lambda: POOL.verifier("id", revocation=GetUserCheck(Idp())),
        "access tokens only",
    ),
    (
        "live check on either token kind",
        lambda: POOL.verifier(None, revocation=GetUserCheck(Idp())),
        "token_use=None",
    ),
    (
        "live check on a generic issuer",
        lambda: _generic(revocation=GetUserCheck(Idp()), max_token_lifetime=3600),
        "not a CognitoJwtVerifier",
    ),
    (
        "GetUser client in another region",
        lambda: POOL.verifier("access", revocation=GetUserCheck(OtherRegionIdp())),
        "client in us-east-1",
    ),
    ("GetUser without a client", lambda: GetUserCheck(None), "boto3 cognito-idp client"),
    (
        "userInfo on ID tokens",
        lambda: POOL.verifier("id", revocation=UserInfoCheck("https://a.example.com")),
        "access tokens only",
    ),
    ("userInfo over plain http", lambda: UserInfoCheck("http://auth.example.com"), "https"),
    (
        "userInfo with a path",
        lambda: UserInfoCheck("https://auth.example.com/oauth2/userInfo"),
        "scheme and host only",
    ),
    ("userInfo with no domain", lambda: UserInfoCheck(""), "user pool domain"),
    (
        "list on a generic issuer without its token lifetime",
        lambda: _generic(revocation=RevocationList(MemoryStore())),
        "must declare max_token_lifetime",
    ),
    (
        "list keeping entries shorter than tokens live",
        lambda: _generic(
            revocation=RevocationList(MemoryStore(), max_token_lifetime=3600),
            max_token_lifetime=7200,
        ),
        "max_token_lifetime=7200",
    ),
    (
        "revocation on the MultiIssuerVerifier and a member",
        lambda: MultiIssuerVerifier(
            [POOL.verifier("access", revocation=RevocationList(MemoryStore()))],
            revocation=RevocationList(MemoryStore()),
        ),
        "not both",
    ),
    (
        "a MultiIssuerVerifier's live check over an ID member",
        lambda: MultiIssuerVerifier(
            [POOL.verifier("id"), FakeCognitoPool("us-east-1_Other").verifier("access")],
            revocation=GetUserCheck(Idp()),
        ),
        "access tokens only",
    ),
    ("an empty list of mechanisms", lambda: POOL.verifier("access", revocation=[]), "empty list"),
    (
        "a URL instead of a mechanism",
        lambda: POOL.verifier("access", revocation="redis://localhost"),
        "found str",
    ),
    (
        "reuse 'not revoked' for 0 s",
        lambda: RevocationList(MemoryStore(), cache_ttl=0),
        "cache_ttl",
    ),
    (
        "reuse 'not revoked' for 61 s",
        lambda: RevocationList(MemoryStore(), cache_ttl=61),
        "cache_ttl",
    ),
    (
        "a truthy string as fail_open",
        lambda: RevocationList(MemoryStore(), fail_open="no"),  # type: ignore[arg-type]
        "fail_open",
    ),
    ("a store that is not one", lambda: RevocationList(object()), "RevocationStore"),  # type: ignore[arg-type]
    (
        "a rate bound of zero",
        lambda: GetUserCheck(Idp(), max_calls_per_second=0),
        "max_calls_per_second",
    ),
    (
        "a cut-off leeway of ten minutes",
        lambda: RevocationList(MemoryStore(), cutoff_leeway=601),
        "cutoff_leeway",
    ),
    (
        "an asyncio-only store behind a Lambda authorizer",
        lambda: __import__("cognito_jwt.authorizer", fromlist=["make_handler"]).make_handler(
            POOL.verifier(
                "access", revocation=RevocationList(RedisStore(async_client=AsyncOnlyRedis()))
            )
        ),
        "requires verify_async",
    ),
]


@pytest.mark.parametrize(
    ("build", "message"), [(b, m) for _, b, m in SLIPS], ids=[s[0] for s in SLIPS]
)
def test_a_wiring_slip_is_refused_when_built(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        build()


def test_an_asyncio_only_store_makes_verify_refuse_naming_verify_async() -> None:
    verifier = POOL.verifier(
        "access", revocation=RevocationList(RedisStore(async_client=AsyncOnlyRedis()))
    )
    assert verifier.requires_async
    with pytest.raises(ConfigurationError, match="verify_async"):
        verifier.verify(POOL.access_token())


# -- the table of docs/revocation.md ---------------------------------------------------------

KINDS = ("ID token", "Access token", "M2M access token")


def _docs_table() -> dict[str, dict[str, str]]:
    """Mechanism -> token kind -> cell, under "Which mechanism covers which token"."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Which mechanism covers which token", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    assert header[1:] == list(KINDS)
    table: dict[str, dict[str, str]] = {}
    for row in rows[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        table[cells[0]] = dict(
            zip(KINDS, (c.split(":")[0].strip("*") for c in cells[1:]), strict=True)
        )
    return table


def _token(kind: str) -> str:
    if kind == "ID token":
        return POOL.id_token(now=NOW)
    if kind == "Access token":
        return POOL.access_token(now=NOW, scopes=["openid", "aws.cognito.signin.user.admin"])
    # client credentials: sub is the app client, no origin_jti, no user, a custom scope
    return POOL.access_token(
        now=NOW, sub=POOL.client_id, origin_jti=None, username=None, scopes=["orders/read"]
    )


def _outcome(mechanism: str, kind: str, userinfo: FakeUserInfo) -> str:
    """What the code does: 'covered', 'refused at construction' or 'not coverable'."""
    token_use = "id" if kind == "ID token" else "access"
    token = _token(kind)
    claims = decode_unverified(token)[1]
    idp = Idp()
    revocations = RevocationList(MemoryStore(), clock=lambda: NOW + 1)
    check: Any = {
        "`GetUserCheck`": GetUserCheck(idp, clock=lambda: NOW + 1),
        "`UserInfoCheck`": UserInfoCheck(userinfo.url, clock=lambda: NOW + 1),
    }.get(mechanism, revocations)
    try:
        verifier = POOL.verifier(token_use, clock=lambda: NOW + 1, revocation=check)
    except ConfigurationError:
        return "refused at construction"
    if mechanism == "`RevocationList.revoke_token`":
        if "origin_jti" not in claims:
            return "not coverable"
        revocations.revoke_token(
            iss=claims["iss"], origin_jti=claims["origin_jti"], cut_off_user=False
        )
    elif mechanism == "`RevocationList.revoke_user`":
        revocations.revoke_user(iss=claims["iss"], sub=claims["sub"], at=NOW)
    else:  # Cognito ends the session: GetUser and userInfo refuse the token
        idp.ended.add(token)
        userinfo.ended.add(token)
    try:
        verifier.verify(token)
    except TokenRevokedError:
        return "covered"
    except InvalidClaimError as exc:
        return "not coverable" if exc.reason == "revocation_not_checkable" else exc.reason
    return "passes: not covered"


def test_the_docs_table_of_mechanisms_and_token_kinds_is_what_the_code_does(
    userinfo: FakeUserInfo,
) -> None:
    table = _docs_table()
    assert set(table) == {
        "`RevocationList.revoke_token`",
        "`RevocationList.revoke_user`",
        "`GetUserCheck`",
        "`UserInfoCheck`",
    }
    for mechanism, cells in table.items():
        for kind, documented in cells.items():
            assert _outcome(mechanism, kind, userinfo) == documented, (mechanism, kind)
