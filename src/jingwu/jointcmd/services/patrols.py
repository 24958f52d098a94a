"""Joint patrols (治安联防) and eco patrols: plans, check-ins, tracks, reports, weekly coverage.

A check-in proves presence at a checkpoint either by a GPS fix inside its geofence or by the
checkpoint's QR code. The code carries a token signed with the server's secret
(``django.core.signing``, salted per purpose), naming the plan and the checkpoint; a token that
does not verify, or that names another plan, is refused with 403.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from jingwu import events
from jingwu.areas import services as areas
from jingwu.audit import services as audit
from jingwu.engine import patrol as engine
from jingwu.errors import Conflict, Forbidden, Invalid, NotFound
from jingwu.jointcmd.models import (
    CheckIn,
    CheckInMethod,
    Checkpoint,
    JointArea,
    PatrolMember,
    PatrolPlan,
    PatrolRun,
    PlanKind,
    Post,
    TrackPoint,
    TravelMode,
)
from jingwu.jointcmd.services.access import require_staff, scope_ids
from jingwu.jointcmd.services.rosters import LOCAL, Duty, week_bounds
from jingwu.orgs.models import Membership, Organization
from jingwu.orgs.services import Actor

QR_SALT = "jingwu.jointcmd.checkpoint"
#: A check-in may be reported up to 10 minutes late (a weak signal) and never in the future.
CHECKIN_LATE = timedelta(minutes=10)
CHECKIN_EARLY = timedelta(minutes=2)
#: Tracks are uploaded in batches after a dead zone (mountains): up to two hours late.
TRACK_LATE = timedelta(hours=2)
#: A scheduled run accepts check-ins this long before its start and after its end.
RUN_GRACE = timedelta(minutes=30)


@dataclass(frozen=True)
class CheckpointSpec:
    """A checkpoint as a plan is created with it."""

    name: str
    lat: float
    lon: float
    radius_m: int = 50


# ---------------------------------------------------------------- plans


def _plan_orgs(plan: PatrolPlan) -> set[int]:
    ids = {plan.owner_id}
    ids.update(p.pk for p in plan.partners.all())
    ids.update(m.organization_id for m in plan.members.all())
    return ids


def _visible_plans(actor: Actor) -> Any:
    scope = scope_ids(actor)
    q = Q(owner_id__in=scope) | Q(partners__in=scope) | Q(members__organization_id__in=scope)
    if actor.person_id:
        q |= Q(members__person_id=actor.person_id)
    return PatrolPlan.objects.filter(q).distinct()


def list_plans(*, actor: Actor, kind: str | None = None) -> list[PatrolPlan]:
    """The patrol plans the actor leads, takes part in, or commands from above."""
    qs = _visible_plans(actor).select_related("owner", "beat", "joint_area")
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.prefetch_related("checkpoints", "partners").order_by("id"))


def get_plan(*, actor: Actor, plan_id: int) -> PatrolPlan:
    """One plan the actor may see, else NotFound."""
    plan = (
        _visible_plans(actor)
        .filter(pk=plan_id)
        .select_related("owner", "beat", "joint_area")
        .prefetch_related("checkpoints", "partners", "members__person", "members__organization")
        .first()
    )
    if plan is None:
        if PatrolPlan.objects.filter(pk=plan_id).exists():
            audit.record(
                action="denied",
                component="jointcmd",
                user=actor.user,
                object_type="patrol_plan",
                object_id=plan_id,
                outcome="denied",
            )
        raise NotFound(_("巡逻计划不存在。"))
    return plan


def _road_router(mode: str) -> engine.LegRouter | None:
    from jingwu.engine.roads import RoadError, route
    from jingwu.units.roadgraph import get_graph

    graph = get_graph()
    if graph is None:
        return None

    def leg(a: engine.LatLon, b: engine.LatLon) -> list[engine.LatLon] | None:
        try:
            feature = route(graph, a, b, mode=mode)
        except RoadError:  # off the road network (a forest trail): the leg stays straight
            return None
        return [(lat, lon) for lon, lat in feature["geometry"]["coordinates"]]

    return leg


def build_route(
    stops: list[engine.LatLon], *, mode: str, loop: bool = False
) -> engine.PlannedRoute:
    """The route through the stops over the district's road graph (straight where no road)."""
    return engine.plan_route(stops, router=_road_router(mode), loop=loop)


def _orgs_by_code(codes: list[str], loc: str) -> list[Organization]:
    found = {o.code: o for o in Organization.objects.filter(code__in=codes)}
    for i, code in enumerate(codes):
        if code not in found:
            raise Invalid(_("单位不存在：%(code)s") % {"code": code}, loc=[loc, i])
    return [found[c] for c in codes]


