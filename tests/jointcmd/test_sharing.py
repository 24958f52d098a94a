"""Incident linkage: sharing rules applied at intake, on the timeline and in the audit log;
partners see shared incidents and nothing else; a partner's own intake is shared back."""

from __future__ import annotations

import pytest

from jingwu.audit.models import AuditEntry
from jingwu.incidents.models import Incident, IncidentShare
from jingwu.jointcmd.models import SharingRule

pytestmark = pytest.mark.django_db
STATION = (26.1135, 119.3172)  # inside the railway-station joint area
TAIHE = (26.0992, 119.3362)  # inside the mall's rule
ELSEWHERE = (26.160, 119.300)  # 新店龙头: no rule


def _call(api, user: str, point, type_: str = "theft", priority: str = "P3") -> dict:
    r = api(user).post(
        "/api/v1/incidents",
        {
            "lat": point[0],
            "lon": point[1],
            "type": type_,
            "priority": priority,
            "caller_name": "张三",
            "caller_phone": "13800000000",
            "description": "旅客背包被盗",
        },
    )
    assert r.status_code == 201, r.content
    return r.json()


def test_an_incident_at_the_station_is_shared_with_both_partner_forces(api) -> None:
    inc = _call(api, "duty_railway", STATION)
    assert {s["name"] for s in inc["shared_with"]} == {
        "福州站铁路公安派出所（示意）",
        "福州火车站站区保安队（示意）",
    }
    timeline = api("duty_railway").get(f"/api/v1/incidents/{inc['id']}/timeline").json()
    shared = [e for e in timeline if e["kind"] == "shared"]
    assert len(shared) == 2
    assert any("规则“火车站片区警情共享（铁路公安）”" in e["text"] for e in shared)
    assert (
        AuditEntry.objects.filter(object_type="incident_share", object_id=str(inc["id"])).count()
        == 2
    )
    # The partner sees it by id and in its shared list, with the caller's phone masked.
    r = api("railway_police").get(f"/api/v1/incidents/{inc['id']}")
    assert r.status_code == 200
    shared_list = api("railway_police").get("/api/v1/jointcmd/shared-incidents").json()
    assert inc["id"] in [i["id"] for i in shared_list]
    # The lead's console shows the same incident from its side.
    assert inc["id"] in [
        i["id"] for i in api("duty_railway").get("/api/v1/jointcmd/shared-incidents").json()
    ]


def test_a_partner_sees_nothing_outside_its_rules(api) -> None:
    elsewhere = _call(api, "commander_jinan", ELSEWHERE)
    taihe = _call(api, "duty_taihe", TAIHE)
    for user in ("railway_police", "security_railway"):
        for inc in (elsewhere, taihe):
            r = api(user).get(f"/api/v1/incidents/{inc['id']}")
            assert r.status_code == 404, user
            assert r.json()["detail"][0]["msg"] == "警情不存在。"
        ids = [i["id"] for i in api(user).get("/api/v1/jointcmd/shared-incidents?all=true").json()]
        assert elsewhere["id"] not in ids and taihe["id"] not in ids
    assert IncidentShare.objects.filter(incident_id=elsewhere["id"]).count() == 0
    # The mall's rule shares 泰禾 incidents with the mall's security company only.
    assert [s["name"] for s in taihe["shared_with"]] == ["泰禾广场保安服务部（示意）"]
    assert api("outsider").get("/api/v1/jointcmd/shared-incidents").json() == []


