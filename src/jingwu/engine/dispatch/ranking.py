"""Rank units for an incident: one search per travel mode, every unit read in O(1)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from ..plain import frozen, plain_view
from ..roads import DEFAULT_MAX_SNAP_M, MODES, RoadError, RoadGraph, Snap, search, snap
from ..roads.bounded import along_segment, offsets_to
from ..roads.graph import InvalidPoint
from ..roads.snapping import snap_of, snap_values
from .board import UnitBoard, float_or_nan, lacks_skills, timestamp_of
from .reach import ReachIndex
from .rules import (
    DEFAULT_BUDGET_S,
    DEFAULT_STALE_AFTER_S,
    DEFAULT_TIER_RULES,
    FALLBACK_SPEED_MPS,
    INCIDENT_TYPE_NAMES,
    MODE_VERBS,
    STALE_WIDEN_CAP_S,
    STALE_WIDEN_SHARE,
    STATUS_NAMES,
    TIER_NAMES,
    DispatchError,
    Excluded,
    IncidentQuery,
    Ranked,
    Ranking,
    UnitSnapshot,
    distance_text,
    duration_text,
    tier_label,
    tier_span,
)


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
    if (
        isinstance(units, UnitBoard)
        and (reach := units.reach) is not None
        and budget_s <= reach.budget_s
    ):
        # ``explain_ranking``'s reach-index path (its checks in the same order), without
        # building what only its other paths read; the common cases of its checks inline
        if units.graph is not graph:
            raise DispatchError("巡防力量面板与路网不一致", code="board_graph_mismatch")
        allowed = allowed_tiers if allowed_tiers is not None else tier_rules.get(incident.type)
        if allowed is None:
            allowed = _allowed_tiers(incident, allowed_tiers, tier_rules)  # raises
        lean = units._memo.get(("lean", allowed, required_skills))
        if lean is None:
            lean = _lean_memo(units, allowed, required_skills)
        lat, lon = incident.lat, incident.lon
        if not (
            type(lat) is float and type(lon) is float and -90 <= lat <= 90 and -180 <= lon <= 180
        ):
            lat, lon = _incident_point(incident)  # converts, or raises
        now_ts = now.timestamp() if now.tzinfo is UTC else timestamp_of(now)
        quick = _lean_indexed(
            units, reach, lean, (lat, lon), budget_s, detour_factor, now_ts, stale_after_s, k,
            None,
        )  # fmt: skip
        if quick is not None:
            return quick
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
    early_stop: bool = True,
) -> Ranking:
    """``rank_units`` plus the reason each other unit was left out (``Ranking.excluded``).

    Without exclusions and with ``early_stop``, budgets of 5 minutes and more are searched in
    two passes when ``k`` units are near enough, a share of the budget first (``_first_limit``);
    the answer is the same (tests hold it to that).
    """
    listed: list[UnitSnapshot] = []
    if isinstance(units, UnitBoard):
        board = units
    elif with_exclusions:  # every unit is named: convert them all
        board = UnitBoard(graph, units, snap_now=False)
    else:  # only units within reach can be named: convert those (after the same checks)
        listed = _checked_list(units)
        board = UnitBoard(graph, (), snap_now=False)
    if board.graph is not graph:
        raise DispatchError("巡防力量面板与路网不一致", code="board_graph_mismatch")
    allowed = _allowed_tiers(incident, allowed_tiers, tier_rules)
    point = _incident_point(incident)
    if listed:
        board = _board_within_reach(graph, listed, point, budget_s, detour_factor)
    eligible, rows = board.memo(
        ("eligible", allowed, required_skills),
        lambda: _eligible_rows(board, allowed, required_skills),
    )
    now_ts = timestamp_of(now)
    dist = None
    prep: _Prepared | None = None
    reach = board.reach
    if reach is not None and budget_s <= reach.budget_s:
        prep = _Prepared({}, {})
        if not with_exclusions:  # the index names the units in reach: keep only those
            lean = _lean_memo(board, allowed, required_skills)
            quick = _lean_indexed(
                board, reach, lean, point, budget_s, detour_factor, now_ts, stale_after_s, k,
                prep,
            )  # fmt: skip
            if quick is not None:
                return Ranking(quick, [], budget_s)
            counts = lean.counts
            rows = _indexed_rows(board, reach, eligible, rows, counts, point, budget_s, prep)
            few = _lean_ranking(
                board, prep, rows, point, budget_s, detour_factor, timestamp_of(now),
                stale_after_s, k,
            )  # fmt: skip
            if few is not None:
                return Ranking(few, [], budget_s)
    if not with_exclusions:  # nobody beyond reach is named: leave them out at once
        rows, dist = _within_reach(board, rows, point, budget_s, detour_factor)
    ages = now_ts - board._cols["fix_ts"][rows]
    # Without exclusions to explain, search part of the budget first: when the k best are
    # already in, nobody beyond can beat them (their ETA exceeds that part of the budget).
    limits: tuple[float, ...] = (budget_s,)
    if early_stop and not with_exclusions and budget_s >= 300 and prep is None:
        first = _first_limit(board, dist, budget_s, detour_factor, k)
        if first is not None:
            limits = (first, budget_s)
    for limit in limits:
        ev = _evaluate(board, rows, point, limit, detour_factor, dist, prep)
        _apply_staleness(ev, ages, stale_after_s)
        if limit == budget_s or _settled(ev, limit, k):
            break
    order = _order(board, ev, budget_s, k, full=with_exclusions)
    ranked = _ranked_all(board, ev, order[:k], detour_factor)
    excluded: list[Excluded] = []
    if with_exclusions:
        explain = _Explain(incident, allowed, budget_s, required_skills, k)
        excluded = _exclusions(board, ev, eligible, order, explain)
    return Ranking(ranked, excluded, budget_s)


#: The share of the straight-line bound within which a unit is counted as likely to arrive
#: within a first pass's limit (deciding whether and how far a first pass is worth running).
LIKELY_SHARE = 0.5

#: The limits a first pass may take, as shares of the budget, smallest first.
FIRST_PASS_SHARES = (1 / 2, 2 / 3, 5 / 6)


def _first_limit(
    board: UnitBoard,
    dist: npt.NDArray[np.float64] | None,
    budget_s: float,
    detour: float,
    k: int,
) -> float | None:
    """The limit of a first pass likely to find the ``k`` best, or None for one full pass.

    A first pass that cannot settle costs a whole search more, and a search costs about the
    square of its limit: take the smallest of ``FIRST_PASS_SHARES`` of the budget within
    whose straight-line bound (``LIKELY_SHARE`` of it: streets are rarely straight, and not
    every unit drives at the top speed) at least ``k`` units lie; none when fewer do.
    """
    if dist is None or k <= 0:
        return budget_s * FIRST_PASS_SHARES[0]
    # the k-th nearest unit, straight line
    kth = float(np.partition(dist, k - 1)[k - 1]) if dist.size >= k else math.inf
    for share in FIRST_PASS_SHARES:
        limit = budget_s * share
        bound = _reach_m(board.graph, limit, detour, board.max_snap_m)
        if not math.isfinite(bound) or kth <= LIKELY_SHARE * bound:
            return limit  # (no bound, a detour factor of 0: the first share)
    return None


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
        ok &= ~lacks_skills(board, required)
    return ok


def _eligible_rows(
    board: UnitBoard, allowed: frozenset[int], required: frozenset[str]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    eligible = _eligible(board, allowed, required)
    return eligible, np.flatnonzero(eligible)


def _reach_m(graph: RoadGraph | None, budget_s: float, detour: float, max_snap_m: float) -> float:
    """The straight-line distance beyond which no unit can arrive within ``budget_s``.

    On the network a unit needs at least its distance to the incident's street position at
    the mode's top speed; estimated, distance × detour at the fallback speed. Whatever the
    mode, a unit beyond both bounds (with the largest snap distances) can only be excluded.
    """
    if not detour > 0:
        return math.inf  # a detour factor of 0 estimates everyone at once: no bound
    reach = max(budget_s * v / detour for v in FALLBACK_SPEED_MPS.values())
    if graph is not None:
        vmax = max(graph.vmax_mps.values(), default=0.0)
        reach = max(reach, budget_s * vmax * 1.01 + 50.0 + 2 * max_snap_m)
    return reach


def _within_reach(
    board: UnitBoard,
    rows: npt.NDArray[np.int64],
    point: tuple[float, float],
    budget_s: float,
    detour: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The ``rows`` whose straight-line distance leaves any chance of arriving in ``budget_s``,
    and those distances."""
    c = board._cols
    dist = _straight_m(*point, c["lat"][rows], c["lon"][rows])
    reach = _reach_m(board.graph, budget_s, detour, board.max_snap_m)
    if not math.isfinite(reach):
        return rows, dist
    keep = dist <= reach
    return rows[keep], dist[keep]


