"""Signed catalogue releases (目录发布): published at the province, shipped down as deltas, verified.

A release is version N of the whole catalogue with the sha256 digest of its canonical items. The
province signs a manifest (province, name, version, digest, item count, publication and expiry)
with a key certified by its own root CA for catalogue releases only. A child receives a delta from
the version it holds: the items added or changed and the codes withdrawn. It checks the signer's
chain against its province root, the signature, the expiry and that the version goes up, patches
its items, recomputes the digest, and only then writes everything in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from node.catalogue import items as catalog
from node.catalogue.diff import changed_codes, diff_items
from node.catalogue.items import CatalogDocument, Item, canonical_item
from node.errors import InvalidInput
from node.store.models import CatalogPart, CatalogRelease
from node.timeutil import as_utc, from_timestamp, to_timestamp, utcnow
from node.trust.certificates import CertificateOffice, province_purpose_key
from node.trust.identity import pem_bundle
from node.workdays import china_date
from signing.algorithms import PrivateKey, algorithm_of, sign, verify
from signing.pki import CertificatePurpose, division_code_of
from signing.trust import ChainRejected, TrustStore
from wuji.divisions import DivisionCode
from wuji.v1 import link_pb2

RELEASE_VALIDITY = timedelta(days=365)  # a release not superseded within a year stops applying
# A delta larger than this travels in parts, so a link frame of a whole batch of envelopes stays
# well under the gRPC message limit even for a first release of a large catalogue.
PART_BYTES = 64 * 1024


@dataclass(frozen=True)
class Manifest:
    """What the province signs: everything about a release but its items (the digest covers those)."""

    province: str
    name: str
    version: int
    digest: str
    item_count: int
    published_at: datetime
    expires_at: datetime

    def to_bytes(self) -> bytes:
        body = {
            "kind": "wuji catalogue release",
            "province": self.province,
            "name": self.name,
            "version": self.version,
            "digest": self.digest,
            "item_count": self.item_count,
            "published_at": as_utc(self.published_at).isoformat(timespec="seconds"),
            "expires_at": as_utc(self.expires_at).isoformat(timespec="seconds"),
        }
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


class ReleaseSigner:
    """The province's catalogue-signing key and its certificate chain (leaf first, root last)."""

    def __init__(self, key: PrivateKey, chain: list[x509.Certificate]) -> None:
        self.key = key
        self.chain = chain
        self.algorithm = algorithm_of(key)

    def sign(self, manifest: Manifest) -> bytes:
        return sign(self.key, manifest.to_bytes())

    @classmethod
    def for_province(
        cls, session: Session, folder: Path, passphrase: bytes, office: CertificateOffice | None
    ) -> ReleaseSigner:
        """Load the key from the PKI folder, or make one and certify it with the root CA."""
        key, chain = province_purpose_key(
            session, folder / "catalog.key", passphrase, office, CertificatePurpose.CATALOG, "事项目录发布"
        )
        return cls(key, chain)


# -- at the province ---------------------------------------------------------------------------------


def publish(
    session: Session, document: CatalogDocument, province: str, signer: ReleaseSigner | None = None
) -> CatalogRelease | None:
    """Make document the next signed release here; None if it equals the current one.

    Without a signer the release is recorded unsigned: usable where it was made (unit tests), but
    refused by every receiver.
    """
    latest = catalog.latest_release(session)
    digest = document.digest()
    if latest is not None and latest.digest == digest:
        return None
    before = catalog.items_of(latest)
    after = document.by_code()
    now = utcnow().replace(microsecond=0)
    manifest = Manifest(
        province=province,
        name=document.name,
        version=(latest.version if latest else 0) + 1,
        digest=digest,
        item_count=len(after),
        published_at=now,
        expires_at=now + RELEASE_VALIDITY,
    )
    changed, removed = changed_codes(diff_items(before, after))
    record = _record(manifest, document.canonical_json())
    if signer is not None:
        record.algorithm = signer.algorithm.value
        record.signature = signer.sign(manifest)
        record.signer_chain_pem = pem_bundle(signer.chain).decode()
    return catalog.install(session, record, after, changed, removed, replace_all=latest is None)


def _record(manifest: Manifest, items_json: bytes) -> CatalogRelease:
    return CatalogRelease(
        version=manifest.version,
        name=manifest.name,
        digest=manifest.digest,
        items_json=items_json.decode("utf-8"),
        published_at=manifest.published_at,
        expires_at=manifest.expires_at,
        applied_at=utcnow(),
        province=manifest.province,
        algorithm="",
        signature=b"",
        signer_chain_pem="",
    )


