"""What the joint-command pages share: errors next to their fields, the 404 page, the joint
area and week asked for, integer fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from jingwu.errors import DomainError, Invalid, NotFound
from jingwu.jointcmd.services import areas, rosters
from jingwu.orgs.services import actor_for


def field_errors(exc: DomainError) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.detail():
        loc = e.get("loc") or ["general"]
        out.setdefault(str(loc[0]), str(e.get("msg")))
    return out


def not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "jointcmd/not_found.html", status=404)


def joint_area(request: HttpRequest) -> Any:
    actor = actor_for(request.user)
    code = request.GET.get("area") or request.POST.get("area")
    if code:
        return areas.get_joint_area(actor=actor, code=code)
    found = areas.list_joint_areas(actor=actor)
    if not found:
        raise NotFound(_("联勤区域不存在。"))
    return found[0]


def week_of(request: HttpRequest) -> date:
    picked = parse_date(request.GET.get("week") or request.POST.get("week") or "")
    return rosters.week_start(picked or timezone.localdate())


def int_field(value: str | None, field: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Invalid(_("请输入整数。"), loc=[field]) from None
