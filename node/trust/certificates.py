"""The node's certificate office: issues certificates with its CA, keeps the register, revokes.

Every certificate the node's CA signs is recorded (IssuedCertificate); revoking one marks it and
publishes a new CRL (stored as this node's RevocationList), which the federation sends down the tree.
In a province that seals with SM2 the office holds a second CA, the node's SM2 seal CA: it issues
SM2 seal certificates and the seal CAs of the children, and publishes its own CRL (signed
SM2-with-SM3), stored under the key "<code>:sm2" beside the link CA's "<code>".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from node.errors import InvalidInput, NotFound, WrongNode
from node.store.models import IssuedCertificate, RevocationList
from node.timeutil import as_utc, utcnow
from node.trust.identity import pem_bundle, subject_code
from signing import keys
from signing.algorithms import Algorithm, PrivateKey, generate_key
from signing.pki import Authority, CertificatePurpose, division_code_of, make_csr
from signing.sm2x509 import is_sm2_signed_crl, sm2_key_of_csr, sm2_public_key_of
from signing.trust import ChainRejected, TrustStore, crl_signed_by
from wuji.divisions import DivisionCode

SM2_CRL_SUFFIX = ":sm2"  # the RevocationList key of a node's SM2 seal CA: "<code>:sm2"


class CertificateOffice:
    def __init__(self, authority: Authority | None, seal_authority: Authority | None = None) -> None:
        self._authority = authority
        self.seal_authority = seal_authority  # the SM2 seal CA of an SM2 province (None elsewhere)

    @property
    def authority(self) -> Authority:
        if self._authority is None:
            raise WrongNode("this node has no CA (a village): certificates come from its township")
        return self._authority

    def issuer_for(self, csr: x509.CertificateSigningRequest, purpose: CertificatePurpose) -> Authority:
        """The CA that certifies csr: the SM2 seal CA for an SM2 seal key (when the province seals
        with SM2), the link CA for everything else."""
        if self.seal_authority is not None and purpose is CertificatePurpose.SEAL and _is_sm2_request(csr):
            return self.seal_authority
        return self.authority

    def issue(
        self,
        session: Session,
        csr: x509.CertificateSigningRequest,
        purpose: CertificatePurpose,
        valid_days: int = 365,
        *,
        seal_tree: bool = False,
    ) -> x509.Certificate:
        """签发 with the link CA, or the SM2 seal CA for an SM2 seal key or (seal_tree) a child's seal CA."""
        if seal_tree:
            if self.seal_authority is None:
                raise WrongNode("this node has no SM2 seal CA: its province does not seal with SM2")
            authority = self.seal_authority
        else:
            authority = self.issuer_for(csr, purpose)
        return self._record(session, authority.issue(csr, purpose, valid_days=valid_days), purpose)

    def _record(
        self, session: Session, certificate: x509.Certificate, purpose: CertificatePurpose
    ) -> x509.Certificate:
        session.add(
            IssuedCertificate(
                serial=format(certificate.serial_number, "x"),
                code=division_code_of(certificate),
                purpose=purpose.value,
                pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
                issued_at=utcnow(),
                not_after=certificate.not_valid_after_utc,
            )
        )
        return certificate

    def revoke(self, session: Session, code_or_serial: str) -> list[x509.CertificateRevocationList]:
        """Revoke every live certificate issued to a node code (or one serial) and publish the CRL
        of each CA here that issued one of them (the link CA, the SM2 seal CA)."""
        target = code_or_serial.strip().lower()
        rows = session.scalars(
            select(IssuedCertificate).where(
                (IssuedCertificate.serial == target) | (IssuedCertificate.code == target.zfill(12)),
                IssuedCertificate.revoked_at.is_(None),
            )
        ).all()
        if not rows:
            raise NotFound(self._not_issued_words(session, target))
        now = utcnow()
        for row in rows:
            row.revoked_at = now
        session.flush()
        issuers = {_issuer_der(row.pem) for row in rows}
        crls = [
            self.publish_crl(session, authority)
            for authority in self.authorities()
            if authority.certificate.subject.public_bytes() in issuers
        ]
        return crls or [self.publish_crl(session)]

    def _not_issued_words(self, session: Session, target: str) -> str:
        """Why nothing was revoked: a node's certificates are issued by its parent, so a code that is
        not a child of this node is revoked there; a child's (or a serial) was revoked or never issued."""
        here = division_code_of(self.authority.certificate)
        english = f"(no live certificate issued here to {target!r})"
        try:
            code = DivisionCode.parse(target)
        except ValueError:
            why = "已经吊销" if session.get(IssuedCertificate, target) is not None else "不是本节点签发的"
            return f"序号为 {target} 的证书{why}：本节点 {here} 没有可吊销的这张证书 {english}"
        if code.parent is not None and code.parent.value != here:
            return (
                f"本节点 {here} 没有签发给 {code} 的证书：{code} 的证书由它的上级 {code.parent} 签发，"
                f"请在上级节点上运行 wuji cert revoke {code} {english}"
            )
        issued = select(IssuedCertificate.serial).where(IssuedCertificate.code == code.value).limit(1)
        revoked = session.scalar(issued) is not None
        why = "都已吊销（替换设备用 wuji node invite 邀请）" if revoked else "从未签发：它尚未入网"
        return f"本节点 {here} 签发给 {code} 的证书{why} {english}"

    def authorities(self) -> list[Authority]:
        """The link CA, then the SM2 seal CA if there is one."""
        return [self.authority, *([self.seal_authority] if self.seal_authority else [])]

    def issuer_of(self, certificate: x509.Certificate) -> Authority | None:
        """Which of this node's CAs certified `certificate` (by its authority key identifier)."""
        try:
            wanted = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        except x509.ExtensionNotFound:
            return None
        for authority in self.authorities() if self._authority is not None else []:
            try:
                own = authority.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if own.value.digest == wanted.key_identifier:
                return authority
        return None

    def publish_crl(
        self, session: Session, authority: Authority | None = None, at: datetime | None = None
    ) -> x509.CertificateRevocationList:
        """A new CRL of `authority` (the link CA by default) listing every certificate it issued
        that was revoked, issued `at` (default now)."""
        authority = authority or self.authority
        revoked = session.execute(
            select(IssuedCertificate.serial, IssuedCertificate.revoked_at, IssuedCertificate.pem).where(
                IssuedCertificate.revoked_at.is_not(None)
            )
        ).all()
        own = authority.certificate.subject.public_bytes()
        key = crl_key_of(authority.certificate)
        current = session.connection().execute(_NUMBER_OF, {"key": key}).scalar()
        number = (current or 0) + 1
        crl = authority.make_crl(
            # `when` is never None: the query selects revoked certificates only
            [
                (int(serial, 16), as_utc(cast(datetime, when)))
                for serial, when, pem in revoked
                if _issuer_der(pem) == own
            ],
            number=number,
            now=at,
        )
        store_crl(session, key, number, crl)
        return crl


