"""Figures over the cases a person may see, and their CSV and Excel exports.

Every figure starts from ``visible_cases(actor)``: a count never includes a case the person
could not open. Months are calendar months in Asia/Shanghai.

"Settled at screening before any 110 call": of the cases that reached 化解, the share that were
found by screening (a lead, a patrol, a joint meeting — not a 110 incident) and settled before
anyone called 110 about them — the 预防—排查—化解 chain working as the article describes.
"""

from __future__ import annotations

import csv
import io
import statistics
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jingwu.audit import services as audit
from jingwu.disputes.models import (
    DisputeType,
    EntryKind,
    LeadSource,
    LeadStatus,
    Stage,
    TimelineEntry,
)
from jingwu.disputes.services import access
from jingwu.disputes.services.common import COMPONENT
from jingwu.orgs.services import Actor

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _counts(qs: Any, field: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    rows = dict(qs.values_list(field).annotate(n=Count("id")).order_by())
    return [{"key": k, "label": labels.get(k, k), "count": rows[k]} for k in labels if rows.get(k)]


def figures(*, actor: Actor, now: datetime) -> dict[str, Any]:
    """Counts by type, stage, workstation and month; settlement and follow-up figures."""
    cases = access.visible_cases(actor)
    rows = list(
        cases.values(
            "id",
            "created_at",
            "settled_at",
            "first_110_at",
            "source",
            "stage",
            "workstation_org__name",
        )
    )
    by_month: dict[str, int] = {}
    by_ws: dict[str, int] = {}
    for r in rows:
        month = r["created_at"].astimezone(SHANGHAI).strftime("%Y-%m")
        by_month[month] = by_month.get(month, 0) + 1
        ws = r["workstation_org__name"] or _("（辖区外）")
        by_ws[ws] = by_ws.get(ws, 0) + 1
    settled = [r for r in rows if r["settled_at"] is not None]
    early = [
        r
        for r in settled
        if r["source"] != LeadSource.INCIDENT_110
        and (r["first_110_at"] is None or r["first_110_at"] > r["settled_at"])
    ]
    days = [(r["settled_at"] - r["created_at"]).total_seconds() / 86400 for r in settled]
    followed = set(
        TimelineEntry.objects.filter(case__in=cases, kind=EntryKind.FOLLOW_UP).values_list(
            "case_id", flat=True
        )
    )
    due_follow_up = [r for r in settled if r["stage"] in (Stage.FOLLOW_UP, Stage.CLOSED)]
    leads = access.visible_leads(actor)
    lead_total = leads.count()
    promoted = leads.filter(Q(status=LeadStatus.PROMOTED) | Q(status=LeadStatus.MERGED)).count()
    return {
        "total": len(rows),
        "by_type": _counts(cases, "type", {k: str(v) for k, v in DisputeType.choices}),
        "by_stage": _counts(cases, "stage", {k: str(v) for k, v in Stage.choices}),
        "by_workstation": [{"key": k, "label": k, "count": v} for k, v in sorted(by_ws.items())],
        "by_month": [{"key": k, "label": k, "count": v} for k, v in sorted(by_month.items())],
        "settled": len(settled),
        "settled_early": len(early),
        "settled_early_share": round(len(early) / len(settled), 3) if settled else None,
        "median_days_to_settle": round(statistics.median(days), 1) if days else None,
        "follow_ups_done": len(followed),
        "follow_up_entries": TimelineEntry.objects.filter(
            case__in=cases, kind=EntryKind.FOLLOW_UP
        ).count(),
        "follow_ups_due": len(due_follow_up),
        "follow_ups_done_share": round(
            len([r for r in due_follow_up if r["id"] in followed]) / len(due_follow_up), 3
        )
        if due_follow_up
        else None,
        "leads": lead_total,
        "leads_promoted": promoted,
        "leads_promoted_share": round(promoted / lead_total, 3) if lead_total else None,
        "at": now,
    }


EXPORT_COLUMNS = [
    gettext_lazy("案件编号"),
    gettext_lazy("标题"),
    gettext_lazy("纠纷类型"),
    gettext_lazy("阶段"),
    gettext_lazy("风险等级"),
    gettext_lazy("警务站"),
    gettext_lazy("派出所"),
    gettext_lazy("来源"),
    gettext_lazy("登记时间"),
    gettext_lazy("化解时间"),
    gettext_lazy("化解用时（天）"),
    gettext_lazy("关联警情"),
]


def export_rows(
    *, actor: Actor, request: Any = None, fmt: str
) -> tuple[list[str], list[list[Any]]]:
    """The visible cases as rows (no parties, phones or ID numbers); the export is audited."""
    qs = access.visible_cases(actor).select_related("workstation_org", "station_org").order_by("id")
    rows = []
    for c in qs:
        rows.append(
            [
                c.number,
                c.title,
                c.get_type_display(),
                c.get_stage_display(),
                c.get_risk_display(),
                c.workstation_org.name if c.workstation_org_id else "",
                c.station_org.name if c.station_org_id else "",
                c.get_source_display(),
                c.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                c.settled_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
                if c.settled_at
                else "",
                round((c.settled_at - c.created_at).total_seconds() / 86400, 1)
                if c.settled_at
                else "",
                c.incident_id or "",
            ]
        )
    audit.record(
        action="export",
        component=COMPONENT,
        user=actor.user,
        organization_id=actor.primary_organization_id,
        object_type="dispute_case",
        detail=f"{fmt} rows={len(rows)}",
        request=request,
    )
    return [str(label) for label in EXPORT_COLUMNS], rows


def export_csv(*, actor: Actor, request: Any = None) -> bytes:
    """CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    header, rows = export_rows(actor=actor, request=request, fmt="csv")
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export_xlsx(*, actor: Actor, request: Any = None, now: datetime) -> bytes:
    """An Excel workbook: the cases, and a sheet of the figures."""
    from openpyxl import Workbook

    header, rows = export_rows(actor=actor, request=request, fmt="xlsx")
    wb = Workbook()
    ws = wb.active
    ws.title = _("案件")
    ws.append(header)
    for r in rows:
        ws.append(r)
    fig = figures(actor=actor, now=now)
    sheet = wb.create_sheet(_("统计"))
    for title, key in (
        (_("按类型"), "by_type"),
        (_("按阶段"), "by_stage"),
        (_("按警务站"), "by_workstation"),
        (_("按月份"), "by_month"),
    ):
        sheet.append([title])
        for item in fig[key]:
            sheet.append([item["label"], item["count"]])
        sheet.append([])
    for label, key in (
        (_("已化解"), "settled"),
        (_("排查环节化解（110 报警前）占比"), "settled_early_share"),
        (_("化解用时中位数（天）"), "median_days_to_settle"),
        (_("已回访案件"), "follow_ups_done"),
        (_("线索转案（含并案）占比"), "leads_promoted_share"),
    ):
        sheet.append([label, fig[key]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def lead_counts(*, actor: Actor) -> dict[str, int]:
    """Open leads per status the actor may see."""
    return dict(
        access.visible_leads(actor).values_list("status").annotate(n=Count("id")).order_by()
    )
