"""Recurring problems (问题联治): clusters of incidents of one type at one place, and assessment.

A *cluster* is a centre incident and other incidents of the same type lying within
``radius_m`` of it, all of them within ``window_days`` of each other (the centre included).
Clusters are chosen greedily, largest first, and never share an incident, so each incident
is proposed for at most one problem. The greedy choice is exact for the first cluster (it is
the largest possible) and deterministic for the rest; ties go to the tighter time span, then
the tighter spread around the centre, then the smaller id.

Pure: values in, values out; ``now`` is an argument.
"""

from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy.spatial import cKDTree

from jingwu.engine.geo import LocalProjection, haversine_m


@dataclass(frozen=True)
class IncidentPoint:
    """One incident as the clustering reads it: id, type, WGS-84 position and time (aware)."""

    id: int
    kind: str
    lat: float
    lon: float
    at: datetime


@dataclass(frozen=True)
class ClusterRule:
    """What counts as recurring: ``min_count`` incidents within ``window_days`` and ``radius_m``."""

    min_count: int = 3
    window_days: float = 30.0
    radius_m: float = 150.0

    def __post_init__(self) -> None:
        if self.min_count < 2:
            raise ValueError("min_count must be at least 2")
        if not self.window_days > 0 or not self.radius_m > 0:
            raise ValueError("window_days and radius_m must be positive")


@dataclass(frozen=True)
class Cluster:
    """A proposed problem: its type, centre incident and position, members sorted by time."""

    kind: str
    centre_id: int
    lat: float
    lon: float
    member_ids: tuple[int, ...]
    first_at: datetime
    last_at: datetime
    spread_m: float

    @property
    def count(self) -> int:
        return len(self.member_ids)


def find_clusters(
    incidents: Iterable[IncidentPoint], *, rule: ClusterRule = ClusterRule()
) -> list[Cluster]:
    """The recurring clusters among ``incidents``, largest first (see the module docstring)."""
    by_kind: dict[str, list[IncidentPoint]] = defaultdict(list)
    for inc in incidents:
        by_kind[inc.kind].append(inc)
    clusters: list[Cluster] = []
    for kind in sorted(by_kind):
        group = by_kind[kind]
        if len(group) >= rule.min_count:
            clusters.extend(_clusters_of_kind(group, rule))
    clusters.sort(key=lambda c: (-c.count, c.kind, c.first_at, c.centre_id))
    return clusters


