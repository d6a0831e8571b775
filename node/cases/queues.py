"""The window's queues (待受理, 待审核, 待办结, 补正中, 即将超期) and case search.

Lists read only the columns a list shows (never material contents or events) through indexes:
a department's queue walks `ix_case_queue` (handler, department, state, due date); a search looks
up the applicant's name, identity number or phone, or a case id, by prefix on their indexes (a
name in each form its dot may take). So a page answers in milliseconds however many cases a node
holds (`wuji bench` measures it at 1,000,000 cases). Only a name looked for by its part after the
dot (买买提), when no beginning matched, reads the cases' names through.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from node.cases.applicants import digits_as_typed, mainland_mobile, names_searched
from node.cases.states import State
from node.convert import case_summary
from node.errors import InvalidInput
from node.store.models import Case, CaseEvent, SupervisionCard
from node.workdays import add_working_days
from wuji.v1 import case_pb2

DUE_SOON_WORKING_DAYS = 2  # 即将超期: the limit ends within this many working days
MAX_PAGE = 200
_PREFIX_END = "\U0010ffff"  # the largest code point: [q, q + this) is "starts with q"
_NAME_PART = re.compile(r"[\u3400-\u9fff\U00020000-\U0003ffff·]+")  # Chinese characters and dots


@dataclass(frozen=True)
class Queue:
    name: str  # the Chinese name the window sees
    key: str
    states: tuple[State, ...]


QUEUES = (
    Queue("待受理", "received", (State.SUBMITTED,)),
    Queue("待审核", "review", (State.ACCEPTED,)),
    Queue("待办结", "conclude", (State.UNDER_REVIEW,)),
    Queue("补正中", "correction", (State.CORRECTION_REQUESTED,)),
    Queue("即将超期", "due_soon", (State.ACCEPTED, State.UNDER_REVIEW)),
)


def queue_named(text: str) -> Queue:
    value = text.strip()
    for queue in QUEUES:
        if value in (queue.name, queue.key):
            return queue
    names = "、".join(f"{q.name} ({q.key})" for q in QUEUES)
    raise InvalidInput(f"没有队列 {value}，可选：{names} (unknown queue {value!r})")


# the columns a list shows; materials and events stay unread
_COLUMNS = (
    Case.id,
    Case.item_code,
    Case.item_name,
    Case.origin,
    Case.handler,
    Case.state,
    Case.outcome,
    Case.applicant_name,
    Case.applicant_id_number,
    Case.applicant_phone,
    Case.submitted_at,
    Case.updated_at,
    Case.version,
    Case.mode,
    Case.home_division,
    Case.catalog_version,
    Case.joint_of,
    Case.department,
    Case.channel,
    Case.responsible_person,
    Case.due_on,
)


def queue(
    session: Session, here: str, which: Queue, department: str, today: date, limit: int = 50, offset: int = 0
) -> list[case_pb2.Case]:
    """A department's cases in one queue at this handler, the most urgent first."""
    if which.key == "received":  # no clock yet: first come, first served
        query = select(*_COLUMNS).where(*_in_queue(here, which, department, today)[0])
        rows = session.execute(_page(query.order_by(Case.submitted_at, Case.id), limit, offset)).all()
        return _views(session, rows)
    # one index walk per state, each already in due-date order (NULLS LAST keeps the index's order:
    # a case without a limit comes after those with one); the pages merge here, so a queue of two
    # states never sorts all its rows
    walks = []
    for conditions in _in_queue(here, which, department, today):
        ordered = select(*_COLUMNS).where(*conditions).order_by(Case.due_on.asc().nulls_last(), Case.id)
        walks.append(session.execute(ordered.limit(offset + page_size(limit))).all())
    merged = heapq.merge(*walks, key=lambda row: (row.due_on is None, row.due_on or date.min, row.id))
    return _views(session, list(merged)[offset : offset + page_size(limit)])


def queue_size(session: Session, here: str, which: Queue, department: str, today: date) -> int:
    """How many cases a department's queue holds (all of them, not a page)."""
    return sum(
        session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
        for conditions in _in_queue(here, which, department, today)
    )


