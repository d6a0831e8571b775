"""A node's certificates and keys on disk, and the TLS credentials built from them.

Layout of the node's PKI folder (keys encrypted with the node passphrase, mode 0600):
  root.pem    trusted roots: this province's root (and, later, partner provinces' roots)
  ca.key/pem  the node's CA (every tier but the village)
  tls.key/pem the node's TLS certificate, used for every link and for the desk
  chain.pem   the CA certificates above tls.pem, nearest first, root last
  crls/       revocation lists known here, one file per issuing node
  seals/      sealing keys and certificates (see node/trust/sealing.py)
  catalog.key/pem  a province's catalogue-release signing key and its chain (node/catalogue/releases.py)
In a province that seals with SM2 (`--seal-algorithm sm2`), the SM2 seal tree beside the link tree:
  seal-root.pem   the province's SM2 seal root (every node, villages included)
  seal-ca.key/pem the node's SM2 seal CA (印章CA; every tier but the village; the root at the province)
  seal-chain.pem  the seal CA certificates above seal-ca.pem, nearest first, root last
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from signing import keys
from signing.algorithms import AlgorithmUnavailable, PrivateKey
from signing.pki import Authority
from signing.sm2x509 import SM2PrivateKey
from signing.trust import TrustStore
from sync.transport import Credentials
from wuji.divisions import DivisionCode


class IdentityMissing(Exception):
    """The node has no certificates yet: enroll it first."""


def missing_words(code: DivisionCode, folder: Path) -> str:
    """What to do where a node has no certificates: a new node enrolls; one that lost its keys (its
    pki folder deleted, a new machine without it) cannot get them back and is invited again."""
    if code.parent is None:
        return (
            f"节点 {code} 在 {folder} 中没有证书：新建的省级节点先运行 wuji node enroll 创建本省根证书；"
            f"原有的根证书丢失的，请从备份找回 pki 文件夹 (node {code} has no certificates in {folder}: "
            "run `wuji node enroll`)"
        )
    return (
        f"节点 {code} 在 {folder} 中没有证书：请找回原来的 pki 文件夹，或核对 --config 和 pki_dir；"
        f"证书丢失的（换了电脑、文件夹被删），请上级 {code.parent} 的运维人员先 wuji cert revoke {code}，"
        f"再 wuji node invite {code} 生成新的邀请，本节点用它 wuji node enroll --invite <邀请文件> "
        f"(node {code} has no certificates in {folder}: get a new invite from the parent {code.parent})"
    )


def pem_bundle(certificates: Iterable[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def subject_code(name: x509.Name) -> str:
    """The division code in a certificate's or CSR's subject (serialNumber)."""
    values = name.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(values[0].value) if values else ""


def write_private_file(path: Path, data: bytes) -> None:
    """Write a secret (an invite token, a passphrase) readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def load_bundle(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes() if path.exists() else b""
    return x509.load_pem_x509_certificates(data) if data.strip() else []  # a root's chain is empty


@dataclass
class NodeIdentity:
    code: DivisionCode
    folder: Path
    tls_key: PrivateKey
    tls_certificate: x509.Certificate
    chain: list[x509.Certificate]  # above tls_certificate, nearest first, root last
    roots: list[x509.Certificate]
    authority: Authority | None  # None at a village
    seal_authority: Authority | None = None  # the SM2 seal CA (an SM2 province, above the village)
    seal_roots: list[x509.Certificate] = field(default_factory=list)  # the province's SM2 seal root

    @property
    def seals_with_sm2(self) -> bool:
        """The province chose SM2 for its seals: its tree has an SM2 seal root."""
        return bool(self.seal_roots)

    @property
    def document_roots(self) -> list[x509.Certificate]:
        """The roots seals and documents chain to: the link root and the SM2 seal root. TLS uses
        `roots` only: a TLS library cannot read an SM2 certificate."""
        return [*self.roots, *self.seal_roots]

    @classmethod
    def exists(cls, folder: Path) -> bool:
        return (folder / "tls.pem").exists() and (folder / "tls.key").exists()

    @classmethod
    def load(cls, code: DivisionCode, folder: Path, passphrase: bytes) -> NodeIdentity:
        if not cls.exists(folder):
            raise IdentityMissing(missing_words(code, folder))
        tls_key = keys.load_private_key(folder / "tls.key", passphrase)
        tls_certificate = x509.load_pem_x509_certificate((folder / "tls.pem").read_bytes())
        chain = load_bundle(folder / "chain.pem")
        authority = None
        if (folder / "ca.key").exists():
            ca_key = keys.load_private_key(folder / "ca.key", passphrase)
            ca_certificate = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
            authority = Authority(ca_key, ca_certificate, chain[1:])  # type: ignore[arg-type]
        seal_authority = None
        if (folder / "seal-ca.key").exists():
            seal_authority = Authority(
                keys.load_private_key(folder / "seal-ca.key", passphrase),  # type: ignore[arg-type]
                x509.load_pem_x509_certificate((folder / "seal-ca.pem").read_bytes()),
                load_bundle(folder / "seal-chain.pem"),
            )
        roots = load_bundle(folder / "root.pem")
        seal_roots = load_bundle(folder / "seal-root.pem")
        return cls(
            code, folder, tls_key, tls_certificate, chain, roots, authority, seal_authority, seal_roots
        )

    def save(self, passphrase: bytes) -> None:
        keys.save_private_key(self.tls_key, self.folder / "tls.key", passphrase)
        keys.save_pem(self.folder / "tls.pem", pem_bundle([self.tls_certificate]))
        keys.save_pem(self.folder / "chain.pem", pem_bundle(self.chain))
        keys.save_pem(self.folder / "root.pem", pem_bundle(self.roots))
        if self.authority is not None:
            keys.save_private_key(self.authority.key, self.folder / "ca.key", passphrase)
            keys.save_pem(self.folder / "ca.pem", pem_bundle([self.authority.certificate]))
        if self.seal_roots:
            keys.save_pem(self.folder / "seal-root.pem", pem_bundle(self.seal_roots))
        if self.seal_authority is not None:
            keys.save_private_key(self.seal_authority.key, self.folder / "seal-ca.key", passphrase)
            keys.save_pem(self.folder / "seal-ca.pem", pem_bundle([self.seal_authority.certificate]))
            keys.save_pem(self.folder / "seal-chain.pem", pem_bundle(self.seal_authority.chain))

    # -- TLS ------------------------------------------------------------------------------------

    def _key_pem(self) -> bytes:
        key = self.tls_key
        if isinstance(key, SM2PrivateKey):  # enrollment makes TLS keys ECDSA P-256 (signing/pki.py)
            raise AlgorithmUnavailable(f"{self.folder / 'tls.key'} is an SM2 key: TLS cannot use it")
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def credentials(self, partner_roots: Callable[[], bytes] = bytes) -> Credentials:
        """mTLS both ways: we present our chain and accept only peers chaining to our roots.

        partner_roots: PEM of the partner provinces' roots (跨省通办) accepted as well, read again at
        each new handshake, so adding or removing a partner takes effect without a restart.
        A node still enrolling has no certificate yet, so enrollment has its own port with
        server-authenticated TLS only (`bootstrap_server`), where the one-time token authenticates.
        """
        certificate_chain = pem_bundle([self.tls_certificate, *self.chain[:-1]])
        roots = pem_bundle(self.roots)
        key_and_chain = [(self._key_pem(), certificate_chain)]
        accepted = [partner_roots()]

        def configuration() -> grpc.ServerCertificateConfiguration:
            return grpc.ssl_server_certificate_configuration(
                key_and_chain, root_certificates=roots + accepted[0]
            )

        def changed_configuration() -> grpc.ServerCertificateConfiguration | None:
            current = partner_roots()
            if current == accepted[0]:
                return None
            accepted[0] = current
            return configuration()

        return Credentials(
            server=grpc.dynamic_ssl_server_credentials(
                configuration(),
                # gRPC documents the fetcher's None as "no change"; types-grpcio leaves None out
                changed_configuration,  # type: ignore[arg-type]
                require_client_authentication=True,
            ),
            bootstrap_server=grpc.ssl_server_credentials(key_and_chain),
            channel=grpc.ssl_channel_credentials(
                root_certificates=roots + accepted[0],
                private_key=self._key_pem(),
                certificate_chain=certificate_chain,
            ),
        )

    def trust_store(self, crls: Iterable[x509.CertificateRevocationList] = ()) -> TrustStore:
        return TrustStore(self.document_roots, crls)


def passphrase(config_file: str, environ: Mapping[str, str] | None = None) -> bytes:
    """The key passphrase: from the file the config names, else from the environment."""
    if config_file:
        return Path(config_file).read_bytes().rstrip(b"\r\n")
    return keys.passphrase_from_environment(environ)
