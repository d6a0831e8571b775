"""Electronic supervision (电子监察): yellow and red cards, raised by one scheduled scan per node.

The scan reads the index of open time limits (case_deadline, by (open, due_on)): only the cases
due a look today, the day their warning share is reached or the day after their deadline, each
rescheduled as it is looked at; and the open rectification tasks of 差评. A card is stored once
per case and reason, shows in the case's history (GetCase lists it), and travels from the
handler to its parent (the supervising tier) and on, hop by hop, to the province; each ancestor
keeps a copy for `wuji supervision list`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import and_, func, not_, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from node import logs
from node.cases.applicants import typed_division
from node.cases.deadlines import CaseClock, clock_of, working_days
from node.cases.states import OPEN_STATES, Action, State
from node.catalogue.items import STEPS_WITH_LIMITS
from node.clock import Clock
from node.convert import card_to_proto
from node.errors import InvalidInput
from node.store.models import (
    Case,
    CaseArrival,
    CaseDeadline,
    CaseEvent,
    MissingMaterial,
    RectificationTask,
    ServiceItem,
    SupervisionCard,
)
from node.store.outbound import Outbound
from node.store.sqlfunctions import china_day
from node.supervision.period import ANY_DAY, Period
from node.timeutil import from_timestamp
from node.workdays import (
    CHINA,
    STATUTORY,
    CalendarNotCovered,
    add_working_days,
    china_date,
    fallback_years,
    source_of,
)
from wuji.divisions import DivisionCode, Tier
from wuji.v1 import case_pb2, link_pb2

log = logging.getLogger(__name__)

YELLOW, RED = "yellow", "red"
WARNING, OVERDUE, RECTIFICATION_OVERDUE = "warning", "overdue", "rectification_overdue"
REFUSAL_WITHOUT_REASON = "refusal_no_reason"
FORWARDING_LATE = "forwarding_late"
DEFERRAL_OVERDUE = "deferral_overdue"  # 容缺: a promised material did not arrive by its date
CALENDAR_MISSING = "calendar_missing"  # at the province: a year counted without its calendar
CORRECTION_REPEATED = "correction_repeated"  # 补正 asked for again: 一次性告知 was not kept
ACCEPTANCE_OVERDUE = "acceptance_overdue"  # still 申请 at its handler past the days to decide on 受理
ACCEPTANCE_DAYS = 5  # 行政许可法 第三十二条: 受理 or not within five working days of receiving it
CALENDAR_LOOKAHEAD_DAYS = 60
# by the event's action: the desk takes none of these without a reason now (OWES_REASON), so the
# card is for those a node recorded before it asked for one, kept in its database since
_UNEXPLAINED: dict[str | None, str] = {
    Action.REFUSE: "不予受理未说明理由 (a refusal must give its reason)",
    Action.DENY: "办结（不予）未说明理由 (a denial must give its reason)",
}
# cards that stay open: nothing settles them
_RECORDS = (REFUSAL_WITHOUT_REASON, FORWARDING_LATE)
# a 重复补正 closes once the case is decided on past the 补正 (受理, 不予受理, …): the step is left.
# Supplied but still 申请 at the window, the applicant may yet be asked a third time.
_IN_CORRECTION = (State.CORRECTION_REQUESTED.value, State.SUBMITTED.value)
DEFAULT_FORWARDING_DAYS = 1
DEFAULT_WARNING_SHARE = 0.8


_GIVEN_UP = frozenset({State.REFUSED, State.WITHDRAWN, State.RETURNED})  # nothing more is owed
_MARKED_PER_STATEMENT = 500  # arrivals marked checked by one UPDATE (well under any driver's parameter limit)


@dataclass(frozen=True)
class ScanResult:
    examined: int
    raised: list[str]
    closed: list[str] = field(default_factory=list)


class SupervisionService:
    def __init__(
        self,
        here: DivisionCode,
        sessions: sessionmaker[Session],
        readers: sessionmaker[Session],
        outbound: Outbound,
        clock: Clock,
        warning_share: float = DEFAULT_WARNING_SHARE,
        forwarding_days: int = DEFAULT_FORWARDING_DAYS,
    ) -> None:
        if not 0 < warning_share <= 1:
            raise ValueError(f"warning_share must be in (0, 1], not {warning_share}")
        self.here = here
        self._sessions = sessions
        self._readers = readers
        self._outbound = outbound
        self._clock = clock
        self.warning_share = warning_share
        self.forwarding_days = forwarding_days  # working days a case may take to reach its handler

    def scan(self) -> ScanResult:
        """One pass over what this node handles: open time limits, step limits, 差评 rectification
        tasks and refusals; raises only cards not raised before, and closes those whose cause is over."""
        today = china_date(self._clock.now())
        raised: list[str] = []
        with self._sessions.begin() as session:
            red = SupervisionCard.id == CaseDeadline.case_id + f":{OVERDUE}"
            yellow = aliased(SupervisionCard)  # read along, so raising asks no question per card
            # a warning is of one deadline: moved (延期, 特别程序 over), the old one closes (see
            # _close_settled) and the new deadline is warned of in its turn
            warned_of_it = and_(
                yellow.case_id == CaseDeadline.case_id,
                yellow.reason.startswith(WARNING),
                yellow.deadline == CaseDeadline.deadline,
            )
            rows = session.execute(
                select(CaseDeadline, Case, yellow.id)
                .join(Case, Case.id == CaseDeadline.case_id)
                .outerjoin(SupervisionCard, red)
                .outerjoin(yellow, warned_of_it)
                .where(
                    CaseDeadline.open.is_(True),
                    CaseDeadline.due_on <= today,  # null while paused: never due
                    CaseDeadline.deadline.is_not(None),
                    Case.handler == self.here.value,
                    SupervisionCard.id.is_(None),  # a case with its red card needs no more looking at
                )
                .order_by(CaseDeadline.deadline)
            ).all()
            for row, case, warned in rows:
                clock = clock_of(row)
                try:
                    share = clock.share_used(today)
                except CalendarNotCovered as error:  # one case's trouble must not stop the scan
                    log.error("cannot supervise case %s: %s", case.id, error, extra=logs.case(case.id))
                    continue
                assert row.deadline is not None
                if today > row.deadline:
                    detail = f"超期: 办理时限 {clock.limit} 个工作日, 截止 {row.deadline.isoformat()}"
                    raised += self._raise(session, case, RED, OVERDUE, detail, row.deadline, known=False)
                elif share >= self.warning_share and warned is None:  # past the deadline: no warning
                    detail = (
                        f"预警: 已用 {clock.used(today)}/{clock.limit} 个工作日 ({share:.0%}), "
                        f"截止 {row.deadline.isoformat()}"
                    )
                    reason = self._warning_reason(session, case.id, row.deadline)
                    raised += self._raise(session, case, YELLOW, reason, detail, row.deadline, known=False)
                try:
                    row.due_on = self._next_look(clock, row.deadline, today)
                except CalendarNotCovered as error:  # left due: looked at again next time
                    log.error("cannot schedule the supervision of case %s: %s", case.id, error)
            tasks = session.execute(
                select(RectificationTask, Case)
                .join(Case, Case.id == RectificationTask.case_id)
                .where(RectificationTask.done_at.is_(None), RectificationTask.deadline < today)
            ).all()
            for task, case in tasks:
                detail = f"差评整改逾期: 整改期限 {task.deadline.isoformat()} 已过, 未回访"
                raised += self._raise(session, case, RED, RECTIFICATION_OVERDUE, detail, task.deadline)
            # few items limit their steps: ask for those first, so the open cases of the others
            # are never read (the planner would otherwise walk every open case by state)
            step_items = session.scalars(
                select(ServiceItem.code).where(ServiceItem.step_days.is_not(None))
            ).all()
            steps = (
                session.execute(
                    select(Case, ServiceItem.step_days, CaseDeadline)
                    .join(ServiceItem, ServiceItem.code == Case.item_code)
                    .outerjoin(CaseDeadline, CaseDeadline.case_id == Case.id)
                    .where(
                        Case.handler == self.here.value,
                        Case.state.in_(STEPS_WITH_LIMITS),
                        Case.item_code.in_(step_items),
                    )
                ).all()
                if step_items
                else []
            )
            for case, step_days, row in steps:
                raised += self._check_step(session, case, step_days, row, today)
            # a decision against the applicant owes its reasons (不予受理, 不予许可): one card a case
            refusals = session.execute(
                select(Case, CaseEvent.action)
                .join(CaseEvent, CaseEvent.case_id == Case.id)
                .outerjoin(SupervisionCard, SupervisionCard.id == Case.id + f":{REFUSAL_WITHOUT_REASON}")
                .where(
                    Case.handler == self.here.value,
                    CaseEvent.action.in_((Action.REFUSE, Action.DENY)),
                    func.trim(CaseEvent.note) == "",
                    SupervisionCard.id.is_(None),
                )
            ).all()
            for case, action in refusals:
                detail = _UNEXPLAINED[action]
                raised += self._raise(session, case, RED, REFUSAL_WITHOUT_REASON, detail, None)
            # what to correct is told once and whole (一次性告知): a second request makes the
            # applicant come again, which supervision is there to see (one card a case)
            repeated = session.execute(
                select(Case, func.count(CaseEvent.version))
                .join(CaseEvent, CaseEvent.case_id == Case.id)
                .outerjoin(SupervisionCard, SupervisionCard.id == Case.id + f":{CORRECTION_REPEATED}")
                .where(
                    Case.handler == self.here.value,
                    CaseEvent.action == Action.REQUEST_CORRECTION,
                    SupervisionCard.id.is_(None),
                )
                .group_by(Case.id)
                .having(func.count(CaseEvent.version) > 1)
            ).all()
            for case, times in repeated:
                detail = (
                    f"重复补正: 第 {times} 次告知补正, 补正内容应一次性告知, "
                    "请向责任人核实前次告知为何未一次讲清"
                )
                # who asked again answers for it, not who received the case (often no one yet: 补正
                # is mostly asked for before 受理)
                asked_again = session.scalars(
                    select(CaseEvent.actor_person)
                    .where(CaseEvent.case_id == case.id, CaseEvent.action == Action.REQUEST_CORRECTION)
                    .order_by(CaseEvent.version)
                    .offset(1)
                    .limit(1)
                ).first()
                raised += self._raise(
                    session, case, YELLOW, CORRECTION_REPEATED, detail, None, person=asked_again or None
                )
            arrivals, forwarded_late = self._check_forwarding(session)
            raised += forwarded_late
            broken = self._broken_promises(session, today)
            for case, owed in broken:
                names = "、".join(m.name for m in owed)
                promised = min(m.promised_on for m in owed)
                detail = f"容缺承诺逾期: 承诺 {promised.isoformat()} 前补齐 {names}, 未补齐"
                raised += self._raise(session, case, RED, DEFERRAL_OVERDUE, detail, promised)
            waiting, unaccepted = self._check_acceptance(session, today)
            raised += unaccepted
            raised += self._check_calendars(session, today)
            closed = self._close_settled(session)
        for card_id in raised:
            log.info("node %s raised supervision card %s", self.here, card_id)
        examined = (
            len(rows)
            + len(tasks)
            + len(steps)
            + len(refusals)
            + len(repeated)
            + arrivals
            + len(broken)
            + waiting
        )
        return ScanResult(examined, raised, closed)

    @staticmethod
    def _warning_reason(session: Session, case_id: str, deadline: date) -> str:
        """A case's first warning is `warning`; one of a deadline moved since names that deadline
        (a card's id is its case and reason: the earlier warning stays in the history, closed)."""
        if session.get(SupervisionCard, f"{case_id}:{WARNING}") is None:
            return WARNING
        return f"{WARNING}@{deadline.isoformat()}"

    def _check_acceptance(self, session: Session, today: date) -> tuple[int, list[str]]:
        """A red card for each case still 申请 at this handler more than ACCEPTANCE_DAYS working days
        after it arrived here (or came back with its 补正材料): nobody decided whether to accept it.
        Only cases in for longer than that many calendar days are read; (read, raised)."""
        arrived = func.coalesce(CaseArrival.arrived_at, Case.submitted_at)  # submitted here: no arrival
        midnight = datetime.combine(today - timedelta(days=ACCEPTANCE_DAYS), time(), tzinfo=CHINA)
        cutoff = midnight.astimezone(UTC)  # stored as UTC (SQLite keeps no zone)
        waiting = session.execute(
            select(Case, arrived)
            .outerjoin(CaseArrival, CaseArrival.case_id == Case.id)
            .outerjoin(SupervisionCard, SupervisionCard.id == Case.id + f":{ACCEPTANCE_OVERDUE}")
            .where(
                Case.handler == self.here.value,
                Case.state == State.SUBMITTED,
                arrived < cutoff,
                SupervisionCard.id.is_(None),
            )
        ).all()
        raised: list[str] = []
        for case, arrived_at in waiting:
            try:
                since, due, supplied = _acceptance_due(session, case.id, case.version, arrived_at)
            except CalendarNotCovered as error:
                log.error(
                    "cannot supervise the 受理 of case %s: %s", case.id, error, extra=logs.case(case.id)
                )
                continue
            if today <= due:
                continue
            received = "收到补正材料" if supplied else "收到申请"
            detail = (
                f"受理超时: {since.isoformat()} {received}, 应在 {ACCEPTANCE_DAYS} 个工作日内"
                f"（{due.isoformat()} 前）决定是否受理, 至今未受理"
            )
            raised += self._raise(session, case, RED, ACCEPTANCE_OVERDUE, detail, due, known=False)
        return len(waiting), raised

    def acceptance_due(self, case_ids: Iterable[str]) -> dict[str, date]:
        """The last day to decide on 受理 of each of these cases still 申请 here (a page of the
        待受理 queue): the day after it, the scan raises 受理超时, so the window sees it coming."""
        wanted = list(case_ids)
        arrived = func.coalesce(CaseArrival.arrived_at, Case.submitted_at)
        due: dict[str, date] = {}
        with self._readers() as session:
            rows = session.execute(
                select(Case.id, Case.version, arrived)
                .outerjoin(CaseArrival, CaseArrival.case_id == Case.id)
                .where(Case.id.in_(wanted), Case.handler == self.here.value, Case.state == State.SUBMITTED)
            ).all()
            for case_id, version, arrived_at in rows:
                with contextlib.suppress(CalendarNotCovered):  # no day to show, as the scan cards none
                    due[case_id] = _acceptance_due(session, case_id, version, arrived_at)[1]
        return due

    def _check_calendars(self, session: Session, today: date) -> list[str]:
        """At the province: a yellow card for each year that deadlines count (this year, the next
        once it is two months away, any year already used) with no calendar but the statutory
        holidays; closed once the year's calendar is published."""
        if self.here.tier is not Tier.PROVINCE:
            return []
        raised: list[str] = []
        years = fallback_years() | {today.year, (today + timedelta(days=CALENDAR_LOOKAHEAD_DAYS)).year}
        for year in sorted(years):
            card_id = f"calendar-{year}:{CALENDAR_MISSING}"
            card = session.get(SupervisionCard, card_id)
            if source_of(year) != STATUTORY:
                if card is not None and card.closed_at is None:
                    card.closed_at = self._clock.now()
                continue
            if card is not None:
                continue
            session.add(
                SupervisionCard(
                    id=card_id,
                    case_id=f"calendar-{year}",
                    handler=self.here.value,
                    colour=YELLOW,
                    reason=CALENDAR_MISSING,
                    detail=(
                        f"缺少 {year} 年工作日历: 期限暂按法定节假日和周末计算, 请省级节点把国务院 {year} 年"
                        f"放假安排写成文件 {year}.json（year、holidays 放假日期、workdays 调休上班日）"
                        "后发布: "
                        f"`wuji calendar publish {year}.json --config <省级节点的 node.toml>`"
                    ),
                    deadline=None,
                    submitted_on=today,
                    raised_at=self._clock.now(),
                )
            )
            log.warning("no working-day calendar for %d: yellow card %s", year, card_id)
            raised.append(card_id)
        return raised

    def _next_look(self, clock: CaseClock, deadline: date, today: date) -> date | None:
        """The next day a case needs looking at: its warning day, then the day after its deadline."""
        if today > deadline:
            return None  # its red card is raised: nothing more to watch
        overdue_on = deadline + timedelta(days=1)
        if clock.share_used(today) >= self.warning_share:
            return overdue_on
        if clock.limit <= 0:
            return min(clock.accepted_on + timedelta(days=1), overdue_on)
        needed = math.ceil(self.warning_share * clock.limit)  # working days used that make the share
        while needed > 1 and (needed - 1) / clock.limit >= self.warning_share:
            needed -= 1  # float rounding in the product
        while needed / clock.limit < self.warning_share:
            needed += 1
        warning_on = CaseClock(clock.accepted_on, needed, clock.pauses).deadline() or overdue_on
        return min(warning_on, overdue_on)

    def _close_settled(self, session: Session) -> list[str]:
        """Close the cards raised here whose cause is over; the closure travels up like the card."""
        owed = (
            select(MissingMaterial.case_id)
            .where(MissingMaterial.case_id == Case.id, MissingMaterial.supplied_at.is_(None))
            .exists()
        )
        cards = session.execute(
            select(SupervisionCard, Case, RectificationTask, CaseDeadline)
            .join(Case, Case.id == SupervisionCard.case_id)
            .outerjoin(RectificationTask, RectificationTask.case_id == Case.id)
            .outerjoin(CaseDeadline, CaseDeadline.case_id == Case.id)
            .where(
                SupervisionCard.handler == self.here.value,
                SupervisionCard.closed_at.is_(None),
                SupervisionCard.reason.not_in(_RECORDS),
                # only the settled ones (the same rules as below): most open cards stay open, and
                # loading each one with its case every scan cost more than the rest of the scan
                or_(
                    and_(
                        SupervisionCard.reason == RECTIFICATION_OVERDUE,
                        RectificationTask.done_at.is_not(None),
                    ),
                    and_(
                        SupervisionCard.reason.startswith("step:"),
                        SupervisionCard.reason != "step:" + Case.state,
                    ),
                    and_(SupervisionCard.reason == DEFERRAL_OVERDUE, not_(owed)),
                    and_(SupervisionCard.reason == ACCEPTANCE_OVERDUE, Case.state != State.SUBMITTED),
                    and_(SupervisionCard.reason == CORRECTION_REPEATED, Case.state.not_in(_IN_CORRECTION)),
                    and_(
                        SupervisionCard.reason.startswith(WARNING),
                        CaseDeadline.deadline.is_not(None),
                        CaseDeadline.deadline != SupervisionCard.deadline,
                    ),
                    and_(
                        SupervisionCard.reason.not_in((RECTIFICATION_OVERDUE, ACCEPTANCE_OVERDUE)),
                        not_(SupervisionCard.reason.startswith("step:")),
                        Case.state.not_in([state.value for state in OPEN_STATES]),
                    ),
                ),
            )
        ).all()
        closed = []
        for card, case, task, limit in cards:
            if card.reason == RECTIFICATION_OVERDUE:
                settled = task is not None and task.done_at is not None
            elif card.reason == DEFERRAL_OVERDUE:  # supplied (容缺补齐), or nothing more is owed
                settled = not self._still_owed(session, case.id) or State(case.state) in _GIVEN_UP
            elif card.reason == ACCEPTANCE_OVERDUE:  # decided at last: 受理, 不予受理 or 补正告知
                settled = case.state != State.SUBMITTED
            elif card.reason == CORRECTION_REPEATED:
                settled = case.state not in _IN_CORRECTION
            elif card.reason.startswith("step:"):
                settled = case.state != card.reason.removeprefix("step:")
            elif card.reason.startswith(WARNING) and limit is not None and limit.deadline is not None:
                # the deadline it warned of no longer holds (延期, 特别程序 over, a new calendar)
                moved = limit.deadline != card.deadline
                settled = moved or State(case.state) not in OPEN_STATES
            else:
                settled = State(case.state) not in OPEN_STATES
            if settled:
                card.closed_at = self._clock.now()
                self._send_up(session, card_to_proto(card))
                closed.append(card.id)
        return closed

    def _broken_promises(self, session: Session, today: date) -> list[tuple[Case, list[MissingMaterial]]]:
        """Cases handled here with a 容缺 material still missing after the date it was promised by."""
        rows = session.execute(
            select(MissingMaterial, Case)
            .join(Case, Case.id == MissingMaterial.case_id)
            .outerjoin(SupervisionCard, SupervisionCard.id == Case.id + f":{DEFERRAL_OVERDUE}")
            .where(
                Case.handler == self.here.value,
                MissingMaterial.supplied_at.is_(None),
                MissingMaterial.promised_on < today,
                Case.state.not_in(_GIVEN_UP),
                SupervisionCard.id.is_(None),
            )
            .order_by(Case.id, MissingMaterial.name)
        ).all()
        owed: dict[str, tuple[Case, list[MissingMaterial]]] = {}
        for missing, case in rows:
            owed.setdefault(case.id, (case, []))[1].append(missing)
        return list(owed.values())

    def _still_owed(self, session: Session, case_id: str) -> bool:
        return (
            session.scalar(
                select(func.count())
                .select_from(MissingMaterial)
                .where(MissingMaterial.case_id == case_id, MissingMaterial.supplied_at.is_(None))
            )
            or 0
        ) > 0

    def _check_forwarding(self, session: Session) -> tuple[int, list[str]]:
        """Yellow cards for cases submitted below that took too long to reach their handler (上报);
        each arrival is looked at once; (arrivals looked at, cards raised).

        Read as plain rows and marked in a few statements: after a burst (a township back after a
        day away) tens of thousands wait, and loading and updating them as ORM objects held the
        writer's lock for seconds (~2.5 s at 30,000)."""
        arrivals = session.execute(
            select(CaseArrival.case_id, Case.submitted_at, CaseArrival.arrived_at)
            .join(Case, Case.id == CaseArrival.case_id)
            .where(CaseArrival.checked.is_(False))
        ).all()
        raised: list[str] = []
        checked: list[str] = []
        for case_id, submitted_at, arrived_at in arrivals:
            submitted, arrived = china_date(submitted_at), china_date(arrived_at)
            try:
                took = working_days(submitted, arrived)
            except CalendarNotCovered as error:  # left unchecked: looked at again next time
                log.error(
                    "cannot check the forwarding of case %s: %s", case_id, error, extra=logs.case(case_id)
                )
                continue
            checked.append(case_id)
            if took > self.forwarding_days:
                case = session.get_one(Case, case_id)
                detail = (
                    f"上报超时: {case.origin} 于 {submitted.isoformat()} 受理申请, {arrived.isoformat()} "
                    f"才送达 {case.handler} ({took} 个工作日, 限 {self.forwarding_days})"
                )
                late_from = add_working_days(submitted, self.forwarding_days)
                raised += self._raise(session, case, YELLOW, FORWARDING_LATE, detail, late_from)
        for first in range(0, len(checked), _MARKED_PER_STATEMENT):
            session.execute(
                update(CaseArrival)
                .where(CaseArrival.case_id.in_(checked[first : first + _MARKED_PER_STATEMENT]))
                .values(checked=True)
                .execution_options(synchronize_session=False)
            )
        return len(arrivals), raised

    def _check_step(
        self,
        session: Session,
        case: Case,
        step_days: dict[str, int] | None,
        row: CaseDeadline | None,
        today: date,
    ) -> list[str]:
        """A red card when a case has stayed in a step longer than the step's own limit."""
        limit = (step_days or {}).get(case.state)
        if limit is None:
            return []
        entered = session.scalar(  # the step began with the last event that moved the case into it
            select(func.max(CaseEvent.at)).where(
                CaseEvent.case_id == case.id,
                CaseEvent.to_state == case.state,
                or_(CaseEvent.from_state.is_(None), CaseEvent.from_state != CaseEvent.to_state),
            )
        )
        if case.version == 1:  # as submitted: the arrival event carries the link's time, not the applicant's
            entered = case.submitted_at
        if entered is None:
            return []
        started = china_date(entered)
        clock = clock_of(row) if row is not None else None
        if clock is not None and clock.paused:
            return []
        try:
            used = working_days(started, today, clock.pauses if clock else ())
        except CalendarNotCovered as error:
            log.error("cannot supervise the step of case %s: %s", case.id, error, extra=logs.case(case.id))
            return []
        if used <= limit:
            return []
        step = State(case.state)
        detail = (
            f"环节超时: {step.label} 环节限 {limit} 个工作日, 自 {started.isoformat()} 起已 {used} 个工作日"
        )
        return self._raise(session, case, RED, f"step:{step.value}", detail, add_working_days(started, limit))

    def _raise(
        self,
        session: Session,
        case: Case,
        colour: str,
        reason: str,
        detail: str,
        deadline: date | None,
        *,
        known: bool | None = None,
        person: str | None = None,
    ) -> list[str]:
        """Store and send up a card unless raised before; known=False: the caller has checked.
        person: who answers for it, where not the case's 首问负责人."""
        card_id = f"{case.id}:{reason}"
        if known is None:
            known = session.get(SupervisionCard, card_id) is not None
        if known:
            return []
        card = SupervisionCard(
            id=card_id,
            case_id=case.id,
            handler=case.handler,
            colour=colour,
            reason=reason,
            detail=detail,
            deadline=deadline,
            submitted_on=china_date(case.submitted_at),
            raised_at=self._clock.now(),
            department=case.department,
            person=person or case.responsible_person,
            item_name=case.item_name,
        )
        session.add(card)
        self._send_up(session, card_to_proto(card))
        log.info("case %s: %s card (%s): %s", case.id, colour, reason, detail, extra=logs.case(case.id))
        return [card_id]

    def receive(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """A card from below: keep a copy and pass it on toward the province."""
        incoming = envelope.supervision_card
        try:
            handler = DivisionCode.parse(incoming.handler)
        except ValueError as error:
            raise InvalidInput(f"supervision card {incoming.id}: {error}") from error
        if not self.here.is_ancestor_of(handler) or not DivisionCode.parse(envelope.origin).is_in_subtree_of(
            self.here.child_toward(handler)
        ):
            raise InvalidInput(
                f"supervision card {incoming.id} of {handler} does not come from below {self.here}"
            )
        if incoming.colour not in (YELLOW, RED) or incoming.id != f"{incoming.case_id}:{incoming.reason}":
            raise InvalidInput(f"malformed supervision card {incoming.id!r}")
        known = session.get(SupervisionCard, incoming.id)
        if known is not None:
            if known.closed_at is None and incoming.HasField("closed_at"):
                known.closed_at = from_timestamp(incoming.closed_at)
                self._send_up(session, incoming)
            return
        session.add(
            SupervisionCard(
                id=incoming.id,
                case_id=incoming.case_id,
                handler=handler.value,
                colour=incoming.colour,
                reason=incoming.reason,
                detail=incoming.detail,
                deadline=date.fromisoformat(incoming.deadline) if incoming.deadline else None,
                submitted_on=date.fromisoformat(incoming.submitted_on),
                raised_at=from_timestamp(incoming.raised_at),
                closed_at=from_timestamp(incoming.closed_at) if incoming.HasField("closed_at") else None,
                department=incoming.department or None,
                person=incoming.person or None,
                item_name=incoming.item_name or None,
            )
        )
        self._send_up(session, incoming)

    def _send_up(self, session: Session, card: case_pb2.SupervisionCard) -> None:
        parent = self.here.parent
        if parent is not None:
            self._outbound.send(session, parent.value, supervision_card=card)

    def cards(
        self,
        subtree: str = "",
        case_id: str = "",
        include_closed: bool = False,
        raised: Period = ANY_DAY,
        colour: str = "",
        department: str = "",
    ) -> list[case_pb2.SupervisionCard]:
        """Open cards (or all) of cases handled in a subtree of this node (default: all of it), raised
        within a period (a day in China: the month-end meeting asks for last month's), of one colour
        (yellow or red) and one handling department if asked: one query, whatever is asked."""
        root = typed_division(("下级区划代码", "subtree"), subtree) if subtree.strip() else self.here
        if not root.is_in_subtree_of(self.here):
            raise InvalidInput(f"{root} 不是本节点的下级 ({root} is not in the subtree of {self.here})")
        colour = colour.strip().lower()
        if colour not in ("", YELLOW, RED):
            raise InvalidInput(f"牌色只能是 {YELLOW}（黄牌）或 {RED}（红牌），不是 {colour} (unknown colour)")
        query = select(SupervisionCard)
        if not include_closed:
            query = query.where(SupervisionCard.closed_at.is_(None))
        if case_id:
            query = query.where(SupervisionCard.case_id == case_id)
        if colour:
            query = query.where(SupervisionCard.colour == colour)
        if department.strip():
            query = query.where(SupervisionCard.department == department.strip())
        day_raised = china_day(SupervisionCard.raised_at)  # ISO text: compared as the dates compare
        if raised.start is not None:
            query = query.where(day_raised >= raised.start.isoformat())
        if raised.end is not None:
            query = query.where(day_raised <= raised.end.isoformat())
        with self._readers() as session:
            found = session.scalars(query.order_by(SupervisionCard.raised_at, SupervisionCard.id))
            return [
                card_to_proto(card)
                for card in found
                if DivisionCode.parse(card.handler).is_in_subtree_of(root)
            ]


class SupervisionScheduler:
    """The node's one APScheduler job: scan for cards, then send statistics up, every interval."""

    JOB_ID = "supervision-scan"

    def __init__(self, here: DivisionCode, tick: Callable[[], object], interval_seconds: float) -> None:
        if interval_seconds <= 0:
            raise ValueError(f"supervision interval must be positive, not {interval_seconds}")
        self._tick = tick
        self._lock = threading.Lock()  # a slow tick is never overlapped by the next one
        self._scheduler = BackgroundScheduler(daemon=True)
        self._scheduler.add_job(
            self._run,
            "interval",
            seconds=interval_seconds,
            id=self.JOB_ID,
            name=f"supervision scan of {here}",
            max_instances=1,
            coalesce=True,
        )

    def every(self, seconds: float, job: Callable[[], object], name: str) -> None:
        """A small chore beside the scan (e.g. retrying what waits on another node), never overlapped."""
        self._scheduler.add_job(
            _logged(job, name),
            "interval",
            seconds=seconds,
            id=name,
            name=name,
            max_instances=1,
            coalesce=True,
        )

    def _run(self) -> None:
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._tick()
        except Exception:  # a failed scan is logged; the next interval tries again
            log.exception("supervision scan failed")
        finally:
            self._lock.release()

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    @property
    def jobs(self) -> int:
        return len(self._scheduler.get_jobs())

    @property
    def scan_jobs(self) -> int:
        return sum(job.id == self.JOB_ID for job in self._scheduler.get_jobs())


def _acceptance_due(
    session: Session, case_id: str, version: int, arrived_at: datetime
) -> tuple[date, date, bool]:
    """When the ACCEPTANCE_DAYS to decide on a case's 受理 count from (the China day it arrived
    here, or its 补正材料 came back if later), their last day, and whether they count from the 补正.
    CalendarNotCovered where the calendar cannot count them."""
    supplied = (
        session.scalar(
            select(func.max(CaseEvent.at)).where(
                CaseEvent.case_id == case_id, CaseEvent.action == Action.SUPPLEMENT
            )
        )
        if version > 1
        else None
    )
    since = china_date(max(arrived_at, supplied) if supplied is not None else arrived_at)
    return since, add_working_days(since, ACCEPTANCE_DAYS), supplied is not None and supplied > arrived_at


def _logged(job: Callable[[], object], name: str) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception:  # logged; the next interval tries again
            log.exception("%s failed", name)

    return run
