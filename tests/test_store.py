"""The node's database: migrations match the models, SQLite runs in WAL, readers never block writers."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    text,
)

from node.store.bulk import insert_rows
from node.store.engine import (
    SQLITE_WAL_KEPT_BYTES,
    checkpoint_wal,
    create_store_engine,
    free_disk_bytes,
    migrate,
    reader_factory,
    session_factory,
)
from node.store.models import Base, ServiceItem
from sync import outbox
from sync.outbox import install_commit_signal
from sync.tables import OutboxEntry, SyncBase
from tests.harness import wait_for
from wuji.v1 import link_pb2


def test_migrations_build_exactly_the_schema_of_the_models(database_url):
    engine = create_store_engine(database_url)
    migrate(engine)
    migrate(engine)  # a second start finds nothing to do
    combined = MetaData()
    for metadata in (Base.metadata, SyncBase.metadata):
        for table in metadata.tables.values():
            table.to_metadata(combined)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), combined)
    engine.dispose()
    assert differences == []


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'node.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_the_free_disk_is_known_for_a_sqlite_file_only(tmp_path):
    free = free_disk_bytes(f"sqlite:///{tmp_path / 'node.db'}")  # other tests write meanwhile: no equality
    assert free is not None and 0 < free <= shutil.disk_usage(tmp_path).total
    assert free_disk_bytes("sqlite://") is None  # in memory
    assert free_disk_bytes("postgresql+psycopg://wuji@db.example/wuji") is None  # the server's disk


def test_an_open_read_does_not_hold_up_a_write(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'node.db'}")
    migrate(engine)
    readers, writers = reader_factory(engine), session_factory(engine)
    with readers() as reading:
        before = reading.scalar(select(func.count()).select_from(ServiceItem))
        with writers.begin() as writing:  # would wait 30 s for the lock if the read held it
            writing.add(
                ServiceItem(
                    code="T-1", name="测试事项", type="公共服务", department="测试局", handling_tier="county",
                    instant=True, statutory_days=0, promised_days=0, legal_basis="-", materials=[],
                    release_version=1,
                )
            )  # fmt: skip
        # the reader's snapshot is stable until it ends
        assert reading.scalar(select(func.count()).select_from(ServiceItem)) == before
    with readers() as reading:
        assert reading.scalar(select(func.count()).select_from(ServiceItem)) == before + 1
    engine.dispose()


def test_links_are_woken_only_when_the_outermost_transaction_commits(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'node.db'}")
    migrate(engine)
    sessions, readers = session_factory(engine), reader_factory(engine)
    woken: list[tuple[str, int]] = []

    def wake(peers):
        with readers() as session:  # what a woken sender would see
            visible = session.scalar(select(func.count()).select_from(OutboxEntry))
        woken.extend((peer, visible) for peer in peers)

    install_commit_signal(sessions, wake)
    with sessions.begin() as session:
        with session.begin_nested():  # as the link applies each envelope of a batch
            outbox.enqueue(session, "430981000000", "parent", link_pb2.Envelope(message_id="m1"))
        assert woken == []  # a SAVEPOINT release is not a commit
        with session.begin_nested() as refused:
            outbox.enqueue(session, "430981000000", "parent", link_pb2.Envelope(message_id="m2"))
            refused.rollback()
    assert woken == [("430981000000", 1)]  # once, after the commit, with the row visible
    engine.dispose()


def test_outbox_seqs_stay_gapless_when_the_cursor_is_kept_for_a_transaction(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'node.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    parent = "430981000000"

    def send(session, message_id: str) -> int:
        return outbox.enqueue(session, parent, "parent", link_pb2.Envelope(message_id=message_id))

    with sessions.begin() as session:
        with session.begin_nested() as first:  # the cursor row is created here, then rolled back
            assert send(session, "m0") == 1
            first.rollback()
        assert [send(session, "m1"), send(session, "m2")] == [1, 2]
        with session.begin_nested() as refused:
            assert send(session, "m3") == 3
            refused.rollback()
        assert send(session, "m4") == 3  # the rolled-back seq is given again, no gap
    with sessions.begin() as session:  # a new transaction reads the cursor afresh
        assert send(session, "m5") == 4
    with sessions() as session:
        stored = session.execute(select(OutboxEntry.seq, OutboxEntry.message_id).order_by(OutboxEntry.seq))
        assert [tuple(row) for row in stored] == [(1, "m1"), (2, "m2"), (3, "m4"), (4, "m5")]
    engine.dispose()


def _scratch_write(engine, size: int) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS scratch (b BLOB)")
        connection.exec_driver_sql("INSERT INTO scratch VALUES (?)", (b"\x5a" * size,))


def test_a_commit_leaves_copying_the_log_into_the_file_to_a_checkpoint(tmp_path):
    # SQLite's default copies the write-ahead log into the file inside a commit every 1,000 pages
    # (a stall of that commit); here the copy waits for checkpoint_wal, which copies everything
    path = tmp_path / "node.db"
    engine = create_store_engine(f"sqlite:///{path}")
    _scratch_write(engine, 2_000_000)  # ~490 pages per MB of blob: past SQLite's default
    assert path.stat().st_size < 1_000_000  # still in the log
    logged, copied = checkpoint_wal(engine)
    assert logged == copied > 400
    assert path.stat().st_size > 2_000_000
    engine.dispose()


def test_the_log_file_shrinks_back_once_a_burst_is_copied_into_the_database(tmp_path):
    path = tmp_path / "node.db"
    log = tmp_path / "node.db-wal"
    engine = create_store_engine(f"sqlite:///{path}")
    for _ in range(17):  # a burst past the kept size, in several commits, none copied yet
        _scratch_write(engine, 4_000_000)
    assert log.stat().st_size > SQLITE_WAL_KEPT_BYTES
    checkpoint_wal(engine)
    _scratch_write(engine, 1_000)  # the next writer starts the log over, cut back to the kept size
    assert log.stat().st_size <= SQLITE_WAL_KEPT_BYTES
    engine.dispose()


def test_a_running_node_copies_its_log_into_its_file_in_the_background(federation):
    node = federation.start("430000000000")
    if node.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite node's chore")
    path = Path(node.engine.url.database)
    before = path.stat().st_size
    _scratch_write(node.engine, 2_000_000)
    wait_for(lambda: path.stat().st_size > before + 2_000_000, what="the log copied into the file")


def test_rows_written_on_the_drivers_cursor_read_back_as_sqlalchemy_writes_them(database_url):
    """node/store/bulk.py skips SQLAlchemy's per-row parameters but applies the types' bind
    processors itself: times with their zone, days, booleans, JSON and NULLs come back the same."""
    metadata = MetaData()
    table = Table(
        "bulk_probe",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),  # left to the database
        Column("source", String(8)),
        Column("at", DateTime(timezone=True)),
        Column("on", Date, nullable=True),
        Column("checked", Boolean),
        Column("route", JSON),
        Column("note", String(50), nullable=True),
        Column("added", String(8), default="python"),  # filled in by SQLAlchemy, not by the database
    )
    engine = create_store_engine(database_url)
    metadata.create_all(engine)
    at = datetime(2026, 12, 6, 23, 59, 58, 123456, tzinfo=UTC)
    rows = [
        {"at": at, "on": date(2026, 12, 7), "checked": True, "route": ["430981006001", "430981006000"],
         "note": "韩家汊社区", "added": "given"},
        {"at": at + timedelta(hours=1), "on": None, "checked": False, "route": [], "note": None,
         "added": "given"},
    ]  # fmt: skip
    with engine.begin() as connection:
        insert_rows(connection, table, [row | {"source": "bulk"} for row in rows])
        connection.execute(insert(table), [row | {"source": "core"} for row in rows])
    with engine.connect() as connection:
        read = connection.execute(select(table).order_by(table.c.id)).mappings().all()
    written = {source: [{k: v for k, v in row.items() if k not in ("id", "source")} for row in read
                        if row["source"] == source] for source in ("bulk", "core")}  # fmt: skip
    assert written["bulk"] == written["core"] and len(written["bulk"]) == 2
    assert [row["id"] for row in read] == [1, 2, 3, 4]
    with engine.begin() as connection, pytest.raises(ValueError, match=r"leave out \['added'\]"):
        insert_rows(connection, table, [{"source": "bulk", "at": at, "on": None, "checked": True,
                                         "route": [], "note": None}])  # fmt: skip
    engine.dispose()
