"""Tasks to partner forces on shared incidents (联勤任务): given, accepted or declined, done.

The police of an incident's desk give a task (e.g. 封控南广场出口) to an organization the
incident is shared with; that organization's people accept it or decline it with a reason,
then answer it and mark it done. Every step is a line on the incident's timeline, a row in the
audit log and a live event to both sides' consoles. A task is seen only by its two sides: an
organization acting on another's task gets 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from jingwu import events
from jingwu.audit import services as audit
from jingwu.errors import Invalid, InvalidTransition, NotFound
from jingwu.incidents.models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentStatus,
    EntryKind,
    Incident,
    IncidentShare,
)
from jingwu.incidents.services.access import (
    get_incident,
    publish_incident,
    require_act,
    visible_incidents,
)
from jingwu.incidents.services.timeline import add_entry
from jingwu.jointcmd.models import IncidentTask, TaskStatus
from jingwu.jointcmd.services.rosters import LOCAL
from jingwu.orgs.models import Organization
from jingwu.orgs.services import Actor
from jingwu.units.access import audiences, police_reach
from jingwu.units.models import DISPATCHABLE, Unit
from jingwu.units.services import on_duty_now

#: Where each answer may start from.
_FROM = {
    TaskStatus.ACCEPTED: (TaskStatus.GIVEN,),
    TaskStatus.DECLINED: (TaskStatus.GIVEN,),
    TaskStatus.DONE: (TaskStatus.GIVEN, TaskStatus.ACCEPTED),
}


def _clean_text(text: str | None, field: str, limit: int, *, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise Invalid(_("请填写%(what)s。") % {"what": _field_label(field)}, loc=[field])
    if len(text) > limit:
        raise Invalid(
            _("%(what)s不能超过 %(n)s 字。") % {"what": _field_label(field), "n": limit},
            loc=[field],
        )
    return text


def _field_label(field: str) -> str:
    return {"text": _("任务内容"), "reason": _("拒绝理由"), "answer": _("答复")}.get(field, field)


def _announce(task: IncidentTask, incident: Incident) -> None:
    """Both sides' consoles: the task itself, and the incident (its timeline grew)."""
    events.publish(
        "jointcmd.task",
        audiences=audiences(task.from_org_id, task.to_org_id),
        id=task.pk,
        incident_id=task.incident_id,
        status=task.status,
        to_org_id=task.to_org_id,
    )
    publish_incident(incident)


def give_task(
    *,
    actor: Actor,
    incident_id: int,
    to_org_id: int | None,
    text: str,
    now: datetime,
    due_at: datetime | None = None,
) -> IncidentTask:
    """The incident's desk gives a partner force a task (call inside a transaction)."""
    incident = get_incident(actor=actor, incident_id=incident_id, for_update=True)
    require_act(actor, incident)
    if incident.status not in OPEN_STATUSES:
        raise InvalidTransition(_("警情已结束，不能再下达任务。"), loc=["incident"])
    text = _clean_text(text, "text", 200, required=True)
    shared = IncidentShare.objects.filter(incident=incident, organization_id=to_org_id)
    org = Organization.objects.filter(pk=to_org_id).first() if to_org_id else None
    if org is None or not shared.exists():
        raise Invalid(_("此警情未共享给该单位，不能向其下达任务。"), loc=["to_organization_id"])
    if due_at is not None and due_at.tzinfo is None:
        due_at = due_at.replace(tzinfo=LOCAL)  # a time without a zone is Beijing time
    if due_at is not None and due_at <= now:
        raise Invalid(_("完成期限须晚于现在。"), loc=["due_at"])
    task = IncidentTask.objects.create(
        incident=incident,
        from_org_id=incident.organization_id,
        to_org=org,
        text=text,
        due_at=due_at,
        given_at=now,
        given_by=actor.user if actor.is_authenticated else None,
    )
    add_entry(
        incident=incident,
        kind=EntryKind.NOTE,
        at=now,
        actor=actor,
        text=_("向%(org)s下达联勤任务：%(text)s") % {"org": org.name, "text": text},
        task_id=task.pk,
        task_status=task.status,
        organization_id=org.pk,
    )
    audit.record(
        action="create",
        component="jointcmd",
        user=actor.user,
        organization_id=org.pk,
        object_type="incident_task",
        object_id=task.pk,
        detail=f"incident={incident.pk}",
    )
    _announce(task, incident)
    return task


def _own_task(actor: Actor, task_id: int) -> IncidentTask:
    task = (
        IncidentTask.objects.select_related("incident", "to_org", "from_org")
        .filter(pk=task_id, to_org_id__in=actor.organization_ids)
        .first()
    )
    if task is None:
        raise NotFound(_("任务不存在。"))
    return task


def _refusal(to: str) -> str:
    if to == TaskStatus.ACCEPTED:
        return _("任务当前为“%(s)s”，不能再接受。")
    if to == TaskStatus.DECLINED:
        return _("任务当前为“%(s)s”，不能再拒绝。")
    return _("任务当前为“%(s)s”，不能再完成。")


