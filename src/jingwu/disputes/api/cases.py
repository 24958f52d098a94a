"""API: cases — register (directly or from an incident), list, read, move on, people, parties,
timeline, duplicates, merge; attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status

from jingwu.disputes.services import (
    access,
    cases,
    duplicates,
    workflow,
)
from jingwu.disputes.services.common import clean_uploads
from jingwu.disputes.services.parties import clean_parties, party_view
from jingwu.orgs.services import actor_for

router = Router(tags=["disputes"])


def _actor(request: HttpRequest) -> Any:
    return actor_for(request.user)


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


class PartyIn(Schema):
    name: str
    kind: str = "person"
    role: str = "applicant"
    id_number: str = ""
    phone: str = ""
    address: str = ""


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
