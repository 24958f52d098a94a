"""Working days from the official calendar: 国庆 and 春节 with their 调休 Saturdays and Sundays."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from jingwu.counter.models import DayKind
from jingwu.counter.services.calendar import add_working_days, day_info


@pytest.mark.parametrize(
    ("accepted", "days", "due"),
    [
        # 2024 国庆: 1–7 Oct off; Sunday 29 Sep is a working day (调休).
        (date(2024, 9, 27), 5, date(2024, 10, 10)),
        # 2025 国庆+中秋: 1–8 Oct off; Sunday 28 Sep and Saturday 11 Oct are working days.
        (date(2025, 9, 26), 3, date(2025, 9, 30)),
        (date(2025, 9, 26), 4, date(2025, 10, 9)),
        (date(2025, 9, 26), 7, date(2025, 10, 13)),
        # 2025 春节: 28 Jan – 4 Feb off; Sunday 26 Jan is a working day.
        (date(2025, 1, 24), 2, date(2025, 1, 27)),
        (date(2025, 1, 24), 3, date(2025, 2, 5)),
        # 2024 春节: 10–17 Feb off; Sunday 18 Feb is a working day.
        (date(2024, 2, 8), 2, date(2024, 2, 18)),
        # Zero days: done the same day.
        (date(2025, 10, 3), 0, date(2025, 10, 3)),
    ],
)
def test_due_dates_skip_holidays_and_count_adjusted_working_days(
    accepted: date, days: int, due: date
) -> None:
    assert add_working_days(accepted, days) == (due, False)


@pytest.mark.parametrize(
    ("day", "kind", "workday"),
    [
        (date(2025, 10, 11), DayKind.WORKDAY, True),  # a Saturday worked in lieu
        (date(2025, 10, 4), DayKind.HOLIDAY, False),  # a Saturday inside 国庆
        (date(2025, 11, 15), DayKind.WEEKEND, False),
        (date(2025, 11, 17), DayKind.WORKDAY, True),
    ],
)
def test_kind_of_day(day: date, kind: DayKind, workday: bool) -> None:
    info = day_info(day)
    assert (info.kind, info.is_workday, info.estimated) == (kind, workday, False)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_a_year_the_calendar_does_not_know_falls_back_to_weekdays_and_says_so() -> None:
    logger = logging.getLogger("jingwu.counter.services.calendar")
    records = _Records()
    logger.addHandler(records)
    try:
        due, estimated = add_working_days(date(2040, 12, 28), 2)  # a Friday
    finally:
        logger.removeHandler(records)
    assert (due, estimated) == (date(2041, 1, 1), True)
    assert day_info(date(2040, 12, 29)).kind == DayKind.WEEKEND
    assert any("no holiday data for 2040" in m for m in records.messages)
