"""The Jin'an demo district's tiers as polygons, generated deterministically.

Django-free so that benchmarks and the engine tests can use it. Station (and workstation)
sectors are Voronoi cells around the five posts of the article, clipped to a hand-drawn
outline; police rooms and grids are k-means Voronoi partitions inside them. Every polygon is
illustrative; real boundaries replace them through ``jingwu areas import``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import shapely
from scipy.cluster.vq import kmeans2
from shapely.geometry import MultiPoint, Point, Polygon, mapping, shape


@dataclass(frozen=True)
class DemoArea:
    """One generated area: its level, code, name, parent code and polygon (GeoJSON)."""

    level: str
    code: str
    name: str
    parent_code: str | None
    geometry: dict[str, Any]
    properties: dict[str, Any] = field(default_factory=dict)


def _data(name: str) -> Any:
    return json.loads(
        resources.files("jingwu.demo").joinpath("data").joinpath(name).read_text("utf-8")
    )


def district_spec() -> dict[str, Any]:
    """The demo district's stations, workstations and rooms (names, codes, posts)."""
    return _data("jinan.json")  # type: ignore[no-any-return]


def outline() -> Polygon:
    """The illustrative outline of the branch's area."""
    return shape(_data("district.geojson")["features"][0]["geometry"])  # type: ignore[return-value]


def _voronoi(seeds: list[tuple[float, float]], within: Polygon) -> list[Polygon]:
    """Voronoi cells of the seeds (lon, lat), clipped to ``within``, in seed order."""
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=within.buffer(1.0))
    out: list[Polygon] = []
    for seed in seeds:
        cell = next(c for c in cells.geoms if c.contains(Point(seed)))
        clipped = cell.intersection(within)
        if clipped.geom_type != "Polygon":
            # A cell cut in two by a concave outline: keep the part holding the seed's side.
            clipped = max(clipped.geoms, key=lambda g: g.area)
        out.append(clipped)
    return out


def _partition(poly: Polygon, k: int, *, anchor: tuple[float, float], seed: int) -> list[Polygon]:
    """Split ``poly`` into ``k`` compact cells; the first holds ``anchor`` when it is inside."""
    minx, miny, maxx, maxy = poly.bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, 60), np.linspace(miny, maxy, 60))
    pts = np.column_stack([xs.ravel(), ys.ravel()])
    pts = pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]
    centroids, _ = kmeans2(pts, k, seed=np.random.default_rng(seed), minit="++")
    seeds = sorted(
        ((float(x), float(y)) for x, y in centroids),
        key=lambda c: (c[0] - anchor[0]) ** 2 + (c[1] - anchor[1]) ** 2,
    )
    cells = _voronoi(seeds, poly)
    return cells


@cache
def build_demo_areas() -> tuple[DemoArea, ...]:
    """All demo areas, parents before children: branch, stations, workstations, rooms, grids."""
    spec = district_spec()
    branch_poly = outline()
    areas = [
        DemoArea(
            "branch", spec["branch"]["code"], spec["branch"]["name"], None, mapping(branch_poly)
        )
    ]
    posts = [(s["workstation"]["lon"], s["workstation"]["lat"]) for s in spec["stations"]]
    for i, (st, st_poly) in enumerate(
        zip(spec["stations"], _voronoi(posts, branch_poly), strict=True)
    ):
        ws = st["workstation"]
        areas.append(
            DemoArea("station", st["code"], st["name"], spec["branch"]["code"], mapping(st_poly))
        )
        areas.append(
            DemoArea(
                "workstation",
                ws["code"],
                ws["name"],
                st["code"],
                mapping(st_poly),
                {"post": [ws["lon"], ws["lat"]], "approximate": True, "kind": ws["kind"]},
            )
        )
        rooms = _partition(st_poly, len(st["rooms"]), anchor=(ws["lon"], ws["lat"]), seed=100 + i)
        for j, (room, room_poly) in enumerate(zip(st["rooms"], rooms, strict=True)):
            areas.append(
                DemoArea(
                    "police_room",
                    room["code"],
                    room["name"],
                    ws["code"],
                    mapping(room_poly),
                    {"community": room["community"]},
                )
            )
            c = room_poly.representative_point()
            grids = _partition(
                room_poly, spec["grids_per_room"], anchor=(c.x, c.y), seed=1000 + 10 * i + j
            )
            for n, grid_poly in enumerate(grids, start=1):
                community = (
                    room["community"]
                    .replace("居委会", "")
                    .replace("委员会", "")
                    .replace("村委会", "村")
                )
                areas.append(
                    DemoArea(
                        "grid",
                        f"{room['code']}-{n:02d}",
                        f"{community}第{n}网格",
                        room["code"],
                        mapping(grid_poly),
                    )
                )
    return tuple(areas)
