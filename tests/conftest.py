"""Shared fixtures: the demo district loaded once per session, personas, API clients.

Personas are the demo accounts, with Chinese names and real roles: a duty officer of
东二环泰禾商圈警务站, a grid police chief of 崇贤, a property director, a community director, a
legal-aid lawyer, a window clerk, a branch commander, and an outsider who must see nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

DEMO_PASSWORD = "jingwu-demo-test"
PERSONAS = [
    "duty_taihe",
    "chief_chongxian",
    "property_chongxian",
    "community_chongxian",
    "lawyer_jinan",
    "clerk_longtou",
    "commander_jinan",
    "outsider",
]


def _ensure_demo() -> None:
    from jingwu.demo.loader import load_demo
    from jingwu.orgs.models import Organization

    if not Organization.objects.filter(code="jinan-branch").exists():
        load_demo(password=DEMO_PASSWORD)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        _ensure_demo()
    yield
    # Before the test database is dropped: the live-event listener lets go of its connection.
    from jingwu import events

    events.stop_listener()


@pytest.fixture
def demo(db: Any) -> None:
    """The demo district (already loaded for the session; reloaded after a flush)."""
    _ensure_demo()


def _user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


@pytest.fixture
def persona(demo: None) -> Callable[[str], Any]:
    return _user


for _name in PERSONAS:

    def _make(name: str = _name) -> Any:
        @pytest.fixture(name=name)
        def _fixture(demo: None) -> Any:
            return _user(name)

        return _fixture

    globals()[f"_persona_{_name}"] = _make()


class Api:
    """A JSON API client for one user (bearer token) or nobody."""

    def __init__(self, token: str | None = None, language: str = "zh-hans") -> None:
        self.client = Client(HTTP_ACCEPT_LANGUAGE=language)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs["data"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path: str, **headers: str) -> Any:
        return self.request("get", path, **headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.request("post", path, body, **headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self.request("delete", path, **headers)


@pytest.fixture
def api(demo: None) -> Callable[..., Api]:
    """``api("duty_taihe")`` logs in through the token endpoint; ``api()`` is anonymous."""

    def make(username: str | None = None, language: str = "zh-hans") -> Api:
        if username is None:
            return Api(language=language)
        r = Client().post(
            "/api/v1/auth/token",
            data=json.dumps({"username": username, "password": DEMO_PASSWORD}),
            content_type="application/json",
        )
        assert r.status_code == 200, r.content
        return Api(r.json()["token"], language=language)

    return make


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """The areas index, the sharing rules and the organization tree are trusted for a few
    seconds in a process
    (changes made elsewhere are seen within that); a test's rolled-back or flushed data is
    such a change, so the next test asks the database again."""
    yield
    from jingwu import caching

    caching.expire_all()


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in Chinese: a request in English must not leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
