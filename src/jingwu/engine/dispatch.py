"""Rank the units for an incident by estimated arrival time, and say why for every unit.

One reverse search from the incident per travel mode present serves all units of that mode
(``roads.search``); each unit then reads its time from its snapped street position. A
``UnitBoard`` keeps a fleet's positions as columns and snaps each unit when its position fix
arrives, so ranking does no per-unit Python work beyond the K it returns; a plain list of
``UnitSnapshot`` works too (snapping on demand only the units that could be in reach).

Rules, in order: a unit must have a valid position, be available, belong to a patrol tier the
incident type may receive, have the required skills and reach the scene within the budget.
A position fix older than ``stale_after_s`` is flagged and its ETA widened (the unit may have
moved). Without a graph covering the incident, or for a unit far from any street, the ETA is
straight-line distance × ``detour_factor`` at the mode's typical speed, marked *estimated*.
Ties break on (ETA, tier, distance, unit id): the same input always gives the same order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from .roads import MODES, RoadError, RoadGraph, Snaps, search, snap, snap_many
from .roads.graph import InvalidPoint

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


_SNAP_COLUMNS = {
    "snapped": np.bool_, "snap_ok": np.bool_, "a": np.int64, "b": np.int64, "t": np.float64,
    "w_ab": np.float64, "w_ba": np.float64, "to_a": np.float64, "to_b": np.float64,
    "snap_m": np.float64,
}  # fmt: skip
_MODE_CODE = {m: i for i, m in enumerate(MODES)}


class UnitBoard:
    """A fleet's last positions as columns; each unit is snapped once per position fix.

    Keep one board per graph and call ``update`` as fixes arrive; ranking then only reads
    arrays. With ``snap_now=False`` units are snapped lazily, when an incident is near them.
    """

    def __init__(
        self,
        graph: RoadGraph | None,
        units: Iterable[UnitSnapshot] = (),
        *,
        snap_now: bool = True,
        max_snap_m: float = 300.0,
    ) -> None:
        self.graph, self.max_snap_m, self.snap_now = graph, max_snap_m, snap_now
        self.units: list[UnitSnapshot] = list(units)
        self._row = {u.id: i for i, u in enumerate(self.units)}
        if len(self._row) != len(self.units):
            raise DispatchError("巡防力量编号重复", code="duplicate_unit")
        self._cols = _columns(self.units)
        if snap_now:
            self._ensure_snapped(np.arange(len(self.units)))

    def __len__(self) -> int:
        return len(self.units)

    def update(self, unit: UnitSnapshot) -> None:
        """Record a new position fix or status (adding the unit if new); re-snaps it alone."""
        row = self._row.get(unit.id)
        if row is None:
            row = len(self.units)
            self.units.append(unit)
            self._row[unit.id] = row
            for name, col in self._cols.items():
                self._cols[name] = np.append(col, np.zeros(1, col.dtype))
        else:
            self.units[row] = unit
        self._write_row(row, unit)
        if self.snap_now:
            self._ensure_snapped(np.array([row]))

    def remove(self, unit_id: int | str) -> None:
        """Forget a unit (off shift, decommissioned); the others keep their snaps."""
        row = self._row.get(unit_id)
        if row is None:
            return
        keep = np.ones(len(self.units), bool)
        keep[row] = False
        self._cols = {name: col[keep] for name, col in self._cols.items()}
        del self.units[row]
        self._row = {u.id: i for i, u in enumerate(self.units)}

    def _write_row(self, i: int, u: UnitSnapshot) -> None:
        c = self._cols
        c["lat"][i], c["lon"][i] = lat, lon = _float_or_nan(u.lat), _float_or_nan(u.lon)
        c["valid"][i] = math.isfinite(lat + lon) and abs(lat) <= 90 and abs(lon) <= 180
        c["tier"][i] = u.tier
        c["mode"][i] = _MODE_CODE.get(u.mode, -1)
        c["available"][i] = u.status == AVAILABLE
        c["fix_ts"][i] = _timestamp(u.fix_time)
        c["snapped"][i] = False

    def _ensure_snapped(self, rows: npt.NDArray[np.int64]) -> None:
        c = self._cols
        rows = rows[~c["snapped"][rows]]
        if rows.size == 0:
            return
        c["snapped"][rows] = True
        c["snap_ok"][rows] = False
        if self.graph is None:
            return
        for code, mode in enumerate(MODES):
            sel = rows[c["mode"][rows] == code]
            if sel.size == 0 or mode not in self.graph.fwd:
                continue
            s = snap_many(
                self.graph, c["lat"][sel], c["lon"][sel], mode=mode, max_distance_m=self.max_snap_m
            )
            for name in ("a", "b", "t", "w_ab", "w_ba", "to_a", "to_b"):
                c[name][sel] = getattr(s, name)
            c["snap_m"][sel], c["snap_ok"][sel] = s.distance_m, s.ok

    def _snaps(self, rows: npt.NDArray[np.int64]) -> Snaps:
        c = self._cols
        return Snaps(
            c["a"][rows], c["b"][rows], c["t"][rows], c["w_ab"][rows], c["w_ba"][rows],
            c["to_a"][rows], c["to_b"][rows], c["snap_m"][rows], c["lat"][rows],
            c["lon"][rows], c["snap_ok"][rows], rows,
        )  # fmt: skip


@dataclass
class _Evaluation:
    """Everything about the eligible units; arrays are aligned with ``rows`` (board rows)."""

    rows: npt.NDArray[np.int64]
    dist: npt.NDArray[np.float64]
    raw_eta: npt.NDArray[np.float64]
    estimated: npt.NDArray[np.bool_]
    off_road: npt.NDArray[np.bool_]
    eta: npt.NDArray[np.float64]
    stale: npt.NDArray[np.bool_]
    age: npt.NDArray[np.float64]


def rank_units(
    graph: RoadGraph | None,
    incident: IncidentQuery,
    units: Sequence[UnitSnapshot] | UnitBoard,
    *,
    now: datetime,
    k: int = 5,
    budget_s: float = DEFAULT_BUDGET_S,
    allowed_tiers: frozenset[int] | None = None,
    tier_rules: Mapping[str, frozenset[int]] = DEFAULT_TIER_RULES,
    stale_after_s: float = DEFAULT_STALE_AFTER_S,
    detour_factor: float = 1.4,
    required_skills: frozenset[str] = frozenset(),
) -> list[Ranked]:
    """The ``k`` best available units by estimated arrival, each with its reasons (Chinese).

    ``allowed_tiers`` overrides ``tier_rules[incident.type]``. Raises ``DispatchError`` for an
    unknown incident type or a naive ``now``, ``RoadError`` for an incident point that is not
    a coordinate. Use ``explain_ranking`` to also get every excluded unit with its reason.
    """
    return explain_ranking(
        graph, incident, units, now=now, k=k, budget_s=budget_s, allowed_tiers=allowed_tiers,
        tier_rules=tier_rules, stale_after_s=stale_after_s, detour_factor=detour_factor,
        required_skills=required_skills, with_exclusions=False,
    ).ranked  # fmt: skip


def explain_ranking(
    graph: RoadGraph | None,
    incident: IncidentQuery,
    units: Sequence[UnitSnapshot] | UnitBoard,
    *,
    now: datetime,
    k: int = 5,
    budget_s: float = DEFAULT_BUDGET_S,
    allowed_tiers: frozenset[int] | None = None,
    tier_rules: Mapping[str, frozenset[int]] = DEFAULT_TIER_RULES,
    stale_after_s: float = DEFAULT_STALE_AFTER_S,
    detour_factor: float = 1.4,
    required_skills: frozenset[str] = frozenset(),
    with_exclusions: bool = True,
) -> Ranking:
    """``rank_units`` plus the reason each other unit was left out (``Ranking.excluded``)."""
    board = units if isinstance(units, UnitBoard) else UnitBoard(graph, units, snap_now=False)
    if board.graph is not graph:
        raise DispatchError("巡防力量面板与路网不一致", code="board_graph_mismatch")
    allowed = _allowed_tiers(incident, allowed_tiers, tier_rules)
    point = _incident_point(incident)
    eligible = _eligible(board, allowed, required_skills)
    ev = _evaluate(board, np.flatnonzero(eligible), point, budget_s, detour_factor)
    _apply_staleness(ev, _timestamp(now) - board._cols["fix_ts"][ev.rows], stale_after_s)
    order = _order(board, ev, budget_s, k, full=with_exclusions)
    ranked = [_ranked(board, ev, j, r + 1, detour_factor) for r, j in enumerate(order[:k])]
    excluded: list[Excluded] = []
    if with_exclusions:
        explain = _Explain(incident, allowed, budget_s, required_skills, k)
        excluded = _exclusions(board, ev, eligible, order, explain)
    return Ranking(ranked, excluded, budget_s)


def _allowed_tiers(
    incident: IncidentQuery,
    allowed_tiers: frozenset[int] | None,
    rules: Mapping[str, frozenset[int]],
) -> frozenset[int]:
    if allowed_tiers is not None:
        return allowed_tiers
    if incident.type not in rules:
        raise DispatchError(f"未知警情类型：{incident.type}", code="unknown_incident_type")
    return rules[incident.type]


def _tier_ok(board: UnitBoard, allowed: frozenset[int]) -> npt.NDArray[np.bool_]:
    lut = np.zeros(max(allowed, default=0) + 2, bool)
    lut[list(allowed)] = True
    tiers = board._cols["tier"]
    ok: npt.NDArray[np.bool_] = lut[np.clip(tiers, 0, lut.size - 1)] & (tiers >= 0)
    return ok


def _eligible(
    board: UnitBoard, allowed: frozenset[int], required: frozenset[str]
) -> npt.NDArray[np.bool_]:
    """Units that pass every rule but the budget: position, mode, status, tier, skills."""
    c = board._cols
    ok: npt.NDArray[np.bool_] = c["valid"] & (c["mode"] >= 0) & c["available"]
    ok &= _tier_ok(board, allowed)
    if required:
        ok &= ~_lacks_skills(board, required)
    return ok


def _evaluate(
    board: UnitBoard,
    rows: npt.NDArray[np.int64],
    point: tuple[float, float],
    budget_s: float,
    detour: float,
) -> _Evaluation:
    c = board._cols
    n = rows.size
    ev = _Evaluation(
        rows=rows, dist=_straight_m(*point, c["lat"][rows], c["lon"][rows]),
        raw_eta=np.full(n, np.inf), estimated=np.zeros(n, bool), off_road=np.zeros(n, bool),
        eta=np.empty(0), stale=np.empty(0, bool), age=np.empty(0),
    )  # fmt: skip
    modes = c["mode"][rows]
    for m, mode in enumerate(MODES):
        pos = np.flatnonzero(modes == m)
        if pos.size:
            _mode_times(board, ev, pos, mode, point, budget_s, detour)
    return ev


def _mode_times(
    board: UnitBoard,
    ev: _Evaluation,
    pos: npt.NDArray[np.int64],
    mode: str,
    point: tuple[float, float],
    budget_s: float,
    detour: float,
) -> None:
    """Fill ``raw_eta`` for one mode's units (``pos`` into ``ev``): network time or estimate."""
    graph = board.graph
    target = None
    if graph is not None and mode in graph.fwd:
        try:
            target = snap(graph, *point, mode=mode, max_distance_m=board.max_snap_m)
        except RoadError:
            target = None  # the graph does not cover the incident: every unit is estimated
    if graph is None or target is None:
        _estimate(ev, pos, mode, detour)
        return
    slack = budget_s * graph.vmax_mps[mode] * 1.01 + 50.0 + target.distance_m + board.max_snap_m
    near = pos[ev.dist[pos] <= slack]  # farther units cannot make it: no need to snap them
    board._ensure_snapped(ev.rows[near])
    ok = board._cols["snap_ok"][ev.rows[near]]
    on_road, off_road = near[ok], near[~ok]
    if on_road.size:
        field, _ = search(graph, target, budget_s)
        ev.raw_eta[on_road] = field.times_from(board._snaps(ev.rows[on_road]))
    ev.off_road[off_road] = True
    _estimate(ev, off_road, mode, detour)


