"""Searches on cached tiles give exactly the whole-graph times.

A tile is a square of grid cells with every node within the reach margin around it; a search
of budget T from any point inside the tile runs on that subgraph only. These tests hold the
tiled search to the whole-graph search (same scipy Dijkstra, run on every node) bit for bit,
for random points inside edges, every mode, budgets across tile sizes, tile borders and the
graph's edges, an evicting cache and concurrent searches.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jingwu.engine.roads import RoadError, RoadGraph, build_graph, prepare_tiles, search, snap
from jingwu.engine.roads import bounded as bounded_module
from jingwu.engine.roads.generate import grid_ways
from jingwu.engine.roads.graph import M_PER_DEG

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
BUDGETS = {"car": (10.0, 30.0, 60.0, 120.0), "ebike": (60.0, 200.0), "foot": (120.0, 600.0)}


@pytest.fixture(scope="module")
def grid() -> RoadGraph:
    """A 120 × 120 road-like grid with one-way streets: room for many tiles."""
    graph, _ = build_graph(grid_ways(120, 120, seed=11).way_set(), name="grid120", source="t")
    return graph


@pytest.fixture
def tiles_always(grid: RoadGraph, monkeypatch: pytest.MonkeyPatch) -> Iterator[RoadGraph]:
    """Tiles for every budget, whatever their size (the share limit is a speed choice only)."""
    monkeypatch.setattr(bounded_module, "TILE_MAX_SHARE", 1.0)
    bounded_module.drop_tiles(grid)
    yield grid
    bounded_module.drop_tiles(grid)


def whole_times(graph: RoadGraph, target: object, budget: float) -> np.ndarray:
    """The reference: the same search on the whole graph (the predecessor search never tiles)."""
    field, _ = search(graph, target, budget, predecessors=True)  # type: ignore[arg-type]
    assert field._dense is not None
    return np.where(field._dense <= budget, field._dense, np.inf)


def check_same(graph: RoadGraph, lat: float, lon: float, mode: str, budget: float) -> None:
    target = snap(graph, lat, lon, mode=mode)
    field, _ = search(graph, target, budget)
    assert field._ranges is not None, "the tiled search was not used"
    expected = whole_times(graph, target, budget)
    np.testing.assert_array_equal(field.times_at_nodes(np.arange(graph.n_nodes)), expected)
    nodes, times = field.reached()
    np.testing.assert_array_equal(nodes, np.flatnonzero(np.isfinite(expected)))
    np.testing.assert_array_equal(times, expected[nodes])


@SETTINGS
@given(data=st.data())
def test_a_tiled_search_equals_the_whole_graph_search(
    tiles_always: RoadGraph, data: st.DataObject
) -> None:
    graph = tiles_always
    mode = data.draw(st.sampled_from(graph.modes))
    budget = data.draw(st.sampled_from(BUDGETS[mode]))
    min_lat, min_lon, max_lat, max_lon = graph.bounds
    lat = data.draw(st.floats(min_lat, max_lat))
    lon = data.draw(st.floats(min_lon, max_lon))
    try:
        check_same(graph, lat, lon, mode, budget)
    except RoadError:
        assume(False)  # not near a street of this mode


def test_points_on_tile_borders_and_graph_corners(tiles_always: RoadGraph) -> None:
    graph = tiles_always
    g = graph.grid
    min_lat, min_lon, max_lat, max_lon = graph.bounds
    points = [(min_lat, min_lon), (min_lat, max_lon), (max_lat, min_lon), (max_lat, max_lon)]
    for mode in ("car", "foot"):
        budget = BUDGETS[mode][-1]
        shape = bounded_module._tile_shape(graph, mode, budget)
        assert shape is not None
        side_m = shape[1] * g.cell_m
        x_max, y_max = g.project(max_lat, max_lon)
        borders = np.arange(g.x0 + side_m, float(x_max), side_m)
        assert borders.size >= 1
        for border in borders.tolist():  # just either side of tile borders, both axes
            for along in np.linspace(0.1, 0.9, 4).tolist():
                for eps in (-0.01, 0.0, 0.01):
                    x, y = border + eps, g.y0 + along * (float(y_max) - g.y0)
                    points.append((y / M_PER_DEG + g.lat0, x / g.kx + g.lon0))
                    x, y = g.x0 + along * (float(x_max) - g.x0), border + eps
                    points.append((y / M_PER_DEG + g.lat0, x / g.kx + g.lon0))
        checked = 0
        for lat, lon in points:
            try:
                check_same(graph, lat, lon, mode, budget)
                checked += 1
            except RoadError:
                continue
        assert checked >= 12


def test_the_default_tiles_serve_small_budgets_and_a_full_cache_evicts(
    grid: RoadGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    bounded_module.drop_tiles(grid)
    stats = prepare_tiles(grid, "car", 30.0)
    assert stats.tiles >= 4 and stats.nbytes > 0
    cache = grid._cache["tiles"]
    assert len(cache.tiles) == stats.tiles
    rng = np.random.default_rng(5)
    nodes = rng.choice(grid.n_nodes, size=30, replace=False)
    for n in nodes.tolist():
        check_same(grid, float(grid.lat[n]), float(grid.lon[n]), "car", 30.0)
    assert len(cache.tiles) == stats.tiles  # nothing new: every search found its tile
    assert prepare_tiles(grid, "car", 1e6).tiles == 0  # the whole graph: no tile pays

    one = max(t.nbytes for t in cache.tiles.values())
    monkeypatch.setattr(bounded_module, "TILE_CACHE_BYTES", 2 * one)
    bounded_module.drop_tiles(grid)
    for n in nodes.tolist():
        check_same(grid, float(grid.lat[n]), float(grid.lon[n]), "car", 30.0)
        c = grid._cache["tiles"]
        assert c.nbytes <= 2 * one and len(c.tiles) < stats.tiles
        assert c.nbytes == sum(t.nbytes for t in c.tiles.values())
    bounded_module.drop_tiles(grid)


def test_concurrent_searches_on_one_tile_do_not_mix(tiles_always: RoadGraph) -> None:
    graph = tiles_always
    g = graph.grid
    shape = bounded_module._tile_shape(graph, "car", 60.0)
    assert shape is not None
    # nodes of the first cell: every search below shares that cell's tile
    nodes = range(int(g.cell_start[0]), int(g.cell_start[1]))
    targets = []
    for n in nodes:
        try:
            targets.append(snap(graph, float(graph.lat[n]), float(graph.lon[n]), mode="car"))
        except RoadError:
            continue
    expected = [whole_times(graph, t, 60.0) for t in targets]
    errors: list[str] = []

    def work(offset: int) -> None:
        everyone = np.arange(graph.n_nodes)
        for i in range(60):
            j = (i + offset) % len(targets)
            field, _ = search(graph, targets[j], 60.0)
            if not np.array_equal(field.times_at_nodes(everyone), expected[j]):
                errors.append(f"target {j}")

    threads = [threading.Thread(target=work, args=(k * 7,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(targets) >= 10 and not errors
    assert len(graph._cache["tiles"].tiles) == 1
