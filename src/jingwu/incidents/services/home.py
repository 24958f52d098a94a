"""The dispatch panel of the home page: what is waiting at the duty desks this person watches."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from jingwu.incidents.models import ACTIVE_STATUSES, Status
from jingwu.incidents.services.access import list_incidents, timing
from jingwu.orgs.services import Actor
from jingwu.units.access import police_reach


def panels_for(
    actor: Actor, *, now: datetime
) -> list[tuple[str, list[str], list[tuple[str, str]]]]:
    """One panel for police: calls waiting, overdue, units out; links to the console and figures."""
    if not police_reach(actor):
        return []
    open_ = list_incidents(actor=actor, open_only=True, limit=1000)
    waiting = sum(1 for i in open_ if i.status == Status.RECEIVED)
    working = sum(1 for i in open_ if i.status in ACTIVE_STATUSES)
    overdue = sum(1 for i in open_ if timing(i, now)["overdue"])
    lines = [
        _("待派警 %(n)s 起，处置中 %(m)s 起。") % {"n": waiting, "m": working},
        _("超过到场时限 %(n)s 起。") % {"n": overdue} if overdue else _("没有超时警情。"),
    ]
    links = [(_("打开指挥台"), "/console/"), (_("出警数据"), "/figures/")]
    return [(_("接处警"), lines, links)]
