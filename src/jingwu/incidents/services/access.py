"""Need to know for incidents: who sees an incident, who may act on it, how it is shown.

Police see the incidents queued at their organization or below it (a workstation's duty
officer its own desk, a station or branch commander all of theirs) and those of the police
room they work in; partner organizations see only incidents shared with them, with the
caller's phone masked. Anyone else gets 404, as if the incident did not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from jingwu import events
from jingwu.audit import services as audit
from jingwu.errors import Forbidden, NotFound
from jingwu.incidents.models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    Incident,
    IncidentShare,
    Status,
)
from jingwu.orgs.services import Actor, mask_tel
from jingwu.orgs.tree import org_tree
from jingwu.units.access import audiences, police_reach


def visible_incidents(*, actor: Actor) -> QuerySet[Incident]:
    """Every incident the actor may know exists."""
    reach = police_reach(actor)
    shared = IncidentShare.objects.filter(organization_id__in=actor.organization_ids).values(
        "incident_id"
    )
    return Incident.objects.filter(
        Q(organization_id__in=reach) | Q(room_organization_id__in=reach) | Q(id__in=shared)
    )


def list_incidents(
    *, actor: Actor, open_only: bool, organization_id: int | None = None, limit: int = 200
) -> list[Incident]:
    """The queue (open incidents, most urgent first) or the latest incidents the actor sees."""
    qs = visible_incidents(actor=actor).select_related(
        "station", "workstation", "police_room", "grid"
    )
    if organization_id is not None:
        qs = qs.filter(Q(organization_id=organization_id) | Q(room_organization_id=organization_id))
    if open_only:
        return list(
            qs.filter(status__in=OPEN_STATUSES).order_by("priority", "received_at", "id")[:limit]
        )
    return list(qs.order_by("-received_at", "-id")[:limit])


def get_incident(*, actor: Actor, incident_id: int, for_update: bool = False) -> Incident:
    """One incident the actor may see, else NotFound (existence is not revealed)."""
    qs = visible_incidents(actor=actor).select_related(
        "station", "workstation", "police_room", "grid", "organization"
    )
    if for_update:
        # Serialises writers on one incident (PostgreSQL); SQLite's IMMEDIATE already does.
        qs = qs.select_for_update(of=("self",))
    incident = qs.filter(pk=incident_id).first()
    if incident is None:
        raise NotFound(_("警情不存在。"))
    return incident


def may_act(actor: Actor, incident: Incident) -> bool:
    """Police of the incident's desk (or above it, or its police room) may dispatch and close."""
    reach = police_reach(actor)
    return incident.organization_id in reach or incident.room_organization_id in reach


def require_act(actor: Actor, incident: Incident) -> None:
    if not may_act(actor, incident):
        raise Forbidden(_("只有受理警务站及其上级的民警可以处置此警情。"))


def sending_orgs(actor: Actor, incident: Incident) -> frozenset[int] | None:
    """Whose units the actor may send to the incident: None for its police (any unit they
    see), else the actor's organizations it is shared with (a partner force sends its own).

    Forbidden when neither: a partner may only send units to incidents shared with it.
    """
    if may_act(actor, incident):
        return None
    partner = frozenset(
        IncidentShare.objects.filter(
            incident=incident, organization_id__in=actor.organization_ids
        ).values_list("organization_id", flat=True)
    )
    if not partner:
        require_act(actor, incident)
    return partner


def incident_audiences(incident: Incident, shared: list[int] | None = None) -> list[str]:
    """The desk, its station and branch, the police room, and organizations it is shared with.

    ``shared``: the organizations it is shared with, when the caller has just read them.
    """
    tree = org_tree()
    if shared is None:
        shared = list(
            IncidentShare.objects.filter(incident=incident).values_list(
                "organization_id", flat=True
            )
        )
    return audiences(incident.organization_id, incident.room_organization_id, *shared, tree=tree)


def publish_incident(
    incident: Incident, kind: str = "incident.updated", shared: list[int] | None = None
) -> None:
    """Tell every console that may see the incident (ids and statuses only)."""
    events.publish(
        kind,
        audiences=incident_audiences(incident, shared),
        id=incident.pk,
        status=incident.status,
        priority=incident.priority,
        organization_id=incident.organization_id,
    )


_LABELS: dict[str, dict[Any, Any]] = {}


def choice_label(incident: Incident, name: str) -> str:
    """``incident.get_<name>_display()`` without rebuilding the choices' dict on every call
    (the labels are lazy: translated here, in the active language)."""
    labels = _LABELS.get(name)
    if labels is None:
        labels = _LABELS[name] = dict(Incident._meta.get_field(name).flatchoices)
    value = getattr(incident, name)
    return str(labels.get(value, value))