# a case still being worked on at its handler, after 受理 (the 首问负责人 is who took that step)
_ANSWERED_STATES = (State.ACCEPTED, State.CORRECTION_REQUESTED, State.UNDER_REVIEW)


def answered_by(session: Session, here: str, person: str) -> dict[str, int]:
    """How many cases handled here, not yet concluded, name `person` ("name (login)", as events
    record them) their 首问负责人, per department: when the person leaves or moves, their colleagues
    of that department take the cases on from its queues."""
    rows = session.execute(
        select(Case.department, func.count())
        .where(
            Case.handler == here,
            Case.state.in_([state.value for state in _ANSWERED_STATES]),
            Case.responsible_person == person,
        )
        .group_by(Case.department)
        .order_by(Case.department)
    )
    return {department or "": count for department, count in rows}


def _in_queue(here: str, which: Queue, department: str, today: date) -> list[tuple[ColumnElement[bool], ...]]:
    """The conditions of a queue's cases, one set per state (each walks its own index)."""
    if not department:
        raise InvalidInput(  # the node's operator, or staff of no department (监察, 管理员)
            "待办队列按部门划分：请指定部门（--department），或以该部门工作人员登录 "
            "(a queue belongs to a department: give --department, or log in as its staff)"
        )
    mine = (Case.handler == here, Case.department == department)
    if which.key != "due_soon":
        return [(*mine, Case.state == state.value) for state in which.states]
    soon = add_working_days(today, DUE_SOON_WORKING_DAYS)
    return [
        (*mine, Case.state == state.value, Case.due_on.is_not(None), Case.due_on <= soon)
        for state in which.states
    ]


def search(
    session: Session, text: str, limit: int = 50, *, here: str = "", department: str = "", taker: str = ""
) -> list[case_pb2.Case]:
    """Cases whose applicant name, identity number or phone, or whose id, starts with text (a name
    also with its dot typed as a full stop or a space, or left out, and by its part after the dot);
    with a `department`, of the cases handled `here` only that department's (and those of none).

    The department is part of the query, not a filter on its result: a common name at a county hall
    matches more cases of other departments than a page holds."""
    needle = text.strip()
    number = digits_as_typed(needle)  # typed as a window takes numbers: full-width, in groups
    if len(needle) < 2:
        raise InvalidInput(
            "请输入至少两个字：姓名、身份证号、手机号或办件编号 "
            "(search for two characters or more: a name, identity number, phone or case id)"
        )
    size = page_size(limit)
    visible = seen_by(here, department, taker)
    found: dict[str, Row[*tuple[Any, ...]]] = {}
    # case ids and identity numbers are stored in capitals (ULIDs; the check character X), typed
    # often in small letters; names are searched however their dot was typed (or left out)
    names = names_searched(needle)
    for column, typed in (
        (Case.id, number.upper()),
        (Case.applicant_id_number, number.upper()),
        (Case.applicant_phone, mainland_mobile(number) or number),
        *((Case.applicant_name, name) for name in names),
    ):
        prefix = and_(column >= typed, column < typed + _PREFIX_END, visible)
        for row in session.execute(select(*_COLUMNS).where(prefix).order_by(column).limit(size)):
            found.setdefault(row.id, row)
    if not found and _NAME_PART.fullmatch(names[0]):
        # a name by its part after the dot (买买提 for 阿依古丽·买买提), which no index holds: read
        # through only when nothing began so (a county holds a million names; 王秀兰 finds hers
        # by the index, and only a search that found nobody pays for the reading)
        part = and_(Case.applicant_name.contains("·" + names[0], autoescape=True), visible)
        for row in session.execute(select(*_COLUMNS).where(part).limit(size)):
            found.setdefault(row.id, row)
    rows = sorted(found.values(), key=lambda row: row.submitted_at, reverse=True)[:size]
    return _views(session, rows)


