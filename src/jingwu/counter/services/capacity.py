"""Capacity planning: Erlang C for given figures, and windows needed per hour from history."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _

from jingwu.counter.models import ServicePoint, Ticket, TicketStatus
from jingwu.counter.services import access
from jingwu.counter.services.calendar import day_info
from jingwu.counter.services.catalogue import LOCAL, get_hall, open_periods
from jingwu.counter.services.figures import Period, clean_period
from jingwu.engine.queueing import QueueFigures, fewest_servers
from jingwu.errors import Invalid
from jingwu.orgs.services import Actor

MAX_ARRIVALS_PER_HOUR = 10_000.0
MAX_MINUTES = 480.0


def _number(value: object, field: str, low: float, high: float, *, low_open: bool = False) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise Invalid(_("请输入数字。"), loc=[field]) from None
    if not math.isfinite(x) or x < low or (low_open and x == low) or x > high:
        bounds = {"low": f"{low:g}", "high": f"{high:g}"}
        message = (
            _("取值须大于 %(low)s 且不超过 %(high)s。")
            if low_open
            else _("取值须在 %(low)s 到 %(high)s 之间。")
        )
        raise Invalid(message % bounds, loc=[field])
    return x


def plan_windows(
    *,
    arrivals_per_hour: object,
    handling_minutes: object,
    target_minutes: object = 15,
    service_level: object = 0.8,
) -> QueueFigures:
    """The fewest windows that serve ``service_level`` of citizens within ``target_minutes``."""
    rate = _number(arrivals_per_hour, "arrivals_per_hour", 0, MAX_ARRIVALS_PER_HOUR)
    handling = _number(handling_minutes, "handling_minutes", 0, MAX_MINUTES, low_open=True)
    target = _number(target_minutes, "target_minutes", 0, MAX_MINUTES)
    level = _number(service_level, "service_level", 0, 0.999)
    return fewest_servers(
        arrival_rate=rate / 60.0,
        handling_time=handling,
        target_time=target,
        service_level=level,
        min_servers=1,
    )


@dataclass(frozen=True)
class HourPlan:
    """One local hour of a working day: arrivals from history, windows needed and open."""

    hour: int
    arrivals_per_hour: float
    windows_needed: int
    windows_open: int
    prob_wait: float
    service_level: float
    mean_wait_minutes: float
    occupancy: float


@dataclass(frozen=True)
class CapacityPlan:
    """A hall's hourly plan over a period of its own history."""

    point: ServicePoint
    period: Period
    days: int
    handling_minutes: float
    target_minutes: float
    service_level: float
    hours: list[HourPlan]


def _windows_open(point: ServicePoint, day: date) -> Counter[int]:
    """How many windows are open in each local hour of a day (open for most of the hour)."""
    open_minutes: Counter[tuple[int, int]] = Counter()
    for p in open_periods(point, day):
        start, end = p.start.astimezone(LOCAL), p.end.astimezone(LOCAL)
        for h in range(start.hour, min(end.hour + 1, 24)):
            lo = max(start.hour * 60 + start.minute, h * 60)
            hi = min(end.hour * 60 + end.minute, h * 60 + 60)
            open_minutes[(p.window_id, h)] += max(hi - lo, 0)
    return Counter(h for (_w, h), m in open_minutes.items() if m >= 30)


def hourly_plan(
    *,
    actor: Actor,
    point_id: object,
    now: datetime,
    start: date | None = None,
    end: date | None = None,
    target_minutes: object = 15,
    service_level: object = 0.8,
) -> CapacityPlan:
    """Windows needed per hour on a working day, from the hall's arrivals on working days."""
    point = get_hall(point_id)
    access.require_view(actor, point)
    period = clean_period(start, end, now.astimezone(LOCAL).date())
    target = _number(target_minutes, "target_minutes", 0, MAX_MINUTES)
    level = _number(service_level, "service_level", 0, 0.999)
    rows = Ticket.objects.filter(
        service_point=point, issued_at__gte=period.since, issued_at__lt=period.until
    ).values_list("issued_at", "called_at", "finished_at", "status")
    per_hour: Counter[int] = Counter()
    days: set[date] = set()
    served: list[float] = []
    for issued, called, finished, status in rows:
        local = issued.astimezone(LOCAL)
        if not day_info(local.date()).is_workday:
            continue
        days.add(local.date())
        per_hour[local.hour] += 1
        if status == TicketStatus.DONE and called and finished:
            served.append((finished - called).total_seconds() / 60)
    handling = sum(served) / len(served) if served else _catalogue_handling(point)
    sample_day = max(days) if days else now.astimezone(LOCAL).date()
    open_now = _windows_open(point, sample_day)
    hours = []
    for h in sorted(set(per_hour) | set(open_now)):
        rate = per_hour[h] / len(days) if days else 0.0
        f = fewest_servers(
            arrival_rate=rate / 60,
            handling_time=handling,
            target_time=target,
            service_level=level,
            min_servers=0 if rate == 0 else 1,
        )
        hours.append(
            HourPlan(
                h,
                round(rate, 2),
                f.servers,
                open_now[h],
                f.prob_wait,
                f.service_level,
                f.mean_wait,
                f.occupancy,
            )
        )
    return CapacityPlan(point, period, len(days), round(handling, 2), target, level, hours)


def _catalogue_handling(point: ServicePoint) -> float:
    minutes = [s.handling_minutes for s in point.services.filter(is_active=True)]
    return sum(minutes) / len(minutes) if minutes else 10.0
