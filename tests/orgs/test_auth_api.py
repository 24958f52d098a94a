"""Log-in through the API: tokens, expiry, revocation, lockout, audit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jingwu.audit.models import AuditEntry
from jingwu.orgs.models import ApiToken
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _login(username: str, password: str, language: str = "zh-hans") -> object:
    return Client(HTTP_ACCEPT_LANGUAGE=language).post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": password}),
        content_type="application/json",
    )


def test_token_is_issued_for_a_right_password_and_works_as_bearer(demo: None) -> None:
    r = _login("duty_taihe", DEMO_PASSWORD)
    assert r.status_code == 200
    token = r.json()["token"]
    assert token.startswith("jw_") and r.json()["expires_in"] > 0
    me = Client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["roles"] == ["duty_officer"]
    assert me.json()["name"] == "陈志强"
    # Only the hash is stored.
    assert not ApiToken.objects.filter(key_hash=token).exists()


def test_wrong_password_gets_a_chinese_field_error_and_is_audited(demo: None) -> None:
    before = AuditEntry.objects.filter(action="login_failed").count()
    r = _login("duty_taihe", "wrong-password")
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "invalid", "msg": "用户名或密码不正确。", "loc": ["password"]}
    ]
    assert AuditEntry.objects.filter(action="login_failed").count() == before + 1
    assert not ApiToken.objects.exists()


def test_wrong_password_message_is_english_on_request(demo: None) -> None:
    r = _login("duty_taihe", "wrong-password", language="en")
    assert r.json()["detail"][0]["msg"] == "Wrong username or password."


def test_five_failures_lock_the_account_even_for_the_right_password(demo: None) -> None:
    for _ in range(5):
        assert _login("clerk_longtou", "nope-nope").status_code in (422, 403)
    r = _login("clerk_longtou", DEMO_PASSWORD)
    assert r.status_code == 403
    assert "锁定" in r.json()["detail"][0]["msg"]
    # Another account is not affected.
    assert _login("duty_taihe", DEMO_PASSWORD).status_code == 200


def test_a_success_resets_the_failure_count(demo: None) -> None:
    for _ in range(4):
        _login("lawyer_jinan", "nope-nope")
    assert _login("lawyer_jinan", DEMO_PASSWORD).status_code == 200
    for _ in range(4):
        _login("lawyer_jinan", "nope-nope")
    assert _login("lawyer_jinan", DEMO_PASSWORD).status_code == 200


def test_revoked_token_stops_working(demo: None) -> None:
    token = _login("commander_jinan", DEMO_PASSWORD).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert Client().delete("/api/v1/auth/token", headers=auth).status_code == 204
    r = Client().get("/api/v1/auth/me", headers=auth)
    assert r.status_code == 401
    assert r.json()["detail"][0]["type"] == "unauthenticated"


def test_expired_token_stops_working(demo: None) -> None:
    token = _login("commander_jinan", DEMO_PASSWORD).json()["token"]
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert (
        Client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_no_token_gets_401(demo: None) -> None:
    assert Client().get("/api/v1/auth/me").status_code == 401


def test_malformed_json_gets_400_with_a_message(demo: None) -> None:
    r = Client().post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert r.status_code == 400
    assert r.json()["detail"] == [
        {"type": "json_invalid", "msg": "请求体不是有效的 JSON。", "loc": ["body"]}
    ]


def test_missing_field_gets_422_naming_the_field(demo: None) -> None:
    r = Client().post(
        "/api/v1/auth/token", data=json.dumps({"username": "x"}), content_type="application/json"
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["password"]
    assert r.json()["detail"][0]["msg"] == "此字段为必填项。"


def test_oversized_body_gets_413(demo: None, settings: object) -> None:
    body = json.dumps({"username": "x" * 2_000_000, "password": "y"})
    r = Client().post("/api/v1/auth/token", data=body, content_type="application/json")
    assert r.status_code == 413
    assert r.json()["detail"][0]["type"] == "too_large"


def test_passwords_are_hashed_with_argon2(duty_taihe: object) -> None:
    assert duty_taihe.password.startswith("argon2$")  # type: ignore[attr-defined]
