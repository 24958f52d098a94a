"""API: early warning (a case's risk, rising cases, the rules) and figures with exports."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router

from jingwu.disputes.services import (
    access,
    figures,
    risk,
)
from jingwu.orgs.services import actor_for

router = Router(tags=["disputes"])


def _actor(request: HttpRequest) -> Any:
    return actor_for(request.user)


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
