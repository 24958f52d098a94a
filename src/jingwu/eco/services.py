"""Use cases of ecological policing: zones and their chief pairs, the daily fire risk (entered,
or by the season rule), eco patrols, and joint cases moving between forestry and police.

Both sides of a zone see the whole zone: its incidents, patrols and cases. Nobody else does,
except the police commanders above the zone's police unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape

from jingwu import events
from jingwu.audit import services as audit
from jingwu.eco.models import (
    CaseStatus,
    EcoCase,
    EcoCaseEntry,
    EcoIncidentType,
    EcoPatrol,
    EcoZone,
    EntryKind,
    FireRisk,
    FireRiskReading,
    RiskSource,
)
from jingwu.errors import Forbidden, Invalid, InvalidTransition, NotFound
from jingwu.jointcmd.models import PatrolPlan
from jingwu.jointcmd.services.access import scope_ids
from jingwu.orgs.models import Role
from jingwu.orgs.services import Actor
from jingwu.orgs.tree import org_tree

#: Fujian's fire-prevention season runs from September to April; the base level per month
#: reflects the dry autumn and winter and the wet plum-rain and typhoon months.
SEASON_BASE = {1: 3, 2: 3, 3: 3, 4: 3, 5: 2, 6: 1, 7: 1, 8: 1, 9: 2, 10: 3, 11: 3, 12: 3}
#: Incident types that reach both chiefs of the zone they happen in (the incidents app's codes;
#: ``eco_damage`` is its catch-all for damage to the environment).
ECO_TYPES = frozenset(EcoIncidentType.values) | {"eco_damage"}
FIRE_TYPES = frozenset({EcoIncidentType.FIRE.value})
#: Holidays when people go up the hills (tomb sweeping, incense, outings): one level up.
HIGH_RISK_HOLIDAYS = {"Spring Festival", "Tomb-sweeping Day", "National Day"}


def holiday_name(day: date) -> str | None:
    """The official holiday on ``day`` (chinesecalendar), or None; None also outside its data."""
    import chinese_calendar

    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # a year the library has no calendar for
        return None
    return name if on_holiday else None


def season_level(day: date, holiday: str | None = None) -> int:
    """The fire-risk level the season rule gives a day: the month's base, +1 on hill holidays."""
    level = SEASON_BASE[day.month]
    if holiday in HIGH_RISK_HOLIDAYS:
        level += 1
    return min(level, int(FireRisk.EXTREME))


@dataclass(frozen=True)
class RiskOfDay:
    """A zone's fire risk on a day and where the figure came from."""

    day: date
    level: int
    source: str
    note: str = ""

    @property
    def label(self) -> str:
        return str(FireRisk(self.level).label)


def fire_risk(*, zone: EcoZone, day: date) -> RiskOfDay:
    """The level entered for the day, else the season rule's."""
    reading = FireRiskReading.objects.filter(zone=zone, day=day).first()
    if reading is not None:
        return RiskOfDay(day, reading.level, RiskSource.ENTERED, reading.note)
    holiday = holiday_name(day)
    note = _("季节规则") + (f"（{holiday}）" if holiday else "")
    return RiskOfDay(day, season_level(day, holiday), RiskSource.SEASON, note)


def risks_for(zones: list[EcoZone], day: date) -> dict[int, RiskOfDay]:
    """Each zone's fire risk on ``day`` (one query for the entered readings)."""
    entered = {r.zone_id: r for r in FireRiskReading.objects.filter(zone__in=zones, day=day)}
    holiday = holiday_name(day)
    rule = RiskOfDay(
        day,
        season_level(day, holiday),
        RiskSource.SEASON,
        _("季节规则") + (f"（{holiday}）" if holiday else ""),
    )
    return {
        z.pk: RiskOfDay(day, entered[z.pk].level, RiskSource.ENTERED, entered[z.pk].note)
        if z.pk in entered
        else rule
        for z in zones
    }


def _visible_zones(actor: Actor) -> Q:
    scope = scope_ids(actor)
    q = Q(forest_org_id__in=scope) | Q(police_org_id__in=scope)
    if actor.person_id:
        q |= Q(forest_chief_id=actor.person_id) | Q(police_chief_id=actor.person_id)
    return q


