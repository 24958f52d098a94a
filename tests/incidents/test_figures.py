"""Response figures: intervals, share within target, this period against the last, exports."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jingwu.analytics import services
from jingwu.audit.models import AuditEntry
from jingwu.incidents.models import Incident
from jingwu.orgs.services import actor_for
from tests.incidents.conftest import make_incident

pytestmark = pytest.mark.django_db


def test_the_demo_history_shows_arrival_time_down_about_30_percent(api: Any) -> None:
    r = api("commander_jinan").get("/api/v1/analytics/response?by=workstation")
    assert r.status_code == 200, r.content
    fig = r.json()
    assert fig["total"]["count"] > 300 and fig["total"]["previous"]["count"] > 300
    assert -0.40 < fig["total"]["change"]["dispatch_to_arrival"] < -0.20
    assert {g["label"] for g in fig["groups"]} >= {"东二环泰禾商圈智慧警务站", "鼓岭生态警务站"}
    assert 0 < fig["total"]["within_target"] <= 1


def test_a_duty_officer_sees_the_figures_of_his_desk_only(api: Any) -> None:
    groups = api("duty_taihe").get("/api/v1/analytics/response").json()["groups"]
    assert [g["label"] for g in groups] == ["东二环泰禾商圈智慧警务站"]


def test_the_outsider_counts_nothing(api: Any) -> None:
    fig = api("outsider").get("/api/v1/analytics/response").json()
    assert fig["total"]["count"] == 0 and fig["groups"] == []


def _at(day: datetime, minutes: float) -> datetime:
    return day + timedelta(minutes=minutes)


def test_intervals_and_share_within_target_are_computed_per_group(commander_jinan: Any) -> None:
    day = timezone.make_aware(datetime(2021, 3, 2, 20, 0))
    for arrive_min, prio in ((2, "P1"), (4, "P1"), (10, "P3")):
        inc = make_incident(priority=prio, now=timezone.now())
        Incident.objects.filter(pk=inc.pk).update(
            received_at=day, dispatched_at=_at(day, 1), on_scene_at=_at(day, arrive_min),
            resolved_at=_at(day, arrive_min + 20), status="closed",
        )  # fmt: skip
    period = services.period_from(start=day.date(), end=day.date(), today=day.date())
    fig = services.response_figures(actor=actor_for(commander_jinan), period=period, by="priority")
    p1 = next(g for g in fig["groups"] if g["key"] == "P1")
    assert p1["count"] == 2
    assert p1["call_to_dispatch"]["mean_s"] == 60
    assert p1["call_to_arrival"]["mean_s"] == 180 and p1["call_to_arrival"]["median_s"] == 180
    assert p1["dispatch_to_arrival"]["mean_s"] == 120
    assert p1["on_scene_to_resolved"]["mean_s"] == 1200
    assert p1["within_target"] == 0.5  # 2 min made the 3-minute target, 4 min did not
    by_hour = services.response_figures(actor=actor_for(commander_jinan), period=period, by="hour")
    assert [g["key"] for g in by_hour["groups"]] == [20]  # Beijing time


def test_exports_as_csv_and_excel_are_audited(api: Any) -> None:
    client = api("commander_jinan")
    before = AuditEntry.objects.filter(action="export").count()
    csv = client.get("/api/v1/analytics/response.csv?by=priority")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8")
    assert text.startswith("\ufeff分组,区间,警情数") and "接警→到场" in text
    xlsx = client.get("/api/v1/analytics/response.xlsx?by=type")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A3"].value == "分组" and sheet["A4"].value == "合计"
    assert AuditEntry.objects.filter(action="export").count() == before + 2


@pytest.mark.parametrize(
    ("query", "loc"),
    [("by=team", ["by"]), ("format=pdf", None), ("start=2024-02-01&end=2024-01-01", ["from"])],
)
def test_bad_figure_queries_are_refused(api: Any, query: str, loc: list[str] | None) -> None:
    client = api("commander_jinan")
    if loc is None:
        r = client.get("/api/v1/analytics/response.pdf")
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["format"]
        return
    r = client.get(f"/api/v1/analytics/response?{query}")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == loc


def test_the_figures_page_renders(client: Any, commander_jinan: Any) -> None:
    client.force_login(commander_jinan)
    r = client.get("/figures/?by=workstation")
    assert r.status_code == 200
    assert (
        "出警响应数据" in r.content.decode()
        and 'data-metric="call_to_arrival"' in r.content.decode()
    )
