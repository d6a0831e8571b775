"""好差评: the applicant rates a concluded (or refused) case where they applied; the rating travels
to the handler.

One rating per case (一次一评), immutable once given; the rater's identity is not recorded, so a
clerk never sees it. A 差评 (1 or 2) opens a rectification task (整改) at the handling node with a
deadline in working days; it is closed by a return visit (回访) record. A task left open past its
deadline becomes a red card (see node/supervision/cards.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from node.cases.bundles import CONCLUDED as BUNDLE_CONCLUDED
from node.cases.bundles import bundle_view, progress
from node.cases.states import State
from node.clock import Clock
from node.errors import IllegalTransition, InvalidInput, NotFound, WrongNode, clean_text
from node.staff.roles import Actor, Duty
from node.store.models import Bundle, BundlePart, Case, Rating, RatingAppeal, RectificationTask
from node.store.outbound import Outbound
from node.timeutil import as_utc, from_timestamp, to_timestamp
from node.workdays import add_working_days, china_date
from wuji.divisions import DivisionCode
from wuji.v1 import desk_pb2, link_pb2

SCORE_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD_SCORES = frozenset({1, 2})  # 差评
SATISFIED_SCORES = frozenset({4, 5})  # 满意 and 非常满意: counted in 满意率
DEFAULT_RECTIFICATION_DAYS = 15  # working days (Sichuan: 15, Dezhou: 5)
# a concluded case, and a refused one (不予受理: its citizen, the one most likely to complain, rates
# the refusal as another rates a result)
RATEABLE = frozenset({State.CONCLUDED, State.DELIVERED, State.REFUSED})
MAX_COMMENT_LENGTH = 1000
UPHELD, VOIDED = "upheld", "voided"
DECISION_LABELS = {UPHELD: "维持", VOIDED: "作废"}  # the supervising tier's answer to an appeal


@dataclass(frozen=True)
class RatedTogether:
    """A case handled here that one 一件事's rating rated with another."""

    case_id: str
    item_name: str
    department: str


