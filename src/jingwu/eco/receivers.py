"""Eco incidents reach both chiefs; the day's fire risk raises the priority of a fire.

Receivers on the incidents app's model (it never imports this app): before a new incident is
saved, a fire inside an eco zone gets the priority the zone's fire risk calls for (and the
response target of that priority); after it is saved, an eco incident inside a zone is shared
with the zone's forestry and police sides, on its timeline and in the audit log.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from jingwu.eco import services
from jingwu.incidents.models import EntryKind, Incident
from jingwu.incidents.services.config import response_targets
from jingwu.incidents.services.intake import register_share_planner
from jingwu.incidents.services.timeline import PlannedShare, add_entry, add_share
from jingwu.jointcmd.services import sharing

PRIORITIES = ["P1", "P2", "P3", "P4"]


def raised_priority(priority: str, level: int) -> str:
    """A fire's priority under a fire-risk level: 四级 and above is P1, 三级 one step up."""
    if priority not in PRIORITIES or level < 3:
        return priority
    if level >= 4:
        return "P1"
    return PRIORITIES[max(0, PRIORITIES.index(priority) - 1)]


@receiver(pre_save, sender=Incident, dispatch_uid="eco.fire_priority")
def fire_priority(sender: Any, instance: Incident, raw: bool = False, **kwargs: Any) -> None:
    if raw or not instance._state.adding or instance.type not in services.FIRE_TYPES:
        return
    zones = services.zones_at(lat=instance.lat, lon=instance.lon)
    if not zones:
        return
    today = timezone.localdate()
    risk = max((services.fire_risk(zone=z, day=today) for z in zones), key=lambda r: r.level)
    new = raised_priority(instance.priority, risk.level)
    if new != instance.priority:
        instance._eco_raised = (instance.priority, new, risk)  # type: ignore[attr-defined]
        instance.priority = new
        instance.target_s = response_targets()[new]


def _chief_shares(incident: Incident) -> list[PlannedShare]:
    """An eco incident inside a zone goes to the zone's forestry and police sides."""
    if incident.type not in services.ECO_TYPES:
        return []
    return [
        sharing.planned_share(
            org.pk, org.name, _("生态区“%(zone)s”林长+警长") % {"zone": zone.name}
        )
        for zone in services.zones_at(lat=incident.lat, lon=incident.lon)
        for org in (zone.forest_org, zone.police_org)
    ]


# The intake plans the shares before it writes; the receiver below shares incidents saved
# some other way.
register_share_planner("eco.chiefs", lambda incident, now: _chief_shares(incident))


@receiver(post_save, sender=Incident, dispatch_uid="eco.route_to_chiefs")
def route_to_chiefs(
    sender: Any, instance: Incident, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not created or instance.type not in services.ECO_TYPES:
        return
    now = timezone.now()
    raised = getattr(instance, "_eco_raised", None)
    if raised is not None:
        old, new, risk = raised
        add_entry(
            incident=instance,
            kind=EntryKind.STATUS,
            at=now,
            actor_name=_("生态警务"),
            text=_("生态区今日森林火险%(label)s，优先级由 %(old)s 提升为 %(new)s")
            % {"label": risk.label, "old": old, "new": new},
            priority=new,
        )
    if getattr(instance, "shares_planned", False):
        return
    for s in _chief_shares(instance):
        if s.organization_id != instance.organization_id:
            add_share(incident=instance, share=s, at=now)
