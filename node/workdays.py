"""The working-day calendar (工作日): which China calendar days are worked.

Working days come from the `chinese-calendar` package, which follows the State Council's yearly
notice, 调休 working weekends included; wuji keeps no holiday list of its own. Case deadlines
(node/cases/deadlines.py), rating and promise deadlines all count on this calendar.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta, timezone

import chinese_calendar

from node.errors import DomainError

MAX_SPAN_DAYS = 3 * 366  # no time limit runs for longer; guards the day-by-day walk
CHINA = timezone(timedelta(hours=8), "CST")  # working days are China's calendar days (UTC+8)


class CalendarNotCovered(DomainError):
    """The holiday calendar has no data for a date (upgrade the chinese-calendar package)."""


def china_date(moment: datetime) -> date:
    """The calendar day in China at an instant (naive instants are UTC, as SQLite returns them)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(CHINA).date()


@functools.lru_cache(maxsize=8192)  # chinese-calendar checks the range on every call (~25 us)
def is_working_day(day: date) -> bool:
    """工作日: a weekday that is no public holiday, or a 调休 weekend that is worked."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as error:
        raise CalendarNotCovered(
            f"the holiday calendar (chinese-calendar {chinese_calendar.__version__}) does not cover "
            f"{day.isoformat()}: {error}; upgrade the package to count working days in {day.year}"
        ) from None


def add_working_days(start: date, days: int) -> date:
    """The day on which `days` working days after start have passed (start itself not counted)."""
    counted, day = 0, start
    for _ in range(MAX_SPAN_DAYS):
        if counted >= days:
            return day
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    raise CalendarNotCovered(f"{days} working days from {start} is too long")