# -- on the link ---------------------------------------------------------------------------------------


def delta_message(session: Session, base_version: int, target: CatalogRelease) -> link_pb2.CatalogRelease:
    """The release `target` as a delta from base_version (the whole catalogue if base is not held)."""
    base = session.get(CatalogRelease, base_version) if base_version else None
    after = catalog.items_of(target)
    changed, removed = changed_codes(diff_items(catalog.items_of(base), after))
    return link_pb2.CatalogRelease(
        version=target.version,
        name=target.name,
        digest=target.digest,
        published_at=to_timestamp(target.published_at),
        expires_at=to_timestamp(target.expires_at or target.published_at),
        province=target.province,
        item_count=len(after),
        base_version=base.version if base else 0,
        changed_items=[canonical_item(after[code]) for code in changed],
        removed_codes=removed,
        algorithm=target.algorithm,
        signature=target.signature,
        signer_chain_der=[
            certificate.public_bytes(serialization.Encoding.DER)
            for certificate in x509.load_pem_x509_certificates(target.signer_chain_pem.encode())
        ]
        if target.signer_chain_pem
        else [],
    )


def split(message: link_pb2.CatalogRelease, part_bytes: int = 0) -> list[link_pb2.CatalogRelease]:
    """The message itself if its items fit in part_bytes (default PART_BYTES), else parts that each
    carry a share of them."""
    part_bytes = part_bytes or PART_BYTES
    if sum(len(item) for item in message.changed_items) + sum(map(len, message.removed_codes)) <= part_bytes:
        return [message]
    header = link_pb2.CatalogRelease()
    header.CopyFrom(message)
    del header.changed_items[:]
    del header.removed_codes[:]
    parts: list[link_pb2.CatalogRelease] = []
    size = part_bytes + 1
    for kind, payload in [("item", item) for item in message.changed_items] + [
        ("code", code.encode()) for code in message.removed_codes
    ]:
        if size + len(payload) > part_bytes and (size > 0 or not parts):
            parts.append(link_pb2.CatalogRelease())
            parts[-1].CopyFrom(header)
            size = 0
        if kind == "item":
            parts[-1].changed_items.append(payload)
        else:
            parts[-1].removed_codes.append(payload.decode())
        size += len(payload)
    for number, part in enumerate(parts):
        part.part, part.parts = number, len(parts)
    return parts


def receive_part(
    session: Session, message: link_pb2.CatalogRelease, trust: TrustStore, province: DivisionCode
) -> CatalogRelease | None:
    """Keep a part of a large delta; with its last part, apply the whole release as `receive` does."""
    if message.parts <= 1:
        return receive(session, message, trust, province)
    where = f"catalogue release {message.version}, part {message.part + 1} of {message.parts}"
    if message.part >= message.parts:
        raise InvalidInput(f"{where}: no such part")
    check_signature(message, trust, province)  # a forged part is refused on arrival, not at the end
    session.merge(
        CatalogPart(
            version=message.version,
            base_version=message.base_version,
            part=message.part,
            message=message.SerializeToString(),
            received_at=utcnow(),
        )
    )
    if message.part + 1 < message.parts:
        return None
    session.flush()
    rows = session.scalars(
        select(CatalogPart)
        .where(CatalogPart.version == message.version, CatalogPart.base_version == message.base_version)
        .order_by(CatalogPart.part)
    ).all()
    if [row.part for row in rows] != list(range(message.parts)):
        raise InvalidInput(f"{where}: earlier parts are missing ({len(rows)} of {message.parts} held)")
    whole = link_pb2.CatalogRelease()
    whole.CopyFrom(message)
    del whole.changed_items[:]
    del whole.removed_codes[:]
    whole.part = whole.parts = 0
    for row in rows:
        part = link_pb2.CatalogRelease.FromString(row.message)
        if manifest_of(part) != manifest_of(message):
            raise InvalidInput(f"{where}: part {row.part + 1} belongs to another manifest")
        whole.changed_items.extend(part.changed_items)
        whole.removed_codes.extend(part.removed_codes)
    applied = receive(session, whole, trust, province)
    session.execute(delete(CatalogPart).where(CatalogPart.version <= message.version))
    return applied


def manifest_of(message: link_pb2.CatalogRelease) -> Manifest:
    return Manifest(
        province=message.province,
        name=message.name,
        version=message.version,
        digest=message.digest,
        item_count=message.item_count,
        published_at=from_timestamp(message.published_at),
        expires_at=from_timestamp(message.expires_at),
    )


