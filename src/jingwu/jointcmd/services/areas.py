"""Joint areas: which ones an actor may see, their forces and people."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.errors import NotFound
from jingwu.jointcmd.models import JointArea
from jingwu.jointcmd.services.access import descendants, scope_ids
from jingwu.orgs.models import Membership
from jingwu.orgs.services import Actor


def force_ids(area: JointArea) -> frozenset[int]:
    """The organizations whose people work in the area: the lead's subtree and the partners."""
    ids = set(descendants(area.lead_id))
    for pid in area.partners.values_list("id", flat=True):
        ids |= descendants(pid)
    return frozenset(ids)


def list_joint_areas(*, actor: Actor) -> list[JointArea]:
    """The joint areas the actor's organizations lead, join, or command from above."""
    scope = scope_ids(actor)
    return list(
        JointArea.objects.filter(Q(lead_id__in=scope) | Q(partners__in=scope))
        .distinct()
        .select_related("lead")
        .prefetch_related("partners")
    )


def get_joint_area(*, actor: Actor, code: str) -> JointArea:
    """One joint area the actor may see, else NotFound (existence is not revealed)."""
    area = next((a for a in list_joint_areas(actor=actor) if a.code == code), None)
    if area is None:
        if JointArea.objects.filter(code=code).exists():
            audit.record(
                action="denied",
                component="jointcmd",
                user=actor.user,
                object_type="joint_area",
                object_id=code,
                outcome="denied",
            )
        raise NotFound(_("联勤区域不存在。"))
    return area


@dataclass(frozen=True)
class ForceMember:
    """A person who may be rostered in a joint area, with the force they serve in."""

    person_id: int
    name: str
    badge: str
    organization_id: int
    organization: str
    role: str


def list_people(*, area: JointArea) -> list[ForceMember]:
    """Everyone belonging to one of the area's forces (names and badges only, no personal data)."""
    rows = (
        Membership.objects.filter(organization_id__in=force_ids(area))
        .select_related("person", "organization")
        .order_by("organization_id", "person__name")
    )
    return [
        ForceMember(
            m.person_id,
            m.person.name,
            m.person.badge,
            m.organization_id,
            m.organization.name,
            m.get_role_display(),
        )
        for m in rows
    ]
