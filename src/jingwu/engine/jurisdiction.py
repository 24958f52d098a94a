"""Jurisdiction: which branch, station, workstation, police room and grid a point falls in.

The tiers (派出所控面、警务站防片、警务室守格) are polygons in lon/lat (WGS-84). Each level is
resolved on its own, so imported data whose tiers do not nest perfectly still gives the exact
answer per level. A point belongs to the polygon that covers it (interior or boundary); where
polygons of one level overlap, or a point lies on a shared edge, the smallest id wins. That
makes every answer deterministic and equal to an exact point-in-polygon test.

Speed comes from a raster over the bounding box of all areas: a cell that no boundary of a
level touches is answered for that level by one array lookup; only points in cells crossed by
a boundary (a few percent) go to an exact shapely test. :func:`validate_tier` checks imported
tiers before they are indexed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import shapely
from scipy import ndimage
from shapely.geometry import MultiPolygon, Polygon

from jingwu.engine.geo import area_m2

LEVELS: tuple[str, ...] = ("branch", "station", "workstation", "police_room", "grid")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Severity = Literal["error", "warning"]
IssueCode = Literal[
    "invalid_geometry",
    "not_polygon",
    "self_intersection",
    "overlap",
    "gap",
    "outside_parent",
    "unknown_parent",
    "empty",
]


@dataclass(frozen=True)
class AreaShape:
    """One area of a tier: its id, level, parent's id and GeoJSON (Multi)Polygon in lon/lat."""

    id: int
    level: str
    parent_id: int | None
    geometry: dict[str, Any]

    def __post_init__(self) -> None:
        if self.level not in _RANK:
            raise ValueError(f"unknown level {self.level!r}; expected one of {LEVELS}")


@dataclass(frozen=True)
class Issue:
    """A problem :func:`validate_tier` found; ``area_m2`` is set for overlaps, gaps, overhangs."""

    severity: Severity
    code: IssueCode
    area_ids: tuple[int, ...]
    area_m2: float | None = None
    detail: str = ""


