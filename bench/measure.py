"""wuji's own figures, on real in-process nodes (mTLS, SQLite WAL or PostgreSQL) on loopback.

The nodes log as a node in production does (a JSON line per arriving case, to a file), and every
case carries the item's required materials, as a window must take them.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography.hazmat.primitives import serialization
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from bench.raw import Tls
from bench.rawdb import CaseRows, fresh_database, read_case_rows
from node.cases.materials import Material
from node.cases.service import Applicant
from node.logs import BufferedLogHandler, JsonLogFormatter, buffered_file
from node.runtime.cluster import InProcessFederation
from node.runtime.node import Node
from node.store.engine import checkpoint_wal
from node.store.models import Case, ServiceItem
from node.trust.certificates import known_crls
from node.trust.identity import pem_bundle
from signing.algorithms import Algorithm
from signing.seals import SealedDocument
from signing.seals import verify as verify_sealed
from signing.sm2x509 import SM2PrivateKey
from signing.trust import TrustStore
from sync import inbox
from sync.link import LinkSettings
from sync.tables import OutboxEntry
from sync.transport import tls_server_name

PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE = (
    "430000000000",
    "430900000000",
    "430981000000",
    "430981006000",
    "430981006001",
)
TOWNSHIP_ITEM, COUNTY_ITEM = "MZ-0003", "MZ-0001"
SCAN_BYTES = 64 * 1024  # a material of the case mix "with materials": a page scanned as a small PDF


@dataclass(frozen=True)
class Sizes:
    two_link_cases: int
    latency_samples: int
    seals: int
    catch_up: int  # cases queued for the one-hop catch-up
    with_materials: int  # cases of the mix carrying scanned materials


@dataclass
class WujiFigures:
    database: str  # sqlite | postgresql: where the handler of the hop keeps its rows
    envelope_bytes: int
    link_batch: int  # envelopes per frame and per receiving transaction
    # one durable hop: village → township (handler), catching up from the moment the link is up again
    hop_cases_per_s: float
    rows_per_case: float  # rows the handler writes per arriving case
    two_link_cases_per_s: float  # village → township → county (handler), after a reconnect
    catch_up_cases: int  # queued at the village while the township was away
    catch_up_seconds: float  # from the township's restart until it holds them all
    queue_cases_per_s: float  # cases submitted at the village while cut off (QUEUE_BATCH per transaction)
    materials_cases: int  # the mix with scanned materials
    materials_envelope_bytes: int
    materials_cases_per_s: float
    latency_samples: int
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    seals_per_s: float  # P-256 seals with the province's time-stamp token (asked over two hops)
    # signature, token, chain and tier rules, seal, digest; one trust store, again and again
    seal_verifications_per_s: float
    # as a node checks received results it never saw: the store for the database's anchors and CRLs
    # per document, in the link's batch transaction
    seal_checks_as_node_per_s: float
    seal_checks_session_each_per_s: float  # the same with a database session per document
    # at the applicant's point: each result with the handler's revocation list issued after it, the
    # list checked and kept (its signature too), then the result, in the link's batch transaction
    seal_checks_with_lists_per_s: float
    sm2_seals_per_s: float  # the same with an SM2 seal, its GB/T 38540 SES_Signature included
    sm2_seal_verifications_per_s: float  # both signatures, both tokens, the SM2 seal tree's chain


@dataclass
class Measured:
    figures: WujiFigures
    tls: Tls  # the township's server credentials and the village's channel credentials
    hop_rows: CaseRows  # what the township wrote for the hop's cases, for the raw database baseline
    materials_envelope: bytes


def _count_cases(node: Node) -> int:
    with node.readers() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def required_materials(node: Node, item_code: str, size: int = 0) -> list[Material]:
    """A file for each required material of the item, as a window takes them (size 0: a few bytes)."""
    with node.readers() as session:
        item = session.get(ServiceItem, item_code)
        listed = list(item.materials) if item is not None else []
    return [
        Material(str(m["name"]), _scan(str(m["name"]), size), file_name=f"{m['name']}.pdf")
        for m in listed
        if m.get("required", True)
    ]


def _scan(name: str, size: int) -> bytes:
    head = f"%PDF-1.4 {name} (scan)".encode()
    return head + bytes(i % 251 for i in range(max(0, size - len(head))))


def _queue_while_parent_down(
    federation: InProcessFederation, item: str, count: int, materials: list[Material] | None = None
) -> None:
    """Submit count cases at the village, QUEUE_BATCH to a transaction (the queue is not what is
    measured, and one transaction per case made filling 100,000 take most of a full run)."""
    village = federation.nodes[VILLAGE]
    materials = materials if materials is not None else required_materials(village, item)
    for first in range(0, count, QUEUE_BATCH):
        with village.sessions.begin() as session:
            for i in range(first, min(count, first + QUEUE_BATCH)):
                village.cases.submit_in(
                    session, item, Applicant(f"压测{i:06d}", "430981199001011237"), materials
                )


QUEUE_BATCH = 100


def _drain_rate(
    federation: InProcessFederation, handler: str, sender: str, expected: int, timeout: float
) -> tuple[float, float]:
    """Restart the township; (seconds from its restart until the handler holds expected cases,
    cases/s from the village's link coming up until then: the hop without the node's start-up).

    sender: the handler's child the cases arrive from, one envelope each. Until as many envelopes
    came from it as cases are awaited, the bench reads only that link's inbox cursor (an index
    lookup); counting the case table after every commit took a tenth of the time the nodes, in
    this same process, had for the hop.
    """
    started = time.perf_counter()
    federation.start(TOWNSHIP)
    node = federation.nodes[handler]
    link = federation.nodes[VILLAGE].links.get(TOWNSHIP, "parent")
    while not link.connected:
        _check_timeout(started, timeout, node, expected)
        time.sleep(0.002)
    linked = time.perf_counter()
    held_then = _count_cases(node)
    arrived_by = _received_from(node, sender) + expected - held_then
    with _commits(node) as committed:
        while _received_from(node, sender) < arrived_by or _count_cases(node) < expected:
            _check_timeout(started, timeout, node, expected)
            committed.wait(0.05)
            committed.clear()
    finished = time.perf_counter()
    return finished - started, (expected - held_then) / (finished - linked)


def _received_from(node: Node, sender: str) -> int:
    with node.readers() as session:
        return inbox.received_seq(session, sender)


@contextmanager
def _commits(node: Node) -> Iterator[threading.Event]:
    """An event set at each of the node's commits: the bench counts a node's cases after its
    commits rather than polling a growing table in the process the nodes run in."""
    committed = threading.Event()

    def signal(session: Session) -> None:
        committed.set()

    event.listen(node.sessions, "after_commit", signal)
    try:
        yield committed
    finally:
        event.remove(node.sessions, "after_commit", signal)


def _check_timeout(started: float, timeout: float, node: Node, expected: int) -> None:
    if time.perf_counter() - started > timeout:
        raise TimeoutError(f"{node.here} holds {_count_cases(node)} of {expected} cases after {timeout}s")


@contextmanager
def production_logging(folder: Path) -> Iterator[None]:
    """INFO records as JSON lines to a file, as `wuji node run --log-format json` writes them."""
    handler = BufferedLogHandler(buffered_file(folder / "nodes.log"))
    handler.setFormatter(JsonLogFormatter("bench"))
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        handler.close()
        handler.stream.close()


def measure(sizes: Sizes, database_url: str = "") -> Measured:
    """database_url: a PostgreSQL server for the township (the hop's handler); default SQLite files."""
    with tempfile.TemporaryDirectory(prefix="wuji-bench-") as name, ExitStack() as stack:
        folder = Path(name)
        stack.enter_context(production_logging(folder))
        township_url = stack.enter_context(fresh_database(database_url, folder, "township"))
        federation = InProcessFederation(folder, b"bench passphrase, not a secret")
        try:
            # the province seals with SM2 (its SM2 seal tree beside the P-256 link tree), so SM2
            # seals are measured as an SM2 province makes them; P-256 seals are asked for by name
            federation.start(PROVINCE, seal_algorithm="sm2")
            for code in (CITY, COUNTY):
                federation.start(code)
            federation.start(TOWNSHIP, database_url=township_url)
            village = federation.start(VILLAGE)
            _wait(lambda: village.describe().catalog_version > 0, 30)
            tls = _tls(federation.nodes[TOWNSHIP], village)

            # one durable hop: the catch-up of cases queued at the village while the township was away
            federation.stop(TOWNSHIP)
            started = time.perf_counter()
            _queue_while_parent_down(federation, TOWNSHIP_ITEM, sizes.catch_up)
            queue_rate = sizes.catch_up / (time.perf_counter() - started)
            envelope_bytes = _envelope_bytes(village)
            hop_seconds, hop_rate = _drain_rate(federation, TOWNSHIP, VILLAGE, sizes.catch_up, timeout=1200)
            hop_rows = read_case_rows(township_url, TOWNSHIP_ITEM)

            # the same hop, each case with scanned materials
            federation.stop(TOWNSHIP)
            scans = required_materials(village, TOWNSHIP_ITEM, SCAN_BYTES)
            _queue_while_parent_down(federation, TOWNSHIP_ITEM, sizes.with_materials, scans)
            materials_envelope = _last_envelope(village)
            _, materials_rate = _drain_rate(
                federation, TOWNSHIP, VILLAGE, sizes.catch_up + sizes.with_materials, timeout=1200
            )

            # two links: village → township → county
            federation.stop(TOWNSHIP)
            before = _count_cases(federation.nodes[COUNTY])
            _queue_while_parent_down(federation, COUNTY_ITEM, sizes.two_link_cases)
            _, two_link_rate = _drain_rate(
                federation, COUNTY, TOWNSHIP, before + sizes.two_link_cases, timeout=600
            )

            _settle(federation.nodes.values())  # "on an idle federation": nothing left from the rows above
            latencies = _latencies(village, federation.nodes[COUNTY], sizes.latency_samples)
            county = federation.nodes[COUNTY]
            _revoke_a_spare_seal(county)  # so the county holds a CRL of its own, as in service
            seals, verifications, unseen = _seal_rates(county, sizes.seals, Algorithm.ECDSA_P256_SHA256)
            third = len(unseen) // 3
            as_node = _checks_as_node(county, unseen[:third], LinkSettings().batch_size)
            as_node_sessions = _checks_as_node(county, unseen[third : 2 * third], 1)
            with_lists = _checks_with_lists(county, village, unseen[2 * third :], LinkSettings().batch_size)
            sm2_seals, sm2_verifications, _ = _seal_rates(county, sizes.seals, Algorithm.SM2_SM3)
        finally:
            federation.stop_all()
    figures = WujiFigures(
        database="postgresql" if database_url else "sqlite",
        envelope_bytes=envelope_bytes,
        link_batch=LinkSettings().batch_size,
        hop_cases_per_s=hop_rate,
        rows_per_case=hop_rows.rows_per_case,
        two_link_cases_per_s=two_link_rate,
        catch_up_cases=sizes.catch_up,
        catch_up_seconds=hop_seconds,
        queue_cases_per_s=queue_rate,
        materials_cases=sizes.with_materials,
        materials_envelope_bytes=len(materials_envelope),
        materials_cases_per_s=materials_rate,
        latency_samples=len(latencies),
        latency_p50_ms=statistics.median(latencies) * 1000,
        latency_p99_ms=percentile(latencies, 0.99) * 1000,
        latency_max_ms=max(latencies) * 1000,
        seals_per_s=seals,
        seal_verifications_per_s=verifications,
        seal_checks_as_node_per_s=as_node,
        seal_checks_session_each_per_s=as_node_sessions,
        seal_checks_with_lists_per_s=with_lists,
        sm2_seals_per_s=sm2_seals,
        sm2_seal_verifications_per_s=sm2_verifications,
    )
    return Measured(figures, tls, hop_rows, materials_envelope)


def _tls(township: Node, village: Node) -> Tls:
    """The credentials of the village → township link (the same certificates, keys and roots), for
    the raw stream over the same mTLS."""

    def key_and_chain(node: Node) -> tuple[bytes, bytes]:
        identity = node.identity
        tls_key = identity.tls_key
        assert not isinstance(tls_key, SM2PrivateKey), "enrollment makes TLS keys ECDSA P-256"
        key = tls_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return key, pem_bundle([identity.tls_certificate, *identity.chain[:-1]])

    roots = pem_bundle(township.identity.roots)
    server_key, server_chain = key_and_chain(township)
    client_key, client_chain = key_and_chain(village)
    return Tls(
        grpc.ssl_server_credentials(
            [(server_key, server_chain)], root_certificates=roots, require_client_auth=True
        ),
        grpc.ssl_channel_credentials(roots, client_key, client_chain),
        tls_server_name(TOWNSHIP),
    )


def _envelope_bytes(village: Node) -> int:
    """The mean size of the envelopes waiting at the village."""
    with village.readers() as session:
        return round(session.scalar(select(func.avg(func.length(OutboxEntry.envelope)))) or 0)


def _last_envelope(village: Node) -> bytes:
    with village.readers() as session:
        query = select(OutboxEntry.envelope).order_by(OutboxEntry.id.desc()).limit(1)
        return session.scalars(query).one()


def _settle(nodes: Iterable[Node], timeout: float = 120.0) -> None:
    """Wait until what the rows above wrote is in the database files: each SQLite node's log is
    copied in the background every second, and the 100,000 cases and scanned materials just written
    keep its disk busy for seconds, which is not the idle federation latency is measured on."""
    deadline = time.monotonic() + timeout
    for node in nodes:
        while (copied := checkpoint_wal(node.engine)) is not None and copied[0] != copied[1]:
            if time.monotonic() > deadline:
                raise TimeoutError("the nodes' write-ahead logs were not copied into their files")
            time.sleep(0.1)


def _latencies(village: Node, county: Node, samples: int) -> list[float]:
    """Submit at the village, one at a time, and time until the county has stored the case.

    The county is asked after each of its commits (and every 5 ms in any case), not polled in a
    tight loop: the nodes share this process, and a poller would take their time.
    """
    latencies = []
    materials = required_materials(village, COUNTY_ITEM)
    with _commits(county) as committed:
        for i in range(samples):
            committed.clear()
            started = time.perf_counter()
            case = village.cases.submit(
                COUNTY_ITEM, Applicant(f"时延{i:04d}", "430981199001011237"), materials
            )
            while True:
                with county.readers() as session:
                    if session.get(Case, case.id) is not None:
                        break
                committed.wait(0.005)
                committed.clear()
            latencies.append(time.perf_counter() - started)
    return latencies


def _seal_rates(county: Node, count: int, algorithm: Algorithm) -> tuple[float, float, list[bytes]]:
    """(seals made/s, verified/s with one trust store, as many other documents of the same seal
    not verified yet) as a county concludes cases: each with its time-stamp token."""
    department = f"压测 {algorithm.value}"
    with county.sessions.begin() as session:
        county.seals.create(session, f"沅江市{department}", department, "业务专用章", algorithm=algorithm)
        seal = county.seals.seal_for(session, department)
        crls = known_crls(session)  # embedded as SealService.seal_result embeds them
    assert seal is not None and seal.algorithm is algorithm
    document = ("{" + '"result": "准予", ' * 20 + '"end": 1}').encode()
    stamp = county.timestamping.stamp
    started = time.perf_counter()
    sealed = [seal.apply(document, crls=crls, timestamp=stamp).to_bytes() for _ in range(count)]
    seal_rate = count / (time.perf_counter() - started)
    trust = TrustStore(county.identity.document_roots)
    started = time.perf_counter()
    for data in sealed:
        if not verify_sealed(data, trust).valid:
            raise AssertionError("a sealed document did not verify")
    verify_rate = count / (time.perf_counter() - started)
    # a node receives each document once: nothing of these was parsed or cached before
    unseen = [seal.apply(document, crls=crls, timestamp=stamp).to_bytes() for _ in range(count)]
    return seal_rate, verify_rate, unseen


def _revoke_a_spare_seal(county: Node) -> None:
    """Revoke the certificate of a seal made for the purpose: the county's CA then publishes a CRL,
    which its stores hold and its documents embed, and which covers the bench seals' chains."""
    with county.sessions.begin() as session:
        county.seals.create(
            session, "沅江市压测作废章", "压测作废", "业务专用章", algorithm=Algorithm.ECDSA_P256_SHA256
        )
        spare = county.seals.seal_for(session, "压测作废")
    assert spare is not None
    county.revoke(format(spare.certificate.serial_number, "x"))


def _checks_as_node(county: Node, documents: list[bytes], batch: int) -> float:
    """Documents/s a node checks received sealed results at (SealService.check_received, as the
    link applies a conclusion): each against the trust store for the anchors and CRLs the database
    holds at that moment, looked up per document, in one transaction per `batch` documents (the
    link applies a batch in one); each document new to the node. Nothing is kept here."""
    started = time.perf_counter()
    for first in range(0, len(documents), batch):
        with county.readers() as session:
            for data in documents[first : first + batch]:
                county.seals.check_received(session, f"{VILLAGE}-BENCH", data)
    return len(documents) / (time.perf_counter() - started)


def _checks_with_lists(county: Node, village: Node, documents: list[bytes], batch: int) -> float:
    """Documents/s the applicant's point takes results in at, each with the list its handler sent
    (SealService.vouch_unrevoked issues one per conclusion; made beforehand here, not timed): the
    list checked against the handler's chain and kept, then the result checked, as the link applies
    a conclusion notice, in one transaction per `batch` documents."""
    office = county.office
    assert office is not None, "the county has a CA"
    authority = office.issuer_of(SealedDocument.from_bytes(documents[0]).signer_chain[0])
    assert authority is not None, "the bench seals were certified by another CA"
    with county.sessions.begin() as session:
        lists = [office.publish_crl(session, authority) for _ in documents]
    chain = authority.full_chain()[:-1]
    started = time.perf_counter()
    for first in range(0, len(documents), batch):
        with village.sessions.begin() as session:
            for crl, data in zip(lists[first : first + batch], documents[first : first + batch], strict=True):
                village.revocations.accept_with_chain(session, crl, chain, village.trust_in(session))
                village.seals.check_received(session, f"{VILLAGE}-BENCH", data)
    return len(documents) / (time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _wait(probe: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError("the federation did not come up")
        time.sleep(0.05)
