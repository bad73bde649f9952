"""The shared stores through a verifier: a sign-out written by one process is
refused by another; an outage (a killed redis-server, a missing table) is a
503, or an accept reported to the hook when fail-open was chosen; and inside
`cache_ttl` a token-cache hit makes no store call at all (counted, not timed)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fixed_time import NOW
from revocation_stores import RedisServer, create_table

from cognito_jwt import Report, RevocationUnavailableError, TokenRevokedError, decode_unverified
from cognito_jwt.revocation import DynamoDbStore, RedisStore, RevocationList
from cognito_jwt.testing import FakeCognitoPool, ManualClock


class CallCounter:
    """Wraps a boto3 or redis-py client and counts the calls that reach it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name == "meta":
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return counted


def _sign_out(revocations: RevocationList, token: str) -> None:
    claims = decode_unverified(token)[1]
    revocations.revoke_user(iss=claims["iss"], sub=claims["sub"], at=NOW)


def _shared(store_for_each_process: Any, pool: FakeCognitoPool) -> None:
    """Two processes (two lists) on one store: the writer's sign-out reaches the reader."""
    clock = ManualClock(NOW)
    reader = pool.verifier(
        "access", clock=clock, revocation=RevocationList(store_for_each_process(), clock=clock)
    )
    writer = RevocationList(store_for_each_process(), clock=clock)
    token = pool.access_token(now=NOW)
    assert reader.verify(token)
    _sign_out(writer, token)
    clock.advance(5)
    with pytest.raises(TokenRevokedError) as info:
        reader.verify(token)
    assert info.value.reason == "token_revoked"


def test_a_sign_out_written_through_dynamodb_reaches_another_process(
    dynamodb: Any, pool: FakeCognitoPool
) -> None:
    _shared(lambda: DynamoDbStore("revocations", client=dynamodb), pool)


def test_a_sign_out_written_through_redis_reaches_another_process(
    redis_server: RedisServer, pool: FakeCognitoPool
) -> None:
    import uuid

    prefix = f"test:{uuid.uuid4()}:"
    clients = [redis_server.client(), redis_server.client()]
    _shared(lambda: RedisStore(client=clients.pop(), prefix=prefix), pool)


@pytest.mark.moto
def test_dynamodb_store_on_a_moto_server(moto_server: Any, pool: FakeCognitoPool) -> None:
    import boto3
    from moto_server import dummy_aws_environment

    with dummy_aws_environment(moto_server.url):
        client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto_server.url)
        import uuid

        table = f"revocations-{uuid.uuid4().hex[:8]}"
        create_table(client, table)
        _shared(lambda: DynamoDbStore(table, client=client), pool)


def test_a_missing_table_is_a_503_or_a_reported_accept_when_fail_open(
    dynamodb: Any, pool: FakeCognitoPool
) -> None:
    store = DynamoDbStore("no-such-table", client=dynamodb)
    closed = pool.verifier("access", clock=lambda: NOW, revocation=RevocationList(store))
    with pytest.raises(RevocationUnavailableError) as info:
        closed.verify(pool.access_token(now=NOW))
    assert (info.value.status_code, info.value.reason) == (503, "revocation_unavailable")
    reports: list[Report] = []
    opened = pool.verifier(
        "access",
        clock=lambda: NOW,
        revocation=RevocationList(store, fail_open=True),
        on_report=reports.append,
    )
    assert opened.verify(pool.access_token(now=NOW))
    assert [(e.kind, e.reason) for e in reports] == [
        ("revocation_fail_open", "revocation_unavailable")
    ]


def test_a_killed_redis_server_is_a_503_sync_and_async(
    killable_redis: RedisServer, pool: FakeCognitoPool, runner: asyncio.Runner
) -> None:
    client, async_client = killable_redis.client(), killable_redis.async_client()
    verifier = pool.verifier(
        "access",
        clock=lambda: NOW,
        revocation=RevocationList(RedisStore(client=client, async_client=async_client)),
        cache_size=0,
    )
    assert verifier.verify(pool.access_token(now=NOW, jti="before"))
    killable_redis.stop()
    with pytest.raises(RevocationUnavailableError) as info:
        verifier.verify(pool.access_token(now=NOW, jti="after"))
    assert info.value.reason == "revocation_unavailable"
    with pytest.raises(RevocationUnavailableError):
        runner.run(verifier.verify_async(pool.access_token(now=NOW, jti="after-async")))
    client.close()
    runner.run(async_client.aclose())


@pytest.mark.parametrize("kind", ["dynamodb", "redis", "redis-async"])
def test_a_token_cache_hit_inside_cache_ttl_makes_no_store_call(
    kind: str, request: pytest.FixtureRequest, pool: FakeCognitoPool, runner: asyncio.Runner
) -> None:
    clock = ManualClock(NOW)
    closers: list[Any] = []
    if kind == "dynamodb":
        counter = CallCounter(request.getfixturevalue("dynamodb"))
        store: Any = DynamoDbStore("revocations", client=counter)
    else:
        import uuid

        server: RedisServer = request.getfixturevalue("redis_server")
        if kind == "redis":
            raw = server.client()
            counter = CallCounter(raw)
            store = RedisStore(client=counter, prefix=f"test:{uuid.uuid4()}:")
            closers.append(raw.close)
        else:
            raw_async = server.async_client()
            counter = CallCounter(raw_async)
            store = RedisStore(async_client=counter, prefix=f"test:{uuid.uuid4()}:")
            closers.append(lambda: runner.run(raw_async.aclose()))
    verifier = pool.verifier(
        "access", clock=clock, revocation=RevocationList(store, cache_ttl=5, clock=clock)
    )
    token = pool.access_token(now=NOW)

    def verify() -> dict[str, Any]:
        if kind == "redis-async":
            result: dict[str, Any] = runner.run(verifier.verify_async(token))
            return result
        return verifier.verify(token)

    verify()
    reads = len(counter.calls)
    assert reads == 1
    for _ in range(200):  # token-cache hits within cache_ttl
        clock.advance(0.02)
        verify()
    assert token in verifier._token_cache  # type: ignore[operator]
    assert len(counter.calls) == reads
    clock.advance(2)  # past cache_ttl: one read again
    verify()
    assert len(counter.calls) == reads + 1
    for close in closers:
        close()
