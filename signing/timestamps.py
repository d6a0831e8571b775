"""Time-stamp tokens (时间戳, RFC 3161): a signing time the sealing node cannot set by itself.

A province node runs the time-stamping unit (TSA): its key is certified by the province's own CA for
id-kp-timeStamping alone (critical, RFC 3161 §2.3). A token is a CMS SignedData whose content is a
TSTInfo — the hash of the stamped data (here: a seal's signature), the TSA's time, a serial, a nonce
— signed over signed attributes that name the TSA certificate (ESS signing-certificate-v2), so
`openssl ts -verify` accepts it. The structures are built and read with asn1crypto; the signature
itself is cryptography's ECDSA P-256 with SHA-256.

`TimeStampAuthority.stamp` makes a token; `read_token` parses one once (callers keep the parsed
`Token`); `verify_token` checks it against a trust store and returns the attested time, or raises
`TimestampRejected` naming the failed check.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing.pki import CertificatePurpose, division_code_of, utc
from signing.trust import ChainRejected, TrustStore

# uuid 5f0f3f8e-4d0c-4b53-9d0e-8c1a1f6c2b7e under 2.25: wuji's time-stamping policy (one per
# federation; a token names the policy it was issued under). Minted once; never change it.
POLICY_OID = "2.25.126439335398916702282658546578452400510"


class TimestampRejected(Exception):
    """A time-stamp token does not hold; `reason` says which check failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Token:
    """A parsed time-stamp token: what verification reads, extracted once."""

    der: bytes
    gen_time: datetime
    serial: int
    imprint_algorithm: str
    imprint: bytes
    signer: x509.Certificate  # the TSA certificate that signed it
    others: tuple[x509.Certificate, ...]  # further certificates the token carries (the TSA's chain)
    signed_attributes: bytes  # DER of the SET OF signed attributes, as the signature covers it
    signature: bytes
    content_digest_ok: bool  # the message-digest attribute matches the TSTInfo
    names_signer: bool  # the ESS signing-certificate(-v2) attribute names the signer certificate

    @property
    def tsa_code(self) -> str:
        try:
            return division_code_of(self.signer)
        except ValueError:
            return "?"


@dataclass
class TimeStampAuthority:
    """A province's time-stamping unit (时间戳服务): its key and certificate chain (TSA first)."""

    key: ec.EllipticCurvePrivateKey
    chain: list[x509.Certificate]  # the TSA certificate, then its CA up to the root

    def stamp(self, imprint: bytes, *, nonce: int | None = None, at: datetime | None = None) -> bytes:
        """The DER token over a SHA-256 imprint (32 bytes), at the TSA's own clock."""
        if len(imprint) != 32:
            raise ValueError(f"a SHA-256 imprint is 32 bytes, not {len(imprint)}")
        certificate = self.chain[0]
        now = utc(at or datetime.now(UTC)).replace(microsecond=0)
        info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": POLICY_OID,
                "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": imprint},
                "serial_number": secrets.randbits(127) + 1,
                "gen_time": now,
                "accuracy": {"seconds": 1},
                "ordering": False,
                **({"nonce": nonce} if nonce is not None else {}),
            }
        )
        content = info.dump()
        certificate_der = certificate.public_bytes(serialization.Encoding.DER)
        attributes = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]},
                cms.CMSAttribute.load(_names_signer_attribute(certificate_der)),
            ]
        )
        signature = self.key.sign(attributes.dump(), ec.ECDSA(hashes.SHA256()))
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": {
                            "issuer": asn1_x509.Name.load(certificate.issuer.public_bytes()),
                            "serial_number": certificate.serial_number,
                        }
                    }
                ),
                "digest_algorithm": {"algorithm": "sha256"},
                "signed_attrs": attributes,
                "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                "signature": signature,
            }
        )
        signed = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
                "encap_content_info": {"content_type": "tst_info", "content": info},
                "certificates": _certificate_set(tuple(self.chain)),
                "signer_infos": [signer_info],
            }
        )
        return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def read_token(der: bytes) -> Token:
    """Parse a token; TimestampRejected if it is not a well-formed RFC 3161 token."""
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise TimestampRejected("not a time-stamp token: the content is not CMS SignedData")
        signed = info["content"]
        signers = signed["signer_infos"]
        if len(signers) != 1:
            raise TimestampRejected(f"a time-stamp token has one signer, this one {len(signers)}")
        signer_info = signers[0]
        # Raw bytes first: asn1crypto re-encodes a structure once its values have been read.
        attributes = signer_info["signed_attrs"]
        signed_attributes = b"\x31" + attributes.dump()[1:]  # the [0] IMPLICIT tag becomes SET
        certificate_ders = [c.chosen.dump() for c in signed["certificates"] if c.name == "certificate"]
        sid = signer_info["sid"]
        if sid.name != "issuer_and_serial_number":
            raise TimestampRejected("the token's signer is not named by issuer and serial number")
        issuer = sid.chosen["issuer"].dump()
        encapsulated = signed["encap_content_info"]
        if encapsulated["content_type"].native != "tst_info":
            raise TimestampRejected("not a time-stamp token: the signed content is not a TSTInfo")
        content = encapsulated["content"].contents
        tst = tsp.TSTInfo.load(content)
        certificates = [_load_certificate(d) for d in certificate_ders]
        serial = sid.chosen["serial_number"].native
        signer = next(
            (c for c in certificates if c.serial_number == serial and c.issuer.public_bytes() == issuer),
            None,
        )
        if signer is None:
            raise TimestampRejected("the token does not carry the certificate of the TSA that signed it")
        values = {a["type"].native: a["values"] for a in attributes}
        digest = values.get("message_digest")
        content_type = values.get("content_type")
        signer_der = signer.public_bytes(serialization.Encoding.DER)
        names_signer = _names_certificate(values, signer_der)
        imprint = tst["message_imprint"]
        token = Token(
            der=der,
            gen_time=utc(tst["gen_time"].native),
            serial=tst["serial_number"].native,
            imprint_algorithm=imprint["hash_algorithm"]["algorithm"].native,
            imprint=imprint["hashed_message"].native,
            signer=signer,
            others=tuple(c for c in certificates if c is not signer),
            signed_attributes=signed_attributes,
            signature=signer_info["signature"].native,
            content_digest_ok=(
                digest is not None
                and content_type is not None
                and content_type[0].native == "tst_info"
                and digest[0].native == hashlib.sha256(content).digest()
            ),
            names_signer=names_signer,
        )
    except TimestampRejected:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise TimestampRejected(f"malformed time-stamp token: {error}") from error
    return token


