"""Demo ecological policing at 鼓岭: the zone with its chief pair (``forest_chief_guling`` of
the forestry bureau, ``police_chief_guling`` of 鼓岭生态警务站), a fortnight of fire-risk
levels, the eco patrol route with a week of check-ins, and a joint case that moved from
forestry to police. Also loads the joint-command demo (this module sits above it).

History is written once, counted back from the load time. Places are illustrative.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from shapely.geometry import mapping, shape

from jingwu.areas.models import Area
from jingwu.eco.models import (
    EcoCase,
    EcoCaseEntry,
    EcoPatrol,
    EcoZone,
    EntryKind,
    FireRiskReading,
)
from jingwu.jointcmd import demo as joint_demo
from jingwu.jointcmd.models import PlanKind
from jingwu.orgs.models import Organization, Person, Role

ZONE_CODE = "eco-guling"
GULING = (26.085, 119.395)  # 鼓岭生态警务站 (approximate)
ACCOUNTS = [
    ("forest_chief_guling", "陈林生", Role.FOREST_CHIEF, "forestry-jinan", "LY4001"),
    ("police_chief_guling", "黄志明", Role.GRID_POLICE_CHIEF, "ws-guling", "JA5001"),
]
CHECKPOINTS = [
    ("鼓岭景区入口", 0, 0),
    ("柳杉王公园", 900, 700),
    ("宜夏村", 1500, -200),
    ("过仑村林区", 600, -1300),
    ("鼓岭古街", -500, -600),
]
#: Fire-risk levels entered by the forest chief for the last days (oldest first).
RISK_HISTORY = [3, 3, 4, 4, 3, 4, 4]
EQUIPMENT = [
    ("风力灭火机", 6, "ready", ""),
    ("对讲机", 6, "ready", ""),
    ("巡护无人机", 2, "in_use", "一架随巡护队外出"),
]


def _zone_geometry() -> dict[str, object]:
    ring = shape(joint_demo.circle(GULING, 2500, n=64))
    ws = Area.objects.filter(code="ws-guling").first()
    if ws is not None:
        ring = ring.intersection(shape(ws.geometry))
        if ring.geom_type != "Polygon":
            ring = max(ring.geoms, key=lambda g: g.area)
    return mapping(ring.simplify(0.00005))  # type: ignore[no-any-return]


def _case(zone: EcoZone, users: dict[str, object], now: datetime) -> None:
    opened = now - timedelta(days=3, hours=5)
    case = EcoCase.objects.create(
        zone=zone,
        title="柳杉王公园北侧疑似盗伐林木",
        kind="illegal_logging",
        holder=zone.police_org,
        opened_at=opened,
    )
    lines = [
        (
            0,
            EntryKind.OPENED,
            zone.forest_org,
            "forest_chief_guling",
            "护林员巡查发现柳杉王公园北侧 3 株马尾松被伐，现场有新鲜锯口。",
        ),
        (
            2,
            EntryKind.NOTE,
            zone.forest_org,
            "forest_chief_guling",
            "已完成现场勘验，估算立木蓄积约 2.1 立方米，达到刑事立案标准。",
        ),
        (20, EntryKind.TRANSFERRED, zone.forest_org, "forest_chief_guling", "移交公安侦办。"),
        (
            30,
            EntryKind.NOTE,
            zone.police_org,
            "police_chief_guling",
            "已调取景区入口卡口视频，锁定一辆可疑农用车，正在查找车主。",
        ),
    ]
    EcoCaseEntry.objects.bulk_create(
        EcoCaseEntry(
            case=case,
            at=opened + timedelta(hours=h),
            kind=kind,
            organization=org,
            user=users[u],
            text=text,
        )
        for h, kind, org, u, text in lines
    )


def load(*, password: str, now: datetime | None = None) -> list[joint_demo.DemoJointAccount]:
    """Load the joint-command and eco demos (history once); return the accounts they add."""
    now = now or timezone.now()
    accounts = joint_demo.load(password=password, now=now)
    orgs = {
        o.code: o for o in Organization.objects.filter(code__in=["forestry-jinan", "ws-guling"])
    }
    accounts += [
        joint_demo.ensure_account(
            username=u, name=n, role=r, org=orgs[o], badge=b, password=password, n=70 + i
        )
        for i, (u, n, r, o, b) in enumerate(ACCOUNTS)
    ]
    aux = joint_demo.ensure_person(
        name="叶青", role=Role.AUXILIARY_OFFICER, org=orgs["ws-guling"], badge="FJ5002"
    )
    chiefs = {p.badge: p for p in Person.objects.filter(badge__in=["LY4001", "JA5001"])}
    zone, created = EcoZone.objects.update_or_create(
        code=ZONE_CODE,
        defaults={
            "name": "鼓岭国家森林公园生态保护区",
            "geometry": _zone_geometry(),
            "forest_org": orgs["forestry-jinan"],
            "police_org": orgs["ws-guling"],
            "forest_chief": chiefs["LY4001"],
            "police_chief": chiefs["JA5001"],
            "note": "福州北部生态屏障，林长+警长共管（示意范围）",
        },
    )
    joint_demo._equipment(orgs["ws-guling"], EQUIPMENT)
    if not created:
        return accounts
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=[a[0] for a in ACCOUNTS])
    }
    today = timezone.localdate(now)
    FireRiskReading.objects.bulk_create(
        FireRiskReading(
            zone=zone,
            day=today - timedelta(days=len(RISK_HISTORY) - 1 - k),
            level=level,
            note="福州市森林火险气象等级预报",
            entered_by=users["forest_chief_guling"],
            entered_at=now - timedelta(days=len(RISK_HISTORY) - 1 - k),
        )
        for k, level in enumerate(RISK_HISTORY)
    )
    plan = joint_demo.make_plan(
        name="鼓岭生态巡护线",
        kind=PlanKind.ECO,
        owner=orgs["ws-guling"],
        partners=[orgs["forestry-jinan"]],
        origin=GULING,
        checkpoints=CHECKPOINTS,
        team=[chiefs["LY4001"], chiefs["JA5001"], aux],
        start=time(8, 30),
        minutes=180,
        weekdays=[0, 2, 4, 5, 6],
        now=now,
        radius_m=80,
    )
    plan.tolerance_m = 150
    plan.save(update_fields=["tolerance_m"])
    EcoPatrol.objects.create(zone=zone, plan=plan)
    joint_demo.patrol_history(plan, list(users.values()), now, days=7, skip_day=5)
    _case(zone, users, now)
    _live_incident(now)
    return accounts


def _live_incident(now: datetime) -> None:
    """The forest chief reports fresh stumps through the intake: both chiefs see it."""
    from jingwu.incidents.services.intake import create_incident
    from jingwu.orgs.services import actor_for

    actor = actor_for(get_user_model().objects.get(username="forest_chief_guling"))
    lat, lon = joint_demo._offset(GULING, 850, 650)
    create_incident(
        actor=actor,
        fields={
            "lat": lat,
            "lon": lon,
            "type": "illegal_logging",
            "priority": "P3",
            "source": "partner",
            "description": "柳杉王公园北侧发现新伐树桩 2 处",
        },
        now=now,
    )
