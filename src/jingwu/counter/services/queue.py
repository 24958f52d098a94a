"""The walk-in queue: tickets, check-in with a booking, and the window's calls.

Calling is a claim: the window picks the first waiting ticket by the hall's order rule and
takes it with ``UPDATE … WHERE status='waiting'``; if another window got there first the row
count is 0 and it tries the next one. A partial unique index lets a window hold one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext as _

from jingwu import events
from jingwu.audit import services as audit
from jingwu.counter.models import (
    Appointment,
    AppointmentStatus,
    CallOrder,
    NumberSequence,
    ServicePoint,
    Ticket,
    TicketStatus,
    Window,
    WindowStatus,
)
from jingwu.counter.services import access
from jingwu.counter.services.applicant import clean_last4
from jingwu.counter.services.booking import booking_rule, find_appointment
from jingwu.counter.services.catalogue import get_hall, get_service, local_date, offers
from jingwu.errors import Conflict, Invalid, NotFound
from jingwu.orgs.services import Actor

#: A booked ticket is called with priority from this long before its slot starts.
EARLY_CALL = timedelta(minutes=10)
BOOKING_PREFIX = "Y"


def next_number(key: str) -> int:
    """The next number under ``key``; the row lock of the UPDATE serialises concurrent takers."""
    NumberSequence.objects.get_or_create(key=key)
    NumberSequence.objects.filter(key=key).update(last=F("last") + 1)
    return int(NumberSequence.objects.filter(key=key).values_list("last", flat=True).get())


def _publish(point: ServicePoint, kind: str, **data: object) -> None:
    events.publish(kind, audiences=access.audiences(point.organization_id), point=point.pk, **data)


def _check_in(
    appointment_id: int, point: ServicePoint, actor: Actor, id_last4: object, now: datetime
) -> Appointment:
    appointment = (
        Appointment.objects.select_related("slot", "service")
        .filter(pk=appointment_id, service_point=point)
        .first()
    )
    # Staff check citizens in by sight of their ID; a kiosk needs the last four characters.
    proven = access.is_operator(actor, point) or (
        appointment is not None and appointment.id_number.endswith(clean_last4(id_last4))
    )
    if appointment is None or not proven:
        raise NotFound(_("预约不存在。"), loc=["appointment_id"])
    if appointment.date != local_date(now):
        raise Conflict(_("该预约不是今天的，不能签到。"), loc=["appointment_id"])
    grace = timedelta(minutes=booking_rule().no_show_grace_minutes)
    if now > appointment.slot.end + grace:
        raise Conflict(_("已超过预约时段，请取现场号。"), loc=["appointment_id"])
    changed = Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.BOOKED).update(
        status=AppointmentStatus.CHECKED_IN, checked_in_at=now
    )
    if changed != 1:
        raise Conflict(_("该预约已签到或已取消。"), loc=["appointment_id"])
    return appointment


def take_ticket(
    *,
    point_id: object,
    service_code: object,
    actor: Actor,
    now: datetime,
    appointment_id: int | None = None,
    id_last4: object = None,
    request: HttpRequest | None = None,
) -> Ticket:
    """A queue number for a service; with a booking it is the booking's priority ticket."""
    point = get_hall(point_id)
    service = get_service(service_code)
    if not offers(point, service):
        raise Invalid(_("该服务点不办理此事项。"), loc=["service"])
    appointment = None
    if appointment_id is not None:
        appointment = _check_in(appointment_id, point, actor, id_last4, now)
        if appointment.service_id != service.pk:
            raise Invalid(_("所选事项与预约的事项不一致。"), loc=["service"])
    today = local_date(now)
    prefix = BOOKING_PREFIX if appointment else service.ticket_prefix
    seq = next_number(f"ticket:{point.pk}:{today:%Y%m%d}:{prefix}")
    ticket = Ticket.objects.create(
        service_point=point,
        service=service,
        date=today,
        number=f"{prefix}{seq:03d}",
        appointment=appointment,
        issued_at=now,
    )
    audit.record(
        action="create",
        component="counter",
        user=actor.user,
        organization_id=point.organization_id,
        object_type="ticket",
        object_id=ticket.pk,
        detail="check-in" if appointment else "walk-in",
        request=request,
        at=now,
    )
    _publish(point, "counter.queue", ticket=ticket.pk, status=ticket.status)
    return ticket


def _window(window_id: int, actor: Actor) -> tuple[Window, int]:
    window = Window.objects.select_related("service_point").filter(pk=window_id).first()
    if window is None:
        raise NotFound(_("窗口不存在。"), loc=["window_id"])
    return window, access.require_operator(actor, window.service_point)


