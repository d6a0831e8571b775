"""Arriving envelopes: relay them onward, or apply them here through the domain services.

`FederationHandler` is what every link calls for an arriving envelope. Sending goes the other way,
through `node.store.outbound.Outbound`, inside the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session
from ulid import ULID

from node.cases import arrivals, crossprovince, deadlines
from node.catalogue import calendars, releases
from node.catalogue import items as catalog
from node.errors import DomainError, RefusedOnArrival
from node.runtime.undeliverable import is_placeholder
from node.store.models import CatalogDelivery, RevocationList
from node.store.outbound import Outbound
from node.timeutil import from_timestamp, in_beijing_time, utcnow
from node.trust.certificates import SM2_CRL_SUFFIX, RevocationIntake, crl_issuer, crl_key, crl_number
from node.trust.partner_links import PartnerLinkStates
from node.trust.partners import PartnerService
from signing.trust import CertificateRevoked, ChainRejected, TrustStore
from sync.link import EnvelopeRefused
from sync.origin import OriginRefused, OriginVerifier
from sync.routing import NoRoute
from sync.tables import OutboxEntry
from wuji.divisions import DivisionCode, InvalidDivisionCode, Tier
from wuji.v1 import link_pb2

log = logging.getLogger(__name__)


class CaseInbound(Protocol):
    """The part of the case service that applies case messages from other nodes."""

    def receive_submitted(self, session: Session, envelope: link_pb2.Envelope) -> None: ...

    def apply_event_notice(self, session: Session, envelope: link_pb2.Envelope) -> None: ...

    def apply_action_request(self, session: Session, envelope: link_pb2.Envelope) -> None: ...

    def tell_refused(self, session: Session, envelope: link_pb2.Envelope, reason: str) -> None: ...

    def tell_action_refused(self, session: Session, envelope: link_pb2.Envelope, reason: str) -> None: ...

    def apply_action_refused(self, session: Session, envelope: link_pb2.Envelope) -> None: ...


class LicenceInbound(Protocol):
    def apply_revoked(self, session: Session, envelope: link_pb2.Envelope, peer: str) -> None: ...


# applies one kind of message (supervision cards, ratings, statistics) in the link's transaction
Intake = Callable[[Session, link_pb2.Envelope], None]


CATALOG_MESSAGE_PREFIX = "catalog-"


def catalog_message_id(base_version: int, version: int) -> str:
    """Unique per sending: a delta refused by the child is sent afresh, never deduplicated away."""
    return f"{CATALOG_MESSAGE_PREFIX}{base_version}-{version}-{ULID()}"


def origin_refused_words(origin: str, refused: OriginRefused) -> str:
    """Why an envelope whose origin is not believed is quarantined, Chinese first: the operator reads
    it in the log and behind `wuji node status`'s count; the link layer's words follow, their
    instants (UTC there) in Beijing time."""
    cause, sender = refused.__cause__, f"来源节点 {origin or '（空）'}"
    if isinstance(cause, CertificateRevoked):
        said = f"{sender} 的证书或签发它的证书已被吊销，本节点不再接受它发出的报文"
    elif isinstance(cause, ChainRejected):
        said = f"{sender} 的证书不被本节点接受（已过期，或不是本省的证书链签发的）"
    else:
        said = f"报文没有{sender}的有效签名（未签名、签名者不是它，或途中被改动）"
    return f"{said}，报文已隔离 ({in_beijing_time(str(refused))})"


class FederationHandler:
    """Implements sync.link.LinkHandler for this node."""

    def __init__(
        self,
        here: DivisionCode,
        outbound: Outbound,
        cases: CaseInbound,
        revocations: RevocationIntake,
        licences: LicenceInbound,
        trust: Callable[[Session], TrustStore],
        intakes: dict[str, Intake] | None = None,
        partners: PartnerService | None = None,
        origins: OriginVerifier | None = None,
        partner_links: PartnerLinkStates | None = None,
    ) -> None:
        self.here = here
        self._partner_links = partner_links
        self.origins = origins or OriginVerifier()  # nothing is applied here unless its origin signed it
        self._partners = partners
        self._intakes = dict(intakes or {})  # body name (e.g. "supervision_card") → what applies it
        self._outbound = outbound
        self._cases = cases
        self._revocations = revocations
        self._licences = licences
        self._trust = trust
        self.children: Callable[[], Iterable[str]] = tuple  # set by the runtime: codes of known children
        # set by the runtime: (body, seconds from creation at the origin to application here)
        self.observe_delivery: Callable[[str, float], None] = lambda body, seconds: None
        # set by the runtime: more to do when a neighbour says Hello (e.g. resync after its restore)
        self.hello_hooks: list[Callable[[Session, str, str, link_pb2.Hello], None]] = []

    def catalog_version(self, session: Session) -> int:
        return catalog.current_version(session)

    def on_peer_hello(self, session: Session, peer: str, role: str, hello: link_pb2.Hello) -> None:
        """A child said which release it holds: send the delta it lacks, unless one is on its way.

        Queued catalogue messages up to hello.received_seq reached the child already; if it still
        holds an older release, they were refused, so a fresh delta from what it holds goes out.
        """
        for hook in self.hello_hooks:
            hook(session, peer, role, hello)
        if role == "peer":
            self._greet_peer(session, peer)
            return
        if role != "child":
            return
        if self._partners is not None:
            self._partners.on_child_hello(session, peer)
        if self._partner_links is not None:  # e.g. that 广东 cannot be reached, as the catalogue is sent
            self._partner_links.on_child_hello(session, peer)
        self.push_calendars(session, calendars.held(session), [peer])
        current = catalog.current_version(session)
        if hello.catalog_version >= current:
            _set_delivery(session, peer, hello.catalog_version)
            return
        delivery = session.get(CatalogDelivery, peer)
        if delivery is not None and delivery.version == current:
            queued = session.scalars(
                select(OutboxEntry)
                .where(
                    OutboxEntry.peer == peer,
                    OutboxEntry.seq > hello.received_seq,
                    OutboxEntry.message_id.startswith(CATALOG_MESSAGE_PREFIX),
                )
                .order_by(OutboxEntry.seq)
                .limit(1)
            ).first()
            if queued is not None:
                base = link_pb2.Envelope.FromString(queued.envelope).catalog_release.base_version
                if base in (0, hello.catalog_version):
                    return  # the queued deltas start from what the child holds
        self._send_catalog(session, peer, hello.catalog_version)

    def prepare(self, session: Session, envelopes: Sequence[link_pb2.Envelope]) -> None:
        """Look up in one query whether the cases a batch brings here exist already, and start
        checking the origin signatures of what is addressed here."""
        here = self.here.value
        self.origins.verify_ahead(
            [envelope for envelope in envelopes if envelope.destination == here], lambda: self._trust(session)
        )
        arriving = [
            envelope.case_submitted.case.id
            for envelope in envelopes
            if envelope.destination == here and envelope.WhichOneof("body") == "case_submitted"
        ]
        if arriving:
            arrivals.look_up(session, arriving)

    def apply(self, session: Session, envelope: link_pb2.Envelope, peer: str) -> None:
        try:
            destination = DivisionCode.parse(envelope.destination)
        except InvalidDivisionCode as error:
            raise EnvelopeRefused(f"bad destination: {error}") from error
        from_peer = peer in self._outbound.peer_provinces
        if from_peer and envelope.origin[:2] != peer[:2]:
            raise EnvelopeRefused(f"partner province {peer} relayed a message from {envelope.origin}")
        try:
            if destination != self.here:
                arrivals.before_other_envelope(session)
                self._relay(session, envelope, peer)
                return
            try:
                self.origins.verify(envelope, lambda: self._trust(session))
            except OriginRefused as refused:
                raise EnvelopeRefused(origin_refused_words(envelope.origin, refused)) from refused
            body = envelope.WhichOneof("body") or ""
            if is_placeholder(envelope):
                return  # the slot of a case returned to its origin before this node enrolled
            if body != "case_submitted":  # cases added in bulk are written before anything else runs
                arrivals.before_other_envelope(session)
            self.observe_delivery(body, (utcnow() - from_timestamp(envelope.created_at)).total_seconds())
            if body == "case_submitted":
                try:
                    self._cases.receive_submitted(session, envelope)
                except RefusedOnArrival as refused:
                    reason = str(refused)
                    raise EnvelopeRefused(
                        reason, answer=lambda db: self._cases.tell_refused(db, envelope, reason)
                    ) from refused
            elif body == "case_event":
                if envelope.case_event.HasField("revocation_list"):
                    self._accept_handlers_list(session, envelope)
                self._cases.apply_event_notice(session, envelope)
            elif body == "case_action":
                try:
                    self._cases.apply_action_request(session, envelope)
                except DomainError as refused:  # e.g. a 撤回 arriving after 办结: the point hears why
                    reason = str(refused)
                    raise EnvelopeRefused(
                        reason, answer=lambda db: self._cases.tell_action_refused(db, envelope, reason)
                    ) from refused
            elif body == "case_action_refused":
                self._cases.apply_action_refused(session, envelope)
            elif body == "catalog_release":
                self._apply_catalog(session, envelope, peer)
            elif body == "working_calendar":
                self._apply_calendar(session, envelope, peer)
            elif body == "revocation_list":
                self._apply_revocation_list(session, envelope, peer)
            elif body == "licence_revoked":
                self._licences.apply_revoked(session, envelope, peer)
            elif body == "peer_link_state":
                if self._partner_links is None:
                    raise EnvelopeRefused("peer_link_state: this node keeps no partner link states")
                self._partner_links.receive(session, envelope, peer)
            elif body in ("trust_anchor", "partner_offer", "identity_query", "identity_answer"):
                self._apply_partner_message(session, envelope, peer, body, from_peer)
            elif body in self._intakes:
                self._intakes[body](session, envelope)
            else:
                raise EnvelopeRefused(f"envelope {envelope.message_id} carries no known body ({body})")
        except DomainError as error:
            raise EnvelopeRefused(str(error)) from error

    def _relay(self, session: Session, envelope: link_pb2.Envelope, peer: str) -> None:
        try:
            next_peer, _ = self._outbound.route(envelope.destination)
        except NoRoute as error:
            raise EnvelopeRefused(str(error)) from error
        if next_peer == peer:
            raise EnvelopeRefused(
                f"envelope for {envelope.destination} would go back to {peer}: routing loop"
            )
        self._outbound.relay(session, envelope)

    def _apply_catalog(self, session: Session, envelope: link_pb2.Envelope, peer: str) -> None:
        if envelope.origin != peer or DivisionCode.parse(peer) != self.here.parent:
            raise EnvelopeRefused("catalogue releases come only from this node's parent")
        message = envelope.catalog_release
        applied = releases.receive_part(session, message, self._trust(session), self.here.province)
        if applied is not None:
            log.info(
                "applied catalogue release %d from %s (delta from release %d, %d part(s))",
                message.version,
                peer,
                message.base_version,
                max(message.parts, 1),
            )
            self.push_catalog(session)

    def _apply_calendar(self, session: Session, envelope: link_pb2.Envelope, peer: str) -> None:
        if envelope.origin != peer or DivisionCode.parse(peer) != self.here.parent:
            raise EnvelopeRefused("working calendars come only from this node's parent")
        if calendars.receive(session, envelope.working_calendar, self._trust(session), self.here.province):
            recount_deadlines(session, envelope.working_calendar.year)
            self.push_calendars(session, [envelope.working_calendar])

    def push_calendars(
        self, session: Session, messages: Sequence[link_pb2.WorkingCalendar], children: Iterable[str] = ()
    ) -> None:
        """Offer working calendars to the given children (default: every known child)."""
        for child in children or self.children():
            for message in messages:
                self._outbound.send_to_neighbour(
                    session, child, "child", calendars.message_id(message), working_calendar=message
                )

    def _apply_revocation_list(self, session: Session, envelope: link_pb2.Envelope, peer: str) -> None:
        """A CRL is flooded: up to the province, down every branch, across to partner provinces.

        Each neighbour may only pass on what it can know: a child the CRLs of CAs in its subtree,
        a partner province those of its own province; the parent passes on any. Every CRL comes with
        its issuer's certificate chain, checked against a trusted root (or a partner's anchor)."""
        sender = DivisionCode.parse(peer)
        message = envelope.revocation_list
        crl = x509.load_der_x509_crl(message.crl_der)
        issuer = crl_issuer(crl)
        chain = [x509.load_der_x509_certificate(der) for der in message.issuer_chain]
        if sender == self.here.parent and self._revocations.is_ancestor(crl):
            stored = self._revocations.accept(session, crl)
        else:
            if sender.parent == self.here and not (
                issuer == peer or sender.is_ancestor_of(DivisionCode.parse(issuer))
            ):
                raise EnvelopeRefused(f"revocation list from {issuer}, which is not in the subtree of {peer}")
            if peer in self._outbound.peer_provinces and issuer[:2] != peer[:2]:
                raise EnvelopeRefused(
                    f"revocation list from {issuer}, which is not in partner province {peer}"
                )
            if (
                sender != self.here.parent
                and sender.parent != self.here
                and peer not in self._outbound.peer_provinces
            ):
                raise EnvelopeRefused(f"revocation list from {peer}, which is not a neighbour of {self.here}")
            stored = self._revocations.accept_with_chain(session, crl, chain, self._trust(session))
        if stored:
            self.push_revocation_list(session, crl, chain, came_from=peer)

    def _accept_handlers_list(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """Keep the revocation list a handler sent with a sealed result (issued after the result was
        attested), checked against the handler's chain; not passed on. A list that fails is logged
        and dropped: the result still arrives, its revocation state then reads as not established."""
        message = envelope.case_event.revocation_list
        try:
            crl = x509.load_der_x509_crl(message.crl_der)
            if crl_issuer(crl) != envelope.origin:
                raise DomainError(f"the list is {crl_issuer(crl)}'s, not the sender's")
            chain = [x509.load_der_x509_certificate(der) for der in message.issuer_chain]
            self._revocations.accept_with_chain(session, crl, chain, self._trust(session))
        except (ValueError, DomainError) as refused:
            log.warning(
                "case %s: the revocation list from %s was not kept: %s",
                envelope.case_event.case_id,
                envelope.origin,
                refused,
            )

    def push_revocation_list(
        self,
        session: Session,
        crl: x509.CertificateRevocationList,
        issuer_chain: Sequence[x509.Certificate] = (),
        came_from: str = "",
    ) -> None:
        """Send a CRL to every neighbour but the one it came from: children, the parent, and (at a
        province, for its own province's CRLs) the partner provinces, whose nodes check our seals."""
        issuer, number = crl_issuer(crl), crl_number(crl)
        key = crl_key(crl)  # "<code>:sm2" for an SM2 seal CA's list: its own message ids
        message = link_pb2.RevocationList(
            issuer=issuer,
            number=number,
            crl_der=crl.public_bytes(serialization.Encoding.DER),
            issuer_chain=[c.public_bytes(serialization.Encoding.DER) for c in issuer_chain],
        )
        own_province = issuer[:2] == self.here.value[:2]
        neighbours = [(child, "child") for child in self.children()]
        if self.here.parent is not None and own_province:
            neighbours.append((self.here.parent.value, "parent"))
        if self.here.tier is Tier.PROVINCE and own_province:
            neighbours += [(peer, "peer") for peer in sorted(self._outbound.peer_provinces)]
        for neighbour, role in neighbours:
            if neighbour != came_from:
                self._outbound.send_to_neighbour(
                    session, neighbour, role, f"crl-{key}-{number}", revocation_list=message
                )

    def _greet_peer(self, session: Session, peer: str) -> None:
        """A partner province (re)connected: our current offer and our revocation lists."""
        if self._partners is not None:
            self._partners.send_offer(session, peer)
        own = select(RevocationList).where(
            RevocationList.issuer.in_([self.here.value, self.here.value + SM2_CRL_SUFFIX])
        )
        for stored in session.scalars(own):
            self._outbound.send_to_neighbour(
                session,
                peer,
                "peer",
                f"crl-{stored.issuer}-{stored.number}",
                revocation_list=link_pb2.RevocationList(
                    issuer=stored.issuer.split(":")[0], number=stored.number, crl_der=stored.der
                ),
            )

    def _apply_partner_message(
        self, session: Session, envelope: link_pb2.Envelope, peer: str, body: str, from_peer: bool
    ) -> None:
        if self._partners is None:
            raise EnvelopeRefused(f"{body}: this node takes no part in 跨省通办")
        if body == "trust_anchor":
            self._partners.receive_anchor(session, envelope, peer, self._trust(session))
        elif body == "partner_offer":
            self._partners.receive_offer(session, envelope, peer, from_peer)
        elif body == "identity_query":
            answer = crossprovince.answer_identity(self.here, envelope.identity_query, envelope.origin)
            self._outbound.send(session, envelope.identity_query.reply_to, identity_answer=answer)
        else:
            crossprovince.record_identity_answer(session, envelope.identity_answer, envelope.origin)

    def push_catalog(self, session: Session) -> None:
        """Offer the current release to every known child, as a delta from what each will hold."""
        for child in self.children():
            delivery = session.get(CatalogDelivery, child)
            self._send_catalog(session, child, delivery.version if delivery else 0)

    def _send_catalog(self, session: Session, child: str, base_version: int) -> None:
        release = catalog.latest_release(session)
        if release is None or base_version >= release.version:
            return
        message = releases.delta_message(session, base_version, release)
        message_id = catalog_message_id(message.base_version, release.version)
        for part in releases.split(message):
            suffix = f"-part{part.part}" if part.parts > 1 else ""
            self._outbound.send_to_neighbour(
                session, child, "child", message_id + suffix, catalog_release=part
            )
        _set_delivery(session, child, release.version)


def _set_delivery(session: Session, peer: str, version: int) -> None:
    row = session.get(CatalogDelivery, peer)
    if row is None:
        session.add(CatalogDelivery(peer=peer, version=version))
    else:
        row.version = version


def recount_deadlines(session: Session, year: int) -> None:
    """Time limits running into a year whose official calendar just came here are counted on it."""
    moved = deadlines.recount(session, year)
    if moved:
        log.info("working calendar %d: %d open time limits counted again on it", year, moved)
