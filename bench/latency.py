"""Village → county latency on a federation deployed as it runs for real: one process per node.

The in-process federation of bench/measure.py puts five nodes in one interpreter, so each hop's
work waits for the others' (the village's ack, the township's relay and the county's apply take
turns holding the GIL). Here each node is its own `wuji node run` process with its log, a 代办员
submits at the village's desk over mTLS as the web page does, and the bench reads the county's
database file until the case is there: the time a citizen's case takes to reach its handler.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.measure import CITY, COUNTY, COUNTY_ITEM, PROVINCE, TOWNSHIP, VILLAGE, percentile
from node.config import NodeConfig
from node.runtime.cluster import ProcessFederation
from node.runtime.demo import complete_materials

CHAIN = (
    (PROVINCE, "湖南省"),
    (CITY, "益阳市"),
    (COUNTY, "沅江市"),
    (TOWNSHIP, "琼湖街道"),
    (VILLAGE, "韩家汊社区"),
)
WARM_UP = 20  # first cases open connections and fill caches; not counted
POLL_SECONDS = 0.0005
APPLICANT_ID = "430981199001011237"


@dataclass
class ProcessLatency:
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def measure(samples: int) -> ProcessLatency:
    with tempfile.TemporaryDirectory(prefix="wuji-bench-latency-") as name:
        federation = ProcessFederation(Path(name), CHAIN)
        try:
            for code, _ in CHAIN:
                federation.start(code)
            village = federation.clients[VILLAGE]
            village.wait_for(lambda d: d.describe().catalog_version > 0, 60, "the catalogue at the village")
            village.add_staff("agent1", "代办员1", "agent", "", "bench password, not a secret")
            agent = village.with_token(village.login("agent1", "bench password, not a secret").token)
            materials = complete_materials(agent, COUNTY_ITEM)
            county_file = NodeConfig.load(federation.paths[COUNTY]).database_url_for(federation.paths[COUNTY])
            county = sqlite3.connect(f"file:{county_file.removeprefix('sqlite:///')}?mode=ro", uri=True)
            try:
                latencies = []
                for i in range(WARM_UP + samples):
                    started = time.perf_counter()
                    case = agent.submit(COUNTY_ITEM, f"时延{i:04d}", APPLICANT_ID, materials=materials)
                    _wait_for_case(county, case.id)
                    if i >= WARM_UP:
                        latencies.append(time.perf_counter() - started)
            finally:
                county.close()
        finally:
            federation.stop()
    return ProcessLatency(
        samples=len(latencies),
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=max(latencies) * 1000,
    )


def _wait_for_case(county: sqlite3.Connection, case_id: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while county.execute('SELECT 1 FROM "case" WHERE id = ?', (case_id,)).fetchone() is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"case {case_id} did not reach the county within {timeout:.0f} s")
        time.sleep(POLL_SECONDS)