def _checked_list(units: Sequence[UnitSnapshot]) -> list[UnitSnapshot]:
    """The units as a list, refused as a ``UnitBoard`` would refuse them (duplicates, naive
    fix times): ranking a list without exclusions converts only the units within reach."""
    listed = list(units)
    if len({u.id for u in listed}) != len(listed):
        raise DispatchError("巡防力量编号重复", code="duplicate_unit")
    for u in listed:
        if u.fix_time.tzinfo is None:
            timestamp_of(u.fix_time)  # raises the board's error
    return listed


def _board_within_reach(
    graph: RoadGraph | None,
    units: list[UnitSnapshot],
    point: tuple[float, float],
    budget_s: float,
    detour: float,
) -> UnitBoard:
    """A board of the ``units`` that may arrive within ``budget_s`` (``_within_reach``)."""
    reach = _reach_m(graph, budget_s, detour, DEFAULT_MAX_SNAP_M)
    if not math.isfinite(reach):
        return UnitBoard(graph, units, snap_now=False)
    n = len(units)
    try:
        lat = np.fromiter(map(_LAT, units), np.float64, n)
        lon = np.fromiter(map(_LON, units), np.float64, n)
    except (TypeError, ValueError):  # a coordinate that is not a number: NaN, as on a board
        lat = np.fromiter((float_or_nan(u.lat) for u in units), np.float64, n)
        lon = np.fromiter((float_or_nan(u.lon) for u in units), np.float64, n)
    keep = (_straight_m(*point, lat, lon) <= reach).nonzero()[0].tolist()
    return UnitBoard(graph, [units[i] for i in keep], snap_now=False)


