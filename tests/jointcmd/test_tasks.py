"""Partner forces on shared incidents: the desk gives them tasks (accept / decline / done, each
on the timeline, in the audit log and live to both sides), and they send their own units."""

from __future__ import annotations

from typing import Any

import pytest

from jingwu.audit.models import AuditEntry
from jingwu.incidents.models import Assignment, TimelineEntry
from jingwu.jointcmd.models import IncidentTask
from jingwu.orgs.models import Organization
from jingwu.units.models import Unit

pytestmark = pytest.mark.django_db
STATION = (26.1135, 119.3172)  # inside the railway-station joint area
TAIHE = (26.0992, 119.3362)


def _call(api: Any, user: str, point: tuple[float, float] = STATION) -> dict[str, Any]:
    r = api(user).post(
        "/api/v1/incidents",
        {"lat": point[0], "lon": point[1], "type": "theft", "priority": "P2",
         "description": "南广场出口有人抢包后逃离"},
    )  # fmt: skip
    assert r.status_code == 201, r.content
    return r.json()


def _org(code: str) -> Organization:
    return Organization.objects.get(code=code)


def _give(api: Any, inc: dict[str, Any], org_code: str = "railway-police-fuzhou", **kw: Any) -> Any:
    body = {"to_organization_id": _org(org_code).pk, "text": "封控南广场出口", **kw}
    return api("duty_railway").post(f"/api/v1/jointcmd/incidents/{inc['id']}/tasks", body)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    from jingwu import events

    out: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(
        events, "publish", lambda kind, *, audiences, **d: out.append((kind, list(audiences)))
    )
    return out


