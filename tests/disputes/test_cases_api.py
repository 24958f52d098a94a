"""Cases through the API: registration, jurisdiction, bad input, the stage machine, people and
the timeline — status and error body asserted, and nothing written on a refusal."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from jingwu.audit.models import AuditEntry
from jingwu.disputes.models import Case, Participant, Party, Stage, TimelineEntry
from jingwu.engine.idnumber import make_id_number
from tests.disputes.conftest import point_in

pytestmark = pytest.mark.django_db

VALID_ID = make_id_number("350111", date(1986, 3, 9), 11, "male")
BAD_CHECK = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")


def _new_case(client: Any, **overrides: Any) -> Any:
    # A grid of the chief's police room where the demo has no case (so no repeat by place).
    lat, lon = point_in("350111100027-04")
    body = {
        "type": "neighbour",
        "description": "楼上装修噪音，楼下住户多次投诉。",
        "lat": lat,
        "lon": lon,
        "address": "崇贤某小区7号楼",
        "risk": "low",
        "parties": [
            {"name": "李某", "id_number": VALID_ID, "phone": "13905910099", "role": "applicant"}
        ],
    } | overrides
    return client.post("/api/v1/disputes/cases", body)


def _detail(client: Any, case_id: int) -> dict[str, Any]:
    r = client.get(f"/api/v1/disputes/cases/{case_id}")
    assert r.status_code == 200, r.content
    return r.json()


def _move(client: Any, case_id: int, *stages: str) -> None:
    for stage in stages:
        r = client.post(f"/api/v1/disputes/cases/{case_id}/transitions", {"to": stage})
        assert r.status_code == 200, r.content


def test_a_case_is_placed_in_its_jurisdiction_and_its_author_mediates_it(api: Any) -> None:
    chief = api("chief_chongxian")
    r = _new_case(chief)
    assert r.status_code == 201, r.content
    case = Case.objects.select_related("room_org", "workstation_org", "station_org").get(
        pk=r.json()["id"]
    )
    assert case.room_org.code == "pr-350111100027"
    assert case.workstation_org.code == "ws-chongxian"
    assert case.station_org.code == "st-gushan"
    assert case.stage == Stage.REGISTERED and case.due_at is not None
    assert r.json()["number"] == case.number
    detail = _detail(chief, case.pk)
    assert [(p["username"], p["role"]) for p in detail["participants"]] == [
        ("chief_chongxian", "lead_mediator")
    ]
    assert detail["parties"][0]["id_number"] == VALID_ID  # police see it whole


def test_a_party_with_a_wrong_check_digit_is_refused_and_nothing_is_written(api: Any) -> None:
    before = (Case.objects.count(), Party.objects.count())
    r = _new_case(api("chief_chongxian"), parties=[{"name": "李某", "id_number": BAD_CHECK}])
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "invalid", "msg": "身份证号校验位不正确。", "loc": ["parties", 0, "id_number"]}
    ]
    assert (Case.objects.count(), Party.objects.count()) == before


def test_bad_input_is_named_field_by_field(api: Any) -> None:
    chief = api("chief_chongxian")
    cases = [
        ({"type": "gossip"}, ["type"], "未知的纠纷类型：gossip"),
        ({"risk": "extreme"}, ["risk"], "未知的风险等级：extreme"),
        ({"description": "  "}, ["description"], "此字段为必填项。"),
        (
            {"parties": [{"name": "李某", "phone": "12345"}]},
            ["parties", 0, "phone"],
            "电话号码格式不正确。",
        ),
        ({"parties": [{"name": "李某", "role": "judge"}]}, ["parties", 0, "role"], None),
        ({"lat": 39.9, "lon": 116.4}, ["lat"], "该位置不在本分局辖区内。"),
        ({"lat": "abc"}, ["lat"], "请输入数字。"),
    ]
    for overrides, loc, msg in cases:
        r = _new_case(chief, **overrides)
        assert r.status_code == 422, (overrides, r.content)
        err = r.json()["detail"][0]
        assert err["loc"] == loc, overrides
        if msg:
            assert err["msg"] == msg
    english = _new_case(api("chief_chongxian", language="en"), type="gossip")
    assert english.json()["detail"][0]["msg"].startswith("Unknown dispute type")


def test_the_outsider_cannot_register_a_case_in_this_district(api: Any) -> None:
    r = _new_case(api("outsider"))
    assert r.status_code == 422
    assert r.json()["detail"][0] == {
        "type": "invalid",
        "msg": "该位置不在本分局辖区内。",
        "loc": ["lat"],
    }


def test_stages_follow_the_lifecycle(api: Any) -> None:
    chief = api("chief_chongxian")
    case_id = _new_case(chief).json()["id"]
    r = chief.post(f"/api/v1/disputes/cases/{case_id}/transitions", {"to": "settled"})
    assert r.status_code == 409
    assert r.json()["detail"] == [
        {"type": "invalid_transition", "msg": "不能从「登记」转到「化解」。", "loc": ["to"]}
    ]
    r = chief.post(f"/api/v1/disputes/cases/{case_id}/transitions", {"to": "archived"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["to"]
    assert Case.objects.get(pk=case_id).stage == Stage.REGISTERED
    _move(chief, case_id, "screening", "mediating")
    r = chief.post(f"/api/v1/disputes/cases/{case_id}/transitions", {"to": "failed"})
    assert r.status_code == 422
    assert r.json()["detail"] == [{"type": "invalid", "msg": "此字段为必填项。", "loc": ["reason"]}]
    r = chief.post(
        f"/api/v1/disputes/cases/{case_id}/transitions", {"to": "failed", "reason": "双方分歧大"}
    )
    assert r.status_code == 200 and r.json()["stage"] == "failed"
    r = chief.post(
        f"/api/v1/disputes/cases/{case_id}/transitions",
        {"to": "referred", "reason": "引导诉讼", "referral_to": "court"},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["referral_to"]
    r = chief.post(
        f"/api/v1/disputes/cases/{case_id}/transitions",
        {"to": "referred", "reason": "引导诉讼", "referral_to": "litigation"},
    )
    assert r.status_code == 200
    case = Case.objects.get(pk=case_id)
    assert (case.stage, case.referral_to, case.due_at) == ("referred", "litigation", None)
    stages = [e.data["to"] for e in TimelineEntry.objects.filter(case=case, kind="stage")]
    assert stages == ["registered", "screening", "mediating", "failed", "referred"]


def test_a_stale_transition_loses_the_race(api: Any, monkeypatch: Any) -> None:
    """Two mediators both move a case on from 排查: the conditional update lets one win."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from jingwu.disputes.services import access, workflow
    from jingwu.errors import InvalidTransition
    from jingwu.orgs.services import actor_for

    chief = api("chief_chongxian")
    case_id = _new_case(chief).json()["id"]
    _move(chief, case_id, "screening")
    stale = Case.objects.get(pk=case_id)  # this mediator read it at 排查 …
    Case.objects.filter(pk=case_id).update(stage=Stage.MEDIATING)  # … the other one moved first
    monkeypatch.setattr(access, "get_case", lambda **kw: stale)
    actor = actor_for(get_user_model().objects.get(username="chief_chongxian"))
    with pytest.raises(InvalidTransition, match="已被他人更新"):
        workflow.transition(actor=actor, case_id=case_id, to="settled", now=timezone.now())
    assert Case.objects.get(pk=case_id).stage == Stage.MEDIATING


