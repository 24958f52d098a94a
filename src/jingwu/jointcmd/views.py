"""Pages of joint command: the railway station's joint console, the roster board, handovers
(history, generation, the print-ready page), patrol plans with the check-in map and the QR
scan page. Thin edges over the API's use cases; a DomainError is shown next to its field."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from jingwu.errors import DomainError, Invalid, NotFound
from jingwu.incidents import services as incidents
from jingwu.jointcmd import present
from jingwu.jointcmd.models import TaskStatus
from jingwu.jointcmd.services import areas, handovers, patrols, problems, rosters, sharing, tasks
from jingwu.jointcmd.services.access import staff_scope_ids
from jingwu.jointcmd.services.rosters import LOCAL, Duty
from jingwu.orgs.services import actor_for


def _errors(exc: DomainError) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.detail():
        loc = e.get("loc") or ["general"]
        out.setdefault(str(loc[0]), str(e.get("msg")))
    return out


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "jointcmd/not_found.html", status=404)


def _area(request: HttpRequest) -> Any:
    actor = actor_for(request.user)
    code = request.GET.get("area") or request.POST.get("area")
    if code:
        return areas.get_joint_area(actor=actor, code=code)
    found = areas.list_joint_areas(actor=actor)
    if not found:
        raise NotFound(_("联勤区域不存在。"))
    return found[0]


# ---------------------------------------------------------------- joint console


@login_required
@ensure_csrf_cookie
def console(request: HttpRequest) -> HttpResponse:
    """The joint command console: shared incidents, who is on post, issues, patrols, handover."""
    try:
        area = _area(request)
    except NotFound:
        return _not_found(request)
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
        area = _area(request)
    except NotFound:
        return _not_found(request)
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
                    incident_id=_int(incident_id, "to_organization_id"),
                    to_org_id=_int(org_id, "to_organization_id"),
                    text=post.get("text", ""),
                    due_at=_local_dt(post.get("due_at"), "due_at"),
                    now=now,
                )
            elif action == "send":
                incident = incidents.get_incident(
                    actor=actor,
                    incident_id=_int(post.get("incident_id"), "incident_id"),
                    for_update=True,
                )
                incidents.assign_unit(
                    actor=actor, incident=incident, unit_id=_int(post.get("unit_id"), "unit_id"),
                    now=now,
                )  # fmt: skip
            elif action == "release":
                _release_own(actor, _int(post.get("assignment_id"), "assignment_id"), post, now)
            elif action in answers:
                note = post.get("reason") or post.get("answer") or ""
                tasks.answer_task(
                    actor=actor, task_id=task_id, to=answers[action], note=note, now=now
                )
            else:
                return _not_found(request)
    except DomainError as exc:
        return _render_tasks(request, _errors(exc), status=exc.status)
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


def _local_dt(raw: str | None, field: str) -> Any:
    if not raw:
        return None
    parsed = parse_datetime(raw)
    if parsed is None:
        raise Invalid(_("时间格式不正确。"), loc=[field])
    return parsed.replace(tzinfo=LOCAL) if parsed.tzinfo is None else parsed


# ---------------------------------------------------------------- roster board


def _week(request: HttpRequest) -> date:
    picked = parse_date(request.GET.get("week") or request.POST.get("week") or "")
    return rosters.week_start(picked or timezone.localdate())


@login_required
def roster_board(request: HttpRequest) -> HttpResponse:
    """The week's roster: posts down, days across; issues; add a shift; copy the week."""
    try:
        area = _area(request)
    except NotFound:
        return _not_found(request)
    return _render_roster(request, area, _week(request))


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
        area = _area(request)
    except NotFound:
        return _not_found(request)
    monday = _week(request)
    try:
        with transaction.atomic():
            _roster_action(request, actor, area, monday, action)
    except DomainError as exc:
        return _render_roster(request, area, monday, _errors(exc))
    return redirect(f"/jointcmd/roster/?area={area.code}&week={monday.isoformat()}")


