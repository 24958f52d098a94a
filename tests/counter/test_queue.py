"""Tickets, check-in with a booking, and calling at a window: order, closed windows, transfers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from jingwu.counter.models import CallOrder, ServicePoint, TicketStatus, Window, WindowStatus
from jingwu.counter.services import queue
from jingwu.errors import Conflict, Forbidden, NotFound
from jingwu.orgs.services import actor_for
from tests.counter.conftest import A_TUESDAY, Clock, make_booking, make_ticket

pytestmark = pytest.mark.django_db


def test_numbers_run_per_service_letter(longtou: ServicePoint, clock: Clock) -> None:
    a = make_ticket(longtou, "residence_permit", clock.now)
    b = make_ticket(longtou, "residence_permit", clock.now)
    c = make_ticket(longtou, "travel_endorsement", clock.now)
    assert (a.number, b.number, c.number) == ("B001", "B002", "D001")


def test_a_clerk_checks_a_booking_in_and_it_becomes_a_priority_ticket(
    longtou: ServicePoint, clerk_longtou: object, clock: Clock
) -> None:
    appointment = make_booking(longtou, "residence_permit", A_TUESDAY, clock.now)
    t = make_ticket(
        longtou, "residence_permit", clock.now, user=clerk_longtou, appointment_id=appointment.pk
    )
    appointment.refresh_from_db()
    assert (t.number, t.appointment_id, appointment.status) == (
        "Y001",
        appointment.pk,
        "checked_in",
    )
    with pytest.raises(Conflict, match="已签到"), transaction.atomic():
        make_ticket(
            longtou,
            "residence_permit",
            clock.now,
            user=clerk_longtou,
            appointment_id=appointment.pk,
        )


def test_a_citizen_at_the_kiosk_needs_the_last_four_digits(
    longtou: ServicePoint, clock: Clock
) -> None:
    appointment = make_booking(longtou, "residence_permit", A_TUESDAY, clock.now)
    with pytest.raises(NotFound):
        make_ticket(
            longtou, "residence_permit", clock.now, appointment_id=appointment.pk, id_last4="0000"
        )
    t = queue.check_in_with_code(
        point_id=longtou.pk, code=appointment.code, id_last4=appointment.id_number[-4:],
        actor=actor_for(_anon()), now=clock.now,
    )  # fmt: skip
    assert t.number == "Y001"


def _anon() -> object:
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def test_bookings_in_their_slot_go_first_then_walk_ins_by_arrival(
    longtou: ServicePoint, windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    appointment = make_booking(longtou, "residence_permit", A_TUESDAY, clock.now)  # 08:30 slot
    early = make_ticket(longtou, "residence_permit", clock.now)  # 08:00
    later = make_ticket(longtou, "travel_endorsement", clock.advance(minutes=5))
    booked = make_ticket(
        longtou, "residence_permit", clock.advance(minutes=10), user=clerk_longtou,
        appointment_id=appointment.pk,
    )  # fmt: skip
    clerk = actor_for(clerk_longtou)
    clock.at(A_TUESDAY, "08:25")  # within 10 minutes of the booked slot
    calls = [
        queue.call_next(window_id=windows[2].pk, actor=clerk, now=clock.advance(minutes=1))
        for _ in range(3)
    ]
    assert [t.pk for t in calls] == [booked.pk, early.pk, later.pk]
    with pytest.raises(NotFound, match="没有等候"):
        queue.call_next(window_id=windows[2].pk, actor=clerk, now=clock.now)


def test_the_arrival_rule_ignores_bookings(
    longtou: ServicePoint, windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    ServicePoint.objects.filter(pk=longtou.pk).update(call_order=CallOrder.ARRIVAL)
    appointment = make_booking(longtou, "residence_permit", A_TUESDAY, clock.now)
    walk_in = make_ticket(longtou, "residence_permit", clock.now)
    make_ticket(
        longtou,
        "residence_permit",
        clock.advance(minutes=2),
        user=clerk_longtou,
        appointment_id=appointment.pk,
    )
    clock.at(A_TUESDAY, "08:30")
    assert (
        queue.call_next(window_id=windows[2].pk, actor=actor_for(clerk_longtou), now=clock.now).pk
        == walk_in.pk
    )


def test_a_window_only_calls_what_it_does_and_not_when_closed(
    longtou: ServicePoint, windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    make_ticket(longtou, "address_change", clock.now)  # window 1 only
    clerk = actor_for(clerk_longtou)
    with pytest.raises(NotFound):
        queue.call_next(window_id=windows[2].pk, actor=clerk, now=clock.now)
    queue.set_window_status(
        window_id=windows[1].pk, status=WindowStatus.CLOSED, actor=clerk, now=clock.now
    )
    with pytest.raises(Conflict, match="窗口未开放"):
        queue.call_next(window_id=windows[1].pk, actor=clerk, now=clock.now)


def test_recall_skip_and_transfer(
    longtou: ServicePoint, windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    clerk = actor_for(clerk_longtou)
    first = make_ticket(longtou, "travel_endorsement", clock.now)
    second = make_ticket(longtou, "travel_endorsement", clock.now)
    third = make_ticket(longtou, "travel_endorsement", clock.now)
    assert queue.call_next(window_id=windows[2].pk, actor=clerk, now=clock.now).pk == first.pk
    assert queue.recall(window_id=windows[2].pk, actor=clerk, now=clock.now).recalls == 1
    assert (
        queue.skip(window_id=windows[2].pk, actor=clerk, now=clock.now).status
        == TicketStatus.SKIPPED
    )
    assert queue.call_next(window_id=windows[2].pk, actor=clerk, now=clock.now).pk == second.pk
    moved = queue.transfer(
        window_id=windows[2].pk, to_window_id=windows[3].pk, actor=clerk, now=clock.now
    )
    assert (moved.status, moved.target_window_id) == (TicketStatus.WAITING, windows[3].pk)
    # Window 2 does not take it back; window 3 calls it before the older third ticket.
    assert queue.call_next(window_id=windows[2].pk, actor=clerk, now=clock.now).pk == third.pk
    assert queue.call_next(window_id=windows[3].pk, actor=clerk, now=clock.now).pk == second.pk


def test_a_transfer_must_go_to_a_window_that_does_the_service(
    longtou: ServicePoint, windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    clerk = actor_for(clerk_longtou)
    make_ticket(longtou, "residence_permit", clock.now)
    queue.call_next(window_id=windows[2].pk, actor=clerk, now=clock.now)
    with pytest.raises(Exception, match="不办理此事项"):
        queue.transfer(
            window_id=windows[2].pk, to_window_id=windows[1].pk, actor=clerk, now=clock.now
        )


def test_only_the_halls_staff_call(
    longtou: ServicePoint, windows: dict[int, Window], duty_taihe: object, clock: Clock
) -> None:
    make_ticket(longtou, "residence_permit", clock.now)
    with pytest.raises(Forbidden):
        queue.call_next(window_id=windows[2].pk, actor=actor_for(duty_taihe), now=clock.now)


def test_the_board_estimates_waits_per_service(
    longtou: ServicePoint, windows: dict[int, Window], clock: Clock
) -> None:
    for _ in range(4):
        make_ticket(longtou, "travel_endorsement", clock.now)
    board = queue.queue_board(point_id=longtou.pk, now=clock.now + timedelta(minutes=1))
    endorsement = next(w for w in board.waits if w.service == "travel_endorsement")
    # 4 waiting × 5 minutes over the 2 open windows that do endorsements.
    assert (endorsement.waiting, endorsement.windows_open, endorsement.estimated_minutes) == (
        4,
        2,
        10,
    )
