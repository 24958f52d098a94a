"""The write queue: short write jobs run by one writer thread, many to a transaction.

A request that writes hands its job (a function) to :func:`run` and waits. The writer thread
takes the jobs first come, first served, runs up to ``MAX_BATCH`` of those waiting in one
transaction (those that arrive while it waits for the write lock included), each job in its
own savepoint, and commits once: one commit (one fsync on SQLite) for the whole batch. A job
that raises rolls back only its savepoint and gets its own exception; the others commit. ``run`` returns only after the commit, so an answer given on
its result describes committed data. If the commit itself fails, every job of the batch gets
that error and nothing of the batch is written.

Why: SQLite admits one writer at a time and makes the others poll for its lock with growing
sleeps, so with many request threads some wait seconds while others pass; PostgreSQL's
audit chain serialises writers the same way (one advisory lock). One writer thread turns
that into a queue, and the batch pays the commit once.

Jobs must be short and must not wait for other requests. A batch first runs its jobs one
after the other without savepoints; when one raises, the transaction is rolled back and the
batch runs again with a savepoint per job, so a job must be safe to run again after a
rollback (it writes only to the database and sets up anew any object it was given).
Thread-local state a job needs is carried over: the caller's active language (messages are
translated in the job). Events the jobs publish are sent together before the commit
(:func:`jingwu.events.batch`). Audit rows
the jobs record are appended to the chain together just before the commit
(:func:`jingwu.audit.services.batch`), so the chain's lock is held for the insert and the
commit only.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection, connections, transaction
from django.utils import translation

from jingwu import events
from jingwu.audit import services as audit
from jingwu.batching import Pending

T = TypeVar("T")
#: Writes several items at once: (item, caller's language) pairs (see ``WriteQueue.run_many``).
WriteMany = Callable[[list[tuple[Any, str | None]]], None]
log = logging.getLogger(__name__)
MAX_BATCH = 64
IDLE_CLOSE_S = 0.5


@dataclass(eq=False)
class _Job:
    fn: Callable[[], Any]
    language: str | None
    many: WriteMany | None = None
    item: Any = None
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class WriteQueue:
    """One writer thread (started on first use) and its queue."""

    def __init__(self, max_batch: int = MAX_BATCH) -> None:
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.jobs = 0

    def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in the writer's transaction; return its result once committed."""
        return self._run_job(fn, None, None)

    def run_many(self, many: WriteMany, item: Any) -> None:
        """Write ``item`` with ``many``, together with the other items of the batch for it.

        ``many`` gets a list of (item, language) pairs and writes them all, one statement per
        table instead of one per item. When a job of the batch fails, the batch runs again
        one job at a time, each item then alone in its list.
        """
        language = translation.get_language()
        self._run_job(lambda: many([(item, language)]), many, item)

    def _run_job(self, fn: Callable[[], T], many: WriteMany | None, item: Any) -> T:
        if connection.in_atomic_block:  # already inside a transaction: just a savepoint there
            with transaction.atomic():
                return fn()
        self._start()
        job = _Job(fn, translation.get_language(), many, item)
        self._queue.put(job)
        while not job.done.wait(1.0):
            self._start()  # should the writer ever have died, another one takes the job
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[no-any-return]

    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="jingwu-writer", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_CLOSE_S)
            except queue.Empty:  # idle: give the connection back (a test may drop the database)
                try:
                    connections.close_all()
                except Exception:  # a connection that fails to close is dropped all the same
                    log.exception("write queue: closing an idle connection failed")
                first = self._queue.get()
            jobs = [first]
            while len(jobs) < self.max_batch:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._batch(jobs)
            except Exception as exc:  # outside the batch's own handling (its connection could
                # not be tidied or closed): the jobs get the error; the writer goes on
                log.exception("write queue: a batch failed outside its transaction")
                for job in jobs:
                    if job.error is None:
                        job.error, job.result = exc, None
            finally:
                for job in jobs:
                    job.done.set()

    def _batch(self, jobs: list[_Job]) -> None:
        tidy_connections()  # the writer keeps its connection; a broken one is replaced
        # First all jobs in one transaction without savepoints (on PostgreSQL two round
        # trips fewer per job); if one raises, that is undone whole and the batch runs again,
        # each job in its own savepoint, so only the failing one gets its error.
        if not self._run(jobs, savepoints=False):
            self._run(jobs, savepoints=True)
        self.batches += 1
        self.jobs += len(jobs)

    def _run(self, jobs: list[_Job], *, savepoints: bool) -> bool:
        """One attempt at the batch; False when a job failed without savepoints (undone).

        On the first attempt (no savepoints) the jobs that arrived while the transaction
        waited for the write lock (on SQLite, while another process's batch held it) join this
        batch: ``jobs`` grows in place, and the lock is taken once for all of them.
        """
        for job in jobs:
            job.result, job.error = None, None
        try:
            with transaction.atomic(), audit.batch() as rows, events.batch() as notices:
                while not savepoints and len(jobs) < self.max_batch:
                    try:
                        jobs.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                pending = (rows, notices)
                if savepoints:
                    _run_each(jobs, pending)
                else:
                    _run_together(jobs)
                for p in pending:  # audit rows chained, then events sent, just before commit
                    p.flush()
        except Exception as exc:  # a job failed (no savepoints) or the commit failed
            if not savepoints:
                return False
            for job in jobs:
                if job.error is None:
                    job.error = exc
                    job.result = None
            connection.close()
        return True


def _run_each(jobs: list[_Job], pending: tuple[Pending[Any], ...]) -> None:
    """Run the jobs one by one, each in its savepoint; a failing one rolls back alone (with
    what it recorded) and keeps its error."""
    for job in jobs:
        marks = [p.mark() for p in pending]
        try:
            with transaction.atomic(), translation.override(job.language):
                job.result = job.fn()
        except Exception as exc:  # this job's own error, its savepoint undone
            for p, mark in zip(pending, marks, strict=True):
                p.undo(mark)
            job.error = exc


def _run_together(jobs: list[_Job]) -> None:
    """Run the jobs in order, those next to each other with the same ``many`` in one call."""
    i = 0
    while i < len(jobs):
        job = jobs[i]
        if job.many is None:
            with translation.override(job.language):
                job.result = job.fn()
            i += 1
            continue
        j = i + 1
        while j < len(jobs) and jobs[j].many is job.many:
            j += 1
        job.many([(other.item, other.language) for other in jobs[i:j]])
        i = j


def tidy_connections() -> None:
    """Keep this thread's connections open across requests unless unsound.

    A long-lived thread (the writer, the server's request threads) keeps its connection
    rather than reconnecting each time (``CONN_MAX_AGE`` 0 is for per-request threads); it is
    closed when an error left it unusable or a transaction was left open.
    """
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.in_atomic_block or conn.get_autocommit() != conn.settings_dict["AUTOCOMMIT"]:
            conn.close()
        elif conn.errors_occurred:
            if conn.is_usable():
                conn.errors_occurred = False
            else:
                conn.close()


_queues: dict[str, WriteQueue] = {}
_queues_lock = threading.Lock()


def writer(alias: str = "default") -> WriteQueue:
    """This process's write queue (one per database alias)."""
    with _queues_lock:
        if alias not in _queues:
            _queues[alias] = WriteQueue()
        return _queues[alias]


def run(fn: Callable[[], T]) -> T:
    """Run a write job through this process's writer; see the module's documentation."""
    return writer().run(fn)


def run_many(many: WriteMany, item: Any) -> None:
    """Write ``item`` with ``many`` through this process's writer (``WriteQueue.run_many``)."""
    writer().run_many(many, item)