def _estimate(ev: _Evaluation, pos: npt.NDArray[np.int64], mode: str, detour: float) -> None:
    ev.raw_eta[pos] = ev.dist[pos] * detour / FALLBACK_SPEED_MPS[mode]
    ev.estimated[pos] = True


def _apply_staleness(ev: _Evaluation, age: npt.NDArray[np.float64], stale_after_s: float) -> None:
    ev.age = age
    ev.stale = ev.age > stale_after_s
    widen = np.where(ev.stale, np.minimum(ev.age, STALE_WIDEN_CAP_S) * STALE_WIDEN_SHARE, 0.0)
    ev.eta = ev.raw_eta + widen


def _order(board: UnitBoard, ev: _Evaluation, budget_s: float, k: int, *, full: bool) -> list[int]:
    """Positions in ``ev`` of the units in reach, best first: the first ``k``; all if ``full``."""
    pos = np.flatnonzero(ev.raw_eta <= budget_s)
    tail: list[int] = []
    if pos.size > 4 * k > 0:
        cut = np.partition(ev.eta[pos], k - 1)[k - 1]
        if full:
            tail = sorted(pos[ev.eta[pos] > cut].tolist(), key=lambda j: _key(board, ev, j))
        pos = pos[ev.eta[pos] <= cut]
    return sorted(pos.tolist(), key=lambda j: _key(board, ev, j)) + tail


