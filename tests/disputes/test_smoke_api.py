"""The issue's API shape end to end: lead → promote → stages → agreement, as the API user sees it."""

from __future__ import annotations

import pytest

from tests.disputes.conftest import point_in

pytestmark = pytest.mark.django_db


def test_lead_to_agreement_through_the_api(api) -> None:
    prop, chief = api("property_chongxian"), api("chief_chongxian")
    lat, lon = point_in("350111100027-02")
    r = prop.post(
        "/api/v1/disputes/leads",
        {
            "text": "6号楼楼上装修漏水，楼下业主很生气",
            "lat": lat,
            "lon": lon,
            "address": "崇贤某小区6号楼",
            "source": "resident",
        },
    )
    assert r.status_code == 201, r.content
    lead_id = r.json()["id"]
    assert lead_id in [x["id"] for x in chief.get("/api/v1/disputes/leads").json()["items"]]
    r = chief.post(f"/api/v1/disputes/leads/{lead_id}/promote", {})
    assert r.status_code == 201, r.content
    case_id = r.json()["id"]
    for stage in ["screening", "mediating", "settled"]:
        r = chief.post(f"/api/v1/disputes/cases/{case_id}/transitions", {"to": stage})
        assert r.status_code == 200, r.content
    r = chief.post(
        f"/api/v1/disputes/cases/{case_id}/parties", {"name": "李某", "role": "applicant"}
    )
    assert r.status_code == 201, r.content
    r = chief.post(
        f"/api/v1/disputes/cases/{case_id}/agreement",
        {"facts": "漏水", "terms": ["维修"], "performance": "十日内"},
    )
    assert r.status_code == 201, r.content
    r = prop.get(f"/api/v1/disputes/cases/{case_id}/agreement.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = prop.get(f"/api/v1/disputes/cases/{case_id}/agreement.docx")
    assert r.status_code == 200 and r.content.startswith(b"PK")
    r = api("outsider").get(f"/api/v1/disputes/cases/{case_id}")
    assert r.status_code == 404