def check_signature(
    message: link_pb2.CatalogRelease, trust: TrustStore, province: DivisionCode
) -> tuple[Manifest, list[x509.Certificate]]:
    """The signed manifest, if this node's province signed it and it has not expired; else InvalidInput."""
    where = f"catalogue release {message.version}"
    manifest = manifest_of(message)
    if not message.signature or not message.signer_chain_der:
        raise InvalidInput(f"{where} is not signed: refused")
    if message.province != province.value:
        raise InvalidInput(
            f"{where} was published by {message.province or '?'}, not this node's province {province}"
        )
    try:
        chain = [x509.load_der_x509_certificate(der) for der in message.signer_chain_der]
        trust.verify_chain(chain[0], chain[1:], CertificatePurpose.CATALOG, at=manifest.published_at)
        signer_code = division_code_of(chain[0])
    except (ValueError, ChainRejected) as error:
        raise InvalidInput(f"{where}: the signer's certificate is refused: {error}") from error
    if signer_code != province.value:
        raise InvalidInput(f"{where} is signed by {signer_code}, not by the province {province}")
    if message.algorithm != algorithm_of(chain[0].public_key()).value:  # type: ignore[arg-type]
        raise InvalidInput(f"{where}: algorithm {message.algorithm!r} does not match the signer's key")
    if not verify(chain[0].public_key(), message.signature, manifest.to_bytes()):  # type: ignore[arg-type]
        raise InvalidInput(f"{where}: bad signature: the manifest was not signed by the province's key")
    if as_utc(manifest.expires_at) <= utcnow():
        raise InvalidInput(f"{where} expired on {china_date(manifest.expires_at)}: refused")
    return manifest, chain


def receive(
    session: Session, message: link_pb2.CatalogRelease, trust: TrustStore, province: DivisionCode
) -> CatalogRelease | None:
    """Verify and apply a release from the parent; None if it is already held (nothing changes).

    InvalidInput (nothing written) for a bad signature, a lower version, a delta from a version
    this node does not hold, a malformed item or a digest that does not match after patching.
    """
    manifest, chain = check_signature(message, trust, province)
    where = f"catalogue release {manifest.version}"
    current = catalog.latest_release(session)
    held = current.version if current else 0
    if manifest.version == held and current is not None and current.digest == manifest.digest:
        return None  # the release held already, sent again
    if manifest.version <= held:
        raise InvalidInput(f"{where} is not newer than release {held} held here: versions only go up")
    if message.base_version not in (0, held):
        raise InvalidInput(
            f"{where} is a delta from release {message.base_version}, but this node holds release {held}; "
            "the parent resends from the held release when the link reopens"
        )
    items: dict[str, Item] = catalog.items_of(current) if message.base_version else {}
    changed: list[str] = []
    for index, raw in enumerate(message.changed_items):
        try:
            item = catalog.checked_item(
                json.loads(raw.decode("utf-8")), f"{where}, changed item #{index + 1}"
            )
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidInput(f"{where}: changed item #{index + 1} is not JSON: {error}") from error
        items[item["code"]] = item
        changed.append(item["code"])
    for code in message.removed_codes:
        if items.pop(code, None) is None:
            raise InvalidInput(f"{where} withdraws item {code}, which is not held here")
    items_json = catalog.canonical_items(items.values())
    if hashlib.sha256(items_json).hexdigest() != manifest.digest or len(items) != manifest.item_count:
        raise InvalidInput(
            f"{where}: the items do not match the signed digest (tampered or incomplete): refused"
        )
    record = _record(manifest, items_json)
    record.algorithm = message.algorithm
    record.signature = message.signature
    record.signer_chain_pem = pem_bundle(chain).decode()
    return catalog.install(
        session, record, items, changed, message.removed_codes, replace_all=message.base_version == 0
    )


def verify_own(session: Session, trust: TrustStore, province: DivisionCode) -> str:
    """Why the release held here fails its own signature and digest ('' if it holds)."""
    current = catalog.latest_release(session)
    if current is None:
        return "no catalogue release is held here"
    try:
        check_signature(delta_message(session, current.version, current), trust, province)
    except InvalidInput as error:
        return str(error)
    if catalog.digest_of(catalog.held_items(session).values()) != current.digest:
        return f"the items held here do not match the digest of release {current.version}"
    return ""
