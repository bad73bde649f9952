"""Every revocation store keeps the store contract: a value until its expiry,
`None` for a missing or expired key, both halves (sync and async), and any
failure raised, never answered as "not revoked".  Against the real things: a
`redis-server` the tests start, DynamoDB on moto."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from revocation_stores import RedisServer

from cognito_jwt import ConfigurationError
from cognito_jwt.revocation import DynamoDbStore, MemoryStore, RedisStore

NOW = 1_800_000_000.0

StoreFactory = Callable[[], Any]


@pytest.fixture(params=["memory", "dynamodb", "redis", "redis-async", "redis-async-only"])
def store(request: pytest.FixtureRequest, runner: asyncio.Runner) -> Iterator[Any]:
    kind = request.param
    if kind == "memory":
        yield MemoryStore()
    elif kind == "dynamodb":
        yield DynamoDbStore("revocations", client=request.getfixturevalue("dynamodb"))
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        prefix = f"test:{uuid.uuid4()}:"
        sync = server.client() if kind != "redis-async-only" else None
        async_client = server.async_client() if kind != "redis" else None
        yield RedisStore(client=sync, async_client=async_client, prefix=prefix)
        if sync is not None:
            sync.close()
        if async_client is not None:
            runner.run(async_client.aclose())


def _put(runner: asyncio.Runner, store: Any, key: str, value: float, expires_at: float) -> None:
    if getattr(store, "async_only", False):
        runner.run(store.put_async(key, value, expires_at))
    else:
        store.put(key, value, expires_at)


def _both_reads(
    runner: asyncio.Runner, store: Any, keys: list[str], now: float
) -> list[list[float | None]]:
    """The sync read (where the store has one) and the async read of `keys`."""

    async def read_async() -> list[float | None]:
        result: list[float | None] = await store.get_async(keys, now)
        return result

    reads = [runner.run(read_async())]
    if not getattr(store, "async_only", False):
        reads.append(store.get(keys, now))
    return reads


def test_a_written_entry_is_read_back_and_a_missing_key_is_none(
    store: Any, runner: asyncio.Runner
) -> None:
    now = time.time()  # Redis expires by its own clock: these tests use real time
    _put(runner, store, "a", now - 10, now + 3600)
    for values in _both_reads(runner, store, ["a", "missing"], now):
        assert values == [now - 10, None]


def test_a_later_write_of_an_entry_raises_its_time(store: Any, runner: asyncio.Runner) -> None:
    now = time.time()
    _put(runner, store, "a", now - 10, now + 3600)
    _put(runner, store, "a", now - 5, now + 3600)
    for values in _both_reads(runner, store, ["a"], now):
        assert values == [now - 5]


def test_an_earlier_time_written_last_never_lowers_an_entry(
    store: Any, runner: asyncio.Runner
) -> None:
    """Two sign-outs racing (or a retried old write): the later cut-off stays."""
    now = time.time()
    _put(runner, store, "a", now - 5, now + 3600)
    _put(runner, store, "a", now - 10, now + 1800)
    for values in _both_reads(runner, store, ["a"], now):
        assert values == [now - 5]
    for values in _both_reads(runner, store, ["a"], now + 2400):
        assert values == [now - 5]


@pytest.mark.parametrize("kind", ["memory", "dynamodb"])
def test_an_expired_entry_is_ignored_on_read_though_not_yet_deleted(
    kind: str, request: pytest.FixtureRequest
) -> None:
    store: Any = (
        MemoryStore()
        if kind == "memory"
        else DynamoDbStore("revocations", client=request.getfixturevalue("dynamodb"))
    )
    store.put("old", NOW - 100, NOW - 1)
    store.put("new", NOW - 100, NOW + 100)
    assert store.get(["old", "new"], NOW) == [None, NOW - 100]
    assert store.get(["old", "new"], NOW - 2) == [NOW - 100, NOW - 100]


def test_redis_drops_an_entry_at_its_expiry(redis_server: RedisServer) -> None:
    client = redis_server.client()
    store = RedisStore(client=client, prefix=f"test:{uuid.uuid4()}:")
    store.put("soon", NOW, time.time() - 1)  # already past: Redis never returns it
    assert store.get(["soon"], NOW) == [None]
    client.close()


def test_memory_store_sweeps_expired_entries() -> None:
    store = MemoryStore(purge_every=4)
    for i in range(4):
        store.put(f"k{i}", NOW, NOW + i)  # k0 expires at NOW, k1 at NOW + 1, ...
    store.get(["k3"], NOW + 2)
    assert len(store) == 1


def test_dynamodb_items_follow_the_documented_schema(dynamodb: Any) -> None:
    DynamoDbStore("revocations", client=dynamodb).put("key", NOW, NOW + 86_405.5)
    item = dynamodb.get_item(TableName="revocations", Key={"pk": {"S": "key"}})["Item"]
    assert set(item) == {"pk", "at", "expires_at"}
    assert float(item["at"]["N"]) == NOW
    assert int(item["expires_at"]["N"]) >= NOW + 86_405.5  # TTL: whole seconds, never early
    ttl = dynamodb.describe_time_to_live(TableName="revocations")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"


def test_dynamodb_store_missing_table_raises(dynamodb: Any) -> None:
    store = DynamoDbStore("no-such-table", client=dynamodb)
    with pytest.raises(Exception, match=r"ResourceNotFound|not found|Requested resource"):
        store.get(["a"], NOW)


def test_redis_store_raises_once_the_server_is_gone(
    killable_redis: RedisServer, runner: asyncio.Runner
) -> None:
    client, async_client = killable_redis.client(), killable_redis.async_client()
    store = RedisStore(client=client, async_client=async_client)
    store.put("a", NOW, NOW + 3600)
    killable_redis.stop()
    with pytest.raises(Exception, match=r"(?i)connect|refused|closed"):
        store.get(["a"], NOW)
    with pytest.raises(Exception, match=r"(?i)connect|refused|closed"):
        runner.run(store.get_async(["a"], NOW))
    client.close()
    runner.run(async_client.aclose())


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (RedisStore, "found neither"),
        (lambda: RedisStore(client=object()), "redis-py client"),
        (lambda: RedisStore(client=None, async_client="redis://"), "redis-py client"),
        (lambda: DynamoDbStore("", client=None), "table_name"),
        (lambda: DynamoDbStore("t", client=None), "boto3 dynamodb client"),
        (lambda: DynamoDbStore("t", client=object()), "boto3 dynamodb client"),
    ],
    ids=[
        "no-client",
        "not-a-client",
        "url-as-client",
        "empty-table",
        "no-boto3-client",
        "not-a-boto3-client",
    ],
)
def test_a_store_built_wrongly_is_refused(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build()