def _key(board: UnitBoard, ev: _Evaluation, j: int) -> tuple[Any, ...]:
    i = int(ev.rows[j])
    uid = board.units[i].id
    id_key = (0, uid, "") if isinstance(uid, int) else (1, 0, str(uid))
    return (float(ev.eta[j]), board.units[i].tier, float(ev.dist[j]), id_key)


def _ranked(board: UnitBoard, ev: _Evaluation, j: int, rank: int, detour: float) -> Ranked:
    u = board.units[int(ev.rows[j])]
    raw, eta, age, dist = (float(x[j]) for x in (ev.raw_eta, ev.eta, ev.age, ev.dist))
    if ev.off_road[j]:
        first = (
            f"位置距道路超过 {board.max_snap_m:.0f} 米，按直线×{detour:g} 估算约 {_duration(raw)}"
        )
    elif ev.estimated[j]:
        first = f"估算约 {_duration(raw)}（路网未覆盖，按直线×{detour:g}）"
    else:
        first = f"{MODE_VERBS.get(u.mode, '用时')}约 {_duration(raw)}"
    reasons = [first, f"直线距离 {_distance(dist)}", _tier_label(u.tier)]
    if ev.stale[j]:
        reasons.append(f"定位已过时 {_duration(age)}，预计时间已放宽 {_duration(eta - raw)}")
    return Ranked(
        rank=rank, unit_id=u.id, unit_name=u.name, tier=u.tier, mode=u.mode,
        eta_seconds=round(eta, 1), distance_m=round(dist, 1), estimated=bool(ev.estimated[j]),
        stale=bool(ev.stale[j]), fix_age_s=round(age, 1), reasons=tuple(reasons),
    )  # fmt: skip


