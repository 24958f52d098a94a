"""A duty officer turns a 纠纷 incident into a case; the incident stays linked (item 9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from jingwu.disputes.models import Case
from jingwu.incidents.services.intake import create_incident
from jingwu.orgs.services import actor_for
from tests.disputes.conftest import point_in

pytestmark = pytest.mark.django_db


def _incident(kind: str = "dispute", who: str = "duty_taihe") -> Any:
    lat, lon = point_in("350111102026-02")
    actor = actor_for(get_user_model().objects.get(username=who))
    incident, _ = create_incident(
        actor=actor,
        now=timezone.now(),
        fields={
            "lat": lat,
            "lon": lon,
            "address": "泰禾广场三楼某奶茶店",
            "type": kind,
            "priority": "P3",
            "source": "110",
            "caller_name": "顾客钱女士",
            "caller_phone": "13905910077",
            "description": "顾客与店员因退款争吵，双方推搡",
        },
    )
    return incident


def test_a_dispute_incident_becomes_a_linked_case(api: Any) -> None:
    incident = _incident()
    duty = api("duty_taihe")
    r = duty.post("/api/v1/disputes/cases/from-incident", {"incident_id": incident.pk})
    assert r.status_code == 201, r.content
    case = Case.objects.get(pk=r.json()["id"])
    assert case.incident_id == incident.pk and r.json()["incident_id"] == incident.pk
    assert case.first_110_at == incident.received_at and case.source == "incident_110"
    assert case.type == "consumer"  # guessed from 顾客/退款
    assert case.workstation_org.code == "ws-taihe"
    assert [(p.name, p.phone) for p in case.parties.all()] == [("顾客钱女士", "13905910077")]
    assert {r["rule"] for r in case.risk_reasons} >= {"incident_110", "violence_words"}
    assert case.entries.filter(text__contains=incident.number).exists()
    again = duty.post("/api/v1/disputes/cases/from-incident", {"incident_id": incident.pk})
    assert again.status_code == 409
    assert again.json()["detail"] == [
        {"type": "conflict", "msg": "该警情已转为纠纷案件。", "loc": ["incident_id"]}
    ]
    assert Case.objects.filter(incident=incident).count() == 1


def test_only_police_who_handle_the_incident_may_turn_it_into_a_case(api: Any) -> None:
    incident = _incident()
    for who in ("outsider", "chief_chongxian", "lawyer_jinan"):
        r = api(who).post("/api/v1/disputes/cases/from-incident", {"incident_id": incident.pk})
        assert r.status_code == 404, who
        assert r.json()["detail"][0]["msg"] == "警情不存在。"
    theft = _incident("theft")
    r = api("duty_taihe").post("/api/v1/disputes/cases/from-incident", {"incident_id": theft.pk})
    assert r.status_code == 422
    assert r.json()["detail"][0] == {
        "type": "invalid",
        "msg": "只有纠纷类警情可以转为纠纷案件（本警情为「盗窃」）。",
        "loc": ["incident_id"],
    }
    assert not Case.objects.filter(incident__in=[incident, theft]).exists()


def test_the_page_turns_an_incident_into_a_case(duty_taihe: Any, outsider: Any) -> None:
    incident = _incident("noise")
    c = Client()
    c.force_login(duty_taihe)
    page = c.get(f"/disputes/from-incident/{incident.pk}/")
    assert page.status_code == 200 and incident.number in page.content.decode()
    r = c.post(f"/disputes/from-incident/{incident.pk}/", {"type": "neighbour", "risk": "medium"})
    assert r.status_code == 302
    case = Case.objects.get(incident=incident)
    assert r["Location"] == f"/disputes/cases/{case.pk}/" and case.risk_declared == "medium"
    c.force_login(outsider)
    assert c.get(f"/disputes/from-incident/{incident.pk}/").status_code == 404
