"""Use cases for people and access: log-in, API tokens, the acting person, need-to-know masks."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.engine.idnumber import mask_id_number, mask_phone
from jingwu.errors import Conflict, Forbidden, Invalid, NotFound
from jingwu.orgs.models import (
    PERSONAL_DATA_ROLES,
    POLICE_KINDS,
    POLICE_ROLES,
    ApiToken,
    Membership,
    Organization,
    OrgKind,
    Person,
    Role,
)
from jingwu.orgs.tree import org_tree


@dataclass(frozen=True)
class Grant:
    """One membership as the access rules read it."""

    organization_id: int
    organization_kind: str
    role: str


@dataclass
class Actor:
    """Who is acting: the user, their memberships, and what follows from them.

    Built once per request by ``actor_for``; every access rule reads it instead of querying.
    """

    user: AbstractBaseUser | AnonymousUser
    person_id: int | None = None
    name: str = ""
    grants: tuple[Grant, ...] = ()
    #: Organization id → ids of it and all its ancestors (for "is under" checks).
    lineage: dict[int, tuple[int, ...]] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user.is_authenticated)

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    @cached_property
    def organization_ids(self) -> frozenset[int]:
        return frozenset(g.organization_id for g in self.grants)

    @cached_property
    def branch_ids(self) -> frozenset[int]:
        """The root organizations (branches) the actor's organizations hang under."""
        return frozenset(chain[-1] for chain in self.lineage.values() if chain)

    @cached_property
    def is_police(self) -> bool:
        return any(
            g.role in POLICE_ROLES and g.organization_kind in POLICE_KINDS for g in self.grants
        )

    @property
    def primary_organization_id(self) -> int | None:
        return self.grants[0].organization_id if self.grants else None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def may_see_personal_data(self) -> bool:
        """Police and window clerks see ID numbers and phones unmasked; partners do not."""
        return any(g.role in PERSONAL_DATA_ROLES for g in self.grants)

    def is_under(self, organization_id: int) -> bool:
        """True when one of the actor's organizations is ``organization_id`` or below it."""
        return any(organization_id in chain for chain in self.lineage.values())


def actor_for(user: AbstractBaseUser | AnonymousUser) -> Actor:
    """The acting person behind a user account (an anonymous actor has no grants).

    Read fresh from the database on every request (a removed membership or a deactivated
    organization takes effect at once), in two plain SQL queries; the bearer-token
    authentication reads the memberships together with the token and attaches the actor.
    """
    cached = getattr(user, "_jingwu_actor", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if not user.is_authenticated:
        return Actor(user=user)
    with connection.cursor() as cursor:
        cursor.execute(_MEMBERSHIP_SQL.format(where="p.user_id = %s"), [True, user.pk])
        rows = cursor.fetchall()
    return _attach_actor(user, rows)  # type: ignore[arg-type]


# One row per membership (in an active organization), or one row without a membership.
# Columns: person id, person name, membership id, organization id, role, organization kind.
_MEMBERSHIP_SQL = """
SELECT p.id, p.name, m.id, m.organization_id, m.role, o.kind
FROM orgs_person p
JOIN orgs_membership m ON m.person_id = p.id
JOIN orgs_organization o ON o.id = m.organization_id AND o.is_active = %s
WHERE {where}
ORDER BY m.id
"""


def _attach_actor(user: AbstractBaseUser, rows: list[tuple[Any, ...]]) -> Actor:
    """The actor from its membership rows (see ``_MEMBERSHIP_SQL``), remembered on the user."""
    tree = org_tree() if rows else None
    actor = Actor(
        user=user,
        person_id=rows[0][0] if rows else None,
        name=rows[0][1] if rows else str(user.get_username()),
        grants=tuple(Grant(r[3], r[5], r[4]) for r in rows),
        lineage={r[3]: tree.lineage(r[3]) for r in rows} if tree else {},
    )
    user._jingwu_actor = actor  # type: ignore[attr-defined]
    return actor


def log_in(*, request: HttpRequest, username: str, password: str) -> AbstractBaseUser:
    """Check a password; 5 consecutive failures lock the account for 10 minutes (django-axes)."""
    if not username or not password:
        raise Invalid(_("请输入用户名和密码。"), loc=["username" if not username else "password"])
    try:
        user = authenticate(request=request, username=username, password=password)
    except AxesBackendPermissionDenied:
        user = None
    if getattr(request, "axes_locked_out", False):
        raise Forbidden(_("连续登录失败次数过多，账号已锁定 10 分钟。"), loc=["username"])
    if user is None or not user.is_active:
        raise Invalid(_("用户名或密码不正确。"), loc=["password"])
    return user


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("ascii", "replace")).hexdigest()


def issue_token(
    *, user: AbstractBaseUser, now: datetime, name: str = "", request: HttpRequest | None = None
) -> str:
    """Create an API token for ``user`` and return its secret (shown once, stored hashed).

    Issuing a token is a log-in: the signal resets the lockout counter and writes the audit row.
    """
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    key = "jw_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:64],
        key_hash=_digest(key),
        prefix=key[3:9],
        created_at=now,
        expires_at=now + settings.API_TOKEN_TTL,
    )
    audit.record(
        action="create",
        component="orgs",
        user=user,
        object_type="api_token",
        object_id=token.pk,
        request=request,
    )
    return key


