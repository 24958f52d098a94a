"""API: mediation sessions and the mediation agreement (.docx, PDF, integrity checks)."""

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
    agreements,
)
from jingwu.errors import Invalid
from jingwu.orgs.services import actor_for

router = Router(tags=["disputes"])


def _actor(request: HttpRequest) -> Any:
    return actor_for(request.user)


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
