"""Demo patrol units (about 40, all five tiers), shifts, positions on the demo streets, cameras.

Deterministic and idempotent: running it again updates the units in place, gives them fresh
shifts and positions (units on a call keep theirs), and leaves the cameras as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.db.models import Q

from jingwu.engine.idnumber import make_id_number
from jingwu.engine.roads import snap_many
from jingwu.orgs.models import Membership, Organization, OrgKind, Person, Role
from jingwu.units import roadgraph
from jingwu.units.models import DEFAULT_TIERS, ON_CALL, Camera, Shift, Tier, Unit, UnitStatus

# Partner organizations the patrol units of tiers 4 and 5 belong to (code, kind, name, parent).
PARTNERS = [
    ("security-longtou", OrgKind.PROPERTY_COMPANY, "龙头佳园物业保安队（示意）", "ws-longtou"),
    ("security-railway", OrgKind.SECURITY_COMPANY, "福州站站前保安服务队（示意）", "ws-railway"),
    ("scenic-guling", OrgKind.SECURITY_COMPANY, "鼓岭景区巡护队（示意）", "ws-guling"),
]

# Per workstation: (suffix, tier, mode, name, organization code or None for the workstation).
FLEET: dict[str, list[tuple[str, int, str, str, str | None]]] = {
    "ws-taihe": [
        ("C1", 1, "car", "泰禾巡逻车1号", None),
        ("C2", 1, "car", "泰禾巡逻车2号", None),
        ("E1", 2, "ebike", "泰禾站民警电巡1组", None),
        ("E2", 2, "ebike", "泰禾站民警电巡2组", None),
        ("A1", 3, "ebike", "泰禾辅警电巡组", None),
        ("A2", 3, "foot", "泰禾辅警步巡组", None),
        ("S1", 4, "foot", "泰禾广场保安巡逻岗", "security-taihe"),
        ("V1", 5, "foot", "泰禾商圈平安志愿者", "volunteers-jinan"),
    ],
    "ws-chongxian": [
        ("C1", 1, "car", "崇贤巡逻车", None),
        ("E1", 2, "ebike", "崇贤站民警电巡组", None),
        ("F1", 2, "foot", "崇贤站民警步巡组", None),
        ("A1", 3, "ebike", "崇贤辅警电巡组", None),
        ("A2", 3, "foot", "崇贤辅警步巡组", None),
        ("S1", 4, "foot", "崇贤小区物业保安1岗", "property-chongxian"),
        ("S2", 4, "foot", "崇贤小区物业保安2岗", "property-chongxian"),
        ("V1", 5, "foot", "崇贤社区平安志愿者", "volunteers-jinan"),
    ],
    "ws-longtou": [
        ("C1", 1, "car", "新店巡逻车1号", None),
        ("C2", 1, "car", "新店巡逻车2号", None),
        ("E1", 2, "ebike", "龙头站民警电巡组", None),
        ("A1", 3, "ebike", "龙头辅警电巡1组", None),
        ("A2", 3, "ebike", "龙头辅警电巡2组", None),
        ("S1", 4, "foot", "龙头佳园物业保安岗", "security-longtou"),
        ("S2", 4, "ebike", "龙头佳园物业电巡岗", "security-longtou"),
        ("V1", 5, "foot", "龙头社区平安志愿者", "volunteers-jinan"),
    ],
    "ws-guling": [
        ("C1", 1, "car", "鼓岭巡逻车", None),
        ("E1", 2, "ebike", "鼓岭站民警巡护组", None),
        ("A1", 3, "foot", "鼓岭辅警护林巡逻1组", None),
        ("A2", 3, "foot", "鼓岭辅警护林巡逻2组", None),
        ("S1", 4, "foot", "鼓岭景区巡护岗", "scenic-guling"),
        ("S2", 4, "car", "鼓岭景区巡护车", "scenic-guling"),
        ("V1", 5, "foot", "鼓岭护林志愿者1队", "volunteers-jinan"),
        ("V2", 5, "foot", "鼓岭护林志愿者2队", "volunteers-jinan"),
    ],
    "ws-railway": [
        ("C1", 1, "car", "火车站巡逻车1号", None),
        ("C2", 1, "car", "火车站巡逻车2号", None),
        ("F1", 2, "foot", "站前广场民警步巡1组", None),
        ("F2", 2, "foot", "站前广场民警步巡2组", None),
        ("A1", 3, "foot", "站前辅警步巡组", None),
        ("A2", 3, "ebike", "站区辅警电巡组", None),
        ("S1", 4, "foot", "站前广场保安岗", "security-railway"),
        ("V1", 5, "foot", "火车站平安志愿者", "volunteers-jinan"),
    ],
}

SKILLS = {
    1: ["处突", "急救"],
    2: ["调解", "急救"],
    3: ["巡逻", "疏导交通"],
    4: ["秩序维护"],
    5: ["寻人", "劝导"],
}
ROLE_OF_TIER = {
    1: Role.POLICE_OFFICER,
    2: Role.POLICE_OFFICER,
    3: Role.AUXILIARY_OFFICER,
    4: Role.SECURITY_GUARD,
    5: Role.VOLUNTEER,
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
GIVEN = ["建国", "志明", "海峰", "丽娟", "晓东", "伟强", "秀兰", "文斌", "雪梅", "国华", "俊杰", "婷婷",
         "振宇", "春燕", "德明", "凯", "敏", "磊", "静", "涛"]  # fmt: skip

# Cameras: (centre lat, lon, count, radius m, code prefix, places, owner code or None = station).
CAMERA_CLUSTERS = [
    (
        26.0990,
        119.3360,
        22,
        650,
        "TH",
        [
            "泰禾广场北门",
            "泰禾广场南门",
            "东二环路口",
            "福新路口",
            "地下车库出入口",
            "商业步行街",
            "公交站台",
            "酒吧街",
        ],
        "security-taihe",
    ),
    (
        26.1130,
        119.3170,
        14,
        450,
        "HC",
        ["站前广场", "出站口", "进站口", "长途汽车站", "华林路口", "出租车候客区", "地铁站口"],
        "railway-police-fuzhou",
    ),
    (
        26.0720,
        119.3520,
        6,
        400,
        "CX",
        ["崇贤小区大门", "崇贤小学门口", "鹤林路口"],
        "property-chongxian",
    ),
]


@dataclass(frozen=True)
class DemoUnitsAccount:
    username: str
    name: str
    role: str
    organization: str


def _partners(orgs: dict[str, Organization]) -> None:
    for code, kind, name, parent in PARTNERS:
        orgs[code], _ = Organization.objects.update_or_create(
            code=code, defaults={"kind": kind, "name": name, "parent": orgs[parent]}
        )


def street_points(
    lat0: float, lon0: float, n: int, radius_m: float, mode: str, rng: np.random.Generator
) -> list[tuple[float, float]]:
    """``n`` points on streets usable by ``mode`` within about ``radius_m`` of a centre."""
    ang = rng.uniform(0, 2 * math.pi, n)
    dist = radius_m * np.sqrt(rng.uniform(0.02, 1.0, n))
    lat = lat0 + dist * np.cos(ang) / 111_195.0
    lon = lon0 + dist * np.sin(ang) / (111_195.0 * math.cos(math.radians(lat0)))
    graph = roadgraph.get_graph()
    if graph is None:
        return list(zip(lat.tolist(), lon.tolist(), strict=True))
    s = snap_many(graph, lat, lon, mode=mode, max_distance_m=2000.0)
    return [
        (float(a), float(b)) if ok else (float(x), float(y))
        for a, b, ok, x, y in zip(s.lat, s.lon, s.ok, lat, lon, strict=True)
    ]


def _member(n: int, unit: Unit, org: Organization, tier: int) -> None:
    name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
    person, _ = Person.objects.update_or_create(
        badge=f"JU{n:04d}",
        defaults={
            "name": name,
            "phone": f"1390591{n:04d}",
            "id_number": make_id_number("350111", date(1975 + n % 25, 1 + n % 12, 1 + n % 27), n % 500, "male" if n % 3 else "female"),
        },
    )  # fmt: skip
    Membership.objects.get_or_create(person=person, organization=org, role=ROLE_OF_TIER[tier])
    unit.members.add(person)


def load_units(*, orgs: dict[str, Organization], now: datetime) -> list[Unit]:
    """Create or refresh the demo fleet; on-duty units are available at a street position."""
    for level, name, description in DEFAULT_TIERS:  # gone if a test flushed the database
        Tier.objects.get_or_create(level=level, defaults={"name": name, "description": description})
    _partners(orgs)
    rng = np.random.default_rng(4)
    posts = {
        o.code: (a.post_lat, a.post_lon)
        for o in orgs.values()
        for a in o.areas.filter(level="workstation")
    }
    out, n = [], 0
    for ws_code, fleet in FLEET.items():
        lat0, lon0 = posts[ws_code]
        radius = 2500.0 if ws_code == "ws-guling" else 1200.0
        for i, (suffix, tier, mode, name, org_code) in enumerate(fleet):
            n += 1
            (lat, lon), = street_points(lat0, lon0, 1, radius if i else 150.0, mode, rng)  # fmt: skip
            code = f"{ws_code[3:].upper()}-{suffix}"
            unit = Unit.objects.filter(code=code).first()
            on_call = unit is not None and unit.status in ON_CALL
            defaults = {
                "name": name, "tier_id": tier, "mode": mode, "workstation": orgs[ws_code],
                "organization": orgs[org_code or ws_code], "skills": SKILLS[tier],
                "post_lat": lat, "post_lon": lon, "is_active": True,
            }  # fmt: skip
            # One in nine is off shift now (its shift starts this evening) to show the rule.
            on_duty = n % 9 != 7
            if not on_call:
                defaults.update(
                    status=UnitStatus.AVAILABLE if on_duty else UnitStatus.OFF_DUTY,
                    current_incident_id=None, status_changed_at=now,
                    last_lat=lat, last_lon=lon, last_accuracy_m=10.0, last_fix_at=now,
                )  # fmt: skip
            unit, _ = Unit.objects.update_or_create(code=code, defaults=defaults)
            Shift.objects.filter(unit=unit, ends_at__gt=now).delete()
            start = now - timedelta(hours=2) if on_duty else now + timedelta(hours=8)
            Shift.objects.create(
                unit=unit, starts_at=start, ends_at=start + timedelta(hours=12), note="演示班次"
            )
            if on_duty:
                Shift.objects.create(
                    unit=unit,
                    starts_at=start + timedelta(hours=12),
                    ends_at=start + timedelta(hours=24),
                    note="演示班次",
                )
            _member(n, unit, orgs[org_code or ws_code], tier)
            out.append(unit)
    return out


def extend_shifts(*, now: datetime) -> int:
    """Keep the demo alive: every demo unit gets a next 12-hour shift before its last one ends."""
    added = 0
    for unit in Unit.objects.filter(is_active=True, shifts__note="演示班次").distinct():
        last = unit.shifts.order_by("-ends_at").first()
        if last is not None and last.ends_at < now + timedelta(hours=6):
            start = max(last.ends_at, now)
            Shift.objects.create(
                unit=unit, starts_at=start, ends_at=start + timedelta(hours=12), note="演示班次"
            )
            added += 1
    return added


def load_cameras(*, orgs: dict[str, Organization]) -> int:
    """A few dozen cameras around 泰禾广场, the railway station and 崇贤 (kept if present)."""
    rng = np.random.default_rng(11)
    made = 0
    for lat0, lon0, count, radius, prefix, places, owner_code in CAMERA_CLUSTERS:
        pts = street_points(lat0, lon0, count, radius, "foot", rng)
        for i, (lat, lon) in enumerate(pts, start=1):
            code = f"CAM-{prefix}-{i:02d}"
            public = i % 3 != 0  # two in three are public-security cameras of the station
            owner = (
                orgs[
                    "st-yuefeng"
                    if prefix == "TH"
                    else "st-railway"
                    if prefix == "HC"
                    else "st-gushan"
                ]
                if public
                else orgs[owner_code]
            )
            place = places[(i - 1) % len(places)]
            _, created = Camera.objects.get_or_create(
                code=code,
                defaults={
                    "name": f"{place}{'枪机' if i % 2 else '球机'}{i:02d}",
                    "lat": lat, "lon": lon,
                    "direction_deg": None if i % 2 == 0 else float(rng.integers(0, 360)),
                    "fov_deg": 360.0 if i % 2 == 0 else 90.0,
                    "owner": owner,
                    "sees": f"{place}{'人行出入口' if i % 2 else '周边道路与人流'}",
                },
            )  # fmt: skip
            made += int(created)
    return made


def video_staff(*, orgs: dict[str, Organization]) -> None:
    """Two video-patrol operators (视频巡查员) at 泰禾 and the railway station, without log-ins."""
    for badge, name, org_code in (
        ("JV0001", "吴晓燕", "ws-taihe"),
        ("JV0002", "林海鹰", "ws-railway"),
    ):
        person, _ = Person.objects.update_or_create(badge=badge, defaults={"name": name})
        Membership.objects.get_or_create(
            person=person, organization=orgs[org_code], role=Role.AUXILIARY_OFFICER
        )


def all_orgs() -> dict[str, Organization]:
    return {o.code: o for o in Organization.objects.filter(~Q(code=""))}