_LAT, _LON = attrgetter("lat"), attrgetter("lon")


def _evaluate(
    board: UnitBoard,
    rows: npt.NDArray[np.int64],
    point: tuple[float, float],
    budget_s: float,
    detour: float,
    dist: npt.NDArray[np.float64] | None = None,
    prep: _Prepared | None = None,
) -> _Evaluation:
    c = board._cols
    n = rows.size
    if dist is None:
        dist = _straight_m(*point, c["lat"][rows], c["lon"][rows])
    ev = _Evaluation(
        rows=rows, dist=dist,
        raw_eta=np.full(n, math.inf), estimated=np.zeros(n, bool), off_road=np.zeros(n, bool),
        eta=np.empty(0), stale=np.empty(0, bool), age=np.empty(0),
    )  # fmt: skip
    modes = c["mode"][rows]
    counts = np.bincount(modes, minlength=len(MODES)).tolist()
    for m, mode in enumerate(MODES):
        if counts[m]:
            pos = np.arange(n) if counts[m] == n else (modes == m).nonzero()[0]
            _mode_times(board, ev, pos, mode, point, budget_s, detour, prep)
    return ev


def _mode_times(
    board: UnitBoard,
    ev: _Evaluation,
    pos: npt.NDArray[np.int64],
    mode: str,
    point: tuple[float, float],
    budget_s: float,
    detour: float,
    prep: _Prepared | None = None,
) -> None:
    """Fill ``raw_eta`` for one mode's units (``pos`` into ``ev``): network time or estimate."""
    graph = board.graph
    if prep is not None and mode in prep.targets:
        target = prep.targets[mode]
    else:
        target = _incident_snap(board, point, mode)
    if graph is None or target is None:
        _estimate(ev, pos, mode, detour)
        return
    slack = budget_s * graph.vmax_mps[mode] * 1.01 + 50.0 + target.distance_m + board.max_snap_m
    near = pos[ev.dist[pos] <= slack]  # farther units cannot make it: no need to snap them
    near_rows = ev.rows[near]
    if not board.snap_now:
        board._ensure_snapped(near_rows)
    ok = board._cols["snap_ok"][near_rows]
    if ok.all():
        on_road, on_rows, off_road = near, near_rows, near[:0]
    else:
        on_road, off_road = near[ok], near[~ok]
        on_rows = ev.rows[on_road]
    if on_road.size:
        if board.reach is not None and board.reach.covers(mode, budget_s):
            full = prep.times.get(mode) if prep is not None else None
            if full is None:
                full = board.reach.times_to(target, len(board))[0]
            ev.raw_eta[on_road] = _indexed_times(board, full, target, on_rows, budget_s)
        else:
            field, _ = search(graph, target, budget_s)
            ev.raw_eta[on_road] = board._times_to(field, on_rows)
    if off_road.size:
        ev.off_road[off_road] = True
        _estimate(ev, off_road, mode, detour)


