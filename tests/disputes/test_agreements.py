"""Mediation sessions and the mediation agreement: the layout, the two files, their hashes, and a
change to either being caught."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import pytest
from docx import Document

from jingwu.audit.models import AuditEntry
from jingwu.disputes.models import Agreement, Case, MediationSession

pytestmark = pytest.mark.django_db


def _docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_the_demo_agreement_has_the_standard_layout(api: Any, water_leak: Case) -> None:
    r = api("chief_chongxian").get(f"/api/v1/disputes/cases/{water_leak.pk}/agreement.docx")
    assert r.status_code == 200
    assert "attachment" in r["Content-Disposition"]
    text = _docx_text(r.content)
    lines = text.splitlines()
    assert lines[0] == "人民调解协议书"
    assert lines[1].startswith(f"编号：{water_leak.number}-1")
    for expected in [
        "当事人（申请人）：李先生，身份证号 ",
        "当事人（被申请人）：洪先生，身份证号 ",
        "当事人（第三人）：崇贤小区物业服务中心（示意）",
        "纠纷主要事实、争议事项：",
        "经调解，当事人自愿达成如下协议：",
        "一、物业服务中心协调建设单位",
        "履行方式、时限：",
        "本协议一式 4 份",
        "当事人（签名或盖章）：",
        "调解员（签名）：",
        "林建华（崇贤社区警务室）：",
        "调解组织（印章）：鼓山崇贤智慧警务站“e体+”多维调处室",
    ]:
        assert expected in text, expected
    # ID numbers are printed masked; phones not at all.
    li = water_leak.parties.get(name="李先生")
    assert li.id_number not in text and li.id_number[-4:] in text and li.phone not in text
    assert lines[-1].endswith("日")


def test_the_pdf_is_a_pdf_with_the_chinese_font_and_its_stored_hash(
    api: Any, water_leak: Case
) -> None:
    r = api("property_chongxian").get(f"/api/v1/disputes/cases/{water_leak.pk}/agreement.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert b"STSong-Light" in r.content
    agreement = Agreement.objects.get(case=water_leak)
    assert hashlib.sha256(r.content).hexdigest() == agreement.pdf_sha256
    anchor = AuditEntry.objects.get(object_type="dispute_agreement", object_id=str(agreement.pk))
    assert anchor.detail == f"docx={agreement.docx_sha256} pdf={agreement.pdf_sha256}"


def test_verification_catches_a_changed_file_and_a_changed_hash(api: Any, water_leak: Case) -> None:
    chief = api("chief_chongxian")
    url = f"/api/v1/disputes/cases/{water_leak.pk}/agreement/verify"
    ok = chief.get(url).json()
    assert ok["intact"] and ok["anchored_in_audit_log"] and ok["pdf"]["intact"]
    pdf = chief.get(f"/api/v1/disputes/cases/{water_leak.pk}/agreement.pdf").content
    copy = chief.post(url, {"data_base64": base64.b64encode(pdf).decode()}).json()
    assert copy["upload_matches"] == "pdf"
    edited = chief.post(url, {"data_base64": base64.b64encode(pdf + b"%").decode()}).json()
    assert edited["upload_matches"] is None
    # Someone edits the stored file behind the application's back …
    agreement = Agreement.objects.get(case=water_leak)
    Agreement.objects.filter(pk=agreement.pk).update(pdf=bytes(agreement.pdf) + b"\n%tampered")
    broken = chief.get(url).json()
    assert broken["intact"] is False and broken["pdf"]["intact"] is False
    refused = chief.get(f"/api/v1/disputes/cases/{water_leak.pk}/agreement.pdf")
    assert refused.status_code == 409 and "哈希不一致" in refused.json()["detail"][0]["msg"]
    # … and then the stored hash too: the audit chain still holds the original.
    tampered = hashlib.sha256(bytes(agreement.pdf) + b"\n%tampered").hexdigest()
    Agreement.objects.filter(pk=agreement.pk).update(pdf_sha256=tampered)
    again = chief.get(url).json()
    assert again["pdf"]["intact"] is True and again["anchored_in_audit_log"] is False
    assert again["intact"] is False


def test_an_agreement_needs_a_settled_case(api: Any) -> None:
    chief = api("chief_chongxian")
    noise = Case.objects.get(title="楼上夜间噪音纠纷")
    r = chief.post(
        f"/api/v1/disputes/cases/{noise.pk}/agreement",
        {"facts": "噪音", "terms": ["晚十点后不拖动家具"], "performance": "即日起"},
    )
    assert r.status_code == 409
    assert r.json()["detail"] == [
        {
            "type": "conflict",
            "msg": "案件处于「排查」阶段：只有「化解」阶段的案件可以出具调解协议书。",
            "loc": ["stage"],
        }
    ]
    r = chief.get(f"/api/v1/disputes/cases/{noise.pk}/agreement.pdf")
    assert r.status_code == 409
    assert r.json()["detail"][0]["msg"] == "案件处于「排查」阶段：只有已化解的案件才有调解协议书。"
    assert not Agreement.objects.filter(case=noise).exists()


def test_a_new_version_is_generated_with_its_own_hashes(api: Any, water_leak: Case) -> None:
    chief = api("chief_chongxian")
    r = chief.post(
        f"/api/v1/disputes/cases/{water_leak.pk}/agreement",
        {
            "facts": "同上",
            "terms": ["补充条款：维修后一年内再渗漏由物业负责"],
            "performance": "如上",
            "signed_on": "2026-04-01",
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["version"] == 2
    text = _docx_text(chief.get(f"/api/v1/disputes/cases/{water_leak.pk}/agreement.docx").content)
    assert "补充条款" in text and "2026年4月1日" in text
    bad = chief.post(
        f"/api/v1/disputes/cases/{water_leak.pk}/agreement",
        {"facts": "同上", "terms": [], "performance": "如上"},
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["terms"]
    party = api("property_chongxian").post(
        f"/api/v1/disputes/cases/{water_leak.pk}/agreement",
        {"facts": "x", "terms": ["x"], "performance": "x"},
    )
    assert party.status_code == 403


def test_a_mediation_session_lists_who_attended(api: Any) -> None:
    chief = api("chief_chongxian")
    noise = Case.objects.get(title="楼上夜间噪音纠纷")
    me = noise.participants.get(person__user__username="chief_chongxian")
    r = chief.post(
        f"/api/v1/disputes/cases/{noise.pk}/sessions",
        {
            "held_at": "2026-03-20T14:00:00+08:00",
            "place": "“e体+”多维调处室",
            "summary": "双方同意晚十点后保持安静",
            "agreed": True,
            "attendee_ids": [me.pk],
        },
    )
    assert r.status_code == 201, r.content
    session = MediationSession.objects.get(pk=r.json()["id"])
    assert list(session.attendees.all()) == [me]
    entry = noise.entries.get(kind="mediation_session")
    assert entry.data["attendees"] == ["林建华"] and entry.data["agreed"] is True
    r = chief.post(
        f"/api/v1/disputes/cases/{noise.pk}/sessions",
        {
            "held_at": "2026-03-20T14:00:00+08:00",
            "place": "x",
            "summary": "x",
            "attendee_ids": [999999],
        },
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["attendee_ids"]
