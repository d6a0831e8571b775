"""Fault scenarios on real node processes, each returning the figures it measured.

Run small from the test suite (tests/test_faults.py) and large from the command line
(`python -m tests.faults`), which prints the figures quoted in the README.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import grpc
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from node.cases import eventlog
from node.cases.applicants import with_check_character
from node.cases.states import Action
from node.config import NodeConfig
from node.desk.client import DeskClient
from node.runtime.cluster import ProcessFederation
from node.timeutil import CLOCK_OFFSET_ENV
from tests.faults.proxy import Faults, FaultyProxy
from tests.materials import complete_proto
from wuji.v1 import case_pb2

PROVINCE, CITY, COUNTY = "430000000000", "430900000000", "430981000000"
TOWNSHIPS = ("430981006000", "430981008000")
VILLAGES = ("430981006001", "430981006002", "430981008201")
TOPOLOGY = (
    (PROVINCE, "湖南省"),
    (CITY, "益阳市"),
    (COUNTY, "沅江市"),
    (TOWNSHIPS[0], "乡镇甲"),
    (TOWNSHIPS[1], "乡镇乙"),
    *((code, f"村{i + 1}") for i, code in enumerate(VILLAGES)),
)
HANDLERS = (CITY, COUNTY, *TOWNSHIPS)
ITEMS = ("MZ-0001", "MZ-0003", "GJ-0001")  # county, township, city
NEXT_STEP = {
    case_pb2.SUBMITTED: Action.ACCEPT,
    case_pb2.ACCEPTED: Action.REVIEW,
    case_pb2.UNDER_REVIEW: Action.APPROVE,
}


@dataclass
class Audit:
    """What the databases say once everything has settled."""

    cases: int = 0
    lost: int = 0  # applied somewhere but missing at its handler, or not concluded where applied
    duplicated: int = 0  # the same case or event recorded twice at a node
    out_of_order: int = 0  # a copy whose events are not versions 1, 2, 3, … in log order
    broken_chains: int = 0  # nodes whose hash-chained event log does not verify
    details: list[str] = field(default_factory=list)


@dataclass
class Figures:
    scenario: str
    cases: int
    seconds: float
    audit: Audit
    notes: dict[str, float | int | str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        a = self.audit
        text = [
            f"{self.scenario}: {self.cases} cases in {self.seconds:.1f}s — lost {a.lost}, "
            f"duplicated {a.duplicated}, out of order {a.out_of_order}, broken chains {a.broken_chains}"
        ]
        text += [f"  {key}: {value}" for key, value in self.notes.items()]
        return text + [f"  ! {detail}" for detail in a.details[:10]]


DatabaseFor = Callable[[str], str]  # node code → database URL (None: a SQLite file per node)


class Cluster:
    """The eight-node federation of the fault scenarios, with a proxy in front of chosen parents."""

    def __init__(
        self, folder: Path, proxied_children: tuple[str, ...] = (), database_for: DatabaseFor | None = None
    ) -> None:
        self.federation = ProcessFederation(
            folder, TOPOLOGY, heartbeat_seconds=1.0, reconnect_cap_seconds=0.5, database_for=database_for
        )
        self._readers: dict[str, Engine] = {}
        self.proxies: dict[str, FaultyProxy] = {}
        for child in proxied_children:
            parent_host, parent_port = self.federation.addresses[_parent(child)].rsplit(":", 1)
            proxy = FaultyProxy(parent_host, int(parent_port), Faults())
            self.proxies[child] = proxy
            self.federation.dial_parent_through(child, proxy.address)

    def start(self) -> None:
        for code, name in TOPOLOGY:
            self.federation.start(code)
            if code in HANDLERS:
                self.desk(code).create_seal(name, "政务服务中心", "公章")
        for village in VILLAGES:
            self.desk(village).wait_for(lambda d: d.describe().catalog_version, 60, "the catalogue")

    def desk(self, code: str) -> DeskClient:
        return self.federation.desk(code)

    def stop(self) -> None:
        self.federation.stop()
        for proxy in self.proxies.values():
            proxy.stop()

    def reader(self, code: str) -> Engine:
        """Read access to a node's database (SQLite opened read-only, so nothing is written to it)."""
        if code not in self._readers:
            path = self.federation.paths[code]
            url = NodeConfig.load(path).database_url_for(path)
            if url.startswith("sqlite:///"):
                file = url.removeprefix("sqlite:///")
                self._readers[code] = create_engine(
                    "sqlite://",
                    creator=lambda: sqlite3.connect(f"file:{file}?mode=ro", uri=True, timeout=30),
                    poolclass=NullPool,
                )
            else:
                self._readers[code] = create_engine(url, poolclass=NullPool)
        return self._readers[code]


