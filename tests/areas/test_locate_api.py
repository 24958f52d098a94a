"""Locating points in the tiers through the API, and who sees which areas."""

from __future__ import annotations

import pytest

from jingwu.engine.geo import wgs84_to_gcj02

pytestmark = pytest.mark.django_db

POSTS = [
    (26.099, 119.336, "东二环泰禾商圈智慧警务站", "岳峰派出所"),
    (26.113, 119.317, "火车站派出所路地联勤指挥中心", "火车站派出所"),
    (26.072, 119.352, "鼓山崇贤智慧警务站", "鼓山派出所"),
    (26.160, 119.300, "新店龙头警务站", "新店派出所"),
    (26.085, 119.395, "鼓岭生态警务站", "宦溪派出所"),
]


@pytest.mark.parametrize(("lat", "lon", "workstation", "station"), POSTS)
def test_each_post_resolves_to_its_own_workstation_and_station(
    api, lat, lon, workstation, station
) -> None:
    r = api("duty_taihe").get(f"/api/v1/areas/locate?lat={lat}&lon={lon}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["workstation"]["name"] == workstation
    assert body["station"]["name"] == station
    assert body["police_room"]["name"].endswith("警务室")
    assert "网格" in body["grid"]["name"]


def test_gcj02_input_is_converted_before_locating(api) -> None:
    glat, glon = wgs84_to_gcj02(26.099, 119.336)
    wgs = api("duty_taihe").get("/api/v1/areas/locate?lat=26.099&lon=119.336").json()
    gcj = api("duty_taihe").get(f"/api/v1/areas/locate?lat={glat}&lon={glon}&crs=gcj02").json()
    assert gcj == wgs


def test_a_point_outside_the_branch_gets_422_saying_so(api) -> None:
    r = api("duty_taihe").get("/api/v1/areas/locate?lat=26.08&lon=119.20")
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "invalid", "msg": "该位置不在本分局辖区内。", "loc": ["lat"]}
    ]


def test_the_message_is_english_with_accept_language_en(api) -> None:
    r = api("duty_taihe", language="en").get("/api/v1/areas/locate?lat=26.08&lon=119.20")
    assert r.json()["detail"][0]["msg"] == "The location is outside this branch's jurisdiction."


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lat=abc&lon=119.3", "lat"),
        ("lat=26.1&lon=nan", "lon"),
        ("lat=95&lon=119.3", "lat"),
        ("lat=26.1&lon=119.3&crs=bd09", "crs"),
    ],
)
def test_bad_coordinates_get_a_field_error(api, query: str, field: str) -> None:
    r = api("duty_taihe").get(f"/api/v1/areas/locate?{query}")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == [field]


def test_the_outsider_cannot_locate_in_this_district(api) -> None:
    r = api("outsider").get("/api/v1/areas/locate?lat=26.099&lon=119.336")
    assert r.status_code == 422


def test_the_outsider_sees_no_area_of_the_district(api) -> None:
    outsider, duty = api("outsider"), api("duty_taihe")
    assert outsider.get("/api/v1/areas/geojson").json()["features"] == []
    some = duty.get("/api/v1/areas/geojson?level=workstation").json()["features"][0]
    assert duty.get(f"/api/v1/areas/{some['properties']['id']}").status_code == 200
    assert outsider.get(f"/api/v1/areas/{some['properties']['id']}").status_code == 404


def test_a_partner_director_sees_the_map_of_the_district(api) -> None:
    fc = api("property_chongxian").get("/api/v1/areas/geojson?level=workstation").json()
    names = {f["properties"]["name"] for f in fc["features"]}
    assert len(names) == 5 and "鼓山崇贤智慧警务站" in names


def test_unknown_level_is_refused(api) -> None:
    r = api("duty_taihe").get("/api/v1/areas/geojson?level=province")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["level"]


def test_a_denied_read_by_id_is_audited(api) -> None:
    from jingwu.areas.models import Area
    from jingwu.audit.models import AuditEntry

    area = Area.objects.get(code="ws-taihe")
    before = AuditEntry.objects.filter(action="denied", object_type="area").count()
    assert api("outsider").get(f"/api/v1/areas/{area.pk}").status_code == 404
    row = AuditEntry.objects.filter(action="denied", object_type="area").order_by("-id").first()
    assert AuditEntry.objects.filter(action="denied", object_type="area").count() == before + 1
    assert row.username == "outsider" and row.object_id == str(area.pk)


def test_a_renamed_area_is_seen_at_once_when_saved_and_within_fresh_s_otherwise(
    api, monkeypatch
) -> None:
    """The index is trusted for ``FRESH_S`` seconds: an area saved in this process is seen
    by the next locate; one changed behind the ORM's back (another process, a bulk update)
    once the index is older than that."""
    from jingwu import caching
    from jingwu.areas.models import Area

    url = "/api/v1/areas/locate?lat=26.099&lon=119.336"
    name = api("duty_taihe").get(url).json()["workstation"]["name"]
    area = Area.objects.get(name=name)
    area.name = name + "（新）"
    area.save()  # this process: seen at once
    assert api("duty_taihe").get(url).json()["workstation"]["name"] == name + "（新）"
    Area.objects.filter(pk=area.pk).update(name=name + "（再改）")  # no signal, as elsewhere
    assert api("duty_taihe").get(url).json()["workstation"]["name"] == name + "（新）"
    # ``update()`` leaves updated_at alone: touch it, as another process's save would.
    Area.objects.filter(pk=area.pk).update(updated_at=area.updated_at.replace(year=2099))
    clock = [caching.clock()]
    monkeypatch.setattr(caching, "clock", lambda: clock[0])
    assert api("duty_taihe").get(url).json()["workstation"]["name"] == name + "（新）"
    clock[0] += caching.FRESH_S + 0.1
    assert api("duty_taihe").get(url).json()["workstation"]["name"] == name + "（再改）"
