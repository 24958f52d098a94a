"""Early warning: a risk score per case from rules a commander can read, and the alert when a
case becomes 可能激化.

Each rule gives points with a reason; the score is their sum and maps to a level. The case's
effective level is the higher of the level people declared and the level of the score, so a
rule can raise a case but never quietly lower what a mediator judged. Scores are recomputed
on every write to a case and daily for time in stage (``jingwu manage disputes_rescore``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jingwu.disputes.models import (
    OPEN_STAGES,
    RISK_ORDER,
    Case,
    EntryKind,
    Lead,
    Party,
    Risk,
    RiskAssessment,
    TimelineEntry,
)
from jingwu.disputes.services import access
from jingwu.orgs.services import Actor

REPEAT_DAYS = 90
REPEAT_RADIUS_M = 50.0

VIOLENCE_WORDS = (
    "打人",
    "殴打",
    "动手",
    "打架",
    "斗殴",
    "推搡",
    "厮打",
    "持刀",
    "拿刀",
    "砍",
    "伤人",
    "砸",
)
THREAT_WORDS = ("威胁", "报复", "弄死", "杀了", "同归于尽", "放火", "炸了", "走着瞧", "要你好看")
SELF_HARM_WORDS = ("自杀", "跳楼", "轻生", "喝农药", "不想活", "割腕", "寻死", "以死相逼")


@dataclass(frozen=True)
class Rule:
    """One early-warning rule: its code, what it means, and how it scores."""

    code: str
    label: Any
    points: str


RULES = [
    Rule(
        "repeat_address",
        gettext_lazy("同一地址 90 天内的其他纠纷"),
        gettext_lazy("每起 +15，最多 +30"),
    ),
    Rule(
        "violence_words", gettext_lazy("文字中有暴力字眼（打人、持刀、砸…）"), gettext_lazy("+25")
    ),
    Rule("threat_words", gettext_lazy("文字中有威胁字眼（报复、同归于尽…）"), gettext_lazy("+25")),
    Rule("self_harm_words", gettext_lazy("文字中有自伤、轻生字眼"), gettext_lazy("+35")),
    Rule("incident_110", gettext_lazy("已有 110 报警"), gettext_lazy("+15")),
    Rule(
        "party_open_cases", gettext_lazy("当事人另有未结纠纷"), gettext_lazy("每起 +10，最多 +20")
    ),
    Rule(
        "stage_days",
        gettext_lazy("在当前阶段停留的天数"),
        gettext_lazy("每 3 天 +2，最多 +10；超期再 +10"),
    ),
]
#: Score → level: at least this many points.
LEVEL_FLOORS = [(70, Risk.ESCALATING), (45, Risk.HIGH), (20, Risk.MEDIUM), (0, Risk.LOW)]


def level_for(score: int) -> str:
    """The risk level of a score."""
    return next(level for floor, level in LEVEL_FLOORS if score >= floor)


def higher(a: str, b: str) -> str:
    """The higher of two risk levels."""
    return max(a, b, key=lambda r: RISK_ORDER.index(Risk(r)))


def _near_q(lat: float, lon: float, radius_m: float) -> Q:
    dlat = radius_m / 111_195.0
    dlon = dlat / max(0.1, math.cos(math.radians(lat)))
    return Q(lat__range=(lat - dlat, lat + dlat), lon__range=(lon - dlon, lon + dlon))


def repeat_cases(
    *,
    lat: float,
    lon: float,
    address_key: str,
    id_numbers: list[str],
    phones: list[str],
    since: datetime,
    exclude: list[int] | None = None,
) -> QuerySet[Case]:
    """Cases since ``since`` at the same place (≤ 50 m or the same address) or with a shared
    party (ID number or phone) — every case, whoever may see it: callers filter for people."""
    q = _near_q(lat, lon, REPEAT_RADIUS_M)
    if address_key:
        q |= Q(address_key=address_key)
    if id_numbers:
        q |= Q(parties__id_number__in=id_numbers)
    if phones:
        q |= Q(parties__phone__in=phones)
    qs = Case.objects.filter(q, created_at__gte=since, merged_into__isnull=True)
    return qs.exclude(pk__in=exclude or []).distinct()


def _text_of(case: Case) -> str:
    entries = TimelineEntry.objects.filter(case=case).exclude(kind=EntryKind.STAGE)
    leads = Lead.objects.filter(case=case).values_list("text", flat=True)
    return "\n".join([case.description, *entries.values_list("text", flat=True), *leads])


def evaluate(case: Case, now: datetime) -> tuple[int, list[dict[str, Any]]]:
    """The score of a case and the reasons: ``[{"rule", "points", "detail"}]``."""
    reasons: list[dict[str, Any]] = []
    since = now - timedelta(days=REPEAT_DAYS)
    near = (
        Case.objects.filter(
            _near_q(case.lat, case.lon, REPEAT_RADIUS_M)
            | (Q(address_key=case.address_key) if case.address_key else Q(pk__in=[])),
            created_at__gte=since,
            merged_into__isnull=True,
        )
        .exclude(pk=case.pk)
        .count()
    )
    if near:
        reasons.append({"rule": "repeat_address", "points": min(30, 15 * near), "detail": near})
    text = _text_of(case)
    for code, words, points in (
        ("violence_words", VIOLENCE_WORDS, 25),
        ("threat_words", THREAT_WORDS, 25),
        ("self_harm_words", SELF_HARM_WORDS, 35),
    ):
        found = [w for w in words if w in text]
        if found:
            reasons.append({"rule": code, "points": points, "detail": "、".join(found[:3])})
    if case.incident_id is not None or case.first_110_at is not None:
        reasons.append({"rule": "incident_110", "points": 15, "detail": ""})
    others = _party_open_cases(case)
    if others:
        reasons.append(
            {"rule": "party_open_cases", "points": min(20, 10 * others), "detail": others}
        )
    if case.stage in OPEN_STAGES:
        days = max(0, (now - case.stage_entered_at).days)
        pts = min(10, 2 * (days // 3)) + (10 if case.due_at and case.due_at < now else 0)
        if pts:
            reasons.append({"rule": "stage_days", "points": pts, "detail": days})
    return sum(r["points"] for r in reasons), reasons


def _party_open_cases(case: Case) -> int:
    keys = list(case.parties.exclude(id_number="", phone="").values_list("id_number", "phone"))
    ids = [i for i, _p in keys if i]
    phones = [p for _i, p in keys if p]
    if not ids and not phones:
        return 0
    q = Q()
    if ids:
        q |= Q(id_number__in=ids)
    if phones:
        q |= Q(phone__in=phones)
    return (
        Party.objects.filter(q, case__stage__in=OPEN_STAGES, case__merged_into__isnull=True)
        .exclude(case=case)
        .values("case")
        .distinct()
        .count()
    )


def rescore_case(*, case: Case, now: datetime) -> Case:
    """Recompute a case's score; record it if it changed; alert when it becomes 可能激化."""
    score, reasons = evaluate(case, now)
    level = higher(case.risk_declared, level_for(score))
    if score == case.risk_score and level == case.risk and reasons == case.risk_reasons:
        return case
    before = case.risk
    Case.objects.filter(pk=case.pk).update(risk_score=score, risk=level, risk_reasons=reasons)
    case.risk_score, case.risk, case.risk_reasons = score, level, reasons
    RiskAssessment.objects.create(case=case, at=now, score=score, level=level, reasons=reasons)
    if level == Risk.ESCALATING and before != Risk.ESCALATING:
        from jingwu.disputes.services.common import add_entry_row, publish_case

        add_entry_row(
            case,
            kind=EntryKind.RISK,
            actor=None,
            now=now,
            text=_("风险升至「可能激化」，请立即研判处置。"),
            data={"score": score, "from": before},
        )
        publish_case(case, "dispute.escalating")
    return case


