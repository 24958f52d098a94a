"""Pages: the health check, the home page per role, the jurisdiction map."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from jingwu.console import home as home_panels
from jingwu.orgs.services import actor_for


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    return render(request, "console/home.html", {"actor": actor, "panels": home_panels.panels_for(actor)})


@login_required
def jurisdiction_map(request: HttpRequest) -> HttpResponse:
    return render(request, "console/map.html", {"tile_url": settings.TILE_URL})
