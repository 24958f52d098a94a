"""The incident lifecycle and its units: assign, release, reassign, transitions, arrival.

received → dispatched → en_route → on_scene → resolved → closed (with a disposition), and
cancelled before resolution. The first assignment dispatches the incident; releasing the last
unit before arrival puts it back in the queue. Every status change is a conditional UPDATE on
the status it starts from, so two officers acting at once cannot both apply the same step.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.errors import Conflict, Forbidden, Invalid, InvalidTransition, NotFound
from jingwu.incidents.models import (
    ACTIVE_STATUSES,
    Assignment,
    AssignmentStatus,
    EntryKind,
    Incident,
    Status,
)
from jingwu.incidents.services.access import publish_incident, require_act, sending_orgs
from jingwu.incidents.services.config import clean_disposition
from jingwu.incidents.services.recommend import eta_for
from jingwu.incidents.services.timeline import add_entry, duration_text
from jingwu.orgs.services import Actor
from jingwu.units import services as units
from jingwu.units.models import DISPATCHABLE, Unit, UnitStatus

#: What an officer may move an incident to, from each status (dispatch and requeue are implied).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.CANCELLED}),
    Status.DISPATCHED: frozenset({Status.EN_ROUTE, Status.ON_SCENE, Status.CANCELLED}),
    Status.EN_ROUTE: frozenset({Status.ON_SCENE, Status.CANCELLED}),
    Status.ON_SCENE: frozenset({Status.RESOLVED, Status.CANCELLED}),
    Status.RESOLVED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}
REQUESTABLE = frozenset(
    {Status.EN_ROUTE, Status.ON_SCENE, Status.RESOLVED, Status.CLOSED, Status.CANCELLED}
)
_STAMP = {
    Status.DISPATCHED: "dispatched_at",
    Status.EN_ROUTE: "en_route_at",
    Status.ON_SCENE: "on_scene_at",
    Status.RESOLVED: "resolved_at",
    Status.CLOSED: "closed_at",
    Status.CANCELLED: "cancelled_at",
}


def _label(status: str) -> str:
    return str(Status(status).label)


def _move(incident: Incident, to: str, now: datetime, **extra: object) -> None:
    """Apply one status step if the incident is still where the caller saw it."""
    stamp = _STAMP.get(to)
    values: dict[str, object] = {"status": to, **extra}
    if stamp and getattr(incident, stamp) is None:
        values[stamp] = now
    changed = Incident.objects.filter(pk=incident.pk, status=incident.status).update(**values)
    if changed != 1:
        raise Conflict(_("警情状态已被他人更新，请刷新后重试。"), loc=["to"])
    for k, v in values.items():
        setattr(incident, k, v)


def _record(
    actor: Actor | None,
    incident: Incident,
    detail: str,
    object_type: str = "incident",
    object_id: object = None,
) -> None:
    audit.record(
        action="update" if object_type == "incident" else "create",
        component="incidents",
        user=actor.user if actor else None,
        organization_id=incident.organization_id,
        object_type=object_type,
        object_id=object_id if object_id is not None else incident.pk,
        detail=detail,
    )


def _active(incident: Incident) -> list[Assignment]:
    return list(
        Assignment.objects.filter(incident=incident, status=AssignmentStatus.ACTIVE).select_related(
            "unit"
        )
    )


def transition(
    *,
    actor: Actor,
    incident: Incident,
    to: str,
    now: datetime,
    disposition: str | None = None,
    note: str = "",
) -> Incident:
    """Move an incident along its lifecycle; an illegal step raises InvalidTransition (409)."""
    require_act(actor, incident)
    if to not in REQUESTABLE:
        raise Invalid(
            _("目标状态必须是 en_route、on_scene、resolved、closed 或 cancelled。"), loc=["to"]
        )
    if to not in TRANSITIONS.get(incident.status, frozenset()):
        raise InvalidTransition(
            _("警情当前为“%(a)s”，不能变为“%(b)s”。")
            % {"a": _label(incident.status), "b": _label(to)},
            loc=["to"],
        )
    extra: dict[str, object] = {}
    if disposition:
        extra["disposition"] = clean_disposition(disposition)
    elif to == Status.CLOSED and not incident.disposition:
        raise Invalid(_("结案须填写处置结果。"), loc=["disposition"])
    if note:
        extra["disposition_note"] = note.strip()[:500]
    before = incident.status
    _move(incident, to, now, **extra)
    _units_follow(incident, to, now)
    text = _("状态：%(a)s → %(b)s") % {"a": _label(before), "b": _label(to)}
    if incident.disposition and to in (Status.RESOLVED, Status.CLOSED):
        text += _("（处置结果：%(d)s）") % {"d": incident.get_disposition_display()}
    add_entry(
        incident=incident,
        kind=EntryKind.STATUS,
        text=text,
        at=now,
        actor=actor,
        status=to,
        previous=before,
    )
    _record(actor, incident, f"status:{before}->{to}")
    publish_incident(incident)
    return incident


def _units_follow(incident: Incident, to: str, now: datetime) -> None:
    """The incident's units take the matching step; finished assignments are closed."""
    active = _active(incident)
    ids = [a.unit_id for a in active]
    if to == Status.EN_ROUTE:
        Assignment.objects.filter(pk__in=[a.pk for a in active], en_route_at__isnull=True).update(
            en_route_at=now
        )
        units.set_units_status_for_incident(
            incident_id=incident.pk, unit_ids=ids, to=UnitStatus.EN_ROUTE, now=now
        )
    elif to == Status.ON_SCENE:
        Assignment.objects.filter(pk__in=[a.pk for a in active], on_scene_at__isnull=True).update(
            on_scene_at=now
        )
        units.set_units_status_for_incident(
            incident_id=incident.pk, unit_ids=ids, to=UnitStatus.ON_SCENE, now=now
        )
    elif to in (Status.RESOLVED, Status.CANCELLED):
        end = AssignmentStatus.CLEARED if to == Status.RESOLVED else AssignmentStatus.RELEASED
        reason = _("处置完毕") if to == Status.RESOLVED else _("警情撤销")
        for a in active:
            _end_assignment(a, end, reason, now)


