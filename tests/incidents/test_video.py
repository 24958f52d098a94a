"""Cameras near an incident and along a route; the lost-person search area; video-patrol tasks."""

from __future__ import annotations

from typing import Any

import pytest
from shapely.geometry import shape

from jingwu.orgs.models import Person
from tests.incidents.conftest import make_incident, unit

pytestmark = pytest.mark.django_db


def test_cameras_near_the_incident_nearest_first(api: Any) -> None:
    inc = make_incident()
    r = api("duty_taihe").get(f"/api/v1/incidents/{inc.pk}/cameras?radius_m=400")
    assert r.status_code == 200
    d = [c["distance_m"] for c in r.json()]
    assert d and d == sorted(d) and d[-1] <= 400
    bad = api("duty_taihe").get(f"/api/v1/incidents/{inc.pk}/cameras?radius_m=99999")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["radius_m"]


def test_cameras_along_a_units_route_in_the_order_passed(api: Any) -> None:
    inc = make_incident(lat=26.1128, lon=119.3172)  # the railway station square
    car = unit("TAIHE-C1")
    r = api("commander_jinan").get(
        f"/api/v1/incidents/{inc.pk}/cameras?unit_id={car.pk}&width_m=80"
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["route"]["geometry"]["type"] == "LineString"
    along = [c["along_m"] for c in body["cameras"]]
    assert along == sorted(along)
    assert all(c["distance_m"] <= 80 for c in body["cameras"])
    assert body["cameras"], "cameras of the station square lie on the way in"


def test_the_lost_person_search_area_grows_with_time(api: Any) -> None:
    inc = make_incident(type="走失", lat=26.0992, lon=119.3366)
    client = api("duty_taihe")
    small = client.get(f"/api/v1/incidents/{inc.pk}/search-area?elapsed_s=180").json()
    large = client.get(f"/api/v1/incidents/{inc.pk}/search-area?elapsed_s=900").json()
    a_small, a_large = shape(small["area"]["geometry"]), shape(large["area"]["geometry"])
    assert a_large.area > 3 * a_small.area
    assert a_small.difference(a_large).area < 0.01 * a_small.area  # it grows, it does not move
    assert small["estimated"] is False and small["elapsed_s"] == 180
    walk = [c["walk_s"] for c in large["cameras"]]
    assert walk == sorted(walk) and len(large["cameras"]) > len(small["cameras"]) > 0
    assert {c["code"] for c in small["cameras"]} <= {c["code"] for c in large["cameras"]}


def test_the_last_seen_point_moves_the_search(api: Any) -> None:
    inc = make_incident(type="走失", lat=26.0992, lon=119.3366)
    client = api("duty_taihe")
    r = client.post(f"/api/v1/incidents/{inc.pk}/last-seen", {"lat": 26.1128, "lon": 119.3172})
    assert r.status_code == 200 and r.json()["last_seen"]["lat"] == 26.1128
    area = client.get(f"/api/v1/incidents/{inc.pk}/search-area?elapsed_s=300").json()
    assert area["cameras"] and all(c["code"].startswith("CAM-HC") for c in area["cameras"][:3])
    far = client.post(f"/api/v1/incidents/{inc.pk}/last-seen", {"lat": 27.5, "lon": 119.3})
    assert far.status_code == 422


def test_a_video_patrol_task_and_its_result_land_on_the_timeline(api: Any) -> None:
    inc = make_incident(type="走失", lat=26.0992, lon=119.3366)
    client = api("duty_taihe")
    people = client.get(f"/api/v1/incidents/{inc.pk}/video-patrollers").json()
    operator = next(p for p in people if p["name"] == "吴晓燕")
    cams = client.get(f"/api/v1/incidents/{inc.pk}/cameras?radius_m=300").json()[:3]
    r = client.post(
        f"/api/v1/incidents/{inc.pk}/video-tasks",
        {
            "assignee_id": operator["id"],
            "camera_ids": [c["id"] for c in cams],
            "instructions": "回看北门",
        },
    )
    assert r.status_code == 201, r.content
    task = r.json()["id"]
    done = client.post(
        f"/api/v1/incidents/{inc.pk}/video-tasks/{task}/result",
        {"result": "北门画面发现孩子", "found": True},
    )
    assert done.status_code == 200 and done.json()["found"] is True
    again = client.post(
        f"/api/v1/incidents/{inc.pk}/video-tasks/{task}/result", {"result": "再报", "found": True}
    )
    assert again.status_code == 422
    texts = [e["text"] for e in client.get(f"/api/v1/incidents/{inc.pk}/timeline").json()]
    assert any(t.startswith("视频巡查任务交给 吴晓燕") for t in texts)
    assert any("发现目标" in t and "北门画面发现孩子" in t for t in texts)


def test_a_task_for_someone_outside_the_station_is_refused(api: Any) -> None:
    inc = make_incident(type="走失")
    stranger = Person.objects.get(user__username="outsider")
    r = api("duty_taihe").post(
        f"/api/v1/incidents/{inc.pk}/video-tasks", {"assignee_id": stranger.pk, "camera_ids": []}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0] == {
        "type": "invalid",
        "msg": "巡查人不在本所警力名单中。",
        "loc": ["assignee_id"],
    }
