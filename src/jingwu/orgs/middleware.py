"""Refuse oversized request bodies before anything reads them."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


class BodySizeLimitMiddleware:
    """413 with a translated message when Content-Length exceeds ``MAX_BODY_BYTES``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_BODY_BYTES:
            msg = _("请求体过大（上限 %(limit)d 字节）。") % {"limit": settings.MAX_BODY_BYTES}
            return JsonResponse(
                {"detail": [{"type": "too_large", "msg": msg, "loc": ["body"]}]}, status=413
            )
        return self.get_response(request)