def _end_assignment(a: Assignment, status: str, reason: str, now: datetime) -> bool:
    """Close one assignment and free its unit (still at base: available; out: returning)."""
    changed = Assignment.objects.filter(pk=a.pk, status=AssignmentStatus.ACTIVE).update(
        status=status, ended_at=now, end_reason=reason[:200]
    )
    if changed != 1:
        return False
    to = UnitStatus.AVAILABLE if a.unit.status == UnitStatus.DISPATCHED else UnitStatus.RETURNING
    units.release_unit(unit_id=a.unit_id, incident_id=a.incident_id, to=to, now=now)
    return True


def assign_unit(
    *,
    actor: Actor,
    incident: Incident,
    unit_id: int,
    now: datetime,
    eta_seconds: float | None = None,
) -> Assignment:
    """Send a unit: claim it atomically (409 if it is on a call or off duty), then record it.

    The incident's police send any unit they see; a partner force the incident is shared with
    sends only its own units.
    """
    own = sending_orgs(actor, incident)
    if incident.status not in (Status.RECEIVED, *ACTIVE_STATUSES):
        raise InvalidTransition(
            _("警情当前为“%(a)s”，不能再派警。") % {"a": _label(incident.status)}, loc=["unit_id"]
        )
    unit = units.get_unit(actor=actor, unit_id=unit_id, loc=["unit_id"])
    if own is not None and unit.organization_id not in own:
        raise Forbidden(_("协作单位只能派出本单位的力量。"), loc=["unit_id"])
    if eta_seconds is None and unit.status in DISPATCHABLE:
        eta_seconds = eta_for(incident=incident, unit_id=unit.pk, now=now)
    unit = units.claim_unit(unit_id=unit.pk, incident_id=incident.pk, now=now)
    assignment = Assignment.objects.create(
        incident=incident,
        unit=unit,
        assigned_at=now,
        assigned_by=actor.user,
        eta_seconds=eta_seconds,
    )
    if incident.status == Status.RECEIVED:
        _move(incident, Status.DISPATCHED, now)
    eta = (
        _("，预计 %(t)s 到达") % {"t": duration_text(eta_seconds)}
        if eta_seconds is not None
        else ""
    )
    add_entry(
        incident=incident,
        kind=EntryKind.ASSIGNED,
        at=now,
        actor=actor,
        text=_("派出 %(unit)s（%(tier)s 级·%(mode)s）%(eta)s")
        % {"unit": unit.name, "tier": unit.tier_id, "mode": unit.get_mode_display(), "eta": eta},
        unit_id=unit.pk,
        assignment_id=assignment.pk,
    )
    _record(actor, incident, f"unit:{unit.pk}", "assignment", assignment.pk)
    publish_incident(incident)
    return assignment


