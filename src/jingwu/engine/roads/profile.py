"""OpenStreetMap tags to travel rules: which modes use a way, in which direction, how fast.

Defaults (documented here, the one place they live):

- **car**: speeds by ``highway`` class follow OSRM's car profile (motorway 90 km/h … residential
  25, living street 10, service 15); a parsable ``maxspeed`` replaces the class speed. ``oneway``
  is respected; ``junction=roundabout`` and ``highway=motorway`` imply it; reversible one-ways
  are closed to cars.
- **ebike** (police e-bikes, 电动自行车, legally non-motorised in China): at most 15 km/h on
  roads, never faster than a car there; cycleway 15, track and path 10, footway and pedestrian
  streets 8 only where ``bicycle=yes|designated``. Not on motorways or ``motorroad=yes``.
  ``oneway`` applies unless ``oneway:bicycle=no`` or an opposite cycleway.
- **foot**: 1.2 m/s everywhere people may walk, both directions (one-way ignored). Not on
  motorways or ``motorroad=yes``.
- **access**: the most specific tag wins (car: access < vehicle < motor_vehicle < motorcar;
  ebike: access < vehicle < bicycle; foot: access < foot). ``no``, ``private``,
  ``agricultural``, ``forestry`` and ``military`` close the way to that mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

CAR_SPEED_KMH: dict[str, float] = {
    "motorway": 90, "motorway_link": 45, "trunk": 85, "trunk_link": 40,
    "primary": 65, "primary_link": 30, "secondary": 55, "secondary_link": 25,
    "tertiary": 40, "tertiary_link": 20, "unclassified": 25, "residential": 25,
    "living_street": 10, "service": 15, "road": 20,
}  # fmt: skip
EBIKE_MAX_KMH = 15.0
EBIKE_PATH_KMH: dict[str, float] = {
    "cycleway": 15, "track": 10, "path": 10, "footway": 8, "pedestrian": 8, "bridleway": 8,
}  # fmt: skip
EBIKE_NEEDS_PERMISSION = frozenset({"footway", "pedestrian", "bridleway"})
FOOT_SPEED_MPS = 1.2
FOOT_ONLY = frozenset({"steps", "corridor"})
NO_SLOW_MODES = frozenset({"motorway", "motorway_link"})
ROUTABLE = frozenset(CAR_SPEED_KMH) | frozenset(EBIKE_PATH_KMH) | FOOT_ONLY
DENY = frozenset({"no", "private", "agricultural", "forestry", "military"})
ALLOW = frozenset({"yes", "designated", "permissive", "destination", "delivery", "customers"})
TRUE = frozenset({"yes", "true", "1"})
REVERSE = frozenset({"-1", "reverse"})
FALSE = frozenset({"no", "false", "0"})

# The tags read per way, in this order (the key of the profile cache).
KEYS: tuple[str, ...] = (
    "highway", "oneway", "junction", "access", "vehicle", "motor_vehicle", "motorcar",
    "bicycle", "foot", "maxspeed", "oneway:bicycle", "cycleway", "motorroad", "area",
)  # fmt: skip

_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")


class Tags(Protocol):
    """Anything with ``get(key)``: a dict, or pyosmium's ``TagList``."""

    def get(self, key: str, default: None = None, /) -> str | None: ...


@dataclass(frozen=True)
class ModeRule:
    """How one mode may use a way: directions (along the node order, against it) and speed."""

    forward: bool
    backward: bool
    speed_kmh: float

    @property
    def usable(self) -> bool:
        return (self.forward or self.backward) and self.speed_kmh > 0


CLOSED = ModeRule(False, False, 0.0)


@dataclass(frozen=True)
class WayProfile:
    """The rules of one way for every mode, in ``MODES`` order (car, ebike, foot)."""

    highway: str
    car: ModeRule
    ebike: ModeRule
    foot: ModeRule

    def rule(self, mode: str) -> ModeRule:
        rule: ModeRule = getattr(self, mode)
        return rule


