"""The camera registry: cameras near a point, along a route, inside an area."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from django.db.models import Q, QuerySet
from shapely.geometry import LineString, shape

from jingwu.engine.geo import LocalProjection, haversine_m
from jingwu.orgs.services import Actor
from jingwu.orgs.tree import org_tree
from jingwu.units.access import police_branches
from jingwu.units.models import Camera

_M_PER_DEG = 111_195.0


def visible_cameras(*, actor: Actor) -> QuerySet[Camera]:
    """Cameras of the branches the actor polices, and cameras their own organizations own."""
    tree = org_tree()
    branches = police_branches(actor, tree)
    owners = {o for o, _ in tree.parent.items() if tree.branch_of(o) in branches}
    return Camera.objects.filter(
        Q(owner_id__in=owners) | Q(owner_id__in=actor.organization_ids), is_active=True
    ).select_related("owner")


def camera_dict(cam: Camera, **extra: Any) -> dict[str, Any]:
    return {
        "id": cam.pk,
        "code": cam.code,
        "name": cam.name,
        "lat": cam.lat,
        "lon": cam.lon,
        "direction_deg": cam.direction_deg,
        "fov_deg": cam.fov_deg,
        "owner": cam.owner.name,
        "sees": cam.sees,
        **extra,
    }


def _box(qs: QuerySet[Camera], lat: float, lon: float, radius_m: float) -> QuerySet[Camera]:
    dlat = radius_m / _M_PER_DEG
    dlon = radius_m / (_M_PER_DEG * max(math.cos(math.radians(lat)), 0.01))
    return qs.filter(
        lat__gte=lat - dlat, lat__lte=lat + dlat, lon__gte=lon - dlon, lon__lte=lon + dlon
    )


def cameras_near(
    *, actor: Actor, lat: float, lon: float, radius_m: float
) -> list[tuple[Camera, float]]:
    """Cameras within ``radius_m`` of a point, nearest first, with their distance."""
    out = []
    for cam in _box(visible_cameras(actor=actor), lat, lon, radius_m):
        d = float(haversine_m(lat, lon, cam.lat, cam.lon))
        if d <= radius_m:
            out.append((cam, d))
    out.sort(key=lambda p: (p[1], p[0].code))
    return out


def cameras_along(
    *, actor: Actor, coordinates: list[list[float]], width_m: float
) -> list[tuple[Camera, float, float]]:
    """Cameras within ``width_m`` of a line ([lon, lat] pairs), in the order the line passes.

    Each comes with its distance from the line and how far along the line it is (metres).
    """
    if len(coordinates) < 2:
        return []
    lons = np.array([c[0] for c in coordinates], float)
    lats = np.array([c[1] for c in coordinates], float)
    proj = LocalProjection(float(lats.mean()), float(lons.mean()))
    x, y = proj.to_xy(lats, lons)
    line = LineString(np.column_stack([x, y]))
    minx, miny, maxx, maxy = line.bounds
    half = max(maxx - minx, maxy - miny) / 2 + width_m
    cams = list(_box(visible_cameras(actor=actor), float(lats.mean()), float(lons.mean()), half))
    if not cams:
        return []
    cx, cy = proj.to_xy([c.lat for c in cams], [c.lon for c in cams])
    pts = shapely.points(cx, cy)
    dist = shapely.distance(line, pts)
    along = shapely.line_locate_point(line, pts)
    out = [
        (cam, float(d), float(a))
        for cam, d, a in zip(cams, dist, along, strict=True)
        if d <= width_m
    ]
    out.sort(key=lambda p: (p[2], p[0].code))
    return out


def cameras_within(*, actor: Actor, geometry: dict[str, Any]) -> list[Camera]:
    """Cameras inside a GeoJSON (multi)polygon in WGS-84."""
    area = shape(geometry)
    if area.is_empty:
        return []
    minx, miny, maxx, maxy = area.bounds
    cams = list(
        visible_cameras(actor=actor).filter(
            lat__gte=miny, lat__lte=maxy, lon__gte=minx, lon__lte=maxx
        )
    )
    if not cams:
        return []
    inside = shapely.contains_xy(area, [c.lon for c in cams], [c.lat for c in cams])
    return [c for c, ok in zip(cams, inside, strict=True) if ok]
