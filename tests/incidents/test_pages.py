"""Pages: the dispatch panel on the home page and the live console shell."""

from __future__ import annotations

from typing import Any

import pytest

from tests.incidents.conftest import make_incident

pytestmark = pytest.mark.django_db


def test_the_duty_officer_home_page_shows_the_waiting_calls(client: Any, duty_taihe: Any) -> None:
    make_incident()
    client.force_login(duty_taihe)
    html = client.get("/").content.decode()
    assert "接处警" in html and 'href="/console/"' in html
    assert "待派警 1 起" in html or "待派警" in html


def test_a_partner_gets_no_dispatch_panel(client: Any, property_chongxian: Any) -> None:
    client.force_login(property_chongxian)
    assert "打开指挥台" not in client.get("/").content.decode()


def test_the_console_page_carries_its_configuration(client: Any, commander_jinan: Any) -> None:
    client.force_login(commander_jinan)
    r = client.get("/console/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="console-config"' in html and "醉酒滋事" in html
    assert html.count('<option value="') >= 5 + 12  # every workstation to filter by, every type


def test_the_console_needs_a_log_in(client: Any) -> None:
    r = client.get("/console/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
