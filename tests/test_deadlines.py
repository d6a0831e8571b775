"""Working-day deadlines against the chinese-calendar package: 调休, holidays, pauses, extensions."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from node import workdays
from node.cases.deadlines import CaseClock, Pause, working_days
from node.clock import ManualClock, china_morning
from node.workdays import CalendarNotCovered, china_date

FRIDAY_BEFORE_NATIONAL_DAY = date(2025, 9, 26)  # 国庆 2025: 10月1日–8日 off, 9月28日 (Sun) worked


def workdays_after(day: date, count: int, skip: tuple[date, date] | None = None) -> list[date]:
    """The first `count` working days after day by chinese-calendar itself, optionally leaving out
    the days skip[0] < d <= skip[1]."""
    days = chinese_calendar.get_workdays(day + timedelta(days=1), day + timedelta(days=60))
    if skip:
        days = [d for d in days if not skip[0] < d <= skip[1]]
    return days[:count]


def test_three_day_item_accepted_friday_before_national_day_is_due_on_the_right_date():
    clock = CaseClock(FRIDAY_BEFORE_NATIONAL_DAY, 3)
    expected = workdays_after(FRIDAY_BEFORE_NATIONAL_DAY, 3)
    assert clock.deadline() == expected[-1] == date(2025, 9, 30)
    assert date(2025, 9, 28) in expected  # the 调休 Sunday counts as a working day


def test_a_correction_pause_moves_the_deadline_past_the_holiday():
    asked, answered = (
        date(2025, 9, 29),
        date(2025, 10, 9),
    )  # 补正 asked Monday, materials in after the holiday
    open_pause = CaseClock(FRIDAY_BEFORE_NATIONAL_DAY, 3, (Pause(asked),))
    assert open_pause.paused and open_pause.deadline() is None

    clock = CaseClock(FRIDAY_BEFORE_NATIONAL_DAY, 3, (Pause(asked, answered),))
    expected = workdays_after(FRIDAY_BEFORE_NATIONAL_DAY, 3, skip=(asked, answered))
    assert clock.deadline() == expected[-1] == date(2025, 10, 10)
    assert clock.deadline() != CaseClock(FRIDAY_BEFORE_NATIONAL_DAY, 3).deadline()
    assert clock.used(date(2025, 10, 9)) == 2  # 28th and 29th; the pause counts nothing


def test_an_extension_adds_working_days_and_the_share_used_follows():
    base = CaseClock(date(2025, 11, 3), 10)
    extended = CaseClock(date(2025, 11, 3), 10, extension_days=5)
    assert base.deadline() == date(2025, 11, 17)
    assert extended.deadline() == workdays_after(date(2025, 11, 3), 15)[-1]
    assert base.share_used(date(2025, 11, 13)) == pytest.approx(0.8)
    assert extended.share_used(date(2025, 11, 13)) == pytest.approx(8 / 15)


def test_weekends_and_holidays_count_nothing():
    assert working_days(date(2025, 9, 30), date(2025, 10, 8)) == 0  # 国庆
    assert working_days(date(2025, 10, 10), date(2025, 10, 12)) == 1  # Sat 11th is a 调休 working day


def test_a_year_no_calendar_covers_counts_statutory_holidays_and_weekends():
    assert workdays.source_of(2099) == workdays.STATUTORY
    # 2099-01-01 is a Thursday (元旦): the deadline skips it and the weekend
    assert CaseClock(date(2098, 12, 31), 1).deadline() == date(2099, 1, 2)
    assert CaseClock(date(2098, 12, 31), 2).deadline() == date(2099, 1, 5)
    assert 2099 in workdays.fallback_years()


def test_a_case_running_into_2027_has_a_deadline():
    """chinese-calendar ends with 2026: a case accepted in December 2026 still gets its deadline."""
    clock = CaseClock(date(2026, 12, 21), 20)
    due = clock.deadline()
    assert due.year == 2027 and due.weekday() < 5
    assert not workdays.is_working_day(date(2027, 1, 1))  # 元旦
    assert not workdays.is_working_day(date(2027, 2, 8))  # 春节 (the third day)
    assert clock.share_used(date(2026, 12, 28)) > 0


def test_a_published_calendar_wins_over_the_fallback():
    year = 2097
    try:
        holiday, worked_saturday = date(year, 3, 4), date(year, 3, 9)  # a Monday off, a Saturday worked
        workdays.install([workdays.YearCalendar(year, frozenset({holiday}), frozenset({worked_saturday}))])
        assert workdays.source_of(year) == workdays.OFFICIAL
        assert not workdays.is_working_day(holiday) and workdays.is_working_day(worked_saturday)
        assert CaseClock(date(year, 3, 1), 1).deadline() == date(year, 3, 5)
    finally:
        workdays._official.pop(year, None)
        workdays.is_working_day.cache_clear()
        workdays.year_summary.cache_clear()


def test_an_absurd_time_limit_is_a_clear_error():
    with pytest.raises(CalendarNotCovered):
        CaseClock(date(2025, 3, 3), 5000).deadline()


def test_a_manual_clock_advances_by_working_days():
    clock = ManualClock(china_morning(2025, 9, 26))
    clock.advance_working_days(1)
    assert china_date(clock.now()) == date(2025, 9, 28)  # the 调休 Sunday
    clock.advance_working_days(3)
    assert china_date(clock.now()) == date(2025, 10, 9)


def test_an_instant_item_is_due_the_day_it_is_accepted_and_not_warned_about_that_day():
    clock = CaseClock(date(2025, 11, 3), 0)
    assert clock.deadline() == date(2025, 11, 3)
    assert clock.share_used(date(2025, 11, 3)) == 0.0 and clock.share_used(date(2025, 11, 4)) == 1.0
