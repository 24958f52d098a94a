"""Benchmark: point -> jurisdiction over the Jin'an demo district, against two baselines.

Run with ``.venv/bin/python -m bench.jurisdiction``. Locates 1,000,000 uniformly random points
in the branch's bounding box (fixed seed) with ``JurisdictionIndex.locate_many`` and compares
with (a) a plain Python loop over the polygons with shapely ``contains``, timed on a 20,000-point
sample because it is too slow for the full million, and (b) one vectorised shapely STRtree
query over all polygons for the full million. It checks that all three agree and prints
whether the goal of 1,000,000 points per second is met. Takes well under two minutes.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, shape

from jingwu.demo.district import build_demo_areas
from jingwu.engine.jurisdiction import LEVELS, AreaShape, JurisdictionIndex

SEED = 20240601
N_POINTS = 1_000_000
N_SAMPLE = 20_000
REPEATS = 7
GOAL = 1_000_000


def demo_areas() -> list[AreaShape]:
    """The demo district's areas with integer ids in generation order (parents first)."""
    demo = build_demo_areas()
    ids = {a.code: n for n, a in enumerate(demo, start=1)}
    return [
        AreaShape(ids[a.code], a.level, ids[a.parent_code] if a.parent_code else None, a.geometry)
        for a in demo
    ]


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def plain_loop(areas: list[AreaShape], lats: np.ndarray, lons: np.ndarray) -> dict[str, np.ndarray]:
    """Baseline (a): per point, per level, the first polygon (by id) whose ``contains`` holds."""
    polys = [(a.id, a.level, shape(a.geometry)) for a in sorted(areas, key=lambda a: a.id)]
    out = {level: np.full(lats.size, -1, dtype=np.int64) for level in LEVELS}
    for i in range(lats.size):
        point = Point(lons[i], lats[i])
        for area_id, level, poly in polys:
            if out[level][i] < 0 and poly.contains(point):
                out[level][i] = area_id
    return out


def strtree_query(
    tree: shapely.STRtree, ids: np.ndarray, levels: np.ndarray, lats: np.ndarray, lons: np.ndarray
) -> dict[str, np.ndarray]:
    """Baseline (b): one vectorised STRtree query for all polygons, then the smallest id per level."""
    pt, poly = tree.query(shapely.points(lons, lats), predicate="intersects")
    out = {}
    for rank, level in enumerate(LEVELS):
        sel = levels[poly] == rank
        best = np.full(lats.size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, pt[sel], ids[poly[sel]])
        out[level] = np.where(best == np.iinfo(np.int64).max, -1, best)
    return out


def agree(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> tuple[int, int]:
    """(equal answers, all answers) over every level."""
    same = sum(int(np.sum(a[level] == b[level])) for level in LEVELS)
    return same, sum(a[level].size for level in LEVELS)


def main() -> None:
    """Run the benchmark and print its figures."""
    areas = demo_areas()
    counts = Counter(a.level for a in areas)
    print(
        f"jurisdiction bench: Jin'an demo district, {len(areas)} areas ("
        + ", ".join(f"{counts[level]} {level}" for level in LEVELS)
        + ")"
    )

    start = time.perf_counter()
    index = JurisdictionIndex.build(areas)
    build_s = time.perf_counter() - start
    share = ", ".join(f"{k} {v:.1%}" for k, v in index.ambiguous_share().items())
    print(
        f"build: {build_s:.2f} s; raster {index.cell_count:,} cells of {index.cell_m:.1f} m; "
        f"boundary cells per level: {share}"
    )

    rng = np.random.default_rng(SEED)
    minx, miny, maxx, maxy = shape(areas[0].geometry).bounds
    lats = rng.uniform(miny, maxy, N_POINTS)
    lons = rng.uniform(minx, maxx, N_POINTS)
    index.locate_many(lats[:1000], lons[:1000])  # warm up

    fast_s, fast = timed(lambda: index.locate_many(lats, lons), REPEATS)
    fast_rate = N_POINTS / fast_s
    inside = int(np.sum(fast["branch"] >= 0))
    print(
        f"fast path  locate_many: {N_POINTS:,} points (seed {SEED}, {inside:,} inside the branch), "
        f"median of {REPEATS}: {fast_s * 1e3:.1f} ms -> {fast_rate:,.0f} points/s (all 5 levels)"
    )

    geoms = np.array([shape(a.geometry) for a in areas], dtype=object)
    tree = shapely.STRtree(geoms)
    ids = np.array([a.id for a in areas], dtype=np.int64)
    ranks = np.array([LEVELS.index(a.level) for a in areas])
    tree_s, via_tree = timed(lambda: strtree_query(tree, ids, ranks, lats, lons), 3)
    tree_rate = N_POINTS / tree_s
    query_s, _ = timed(lambda: tree.query(shapely.points(lons, lats), predicate="intersects"), 3)
    print(
        f"baseline   STRtree vectorised query: {N_POINTS:,} points, median of 3: "
        f"{tree_s * 1e3:.0f} ms -> {tree_rate:,.0f} points/s "
        f"(the query alone, without the per-level smallest id: {N_POINTS / query_s:,.0f} points/s)"
    )

    sample_lats, sample_lons = lats[:N_SAMPLE], lons[:N_SAMPLE]
    loop_s, via_loop = timed(lambda: plain_loop(areas, sample_lats, sample_lons), 1)
    loop_rate = N_SAMPLE / loop_s
    print(
        f"baseline   plain Python loop, shapely contains: a {N_SAMPLE:,}-point SAMPLE "
        f"(the first of the same points), one run: {loop_s:.2f} s -> {loop_rate:,.0f} points/s"
    )

    sample_fast = {level: fast[level][:N_SAMPLE] for level in LEVELS}
    same_loop, total_loop = agree(sample_fast, via_loop)
    same_tree, total_tree = agree(fast, via_tree)
    print(
        f"agreement: fast vs plain loop on the sample {same_loop:,}/{total_loop:,} answers; "
        f"fast vs STRtree on all points {same_tree:,}/{total_tree:,}"
    )
    print(
        f"ratio: fast path {fast_rate / loop_rate:,.0f}x the plain loop, "
        f"{fast_rate / tree_rate:.1f}x the STRtree query"
    )
    met = fast_rate >= GOAL and same_loop == total_loop and same_tree == total_tree
    print(f"goal >= {GOAL:,} points/s with exact answers: {'MET' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
