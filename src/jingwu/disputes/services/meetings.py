"""Joint meetings (联席会议): schedule, agenda of cases and leads, minutes, decisions as tasks.

The workstation's police and the lead of its directors' group run the meetings; attendees and
group members read them. An agenda item about a case or lead is shown only to people who may
see that case or lead — sitting in the meeting grants nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from jingwu import events
from jingwu.audit import services as audit
from jingwu.disputes.models import (
    AgendaItem,
    GroupMember,
    JointMeeting,
    MeetingAttendee,
    MeetingStatus,
    MeetingTask,
    TaskStatus,
)
from jingwu.disputes.services import access
from jingwu.disputes.services.common import COMPONENT, clean_text
from jingwu.errors import Conflict, Forbidden, Invalid, NotFound
from jingwu.orgs.models import Membership, Organization, OrgKind, Person
from jingwu.orgs.services import Actor


def _audit(action: str, actor: Actor, obj_type: str, obj_id: int, detail: str = "") -> None:
    audit.record(
        action=action,
        component=COMPONENT,
        user=actor.user,
        organization_id=actor.primary_organization_id,
        object_type=obj_type,
        object_id=obj_id,
        detail=detail,
    )


def may_run(actor: Actor, workstation_id: int) -> bool:
    """Police of the workstation (or above it, or a room under it) and the group's lead."""
    police = access.police_org_ids(actor)
    for org in police:
        if workstation_id in actor.lineage.get(org, ()):
            return True  # the workstation itself or a police room under it
    parents = dict(Organization.objects.values_list("id", "parent_id"))
    up = parents.get(workstation_id)
    while up is not None:
        if up in police:
            return True
        up = parents.get(up)
    return GroupMember.objects.filter(
        group__workstation_id=workstation_id, person_id=actor.person_id, is_lead=True
    ).exists()


def _workstations_run_by(actor: Actor) -> list[int]:
    ids = Organization.objects.filter(kind=OrgKind.WORKSTATION).values_list("id", flat=True)
    return [ws for ws in ids if may_run(actor, ws)]


def _people(usernames: Any, field: str) -> list[tuple[Person, int]]:
    if usernames is None:
        return []
    if not isinstance(usernames, list):
        raise Invalid(_("此处应为列表。"), loc=[field])
    out = []
    for i, name in enumerate(usernames):
        user = get_user_model().objects.filter(username=str(name), is_active=True).first()
        person = Person.objects.filter(user=user).first() if user else None
        org = (
            Membership.objects.filter(person=person)
            .values_list("organization_id", flat=True)
            .first()
        )
        if person is None or org is None:
            raise Invalid(_("账号不存在：%(username)s") % {"username": name}, loc=[field, i])
        out.append((person, org))
    return out


def create_meeting(
    *,
    actor: Actor,
    title: Any,
    scheduled_at: datetime,
    place: Any = "",
    workstation_id: int | None = None,
    attendees: Any = None,
    case_ids: Any = None,
    lead_ids: Any = None,
    now: datetime,
) -> JointMeeting:
    """Schedule a joint meeting of a workstation with attendees and an agenda."""
    heading = clean_text(title, "title", max_len=120)
    where = clean_text(place, "place", required=False, max_len=120)
    if workstation_id is None:
        mine = _workstations_run_by(actor)
        if len(mine) != 1:
            raise Invalid(_("请选择召开会议的警务站。"), loc=["workstation_id"])
        workstation_id = mine[0]
    elif not Organization.objects.filter(pk=workstation_id, kind=OrgKind.WORKSTATION).exists():
        raise Invalid(_("警务站不存在。"), loc=["workstation_id"])
    if not may_run(actor, workstation_id):
        raise Forbidden(_("只有本站民警或双解主任群牵头人可以召开联席会议。"))
    people = _people(attendees, "attendees")
    meeting = JointMeeting.objects.create(
        workstation_id=workstation_id,
        title=heading,
        scheduled_at=scheduled_at,
        place=where,
        created_by_id=actor.person_id,
        created_at=now,
    )
    if actor.person_id is not None and actor.primary_organization_id is not None:
        people.append((Person.objects.get(pk=actor.person_id), actor.primary_organization_id))
    seen: set[int] = set()
    for person, org in people:
        if person.pk not in seen:
            seen.add(person.pk)
            MeetingAttendee.objects.create(meeting=meeting, person=person, organization_id=org)
    add_agenda(actor=actor, meeting=meeting, case_ids=case_ids, lead_ids=lead_ids)
    _audit("create", actor, "dispute_meeting", meeting.pk)
    _publish(meeting, "dispute.meeting_updated")
    return meeting


