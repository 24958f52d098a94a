"""API: units and their positions, statuses and shifts; the camera registry; street lines."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from jingwu.areas.services import clean_point
from jingwu.orgs.services import actor_for
from jingwu.units import roadgraph, services
from jingwu.units.services.fleet import on_duty_now

router = Router(tags=["units"])
cameras_router = Router(tags=["cameras"])


class PositionIn(Schema):
    lat: Any
    lon: Any
    crs: str = "wgs84"
    accuracy: Any = None
    time: datetime | None = None


class StatusIn(Schema):
    to: str


class ShiftIn(Schema):
    starts_at: datetime
    ends_at: datetime
    note: str = ""


@router.get("", summary="Units the caller may see, with status and last position")
def list_units(
    request: HttpRequest, workstation_id: int | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    now = timezone.now()
    qs = services.visible_units(
        actor=actor_for(request.user), workstation_id=workstation_id, status=status
    ).annotate(on_duty=on_duty_now(now))
    return [services.unit_dict(u, now=now, on_duty=u.on_duty) for u in qs]


@router.get("/tiers", summary="The patrol tiers (configuration)")
def tiers(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"level": t.level, "name": t.name, "description": t.description}
        for t in services.list_tiers()
    ]


@router.get("/streets", summary="The road graph's streets as GeoJSON lines (for the map)")
def streets(request: HttpRequest) -> dict[str, Any]:
    return roadgraph.streets_geojson()


@router.get("/{unit_id}", summary="One unit")
def get_unit(request: HttpRequest, unit_id: int) -> dict[str, Any]:
    now = timezone.now()
    unit = services.get_unit(actor=actor_for(request.user), unit_id=unit_id)
    on_duty = unit.shifts.filter(starts_at__lte=now, ends_at__gt=now).exists()
    return services.unit_dict(unit, now=now, on_duty=on_duty)


@router.post("/{unit_id}/positions", response={201: dict}, summary="Report a position fix")
def report_position(request: HttpRequest, unit_id: int, payload: PositionIn) -> Status[Any]:
    actor, now = actor_for(request.user), timezone.now()
    with transaction.atomic():
        unit = services.get_unit(actor=actor, unit_id=unit_id)
        unit = services.report_position(
            actor=actor, unit=unit, now=now, lat=payload.lat, lon=payload.lon,
            crs=payload.crs, accuracy=payload.accuracy, time=payload.time,
        )  # fmt: skip
    return Status(201, services.unit_dict(unit, now=now))


@router.post("/{unit_id}/status", summary="Sign on (available) or off (off_duty)")
def set_status(request: HttpRequest, unit_id: int, payload: StatusIn) -> dict[str, Any]:
    actor, now = actor_for(request.user), timezone.now()
    with transaction.atomic():
        unit = services.get_unit(actor=actor, unit_id=unit_id)
        unit = services.set_status(actor=actor, unit=unit, to=payload.to, now=now)
    return services.unit_dict(unit, now=now)


@router.get("/{unit_id}/shifts", summary="The unit's shifts from yesterday to a week ahead")
def list_shifts(request: HttpRequest, unit_id: int) -> list[dict[str, Any]]:
    now = timezone.now()
    unit = services.get_unit(actor=actor_for(request.user), unit_id=unit_id)
    shifts = services.list_shifts(
        unit=unit, since=now - timedelta(days=1), until=now + timedelta(days=7)
    )
    return [
        {"id": s.pk, "starts_at": s.starts_at, "ends_at": s.ends_at, "note": s.note} for s in shifts
    ]


@router.post("/{unit_id}/shifts", response={201: dict}, summary="Put the unit on duty")
def add_shift(request: HttpRequest, unit_id: int, payload: ShiftIn) -> Status[Any]:
    actor = actor_for(request.user)
    with transaction.atomic():
        unit = services.get_unit(actor=actor, unit_id=unit_id)
        s = services.add_shift(
            actor=actor, unit=unit, starts_at=payload.starts_at, ends_at=payload.ends_at,
            note=payload.note,
        )  # fmt: skip
    return Status(201, {"id": s.pk, "starts_at": s.starts_at, "ends_at": s.ends_at, "note": s.note})


@cameras_router.get("", summary="Cameras the caller may see")
def list_cameras(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        services.camera_dict(c)
        for c in services.visible_cameras(actor=actor_for(request.user)).order_by("code")
    ]


@cameras_router.get("/near", summary="Cameras within a radius of a point, nearest first")
def cameras_near(
    request: HttpRequest, lat: str, lon: str, radius_m: float = 300.0, crs: str = "wgs84"
) -> list[dict[str, Any]]:
    wlat, wlon = clean_point(lat=lat, lon=lon, crs=crs)
    radius = min(max(radius_m, 1.0), 5000.0)
    found = services.cameras_near(
        actor=actor_for(request.user), lat=wlat, lon=wlon, radius_m=radius
    )
    return [services.camera_dict(c, distance_m=round(d, 1)) for c, d in found]
