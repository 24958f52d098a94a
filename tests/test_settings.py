"""Settings from the environment: the secret key guard and SQLite's durability pragmas."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

from jingwu import settings as project_settings


def _import_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JINGWU_")}
    return subprocess.run(
        [sys.executable, "-c", "import jingwu.settings"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_default_secret_key_is_refused_outside_dev(tmp_path: Path) -> None:
    refused = _import_settings({"JINGWU_DATA_DIR": str(tmp_path)})
    assert refused.returncode != 0
    assert "JINGWU_SECRET_KEY is not set" in refused.stderr
    assert _import_settings({"JINGWU_DATA_DIR": str(tmp_path), "JINGWU_ENV": "dev"}).returncode == 0
    assert (
        _import_settings(
            {"JINGWU_DATA_DIR": str(tmp_path), "JINGWU_SECRET_KEY": "x" * 50}
        ).returncode
        == 0
    )


def test_sqlite_runs_in_wal_with_full_sync_foreign_keys_and_a_busy_timeout(
    tmp_path: Path, django_db_blocker
) -> None:
    db = DatabaseWrapper({**_settings_dict(tmp_path / "t.sqlite3")}, alias="pragma-check")
    with django_db_blocker.unblock():
        db.connect()
    try:
        cur = db.connection.cursor()
        assert cur.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cur.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert cur.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert cur.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        assert db.transaction_mode == "IMMEDIATE"
    finally:
        db.close()


def _settings_dict(path: Path) -> dict[str, object]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": project_settings._sqlite_options(),
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }


def test_time_zone_and_languages() -> None:
    assert project_settings.TIME_ZONE == "Asia/Shanghai" and project_settings.USE_TZ
    assert project_settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in project_settings.LANGUAGES] == ["zh-hans", "en"]


def test_postgresql_binds_on_the_server_and_prepares_hot_statements(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/somewhere"
    monkeypatch.setenv("JINGWU_DATABASE_URL", url)
    monkeypatch.delenv("JINGWU_PG_PREPARED", raising=False)
    options = project_settings._database()["OPTIONS"]
    assert options == {"server_side_binding": True, "prepare_threshold": 5}
    monkeypatch.setenv("JINGWU_PG_PREPARED", "0")  # a pooler that cannot keep them
    assert not project_settings._database().get("OPTIONS")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's own"
)
def test_statements_are_prepared_on_postgresql_connections(db: None) -> None:
    """On PostgreSQL a statement run five times on one connection is prepared on the server
    (planned once)."""
    with connection.cursor() as cursor:
        for _ in range(6):
            cursor.execute("SELECT id FROM orgs_organization WHERE code = %s", ["jinan-branch"])
            cursor.fetchall()
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] >= 1
