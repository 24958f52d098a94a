"""Tests for jingwu.engine.jurisdiction: the raster index against brute force, and validation."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping, shape

from jingwu.demo.district import build_demo_areas
from jingwu.engine.geo import area_m2
from jingwu.engine.jurisdiction import (
    LEVELS,
    AreaShape,
    GeometryError,
    JurisdictionIndex,
    parse_geometry,
    validate_tier,
)

# The five workstation posts of the article (lat, lon) and their codes in the demo district.
POSTS = {
    "ws-taihe": (26.099, 119.336),  # 东二环泰禾
    "ws-railway": (26.113, 119.317),  # 火车站
    "ws-chongxian": (26.072, 119.352),  # 崇贤
    "ws-longtou": (26.160, 119.300),  # 新店龙头
    "ws-guling": (26.085, 119.395),  # 鼓岭
}


def demo_tier() -> tuple[list[AreaShape], dict[str, int]]:
    demo = build_demo_areas()
    ids = {a.code: n for n, a in enumerate(demo, start=1)}
    areas = [
        AreaShape(ids[a.code], a.level, ids[a.parent_code] if a.parent_code else None, a.geometry)
        for a in demo
    ]
    return areas, ids


@pytest.fixture(scope="module")
def demo() -> tuple[list[AreaShape], dict[str, int], JurisdictionIndex]:
    areas, ids = demo_tier()
    return areas, ids, JurisdictionIndex.build(areas)


def brute_force(
    areas: list[AreaShape], lats: np.ndarray, lons: np.ndarray
) -> dict[str, np.ndarray]:
    """Reference: every polygon against every point; the smallest covering id per level."""
    out = {level: np.full(lats.size, -1, dtype=np.int64) for level in LEVELS}
    for area in sorted(areas, key=lambda a: -a.id):  # smallest id written last
        hit = shapely.intersects_xy(shape(area.geometry), lons, lats)
        out[area.level][hit] = area.id
    return out


def near_boundary_points(areas: list[AreaShape], n: int, rng: np.random.Generator):
    """Points on and next to the rings: vertices, points along edges, nudged by up to 1e-5 deg."""
    coords = np.concatenate([shapely.get_coordinates(shape(a.geometry).boundary) for a in areas])
    i = rng.integers(0, len(coords) - 1, n)
    t = np.where(rng.random(n) < 0.3, 0.0, rng.random(n))  # 30 % exactly on vertices
    pts = coords[i] + t[:, None] * (coords[i + 1] - coords[i])
    scale = rng.choice([0.0, 1e-12, 1e-9, 1e-7, 1e-5], size=(n, 1))
    pts = pts + scale * rng.standard_normal((n, 2))
    return pts[:, 1], pts[:, 0]


def test_locate_many_equals_brute_force_on_the_demo_district(demo):
    areas, _, index = demo
    rng = np.random.default_rng(20240601)
    minx, miny, maxx, maxy = shape(areas[0].geometry).bounds
    lats = rng.uniform(miny - 0.01, maxy + 0.01, 10_000)
    lons = rng.uniform(minx - 0.01, maxx + 0.01, 10_000)
    b_lats, b_lons = near_boundary_points(areas, 10_000, rng)
    lats, lons = np.concatenate([lats, b_lats]), np.concatenate([lons, b_lons])
    got = index.locate_many(lats, lons)
    want = brute_force(areas, lats, lons)
    for level in LEVELS:
        assert got[level].dtype == np.int64
        np.testing.assert_array_equal(got[level], want[level], err_msg=level)


def test_locate_agrees_with_a_plain_covers_loop(demo):
    areas, _, index = demo
    rng = np.random.default_rng(5)
    lats, lons = near_boundary_points(areas, 300, rng)
    polys = [(a.id, a.level, shape(a.geometry)) for a in sorted(areas, key=lambda a: a.id)]
    for lat, lon in zip(lats, lons, strict=True):
        point = Point(lon, lat)
        want: dict[str, int | None] = dict.fromkeys(LEVELS)
        for area_id, level, poly in polys:
            if want[level] is None and poly.covers(point):
                want[level] = area_id
        assert index.locate(lat, lon) == want


@pytest.mark.parametrize("code", sorted(POSTS))
def test_each_post_resolves_to_its_own_workstation(demo, code):
    areas, ids, index = demo
    found = index.locate(*POSTS[code])
    assert found["workstation"] == ids[code]
    by_id = {a.id: a for a in areas}
    assert found["station"] == by_id[ids[code]].parent_id
    assert found["branch"] == ids["350111"]
    room, grid = found["police_room"], found["grid"]
    assert room is not None and by_id[room].parent_id == ids[code]
    assert grid is not None and by_id[grid].parent_id == room


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(26.195, 119.435), (26.3, 119.6), (39.9, 116.4), (np.nan, 119.3), (26.1, np.inf)],
)
def test_a_point_outside_the_branch_is_in_nothing(demo, lat, lon):
    _, _, index = demo
    assert index.locate(lat, lon) == dict.fromkeys(LEVELS)


def test_locate_many_handles_empty_input_and_rejects_mismatched_lengths(demo):
    _, _, index = demo
    out = index.locate_many(np.array([]), np.array([]))
    assert all(v.shape == (0,) and v.dtype == np.int64 for v in out.values())
    with pytest.raises(ValueError):
        index.locate_many(np.zeros(3), np.zeros(2))


def test_an_index_without_areas_answers_none():
    index = JurisdictionIndex.build([])
    assert index.locate(26.1, 119.3) == dict.fromkeys(LEVELS)


def square(x: float, y: float, size: float) -> dict:
    return mapping(box(x, y, x + size, y + size))


def test_overlaps_go_to_the_smallest_id_and_holes_are_outside():
    outer = Polygon(
        [(0, 0), (1, 0), (1, 1), (0, 1)], [[(0.4, 0.4), (0.6, 0.4), (0.6, 0.6), (0.4, 0.6)]]
    )
    areas = [
        AreaShape(7, "grid", None, mapping(outer)),
        AreaShape(3, "grid", None, square(0.5, 0.0, 1.0)),  # overlaps 7 on x in [0.5, 1]
        AreaShape(9, "grid", None, mapping(MultiPolygon([box(2, 0, 3, 1), box(4, 0, 5, 1)]))),
    ]
    index = JurisdictionIndex.build(areas, cell_m=5_000)
    assert index.locate(0.5, 0.2)["grid"] == 7
    assert index.locate(0.5, 0.8)["grid"] == 3  # both cover it; 3 < 7
    assert index.locate(0.5, 0.45)["grid"] is None  # in 7's hole, left of 3
    assert index.locate(0.5, 0.55)["grid"] == 3
    assert index.locate(0.5, 4.5)["grid"] == 9  # second part of the multipolygon
    assert index.locate(0.5, 3.5)["grid"] is None
    assert index.locate(0.5, 0.5)["station"] is None


# Random layouts: overlapping rectangles with holes, several levels, coarse or fine rasters.
rects = st.tuples(
    st.floats(119.0, 119.2), st.floats(26.0, 26.2), st.floats(0.001, 0.1), st.floats(0.001, 0.1)
)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(LEVELS), rects, st.booleans()), min_size=1, max_size=8),
    st.sampled_from([20.0, 300.0, 5_000.0]),
    st.integers(0, 2**32 - 1),
)
def test_locate_many_equals_brute_force_on_random_layouts(layout, cell_m, seed):
    areas = []
    for n, (level, (x, y, w, h), holed) in enumerate(layout):
        holes = [box(x + w / 4, y + h / 4, x + w / 2, y + h / 2).exterior.coords] if holed else []
        poly = Polygon(box(x, y, x + w, y + h).exterior.coords, holes)
        areas.append(AreaShape(100 - 7 * n, level, None, mapping(poly)))
    index = JurisdictionIndex.build(areas, cell_m=cell_m, max_cells=200_000)
    rng = np.random.default_rng(seed)
    lats = rng.uniform(25.99, 26.31, 2_000)
    lons = rng.uniform(118.99, 119.31, 2_000)
    b_lats, b_lons = near_boundary_points(areas, 1_000, rng)
    lats, lons = np.concatenate([lats, b_lats]), np.concatenate([lons, b_lons])
    got = index.locate_many(lats, lons)
    want = brute_force(areas, lats, lons)
    for level in LEVELS:
        np.testing.assert_array_equal(got[level], want[level], err_msg=level)


def test_edges_along_cell_lines_and_points_on_cell_corners_are_exact():
    # The raster depends only on the bounds of all areas and the cell size, so a frame fixes it
    # and the rooms below can be drawn exactly on its cell lines, the raster's worst case.
    frame = AreaShape(1, "branch", None, mapping(box(119.0, 26.0, 119.1, 26.1)))
    grid = JurisdictionIndex.build([frame], cell_m=100)._raster
    rng = np.random.default_rng(11)
    areas = [frame]
    for k in range(8):
        (ix0, ix1), (iy0, iy1) = (
            np.sort(rng.choice(np.arange(2, grid.nx - 2), 2, replace=False)),
            np.sort(rng.choice(np.arange(2, grid.ny - 2), 2, replace=False)),
        )
        x0, x1 = grid.x0 + ix0 * grid.cw, grid.x0 + ix1 * grid.cw
        y0, y1 = grid.y0 + iy0 * grid.ch, grid.y0 + iy1 * grid.ch
        poly = box(x0, y0, x1, y1) if k % 2 else Polygon([(x0, y0), (x1, y1), (x1, y1 - 1e-6)])
        areas.append(AreaShape(10 + k, LEVELS[1 + k % 4], None, mapping(poly)))
    index = JurisdictionIndex.build(areas, cell_m=100)
    assert index._raster == grid
    n = 5_000
    nudge = rng.choice([0.0, 0.5, 1e-9, -1e-12], size=(2, n))
    lons = grid.x0 + (rng.integers(0, grid.nx, n) + nudge[0]) * grid.cw
    lats = grid.y0 + (rng.integers(0, grid.ny, n) + nudge[1]) * grid.ch
    got = index.locate_many(lats, lons)
    want = brute_force(areas, lats, lons)
    for level in LEVELS:
        np.testing.assert_array_equal(got[level], want[level], err_msg=level)


def test_build_rejects_invalid_polygons_and_duplicate_ids():
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(GeometryError) as info:
        JurisdictionIndex.build([AreaShape(1, "grid", None, bow_tie)])
    assert info.value.reason == "invalid"
    with pytest.raises(ValueError):
        JurisdictionIndex.build(
            [
                AreaShape(1, "grid", None, square(0, 0, 1)),
                AreaShape(1, "grid", None, square(2, 0, 1)),
            ]
        )


def test_area_shape_rejects_an_unknown_level():
    with pytest.raises(ValueError):
        AreaShape(1, "county", None, square(0, 0, 1))


# ---------------------------------------------------------------------------- parse_geometry

RING = [[119.3, 26.1], [119.31, 26.1], [119.31, 26.11], [119.3, 26.11], [119.3, 26.1]]


@pytest.mark.parametrize(
    ("geojson", "reason"),
    [
        ([], "not_object"),
        ({"coordinates": [RING]}, "missing_type"),
        ({"type": "Point", "coordinates": [119.3, 26.1]}, "not_polygon"),
        ({"type": "LineString", "coordinates": RING}, "not_polygon"),
        ({"type": "Polygon"}, "missing_coordinates"),
        ({"type": "Polygon", "coordinates": RING}, "nesting"),  # one level too shallow
        ({"type": "Polygon", "coordinates": [[RING]]}, "nesting"),  # one level too deep
        ({"type": "MultiPolygon", "coordinates": [RING]}, "nesting"),
        ({"type": "Polygon", "coordinates": [RING[:-1]]}, "unclosed_ring"),
        ({"type": "Polygon", "coordinates": [[RING[0], RING[1], RING[0]]]}, "too_few_positions"),
        ({"type": "Polygon", "coordinates": [[*RING[:2], ["1", 26.1], *RING[3:]]]}, "not_numeric"),
        ({"type": "Polygon", "coordinates": [[*RING[:2], [True, 26.1], *RING[3:]]]}, "not_numeric"),
        (
            {"type": "Polygon", "coordinates": [[*RING[:2], [float("nan"), 26.1], *RING[3:]]]},
            "not_finite",
        ),
        (
            {"type": "Polygon", "coordinates": [[*RING[:2], [119.3, 96.0], *RING[3:]]]},
            "out_of_range",
        ),
        (
            {"type": "Polygon", "coordinates": [[*RING[:2], [190.0, 26.1], *RING[3:]]]},
            "out_of_range",
        ),
        ({"type": "Polygon", "coordinates": [[*RING[:2], [119.3], *RING[3:]]]}, "nesting"),
    ],
)
def test_parse_geometry_rejects_malformed_geojson(geojson, reason):
    with pytest.raises(GeometryError) as info:
        parse_geometry(geojson)
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)


def test_parse_geometry_accepts_polygons_multipolygons_holes_and_altitude():
    hole = [[119.302, 26.102], [119.304, 26.102], [119.304, 26.104], [119.302, 26.102]]
    poly = parse_geometry({"type": "Polygon", "coordinates": [RING, hole]})
    assert isinstance(poly, Polygon) and len(poly.interiors) == 1
    multi = parse_geometry(
        {"type": "MultiPolygon", "coordinates": [[RING], [[[*p, 12.5] for p in RING]]]}
    )
    assert isinstance(multi, MultiPolygon) and len(multi.geoms) == 2
    assert parse_geometry({"type": "Polygon", "coordinates": []}).is_empty


# ----------------------------------------------------------------------------- validate_tier


def codes(issues) -> set[tuple[str, str, tuple[int, ...]]]:
    return {(i.severity, i.code, i.area_ids) for i in issues}


def test_the_demo_district_has_no_errors():
    areas, _ = demo_tier()
    assert [i for i in validate_tier(areas) if i.severity == "error"] == []


def constructed_tier() -> list[AreaShape]:
    """A 0.02-degree station split into three rooms, each with a planted defect."""
    x, y = 119.30, 26.10
    bow_tie = [[x, y], [x + 0.01, y + 0.01], [x + 0.01, y], [x, y + 0.01], [x, y]]
    return [
        AreaShape(1, "station", None, square(x, y, 0.02)),
        # Rooms 10 and 11 overlap by 0.001 x 0.01 degrees (about 1,110 m2 at 26 N).
        AreaShape(10, "police_room", 1, mapping(box(x, y, x + 0.011, y + 0.01))),
        AreaShape(11, "police_room", 1, mapping(box(x + 0.01, y, x + 0.02, y + 0.01))),
        # Room 12 sticks out of the station's top edge by 0.001 degrees; the strip
        # x + [0, 0.01], y + [0.01, 0.02] minus room 12 is a gap.
        AreaShape(12, "police_room", 1, mapping(box(x + 0.01, y + 0.01, x + 0.02, y + 0.021))),
        AreaShape(20, "grid", 10, {"type": "Polygon", "coordinates": [bow_tie]}),
        AreaShape(21, "grid", 11, {"type": "Point", "coordinates": [x, y]}),
        AreaShape(22, "grid", 11, {"type": "Polygon", "coordinates": [bow_tie[:-1]]}),
        AreaShape(23, "grid", 99, square(x + 0.012, y + 0.001, 0.001)),
        AreaShape(24, "grid", 12, {"type": "Polygon", "coordinates": []}),
    ]


def test_validate_tier_finds_each_planted_defect():
    issues = validate_tier(constructed_tier())
    found = codes(issues)
    assert ("error", "overlap", (10, 11)) in found
    assert ("error", "outside_parent", (12, 1)) in found
    assert ("warning", "gap", (1,)) in found
    assert ("error", "self_intersection", (20,)) in found
    assert ("error", "not_polygon", (21,)) in found
    assert ("error", "invalid_geometry", (22,)) in found
    assert ("error", "unknown_parent", (23, 99)) in found
    assert ("error", "empty", (24,)) in found
    by_code = {i.code: i for i in issues}
    cell = area_m2(box(119.3, 26.1, 119.301, 26.11))
    assert by_code["overlap"].area_m2 == pytest.approx(cell, rel=1e-6)
    assert by_code["outside_parent"].area_m2 == pytest.approx(cell, rel=1e-3)
    gap = area_m2(box(119.3, 26.11, 119.31, 26.12))
    assert by_code["gap"].area_m2 == pytest.approx(gap, rel=1e-6)
    assert "Self-intersection" in by_code["self_intersection"].detail
    assert by_code["invalid_geometry"].detail.startswith("unclosed_ring")


def test_validate_tier_ignores_overlaps_and_overhangs_within_the_tolerance():
    x, y = 119.30, 26.10
    sliver = 5e-9  # half a millimetre wide: 0.55 m2 over the 1.1 km edge
    areas = [
        AreaShape(1, "station", None, square(x, y, 0.01)),
        AreaShape(2, "police_room", 1, mapping(box(x, y, x + 0.005 + sliver, y + 0.01))),
        AreaShape(3, "police_room", 1, mapping(box(x + 0.005, y, x + 0.01 + sliver, y + 0.01))),
    ]
    assert validate_tier(areas) == []
    assert codes(validate_tier(areas, tolerance_m2=0.01)) == {
        ("error", "overlap", (2, 3)),
        ("error", "outside_parent", (3, 1)),
    }


def test_a_parent_of_a_lower_level_or_a_missing_parent_is_reported():
    areas = [
        AreaShape(1, "station", None, square(119.3, 26.1, 0.01)),
        AreaShape(2, "grid", 1, square(119.3, 26.1, 0.005)),
        AreaShape(3, "police_room", 2, square(119.3, 26.1, 0.005)),
        AreaShape(4, "grid", None, square(119.305, 26.1, 0.005)),
    ]
    found = codes(validate_tier(areas))
    assert ("error", "unknown_parent", (3, 2)) in found
    assert ("error", "unknown_parent", (4,)) in found
    assert not any(c == "unknown_parent" and ids[0] == 2 for _, c, ids in found)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(1, 99), min_size=1, max_size=6, unique=True),
    st.integers(0, 6),
)
def test_strips_that_tile_their_parent_are_clean_and_a_missing_strip_is_a_gap(cuts, drop):
    x, y, w, h = 119.30, 26.10, 0.02, 0.01
    xs = [x] + [x + w * c / 100 for c in sorted(cuts)] + [x + w]
    strips = [box(a, y, b, y + h) for a, b in zip(xs[:-1], xs[1:], strict=True)]
    parent = AreaShape(1, "workstation", None, mapping(box(x, y, x + w, y + h)))
    children = [AreaShape(10 + i, "police_room", 1, mapping(s)) for i, s in enumerate(strips)]
    assert validate_tier([parent, *children]) == []
    if drop < len(children):
        kept = children[:drop] + children[drop + 1 :]
        issues = validate_tier([parent, *kept])
        expected = area_m2(strips[drop])  # at least 0.0002 x 0.01 degrees, about 22,000 m2
        assert [(i.code, i.area_ids) for i in issues] == [("gap", (1,))]
        assert issues[0].area_m2 == pytest.approx(expected, rel=1e-6)


def test_locate_one_point_equals_locate_many_inside_outside_and_not_finite(demo):
    """``locate`` has its own single-point path: the same answers as the array path, over the
    whole grid, beyond its edges, on boundaries and for NaN and infinities."""
    areas, _, index = demo
    rng = np.random.default_rng(11)
    b_lats, b_lons = near_boundary_points(areas, 200, rng)
    lats = np.concatenate([rng.uniform(25.9, 26.35, 800), b_lats, [np.nan, 26.1, np.inf, 91.0]])
    lons = np.concatenate([rng.uniform(119.1, 119.6, 800), b_lons, [119.3, np.nan, 119.3, 0.0]])
    many = index.locate_many(lats, lons)
    for i, (lat, lon) in enumerate(zip(lats.tolist(), lons.tolist(), strict=True)):
        want = {lv: (int(ids[i]) if ids[i] >= 0 else None) for lv, ids in many.items()}
        assert index.locate(lat, lon) == want, (lat, lon)
    assert sum(v is not None for v in index.locate(*POSTS["ws-taihe"]).values()) >= 3
