"""Bounded travel-time search: one reverse Dijkstra from the incident serves every unit.

The search runs scipy's ``csgraph.dijkstra`` (compiled) with ``limit=budget``. Two things keep
it cheap on a large graph:

- **A virtual start node.** A point lies inside an edge; the virtual node's two out-edges carry
  the partial-edge times to the edge's ends, so the result is exact for points, not nodes.
- **Pruning by top speed.** No node farther than ``budget × top speed`` (straight line) can be
  reached within the budget, and neither can any node on the way to it. When those nodes are a
  small share of the graph, the search runs on that subgraph only (a few contiguous index
  ranges, thanks to the spatial node order); otherwise on the whole graph, whose virtual-node
  slots are written under a lock.
"""

from __future__ import annotations

import bisect
import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .graph import F64, I64, ModeCSR, RoadGraph
from .snapping import DEFAULT_MAX_SNAP_M, Snap, Snaps, snap, times_to_ends

SUBGRAPH_MAX_SHARE = 0.15
"""Above this share of the nodes, searching the whole graph is cheaper than cutting it out."""


@dataclass(frozen=True)
class _Ranges:
    """Global node ids ``starts[k] .. ends[k]`` laid out at local ``offsets[k] ..``."""

    starts: I64
    ends: I64
    offsets: I64

    def local(self, nodes: I64) -> tuple[I64, Any]:
        k = np.searchsorted(self.starts, nodes, side="right") - 1
        kc = np.clip(k, 0, None)
        inside = (k >= 0) & (nodes < self.ends[kc])
        return nodes - self.starts[kc] + self.offsets[kc], inside

    def global_ids(self, local: I64) -> I64:
        k = np.searchsorted(self.offsets, local, side="right") - 1
        out: I64 = self.starts[k] + (local - self.offsets[k])
        return out


class TimeField:
    """Travel times from every node to one target point (or from it), within a budget.

    ``time_at_node(n)`` is inf for nodes beyond the budget. Built by ``travel_times_to``.
    """

    __slots__ = ("graph", "target", "budget_s", "direction", "_dense", "_ranges", "_local")

    def __init__(
        self,
        graph: RoadGraph,
        target: Snap,
        budget_s: float,
        direction: str,
        dense: F64 | None = None,
        ranges: _Ranges | None = None,
        local: F64 | None = None,
    ) -> None:
        self.graph, self.target, self.budget_s, self.direction = graph, target, budget_s, direction
        self._dense, self._ranges, self._local = dense, ranges, local

    @property
    def mode(self) -> str:
        return self.target.mode

    def times_at_nodes(self, nodes: Any) -> F64:
        """Times of many nodes at once (inf beyond the budget)."""
        nodes = np.asarray(nodes, np.int64)
        if self._dense is not None:
            out: F64 = self._dense[nodes]
            return out
        assert self._ranges is not None and self._local is not None
        local, inside = self._ranges.local(nodes)
        if self._local.size == 0:
            return np.full(nodes.shape, np.inf)
        return np.where(inside, self._local[np.clip(local, 0, self._local.size - 1)], np.inf)

    def time_at_node(self, node: int) -> float:
        """Time of one node, in O(1) (a bisect over a handful of index ranges at most)."""
        if self._dense is not None:
            return float(self._dense[node])
        assert self._ranges is not None and self._local is not None
        r = self._ranges
        k = bisect.bisect_right(r.starts.tolist(), node) - 1
        if k < 0 or node >= r.ends[k]:
            return math.inf
        return float(self._local[node - r.starts[k] + r.offsets[k]])

    def reached(self) -> tuple[I64, F64]:
        """(nodes, times) of every node within the budget, by node id."""
        if self._dense is not None:
            nodes = np.flatnonzero(np.isfinite(self._dense))
            return nodes, self._dense[nodes]
        assert self._ranges is not None and self._local is not None
        local = np.flatnonzero(np.isfinite(self._local))
        return self._ranges.global_ids(local), self._local[local]

    def times_from(self, s: Snaps) -> F64:
        """For positions snapped in this field's mode: time from each to the target (inf if over).

        Only meaningful for a field toward the target (``direction == "to"``).
        """
        p = self.target
        n = s.a.size
        ends = self.times_at_nodes(np.concatenate([s.a, s.b]))
        best = np.minimum(s.to_a + ends[:n], s.to_b + ends[n:])
        same = (s.a == p.a) & (s.b == p.b)
        if same.any():  # on the target's own segment: maybe straight there, no node between
            ahead = same & (s.t <= p.t)
            behind = same & (s.t >= p.t)
            if math.isfinite(p.w_ab):
                best = np.minimum(best, np.where(ahead, (p.t - s.t) * p.w_ab, np.inf))
            if math.isfinite(p.w_ba):
                best = np.minimum(best, np.where(behind, (s.t - p.t) * p.w_ba, np.inf))
        out: F64 = np.where(best <= self.budget_s, best, np.inf)
        return out

    def time_from_point(self, lat: float, lon: float, *, max_distance_m: float = 300.0) -> float:
        """Time from a point (snapped in the field's mode) to the target; inf beyond budget.

        Raises ``RoadError`` when the point cannot be snapped.
        """
        return self.time_from_snap(
            snap(self.graph, lat, lon, mode=self.mode, max_distance_m=max_distance_m)
        )

    def time_from_snap(self, s: Snap) -> float:
        """``times_from`` for one snapped position."""
        t, w_ab, w_ba = np.array([s.t]), np.array([s.w_ab]), np.array([s.w_ba])
        to_a, to_b = times_to_ends(t, w_ab, w_ba)
        one = Snaps(
            np.array([s.a]), np.array([s.b]), t, w_ab, w_ba, to_a, to_b,
            np.array([s.distance_m]), np.array([s.lat]), np.array([s.lon]),
            np.array([True]), np.array([0]),
        )  # fmt: skip
        return float(self.times_from(one)[0])


