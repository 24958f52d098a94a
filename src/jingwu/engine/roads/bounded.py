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
- **Cached tiles.** Cutting that subgraph out costs more than the search it saves on a small
  budget, so it is done once per *tile*: a square of grid cells, with the induced subgraph of
  every node in the tile's cells or within the reach margin around them. Any point in the tile
  finds every node it can reach within the budget in that subgraph, so the search on it gives
  the very same times as the whole graph (tests hold it to that), at a cost independent of the
  whole graph's size. Tiles are built on first use and kept in a per-graph cache bounded in
  bytes (least recently used out first).
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .graph import F64, I64, M_PER_DEG, ModeCSR, RoadGraph
from .snapping import DEFAULT_MAX_SNAP_M, Snap, Snaps, snap, times_to_ends

SUBGRAPH_MAX_SHARE = 0.15
"""Above this share of the nodes, searching the whole graph is cheaper than cutting it out."""

TILE_MAX_SHARE = 0.15
"""A tile's subgraph holds at most this share of the nodes; otherwise no tile is cached."""

TILE_SIDE_MARGINS = 3
"""A tile is this many reach margins wide (in cells): larger tiles, fewer copies of a node."""

TILE_CACHE_BYTES = 64 * 2**20
"""Bytes of tile subgraphs cached per graph; the least recently used go first."""


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
        r = self._ranges
        k = np.searchsorted(r.starts, nodes, side="right") - 1
        if self._local.size == 0 or k.size == 0:
            return np.full(nodes.shape, np.inf)
        k[k < 0] = 0  # before the first range: nodes < starts[0] fails the test below
        local = nodes - r.starts[k]
        inside = (local >= 0) & (nodes < r.ends[k])
        local += r.offsets[k]
        local[~inside] = 0
        times: F64 = self._local[local]
        times[~inside] = np.inf
        return times

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
        return self.times_from_ends(s.a, s.b, s.t, s.to_a, s.to_b)

    def times_from_ends(self, a: I64, b: I64, t: F64, to_a: F64, to_b: F64) -> F64:
        """``times_from`` given the snaps' segment ends, fractions and times to the ends."""
        n = a.size
        ends = self.times_at_nodes(np.concatenate([a, b]))
        best = np.minimum(to_a + ends[:n], to_b + ends[n:])
        return along_segment(best, a, b, t, self.target, self.budget_s)

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


def along_segment(best: F64, a: I64, b: I64, t: F64, p: Snap, budget_s: float) -> F64:
    """``best`` (times via the segments' ends to ``p``) with the straight run along ``p``'s own
    segment for positions on it, and inf beyond ``budget_s``; ``best`` is updated in place."""
    same = (a == p.a) & (b == p.b)
    if same.any():  # on the target's own segment: maybe straight there, no node between
        ahead = same & (t <= p.t)
        behind = same & (t >= p.t)
        if math.isfinite(p.w_ab):
            best = np.minimum(best, np.where(ahead, (p.t - t) * p.w_ab, np.inf))
        if math.isfinite(p.w_ba):
            best = np.minimum(best, np.where(behind, (t - p.t) * p.w_ba, np.inf))
    best[~(best <= budget_s)] = np.inf
    return best


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
        via_a, via_b = offsets_to(p.t, p.w_ab, p.w_ba)
    else:
        via_a = 0.0 if p.t == 0 else _mul(p.t, p.w_ba)
        via_b = 0.0 if p.t == 1 else _mul(1 - p.t, p.w_ab)
    return (p.a, via_a), (p.b, via_b)


def offsets_to(t: float, w_ab: float, w_ba: float) -> tuple[float, float]:
    """``target_offsets(p, "to")``'s two times from a snap's plain values (a ranking that
    reads the snap as values builds no ``Snap``)."""
    return (0.0 if t == 0 else _mul(t, w_ab)), (0.0 if t == 1 else _mul(1 - t, w_ba))


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
        tile = _tile(graph, csr, target, limit, direction)
        if tile is not None:
            local = _search_tile(tile, sources, limit)
            field = TimeField(graph, target, limit, direction, ranges=tile.ranges, local=local)
            return field, None
        ranges = _prune(graph, target, limit)
        if ranges is not None:
            local = _search_sub(graph, csr, ranges, sources, limit)
            field = TimeField(graph, target, limit, direction, ranges=ranges, local=local)
            return field, None
    dense, pred = _search_full(graph, csr, target.mode, direction, sources, limit, predecessors)
    return TimeField(graph, target, limit, direction, dense=dense), pred


def _reach_m(graph: RoadGraph, mode: str, limit: float) -> float:
    """How far (straight line, metres) a node reachable within ``limit`` can lie, at most."""
    vmax = graph.vmax_mps.get(mode, math.inf)
    return limit * vmax * 1.01 + 50.0  # margin for the local projection's scale error


