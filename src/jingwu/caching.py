"""Process-wide caches of what every request reads and few ever change, kept fresh.

The organization tree, the areas index and the active sharing rules are read on every call;
each process keeps one copy. A copy is trusted for ``FRESH_S`` seconds after it was read or
confirmed; then the next use reads again (its ``read`` may confirm the copy with one cheap
aggregate and hand it back). A change saved in this process drops the copy at once
(``forget``, from the model's save and delete signals); one made elsewhere (another process,
a bulk ``update()``) is seen within ``FRESH_S``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

#: How long a copy is trusted without asking the database again.
FRESH_S = 2.0
#: The clock the copies are timed by (a test may move it).
clock = time.monotonic
_caches: list[Checked[object]] = []


class Checked(Generic[T]):
    """One cached value; ``read(previous)`` gives the current one (``previous`` is None after
    ``forget`` and the first time)."""

    def __init__(self, read: Callable[[T | None], T]) -> None:
        self._read = read
        self._value: T | None = None
        self._at = -math.inf
        self._forgotten = 0  # how many times forgotten: a read overtaken by a change is stale
        self._lock = threading.Lock()
        _caches.append(self)  # type: ignore[arg-type]

    def get(self) -> T:
        """The value, read again when older than ``FRESH_S`` (one thread reads, others wait)."""
        value = self._value
        if value is not None and clock() - self._at < FRESH_S:
            return value
        with self._lock:
            now = clock()
            if self._value is not None and now - self._at < FRESH_S:
                return self._value  # another thread read it while this one waited
            forgotten = self._forgotten
            value = self._read(self._value)
            self._value = value
            self._at = now if forgotten == self._forgotten else -math.inf
            return value

    def forget(self) -> None:
        """Drop the value (saved or deleted in this process): the next use reads it anew."""
        self._forgotten += 1
        self._value, self._at = None, -math.inf

    def expire(self) -> None:
        """Keep the value but have the next use ask the database whether it still holds."""
        self._forgotten += 1
        self._at = -math.inf


def expire_all() -> None:
    """Every cache asks the database again on its next use (a test's data was rolled back)."""
    for cache in _caches:
        cache.expire()
