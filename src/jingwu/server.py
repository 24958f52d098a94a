"""The ASGI application ``jingwu serve`` runs: synchronous requests on a fixed pool of threads.

Django's own ASGI handler runs each request's synchronous code (middleware, view) in a thread
made for that request, hopping between the event loop and that thread at every synchronous
middleware. Under load that is a new thread and a dozen hand-offs per request, and as many
threads as requests in flight competing for the interpreter lock and the database's write
lock. Here every request except the live-event streams is handled start to finish by one
call of Django's synchronous handler on one of a few long-lived threads, taken first come,
first served from one queue. The streams (``/events/``, asynchronous views that stay open)
go to Django's asynchronous handler as before.

Database connections: a pool thread keeps its connection across requests (reset when it
errored, or left a transaction open); requests on per-request threads close theirs as
before (``CONN_MAX_AGE`` is 0 for them).
"""

from __future__ import annotations

import asyncio
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core import signals
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections
from django.http import FileResponse, HttpResponse
from django.urls import set_script_prefix

# Paths served by Django's asynchronous handler (long-lived streams).
ASYNC_PREFIXES = ("/events/",)
_local = threading.local()


def threads() -> int:
    """Request threads per process (``JINGWU_THREADS``, default 8).

    An intake call holds its thread while the write queue commits it, so a process needs
    more threads than cores to keep its core busy and its write batches full: with 64
    clients on two processes, 4 threads each answered 351 calls/s, 8 answered 384-422 and 16
    answered 392-448 (``bench.intake --threads``, one session): 8 is most of the gain with
    half the connections to the database.
    """
    return max(1, int(os.environ.get("JINGWU_THREADS", "8")))


def _on_pool_thread() -> bool:
    return bool(getattr(_local, "pooled", False))


def _mark_pooled() -> None:
    _local.pooled = True


def _tidy_connections(**_: Any) -> None:
    """``close_old_connections`` for per-request threads; pool threads keep a sound connection."""
    if not _on_pool_thread():
        close_old_connections()
        return
    from jingwu.writes import tidy_connections  # after django.setup(): it imports models

    tidy_connections()


def install_connection_policy() -> None:
    """Replace Django's per-request connection closing by :func:`_tidy_connections`."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.request_started.connect(_tidy_connections, dispatch_uid="jingwu-tidy-start")
    signals.request_finished.connect(_tidy_connections, dispatch_uid="jingwu-tidy-finish")


class _SyncHandler(BaseHandler):
    def __init__(self) -> None:
        super().__init__()
        self.load_middleware(is_async=False)


class PooledASGIHandler(ASGIHandler):
    """Django's ASGI handler, with synchronous requests run whole on a fixed thread pool."""

    def __init__(self, n_threads: int | None = None) -> None:
        super().__init__()
        self._sync = _SyncHandler()
        self._pool = ThreadPoolExecutor(
            n_threads or threads(), thread_name_prefix="jingwu-req", initializer=_mark_pooled
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        if scope["type"] != "http" or scope["path"].startswith(ASYNC_PREFIXES):
            return await super().__call__(scope, receive, send)
        try:
            body_file = await self.read_body(receive)
        except Exception:  # RequestAborted: the client went away before its body arrived
            return
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(self._pool, self._respond, scope, body_file)
            await self.send_response(response, send)
        finally:
            body_file.close()
        if response.streaming:
            await loop.run_in_executor(self._pool, response.close)

    def _respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponse:
        """The whole synchronous request on this pool thread; the body is produced here too."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=ASGIHandler, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self._sync.get_response(request)
        response._handler_class = ASGIHandler
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            response.close()  # request_finished: connections tidied on this thread
        return response


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def get_application() -> PooledASGIHandler:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
    warnings.filterwarnings(
        "ignore", message="StreamingHttpResponse must consume synchronous iterators"
    )
    django.setup(set_prefix=False)
    install_connection_policy()
    app = PooledASGIHandler()
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Leave the objects of start-up (modules, settings, URL patterns) out of later collections.

    The interpreter's full (oldest-generation) collection walks every container object the
    process holds; in a started Django process that is a few hundred thousand, and each full
    collection stopped the process for about 110 ms, several times a minute under intake
    load (every request in flight waited, and the writer held the database's write lock
    meanwhile). Start-up objects live as long as the process, so after loading the URL
    patterns (which imports every view) they are collected once and frozen: later full
    collections walk only what was made since, a few milliseconds (measured with
    ``gc.callbacks``: 7 full collections of 86–126 ms in a minute of load, against 14 of at
    most 11 ms once frozen).
    """
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module now
    gc.collect()
    gc.freeze()
