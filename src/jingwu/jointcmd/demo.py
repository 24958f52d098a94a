"""Demo joint command at 福州火车站: the 路地联勤 area, its forces and accounts, sharing rules,
posts with three weeks of roster, equipment, the joint patrol with a week of check-ins, and a
few days of shift handovers.

Accounts: ``duty_railway`` (duty officer, 火车站派出所路地联勤指挥中心), ``railway_police``
(福州站铁路公安派出所) and ``security_railway`` (站区保安队). The time-dependent history is
written once, counted back from the load time; loading again refreshes names only.
People, posts and positions are illustrative.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from shapely.geometry import Point

from jingwu.areas.models import Area
from jingwu.areas.services import resolve_point
from jingwu.engine.geo import LocalProjection
from jingwu.engine.idnumber import make_id_number
from jingwu.incidents.models import Incident
from jingwu.jointcmd.models import (
    CheckIn,
    CheckInMethod,
    Checkpoint,
    Equipment,
    Handover,
    HandoverItem,
    JointArea,
    PatrolMember,
    PatrolPlan,
    PatrolRun,
    Post,
    PostKind,
    Problem,
    ProblemAction,
    ProblemStage,
    RosterAssignment,
    RosterShift,
    SharingRule,
    TrackPoint,
)
from jingwu.jointcmd.services import handovers, patrols
from jingwu.jointcmd.services.rosters import LOCAL, week_bounds, week_start
from jingwu.orgs.models import Membership, Organization, OrgKind, Person, Role
from jingwu.units.models import ON_CALL, Shift, Unit, UnitStatus

AREA_CODE = "jc-railway"
STATION = (26.113, 119.317)  # the joint command centre's post (approximate)
TAIHE = (26.099, 119.336)

#: (username, name, role, organization code, badge)
ACCOUNTS = [
    ("duty_railway", "吴海峰", Role.DUTY_OFFICER, "ws-railway", "JA1001"),
    ("railway_police", "郭振华", Role.POLICE_OFFICER, "railway-police-fuzhou", "TL2001"),
    ("security_railway", "林小勇", Role.SECURITY_GUARD, "security-railway-station", "BA3001"),
]
#: People without accounts who stand on the posts: (name, role, organization code, badge).
ROSTER_PEOPLE = [
    ("李明辉", Role.POLICE_OFFICER, "ws-railway", "JA1002"),
    ("王建国", Role.POLICE_OFFICER, "ws-railway", "JA1003"),
    ("张家豪", Role.AUXILIARY_OFFICER, "ws-railway", "FJ1004"),
    ("陈宇", Role.AUXILIARY_OFFICER, "ws-railway", "FJ1005"),
    ("刘涛", Role.AUXILIARY_OFFICER, "ws-railway", "FJ1006"),
    ("蔡文斌", Role.AUXILIARY_OFFICER, "ws-railway", "FJ1007"),
    ("周建平", Role.POLICE_OFFICER, "railway-police-fuzhou", "TL2002"),
    ("郑凯", Role.POLICE_OFFICER, "railway-police-fuzhou", "TL2003"),
    ("杨帆", Role.POLICE_OFFICER, "railway-police-fuzhou", "TL2004"),
    ("林峰", Role.AUXILIARY_OFFICER, "railway-police-fuzhou", "TL2005"),
    ("何伟", Role.SECURITY_GUARD, "security-railway-station", "BA3002"),
    ("吴斌", Role.SECURITY_GUARD, "security-railway-station", "BA3003"),
    ("许俊杰", Role.SECURITY_GUARD, "security-railway-station", "BA3004"),
    ("黄磊", Role.SECURITY_GUARD, "security-railway-station", "BA3005"),
    ("邱立", Role.SECURITY_GUARD, "security-railway-station", "BA3006"),
]
#: (name, kind, metres north, metres east, min staff, around the clock, daily shifts)
POSTS = [
    ("北广场定点岗", PostKind.PLACE, 260, -40, 2, True, [(0, 8), (8, 16), (16, 24)]),
    ("南广场定点岗", PostKind.PLACE, -240, 30, 1, True, [(0, 8), (8, 16), (16, 24)]),
    ("进站口安检岗", PostKind.PLACE, 40, 10, 1, False, [(6, 14), (14, 22)]),
    ("站前路巡区", PostKind.BEAT, 120, 380, 2, False, [(8, 20)]),
]
#: (name, quantity, status, note) at the joint command centre's desk
EQUIPMENT = [
    ("对讲机", 12, "ready", ""),
    ("执法记录仪", 8, "ready", ""),
    ("防暴钢叉", 4, "ready", ""),
    ("急救包", 3, "ready", ""),
    ("警用无人机", 1, "faulty", "电池无法充电，已报修"),
]
PATROL_CHECKPOINTS = [
    ("北广场出站口", 280, -60),
    ("公交枢纽站", 420, 260),
    ("站前路口", 150, 520),
    ("地铁站出入口", -120, 330),
    ("南广场", -260, 20),
]
#: Units of the railway police (a partner force sends its own to shared incidents):
#: (code, name, tier, mode, metres north, metres east).
PARTNER_UNITS = [
    ("TLGA-F1", "铁路公安站区步巡组", 2, "foot", 90, -30),
    ("TLGA-F2", "铁路公安出站口巡逻组", 2, "foot", 230, -50),
]
HANDOVER_NOTES = [
    "北广场出租车揽客纠纷反复，已与站区管理办约定周三联合整治。",
    "晚高峰客流大，进站口排队较长，已请站区保安增派一人。",
    "夜间南广场有流浪人员聚集，已联系救助站。",
    "平稳，无重大警情。",
    "节前客流高峰预案已下发各岗位。",
]


@dataclass(frozen=True)
class DemoJointAccount:
    """An account added by the joint-command and eco demos."""

    username: str
    name: str
    role: str
    organization: str


def _offset(origin: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    lat, lon = LocalProjection(*origin).to_latlon(east_m, north_m)
    return round(float(lat), 6), round(float(lon), 6)


def circle(origin: tuple[float, float], radius_m: float, n: int = 48) -> dict[str, object]:
    """A GeoJSON polygon approximating a circle (for demo zones)."""
    proj = LocalProjection(*origin)
    ring = Point(0, 0).buffer(radius_m, quad_segs=max(2, n // 4))
    lat, lon = proj.to_latlon(*zip(*ring.exterior.coords, strict=True))
    coords = [[round(float(x), 6), round(float(y), 6)] for y, x in zip(lat, lon, strict=True)]
    coords[-1] = coords[0]
    return {"type": "Polygon", "coordinates": [coords]}


def _rectangle(
    origin: tuple[float, float], n: float, e: float, h: float, w: float
) -> dict[str, object]:
    corners = [(n - h, e - w), (n - h, e + w), (n + h, e + w), (n + h, e - w), (n - h, e - w)]
    pts = [_offset(origin, a, b) for a, b in corners]
    return {"type": "Polygon", "coordinates": [[[lon, lat] for lat, lon in pts]]}


def ensure_person(
    *, name: str, role: str, org: Organization, badge: str, user: object | None = None, n: int = 0
) -> Person:
    """A person with one membership, created or refreshed by badge."""
    defaults: dict[str, object] = {"name": name}
    if user is not None:
        defaults["user"] = user
        defaults["phone"] = f"1380592{n:04d}"
        defaults["id_number"] = make_id_number(
            "350111", date(1975 + n % 20, 1 + n % 12, 1 + n % 27), n % 500, "male"
        )
    person, _c = Person.objects.update_or_create(badge=badge, defaults=defaults)
    Membership.objects.get_or_create(person=person, organization=org, role=role)
    return person


@functools.cache
def _hashed(password: str) -> str:
    # Argon2 costs most of a second a hash: the demo accounts share one (same password anyway).
    return make_password(password)


def ensure_account(
    *, username: str, name: str, role: str, org: Organization, badge: str, password: str, n: int
) -> DemoJointAccount:
    """A log-in for a demo persona with its person and membership."""
    User = get_user_model()
    user, _c = User.objects.get_or_create(username=username)
    user.password = _hashed(password)
    user.save()
    ensure_person(name=name, role=role, org=org, badge=badge, user=user, n=n)
    return DemoJointAccount(username, name, str(Role(role).label), org.name)


def _orgs() -> dict[str, Organization]:
    ws = Organization.objects.get(code="ws-railway")
    Organization.objects.update_or_create(
        code="security-railway-station",
        defaults={
            "kind": OrgKind.SECURITY_COMPANY,
            "name": "福州火车站站区保安队（示意）",
            "parent": ws,
        },
    )
    codes = ["ws-railway", "railway-police-fuzhou", "security-railway-station", "security-taihe"]
    return {o.code: o for o in Organization.objects.filter(code__in=codes)}


def _area(orgs: dict[str, Organization]) -> tuple[JointArea, bool]:
    area, created = JointArea.objects.update_or_create(
        code=AREA_CODE,
        defaults={
            "name": "福州火车站路地联勤区",
            "geometry": circle(STATION, 700),
            "lead": orgs["ws-railway"],
        },
    )
    area.partners.set([orgs["railway-police-fuzhou"], orgs["security-railway-station"]])
    return area, created


def _rules(area: JointArea, orgs: dict[str, Organization], now: datetime) -> None:
    specs = [
        (
            "火车站片区警情共享（铁路公安）",
            orgs["ws-railway"],
            area,
            area.geometry,
            [],
            [orgs["railway-police-fuzhou"]],
        ),
        (
            "火车站片区警情共享（站区保安）",
            orgs["ws-railway"],
            area,
            area.geometry,
            [],
            [orgs["security-railway-station"]],
        ),
        (
            "泰禾广场商圈警情共享（商场保安）",
            Organization.objects.get(code="ws-taihe"),
            None,
            circle(TAIHE, 400),
            [],
            [orgs["security-taihe"]],
        ),
    ]
    for name, owner, joint_area, geometry, priorities, partners in specs:
        rule, _c = SharingRule.objects.update_or_create(
            name=name,
            defaults={
                "owner": owner,
                "joint_area": joint_area,
                "geometry": geometry,
                "priorities": priorities,
                "created_at": now,
            },
        )
        rule.partners.set(partners)


def _partner_units(org: Organization, desk: Organization, now: datetime) -> None:
    """The railway police's own units, on shift and free (units on a call keep their state)."""
    for code, name, tier, mode, n, e in PARTNER_UNITS:
        lat, lon = _offset(STATION, n, e)
        unit = Unit.objects.filter(code=code).first()
        defaults: dict[str, object] = {
            "name": name, "tier_id": tier, "mode": mode, "workstation": desk,
            "organization": org, "skills": ["巡逻", "处突"], "post_lat": lat, "post_lon": lon,
            "is_active": True,
        }  # fmt: skip
        if unit is None or unit.status not in ON_CALL:
            defaults.update(
                status=UnitStatus.AVAILABLE, current_incident_id=None, status_changed_at=now,
                last_lat=lat, last_lon=lon, last_accuracy_m=10.0, last_fix_at=now,
            )  # fmt: skip
        unit, _c = Unit.objects.update_or_create(code=code, defaults=defaults)
        Shift.objects.filter(unit=unit, ends_at__gt=now).delete()
        start = now - timedelta(hours=2)
        Shift.objects.bulk_create(
            [
                Shift(
                    unit=unit, starts_at=start, ends_at=start + timedelta(hours=12), note="演示班次"
                ),
                Shift(
                    unit=unit,
                    starts_at=start + timedelta(hours=12),
                    ends_at=start + timedelta(hours=24),
                    note="演示班次",
                ),
            ]
        )


