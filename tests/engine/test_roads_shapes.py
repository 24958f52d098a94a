"""Routes and isochrones: consistent with the search, drawn where the streets are."""

from __future__ import annotations

import math
from collections.abc import Callable

import networkx as nx
import numpy as np
import pytest
import shapely

from jingwu.engine.roads import RoadError, RoadGraph, haversine_m, isochrone, route, travel_times_to

TAIHE = (26.099, 119.336)
STATION = (26.113, 119.317)


def node_point(graph: RoadGraph, n: int) -> tuple[float, float]:
    return float(graph.lat[n]), float(graph.lon[n])


def test_route_time_matches_the_search_and_networkx(helsinki: RoadGraph) -> None:
    t = helsinki.time_s["car"]
    g = nx.DiGraph()
    for e in np.flatnonzero(np.isfinite(t)).tolist():
        u, v = int(helsinki.edge_src[e]), int(helsinki.indices[e])
        if not g.has_edge(u, v) or g[u][v]["weight"] > t[e]:
            g.add_edge(u, v, weight=float(t[e]))
    rng = np.random.default_rng(5)
    nodes = np.array(sorted(g.nodes))
    for a, b in rng.choice(nodes, size=(15, 2)).tolist():
        feature = route(helsinki, node_point(helsinki, a), node_point(helsinki, b), mode="car")
        expected = nx.dijkstra_path_length(g, a, b, weight="weight")
        assert feature["properties"]["time_s"] == pytest.approx(expected, abs=1e-3)
        field = travel_times_to(helsinki, *node_point(helsinki, b), mode="car", budget_s=1e9)
        assert field.time_from_point(*node_point(helsinki, a)) == pytest.approx(expected, abs=1e-3)
        coords = feature["geometry"]["coordinates"]
        assert feature["geometry"]["type"] == "LineString"
        straight = haversine_m(coords[0][1], coords[0][0], coords[-1][1], coords[-1][0])
        assert feature["properties"]["length_m"] >= straight - 0.5


def test_route_geometry_follows_the_streets(demo_graph: RoadGraph) -> None:
    feature = route(demo_graph, TAIHE, STATION, mode="car")
    coords = np.array(feature["geometry"]["coordinates"])
    hops = haversine_m(coords[:-1, 1], coords[:-1, 0], coords[1:, 1], coords[1:, 0])
    assert hops.sum() == pytest.approx(feature["properties"]["length_m"], rel=1e-3)
    assert hops.max() < 200  # consecutive street vertices, no shortcuts across blocks
    assert feature["properties"]["illustrative"] is True


def test_a_one_way_street_makes_the_route_go_round(
    make_line_graph: Callable[..., RoadGraph],
) -> None:
    ring = [(0.0, 0.0), (0.0, 0.01), (0.01, 0.01), (0.01, 0.0), (0.0, 0.0)]
    graph = make_line_graph([ring], {"highway": "residential", "oneway": "yes"})
    ahead = route(graph, (0.0, 0.002), (0.0, 0.008), mode="car")
    back = route(graph, (0.0, 0.008), (0.0, 0.002), mode="car")
    side = haversine_m(0.0, 0.0, 0.0, 0.01)
    assert ahead["properties"]["length_m"] == pytest.approx(0.6 * side, rel=1e-3)
    assert back["properties"]["length_m"] == pytest.approx(3.4 * side, rel=2e-3)
    walk = route(graph, (0.0, 0.008), (0.0, 0.002), mode="foot")
    assert walk["properties"]["length_m"] == pytest.approx(0.6 * side, rel=1e-3)
    assert walk["properties"]["time_s"] == pytest.approx(0.6 * side / 1.2, rel=1e-3)


def test_route_between_bad_points_is_an_error(demo_graph: RoadGraph) -> None:
    with pytest.raises(RoadError):
        route(demo_graph, (math.nan, 119.3), STATION, mode="car")
    with pytest.raises(RoadError):
        route(demo_graph, TAIHE, (40.0, 116.4), mode="car")


@pytest.mark.parametrize("direction", ["from", "to"])
def test_isochrone_covers_what_is_reachable_and_not_what_is_not(
    demo_graph: RoadGraph, direction: str
) -> None:
    budget = 120.0
    feature = isochrone(demo_graph, *TAIHE, mode="car", budget_s=budget, direction=direction)
    area = shapely.geometry.shape(feature["geometry"])
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert area.contains(shapely.Point(TAIHE[1], TAIHE[0]))
    field = travel_times_to(demo_graph, *TAIHE, mode="car", budget_s=10 * budget)
    times = field.times_at_nodes(np.arange(demo_graph.n_nodes))
    if direction == "to":
        inside = np.flatnonzero(times <= budget)
        assert shapely.contains_xy(area, demo_graph.lon[inside], demo_graph.lat[inside]).all()
    far = (
        haversine_m(demo_graph.lat, demo_graph.lon, *TAIHE)
        > budget * demo_graph.vmax_mps["car"] + 200
    )
    assert not shapely.contains_xy(area, demo_graph.lon[far], demo_graph.lat[far]).any()
    bigger = isochrone(demo_graph, *TAIHE, mode="car", budget_s=2 * budget, direction=direction)
    assert shapely.geometry.shape(bigger["geometry"]).area > area.area


def test_isochrone_rejects_an_unknown_direction(demo_graph: RoadGraph) -> None:
    with pytest.raises(RoadError):
        isochrone(demo_graph, *TAIHE, mode="car", budget_s=60, direction="sideways")
