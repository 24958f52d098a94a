"""API: directors' groups and their leads (post, list, promote, merge, dismiss)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from jingwu.disputes.services import (
    access,
    duplicates,
    leads,
)
from jingwu.disputes.services.common import clean_uploads
from jingwu.disputes.services.parties import clean_parties
from jingwu.orgs.services import actor_for

router = Router(tags=["disputes"])


def _actor(request: HttpRequest) -> Any:
    return actor_for(request.user)


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
