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
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

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
    processor = cast(  # the entity filter lets only ways through
        "Iterable[osmium.osm.Way]",
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(EntityFilter(osmium.osm.WAY))
        .with_filter(KeyFilter("highway")),
    )
    sink = _Sink()
    try:
        ways = iter(processor)
        first = next(ways, None)
        if first is not None:
            fast = hasattr(first, "_pyosmium_data")
            sink.add_public(first)
            (sink.read_fast if fast else sink.read_public)(ways, progress)
    except RuntimeError as exc:  # libosmium reports unreadable input as RuntimeError
        raise RoadError(
            f"{path.name} 无法作为 OpenStreetMap 文件读取：{exc}", code="not_osm"
        ) from exc
    if not sink.way_profile:
        raise RoadError(f"{path.name} 中没有可通行的道路", code="empty_extract")
    return sink.arrays()


class _Sink:
    """Collects ways into flat arrays; tag interpretation is cached per distinct tag values."""

    def __init__(self) -> None:
        self.refs, self.xs, self.ys = array("q"), array("i"), array("i")
        self.starts, self.way_profile = array("q", [0]), array("i")
        self.profiles: list[WayProfile] = []
        self.ids: dict[tuple[str | None, ...], int] = {}  # tag values -> profile (-1: skip)

    def profile(self, values: tuple[str | None, ...]) -> int:
        pid = self.ids.get(values)
        if pid is None:
            pid = self.ids[values] = _profile_id(values, self.profiles)
        return pid

    def add_public(self, way: osmium.osm.Way) -> None:
        self.read_public(iter([way]), None)

    def read_public(self, ways: Iterator[osmium.osm.Way], progress: Progress | None) -> None:
        """The documented pyosmium API."""
        ra, xa, ya = self.refs.append, self.xs.append, self.ys.append
        for count, way in enumerate(ways, 1):
            if progress is not None and count % _REPORT_EVERY == 0:
                progress(count, None)
            tags = way.tags
            if tags.get("highway") not in ROUTABLE:
                continue
            pid = self.profile(tuple([tags.get(k) for k in KEYS]))
            nodes = way.nodes
            if pid < 0 or len(nodes) < 2:
                continue
            for n in nodes:
                ra(n.ref)
                loc = n.location
                xa(loc.x)
                ya(loc.y)
            self.starts.append(len(self.refs))
            self.way_profile.append(pid)

    def read_fast(self, ways: Iterator[osmium.osm.Way], progress: Progress | None) -> None:
        """The same through pyosmium's C-level objects: about a third less time per way.

        pyosmium 4 wraps each C++ object in Python (``Way._pyosmium_data``); calling it
        directly skips a Python frame per tag and per node. Used only when present.
        """
        ra, xa, ya = self.refs.append, self.xs.append, self.ys.append
        for count, way in enumerate(ways, 1):
            if progress is not None and count % _REPORT_EVERY == 0:
                progress(count, None)
            raw: Any = way._pyosmium_data
            get = raw.tags_get_value_by_key
            if get("highway", None) not in ROUTABLE:
                continue
            pid = self.profile(tuple([get(k, None) for k in KEYS]))
            nodes = raw.nodes()
            size = nodes.size(raw)
            if pid < 0 or size < 2:
                continue
            node_at = nodes.get
            for i in range(size):
                n = node_at(raw, i)
                ra(n.ref)
                loc = n.location
                xa(loc.x)
                ya(loc.y)
            self.starts.append(len(self.refs))
            self.way_profile.append(pid)

    def arrays(self) -> WaySet:
        x = np.frombuffer(self.xs, np.int32).astype(np.float64)
        y = np.frombuffer(self.ys, np.int32).astype(np.float64)
        missing = (x == _UNDEFINED) | (y == _UNDEFINED)
        return WaySet(
            node_ids=np.frombuffer(self.refs, np.int64).copy(),
            lat=np.where(missing, np.nan, y * _COORD_SCALE),
            lon=np.where(missing, np.nan, x * _COORD_SCALE),
            way_start=np.frombuffer(self.starts, np.int64).copy(),
            way_profile=np.frombuffer(self.way_profile, np.int32).copy(),
            profiles=self.profiles,
        )


def _profile_id(values: tuple[str | None, ...], profiles: list[WayProfile]) -> int:
    """The number of the profile of these tag values in ``profiles`` (appended if new), or -1."""
    profile = profile_from_values(values)
    if profile is None:
        return -1
    if profile not in profiles:
        profiles.append(profile)
    return profiles.index(profile)
