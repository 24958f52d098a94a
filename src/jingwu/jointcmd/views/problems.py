"""Recurring problems (问题联治): proposals, registered problems, SARA stages and actions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingwu.errors import DomainError, Invalid, NotFound
from jingwu.jointcmd import present
from jingwu.jointcmd.services import handovers, problems
from jingwu.jointcmd.views.common import int_field, not_found
from jingwu.orgs.services import actor_for


@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    """Registered problems and the clusters proposed as new ones; POST registers a proposal."""
    actor = actor_for(request.user)
    error = ""
    if request.method == "POST":
        ids = [int(v) for v in request.POST.get("incident_ids", "").split(",") if v.isdigit()]
        try:
            with transaction.atomic():
                p = problems.create_problem(
                    actor=actor,
                    incident_ids=ids,
                    title=request.POST.get("title", ""),
                    owner_code=request.POST.get("owner", ""),
                    co_owner_codes=[c for c in request.POST.getlist("co_owners") if c],
                    now=timezone.now(),
                )
            return redirect(f"/jointcmd/problems/{p.pk}/")
        except DomainError as exc:
            error = str(exc.msg)
    found = problems.detect(actor=actor, now=timezone.now(), rule=problems.clean_rule())
    return render(
        request,
        "jointcmd/problems.html",
        {
            "problems": problems.list_problems(actor=actor),
            "proposals": [present.proposal(p) for p in found[:30]],
            "desks": handovers.desks_of(actor=actor),
            "error": error,
        },
        status=422 if error else 200,
    )


def _problem_page(request: HttpRequest, p: Any, error: str = "") -> HttpResponse:
    actor = actor_for(request.user)
    return render(
        request,
        "jointcmd/problem.html",
        {
            "p": p,
            "incidents": problems.problem_incidents(p),
            "assessment": problems.assessment(actor=actor, problem=p, now=timezone.now()),
            "next_stages": problems.next_stages(p),
            "parties": [p.owner, *p.co_owners.all()],
            "error": error,
        },
        status=422 if error else 200,
    )


@login_required
def problem_page(request: HttpRequest, problem_id: int) -> HttpResponse:
    """One problem: incidents, SARA stage, actions with due dates, before/after assessment."""
    try:
        p = problems.get_problem(actor=actor_for(request.user), problem_id=problem_id)
    except NotFound:
        return not_found(request)
    return _problem_page(request, p)


@login_required
@require_POST
def problem_action(request: HttpRequest, problem_id: int, action: str) -> HttpResponse:
    """Advance the stage, add an action, or mark one done."""
    actor = actor_for(request.user)
    try:
        p = problems.get_problem(actor=actor, problem_id=problem_id)
    except NotFound:
        return not_found(request)
    now = timezone.now()
    post = request.POST
    try:
        with transaction.atomic():
            if action == "stage":
                problems.advance(
                    actor=actor, problem=p, to=post.get("to", ""), analysis=post.get("analysis", ""),
                    now=now,
                )  # fmt: skip
            elif action == "action":
                due = parse_date(post.get("due_date") or "")
                if due is None:
                    raise Invalid(_("请输入日期（YYYY-MM-DD）。"), loc=["due_date"])
                problems.add_action(
                    actor=actor, problem=p, text=post.get("text", ""),
                    owner_code=post.get("owner", ""), due_date=due, now=now,
                )  # fmt: skip
            elif action == "done":
                problems.complete_action(
                    actor=actor, problem=p, action_id=int_field(post.get("action_id"), "action_id"),
                    now=now,
                )  # fmt: skip
            else:
                return not_found(request)
    except DomainError as exc:
        return _problem_page(request, p, str(exc.msg))
    return redirect(f"/jointcmd/problems/{p.pk}/")
