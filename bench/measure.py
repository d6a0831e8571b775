"""wuji's own figures, on real in-process nodes (mTLS, SQLite WAL) on loopback."""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from node.cases.materials import Material
from node.cases.service import Applicant
from node.runtime.cluster import InProcessFederation
from node.runtime.node import Node
from node.store.models import Case, ServiceItem
from signing.algorithms import Algorithm
from signing.seals import verify as verify_sealed
from signing.trust import TrustStore
from sync.tables import OutboxEntry

PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE = (
    "430000000000",
    "430900000000",
    "430981000000",
    "430981006000",
    "430981006001",
)
TOWNSHIP_ITEM, COUNTY_ITEM = "MZ-0003", "MZ-0001"


@dataclass
class WujiFigures:
    envelope_bytes: int
    hop_cases_per_s: float  # one durable hop: village → township (handler), catching up after a reconnect
    two_link_cases_per_s: float  # village → township → county (handler), after a reconnect
    catch_up_cases: int  # queued at the village while the township was away
    catch_up_seconds: float  # from the township's restart until it holds them all
    queue_cases_per_s: float  # cases submitted at the village while cut off (one transaction each)
    latency_p50_ms: float
    latency_p99_ms: float
    seals_per_s: float  # P-256 seals with the province's time-stamp token (asked over two hops)
    seal_verifications_per_s: float  # signature, token, chain and tier rules, seal, digest
    sm2_seals_per_s: float  # the same with an SM2 seal, its GB/T 38540 SES_Signature included
    sm2_seal_verifications_per_s: float  # both signatures, both tokens, the SM2 chain


def _count_cases(node: Node) -> int:
    with node.readers() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def required_materials(node: Node, item_code: str) -> list[Material]:
    """A small file for each required material of the item, as a window takes them."""
    with node.readers() as session:
        item = session.get(ServiceItem, item_code)
        listed = list(item.materials) if item is not None else []
    return [
        Material(str(m["name"]), f"{m['name']} (scan)".encode(), file_name=f"{m['name']}.pdf")
        for m in listed
        if m.get("required", True)
    ]


def _queue_while_parent_down(federation: InProcessFederation, item: str, count: int) -> None:
    village = federation.nodes[VILLAGE]
    materials = required_materials(village, item)
    for i in range(count):
        village.cases.submit(item, Applicant(f"压测{i:06d}", "430981199001011237"), materials)


def _drain_rate(federation: InProcessFederation, handler: str, expected: int, timeout: float) -> float:
    """Restart the township and time until the handler holds expected cases; seconds."""
    started = time.perf_counter()
    federation.start(TOWNSHIP)
    node = federation.nodes[handler]
    while _count_cases(node) < expected:
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"{handler} holds {_count_cases(node)} of {expected} cases after {timeout}s")
        time.sleep(0.05)
    return time.perf_counter() - started


def measure(cases: int, latency_samples: int, seal_count: int, catch_up: int) -> WujiFigures:
    with tempfile.TemporaryDirectory(prefix="wuji-bench-") as folder:
        federation = InProcessFederation(Path(folder), b"bench passphrase, not a secret")
        try:
            for code in (PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE):
                federation.start(code)
            village = federation.nodes[VILLAGE]
            _wait(lambda: village.describe().catalog_version > 0, 30)

            # one durable hop: the catch-up of cases queued at the village while the township was away
            federation.stop(TOWNSHIP)
            started = time.perf_counter()
            _queue_while_parent_down(federation, TOWNSHIP_ITEM, catch_up)
            queue_rate = catch_up / (time.perf_counter() - started)
            with village.readers() as session:
                envelope_bytes = len(session.scalars(select(OutboxEntry.envelope).limit(1)).one())
            hop_seconds = _drain_rate(federation, TOWNSHIP, catch_up, timeout=1200)

            # two links: village → township → county
            federation.stop(TOWNSHIP)
            before = _count_cases(federation.nodes[COUNTY])
            _queue_while_parent_down(federation, COUNTY_ITEM, cases)
            two_link_seconds = _drain_rate(federation, COUNTY, before + cases, timeout=600)

            latencies = _latencies(village, federation.nodes[COUNTY], latency_samples)
            county = federation.nodes[COUNTY]
            seals, verifications = _seal_rates(county, seal_count, Algorithm.ECDSA_P256_SHA256)
            sm2_seals, sm2_verifications = _seal_rates(county, seal_count, Algorithm.SM2_SM3)
        finally:
            federation.stop_all()
    return WujiFigures(
        envelope_bytes=envelope_bytes,
        hop_cases_per_s=catch_up / hop_seconds,
        two_link_cases_per_s=cases / two_link_seconds,
        catch_up_cases=catch_up,
        catch_up_seconds=hop_seconds,
        queue_cases_per_s=queue_rate,
        latency_p50_ms=statistics.median(latencies) * 1000,
        latency_p99_ms=_percentile(latencies, 0.99) * 1000,
        seals_per_s=seals,
        seal_verifications_per_s=verifications,
        sm2_seals_per_s=sm2_seals,
        sm2_seal_verifications_per_s=sm2_verifications,
    )


def _latencies(village: Node, county: Node, samples: int) -> list[float]:
    """Submit at the village, one at a time, and time until the county has stored the case."""
    latencies = []
    materials = required_materials(village, COUNTY_ITEM)
    for i in range(samples):
        started = time.perf_counter()
        case = village.cases.submit(COUNTY_ITEM, Applicant(f"时延{i:04d}", "430981199001011237"), materials)
        while True:
            with county.readers() as session:
                if session.get(Case, case.id) is not None:
                    break
            time.sleep(0.0005)
        latencies.append(time.perf_counter() - started)
    return latencies


def _seal_rates(county: Node, count: int, algorithm: Algorithm) -> tuple[float, float]:
    """(seals made/s, verified/s) as a county concludes cases: each with its time-stamp token."""
    department = f"压测 {algorithm.value}"
    with county.sessions.begin() as session:
        county.seals.create(session, f"沅江市{department}", department, "业务专用章", algorithm=algorithm)
        seal = county.seals.seal_for(session, department)
    assert seal is not None and seal.algorithm is algorithm
    document = ("{" + '"result": "准予", ' * 20 + '"end": 1}').encode()
    stamp = county.timestamping.stamp
    started = time.perf_counter()
    sealed = [seal.apply(document, timestamp=stamp).to_bytes() for _ in range(count)]
    seal_rate = count / (time.perf_counter() - started)
    trust = TrustStore(county.identity.roots)
    started = time.perf_counter()
    for data in sealed:
        if not verify_sealed(data, trust).valid:
            raise AssertionError("a sealed document did not verify")
    return seal_rate, count / (time.perf_counter() - started)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _wait(probe: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not probe():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("the federation did not come up")
        time.sleep(0.05)
