"""Leads on the directors' board: who posts, who sees, the live event, promote, merge, dismiss,
and the likely duplicates offered."""

from __future__ import annotations

from typing import Any

import pytest

from jingwu import events
from jingwu.disputes.models import Case, Lead, LeadStatus, Participant
from jingwu.orgs.models import Organization
from tests.disputes.conftest import point_in

pytestmark = pytest.mark.django_db


def _post(client: Any, text: str = "8号楼楼道堆放杂物，邻居争吵", **extra: Any) -> Any:
    lat, lon = point_in("350111100027-03")
    body = {
        "text": text,
        "lat": lat,
        "lon": lon,
        "address": "崇贤某小区8号楼",
        "source": "grid_patrol",
    }
    return client.post("/api/v1/disputes/leads", body | extra)


@pytest.fixture
def delivered(monkeypatch: Any) -> list[dict[str, Any]]:
    """Events as the hub would fan them out (SQLite: on commit; here: at publish)."""
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(
        events,
        "publish",
        lambda kind, *, audiences, **data: seen.append(
            {"type": kind, "audiences": sorted(set(audiences)), **data}
        ),
    )
    return seen


def test_a_member_posts_a_lead_and_every_member_organization_is_told(
    api: Any, delivered: list[dict[str, Any]]
) -> None:
    r = _post(api("property_chongxian"))
    assert r.status_code == 201, r.content
    lead = Lead.objects.get(pk=r.json()["id"])
    assert lead.reporter.user.username == "property_chongxian" and lead.status == "open"
    created = [e for e in delivered if e["type"] == "dispute.lead_created"]
    assert len(created) == 1 and created[0]["id"] == lead.pk
    codes = set(
        Organization.objects.filter(
            pk__in=[int(a[4:]) for a in created[0]["audiences"]]
        ).values_list("code", flat=True)
    )
    # Every member's organization, and the workstation with its station and branch.
    assert {
        "pr-350111100027",
        "community-chongxian",
        "property-chongxian",
        "legal-aid-jinan",
        "school-gushan",
        "hospital-jinan",
        "ws-chongxian",
        "st-gushan",
        "jinan-branch",
    } <= codes
    assert "gulou-gudong" not in codes and "ws-taihe" not in codes
    assert set(created[0]) == {"type", "audiences", "id", "group", "status"}  # ids, no text


def test_the_group_sees_the_lead_and_others_do_not(api: Any) -> None:
    lead_id = _post(api("community_chongxian")).json()["id"]
    for who in ("chief_chongxian", "property_chongxian", "lawyer_jinan", "commander_jinan"):
        ids = [x["id"] for x in api(who).get("/api/v1/disputes/leads").json()["items"]]
        assert lead_id in ids, who
    for who in ("duty_taihe", "clerk_longtou", "outsider"):
        ids = [x["id"] for x in api(who).get("/api/v1/disputes/leads").json()["items"]]
        assert lead_id not in ids, who
        assert api(who).get(f"/api/v1/disputes/leads/{lead_id}").status_code == 404


def test_only_members_post_leads(api: Any) -> None:
    r = _post(api("clerk_longtou"))
    assert r.status_code == 403
    assert r.json()["detail"][0]["msg"] == "您不在任何双解主任群中，不能报送线索。"
    r = _post(api("outsider"))
    assert r.status_code == 403
    r = _post(api("property_chongxian"), source="gossip")
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "invalid", "msg": "未知的线索来源：gossip", "loc": ["source"]}
    ]
    r = _post(api("property_chongxian"), text="")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["text"]


