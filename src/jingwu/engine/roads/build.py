"""Ways (node lists with travel rules) to a ``RoadGraph``: segments, per-mode times, pruning.

Everything here is vectorised numpy and scipy; the per-way Python work happens before, while
reading the file. Per mode only the largest strongly connected component is kept, because a
unit or incident snapped onto an island would get "unreachable" for reasons nobody can see.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from .graph import (
    F64,
    I32,
    I64,
    MODE_NAMES,
    MODES,
    ModeCSR,
    RoadError,
    RoadGraph,
    SpatialGrid,
    haversine_m,
)
from .profile import WayProfile

Progress = Callable[[int, int | None], None]
"""Called as ``progress(done, total)``; ``total`` is None while the amount is unknown."""


@dataclass
class WaySet:
    """Ways as flat arrays: way ``w`` is ``node_ids[way_start[w]:way_start[w + 1]]``.

    ``lat``/``lon`` are NaN where a node's location is missing (extract cut off). Optional
    ``segment_length_m`` (one per consecutive node pair, ways concatenated) overrides the
    great-circle lengths, for graphs that come with their own lengths.
    """

    node_ids: I64
    lat: F64
    lon: F64
    way_start: I64
    way_profile: I32
    profiles: list[WayProfile]
    segment_length_m: F64 | None = None


@dataclass(frozen=True)
class ModeSummary:
    """What one mode ended up with, and what the connectivity pruning dropped."""

    mode: str
    nodes: int
    edges: int
    km: float
    lscc_share: float
    dropped_nodes: int
    dropped_km: float


@dataclass(frozen=True)
class ImportSummary:
    """The figures an import prints at the end."""

    name: str
    source: str
    ways: int
    nodes: int
    edges: int
    modes: tuple[ModeSummary, ...]
    missing_locations: int = 0
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """One row per mode: 方式, 节点, 有向边, 道路公里, 最大强连通占比, 剔除."""
        return [
            (
                MODE_NAMES.get(m.mode, m.mode),
                f"{m.nodes:,}",
                f"{m.edges:,}",
                f"{m.km:,.1f}",
                f"{m.lscc_share:.1%}",
                f"{m.dropped_nodes:,} 节点 / {m.dropped_km:,.2f} km",
            )
            for m in self.modes
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "ways": self.ways,
            "nodes": self.nodes,
            "edges": self.edges,
            "missing_locations": self.missing_locations,
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
            "modes": [m.__dict__ for m in self.modes],
        }


def build_graph(
    ways: WaySet,
    *,
    name: str,
    source: str,
    illustrative: bool = False,
    progress: Progress | None = None,
) -> tuple[RoadGraph, ImportSummary]:
    """Build the graph of ``ways``; raises ``RoadError`` when no mode has a single street."""
    step = _Steps(progress, 6)
    a, b, seg_way, seg_len = _segments(ways)
    if a.size == 0:
        raise RoadError("文件中没有可通行的道路", code="empty_extract")
    uniq, first, inverse = np.unique(ways.node_ids, return_index=True, return_inverse=True)
    step()
    src, dst, length, times = _directed_edges(ways, inverse, a, b, seg_way, seg_len)
    step()
    n_nodes = int(uniq.size)
    mode_stats: list[ModeSummary] = []
    for m in MODES:
        times[m], stats = _keep_largest_scc(m, src, dst, length, times[m], n_nodes)
        mode_stats.append(stats)
    step()
    usable = np.zeros(src.size, bool)
    for m in MODES:
        usable |= np.isfinite(times[m])
    if not usable.any():
        raise RoadError("文件中没有可通行的道路", code="empty_extract")
    src, dst, length = src[usable], dst[usable], length[usable]
    times = {m: t[usable] for m, t in times.items()}
    nodes = (uniq, ways.lat[first], ways.lon[first])
    graph = _assemble(nodes, src, dst, length, times, name=name, illustrative=illustrative)
    step()
    summary = ImportSummary(
        name=name,
        source=source,
        ways=int(ways.way_profile.size),
        nodes=graph.n_nodes,
        edges=graph.n_edges,
        modes=tuple(mode_stats),
        missing_locations=int(np.unique(ways.node_ids[~np.isfinite(ways.lat)]).size),
    )
    graph.meta["summary"] = summary.as_dict()
    step(done=True)
    return graph, summary


class _Steps:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self, done: bool = False) -> None:
        self.done = self.total if done else self.done + 1
        if self.progress is not None:
            self.progress(self.done, self.total)


def _segments(ways: WaySet) -> tuple[I64, I64, I64, F64]:
    """Consecutive node pairs inside each way as (a, b, way, length_m), on compacted node ids."""
    counts = np.diff(ways.way_start)
    way_of = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    pos = np.flatnonzero(way_of[:-1] == way_of[1:])
    lat, lon, ids = ways.lat, ways.lon, ways.node_ids
    ok = np.isfinite(lat[pos]) & np.isfinite(lat[pos + 1]) & (ids[pos] != ids[pos + 1])
    if ways.segment_length_m is not None:
        given = ways.segment_length_m
        pair_index = pos - way_of[pos]  # pairs are numbered per way, ways concatenated
        seg_len = np.asarray(given[pair_index], dtype=np.float64)
    else:
        seg_len = haversine_m(lat[pos], lon[pos], lat[pos + 1], lon[pos + 1])
    pos, seg_len = pos[ok], seg_len[ok]
    return pos, pos + 1, way_of[pos], seg_len


def _directed_edges(
    ways: WaySet, node: I64, a: I64, b: I64, seg_way: I64, seg_len: F64
) -> tuple[I64, I64, F64, dict[str, F64]]:
    """Both directions of every segment with each mode's time (inf where closed).

    ``node`` maps a position in ``ways.node_ids`` to the compact node number.
    """
    src = np.concatenate([node[a], node[b]])
    dst = np.concatenate([node[b], node[a]])
    length = np.concatenate([seg_len, seg_len])
    prof = ways.way_profile[seg_way]
    times: dict[str, F64] = {}
    for m in MODES:
        rules = [p.rule(m) for p in ways.profiles]
        fwd = np.array([r.forward for r in rules], bool)[prof]
        bwd = np.array([r.backward for r in rules], bool)[prof]
        speed = np.array([r.speed_kmh / 3.6 for r in rules], np.float64)[prof]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = seg_len / speed
        times[m] = np.concatenate([np.where(fwd, t, np.inf), np.where(bwd, t, np.inf)])
    return src, dst, length, times


def _keep_largest_scc(
    mode: str, src: I64, dst: I64, length: F64, t: F64, n: int
) -> tuple[F64, ModeSummary]:
    """``t`` with every edge outside the mode's largest strongly connected component closed."""
    sel = np.isfinite(t)
    if not sel.any():
        return t, ModeSummary(mode, 0, 0, 0.0, 0.0, 0, 0.0)
    s, d = src[sel], dst[sel]
    adj = csr_matrix((np.ones(s.size, np.int8), (s, d)), shape=(n, n))
    _, labels = connected_components(adj, directed=True, connection="strong")
    present = np.zeros(n, bool)
    present[s] = True
    present[d] = True
    biggest = np.bincount(labels[present]).argmax()
    inside = labels == biggest
    keep = sel.copy()
    keep[sel] = inside[s] & inside[d]
    out = np.where(keep, t, np.inf)
    km_all = _street_km(src[sel], dst[sel], length[sel])
    km_kept = _street_km(src[keep], dst[keep], length[keep])
    n_present, n_inside = int(present.sum()), int(inside.sum())
    stats = ModeSummary(
        mode=mode,
        nodes=n_inside,
        edges=int(keep.sum()),
        km=km_kept,
        lscc_share=n_inside / n_present,
        dropped_nodes=n_present - n_inside,
        dropped_km=km_all - km_kept,
    )
    return out, stats