LEAN_MAX_ROWS = 48
"""Above this many units named by the index, the array path ranks them faster."""


@dataclass
class _Prepared:
    """Per mode, the incident's snap (None: off the network) and the index's times to it."""

    targets: dict[str, Snap | None]
    times: dict[str, npt.NDArray[np.float64]]


def _incident_snap(board: UnitBoard, point: tuple[float, float], mode: str) -> Snap | None:
    graph = board.graph
    if graph is None or mode not in graph.rev:
        return None
    try:
        return snap(graph, *point, mode=mode, max_distance_m=board.max_snap_m)
    except RoadError:
        return None  # the graph does not cover the incident: every unit is estimated


def _indexed_rows(
    board: UnitBoard,
    reach: ReachIndex,
    eligible: npt.NDArray[np.bool_],
    rows: npt.NDArray[np.int64],
    counts: list[int],
    point: tuple[float, float],
    budget_s: float,
    prep: _Prepared,
) -> npt.NDArray[np.int64]:
    """The eligible ``rows`` that may arrive within ``budget_s``: those the index finds, those
    on the incident's own segment, and those whose ETA is an estimate (off the network, or a
    mode the index or the incident's snap does not cover), which ``_evaluate`` then handles."""
    c = board._cols
    off_network = board.memo(("off_network",), lambda: np.flatnonzero(~c["snap_ok"]))
    parts = [off_network] if off_network.size else []
    for m, mode in enumerate(MODES):
        if not counts[m]:
            continue
        if mode in prep.targets:  # snapped already by ``_lean_indexed``
            target = prep.targets[mode]
        else:
            target = prep.targets[mode] = _incident_snap(board, point, mode)
        if target is None or not reach.covers(mode, budget_s):
            parts.append(rows[c["mode"][rows] == m])
            continue
        full, _ = reach.times_to(target, len(board))
        prep.times[mode] = full
        parts.append(np.flatnonzero(full <= budget_s))
        same = reach.on_segment(mode, target.a, target.b)
        if same:
            parts.append(np.array([board._row[i] for i in same], np.int64))
    if not parts:
        return rows[:0]
    cand = np.unique(np.concatenate(parts)) if len(parts) > 1 else parts[0]
    out: npt.NDArray[np.int64] = cand[eligible[cand]]
    return out


@dataclass(slots=True)
class _LeanColumns:
    """What ``_lean_indexed`` reads of a board for one set of rules, built once per change of
    the board: a unit's columns side by side in one row (one place in memory per unit, read
    as Python floats without a numpy call)."""

    counts: list[int]  # eligible units per mode (``MODES`` order)
    modes: list[str]  # the modes with eligible units
    blocked: bool  # an eligible unit is off the network: its ETA is an estimate
    int_ids: bool  # ids and tiers are ints (ids below 2**53): sort keys are read from ``rows``
    rows: Any  # memoryview of float64: row i's ``_LEAN_COLUMNS`` at 9 i … 9 i + 8
    reach_m: dict[tuple[float, float], float] = field(default_factory=dict)  # ``_reach_m``


_LEAN_COLUMNS = ("lat", "lon", "a", "b", "t", "fix_ts", "eligible", "tier", "id")
"""Ids, nodes and tiers as floats: exact below 2**53."""


def _lean_memo(board: UnitBoard, allowed: frozenset[int], required: frozenset[str]) -> _LeanColumns:
    """The board's ``_LeanColumns`` for these rules, until the board changes."""
    lean: _LeanColumns | None = board._memo.get(("lean", allowed, required))
    if lean is None:
        eligible, rows = board.memo(
            ("eligible", allowed, required), lambda: _eligible_rows(board, allowed, required)
        )
        lean = board.memo(("lean", allowed, required), lambda: _lean_columns(board, eligible, rows))
    return lean


