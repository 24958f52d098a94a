"""Working days from the official holiday calendar (chinesecalendar), 调休 included.

``chinese_calendar`` knows each year only once the State Council has published its holiday
arrangement. For a year it does not know, we fall back to Monday–Friday and flag the answer
as estimated (and log a warning once per year), rather than refusing to accept cases or open
slots: a deadline that may move by a holiday is better than a counter that stops working on
1 January. Cases store the flag (``due_estimated``) and the pages show it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

from jingwu.counter.models import DayKind

log = logging.getLogger(__name__)
_warned: set[int] = set()


@dataclass(frozen=True)
class DayInfo:
    """What a date is: a working day or not, which kind of day, and whether that is a guess."""

    day: date
    is_workday: bool
    kind: DayKind
    estimated: bool = False
    holiday_name: str | None = None


def day_info(day: date) -> DayInfo:
    """The kind of ``day``: working day (调休 Saturdays included), weekend, or public holiday."""
    try:
        workday = chinese_calendar.is_workday(day)
        _, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        if day.year not in _warned:
            _warned.add(day.year)
            log.warning(
                "chinesecalendar has no holiday data for %s: working days estimated as Mon-Fri; "
                "upgrade chinesecalendar once the arrangement is published",
                day.year,
            )
        weekday = day.weekday() < 5
        return DayInfo(day, weekday, DayKind.WORKDAY if weekday else DayKind.WEEKEND, True)
    if workday:
        return DayInfo(day, True, DayKind.WORKDAY, holiday_name=name)
    return DayInfo(day, False, DayKind.HOLIDAY if name else DayKind.WEEKEND, holiday_name=name)


def add_working_days(start: date, days: int) -> tuple[date, bool]:
    """The ``days``-th working day after ``start`` (``start`` itself for 0), and whether any
    day on the way was estimated. The day of acceptance never counts."""
    if days < 0:
        raise ValueError("days must be >= 0")
    current, estimated, left = start, False, days
    while left:
        current += timedelta(days=1)
        info = day_info(current)
        estimated |= info.estimated
        left -= info.is_workday
    return current, estimated
