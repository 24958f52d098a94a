"""Patrol plans with the weekly coverage, the check-in map and the QR scan page."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from jingwu.errors import NotFound
from jingwu.jointcmd import present
from jingwu.jointcmd.services import patrols
from jingwu.jointcmd.services.access import staff_scope_ids
from jingwu.jointcmd.views.common import not_found, week_of
from jingwu.orgs.services import actor_for


@login_required
def patrol_list(request: HttpRequest) -> HttpResponse:
    """Patrol plans and the weekly coverage of each beat."""
    actor = actor_for(request.user)
    monday = week_of(request)
    return render(
        request,
        "jointcmd/patrols.html",
        {
            "plans": patrols.list_plans(actor=actor),
            "coverage": patrols.weekly_coverage(actor=actor, monday=monday, now=timezone.now()),
            "monday": monday,
            "prev": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
        },
    )


@login_required
@ensure_csrf_cookie
def patrol_page(request: HttpRequest, plan_id: int) -> HttpResponse:
    """A plan's map: route, checkpoint geofences, the day's check-ins, track and deviations."""
    actor = actor_for(request.user)
    try:
        plan = patrols.get_plan(actor=actor, plan_id=plan_id)
    except NotFound:
        return not_found(request)
    day = parse_date(request.GET.get("day") or "") or timezone.localdate()
    reports = patrols.day_report(plan=plan, day=day, now=timezone.now())
    return render(
        request,
        "jointcmd/patrol.html",
        {
            "plan": plan,
            "plan_json": present.plan(plan, detail=True),
            "reports": reports,
            "reports_json": [present.run_report(r) for r in reports],
            "labels": {r.starts_at: patrols.status_label(r.status) for r in reports},
            "day": day,
            "prev": day - timedelta(days=1),
            "next": day + timedelta(days=1),
            "is_staff": plan.owner_id in staff_scope_ids(actor),
            "labels_json": _patrol_labels(),
        },
    )


@login_required
@ensure_csrf_cookie
def scan_page(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Where a checkpoint's QR code leads: one tap checks the officer in."""
    actor = actor_for(request.user)
    try:
        plan = patrols.get_plan(actor=actor, plan_id=plan_id)
    except NotFound:
        return not_found(request)
    return render(
        request,
        "jointcmd/scan.html",
        {"plan": plan, "token": request.GET.get("t", ""), "labels_json": _patrol_labels()},
    )


def _patrol_labels() -> dict[str, str]:
    """The patrol scripts' words, translated here so the scripts hold no language."""
    return {
        "route": _("巡逻路线"),
        "straight": _("无道路路段（直线）"),
        "done": _("已签到"),
        "missed": _("漏巡"),
        "deviation": _("偏离路线"),
        "ok": _("签到成功"),
        "track": _("轨迹"),
        "nogeo": _("无法获取定位"),
        "checkpoint": _("巡逻点"),
        "radius": _("签到半径（米）"),
    }
