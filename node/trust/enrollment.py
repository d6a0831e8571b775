"""Enrollment (入网): a parent invites a child with a one-time token; the child sends CSRs with it.

Parent side: `create_invite` (via the desk) and `EnrollmentServicer`. Child side: `enroll`, which
also covers a province creating its own root CA.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from node.config import NodeConfig
from node.errors import InvalidInput, NotReady, WrongNode
from node.store.models import EnrollmentInvite, IssuedCertificate
from node.timeutil import as_utc, shanghai, utcnow
from node.trust.certificates import CertificateOffice, known_crls
from node.trust.identity import NodeIdentity, pem_bundle, subject_code, write_private_file
from node.trust.names import seal_ca_name
from node.trust.sealing import SealRequest, certify_seal
from node.trust.timestamping import Timestamping
from signing.algorithms import Algorithm, generate_key
from signing.pki import CLOCK_SKEW, Authority, CertificatePurpose, IssuanceRefused, make_csr
from sync.auth import PeerAuthenticator, require_peer
from sync.transport import tls_server_name
from wuji.divisions import DivisionCode, InvalidDivisionCode, Tier
from wuji.v1 import desk_pb2, enroll_pb2, enroll_pb2_grpc

DEFAULT_INVITE_HOURS = 24


class EnrollmentRefused(Exception):
    """The parent would not enroll this node; the message is the parent's reason."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(
    session: Session, here: DivisionCode, identity: NodeIdentity, address: str, code: str, valid_hours: int
) -> desk_pb2.Invite:
    """A one-time token for a direct child; only the token's hash is stored."""
    try:
        child = DivisionCode.parse(code)
    except InvalidDivisionCode as error:
        raise InvalidInput(str(error)) from error
    if child.parent != here:
        raise InvalidInput(
            f"{child} 不是本节点 {here} 的下级：请到它的上级 {child.parent} 去邀请它 "
            f"({child} is not a child of {here}: invite it at its own parent {child.parent})"
        )
    now = utcnow()
    enrolled = _enrolled(session, child.value, now)
    if enrolled is not None:  # a second node of one code would take over its links and its name
        raise InvalidInput(
            f"节点 {child} 已入网：它持有本节点签发、有效至 {shanghai(enrolled.not_after)}（北京时间）的证书"
            f"（序号 {enrolled.serial}）。一个代码只能有一个节点；要换一台电脑，先 "
            f"`wuji cert revoke {child}` 吊销旧证书，再邀请 (node {child} is enrolled already: revoke its "
            "certificate before inviting a replacement)"
        )
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=valid_hours or DEFAULT_INVITE_HOURS)
    session.add(
        EnrollmentInvite(token_hash=_token_hash(token), code=child.value, created_at=now, expires_at=expires)
    )
    return desk_pb2.Invite(
        parent_code=here.value,
        parent_address=address,
        code=child.value,
        token=token,
        expires_at=expires.isoformat(timespec="seconds"),
        trust_anchors_pem=pem_bundle(identity.roots).decode(),
        seal_algorithm=Algorithm.SM2_SM3.value if identity.seals_with_sm2 else "",
    )


def _enrolled(session: Session, code: str, now: datetime) -> IssuedCertificate | None:
    """The certificate that makes code a node of this one's, while it is valid and not revoked: a
    village's link certificate, or the CA certificate of a node that issues its own."""
    return session.scalars(
        select(IssuedCertificate).where(
            IssuedCertificate.code == code,
            IssuedCertificate.purpose.in_((CertificatePurpose.TLS.value, CertificatePurpose.CA.value)),
            IssuedCertificate.revoked_at.is_(None),
            IssuedCertificate.not_after > now,
        )
    ).first()


def _invite_again(code: str) -> str:
    """The next step when an invite cannot be used, as the child's operator reads it."""
    return (
        f"请上级节点的操作员在上级运行 `wuji node invite {code} --config <上级的 node.toml>`，"
        "把新的邀请文件交给你，再用它 `wuji node enroll --invite <新邀请文件>`"
    )


