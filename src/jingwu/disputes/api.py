"""API for disputes: leads and the directors' board, cases and their timeline, meetings,
agreements, early warning and figures. Thin: parse, call one use case, render."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from jingwu.disputes.services import (
    access,
    agreements,
    cases,
    duplicates,
    figures,
    leads,
    meetings,
    risk,
    workflow,
)
from jingwu.disputes.services.common import clean_uploads
from jingwu.disputes.services.parties import clean_parties, party_view
from jingwu.errors import Invalid
from jingwu.orgs.services import actor_for

router = Router(tags=["disputes"])


def _actor(request: HttpRequest) -> Any:
    return actor_for(request.user)


# ---------------------------------------------------------------- schemas


class LeadIn(Schema):
    text: str
    lat: float
    lon: float
    address: str = ""
    source: str
    parties: list[dict[str, Any]] | None = None
    photos: list[dict[str, Any]] | None = None
    group_id: int | None = None
    crs: str = "wgs84"


class PromoteIn(Schema):
    type: str | None = None
    risk: str = "low"
    title: str = ""


class MergeLeadIn(Schema):
    case_id: int


class DismissIn(Schema):
    reason: str


class CaseIn(Schema):
    type: str
    description: str
    lat: float
    lon: float
    address: str = ""
    risk: str = "low"
    parties: list[dict[str, Any]] = []
    title: str = ""
    source: str = "grid_patrol"
    crs: str = "wgs84"


class FromIncidentIn(Schema):
    incident_id: int
    type: str | None = None
    description: str | None = None
    risk: str = "low"
    parties: list[dict[str, Any]] | None = None


class TransitionIn(Schema):
    to: str
    reason: str = ""
    referral_to: str = ""


class ParticipantIn(Schema):
    username: str
    role: str


class EntryIn(Schema):
    kind: str
    text: str
    happened_at: datetime | None = None
    attachments: list[dict[str, Any]] | None = None


class MergeCaseIn(Schema):
    into: int


class SessionIn(Schema):
    held_at: datetime
    place: str
    summary: str
    agreed: bool = False
    attendee_ids: list[int] = []


class AgreementIn(Schema):
    facts: str
    terms: list[str]
    performance: str
    mediation_body: str = ""
    signed_on: date | None = None


class VerifyIn(Schema):
    data_base64: str


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


class PartyIn(Schema):
    name: str
    kind: str = "person"
    role: str = "applicant"
    id_number: str = ""
    phone: str = ""
    address: str = ""


class DoneIn(Schema):
    note: str = ""


# ---------------------------------------------------------------- groups and leads


@router.get("/groups", summary="The directors' groups of the caller (双解主任群)")
def list_groups(request: HttpRequest) -> dict[str, Any]:
    items = [
        {
            "id": g.pk,
            "name": g.name,
            "workstation": g.workstation.name,
            "members": [
                {"name": m.person.name, "organization": m.organization.name, "is_lead": m.is_lead}
                for m in g.members.select_related("person", "organization")
            ],
        }
        for g in leads.groups_of(_actor(request))
    ]
    return {"items": items, "count": len(items)}


@router.post("/leads", response={201: dict}, summary="Post a lead to the caller's group")
def create_lead(request: HttpRequest, payload: LeadIn) -> Status[dict[str, Any]]:
    actor, now = _actor(request), timezone.now()
    photos = clean_uploads(payload.photos, "photos")
    with transaction.atomic():
        lead = leads.create_lead(
            actor=actor,
            text=payload.text,
            lat=payload.lat,
            lon=payload.lon,
            address=payload.address,
            source=payload.source,
            parties=payload.parties,
            photos=photos,
            group_id=payload.group_id,
            crs=payload.crs,
            now=now,
        )
    return Status(
        201,
        {
            "id": lead.pk,
            "status": lead.status,
            "duplicates": duplicates.duplicates_of_lead(actor=actor, lead=lead),
            "repeats": duplicates.repeats_for(
                actor=actor,
                lat=lead.lat,
                lon=lead.lon,
                address=lead.address,
                parties=clean_parties(payload.parties),
                now=now,
            ),
        },
    )


@router.get("/leads", summary="Leads of the caller's groups and jurisdiction")
def list_leads(
    request: HttpRequest,
    status: str | None = None,
    group_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    actor = _actor(request)
    qs = leads.list_leads(actor=actor, status=status, group_id=group_id)
    page = list(qs.prefetch_related("attachments")[offset : offset + min(limit, 500)])
    seen = set(
        access.visible_cases(actor)
        .filter(pk__in=[x.case_id for x in page if x.case_id])
        .values_list("pk", flat=True)
    )
    return {
        "items": [leads.lead_view(actor, x, visible_case_ids=seen) for x in page],
        "count": qs.count(),
    }


@router.get("/leads/{lead_id}", summary="One lead with its parties and likely duplicates")
def get_lead(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    with transaction.atomic():
        return leads.get_lead_detail(actor=_actor(request), lead_id=lead_id, request=request)


@router.post("/leads/{lead_id}/promote", response={201: dict}, summary="Turn a lead into a case")
def promote_lead(request: HttpRequest, lead_id: int, payload: PromoteIn) -> Status[dict[str, Any]]:
    with transaction.atomic():
        case = leads.promote_lead(
            actor=_actor(request),
            lead_id=lead_id,
            type=payload.type,
            risk=payload.risk,
            title=payload.title,
            now=timezone.now(),
        )
    return Status(201, {"id": case.pk, "number": case.number, "stage": case.stage})


@router.post("/leads/{lead_id}/merge", summary="Merge a lead into an existing case")
def merge_lead(request: HttpRequest, lead_id: int, payload: MergeLeadIn) -> dict[str, Any]:
    with transaction.atomic():
        case = leads.merge_lead(
            actor=_actor(request), lead_id=lead_id, case_id=payload.case_id, now=timezone.now()
        )
    return {"id": case.pk, "lead_id": lead_id, "status": "merged"}


@router.post("/leads/{lead_id}/dismiss", summary="Dismiss a lead with a reason")
def dismiss_lead(request: HttpRequest, lead_id: int, payload: DismissIn) -> dict[str, Any]:
    with transaction.atomic():
        lead = leads.dismiss_lead(
            actor=_actor(request), lead_id=lead_id, reason=payload.reason, now=timezone.now()
        )
    return {"id": lead.pk, "status": lead.status}


# ---------------------------------------------------------------- cases


@router.post("/cases", response={201: dict}, summary="Register a case")
def create_case(request: HttpRequest, payload: CaseIn) -> Status[dict[str, Any]]:
    actor, now = _actor(request), timezone.now()
    with transaction.atomic():
        case = cases.create_case(
            actor=actor,
            type=payload.type,
            description=payload.description,
            lat=payload.lat,
            lon=payload.lon,
            address=payload.address,
            risk=payload.risk,
            parties=payload.parties,
            title=payload.title,
            source=payload.source,
            crs=payload.crs,
            now=now,
        )
    return Status(
        201,
        {
            "id": case.pk,
            "number": case.number,
            "stage": case.stage,
            "risk": case.risk,
            "duplicates": duplicates.duplicates_of_case(actor=actor, case=case),
            "repeats": duplicates.repeats_for(
                actor=actor,
                lat=case.lat,
                lon=case.lon,
                address=case.address,
                parties=clean_parties(payload.parties),
                now=now,
                exclude=[case.pk],
            ),
        },
    )


@router.post(
    "/cases/from-incident", response={201: dict}, summary="Turn a 纠纷 incident into a case"
)
def create_from_incident(request: HttpRequest, payload: FromIncidentIn) -> Status[dict[str, Any]]:
    with transaction.atomic():
        case = cases.create_case_from_incident(
            actor=_actor(request),
            incident_id=payload.incident_id,
            type=payload.type,
            description=payload.description,
            risk=payload.risk,
            parties=payload.parties,
            now=timezone.now(),
        )
    return Status(201, {"id": case.pk, "number": case.number, "incident_id": case.incident_id})


@router.get("/cases", summary="Cases the caller may see")
def list_cases(
    request: HttpRequest,
    stage: str | None = None,
    type: str | None = None,
    q: str | None = None,
    overdue: bool | None = None,
    workstation_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    now = timezone.now()
    qs = cases.list_cases(
        actor=_actor(request),
        stage=stage,
        type=type,
        q=q,
        overdue=overdue,
        workstation_id=workstation_id,
        now=now,
    )
    page = qs[offset : offset + min(max(limit, 0), 500)]
    return {"items": [cases.case_summary(c, now) for c in page], "count": qs.count()}


@router.get("/cases/{case_id}", summary="One case with parties, participants and timeline")
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    with transaction.atomic():
        return cases.case_detail(
            actor=_actor(request), case_id=case_id, now=timezone.now(), request=request
        )


@router.post("/cases/{case_id}/transitions", summary="Move a case to its next stage")
def transition(request: HttpRequest, case_id: int, payload: TransitionIn) -> dict[str, Any]:
    now = timezone.now()
    with transaction.atomic():
        case = workflow.transition(
            actor=_actor(request),
            case_id=case_id,
            to=payload.to,
            reason=payload.reason,
            referral_to=payload.referral_to,
            now=now,
        )
    return cases.case_summary(case, now)


@router.post("/cases/{case_id}/participants", response={201: dict}, summary="Add a participant")
def add_participant(
    request: HttpRequest, case_id: int, payload: ParticipantIn
) -> Status[dict[str, Any]]:
    with transaction.atomic():
        p = workflow.add_participant(
            actor=_actor(request),
            case_id=case_id,
            username=payload.username,
            role=payload.role,
            now=timezone.now(),
        )
    return Status(201, {"id": p.pk, "role": p.role, "name": p.person.name})


@router.post("/cases/{case_id}/parties", response={201: dict}, summary="Add a party")
def add_party(request: HttpRequest, case_id: int, payload: PartyIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    with transaction.atomic():
        party = workflow.add_party(
            actor=actor, case_id=case_id, party=payload.dict(), now=timezone.now()
        )
    return Status(201, party_view(actor, party))


@router.get("/cases/{case_id}/timeline", summary="The case's timeline")
def get_timeline(request: HttpRequest, case_id: int) -> dict[str, Any]:
    with transaction.atomic():
        items = cases.read_timeline(actor=_actor(request), case_id=case_id, request=request)
    return {"items": items, "count": len(items)}


@router.post("/cases/{case_id}/timeline", response={201: dict}, summary="Record a step")
def add_entry(request: HttpRequest, case_id: int, payload: EntryIn) -> Status[dict[str, Any]]:
    files = clean_uploads(payload.attachments)
    with transaction.atomic():
        entry = workflow.add_entry(
            actor=_actor(request),
            case_id=case_id,
            kind=payload.kind,
            text=payload.text,
            happened_at=payload.happened_at,
            attachments=files,
            now=timezone.now(),
        )
    return Status(201, {"id": entry.pk, "kind": entry.kind, "happened_at": entry.happened_at})


@router.get("/cases/{case_id}/duplicates", summary="Open cases and leads likely the same dispute")
def case_duplicates(request: HttpRequest, case_id: int) -> dict[str, Any]:
    actor = _actor(request)
    case = access.get_case(actor=actor, case_id=case_id)
    items = duplicates.duplicates_of_case(actor=actor, case=case)
    return {"items": items, "count": len(items)}


@router.post("/cases/{case_id}/merge", summary="Merge this case into another (duplicate)")
def merge_case(request: HttpRequest, case_id: int, payload: MergeCaseIn) -> dict[str, Any]:
    with transaction.atomic():
        target = workflow.merge_case(
            actor=_actor(request), case_id=case_id, into_id=payload.into, now=timezone.now()
        )
    return {"id": case_id, "merged_into": target.pk}


@router.post(
    "/cases/{case_id}/sessions", response={201: dict}, summary="Record a mediation session"
)
def add_session(request: HttpRequest, case_id: int, payload: SessionIn) -> Status[dict[str, Any]]:
    with transaction.atomic():
        s = agreements.record_session(
            actor=_actor(request),
            case_id=case_id,
            held_at=payload.held_at,
            place=payload.place,
            summary=payload.summary,
            agreed=payload.agreed,
            attendee_ids=payload.attendee_ids,
            now=timezone.now(),
        )
    return Status(201, {"id": s.pk})


@router.post("/cases/{case_id}/agreement", response={201: dict}, summary="Generate the agreement")
def draft_agreement(
    request: HttpRequest, case_id: int, payload: AgreementIn
) -> Status[dict[str, Any]]:
    with transaction.atomic():
        a = agreements.draft_agreement(
            actor=_actor(request),
            case_id=case_id,
            facts=payload.facts,
            terms=payload.terms,
            performance=payload.performance,
            mediation_body=payload.mediation_body,
            signed_on=payload.signed_on,
            now=timezone.now(),
        )
    return Status(
        201, {"version": a.version, "docx_sha256": a.docx_sha256, "pdf_sha256": a.pdf_sha256}
    )


def _agreement_file(request: HttpRequest, case_id: int, fmt: str) -> HttpResponse:
    with transaction.atomic():
        data, name, kind = agreements.get_agreement_file(
            actor=_actor(request), case_id=case_id, fmt=fmt, request=request
        )
    response = HttpResponse(data, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/cases/{case_id}/agreement.docx", summary="The agreement as .docx")
def agreement_docx(request: HttpRequest, case_id: int) -> HttpResponse:
    return _agreement_file(request, case_id, "docx")


@router.get("/cases/{case_id}/agreement.pdf", summary="The agreement as PDF")
def agreement_pdf(request: HttpRequest, case_id: int) -> HttpResponse:
    return _agreement_file(request, case_id, "pdf")


@router.get("/cases/{case_id}/agreement/verify", summary="Check the stored agreement's integrity")
def verify_agreement(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return agreements.verify_agreement(actor=_actor(request), case_id=case_id)


@router.post("/cases/{case_id}/agreement/verify", summary="Check a copy against the agreement")
def verify_copy(request: HttpRequest, case_id: int, payload: VerifyIn) -> dict[str, Any]:
    try:
        data = base64.b64decode(payload.data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(_("文件内容不是有效的 base64。"), loc=["data_base64"]) from None
    return agreements.verify_agreement(actor=_actor(request), case_id=case_id, upload=data)


@router.get("/cases/{case_id}/risk", summary="The case's risk score and the rules behind it")
def case_risk(request: HttpRequest, case_id: int) -> dict[str, Any]:
    actor = _actor(request)
    case = access.get_case(actor=actor, case_id=case_id)
    police = access.is_police_of(actor, case)
    return {
        "risk": case.risk,
        "declared": case.risk_declared,
        "score": case.risk_score if police else None,
        "reasons": risk.explain(case.risk_reasons) if police else [],
    }


@router.get("/attachments/{attachment_id}", summary="An attachment of a case or lead")
def get_attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    with transaction.atomic():
        att = cases.get_attachment(
            actor=_actor(request), attachment_id=attachment_id, request=request
        )
    response = HttpResponse(bytes(att.data), content_type=att.content_type)
    response["Content-Disposition"] = f'attachment; filename="attachment-{att.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- early warning


@router.get("/risk/rising", summary="Rising-risk cases for the commander")
def rising(request: HttpRequest, days: int = 7) -> dict[str, Any]:
    items = risk.rising_cases(actor=_actor(request), now=timezone.now(), days=max(1, min(days, 90)))
    return {"items": items, "count": len(items)}


@router.get("/risk/rules", summary="The early-warning rules and their points", auth=None)
def risk_rules(request: HttpRequest) -> dict[str, Any]:
    return {
        "rules": [
            {"code": r.code, "label": str(r.label), "points": str(r.points)} for r in risk.RULES
        ],
        "levels": [
            {"min_score": floor, "level": level.value, "label": str(level.label)}
            for floor, level in risk.LEVEL_FLOORS
        ],
    }


# ---------------------------------------------------------------- meetings


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


# ---------------------------------------------------------------- figures


@router.get("/figures", summary="Figures over the cases the caller may see")
def get_figures(request: HttpRequest) -> dict[str, Any]:
    return figures.figures(actor=_actor(request), now=timezone.now())


@router.get("/export.csv", summary="Visible cases as CSV")
def export_csv(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        data = figures.export_csv(actor=_actor(request), request=request)
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="disputes.csv"'
    return response


@router.get("/export.xlsx", summary="Visible cases and figures as Excel")
def export_xlsx(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        data = figures.export_xlsx(actor=_actor(request), request=request, now=timezone.now())
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="disputes.xlsx"'
    return response