def _posts(area: JointArea) -> list[tuple[Post, list[tuple[int, int]]]]:
    out = []
    for name, kind, n, e, staff, clock, shifts in POSTS:
        lat, lon = _offset(STATION, n, e)
        post, _c = Post.objects.update_or_create(
            joint_area=area,
            name=name,
            defaults={
                "kind": kind,
                "lat": lat,
                "lon": lon,
                "min_staff": staff,
                "around_the_clock": clock,
                "geometry": _rectangle(STATION, n, e, 220, 300) if kind == PostKind.BEAT else None,
            },
        )
        out.append((post, shifts))
    return out


def _roster(
    posts: list[tuple[Post, list[tuple[int, int]]]], people: list[Person], monday: date
) -> None:
    """Three weeks of shifts (last, this, next), people picked greedily so nobody is booked
    twice and everybody rests; one shift next week is left empty on purpose."""
    start, _e = week_bounds(monday - timedelta(days=7))
    forces = {
        m.person_id: m.organization_id
        for m in Membership.objects.filter(person__in=people).order_by("id")
    }
    busy: dict[int, list[tuple[datetime, datetime]]] = {p.pk: [] for p in people}
    hours: dict[int, float] = {p.pk: 0.0 for p in people}
    slots = []
    for d in range(21):
        day = start + timedelta(days=d)
        for post, shifts in posts:
            for a, b in shifts:
                slots.append((post, day + timedelta(hours=a), day + timedelta(hours=b)))
    slots.sort(key=lambda s: (s[1], s[0].pk))
    leave_empty = (posts[1][0].pk, start + timedelta(days=16))  # next week's Wednesday night
    assignments = []
    for post, s, e in slots:
        shift = RosterShift.objects.create(
            post=post, starts_at=s, ends_at=e, min_staff=post.min_staff
        )
        if (post.pk, s) == leave_empty:
            continue

        def free(pid: int, s: datetime = s, e: datetime = e) -> bool:
            rest = timedelta(hours=8)
            return all(not (s < b + rest and a < e + rest) for a, b in busy[pid])

        candidates = [p for p in sorted(busy, key=lambda p: (hours[p], p)) if free(p)]
        chosen = candidates[:1]
        # Mix the forces: the second person comes from another force when one is free.
        others = [p for p in candidates[1:] if chosen and forces[p] != forces[chosen[0]]]
        rest = [p for p in candidates[1:] if p not in others]
        chosen += (others + rest)[: max(0, post.min_staff - len(chosen))]
        for pid in chosen:
            busy[pid].append((s, e))
            hours[pid] += (e - s).total_seconds() / 3600
            assignments.append(
                RosterAssignment(
                    shift=shift, person_id=pid, organization_id=forces[pid], starts_at=s, ends_at=e
                )
            )
    RosterAssignment.objects.bulk_create(assignments)


