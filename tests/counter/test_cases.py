"""Service cases: the first handler, due dates in working days, stages forward only, handover,
the near/overdue list, and the citizen's rate-limited status lookup."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from jingwu.audit.models import AuditEntry
from jingwu.counter.models import CaseEvent, CaseStage, ServicePoint, Window
from jingwu.counter.services import cases, queue
from jingwu.errors import Forbidden, Invalid, InvalidTransition, NotFound
from jingwu.orgs.models import Person
from jingwu.orgs.services import actor_for
from tests.counter.conftest import A_TUESDAY, Clock, make_booking, make_case, make_ticket

pytestmark = pytest.mark.django_db


def test_accepting_the_called_booking_makes_the_clerk_first_handler(
    longtou: ServicePoint, windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    clerk = actor_for(clerk_longtou)
    appointment = make_booking(longtou, "residence_permit", A_TUESDAY, clock.now)
    make_ticket(
        longtou, "residence_permit", clock.now, user=clerk_longtou, appointment_id=appointment.pk
    )
    ticket = queue.call_next(window_id=windows[2].pk, actor=clerk, now=clock.now)
    case = cases.accept_case(
        window_id=windows[2].pk, ticket_id=ticket.pk, actor=clerk, now=clock.now
    )
    assert case.first_handler_id == clerk.person_id
    assert (case.applicant_name, case.id_number) == (appointment.name, appointment.id_number)
    # 居住证: 15 working days after Tuesday 1 December 2026.
    assert (case.due_date, case.due_estimated) == (date(2026, 12, 22), False)
    assert case.number.startswith("LT20261201")
    assert CaseEvent.objects.filter(case=case, kind="accepted").exists()


def test_the_due_date_skips_national_day(
    longtou: ServicePoint, windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    clock.at(date(2025, 9, 26), "10:00")
    case = make_case(windows[2], clerk_longtou, clock.now, service="travel_endorsement")
    assert case.due_date == date(2025, 10, 13)  # 7 working days: 28, 29, 30 Sep, 9, 10, 11, 13 Oct


def test_a_case_moves_forward_only(
    windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    clerk = actor_for(clerk_longtou)
    case = make_case(windows[2], clerk_longtou, clock.now)
    case = cases.move_case(case_id=case.pk, stage="producing", actor=clerk, now=clock.now)
    with pytest.raises(InvalidTransition, match="只能向前推进"):
        cases.move_case(case_id=case.pk, stage="reviewing", actor=clerk, now=clock.now)
    case = cases.move_case(case_id=case.pk, stage="ready", actor=clerk, now=clock.advance(days=3))
    assert case.ready_at == clock.now
    with pytest.raises(InvalidTransition):
        cases.move_case(
            case_id=case.pk, stage="rejected", reason="材料不齐", actor=clerk, now=clock.now
        )


def test_rejecting_needs_a_reason(
    windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    clerk = actor_for(clerk_longtou)
    case = make_case(windows[2], clerk_longtou, clock.now)
    with pytest.raises(Invalid, match="须填写原因"):
        cases.move_case(case_id=case.pk, stage="rejected", actor=clerk, now=clock.now)
    case = cases.move_case(
        case_id=case.pk, stage="rejected", reason="居住登记未满半年", actor=clerk, now=clock.now
    )
    assert (case.stage, case.reject_reason) == (CaseStage.REJECTED, "居住登记未满半年")


def test_only_the_first_handler_or_the_head_moves_a_case(
    windows: dict[int, Window], clerk_longtou: object, commander_jinan: object, clock: Clock
) -> None:
    case = make_case(windows[2], clerk_longtou, clock.now)
    officer = Person.objects.get(name="吴建国")
    case.first_handler = officer
    case.save()
    with pytest.raises(Forbidden, match="首办责任人"):
        cases.move_case(
            case_id=case.pk, stage="reviewing", actor=actor_for(clerk_longtou), now=clock.now
        )
    moved = cases.move_case(
        case_id=case.pk, stage="reviewing", actor=actor_for(commander_jinan), now=clock.now
    )
    assert moved.stage == CaseStage.REVIEWING


def test_outsiders_do_not_learn_that_a_case_exists(
    windows: dict[int, Window],
    clerk_longtou: object,
    outsider: object,
    duty_taihe: object,
    clock: Clock,
) -> None:
    case = make_case(windows[2], clerk_longtou, clock.now)
    for user in (outsider, duty_taihe):
        with pytest.raises(NotFound):
            cases.get_case(case_id=case.pk, actor=actor_for(user), now=clock.now)


def test_a_handover_needs_a_reason_and_a_colleague_and_is_on_the_record(
    windows: dict[int, Window], clerk_longtou: object, chief_chongxian: object, clock: Clock
) -> None:
    clerk = actor_for(clerk_longtou)
    case = make_case(windows[2], clerk_longtou, clock.now)
    colleague = Person.objects.get(name="陈静")
    with pytest.raises(Invalid, match="须填写原因"):
        cases.transfer_case(
            case_id=case.pk, to_person_id=colleague.pk, reason=" ", actor=clerk, now=clock.now
        )
    stranger = actor_for(chief_chongxian).person_id
    with pytest.raises(Invalid, match="另一名窗口工作人员"):
        cases.transfer_case(
            case_id=case.pk, to_person_id=stranger, reason="休假", actor=clerk, now=clock.now
        )
    case = cases.transfer_case(
        case_id=case.pk, to_person_id=colleague.pk, reason="休假", actor=clerk, now=clock.now
    )
    assert case.first_handler_id == colleague.pk
    event = CaseEvent.objects.get(case=case, kind="transfer")
    assert (event.reason, event.to_handler_id, event.actor_id) == (
        "休假",
        colleague.pk,
        clerk.person_id,
    )


def test_near_and_overdue_cases_are_listed_for_the_clerk_and_the_head(
    windows: dict[int, Window], clerk_longtou: object, commander_jinan: object, clock: Clock
) -> None:
    clock.at(date(2026, 11, 2), "09:00")
    overdue = make_case(windows[1], clerk_longtou, clock.now, service="certificate")  # due 3 Nov
    clock.at(date(2026, 11, 20), "09:00")
    near = make_case(windows[1], clerk_longtou, clock.now, service="address_change")  # due 27 Nov
    far = make_case(windows[2], clerk_longtou, clock.now)  # 居住证, due 11 Dec
    clock.at(date(2026, 11, 25), "09:00")
    clerk = actor_for(clerk_longtou)
    near_list = {
        d.case.pk: d.state for d in cases.list_cases(actor=clerk, now=clock.now, due="near")
    }
    assert near_list[overdue.pk] == "overdue" and near_list[near.pk] == "near"
    assert far.pk not in near_list
    late = [d.case.pk for d in cases.list_cases(actor=clerk, now=clock.now, due="overdue")]
    assert overdue.pk in late and near.pk not in late
    head = {
        d.case.pk
        for d in cases.list_cases(actor=actor_for(commander_jinan), now=clock.now, due="near")
    }
    assert {overdue.pk, near.pk} <= head


def _lookup(number: str, last4: str, clock: Clock) -> cases.StatusLookup:
    with transaction.atomic():
        return cases.lookup_case_status(number=number, id_last4=last4, now=clock.now)


def test_status_lookup_with_the_right_digits(
    windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    case = make_case(windows[2], clerk_longtou, clock.now)
    found = _lookup(case.number, case.id_number[-4:], clock).unwrap()
    assert (found.pk, found.stage) == (case.pk, "accepted")


def test_wrong_digits_are_counted_and_the_sixth_try_is_refused(
    windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    case = make_case(windows[2], clerk_longtou, clock.now)
    wrong = "0000" if not case.id_number.endswith("0000") else "1111"
    for _ in range(cases.LOOKUP_TRIES_PER_CASE):
        with pytest.raises(NotFound):
            _lookup(case.number, wrong, clock).unwrap()
    assert (
        AuditEntry.objects.filter(
            object_type="case_status", object_id=case.number, detail="wrong_digits"
        ).count()
        == 5
    )
    with pytest.raises(cases.RateLimited):
        _lookup(case.number, case.id_number[-4:], clock).unwrap()
    clock.advance(minutes=16)
    assert _lookup(case.number, case.id_number[-4:], clock).unwrap().pk == case.pk


def test_an_unknown_number_answers_like_wrong_digits(clock: Clock, demo: None) -> None:
    with pytest.raises(NotFound, match="未找到") as exc:
        _lookup("LT209901010001", "1234", clock).unwrap()
    assert exc.value.status == 404
