"""Arrival on scene derived from position reports (units announce, incidents listen)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from jingwu.engine.geo import haversine_m
from jingwu.incidents.models import Incident
from jingwu.incidents.services.lifecycle import record_arrival
from jingwu.units.models import Unit, UnitStatus
from jingwu.units.signals import position_reported

#: A unit this close to the reported point is on scene (GPS error plus parking on the street).
ARRIVAL_RADIUS_M = 80.0


@receiver(position_reported, sender=Unit, dispatch_uid="incidents.arrival")
def arrival_from_position(
    sender: Any, unit: Unit, lat: float, lon: float, fix_at: Any, user: Any, **_: Any
) -> None:
    if unit.current_incident_id is None or unit.status not in (
        UnitStatus.DISPATCHED,
        UnitStatus.EN_ROUTE,
    ):
        return
    point = Incident.objects.filter(pk=unit.current_incident_id).values_list("lat", "lon").first()
    if point is None:
        return
    d = float(haversine_m(lat, lon, point[0], point[1]))
    if d <= ARRIVAL_RADIUS_M:
        record_arrival(
            incident_id=unit.current_incident_id, unit=unit, at=fix_at, distance_m=d,
            reporter_name=getattr(getattr(user, "person", None), "name", "") or "定位",
        )  # fmt: skip
