"""One running node: its database, services, links and gRPC server, wired together."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from sqlalchemy import func, select

from node import catalog
from node.cases import CaseService
from node.config import NodeConfig
from node.desk import DeskServicer
from node.federation import FederationHandler, Outbound
from node.store import create_store_engine, migrate, reader_factory, session_factory
from sync.dialer import Backoff, Dialer
from sync.link import LinkSettings
from sync.outbox import install_commit_signal
from sync.registry import LinkRegistry
from sync.tables import QuarantinedEnvelope
from sync.transport import FederationServicer, TransportSettings, add_port
from wuji.v1 import desk_pb2, desk_pb2_grpc, link_pb2_grpc

log = logging.getLogger(__name__)

SERVER_THREADS = 64  # one per open link stream plus desk calls in flight


class Node:
    def __init__(self, config: NodeConfig, config_path: Path | None = None) -> None:
        self.config = config
        self.here = config.division
        self.engine = create_store_engine(
            config.database_url_for(config_path), sqlite_synchronous=config.sqlite_synchronous
        )
        migrate(self.engine)
        self.sessions = session_factory(self.engine)
        self.readers = reader_factory(self.engine)
        self.transport = TransportSettings(max_message_bytes=config.max_message_bytes)
        self.outbound = Outbound(self.here)
        self.cases = CaseService(self.here, self.sessions, self.outbound, self.readers)
        self.federation = FederationHandler(self.here, self.outbound, self.cases)
        self.links = LinkRegistry(
            self.here,
            self.sessions,
            self.federation,
            LinkSettings(
                heartbeat_seconds=config.heartbeat_seconds,
                idle_timeout_seconds=max(6 * config.heartbeat_seconds, 10.0),
            ),
            self.readers,
        )
        self.federation.children = lambda: [link.peer for link in self.links.children()]
        install_commit_signal(self.sessions, self.links.wake)
        self._server: grpc.Server | None = None
        self._dialer: Dialer | None = None
        self.port = 0

    @property
    def address(self) -> str:
        host = self.config.listen.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    def start(self) -> None:
        if self.config.catalog_file:
            self.load_catalog(Path(self.config.catalog_file))
        server = grpc.server(
            ThreadPoolExecutor(max_workers=SERVER_THREADS, thread_name_prefix=f"grpc-{self.here}"),
            options=self.transport.server_options(),
        )
        desk_pb2_grpc.add_DeskServicer_to_server(
            DeskServicer(self.cases, self.readers, self.describe), server
        )
        link_pb2_grpc.add_FederationServicer_to_server(FederationServicer(self.links), server)
        self.port = add_port(server, self.config.listen, self.transport)
        if self.port == 0:
            raise OSError(f"cannot listen on {self.config.listen}")
        server.start()
        self._server = server
        if self.here.parent is not None:
            parent_link = self.links.get(self.here.parent.value, "parent")
            self._dialer = Dialer(
                parent_link,
                self.config.parent_address,
                self.transport,
                Backoff(cap_seconds=self.config.reconnect_cap_seconds),
            )
            self._dialer.start()
        log.info("node %s (%s) listening on %s", self.here, self.here.tier.label, self.address)

    def load_catalog(self, path: Path) -> int:
        """Publish a catalogue file as the next release here (province) and offer it below."""
        document = catalog.load_document(catalog.demo_catalog_path() if str(path) == "demo" else path)
        with self.sessions.begin() as session:
            release = catalog.publish(session, document)
            if release is not None:
                self.federation.push_catalog(session)
            version = catalog.current_version(session)
        log.info("catalogue %s: release %d (%d items)", document.name, version, len(document.items))
        return version

    def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop dialling, close link streams, let in-flight calls finish, release the database."""
        if self._dialer is not None:
            self._dialer.stop()
        self.links.close_all("node stopping")
        if self._server is not None:
            self._server.stop(grace_seconds).wait()
        self.engine.dispose()
        log.info("node %s stopped", self.here)

    def wait(self) -> None:
        if self._server is not None:
            self._server.wait_for_termination()

    def describe(self) -> desk_pb2.NodeDescription:
        with self.readers() as session:
            version = catalog.current_version(session)
            quarantined = session.scalar(select(func.count()).select_from(QuarantinedEnvelope)) or 0
        return desk_pb2.NodeDescription(
            code=self.here.value,
            tier=self.here.tier.name.lower(),
            name=self.config.name,
            catalog_version=version,
            quarantined=quarantined,
            links=[
                desk_pb2.LinkStatus(
                    peer=link.peer,
                    role=link.role,
                    connected=link.connected,
                    outbox_depth=link.outbox_depth(),
                    sent_seq=link.sent_seq,
                    acked_seq=link.acked_seq,
                    received_seq=link.received_seq(),
                )
                for link in self.links.all()
            ],
        )
