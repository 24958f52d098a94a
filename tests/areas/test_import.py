"""GeoJSON import and export of the tiers: validation first, all or nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.db import transaction
from typer.testing import CliRunner

from jingwu.areas.models import Area
from jingwu.areas.services import export_areas, import_areas
from jingwu.cli import app
from jingwu.errors import Invalid

pytestmark = pytest.mark.django_db


def _square(lon: float, lat: float, d: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
        ],
    }


def _feature(level: str, code: str, parent: str | None, geometry: dict) -> dict:
    return {
        "type": "Feature",
        "properties": {"level": level, "code": code, "name": f"测试{code}", "parent": parent},
        "geometry": geometry,
    }


def _snapshot() -> list[tuple]:
    return list(Area.objects.order_by("id").values_list("code", "name", "geometry", "parent_id"))


def _expect_invalid(doc: dict) -> Invalid:
    before = _snapshot()
    with pytest.raises(Invalid) as info, transaction.atomic():
        import_areas(doc=doc)
    assert _snapshot() == before
    return info.value


def test_export_then_import_round_trips_without_changes(demo: None) -> None:
    doc = export_areas()
    before = _snapshot()
    with transaction.atomic():
        report = import_areas(doc=doc)
    assert report.created == 0 and report.updated == len(doc["features"])
    assert _snapshot() == before


def test_new_branch_imports_with_a_gap_reported(demo: None) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            _feature("branch", "T-B", None, _square(100.0, 30.0, 0.1)),
            _feature("station", "T-S", "T-B", _square(100.0, 30.0, 0.05)),
        ],
    }
    with transaction.atomic():
        report = import_areas(doc=doc)
    assert report.created == 2
    assert [w["code"] for w in report.warnings] == ["gap"]
    assert Area.objects.get(code="T-S").parent.code == "T-B"


def test_overlapping_siblings_are_refused_and_nothing_is_written(demo: None) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            _feature("branch", "T-B", None, _square(100.0, 30.0, 0.1)),
            _feature("station", "T-S1", "T-B", _square(100.0, 30.0, 0.06)),
            _feature("station", "T-S2", "T-B", _square(100.05, 30.0, 0.05)),
        ],
    }
    err = _expect_invalid(doc)
    assert any(e["code"] == "overlap" for e in err.errors)
    assert "重叠" in err.errors[0]["msg"] or any("重叠" in e["msg"] for e in err.errors)


def test_a_self_intersecting_polygon_is_refused(demo: None) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[100, 30], [100.1, 30.1], [100.1, 30], [100, 30.1], [100, 30]]],
    }
    err = _expect_invalid(
        {"type": "FeatureCollection", "features": [_feature("branch", "T-B", None, bowtie)]}
    )
    assert err.errors[0]["code"] in ("self_intersection", "invalid_geometry")


@pytest.mark.parametrize(
    ("geometry", "text"),
    [
        ({"type": "Polygon"}, "坐标"),
        ({"type": "Point", "coordinates": [100, 30]}, "Polygon"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[100, 30], [100.1, 30], [100.1, 30.1], [100, 30.1]]],
            },
            "闭合",
        ),
        (
            {"type": "Polygon", "coordinates": [[[100, 30], ["x", 30], [100.1, 30.1], [100, 30]]]},
            "数字",
        ),
    ],
)
def test_malformed_geojson_geometry_gets_a_field_message(
    demo: None, geometry: dict, text: str
) -> None:
    err = _expect_invalid(
        {"type": "FeatureCollection", "features": [_feature("branch", "T-B", None, geometry)]}
    )
    assert err.errors[0]["loc"] == ["features", 0, "geometry"]
    assert text in err.errors[0]["msg"]


def test_unknown_level_and_missing_parent_are_refused(demo: None) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            _feature("province", "T-P", None, _square(100.0, 30.0, 0.1)),
            _feature("grid", "T-G", "NO-SUCH", _square(100.0, 30.0, 0.01)),
        ],
    }
    err = _expect_invalid(doc)
    locs = [e["loc"] for e in err.errors]
    assert ["features", 0, "properties", "level"] in locs


def test_not_a_feature_collection_is_refused(demo: None) -> None:
    err = _expect_invalid({"type": "Polygon"})
    assert err.loc == ["type"]


def test_cli_import_reports_errors_and_exits_1(demo: None, tmp_path: Path) -> None:
    doc = export_areas(level="grid")
    bad = copy.deepcopy(doc)
    # Move one grid onto its neighbour: an overlap.
    bad["features"][1]["geometry"] = bad["features"][0]["geometry"]
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(bad, ensure_ascii=False), "utf-8")
    before = _snapshot()
    result = CliRunner().invoke(app, ["areas", "import", str(path)])
    assert result.exit_code == 1
    assert "error" in result.output
    assert _snapshot() == before


def test_cli_export_writes_a_feature_collection(demo: None, tmp_path: Path) -> None:
    path = tmp_path / "ws.geojson"
    result = CliRunner().invoke(app, ["areas", "export", "--level", "workstation", "-o", str(path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(path.read_text("utf-8"))
    assert len(doc["features"]) == 5
    assert {f["properties"]["level"] for f in doc["features"]} == {"workstation"}
