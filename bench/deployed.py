"""A federation deployed as it runs for real, one `wuji node run` process per node: the village →
county latency and the village → township hop.

The in-process federation of bench/measure.py puts five nodes in one interpreter, so each hop's
work waits for the others' (the village's ack, the township's relay and the county's apply take
turns holding the GIL). Here each node is its own process with its log, a 代办员 submits at the
village's desk over mTLS as the web page does, and the bench reads the handler's database file
(read-only, from its own process) until the cases are there.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.measure import CITY, COUNTY, COUNTY_ITEM, PROVINCE, TOWNSHIP, TOWNSHIP_ITEM, VILLAGE, percentile
from node.config import NodeConfig
from node.desk.client import DeskClient
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
HOP_POLL_SECONDS = 0.005  # a count of the township's cases: well under a millisecond, from another process
SUBMITTERS = 2  # desk calls in flight while the hop's cases are queued (the village's writes serialise)
APPLICANT_ID = "430981199001011237"
PASSWORD = "bench password, not a secret"


@dataclass
class ProcessLatency:
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class ProcessHop:
    cases: int  # queued at the village's desk while the township was stopped
    cases_per_s: float  # from the first case stored at the township until the last


@dataclass
class Deployed:
    latency: ProcessLatency
    hop: ProcessHop


def measure(samples: int, hop_cases: int) -> Deployed:
    with tempfile.TemporaryDirectory(prefix="wuji-bench-deployed-") as name:
        folder = Path(name)
        with _running(folder) as (federation, agent):
            latency = _latency(federation, agent, samples)
            hop = _hop(federation, agent, hop_cases)
    return Deployed(latency, hop)


@contextmanager
def _running(folder: Path) -> Iterator[tuple[ProcessFederation, DeskClient]]:
    """The chain's processes, and a 代办员's session at the village's desk."""
    federation = ProcessFederation(folder, CHAIN)
    try:
        for code, _ in CHAIN:
            federation.start(code)
        village = federation.clients[VILLAGE]
        village.wait_for(lambda d: d.describe().catalog_version > 0, 60, "the catalogue at the village")
        village.add_staff("agent1", "代办员1", "agent", "", PASSWORD)
        yield federation, village.with_token(village.login("agent1", PASSWORD).token)
    finally:
        federation.stop()


def _database(federation: ProcessFederation, code: str) -> sqlite3.Connection:
    """The node's SQLite file, read-only, from this process."""
    path = federation.paths[code]
    url = NodeConfig.load(path).database_url_for(path)
    return sqlite3.connect(f"file:{url.removeprefix('sqlite:///')}?mode=ro", uri=True)


def _latency(federation: ProcessFederation, agent: DeskClient, samples: int) -> ProcessLatency:
    materials = complete_materials(agent, COUNTY_ITEM)
    latencies = []
    with closing(_database(federation, COUNTY)) as county:
        for i in range(WARM_UP + samples):
            started = time.perf_counter()
            case = agent.submit(COUNTY_ITEM, f"时延{i:04d}", APPLICANT_ID, materials=materials)
            _wait_for_case(county, case.id)
            if i >= WARM_UP:
                latencies.append(time.perf_counter() - started)
    return ProcessLatency(
        samples=len(latencies),
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=max(latencies) * 1000,
    )


def _hop(federation: ProcessFederation, agent: DeskClient, cases: int) -> ProcessHop:
    """Stop the township, queue `cases` at the village's desk, start the township again and time
    its catch-up from the first case it stores to the last (its start-up is not the hop)."""
    federation.terminate(TOWNSHIP)
    with closing(_database(federation, TOWNSHIP)) as township:
        held_before = _count(township)
    _queue(agent, cases)
    # watched from before the start: the catch-up may be over by the time the node's desk answers
    watch = _CatchUp(lambda: _database(federation, TOWNSHIP), held_before, held_before + cases)
    watch.start()
    federation.start(TOWNSHIP)
    watch.join()
    if watch.failure is not None:
        raise watch.failure
    return ProcessHop(cases=cases, cases_per_s=watch.rate())


class _CatchUp(threading.Thread):
    """Counts the cases in a node's database file every HOP_POLL_SECONDS until `expected`, noting
    when (and at how many) the first new one was seen, and when the last."""

    def __init__(self, database: Callable[[], sqlite3.Connection], held: int, expected: int) -> None:
        super().__init__(name="bench catch-up watch", daemon=True)
        self._database, self._held, self._expected = database, held, expected
        self.first: tuple[float, int] | None = None
        self.finished = 0.0
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            with closing(self._database()) as township:
                deadline = time.monotonic() + 300
                while (count := _count(township)) < self._expected:
                    if count > self._held and self.first is None:
                        self.first = (time.perf_counter(), count)
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{count} of {self._expected} cases at the township after 5 min")
                    time.sleep(HOP_POLL_SECONDS)
                self.finished = time.perf_counter()
        except BaseException as error:  # reported by the bench's thread
            self.failure = error

    def rate(self) -> float:
        if self.first is None:
            raise RuntimeError("the catch-up ended between two looks: queue more cases to time it")
        seen_at, held_then = self.first
        return (self._expected - held_then) / (self.finished - seen_at)


def _queue(agent: DeskClient, cases: int) -> None:
    """Submit `cases` for the township's item at the village's desk, SUBMITTERS calls in flight."""
    materials = complete_materials(agent, TOWNSHIP_ITEM)
    failures: list[BaseException] = []

    def submit(first: int) -> None:
        try:
            for i in range(first, cases, SUBMITTERS):
                agent.submit(TOWNSHIP_ITEM, f"压测{i:06d}", APPLICANT_ID, materials=materials)
        except BaseException as error:  # reported below, in the bench's thread
            failures.append(error)

    threads = [threading.Thread(target=submit, args=(first,)) for first in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def _wait_for_case(county: sqlite3.Connection, case_id: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while county.execute('SELECT 1 FROM "case" WHERE id = ?', (case_id,)).fetchone() is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"case {case_id} did not reach the county within {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def _count(database: sqlite3.Connection) -> int:
    return int(database.execute('SELECT count(*) FROM "case"').fetchone()[0])
