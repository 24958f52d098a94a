"""Who sees and who may change what: the one visibility filter for cases, leads and meetings.

A case is visible to (1) its participants and (2) the police of its jurisdiction — a police
role in a police unit (branch, station, workstation, police room) whose area contains the
case's point, as stored on the case at creation. Nobody else sees it: not in lists, not by id
(404), not in search, counts, figures or exports. Every read path starts from
``visible_cases(actor)``.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from jingwu.areas.models import Area
from jingwu.areas.services import clean_point, locate
from jingwu.disputes.models import (
    MEDIATOR_ROLES,
    Case,
    GroupMember,
    JointMeeting,
    Lead,
    MeetingAttendee,
    Participant,
    ParticipantRole,
)
from jingwu.errors import Forbidden, NotFound
from jingwu.orgs.models import POLICE_KINDS, POLICE_ROLES
from jingwu.orgs.services import Actor

#: The organization columns of ``Jurisdiction``, outermost first.
JURISDICTION_ORGS = ("branch_org", "station_org", "workstation_org", "room_org", "grid_org")
_LEVEL_FIELDS = {
    "branch": "branch",
    "station": "station",
    "workstation": "workstation",
    "police_room": "room",
    "grid": "grid",
}


def police_org_ids(actor: Actor) -> frozenset[int]:
    """The police units in which the actor holds a police role."""
    return frozenset(
        g.organization_id
        for g in actor.grants
        if g.role in POLICE_ROLES and g.organization_kind in POLICE_KINDS
    )


def _jurisdiction_q(police: frozenset[int], prefix: str = "") -> Q:
    return reduce(or_, (Q(**{f"{prefix}{f}__in": police}) for f in JURISDICTION_ORGS))


def visible_cases(actor: Actor) -> QuerySet[Case]:
    """The cases this actor may see: those they take part in and those of their jurisdiction."""
    if not actor.is_authenticated:
        return Case.objects.none()
    conditions: list[Q] = []
    if actor.person_id is not None:
        mine = Participant.objects.filter(case=OuterRef("pk"), person_id=actor.person_id)
        conditions.append(Q(Exists(mine)))
    police = police_org_ids(actor)
    if police:
        conditions.append(_jurisdiction_q(police))
    if not conditions:
        return Case.objects.none()
    return Case.objects.filter(reduce(or_, conditions))


def visible_leads(actor: Actor) -> QuerySet[Lead]:
    """Leads of the actor's directors' groups, and leads in the actor's police jurisdiction."""
    if not actor.is_authenticated:
        return Lead.objects.none()
    conditions: list[Q] = []
    if actor.person_id is not None:
        member = GroupMember.objects.filter(group=OuterRef("group"), person_id=actor.person_id)
        conditions.append(Q(Exists(member)))
    police = police_org_ids(actor)
    if police:
        conditions.append(_jurisdiction_q(police) | Q(group__workstation_id__in=police))
    if not conditions:
        return Lead.objects.none()
    return Lead.objects.filter(reduce(or_, conditions))


def visible_meetings(actor: Actor) -> QuerySet[JointMeeting]:
    """Meetings the actor attends, of a workstation whose group they are in, or whose police
    (the workstation, the rooms under it, its station and branch) they belong to."""
    if not actor.is_authenticated:
        return JointMeeting.objects.none()
    conditions: list[Q] = []
    if actor.person_id is not None:
        attends = MeetingAttendee.objects.filter(meeting=OuterRef("pk"), person_id=actor.person_id)
        member = GroupMember.objects.filter(
            group__workstation=OuterRef("workstation"), person_id=actor.person_id
        )
        conditions += [Q(Exists(attends)), Q(Exists(member))]
    police = police_org_ids(actor)
    if police:
        below_or_at = {oid for p in police for oid in actor.lineage.get(p, (p,))}
        conditions.append(
            Q(workstation_id__in=below_or_at)
            | Q(workstation__parent_id__in=police)
            | Q(workstation__parent__parent_id__in=police)
        )
    if not conditions:
        return JointMeeting.objects.none()
    return JointMeeting.objects.filter(reduce(or_, conditions))


