"""Figures from the demo's year 2025: the article's counts, times, utilisation, the export."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook

from jingwu.audit.models import AuditEntry
from jingwu.counter.models import ServicePoint

pytestmark = pytest.mark.django_db
Api = Callable[..., Any]
YEAR = "start=2025-01-01&end=2025-12-31"


def test_the_articles_yearly_figures_come_out_of_the_data(api: Api, longtou: ServicePoint) -> None:
    r = api("clerk_longtou").get(f"/api/v1/counter/figures?workstation_id={longtou.pk}&{YEAR}")
    assert r.status_code == 200
    by_service = {row["service"]: row["cases"] for row in r.json()["by_service"]}
    assert by_service["居住证申领"] == 1194
    assert by_service["户籍地址变更"] == 1377
    assert by_service["出入境签注（往来港澳台）"] == 5401


def test_times_utilisation_and_on_time(api: Api, longtou: ServicePoint) -> None:
    body = (
        api("commander_jinan")
        .get(f"/api/v1/counter/figures?workstation_id={longtou.pk}&{YEAR}")
        .json()
    )
    assert sum(w["cases"] for w in body["by_window"]) == body["total_cases"]
    assert sum(m["cases"] for m in body["by_month"]) == body["total_cases"]
    for h in body["hours"]:
        assert h["wait_p50"] <= h["wait_p90"] and h["service_p50"] <= h["service_p90"]
    assert {w["window"] for w in body["windows"]} == {
        "1号窗口（户籍·证明）",
        "2号窗口（居住证·签注）",
        "3号窗口（身份证·签注）",
    }
    for w in body["windows"]:
        assert 0 < w["utilisation"] < 1
    rates = [o["rate"] for o in body["on_time"] if o["rate"] is not None]
    assert rates and all(0.9 < r <= 1.0 for r in rates)


def test_figures_are_need_to_know(api: Api, longtou: ServicePoint) -> None:
    r = api("outsider").get(f"/api/v1/counter/figures?workstation_id={longtou.pk}&{YEAR}")
    assert (r.status_code, r.json()["detail"][0]["type"]) == (404, "not_found")
    assert api("outsider").get(f"/api/v1/counter/figures?{YEAR}").json()["total_cases"] == 0
    r = api("clerk_longtou").get(f"/api/v1/counter/figures?{YEAR}&start=2025-12-31&end=2025-01-01")
    assert r.status_code == 200 or r.json()["detail"][0]["loc"] == ["end"]


def test_a_reversed_period_is_refused(api: Api) -> None:
    r = api("clerk_longtou").get("/api/v1/counter/figures?start=2025-12-31&end=2025-01-01")
    assert r.status_code == 422
    assert r.json()["detail"][0] == {
        "type": "invalid",
        "msg": "结束日期不能早于开始日期。",
        "loc": ["end"],
    }


def test_excel_export_with_chinese_headers(api: Api, longtou: ServicePoint) -> None:
    before = AuditEntry.objects.filter(action="export", object_type="figures").count()
    r = api("clerk_longtou").get(f"/api/v1/counter/figures.xlsx?workstation_id={longtou.pk}&{YEAR}")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[:3] == ["按事项", "按窗口", "按月份"]
    rows = list(wb["按事项"].values)
    assert rows[0] == ("服务点", "事项", "办件数")
    assert ("新店龙头警务站便民服务区", "居住证申领", 1194) in rows
    assert list(wb["窗口利用率"].values)[0][-1] == "利用率"
    assert AuditEntry.objects.filter(action="export", object_type="figures").count() == before + 1


def test_hourly_capacity_from_history(api: Api, longtou: ServicePoint) -> None:
    r = api("clerk_longtou").get(
        f"/api/v1/counter/capacity/hourly?workstation_id={longtou.pk}&{YEAR}"
    )
    assert r.status_code == 200
    body = r.json()
    assert body["working_days"] > 240
    busiest = max(body["hours"], key=lambda h: h["arrivals_per_hour"])
    assert busiest["hour"] in (9, 10, 15) and busiest["windows_needed"] >= 2
    for h in body["hours"]:
        if h["arrivals_per_hour"]:
            assert h["service_level"] >= 0.8
