"""API: obtain and revoke bearer tokens, and who am I."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

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
def revoke_token(request: HttpRequest) -> Status[None]:
    key = request.headers.get("Authorization", "").partition(" ")[2].strip()
    with transaction.atomic():
        services.revoke_token(key=key, now=timezone.now(), request=request)
    return Status(204, None)


@router.get("/me", response=MeOut, summary="The caller, their organizations and roles")
def me(request: HttpRequest) -> dict[str, object]:
    actor = services.actor_for(request.user)
    return {
        "username": request.user.get_username(),
        "name": actor.name,
        "roles": sorted(actor.roles),
        "grants": [g.__dict__ for g in actor.grants],
    }


orgs_router = Router(tags=["organizations"])


class OrganizationIn(Schema):
    kind: str
    name: str
    code: str
    parent_code: str | None = None


class OrganizationOut(Schema):
    id: int
    kind: str
    name: str
    code: str


class MemberIn(Schema):
    username: str
    role: str


class MemberOut(Schema):
    id: int
    organization: str
    username: str
    role: str


@orgs_router.post(
    "", response={201: OrganizationOut}, summary="Create an organization (administrators)"
)
def create_organization(request: HttpRequest, payload: OrganizationIn) -> Status[object]:
    with transaction.atomic():
        org = services.create_organization(actor=services.actor_for(request.user), **payload.dict())
    return Status(201, org)


@orgs_router.post(
    "/{code}/members", response={201: MemberOut}, summary="Give a person a role in an organization"
)
def add_member(request: HttpRequest, code: str, payload: MemberIn) -> Status[dict[str, object]]:
    with transaction.atomic():
        m = services.add_member(
            actor=services.actor_for(request.user), organization_code=code, **payload.dict()
        )
    return Status(
        201, {"id": m.pk, "organization": code, "username": payload.username, "role": m.role}
    )
