"""Video: cameras near an incident or along a unit's route; the lost-person (走失) search area;
video-patrol tasks given to named people, with their results on the timeline.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

from jingwu.areas.services import clean_point
from jingwu.audit import services as audit
from jingwu.engine.geo import haversine_m
from jingwu.engine.roads import FOOT_SPEED_MPS, RoadError, isochrone, search, snap, snap_many
from jingwu.errors import Invalid, NotFound
from jingwu.incidents.models import (
    EntryKind,
    Incident,
    IncidentShare,
    VideoPatrolTask,
    VideoTaskStatus,
)
from jingwu.incidents.services.access import publish_incident, require_act
from jingwu.incidents.services.recommend import route_for
from jingwu.incidents.services.timeline import add_entry, duration_text
from jingwu.orgs.models import Membership, Organization
from jingwu.orgs.services import Actor
from jingwu.orgs.tree import org_tree
from jingwu.units import roadgraph
from jingwu.units import services as units
from jingwu.units.access import OPERATIONAL_ROLES

#: The search area grows with elapsed time; past this it is the whole neighbourhood anyway.
MAX_SEARCH_S = 3 * 3600
MIN_SEARCH_S = 120


def cameras_near_incident(
    *, actor: Actor, incident: Incident, radius_m: float
) -> list[dict[str, Any]]:
    """Cameras within ``radius_m`` of the incident, nearest first."""
    if not 10 <= radius_m <= 5000:
        raise Invalid(_("半径必须在 10 到 5000 米之间。"), loc=["radius_m"])
    found = units.cameras_near(actor=actor, lat=incident.lat, lon=incident.lon, radius_m=radius_m)
    return [units.camera_dict(c, distance_m=round(d, 1)) for c, d in found]


def cameras_along_route(
    *, actor: Actor, incident: Incident, unit_id: int, width_m: float
) -> dict[str, Any]:
    """Cameras within ``width_m`` of the street route from a unit to the incident, in order."""
    if not 5 <= width_m <= 500:
        raise Invalid(_("宽度必须在 5 到 500 米之间。"), loc=["width_m"])
    unit = units.get_unit(actor=actor, unit_id=unit_id, loc=["unit_id"])
    if unit.last_lat is None or unit.last_lon is None:
        raise Invalid(_("该力量没有定位，无法计算路线。"), loc=["unit_id"])
    feature = route_for(
        incident=incident, unit_lat=unit.last_lat, unit_lon=unit.last_lon, mode=unit.mode
    )
    if feature is None:
        line = [[unit.last_lon, unit.last_lat], [incident.lon, incident.lat]]
        feature = {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": line},
            "properties": {"estimated": True},
        }
    found = units.cameras_along(
        actor=actor, coordinates=feature["geometry"]["coordinates"], width_m=width_m
    )
    return {
        "route": feature,
        "cameras": [
            units.camera_dict(c, distance_m=round(d, 1), along_m=round(a, 1)) for c, d, a in found
        ],
    }


def set_last_seen(
    *,
    actor: Actor,
    incident: Incident,
    lat: Any,
    lon: Any,
    at: datetime | None,
    now: datetime,
    crs: str = "wgs84",
) -> Incident:
    """Where and when the missing person was last seen (defaults: the call's place and time)."""
    require_act(actor, incident)
    wlat, wlon = clean_point(lat=lat, lon=lon, crs=crs)
    at = at or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + timedelta(seconds=30):
        raise Invalid(_("最后出现时间晚于当前时间。"), loc=["at"])
    if haversine_m(wlat, wlon, incident.lat, incident.lon) > 20_000:
        raise Invalid(_("最后出现位置距报警点超过 20 公里。"), loc=["lat"])
    Incident.objects.filter(pk=incident.pk).update(
        last_seen_lat=wlat, last_seen_lon=wlon, last_seen_at=at
    )
    incident.last_seen_lat, incident.last_seen_lon, incident.last_seen_at = wlat, wlon, at
    add_entry(
        incident=incident, kind=EntryKind.LAST_SEEN, at=now, actor=actor,
        text=_("更新最后出现位置与时间：%(t)s") % {"t": timezone.localtime(at).strftime("%H:%M")},
        lat=wlat, lon=wlon,
    )  # fmt: skip
    audit.record(action="update", component="incidents", user=actor.user, organization_id=incident.organization_id,
                 object_type="incident", object_id=incident.pk, detail="last_seen")  # fmt: skip
    publish_incident(incident)
    return incident


def search_area(
    *, actor: Actor, incident: Incident, now: datetime, elapsed_s: float | None = None
) -> dict[str, Any]:
    """The walking isochrone from the last-seen point for the time elapsed, and the cameras in it.

    The area grows with time (a person walks about 1.2 m/s); cameras inside are listed by
    walking time from the last-seen point, nearest first — the order to check them in.
    """
    lat = incident.last_seen_lat if incident.last_seen_lat is not None else incident.lat
    lon = incident.last_seen_lon if incident.last_seen_lon is not None else incident.lon
    since = incident.last_seen_at or incident.received_at
    if elapsed_s is None:
        elapsed_s = (now - since).total_seconds()
    budget = float(min(max(elapsed_s, MIN_SEARCH_S), MAX_SEARCH_S))
    graph = roadgraph.get_graph()
    area, times = None, None
    if graph is not None:
        try:
            area = isochrone(graph, lat, lon, mode="foot", budget_s=budget, direction="from")
            start = snap(graph, lat, lon, mode="foot")
            times = search(graph, start, budget, direction="from")[0]
        except RoadError:
            area, times = None, None
    estimated = area is None
    if area is None:
        area = _circle(lat, lon, budget * FOOT_SPEED_MPS)
    cams = units.cameras_within(actor=actor, geometry=area["geometry"])
    walk = _walk_times(graph, times, cams, lat, lon)
    listed = sorted(
        (
            units.camera_dict(
                c,
                distance_m=round(float(haversine_m(lat, lon, c.lat, c.lon)), 1),
                walk_s=round(w, 1),
            )
            for c, w in zip(cams, walk, strict=True)
        ),
        key=lambda d: (d["walk_s"], d["code"]),
    )
    return {
        "last_seen": {"lat": lat, "lon": lon, "at": since},
        "elapsed_s": round(budget, 1),
        "elapsed_label": duration_text(budget),
        "estimated": estimated,
        "area": area,
        "cameras": listed,
    }


def _walk_times(graph: Any, times: Any, cams: list[Any], lat: float, lon: float) -> list[float]:
    straight = [float(haversine_m(lat, lon, c.lat, c.lon)) / FOOT_SPEED_MPS for c in cams]
    if graph is None or times is None or not cams:
        return straight
    snaps = snap_many(
        graph, np.array([c.lat for c in cams]), np.array([c.lon for c in cams]), mode="foot"
    )
    network = times.times_from(snaps)
    return [
        float(n) + float(d) / FOOT_SPEED_MPS if ok and math.isfinite(n) else s
        for n, d, ok, s in zip(network, snaps.distance_m, snaps.ok, straight, strict=True)
    ]


def _circle(lat: float, lon: float, radius_m: float) -> dict[str, Any]:
    k = 111_195.0
    angles = np.linspace(0, 2 * math.pi, 49)
    ring = [
        [
            lon + radius_m * math.sin(a) / (k * math.cos(math.radians(lat))),
            lat + radius_m * math.cos(a) / k,
        ]
        for a in angles
    ]
    ring[-1] = ring[0]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"estimated": True},
    }


