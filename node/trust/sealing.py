"""Seals registered at this node, and the sealing of case results (办结 → sealed result).

A seal's key is generated here and never leaves the node; its certificate comes from the node's own
CA, or, at a village (which has no CA), from the township over the mTLS link (`certify_remotely`).
In a province that seals with SM2 an SM2 seal key is certified by the node's SM2 seal CA (the
township's, for a village), and that same CA makes (制章) the seal's GB/T 38540 SESeal; elsewhere
the link CA does both. A node of an SM2 province makes SM2 seals unless told otherwise.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session
from ulid import ULID

from node.errors import InvalidInput, NotReady
from node.store.models import AwaitingTimestamp, Case, LicenceRevocation, SealedResult, SealRecord
from node.timeutil import as_utc, in_beijing_time, utcnow
from node.trust.certificates import CertificateOffice, crl_number, known_crls
from node.trust.identity import pem_bundle
from node.trust.timestamping import TimestampUnavailable
from signing import keys
from signing.algorithms import Algorithm, generate_key
from signing.pki import CertificatePurpose, make_csr
from signing.seals import (
    SEAL_KINDS,
    Seal,
    SealCheck,
    SealedDocument,
    SealError,
    SealInfo,
    Stamper,
    attach_revocation_values,
    read_json,
)
from signing.seals import verify as verify_sealed
from signing.ses import make_seal, with_timestamp
from signing.sm2x509 import sm2_public_key_of
from signing.timestamps import TimestampRejected, read_token
from signing.trust import TrustStore, crl_signed_by
from wuji.divisions import DivisionCode
from wuji.v1 import link_pb2

log = logging.getLogger(__name__)

OFFICIAL_SEAL = "公章"
LICENCE_SEAL = "电子证照专用章"  # vouches for electronic licences only
# what a handler's staff are told while a result waits for its time-stamp (AwaitingTimestamp)
RESULT_WAITS = (
    "办理结果已加盖印章，正等待省级时间戳服务证明盖章时间，暂不能下载或打印；"
    "省级时间戳服务恢复应答后，即可下载、打印办理结果和办结通知书"
)
# sends a case-event notice to a neighbour copy: (session, peer, notice); what it returns is unused
NoticeSender = Callable[[Session, str, link_pb2.CaseEventNotice], object]


@dataclass(frozen=True)
class SealRequest:
    """What a seal's CA needs to certify its key and, for an SM2 key, make its SESeal."""

    csr: x509.CertificateSigningRequest
    seal_id: str
    name: str  # the seal's name in the SESeal, e.g. 样例村民委员会公章
    valid_from: datetime
    valid_to: datetime  # as asked: capped at the certificate's end
    picture: bytes = b""


@dataclass(frozen=True)
class CertifiedSeal:
    certificate: x509.Certificate
    chain: list[x509.Certificate]  # the CA certificates above it, nearest first, root last
    ses_seal: bytes  # the SESeal (DER) an SM2 key's CA made; b"" for other keys


# a village asks its township to certify a seal key (and make its SESeal)
RemoteCertifier = Callable[[SealRequest], CertifiedSeal]


def certify_seal(session: Session, office: CertificateOffice, request: SealRequest) -> CertifiedSeal:
    """签发 and 制章 at a CA node: the certificate from the CA that certifies the key (an SM2 key:
    the SM2 seal CA, if the province has one) and, for an SM2 key, the SESeal signed by that CA."""
    authority = office.issuer_for(request.csr, CertificatePurpose.SEAL)
    days = max(1, math.ceil((request.valid_to - utcnow()).total_seconds() / 86400))
    certificate = office.issue(session, request.csr, CertificatePurpose.SEAL, valid_days=days)
    ses_seal = b""
    if sm2_public_key_of(certificate) is not None:  # GB/T 38540 电子印章数据
        ses_seal = make_seal(
            es_id=request.seal_id,
            name=request.name,
            signer_certificates=[certificate],
            created=utcnow(),
            valid_start=request.valid_from,
            valid_end=min(request.valid_to, certificate.not_valid_after_utc),
            picture=request.picture,
            maker_key=authority.key,
            maker_certificate=authority.certificate,
        )
    return CertifiedSeal(certificate, authority.full_chain(), ses_seal)


