"""Shapes for the map: the route between two points and the isochrone around one, as GeoJSON."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import shapely

from .bounded import TimeField, search
from .graph import F64, MODE_NAMES, RoadError, RoadGraph
from .snapping import DEFAULT_MAX_SNAP_M, Snap, node_xy, snap

DEFAULT_BUFFER_M = 40.0
"""Half-width of the band drawn along reachable streets: the street plus its frontage."""


def route(
    graph: RoadGraph,
    from_latlon: tuple[float, float],
    to_latlon: tuple[float, float],
    *,
    mode: str,
    max_distance_m: float = DEFAULT_MAX_SNAP_M,
) -> dict[str, Any]:
    """The fastest path as a GeoJSON LineString Feature with ``time_s`` and ``length_m``.

    Both ends are snapped (``RoadError`` when they cannot be); the line starts and ends at the
    snapped positions. Raises ``RoadError(code="no_route")`` when the target is unreachable.
    """
    start = snap(graph, *from_latlon, mode=mode, max_distance_m=max_distance_m)
    goal = snap(graph, *to_latlon, mode=mode, max_distance_m=max_distance_m)
    field, pred = search(graph, goal, None, predecessors=True)
    assert pred is not None
    time_s, first, first_len = _best_start(field, start, goal, graph)
    if not math.isfinite(time_s):
        raise RoadError(f"{MODE_NAMES.get(mode, mode)}无法从起点到达终点", code="no_route")
    nodes: list[int] = []
    node = first
    while node is not None and node != graph.n_nodes:
        nodes.append(node)
        node = int(pred[node])
        if node < 0:
            raise RoadError("路径重建失败", code="no_route")
    length = first_len + _chain_length(graph, mode, nodes)
    if nodes:
        last = nodes[-1]
        seg_len = float(graph.length_m[goal.edge])
        length += seg_len * (goal.t if last == goal.a else 1.0 - goal.t)
    coords = [[start.lon, start.lat]]
    coords += [[float(graph.lon[n]), float(graph.lat[n])] for n in nodes]
    coords.append([goal.lon, goal.lat])
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": {
            "mode": mode,
            "time_s": round(time_s, 3),
            "length_m": round(length, 1),
            "snap_from_m": round(start.distance_m, 1),
            "snap_to_m": round(goal.distance_m, 1),
            "illustrative": graph.illustrative,
        },
    }


def _best_start(
    field: TimeField, s: Snap, goal: Snap, graph: RoadGraph
) -> tuple[float, int | None, float]:
    """(time, first node or None for a direct hop, metres before that node) for the start."""
    seg_len = float(graph.length_m[s.edge])
    ta, tb = field.time_at_node(s.a), field.time_at_node(s.b)
    options: list[tuple[float, int | None, float]] = []
    if s.t == 0:
        options.append((ta, s.a, 0.0))
    if s.t == 1:
        options.append((tb, s.b, 0.0))
    if math.isfinite(s.w_ab):
        options.append(((1 - s.t) * s.w_ab + tb, s.b, (1 - s.t) * seg_len))
    if math.isfinite(s.w_ba):
        options.append((s.t * s.w_ba + ta, s.a, s.t * seg_len))
    if (s.a, s.b) == (goal.a, goal.b):
        gap = abs(goal.t - s.t) * seg_len
        if s.t <= goal.t and math.isfinite(goal.w_ab):
            options.append(((goal.t - s.t) * goal.w_ab, None, gap))
        if s.t >= goal.t and math.isfinite(goal.w_ba):
            options.append(((s.t - goal.t) * goal.w_ba, None, gap))
    return min(options, key=lambda o: o[0], default=(math.inf, None, 0.0))


def _chain_length(graph: RoadGraph, mode: str, nodes: list[int]) -> float:
    csr = graph.fwd[mode]
    total = 0.0
    for u, v in zip(nodes, nodes[1:], strict=False):
        lo, hi = int(csr.indptr[u]), int(csr.indptr[u + 1])
        j = lo + int(np.flatnonzero(csr.indices[lo:hi] == v)[0])
        total += float(graph.length_m[csr.edge[j]])
    return total


def isochrone(
    graph: RoadGraph,
    lat: float,
    lon: float,
    *,
    mode: str,
    budget_s: float,
    direction: str = "from",
    buffer_m: float = DEFAULT_BUFFER_M,
    max_distance_m: float = DEFAULT_MAX_SNAP_M,
) -> dict[str, Any]:
    """The area reachable within ``budget_s`` as a GeoJSON Feature (Polygon or MultiPolygon).

    ``direction="from"``: where a unit standing at the point gets to; ``"to"``: from where the
    point can be reached (a workstation's response area). The area is the reachable parts of
    the streets, partial edges included, widened by ``buffer_m`` on each side.
    """
    if direction not in ("from", "to"):
        raise RoadError(f"未知方向 {direction!r}", code="invalid_direction")
    target = snap(graph, lat, lon, mode=mode, max_distance_m=max_distance_m)
    field, _ = search(graph, target, budget_s, direction=direction)
    lines = _distinct(_reached_lines(graph, field))
    px, py = graph.grid.project(target.lat, target.lon)
    bands = shapely.buffer(shapely.linestrings(lines), buffer_m, quad_segs=2)
    area = shapely.union_all(np.append(bands, shapely.buffer(shapely.points(px, py), buffer_m)))
    area = shapely.set_precision(shapely.simplify(area, 2.0), 0.5)

    def to_lonlat(xy: F64) -> F64:
        la, lo = graph.grid.unproject(xy[:, 0], xy[:, 1])
        return np.column_stack([lo, la])

    geometry = json.loads(shapely.to_geojson(shapely.transform(area, to_lonlat)))
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "mode": mode,
            "budget_s": budget_s,
            "direction": direction,
            "snap_distance_m": round(target.distance_m, 1),
            "illustrative": graph.illustrative,
        },
    }


def _reached_lines(graph: RoadGraph, field: TimeField) -> F64:
    """Projected segments (n, 2, 2) of every street part reachable within the budget."""
    budget = field.budget_s
    p = field.target
    csr = (graph.fwd if field.direction == "from" else graph.rev)[p.mode]
    nodes, times = field.reached()
    x, y = node_xy(graph)
    lo, hi = csr.indptr[nodes].astype(np.int64), csr.indptr[nodes + 1].astype(np.int64)
    counts = hi - lo
    entry = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    u = np.repeat(nodes, counts)
    v = csr.indices[entry].astype(np.int64)
    w = csr.data[entry]
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(w > 0, (budget - np.repeat(times, counts)) / w, 1.0)
    f = np.clip(f, 0.0, 1.0)
    starts = np.column_stack([x[u], y[u]])
    ends = starts + f[:, None] * (np.column_stack([x[v], y[v]]) - starts)
    own = _own_edge_parts(graph, p, budget, field.direction)
    segs = np.stack([starts, ends], axis=1)
    return np.concatenate([segs, own]) if own.size else segs


def _distinct(lines: F64) -> F64:
    """Each street part once: a two-way street reached from both ends is one band, not two."""
    if lines.shape[0] == 0:
        return lines
    a, b = np.round(lines[:, 0], 2), np.round(lines[:, 1], 2)
    first = (a[:, 0] < b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] <= b[:, 1]))
    key = np.where(first[:, None], np.hstack([a, b]), np.hstack([b, a]))
    _, keep = np.unique(key, axis=0, return_index=True)
    return lines[np.sort(keep)]


def _own_edge_parts(graph: RoadGraph, p: Snap, budget: float, direction: str) -> F64:
    """From the point along its own edge, as far as the budget goes, in each allowed direction."""
    x, y = node_xy(graph)
    px, py = graph.grid.project(p.lat, p.lon)
    out = []
    forward_w, backward_w = (p.w_ab, p.w_ba) if direction == "from" else (p.w_ba, p.w_ab)
    for end, rest, w in ((p.b, 1 - p.t, forward_w), (p.a, p.t, backward_w)):
        if math.isfinite(w) and rest > 0:
            f = min(1.0, budget / (rest * w)) if w > 0 else 1.0
            ex, ey = px + f * (x[end] - px), py + f * (y[end] - py)
            out.append([[float(px), float(py)], [float(ex), float(ey)]])
    return np.asarray(out, np.float64).reshape(-1, 2, 2)
