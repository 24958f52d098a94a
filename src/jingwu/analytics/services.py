"""Response figures (出警数据): how fast calls are dispatched, reached and settled.

Intervals per incident: call→dispatch, dispatch→arrival, call→arrival, on scene→resolved;
grouped by workstation, priority, type or hour of the call (Beijing time); the share reached
within its response target; and this period against the one just before it (the article's
"arrival time down 30 %"). Exports as CSV and Excel. Only incidents the actor may see count.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jingwu.audit import services as audit
from jingwu.errors import Invalid
from jingwu.incidents.models import IncidentType, Priority, Status
from jingwu.incidents.services import visible_incidents
from jingwu.orgs.models import Organization
from jingwu.orgs.services import Actor

METRICS: dict[str, tuple[str, str, Any]] = {
    "call_to_dispatch": ("received_at", "dispatched_at", gettext_lazy("接警→派警")),
    "dispatch_to_arrival": ("dispatched_at", "on_scene_at", gettext_lazy("派警→到场")),
    "call_to_arrival": ("received_at", "on_scene_at", gettext_lazy("接警→到场")),
    "on_scene_to_resolved": ("on_scene_at", "resolved_at", gettext_lazy("到场→处置完毕")),
}
GROUPS = ("workstation", "priority", "type", "hour", "all")
LONGEST_PERIOD = timedelta(days=400)


@dataclass(frozen=True)
class Period:
    """[start, end) in aware datetimes, and the same length just before it."""

    start: datetime
    end: datetime

    @property
    def previous(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start)


def period_from(*, start: date | None, end: date | None, today: date) -> Period:
    """Local calendar days ``start``..``end`` inclusive (default: the last 28 days)."""
    end = end or today
    start = start or end - timedelta(days=27)
    if start > end:
        raise Invalid(_("开始日期不能晚于结束日期。"), loc=["from"])
    span = Period(
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )
    if span.end - span.start > LONGEST_PERIOD:
        raise Invalid(_("统计区间不能超过 400 天。"), loc=["from"])
    return span


def _rows(actor: Actor, period: Period) -> list[dict[str, Any]]:
    fields = [
        "organization_id",
        "priority",
        "type",
        "received_at",
        "dispatched_at",
        "on_scene_at",
        "resolved_at",
        "target_s",
    ]
    return list(
        visible_incidents(actor=actor)
        .filter(received_at__gte=period.start, received_at__lt=period.end)
        .exclude(status=Status.CANCELLED)
        .values(*fields)
    )


def _key(row: dict[str, Any], by: str) -> Any:
    if by == "workstation":
        return row["organization_id"]
    if by == "hour":
        return timezone.localtime(row["received_at"]).hour
    if by == "all":
        return "all"
    return row[by]


def _stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"count": len(rows)}
    for name, (a, b, _label) in METRICS.items():
        secs = np.array([(r[b] - r[a]).total_seconds() for r in rows if r[a] and r[b]], float)
        out[name] = (
            {"n": int(secs.size), "mean_s": round(float(secs.mean()), 1), "median_s": round(float(np.median(secs)), 1),
             "p90_s": round(float(np.percentile(secs, 90)), 1)}
            if secs.size else {"n": 0, "mean_s": None, "median_s": None, "p90_s": None}
        )  # fmt: skip
    arrived = [r for r in rows if r["on_scene_at"]]
    met = sum(
        1 for r in arrived if (r["on_scene_at"] - r["received_at"]).total_seconds() <= r["target_s"]
    )
    out["arrived"] = len(arrived)
    out["within_target"] = round(met / len(arrived), 4) if arrived else None
    return out


def _change(now: dict[str, Any], before: dict[str, Any]) -> dict[str, float | None]:
    """Relative change of each metric's mean (negative = faster than before)."""
    out: dict[str, float | None] = {}
    for name in METRICS:
        a, b = now[name]["mean_s"], before[name]["mean_s"]
        out[name] = round((a - b) / b, 4) if a is not None and b else None
    return out