def _get_active(incident: Incident, assignment_id: int) -> Assignment:
    a = (
        Assignment.objects.select_related("unit")
        .filter(pk=assignment_id, incident=incident)
        .first()
    )
    if a is None:
        raise NotFound(_("派警记录不存在。"))
    if a.status != AssignmentStatus.ACTIVE:
        raise InvalidTransition(_("该派警已结束，不能再撤回。"))
    return a


def release_assignment(
    *, actor: Actor, incident: Incident, assignment_id: int, now: datetime, reason: str = ""
) -> Assignment:
    """Call a unit back; if no unit is left before arrival, the incident returns to the queue.

    A partner force calls back only its own units.
    """
    own = sending_orgs(actor, incident)
    a = _get_active(incident, assignment_id)
    if own is not None and a.unit.organization_id not in own:
        raise Forbidden(_("协作单位只能撤回本单位的力量。"))
    if not _end_assignment(a, AssignmentStatus.RELEASED, reason or _("撤回"), now):
        raise Conflict(_("派警状态已被他人更新，请刷新后重试。"))
    add_entry(
        incident=incident,
        kind=EntryKind.RELEASED,
        at=now,
        actor=actor,
        text=_("撤回 %(unit)s%(why)s")
        % {"unit": a.unit.name, "why": f"：{reason.strip()[:200]}" if reason.strip() else ""},
        unit_id=a.unit_id,
        assignment_id=a.pk,
    )
    if incident.status in (Status.DISPATCHED, Status.EN_ROUTE) and not _active(incident):
        _move(incident, Status.RECEIVED, now)
        add_entry(
            incident=incident, kind=EntryKind.STATUS, at=now, actor=actor,
            text=_("已无在途力量，警情重新排队待派"), status=Status.RECEIVED,
        )  # fmt: skip
    _record(actor, incident, f"release:{a.unit_id}")
    publish_incident(incident)
    a.refresh_from_db()
    return a


def reassign(
    *,
    actor: Actor,
    incident: Incident,
    assignment_id: int,
    unit_id: int,
    now: datetime,
    reason: str = "",
) -> Assignment:
    """Replace one unit by another in one step (the new unit is claimed before anything shows)."""
    release_assignment(
        actor=actor,
        incident=incident,
        assignment_id=assignment_id,
        now=now,
        reason=reason or _("改派"),
    )
    incident.refresh_from_db()
    return assign_unit(actor=actor, incident=incident, unit_id=unit_id, now=now)


def record_arrival(
    *, incident_id: int, unit: Unit, at: datetime, distance_m: float, reporter_name: str
) -> bool:
    """A unit's position put it at the scene: the unit and (first arrival) the incident are on scene."""
    a = Assignment.objects.filter(
        incident_id=incident_id, unit=unit, status=AssignmentStatus.ACTIVE
    ).first()
    incident = Incident.objects.filter(pk=incident_id).first()
    if a is None or incident is None or a.on_scene_at is not None:
        return False
    Assignment.objects.filter(pk=a.pk, on_scene_at__isnull=True).update(on_scene_at=at)
    units.set_units_status_for_incident(
        incident_id=incident_id, unit_ids=[unit.pk], to=UnitStatus.ON_SCENE, now=at
    )
    if incident.status in (Status.DISPATCHED, Status.EN_ROUTE):
        _move(incident, Status.ON_SCENE, at)
    add_entry(
        incident=incident,
        kind=EntryKind.ARRIVED,
        at=at,
        actor_name=reporter_name,
        text=_("%(unit)s 到达现场（定位判定，距报警点 %(d)s 米）")
        % {"unit": unit.name, "d": round(distance_m)},
        unit_id=unit.pk,
        assignment_id=a.pk,
    )
    _record(None, incident, f"arrival:{unit.pk}")
    publish_incident(incident)
    return True
