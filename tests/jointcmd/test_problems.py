"""Joint problem-solving: recurring incidents proposed, registered with an owner and
co-owners, worked through SARA with actions and due dates, assessed before against after."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jingwu.incidents.models import Incident
from jingwu.jointcmd.models import Problem

pytestmark = pytest.mark.django_db
URL = "/api/v1/jointcmd/problems"
SPOT = (26.1158, 119.3163)  # the north square's exit


def _theft(api, dn_m: float = 0.0, days_ago: float = 0.0, user: str = "duty_railway") -> int:
    r = api(user).post(
        "/api/v1/incidents",
        {"lat": SPOT[0] + dn_m / 111_195, "lon": SPOT[1], "type": "theft", "priority": "P3"},
    )
    assert r.status_code == 201, r.content
    Incident.objects.filter(pk=r.json()["id"]).update(
        received_at=timezone.now() - timedelta(days=days_ago)
    )
    return r.json()["id"]


def test_recurring_thefts_are_proposed_and_registered(api) -> None:
    ids = [_theft(api, dn, days) for dn, days in [(0, 1), (20, 3), (40, 6), (10, 9)]]
    proposals = api("duty_railway").get(f"{URL}/proposals").json()
    mine = next(p for p in proposals if set(ids) <= set(p["incident_ids"]))
    assert mine["kind"] == "theft" and mine["kind_label"] == "盗窃" and mine["count"] >= 4
    r = api("duty_railway").post(
        URL,
        {
            "title": "北广场出站口扒窃",
            "owner": "ws-railway",
            "co_owners": ["railway-police-fuzhou", "security-railway-station"],
            "incident_ids": mine["incident_ids"],
        },
    )
    assert r.status_code == 201, r.content
    problem = r.json()
    assert problem["stage"] == "scanning" and problem["assessment"] is None
    assert {o["code"] for o in problem["co_owners"]} == {
        "railway-police-fuzhou",
        "security-railway-station",
    }
    # Once registered, its incidents are no longer proposed.
    again = api("duty_railway").get(f"{URL}/proposals").json()
    assert not any(set(ids) & set(p["incident_ids"]) for p in again)


def test_sara_with_actions_and_an_assessment(api) -> None:
    before = [_theft(api, dn, days) for dn, days in [(0, 40), (15, 35), (30, 30), (5, 25)]]
    client = api("duty_railway")
    p = client.post(
        URL,
        {
            "title": "北广场扒窃",
            "owner": "ws-railway",
            "co_owners": ["railway-police-fuzhou"],
            "incident_ids": before,
        },
    ).json()
    for stage in ("analysis", "response"):
        r = client.post(f"{URL}/{p['id']}/stage", {"to": stage, "analysis": "出站高峰人流密集"})
        assert r.status_code == 200, r.content
    Problem.objects.filter(pk=p["id"]).update(
        response_started_at=timezone.now() - timedelta(days=20)
    )
    _theft(api, 10, 5)  # one after the response
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    a = api("railway_police").post(
        f"{URL}/{p['id']}/actions",
        {"text": "出站高峰增派便衣", "owner": "railway-police-fuzhou", "due_date": due},
    )
    assert a.status_code == 201, a.content
    done = api("railway_police").post(f"{URL}/{p['id']}/actions/{a.json()['id']}/done")
    assert done.status_code == 200 and done.json()["done_at"]
    again = api("railway_police").post(f"{URL}/{p['id']}/actions/{a.json()['id']}/done")
    assert again.status_code == 404
    detail = client.get(f"{URL}/{p['id']}").json()
    assessment = detail["assessment"]
    assert assessment["before"] >= 4 and assessment["after"] >= 1
    assert assessment["after_per_30d"] < assessment["before_per_30d"] * 10
    assert detail["analysis"] == "出站高峰人流密集"
    bad = client.post(f"{URL}/{p['id']}/stage", {"to": "scanning"})
    assert bad.status_code == 409 and bad.json()["detail"][0]["type"] == "invalid_transition"


def test_problems_are_need_to_know_and_bad_input_is_refused(api) -> None:
    ids = [_theft(api, dn, d) for dn, d in [(0, 2), (10, 3), (20, 4)]]
    p = (
        api("duty_railway")
        .post(URL, {"title": "x", "owner": "ws-railway", "incident_ids": ids})
        .json()
    )
    for user in ("security_railway", "outsider", "duty_taihe"):
        assert api(user).get(f"{URL}/{p['id']}").status_code == 404, user
    cases = [
        ({"owner": "no-such"}, ["owner"]),
        ({"co_owners": ["no-such"]}, ["co_owners", 0]),
        ({"incident_ids": []}, ["incident_ids"]),
        ({"incident_ids": [99999999]}, ["incident_ids"]),
        ({"title": " "}, ["title"]),
    ]
    for change, loc in cases:
        body = {"title": "y", "owner": "ws-railway", "incident_ids": ids} | change
        r = api("duty_railway").post(URL, body)
        assert r.status_code == 422, (change, r.content)
        assert r.json()["detail"][0]["loc"] == loc
    r = api("duty_railway").get(f"{URL}/proposals?radius_m=5")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["radius_m"]
    r = api("railway_police").post(URL, {"title": "y", "owner": "ws-railway", "incident_ids": ids})
    assert r.status_code == 403