def _clean_checkpoints(specs: list[CheckpointSpec]) -> list[CheckpointSpec]:
    if len(specs) < 2:
        raise Invalid(_("巡逻计划至少需要两个巡逻点。"), loc=["checkpoints"])
    out = []
    for i, cp in enumerate(specs):
        if not cp.name.strip():
            raise Invalid(_("请填写巡逻点名称。"), loc=["checkpoints", i, "name"])
        try:
            lat, lon = areas.clean_point(lat=cp.lat, lon=cp.lon)
        except Invalid as exc:
            raise Invalid(exc.msg, loc=["checkpoints", i, *exc.loc]) from None
        if areas.resolve_point(lat=lat, lon=lon).get("branch") is None:
            raise Invalid(_("该位置不在本分局辖区内。"), loc=["checkpoints", i, "lat"])
        if not 10 <= cp.radius_m <= 500:
            raise Invalid(_("签到半径须在 10 至 500 米之间。"), loc=["checkpoints", i, "radius_m"])
        out.append(CheckpointSpec(cp.name.strip(), lat, lon, cp.radius_m))
    return out


def plan_refs(
    *, actor: Actor, owner: str, joint_area: str | None, beat_id: int | None
) -> tuple[Organization, JointArea | None, Post | None]:
    """Resolve the codes a plan is created with: the owner, the joint area, the beat."""
    from jingwu.jointcmd.services.areas import get_joint_area

    org = Organization.objects.filter(code=owner).first()
    if org is None:
        raise Invalid(_("单位不存在：%(code)s") % {"code": owner}, loc=["owner"])
    area = get_joint_area(actor=actor, code=joint_area) if joint_area else None
    beat = None
    if beat_id is not None:
        beat = Post.objects.filter(pk=beat_id, joint_area=area).first() if area else None
        if beat is None:
            raise Invalid(_("巡区不属于该联勤区域。"), loc=["beat_id"])
    return org, area, beat


def create_plan(
    *,
    actor: Actor,
    owner: Organization,
    name: str,
    checkpoints: list[CheckpointSpec],
    weekdays: list[int],
    start_time: time,
    duration_min: int,
    now: datetime,
    kind: str = PlanKind.JOINT,
    mode: str = TravelMode.FOOT,
    team: list[Duty] | None = None,
    partner_codes: list[str] | None = None,
    joint_area: JointArea | None = None,
    beat: Post | None = None,
    tolerance_m: int = 80,
    loop: bool = False,
) -> PatrolPlan:
    """Create a patrol plan with its checkpoints, route and team. Call inside a transaction."""
    require_staff(actor, owner.pk)
    if not name.strip():
        raise Invalid(_("请填写名称。"), loc=["name"])
    if kind not in PlanKind.values:
        raise Invalid(_("未知的取值，请从允许的选项中选择。"), loc=["kind"])
    if mode not in TravelMode.values:
        raise Invalid(_("未知的取值，请从允许的选项中选择。"), loc=["mode"])
    if not weekdays or any(d not in range(7) for d in weekdays):
        raise Invalid(_("巡逻日须为 0（周一）至 6（周日）。"), loc=["weekdays"])
    if not 10 <= duration_min <= 24 * 60:
        raise Invalid(_("时长须在 10 分钟至 24 小时之间。"), loc=["duration_min"])
    if not 10 <= tolerance_m <= 2000:
        raise Invalid(_("偏离容差须在 10 至 2000 米之间。"), loc=["tolerance_m"])
    cps = _clean_checkpoints(checkpoints)
    partners = _orgs_by_code(partner_codes or [], "partners")
    route = build_route([(c.lat, c.lon) for c in cps], mode=mode, loop=loop)
    plan = PatrolPlan.objects.create(
        name=name.strip(),
        kind=kind,
        owner=owner,
        joint_area=joint_area,
        beat=beat,
        mode=mode,
        route=route.geojson(),
        route_legs=list(route.legs),
        length_m=route.length_m,
        tolerance_m=tolerance_m,
        weekdays=sorted(set(weekdays)),
        start_time=start_time,
        duration_min=duration_min,
        created_at=now,
    )
    plan.partners.set(partners)
    Checkpoint.objects.bulk_create(
        Checkpoint(plan=plan, seq=i, name=c.name, lat=c.lat, lon=c.lon, radius_m=c.radius_m)
        for i, c in enumerate(cps, start=1)
    )
    allowed = {owner.pk, *(p.pk for p in partners)}
    for i, duty in enumerate(team or []):
        m = Membership.objects.filter(person_id=duty.person_id)
        if duty.organization_id:
            m = m.filter(organization_id=duty.organization_id)
        membership = m.filter(organization_id__in=allowed).order_by("id").first()
        if membership is None:
            raise Invalid(_("此人不属于参与巡逻的单位。"), loc=["team", i, "person_id"])
        PatrolMember.objects.get_or_create(
            plan=plan, person_id=duty.person_id, defaults={"organization": membership.organization}
        )
    audit.record(
        action="create",
        component="jointcmd",
        user=actor.user,
        object_type="patrol_plan",
        object_id=plan.pk,
    )
    return plan