def _lean_columns(
    board: UnitBoard, eligible: npt.NDArray[np.bool_], rows: npt.NDArray[np.int64]
) -> _LeanColumns:
    c = board._cols
    counts = np.bincount(c["mode"][rows], minlength=len(MODES)).tolist()
    ids = [u.id for u in board.units]
    int_ids = all(type(i) is int and abs(i) < 2**53 for i in ids) and all(
        type(u.tier) is int for u in board.units
    )
    cols = {**c, "eligible": eligible, "id": np.array(ids if int_ids else [0] * len(ids))}
    table = np.column_stack([np.asarray(cols[n], np.float64) for n in _LEAN_COLUMNS])
    return _LeanColumns(
        counts=counts,
        modes=[m for m, n in zip(MODES, counts, strict=True) if n],
        blocked=bool((eligible & ~c["snap_ok"]).any()),
        int_ids=int_ids,
        rows=plain_view(table.reshape(-1)),
    )


def _lean_indexed(
    board: UnitBoard,
    reach: ReachIndex,
    lean: _LeanColumns,
    point: tuple[float, float],
    budget_s: float,
    detour: float,
    now_ts: float,
    stale_after_s: float,
    k: int,
    prep: _Prepared | None,
) -> list[Ranked] | None:
    """``_indexed_rows`` then ``_lean_ranking`` without arrays: the index's few hits as a dict
    {board row: time}, every unit read as plain floats (the same sums, minima and comparisons
    in the same order, so the same ETAs and order). None when an eligible unit needs an
    estimate (off the network, a mode without a snap or the index) or the index names more
    than ``LEAN_MAX_ROWS`` units: the array path answers then (the snaps are kept in ``prep``,
    if given). The caller has checked ``budget_s <= reach.budget_s``.
    """
    if lean.blocked:
        return None
    graph = board.graph
    assert graph is not None
    lat, lon = point
    max_snap_m = board.max_snap_m
    # row -> (index time, (a, b, t, w_ab, w_ba, slack) of the incident's snap in its mode)
    found: dict[int, tuple[float, tuple[int, int, float, float, float, float]]] = {}
    table = lean.rows
    for mode in lean.modes:
        try:  # ``_incident_snap`` for the checked point, as plain values
            p = snap_values(graph, lat, lon, mode, max_snap_m) if mode in graph.rev else None
        except RoadError:
            p = None  # the graph does not cover the incident
        if prep is not None:
            prep.targets[mode] = None if p is None else snap_of(mode, p)
        if p is None:
            return None
        a, b, t, w_ab, w_ba, snap_m, _, _, _, _ = p
        slack = budget_s * graph.vmax_mps[mode] * 1.01 + 50.0 + snap_m + max_snap_m
        via_a, via_b = offsets_to(t, w_ab, w_ba)  # from each end, the rest up to the point
        hits = reach.rows_at(mode, a, via_a, b, via_b, 4 * LEAN_MAX_ROWS)
        if hits is None:
            return None
        at = (a, b, t, w_ab, w_ba, slack)
        for i, time_s in hits.items():
            if time_s <= budget_s and table[9 * i + 6]:  # eligible
                found[i] = (time_s, at)
        same = reach.on_segment(mode, a, b)
        if same:
            row_of = board._row
            for uid in same:
                i = row_of[uid]
                if i not in found and table[9 * i + 6]:
                    found[i] = (math.inf, at)
        if len(found) > LEAN_MAX_ROWS:
            return None
    if not found:
        return []
    ky = _M_PER_DEG  # ``_straight_m``, the same products per unit
    kx = ky * math.cos(math.radians(lat))
    reach_m = lean.reach_m.get((budget_s, detour))
    if reach_m is None:
        if len(lean.reach_m) > 64:  # as ``UnitBoard.memo``: a few budgets in practice
            lean.reach_m.clear()
        reach_m = lean.reach_m[budget_s, detour] = _reach_m(graph, budget_s, detour, max_snap_m)
    int_ids = lean.int_ids
    out = []  # the order of ``found`` does not matter: the sort keys end with the unique id
    for i, (best, (p_a, p_b, p_t, p_w_ab, p_w_ba, slack)) in found.items():
        u_lat, u_lon, u_a, u_b, t, fix_ts, _, tier, uid = table[9 * i : 9 * i + 9].tolist()
        dx, dy = (u_lon - lon) * kx, (u_lat - lat) * ky
        d = math.sqrt(dx * dx + dy * dy)
        if not (d <= reach_m and d <= slack):
            continue
        if u_a == p_a and u_b == p_b:  # ``along_segment``
            if t <= p_t and math.isfinite(p_w_ab) and (v := (p_t - t) * p_w_ab) < best:
                best = v
            if t >= p_t and math.isfinite(p_w_ba) and (v := (t - p_t) * p_w_ba) < best:
                best = v
        if not best <= budget_s:
            continue
        age = now_ts - fix_ts
        stale = age > stale_after_s
        eta = best + (min(age, STALE_WIDEN_CAP_S) * STALE_WIDEN_SHARE if stale else 0.0)
        if int_ids:  # the order of ``_sorted``'s key without reading the unit: every key has
            key = (eta, tier, d, uid)  # this form, tiers and ids exact floats ordered as ints
        else:
            u = board.units[i]
            key = (eta, u.tier, d, (0, u.id, "") if isinstance(u.id, int) else (1, 0, str(u.id)))
        out.append((key, i, best, eta, age, d, stale))
    if len(out) > 1:
        out.sort(key=_first)
    return [
        _ranked(board, r, i, raw, eta, age, d, False, False, stale, detour)
        for r, (_, i, raw, eta, age, d, stale) in enumerate(out[:k], start=1)
    ]


