"""`RedisStore`: a revocation list shared by a fleet of web servers (redis-py).

Each entry is one Redis string under `prefix + key`, holding the entry's
time, with an absolute expiry (`SET ... PXAT`): Redis never returns an
expired key, and frees it itself.  A read is one `MGET` for the (at most
two) keys of a token.  Give the clients socket timeouts: a Redis that does
not answer must become a 503 quickly, not a hung request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cognito_jwt.errors import ConfigurationError

__all__ = ["DEFAULT_REDIS_PREFIX", "RedisStore"]

#: Prepended to every entry key, so the list shares a Redis with other data.
DEFAULT_REDIS_PREFIX = "cognito_jwt:revoked:"
#: One atomic step: keep the entry if it already holds a later time, else
#: `SET` it with its absolute expiry (a later time also expires later).  So
#: two writers racing, or a retried old write, never lower a cut-off.
_PUT_UNLESS_LATER = """
local held = redis.call('GET', KEYS[1])
if held and tonumber(held) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
return 1
"""


class RedisStore:
    """Revocation entries in Redis, through a `redis.Redis` and/or `redis.asyncio.Redis`.

    Args:
        client: a synchronous `redis.Redis` (for `verify` and the `revoke_*` methods).
        async_client: a `redis.asyncio.Redis` (for `verify_async` and the
            `revoke_*_async` methods).  With only `client`, the async path
            runs it in a worker thread; with only `async_client`, `verify()`
            is refused (`ConfigurationError` naming `verify_async`).
        prefix: prepended to every key; default `"cognito_jwt:revoked:"`.

    Examples:
        >>> import redis
        >>> from cognito_jwt.revocation import RedisStore, RevocationList
        >>> store = RedisStore(client=redis.Redis(socket_timeout=0.5))
        >>> revocations = RevocationList(store)
    """

    def __init__(
        self, *, client: Any = None, async_client: Any = None, prefix: str = DEFAULT_REDIS_PREFIX
    ) -> None:
        if client is None and async_client is None:
            raise ConfigurationError(
                "client: expected a redis.Redis, an async_client redis.asyncio.Redis, or both; "
                "found neither"
            )
        for name, value in (("client", client), ("async_client", async_client)):
            if value is not None and not all(
                callable(getattr(value, method, None)) for method in ("eval", "mget")
            ):
                raise ConfigurationError(
                    f"{name}: expected a redis-py client, found {type(value).__name__}"
                )
        if not isinstance(prefix, str):
            raise ConfigurationError(f"prefix: expected a str, found {prefix!r}")
        self.client = client
        self.async_client = async_client
        self.prefix = prefix
        #: Without a sync client only the async half works (see `RevocationList`).
        self.async_only = client is None

    def put(self, key: str, value: float, expires_at: float) -> None:
        """`SET` the entry with its absolute expiry, unless Redis holds a later time."""
        self.client.eval(
            _PUT_UNLESS_LATER, 1, self.prefix + key, repr(float(value)), _ms(expires_at)
        )

    def get(self, keys: Sequence[str], now: float) -> list[float | None]:
        """`MGET` the entries; Redis has dropped expired ones."""
        del now
        return _values(self.client.mget([self.prefix + key for key in keys]))

    async def put_async(self, key: str, value: float, expires_at: float) -> None:
        """`put` on the asyncio client (or the sync one in a worker thread)."""
        if self.async_client is None:
            import asyncio

            await asyncio.to_thread(self.put, key, value, expires_at)
            return
        await self.async_client.eval(
            _PUT_UNLESS_LATER, 1, self.prefix + key, repr(float(value)), _ms(expires_at)
        )

    async def get_async(self, keys: Sequence[str], now: float) -> list[float | None]:
        """`get` on the asyncio client (or the sync one in a worker thread)."""
        if self.async_client is None:
            import asyncio

            return await asyncio.to_thread(self.get, keys, now)
        return _values(await self.async_client.mget([self.prefix + key for key in keys]))


def _ms(expires_at: float) -> int:
    return int(expires_at * 1000) + 1


def _values(raw: Sequence[Any]) -> list[float | None]:
    return [None if value is None else float(value) for value in raw]
