"""The live checks against Cognito: end to end on moto with tokens moto issued
(`GetUser` is the call moto implements), `RevokeToken`'s call shape through a
botocore `Stubber`, `userInfo` against a loopback fake; single flight, the
rate bound, the failure policy, and what cannot be checked."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fixed_time import NOW
from revocation_stores import FakeUserInfo

from cognito_jwt import (
    CognitoJwtVerifier,
    InvalidClaimError,
    JwksCache,
    Report,
    RevocationUnavailableError,
    TokenRevokedError,
)
from cognito_jwt.revocation import GetUserCheck, MemoryStore, RevocationList, UserInfoCheck
from cognito_jwt.testing import FakeCognitoPool, ManualClock

# The application's sign-out code that docs/revocation.md shows: examples/revocation_signout.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

# -- end to end on moto -----------------------------------------------------------------------


@pytest.fixture
def moto_user(moto_cognito: Any) -> Iterator[dict[str, Any]]:
    """A fresh confirmed user of the session's moto pool, signed in (tokens moto issued)."""
    import uuid

    import boto3
    from moto_server import dummy_aws_environment

    with dummy_aws_environment(moto_cognito.endpoint_url):
        idp = boto3.client(
            "cognito-idp", region_name="us-east-1", endpoint_url=moto_cognito.endpoint_url
        )
        username, password = f"user-{uuid.uuid4().hex[:12]}", "Corr3ct-Horse-Battery!"
        idp.sign_up(ClientId=moto_cognito.client_id, Username=username, Password=password)
        idp.admin_confirm_sign_up(UserPoolId=moto_cognito.user_pool_id, Username=username)
        tokens = idp.initiate_auth(
            ClientId=moto_cognito.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )["AuthenticationResult"]
        yield {"idp": idp, "username": username, "tokens": tokens, "moto": moto_cognito}


def _moto_verifier(moto: Any, revocation: Any = None) -> CognitoJwtVerifier:
    return CognitoJwtVerifier(
        user_pool_id=moto.user_pool_id,
        token_use="access",
        client_id=moto.client_id,
        jwks_uri=moto.jwks_uri,
        allow_http=True,
        jwks_cache=JwksCache(),
        revocation=revocation,
    )


def _global_sign_out(user: dict[str, Any]) -> None:
    user["idp"].global_sign_out(AccessToken=user["tokens"]["AccessToken"])


def _admin_sign_out(user: dict[str, Any]) -> None:
    user["idp"].admin_user_global_sign_out(
        UserPoolId=user["moto"].user_pool_id, Username=user["username"]
    )


def _disable(user: dict[str, Any]) -> None:
    user["idp"].admin_disable_user(UserPoolId=user["moto"].user_pool_id, Username=user["username"])


def _delete(user: dict[str, Any]) -> None:
    user["idp"].admin_delete_user(UserPoolId=user["moto"].user_pool_id, Username=user["username"])


@pytest.mark.moto
@pytest.mark.parametrize(
    "end_session",
    [_global_sign_out, _admin_sign_out, _disable, _delete],
    ids=["GlobalSignOut", "AdminUserGlobalSignOut", "AdminDisableUser", "AdminDeleteUser"],
)
def test_get_user_check_refuses_a_token_once_its_session_ended(
    moto_user: dict[str, Any], end_session: Callable[[dict[str, Any]], None]
) -> None:
    moto, token = moto_user["moto"], moto_user["tokens"]["AccessToken"]
    clock = ManualClock(time.time())
    check = GetUserCheck(moto_user["idp"], clock=clock)
    checked, unchecked = _moto_verifier(moto, check), _moto_verifier(moto)
    assert checked.verify(token)["username"] == moto_user["username"]
    end_session(moto_user)
    clock.advance(5)  # past the "active" answer's reuse
    with pytest.raises(TokenRevokedError) as info:
        checked.verify(token)
    assert info.value.reason == "token_revoked"
    assert unchecked.verify(token)  # the signature and exp still pass: why the check exists
    assert check.calls == 2


