"""The fleet: which units an actor sees, their statuses, and claiming a unit for a call.

A unit is claimed and released only by conditional updates (``UPDATE … WHERE status IN …``
with a row-count check), so two duty officers sending the same unit at the same moment
cannot both succeed, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from jingwu import events
from jingwu.audit import services as audit
from jingwu.engine.dispatch import UnitSnapshot
from jingwu.errors import Conflict, InvalidTransition, NotFound
from jingwu.orgs.services import Actor
from jingwu.orgs.tree import org_tree
from jingwu.units.access import audiences, branch_audiences, police_branches
from jingwu.units.models import (
    DISPATCHABLE,
    ON_CALL,
    UNIT_TRANSITIONS,
    Shift,
    Tier,
    Unit,
    UnitStatus,
)

#: A position fix older than this is shown as stale.
STALE_AFTER_S = 120.0
#: Statuses a unit may report for itself (the rest follow its incident).
SELF_REPORTED = frozenset({UnitStatus.AVAILABLE, UnitStatus.OFF_DUTY})


def on_duty_now(now: datetime) -> Exists:
    """A filter expression: the unit has a shift covering ``now``."""
    return Exists(Shift.objects.filter(unit=OuterRef("pk"), starts_at__lte=now, ends_at__gt=now))


def visible_units(
    *, actor: Actor, workstation_id: int | None = None, status: str | None = None
) -> QuerySet[Unit]:
    """Units the actor sees: every unit of the branches they police, and their own org's."""
    tree = org_tree()
    police = set()
    for b in police_branches(actor, tree):
        police |= tree.police_under(b)
    qs = Unit.objects.filter(
        Q(workstation_id__in=police) | Q(organization_id__in=actor.organization_ids),
        is_active=True,
    )
    if workstation_id is not None:
        qs = qs.filter(workstation_id=workstation_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("tier", "workstation", "organization").order_by("tier_id", "code")


def get_unit(*, actor: Actor, unit_id: int, loc: Iterable[str] = ()) -> Unit:
    """One unit the actor may see, else NotFound (its existence is not revealed)."""
    unit = visible_units(actor=actor).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("巡防力量不存在。"), loc=list(loc))
    return unit


def list_tiers() -> list[Tier]:
    """The configured tiers, lowest level first."""
    return list(Tier.objects.order_by("level"))


def tier_names() -> dict[int, str]:
    return dict(Tier.objects.values_list("level", "name"))


def unit_dict(unit: Unit, *, now: datetime, on_duty: bool | None = None) -> dict[str, Any]:
    """A unit as the API and the console show it (no personal data: names of members only)."""
    age = (now - unit.last_fix_at).total_seconds() if unit.last_fix_at else None
    return {
        "id": unit.pk,
        "code": unit.code,
        "name": unit.name,
        "tier": unit.tier_id,
        "tier_name": unit.tier.name,
        "mode": unit.mode,
        "mode_label": unit.get_mode_display(),
        "workstation_id": unit.workstation_id,
        "workstation": unit.workstation.name,
        "organization": unit.organization.name,
        "skills": list(unit.skills or []),
        "status": unit.status,
        "status_label": unit.get_status_display(),
        "current_incident_id": unit.current_incident_id,
        "on_duty": on_duty,
        "lat": unit.last_lat,
        "lon": unit.last_lon,
        "accuracy_m": unit.last_accuracy_m,
        "fix_at": unit.last_fix_at,
        "fix_age_s": round(age, 1) if age is not None else None,
        "stale": age is None or age > STALE_AFTER_S,
    }


def publish_unit(unit: Unit) -> None:
    """Tell every police console of the unit's branch (and its own organization) it changed."""
    tree = org_tree()
    events.publish(
        "unit.updated",
        audiences=[
            *branch_audiences(unit.workstation_id, tree),
            *audiences(unit.organization_id, tree=tree),
        ],
        id=unit.pk,
        status=unit.status,
        incident_id=unit.current_incident_id,
        lat=unit.last_lat,
        lon=unit.last_lon,
    )


def claim_unit(*, unit_id: int, incident_id: int, now: datetime) -> Unit:
    """Mark a free, on-duty unit as dispatched to ``incident_id``, or raise Conflict.

    One conditional UPDATE decides: whoever changes the row first has the unit.
    """
    claimed = (
        Unit.objects.filter(pk=unit_id, is_active=True, status__in=DISPATCHABLE)
        .filter(on_duty_now(now))
        .update(
            status=UnitStatus.DISPATCHED,
            current_incident_id=incident_id,
            status_changed_at=now,
        )
    )
    unit = (
        Unit.objects.select_related("tier", "workstation", "organization")
        .filter(pk=unit_id)
        .first()
    )
    if unit is None:
        raise NotFound(_("巡防力量不存在。"), loc=["unit_id"])
    if claimed == 1:
        publish_unit(unit)
        return unit
    if unit.status in ON_CALL and unit.current_incident_id == incident_id:
        raise Conflict(_("%(unit)s 已派往本警情。") % {"unit": unit.name}, loc=["unit_id"])
    if unit.status in ON_CALL:
        raise Conflict(
            _("%(unit)s 正在处置另一起警情（#%(other)s），不能重复派出。")
            % {"unit": unit.name, "other": unit.current_incident_id},
            loc=["unit_id"],
        )
    raise Conflict(
        _("%(unit)s 不在岗（不在班次内或未上线），不能派出。") % {"unit": unit.name},
        loc=["unit_id"],
    )


