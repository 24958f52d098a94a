"""Live events: publish after commit, fan out to Server-Sent-Event streams.

An event is addressed to *audiences* (``org:<id>``, ``user:<id>``); a stream subscribes to the
audiences of the person watching it, so need-to-know is decided once, by the publisher.
Events carry ids and statuses, never personal data: a page that needs details fetches them
through the API, which checks permissions again.

One process: in-memory fan-out to asyncio queues. Several processes sharing PostgreSQL:
``pg_notify`` inside the writing transaction (delivered only if it commits) and a listener
thread per process that fans the notifications out locally. Several processes sharing one
SQLite file (``jingwu serve --workers``): after the commit, the event also goes as a datagram
to every other process of that database that has streams open (a Unix socket each, in a
directory named after the database file; see :class:`Peers`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import json
import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from jingwu.batching import PerThread

log = logging.getLogger(__name__)
CHANNEL = "jingwu_events"
SEND_TIMEOUT_S = 1.0


@dataclass(eq=False)
class Subscription:
    """One open stream: its audiences, its queue and the loop that owns the queue."""

    audiences: frozenset[str]
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=1000)
    )


class Hub:
    """The in-process fan-out."""

    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self, audiences: Iterable[str]) -> Subscription:
        sub = Subscription(frozenset(audiences), asyncio.get_running_loop())
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def deliver(self, event: dict[str, Any]) -> None:
        """Hand an event to every subscription sharing one of its audiences (thread-safe)."""
        targets = set(event.get("audiences", ()))
        with self._lock:
            subs = [s for s in self._subs if s.audiences & targets]
        for s in subs:
            try:
                s.loop.call_soon_threadsafe(_put, s.queue, event)
            except RuntimeError:  # the stream's loop has closed
                self.unsubscribe(s)

    @property
    def size(self) -> int:
        return len(self._subs)


def _put(queue: asyncio.Queue[dict[str, Any]], event: dict[str, Any]) -> None:
    if queue.full():  # a stalled client loses its oldest events, not the server its memory
        queue.get_nowait()
    queue.put_nowait(event)


hub = Hub()
_listener_started = False
_listener_lock = threading.Lock()


def publish(kind: str, *, audiences: Iterable[str], **data: Any) -> None:
    """Publish an event once the current transaction commits (never for a rolled-back write)."""
    event = {"type": kind, "audiences": sorted(set(audiences)), "at": time.time(), **data}
    pending = _pending.current()
    if pending is not None and connection.in_atomic_block:
        pending.items.append(event)  # sent with the others of the write batch
    elif connection.vendor == "postgresql":
        # NOTIFY is transactional: delivered to every listening process only on commit.
        with connection.cursor() as cur:
            cur.execute(
                "SELECT pg_notify(%s, %s)", [CHANNEL, json.dumps(event, ensure_ascii=False)]
            )
    else:
        transaction.on_commit(lambda: _fan_out(event))


def _send(events: list[dict[str, Any]]) -> None:
    """A write batch's events: one statement of ``pg_notify`` calls on PostgreSQL (delivered
    on commit), one commit hook on SQLite."""
    if connection.vendor == "postgresql":
        calls = ", ".join(["pg_notify(%s, %s)"] * len(events))
        params: list[str] = []
        for event in events:
            params += [CHANNEL, json.dumps(event, ensure_ascii=False)]
        with connection.cursor() as cur:
            cur.execute(f"SELECT {calls}", params)
    else:
        transaction.on_commit(lambda: [_fan_out(e) for e in events])


#: The events of an open write batch (:mod:`jingwu.writes`), sent together before its commit.
_pending: PerThread[dict[str, Any]] = PerThread("event", _send)
batch = _pending.open


def _fan_out(event: dict[str, Any]) -> None:
    hub.deliver(event)
    peers.send(event)


class Peers:
    """The other processes on this SQLite database that have live streams open.

    Each such process binds a datagram socket ``<pid>.sock`` in a directory of the temporary
    directory named after the database file, and a thread hands what arrives to its hub. A
    publisher sends each committed event to every socket there but its own; the socket of a
    process that died is removed when a send is refused. Events are small (ids, statuses).
    """

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        self._out: socket.socket | None = None
        self._names: list[str] = []
        self._listed_at = 0
        self._dir: tuple[str, Path] | None = None
        self._lock = threading.Lock()

    def directory(self) -> Path:
        name = os.path.abspath(str(connection.settings_dict["NAME"]))
        if self._dir is None or self._dir[0] != name:
            digest = hashlib.sha256(name.encode()).hexdigest()[:16]
            self._dir = (name, Path(tempfile.gettempdir()) / f"jingwu-events-{digest}")
        return self._dir[1]

    def listen(self) -> None:
        """Bind this process's socket and start its receiving thread (once)."""
        with self._lock:
            if self._sock is not None:
                return
            folder = self.directory()
            folder.mkdir(mode=0o700, exist_ok=True)
            st = folder.stat()
            if st.st_uid != os.getuid() or st.st_mode & 0o077:  # only ours may send us events
                log.error("%s is not private to this user: no events from other processes", folder)
                return
            path = folder / f"{os.getpid()}.sock"
            path.unlink(missing_ok=True)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(path))
            atexit.register(_remove, path)
            self._sock = sock
        threading.Thread(
            target=self._receive, args=(sock,), name="jingwu-peers", daemon=True
        ).start()

    def _receive(self, sock: socket.socket) -> None:
        while True:
            data = sock.recv(65536)
            try:
                hub.deliver(json.loads(data))
            except ValueError:
                log.warning("dropped a malformed event")

    def send(self, event: dict[str, Any]) -> None:
        """Send ``event`` to the other processes' sockets."""
        with self._lock:
            self._send(event)

    def _send(self, event: dict[str, Any]) -> None:
        folder = self.directory()
        try:
            st = folder.stat()
        except OSError:
            return
        if st.st_uid != os.getuid() or st.st_mode & 0o077:
            return
        changed = st.st_mtime_ns  # a socket bound or removed since the last look
        if changed != self._listed_at:
            own = f"{os.getpid()}.sock"
            try:
                self._names = [str(p) for p in folder.glob("*.sock") if p.name != own]
            except OSError:
                self._names = []
            self._listed_at = changed
        if not self._names:
            return
        if self._out is None:
            # A socket queues only a few datagrams (net.unix.max_dgram_qlen): a send waits for
            # a busy receiver to catch up, up to a second; a stalled one loses the event.
            self._out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._out.settimeout(SEND_TIMEOUT_S)
        data = json.dumps(event, ensure_ascii=False).encode("utf-8")
        for name in list(self._names):
            try:
                self._out.sendto(data, name)
            except (ConnectionRefusedError, FileNotFoundError):  # that process is gone
                Path(name).unlink(missing_ok=True)
                self._names.remove(name)
            except OSError:  # still full after the timeout: that process is stalled
                log.warning("an event to %s was dropped", name)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


