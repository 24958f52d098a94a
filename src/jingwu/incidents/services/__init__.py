"""Use cases for call handling and dispatch (接处警)."""

from jingwu.incidents.services.access import (
    get_incident,
    incident_detail,
    incident_dict,
    list_incidents,
    may_act,
    visible_incidents,
)
from jingwu.incidents.services.intake import create_incident
from jingwu.incidents.services.lifecycle import (
    assign_unit,
    reassign,
    record_arrival,
    release_assignment,
    transition,
)
from jingwu.incidents.services.recommend import recommend
from jingwu.incidents.services.search import (
    cameras_along_route,
    cameras_near_incident,
    complete_video_task,
    create_video_task,
    list_video_tasks,
    search_area,
    set_last_seen,
    share_incident,
    video_patrollers,
)
from jingwu.incidents.services.timeline import add_note, list_timeline

__all__ = [
    "add_note",
    "assign_unit",
    "cameras_along_route",
    "cameras_near_incident",
    "complete_video_task",
    "create_incident",
    "create_video_task",
    "get_incident",
    "incident_detail",
    "incident_dict",
    "list_incidents",
    "list_timeline",
    "list_video_tasks",
    "may_act",
    "reassign",
    "recommend",
    "record_arrival",
    "release_assignment",
    "search_area",
    "set_last_seen",
    "share_incident",
    "transition",
    "video_patrollers",
    "visible_incidents",
]