def _street_km(src: I64, dst: I64, length: F64) -> float:
    """Kilometres of street: a two-way segment counts once, not once per direction."""
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    key = lo * (int(max(hi.max(initial=0), 0)) + 1) + hi
    _, first = np.unique(key, return_index=True)
    return float(length[first].sum() / 1000.0)


def _assemble(
    nodes: tuple[I64, F64, F64],
    src: I64,
    dst: I64,
    length: F64,
    times: dict[str, F64],
    *,
    name: str,
    illustrative: bool,
) -> RoadGraph:
    """Compact the used nodes in spatial cell order and lay out every CSR."""
    uniq_ids, node_lat, node_lon = nodes
    used = np.unique(np.concatenate([src, dst]))
    lat, lon, osm = node_lat[used], node_lon[used], uniq_ids[used]
    grid, order = _spatial_order(lat, lon)
    n = used.size
    new_id = np.empty(n, np.int64)
    new_id[order] = np.arange(n)
    remap = np.full(uniq_ids.size, -1, np.int64)
    remap[used] = new_id
    src, dst = remap[src], remap[dst]
    lat, lon, osm = lat[order], lon[order], osm[order]
    src, dst, length, times = _merge_parallel(src, dst, length, times, n)
    indptr = _indptr(src, n)
    fwd: dict[str, ModeCSR] = {}
    rev: dict[str, ModeCSR] = {}
    vmax: dict[str, float] = {}
    chord = haversine_m(lat[src], lon[src], lat[dst], lon[dst])
    for m in MODES:
        sel = np.flatnonzero(np.isfinite(times[m]))
        if sel.size == 0:
            continue
        fwd[m] = _mode_csr(src[sel], dst[sel], times[m][sel], sel, n)
        back = sel[np.lexsort((src[sel], dst[sel]))]
        rev[m] = _mode_csr(dst[back], src[back], times[m][back], back, n)
        vmax[m] = _top_speed(np.maximum(length[sel], chord[sel]), times[m][sel])
    meta: dict[str, Any] = {
        "illustrative": illustrative,
        "bounds": [float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max())],
    }
    return RoadGraph(
        name=name,
        lat=lat,
        lon=lon,
        osm_id=osm,
        indptr=indptr,
        indices=dst.astype(np.int32),
        edge_src=src.astype(np.int32),
        length_m=length,
        time_s=times,
        fwd=fwd,
        rev=rev,
        grid=grid,
        vmax_mps=vmax,
        meta=meta,
    )


