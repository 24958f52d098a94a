"""Writing and verifying the audit chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from jingwu.audit.models import Action, AuditEntry, Outcome
from jingwu.batching import PerThread
from jingwu.db.insert import insert

GENESIS = "0" * 64
# One key for PostgreSQL's advisory lock that serialises appends, so the chain stays linear.
_PG_LOCK_KEY = 0x4A494E47


def _content(e: AuditEntry) -> str:
    return json.dumps(
        [
            e.at.astimezone(UTC).isoformat(timespec="microseconds"),
            e.user_id,
            e.username,
            e.organization_id,
            e.action,
            e.object_type,
            e.object_id,
            e.component,
            e.client,
            e.outcome,
            e.detail,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def compute_hash(entry: AuditEntry, prev_hash: str) -> str:
    """The hash of one row given its predecessor's hash."""
    return hashlib.sha256((prev_hash + _content(entry)).encode("utf-8")).hexdigest()


def client_address(request: HttpRequest | None) -> str:
    """The client's address as seen by this server (no proxy headers are trusted)."""
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


_ACTIONS = frozenset(Action.values)


def record(
    *,
    action: str,
    component: str,
    user: object | None = None,
    organization_id: int | None = None,
    object_type: str = "",
    object_id: object = "",
    outcome: str = Outcome.OK,
    detail: str = "",
    request: HttpRequest | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one row to the chain, inside the caller's transaction when there is one.

    The row commits or rolls back with the write it describes. ``detail`` must not contain
    personal data (the callers pass field names, never values).
    """
    if action not in _ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    user_obj = user if user is not None else getattr(request, "user", None)
    authenticated = bool(user_obj is not None and getattr(user_obj, "is_authenticated", False))
    entry = AuditEntry(
        at=at or timezone.now(),
        user_id=getattr(user_obj, "pk", None) if authenticated else None,
        username=str(getattr(user_obj, "username", "")) if authenticated else "",
        organization_id=organization_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        component=component,
        client=client_address(request),
        outcome=outcome,
        detail=detail[:255],
    )
    pending = _pending.current()
    if pending is not None and connection.in_atomic_block:
        pending.items.append(entry)  # chained and inserted by the batch, just before commit
        return entry
    # Inside the caller's transaction no savepoint is needed: a failed insert fails the write.
    with transaction.atomic(savepoint=False):
        _append([entry])
    return entry


def _append(entries: list[AuditEntry]) -> None:
    """Chain ``entries`` onto the last row and insert them (inside a transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    # On SQLite the IMMEDIATE transaction already holds the one write lock.
    with connection.cursor() as cur:
        cur.execute(_HEAD_SQL)
        head = cur.fetchone()
    prev = head[0] if head else GENESIS
    for entry in entries:
        entry.prev_hash = prev
        entry.hash = prev = compute_hash(entry, prev)
    insert(entries)  # new rows only (append-only: ``AuditEntry.save`` refuses an update)


_HEAD_SQL = f"SELECT hash FROM {AuditEntry._meta.db_table} ORDER BY id DESC LIMIT 1"


#: The audit rows of an open write batch (:mod:`jingwu.writes`), appended together just
#: before its commit: the chain's lock (PostgreSQL: an advisory lock held to commit; SQLite:
#: the write lock) is then taken once per batch and held only for the insert and the commit.
_pending: PerThread[AuditEntry] = PerThread("audit", _append)
batch = _pending.open


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain check: rows checked and the first broken row, if any."""

    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def _rows(batch: int = 5000) -> Iterator[AuditEntry]:
    last_id = 0
    while True:
        chunk = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not chunk:
            return
        yield from chunk
        last_id = chunk[-1].id


def verify_chain() -> VerifyResult:
    """Recompute every hash in order; name the first row whose content or link is wrong."""
    prev = GENESIS
    n = 0
    for row in _rows():
        n += 1
        if row.prev_hash != prev:
            return VerifyResult(n, row.id, "link")
        if compute_hash(row, prev) != row.hash:
            return VerifyResult(n, row.id, "content")
        prev = row.hash
    return VerifyResult(n)
