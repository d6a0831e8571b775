"""The node's notion of now, injectable: services take a Clock, tests move a ManualClock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from node.timeutil import as_utc, utcnow
from node.workdays import CHINA, add_working_days, china_date


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    """The machine's clock (shifted by WUJI_CLOCK_OFFSET_SECONDS, see node/timeutil.py)."""

    def now(self) -> datetime:
        return utcnow()


class ManualClock:
    """A clock a test sets and advances; thread-safe, it never moves by itself."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = as_utc(moment)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta

    def advance_working_days(self, days: int, at: time = time(10, 0)) -> None:
        """Move to the `days`-th working day after today (China time), at `at` local time."""
        with self._lock:
            day = add_working_days(china_date(self._now), days)
            self._now = datetime.combine(day, at, tzinfo=CHINA).astimezone(UTC)


def china_morning(year: int, month: int, day: int, hour: int = 9) -> datetime:
    """An instant on a China calendar day, in UTC (handy for setting a ManualClock)."""
    return datetime(year, month, day, hour, tzinfo=CHINA).astimezone(UTC)
