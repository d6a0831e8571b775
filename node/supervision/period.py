"""A period of days asked for by a 监察 officer (统计 by day of submission, cards by day raised)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from node.errors import InvalidInput


@dataclass(frozen=True)
class Period:
    """First and last day, both included, in China's calendar; None: open on that side."""

    start: date | None = None
    end: date | None = None

    def holds(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    @property
    def words(self) -> str:
        """As a file name or a heading says it: 2026-11-01至2026-11-30, 2026-11-01起, 至2026-11-30."""
        if self.start and self.end:
            return f"{self.start.isoformat()}至{self.end.isoformat()}"
        if self.start:
            return f"{self.start.isoformat()}起"
        return f"至{self.end.isoformat()}" if self.end else ""


ANY_DAY = Period()  # no period asked: every day


def parse_day(text: str, what: str) -> date | None:
    """A day typed as 2026-12-31 (blank: none); InvalidInput naming the field otherwise."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{what} {text} 不是日期，请按 2026-12-31 的格式填写 (not an ISO date)") from None


def parse_period(from_day: str, to_day: str) -> Period:
    """The period between two typed days; refused when it starts after it ends (every figure and
    every list would be empty, as if nothing had happened)."""
    start, end = parse_day(from_day, "起始日期"), parse_day(to_day, "截止日期")
    if start is not None and end is not None and start > end:
        raise InvalidInput(
            f"起始日期 {start.isoformat()} 晚于截止日期 {end.isoformat()}：请对调两个日期 "
            "(the period starts after it ends)"
        )
    return Period(start, end)


def last_month(today: date) -> Period:
    """The calendar month before today's: what the month-end 通报 meeting looks back at."""
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)
