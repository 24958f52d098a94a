"""Use cases for patrol units: the fleet and its statuses, shifts, positions, cameras."""

from jingwu.units.services.cameras import (
    camera_dict,
    cameras_along,
    cameras_near,
    cameras_within,
    visible_cameras,
)
from jingwu.units.services.fleet import (
    claim_unit,
    dispatch_snapshots,
    get_unit,
    list_tiers,
    on_duty_now,
    publish_unit,
    release_unit,
    set_status,
    set_units_status_for_incident,
    tier_names,
    unit_dict,
    visible_units,
)
from jingwu.units.services.positions import report_position
from jingwu.units.services.shifts import add_shift, list_shifts

__all__ = [
    "add_shift",
    "camera_dict",
    "cameras_along",
    "cameras_near",
    "cameras_within",
    "claim_unit",
    "dispatch_snapshots",
    "get_unit",
    "list_shifts",
    "list_tiers",
    "on_duty_now",
    "publish_unit",
    "release_unit",
    "report_position",
    "set_status",
    "set_units_status_for_incident",
    "tier_names",
    "unit_dict",
    "visible_cameras",
    "visible_units",
]