def video_patrollers(*, actor: Actor, incident: Incident) -> list[dict[str, Any]]:
    """People who may be given a video-patrol task: police of the desk's station and below."""
    tree = org_tree()
    station = tree.lineage(incident.organization_id)[:2][-1]
    orgs = tree.police_under(station)
    rows = (
        Membership.objects.filter(organization_id__in=orgs, role__in=OPERATIONAL_ROLES)
        .select_related("person", "organization")
        .order_by("person_id")
    )
    seen: dict[int, dict[str, Any]] = {}
    for m in rows:
        seen.setdefault(
            m.person_id,
            {
                "id": m.person_id,
                "name": m.person.name,
                "organization": m.organization.name,
                "role": m.get_role_display(),
            },
        )
    return list(seen.values())


def create_video_task(
    *,
    actor: Actor,
    incident: Incident,
    assignee_id: int,
    camera_ids: list[int],
    instructions: str,
    now: datetime,
) -> VideoPatrolTask:
    """Give a named person cameras to review for this incident (it shows on the timeline)."""
    require_act(actor, incident)
    people = {p["id"]: p for p in video_patrollers(actor=actor, incident=incident)}
    if assignee_id not in people:
        raise Invalid(_("巡查人不在本所警力名单中。"), loc=["assignee_id"])
    cams = list(units.visible_cameras(actor=actor).filter(pk__in=camera_ids))
    if len(cams) != len(set(camera_ids)):
        raise Invalid(_("有视频点位不存在或无权调阅。"), loc=["camera_ids"])
    task = VideoPatrolTask.objects.create(
        incident=incident, assignee_id=assignee_id, instructions=(instructions or "").strip()[:500],
        created_at=now, created_by=actor.user,
    )  # fmt: skip
    task.cameras.set(cams)
    names = "、".join(c.name for c in cams[:6]) + (
        _(" 等 %(n)s 个点位") % {"n": len(cams)} if len(cams) > 6 else ""
    )
    add_entry(
        incident=incident, kind=EntryKind.VIDEO_TASK, at=now, actor=actor,
        text=_("视频巡查任务交给 %(who)s：%(cams)s") % {"who": people[assignee_id]["name"], "cams": names or _("（未指定点位）")},
        task_id=task.pk,
    )  # fmt: skip
    audit.record(action="create", component="incidents", user=actor.user, organization_id=incident.organization_id,
                 object_type="video_task", object_id=task.pk)  # fmt: skip
    publish_incident(incident)
    return task


