"""The live command console (指挥台): map, queue, intake form, dispatch — one page.

The page is a shell; everything on it comes from the JSON API (which checks need-to-know on
every call) and is kept current by the ``/events/`` stream.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from jingwu.incidents.models import Disposition, IncidentType, Priority, Source
from jingwu.incidents.services.config import response_targets
from jingwu.orgs.models import Organization, OrgKind
from jingwu.orgs.services import actor_for
from jingwu.orgs.tree import org_tree
from jingwu.units.access import police_reach
from jingwu.units.models import Mode, UnitStatus


def _desks(actor: Any) -> list[dict[str, Any]]:
    """The duty desks whose queue this person watches (a commander: every workstation)."""
    reach = police_reach(actor, org_tree())
    rows = Organization.objects.filter(
        pk__in=reach, kind__in=[OrgKind.WORKSTATION, OrgKind.STATION]
    ).order_by("kind", "id")
    return [{"id": o.pk, "name": o.name, "kind": o.kind} for o in rows]


def _labels() -> dict[str, str]:
    """The page script's words, translated here so the script holds no language."""
    return {
        "connected": _("实时连接正常"),
        "disconnected": _("实时连接中断，正在重连…"),
        "pick": _("点击地图选择报警位置"),
        "need_point": _("请先在地图上点击报警位置。"),
        "need_type": _("请选择警情类型。"),
        "outside": _("不在本分局辖区"),
        "recs": _("推荐力量（按预计到达时间）"),
        "assign": _("派警"),
        "release": _("撤回"),
        "reassign": _("改派"),
        "reassign_to": _("改派至此"),
        "reassign_pick": _("请在推荐力量中选择改派的单位（再点“改派”取消）。"),
        "no_recs": _("附近暂无可派力量。"),
        "assigned": _("已派力量"),
        "timeline": _("时间线"),
        "en_route": _("出发"),
        "on_scene": _("到场"),
        "resolved": _("处置完毕"),
        "closed": _("结案"),
        "cancelled": _("撤销"),
        "disposition": _("处置结果"),
        "caller": _("报警人"),
        "target": _("到场时限"),
        "elapsed": _("已用时"),
        "overdue": _("超时"),
        "eta": _("预计"),
        "estimated": _("估算"),
        "stale": _("定位过时"),
        "note": _("添加备注（回车保存）"),
        "cameras": _("附近视频"),
        "search": _("走失搜寻范围与视频"),
        "task": _("下达视频巡查"),
        "result": _("上报结果"),
        "found": _("发现目标"),
        "not_found": _("未发现"),
        "walk": _("步行"),
        "empty": _("暂无待处置警情"),
        "tier": _("级"),
        "streets": _("道路"),
        "units": _("巡防力量"),
        "incidents": _("警情"),
        "workstations": _("警务站防区"),
        "camera_layer": _("视频点位"),
        "routes": _("推荐路线"),
        "search_area": _("搜寻范围"),
        "illustrative": _("示意路网"),
        "confirm_cancel": _("确定撤销此警情？"),
        "desk": _("受理"),
        "tasks": _("视频巡查任务"),
        "assignee": _("巡查人"),
        "no_cameras": _("范围内没有视频点位。"),
        "close_needs": _("请选择处置结果后结案。"),
    }


@login_required
@ensure_csrf_cookie
def live_console(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    config = {
        "types": [{"code": c, "label": str(label)} for c, label in IncidentType.choices],
        "priorities": [{"code": c, "label": str(label)} for c, label in Priority.choices],
        "sources": [{"code": c, "label": str(label)} for c, label in Source.choices],
        "dispositions": [{"code": c, "label": str(label)} for c, label in Disposition.choices],
        "unit_statuses": {c: str(label) for c, label in UnitStatus.choices},
        "modes": {c: str(label) for c, label in Mode.choices},
        "targets_s": response_targets(),
        "desks": _desks(actor),
        "is_police": bool(police_reach(actor)),
        "tile_url": settings.TILE_URL,
        "labels": _labels(),
    }
    return render(request, "console/live.html", {"config": config})
