"""A PostgreSQL server for the tests (docs/architecture.md §10), found or started in this order:

1. WUJI_TEST_PG_URL: a server someone started (CI does, see scripts/test);
2. testcontainers, when a Docker engine answers (a developer's laptop);
3. a throwaway cluster from Debian's binaries in a temporary folder (as the `postgres` user
   when running as root, since initdb refuses root).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url


class PostgresUnavailable(RuntimeError):
    pass


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a SQLAlchemy URL (psycopg driver) of a superuser connection to database postgres."""
    url = os.environ.get("WUJI_TEST_PG_URL")
    if url:
        yield _with_driver(url)
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver="psycopg") as container:
            yield container.get_connection_url()
        return
    with _debian_cluster() as url:
        yield url


def _with_driver(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _debian_cluster() -> Iterator[str]:
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    bindirs = [b for b in bindirs if Path(b, "initdb").exists() and Path(b, "pg_ctl").exists()]
    if not bindirs:
        raise PostgresUnavailable(
            "no PostgreSQL: set WUJI_TEST_PG_URL, run a Docker engine, or `apt-get install postgresql`"
        )
    bindir = Path(bindirs[-1])
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    workdir = Path(tempfile.mkdtemp(prefix="wuji-pg-"))
    if as_root:
        shutil.chown(workdir, "postgres", "postgres")
    data, port = workdir / "data", _free_port()
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "wuji", "--auth=trust", "-E", "UTF8",
         "--no-locale"],
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
    subprocess.run(
        [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(workdir / "log"), "-w",
         "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://wuji@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(workdir, ignore_errors=True)


def _dsn(url: str, database: str) -> str:
    parsed = make_url(url).set(drivername="postgresql", database=database)
    return parsed.render_as_string(hide_password=False)


@contextlib.contextmanager
def fresh_database(server_url: str, name: str, template: str = "") -> Iterator[str]:
    """A new database on the server, empty or a copy of template, dropped afterwards."""
    with psycopg.connect(_dsn(server_url, "postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_dsn(server_url, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
