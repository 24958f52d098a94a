"""Snapping: a point to the nearest position on a street segment that the mode may use.

The index samples every segment at most ``spacing`` apart (twice the median segment length,
kept within 20–100 m: dense old towns get dense samples, a grid of long blocks few), so any
point of a segment is within ``half_gap`` of one of its samples. After looking at the
segments of the nearest samples (best distance ``d``), every segment closer than ``d`` has a
sample within ``d + half_gap``; when the nearest samples do not reach that far, more samples
are asked for, and at last a ball query completes the candidates. The answer is therefore the
exact nearest segment, not a heuristic.

One point at a time (``snap``) is answered first from square cells (``_Cells``): each lists the
segments near it, nearest first, and a point reads its own cell's list in plain Python floats
from memoryviews (no numpy call per point), with the same bound argument; the samples answer
what the cells leave open (a point far from every street).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from ..plain import frozen, plain_view
from .graph import (
    EARTH_RADIUS_M,
    F64,
    I64,
    M_PER_DEG,
    MODE_NAMES,
    InvalidPoint,
    OutsideGraph,
    RoadError,
    RoadGraph,
    haversine_m,
)

DEFAULT_MAX_SNAP_M = 300.0
SAMPLE_SPACING_M = (20.0, 100.0)  # bounds of the adaptive sample spacing
_K_STEPS = (16, 64, 256)
_END_TOLERANCE_M = 1e-3
B = npt.NDArray[np.bool_]


class TooFarFromRoad(RoadError):
    """The nearest usable street is farther than the limit; ``nearest`` says where it is."""

    code = "too_far_from_road"

    def __init__(self, msg: str, *, distance_m: float, nearest: Snap) -> None:
        super().__init__(msg)
        self.distance_m = distance_m
        self.nearest = nearest


class ModeUnavailable(RoadError):
    """The graph has no street for this travel mode."""

    code = "mode_unavailable"


@dataclass(frozen=True)
class Snap:
    """A position on the street: segment ``a``–``b`` (``a < b``) at fraction ``t`` from ``a``.

    ``edge``/``fraction`` name the same position on a directed edge the mode may use (a→b when
    allowed, else b→a). ``w_ab``/``w_ba`` are the mode's times over the whole segment in each
    direction (inf where one-way forbids it).
    """

    mode: str
    edge: int
    fraction: float
    a: int
    b: int
    t: float
    w_ab: float
    w_ba: float
    distance_m: float
    lat: float
    lon: float


@dataclass(frozen=True)
class Snaps:
    """Many snaps as arrays; ``ok`` is False for invalid points and those beyond the limit.

    ``to_a``/``to_b`` are the times from each position to its segment's ends (inf where the
    direction is closed, 0 when the position is that node).
    """

    a: I64
    b: I64
    t: F64
    w_ab: F64
    w_ba: F64
    to_a: F64
    to_b: F64
    distance_m: F64
    lat: F64
    lon: F64
    ok: B
    seg: I64

    def take(self, rows: Any) -> Snaps:
        """The snaps of ``rows`` (an index array or mask)."""
        return Snaps(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


@dataclass(frozen=True)
class _SegmentIndex:
    a: I64
    b: I64
    e_ab: I64
    e_ba: I64
    w_ab: F64
    w_ba: F64
    ax: F64
    ay: F64
    dx: F64
    dy: F64
    inv_l2: F64
    tol: F64
    tree: Any
    sample_seg: I64
    half_gap: float
    geom: F64  # columns ax, ay, dx, dy, inv_l2, tol, w_ab, w_ba, a, b, edge: a row per segment
    # (edge: ``e_ab`` when a→b is allowed, else ``-2 - e_ba``)


def snap(
    graph: RoadGraph,
    lat: float,
    lon: float,
    *,
    mode: str,
    max_distance_m: float = DEFAULT_MAX_SNAP_M,
) -> Snap:
    """The nearest position on a street usable by ``mode``; raise ``RoadError`` rather than guess.

    Raises ``InvalidPoint`` (NaN, not a coordinate), ``OutsideGraph`` (beyond the graph's
    bounds), ``TooFarFromRoad`` (nearest street farther than ``max_distance_m``).
    """
    lat, lon = _checked_point(lat, lon)
    return snap_point(graph, lat, lon, mode, max_distance_m)


def snap_point(graph: RoadGraph, lat: float, lon: float, mode: str, max_distance_m: float) -> Snap:
    """``snap`` for a point already checked to be a finite latitude and longitude (floats)."""
    return snap_of(mode, snap_values(graph, lat, lon, mode, max_distance_m))


SnapValues = tuple[int, int, float, float, float, float, int, float, float, float]
"""A ``Snap``'s fields as a tuple: (a, b, t, w_ab, w_ba, distance_m, edge, fraction, lat, lon)."""


