"""Partner provinces (跨省通办): trust anchors, the items each accepts from the other, identity checks.

Partner provinces federate like X-Road instances: each installs the other's root certificate
explicitly (`wuji peer add`), nothing is trusted implicitly. The anchor then flows down the
province's tree so every node can verify the partner's seals. Each province tells each partner,
in a list signed with its catalogue-release key, which of its items the partner's applicants may
use and in which modes (its 跨省通办清单, from the items' `partner_modes`); that list flows down the
partner's tree, so a village window knows what it may accept for the other province.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from node.catalogue import items as catalog
from node.catalogue.items import CROSS_PROVINCE_MODES, Item
from node.catalogue.releases import ReleaseSigner
from node.errors import InvalidInput, NotFound, WrongNode
from node.store.models import (
    PartnerDelivery,
    PartnerItem,
    PartnerLinkState,
    PartnerOffer,
    PeerProvince,
    ServiceItem,
    TrustAnchor,
)
from node.timeutil import to_timestamp, utcnow
from signing.algorithms import sign, verify
from signing.pki import CertificatePurpose, division_code_of
from signing.sm2x509 import sm2_public_key_of
from signing.trust import ChainRejected, TrustStore
from wuji.divisions import DivisionCode, InvalidDivisionCode, Tier
from wuji.v1 import link_pb2

if TYPE_CHECKING:
    from sync.link import Link

log = logging.getLogger(__name__)


class NeighbourMail(Protocol):
    """The part of node.federation.Outbound used here (that module imports this one)."""

    def send_to_neighbour(
        self,
        session: Session,
        peer: str,
        role: str,
        message_id: str,
        passed_on: link_pb2.Envelope | None = None,
        **body: Any,
    ) -> None: ...


@dataclass(frozen=True)
class PeerSummary:
    province: str
    name: str
    address: str
    root_fingerprint: str
    items_offered: int
    items_accepted: int


@dataclass(frozen=True)
class PeerLinkStatus:
    """A partner province's link now, as the province's 协作省份 page and `wuji peer list` show it."""

    connected: bool
    since: datetime | None  # when it came up, or went down (None: neither since this node started)
    last_contact: datetime | None
    waiting: int  # envelopes queued for the partner, not yet acknowledged by it


def peer_link_status(link: Link | None) -> PeerLinkStatus:
    """`link` (None: the node holds none to that partner yet) as people are told about it."""
    if link is None:
        return PeerLinkStatus(connected=False, since=None, last_contact=None, waiting=0)
    connected = link.connected
    return PeerLinkStatus(
        connected=connected,
        since=link.up_since if connected else link.down_since,
        last_contact=link.last_contact,
        waiting=link.outbox_depth(),
    )


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def anchors(session: Session) -> list[x509.Certificate]:
    """The partner provinces' roots installed here, with the SM2 seal roots of those that seal with SM2."""
    found = []
    for root_der, seal_root_der in session.execute(select(TrustAnchor.root_der, TrustAnchor.seal_root_der)):
        found.append(x509.load_der_x509_certificate(root_der))
        if seal_root_der:
            found.append(x509.load_der_x509_certificate(seal_root_der))
    return found


def link_anchors(session: Session) -> list[x509.Certificate]:
    """The partner provinces' (P-256) roots, which their links' TLS certificates chain to."""
    return [x509.load_der_x509_certificate(der) for der in session.scalars(select(TrustAnchor.root_der))]


def split_roots(certificates: list[x509.Certificate]) -> tuple[x509.Certificate, x509.Certificate | None]:
    """(the link root, the SM2 seal root or None) of a partner's root file; InvalidInput if it
    holds anything else."""
    links = [c for c in certificates if sm2_public_key_of(c) is None]
    seals = [c for c in certificates if sm2_public_key_of(c) is not None]
    if len(links) != 1 or len(seals) > 1:
        raise InvalidInput(
            "a partner's root file holds its root certificate and, if it seals with SM2, its SM2 seal "
            f"root: found {len(links)} root(s) and {len(seals)} SM2 seal root(s)"
        )
    return links[0], (seals[0] if seals else None)


def peer_codes(session: Session) -> list[str]:
    return list(session.scalars(select(PeerProvince.code).order_by(PeerProvince.code)))


