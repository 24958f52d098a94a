"""API: joint meetings, their agenda, minutes and tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from jingwu.disputes.services import (
    meetings,
)
from jingwu.orgs.services import actor_for

router = Router(tags=["disputes"])


def _actor(request: HttpRequest) -> Any:
    return actor_for(request.user)


class MeetingIn(Schema):
    title: str
    scheduled_at: datetime
    place: str = ""
    workstation_id: int | None = None
    attendees: list[str] = []
    case_ids: list[int] = []
    lead_ids: list[int] = []


class AgendaIn(Schema):
    case_ids: list[int] = []
    lead_ids: list[int] = []
    note: str = ""


class MinutesIn(Schema):
    minutes: str
    present: list[str] | None = None


class TaskIn(Schema):
    text: str
    owner: str
    due_on: date
    case_id: int | None = None


class DoneIn(Schema):
    note: str = ""


@router.get("/meetings", summary="Joint meetings the caller may see")
def list_meetings(request: HttpRequest) -> dict[str, Any]:
    items = [
        {
            "id": m.pk,
            "title": m.title,
            "workstation": m.workstation.name,
            "scheduled_at": m.scheduled_at,
            "status": m.status,
        }
        for m in meetings.list_meetings(actor=_actor(request))[:200]
    ]
    return {"items": items, "count": len(items)}


@router.post("/meetings", response={201: dict}, summary="Schedule a joint meeting")
def create_meeting(request: HttpRequest, payload: MeetingIn) -> Status[dict[str, Any]]:
    with transaction.atomic():
        m = meetings.create_meeting(
            actor=_actor(request),
            title=payload.title,
            scheduled_at=payload.scheduled_at,
            place=payload.place,
            workstation_id=payload.workstation_id,
            attendees=payload.attendees,
            case_ids=payload.case_ids,
            lead_ids=payload.lead_ids,
            now=timezone.now(),
        )
    return Status(201, {"id": m.pk})


@router.get("/meetings/{meeting_id}", summary="A meeting: attendees, agenda, minutes, tasks")
def get_meeting(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    return meetings.meeting_detail(actor=_actor(request), meeting_id=meeting_id)


@router.post("/meetings/{meeting_id}/agenda", summary="Add cases or leads to the agenda")
def add_agenda(request: HttpRequest, meeting_id: int, payload: AgendaIn) -> dict[str, Any]:
    actor = _actor(request)
    with transaction.atomic():
        meeting = meetings.runnable_meeting(actor=actor, meeting_id=meeting_id)
        meetings.add_agenda(
            actor=actor,
            meeting=meeting,
            case_ids=payload.case_ids,
            lead_ids=payload.lead_ids,
            note=payload.note,
        )
    return meetings.meeting_detail(actor=actor, meeting_id=meeting_id)


@router.post("/meetings/{meeting_id}/minutes", summary="Record the minutes")
def record_minutes(request: HttpRequest, meeting_id: int, payload: MinutesIn) -> dict[str, Any]:
    with transaction.atomic():
        m = meetings.record_minutes(
            actor=_actor(request),
            meeting_id=meeting_id,
            minutes=payload.minutes,
            present=payload.present,
            now=timezone.now(),
        )
    return {"id": m.pk, "status": m.status}


@router.post(
    "/meetings/{meeting_id}/tasks", response={201: dict}, summary="Add a decision as a task"
)
def add_task(request: HttpRequest, meeting_id: int, payload: TaskIn) -> Status[dict[str, Any]]:
    with transaction.atomic():
        t = meetings.add_task(
            actor=_actor(request),
            meeting_id=meeting_id,
            text=payload.text,
            owner=payload.owner,
            due_on=payload.due_on,
            case_id=payload.case_id,
            now=timezone.now(),
        )
    return Status(201, {"id": t.pk, "status": t.status})


@router.post("/tasks/{task_id}/done", summary="Mark a meeting task done")
def complete_task(request: HttpRequest, task_id: int, payload: DoneIn) -> dict[str, Any]:
    with transaction.atomic():
        t = meetings.complete_task(
            actor=_actor(request), task_id=task_id, note=payload.note, now=timezone.now()
        )
    return {"id": t.pk, "status": t.status}


@router.get("/tasks", summary="The caller's open meeting tasks")
def my_tasks(request: HttpRequest) -> dict[str, Any]:
    items = [
        {"id": t.pk, "text": t.text, "due_on": t.due_on, "meeting_id": t.meeting_id}
        for t in meetings.my_open_tasks(actor=_actor(request))
    ]
    return {"items": items, "count": len(items)}