def test_a_partners_own_intake_is_shared_back(api) -> None:
    inc = _call(api, "railway_police", STATION, type_="lost_person", priority="P2")
    names = {s["name"] for s in inc["shared_with"]}
    assert "福州火车站站区保安队（示意）" in names  # shared on by the rule
    # The joint command centre's desk takes it (jurisdiction) and sees it.
    assert api("duty_railway").get(f"/api/v1/incidents/{inc['id']}").status_code == 200
    assert api("security_railway").get(f"/api/v1/incidents/{inc['id']}").status_code == 200
    # Every share, the reporter's own included, is on the timeline and in the audit log.
    from jingwu.audit.models import AuditEntry
    from jingwu.incidents.models import IncidentShare, TimelineEntry

    shared = set(IncidentShare.objects.filter(incident_id=inc["id"]).values_list(
        "organization_id", flat=True))  # fmt: skip
    assert len(shared) >= 2
    on_timeline = {e.data.get("organization_id") for e in TimelineEntry.objects.filter(
        incident_id=inc["id"], kind="shared")}  # fmt: skip
    assert shared <= on_timeline
    audited = set(AuditEntry.objects.filter(
        object_type="incident_share", object_id=str(inc["id"])).values_list(
        "organization_id", flat=True))  # fmt: skip
    assert shared <= audited


def test_types_and_priorities_narrow_a_rule(api) -> None:
    rule = SharingRule.objects.get(name="火车站片区警情共享（站区保安）")
    rule.incident_types, rule.priorities = ["theft", "fight"], ["P1", "P2"]
    rule.save()
    low = _call(api, "duty_railway", STATION, type_="theft", priority="P3")
    other = _call(api, "duty_railway", STATION, type_="traffic", priority="P1")
    hit = _call(api, "duty_railway", STATION, type_="fight", priority="P1")
    names = lambda inc: {s["name"] for s in inc["shared_with"]}  # noqa: E731
    assert "福州火车站站区保安队（示意）" not in names(low)
    assert "福州火车站站区保安队（示意）" not in names(other)
    assert "福州火车站站区保安队（示意）" in names(hit)


def test_a_partner_may_add_to_the_timeline_of_a_shared_incident(api) -> None:
    inc = _call(api, "duty_railway", STATION)
    r = api("railway_police").post(
        f"/api/v1/incidents/{inc['id']}/notes", {"text": "铁路警方已调取站内监控"}
    )
    assert r.status_code == 201, r.content


def test_a_rule_naming_an_unknown_organization_is_refused(api) -> None:
    polygon = {
        "type": "Polygon",
        "coordinates": [[[119.31, 26.11], [119.32, 26.11], [119.32, 26.12], [119.31, 26.11]]],
    }
    before = SharingRule.objects.count()
    r = api("duty_railway").post(
        "/api/v1/jointcmd/sharing-rules",
        {
            "name": "x",
            "owner": "ws-railway",
            "geometry": polygon,
            "partners": ["railway-police-fuzhou", "no-such-org"],
        },
    )
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "invalid", "msg": "单位不存在：no-such-org", "loc": ["partners", 1]}
    ]
    bad_type = api("duty_railway").post(
        "/api/v1/jointcmd/sharing-rules",
        {
            "name": "x",
            "owner": "ws-railway",
            "geometry": polygon,
            "partners": ["railway-police-fuzhou"],
            "incident_types": ["alien"],
        },
    )
    assert bad_type.status_code == 422 and bad_type.json()["detail"][0]["loc"] == [
        "incident_types",
        0,
    ]
    bad_geo = api("duty_railway").post(
        "/api/v1/jointcmd/sharing-rules",
        {
            "name": "x",
            "owner": "ws-railway",
            "geometry": {"type": "Point", "coordinates": [1, 2]},
            "partners": ["railway-police-fuzhou"],
        },
    )
    assert bad_geo.status_code == 422 and bad_geo.json()["detail"][0]["loc"] == ["geometry"]
    assert SharingRule.objects.count() == before


def test_a_new_rule_takes_effect_and_only_staff_may_make_one(api) -> None:
    polygon = {
        "type": "Polygon",
        "coordinates": [
            [
                [119.35, 26.07],
                [119.356, 26.07],
                [119.356, 26.076],
                [119.35, 26.076],
                [119.35, 26.07],
            ]
        ],
    }
    body = {
        "name": "崇贤学校周边",
        "owner": "ws-chongxian",
        "geometry": polygon,
        "partners": ["school-gushan"],
        "incident_types": ["fight"],
    }
    r = api("railway_police").post("/api/v1/jointcmd/sharing-rules", body)
    assert r.status_code == 403
    r = api("commander_jinan").post("/api/v1/jointcmd/sharing-rules", body)
    assert r.status_code == 201, r.content
    inc = _call(api, "commander_jinan", (26.073, 119.353), type_="fight", priority="P1")
    assert [s["name"] for s in inc["shared_with"]] == ["鼓山中心小学（示意）"]
    rules = api("railway_police").get("/api/v1/jointcmd/sharing-rules").json()
    assert {r["name"] for r in rules} == {"火车站片区警情共享（铁路公安）"}
    assert Incident.objects.filter(pk=inc["id"]).exists()


