"""Patrol geometry: geofences, routes through checkpoints, deviations, coverage."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jingwu.engine.patrol import (
    Fence,
    TrackPoint,
    coverage,
    distances_to_route_m,
    line_length_m,
    plan_route,
    route_deviations,
)

LAT, LON = 26.113, 119.317
M_LAT = 1 / 111_195
M_LON = M_LAT / math.cos(math.radians(LAT))
T0 = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)


def off(north_m: float, east_m: float) -> tuple[float, float]:
    return (LAT + north_m * M_LAT, LON + east_m * M_LON)


@pytest.mark.parametrize(
    ("north", "east", "inside"),
    [
        (0, 0, True),
        (49, 0, True),
        (0, -49.9, True),
        (36, 36, False),
        (0, 51, False),
        (500, 0, False),
    ],
)
def test_a_fence_of_50_m(north, east, inside) -> None:
    fence = Fence(LAT, LON, 50)
    assert fence.contains(*off(north, east)) is inside
    assert fence.distance_m(*off(north, east)) == pytest.approx(math.hypot(north, east), rel=2e-3)


def test_a_route_without_roads_is_straight_through_the_stops() -> None:
    stops = [off(0, 0), off(0, 300), off(400, 300)]
    r = plan_route(stops)
    assert r.legs == ("straight", "straight")
    assert r.coordinates == tuple(stops)
    assert r.length_m == pytest.approx(700, rel=2e-3)
    loop = plan_route(stops, loop=True)
    assert loop.coordinates[-1] == stops[0] and loop.length_m == pytest.approx(1200, rel=2e-3)
    assert loop.geojson()["coordinates"][0] == [stops[0][1], stops[0][0]]


def test_road_legs_follow_the_router_and_end_at_the_checkpoint() -> None:
    a, b, c = off(0, 0), off(0, 300), off(300, 300)

    def router(x, y):
        if (x, y) == (a, b):  # a dog-leg road: north 100 m, east 300 m, back south
            return [off(0, 0), off(100, 0), off(100, 300), off(2, 300)]
        return None  # no road between b and c (a forest trail)

    r = plan_route([a, b, c], router=router)
    assert r.legs == ("road", "straight")
    assert r.coordinates == (a, off(100, 0), off(100, 300), off(2, 300), b, c)
    assert r.length_m == pytest.approx(100 + 300 + 98 + 2 + 300, rel=2e-3)
    with pytest.raises(ValueError):
        plan_route([a])


def test_deviations_are_the_stretches_beyond_tolerance() -> None:
    route = [off(0, 0), off(0, 1000)]
    offsets = [0, 10, 80, 150, 60, 20, 0, 120, 5]
    track = [TrackPoint(T0 + timedelta(minutes=k), *off(o, 100 * k)) for k, o in enumerate(offsets)]
    devs = route_deviations(list(reversed(track)), route, tolerance_m=50)
    assert [d.points for d in devs] == [3, 1]
    assert [d.max_distance_m for d in devs] == [
        pytest.approx(150, rel=5e-3),
        pytest.approx(120, rel=5e-3),
    ]
    assert devs[0].started_at == T0 + timedelta(minutes=2)
    assert devs[0].ended_at == T0 + timedelta(minutes=4)
    assert (devs[0].lat, devs[0].lon) == off(150, 300)
    assert route_deviations(track, route, tolerance_m=200) == []
    assert route_deviations([], route, tolerance_m=1) == []


@settings(max_examples=100, deadline=None)
@given(st.floats(-2000, 2000), st.floats(-2000, 2000))
def test_distance_to_a_route_never_exceeds_distance_to_any_of_its_vertices(n, e) -> None:
    route = [off(0, 0), off(0, 500), off(500, 500)]
    (d,) = distances_to_route_m([off(n, e)], route)
    nearest_vertex = min(Fence(*v, 0).distance_m(*off(n, e)) for v in route)
    assert d <= nearest_vertex * 1.005 + 0.5  # sphere vs ellipsoid: under 0.5 %
    assert d >= 0


def test_coverage_sums_runs_and_ignores_extra_visits() -> None:
    cov = coverage([(5, 5), (5, 3), (4, 6)])
    assert (cov.scheduled_visits, cov.visits, cov.missed, cov.runs) == (14, 12, 2, 3)
    assert cov.ratio == pytest.approx(0.857, abs=1e-3)
    assert coverage([]).ratio is None
    assert line_length_m([off(0, 0)]) == 0.0
