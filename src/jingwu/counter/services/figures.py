"""Figures: applications per service, hall, window and month; waiting and service times by
hour; window utilisation; on-time completion; and the same as an Excel workbook."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.counter.models import CaseStage, ServiceCase, ServicePoint, Ticket, TicketStatus, Window
from jingwu.counter.services import access
from jingwu.counter.services.calendar import day_info
from jingwu.counter.services.catalogue import LOCAL, local_time
from jingwu.errors import Invalid, NotFound
from jingwu.orgs.services import Actor

#: The longest period one request may cover (figures are computed in memory).
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """Local dates ``start``..``end`` inclusive, as aware bounds [since, until)."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return local_time(self.start, datetime.min.time())

    @property
    def until(self) -> datetime:
        return local_time(self.end + timedelta(days=1), datetime.min.time())

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def default_period(today: date) -> Period:
    """The last full calendar year (the figures the article quotes are yearly)."""
    return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))


def clean_period(start: date | None, end: date | None, today: date) -> Period:
    """A checked period; missing bounds default to the last full calendar year."""
    fallback = default_period(today)
    period = Period(start or fallback.start, end or fallback.end)
    if period.end < period.start:
        raise Invalid(_("结束日期不能早于开始日期。"), loc=["end"])
    if (period.end - period.start).days >= MAX_DAYS:
        raise Invalid(_("统计周期最长三年。"), loc=["end"])
    return period


@dataclass(frozen=True)
class HourRow:
    """Waiting and service minutes (p50, p90) of tickets issued in one local hour."""

    hour: int
    tickets: int
    wait_p50: float | None
    wait_p90: float | None
    service_p50: float | None
    service_p90: float | None


@dataclass(frozen=True)
class WindowUse:
    """How busy a window was: minutes serving over minutes open."""

    point: str
    window: str
    served: int
    busy_hours: float
    open_hours: float

    @property
    def utilisation(self) -> float | None:
        return self.busy_hours / self.open_hours if self.open_hours else None


@dataclass(frozen=True)
class OnTime:
    """Cases with a deadline: completed on time, late (or overdue and open), still running."""

    point: str
    service: str
    on_time: int
    late: int
    running: int

    @property
    def rate(self) -> float | None:
        done = self.on_time + self.late
        return self.on_time / done if done else None


@dataclass
class Figures:
    """Everything the figures page and the export show for some halls and a period."""

    period: Period
    points: list[ServicePoint]
    by_service: list[tuple[str, str, int]] = field(default_factory=list)
    by_window: list[tuple[str, str, int]] = field(default_factory=list)
    by_month: list[tuple[str, str, int]] = field(default_factory=list)
    hours: list[HourRow] = field(default_factory=list)
    windows: list[WindowUse] = field(default_factory=list)
    on_time: list[OnTime] = field(default_factory=list)

    @property
    def total_cases(self) -> int:
        return sum(n for _, _, n in self.by_service)


def _points(actor: Actor, point_id: int | None) -> list[ServicePoint]:
    points = access.viewable_points(actor)
    if point_id is not None:
        points = [p for p in points if p.pk == point_id]
        if not points:
            raise NotFound(_("服务点不存在。"), loc=["workstation_id"])
    return points


def _minutes(a: datetime | None, b: datetime | None) -> float | None:
    return (b - a).total_seconds() / 60 if a and b else None


