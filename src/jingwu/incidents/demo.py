"""Demo call handling: the 110 platform's account, the fleet and cameras, eight weeks of past
incidents (so the response figures show something: arrival times fall by about 30 % in the
last four weeks, as the article reports) and the article’s lost-child case.

Idempotent: past incidents carry an idempotency key per day, so reloading adds only new days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.utils import timezone

from jingwu.areas.models import Area
from jingwu.areas.services import resolve_point
from jingwu.incidents.models import (
    Disposition,
    EntryKind,
    Incident,
    IncidentType,
    Status,
    TimelineEntry,
    VideoPatrolTask,
    VideoTaskStatus,
)
from jingwu.incidents.services.config import response_targets
from jingwu.orgs.models import Membership, Person, Role
from jingwu.units import demo as units_demo

PLATFORM_USERNAME = "platform_110"
HISTORY_DAYS = 56
IMPROVED_DAYS = 28  # the last four weeks: the workstations' command rooms are running
# Calls per day and the type mix of each workstation's district (codes → weight).
DAILY_CALLS = {
    "ws-taihe": 8.0,
    "ws-railway": 7.0,
    "ws-chongxian": 4.0,
    "ws-longtou": 4.0,
    "ws-guling": 1.5,
}
MIX = {
    "business_district": {"theft": 5, "dispute": 4, "drunk": 3, "fight": 2, "lost_person": 2, "traffic": 3, "noise": 1, "help": 3, "robbery": 0.5, "other": 1},
    "railway_station": {"theft": 5, "lost_person": 3, "dispute": 3, "help": 4, "fight": 1.5, "drunk": 1.5, "traffic": 1, "other": 1},
    "residential": {"dispute": 6, "noise": 4, "theft": 2, "help": 3, "traffic": 2, "fire": 0.5, "lost_person": 1, "other": 1},
    "forest_park": {"eco_damage": 4, "lost_person": 3, "help": 3, "fire": 1.5, "traffic": 1, "other": 1},
}  # fmt: skip
KIND = {"ws-taihe": "business_district", "ws-railway": "railway_station", "ws-chongxian": "residential",
        "ws-longtou": "residential", "ws-guling": "forest_park"}  # fmt: skip
#: Relative call rate by hour of day (Beijing time): quiet at night, peaks at noon and evening.
HOURLY = np.array(
    [2, 1.5, 1, 0.8, 0.6, 0.7, 1.2, 2, 3, 3.5, 4, 4.5, 4.5, 4, 4, 4.2, 4.5, 5, 5.5, 6, 6, 5, 4, 3]
)
HOURLY = HOURLY / HOURLY.sum()
PRIORITY_OF = {"robbery": "P1", "fight": "P1", "fire": "P1", "lost_person": "P2", "traffic": "P2",
               "drunk": "P2", "theft": "P3", "dispute": "P3", "eco_damage": "P3", "help": "P3",
               "noise": "P4", "other": "P4"}  # fmt: skip
# Typical minutes from dispatch to arrival before the improvement, per workstation.
BASE_TRAVEL_MIN = {
    "ws-taihe": 3.6,
    "ws-railway": 3.2,
    "ws-chongxian": 5.0,
    "ws-longtou": 6.5,
    "ws-guling": 11.0,
}


@dataclass(frozen=True)
class DemoDispatchAccount:
    username: str
    name: str
    role: str
    organization: str


def _platform_user(orgs: dict[str, Any], password: str) -> Any:
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=PLATFORM_USERNAME)
    user.set_password(password)
    user.save()
    person, _ = Person.objects.update_or_create(
        user=user, defaults={"name": "110接警平台（演示接口）", "badge": "API110"}
    )
    Membership.objects.get_or_create(
        person=person, organization=orgs["jinan-branch"], role=Role.DUTY_OFFICER
    )
    return user


def load(*, password: str, now: datetime | None = None) -> list[DemoDispatchAccount]:
    """Units, cameras, the 110 platform account, past incidents and two waiting calls."""
    now = now or timezone.now()
    orgs = units_demo.all_orgs()
    units_demo.load_units(orgs=orgs, now=now)
    units_demo.load_cameras(orgs=orgs)
    units_demo.video_staff(orgs=orgs)
    user = _platform_user(orgs, password)
    _history(user, orgs, now)
    _lost_child(user, orgs, now)
    return [
        DemoDispatchAccount(
            PLATFORM_USERNAME,
            "110接警平台（演示接口）",
            str(Role.DUTY_OFFICER.label),
            orgs["jinan-branch"].name,
        )
    ]


def _lognormal(rng: np.random.Generator, median_s: float, sigma: float = 0.45) -> float:
    return float(median_s * math.exp(rng.normal(0.0, sigma)))


def _history(user: Any, orgs: dict[str, Any], now: datetime) -> None:
    """Closed incidents of the last eight weeks (bulk-inserted, one key per call)."""
    posts = {a.code: (a.post_lat, a.post_lon) for a in Area.objects.filter(level="workstation")}
    area_org = dict(Area.objects.values_list("id", "organization_id"))
    today = timezone.localtime(now).date()
    targets = response_targets()
    rows: list[Incident] = []
    for d in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=d)
        improved = d <= IMPROVED_DAYS
        for w, (ws, rate) in enumerate(DAILY_CALLS.items()):
            rng = np.random.default_rng(day.toordinal() * 10 + w)
            types, weights = zip(*MIX[KIND[ws]].items(), strict=True)
            p = np.array(weights) / sum(weights)
            for k in range(int(rng.poisson(rate))):
                row = _past_incident(
                    rng, ws, day, k, posts[ws], types, p, improved, targets, area_org, orgs, user
                )
                if row is not None:
                    rows.append(row)
    Incident.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    keys = [r.idempotency_key for r in rows]
    fresh = Incident.objects.filter(
        created_by=user, idempotency_key__in=keys, timeline__isnull=True
    )
    entries = []
    for inc in fresh:
        entries.append(TimelineEntry(incident=inc, at=inc.received_at, kind=EntryKind.CREATED, actor_name="110接警平台",
                                     text=f"接警（110 报警）：{inc.get_type_display()}，{inc.priority}"))  # fmt: skip
        entries.append(TimelineEntry(incident=inc, at=inc.on_scene_at, kind=EntryKind.ARRIVED, actor_name="定位",
                                     text="巡防力量到达现场（定位判定）"))  # fmt: skip
        entries.append(TimelineEntry(incident=inc, at=inc.closed_at, kind=EntryKind.STATUS, actor_name="值班民警",
                                     text=f"状态：处置完毕 → 已结案（处置结果：{inc.get_disposition_display()}）"))  # fmt: skip
    TimelineEntry.objects.bulk_create(entries, batch_size=1000)


def _past_incident(
    rng: np.random.Generator,
    ws: str,
    day: Any,
    k: int,
    post: tuple[float, float],
    types: tuple[str, ...],
    p: np.ndarray,
    improved: bool,
    targets: dict[str, int],
    area_org: dict[int, int | None],
    orgs: dict[str, Any],
    user: Any,
) -> Incident | None:
    kind = str(rng.choice(types, p=p))
    radius = 3000.0 if ws == "ws-guling" else 1300.0
    ang, dist = rng.uniform(0, 2 * math.pi), radius * math.sqrt(rng.uniform(0.01, 1))
    lat = post[0] + dist * math.cos(ang) / 111_195.0
    lon = post[1] + dist * math.sin(ang) / (111_195.0 * math.cos(math.radians(post[0])))
    refs = resolve_point(lat=lat, lon=lon)
    desk = refs.get("workstation") or refs.get("station")
    if desk is None:
        return None
    hour = int(rng.choice(24, p=HOURLY))
    local = timezone.make_aware(
        datetime(day.year, day.month, day.day, hour, int(rng.integers(60)), int(rng.integers(60)))
    )
    priority = PRIORITY_OF[kind]
    speed = 0.7 if improved else 1.0  # arrival time down about 30 % in the last four weeks
    urgency = {"P1": 0.8, "P2": 0.9, "P3": 1.0, "P4": 1.2}[priority]
    to_dispatch = _lognormal(rng, (35 if improved else 55) * urgency)
    travel = _lognormal(rng, BASE_TRAVEL_MIN[ws] * 60 * speed * urgency)
    on_scene = _lognormal(rng, 14 * 60)
    room = refs.get("police_room")
    return Incident(
        type=kind, priority=priority, source="110" if rng.uniform() < 0.85 else "walk_in", status=Status.CLOSED,
        address="", description=f"（演示历史警情）{IncidentType(kind).label}", lat=lat, lon=lon,
        station_id=refs["station"].id if refs.get("station") else None,
        workstation_id=refs["workstation"].id if refs.get("workstation") else None,
        police_room_id=room.id if room else None, grid_id=refs["grid"].id if refs.get("grid") else None,
        organization_id=area_org[desk.id], room_organization_id=area_org.get(room.id) if room else None,
        received_at=local, dispatched_at=local + timedelta(seconds=to_dispatch),
        en_route_at=local + timedelta(seconds=to_dispatch + 15),
        on_scene_at=local + timedelta(seconds=to_dispatch + travel),
        resolved_at=local + timedelta(seconds=to_dispatch + travel + on_scene),
        closed_at=local + timedelta(seconds=to_dispatch + travel + on_scene + 600),
        disposition=str(rng.choice([Disposition.HANDLED, Disposition.MEDIATED, Disposition.HELPED, Disposition.REFERRED])),
        target_s=targets[priority], created_by=user, idempotency_key=f"demo-{day.isoformat()}-{ws}-{k}",
    )  # fmt: skip


def _lost_child(user: Any, orgs: dict[str, Any], now: datetime) -> None:
    """The article's case: a child lost at 泰禾广场, found through public video within 30 minutes."""
    key = "demo-lost-child-taihe"
    if Incident.objects.filter(created_by=user, idempotency_key=key).exists():
        return
    lat, lon = 26.0992, 119.3366
    refs = resolve_point(lat=lat, lon=lon)
    area_org = dict(Area.objects.values_list("id", "organization_id"))
    day = timezone.localtime(now).date() - timedelta(days=3)
    t0 = timezone.make_aware(datetime(day.year, day.month, day.day, 19, 42))
    at = lambda m: t0 + timedelta(minutes=m)  # noqa: E731
    inc = Incident.objects.create(
        type="lost_person", priority="P2", source="110", status=Status.CLOSED, caller_name="吴女士",
        caller_phone="13905910125", address="东二环泰禾广场一层中庭",
        description="（演示）孩子（6 岁男孩，蓝色外套）在商场人流中走散。", lat=lat, lon=lon,
        station_id=refs["station"].id, workstation_id=refs["workstation"].id,
        police_room_id=refs["police_room"].id if refs.get("police_room") else None,
        grid_id=refs["grid"].id if refs.get("grid") else None,
        organization_id=area_org[refs["workstation"].id], received_at=t0, dispatched_at=at(1),
        en_route_at=at(1), on_scene_at=at(3), resolved_at=at(27), closed_at=at(40),
        disposition=Disposition.HELPED, disposition_note="通过公共视频锁定孩子位置，27 分钟找回。",
        last_seen_lat=lat, last_seen_lon=lon, last_seen_at=t0 - timedelta(minutes=5),
        target_s=response_targets()["P2"], created_by=user, idempotency_key=key,
    )  # fmt: skip
    operator = Person.objects.get(badge="JV0001")
    task = VideoPatrolTask.objects.create(
        incident=inc, assignee=operator, instructions="回看泰禾广场各出入口 19:35 以后的画面",
        status=VideoTaskStatus.DONE, result="19:51 北门枪机画面中发现孩子随人流走向公交站台。",
        found=True, created_at=at(2), done_at=at(12),
    )  # fmt: skip
    lines = [
        (0, EntryKind.CREATED, "接警（110 报警）：走失，P2，排入东二环泰禾商圈智慧警务站值班台"),
        (1, EntryKind.ASSIGNED, "派出 泰禾站民警电巡1组（2 级·电动自行车），预计 2 分钟到达"),
        (2, EntryKind.VIDEO_TASK, "视频巡查任务交给 吴晓燕：泰禾广场北门、南门及公交站台点位"),
        (3, EntryKind.ARRIVED, "泰禾站民警电巡1组 到达现场（定位判定，距报警点 22 米）"),
        (
            12,
            EntryKind.VIDEO_RESULT,
            "视频巡查结果（吴晓燕）发现目标：19:51 北门画面中孩子走向公交站台",
        ),
        (27, EntryKind.STATUS, "状态：到达现场 → 处置完毕（在公交站台找到孩子，交还家长）"),
        (40, EntryKind.STATUS, "状态：处置完毕 → 已结案（处置结果：提供帮助）"),
    ]
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                incident=inc,
                at=at(m),
                kind=kind,
                actor_name="陈志强",
                text=text,
                data={"task_id": task.pk} if "视频" in text else {},
            )
            for m, kind, text in lines
        ]  # fmt: skip
    )