def _labels(by: str, keys: Iterable[Any]) -> dict[Any, str]:
    if by == "workstation":
        return dict(Organization.objects.filter(pk__in=list(keys)).values_list("id", "name"))
    if by == "priority":
        return {k: str(Priority(k).label) for k in keys}
    if by == "type":
        return {k: str(IncidentType(k).label) for k in keys}
    if by == "hour":
        return {k: f"{k:02d}:00–{k:02d}:59" for k in keys}
    return {"all": _("全部")}


def response_figures(*, actor: Actor, period: Period, by: str = "workstation") -> dict[str, Any]:
    """The figures for ``period`` grouped ``by`` one dimension, each against the previous period."""
    if by not in GROUPS:
        raise Invalid(_("分组方式必须是 workstation、priority、type、hour 或 all。"), loc=["by"])
    now_rows, before_rows = _rows(actor, period), _rows(actor, period.previous)
    groups: dict[Any, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for rows, i in ((now_rows, 0), (before_rows, 1)):
        for r in rows:
            groups.setdefault(_key(r, by), ([], []))[i].append(r)
    labels = _labels(by, groups)
    out_groups = []
    for key in sorted(groups, key=lambda k: (str(type(k)), k)):
        cur, prev = _stats(groups[key][0]), _stats(groups[key][1])
        out_groups.append(
            {
                "key": key,
                "label": labels.get(key, str(key)),
                **cur,
                "previous": prev,
                "change": _change(cur, prev),
            }
        )
    total, total_prev = _stats(now_rows), _stats(before_rows)
    return {
        "by": by,
        "period": {"from": period.start, "to": period.end},
        "previous_period": {"from": period.previous.start, "to": period.previous.end},
        "metrics": {k: str(v[2]) for k, v in METRICS.items()},
        "total": {**total, "previous": total_prev, "change": _change(total, total_prev)},
        "groups": out_groups,
    }


def _table(fig: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    head = [_("分组"), _("区间"), _("警情数"), _("已到场"), _("时限内到场占比")]
    for label in fig["metrics"].values():
        head += [
            f"{label} {_('平均（秒）')}",
            f"{label} {_('中位数（秒）')}",
            f"{label} P90（秒）",
            f"{label} {_('较上期变化')}",
        ]
    rows = []
    for g in [{"label": _("合计"), **fig["total"]}, *fig["groups"]]:
        for which, stats, change in ((_("本期"), g, g["change"]), (_("上期"), g["previous"], None)):
            row = [g["label"], which, stats["count"], stats["arrived"], stats["within_target"]]
            for name in fig["metrics"]:
                m = stats[name]
                row += [m["mean_s"], m["median_s"], m["p90_s"], change[name] if change else None]
            rows.append(row)
    return head, rows


def export_figures(*, actor: Actor, period: Period, by: str, fmt: str) -> tuple[bytes, str]:
    """The figures as CSV (UTF-8 with BOM, opens in Excel) or XLSX; the export is audited."""
    if fmt not in ("csv", "xlsx"):
        raise Invalid(_("导出格式必须是 csv 或 xlsx。"), loc=["format"])
    fig = response_figures(actor=actor, period=period, by=by)
    head, rows = _table(fig)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(head)
        writer.writerows(rows)
        data = ("\ufeff" + buf.getvalue()).encode("utf-8")
        mime = "text/csv; charset=utf-8"
    else:
        data, mime = (
            _xlsx(head, rows, fig),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    audit.record(action="export", component="analytics", user=actor.user, object_type="response_figures",
                 object_id=by, detail=f"{fmt} {fig['period']['from']:%Y-%m-%d}..{fig['period']['to']:%Y-%m-%d}")  # fmt: skip
    return data, mime


def _xlsx(head: list[str], rows: list[list[Any]], fig: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("出警响应")
    start, end = fig["period"]["from"], fig["period"]["to"] - timedelta(days=1)
    ws.append(
        [
            _("统计区间"),
            f"{timezone.localtime(start):%Y-%m-%d} – {timezone.localtime(end):%Y-%m-%d}",
        ]
    )
    ws.append([])
    ws.append(head)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for col in ws.iter_cols(min_row=4, min_col=5, max_col=len(head)):
        for cell in col:
            if isinstance(cell.value, float) and (
                cell.column == 5 or head[cell.column - 1].endswith(_("较上期变化"))
            ):
                cell.number_format = "0.0%"
    ws.freeze_panes = "C4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