def complete_video_task(
    *,
    actor: Actor,
    incident: Incident,
    task_id: int,
    result: str,
    found: bool | None,
    now: datetime,
) -> VideoPatrolTask:
    """The reviewer reports what the cameras showed; the result goes on the timeline."""
    task = (
        VideoPatrolTask.objects.select_related("assignee")
        .filter(pk=task_id, incident=incident)
        .first()
    )
    if task is None:
        raise NotFound(_("视频巡查任务不存在。"))
    if actor.person_id != task.assignee_id:
        require_act(actor, incident)
    text = (result or "").strip()
    if not text:
        raise Invalid(_("请填写巡查结果。"), loc=["result"])
    changed = VideoPatrolTask.objects.filter(pk=task.pk, status=VideoTaskStatus.OPEN).update(
        status=VideoTaskStatus.DONE, result=text[:4000], found=found, done_at=now
    )
    if changed != 1:
        raise Invalid(_("该任务已完成。"), loc=["result"])
    verdict = {True: _("发现目标"), False: _("未发现目标"), None: ""}[found]
    add_entry(
        incident=incident, kind=EntryKind.VIDEO_RESULT, at=now, actor=actor,
        text=_("视频巡查结果（%(who)s）%(v)s：%(r)s") % {"who": task.assignee.name, "v": verdict, "r": text[:500]},
        task_id=task.pk, found=found,
    )  # fmt: skip
    audit.record(action="update", component="incidents", user=actor.user, organization_id=incident.organization_id,
                 object_type="video_task", object_id=task.pk)  # fmt: skip
    publish_incident(incident)
    task.refresh_from_db()
    return task


def list_video_tasks(*, incident: Incident) -> list[dict[str, Any]]:
    return [
        {
            "id": t.pk,
            "assignee_id": t.assignee_id,
            "assignee": t.assignee.name,
            "camera_ids": [c.pk for c in t.cameras.all()],
            "instructions": t.instructions,
            "status": t.status,
            "result": t.result,
            "found": t.found,
            "created_at": t.created_at,
            "done_at": t.done_at,
        }
        for t in incident.video_tasks.select_related("assignee").prefetch_related("cameras")
    ]


def share_incident(
    *, actor: Actor, incident: Incident, organization_code: str, now: datetime
) -> IncidentShare:
    """Share an incident with a partner organization of the same branch (it then sees it)."""
    require_act(actor, incident)
    tree = org_tree()
    org = Organization.objects.filter(code=organization_code, is_active=True).first()
    if org is None or tree.branch_of(org.pk) != tree.branch_of(incident.organization_id):
        raise Invalid(_("共享单位不存在或不属于本分局。"), loc=["organization"])
    share, created = IncidentShare.objects.get_or_create(
        incident=incident, organization=org, defaults={"shared_at": now, "shared_by": actor.user}
    )
    if created:
        add_entry(incident=incident, kind=EntryKind.SHARED, at=now, actor=actor,
                  text=_("共享给 %(org)s") % {"org": org.name}, organization_id=org.pk)  # fmt: skip
        audit.record(action="create", component="incidents", user=actor.user, organization_id=incident.organization_id,
                     object_type="incident_share", object_id=share.pk)  # fmt: skip
        publish_incident(incident)
    return share