def _step_text(to: str, task: IncidentTask, note: str) -> str:
    values = {"org": task.to_org.name, "text": task.text, "note": note}
    if to == TaskStatus.ACCEPTED:
        return _("%(org)s接受联勤任务：%(text)s") % values
    if to == TaskStatus.DECLINED:
        return _("%(org)s拒绝联勤任务：%(text)s（理由：%(note)s）") % values
    values["answer"] = _("（答复：%(note)s）") % {"note": note} if note else ""
    return _("%(org)s完成联勤任务：%(text)s%(answer)s") % values


def answer_task(
    *, actor: Actor, task_id: int, to: str, now: datetime, note: str = ""
) -> IncidentTask:
    """The partner accepts, declines (reason required) or completes (with an answer) a task."""
    task = _own_task(actor, task_id)
    if to == TaskStatus.DECLINED:
        note = _clean_text(note, "reason", 500, required=True)
    else:
        note = _clean_text(note, "answer", 500, required=False)
    values: dict[str, Any] = {"status": to}
    if to == TaskStatus.DONE:
        values["done_at"] = now
    if to != TaskStatus.DONE or task.answered_at is None:
        values.update(answered_at=now, answered_by=actor.user)
    if note:
        values["answer"] = note
    changed = IncidentTask.objects.filter(pk=task.pk, status__in=_FROM[to]).update(**values)
    if changed != 1:
        task.refresh_from_db(fields=["status"])
        raise InvalidTransition(
            _refusal(to) % {"s": task.get_status_display()},
            loc=["status"],
        )
    task.refresh_from_db()
    add_entry(
        incident=task.incident,
        kind=EntryKind.NOTE,
        at=now,
        actor=actor,
        text=_step_text(to, task, note),
        task_id=task.pk,
        task_status=to,
        organization_id=task.to_org_id,
    )
    audit.record(
        action="update",
        component="jointcmd",
        user=actor.user,
        organization_id=task.to_org_id,
        object_type="incident_task",
        object_id=task.pk,
        detail=f"status:{to}",
    )
    _announce(task, task.incident)
    return task


def list_tasks(
    *, actor: Actor, incident_id: int | None = None, open_only: bool = False
) -> list[IncidentTask]:
    """Tasks to the actor's organizations and those given by the desks they police."""
    qs = IncidentTask.objects.filter(
        Q(to_org_id__in=actor.organization_ids) | Q(from_org_id__in=police_reach(actor))
    )
    if incident_id is not None:
        qs = qs.filter(incident_id=incident_id)
    if open_only:
        qs = qs.filter(status__in=(TaskStatus.GIVEN, TaskStatus.ACCEPTED))
    return list(qs.select_related("incident", "from_org", "to_org").order_by("-given_at", "-id"))


def task_dict(task: IncidentTask, *, actor: Actor, now: datetime) -> dict[str, Any]:
    """A task as the API and the console show it (no personal data)."""
    mine = task.to_org_id in actor.organization_ids
    return {
        "id": task.pk,
        "incident_id": task.incident_id,
        "incident_number": task.incident.number,
        "incident_type": task.incident.get_type_display(),
        "from_organization": {"id": task.from_org_id, "name": task.from_org.name},
        "to_organization": {"id": task.to_org_id, "name": task.to_org.name},
        "text": task.text,
        "due_at": task.due_at,
        "overdue": bool(
            task.due_at
            and task.due_at < now
            and task.status in (TaskStatus.GIVEN, TaskStatus.ACCEPTED)
        ),
        "status": task.status,
        "status_label": task.get_status_display(),
        "answer": task.answer,
        "given_at": task.given_at,
        "answered_at": task.answered_at,
        "done_at": task.done_at,
        "may_accept": mine and task.status == TaskStatus.GIVEN,
        "may_decline": mine and task.status == TaskStatus.GIVEN,
        "may_complete": mine and task.status in _FROM[TaskStatus.DONE],
    }


def own_free_units(*, actor: Actor, now: datetime) -> list[Unit]:
    """Units of the actor's own organizations, on shift and free: what a partner may send."""
    return list(
        Unit.objects.filter(
            organization_id__in=actor.organization_ids, is_active=True, status__in=DISPATCHABLE
        )
        .filter(on_duty_now(now))
        .order_by("code")
    )


def own_active_assignments(*, actor: Actor, incident_ids: list[int]) -> list[Assignment]:
    """The actor's own units still assigned to these incidents: what a partner may call back."""
    if not incident_ids:
        return []
    return list(
        Assignment.objects.filter(
            incident_id__in=incident_ids,
            status=AssignmentStatus.ACTIVE,
            unit__organization_id__in=actor.organization_ids,
        )
        .select_related("unit", "incident")
        .order_by("-assigned_at", "-id")
    )


def assignment_incident_id(*, actor: Actor, assignment_id: int) -> int:
    """The incident of an assignment on an incident the actor sees, else NotFound."""
    incident_id = (
        Assignment.objects.filter(pk=assignment_id, incident__in=visible_incidents(actor=actor))
        .values_list("incident_id", flat=True)
        .first()
    )
    if incident_id is None:
        raise NotFound(_("派警记录不存在。"), loc=["assignment_id"])
    return incident_id