def _pct(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    p50, p90 = np.percentile(np.asarray(values), [50, 90])
    return round(float(p50), 1), round(float(p90), 1)


def _hours(tickets: list[tuple[datetime, datetime | None, datetime | None]]) -> list[HourRow]:
    waits: dict[int, list[float]] = defaultdict(list)
    serves: dict[int, list[float]] = defaultdict(list)
    counts: Counter[int] = Counter()
    for issued, called, finished in tickets:
        hour = issued.astimezone(LOCAL).hour
        counts[hour] += 1
        if (w := _minutes(issued, called)) is not None:
            waits[hour].append(w)
        if (s := _minutes(called, finished)) is not None:
            serves[hour].append(s)
    return [HourRow(h, counts[h], *_pct(waits[h]), *_pct(serves[h])) for h in sorted(counts)]


def _open_hours(window: Window, period: Period) -> float:
    hours = {h.day_kind: h for h in window.hours.all()}
    total = 0.0
    for day in period.days():
        h = hours.get(day_info(day).kind)
        if h is None:
            continue
        minutes = (h.closes.hour * 60 + h.closes.minute) - (h.opens.hour * 60 + h.opens.minute)
        if h.break_start and h.break_end:
            minutes -= (h.break_end.hour * 60 + h.break_end.minute) - (
                h.break_start.hour * 60 + h.break_start.minute
            )
        total += max(minutes, 0) / 60
    return total


def _window_use(points: list[ServicePoint], period: Period) -> list[WindowUse]:
    rows = Ticket.objects.filter(
        service_point__in=points,
        issued_at__gte=period.since,
        issued_at__lt=period.until,
        window__isnull=False,
        status=TicketStatus.DONE,
    ).values_list("window_id", "called_at", "finished_at")
    busy: Counter[int] = Counter()
    served: Counter[int] = Counter()
    for window_id, called, finished in rows:
        served[window_id] += 1
        busy[window_id] += (_minutes(called, finished) or 0.0) / 60
    names = {p.pk: p.name for p in points}
    windows = Window.objects.filter(service_point__in=points).prefetch_related("hours")
    return [
        WindowUse(
            names[w.service_point_id],
            w.name,
            served[w.pk],
            round(busy[w.pk], 1),
            round(_open_hours(w, period), 1),
        )
        for w in windows
    ]


def _on_time(points: list[ServicePoint], period: Period, today: date) -> list[OnTime]:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = (
        ServiceCase.objects.filter(
            service_point__in=points, accepted_at__gte=period.since, accepted_at__lt=period.until
        )
        .exclude(stage=CaseStage.REJECTED)
        .values_list("service_point__name", "service__name", "due_date", "ready_at")
    )
    for point, service, due, ready in rows:
        c = counts[(point, service)]
        if ready is not None:
            c[0 if ready.astimezone(LOCAL).date() <= due else 1] += 1
        elif due < today:
            c[1] += 1
        else:
            c[2] += 1
    return [OnTime(p, s, *c) for (p, s), c in sorted(counts.items())]


def compute_figures(
    *,
    actor: Actor,
    now: datetime,
    point_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Figures:
    """The figures of the halls the actor may see (or one of them) over a period."""
    period = clean_period(start, end, now.astimezone(LOCAL).date())
    points = _points(actor, point_id)
    fig = Figures(period, points)
    cases = ServiceCase.objects.filter(
        service_point__in=points, accepted_at__gte=period.since, accepted_at__lt=period.until
    )
    fig.by_service = [
        (r["service_point__name"], r["service__name"], r["n"])
        for r in cases.values("service_point__name", "service__name", "service__sort_order")
        .annotate(n=Count("id"))
        .order_by("service_point__name", "service__sort_order")
    ]
    fig.by_window = [
        (r["service_point__name"], r["window__name"] or _("（无窗口）"), r["n"])
        for r in cases.values("service_point__name", "window__name", "window__number")
        .annotate(n=Count("id"))
        .order_by("service_point__name", "window__number")
    ]
    months: Counter[tuple[str, str]] = Counter(
        (at.astimezone(LOCAL).strftime("%Y-%m"), name)
        for at, name in cases.values_list("accepted_at", "service__name")
    )
    fig.by_month = [(m, s, n) for (m, s), n in sorted(months.items())]
    fig.hours = _hours(
        list(
            Ticket.objects.filter(
                service_point__in=points,
                issued_at__gte=period.since,
                issued_at__lt=period.until,
            ).values_list("issued_at", "called_at", "finished_at")
        )
    )
    fig.windows = _window_use(points, period)
    fig.on_time = _on_time(points, period, now.astimezone(LOCAL).date())
    return fig


def export_workbook(fig: Figures, *, actor: Actor, request: HttpRequest | None = None) -> bytes:
    """The figures as an .xlsx workbook with Chinese headers (an audited export)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    sheets: list[tuple[str, list[str], list[tuple[object, ...]]]] = [
        (_("按事项"), [_("服务点"), _("事项"), _("办件数")], list(fig.by_service)),
        (_("按窗口"), [_("服务点"), _("窗口"), _("办件数")], list(fig.by_window)),
        (_("按月份"), [_("月份"), _("事项"), _("办件数")], list(fig.by_month)),
        (
            _("等候与办理时长"),
            [
                _("取号时段"),
                _("取号数"),
                _("等候时长中位数（分钟）"),
                _("等候时长P90（分钟）"),
                _("办理时长中位数（分钟）"),
                _("办理时长P90（分钟）"),
            ],
            [
                (
                    f"{h.hour:02d}:00",
                    h.tickets,
                    h.wait_p50,
                    h.wait_p90,
                    h.service_p50,
                    h.service_p90,
                )
                for h in fig.hours
            ],
        ),
        (
            _("窗口利用率"),
            [
                _("服务点"),
                _("窗口"),
                _("服务人次"),
                _("服务时长（小时）"),
                _("开放时长（小时）"),
                _("利用率"),
            ],
            [
                (w.point, w.window, w.served, w.busy_hours, w.open_hours, w.utilisation)
                for w in fig.windows
            ],
        ),
        (
            _("按时办结"),
            [_("服务点"), _("事项"), _("按时办结"), _("超期"), _("办理中"), _("按时办结率")],
            [(o.point, o.service, o.on_time, o.late, o.running, o.rate) for o in fig.on_time],
        ),
    ]
    for n, (title, headers, rows) in enumerate(sheets):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = title
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(list(row))
        for col, header in zip(ws.columns, headers, strict=False):
            ws.column_dimensions[col[0].column_letter].width = max(10, len(header) * 2 + 2)
    info = wb.create_sheet(_("说明"))
    info.append([_("统计周期"), f"{fig.period.start:%Y-%m-%d} — {fig.period.end:%Y-%m-%d}"])
    info.append([_("服务点"), "、".join(p.name for p in fig.points)])
    buf = io.BytesIO()
    wb.save(buf)
    audit.record(
        action="export",
        component="counter",
        user=actor.user,
        object_type="figures",
        object_id=f"{fig.period.start}..{fig.period.end}",
        detail=f"{len(fig.points)} points",
        request=request,
    )
    return buf.getvalue()