def snap_of(mode: str, v: SnapValues) -> Snap:
    """The ``Snap`` of ``snap_values``' tuple."""
    a, b, t, w_ab, w_ba, distance_m, edge, fraction, lat, lon = v
    return frozen(Snap, {
        "mode": mode, "edge": edge, "fraction": fraction, "a": a, "b": b, "t": t, "w_ab": w_ab,
        "w_ba": w_ba, "distance_m": distance_m, "lat": lat, "lon": lon,
    })  # fmt: skip


def snap_values(
    graph: RoadGraph, lat: float, lon: float, mode: str, max_distance_m: float
) -> SnapValues:
    """``snap_point``'s fields as a tuple (``SnapValues``), for callers that read a few of them
    (a ranking): no ``Snap`` to build. Raises as ``snap_point`` does."""
    cells: _Cells | None = graph._cache.get(_CELLS_KEY.get(mode, ""))  # built: no lock
    if cells is None:
        cells = _index_cells(graph, mode)  # raises ModeUnavailable
    min_lat, min_lon, max_lat, max_lon, m_per_deg_lon, lon0, lat0, kx, geom, ll = cells.point
    margin = max_distance_m if max_distance_m < 5_000.0 else 5_000.0  # ``_check_inside``
    dlat, dlon = margin / M_PER_DEG, margin / m_per_deg_lon
    if not (min_lat - dlat <= lat <= max_lat + dlat and min_lon - dlon <= lon <= max_lon + dlon):
        _check_inside(graph, lat, lon, max_distance_m)  # raises OutsideGraph
    px, py = (lon - lon0) * kx, (lat - lat0) * M_PER_DEG
    hit = _nearest_in_cells(cells, px, py)
    if hit is None:
        index = _index(graph, mode)
        buckets: _Buckets = graph.cached(f"snap-buckets:{mode}", lambda: _build_buckets(index))
        hit = _nearest_bucketed(index, buckets, px, py) or _nearest_one(index, px, py)
    seg, t = hit
    o = _GEOM * seg
    w_ab, w_ba, fa, fb, fe = geom[o + 6 : o + 11].tolist()
    a, b, edge = int(fa), int(fb), int(fe)
    if edge >= 0:  # a→b is allowed: the edge runs that way
        fraction = t
    else:
        edge, fraction = -2 - edge, 1.0 - t
    la, oa = ll[2 * a : 2 * a + 2].tolist()
    lb, ob = ll[2 * b : 2 * b + 2].tolist()
    slat, slon = la + t * (lb - la), oa + t * (ob - oa)
    distance_m = _haversine_one(lat, lon, slat, slon)
    v = (a, b, t, w_ab, w_ba, distance_m, edge, fraction, slat, slon)
    if distance_m > max_distance_m:
        raise TooFarFromRoad(
            f"该点距最近的可通行道路（{MODE_NAMES.get(mode, mode)}）{distance_m:.0f} 米，"
            f"超过 {max_distance_m:.0f} 米的吸附上限",
            distance_m=distance_m,
            nearest=snap_of(mode, v),
        )
    return v


def _index_cells(graph: RoadGraph, mode: str) -> _Cells:
    index = _index(graph, mode)
    cells: _Cells = graph.cached(f"snap-cells:{mode}", lambda: _build_cells(graph, index))
    return cells


