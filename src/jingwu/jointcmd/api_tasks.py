"""API of tasks to partner forces on shared incidents (``/api/v1/jointcmd/…``). Thin edges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from jingwu.jointcmd.models import TaskStatus
from jingwu.jointcmd.services import tasks
from jingwu.orgs.services import actor_for

router = Router(tags=["joint command"])


class TaskIn(Schema):
    to_organization_id: int | None = None
    text: str = ""
    due_at: datetime | None = None


class AnswerIn(Schema):
    reason: str = ""
    answer: str = ""


def _out(request: HttpRequest, task: Any) -> dict[str, Any]:
    return tasks.task_dict(task, actor=actor_for(request.user), now=timezone.now())


@router.get("/tasks", summary="Tasks to the caller's organization and given by its desks")
def list_tasks(
    request: HttpRequest, incident_id: int | None = None, open: bool = False
) -> list[dict[str, Any]]:
    actor, now = actor_for(request.user), timezone.now()
    found = tasks.list_tasks(actor=actor, incident_id=incident_id, open_only=open)
    return [tasks.task_dict(t, actor=actor, now=now) for t in found]


@router.post(
    "/incidents/{incident_id}/tasks", response={201: dict}, summary="Give a partner force a task"
)
def give_task(request: HttpRequest, incident_id: int, payload: TaskIn) -> Status[dict[str, Any]]:
    with transaction.atomic():
        task = tasks.give_task(
            actor=actor_for(request.user),
            incident_id=incident_id,
            to_org_id=payload.to_organization_id,
            text=payload.text,
            due_at=payload.due_at,
            now=timezone.now(),
        )
    return Status(201, _out(request, task))


def _answer(request: HttpRequest, task_id: int, to: str, note: str) -> dict[str, Any]:
    with transaction.atomic():
        task = tasks.answer_task(
            actor=actor_for(request.user), task_id=task_id, to=to, note=note, now=timezone.now()
        )
    return _out(request, task)


@router.post("/tasks/{task_id}/accept", summary="Accept a task (409 if already answered)")
def accept(request: HttpRequest, task_id: int) -> dict[str, Any]:
    return _answer(request, task_id, TaskStatus.ACCEPTED, "")


@router.post("/tasks/{task_id}/decline", summary="Decline a task with a reason")
def decline(request: HttpRequest, task_id: int, payload: AnswerIn) -> dict[str, Any]:
    return _answer(request, task_id, TaskStatus.DECLINED, payload.reason)


@router.post("/tasks/{task_id}/complete", summary="Answer a task and mark it done")
def complete(request: HttpRequest, task_id: int, payload: AnswerIn) -> dict[str, Any]:
    return _answer(request, task_id, TaskStatus.DONE, payload.answer)