class SealService:
    def __init__(
        self,
        here: DivisionCode,
        folder: Path,
        passphrase: bytes,
        office: CertificateOffice | None,
        trust: Callable[[Session], TrustStore],
        certify_remotely: RemoteCertifier | None = None,
        timestamp: Stamper | None = None,
        default_algorithm: Algorithm = Algorithm.ECDSA_P256_SHA256,
    ) -> None:
        self.here = here
        self._folder = folder / "seals"
        self._passphrase = passphrase
        self._office = office
        self._trust = trust
        self._certify_remotely = certify_remotely
        self._timestamp = timestamp
        self.default_algorithm = default_algorithm  # SM2 in a province that seals with SM2
        self._keys: dict[str, object] = {}
        self._lock = threading.Lock()

    def create(
        self,
        session: Session,
        holder: str,
        department: str,
        kind: str = OFFICIAL_SEAL,
        *,
        valid_days: int = 3 * 365,
        picture: bytes = b"",
        algorithm: Algorithm | None = None,
    ) -> SealInfo:
        """刻制: make a seal for a department, with its own key certified for sealing only (SM2 by
        default in a province that seals with SM2, else ECDSA P-256)."""
        if kind not in SEAL_KINDS:
            raise InvalidInput(f"seal kind {kind!r} is not one of {', '.join(SEAL_KINDS)}")
        if not holder.strip() or not department.strip():
            raise InvalidInput("a seal needs a holder (organisation name) and a department")
        algorithm = Algorithm(algorithm or self.default_algorithm)
        key = generate_key(algorithm)
        csr = make_csr(
            key, self.here.value, CertificatePurpose.SEAL, holder, holder=holder, department=department
        )
        now = utcnow()
        request = SealRequest(
            csr=csr,
            seal_id=f"{self.here.value}-{ULID()}",
            name=f"{holder.strip()}{kind}",
            valid_from=now,
            valid_to=now + timedelta(days=valid_days),
            picture=picture,
        )
        if self._office is not None:
            certified = certify_seal(session, self._office, request)
        elif self._certify_remotely is not None:
            certified = self._certify_remotely(request)
        else:
            raise NotReady("no CA here and no parent to certify the seal key")
        certificate, chain = certified.certificate, certified.chain
        info = SealInfo(
            seal_id=request.seal_id,
            holder=holder.strip(),
            holder_code=self.here.value,
            department=department.strip(),
            kind=kind,
            valid_from=now,
            valid_to=min(request.valid_to, certificate.not_valid_after_utc),
            picture=picture,
        )
        keys.save_private_key(key, self._folder / f"{info.seal_id}.key", self._passphrase)
        if certified.ses_seal:  # GB/T 38540 电子印章数据, made (制章) by the CA that certified the key
            keys.save_pem(self._folder / f"{info.seal_id}.seal", certified.ses_seal)
        session.add(
            SealRecord(
                seal_id=info.seal_id,
                holder=info.holder,
                department=info.department,
                kind=info.kind,
                valid_from=info.valid_from,
                valid_to=info.valid_to,
                algorithm=algorithm.value,
                certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
                chain_pem=pem_bundle(chain).decode(),
                picture=picture,
                created_at=now,
            )
        )
        session.flush()
        return info

    def seal_for(self, session: Session, department: str, *, licence: bool = False) -> Seal | None:
        """The seal valid now that a result of the department is sealed with (`chosen_for`)."""
        chosen = self.chosen_for(session, department, licence=licence)
        return self._load(chosen) if chosen else None

    @staticmethod
    def chosen_for(session: Session, department: str, *, licence: bool = False) -> SealRecord | None:
        """The record of the seal valid now that a result of the department is sealed with: an
        electronic licence (电子证照) with the department's 电子证照专用章 before its other seals; any
        other result — a decision, a denial above all, which grants no licence — with the
        department's other seals (业务专用章, 行政审批专用章, 公章), never its licence seal; else the
        node's 公章; else None. Its key is not opened: the 印章 page shows it too."""
        now = utcnow()
        live = [r for r in SealService.held(session) if as_utc(r.valid_from) <= now <= as_utc(r.valid_to)]
        own = [r for r in live if r.department == department]
        if licence:
            own.sort(key=lambda record: record.kind != LICENCE_SEAL)  # stable: newest first of each
        else:
            own = [r for r in own if r.kind != LICENCE_SEAL]
        return next(iter(own), None) or next((r for r in live if r.kind == OFFICIAL_SEAL), None)

    @staticmethod
    def held(session: Session) -> list[SealRecord]:
        """Every seal registered at this node, in force or not, the newest first."""
        return list(session.scalars(select(SealRecord).order_by(SealRecord.created_at.desc())).all())

    def _load(self, record: SealRecord) -> Seal:
        with self._lock:
            key = self._keys.get(record.seal_id)
            if key is None:
                key = keys.load_private_key(self._folder / f"{record.seal_id}.key", self._passphrase)
                self._keys[record.seal_id] = key
        info = SealInfo(
            seal_id=record.seal_id,
            holder=record.holder,
            holder_code=self.here.value,
            department=record.department,
            kind=record.kind,
            valid_from=as_utc(record.valid_from),
            valid_to=as_utc(record.valid_to),
            picture=record.picture,
        )
        certificate = x509.load_pem_x509_certificate(record.certificate_pem.encode())
        chain = x509.load_pem_x509_certificates(record.chain_pem.encode()) if record.chain_pem else []
        standard = self._folder / f"{record.seal_id}.seal"  # an SM2 seal's SESeal (DER)
        ses_seal = standard.read_bytes() if standard.exists() else b""
        return Seal(info, key, certificate, chain, ses_seal)  # type: ignore[arg-type]

    def accept_received(self, session: Session, case_id: str, document: bytes) -> None:
        """Keep the sealed result that came with a conclusion, after verifying it here, offline."""
        check = self.check_received(session, case_id, document)
        if session.get(SealedResult, case_id) is None:
            seal_id = check.seal.seal_id if check.seal else ""
            session.add(SealedResult(case_id=case_id, document=document, seal_id=seal_id, sealed_at=utcnow()))

    def with_revocation_values(self, session: Session, document: bytes) -> bytes:
        """A sealed result as this node hands it out: with the lists it holds from the seal's CAs
        issued since the result was attested (at the applicant's point, the one the handler sent
        with it), so the copy shows the seal was not revoked when made wherever it is checked, with
        the roots alone. A document without a token is judged when it is checked: no list helps."""
        try:
            sealed = SealedDocument.from_bytes(document)
            if not sealed.timestamp:
                return document
            attested = read_token(sealed.timestamp).gen_time
        except (SealError, TimestampRejected):
            return document  # handed out as stored: the check where it goes will say what is wrong
        issued_since = [
            crl
            for crl in known_crls(session)
            if crl.last_update_utc >= attested
            and any(crl_signed_by(crl, ca) for ca in sealed.signer_chain[1:])
        ]
        return attach_revocation_values(document, issued_since) if issued_since else document

    def check_received(self, session: Session, case_id: str, document: bytes) -> SealCheck:
        """Verify a sealed result that came with a conclusion against what this node trusts now
        (its roots, partner anchors and CRLs, as the database holds them); InvalidInput if it fails."""
        check = verify_sealed(document, self._trust(session))
        if not check.valid:
            raise InvalidInput(
                f"sealed result of case {case_id} does not verify: {in_beijing_time(check.reason)}"
            )
        return check

    def check_licence_stand_in(self, session: Session, material: Any, holder_id_number: str) -> None:
        """无证明: the material's content must be the holder's electronic licence (a sealed result
        carrying a licence block) that verifies here, names the identifier given, has not expired and
        is not known here as revoked, and is of the kind the material asks for."""
        check = verify_sealed(material.content, self._trust(session))
        where = f"{material.name}的电子证照 {material.licence}"
        if not check.valid:
            raise InvalidInput(f"{where} 验证未通过 (does not verify: {in_beijing_time(check.reason)})")
        try:
            body = read_json(SealedDocument.from_bytes(material.content).content)
            licence = body["licence"]
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidInput(
                f"{where}：所交文件是盖章文件，但不是电子证照 "
                "(the file is a sealed document but no electronic licence)"
            ) from error
        if licence.get("identifier") != material.licence.strip():
            raise InvalidInput(
                f"{where}：所交文件是电子证照 {licence.get('identifier')}，不是所填的证照编号 "
                "(the file is another licence than the one named)"
            )
        if licence.get("holder_id_number") != holder_id_number:
            raise InvalidInput(f"{where}：持证人不是申请人 (the licence belongs to someone else)")
        kind = str(licence.get("kind", ""))
        if not kind or (kind not in material.name and material.name not in kind):
            raise InvalidInput(
                f"{where}：所交电子证照是{kind or '未注明种类的证照'}，不能代替{material.name}，"
                f"请提交{material.name}或它的电子证照 (a {kind or 'licence of no kind'} cannot stand in "
                f"for {material.name})"
            )
        valid_to = str(licence.get("valid_to", "长期"))
        if valid_to != "长期" and datetime.fromisoformat(valid_to) < utcnow():
            raise InvalidInput(f"{where}：证照已于 {valid_to} 过期 (expired on {valid_to})")
        revoked = session.get(LicenceRevocation, material.licence.strip())
        if revoked is not None:
            raise InvalidInput(f"{where}：证照已吊销/撤销 (revoked: {revoked.reason})")

    def seal_result(
        self, session: Session, case: Case, department: str, note: str, licence: dict[str, Any] | None = None
    ) -> bytes:
        """Seal the result document of a case concluded here: its electronic licence, if the
        approval issued one, with the licence seal; any other result, a denial above all, with the
        department's business seal (`seal_for`)."""
        seal = self.seal_for(session, department, licence=bool(licence))
        if seal is None:
            what = "a licence" if licence else f"a decision (a {LICENCE_SEAL} seals licences only)"
            wanted = LICENCE_SEAL if licence else "业务专用章"
            raise NotReady(
                f"本节点没有 {department} 可用的印章（{wanted}或公章），办件未办结：请本节点运维人员用 "
                f"`wuji seal create`（部门 {department}，印章类型 {wanted}）刻制印章后再办结 "
                f"(no valid seal of {department} for {what}, nor a 公章, at node {self.here})"
            )
        body = result_document(case, seal.info.holder, note, licence)
        try:  # the province's service attests the time
            document = seal.apply(body, crls=known_crls(session), timestamp=self._timestamp)
        except TimestampUnavailable as unavailable:
            # sealed now, attested later: the result and its notice wait here for the token
            document = seal.apply(body, crls=known_crls(session))
            session.add(AwaitingTimestamp(case_id=case.id, peer="", notice=b"", since=utcnow()))
            session.flush()
            log.warning(
                "case %s: 结果等待时间戳 the sealed result waits for the province's time-stamp (%s)",
                case.id,
                unavailable,
            )
        sealed = document.to_bytes()
        session.add(
            SealedResult(
                case_id=case.id, document=sealed, seal_id=seal.info.seal_id, sealed_at=document.signing_time
            )
        )
        return sealed

    def vouch_unrevoked(self, session: Session, notice: link_pb2.CaseEventNotice) -> None:
        """Attach to a conclusion notice the revocation list of the CA here that certified its
        result's seal, issued now, after the result was attested: the applicant's point can then
        say the seal was not revoked when it was made (the lists the document embeds are older)."""
        if self._office is None or not notice.event.sealed_result:
            return
        document = SealedDocument.from_bytes(notice.event.sealed_result)
        if not document.timestamp:
            return  # judged when it is verified: no list issued now speaks for that later moment
        authority = self._office.issuer_of(document.signer_chain[0])
        if authority is None:
            return  # certified by another node's CA
        # dated no earlier than the attested time, which the province's clock gave
        at = max(utcnow(), read_token(document.timestamp).gen_time)
        crl = self._office.publish_crl(session, authority, at=at)
        notice.revocation_list.CopyFrom(
            link_pb2.RevocationList(
                issuer=self.here.value,
                number=crl_number(crl),
                crl_der=crl.public_bytes(serialization.Encoding.DER),
                issuer_chain=[
                    c.public_bytes(serialization.Encoding.DER) for c in authority.full_chain()[:-1]
                ],
            )
        )

    def hold_notice(
        self, session: Session, case_id: str, peer: str, notice: link_pb2.CaseEventNotice
    ) -> bool:
        """Keep a conclusion notice back while its result waits for a token; True if held."""
        waiting = session.get(AwaitingTimestamp, case_id)
        if waiting is None:
            return False
        waiting.peer, waiting.notice = peer, notice.SerializeToString()
        return True

    def awaiting(self, session: Session, case_id: str) -> bool:
        """结果等待时间戳: the case's sealed result still waits for its time-stamp token."""
        return session.get(AwaitingTimestamp, case_id) is not None

    @staticmethod
    def waiting_for_tokens(session: Session) -> list[tuple[str, bytes]]:
        """(case id, sealed result) of the results that wait for a token, in the order they were sealed."""
        query = (
            select(AwaitingTimestamp.case_id, SealedResult.document)
            .join(SealedResult, SealedResult.case_id == AwaitingTimestamp.case_id)
            .order_by(AwaitingTimestamp.since)
        )
        return [(case_id, document) for case_id, document in session.execute(query)]

    def stamp_awaiting(self, waiting: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        """Each waiting result stamped now, (case id, the stamped document), up to the first the
        service still cannot stamp. Called outside any transaction: a slow or broken way to the
        province then holds up nothing else of the node."""
        if self._timestamp is None:
            return []
        stamped: list[tuple[str, bytes]] = []
        for case_id, stored in waiting:
            document = SealedDocument.from_bytes(stored)
            try:
                document.timestamp = self._timestamp(document.imprint())
                if document.ses_signature:
                    document.ses_signature = with_timestamp(document.ses_signature, self._timestamp)
            except TimestampUnavailable:
                break
            stamped.append((case_id, document.to_bytes()))
        return stamped

    def complete_awaiting(
        self, session: Session, stamped: list[tuple[str, bytes]], send: NoticeSender
    ) -> int:
        """Keep the stamped results and send each one's conclusion notice on; how many were completed."""
        done = 0
        for case_id, document in stamped:
            waiting = session.get(AwaitingTimestamp, case_id)
            if waiting is None:
                continue  # completed meanwhile
            stored = session.get(SealedResult, case_id)
            session.delete(waiting)
            if stored is None:
                continue
            stored.document = document
            if waiting.peer:
                notice = link_pb2.CaseEventNotice.FromString(waiting.notice)
                notice.event.sealed_result = document
                self.vouch_unrevoked(session, notice)
                send(session, waiting.peer, notice)
            done += 1
            log.info("case %s: the sealed result has its time-stamp and goes on", case_id)
        return done


def result_document(case: Case, holder: str, note: str, licence: dict[str, Any] | None = None) -> bytes:
    """The canonical bytes of a case's result (办件结果), the thing the seal vouches for."""
    body: dict[str, Any] = {
        "document": "办件结果",
        "case_id": case.id,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "applicant": {"name": case.applicant_name, "id_number": case.applicant_id_number},
        "outcome": {"APPROVED": "准予", "DENIED": "不予"}.get(case.outcome or "", ""),
        "decision": note,
        "handler": case.handler,
        "handler_name": holder,
        "concluded_at": as_utc(case.updated_at).isoformat(timespec="seconds"),
    }
    if licence:
        body["document"] = "电子证照"
        body["licence"] = licence
    return json.dumps(body, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")
