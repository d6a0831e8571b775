"""Working-day deadlines (办理时限) of cases, counted on the working-day calendar (node/workdays.py).

Counting follows the usual rule (次日起算): the day of 受理 is not counted, the clock runs from the
next working day. A day on which the clock was stopped at the end of the day before is not counted
either, so a correction (补正) or a special procedure (特别程序) asked for on day P and answered on
day S leaves out the working days P+1 … S. An approved extension (延期) adds working days to the limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.errors import IllegalTransition, InvalidInput
from node.store.models import CaseDeadline
from node.workdays import MAX_SPAN_DAYS, CalendarNotCovered, is_working_day


@dataclass(frozen=True)
class Pause:
    """The clock stopped on `start` (补正, 特别程序); `end` is the day it runs again (None: still stopped)."""

    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start < day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class CaseClock:
    """A case's time limit: accepted on a day, promised working days, pauses and extensions."""

    accepted_on: date
    promised_days: int
    pauses: Sequence[Pause] = field(default_factory=tuple)
    extension_days: int = 0

    @property
    def limit(self) -> int:
        return self.promised_days + self.extension_days

    @property
    def paused(self) -> bool:
        return any(pause.end is None for pause in self.pauses)

    def counts(self, day: date) -> bool:
        """Whether day is one of the case's counted working days."""
        return day > self.accepted_on and is_working_day(day) and not _covered(day, self.pauses)

    def deadline(self) -> date | None:
        """The last day of the time limit, or None while the clock is stopped."""
        if self.paused:
            return None
        counted, day = 0, self.accepted_on
        for _ in range(MAX_SPAN_DAYS):
            if counted >= self.limit:
                return day
            day += timedelta(days=1)
            if self.counts(day):
                counted += 1
        raise CalendarNotCovered(f"a limit of {self.limit} working days from {self.accepted_on} is too long")

    def used(self, today: date) -> int:
        """Working days of the limit used up to and including today."""
        return working_days(self.accepted_on, today, self.pauses)

    def share_used(self, today: date) -> float:
        """Used share of the limit (1.0 on the deadline day; above 1.0 when overdue)."""
        if self.limit <= 0:  # 即办件: due the day of 受理, not warned about on that day
            return 0.0 if today <= self.accepted_on else 1.0
        return self.used(today) / self.limit


@dataclass(frozen=True)
class Extension:
    """An approved 延期 as its event tells it: the working days added, and why."""

    days: int
    reason: str = ""


# the 延期 event's note: the days are in no other field of the event, and the applicant's point
# learns them only from it (CaseEventNotice carries the new last day, not the days)
_EXTENSION_NOTE = re.compile(r"延期 (\d+) 个工作日(?:: (.*))?", re.S)


def extension_note(days: int, reason: str) -> str:
    """The note of a 延期 event, which `extension_in` reads back at either copy of the case."""
    return f"延期 {days} 个工作日" + (f": {reason}" if reason else "")


def extension_in(note: str) -> Extension | None:
    """The 延期 an EXTEND event's note records (`extension_note`), None if it names no days."""
    found = _EXTENSION_NOTE.fullmatch(note.strip())
    return Extension(int(found.group(1)), (found.group(2) or "").strip()) if found else None


def working_days(after: date, until: date, pauses: Iterable[Pause] = ()) -> int:
    """Working days d with after < d <= until that no pause covers."""
    stops = tuple(pauses)
    if (until - after).days > MAX_SPAN_DAYS:
        raise CalendarNotCovered(f"{after} … {until} spans more than {MAX_SPAN_DAYS} days")
    count, day = 0, after
    while day < until:
        day += timedelta(days=1)
        if is_working_day(day) and not _covered(day, stops):
            count += 1
    return count


def _covered(day: date, pauses: Iterable[Pause]) -> bool:
    return any(pause.covers(day) for pause in pauses)


# -- the case's clock row, kept by the handler in the transaction of each state change ----------


def clock_of(row: CaseDeadline) -> CaseClock:
    pauses = tuple(
        Pause(date.fromisoformat(start or ""), date.fromisoformat(end) if end else None)
        for start, end in row.pauses
    )
    return CaseClock(row.accepted_on, row.promised_days, pauses, row.extension_days)


@dataclass(frozen=True)
class Standing:
    """Where a running time limit stands today, as a window tells it."""

    used: int  # working days of the limit used, up to and including today
    limit: int  # promised days with extensions
    paused: bool  # stopped for a 特别程序 or a 补正


def extension_room(session: Session, case_id: str, statutory_days: int) -> int | None:
    """The most working days a 延期 of a case handled here may add: up to the item's statutory
    limit (track refuses more); None where no statutory limit is known."""
    row = session.get(CaseDeadline, case_id)
    if row is None or not statutory_days:
        return None
    return max(statutory_days - row.promised_days, 0)