def parse_maxspeed(value: str | None) -> float | None:
    """``maxspeed`` in km/h, or None when absent or symbolic (``CN:urban``, ``none``, ``signals``).

    Lists (``50;30``) give the lowest value; ``walk`` is 5 km/h.
    """
    if not value:
        return None
    if value.strip() == "walk":
        return 5.0
    speeds = []
    for part in value.split(";"):
        m = _MAXSPEED.match(part)
        if m:
            factor = {"mph": 1.609344, "knots": 1.852}.get(m.group(2) or "", 1.0)
            speeds.append(float(m.group(1)) * factor)
    positive = [s for s in speeds if s > 0]
    return min(positive) if positive else None


def profile_of(tags: Tags) -> WayProfile | None:
    """The travel rules of a way, or None when it is not a street anyone may travel on."""
    highway = tags.get("highway")
    if highway not in ROUTABLE:
        return None
    return profile_from_values(tuple(tags.get(k) for k in KEYS))


@lru_cache(maxsize=4096)
def profile_from_values(values: tuple[str | None, ...]) -> WayProfile | None:
    """``profile_of`` on the tag values in ``KEYS`` order; cached, as few combinations recur."""
    t = dict(zip(KEYS, values, strict=True))
    highway = t["highway"] or ""
    if highway not in ROUTABLE or t["area"] == "yes":  # a square's outline is not a street
        return None
    profile = WayProfile(highway, _car(t, highway), _ebike(t, highway), _foot(t, highway))
    if not (profile.car.usable or profile.ebike.usable or profile.foot.usable):
        return None
    return profile


def _access(t: dict[str, str | None], chain: tuple[str, ...], default: bool) -> bool:
    allowed = default
    for key in chain:
        value = t.get(key)
        if value in DENY:
            allowed = False
        elif value in ALLOW:
            allowed = True
    return allowed


def _direction(value: str | None, implied: bool) -> tuple[bool, bool] | None:
    """(forward, backward) for a ``oneway`` value; None closes the way (reversible)."""
    if value in TRUE:
        return True, False
    if value in REVERSE:
        return False, True
    if value in ("reversible", "alternating"):
        return None
    if value in FALSE:
        return True, True
    return (True, False) if implied else (True, True)


def _car(t: dict[str, str | None], highway: str) -> ModeRule:
    if highway not in CAR_SPEED_KMH:
        return CLOSED
    if not _access(t, ("access", "vehicle", "motor_vehicle", "motorcar"), True):
        return CLOSED
    implied = highway == "motorway" or t["junction"] in ("roundabout", "circular")
    direction = _direction(t["oneway"], implied)
    if direction is None:
        return CLOSED
    speed = parse_maxspeed(t["maxspeed"]) or CAR_SPEED_KMH[highway]
    return ModeRule(direction[0], direction[1], speed)


def _ebike(t: dict[str, str | None], highway: str) -> ModeRule:
    if highway in NO_SLOW_MODES or highway in FOOT_ONLY or t["motorroad"] == "yes":
        return CLOSED
    needs_permission = highway in EBIKE_NEEDS_PERMISSION
    if not _access(t, ("access", "vehicle", "bicycle"), not needs_permission):
        return CLOSED
    if highway in CAR_SPEED_KMH:
        car_speed = parse_maxspeed(t["maxspeed"]) or CAR_SPEED_KMH[highway]
        speed = min(EBIKE_MAX_KMH, car_speed)
    else:
        speed = EBIKE_PATH_KMH[highway]
    implied = highway == "motorway" or t["junction"] in ("roundabout", "circular")
    own = t["oneway:bicycle"]
    if own is not None:
        direction = _direction(own, False)
    elif t["cycleway"] in ("opposite", "opposite_lane", "opposite_track"):
        direction = (True, True)
    else:
        direction = _direction(t["oneway"], implied)
    if direction is None:
        return CLOSED
    return ModeRule(direction[0], direction[1], speed)


def _foot(t: dict[str, str | None], highway: str) -> ModeRule:
    if highway in NO_SLOW_MODES or t["motorroad"] == "yes":
        return CLOSED
    if not _access(t, ("access", "foot"), True):
        return CLOSED
    return ModeRule(True, True, FOOT_SPEED_MPS * 3.6)
