"""The catalogue and the places that serve it: services, halls, terminals, windows, hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from jingwu.counter.models import (
    OpeningHours,
    PointKind,
    ServicePoint,
    ServiceType,
    Window,
)
from jingwu.counter.services.calendar import day_info
from jingwu.errors import Invalid, NotFound

LOCAL = ZoneInfo("Asia/Shanghai")


def local_date(at: datetime) -> date:
    """The date in Asia/Shanghai of an aware time."""
    return at.astimezone(LOCAL).date()


def local_time(day: date, clock: time) -> datetime:
    """An aware time for a wall-clock time on a day in Asia/Shanghai."""
    return datetime.combine(day, clock, tzinfo=LOCAL)


def list_services() -> list[ServiceType]:
    """The active catalogue in display order."""
    return list(ServiceType.objects.filter(is_active=True))


def get_service(code: object, *, loc: str = "service") -> ServiceType:
    """An active service by its code, or a field error."""
    service = ServiceType.objects.filter(code=str(code or ""), is_active=True).first()
    if service is None:
        raise Invalid(_("未知的服务事项：%(code)s") % {"code": code}, loc=[loc])
    return service


def list_service_points() -> list[ServicePoint]:
    """Every active hall and terminal, with its organization and services."""
    return list(
        ServicePoint.objects.filter(is_active=True)
        .select_related("organization")
        .prefetch_related(Prefetch("services", queryset=ServiceType.objects.filter(is_active=True)))
    )


def get_hall(point_id: object, *, loc: str = "workstation_id") -> ServicePoint:
    """An active hall (a workstation's service area) by id, or NotFound naming the field."""
    try:
        pk = int(str(point_id))
    except ValueError:
        raise Invalid(_("请输入整数。"), loc=[loc]) from None
    point = (
        ServicePoint.objects.filter(pk=pk, kind=PointKind.HALL, is_active=True)
        .select_related("organization")
        .first()
    )
    if point is None:
        raise NotFound(_("服务点不存在。"), loc=[loc])
    return point


def offers(point: ServicePoint, service: ServiceType) -> bool:
    """Whether the hall offers the service at all."""
    return point.services.filter(pk=service.pk).exists()


@dataclass(frozen=True)
class OpenPeriod:
    """A window open without a break, on one day, with the services it does."""

    window_id: int
    start: datetime
    end: datetime
    service_ids: frozenset[int]


def open_periods(point: ServicePoint, day: date) -> list[OpenPeriod]:
    """Every window's open periods on ``day`` (breaks cut out), by the kind of day it is."""
    kind = day_info(day).kind
    offered = set(point.services.filter(is_active=True).values_list("id", flat=True))
    windows = Window.objects.filter(service_point=point).prefetch_related(
        Prefetch("hours", queryset=OpeningHours.objects.filter(day_kind=kind)), "services"
    )
    out = []
    for w in windows:
        services = frozenset(s.id for s in w.services.all() if s.id in offered)
        for h in w.hours.all():
            parts = [(h.opens, h.closes)]
            if h.break_start and h.break_end and h.opens < h.break_start < h.break_end:
                parts = [(h.opens, h.break_start), (h.break_end, h.closes)]
            for a, b in parts:
                if a < b:
                    out.append(OpenPeriod(w.id, local_time(day, a), local_time(day, b), services))
    return out
