"""Page: the response figures for commanders, with CSV / Excel download links."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from jingwu.analytics import services
from jingwu.errors import DomainError
from jingwu.orgs.services import actor_for


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def figures_page(request: HttpRequest) -> HttpResponse:
    by = request.GET.get("by", "workstation")
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    error, fig = "", None
    try:
        period = services.period_from(start=start, end=end, today=timezone.localdate())
        fig = services.response_figures(actor=actor_for(request.user), period=period, by=by)
    except DomainError as exc:
        error = str(exc.msg)
    return render(
        request,
        "analytics/figures.html",
        {
            "fig": fig,
            "error": error,
            "by": by,
            "groups": services.GROUPS,
            "query": request.GET.urlencode(),
        },
        status=422 if error else 200,
    )
