"""The working-day calendar (工作日): which China calendar days are worked.

For each year, the first of these that has it decides (data, not code):
1. the official calendar the province published for the year (the State Council's notice: holidays
   and 调休 working weekends), signed and flowing down like the catalogue (node/trust/calendars.py),
   installed here with `install`;
2. the `chinese-calendar` package, which follows the same notices for the years it covers;
3. otherwise the statutory holidays (全国年节及纪念日放假办法, from the `holidays` package, without
   guessed in-lieu days) and weekends. Deadlines never stop for want of a calendar; such a year is
   listed by `fallback_years` and the province raises a yellow card for it (node/supervision/cards.py).
Case deadlines (node/cases/deadlines.py), rating and promise deadlines all count on this calendar.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

import chinese_calendar
import holidays as statutory

from node.errors import DomainError

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a calendar may be asked for (year_summary)
MAX_SPAN_DAYS = 3 * 366  # no time limit runs for longer; guards the day-by-day walk
CHINA = timezone(timedelta(hours=8), "CST")  # working days are China's calendar days (UTC+8)


log = logging.getLogger(__name__)

OFFICIAL, PACKAGE, STATUTORY = "official", "chinese-calendar", "statutory"
# where a year's working days come from, in the words of whoever must act on it
SOURCE_WORDS = {
    OFFICIAL: "省级发布的官方日历（国务院办公厅放假通知）",
    PACKAGE: "chinese-calendar 程序包收录的国务院办公厅放假通知",
    STATUTORY: "仅法定节假日与周末：本年尚无官方日历，调休不计",
}


class CalendarNotCovered(DomainError):
    """A span of working days runs beyond what any calendar can count (an absurd time limit)."""


@dataclass(frozen=True)
class YearCalendar:
    """One year's official calendar (the State Council's notice)."""

    year: int
    holidays: frozenset[date]  # 放假: days off, weekdays among them
    workdays: frozenset[date]  # 调休: weekend days that are worked

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() < 5


_lock = threading.Lock()
_official: dict[int, YearCalendar] = {}
_fallback: set[int] = set()


def install(calendars: Iterable[YearCalendar]) -> None:
    """Count the given years on their official calendars from now on (process-wide: it is national)."""
    with _lock:
        for calendar in calendars:
            _official[calendar.year] = calendar
            _fallback.discard(calendar.year)
    is_working_day.cache_clear()
    year_summary.cache_clear()


def source_of(year: int) -> str:
    """Which calendar counts the working days of `year`: OFFICIAL, PACKAGE or STATUTORY."""
    with _lock:
        if year in _official:
            return OFFICIAL
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return STATUTORY
    return PACKAGE


def fallback_years() -> set[int]:
    """Years whose working days were counted on statutory holidays alone (no calendar for them)."""
    with _lock:
        return set(_fallback)


def china_date(moment: datetime) -> date:
    """The calendar day in China at an instant (naive instants are UTC, as SQLite returns them)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(CHINA).date()


@functools.lru_cache(maxsize=8192)  # chinese-calendar checks the range on every call (~25 us)
def is_working_day(day: date) -> bool:
    """工作日: a weekday that is no public holiday, or a 调休 weekend that is worked."""
    decided = _calendar_says(day)
    if decided is not None:
        return decided
    with _lock:
        first = day.year not in _fallback
        _fallback.add(day.year)
    if first:
        log.warning(
            "no working-day calendar for %d (chinese-calendar %s ends earlier and none was published): "
            "counting statutory holidays and weekends only",
            day.year,
            chinese_calendar.__version__,
        )
    return _statutory_working_day(day)


def _calendar_says(day: date) -> bool | None:
    """Whether a calendar (the official one, else the package) has day worked; None: neither covers it."""
    with _lock:
        official = _official.get(day.year)
    if official is not None:
        return official.is_working_day(day)
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def _statutory_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _statutory_holidays(day.year)


@dataclass(frozen=True)
class YearSummary:
    """How a year is counted: on which calendar, and the days it departs from Monday to Friday."""

    year: int
    source: str  # OFFICIAL, PACKAGE or STATUTORY
    days_off: tuple[date, ...]  # weekdays not worked (放假)
    worked_weekends: tuple[date, ...]  # Saturdays and Sundays worked (调休上班)
    working_days: int


@functools.lru_cache(maxsize=16)  # a statistics page asks for two years each time (~15 ms uncached)
def year_summary(year: int) -> YearSummary:
    """The working days of a year as time limits are counted on them now. Asking does not count as
    falling back: only a deadline counted on statutory holidays lists a year in fallback_years."""
    days = [date(year, 1, 1) + timedelta(days=n) for n in range(366)]
    worked: dict[date, bool] = {}
    for day in (day for day in days if day.year == year):
        decided = _calendar_says(day)
        worked[day] = _statutory_working_day(day) if decided is None else decided
    return YearSummary(
        year,
        source_of(year),
        tuple(day for day, work in worked.items() if not work and day.weekday() < 5),
        tuple(day for day, work in worked.items() if work and day.weekday() >= 5),
        sum(worked.values()),
    )


@functools.lru_cache(maxsize=64)
def _statutory_holidays(year: int) -> frozenset[date]:
    return frozenset(statutory.country_holidays("CN", years=year, observed=False))


WEEKDAYS = "一二三四五六日"  # 周一 … 周日, by date.weekday()


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
