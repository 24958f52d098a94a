"""In a real browser: a citizen books a 居住证 slot on a phone; clerk_longtou checks the booking
in and calls it (the waiting-room screen announces it), accepts the case and moves it to
ready; the citizen's lookup then shows ready; the clerk opens the 15-minute circle map.

The server's clock is moved to 08:00 on the next working day (an offset, so it still runs):
slots, check-in and due dates depend on the day, and the test must not depend on when it runs.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).parents[2] / "var" / "screenshots"


def _next_working_morning() -> datetime:
    from jingwu.counter.services.calendar import day_info
    from jingwu.counter.services.catalogue import LOCAL

    day = timezone.localtime(timezone.now(), LOCAL).date() + timedelta(days=1)
    while not day_info(day).is_workday:
        day += timedelta(days=1)
    return datetime.combine(day, time(8, 0), tzinfo=LOCAL)


@pytest.fixture
def morning(monkeypatch: pytest.MonkeyPatch) -> datetime:
    real_now = timezone.now
    target = _next_working_morning()
    offset = target - real_now()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + offset)
    return target


def _phone(browser: Any, base_url: str) -> Any:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.base_url = base_url
    return pg


def test_book_check_in_call_accept_ready_and_look_up(
    page: Any, browser: Any, morning: datetime
) -> None:
    from jingwu.counter.models import ServicePoint, Window

    hall = ServicePoint.objects.get(organization__code="ws-longtou", kind="hall")
    window = Window.objects.get(service_point=hall, number=2)
    SHOTS.mkdir(parents=True, exist_ok=True)

    # The citizen, on a phone, without an account.
    citizen = _phone(browser, page.base_url)
    citizen.goto(citizen.base_url + "/counter/book/")
    citizen.select_option("#ws", str(hall.pk))
    citizen.select_option("#service", "residence_permit")
    citizen.fill("#date", morning.date().isoformat())
    citizen.click("#search button[type=submit]")
    citizen.locator("#booking input[name=slot_id]:not([disabled])").first.check()
    citizen.fill("#name", "林秀英")
    citizen.fill("#id_number", "35011119900307102X")
    citizen.fill("#phone", "13805912345")
    citizen.screenshot(path=str(SHOTS / "counter-book-phone.png"), full_page=True)
    citizen.click("#submit-booking")
    citizen.wait_for_url(re.compile(r".*/counter/book/done/\?code=.*"))
    code = citizen.locator("#booking-code").inner_text().strip()
    assert "林**" in citizen.content()

    # The clerk at window 2.
    log_in(page, "clerk_longtou")
    page.goto(f"{page.base_url}/counter/desk/?window={window.pk}")
    page.locator(f"#bookings button[data-code='{code}']").click()
    assert "已签到，排队号 Y001" in page.locator(".messages").inner_text()
    page.click("#call-next")
    assert "Y001" in page.locator("#current").inner_text()
    # The waiting-room screen announces it.
    screen = page.context.new_page()
    screen.set_viewport_size({"width": 1920, "height": 1080})
    screen.goto(f"{page.base_url}/counter/display/{hall.pk}/")
    assert screen.locator(".call").count() == 3
    assert "请 Y001 号到 2 号窗口" in screen.locator(".calls").inner_text()
    screen.screenshot(path=str(SHOTS / "counter-display.png"))
    screen.close()
    assert page.locator("#accept-form input[name=name]").input_value() == "林秀英"
    page.click("#accept")
    accepted = page.locator(".messages").inner_text()
    number = re.search(r"业务编号 (LT\d{12})", accepted).group(1)  # type: ignore[union-attr]
    row = page.locator(f"#my-cases tr[data-number='{number}']")
    row.locator("select[name=stage]").select_option("ready")
    row.locator("button").click()
    assert f"办件 {number}：已办结待领取" in page.locator(".messages").inner_text()
    page.screenshot(path=str(SHOTS / "counter-desk.png"), full_page=True)

    # The citizen looks the case up with its number and the ID number's last four.
    citizen.goto(citizen.base_url + "/counter/status/")
    citizen.fill("#number", number)
    citizen.fill("#id_last4", "102x")
    citizen.click("#status-form button[type=submit]")
    assert citizen.locator("#stage").inner_text() == "已办结待领取"
    citizen.screenshot(path=str(SHOTS / "counter-status-phone.png"), full_page=True)
    citizen.context.close()

    # The 15-minute service circle on the map: grids coloured, circles drawn, shares stated.
    page.goto(page.base_url + "/counter/circle/")
    page.wait_for_selector("#circle-map[data-ready='1']")
    assert page.locator("#circle-map path.leaflet-interactive").count() >= 60 + 5
    assert "个网格在步行15分钟内" in page.locator("#circle-summary").inner_text()
    page.screenshot(path=str(SHOTS / "counter-circle.png"))
