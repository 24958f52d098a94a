"""Recommendations: the nearest available units over the road network, with reasons and routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from jingwu.engine.dispatch import (
    DEFAULT_TIER_RULES,
    DispatchError,
    IncidentQuery,
    explain_ranking,
)
from jingwu.engine.roads import RoadError, route
from jingwu.errors import Invalid
from jingwu.incidents.models import Incident
from jingwu.incidents.services.access import sending_orgs
from jingwu.orgs.services import Actor
from jingwu.orgs.tree import org_tree
from jingwu.units import roadgraph
from jingwu.units import services as units

#: How far (in travel time) a unit may be and still be proposed: the hills of 鼓岭 are far.
BUDGET_S = 1800.0


def recommend(
    *,
    incident: Incident,
    now: datetime,
    k: int = 5,
    with_routes: bool = False,
    skills: frozenset[str] = frozenset(),
    actor: Actor | None = None,
) -> dict[str, Any]:
    """The ``k`` best units for the incident, best first, and why the others are not proposed.

    Every active unit of the incident's branch is a candidate (the nearest force, whatever its
    workstation); the engine decides by estimated arrival over the streets. A partner force the
    incident is shared with (``actor``) is shown only its own units: it may send only those, and
    the branch's units, positions and states are not its business.
    """
    if not 1 <= k <= 50:
        raise Invalid(_("k 必须在 1 到 50 之间。"), loc=["k"])
    graph = roadgraph.get_graph()
    branch = org_tree().branch_of(incident.organization_id)
    own = sending_orgs(actor, incident) if actor is not None else None
    snapshots = units.dispatch_snapshots(branch_ids=[branch], now=now, organization_ids=own)
    query = IncidentQuery(
        lat=incident.lat, lon=incident.lon, type=incident.type, priority=int(incident.priority[1])
    )
    # A type configured here but unknown to the engine's rules is treated like "other".
    rules = DEFAULT_TIER_RULES if incident.type in DEFAULT_TIER_RULES else None
    try:
        ranking = explain_ranking(
            graph, query, snapshots, now=now, k=k, budget_s=BUDGET_S, required_skills=skills,
            allowed_tiers=None if rules else DEFAULT_TIER_RULES["other"],
        )  # fmt: skip
    except (DispatchError, RoadError) as exc:
        raise Invalid(str(exc), loc=["type"]) from exc
    by_id = {s.id: s for s in snapshots}
    items = []
    for r in ranking.ranked:
        item: dict[str, Any] = {
            "rank": r.rank,
            "unit_id": r.unit_id,
            "unit_name": r.unit_name,
            "tier": r.tier,
            "mode": r.mode,
            "eta_seconds": r.eta_seconds,
            "distance_m": r.distance_m,
            "estimated": r.estimated,
            "stale": r.stale,
            "reasons": list(r.reasons),
        }
        if with_routes:
            item["route"] = _route(graph, by_id[r.unit_id], incident)
        items.append(item)
    excluded = [
        {"unit_id": e.unit_id, "unit_name": e.unit_name, "code": e.code, "reason": e.reason}
        for e in ranking.excluded
        if e.code != "not_in_top_k"
    ]
    return {"items": items, "excluded": excluded, "road_graph": graph is not None}


def _route(graph: Any, unit: Any, incident: Incident) -> dict[str, Any] | None:
    if graph is None:
        return None
    try:
        return route(graph, (unit.lat, unit.lon), (incident.lat, incident.lon), mode=unit.mode)
    except RoadError:
        return None


def route_for(
    *, incident: Incident, unit_lat: float, unit_lon: float, mode: str
) -> dict[str, Any] | None:
    """The street route from a unit's position to the incident (GeoJSON Feature), if any."""
    graph = roadgraph.get_graph()
    if graph is None:
        return None
    try:
        return route(graph, (unit_lat, unit_lon), (incident.lat, incident.lon), mode=mode)
    except RoadError:
        return None


def eta_for(*, incident: Incident, unit_id: int, now: datetime) -> float | None:
    """The engine's ETA for one unit (stored with the assignment to compare with the arrival),
    whichever organization owns it: a branch's police unit or a partner force's own."""
    graph = roadgraph.get_graph()
    snaps = units.dispatch_snapshots(now=now, unit_ids=[unit_id])
    if not snaps:
        return None
    query = IncidentQuery(lat=incident.lat, lon=incident.lon, type=incident.type)
    try:
        ranked = explain_ranking(
            graph, query, snaps, now=now, k=1, budget_s=BUDGET_S * 2,
            allowed_tiers=frozenset({snaps[0].tier}), with_exclusions=False,
        ).ranked  # fmt: skip
    except (DispatchError, RoadError):
        return None
    return ranked[0].eta_seconds if ranked else None