def list_zones(*, actor: Actor) -> list[EcoZone]:
    """The zones the actor is a chief, a member of either side, or a commander above, of."""
    return list(
        EcoZone.objects.filter(_visible_zones(actor))
        .select_related("forest_org", "police_org", "forest_chief", "police_chief")
        .order_by("id")
    )


def get_zone(*, actor: Actor, zone_id: int) -> EcoZone:
    """One zone the actor may see, else NotFound."""
    zone = next((z for z in list_zones(actor=actor) if z.pk == zone_id), None)
    if zone is None:
        if EcoZone.objects.filter(pk=zone_id).exists():
            audit.record(
                action="denied",
                component="eco",
                user=actor.user,
                object_type="eco_zone",
                object_id=zone_id,
                outcome="denied",
            )
        raise NotFound(_("生态区不存在。"))
    return zone


def _require_chief_side(actor: Actor, zone: EcoZone) -> None:
    sides = {zone.forest_org_id, zone.police_org_id}
    chief = actor.person_id in (zone.forest_chief_id, zone.police_chief_id)
    staff = any(
        g.organization_id in sides
        and g.role in (Role.FOREST_CHIEF, Role.GRID_POLICE_CHIEF, Role.DUTY_OFFICER, Role.COMMANDER)
        for g in actor.grants
    )
    if not (chief or staff):
        raise Forbidden(_("只有该生态区的林长、警长或值班民警可以执行此操作。"))


def set_fire_risk(
    *, actor: Actor, zone: EcoZone, day: date, level: int, now: datetime, note: str = ""
) -> FireRiskReading:
    """Enter a zone's fire-risk level for a day (replacing an earlier entry for that day)."""
    _require_chief_side(actor, zone)
    if level not in FireRisk.values:
        raise Invalid(_("火险等级须为 1 至 5。"), loc=["level"])
    today = timezone.localdate(now)
    if abs((day - today).days) > 7:
        raise Invalid(_("只能录入前后 7 天内的火险等级。"), loc=["day"])
    reading, created = FireRiskReading.objects.update_or_create(
        zone=zone,
        day=day,
        defaults={
            "level": level,
            "note": note.strip()[:200],
            "entered_by": actor.user,
            "entered_at": now,
        },
    )
    audit.record(
        action="create" if created else "update",
        component="eco",
        user=actor.user,
        object_type="fire_risk",
        object_id=reading.pk,
        detail=f"zone={zone.pk} day={day.isoformat()} level={level}",
    )
    events.publish(
        "eco.fire_risk",
        audiences=_audiences(zone),
        id=zone.pk,
        level=level,
        day=day.isoformat(),
    )
    return reading


def risk_history(*, zone: EcoZone, start: date, end: date) -> list[RiskOfDay]:
    """The zone's daily levels from ``start`` to ``end`` inclusive (at most 62 days)."""
    if end < start or (end - start).days > 61:
        raise Invalid(_("日期范围须在 62 天以内。"), loc=["start"])
    entered = {r.day: r for r in FireRiskReading.objects.filter(zone=zone, day__range=(start, end))}
    out = []
    day = start
    while day <= end:
        r = entered.get(day)
        if r is not None:
            out.append(RiskOfDay(day, r.level, RiskSource.ENTERED, r.note))
        else:
            hol = holiday_name(day)
            out.append(RiskOfDay(day, season_level(day, hol), RiskSource.SEASON, hol or ""))
        day = date.fromordinal(day.toordinal() + 1)
    return out


# ---------------------------------------------------------------- zones by point


def zones_at(*, lat: float, lon: float) -> list[EcoZone]:
    """The zones containing a WGS-84 point (zones are few: a plain scan)."""
    pt = Point(lon, lat)
    zones = EcoZone.objects.select_related("forest_org", "police_org").order_by("id")
    return [z for z in zones if shape(z.geometry).contains(pt)]


