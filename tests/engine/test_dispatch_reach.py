"""The units' reach index: rankings read from it equal the incident-side search's, always.

Every comparison ranks the same incident on two boards holding the same units: one plain
(one reverse search from the incident), one with a ``ReachIndex`` (one forward search per unit
fix, no search per incident). Unit ids, order, ETAs, reasons and exclusions must be equal.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jingwu.engine.dispatch import (
    DEFAULT_TIER_RULES,
    IncidentQuery,
    UnitBoard,
    UnitSnapshot,
    explain_ranking,
    rank_units,
)
from jingwu.engine.dispatch import reach as reach_module
from jingwu.engine.dispatch.ranking import _indexed_times
from jingwu.engine.roads import RoadGraph, build_graph, search, snap, snap_many
from jingwu.engine.roads.generate import grid_ways
from jingwu.engine.roads.snapping import _index

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
KINDS = sorted(DEFAULT_TIER_RULES)
B = 120.0  # the index's budget


def random_points(
    graph: RoadGraph, n: int, rng: np.random.Generator, mode: str = "car"
) -> list[tuple[float, float]]:
    """Points in the graph's box near a street of ``mode``; some exactly on nodes."""
    min_lat, min_lon, max_lat, max_lon = graph.bounds
    out: list[tuple[float, float]] = []
    while len(out) < n:
        la = rng.uniform(min_lat, max_lat, 4 * n)
        lo = rng.uniform(min_lon, max_lon, 4 * n)
        ok = snap_many(graph, la, lo, mode=mode).ok
        out += list(zip(la[ok].tolist(), lo[ok].tolist(), strict=True))
    nodes = rng.integers(0, graph.n_nodes, n // 5)
    out[: nodes.size] = [(float(graph.lat[i]), float(graph.lon[i])) for i in nodes]
    return out[:n]


def make_units(
    graph: RoadGraph, n: int, rng: np.random.Generator, modes: tuple[str, ...] = ("car",)
) -> list[UnitSnapshot]:
    pts = random_points(graph, n, rng)
    return [
        UnitSnapshot(
            id=i, lat=pts[i][0], lon=pts[i][1], mode=modes[i % len(modes)],
            tier=int(rng.integers(1, 6)),
            status="available" if rng.random() < 0.85 else "busy",
            skills=frozenset({"first_aid"}) if rng.random() < 0.5 else frozenset(),
            fix_time=NOW - timedelta(seconds=float(rng.uniform(0, 240))), name=f"unit {i}",
        )
        for i in range(n)
    ]  # fmt: skip


def assert_same(
    graph: RoadGraph,
    plain: UnitBoard,
    indexed: UnitBoard,
    q: IncidentQuery,
    budget_s: float,
    *,
    k: int = 5,
    explain: bool = True,
    required: frozenset[str] = frozenset(),
) -> None:
    kw = {"now": NOW, "k": k, "budget_s": budget_s, "required_skills": required}
    a = rank_units(graph, q, plain, **kw)  # type: ignore[arg-type]
    b = rank_units(graph, q, indexed, **kw)  # type: ignore[arg-type]
    assert [(r.unit_id, r.eta_seconds) for r in b] == [(r.unit_id, r.eta_seconds) for r in a]
    assert b == a
    if explain:
        ea = explain_ranking(graph, q, plain, **kw)  # type: ignore[arg-type]
        eb = explain_ranking(graph, q, indexed, **kw)  # type: ignore[arg-type]
        assert eb == ea


def assert_times_match(
    graph: RoadGraph, indexed: UnitBoard, q: IncidentQuery, budget_s: float
) -> int:
    """Each unit's time to the incident, index vs reverse search: equal to a microsecond."""
    assert indexed.reach is not None
    target = snap(graph, q.lat, q.lon, mode="car")
    c = indexed._cols
    rows = np.flatnonzero(c["snap_ok"] & (c["mode"] == 0))
    field, _ = search(graph, target, budget_s)
    expected = indexed._times_to(field, rows)
    full, _ = indexed.reach.times_to(target, len(indexed))
    got = _indexed_times(indexed, full, target, rows, budget_s)
    assert np.array_equal(np.isfinite(got), np.isfinite(expected))
    fin = np.isfinite(expected)
    assert np.allclose(got[fin], expected[fin], rtol=0, atol=1e-6)
    return int(fin.sum())


@pytest.fixture(scope="module")
def big_grid() -> RoadGraph:
    """The bench's generated road-like grid: 450 × 450 = 202,500 nodes, one-way streets."""
    graph, _ = build_graph(grid_ways(450, 450, seed=1).way_set(), name="grid", source="test")
    return graph


@pytest.mark.parametrize("which", ["demo", "helsinki", "small_grid", "big_grid"])
def test_index_rankings_equal_the_search_path(which: str, request: pytest.FixtureRequest) -> None:
    graph: RoadGraph = request.getfixturevalue(
        {"demo": "demo_graph", "helsinki": "helsinki"}.get(which, which)
    )
    rng = np.random.default_rng(11)
    n = 1000 if which == "big_grid" else 300
    modes = ("car",) if which == "big_grid" else ("car", "car", "ebike", "foot")
    units = make_units(graph, n, rng, modes)
    plain = UnitBoard(graph, units)
    indexed = UnitBoard(graph, units, reach_budget_s=B)
    found = 0
    for lat, lon in random_points(graph, 60, rng):
        q = IncidentQuery(lat, lon, KINDS[int(rng.integers(len(KINDS)))])
        found += assert_times_match(graph, indexed, q, B)
        for budget in (30.0, 90.0, B, B + 60.0):  # the last one: beyond the index, searched
            assert_same(graph, plain, indexed, q, budget, explain=budget != 90.0)
        assert_same(graph, plain, indexed, q, B, k=3, required=frozenset({"first_aid"}))
    assert found > 60  # the comparisons did see units in reach


def test_incidents_and_units_at_both_ends_and_along_one_way_segments(small_grid: RoadGraph) -> None:
    """Units and incidents on the same segments, at its ends and between, both directions."""
    graph = small_grid
    seg = _index(graph, "car")  # the snapping segments: a–b, time each way (inf: one-way)
    one_way = np.flatnonzero(np.isinf(seg.w_ab) | np.isinf(seg.w_ba))[:6].tolist()
    two_way = np.flatnonzero(np.isfinite(seg.w_ab) & np.isfinite(seg.w_ba))[:6].tolist()
    assert len(one_way) == 6 and len(two_way) == 6
    units: list[UnitSnapshot] = []
    spots: list[tuple[float, float]] = []
    for e in one_way + two_way:
        u, v = int(seg.a[e]), int(seg.b[e])
        for f in (0.0, 0.25, 0.5, 0.75, 1.0):
            p = (
                float(graph.lat[u] + f * (graph.lat[v] - graph.lat[u])),
                float(graph.lon[u] + f * (graph.lon[v] - graph.lon[u])),
            )
            spots.append(p)
            units.append(
                UnitSnapshot(
                    id=f"{e}-{f}", lat=p[0], lon=p[1], mode="car", tier=1, status="available",
                    skills=frozenset(), fix_time=NOW - timedelta(seconds=30), name="",
                )
            )  # fmt: skip
    plain = UnitBoard(graph, units)
    indexed = UnitBoard(graph, units, reach_budget_s=B)
    for lat, lon in spots:
        q = IncidentQuery(lat, lon, "theft")
        assert_times_match(graph, indexed, q, B)
        for budget in (5.0, 20.0, B):
            assert_same(graph, plain, indexed, q, budget, k=8)


@st.composite
def operations(draw: st.DrawFn) -> list[tuple[str, int, int]]:
    kinds = st.sampled_from(["move", "move", "remove", "status", "mode", "add", "tier"])
    return draw(
        st.lists(
            st.tuples(kinds, st.integers(0, 79), st.integers(0, 10_000)), min_size=1, max_size=25
        )
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations(), seed=st.integers(0, 2**16))
def test_moves_removals_and_status_changes_keep_the_index_exact(
    demo_graph: RoadGraph, ops: list[tuple[str, int, int]], seed: int
) -> None:
    graph = demo_graph
    rng = np.random.default_rng(seed)
    units = make_units(graph, 60, rng, ("car", "ebike", "foot"))
    pts = random_points(graph, 40, rng)
    plain = UnitBoard(graph, units)
    indexed = UnitBoard(graph, units, reach_budget_s=B)
    current = {u.id: u for u in units}
    next_id = 1000
    for op, uid, x in ops:
        u = current.get(uid)
        if op == "add" or u is None:
            u = replace(units[uid % len(units)], id=next_id, lat=pts[x % 40][0], lon=pts[x % 40][1])
            next_id += 1
        elif op == "move":
            far = x % 7 == 0  # now and then a fix far from any street
            lat, lon = pts[x % 40]
            u = replace(u, lat=lat + (0.05 if far else 0.0), lon=lon, fix_time=NOW)
        elif op == "remove":
            plain.remove(uid)
            indexed.remove(uid)
            del current[uid]
            continue
        elif op == "status":
            u = replace(u, status="busy" if u.status == "available" else "available")
        elif op == "mode":
            u = replace(u, mode=("car", "ebike", "foot")[x % 3])
        else:
            u = replace(u, tier=1 + x % 5)
        current[u.id] = u
        plain.update(u)
        indexed.update(u)
        q = IncidentQuery(*pts[(x * 7) % 40], KINDS[x % len(KINDS)])
        assert_same(graph, plain, indexed, q, B, explain=x % 2 == 0)
    for lat, lon in pts[:10]:
        q = IncidentQuery(lat, lon, "lost_person" if "lost_person" in KINDS else KINDS[0])
        for budget in (45.0, B, B + 1):
            assert_same(graph, plain, indexed, q, budget)


def test_a_moved_unit_is_found_at_its_new_position_only(demo_graph: RoadGraph) -> None:
    """Fails if the index keeps a unit's old reach after a move (or misses the new one)."""
    graph = demo_graph
    rng = np.random.default_rng(5)
    units = make_units(graph, 40, rng)
    units = [replace(u, status="available", tier=1) for u in units]
    indexed = UnitBoard(graph, units, reach_budget_s=B)
    here, there = units[0], units[1]
    q_here = IncidentQuery(here.lat, here.lon, "theft")
    q_there = IncidentQuery(there.lat, there.lon, "theft")
    assert here.id in [r.unit_id for r in rank_units(graph, q_here, indexed, now=NOW, k=50)]
    moved = replace(here, lat=there.lat, lon=there.lon)
    indexed.update(moved)
    others = [replace(u, id=f"x{u.id}") for u in units[1:]]  # the same fleet, moved unit apart
    truth = UnitBoard(graph, [moved, *others])
    got_here = rank_units(graph, q_here, indexed, now=NOW, k=50)
    want_here = rank_units(graph, q_here, truth, now=NOW, k=50)
    assert [(r.unit_id, r.eta_seconds) for r in got_here if r.unit_id == here.id] == [
        (r.unit_id, r.eta_seconds) for r in want_here if r.unit_id == here.id
    ]
    got_there = rank_units(graph, q_there, indexed, now=NOW, k=50)
    assert here.id in [r.unit_id for r in got_there]
    assert_same(graph, UnitBoard(graph, [moved, *units[1:]]), indexed, q_here, B, k=50)
    assert_same(graph, UnitBoard(graph, [moved, *units[1:]]), indexed, q_there, B, k=50)


def test_removal_shifts_rows_and_the_index_follows(demo_graph: RoadGraph) -> None:
    graph = demo_graph
    rng = np.random.default_rng(9)
    units = make_units(graph, 50, rng)
    indexed = UnitBoard(graph, units, reach_budget_s=B)
    for uid in (0, 17, 49, 3):
        indexed.remove(uid)
    rest = [u for u in units if u.id not in {0, 17, 49, 3}]
    plain = UnitBoard(graph, rest)
    for lat, lon in random_points(graph, 30, rng):
        assert_same(graph, plain, indexed, IncidentQuery(lat, lon, "theft"), B, k=10)


def test_compaction_keeps_the_answers(
    demo_graph: RoadGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reach_module, "COMPACT_MIN", 50)
    graph = demo_graph
    rng = np.random.default_rng(21)
    units = make_units(graph, 40, rng)
    pts = random_points(graph, 60, rng)
    plain = UnitBoard(graph, units)
    indexed = UnitBoard(graph, units, reach_budget_s=B)
    assert indexed.reach is not None
    for i in range(120):
        u = replace(units[i % 40], lat=pts[i % 60][0], lon=pts[i % 60][1])
        plain.update(u)
        indexed.update(u)
    mode = indexed.reach._modes["car"]
    assert mode.d_nodes.size < mode.nodes.size  # merged into the base on the way
    assert len(mode.slot_of) == 40 and mode.n_slots < 100  # renumbered: 160 slots were used
    for lat, lon in pts[:20]:
        assert_same(graph, plain, indexed, IncidentQuery(lat, lon, "theft"), B, k=10)


def test_the_index_is_used_up_to_its_budget_and_not_beyond(
    demo_graph: RoadGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = demo_graph
    rng = np.random.default_rng(4)
    units = make_units(graph, 30, rng)
    indexed = UnitBoard(graph, units, reach_budget_s=B)
    calls: list[float] = []
    from jingwu.engine.dispatch import ranking

    real = ranking.search

    def counting(*args: object, **kw: object) -> object:
        calls.append(float(args[2]))  # type: ignore[arg-type]
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ranking, "search", counting)
    q = IncidentQuery(units[0].lat, units[0].lon, "theft")
    rank_units(graph, q, indexed, now=NOW, budget_s=B)
    explain_ranking(graph, q, indexed, now=NOW, budget_s=60)
    assert calls == []
    rank_units(graph, q, indexed, now=NOW, budget_s=B + 0.5)
    assert calls
    indexed.drop_reach_index()
    calls.clear()
    rank_units(graph, q, indexed, now=NOW, budget_s=60)
    assert calls == [60.0]


def test_a_status_change_does_not_search_again(
    demo_graph: RoadGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = demo_graph
    units = make_units(graph, 10, np.random.default_rng(2))
    indexed = UnitBoard(graph, units, reach_budget_s=B)
    placed: list[object] = []
    assert indexed.reach is not None
    real = indexed.reach.place
    monkeypatch.setattr(indexed.reach, "place", lambda *a: placed.append(a) or real(*a))
    indexed.update(replace(units[3], status="busy"))
    assert placed == []
    indexed.update(replace(units[3], lat=units[4].lat, lon=units[4].lon))
    assert len(placed) == 1


def test_bad_reach_budgets_are_refused(demo_graph: RoadGraph) -> None:
    for bad in (0.0, -5.0, math.inf, math.nan):
        with pytest.raises(ValueError):
            UnitBoard(demo_graph, [], reach_budget_s=bad)


@pytest.mark.parametrize("which", ["demo_graph", "helsinki"])
def test_budgets_exactly_at_a_units_eta(which: str, request: pytest.FixtureRequest) -> None:
    """A budget a microsecond either side of a unit's ETA: in on both paths, or out on both.

    The index sums a unit's time from the unit's end, the search from the incident's, so
    the two agree to about 1e-12 s, not to the last bit: a budget equal to an ETA *to the last
    bit* may keep the unit on one path and drop it on the other (see ``ReachIndex``)."""
    graph: RoadGraph = request.getfixturevalue(which)
    rng = np.random.default_rng(8)
    units = [replace(u, status="available", tier=1) for u in make_units(graph, 200, rng)]
    plain = UnitBoard(graph, units)
    indexed = UnitBoard(graph, units, reach_budget_s=B)
    rows = np.arange(len(units))
    checked = 0
    for lat, lon in random_points(graph, 40, rng):
        target = snap(graph, lat, lon, mode="car")
        field, _ = search(graph, target, B)
        times = plain._times_to(field, rows)
        fin = np.flatnonzero(np.isfinite(times) & (times > 0))
        q = IncidentQuery(lat, lon, "theft")
        for t in times[fin[:3]].tolist():
            for budget in (t - 1e-6, t + 1e-6):
                assert_same(graph, plain, indexed, q, budget, k=20, explain=False)
                checked += 1
    assert checked > 30


def test_estimates_odd_k_and_incidents_off_the_network_match(demo_graph: RoadGraph) -> None:
    """Units far from a street (estimated), an incident beyond the graph, k of 0 or below."""
    graph = demo_graph
    rng = np.random.default_rng(13)
    units = make_units(graph, 80, rng, ("car", "ebike"))
    units += [replace(u, id=f"far{u.id}", lat=u.lat + 0.004) for u in units[:20]]
    plain = UnitBoard(graph, units)
    indexed = UnitBoard(graph, units, reach_budget_s=B)
    assert not plain._cols["snap_ok"].all()  # some are estimated
    for lat, lon in random_points(graph, 15, rng):
        for k in (0, -2, 1, 50):
            assert_same(graph, plain, indexed, IncidentQuery(lat, lon, "theft"), B, k=k)
    lat, lon = random_points(graph, 1, rng)[0]
    far = IncidentQuery(lat + 0.5, lon, "theft")
    assert_same(graph, plain, indexed, far, B, k=5)


@pytest.mark.parametrize("which", ["demo", "helsinki", "big_grid"])
def test_the_plain_float_read_equals_the_array_read(
    which: str, request: pytest.FixtureRequest
) -> None:
    """``times_to_rows`` (dicts and floats, for the few hits) holds the very numbers of
    ``times_to`` (arrays), with entries in the base, in the delta and dead ones; and the single
    point ``snap`` the same segment, fraction and times as the batch ``snap_many``."""
    graph: RoadGraph = request.getfixturevalue(
        {"demo": "demo_graph", "helsinki": "helsinki"}.get(which, which)
    )
    rng = np.random.default_rng(41)
    units = make_units(graph, 300, rng)
    indexed = UnitBoard(graph, units, reach_budget_s=B)
    reach = indexed.reach
    assert reach is not None
    pts = random_points(graph, 80, rng)
    for i in range(40):  # moves: new entries in the delta, the old ones dead
        indexed.update(replace(units[i], lat=pts[i][0], lon=pts[i][1]))
    mode = reach._modes["car"]
    assert mode.d_nodes.size and mode.dead
    lats, lons = [p[0] for p in pts], [p[1] for p in pts]
    batch = snap_many(graph, lats, lons, mode="car")
    hits = same = 0
    for j, (lat, lon) in enumerate(pts):
        target = snap(graph, lat, lon, mode="car")
        assert target.distance_m == pytest.approx(batch.distance_m[j], abs=1e-6)
        if (target.a, target.b) == (batch.a[j], batch.b[j]):  # else a tie (a node, say)
            same += 1
            assert (target.t, target.w_ab, target.w_ba) == (
                batch.t[j],
                batch.w_ab[j],
                batch.w_ba[j],
            )
        full, rows = reach.times_to(target, len(indexed))
        got = reach.times_to_rows(target, limit=len(units))
        assert got is not None
        assert sorted(got) == sorted(set(rows.tolist()))
        if got:  # more entries than the limit: the caller takes the arrays instead
            assert reach.times_to_rows(target, limit=0) is None
        assert all(got[r] == full[r] for r in got)  # the same sums and minima, to the bit
        hits += len(got)
    assert hits > 80 and same > 60


def test_the_lean_read_answers_the_common_case(
    demo_graph: RoadGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Units all on the network, one mode: ``_lean_indexed`` ranks without the array path (which
    would fail here), and equal to the search path; with a unit off the network it steps
    aside and the array path answers, also equal."""
    from jingwu.engine.dispatch import ranking as ranking_module

    graph = demo_graph
    rng = np.random.default_rng(43)
    units = make_units(graph, 200, rng)
    plain = UnitBoard(graph, units)
    indexed = UnitBoard(graph, units, reach_budget_s=B)

    def no_array_path(*args: object, **kwargs: object) -> None:
        raise AssertionError("the array path was used")

    pts = random_points(graph, 40, rng)
    with monkeypatch.context() as m:
        m.setattr(ranking_module, "_indexed_rows", no_array_path)
        for lat, lon in pts:
            assert_same(graph, plain, indexed, IncidentQuery(lat, lon, "theft"), B, explain=False)
    far = replace(units[0], lat=units[0].lat + 0.2, status="available", tier=1)  # estimated
    plain.update(far)
    indexed.update(far)
    calls: list[int] = []
    array_path = ranking_module._indexed_rows

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return array_path(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ranking_module, "_indexed_rows", counted)
    for lat, lon in pts[:10]:
        assert_same(graph, plain, indexed, IncidentQuery(lat, lon, "theft"), B, explain=False)
    assert len(calls) == 10
