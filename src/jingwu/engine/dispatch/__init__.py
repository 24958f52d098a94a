"""Rank the units for an incident by estimated arrival time, and say why for every unit.

One reverse search from the incident per travel mode present serves all units of that mode
(``roads.search``); each unit then reads its time from its snapped street position. A
``UnitBoard`` keeps a fleet's positions as columns and snaps each unit when its position fix
arrives, so ranking does no per-unit Python work beyond the K it returns; a plain list of
``UnitSnapshot`` works too (snapping on demand only the units that could be in reach, and
without exclusions to explain, converting only those).

Rules, in order: a unit must have a valid position, be available, belong to a patrol tier the
incident type may receive, have the required skills and reach the scene within the budget.
A position fix older than ``stale_after_s`` is flagged and its ETA widened (the unit may have
moved). Without a graph covering the incident, or for a unit far from any street, the ETA is
straight-line distance × ``detour_factor`` at the mode's typical speed, marked *estimated*.
Ties break on (ETA, tier, distance, unit id): the same input always gives the same order.
"""

from .board import UnitBoard
from .ranking import explain_ranking, rank_units
from .rules import (
    AVAILABLE,
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
)

__all__ = [
    "AVAILABLE",
    "DEFAULT_BUDGET_S",
    "DEFAULT_STALE_AFTER_S",
    "DEFAULT_TIER_RULES",
    "FALLBACK_SPEED_MPS",
    "INCIDENT_TYPE_NAMES",
    "MODE_VERBS",
    "STALE_WIDEN_CAP_S",
    "STALE_WIDEN_SHARE",
    "STATUS_NAMES",
    "TIER_NAMES",
    "DispatchError",
    "Excluded",
    "IncidentQuery",
    "Ranked",
    "Ranking",
    "UnitBoard",
    "UnitSnapshot",
    "explain_ranking",
    "rank_units",
]
