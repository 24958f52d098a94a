"""The generated demo network: deterministic, labelled illustrative, shaped like the district."""

from __future__ import annotations

import time

import numpy as np
import pytest
import shapely

from jingwu.engine.roads import (
    RoadGraph,
    generate_demo_network,
    generate_grid_network,
    haversine_m,
    route,
    snap,
)

POSTS = {
    "东二环泰禾": (26.099, 119.336),
    "火车站": (26.113, 119.317),
    "鼓山崇贤": (26.072, 119.352),
    "新店龙头": (26.160, 119.300),
    "鼓岭": (26.085, 119.395),
}


def test_demo_network_is_deterministic_fast_and_labelled(
    district_outline: dict[str, object],
) -> None:
    started = time.perf_counter()
    first = generate_demo_network(district_outline)
    assert time.perf_counter() - started < 2.0
    again = generate_demo_network(district_outline)
    other = generate_demo_network(district_outline, seed=1)
    np.testing.assert_array_equal(first.lat, again.lat)
    np.testing.assert_array_equal(first.time_s["car"], again.time_s["car"])
    assert first.n_nodes != other.n_nodes or not np.array_equal(first.lat, other.lat)
    assert first.illustrative and "示意" in first.meta["note"]
    assert 2_000 <= first.n_nodes <= 20_000


def test_demo_network_stays_inside_the_district(
    demo_graph: RoadGraph, district_outline: dict[str, object]
) -> None:
    outline = shapely.geometry.shape(district_outline["features"][0]["geometry"])  # type: ignore[index]
    inside = shapely.contains_xy(outline.buffer(0.001), demo_graph.lon, demo_graph.lat)
    assert inside.all()


@pytest.mark.parametrize("mode", ["car", "ebike", "foot"])
@pytest.mark.parametrize("post", sorted(POSTS))
def test_every_post_is_on_the_network(demo_graph: RoadGraph, post: str, mode: str) -> None:
    assert snap(demo_graph, *POSTS[post], mode=mode).distance_m < 300


def test_demo_network_has_one_way_streets(demo_graph: RoadGraph) -> None:
    car = demo_graph.time_s["car"]
    key = demo_graph.edge_src.astype(np.int64) * demo_graph.n_nodes + demo_graph.indices
    back = demo_graph.indices.astype(np.int64) * demo_graph.n_nodes + demo_graph.edge_src
    usable = set(key[np.isfinite(car)].tolist())
    one_way = [k for k in back[np.isfinite(car)].tolist() if k not in usable]
    assert len(one_way) > 50


def test_the_road_to_guling_winds_and_is_slow(demo_graph: RoadGraph) -> None:
    feature = route(demo_graph, POSTS["东二环泰禾"], POSTS["鼓岭"], mode="car")
    straight = haversine_m(*POSTS["东二环泰禾"], *POSTS["鼓岭"])
    assert feature["properties"]["length_m"] > 1.3 * straight
    assert feature["properties"]["time_s"] > straight / (30 / 3.6)


def test_grid_network_has_the_requested_size_and_one_way_streets() -> None:
    graph = generate_grid_network(2_500, seed=2)
    assert graph.n_nodes >= 2_400  # a few dead-end nodes fall out of the largest component
    assert np.isinf(graph.time_s["car"]).sum() > 0.1 * graph.n_edges