def _audiences(zone: EcoZone) -> list[str]:
    """Both sides of the zone, the commanders above the police side, and both chiefs."""
    out = {f"org:{zone.forest_org_id}"}
    out |= {f"org:{oid}" for oid in org_tree().lineage(zone.police_org_id)}
    for chief in (zone.forest_chief, zone.police_chief):
        if chief.user_id:
            out.add(f"user:{chief.user_id}")
    return sorted(out)


def zone_audiences(zone: EcoZone) -> list[str]:
    """The event audiences that follow a zone live."""
    return _audiences(zone)


def zone_incidents(*, actor: Actor, zone: EcoZone, open_only: bool = True) -> list[Any]:
    """Eco incidents inside the zone that the actor may see, most urgent first."""
    from jingwu.incidents.models import OPEN_STATUSES
    from jingwu.incidents.services.access import visible_incidents

    poly = shape(zone.geometry)
    minx, miny, maxx, maxy = poly.bounds
    qs = visible_incidents(actor=actor).filter(
        type__in=ECO_TYPES, lat__range=(miny, maxy), lon__range=(minx, maxx)
    )
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    rows = qs.select_related("organization", "workstation").order_by("priority", "-received_at")
    return [i for i in rows[:500] if poly.contains(Point(i.lon, i.lat))]


# ---------------------------------------------------------------- eco patrols


def zone_patrols(*, zone: EcoZone) -> list[PatrolPlan]:
    """The patrol plans of a zone."""
    return list(
        PatrolPlan.objects.filter(eco__zone=zone)
        .select_related("owner")
        .prefetch_related("checkpoints", "partners")
        .order_by("id")
    )


def attach_patrol(*, actor: Actor, zone: EcoZone, plan: PatrolPlan) -> EcoPatrol:
    """Make a patrol plan one of the zone's eco patrol routes."""
    _require_chief_side(actor, zone)
    link, _c = EcoPatrol.objects.get_or_create(plan=plan, defaults={"zone": zone})
    audit.record(
        action="create",
        component="eco",
        user=actor.user,
        object_type="eco_patrol",
        object_id=link.pk,
    )
    return link


# ---------------------------------------------------------------- joint cases


def _side_of(actor: Actor, zone: EcoZone) -> int:
    """The side (organization) the actor acts for in this zone."""
    scope = scope_ids(actor)
    if actor.person_id == zone.forest_chief_id or zone.forest_org_id in actor.organization_ids:
        return zone.forest_org_id
    if actor.person_id == zone.police_chief_id or zone.police_org_id in scope:
        return zone.police_org_id
    raise Forbidden(_("只有该生态区的林业或公安一方可以办理案件。"))


def _entry(case: EcoCase, kind: str, org_id: int, actor: Actor, text: str, now: datetime) -> None:
    EcoCaseEntry.objects.create(
        case=case, at=now, kind=kind, organization_id=org_id, user=actor.user, text=text
    )
    audit.record(
        action="update" if kind != EntryKind.OPENED else "create",
        component="eco",
        user=actor.user,
        object_type="eco_case",
        object_id=case.pk,
        detail=kind,
    )
    events.publish("eco.case", audiences=_audiences(case.zone), id=case.pk, status=case.status)


def open_case(
    *,
    actor: Actor,
    zone: EcoZone,
    title: str,
    kind: str,
    now: datetime,
    text: str = "",
    incident_id: int | None = None,
) -> EcoCase:
    """Open a joint case held by the opener's side. Call inside a transaction."""
    side = _side_of(actor, zone)
    if not title.strip():
        raise Invalid(_("请填写标题。"), loc=["title"])
    if kind not in EcoIncidentType.values:
        raise Invalid(_("未知的取值，请从允许的选项中选择。"), loc=["kind"])
    if incident_id is not None:
        from jingwu.incidents.services.access import visible_incidents

        if not visible_incidents(actor=actor).filter(pk=incident_id).exists():
            raise Invalid(_("警情不存在。"), loc=["incident_id"])
    case = EcoCase.objects.create(
        zone=zone,
        title=title.strip()[:200],
        kind=kind,
        holder_id=side,
        opened_at=now,
        incident_id=incident_id,
    )
    _entry(case, EntryKind.OPENED, side, actor, text.strip(), now)
    return case


