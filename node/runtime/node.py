"""One running node: its database, services, links and gRPC server, wired together."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from node.cases.bundles import BundleService
from node.cases.crossprovince_hook import CrossProvinceCases
from node.cases.deferrals import DeferralService
from node.cases.service import CaseService
from node.catalogue import calendars
from node.catalogue import items as catalog
from node.catalogue.releases import ReleaseSigner
from node.catalogue.service import CatalogMirrorServicer, CatalogService, unreachable_parent
from node.clock import Clock, SystemClock
from node.config import NodeConfig
from node.desk.servicer import DeskServicer
from node.errors import InvalidInput, NotReady, WrongNode
from node.runtime.backup import BackupError, scheduled_backup
from node.runtime.federation import FederationHandler, recount_deadlines
from node.runtime.lease import LinkLease, default_holder, process_holder
from node.runtime.observability import Health, NodeMetrics, add_reflection, plaintext_health_server
from node.runtime.partnerwatch import PartnerLinkWatch
from node.runtime.resync import CaseResync
from node.runtime.undeliverable import Undeliverable
from node.staff.accounts import KnownDepartments, StaffService
from node.store.engine import (
    WAL_CHECKPOINT_SECONDS,
    checkpoint_wal,
    create_store_engine,
    migrate,
    reader_factory,
    session_factory,
)
from node.store.models import PeerProvince
from node.store.outbound import Outbound
from node.supervision.cards import ScanResult, SupervisionScheduler, SupervisionService
from node.supervision.ratings import RatingService
from node.supervision.stats import StatsService
from node.supervision.visits import ReturnVisits
from node.timeutil import to_timestamp
from node.trust import partners
from node.trust.certificates import CertificateOffice, RevocationIntake, crl_number, revoked_nodes
from node.trust.enrollment import EnrollmentServicer, create_invite
from node.trust.identity import NodeIdentity, pem_bundle
from node.trust.identity import passphrase as key_passphrase
from node.trust.licences import LicenceService
from node.trust.names import SAVE_SECONDS, PlaceNames
from node.trust.partner_links import PartnerLinkStates
from node.trust.partners import PartnerService
from node.trust.sealing import CertifiedSeal, SealRequest, SealService
from node.trust.stores import TrustStores
from node.trust.timestamping import Timestamping, TimestampUnavailable
from node.web.partners import partner_trouble
from node.web.server import WebDesk
from node.web.uplink import CHILD_REVOKED, ancestor_revoked, revoked_words, trouble_meaning
from signing.algorithms import Algorithm
from signing.pki import division_code_of
from signing.trust import TrustStore
from sync import inbox, outbox
from sync.auth import PeerAuthenticator
from sync.dialer import Backoff, Dialer
from sync.link import Link, LinkSettings, LinkTrouble
from sync.origin import OriginSigner, OriginVerifier
from sync.outbox import install_commit_signal
from sync.registry import LinkRegistry
from sync.tables import QuarantinedEnvelope
from sync.transport import (
    FederationServicer,
    TransportSettings,
    add_port,
    open_channel,
    register_service,
    require_listenable,
)
from wuji.divisions import Tier
from wuji.v1 import desk_pb2, enroll_pb2, enroll_pb2_grpc, link_pb2, link_pb2_grpc

log = logging.getLogger(__name__)

SERVER_THREADS = 64  # one per open link stream plus desk calls in flight


@contextmanager
def open_store(config: NodeConfig, config_path: Path | None) -> Iterator[sessionmaker[Session]]:
    """The node's database, migrated, for work done while the node itself is not running."""
    engine = create_store_engine(
        config.database_url_for(config_path), sqlite_synchronous=config.sqlite_synchronous
    )
    try:
        migrate(engine)
        yield session_factory(engine)
    finally:
        engine.dispose()


