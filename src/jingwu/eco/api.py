"""API of ecological policing (``/api/v1/eco``): zones with both chiefs and today's fire risk,
fire-risk entry, eco patrols and joint cases. Thin edges."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from jingwu.eco import present, services
from jingwu.orgs.services import actor_for

router = Router(tags=["eco"])


class FireRiskIn(Schema):
    level: int
    day: date | None = None
    note: str = ""


class CaseIn(Schema):
    zone_id: int
    title: str
    kind: str
    text: str = ""
    incident_id: int | None = None


class TextIn(Schema):
    text: str = ""


@router.get("/zones", summary="Eco zones with both chiefs and today's fire-risk level")
def list_zones(request: HttpRequest) -> list[dict[str, Any]]:
    zones = services.list_zones(actor=actor_for(request.user))
    risks = services.risks_for(zones, timezone.localdate())
    return [present.zone(z, risks[z.pk]) for z in zones]


@router.get("/zones/{zone_id}", summary="One eco zone with its patrols and cases")
def get_zone(request: HttpRequest, zone_id: int) -> dict[str, Any]:
    actor = actor_for(request.user)
    zone = services.get_zone(actor=actor, zone_id=zone_id)
    return present.zone(zone, services.fire_risk(zone=zone, day=timezone.localdate())) | {
        "patrols": [present.patrol(p) for p in services.zone_patrols(zone=zone)],
        "cases": [present.case(c) for c in services.list_cases(actor=actor, zone=zone)],
    }


@router.get("/zones/{zone_id}/fire-risk", summary="Daily fire-risk levels of a zone")
def risk_history(
    request: HttpRequest, zone_id: int, start: date | None = None, end: date | None = None
) -> list[dict[str, Any]]:
    zone = services.get_zone(actor=actor_for(request.user), zone_id=zone_id)
    today = timezone.localdate()
    rows = services.risk_history(
        zone=zone, start=start or today - timedelta(days=13), end=end or today
    )
    return [present.risk(r) for r in rows]


@router.post("/zones/{zone_id}/fire-risk", response={201: dict}, summary="Enter a day's level")
def set_fire_risk(
    request: HttpRequest, zone_id: int, payload: FireRiskIn
) -> Status[dict[str, Any]]:
    actor = actor_for(request.user)
    with transaction.atomic():
        zone = services.get_zone(actor=actor, zone_id=zone_id)
        r = services.set_fire_risk(
            actor=actor,
            zone=zone,
            day=payload.day or timezone.localdate(),
            level=payload.level,
            note=payload.note,
            now=timezone.now(),
        )
    return Status(201, present.risk(services.fire_risk(zone=zone, day=r.day)))


@router.get("/cases", summary="Joint cases of the caller's zones")
def list_cases(request: HttpRequest) -> list[dict[str, Any]]:
    return [present.case(c) for c in services.list_cases(actor=actor_for(request.user))]


@router.post("/cases", response={201: dict}, summary="Open a joint case")
def open_case(request: HttpRequest, payload: CaseIn) -> Status[dict[str, Any]]:
    actor = actor_for(request.user)
    with transaction.atomic():
        zone = services.get_zone(actor=actor, zone_id=payload.zone_id)
        case = services.open_case(
            actor=actor,
            zone=zone,
            title=payload.title,
            kind=payload.kind,
            text=payload.text,
            incident_id=payload.incident_id,
            now=timezone.now(),
        )
    return Status(201, present.case(case, services.case_entries(case)))


@router.get("/cases/{case_id}", summary="One joint case with its timeline")
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    case = services.get_case(actor=actor_for(request.user), case_id=case_id)
    return present.case(case, services.case_entries(case))


def _act(request: HttpRequest, case_id: int, payload: TextIn, verb: Any) -> dict[str, Any]:
    actor = actor_for(request.user)
    with transaction.atomic():
        case = services.get_case(actor=actor, case_id=case_id)
        case = verb(actor=actor, case=case, text=payload.text, now=timezone.now())
    return present.case(case, services.case_entries(case))


@router.post("/cases/{case_id}/notes", summary="Add a line to the timeline")
def add_note(request: HttpRequest, case_id: int, payload: TextIn) -> dict[str, Any]:
    return _act(request, case_id, payload, services.add_note)


@router.post("/cases/{case_id}/transfer", summary="Hand the case to the other side")
def transfer(request: HttpRequest, case_id: int, payload: TextIn) -> dict[str, Any]:
    return _act(request, case_id, payload, services.transfer_case)


@router.post("/cases/{case_id}/close", summary="Close the case")
def close(request: HttpRequest, case_id: int, payload: TextIn) -> dict[str, Any]:
    return _act(request, case_id, payload, services.close_case)
