"""API: locate a point in the tiers; the tiers as GeoJSON for maps and integrations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from jingwu.areas import services
from jingwu.orgs.services import actor_for

router = Router(tags=["areas"])


class Ref(Schema):
    id: int
    name: str
    code: str


class LocateOut(Schema):
    branch: Ref | None
    station: Ref | None
    workstation: Ref | None
    police_room: Ref | None
    grid: Ref | None


@router.get(
    "/locate",
    response=LocateOut,
    summary="The station, workstation, police room and grid of a point",
)
def locate(request: HttpRequest, lat: str, lon: str, crs: str = "wgs84") -> dict[str, Any]:
    # lat/lon arrive as strings so that "abc" gets our translated field error, not pydantic's.
    return services.locate(actor=actor_for(request.user), lat=lat, lon=lon, crs=crs)


@router.get("/geojson", summary="Areas of the caller's branch as a GeoJSON FeatureCollection")
def geojson(request: HttpRequest, level: str | None = None) -> dict[str, Any]:
    return services.export_areas(actor=actor_for(request.user), level=level)


@router.get("/{area_id}", summary="One area as a GeoJSON feature")
def get_area(request: HttpRequest, area_id: int) -> dict[str, Any]:
    return services.to_feature(services.get_area(actor=actor_for(request.user), area_id=area_id))