def _visible_cases(actor: Actor) -> Q:
    return Q(zone__in=EcoZone.objects.filter(_visible_zones(actor)))


def list_cases(*, actor: Actor, zone: EcoZone | None = None) -> list[EcoCase]:
    """Joint cases of the zones the actor may see, newest first."""
    qs = EcoCase.objects.filter(_visible_cases(actor)).select_related("zone", "holder")
    if zone is not None:
        qs = qs.filter(zone=zone)
    return list(qs.order_by("-opened_at")[:200])


def get_case(*, actor: Actor, case_id: int) -> EcoCase:
    """One case the actor may see, else NotFound."""
    case = (
        EcoCase.objects.filter(_visible_cases(actor), pk=case_id)
        .select_related("zone__forest_chief", "zone__police_chief", "holder")
        .first()
    )
    if case is None:
        raise NotFound(_("案件不存在。"))
    return case


def add_note(*, actor: Actor, case: EcoCase, text: str, now: datetime) -> EcoCase:
    """Either side adds a line to the case's timeline."""
    side = _side_of(actor, case.zone)
    if not text.strip():
        raise Invalid(_("请填写内容。"), loc=["text"])
    _entry(case, EntryKind.NOTE, side, actor, text.strip(), now)
    return case


def transfer_case(*, actor: Actor, case: EcoCase, text: str, now: datetime) -> EcoCase:
    """The holding side hands the case to the other side (forestry ⇄ police)."""
    side = _side_of(actor, case.zone)
    if case.status != CaseStatus.OPEN:
        raise InvalidTransition(_("案件已办结，不能移交。"))
    if side != case.holder_id:
        raise Forbidden(_("只有承办一方可以移交案件。"))
    other = case.zone.police_org_id if side == case.zone.forest_org_id else case.zone.forest_org_id
    updated = EcoCase.objects.filter(pk=case.pk, holder_id=side, status=CaseStatus.OPEN).update(
        holder_id=other
    )
    if updated != 1:
        raise InvalidTransition(_("案件已被移交或办结。"))
    case.refresh_from_db()
    _entry(case, EntryKind.TRANSFERRED, side, actor, text.strip(), now)
    return case


def close_case(*, actor: Actor, case: EcoCase, text: str, now: datetime) -> EcoCase:
    """The holding side closes the case."""
    side = _side_of(actor, case.zone)
    if side != case.holder_id:
        raise Forbidden(_("只有承办一方可以办结案件。"))
    updated = EcoCase.objects.filter(pk=case.pk, status=CaseStatus.OPEN).update(
        status=CaseStatus.CLOSED, closed_at=now
    )
    if updated != 1:
        raise InvalidTransition(_("案件已办结。"))
    case.refresh_from_db()
    _entry(case, EntryKind.CLOSED, side, actor, text.strip(), now)
    return case


def case_entries(case: EcoCase) -> list[EcoCaseEntry]:
    """The case's timeline, oldest first."""
    return list(case.entries.select_related("organization", "user__person").order_by("at", "id"))


def home_panels(
    actor: Actor, *, now: datetime
) -> list[tuple[str, list[str], list[tuple[str, str]]]]:
    """The home-page panel of each zone the actor serves: fire risk, open incidents, cases."""
    out = []
    today = timezone.localdate(now)
    zones = list_zones(actor=actor)
    risks = risks_for(zones, today)
    for zone in zones[:3]:
        cases = sum(1 for c in list_cases(actor=actor, zone=zone) if c.status == CaseStatus.OPEN)
        out.append(
            (
                zone.name,
                [
                    _("今日森林火险：%(label)s") % {"label": risks[zone.pk].label},
                    _("未结生态警情 %(n)d 起") % {"n": len(zone_incidents(actor=actor, zone=zone))},
                    _("办理中联办案件 %(n)d 件") % {"n": cases},
                ],
                [(_("生态区"), f"/eco/?zone={zone.pk}")],
            )
        )
    return out
