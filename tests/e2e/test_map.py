"""In a real browser: the duty officer logs in and sees the map with the five workstations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

WORKSTATIONS = [
    "东二环泰禾商圈智慧警务站",
    "鼓山崇贤智慧警务站",
    "新店龙头警务站",
    "鼓岭生态警务站",
    "火车站派出所路地联勤指挥中心",
]


def test_duty_officer_sees_the_map_with_the_five_workstations(page: Any, tmp_path: Path) -> None:
    log_in(page, "duty_taihe")
    page.goto(page.base_url + "/map/")
    page.wait_for_selector("#map[data-ready='1']")
    labels = page.locator(".post-label").all_inner_texts()
    assert sorted(labels) == sorted(WORKSTATIONS)
    # Every tier is a layer the officer can toggle.
    overlay_names = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    for name in ["分局辖区", "派出所辖区", "警务站防区", "警务室责任区", "网格", "警务站驻点"]:
        assert any(name in o for o in overlay_names), overlay_names
    # Clicking a workstation's sector shows its owner.
    page.locator(".post").first.click()
    page.wait_for_selector(".leaflet-popup-content")
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "责任单位" in popup
    shot = Path(__file__).parents[2] / "var" / "screenshots"
    shot.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)  # let the popup's fade-in finish before the screenshot
    page.screenshot(path=str(shot / "map.png"))


def test_outsider_sees_no_workstation_on_the_map(page: Any) -> None:
    log_in(page, "outsider")
    page.goto(page.base_url + "/map/")
    page.wait_for_selector("#map[data-ready='1']")
    assert page.locator(".post-label").count() == 0
