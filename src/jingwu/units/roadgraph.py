"""The district's road graph, loaded once per process (memory-mapped) for dispatch and maps.

``JINGWU_ROAD_GRAPH`` names a graph under ``DATA_DIR/roads`` (``jingwu roads import`` writes
there) or gives a path to an ``.npz``. Without it the illustrative demo network is used: it is
generated from the demo district's outline on first use and saved as
``DATA_DIR/roads/demo-jinan.npz`` so later processes only map the file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from jingwu.engine.roads import RoadError, RoadGraph, generate_demo_network

log = logging.getLogger(__name__)
DEMO_NAME = "demo-jinan"
_lock = threading.Lock()
_graph: RoadGraph | None = None
_path: Path | None = None
_failed_at: float | None = None


def graph_path() -> Path:
    """Where the configured graph lives."""
    name = os.environ.get("JINGWU_ROAD_GRAPH", "").strip() or DEMO_NAME
    if name.endswith(".npz"):
        return Path(name)
    return Path(settings.DATA_DIR) / "roads" / f"{name}.npz"


def ensure_demo_graph(*, force: bool = False) -> Path:
    """Generate and save the demo network unless a readable one is on disk; return its path."""
    path = Path(settings.DATA_DIR) / "roads" / f"{DEMO_NAME}.npz"
    if not force and path.exists():
        try:
            RoadGraph.load(path, mmap=True)
            return path
        except RoadError:  # written by an older version of the engine: build it again
            log.warning("regenerating the demo road graph %s", path)
    outline = json.loads(
        resources.files("jingwu.demo").joinpath("data/district.geojson").read_text("utf-8")
    )
    generate_demo_network(outline, seed=0).save(path)
    return path


def get_graph() -> RoadGraph | None:
    """The road graph of this process, or None when it cannot be read (ETAs are then estimated).

    A graph that cannot be read is retried at most once a minute, not on every request.
    """
    global _graph, _path, _failed_at
    path = graph_path()
    if _graph is not None and _path == path:
        return _graph
    if _failed_at is not None and time.monotonic() - _failed_at < 60:
        return None
    with _lock:
        if _graph is not None and _path == path:
            return _graph
        try:
            if path.stem == DEMO_NAME and path.parent == Path(settings.DATA_DIR) / "roads":
                ensure_demo_graph()
            _graph, _path, _failed_at = RoadGraph.load(path, mmap=True), path, None
        except (OSError, RoadError):
            log.exception("road graph %s could not be loaded; ETAs will be estimated", path)
            _failed_at = time.monotonic()
            return None
        return _graph


def reset() -> None:
    """Forget the loaded graph (tests that switch ``DATA_DIR`` or the graph file)."""
    global _graph, _path, _failed_at
    with _lock:
        _graph, _path, _failed_at = None, None, None


def streets_geojson() -> dict[str, Any]:
    """The streets as GeoJSON, built once per loaded graph (empty while there is none)."""
    graph = get_graph()
    if graph is None:
        return {"type": "FeatureCollection", "features": []}
    return graph.cached("jingwu-streets-geojson", lambda: _streets(graph))  # type: ignore[no-any-return]


def _streets(graph: RoadGraph) -> dict[str, Any]:
    """The streets as GeoJSON MultiLineStrings grouped by class (for drawing, not routing).

    Each undirected segment appears once; the class comes from the car speed of the segment
    (arterial, main, local, path) so the map can draw wider lines for faster streets.
    """
    src = np.asarray(graph.edge_src, np.int64)
    dst = np.asarray(graph.indices, np.int64)
    keep = src < dst
    # A one-way segment exists in one direction only: keep it whichever way it points.
    pair = np.minimum(src, dst) * graph.n_nodes + np.maximum(src, dst)
    _, first = np.unique(pair, return_index=True)
    keep = np.zeros_like(keep)
    keep[first] = True
    car = graph.time_s.get("car")
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = (
            np.asarray(graph.length_m) / np.asarray(car) * 3.6
            if car is not None
            else np.zeros(graph.n_edges)
        )
    speed = np.where(np.isfinite(speed), speed, 0.0)
    classes = np.select([speed >= 50, speed >= 35, speed > 0], [0, 1, 2], default=3)
    names = ["arterial", "main", "local", "path"]
    lat, lon = np.asarray(graph.lat), np.asarray(graph.lon)
    features = []
    for c, name in enumerate(names):
        rows = np.flatnonzero(keep & (classes == c))
        if rows.size == 0:
            continue
        lines = np.stack(
            [
                np.column_stack([lon[src[rows]], lat[src[rows]]]),
                np.column_stack([lon[dst[rows]], lat[dst[rows]]]),
            ],
            axis=1,
        ).round(6)
        features.append(
            {
                "type": "Feature",
                "properties": {"class": name, "segments": int(rows.size)},
                "geometry": {"type": "MultiLineString", "coordinates": lines.tolist()},
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {"name": graph.name, "illustrative": graph.illustrative},
    }
