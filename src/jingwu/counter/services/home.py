"""What the home page shows window staff and workstation heads: cases due soon or overdue."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from jingwu.counter.models import OPEN_STAGES, ServiceCase
from jingwu.counter.services import access
from jingwu.counter.services.booking import booking_rule
from jingwu.counter.services.calendar import add_working_days
from jingwu.counter.services.catalogue import local_date
from jingwu.orgs.services import Actor


def panels_for(
    actor: Actor, *, now: datetime
) -> list[tuple[str, list[str], list[tuple[str, str]]]]:
    """The citizen-service panel: my (or my halls') cases near or past their due date.

    Counts only, no personal data, so reading them is not an audited read.
    """
    points = access.viewable_points(actor)
    if not points:
        return []
    heads = [p.pk for p in points if access.is_head(actor, p)]
    cases = ServiceCase.objects.filter(stage__in=OPEN_STAGES)
    cases = (
        cases.filter(service_point_id__in=heads)
        if heads
        else cases.filter(service_point__in=points, first_handler_id=actor.person_id)
    )
    today = local_date(now)
    near_limit = add_working_days(today, booking_rule().near_due_working_days)[0]
    overdue = cases.filter(due_date__lt=today).count()
    near = cases.filter(due_date__gte=today, due_date__lte=near_limit).count()
    lines = [
        _("超期 %(overdue)s 件，临期 %(near)s 件（%(whose)s）。")
        % {"overdue": overdue, "near": near, "whose": _("所辖服务点") if heads else _("本人首办")}
    ]
    links = [(_("临期与超期办件"), "/counter/cases/"), (_("业务统计"), "/counter/figures/")]
    if access.operated_points(actor):
        links.insert(0, (_("窗口工作台"), "/counter/desk/"))
    return [(_("便民服务"), lines, links)]
