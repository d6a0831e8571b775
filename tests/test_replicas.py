"""Two replicas of one node on one PostgreSQL database: one runs the links, the other takes over."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest

from node.config import NodeConfig
from node.desk.client import DeskClient
from node.runtime.cluster import ProcessFederation, free_port
from tests.harness import wait_for
from tests.materials import complete_proto
from tests.pgserver import fresh_database

pytestmark = pytest.mark.timeout(300)
PROVINCE, CITY, COUNTY = "430000000000", "430900000000", "430981000000"


def test_a_standby_replica_sends_nothing_until_the_active_one_dies(tmp_path, postgres_url):
    with fresh_database(postgres_url, f"wuji_replicas_{uuid.uuid4().hex[:8]}") as county_db:
        federation = ProcessFederation(tmp_path, [(PROVINCE, "湖南省"), (CITY, "益阳市"), (COUNTY, "沅江市")])
        federation.extra_env[COUNTY] = {"WUJI_DATABASE_URL": county_db}
        config = NodeConfig.load(federation.paths[COUNTY])
        config.lease_seconds = 3.0
        config.backup_hours = 2 / 3600  # each replica's own folder, beside its config
        config.save(federation.paths[COUNTY])
        standby = None
        try:
            for code in (PROVINCE, CITY, COUNTY):
                federation.start(code)
            # replica B: the same node (config, keys, database), another address
            config = NodeConfig.load(federation.paths[COUNTY])
            config.listen, config.enroll_listen = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
            config.pki_dir = str(federation.paths[COUNTY].parent / "pki")
            b_path = tmp_path / "county-b" / "node.toml"
            config.save(b_path)
            log_b = (b_path.parent / "node.log").open("wb")
            standby = subprocess.Popen(
                [sys.executable, "-m", "node.cli", "node", "run", "--config", str(b_path)],
                stdout=log_b,
                stderr=subprocess.STDOUT,
                env={**os.environ, "WUJI_DATABASE_URL": county_db, "PYTHONUNBUFFERED": "1"},
            )
            desk_b = DeskClient.for_node(b_path)
            desk_b.wait_for(lambda d: d.describe(), 60, "replica B")
            city = federation.desk(CITY)

            # both replicas take cases (for the city); only A sends them, each exactly once
            files = complete_proto("GJ-0001")
            desk_a = federation.desk(COUNTY)
            ids = [desk_a.submit("GJ-0001", f"甲{i}", "430981199001011237", "", files).id for i in range(5)]
            ids += [desk_b.submit("GJ-0001", f"乙{i}", "430981199001011237", "", files).id for i in range(5)]
            city.wait_for(lambda d: len(d.list_cases(role="handler")) == 10, 60, "10 cases at the city")
            assert sorted(c.id for c in city.list_cases(role="handler")) == sorted(ids)
            log_text = (b_path.parent / "node.log").read_text(encoding="utf-8")
            assert "now runs the links" not in log_text  # B stayed on standby
            # the shared database is backed up by the replica running the links, not by both
            backups_of = lambda path: list((path.parent / "backups").glob(f"{COUNTY}-*.dump"))  # noqa: E731
            wait_for(lambda: backups_of(federation.paths[COUNTY]), what="A's scheduled backup")
            assert backups_of(b_path) == []

            federation.kill(COUNTY)  # A dies without releasing its lease
            later = desk_b.submit("GJ-0001", "丙", "430981199001011237", "", complete_proto("GJ-0001")).id
            city.wait_for(
                lambda d: any(c.id == later for c in d.list_cases(role="handler")), 60, "B taking over"
            )
            assert len(city.list_cases(role="handler")) == 11
            wait_for(  # an INFO line: written out within a node's log flush interval
                lambda: "now runs the links" in (b_path.parent / "node.log").read_text(encoding="utf-8"),
                what="B's log saying it took over",
            )
            assert city.describe().quarantined == 0
            wait_for(lambda: backups_of(b_path), what="B backing the database up once it runs the links")
            desk_b.close()
        finally:
            if standby is not None:
                standby.terminate()
                standby.wait(timeout=20)
            federation.stop()
            time.sleep(0.5)  # let the database's last connections go before it is dropped
