"""The 15-minute service circle: road network when there is one, straight line × 1.3 if not."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from jingwu.counter.services import circle
from jingwu.engine.geo import haversine_m
from jingwu.engine.roads import FOOT_SPEED_MPS, RoadGraph, generate_demo_network
from jingwu.orgs.services import actor_for

pytestmark = pytest.mark.django_db
Api = Callable[..., Any]


@cache
def demo_graph() -> RoadGraph:
    from importlib import resources

    outline = json.loads(
        resources.files("jingwu.demo").joinpath("data/district.geojson").read_text("utf-8")
    )
    return generate_demo_network(outline, seed=0)


def test_without_a_road_graph_the_circle_is_an_estimate(commander_jinan: object) -> None:
    c = circle.service_circle(actor=actor_for(commander_jinan), graph_source=lambda: None)
    assert (c.method, c.estimated, len(c.grids)) == ("straight_line", True, 60)
    for g in c.grids:
        nearest = min(haversine_m(g.lat, g.lon, p.lat, p.lon) for p in c.points)
        assert g.seconds == pytest.approx(nearest * circle.DETOUR_FACTOR / FOOT_SPEED_MPS)
    assert c.grids_covered == sum(g.seconds <= 900 for g in c.grids)
    covered_people = sum(g.population or 0 for g in c.grids if g.seconds <= 900)
    assert c.population_covered == covered_people and c.population_total > covered_people
    assert all(f["properties"]["method"] == "straight_line" for f in c.circles)


def test_over_the_road_network_no_walk_beats_the_straight_line(commander_jinan: object) -> None:
    c = circle.service_circle(actor=actor_for(commander_jinan), graph_source=demo_graph)
    assert (c.method, c.estimated) == ("road_network", False)
    for g in c.grids:
        if g.covered:
            nearest = min(haversine_m(g.lat, g.lon, p.lat, p.lon) for p in c.points)
            assert g.seconds >= nearest / FOOT_SPEED_MPS - 1e-6
    assert 0 < c.grids_covered < len(c.grids)
    assert {f["geometry"]["type"] for f in c.circles} <= {"Polygon", "MultiPolygon"}


def test_outsiders_see_no_district(outsider: object) -> None:
    c = circle.service_circle(actor=actor_for(outsider), graph_source=lambda: None)
    assert (c.grids, c.points, c.grid_share) == ([], [], None)


def test_the_api_gives_shares_and_a_map_layer(api: Api) -> None:
    r = api("commander_jinan").get("/api/v1/counter/service-circle?layer=true")
    assert r.status_code == 200
    body = r.json()
    assert body["grids_total"] == 60 and 0 <= body["grid_share"] <= 1
    assert body["method"] in ("road_network", "straight_line")
    assert body["estimated"] == (body["method"] == "straight_line")
    assert len(body["layer"]["features"]) == len(body["points"]) == 10
    assert len(body["grid_features"]) == 60
    assert api().get("/api/v1/counter/service-circle").status_code == 401