def current_ticket(window: Window) -> Ticket | None:
    """The ticket the window is serving now."""
    return Ticket.objects.filter(window=window, status=TicketStatus.CALLED).first()


def _call_key(ticket: Ticket, window: Window, order: str, now: datetime) -> tuple[object, ...]:
    if ticket.target_window_id == window.pk:
        return (0, ticket.issued_at, ticket.pk)
    if order == CallOrder.APPOINTMENTS_FIRST and ticket.appointment_id:
        slot = ticket.appointment.slot  # type: ignore[union-attr]
        if slot.start - EARLY_CALL <= now:
            return (1, slot.start, ticket.issued_at, ticket.pk)
    return (2, ticket.issued_at, ticket.pk)


def waiting_for(window: Window, now: datetime) -> list[Ticket]:
    """The tickets this window may call, in the order it calls them."""
    services = window.services.values_list("id", flat=True)
    waiting = (
        Ticket.objects.filter(
            service_point_id=window.service_point_id,
            date=local_date(now),
            status=TicketStatus.WAITING,
            service_id__in=services,
        )
        .filter(Q(target_window__isnull=True) | Q(target_window=window))
        .select_related("appointment__slot", "service")
    )
    order = window.service_point.call_order
    return sorted(waiting, key=lambda t: _call_key(t, window, order, now))


def _finish_current(window: Window, now: datetime, status: str = TicketStatus.DONE) -> int:
    return Ticket.objects.filter(window=window, status=TicketStatus.CALLED).update(
        status=status, finished_at=now
    )


def _audit_window(
    actor: Actor, window: Window, detail: str, now: datetime, request: object
) -> None:
    audit.record(
        action="update",
        component="counter",
        user=actor.user,
        organization_id=window.service_point.organization_id,
        object_type="window",
        object_id=window.pk,
        detail=detail,
        request=request,  # type: ignore[arg-type]
        at=now,
    )


def call_next(
    *, window_id: int, actor: Actor, now: datetime, request: HttpRequest | None = None
) -> Ticket:
    """Finish the window's current ticket and call the next one (NotFound when none waits)."""
    window, person_id = _window(window_id, actor)
    if window.status != WindowStatus.OPEN:
        raise Conflict(_("窗口未开放，不能叫号。"), loc=["window_id"])
    _finish_current(window, now)
    for candidate in waiting_for(window, now):
        try:
            claimed = Ticket.objects.filter(pk=candidate.pk, status=TicketStatus.WAITING).update(
                status=TicketStatus.CALLED,
                window=window,
                target_window=None,
                called_at=Coalesce(F("called_at"), now),
                called_by_id=person_id,
            )
        except IntegrityError:  # another call-next at this same window won the race
            raise Conflict(_("本窗口正在叫号，请稍候再试。"), loc=["window_id"]) from None
        if claimed == 1:
            ticket = Ticket.objects.select_related("service", "window", "appointment").get(
                pk=candidate.pk
            )
            _audit_window(actor, window, f"call {ticket.number}", now, request)
            _publish(window.service_point, "counter.call", window=window.pk, ticket=ticket.pk)
            return ticket
    raise NotFound(_("当前没有等候的号。"), loc=["window_id"])


def _current_or_404(window: Window) -> Ticket:
    ticket = current_ticket(window)
    if ticket is None:
        raise NotFound(_("本窗口当前没有叫到的号。"), loc=["window_id"])
    return ticket


def recall(
    *, window_id: int, actor: Actor, now: datetime, request: HttpRequest | None = None
) -> Ticket:
    """Call the current ticket again (the display announces it once more)."""
    window, _person = _window(window_id, actor)
    ticket = _current_or_404(window)
    Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.CALLED).update(recalls=F("recalls") + 1)
    ticket.refresh_from_db()
    _audit_window(actor, window, f"recall {ticket.number}", now, request)
    _publish(window.service_point, "counter.call", window=window.pk, ticket=ticket.pk)
    return ticket


def skip(
    *, window_id: int, actor: Actor, now: datetime, request: HttpRequest | None = None
) -> Ticket:
    """The called citizen did not come: the ticket is passed (过号)."""
    window, _person = _window(window_id, actor)
    ticket = _current_or_404(window)
    _finish_current(window, now, TicketStatus.SKIPPED)
    ticket.refresh_from_db()
    _audit_window(actor, window, f"skip {ticket.number}", now, request)
    _publish(window.service_point, "counter.queue", ticket=ticket.pk, status=ticket.status)
    return ticket


