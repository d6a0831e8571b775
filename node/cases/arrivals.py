"""Cases arriving in a batch: whether each exists here already, without a flush per case.

A link applies a batch of envelopes in one transaction. Asking the database about each arriving
case would first autoflush everything the batch has added so far: one unit-of-work pass per case,
which was most of the cost of a hop. Instead the batch's case ids are looked up in one query before
it is applied (`look_up`), and the cases the transaction adds are remembered (`added`), so `exists`
usually needs neither a query nor a flush.

The common arriving case (no 跨省通办 mode, nothing deferred or promised: no hook takes part) is not
built as ORM objects at all: its rows (case, materials, first event, arrival) are kept here
(`add_rows`) and written with one executemany per table (`write_pending`, node/store/bulk.py) before
anything else reads the database in the transaction, and at its commit. The ORM stays for everything
else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, event, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from node.store.bulk import insert_rows
from node.store.models import Case, CaseArrival, CaseEvent, CaseMaterial, ServiceItem

_KEY = "wuji.arrivals"
# statements of every batch, built once (building one costs more than SQLite running it)
_STORED = select(Case.id).where(Case.id.in_(bindparam("ids", expanding=True)))
_DEPARTMENT = select(ServiceItem.department).where(ServiceItem.code == bindparam("code"))


@dataclass
class _Transaction:
    transaction: SessionTransaction | None
    looked_up: set[str] = field(default_factory=set)
    stored: set[str] = field(default_factory=set)  # of those looked up, the ones already stored
    added: dict[str, Case] = field(default_factory=dict)
    departments: dict[str, tuple[bool, str | None]] = field(default_factory=dict)  # by item code
    # rows of cases added in bulk, not yet written (in foreign-key order: cases first)
    rows: dict[Table, list[dict[str, Any]]] = field(default_factory=dict)
    bulk: set[str] = field(default_factory=set)  # ids of the cases added in bulk


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
        known.stored.update(session.scalars(_STORED, {"ids": list(wanted)}))
    known.looked_up |= wanted


def added(session: Session, case: Case) -> None:
    """The transaction adds this case (flushed at commit, with the rest of its batch)."""
    _current(session).added[case.id] = case


def exists(session: Session, case_id: str) -> bool:
    """Whether the case is stored here or added earlier in this transaction."""
    known = _current(session)
    if case_id in known.bulk:
        return True
    case = known.added.get(case_id)
    if case is not None and case in session:  # not if its savepoint was rolled back
        return True
    if case_id in known.looked_up:
        return case_id in known.stored
    with session.no_autoflush:
        return session.get(Case, case_id) is not None


def department(session: Session, item_code: str) -> tuple[bool, str | None]:
    """(whether this node's catalogue holds the item, the department it names), looked up once per
    transaction and item, without flushing what the batch added so far."""
    known = _current(session)
    if item_code not in known.departments:
        with session.no_autoflush:  # the one column, not the item with its materials and guide
            row = session.execute(_DEPARTMENT, {"code": item_code}).first()
        known.departments[item_code] = (row is not None, row.department if row is not None else None)
    return known.departments[item_code]


_TABLES: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (Case, CaseMaterial, CaseEvent, CaseArrival)
)


def can_add_rows(session: Session) -> bool:
    """Bulk rows are for the outermost transaction only: a SAVEPOINT rolled back would lose them."""
    return not session.in_nested_transaction()


def add_rows(
    session: Session,
    case: dict[str, Any],
    materials: list[dict[str, Any]],
    event_row: dict[str, Any],
    arrival: dict[str, Any],
) -> None:
    """A new case as rows (every column of each table given), written by `write_pending`."""
    known = _current(session)
    rows = known.rows or {table: [] for table in _TABLES}
    known.rows = rows
    case_table, material_table, event_table, arrival_table = _TABLES
    rows[case_table].append(case)
    rows[material_table].extend(materials)
    rows[event_table].append(event_row)
    rows[arrival_table].append(arrival)
    known.bulk.add(case["id"])


def write_pending(session: Session) -> None:
    """Write the rows `add_rows` kept, one executemany per table, in this transaction."""
    known = session.info.get(_KEY)
    if known is None or not known.rows or known.transaction is not session.get_transaction():
        return
    rows, known.rows = known.rows, {}
    connection = session.connection()
    for table, table_rows in rows.items():
        insert_rows(connection, table, table_rows)


def before_other_envelope(session: Session) -> None:
    """Another kind of envelope is about to be applied in this transaction (it may change the
    catalogue, or open a SAVEPOINT): write the rows kept so far and forget the items looked up."""
    write_pending(session)
    known = session.info.get(_KEY)
    if known is not None:
        known.departments.clear()


@event.listens_for(Session, "do_orm_execute")
def _write_before_reading(state: ORMExecuteState) -> None:
    """Anything asked of the database sees the cases added in bulk so far."""
    session = state.session
    if _KEY in session.info and not session.in_nested_transaction():
        write_pending(session)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    if _KEY in session.info and not session.in_nested_transaction():
        write_pending(session)
