"""The audit log: append-only, hash-chained, verified by the CLI."""

from __future__ import annotations

import pytest
from django.db import connection
from typer.testing import CliRunner

from jingwu.audit import services
from jingwu.audit.models import AuditEntry
from jingwu.cli import app

pytestmark = pytest.mark.django_db


def _three_rows() -> list[AuditEntry]:
    return [
        services.record(action="read", component="test", object_type="thing", object_id=i)
        for i in range(3)
    ]


def test_rows_chain_to_their_predecessor(demo: None) -> None:
    rows = _three_rows()
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert services.verify_chain().ok


def test_rows_cannot_be_updated_or_deleted_through_the_application(demo: None) -> None:
    row = _three_rows()[0]
    row.detail = "changed"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=row.pk).update(detail="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def test_verify_names_the_first_row_changed_behind_the_applications_back(demo: None) -> None:
    rows = _three_rows()
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE audit_auditentry SET object_id = %s WHERE id = %s", ["tampered", rows[1].pk]
        )
    result = services.verify_chain()
    assert not result.ok and result.broken_id == rows[1].pk and result.reason == "content"
    cli = CliRunner().invoke(app, ["audit", "verify"])
    assert cli.exit_code == 1
    assert f"row {rows[1].pk}" in cli.output


def test_verify_finds_a_deleted_row(demo: None) -> None:
    rows = _three_rows()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE id = %s", [rows[1].pk])
    result = services.verify_chain()
    assert result.broken_id == rows[2].pk and result.reason == "link"


def test_cli_verify_passes_on_an_intact_chain(demo: None) -> None:
    _three_rows()
    cli = CliRunner().invoke(app, ["audit", "verify"])
    assert cli.exit_code == 0, cli.output
    assert "intact" in cli.output


def test_unknown_action_is_refused(demo: None) -> None:
    with pytest.raises(ValueError):
        services.record(action="tamper", component="test")
