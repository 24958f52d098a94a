"""Importing OpenStreetMap: tag rules, the graph's figures, saving and mapping, bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import osmium
import pytest

from conftest import OSM_DATA, OSM_FILES
from jingwu.engine.roads import RoadError, RoadGraph, load_osm, parse_maxspeed, profile_of
from jingwu.engine.roads.generate import grid_ways

KMH = 3.6


@pytest.mark.parametrize(
    ("tags", "car", "ebike", "foot"),
    [
        # (forward, backward, km/h) per mode; None = closed
        ({"highway": "residential"}, (True, True, 25), (True, True, 15), (True, True, 4.32)),
        ({"highway": "primary", "maxspeed": "60"}, (True, True, 60), (True, True, 15), (True, True, 4.32)),
        ({"highway": "residential", "oneway": "yes"}, (True, False, 25), (True, False, 15), (True, True, 4.32)),
        ({"highway": "residential", "oneway": "-1"}, (False, True, 25), (False, True, 15), (True, True, 4.32)),
        ({"highway": "primary", "junction": "roundabout"}, (True, False, 65), (True, False, 15), (True, True, 4.32)),
        ({"highway": "motorway"}, (True, False, 90), None, None),
        ({"highway": "living_street"}, (True, True, 10), (True, True, 10), (True, True, 4.32)),
        ({"highway": "residential", "access": "private"}, None, None, None),
        ({"highway": "service", "access": "no", "foot": "yes"}, None, None, (True, True, 4.32)),
        ({"highway": "footway"}, None, None, (True, True, 4.32)),
        ({"highway": "footway", "bicycle": "yes"}, None, (True, True, 8), (True, True, 4.32)),
        ({"highway": "cycleway"}, None, (True, True, 15), (True, True, 4.32)),
        ({"highway": "steps"}, None, None, (True, True, 4.32)),
        ({"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}, (True, False, 25), (True, True, 15), (True, True, 4.32)),
        ({"highway": "primary", "oneway": "reversible"}, None, None, (True, True, 4.32)),
        ({"highway": "trunk", "motorroad": "yes"}, (True, True, 85), None, None),
    ],
)  # fmt: skip
def test_tags_decide_modes_directions_and_speeds(
    tags: dict[str, str],
    car: tuple[bool, bool, float] | None,
    ebike: tuple[bool, bool, float] | None,
    foot: tuple[bool, bool, float] | None,
) -> None:
    profile = profile_of(tags)
    if car is None and ebike is None and foot is None:
        assert profile is None  # nobody may use it: not a street at all
        return
    assert profile is not None
    for mode, expected in (("car", car), ("ebike", ebike), ("foot", foot)):
        rule = profile.rule(mode)
        if expected is None:
            assert not rule.usable, (mode, rule)
        else:
            assert (rule.forward, rule.backward) == expected[:2], mode
            assert rule.speed_kmh == pytest.approx(expected[2]), mode


@pytest.mark.parametrize(
    "tags", [{"highway": "construction"}, {"highway": "proposed"}, {"building": "yes"}, {}]
)
def test_ways_that_are_not_streets_are_ignored(tags: dict[str, str]) -> None:
    assert profile_of(tags) is None


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0), ("50 km/h", 50.0), ("30 mph", 48.28032), ("60;40", 40.0),
        ("walk", 5.0), ("CN:urban", None), ("none", None), ("", None), (None, None), ("0", None),
    ],
)  # fmt: skip
def test_maxspeed_parsing(value: str | None, kmh: float | None) -> None:
    assert parse_maxspeed(value) == (pytest.approx(kmh) if kmh else None)


@pytest.mark.parametrize("key", sorted(OSM_FILES))
def test_import_reports_nodes_edges_km_and_component_share(key: str) -> None:
    graph, summary = load_osm(OSM_DATA / OSM_FILES[key])
    assert summary.nodes == graph.n_nodes > 0
    assert summary.edges == graph.n_edges > 0
    assert [m.mode for m in summary.modes] == ["car", "ebike", "foot"]
    for m in summary.modes:
        assert 0 < m.lscc_share <= 1
        assert m.km > 0 and m.dropped_km >= 0
        assert m.edges == int(np.isfinite(graph.time_s[m.mode]).sum())
    assert len(summary.rows()) == 3
    assert not graph.illustrative


def test_only_the_largest_strongly_connected_component_is_kept(
    make_line_graph: Callable[..., RoadGraph],
) -> None:
    # a loop of four streets plus a separate one-way street: the latter is dropped for cars
    square = [(0.0, 0.0), (0.0, 0.01), (0.01, 0.01), (0.01, 0.0), (0.0, 0.0)]
    island = [(0.02, 0.02), (0.02, 0.03)]
    graph = make_line_graph([square, island], {"highway": "residential"})
    meta = {m["mode"]: m for m in graph.meta["summary"]["modes"]}
    assert meta["car"]["dropped_nodes"] == 2
    assert meta["car"]["lscc_share"] == pytest.approx(4 / 6)
    assert np.isfinite(graph.time_s["car"]).sum() == 8


def test_one_way_streets_are_one_way_for_cars_but_not_for_walkers(
    make_line_graph: Callable[..., RoadGraph],
) -> None:
    ring = [(0.0, 0.0), (0.0, 0.01), (0.01, 0.01), (0.01, 0.0), (0.0, 0.0)]
    graph = make_line_graph([ring], {"highway": "residential", "oneway": "yes"})
    assert np.isfinite(graph.time_s["car"]).sum() == 4
    assert np.isfinite(graph.time_s["foot"]).sum() == 8
    ebike_speed = graph.length_m / graph.time_s["ebike"]
    assert np.nanmax(ebike_speed[np.isfinite(graph.time_s["ebike"])]) <= 15 / KMH + 1e-9


def test_saved_graph_loads_memory_mapped_and_equal(helsinki: RoadGraph, tmp_path: Path) -> None:
    path = helsinki.save(tmp_path / "helsinki.npz")
    loaded = RoadGraph.load(path)
    assert isinstance(loaded.lat.base, np.memmap)
    for name in ("lat", "lon", "indptr", "indices", "length_m", "edge_src"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(helsinki, name))
    for mode in helsinki.modes:
        np.testing.assert_array_equal(loaded.time_s[mode], helsinki.time_s[mode])
        np.testing.assert_array_equal(loaded.rev[mode].data, helsinki.rev[mode].data)
    assert loaded.meta["summary"] == helsinki.meta["summary"]
    assert loaded.vmax_mps == helsinki.vmax_mps
    in_memory = RoadGraph.load(path, mmap=False)
    np.testing.assert_array_equal(in_memory.indices, helsinki.indices)


def test_loading_a_file_that_is_not_a_graph_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(RoadError) as err:
        RoadGraph.load(bad)
    assert err.value.code == "bad_graph_file"


def test_a_file_that_is_not_osm_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "city.osm.pbf"
    bad.write_bytes(b"this is not an OpenStreetMap file\n" * 10)
    with pytest.raises(RoadError) as err:
        load_osm(bad)
    assert err.value.code == "not_osm"
    with pytest.raises(RoadError) as err:
        load_osm(tmp_path / "missing.osm.pbf")
    assert err.value.code == "not_found"
    text = tmp_path / "streets.txt"
    text.write_text("hello")
    with pytest.raises(RoadError) as err:
        load_osm(text)
    assert err.value.code == "not_osm"


def test_an_extract_without_streets_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "park.osm.pbf"
    with osmium.SimpleWriter(str(empty)) as writer:
        for i in range(5):
            writer.add_node(osmium.osm.mutable.Node(id=i + 1, location=(119.3 + i * 1e-3, 26.1)))
        writer.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2, 3], tags={"building": "yes"}))
    with pytest.raises(RoadError) as err:
        load_osm(empty)
    assert err.value.code == "empty_extract"


def test_a_generated_extract_round_trips_through_an_osm_file(tmp_path: Path) -> None:
    generated = grid_ways(12, 12, seed=1)
    path = tmp_path / "grid.osm.pbf"
    generated.write_osm(path)
    calls: list[tuple[int, int | None]] = []
    graph, summary = load_osm(path, progress=lambda done, total: calls.append((done, total)))
    assert summary.name == "grid"
    assert graph.n_nodes == 144
    assert calls and calls[-1][0] == calls[-1][1]  # the build steps end at 100 %
