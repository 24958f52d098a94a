"""In a real browser, over a real ASGI server: a 盗伐林木 call inside the 鼓岭 eco zone appears
live on the zone pages of both the forest chief and the police chief (林长+警长), and both can
open it; the fire risk and the patrol route are on the map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_jointcmd_live import CREATE, GET, asgi_url, open_as  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]
GULING = (26.0862, 119.3961)
SHOTS = Path(__file__).parents[2] / "var" / "screenshots"


def test_illegal_logging_in_the_zone_appears_for_both_chiefs(browser: Any, asgi_url: str) -> None:  # noqa: F811
    chiefs = [
        open_as(browser, asgi_url, u, "/eco/")
        for u in ("forest_chief_guling", "police_chief_guling")
    ]
    for page in chiefs:
        page.wait_for_selector("#live-status[data-live='1']")
        page.wait_for_selector("#eco-incidents[data-ready='1']")
        assert "陈林生" in page.inner_text("#chiefs") and "黄志明" in page.inner_text("#chiefs")
        assert "四级" in page.inner_text("#fire-risk")

    caller = open_as(browser, asgi_url, "commander_jinan", "/")
    status, incident = caller.evaluate(CREATE, [GULING[0], GULING[1], "盗伐林木", "P3"])
    assert status == 201, incident
    assert incident["type"] == "illegal_logging"

    for page in chiefs:
        row = page.locator(f"#eco-incidents li.incident[data-id='{incident['id']}']")
        row.wait_for(timeout=10_000)
        assert "盗伐林木" in row.inner_text()
        assert page.evaluate(GET, f"/api/v1/incidents/{incident['id']}") == 200
        assert page.js_errors == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    chiefs[0].screenshot(path=str(SHOTS / "eco-zone.png"))


def test_the_patrol_map_shows_geofences_and_prints_qr_codes(browser: Any, asgi_url: str) -> None:  # noqa: F811
    page = open_as(browser, asgi_url, "police_chief_guling", "/patrols/")
    page.locator("a", has_text="鼓岭生态巡护线").click()
    page.wait_for_selector("#patrol-map[data-ready='1']")
    assert page.locator("path.checkpoint").count() == 5
    with page.expect_response(lambda r: r.url.endswith("qr-sheet.pdf")) as info:
        page.evaluate("fetch(document.getElementById('qr-sheet').href)")
    assert info.value.status == 200
    assert info.value.headers["content-type"] == "application/pdf"
    page.screenshot(path=str(SHOTS / "eco-patrol.png"))
    assert page.js_errors == []
