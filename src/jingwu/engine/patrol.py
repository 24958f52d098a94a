"""Patrols (治安联防): checkpoint geofences, route building, route deviations, coverage.

Pure: positions are WGS-84 (lat, lon) floats, times are aware datetimes handed in. The road
router is a seam (``LegRouter``): the app passes the road engine's ``route``; tests pass a
straight-line stub.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from jingwu.engine.geo import LocalProjection, haversine_m

LatLon = tuple[float, float]
#: Returns the leg's coordinates as (lat, lon) pairs, or None when no road path exists.
LegRouter = Callable[[LatLon, LatLon], Sequence[LatLon] | None]


@dataclass(frozen=True)
class Fence:
    """A checkpoint's geofence: a circle of ``radius_m`` around (lat, lon)."""

    lat: float
    lon: float
    radius_m: float

    def distance_m(self, lat: float, lon: float) -> float:
        """Great-circle distance from the fence's centre."""
        return float(haversine_m(self.lat, self.lon, lat, lon))

    def contains(self, lat: float, lon: float) -> bool:
        return self.distance_m(lat, lon) <= self.radius_m


@dataclass(frozen=True)
class PlannedRoute:
    """A patrol route through its checkpoints: the line, its length and how each leg was made."""

    coordinates: tuple[LatLon, ...]
    length_m: float
    legs: tuple[str, ...]  # "road" or "straight", one per leg

    def geojson(self) -> dict[str, object]:
        return {
            "type": "LineString",
            "coordinates": [[lon, lat] for lat, lon in self.coordinates],
        }


def plan_route(
    stops: Sequence[LatLon], *, router: LegRouter | None = None, loop: bool = False
) -> PlannedRoute:
    """A route visiting ``stops`` in order (back to the first when ``loop``).

    Each leg follows the roads when ``router`` finds a path and is a straight line otherwise
    (forest trails are not on the road network; a straight leg is marked so).
    """
    if len(stops) < 2:
        raise ValueError("a route needs at least two stops")
    order = list(stops) + ([stops[0]] if loop else [])
    coords: list[LatLon] = [order[0]]
    legs: list[str] = []
    for a, b in zip(order, order[1:], strict=False):
        path = router(a, b) if router is not None else None
        if path:
            coords.extend((float(p[0]), float(p[1])) for p in path[1:])
            coords.append(b)  # the leg ends at the checkpoint, not at its snapped road point
            legs.append("road")
        else:
            coords.append(b)
            legs.append("straight")
    coords = [c for i, c in enumerate(coords) if i == 0 or c != coords[i - 1]]
    return PlannedRoute(tuple(coords), round(line_length_m(coords), 1), tuple(legs))


def line_length_m(coords: Sequence[LatLon]) -> float:
    """Length of a polyline of (lat, lon) points along great circles."""
    if len(coords) < 2:
        return 0.0
    a = np.asarray(coords, dtype=np.float64)
    return float(np.sum(haversine_m(a[:-1, 0], a[:-1, 1], a[1:, 0], a[1:, 1])))


@dataclass(frozen=True)
class TrackPoint:
    """One reported position of a patrol."""

    at: datetime
    lat: float
    lon: float


@dataclass(frozen=True)
class Deviation:
    """A stretch of consecutive positions farther than the tolerance from the route."""

    started_at: datetime
    ended_at: datetime
    points: int
    max_distance_m: float
    lat: float  # the farthest position
    lon: float


def distances_to_route_m(points: Sequence[LatLon], route: Sequence[LatLon]) -> list[float]:
    """Distance in metres from each point to the nearest part of the route polyline."""
    if not points:
        return []
    r = np.asarray(route, dtype=np.float64)
    p = np.asarray(points, dtype=np.float64)
    proj = LocalProjection(float(r[:, 0].mean()), float(r[:, 1].mean()))
    rx, ry = proj.to_xy(r[:, 0], r[:, 1])
    px, py = proj.to_xy(p[:, 0], p[:, 1])
    line = LineString(np.column_stack([rx, ry])) if len(r) > 1 else Point(rx[0], ry[0])
    return [float(d) for d in shapely.distance(shapely.points(px, py), line)]


def route_deviations(
    track: Sequence[TrackPoint], route: Sequence[LatLon], *, tolerance_m: float
) -> list[Deviation]:
    """The stretches of ``track`` (in time order) that leave the route by more than tolerance."""
    if not route or not track:
        return []
    ordered = sorted(track, key=lambda t: t.at)
    dist = distances_to_route_m([(t.lat, t.lon) for t in ordered], route)
    out: list[Deviation] = []
    run: list[int] = []
    for i, d in enumerate([*dist, -1.0]):  # a sentinel closes the last stretch
        if d > tolerance_m:
            run.append(i)
            continue
        if run:
            far = max(run, key=lambda k: dist[k])
            out.append(
                Deviation(
                    started_at=ordered[run[0]].at,
                    ended_at=ordered[run[-1]].at,
                    points=len(run),
                    max_distance_m=round(dist[far], 1),
                    lat=ordered[far].lat,
                    lon=ordered[far].lon,
                )
            )
            run = []
    return out


@dataclass(frozen=True)
class Coverage:
    """Checkpoint visits made against visits scheduled, for one beat over one period."""

    scheduled_visits: int
    visits: int
    missed: int
    runs: int

    @property
    def ratio(self) -> float | None:
        return round(self.visits / self.scheduled_visits, 3) if self.scheduled_visits else None


def coverage(runs: Sequence[tuple[int, int]]) -> Coverage:
    """Sum ``(checkpoints scheduled, checkpoints visited)`` over runs into one coverage figure."""
    scheduled = sum(s for s, _ in runs)
    visited = sum(min(v, s) for s, v in runs)
    return Coverage(scheduled, visited, scheduled - visited, len(runs))
