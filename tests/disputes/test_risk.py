"""Early warning: readable rules, the score and level, the alert on 可能激化, rising cases."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from jingwu import events
from jingwu.disputes.models import Case, Risk, RiskAssessment
from jingwu.disputes.services import risk
from tests.disputes.conftest import point_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(monkeypatch: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(
        events,
        "publish",
        lambda kind, *, audiences, **data: seen.append(
            {"type": kind, "audiences": list(audiences), **data}
        ),
    )
    return seen


def test_levels_and_rules() -> None:
    assert [risk.level_for(s) for s in (0, 19, 20, 44, 45, 69, 70, 200)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
        "escalating",
        "escalating",
    ]
    assert (
        risk.higher("high", "low") == "high" and risk.higher("medium", "escalating") == "escalating"
    )
    assert {r.code for r in risk.RULES} == {
        "repeat_address",
        "violence_words",
        "threat_words",
        "self_harm_words",
        "incident_110",
        "party_open_cases",
        "stage_days",
    }


def test_the_demo_wage_dispute_is_flagged_may_escalate_with_its_reasons(api: Any) -> None:
    wages = Case.objects.get(title="工地欠薪纠纷")
    assert wages.risk == Risk.ESCALATING and wages.risk_score >= 70
    assert {r["rule"] for r in wages.risk_reasons} == {
        "threat_words",
        "self_harm_words",
        "incident_110",
    }
    assert wages.entries.filter(kind="risk").exists()
    r = api("commander_jinan").get(f"/api/v1/disputes/cases/{wages.pk}/risk").json()
    assert r["score"] == wages.risk_score
    assert any(line.startswith("文字中有自伤、轻生字眼（跳楼）") for line in r["reasons"])
    rules = api().get("/api/v1/disputes/risk/rules").json()
    assert len(rules["rules"]) == 7
    assert rules["levels"][0] == {"min_score": 70, "level": "escalating", "label": "可能激化"}


def test_partners_see_the_level_but_not_the_reasons(api: Any, water_leak: Case) -> None:
    Case.objects.filter(pk=water_leak.pk).update(
        risk_score=30, risk_reasons=[{"rule": "repeat_address", "points": 30, "detail": 2}]
    )
    police = api("chief_chongxian").get(f"/api/v1/disputes/cases/{water_leak.pk}/risk").json()
    partner = api("community_chongxian").get(f"/api/v1/disputes/cases/{water_leak.pk}/risk").json()
    assert police["score"] == 30 and police["reasons"]
    # "2 other disputes at this address" would reveal cases the partner may not see.
    assert partner == {"risk": water_leak.risk, "declared": "medium", "score": None, "reasons": []}


def test_threat_words_in_a_new_entry_raise_the_case_and_alert_on_escalation(
    api: Any, delivered: list[dict[str, Any]]
) -> None:
    chief = api("chief_chongxian")
    lat, lon = point_in("350111100027-04")
    case_id = chief.post(
        "/api/v1/disputes/cases",
        {
            "type": "neighbour",
            "description": "邻居因停车位争吵",
            "lat": lat,
            "lon": lon,
            "address": "崇贤某小区",
            "source": "incident_110",
        },
    ).json()["id"]
    assert Case.objects.get(pk=case_id).risk_score == 15  # a 110 call
    chief.post(
        f"/api/v1/disputes/cases/{case_id}/timeline",
        {"kind": "contact", "text": "一方扬言要报复，拿刀上门"},
    )
    case = Case.objects.get(pk=case_id)
    assert case.risk_score == 65 and case.risk == Risk.HIGH
    assert not [e for e in delivered if e["type"] == "dispute.escalating"]
    chief.post(
        f"/api/v1/disputes/cases/{case_id}/timeline", {"kind": "contact", "text": "称不想活了"}
    )
    case = Case.objects.get(pk=case_id)
    assert case.risk == Risk.ESCALATING and case.risk_score == 100
    alerts = [e for e in delivered if e["type"] == "dispute.escalating"]
    assert len(alerts) == 1 and alerts[0]["id"] == case_id
    assert f"org:{case.room_org_id}" in alerts[0]["audiences"]
    assert case.entries.filter(kind="risk").count() == 1
    assert list(
        RiskAssessment.objects.filter(case=case)
        .order_by("at", "id")
        .values_list("score", flat=True)
    ) == [15, 65, 100]


def test_a_declared_level_is_never_lowered_by_the_rules(api: Any) -> None:
    chief = api("chief_chongxian")
    lat, lon = point_in("350111100027-04")
    case_id = chief.post(
        "/api/v1/disputes/cases",
        {
            "type": "family",
            "description": "家庭财产分割争议",
            "lat": lat,
            "lon": lon,
            "risk": "high",
        },
    ).json()["id"]
    case = Case.objects.get(pk=case_id)
    assert case.risk_score == 0 and case.risk == Risk.HIGH


def test_time_in_stage_is_rescored_daily_and_rising_cases_are_listed(api: Any) -> None:
    noise = Case.objects.get(title="楼上夜间噪音纠纷")
    later = timezone.now() + timedelta(days=12)  # 排查 allows 7 days: overdue by now
    out = StringIO()
    call_command("disputes_rescore", "--at", later.isoformat(), stdout=out)
    assert "rescored" in out.getvalue()
    noise.refresh_from_db()
    stage_days = next(r for r in noise.risk_reasons if r["rule"] == "stage_days")
    assert stage_days["points"] == 10 + 10  # capped days points + overdue
    items = risk.rising_cases(actor=_actor("commander_jinan"), now=later)
    titles = [i["title"] for i in items]
    assert titles[0] == "工地欠薪纠纷" and "楼上夜间噪音纠纷" in titles
    partner = [i["title"] for i in risk.rising_cases(actor=_actor("property_chongxian"), now=later)]
    assert "工地欠薪纠纷" not in partner and "楼上夜间噪音纠纷" not in partner


def test_the_commander_home_page_shows_the_alert(
    commander_jinan: Any, chief_chongxian: Any
) -> None:
    c = Client()
    c.force_login(commander_jinan)
    page = c.get("/").content.decode()
    assert "纠纷预警：可能激化" in page and "工地欠薪纠纷" in page
    c.force_login(chief_chongxian)  # another police room: not his case
    assert "工地欠薪纠纷" not in c.get("/").content.decode()


def _actor(username: str) -> Any:
    from django.contrib.auth import get_user_model

    from jingwu.orgs.services import actor_for

    return actor_for(get_user_model().objects.get(username=username))