def province_purpose_key(
    session: Session,
    key_path: Path,
    passphrase: bytes,
    office: CertificateOffice | None,
    purpose: CertificatePurpose,
    title: str,
) -> tuple[PrivateKey, list[x509.Certificate]]:
    """A key the province holds for one purpose (catalogue releases, time-stamps): loaded from
    key_path and its .pem chain while valid beyond a day, else made and certified by the root CA."""
    chain_path = key_path.with_suffix(".pem")
    if key_path.exists() and chain_path.exists():
        chain = x509.load_pem_x509_certificates(chain_path.read_bytes())
        if as_utc(chain[0].not_valid_after_utc) > utcnow() + timedelta(days=1):
            return keys.load_private_key(key_path, passphrase), chain
    if office is None:
        raise WrongNode(f"only a province holds the {title} key")
    code = division_code_of(office.authority.certificate)
    if DivisionCode.parse(code).parent is not None:
        raise WrongNode(f"only a province holds the {title} key; {code} is not one")
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    csr = make_csr(key, code, purpose, f"{code} {title}")
    certificate = office.issue(session, csr, purpose, valid_days=3 * 365)
    chain = [certificate, *office.authority.full_chain()]
    keys.save_private_key(key, key_path, passphrase)
    keys.save_pem(chain_path, pem_bundle(chain))
    return key, chain