_first = itemgetter(0)


def _lean_ranking(
    board: UnitBoard,
    prep: _Prepared,
    rows: npt.NDArray[np.int64],
    point: tuple[float, float],
    budget_s: float,
    detour: float,
    now_ts: float,
    stale_after_s: float,
    k: int,
) -> list[Ranked] | None:
    """The ranking of the few ``rows`` the index named, unit by unit in plain floats: the same
    operations, in the same order, as ``_within_reach``, ``_evaluate`` (``_indexed_times``),
    ``_apply_staleness``, ``_order`` and ``_ranked_all`` on arrays. None when one of them
    needs an estimate (off the network, or a mode without index times): the array path then.
    """
    if rows.size == 0:
        return []
    c = board._cols
    if rows.size > LEAN_MAX_ROWS or not c["snap_ok"][rows].all():
        return None
    modes = c["mode"][rows].tolist()
    graph = board.graph
    assert graph is not None
    slack: dict[int, float] = {}
    for m in set(modes):
        target = prep.targets.get(MODES[m])
        if target is None or MODES[m] not in prep.times:
            return None
        slack[m] = (
            budget_s * graph.vmax_mps[MODES[m]] * 1.01 + 50.0 + target.distance_m
            + board.max_snap_m
        )  # fmt: skip
    dist = _straight_m(*point, c["lat"][rows], c["lon"][rows]).tolist()
    reach_m = _reach_m(graph, budget_s, detour, board.max_snap_m)
    cols = zip(
        rows.tolist(), modes, dist, c["a"][rows].tolist(), c["b"][rows].tolist(),
        c["t"][rows].tolist(), c["fix_ts"][rows].tolist(), strict=True,
    )  # fmt: skip
    units = board.units
    found = []
    for i, m, d, a, b, t, fix in cols:
        if not (d <= reach_m and d <= slack[m]):
            continue
        p = prep.targets[MODES[m]]
        assert p is not None
        best = float(prep.times[MODES[m]][i])
        if a == p.a and b == p.b:  # ``along_segment``
            if t <= p.t and math.isfinite(p.w_ab) and (v := (p.t - t) * p.w_ab) < best:
                best = v
            if t >= p.t and math.isfinite(p.w_ba) and (v := (t - p.t) * p.w_ba) < best:
                best = v
        if not best <= budget_s:
            continue
        age = now_ts - fix
        stale = age > stale_after_s
        eta = best + (min(age, STALE_WIDEN_CAP_S) * STALE_WIDEN_SHARE if stale else 0.0)
        uid = units[i].id
        id_key = (0, uid, "") if isinstance(uid, int) else (1, 0, str(uid))
        found.append(((eta, units[i].tier, d, id_key), (i, best, eta, age, d, stale)))
    found.sort(key=lambda kv: kv[0])
    return [
        _ranked(board, r, i, raw, eta, age, d, False, False, stale, detour)
        for r, (_, (i, raw, eta, age, d, stale)) in enumerate(found[:k], start=1)
    ]


def _indexed_times(
    board: UnitBoard,
    full: npt.NDArray[np.float64],
    target: Snap,
    rows: npt.NDArray[np.int64],
    budget_s: float,
) -> npt.NDArray[np.float64]:
    """``board._times_to`` of a search toward ``target``, from the index's times (``full``)."""
    best = full[rows]
    c = board._cols
    return along_segment(best, c["a"][rows], c["b"][rows], c["t"][rows], target, budget_s)


