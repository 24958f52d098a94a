"""The roster board: the week's posts and shifts, issues flagged, shifts edited, weeks copied."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingwu.errors import DomainError, Invalid, NotFound
from jingwu.jointcmd.services import areas, rosters
from jingwu.jointcmd.services.access import staff_scope_ids
from jingwu.jointcmd.services.rosters import LOCAL, Duty
from jingwu.jointcmd.views.common import field_errors, int_field, joint_area, not_found, week_of
from jingwu.orgs.services import actor_for


@login_required
def roster_board(request: HttpRequest) -> HttpResponse:
    """The week's roster: posts down, days across; issues; add a shift; copy the week."""
    try:
        area = joint_area(request)
    except NotFound:
        return not_found(request)
    return _render_roster(request, area, week_of(request))


def _render_roster(
    request: HttpRequest, area: Any, monday: date, errors: dict[str, str] | None = None
) -> HttpResponse:
    actor = actor_for(request.user)
    week = rosters.roster_week(area=area, monday=monday)
    days = [monday + timedelta(days=d) for d in range(7)]
    grid = [
        (
            post,
            [
                [
                    s
                    for s in week.shifts
                    if s.post_id == post.pk and s.starts_at.astimezone(LOCAL).date() == d
                ]
                for d in days
            ],
        )
        for post in week.posts
    ]
    return render(
        request,
        "jointcmd/roster.html",
        {
            "area": area,
            "week": week,
            "days": days,
            "grid": grid,
            "issue_shifts": {i.shift_id for i in week.issues if i.shift_id},
            "prev": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "people": areas.list_people(area=area),
            "can_edit": area.lead_id in staff_scope_ids(actor),
            "errors": errors or {},
            "form": request.POST if errors else {},
        },
        status=422 if errors else 200,
    )


@login_required
@require_POST
def roster_action(request: HttpRequest, action: str) -> HttpResponse:
    """Add a shift, add or remove a person, or copy the week forward."""
    actor = actor_for(request.user)
    try:
        area = joint_area(request)
    except NotFound:
        return not_found(request)
    monday = week_of(request)
    try:
        with transaction.atomic():
            _roster_action(request, actor, area, monday, action)
    except DomainError as exc:
        return _render_roster(request, area, monday, field_errors(exc))
    return redirect(f"/jointcmd/roster/?area={area.code}&week={monday.isoformat()}")


def _roster_action(request: HttpRequest, actor: Any, area: Any, monday: date, action: str) -> None:
    p = request.POST
    if action == "shift":
        starts, ends = parse_datetime(p.get("starts_at", "")), parse_datetime(p.get("ends_at", ""))
        if starts is None:
            raise Invalid(_("请输入日期时间（ISO 8601）。"), loc=["starts_at"])
        if ends is None:
            raise Invalid(_("请输入日期时间（ISO 8601）。"), loc=["ends_at"])
        duties = [Duty(int_field(v, "people")) for v in p.getlist("people") if v]
        rosters.create_shift(
            actor=actor,
            area=area,
            post_id=int_field(p.get("post_id"), "post_id"),
            starts_at=starts.replace(tzinfo=LOCAL) if starts.tzinfo is None else starts,
            ends_at=ends.replace(tzinfo=LOCAL) if ends.tzinfo is None else ends,
            duties=duties,
        )
    elif action == "assign":
        rosters.assign(
            actor=actor,
            area=area,
            shift_id=int_field(p.get("shift_id"), "shift_id"),
            duty=Duty(int_field(p.get("person_id"), "person_id")),
        )
    elif action == "unassign":
        rosters.unassign(
            actor=actor,
            area=area,
            shift_id=int_field(p.get("shift_id"), "shift_id"),
            person_id=int_field(p.get("person_id"), "person_id"),
        )
    elif action == "copy":
        rosters.copy_week(
            actor=actor, area=area, monday=monday, weeks=int_field(p.get("weeks"), "weeks")
        )
    else:
        raise NotFound(_("页面不存在。"))
