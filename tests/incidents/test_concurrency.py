"""Two duty officers send the same unit at the same moment: exactly one succeeds.

Real threads with their own database connections (a transactional test), so the race is
settled by the database: the conditional UPDATE on PostgreSQL, the write lock on SQLite.
(The same race across two server processes sharing one SQLite file or one PostgreSQL
database is in ``test_server_process.py``.)
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from jingwu.errors import Conflict
from jingwu.incidents import services
from jingwu.incidents.models import Assignment
from jingwu.orgs.services import actor_for
from jingwu.units.models import Unit
from tests.incidents.conftest import make_incident


def _assign(
    username: str, incident_id: int, unit_id: int, barrier: threading.Barrier, out: list[Any]
) -> None:
    try:
        actor = actor_for(get_user_model().objects.get(username=username))
        barrier.wait(timeout=10)
        with transaction.atomic():
            incident = services.get_incident(actor=actor, incident_id=incident_id, for_update=True)
            services.assign_unit(
                actor=actor, incident=incident, unit_id=unit_id, now=timezone.now()
            )
        out.append(("ok", incident_id))
    except Conflict as exc:
        out.append(("conflict", str(exc.msg)))
    except Exception as exc:  # noqa: BLE001 - reported in the assertion below
        out.append(("error", repr(exc)))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_two_officers_assigning_one_unit_at_once_exactly_one_succeeds(demo: None) -> None:
    codes = [
        "TAIHE-C1",
        "TAIHE-C2",
        "TAIHE-E1",
        "TAIHE-E2",
        "TAIHE-A1",
        "RAILWAY-C1",
        "RAILWAY-F1",
        "CHONGXIAN-C1",
    ]
    for code in codes:
        unit = Unit.objects.get(code=code)
        a = make_incident("duty_taihe", type="盗窃")
        b = make_incident("commander_jinan", type="纠纷")
        barrier, out = threading.Barrier(2), []
        threads = [
            threading.Thread(target=_assign, args=("duty_taihe", a.pk, unit.pk, barrier, out)),
            threading.Thread(target=_assign, args=("commander_jinan", b.pk, unit.pk, barrier, out)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        outcomes = sorted(o[0] for o in out)
        assert outcomes == ["conflict", "ok"], out
        winner = next(o[1] for o in out if o[0] == "ok")
        assert "正在处置另一起警情" in next(o[1] for o in out if o[0] == "conflict")
        unit.refresh_from_db()
        assert (unit.status, unit.current_incident_id) == ("dispatched", winner)
        assert Assignment.objects.filter(unit=unit, status="active").count() == 1
        assert Assignment.objects.filter(unit=unit, incident_id__in=[a.pk, b.pk]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_calls_taken_at_once_through_the_write_queue_each_write_whole(demo: None) -> None:
    """Calls taken by several threads at once go through the write queue, several to a
    batch; two attempts with one idempotency key give one incident (the loser's insert fails
    inside a batch, which then runs again job by job). Every incident has its one intake line,
    a timeline line per share, and the audit chain holds."""
    from jingwu.audit import services as audit
    from jingwu.incidents.models import EntryKind, Incident, IncidentShare, TimelineEntry
    from tests.incidents.conftest import CHONGXIAN, body

    keys = ["k0", "k1", "k2", "k3", "k4", "dup", "dup", "k5"]
    barrier = threading.Barrier(len(keys))
    out: list[Any] = [None] * len(keys)

    def take(i: int, key: str) -> None:
        try:
            actor = actor_for(get_user_model().objects.get(username="platform_110"))
            point = CHONGXIAN if i % 2 and key != "dup" else (26.1000, 119.3370)
            fields = body(lat=point[0], lon=point[1] + (0 if key == "dup" else i * 1e-4))
            barrier.wait(timeout=10)
            incident, created = services.create_incident(
                actor=actor, fields=fields, now=timezone.now(), idempotency_key=key
            )
            out[i] = (incident.pk, created, [o for o, _n in incident.created_shares]
                      if created else None)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - reported in the assertion below
            out[i] = ("error", repr(exc), None)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(i, k)) for i, k in enumerate(keys)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(o is not None and o[0] != "error" for o in out), out
    dup = [out[i] for i, k in enumerate(keys) if k == "dup"]
    assert dup[0][0] == dup[1][0] and sorted(d[1] for d in dup) == [False, True]
    ids = {o[0] for o in out}
    assert len(ids) == 7 == Incident.objects.filter(pk__in=ids).count()
    for pk, created, shares in out:
        created_lines = TimelineEntry.objects.filter(incident_id=pk, kind=EntryKind.CREATED)
        assert created_lines.count() == 1
        stored = list(
            IncidentShare.objects.filter(incident_id=pk).order_by("id")
            .values_list("organization_id", flat=True)
        )  # fmt: skip
        lines = TimelineEntry.objects.filter(incident_id=pk, kind=EntryKind.SHARED).count()
        assert lines == len(stored)
        if created:
            assert shares == stored
    assert any(o[2] for o in out if o[1])  # some were shared by the demo's rules
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_calls_queued_together_are_written_together_each_in_its_callers_language(
    demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Calls waiting for the write lock are written by one batch, one INSERT per table for
    all of them (``_write_many``): each incident gets its own intake line in its caller's
    language, its shares and their lines, its audit rows; a duplicate key in the same batch
    makes the batch run again call by call, and the duplicate gets the first one's incident."""
    import contextlib

    from django.utils import translation

    from jingwu import writes
    from jingwu.audit import services as audit
    from jingwu.audit.models import AuditEntry
    from jingwu.incidents.models import EntryKind, Incident, IncidentShare, TimelineEntry
    from tests.incidents.conftest import CHONGXIAN, body

    real = writes.transaction
    opening, go_on = threading.Event(), threading.Event()

    @contextlib.contextmanager
    def slow_atomic(*args: Any, **kwargs: Any) -> Any:
        opening.set()
        go_on.wait(10)  # as if another process held the write lock
        with real.atomic(*args, **kwargs):
            yield

    monkeypatch.setattr(writes, "transaction", type("T", (), {"atomic": staticmethod(slow_atomic)}))
    queue = writes.writer()
    batches, jobs = queue.batches, queue.jobs
    out: list[Any] = [None] * 6

    def take(i: int, key: str, language: str) -> None:
        try:
            actor = actor_for(get_user_model().objects.get(username="platform_110"))
            point = CHONGXIAN if i in (1, 3) else (26.1000, 119.3370 + min(i, 4) * 1e-4)
            with translation.override(language):
                incident, created = services.create_incident(
                    actor=actor, fields=body(lat=point[0], lon=point[1]), now=timezone.now(),
                    idempotency_key=key,
                )  # fmt: skip
            out[i] = (incident.pk, created, language)
        except Exception as exc:  # noqa: BLE001 - reported in the assertion below
            out[i] = ("error", repr(exc), language)
        finally:
            connection.close()

    calls = [("b0", "zh-hans"), ("b1", "en"), ("b2", "zh-hans"), ("b3", "en")]
    first = threading.Thread(target=take, args=(0, *calls[0]))
    first.start()
    assert opening.wait(10)  # the writer holds call 0 and waits for the lock
    rest = [threading.Thread(target=take, args=(i, *c)) for i, c in enumerate(calls) if i]
    for t in rest:
        t.start()
    deadline = time.monotonic() + 10
    while queue._queue.qsize() < len(rest) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert queue._queue.qsize() == len(rest)
    go_on.set()
    for t in [first, *rest]:
        t.join(30)
    assert all(o is not None and o[0] != "error" for o in out[:4]), out
    assert (queue.batches - batches, queue.jobs - jobs) == (1, 4)  # one batch for all four
    for pk, created, language in out[:4]:
        assert created
        line = TimelineEntry.objects.get(incident_id=pk, kind=EntryKind.CREATED)
        assert line.text.startswith("Call taken" if language == "en" else "接警（"), line.text
        shares = IncidentShare.objects.filter(incident_id=pk).count()
        assert TimelineEntry.objects.filter(incident_id=pk, kind=EntryKind.SHARED).count() == (
            shares
        )
        assert AuditEntry.objects.filter(object_type="incident", object_id=str(pk)).exists()
    assert IncidentShare.objects.filter(incident_id__in=[o[0] for o in out[:4]]).exists()
    # A duplicate key inside one batch: the batch runs again call by call.
    opening.clear()
    go_on.clear()
    batches = queue.batches
    head = threading.Thread(target=take, args=(4, "b-dup", "zh-hans"))
    head.start()
    assert opening.wait(10)
    again = threading.Thread(target=take, args=(5, "b-dup", "en"))
    again.start()
    deadline = time.monotonic() + 10
    while queue._queue.qsize() < 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    go_on.set()
    head.join(30)
    again.join(30)
    assert out[4][0] == out[5][0] and {out[4][1], out[5][1]} == {True, False}, out
    assert Incident.objects.filter(idempotency_key="b-dup").count() == 1
    assert queue.batches - batches == 1
    assert audit.verify_chain().ok