def test_the_desk_gives_a_task_the_partner_accepts_and_completes_it(api, published) -> None:
    inc = _call(api, "duty_railway")
    r = _give(api, inc, due_at="2099-01-01T12:00:00")
    assert r.status_code == 201, r.content
    task = r.json()
    assert (
        task["status"] == "given"
        and task["to_organization"]["name"] == "福州站铁路公安派出所（示意）"
    )
    assert task["may_accept"] is False  # the desk's own view: not its task to accept
    railway, desk = _org("railway-police-fuzhou"), _org("ws-railway")
    kinds = [k for k, _a in published]
    assert "jointcmd.task" in kinds and "incident.updated" in kinds
    audiences = next(a for k, a in published if k == "jointcmd.task")
    assert f"org:{railway.pk}" in audiences and f"org:{desk.pk}" in audiences

    # The partner sees it, accepts it once, then answers it.
    mine = api("railway_police").get("/api/v1/jointcmd/tasks?open=true").json()
    assert [t["id"] for t in mine if t["incident_id"] == inc["id"]] == [task["id"]]
    assert next(t for t in mine if t["id"] == task["id"])["may_accept"] is True
    r = api("railway_police").post(f"/api/v1/jointcmd/tasks/{task['id']}/accept", {})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    again = api("railway_police").post(f"/api/v1/jointcmd/tasks/{task['id']}/accept", {})
    assert again.status_code == 409
    assert again.json()["detail"][0]["msg"] == "任务当前为“已接受”，不能再接受。"
    r = api("railway_police").post(
        f"/api/v1/jointcmd/tasks/{task['id']}/complete", {"answer": "出口已封控，嫌疑人未出站"}
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert r.json()["answer"] == "出口已封控，嫌疑人未出站"

    # Every step is on the desk's timeline and in the audit log.
    texts = [
        e["text"] for e in api("duty_railway").get(f"/api/v1/incidents/{inc['id']}/timeline").json()
    ]
    assert "向福州站铁路公安派出所（示意）下达联勤任务：封控南广场出口" in texts
    assert "福州站铁路公安派出所（示意）接受联勤任务：封控南广场出口" in texts
    assert any(
        t.startswith("福州站铁路公安派出所（示意）完成联勤任务") and "嫌疑人未出站" in t
        for t in texts
    )
    actions = list(
        AuditEntry.objects.filter(object_type="incident_task", object_id=str(task["id"]))
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert actions == [f"incident={inc['id']}", "status:accepted", "status:done"]
    done = api("duty_railway").get(f"/api/v1/jointcmd/tasks?incident_id={inc['id']}").json()
    assert [t["status"] for t in done] == ["done"]


def test_a_declined_task_needs_a_reason_and_cannot_be_answered_after(api) -> None:
    inc = _call(api, "duty_railway")
    task = _give(api, inc).json()
    r = api("railway_police").post(f"/api/v1/jointcmd/tasks/{task['id']}/decline", {"reason": " "})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["reason"]
    assert IncidentTask.objects.get(pk=task["id"]).status == "given"
    r = api("railway_police").post(
        f"/api/v1/jointcmd/tasks/{task['id']}/decline", {"reason": "警力正在处置站内另一警情"}
    )
    assert r.status_code == 200 and r.json()["status"] == "declined"
    lines = TimelineEntry.objects.filter(incident_id=inc["id"]).count()
    audits = AuditEntry.objects.filter(object_type="incident_task").count()
    for action, body in (("complete", {"answer": "已办"}), ("accept", {})):
        r = api("railway_police").post(f"/api/v1/jointcmd/tasks/{task['id']}/{action}", body)
        assert r.status_code == 409, action
        assert r.json()["detail"][0]["type"] == "invalid_transition"
    assert IncidentTask.objects.get(pk=task["id"]).status == "declined"
    assert TimelineEntry.objects.filter(incident_id=inc["id"]).count() == lines
    assert AuditEntry.objects.filter(object_type="incident_task").count() == audits


def test_bad_tasks_are_refused_and_nothing_is_written(api) -> None:
    inc = _call(api, "duty_railway")
    before = (
        IncidentTask.objects.count(),
        TimelineEntry.objects.filter(incident_id=inc["id"]).count(),
    )
    r = _give(api, inc, org_code="security-taihe")  # not shared with the mall's security
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "type": "invalid",
            "msg": "此警情未共享给该单位，不能向其下达任务。",
            "loc": ["to_organization_id"],
        }
    ]
    r = _give(api, inc, text="  ")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["text"]
    r = _give(api, inc, due_at="2020-01-01T08:00:00")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["due_at"]
    body = {"to_organization_id": _org("railway-police-fuzhou").pk, "text": "封控"}
    url = f"/api/v1/jointcmd/incidents/{inc['id']}/tasks"
    assert api("railway_police").post(url, body).status_code == 403  # a partner gives no tasks
    assert api("outsider").post(url, body).status_code == 404
    assert api().post(url, body).status_code in (401, 403)
    after = (
        IncidentTask.objects.count(),
        TimelineEntry.objects.filter(incident_id=inc["id"]).count(),
    )
    assert after == before


def test_only_the_receiving_force_sees_and_answers_its_task(api) -> None:
    inc = _call(api, "duty_railway")
    task = _give(api, inc).json()
    for user in ("security_railway", "duty_railway", "outsider", "duty_taihe"):
        r = api(user).post(f"/api/v1/jointcmd/tasks/{task['id']}/accept", {})
        assert r.status_code == 404, user
        assert r.json()["detail"][0]["msg"] == "任务不存在。"
    assert task["id"] not in [
        t["id"] for t in api("security_railway").get("/api/v1/jointcmd/tasks").json()
    ]
    assert api("outsider").get("/api/v1/jointcmd/tasks").json() == []
    assert IncidentTask.objects.get(pk=task["id"]).status == "given"