def _parent(code: str) -> str:
    from wuji.divisions import DivisionCode

    parent = DivisionCode.parse(code).parent
    assert parent is not None
    return parent.value


def born(serial: int) -> str:
    """A birth date (YYYYMMDD) for the serial-th applicant: a day of its own in 1960 … 2000."""
    return (date(1960, 1, 1) + timedelta(days=serial % 14600)).strftime("%Y%m%d")


def submit_cases(
    cluster: Cluster, count: int, rng: random.Random, villages: tuple[str, ...] = VILLAGES
) -> int:
    """Submit count cases round the villages; a refused call (node down) is retried elsewhere."""
    done = 0
    attempts = 0
    while done < count and attempts < count * 20:
        attempts += 1
        village = villages[done % len(villages)]
        try:
            item = rng.choice(ITEMS)
            name, id_number = f"申请人{done:05d}", with_check_character(f"430981{born(done)}001")
            cluster.desk(village).submit(item, name, id_number, "", complete_proto(item))
            done += 1
        except grpc.RpcError:
            time.sleep(0.05)
    return done


class Clerks:
    """Window clerks at every handler: take each case one step further until it is concluded."""

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._work, name="clerks", daemon=True)

    def __enter__(self) -> Clerks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._thread.join(30)

    def _work(self) -> None:
        while not self._stopped.is_set():
            busy = False
            for handler in HANDLERS:
                try:
                    desk = self._cluster.desk(handler)
                    for case in desk.list_cases(role="handler", limit=1000):
                        action = NEXT_STEP.get(case.state)
                        if action is not None:
                            desk.act(case.id, action, "faults")
                            busy = True
                except grpc.RpcError:
                    continue  # the node is down or restarting: come back later
            if not busy:
                self._stopped.wait(0.2)


def wait_until_settled(cluster: Cluster, expected: int, timeout: float) -> float:
    """Wait until every village sees all its cases concluded; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        concluded = sum(_count(cluster.reader(v), "state = 'CONCLUDED'") for v in VILLAGES)
        if concluded >= expected:
            break
        time.sleep(0.5)
    return time.monotonic() - started


def _count(database: Engine, where: str) -> int:
    with database.connect() as db:
        return db.execute(text(f'SELECT count(*) FROM "case" WHERE {where}')).scalar_one()


def audit(cluster: Cluster) -> Audit:
    """Read every node's database (nodes stopped) and count what was lost, repeated or misordered."""
    result = Audit()
    copies: dict[str, dict[str, tuple[str, str]]] = {}
    for code, _ in TOPOLOGY:
        database = cluster.reader(code)
        with database.connect() as db:
            sqlite = database.dialect.name == "sqlite"
            if sqlite and db.execute(text("PRAGMA integrity_check")).scalar_one() != "ok":
                result.details.append(f"{code}: SQLite integrity check failed")
                result.broken_chains += 1
            copies[code] = {
                row[0]: (row[1], row[2]) for row in db.execute(text('SELECT id, origin, state FROM "case"'))
            }
            events = db.execute(text("SELECT case_id, version FROM case_event ORDER BY seq")).all()
            seen: dict[str, list[int]] = {}
            for case_id, version in events:
                seen.setdefault(case_id, []).append(version)
            for case_id, versions in seen.items():
                if len(versions) != len(set(versions)):
                    result.duplicated += 1
                    result.details.append(f"{code}: case {case_id} has repeated versions {versions}")
                if versions != list(range(1, len(versions) + 1)):
                    result.out_of_order += 1
                    result.details.append(f"{code}: case {case_id} versions in log order {versions}")
        with Session(database) as session:
            chain = eventlog.verify(session)
            if not chain.intact:
                result.broken_chains += 1
                result.details.append(f"{code}: event hash chain broken at entry {chain.first_broken_seq}")
    for village in VILLAGES:
        for case_id, (origin, state) in copies[village].items():
            if origin != village:
                continue
            result.cases += 1
            at_handler = [code for code in HANDLERS if case_id in copies[code]]
            if len(at_handler) != 1:
                result.lost += not at_handler
                result.duplicated += len(at_handler) > 1
                result.details.append(f"case {case_id} held by handlers {at_handler}")
            if state != "CONCLUDED":
                result.lost += 1
                result.details.append(f"case {case_id} is {state} at {village}")
    return result