def _estimate(ev: _Evaluation, pos: npt.NDArray[np.int64], mode: str, detour: float) -> None:
    ev.raw_eta[pos] = ev.dist[pos] * detour / FALLBACK_SPEED_MPS[mode]
    ev.estimated[pos] = True


def _apply_staleness(ev: _Evaluation, age: npt.NDArray[np.float64], stale_after_s: float) -> None:
    ev.age = age
    ev.stale = ev.age > stale_after_s
    widen = np.where(ev.stale, np.minimum(ev.age, STALE_WIDEN_CAP_S) * STALE_WIDEN_SHARE, 0.0)
    ev.eta = ev.raw_eta + widen


def _settled(ev: _Evaluation, limit: float, k: int) -> bool:
    """Whether the ``k`` best are known: every unit not found within ``limit`` ranks after."""
    if k <= 0:
        return True
    found = ev.eta[ev.raw_eta <= limit]
    return found.size >= k and float(np.partition(found, k - 1)[k - 1]) <= limit


def _order(board: UnitBoard, ev: _Evaluation, budget_s: float, k: int, *, full: bool) -> list[int]:
    """Positions in ``ev`` of the units in reach, best first: the first ``k``; all if ``full``."""
    pos = (ev.raw_eta <= budget_s).nonzero()[0]
    tail: list[int] = []
    if pos.size > 4 * k > 0:
        cut = np.partition(ev.eta[pos], k - 1)[k - 1]
        if full:
            tail = _sorted(board, ev, pos[ev.eta[pos] > cut])
        pos = pos[ev.eta[pos] <= cut]
    return _sorted(board, ev, pos) + tail


def _sorted(board: UnitBoard, ev: _Evaluation, pos: npt.NDArray[np.int64]) -> list[int]:
    """``pos`` ordered by (ETA, tier, distance, unit id): the deterministic tie-break."""
    keys = []
    units = board.units
    for j, i, eta, dist in zip(
        pos.tolist(), ev.rows[pos].tolist(), ev.eta[pos].tolist(), ev.dist[pos].tolist(),
        strict=True,
    ):  # fmt: skip
        uid = units[i].id
        id_key = (0, uid, "") if isinstance(uid, int) else (1, 0, str(uid))
        keys.append(((eta, units[i].tier, dist, id_key), j))
    keys.sort(key=lambda kj: kj[0])
    return [j for _, j in keys]


def _ranked_all(board: UnitBoard, ev: _Evaluation, order: list[int], detour: float) -> list[Ranked]:
    """The ``Ranked`` entries of ``order`` (positions in ``ev``), reading each column once."""
    if not order:
        return []
    sel = np.array(order, np.int64)
    cols = zip(
        ev.rows[sel].tolist(), ev.raw_eta[sel].tolist(), ev.eta[sel].tolist(),
        ev.age[sel].tolist(), ev.dist[sel].tolist(), ev.off_road[sel].tolist(),
        ev.estimated[sel].tolist(), ev.stale[sel].tolist(), strict=True,
    )  # fmt: skip
    return [
        _ranked(board, r, i, raw, eta, age, dist, off, est, stale, detour)
        for r, (i, raw, eta, age, dist, off, est, stale) in enumerate(cols, start=1)
    ]


def _ranked(
    board: UnitBoard, rank: int, i: int, raw: float, eta: float, age: float, dist: float,
    off_road: bool, estimated: bool, stale: bool, detour: float,
) -> Ranked:  # fmt: skip
    u = board.units[i]
    mode, tier = u.mode, u.tier
    if off_road:
        first = (
            f"位置距道路超过 {board.max_snap_m:.0f} 米，按直线×{detour:g} 估算约 {_duration(raw)}"
        )
    elif estimated:
        first = f"估算约 {_duration(raw)}（路网未覆盖，按直线×{detour:g}）"
    else:
        first = _duration(raw, _ABOUT.get(mode, "用时约 "))
    reasons: tuple[str, ...] = (
        first, _distance(dist, _STRAIGHT), _TIER_LABELS.get(tier) or tier_label(tier),
    )  # fmt: skip
    if stale:
        reasons += (f"定位已过时 {_duration(age)}，预计时间已放宽 {_duration(eta - raw)}",)
    return frozen(Ranked, {
        "rank": rank, "unit_id": u.id, "unit_name": u.name, "tier": tier, "mode": mode,
        "eta_seconds": _round1(eta), "distance_m": _round1(dist), "estimated": estimated,
        "stale": stale, "fix_age_s": _round1(age), "reasons": reasons,
    })  # fmt: skip


