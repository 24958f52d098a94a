"""What needs the person now: the panels of the home page, chosen by role."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from jingwu.counter.services import home as counter_home
from jingwu.disputes.services import home as dispute_home
from jingwu.eco import services as eco_services
from jingwu.incidents.services import home as incident_home
from jingwu.jointcmd.services import home as jointcmd_home
from jingwu.orgs.models import Membership, Role
from jingwu.orgs.services import Actor


@dataclass
class Panel:
    """One box on the home page: a title, lines, and links."""

    title: str
    lines: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)


def panels_for(actor: Actor) -> list[Panel]:
    """The panels for this actor's roles; the jurisdiction map for everyone with a district."""
    memberships = (
        Membership.objects.filter(person_id=actor.person_id)
        .select_related("organization")
        .order_by("id")
        if actor.person_id
        else []
    )
    me = Panel(
        _("我的岗位"), [f"{m.organization.name} · {m.get_role_display()}" for m in memberships]
    )
    panels = [me]
    if actor.branch_ids:
        panels.append(
            Panel(
                _("辖区"),
                [_("分局、派出所、警务站、警务室与网格的边界。")],
                [(_("打开辖区地图"), "/map/")],
            )
        )
    if actor.has_role(Role.COMMANDER, Role.ADMIN, Role.AUDITOR):
        panels.append(
            Panel(
                _("管理"),
                [_("单位、人员、辖区与审计记录。")],
                [(_("后台管理"), "/admin/"), (_("接口文档"), "/api/v1/docs")],
            )
        )
    panels += [Panel(*p) for p in incident_home.panels_for(actor, now=timezone.now())]
    panels += [Panel(*p) for p in dispute_home.panels_for(actor, now=timezone.now())]
    panels += [Panel(*p) for p in counter_home.panels_for(actor, now=timezone.now())]
    panels += [Panel(*p) for p in jointcmd_home.panels_for(actor, now=timezone.now())]
    panels += [Panel(*p) for p in eco_services.home_panels(actor, now=timezone.now())]
    if not actor.grants:
        panels.append(Panel(_("尚无岗位"), [_("您的账号还没有加入任何单位，请联系管理员。")]))
    return panels