def add_agenda(
    *,
    actor: Actor,
    meeting: JointMeeting,
    case_ids: Any = None,
    lead_ids: Any = None,
    note: str = "",
) -> None:
    """Put cases and leads the actor may see on the agenda (others are refused as not found)."""
    position = meeting.agenda.count()
    for field, ids, qs in (
        ("case_ids", case_ids, access.visible_cases(actor)),
        ("lead_ids", lead_ids, access.visible_leads(actor)),
    ):
        if not ids:
            continue
        if not isinstance(ids, list):
            raise Invalid(_("此处应为列表。"), loc=[field])
        found = set(qs.filter(pk__in=[int(i) for i in ids]).values_list("pk", flat=True))
        for i, oid in enumerate(ids):
            if int(oid) not in found:
                raise NotFound(_("案件或线索不存在。"), loc=[field, i])
            position += 1
            AgendaItem.objects.create(
                meeting=meeting,
                position=position,
                note=note,
                **({"case_id": int(oid)} if field == "case_ids" else {"lead_id": int(oid)}),
            )
    if note and not case_ids and not lead_ids:
        AgendaItem.objects.create(meeting=meeting, position=position + 1, note=note)


def list_meetings(*, actor: Actor) -> QuerySet[JointMeeting]:
    """Meetings the actor may see, newest first."""
    return access.visible_meetings(actor).select_related("workstation").order_by("-scheduled_at")


def meeting_detail(*, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """A meeting with attendees, the agenda items the actor may see, minutes and tasks."""
    meeting = access.get_meeting(actor=actor, meeting_id=meeting_id)
    cases = {
        c.pk: c for c in access.visible_cases(actor).filter(pk__in=meeting.agenda.values("case_id"))
    }
    leads = {
        lead.pk: lead
        for lead in access.visible_leads(actor).filter(pk__in=meeting.agenda.values("lead_id"))
    }
    agenda = []
    for item in meeting.agenda.all():
        if item.case_id is not None:
            if item.case_id not in cases:
                continue
            c = cases[item.case_id]
            agenda.append(
                {
                    "id": item.pk,
                    "kind": "case",
                    "ref": c.pk,
                    "title": c.title,
                    "number": c.number,
                    "stage_label": c.get_stage_display(),
                    "note": item.note,
                }
            )
        elif item.lead_id is not None:
            if item.lead_id not in leads:
                continue
            lead = leads[item.lead_id]
            agenda.append(
                {
                    "id": item.pk,
                    "kind": "lead",
                    "ref": lead.pk,
                    "title": lead.text[:40],
                    "number": "",
                    "stage_label": lead.get_status_display(),
                    "note": item.note,
                }
            )
        else:
            agenda.append(
                {
                    "id": item.pk,
                    "kind": "note",
                    "ref": None,
                    "title": item.note,
                    "number": "",
                    "stage_label": "",
                    "note": item.note,
                }
            )
    visible_case_ids = set(cases) | set(
        access.visible_cases(actor)
        .filter(pk__in=meeting.tasks.values("case_id"))
        .values_list("pk", flat=True)
    )
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "workstation": meeting.workstation.name,
        "workstation_id": meeting.workstation_id,
        "scheduled_at": meeting.scheduled_at,
        "place": meeting.place,
        "status": meeting.status,
        "status_label": meeting.get_status_display(),
        "minutes": meeting.minutes,
        "may_run": may_run(actor, meeting.workstation_id),
        "attendees": [
            {
                "id": a.pk,
                "name": a.person.name,
                "organization": a.organization.name,
                "present": a.present,
            }
            for a in meeting.attendees.select_related("person", "organization")
        ],
        "agenda": agenda,
        "tasks": [
            {
                "id": t.pk,
                "text": t.text,
                "owner": t.owner.name,
                "owner_id": t.owner_id,
                "organization": t.owner_org.name,
                "due_on": t.due_on,
                "status": t.status,
                "status_label": t.get_status_display(),
                "done_at": t.done_at,
                "done_note": t.done_note,
                "case_id": t.case_id if t.case_id in visible_case_ids else None,
                "mine": t.owner_id == actor.person_id,
            }
            for t in meeting.tasks.select_related("owner", "owner_org")
        ],
    }


