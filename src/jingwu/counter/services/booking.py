"""Appointments: slots cut from opening hours, real-name booking, cancellation, no-shows.

Two rules are settled by the database, never by reading first: a slot's ``booked`` counter
moves by a conditional ``UPDATE … WHERE booked < capacity`` whose row count must be 1 (and a
check constraint forbids ``booked > capacity``), and a partial unique index allows one live
booking per ID number per day.
"""

from __future__ import annotations

import math
import secrets
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import IntegrityError
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.counter.models import (
    Appointment,
    AppointmentStatus,
    BookingRule,
    ServicePoint,
    Slot,
)
from jingwu.counter.services import access
from jingwu.counter.services.applicant import clean_applicant, clean_last4
from jingwu.counter.services.catalogue import (
    get_hall,
    get_service,
    local_date,
    local_time,
    offers,
    open_periods,
)
from jingwu.errors import Conflict, Forbidden, Invalid, NotFound
from jingwu.orgs.services import Actor

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def booking_rule() -> BookingRule:
    """The configured rule row, or the defaults."""
    return BookingRule.objects.order_by("id").first() or BookingRule()


def plan_slots(point: ServicePoint, day: date) -> list[Slot]:
    """The bookable slots of one day, unsaved: capacity per service from the windows' hours.

    Each window's open minutes are shared equally among the bookable services it does; a
    service's bookable count for the day is ``floor(minutes × (1 − walk-in share) / handling
    minutes)``, spread over the slots in proportion to their minutes, so rounding never loses or
    invents a place.
    """
    step = timedelta(minutes=point.slot_minutes)
    bookable = {s.id: s for s in point.services.filter(is_active=True, bookable=True)}
    minutes: dict[int, dict[datetime, float]] = defaultdict(lambda: defaultdict(float))
    midnight = local_time(day, datetime.min.time())
    for period in open_periods(point, day):
        services = [s for s in period.service_ids if s in bookable]
        if not services:
            continue
        k = math.floor((period.start - midnight) / step)
        while (start := midnight + k * step) < period.end:
            overlap = (min(start + step, period.end) - max(start, period.start)).total_seconds()
            for sid in services:
                minutes[sid][start] += overlap / 60 / len(services)
            k += 1
    slots = []
    for sid, per_slot in minutes.items():
        service = bookable[sid]
        total = math.floor(
            sum(per_slot.values()) * (1 - point.walk_in_share) / service.handling_minutes + 1e-9
        )
        for start, capacity in _spread(total, per_slot).items():
            if capacity > 0:
                slots.append(
                    Slot(
                        service_point=point,
                        service=service,
                        date=day,
                        start=start,
                        end=start + step,
                        capacity=capacity,
                    )
                )
    return sorted(slots, key=lambda s: (s.start, s.service_id))


def _spread(total: int, weights: dict[datetime, float]) -> dict[datetime, int]:
    """``total`` whole places over the keys in proportion to ``weights``, evenly through the day.

    Rounding the running total (not each share) keeps the sum exact and spaces the places
    out, so evening slots get their share instead of losing every tie to the morning.
    """
    whole = sum(weights.values())
    if total <= 0 or whole <= 0:
        return {}
    out, running, given = {}, 0.0, 0
    for key in sorted(weights):
        running += total * weights[key] / whole
        upto = min(total, math.floor(running + 0.5))
        out[key], given = upto - given, upto
    return out


def ensure_slots(point: ServicePoint, day: date) -> None:
    """Create the day's slots once; concurrent callers are absorbed by the unique constraint."""
    if not Slot.objects.filter(service_point=point, date=day).exists():
        Slot.objects.bulk_create(plan_slots(point, day), ignore_conflicts=True)


def _check_day(point: ServicePoint, day: date, now: datetime) -> None:
    today = local_date(now)
    if not today <= day <= today + timedelta(days=point.booking_days_ahead):
        raise Invalid(
            _("只能预约今天起 %(days)s 天内的时段。") % {"days": point.booking_days_ahead},
            loc=["date"],
        )


def search_slots(*, point_id: object, service_code: object, day: date, now: datetime) -> list[Slot]:
    """The slots of a hall for one service on one day that have not started yet."""
    point = get_hall(point_id)
    service = get_service(service_code)
    if not offers(point, service):
        raise Invalid(_("该服务点不办理此事项。"), loc=["service"])
    if not service.bookable:
        raise Invalid(_("此事项无需预约，请直接到窗口取号办理。"), loc=["service"])
    _check_day(point, day, now)
    ensure_slots(point, day)
    return list(
        Slot.objects.filter(service_point=point, service=service, date=day, start__gt=now)
        .select_related("service")
        .order_by("start")
    )


def suspended_until(*, id_number: str, now: datetime, rule: BookingRule) -> datetime | None:
    """Until when booking is suspended for this person by the no-show rule, or None."""
    window = timedelta(days=rule.no_show_window_days)
    grace = timedelta(minutes=rule.no_show_grace_minutes)
    since = now - window - timedelta(days=rule.suspension_days)
    ends = sorted(
        Appointment.objects.filter(id_number=id_number, slot__end__gte=since)
        .filter(
            Q(status=AppointmentStatus.NO_SHOW)
            | Q(status=AppointmentStatus.BOOKED, slot__end__lt=now - grace)
        )
        .values_list("slot__end", flat=True)
    )
    limit, until = max(rule.no_show_limit, 1), None
    for i in range(limit - 1, len(ends)):
        if ends[i] - ends[i - limit + 1] <= window:
            until = ends[i] + timedelta(days=rule.suspension_days)
    return until if until is not None and until > now else None


