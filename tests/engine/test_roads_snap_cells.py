"""Snapping one point through the cells (plain Python floats) finds the exact nearest street.

``snap`` reads the segments listed in the point's own cell first (nearest the cell's centre
first, stopping when the rest cannot be nearer), then blocks of cells around it; the sample
buckets and the KD-tree answer what the cells leave open. Each answer is held to a brute force
over every segment of the mode, in the very arithmetic of ``_project_onto``, on real extracts,
the demo district and grids; the fast constructors of ``Snap`` and ``Ranked`` to the classes'.
"""

from __future__ import annotations

import math
from dataclasses import asdict, fields
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jingwu.engine.dispatch import Ranked
from jingwu.engine.plain import frozen
from jingwu.engine.roads import RoadGraph, Snap, snap
from jingwu.engine.roads import snapping as snapping_module
from jingwu.engine.roads.graph import M_PER_DEG

SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def brute(graph: RoadGraph, mode: str, px: float, py: float) -> tuple[float, set[int]]:
    """The least distance over every segment of ``mode`` and the segments at it."""
    index = snapping_module._index(graph, mode)
    t, d = snapping_module._project_onto(index, np.arange(index.a.size), px, py)
    best = float(d.min())
    return best, set(np.flatnonzero(d == best).tolist())


def check_point(graph: RoadGraph, mode: str, lat: float, lon: float) -> bool:
    """The cells' answer is a nearest segment with its fraction; False when they step aside."""
    cells = snapping_module._index_cells(graph, mode)
    px, py = (lon - cells.lon0) * cells.kx, (lat - cells.lat0) * M_PER_DEG
    got = snapping_module._nearest_in_cells(cells, px, py)
    if got is None:
        return False
    seg, t = got
    index = snapping_module._index(graph, mode)
    best, nearest = brute(graph, mode, px, py)
    tt, dd = snapping_module._project_onto(index, np.array([seg]), px, py)
    assert float(dd[0]) == pytest.approx(best, abs=1e-9)
    assert t == float(tt[0])  # the same fraction, to the bit
    if len(nearest) == 1 and float(dd[0]) != best:  # a unique nearest missed: within rounding
        (other,) = nearest
        assert float(dd[0]) - best <= 1e-9
        assert other != seg
    return True


@SETTINGS
@given(data=st.data())
def test_the_cells_find_the_exact_nearest_street(
    reference_graphs: dict[str, RoadGraph],
    demo_graph: RoadGraph,
    small_grid: RoadGraph,
    data: st.DataObject,
) -> None:
    graphs = {"demo": demo_graph, "small_grid": small_grid, **reference_graphs}
    graph = graphs[data.draw(st.sampled_from(sorted(graphs)))]
    mode = data.draw(st.sampled_from(graph.modes))
    min_lat, min_lon, max_lat, max_lon = graph.bounds
    pad_lat, pad_lon = 0.05 * (max_lat - min_lat), 0.05 * (max_lon - min_lon)
    if data.draw(st.booleans()):  # on a node: many segments at distance 0
        node = data.draw(st.integers(0, graph.n_nodes - 1))
        lat, lon = float(graph.lat[node]), float(graph.lon[node])
    else:
        lat = data.draw(st.floats(min_lat - pad_lat, max_lat + pad_lat))
        lon = data.draw(st.floats(min_lon - pad_lon, max_lon + pad_lon))
    check_point(graph, mode, lat, lon)


def test_the_own_cell_settles_most_points(demo_graph: RoadGraph, small_grid: RoadGraph) -> None:
    """Points within about 100 m of a street are answered by the cells (the fallbacks are
    for points far from every street)."""
    for graph in (demo_graph, small_grid):
        rng = np.random.default_rng(5)
        nodes = rng.integers(0, graph.n_nodes, 300)
        lats = graph.lat[nodes] + rng.uniform(-9e-4, 9e-4, nodes.size)
        lons = graph.lon[nodes] + rng.uniform(-9e-4, 9e-4, nodes.size)
        settled = sum(
            check_point(graph, "car", float(la), float(lo))
            for la, lo in zip(lats, lons, strict=True)
        )
        assert settled >= 0.95 * nodes.size  # a node of a foot path may lie far from a car street


def test_snap_through_the_cells_equals_the_batch_snap(small_grid: RoadGraph) -> None:
    rng = np.random.default_rng(9)
    min_lat, min_lon, max_lat, max_lon = small_grid.bounds
    lats = rng.uniform(min_lat, max_lat, 400)
    lons = rng.uniform(min_lon, max_lon, 400)
    batch = snapping_module.snap_many(small_grid, lats, lons, mode="car", max_distance_m=1e9)
    same = 0
    for j in range(lats.size):
        one = snap(small_grid, float(lats[j]), float(lons[j]), mode="car", max_distance_m=1e9)
        assert isinstance(one, Snap)
        assert one.distance_m == pytest.approx(float(batch.distance_m[j]), abs=1e-6)
        if (one.a, one.b) == (batch.a[j], batch.b[j]):
            same += 1
            assert (one.t, one.w_ab, one.w_ba) == (batch.t[j], batch.w_ab[j], batch.w_ba[j])
            assert (one.lat, one.lon) == (batch.lat[j], batch.lon[j])
            assert type(one.a) is int and type(one.t) is float
            index = snapping_module._index(small_grid, "car")
            (seg,) = np.flatnonzero((index.a == one.a) & (index.b == one.b))
            forward = index.e_ab[seg] >= 0  # the edge the position names, and its fraction
            assert one.edge == (index.e_ab[seg] if forward else index.e_ba[seg])
            assert one.fraction == (one.t if forward else 1.0 - one.t)
    assert same >= 380


def test_the_fast_constructors_make_the_same_objects(small_grid: RoadGraph) -> None:
    one = snap(small_grid, float(small_grid.lat[7]) + 1e-4, float(small_grid.lon[7]), mode="car")
    rebuilt = Snap(**asdict(one))
    assert one == rebuilt and hash(one) == hash(rebuilt) and repr(one) == repr(rebuilt)
    assert [f.name for f in fields(Snap)] == list(vars(one))
    values: dict[str, Any] = {
        "rank": 1, "unit_id": 4, "unit_name": "unit 4", "tier": 2, "mode": "car",
        "eta_seconds": 61.5, "distance_m": 412.3, "estimated": False, "stale": True,
        "fix_age_s": 130.0, "reasons": ("车程约 1 分 2 秒",),
    }  # fmt: skip
    fast, slow = frozen(Ranked, dict(values)), Ranked(**values)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert [f.name for f in fields(Ranked)] == list(vars(fast))
    with pytest.raises(AttributeError):
        fast.rank = 2  # type: ignore[misc]  # still frozen
    assert not hasattr(Snap, "__post_init__") and not hasattr(Ranked, "__post_init__")
    assert math.isfinite(one.distance_m)