def _equipment(org: Organization, items: list[tuple[str, int, str, str]]) -> None:
    for name, qty, status, note in items:
        Equipment.objects.update_or_create(
            organization=org, name=name, defaults={"quantity": qty, "status": status, "note": note}
        )


def make_plan(
    *,
    name: str,
    kind: str,
    owner: Organization,
    partners: list[Organization],
    origin: tuple[float, float],
    checkpoints: list[tuple[str, float, float]],
    team: list[Person],
    start: time,
    minutes: int,
    weekdays: list[int],
    now: datetime,
    radius_m: int = 50,
    joint_area: JointArea | None = None,
    beat: Post | None = None,
    loop: bool = True,
) -> PatrolPlan:
    """A patrol plan with its checkpoints and a route from the road engine (demo, unaudited)."""
    stops = [_offset(origin, n, e) for _name, n, e in checkpoints]
    route = patrols.build_route(stops, mode="foot", loop=loop)
    plan = PatrolPlan.objects.create(
        name=name,
        kind=kind,
        owner=owner,
        joint_area=joint_area,
        beat=beat,
        mode="foot",
        route=route.geojson(),
        route_legs=list(route.legs),
        length_m=route.length_m,
        tolerance_m=80,
        weekdays=weekdays,
        start_time=start,
        duration_min=minutes,
        created_at=now - timedelta(days=30),
    )
    plan.partners.set(partners)
    Checkpoint.objects.bulk_create(
        Checkpoint(plan=plan, seq=i, name=n, lat=lat, lon=lon, radius_m=radius_m)
        for i, ((n, _a, _b), (lat, lon)) in enumerate(zip(checkpoints, stops, strict=True), 1)
    )
    for person in team:
        org_id = person.memberships.order_by("id").values_list("organization_id", flat=True)[0]
        PatrolMember.objects.create(plan=plan, person=person, organization_id=org_id)
    return plan