def snap_many(
    graph: RoadGraph,
    lats: npt.ArrayLike,
    lons: npt.ArrayLike,
    *,
    mode: str,
    max_distance_m: float = DEFAULT_MAX_SNAP_M,
) -> Snaps:
    """``snap`` for many points at once; problems show as ``ok == False`` instead of errors."""
    index = _index(graph, mode)
    lat = np.asarray(lats, np.float64)
    lon = np.asarray(lons, np.float64)
    valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    valid &= _inside(graph, lat, lon, max_distance_m)
    lat0, lon0 = graph.grid.lat0, graph.grid.lon0
    px, py = graph.grid.project(np.where(valid, lat, lat0), np.where(valid, lon, lon0))
    seg, t = _nearest(index, np.atleast_1d(px), np.atleast_1d(py))
    a, b = index.a[seg], index.b[seg]
    slat = graph.lat[a] + t * (graph.lat[b] - graph.lat[a])
    slon = graph.lon[a] + t * (graph.lon[b] - graph.lon[a])
    dist = np.where(valid, haversine_m(lat, lon, slat, slon), np.inf)
    w_ab, w_ba = index.w_ab[seg], index.w_ba[seg]
    to_a, to_b = times_to_ends(t, w_ab, w_ba)
    return Snaps(a, b, t, w_ab, w_ba, to_a, to_b, dist, slat, slon, dist <= max_distance_m, seg)


def times_to_ends(t: F64, w_ab: F64, w_ba: F64) -> tuple[F64, F64]:
    """Time from positions at fraction ``t`` of their segments to the ``a`` and ``b`` ends."""
    with np.errstate(invalid="ignore"):
        to_a = np.where(t == 0, 0.0, np.where(np.isfinite(w_ba), t * w_ba, np.inf))
        to_b = np.where(t == 1, 0.0, np.where(np.isfinite(w_ab), (1 - t) * w_ab, np.inf))
    return to_a, to_b


def _checked_point(lat: float, lon: float) -> tuple[float, float]:
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError) as exc:
        raise InvalidPoint(f"坐标无效：{lat!r}, {lon!r}") from exc
    if not (math.isfinite(la) and math.isfinite(lo)) or abs(la) > 90 or abs(lo) > 180:
        raise InvalidPoint(f"坐标无效：纬度 {lat!r}，经度 {lon!r}")
    return la, lo


def _inside(graph: RoadGraph, lat: Any, lon: Any, margin_m: float) -> Any:
    min_lat, min_lon, max_lat, max_lon = graph.bounds
    margin = min(margin_m, 5_000.0)
    dlat = margin / M_PER_DEG
    dlon = margin / (M_PER_DEG * math.cos(math.radians(graph.grid.lat0)))
    with np.errstate(invalid="ignore"):
        return (
            (lat >= min_lat - dlat)
            & (lat <= max_lat + dlat)
            & (lon >= min_lon - dlon)
            & (lon <= max_lon + dlon)
        )


_RADIANS = math.pi / 180.0


