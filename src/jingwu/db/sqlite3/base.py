"""Django's SQLite backend, with its write transactions queued in order of arrival.

Every transaction here is ``BEGIN IMMEDIATE`` (settings): it takes SQLite's one write lock at
the start. SQLite makes the others poll for that lock, sleeping longer and longer between
tries; under load a transaction can lose the race for seconds while later ones pass. This
backend queues them instead: a thread takes this process's ticket lock (first come, first
served, handed from one holder to the next) and then a file lock beside the database file
(the kernel queues the processes sharing the file) before ``BEGIN``, and gives both back at
commit or rollback. SQLite's own busy timeout is left for writers outside this scheme
(statements outside a transaction, other programs). A wait longer than the configured
timeout fails as SQLite would: ``database is locked``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections import deque

from django.db import OperationalError
from django.db.backends.sqlite3 import base


class TicketLock:
    """A lock handed to its waiters in the order they asked for it."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            try:
                self._waiters.remove(turn)
            except ValueError:  # handed over just as the wait ended: it is ours
                return True
        return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().set()  # straight to the next in line
            else:
                self._held = False


class _Gate:
    """The ticket lock of this process and the file lock of one database file."""

    def __init__(self, path: str | None) -> None:
        self.ticket = TicketLock()
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600) if path else None

    def enter(self, timeout: float) -> None:
        if not self.ticket.acquire(timeout):
            raise OperationalError("database is locked")
        if self.fd is not None:
            try:  # the kernel queues the processes; a holder is a transaction, it ends
                fcntl.flock(self.fd, fcntl.LOCK_EX)
            except BaseException:
                self.ticket.release()
                raise

    def leave(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.ticket.release()


_gates: dict[str, _Gate] = {}
_gates_lock = threading.Lock()


def gate_for(name: str) -> _Gate:
    """The gate of one database file (one per process and file)."""
    with _gates_lock:
        if name not in _gates:
            in_memory = name.startswith(("file:", ":memory:")) or name == ""
            _gates[name] = _Gate(None if in_memory else _lock_path(name))
        return _gates[name]


def _lock_path(name: str) -> str:
    """The file lock of a database: beside it (its folder is writable, as SQLite needs)."""
    return f"{os.path.abspath(name)}-writer.lock"


class DatabaseWrapper(base.DatabaseWrapper):
    """SQLite; transactions enter through the database file's gate."""

    _in_gate = False

    def _gate(self) -> _Gate:
        return gate_for(str(self.settings_dict["NAME"]))

    def _timeout(self) -> float:
        return float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))

    def _start_transaction_under_autocommit(self) -> None:
        gate = self._gate()
        gate.enter(self._timeout())
        self._in_gate = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._leave_gate()
            raise

    def _leave_gate(self) -> None:
        if self._in_gate:
            self._in_gate = False
            self._gate().leave()

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._leave_gate()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._leave_gate()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._leave_gate()
