"""Ways (node lists with travel rules) to a ``RoadGraph``: segments, per-mode times, pruning.

Everything here is vectorised numpy and scipy; the per-way Python work happens before, while
reading the file. Per mode only the largest strongly connected component is kept, because a
unit or incident snapped onto an island would get "unreachable" for reasons nobody can see.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from .graph import (
    F32,
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
    """Build the graph of ``ways``; raises ``RoadError`` when no mode has a single street.

    ``ways`` is consumed: its arrays are released as soon as they are no longer needed, which
    keeps a large import's peak memory down (build from a fresh ``WaySet`` each time).
    """
    step = _Steps(progress, 5)
    a, b, seg_way, seg_len = _segments(ways)
    if a.size == 0:
        raise RoadError("文件中没有可通行的道路", code="empty_extract")
    uniq, first, node = _unique(ways.node_ids)
    step()
    src, dst, times = _directed_edges(ways, node, a, b, seg_way, seg_len)
    del node, a, b, seg_way
    n_ways = int(ways.way_profile.size)
    missing = int(np.unique(ways.node_ids[~np.isfinite(ways.lat)]).size)
    nodes = (uniq, ways.lat[first], ways.lon[first])
    given = ways.segment_length_m is not None
    _release(ways)
    step()
    by_src = np.argsort(src, kind="stable")
    mode_stats: list[ModeSummary] = []
    done: list[tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], ModeSummary]] = []
    for m in MODES:
        sel = np.isfinite(times[m])
        same = next((d for d in done if np.array_equal(d[0], sel)), None)
        if same is None:  # e-bikes often use exactly the car streets: one SCC serves both
            keep, stats = _keep_largest_scc(m, src, dst, by_src, seg_len, sel, uniq.size)
            done.append((sel, keep, stats))
        else:
            keep, stats = same[1], dataclasses.replace(same[2], mode=m)
        times[m] = np.where(keep, times[m], np.inf)
        mode_stats.append(stats)
    del by_src, done
    step()
    usable = np.zeros(src.size, bool)
    for m in MODES:
        usable |= np.isfinite(times[m])
    if not usable.any():
        raise RoadError("文件中没有可通行的道路", code="empty_extract")
    # lengths and times are stored in float32 (1 mm, well under 1 ms): half the memory
    edges: dict[str, npt.NDArray[Any]] = {"src": src[usable], "dst": dst[usable]}
    edges["length"] = np.concatenate([seg_len, seg_len])[usable].astype(np.float32)
    edges.update({m: t[usable].astype(np.float32) for m, t in times.items()})
    del src, dst, times, usable, seg_len  # _assemble frees what it no longer needs
    graph = _assemble(nodes, edges, given, name=name, illustrative=illustrative)
    step()
    summary = ImportSummary(
        name=name,
        source=source,
        ways=n_ways,
        nodes=graph.n_nodes,
        edges=graph.n_edges,
        modes=tuple(mode_stats),
        missing_locations=missing,
    )
    graph.meta["summary"] = summary.as_dict()
    step(done=True)
    return graph, summary


def _release(ways: WaySet) -> None:
    empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0)
    ways.node_ids, ways.lat, ways.lon, ways.segment_length_m = empty_i, empty_f, empty_f, None
    ways.way_start, ways.way_profile = empty_i, np.zeros(0, np.int32)


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


def _unique(ids: I64) -> tuple[I64, I64, I32]:
    """Sorted distinct ids, the first position of each, and each position's compact number."""
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    new = np.empty(ids.size, bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    number = np.cumsum(new, dtype=np.int32) - 1
    node = np.empty(ids.size, np.int32)
    node[order] = number
    return ordered[new], order[new], node


def _directed_edges(
    ways: WaySet, node: I32, a: I64, b: I64, seg_way: I64, seg_len: F64
) -> tuple[I32, I32, dict[str, F64]]:
    """Both directions of every segment (first all a->b, then all b->a) with each mode's time.

    ``node`` maps a position in ``ways.node_ids`` to the compact node number; a time is inf
    where the mode may not go.
    """
    src = np.concatenate([node[a], node[b]])
    dst = np.concatenate([node[b], node[a]])
    prof = ways.way_profile[seg_way]
    times: dict[str, F64] = {}
    for m in MODES:
        rules = [p.rule(m) for p in ways.profiles]
        speed = np.array([r.speed_kmh / 3.6 for r in rules], np.float64)[prof]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = seg_len / speed
        fwd = np.array([r.forward for r in rules], bool)[prof]
        bwd = np.array([r.backward for r in rules], bool)[prof]
        times[m] = np.concatenate([np.where(fwd, t, np.inf), np.where(bwd, t, np.inf)])
    return src, dst, times


def _keep_largest_scc(
    mode: str, src: I32, dst: I32, by_src: I64, seg_len: F64, sel: npt.NDArray[np.bool_], n: int
) -> tuple[npt.NDArray[np.bool_], ModeSummary]:
    """Of the edges ``sel``, those inside the mode's largest strongly connected component."""
    if not sel.any():
        return sel, ModeSummary(mode, 0, 0, 0.0, 0.0, 0, 0.0)
    order = by_src[sel[by_src]]
    counts = np.bincount(src[order], minlength=n)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    adj = csr_matrix((np.ones(order.size, np.int8), dst[order], indptr), shape=(n, n))
    _, labels = connected_components(adj, directed=True, connection="strong")
    present = (counts > 0) | (np.bincount(dst[sel], minlength=n) > 0)
    biggest = np.bincount(labels[present]).argmax()
    inside = labels == biggest
    keep = sel & inside[src] & inside[dst]
    n_present, n_inside = int(present.sum()), int(inside.sum())
    km_all, km_kept = _street_km(seg_len, sel), _street_km(seg_len, keep)
    stats = ModeSummary(
        mode=mode,
        nodes=n_inside,
        edges=int(keep.sum()),
        km=km_kept,
        lscc_share=n_inside / n_present,
        dropped_nodes=n_present - n_inside,
        dropped_km=km_all - km_kept,
    )
    return keep, stats


def _street_km(seg_len: F64, usable: npt.NDArray[np.bool_]) -> float:
    """Kilometres of street: a segment counts once whether one or both directions are open."""
    s = seg_len.size
    return float(seg_len[usable[:s] | usable[s:]].sum() / 1000.0)


def _assemble(
    nodes: tuple[I64, F64, F64],
    edges: dict[str, npt.NDArray[Any]],
    given_lengths: bool,
    *,
    name: str,
    illustrative: bool,
) -> RoadGraph:
    """Compact the used nodes in spatial cell order and lay out the CSRs.

    ``edges`` (src, dst, length and one time array per mode) is consumed: arrays are replaced
    as they are reordered, so a large import holds few copies at once.
    """
    uniq_ids, node_lat, node_lon = nodes
    n_all = uniq_ids.size
    degree = np.bincount(edges["src"], minlength=n_all) + np.bincount(edges["dst"], minlength=n_all)
    used = np.flatnonzero(degree)
    del degree
    grid, order = _spatial_order(node_lat[used], node_lon[used])
    n = used.size
    remap = np.full(n_all, -1, np.int32)
    remap[used[order]] = np.arange(n, dtype=np.int32)
    edges["src"], edges["dst"] = remap[edges["src"]], remap[edges["dst"]]
    del remap
    lat, lon, osm = node_lat[used][order], node_lon[used][order], uniq_ids[used][order]
    _merge_parallel(edges)
    src, dst, length = edges.pop("src"), edges.pop("dst"), edges.pop("length")
    times = {m: edges.pop(m) for m in MODES}
    straight = length
    if given_lengths:  # stated lengths may undercut the straight line: prune by the chord too
        straight = np.maximum(length, haversine_m(lat[src], lon[src], lat[dst], lon[dst]))
    by_dst = np.lexsort((src, dst))
    rev: dict[str, ModeCSR] = {}
    vmax: dict[str, float] = {}
    for m in MODES:
        finite = np.isfinite(times[m])
        if finite.any():
            rev[m] = _rev_csr(src, dst, times[m], finite, by_dst, n)
            vmax[m] = _top_speed(straight, times[m], finite)
    del by_dst, straight
    meta: dict[str, Any] = {
        "illustrative": illustrative,
        "bounds": [float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max())],
    }
    return RoadGraph(
        name=name,
        lat=lat,
        lon=lon,
        osm_id=osm,
        indptr=_indptr(src, n),
        indices=dst,
        length_m=length,
        time_s=times,
        rev=rev,
        grid=grid,
        vmax_mps=vmax,
        meta=meta,
    )


