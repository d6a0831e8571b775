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
