"""API: intake, the queue, recommendations, assignments, transitions, timeline, video search."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Router, Schema, Status

from jingwu import writes
from jingwu.incidents import services
from jingwu.incidents.models import Disposition, IncidentType, Priority, Source
from jingwu.incidents.services.config import response_targets
from jingwu.orgs.services import actor_for

router = Router(tags=["incidents"])


class IncidentIn(Schema):
    lat: Any = None
    lon: Any = None
    crs: str = "wgs84"
    address: str = ""
    type: str
    priority: str
    caller_name: str = ""
    caller_phone: str = ""
    description: str = ""
    source: str = "110"
    called_at: datetime | None = None


class AssignmentIn(Schema):
    unit_id: int


class ReleaseIn(Schema):
    reason: str = ""


class ReassignIn(Schema):
    unit_id: int
    reason: str = ""


class TransitionIn(Schema):
    to: str
    disposition: str | None = None
    note: str = ""


class NoteIn(Schema):
    text: str


class LastSeenIn(Schema):
    lat: Any
    lon: Any
    crs: str = "wgs84"
    at: datetime | None = None


class VideoTaskIn(Schema):
    assignee_id: int
    camera_ids: list[int] = []
    instructions: str = ""


class VideoResultIn(Schema):
    result: str
    found: bool | None = None


class ShareIn(Schema):
    organization: str


def _ctx(request: HttpRequest) -> tuple[Any, datetime]:
    return actor_for(request.user), timezone.now()


def _detail(
    request: HttpRequest, incident: Any, actor: Any, now: datetime, audit_read: bool = True
) -> dict[str, Any]:
    return services.incident_detail(
        incident, actor=actor, now=now, request=request, audit_read=audit_read
    )


@router.get("/config", summary="Types, priorities, sources, dispositions and response targets")
def config(request: HttpRequest) -> dict[str, Any]:
    return {
        "types": [{"code": c, "label": str(label)} for c, label in IncidentType.choices],
        "priorities": [{"code": c, "label": str(label)} for c, label in Priority.choices],
        "sources": [{"code": c, "label": str(label)} for c, label in Source.choices],
        "dispositions": [{"code": c, "label": str(label)} for c, label in Disposition.choices],
        "targets_s": response_targets(),
    }


@router.post("", response={200: dict, 201: dict}, summary="Take a call (Idempotency-Key honoured)")
def create(
    request: HttpRequest,
    payload: IncidentIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status[Any]:
    actor, now = _ctx(request)
    # The write goes through the write queue (one writer thread, many calls to a commit),
    # so the answer describes committed data; reading and checking happen before, here.
    incident, created = services.create_incident(
        actor=actor, fields=payload.dict(), now=now, idempotency_key=idempotency_key
    )
    if created:  # the answer echoes the call's own input: no stored personal data read
        body = _detail(request, incident, actor, now, audit_read=False)
    else:  # a retry: the stored incident, its read audited (a write, so queued too)
        body = writes.run(lambda: _detail(request, incident, actor, now))
    return Status(201 if created else 200, body)


@router.get("", summary="The queue (open=true, default) or the latest incidents")
def list_(
    request: HttpRequest, open: bool = True, organization_id: int | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    actor, now = _ctx(request)
    rows = services.list_incidents(
        actor=actor, open_only=open, organization_id=organization_id, limit=min(max(limit, 1), 1000)
    )
    return [services.incident_dict(i, actor=actor, now=now) for i in rows]


@router.get("/{incident_id}", summary="One incident (404 for anyone who may not see it)")
def get(request: HttpRequest, incident_id: int) -> dict[str, Any]:
    actor, now = _ctx(request)
    return _detail(request, services.get_incident(actor=actor, incident_id=incident_id), actor, now)


@router.get("/{incident_id}/recommendations", summary="Ranked units with ETA and reasons")
def recommendations(
    request: HttpRequest, incident_id: int, k: int = 5, routes: bool = False, skills: str = ""
) -> list[dict[str, Any]]:
    actor, now = _ctx(request)
    incident = services.get_incident(actor=actor, incident_id=incident_id)
    wanted = frozenset(s.strip() for s in skills.split(",") if s.strip())
    return services.recommend(
        incident=incident, now=now, k=k, with_routes=routes, skills=wanted, actor=actor
    )["items"]


@router.get(
    "/{incident_id}/recommendations/excluded", summary="Why the other units are not proposed"
)
def excluded(request: HttpRequest, incident_id: int) -> list[dict[str, Any]]:
    actor, now = _ctx(request)
    incident = services.get_incident(actor=actor, incident_id=incident_id)
    return services.recommend(incident=incident, now=now, actor=actor)["excluded"]


@router.post(
    "/{incident_id}/assignments", response={201: dict}, summary="Send a unit (409 if not free)"
)
def assign(request: HttpRequest, incident_id: int, payload: AssignmentIn) -> Status[Any]:
    actor, now = _ctx(request)
    with transaction.atomic():
        incident = services.get_incident(actor=actor, incident_id=incident_id, for_update=True)
        a = services.assign_unit(actor=actor, incident=incident, unit_id=payload.unit_id, now=now)
        detail = _detail(request, incident, actor, now)
    return Status(201, {"id": a.pk, "unit_id": a.unit_id, "status": a.status, "eta_seconds": a.eta_seconds,
                        "incident": detail})  # fmt: skip


@router.post("/{incident_id}/assignments/{assignment_id}/release", summary="Call a unit back")
def release(
    request: HttpRequest, incident_id: int, assignment_id: int, payload: ReleaseIn
) -> dict[str, Any]:
    actor, now = _ctx(request)
    with transaction.atomic():
        incident = services.get_incident(actor=actor, incident_id=incident_id, for_update=True)
        services.release_assignment(
            actor=actor,
            incident=incident,
            assignment_id=assignment_id,
            now=now,
            reason=payload.reason,
        )
        return _detail(request, incident, actor, now)


@router.post(
    "/{incident_id}/assignments/{assignment_id}/reassign",
    response={201: dict},
    summary="Replace a unit by another",
)
def reassign(
    request: HttpRequest, incident_id: int, assignment_id: int, payload: ReassignIn
) -> Status[Any]:
    actor, now = _ctx(request)
    with transaction.atomic():
        incident = services.get_incident(actor=actor, incident_id=incident_id, for_update=True)
        a = services.reassign(
            actor=actor,
            incident=incident,
            assignment_id=assignment_id,
            unit_id=payload.unit_id,
            now=now,
            reason=payload.reason,
        )
        detail = _detail(request, incident, actor, now)
    return Status(201, {"id": a.pk, "unit_id": a.unit_id, "status": a.status, "incident": detail})


@router.post(
    "/{incident_id}/transitions", summary="en_route, on_scene, resolved, closed or cancelled"
)
def transition(request: HttpRequest, incident_id: int, payload: TransitionIn) -> dict[str, Any]:
    actor, now = _ctx(request)
    with transaction.atomic():
        incident = services.get_incident(actor=actor, incident_id=incident_id, for_update=True)
        services.transition(actor=actor, incident=incident, to=payload.to, now=now,
                            disposition=payload.disposition, note=payload.note)  # fmt: skip
        return _detail(request, incident, actor, now)


@router.get("/{incident_id}/timeline", summary="Every status change, assignment, arrival and note")
def timeline(request: HttpRequest, incident_id: int) -> list[dict[str, Any]]:
    actor, _now = _ctx(request)
    return services.list_timeline(
        incident=services.get_incident(actor=actor, incident_id=incident_id)
    )


@router.post("/{incident_id}/notes", response={201: dict}, summary="Add a note to the timeline")
def note(request: HttpRequest, incident_id: int, payload: NoteIn) -> Status[Any]:
    actor, now = _ctx(request)
    with transaction.atomic():
        incident = services.get_incident(actor=actor, incident_id=incident_id)
        e = services.add_note(actor=actor, incident=incident, text=payload.text, now=now)
    return Status(201, {"id": e.pk, "at": e.at, "text": e.text})


@router.post(
    "/{incident_id}/shares", response={201: dict}, summary="Share with a partner organization"
)
def share(request: HttpRequest, incident_id: int, payload: ShareIn) -> Status[Any]:
    actor, now = _ctx(request)
    with transaction.atomic():
        incident = services.get_incident(actor=actor, incident_id=incident_id)
        s = services.share_incident(
            actor=actor, incident=incident, organization_code=payload.organization, now=now
        )
    return Status(201, {"organization_id": s.organization_id, "shared_at": s.shared_at})


@router.get("/{incident_id}/cameras", summary="Cameras near the incident, or along a unit's route")
def cameras(
    request: HttpRequest,
    incident_id: int,
    radius_m: float = 300.0,
    unit_id: int | None = None,
    width_m: float = 60.0,
) -> Any:
    actor, _now = _ctx(request)
    incident = services.get_incident(actor=actor, incident_id=incident_id)
    if unit_id is not None:
        return services.cameras_along_route(
            actor=actor, incident=incident, unit_id=unit_id, width_m=width_m
        )
    return services.cameras_near_incident(actor=actor, incident=incident, radius_m=radius_m)


@router.get(
    "/{incident_id}/search-area", summary="Lost person: walking isochrone and cameras in it"
)
def search_area(
    request: HttpRequest, incident_id: int, elapsed_s: float | None = None
) -> dict[str, Any]:
    actor, now = _ctx(request)
    incident = services.get_incident(actor=actor, incident_id=incident_id)
    return services.search_area(actor=actor, incident=incident, now=now, elapsed_s=elapsed_s)


@router.post("/{incident_id}/last-seen", summary="Where and when the missing person was last seen")
def last_seen(request: HttpRequest, incident_id: int, payload: LastSeenIn) -> dict[str, Any]:
    actor, now = _ctx(request)
    with transaction.atomic():
        incident = services.get_incident(actor=actor, incident_id=incident_id, for_update=True)
        services.set_last_seen(
            actor=actor,
            incident=incident,
            lat=payload.lat,
            lon=payload.lon,
            at=payload.at,
            now=now,
            crs=payload.crs,
        )
        return _detail(request, incident, actor, now)


@router.get("/{incident_id}/video-patrollers", summary="People who may take a video-patrol task")
def patrollers(request: HttpRequest, incident_id: int) -> list[dict[str, Any]]:
    actor, _now = _ctx(request)
    incident = services.get_incident(actor=actor, incident_id=incident_id)
    return services.video_patrollers(actor=actor, incident=incident)


@router.get("/{incident_id}/video-tasks", summary="Video-patrol tasks of the incident")
def video_tasks(request: HttpRequest, incident_id: int) -> list[dict[str, Any]]:
    actor, _now = _ctx(request)
    return services.list_video_tasks(
        incident=services.get_incident(actor=actor, incident_id=incident_id)
    )


@router.post(
    "/{incident_id}/video-tasks",
    response={201: dict},
    summary="Give a named person cameras to review",
)
def create_video_task(request: HttpRequest, incident_id: int, payload: VideoTaskIn) -> Status[Any]:
    actor, now = _ctx(request)
    with transaction.atomic():
        incident = services.get_incident(actor=actor, incident_id=incident_id)
        t = services.create_video_task(actor=actor, incident=incident, assignee_id=payload.assignee_id,
                                       camera_ids=payload.camera_ids, instructions=payload.instructions, now=now)  # fmt: skip
    return Status(201, {"id": t.pk, "status": t.status})


@router.post(
    "/{incident_id}/video-tasks/{task_id}/result", summary="Report what the cameras showed"
)
def video_result(
    request: HttpRequest, incident_id: int, task_id: int, payload: VideoResultIn
) -> dict[str, Any]:
    actor, now = _ctx(request)
    with transaction.atomic():
        incident = services.get_incident(actor=actor, incident_id=incident_id)
        t = services.complete_video_task(
            actor=actor,
            incident=incident,
            task_id=task_id,
            result=payload.result,
            found=payload.found,
            now=now,
        )
    return {"id": t.pk, "status": t.status, "found": t.found, "done_at": t.done_at}