def test_promoting_makes_a_case_the_reporter_follows(
    api: Any, delivered: list[dict[str, Any]]
) -> None:
    lead_id = _post(api("property_chongxian"), text="楼上装修漏水，楼下业主要求赔偿").json()["id"]
    r = api("property_chongxian").post(f"/api/v1/disputes/leads/{lead_id}/promote", {})
    assert r.status_code == 403
    assert r.json()["detail"][0]["msg"] == "只有群牵头人或辖区民警可以处理线索。"
    r = api("chief_chongxian").post(f"/api/v1/disputes/leads/{lead_id}/promote", {})
    assert r.status_code == 201, r.content
    case = Case.objects.get(pk=r.json()["id"])
    assert case.type == "neighbour"  # guessed from 楼上/漏水/装修
    roles = dict(
        Participant.objects.filter(case=case).values_list("person__user__username", "role")
    )
    assert roles == {"chief_chongxian": "lead_mediator", "property_chongxian": "co_mediator"}
    assert Lead.objects.get(pk=lead_id).case_id == case.pk
    again = api("chief_chongxian").post(f"/api/v1/disputes/leads/{lead_id}/promote", {})
    assert again.status_code == 409 and again.json()["detail"][0]["msg"] == "该线索已被处理。"
    assert {"dispute.lead_promoted", "dispute.case_created"} <= {e["type"] for e in delivered}
    board = api("community_chongxian").get("/api/v1/disputes/leads").json()["items"]
    mine = next(x for x in board if x["id"] == lead_id)
    # The community director sees the lead became a case, but not which one: not a participant.
    assert mine["status"] == "promoted" and mine["case_id"] is None


def test_a_reported_duplicate_is_offered_for_merging_and_merged(api: Any, water_leak: Case) -> None:
    lat, lon = water_leak.lat + 0.00005, water_leak.lon
    r = api("chief_chongxian").post(
        "/api/v1/disputes/leads",
        {
            "text": "3号楼502天花板又渗水了，李先生说楼上洪先生家卫生间漏水",
            "lat": lat,
            "lon": lon,
            "address": "鼓山镇崇贤某新建小区3号楼502",
            "source": "resident",
            "parties": [{"name": "李先生"}],
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["duplicates"][0]["kind"] == "case" and body["duplicates"][0]["id"] == water_leak.pk
    assert water_leak.pk in [x["id"] for x in body["repeats"]]
    # The school director, in the same group, is not a participant: the case is not offered.
    r2 = api("chief_chongxian").get(f"/api/v1/disputes/leads/{body['id']}")
    assert r2.json()["duplicates"][0]["id"] == water_leak.pk
    m = api("chief_chongxian").post(
        f"/api/v1/disputes/leads/{body['id']}/merge", {"case_id": water_leak.pk}
    )
    assert m.status_code == 200, m.content
    assert Lead.objects.get(pk=body["id"]).status == LeadStatus.MERGED
    assert water_leak.entries.filter(kind="merge").exists()


def test_duplicates_are_only_those_the_poster_may_see(api: Any, water_leak: Case) -> None:
    r = api("property_chongxian").post(
        "/api/v1/disputes/leads",
        {
            "text": "楼上夜间噪音，4号楼住户扬言要报复",
            "lat": water_leak.lat,
            "lon": water_leak.lon,
            "address": "鼓山镇崇贤某小区4号楼",
            "source": "resident",
        },
    )
    titles = {d["title"] for d in r.json()["duplicates"]}
    assert "楼上夜间噪音纠纷" not in titles  # the property director is not in that case


def test_dismissing_needs_a_reason(api: Any) -> None:
    lead_id = _post(api("community_chongxian")).json()["id"]
    r = api("chief_chongxian").post(f"/api/v1/disputes/leads/{lead_id}/dismiss", {"reason": " "})
    assert r.status_code == 422
    assert r.json()["detail"] == [{"type": "invalid", "msg": "此字段为必填项。", "loc": ["reason"]}]
    assert Lead.objects.get(pk=lead_id).status == "open"
    r = api("chief_chongxian").post(
        f"/api/v1/disputes/leads/{lead_id}/dismiss", {"reason": "非纠纷"}
    )
    assert r.status_code == 200 and r.json()["status"] == "dismissed"


def test_groups_list_their_members(api: Any) -> None:
    groups = api("community_chongxian").get("/api/v1/disputes/groups").json()
    (group,) = groups["items"]
    names = {m["name"] for m in group["members"]}
    assert {"林建华", "郑秀英", "王丽", "黄明", "陈晓燕", "吴国平"} <= names
    assert [m["name"] for m in group["members"] if m["is_lead"]] == ["林建华"]