def test_a_changed_rule_takes_effect_at_once_and_an_unchanged_one_is_not_reparsed(
    api, monkeypatch
) -> None:
    """A rule saved here takes effect on the next incident; one changed behind the ORM's back
    (another process, a bulk update) once the rules read is older than ``FRESH_S``."""
    from jingwu import caching
    from jingwu.jointcmd.services import sharing

    clock = [caching.clock()]
    monkeypatch.setattr(caching, "clock", lambda: clock[0])

    rule = SharingRule.objects.get(name="火车站片区警情共享（站区保安）")
    security = "福州火车站站区保安队（示意）"
    names = lambda inc: {s["name"] for s in inc["shared_with"]}  # noqa: E731
    assert security in names(_call(api, "duty_railway", STATION))
    compiled = []
    real = sharing._compile
    monkeypatch.setattr(sharing, "_compile", lambda pk, src: compiled.append(pk) or real(pk, src))
    assert security in names(_call(api, "duty_railway", STATION))
    assert rule.pk not in compiled  # cached: the polygon was not parsed again
    # Moved away by a bulk update (no save signal): seen once the rules read is FRESH_S old.
    far = {
        "type": "Polygon",
        "coordinates": [[[119.0, 25.0], [119.01, 25.0], [119.01, 25.01], [119.0, 25.0]]],
    }
    SharingRule.objects.filter(pk=rule.pk).update(geometry=far)
    assert security in names(_call(api, "duty_railway", STATION))
    clock[0] += caching.FRESH_S + 0.1
    assert security not in names(_call(api, "duty_railway", STATION))
    assert compiled.count(rule.pk) == 1
    # Narrowed by a save: takes effect at once too.
    SharingRule.objects.filter(pk=rule.pk).update(geometry=rule.geometry)
    rule.refresh_from_db()
    rule.priorities = ["P1"]
    rule.save()
    assert security not in names(_call(api, "duty_railway", STATION, priority="P3"))
    assert security in names(_call(api, "duty_railway", STATION, priority="P1"))
    # Deactivated: shares nothing new, and its compiled form is dropped.
    r = api("duty_railway").post(f"/api/v1/jointcmd/sharing-rules/{rule.pk}/deactivate", {})
    assert r.status_code == 200, r.content
    assert rule.pk not in sharing._compiled
    assert security not in names(_call(api, "duty_railway", STATION, priority="P1"))


def test_a_desk_reporting_in_another_area_keeps_sight_on_the_record(api) -> None:
    # 泰禾's desk takes a call at the railway station: the station's desk owns it, 泰禾 keeps
    # sight of it by a share of its own — on the timeline and in the audit log like any share.
    from jingwu.audit.models import AuditEntry
    from jingwu.incidents.models import IncidentShare, TimelineEntry
    from jingwu.orgs.models import Organization

    inc = _call(api, "duty_taihe", STATION, type_="lost_person", priority="P2")
    taihe = Organization.objects.get(code="ws-taihe").pk
    assert IncidentShare.objects.filter(incident_id=inc["id"], organization_id=taihe).exists()
    assert api("duty_taihe").get(f"/api/v1/incidents/{inc['id']}").status_code == 200
    assert TimelineEntry.objects.filter(
        incident_id=inc["id"], kind="shared", data__organization_id=taihe
    ).exists()
    assert AuditEntry.objects.filter(
        object_type="incident_share", object_id=str(inc["id"]), organization_id=taihe
    ).exists()
