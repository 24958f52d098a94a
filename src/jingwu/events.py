"""Live events: publish after commit, fan out to Server-Sent-Event streams.

An event is addressed to *audiences* (``org:<id>``, ``user:<id>``); a stream subscribes to the
audiences of the person watching it, so need-to-know is decided once, by the publisher.
Events carry ids and statuses, never personal data: a page that needs details fetches them
through the API, which checks permissions again.

One process: in-memory fan-out to asyncio queues. Several processes sharing PostgreSQL:
``pg_notify`` inside the writing transaction (delivered only if it commits) and a listener
thread per process that fans the notifications out locally.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

log = logging.getLogger(__name__)
CHANNEL = "jingwu_events"


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
    if connection.vendor == "postgresql":
        # NOTIFY is transactional: delivered to every listening process only on commit.
        with connection.cursor() as cur:
            cur.execute(
                "SELECT pg_notify(%s, %s)", [CHANNEL, json.dumps(event, ensure_ascii=False)]
            )
    else:
        transaction.on_commit(lambda: hub.deliver(event))


def _listen_forever(dsn: dict[str, Any]) -> None:
    import psycopg

    while True:
        try:
            with psycopg.connect(**dsn, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                for note in conn.notifies():
                    try:
                        hub.deliver(json.loads(note.payload))
                    except ValueError:
                        log.warning("dropped a malformed event")
        except Exception:  # the database went away: retry, the streams stay open
            log.exception("event listener lost its connection; retrying")
            time.sleep(1.0)


def ensure_listener() -> None:
    """On PostgreSQL, start this process's LISTEN thread once."""
    global _listener_started
    if connection.vendor != "postgresql" or _listener_started:
        return
    with _listener_lock:
        if _listener_started:
            return
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        threading.Thread(
            target=_listen_forever, args=(params,), name="jingwu-events", daemon=True
        ).start()
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
