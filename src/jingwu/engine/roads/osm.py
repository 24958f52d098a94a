"""Read an OpenStreetMap extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``, ``.osm.gz``) with pyosmium.

One streaming pass with libosmium's node-location cache: only ways tagged ``highway`` reach
Python, and each way costs a handful of tag look-ups (their interpretation is cached, few tag
combinations recur) plus one append per node. Everything after the pass is numpy.
"""

from __future__ import annotations

import dataclasses
import os
import time
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import numpy as np
import osmium
from osmium.filter import EntityFilter, KeyFilter

from .build import ImportSummary, Progress, WaySet, build_graph
from .graph import RoadError, RoadGraph
from .profile import KEYS, ROUTABLE, WayProfile, profile_from_values

SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".osm.xml")
_COORD_SCALE = 1e-7  # libosmium stores coordinates as fixed-point integers
_UNDEFINED = 2147483647  # libosmium's "no location" coordinate
_REPORT_EVERY = 2000  # ways between two progress calls


def load_osm(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    progress: Progress | None = None,
) -> tuple[RoadGraph, ImportSummary]:
    """Build the road graph of an OSM extract; raise ``RoadError`` for a file that is not one.

    ``progress(done, total)`` is called while reading (total None: the number of ways is not
    known before the end) and then through the build steps.
    """
    started = time.perf_counter()
    p = Path(path)
    if not p.is_file():
        raise RoadError(f"找不到文件 {p}", code="not_found")
    if not p.name.lower().endswith(SUFFIXES):
        raise RoadError(
            f"{p.name} 不是 OpenStreetMap 文件（支持 {'、'.join(SUFFIXES)}）", code="not_osm"
        )
    ways = read_ways(p, progress=progress)
    graph, summary = build_graph(
        ways, name=name or default_name(p), source=p.name, progress=progress
    )
    summary = dataclasses.replace(summary, seconds=time.perf_counter() - started)
    graph.meta["summary"] = summary.as_dict()
    return graph, summary


def default_name(path: Path) -> str:
    """``fuzhou.osm.pbf`` -> ``fuzhou``."""
    stem = path.name
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if stem.lower().endswith(suffix):
            return stem[: -len(suffix)] or "roads"
    return path.stem


def read_ways(path: Path, *, progress: Progress | None = None) -> WaySet:
    """Every routable ``highway`` way with its node ids and locations, as flat arrays."""
    refs, xs, ys = array("q"), array("i"), array("i")
    starts, way_profile = array("q", [0]), array("i")
    profiles: list[WayProfile] = []
    index: dict[WayProfile, int] = {}
    processor = cast(  # the entity filter lets only ways through
        "Iterable[osmium.osm.Way]",
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(EntityFilter(osmium.osm.WAY))
        .with_filter(KeyFilter("highway")),
    )
    try:
        for count, way in enumerate(processor, 1):
            tags = way.tags
            if tags.get("highway") not in ROUTABLE or tags.get("area") == "yes":
                continue
            profile = profile_from_values(tuple(tags.get(k) for k in KEYS))
            nodes = way.nodes
            if profile is None or len(nodes) < 2:
                continue
            for n in nodes:
                refs.append(n.ref)
                loc = n.location
                xs.append(loc.x)
                ys.append(loc.y)
            starts.append(len(refs))
            pid = index.setdefault(profile, len(profiles))
            if pid == len(profiles):
                profiles.append(profile)
            way_profile.append(pid)
            if progress is not None and count % _REPORT_EVERY == 0:
                progress(count, None)
    except RuntimeError as exc:  # libosmium reports unreadable input as RuntimeError
        raise RoadError(
            f"{path.name} 无法作为 OpenStreetMap 文件读取：{exc}", code="not_osm"
        ) from exc
    if not way_profile:
        raise RoadError(f"{path.name} 中没有可通行的道路", code="empty_extract")
    return _as_arrays(refs, xs, ys, starts, way_profile, profiles)


def _as_arrays(
    refs: array[int],
    xs: array[int],
    ys: array[int],
    starts: array[int],
    way_profile: array[int],
    profiles: list[WayProfile],
) -> WaySet:
    x = np.frombuffer(xs, np.int32).astype(np.float64)
    y = np.frombuffer(ys, np.int32).astype(np.float64)
    missing = (x == _UNDEFINED) | (y == _UNDEFINED)
    lon = np.where(missing, np.nan, x * _COORD_SCALE)
    lat = np.where(missing, np.nan, y * _COORD_SCALE)
    return WaySet(
        node_ids=np.frombuffer(refs, np.int64).copy(),
        lat=lat,
        lon=lon,
        way_start=np.frombuffer(starts, np.int64).copy(),
        way_profile=np.frombuffer(way_profile, np.int32).copy(),
        profiles=profiles,
    )
