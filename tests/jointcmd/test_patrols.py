"""Joint patrols through the API: check-ins by GPS geofence and by QR code, their refusals,
tracks with deviations, missed checkpoints, weekly coverage, and the printable QR sheet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from jingwu.jointcmd.models import CheckIn, PatrolPlan
from jingwu.jointcmd.services.patrols import QR_SALT, qr_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(demo) -> PatrolPlan:
    return PatrolPlan.objects.get(name="火车站片区联防巡逻")


@pytest.fixture
def eco_plan(demo) -> PatrolPlan:
    return PatrolPlan.objects.get(name="鼓岭生态巡护线")


def _url(plan: PatrolPlan) -> str:
    return f"/api/v1/patrols/{plan.pk}/checkins"


def _north(m: float) -> float:
    return m / 111_195


def test_a_gps_check_in_inside_the_geofence_is_recorded(api, plan) -> None:
    cp = plan.checkpoints.get(seq=1)
    r = api("railway_police").post(
        _url(plan), {"checkpoint_id": cp.pk, "lat": cp.lat + _north(30), "lon": cp.lon}
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["method"] == "gps" and body["checkpoint"] == "北广场出站口"
    assert body["distance_m"] == pytest.approx(30, abs=0.5)
    assert body["by"] == "郭振华"


def test_a_gps_check_in_outside_the_geofence_gets_422_and_writes_nothing(api, plan) -> None:
    cp = plan.checkpoints.get(seq=1)
    before = CheckIn.objects.count()
    r = api("railway_police").post(
        _url(plan), {"checkpoint_id": cp.pk, "lat": cp.lat + _north(120), "lon": cp.lon}
    )
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "type": "invalid",
            "msg": "当前位置距“北广场出站口”120 米，超出 50 米签到范围。",
            "loc": ["lat"],
        }
    ]
    assert CheckIn.objects.count() == before


def test_gcj02_positions_are_converted_before_the_geofence_check(api, plan) -> None:
    from jingwu.engine.geo import wgs84_to_gcj02

    cp = plan.checkpoints.get(seq=2)
    glat, glon = wgs84_to_gcj02(cp.lat, cp.lon)
    r = api("railway_police").post(
        _url(plan), {"checkpoint_id": cp.pk, "lat": glat, "lon": glon, "crs": "gcj02"}
    )
    assert r.status_code == 201, r.content
    assert r.json()["distance_m"] < 1


@pytest.mark.parametrize("minutes", [-30, 15])
def test_a_check_in_with_a_time_far_from_now_gets_422(api, plan, minutes) -> None:
    cp = plan.checkpoints.get(seq=1)
    t = timezone.now() + timedelta(minutes=minutes)
    r = api("railway_police").post(
        _url(plan), {"checkpoint_id": cp.pk, "lat": cp.lat, "lon": cp.lon, "time": t.isoformat()}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0] == {
        "type": "invalid",
        "msg": "签到时间与当前时间相差过大。",
        "loc": ["time"],
    }


def test_a_qr_check_in_then_a_second_one_is_a_conflict(api, plan) -> None:
    cp = plan.checkpoints.get(seq=3)
    client = api("security_railway")
    r = client.post(_url(plan), {"qr_token": qr_token(cp)})
    assert r.status_code == 201, r.content
    assert r.json()["method"] == "qr" and r.json()["checkpoint_id"] == cp.pk
    again = client.post(_url(plan), {"qr_token": qr_token(cp)})
    assert again.status_code == 409
    assert again.json()["detail"][0]["msg"] == "本次巡逻已在“站前路口”签到。"


def test_a_forged_qr_token_gets_403_and_is_audited(api, plan) -> None:
    from jingwu.audit.models import AuditEntry

    cp = plan.checkpoints.get(seq=1)
    forged = signing.dumps({"p": plan.pk, "c": cp.pk}, salt=QR_SALT, key="not-our-secret")
    before = CheckIn.objects.count()
    r = api("railway_police").post(_url(plan), {"qr_token": forged})
    assert r.status_code == 403
    assert r.json()["detail"] == [
        {"type": "forbidden", "msg": "二维码无效：签名校验失败。", "loc": ["qr_token"]}
    ]
    tampered = qr_token(cp)[:-2] + "xx"
    assert api("railway_police").post(_url(plan), {"qr_token": tampered}).status_code == 403
    assert CheckIn.objects.count() == before
    assert AuditEntry.objects.filter(
        action="denied", object_id__contains=f"/patrols/{plan.pk}"
    ).exists()


def test_a_foreign_qr_token_from_another_plan_gets_403(api, plan, eco_plan) -> None:
    foreign = qr_token(eco_plan.checkpoints.first())
    r = api("railway_police").post(_url(plan), {"qr_token": foreign})
    assert r.status_code == 403
    assert r.json()["detail"][0]["msg"] == "二维码不属于该巡逻计划。"


def test_people_outside_the_plan_cannot_check_in(api, plan) -> None:
    cp = plan.checkpoints.get(seq=1)
    body = {"qr_token": qr_token(cp)}
    r = api("outsider").post(_url(plan), body)
    assert r.status_code == 404  # the outsider does not learn the plan exists
    assert r.json()["detail"][0]["msg"] == "巡逻计划不存在。"
    r = api("commander_jinan").post(_url(plan), body)  # sees it, but is not on the team
    assert r.status_code == 403
    assert r.json()["detail"][0]["msg"] == "您不是该巡逻计划的队员，不能签到。"


def test_a_gps_check_in_naming_another_plans_checkpoint_is_refused(api, plan, eco_plan) -> None:
    cp = eco_plan.checkpoints.first()
    r = api("railway_police").post(
        _url(plan), {"checkpoint_id": cp.pk, "lat": cp.lat, "lon": cp.lon}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["checkpoint_id"]
    r = api("railway_police").post(_url(plan), {"checkpoint_id": cp.pk})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["lat"]


def test_the_demo_week_shows_missed_checkpoints_and_a_deviation(api, plan) -> None:
    client = api("duty_railway")
    reports = []
    for d in range(1, 7):
        day = (timezone.localdate() - timedelta(days=d)).isoformat()
        r = client.get(f"/api/v1/patrols/{plan.pk}/report?day={day}")
        assert r.status_code == 200, r.content
        reports += r.json()
    statuses = [r["status"] for r in reports]
    assert "done" in statuses and "incomplete" in statuses and "not_started" in statuses
    incomplete = next(r for r in reports if r["status"] == "incomplete")
    assert [m["name"] for m in incomplete["missed"]] == ["地铁站出入口"]
    assert any(r["deviations"] for r in reports)
    dev = next(d for r in reports for d in r["deviations"])
    assert dev["max_distance_m"] > plan.tolerance_m


def test_a_reported_track_off_the_route_is_a_deviation(api, plan) -> None:
    client = api("railway_police")
    now = timezone.now()
    lon, lat = plan.route["coordinates"][2]
    points = [
        {"lat": lat, "lon": lon, "time": (now - timedelta(minutes=3)).isoformat()},
        {"lat": lat + _north(400), "lon": lon, "time": (now - timedelta(minutes=2)).isoformat()},
        {"lat": lat, "lon": lon, "time": (now - timedelta(minutes=1)).isoformat()},
    ]
    r = client.post(f"/api/v1/patrols/{plan.pk}/track", {"points": points})
    assert r.status_code == 201 and r.json() == {"stored": 3}
    day = timezone.localdate(now - timedelta(minutes=3)).isoformat()
    report = client.get(f"/api/v1/patrols/{plan.pk}/report?day={day}").json()
    devs = [d for run in report for d in run["deviations"]]
    assert any(d["max_distance_m"] > plan.tolerance_m and d["points"] == 1 for d in devs)
    bad = client.post(f"/api/v1/patrols/{plan.pk}/track", {"points": [points[0] | {"lat": 95}]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["points", 0, "lat"]


def test_weekly_coverage_per_beat(api) -> None:
    three_days_ago = timezone.localdate() - timedelta(days=3)  # the demo patrolled that day
    monday = three_days_ago - timedelta(days=three_days_ago.weekday())
    r = api("commander_jinan").get(f"/api/v1/patrols/coverage?week={monday.isoformat()}")
    assert r.status_code == 200
    rows = {c["beat"]: c for c in r.json()}
    assert set(rows) == {"站前路巡区", "鼓岭生态巡护线"}
    station = rows["站前路巡区"]
    assert station["runs"] >= 1 and station["scheduled_visits"] == 5 * station["runs"]
    assert 0 < station["visits"] <= station["scheduled_visits"]
    assert station["missed"] == station["scheduled_visits"] - station["visits"]
    assert station["ratio"] == round(station["visits"] / station["scheduled_visits"], 3)
    assert api("railway_police").get("/api/v1/patrols/coverage").json()[0]["beat"] == "站前路巡区"
    assert api("outsider").get("/api/v1/patrols/coverage").json() == []


def test_the_qr_sheet_is_a_pdf_for_the_plans_staff_only(api, plan) -> None:
    r = api("duty_railway").get(f"/api/v1/patrols/{plan.pk}/qr-sheet.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and b"STSong-Light" in r.content
    denied = api("railway_police").get(f"/api/v1/patrols/{plan.pk}/qr-sheet.pdf")
    assert denied.status_code == 403


@pytest.fixture
def road_graph(monkeypatch):
    """The generated demo street network, whatever graph file the data directory holds."""
    from jingwu.demo.district import outline
    from jingwu.engine.roads import generate_demo_network
    from jingwu.units import roadgraph

    graph = generate_demo_network(
        {"type": "Polygon", "coordinates": [list(outline().exterior.coords)]}
    )
    monkeypatch.setattr(roadgraph, "get_graph", lambda: graph)
    return graph


def test_a_plan_is_created_with_a_road_route_and_a_mixed_team(api, road_graph) -> None:
    from jingwu.orgs.models import Person

    body = {
        "name": "夜间联防巡逻",
        "owner": "ws-railway",
        "partners": ["railway-police-fuzhou"],
        "checkpoints": [
            {"name": "北广场", "lat": 26.1153, "lon": 119.3166},
            {"name": "公交枢纽", "lat": 26.1168, "lon": 119.3196},
        ],
        "weekdays": [4, 5],
        "start_time": "21:00",
        "team": [{"person_id": Person.objects.get(badge="TL2002").pk}],
        "joint_area": "jc-railway",
        "loop": True,
    }
    r = api("duty_railway").post("/api/v1/patrols", body)
    assert r.status_code == 201, r.content
    plan = r.json()
    assert plan["route_legs"] == ["road", "road"]
    assert plan["route"]["type"] == "LineString" and plan["length_m"] > 300
    assert [m["organization"] for m in plan["team"]] == ["福州站铁路公安派出所（示意）"]
    assert plan["partners"][0]["code"] == "railway-police-fuzhou"


@pytest.mark.parametrize(
    ("change", "loc", "msg"),
    [
        ({"partners": ["no-such-org"]}, ["partners", 0], "单位不存在：no-such-org"),
        (
            {"checkpoints": [{"name": "x", "lat": 26.1, "lon": 119.3}]},
            ["checkpoints"],
            "巡逻计划至少需要两个巡逻点。",
        ),
        ({"weekdays": [7]}, ["weekdays"], "巡逻日须为 0（周一）至 6（周日）。"),
        (
            {
                "checkpoints": [
                    {"name": "a", "lat": 26.08, "lon": 119.20},
                    {"name": "b", "lat": 26.1, "lon": 119.3},
                ]
            },
            ["checkpoints", 0, "lat"],
            "该位置不在本分局辖区内。",
        ),
    ],
)
def test_bad_plans_are_refused_with_a_field_error(api, change, loc, msg) -> None:
    body = {
        "name": "测试巡逻",
        "owner": "ws-railway",
        "checkpoints": [
            {"name": "a", "lat": 26.1153, "lon": 119.3166},
            {"name": "b", "lat": 26.1168, "lon": 119.3196},
        ],
        "weekdays": [1],
        "start_time": "10:00",
    } | change
    before = PatrolPlan.objects.count()
    r = api("duty_railway").post("/api/v1/patrols", body)
    assert r.status_code == 422, r.content
    assert r.json()["detail"][0]["loc"] == loc and r.json()["detail"][0]["msg"] == msg
    assert PatrolPlan.objects.count() == before


def test_plans_are_need_to_know(api, plan, eco_plan) -> None:
    assert {p["name"] for p in api("railway_police").get("/api/v1/patrols").json()} == {plan.name}
    assert api("outsider").get("/api/v1/patrols").json() == []
    assert api("railway_police").get(f"/api/v1/patrols/{eco_plan.pk}").status_code == 404
    detail = api("duty_railway").get(f"/api/v1/patrols/{plan.pk}").json()
    assert "qr_token" not in str(detail)


def test_the_geofence_refusal_is_in_english_when_asked(api, plan) -> None:
    cp = plan.checkpoints.get(seq=1)
    r = api("railway_police", language="en").post(
        _url(plan), {"checkpoint_id": cp.pk, "lat": cp.lat + _north(120), "lon": cp.lon}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"] == (
        "You are 120 m from “北广场出站口”, outside its 50 m check-in radius."
    )
