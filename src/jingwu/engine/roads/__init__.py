"""Road network and travel-time engine: import OpenStreetMap, snap, bounded search, shapes.

Pure computation (numpy, scipy, shapely, pyosmium for reading files); no Django. The public
surface is re-exported here so callers write ``from jingwu.engine.roads import snap``.
"""

from .bounded import TileStats, TimeField, prepare_tiles, search, travel_times_to
from .build import ImportSummary, ModeSummary, Progress, WaySet, build_graph
from .generate import GeneratedWays, generate_demo_network, generate_grid_network, grid_ways
from .graph import (
    MODE_NAMES,
    MODES,
    InvalidPoint,
    ModeCSR,
    OutsideGraph,
    RoadError,
    RoadGraph,
    haversine_m,
)
from .osm import default_name, load_osm
from .profile import FOOT_SPEED_MPS, WayProfile, parse_maxspeed, profile_of
from .shapes import isochrone, route
from .snapping import (
    DEFAULT_MAX_SNAP_M,
    ModeUnavailable,
    Snap,
    Snaps,
    TooFarFromRoad,
    snap,
    snap_many,
)

__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "FOOT_SPEED_MPS",
    "MODES",
    "MODE_NAMES",
    "GeneratedWays",
    "ImportSummary",
    "InvalidPoint",
    "ModeCSR",
    "ModeSummary",
    "ModeUnavailable",
    "OutsideGraph",
    "Progress",
    "RoadError",
    "RoadGraph",
    "Snap",
    "Snaps",
    "TileStats",
    "TimeField",
    "TooFarFromRoad",
    "WayProfile",
    "WaySet",
    "build_graph",
    "default_name",
    "generate_demo_network",
    "generate_grid_network",
    "grid_ways",
    "haversine_m",
    "isochrone",
    "load_osm",
    "parse_maxspeed",
    "prepare_tiles",
    "profile_of",
    "route",
    "search",
    "snap",
    "snap_many",
    "travel_times_to",
]