def rescore_open_cases(*, now: datetime) -> int:
    """Rescore every open case (daily: time in stage grows without any write); count changes."""
    changed = 0
    for case in Case.objects.filter(stage__in=OPEN_STAGES).iterator(chunk_size=500):
        before = (case.risk_score, case.risk)
        rescore_case(case=case, now=now)
        changed += before != (case.risk_score, case.risk)
    return changed


def rising_cases(
    *, actor: Actor, now: datetime, days: int = 7, limit: int = 50
) -> list[dict[str, Any]]:
    """Open cases the actor may see whose score rose in the last ``days`` or that are high or
    可能激化 — highest level first, then the largest rise."""
    since = now - timedelta(days=days)
    cases = list(
        access.visible_cases(actor).filter(stage__in=OPEN_STAGES).select_related("workstation_org")
    )
    earlier: dict[int, int] = {}
    for case_id, score in (
        RiskAssessment.objects.filter(case__in=[c.pk for c in cases], at__lt=since)
        .order_by("case_id", "-at", "-id")
        .values_list("case_id", "score")
    ):
        earlier.setdefault(case_id, score)
    out = []
    for case in cases:
        rise = case.risk_score - earlier.get(case.pk, 0)
        if rise > 0 or case.risk in (Risk.HIGH, Risk.ESCALATING):
            out.append((case, rise))
    out.sort(key=lambda cr: (-RISK_ORDER.index(Risk(cr[0].risk)), -cr[1], -cr[0].risk_score))
    return [
        {
            "id": c.pk,
            "number": c.number,
            "title": c.title,
            "risk": c.risk,
            "risk_label": c.get_risk_display(),
            "score": c.risk_score,
            "rise": rise,
            "stage": c.stage,
            "stage_label": c.get_stage_display(),
            "workstation": c.workstation_org.name if c.workstation_org_id else "",
            "reasons": explain(c.risk_reasons),
        }
        for c, rise in out[:limit]
    ]


def explain(reasons: list[dict[str, Any]]) -> list[str]:
    """Reasons as sentences: "<rule> (detail) +points"."""
    labels = {r.code: str(r.label) for r in RULES}
    out = []
    for r in reasons:
        detail = f"（{r['detail']}）" if r.get("detail") not in ("", None) else ""
        out.append(f"{labels.get(r['rule'], r['rule'])}{detail} +{r['points']}")
    return out


def escalating_for(*, actor: Actor, limit: int = 10) -> QuerySet[Case]:
    """Open cases at 可能激化 the actor may see (the home-page alert)."""
    return (
        access.visible_cases(actor)
        .filter(stage__in=OPEN_STAGES, risk=Risk.ESCALATING)
        .order_by("-risk_score", "-id")[:limit]
    )
