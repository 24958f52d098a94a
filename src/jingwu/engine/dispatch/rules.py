"""Dispatch rules and vocabulary: tiers, incident types, statuses, the value types, wording.

Everything an officer reads is here, in Chinese, next to the rules that produce it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

AVAILABLE = "available"
DEFAULT_BUDGET_S = 600.0
DEFAULT_STALE_AFTER_S = 120.0
STALE_WIDEN_SHARE = 0.5
"""A stale unit's ETA grows by this share of its fix age (capped), as it may have moved away."""
STALE_WIDEN_CAP_S = 300.0
FALLBACK_SPEED_MPS = MappingProxyType({"car": 30 / 3.6, "ebike": 15 / 3.6, "foot": 1.2})
"""Typical urban speeds for straight-line estimates (not top speeds)."""

TIER_NAMES = MappingProxyType(
    {1: "巡逻警车", 2: "警务站民警", 3: "辅警巡逻", 4: "物业保安", 5: "志愿者"}
)
INCIDENT_TYPE_NAMES = MappingProxyType({
    "dispute": "纠纷", "theft": "盗窃", "robbery": "抢劫", "fight": "打架斗殴",
    "drunk": "醉酒滋事", "lost_person": "人员走失", "traffic": "交通事故", "fire": "火情",
    "noise": "噪音扰民", "eco_damage": "破坏生态", "help": "群众求助", "other": "其他",
    "illegal_logging": "盗伐林木", "poaching": "非法狩猎", "illegal_mining": "非法采砂采石",
    "pollution": "污染环境", "land_occupation": "非法占用林地",
})  # fmt: skip
DEFAULT_TIER_RULES: Mapping[str, frozenset[int]] = MappingProxyType(
    {
        "robbery": frozenset({1, 2}),  # violent: police only
        "fight": frozenset({1, 2}),
        "theft": frozenset({1, 2, 3}),
        "drunk": frozenset({1, 2, 3}),
        "traffic": frozenset({1, 2, 3}),
        "other": frozenset({1, 2, 3}),
        "dispute": frozenset({1, 2, 3, 4}),
        "noise": frozenset({1, 2, 3, 4}),
        "fire": frozenset({1, 2, 3, 4}),  # first aid and evacuation until the fire brigade arrives
        "lost_person": frozenset({1, 2, 3, 4, 5}),  # every pair of eyes helps
        "eco_damage": frozenset({1, 2, 3, 4, 5}),
        "poaching": frozenset({1, 2}),  # hunters carry weapons: police only
        "illegal_logging": frozenset({1, 2, 3}),
        "illegal_mining": frozenset({1, 2, 3}),
        "land_occupation": frozenset({1, 2, 3}),
        "pollution": frozenset({1, 2, 3, 4, 5}),
        "help": frozenset({1, 2, 3, 4, 5}),
    }
)
"""Which patrol tiers (1 police car … 5 volunteers) each incident type may receive."""
STATUS_NAMES = MappingProxyType({
    "available": "空闲", "dispatched": "已派出", "en_route": "出警途中", "on_scene": "在现场",
    "busy": "执行任务中", "off_duty": "不在岗", "offline": "离线",
})  # fmt: skip
MODE_VERBS = MappingProxyType({"car": "车程", "ebike": "骑行", "foot": "步行"})


class DispatchError(ValueError):
    """A ranking request that cannot be answered as asked (unknown type, naive time)."""

    code = "dispatch_error"

    def __init__(self, msg: str, *, code: str | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        if code is not None:
            self.code = code


@dataclass(frozen=True)
class UnitSnapshot:
    """A unit as last reported: where, how it moves, what it is and may do, and when fixed."""

    id: int | str
    lat: float
    lon: float
    mode: str
    tier: int
    status: str
    skills: frozenset[str]
    fix_time: datetime
    name: str = ""


@dataclass(frozen=True)
class IncidentQuery:
    """The incident to send someone to: place, type code (``DEFAULT_TIER_RULES``), priority."""

    lat: float
    lon: float
    type: str
    priority: int = 2


@dataclass(frozen=True)
class Ranked:
    """One proposed unit. ``eta_seconds`` already includes the widening of a stale fix.

    ``distance_m`` is the straight-line distance; ``estimated`` means no road graph was used.
    """

    rank: int
    unit_id: int | str
    unit_name: str
    tier: int
    mode: str
    eta_seconds: float
    distance_m: float
    estimated: bool
    stale: bool
    fix_age_s: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Excluded:
    """A unit that is not proposed, with a stable ``code`` and a sentence for the officer."""

    unit_id: int | str
    unit_name: str
    tier: int
    mode: str
    code: str
    reason: str


@dataclass(frozen=True)
class Ranking:
    """The K best units and, for every other unit, why not."""

    ranked: list[Ranked]
    excluded: list[Excluded]
    budget_s: float


def tier_label(tier: int) -> str:
    """``1 级：巡逻警车``."""
    return f"{tier} 级：{TIER_NAMES.get(tier, '巡防力量')}"


def tier_span(tiers: frozenset[int]) -> str:
    """``1–2`` for a run of tiers, ``1、3`` otherwise."""
    ordered = sorted(tiers)
    if ordered and ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 1:
        return f"{ordered[0]}–{ordered[-1]}"
    return "、".join(str(t) for t in ordered) or "（无）"


def duration_text(seconds: float) -> str:
    """45 秒 · 1 分 35 秒 · 3 分钟 · 1 小时 5 分."""
    s = max(int(round(seconds)), 0)
    if s < 60:
        return f"{s} 秒"
    if s < 3600:
        m, r = divmod(s, 60)
        return f"{m} 分钟" if r == 0 else f"{m} 分 {r} 秒"
    h, r = divmod(s, 3600)
    return f"{h} 小时 {r // 60} 分"


def distance_text(metres: float) -> str:
    """``420 米`` · ``1.9 公里``."""
    return f"{metres:.0f} 米" if metres < 1000 else f"{metres / 1000:.1f} 公里"
