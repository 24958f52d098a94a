"""The railway station's joint console: shared incidents, who is on post, and the joint
tasks panel (give, answer, send an own unit, call it back)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from jingwu.errors import DomainError, Invalid, NotFound
from jingwu.incidents import services as incidents
from jingwu.jointcmd import present
from jingwu.jointcmd.models import TaskStatus
from jingwu.jointcmd.services import handovers, patrols, rosters, sharing, tasks
from jingwu.jointcmd.views.common import field_errors, int_field, joint_area, not_found
from jingwu.orgs.services import actor_for


@login_required
@ensure_csrf_cookie
def console(request: HttpRequest) -> HttpResponse:
    """The joint command console: shared incidents, who is on post, issues, patrols, handover."""
    try:
        area = joint_area(request)
    except NotFound:
        return not_found(request)
    return render(request, "jointcmd/console.html", {"area": area, "area_json": present.area(area)})


@login_required
def console_incidents(request: HttpRequest) -> HttpResponse:
    """The shared-incident list (refreshed live by the page)."""
    actor = actor_for(request.user)
    rows = sharing.shared_incidents(actor=actor, open_only=request.GET.get("all") != "1")
    return render(
        request,
        "jointcmd/_incidents.html",
        {"incidents": [sharing.shared_dict(i, actor=actor) for i in rows]},
    )


@login_required
def console_posts(request: HttpRequest) -> HttpResponse:
    """Who is on which post now, what to fix before the next shifts, today's patrols."""
    try:
        area = joint_area(request)
    except NotFound:
        return not_found(request)
    actor = actor_for(request.user)
    now = timezone.now()
    today = timezone.localdate()
    plans = [p for p in patrols.list_plans(actor=actor) if p.joint_area_id == area.pk]
    runs = [(p, r) for p in plans for r in patrols.day_report(plan=p, day=today, now=now)]
    return render(
        request,
        "jointcmd/_posts.html",
        {
            "on_post": rosters.on_post_now(area=area, now=now),
            "issues": rosters.upcoming_issues(area=area, now=now),
            "runs": [(p, r, patrols.status_label(r.status)) for p, r in runs],
            "waiting": handovers.due_for_acknowledgement(actor=actor, now=now),
        },
    )


def _render_tasks(
    request: HttpRequest, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_for(request.user)
    now = timezone.now()
    shared = sharing.shared_incidents(actor=actor)
    partner_incidents = [i for i in shared if not incidents.may_act(actor, i)]
    return render(
        request,
        "jointcmd/_tasks.html",
        {
            "tasks": [
                tasks.task_dict(t, actor=actor, now=now) for t in tasks.list_tasks(actor=actor)[:50]
            ],
            # The desk gives tasks on its incidents, to each force one is shared with.
            "targets": [
                (i, s.organization)
                for i in shared
                if incidents.may_act(actor, i)
                for s in i.shares.all()
            ],
            # A partner force sends its own free units to incidents shared with it.
            "partner_incidents": partner_incidents,
            "own_units": tasks.own_free_units(actor=actor, now=now) if shared else [],
            # … and calls them back (only its own, as the API allows).
            "own_assignments": tasks.own_active_assignments(
                actor=actor, incident_ids=[i.pk for i in partner_incidents]
            ),
            "errors": errors or {},
        },
        status=status,
    )


@login_required
def console_tasks(request: HttpRequest) -> HttpResponse:
    """Tasks to and from the caller's force, with the forms to give, answer and send."""
    return _render_tasks(request)


@login_required
@require_POST
def console_task_action(request: HttpRequest, action: str, task_id: int = 0) -> HttpResponse:
    """Give a task, answer one, send an own unit or call it back; the panel is re-rendered."""
    actor, now, post = actor_for(request.user), timezone.now(), request.POST
    answers = {"accept": TaskStatus.ACCEPTED, "decline": TaskStatus.DECLINED,
               "complete": TaskStatus.DONE}  # fmt: skip
    try:
        with transaction.atomic():
            if action == "give":
                incident_id, _sep, org_id = (post.get("target") or "").partition(":")
                if not org_id:
                    raise Invalid(_("请选择警情和承办单位。"), loc=["to_organization_id"])
                tasks.give_task(
                    actor=actor,
                    incident_id=int_field(incident_id, "to_organization_id"),
                    to_org_id=int_field(org_id, "to_organization_id"),
                    text=post.get("text", ""),
                    due_at=_parsed_dt(post.get("due_at"), "due_at"),
                    now=now,
                )
            elif action == "send":
                incident = incidents.get_incident(
                    actor=actor,
                    incident_id=int_field(post.get("incident_id"), "incident_id"),
                    for_update=True,
                )
                incidents.assign_unit(
                    actor=actor, incident=incident, unit_id=int_field(post.get("unit_id"), "unit_id"),
                    now=now,
                )  # fmt: skip
            elif action == "release":
                _release_own(
                    actor, int_field(post.get("assignment_id"), "assignment_id"), post, now
                )
            elif action in answers:
                note = post.get("reason") or post.get("answer") or ""
                tasks.answer_task(
                    actor=actor, task_id=task_id, to=answers[action], note=note, now=now
                )
            else:
                return not_found(request)
    except DomainError as exc:
        return _render_tasks(request, field_errors(exc), status=exc.status)
    return _render_tasks(request)


def _release_own(actor: Any, assignment_id: int, post: Any, now: Any) -> None:
    """Call back one assignment of an incident the actor sees (404 otherwise, 403 if the unit
    is not the partner's own)."""
    incident_id = tasks.assignment_incident_id(actor=actor, assignment_id=assignment_id)
    incident = incidents.get_incident(actor=actor, incident_id=incident_id, for_update=True)
    incidents.release_assignment(
        actor=actor, incident=incident, assignment_id=assignment_id, now=now,
        reason=(post.get("reason") or "").strip()[:200],
    )  # fmt: skip


def _parsed_dt(raw: str | None, field: str) -> Any:
    """The form's time (a time without a zone is read as Beijing time by the service)."""
    if not raw:
        return None
    parsed = parse_datetime(raw)
    if parsed is None:
        raise Invalid(_("时间格式不正确。"), loc=[field])
    return parsed
