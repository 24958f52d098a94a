"""A joint case moves between forestry and police with both sides on its timeline."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
CASES = "/api/v1/eco/cases"


def _zone(api) -> int:
    return api("forest_chief_guling").get("/api/v1/eco/zones").json()[0]["id"]


def test_a_case_moves_from_forestry_to_police_and_back(api) -> None:
    forest, police = api("forest_chief_guling"), api("police_chief_guling")
    r = forest.post(
        CASES,
        {
            "zone_id": _zone(api),
            "title": "宜夏村溪流疑似排污",
            "kind": "pollution",
            "text": "群众反映溪水发黑",
        },
    )
    assert r.status_code == 201, r.content
    case = r.json()
    assert case["holder"]["name"] == "晋安区林业局" and case["kind_label"] == "污染环境"
    cid = case["id"]
    r = police.post(f"{CASES}/{cid}/transfer", {"text": "想越权移交"})
    assert r.status_code == 403 and r.json()["detail"][0]["msg"] == "只有承办一方可以移交案件。"
    r = forest.post(f"{CASES}/{cid}/transfer", {"text": "取样结果超标，移交公安"})
    assert r.status_code == 200 and r.json()["holder"]["name"] == "鼓岭生态警务站"
    r = police.post(f"{CASES}/{cid}/notes", {"text": "已查明排污企业"})
    assert r.status_code == 200
    r = police.post(f"{CASES}/{cid}/transfer", {"text": "移交林业部门做生态修复"})
    assert r.json()["holder"]["name"] == "晋安区林业局"
    r = forest.post(f"{CASES}/{cid}/close", {"text": "完成补植复绿"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    again = forest.post(f"{CASES}/{cid}/close", {"text": ""})
    assert again.status_code == 409 and again.json()["detail"][0]["type"] == "invalid_transition"
    for client in (forest, police):
        timeline = client.get(f"{CASES}/{cid}").json()["timeline"]
        assert [(e["kind"], e["organization"]) for e in timeline] == [
            ("opened", "晋安区林业局"),
            ("transferred", "晋安区林业局"),
            ("note", "鼓岭生态警务站"),
            ("transferred", "鼓岭生态警务站"),
            ("closed", "晋安区林业局"),
        ]
        assert timeline[2]["by"] == "黄志明"


def test_cases_are_need_to_know_and_bad_input_is_refused(api) -> None:
    cid = api("forest_chief_guling").get(CASES).json()[0]["id"]
    for user in ("outsider", "railway_police", "duty_taihe"):
        r = api(user).get(f"{CASES}/{cid}")
        assert r.status_code == 404 and r.json()["detail"][0]["msg"] == "案件不存在。"
    r = api("forest_chief_guling").post(
        CASES, {"zone_id": _zone(api), "title": "x", "kind": "arson"}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["kind"]
    r = api("forest_chief_guling").post(
        CASES, {"zone_id": _zone(api), "title": " ", "kind": "poaching"}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["title"]
    r = api("outsider").post(CASES, {"zone_id": _zone(api), "title": "x", "kind": "poaching"})
    assert r.status_code == 404