def _top_speed(straight_m: npt.NDArray[Any], t: F32, finite: npt.NDArray[np.bool_]) -> float:
    """The fastest straight-line progress any edge allows (m/s): the search prunes by it.

    ``straight_m`` is the larger of the stated length and the chord, so a graph whose given
    lengths undercut the straight line still never loses a node to pruning; a zero-time edge
    of non-zero extent makes pruning impossible (inf).
    """
    if np.any(finite & (t <= 0) & (straight_m > 0.01)):
        return math.inf
    speed = np.divide(straight_m, t, out=np.zeros(t.size), where=finite & (t > 0))
    return float(speed.max(initial=0.1)) * (1 + 1e-6)  # absorbs float32 rounding


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


def _merge_parallel(edges: dict[str, npt.NDArray[Any]]) -> None:
    """Sort ``edges`` by (src, dst) in place; merge duplicates (shortest, fastest per mode)."""
    order = np.lexsort((edges["dst"], edges["src"]))
    for key in list(edges):
        edges[key] = edges[key][order]
    del order
    s, d = edges["src"], edges["dst"]
    repeat = (s[1:] == s[:-1]) & (d[1:] == d[:-1])
    if not repeat.any():  # the usual case: two ways rarely share a segment
        return
    starts = np.flatnonzero(np.r_[True, ~repeat])
    edges["src"], edges["dst"] = s[starts], d[starts]
    for key in ("length", *MODES):
        edges[key] = np.minimum.reduceat(edges[key], starts)


def _indptr(rows: I32, n: int, extra: Sequence[int] = ()) -> I32:
    counts = np.bincount(rows, minlength=n)
    if extra:
        counts = np.concatenate([counts, np.asarray(extra, np.int64)])
    out = np.zeros(counts.size + 1, np.int32)
    np.cumsum(counts, out=out[1:])
    return out


def _rev_csr(
    src: I32, dst: I32, t: F32, finite: npt.NDArray[np.bool_], by_dst: I64, n: int
) -> ModeCSR:
    """The mode's reversed CSR (row = edge target), plus the virtual node's two zero slots."""
    back = by_dst[finite[by_dst]]
    m = back.size
    indices = np.zeros(m + 2, np.int32)
    np.take(src, back, out=indices[:m])
    data = np.zeros(m + 2, np.float64)
    data[:m] = t[back]
    return ModeCSR(
        indptr=_indptr(dst[finite], n, extra=(2,)),
        indices=indices,
        data=data,
        edge=np.zeros(0, np.int32),
    )
