"""Helpers for incident tests: short ``make_*`` factories with keyword overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from jingwu.incidents import services
from jingwu.incidents.models import Incident
from jingwu.orgs.services import actor_for
from jingwu.units.models import Unit

#: Points inside the demo district, by the workstation whose sector holds them.
TAIHE = (26.1000, 119.3370)
CHONGXIAN = (26.0725, 119.3530)
OUTSIDE = (25.90, 119.00)


def body(**over: Any) -> dict[str, Any]:
    """A valid intake body near 泰禾广场."""
    b = {
        "lat": TAIHE[0], "lon": TAIHE[1], "type": "盗窃", "priority": "P2", "address": "泰禾广场北门",
        "caller_name": "吴女士", "caller_phone": "13905910125", "description": "手机被偷", "source": "110",
    }  # fmt: skip
    b.update(over)
    return b


def make_incident(
    username: str = "duty_taihe", *, now: datetime | None = None, **over: Any
) -> Incident:
    """Create an incident through the use case, as ``username``."""
    user = get_user_model().objects.get(username=username)
    fields = body(**over)
    incident, _ = services.create_incident(
        actor=actor_for(user), fields=fields, now=now or timezone.now()
    )
    return incident


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)
