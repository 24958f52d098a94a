"""Who may see which units and incidents: the organization tree read once, need-to-know sets.

Police (and the branch's administrators and auditors) see what belongs to their organization
and everything below it; partner organizations see only what is theirs or shared with them.
Live events go to a thing's organization and its ancestors, so the station and the branch
watch what their workstations do.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Count, Max

from jingwu.orgs.models import POLICE_KINDS, POLICE_ROLES, Organization, Role
from jingwu.orgs.services import Actor

#: Roles that see operational data of the police organizations they belong to (and below).
OPERATIONAL_ROLES = POLICE_ROLES | {Role.ADMIN, Role.AUDITOR}


@dataclass(frozen=True)
class OrgTree:
    """Parents, children and kinds of every organization."""

    parent: dict[int, int | None]
    kind: dict[int, str]

    @cached_property
    def children(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for child, parent in self.parent.items():
            if parent is not None:
                out.setdefault(parent, []).append(child)
        return out

    def lineage(self, org_id: int) -> tuple[int, ...]:
        """The organization and its ancestors, nearest first."""
        chain = [org_id]
        while (p := self.parent.get(chain[-1])) is not None and p not in chain:
            chain.append(p)
        return tuple(chain)

    @cached_property
    def _below(self) -> dict[int, frozenset[int]]:
        return {}

    def descendants(self, org_id: int) -> set[int]:
        """The organization and everything below it (a new set; worked out once per tree)."""
        found = self._below.get(org_id)
        if found is None:
            out, todo = set(), [org_id]
            while todo:
                o = todo.pop()
                if o not in out:
                    out.add(o)
                    todo.extend(self.children.get(o, ()))
            found = self._below[org_id] = frozenset(out)
        return set(found)

    def branch_of(self, org_id: int) -> int:
        return self.lineage(org_id)[-1]

    def police_under(self, org_id: int) -> set[int]:
        """Police organizations at or below ``org_id``."""
        return {o for o in self.descendants(org_id) if self.kind.get(o) in POLICE_KINDS}


_lock = threading.Lock()
_tree: tuple[tuple[int, int | None], OrgTree, float] | None = None
#: How long the tree is trusted without asking the database whether organizations changed.
FRESH_S = 2.0


def org_tree() -> OrgTree:
    """The organization tree, re-read when an organization was added or removed."""
    global _tree
    cached = _tree
    if cached is not None and time.monotonic() - cached[2] < FRESH_S:
        return cached[1]
    agg = Organization.objects.aggregate(n=Count("id"), m=Max("id"))
    key = (agg["n"], agg["m"])
    if cached is not None and cached[0] == key:
        _tree = (key, cached[1], time.monotonic())
        return cached[1]
    rows = list(Organization.objects.values_list("id", "parent_id", "kind"))
    tree = OrgTree({r[0]: r[1] for r in rows}, {r[0]: r[2] for r in rows})
    with _lock:
        _tree = (key, tree, time.monotonic())
    return tree


def forget_tree() -> None:
    """Drop the cached tree (tests that add organizations and look at once)."""
    global _tree
    _tree = None


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
