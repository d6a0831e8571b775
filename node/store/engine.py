"""The node's one database: engine set-up (SQLite WAL by default), migrations, sessions."""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import shutil
import sqlite3
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Pages of write-ahead log after which a commit copies it into the database file itself. SQLite's
# 1,000 made every ~30th case arriving at a county wait ~5 ms for that copy; a running node copies
# it in the background every WAL_CHECKPOINT_SECONDS instead, and this is only the safety net.
SQLITE_AUTOCHECKPOINT_PAGES = 20_000
WAL_CHECKPOINT_SECONDS = 1.0
# Bytes of write-ahead log file kept once it has all been copied: without a limit the file stays as
# large as the largest burst ever made it for good. Cutting it back costs the next commit a few ms,
# so the limit is above what a second of a busy hop writes (~12-30 MB) and is met only after a
# burst whose copying was held up (by a long reader, or a node stopped meanwhile).
SQLITE_WAL_KEPT_BYTES = 64 * 1024 * 1024
READ_ONLY_OPTION = "wuji_read_only"
_HOLDS_WRITER = "wuji_holds_writer_lock"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def free_disk_bytes(url: str) -> int | None:
    """Free bytes on the disk of a SQLite database file; None elsewhere (PostgreSQL's disk is its
    server's, an in-memory database has none)."""
    database = sqlite_file(url)
    return None if database is None else shutil.disk_usage(database.resolve().parent).free


class DatabaseFolderMissing(OSError):
    """The folder a SQLite database URL names does not exist, or its file cannot be made there."""


def require_database_folder(url: str) -> None:
    """DatabaseFolderMissing where a SQLite file cannot be opened or made for want of its folder:
    SQLite itself says only "unable to open database file", and SQLAlchemy wraps that in a page of
    traceback, so a mistyped path or an unmounted volume is named here, in words, first."""
    database = sqlite_file(url)
    if database is None or database.exists():
        return
    folder = database.parent
    if not folder.is_dir():
        raise DatabaseFolderMissing(
            f"数据库文件 {database} 所在的文件夹 {folder} 不存在：请核对 node.toml 的 database_url"
            "（或环境变量 WUJI_DATABASE_URL），或先建好这个文件夹、挂上这块磁盘 "
            f"(the folder of the database {database} does not exist)"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseFolderMissing(
            f"数据库文件 {database} 所在的文件夹 {folder} 不让本程序写入，无法新建数据库：请核对 "
            "database_url（或 WUJI_DATABASE_URL），或让运行节点的用户能写这个文件夹 "
            f"(cannot create {database} in {folder})"
        )


def create_store_engine(url: str, *, sqlite_synchronous: str = "FULL") -> Engine:
    """An engine for the node's database URL.

    SQLite gets WAL (readers never block the writer; a crash leaves a consistent file) and
    BEGIN IMMEDIATE, so two transactions never both read the event-chain head and then race to
    extend it: the second waits for the first instead of failing at commit.
    """
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)

    require_database_folder(url)
    database = sqlite_file(url)
    if database is not None:
        keep_private(database)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    configure_sqlite(engine, sqlite_synchronous)
    return engine


def keep_private(database: Path) -> None:
    """A node's SQLite file holds citizens' identity numbers and staff password hashes: readable by
    its owner only (SQLite gives its -wal and -shm files the same mode). A new file is made so; one
    that others may read is closed to them, and the log says so."""
    if not database.exists():
        if database.parent.is_dir():
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))  # empty: a valid database
        return
    mode = stat.S_IMODE(database.stat().st_mode)
    if mode & 0o077:
        with contextlib.suppress(OSError):  # not the owner: SQLite still opens it, as before
            database.chmod(mode & 0o700)
            log.warning("%s was readable by others: now by its owner only (mode %o)", database, mode & 0o700)


