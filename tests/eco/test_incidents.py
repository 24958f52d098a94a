"""Eco incidents inside a zone reach both chiefs; the day's fire risk raises a fire's priority."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jingwu.eco.models import FireRiskReading
from jingwu.eco.receivers import raised_priority

pytestmark = pytest.mark.django_db
GULING = (26.0862, 119.3961)  # inside the 鼓岭 eco zone
CHONGXIAN = (26.073, 119.353)  # in the district, outside every eco zone


def _call(api, user: str, point, type_: str, priority: str = "P3") -> dict:
    r = api(user).post(
        "/api/v1/incidents",
        {
            "lat": point[0],
            "lon": point[1],
            "type": type_,
            "priority": priority,
            "description": "护林员报告",
        },
    )
    assert r.status_code == 201, r.content
    return r.json()


@pytest.mark.parametrize(
    ("priority", "level", "expected"),
    [
        ("P3", 5, "P1"),
        ("P4", 4, "P1"),
        ("P3", 3, "P2"),
        ("P1", 3, "P1"),
        ("P4", 3, "P3"),
        ("P3", 2, "P3"),
        ("P3", 1, "P3"),
    ],
)
def test_raised_priority(priority, level, expected) -> None:
    assert raised_priority(priority, level) == expected


@pytest.mark.parametrize(
    "type_",
    [
        "盗伐林木",
        "illegal_logging",
        "poaching",
        "illegal_mining",
        "pollution",
        "land_occupation",
        "eco_damage",
    ],
)
def test_an_eco_incident_in_the_zone_reaches_both_chiefs(api, type_) -> None:
    inc = _call(api, "duty_taihe", GULING, type_)
    assert "晋安区林业局" in {s["name"] for s in inc["shared_with"]}
    for user in ("forest_chief_guling", "police_chief_guling"):
        r = api(user).get(f"/api/v1/incidents/{inc['id']}")
        assert r.status_code == 200, (user, r.content)
    assert inc["id"] in [
        i["id"] for i in api("forest_chief_guling").get("/api/v1/jointcmd/shared-incidents").json()
    ]
    timeline = api("police_chief_guling").get(f"/api/v1/incidents/{inc['id']}/timeline").json()
    assert any("生态区“鼓岭国家森林公园生态保护区”林长+警长" in e["text"] for e in timeline)


def test_an_eco_incident_outside_every_zone_is_not_routed_to_forestry(api) -> None:
    inc = _call(api, "commander_jinan", CHONGXIAN, "eco_damage")
    assert inc["shared_with"] == []
    assert api("forest_chief_guling").get(f"/api/v1/incidents/{inc['id']}").status_code == 404


def test_a_fire_in_the_zone_on_a_high_risk_day_becomes_p1(api) -> None:
    # The demo entered 四级 for today.
    inc = _call(api, "police_chief_guling", GULING, "fire", "P3")
    assert inc["priority"] == "P1"
    assert inc["target_s"] == 180
    timeline = api("forest_chief_guling").get(f"/api/v1/incidents/{inc['id']}/timeline").json()
    assert any("优先级由 P3 提升为 P1" in e["text"] for e in timeline)


def test_on_a_third_level_day_a_fire_goes_one_step_up(api) -> None:
    FireRiskReading.objects.filter(day=timezone.localdate()).update(level=3)
    assert _call(api, "police_chief_guling", GULING, "fire", "P3")["priority"] == "P2"
    FireRiskReading.objects.filter(day=timezone.localdate()).update(level=1)
    assert _call(api, "police_chief_guling", GULING, "fire", "P3")["priority"] == "P3"


def test_a_fire_outside_the_zones_keeps_its_priority(api) -> None:
    assert _call(api, "commander_jinan", CHONGXIAN, "fire", "P3")["priority"] == "P3"
