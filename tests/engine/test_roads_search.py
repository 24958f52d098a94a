"""Bounded search against networkx on every shared network; snapping; the invariants.

The reference graph is built from the global edge list and ``time_s`` (not from the per-mode
CSR the search uses), so the per-mode layout, the parallel-edge merge, the virtual start node
and the top-speed pruning are all checked against plain Dijkstra.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jingwu.engine.roads import (
    InvalidPoint,
    ModeUnavailable,
    OutsideGraph,
    RoadGraph,
    TooFarFromRoad,
    haversine_m,
    search,
    snap,
    snap_many,
    travel_times_to,
)
from jingwu.engine.roads import bounded as bounded_module

NETWORKS = ["helsinki", "finnish_town", "west_oakland", "manhattan"]
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def reference(graph: RoadGraph, mode: str) -> nx.DiGraph:
    """The reversed mode graph for networkx (edge u->v becomes v->u), fastest parallel edge."""
    g = nx.DiGraph()
    t = graph.time_s[mode]
    for e in np.flatnonzero(np.isfinite(t)).tolist():
        u, v, w = int(graph.edge_src[e]), int(graph.indices[e]), float(t[e])
        if not g.has_edge(v, u) or g[v][u]["weight"] > w:
            g.add_edge(v, u, weight=w)
    return g


def at_node(graph: RoadGraph, node: int, mode: str) -> tuple[float, float]:
    return float(graph.lat[node]), float(graph.lon[node])


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("mode", ["car", "foot"])
def test_bounded_search_equals_networkx_to_the_millisecond(
    reference_graphs: dict[str, RoadGraph], network: str, mode: str
) -> None:
    graph = reference_graphs[network]
    ref = reference(graph, mode)
    rng = np.random.default_rng(7)
    nodes = np.array(sorted(ref.nodes))
    pairs = 0
    targets = nodes if nodes.size <= 200 else rng.choice(nodes, size=12, replace=False)
    for target in targets.tolist():  # small networks: every pair
        expected = nx.single_source_dijkstra_path_length(ref, target, weight="weight")
        target_snap = snap(graph, *at_node(graph, target, mode), mode=mode)
        for budget in (45.0, 240.0, None):
            field, _ = search(graph, target_snap, budget)
            nodes_in, times = field.reached()
            within = {n for n, t in expected.items() if budget is None or t <= budget}
            assert set(nodes_in.tolist()) == within
            got = dict(zip(nodes_in.tolist(), times.tolist(), strict=True))
            assert all(abs(got[n] - expected[n]) < 1e-3 for n in within)
            pairs += len(within)
        sources = rng.choice(nodes, size=min(50, nodes.size)).tolist()
        field, _ = search(graph, target_snap, None)
        for s in sources:
            assert field.time_at_node(s) == pytest.approx(expected.get(s, math.inf), abs=1e-3)
    assert pairs >= 1000


def test_pruned_and_whole_graph_searches_agree(
    small_grid: RoadGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(1)
    for node in rng.choice(small_grid.n_nodes, size=20, replace=False).tolist():
        target = snap(small_grid, *at_node(small_grid, node, "car"), mode="car")
        for budget in (30.0, 90.0, 400.0):
            bounded_module.drop_tiles(small_grid)  # no cached tile: the per-point cut-out
            monkeypatch.setattr(bounded_module, "TILE_MAX_SHARE", 0.0)
            monkeypatch.setattr(bounded_module, "SUBGRAPH_MAX_SHARE", 1.0)
            pruned, _ = search(small_grid, target, budget)
            monkeypatch.setattr(bounded_module, "SUBGRAPH_MAX_SHARE", 0.0)
            whole, _ = search(small_grid, target, budget)
            assert pruned._ranges is not None and whole._dense is not None
            everyone = np.arange(small_grid.n_nodes)
            np.testing.assert_array_equal(
                pruned.times_at_nodes(everyone), whole.times_at_nodes(everyone)
            )
            assert pruned.time_at_node(node) == whole.time_at_node(node) == 0.0


@pytest.mark.parametrize("network", ["helsinki", "manhattan"])
def test_point_inside_an_edge_splits_its_time(
    reference_graphs: dict[str, RoadGraph], network: str
) -> None:
    """From a node, the time to a point at fraction f of edge a->b is T(node->a) + f·w(a->b)."""
    graph = reference_graphs[network]
    ref = reference(graph, "car")
    rng = np.random.default_rng(3)
    edges = np.flatnonzero(np.isfinite(graph.time_s["car"]))
    for e in rng.choice(edges, size=15, replace=False).tolist():
        a, b = int(graph.edge_src[e]), int(graph.indices[e])
        lat = 0.6 * graph.lat[a] + 0.4 * graph.lat[b]
        lon = 0.6 * graph.lon[a] + 0.4 * graph.lon[b]
        field = travel_times_to(graph, lat, lon, mode="car", budget_s=1e9)
        p = field.target  # usually edge a-b; another street if one passes closer still
        to_a = nx.single_source_dijkstra_path_length(ref, p.a, weight="weight")
        to_b = nx.single_source_dijkstra_path_length(ref, p.b, weight="weight")
        off_a = p.t * p.w_ab if p.t > 0 else 0.0
        off_b = (1 - p.t) * p.w_ba if p.t < 1 else 0.0
        for n in rng.choice(list(to_a), size=30).tolist():
            expected = min(to_a.get(n, math.inf) + off_a, to_b.get(n, math.inf) + off_b)
            assert field.time_at_node(n) == pytest.approx(expected, abs=1e-3)


@SETTINGS
@given(data=st.data())
def test_travel_time_is_never_below_straight_line_at_top_speed(
    reference_graphs: dict[str, RoadGraph], data: st.DataObject
) -> None:
    graph = reference_graphs[data.draw(st.sampled_from(["helsinki", "finnish_town"]))]
    mode = data.draw(st.sampled_from(graph.modes))
    nodes = np.flatnonzero(np.diff(graph.rev[mode].indptr[: graph.n_nodes + 1]) > 0)
    target = int(nodes[data.draw(st.integers(0, nodes.size - 1))])
    field, _ = search(graph, snap(graph, *at_node(graph, target, mode), mode=mode), None)
    reached, times = field.reached()
    straight = haversine_m(graph.lat[reached], graph.lon[reached], *at_node(graph, target, mode))
    assert np.all(times >= straight / graph.vmax_mps[mode] - 1e-6)


@SETTINGS
@given(data=st.data(), budget=st.floats(1.0, 600.0))
def test_budget_returns_exactly_the_nodes_within_it(
    small_grid: RoadGraph, data: st.DataObject, budget: float
) -> None:
    node = data.draw(st.integers(0, small_grid.n_nodes - 1))
    target = snap(small_grid, *at_node(small_grid, node, "car"), mode="car")
    unlimited, _ = search(small_grid, target, None)
    bounded, _ = search(small_grid, target, budget)
    all_nodes, all_times = unlimited.reached()
    got, _ = bounded.reached()
    np.testing.assert_array_equal(np.sort(got), np.sort(all_nodes[all_times <= budget]))


@SETTINGS
@given(data=st.data(), fraction=st.floats(0.02, 0.98))
def test_a_point_on_an_edge_snaps_to_that_edge_at_distance_zero(
    reference_graphs: dict[str, RoadGraph], data: st.DataObject, fraction: float
) -> None:
    graph = reference_graphs[data.draw(st.sampled_from(["helsinki", "west_oakland"]))]
    mode = data.draw(st.sampled_from(graph.modes))
    edges = np.flatnonzero(np.isfinite(graph.time_s[mode]))
    e = int(edges[data.draw(st.integers(0, edges.size - 1))])
    a, b = int(graph.edge_src[e]), int(graph.indices[e])
    lat = graph.lat[a] + fraction * (graph.lat[b] - graph.lat[a])
    lon = graph.lon[a] + fraction * (graph.lon[b] - graph.lon[a])
    s = snap(graph, lat, lon, mode=mode)
    assert s.distance_m < 1e-3
    if (s.a, s.b) != (min(a, b), max(a, b)):  # only another street through the very same point
        assert s.t in (0.0, 1.0) or s.distance_m < 1e-6
    else:
        assert s.t == pytest.approx(fraction if a < b else 1 - fraction, abs=1e-6)
        assert graph.edge_src[s.edge] in (a, b) and graph.indices[s.edge] in (a, b)


@SETTINGS
@given(data=st.data())
def test_snapping_finds_the_exact_nearest_street(
    demo_graph: RoadGraph, data: st.DataObject
) -> None:
    min_lat, min_lon, max_lat, max_lon = demo_graph.bounds
    lat = data.draw(st.floats(min_lat, max_lat))
    lon = data.draw(st.floats(min_lon, max_lon))
    s = snap_many(demo_graph, [lat], [lon], mode="car", max_distance_m=math.inf)
    # brute force over every car edge, in the same local projection
    x, y = demo_graph.grid.project(demo_graph.lat, demo_graph.lon)
    px, py = demo_graph.grid.project(lat, lon)
    ok = np.isfinite(demo_graph.time_s["car"])
    u, v = demo_graph.edge_src[ok], demo_graph.indices[ok]
    dx, dy = x[v] - x[u], y[v] - y[u]
    t = np.clip(((px - x[u]) * dx + (py - y[u]) * dy) / (dx * dx + dy * dy), 0, 1)
    brute = np.hypot(px - x[u] - t * dx, py - y[u] - t * dy).min()
    sx, sy = demo_graph.grid.project(s.lat[0], s.lon[0])
    assert math.hypot(px - sx, py - sy) == pytest.approx(brute, abs=1e-6)


def test_bad_points_are_errors_not_guesses(
    helsinki: RoadGraph, make_line_graph: Callable[..., RoadGraph]
) -> None:
    with pytest.raises(InvalidPoint):
        snap(helsinki, math.nan, 24.94, mode="car")
    with pytest.raises(InvalidPoint):
        snap(helsinki, 60.17, math.inf, mode="car")
    with pytest.raises(InvalidPoint):
        snap(helsinki, 123.0, 24.94, mode="car")
    with pytest.raises(OutsideGraph):
        snap(helsinki, 26.1, 119.3, mode="car")
    with pytest.raises(OutsideGraph):
        travel_times_to(helsinki, 26.1, 119.3, mode="car", budget_s=60)
    square = [(0.0, 0.0), (0.0, 0.01), (0.01, 0.01), (0.01, 0.0), (0.0, 0.0)]
    graph = make_line_graph([square], {"highway": "footway"})
    with pytest.raises(TooFarFromRoad) as err:
        snap(graph, 0.005, 0.005, mode="foot")  # the middle of the block, about 550 m away
    assert err.value.distance_m == pytest.approx(556, abs=5)
    assert err.value.nearest.distance_m == err.value.distance_m
    assert snap(graph, 0.005, 0.005, mode="foot", max_distance_m=600).distance_m < 600
    with pytest.raises(ModeUnavailable):
        snap(graph, 0.0, 0.005, mode="car")


def test_snap_many_reports_instead_of_raising(helsinki: RoadGraph) -> None:
    lat0, lon0 = at_node(helsinki, 10, "foot")
    snaps = snap_many(
        helsinki, [lat0, math.nan, 26.1, lat0], [lon0, 24.94, 119.3, lon0 + 0.05], mode="foot"
    )
    assert snaps.ok.tolist() == [True, False, False, False]
    assert snaps.distance_m[0] < 1.0
