"""``jingwu roads import|info``: writes one graph file, prints the summary, refuses bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import OSM_DATA
from jingwu.engine.roads import RoadGraph
from jingwu.roads_cli import app

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JINGWU_DATA_DIR", str(tmp_path))
    return tmp_path


def test_import_writes_the_graph_and_prints_the_summary(data_dir: Path) -> None:
    result = runner.invoke(app, ["import", str(OSM_DATA / "pyrosm_test.osm.pbf"), "--name", "town"])
    assert result.exit_code == 0, result.output
    assert "汽车" in result.output and "最大强连通占比" in result.output
    graph = RoadGraph.load(data_dir / "roads" / "town.npz")
    assert graph.name == "town" and set(graph.modes) == {"car", "ebike", "foot"}
    info = runner.invoke(app, ["info", "town"])
    assert info.exit_code == 0 and "town" in info.output


def test_name_defaults_to_the_file_name(data_dir: Path) -> None:
    result = runner.invoke(app, ["import", str(OSM_DATA / "osmnx_West-Oakland.osm.bz2")])
    assert result.exit_code == 0, result.output
    assert (data_dir / "roads" / "osmnx_West-Oakland.npz").is_file()


def test_a_bad_file_is_an_error_and_writes_nothing(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"garbage" * 100)
    result = runner.invoke(app, ["import", str(bad)])
    assert result.exit_code == 1
    assert "error:" in result.output
    assert not (data_dir / "roads").exists() or not any((data_dir / "roads").iterdir())


def test_an_unsafe_name_is_refused(data_dir: Path) -> None:
    result = runner.invoke(
        app, ["import", str(OSM_DATA / "pyrosm_test.osm.pbf"), "--name", "../escape"]
    )
    assert result.exit_code == 1
    assert not (data_dir / "escape.npz").exists()


def test_info_on_a_missing_graph_is_an_error(data_dir: Path) -> None:
    assert runner.invoke(app, ["info", "nowhere"]).exit_code == 1