def configure_sqlite(engine: Engine, sqlite_synchronous: str = "FULL") -> None:
    """WAL, foreign keys and BEGIN IMMEDIATE on a SQLite engine (also the simulation's in-memory ones)."""

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_KEPT_BYTES}")
        cursor.close()

    # SQLite lets one writer in at a time and makes the others poll with growing sleeps (up to
    # 100 ms each), so a thread could wait half a second for a lock freed long before. This
    # process's writers queue on a lock instead and are let in as soon as it is released; other
    # processes on the same file still meet SQLite's busy timeout.
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        queued = writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queued:
                writer.release()
            raise
        connection.info[_HOLDS_WRITER] = queued

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(connection: Any) -> None:
        if connection.info.pop(_HOLDS_WRITER, False):
            writer.release()


def checkpoint_wal(engine: Engine) -> tuple[int, int] | None:
    """Copy a SQLite database's write-ahead log into its file as far as readers allow (PASSIVE:
    neither readers nor the writer wait for it); (log pages, pages copied), or None if not SQLite."""
    if engine.dialect.name != "sqlite":
        return None
    raw = engine.raw_connection()  # no transaction, and not the writers' lock
    try:
        connection = raw.driver_connection
        assert connection is not None, "a connection just checked out has its driver's connection"
        _busy, logged, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return logged, copied
    finally:
        raw.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for transactions that write (on SQLite they take the write lock at BEGIN)."""
    return sessionmaker(engine, expire_on_commit=False)


def reader_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read: on SQLite they start a deferred transaction, so under WAL they
    see a consistent snapshot without waiting for (or holding up) the writer."""
    return sessionmaker(engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False)


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic's settings for the node's migrations, run on engine (without one: to read them)."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (creating it on first start), and say in one line
    what changed (`wuji node run` keeps alembic's own lines, two dozen on a first start, for
    warnings: node/logs.py)."""
    config = alembic_config(engine)
    before = schema_revision(engine)
    if before is None and _created_from_template(engine):
        log.info("database created at schema %s (a copy of the schema this process made)", _head())
        return
    command.upgrade(config, "head")
    after = schema_revision(engine)
    if after == before or after is None:
        return
    steps = list(ScriptDirectory.from_config(config).iterate_revisions(after, before))[::-1]
    if before is None:
        log.info("database created at schema %s (%d migrations)", after, len(steps))
    else:
        changes = "; ".join(f"{step.revision} {_first_line(step.doc)}" for step in steps)
        log.info("database upgraded from schema %s to %s: %s", before, after, changes)


# A new SQLite database is a copy of one this process has migrated: a process that creates many
# nodes (the demo, the tests, a simulation) runs alembic's chain of migrations, ~0.3 s of loading
# and DDL, once rather than once a node. The copy is SQLite's own backup of every page.
_template_lock = threading.Lock()
_template: Path | None = None


def _created_from_template(engine: Engine) -> bool:
    """Fill an empty SQLite file with this process's migrated schema; False for anything else
    (PostgreSQL, in-memory, a file holding tables), which alembic then migrates itself."""
    database = sqlite_file(engine.url.render_as_string(hide_password=False))
    if database is None:
        return False
    raw = engine.raw_connection()
    try:
        target = raw.driver_connection
        assert target is not None, "a connection just checked out has its driver's connection"
        if target.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return False
        source = sqlite3.connect(_migrated_template())
        try:
            source.backup(target)
        finally:
            source.close()
    finally:
        raw.close()
    if schema_revision(engine) != _head():
        raise RuntimeError(f"{database}: the copied schema is not at {_head()}")
    return True


def _migrated_template() -> Path:
    global _template
    with _template_lock:
        if _template is None or not _template.exists():
            folder = Path(tempfile.mkdtemp(prefix="wuji-schema-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            engine = create_store_engine(f"sqlite:///{folder / 'schema.db'}")
            try:
                command.upgrade(alembic_config(engine), "head")
                checkpoint_wal(engine)  # every page in the file the backup reads
            finally:
                engine.dispose()
            _template = folder / "schema.db"
        return _template


@functools.cache
def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _first_line(text: str | None) -> str:
    return (text or "").partition("\n")[0]


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at; None for a database without the node's schema."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