def redeem(session: Session, token: str, code: str) -> None:
    """Use a token once; EnrollmentRefused says why it cannot be used."""
    invite = session.get(EnrollmentInvite, _token_hash(token), with_for_update=True)
    if invite is None:
        raise EnrollmentRefused(
            f"本节点没有发出过这份邀请（或已恢复为更早的备份）：{_invite_again(code)} "
            "(unknown enrollment token; ask the parent for a new invite)"
        )
    if invite.used_at is not None:
        used = f"{shanghai(invite.used_at)}（北京时间）"
        raise EnrollmentRefused(
            f"这份邀请已于 {used} 用过，每份只能用一次：{_invite_again(code)} "
            f"(this token was used already on {used}; ask the parent for a new invite)"
        )
    if as_utc(invite.expires_at) < utcnow():
        expired = f"{shanghai(invite.expires_at)}（北京时间）"
        raise EnrollmentRefused(
            f"这份邀请已于 {expired} 过期：{_invite_again(code)} "
            f"(this token expired on {expired}; ask the parent for a new invite)"
        )
    if invite.code != code:
        raise EnrollmentRefused(
            f"这份邀请是给节点 {invite.code} 的，不是 {code}：{_invite_again(code)} "
            f"(this token is for node {invite.code}, not {code})"
        )
    # two invites made for one code before either was used: the first used makes the node, and
    # the other must not make a second node of the same code, which would take its links over
    enrolled = _enrolled(session, code, utcnow())
    if enrolled is not None:
        raise EnrollmentRefused(
            f"节点 {code} 已用另一份邀请入网（证书序号 {enrolled.serial}，有效至 "
            f"{shanghai(enrolled.not_after)}（北京时间））：一个代码只能有一个节点，这份邀请不能再用。"
            f"要换一台电脑，请上级先 `wuji cert revoke {code}` 吊销旧证书，再发新的邀请 "
            f"(node {code} is enrolled already, with another invite)"
        )
    invite.used_at = utcnow()


