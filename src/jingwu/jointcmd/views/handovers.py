"""Handovers: the searchable history, generation, the print-ready page and its acknowledgement."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from jingwu.errors import DomainError, NotFound
from jingwu.jointcmd.services import handovers
from jingwu.jointcmd.views.common import field_errors, int_field, not_found
from jingwu.orgs.services import actor_for


@login_required
def handover_list(request: HttpRequest) -> HttpResponse:
    """The searchable history and the form that generates the next handover."""
    actor = actor_for(request.user)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            with transaction.atomic():
                h = handovers.create_handover(
                    actor=actor,
                    now=timezone.now(),
                    desk_code=request.POST.get("desk") or None,
                    notes=request.POST.get("notes", ""),
                    tasks=request.POST.get("tasks", "").splitlines(),
                )
            return redirect(f"/jointcmd/handovers/{h.pk}/")
        except DomainError as exc:
            errors = field_errors(exc)
    q = request.GET.get("q", "")
    since = parse_date(request.GET.get("since") or "")
    rows = handovers.list_handovers(
        actor=actor,
        desk_code=request.GET.get("desk") or None,
        q=q,
        since=timezone.make_aware(timezone.datetime.combine(since, timezone.datetime.min.time()))
        if since
        else None,
    )
    return render(
        request,
        "jointcmd/handovers.html",
        {
            "handovers": rows,
            "q": q,
            "desks": handovers.desks_of(actor=actor),
            "errors": errors,
            "form": request.POST if errors else {},
        },
        status=422 if errors else 200,
    )


def _handover_page(request: HttpRequest, h: Any, error: str = "") -> HttpResponse:
    items = handovers.items_of(h)
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(item.get_kind_display(), []).append(item)
    return render(
        request,
        "jointcmd/handover.html",
        {"h": h, "groups": groups, "error": error, "actor": actor_for(request.user)},
        status=409 if error else 200,
    )


@login_required
def handover_page(request: HttpRequest, handover_id: int) -> HttpResponse:
    """One handover, print-ready, with the acknowledge button for the incoming officer."""
    try:
        h = handovers.get_handover(actor=actor_for(request.user), handover_id=handover_id)
    except NotFound:
        return not_found(request)
    return _handover_page(request, h)


@login_required
@require_POST
def handover_action(request: HttpRequest, handover_id: int, action: str) -> HttpResponse:
    """Acknowledge the handover, or close one of its open tasks."""
    actor = actor_for(request.user)
    try:
        h = handovers.get_handover(actor=actor, handover_id=handover_id)
    except NotFound:
        return not_found(request)
    try:
        with transaction.atomic():
            if action == "acknowledge":
                handovers.acknowledge(actor=actor, handover=h, now=timezone.now())
            elif action == "close":
                handovers.close_task(
                    actor=actor,
                    handover=h,
                    item_id=int_field(request.POST.get("item_id"), "item_id"),
                )
            else:
                return not_found(request)
    except DomainError as exc:
        return _handover_page(request, h, str(exc.msg))
    return redirect(f"/jointcmd/handovers/{h.pk}/")
