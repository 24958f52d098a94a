"""Who may see and run what in joint command: organization scopes and staff roles.

An actor's *scope* is each organization they belong to and every organization below it, so a
branch commander sees the whole branch, a workstation's duty officer sees the workstation and
its police rooms, and a partner force sees only itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from jingwu.errors import Forbidden
from jingwu.orgs.models import Organization, Role
from jingwu.orgs.services import Actor

#: Roles that run a unit's joint work: rosters, sharing rules, patrol plans and their QR codes.
#: A grid police chief leads the police side of his area (鼓岭's 警长 runs the eco patrols).
STAFF_ROLES = (Role.COMMANDER, Role.DUTY_OFFICER, Role.GRID_POLICE_CHIEF, Role.ADMIN)


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for oid, parent in Organization.objects.values_list("id", "parent_id"):
        if parent is not None:
            out.setdefault(parent, []).append(oid)
    return out


def _below(roots: Iterable[int], children: dict[int, list[int]]) -> frozenset[int]:
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        oid = stack.pop()
        if oid not in seen:
            seen.add(oid)
            stack.extend(children.get(oid, ()))
    return frozenset(seen)


def scope_ids(actor: Actor) -> frozenset[int]:
    """The actor's organizations and all organizations below them (cached on the actor)."""
    cached = actor.__dict__.get("_jointcmd_scope")
    if cached is None:
        cached = _below(actor.organization_ids, _children())
        actor.__dict__["_jointcmd_scope"] = cached
    return cached  # type: ignore[no-any-return]


def staff_scope_ids(actor: Actor) -> frozenset[int]:
    """The organizations the actor runs as a commander, duty officer or administrator."""
    roots = [g.organization_id for g in actor.grants if g.role in STAFF_ROLES]
    return _below(roots, _children()) if roots else frozenset()


def sees_any(actor: Actor, org_ids: Iterable[int]) -> bool:
    """True when one of ``org_ids`` is within the actor's scope."""
    return not scope_ids(actor).isdisjoint(org_ids)


def require_staff(actor: Actor, org_id: int) -> None:
    """Raise Forbidden unless the actor is staff of ``org_id`` or of a unit above it."""
    if org_id not in staff_scope_ids(actor):
        raise Forbidden(_("只有该单位的值班民警、网格警长或指挥员可以执行此操作。"))


def descendants(org_id: int) -> frozenset[int]:
    """``org_id`` and every organization below it."""
    return _below([org_id], _children())