# -- the scenarios ----------------------------------------------------------------------------


def sigkill_rounds(
    folder: Path, cases: int, rounds: int, seed: int = 1, database_for: DatabaseFor | None = None
) -> Figures:
    """Kill random nodes of random tiers at random moments while cases flow up and results down."""
    rng = random.Random(seed)
    cluster = Cluster(folder, database_for=database_for)
    kills: list[str] = []
    restart_failures: list[str] = []
    try:
        cluster.start()
        started = time.monotonic()
        stop_killing = threading.Event()

        def killer() -> None:
            for _ in range(rounds):
                if stop_killing.wait(rng.uniform(0.5, 2.0)):
                    return
                victim = rng.choice([code for code, _ in TOPOLOGY])
                kills.append(victim)
                cluster.federation.kill(victim)
                time.sleep(rng.uniform(0.0, 1.0))
                try:
                    cluster.federation.start(victim)
                except TimeoutError as error:  # reported in the figures; the audit will show the cost
                    restart_failures.append(f"{victim}: {error}")

        with Clerks(cluster):
            thread = threading.Thread(target=killer, daemon=True)
            thread.start()
            submitted = submit_cases(cluster, cases, rng)
            thread.join()
            stop_killing.set()
            settle = wait_until_settled(cluster, submitted, timeout=120 + cases * 0.2)
        elapsed = time.monotonic() - started
    finally:
        cluster.stop()
    figures = Figures("SIGKILL rounds", submitted, elapsed, audit(cluster))
    figures.notes = {
        "kills": len(kills),
        "killed nodes": ", ".join(sorted(set(kills))),
        "seconds to settle after the last kill": round(settle, 1),
        "restarts that failed": "; ".join(restart_failures) or "none",
    }
    return figures


def village_cut_off(folder: Path, cases: int, database_for: DatabaseFor | None = None) -> Figures:
    """A village loses its link while it accepts cases; then the link heals and the backlog drains."""
    village = VILLAGES[0]
    cluster = Cluster(folder, proxied_children=(village,), database_for=database_for)
    try:
        cluster.start()
        proxy = cluster.proxies[village]
        proxy.cut()
        rng = random.Random(2)
        started = time.monotonic()
        submitted = submit_cases(cluster, cases, rng, villages=(village,))
        accept_seconds = time.monotonic() - started
        with Clerks(cluster):
            healed = time.monotonic()
            proxy.heal()
            drain = _wait(lambda: _arrived(cluster, village) >= submitted, 60 + cases * 0.1)
            wait_until_settled(cluster, submitted, timeout=60 + cases * 0.1)
        drain_seconds = drain - healed if drain else float("nan")
        elapsed = time.monotonic() - started
    finally:
        cluster.stop()
    figures = Figures("village cut off", submitted, elapsed, audit(cluster))
    figures.notes = {
        "accepted while cut off (cases/s)": round(submitted / accept_seconds, 1),
        "time to drain after healing (s)": round(drain_seconds, 2),
    }
    return figures


