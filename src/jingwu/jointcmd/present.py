"""Plain-dict views of joint-command objects, shared by the API and the pages.

Times are ISO 8601 with the UTC offset; names and badges only, never ID numbers or phones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jingwu.engine.patrol import Coverage
from jingwu.engine.problems import Assessment
from jingwu.jointcmd.models import (
    CheckIn,
    Handover,
    HandoverItem,
    JointArea,
    PatrolPlan,
    Problem,
    ProblemAction,
    RosterAssignment,
    RosterShift,
    SharingRule,
)
from jingwu.jointcmd.services.patrols import RunReport
from jingwu.jointcmd.services.problems import Proposal
from jingwu.jointcmd.services.rosters import OnPost, RosterIssue, RosterWeek


def _t(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def area(a: JointArea) -> dict[str, Any]:
    return {
        "id": a.pk,
        "code": a.code,
        "name": a.name,
        "lead": {"id": a.lead_id, "name": a.lead.name, "code": a.lead.code},
        "partners": [{"id": p.pk, "name": p.name, "code": p.code} for p in a.partners.all()],
        "geometry": a.geometry,
    }


def rule(r: SharingRule) -> dict[str, Any]:
    return {
        "id": r.pk,
        "name": r.name,
        "owner": {"id": r.owner_id, "code": r.owner.code, "name": r.owner.name},
        "joint_area": r.joint_area.code if r.joint_area_id else None,
        "geometry": r.geometry,
        "incident_types": r.incident_types,
        "priorities": r.priorities,
        "partners": [{"id": o.pk, "code": o.code, "name": o.name} for o in r.partners.all()],
        "is_active": r.is_active,
    }


def assignment(a: RosterAssignment) -> dict[str, Any]:
    return {
        "person_id": a.person_id,
        "name": a.person.name,
        "badge": a.person.badge,
        "organization_id": a.organization_id,
        "organization": a.organization.name,
    }


def shift(s: RosterShift) -> dict[str, Any]:
    people = list(s.assignments.all())
    return {
        "id": s.pk,
        "post_id": s.post_id,
        "post": s.post.name,
        "starts_at": _t(s.starts_at),
        "ends_at": _t(s.ends_at),
        "min_staff": s.min_staff,
        "people": [assignment(a) for a in people],
        "staffed": len(people) >= s.min_staff,
    }


def issue(i: RosterIssue) -> dict[str, Any]:
    return {
        "kind": i.kind,
        "post_id": i.post_id,
        "post": i.post,
        "shift_id": i.shift_id,
        "starts_at": _t(i.starts_at),
        "ends_at": _t(i.ends_at),
        "message": i.message,
    }


def roster_week(w: RosterWeek) -> dict[str, Any]:
    return {
        "area": w.area.code,
        "week": w.monday.isoformat(),
        "posts": [
            {
                "id": p.pk,
                "name": p.name,
                "kind": p.kind,
                "lat": p.lat,
                "lon": p.lon,
                "min_staff": p.min_staff,
                "around_the_clock": p.around_the_clock,
            }
            for p in w.posts
        ],
        "shifts": [shift(s) for s in w.shifts],
        "issues": [issue(i) for i in w.issues],
    }


def on_post(o: OnPost) -> dict[str, Any]:
    return {
        "post_id": o.post.pk,
        "post": o.post.name,
        "kind": o.post.kind,
        "lat": o.post.lat,
        "lon": o.post.lon,
        "shift_id": o.shift.pk if o.shift else None,
        "until": _t(o.shift.ends_at) if o.shift else None,
        "people": [assignment(a) for a in o.people],
    }


def item(i: HandoverItem) -> dict[str, Any]:
    return {
        "id": i.pk,
        "kind": i.kind,
        "ref": i.ref,
        "label": i.label,
        "status": i.status,
        "is_open": i.is_open,
        "carried": i.carried_from_id is not None,
    }


def handover(h: Handover, items: list[HandoverItem] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": h.pk,
        "desk": {"id": h.organization_id, "code": h.organization.code, "name": h.organization.name},
        "post": {"id": h.post_id, "name": h.post.name} if h.post_id else None,
        "shift_started_at": _t(h.shift_started_at),
        "signed_at": _t(h.signed_at),
        "outgoing": h.outgoing.name,
        "incoming": h.incoming.name if h.incoming_id else None,
        "acknowledged_at": _t(h.acknowledged_at),
        "status": "acknowledged" if h.acknowledged_at else "signed",
        "notes": h.notes,
        "counts": h.counts,
        "digest": h.digest,
        "previous_id": h.previous_id,
    }
    if items is not None:
        out["items"] = [item(i) for i in items]
    return out


def plan(p: PatrolPlan, *, detail: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.pk,
        "name": p.name,
        "kind": p.kind,
        "owner": {"id": p.owner_id, "code": p.owner.code, "name": p.owner.name},
        "partners": [{"id": o.pk, "code": o.code, "name": o.name} for o in p.partners.all()],
        "beat": p.beat.name if p.beat_id else None,
        "mode": p.mode,
        "weekdays": p.weekdays,
        "start_time": p.start_time.strftime("%H:%M"),
        "duration_min": p.duration_min,
        "tolerance_m": p.tolerance_m,
        "length_m": p.length_m,
        "checkpoints": [
            {
                "id": c.pk,
                "seq": c.seq,
                "name": c.name,
                "lat": c.lat,
                "lon": c.lon,
                "radius_m": c.radius_m,
            }
            for c in p.checkpoints.all()
        ],
    }
    if detail:
        out["route"] = p.route
        out["route_legs"] = p.route_legs
        out["team"] = [
            {"person_id": m.person_id, "name": m.person.name, "organization": m.organization.name}
            for m in p.members.all()
        ]
    return out


def checkin(c: CheckIn) -> dict[str, Any]:
    return {
        "id": c.pk,
        "run_id": c.run_id,
        "checkpoint_id": c.checkpoint_id,
        "checkpoint": c.checkpoint.name,
        "at": _t(c.at),
        "method": c.method,
        "lat": c.lat,
        "lon": c.lon,
        "distance_m": c.distance_m,
        "by": getattr(getattr(c.user, "person", None), "name", c.user.get_username()),
    }


def run_report(r: RunReport) -> dict[str, Any]:
    return {
        "run_id": r.run_id,
        "starts_at": _t(r.starts_at),
        "ends_at": _t(r.ends_at),
        "scheduled": r.scheduled,
        "status": r.status,
        "checkins": [checkin(c) for c in r.checkins],
        "missed": [{"id": c.pk, "seq": c.seq, "name": c.name} for c in r.missed],
        "deviations": [
            {
                "started_at": _t(d.started_at),
                "ended_at": _t(d.ended_at),
                "points": d.points,
                "max_distance_m": d.max_distance_m,
                "lat": d.lat,
                "lon": d.lon,
            }
            for d in r.deviations
        ],
        "track": [[lat, lon] for lat, lon in r.track],
    }


def coverage(c: Any) -> dict[str, Any]:
    cov: Coverage = c.coverage
    return {
        "beat": c.beat,
        "plans": c.plans,
        "runs": cov.runs,
        "scheduled_visits": cov.scheduled_visits,
        "visits": cov.visits,
        "missed": cov.missed,
        "ratio": cov.ratio,
        "unscheduled_runs": c.unscheduled_runs,
    }


def proposal(p: Proposal) -> dict[str, Any]:
    c = p.cluster
    return {
        "kind": c.kind,
        "kind_label": p.kind_label,
        "count": c.count,
        "incident_ids": list(c.member_ids),
        "centre_incident_id": c.centre_id,
        "lat": c.lat,
        "lon": c.lon,
        "spread_m": c.spread_m,
        "first_at": _t(c.first_at),
        "last_at": _t(c.last_at),
        "organization_id": p.organization_id,
    }


def action(a: ProblemAction) -> dict[str, Any]:
    return {
        "id": a.pk,
        "text": a.text,
        "owner": {"id": a.owner_id, "name": a.owner.name},
        "due_date": a.due_date.isoformat(),
        "done_at": _t(a.done_at),
    }


def problem(
    p: Problem, *, incidents: list[Any] | None = None, assessment: Assessment | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.pk,
        "title": p.title,
        "kind": p.kind,
        "stage": p.stage,
        "stage_label": p.get_stage_display(),
        "lat": p.lat,
        "lon": p.lon,
        "radius_m": p.radius_m,
        "owner": {"id": p.owner_id, "code": p.owner.code, "name": p.owner.name},
        "co_owners": [{"id": o.pk, "code": o.code, "name": o.name} for o in p.co_owners.all()],
        "analysis": p.analysis,
        "response_started_at": _t(p.response_started_at),
        "created_at": _t(p.created_at),
        "actions": [action(a) for a in p.actions.all()],
    }
    if incidents is not None:
        out["incidents"] = [
            {"id": i.pk, "number": i.number, "type": i.type, "received_at": _t(i.received_at)}
            for i in incidents
        ]
    if assessment is not None or incidents is not None:
        out["assessment"] = vars(assessment) if assessment is not None else None
    return out
