"""Eco zones: both chiefs and today's fire risk, the season rule, entering a level, need to know."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from jingwu.eco.models import FireRiskReading
from jingwu.eco.services import holiday_name, season_level

pytestmark = pytest.mark.django_db
ZONES = "/api/v1/eco/zones"


@pytest.mark.parametrize(
    ("day", "holiday", "level"),
    [
        (date(2026, 7, 15), None, 1),  # typhoon and plum-rain season: low
        (date(2026, 5, 20), None, 2),
        (date(2026, 11, 20), None, 3),  # dry autumn, in the fire-prevention season
        (date(2026, 4, 5), "Tomb-sweeping Day", 4),  # tomb sweeping on the hills
        (date(2026, 2, 17), "Spring Festival", 4),
        (date(2026, 10, 1), "National Day", 4),
        (date(2026, 5, 1), "Labour Day", 2),  # not a hill holiday
    ],
)
def test_the_season_rule(day, holiday, level) -> None:
    assert season_level(day, holiday) == level


def test_holidays_come_from_the_official_calendar() -> None:
    assert holiday_name(date(2026, 10, 2)) == "National Day"
    assert holiday_name(date(2026, 11, 25)) is None
    assert holiday_name(date(2090, 1, 1)) is None  # beyond the library's data: no holiday


def test_the_zone_lists_both_chiefs_and_todays_entered_level(api) -> None:
    for user in ("forest_chief_guling", "police_chief_guling", "commander_jinan"):
        r = api(user).get(ZONES)
        assert r.status_code == 200, r.content
        (zone,) = r.json()
        assert zone["name"] == "鼓岭国家森林公园生态保护区"
        assert zone["forest_chief"]["name"] == "陈林生"
        assert zone["forest_chief"]["organization"]["name"] == "晋安区林业局"
        assert zone["police_chief"]["name"] == "黄志明"
        assert zone["police_chief"]["organization"]["name"] == "鼓岭生态警务站"
        assert zone["fire_risk"] == {
            "day": timezone.localdate().isoformat(),
            "level": 4,
            "label": "四级 高度危险",
            "source": "entered",
            "note": "福州市森林火险气象等级预报",
        }
        assert zone["geometry"]["type"] == "Polygon"


def test_without_an_entry_the_season_rule_gives_todays_level(api) -> None:
    FireRiskReading.objects.filter(day=timezone.localdate()).delete()
    (zone,) = api("forest_chief_guling").get(ZONES).json()
    today = timezone.localdate()
    assert zone["fire_risk"]["source"] == "season"
    assert zone["fire_risk"]["level"] == season_level(today, holiday_name(today))


@pytest.mark.parametrize("user", ["outsider", "lawyer_jinan", "railway_police", "duty_taihe"])
def test_others_see_no_zone(api, user) -> None:
    assert api(user).get(ZONES).json() == []


def test_a_chief_enters_the_level_and_others_may_not(api) -> None:
    zone_id = api("forest_chief_guling").get(ZONES).json()[0]["id"]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    r = api("forest_chief_guling").post(
        f"{ZONES}/{zone_id}/fire-risk", {"level": 5, "day": tomorrow, "note": "大风橙色预警"}
    )
    assert r.status_code == 201, r.content
    assert r.json()["level"] == 5 and r.json()["source"] == "entered"
    history = api("police_chief_guling").get(f"{ZONES}/{zone_id}/fire-risk?end={tomorrow}").json()
    assert history[-1] == r.json() and len(history) == 15
    r = api("outsider").post(f"{ZONES}/{zone_id}/fire-risk", {"level": 2})
    assert r.status_code == 404 and r.json()["detail"][0]["msg"] == "生态区不存在。"


@pytest.mark.parametrize(
    ("body", "loc", "msg"),
    [
        ({"level": 6}, ["level"], "火险等级须为 1 至 5。"),
        ({"level": 0}, ["level"], "火险等级须为 1 至 5。"),
        ({"level": "high"}, ["level"], "请输入整数。"),
        ({"level": 3, "day": "2020-01-01"}, ["day"], "只能录入前后 7 天内的火险等级。"),
    ],
)
def test_bad_levels_are_refused(api, body, loc, msg) -> None:
    zone_id = api("forest_chief_guling").get(ZONES).json()[0]["id"]
    before = FireRiskReading.objects.count()
    r = api("forest_chief_guling").post(f"{ZONES}/{zone_id}/fire-risk", body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == loc and r.json()["detail"][0]["msg"] == msg
    assert FireRiskReading.objects.count() == before


def test_the_zone_page_data_has_its_patrol_route_and_cases(api) -> None:
    zone_id = api("police_chief_guling").get(ZONES).json()[0]["id"]
    z = api("police_chief_guling").get(f"{ZONES}/{zone_id}").json()
    assert [p["name"] for p in z["patrols"]] == ["鼓岭生态巡护线"]
    assert len(z["patrols"][0]["checkpoints"]) == 5
    assert z["cases"][0]["title"] == "柳杉王公园北侧疑似盗伐林木"