def runnable_meeting(*, actor: Actor, meeting_id: int) -> JointMeeting:
    """A meeting the actor may see and run, else NotFound or Forbidden."""
    meeting = access.get_meeting(actor=actor, meeting_id=meeting_id)
    if not may_run(actor, meeting.workstation_id):
        raise Forbidden(_("只有本站民警或双解主任群牵头人可以修改会议。"))
    return meeting


def record_minutes(
    *, actor: Actor, meeting_id: int, minutes: Any, present: Any = None, now: datetime
) -> JointMeeting:
    """Write the minutes and who was present; the meeting is then held."""
    text = clean_text(minutes, "minutes", max_len=20000)
    meeting = runnable_meeting(actor=actor, meeting_id=meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(_("会议已取消。"), loc=["minutes"])
    if present is not None:
        ids = {p.pk for p, _org in _people(present, "present")}
        for a in meeting.attendees.all():
            a.present = a.person_id in ids
            a.save(update_fields=["present"])
    JointMeeting.objects.filter(pk=meeting.pk).update(minutes=text, status=MeetingStatus.HELD)
    meeting.refresh_from_db()
    _audit("update", actor, "dispute_meeting", meeting.pk, "minutes")
    _publish(meeting, "dispute.meeting_updated")
    return meeting


def add_task(
    *,
    actor: Actor,
    meeting_id: int,
    text: Any,
    owner: Any,
    due_on: date,
    case_id: Any = None,
    now: datetime,
) -> MeetingTask:
    """Turn a decision into a task with an owner and a due date."""
    body = clean_text(text, "text", max_len=300)
    meeting = runnable_meeting(actor=actor, meeting_id=meeting_id)
    ((person, org),) = _people([owner], "owner") if owner else ((None, None),)
    if person is None:
        raise Invalid(_("请指定责任人。"), loc=["owner"])
    if due_on < meeting.scheduled_at.date():
        raise Invalid(_("完成期限不能早于会议日期。"), loc=["due_on"])
    case = None
    if case_id not in (None, ""):
        case = access.get_case(actor=actor, case_id=int(case_id))
    task = MeetingTask.objects.create(
        meeting=meeting, text=body, owner=person, owner_org_id=org, due_on=due_on, case=case
    )
    _audit("create", actor, "dispute_task", task.pk)
    _publish(meeting, "dispute.meeting_updated")
    return task


def complete_task(*, actor: Actor, task_id: int, note: Any = "", now: datetime) -> MeetingTask:
    """Mark a task done: its owner, or whoever runs the meeting. Done once only."""
    task = (
        MeetingTask.objects.filter(pk=task_id, meeting__in=access.visible_meetings(actor))
        .select_related("meeting")
        .first()
    )
    if task is None:
        raise NotFound(_("事项不存在。"))
    if task.owner_id != actor.person_id and not may_run(actor, task.meeting.workstation_id):
        raise Forbidden(_("只有责任人或会议召集人可以办结此事项。"))
    done = MeetingTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE,
        done_at=now,
        done_note=clean_text(note, "note", required=False, max_len=300),
    )
    if done != 1:
        raise Conflict(_("该事项已办结。"))
    task.refresh_from_db()
    _audit("update", actor, "dispute_task", task.pk, "done")
    _publish(task.meeting, "dispute.meeting_updated")
    return task


def my_open_tasks(*, actor: Actor) -> QuerySet[MeetingTask]:
    """The actor's open tasks from joint meetings, soonest due first."""
    if actor.person_id is None:
        return MeetingTask.objects.none()
    return (
        MeetingTask.objects.filter(Q(owner_id=actor.person_id), status=TaskStatus.OPEN)
        .select_related("meeting")
        .order_by("due_on")
    )


def _publish(meeting: JointMeeting, kind: str) -> None:
    users = set(
        MeetingAttendee.objects.filter(meeting=meeting, person__user__isnull=False).values_list(
            "person__user_id", flat=True
        )
    )
    events.publish(
        kind,
        audiences=[f"org:{meeting.workstation_id}"] + [f"user:{u}" for u in users],
        id=meeting.pk,
        status=meeting.status,
    )
