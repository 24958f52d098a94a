"""Joint problem-solving (问题联治): recurring incidents proposed as problems, worked through
SARA (scanning → analysis → response → assessment) by an owner and co-owners, with actions and
due dates, and assessed by comparing incidents at the place before and after the response.

Detection runs the engine's clustering over the incidents the caller may see; incidents that
already belong to a problem are left out, so a proposal is always new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.engine import problems as engine
from jingwu.engine.geo import haversine_m
from jingwu.errors import Invalid, InvalidTransition, NotFound
from jingwu.incidents.models import Incident, IncidentType
from jingwu.incidents.services.access import visible_incidents
from jingwu.jointcmd.models import PROBLEM_TRANSITIONS, Problem, ProblemAction, ProblemStage
from jingwu.jointcmd.services.access import require_staff, scope_ids
from jingwu.orgs.models import Organization
from jingwu.orgs.services import Actor

#: How far back detection looks.
LOOKBACK_DAYS = 90
MAX_RULE = {"min_count": (2, 50), "window_days": (1, 365), "radius_m": (10, 2000)}


def clean_rule(
    *, min_count: int = 3, window_days: float = 30, radius_m: float = 150
) -> engine.ClusterRule:
    """The detection rule from user input, or Invalid naming the field."""
    for field, value in (
        ("min_count", min_count),
        ("window_days", window_days),
        ("radius_m", radius_m),
    ):
        lo, hi = MAX_RULE[field]
        if not lo <= value <= hi:
            raise Invalid(_("取值须在 %(lo)s 至 %(hi)s 之间。") % {"lo": lo, "hi": hi}, loc=[field])
    return engine.ClusterRule(int(min_count), float(window_days), float(radius_m))


@dataclass(frozen=True)
class Proposal:
    """A cluster proposed as a problem, with its incidents' numbers and the type's label."""

    cluster: engine.Cluster
    kind_label: str
    organization_id: int


def _points(actor: Actor, since: datetime, extra: Q | None = None) -> list[tuple[Any, ...]]:
    qs = visible_incidents(actor=actor).filter(received_at__gte=since)
    if extra is not None:
        qs = qs.filter(extra)
    return list(qs.values_list("id", "type", "lat", "lon", "received_at", "organization_id"))


def detect(*, actor: Actor, now: datetime, rule: engine.ClusterRule) -> list[Proposal]:
    """Clusters among the incidents of the last 90 days the actor sees, not yet in a problem."""
    rows = _points(actor, now - timedelta(days=LOOKBACK_DAYS), Q(problems__isnull=True))
    org_of = {r[0]: r[5] for r in rows}
    clusters = engine.find_clusters(
        [engine.IncidentPoint(r[0], r[1], r[2], r[3], r[4]) for r in rows], rule=rule
    )
    labels = dict(IncidentType.choices)
    return [Proposal(c, str(labels.get(c.kind, c.kind)), org_of[c.centre_id]) for c in clusters]


def _orgs(codes: list[str], field: str) -> list[Organization]:
    found = {o.code: o for o in Organization.objects.filter(code__in=codes)}
    for i, code in enumerate(codes):
        if code not in found:
            raise Invalid(_("单位不存在：%(code)s") % {"code": code}, loc=[field, i])
    return [found[c] for c in codes]


def _org(code: str) -> Organization:
    org = Organization.objects.filter(code=code).first()
    if org is None:
        raise Invalid(_("单位不存在：%(code)s") % {"code": code}, loc=["owner"])
    return org


def create_problem(
    *,
    actor: Actor,
    incident_ids: list[int],
    title: str,
    owner_code: str,
    now: datetime,
    co_owner_codes: list[str] | None = None,
    radius_m: int = 150,
) -> Problem:
    """Register a problem from incidents (a proposal, or picked by hand). In a transaction."""
    owner = _org(owner_code)
    require_staff(actor, owner.pk)
    co_owners = _orgs(co_owner_codes or [], "co_owners")
    if not title.strip():
        raise Invalid(_("请填写名称。"), loc=["title"])
    if not incident_ids:
        raise Invalid(_("请至少选择一起警情。"), loc=["incident_ids"])
    incidents = list(visible_incidents(actor=actor).filter(pk__in=incident_ids))
    if len(incidents) != len(set(incident_ids)):
        raise Invalid(_("警情不存在。"), loc=["incident_ids"])
    if len({i.type for i in incidents}) != 1:
        raise Invalid(_("一个问题的警情须为同一类型。"), loc=["incident_ids"])
    lat = sum(i.lat for i in incidents) / len(incidents)
    lon = sum(i.lon for i in incidents) / len(incidents)
    spread = max(float(haversine_m(lat, lon, i.lat, i.lon)) for i in incidents)
    problem = Problem.objects.create(
        title=title.strip()[:200],
        kind=incidents[0].type,
        lat=lat,
        lon=lon,
        radius_m=max(radius_m, int(spread) + 1),
        owner=owner,
        created_at=now,
        created_by=actor.user,
    )
    problem.co_owners.set(co_owners)
    problem.incidents.set(incidents)
    _audit(actor, problem, "create", f"incidents={len(incidents)}")
    return problem


def _audit(actor: Actor, problem: Problem, action: str, detail: str) -> None:
    audit.record(
        action=action,
        component="jointcmd",
        user=actor.user,
        organization_id=problem.owner_id,
        object_type="problem",
        object_id=problem.pk,
        detail=detail,
    )


def _visible(actor: Actor) -> Q:
    scope = scope_ids(actor)
    return Q(owner_id__in=scope) | Q(co_owners__in=scope)


def list_problems(*, actor: Actor) -> list[Problem]:
    """Problems the actor's units own or co-own."""
    return list(
        Problem.objects.filter(_visible(actor))
        .distinct()
        .select_related("owner")
        .prefetch_related("co_owners", "actions")
        .order_by("-created_at")
    )


