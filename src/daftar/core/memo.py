"""Process-local caches of reference data: catalogue versions, tariffs, holidays, ledger accounts.

Filing a case read the same few rows on every request (the service version, its fee rules and the
office tariff, the city's holidays and districts, the ledger accounts), about a third of its queries
(docs/performance.md). These rows change a few times a year and only through loaders and the admin,
so each process keeps what it read:

- a value is remembered only once the transaction that read it has **committed** (``on_commit``), so
  a row written by a transaction that then rolled back is never remembered;
- an entry lives ``ttl`` seconds (reference data: 60 s), so a change made through another process is
  seen within that time; a change saved in this process clears the cache at once (the apps connect
  ``post_save``/``post_delete`` of the models concerned to ``Memo.clear``);
- each cache holds at most ``size`` entries, cleared whole when full (keys include dates).

Rows that must be current to the second (an office's licence, a bill, a case) are never cached.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from django.db import transaction

T = TypeVar("T")
REFERENCE_TTL = 60.0  # seconds

_all: list[Memo[Any]] = []


class Memo(Generic[T]):
    """One named cache: ``memo.get(key, load)`` answers from memory or calls ``load()``."""

    def __init__(self, name: str, *, ttl: float | None = REFERENCE_TTL, size: int = 4096) -> None:
        self.name, self.ttl, self.size = name, ttl, size
        self._data: dict[Hashable, tuple[float, T]] = {}
        self._lock = threading.Lock()
        _all.append(self)

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        expires = now + self.ttl if self.ttl is not None else float("inf")
        transaction.on_commit(lambda: self._remember(key, expires, value))
        return value

    def _remember(self, key: Hashable, expires: float, value: T) -> None:
        with self._lock:
            if len(self._data) >= self.size:
                self._data.clear()
            self._data[key] = (expires, value)

    def clear(self, *_args: Any, **_kwargs: Any) -> None:
        """Forget everything (usable as a signal receiver)."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


def memo_clear_all() -> None:
    """Forget every cache of this process (tests, and after a database is flushed)."""
    for memo in _all:
        memo.clear()