def _haversine_one(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """``haversine_m`` for one pair of points in plain floats (no numpy call; ``** 2`` as
    ``x * x``, as numpy's arrays square)."""
    p1, p2 = lat1 * _RADIANS, lat2 * _RADIANS  # ``math.radians``: the same product
    s1 = math.sin((p2 - p1) / 2)
    s2 = math.sin((lon2 - lon1) * _RADIANS / 2)
    h = s1 * s1 + math.cos(p1) * math.cos(p2) * (s2 * s2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(1.0 if h > 1.0 else h))


def _check_inside(graph: RoadGraph, lat: float, lon: float, margin_m: float) -> None:
    min_lat, min_lon, max_lat, max_lon = graph.bounds
    margin = min(margin_m, 5_000.0)
    dlat = margin / M_PER_DEG
    dlon = margin / (M_PER_DEG * math.cos(math.radians(graph.grid.lat0)))
    inside = min_lat - dlat <= lat <= max_lat + dlat and min_lon - dlon <= lon <= max_lon + dlon
    if not inside:
        raise OutsideGraph(f"坐标 ({lat:.6f}, {lon:.6f}) 不在路网“{graph.name}”的范围内")


def _index(graph: RoadGraph, mode: str) -> _SegmentIndex:
    if mode not in graph.rev:
        raise ModeUnavailable(f"路网“{graph.name}”中没有{MODE_NAMES.get(mode, mode)}可走的道路")
    index: _SegmentIndex = graph.cached(f"snap:{mode}", lambda: _build_index(graph, mode))
    return index


def node_xy(graph: RoadGraph) -> tuple[F64, F64]:
    """Projected node coordinates (metres), computed once per graph."""
    xy: tuple[F64, F64] = graph.cached("xy", lambda: graph.grid.project(graph.lat, graph.lon))
    return xy


def _build_index(graph: RoadGraph, mode: str) -> _SegmentIndex:
    csr, n = graph.fwd[mode], graph.n_nodes
    m = csr.n_entries
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(csr.indptr[: n + 1]))
    cols = csr.indices[:m].astype(np.int64)
    lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
    keys, inv = np.unique(lo * n + hi, return_inverse=True)
    a, b = keys // n, keys % n
    s = keys.size
    e_ab, e_ba = np.full(s, -1, np.int64), np.full(s, -1, np.int64)
    w_ab, w_ba = np.full(s, np.inf), np.full(s, np.inf)
    fwd = rows < cols
    e_ab[inv[fwd]], w_ab[inv[fwd]] = csr.edge[:m][fwd], csr.data[:m][fwd]
    e_ba[inv[~fwd]], w_ba[inv[~fwd]] = csr.edge[:m][~fwd], csr.data[:m][~fwd]
    x, y = node_xy(graph)
    ax, ay, bx, by = x[a], y[a], x[b], y[b]
    length = np.hypot(bx - ax, by - ay)
    spacing = float(np.clip(2 * np.median(length), *SAMPLE_SPACING_M)) if s else 1.0
    k = np.maximum(1, np.ceil(length / spacing)).astype(np.int64)
    seg_of = np.repeat(np.arange(s, dtype=np.int64), k)
    first = np.repeat(np.cumsum(k) - k, k)
    frac = (np.arange(seg_of.size) - first + 0.5) / k[seg_of]
    sx = ax[seg_of] + frac * (bx - ax)[seg_of]
    sy = ay[seg_of] + frac * (by - ay)[seg_of]
    tree = cKDTree(np.column_stack([sx, sy]))
    half_gap = float(np.max(length / (2 * k))) + 1e-6
    dx, dy = bx - ax, by - ay
    inv_l2 = np.divide(1.0, length**2, out=np.zeros(s), where=length > 0)
    tol = np.divide(_END_TOLERANCE_M, length, out=np.ones(s), where=length > 0)
    edge = np.where(e_ab >= 0, e_ab, -2 - e_ba)  # ``Snap.edge``: a→b if allowed, else b→a (< 0)
    geom = np.column_stack([ax, ay, dx, dy, inv_l2, tol, w_ab, w_ba, a, b, edge])  # ids < 2**53
    ax, ay, dx, dy, inv_l2, tol, w_ab, w_ba = (geom[:, i] for i in range(8))
    return _SegmentIndex(
        a, b, e_ab, e_ba, w_ab, w_ba, ax, ay, dx, dy, inv_l2, tol, tree, seg_of, half_gap, geom
    )


def _project_onto(index: _SegmentIndex, seg: I64, px: Any, py: Any) -> tuple[F64, F64]:
    """Fraction along each segment of the closest point to (px, py), and the distance."""
    g = index.geom[seg]
    ax, ay, dx, dy, inv_l2, tol = (g[..., i] for i in range(6))
    rx, ry = px - ax, py - ay
    t = np.minimum(np.maximum((rx * dx + ry * dy) * inv_l2, 0.0), 1.0)
    # within a millimetre of an end is the end: the node itself (tol)
    t = np.where(t < tol, 0.0, np.where(t > 1.0 - tol, 1.0, t))
    return t, np.hypot(rx - t * dx, ry - t * dy)


@dataclass(frozen=True)
class _Buckets:
    """The index's samples by square bucket (row-major), for one point at a time.

    Samples ``seg[ptr[c] : ptr[c + 1]]`` (their segments) lie in bucket ``c = cy * nx + cx``.
    """

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    ptr: list[int]
    seg: I64


_MAX_BUCKETS = 4_000_000
_MAX_RING = 8  # farther than this many buckets: the KD-tree answers


