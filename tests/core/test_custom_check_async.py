"""`custom_check_async`: awaited by `verify_async` after `custom_check`, on
first sight and on every token-cache hit; judged like `custom_check`; and a
verifier that has one is refused by `verify()` (naming `verify_async`) and by
every synchronous integration when it is built."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fixed_time import NOW, clock

from cognito_jwt import (
    CognitoJwtVerifier,
    ConfigurationError,
    InvalidClaimError,
    InvalidTokenError,
    JwtVerifier,
    MultiIssuerVerifier,
)
from cognito_jwt.testing import FakeCognitoPool


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_it_is_awaited_after_custom_check_on_first_sight_and_on_every_hit(
    pool: FakeCognitoPool,
) -> None:
    calls: list[str] = []

    def sync_check(header: dict[str, Any], claims: dict[str, Any]) -> bool:
        calls.append("sync")
        return True

    async def async_check(header: dict[str, Any], claims: dict[str, Any]) -> bool:
        await asyncio.sleep(0)
        calls.append(f"async:{header['kid'] == pool.id_kid}:{claims['token_use']}")
        return True

    verifier = pool.verifier(
        "id", clock=clock, custom_check=sync_check, custom_check_async=async_check
    )
    token = pool.id_token(now=NOW)

    async def twice() -> None:
        await verifier.verify_async(token)
        await verifier.verify_async(token)  # a token-cache hit

    _run(twice())
    assert token in verifier._token_cache  # type: ignore[operator]
    assert calls == ["sync", "async:True:id", "sync", "async:True:id"]


@pytest.mark.parametrize("hit", [False, True], ids=["first-sight", "cache-hit"])
@pytest.mark.parametrize(
    ("verdict", "reason"),
    [
        (False, "custom_check_failed"),
        (RuntimeError("database down"), "custom_check_failed"),
        (
            InvalidClaimError("claim tenant: expected active", reason="tenant_suspended"),
            "tenant_suspended",
        ),
    ],
    ids=["returns-false", "raises-foreign", "raises-ours"],
)
def test_a_rejecting_async_check_refuses_the_token_with_its_reason(
    pool: FakeCognitoPool, verdict: Any, reason: str, hit: bool
) -> None:
    reject = False

    async def check(header: dict[str, Any], claims: dict[str, Any]) -> bool:
        if not reject:
            return True
        if isinstance(verdict, Exception):
            raise verdict
        return bool(verdict)

    verifier = pool.verifier("id", clock=clock, custom_check_async=check)
    token = pool.id_token(now=NOW)
    if hit:
        _run(verifier.verify_async(token))
    reject = True
    with pytest.raises(InvalidTokenError) as info:
        _run(verifier.verify_async(token))
    assert info.value.reason == reason


def test_verify_refuses_naming_verify_async_on_its_first_call(pool: FakeCognitoPool) -> None:
    async def check(header: dict[str, Any], claims: dict[str, Any]) -> bool:
        return True

    reports: list[Any] = []
    verifier = pool.verifier("id", clock=clock, custom_check_async=check, on_report=reports.append)
    assert verifier.requires_async
    with pytest.raises(ConfigurationError, match="verify_async") as info:
        verifier.verify(pool.id_token(now=NOW))
    assert info.value.status_code == 500
    assert reports == []  # a wiring mistake, not a rejected token


def test_a_multi_issuer_verifier_awaits_each_members_own_check(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool
) -> None:
    seen: list[str] = []

    async def check(header: dict[str, Any], claims: dict[str, Any]) -> bool:
        seen.append(claims["iss"])
        return True

    multi = MultiIssuerVerifier(
        [
            pool.verifier("id", clock=clock, custom_check_async=check),
            other_pool.verifier("id", clock=clock),
        ]
    )
    assert multi.requires_async
    _run(multi.verify_async(pool.id_token(now=NOW)))
    _run(multi.verify_async(other_pool.id_token(now=NOW)))
    assert seen == [pool.issuer]


def test_a_plain_function_is_refused_as_custom_check_async(pool: FakeCognitoPool) -> None:
    def plain(header: dict[str, Any], claims: dict[str, Any]) -> bool:
        return True

    with pytest.raises(ConfigurationError, match="pass it as custom_check="):
        pool.verifier("id", custom_check_async=plain)
    with pytest.raises(ConfigurationError, match="async def"):
        JwtVerifier(issuer="https://i", audience=None, custom_check_async="no")  # type: ignore[arg-type]


def _async_only(pool: FakeCognitoPool) -> CognitoJwtVerifier:
    async def check(header: dict[str, Any], claims: dict[str, Any]) -> bool:
        return True

    return pool.verifier("id", clock=clock, custom_check_async=check)


def test_make_handler_refuses_a_verifier_only_verify_async_can_run(pool: FakeCognitoPool) -> None:
    from cognito_jwt.authorizer import make_handler

    with pytest.raises(ConfigurationError, match=r"make_handler: .*verify_async"):
        make_handler(_async_only(pool))


def test_flask_refuses_a_verifier_only_verify_async_can_run(pool: FakeCognitoPool) -> None:
    pytest.importorskip("flask")
    from cognito_jwt.integrations.flask import CognitoJwt, require_auth

    with pytest.raises(
        ConfigurationError, match=r"CognitoJwt\(verifier=\.\.\.\): .*requires verify_async"
    ):
        CognitoJwt(verifier=_async_only(pool))
    with pytest.raises(
        ConfigurationError, match=r"require_auth\(verifier\): .*requires verify_async"
    ):
        require_auth(_async_only(pool))


def test_fastapi_takes_a_verifier_only_verify_async_can_run(pool: FakeCognitoPool) -> None:
    pytest.importorskip("fastapi")
    from cognito_jwt.integrations.fastapi import CognitoAuth

    assert CognitoAuth(_async_only(pool)).verifier.requires_async  # type: ignore[attr-defined]
