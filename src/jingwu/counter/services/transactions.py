"""The edges' transaction: ``transaction.atomic()``, queued in-process for SQLite.

SQLite admits one writer at a time and makes the others poll for the lock (busy timeout);
polling is not a queue, so under a burst of bookings some writers lose the race for longer
than the timeout and fail with "database is locked". Taking a process-wide lock first turns
the burst into a first-come queue in this process; the busy timeout then only arbitrates
between processes. PostgreSQL needs no such help: row locks queue writers properly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

_sqlite_writer = threading.Lock()


@contextmanager
def writing() -> Iterator[None]:
    """An atomic block; on SQLite, entered by one thread of this process at a time."""
    if connection.vendor != "sqlite":
        with transaction.atomic():
            yield
        return
    with _sqlite_writer, transaction.atomic():
        yield