def get_case(*, actor: Actor, case_id: int, for_update: bool = False) -> Case:
    """One case the actor may see, else NotFound — the same answer as for a case that does
    not exist, so its existence is not revealed."""
    qs = visible_cases(actor).filter(pk=case_id)
    case = qs.first()
    if case is None:
        raise NotFound(_("案件不存在。"))
    if for_update:
        # Lock the row itself (the visibility filter's subquery cannot be locked on PostgreSQL).
        case = Case.objects.select_for_update().get(pk=case.pk)
    return case


def get_lead(*, actor: Actor, lead_id: int) -> Lead:
    """One lead the actor may see, else NotFound."""
    lead = visible_leads(actor).filter(pk=lead_id).select_related("group").first()
    if lead is None:
        raise NotFound(_("线索不存在。"))
    return lead


def get_meeting(*, actor: Actor, meeting_id: int) -> JointMeeting:
    """One meeting the actor may see, else NotFound."""
    meeting = visible_meetings(actor).filter(pk=meeting_id).select_related("workstation").first()
    if meeting is None:
        raise NotFound(_("会议不存在。"))
    return meeting


def is_police_of(actor: Actor, obj: Case | Lead) -> bool:
    """True when the actor is police of a unit whose area contains the case or lead."""
    return bool(police_org_ids(actor) & obj.jurisdiction_org_ids())


def participant_role(actor: Actor, case: Case) -> str | None:
    """The actor's role in the case, or None."""
    if actor.person_id is None:
        return None
    return (
        Participant.objects.filter(case=case, person_id=actor.person_id)
        .values_list("role", flat=True)
        .first()
    )


def may_manage(actor: Actor, case: Case) -> bool:
    """Police of the jurisdiction and the case's mediators move it on and add people."""
    return is_police_of(actor, case) or participant_role(actor, case) in MEDIATOR_ROLES


def require_manage(actor: Actor, case: Case) -> None:
    """Forbidden unless the actor may manage the case (they can already see it)."""
    if not may_manage(actor, case):
        raise Forbidden(_("只有本案调解员或辖区民警可以进行此操作。"))


def require_timeline_writer(actor: Actor, case: Case) -> None:
    """Mediators, experts and the jurisdiction's police record steps; parties and observers read."""
    role = participant_role(actor, case)
    if not (is_police_of(actor, case) or role in MEDIATOR_ROLES or role == ParticipantRole.EXPERT):
        raise Forbidden(_("当事方和列席人员只能查看进展，不能添加记录。"))


def jurisdiction_of(*, actor: Actor, lat: object, lon: object, crs: str = "wgs84") -> dict:
    """The point (WGS-84) and the ``Jurisdiction`` field values for it.

    The point must lie in the actor's branch (``areas.services.locate`` refuses it otherwise).
    """
    refs = locate(actor=actor, lat=lat, lon=lon, crs=crs)
    wlat, wlon = clean_point(lat=lat, lon=lon, crs=crs)
    ids = {level: ref.id for level, ref in refs.items() if ref is not None}
    owners = dict(Area.objects.filter(id__in=ids.values()).values_list("id", "organization_id"))
    values: dict[str, object] = {"lat": wlat, "lon": wlon}
    for level, prefix in _LEVEL_FIELDS.items():
        area_id = ids.get(level)
        values[f"{prefix}_area_id"] = area_id
        values[f"{prefix}_org_id"] = owners.get(area_id) if area_id else None
    return values


def audiences_for(obj: Case | Lead, *, extra_org_ids: set[int] | None = None) -> list[str]:
    """Event audiences: the jurisdiction's police units, plus the organizations given."""
    orgs = obj.jurisdiction_org_ids() | (extra_org_ids or set())
    return [f"org:{oid}" for oid in sorted(orgs)]