peers = Peers()


_listener_stop = threading.Event()
_listener_thread: threading.Thread | None = None


def _listen_forever(dsn: dict[str, Any]) -> None:
    import psycopg

    while not _listener_stop.is_set():
        try:
            with psycopg.connect(**dsn, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                while not _listener_stop.is_set():  # wakes each second to see if it must stop
                    for note in conn.notifies(timeout=1.0):
                        try:
                            hub.deliver(json.loads(note.payload))
                        except ValueError:
                            log.warning("dropped a malformed event")
        except Exception:  # the database went away: retry, the streams stay open
            log.exception("event listener lost its connection; retrying")
            _listener_stop.wait(1.0)


def stop_listener(timeout: float = 5.0) -> None:
    """Stop this process's LISTEN thread and close its connection (before dropping a database)."""
    global _listener_started, _listener_thread
    with _listener_lock:
        thread, _listener_thread = _listener_thread, None
        if thread is None:
            return
        _listener_stop.set()
        thread.join(timeout)
        _listener_stop.clear()
        _listener_started = False


def ensure_listener() -> None:
    """Start this process's receiving thread once: LISTEN on PostgreSQL, a socket on SQLite."""
    global _listener_started, _listener_thread
    if connection.vendor == "sqlite":
        peers.listen()
        return
    if connection.vendor != "postgresql" or _listener_started:
        return
    with _listener_lock:
        if _listener_started:
            return
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        _listener_thread = threading.Thread(
            target=_listen_forever, args=(params,), name="jingwu-events", daemon=True
        )
        _listener_thread.start()
        _listener_started = True


async def stream(audiences: Iterable[str], *, heartbeat_s: float = 15.0) -> AsyncIterator[str]:
    """Server-Sent Events text for a subscriber: ``event``/``data`` frames and heartbeats."""
    sub = hub.subscribe(audiences)
    try:
        yield "retry: 2000\n: connected\n\n"
        while True:
            try:
                event = await asyncio.wait_for(sub.queue.get(), timeout=heartbeat_s)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            payload = {k: v for k, v in event.items() if k != "audiences"}
            yield f"event: {event['type']}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
    finally:
        hub.unsubscribe(sub)
