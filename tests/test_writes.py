"""The write queue (one writer thread, batches), the SQLite ticket lock, cross-process events."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from jingwu import events, writes
from jingwu.audit import services as audit
from jingwu.audit.models import AuditEntry
from jingwu.db.sqlite3.base import TicketLock
from jingwu.errors import Invalid


def _wait_until(test: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not test():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.mark.django_db(transaction=True)
def test_waiting_jobs_commit_in_one_batch_and_a_failing_job_fails_alone() -> None:
    queue = writes.WriteQueue()
    running, release = threading.Event(), threading.Event()

    def first() -> str:
        running.set()
        release.wait(10)
        return str(audit.record(action="read", component="wq-test", object_id="first").object_id)

    def ok(i: int) -> Any:
        return lambda: audit.record(action="read", component="wq-test", object_id=f"ok-{i}")

    def bad() -> None:
        audit.record(action="read", component="wq-test", object_id="bad")
        raise Invalid("no")

    with ThreadPoolExecutor(8) as pool:
        head = pool.submit(queue.run, first)
        running.wait(10)  # the writer is inside the first batch
        oks = [pool.submit(queue.run, ok(i)) for i in range(5)]
        failing = pool.submit(queue.run, bad)
        _wait_until(lambda: queue._queue.qsize() == 6)
        release.set()
        assert head.result(10) == "first"
        hashes = [f.result(10).hash for f in oks]  # the entries, completed by the batch
        with pytest.raises(Invalid):
            failing.result(10)
    assert (queue.batches, queue.jobs) == (2, 7)  # the six waiting jobs: one transaction
    stored = AuditEntry.objects.filter(component="wq-test").order_by("id")
    assert [e.object_id for e in stored] == ["first"] + [f"ok-{i}" for i in range(5)]
    assert [e.hash for e in stored][1:] == hashes  # chained in the batch, before the commit
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_jobs_that_arrive_while_the_write_lock_is_awaited_join_that_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The writer opens its transaction (on SQLite: waits for the write lock, which another
    process's batch may hold) and only then takes every job waiting: one commit for all."""
    from django.db import transaction as real

    queue = writes.WriteQueue()
    opening, go_on = threading.Event(), threading.Event()

    @contextlib.contextmanager
    def slow_atomic() -> Any:
        opening.set()
        go_on.wait(10)  # as if another process held the write lock
        with real.atomic():
            yield

    monkeypatch.setattr(writes, "transaction", type("T", (), {"atomic": staticmethod(slow_atomic)}))

    def job(i: int) -> Any:
        return lambda: audit.record(action="read", component="wq-drain", object_id=f"j-{i}")

    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(queue.run, job(0))
        assert opening.wait(10)  # the writer took job 0 and is opening its transaction
        later = [pool.submit(queue.run, job(i)) for i in range(1, 6)]
        _wait_until(lambda: queue._queue.qsize() == 5)
        go_on.set()
        for f in [first, *later]:
            f.result(10)
    assert (queue.batches, queue.jobs) == (1, 6)
    stored = AuditEntry.objects.filter(component="wq-drain").order_by("id")
    assert [e.object_id for e in stored] == [f"j-{i}" for i in range(6)]
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_a_batch_failing_outside_its_transaction_fails_its_jobs_and_the_writer_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue = writes.WriteQueue()
    real = writes.tidy_connections
    calls = []

    def tidy_once_broken() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("connection could not be tidied")
        real()

    monkeypatch.setattr(writes, "tidy_connections", tidy_once_broken)
    with pytest.raises(RuntimeError, match="could not be tidied"):
        queue.run(lambda: audit.record(action="read", component="wq-broken", object_id="a"))
    entry = queue.run(lambda: audit.record(action="read", component="wq-broken", object_id="b"))
    assert entry.object_id == "b" and queue._thread is not None and queue._thread.is_alive()
    stored = AuditEntry.objects.filter(component="wq-broken")
    assert [e.object_id for e in stored] == ["b"]


@pytest.mark.django_db
def test_inside_a_transaction_a_job_runs_in_place() -> None:
    queue = writes.WriteQueue()
    from django.db import transaction

    with transaction.atomic():
        assert queue.run(lambda: threading.current_thread().name) == (
            threading.current_thread().name
        )
    assert queue.batches == 0


def test_the_ticket_lock_serves_waiters_in_the_order_they_came() -> None:
    lock = TicketLock()
    assert lock.acquire(1)
    served: list[int] = []

    def waiter(i: int) -> None:
        assert lock.acquire(10)
        served.append(i)
        lock.release()

    threads = []
    for i in range(6):
        t = threading.Thread(target=waiter, args=(i,))
        t.start()
        threads.append(t)
        _wait_until(lambda n=i + 1: len(lock._waiters) == n)
    lock.release()
    for t in threads:
        t.join(10)
    assert served == list(range(6))


def test_a_waiter_gives_up_after_its_timeout_and_leaves_the_line() -> None:
    lock = TicketLock()
    assert lock.acquire(1)
    assert not lock.acquire(0.05)
    assert not lock._waiters
    lock.release()
    assert lock.acquire(0.05)


