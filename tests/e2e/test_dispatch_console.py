"""In a real browser, over a real ASGI server (the live stream needs one): the duty officer of
东二环泰禾商圈警务站 takes a call by clicking the map, sees the recommendations, sends the first
unit, watches its marker change colour through the live stream, marks it on scene and closes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import log_in

# The mark makes pytest-django create the test database that the server's copy is made from.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db]
SPOT = (26.1004, 119.3373)  # near 泰禾广场, inside the 泰禾 workstation's sector


@pytest.fixture(scope="module")
def asgi_url(tmp_path_factory: Any, django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """``jingwu serve`` (uvicorn, the production ASGI server) in its own process, on a copy of
    the demo-loaded test database: the live stream needs ASGI, and a real process is what a
    duty officer talks to."""
    from tests.conftest import _ensure_demo
    from tests.incidents.servers import Server, server_database

    tmp = tmp_path_factory.mktemp("console")
    with django_db_blocker.unblock():
        _ensure_demo()
        with server_database(tmp) as env:
            server = Server(env, tmp / "server.log")
            try:
                yield server.url
            finally:
                server.stop()


def _marker_status(page: Any, unit_id: str) -> str:
    return str(
        page.locator(f"path.unit-marker[data-unit-id='{unit_id}']").get_attribute("data-status")
    )


def _open_console(browser: Any, asgi_url: str) -> tuple[Any, Any, list[str]]:
    """duty_taihe's live console, connected to the stream; page errors are collected."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = asgi_url
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, "duty_taihe")
    page.goto(asgi_url + "/console/")
    page.wait_for_selector("#console[data-ready='1']")
    page.wait_for_function("window.jingwuLive.connected === true")
    return context, page, errors


def test_duty_officer_takes_a_call_on_the_map_and_dispatches_through_the_live_console(
    browser: Any, asgi_url: str
) -> None:
    context, page, errors = _open_console(browser, asgi_url)

    # Click the map where the caller is.
    page.evaluate(f"jingwuLive.map.setView([{SPOT[0]}, {SPOT[1]}], 18, {{animate: false}})")
    xy = page.evaluate(
        f"(() => {{ const p = jingwuLive.map.latLngToContainerPoint([{SPOT[0]}, {SPOT[1]}]); return [p.x, p.y]; }})()"
    )
    box = page.locator("#live-map").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    page.wait_for_function(
        "document.getElementById('pt-label').textContent.includes('东二环泰禾商圈智慧警务站')"
    )

    # Keyboard-first intake: type, Alt+1 for P1, address, Ctrl+Enter.
    page.select_option("#f-type", label="醉酒滋事")
    page.press("#f-type", "Alt+1")
    page.fill("#f-address", "泰禾广场酒吧街")
    page.fill("#f-desc", "醉汉辱罵路人")
    page.press("#f-desc", "Control+Enter")

    page.wait_for_selector("#recs li[data-unit-id]")
    assert page.locator("#detail-status").inner_text() == "待派警"
    first = page.locator("#recs li[data-unit-id]").first
    unit_id = str(first.get_attribute("data-unit-id"))
    assert "约" in first.inner_text()  # an ETA with its reasons
    assert _marker_status(page, unit_id) == "available"
    fill_before = page.locator(f"path.unit-marker[data-unit-id='{unit_id}']").get_attribute("fill")
    events_before = page.evaluate("jingwuLive.unitEvents")

    first.locator("button.assign").click()
    # The marker changes colour when the unit's event arrives on the live stream.
    page.wait_for_function(
        f"document.querySelector(\"path.unit-marker[data-unit-id='{unit_id}']\").dataset.status === 'dispatched'",
        timeout=5_000,
    )
    assert page.evaluate("jingwuLive.unitEvents") > events_before
    fill_after = page.locator(f"path.unit-marker[data-unit-id='{unit_id}']").get_attribute("fill")
    assert fill_after != fill_before and fill_after == "#ef6c00"
    page.wait_for_function("document.getElementById('detail-status').textContent === '已派警'")

    page.click("button[data-to=on_scene]")
    page.wait_for_function("document.getElementById('detail-status').textContent === '到达现场'")
    page.wait_for_function(
        f"document.querySelector(\"path.unit-marker[data-unit-id='{unit_id}']\").dataset.status === 'on_scene'",
        timeout=5_000,
    )
    page.click("button[data-to=resolved]")
    page.wait_for_function("document.getElementById('detail-status').textContent === '处置完毕'")
    page.select_option("#disp", label="现场处置")
    page.click("button[data-to=closed]")
    page.wait_for_function("document.getElementById('detail-status').textContent === '已结案'")
    timeline = page.locator("#timeline").inner_text()
    for words in ("接警", "派出", "到达现场", "已结案"):
        assert words in timeline
    shot = Path(__file__).parents[2] / "var" / "screenshots"
    shot.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot / "console.png"))
    assert not errors, errors
    context.close()


def test_the_duty_officer_reassigns_a_unit_from_the_console(browser: Any, asgi_url: str) -> None:
    import httpx

    from tests.conftest import DEMO_PASSWORD

    login = {"username": "duty_taihe", "password": DEMO_PASSWORD}
    token = httpx.post(asgi_url + "/api/v1/auth/token", json=login, timeout=30).json()["token"]
    call = {"lat": SPOT[0], "lon": SPOT[1], "type": "纠纷", "priority": "P3", "address": "改派测试"}
    inc = httpx.post(
        asgi_url + "/api/v1/incidents",
        json=call,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    context, page, errors = _open_console(browser, asgi_url)
    page.click(f"#queue li[data-id='{inc['id']}']")
    page.wait_for_selector("#recs li[data-unit-id]")
    first = page.locator("#recs li[data-unit-id]").first
    old = str(first.get_attribute("data-unit-id"))
    first.locator("button.assign").click()
    page.wait_for_selector("ul.asg button.reassign")

    page.click("ul.asg button.reassign")  # pick the assignment, then the unit that replaces it
    page.wait_for_selector("#reassign-hint")
    rec = page.locator("#recs li[data-unit-id]").first
    new = str(rec.get_attribute("data-unit-id"))
    assert new != old and "改派至此" in rec.locator("button.assign").inner_text()
    rec.locator("button.assign").click()
    page.wait_for_function(
        f"document.querySelector(\"path.unit-marker[data-unit-id='{new}']\").dataset.status === 'dispatched'",
        timeout=5_000,
    )
    page.wait_for_function(
        f"document.querySelector(\"path.unit-marker[data-unit-id='{old}']\").dataset.status !== 'dispatched'",
        timeout=5_000,
    )
    page.wait_for_selector("#reassign-hint", state="detached")
    assert page.locator("ul.asg button.reassign").count() == 1  # one active unit: the new one
    detail = httpx.get(
        f"{asgi_url}/api/v1/incidents/{inc['id']}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    active = [a["unit_id"] for a in detail["assignments"] if a["status"] == "active"]
    assert active == [int(new)]
    assert not errors, errors
    context.close()


def test_the_outsider_gets_an_empty_console(browser: Any, asgi_url: str) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.base_url = asgi_url
    log_in(page, "outsider")
    page.goto(asgi_url + "/console/")
    page.wait_for_selector("#console[data-ready='1']")
    assert page.locator("path.unit-marker").count() == 0
    assert page.locator("#queue li[data-id]").count() == 0
    context.close()