def _prune(graph: RoadGraph, target: Snap, limit: float) -> _Ranges | None:
    """The node ranges that can matter within ``limit``, or None to search the whole graph."""
    radius = _reach_m(graph, target.mode, limit)
    if not math.isfinite(radius):
        return None
    g = graph.grid
    width, height = g.nx * g.cell_m, g.ny * g.cell_m
    if min(radius, width) * min(radius, height) > SUBGRAPH_MAX_SHARE * width * height:
        return None  # even from a corner the cut-out would cover too much (a speed choice)
    x = (target.lon - g.lon0) * g.kx
    y = (target.lat - g.lat0) * M_PER_DEG
    starts, ends = g.ranges_near(x, y, radius)
    sizes = ends - starts
    if sizes.sum() > SUBGRAPH_MAX_SHARE * graph.n_nodes:
        return None
    offsets = np.zeros(sizes.size + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return _Ranges(starts, ends, offsets)


_TileKey = tuple[str, str, int, int, int]


@dataclass(frozen=True)
class _Tile:
    """A cached subgraph: rows ``0..n-1`` the nodes of ``ranges``, ``n`` a sink for every edge
    leaving them, ``n + 1`` the virtual node whose two slots (the last two entries) each
    search writes under ``lock``. ``starts``/``ends``/``offsets`` are ``ranges`` as lists."""

    ranges: _Ranges
    mat: csr_matrix
    lock: threading.Lock
    starts: list[int]
    ends: list[int]
    offsets: list[int]
    nbytes: int

    def local(self, node: int) -> int:
        """The local row of a global node; the sink when it lies outside the tile."""
        k = bisect.bisect_right(self.starts, node) - 1
        if k >= 0 and node < self.ends[k]:
            return node - self.starts[k] + self.offsets[k]
        return self.offsets[-1]


class _TileCache:
    """Tiles of one graph by (mode, direction, margin in cells, tile x, tile y), LRU in bytes."""

    def __init__(self) -> None:
        self.tiles: OrderedDict[_TileKey, _Tile] = OrderedDict()
        self.nbytes = 0
        self.lock = threading.Lock()

    def get(self, key: _TileKey) -> _Tile | None:
        with self.lock:
            tile = self.tiles.get(key)
            if tile is not None:
                self.tiles.move_to_end(key)
            return tile

    def put(self, key: _TileKey, tile: _Tile) -> _Tile:
        with self.lock:
            old = self.tiles.get(key)
            if old is not None:  # built twice by two threads at once: keep the first
                return old
            self.tiles[key] = tile
            self.nbytes += tile.nbytes
            while self.nbytes > TILE_CACHE_BYTES and len(self.tiles) > 1:
                _, gone = self.tiles.popitem(last=False)
                self.nbytes -= gone.nbytes
            return tile


def _tile_shape(graph: RoadGraph, mode: str, limit: float) -> tuple[int, int] | None:
    """(margin, side) in cells of the tiles for searches within ``limit``; None: no tiles."""
    reach = _reach_m(graph, mode, limit)
    if not math.isfinite(reach):
        return None
    margin = max(1, math.ceil(reach / graph.grid.cell_m))
    return margin, TILE_SIDE_MARGINS * margin


def _tile(
    graph: RoadGraph, csr: ModeCSR, target: Snap, limit: float, direction: str
) -> _Tile | None:
    """The cached tile around ``target`` for searches within ``limit``; None when too large.

    The tile's cells ``c0 .. c0 + side - 1`` (each axis) grow by ``margin`` cells on each side,
    ``margin = ceil(reach / cell)``; ``ranges_near`` of any point in those cells with that
    reach stays inside, so the subgraph holds every node the search can reach.
    """
    shape = _tile_shape(graph, target.mode, limit)
    if shape is None:
        return None
    margin, side = shape
    g = graph.grid
    x = (target.lon - g.lon0) * g.kx
    y = (target.lat - g.lat0) * M_PER_DEG
    cx = min(max(int((x - g.x0) // g.cell_m), 0), g.nx - 1)
    cy = min(max(int((y - g.y0) // g.cell_m), 0), g.ny - 1)
    key = (target.mode, direction, margin, cx // side, cy // side)
    cache: _TileCache = graph.cached("tiles", _TileCache)
    tile = cache.get(key)
    if tile is not None:
        return tile
    return _build_tile(graph, csr, key)


def _build_tile(graph: RoadGraph, csr: ModeCSR, key: _TileKey) -> _Tile | None:
    """Cut out and cache the tile ``key``; None (remembered) when it is too large to pay."""
    too_big: dict[_TileKey, int] = graph.cached("tiles:too_big", dict)  # key -> its nodes
    if too_big.get(key, 0) > TILE_MAX_SHARE * graph.n_nodes:
        return None
    _, _, margin, tx, ty = key
    side = TILE_SIDE_MARGINS * margin
    g = graph.grid
    x0 = max(tx * side - margin, 0)
    x1 = min(tx * side + side - 1 + margin, g.nx - 1)
    y0 = max(ty * side - margin, 0)
    y1 = min(ty * side + side - 1 + margin, g.ny - 1)
    rows = np.arange(y0, y1 + 1, dtype=np.int64) * g.nx
    starts, ends = g.cell_start[rows + x0], g.cell_start[rows + x1 + 1]
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    sizes = ends - starts
    if sizes.sum() > TILE_MAX_SHARE * graph.n_nodes:
        too_big[key] = int(sizes.sum())
        return None
    offsets = np.zeros(sizes.size + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    ranges = _Ranges(starts, ends, offsets)
    mat = _sub_matrix(graph, csr, ranges, ((0, math.inf), (0, math.inf)))
    nbytes = mat.data.nbytes + mat.indices.nbytes + mat.indptr.nbytes + 3 * starts.nbytes
    tile = _Tile(
        ranges, mat, threading.Lock(), starts.tolist(), ends.tolist(), offsets.tolist(), nbytes
    )
    cache: _TileCache = graph.cached("tiles", _TileCache)
    return cache.put(key, tile)


@dataclass(frozen=True)
class TileStats:
    """What ``prepare_tiles`` built: tiles, their bytes, seconds (0 tiles: the graph is small
    enough that a search runs on the whole graph or its per-point cut-out)."""

    tiles: int
    nbytes: int
    seconds: float


def prepare_tiles(
    graph: RoadGraph, mode: str, budget_s: float, *, direction: str = "to"
) -> TileStats:
    """Build every search tile of ``mode`` for ``budget_s`` now rather than on first use.

    A service calls this once after loading a graph, for the budgets it uses, so that no
    incident pays for cutting out a tile (a millisecond or so). The result of a search is the
    same either way; tiles beyond the cache's byte limit are built and dropped again.
    """
    start = time.perf_counter()
    shape = _tile_shape(graph, mode, float(budget_s))
    if shape is None or mode not in graph.rev:
        return TileStats(0, 0, 0.0)
    margin, side = shape
    csr = (graph.rev if direction == "to" else graph.fwd)[mode]
    g = graph.grid
    built = nbytes = 0
    for ty in range(-(-g.ny // side)):
        for tx in range(-(-g.nx // side)):
            tile = _build_tile(graph, csr, (mode, direction, margin, tx, ty))
            if tile is not None:
                built += 1
                nbytes += tile.nbytes
    return TileStats(built, nbytes, time.perf_counter() - start)


def drop_tiles(graph: RoadGraph) -> None:
    """Forget the cached search tiles of ``graph`` (they are rebuilt on next use)."""
    with graph._lock:
        graph._cache.pop("tiles", None)
        graph._cache.pop("tiles:too_big", None)


def _search_tile(
    tile: _Tile, sources: tuple[tuple[int, float], tuple[int, float]], limit: float
) -> F64:
    (na, oa), (nb, ob) = sources
    la, lb = tile.local(na), tile.local(nb)
    mat = tile.mat
    n_sub = tile.offsets[-1]
    with tile.lock:  # the virtual node's two slots are shared by every search of this tile
        mat.indices[-2], mat.indices[-1] = la, lb
        mat.data[-2], mat.data[-1] = oa, ob
        dist = dijkstra(mat, directed=True, indices=n_sub + 1, limit=limit)
    out: F64 = dist[:n_sub]
    return out


def _search_sub(
    graph: RoadGraph,
    csr: ModeCSR,
    ranges: _Ranges,
    sources: tuple[tuple[int, float], tuple[int, float]],
    limit: float,
) -> F64:
    """Dijkstra on the rows in ``ranges`` only; edges leaving them go to a sink node."""
    mat = _sub_matrix(graph, csr, ranges, sources)
    n_sub = int(ranges.offsets[-1])
    dist = dijkstra(mat, directed=True, indices=n_sub + 1, limit=limit)
    out: F64 = dist[:n_sub]
    return out


def _sub_matrix(
    graph: RoadGraph,
    csr: ModeCSR,
    ranges: _Ranges,
    sources: tuple[tuple[int, float], tuple[int, float]],
) -> csr_matrix:
    """The rows in ``ranges`` as a matrix; edges leaving them go to a sink node (row ``n``),
    the virtual node (row ``n + 1``) has the two ``sources`` edges."""
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
    return csr_matrix((data, local_idx, indptr), shape=(n_sub + 2, n_sub + 2))


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
