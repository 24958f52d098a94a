"""Things the jobs of one write batch record, handed on together just before its commit.

The write queue (:mod:`jingwu.writes`) runs many jobs in one transaction. What they record
on the way — audit rows (:mod:`jingwu.audit.services`), live events (:mod:`jingwu.events`) —
is collected per thread while the batch is open and sent once at its end: one chain append,
one NOTIFY statement. A job that rolls back takes back what it recorded (``mark``/``undo``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class Pending(Generic[T]):
    """What the jobs of the open batch recorded, not sent yet."""

    def __init__(self, send: Callable[[list[T]], None]) -> None:
        self.items: list[T] = []
        self._send = send

    def mark(self) -> int:
        return len(self.items)

    def undo(self, mark: int) -> None:
        """Forget what was recorded since ``mark`` (the job that recorded it rolled back)."""
        del self.items[mark:]

    def flush(self) -> None:
        """Send what was recorded; call inside the batch's transaction, last thing."""
        items, self.items = self.items, []
        if items:
            self._send(items)


class PerThread(Generic[T]):
    """At most one open batch per thread, for one kind of record."""

    def __init__(self, what: str, send: Callable[[list[T]], None]) -> None:
        self._what = what
        self._send = send
        self._local = threading.local()

    def current(self) -> Pending[T] | None:
        """This thread's open batch, if any."""
        return getattr(self._local, "pending", None)  # type: ignore[no-any-return]

    @contextmanager
    def open(self) -> Iterator[Pending[T]]:
        """Within this block, on this thread, records defer to the returned batch."""
        if self.current() is not None:
            raise RuntimeError(f"{self._what} batches do not nest")
        self._local.pending = pending = Pending(self._send)
        try:
            yield pending
        finally:
            self._local.pending = None
