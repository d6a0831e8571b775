"""Time-stamp tokens (时间戳, RFC 3161): a signing time the sealing node cannot set by itself.

A province node runs the time-stamping unit (TSA): its key is certified by the province's own CA for
id-kp-timeStamping alone (critical, RFC 3161 §2.3). A token is a CMS SignedData whose content is a
TSTInfo — the hash of the stamped data (here: a seal's signature), the TSA's time, a serial, a nonce
— signed over signed attributes that name the TSA certificate (ESS signing-certificate-v2), so
`openssl ts -verify` accepts it. Tokens are built with asn1crypto and read with the strict DER
reader of signing/der.py (a node reads one with every sealed result it receives, and asn1crypto
took longer than verifying its signature); the signature itself is cryptography's ECDSA P-256 with
SHA-256.

`TimeStampAuthority.stamp` makes a token; `read_token` parses one once (callers keep the parsed
`Token`); `verify_token` checks it against a trust store and returns the attested time, or raises
`TimestampRejected` naming the failed check.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing.algorithms import ECDSA_SHA256
from signing.der import (
    BOOLEAN,
    GENERALIZED_TIME,
    INTEGER,
    OCTET_STRING,
    OID,
    SEQUENCE,
    SET,
    DerError,
    Element,
    context,
    generalized_time,
    integer,
    octets,
    oid,
    oid_contents,
    parse,
)
from signing.pki import CertificatePurpose, division_code_of, utc
from signing.trust import CertificateOutOfDate, CertificateRevoked, ChainRejected, TrustStore

_SIGNED_DATA = oid_contents("1.2.840.113549.1.7.2")
_TST_INFO = oid_contents("1.2.840.113549.1.9.16.1.4")
_CONTENT_TYPE = oid_contents("1.2.840.113549.1.9.3")
_MESSAGE_DIGEST = oid_contents("1.2.840.113549.1.9.4")
_SIGNING_CERTIFICATE = oid_contents("1.2.840.113549.1.9.16.2.12")
_SIGNING_CERTIFICATE_V2 = oid_contents("1.2.840.113549.1.9.16.2.47")
_SHA256 = oid_contents("2.16.840.1.101.3.4.2.1")
# extendedCertificate, v1AttrCert, v2AttrCert, other: CertificateChoices a TSA does not need
_OTHER_CERTIFICATE_CHOICES = frozenset(context(number) for number in range(4))
_HASH_NAMES = {
    _SHA256: "sha256",
    oid_contents("1.3.14.3.2.26"): "sha1",
    oid_contents("2.16.840.1.101.3.4.2.2"): "sha384",
    oid_contents("2.16.840.1.101.3.4.2.3"): "sha512",
    oid_contents("1.2.156.10197.1.401"): "sm3",
}

# uuid 5f0f3f8e-4d0c-4b53-9d0e-8c1a1f6c2b7e under 2.25: wuji's time-stamping policy (one per
# federation; a token names the policy it was issued under). Minted once; never change it.
POLICY_OID = "2.25.126439335398916702282658546578452400510"


class TimestampRejected(Exception):
    """A time-stamp token does not hold; `reason` says which check failed. `untrusted`: the token
    is sound but its service's chain reaches no root trusted here (a partner province no longer
    trusted, a forged service), which is not a fault of the token."""

    def __init__(self, reason: str, *, untrusted: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.untrusted = reason, untrusted


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
    """Parse a token; TimestampRejected if it is not a well-formed RFC 3161 token in DER.

    What is the same bytes in every token of one TSA (the certificates it carries, its signer's
    name, its content-type and signing-certificate attributes) is read once per process."""
    try:
        return _read_token(der)
    except TimestampRejected:
        raise
    except (ValueError, TypeError, x509.InvalidVersion) as error:  # DerError, or a bad certificate
        raise TimestampRejected(f"malformed time-stamp token: {error}") from error


def _read_token(der: bytes) -> Token:
    info = parse(der, "ContentInfo").expect(SEQUENCE, "ContentInfo").fields("ContentInfo")
    if info.take(OID, "contentType").value != _SIGNED_DATA:
        raise TimestampRejected("not a time-stamp token: the content is not CMS SignedData")
    signed = info.take(context(0), "content").only("content").expect(SEQUENCE, "SignedData")
    info.end()
    fields = signed.fields("SignedData")
    integer(fields.take(INTEGER, "version"), "SignedData version")
    fields.take(SET, "digestAlgorithms")
    encapsulated = fields.take(SEQUENCE, "encapContentInfo").fields("EncapsulatedContentInfo")
    carried = fields.optional(context(0))  # certificates [0] IMPLICIT
    fields.optional(context(1))  # crls [1] IMPLICIT: not read
    signers = fields.take(SET, "signerInfos").children()
    fields.end()
    if len(signers) != 1:
        raise TimestampRejected(f"a time-stamp token has one signer, this one {len(signers)}")
    signer_info = signers[0].expect(SEQUENCE, "SignerInfo").fields("SignerInfo")
    integer(signer_info.take(INTEGER, "version"), "SignerInfo version")
    sid = signer_info.optional(SEQUENCE)  # subjectKeyIdentifier would be [0]
    if sid is None:
        raise TimestampRejected("the token's signer is not named by issuer and serial number")
    issuer, serial = _signer_id(sid.raw)
    signer_info.take(SEQUENCE, "digestAlgorithm")
    attributes = signer_info.take(context(0), "signedAttrs")
    signer_info.take(SEQUENCE, "signatureAlgorithm")
    signature = octets(signer_info.take(OCTET_STRING, "signature"), "signature")
    signer_info.optional(context(1))  # unsignedAttrs: not read
    signer_info.end()

    if encapsulated.take(OID, "eContentType").value != _TST_INFO:
        raise TimestampRejected("not a time-stamp token: the signed content is not a TSTInfo")
    content = octets(encapsulated.take(context(0), "eContent").only("eContent"), "eContent")
    encapsulated.end()
    certificates = _carried(carried.raw) if carried is not None else _Carried((), {})
    found = certificates.by_issuer_serial.get((issuer, serial))
    if found is None:
        raise TimestampRejected("the token does not carry the certificate of the TSA that signed it")
    signer, signer_hashes = found
    values = _attribute_values(attributes)
    digest, content_type = values.get(_MESSAGE_DIGEST), values.get(_CONTENT_TYPE)
    gen_time, serial_number, imprint_algorithm, imprint = _tst_info(content)
    return Token(
        der=der,
        gen_time=gen_time,
        serial=serial_number,
        imprint_algorithm=imprint_algorithm,
        imprint=imprint,
        signer=signer,
        others=tuple(c for c in certificates.all if c is not signer),
        signed_attributes=b"\x31" + attributes.raw[1:],  # the [0] IMPLICIT tag becomes SET
        signature=signature,
        content_digest_ok=bool(
            digest
            and content_type
            and content_type[0].expect(OID, "content-type attribute").value == _TST_INFO
            and octets(digest[0], "message-digest attribute") == hashlib.sha256(content).digest()
        ),
        names_signer=_names_certificate(values, signer_hashes),
    )


def _tst_info(content: bytes) -> tuple[datetime, int, str, bytes]:
    """(genTime, serialNumber, the imprint's hash algorithm, the imprint) of a TSTInfo."""
    tst = parse(content, "TSTInfo").expect(SEQUENCE, "TSTInfo").fields("TSTInfo")
    integer(tst.take(INTEGER, "version"), "TSTInfo version")
    tst.take(OID, "policy")
    imprint = tst.take(SEQUENCE, "messageImprint").fields("MessageImprint")
    algorithm = imprint.take(SEQUENCE, "hashAlgorithm").fields("AlgorithmIdentifier")
    algorithm_oid = algorithm.take(OID, "algorithm")
    algorithm.rest()  # parameters (NULL or absent)
    hashed = octets(imprint.take(OCTET_STRING, "hashedMessage"), "hashedMessage")
    imprint.end()
    serial = integer(tst.take(INTEGER, "serialNumber"), "TSTInfo serialNumber")
    gen_time = generalized_time(tst.take(GENERALIZED_TIME, "genTime"), "genTime")
    # accuracy, ordering, nonce, tsa, extensions: in this order, each optional, not needed here
    tst.optional(SEQUENCE)
    tst.optional(BOOLEAN)
    nonce = tst.optional(INTEGER)
    if nonce is not None:
        integer(nonce, "nonce")
    tst.optional(context(0))
    tst.optional(context(1))
    tst.end()
    name = _HASH_NAMES.get(algorithm_oid.value) or oid(algorithm_oid, "the imprint's hash algorithm")
    return gen_time, serial, name, hashed


def _attribute_values(attributes: Element) -> dict[bytes, tuple[Element, ...]]:
    """Signed attributes by type (contents of the OID): each type once, as RFC 5652 §5.3 says."""
    values: dict[bytes, tuple[Element, ...]] = {}
    for attribute in attributes.children():
        kind, found = _attribute(attribute.raw)
        if kind in values:
            raise DerError(f"signed attribute {oid(attribute.children()[0], 'attrType')} appears twice")
        values[kind] = found
    return values


# A TSA's tokens differ in their TSTInfo, message digest and signature; the signer's name and the
# content-type and signing-certificate attributes are the same bytes in each, so what is read from
# them is kept by those bytes (read strictly the first time).


@functools.lru_cache(maxsize=16)
def _signer_id(raw: bytes) -> tuple[bytes, int]:
    """(issuer Name DER, serial) of an IssuerAndSerialNumber."""
    fields = parse(raw, "IssuerAndSerialNumber").fields("IssuerAndSerialNumber")
    issuer = fields.take(SEQUENCE, "issuer").raw
    serial = integer(fields.take(INTEGER, "serialNumber"), "the signer's serial number")
    fields.end()
    return issuer, serial


@functools.lru_cache(maxsize=64)
def _attribute(raw: bytes) -> tuple[bytes, tuple[Element, ...]]:
    """An Attribute: its type (the OID's contents) and its values."""
    fields = parse(raw, "Attribute").expect(SEQUENCE, "Attribute").fields("Attribute")
    kind = fields.take(OID, "attrType").value
    found = tuple(fields.take(SET, "attrValues").children())
    fields.end()
    return kind, found


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
        key.verify(token.signature, token.signed_attributes, ECDSA_SHA256)
    except InvalidSignature:
        raise TimestampRejected("the time-stamp token's signature does not verify") from None
    try:
        trust.verify_chain(token.signer, list(token.others), CertificatePurpose.TIMESTAMP, at=token.gen_time)
    except ChainRejected as rejected:
        untrusted = not isinstance(rejected, CertificateRevoked | CertificateOutOfDate)
        raise TimestampRejected(
            f"the time-stamping certificate is refused: {rejected.reason}", untrusted=untrusted
        ) from rejected
    return token.gen_time


def imprint_of(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _names_certificate(
    values: dict[bytes, tuple[Element, ...]], hashes_of_signer: tuple[bytes, bytes]
) -> bool:
    """The ESS signing-certificate-v2 (SHA-256) or v1 (SHA-1) attribute names the certificate
    whose (SHA-256, SHA-1) hashes are given."""
    sha256, sha1 = hashes_of_signer
    if _SIGNING_CERTIFICATE_V2 in values:
        return (_SHA256, sha256) in _ess_v2_hashes(
            _first(values[_SIGNING_CERTIFICATE_V2], "signing-certificate-v2")
        )
    if _SIGNING_CERTIFICATE in values:
        return _ess_v1_first_hash(_first(values[_SIGNING_CERTIFICATE], "signing-certificate")) == sha1
    return False


def _first(values: tuple[Element, ...], what: str) -> bytes:
    """The encoding of an attribute's first value."""
    if not values:
        raise DerError(f"the {what} attribute has no value")
    return values[0].raw


@functools.lru_cache(maxsize=16)
def _ess_v2_hashes(raw: bytes) -> tuple[tuple[bytes, bytes], ...]:
    """(hash algorithm OID contents, certificate hash) of each ESSCertIDv2 of a SigningCertificateV2
    ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies OPTIONAL }."""
    signing = parse(raw, "SigningCertificateV2").expect(SEQUENCE, "SigningCertificateV2")
    fields = signing.fields("SigningCertificateV2")
    certs = fields.take(SEQUENCE, "certs")
    fields.optional(SEQUENCE)
    fields.end()
    found = []
    for entry in certs.children():
        # ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash, issuerSerial OPTIONAL }
        cert_id = entry.expect(SEQUENCE, "ESSCertIDv2").fields("ESSCertIDv2")
        algorithm = cert_id.optional(SEQUENCE)
        algorithm_oid = _SHA256
        if algorithm is not None:
            identifier = algorithm.fields("AlgorithmIdentifier")
            algorithm_oid = identifier.take(OID, "algorithm").value
            identifier.rest()
        cert_hash = octets(cert_id.take(OCTET_STRING, "certHash"), "certHash")
        cert_id.optional(SEQUENCE)
        cert_id.end()
        found.append((algorithm_oid, cert_hash))
    return tuple(found)


@functools.lru_cache(maxsize=16)
def _ess_v1_first_hash(raw: bytes) -> bytes | None:
    """The SHA-1 certificate hash of the first ESSCertID (the signer's) of a SigningCertificate
    ::= SEQUENCE { certs SEQUENCE OF ESSCertID { certHash, issuerSerial OPTIONAL }, policies OPTIONAL }."""
    fields = (
        parse(raw, "SigningCertificate").expect(SEQUENCE, "SigningCertificate").fields("SigningCertificate")
    )
    certs = fields.take(SEQUENCE, "certs").children()
    if not certs:
        return None
    cert_id = certs[0].expect(SEQUENCE, "ESSCertID").fields("ESSCertID")
    return octets(cert_id.take(OCTET_STRING, "certHash"), "certHash")


@dataclass(frozen=True)
class _Carried:
    """The certificates a token carries, parsed, and each by (issuer DER, serial) with its hashes."""

    all: tuple[x509.Certificate, ...]
    by_issuer_serial: dict[tuple[bytes, int], tuple[x509.Certificate, tuple[bytes, bytes]]]


@functools.lru_cache(maxsize=64)
def _carried(raw: bytes) -> _Carried:
    """The token's certificates field ([0] IMPLICIT CertificateSet), as DER, parsed once: every
    token of one TSA carries the same bytes. Choices other than a plain certificate are skipped."""
    certificates: list[x509.Certificate] = []
    index: dict[tuple[bytes, int], tuple[x509.Certificate, tuple[bytes, bytes]]] = {}
    for choice in parse(raw, "certificates").children():
        if choice.tag in _OTHER_CERTIFICATE_CHOICES:
            continue
        choice.expect(SEQUENCE, "CertificateChoices")
        certificate = _load_certificate(choice.raw)
        certificates.append(certificate)
        hashes_of = (hashlib.sha256(choice.raw).digest(), hashlib.sha1(choice.raw).digest())
        try:
            key = (certificate.issuer.public_bytes(), certificate.serial_number)
        except KeyError as error:  # cryptography reads names lazily: an unknown string tag ends here
            raise DerError(f"a carried certificate's issuer name cannot be read (tag {error})") from error
        index.setdefault(key, (certificate, hashes_of))
    return _Carried(tuple(certificates), index)


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
