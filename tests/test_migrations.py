"""Upgrading a database made by an older release keeps its data (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from node.store.engine import alembic_config, create_store_engine, migrate


def test_a_database_of_the_first_release_upgrades_without_loss(database_url):
    engine = create_store_engine(database_url)
    config = alembic_config(engine)
    command.upgrade(config, "0001")  # the schema of the first release
    with engine.begin() as connection:
        connection.execute(
            text(
                'INSERT INTO "case" (id, item_code, item_name, origin, handler, state, applicant_name,'
                " applicant_id_number, applicant_phone, version, accepted, submitted_at, updated_at)"
                " VALUES ('430981006001-01OLD', 'MZ-0001', '最低生活保障对象认定', '430981006001',"
                " '430981000000', 'SUBMITTED', '旧数据', '430981199001011237', '', 1, false,"
                " '2026-01-05 08:00:00', '2026-01-05 08:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO service_item (code, name, type, department, handling_tier, instant,"
                " statutory_days, promised_days, legal_basis, materials, release_version)"
                " VALUES ('MZ-0001', '最低生活保障对象认定', '行政确认', '民政局', 'county', false, 30, 15,"
                " '《社会救助暂行办法》', '[]', 1)"
            )
        )
    migrate(engine)  # to the newest schema
    with engine.connect() as connection:
        case = connection.execute(text('SELECT applicant_name, state FROM "case"')).one()
        item = connection.execute(text("SELECT name, promised_days FROM service_item")).one()
        head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert tuple(case) == ("旧数据", "SUBMITTED")
    assert tuple(item) == ("最低生活保障对象认定", 15)
    assert head != "0001"


def test_an_upgrade_says_in_one_line_which_migrations_it_ran(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_store_engine(database_url)
    config = alembic_config(engine)
    command.upgrade(config, "0015")
    with caplog.at_level(logging.INFO, logger="node.store.engine"):
        migrate(engine)
        migrate(engine)  # at the newest schema already: nothing to say
    engine.dispose()
    said = [record.getMessage() for record in caplog.records if record.name == "node.store.engine"]
    head = ScriptDirectory.from_config(config).get_current_head()
    assert len(said) == 1, said
    assert said[0].startswith(f"database upgraded from schema 0015 to {head}: 0016 SM2 seal tree"), said
    assert "; 0017 Office names" in said[0]


def test_a_new_sqlite_database_is_the_schema_alembic_makes(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    """A process makes its first node's SQLite schema with alembic and copies it for the next ones:
    the copy must be exactly what alembic's own chain of migrations gives, page for page in meaning
    (every table, index and trigger, and the revision)."""

    def schema(engine) -> list[tuple[str, str, str]]:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY type, name"))
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            return [*((str(t), str(n), str(s)) for t, n, s in rows), ("revision", str(revision), "")]

    by_alembic = create_store_engine(f"sqlite:///{tmp_path / 'alembic.db'}")
    command.upgrade(alembic_config(by_alembic), "head")
    made = []
    with caplog.at_level(logging.INFO, logger="node.store.engine"):
        for name in ("first.db", "second.db"):
            engine = create_store_engine(f"sqlite:///{tmp_path / name}")
            migrate(engine)
            made.append(schema(engine))
            with engine.begin() as connection:  # a working database, not just its tables' words
                connection.execute(
                    text("INSERT INTO staff_login_failure VALUES ('x', 1, '2026-12-07', NULL)")
                )
            engine.dispose()
    expected = schema(by_alembic)
    by_alembic.dispose()
    assert len(expected) > 40 and made == [expected, expected]
    said = [r.getMessage() for r in caplog.records if r.name == "node.store.engine"]
    assert said and all(line.startswith("database created at schema ") for line in said), said
    assert "a copy of the schema this process made" in said[-1]  # alembic ran once, not per node
