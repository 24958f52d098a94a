"""Recurring-problem clustering and the before/after assessment."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jingwu.engine.geo import haversine_m
from jingwu.engine.problems import ClusterRule, IncidentPoint, assess, find_clusters

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
LAT, LON = 26.113, 119.317
M_LAT = 1 / 111_195  # degrees of latitude per metre (mean Earth radius)


def at(north_m: float = 0.0, *, day: float = 0.0, kind: str = "theft", id: int = 0):
    return IncidentPoint(id, kind, LAT + north_m * M_LAT, LON, T0 + timedelta(days=day))


def numbered(*incs: IncidentPoint) -> list[IncidentPoint]:
    return [IncidentPoint(n, i.kind, i.lat, i.lon, i.at) for n, i in enumerate(incs, start=1)]


@pytest.mark.parametrize(
    ("incidents", "expected"),
    [
        # three thefts at one door within a week: one problem
        (numbered(at(0), at(20, day=2), at(40, day=6)), [(1, 2, 3)]),
        # only two: not recurring
        (numbered(at(0), at(20, day=2)), []),
        # three, but one 200 m away from every other
        (numbered(at(0), at(20, day=2), at(220, day=6)), []),
        # three at one place, but spread over 45 days
        (numbered(at(0), at(10, day=20), at(20, day=45)), []),
        # three at one place, but of two types
        (numbered(at(0), at(10, day=1), at(20, day=2, kind="fight")), []),
        # 149 m from the centre is in; the centre is the middle one
        (numbered(at(-149), at(0, day=1), at(149, day=2)), [(1, 2, 3)]),
        # two separate places, each recurring
        (
            numbered(at(0), at(5, day=1), at(9, day=2), at(2000), at(2010, day=3), at(2020, day=4)),
            [(1, 2, 3), (4, 5, 6)],
        ),
    ],
)
def test_clusters_of_the_default_rule(incidents, expected) -> None:
    found = sorted(c.member_ids for c in find_clusters(incidents))
    assert found == expected


def test_the_rule_is_configurable() -> None:
    incs = numbered(at(0), at(200, day=1), at(400, day=40))
    assert find_clusters(incs) == []
    wide = ClusterRule(min_count=3, window_days=60, radius_m=450)
    assert [c.member_ids for c in find_clusters(incs, rule=wide)] == [(1, 2, 3)]
    assert find_clusters(numbered(at(0), at(1, day=1)), rule=ClusterRule(min_count=2)) != []


def test_a_cluster_reports_its_span_and_spread() -> None:
    (c,) = find_clusters(numbered(at(0), at(30, day=2), at(60, day=5)))
    assert c.count == 3 and c.kind == "theft"
    assert c.first_at == T0 and c.last_at == T0 + timedelta(days=5)
    assert c.centre_id == 2  # the middle one reaches both others
    assert c.spread_m == pytest.approx(30, abs=0.5)


def test_a_cluster_takes_each_incident_once() -> None:
    # Six thefts at one door: one problem of six, not two of three.
    incs = numbered(*[at(k, day=k) for k in range(6)])
    assert [c.member_ids for c in find_clusters(incs)] == [(1, 2, 3, 4, 5, 6)]


@pytest.mark.parametrize("bad", [dict(min_count=1), dict(window_days=0), dict(radius_m=-1)])
def test_a_nonsense_rule_is_refused(bad) -> None:
    with pytest.raises(ValueError):
        ClusterRule(**bad)


points = st.builds(
    lambda i, kind, dn, de, day: IncidentPoint(
        i,
        kind,
        LAT + dn * M_LAT,
        LON + de * M_LAT / math.cos(math.radians(LAT)),
        T0 + timedelta(days=day),
    ),
    st.integers(0, 10**6),
    st.sampled_from(["theft", "fight"]),
    st.floats(-400, 400),
    st.floats(-400, 400),
    st.floats(0, 90),
)


def _unique(incs: list[IncidentPoint]) -> list[IncidentPoint]:
    return [IncidentPoint(n, i.kind, i.lat, i.lon, i.at) for n, i in enumerate(incs)]


@settings(max_examples=150, deadline=None)
@given(st.lists(points, max_size=40).map(_unique))
def test_every_cluster_obeys_the_rule_and_none_share_an_incident(incs) -> None:
    rule = ClusterRule()
    by_id = {i.id: i for i in incs}
    clusters = find_clusters(incs, rule=rule)
    seen: set[int] = set()
    for c in clusters:
        members = [by_id[m] for m in c.member_ids]
        assert len(members) >= rule.min_count
        assert {m.kind for m in members} == {c.kind}
        assert c.centre_id in c.member_ids
        centre = by_id[c.centre_id]
        for m in members:
            assert haversine_m(centre.lat, centre.lon, m.lat, m.lon) <= rule.radius_m + 0.01
        assert (c.last_at - c.first_at) <= timedelta(days=rule.window_days)
        assert not seen & set(c.member_ids)
        seen |= set(c.member_ids)


def _largest_by_brute_force(incs: list[IncidentPoint], rule: ClusterRule) -> int:
    best = 0
    window = timedelta(days=rule.window_days)
    for c in incs:
        near = [
            i
            for i in incs
            if i.kind == c.kind and haversine_m(c.lat, c.lon, i.lat, i.lon) <= rule.radius_m
        ]
        for s in near:
            if not (s.at <= c.at <= s.at + window):
                continue
            best = max(best, sum(1 for i in near if s.at <= i.at <= s.at + window))
    return best if best >= rule.min_count else 0


@settings(max_examples=150, deadline=None)
@given(st.lists(points, max_size=30).map(_unique))
def test_the_first_cluster_is_the_largest_possible(incs) -> None:
    rule = ClusterRule()
    clusters = find_clusters(incs, rule=rule)
    assert (clusters[0].count if clusters else 0) == _largest_by_brute_force(incs, rule)


@settings(max_examples=100, deadline=None)
@given(st.lists(points, max_size=30).map(_unique))
def test_what_is_left_over_holds_no_further_cluster(incs) -> None:
    rule = ClusterRule()
    taken = set(itertools.chain.from_iterable(c.member_ids for c in find_clusters(incs)))
    rest = [i for i in incs if i.id not in taken]
    assert _largest_by_brute_force(rest, rule) == 0


def test_assessment_compares_rates_before_and_after_the_response() -> None:
    response = T0 + timedelta(days=90)
    incs = numbered(
        *[at(10 * k, day=k * 10) for k in range(9)],  # 9 in the 90 days before
        at(5, day=95),  # 1 in the 30 days after
        at(500, day=96),  # too far
        at(0, day=97, kind="fight"),  # other type
    )
    a = assess(
        incs,
        kind="theft",
        lat=LAT,
        lon=LON,
        radius_m=150,
        response_at=response,
        now=response + timedelta(days=30),
        window_days=90,
    )
    assert (a.before, a.after) == (9, 1)
    assert a.before_per_30d == 3.0 and a.after_per_30d == 1.0
    assert a.change_pct == pytest.approx(-66.7)


def test_assessment_without_a_baseline_has_no_change_figure() -> None:
    a = assess(
        numbered(at(0, day=100)),
        kind="theft",
        lat=LAT,
        lon=LON,
        radius_m=150,
        response_at=T0 + timedelta(days=90),
        now=T0 + timedelta(days=120),
    )
    assert a.before == 0 and a.after == 1 and a.change_pct is None
    with pytest.raises(ValueError):
        assess(
            [], kind="theft", lat=LAT, lon=LON, radius_m=1, response_at=T0, now=T0 - timedelta(1)
        )