class EnrollmentServicer(enroll_pb2_grpc.EnrollmentServicer):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        identity: NodeIdentity,
        office: CertificateOffice | None,
        authenticator: PeerAuthenticator,
        timestamping: Timestamping | None = None,
    ) -> None:
        self._sessions = sessions
        self._identity = identity
        self._office = office
        self._authenticator = authenticator
        self._timestamping = timestamping

    def Enroll(
        self, request: enroll_pb2.EnrollRequest, context: grpc.ServicerContext
    ) -> enroll_pb2.EnrollResponse:
        if self._office is None:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "a village has no children to enroll")
        try:
            code = DivisionCode.parse(request.code)
            with self._sessions.begin() as session:  # the token is spent only if a certificate is issued
                redeem(session, request.token, code.value)
                response = enroll_pb2.EnrollResponse(
                    chain_pem=pem_bundle(self._office.authority.full_chain()),
                    root_pem=pem_bundle(self._identity.roots),
                    crl_pem=[crl.public_bytes(serialization.Encoding.PEM) for crl in known_crls(session)],
                )
                village = code.tier is Tier.VILLAGE
                csr = x509.load_pem_x509_csr(request.tls_csr_pem if village else request.ca_csr_pem)
                if subject_code(csr.subject) != code.value:
                    raise EnrollmentRefused(
                        f"the CSR is for {subject_code(csr.subject) or 'no code'}, the token for {code}"
                    )
                if village:
                    tls = self._office.issue(session, csr, CertificatePurpose.TLS)
                    response.tls_certificate_pem = tls.public_bytes(serialization.Encoding.PEM)
                else:
                    ca = self._office.issue(session, csr, CertificatePurpose.CA, valid_days=5 * 365)
                    response.ca_certificate_pem = ca.public_bytes(serialization.Encoding.PEM)
                self._seal_tree(session, code, request, response)
                return response
        except (EnrollmentRefused, IssuanceRefused) as refused:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, str(refused))
        except (InvalidDivisionCode, ValueError) as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"malformed enrollment request: {error}")

    def _seal_tree(
        self,
        session: Session,
        code: DivisionCode,
        request: enroll_pb2.EnrollRequest,
        response: enroll_pb2.EnrollResponse,
    ) -> None:
        """An SM2 province's seal tree follows the link tree: a child above the village gets its
        SM2 seal CA from this node's seal CA; every child learns the seal chain (and so the root)."""
        assert self._office is not None
        seal_authority = self._office.seal_authority
        if seal_authority is None:
            return
        response.seal_chain_pem = pem_bundle(seal_authority.full_chain())
        if code.tier is Tier.VILLAGE:
            return
        if not request.seal_ca_csr_pem:
            raise EnrollmentRefused(
                f"this province seals with SM2: {code} must ask for an SM2 seal CA (a newer wuji)"
            )
        csr = x509.load_pem_x509_csr(request.seal_ca_csr_pem)
        if subject_code(csr.subject) != code.value:
            raise EnrollmentRefused(f"the seal CA request is for {subject_code(csr.subject) or 'no code'}")
        seal_ca = self._office.issue(session, csr, CertificatePurpose.CA, valid_days=5 * 365, seal_tree=True)
        response.seal_ca_certificate_pem = seal_ca.public_bytes(serialization.Encoding.PEM)

    def CertifySeal(
        self, request: enroll_pb2.CertifySealRequest, context: grpc.ServicerContext
    ) -> enroll_pb2.CertifySealResponse:
        peer = require_peer(self._authenticator, context)
        if self._office is None:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "a village certifies no seals")
        try:
            csr = x509.load_pem_x509_csr(request.csr_pem)
            if subject_code(csr.subject) != peer.value:
                context.abort(
                    grpc.StatusCode.PERMISSION_DENIED, f"node {peer} may only certify its own seals"
                )
            if request.seal_id and not request.seal_id.startswith(f"{peer.value}-"):
                context.abort(
                    grpc.StatusCode.PERMISSION_DENIED, f"node {peer} may only name seals {peer.value}-…"
                )
            now = utcnow()
            asked_from = as_utc(datetime.fromisoformat(request.valid_from)) if request.valid_from else now
            seal = SealRequest(
                csr=csr,
                seal_id=request.seal_id or f"{peer.value}-seal",
                name=request.seal_name or subject_code(csr.subject),
                valid_from=max(asked_from, now - CLOCK_SKEW),  # a seal's validity starts no earlier than now
                valid_to=(
                    as_utc(datetime.fromisoformat(request.valid_to))
                    if request.valid_to
                    else now + timedelta(days=3 * 365)
                ),
                picture=request.picture,
            )
            with self._sessions.begin() as session:
                certified = certify_seal(session, self._office, seal)
        except IssuanceRefused as refused:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, str(refused))
        except ValueError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"malformed CSR: {error}")
        return enroll_pb2.CertifySealResponse(
            certificate_pem=certified.certificate.public_bytes(serialization.Encoding.PEM),
            chain_pem=pem_bundle(certified.chain),
            ses_seal=certified.ses_seal,
        )

    def Timestamp(
        self, request: enroll_pb2.TimestampRequest, context: grpc.ServicerContext
    ) -> enroll_pb2.TimestampResponse:
        """A direct child's seal is time-stamped by the province (passed on from here if need be)."""
        peer = require_peer(self._authenticator, context)
        if peer.parent != self._identity.code:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{peer} is not a child of this node")
        if self._timestamping is None:
            context.abort(grpc.StatusCode.UNAVAILABLE, "no time-stamping service here")
        if len(request.imprint) != 32:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the imprint is a 32-byte SHA-256 hash")
        try:
            token = self._timestamping.stamp(request.imprint, request.nonce)
        except NotReady as unavailable:
            context.abort(grpc.StatusCode.UNAVAILABLE, str(unavailable))
        return enroll_pb2.TimestampResponse(token=token)


# -- the child's side -------------------------------------------------------------------------


