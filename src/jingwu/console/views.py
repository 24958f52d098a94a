"""Pages: the health check, the home page per role, the jurisdiction map."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jingwu import events
from jingwu.console import home as home_panels
from jingwu.orgs.services import Actor, actor_for


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    return render(
        request, "console/home.html", {"actor": actor, "panels": home_panels.panels_for(actor)}
    )


@login_required
def jurisdiction_map(request: HttpRequest) -> HttpResponse:
    return render(request, "console/map.html", {"tile_url": settings.TILE_URL})


def audiences_of(actor: Actor) -> set[str]:
    """The event audiences a person listens to: each of their organizations, and themselves."""
    return {f"org:{oid}" for oid in actor.organization_ids} | {f"user:{actor.user.pk}"}


async def events_stream(request: HttpRequest) -> HttpResponse:
    """Server-Sent Events for the logged-in person's organizations (live boards and consoles)."""
    user = await request.auser()
    if not user.is_authenticated:
        return JsonResponse(
            {"detail": [{"type": "unauthenticated", "msg": _("请先登录。"), "loc": []}]}, status=401
        )
    actor = await sync_to_async(actor_for)(user)
    await sync_to_async(events.ensure_listener)()
    response = StreamingHttpResponse(
        events.stream(audiences_of(actor)), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
