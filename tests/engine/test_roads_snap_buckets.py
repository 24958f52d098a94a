"""Snapping one point through the sample buckets finds the exact nearest street.

``snap`` looks at the segment samples in the buckets around the point first and settles when
the best distance is provably unbeatable; the KD-tree path answers otherwise. Both are held
to a brute force over every edge of the mode, on the generated district and on real extracts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jingwu.engine.roads import RoadGraph, snap
from jingwu.engine.roads import snapping as snapping_module

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def brute_distance(graph: RoadGraph, mode: str, lat: float, lon: float) -> float:
    """The distance to the nearest usable edge, over every edge, in the local projection."""
    x, y = graph.grid.project(graph.lat, graph.lon)
    px, py = graph.grid.project(lat, lon)
    ok = np.isfinite(graph.time_s[mode])
    u, v = graph.edge_src[ok], graph.indices[ok]
    dx, dy = x[v] - x[u], y[v] - y[u]
    l2 = dx * dx + dy * dy
    t = np.clip(((px - x[u]) * dx + (py - y[u]) * dy) / np.where(l2 > 0, l2, 1.0), 0, 1)
    return float(np.hypot(px - x[u] - t * dx, py - y[u] - t * dy).min())


def snapped_distance(graph: RoadGraph, lat: float, lon: float, mode: str) -> float:
    s = snap(graph, lat, lon, mode=mode, max_distance_m=math.inf)
    px, py = graph.grid.project(lat, lon)
    sx, sy = graph.grid.project(s.lat, s.lon)
    return math.hypot(float(px - sx), float(py - sy))


@SETTINGS
@given(data=st.data())
def test_one_point_snaps_to_the_exact_nearest_street(
    reference_graphs: dict[str, RoadGraph], demo_graph: RoadGraph, data: st.DataObject
) -> None:
    graphs = {"demo": demo_graph, **reference_graphs}
    graph = graphs[data.draw(st.sampled_from(["demo", "helsinki", "west_oakland", "manhattan"]))]
    mode = data.draw(st.sampled_from(graph.modes))
    min_lat, min_lon, max_lat, max_lon = graph.bounds
    pad_lat, pad_lon = 0.1 * (max_lat - min_lat), 0.1 * (max_lon - min_lon)  # some outside
    lat = data.draw(st.floats(min_lat - pad_lat, max_lat + pad_lat))
    lon = data.draw(st.floats(min_lon - pad_lon, max_lon + pad_lon))
    got = snapped_distance(graph, lat, lon, mode)  # outside the buckets: the KD-tree path
    assert got == pytest.approx(brute_distance(graph, mode, lat, lon), abs=1e-6)


def test_buckets_settle_most_points_and_agree_with_the_kd_tree(demo_graph: RoadGraph) -> None:
    index = snapping_module._index(demo_graph, "car")
    buckets = snapping_module._build_buckets(index)
    min_lat, min_lon, max_lat, max_lon = demo_graph.bounds
    rng = np.random.default_rng(2)
    settled = 0
    for _ in range(300):
        lat, lon = rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)
        px, py = (float(v) for v in demo_graph.grid.project(lat, lon))
        fast = snapping_module._nearest_bucketed(index, buckets, px, py)
        seg, t = snapping_module._nearest_one(index, px, py)
        if fast is None:
            continue
        settled += 1
        d_fast = snapping_module._project_onto(index, np.array([fast[0]]), px, py)[1][0]
        d_tree = snapping_module._project_onto(index, np.array([seg]), px, py)[1][0]
        assert d_fast == d_tree
        if fast[0] == seg:
            assert fast[1] == t
    assert settled >= 150
