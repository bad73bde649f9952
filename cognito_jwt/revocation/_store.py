"""The store protocol a revocation list writes to and reads from, and the in-process store.

A store is a map from entry keys (strings) to a number, each entry with an
expiry time.  That is all a list needs, so any shared store a fleet already
runs can hold one: DynamoDB (`DynamoDbStore`), Redis (`RedisStore`), or one
the application brings.  Both halves are there, sync and async, so
`verify_async` never blocks the event loop on a store's network round trip.

Rules every store follows:

* `get` returns `None` for a key that is absent **or expired** (DynamoDB
  deletes expired items lazily, days later; an emulator never does).
* Every failure raises (any exception): the list turns it into
  `RevocationUnavailableError` (503) unless the application chose fail-open.
  A store never answers "not revoked" because it could not look.
* `put` never lowers an entry: of two writes of one key, the later time (and
  the later expiry) wins, whichever arrives last.  A later cut-off revokes a
  superset of what an earlier one does, so two sign-outs racing from two
  processes (or a retried old write) can never reopen tokens the later one
  revoked.
* A store that has both halves but can serve only the async one (a Redis
  store given an asyncio client alone) says so with `async_only = True`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

__all__ = ["AsyncRevocationStore", "MemoryStore", "RevocationStore"]


@runtime_checkable
class RevocationStore(Protocol):
    """Where a revocation list keeps its entries (the synchronous half)."""

    def put(self, key: str, value: float, expires_at: float) -> None:
        """Store `value` under `key` until `expires_at` (epoch seconds)."""
        ...

    def get(self, keys: Sequence[str], now: float) -> list[float | None]:
        """The value of each key at `now`, `None` where absent or expired."""
        ...


@runtime_checkable
class AsyncRevocationStore(Protocol):
    """The asynchronous half, awaited by `verify_async`."""

    async def put_async(self, key: str, value: float, expires_at: float) -> None:
        """`put` without blocking the event loop."""
        ...

    async def get_async(self, keys: Sequence[str], now: float) -> list[float | None]:
        """`get` without blocking the event loop."""
        ...


class MemoryStore:
    """Entries in this process's memory: one server, tests, or a single Lambda container.

    Each process holds its own entries, so a fleet needs a shared store
    instead (a sign-out written on one instance is unknown to the others).
    Expired entries are swept out by the first read after every
    `purge_every` writes (reads bring the list's clock).

    Examples:
        >>> from cognito_jwt.revocation import MemoryStore, RevocationList
        >>> revocations = RevocationList(MemoryStore())
    """

    def __init__(self, *, purge_every: int = 1024) -> None:
        self._entries: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._writes = 0
        self._purge_every = purge_every

    def put(self, key: str, value: float, expires_at: float) -> None:
        """Store `value` under `key` until `expires_at`, never lowering either."""
        with self._lock:
            held = self._entries.get(key)
            value, expires_at = float(value), float(expires_at)
            if held is not None:
                value, expires_at = max(value, held[0]), max(expires_at, held[1])
            self._entries[key] = (value, expires_at)
            self._writes += 1

    def get(self, keys: Sequence[str], now: float) -> list[float | None]:
        """The value of each key, `None` where absent or expired at `now`."""
        entries = self._entries
        if self._writes >= self._purge_every:
            self._purge(now)
        values: list[float | None] = []
        for key in keys:
            entry = entries.get(key)
            values.append(entry[0] if entry is not None and now < entry[1] else None)
        return values

    def _purge(self, now: float) -> None:
        with self._lock:
            self._writes = 0
            for name in [k for k, (_, until) in self._entries.items() if until <= now]:
                del self._entries[name]

    async def put_async(self, key: str, value: float, expires_at: float) -> None:
        """`put`: memory never blocks."""
        self.put(key, value, expires_at)

    async def get_async(self, keys: Sequence[str], now: float) -> list[float | None]:
        """`get`: memory never blocks."""
        return self.get(keys, now)

    def __len__(self) -> int:
        return len(self._entries)