@dataclass(frozen=True)
class _Explain:
    incident: IncidentQuery
    allowed: frozenset[int]
    budget_s: float
    required: frozenset[str]
    k: int


def _exclusions(
    board: UnitBoard,
    ev: _Evaluation,
    eligible: npt.NDArray[np.bool_],
    order: list[int],
    x: _Explain,
) -> list[Excluded]:
    out = [
        _excluded(board, int(ev.rows[j]), "not_in_top_k", f"排名第 {r}，未进入前 {x.k}")
        for r, j in enumerate(order[x.k :], start=x.k + 1)
    ]
    out_of_reach = np.zeros(len(board), bool)
    out_of_reach[ev.rows[~(ev.raw_eta <= x.budget_s)]] = True
    c = board._cols
    tier_ok = _tier_ok(board, x.allowed)
    type_name = INCIDENT_TYPE_NAMES.get(x.incident.type, x.incident.type)
    for i in np.flatnonzero(~eligible | out_of_reach).tolist():
        u = board.units[i]
        if not c["valid"][i]:
            reason = ("bad_position", "定位无效（坐标缺失或不是经纬度）")
        elif c["mode"][i] < 0:
            reason = ("unknown_mode", f"未知出行方式：{u.mode}")
        elif not c["available"][i]:
            reason = ("not_available", f"当前状态：{STATUS_NAMES.get(u.status, u.status)}，不可派")
        elif not tier_ok[i]:
            tiers = _tier_span(x.allowed)
            reason = ("tier_not_allowed", f"警情类型“{type_name}”只允许 {tiers} 级巡防力量")
        elif not x.required <= u.skills:
            reason = ("missing_skills", f"缺少所需技能：{'、'.join(sorted(x.required - u.skills))}")
        else:
            reason = ("out_of_reach", f"{_duration(x.budget_s)}内无法到达")
        out.append(_excluded(board, i, *reason))
    return out