class GeometryError(ValueError):
    """Malformed GeoJSON; ``reason`` is machine-readable (e.g. "unclosed_ring", "nesting")."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# --------------------------------------------------------------------------- GeoJSON parsing


def _position(value: Any) -> tuple[float, float]:
    if not isinstance(value, list | tuple):
        raise GeometryError("nesting", f"expected a position [lon, lat], got {value!r}")
    if len(value) not in (2, 3):
        raise GeometryError("nesting", f"a position has 2 or 3 numbers, got {len(value)}")
    for v in value:
        # bool is an int in Python; a JSON true is not a coordinate.
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise GeometryError("not_numeric", f"coordinate {v!r} is not a number")
        if not math.isfinite(v):
            raise GeometryError("not_finite", f"coordinate {v!r} is not finite")
    lon, lat = float(value[0]), float(value[1])
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise GeometryError("out_of_range", f"lon/lat out of range: [{lon}, {lat}]")
    return lon, lat


def _ring(value: Any) -> list[tuple[float, float]]:
    if not isinstance(value, list | tuple):
        raise GeometryError("nesting", "expected a ring (a list of positions)")
    ring = [_position(p) for p in value]
    if len(ring) < 4:
        raise GeometryError(
            "too_few_positions", f"a ring needs at least 4 positions, got {len(ring)}"
        )
    if ring[0] != ring[-1]:
        raise GeometryError("unclosed_ring", "a ring must end at its first position")
    return ring


def _polygon(value: Any) -> Polygon:
    if not isinstance(value, list | tuple):
        raise GeometryError("nesting", "expected a polygon (a list of rings)")
    if len(value) == 0:
        return Polygon()
    rings = [_ring(r) for r in value]
    return Polygon(rings[0], rings[1:])


def parse_geometry(geojson: dict[str, Any]) -> Polygon | MultiPolygon:
    """A GeoJSON Polygon or MultiPolygon (lon/lat) to shapely; raise :class:`GeometryError`.

    Checks the structure only (type, nesting, closed rings of 4+ positions, finite numbers
    within lon/lat range); topology (self-intersection, overlaps) is :func:`validate_tier`'s job.
    """
    if not isinstance(geojson, dict):
        raise GeometryError("not_object", "a geometry must be a JSON object")
    kind = geojson.get("type")
    if not isinstance(kind, str):
        raise GeometryError("missing_type", "the geometry has no type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise GeometryError("not_polygon", f"expected Polygon or MultiPolygon, got {kind}")
    if "coordinates" not in geojson:
        raise GeometryError("missing_coordinates", "the geometry has no coordinates")
    coords = geojson["coordinates"]
    if kind == "Polygon":
        return _polygon(coords)
    if not isinstance(coords, list | tuple):
        raise GeometryError("nesting", "expected a list of polygons")
    parts = [_polygon(p) for p in coords]
    return MultiPolygon([p for p in parts if not p.is_empty])


# ------------------------------------------------------------------------------ the index


@dataclass(frozen=True)
class _Raster:
    """A uniform lon/lat grid; cell (ix, iy) covers [x0 + ix*cw, x0 + (ix+1)*cw) and likewise y."""

    x0: float
    y0: float
    cw: float
    ch: float
    nx: int
    ny: int
    cell_m: float

    @property
    def size(self) -> int:
        return self.nx * self.ny

    def cells(self, lons: FloatArray, lats: FloatArray) -> npt.NDArray[np.intp]:
        """Flat cell index of each point; ``size`` (a sentinel cell) outside the grid or NaN."""
        fx = (lons - self.x0) * (1.0 / self.cw)
        fy = (lats - self.y0) * (1.0 / self.ch)
        inside = (fx >= 0.0) & (fx < self.nx) & (fy >= 0.0) & (fy < self.ny)
        fx = np.where(inside, fx, 0.0)
        fy = np.where(inside, fy, 0.0)
        cell = fy.astype(np.intp) * self.nx + fx.astype(np.intp)
        cell[~inside] = self.size
        return cell


@dataclass(frozen=True)
class _Level:
    """One level's polygons (sorted by id), their tree, and the per-cell answers.

    ``slots[cell]`` is 0 where a boundary touches the cell (exact test needed), 1 where no
    polygon of the level covers the cell, and k + 2 where polygon k covers all of it;
    ``answer[slot]`` turns a slot into an area id (-1 for none).
    """

    ids: IntArray
    geoms: npt.NDArray[np.object_]
    tree: shapely.STRtree
    slots: npt.NDArray[np.unsignedinteger[Any]]
    answer: IntArray

    def exact(self, lons: FloatArray, lats: FloatArray) -> IntArray:
        """Area id (smallest on overlaps and shared edges) covering each point, -1 for none."""
        pairs = self.tree.query(shapely.points(lons, lats))
        hit_pt, hit_poly = pairs[0], pairs[1]
        keep = np.zeros(hit_pt.size, dtype=bool)
        order = np.argsort(hit_poly, kind="stable")
        bounds = np.flatnonzero(np.diff(hit_poly[order], prepend=-1, append=-1))
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            sel = order[start:stop]
            poly = self.geoms[hit_poly[sel[0]]]
            keep[sel] = shapely.intersects_xy(poly, lons[hit_pt[sel]], lats[hit_pt[sel]])
        best = _smallest_per_point(hit_pt[keep], hit_poly[keep], lons.size)
        return np.where(best >= 0, self.ids[np.maximum(best, 0)], -1)


def _smallest_per_point(points: npt.NDArray[Any], polys: npt.NDArray[Any], n: int) -> IntArray:
    """For each of n points the smallest polygon index paired with it, or -1."""
    best = np.full(n, -1, dtype=np.int64)
    if points.size:
        order = np.lexsort((polys, points))
        p, q = points[order], polys[order]
        first = np.ones(p.size, dtype=bool)
        first[1:] = p[1:] != p[:-1]
        best[p[first]] = q[first]
    return best


class JurisdictionIndex:
    """Point -> area id for every level; build once per tier, query millions of points a second."""

    def __init__(self, raster: _Raster, levels: dict[str, _Level | None]) -> None:
        self._raster = raster
        self._levels = levels

    @classmethod
    def build(
        cls,
        areas: Sequence[AreaShape],
        *,
        cell_m: float | None = None,
        max_cells: int = 1 << 22,
    ) -> JurisdictionIndex:
        """Index the areas; raise :class:`GeometryError` for malformed or invalid polygons.

        The raster has cells of ``cell_m`` metres (default: as fine as ``max_cells`` allows over
        the bounding box of all areas). Finer cells send fewer points to the exact test at the
        cost of memory (one or two bytes per cell per level). Empty geometries are skipped.
        Run :func:`validate_tier` first to report problems instead of raising.
        """
        by_level: dict[str, list[tuple[int, Polygon | MultiPolygon]]] = defaultdict(list)
        seen: set[int] = set()
        for area in areas:
            if area.id in seen:
                raise ValueError(f"duplicate area id {area.id}")
            seen.add(area.id)
            geom = parse_geometry(area.geometry)
            if geom.is_empty:
                continue
            if not geom.is_valid:
                raise GeometryError("invalid", f"area {area.id}: {shapely.is_valid_reason(geom)}")
            by_level[area.level].append((area.id, geom))
        raster = _make_raster(
            [g for items in by_level.values() for _, g in items], cell_m, max_cells
        )
        levels = {
            level: _build_level(raster, sorted(by_level[level], key=lambda t: t[0]))
            if by_level.get(level)
            else None
            for level in LEVELS
        }
        return cls(raster, levels)

    @property
    def cell_count(self) -> int:
        """Cells in the raster (the same grid serves every level)."""
        return self._raster.size

    @property
    def cell_m(self) -> float:
        """The raster's cell size in metres (roughly square cells)."""
        return self._raster.cell_m

    def ambiguous_share(self) -> dict[str, float]:
        """Per level, the share of raster cells that need an exact test (a tuning figure)."""
        return {
            level: float(np.mean(lv.slots[:-1] == 0)) if lv is not None else 0.0
            for level, lv in self._levels.items()
        }

    def locate_many(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> dict[str, IntArray]:
        """Area id per level for each point (int64 arrays, -1 where no area covers the point)."""
        la = np.ascontiguousarray(lats, dtype=np.float64).ravel()
        lo = np.ascontiguousarray(lons, dtype=np.float64).ravel()
        if la.shape != lo.shape:
            raise ValueError("lats and lons must have the same length")
        cells = self._raster.cells(lo, la)
        out: dict[str, IntArray] = {}
        for level in LEVELS:
            lv = self._levels[level]
            if lv is None:
                out[level] = np.full(la.size, -1, dtype=np.int64)
                continue
            slots = np.take(lv.slots, cells)
            ids = np.take(lv.answer, slots)
            boundary = np.flatnonzero(slots == 0)
            if boundary.size:
                ids[boundary] = lv.exact(lo[boundary], la[boundary])
            out[level] = ids
        return out

    def locate(self, lat: float, lon: float) -> dict[str, int | None]:
        """Area id per level for one point (None where no area covers it).

        The same answer as :meth:`locate_many` for a single point, without its arrays: the
        cell is computed in plain floats and only a point on a boundary cell goes to the
        exact test (one request locates one point; the arrays cost more than the lookup).
        """
        r = self._raster
        lat, lon = float(lat), float(lon)
        fx = (lon - r.x0) * (1.0 / r.cw)
        fy = (lat - r.y0) * (1.0 / r.ch)
        inside = 0.0 <= fx < r.nx and 0.0 <= fy < r.ny  # False for NaN, as in cells()
        cell = int(fy) * r.nx + int(fx) if inside else r.size
        out: dict[str, int | None] = {}
        for level in LEVELS:
            lv = self._levels[level]
            if lv is None:
                out[level] = None
                continue
            slot = int(lv.slots[cell])
            if slot == 0:
                found = int(lv.exact(np.array([lon]), np.array([lat]))[0])
            else:
                found = int(lv.answer[slot])
            out[level] = found if found >= 0 else None
        return out


def _make_raster(
    geoms: Sequence[Polygon | MultiPolygon], cell_m: float | None, max_cells: int
) -> _Raster:
    """A grid over the bounding box of all geometries, two cells of margin on every side."""
    if not geoms:
        return _Raster(0.0, 0.0, 1.0, 1.0, 1, 1, 0.0)
    minx, miny, maxx, maxy = map(float, shapely.total_bounds(np.array(geoms, dtype=object)))
    # Degrees per metre at the box's middle latitude: the grid only has to be roughly square.
    m_per_deg_y = 110_574.0
    m_per_deg_x = 111_320.0 * max(math.cos(math.radians((miny + maxy) / 2.0)), 0.01)
    width_m = max((maxx - minx) * m_per_deg_x, 1.0)
    height_m = max((maxy - miny) * m_per_deg_y, 1.0)
    finest = math.sqrt(width_m * height_m / max(max_cells, 16))
    size_m = max(cell_m or 0.0, finest)
    cw, ch = size_m / m_per_deg_x, size_m / m_per_deg_y
    nx = math.ceil((maxx - minx) / cw) + 4
    ny = math.ceil((maxy - miny) / ch) + 4
    return _Raster(minx - 2.0 * cw, miny - 2.0 * ch, cw, ch, nx, ny, size_m)


def _boundary_cells(
    raster: _Raster, geoms: Sequence[Polygon | MultiPolygon]
) -> npt.NDArray[np.bool_]:
    """Cells that any ring of the geometries touches, conservatively (a superset).

    Every segment is sampled at most a quarter cell apart and each sample marks its cell and the
    8 neighbours, so any cell within a quarter cell of a boundary is marked; floating-point
    error at cell edges (far below that) can never leave a touched cell unmarked.
    """
    marked = np.zeros(raster.size, dtype=bool)
    rings = shapely.get_rings(shapely.get_parts(np.array(geoms, dtype=object)))
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    gx = (coords[:, 0] - raster.x0) / raster.cw
    gy = (coords[:, 1] - raster.y0) / raster.ch
    same_ring = ring_of[1:] == ring_of[:-1]
    x1, y1 = gx[:-1][same_ring], gy[:-1][same_ring]
    dx, dy = gx[1:][same_ring] - x1, gy[1:][same_ring] - y1
    steps = np.ceil(4.0 * np.maximum(np.abs(dx), np.abs(dy))).astype(np.intp) + 1
    seg = np.repeat(np.arange(steps.size), steps)
    k = np.arange(seg.size) - np.repeat(np.cumsum(steps) - steps, steps)
    t = k / np.maximum(steps - 1, 1)[seg]
    ix = np.floor(x1[seg] + t * dx[seg]).astype(np.intp)
    iy = np.floor(y1[seg] + t * dy[seg]).astype(np.intp)
    base = np.unique(iy * raster.nx + ix)
    for oy in (-1, 0, 1):
        for ox in (-1, 0, 1):
            marked[base + oy * raster.nx + ox] = True
    return marked


def _build_level(raster: _Raster, items: list[tuple[int, Polygon | MultiPolygon]]) -> _Level:
    """Classify every cell of the raster for one level's polygons (sorted by id)."""
    ids = np.array([i for i, _ in items], dtype=np.int64)
    geoms = np.array([g for _, g in items], dtype=object)
    shapely.prepare(geoms)
    tree = shapely.STRtree(geoms)
    boundary = _boundary_cells(raster, list(geoms))
    # Cells no boundary touches form regions (4-connected) lying wholly inside one face of the
    # level's arrangement; one representative point per region decides the whole region.
    labels, n_regions = ndimage.label(~boundary.reshape(raster.ny, raster.nx))
    flat = labels.ravel()
    rep = np.zeros(n_regions + 1, dtype=np.intp)
    rep[flat] = np.arange(flat.size)  # any cell of each region will do
    rep_x = raster.x0 + (rep[1:] % raster.nx + 0.5) * raster.cw
    rep_y = raster.y0 + (rep[1:] // raster.nx + 0.5) * raster.ch
    pairs = tree.query(shapely.points(rep_x, rep_y), predicate="intersects")
    best = _smallest_per_point(pairs[0], pairs[1], n_regions)
    dtype = np.uint16 if ids.size + 2 <= np.iinfo(np.uint16).max else np.uint32
    slot_of_label = np.concatenate([[0], best + 2]).astype(dtype)
    slots = np.concatenate([slot_of_label[flat], np.array([1], dtype=dtype)])
    answer = np.concatenate([np.array([-1, -1], dtype=np.int64), ids])
    return _Level(ids=ids, geoms=geoms, tree=tree, slots=slots, answer=answer)


# ------------------------------------------------------------------------------ validation


def validate_tier(areas: Sequence[AreaShape], *, tolerance_m2: float = 1.0) -> list[Issue]:
    """Check a tier's polygons and their nesting; errors block an import, warnings inform.

    Errors: malformed GeoJSON, non-polygons, empty or invalid (self-intersecting) polygons,
    unknown parents (or a parent not of a higher level), siblings (same parent and level)
    overlapping by more than ``tolerance_m2``, children sticking out of their parent by more
    than it. Warnings: parts of a parent with children that no child covers (gaps). Areas are
    square metres on the WGS-84 ellipsoid (:func:`jingwu.engine.geo.area_m2`).
    """
    if len({a.id for a in areas}) != len(areas):
        raise ValueError("duplicate area ids")
    issues: list[Issue] = []
    geoms: dict[int, Polygon | MultiPolygon] = {}
    for area in areas:
        issue, geom = _check_geometry(area)
        if issue is not None:
            issues.append(issue)
        elif geom is not None:
            geoms[area.id] = geom
    issues.extend(_check_parents(areas))
    if not geoms:
        return issues
    # Topology in lon/lat, where the edges are straight: projecting vertices first would bow
    # shared edges apart and invent slivers of hundreds of m². Only the pieces are measured.
    issues.extend(_check_overlaps(areas, geoms, tolerance_m2))
    issues.extend(_check_nesting(areas, geoms, tolerance_m2))
    return issues


def _check_geometry(area: AreaShape) -> tuple[Issue | None, Polygon | MultiPolygon | None]:
    try:
        geom = parse_geometry(area.geometry)
    except GeometryError as exc:
        code: IssueCode = "not_polygon" if exc.reason == "not_polygon" else "invalid_geometry"
        return Issue("error", code, (area.id,), detail=f"{exc.reason}: {exc}"), None
    if geom.is_empty:
        return Issue("error", "empty", (area.id,), detail="the polygon has no area"), None
    # Validity first: a symmetric bow-tie's lobes cancel to zero area but it is not "empty".
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        code = "self_intersection" if "self-intersection" in reason.lower() else "invalid_geometry"
        return Issue("error", code, (area.id,), detail=reason), None
    return None, geom


def _check_parents(areas: Sequence[AreaShape]) -> list[Issue]:
    """Every area but those of the highest level present needs a parent of a higher level."""
    by_id = {a.id: a for a in areas}
    top = min((_RANK[a.level] for a in areas), default=0)
    issues = []
    for a in areas:
        if a.parent_id is None:
            if _RANK[a.level] > top:
                issues.append(Issue("error", "unknown_parent", (a.id,), detail="no parent"))
            continue
        parent = by_id.get(a.parent_id)
        if parent is None:
            detail = f"parent {a.parent_id} does not exist"
        elif _RANK[parent.level] >= _RANK[a.level]:
            detail = f"parent {parent.id} is a {parent.level}, not above a {a.level}"
        else:
            continue
        issues.append(Issue("error", "unknown_parent", (a.id, a.parent_id), detail=detail))
    return issues


def _check_overlaps(
    areas: Sequence[AreaShape],
    geoms: dict[int, Polygon | MultiPolygon],
    tolerance_m2: float,
) -> list[Issue]:
    """Siblings (same parent, same level) must not overlap by more than the tolerance."""
    groups: dict[tuple[int | None, str], list[int]] = defaultdict(list)
    for a in areas:
        if a.id in geoms:
            groups[(a.parent_id, a.level)].append(a.id)
    issues = []
    for members in groups.values():
        ids = sorted(members)
        shapes = np.array([geoms[i] for i in ids], dtype=object)
        left, right = shapely.STRtree(shapes).query(shapes, predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if i < j:
                shared = area_m2(shapes[i].intersection(shapes[j]))
                if shared > tolerance_m2:
                    pair = (ids[i], ids[j])
                    issues.append(
                        Issue("error", "overlap", pair, shared, f"{shared:.0f} m² shared")
                    )
    return issues


def _check_nesting(
    areas: Sequence[AreaShape],
    geoms: dict[int, Polygon | MultiPolygon],
    tolerance_m2: float,
) -> list[Issue]:
    """Children must stay inside their parent; a parent's children should cover it."""
    children: dict[int, list[int]] = defaultdict(list)
    issues = []
    for a in areas:
        if a.parent_id is None or a.id not in geoms or a.parent_id not in geoms:
            continue
        children[a.parent_id].append(a.id)
        outside = area_m2(geoms[a.id].difference(geoms[a.parent_id]))
        if outside > tolerance_m2:
            detail = f"{outside:.0f} m² of {a.id} lie outside its parent {a.parent_id}"
            issues.append(Issue("error", "outside_parent", (a.id, a.parent_id), outside, detail))
    for parent_id, kids in sorted(children.items()):
        union = shapely.union_all([geoms[k] for k in kids])
        gap = area_m2(geoms[parent_id].difference(union))
        if gap > tolerance_m2:
            detail = f"{gap:.0f} m² of {parent_id} are in none of its children"
            issues.append(Issue("warning", "gap", (parent_id,), gap, detail))
    return issues
