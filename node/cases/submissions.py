"""An application sent twice takes in one case, not two.

A village agent's double click, or a reload after a slow answer, sends the same application form
again; a program on the Desk API sends its request again when the answer was lost on the way. Each
application carries a random key (the front desk puts one in each form; a Desk API client makes one
per application); the case or bundle it took in is recorded under that key in the same transaction
(`record`), so a second sending either finds it or, sent at the same moment, fails on the key, is
rolled back whole, and then finds it (`once`). A key sent again with another item or applicant is
no second sending but a form used twice — a page brought back with the browser's Back button and
filled in for the next citizen, a client's mistake — and is refused (`KeyUsedBefore`) rather than
answered with the other applicant's case.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from node.cases.applicants import digits_as_typed
from node.cases.states import OPEN_STATES, State
from node.errors import InvalidInput
from node.store.models import Bundle, Case, FormSubmission
from node.timeutil import as_utc, shanghai

KEY_LENGTH = 32  # hex digits: 128 random bits

T = TypeVar("T")


@dataclass(frozen=True)
class TakenIn:
    """What an application's key took in: a case, or a bundle (一件事)."""

    case_id: str = ""
    bundle_id: str = ""
    applicant_name: str = ""  # as stored (when read back for a second sending)


@dataclass(frozen=True)
class Sent:
    """What tells one application from another: the item (or bundle) and the applicant's number."""

    code: str
    id_number: str


class KeyUsedBefore(InvalidInput):
    """The key took in another application: the one sent now was not taken in."""

    def __init__(self, key: str, earlier: TakenIn) -> None:
        super().__init__(
            f"申请键 {key} 已用于另一件申请，此次申请未受理："
            "每件新申请应另取一个键 (submission_key already took in another application)"
        )
        self.earlier = earlier


@dataclass(frozen=True)
class InProgress:
    """An application of the applicant's, taken in here and neither concluded nor ended."""

    id: str
    name: str  # the item's or the 一件事's
    submitted_at: datetime
    state: str  # in words


class PendingApplication(InvalidInput):
    """The applicant has this item (or 一件事) in progress here: a second application is taken in
    only when the window confirms it, not sent twice by a clerk who lost sight of the first."""

    def __init__(self, applicant: str, pending: Sequence[InProgress]) -> None:
        shown = "；".join(f"{p.id}（{p.name}，{shanghai(p.submitted_at)} 收件，{p.state}）" for p in pending)
        super().__init__(
            f"{applicant} 已有同一事项在办：{shown}。同一事项不必重复申请，可查询该办件的进度或在其上补正；"
            "确需再次申请的，请勾选「确认再次申请」后重新提交 "
            "(this applicant has an application of this item in progress here)"
        )
        self.pending = tuple(pending)


_SHOWN = 3  # in progress beside the new one: enough to find it


def refuse_pending_case(session: Session, case: Case) -> None:
    """PendingApplication if the applicant of `case` (new, flushed) has its item in progress here."""
    pending = same_item_in_progress(
        session, id_number=case.applicant_id_number, item_code=case.item_code, besides=case.id
    )
    if pending:
        raise PendingApplication(case.applicant_name, pending)


def same_item_in_progress(
    session: Session, *, id_number: str, item_code: str, besides: str
) -> list[InProgress]:
    """The applicant's cases of the item in progress at this node but case `besides`, taken in here
    or arrived from any point: a handler sees the same person applying at two points."""
    rows = session.execute(
        select(Case.id, Case.item_name, Case.submitted_at, Case.state)
        .where(
            Case.applicant_id_number == id_number,
            Case.item_code == item_code,
            Case.state.in_(OPEN_STATES),
            Case.id != besides,
        )
        .order_by(Case.submitted_at.desc())
        .limit(_SHOWN)
    ).all()
    return [InProgress(r.id, r.item_name, as_utc(r.submitted_at), State(r.state).label) for r in rows]


def other_names_of(session: Session, *, id_number: str, name: str) -> list[str]:
    """Names other than `name` the identity number was given under in this node's cases: one
    number is one person, so a second name is a typo or someone else's number."""
    names = session.scalars(
        select(Case.applicant_name)
        .where(Case.applicant_id_number == id_number, Case.applicant_name != name)
        .distinct()
        .limit(_SHOWN)
    )
    return sorted(names)


def refuse_pending_bundle(session: Session, bundle: Bundle) -> None:
    """PendingApplication if the applicant of `bundle` (new, flushed) has the same 一件事 in progress."""
    rows = session.execute(
        select(Bundle.id, Bundle.name, Bundle.submitted_at)
        .where(
            Bundle.applicant_id_number == bundle.applicant_id_number,
            Bundle.code == bundle.code,
            Bundle.concluded_at.is_(None),
            Bundle.id != bundle.id,
        )
        .order_by(Bundle.submitted_at.desc())
        .limit(_SHOWN)
    ).all()
    if rows:
        pending = [InProgress(r.id, r.name, as_utc(r.submitted_at), "办理中") for r in rows]
        raise PendingApplication(bundle.applicant_name, pending)


def new_key() -> str:
    return secrets.token_hex(KEY_LENGTH // 2)


def checked_key(key: str) -> str:
    """The key an application was sent with, "" if it has none (an older page or client)."""
    key = key.strip()
    if key and (len(key) != KEY_LENGTH or not all(c in "0123456789abcdef" for c in key)):
        raise InvalidInput("申请表已失效，请重新打开申请页面 (a submission key is 32 lowercase hex digits)")
    return key


def record(session: Session, key: str, now: datetime, case_id: str = "", bundle_id: str = "") -> None:
    """Note what the form with key took in; flushed at once, so a concurrent second sending fails
    here, on the key, and its transaction is rolled back."""
    if key:
        session.add(FormSubmission(key=key, case_id=case_id, bundle_id=bundle_id, made_at=now))
        session.flush()


def once(
    readers: sessionmaker[Session],
    key: str,
    sent: Sent,
    take_in: Callable[[], T],
    answer: Callable[[TakenIn], T],
) -> T:
    """take_in() the application `sent` under key, unless that key took it in before: then answer()
    with what it took in; KeyUsedBefore if the key took in another application. take_in must
    `record` the key in its transaction."""
    earlier = _taken_in(readers, key, sent)
    if earlier is not None:
        return answer(earlier)
    try:
        return take_in()
    except (IntegrityError, InvalidInput):
        # sent twice at the same moment: the other sending took it in, and this one was rolled
        # back or refused (it saw the other's case as the applicant's application in progress)
        earlier = _taken_in(readers, key, sent)
        if earlier is None:
            raise
        return answer(earlier)


def _taken_in(readers: sessionmaker[Session], key: str, sent: Sent) -> TakenIn | None:
    if not key:
        return None
    with readers() as session:
        row = session.get(FormSubmission, key)
        if row is None:
            return None
        taken = session.get(Case, row.case_id) if row.case_id else session.get(Bundle, row.bundle_id)
        if taken is None:  # not kept here (a key is recorded with what it took in): as sent before
            return TakenIn(row.case_id, row.bundle_id)
        code = taken.item_code if isinstance(taken, Case) else taken.code
        earlier = TakenIn(row.case_id, row.bundle_id, taken.applicant_name)
        # the number as the window stores it: sent again as typed (full-width, in groups) it is the same
        if code != sent.code.strip() or taken.applicant_id_number != digits_as_typed(sent.id_number).upper():
            raise KeyUsedBefore(key, earlier)
        return earlier
