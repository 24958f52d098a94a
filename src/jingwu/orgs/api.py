"""API: obtain and revoke bearer tokens, and who am I."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from jingwu.orgs import services

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str
    expires_in: int


class GrantOut(Schema):
    organization_id: int
    organization_kind: str
    role: str


class MeOut(Schema):
    username: str
    name: str
    roles: list[str]
    grants: list[GrantOut]


@router.post("/token", auth=None, response={200: TokenOut}, summary="Log in and get a bearer token")
def obtain_token(request: HttpRequest, payload: TokenIn) -> dict[str, object]:
    # Not inside the token's transaction: a failed attempt must stay recorded (lockout, audit).
    user = services.log_in(request=request, username=payload.username, password=payload.password)
    with transaction.atomic():
        key = services.issue_token(
            user=user, now=timezone.now(), name=payload.name, request=request
        )
    return {"token": key, "expires_in": int(settings.API_TOKEN_TTL.total_seconds())}


@router.delete("/token", response={204: None}, summary="Revoke the token used for this request")
def revoke_token(request: HttpRequest) -> tuple[int, None]:
    key = request.headers.get("Authorization", "").partition(" ")[2].strip()
    with transaction.atomic():
        services.revoke_token(key=key, now=timezone.now(), request=request)
    return 204, None


@router.get("/me", response=MeOut, summary="The caller, their organizations and roles")
def me(request: HttpRequest) -> dict[str, object]:
    actor = services.actor_for(request.user)
    return {
        "username": request.user.get_username(),
        "name": actor.name,
        "roles": sorted(actor.roles),
        "grants": [g.__dict__ for g in actor.grants],
    }
