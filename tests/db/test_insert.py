"""``jingwu.db.insert``: rows written by the plain INSERT read back as the ORM wrote them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jingwu.areas.models import Area
from jingwu.db.insert import insert
from jingwu.incidents.models import EntryKind, Incident, IncidentShare, TimelineEntry
from jingwu.orgs.models import Organization

pytestmark = pytest.mark.django_db


def _incident(**extra: Any) -> Incident:
    ws = Area.objects.filter(level="workstation").exclude(organization=None).first()
    assert ws is not None
    fields: dict[str, Any] = dict(
        type="theft", priority="P2", source="110", caller_name="测试", caller_phone="13800000000",
        lat=26.1, lon=119.33, workstation=ws, organization_id=ws.organization_id,
        received_at=timezone.now() - timedelta(minutes=3), target_s=300,
        request_fingerprint="f" * 64,
    )  # fmt: skip
    fields.update(extra)
    return Incident(**fields)


def test_rows_read_back_equal_to_what_the_orm_writes(demo: Any) -> None:
    at = timezone.now() - timedelta(minutes=3)
    ours, theirs = _incident(received_at=at), _incident(received_at=at)
    insert([ours])
    theirs.save()
    assert ours.pk is not None and ours.pk != theirs.pk and not ours._state.adding
    a = Incident.objects.filter(pk=ours.pk).values().get()
    b = Incident.objects.filter(pk=theirs.pk).values().get()
    for row in (a, b):
        row.pop("id")
        assert row.pop("updated_at") is not None  # auto_now filled in by pre_save
    assert a == b


def test_many_rows_get_their_own_ids_in_order_and_json_round_trips(demo: Any) -> None:
    incident = _incident()
    insert([incident])
    entries = [
        TimelineEntry(
            incident=incident,
            kind=EntryKind.NOTE,
            at=timezone.now(),
            text=f"第{i}条",
            data={"n": i, "名": ["甲", None]},
        )  # fmt: skip
        for i in range(5)
    ]
    insert(entries)
    stored = {e.pk: (e.text, e.data) for e in TimelineEntry.objects.filter(incident=incident)}
    assert {e.pk: (e.text, e.data) for e in entries} == stored
    assert [e.pk for e in entries] == sorted(e.pk for e in entries)


def test_a_constraint_violation_raises_and_writes_nothing(demo: Any) -> None:
    from django.db import IntegrityError, transaction

    incident = _incident()
    insert([incident])
    org = Organization.objects.exclude(pk=incident.organization_id).first()
    insert([IncidentShare(incident=incident, organization=org, shared_at=timezone.now())])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([IncidentShare(incident=incident, organization=org, shared_at=timezone.now())])
    assert IncidentShare.objects.filter(incident=incident).count() == 1
