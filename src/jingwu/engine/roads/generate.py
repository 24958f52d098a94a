"""Generated, road-like street networks: the illustrative demo district and benchmark grids.

The real Fuzhou extract is not available offline, so the demo gets a deterministic network that
*looks* like a city (arterials, local streets, one-way streets, winding mountain roads toward
鼓岭) and is labelled illustrative everywhere. Generated ways carry ordinary OSM tags and go
through the same rules and builder as an import, and can be written out as an ``.osm.pbf``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from .build import WaySet, build_graph
from .graph import F64, I64, M_PER_DEG, RoadGraph
from .profile import WayProfile, profile_of

# Demo district landmarks (lat, lon): dense cores with their radius in metres.
DEMO_CORES = (
    (26.099, 119.336, 2200.0),  # 东二环泰禾商圈 — dense business district
    (26.113, 119.317, 1500.0),  # 福州火车站
    (26.072, 119.352, 1600.0),  # 鼓山崇贤 — residential
    (26.160, 119.300, 1200.0),  # 新店龙头 — north
)
GULING = (26.085, 119.395)  # 鼓岭 — mountain resort, only winding roads lead there
DEMO_SPACING_M = 150.0


@dataclass(frozen=True)
class GeneratedWays:
    """Nodes (``lat``/``lon`` by index, OSM id = index + 1) and ways as index lists with tags."""

    lat: F64
    lon: F64
    ways: list[tuple[I64, dict[str, str]]]

    def way_set(self) -> WaySet:
        """The ways in the builder's flat layout, interpreted by the import's tag rules."""
        seqs = [seq for seq, _ in self.ways]
        seq = np.concatenate(seqs) if seqs else np.zeros(0, np.int64)
        starts = np.zeros(len(seqs) + 1, np.int64)
        np.cumsum([s.size for s in seqs], out=starts[1:])
        profiles: list[WayProfile] = []
        index: dict[WayProfile, int] = {}
        way_profile = np.empty(len(seqs), np.int32)
        for w, (_, tags) in enumerate(self.ways):
            prof = profile_of(tags)
            assert prof is not None, tags
            way_profile[w] = index.setdefault(prof, len(profiles))
            if way_profile[w] == len(profiles):
                profiles.append(prof)
        return WaySet(seq + 1, self.lat[seq], self.lon[seq], starts, way_profile, profiles)

    def write_osm(self, path: str | os.PathLike[str]) -> None:
        """Write as an OSM file (format from the suffix, e.g. ``.osm.pbf``), for import tests."""
        import osmium

        used = np.unique(np.concatenate([seq for seq, _ in self.ways]))
        with osmium.SimpleWriter(str(path), overwrite=True) as writer:
            for i, la, lo in zip(used.tolist(), self.lat[used], self.lon[used], strict=True):
                loc = osmium.osm.Location(float(lo), float(la))
                writer.add_node(osmium.osm.mutable.Node(id=i + 1, location=loc))
            for w, (seq, tags) in enumerate(self.ways, 1):
                writer.add_way(osmium.osm.mutable.Way(id=w, nodes=(seq + 1).tolist(), tags=tags))


def generate_demo_network(outline_geojson: dict[str, Any], *, seed: int = 0) -> RoadGraph:
    """The illustrative Jin'an street network inside ``outline_geojson`` (deterministic per seed).

    A 150 m lattice is kept in full around the district's centres and every third line
    elsewhere; every sixth line is an arterial, one north-south and one east-west line are
    trunk roads; a share of the dense cores' local streets are one-way; the eastern hills have
    no grid, only three winding mountain roads meeting at 鼓岭.
    """
    graph, _ = build_graph(
        demo_ways(outline_geojson, seed=seed).way_set(),
        name="晋安区示意路网",
        source="generated",
        illustrative=True,
    )
    graph.meta["note"] = "示意路网：由程序生成，并非真实道路；导入真实 OpenStreetMap 数据即可替换。"
    return graph


def generate_grid_network(n_nodes: int = 200_000, *, seed: int = 0) -> RoadGraph:
    """A square road-like grid of at least ``n_nodes`` nodes (for benchmarks and tests)."""
    side = math.isqrt(max(n_nodes, 4) - 1) + 1
    graph, _ = build_graph(
        grid_ways(side, side, seed=seed).way_set(),
        name=f"grid-{side}x{side}",
        source="generated",
        illustrative=True,
    )
    return graph


def _polygon(outline: dict[str, Any]) -> Any:
    if outline.get("type") == "FeatureCollection":
        geoms = [shapely.geometry.shape(f["geometry"]) for f in outline["features"]]
        return shapely.union_all(geoms)
    if outline.get("type") == "Feature":
        return shapely.geometry.shape(outline["geometry"])
    return shapely.geometry.shape(outline)


def _street_class(line: int) -> dict[str, str]:
    if line % 12 == 0:
        return {"highway": "primary", "maxspeed": "60"}
    if line % 6 == 0:
        return {"highway": "secondary", "maxspeed": "50"}
    if line % 3 == 0:
        return {"highway": "tertiary", "maxspeed": "40"}
    return {"highway": "residential", "maxspeed": "30"}


def demo_ways(outline: dict[str, Any], *, seed: int = 0) -> GeneratedWays:
    """The ways behind ``generate_demo_network``."""
    rng = np.random.default_rng(seed)
    poly = _polygon(outline)
    min_lon, min_lat, max_lon, max_lat = poly.bounds
    lat0 = (min_lat + max_lat) / 2
    kx = M_PER_DEG * math.cos(math.radians(lat0))
    ni = int((max_lon - min_lon) * kx // DEMO_SPACING_M) + 1
    nj = int((max_lat - min_lat) * M_PER_DEG // DEMO_SPACING_M) + 1
    jj, ii = np.mgrid[0:nj, 0:ni]
    jitter = rng.uniform(-20, 20, (2, nj, ni))
    lon = (min_lon + (ii * DEMO_SPACING_M + jitter[0]) / kx).ravel()
    lat = (min_lat + (jj * DEMO_SPACING_M + jitter[1]) / M_PER_DEG).ravel()
    inside = shapely.contains_xy(poly, lon, lat)
    hills = (lon > 119.372) & (lat > 26.055) & (lat < 26.14)
    core = np.zeros(lat.size, bool)
    for c_lat, c_lon, radius in DEMO_CORES:
        core |= np.hypot((lat - c_lat) * M_PER_DEG, (lon - c_lon) * kx) < radius
    usable = inside & ~hills
    trunk_i = int(round((119.342 - min_lon) * kx / DEMO_SPACING_M))
    trunk_j = int(round((26.118 - min_lat) * M_PER_DEG / DEMO_SPACING_M))
    ways: list[tuple[I64, dict[str, str]]] = []
    for j in range(nj):  # east-west streets: row j, nodes j * ni + i
        ids = j * ni + np.arange(ni)
        ways += _line_ways(ids, j, j == trunk_j, usable, core, rng)
    for i in range(ni):  # north-south streets
        ids = np.arange(nj) * ni + i
        ways += _line_ways(ids, i, i == trunk_i, usable, core, rng)
    lat, lon, mountain = _mountain_roads(lat, lon, usable, kx, rng)
    return GeneratedWays(lat, lon, ways + mountain)


def _line_ways(
    ids: I64, line: int, trunk: bool, usable: Any, core: Any, rng: np.random.Generator
) -> list[tuple[I64, dict[str, str]]]:
    """The kept segments of one lattice line, as ways of at most 8 segments."""
    a, b = ids[:-1], ids[1:]
    keep = usable[a] & usable[b] & ((line % 3 == 0) | core[a] | core[b])
    tags = {"highway": "trunk", "maxspeed": "70"} if trunk else _street_class(line)
    local = tags["highway"] == "residential"
    if local:
        keep &= rng.random(a.size) > 0.05  # a few missing links, as in any real grid
    oneway = local and line % 4 == 1
    if oneway:
        tags = {**tags, "oneway": "yes"}
    reverse = oneway and line % 8 == 5
    return _runs(ids, keep, tags, reverse, max_segments=8)


def _runs(
    ids: I64, keep: Any, tags: dict[str, str], reverse: bool, *, max_segments: int
) -> list[tuple[I64, dict[str, str]]]:
    """Split a node line into ways over consecutive kept segments."""
    out: list[tuple[I64, dict[str, str]]] = []
    edges = np.flatnonzero(keep)
    if edges.size == 0:
        return out
    breaks = np.flatnonzero(np.diff(edges) > 1) + 1
    for run in np.split(edges, breaks):
        for k in range(0, run.size, max_segments):
            part = run[k : k + max_segments]
            seq = ids[part[0] : part[-1] + 2]
            out.append((seq[::-1].copy() if reverse else seq, tags))
    return out


def _mountain_roads(
    lat: F64, lon: F64, usable: Any, kx: float, rng: np.random.Generator
) -> tuple[F64, F64, list[tuple[I64, dict[str, str]]]]:
    """Three winding roads from the city edge up to 鼓岭, sharing its summit node."""
    tags = {"highway": "unclassified", "maxspeed": "30", "name": "示意山路"}
    starts = [(26.080, 119.366), (26.112, 119.366), (26.060, 119.372)]
    candidates = np.flatnonzero(usable)
    new_lat, new_lon = [float(GULING[0])], [float(GULING[1])]
    summit = lat.size
    ways = []
    for s_lat, s_lon in starts:
        d = np.hypot((lat[candidates] - s_lat) * M_PER_DEG, (lon[candidates] - s_lon) * kx)
        start = int(candidates[np.argmin(d)])
        pts = _winding(lat[start], lon[start], GULING[0], GULING[1], kx, rng)
        first = lat.size + len(new_lat)
        new_lat += pts[0].tolist()
        new_lon += pts[1].tolist()
        seq = np.concatenate([[start], np.arange(first, first + pts[0].size), [summit]])
        ways.append((seq.astype(np.int64), tags))
    return np.concatenate([lat, new_lat]), np.concatenate([lon, new_lon]), ways


def _winding(
    lat1: float, lon1: float, lat2: float, lon2: float, kx: float, rng: np.random.Generator
) -> tuple[F64, F64]:
    """Interior points of a switchback road between two points, about every 40 m."""
    dx, dy = (lon2 - lon1) * kx, (lat2 - lat1) * M_PER_DEG
    length = math.hypot(dx, dy)
    n = max(int(length * 1.6 // 40), 3)
    s = np.linspace(0, 1, n + 1)[1:-1]
    amp = 120.0 * np.sin(np.pi * s)  # zero at both ends
    wiggle = amp * np.sin(2 * np.pi * s * length / rng.uniform(450, 600))
    nx, ny = -dy / length, dx / length
    x, y = s * dx + wiggle * nx, s * dy + wiggle * ny
    return lat1 + y / M_PER_DEG, lon1 + x / kx


def grid_ways(rows: int, cols: int, *, spacing_m: float = 100.0, seed: int = 0) -> GeneratedWays:
    """A jittered street grid: arterials every 6th line, 40 % of local streets one-way.

    Local streets lose 6 % of their segments (dead ends, missing links), so paths detour as in
    a real grid. Centred near 26.1 N 119.3 E; sized for benchmarks (450 × 450 > 200,000 nodes).
    """
    rng = np.random.default_rng(seed)
    kx = M_PER_DEG * math.cos(math.radians(26.1))
    jj, ii = np.mgrid[0:rows, 0:cols]
    jitter = rng.uniform(-0.15, 0.15, (2, rows, cols)) * spacing_m
    lon = (119.3 + (ii * spacing_m + jitter[0]) / kx).ravel()
    lat = (26.1 + (jj * spacing_m + jitter[1]) / M_PER_DEG).ravel()
    everywhere = np.ones(lat.size, bool)
    ways: list[tuple[I64, dict[str, str]]] = []
    for line, ids in [(j, j * cols + np.arange(cols)) for j in range(rows)] + [
        (i, np.arange(rows) * cols + i) for i in range(cols)
    ]:
        a = ids[:-1]
        tags = _street_class(line)
        keep = np.ones(a.size, bool)
        reverse = False
        if tags["highway"] == "residential":
            keep = rng.random(a.size) > 0.06
            if line % 5 in (1, 2):
                tags = {**tags, "oneway": "yes"}
                reverse = line % 5 == 2
        ways += _runs(ids, keep & everywhere[a], tags, reverse, max_segments=10)
    return GeneratedWays(lat, lon, ways)
