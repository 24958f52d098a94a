"""Demo data for citizen services: the catalogue, the five halls, 龙头's three windows, and
a synthetic calendar year 2025 of tickets and cases reproducing the article's figures.

The article: 新店龙头警务站 has 3 windows (1 full-time officer, 2 staff) and "今年以来" handled
1,194 residence permits, 1,377 address changes and 5,401 travel endorsements. The history is
generated with a fixed seed, so every load produces the same rows, and written with
``bulk_create`` so the whole demo stays fast. A few live cases (near or past their due date),
today's queue and bookings are generated relative to the time of loading.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import chinese_calendar
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max, Model
from django.utils import timezone

from jingwu.areas.models import Area
from jingwu.counter.models import (
    Appointment,
    BookingRule,
    CaseEvent,
    CaseStage,
    EventKind,
    NumberSequence,
    OpeningHours,
    PointKind,
    ServiceCase,
    ServicePoint,
    ServiceType,
    Shift,
    Slot,
    Staffing,
    Ticket,
    TicketStatus,
    Window,
    WindowStatus,
)
from jingwu.counter.services.booking import ensure_slots
from jingwu.counter.services.calendar import add_working_days, day_info
from jingwu.counter.services.catalogue import LOCAL, local_date
from jingwu.engine.idnumber import make_id_number
from jingwu.orgs.models import Membership, Organization, Person, Role

HISTORY_YEAR = 2025
SEED = 20250101

# (code, name, handling minutes, working days, ticket letter, bookable, legal basis, documents)
CATALOGUE = [
    ("id_card_first", "居民身份证首次申领", 10, 20, "A", True,
     "《居民身份证法》第十二条（法定60日），本站承诺20个工作日",
     ["居民户口簿", "近期免冠证件照（现场采集）", "未满16周岁须监护人陪同"]),
    ("id_card_renewal", "居民身份证到期换领", 10, 20, "A", True,
     "《居民身份证法》第十二条（法定60日），本站承诺20个工作日",
     ["原居民身份证", "居民户口簿"]),
    ("id_card_loss", "居民身份证挂失补领", 10, 20, "A", True,
     "《居民身份证法》第十二条（法定60日），本站承诺20个工作日",
     ["居民户口簿", "本人到场"]),
    ("residence_permit", "居住证申领", 10, 15, "B", True,
     "《居住证暂行条例》第十条：受理之日起15日内（以工作日计）",
     ["居民身份证", "居住登记证明", "合法稳定就业、住所或连续就读证明之一"]),
    ("address_change", "户籍地址变更", 15, 5, "C", True,
     "福建省户籍业务办理规范，承诺5个工作日",
     ["居民户口簿", "房屋产权证明或门牌变更证明", "全部迁移人员的居民身份证"]),
    ("travel_endorsement", "出入境签注（往来港澳台）", 5, 7, "D", True,
     "出入境管理机构承诺7个工作日",
     ["往来港澳通行证或往来台湾通行证", "居民身份证"]),
    ("certificate", "开具证明", 8, 1, "E", True,
     "公安机关证明事项清单，承诺1个工作日",
     ["居民身份证", "相关证明材料（按证明类别）"]),
    ("temporary_id", "临时居民身份证", 5, 0, "F", False,
     "《临时居民身份证管理办法》，当场办结",
     ["居民户口簿", "本人到场"]),
]  # fmt: skip

ID_CARDS = ["id_card_first", "id_card_renewal", "id_card_loss"]

# workstation code: (hall case prefix, services, windows[(number, name, staffing, services,
# hours key)], has terminal)
HALLS = {
    "ws-longtou": (
        "LT",
        [c[0] for c in CATALOGUE],
        [
            (1, "1号窗口（户籍·证明）", Staffing.OFFICER,
             ["address_change", "certificate", *ID_CARDS, "temporary_id"], "day"),
            (2, "2号窗口（居住证·签注）", Staffing.STAFF,
             ["residence_permit", "travel_endorsement"], "long"),
            (3, "3号窗口（身份证·签注）", Staffing.STAFF,
             [*ID_CARDS, "travel_endorsement", "temporary_id"], "day"),
        ],
    ),
    "ws-taihe": (
        "TH",
        ["travel_endorsement", "certificate", "residence_permit"],
        [(1, "1号窗口（综合）", Staffing.STAFF,
          ["travel_endorsement", "certificate", "residence_permit"], "long")],
    ),
    "ws-chongxian": (
        "CX",
        ["residence_permit", "certificate", "address_change"],
        [(1, "1号窗口（综合）", Staffing.STAFF,
          ["residence_permit", "certificate", "address_change"], "day")],
    ),
    "ws-guling": ("GL", ["certificate"], [(1, "1号窗口", Staffing.STAFF, ["certificate"], "day")]),
    "ws-railway": (
        "HC",
        ["temporary_id", "certificate"],
        [(1, "1号窗口（临时身份证）", Staffing.OFFICER, ["temporary_id", "certificate"], "day")],
    ),
}  # fmt: skip

# Opening hours per kind of day: (opens, closes, break start, break end).
HOURS = {
    "day": {"workday": (time(8, 30), time(17, 30), time(12, 0), time(14, 0))},
    # Window 2 stays open after work ("下班后") and on Saturday mornings.
    "long": {
        "workday": (time(8, 30), time(18, 30), time(12, 0), time(14, 0)),
        "weekend": (time(9, 0), time(12, 0), None, None),
    },
}

# The people at 龙头's windows: the officer, clerk_longtou (刘芳) and a second clerk.
LONGTOU_STAFF = [(1, "吴建国", Role.POLICE_OFFICER), (3, "陈静", Role.CLERK)]

# Cases in 2025 per hall and service: 龙头's first three are the article's figures.
HISTORY = {
    "ws-longtou": {
        "residence_permit": 1194,
        "address_change": 1377,
        "travel_endorsement": 5401,
        "id_card_first": 286,
        "id_card_renewal": 1530,
        "id_card_loss": 412,
        "certificate": 655,
        "temporary_id": 318,
    },
    "ws-taihe": {"travel_endorsement": 1820, "certificate": 260, "residence_permit": 410},
    "ws-chongxian": {"residence_permit": 520, "certificate": 190, "address_change": 240},
    "ws-guling": {"certificate": 85},
    "ws-railway": {"temporary_id": 960, "certificate": 120},
}
# Which window takes what share of a service at 龙头 (the rest goes to the others evenly).
LONGTOU_SPLIT = {"travel_endorsement": {2: 0.6, 3: 0.4}, "id_card": {1: 0.3, 3: 0.7}}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国林飞鹏辉晨宇欣怡子涵浩然梓轩雨诗琪思佳嘉俊文博"
# Relative arrivals per local half-hour of a working day (08:30 … 18:00).
ARRIVALS = {
    (8, 30): 6, (9, 0): 10, (9, 30): 11, (10, 0): 10, (10, 30): 8, (11, 0): 6, (11, 30): 3,
    (14, 0): 6, (14, 30): 9, (15, 0): 10, (15, 30): 9, (16, 0): 7, (16, 30): 5, (17, 0): 3,
}  # fmt: skip


@dataclass
class _Hall:
    point: ServicePoint
    windows: dict[int, Window]
    staff: dict[int, int]  # window number -> person id


def _catalogue() -> dict[str, ServiceType]:
    out = {}
    for n, (code, name, minutes, days, prefix, bookable, basis, docs) in enumerate(CATALOGUE):
        out[code], _ = ServiceType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "handling_minutes": minutes,
                "time_limit_working_days": days,
                "ticket_prefix": prefix,
                "bookable": bookable,
                "legal_basis": basis,
                "documents": docs,
                "sort_order": n,
            },
        )
    return out


def _person(name: str, org: Organization, role: str, n: int) -> Person:
    person, _ = Person.objects.get_or_create(
        name=name,
        badge=f"CT{n:04d}",
        defaults={"phone": f"1385910{n:04d}"},
    )
    Membership.objects.get_or_create(person=person, organization=org, role=role)
    return person


def _hall(code: str, services: dict[str, ServiceType]) -> _Hall:
    prefix, offered, windows = HALLS[code]
    org = Organization.objects.get(code=code)
    area = Area.objects.filter(code=code).first()
    point, _ = ServicePoint.objects.update_or_create(
        organization=org,
        kind=PointKind.HALL,
        defaults={
            "name": f"{org.name}便民服务区",
            "lat": area.post_lat if area else None,
            "lon": area.post_lon if area else None,
            "case_prefix": prefix,
        },
    )
    point.services.set([services[s] for s in offered])
    ServicePoint.objects.get_or_create(
        organization=org,
        kind=PointKind.TERMINAL,
        defaults={
            "name": f"{org.name} e福州自助终端",
            "lat": point.lat,
            "lon": point.lon,
        },
    )[0].services.set([services[s] for s in offered if s in ("travel_endorsement", "certificate")])
    hall = _Hall(point, {}, {})
    for number, name, staffing, window_services, hours in windows:
        window, _ = Window.objects.update_or_create(
            service_point=point,
            number=number,
            defaults={"name": name, "staffing": staffing, "status": WindowStatus.OPEN},
        )
        window.services.set([services[s] for s in window_services])
        for kind, (opens, closes, b0, b1) in HOURS[hours].items():
            OpeningHours.objects.update_or_create(
                window=window,
                day_kind=kind,
                defaults={"opens": opens, "closes": closes, "break_start": b0, "break_end": b1},
            )
        hall.windows[number] = window
    return hall


def _staff(halls: dict[str, _Hall]) -> None:
    longtou = halls["ws-longtou"]
    org = longtou.point.organization
    clerk = Person.objects.get(user__username="clerk_longtou")
    longtou.staff[2] = clerk.pk
    for n, (window, name, role) in enumerate(LONGTOU_STAFF, start=1):
        longtou.staff[window] = _person(name, org, role, n).pk
    others = {
        "ws-taihe": "郑晓燕",
        "ws-chongxian": "林小琴",
        "ws-guling": "高雅琴",
        "ws-railway": "张国庆",
    }
    for n, (code, name) in enumerate(others.items(), start=10):
        hall = halls[code]
        hall.staff[1] = _person(name, hall.point.organization, Role.CLERK, n).pk


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _id_number(rng: random.Random) -> str:
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    return make_id_number(
        rng.choice(["350111", "350102", "350121", "350181", "352201", "360102", "430102"]),
        birth,
        rng.randrange(500),
        rng.choice(["male", "female"]),
    )


def _window_for(
    code: str, service: str, hall: _Hall, doing: dict[str, list[Window]], rng: random.Random
) -> Window:
    if code == "ws-longtou":
        split = LONGTOU_SPLIT.get("id_card" if service in ID_CARDS else service)
        if split:
            numbers, weights = zip(*split.items(), strict=True)
            return hall.windows[rng.choices(numbers, weights)[0]]
    return rng.choice(doing[service])


def _history(halls: dict[str, _Hall], services: dict[str, ServiceType]) -> None:
    """One calendar year of tickets and collected cases per hall, deterministic per seed."""
    rng = random.Random(SEED)
    workdays = chinese_calendar.get_workdays(
        date(HISTORY_YEAR, 1, 1), date(HISTORY_YEAR, 12, 31), include_weekends=True
    )
    later = chinese_calendar.get_workdays(
        date(HISTORY_YEAR, 12, 1), date(HISTORY_YEAR + 1, 3, 31), include_weekends=True
    )
    calendar = sorted(set(workdays) | set(later))
    position = {d: i for i, d in enumerate(calendar)}
    slots, weights = zip(*ARRIVALS.items(), strict=True)
    at, on = connection.ops.adapt_datetimefield_value, connection.ops.adapt_datefield_value
    ticket_id = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    case_id = (ServiceCase.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    tickets: list[tuple[object, ...]] = []
    cases: list[tuple[object, ...]] = []
    # The numbers handed out, so that a case accepted later on one of these days (a test
    # clock, a back-dated entry) continues the day's sequence instead of colliding with it.
    sequences: list[tuple[object, ...]] = []
    for code, counts in HISTORY.items():
        hall = halls[code]
        doing: dict[str, list[Window]] = defaultdict(list)
        for window in hall.windows.values():
            for s in window.services.all():
                doing[s.code].append(window)
        jobs = [s for s, n in counts.items() for _ in range(n)]
        rng.shuffle(jobs)
        per_day: dict[date, list[str]] = defaultdict(list)
        for service_code in jobs:
            per_day[rng.choice(workdays)].append(service_code)
        for day in sorted(per_day):
            arrivals = sorted(
                (rng.choices(slots, weights)[0], rng.randrange(30), s) for s in per_day[day]
            )
            seq: dict[str, int] = defaultdict(int)
            for n, ((hh, mm), offset, service_code) in enumerate(arrivals, start=1):
                service = services[service_code]
                window = _window_for(code, service_code, hall, doing, rng)
                issued = datetime.combine(day, time(hh, mm), tzinfo=LOCAL) + timedelta(
                    minutes=offset, seconds=rng.randrange(60)
                )
                called = issued + timedelta(minutes=rng.expovariate(1 / 7.0))
                finished = called + timedelta(
                    minutes=max(2.0, rng.lognormvariate(0, 0.35) * service.handling_minutes)
                )
                seq[service.ticket_prefix] += 1
                staff = hall.staff[window.number]
                tickets.append(
                    (ticket_id, hall.point.pk, service.pk, on(day),
                     f"{service.ticket_prefix}{seq[service.ticket_prefix]:03d}",
                     TicketStatus.DONE.value, at(issued), at(called), at(finished), 0,
                     window.pk, staff)
                )  # fmt: skip
                limit = service.time_limit_working_days
                late = rng.random() < 0.03
                ready_index = position[day] + (
                    limit + rng.randint(1, 3) if late else rng.randint(min(1, limit), limit)
                )
                ready = (
                    datetime.combine(calendar[ready_index], time(16, 0), tzinfo=LOCAL)
                    if limit
                    else finished
                )
                cases.append(
                    (case_id, f"{hall.point.case_prefix}{day:%Y%m%d}{n:04d}", hall.point.pk,
                     service.pk, window.pk, ticket_id, _name(rng), _id_number(rng),
                     f"13{rng.randrange(10**9):09d}", staff, CaseStage.COLLECTED.value,
                     at(finished), on(calendar[position[day] + limit]), False, at(ready),
                     at(ready + timedelta(days=rng.randint(0, 5))), "")
                )  # fmt: skip
                ticket_id += 1
                case_id += 1
            sequences.append((f"case:{hall.point.case_prefix}:{day:%Y%m%d}", len(arrivals)))
            sequences += [
                (f"ticket:{hall.point.pk}:{day:%Y%m%d}:{prefix}", last)
                for prefix, last in seq.items()
            ]
    _insert(Ticket, TICKET_COLUMNS, tickets)
    _insert(ServiceCase, CASE_COLUMNS, cases)
    _insert(NumberSequence, ["key", "last"], sequences)


TICKET_COLUMNS = [
    "id", "service_point", "service", "date", "number", "status", "issued_at", "called_at",
    "finished_at", "recalls", "window", "called_by",
]  # fmt: skip
CASE_COLUMNS = [
    "id", "number", "service_point", "service", "window", "ticket", "applicant_name",
    "id_number", "phone", "first_handler", "stage", "accepted_at", "due_date", "due_estimated",
    "ready_at", "closed_at", "reject_reason",
]  # fmt: skip


def _insert(model: type[Model], fields: list[str], rows: list[tuple[object, ...]]) -> None:
    """Insert pre-adapted rows with one executemany per batch.

    ``bulk_create`` spends seconds preparing a year of rows field by field; the demo must
    load in a few seconds, so the values are adapted once while they are generated.
    Explicit ids are used so cases can point at their tickets; PostgreSQL's id sequences are
    moved past them afterwards.
    """
    meta = model._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(meta.get_field(f).column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i : i + 5000])
        if "id" in fields:
            for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(statement)


def _working_days_before(day: date, n: int) -> date:
    while n:
        day -= timedelta(days=1)
        n -= day_info(day).is_workday
    return day


def _live(halls: dict[str, _Hall], services: dict[str, ServiceType], now: datetime) -> None:
    """Open cases of 刘芳 near or past their due date, and this week's shifts."""
    rng = random.Random(SEED + 1)
    hall = halls["ws-longtou"]
    today = local_date(now)
    clerk_id = hall.staff[2]
    # (service, working days until due: negative = overdue, stage)
    plan = [
        ("residence_permit", -2, CaseStage.PRODUCING),
        ("travel_endorsement", -1, CaseStage.REVIEWING),
        ("residence_permit", 0, CaseStage.PRODUCING),
        ("travel_endorsement", 1, CaseStage.REVIEWING),
        ("residence_permit", 2, CaseStage.ACCEPTED),
        ("travel_endorsement", 5, CaseStage.ACCEPTED),
        ("residence_permit", 9, CaseStage.REVIEWING),
    ]
    for n, (code, until_due, stage) in enumerate(plan, start=1):
        service = services[code]
        back = service.time_limit_working_days - until_due
        accepted_day = _working_days_before(today, back) if back > 0 else today
        accepted = datetime.combine(accepted_day, time(9, 10 + 5 * n), tzinfo=LOCAL)
        due, estimated = add_working_days(accepted_day, service.time_limit_working_days)
        case, created = ServiceCase.objects.get_or_create(
            number=f"LT{accepted_day:%Y%m%d}{90 + n:04d}",
            defaults={
                "service_point": hall.point,
                "service": service,
                "window": hall.windows[2],
                "applicant_name": _name(rng),
                "id_number": _id_number(rng),
                "phone": f"139{rng.randrange(10**8):08d}",
                "first_handler_id": clerk_id,
                "stage": stage,
                "accepted_at": accepted,
                "due_date": due,
                "due_estimated": estimated,
            },
        )
        if created:
            CaseEvent.objects.create(
                case=case, at=accepted, kind=EventKind.ACCEPTED, to_stage="accepted",
                actor_id=clerk_id,
            )  # fmt: skip
            if stage != CaseStage.ACCEPTED:
                CaseEvent.objects.create(
                    case=case, at=accepted + timedelta(hours=3), kind=EventKind.STAGE,
                    from_stage="accepted", to_stage=stage, actor_id=clerk_id,
                )  # fmt: skip
    shifts = [
        Shift(window=w, date=today + timedelta(days=d), person_id=h.staff[w.number])
        for h in halls.values()
        for w in h.windows.values()
        for d in range(7)
        if w.number in h.staff
    ]
    Shift.objects.bulk_create(shifts, ignore_conflicts=True)