def user_for_token(*, key: str, now: datetime) -> AbstractBaseUser | None:
    """The active user behind a token that is neither expired nor revoked, else None.

    One plain SQL query reads the token, its user and the user's memberships (checked on
    every call: a revoked token, a deactivated account or a removed membership take effect
    at once); the user's actor is attached (``actor_for`` then reads nothing more).
    """
    model = get_user_model()
    fields = _user_fields()
    cols = ", ".join(f"u.{connection.ops.quote_name(f.column)}" for f in fields)
    sql = f"""
SELECT {cols}, t.id,
       CASE WHEN t.last_used_at IS NULL OR t.last_used_at < %s THEN 1 ELSE 0 END,
       p.id, p.name, m.id, m.organization_id, m.role, o.kind
FROM orgs_apitoken t
JOIN {connection.ops.quote_name(model._meta.db_table)} u ON u.id = t.user_id
LEFT JOIN orgs_person p ON p.user_id = u.id
LEFT JOIN orgs_membership m ON m.person_id = p.id AND m.organization_id IN (
    SELECT oa.id FROM orgs_organization oa WHERE oa.is_active = %s)
LEFT JOIN orgs_organization o ON o.id = m.organization_id
WHERE t.key_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s
ORDER BY m.id
"""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(now - timedelta(seconds=60)), True, _digest(key), adapt(now)])
        rows = cursor.fetchall()
    if not rows:
        return None
    n = len(fields)
    values = [_convert(f, v) for f, v in zip(fields, rows[0][:n], strict=True)]
    user = model.from_db(connection.alias, [f.attname for f in fields], values)
    if not user.is_active:
        return None
    token_id, stale = rows[0][n], rows[0][n + 1]
    # Touch at most once a minute so a busy integration does not write on every call.
    if stale:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    _attach_actor(user, [r[n + 2 :] for r in rows if r[n + 4] is not None])
    return user


def _user_fields() -> list[Any]:
    return list(get_user_model()._meta.concrete_fields)


_CONVERTERS: dict[tuple[str, str, str], tuple[Any, list[Any]]] = {}


def _convert(f: Any, value: Any) -> Any:
    """A raw column value as the ORM would give it (SQLite's text dates, 0/1 booleans)."""
    key = (connection.vendor, f.model._meta.label, f.attname)
    found = _CONVERTERS.get(key)
    if found is None:
        col = f.get_col(f.model._meta.db_table)
        found = _CONVERTERS[key] = (
            col,
            connection.ops.get_db_converters(col) + f.get_db_converters(connection),
        )
    col, converters = found
    for conv in converters:
        value = conv(value, col, connection)
    return value


def revoke_token(*, key: str, now: datetime, request: HttpRequest | None = None) -> None:
    """Revoke one token; it stops working at once."""
    token = ApiToken.objects.filter(key_hash=_digest(key), revoked_at__isnull=True).first()
    if token is None:
        raise NotFound(_("令牌不存在或已吊销。"))
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    audit.record(
        action="update",
        component="orgs",
        user=token.user,
        object_type="api_token",
        object_id=token.pk,
        detail="revoked",
        request=request,
    )


def mask_id(actor: Actor, value: str) -> str:
    """An ID number as this actor may see it."""
    return value if actor.may_see_personal_data() or not value else mask_id_number(value)


def mask_tel(actor: Actor, value: str) -> str:
    """A phone number as this actor may see it."""
    return value if actor.may_see_personal_data() or not value else mask_phone(value)


def validate_kind(kind: str) -> str:
    """An organization kind code, or a translated error naming the field."""
    if kind not in OrgKind.values:
        raise Invalid(_("未知的单位类型：%(kind)s") % {"kind": kind}, loc=["kind"])
    return kind


def validate_role(role: str) -> str:
    """A role code, or a translated error naming the field."""
    if role not in Role.values:
        raise Invalid(_("未知的角色：%(role)s") % {"role": role}, loc=["role"])
    return role


def _require_admin(actor: Actor) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden(_("只有系统管理员可以管理单位与人员。"))


def create_organization(
    *, actor: Actor, kind: str, name: str, code: str, parent_code: str | None = None
) -> Organization:
    """Create an organization (administrators only). Call inside a transaction."""
    _require_admin(actor)
    validate_kind(kind)
    if not name.strip():
        raise Invalid(_("请填写名称。"), loc=["name"])
    if not code.strip():
        raise Invalid(_("请填写代码。"), loc=["code"])
    parent = None
    if parent_code:
        parent = Organization.objects.filter(code=parent_code).first()
        if parent is None:
            raise Invalid(
                _("上级单位不存在：%(code)s") % {"code": parent_code}, loc=["parent_code"]
            )
    if Organization.objects.filter(code=code).exists():
        raise Conflict(_("代码已被使用：%(code)s") % {"code": code}, loc=["code"])
    org = Organization.objects.create(
        kind=kind, name=name.strip(), code=code.strip(), parent=parent
    )
    audit.record(
        action="create",
        component="orgs",
        user=actor.user,
        object_type="organization",
        object_id=org.pk,
    )
    return org


def add_member(*, actor: Actor, organization_code: str, username: str, role: str) -> Membership:
    """Give a person with an account a role in an organization (administrators only)."""
    _require_admin(actor)
    validate_role(role)
    org = Organization.objects.filter(code=organization_code).first()
    if org is None:
        raise NotFound(_("单位不存在。"))
    person = Person.objects.filter(user__username=username).first()
    if person is None:
        raise Invalid(_("账号不存在：%(username)s") % {"username": username}, loc=["username"])
    membership, created = Membership.objects.get_or_create(
        person=person, organization=org, role=role
    )
    if not created:
        raise Conflict(_("此人已在该单位担任此角色。"), loc=["role"])
    audit.record(
        action="create",
        component="orgs",
        user=actor.user,
        object_type="membership",
        object_id=membership.pk,
    )
    return membership