def lossy_link(
    folder: Path,
    cases: int,
    drop_rate: float = 0.2,
    delay: float = 0.2,
    database_for: DatabaseFor | None = None,
) -> Figures:
    """Every link below the county drops chunks (20%) and adds delay (200 ms) in both directions."""
    children = (*TOWNSHIPS, *VILLAGES)
    cluster = Cluster(folder, proxied_children=children, database_for=database_for)
    try:
        cluster.start()
        for proxy in cluster.proxies.values():
            proxy.faults.drop_rate, proxy.faults.delay_seconds = drop_rate, delay
        started = time.monotonic()
        with Clerks(cluster):
            submitted = submit_cases(cluster, cases, random.Random(3))
            # every hop below the county breaks hundreds of times and each reconnect backs off: on a
            # busy 2-core machine 20 cases once took over 140 s to settle (and 83 s when alone)
            wait_until_settled(cluster, submitted, timeout=240 + cases * 3.0)
        elapsed = time.monotonic() - started
        dropped = sum(p.dropped for p in cluster.proxies.values())
        reconnects = sum(p.accepted for p in cluster.proxies.values())
    finally:
        cluster.stop()
    figures = Figures(
        f"lossy links ({drop_rate:.0%} drop, {delay * 1000:.0f} ms delay)", submitted, elapsed, audit(cluster)
    )
    figures.notes = {"chunks dropped (connections broken)": dropped, "connections made": reconnects}
    return figures


def _arrived(cluster: Cluster, village: str) -> int:
    with cluster.reader(village).connect() as db:
        query = text('SELECT id FROM "case" WHERE origin = :village')
        ids = set(db.execute(query, {"village": village}).scalars())
    found = 0
    for handler in HANDLERS:
        with cluster.reader(handler).connect() as db:
            found += sum(
                1 for case_id in db.execute(text('SELECT id FROM "case"')).scalars() if case_id in ids
            )
    return found


def _wait(probe: Callable[[], bool], timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return time.monotonic()
        time.sleep(0.2)
    return None


def sigterm_restart(folder: Path, cases: int, database_for: DatabaseFor | None = None) -> Figures:
    """SIGTERM a township while cases flow through it: it finishes, exits 0, restarts, loses nothing."""
    township = TOWNSHIPS[0]
    cluster = Cluster(folder, database_for=database_for)
    try:
        cluster.start()
        started = time.monotonic()
        rng = random.Random(4)
        with Clerks(cluster):
            submitted = submit_cases(cluster, cases // 2, rng)
            exit_code = cluster.federation.terminate(township)
            submitted += submit_cases(cluster, cases - cases // 2, rng)  # its villages keep accepting
            cluster.federation.start(township)
            wait_until_settled(cluster, submitted, timeout=120 + cases * 0.2)
        elapsed = time.monotonic() - started
    finally:
        cluster.stop()
    log = (folder / township / "node.log").read_text(encoding="utf-8")
    figures = Figures("SIGTERM and restart", submitted, elapsed, audit(cluster))
    figures.notes = {"exit code": exit_code, "stopped cleanly": int(f"node {township} stopped" in log)}
    return figures


def advanced_clock(folder: Path, days: int, database_for: DatabaseFor | None = None) -> datetime:
    """Run the county with its clock `days` ahead; returns when the village saw it accept a case."""
    cluster = Cluster(folder, database_for=database_for)
    cluster.federation.extra_env[COUNTY] = {CLOCK_OFFSET_ENV: str(days * 86400)}
    try:
        cluster.start()
        village, county = cluster.desk(VILLAGES[0]), cluster.desk(COUNTY)
        case = village.submit("MZ-0001", "钟表", "430981199001011237", "", complete_proto("MZ-0001"))
        county.wait_for(lambda d: d.get(case.id), 30, "the case at the county")
        county.act(case.id, Action.ACCEPT)
        seen = village.wait_for(lambda d: (c := d.get(case.id)).state == case_pb2.ACCEPTED and c, 30, "受理")
        return seen.events[-1].at.ToDatetime(tzinfo=UTC)
    finally:
        cluster.stop()