def get_problem(*, actor: Actor, problem_id: int) -> Problem:
    """One problem the actor's units own or co-own, else NotFound."""
    problem = (
        Problem.objects.filter(_visible(actor), pk=problem_id)
        .distinct()
        .select_related("owner")
        .prefetch_related("co_owners", "actions__owner")
        .first()
    )
    if problem is None:
        raise NotFound(_("问题不存在。"))
    return problem


def _require_party(actor: Actor, problem: Problem) -> None:
    # Owner and co-owners act on the problem; seeing it is already checked by get_problem.
    parties = {problem.owner_id, *(o.pk for o in problem.co_owners.all())}
    if scope_ids(actor).isdisjoint(parties):
        raise NotFound(_("问题不存在。"))


def advance(
    *, actor: Actor, problem: Problem, to: str, now: datetime, analysis: str = ""
) -> Problem:
    """Move a problem to the next SARA stage (a conditional update settles races)."""
    _require_party(actor, problem)
    if to not in ProblemStage.values:
        raise Invalid(_("未知的取值，请从允许的选项中选择。"), loc=["to"])
    if to not in PROBLEM_TRANSITIONS[problem.stage]:
        raise InvalidTransition(
            _("问题不能从“%(a)s”转到“%(b)s”。")
            % {"a": problem.get_stage_display(), "b": ProblemStage(to).label}
        )
    values: dict[str, Any] = {"stage": to}
    if analysis.strip():
        values["analysis"] = analysis.strip()
    if to == ProblemStage.RESPONSE and problem.response_started_at is None:
        values["response_started_at"] = now
    if to == ProblemStage.CLOSED:
        values["closed_at"] = now
    if Problem.objects.filter(pk=problem.pk, stage=problem.stage).update(**values) != 1:
        raise InvalidTransition(_("问题已被他人更新，请刷新后重试。"))
    _audit(actor, problem, "update", f"stage={to}")
    problem.refresh_from_db()
    return problem


def add_action(
    *, actor: Actor, problem: Problem, text: str, owner_code: str, due_date: date, now: datetime
) -> ProblemAction:
    """Add a response action owned by the owner or a co-owner of the problem."""
    _require_party(actor, problem)
    if not text.strip():
        raise Invalid(_("请填写措施。"), loc=["text"])
    owner = _org(owner_code)
    if owner.pk not in {problem.owner_id, *(o.pk for o in problem.co_owners.all())}:
        raise Invalid(_("责任单位须为牵头或协同单位。"), loc=["owner"])
    if due_date < now.date() - timedelta(days=1):
        raise Invalid(_("完成期限不能早于今天。"), loc=["due_date"])
    action = ProblemAction.objects.create(
        problem=problem, text=text.strip()[:300], owner=owner, due_date=due_date, created_at=now
    )
    _audit(actor, problem, "update", f"action={action.pk}")
    return action


def complete_action(
    *, actor: Actor, problem: Problem, action_id: int, now: datetime
) -> ProblemAction:
    """Mark an action done (once)."""
    _require_party(actor, problem)
    if (
        ProblemAction.objects.filter(pk=action_id, problem=problem, done_at__isnull=True).update(
            done_at=now
        )
        != 1
    ):
        raise NotFound(_("措施不存在或已完成。"))
    _audit(actor, problem, "update", f"action_done={action_id}")
    return ProblemAction.objects.get(pk=action_id)


def assessment(*, actor: Actor, problem: Problem, now: datetime) -> engine.Assessment | None:
    """Incidents at the place before and after the response began (None before a response)."""
    if problem.response_started_at is None:
        return None
    window = 90.0
    since = problem.response_started_at - timedelta(days=window)
    lat_d = problem.radius_m / 111_000 * 1.5
    rows = _points(
        actor,
        since,
        Q(type=problem.kind, lat__range=(problem.lat - lat_d, problem.lat + lat_d)),
    )
    return engine.assess(
        [engine.IncidentPoint(r[0], r[1], r[2], r[3], r[4]) for r in rows],
        kind=problem.kind,
        lat=problem.lat,
        lon=problem.lon,
        radius_m=problem.radius_m,
        response_at=problem.response_started_at,
        now=max(now, problem.response_started_at),
        window_days=window,
    )


def next_stages(problem: Problem) -> list[tuple[str, str]]:
    """The stages a problem may move to now, with their labels."""
    return [
        (s, str(ProblemStage(s).label))
        for s in ProblemStage.values
        if s in PROBLEM_TRANSITIONS[problem.stage]
    ]


def problem_incidents(problem: Problem) -> list[Incident]:
    """The incidents registered with the problem, oldest first."""
    return list(problem.incidents.order_by("received_at"))