def resolve_id(session: Session, text: str, seen: ColumnElement[bool] | None = None) -> str:
    """The one case whose id starts with text; InvalidInput listing the candidates otherwise.
    seen: which cases the person asking is shown (`seen_by`): only those are counted and listed,
    so a beginning of an id does not name another department's cases (a whole id is still looked
    up, and refused by name where the case is not theirs)."""
    needle = text.strip().upper()  # ids are in capitals, often typed in small letters
    if not needle:
        raise InvalidInput("请填写办件编号（或其开头部分） (give a case id or a unique beginning of one)")
    starts = and_(Case.id >= needle, Case.id < needle + _PREFIX_END, true() if seen is None else seen)
    ids = session.scalars(select(Case.id).where(starts).order_by(Case.id).limit(6)).all()
    if len(ids) == 1:
        return ids[0]
    if not ids:
        return needle  # the caller's look-up says "no case"
    shown = ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
    raise InvalidInput(f"以 {needle} 开头的办件不止一件（{shown}），请多填几位 (give more of the id)")


def seen_by(here: str, department: str, taker: str = "") -> ColumnElement[bool]:
    """What a person of `department` is shown: of the cases handled `here` only that department's
    and those of none; every case handled elsewhere; and every case they took in here (`taker`:
    the person as events record them, Actor.on_record). No department: everything."""
    if not department:
        return true()
    shown = or_(Case.handler != here, Case.department.is_(None), Case.department.in_(("", department)))
    if not taker:
        return shown
    taken_in = select(CaseEvent.case_id).where(
        CaseEvent.case_id == Case.id,
        CaseEvent.version == 1,
        CaseEvent.actor_node == here,
        CaseEvent.actor_person == taker,
    )
    return or_(shown, taken_in.exists())


def recent(
    session: Session,
    here: str,
    state: State | None,
    role: str,
    limit: int = 100,
    department: str = "",
    offset: int = 0,
    taker: str = "",
    applied_here: bool = False,
) -> list[case_pb2.Case]:
    """This node's cases, newest first, from `offset` on: applied for here (origin), handled here
    (handler) or both; of those handled here, with a `department`, only what its staff are shown.
    applied_here: only those applied for here as well (results to hand out here, of any role)."""
    query = select(*_COLUMNS)
    if role == "origin":
        query = query.where(Case.origin == here)
    elif role == "handler":
        query = query.where(Case.handler == here)
    elif role:
        raise InvalidInput(f"role {role!r}: origin, handler or empty")
    if applied_here:
        query = query.where(Case.origin == here)
    query = query.where(seen_by(here, department, taker))
    if state is not None:
        query = query.where(Case.state == state.value)
    newest_first = query.order_by(Case.submitted_at.desc(), Case.id.desc())
    return _views(session, session.execute(_page(newest_first, limit, offset)).all())


def page_size(limit: int) -> int:
    """How many cases a page of `limit` holds (0: the default; never more than MAX_PAGE)."""
    return min(limit or 50, MAX_PAGE)


def _page(query: Select[*tuple[Any, ...]], limit: int, offset: int) -> Select[*tuple[Any, ...]]:
    return query.limit(page_size(limit)).offset(offset)


def _views(session: Session, rows: Sequence[Row[*tuple[Any, ...]]]) -> list[case_pb2.Case]:
    colours = _card_colours(session, [row.id for row in rows])
    return [_view(row, colours.get(row.id, "")) for row in rows]


def _card_colours(session: Session, case_ids: Iterable[str]) -> dict[str, str]:
    ids = list(case_ids)
    if not ids:
        return {}
    colours: dict[str, str] = {}
    cards = select(SupervisionCard.case_id, SupervisionCard.colour).where(
        SupervisionCard.case_id.in_(ids), SupervisionCard.closed_at.is_(None)
    )
    for case_id, colour in session.execute(cards):
        if colours.get(case_id) != "red":
            colours[case_id] = colour
    return colours


def _view(row: Row[*tuple[Any, ...]], colour: str) -> case_pb2.Case:
    """A list entry from a row of _COLUMNS, with its card colour."""
    view = case_summary(row)
    view.supervision = colour
    return view
