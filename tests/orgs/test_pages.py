"""Log-in page, idle expiry and the home page per role."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_logs_in_and_shows_the_home_page(demo: None) -> None:
    c = Client()
    r = c.post("/login/", {"username": "duty_taihe", "password": DEMO_PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/"
    home = c.get("/")
    text = home.content.decode()
    assert "东二环泰禾商圈智慧警务站 · 值班民警" in text
    assert "/map/" in text


def test_login_page_shows_the_error_next_to_the_form(demo: None) -> None:
    r = Client().post("/login/", {"username": "duty_taihe", "password": "bad-password"})
    assert r.status_code == 400
    assert "用户名或密码不正确。" in r.content.decode()


def test_pages_need_a_login(demo: None) -> None:
    r = Client().get("/map/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_sessions_expire_after_30_idle_minutes() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_outsider_home_has_no_jinan_map_link_content(demo: None) -> None:
    c = Client()
    c.post("/login/", {"username": "outsider", "password": DEMO_PASSWORD})
    text = c.get("/").content.decode()
    assert "鼓东派出所 · 民警" in text
    assert "晋安" not in text


def test_healthz() -> None:
    r = Client().get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_api_docs_and_schema_are_served(demo: None) -> None:
    c = Client()
    assert c.get("/api/v1/openapi.json").status_code == 200
    assert "/api/v1/areas/locate" in c.get("/api/v1/openapi.json").json()["paths"]
    assert c.get("/api/v1/docs").status_code == 200


def test_admin_is_in_chinese(demo: None) -> None:
    c = Client()
    c.post("/login/", {"username": "admin_jinan", "password": DEMO_PASSWORD})
    r = c.get("/admin/orgs/organization/")
    assert r.status_code == 200
    assert "单位" in r.content.decode() and "晋安" in r.content.decode()