def test_parties_and_observers_read_but_do_not_write(api: Any, water_leak: Case) -> None:
    prop = api("property_chongxian")  # a party to the water-leak case
    r = prop.post(f"/api/v1/disputes/cases/{water_leak.pk}/transitions", {"to": "follow_up"})
    assert r.status_code == 403
    assert r.json()["detail"][0]["msg"] == "只有本案调解员或辖区民警可以进行此操作。"
    r = prop.post(f"/api/v1/disputes/cases/{water_leak.pk}/timeline", {"kind": "note", "text": "x"})
    assert r.status_code == 403
    assert "只能查看进展" in r.json()["detail"][0]["msg"]
    assert _detail(prop, water_leak.pk)["timeline"]


def test_a_participant_is_added_by_account_and_then_sees_the_case(api: Any) -> None:
    chief = api("chief_chongxian")
    case_id = _new_case(chief).json()["id"]
    assert api("lawyer_jinan").get(f"/api/v1/disputes/cases/{case_id}").status_code == 404
    r = chief.post(
        f"/api/v1/disputes/cases/{case_id}/participants",
        {"username": "lawyer_jinan", "role": "expert"},
    )
    assert r.status_code == 201, r.content
    assert api("lawyer_jinan").get(f"/api/v1/disputes/cases/{case_id}").status_code == 200
    again = chief.post(
        f"/api/v1/disputes/cases/{case_id}/participants",
        {"username": "lawyer_jinan", "role": "observer"},
    )
    assert again.status_code == 409
    assert again.json()["detail"][0] == {
        "type": "conflict",
        "msg": "此人已是本案参与人。",
        "loc": ["username"],
    }
    bad_role = chief.post(
        f"/api/v1/disputes/cases/{case_id}/participants",
        {"username": "duty_taihe", "role": "judge"},
    )
    assert bad_role.status_code == 422 and bad_role.json()["detail"][0]["loc"] == ["role"]
    stranger = chief.post(
        f"/api/v1/disputes/cases/{case_id}/participants",
        {"username": "outsider", "role": "observer"},
    )
    assert stranger.status_code == 422
    assert stranger.json()["detail"][0]["msg"] == "此人不属于本分局的单位，不能加入本案。"
    assert not Participant.objects.filter(
        case_id=case_id, person__user__username="outsider"
    ).exists()


