"""The link to the dispatch app (``jingwu.incidents``): read what a case needs of an incident.

Disputes sit above incidents in the layer order: this module reads incidents through the
dispatch app's own access rules; incidents never read disputes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from jingwu.errors import Forbidden, Invalid
from jingwu.incidents.models import IncidentType
from jingwu.incidents.services.access import get_incident, may_act
from jingwu.orgs.services import Actor

#: Incident types that are disputes: 纠纷, and 噪音扰民 (a neighbours' dispute).
DISPUTE_TYPES = frozenset({IncidentType.DISPUTE, IncidentType.NOISE})


@dataclass(frozen=True)
class IncidentInfo:
    """What a dispute case takes from an incident."""

    id: int
    number: str
    text: str
    lat: float
    lon: float
    address: str
    called_at: datetime | None
    caller_name: str
    caller_phone: str


def incident_for_case(*, actor: Actor, incident_id: int) -> IncidentInfo:
    """The incident, if the actor may see it (else NotFound), may act on it (else Forbidden)
    and it is a dispute (else Invalid)."""
    incident = get_incident(actor=actor, incident_id=incident_id)
    if not may_act(actor, incident):
        raise Forbidden(_("只有受理警务站及其上级的民警可以将警情转为纠纷案件。"))
    if incident.type not in DISPUTE_TYPES:
        raise Invalid(
            _("只有纠纷类警情可以转为纠纷案件（本警情为「%(t)s」）。")
            % {"t": incident.get_type_display()},
            loc=["incident_id"],
        )
    return IncidentInfo(
        id=incident.pk,
        number=incident.number,
        text=incident.description or incident.get_type_display(),
        lat=incident.lat,
        lon=incident.lon,
        address=incident.address,
        called_at=incident.received_at,
        caller_name=incident.caller_name,
        caller_phone=incident.caller_phone,
    )
