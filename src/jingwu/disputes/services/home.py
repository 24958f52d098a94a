"""What the home page shows a person about disputes: alerts, their overdue cases, the board,
their meeting tasks. Plain tuples, so the console (above this app) wraps them in its panels."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from jingwu.disputes.models import (
    MEDIATOR_ROLES,
    OPEN_STAGES,
    GroupMember,
    LeadStatus,
    Participant,
)
from jingwu.disputes.services import access, leads, meetings, risk
from jingwu.orgs.services import Actor

PanelData = tuple[str, list[str], list[tuple[str, str]]]


def panels_for(actor: Actor, *, now: datetime) -> list[PanelData]:
    """The dispute panels this person needs now (none when nothing concerns them)."""
    if not actor.is_authenticated:
        return []
    out: list[PanelData] = []
    alerts = list(risk.escalating_for(actor=actor, limit=5))
    if alerts:
        out.append(
            (
                _("纠纷预警：可能激化"),
                [
                    _("%(n)s %(t)s（风险分 %(s)d）")
                    % {"n": c.number, "t": c.title, "s": c.risk_score}
                    for c in alerts
                ],
                [
                    (_("查看 %(n)s") % {"n": c.number}, f"/disputes/cases/{c.pk}/")
                    for c in alerts[:3]
                ]
                + [(_("风险预警"), "/disputes/risk/")],
            )
        )
    mine = Participant.objects.filter(person_id=actor.person_id, role__in=MEDIATOR_ROLES)
    overdue = (
        list(
            access.visible_cases(actor)
            .filter(pk__in=mine.values("case_id"), stage__in=OPEN_STAGES, due_at__lt=now)
            .order_by("due_at")[:8]
        )
        if actor.person_id
        else []
    )
    if overdue:
        out.append(
            (
                _("我的超期纠纷案件"),
                [
                    _("【超期】%(n)s %(t)s · %(s)s · 期限 %(d)s")
                    % {
                        "n": c.number,
                        "t": c.title,
                        "s": c.get_stage_display(),
                        "d": f"{c.due_at:%m-%d}",
                    }
                    for c in overdue
                ],
                [(c.number, f"/disputes/cases/{c.pk}/") for c in overdue[:3]],
            )
        )
    police_overdue = (
        access.visible_cases(actor).filter(stage__in=OPEN_STAGES, due_at__lt=now).count()
        if access.police_org_ids(actor)
        else 0
    )
    if police_overdue:
        out.append(
            (
                _("辖区超期纠纷"),
                [_("本辖区有 %(n)d 件纠纷案件超过阶段期限。") % {"n": police_overdue}],
                [(_("查看超期案件"), "/disputes/cases/?overdue=1")],
            )
        )
    groups = list(leads.groups_of(actor))
    if groups or GroupMember.objects.filter(person_id=actor.person_id).exists():
        open_leads = access.visible_leads(actor).filter(status=LeadStatus.OPEN).count()
        out.append(
            (
                _("双解主任群"),
                [_("待处理线索 %(n)d 条。") % {"n": open_leads}] + [g.name for g in groups[:3]],
                [(_("打开看板"), "/disputes/"), (_("纠纷案件"), "/disputes/cases/")],
            )
        )
    tasks = list(meetings.my_open_tasks(actor=actor)[:5])
    if tasks:
        out.append(
            (
                _("联席会议待办"),
                [
                    ("【超期】" if t.due_on < now.date() else "") + f"{t.text} · {t.due_on:%m-%d}"
                    for t in tasks
                ],
                [(t.meeting.title, f"/disputes/meetings/{t.meeting_id}/") for t in tasks[:2]],
            )
        )
    return out
