"""Figures over the demo district as the branch commander sees it, and the exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from jingwu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_the_commander_figures(api: Any) -> None:
    f = api("commander_jinan").get("/api/v1/disputes/figures").json()
    assert f["total"] == 6
    assert {r["key"]: r["count"] for r in f["by_stage"]} == {
        "registered": 1,
        "screening": 1,
        "mediating": 1,
        "settled": 1,
        "closed": 1,
        "referred": 1,
    }
    assert {r["label"]: r["count"] for r in f["by_workstation"]} == {
        "鼓山崇贤智慧警务站": 4,
        "东二环泰禾商圈智慧警务站": 1,
        "新店龙头警务站": 1,
    }
    assert {r["key"] for r in f["by_type"]} == {
        "neighbour",
        "property",
        "labour",
        "consumer",
        "family",
    }
    # Settled: the water leak (38 → 3 days ago) and the parking fees (60 → 50 days ago), both
    # found by screening and settled with no 110 call.
    assert (f["settled"], f["settled_early"], f["settled_early_share"]) == (2, 2, 1.0)
    assert f["median_days_to_settle"] == pytest.approx(22.5, abs=0.5)
    assert (f["follow_ups_done"], f["follow_ups_due"], f["follow_ups_done_share"]) == (1, 1, 1.0)
    assert (f["leads"], f["leads_promoted"], f["leads_promoted_share"]) == (5, 1, 0.2)


def test_a_110_call_before_settling_does_not_count_as_settled_at_screening(api: Any) -> None:
    from jingwu.disputes.models import Case

    leak = Case.objects.get(title="崇贤某新建小区楼上楼下漏水纠纷")
    Case.objects.filter(pk=leak.pk).update(first_110_at=leak.settled_at - timedelta(days=1))
    f = api("commander_jinan").get("/api/v1/disputes/figures").json()
    assert (f["settled"], f["settled_early"], f["settled_early_share"]) == (2, 1, 0.5)


def test_exports_carry_no_personal_data_and_are_audited(api: Any) -> None:
    chief = api("chief_chongxian")
    r = chief.get("/api/v1/disputes/export.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["案件编号", "标题", "纠纷类型", "阶段"]
    assert {row[1] for row in rows[1:]} == {
        "崇贤某新建小区楼上楼下漏水纠纷",
        "楼上夜间噪音纠纷",
        "物业费与停车位收费纠纷",
    }
    text = r.content.decode("utf-8-sig")
    assert "李先生" not in text and "139059" not in text
    wb = load_workbook(io.BytesIO(chief.get("/api/v1/disputes/export.xlsx").content))
    assert [ws.title for ws in wb.worksheets] == ["案件", "统计"]
    assert wb.worksheets[0].max_row == 4
    exports = AuditEntry.objects.filter(
        action="export", component="disputes", username="chief_chongxian"
    )
    assert sorted(exports.values_list("detail", flat=True)) == ["csv rows=3", "xlsx rows=3"]
