"""Bearer-token authentication for the API (django-ninja security class)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from jingwu.orgs import services


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer jw_…``; the request's user becomes the token's owner."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = services.user_for_token(key=token, now=timezone.now())
        if user is None:
            return None
        request.user = user
        return user