def _excluded(board: UnitBoard, i: int, code: str, reason: str) -> Excluded:
    u = board.units[i]
    return Excluded(u.id, u.name, u.tier, u.mode, code, reason)


def _columns(units: list[UnitSnapshot]) -> dict[str, npt.NDArray[Any]]:
    """The board's columns for ``units``, one comprehension per column (no per-row writes)."""
    n = len(units)
    try:
        lat = np.array([u.lat for u in units], np.float64)
        lon = np.array([u.lon for u in units], np.float64)
    except (TypeError, ValueError):  # a malformed coordinate: NaN it, the unit is excluded
        lat = np.array([_float_or_nan(u.lat) for u in units], np.float64)
        lon = np.array([_float_or_nan(u.lon) for u in units], np.float64)
    lat, lon = lat.reshape(n), lon.reshape(n)
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    cols: dict[str, npt.NDArray[Any]] = {
        "lat": lat,
        "lon": lon,
        "valid": valid,
        "tier": np.array([u.tier for u in units], np.int64).reshape(n),
        "mode": np.array([_MODE_CODE.get(u.mode, -1) for u in units], np.int64).reshape(n),
        "available": np.array([u.status == AVAILABLE for u in units], bool).reshape(n),
        "fix_ts": np.array([_timestamp(u.fix_time) for u in units], np.float64).reshape(n),
    }
    cols.update({name: np.zeros(n, dtype) for name, dtype in _SNAP_COLUMNS.items()})
    return cols


def _lacks_skills(board: UnitBoard, required: frozenset[str]) -> npt.NDArray[np.bool_]:
    if not required:
        return np.zeros(len(board), bool)
    return np.fromiter((not required <= u.skills for u in board.units), bool, len(board))


def _straight_m(lat: float, lon: float, lats: Any, lons: Any) -> npt.NDArray[np.float64]:
    """Straight-line distances from one point (equirectangular: < 0.1 % off within a city)."""
    ky = 6_371_008.8 * math.pi / 180.0
    dx = (lons - lon) * (ky * math.cos(math.radians(lat)))
    out: npt.NDArray[np.float64] = np.hypot(dx, (lats - lat) * ky)
    return out


def _incident_point(incident: IncidentQuery) -> tuple[float, float]:
    lat, lon = _float_or_nan(incident.lat), _float_or_nan(incident.lon)
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise InvalidPoint(f"警情坐标无效：纬度 {incident.lat!r}，经度 {incident.lon!r}")
    return lat, lon


def _float_or_nan(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _timestamp(when: datetime) -> float:
    if when.tzinfo is None or when.utcoffset() is None:
        raise DispatchError("时间必须带时区（UTC）", code="naive_datetime")
    return when.timestamp()


def _tier_label(tier: int) -> str:
    return f"{tier} 级：{TIER_NAMES.get(tier, '巡防力量')}"


def _tier_span(tiers: frozenset[int]) -> str:
    ordered = sorted(tiers)
    if ordered and ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 1:
        return f"{ordered[0]}–{ordered[-1]}"
    return "、".join(str(t) for t in ordered) or "（无）"


def _duration(seconds: float) -> str:
    """45 秒 · 1 分 35 秒 · 3 分钟 · 1 小时 5 分."""
    s = max(int(round(seconds)), 0)
    if s < 60:
        return f"{s} 秒"
    if s < 3600:
        m, r = divmod(s, 60)
        return f"{m} 分钟" if r == 0 else f"{m} 分 {r} 秒"
    h, r = divmod(s, 3600)
    return f"{h} 小时 {r // 60} 分"


def _distance(metres: float) -> str:
    return f"{metres:.0f} 米" if metres < 1000 else f"{metres / 1000:.1f} 公里"
