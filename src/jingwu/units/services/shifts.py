"""Shifts: who is on duty when."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.errors import Invalid
from jingwu.orgs.services import Actor
from jingwu.units.models import Shift, Unit

LONGEST_SHIFT = timedelta(hours=24)


def add_shift(
    *, actor: Actor, unit: Unit, starts_at: datetime, ends_at: datetime, note: str = ""
) -> Shift:
    """Put a unit on duty for a period (at most 24 hours, ending after it starts)."""
    starts_at, ends_at = (
        timezone.make_aware(t) if timezone.is_naive(t) else t for t in (starts_at, ends_at)
    )
    if ends_at <= starts_at:
        raise Invalid(_("班次结束时间必须晚于开始时间。"), loc=["ends_at"])
    if ends_at - starts_at > LONGEST_SHIFT:
        raise Invalid(_("一个班次不能超过 24 小时。"), loc=["ends_at"])
    shift = Shift.objects.create(unit=unit, starts_at=starts_at, ends_at=ends_at, note=note[:120])
    audit.record(
        action="create",
        component="units",
        user=actor.user,
        organization_id=unit.organization_id,
        object_type="shift",
        object_id=shift.pk,
    )
    return shift


def list_shifts(*, unit: Unit, since: datetime, until: datetime) -> list[Shift]:
    """The unit's shifts overlapping [since, until)."""
    return list(
        Shift.objects.filter(unit=unit, starts_at__lt=until, ends_at__gt=since).order_by(
            "starts_at"
        )
    )