class RatingService:
    def __init__(
        self,
        here: DivisionCode,
        sessions: sessionmaker[Session],
        readers: sessionmaker[Session],
        outbound: Outbound,
        clock: Clock,
        rectification_days: int = DEFAULT_RECTIFICATION_DAYS,
    ) -> None:
        if rectification_days < 1:
            raise ValueError(f"rectification_days must be at least 1, not {rectification_days}")
        self.here = here
        self._sessions = sessions
        self._readers = readers
        self._outbound = outbound
        self._clock = clock
        self.rectification_days = rectification_days

    def rate(self, case_id: str, score: int, comment: str = "") -> desk_pb2.RatingView:
        """评价: record the applicant's rating at the node where they applied."""
        comment = _checked(score, comment)
        with self._sessions.begin() as session:
            case = _load(session, case_id, self.here)
            if case.origin != self.here.value:
                raise WrongNode(
                    f"办件 {case.id} 在申请地 {case.origin} 评价 "
                    f"(case {case.id} is rated where the applicant applied, at {case.origin})"
                )
            part = session.scalars(select(BundlePart).where(BundlePart.case_id == case.id)).first()
            if part is not None:
                raise IllegalTransition(
                    f"办件 {case.id} 是一件事 {part.bundle_id} 的事项：一事一评，"
                    "请在一件事页面整体评价，不单独评价各事项 "
                    f"(a part of bundle {part.bundle_id} is rated with its bundle, once)"
                )
            if State(case.state) not in RATEABLE:
                raise IllegalTransition(
                    f"办件 {case.id} 当前为“{State(case.state).label}”状态，办结或不予受理后方可评价 "
                    f"(case {case.id} is {case.state}; only a concluded or refused case is rated)"
                )
            if session.get(Rating, case.id) is not None:
                raise IllegalTransition(
                    f"办件 {case.id} 已评价过：一次一评，评价提交后不能更改 (case {case.id} is rated already)"
                )
            rating, task = self._rate_in(session, case, score, comment, self._clock.now())
            return _view(rating, task)

    def rate_bundle(self, bundle_id: str, score: int, comment: str = "") -> desk_pb2.RatingView:
        """一事一评: the citizen's one rating of a whole 一件事, once every part is settled, given to
        each part that is rated (concluded or refused) as that part's own rating, in one transaction;
        each part's handler receives it as for a single case (a 差评 opens 整改 at each)."""
        comment = _checked(score, comment)
        with self._sessions.begin() as session:
            bundle = session.get(Bundle, bundle_id.strip(), with_for_update=True)
            if bundle is None:
                raise NotFound(
                    f"本节点没有一件事 {bundle_id.strip()}：一件事在申请它的服务点评价 "
                    f"(no bundle {bundle_id!r} at node {self.here}: a bundle is rated where it was applied)"
                )
            view = bundle_view(session, bundle)
            if view.state != BUNDLE_CONCLUDED:
                raise IllegalTransition(
                    f"一件事 {bundle.id} {progress(view)}：各事项都办结或不予受理后方可整体评价 "
                    f"(bundle {bundle.id} is rated once every part is settled)"
                )
            rated = _rated_parts(session, bundle)
            if any(session.get(Rating, case.id) is not None for case in rated):
                raise IllegalTransition(
                    f"一件事 {bundle.id} 已评价过：一事一评，评价提交后不能更改 "
                    f"(bundle {bundle.id} is rated already)"
                )
            if not rated:
                raise IllegalTransition(
                    f"一件事 {bundle.id} 没有办结或不予受理的事项，无可评价 "
                    "(no part of it was concluded or refused)"
                )
            now = self._clock.now()
            given = [self._rate_in(session, case, score, comment, now) for case in rated]
            return _bundle_view(bundle.id, given)

    def of_bundle(self, bundle_id: str) -> desk_pb2.RatingView | None:
        """The bundle's one rating, as its rated parts hold it (None before it is rated)."""
        with self._readers() as session:
            bundle = session.get(Bundle, bundle_id.strip())
            if bundle is None:
                return None
            given = [
                (rating, session.get(RectificationTask, case.id))
                for case in _rated_parts(session, bundle)
                if (rating := session.get(Rating, case.id)) is not None
            ]
            return _bundle_view(bundle.id, given) if given else None

    def _rate_in(
        self, session: Session, case: Case, score: int, comment: str, now: datetime
    ) -> tuple[Rating, RectificationTask | None]:
        """Record the rating of one case at its origin: its 整改 opens here if handled here, else the
        rating travels to its handler."""
        rating = Rating(
            case_id=case.id,
            score=score,
            comment=comment,
            rated_at=now,
            origin=case.origin,
            handler=case.handler,
            department=case.department,
            person=case.responsible_person,
        )
        session.add(rating)
        if case.handler == self.here.value:
            return rating, self._open_task(session, rating)
        self._outbound.send(
            session,
            case.handler,
            case_rating=link_pb2.CaseRating(
                case_id=case.id, score=score, comment=comment, rated_at=to_timestamp(now)
            ),
        )
        return rating, None

    def receive(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """A rating given at the origin arrives at the handler."""
        incoming = envelope.case_rating
        case = _load(session, incoming.case_id, self.here)
        if case.handler != self.here.value or envelope.origin != case.origin:
            raise WrongNode(f"case {case.id}: ratings go from its origin {case.origin} to its handler")
        if incoming.score not in SCORE_LABELS:
            raise InvalidInput(f"case {case.id}: rating {incoming.score} is not 1 … 5")
        if session.get(Rating, case.id) is not None:
            return  # one rating per case; a repeat changes nothing
        rating = Rating(
            case_id=case.id,
            score=incoming.score,
            comment=incoming.comment,
            rated_at=from_timestamp(incoming.rated_at),
            origin=case.origin,
            handler=case.handler,
            department=case.department,
            person=case.responsible_person,
        )
        session.add(rating)
        task = self._open_task(session, rating)
        if task is not None:
            self._tell_origin(session, case, task)

    def _open_task(self, session: Session, rating: Rating) -> RectificationTask | None:
        if rating.score not in BAD_SCORES:
            return None
        opened = china_date(self._clock.now())
        task = RectificationTask(
            case_id=rating.case_id,
            opened_on=opened,
            deadline=add_working_days(opened, self.rectification_days),
            return_visit="",
            done_at=None,
        )
        session.add(task)
        return task

    def rectify(self, case_id: str, return_visit: str, by: Actor) -> desk_pb2.RectificationView:
        """整改完成: close a 差评's rectification task with its return visit (回访) record; only staff
        of the department that handled the case (or the operator) may."""
        record = clean_text("return visit", return_visit, 4000, required=True)
        with self._sessions.begin() as session:
            task = session.get(RectificationTask, case_id.strip())
            if task is None:
                raise NotFound(
                    f"本节点没有办件 {case_id} 的整改任务 (no rectification task for it at {self.here})"
                )
            case = session.get(Case, task.case_id)
            by.require(Duty.RECTIFY, (case.department or "") if case is not None else "")
            if task.done_at is not None:
                raise IllegalTransition(
                    f"办件 {task.case_id} 的整改已完成 (the rectification is closed already)"
                )
            task.return_visit = record
            task.done_at = self._clock.now()
            if case is not None:
                self._tell_origin(session, case, task)
            return _task_view(task)

    def _tell_origin(
        self, session: Session, case: Case, task: RectificationTask, voided: bool = False
    ) -> None:
        """The village where the citizen rated hears of the 整改 their 差评 opened here: its deadline
        once it opens, the 回访 record once it closes."""
        if case.origin == self.here.value:
            return  # rated here: the task itself is what this node shows
        self._outbound.send(session, case.origin, rectification=rectification_notice(task, voided))

    def receive_rectification(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """At the origin: the handler tells what became of the 整改 a 差评 given here opened."""
        notice = envelope.rectification
        case = _load(session, notice.case_id, self.here)
        if case.origin != self.here.value or envelope.origin != case.handler:
            raise WrongNode(f"case {case.id}: 整改 news go from its handler {case.handler} to its origin")
        rating = session.get(Rating, case.id)
        if rating is None:
            raise NotFound(f"case {case.id} was not rated at {self.here}")
        take_rectification_notice(rating, notice)

    def of_case(self, case_id: str) -> tuple[desk_pb2.RatingView | None, desk_pb2.RectificationView | None]:
        """The case's rating as this node holds it (where it was given, and at its handler), and the
        差评整改 task it opened here, open or closed; (None, None) before it is rated."""
        with self._readers() as session:
            rating = session.get(Rating, case_id)
            if rating is None:
                return None, None
            task = session.get(RectificationTask, case_id)
            if task is not None:
                return _view(rating, task), _task_view(task)
            return _view(rating, None), _told_view(rating)

    def tasks(self, include_done: bool = False, department: str = "") -> list[desk_pb2.RectificationView]:
        """差评整改 tasks here with the citizen's rating and comment, the earliest deadline first."""
        query = (
            select(RectificationTask, Rating, Case)
            .join(Rating, Rating.case_id == RectificationTask.case_id)
            .join(Case, Case.id == RectificationTask.case_id)
            .order_by(RectificationTask.deadline, RectificationTask.case_id)
        )
        if not include_done:
            query = query.where(RectificationTask.done_at.is_(None))
        if department:
            query = query.where(Case.department == department)
        with self._sessions() as session:
            return [_task_view(task, rating, case) for task, rating, case in session.execute(query)]

    def rated_together(self, case_ids: Sequence[str]) -> dict[str, list[RatedTogether]]:
        """For each of these cases, the other cases of the same 一件事 handled and rated here (its
        one rating, 一事一评, went to each part), so that their departments call the family back
        once, not once each."""
        if not case_ids:
            return {}
        bundles = select(Case.bundle_id).where(Case.id.in_(case_ids), Case.bundle_id.is_not(None))
        query = (
            select(Case.id, Case.item_name, Case.department, Case.bundle_id)
            .join(Rating, Rating.case_id == Case.id)
            .where(Rating.handler == self.here.value, Case.bundle_id.in_(bundles))
            .order_by(Case.id)
        )
        groups: dict[str, list[RatedTogether]] = {}
        with self._readers() as session:
            for case_id, item_name, department, bundle_id in session.execute(query):
                part = RatedTogether(case_id, item_name, department or "")
                groups.setdefault(bundle_id or "", []).append(part)
        return {
            case.case_id: [other for other in group if other is not case]
            for group in groups.values()
            if len(group) > 1
            for case in group
            if case.case_id in case_ids
        }

    # -- 申诉复核 ------------------------------------------------------------------------------

    def appeal(self, case_id: str, reason: str, by: Actor) -> desk_pb2.AppealView:
        """The handling node appeals a rating to its supervising tier: only staff of the department
        that handled the case (or the operator) may, as for its 整改: another department's clerk
        must not get a rating they cannot even open voided."""
        reason = clean_text("reason", reason, MAX_COMMENT_LENGTH, required=True)
        supervisor = self.here.parent
        with self._sessions.begin() as session:
            rating = session.get(Rating, case_id.strip())
            if rating is None or rating.handler != self.here.value:
                raise NotFound(
                    f"本节点办理的办件中没有 {case_id} 的评价 (no rating of a case handled at {self.here})"
                )
            case = session.get(Case, rating.case_id)
            by.require(Duty.RECTIFY, (case.department or "") if case is not None else "", "申诉差评")
            if supervisor is None:
                raise WrongNode("省级没有可申诉的上级 (a province has no supervising tier to appeal to)")
            if session.get(RatingAppeal, rating.case_id) is not None:
                raise IllegalTransition(
                    f"办件 {rating.case_id} 的评价已申诉过 (the rating was appealed already)"
                )
            appeal = RatingAppeal(
                case_id=rating.case_id,
                handler=self.here.value,
                score=rating.score,
                comment=rating.comment,
                reason=reason,
                filed_at=self._clock.now(),
                decision=None,
                decision_note="",
                decided_at=None,
                item_name=case.item_name if case is not None else None,
            )
            session.add(appeal)
            self._outbound.send(
                session,
                supervisor.value,
                rating_appeal=link_pb2.RatingAppealNotice(
                    case_id=appeal.case_id,
                    handler=appeal.handler,
                    score=appeal.score,
                    comment=appeal.comment,
                    reason=reason,
                    filed_at=to_timestamp(appeal.filed_at),
                    item_name=appeal.item_name or "",
                ),
            )
            return _appeal_view(appeal)

    def receive_appeal(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """At the supervising tier: an appeal from a child that handled the case."""
        notice = envelope.rating_appeal
        if notice.handler != envelope.origin or DivisionCode.parse(notice.handler).parent != self.here:
            raise WrongNode(f"an appeal comes from a child of {self.here} that handled the case")
        if session.get(RatingAppeal, notice.case_id) is not None:
            return
        session.add(
            RatingAppeal(
                case_id=notice.case_id,
                handler=notice.handler,
                score=notice.score,
                comment=notice.comment,
                reason=notice.reason,
                filed_at=from_timestamp(notice.filed_at),
                decision=None,
                decision_note="",
                decided_at=None,
                item_name=notice.item_name or None,
            )
        )

    def decide(self, case_id: str, void: bool, note: str, by: Actor) -> desk_pb2.AppealView:
        """The supervising tier upholds the rating or voids it; the handler learns the decision.
        Only 监察 (or the operator) decide: the Desk API and the page ask the same check here."""
        by.require(Duty.SUPERVISE, what="复核申诉")
        note = clean_text("note", note, MAX_COMMENT_LENGTH, required=True)
        with self._sessions.begin() as session:
            appeal = session.get(RatingAppeal, case_id.strip())
            if appeal is None or appeal.handler == self.here.value:
                raise NotFound(
                    f"本节点没有待复核的办件 {case_id} 的申诉 (no appeal to decide at {self.here})"
                )
            if appeal.decision is not None:
                raise IllegalTransition(
                    f"办件 {appeal.case_id} 的申诉已复核 (the appeal was decided already)"
                )
            appeal.decision = VOIDED if void else UPHELD
            appeal.decision_note = note
            appeal.decided_at = self._clock.now()
            self._outbound.send(
                session,
                appeal.handler,
                appeal_decision=link_pb2.AppealDecision(
                    case_id=appeal.case_id, voided=void, note=note, decided_at=to_timestamp(appeal.decided_at)
                ),
            )
            return _appeal_view(appeal)

    def receive_decision(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """At the handler: the supervising tier decided; a voided rating stops counting."""
        decision = envelope.appeal_decision
        appeal = session.get(RatingAppeal, decision.case_id)
        if appeal is None or appeal.handler != self.here.value or self.here.parent is None:
            raise NotFound(f"no appeal of case {decision.case_id} was filed at {self.here}")
        if envelope.origin != self.here.parent.value:
            raise WrongNode(
                f"appeals of {self.here} are decided by {self.here.parent}, not {envelope.origin}"
            )
        if appeal.decision is not None:
            return
        decided_at = from_timestamp(decision.decided_at)
        appeal.decision = VOIDED if decision.voided else UPHELD
        appeal.decision_note, appeal.decided_at = decision.note, decided_at
        if decision.voided:
            rating = session.get(Rating, appeal.case_id)
            if rating is not None:
                rating.voided_at = decided_at
            task = session.get(RectificationTask, appeal.case_id)
            if task is not None and task.done_at is None:
                task.done_at = decided_at
                task.return_visit = f"评价经申诉复核作废: {decision.note}"
                case = session.get(Case, appeal.case_id)
                if case is not None:
                    self._tell_origin(session, case, task, voided=True)

    def appeals(self, department: str = "") -> list[desk_pb2.AppealView]:
        """Appeals filed here and appeals waiting for this node's decision, newest first; with a
        department, only those it filed (against ratings of its cases)."""
        query = select(RatingAppeal).order_by(RatingAppeal.filed_at.desc())
        if department:
            query = query.join(Rating, Rating.case_id == RatingAppeal.case_id).where(
                RatingAppeal.handler == self.here.value, Rating.department == department
            )
        with self._readers() as session:
            found = session.scalars(query)
            return [_appeal_view(appeal) for appeal in found]


def _checked(score: int, comment: str) -> str:
    """The score one of the five, the comment cleaned: what any rating is checked for first."""
    if score not in SCORE_LABELS:
        raise InvalidInput(
            "请群众选择评价等级 (a rating is 1 … 5: "
            f"{', '.join(f'{k} {v}' for k, v in SCORE_LABELS.items())})"
        )
    return clean_text("comment", comment, MAX_COMMENT_LENGTH)


def _rated_parts(session: Session, bundle: Bundle) -> list[Case]:
    """The parts of a bundle its rating is given to: those concluded or refused (a part withdrawn,
    returned or never started has no handler's work to rate)."""
    cases = [session.get(Case, part.case_id) for part in bundle.parts if part.case_id]
    return [case for case in cases if case is not None and State(case.state) in RATEABLE]


def _bundle_view(bundle_id: str, given: list[tuple[Rating, RectificationTask | None]]) -> desk_pb2.RatingView:
    """The one rating as the bundle shows it: a 整改 deadline where a part handled here opened one."""
    rating = given[0][0]
    deadlines = sorted(task.deadline for _, task in given if task is not None)
    return desk_pb2.RatingView(
        case_id=bundle_id,
        score=rating.score,
        comment=rating.comment,
        rated_at=rating.rated_at.isoformat(timespec="seconds"),
        rectification_deadline=_iso(deadlines[0]) if deadlines else "",
    )


def rectification_notice(task: RectificationTask, voided: bool = False) -> link_pb2.RectificationNotice:
    """What the handler tells the origin of a 差评's 整改 (also carried in a restored case's copy)."""
    notice = link_pb2.RectificationNotice(
        case_id=task.case_id, deadline=_iso(task.deadline), return_visit=task.return_visit, voided=voided
    )
    if task.done_at is not None:
        notice.done_at.CopyFrom(to_timestamp(task.done_at))
    return notice


def take_rectification_notice(rating: Rating, notice: link_pb2.RectificationNotice) -> None:
    """At the origin: keep on the rating what its handler told of the 整改 (a closed one stays so)."""
    try:
        rating.rectification_deadline = date.fromisoformat(notice.deadline)
    except ValueError as error:
        raise InvalidInput(f"case {rating.case_id}: 整改 deadline {notice.deadline!r} is no date") from error
    if notice.HasField("done_at") and rating.rectified_at is None:
        rating.rectified_at = from_timestamp(notice.done_at)
        rating.return_visit = notice.return_visit
        if notice.voided:
            rating.voided_at = rating.rectified_at


def _load(session: Session, case_id: str, here: DivisionCode) -> Case:
    case = session.get(Case, case_id.strip())
    if case is None:
        raise NotFound(f"本节点没有办件 {case_id} (no case {case_id!r} at node {here})")
    return case


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _view(rating: Rating, task: RectificationTask | None) -> desk_pb2.RatingView:
    return desk_pb2.RatingView(
        case_id=rating.case_id,
        score=rating.score,
        comment=rating.comment,
        rated_at=rating.rated_at.isoformat(timespec="seconds"),
        rectification_deadline=_iso(task.deadline if task else rating.rectification_deadline),
    )


def _told_view(rating: Rating) -> desk_pb2.RectificationView | None:
    """The 整改 as the handler told the origin of it, once it has."""
    if rating.rectification_deadline is None:
        return None
    return desk_pb2.RectificationView(
        case_id=rating.case_id,
        deadline=_iso(rating.rectification_deadline),
        return_visit=rating.return_visit,
        done_at=as_utc(rating.rectified_at).isoformat(timespec="seconds") if rating.rectified_at else "",
    )


def _task_view(
    task: RectificationTask, rating: Rating | None = None, case: Case | None = None
) -> desk_pb2.RectificationView:
    view = desk_pb2.RectificationView(
        case_id=task.case_id,
        opened_on=_iso(task.opened_on),
        deadline=_iso(task.deadline),
        return_visit=task.return_visit,
        done_at=task.done_at.isoformat(timespec="seconds") if task.done_at else "",
    )
    if rating is not None:
        view.score, view.comment = rating.score, rating.comment
        view.department, view.person = rating.department or "", rating.person or ""
    if case is not None:
        view.item_name = case.item_name
    return view


def _appeal_view(appeal: RatingAppeal) -> desk_pb2.AppealView:
    return desk_pb2.AppealView(
        case_id=appeal.case_id,
        handler=appeal.handler,
        score=appeal.score,
        comment=appeal.comment,
        reason=appeal.reason,
        filed_at=appeal.filed_at.isoformat(timespec="seconds"),
        decision=appeal.decision or "",
        decision_note=appeal.decision_note,
        decided_at=appeal.decided_at.isoformat(timespec="seconds") if appeal.decided_at else "",
        item_name=appeal.item_name or "",
    )
