"""In a real browser: the property director posts a lead from her phone, the grid police chief
sees it appear live (Server-Sent Events) and promotes it, both follow the case to its
agreement, and the outsider gets 404 for the case's address."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.http import StreamingHttpResponse

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
LEAD = "11号楼顶楼住户反映雨后屋面渗水，怀疑楼上加建阳光房所致，双方在楼道争吵"
SHOTS = Path(__file__).parents[2] / "var" / "screenshots"


@pytest.fixture
def streaming(monkeypatch: Any) -> Iterator[None]:
    """Two changes to the test's transport only (the pages, views and event hub are the
    production ones):

    - Django's live server speaks WSGI, which would buffer the async SSE stream until it ends
      (never). Serve it as the ASGI server does, chunk by chunk, by driving the async iterator
      on a private event loop per response.
    - On SQLite the live server shares the test's one in-memory connection between its request
      threads; handle one request at a time (a long-lived stream is outside the lock once its
      headers are out), as a single worker would.
    """
    original = StreamingHttpResponse.__iter__
    handle = WSGIHandler.__call__
    one_at_a_time = threading.Lock()

    def serialised(self: WSGIHandler, environ: Any, start_response: Any) -> Any:
        with one_at_a_time:
            return handle(self, environ, start_response)

    def chunked(self: StreamingHttpResponse) -> Any:
        if not self.is_async:
            return original(self)
        stream, loop = self._iterator, asyncio.new_event_loop()

        def pump() -> Iterator[bytes]:
            try:
                while True:
                    try:
                        chunk = loop.run_until_complete(stream.__anext__())
                    except StopAsyncIteration:
                        return
                    yield self.make_bytes(chunk)
            finally:
                loop.run_until_complete(stream.aclose())
                loop.close()

        return pump()

    monkeypatch.setattr(StreamingHttpResponse, "__iter__", chunked)
    monkeypatch.setattr(WSGIHandler, "__call__", serialised)
    yield


def _context(page: Any, **kw: Any) -> Any:
    ctx = page.context.browser.new_context(locale="zh-CN", **kw)
    p = ctx.new_page()
    p.set_default_timeout(15_000)
    p.base_url = page.base_url
    return p


def test_a_lead_goes_live_to_the_board_and_on_to_an_agreement(page: Any, streaming: None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    chief = page  # desktop
    log_in(chief, "chief_chongxian")
    chief.goto(chief.base_url + "/disputes/")
    chief.wait_for_selector("#lead-list[data-live='1']")
    chief.evaluate("window.__notReloaded = true")

    phone = _context(page, viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(phone, "property_chongxian")
    phone.goto(phone.base_url + "/disputes/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.fill("#lead-text", LEAD)
    phone.fill("#lead-address", "崇贤某小区11号楼")
    phone.select_option("#lead-source", "resident")
    phone.screenshot(path=str(SHOTS / "disputes-board-phone.png"), full_page=True)
    phone.click("#post-lead-submit")
    phone.wait_for_url(re.compile(r".*/disputes/\?group=\d+&posted=\d+"))

    # The chief's board shows it without a reload: the event arrived over SSE, htmx refetched.
    lead = chief.locator("article.lead", has_text=LEAD)
    lead.wait_for()
    assert chief.evaluate("window.__notReloaded") is True
    lead.locator("select[name=type]").select_option("neighbour")
    lead.locator("button.promote").click()
    chief.wait_for_url(re.compile(r".*/disputes/cases/\d+/$"))
    case_url = chief.url
    assert "11号楼顶楼住户" in chief.inner_text("#case-title") or LEAD[:20] in chief.inner_text(
        "main"
    )

    # The property director follows the case on her phone while the chief works it.
    phone.goto(case_url)
    phone.wait_for_selector("#case-header[data-live='1']")
    for stage in ("screening", "mediating"):
        chief.click(f"button[data-to='{stage}']")
        chief.wait_for_selector(f"#case-stage[data-code='{stage}']")
    chief.click("#entry summary")
    chief.select_option("#entry-kind", "site_inspection")
    chief.fill("#entry-text", "会同物业查看11号楼屋面，阳光房排水沟堵塞")
    chief.click("#entry button[type=submit]")
    chief.wait_for_selector("text=阳光房排水沟堵塞")
    # Live on the phone: the timeline refetches when the case changes.
    phone.wait_for_selector("text=阳光房排水沟堵塞")

    chief.click("#party summary")
    chief.fill("#party-name", "顶楼住户陈女士")
    chief.click("#party button[type=submit]")
    chief.click("button[data-to='settled']")
    chief.wait_for_selector("#case-stage[data-code='settled']")
    chief.click("#agreement summary")
    chief.fill("#ag-terms", "阳光房业主三日内疏通排水沟\n物业负责屋面防水修补")
    chief.fill("#ag-perf", "一周内完成，社区验收")
    chief.click("#agreement-submit")
    chief.wait_for_selector("#agreement-pdf")

    phone.goto(case_url)
    phone.wait_for_selector("#agreement-pdf")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    pdf = phone.request.get(phone.base_url + phone.get_attribute("#agreement-pdf", "href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    docx = phone.request.get(phone.base_url + phone.get_attribute("#agreement-docx", "href"))
    assert docx.status == 200 and docx.body().startswith(b"PK")
    phone.screenshot(path=str(SHOTS / "disputes-case-phone.png"), full_page=True)
    chief.screenshot(path=str(SHOTS / "disputes-case.png"), full_page=True)

    outsider = _context(page, viewport={"width": 1280, "height": 860})
    log_in(outsider, "outsider")
    response = outsider.goto(case_url)
    assert response is not None and response.status == 404
    body = outsider.inner_text("main")
    assert "11号楼" not in body and "页面不存在" in body
    phone.context.close()
    outsider.context.close()
