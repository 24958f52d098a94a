"""The organization tree (parents, children, kinds), read once per process and kept fresh.

Every authenticated request needs it (the actor's lineage, need-to-know sets, event
audiences), so it is cached (:mod:`jingwu.caching`): a change saved in this process drops it
at once (``forget_tree`` on an organization's save and delete); other processes' changes are
seen within ``caching.FRESH_S``, when one aggregate (count, highest id, a checksum of the
parent links) says whether to read the table again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.db import connection

from jingwu.caching import Checked
from jingwu.orgs.models import POLICE_KINDS, Organization


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


_TABLE = Organization._meta.db_table
_KEY_SQL = f"SELECT COUNT(*), MAX(id), SUM(COALESCE(parent_id, 0) * (id % 9973 + 1)) FROM {_TABLE}"


def _read(
    previous: tuple[tuple[object, ...], OrgTree] | None,
) -> tuple[tuple[object, ...], OrgTree]:
    """(key, tree): the previous tree again when the key says nothing was added, removed or
    moved."""
    with connection.cursor() as cursor:
        cursor.execute(_KEY_SQL)
        key = tuple(cursor.fetchone())
        if previous is not None and previous[0] == key:
            return previous
        cursor.execute(f"SELECT id, parent_id, kind FROM {_TABLE}")
        rows = cursor.fetchall()
    return key, OrgTree({r[0]: r[1] for r in rows}, {r[0]: r[2] for r in rows})


_tree = Checked(_read)


def org_tree() -> OrgTree:
    """The organization tree, re-read when an organization was added, removed or moved."""
    return _tree.get()[1]


def forget_tree() -> None:
    """Drop the cached tree (an organization was saved or deleted)."""
    _tree.forget()
