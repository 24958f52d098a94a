"""The bearer token and the acting person are read together, fresh on every call.

``user_for_token`` reads the token, its account and the account's memberships in one plain SQL
query; these tests pin that it gives what the ORM gives, and that a revoked token, a
deactivated account, a removed membership or a deactivated organization take effect on the
very next call of the same token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from jingwu.orgs import services
from jingwu.orgs.models import ApiToken, Membership, Organization
from jingwu.orgs.services import Grant
from tests.incidents.conftest import body

pytestmark = pytest.mark.django_db

PERSONAS = [
    "duty_taihe",
    "commander_jinan",
    "railway_police",
    "property_chongxian",
    "platform_110",
    "outsider",
    "admin_jinan",
]


def _reference(username: str) -> tuple[int | None, str, tuple[Grant, ...], dict[int, Any]]:
    """The actor as the ORM reads it (the rules of ``actor_for``, written out again)."""
    user = get_user_model().objects.get(username=username)
    rows = list(
        Membership.objects.filter(person__user=user, organization__is_active=True)
        .select_related("organization", "person")
        .order_by("id")
    )
    parents = dict(Organization.objects.values_list("id", "parent_id"))

    def lineage(org_id: int) -> tuple[int, ...]:
        chain = [org_id]
        while (p := parents.get(chain[-1])) is not None and p not in chain:
            chain.append(p)
        return tuple(chain)

    return (
        rows[0].person_id if rows else None,
        rows[0].person.name if rows else username,
        tuple(Grant(m.organization_id, m.organization.kind, m.role) for m in rows),
        {m.organization_id: lineage(m.organization_id) for m in rows},
    )


def _token(username: str) -> str:
    user = get_user_model().objects.get(username=username)
    return services.issue_token(user=user, now=timezone.now(), request=_Request())


class _Request:
    """Just enough of a request for the log-in signal's receivers."""

    META: dict[str, str] = {"REMOTE_ADDR": "127.0.0.1"}
    axes_ip_address = "127.0.0.1"
    axes_user_agent = ""
    axes_path_info = "/"
    axes_http_accept = ""
    axes_attempt_time = timezone.now()
    GET: dict[str, str] = {}
    POST: dict[str, str] = {}
    path = "/"


@pytest.mark.parametrize("username", PERSONAS)
def test_the_token_gives_the_same_user_and_actor_as_the_orm(demo: None, username: str) -> None:
    key = _token(username)
    user = services.user_for_token(key=key, now=timezone.now())
    assert user is not None
    expected = get_user_model().objects.get(username=username)
    for f in expected._meta.concrete_fields:  # every column, converted as the ORM does
        assert getattr(user, f.attname) == getattr(expected, f.attname), f.attname
    assert user.date_joined.tzinfo is not None and user.is_active is True
    actor = services.actor_for(user)
    assert (actor.person_id, actor.name, actor.grants, actor.lineage) == _reference(username)
    # A session's user (no token) gets the same actor.
    again = services.actor_for(get_user_model().objects.get(username=username))
    assert (again.person_id, again.name, again.grants, again.lineage) == _reference(username)


def test_a_revoked_token_fails_on_the_next_call(api: Any) -> None:
    client = api("duty_taihe")
    assert client.get("/api/v1/auth/me").status_code == 200
    ApiToken.objects.update(revoked_at=timezone.now())
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_deactivated_account_fails_on_the_next_call(api: Any) -> None:
    client = api("duty_taihe")
    assert client.get("/api/v1/auth/me").status_code == 200
    get_user_model().objects.filter(username="duty_taihe").update(is_active=False)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_removed_membership_takes_effect_on_the_next_call(api: Any) -> None:
    client = api("duty_taihe")
    r = client.post("/api/v1/incidents", body())
    assert r.status_code == 201, r.content
    path = f"/api/v1/incidents/{r.json()['id']}"
    assert client.get(path).status_code == 200
    kept = list(Membership.objects.filter(person__user__username="duty_taihe"))
    Membership.objects.filter(pk__in=[m.pk for m in kept]).delete()
    assert client.get(path).status_code == 404  # the same token, no longer of that desk
    assert client.post("/api/v1/incidents", body()).status_code == 403
    Membership.objects.bulk_create(kept)
    assert client.get(path).status_code == 200


def test_a_deactivated_organization_takes_effect_on_the_next_call(api: Any) -> None:
    client = api("duty_taihe")
    r = client.post("/api/v1/incidents", body())
    path = f"/api/v1/incidents/{r.json()['id']}"
    orgs = Membership.objects.filter(person__user__username="duty_taihe").values("organization")
    Organization.objects.filter(pk__in=orgs).update(is_active=False)
    assert client.get(path).status_code == 404


def test_the_token_is_touched_at_most_once_a_minute(demo: None) -> None:
    key = _token("platform_110")
    now = timezone.now()
    assert services.user_for_token(key=key, now=now) is not None
    token = ApiToken.objects.get(user__username="platform_110")
    assert token.last_used_at == now
    services.user_for_token(key=key, now=now + timedelta(seconds=59))
    token.refresh_from_db()
    assert token.last_used_at == now
    services.user_for_token(key=key, now=now + timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used_at == now + timedelta(seconds=61)


def test_an_expired_or_unknown_token_gives_nobody(demo: None) -> None:
    key = _token("platform_110")
    now = timezone.now()
    assert services.user_for_token(key=key + "x", now=now) is None
    assert services.user_for_token(key=key, now=now + timedelta(days=3650)) is None


def test_a_moved_organization_changes_the_lineage(demo: None, monkeypatch: Any) -> None:
    """Parents are cached: a move saved in this process is seen at once; one made behind the
    application's back (a bulk update) once the cache's freshness has run out."""
    user = get_user_model().objects.get(username="duty_taihe")
    actor = services.actor_for(user)
    org_id = actor.grants[0].organization_id
    old = actor.lineage[org_id]
    assert len(old) >= 3  # workstation → station → branch
    org = Organization.objects.get(pk=org_id)
    org.parent_id = old[-1]  # straight under the branch
    org.save()
    moved = services.actor_for(get_user_model().objects.get(username="duty_taihe"))
    assert moved.lineage[org_id] == (org_id, old[-1]) == _reference("duty_taihe")[3][org_id]
    Organization.objects.filter(pk=org_id).update(parent_id=old[1])  # no signal
    from jingwu import caching

    monkeypatch.setattr(caching, "FRESH_S", 0.0)
    back = services.actor_for(get_user_model().objects.get(username="duty_taihe"))
    assert back.lineage[org_id] == old == _reference("duty_taihe")[3][org_id]