def _still_open(slot: Slot) -> bool:
    """Whether the slot still lies inside its windows' opening hours (hours may have changed)."""
    return any(
        p.start <= slot.start and slot.end <= p.end and slot.service_id in p.service_ids
        for p in open_periods(slot.service_point, slot.date)
    )


def book_slot(
    *,
    slot_id: int,
    service_code: object,
    name: object,
    id_number: object,
    phone: object,
    now: datetime,
    request: HttpRequest | None = None,
) -> Appointment:
    """Book one place in a slot for a named citizen (no account needed).

    Conflict when the slot is full or the person already holds a booking that day; Invalid for
    bad details; Forbidden while the no-show rule suspends the person.
    """
    applicant = clean_applicant(name=name, id_number=id_number, phone=phone, today=local_date(now))
    slot = Slot.objects.select_related("service_point", "service").filter(pk=slot_id).first()
    if slot is None:
        raise NotFound(_("预约时段不存在。"), loc=["slot_id"])
    if str(service_code or "") != slot.service.code:
        raise Invalid(_("所选时段不属于该服务事项。"), loc=["service"])
    if slot.start <= now:
        raise Conflict(_("该时段已开始或已结束，请选择其他时段。"), loc=["slot_id"])
    _check_day(slot.service_point, slot.date, now)
    if not _still_open(slot):
        raise Conflict(_("该时段不在办公时间内，请选择其他时段。"), loc=["slot_id"])
    rule = booking_rule()
    until = suspended_until(id_number=applicant.id_number, now=now, rule=rule)
    if until is not None:
        raise Forbidden(
            _("您近期多次预约未到，预约功能暂停至 %(date)s。")
            % {"date": f"{local_date(until):%Y-%m-%d}"},
            loc=["id_number"],
        )
    taken = Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1)
    if taken != 1:
        raise Conflict(_("该时段已约满，请选择其他时段。"), loc=["slot_id"])
    try:
        appointment = Appointment.objects.create(
            code="".join(secrets.choice(_CODE_ALPHABET) for _ in range(8)),
            slot=slot,
            service_point=slot.service_point,
            service=slot.service,
            date=slot.date,
            name=applicant.name,
            id_number=applicant.id_number,
            phone=applicant.phone,
            created_at=now,
        )
    except IntegrityError:
        # The only unique rule a fresh random code can hit in practice: one booking a day.
        raise Conflict(_("您当天已有一个预约，每人每天限预约一次。"), loc=["id_number"]) from None
    audit.record(
        action="create",
        component="counter",
        organization_id=slot.service_point.organization_id,
        object_type="appointment",
        object_id=appointment.pk,
        request=request,
        at=now,
    )
    return appointment


def find_appointment(*, code: object, id_last4: object) -> Appointment:
    """A booking by its code and the last four characters of the ID number (else NotFound)."""
    last4 = clean_last4(id_last4)
    appointment = (
        Appointment.objects.select_related("slot", "service", "service_point")
        .filter(code=str(code or "").strip().upper())
        .first()
    )
    if appointment is None or not appointment.id_number.endswith(last4):
        raise NotFound(_("未找到与预约码和身份证后四位相符的预约。"), loc=["code"])
    return appointment


def cancel_appointment(
    *, code: object, id_last4: object, now: datetime, request: HttpRequest | None = None
) -> Appointment:
    """Cancel a booking before its slot starts and give the place back."""
    appointment = find_appointment(code=code, id_last4=id_last4)
    if appointment.slot.start <= now:
        raise Conflict(_("预约时段已开始，不能取消。"), loc=["code"])
    changed = Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.BOOKED).update(
        status=AppointmentStatus.CANCELLED, cancelled_at=now
    )
    if changed != 1:
        raise Conflict(_("该预约已取消或已签到。"), loc=["code"])
    Slot.objects.filter(pk=appointment.slot_id, booked__gt=0).update(booked=F("booked") - 1)
    audit.record(
        action="update",
        component="counter",
        organization_id=appointment.service_point.organization_id,
        object_type="appointment",
        object_id=appointment.pk,
        detail="cancelled",
        request=request,
        at=now,
    )
    appointment.refresh_from_db()
    return appointment


def mark_no_shows(*, now: datetime) -> int:
    """Mark bookings never checked in, past their slot and the grace time, as no-shows."""
    grace = timedelta(minutes=booking_rule().no_show_grace_minutes)
    return Appointment.objects.filter(
        status=AppointmentStatus.BOOKED, slot__end__lt=now - grace
    ).update(status=AppointmentStatus.NO_SHOW)


def list_appointments(
    *, actor: Actor, point_id: object, day: date, request: HttpRequest | None = None
) -> list[Appointment]:
    """A hall's bookings of one day, for its staff and heads (a read of personal data)."""
    point = get_hall(point_id)
    access.require_view(actor, point)
    rows = list(
        Appointment.objects.filter(service_point=point, date=day)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("slot", "service")
        .order_by("slot__start", "id")
    )
    audit.record(
        action="read",
        component="counter",
        user=actor.user,
        organization_id=point.organization_id,
        object_type="appointment",
        object_id=f"list:{day.isoformat()}",
        detail=f"{len(rows)} rows",
        request=request,
    )
    return rows


def get_confirmation(*, code: object) -> Appointment:
    """A booking by its code alone, for the confirmation page (no personal data is shown)."""
    appointment = (
        Appointment.objects.select_related("slot", "service", "service_point")
        .filter(code=str(code or "").strip().upper())
        .first()
    )
    if appointment is None:
        raise NotFound(_("预约不存在。"), loc=["code"])
    return appointment