def travel_times_to(
    graph: RoadGraph,
    lat: float,
    lon: float,
    *,
    mode: str,
    budget_s: float,
    max_distance_m: float = DEFAULT_MAX_SNAP_M,
) -> TimeField:
    """Time from every node to the point (lat, lon) for ``mode``, for nodes within ``budget_s``.

    One reverse search on the mode's reversed graph; a unit then reads its time in O(1)
    (``field.time_at_node``, or ``field.times_from`` for snapped positions inside edges).
    Raises ``RoadError`` when the point cannot be snapped.
    """
    target = snap(graph, lat, lon, mode=mode, max_distance_m=max_distance_m)
    field, _ = search(graph, target, budget_s)
    return field


def target_offsets(p: Snap, direction: str) -> tuple[tuple[int, float], tuple[int, float]]:
    """The virtual node's two edges: (node, time) between the point and each end of its edge.

    Toward the point ("to"): from ``a`` the rest of a→b up to the point, from ``b`` the rest of
    b→a. Away from it ("from"): the other way round. A point exactly on a node costs 0 there.
    """
    if direction == "to":
        via_a = 0.0 if p.t == 0 else _mul(p.t, p.w_ab)
        via_b = 0.0 if p.t == 1 else _mul(1 - p.t, p.w_ba)
    else:
        via_a = 0.0 if p.t == 0 else _mul(p.t, p.w_ba)
        via_b = 0.0 if p.t == 1 else _mul(1 - p.t, p.w_ab)
    return (p.a, via_a), (p.b, via_b)


def _mul(f: float, w: float) -> float:
    return f * w if math.isfinite(w) else math.inf


def search(
    graph: RoadGraph,
    target: Snap,
    budget_s: float | None,
    *,
    direction: str = "to",
    predecessors: bool = False,
) -> tuple[TimeField, I64 | None]:
    """The field toward (``"to"``) or away from (``"from"``) a snapped point.

    ``budget_s=None`` searches without limit. With ``predecessors`` the whole graph is searched
    and the second value maps each node to its next node on the way (``n_nodes`` = the point).
    """
    csr = (graph.rev if direction == "to" else graph.fwd)[target.mode]
    sources = target_offsets(target, direction)
    limit = math.inf if budget_s is None else float(budget_s)
    if not predecessors and math.isfinite(limit):
        ranges = _prune(graph, target, limit)
        if ranges is not None:
            local = _search_sub(graph, csr, ranges, sources, limit)
            field = TimeField(graph, target, limit, direction, ranges=ranges, local=local)
            return field, None
    dense, pred = _search_full(graph, csr, target.mode, direction, sources, limit, predecessors)
    return TimeField(graph, target, limit, direction, dense=dense), pred


