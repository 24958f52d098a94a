"""Units API: who sees which units, position reports, statuses and shifts, tiers, cameras."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jingwu.units.models import PositionReport, Shift, Unit, UnitStatus

pytestmark = pytest.mark.django_db


def _unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def test_the_duty_officer_sees_about_forty_units_of_all_five_tiers(api: Any) -> None:
    r = api("duty_taihe").get("/api/v1/units")
    assert r.status_code == 200
    units = r.json()
    assert 36 <= len(units) <= 44
    assert {u["tier"] for u in units} == {1, 2, 3, 4, 5}
    assert {u["mode"] for u in units} == {"car", "ebike", "foot"}
    by_ws = {u["workstation"] for u in units}
    assert len(by_ws) == 5
    on_duty = [u for u in units if u["on_duty"]]
    assert all(
        u["status"] in ("available", "dispatched", "en_route", "on_scene", "returning")
        for u in on_duty
    )
    assert any(not u["on_duty"] and u["status"] == "off_duty" for u in units)


def test_the_tiers_are_configuration_with_the_five_default_names(api: Any) -> None:
    r = api("duty_taihe").get("/api/v1/units/tiers")
    assert r.status_code == 200
    assert [t["name"] for t in r.json()] == [
        "巡逻警车",
        "警务站民警",
        "辅警巡逻",
        "物业保安",
        "平安志愿者",
    ]


def test_the_outsider_sees_no_unit_of_the_district(api: Any) -> None:
    client = api("outsider")
    assert client.get("/api/v1/units").json() == []
    r = client.get(f"/api/v1/units/{_unit('TAIHE-C1').pk}")
    assert r.status_code == 404
    assert r.json()["detail"][0]["msg"] == "巡防力量不存在。"


def test_a_property_director_sees_only_the_guards_of_her_company(api: Any) -> None:
    units = api("property_chongxian").get("/api/v1/units").json()
    assert {u["code"] for u in units} == {"CHONGXIAN-S1", "CHONGXIAN-S2"}


def test_a_position_report_moves_the_unit(api: Any) -> None:
    unit = _unit("TAIHE-E1")
    r = api("duty_taihe").post(
        f"/api/v1/units/{unit.pk}/positions", {"lat": 26.1001, "lon": 119.3372, "accuracy": 6}
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["lat"], body["lon"], body["stale"]) == (26.1001, 119.3372, False)
    assert PositionReport.objects.filter(unit=unit).count() == 1


def test_a_gcj02_position_is_stored_as_wgs84(api: Any) -> None:
    unit = _unit("TAIHE-E1")
    r = api("duty_taihe").post(
        f"/api/v1/units/{unit.pk}/positions", {"lat": 26.0970, "lon": 119.3410, "crs": "gcj02"}
    )
    assert r.status_code == 201
    assert abs(r.json()["lat"] - 26.0970) > 1e-4  # shifted by the GCJ-02 offset (a few hundred m)


def test_a_position_with_a_time_in_the_future_is_refused_and_nothing_is_written(api: Any) -> None:
    unit = _unit("TAIHE-E1")
    before = (unit.last_lat, unit.last_lon)
    future = (timezone.now() + timedelta(minutes=5)).isoformat()
    r = api("duty_taihe").post(
        f"/api/v1/units/{unit.pk}/positions", {"lat": 26.1, "lon": 119.33, "time": future}
    )
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "invalid", "msg": "定位时间晚于服务器当前时间，请检查设备时钟。", "loc": ["time"]}
    ]
    unit.refresh_from_db()
    assert (unit.last_lat, unit.last_lon) == before
    assert not PositionReport.objects.filter(unit=unit).exists()


@pytest.mark.parametrize(
    ("body", "loc", "msg"),
    [
        ({"lat": "abc", "lon": 119.33}, ["lat"], "坐标必须是数字。"),
        ({"lat": 95, "lon": 119.33}, ["lat"], "坐标超出范围。"),
        (
            {"lat": 26.1, "lon": 119.33, "crs": "bd09"},
            ["crs"],
            "未知的坐标系：bd09（可选 wgs84、gcj02）",
        ),
        (
            {"lat": 26.1, "lon": 119.33, "accuracy": -3},
            ["accuracy"],
            "精度必须在 0 到 10000 米之间。",
        ),
    ],
)
def test_bad_position_reports_get_a_field_error(
    api: Any, body: dict[str, Any], loc: list[str], msg: str
) -> None:
    unit = _unit("TAIHE-E1")
    r = api("duty_taihe").post(f"/api/v1/units/{unit.pk}/positions", body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == loc
    assert r.json()["detail"][0]["msg"] == msg
    assert not PositionReport.objects.filter(unit=unit).exists()


def test_an_older_fix_does_not_overwrite_a_newer_one(api: Any) -> None:
    unit = _unit("TAIHE-E2")
    client = api("duty_taihe")
    now = timezone.now()
    client.post(
        f"/api/v1/units/{unit.pk}/positions",
        {"lat": 26.101, "lon": 119.337, "time": now.isoformat()},
    )
    late = (now - timedelta(seconds=30)).isoformat()
    r = client.post(
        f"/api/v1/units/{unit.pk}/positions", {"lat": 26.095, "lon": 119.330, "time": late}
    )
    assert r.status_code == 201
    assert (r.json()["lat"], r.json()["lon"]) == (26.101, 119.337)


def test_a_position_older_than_two_minutes_is_shown_as_stale(api: Any) -> None:
    unit = _unit("TAIHE-A1")
    Unit.objects.filter(pk=unit.pk).update(last_fix_at=timezone.now() - timedelta(minutes=3))
    body = api("duty_taihe").get(f"/api/v1/units/{unit.pk}").json()
    assert body["stale"] is True and body["fix_age_s"] >= 180


def test_signing_off_and_on_follows_the_shift(api: Any) -> None:
    unit = _unit("TAIHE-A2")
    client = api("duty_taihe")
    r = client.post(f"/api/v1/units/{unit.pk}/status", {"to": "off_duty"})
    assert r.status_code == 200 and r.json()["status"] == "off_duty"
    assert (
        client.post(f"/api/v1/units/{unit.pk}/status", {"to": "available"}).json()["status"]
        == "available"
    )
    Shift.objects.filter(unit=unit).delete()
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.OFF_DUTY)
    r = client.post(f"/api/v1/units/{unit.pk}/status", {"to": "available"})
    assert r.status_code == 409
    assert r.json()["detail"][0]["msg"] == "当前不在班次内，不能上线。"


def test_a_unit_cannot_declare_itself_on_a_call(api: Any) -> None:
    unit = _unit("TAIHE-A2")
    r = api("duty_taihe").post(f"/api/v1/units/{unit.pk}/status", {"to": "on_scene"})
    assert r.status_code == 409
    assert r.json()["detail"][0]["type"] == "invalid_transition"


def test_a_shift_must_end_after_it_starts(api: Any) -> None:
    unit = _unit("TAIHE-A2")
    now = timezone.now()
    client = api("duty_taihe")
    bad = client.post(
        f"/api/v1/units/{unit.pk}/shifts",
        {"starts_at": now.isoformat(), "ends_at": (now - timedelta(hours=1)).isoformat()},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0] == {
        "type": "invalid",
        "msg": "班次结束时间必须晚于开始时间。",
        "loc": ["ends_at"],
    }
    ok = client.post(
        f"/api/v1/units/{unit.pk}/shifts",
        {"starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=8)).isoformat()},
    )
    assert ok.status_code == 201
    assert any(
        s["id"] == ok.json()["id"] for s in client.get(f"/api/v1/units/{unit.pk}/shifts").json()
    )


def test_cameras_near_a_point_come_nearest_first_within_the_radius(api: Any) -> None:
    r = api("duty_taihe").get("/api/v1/cameras/near?lat=26.099&lon=119.336&radius_m=300")
    assert r.status_code == 200
    cams = r.json()
    assert cams, "the demo has cameras around 泰禾广场"
    dists = [c["distance_m"] for c in cams]
    assert dists == sorted(dists) and dists[-1] <= 300
    assert {"code", "owner", "sees", "direction_deg"} <= set(cams[0])


def test_the_outsider_finds_no_camera(api: Any) -> None:
    assert (
        api("outsider").get("/api/v1/cameras/near?lat=26.099&lon=119.336&radius_m=800").json() == []
    )


def test_the_streets_of_the_road_graph_are_served_as_lines(api: Any) -> None:
    fc = api("duty_taihe").get("/api/v1/units/streets").json()
    assert fc["type"] == "FeatureCollection"
    assert {f["properties"]["class"] for f in fc["features"]} >= {"arterial", "local"}
    assert fc["properties"]["illustrative"] is True
