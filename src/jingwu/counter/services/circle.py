"""The 15-minute service circle: which grids (and residents) can walk to a service point.

Walking times come from the road engine (a reverse foot search from each service point over
the district's road graph, plus the walk from the grid's centre to its nearest street) when
a graph is available (``jingwu.units.roadgraph``: the imported OSM graph, or the generated
demo network), and otherwise from the straight line × a detour factor of 1.3 at walking
pace — then every figure is marked as estimated. The seam is ``graph_source``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from shapely.geometry import shape

from jingwu.areas import services as areas
from jingwu.counter.models import ServicePoint
from jingwu.counter.services import access
from jingwu.engine.geo import haversine_m
from jingwu.engine.roads import FOOT_SPEED_MPS, RoadError, RoadGraph, isochrone, snap_many
from jingwu.engine.roads import travel_times_to as road_times_to
from jingwu.orgs.models import Organization
from jingwu.orgs.services import Actor
from jingwu.units import roadgraph

log = logging.getLogger(__name__)
DETOUR_FACTOR = 1.3
MINUTES = 15
#: How far from a street a grid's centre may be for the road search to count it.
MAX_SNAP_M = 1_000.0


def district_graph() -> RoadGraph | None:
    """The road graph the dispatch side loads for this process, or None (then: estimated)."""
    return roadgraph.get_graph()


@dataclass(frozen=True)
class PointRef:
    """A service point as the circle needs it."""

    id: int
    name: str
    kind: str
    lat: float
    lon: float


@dataclass(frozen=True)
class GridReach:
    """One grid: its centre, walking seconds to the nearest service point, and whether ≤ 15 min."""

    code: str
    name: str
    population: int | None
    lat: float
    lon: float
    seconds: float
    nearest: str
    geometry: dict[str, Any]

    @property
    def covered(self) -> bool:
        return self.seconds <= MINUTES * 60


@dataclass
class Circle:
    """The circle for the actor's district: shares, per-grid reach and the map layer."""

    method: str  # "road_network" or "straight_line"
    minutes: int
    points: list[PointRef]
    grids: list[GridReach]
    circles: list[dict[str, Any]] = field(default_factory=list)

    @property
    def estimated(self) -> bool:
        return self.method != "road_network"

    @property
    def grids_covered(self) -> int:
        return sum(g.covered for g in self.grids)

    @property
    def grid_share(self) -> float | None:
        return self.grids_covered / len(self.grids) if self.grids else None

    @property
    def population_total(self) -> int:
        return sum(g.population or 0 for g in self.grids)

    @property
    def population_covered(self) -> int:
        return sum(g.population or 0 for g in self.grids if g.covered)

    @property
    def grids_with_population(self) -> int:
        return sum(g.population is not None for g in self.grids)

    @property
    def population_share(self) -> float | None:
        total = self.population_total
        return self.population_covered / total if total else None


def straight_line_seconds(points: list[PointRef], lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """(grids × points) walking seconds: straight line × detour factor at walking pace."""
    out = np.empty((lats.size, len(points)))
    for j, p in enumerate(points):
        out[:, j] = haversine_m(lats, lons, p.lat, p.lon) * DETOUR_FACTOR / FOOT_SPEED_MPS
    return out


def road_seconds(
    graph: RoadGraph, points: list[PointRef], lats: np.ndarray, lons: np.ndarray
) -> np.ndarray:
    """(grids × points) walking seconds over the road graph (inf beyond 15 minutes).

    The walk from a grid's centre to its street is added at walking pace (straight line:
    that part has no street to follow).
    """
    budget = MINUTES * 60.0
    snaps = snap_many(graph, lats, lons, mode="foot", max_distance_m=MAX_SNAP_M)
    access_s = np.where(snaps.ok, snaps.distance_m / FOOT_SPEED_MPS, np.inf)
    out = np.full((lats.size, len(points)), np.inf)
    for j, p in enumerate(points):
        try:
            field_ = road_times_to(graph, p.lat, p.lon, mode="foot", budget_s=budget)
        except RoadError:
            log.warning("service point %s is off the road graph", p.name)
            continue
        out[:, j] = np.where(snaps.ok, field_.times_from(snaps) + access_s, np.inf)
    return out


def _circle_polygon(p: PointRef, radius_m: float) -> dict[str, Any]:
    ring = []
    for k in range(49):
        a = 2 * math.pi * k / 48
        dlat = radius_m * math.sin(a) / 111_320
        dlon = radius_m * math.cos(a) / (111_320 * math.cos(math.radians(p.lat)))
        ring.append([round(p.lon + dlon, 6), round(p.lat + dlat, 6)])
    return {"type": "Polygon", "coordinates": [ring]}


def _layer(graph: RoadGraph | None, points: list[PointRef]) -> list[dict[str, Any]]:
    features = []
    for p in points:
        props = {"point": p.id, "name": p.name, "kind": p.kind, "minutes": MINUTES}
        geometry = None
        if graph is not None:
            try:
                geometry = isochrone(
                    graph, p.lat, p.lon, mode="foot", budget_s=MINUTES * 60.0, direction="to"
                )["geometry"]
                props["method"] = "road_network"
            except RoadError:
                geometry = None
        if geometry is None:
            geometry = _circle_polygon(p, MINUTES * 60 * FOOT_SPEED_MPS / DETOUR_FACTOR)
            props["method"] = "straight_line"
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return features


def _points_for(actor: Actor) -> list[PointRef]:
    parents = dict(Organization.objects.values_list("id", "parent_id"))
    out = []
    for p in ServicePoint.objects.filter(is_active=True, lat__isnull=False, lon__isnull=False):
        if set(access.lineage(p.organization_id, parents)) & actor.branch_ids:
            out.append(PointRef(p.pk, p.name, p.kind, float(p.lat), float(p.lon)))  # type: ignore[arg-type]
    return out


def service_circle(
    *,
    actor: Actor,
    graph_source: Callable[[], RoadGraph | None] = district_graph,
    with_layer: bool = True,
) -> Circle:
    """The share of the actor's district's grids (and residents) within 15 minutes' walk."""
    points = _points_for(actor)
    grids = areas.visible_areas(actor=actor, level="grid")
    graph = graph_source() if points and grids else None
    if not grids or not points:
        return Circle("road_network" if graph else "straight_line", MINUTES, points, [])
    centres = [shape(g.geometry).representative_point() for g in grids]
    lats = np.array([c.y for c in centres])
    lons = np.array([c.x for c in centres])
    method = "straight_line"
    seconds = None
    if graph is not None:
        try:
            seconds, method = road_seconds(graph, points, lats, lons), "road_network"
        except RoadError:
            log.exception("road search failed; the service circle falls back to straight lines")
    if seconds is None:
        seconds = straight_line_seconds(points, lats, lons)
    best = seconds.argmin(axis=1)
    reach = [
        GridReach(
            g.code,
            g.name,
            g.population,
            float(lats[i]),
            float(lons[i]),
            float(seconds[i, best[i]]),
            points[best[i]].name,
            g.geometry,
        )
        for i, g in enumerate(grids)
    ]
    layer = _layer(graph if method == "road_network" else None, points) if with_layer else []
    return Circle(method, MINUTES, points, reach, layer)
