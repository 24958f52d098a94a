"""API of joint command: joint areas and rosters, handovers, sharing rules and shared incidents
(``/api/v1/jointcmd``) and patrols with check-ins (``/api/v1/patrols``). Thin edges."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status

from jingwu.jointcmd import present
from jingwu.jointcmd.api_tasks import router as tasks_router
from jingwu.jointcmd.services import (
    areas,
    handovers,
    patrols,
    problems,
    qrsheet,
    rosters,
    sharing,
)
from jingwu.jointcmd.services.rosters import LOCAL, Duty
from jingwu.orgs.services import actor_for

router = Router(tags=["joint command"])
patrols_router = Router(tags=["patrols"])
router.add_router("", tasks_router)  # tasks to partner forces: /incidents/{id}/tasks, /tasks/…


def _aware(t: datetime | None) -> datetime | None:
    # A time without an offset is read as Beijing time, as the console's forms send it.
    return t.replace(tzinfo=LOCAL) if t is not None and t.tzinfo is None else t


class DutyIn(Schema):
    person_id: int
    organization_id: int | None = None


class ShiftIn(Schema):
    post_id: int
    starts_at: datetime
    ends_at: datetime
    min_staff: int | None = None
    people: list[DutyIn] = []


class CopyIn(Schema):
    week: date
    weeks: int = 1


class HandoverIn(Schema):
    desk: str | None = None
    post_id: int | None = None
    notes: str = ""
    tasks: list[str] = []
    incoming_person_id: int | None = None


class RuleIn(Schema):
    name: str
    owner: str
    geometry: dict[str, Any]
    partners: list[str]
    incident_types: list[str] = []
    priorities: list[str] = []
    joint_area: str | None = None


# ---------------------------------------------------------------- incident linkage


@router.get("/shared-incidents", summary="Incidents shared with the caller's organization")
def shared_incidents(request: HttpRequest, all: bool = False) -> list[dict[str, Any]]:
    actor = actor_for(request.user)
    now = timezone.now()
    rows = sharing.shared_incidents(actor=actor, open_only=not all)
    return [sharing.shared_dict(i, actor=actor, now=now) for i in rows]


@router.get("/sharing-rules", summary="Sharing rules the caller's units own or receive by")
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    return [present.rule(r) for r in sharing.list_rules(actor=actor_for(request.user))]


@router.post("/sharing-rules", response={201: dict}, summary="Create a sharing rule")
def create_rule(request: HttpRequest, payload: RuleIn) -> Status[dict[str, Any]]:
    with transaction.atomic():
        rule = sharing.create_rule(
            actor=actor_for(request.user),
            name=payload.name,
            owner_code=payload.owner,
            geometry=payload.geometry,
            partner_codes=payload.partners,
            incident_types=payload.incident_types,
            priorities=payload.priorities,
            joint_area_code=payload.joint_area,
            now=timezone.now(),
        )
    return Status(201, present.rule(rule))


@router.post("/sharing-rules/{rule_id}/deactivate", summary="Stop a sharing rule")
def deactivate_rule(request: HttpRequest, rule_id: int) -> dict[str, Any]:
    with transaction.atomic():
        rule = sharing.deactivate_rule(actor=actor_for(request.user), rule_id=rule_id)
    return present.rule(rule)


# ---------------------------------------------------------------- problems


class ProblemIn(Schema):
    title: str
    owner: str
    incident_ids: list[int]
    co_owners: list[str] = []
    radius_m: int = 150


class StageIn(Schema):
    to: str
    analysis: str = ""


class ActionIn(Schema):
    text: str
    owner: str
    due_date: date


@router.get("/problems/proposals", summary="Recurring incidents proposed as problems")
def proposals(
    request: HttpRequest, min_count: int = 3, window_days: float = 30, radius_m: float = 150
) -> list[dict[str, Any]]:
    rule = problems.clean_rule(min_count=min_count, window_days=window_days, radius_m=radius_m)
    found = problems.detect(actor=actor_for(request.user), now=timezone.now(), rule=rule)
    return [present.proposal(p) for p in found]


@router.get("/problems", summary="Problems the caller's units own or co-own")
def list_problems(request: HttpRequest) -> list[dict[str, Any]]:
    return [present.problem(p) for p in problems.list_problems(actor=actor_for(request.user))]


@router.post("/problems", response={201: dict}, summary="Register a problem")
def create_problem(request: HttpRequest, payload: ProblemIn) -> Status[dict[str, Any]]:
    actor = actor_for(request.user)
    with transaction.atomic():
        p = problems.create_problem(
            actor=actor,
            incident_ids=payload.incident_ids,
            title=payload.title,
            owner_code=payload.owner,
            co_owner_codes=payload.co_owners,
            radius_m=payload.radius_m,
            now=timezone.now(),
        )
    return Status(201, _problem_detail(actor, p))


def _problem_detail(actor: Any, p: Any) -> dict[str, Any]:
    p = problems.get_problem(actor=actor, problem_id=p.pk)
    return present.problem(
        p,
        incidents=problems.problem_incidents(p),
        assessment=problems.assessment(actor=actor, problem=p, now=timezone.now()),
    )


@router.get("/problems/{problem_id}", summary="One problem with actions and its assessment")
def get_problem(request: HttpRequest, problem_id: int) -> dict[str, Any]:
    actor = actor_for(request.user)
    return _problem_detail(actor, problems.get_problem(actor=actor, problem_id=problem_id))


@router.post("/problems/{problem_id}/stage", summary="Move the problem to its next SARA stage")
def advance_problem(request: HttpRequest, problem_id: int, payload: StageIn) -> dict[str, Any]:
    actor = actor_for(request.user)
    with transaction.atomic():
        p = problems.get_problem(actor=actor, problem_id=problem_id)
        p = problems.advance(
            actor=actor, problem=p, to=payload.to, analysis=payload.analysis, now=timezone.now()
        )
    return _problem_detail(actor, p)


@router.post("/problems/{problem_id}/actions", response={201: dict}, summary="Add an action")
def add_action(request: HttpRequest, problem_id: int, payload: ActionIn) -> Status[dict[str, Any]]:
    actor = actor_for(request.user)
    with transaction.atomic():
        p = problems.get_problem(actor=actor, problem_id=problem_id)
        a = problems.add_action(
            actor=actor,
            problem=p,
            text=payload.text,
            owner_code=payload.owner,
            due_date=payload.due_date,
            now=timezone.now(),
        )
    return Status(201, present.action(a))


@router.post("/problems/{problem_id}/actions/{action_id}/done", summary="Mark an action done")
def complete_action(request: HttpRequest, problem_id: int, action_id: int) -> dict[str, Any]:
    actor = actor_for(request.user)
    with transaction.atomic():
        p = problems.get_problem(actor=actor, problem_id=problem_id)
        a = problems.complete_action(
            actor=actor, problem=p, action_id=action_id, now=timezone.now()
        )
    return present.action(a)


# ---------------------------------------------------------------- joint areas and rosters


@router.get("/areas", summary="Joint-command areas the caller takes part in")
def list_areas(request: HttpRequest) -> list[dict[str, Any]]:
    return [present.area(a) for a in areas.list_joint_areas(actor=actor_for(request.user))]


@router.get("/areas/{code}", summary="One joint area with its posts and who is on them now")
def get_area(request: HttpRequest, code: str) -> dict[str, Any]:
    area = areas.get_joint_area(actor=actor_for(request.user), code=code)
    now = timezone.now()
    return present.area(area) | {
        "on_post": [present.on_post(p) for p in rosters.on_post_now(area=area, now=now)],
        "upcoming_issues": [present.issue(i) for i in rosters.upcoming_issues(area=area, now=now)],
    }


@router.get("/areas/{code}/people", summary="People of the area's forces who may be rostered")
def list_people(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    area = areas.get_joint_area(actor=actor_for(request.user), code=code)
    return [vars(m) for m in areas.list_people(area=area)]


@router.get("/areas/{code}/roster", summary="The roster of a week, with its issues")
def get_roster(request: HttpRequest, code: str, week: date | None = None) -> dict[str, Any]:
    area = areas.get_joint_area(actor=actor_for(request.user), code=code)
    monday = rosters.week_start(week or timezone.localdate())
    return present.roster_week(rosters.roster_week(area=area, monday=monday))


@router.post("/areas/{code}/shifts", response={201: dict}, summary="Put a shift with its people")
def create_shift(request: HttpRequest, code: str, payload: ShiftIn) -> Status[dict[str, Any]]:
    actor = actor_for(request.user)
    with transaction.atomic():
        area = areas.get_joint_area(actor=actor, code=code)
        shift = rosters.create_shift(
            actor=actor,
            area=area,
            post_id=payload.post_id,
            starts_at=_aware(payload.starts_at),
            ends_at=_aware(payload.ends_at),
            min_staff=payload.min_staff,
            duties=[Duty(d.person_id, d.organization_id) for d in payload.people],
        )
    return Status(201, present.shift(shift))


@router.post("/areas/{code}/shifts/{shift_id}/people", response={201: dict}, summary="Add a person")
def add_person(
    request: HttpRequest, code: str, shift_id: int, payload: DutyIn
) -> Status[dict[str, Any]]:
    actor = actor_for(request.user)
    with transaction.atomic():
        area = areas.get_joint_area(actor=actor, code=code)
        a = rosters.assign(
            actor=actor,
            area=area,
            shift_id=shift_id,
            duty=Duty(payload.person_id, payload.organization_id),
        )
    return Status(201, present.assignment(a))


@router.delete(
    "/areas/{code}/shifts/{shift_id}/people/{person_id}",
    response={204: None},
    summary="Take a person off a shift",
)
def remove_person(request: HttpRequest, code: str, shift_id: int, person_id: int) -> Status[None]:
    actor = actor_for(request.user)
    with transaction.atomic():
        area = areas.get_joint_area(actor=actor, code=code)
        rosters.unassign(actor=actor, area=area, shift_id=shift_id, person_id=person_id)
    return Status(204, None)


@router.post(
    "/areas/{code}/roster/copy", response={201: dict}, summary="Copy a week forward week by week"
)
def copy_week(request: HttpRequest, code: str, payload: CopyIn) -> Status[dict[str, Any]]:
    actor = actor_for(request.user)
    with transaction.atomic():
        area = areas.get_joint_area(actor=actor, code=code)
        n = rosters.copy_week(
            actor=actor, area=area, monday=rosters.week_start(payload.week), weeks=payload.weeks
        )
    return Status(201, {"shifts_created": n})


# ---------------------------------------------------------------- handovers


@router.get("/handovers", summary="Handover history, searchable")
def list_handovers(
    request: HttpRequest,
    desk: str | None = None,
    q: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    rows = handovers.list_handovers(
        actor=actor_for(request.user),
        desk_code=desk,
        q=q,
        since=_aware(since),
        until=_aware(until),
        limit=limit,
    )
    return [present.handover(h) for h in rows]


@router.post("/handovers", response={201: dict}, summary="Generate and sign a shift handover")
def create_handover(request: HttpRequest, payload: HandoverIn) -> Status[dict[str, Any]]:
    with transaction.atomic():
        h = handovers.create_handover(
            actor=actor_for(request.user),
            now=timezone.now(),
            desk_code=payload.desk,
            post_id=payload.post_id,
            notes=payload.notes,
            tasks=payload.tasks,
            incoming_person_id=payload.incoming_person_id,
        )
    return Status(201, present.handover(h, items=handovers.items_of(h)))


@router.get("/handovers/{handover_id}", summary="One handover with its items")
def get_handover(request: HttpRequest, handover_id: int) -> dict[str, Any]:
    h = handovers.get_handover(actor=actor_for(request.user), handover_id=handover_id)
    return present.handover(h, items=handovers.items_of(h))


@router.post("/handovers/{handover_id}/acknowledge", summary="Acknowledge as the incoming officer")
def acknowledge(request: HttpRequest, handover_id: int) -> dict[str, Any]:
    actor = actor_for(request.user)
    with transaction.atomic():
        h = handovers.get_handover(actor=actor, handover_id=handover_id)
        h = handovers.acknowledge(actor=actor, handover=h, now=timezone.now())
    return present.handover(h)


@router.post("/handovers/{handover_id}/items/{item_id}/close", summary="Close an open task")
def close_task(request: HttpRequest, handover_id: int, item_id: int) -> dict[str, Any]:
    actor = actor_for(request.user)
    with transaction.atomic():
        h = handovers.get_handover(actor=actor, handover_id=handover_id)
        item = handovers.close_task(actor=actor, handover=h, item_id=item_id)
    return present.item(item)


# ---------------------------------------------------------------- patrols


class CheckpointIn(Schema):
    name: str
    lat: float
    lon: float
    radius_m: int = 50


class PlanIn(Schema):
    name: str
    owner: str
    kind: str = "joint"
    mode: str = "foot"
    checkpoints: list[CheckpointIn]
    weekdays: list[int]
    start_time: time
    duration_min: int = 120
    tolerance_m: int = 80
    partners: list[str] = []
    team: list[DutyIn] = []
    joint_area: str | None = None
    beat_id: int | None = None
    loop: bool = False


class CheckInIn(Schema):
    checkpoint_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    crs: str = "wgs84"
    time: datetime | None = None
    qr_token: str | None = None


class FixIn(Schema):
    lat: float
    lon: float
    time: datetime


class TrackIn(Schema):
    points: list[FixIn]
    crs: str = "wgs84"


@patrols_router.get("", summary="Patrol plans the caller leads or takes part in")
def list_plans(request: HttpRequest, kind: str | None = None) -> list[dict[str, Any]]:
    return [present.plan(p) for p in patrols.list_plans(actor=actor_for(request.user), kind=kind)]


@patrols_router.post("", response={201: dict}, summary="Create a patrol plan")
def create_plan(request: HttpRequest, payload: PlanIn) -> Status[dict[str, Any]]:
    actor = actor_for(request.user)
    with transaction.atomic():
        owner, area, beat = patrols.plan_refs(
            actor=actor, owner=payload.owner, joint_area=payload.joint_area, beat_id=payload.beat_id
        )
        plan = patrols.create_plan(
            actor=actor,
            owner=owner,
            name=payload.name,
            kind=payload.kind,
            mode=payload.mode,
            checkpoints=[patrols.CheckpointSpec(**c.dict()) for c in payload.checkpoints],
            weekdays=payload.weekdays,
            start_time=payload.start_time,
            duration_min=payload.duration_min,
            tolerance_m=payload.tolerance_m,
            partner_codes=payload.partners,
            team=[Duty(d.person_id, d.organization_id) for d in payload.team],
            joint_area=area,
            beat=beat,
            loop=payload.loop,
            now=timezone.now(),
        )
    return Status(201, present.plan(patrols.get_plan(actor=actor, plan_id=plan.pk), detail=True))


@patrols_router.get("/coverage", summary="Coverage of each beat in a week")
def coverage(request: HttpRequest, week: date | None = None) -> list[dict[str, Any]]:
    rows = patrols.weekly_coverage(
        actor=actor_for(request.user),
        monday=rosters.week_start(week or timezone.localdate()),
        now=timezone.now(),
    )
    return [present.coverage(c) for c in rows]


@patrols_router.get("/{plan_id}", summary="One patrol plan with its checkpoints and route")
def get_plan(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    return present.plan(
        patrols.get_plan(actor=actor_for(request.user), plan_id=plan_id), detail=True
    )


@patrols_router.post(
    "/{plan_id}/checkins", response={201: dict}, summary="Check in at a checkpoint"
)
def check_in(request: HttpRequest, plan_id: int, payload: CheckInIn) -> Status[dict[str, Any]]:
    actor = actor_for(request.user)
    with transaction.atomic():
        plan = patrols.get_plan(actor=actor, plan_id=plan_id)
        c = patrols.check_in(
            actor=actor,
            plan=plan,
            now=timezone.now(),
            checkpoint_id=payload.checkpoint_id,
            lat=payload.lat,
            lon=payload.lon,
            crs=payload.crs,
            at=_aware(payload.time),
            qr_token=payload.qr_token,
        )
    return Status(201, present.checkin(c))


@patrols_router.post("/{plan_id}/track", response={201: dict}, summary="Report positions")
def add_track(request: HttpRequest, plan_id: int, payload: TrackIn) -> Status[dict[str, Any]]:
    actor = actor_for(request.user)
    with transaction.atomic():
        plan = patrols.get_plan(actor=actor, plan_id=plan_id)
        n = patrols.add_track(
            actor=actor,
            plan=plan,
            now=timezone.now(),
            crs=payload.crs,
            fixes=[patrols.Fix(_aware(f.time), f.lat, f.lon) for f in payload.points],
        )
    return Status(201, {"stored": n})


@patrols_router.get("/{plan_id}/report", summary="A day's runs: check-ins, missed, deviations")
def day_report(request: HttpRequest, plan_id: int, day: date | None = None) -> list[dict[str, Any]]:
    plan = patrols.get_plan(actor=actor_for(request.user), plan_id=plan_id)
    reports = patrols.day_report(plan=plan, day=day or timezone.localdate(), now=timezone.now())
    return [present.run_report(r) for r in reports]


@patrols_router.get("/{plan_id}/qr-sheet.pdf", summary="Printable PDF of the checkpoint QR codes")
def qr_sheet(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = actor_for(request.user)
    plan = patrols.get_plan(actor=actor, plan_id=plan_id)
    pdf = qrsheet.qr_sheet_pdf(actor=actor, plan=plan, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="patrol-{plan.pk}-qr.pdf"'
    return response