@pytest.mark.moto
def test_the_example_sign_out_writes_the_list_that_refuses_the_old_token(
    moto_user: dict[str, Any],
) -> None:
    from revocation_signout import end_user_sessions, sign_out_everywhere

    moto, token = moto_user["moto"], moto_user["tokens"]["AccessToken"]
    revocations = RevocationList(MemoryStore())
    verifier = _moto_verifier(moto, revocations)
    claims = verifier.verify(token)
    sign_out_everywhere(moto_user["idp"], revocations, token, claims)
    with pytest.raises(TokenRevokedError):
        verifier.verify(token)
    other = RevocationList(MemoryStore())
    end_user_sessions(
        moto_user["idp"],
        other,
        user_pool_id=moto.user_pool_id,
        username=moto_user["username"],
        disable=True,
    )
    with pytest.raises(TokenRevokedError):
        _moto_verifier(moto, other).verify(token)


@pytest.mark.parametrize(
    ("cut_off_user", "other_device_verifies"), [({}, False), ({"cut_off_user": False}, True)]
)
def test_revoke_token_call_shape_then_the_list(
    pool: FakeCognitoPool, cut_off_user: dict[str, bool], other_device_verifies: bool
) -> None:
    """`sign_out_this_device` cuts the user off unless told not to, as its docstring says."""
    import boto3
    from botocore.stub import Stubber
    from revocation_signout import sign_out_this_device

    idp = boto3.client(
        "cognito-idp", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    revocations = RevocationList(MemoryStore(), clock=lambda: NOW + 1)
    verifier = pool.verifier("id", clock=lambda: NOW + 1, revocation=revocations)
    token = pool.id_token(now=NOW, origin_jti="device-1")
    claims = verifier.verify(token)
    with Stubber(idp) as stub:
        stub.add_response(
            "revoke_token", {}, {"Token": "the-refresh-token", "ClientId": pool.client_id}
        )
        sign_out_this_device(
            idp,
            revocations,
            refresh_token="the-refresh-token",
            client_id=pool.client_id,
            claims=claims,
            **cut_off_user,
        )
        stub.assert_no_pending_responses()
    with pytest.raises(TokenRevokedError) as revoked:
        verifier.verify(token)
    assert revoked.value.reason == "token_revoked"
    other_device = pool.id_token(now=NOW, origin_jti="device-2")
    if other_device_verifies:
        assert verifier.verify(other_device)["origin_jti"] == "device-2"
    else:
        with pytest.raises(TokenRevokedError) as cut_off:
            verifier.verify(other_device)
        assert cut_off.value.reason == "token_revoked"


# -- a fake Cognito: GetUser through a stand-in client ---------------------------------------


class FakeIdp:
    """A cognito-idp client stand-in: answers GetUser from a set of ended sessions."""

    class Meta:
        region_name = "us-east-1"

    meta = Meta()

    def __init__(self, *, delay: float = 0.0, error: Exception | None = None) -> None:
        self.ended: set[str] = set()
        self.calls = 0
        self.delay = delay
        self.error = error
        self.lock = threading.Lock()

    def get_user(self, *, AccessToken: str) -> dict[str, Any]:
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        if AccessToken in self.ended:
            error = Exception("Access Token has been revoked")
            error.response = {"Error": {"Code": "NotAuthorizedException"}}  # type: ignore[attr-defined]
            raise error
        return {"Username": "alice"}


def _checked(pool: FakeCognitoPool, check: Any, **kw: Any) -> CognitoJwtVerifier:
    return pool.verifier("access", clock=lambda: NOW, revocation=check, **kw)


def test_concurrent_checks_of_one_token_share_one_call(pool: FakeCognitoPool) -> None:
    idp = FakeIdp(delay=0.2)
    verifier = _checked(pool, GetUserCheck(idp), cache_size=0)
    token = pool.access_token(now=NOW)
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(verifier.verify(token))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert idp.calls == 1


def test_concurrent_async_checks_of_one_token_share_one_call(pool: FakeCognitoPool) -> None:
    idp = FakeIdp(delay=0.2)
    verifier = _checked(pool, GetUserCheck(idp), cache_size=0)
    token = pool.access_token(now=NOW)

    async def many() -> list[dict[str, Any]]:
        return await asyncio.gather(*(verifier.verify_async(token) for _ in range(8)))

    assert len(asyncio.run(many())) == 8
    assert idp.calls == 1


def test_the_rate_bound_is_a_503_unless_fail_open_which_is_reported(pool: FakeCognitoPool) -> None:
    idp = FakeIdp()
    verifier = _checked(pool, GetUserCheck(idp, max_calls_per_second=1))
    verifier.verify(pool.access_token(now=NOW, jti="one"))
    with pytest.raises(RevocationUnavailableError) as info:
        verifier.verify(pool.access_token(now=NOW, jti="two"))
    assert (info.value.status_code, info.value.reason) == (503, "revocation_rate_limited")
    reports: list[Report] = []
    open_verifier = _checked(
        pool, GetUserCheck(idp, max_calls_per_second=1, fail_open=True), on_report=reports.append
    )
    open_verifier.verify(pool.access_token(now=NOW, jti="three"))
    assert open_verifier.verify(pool.access_token(now=NOW, jti="four"))
    assert [(e.kind, e.reason) for e in reports] == [
        ("revocation_fail_open", "revocation_rate_limited")
    ]
    assert idp.calls == 2


def test_cognito_unreachable_is_a_503(pool: FakeCognitoPool) -> None:
    verifier = _checked(pool, GetUserCheck(FakeIdp(error=ConnectionError("no route"))))
    with pytest.raises(RevocationUnavailableError) as info:
        verifier.verify(pool.access_token(now=NOW))
    assert info.value.reason == "revocation_unavailable"
    assert "no route" not in info.value.message


def test_a_token_without_the_scope_get_user_needs_is_refused_not_passed(
    pool: FakeCognitoPool,
) -> None:
    idp = FakeIdp()
    verifier = _checked(pool, GetUserCheck(idp))
    m2m = pool.access_token(now=NOW, scopes=["orders/read"], username=None)
    with pytest.raises(InvalidClaimError) as info:
        verifier.verify(m2m)
    assert info.value.reason == "revocation_not_checkable"
    assert idp.calls == 0


# -- userInfo against a loopback fake -------------------------------------------------------


def test_user_info_check_asks_the_endpoint_and_refuses_an_ended_session(
    pool: FakeCognitoPool, userinfo: FakeUserInfo
) -> None:
    import requests

    with requests.Session() as session:
        clock = ManualClock(NOW)
        verifier = _checked(pool, UserInfoCheck(userinfo.url, session=session, clock=clock))
        token = pool.access_token(now=NOW, scopes=["openid", "email"])
        assert verifier.verify(token)
        assert userinfo.requests == [("/oauth2/userInfo", f"Bearer {token}")]
        userinfo.ended.add(token)
        assert verifier.verify(token)  # "active" reused for cache_ttl
        clock.advance(5)
        with pytest.raises(TokenRevokedError) as info:
            verifier.verify(token)
        assert info.value.reason == "token_revoked"
        userinfo.status_for_all = 500
        with pytest.raises(RevocationUnavailableError):
            verifier.verify(pool.access_token(now=NOW, scopes=["openid"], jti="other"))
        with pytest.raises(InvalidClaimError) as scope_info:
            verifier.verify(pool.access_token(now=NOW, scopes=["email"], jti="no-openid"))
        assert scope_info.value.reason == "revocation_not_checkable"


def test_a_live_verdict_is_checked_on_token_cache_hits(pool: FakeCognitoPool) -> None:
    idp, clock = FakeIdp(), ManualClock(NOW)
    verifier = _checked(pool, GetUserCheck(idp, clock=clock))
    token = pool.access_token(now=NOW)
    verifier.verify(token)
    verifier.verify(token)
    assert token in verifier._token_cache  # type: ignore[operator]
    idp.ended.add(token)
    clock.advance(5)
    with pytest.raises(TokenRevokedError):
        verifier.verify(token)


def test_revoked_answers_are_kept_until_exp_per_token(pool: FakeCognitoPool) -> None:
    idp, clock = FakeIdp(), ManualClock(NOW)
    verifier = _checked(pool, GetUserCheck(idp, clock=clock))
    token = pool.access_token(now=NOW)
    idp.ended.add(token)
    for _ in range(3):
        with pytest.raises(TokenRevokedError):
            verifier.verify(token)
        clock.advance(100)
    assert idp.calls == 1
