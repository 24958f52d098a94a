"""Dispatch: recommendations, assignments (atomic claim), the lifecycle, the timeline, arrival."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jingwu.incidents.models import Assignment, Incident
from jingwu.units.models import Shift, Unit, UnitStatus
from tests.incidents.conftest import TAIHE, make_incident, unit

pytestmark = pytest.mark.django_db


def _recs(client: Any, incident_id: int, **q: Any) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in q.items())
    r = client.get(f"/api/v1/incidents/{incident_id}/recommendations?{query}")
    assert r.status_code == 200, r.content
    return r.json()


def test_recommendations_come_best_first_with_eta_and_reasons(api: Any) -> None:
    inc = make_incident()
    recs = _recs(api("duty_taihe"), inc.pk)
    assert 1 <= len(recs) <= 5
    assert set(recs[0]) >= {
        "unit_id",
        "unit_name",
        "tier",
        "mode",
        "eta_seconds",
        "distance_m",
        "estimated",
        "reasons",
    }
    etas = [r["eta_seconds"] for r in recs]
    assert etas == sorted(etas)
    assert recs[0]["estimated"] is False  # over the demo road graph
    assert any("约" in reason for reason in recs[0]["reasons"])


def test_a_robbery_gets_police_only(api: Any) -> None:
    inc = make_incident(type="抢劫", priority="P1")
    recs = _recs(api("duty_taihe"), inc.pk, k=10)
    assert recs and {r["tier"] for r in recs} <= {1, 2}


def test_a_lost_child_may_get_volunteers(api: Any) -> None:
    Unit.objects.exclude(tier_id=5).update(status=UnitStatus.OFF_DUTY)
    inc = make_incident(type="走失")
    recs = _recs(api("duty_taihe"), inc.pk)
    assert recs and {r["tier"] for r in recs} == {5}


def test_routes_come_with_the_recommendations_when_asked(api: Any) -> None:
    inc = make_incident()
    rec = _recs(api("duty_taihe"), inc.pk, routes="true")[0]
    assert rec["route"]["geometry"]["type"] == "LineString"
    assert rec["route"]["properties"]["time_s"] > 0


def test_assigning_a_unit_dispatches_the_incident(api: Any) -> None:
    inc = make_incident()
    client = api("duty_taihe")
    first = _recs(client, inc.pk)[0]
    r = client.post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": first["unit_id"]})
    assert r.status_code == 201, r.content
    assert r.json()["incident"]["status"] == "dispatched"
    assert r.json()["eta_seconds"] == pytest.approx(first["eta_seconds"], abs=15)
    u = Unit.objects.get(pk=first["unit_id"])
    assert (u.status, u.current_incident_id) == ("dispatched", inc.pk)
    assert first["unit_id"] not in [x["unit_id"] for x in _recs(client, inc.pk)]


def test_assign_rejects_a_unit_already_on_a_call(api: Any) -> None:
    a, b = make_incident(), make_incident(type="纠纷")
    client = api("duty_taihe")
    car = unit("TAIHE-C1")
    assert (
        client.post(f"/api/v1/incidents/{a.pk}/assignments", {"unit_id": car.pk}).status_code == 201
    )
    r = client.post(f"/api/v1/incidents/{b.pk}/assignments", {"unit_id": car.pk})
    assert r.status_code == 409
    assert r.json()["detail"] == [
        {
            "type": "conflict",
            "msg": f"泰禾巡逻车1号 正在处置另一起警情（#{a.pk}），不能重复派出。",
            "loc": ["unit_id"],
        }
    ]
    assert not Assignment.objects.filter(incident=b).exists()
    assert Incident.objects.get(pk=b.pk).status == "received"


def test_assign_rejects_an_off_duty_unit_and_writes_nothing(api: Any) -> None:
    inc = make_incident()
    car = unit("TAIHE-C2")
    Shift.objects.filter(unit=car).delete()
    r = api("duty_taihe").post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": car.pk})
    assert r.status_code == 409
    assert r.json()["detail"][0]["msg"] == "泰禾巡逻车2号 不在岗（不在班次内或未上线），不能派出。"
    assert not Assignment.objects.filter(incident=inc).exists()
    assert Unit.objects.get(pk=car.pk).status == "available"


def test_assign_to_an_unknown_unit_is_not_found(api: Any) -> None:
    inc = make_incident()
    r = api("duty_taihe").post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": 999999})
    assert r.status_code == 404
    assert r.json()["detail"][0]["loc"] == ["unit_id"]


def test_several_units_release_and_requeue(api: Any) -> None:
    inc = make_incident(type="打架斗殴", priority="P1")
    client = api("duty_taihe")
    c1, e1 = unit("TAIHE-C1"), unit("TAIHE-E1")
    a1 = client.post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": c1.pk}).json()
    a2 = client.post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": e1.pk}).json()
    assert len(a2["incident"]["assignments"]) == 2
    r = client.post(
        f"/api/v1/incidents/{inc.pk}/assignments/{a1['id']}/release", {"reason": "改派就近力量"}
    )
    assert r.status_code == 200 and r.json()["status"] == "dispatched"
    assert Unit.objects.get(pk=c1.pk).status == "available"
    r = client.post(f"/api/v1/incidents/{inc.pk}/assignments/{a2['id']}/release", {})
    assert r.json()["status"] == "received"  # no unit left before arrival: back in the queue
    again = client.post(f"/api/v1/incidents/{inc.pk}/assignments/{a2['id']}/release", {})
    assert again.status_code == 409


def test_reassign_replaces_one_unit_by_another(api: Any) -> None:
    inc = make_incident()
    client = api("duty_taihe")
    c1, e2 = unit("TAIHE-C1"), unit("TAIHE-E2")
    a1 = client.post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": c1.pk}).json()
    r = client.post(
        f"/api/v1/incidents/{inc.pk}/assignments/{a1['id']}/reassign", {"unit_id": e2.pk}
    )
    assert r.status_code == 201, r.content
    active = [a for a in r.json()["incident"]["assignments"] if a["status"] == "active"]
    assert [a["unit_id"] for a in active] == [e2.pk]
    assert Unit.objects.get(pk=c1.pk).status == "available"


def test_a_failed_reassign_changes_nothing(api: Any) -> None:
    other = make_incident(type="纠纷")
    inc = make_incident()
    client = api("duty_taihe")
    c1, c2 = unit("TAIHE-C1"), unit("TAIHE-C2")
    client.post(f"/api/v1/incidents/{other.pk}/assignments", {"unit_id": c2.pk})
    a1 = client.post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": c1.pk}).json()
    r = client.post(
        f"/api/v1/incidents/{inc.pk}/assignments/{a1['id']}/reassign", {"unit_id": c2.pk}
    )
    assert r.status_code == 409
    assert Unit.objects.get(pk=c1.pk).current_incident_id == inc.pk  # the release was rolled back
    assert Assignment.objects.get(pk=a1["id"]).status == "active"


def test_the_whole_lifecycle_with_timestamps_and_timeline(api: Any) -> None:
    inc = make_incident()
    client = api("duty_taihe")
    car = unit("TAIHE-C1")
    client.post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": car.pk})
    for to, unit_status in (
        ("en_route", "en_route"),
        ("on_scene", "on_scene"),
        ("resolved", "returning"),
    ):
        r = client.post(f"/api/v1/incidents/{inc.pk}/transitions", {"to": to})
        assert r.status_code == 200, r.content
        assert r.json()["status"] == to
        assert Unit.objects.get(pk=car.pk).status == unit_status
    assert Unit.objects.get(pk=car.pk).current_incident_id is None
    r = client.post(
        f"/api/v1/incidents/{inc.pk}/transitions",
        {"to": "closed", "disposition": "现场处置", "note": "批评教育"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "closed" and body["disposition"] == "handled"
    for stamp in ("dispatched_at", "en_route_at", "on_scene_at", "resolved_at", "closed_at"):
        assert body[stamp] is not None
    kinds = [e["kind"] for e in client.get(f"/api/v1/incidents/{inc.pk}/timeline").json()]
    assert kinds[0] == "created" and kinds.count("status") == 4 and "assigned" in kinds
    assert inc.pk not in [i["id"] for i in client.get("/api/v1/incidents").json()]  # off the queue


def test_closing_needs_a_disposition(api: Any) -> None:
    inc = make_incident()
    client = api("duty_taihe")
    client.post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": unit("TAIHE-C1").pk})
    for to in ("on_scene", "resolved"):
        client.post(f"/api/v1/incidents/{inc.pk}/transitions", {"to": to})
    r = client.post(f"/api/v1/incidents/{inc.pk}/transitions", {"to": "closed"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "invalid", "msg": "结案须填写处置结果。", "loc": ["disposition"]}
    ]
    bad = client.post(
        f"/api/v1/incidents/{inc.pk}/transitions", {"to": "closed", "disposition": "随便"}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["disposition"]
    assert Incident.objects.get(pk=inc.pk).status == "resolved"


@pytest.mark.parametrize(("to", "status", "msg"), [
    ("on_scene", 409, "警情当前为“待派警”，不能变为“到达现场”。"),
    ("resolved", 409, "警情当前为“待派警”，不能变为“处置完毕”。"),
    ("dispatched", 422, "目标状态必须是 en_route、on_scene、resolved、closed 或 cancelled。"),
])  # fmt: skip
def test_illegal_transitions_are_refused(api: Any, to: str, status: int, msg: str) -> None:
    inc = make_incident()
    r = api("duty_taihe").post(f"/api/v1/incidents/{inc.pk}/transitions", {"to": to})
    assert r.status_code == status
    assert r.json()["detail"][0]["msg"] == msg
    assert Incident.objects.get(pk=inc.pk).status == "received"


def test_a_closed_incident_takes_no_more_units(api: Any) -> None:
    inc = make_incident()
    client = api("duty_taihe")
    client.post(f"/api/v1/incidents/{inc.pk}/transitions", {"to": "cancelled"})
    r = client.post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": unit("TAIHE-C1").pk})
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "invalid_transition"


def test_cancelling_frees_the_units(api: Any) -> None:
    inc = make_incident()
    client = api("duty_taihe")
    c1, e1 = unit("TAIHE-C1"), unit("TAIHE-E1")
    client.post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": c1.pk})
    client.post(f"/api/v1/incidents/{inc.pk}/transitions", {"to": "en_route"})
    client.post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": e1.pk})
    r = client.post(f"/api/v1/incidents/{inc.pk}/transitions", {"to": "cancelled"})
    assert r.json()["status"] == "cancelled"
    assert Unit.objects.get(pk=c1.pk).status == "returning"  # it had left
    assert Unit.objects.get(pk=e1.pk).status == "available"  # it had not
    assert not Assignment.objects.filter(incident=inc, status="active").exists()


def test_a_returning_unit_may_be_sent_again(api: Any) -> None:
    a, b = make_incident(), make_incident(type="纠纷")
    client = api("duty_taihe")
    car = unit("TAIHE-C1")
    client.post(f"/api/v1/incidents/{a.pk}/assignments", {"unit_id": car.pk})
    client.post(f"/api/v1/incidents/{a.pk}/transitions", {"to": "on_scene"})
    client.post(f"/api/v1/incidents/{a.pk}/transitions", {"to": "resolved"})
    assert Unit.objects.get(pk=car.pk).status == "returning"
    assert (
        client.post(f"/api/v1/incidents/{b.pk}/assignments", {"unit_id": car.pk}).status_code == 201
    )


def test_arrival_on_scene_is_derived_from_the_units_position(api: Any) -> None:
    inc = make_incident()
    client = api("duty_taihe")
    car = unit("TAIHE-C1")
    client.post(f"/api/v1/incidents/{inc.pk}/assignments", {"unit_id": car.pk})
    client.post(f"/api/v1/incidents/{inc.pk}/transitions", {"to": "en_route"})
    far = client.post(
        f"/api/v1/units/{car.pk}/positions", {"lat": TAIHE[0] - 0.005, "lon": TAIHE[1]}
    )
    assert far.json()["status"] == "en_route"
    near = client.post(
        f"/api/v1/units/{car.pk}/positions", {"lat": TAIHE[0] + 0.0002, "lon": TAIHE[1]}
    )
    assert near.status_code == 201
    assert Unit.objects.get(pk=car.pk).status == "on_scene"
    body = client.get(f"/api/v1/incidents/{inc.pk}").json()
    assert body["status"] == "on_scene" and body["on_scene_at"] is not None
    assert body["target_met"] is True
    arrived = [
        e
        for e in client.get(f"/api/v1/incidents/{inc.pk}/timeline").json()
        if e["kind"] == "arrived"
    ]
    assert len(arrived) == 1 and "定位判定" in arrived[0]["text"]


def test_an_incident_past_its_target_is_flagged_overdue(api: Any) -> None:
    inc = make_incident(priority="P1", now=timezone.now() - timedelta(minutes=4))
    listed = {i["id"]: i for i in api("duty_taihe").get("/api/v1/incidents").json()}
    assert listed[inc.pk]["overdue"] is True and listed[inc.pk]["target_s"] == 180
    fresh = make_incident(priority="P1")
    assert {i["id"]: i for i in api("duty_taihe").get("/api/v1/incidents").json()}[fresh.pk][
        "overdue"
    ] is False


def test_the_queue_is_most_urgent_first(api: Any) -> None:
    p3, p1 = make_incident(priority="P3"), make_incident(priority="P1", type="打架斗殴")
    ids = [i["id"] for i in api("duty_taihe").get("/api/v1/incidents").json()]
    assert ids.index(p1.pk) < ids.index(p3.pk)


def test_notes_go_on_the_timeline_for_everyone_who_sees_it(api: Any) -> None:
    inc = make_incident()
    api("commander_jinan").post(
        f"/api/v1/incidents/{inc.pk}/shares", {"organization": "security-taihe"}
    )
    r = api("duty_taihe").post(f"/api/v1/incidents/{inc.pk}/notes", {"text": "嫌疑人穿黑色夹克"})
    assert r.status_code == 201
    texts = [
        e["text"] for e in api("commander_jinan").get(f"/api/v1/incidents/{inc.pk}/timeline").json()
    ]
    assert "嫌疑人穿黑色夹克" in texts
    empty = api("duty_taihe").post(f"/api/v1/incidents/{inc.pk}/notes", {"text": "  "})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["text"]