def _prune(graph: RoadGraph, target: Snap, limit: float) -> _Ranges | None:
    """The node ranges that can matter within ``limit``, or None to search the whole graph."""
    vmax = graph.vmax_mps.get(target.mode, math.inf)
    radius = limit * vmax * 1.01 + 50.0  # margin for the local projection's scale error
    if not math.isfinite(radius):
        return None
    x, y = graph.grid.project(target.lat, target.lon)
    starts, ends = graph.grid.ranges_near(float(x), float(y), radius)
    sizes = ends - starts
    if sizes.sum() > SUBGRAPH_MAX_SHARE * graph.n_nodes:
        return None
    offsets = np.zeros(sizes.size + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return _Ranges(starts, ends, offsets)


def _search_sub(
    graph: RoadGraph,
    csr: ModeCSR,
    ranges: _Ranges,
    sources: tuple[tuple[int, float], tuple[int, float]],
    limit: float,
) -> F64:
    """Dijkstra on the rows in ``ranges`` only; edges leaving them go to a sink node."""
    n_sub = int(ranges.offsets[-1])
    sizes = ranges.ends - ranges.starts
    nodes = np.arange(n_sub) + np.repeat(ranges.starts - ranges.offsets[:-1], sizes)
    ip = csr.indptr
    e0, e1 = ip[ranges.starts].tolist(), ip[ranges.ends].tolist()
    idx = np.concatenate([csr.indices[a:b] for a, b in zip(e0, e1, strict=True)] + [_TWO])
    data = np.concatenate([csr.data[a:b] for a, b in zip(e0, e1, strict=True)] + [_ZEROS])
    skipped = np.asarray(e0) - np.concatenate([[0], np.cumsum(np.subtract(e1, e0))[:-1]])
    total = idx.size - 2
    indptr = np.empty(n_sub + 3, np.int32)
    indptr[:n_sub] = ip[nodes] - np.repeat(skipped, sizes)
    indptr[n_sub:] = (total, total, total + 2)
    (na, oa), (nb, ob) = sources
    idx[-2:] = (na, nb)
    data[-2:] = (oa, ob)
    lookup, lock = _scratch(graph)
    with lock:  # one shared node -> local table; every entry it sets is reset before release
        lookup[nodes] = np.arange(n_sub, dtype=np.int32)
        local_idx = lookup[idx]
        lookup[nodes] = -1
    local_idx[local_idx < 0] = n_sub  # outside the ranges: the sink
    mat = csr_matrix((data, local_idx, indptr), shape=(n_sub + 2, n_sub + 2))
    dist = dijkstra(mat, directed=True, indices=n_sub + 1, limit=limit)
    out: F64 = dist[:n_sub]
    return out


_TWO = np.zeros(2, np.int32)
_ZEROS = np.zeros(2, np.float64)


def _scratch(graph: RoadGraph) -> tuple[npt.NDArray[np.int32], threading.Lock]:
    table: tuple[npt.NDArray[np.int32], threading.Lock] = graph.cached(
        "scratch", lambda: (np.full(graph.n_nodes, -1, np.int32), threading.Lock())
    )
    return table


def _search_full(
    graph: RoadGraph,
    csr: ModeCSR,
    mode: str,
    direction: str,
    sources: tuple[tuple[int, float], tuple[int, float]],
    limit: float,
    predecessors: bool,
) -> tuple[F64, I64 | None]:
    n = graph.n_nodes
    key = f"mat:{mode}:{direction}"
    mat: csr_matrix = graph.cached(
        key, lambda: csr_matrix((csr.data, csr.indices, csr.indptr), shape=(n + 1, n + 1))
    )
    lock: threading.Lock = graph.cached(f"lock:{key}", threading.Lock)
    m = csr.n_entries
    (na, oa), (nb, ob) = sources
    with lock:  # the virtual node's two slots are shared by every search of this matrix
        mat.indices[m], mat.indices[m + 1] = na, nb
        mat.data[m], mat.data[m + 1] = oa, ob
        if predecessors:
            dist, pred = dijkstra(
                mat, directed=True, indices=n, limit=limit, return_predecessors=True
            )
            return dist[:n], pred[:n].astype(np.int64)
        dist = dijkstra(mat, directed=True, indices=n, limit=limit)
    return dist[:n], None