def _build_buckets(index: _SegmentIndex) -> _Buckets:
    pts = np.asarray(index.tree.data, np.float64)
    if pts.shape[0] == 0:
        return _Buckets(0.0, 0.0, 1.0, 0, 0, [0], index.sample_seg)
    size = max(4.0 * index.half_gap, 20.0)
    x0, y0 = (float(v) for v in pts.min(axis=0))
    x1, y1 = (float(v) for v in pts.max(axis=0))
    while ((x1 - x0) // size + 1) * ((y1 - y0) // size + 1) > _MAX_BUCKETS:
        size *= 2
    nx, ny = int((x1 - x0) // size) + 1, int((y1 - y0) // size) + 1
    cx = np.minimum(((pts[:, 0] - x0) // size).astype(np.int64), nx - 1)
    cy = np.minimum(((pts[:, 1] - y0) // size).astype(np.int64), ny - 1)
    cell = cy * nx + cx
    order = np.argsort(cell, kind="stable")
    ptr = np.zeros(nx * ny + 1, np.int64)
    np.cumsum(np.bincount(cell, minlength=nx * ny), out=ptr[1:])
    return _Buckets(x0, y0, size, nx, ny, ptr.tolist(), index.sample_seg[order])


def _nearest_bucketed(
    index: _SegmentIndex, b: _Buckets, px: float, py: float
) -> tuple[int, float] | None:
    """The nearest segment from the samples in the 3 × 3 buckets around the point (or more).

    Every sample outside a block of ``r`` buckets around the point's own lies at least
    ``r × size`` away, so every segment without a sample in the block at least
    ``r × size - half_gap``: a best distance within that is the exact answer. Otherwise the
    block grows to hold every sample within ``best + half_gap``, which settles it. None when
    the point lies outside the buckets, none are near or the block would grow too wide (the
    KD-tree path then answers).
    """
    fx, fy = (px - b.x0) // b.size, (py - b.y0) // b.size
    if not (0 <= fx < b.nx and 0 <= fy < b.ny):
        return None
    cx, cy = int(fx), int(fy)
    r = 1
    while r <= _MAX_RING:
        x_lo, x_hi = max(cx - r, 0), min(cx + r, b.nx - 1) + 1
        parts = []
        for row in range(max(cy - r, 0) * b.nx, (min(cy + r, b.ny - 1) + 1) * b.nx, b.nx):
            lo, hi = b.ptr[row + x_lo], b.ptr[row + x_hi]
            if hi > lo:
                parts.append(b.seg[lo:hi])
        if not parts:
            return None
        cand = np.concatenate(parts) if len(parts) > 1 else parts[0]
        t, d = _project_onto(index, cand, px, py)
        j = int(d.argmin())
        best = d.item(j)
        if best <= r * b.size - index.half_gap:
            return cand.item(j), t.item(j)
        # the answer is at most ``best`` away: a block that wide settles it in one more look
        r = max(r + 1, math.ceil((best + index.half_gap) / b.size))
    return None


CELL_SIZE_M = (30.0, 70.0)
"""Bounds of the side of ``_Cells``' squares (0.7 × the median segment length within them)."""
_MAX_CELLS = 4_000_000
_CELLS_KEY = {mode: f"snap-cells:{mode}" for mode in MODE_NAMES}
_MAX_CELL_RING = 4  # a wider block of cells: the sample buckets answer
_CELL_CHUNK = 2_000_000  # (segment, cell) pairs examined at a time while building
_GEOM = 11  # columns of ``_SegmentIndex.geom``


@dataclass(frozen=True)
class _Cells:
    """Square cells (row-major, side ``size``), each listing the segments within ``radius``
    (its diagonal) of its centre, as flat memoryviews: a point is snapped in plain Python
    floats, mostly from its own cell's list (one slice), without a numpy call.

    Cell ``c = cy * nx + cx`` lists segments ``seg[ptr[c] : ptr[c + 1]]``, nearest its centre
    first; every segment with a point inside the cell is among them. ``geom`` is ``_SegmentIndex.geom`` flat: segment
    ``s`` at ``10 s … 10 s + 9``. The cells cover every segment: none lies beyond them.
    """

    x0: float
    y0: float
    size: float
    radius: float
    nx: int
    ny: int
    ptr: Any  # memoryview of int64
    seg: Any  # memoryview of int32 (int64 past 2**23 segments): segment << 8 | near, its
    # distance to the centre being at least near × radius / 255
    geom: Any  # memoryview of float64
    entries: int
    # what ``snap`` reads per point, as plain values and memoryviews of the index and graph
    lat_lon: Any  # memoryview of float64: node n's latitude at 2 n, its longitude at 2 n + 1
    bounds: tuple[float, float, float, float]
    m_per_deg_lon: float
    lat0: float
    lon0: float
    kx: float

    hot: tuple[float, float, float, int, int, float, Any, Any, Any] = field(init=False)
    """What ``_nearest_in_cells`` reads first, in one attribute."""
    point: tuple[float, float, float, float, float, float, float, float, Any, Any] = field(
        init=False
    )
    """What ``snap_values`` reads: bounds, m_per_deg_lon, lon0, lat0, kx, geom, lat_lon."""

    def __post_init__(self) -> None:
        hot = (self.x0, self.y0, self.size, self.nx, self.ny, self.radius, self.ptr, self.seg,
               self.geom)  # fmt: skip
        object.__setattr__(self, "hot", hot)
        point = (*self.bounds, self.m_per_deg_lon, self.lon0, self.lat0, self.kx, self.geom,
                 self.lat_lon)  # fmt: skip
        object.__setattr__(self, "point", point)


def _build_cells(graph: RoadGraph, index: _SegmentIndex) -> _Cells:
    s = index.a.size
    # contiguous copies of the geometry's columns: the gathers below are many
    ax, ay, dx, dy, inv_l2 = (
        np.ascontiguousarray(v) for v in (index.ax, index.ay, index.dx, index.dy, index.inv_l2)
    )
    g = graph.grid
    lat_lon = graph.cached(
        "snap-lat-lon", lambda: plain_view(np.column_stack([graph.lat, graph.lon]).reshape(-1))
    )
    fixed = (
        lat_lon,
        graph.bounds, M_PER_DEG * math.cos(math.radians(g.lat0)), g.lat0, g.lon0, g.kx,
    )  # fmt: skip
    geom = plain_view(index.geom.reshape(-1))
    if s == 0:
        no_seg = plain_view(np.zeros(0, np.int64))
        return _Cells(0.0, 0.0, 1.0, 1.0, 0, 0, plain_view(np.zeros(1, np.int64)), no_seg,
                      geom, 0, *fixed)  # fmt: skip
    size = float(np.clip(0.7 * np.median(np.hypot(dx, dy)), *CELL_SIZE_M))
    bx, by = ax + dx, ay + dy
    lo_x, lo_y = np.minimum(ax, bx), np.minimum(ay, by)
    hi_x, hi_y = np.maximum(ax, bx), np.maximum(ay, by)
    x0, y0 = float(lo_x.min()), float(lo_y.min())
    x1, y1 = float(hi_x.max()), float(hi_y.max())
    while ((x1 - x0) // size + 1) * ((y1 - y0) // size + 1) > _MAX_CELLS:
        size *= 2
    nx, ny = int((x1 - x0) // size) + 1, int((y1 - y0) // size) + 1
    radius = size * math.sqrt(2.0)
    reach = radius * (1 + 1e-9) + 1e-9  # a superset: rounding never drops a segment
    cx_lo = np.clip(((lo_x - radius - x0) // size).astype(np.int64), 0, nx - 1)
    cx_hi = np.clip(((hi_x + radius - x0) // size).astype(np.int64), 0, nx - 1)
    cy_lo = np.clip(((lo_y - radius - y0) // size).astype(np.int64), 0, ny - 1)
    cy_hi = np.clip(((hi_y + radius - y0) // size).astype(np.int64), 0, ny - 1)
    width = cx_hi - cx_lo + 1
    count = width * (cy_hi - cy_lo + 1)
    ends = np.cumsum(count)
    cells_out: list[I64] = []
    segs_out: list[I64] = []
    dist_out: list[F64] = []  # distances to the cell's centre
    first = 0
    while first < s:  # a chunk of segments at a time: long ones span many cells
        base = int(ends[first - 1]) if first else 0
        last = max(int(np.searchsorted(ends, base + _CELL_CHUNK, side="right")), first + 1)
        seg = np.repeat(np.arange(first, last, dtype=np.int64), count[first:last])
        local = np.arange(seg.size, dtype=np.int64) - (ends[seg] - count[seg] - base)
        cx = cx_lo[seg] + local % width[seg]
        cy = cy_lo[seg] + local // width[seg]
        rx = x0 + (cx + 0.5) * size - ax[seg]
        ry = y0 + (cy + 0.5) * size - ay[seg]
        sdx, sdy = dx[seg], dy[seg]
        t = np.clip((rx * sdx + ry * sdy) * inv_l2[seg], 0.0, 1.0)
        dist = np.hypot(rx - t * sdx, ry - t * sdy)
        near = dist <= reach
        cells_out.append(cy[near] * nx + cx[near])
        segs_out.append(seg[near])
        dist_out.append(dist[near])
        first = last
    cell = np.concatenate(cells_out)
    # a lower bound of each listed segment's distance to the centre, in 255ths of the radius
    steps = np.floor(np.concatenate(dist_out) * (255 / radius) - 1e-6)
    near = np.clip(steps, 0, 255).astype(np.int64)
    order = np.argsort(cell << 8 | near)  # by cell, then nearest the centre first
    ptr = np.zeros(nx * ny + 1, np.int64)
    np.cumsum(np.bincount(cell, minlength=nx * ny), out=ptr[1:])
    packed = np.concatenate(segs_out)[order] << 8 | near[order]
    if s < 2**23:
        packed = packed.astype(np.int32)  # half the memory
    return _Cells(
        x0, y0, size, radius, nx, ny, plain_view(ptr), plain_view(packed), geom,
        int(packed.size), *fixed,
    )  # fmt: skip


def _nearest_of(g: Any, ids: Any, px: float, py: float) -> tuple[float, int, float]:
    """(squared distance, segment, fraction) of the nearest of the segments ``ids`` (the
    lowest index among equals; -1 for none), in the arithmetic of ``_project_onto``."""
    best, best_seg, best_t = math.inf, -1, 0.0
    for s in ids:
        o = _GEOM * s
        ax, ay, dx, dy, inv_l2, tol = g[o : o + 6].tolist()
        rx, ry = px - ax, py - ay
        t = (rx * dx + ry * dy) * inv_l2
        t = 0.0 if t < 0.0 else (1.0 if t > 1.0 else t)
        if t < tol:
            t = 0.0
        elif t > 1.0 - tol:
            t = 1.0
        ex, ey = rx - t * dx, ry - t * dy
        d2 = ex * ex + ey * ey
        if d2 < best or (d2 == best and s < best_seg):
            best, best_seg, best_t = d2, s, t
    return best, best_seg, best_t


def _nearest_in_cells(c: _Cells, px: float, py: float) -> tuple[int, float] | None:
    """The nearest segment (the lowest index among equals) and the fraction along it, in
    plain floats (the arithmetic of ``_project_onto``).

    First the point's own cell: a segment it does not list lies more than ``radius`` from the
    cell's centre, so more than ``radius - |point - centre|`` from the point; a best distance
    within that is the exact answer. Otherwise blocks of cells around it: a segment listed in
    none of a block's cells does not cross the block, so lies at least as far as the block's
    nearest side (sides at the edge of the cells do not count: no segment lies beyond). None
    outside the cells, with no segment near or past ``_MAX_CELL_RING`` (the sample buckets
    answer then).
    """
    x0, y0, size, nx, ny, radius, ptr, segs, g = c.hot
    fx, fy = (px - x0) / size, (py - y0) / size
    if not (0.0 <= fx < nx and 0.0 <= fy < ny):
        return None
    cx, cy = int(fx), int(fy)
    cell = cy * nx + cx
    lo, hi = ptr[cell], ptr[cell + 1]
    ox, oy = fx - cx - 0.5, fy - cy - 0.5
    off = size * math.sqrt(ox * ox + oy * oy)  # from the cell's centre
    step = radius / 255
    best, best_seg, best_t = math.inf, -1, 0.0
    for packed in segs[lo:hi].tolist():
        bound = (packed & 255) * step - off  # no nearer to the point than this, nor any after it
        if bound > 0.0 and bound * bound > best:
            break
        s = packed >> 8
        o = _GEOM * s  # as in ``_nearest_of``
        ax, ay, dx, dy, inv_l2, tol = g[o : o + 6].tolist()
        rx, ry = px - ax, py - ay
        t = (rx * dx + ry * dy) * inv_l2
        t = 0.0 if t < 0.0 else (1.0 if t > 1.0 else t)
        if t < tol:
            t = 0.0
        elif t > 1.0 - tol:
            t = 1.0
        ex, ey = rx - t * dx, ry - t * dy
        d2 = ex * ex + ey * ey
        if d2 < best or (d2 == best and s < best_seg):
            best, best_seg, best_t = d2, s, t
    if best_seg >= 0 and math.sqrt(best) <= radius - off:
        return best_seg, best_t
    r = 1
    while r <= _MAX_CELL_RING:
        x_lo, x_hi = max(cx - r, 0), min(cx + r, nx - 1)
        y_lo, y_hi = max(cy - r, 0), min(cy + r, ny - 1)
        ids: set[int] = set()
        for row in range(y_lo * nx, y_hi * nx + 1, nx):
            ids.update(p >> 8 for p in segs[ptr[row + x_lo] : ptr[row + x_hi + 1]].tolist())
        best, best_seg, best_t = _nearest_of(g, ids, px, py)
        if best_seg < 0:
            return None
        inf = math.inf
        margin = min(
            px - (c.x0 + x_lo * size) if x_lo > 0 else inf,
            c.x0 + (x_hi + 1) * size - px if x_hi < nx - 1 else inf,
            py - (c.y0 + y_lo * size) if y_lo > 0 else inf,
            c.y0 + (y_hi + 1) * size - py if y_hi < ny - 1 else inf,
        )
        best_d = math.sqrt(best)
        if best_d <= margin:
            return best_seg, best_t
        r = max(r + 1, math.ceil(best_d / size))
    return None


def _nearest_one(index: _SegmentIndex, px: float, py: float) -> tuple[int, float]:
    """``_nearest`` for a single point, without the per-array overhead."""
    n_samples = index.sample_seg.size
    for k in _K_STEPS:
        k = min(k, n_samples)
        sample_d, sample_i = index.tree.query((px, py), k=k)
        cand = index.sample_seg[np.atleast_1d(sample_i)]
        t, d = _project_onto(index, cand, px, py)
        j = int(np.argmin(d))
        if k >= n_samples or float(np.atleast_1d(sample_d)[-1]) - index.half_gap >= d[j]:
            return int(cand[j]), float(t[j])
    near = index.tree.query_ball_point((px, py), float(d[j]) + index.half_gap)
    cand = np.unique(index.sample_seg[np.asarray(near, np.int64)])
    t, d = _project_onto(index, cand, px, py)
    j = int(np.argmin(d))
    return int(cand[j]), float(t[j])


def _nearest(index: _SegmentIndex, px: F64, py: F64) -> tuple[I64, F64]:
    """Nearest segment and fraction for many points (exact; see the module doc).

    The nearest ``k`` samples settle most points; the others ask for more samples, and the
    last few get a ball query of radius ``best + half_gap``.
    """
    n_samples = index.sample_seg.size
    seg = np.zeros(px.size, np.int64)
    frac = np.zeros(px.size)
    best = np.zeros(px.size)
    todo = np.arange(px.size)
    for k in _K_STEPS:
        k = min(k, n_samples)
        sample_d, sample_i = index.tree.query(np.column_stack([px[todo], py[todo]]), k=k)
        sample_d = sample_d.reshape(todo.size, k)
        cand = index.sample_seg[sample_i.reshape(todo.size, k)]
        t, d = _project_onto(index, cand, px[todo, None], py[todo, None])
        j = np.argmin(d, axis=1)
        rows = np.arange(todo.size)
        seg[todo], frac[todo], best[todo] = cand[rows, j], t[rows, j], d[rows, j]
        if k >= n_samples:
            return seg, frac
        todo = todo[sample_d[:, -1] - index.half_gap < best[todo]]
        if todo.size == 0:
            return seg, frac
    for r in todo.tolist():  # a long segment may hide behind very many short ones
        near = index.tree.query_ball_point([px[r], py[r]], best[r] + index.half_gap)
        segs = np.unique(index.sample_seg[np.asarray(near, np.int64)])
        tt, dd = _project_onto(index, segs, px[r], py[r])
        i = int(np.argmin(dd))
        seg[r], frac[r] = segs[i], tt[i]
    return seg, frac
