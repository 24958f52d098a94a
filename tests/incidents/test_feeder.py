"""The demo feeder: it takes calls, sends units when nobody does, moves them, and they arrive."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from jingwu.incidents.feeder import Feeder
from jingwu.incidents.models import Incident, TimelineEntry
from jingwu.units.models import PositionReport, Unit

pytestmark = pytest.mark.django_db


def test_the_feeder_plays_a_call_from_intake_to_arrival(demo: None) -> None:
    feeder = Feeder(rng=np.random.default_rng(3), auto_dispatch_s=0)
    actor = feeder.platform()
    assert actor is not None
    now = timezone.now()
    incident = feeder.new_call(actor, now)
    assert incident is not None and incident.source == "110" and incident.status == "received"
    feeder.auto_dispatch(actor, now + timedelta(seconds=1))
    incident.refresh_from_db()
    assert incident.status == "dispatched"
    unit = Unit.objects.get(current_incident_id=incident.pk)
    feeder.move(actor, now, mono=1000.0)  # plans the trip; the unit leaves
    incident.refresh_from_db()
    assert incident.status == "en_route"
    trip = feeder.trips[unit.pk]
    assert trip.cum_m[-1] > 0
    feeder.move(actor, now, mono=1000.0 + 3.5)  # a few seconds later: a position on the way
    assert PositionReport.objects.filter(unit=unit).exists()
    feeder.move(actor, now, mono=1000.0 + 10_000)  # long after: at the scene
    incident.refresh_from_db()
    assert incident.status == "on_scene"
    assert TimelineEntry.objects.filter(incident=incident, kind="arrived").exists()


def test_calls_arrive_with_the_hourly_rate(demo: None) -> None:
    feeder = Feeder(rng=np.random.default_rng(5), rate_per_hour=3600)
    actor = feeder.platform()
    before = Incident.objects.count()
    feeder.arrivals(actor, timezone.now(), dt=10.0)
    assert Incident.objects.count() > before
