"""The clerk's desk: everything one window needs on one screen, in one read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.counter.models import (
    Appointment,
    AppointmentStatus,
    ServicePoint,
    Shift,
    Ticket,
    Window,
)
from jingwu.counter.services import access, queue
from jingwu.counter.services.cases import Due, list_cases, operators_of
from jingwu.counter.services.catalogue import local_date
from jingwu.errors import Forbidden
from jingwu.orgs.models import Person
from jingwu.orgs.services import Actor


@dataclass
class Desk:
    """One window's screen: the window, its call, the queue, today's bookings, my cases."""

    point: ServicePoint
    window: Window
    windows: list[Window]
    current: Ticket | None
    waiting: list[Ticket]
    bookings: list[Appointment]
    cases: list[Due]
    colleagues: list[Person]


def _my_window(actor: Actor, windows: list[Window], now: datetime) -> Window:
    rostered = (
        Shift.objects.filter(window__in=windows, date=local_date(now), person_id=actor.person_id)
        .values_list("window_id", flat=True)
        .first()
    )
    return next((w for w in windows if w.pk == rostered), windows[0])


def desk(
    *,
    actor: Actor,
    now: datetime,
    window_id: int | None = None,
    request: HttpRequest | None = None,
) -> Desk:
    """The desk of a window the actor staffs (by default the one they are rostered on today)."""
    points = access.operated_points(actor)
    if not points:
        raise Forbidden(_("只有警务站的窗口工作人员可以使用窗口工作台。"))
    windows = list(
        Window.objects.filter(service_point__in=points)
        .select_related("service_point")
        .prefetch_related("services")
        .order_by("service_point_id", "number")
    )
    if not windows:
        raise Forbidden(_("本警务站尚未设置窗口。"))
    window = next((w for w in windows if w.pk == window_id), None) or _my_window(
        actor, windows, now
    )
    point = window.service_point
    bookings = list(
        Appointment.objects.filter(
            service_point=point, date=local_date(now), status=AppointmentStatus.BOOKED
        )
        .select_related("slot", "service")
        .order_by("slot__start", "id")
    )
    audit.record(
        action="read",
        component="counter",
        user=actor.user,
        organization_id=point.organization_id,
        object_type="appointment",
        object_id=f"desk:{local_date(now).isoformat()}",
        detail=f"{len(bookings)} rows",
        request=request,
    )
    return Desk(
        point=point,
        window=window,
        windows=[w for w in windows if w.service_point_id == point.pk],
        current=queue.current_ticket(window),
        waiting=queue.waiting_for(window, now),
        bookings=bookings,
        cases=list_cases(actor=actor, now=now, point_id=point.pk, mine=True, request=request),
        colleagues=[p for p in operators_of(point) if p.pk != actor.person_id],
    )
