"""Many rows into one table on the driver's cursor, the INSERT compiled once per dialect and table.

SQLAlchemy's executemany builds every row's parameters through the compiled statement
(`construct_params`, a dictionary per row), which in a hop's batch of arriving cases took about 70%
of the time SQLite's own insert of the rows did (py-spy at a township catching up). Here each row
becomes the tuple (or mapping) the driver takes, with the column types' bind processors applied as
SQLAlchemy applies them; the statement is SQLAlchemy's own, compiled for the dialect.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class _Plan:
    sql: str
    keys: tuple[str, ...]  # the parameters in the order a positional driver takes them
    processors: tuple[Callable[[Any], Any] | None, ...]  # per key, the type's bind processor
    positional: bool


_plans: dict[tuple[str, Table, tuple[str, ...]], _Plan] = {}  # by dialect, table, columns named
_lock = threading.Lock()


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT `rows` in the connection's transaction; every row names the same columns, and a
    column none names is left to the database (an autoincrement key, a server default)."""
    if not rows:
        return
    plan = _plan(connection.dialect, table, tuple(rows[0]))
    pairs = tuple(zip(plan.keys, plan.processors, strict=True))
    parameters: list[Any]
    if plan.positional:
        parameters = [tuple(row[key] if p is None else p(row[key]) for key, p in pairs) for row in rows]
    else:
        parameters = [{key: row[key] if p is None else p(row[key]) for key, p in pairs} for row in rows]
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(plan.sql, parameters)
    finally:
        cursor.close()


def _plan(dialect: Dialect, table: Table, named: tuple[str, ...]) -> _Plan:
    key = (dialect.name, table, named)
    plan = _plans.get(key)
    if plan is None:
        left_out = [c.key for c in table.columns if c.key not in named and c.default is not None]
        if left_out:  # SQLAlchemy would fill these in from Python; rows here must name them
            raise ValueError(f"rows for {table.name} leave out {left_out}, which have Python defaults")
        compiled = typing.cast(SQLCompiler, insert(table).compile(dialect=dialect, column_keys=list(named)))
        keys = tuple(compiled.positiontup or ()) if dialect.positional else named
        # each column type's bind processor for this dialect, as SQLAlchemy applies them
        types = {column.key: column.type.dialect_impl(dialect) for column in table.columns}
        processors = tuple(types[k].bind_processor(dialect) for k in keys)
        plan = _Plan(compiled.string, keys, processors, dialect.positional)
        with _lock:
            _plans[key] = plan
    return plan