def test_a_partner_sends_its_own_unit_and_never_another_forces(api) -> None:
    inc = _call(api, "duty_railway")
    own = Unit.objects.get(code="TLGA-F1")
    desk_unit = Unit.objects.get(code="RAILWAY-F2")
    url = f"/api/v1/incidents/{inc['id']}/assignments"
    # Another force's unit: the partner cannot even see it.
    r = api("railway_police").post(url, {"unit_id": desk_unit.pk})
    assert r.status_code == 404
    # The station's security shares the incident but may not send the railway police's unit.
    assert api("security_railway").post(url, {"unit_id": own.pk}).status_code == 404
    assert not Assignment.objects.filter(incident_id=inc["id"]).exists()
    r = api("railway_police").post(url, {"unit_id": own.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["incident"]["status"] == "dispatched"
    own.refresh_from_db()
    assert own.status == "dispatched" and own.current_incident_id == inc["id"]
    timeline = api("duty_railway").get(f"/api/v1/incidents/{inc['id']}/timeline").json()
    assert any(e["kind"] == "assigned" and "铁路公安站区步巡组" in e["text"] for e in timeline)
    assert AuditEntry.objects.filter(object_type="assignment", object_id=str(body["id"])).exists()
    # The same atomic claim: the unit is now busy for a second incident.
    second = _call(api, "duty_railway")
    r = api("railway_police").post(
        f"/api/v1/incidents/{second['id']}/assignments", {"unit_id": own.pk}
    )
    assert r.status_code == 409
    # Not shared with the railway police: the incident does not exist for them.
    taihe = _call(api, "duty_taihe", TAIHE)
    other = Unit.objects.get(code="TLGA-F2")
    r = api("railway_police").post(
        f"/api/v1/incidents/{taihe['id']}/assignments", {"unit_id": other.pk}
    )
    assert r.status_code == 404
    other.refresh_from_db()
    assert other.status == "available"


def test_the_console_panel_gives_answers_and_sends(api, persona) -> None:
    from django.test import Client

    def client(user: str) -> Client:
        c = Client()
        c.force_login(persona(user))
        return c

    inc = _call(api, "duty_railway")
    desk, police = client("duty_railway"), client("railway_police")
    railway = _org("railway-police-fuzhou")
    page = desk.get("/jointcmd/console/tasks/").content.decode()
    assert f'value="{inc["id"]}:{railway.pk}"' in page and "下达任务" in page
    r = desk.post(
        "/jointcmd/console/tasks/give/", {"target": f"{inc['id']}:{railway.pk}", "text": ""}
    )
    assert r.status_code == 422 and "请填写任务内容。" in r.content.decode()
    r = desk.post("/jointcmd/console/tasks/give/", {"target": "", "text": "封控"})
    assert r.status_code == 422 and "请选择警情和承办单位。" in r.content.decode()
    assert not IncidentTask.objects.filter(incident_id=inc["id"]).exists()
    r = desk.post(
        "/jointcmd/console/tasks/give/",
        {"target": f"{inc['id']}:{railway.pk}", "text": "封控南广场出口"},
    )
    assert r.status_code == 200 and "封控南广场出口" in r.content.decode()
    task = IncidentTask.objects.get(incident_id=inc["id"])
    page = police.get("/jointcmd/console/tasks/").content.decode()
    assert f"/jointcmd/console/tasks/{task.pk}/accept/" in page and "派出本单位力量" in page
    assert "铁路公安站区步巡组" in page
    r = police.post(f"/jointcmd/console/tasks/{task.pk}/accept/")
    assert r.status_code == 200 and "已接受" in r.content.decode()
    r = police.post(f"/jointcmd/console/tasks/{task.pk}/accept/")
    assert r.status_code == 409 and "不能再接受" in r.content.decode()
    unit = Unit.objects.get(code="TLGA-F2")
    r = police.post("/jointcmd/console/tasks/send/", {"incident_id": inc["id"], "unit_id": unit.pk})
    assert r.status_code == 200, r.content.decode()[:300]
    assert Assignment.objects.filter(incident_id=inc["id"], unit=unit).exists()
    assert (
        client("security_railway").post(f"/jointcmd/console/tasks/{task.pk}/complete/").status_code
        == 404
    )


def test_a_partner_calls_back_its_own_unit_only(api) -> None:
    inc = _call(api, "duty_railway")
    own, desk_unit = Unit.objects.get(code="TLGA-F1"), Unit.objects.get(code="RAILWAY-F1")
    url = f"/api/v1/incidents/{inc['id']}/assignments"
    mine = api("railway_police").post(url, {"unit_id": own.pk}).json()
    theirs = api("duty_railway").post(url, {"unit_id": desk_unit.pk})
    assert theirs.status_code == 201, theirs.content
    r = api("railway_police").post(f"{url}/{theirs.json()['id']}/release", {"reason": "x"})
    assert r.status_code == 403
    assert r.json()["detail"][0]["msg"] == "协作单位只能撤回本单位的力量。"
    desk_unit.refresh_from_db()
    assert desk_unit.status == "dispatched"
    r = api("railway_police").post(f"{url}/{mine['id']}/release", {"reason": "另有警情"})
    assert r.status_code == 200, r.content
    own.refresh_from_db()
    assert own.status == "available" and own.current_incident_id is None
    assert Assignment.objects.get(pk=mine["id"]).status == "released"


def test_the_console_panel_calls_back_the_partners_own_unit_only(api, persona) -> None:
    from django.test import Client

    def client(user: str, language: str = "zh-hans") -> Client:
        c = Client(HTTP_ACCEPT_LANGUAGE=language)
        c.force_login(persona(user))
        return c

    inc = _call(api, "duty_railway")
    police = client("railway_police")
    own, desk_unit = Unit.objects.get(code="TLGA-F1"), Unit.objects.get(code="RAILWAY-F1")
    assert "撤回本单位力量" not in police.get("/jointcmd/console/tasks/").content.decode()
    r = police.post("/jointcmd/console/tasks/send/", {"incident_id": inc["id"], "unit_id": own.pk})
    assert r.status_code == 200, r.content.decode()[:300]
    mine = Assignment.objects.get(incident_id=inc["id"], unit=own)
    url = f"/api/v1/incidents/{inc['id']}/assignments"
    theirs = api("duty_railway").post(url, {"unit_id": desk_unit.pk})
    assert theirs.status_code == 201, theirs.content
    # The panel offers the partner's own active assignment, never the desk's.
    page = police.get("/jointcmd/console/tasks/").content.decode()
    assert "撤回本单位力量" in page and f'<option value="{mine.pk}">' in page
    assert f'<option value="{theirs.json()["id"]}">' not in page
    en = client("railway_police", "en").get("/jointcmd/console/tasks/").content.decode()
    assert "Call back our unit" in en and "Reason for calling back (optional)" in en
    # The desk's unit: 403 by name; another organization: 403 (shared) or 404 (not shared).
    r = police.post("/jointcmd/console/tasks/release/", {"assignment_id": theirs.json()["id"]})
    assert r.status_code == 403 and "协作单位只能撤回本单位的力量。" in r.content.decode()
    r = client("security_railway").post(
        "/jointcmd/console/tasks/release/", {"assignment_id": mine.pk}
    )
    assert r.status_code == 403
    r = client("outsider").post("/jointcmd/console/tasks/release/", {"assignment_id": mine.pk})
    assert r.status_code == 404 and "派警记录不存在。" in r.content.decode()
    r = police.post("/jointcmd/console/tasks/release/", {"assignment_id": "x"})
    assert r.status_code == 422 and "请输入整数。" in r.content.decode()
    r = police.post("/jointcmd/console/tasks/release/", {"assignment_id": 10**9})
    assert r.status_code == 404
    desk_unit.refresh_from_db()
    own.refresh_from_db()
    assert desk_unit.status == "dispatched" and own.status == "dispatched"
    assert Assignment.objects.filter(incident_id=inc["id"], status="active").count() == 2
    # Its own: called back, on the timeline and in the audit log, gone from the form.
    r = police.post(
        "/jointcmd/console/tasks/release/", {"assignment_id": mine.pk, "reason": "另有警情"}
    )
    assert r.status_code == 200, r.content.decode()[:300]
    assert f'<option value="{mine.pk}">' not in r.content.decode()
    mine.refresh_from_db()
    own.refresh_from_db()
    assert mine.status == "released" and mine.end_reason == "另有警情"
    assert own.status == "available" and own.current_incident_id is None
    assert TimelineEntry.objects.filter(
        incident_id=inc["id"], kind="released", text="撤回 铁路公安站区步巡组：另有警情"
    ).exists()
    assert AuditEntry.objects.filter(
        component="incidents", detail=f"release:{own.pk}", object_id=str(inc["id"])
    ).exists()
    desk_unit.refresh_from_db()
    assert desk_unit.status == "dispatched"


def test_task_errors_are_translated(api) -> None:
    inc = _call(api, "duty_railway")
    task = _give(api, inc).json()
    en = api("railway_police", language="en")
    r = en.post(f"/api/v1/jointcmd/tasks/{task['id']}/decline", {"reason": ""})
    assert (
        r.status_code == 422
        and r.json()["detail"][0]["msg"] == "Please fill in Reason for declining."
    )
    assert en.post(f"/api/v1/jointcmd/tasks/{task['id']}/accept", {}).status_code == 200
    r = en.post(f"/api/v1/jointcmd/tasks/{task['id']}/accept", {})
    assert r.json()["detail"][0]["msg"] == 'The task is already "Accepted"; it cannot be accepted.'


def test_an_open_joint_task_is_on_the_handover_until_it_is_done(api) -> None:
    inc = _call(api, "duty_railway")
    task = _give(api, inc, text="调取南广场出口监控").json()
    url = "/api/v1/jointcmd/handovers"
    first = api("duty_railway").post(url, {"desk": "ws-railway"})
    assert first.status_code == 201, first.content
    item = next(
        i
        for i in first.json()["items"]
        if i["kind"] == "joint_task" and i["ref"] == str(task["id"])
    )
    assert item["is_open"] and item["status"] == "待接受"
    assert item["label"] == f"调取南广场出口监控 → 福州站铁路公安派出所（示意）（{inc['number']}）"
    done = api("railway_police").post(
        f"/api/v1/jointcmd/tasks/{task['id']}/complete", {"answer": "已调取"}
    )
    assert done.status_code == 200
    second = api("commander_jinan").post(url, {"desk": "ws-railway"}).json()
    gone = next(
        i for i in second["items"] if i["kind"] == "joint_task" and i["ref"] == str(task["id"])
    )
    assert not gone["is_open"] and gone["status"] == "本班已办结" and gone["carried"]


def test_a_partner_is_recommended_only_its_own_units(api) -> None:
    inc = _call(api, "duty_railway")
    url = f"/api/v1/incidents/{inc['id']}/recommendations?k=10"
    own = set(Unit.objects.filter(code__startswith="TLGA-").values_list("pk", flat=True))
    desk = api("duty_railway").get(url)
    assert desk.status_code == 200
    # The desk sees the branch's units (the nearest force, whatever its workstation).
    assert {r["unit_id"] for r in desk.json()} - own
    partner = api("railway_police").get(url)
    assert partner.status_code == 200
    ids = {r["unit_id"] for r in partner.json()}
    assert ids and ids <= own
    excluded = api("railway_police").get(
        url.replace("recommendations?k=10", "recommendations/excluded")
    )
    assert excluded.status_code == 200
    assert {e["unit_id"] for e in excluded.json()} <= own
    # A force the incident is not shared with gets nothing at all.
    assert api("outsider").get(url).status_code == 404


def test_a_partners_own_unit_is_sent_with_its_eta(api) -> None:
    inc = _call(api, "duty_railway")
    own = Unit.objects.get(code="TLGA-F1")
    # Homed at its own force, not at the station's police desk (the demo homes it there): it
    # is not one of the branch's police units, and its ETA must still be computed.
    Unit.objects.filter(pk=own.pk).update(workstation=own.organization)
    recs = api("railway_police").get(f"/api/v1/incidents/{inc['id']}/recommendations?k=10")
    assert recs.status_code == 200, recs.content
    proposed = next(r for r in recs.json() if r["unit_id"] == own.pk)
    assert proposed["eta_seconds"] is not None
    r = api("railway_police").post(
        f"/api/v1/incidents/{inc['id']}/assignments", {"unit_id": own.pk}
    )
    assert r.status_code == 201, r.content
    stored = Assignment.objects.get(pk=r.json()["id"]).eta_seconds
    assert stored is not None and stored == pytest.approx(proposed["eta_seconds"], abs=15)
    assert r.json()["eta_seconds"] == pytest.approx(stored)
    timeline = api("duty_railway").get(f"/api/v1/incidents/{inc['id']}/timeline").json()
    assert any(
        e["kind"] == "assigned" and "铁路公安站区步巡组" in e["text"] and "预计" in e["text"]
        for e in timeline
    )
