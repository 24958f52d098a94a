"""Fixtures for citizen services: a fixed clock, the 龙头 hall and its windows, factories.

The API reads ``django.utils.timezone.now``; ``clock`` replaces it with a settable time so a
test can stand on a chosen working day (and move forward) — set it before making API clients,
whose tokens are issued at the clock's time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from jingwu.counter.models import (
    Appointment,
    ServiceCase,
    ServicePoint,
    Slot,
    Ticket,
    Window,
)
from jingwu.counter.services import booking, cases, queue
from jingwu.counter.services.catalogue import LOCAL
from jingwu.engine.idnumber import make_id_number
from jingwu.orgs.services import actor_for

#: A Tuesday (a working day) within the holiday calendar's years, 08:00 in 福州.
A_TUESDAY = date(2026, 12, 1)


class Clock:
    """A settable ``now``: ``clock.at(day, "09:10")``, ``clock.advance(minutes=20)``."""

    def __init__(self) -> None:
        self.now = datetime.combine(A_TUESDAY, time(8, 0), tzinfo=LOCAL)

    def __call__(self) -> datetime:
        return self.now

    def at(self, day: date, hhmm: str) -> datetime:
        h, m = map(int, hhmm.split(":"))
        self.now = datetime.combine(day, time(h, m), tzinfo=LOCAL)
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    c = Clock()
    monkeypatch.setattr(timezone, "now", c)
    yield c


@pytest.fixture
def longtou(demo: None) -> ServicePoint:
    return ServicePoint.objects.get(organization__code="ws-longtou", kind="hall")


@pytest.fixture
def windows(longtou: ServicePoint) -> dict[int, Window]:
    return {w.number: w for w in Window.objects.filter(service_point=longtou)}


_seq = iter(range(10_000))


def person_id() -> str:
    """A fresh valid ID number each call (region 350111, born 1990)."""
    n = next(_seq)
    return make_id_number("350111", date(1990, 1, 1) + timedelta(days=n // 400), n % 400, "female")


def first_slot(point: ServicePoint, service: str, day: date, after: str = "00:00") -> Slot:
    """The first slot of a day for a service, at or after a local time."""
    booking.ensure_slots(point, day)
    h, m = map(int, after.split(":"))
    return (
        Slot.objects.filter(
            service_point=point,
            service__code=service,
            date=day,
            start__gte=datetime.combine(day, time(h, m), tzinfo=LOCAL),
        )
        .order_by("start")
        .first()
    )


def make_booking(
    point: ServicePoint, service: str, day: date, now: datetime, **over: Any
) -> Appointment:
    slot = over.pop("slot") if "slot" in over else first_slot(point, service, day)
    assert slot is not None, "no slot to book"
    return booking.book_slot(
        slot_id=slot.pk,
        service_code=service,
        name=over.get("name", "林秀英"),
        id_number=over.get("id_number") or person_id(),
        phone=over.get("phone", "13800000000"),
        now=now,
    )


def make_ticket(point: ServicePoint, service: str, now: datetime, **over: Any) -> Ticket:
    return queue.take_ticket(
        point_id=point.pk, service_code=service, actor=actor_for(over.pop("user", None) or _anon()),
        now=now, **over,
    )  # fmt: skip


def _anon() -> Any:
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def make_case(
    window: Window, clerk: Any, now: datetime, service: str = "residence_permit"
) -> ServiceCase:
    """A case accepted without a ticket by ``clerk`` at ``window``."""
    return cases.accept_case(
        window_id=window.pk,
        service_code=service,
        name="陈美玲",
        id_number=person_id(),
        phone="13900000000",
        actor=actor_for(clerk),
        now=now,
    )


@pytest.fixture
def factories() -> dict[str, Callable[..., Any]]:
    return {"booking": make_booking, "ticket": make_ticket, "case": make_case}
