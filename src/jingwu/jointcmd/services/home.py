"""What joint command needs from a person now: home-page panels (title, lines, links)."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from jingwu.jointcmd.models import ProblemStage
from jingwu.jointcmd.services import areas, handovers, problems, rosters, sharing
from jingwu.orgs.services import Actor

PanelTuple = tuple[str, list[str], list[tuple[str, str]]]


def panels_for(actor: Actor, *, now: datetime) -> list[PanelTuple]:
    """The joint area's live picture, handovers waiting, and the problems in hand."""
    out: list[PanelTuple] = []
    joint = areas.list_joint_areas(actor=actor)
    if joint:
        area = joint[0]
        shared = len(sharing.shared_incidents(actor=actor))
        issues = len(rosters.upcoming_issues(area=area, now=now))
        waiting = len(handovers.due_for_acknowledgement(actor=actor, now=now))
        out.append(
            (
                area.name,
                [
                    _("未结共享警情 %(n)d 起") % {"n": shared},
                    _("24 小时内排班待处理 %(n)d 项") % {"n": issues},
                    _("待确认接班 %(n)d 份") % {"n": waiting},
                ],
                [
                    (_("联勤指挥台"), "/jointcmd/"),
                    (_("联勤排班"), "/jointcmd/roster/"),
                    (_("交接班"), "/jointcmd/handovers/"),
                ],
            )
        )
    open_problems = [
        p for p in problems.list_problems(actor=actor) if p.stage != ProblemStage.CLOSED
    ]
    if open_problems:
        overdue = sum(
            1
            for p in open_problems
            for a in p.actions.all()
            if a.done_at is None and a.due_date < now.date()
        )
        out.append(
            (
                _("问题联治"),
                [
                    _("在办问题 %(n)d 个") % {"n": len(open_problems)},
                    _("逾期措施 %(n)d 项") % {"n": overdue},
                ],
                [(_("查看问题"), "/jointcmd/problems/")],
            )
        )
    return out