def release_unit(*, unit_id: int, incident_id: int, to: str, now: datetime) -> Unit | None:
    """Free a unit from ``incident_id`` (to available or returning); None if it was not on it."""
    changed = Unit.objects.filter(
        pk=unit_id, current_incident_id=incident_id, status__in=ON_CALL
    ).update(status=to, current_incident_id=None, status_changed_at=now)
    if changed != 1:
        return None
    unit = Unit.objects.get(pk=unit_id)
    publish_unit(unit)
    return unit


def set_units_status_for_incident(
    *, incident_id: int, unit_ids: Iterable[int], to: str, now: datetime
) -> list[Unit]:
    """Move the incident's units that may make the step to ``to`` (en route, on scene, free).

    Units that already are further along (or elsewhere) are left alone.
    """
    sources = [s for s, targets in UNIT_TRANSITIONS.items() if to in targets and s in ON_CALL]
    keep_call = to in ON_CALL
    qs = Unit.objects.filter(
        pk__in=list(unit_ids), current_incident_id=incident_id, status__in=sources
    )
    ids = list(qs.select_for_update().values_list("id", flat=True))
    if not ids:
        return []
    Unit.objects.filter(pk__in=ids, status__in=sources).update(
        status=to,
        status_changed_at=now,
        **({} if keep_call else {"current_incident_id": None}),
    )
    units = list(Unit.objects.filter(pk__in=ids))
    for u in units:
        publish_unit(u)
    return units


def set_status(*, actor: Actor, unit: Unit, to: str, now: datetime) -> Unit:
    """A unit's own report: signed on (available) or off (off duty); back at post (available).

    Signing on needs a shift covering now. Calls are left through the incident, not here.
    """
    if to not in SELF_REPORTED:
        raise InvalidTransition(_("此处只能上报“空闲”或“不在岗”；出警状态随警情变更。"), loc=["to"])
    if to == unit.status:
        return unit
    if to not in UNIT_TRANSITIONS.get(unit.status, frozenset()):
        raise InvalidTransition(
            _("不能从“%(a)s”变为“%(b)s”。")
            % {"a": UnitStatus(unit.status).label, "b": UnitStatus(to).label},
            loc=["to"],
        )
    qs = Unit.objects.filter(pk=unit.pk, status=unit.status)
    if to == UnitStatus.AVAILABLE:
        qs = qs.filter(on_duty_now(now))
    changed = qs.update(
        status=to,
        status_changed_at=now,
        **({"current_incident_id": None} if to == UnitStatus.OFF_DUTY else {}),
    )
    if changed != 1:
        fresh = Unit.objects.get(pk=unit.pk)
        if fresh.status != unit.status:
            raise Conflict(_("状态已被他人更新，请刷新后重试。"), loc=["to"])
        raise Conflict(_("当前不在班次内，不能上线。"), loc=["to"])
    unit.refresh_from_db()
    audit.record(
        action="update",
        component="units",
        user=actor.user,
        organization_id=unit.organization_id,
        object_type="unit",
        object_id=unit.pk,
        detail=f"status->{to}",
    )
    publish_unit(unit)
    return unit


def dispatch_snapshots(
    *,
    branch_ids: Iterable[int] = (),
    now: datetime,
    organization_ids: Iterable[int] | None = None,
    unit_ids: Iterable[int] | None = None,
) -> list[UnitSnapshot]:
    """Every active unit of these branches as the dispatch engine reads it; with
    ``organization_ids``, only the units those organizations own (a partner force's own); with
    ``unit_ids``, just those units, whoever owns them.

    A unit counts as available only when it is free *and* on shift now; a returning unit is
    free (it is on its way back, not on a call).
    """
    if unit_ids is not None:
        units = Unit.objects.filter(is_active=True, pk__in=list(unit_ids))
    elif organization_ids is not None:
        units = Unit.objects.filter(is_active=True, organization_id__in=list(organization_ids))
    else:
        tree = org_tree()
        police: set[int] = set()
        for b in branch_ids:
            police |= tree.police_under(b)
        units = Unit.objects.filter(is_active=True, workstation_id__in=police)
    rows = (
        units
        .annotate(on_duty=on_duty_now(now))
        .values(
            "id", "name", "mode", "tier_id", "status", "skills", "last_lat", "last_lon",
            "last_fix_at", "on_duty",
        )
    )  # fmt: skip
    out = []
    for r in rows:
        status = r["status"]
        if status in DISPATCHABLE:
            status = UnitStatus.AVAILABLE if r["on_duty"] else UnitStatus.OFF_DUTY
        out.append(
            UnitSnapshot(
                id=r["id"],
                lat=r["last_lat"] if r["last_lat"] is not None else float("nan"),
                lon=r["last_lon"] if r["last_lon"] is not None else float("nan"),
                mode=r["mode"],
                tier=r["tier_id"],
                status=str(status),
                skills=frozenset(r["skills"] or ()),
                fix_time=r["last_fix_at"] or now,
                name=r["name"],
            )
        )
    return out