def _clusters_of_kind(group: list[IncidentPoint], rule: ClusterRule) -> list[Cluster]:
    group = sorted(group, key=lambda i: (i.at, i.id))
    lat = np.array([i.lat for i in group])
    lon = np.array([i.lon for i in group])
    proj = LocalProjection(float(lat.mean()), float(lon.mean()))
    x, y = proj.to_xy(lat, lon)
    tree = cKDTree(np.column_stack([x, y]))
    # The projection (ellipsoid) and the rule's distance (haversine) differ by up to ~0.5 %:
    # candidates come from the tree with room to spare, membership from the haversine itself,
    # so a point on the circle is in or out exactly as the rule (and the assessment) says.
    candidates = tree.query_ball_point(np.column_stack([x, y]), r=rule.radius_m * 1.01 + 1.0)
    neighbours = [
        [j for j in cand if haversine_m(group[c].lat, group[c].lon, group[j].lat, group[j].lon)
         <= rule.radius_m]
        for c, cand in enumerate(candidates)
    ]  # fmt: skip
    secs = np.array([i.at.timestamp() for i in group])
    window = rule.window_days * 86400.0
    used = np.zeros(len(group), dtype=bool)

    def best(c: int) -> tuple[int, float, float, list[int]]:
        # Members sorted by time (indices are in time order); windows must contain the centre.
        near = sorted(j for j in neighbours[c] if not used[j])
        times = [secs[j] for j in near]
        top: tuple[int, float, float, list[int]] = (0, 0.0, 0.0, [])
        lo = bisect.bisect_left(times, secs[c] - window)
        for s in range(lo, len(near)):
            if times[s] > secs[c]:
                break
            e = bisect.bisect_right(times, times[s] + window)
            members = near[s:e]
            span = times[e - 1] - times[s]
            if len(members) > top[0] or (len(members) == top[0] and span < top[1]):
                spread = float(np.hypot(x[members] - x[c], y[members] - y[c]).max())
                top = (len(members), span, spread, members)
            elif len(members) == top[0] and span == top[1]:
                spread = float(np.hypot(x[members] - x[c], y[members] - y[c]).max())
                if spread < top[2]:
                    top = (len(members), span, spread, members)
        return top

    heap: list[tuple[int, float, float, int, int]] = []
    for c in range(len(group)):
        n, span, spread, _ = best(c)
        if n >= rule.min_count:
            heapq.heappush(heap, (-n, span, spread, group[c].id, c))
    out: list[Cluster] = []
    while heap:
        key = heapq.heappop(heap)
        c = key[4]
        if used[c]:
            continue
        n, span, spread, members = best(c)
        if n < rule.min_count:
            continue
        if (-n, span, spread) != key[:3]:
            # Some members were taken by an earlier cluster: re-queue with the new figures.
            heapq.heappush(heap, (-n, span, spread, group[c].id, c))
            continue
        used[members] = True
        out.append(_cluster(group, c, members))
    return out


def _cluster(group: list[IncidentPoint], c: int, members: list[int]) -> Cluster:
    centre = group[c]
    spread = max(haversine_m(centre.lat, centre.lon, group[m].lat, group[m].lon) for m in members)
    return Cluster(
        kind=centre.kind,
        centre_id=centre.id,
        lat=centre.lat,
        lon=centre.lon,
        member_ids=tuple(group[m].id for m in members),
        first_at=group[members[0]].at,
        last_at=group[members[-1]].at,
        spread_m=round(float(spread), 1),
    )


@dataclass(frozen=True)
class Assessment:
    """Incidents at the problem's place before and after the response began, per 30 days."""

    before: int
    after: int
    before_days: float
    after_days: float
    before_per_30d: float
    after_per_30d: float
    change_pct: float | None


def assess(
    incidents: Sequence[IncidentPoint],
    *,
    kind: str,
    lat: float,
    lon: float,
    radius_m: float,
    response_at: datetime,
    now: datetime,
    window_days: float = 90.0,
) -> Assessment:
    """Compare the rate of ``kind`` incidents within ``radius_m`` before and after a response.

    The before-window is ``window_days`` ending at ``response_at``; the after-window runs from
    ``response_at`` to ``now`` (at most ``window_days``). Rates are per 30 days so a response
    started last week can already be compared; ``change_pct`` is None while nothing happened
    before (no baseline) or no time has passed since.
    """
    if now < response_at:
        raise ValueError("now is before the response")
    window = timedelta(days=window_days)
    after_end = min(now, response_at + window)
    before = after = 0
    for inc in incidents:
        if inc.kind != kind or haversine_m(lat, lon, inc.lat, inc.lon) > radius_m:
            continue
        if response_at - window <= inc.at < response_at:
            before += 1
        elif response_at <= inc.at <= after_end:
            after += 1
    after_days = (after_end - response_at).total_seconds() / 86400.0
    b_rate = before * 30.0 / window_days
    a_rate = after * 30.0 / after_days if after_days > 0 else 0.0
    change = (a_rate - b_rate) / b_rate * 100.0 if before and after_days > 0 else None
    return Assessment(
        before=before,
        after=after,
        before_days=window_days,
        after_days=round(after_days, 2),
        before_per_30d=round(b_rate, 2),
        after_per_30d=round(a_rate, 2),
        change_pct=round(change, 1) if change is not None else None,
    )
