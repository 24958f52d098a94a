"""Eco pages: the zone page (chiefs, fire risk, map, live incidents, patrols, cases) and the
joint case page. Thin edges over the API's use cases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from jingwu.eco import present, services
from jingwu.eco.models import EcoIncidentType, FireRisk
from jingwu.errors import DomainError, Invalid, NotFound
from jingwu.orgs.services import actor_for


def _errors(exc: DomainError) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.detail():
        out.setdefault(str((e.get("loc") or ["general"])[0]), str(e.get("msg")))
    return out


def _zone(request: HttpRequest) -> Any:
    actor = actor_for(request.user)
    picked = request.GET.get("zone") or request.POST.get("zone")
    if picked and picked.isdigit():
        return services.get_zone(actor=actor, zone_id=int(picked))
    zones = services.list_zones(actor=actor)
    if not zones:
        raise NotFound(_("生态区不存在。"))
    return zones[0]


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "jointcmd/not_found.html", status=404)


@login_required
@ensure_csrf_cookie
def zone_page(request: HttpRequest) -> HttpResponse:
    """The eco zone page; POST enters a fire-risk level or opens a case."""
    actor = actor_for(request.user)
    try:
        zone = _zone(request)
    except NotFound:
        return _not_found(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            with transaction.atomic():
                target = _post(request, actor, zone)
            return redirect(target)
        except DomainError as exc:
            errors = _errors(exc)
    today = timezone.localdate()
    patrols = services.zone_patrols(zone=zone)
    return render(
        request,
        "eco/zone.html",
        {
            "zone": zone,
            "zones": services.list_zones(actor=actor),
            "risk": services.fire_risk(zone=zone, day=today),
            "history": services.risk_history(
                zone=zone, start=today - timedelta(days=13), end=today
            ),
            "patrols": patrols,
            "cases": services.list_cases(actor=actor, zone=zone),
            "levels": FireRisk.choices,
            "kinds": EcoIncidentType.choices,
            "zone_json": {
                "geometry": zone.geometry,
                "risk": services.fire_risk(zone=zone, day=today).level,
                "patrols": [present.patrol(p) for p in patrols],
            },
            "errors": errors,
            "form": request.POST if errors else {},
        },
        status=422 if errors else 200,
    )


def _post(request: HttpRequest, actor: Any, zone: Any) -> str:
    p = request.POST
    now = timezone.now()
    if p.get("action") == "risk":
        level = p.get("level", "")
        if not level.isdigit():
            raise Invalid(_("火险等级须为 1 至 5。"), loc=["level"])
        services.set_fire_risk(
            actor=actor,
            zone=zone,
            day=parse_date(p.get("day") or "") or timezone.localdate(),
            level=int(level),
            note=p.get("note", ""),
            now=now,
        )
        return f"/eco/?zone={zone.pk}"
    case = services.open_case(
        actor=actor, zone=zone, title=p.get("title", ""), kind=p.get("kind", ""),
        text=p.get("text", ""), now=now,
    )  # fmt: skip
    return f"/eco/cases/{case.pk}/"


@login_required
def zone_incidents(request: HttpRequest) -> HttpResponse:
    """The zone's open eco incidents (refreshed live by the page)."""
    actor = actor_for(request.user)
    try:
        zone = _zone(request)
    except NotFound:
        return _not_found(request)
    return render(
        request,
        "eco/_incidents.html",
        {"incidents": services.zone_incidents(actor=actor, zone=zone)},
    )


def _case_page(request: HttpRequest, case: Any, error: str = "") -> HttpResponse:
    return render(
        request,
        "eco/case.html",
        {"case": case, "entries": services.case_entries(case), "error": error},
        status=422 if error else 200,
    )


@login_required
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """A joint case with its timeline, seen by both sides."""
    try:
        case = services.get_case(actor=actor_for(request.user), case_id=case_id)
    except NotFound:
        return _not_found(request)
    return _case_page(request, case)


@login_required
@require_POST
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """Add a note, hand the case to the other side, or close it."""
    actor = actor_for(request.user)
    verbs = {
        "note": services.add_note,
        "transfer": services.transfer_case,
        "close": services.close_case,
    }
    try:
        case = services.get_case(actor=actor, case_id=case_id)
    except NotFound:
        return _not_found(request)
    if action not in verbs:
        return _not_found(request)
    try:
        with transaction.atomic():
            verbs[action](
                actor=actor, case=case, text=request.POST.get("text", ""), now=timezone.now()
            )
    except DomainError as exc:
        return _case_page(request, case, str(exc.msg))
    return redirect(f"/eco/cases/{case.pk}/")
