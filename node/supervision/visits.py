"""全量回访: every concluded case gets a return visit where the citizen applied, its outcome recorded.

The task opens on the citizen's own copy when the case reaches 办结 (concluded here, or the
handler's conclusion replayed here), so the point that met the citizen calls them back; the
outcome (满意, 基本满意, 不满意) and a note are recorded once, with who made the call. 未联系上 is a
call that reached nobody: it is noted and the task stays open to call again, until the third such
call closes it as 未联系上.

A 一件事's parts are one matter to the family: their calls are listed only once every part is
settled (not one call as each part concludes), and one call recorded for any part is recorded for
each part of the same 一件事 still waiting, so the family is called once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from node.cases.queues import seen_by
from node.cases.service import CaseHook
from node.cases.states import Action, State
from node.clock import Clock
from node.convert import outcome_to_proto, state_to_proto
from node.errors import IllegalTransition, InvalidInput, NotFound, clean_text
from node.staff.roles import Actor, Duty
from node.store.models import Bundle, BundlePart, Case, ReturnVisit
from node.timeutil import shanghai, to_timestamp
from wuji.divisions import DivisionCode
from wuji.v1 import desk_pb2

OUTCOMES = ("满意", "基本满意", "不满意", "未联系上")
UNREACHED = "未联系上"
MAX_UNREACHED_CALLS = 3  # then the task closes as 未联系上: nobody answers that number


class ReturnVisits(CaseHook):
    def __init__(self, here: DivisionCode, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.here = here
        self._sessions = sessions
        self._clock = clock

    def after_change(self, session: Session, case: Case, action: Action) -> None:
        concluded_here = case.origin == self.here.value and case.state == State.CONCLUDED
        if concluded_here and session.get(ReturnVisit, case.id) is None:
            session.add(ReturnVisit(case_id=case.id, opened_at=self._clock.now(), note=""))

    def list(self, include_done: bool = False, department: str = "") -> list[desk_pb2.ReturnVisit]:
        """The calls to make (include_done: and those made); a person bound to a department is shown
        what they are shown of cases elsewhere (`queues.seen_by`): not another department's citizens."""
        # each with the 一件事 it is a part of, if any: the family is called once for the bundle
        query = (
            select(ReturnVisit, Case, BundlePart.bundle_id)
            .join(Case, Case.id == ReturnVisit.case_id)
            .outerjoin(BundlePart, BundlePart.case_id == ReturnVisit.case_id)
        )
        query = query.where(seen_by(self.here.value, department)).order_by(ReturnVisit.opened_at)
        if not include_done:
            # a 一件事's part waits for its whole bundle to settle: the family is called once, after
            query = (
                query.outerjoin(Bundle, Bundle.id == BundlePart.bundle_id)
                .where(ReturnVisit.done_at.is_(None))
                .where(or_(BundlePart.case_id.is_(None), Bundle.concluded_at.is_not(None)))
            )
        with self._sessions() as session:
            return [_view(visit, case, bundle_id or "") for visit, case, bundle_id in session.execute(query)]

    def bundles_of(self, case_ids: Sequence[str]) -> dict[str, str]:
        """Which of these cases are parts of a 一件事 applied for here: case id → bundle id."""
        if not case_ids:
            return {}
        query = select(BundlePart.case_id, BundlePart.bundle_id).where(BundlePart.case_id.in_(case_ids))
        with self._sessions() as session:
            return {case_id: bundle_id for case_id, bundle_id in session.execute(query) if case_id}

    def record(self, case_id: str, outcome: str, note: str, by: Actor) -> desk_pb2.ReturnVisit:
        by.require(Duty.ON_BEHALF)
        outcome = outcome.strip()
        if not outcome:
            raise InvalidInput(
                f"办件 {case_id} 未选择回访结果：请选择{'、'.join(OUTCOMES)}之一 (choose an outcome)"
            )
        if outcome not in OUTCOMES:
            raise InvalidInput(
                f"办件 {case_id} 的回访结果“{outcome}”不是{'、'.join(OUTCOMES)}之一 (unknown outcome)"
            )
        note = clean_text("note", note, 2000)
        with self._sessions.begin() as session:
            visit = session.get(ReturnVisit, case_id.strip(), with_for_update=True)
            if visit is None:
                raise NotFound(
                    f"本节点没有办件 {case_id} 的回访任务 "
                    f"(no return visit (回访) is open for case {case_id!r} at {self.here})"
                )
            case = session.get(Case, visit.case_id)
            assert case is not None
            by.require_sight(self.here.value, case.handler, case.department or "")
            if visit.done_at is not None:
                raise IllegalTransition(f"办件 {visit.case_id} 已回访 (the return visit is recorded already)")
            now, visitor = self._clock.now(), by.on_record or f"节点运维 {self.here}"
            for same_call in self._same_family_call(session, visit, by):
                _record_call(same_call, outcome, note, visitor, now)
            bundle_id = session.scalar(select(BundlePart.bundle_id).where(BundlePart.case_id == case.id))
            return _view(visit, case, bundle_id or "")

    def _same_family_call(self, session: Session, visit: ReturnVisit, by: Actor) -> Sequence[ReturnVisit]:
        """The visit, and with a 一件事's part the open visits of its other parts the person may see:
        one call to the family answers for the whole 一件事."""
        part = session.scalars(select(BundlePart).where(BundlePart.case_id == visit.case_id)).first()
        if part is None:
            return [visit]
        query = (
            select(ReturnVisit)
            .join(Case, Case.id == ReturnVisit.case_id)
            .join(BundlePart, BundlePart.case_id == ReturnVisit.case_id)
            .where(BundlePart.bundle_id == part.bundle_id, ReturnVisit.case_id != visit.case_id)
            .where(ReturnVisit.done_at.is_(None), seen_by(self.here.value, by.bound_department))
            .with_for_update()
        )
        return [visit, *session.scalars(query)]


def _record_call(visit: ReturnVisit, outcome: str, note: str, visitor: str, now: datetime) -> None:
    """One call recorded on a visit: 未联系上 is one of up to three tries, the note keeping each."""
    if outcome == UNREACHED:
        calls = unreached_calls(visit.note) + 1
        line = f"第 {calls} 次回访 {shanghai(now)} {UNREACHED}（{visitor}）"
        line += f"：{note}" if note else ""
        visit.outcome, visit.visitor = outcome, visitor
        visit.note = f"{visit.note}\n{line}" if visit.note else line
        if calls >= MAX_UNREACHED_CALLS:
            visit.done_at = now
        return
    if visit.note:  # the calls that reached nobody stay on record before the answer
        note = f"{visit.note}\n{note}" if note else visit.note
    visit.outcome, visit.note, visit.done_at, visit.visitor = outcome, note, now, visitor


def unreached_calls(note: str) -> int:
    return sum(1 for line in note.splitlines() if line.startswith("第 ") and f" {UNREACHED}（" in line)


def _view(visit: ReturnVisit, case: Case, bundle_id: str = "") -> desk_pb2.ReturnVisit:
    view = desk_pb2.ReturnVisit(
        case_id=case.id,
        item_name=case.item_name,
        applicant_name=case.applicant_name,
        applicant_phone=case.applicant_phone,
        handler=case.handler,
        state=state_to_proto(case.state),
        outcome=outcome_to_proto(case.outcome),
        opened_at=to_timestamp(visit.opened_at),
        visit_outcome=visit.outcome or "",
        note=visit.note,
        visitor=visit.visitor or "",
        bundle_id=bundle_id,
    )
    if visit.done_at is not None:
        view.done_at.CopyFrom(to_timestamp(visit.done_at))
    return view
