"""Managing organizations and memberships through the API: administrators only, bad input refused."""

from __future__ import annotations

import pytest

from jingwu.orgs.models import Membership, Organization

pytestmark = pytest.mark.django_db


def test_admin_creates_an_organization_and_gives_a_role(api) -> None:
    admin = api("admin_jinan")
    r = admin.post(
        "/api/v1/orgs",
        {
            "kind": "community",
            "name": "鹿溪社区居委会",
            "code": "community-luxi",
            "parent_code": "ws-chongxian",
        },
    )
    assert r.status_code == 201, r.content
    assert Organization.objects.get(code="community-luxi").parent.code == "ws-chongxian"
    r = admin.post(
        "/api/v1/orgs/community-luxi/members",
        {"username": "community_chongxian", "role": "community_director"},
    )
    assert r.status_code == 201
    # A person may belong to several organizations.
    assert Membership.objects.filter(person__user__username="community_chongxian").count() == 2


def test_unknown_kind_is_refused_with_a_field_message(api) -> None:
    r = api("admin_jinan").post(
        "/api/v1/orgs", {"kind": "bank", "name": "某银行", "code": "bank-1"}
    )
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "invalid", "msg": "未知的单位类型：bank", "loc": ["kind"]}
    ]
    assert not Organization.objects.filter(code="bank-1").exists()


def test_unknown_role_is_refused_in_english_too(api) -> None:
    r = api("admin_jinan", language="en").post(
        "/api/v1/orgs/ws-taihe/members", {"username": "duty_taihe", "role": "sheriff"}
    )
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "invalid", "msg": "Unknown role: sheriff", "loc": ["role"]}
    ]


def test_a_duplicate_code_is_a_conflict(api) -> None:
    r = api("admin_jinan").post(
        "/api/v1/orgs", {"kind": "school", "name": "重复", "code": "ws-taihe"}
    )
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["code"]


def test_non_admins_are_forbidden_and_the_denial_is_audited(api) -> None:
    from jingwu.audit.models import AuditEntry

    r = api("commander_jinan").post(
        "/api/v1/orgs", {"kind": "school", "name": "某校", "code": "school-x"}
    )
    assert r.status_code == 403
    assert AuditEntry.objects.filter(action="denied", username="commander_jinan").exists()
    assert not Organization.objects.filter(code="school-x").exists()