def _top_speed(straight_m: F64, t: F64) -> float:
    """The fastest straight-line progress any edge allows (m/s): the search prunes by it.

    Uses the larger of the stated length and the chord, so a graph whose given lengths are
    shorter than the straight line still never loses a node to pruning; a zero-time edge of
    non-zero extent makes pruning impossible (inf).
    """
    if np.any((t <= 0) & (straight_m > 0.01)):
        return math.inf
    positive = t > 0
    return float(np.max(straight_m[positive] / t[positive], initial=0.1))


def _spatial_order(lat: F64, lon: F64) -> tuple[SpatialGrid, I64]:
    """A projection centred on the nodes and the node order by (cell row, cell column).

    Cells hold about 32 nodes on average, so a search radius maps to few, long index ranges.
    """
    lat0 = float((lat.min() + lat.max()) / 2)
    lon0 = float((lon.min() + lon.max()) / 2)
    probe = SpatialGrid(lat0, lon0, 0.0, 0.0, 1.0, 1, 1, np.zeros(2, np.int64))
    x, y = probe.project(lat, lon)
    x0, y0 = float(x.min()), float(y.min())
    w, h = float(x.max()) - x0, float(y.max()) - y0
    cell = max(math.sqrt(max(w * h, 1.0) * 32 / max(lat.size, 1)), 50.0)
    nx, ny = int(w // cell) + 1, int(h // cell) + 1
    key = ((y - y0) // cell).astype(np.int64) * nx + ((x - x0) // cell).astype(np.int64)
    order = np.argsort(key, kind="stable")
    cell_start = np.zeros(nx * ny + 1, np.int64)
    np.cumsum(np.bincount(key, minlength=nx * ny), out=cell_start[1:])
    return SpatialGrid(lat0, lon0, x0, y0, cell, nx, ny, cell_start), order


def _merge_parallel(
    src: I64, dst: I64, length: F64, times: dict[str, F64], n: int
) -> tuple[I64, I64, F64, dict[str, F64]]:
    """Sort edges by (src, dst) and merge duplicates: shortest length, fastest time per mode."""
    key = src * n + dst
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    src, dst = src[order][starts], dst[order][starts]
    length = np.minimum.reduceat(length[order], starts)
    merged = {m: np.minimum.reduceat(t[order], starts) for m, t in times.items()}
    return src, dst, length, merged


def _indptr(rows: I64, n: int, extra: Sequence[int] = ()) -> I32:
    counts = np.bincount(rows, minlength=n)
    if extra:
        counts = np.concatenate([counts, np.asarray(extra, np.int64)])
    out = np.zeros(counts.size + 1, np.int32)
    np.cumsum(counts, out=out[1:])
    return out


def _mode_csr(rows: I64, cols: I64, data: F64, edge: npt.NDArray[Any], n: int) -> ModeCSR:
    """Entries already sorted by row; two zero slots appended as the virtual node's row."""
    return ModeCSR(
        indptr=_indptr(rows, n, extra=(2,)),
        indices=np.concatenate([cols, [0, 0]]).astype(np.int32),
        data=np.concatenate([data, [0.0, 0.0]]).astype(np.float64),
        edge=np.concatenate([edge, [-1, -1]]).astype(np.int32),
    )
