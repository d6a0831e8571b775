"""Cases arriving in a batch: whether each exists here already, without a flush per case.

A link applies a batch of envelopes in one transaction. Asking the database about each arriving
case would first autoflush everything the batch has added so far: one unit-of-work pass per case,
which was most of the cost of a hop. Instead the batch's case ids are looked up in one query before
it is applied (`look_up`), and the cases the transaction adds are remembered (`added`), so `exists`
usually needs neither a query nor a flush.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, SessionTransaction

from node.store.models import Case

_KEY = "wuji.arrivals"


@dataclass
class _Transaction:
    transaction: SessionTransaction | None
    looked_up: set[str] = field(default_factory=set)
    stored: set[str] = field(default_factory=set)  # of those looked up, the ones already stored
    added: dict[str, Case] = field(default_factory=dict)


def _current(session: Session) -> _Transaction:
    transaction = session.get_transaction()
    known = session.info.get(_KEY)
    if known is None or known.transaction is not transaction:
        known = session.info[_KEY] = _Transaction(transaction)
    return known


def look_up(session: Session, case_ids: Iterable[str]) -> None:
    """Find out in one query which of these cases are stored here already."""
    known = _current(session)
    wanted = set(case_ids) - known.looked_up
    if not wanted:
        return
    with session.no_autoflush:
        known.stored.update(session.scalars(select(Case.id).where(Case.id.in_(wanted))))
    known.looked_up |= wanted


def added(session: Session, case: Case) -> None:
    """The transaction adds this case (flushed at commit, with the rest of its batch)."""
    _current(session).added[case.id] = case


def exists(session: Session, case_id: str) -> bool:
    """Whether the case is stored here or added earlier in this transaction."""
    known = _current(session)
    case = known.added.get(case_id)
    if case is not None and case in session:  # not if its savepoint was rolled back
        return True
    if case_id in known.looked_up:
        return case_id in known.stored
    with session.no_autoflush:
        return session.get(Case, case_id) is not None
