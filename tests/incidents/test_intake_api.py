"""Intake: jurisdiction, idempotency, bad input, and who may see an incident."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jingwu.audit.models import AuditEntry
from jingwu.incidents.models import Incident, IncidentShare, TimelineEntry
from jingwu.orgs.models import Organization
from tests.incidents.conftest import CHONGXIAN, OUTSIDE, body, make_incident

pytestmark = pytest.mark.django_db


def test_a_call_is_queued_at_the_workstation_of_its_point(api: Any) -> None:
    r = api("duty_taihe").post("/api/v1/incidents", body())
    assert r.status_code == 201, r.content
    inc = r.json()
    assert inc["status"] == "received"
    assert inc["type"] == "theft" and inc["type_label"] == "盗窃"
    assert inc["station"]["name"] == "岳峰派出所"
    assert inc["workstation"]["code"] == "ws-taihe"
    assert inc["grid"]["code"].startswith("350111102")
    assert inc["target_s"] == 300
    assert inc["caller_phone"] == "13905910125"  # police see it unmasked
    queue = api("duty_taihe").get("/api/v1/incidents").json()
    assert inc["id"] in [i["id"] for i in queue]
    kinds = list(TimelineEntry.objects.filter(incident_id=inc["id"]).values_list("kind", flat=True))
    assert kinds[0] == "created"  # (sharing rules of joint command may add "shared" lines)


@pytest.mark.parametrize("given", ["theft", "盗窃"])
def test_the_type_is_accepted_as_code_or_chinese_label(api: Any, given: str) -> None:
    r = api("duty_taihe").post("/api/v1/incidents", body(type=given))
    assert r.status_code == 201 and r.json()["type"] == "theft"


def test_the_110_platform_pushes_calls_for_the_whole_district(api: Any) -> None:
    r = api("platform_110").post(
        "/api/v1/incidents",
        body(lat=CHONGXIAN[0], lon=CHONGXIAN[1], type="噪音扰民", priority="P4"),
    )
    assert r.status_code == 201, r.content
    assert r.json()["workstation"]["code"] == "ws-chongxian"
    # …and it is queued at 崇贤, not at 泰禾.
    assert r.json()["id"] not in [
        i["id"] for i in api("duty_taihe").get("/api/v1/incidents").json()
    ]
    assert r.json()["id"] in [
        i["id"] for i in api("commander_jinan").get("/api/v1/incidents").json()
    ]


def test_a_retried_call_with_the_same_idempotency_key_returns_the_same_incident(api: Any) -> None:
    client = api("duty_taihe")
    first = client.post("/api/v1/incidents", body(), **{"Idempotency-Key": "call-0001"})
    again = client.post("/api/v1/incidents", body(), **{"Idempotency-Key": "call-0001"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Incident.objects.filter(idempotency_key="call-0001").count() == 1


def test_the_same_key_with_a_different_call_is_a_conflict(api: Any) -> None:
    client = api("duty_taihe")
    client.post("/api/v1/incidents", body(), **{"Idempotency-Key": "call-0002"})
    r = client.post(
        "/api/v1/incidents", body(description="另一件事"), **{"Idempotency-Key": "call-0002"}
    )
    assert r.status_code == 409
    assert r.json()["detail"][0]["loc"] == ["Idempotency-Key"]


def test_a_used_key_is_answered_even_when_the_retry_no_longer_validates(api: Any) -> None:
    # A first call costs no look-up of its key; a retry that fails validation still finds it.
    client = api("duty_taihe")
    client.post("/api/v1/incidents", body(), **{"Idempotency-Key": "call-0003"})
    r = client.post(
        "/api/v1/incidents",
        body(lat=OUTSIDE[0], lon=OUTSIDE[1]),
        **{"Idempotency-Key": "call-0003"},
    )
    assert r.status_code == 409
    assert r.json()["detail"][0]["loc"] == ["Idempotency-Key"]
    fresh = client.post(
        "/api/v1/incidents", body(lat=OUTSIDE[0], lon=OUTSIDE[1]), **{"Idempotency-Key": "new"}
    )
    assert fresh.status_code == 422 and not Incident.objects.filter(idempotency_key="new")


def test_idempotency_keys_belong_to_the_creating_account(api: Any) -> None:
    a = api("duty_taihe").post("/api/v1/incidents", body(), **{"Idempotency-Key": "shared-key"})
    b = api("platform_110").post("/api/v1/incidents", body(), **{"Idempotency-Key": "shared-key"})
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]


@pytest.mark.parametrize(
    ("over", "loc", "msg"),
    [
        ({"type": "外星人"}, ["type"], "未知的取值“外星人”"),
        ({"priority": "P9"}, ["priority"], "优先级必须是 P1、P2、P3 或 P4。"),
        ({"lat": OUTSIDE[0], "lon": OUTSIDE[1]}, ["lat"], "该位置不在本分局辖区内。"),
        ({"lat": "north"}, ["lat"], "坐标必须是数字。"),
        ({"source": "fax"}, ["source"], "未知的取值“fax”"),
        ({"caller_phone": "call me"}, ["caller_phone"], "电话号码格式不正确"),
    ],
)
def test_bad_input_gets_a_field_error_and_writes_nothing(
    api: Any, over: dict[str, Any], loc: list[str], msg: str
) -> None:
    client = api("duty_taihe")
    before = (Incident.objects.count(), AuditEntry.objects.count())
    r = client.post("/api/v1/incidents", body(**over))
    assert r.status_code == 422, r.content
    detail = r.json()["detail"]
    assert detail[0]["loc"] == loc
    assert detail[0]["msg"].startswith(msg)
    assert (Incident.objects.count(), AuditEntry.objects.count()) == before


def test_every_field_error_is_reported_at_once(api: Any) -> None:
    r = api("duty_taihe").post("/api/v1/incidents", body(type="x", priority="high"))
    assert r.status_code == 422
    assert [d["loc"] for d in r.json()["detail"]] == [["type"], ["priority"]]


def test_a_missing_type_is_a_translated_error(api: Any) -> None:
    b = body()
    del b["type"]
    r = api("duty_taihe", language="en").post("/api/v1/incidents", b)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["type"]


def test_a_gcj02_point_is_converted(api: Any) -> None:
    r = api("duty_taihe").post("/api/v1/incidents", body(crs="gcj02"))
    assert r.status_code == 201
    assert abs(r.json()["lon"] - 119.3370) > 1e-3


def test_the_outsider_sees_no_incident_of_the_district(api: Any) -> None:
    inc = make_incident()
    client = api("outsider")
    r = client.get(f"/api/v1/incidents/{inc.pk}")
    assert r.status_code == 404
    assert r.json()["detail"][0]["msg"] == "警情不存在。"
    assert client.get("/api/v1/incidents?open=false").json() == []
    assert client.get(f"/api/v1/incidents/{inc.pk}/timeline").status_code == 404
    assert client.post("/api/v1/incidents", body()).status_code == 422  # not their district


def test_a_partner_sees_only_what_is_shared_and_the_phone_masked(api: Any) -> None:
    inc = make_incident(lat=CHONGXIAN[0], lon=CHONGXIAN[1], type="纠纷")
    partner = api("property_chongxian")
    assert partner.get(f"/api/v1/incidents/{inc.pk}").status_code == 404
    assert inc.pk not in [i["id"] for i in partner.get("/api/v1/incidents?open=false").json()]
    r = api("commander_jinan").post(
        f"/api/v1/incidents/{inc.pk}/shares", {"organization": "property-chongxian"}
    )
    assert r.status_code == 201
    seen = partner.get(f"/api/v1/incidents/{inc.pk}")
    assert seen.status_code == 200
    assert seen.json()["caller_phone"] == "139****0125"
    assert seen.json()["can_act"] is False
    listed = partner.get("/api/v1/incidents?open=false").json()
    assert [i["id"] for i in listed] == [inc.pk]
    assert "caller_phone" not in listed[0]
    # Seeing is not dispatching.
    r = partner.post(f"/api/v1/incidents/{inc.pk}/transitions", {"to": "cancelled"})
    assert r.status_code == 403


def test_the_duty_officer_of_another_desk_does_not_see_it(api: Any) -> None:
    inc = make_incident("platform_110", lat=CHONGXIAN[0], lon=CHONGXIAN[1])
    assert api("duty_taihe").get(f"/api/v1/incidents/{inc.pk}").status_code == 404
    assert api("chief_chongxian").get(f"/api/v1/incidents/{inc.pk}").status_code in (200, 404)


def test_every_read_of_the_callers_data_is_audited(api: Any) -> None:
    inc = make_incident()
    before = AuditEntry.objects.filter(
        action="read", object_type="incident", object_id=str(inc.pk)
    ).count()
    api("commander_jinan").get(f"/api/v1/incidents/{inc.pk}")
    rows = AuditEntry.objects.filter(action="read", object_type="incident", object_id=str(inc.pk))
    assert rows.count() == before + 1
    assert rows.last().username == "commander_jinan"
    assert "caller_phone" in rows.last().detail and "139" not in rows.last().detail


def test_a_partners_own_report_stays_visible_to_it(api: Any) -> None:
    r = api("property_chongxian").post(
        "/api/v1/incidents", body(lat=CHONGXIAN[0], lon=CHONGXIAN[1], type="纠纷", source="partner")
    )
    assert r.status_code == 201, r.content
    org = Organization.objects.get(code="property-chongxian")
    assert IncidentShare.objects.filter(incident_id=r.json()["id"], organization=org).exists()
    assert r.json()["caller_phone"] == "139****0125"


def test_an_integration_may_give_the_call_time(api: Any) -> None:
    called = timezone.now() - timedelta(minutes=4)
    r = api("platform_110").post(
        "/api/v1/incidents", body(called_at=called.isoformat(), priority="P1")
    )
    assert r.status_code == 201
    assert r.json()["overdue"] is True  # P1: 3 minutes to be on scene
    future = (timezone.now() + timedelta(minutes=4)).isoformat()
    bad = api("platform_110").post("/api/v1/incidents", body(called_at=future))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["called_at"]


def test_chinese_labels_are_accepted_whatever_the_callers_language(api: Any) -> None:
    r = api("duty_taihe", language="en").post("/api/v1/incidents", body(type="盗窃"))
    assert r.status_code == 201 and r.json()["type"] == "theft"
    assert r.json()["type_label"] == "theft"


def test_errors_come_in_the_callers_language(api: Any) -> None:
    r = api("duty_taihe", language="en").post(
        "/api/v1/incidents", body(priority="P9", type="外星人")
    )
    assert r.status_code == 422
    msgs = [d["msg"] for d in r.json()["detail"]]
    assert msgs[0].startswith("Unknown value “外星人”; choose from:")
    assert msgs[1] == "The priority must be P1, P2, P3 or P4."
