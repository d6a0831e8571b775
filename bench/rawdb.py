"""The raw database baseline: the rows a hop wrote for each case, written again with the driver's own
`executemany`, one transaction per batch, into a fresh database with the node's schema.

No SQLAlchemy on the measured path: the DB-API connection, one INSERT … executemany per table and
batch, and the event chain's head moved once per batch, as the hop does.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from node.store.engine import create_store_engine, migrate

# the tables a case arriving at its handler writes to, in foreign-key order, with the column
# holding the case's id (materials' own ids are left to the database, as the hop leaves them)
TABLES = (("case", "id"), ("case_material", "case_id"), ("case_event", "case_id"),
          ("case_arrival", "case_id"), ("inbox", "case_id"))  # fmt: skip
_GENERATED = {"case_material": ("id",)}


@dataclass
class CaseRows:
    """Every table's rows for the cases of one hop, grouped by case (in arrival order)."""

    columns: dict[str, list[str]]
    cases: list[dict[str, list[tuple[Any, ...]]]]

    @property
    def rows_per_case(self) -> float:
        return sum(len(rows) for case in self.cases for rows in case.values()) / max(1, len(self.cases))


def read_case_rows(url: str, item_code: str) -> CaseRows:
    """The rows the handler at url holds for the cases of item_code, as its driver returns them."""
    engine = create_engine(url)
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute('SELECT id FROM "case" WHERE item_code = ' + _placeholder(engine, 1), (item_code,))
            order = [row[0] for row in cursor.fetchall()]
            wanted = set(order)
            by_case: dict[str, dict[str, list[tuple[Any, ...]]]] = defaultdict(lambda: defaultdict(list))
            columns: dict[str, list[str]] = {}
            for table, key in TABLES:
                cursor.execute(f'SELECT * FROM "{table}"')
                names = [d[0] for d in cursor.description]
                keep = [i for i, name in enumerate(names) if name not in _GENERATED.get(table, ())]
                columns[table] = [names[i] for i in keep]
                at = names.index(key)
                for row in cursor.fetchall():
                    if row[at] in wanted:
                        by_case[row[at]][table].append(tuple(_as_stored(row[i]) for i in keep))
        finally:
            connection.close()
    finally:
        engine.dispose()
    return CaseRows(columns, [by_case[case_id] for case_id in order])


def executemany_rate(url: str, rows: CaseRows, batch: int) -> float:
    """Cases/s writing rows into the database at url (fresh, migrated here), `batch` cases per
    transaction: one executemany per table and the chain head's update, then COMMIT."""
    engine = create_store_engine(url)
    try:
        migrate(engine)
        sqlite = engine.dialect.name == "sqlite"
        statements = {
            table: f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES '
            f"({', '.join(_placeholder(engine, i + 1) for i in range(len(columns)))})"
            for table, columns in rows.columns.items()
        }
        head = f"UPDATE chain_head SET seq = {_placeholder(engine, 1)} WHERE id = 1"
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, '')")
            connection.commit()
            started = time.perf_counter()
            for first in range(0, len(rows.cases), batch):
                cases = rows.cases[first : first + batch]
                if sqlite:
                    cursor.execute("BEGIN IMMEDIATE")
                for table, _ in TABLES:
                    cursor.executemany(statements[table], [row for case in cases for row in case[table]])
                cursor.execute(head, (first + len(cases),))
                connection.commit()
            elapsed = time.perf_counter() - started
        finally:
            connection.close()
    finally:
        engine.dispose()
    return len(rows.cases) / elapsed


def _as_stored(value: Any) -> Any:
    """A JSON column's value as the text it is stored as (PostgreSQL's driver returns it parsed)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def _placeholder(engine: Engine, position: int) -> str:
    style = engine.dialect.paramstyle
    return {"qmark": "?", "numeric": f":{position}", "format": "%s", "pyformat": "%s"}.get(style, "?")


@contextmanager
def fresh_database(base_url: str, folder: Path, name: str) -> Iterator[str]:
    """A new, empty database: a SQLite file in folder, or (base_url is PostgreSQL) a database
    created on that server for the measurement and dropped after it."""
    if not base_url:
        yield f"sqlite:///{folder / (name + '.db')}"
        return
    url = make_url(base_url)
    database = f"wuji_bench_{name}_{time.time_ns() % 10**9}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        try:
            yield url.set(database=database).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        admin.dispose()