def _int(value: str | None, field: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Invalid(_("请输入整数。"), loc=[field]) from None


def _roster_action(request: HttpRequest, actor: Any, area: Any, monday: date, action: str) -> None:
    p = request.POST
    if action == "shift":
        starts, ends = parse_datetime(p.get("starts_at", "")), parse_datetime(p.get("ends_at", ""))
        if starts is None:
            raise Invalid(_("请输入日期时间（ISO 8601）。"), loc=["starts_at"])
        if ends is None:
            raise Invalid(_("请输入日期时间（ISO 8601）。"), loc=["ends_at"])
        duties = [Duty(_int(v, "people")) for v in p.getlist("people") if v]
        rosters.create_shift(
            actor=actor,
            area=area,
            post_id=_int(p.get("post_id"), "post_id"),
            starts_at=starts.replace(tzinfo=LOCAL) if starts.tzinfo is None else starts,
            ends_at=ends.replace(tzinfo=LOCAL) if ends.tzinfo is None else ends,
            duties=duties,
        )
    elif action == "assign":
        rosters.assign(
            actor=actor,
            area=area,
            shift_id=_int(p.get("shift_id"), "shift_id"),
            duty=Duty(_int(p.get("person_id"), "person_id")),
        )
    elif action == "unassign":
        rosters.unassign(
            actor=actor,
            area=area,
            shift_id=_int(p.get("shift_id"), "shift_id"),
            person_id=_int(p.get("person_id"), "person_id"),
        )
    elif action == "copy":
        rosters.copy_week(
            actor=actor, area=area, monday=monday, weeks=_int(p.get("weeks"), "weeks")
        )
    else:
        raise NotFound(_("页面不存在。"))


# ---------------------------------------------------------------- handovers


@login_required
def handover_list(request: HttpRequest) -> HttpResponse:
    """The searchable history and the form that generates the next handover."""
    actor = actor_for(request.user)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            with transaction.atomic():
                h = handovers.create_handover(
                    actor=actor,
                    now=timezone.now(),
                    desk_code=request.POST.get("desk") or None,
                    notes=request.POST.get("notes", ""),
                    tasks=request.POST.get("tasks", "").splitlines(),
                )
            return redirect(f"/jointcmd/handovers/{h.pk}/")
        except DomainError as exc:
            errors = _errors(exc)
    q = request.GET.get("q", "")
    since = parse_date(request.GET.get("since") or "")
    rows = handovers.list_handovers(
        actor=actor,
        desk_code=request.GET.get("desk") or None,
        q=q,
        since=timezone.make_aware(timezone.datetime.combine(since, timezone.datetime.min.time()))
        if since
        else None,
    )
    return render(
        request,
        "jointcmd/handovers.html",
        {
            "handovers": rows,
            "q": q,
            "desks": handovers.desks_of(actor=actor),
            "errors": errors,
            "form": request.POST if errors else {},
        },
        status=422 if errors else 200,
    )


def _handover_page(request: HttpRequest, h: Any, error: str = "") -> HttpResponse:
    items = handovers.items_of(h)
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(item.get_kind_display(), []).append(item)
    return render(
        request,
        "jointcmd/handover.html",
        {"h": h, "groups": groups, "error": error, "actor": actor_for(request.user)},
        status=409 if error else 200,
    )


@login_required
def handover_page(request: HttpRequest, handover_id: int) -> HttpResponse:
    """One handover, print-ready, with the acknowledge button for the incoming officer."""
    try:
        h = handovers.get_handover(actor=actor_for(request.user), handover_id=handover_id)
    except NotFound:
        return _not_found(request)
    return _handover_page(request, h)


@login_required
@require_POST
def handover_action(request: HttpRequest, handover_id: int, action: str) -> HttpResponse:
    """Acknowledge the handover, or close one of its open tasks."""
    actor = actor_for(request.user)
    try:
        h = handovers.get_handover(actor=actor, handover_id=handover_id)
    except NotFound:
        return _not_found(request)
    try:
        with transaction.atomic():
            if action == "acknowledge":
                handovers.acknowledge(actor=actor, handover=h, now=timezone.now())
            elif action == "close":
                handovers.close_task(
                    actor=actor, handover=h, item_id=_int(request.POST.get("item_id"), "item_id")
                )
            else:
                return _not_found(request)
    except DomainError as exc:
        return _handover_page(request, h, str(exc.msg))
    return redirect(f"/jointcmd/handovers/{h.pk}/")


# ---------------------------------------------------------------- patrols


@login_required
def patrol_list(request: HttpRequest) -> HttpResponse:
    """Patrol plans and the weekly coverage of each beat."""
    actor = actor_for(request.user)
    monday = _week(request)
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
        return _not_found(request)
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
        return _not_found(request)
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


# ---------------------------------------------------------------- problems


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
        return _not_found(request)
    return _problem_page(request, p)


@login_required
@require_POST
def problem_action(request: HttpRequest, problem_id: int, action: str) -> HttpResponse:
    """Advance the stage, add an action, or mark one done."""
    actor = actor_for(request.user)
    try:
        p = problems.get_problem(actor=actor, problem_id=problem_id)
    except NotFound:
        return _not_found(request)
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
                    actor=actor, problem=p, action_id=_int(post.get("action_id"), "action_id"),
                    now=now,
                )  # fmt: skip
            else:
                return _not_found(request)
    except DomainError as exc:
        return _problem_page(request, p, str(exc.msg))
    return redirect(f"/jointcmd/problems/{p.pk}/")