def province_names(session: Session) -> dict[str, str]:
    """The partner provinces installed here by the names their anchors were given (`wuji peer add
    --name 广东省`, passed down the tree with the anchor): code → name, the unnamed left out."""
    rows = session.execute(select(TrustAnchor.province, TrustAnchor.name))
    return {province: name for province, name in rows if name}


def offered_item(session: Session, code: str, province: str = "") -> PartnerItem | None:
    """A partner province's item open to applicants here (of `province`, if given), or None."""
    query = select(PartnerItem).where(PartnerItem.code == code.strip()).order_by(PartnerItem.province)
    if province:
        query = query.where(PartnerItem.province == province_code(province))
    return session.scalars(query.limit(1)).first()


def partner_items(session: Session, province: str = "") -> list[PartnerItem]:
    """Items of partner provinces open to applicants here (all partners, or one)."""
    query = select(PartnerItem).order_by(PartnerItem.province, PartnerItem.code)
    if province:
        query = query.where(PartnerItem.province == province_code(province))
    return list(session.scalars(query))


def province_code(province: str) -> str:
    """A province's code as typed (440000, or all 12 digits) in its 12 digits, as `wuji peer add`
    reads it; InvalidInput in words otherwise (zfill padded 440000 on the left, to 000000440000)."""
    try:
        return DivisionCode.parse(province.strip()).province.value
    except InvalidDivisionCode as error:
        raise InvalidInput(f"省份代码 {province.strip()!r} 有误，应如 440000 ({error})") from error


def checked_partner_root(province: str, root: x509.Certificate) -> DivisionCode:
    """The partner's code; InvalidInput unless root is that province's root CA certificate."""
    try:
        code = DivisionCode.parse(province)
    except InvalidDivisionCode as error:
        raise InvalidInput(f"partner province: {error}") from error
    if code.tier is not Tier.PROVINCE:
        raise InvalidInput(f"{code} is not a province: only provinces federate as partners")
    try:
        TrustStore([root])
    except ChainRejected as rejected:
        raise InvalidInput(rejected.reason) from rejected
    if division_code_of(root) != code.value:
        raise InvalidInput(f"the root certificate is for {division_code_of(root)}, not for {code}")
    return code


