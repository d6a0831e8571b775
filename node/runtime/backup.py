"""Backup and restore of a node's database (SQLite online backup; pg_dump / pg_restore for PostgreSQL).

A restored database is older than what the node's neighbours hold of it. `restore` marks every
link as restored; the links then line up with the neighbours when they next open (sync.outbox.resume)
and the neighbours send back what the node lost (their retained outbox, node/runtime/resync.py).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from node.errors import is_damaged_database
from node.store.engine import create_store_engine, keep_private, migrate, session_factory, sqlite_file
from node.store.models import Base, Lease
from node.timeutil import CHINA_ZONE, as_utc, shanghai, utcnow
from sync import outbox
from sync.tables import SyncBase
from wuji.divisions import DivisionCode

log = logging.getLogger(__name__)

GIB = 1024**3
# a scheduled backup leaves at least this much free on its disk: the node's own database, usually on
# the same disk, must still find room for the day's cases
MIN_FREE_AFTER_BACKUP = GIB


class BackupError(Exception):
    """A backup or restore cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class Restored:
    links: int  # links marked for resynchronisation with their neighbours
    replaced: Path | None = None  # the SQLite file the backup replaced, kept under another name


def backup(database_url: str, target: Path, code: str = "") -> None:
    """Copy a live database to target, consistently, while the node runs (`code`, the node's, names
    the file suggested when target is a folder)."""
    if target.is_dir():  # a backup is one file: a name for it in that folder is suggested, not made up
        named = target / f"{code or 'wuji'}-{utcnow().astimezone(CHINA_ZONE):%Y-%m-%d}.db"
        raise BackupError(
            f"{target} 是一个文件夹：备份写成其中的一个新文件，请给出文件名，如 --to {named} "
            f"({target} is a folder: name a new file in it, e.g. {named})"
        )
    if target.exists():
        raise BackupError(
            f"{target} 已存在：备份从不覆盖已有的文件，请换一个新文件名 "
            f"({target} exists already: choose a new file, a backup is never overwritten)"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)  # a new folder on the USB disk, say
    except OSError as error:
        raise BackupError(
            f"建不了文件夹 {target.parent}（{error.strerror}）(cannot make the folder {target.parent})"
        ) from error
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        source = _sqlite_path(database_url)
        if not source.exists():
            raise BackupError(f"no database at {source}")
        partial = target.with_name(target.name + ".partial")
        try:
            _sqlite_copy(source, partial)
        except BackupError:
            partial.unlink(missing_ok=True)  # half a copy restores nothing and takes the disk's room
            raise
        partial.rename(target)
    else:
        keep_private(target)  # made empty, for its owner only, before pg_dump writes it
        _run_pg("pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq(database_url))


def scheduled_backup(
    database_url: str,
    folder: Path,
    code: str,
    keep: int,
    now: datetime,
    min_free: int = MIN_FREE_AFTER_BACKUP,
) -> Path:
    """The node's own backup (config backup_hours): a new file in folder named by the node and the
    time in China (430981006001-20261207-0300.db), then all but the newest `keep` removed.

    A backup never fills the disk: older backups (never the newest) go first if the copy would leave
    less than min_free; if that is not enough, no backup is made (BackupError). The outcome is noted
    in folder for `wuji node status` (`last_failure`)."""
    sqlite = make_url(database_url).get_backend_name() == "sqlite"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{code}-{_file_stamp(now)}{'.db' if sqlite else '.dump'}"
    failure = _failure_note(folder, code)
    try:
        if sqlite:  # a dump's size is not known before it is made; PostgreSQL tiers back up elsewhere
            _make_room(folder, code, _sqlite_bytes(database_url), min_free)
        backup(database_url, target)
    except BackupError as error:
        failure.write_text(f"{as_utc(now).astimezone(CHINA_ZONE):%Y-%m-%d %H:%M}\n{error}", encoding="utf-8")
        raise
    failure.unlink(missing_ok=True)
    made = scheduled_backups(folder, code)
    for old in made[: max(0, len(made) - keep)]:
        old.unlink()
    return target


def last_failure(folder: Path, code: str) -> tuple[str, str] | None:
    """(when, in China time; why) the last scheduled backup was not made, or None if it was."""
    note = _failure_note(folder, code)
    if not note.is_file():
        return None
    when, _, why = note.read_text(encoding="utf-8").partition("\n")
    return when, why


def on_the_databases_disk(database_url: str, folder: Path) -> bool:
    """Whether backups in folder would sit on the same disk (file system) as the SQLite database:
    a failing disk then takes both. False for PostgreSQL (its disk is its server's)."""
    database = sqlite_file(database_url)
    if database is None or not database.exists():
        return False
    existing = folder.resolve()
    while not existing.exists():  # the folder is made at the first backup
        existing = existing.parent
    return existing.stat().st_dev == database.resolve().stat().st_dev


def free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _make_room(folder: Path, code: str, copy_bytes: int, min_free: int) -> None:
    """Remove the oldest scheduled backups, never the newest, until a copy of copy_bytes leaves
    min_free on the disk; BackupError, with nothing removed, if even that would not do."""
    older = scheduled_backups(folder, code)[:-1]
    free = free_bytes(folder)
    shortfall = copy_bytes + min_free - free
    if shortfall <= 0:
        return
    if shortfall > sum(path.stat().st_size for path in older):
        raise BackupError(
            f"磁盘空间不足：{folder} 所在磁盘只剩 {free / GIB:.1f} GB，"
            f"备份需要 {copy_bytes / GIB:.1f} GB，并须为新办件留出 {min_free / GIB:.1f} GB；"
            f"请清理磁盘，或把 backup_dir 指向另一块磁盘 (not enough free disk space for a backup)"
        )
    removed = 0
    while shortfall > 0:
        oldest = older.pop(0)
        shortfall -= oldest.stat().st_size
        oldest.unlink()
        removed += 1
    log.warning("removed the %d oldest backup(s) early to leave room on the disk", removed)


def _file_stamp(moment: datetime) -> str:
    """The moment as a file name carries it: China time, to the second (20261207-030000)."""
    return as_utc(moment).astimezone(CHINA_ZONE).strftime("%Y%m%d-%H%M%S")


def _failure_note(folder: Path, code: str) -> Path:
    return folder / f"{code}-backup-failed.txt"


def _sqlite_bytes(database_url: str) -> int:
    """What a copy of the SQLite database takes: the file and its write-ahead log."""
    source = _sqlite_path(database_url)
    wal = source.with_name(source.name + "-wal")
    return sum(path.stat().st_size for path in (source, wal) if path.exists())


def scheduled_backups(folder: Path, code: str) -> list[Path]:
    """The backups the node made of itself in folder, oldest first (their names sort by time); none
    where the folder does not exist yet."""
    return sorted(
        path
        for suffix in (".db", ".dump")
        for path in folder.glob(f"{code}-{'[0-9]' * 8}-{'[0-9]' * 6}{suffix}")
    )


def restore(database_url: str, source: Path, here: DivisionCode) -> Restored:
    """Replace the node `here`'s database by a backup of it; the node must be stopped."""
    if source.is_dir():
        raise BackupError(
            f"{source} 是一个文件夹，不是备份文件：请给出其中的备份文件 "
            f"({source} is a folder, not a backup file)"
        )
    if not source.is_file():
        raise BackupError(f"找不到备份文件 {source}：请核对文件名和所在的文件夹 (no backup file at {source})")
    require_stopped(database_url)
    replaced = None
    if make_url(database_url).get_backend_name() == "sqlite":
        _require_sqlite_backup(source)
        _require_backup_of(source, here)
        target = _sqlite_path(database_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        replaced = _set_aside(target)
        _sqlite_copy(source, target)
    else:
        _drop_node_tables(database_url)  # tables of a newer release, absent from the dump, go too
        _run_pg("pg_restore", "--no-owner", f"--dbname={_libpq(database_url)}", str(source))
    engine = create_store_engine(database_url)
    try:
        migrate(engine)  # a backup of an older release
        with session_factory(engine).begin() as session:
            return Restored(links=outbox.mark_restored(session), replaced=replaced)
    finally:
        engine.dispose()


def _set_aside(database: Path) -> Path | None:
    """Rename the database a restore replaces (with its -wal and -shm) rather than write over it:
    it may be damaged, which a copy over it would stumble on, and it is the only copy of what was
    done after the backup, should the wrong backup have been chosen."""
    if not database.exists():
        return None
    kept = database.with_name(f"{database.name}.replaced-{_file_stamp(utcnow())}")
    for suffix in ("", "-wal", "-shm"):
        part = database.with_name(database.name + suffix)
        if part.exists():
            part.rename(kept.with_name(kept.name + suffix))
    return kept


def _drop_node_tables(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
            SyncBase.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


def _sqlite_path(database_url: str) -> Path:
    database = sqlite_file(database_url)
    if database is None:
        raise BackupError(f"{database_url} is not a database file")
    return database


def _sqlite_copy(source: Path, target: Path) -> None:
    """sqlite3's online backup: a consistent copy even while another process writes (WAL)."""
    try:
        src = sqlite3.connect(source)
        try:
            keep_private(target)  # a backup holds what the database holds
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as error:
        raise BackupError(f"cannot copy {source} to {target}: {error}") from error


def _require_backup_of(source: Path, here: DivisionCode) -> None:
    """A backup names no node, but what it holds does: its parent link, and cases each applied or
    handled at the node. Another node's backup (files named by hand are easily mixed up) would show
    that node's citizens and staff at this one's desk, and confuse its neighbours' resending."""
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as connection:
        parents = [row[0] for row in connection.execute("SELECT peer FROM link_state WHERE role = 'parent'")]
        stranger = connection.execute(
            'SELECT id, origin, handler FROM "case" WHERE origin != ? AND handler != ? LIMIT 1',
            (here.value, here.value),
        ).fetchone()
    expected = here.parent.value if here.parent else None
    if parents and parents[0] != expected:
        raise BackupError(
            f"{source} 不是节点 {here} 的备份：其中的上级是 {parents[0]}，"
            f"本节点的上级是 {expected or '（无）'} (a backup of another node: its parent is {parents[0]})"
        )
    if stranger is not None:
        case_id, origin, handler = stranger
        raise BackupError(
            f"{source} 不是节点 {here} 的备份：其中的办件 {case_id} 申请于 {origin}、办理于 {handler}，"
            f"都不是本节点 (a backup of another node: it holds cases of {origin})"
        )


def _require_sqlite_backup(source: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables = {row[0] for row in rows}
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(
            f"{source} 不是节点的备份：它不是 SQLite 数据库文件 ({source} is not a SQLite backup of a node: "
            f"{error})"
        ) from error
    if not {"alembic_version", "link_state", "case"} <= tables:
        raise BackupError(
            f"{source} 是 SQLite 数据库，但不是 wuji 节点的备份：其中没有节点的数据表 "
            f"({source} is not a backup of a wuji node: its tables are missing)"
        )


def require_stopped(database_url: str, doing: str = "恢复", doing_english: str = "restoring") -> None:
    """Refuse while a replica of the node holds its link lease (it would keep writing)."""
    if make_url(database_url).get_backend_name() == "sqlite" and not _sqlite_path(database_url).exists():
        return
    engine = create_store_engine(database_url)
    try:
        if not inspect(engine).has_table("lease"):
            return
        with session_factory(engine)() as session:
            lease = session.scalars(select(Lease)).first()
    except DatabaseError as error:
        if not is_damaged_database(error):
            raise
        return  # no node runs on a database it cannot read, and this is what a restore is for
    finally:
        engine.dispose()
    if lease is not None and as_utc(lease.expires_at) > utcnow():
        until = shanghai(lease.expires_at, seconds=True)
        raise BackupError(
            f"节点正在运行：{lease.holder} 持有它的连接租约，至 {until}（北京时间）；请先停止节点再{doing} "
            f"(the node is running: {lease.holder} holds its link lease; stop it before {doing_english})"
        )


def _libpq(database_url: str) -> str:
    """The SQLAlchemy URL as libpq understands it (no driver suffix)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run_pg(program: str, *arguments: str) -> None:
    if shutil.which(program) is None:
        raise BackupError(
            f"{program} is not installed: PostgreSQL backups use the PostgreSQL client tools "
            "(e.g. apt-get install postgresql-client, of the server's major version)"
        )
    result = subprocess.run([program, *arguments], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip() or result.returncode}")