def test_timeline_entries_with_attachments_and_the_closed_case_refusal(api: Any) -> None:
    import base64

    chief = api("chief_chongxian")
    case_id = _new_case(chief).json()["id"]
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20
    r = chief.post(
        f"/api/v1/disputes/cases/{case_id}/timeline",
        {
            "kind": "site_inspection",
            "text": "现场查看",
            "attachments": [
                {
                    "name": "现场.png",
                    "content_type": "image/png",
                    "data_base64": base64.b64encode(png).decode(),
                }
            ],
        },
    )
    assert r.status_code == 201, r.content
    entry = _detail(chief, case_id)["timeline"][-1]
    assert entry["kind"] == "site_inspection" and entry["author"] == "林建华"
    download = chief.get(entry["attachments"][0]["url"])
    assert download.status_code == 200 and download.content == png
    assert api("outsider").get(entry["attachments"][0]["url"]).status_code == 404
    fake = chief.post(
        f"/api/v1/disputes/cases/{case_id}/timeline",
        {
            "kind": "note",
            "text": "x",
            "attachments": [
                {
                    "name": "a.png",
                    "content_type": "image/png",
                    "data_base64": base64.b64encode(b"GIF89a").decode(),
                }
            ],
        },
    )
    assert fake.status_code == 422 and fake.json()["detail"][0]["loc"] == [
        "attachments",
        0,
        "content_type",
    ]
    r = chief.post(f"/api/v1/disputes/cases/{case_id}/timeline", {"kind": "stage", "text": "x"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["kind"]
    _move(chief, case_id, "screening", "settled", "follow_up", "closed")
    count = TimelineEntry.objects.filter(case_id=case_id).count()
    r = chief.post(f"/api/v1/disputes/cases/{case_id}/timeline", {"kind": "note", "text": "补记"})
    assert r.status_code == 409
    assert r.json()["detail"] == [
        {"type": "conflict", "msg": "案件已结案，不能再添加进展记录。", "loc": ["kind"]}
    ]
    assert TimelineEntry.objects.filter(case_id=case_id).count() == count


def test_ids_and_phones_are_masked_for_partners_and_every_read_is_audited(
    api: Any, water_leak: Case
) -> None:
    before = AuditEntry.objects.filter(
        object_type="dispute_case", object_id=str(water_leak.pk), action="read"
    ).count()
    police = _detail(api("chief_chongxian"), water_leak.pk)["parties"]
    partner = _detail(api("community_chongxian"), water_leak.pk)["parties"]
    li_police = next(p for p in police if p["name"] == "李先生")
    li_partner = next(p for p in partner if p["name"] == "李先生")
    assert len(li_police["id_number"]) == 18 and "*" not in li_police["id_number"]
    assert (
        "*" in li_partner["id_number"]
        and li_partner["id_number"][-4:] == li_police["id_number"][-4:]
    )
    assert "*" in li_partner["phone"] and li_police["phone"] == "13905910001"
    after = AuditEntry.objects.filter(
        object_type="dispute_case", object_id=str(water_leak.pk), action="read"
    )
    assert after.count() == before + 2
    assert set(after.values_list("username", flat=True)) >= {
        "chief_chongxian",
        "community_chongxian",
    }
    assert all(VALID_ID not in d for d in after.values_list("detail", flat=True))


def test_every_write_is_audited_in_its_transaction(api: Any) -> None:
    chief = api("chief_chongxian")
    case_id = _new_case(chief).json()["id"]
    _move(chief, case_id, "screening")
    rows = AuditEntry.objects.filter(object_type="dispute_case", object_id=str(case_id))
    assert list(rows.order_by("id").values_list("action", "detail")) == [
        ("create", ""),
        ("update", "stage registered->screening"),
    ]


def test_merging_a_duplicate_case_closes_it_into_the_other(api: Any) -> None:
    chief = api("chief_chongxian")
    a = _new_case(chief).json()["id"]
    b = _new_case(chief, description="7号楼楼上装修噪音扰民", parties=[{"name": "王某"}]).json()
    assert any(d["id"] == a for d in b["duplicates"]), b["duplicates"]
    r = chief.post(f"/api/v1/disputes/cases/{b['id']}/merge", {"into": a})
    assert r.status_code == 200, r.content
    merged = Case.objects.get(pk=b["id"])
    assert merged.stage == Stage.CLOSED and merged.merged_into_id == a
    assert {"李某", "王某"} <= set(Party.objects.filter(case_id=a).values_list("name", flat=True))
    r = chief.post(f"/api/v1/disputes/cases/{a}/merge", {"into": a})
    assert r.status_code == 422


def test_repeats_at_the_same_address_within_90_days_are_flagged(api: Any) -> None:
    chief = api("chief_chongxian")
    first = _new_case(chief).json()["id"]
    second = _new_case(chief, type="property", description="物业费争议，与前案无关。").json()
    assert [r["id"] for r in second["repeats"]] == [first]
    reasons = Case.objects.get(pk=second["id"]).risk_reasons
    assert {"rule": "repeat_address", "points": 15, "detail": 1} in reasons