# ---------------------------------------------------------------- runs and check-ins


def occurrences(
    plan: PatrolPlan, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The scheduled runs of a plan starting in [start, end)."""
    out = []
    day = start.astimezone(LOCAL).date() - timedelta(days=1)
    last = end.astimezone(LOCAL).date()
    while day <= last:
        if day.weekday() in plan.weekdays:
            s = datetime.combine(day, plan.start_time, tzinfo=LOCAL)
            if start <= s < end:
                out.append((s, s + timedelta(minutes=plan.duration_min)))
        day += timedelta(days=1)
    return out


def run_at(plan: PatrolPlan, at: datetime) -> PatrolRun:
    """The run a report at ``at`` belongs to: the scheduled one, or an unscheduled one."""
    for s, e in occurrences(
        plan, at - timedelta(days=1, minutes=plan.duration_min), at + RUN_GRACE
    ):
        if s - RUN_GRACE <= at <= e + RUN_GRACE:
            run, _c = PatrolRun.objects.get_or_create(
                plan=plan, starts_at=s, defaults={"ends_at": e, "scheduled": True}
            )
            return run
    run = (
        PatrolRun.objects.filter(plan=plan, scheduled=False, starts_at__lte=at, ends_at__gte=at)
        .order_by("-starts_at")
        .first()
    )
    if run is None:
        start = at.replace(second=0, microsecond=0)
        run, _c = PatrolRun.objects.get_or_create(
            plan=plan,
            starts_at=start,
            defaults={"ends_at": start + timedelta(minutes=plan.duration_min), "scheduled": False},
        )
    return run


def qr_token(checkpoint: Checkpoint) -> str:
    """The signed token printed in a checkpoint's QR code."""
    return signing.dumps({"p": checkpoint.plan_id, "c": checkpoint.pk}, salt=QR_SALT, compress=True)


def _read_token(token: str, plan: PatrolPlan) -> Checkpoint:
    try:
        data = signing.loads(token, salt=QR_SALT)
    except signing.BadSignature:
        raise Forbidden(_("二维码无效：签名校验失败。"), loc=["qr_token"]) from None
    if not isinstance(data, dict) or data.get("p") != plan.pk:
        raise Forbidden(_("二维码不属于该巡逻计划。"), loc=["qr_token"])
    cp = next((c for c in plan.checkpoints.all() if c.pk == data.get("c")), None)
    if cp is None:
        raise Forbidden(_("二维码对应的巡逻点已不存在。"), loc=["qr_token"])
    return cp


def _require_team(actor: Actor, plan: PatrolPlan) -> None:
    in_team = actor.person_id is not None and any(
        m.person_id == actor.person_id for m in plan.members.all()
    )
    if not in_team and actor.organization_ids.isdisjoint(_plan_orgs(plan)):
        raise Forbidden(_("您不是该巡逻计划的队员，不能签到。"))


def _clean_time(at: datetime | None, now: datetime) -> datetime:
    if at is None:
        return now
    if at.tzinfo is None:
        raise Invalid(_("时间须带时区，例如 2026-05-01T08:00:00+08:00。"), loc=["time"])
    if at > now + CHECKIN_EARLY or at < now - CHECKIN_LATE:
        raise Invalid(_("签到时间与当前时间相差过大。"), loc=["time"])
    return at


def check_in(
    *,
    actor: Actor,
    plan: PatrolPlan,
    now: datetime,
    checkpoint_id: int | None = None,
    lat: Any = None,
    lon: Any = None,
    crs: str = "wgs84",
    at: datetime | None = None,
    qr_token: str | None = None,
) -> CheckIn:
    """Record a checkpoint reached, by QR token or by a GPS fix inside its geofence.

    422 for a fix outside the geofence or a time far from now, 403 for a forged or foreign
    QR token or a caller outside the team, 409 when the checkpoint is already checked in on
    this run. Call inside a transaction.
    """
    _require_team(actor, plan)
    when = _clean_time(at, now)
    wlat = wlon = distance = None
    if qr_token:
        cp = _read_token(qr_token, plan)
        method = CheckInMethod.QR
        if lat is not None and lon is not None:
            wlat, wlon = areas.clean_point(lat=lat, lon=lon, crs=crs)
            distance = engine.Fence(cp.lat, cp.lon, cp.radius_m).distance_m(wlat, wlon)
    else:
        if lat is None or lon is None:
            raise Invalid(_("请提供定位坐标或二维码。"), loc=["lat" if lat is None else "lon"])
        wlat, wlon = areas.clean_point(lat=lat, lon=lon, crs=crs)
        cp = _checkpoint_for_fix(plan, checkpoint_id, wlat, wlon)
        fence = engine.Fence(cp.lat, cp.lon, cp.radius_m)
        distance = fence.distance_m(wlat, wlon)
        if distance > cp.radius_m:
            raise Invalid(
                _("当前位置距“%(name)s”%(d)d 米，超出 %(r)d 米签到范围。")
                % {"name": cp.name, "d": round(distance), "r": cp.radius_m},
                loc=["lat"],
            )
        method = CheckInMethod.GPS
    run = run_at(plan, when)
    if CheckIn.objects.filter(run=run, checkpoint=cp).exists():
        raise Conflict(_("本次巡逻已在“%(name)s”签到。") % {"name": cp.name}, loc=["checkpoint_id"])
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(
                run=run,
                checkpoint=cp,
                user=actor.user,
                at=when,
                method=method,
                lat=wlat,
                lon=wlon,
                distance_m=round(distance, 1) if distance is not None else None,
            )
    except IntegrityError:  # a teammate checked in at the same moment
        raise Conflict(
            _("本次巡逻已在“%(name)s”签到。") % {"name": cp.name}, loc=["checkpoint_id"]
        ) from None
    if wlat is not None and wlon is not None:
        TrackPoint.objects.create(run=run, at=when, lat=wlat, lon=wlon)
    audit.record(
        action="create",
        component="jointcmd",
        user=actor.user,
        object_type="patrol_checkin",
        object_id=checkin.pk,
        detail=f"plan={plan.pk} checkpoint={cp.pk} method={method}",
    )
    events.publish(
        "patrol.checkin",
        audiences=[f"org:{o}" for o in _plan_orgs(plan)],
        id=plan.pk,
        run=run.pk,
        checkpoint=cp.pk,
    )
    return checkin


def _checkpoint_for_fix(
    plan: PatrolPlan, checkpoint_id: int | None, lat: float, lon: float
) -> Checkpoint:
    cps = list(plan.checkpoints.all())
    if checkpoint_id is None:
        # No checkpoint named: the nearest one (the geofence still decides).
        return min(cps, key=lambda c: engine.Fence(c.lat, c.lon, 0).distance_m(lat, lon))
    cp = next((c for c in cps if c.pk == checkpoint_id), None)
    if cp is None:
        raise Invalid(_("巡逻点不属于该巡逻计划。"), loc=["checkpoint_id"])
    return cp


@dataclass(frozen=True)
class Fix:
    """A reported position."""

    at: datetime
    lat: Any
    lon: Any


def add_track(
    *, actor: Actor, plan: PatrolPlan, fixes: list[Fix], now: datetime, crs: str = "wgs84"
) -> int:
    """Append positions to the runs they fall in; return how many were stored."""
    _require_team(actor, plan)
    if not fixes or len(fixes) > 1000:
        raise Invalid(_("每次上报 1 至 1000 个定位点。"), loc=["points"])
    rows = []
    for i, f in enumerate(fixes):
        try:
            if f.at.tzinfo is None or not now - TRACK_LATE <= f.at <= now + CHECKIN_EARLY:
                raise Invalid(_("定位点时间与当前时间相差过大。"), loc=["time"])
            lat, lon = areas.clean_point(lat=f.lat, lon=f.lon, crs=crs)
        except Invalid as exc:
            raise Invalid(exc.msg, loc=["points", i, *exc.loc]) from None
        rows.append(TrackPoint(run=run_at(plan, f.at), at=f.at, lat=lat, lon=lon))
    TrackPoint.objects.bulk_create(rows)
    audit.record(
        action="create",
        component="jointcmd",
        user=actor.user,
        object_type="patrol_track",
        object_id=plan.pk,
        detail=f"points={len(rows)}",
    )
    return len(rows)


# ---------------------------------------------------------------- reports


@dataclass
class RunReport:
    """One run: who checked in where, what was missed, where the patrol left its route."""

    plan: PatrolPlan
    starts_at: datetime
    ends_at: datetime
    scheduled: bool
    run_id: int | None
    checkins: list[CheckIn] = field(default_factory=list)
    missed: list[Checkpoint] = field(default_factory=list)
    deviations: list[engine.Deviation] = field(default_factory=list)
    track: list[tuple[float, float]] = field(default_factory=list)
    status: str = "planned"  # planned | in_progress | done | incomplete | not_started


def status_label(status: str) -> str:
    """A run status in words."""
    labels = {
        "planned": _("未开始"),
        "in_progress": _("进行中"),
        "done": _("已完成"),
        "incomplete": _("有漏巡点"),
        "not_started": _("未巡逻"),
    }
    return labels.get(status, status)


def _route_latlon(plan: PatrolPlan) -> list[engine.LatLon]:
    coords = (plan.route or {}).get("coordinates") or []
    return [(float(lat), float(lon)) for lon, lat in coords]


def _report(
    plan: PatrolPlan, run: PatrolRun | None, s: datetime, e: datetime, now: datetime
) -> RunReport:
    rep = RunReport(plan, s, e, run.scheduled if run else True, run.pk if run else None)
    cps = list(plan.checkpoints.all())
    if run is not None:
        rep.checkins = list(run.checkins.select_related("checkpoint", "user__person"))
        points = list(run.track.order_by("at").values_list("at", "lat", "lon"))
        rep.track = [(la, lo) for _a, la, lo in points]
        rep.deviations = engine.route_deviations(
            [engine.TrackPoint(a, la, lo) for a, la, lo in points],
            _route_latlon(plan),
            tolerance_m=plan.tolerance_m,
        )
    done = {c.checkpoint_id for c in rep.checkins}
    if now >= e + RUN_GRACE:
        rep.missed = [c for c in cps if c.pk not in done]
        rep.status = "done" if not rep.missed else ("incomplete" if done else "not_started")
    elif now >= s - RUN_GRACE:
        rep.status = "in_progress"
    return rep


def day_report(*, plan: PatrolPlan, day: date, now: datetime) -> list[RunReport]:
    """The plan's runs on a local day, scheduled or not, with missed checkpoints and deviations."""
    start = datetime.combine(day, time(0), tzinfo=LOCAL)
    end = start + timedelta(days=1)
    runs = {r.starts_at: r for r in plan.runs.filter(starts_at__gte=start, starts_at__lt=end)}
    reports = [
        _report(plan, runs.pop(s, None), s, e, now) for s, e in occurrences(plan, start, end)
    ]
    reports += [_report(plan, r, r.starts_at, r.ends_at, now) for r in runs.values()]
    return sorted(reports, key=lambda r: r.starts_at)


@dataclass(frozen=True)
class BeatCoverage:
    """How well one beat was covered in a week: checkpoint visits made against scheduled."""

    beat: str
    plans: list[str]
    coverage: engine.Coverage
    unscheduled_runs: int


def weekly_coverage(*, actor: Actor, monday: date, now: datetime) -> list[BeatCoverage]:
    """Coverage of each beat for the week beginning ``monday``, over the runs already due."""
    start, end = week_bounds(monday)
    plans = list_plans(actor=actor)
    runs = PatrolRun.objects.filter(
        plan__in=plans, starts_at__gte=start, starts_at__lt=end
    ).annotate(visited=Count("checkins__checkpoint", distinct=True))
    by_key = {(r.plan_id, r.starts_at): r for r in runs}
    beats: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"plans": [], "runs": [], "unscheduled": 0}
    )
    for plan in plans:
        beat = beats[plan.beat.name if plan.beat_id else plan.name]
        beat["plans"].append(plan.name)
        n = len(plan.checkpoints.all())
        for s, e in occurrences(plan, start, min(end, now)):
            if e + RUN_GRACE <= now:
                run = by_key.pop((plan.pk, s), None)
                beat["runs"].append((n, run.visited if run else 0))
    for (plan_id, _s), run in by_key.items():
        if not run.scheduled:
            plan = next(p for p in plans if p.pk == plan_id)
            beats[plan.beat.name if plan.beat_id else plan.name]["unscheduled"] += 1
    return [
        BeatCoverage(name, b["plans"], engine.coverage(b["runs"]), b["unscheduled"])
        for name, b in sorted(beats.items())
    ]
