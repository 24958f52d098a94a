"""Sharing rules applied to every new incident, whoever takes it in (API, form, partner)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from jingwu.incidents.models import Incident
from jingwu.incidents.services.intake import register_share_planner
from jingwu.jointcmd.models import SharingRule
from jingwu.jointcmd.services import sharing
from jingwu.orgs.models import Organization


@receiver(post_save, sender=Incident, dispatch_uid="jointcmd.share_by_rules")
def share_by_rules(
    sender: Any, instance: Incident, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    # Inside the intake's transaction: the shares commit (and are announced) with the incident.
    # The intake plans them before it writes (``planned_rule_shares``); this is for incidents
    # saved some other way.
    if created and not raw and not getattr(instance, "shares_planned", False):
        sharing.apply_rules(incident=instance, now=timezone.now())


register_share_planner("jointcmd.rules", sharing.planned_rule_shares)


@receiver(post_save, sender=SharingRule, dispatch_uid="jointcmd.forget_saved_rule")
@receiver(post_delete, sender=SharingRule, dispatch_uid="jointcmd.forget_deleted_rule")
def forget_changed_rule(sender: Any, instance: SharingRule, **kwargs: Any) -> None:
    # The compiled polygon is also checked against the stored text on every use; this just
    # frees it at once.
    sharing.forget_rule(instance.pk)


@receiver(m2m_changed, sender=SharingRule.partners.through, dispatch_uid="jointcmd.partners")
@receiver(post_save, sender=Organization, dispatch_uid="jointcmd.partner_renamed")
def forget_rules_read(sender: Any, **kwargs: Any) -> None:
    # A rule's partners, or a partner's name: the next incident reads the rules again.
    sharing.forget_rules()