@dataclass(frozen=True)
class InviteFile:
    parent_code: str
    parent_address: str
    code: str
    token: str
    expires_at: datetime
    trust_anchors_pem: bytes
    seal_algorithm: str = ""  # "sm2-sm3": the province's SM2 seal tree, the child gets a seal CA
    # the parent's link address (its listen) as its config says, where `wuji node invite` knows it:
    # `wuji node enroll` warns where the child's parent_address is another
    parent_listen: str = ""

    @classmethod
    def from_message(cls, invite: desk_pb2.Invite) -> InviteFile:
        return cls(
            parent_code=invite.parent_code,
            parent_address=invite.parent_address,
            code=invite.code,
            token=invite.token,
            expires_at=datetime.fromisoformat(invite.expires_at),
            trust_anchors_pem=invite.trust_anchors_pem.encode(),
            seal_algorithm=invite.seal_algorithm,
        )

    def save(self, path: Path) -> None:
        body = {
            "parent_code": self.parent_code,
            "parent_address": self.parent_address,
            "code": self.code,
            "token": self.token,
            "expires_at": self.expires_at.isoformat(timespec="seconds"),
            "trust_anchors_pem": self.trust_anchors_pem.decode(),
            "seal_algorithm": self.seal_algorithm,
            **({"parent_listen": self.parent_listen} if self.parent_listen else {}),
        }
        write_private_file(path, json.dumps(body, ensure_ascii=False, indent=2).encode())

    @classmethod
    def load(cls, path: Path) -> InviteFile:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as error:
            raise InvalidInput(
                f"找不到邀请文件 {path}：请核对文件名和所在的文件夹 (no invite file at {path})"
            ) from error
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInput(f"读不了邀请文件 {path} (cannot read invite {path}: {error})") from error
        try:
            raw = json.loads(text)
            return cls(
                parent_code=raw["parent_code"],
                parent_address=raw["parent_address"],
                code=raw["code"],
                token=raw["token"],
                expires_at=datetime.fromisoformat(raw["expires_at"]),
                trust_anchors_pem=raw["trust_anchors_pem"].encode(),
                seal_algorithm=raw.get("seal_algorithm", ""),
                parent_listen=raw.get("parent_listen", ""),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidInput(
                f"{path} 不是一份完整的邀请文件：请上级节点的操作员用 `wuji node invite` 重新生成 "
                f"({path} is not an invite made by `wuji node invite`: {error})"
            ) from error


def _refusal_words(error: grpc.RpcError, invite: InviteFile) -> str:
    """Why the parent named in an invite gave no certificates, and what to do, in Chinese first."""
    code = error.code() if isinstance(error, grpc.Call) else None
    details = error.details() if isinstance(error, grpc.Call) else str(error)
    address, parent = invite.parent_address, invite.parent_code
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return (
            f"连不上上级节点 {parent} 的证书申请服务 {address}：上级节点没有运行，或邀请里的地址、端口不对"
            "（证书申请在上级 listen 端口的下一个端口，或其 enroll_listen）；"
            "请上级节点的操作员确认节点在运行，"
            f"必要时在上级重新运行 `wuji node invite {invite.code}` 生成邀请 "
            f"(cannot reach the parent {parent}'s enrollment service at {address}: {details})"
        )
    return f"上级节点 {parent}（{address}）未发给本节点证书：{details}"


def create_root(
    code: DivisionCode,
    name: str,
    folder: Path,
    passphrase: bytes,
    seal_algorithm: Algorithm = Algorithm.ECDSA_P256_SHA256,
) -> NodeIdentity:
    """A province's own root CA and its TLS certificate; with SM2 seals, its SM2 seal root too."""
    if code.tier is not Tier.PROVINCE:
        raise WrongNode(f"only a province creates a root CA; {code} enrolls with its parent")
    authority = Authority.create_root(code.value, name or code.value)
    seal_authority = None
    if Algorithm(seal_algorithm) is Algorithm.SM2_SM3:
        seal_authority = Authority.create_root(
            code.value, seal_ca_name(name or code.value), algorithm=Algorithm.SM2_SM3
        )
    elif Algorithm(seal_algorithm) is not Algorithm.ECDSA_P256_SHA256:
        raise InvalidInput(f"a province seals with sm2-sm3 or ecdsa-p256-sha256, not {seal_algorithm}")
    return _finish(code, folder, passphrase, authority, authority.full_chain()[-1:], seal_authority)


def province_seal_algorithm(config: NodeConfig) -> Algorithm:
    """The algorithm a province's configuration chose for its seals."""
    return Algorithm.SM2_SM3 if config.seal_algorithm == "sm2" else Algorithm.ECDSA_P256_SHA256


def enroll(
    code: DivisionCode,
    name: str,
    folder: Path,
    passphrase: bytes,
    invite: InviteFile,
    timeout: float = 20.0,
) -> tuple[NodeIdentity, list[x509.CertificateRevocationList]]:
    """Ask the parent for certificates with a one-time token; returns the identity (saved) and CRLs."""
    if invite.code != code.value:
        raise InvalidInput(
            f"这份邀请是给节点 {invite.code} 的，不是给本节点 {code} 的：请核对 --config 和 --invite "
            f"是否拿错 (this invite is for node {invite.code}, not {code})"
        )
    address = invite.parent_address
    credentials = grpc.ssl_channel_credentials(root_certificates=invite.trust_anchors_pem)
    options = [("grpc.ssl_target_name_override", tls_server_name(invite.parent_code))]
    request = enroll_pb2.EnrollRequest(token=invite.token, code=code.value)
    ca_key = tls_key = seal_ca_key = None
    if code.tier is Tier.VILLAGE:
        tls_key = generate_key(Algorithm.ECDSA_P256_SHA256)
        request.tls_csr_pem = _pem(make_csr(tls_key, code.value, CertificatePurpose.TLS, name))
    else:
        ca_key = generate_key(Algorithm.ECDSA_P256_SHA256)
        request.ca_csr_pem = _pem(make_csr(ca_key, code.value, CertificatePurpose.CA, name))
        if invite.seal_algorithm == Algorithm.SM2_SM3.value:  # the province's SM2 seal tree
            seal_ca_key = generate_key(Algorithm.SM2_SM3)
            seal_csr = make_csr(
                seal_ca_key, code.value, CertificatePurpose.CA, seal_ca_name(name or code.value)
            )
            request.seal_ca_csr_pem = _pem(seal_csr)
    with grpc.secure_channel(address, credentials, options=options) as channel:
        try:
            response = enroll_pb2_grpc.EnrollmentStub(channel).Enroll(request, timeout=timeout)
        except grpc.RpcError as error:
            raise EnrollmentRefused(_refusal_words(error, invite)) from error
    parent_chain = x509.load_pem_x509_certificates(response.chain_pem)
    roots = x509.load_pem_x509_certificates(response.root_pem)
    crls = [x509.load_pem_x509_crl(pem) for pem in response.crl_pem]
    seal_chain = x509.load_pem_x509_certificates(response.seal_chain_pem) if response.seal_chain_pem else []
    seal_authority = None
    if seal_ca_key is not None:
        if not response.seal_ca_certificate_pem:
            raise EnrollmentRefused(f"parent {invite.parent_code} issued no SM2 seal CA certificate")
        seal_certificate = x509.load_pem_x509_certificate(response.seal_ca_certificate_pem)
        seal_authority = Authority(seal_ca_key, seal_certificate, seal_chain)  # type: ignore[arg-type]
    if ca_key is not None:
        ca_certificate = x509.load_pem_x509_certificate(response.ca_certificate_pem)
        authority = Authority(ca_key, ca_certificate, parent_chain)  # type: ignore[arg-type]
        return _finish(code, folder, passphrase, authority, roots, seal_authority, seal_chain[-1:]), crls
    tls_certificate = x509.load_pem_x509_certificate(response.tls_certificate_pem)
    assert tls_key is not None, "a village (no CA key) made its TLS key above"
    identity = NodeIdentity(
        code,
        folder,
        tls_key,
        tls_certificate,
        parent_chain,
        roots,
        None,
        None,
        seal_chain[-1:],
    )
    identity.save(passphrase)
    return identity, crls


def _finish(
    code: DivisionCode,
    folder: Path,
    passphrase: bytes,
    authority: Authority,
    roots: list[x509.Certificate],
    seal_authority: Authority | None = None,
    seal_roots: list[x509.Certificate] | None = None,
) -> NodeIdentity:
    """A CA node issues its own TLS certificate and saves everything."""
    tls_key = generate_key(Algorithm.ECDSA_P256_SHA256)
    name = _common_name(authority.certificate.subject) or code.value
    tls_certificate = authority.issue(
        make_csr(tls_key, code.value, CertificatePurpose.TLS, name), CertificatePurpose.TLS
    )
    if seal_authority is not None and not seal_roots:
        seal_roots = seal_authority.full_chain()[-1:]
    identity = NodeIdentity(
        code,
        folder,
        tls_key,
        tls_certificate,
        authority.full_chain(),
        roots,
        authority,
        seal_authority,
        list(seal_roots or []),
    )
    identity.save(passphrase)
    return identity


def _pem(csr: x509.CertificateSigningRequest) -> bytes:
    return csr.public_bytes(serialization.Encoding.PEM)


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""
