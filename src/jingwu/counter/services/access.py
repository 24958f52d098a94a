"""Who may do what at a hall: operators (the hall's clerks and officers) and heads (police of
the workstation or above it). Everyone else learns nothing about cases (404)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from jingwu.counter.models import ServicePoint
from jingwu.errors import Forbidden, NotFound
from jingwu.orgs.models import POLICE_ROLES, Organization, Role
from jingwu.orgs.services import Actor

#: Roles that staff a window: they call tickets and accept cases.
OPERATOR_ROLES = frozenset(
    {Role.CLERK, Role.POLICE_OFFICER, Role.AUXILIARY_OFFICER, Role.DUTY_OFFICER}
)
#: Roles that see every case and figure of the halls under their organization.
HEAD_ROLES = POLICE_ROLES | {Role.ADMIN, Role.AUDITOR}


def lineage(org_id: int, parents: dict[int, int | None] | None = None) -> tuple[int, ...]:
    """The organization and its ancestors, nearest first."""
    if parents is None:
        parents = dict(Organization.objects.values_list("id", "parent_id"))
    chain = [org_id]
    while (parent := parents.get(chain[-1])) is not None and parent not in chain:
        chain.append(parent)
    return tuple(chain)


def audiences(org_id: int) -> list[str]:
    """Event audiences for something at this organization: it and every ancestor."""
    return [f"org:{i}" for i in lineage(org_id)]


def is_operator(actor: Actor, point: ServicePoint) -> bool:
    """A clerk or officer of the hall's own workstation."""
    return any(
        g.organization_id == point.organization_id and g.role in OPERATOR_ROLES
        for g in actor.grants
    )


def is_head(
    actor: Actor, point: ServicePoint, parents: dict[int, int | None] | None = None
) -> bool:
    """Police of the workstation or of a station/branch above it (the workstation head)."""
    chain = set(lineage(point.organization_id, parents))
    return any(g.organization_id in chain and g.role in HEAD_ROLES for g in actor.grants)


def may_view(
    actor: Actor, point: ServicePoint, parents: dict[int, int | None] | None = None
) -> bool:
    """Operators and heads see the hall's cases and figures."""
    return is_operator(actor, point) or is_head(actor, point, parents)


def require_operator(actor: Actor, point: ServicePoint) -> int:
    """The acting person's id, if they staff this hall; else Forbidden (or 401 upstream)."""
    if not is_operator(actor, point) or actor.person_id is None:
        raise Forbidden(_("只有本警务站的窗口工作人员可以办理此操作。"))
    return actor.person_id


def require_view(actor: Actor, point: ServicePoint) -> None:
    """NotFound unless the actor may see this hall's cases and figures."""
    if not may_view(actor, point):
        raise NotFound(_("服务点不存在。"))


def viewable_points(actor: Actor) -> list[ServicePoint]:
    """The halls whose cases and figures this actor may see."""
    if not actor.grants:
        return []
    parents = dict(Organization.objects.values_list("id", "parent_id"))
    halls = ServicePoint.objects.filter(kind="hall", is_active=True).select_related("organization")
    return [p for p in halls if may_view(actor, p, parents)]


def operated_points(actor: Actor) -> list[ServicePoint]:
    """The halls this actor staffs."""
    halls = ServicePoint.objects.filter(kind="hall", is_active=True).select_related("organization")
    return [p for p in halls if is_operator(actor, p)]