def verify_token(token: Token, data: bytes, trust: TrustStore) -> datetime:
    """The attested time if `token` stamps SHA-256(`data`) and chains to a trusted province's TSA."""
    if token.imprint_algorithm != "sha256":
        raise TimestampRejected(f"the token stamps a {token.imprint_algorithm} hash; wuji uses sha256")
    if token.imprint != hashlib.sha256(data).digest():
        raise TimestampRejected("the time-stamp token is for other data (not this seal's signature)")
    if not token.content_digest_ok:
        raise TimestampRejected("the token's signed attributes do not match its TSTInfo")
    if not token.names_signer:
        raise TimestampRejected("the token's signing-certificate attribute does not name its signer")
    key = token.signer.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise TimestampRejected("the TSA certificate does not hold an ECDSA key")
    try:
        key.verify(token.signature, token.signed_attributes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise TimestampRejected("the time-stamp token's signature does not verify") from None
    try:
        trust.verify_chain(token.signer, list(token.others), CertificatePurpose.TIMESTAMP, at=token.gen_time)
    except ChainRejected as rejected:
        raise TimestampRejected(f"the time-stamping certificate is refused: {rejected.reason}") from rejected
    return token.gen_time


def imprint_of(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _names_certificate(values: dict[str, Sequence[core.Asn1Value]], certificate_der: bytes) -> bool:
    """The ESS signing-certificate-v2 (SHA-256) or v1 (SHA-1) attribute names this certificate."""
    if "signing_certificate_v2" in values:
        for entry in values["signing_certificate_v2"][0]["certs"]:
            algorithm = entry["hash_algorithm"]["algorithm"].native
            digest = hashlib.sha256(certificate_der).digest()
            if algorithm == "sha256" and entry["cert_hash"].native == digest:
                return True
        return False
    if "signing_certificate" in values:
        first = values["signing_certificate"][0]["certs"][0]
        return bool(first["cert_hash"].native == hashlib.sha1(certificate_der).digest())
    return False


@functools.lru_cache(maxsize=16)
def _names_signer_attribute(certificate_der: bytes) -> bytes:
    """The ESS signing-certificate-v2 attribute naming the TSA certificate (SHA-256), encoded once
    per certificate: asn1crypto takes some 25 ms to build it."""
    return cms.CMSAttribute(
        {
            "type": "signing_certificate_v2",
            "values": [
                {
                    "certs": [
                        {
                            "hash_algorithm": {"algorithm": "sha256"},
                            "cert_hash": hashlib.sha256(certificate_der).digest(),
                        }
                    ]
                }
            ],
        }
    ).dump()


@functools.lru_cache(maxsize=16)
def _certificate_set(chain: tuple[x509.Certificate, ...]) -> cms.CertificateSet:
    """The TSA's chain as a CMS CertificateSet, encoded once: asn1crypto would otherwise re-encode
    every certificate of every token."""
    encoded = cms.CertificateSet(
        [cms.CertificateChoices.load(c.public_bytes(serialization.Encoding.DER)) for c in chain]
    )
    # tagged as SignedData holds it ([0] IMPLICIT), so placing it there needs no re-tagging copy
    return cms.CertificateSet.load(b"\xa0" + encoded.dump()[1:], implicit=0)


@functools.lru_cache(maxsize=256)
def _load_certificate(der: bytes) -> x509.Certificate:
    """Cached: every token of one TSA carries the same chain, and the same objects let the trust
    store find its verdict at once."""
    return x509.load_der_x509_certificate(der)