class Node:
    def __init__(
        self, config: NodeConfig, config_path: Path | None = None, clock: Clock | None = None
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.here = config.division
        self.pki_folder = config.pki_folder(config_path)
        passphrase = key_passphrase(config.key_passphrase_file)
        self._passphrase = passphrase
        # keys, passphrase and ports before the database: a start that fails on them (the wrong
        # config, a port taken) left a new empty database beside the config
        self.identity = NodeIdentity.load(self.here, self.pki_folder, passphrase)
        require_listenable(config.listen)
        if self.identity.authority is not None:  # a village enrolls nobody (start())
            require_listenable(config.enrollment_address, bootstrap=True)
        self.database_url = config.database_url_for(config_path)
        self.engine = create_store_engine(self.database_url, sqlite_synchronous=config.sqlite_synchronous)
        migrate(self.engine)
        self.sessions = session_factory(self.engine)
        self.readers = reader_factory(self.engine)
        self._partner_roots = self._load_partner_roots()  # PEM, read by TLS at each handshake
        self.names = PlaceNames(
            self.here.value, config.name, self.identity.chain, self.readers, self.sessions
        )
        self._trust_stores = TrustStores(self.identity.document_roots)
        self.transport = TransportSettings(
            max_message_bytes=config.max_message_bytes,
            credentials=self.identity.credentials(lambda: self._partner_roots),
        )
        self.authenticator = PeerAuthenticator(self.trust_store)
        self.office = (
            CertificateOffice(self.identity.authority, self.identity.seal_authority)
            if self.identity.authority
            else None
        )
        self._parent_channel: grpc.Channel | None = None
        self._parent_channel_lock = threading.Lock()
        self._awaiting_lock = threading.Lock()  # the retry job and the scan's tick never both send a notice
        self.timestamping = Timestamping(
            self.here,
            self.sessions,
            self.pki_folder,
            passphrase,
            self.office,
            ask_parent=self._timestamp_from_parent if self.here.parent is not None else None,
        )
        self.seals = SealService(
            self.here,
            self.pki_folder,
            passphrase,
            self.office,
            trust=self.trust_in,
            certify_remotely=None if self.office else self._certify_with_parent,
            timestamp=self.timestamping.stamp,
            default_algorithm=(
                Algorithm.SM2_SM3 if self.identity.seals_with_sm2 else Algorithm.ECDSA_P256_SHA256
            ),
        )
        self.outbound = Outbound(self.here, self._peer_codes(), config.max_message_bytes)
        self.outbound.signer = OriginSigner(
            self.identity.tls_key, self.identity.tls_certificate, self.identity.chain[:-1]
        )
        self._sign_anew(self.outbound.signer)
        self.licences = LicenceService(self.here, config.credit_code, self.outbound, self._neighbours)
        self.cases = CaseService(
            self.here, self.sessions, self.outbound, self.readers, self.seals, self.licences, self.clock
        )
        self.deferrals = DeferralService(
            self.here, self.sessions, self.readers, self.outbound, self.clock, self.licences
        )
        self.bundles = BundleService(
            self.here, self.sessions, self.readers, self.cases, self.deferrals, self.clock
        )
        self.staff = StaffService(self.here.value, self.sessions, self._staff_departments, self.clock)
        self.visits = ReturnVisits(self.here, self.sessions, self.clock)
        self.cases.intake_closed = self.revoked_refusal
        self.cases.place = self.names.place
        self.cases.hooks += [
            CrossProvinceCases(self.here, self.outbound, self.clock, self.cases.change_as_handler),
            self.deferrals,
            self.bundles,
            self.visits,
        ]
        self.supervision = SupervisionService(
            self.here,
            self.sessions,
            self.readers,
            self.outbound,
            self.clock,
            config.warning_share,
            config.forwarding_days,
        )
        self.ratings = RatingService(
            self.here, self.sessions, self.readers, self.outbound, self.clock, config.rectification_days
        )
        self.stats = StatsService(
            self.here, self.sessions, self.readers, self.outbound, self.clock, names=self.names
        )
        self.resync = CaseResync(self.here, self.outbound, self.seals)
        self.undeliverable = Undeliverable(
            self.here,
            self.sessions,
            self.outbound,
            self.cases.return_undeliverable,
            config.undeliverable_hours,
        )
        seal_chain = self.identity.seal_authority.full_chain() if self.identity.seal_authority else []
        self.revocations = RevocationIntake(
            [*self.identity.chain, *seal_chain, *self.identity.seal_roots], self._revocations_changed
        )
        self.partners = PartnerService(
            self.here,
            self.outbound,
            lambda: [link.peer for link in self.links.children()],
            self.release_signer if self.here.tier is Tier.PROVINCE else None,
        )
        signer = self.outbound.signer
        self.partner_links = PartnerLinkStates(
            self.here, self.outbound, lambda: [link.peer for link in self.links.children()], signer.sign
        )
        self.federation = FederationHandler(
            self.here,
            self.outbound,
            self.cases,
            self.revocations,
            self.licences,
            intakes={
                "supervision_card": self.supervision.receive,
                "case_rating": self.ratings.receive,
                "stats_rollup": self.stats.receive,
                "rating_appeal": self.ratings.receive_appeal,
                "appeal_decision": self.ratings.receive_decision,
                "rectification": self.ratings.receive_rectification,
                "material_supplied": self.deferrals.receive,
                "post_check_result": self.deferrals.receive_check_result,
                "case_copy": self.resync.receive,
                "case_resync": self.resync.receive,
            },
            trust=self.trust_in,
            partners=self.partners,
            origins=OriginVerifier(on_validated=self.names.heard),
            partner_links=self.partner_links,
        )
        self.catalog = CatalogService(
            self.here,
            self.sessions,
            self.readers,
            self.trust_in,
            self.release_signer if self.here.tier is Tier.PROVINCE else None,
            self._catalog_published,
            self._parent_catalog if self.here.parent is not None else None,
        )
        self.links = LinkRegistry(
            self.here,
            self.sessions,
            self.federation,
            LinkSettings(
                heartbeat_seconds=config.heartbeat_seconds,
                idle_timeout_seconds=max(6 * config.heartbeat_seconds, 10.0),
                clock=self.clock.now,
            ),
            self.readers,
        )
        self.federation.hello_hooks.append(self.resync.on_peer_hello)
        self.federation.children = lambda: [link.peer for link in self.links.children()]
        self.links.is_peer = lambda code: code in self.outbound.peer_provinces
        self.metrics = NodeMetrics(self.here.value, self.readers, self.links)
        self.federation.observe_delivery = self.metrics.observe_delivery
        self.health = Health()
        self.lease = LinkLease(
            self.sessions,
            self._links_changed,
            process_holder(config.replica_id or default_holder(config.listen)),
            term_seconds=config.lease_seconds,
        )
        install_commit_signal(self.sessions, self.links.wake)
        self._server: grpc.Server | None = None
        self._enrollment_server: grpc.Server | None = None
        self._dialer: Dialer | None = None
        self._peer_dialers: dict[str, Dialer] = {}
        self.scheduler = SupervisionScheduler(self.here, self.tick, config.supervision_interval_seconds)
        # a result sealed while the province's time-stamping service was out of reach waits for its
        # token; ask again every few seconds (not only at the scan) so the citizen is not kept waiting
        self.scheduler.every(
            config.timestamp_retry_seconds, self.complete_awaiting_timestamps, f"time-stamps of {self.here}"
        )
        # names heard from the certificates of arriving envelopes are kept even if no page asks
        self.scheduler.every(SAVE_SECONDS, self.names.save_heard, f"office names of {self.here}")
        if self.engine.dialect.name == "sqlite":  # commits leave the log's copying to this job
            self.scheduler.every(
                WAL_CHECKPOINT_SECONDS, lambda: checkpoint_wal(self.engine), f"WAL checkpoint of {self.here}"
            )
        if self.here.tier is Tier.PROVINCE:  # the one tier with partner links: its tree hears of them
            watch = PartnerLinkWatch(
                self.sessions,
                self.partner_links,
                self._peer_codes,
                self.links.find,
                lambda province, link: partner_trouble(self, province, link),
                config.partner_down_notice_seconds,
            )
            self.scheduler.every(
                min(5.0, max(0.5, config.partner_down_notice_seconds / 3)),
                lambda: watch.check() if self.links.active else 0,  # the replica running the links
                f"partner links of {self.here}",
            )
        self.backup_folder = config.backup_folder(config_path)
        if config.backup_hours > 0:  # a village point backs itself up; nobody has to remember it
            self.scheduler.every(config.backup_hours * 3600, self.back_up, f"backup of {self.here}")
        self.port = 0
        self.enroll_port = 0
        self.health_port = 0
        self.metrics_port = 0
        self._health_server: grpc.Server | None = None
        self.web: WebDesk | None = None

    @property
    def address(self) -> str:
        host = self.config.listen.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    def start(self) -> None:
        with self.readers() as session:
            calendars.install_held(session)  # the official calendars this node was sent
        self.lease.refuse_twin()  # a second process of this node stops here, before touching anything
        if self.config.catalog_file and self.catalog_version() == 0:
            self.load_catalog(Path(self.config.catalog_file))
        self._ready_timestamping()
        server = grpc.server(
            ThreadPoolExecutor(max_workers=SERVER_THREADS, thread_name_prefix=f"grpc-{self.here}"),
            options=self.transport.server_options(),
        )
        register_service(
            server, desk_pb2.DESCRIPTOR.services_by_name["Desk"], DeskServicer(self, self.authenticator)
        )
        self.health.add_to(server)
        add_reflection(server)
        federation = FederationServicer(self.links, self.authenticator)
        register_service(server, link_pb2.DESCRIPTOR.services_by_name["Federation"], federation)
        register_service(
            server,
            link_pb2.DESCRIPTOR.services_by_name["CatalogMirror"],
            CatalogMirrorServicer(self.here, self.catalog, self.authenticator),
        )
        enrollment = EnrollmentServicer(
            self.sessions, self.identity, self.office, self.authenticator, self.timestamping
        )
        enrollment_service = enroll_pb2.DESCRIPTOR.services_by_name["Enrollment"]
        register_service(server, enrollment_service, enrollment)  # CertifySeal, over mTLS
        self.port = add_port(server, self.config.listen, self.transport)
        if self.port == 0:
            raise OSError(f"无法在 {self.config.listen} 上监听 (cannot listen on {self.config.listen})")
        server.start()
        self._server = server
        if self.office is not None:  # a village enrolls nobody
            bootstrap = grpc.server(
                ThreadPoolExecutor(max_workers=4, thread_name_prefix=f"enroll-{self.here}"),
                options=self.transport.server_options(),
            )
            register_service(bootstrap, enrollment_service, enrollment)
            self.enroll_port = add_port(
                bootstrap, self.config.enrollment_address, self.transport, bootstrap=True
            )
            if self.enroll_port == 0:
                address = self.config.enrollment_address
                raise OSError(f"无法在证书申请端口 {address} 上监听 (cannot listen on {address}, enrollment)")
            bootstrap.start()
            self._enrollment_server = bootstrap
        if self.config.health_listen:
            self._health_server, self.health_port = plaintext_health_server(
                self.health, self.config.health_listen
            )
        if self.config.metrics_listen:
            self.metrics_port = self.metrics.serve(self.config.metrics_listen)
        if self.config.web_listen != "off":
            self._start_web()
        self.health.serving(True)
        self.links.active = False
        self.lease.start()  # runs the links now if no other replica of this node does
        self.scheduler.start()
        log.info("node %s (%s) listening on %s", self.here, self.here.tier.label, self.address)

    def _start_web(self) -> None:
        """The front desk (node/web/). A taken port is reported, not fatal: the federation and the
        Desk API matter more than the pages."""
        web = WebDesk(self, self.config.web_listen, self._passphrase)
        try:
            web.start()
        except OSError as error:
            log.error("the front desk cannot listen on %s: %s", self.config.web_listen, error)
            return
        self.web = web

    def _staff_departments(self) -> KnownDepartments:
        """The departments a window's staff may belong to: those of the items handled here (as the
        /staff page offers them), or of any item of the catalogue."""
        with self.readers() as session:
            here = catalog.departments_at(session, self.here.tier)
            return KnownDepartments(here, catalog.departments_in_catalogue(session))

    def load_catalog(self, path: Path) -> int:
        """Publish a catalogue file as the next signed release here (province) and offer it below."""
        document = catalog.load_document(
            catalog.demo_catalog_path(self.here.value) if str(path) == "demo" else path
        )
        published = self.catalog.publish(document)
        log.info(
            "catalogue %s: release %d (%d items)", document.name, published.version, published.item_count
        )
        return published.version

    def back_up(self) -> Path | None:
        """The scheduled backup (config backup_hours), made while the node runs like `wuji node backup`;
        of replicas sharing one database only the one running the links makes it (None elsewhere)."""
        if not self.lease.active:
            return None
        keep = self.config.backup_keep
        try:
            target = scheduled_backup(
                self.database_url, self.backup_folder, self.here.value, keep, self.clock.now()
            )
        except BackupError as error:  # said as it is, without a traceback; the next interval tries again
            log.error("自动备份未做成 (scheduled backup not made): %s", error)
            return None
        log.info("database backed up to %s (the newest %d backups kept)", target, keep)
        return target

    def publish_calendar(self, document: bytes) -> desk_pb2.PublishCalendarResponse:
        """`wuji calendar publish` (province): sign the year's calendar and send it down."""
        if self.here.tier is not Tier.PROVINCE:
            raise WrongNode(
                f"工作日历只由省级节点发布；{self.here} 从上级接收 "
                "(only the province publishes working calendars)"
            )
        with self.sessions.begin() as session:
            message = calendars.publish(session, self.release_signer(session), self.here, document)
            recount_deadlines(session, message.year)
            self.federation.push_calendars(session, [message])
        return desk_pb2.PublishCalendarResponse(
            year=message.year,
            holidays=len(message.holidays),
            workdays=len(message.workdays),
            digest=calendars.message_id(message).rpartition("-")[2],
        )

    def _sign_anew(self, signer: OriginSigner) -> None:
        """Enrolled again since it last ran (`wuji node enroll --again`, or a new pki/ by hand): what
        it still owes, and sends again to a replacement parent, goes under its new certificate."""
        with self.sessions.begin() as session:
            if not outbox.signed_by_another(session, signer):
                return
            signed = outbox.resign(session, signer)
        log.warning(
            "this node's certificate changed: %d envelope(s) it originated, kept for its neighbours, "
            "were signed again with the new one",
            signed,
        )

    def revoked_refusal(self) -> str:
        """Why no application is taken here: the parent refuses this node's certificate as revoked
        (a lost or stolen machine), so nothing taken in could ever be sent; "" otherwise, also where
        it was the parent's CA that was revoked (its machine replaced): this node is enrolled again
        and what it took in meanwhile goes up then, signed with its new certificate."""
        parent = self.here.parent
        link = self.links.find(parent.value) if parent is not None else None
        if parent is None or link is None or link.revoked is None:
            return ""
        if ancestor_revoked(self.here.value, link.revoked):
            return ""
        return revoked_words(self.names.name_of(parent.value) or parent.value, link.revoked)

    def catalog_version(self) -> int:
        """The catalogue release held here (0 before the first)."""
        with self.readers() as session:
            return catalog.current_version(session)

    def release_signer(self, session: Session) -> ReleaseSigner:
        """The province's catalogue-signing key (made and certified by the root CA on first use)."""
        return ReleaseSigner.for_province(session, self.pki_folder, self._passphrase, self.office)

    def trust_in(self, session: Session) -> TrustStore:
        """What this node trusts as its database holds it in `session`: roots, partner anchors, CRLs."""
        return self._trust_stores.store(session)

    def _catalog_published(self, session: Session) -> None:
        self.federation.push_catalog(session)
        self.partners.send_offers(session)  # the partners' copies of our 跨省通办 list follow

    # -- partner provinces (跨省通办) -------------------------------------------------------------

    def _peer_codes(self) -> list[str]:
        with self.readers() as session:
            return partners.peer_codes(session)

    def _load_partner_roots(self) -> bytes:
        """The roots of partner provinces this province links with (TLS accepts their nodes)."""
        if self.here.tier is not Tier.PROVINCE:
            return b""  # only the province links across the border; others check seals only
        with self.readers() as session:
            peers = set(partners.peer_codes(session))
            return pem_bundle(  # never an SM2 seal root: TLS cannot read it, and links are P-256
                anchor for anchor in partners.link_anchors(session) if division_code_of(anchor) in peers
            )

    def add_peer(self, province: str, root_pem: bytes, address: str, name: str) -> partners.PeerSummary:
        """`wuji peer add`: trust a partner province's root and link with it."""
        with self.sessions.begin() as session:
            summary = self.partners.add_peer(session, province, root_pem, address, name)
        self._peers_changed()
        return summary

    def remove_peer(self, province: str) -> partners.PeerSummary:
        """`wuji peer remove`: forget the partner's root; the peer link ends."""
        with self.sessions.begin() as session:
            summary = self.partners.remove_peer(session, province)
        self._peers_changed()
        link = self.links.find(summary.province)
        if link is not None:
            link.close("the partner province's trust anchor was removed")
        return summary

    def _peers_changed(self) -> None:
        self._partner_roots = self._load_partner_roots()
        self.outbound.peer_provinces = frozenset(self._peer_codes())
        self.authenticator.invalidate()
        self.federation.origins.invalidate()
        if self.links.active:
            self._run_peer_dialers()

    def _run_peer_dialers(self) -> None:
        """One dialer per partner province whose address we were given (the other side dials us)."""
        with self.readers() as session:
            wanted = {
                peer.code: peer.address for peer in session.scalars(select(PeerProvince)) if peer.address
            }
            roots = {division_code_of(a): a for a in partners.link_anchors(session)}
        for code in list(self._peer_dialers):
            if code not in wanted:
                self._peer_dialers.pop(code).stop()
        for code, address in wanted.items():
            if code in self._peer_dialers or code not in roots:
                continue
            partner_root = pem_bundle([roots[code]])
            settings = replace(
                self.transport,
                # mypy cannot type a lambda with a default argument (python/mypy#15459)
                credentials=self.identity.credentials(lambda root=partner_root: root),  # type: ignore[misc]
            )
            dialer = Dialer(
                self.links.get(code, "peer"),
                address,
                settings,
                Backoff(cap_seconds=self.config.reconnect_cap_seconds),
            )
            dialer.start()
            self._peer_dialers[code] = dialer

    def _stop_peer_dialers(self) -> None:
        for dialer in self._peer_dialers.values():
            dialer.stop()
        self._peer_dialers.clear()

    def _parent_catalog(self) -> link_pb2.CatalogSummary:
        """The parent's catalogue summary, asked over mTLS (for `wuji catalog verify`)."""
        parent = self.here.parent
        assert parent is not None
        with open_channel(self.config.parent_address, self.transport, peer_code=parent.value) as channel:
            try:
                return link_pb2_grpc.CatalogMirrorStub(channel).DescribeCatalog(
                    link_pb2.CatalogProbe(), timeout=20
                )
            except grpc.RpcError as error:
                words = partial(
                    trouble_meaning, neighbour=f"上级 {parent}", setting="node.toml 的 parent_address"
                )
                raise unreachable_parent(parent.value, error, words) from error

    def tick(self) -> ScanResult:
        """What the supervision job does each interval: raise due cards, send statistics up."""
        result = self.supervision.scan()
        self.undeliverable.sweep()
        self.stats.push_rollup()
        self.prune_outbox()
        self.settle_quarantine()
        self._ready_timestamping()
        self.complete_awaiting_timestamps()
        return result

    def _ready_timestamping(self) -> None:
        """At a province, have the time-stamping key (renewed when near expiry) before any seal asks
        for it: made inside a sealing transaction, its certificate's own write would wait on it."""
        if self.timestamping.is_service and self.office is not None:
            self.timestamping.authority()

    def complete_awaiting_timestamps(self) -> int:
        """Results sealed while the province's time-stamping service was away get their tokens
        now, and their conclusion notices leave; how many did."""
        with self._awaiting_lock:
            with self.readers() as session:
                waiting = self.seals.waiting_for_tokens(session)
            if not waiting:
                return 0  # the usual case: nothing waits, and no write transaction is opened
            stamped = self.seals.stamp_awaiting(waiting)  # asks the province: no transaction open
            if not stamped:
                return 0
            with self.sessions.begin() as session:
                return self.seals.complete_awaiting(
                    session, stamped, lambda db, peer, notice: self.outbound.send(db, peer, case_event=notice)
                )

    def settle_quarantine(self) -> int:
        """Envelopes quarantined for their origin's revoked certificate that have come again since,
        signed anew, and been applied: no longer kept (nor counted as quarantined)."""
        with self.sessions.begin() as session:
            settled = inbox.settle_signed_again(session)
        for message_id in settled:
            log.info("quarantined envelope %s was applied since, signed anew by its origin", message_id)
        return len(settled)

    def prune_outbox(self) -> int:
        """Forget acknowledged envelopes older than the retention window (config outbox_retention_days)."""
        cutoff = datetime.now(UTC) - timedelta(days=self.config.outbox_retention_days)
        with self.sessions.begin() as session:
            pruned = outbox.prune(session, cutoff)
        if pruned:
            log.info("pruned %d acknowledged envelope(s) older than %s", pruned, cutoff.isoformat())
        return pruned

    def _neighbours(self) -> list[tuple[str, str]]:
        parent = [(self.here.parent.value, "parent")] if self.here.parent else []
        peers = [(code, "peer") for code in sorted(self.outbound.peer_provinces)]
        return parent + [(link.peer, "child") for link in self.links.children()] + peers

    # -- PKI ------------------------------------------------------------------------------------

    def trust_store(self) -> TrustStore:
        """Our roots, the partner provinces' anchors and every revocation list known here."""
        with self.readers() as session:
            return self.trust_in(session)

    def _revocations_changed(self) -> None:
        self.authenticator.invalidate()
        self.federation.origins.invalidate()

    def revoke(self, target: str) -> tuple[int, int]:
        """Revoke certificates this node issued (a child's code or a serial); the CRL goes down."""
        if self.office is None:
            raise WrongNode("a village issues no certificates")
        if target.strip().zfill(12) == self.here.value:  # its own seals' certificates carry its code
            raise InvalidInput(
                f"{target.strip()} 是本节点自己的代码：按代码吊销会吊销本节点自己的印章证书，此后盖章的结果"
                "在各节点都验不过。吊销下级节点用它的代码；吊销某一张证书用它的序号 (this node's own "
                "code: give a child's code, or one certificate's serial)"
            )
        with self.sessions.begin() as session:
            crls = self.office.revoke(session, target)
            for crl in crls:  # the link CA's and, in an SM2 province, the SM2 seal CA's
                issuer_chain = next(
                    authority.full_chain()[:-1]
                    for authority in self.office.authorities()
                    if authority.certificate.subject == crl.issuer
                )
                self.federation.push_revocation_list(session, crl, issuer_chain)
            revoked = sum(len(list(crl)) for crl in crls)
        self._revocations_changed()
        child = self.links.find(target.strip().zfill(12))
        if child is not None:
            child.close(CHILD_REVOKED)
            child.note_trouble(CHILD_REVOKED)  # also when it was not connected at the time
        return revoked, max(crl_number(crl) for crl in crls)

    def invite(self, code: str, valid_hours: int) -> desk_pb2.Invite:
        with self.sessions.begin() as session:
            host = self.config.enrollment_address.rsplit(":", 1)[0]
            address = f"{host}:{self.enroll_port}"
            return create_invite(session, self.here, self.identity, address, code, valid_hours)

    def _certify_with_parent(self, request: SealRequest) -> CertifiedSeal:
        """A village's seal key is certified by its township, over the mTLS link; for an SM2 key
        the township makes the SESeal too."""
        parent = self.here.parent
        assert parent is not None
        with open_channel(self.config.parent_address, self.transport, peer_code=parent.value) as channel:
            try:
                reply = enroll_pb2_grpc.EnrollmentStub(channel).CertifySeal(
                    enroll_pb2.CertifySealRequest(
                        csr_pem=request.csr.public_bytes(serialization.Encoding.PEM),
                        seal_id=request.seal_id,
                        seal_name=request.name,
                        valid_from=request.valid_from.isoformat(),
                        valid_to=request.valid_to.isoformat(),
                        picture=request.picture,
                    ),
                    timeout=20,
                )
            except grpc.RpcError as error:
                details = error.details() if isinstance(error, grpc.Call) else str(error)
                raise NotReady(f"the township could not certify the seal: {details}") from error
        return CertifiedSeal(
            x509.load_pem_x509_certificate(reply.certificate_pem),
            x509.load_pem_x509_certificates(reply.chain_pem),
            reply.ses_seal,
        )

    def _timestamp_from_parent(self, imprint: bytes, nonce: int) -> bytes:
        """A token from the province's service, asked of the parent over mTLS (it passes it on)."""
        parent = self.here.parent
        assert parent is not None
        with self._parent_channel_lock:
            if self._parent_channel is None:
                self._parent_channel = open_channel(
                    self.config.parent_address, self.transport, peer_code=parent.value
                )
            channel = self._parent_channel
        try:
            reply = enroll_pb2_grpc.EnrollmentStub(channel).Timestamp(
                enroll_pb2.TimestampRequest(imprint=imprint, nonce=nonce), timeout=10
            )
        except grpc.RpcError as error:
            # a broken channel backs off ever longer before reconnecting: the next try starts afresh
            with self._parent_channel_lock:
                if self._parent_channel is channel:
                    self._parent_channel = None
            channel.close()
            details = error.details() if isinstance(error, grpc.Call) else str(error)
            raise TimestampUnavailable(
                f"时间戳服务不可达 the province's time-stamping service cannot be reached: {details}"
            ) from error
        return reply.token

    def _links_changed(self, active: bool) -> None:
        """This replica took over the links (or lost them to another replica of the node)."""
        self.links.active = active
        if active and self.here.parent is not None:
            self._dialer = Dialer(
                self.links.get(self.here.parent.value, "parent"),
                self.config.parent_address,
                self.transport,
                Backoff(cap_seconds=self.config.reconnect_cap_seconds),
            )
            self._dialer.start()
        if active and self.here.tier is Tier.PROVINCE:
            self._run_peer_dialers()
        elif not active:
            if self._dialer is not None:
                self._dialer.stop()
                self._dialer = None
            self._stop_peer_dialers()
            self.links.close_all("another replica runs the links")

    def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop dialling, close link streams, let in-flight calls finish, release the database."""
        log.info("node %s stopping", self.here)  # a stop that never ends shows where it began
        self.health.serving(False)
        if self.web is not None:
            self.web.stop()
        self.lease.stop()
        self.scheduler.stop()
        if self._dialer is not None:
            self._dialer.stop()
        self._stop_peer_dialers()
        self.links.close_all("node stopping")
        if self._enrollment_server is not None:
            self._enrollment_server.stop(0)
        if self._server is not None:
            self._server.stop(grace_seconds).wait()
        with self._parent_channel_lock:
            if self._parent_channel is not None:
                self._parent_channel.close()
                self._parent_channel = None
        if self._health_server is not None:
            self._health_server.stop(0)
        self.names.save_heard()  # what the last envelopes named, not left to the next start
        self.metrics.stop()
        self.engine.dispose()
        log.info("node %s stopped", self.here)

    def describe(self) -> desk_pb2.NodeDescription:
        links = self.links.all()
        with self.readers() as session:
            version = catalog.current_version(session)
            quarantined = session.scalar(select(func.count()).select_from(QuarantinedEnvelope)) or 0
            down = [link.peer for link in links if link.role == "child" and not link.connected]
            # a child revoked here stays down for that reason, also after this node restarts
            revoked = revoked_nodes(session, down) if down and self.office is not None else {}
        return desk_pb2.NodeDescription(
            code=self.here.value,
            tier=self.here.tier.name.lower(),
            name=self.config.name,
            catalog_version=version,
            quarantined=quarantined,
            links=[self._link_status(link, revoked.get(link.peer)) for link in links],
        )

    def _link_status(self, link: Link, revoked_at: datetime | None) -> desk_pb2.LinkStatus:
        trouble = LinkTrouble(revoked_at, CHILD_REVOKED) if revoked_at is not None else link.trouble
        return desk_pb2.LinkStatus(
            peer=link.peer,
            role=link.role,
            connected=link.connected,
            outbox_depth=link.outbox_depth(),
            sent_seq=link.sent_seq,
            acked_seq=link.acked_seq,
            received_seq=link.received_seq(),
            peer_name=self.names.name_of(link.peer),
            peer_clock_ahead_seconds=(
                None if link.peer_clock_ahead is None else link.peer_clock_ahead.total_seconds()
            ),
            address=self._dialled_address(link.peer, link.role),
            trouble=trouble.words if trouble else "",
            trouble_at=to_timestamp(trouble.at) if trouble else None,
            last_contact=to_timestamp(link.last_contact) if link.last_contact else None,
        )

    def _dialled_address(self, peer: str, role: str) -> str:
        dialer = (
            self._dialer if role == "parent" else self._peer_dialers.get(peer) if role == "peer" else None
        )
        return dialer.address if dialer is not None else ""