def stopped(session: Session, case_id: str) -> bool:
    """Whether the running time limit of a case handled here is stopped (特别程序 or 补正)."""
    row = session.get(CaseDeadline, case_id)
    return row is not None and row.open and clock_of(row).paused


def standing(session: Session, case_id: str, today: date) -> Standing | None:
    """The time limit of a case handled here while it runs (None before 受理 and once concluded)."""
    row = session.get(CaseDeadline, case_id)
    if row is None or not row.open:
        return None
    clock = clock_of(row)
    return Standing(clock.used(today), clock.limit, clock.paused)


def track(
    session: Session,
    case_id: str,
    action: str,
    promised_days: int,
    today: date,
    days: int = 0,
    statutory_days: int = 0,
) -> None:
    """Start, stop, restart or end a case's clock as an action (受理, 补正, 办结, …) takes effect.

    IllegalTransition for a 特别程序 that is running already, or that is not running to be ended,
    and for a second 延期; InvalidInput for a 延期 past the item's statutory limit (statutory_days,
    0: none known).
    """
    row = session.get(CaseDeadline, case_id)
    if action == "ACCEPT":
        if row is None:
            row = CaseDeadline(
                case_id=case_id,
                accepted_on=today,
                promised_days=promised_days,
                extension_days=0,
                pauses=[],
                open=True,
            )
            session.add(row)
        _refresh(row)
        return
    if row is None or not row.open:
        return  # not 受理'd yet: the clock has not started
    if action == "SUSPEND":
        if clock_of(row).paused:
            raise IllegalTransition(f"办件 {case_id} 的计时已暂停 (the clock of the case is stopped already)")
        pause(row, today)
    elif action == "RESUME":
        if not clock_of(row).paused:
            raise IllegalTransition(
                f"办件 {case_id} 没有进行中的特别程序，无需结束 (no special procedure is running for it)"
            )
        resume(row, today)
    elif action == "EXTEND":
        if row.extension_days:  # 经批准延长一次: a second would stretch the limit without end
            raise IllegalTransition(
                f"办件 {case_id} 已延期 {row.extension_days} 个工作日，办理时限只能延长一次 "
                "(the time limit was extended already: once only)"
            )
        room = statutory_days - row.promised_days
        if statutory_days and days > room:
            # 延期 moves the promise toward the law's limit, never past it: beyond, 电子监察 would
            # no longer see a case that the law counts as overdue
            raise InvalidInput(
                f"延期 {days} 个工作日后办理时限为 {row.promised_days + days} 个工作日，"
                f"超过本事项的法定办结时限 {statutory_days} 个工作日："
                + (f"最多可延期 {room} 个工作日" if room > 0 else "承诺时限已等于法定时限，不能延期")
                + f" (an extension may not take the limit past the statutory {statutory_days} working days)"
            )
        extend(row, days)
    elif action == "REQUEST_CORRECTION":
        pause(row, today)
    elif action == "SUPPLEMENT":
        resume(row, today)
    elif action in ("APPROVE", "DENY"):
        # a pause still open ends with the case: the deadline is counted with the stopped days
        # left out, as 按时办结 compares it with the day of 办结 (a null one counted the case late)
        if clock_of(row).paused:
            resume(row, today)
        row.open, row.concluded_on = False, today
    elif action in ("WITHDRAW", "RETURN", "REFUSE"):
        if clock_of(row).paused:
            resume(row, today)
        row.open = False


def pause(row: CaseDeadline, today: date) -> None:
    """Stop the clock (补正 asked for, or a 特别程序 begins)."""
    if not clock_of(row).paused:
        row.pauses = [*row.pauses, [today.isoformat(), None]]
    _refresh(row)


def resume(row: CaseDeadline, today: date) -> None:
    """Run the clock again from the next day (补正 received, 特别程序 over)."""
    row.pauses = [[start, end or today.isoformat()] for start, end in row.pauses]
    _refresh(row)


def extend(row: CaseDeadline, days: int) -> None:
    """延期: an approved extension adds working days to the limit."""
    row.extension_days += days
    _refresh(row)


def recount(session: Session, year: int) -> int:
    """A year's official calendar came: count again the open time limits that run into that year
    (they were counted on whatever calendar there was, perhaps statutory holidays alone); returns
    how many moved. The supervision scan looks at each moved case again."""
    moved = 0
    running_into = (CaseDeadline.open.is_(True), CaseDeadline.deadline >= date(year, 1, 1))
    for row in session.scalars(select(CaseDeadline).where(*running_into)):
        if clock_of(row).deadline() != row.deadline:
            _refresh(row)
            moved += 1
    return moved


def _refresh(row: CaseDeadline) -> None:
    row.deadline = clock_of(row).deadline()
    # due at once: the next supervision scan looks at the case and schedules its next look
    row.due_on = row.accepted_on if row.deadline is not None else None
