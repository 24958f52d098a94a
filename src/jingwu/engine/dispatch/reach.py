"""Where each unit can get within a short budget: one forward search per position fix.

The incident-side path (``ranking``) runs one reverse search per incident. For short budgets a
fleet's reach can be prepared instead when the fixes arrive: each unit's forward search from
its snapped street position (``roads.search(direction="from")``, the same tiles and virtual
start node) gives the time to every node within the budget ``B``; an inverted index maps each
node to the units that reach it and their times. An incident with a budget ``<= B`` then needs
no search: snapped to its segment ``a``–``b`` at fraction ``t``, a unit's time is the smaller of
(time to ``a``) + (the rest of a→b up to the point) and (time to ``b``) + (the rest of b→a),
or the straight run along the segment when the unit is on the same one — exactly what the
reverse search computes (``TimeField.times_from_ends``), summed from the other end: the
float sums are the same terms in the other order, so a unit's time agrees to about 1e-12 s
(not always to the last bit). Rankings are the same except when the budget or a tie between
two units falls within that of an ETA (a budget equal to an ETA to the last bit).

Layout per mode: a *base* of entries sorted by node (node, slot, time) and a small sorted
*delta* of the entries added since; a fix gives the unit a new slot, whose entries go into the
delta, and marks the old slot dead (``slot_row = -1``). When dead and delta entries grow past a
share of the base, both are merged into a new base (a stable merge of two sorted runs).
``slot_row`` maps a slot to the unit's row on the board. An incident with a few units at its
segment's ends reads them one by one from memoryviews (``times_to_rows``: no numpy call), the
delta's by blocks of nodes (``_ModeReach.views``, rebuilt at the fix, not at the ranking).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..plain import plain_view
from ..roads import RoadGraph, Snap, search
from ..roads.bounded import target_offsets

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

COMPACT_SHARE = 0.25
"""Merge the delta into the base when dead plus delta entries exceed this share of the base."""

COMPACT_MIN = 20_000
"""… and at least this many entries (small fleets keep a delta of a few units)."""

DELTA_BLOCK_SHIFT = 6
"""The delta is found by blocks of 64 nodes (``_ModeReach.views``), then by bisection."""


@dataclass
class _ModeReach:
    """The inverted index of one mode: base and delta runs sorted by node; the base's entries
    of node ``n`` are ``ptr[n] : ptr[n + 1]``."""

    n_nodes: int
    ptr: I64 = field(default_factory=lambda: np.zeros(1, np.int64))
    nodes: I32 = field(default_factory=lambda: np.empty(0, np.int32))
    slots: I32 = field(default_factory=lambda: np.empty(0, np.int32))
    times: F64 = field(default_factory=lambda: np.empty(0, np.float64))
    d_nodes: I32 = field(default_factory=lambda: np.empty(0, np.int32))
    d_slots: I32 = field(default_factory=lambda: np.empty(0, np.int32))
    d_times: F64 = field(default_factory=lambda: np.empty(0, np.float64))
    slot_row: I64 = field(default_factory=lambda: np.empty(0, np.int64))
    n_slots: int = 0
    dead: int = 0  # entries of dead slots still in base or delta
    slot_size: dict[int, int] = field(default_factory=dict)  # live slot -> its entries
    slot_of: dict[int | str, int] = field(default_factory=dict)  # unit id -> its live slot
    _views: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)

    def views(self) -> tuple[Any, ...]:
        """(ptr, slots, times, d_nodes, d_slots, d_times, slot_row, d_block) as memoryviews:
        one element or a slice read costs no numpy call, and touches one place in memory.
        Rebuilt after the arrays are replaced; ``d_block[k]`` is where the delta's entries of
        nodes ``k << DELTA_BLOCK_SHIFT`` and up start (a node's are found in a short run)."""
        v = self._views
        if v is None:
            bounds = np.arange(0, self.n_nodes + (2 << DELTA_BLOCK_SHIFT), 1 << DELTA_BLOCK_SHIFT)
            d_block = self.d_nodes.searchsorted(bounds) if self.d_nodes.size else bounds[:0]
            arrays: list[npt.NDArray[Any]] = [
                self.ptr, self.slots, self.times, self.d_nodes, self.d_slots, self.d_times,
                self.slot_row, d_block,
            ]  # fmt: skip
            v = self._views = tuple(plain_view(a) for a in arrays)
        return v

    def new_slot(self, unit_id: int | str, row: int) -> int:
        if self.n_slots == self.slot_row.size:
            grown = np.full(max(16, 2 * self.slot_row.size), -1, np.int64)
            grown[: self.slot_row.size] = self.slot_row
            self.slot_row = grown
            self._views = None
        slot = self.n_slots
        self.n_slots += 1
        self.slot_row[slot] = row
        self.slot_of[unit_id] = slot
        return slot

    def add(self, slot: int, nodes: I64, times: F64) -> None:
        order = np.argsort(nodes, kind="stable")
        nodes32, times = nodes[order].astype(np.int32), times[order]
        at = np.searchsorted(self.d_nodes, nodes32, side="right")
        self.d_nodes = np.insert(self.d_nodes, at, nodes32)
        self.d_slots = np.insert(self.d_slots, at, np.full(nodes32.size, slot, np.int32))
        self.d_times = np.insert(self.d_times, at, times)
        self.slot_size[slot] = int(nodes32.size)
        self._views = None

    def kill(self, unit_id: int | str) -> None:
        slot = self.slot_of.pop(unit_id)
        self.slot_row[slot] = -1
        self.dead += self.slot_size.pop(slot, 0)

    def maybe_compact(self) -> None:
        pending = self.dead + self.d_nodes.size
        if pending > max(COMPACT_MIN, COMPACT_SHARE * self.nodes.size):
            self.compact()

    def compact(self) -> None:
        """Merge base and delta without the dead entries; renumber the live slots 0..L-1."""
        nodes = np.concatenate([self.nodes, self.d_nodes])
        slots = np.concatenate([self.slots, self.d_slots])
        times = np.concatenate([self.times, self.d_times])
        live = self.slot_row[slots] >= 0
        nodes, slots, times = nodes[live], slots[live], times[live]
        order = np.argsort(nodes, kind="stable")  # two sorted runs: a linear merge
        live_slots = np.flatnonzero(self.slot_row[: self.n_slots] >= 0)
        renumber = np.full(max(self.n_slots, 1), -1, np.int32)
        renumber[live_slots] = np.arange(live_slots.size, dtype=np.int32)
        self.nodes, self.times = nodes[order], times[order]
        self.ptr = np.searchsorted(self.nodes, np.arange(self.n_nodes + 1, dtype=np.int32))
        self.slots = renumber[slots[order]]
        self.slot_row = self.slot_row[live_slots].copy()
        self.n_slots = int(live_slots.size)
        self.slot_size = {int(renumber[s]): n for s, n in self.slot_size.items()}
        self.slot_of = {u: int(renumber[s]) for u, s in self.slot_of.items()}
        self.d_nodes = np.empty(0, np.int32)
        self.d_slots = np.empty(0, np.int32)
        self.d_times = np.empty(0, np.float64)
        self.dead = 0
        self._views = None

    def at_node(self, node: int) -> tuple[I64, F64]:
        """(board rows, times to ``node``) of the live units reaching it."""
        i0 = i1 = 0
        if node + 1 < self.ptr.size:
            i0, i1 = self.ptr.item(node), self.ptr.item(node + 1)
        j0 = j1 = 0
        if self.d_nodes.size:
            key = np.array((node, node + 1), np.int32)  # the run's dtype: no cast of the run
            j0, j1 = self.d_nodes.searchsorted(key).tolist()
        if j1 > j0:
            slots = np.concatenate([self.slots[i0:i1], self.d_slots[j0:j1]])
            times = np.concatenate([self.times[i0:i1], self.d_times[j0:j1]])
        else:
            slots, times = self.slots[i0:i1], self.times[i0:i1]
        rows = self.slot_row[slots]
        if not self.dead:
            return rows, times
        keep = rows >= 0
        return rows[keep], times[keep]

    @property
    def nbytes(self) -> int:
        arrays = (self.nodes, self.slots, self.times, self.d_nodes, self.d_slots, self.d_times)
        return sum(a.nbytes for a in arrays) + self.slot_row.nbytes + self.ptr.nbytes


_NONE: set[int | str] = set()


class ReachIndex:
    """Node → (units, times) within ``budget_s`` for every unit placed on it, per mode.

    ``place`` records a unit's snapped position (one forward search), ``forget`` removes it;
    ``times_to`` gives every unit's time to an incident's snapped position in one read.
    """

    def __init__(self, graph: RoadGraph, budget_s: float) -> None:
        if not (math.isfinite(budget_s) and budget_s > 0):
            raise ValueError("reach budget must be a positive number of seconds")
        self.graph, self.budget_s = graph, float(budget_s)
        self._modes: dict[str, _ModeReach] = {}
        self._where: dict[int | str, str] = {}  # unit id -> the mode it is indexed in
        self._segment_of: dict[int | str, tuple[str, int, int]] = {}
        self._on_segment: dict[tuple[str, int, int], set[int | str]] = {}

    def covers(self, mode: str, budget_s: float) -> bool:
        return budget_s <= self.budget_s and mode in self.graph.rev  # rev and fwd: same modes

    def place(self, unit_id: int | str, row: int, position: Snap | None) -> None:
        """Record the unit's position (None: not on the network) at board row ``row``."""
        self.forget(unit_id, shift=False)
        if position is None:
            return
        mode = position.mode
        reach = self._modes.get(mode)
        if reach is None:
            reach = self._modes[mode] = _ModeReach(self.graph.n_nodes)
        field_, _ = search(self.graph, position, self.budget_s, direction="from")
        nodes, times = field_.reached()
        reach.add(reach.new_slot(unit_id, row), nodes, times)
        self._where[unit_id] = mode
        key = (mode, position.a, position.b)
        self._segment_of[unit_id] = key
        self._on_segment.setdefault(key, set()).add(unit_id)
        reach.maybe_compact()
        reach.views()  # the fix pays for the read structures, not the next ranking

    def forget(self, unit_id: int | str, *, shift: bool = True, row: int = -1) -> None:
        """Drop the unit's entries; with ``shift``, board rows after ``row`` move up one."""
        mode = self._where.pop(unit_id, None)
        if mode is not None:
            self._modes[mode].kill(unit_id)
            key = self._segment_of.pop(unit_id)
            ids = self._on_segment[key]
            ids.discard(unit_id)
            if not ids:
                del self._on_segment[key]
        if shift and row >= 0:
            for reach in self._modes.values():
                sr = reach.slot_row[: reach.n_slots]
                sr[sr > row] -= 1

    def times_to(self, target: Snap, n_rows: int) -> tuple[F64, I64]:
        """Per board row, the time from the unit's indexed position to ``target`` via the ends
        of ``target``'s segment (inf if not within the index's budget), and the rows found.

        The caller adds the units on ``target``'s own segment (``on_segment``) and applies
        the ranking's budget.
        """
        out = np.full(n_rows, np.inf)
        reach = self._modes.get(target.mode)
        if reach is None:
            return out, np.empty(0, np.int64)
        (na, via_a), (nb, via_b) = target_offsets(target, "to")
        found: list[I64] = []
        for node, via in ((na, via_a), (nb, via_b)):
            if not math.isfinite(via):
                continue
            rows, times = reach.at_node(node)
            if found:
                out[rows] = np.minimum(out[rows], times + via)
            else:
                out[rows] = times + via
            found.append(rows)
        if not found:
            return out, np.empty(0, np.int64)
        return out, (np.concatenate(found) if len(found) > 1 else found[0])

    def times_to_rows(self, target: Snap, limit: int = 256) -> dict[int, float] | None:
        """``times_to`` for the rows found only, as {board row: time} (same sums and minima),
        read entry by entry from memoryviews (a few units: no arrays to build); None when an
        end of the segment holds more than ``limit`` entries, live or dead (a dense fleet: the
        arrays of ``times_to`` are faster then)."""
        (a, via_a), (b, via_b) = target_offsets(target, "to")
        return self.rows_at(target.mode, a, via_a, b, via_b, limit)

    def rows_at(
        self, mode: str, a: int, via_a: float, b: int, via_b: float, limit: int
    ) -> dict[int, float] | None:
        """``times_to_rows`` of a point on the segment ``a``–``b``, ``via_a`` (``via_b``) being
        the time from ``a`` (``b``) to it (``target_offsets``)."""
        reach = self._modes.get(mode)
        out: dict[int, float] = {}
        if reach is None:
            return out
        ptr, slots, times, d_nodes, d_slots, d_times, slot_row, d_block = reach.views()
        for node, via in ((a, via_a), (b, via_b)):
            if not via < math.inf:  # ``math.isfinite``: ``via`` is never NaN nor negative
                continue
            i0 = i1 = j0 = j1 = 0
            if node + 1 < len(ptr):
                i0, i1 = ptr[node], ptr[node + 1]
            block = node >> DELTA_BLOCK_SHIFT
            if block + 1 < len(d_block):  # the delta's entries of the node's block, bisected
                lo, hi = d_block[block], d_block[block + 1]
                if hi > lo:
                    j0 = j1 = bisect_left(d_nodes, node, lo, hi)
                    while j1 < hi and d_nodes[j1] == node:
                        j1 += 1
            if i1 - i0 + j1 - j0 > limit:
                return None
            for j in range(i0, i1):  # a few entries: read one by one, no lists
                r = slot_row[slots[j]]
                if r >= 0:  # else a dead slot
                    v = times[j] + via
                    if v < out.get(r, math.inf):
                        out[r] = v
            for j in range(j0, j1):
                r = slot_row[d_slots[j]]
                if r >= 0:
                    v = d_times[j] + via
                    if v < out.get(r, math.inf):
                        out[r] = v
        return out

    def on_segment(self, mode: str, a: int, b: int) -> set[int | str]:
        """Ids of the units placed on the segment ``a``–``b`` in ``mode``."""
        return self._on_segment.get((mode, a, b), _NONE)

    @property
    def entries(self) -> int:
        return sum(r.nodes.size + r.d_nodes.size - r.dead for r in self._modes.values())

    @property
    def nbytes(self) -> int:
        return sum(r.nbytes for r in self._modes.values())

    def compact(self) -> None:
        for reach in self._modes.values():
            reach.compact()
