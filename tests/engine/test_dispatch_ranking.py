"""Ranking units for an incident: who may go, who is nearest in time, and why not the others."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from jingwu.engine.dispatch import (
    DEFAULT_TIER_RULES,
    FALLBACK_SPEED_MPS,
    DispatchError,
    IncidentQuery,
    UnitBoard,
    UnitSnapshot,
    explain_ranking,
    rank_units,
)
from jingwu.engine.roads import InvalidPoint, RoadGraph, route

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
TAIHE = (26.099, 119.336)


def make_unit(
    uid: int | str,
    north_m: float = 0.0,
    east_m: float = 0.0,
    *,
    tier: int = 1,
    mode: str = "car",
    status: str = "available",
    skills: frozenset[str] = frozenset(),
    age_s: float = 10.0,
) -> UnitSnapshot:
    """A unit placed ``north_m``/``east_m`` from 东二环泰禾."""
    lat = TAIHE[0] + north_m / 111_195.0
    lon = TAIHE[1] + east_m / (111_195.0 * math.cos(math.radians(TAIHE[0])))
    return UnitSnapshot(
        id=uid,
        lat=lat,
        lon=lon,
        mode=mode,
        tier=tier,
        status=status,
        skills=skills,
        fix_time=NOW - timedelta(seconds=age_s),
        name=f"巡组{uid}",
    )


def incident(kind: str = "theft", **kw: float) -> IncidentQuery:
    return IncidentQuery(lat=kw.get("lat", TAIHE[0]), lon=kw.get("lon", TAIHE[1]), type=kind)


def _random_units(rng: np.random.Generator, n: int, spread_m: float) -> list[UnitSnapshot]:
    """``n`` units of random tiers and fix ages within ``spread_m`` metres of the centre."""
    return [
        make_unit(i, *rng.uniform(-spread_m, spread_m, 2), tier=int(rng.integers(1, 6)),
                  age_s=float(rng.uniform(0, 400)))
        for i in range(n)
    ]  # fmt: skip


def _random_incident(rng: np.random.Generator) -> IncidentQuery:
    """An incident of a random type within 4 km of the centre."""
    north, east = rng.uniform(-4000, 4000, 2)
    q = incident(str(rng.choice(sorted(DEFAULT_TIER_RULES))))
    return replace(q, lat=q.lat + north / 111_195.0, lon=q.lon + east / 100_000.0)


def test_nearest_in_time_comes_first_with_reasons(demo_graph: RoadGraph) -> None:
    units = [make_unit(1, 1500), make_unit(2, 300), make_unit(3, 0, 800)]
    ranked = rank_units(demo_graph, incident(), units, now=NOW)
    assert [r.unit_id for r in ranked] == [2, 3, 1]
    assert [r.rank for r in ranked] == [1, 2, 3]
    assert ranked[0].eta_seconds < ranked[1].eta_seconds < ranked[2].eta_seconds
    first = ranked[0]
    assert not first.estimated and not first.stale
    assert first.reasons[0].startswith("车程约")
    assert "直线距离" in first.reasons[1] and first.reasons[2] == "1 级：巡逻警车"


def test_eta_is_the_route_time_from_the_unit(demo_graph: RoadGraph) -> None:
    unit = make_unit(7, 900, -600, mode="ebike", tier=3)
    [ranked] = rank_units(demo_graph, incident(), [unit], now=NOW)
    feature = route(demo_graph, (unit.lat, unit.lon), TAIHE, mode="ebike")
    assert ranked.eta_seconds == pytest.approx(feature["properties"]["time_s"], abs=0.1)
    assert ranked.reasons[0].startswith("骑行约")


@pytest.mark.parametrize(
    ("kind", "tiers"),
    [("robbery", {1, 2}), ("fight", {1, 2}), ("lost_person", {1, 2, 3, 4, 5}), ("noise", {1, 2, 3, 4})],
)  # fmt: skip
def test_incident_types_decide_which_tiers_may_go(
    demo_graph: RoadGraph, kind: str, tiers: set[int]
) -> None:
    units = [make_unit(t, 100 * t, tier=t) for t in range(1, 6)]
    ranking = explain_ranking(demo_graph, incident(kind), units, now=NOW)
    assert {r.tier for r in ranking.ranked} == tiers
    refused = {e.tier: e for e in ranking.excluded if e.code == "tier_not_allowed"}
    assert set(refused) == {1, 2, 3, 4, 5} - tiers
    if kind == "robbery":
        assert refused[5].reason == "警情类型“抢劫”只允许 1–2 级巡防力量"


def test_unavailable_unskilled_and_unreachable_units_are_explained(
    demo_graph: RoadGraph,
) -> None:
    units = [
        make_unit("busy", 100, status="busy"),
        make_unit("medic", 200, skills=frozenset({"急救"})),
        make_unit("plain", 150),
        make_unit("far", 9000, mode="foot", tier=2),
        make_unit("lost", math.nan),
        make_unit("boat", 100, mode="boat"),
    ]
    ranking = explain_ranking(
        demo_graph, incident(), units, now=NOW, budget_s=300, required_skills=frozenset({"急救"})
    )
    assert [r.unit_id for r in ranking.ranked] == ["medic"]
    why = {e.unit_id: (e.code, e.reason) for e in ranking.excluded}
    assert why["busy"] == ("not_available", "当前状态：执行任务中，不可派")
    assert why["plain"] == ("missing_skills", "缺少所需技能：急救")
    assert why["lost"][0] == "bad_position"
    assert why["boat"][0] == "unknown_mode"
    assert why["far"][0] == "missing_skills"  # the first failing rule is the one reported
    plain = explain_ranking(demo_graph, incident(), units, now=NOW, budget_s=300)
    assert {e.unit_id: e.code for e in plain.excluded}["far"] == "out_of_reach"
    assert {e.unit_id: e.reason for e in plain.excluded}["far"] == "5 分钟内无法到达"


def test_a_stale_fix_is_flagged_and_its_eta_widened(demo_graph: RoadGraph) -> None:
    fresh = make_unit("fresh", 600)
    stale = make_unit("stale", 500, age_s=180)
    ranked = rank_units(demo_graph, incident(), [stale, fresh], now=NOW)
    by_id = {r.unit_id: r for r in ranked}
    assert by_id["stale"].stale and not by_id["fresh"].stale
    assert by_id["stale"].fix_age_s == 180
    assert any(s.startswith("定位已过时 3 分钟，预计时间已放宽") for s in by_id["stale"].reasons)
    alone = rank_units(demo_graph, incident(), [replace(stale, fix_time=NOW)], now=NOW)[0]
    assert by_id["stale"].eta_seconds == pytest.approx(alone.eta_seconds + 90, abs=0.2)


def test_ties_break_the_same_way_whatever_the_input_order(demo_graph: RoadGraph) -> None:
    units = [make_unit(i, 400, tier=1 + i % 2) for i in range(8)]
    expected = [r.unit_id for r in rank_units(demo_graph, incident(), units, now=NOW, k=8)]
    assert expected == [0, 2, 4, 6, 1, 3, 5, 7]  # same place: tier, then id
    for seed in range(5):
        shuffled = units[:]
        random.Random(seed).shuffle(shuffled)
        got = [r.unit_id for r in rank_units(demo_graph, incident(), shuffled, now=NOW, k=8)]
        assert got == expected


def test_without_a_graph_the_eta_is_a_marked_estimate() -> None:
    units = [make_unit(1, 1000), make_unit(2, 0, 500, mode="foot", tier=2)]
    ranked = rank_units(None, incident(), units, now=NOW, budget_s=1200)
    assert all(r.estimated for r in ranked)
    car = {r.unit_id: r for r in ranked}[1]
    assert car.eta_seconds == pytest.approx(
        car.distance_m * 1.4 / FALLBACK_SPEED_MPS["car"], abs=0.2
    )
    assert "估算约" in car.reasons[0] and "×1.4" in car.reasons[0]


def test_an_incident_outside_the_graph_is_estimated_not_refused(demo_graph: RoadGraph) -> None:
    far_away = IncidentQuery(lat=26.30, lon=119.60, type="help")
    unit = UnitSnapshot(1, 26.301, 119.601, "car", 1, "available", frozenset(), NOW, "远处巡组")
    [ranked] = rank_units(demo_graph, far_away, [unit], now=NOW)
    assert ranked.estimated


def test_a_board_and_a_plain_list_rank_the_same(demo_graph: RoadGraph) -> None:
    rng = np.random.default_rng(4)
    units = [
        make_unit(i, *rng.uniform(-3000, 3000, 2), tier=int(rng.integers(1, 6)),
                  mode=str(rng.choice(["car", "ebike", "foot"])), age_s=float(rng.uniform(0, 300)))
        for i in range(200)
    ]  # fmt: skip
    board = UnitBoard(demo_graph, units)
    for kind in ("robbery", "lost_person", "dispute"):
        a = explain_ranking(demo_graph, incident(kind), units, now=NOW, k=10)
        b = explain_ranking(demo_graph, incident(kind), board, now=NOW, k=10)
        assert a == b


@pytest.mark.parametrize("budget", [60.0, 120.0, 600.0])
def test_a_list_ranked_without_exclusions_equals_the_board(
    demo_graph: RoadGraph, budget: float
) -> None:
    """A plain list converts only the units within reach; the K best must not change."""
    rng = np.random.default_rng(int(budget))
    units = [
        make_unit(i, *rng.uniform(-8000, 8000, 2), tier=int(rng.integers(1, 6)),
                  mode=str(rng.choice(["car", "ebike", "foot"])), age_s=float(rng.uniform(0, 300)),
                  status="available" if rng.random() < 0.85 else "busy")
        for i in range(300)
    ]  # fmt: skip
    units.append(replace(make_unit("no-fix"), lat=math.nan))
    units.append(replace(make_unit("text"), lat="不是数字"))  # type: ignore[arg-type]
    units.append(make_unit("hovercraft", 50, mode="hovercraft"))
    board = UnitBoard(demo_graph, units)
    far_away = IncidentQuery(lat=26.30, lon=119.60, type="help")
    queries = [far_away] + [
        replace(incident(str(rng.choice(sorted(DEFAULT_TIER_RULES)))),
                lat=TAIHE[0] + n / 111_195.0, lon=TAIHE[1] + e / 100_000.0)
        for n, e in rng.uniform(-5000, 5000, (20, 2))
    ]  # fmt: skip
    for graph in (demo_graph, None):
        for q in queries:
            for k in (1, 5, 12):
                got = rank_units(graph, q, units, now=NOW, k=k, budget_s=budget)
                on_board = board if graph is demo_graph else UnitBoard(None, units)
                assert got == rank_units(graph, q, on_board, now=NOW, k=k, budget_s=budget)
                full = explain_ranking(graph, q, units, now=NOW, k=k, budget_s=budget)
                assert got == full.ranked


def test_a_list_without_exclusions_is_checked_like_a_board(demo_graph: RoadGraph) -> None:
    far = make_unit(2, 90_000)  # far beyond any reach: still checked
    with pytest.raises(DispatchError) as err:
        rank_units(demo_graph, incident(), [make_unit(1), far, replace(far, lat=0.0)], now=NOW)
    assert err.value.code == "duplicate_unit"
    naive = replace(far, fix_time=NOW.replace(tzinfo=None))
    with pytest.raises(DispatchError) as err:
        rank_units(demo_graph, incident(), [make_unit(1), naive], now=NOW)
    assert err.value.code == "naive_datetime"


def test_the_early_stop_finds_the_same_best_units_as_the_full_search(
    demo_graph: RoadGraph,
) -> None:
    rng = np.random.default_rng(11)
    board = UnitBoard(demo_graph, _random_units(rng, 150, 6000))
    for _ in range(25):
        q = _random_incident(rng)
        for k in (1, 5):
            fast = rank_units(demo_graph, q, board, now=NOW, k=k, budget_s=600)
            full = explain_ranking(demo_graph, q, board, now=NOW, k=k, budget_s=600).ranked
            assert fast == full


def test_the_first_pass_takes_the_smallest_likely_share_of_the_budget(
    demo_graph: RoadGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sparse and dense fleets: first passes at each share of the budget, settled or not, and
    the answer of one full-budget pass every time."""
    from jingwu.engine.dispatch import ranking as ranking_module

    limits: list[float] = []
    evaluate = ranking_module._evaluate

    def spy(board: UnitBoard, rows: object, point: object, limit: float, *a: object) -> object:
        limits.append(limit)
        return evaluate(board, rows, point, limit, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(ranking_module, "_evaluate", spy)
    rng = np.random.default_rng(12)
    firsts: set[float] = set()
    second = 0
    for n_units in (10, 25, 60, 150):
        board = UnitBoard(demo_graph, _random_units(rng, n_units, 7000))
        for _ in range(15):
            q = _random_incident(rng)
            for k in (1, 5):
                limits.clear()
                fast = rank_units(demo_graph, q, board, now=NOW, k=k, budget_s=600)
                if limits[0] < 600:
                    firsts.add(limits[0])
                    second += len(limits) == 2
                one = explain_ranking(
                    demo_graph, q, board, now=NOW, k=k, budget_s=600, with_exclusions=False,
                    early_stop=False,
                ).ranked  # fmt: skip
                assert fast == one
    assert firsts == {300.0, 400.0, 500.0}
    assert second > 0  # some first passes did not settle


def test_board_updates_move_and_remove_units(demo_graph: RoadGraph) -> None:
    board = UnitBoard(demo_graph, [make_unit(1, 2000), make_unit(2, 1000)])
    assert rank_units(demo_graph, incident(), board, now=NOW)[0].unit_id == 2
    board.update(make_unit(1, 100))
    assert rank_units(demo_graph, incident(), board, now=NOW)[0].unit_id == 1
    board.update(make_unit(3, 50, status="busy"))
    board.remove(1)
    ranking = explain_ranking(demo_graph, incident(), board, now=NOW)
    assert [r.unit_id for r in ranking.ranked] == [2]
    assert [e.unit_id for e in ranking.excluded] == [3]
    assert len(board) == 2


def test_board_changes_after_a_ranking_are_seen_by_the_next_one(demo_graph: RoadGraph) -> None:
    """Eligibility is remembered per board between incidents; every change must reset it."""
    board = UnitBoard(demo_graph, [make_unit(1, 100), make_unit(2, 400), make_unit(3, 800)])
    first = [r.unit_id for r in rank_units(demo_graph, incident(), board, now=NOW)]
    assert first == [1, 2, 3]
    board.update(make_unit(1, 100, status="busy"))
    assert [r.unit_id for r in rank_units(demo_graph, incident(), board, now=NOW)] == [2, 3]
    board.update(make_unit(2, 400, tier=5))  # volunteers: not for a robbery
    robbery = rank_units(demo_graph, incident("robbery"), board, now=NOW)
    assert [r.unit_id for r in robbery] == [3]
    skilled = frozenset({"first_aid"})
    needs = {"required_skills": skilled}
    assert rank_units(demo_graph, incident(), board, now=NOW, **needs) == []
    board.update(make_unit(3, 800, skills=skilled))
    assert [r.unit_id for r in rank_units(demo_graph, incident(), board, now=NOW, **needs)] == [3]
    board.remove(3)
    assert rank_units(demo_graph, incident(), board, now=NOW, **needs) == []
    board.update(make_unit(1, 100))
    assert [r.unit_id for r in rank_units(demo_graph, incident(), board, now=NOW)] == [1]
    lost = rank_units(demo_graph, incident("lost_person"), board, now=NOW)  # any tier
    assert [r.unit_id for r in lost] == [1, 2]


def test_bad_requests_are_clear_errors(demo_graph: RoadGraph) -> None:
    units = [make_unit(1, 100)]
    with pytest.raises(DispatchError) as err:
        rank_units(demo_graph, incident("alien_landing"), units, now=NOW)
    assert err.value.code == "unknown_incident_type"
    with pytest.raises(InvalidPoint):
        rank_units(demo_graph, incident(lat=math.nan), units, now=NOW)
    with pytest.raises(DispatchError):
        rank_units(demo_graph, incident(), units, now=NOW.replace(tzinfo=None))
    with pytest.raises(DispatchError):
        UnitBoard(demo_graph, [make_unit(1), make_unit(1)])
    with pytest.raises(DispatchError):
        rank_units(None, incident(), UnitBoard(demo_graph, units), now=NOW)


def test_default_rules_cover_every_type_and_keep_violence_for_police() -> None:
    assert set(DEFAULT_TIER_RULES) == {
        "dispute", "theft", "robbery", "fight", "drunk", "lost_person", "traffic", "fire",
        "noise", "eco_damage", "help", "other",
        "illegal_logging", "poaching", "illegal_mining", "pollution", "land_occupation",
    }  # fmt: skip
    assert DEFAULT_TIER_RULES["robbery"] == DEFAULT_TIER_RULES["fight"] == {1, 2}
    assert 5 in DEFAULT_TIER_RULES["lost_person"]
