"""A node as the simulation runs it: the node's own services over an in-process transport.

`SimNode` wires the same pieces `Node` wires — outbound routing, links with their outbox and inbox,
the federation handler, the case service, the catalogue service — over a database of its own, but
without a gRPC server, keys on disk or threads: links run over sync/memory.py. What it leaves out
is what the simulation does not exercise (seals, licences, staff, supervision, enrollment).

Each node's database is a real SQLite database in memory, made from one migrated template. Tens of
thousands of them do not fit in memory side by side (a migrated schema alone is ~0.5 MB), so
`Stores` keeps the most recently used ones open and the others as compressed images
(sqlite3 serialize/deserialize), reopened on the next use.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from cryptography import x509
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from node.cases.service import CaseService
from node.catalogue.releases import ReleaseSigner
from node.catalogue.service import CatalogService
from node.runtime.federation import FederationHandler
from node.store.engine import configure_sqlite, migrate, reader_factory, session_factory
from node.store.outbound import Outbound
from node.trust.certificates import RevocationIntake
from node.trust.licences import LicenceService
from signing.trust import TrustStore
from sync.link import Link, LinkSettings
from sync.memory import MemoryNetwork
from sync.origin import OriginSigner
from sync.outbox import install_commit_signal
from sync.registry import LinkRegistry
from wuji.divisions import DivisionCode, Tier


def _small_pages() -> sqlite3.Connection:
    """A database with 1 KiB pages: its ~120 tables and indexes take a page each, mostly empty."""
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    connection.execute("PRAGMA page_size=1024")
    return connection


class _Store:
    """One node's in-memory SQLite database, open or kept as a compressed image."""

    def __init__(self, image: bytes) -> None:
        self.image: bytes | None = image
        self.connection: sqlite3.Connection | None = None
        self.engine: Engine | None = None
        self.in_use = 0
        self.closed_before = False

    def open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        assert self.image is not None
        connection.deserialize(zlib.decompress(self.image))
        self.image = None
        self.connection = connection
        return connection

    def close(self) -> None:
        """Keep the database as a compressed image and free the open one."""
        assert self.connection is not None and self.engine is not None
        self.image = zlib.compress(self.connection.serialize(), 1)
        self.engine.dispose()  # closes the connection; the next use calls open() again
        self.connection = None
        self.closed_before = True

    def size(self) -> int:
        if self.connection is not None:
            page_count = self.connection.execute("PRAGMA page_count").fetchone()[0]
            page_size = self.connection.execute("PRAGMA page_size").fetchone()[0]
            return int(page_count * page_size)
        return len(self.image or b"")


class Stores:
    """Every simulated node's database; at most `open_limit` are open at once."""

    def __init__(self, open_limit: int = 2000) -> None:
        self.open_limit = open_limit
        self._open: OrderedDict[int, _Store] = OrderedDict()
        self._template = self._migrated_template()
        self._all: list[_Store] = []
        self.reopened = 0  # times a closed database was opened again

    def _migrated_template(self) -> bytes:
        engine = create_engine("sqlite://", creator=_small_pages, poolclass=StaticPool)
        configure_sqlite(engine)
        migrate(engine)
        # every node's engine shares this dialect and one compiled-statement cache: compiling the
        # same statements once per node would otherwise cost more than running them
        self._dialect = engine.dialect
        self._url = engine.url
        self._on_connect = engine.dialect.on_connect_url(engine.url)
        self._compiled: dict[Any, Any] = {}
        raw = engine.raw_connection()
        try:
            connection = raw.driver_connection
            assert isinstance(connection, sqlite3.Connection)
            connection.execute("VACUUM")
            image = zlib.compress(connection.serialize(), 1)
        finally:
            raw.close()
            engine.dispose()
        return image

    def engine(self) -> Engine:
        """A new node's engine over a fresh copy of the migrated template."""
        store = _Store(self._template)
        self._all.append(store)
        # SQLAlchemy's DBAPIConnection protocol asks for a __getattr__ that sqlite3.Connection lacks
        pool = StaticPool(lambda: self._reopen(store), dialect=self._dialect)  # type: ignore[arg-type]
        if self._on_connect is not None:
            on_connect = self._on_connect
            event.listen(pool, "connect", lambda connection, _record: on_connect(connection))
        engine = Engine(
            pool,
            self._dialect,
            self._url,
            query_cache_size=0,
            execution_options={"compiled_cache": self._compiled},
        )
        configure_sqlite(engine)
        store.engine = engine
        event.listen(engine, "checkout", lambda *_: self._used(store, +1))
        event.listen(engine, "checkin", lambda *_: self._used(store, -1))
        return engine

    def _reopen(self, store: _Store) -> sqlite3.Connection:
        self.reopened += store.closed_before
        return store.open()

    def _used(self, store: _Store, change: int) -> None:
        store.in_use += change
        key = id(store)
        self._open[key] = store
        self._open.move_to_end(key)

    def trim(self) -> None:
        """Close the least recently used databases beyond the limit (never one in use)."""
        while len(self._open) > self.open_limit:
            key, store = next(iter(self._open.items()))
            if store.in_use:
                self._open.move_to_end(key)
                return
            del self._open[key]
            if store.connection is not None:
                store.close()

    def total_bytes(self) -> int:
        """Every database as held now: open ones by their pages, closed ones by their image."""
        return sum(store.size() for store in self._all)


class SimNode:
    """One node of the simulated federation."""

    def __init__(
        self,
        code: str,
        stores: Stores,
        network: MemoryNetwork,
        roots: list[x509.Certificate],
        origin: OriginSigner,
        signer: ReleaseSigner | None = None,
        peer_provinces: frozenset[str] = frozenset(),
    ) -> None:
        self.here = DivisionCode.parse(code)
        self.engine = stores.engine()
        self.sessions = session_factory(self.engine)
        self.readers = reader_factory(self.engine)
        self._roots = roots
        self.outbound = Outbound(self.here, sorted(peer_provinces))
        self.outbound.signer = origin  # what this node originates is signed with its node key
        self.cases = CaseService(self.here, self.sessions, self.outbound, self.readers)
        self.federation = FederationHandler(
            self.here,
            self.outbound,
            self.cases,
            RevocationIntake(list(roots), lambda: None),
            LicenceService(self.here, "", self.outbound, self._neighbours),
            trust=self._trust,
        )
        self.links = LinkRegistry(self.here, self.sessions, self.federation, LinkSettings(), self.readers)
        self.federation.children = lambda: [link.peer for link in self.links.children()]
        self.links.is_peer = lambda peer: peer in self.outbound.peer_provinces
        self.catalog = CatalogService(
            self.here,
            self.sessions,
            self.readers,
            self._trust,
            (lambda _session: signer) if signer is not None and self.here.tier is Tier.PROVINCE else None,
            self.federation.push_catalog,
            None,
        )
        install_commit_signal(self.sessions, lambda peers: network.ready(self.here.value, peers))

    def _trust(self, _session: Session) -> TrustStore:
        return TrustStore(self._roots)

    def _neighbours(self) -> list[tuple[str, str]]:
        return [(link.peer, link.role) for link in self.links.all()]

    def link(self, peer: str, role: str) -> Link:
        return self.links.get(peer, role)

    def with_session(self, work: Callable[[Session], Any]) -> Any:
        with self.readers() as session:
            return work(session)