class PartnerService:
    """At a province: its peers and what it offers them. At every node: anchors, partner items."""

    def __init__(
        self,
        here: DivisionCode,
        outbound: NeighbourMail,
        children: Callable[[], Iterable[str]],
        signer: Callable[[Session], ReleaseSigner] | None,
    ) -> None:
        self.here = here
        self._outbound = outbound
        self._children = children
        self._signer = signer

    # -- the province's peers -------------------------------------------------------------------

    def add_peer(
        self, session: Session, province: str, root_pem: bytes, address: str, name: str
    ) -> PeerSummary:
        """Install a partner's root, remember how to reach it, offer it our items (one transaction)."""
        if self.here.tier is not Tier.PROVINCE:
            raise WrongNode(f"only a province federates with partner provinces; {self.here} is not one")
        try:
            root, seal_root = split_roots(x509.load_pem_x509_certificates(root_pem))
        except ValueError as error:
            raise InvalidInput(f"the partner's root certificate is not PEM: {error}") from error
        code = checked_partner_root(province, root)
        if seal_root is not None and checked_partner_root(province, seal_root) != code:
            raise InvalidInput("the SM2 seal root is of another province")
        if code == self.here:
            raise InvalidInput("a province cannot be its own partner")
        now = utcnow()
        peer = session.get(PeerProvince, code.value)
        if peer is None:
            peer = PeerProvince(code=code.value, added_at=now)
            session.add(peer)
        peer.name, peer.address = name.strip(), address.strip()
        root_der = root.public_bytes(serialization.Encoding.DER)
        seal_der = seal_root.public_bytes(serialization.Encoding.DER) if seal_root is not None else b""
        self._install_anchor(
            session, self._signed_anchor(session, code.value, name.strip(), root_der, seal_root_der=seal_der)
        )
        session.flush()
        self.send_offer(session, code.value)
        return self.summary(session, code.value)

    def remove_peer(self, session: Session, province: str) -> PeerSummary:
        """End the federation: forget the partner's root, its offer and its link address."""
        code = province_code(province)
        peer = session.get(PeerProvince, code)
        if peer is None:
            raise NotFound(
                f"{code} 不是本省（{self.here}）的协作省份，无可移除：协作省份见 wuji peer list "
                f"({code} is not a partner province of {self.here})"
            )
        summary = self.summary(session, code)
        session.delete(peer)
        self._remove_anchor(session, self._signed_anchor(session, code, removed=True))
        return summary

    def summary(self, session: Session, province: str) -> PeerSummary:
        peer = session.get(PeerProvince, province)
        anchor = session.get(TrustAnchor, province)
        root = x509.load_der_x509_certificate(anchor.root_der) if anchor else None
        accepted = session.scalars(select(PartnerItem.code).where(PartnerItem.province == province)).all()
        return PeerSummary(
            province=province,
            name=peer.name if peer else (anchor.name if anchor else ""),
            address=peer.address if peer else "",
            root_fingerprint=fingerprint(root) if root else "",
            items_offered=len(self.offered_items(session, province)),
            items_accepted=len(accepted),
        )

    def peers(self, session: Session) -> list[PeerSummary]:
        return [self.summary(session, code) for code in peer_codes(session)]

    def offered_items(self, session: Session, partner: str) -> list[Item]:
        """Our items open to applicants of partner, each with the modes agreed for that partner."""
        offered = []
        for row in session.scalars(select(ServiceItem).where(ServiceItem.partner_modes.is_not(None))):
            modes = (row.partner_modes or {}).get(partner)
            if modes:
                offered.append({**catalog.row_to_item(row), "modes": list(modes)})
        return sorted(offered, key=lambda item: item["code"])

    def send_offers(self, session: Session) -> None:
        """Our current offer to every peer (after a new catalogue release, or on reconnecting)."""
        for code in peer_codes(session):
            self.send_offer(session, code)

    def send_offer(self, session: Session, partner: str) -> None:
        if self._signer is None:
            return
        body = json.dumps(
            {
                "items": self.offered_items(session, partner),
                "catalog_version": catalog.current_version(session),
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        signer = self._signer(session)
        offer = link_pb2.PartnerOffer(
            province=self.here.value,
            partner=partner,
            offer_json=body,
            signature=sign(signer.key, body),
            signer_chain=[c.public_bytes(serialization.Encoding.DER) for c in signer.chain],
        )
        self._outbound.send_to_neighbour(
            session, partner, "peer", f"offer-{self.here.value}-{_digest(body)[:24]}", partner_offer=offer
        )

    # -- arriving from neighbours -----------------------------------------------------------------

    def receive_anchor(
        self, session: Session, envelope: link_pb2.Envelope, peer: str, trust: TrustStore
    ) -> None:
        """A partner's root installed (or removed) by our province, passed down the tree: accepted
        only with our own province's signature, whoever passes it on."""
        if DivisionCode.parse(peer) != self.here.parent:
            raise InvalidInput("trust anchors flow down: they come only from this node's parent")
        anchor = envelope.trust_anchor
        self._check_signed_by_province(anchor, trust)
        if anchor.removed:
            self._remove_anchor(session, anchor)
            return
        code = checked_partner_root(anchor.province, x509.load_der_x509_certificate(anchor.root_der))
        if anchor.seal_root_der:
            checked_partner_root(anchor.province, x509.load_der_x509_certificate(anchor.seal_root_der))
        if code.province == self.here.province:
            raise InvalidInput("a province's own root is not a partner's trust anchor")
        self._install_anchor(session, anchor)

    def _check_signed_by_province(self, anchor: link_pb2.TrustAnchor, trust: TrustStore) -> None:
        where = f"trust anchor of {anchor.province or '?'}"
        if not anchor.signature or not anchor.signer_chain:
            raise InvalidInput(f"{where} is not signed by province {self.here.province}: refused")
        try:
            chain = [x509.load_der_x509_certificate(der) for der in anchor.signer_chain]
            trust.verify_chain(chain[0], chain[1:], CertificatePurpose.CATALOG)
        except (ValueError, ChainRejected) as error:
            raise InvalidInput(f"{where}: the signer's certificate is refused: {error}") from error
        if division_code_of(chain[0]) != self.here.province.value:
            raise InvalidInput(
                f"{where} is signed by {division_code_of(chain[0])}, not by this node's province "
                f"{self.here.province}"
            )
        if not verify(chain[0].public_key(), anchor.signature, _anchor_bytes(anchor)):  # type: ignore[arg-type]
            raise InvalidInput(f"{where}: bad signature")

    def _signed_anchor(
        self,
        session: Session,
        province: str,
        name: str = "",
        root_der: bytes = b"",
        removed: bool = False,
        *,
        seal_root_der: bytes = b"",
    ) -> link_pb2.TrustAnchor:
        """At the province: the anchor message, signed with the catalogue key."""
        if self._signer is None:
            raise WrongNode(f"{self.here} cannot sign trust anchors: only the province installs them")
        signer = self._signer(session)
        anchor = link_pb2.TrustAnchor(
            province=province,
            name=name,
            root_der=root_der,
            seal_root_der=seal_root_der,
            removed=removed,
            signed_at=to_timestamp(utcnow()),
            signer_chain=[c.public_bytes(serialization.Encoding.DER) for c in signer.chain],
        )
        anchor.signature = sign(signer.key, _anchor_bytes(anchor))
        return anchor

    def receive_offer(
        self, session: Session, envelope: link_pb2.Envelope, peer: str, from_peer: bool
    ) -> None:
        """A partner's signed list of items open to us: checked against its anchor, kept, passed down."""
        offer = envelope.partner_offer
        if from_peer and offer.province != peer:
            raise InvalidInput(f"peer {peer} sent an offer signed for {offer.province}")
        if not from_peer and DivisionCode.parse(peer) != self.here.parent:
            raise InvalidInput("partner offers flow down from this node's parent")
        if offer.partner != self.here.province.value:
            raise InvalidInput(f"the offer is for province {offer.partner}, not {self.here.province}")
        items = self._verified_items(session, offer)
        stored = session.get(PartnerOffer, offer.province)
        message = offer.SerializeToString(deterministic=True)
        if stored is None:
            stored = PartnerOffer(province=offer.province)
            session.add(stored)
        stored.message, stored.digest, stored.received_at = message, _digest(message), utcnow()
        session.execute(delete(PartnerItem).where(PartnerItem.province == offer.province))
        session.add_all(
            PartnerItem(
                province=offer.province,
                code=item["code"],
                name=item["name"],
                handling_tier=item["handling_tier"],
                department=item["department"],
                modes=[mode for mode in item["modes"] if mode in CROSS_PROVINCE_MODES],
                item={key: value for key, value in item.items() if key != "modes"},
            )
            for item in items
        )
        session.flush()
        log.info("partner %s offers %d item(s) to province %s", offer.province, len(items), offer.partner)
        self._flood(session, "offer", offer.province, stored.digest, partner_offer=offer)

    def _verified_items(self, session: Session, offer: link_pb2.PartnerOffer) -> list[Item]:
        anchor = session.get(TrustAnchor, offer.province)
        if anchor is None:
            raise InvalidInput(f"no trust anchor for province {offer.province}: its offer cannot be checked")
        chain = [x509.load_der_x509_certificate(der) for der in offer.signer_chain]
        if not chain:
            raise InvalidInput("the offer carries no signer certificate")
        trust = TrustStore([x509.load_der_x509_certificate(anchor.root_der)])
        try:
            trust.verify_chain(chain[0], chain[1:], CertificatePurpose.CATALOG, check_revocation=False)
        except ChainRejected as rejected:
            raise InvalidInput(f"offer of {offer.province}: {rejected.reason}") from rejected
        if division_code_of(chain[0]) != offer.province:
            raise InvalidInput(f"the offer of {offer.province} is signed by {division_code_of(chain[0])}")
        if not verify(chain[0].public_key(), offer.signature, offer.offer_json):  # type: ignore[arg-type]
            raise InvalidInput(f"the offer of {offer.province} has a bad signature")
        try:
            items = json.loads(offer.offer_json.decode("utf-8"))["items"]
            return [_offered_item(item, offer.province) for item in items]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise InvalidInput(f"the offer of {offer.province} is not readable: {error}") from error

    # -- keeping children in step ---------------------------------------------------------------------

    def on_child_hello(self, session: Session, child: str) -> None:
        """Send a (re)connecting child the anchors and offers it has not been sent yet."""
        for anchor in session.scalars(select(TrustAnchor)):
            if anchor.signed is None:  # installed before anchors were signed: the province re-signs it
                if self._signer is None:
                    continue
                signed = self._signed_anchor(
                    session,
                    anchor.province,
                    anchor.name,
                    anchor.root_der,
                    seal_root_der=anchor.seal_root_der or b"",
                )
                anchor.signed = signed.SerializeToString()
            self._send_to_child(
                session,
                child,
                f"anchor:{anchor.province}",
                _digest(anchor.root_der + (anchor.seal_root_der or b"")),
                trust_anchor=link_pb2.TrustAnchor.FromString(anchor.signed),
            )
        for stored in session.scalars(select(PartnerOffer)):
            self._send_to_child(
                session,
                child,
                f"offer:{stored.province}",
                stored.digest,
                partner_offer=link_pb2.PartnerOffer.FromString(stored.message),
            )

    def _install_anchor(self, session: Session, signed: link_pb2.TrustAnchor) -> None:
        province, name, root_der = signed.province, signed.name, signed.root_der
        anchor = session.get(TrustAnchor, province)
        if anchor is None:
            anchor = TrustAnchor(province=province)
            session.add(anchor)
        anchor.name, anchor.root_der, anchor.installed_at = name, root_der, utcnow()
        anchor.seal_root_der = signed.seal_root_der or None
        anchor.signed = signed.SerializeToString()
        session.flush()
        log.info("trust anchor of partner province %s installed", province)
        digest = _digest(root_der + signed.seal_root_der)
        self._flood(session, "anchor", province, digest, trust_anchor=signed)

    def _remove_anchor(self, session: Session, removal: link_pb2.TrustAnchor) -> None:
        province = removal.province
        session.execute(delete(TrustAnchor).where(TrustAnchor.province == province))
        session.execute(delete(PartnerItem).where(PartnerItem.province == province))
        session.execute(delete(PartnerOffer).where(PartnerOffer.province == province))
        # a partner no more is not one "that cannot be reached": its link state goes too
        session.execute(delete(PartnerLinkState).where(PartnerLinkState.province == province))
        session.execute(
            delete(PartnerDelivery).where(
                PartnerDelivery.key.in_([f"anchor:{province}", f"offer:{province}", f"link:{province}"])
            )
        )
        log.info("trust anchor of partner province %s removed", province)
        for child in self._children():
            self._outbound.send_to_neighbour(
                session,
                child,
                "child",
                f"anchor-removed-{province}-{utcnow().timestamp()}",
                trust_anchor=removal,
            )

    def _flood(self, session: Session, kind: str, province: str, digest: str, **body: Any) -> None:
        for child in self._children():
            self._send_to_child(session, child, f"{kind}:{province}", digest, **body)

    def _send_to_child(self, session: Session, child: str, key: str, digest: str, **body: Any) -> None:
        if not first_delivery(session, child, key, digest):
            return
        self._outbound.send_to_neighbour(
            session, child, "child", f"{key.replace(':', '-')}-{digest[:16]}", **body
        )


def _offered_item(raw: dict[str, Any], province: str) -> Item:
    """An item of a partner's offer, checked like our own items, with the modes agreed for us."""
    modes = raw.get("modes")
    if not isinstance(modes, list) or not modes or any(mode not in CROSS_PROVINCE_MODES for mode in modes):
        raise InvalidInput(f"offer of {province}: item {raw.get('code', '?')} names no valid mode")
    elements = {key: value for key, value in raw.items() if key != "modes"}
    return {**catalog.checked_item(elements, f"offer of {province}"), "modes": list(modes)}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _anchor_bytes(anchor: link_pb2.TrustAnchor) -> bytes:
    """What the province signs of an anchor (the SM2 seal root only when there is one, so anchors
    signed before seal roots existed still verify)."""
    signed: dict[str, Any] = {
        "province": anchor.province,
        "name": anchor.name,
        "root_sha256": hashlib.sha256(anchor.root_der).hexdigest(),
        "removed": anchor.removed,
        "signed_at": anchor.signed_at.seconds,
    }
    if anchor.seal_root_der:
        signed["seal_root_sha256"] = hashlib.sha256(anchor.seal_root_der).hexdigest()
    return json.dumps(
        signed,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def first_delivery(session: Session, child: str, key: str, digest: str) -> bool:
    """Note that what key names, in the version digest names, goes to child; False when it went
    already (a Hello, or the flood, would otherwise send the same thing again)."""
    delivered = session.get(PartnerDelivery, (child, key))
    if delivered is not None and delivered.digest == digest:
        return False
    if delivered is None:
        session.add(PartnerDelivery(child=child, key=key, digest=digest))
    else:
        delivered.digest = digest
    return True
