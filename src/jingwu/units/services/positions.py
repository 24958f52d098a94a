"""Position reports: a unit's device (or the demo feeder) says where it is."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jingwu.areas.services import clean_point
from jingwu.audit import services as audit
from jingwu.errors import Invalid
from jingwu.orgs.services import Actor
from jingwu.units.models import PositionReport, Unit
from jingwu.units.services.fleet import publish_unit
from jingwu.units.signals import position_reported

#: Clock skew tolerated between a device and the server.
FUTURE_SKEW = timedelta(seconds=30)
#: Reports older than this are refused: they would only confuse the map.
OLDEST = timedelta(hours=24)


def _clean_time(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    if timezone.is_naive(value):  # a device without a zone reports local (Beijing) time
        value = timezone.make_aware(value)
    if value > now + FUTURE_SKEW:
        raise Invalid(_("定位时间晚于服务器当前时间，请检查设备时钟。"), loc=["time"])
    if value < now - OLDEST:
        raise Invalid(_("定位时间早于 24 小时前，不再接收。"), loc=["time"])
    return value


def _clean_accuracy(value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise Invalid(_("精度必须是数字（米）。"), loc=["accuracy"]) from None
    if not math.isfinite(v) or v < 0 or v > 10_000:
        raise Invalid(_("精度必须在 0 到 10000 米之间。"), loc=["accuracy"])
    return v


def report_position(
    *,
    actor: Actor,
    unit: Unit,
    lat: Any,
    lon: Any,
    now: datetime,
    crs: str = "wgs84",
    accuracy: Any = None,
    time: datetime | None = None,
) -> Unit:
    """Record one fix; it becomes the unit's position unless a newer fix is already known.

    Refuses (nothing written) a fix in the future, a fix over a day old, bad coordinates.
    Listeners (arrival on scene) hear of it inside the same transaction.
    """
    wlat, wlon = clean_point(lat=lat, lon=lon, crs=crs)
    fix_at = _clean_time(time, now)
    acc = _clean_accuracy(accuracy)
    PositionReport.objects.create(
        unit=unit,
        lat=wlat,
        lon=wlon,
        accuracy_m=acc,
        fix_at=fix_at,
        received_at=now,
        reported_by=actor.user if actor.is_authenticated else None,
    )
    newer = Unit.objects.filter(pk=unit.pk).filter(
        Q(last_fix_at__isnull=True) | Q(last_fix_at__lte=fix_at)
    )
    if newer.update(last_lat=wlat, last_lon=wlon, last_accuracy_m=acc, last_fix_at=fix_at):
        unit.last_lat, unit.last_lon, unit.last_accuracy_m = wlat, wlon, acc
        unit.last_fix_at = fix_at
    unit.refresh_from_db(fields=["status", "current_incident_id"])
    audit.record(
        action="create",
        component="units",
        user=actor.user,
        organization_id=unit.organization_id,
        object_type="unit_position",
        object_id=unit.pk,
    )
    position_reported.send(
        sender=Unit, unit=unit, lat=wlat, lon=wlon, fix_at=fix_at, user=actor.user, now=now
    )
    publish_unit(unit)
    return unit