def _bookings(halls: dict[str, _Hall], services: dict[str, ServiceType], now: datetime) -> None:
    """A few bookings on the next working day at 龙头, so the clerk's list is not empty."""
    hall = halls["ws-longtou"]
    day = local_date(now) + timedelta(days=1)
    while not day_info(day).is_workday:
        day += timedelta(days=1)
    ensure_slots(hall.point, day)
    rng = random.Random(SEED + 2)
    for code in ("residence_permit", "travel_endorsement", "id_card_renewal"):
        slot = Slot.objects.filter(
            service_point=hall.point, service=services[code], date=day, booked=0
        ).first()
        if slot is None:
            continue
        Appointment.objects.create(
            code=f"DEMO{code[:2].upper()}{rng.randrange(100):02d}",
            slot=slot,
            service_point=hall.point,
            service=slot.service,
            date=day,
            name=_name(rng),
            id_number=_id_number(rng),
            phone=f"137{rng.randrange(10**8):08d}",
            created_at=now,
        )
        Slot.objects.filter(pk=slot.pk).update(booked=1)


def _populations() -> None:
    """Illustrative resident counts for grids that have none, so the circle can weigh them."""
    rng = random.Random(SEED + 3)
    for grid in Area.objects.filter(level="grid", population__isnull=True).order_by("code"):
        Area.objects.filter(pk=grid.pk).update(population=rng.randrange(800, 6000, 10))


def load(*, password: str = "", now: datetime | None = None) -> list[Any]:
    """Create the counter demo once; a second load only refreshes the catalogue and halls.

    Returns no accounts (the counter's clerk, clerk_longtou, is a foundation persona).
    """
    now = now or timezone.now()
    BookingRule.objects.get_or_create(id=1)
    services = _catalogue()
    first_time = not ServicePoint.objects.exists()
    halls = {code: _hall(code, services) for code in HALLS}
    _staff(halls)
    if first_time:
        _history(halls, services)
        _bookings(halls, services, now)
        _populations()
    _live(halls, services, now)
    return []
