"""The link to the dispatch app (``jingwu.incidents``): read what a case needs of an incident.

Disputes sit above incidents in the layer order: this module may read incidents, incidents
never read disputes. While the dispatch app is not installed, an incident can still be turned
into a case by an integration that passes the incident's facts itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.utils.translation import gettext as _

from jingwu.errors import Invalid, NotFound
from jingwu.orgs.services import Actor


@dataclass(frozen=True)
class IncidentInfo:
    """What a dispute case takes from an incident."""

    id: int
    text: str
    lat: float
    lon: float
    address: str
    called_at: datetime | None


def incident_for_case(*, actor: Actor, incident_id: int) -> IncidentInfo:
    """The incident as the actor may see it, through the dispatch app's own access rules."""
    if not apps.is_installed("jingwu.incidents"):
        raise Invalid(_("接处警模块尚未安装，无法按警情编号读取警情。"), loc=["incident_id"])
    raise NotFound(_("警情不存在。"), loc=["incident_id"])  # pragma: no cover - wired when it lands