def test_a_committed_event_reaches_the_other_processes_sockets_and_dead_ones_are_removed(
    tmp_path: Any,
) -> None:
    folder = events.peers.directory()
    folder.mkdir(mode=0o700, exist_ok=True)
    alive = folder / "999999991.sock"
    dead = folder / "999999992.sock"
    for p in (alive, dead):
        p.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(alive))
    gone = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    gone.bind(str(dead))
    gone.close()  # its file stays, nobody reads it: a process that died
    try:
        listener.settimeout(5)
        event = {"type": "unit.updated", "audiences": ["org:1"], "id": 7, "status": "available"}
        events._fan_out(event)
        assert json.loads(listener.recv(65536)) == event
        assert not dead.exists()
    finally:
        listener.close()
        alive.unlink(missing_ok=True)


@pytest.mark.django_db(transaction=True)
def test_a_committed_event_reaches_a_stream_of_this_process_and_the_listener_stops() -> None:
    """The path each database takes between processes: LISTEN/NOTIFY on PostgreSQL (another
    connection's NOTIFY reaches this process's hub), the socket folder on SQLite; an event of a
    rolled-back transaction never arrives."""
    import asyncio

    from django.db import connection, transaction

    async def receive() -> list[dict[str, Any]]:
        sub = events.hub.subscribe(["org:4242"])
        got: list[dict[str, Any]] = []
        try:
            await asyncio.to_thread(events.ensure_listener)
            await asyncio.sleep(0.3)  # the listener has issued LISTEN

            def write(commit: bool) -> None:
                try:
                    with transaction.atomic():
                        events.publish("t.ev", audiences=["org:4242"], n=1 if commit else 0)
                        if not commit:
                            raise RuntimeError("rolled back")
                except RuntimeError:
                    pass
                connection.close()

            await asyncio.to_thread(write, False)
            await asyncio.to_thread(write, True)
            got.append(await asyncio.wait_for(sub.queue.get(), timeout=5))
            await asyncio.sleep(0.3)
            while not sub.queue.empty():
                got.append(sub.queue.get_nowait())
        finally:
            events.hub.unsubscribe(sub)
        return got

    # A thread of its own: a browser test earlier in the session may leave a loop running here.
    with ThreadPoolExecutor(1) as pool:
        got = pool.submit(asyncio.run, receive()).result(timeout=30)
    assert [(e["type"], e["n"]) for e in got] == [("t.ev", 1)]
    if connection.vendor == "postgresql":
        thread = events._listener_thread
        assert thread is not None and thread.is_alive()
        events.stop_listener()
        assert not thread.is_alive()
        assert events._listener_thread is None


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_replays_the_batch_and_each_event_arrives_once() -> None:
    """A batch runs its jobs without savepoints first; a failure undoes it and it runs again
    with a savepoint per job. The events of the jobs that committed arrive once each (none
    from the undone first attempt), the failing job's never; on PostgreSQL they travel by
    one NOTIFY statement per batch and the listener."""
    import asyncio

    from django.db import connection

    queue = writes.WriteQueue()
    running, release = threading.Event(), threading.Event()
    runs: dict[str, int] = {}

    def job(name: str, fail: bool = False) -> Any:
        def fn() -> str:
            runs[name] = runs.get(name, 0) + 1
            if name == "first":
                running.set()
                release.wait(10)
            audit.record(action="read", component="wq-replay", object_id=name)
            events.publish("t.replay", audiences=["org:4343"], name=name)
            if fail:
                raise Invalid("no")
            return name

        return fn

    async def receive() -> list[str]:
        sub = events.hub.subscribe(["org:4343"])
        try:
            await asyncio.to_thread(events.ensure_listener)
            await asyncio.sleep(0.3)

            def submit() -> tuple[list[str], bool]:
                with ThreadPoolExecutor(8) as pool:
                    head = pool.submit(queue.run, job("first"))
                    running.wait(10)
                    names = ["a", "b", "bad", "c"]
                    futures = [pool.submit(queue.run, job(n, fail=n == "bad")) for n in names]
                    _wait_until(lambda: queue._queue.qsize() == 4)
                    release.set()
                    done = [head.result(10)]
                    failed = False
                    for f in futures:
                        try:
                            done.append(f.result(10))
                        except Invalid:
                            failed = True
                connection.close()
                return done, failed

            done, failed = await asyncio.to_thread(submit)
            assert done == ["first", "a", "b", "c"] and failed
            got = []
            deadline = asyncio.get_running_loop().time() + 5
            while len(got) < 4 and asyncio.get_running_loop().time() < deadline:
                with contextlib.suppress(TimeoutError):
                    got.append((await asyncio.wait_for(sub.queue.get(), timeout=1))["name"])
            await asyncio.sleep(0.3)
            while not sub.queue.empty():
                got.append(sub.queue.get_nowait()["name"])
            return got
        finally:
            events.hub.unsubscribe(sub)

    with ThreadPoolExecutor(1) as pool:
        got = pool.submit(asyncio.run, receive()).result(timeout=60)
    assert sorted(got) == ["a", "b", "c", "first"]  # once each; "bad" never
    # The second batch stopped at "bad" and ran again with savepoints ("c" had not run yet).
    assert runs == {"first": 1, "a": 2, "b": 2, "bad": 2, "c": 1}
    stored = AuditEntry.objects.filter(component="wq-replay").order_by("id")
    assert [e.object_id for e in stored] == ["first", "a", "b", "c"]
    assert audit.verify_chain().ok
    if connection.vendor == "postgresql":
        events.stop_listener()