class RevocationIntake:
    """Accepts CRLs from this node's ancestors (verified against their CA certificates)."""

    def __init__(self, ancestors: list[x509.Certificate], on_change: Callable[[], None]) -> None:
        # by code: an SM2 province's nodes have two CAs each (the link CA and the SM2 seal CA)
        self._ancestors: dict[str, list[x509.Certificate]] = {}
        for certificate in ancestors:
            self._ancestors.setdefault(subject_code(certificate.subject), []).append(certificate)
        self._on_change = on_change

    def accept(self, session: Session, crl: x509.CertificateRevocationList) -> bool:
        """Store crl if it is an ancestor's, correctly signed and newer; True if stored."""
        issuer = crl_issuer(crl)
        candidates = [c for c in self._ancestors.get(issuer, []) if c.subject == crl.issuer]
        if not candidates:
            raise InvalidInput(f"revocation list from {issuer}, which is not an ancestor of this node")
        return self._store_signed(session, crl, candidates[0])

    def accept_with_chain(
        self,
        session: Session,
        crl: x509.CertificateRevocationList,
        issuer_chain: list[x509.Certificate],
        trust: TrustStore,
    ) -> bool:
        """Store a CRL of any CA that chains to a trusted root (ours or a partner's anchor).

        issuer_chain: the issuing CA's certificate up to, not including, the root; empty when a
        root signed the CRL itself."""
        issuer = crl_issuer(crl)
        if issuer_chain:
            try:
                trust.verify_chain(
                    issuer_chain[0], issuer_chain[1:], CertificatePurpose.CA, check_revocation=False
                )
            except ChainRejected as rejected:
                raise InvalidInput(f"revocation list from {issuer}: {rejected.reason}") from rejected
            certificate = issuer_chain[0]
        else:
            roots = [root for root in trust.roots if root.subject == crl.issuer]
            if not roots:
                raise InvalidInput(f"revocation list from {issuer}: no trusted root or anchor for it")
            certificate = roots[0]
        if division_code_of(certificate) != issuer:
            raise InvalidInput(f"revocation list from {issuer} came with the certificate of another CA")
        return self._store_signed(session, crl, certificate)

    def _store_signed(
        self, session: Session, crl: x509.CertificateRevocationList, issuer_certificate: x509.Certificate
    ) -> bool:
        """Keep crl if issuer_certificate signed it and it is newer than the one known; True if kept."""
        issuer = crl_issuer(crl)
        if not crl_signed_by(crl, issuer_certificate):  # remembered: the stores meet it next
            raise InvalidInput(f"revocation list from {issuer} is not signed by its CA (a bad signature?)")
        key = crl_key(crl)
        previous = session.connection().execute(_LIST_OF, {"key": key}).scalar()
        stored = store_crl(session, key, crl_number(crl), crl)
        # a newer list revoking nothing new (as the one a handler sends with each result) leaves
        # every chain verdict standing: the caches built on them are kept
        if stored and (previous is None or _revoked_serials(crl) != _revoked_serials(_parsed_crl(previous))):
            self._on_change()
        return stored

    def is_ancestor(self, crl: x509.CertificateRevocationList) -> bool:
        """The CRL's issuer is a CA above this node whose certificate is held here (a village holds
        its link chain, not its township's SM2 seal CA: such CRLs come with their issuer's chain)."""
        return any(c.subject == crl.issuer for c in self._ancestors.get(crl_issuer(crl), []))


