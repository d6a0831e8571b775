"""Subtree statistics (统计): counted at each case's handler, summed up the tree as rollups.

A node counts the cases it handles, per day of submission (China calendar): cases by state,
办结 on time (按时) and early (提前, before the deadline day), online cases (网办, from the case's
channel), ratings (average score and 满意率: the share of scores 4 and 5), 差评 and their
rectifications, cards by colour. Its subtree figures are its own plus the newest rollup of each
child; it sends them to its parent as one StatsRollup. No raw case leaves a node for statistics.
A report breaks the node's own figures down by department, and the subtree's by child node.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, bindparam, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from node.clock import Clock
from node.errors import InvalidInput, clean_text
from node.store.models import Case, CaseDeadline, Rating, RectificationTask, StatsRollup, SupervisionCard
from node.store.outbound import Outbound
from node.store.sqlfunctions import china_day
from node.supervision.cards import CALENDAR_MISSING
from node.supervision.period import Period, parse_day, parse_period
from node.supervision.ratings import BAD_SCORES, SATISFIED_SCORES
from node.timeutil import as_utc, from_timestamp, shanghai, to_timestamp
from node.trust.names import PlaceNames
from wuji.divisions import DivisionCode, InvalidDivisionCode
from wuji.v1 import desk_pb2, link_pb2

log = logging.getLogger(__name__)

Days = dict[str, Counter[str]]

# A rollup's count that took longer than this (~100,000 cases on SQLite) is not made again until
# it has taken at most ROLLUP_TIME_SHARE of the time since: a county of a million cases would
# otherwise count for seconds every minute. Smaller nodes send their rollup at every tick.
SLOW_COUNT_SECONDS = 1.0
ROLLUP_TIME_SHARE = 0.05


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


_concluded = CaseDeadline.concluded_on.is_not(None)
_on_time = and_(_concluded, CaseDeadline.concluded_on <= CaseDeadline.deadline)  # none without a deadline
# a voided rating (申诉复核) counts not
_rated = and_(Rating.case_id.is_not(None), Rating.voided_at.is_(None))
_bad = and_(_rated, Rating.score.in_(BAD_SCORES))
_SUMS: dict[str, ColumnElement[int]] = {
    "cases": func.count(),
    "online": _count(Case.channel == "online"),
    "concluded": _count(_concluded),
    "on_time": _count(_on_time),
    "early": _count(and_(_on_time, CaseDeadline.concluded_on < CaseDeadline.deadline)),
    "ratings": _count(_rated),
    "rating_sum": func.sum(case((_rated, Rating.score), else_=0)),
    "satisfied": _count(and_(_rated, Rating.score.in_(SATISFIED_SCORES))),
    "bad_ratings": _count(_bad),
    "rectified": _count(and_(_bad, RectificationTask.done_at.is_not(None))),
}
_SUMMED = tuple(_SUMS)
_day_of_case = china_day(Case.submitted_at)
_OWN_COUNTS = (
    select(_day_of_case, Case.department, Case.state, *_SUMS.values())
    .outerjoin(CaseDeadline, CaseDeadline.case_id == Case.id)
    .outerjoin(Rating, Rating.case_id == Case.id)
    .outerjoin(RectificationTask, RectificationTask.case_id == Case.id)
    .where(Case.handler == bindparam("handler"))
    .group_by(_day_of_case, Case.department, Case.state)
)
_CARD_COUNTS = (
    select(SupervisionCard.submitted_on, SupervisionCard.department, SupervisionCard.colour, func.count())
    .where(
        SupervisionCard.handler == bindparam("handler"),
        SupervisionCard.reason != CALENDAR_MISSING,  # about the province's data, not a case
    )
    .group_by(SupervisionCard.submitted_on, SupervisionCard.department, SupervisionCard.colour)
)


class StatsService:
    def __init__(
        self,
        here: DivisionCode,
        sessions: sessionmaker[Session],
        readers: sessionmaker[Session],
        outbound: Outbound,
        clock: Clock,
        *,
        names: PlaceNames | None = None,
        slow_count_seconds: float = SLOW_COUNT_SECONDS,
    ) -> None:
        self.here = here
        self._names = names  # sent up with each rollup, and told by the children's
        self._sessions = sessions
        self._readers = readers
        self._outbound = outbound
        self._clock = clock
        self._last_sent = ""
        self._lock = threading.Lock()
        self._slow_count_seconds = slow_count_seconds
        self.next_count_at: datetime | None = None  # set after a slow count: none before then

    # -- counting -------------------------------------------------------------------------------

    def own_days(self, session: Session) -> Days:
        """This node's own counts per day of submission (cases it handles)."""
        return self._own(session)[0]

    def _own(self, session: Session) -> tuple[Days, dict[str, Days]]:
        """Own counts per day, in all and per handling department (cards under the department the
        card holds responsible: the month-end 通报 names the departments that were late).

        Summed by the database per day, department and state: a county handles a million cases, and
        reading each into Python took ~44 us (13 s at 300,000 cases, every minute's rollup).
        """
        days: Days = {}
        departments: dict[str, Days] = {}
        for day, department, state, *sums in session.execute(_OWN_COUNTS, {"handler": self.here.value}):
            counts = Counter({name: int(value) for name, value in zip(_SUMMED, sums, strict=True) if value})
            counts[f"state:{state}"] = counts["cases"]
            days.setdefault(day, Counter()).update(counts)
            departments.setdefault(department or "未分部门", {}).setdefault(day, Counter()).update(counts)
        cards = session.execute(_CARD_COUNTS, {"handler": self.here.value})
        for submitted_on, department, colour, number in cards:
            day, counted = submitted_on.isoformat(), f"cards:{colour}"
            days.setdefault(day, Counter())[counted] += number
            of_department = departments.setdefault(department or "未分部门", {})
            of_department.setdefault(day, Counter())[counted] += number
        return days, departments

    def subtree_days(self, session: Session, own: Days | None = None) -> tuple[Days, list[str]]:
        """Own counts (counted here unless given: counting reads every case) plus each child's
        newest rollup; and the children included."""
        days = self.own_days(session) if own is None else {day: Counter(c) for day, c in own.items()}
        children = []
        for rollup in session.scalars(select(StatsRollup).order_by(StatsRollup.child)):
            children.append(rollup.child)
            for day, counts in rollup.days.items():
                days.setdefault(day, Counter()).update(counts)
        return days, children

    def child_totals(self) -> dict[str, Counter[str]]:
        """Each reporting child's subtree counts over all days, from its newest rollup alone (no
        case is counted here: what a supervisor above the handlers can know of their cases)."""
        with self._readers() as session:
            return {
                row.child: sum((Counter(counts) for counts in row.days.values()), Counter())
                for row in session.scalars(select(StatsRollup).order_by(StatsRollup.child))
            }

    def rollups_as_of(self) -> dict[str, datetime]:
        """When each child counted the rollup held here: its row is as recent as that, not as
        the page (a child's own 统计 may already count more)."""
        with self._readers() as session:
            return {row.child: as_utc(row.as_of) for row in session.scalars(select(StatsRollup))}

    def report(self, from_day: str = "", to_day: str = "") -> desk_pb2.StatsReport:
        period = parse_period(from_day, to_day)
        with self._readers() as session:
            own, departments = self._own(session)
            subtree, children = self.subtree_days(session, own)
            rollups = {row.child: (row.days, row.as_of) for row in session.scalars(select(StatsRollup))}
        return desk_pb2.StatsReport(
            node=self.here.value,
            from_day=from_day,
            to_day=to_day,
            own=figures(_sum(own, period)),
            subtree=figures(_sum(subtree, period)),
            reporting_children=children,
            by_department=[
                desk_pb2.Breakdown(key=name, figures=figures(_sum(days, period)))
                for name, days in sorted(departments.items())
            ],
            by_child=[  # each as recent as its child counted it (数据截至), not as this report
                desk_pb2.Breakdown(
                    key=child, figures=figures(_sum(days, period)), as_of=to_timestamp(as_utc(as_of))
                )
                for child, (days, as_of) in sorted(rollups.items())
            ],
        )

    # -- rollups --------------------------------------------------------------------------------

    def push_rollup(self) -> bool:
        """Send this subtree's counts to the parent if they changed since the last rollup sent
        (and if a slow count is not too recent)."""
        parent = self.here.parent
        if parent is None:
            return False
        with self._lock:
            as_of = self._clock.now()  # the counts read next are at least this recent
            if self.next_count_at is not None and as_of < self.next_count_at:
                return False
            started = time.perf_counter()
            # in a read transaction, so arriving envelopes are not kept waiting for the writer's
            # lock meanwhile (~0.2 s at 30,000 cases on SQLite)
            with self._readers() as session:
                days, _ = self.subtree_days(session)
            spent = time.perf_counter() - started
            self.next_count_at = None
            if spent >= self._slow_count_seconds:
                self.next_count_at = as_of + timedelta(seconds=spent / ROLLUP_TIME_SHARE)
                log.info(
                    "statistics counted in %.1f s: the next rollup is counted at %s at the earliest",
                    spent,
                    shanghai(self.next_count_at, seconds=True),
                )
            names = self._names.below(self.here) if self._names is not None else {}
            digest = _digest(days, names)
            if digest == self._last_sent:
                return False
            with self._sessions.begin() as session:
                self._outbound.send(
                    session,
                    parent.value,
                    stats_rollup=link_pb2.StatsRollup(
                        node=self.here.value,
                        as_of=to_timestamp(as_of),
                        days=[
                            link_pb2.DayCounts(day=day, counts=dict(counts))
                            for day, counts in sorted(days.items())
                        ],
                        names=names,
                    ),
                )
            self._last_sent = digest
            return True

    def receive(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """A child's rollup replaces its previous one (an older one arriving late is ignored)."""
        rollup = envelope.stats_rollup
        child = DivisionCode.parse(rollup.node)
        if child.parent != self.here or envelope.origin != child.value:
            raise InvalidInput(f"a statistics rollup comes from a child of {self.here}, not {rollup.node}")
        as_of = from_timestamp(rollup.as_of)
        days = {entry.day: {key: int(value) for key, value in entry.counts.items()} for entry in rollup.days}
        for day in days:
            parse_day(day, "下级统计的日期")
        if self._names is not None:
            self._names.told(_names_below(child, rollup.names))
        row = session.get(StatsRollup, child.value)
        if row is None:
            session.add(StatsRollup(child=child.value, days=days, as_of=as_of, received_at=self._clock.now()))
        elif from_timestamp(to_timestamp(row.as_of)) <= as_of:
            row.days, row.as_of, row.received_at = days, as_of, self._clock.now()


# each rate: (what is counted, the count it is a share of); satisfaction is the mean score over the
# ratings. With none of its base counted there is no rate (shown as —, not as 0).
RATES = {
    "on_time_rate": ("on_time", "concluded"),
    "early_rate": ("early", "concluded"),
    "online_rate": ("online", "cases"),
    "satisfaction": ("rating_sum", "ratings"),
    "satisfied_rate": ("satisfied", "ratings"),
    "rectification_rate": ("rectified", "bad_ratings"),
}


def figures(counts: Mapping[str, int]) -> desk_pb2.Figures:
    return desk_pb2.Figures(
        counts={key: value for key, value in counts.items() if value},
        **{
            field: counts.get(part, 0) / counts[base] if counts.get(base) else 0.0
            for field, (part, base) in RATES.items()
        },
    )


def rate_of(figures: desk_pb2.Figures, field: str) -> float | None:
    """A rate of `figures`, or None where nothing was counted that it could be a share of."""
    return float(getattr(figures, field)) if figures.counts.get(RATES[field][1]) else None


def shown_rate(figures: desk_pb2.Figures, field: str) -> str:
    """83.3% (satisfaction: 4.20), or — where there is no rate: none rated is not a rate of 0."""
    value = rate_of(figures, field)
    if value is None:
        return "—"
    return f"{value:.2f}" if field == "satisfaction" else f"{value:.1%}"


def _sum(days: Mapping[str, Mapping[str, int]], period: Period) -> Counter[str]:
    total: Counter[str] = Counter()
    for day, counts in days.items():
        if period.holds(date.fromisoformat(day)):
            total.update(counts)
    return total


def _digest(days: Mapping[str, Counter[str]], names: Mapping[str, str]) -> str:
    canonical = {day: dict(sorted(dict(counts).items())) for day, counts in sorted(days.items())}
    both = {"days": canonical, "names": dict(sorted(names.items()))}
    return hashlib.sha256(json.dumps(both, sort_keys=True).encode()).hexdigest()


def _names_below(child: DivisionCode, names: Mapping[str, str]) -> dict[str, str]:
    """The names a child's rollup gives of its own subtree: InvalidInput for any other office (a
    child names none outside what it supervises) or a name no office bears."""
    told: dict[str, str] = {}
    for code, name in names.items():
        try:
            office = DivisionCode.parse(code)
        except InvalidDivisionCode as error:
            raise InvalidInput(f"a statistics rollup names an office by a bad code: {error}") from error
        if not office.is_in_subtree_of(child):
            raise InvalidInput(f"a rollup of {child} names {office}, which is not in its subtree")
        told[office.value] = clean_text("office name", name, 100, required=True, single_line=True)
    return told