def finish(
    *, window_id: int, actor: Actor, now: datetime, request: HttpRequest | None = None
) -> Ticket:
    """The window is done with its current ticket."""
    window, _person = _window(window_id, actor)
    ticket = _current_or_404(window)
    _finish_current(window, now)
    ticket.refresh_from_db()
    _audit_window(actor, window, f"finish {ticket.number}", now, request)
    _publish(window.service_point, "counter.queue", ticket=ticket.pk, status=ticket.status)
    return ticket


def transfer(
    *,
    window_id: int,
    to_window_id: int,
    actor: Actor,
    now: datetime,
    request: HttpRequest | None = None,
) -> Ticket:
    """Send the current ticket to another window of the hall; it is that window's next call."""
    window, _person = _window(window_id, actor)
    ticket = _current_or_404(window)
    target = Window.objects.filter(pk=to_window_id, service_point=window.service_point).first()
    if target is None or target.pk == window.pk:
        raise Invalid(_("请选择本服务点的另一个窗口。"), loc=["to_window_id"])
    if not target.services.filter(pk=ticket.service_id).exists():
        raise Invalid(_("该窗口不办理此事项。"), loc=["to_window_id"])
    if target.status == WindowStatus.CLOSED:
        raise Conflict(_("目标窗口已关闭。"), loc=["to_window_id"])
    Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.CALLED, window=window).update(
        status=TicketStatus.WAITING, window=None, target_window=target
    )
    ticket.refresh_from_db()
    _audit_window(actor, window, f"transfer {ticket.number} to {target.pk}", now, request)
    _publish(window.service_point, "counter.queue", ticket=ticket.pk, status=ticket.status)
    return ticket


def set_window_status(
    *,
    window_id: int,
    status: object,
    actor: Actor,
    now: datetime,
    request: HttpRequest | None = None,
) -> Window:
    """Open, pause or close a window; a window serving someone must finish first."""
    window, _person = _window(window_id, actor)
    if status not in WindowStatus.values:
        raise Invalid(_("未知的取值，请从允许的选项中选择。"), loc=["status"])
    if status != WindowStatus.OPEN and current_ticket(window) is not None:
        raise Conflict(_("请先办结或过号当前的号，再暂停或关闭窗口。"), loc=["status"])
    Window.objects.filter(pk=window.pk).update(status=status)
    window.refresh_from_db()
    _audit_window(actor, window, f"status {status}", now, request)
    _publish(window.service_point, "counter.window", window=window.pk, status=window.status)
    return window


@dataclass(frozen=True)
class ServiceWait:
    """How many wait for one service and about how long (minutes)."""

    service: str
    name: str
    waiting: int
    windows_open: int
    estimated_minutes: int | None


@dataclass(frozen=True)
class Board:
    """What the waiting-room display shows: current calls and the queue per service."""

    point: ServicePoint
    calls: list[tuple[Window, Ticket | None]]
    waits: list[ServiceWait]


def queue_board(*, point_id: object, now: datetime) -> Board:
    """Current calls per window and waiting numbers with a rough wait estimate per service.

    The estimate is the work ahead shared by the open windows that do the service:
    waiting × handling minutes ÷ open windows (a display hint, not a promise).
    """
    point = get_hall(point_id, loc="point_id")
    windows = list(Window.objects.filter(service_point=point).prefetch_related("services"))
    called = {
        t.window_id: t
        for t in Ticket.objects.filter(
            service_point=point, status=TicketStatus.CALLED, window__isnull=False
        ).select_related("service")
    }
    waiting = list(
        Ticket.objects.filter(
            service_point=point, date=local_date(now), status=TicketStatus.WAITING
        ).values_list("service_id", flat=True)
    )
    waits = []
    for service in point.services.filter(is_active=True):
        n = waiting.count(service.pk)
        open_windows = sum(
            1
            for w in windows
            if w.status == WindowStatus.OPEN and any(s.pk == service.pk for s in w.services.all())
        )
        minutes = round(n * service.handling_minutes / open_windows) if open_windows else None
        waits.append(ServiceWait(service.code, service.name, n, open_windows, minutes))
    return Board(point, [(w, called.get(w.pk)) for w in windows], waits)


def check_in_with_code(
    *,
    point_id: object,
    code: object,
    id_last4: object,
    actor: Actor,
    now: datetime,
    request: HttpRequest | None = None,
) -> Ticket:
    """A citizen checks in at the kiosk with the booking code and the ID's last 4 characters."""
    appointment = find_appointment(code=code, id_last4=id_last4)
    return take_ticket(
        point_id=point_id,
        service_code=appointment.service.code,
        appointment_id=appointment.pk,
        id_last4=id_last4,
        actor=actor,
        now=now,
        request=request,
    )