# Statements on the table, not the mapped class: a handler sends a new list with every sealed
# result, and the unit of work (an object loaded, changed and flushed) cost ~0.3 ms of each arrival.
# Nothing holds RevocationList objects across a store (federation.py reads them only to send them).
_lists = cast(Table, RevocationList.__table__)
_LIST_OF = select(_lists.c.der).where(_lists.c.issuer == bindparam("key"))
_NUMBER_OF = select(_lists.c.number).where(_lists.c.issuer == bindparam("key"))
_REPLACE_OLDER = (
    update(_lists)
    .where(_lists.c.issuer == bindparam("key"), _lists.c.number < bindparam("new_number"))
    .values(number=bindparam("new_number"), der=bindparam("new_der"), received_at=bindparam("at"))
)
_ADD = insert(_lists).values(
    issuer=bindparam("key"),
    number=bindparam("new_number"),
    der=bindparam("new_der"),
    received_at=bindparam("at"),
)


def revoked_nodes(session: Session, codes: list[str]) -> dict[str, datetime]:
    """Of these nodes' codes, those whose every certificate issued here is revoked (none is live),
    and when the last was: a child whose machine was lost, until a replacement enrolls."""
    now = utcnow()
    live: set[str] = set()
    revoked: dict[str, datetime] = {}
    rows = session.execute(
        select(IssuedCertificate.code, IssuedCertificate.revoked_at, IssuedCertificate.not_after).where(
            IssuedCertificate.code.in_(codes)
        )
    )
    for code, revoked_at, not_after in rows:
        if revoked_at is None:
            if as_utc(not_after) > now:
                live.add(code)
        elif code not in revoked or as_utc(revoked_at) > revoked[code]:
            revoked[code] = as_utc(revoked_at)
    return {code: at for code, at in revoked.items() if code not in live}


def store_crl(session: Session, issuer: str, number: int, crl: x509.CertificateRevocationList) -> bool:
    """Keep crl if it is newer than the one known from issuer; True if it was stored."""
    connection = session.connection()
    values = {
        "key": issuer,
        "new_number": number,
        "new_der": crl.public_bytes(serialization.Encoding.DER),
        "at": utcnow(),
    }
    if connection.execute(_REPLACE_OLDER, values).rowcount:
        return True
    if connection.execute(_NUMBER_OF, {"key": issuer}).scalar() is not None:
        return False  # the one known is as new or newer
    connection.execute(_ADD, values)
    return True


def crl_issuer(crl: x509.CertificateRevocationList) -> str:
    return subject_code(crl.issuer)


def crl_key(crl: x509.CertificateRevocationList) -> str:
    """Where a CRL is kept: its issuer's code, with ":sm2" for an SM2 seal CA's."""
    return crl_issuer(crl) + (SM2_CRL_SUFFIX if is_sm2_signed_crl(crl) else "")


def crl_key_of(authority_certificate: x509.Certificate) -> str:
    """The key of the CRLs a CA certificate's holder signs."""
    code = subject_code(authority_certificate.subject)
    return code + (SM2_CRL_SUFFIX if sm2_public_key_of(authority_certificate) is not None else "")


def _issuer_der(pem: str) -> bytes:
    return _parsed_certificate(pem).issuer.public_bytes()


@lru_cache(maxsize=1024)
def _parsed_certificate(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def _is_sm2_request(csr: x509.CertificateSigningRequest) -> bool:
    try:
        return sm2_key_of_csr(csr) is not None
    except ValueError:
        return True  # an SM2 request with a bad signature: the SM2 CA refuses it with the reason


def crl_number(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def known_crls(session: Session) -> list[x509.CertificateRevocationList]:
    """The CRLs this node holds, each parsed once per process (a node builds a trust store with
    them for every document it checks)."""
    return [_parsed_crl(der) for der in session.scalars(select(RevocationList.der))]


def _revoked_serials(crl: x509.CertificateRevocationList) -> frozenset[int]:
    return frozenset(entry.serial_number for entry in crl)


@lru_cache(maxsize=512)
def _parsed_crl(der: bytes) -> x509.CertificateRevocationList:
    return x509.load_der_x509_crl(der)


def remember_crls(session: Session, crls: list[x509.CertificateRevocationList]) -> None:
    """Keep the CRLs handed over at enrollment (from the parent, trusted like the invite)."""
    for crl in crls:
        store_crl(session, crl_key(crl), crl_number(crl), crl)