def patrol_history(
    plan: PatrolPlan, users: list[object], now: datetime, *, days: int = 6, skip_day: int = 4
) -> None:
    """A week of runs: all checkpoints most days, one missed on day 2, nothing on ``skip_day``,
    and a detour off the route on day 3 (a deviation)."""
    cps = list(plan.checkpoints.order_by("seq"))
    route = [(lat, lon) for lon, lat in plan.route["coordinates"]]
    start = now - timedelta(days=days)
    for s, e in patrols.occurrences(plan, start, now - timedelta(hours=3)):
        day = (s.date() - start.date()).days
        if day == skip_day:
            continue
        run = PatrolRun.objects.create(plan=plan, starts_at=s, ends_at=e, scheduled=True)
        step = (e - s) / (len(route) + 1)
        TrackPoint.objects.bulk_create(
            TrackPoint(
                run=run,
                at=s + step * (i + 1),
                lat=lat + (0.0018 if day == 3 and i == len(route) // 2 else 0.0),
                lon=lon,
            )
            for i, (lat, lon) in enumerate(route)
        )
        gap = (e - s) / (len(cps) + 1)
        CheckIn.objects.bulk_create(
            CheckIn(
                run=run,
                checkpoint=cp,
                user=users[k % len(users)],
                at=s + gap * (k + 1),
                method=CheckInMethod.QR if k % 2 else CheckInMethod.GPS,
                lat=cp.lat + 0.0001,
                lon=cp.lon,
                distance_m=11.1,
            )
            for k, cp in enumerate(cps)
            if not (day == 2 and k == len(cps) - 2)
        )


def _handovers(desk: Organization, people: list[Person], now: datetime) -> None:
    """Handovers every 8 hours over three days; the newest waits for its acknowledgement."""
    first = now.astimezone(LOCAL).replace(minute=0, second=0, microsecond=0)
    first = first.replace(hour=(first.hour // 8) * 8) - timedelta(days=3)
    previous = None
    times = [first + timedelta(hours=8 * k) for k in range(10)]
    times = [t for t in times if t < now]
    for k, signed_at in enumerate(times):
        outgoing, incoming = people[k % len(people)], people[(k + 1) % len(people)]
        tasks = []
        if k == 0:
            tasks = ["北广场出租车揽客问题，跟进与站区管理办的联合整治"]
        if k == 2:
            tasks = ["失物招领：旅客遗失黑色双肩包一个，已登记，待失主认领"]
        desk_view = handovers.Desk(desk, handovers.police_below(desk.pk), None, signed_at)
        items = handovers.generate_items(desk_view, previous, tasks)
        notes = HANDOVER_NOTES[k % len(HANDOVER_NOTES)]
        last = k == len(times) - 1
        h = Handover.objects.create(
            organization=desk,
            previous=previous,
            shift_started_at=previous.signed_at if previous else signed_at - timedelta(hours=8),
            signed_at=signed_at,
            outgoing=outgoing,
            incoming=None if last else incoming,
            acknowledged_at=None if last else signed_at + timedelta(minutes=12),
            notes=notes,
            counts=handovers.item_counts(items),
            digest=handovers.content_digest(notes, items),
        )
        for item in items:
            item.handover = h
        HandoverItem.objects.bulk_create(items)
        if k == 5:  # the lost bag was claimed: the task is closed and not carried again
            HandoverItem.objects.filter(handover=h, label__startswith="失物招领").update(
                is_open=False, status="已办结"
            )
        previous = h


def _past_theft(lat: float, lon: float, at: datetime, user: object) -> Incident:
    """A closed theft as the 110 history holds it (written directly: it is history)."""
    refs = resolve_point(lat=lat, lon=lon)
    org_of = dict(Area.objects.values_list("id", "organization_id"))
    desk = refs.get("workstation") or refs.get("station")
    room = refs.get("police_room")
    return Incident(
        type="theft", priority="P3", source="110", status="closed", lat=lat, lon=lon,
        description="（演示历史警情）北广场出站口旅客财物被扒窃",
        station_id=refs["station"].id if refs.get("station") else None,
        workstation_id=refs["workstation"].id if refs.get("workstation") else None,
        police_room_id=room.id if room else None,
        grid_id=refs["grid"].id if refs.get("grid") else None,
        organization_id=org_of[desk.id] if desk else None,
        room_organization_id=org_of.get(room.id) if room else None,
        received_at=at, dispatched_at=at + timedelta(minutes=1),
        on_scene_at=at + timedelta(minutes=4), resolved_at=at + timedelta(minutes=30),
        closed_at=at + timedelta(minutes=40), disposition="case_opened",
        target_s=900, created_by=user,
    )  # fmt: skip


def _problem(orgs: dict[str, Organization], user: object, now: datetime) -> None:
    """北广场出站口扒窃: six thefts in five weeks, a joint response for three weeks, one since."""
    spot = _offset(STATION, 280, -60)
    days = [52, 45, 38, 33, 27, 24, 9]
    rows = Incident.objects.bulk_create(
        _past_theft(*_offset(spot, 15 * (k % 3), 10 * (k % 2)), now - timedelta(days=d), user)
        for k, d in enumerate(days)
    )
    problem = Problem.objects.create(
        title="北广场出站口扒窃多发",
        kind="theft",
        lat=spot[0],
        lon=spot[1],
        radius_m=150,
        stage=ProblemStage.RESPONSE,
        owner=orgs["ws-railway"],
        analysis="出站高峰（19–22 时）人流密集，扒窃团伙利用出站口拥堵作案；出站口探头角度不足。",
        response_started_at=now - timedelta(days=21),
        created_at=now - timedelta(days=23),
        created_by=user,
    )
    problem.co_owners.set([orgs["railway-police-fuzhou"], orgs["security-railway-station"]])
    problem.incidents.set(rows[:-1])
    today = timezone.localdate(now)
    ProblemAction.objects.bulk_create(
        [
            ProblemAction(problem=problem, text="出站高峰增派便衣民警", owner=orgs["railway-police-fuzhou"],
                          due_date=today - timedelta(days=18), done_at=now - timedelta(days=19), created_at=now - timedelta(days=21)),
            ProblemAction(problem=problem, text="站区保安每小时巡查出站口一次", owner=orgs["security-railway-station"],
                          due_date=today - timedelta(days=14), done_at=now - timedelta(days=15), created_at=now - timedelta(days=21)),
            ProblemAction(problem=problem, text="出站口加装高清探头两处", owner=orgs["ws-railway"],
                          due_date=today + timedelta(days=7), created_at=now - timedelta(days=21)),
        ]
    )  # fmt: skip


def _live_incidents(now: datetime) -> None:
    """Two calls taken now at the station, through the real intake (so the rules share them)."""
    from jingwu.incidents.services.intake import create_incident
    from jingwu.orgs.services import actor_for

    actor = actor_for(get_user_model().objects.get(username="duty_railway"))
    calls = [
        (_offset(STATION, 60, 20), "theft", "P3", "进站口旅客行李箱被盗"),
        (_offset(STATION, -200, 40), "drunk", "P2", "南广场醉酒旅客滋事"),
    ]
    for (lat, lon), kind, priority, text in calls:
        create_incident(
            actor=actor,
            fields={
                "lat": lat,
                "lon": lon,
                "type": kind,
                "priority": priority,
                "description": text,
            },
            now=now,
        )


def load(*, password: str, now: datetime | None = None) -> list[DemoJointAccount]:
    """Create the joint-command demo (history once); return its accounts. Inside a transaction."""
    now = now or timezone.now()
    orgs = _orgs()
    accounts = [
        ensure_account(
            username=u, name=n, role=r, org=orgs[o], badge=b, password=password, n=60 + i
        )
        for i, (u, n, r, o, b) in enumerate(ACCOUNTS)
    ]
    people = [ensure_person(name=n, role=r, org=orgs[o], badge=b) for n, r, o, b in ROSTER_PEOPLE]
    area, created = _area(orgs)
    _rules(area, orgs, now)
    posts = _posts(area)
    _equipment(orgs["ws-railway"], EQUIPMENT)
    _partner_units(orgs["railway-police-fuzhou"], orgs["ws-railway"], now)
    if not created:
        return accounts
    account_people = list(Person.objects.filter(badge__in=[a[4] for a in ACCOUNTS]))
    _roster(posts, people + account_people, week_start(timezone.localdate(now)))
    beat = next(p for p, _s in posts if p.kind == PostKind.BEAT)
    User = get_user_model()
    plan = make_plan(
        name="火车站片区联防巡逻",
        kind="joint",
        owner=orgs["ws-railway"],
        partners=[orgs["railway-police-fuzhou"], orgs["security-railway-station"]],
        origin=STATION,
        checkpoints=PATROL_CHECKPOINTS,
        team=[*account_people, people[0], people[6], people[10]],
        start=time(9, 0),
        minutes=90,
        weekdays=list(range(7)),
        joint_area=area,
        beat=beat,
        now=now,
    )
    users = list(User.objects.filter(username__in=[a[0] for a in ACCOUNTS]).order_by("id"))
    patrol_history(plan, users, now)
    desk_people = [p for p in people if p.badge.startswith("JA")] + [
        p for p in account_people if p.badge == "JA1001"
    ]
    _problem(orgs, users[0], now)
    _live_incidents(now)
    _handovers(orgs["ws-railway"], desk_people, now)
    return accounts
