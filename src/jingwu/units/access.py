"""Who may see which units and incidents: the organization tree read once, need-to-know sets.

Police (and the branch's administrators and auditors) see what belongs to their organization
and everything below it; partner organizations see only what is theirs or shared with them.
Live events go to a thing's organization and its ancestors, so the station and the branch
watch what their workstations do.
"""

from __future__ import annotations

from jingwu.orgs.models import POLICE_KINDS, POLICE_ROLES, Role
from jingwu.orgs.services import Actor
from jingwu.orgs.tree import OrgTree, org_tree

#: Roles that see operational data of the police organizations they belong to (and below).
OPERATIONAL_ROLES = POLICE_ROLES | {Role.ADMIN, Role.AUDITOR}


def police_reach(actor: Actor, tree: OrgTree | None = None) -> frozenset[int]:
    """Organizations whose operational data the actor sees as police: theirs and below."""
    tree = tree or org_tree()
    out: set[int] = set()
    for g in actor.grants:
        if g.role in OPERATIONAL_ROLES and g.organization_kind in POLICE_KINDS:
            out |= tree.descendants(g.organization_id)
    return frozenset(out)


def police_branches(actor: Actor, tree: OrgTree | None = None) -> frozenset[int]:
    """The branches in which the actor works as police."""
    tree = tree or org_tree()
    return frozenset(
        tree.branch_of(g.organization_id)
        for g in actor.grants
        if g.role in OPERATIONAL_ROLES and g.organization_kind in POLICE_KINDS
    )


def audiences(*org_ids: int | None, tree: OrgTree | None = None) -> list[str]:
    """Event audiences for things owned by these organizations: each and its ancestors."""
    tree = tree or org_tree()
    out: set[str] = set()
    for o in org_ids:
        if o is not None:
            out.update(f"org:{x}" for x in tree.lineage(o))
    return sorted(out)


def branch_audiences(org_id: int, tree: OrgTree | None = None) -> list[str]:
    """Every police organization of ``org_id``'s branch (the whole district's map sees it)."""
    tree = tree or org_tree()
    return sorted(f"org:{o}" for o in tree.police_under(tree.branch_of(org_id)))