def _ref(area: Any) -> dict[str, Any] | None:
    return {"id": area.pk, "code": area.code, "name": area.name} if area is not None else None


def timing(incident: Incident, now: datetime) -> dict[str, Any]:
    """Elapsed time and whether the response target is (being) missed."""
    arrived = incident.on_scene_at
    waiting = incident.status in (Status.RECEIVED, *ACTIVE_STATUSES) and arrived is None
    elapsed = ((arrived or now) - incident.received_at).total_seconds()
    return {
        "target_s": incident.target_s,
        "elapsed_s": round(elapsed, 1) if (waiting or arrived) else None,
        "overdue": bool(waiting and elapsed > incident.target_s),
        "target_met": (elapsed <= incident.target_s) if arrived else None,
    }


def incident_dict(incident: Incident, *, actor: Actor, now: datetime) -> dict[str, Any]:
    """An incident for lists and the queue: no personal data of the caller."""
    return {
        "id": incident.pk,
        "number": incident.number,
        "type": incident.type,
        "type_label": choice_label(incident, "type"),
        "priority": incident.priority,
        "source": incident.source,
        "source_label": choice_label(incident, "source"),
        "status": incident.status,
        "status_label": choice_label(incident, "status"),
        "open": incident.status in OPEN_STATUSES,
        "lat": incident.lat,
        "lon": incident.lon,
        "address": incident.address,
        "station": _ref(incident.station),
        "workstation": _ref(incident.workstation),
        "police_room": _ref(incident.police_room),
        "grid": _ref(incident.grid),
        "organization_id": incident.organization_id,
        "received_at": incident.received_at,
        "dispatched_at": incident.dispatched_at,
        "en_route_at": incident.en_route_at,
        "on_scene_at": incident.on_scene_at,
        "resolved_at": incident.resolved_at,
        "closed_at": incident.closed_at,
        "cancelled_at": incident.cancelled_at,
        "disposition": incident.disposition,
        "disposition_label": choice_label(incident, "disposition") if incident.disposition else "",
        **timing(incident, now),
    }


def incident_detail(
    incident: Incident,
    *,
    actor: Actor,
    now: datetime,
    request: HttpRequest | None = None,
    audit_read: bool = True,
) -> dict[str, Any]:
    """The full incident, caller included (phone masked for partners); the read is audited.

    ``audit_read=False`` only for the answer to the call that just wrote these fields: it
    echoes the caller's own input and reads nothing stored.

    An incident just made by ``create_incident`` (in this transaction, so nobody else can
    have touched it) carries ``created_shares``: it has no assignments yet and those shares,
    so neither is read again.
    """
    created_shares: list[tuple[int, str]] | None = getattr(incident, "created_shares", None)
    out = incident_dict(incident, actor=actor, now=now)
    out.update(
        description=incident.description,
        disposition_note=incident.disposition_note,
        caller_name=incident.caller_name,
        caller_phone=mask_tel(actor, incident.caller_phone),
        can_act=may_act(actor, incident),
        last_seen=(
            {
                "lat": incident.last_seen_lat,
                "lon": incident.last_seen_lon,
                "at": incident.last_seen_at,
            }
            if incident.last_seen_at
            else None
        ),
        assignments=[
            {
                "id": a.pk,
                "unit_id": a.unit_id,
                "unit_name": a.unit.name,
                "tier": a.unit.tier_id,
                "mode": a.unit.mode,
                "unit_status": a.unit.status,
                "status": a.status,
                "status_label": a.get_status_display(),
                "assigned_at": a.assigned_at,
                "eta_seconds": a.eta_seconds,
                "en_route_at": a.en_route_at,
                "on_scene_at": a.on_scene_at,
                "ended_at": a.ended_at,
            }
            for a in (
                incident.assignments.select_related("unit").order_by("assigned_at", "id")
                if created_shares is None
                else ()
            )
        ],
        shared_with=[
            {"id": org_id, "name": name}
            for org_id, name in (
                created_shares
                if created_shares is not None
                else incident.shares.order_by("id").values_list(
                    "organization_id", "organization__name"
                )
            )
        ],
    )
    if audit_read and (incident.caller_name or incident.caller_phone):
        masked = not actor.may_see_personal_data()
        audit.record(
            action="read",
            component="incidents",
            user=actor.user,
            organization_id=incident.organization_id,
            object_type="incident",
            object_id=incident.pk,
            detail="caller_name,caller_phone" + (" (phone masked)" if masked else ""),
            request=request,
        )
    return out
