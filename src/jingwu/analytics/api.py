"""API: response figures and their CSV / Excel export."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema

from jingwu.analytics import services
from jingwu.orgs.services import actor_for

router = Router(tags=["analytics"])


class PeriodIn(Schema):
    start: date | None = None
    end: date | None = None
    by: str = "workstation"


def _period(q: PeriodIn) -> services.Period:
    return services.period_from(start=q.start, end=q.end, today=timezone.localdate())


@router.get("/response", summary="Response figures by workstation, priority, type or hour")
def response(request: HttpRequest, q: Query[PeriodIn]) -> dict[str, Any]:
    return services.response_figures(actor=actor_for(request.user), period=_period(q), by=q.by)


@router.get("/response.{fmt}", summary="The same figures as CSV or Excel (xlsx)")
def export(request: HttpRequest, fmt: str, q: Query[PeriodIn]) -> HttpResponse:
    data, mime = services.export_figures(
        actor=actor_for(request.user), period=_period(q), by=q.by, fmt=fmt
    )
    response = HttpResponse(data, content_type=mime)
    response["Content-Disposition"] = (
        f'attachment; filename="response-{q.by}-{timezone.localdate():%Y%m%d}.{fmt}"'
    )
    return response