def _round1(x: float) -> float:
    """``round(x, 1)``, the same float, without its decimal conversion when ``10 x`` is not
    within a hair of a tie (then rounding ``fl(10 x)`` to an integer ``k`` is rounding ``10 x``,
    and ``k / 10`` is the float nearest the decimal ``round`` reads back)."""
    y = x * 10.0
    if 0.0 < y < 1e9:  # fl(10 x) is within 1.2e-7 of 10 x here, and y + 0.5 is exact
        k = math.floor(y + 0.5)  # the integer nearest y, away from a tie
        if -0.4999 < y - k < 0.4999:
            return k / 10
    return round(x, 1)


def _duration(seconds: float, prefix: str = "") -> str:
    """``prefix + duration_text(seconds)``, read from a table of the first hour (the same
    rounding first) for the prefixes of ``_DURATIONS``."""
    s = round(seconds)
    texts = _DURATIONS.get(prefix)
    if texts is not None and 0 <= s < 3600:
        return texts[s]
    return prefix + duration_text(seconds)


def _distance(metres: float, prefix: str = "") -> str:
    """``prefix + distance_text(metres)`` from tables (for the prefixes of ``_DISTANCES``):
    under a kilometre by whole metres (``:.0f`` rounds as ``round``), up to 99 km by tenths
    (``:.1f`` of ``y`` is ``k / 10``, ``k`` the integer nearest ``10 y``, when ``fl(10 y)`` is
    not within a hair of a tie)."""
    tables = _DISTANCES.get(prefix)
    if tables is not None:
        if 0.0 < metres < 1000:
            return tables[0][round(metres)]
        if 1000 <= metres < 99_000:
            z = metres / 1000 * 10.0
            k = round(z)
            if -0.4999 < z - k < 0.4999:
                return tables[1][k]
    return prefix + distance_text(metres)


_ABOUT = {mode: f"{verb}约 " for mode, verb in MODE_VERBS.items()}  # "车程约 "
_STRAIGHT = "直线距离 "
# a ranked unit's first two reasons, whole: no string to build per unit
_DURATIONS = {
    prefix: [prefix + duration_text(s) for s in range(3600)] for prefix in ("", *_ABOUT.values())
}
_METRES = [distance_text(m) for m in range(1000)] + [distance_text(999.75)]  # "1000 米"
_KILOMETRES = [f"{k / 10:.1f} 公里" for k in range(991)]  # ``distance_text``'s wording
_DISTANCES = {
    prefix: ([prefix + t for t in _METRES], [prefix + t for t in _KILOMETRES])
    for prefix in ("", _STRAIGHT)
}
_TIER_LABELS = {t: tier_label(t) for t in TIER_NAMES}  # the named tiers' labels, made once


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
            tiers = tier_span(x.allowed)
            reason = ("tier_not_allowed", f"警情类型“{type_name}”只允许 {tiers} 级巡防力量")
        elif not x.required <= u.skills:
            reason = ("missing_skills", f"缺少所需技能：{'、'.join(sorted(x.required - u.skills))}")
        else:
            reason = ("out_of_reach", f"{duration_text(x.budget_s)}内无法到达")
        out.append(_excluded(board, i, *reason))
    return out


def _excluded(board: UnitBoard, i: int, code: str, reason: str) -> Excluded:
    u = board.units[i]
    return Excluded(u.id, u.name, u.tier, u.mode, code, reason)


def _straight_m(lat: float, lon: float, lats: Any, lons: Any) -> npt.NDArray[np.float64]:
    """Straight-line distances from one point (equirectangular: < 0.1 % off within a city)."""
    ky = _M_PER_DEG
    dx = (lons - lon) * (ky * math.cos(math.radians(lat)))
    dy = (lats - lat) * ky
    out: npt.NDArray[np.float64] = np.sqrt(dx * dx + dy * dy)  # ``math.sqrt`` gives the same bits
    return out


_M_PER_DEG = 6_371_008.8 * math.pi / 180.0


def _incident_point(incident: IncidentQuery) -> tuple[float, float]:
    lat, lon = incident.lat, incident.lon
    if type(lat) is float and type(lon) is float and -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon  # plain floats in range (NaN fails the comparisons)
    lat, lon = float_or_nan(lat), float_or_nan(lon)
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise InvalidPoint(f"警情坐标无效：纬度 {incident.lat!r}，经度 {incident.lon!r}")
    return lat, lon
