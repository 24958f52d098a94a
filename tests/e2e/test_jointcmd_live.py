"""In a real browser, over a real ASGI server: the duty officer of the railway station's joint
command centre takes a call at the station and the railway police officer watching the joint
console sees it appear live (Server-Sent Events), shared by the station's rule; the outsider
cannot open it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]
STATION = (26.1138, 119.3168)  # the railway station's square, inside the joint area
SHOTS = Path(__file__).parents[2] / "var" / "screenshots"

CREATE = """async ([lat, lon, type, priority]) => {
  const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
  const r = await fetch('/api/v1/incidents', {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
    body: JSON.stringify({lat, lon, type, priority, description: '旅客报警：背包被盗'})});
  return [r.status, await r.json()];
}"""
GET = """async (url) => { const r = await fetch(url, {credentials: 'same-origin'}); return r.status; }"""


@pytest.fixture(scope="module")
def asgi_url(tmp_path_factory: Any, django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """``jingwu serve`` in its own process on a copy of the demo-loaded test database."""
    from tests.conftest import _ensure_demo
    from tests.incidents.servers import Server, server_database

    tmp = tmp_path_factory.mktemp("jointcmd")
    with django_db_blocker.unblock():
        _ensure_demo()
        with server_database(tmp) as env:
            server = Server(env, tmp / "server.log")
            try:
                yield server.url
            finally:
                server.stop()


def open_as(browser: Any, url: str, username: str, path: str) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = url
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.js_errors = errors
    log_in(page, username)
    page.goto(url + path)
    return page


def test_a_call_at_the_station_appears_live_on_the_railway_police_console(
    browser: Any, asgi_url: str
) -> None:
    police = open_as(browser, asgi_url, "railway_police", "/jointcmd/")
    police.wait_for_selector("#live-status[data-live='1']")
    police.wait_for_selector("#shared-incidents[data-ready='1']")
    before = police.locator("#shared-incidents li.incident").count()

    duty = open_as(browser, asgi_url, "duty_railway", "/jointcmd/")
    status, incident = duty.evaluate(CREATE, [STATION[0], STATION[1], "theft", "P3"])
    assert status == 201, incident
    assert "福州站铁路公安派出所（示意）" in [s["name"] for s in incident["shared_with"]]

    # No reload: the stream tells the console, the console refetches its list.
    row = police.locator(f"#shared-incidents li.incident[data-id='{incident['id']}']")
    row.wait_for(timeout=10_000)
    assert incident["number"] in row.inner_text() and "盗窃" in row.inner_text()
    assert police.locator("#shared-incidents li.incident").count() == before + 1
    assert police.locator(".leaflet-interactive").count() > 0
    assert police.evaluate(GET, f"/api/v1/incidents/{incident['id']}") == 200
    SHOTS.mkdir(parents=True, exist_ok=True)
    police.screenshot(path=str(SHOTS / "jointcmd-console.png"))

    outsider = open_as(browser, asgi_url, "outsider", "/")
    assert outsider.evaluate(GET, f"/api/v1/incidents/{incident['id']}") == 404
    assert police.js_errors == [] and duty.js_errors == []


def test_the_roster_board_flags_the_empty_shift_and_the_handover_is_acknowledged(
    browser: Any, asgi_url: str
) -> None:
    duty = open_as(browser, asgi_url, "duty_railway", "/jointcmd/roster/")
    duty.locator("a", has_text="下一周").click()
    duty.wait_for_selector("#roster-issues")
    assert "无人在岗" in duty.locator("#roster-issues").inner_text()
    assert duty.locator(".shift.flagged").count() >= 1
    duty.goto(asgi_url + "/jointcmd/handovers/")
    duty.fill("#notes", "浏览器测试：交班平稳")
    duty.fill("#tasks", "南广场护栏待修")
    duty.click("#handover-form button[type=submit]")
    duty.wait_for_selector(".handover-sheet")
    assert "南广场护栏待修" in duty.inner_text(".handover-sheet")
    SHOTS.mkdir(parents=True, exist_ok=True)
    duty.screenshot(path=str(SHOTS / "jointcmd-handover.png"), full_page=True)
    url = duty.url
    police = open_as(browser, asgi_url, "railway_police", url.replace(asgi_url, ""))
    assert police.locator(".handover-sheet").count() == 0  # not a railway-police desk: 404
    chief = open_as(browser, asgi_url, "commander_jinan", url.replace(asgi_url, ""))
    chief.click("#acknowledge")
    chief.wait_for_selector("#ack-state")
    assert "张伟" in chief.inner_text("#ack-state")
    assert chief.locator("#acknowledge").count() == 0


PICK_TARGET = """([number, org]) => {
  const opt = [...document.querySelectorAll('#give-task select[name=target] option')]
    .find((o) => o.textContent.includes(number) && o.textContent.includes(org));
  return opt ? opt.value : null;
}"""


def test_a_task_given_by_the_desk_is_accepted_live_by_the_railway_police(
    browser: Any, asgi_url: str
) -> None:
    police = open_as(browser, asgi_url, "railway_police", "/jointcmd/")
    police.wait_for_selector("#live-status[data-live='1']")
    police.wait_for_selector("#tasks[data-ready='1']")

    duty = open_as(browser, asgi_url, "duty_railway", "/jointcmd/")
    duty.wait_for_selector("#live-status[data-live='1']")
    status, incident = duty.evaluate(CREATE, [STATION[0], STATION[1], "theft", "P2"])
    assert status == 201, incident
    # The new incident becomes a task target on the desk's panel without a reload.
    target = duty.wait_for_function(
        PICK_TARGET, arg=[incident["number"], "铁路公安"], timeout=10_000
    ).json_value()
    duty.select_option("#give-task select[name=target]", value=target)
    duty.fill("#give-task input[name=text]", "封控南广场出口")
    duty.click("#give-task button[type=submit]")
    duty.locator("#task-list li.task[data-status='given']", has_text="封控南广场出口").wait_for()

    # The desk watches the incident's timeline on the live console.
    desk = open_as(browser, asgi_url, "duty_railway", "/console/")
    desk.wait_for_selector("#console[data-ready='1']")
    desk.click(f"#queue li[data-id='{incident['id']}']")
    desk.wait_for_function(
        "(document.getElementById('timeline') || {}).textContent?.includes('下达联勤任务')"
    )

    # The railway police see the task arrive live and accept it.
    row = police.locator("#task-list li.task[data-status='given']", has_text="封控南广场出口")
    row.wait_for(timeout=10_000)
    assert incident["number"] in row.inner_text()
    row.locator("button.accept-task").click()
    police.locator(
        "#task-list li.task[data-status='accepted']", has_text="封控南广场出口"
    ).wait_for()

    # The acceptance reaches the desk live: on its timeline and on its task panel.
    desk.wait_for_function(
        "document.getElementById('timeline').textContent.includes('接受联勤任务：封控南广场出口')",
        timeout=10_000,
    )
    duty.locator("#task-list li.task[data-status='accepted']", has_text="封控南广场出口").wait_for(
        timeout=10_000
    )

    # The railway police send one of their own units, then call it back from the same panel.
    police.select_option("#send-unit select[name=incident_id]", value=str(incident["id"]))
    police.click("#send-unit button[type=submit]")
    sent = police.locator("#release-unit select[name=assignment_id] option").filter(
        has_text=incident["number"]
    )
    sent.wait_for(state="attached")
    unit_name = sent.inner_text().split("·")[-1].strip()
    desk.wait_for_function(
        "(name) => document.getElementById('timeline').textContent.includes('派出 ' + name)",
        arg=unit_name,
        timeout=10_000,
    )
    police.select_option(
        "#release-unit select[name=assignment_id]", value=sent.get_attribute("value")
    )
    police.fill("#release-unit input[name=reason]", "另有警情")
    police.click("#release-unit button[type=submit]")
    sent.wait_for(state="detached")
    desk.wait_for_function(
        "(name) => document.getElementById('timeline').textContent.includes("
        "'撤回 ' + name + '：另有警情')",
        arg=unit_name,
        timeout=10_000,
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    police.screenshot(path=str(SHOTS / "jointcmd-tasks.png"))
    assert police.js_errors == [] and duty.js_errors == [] and desk.js_errors == []
