"""The tier PKI (分级证书体系, docs/architecture.md §8): each node's CA is certified by its parent's.

A province runs a self-signed root; a city's CA is issued by its province, a county's by its
city, a township's by its county. Villages get end-entity certificates only, from their township.
Every certificate and CSR carries the node's 12-digit division code twice: in the subject's
serialNumber and in a non-critical wuji extension, and the two must agree.

The link tree's CA and TLS certificates hold ECDSA P-256 keys (`cryptography.x509.verification`
refuses an Ed25519 issuer key, and TLS peers expect ECDSA); a seal certificate may hold a P-256,
Ed25519 or SM2 sealing key, since a leaf's key verifies nothing along its path. A province that
seals with SM2 also runs an SM2 seal tree beside it (docs/architecture.md §8): its own SM2 root,
and an SM2 seal CA at every node down to the township, issued by the parent's seal CA; those
certificates and their CRLs are signed SM2-with-SM3 (signing/sm2x509.py).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.algorithms import (
    Algorithm,
    AlgorithmUnavailable,
    PrivateKey,
    PublicKey,
    algorithm_of,
    certificate_hash,
)
from signing.memo import by_identity
from signing.sm2x509 import (
    SM2PrivateKey,
    SM2PublicKey,
    build_certificate,
    build_crl,
    build_csr,
    sm2_key_of_csr,
    sm2_public_key_of,
)
from wuji.divisions import DivisionCode, Tier

# OIDs under the 2.25 arc are UUID-based (ITU-T X.667): anyone may mint one from a random UUID
# without registering it. Each of these was minted once for wuji; never change them.
# uuid cd4c8b2a-c096-4839-8692-7620aada9dca: the node's division code. The extension's value is
# the DER UTF8String of the 12 digits, encoded by cryptography's ASN.1 module.
DIVISION_CODE_OID = x509.ObjectIdentifier("2.25.272889176339276935856528441892889337290")
# uuid c66bf14f-909c-4022-9158-2c554c34b16b: extended key usage "wuji seal" (电子印章), sealing only.
SEAL_PURPOSE_OID = x509.ObjectIdentifier("2.25.263747613293770624781912346109620302187")
# uuid 7bc98603-4906-4060-af45-0e7984f626e4: extended key usage "wuji catalogue release" (事项目录发布).
CATALOG_PURPOSE_OID = x509.ObjectIdentifier("2.25.164541413253281492873980449059442665188")
# A time-stamping unit (时间戳服务) uses the standard id-kp-timeStamping, marked critical and alone
# (RFC 3161 §2.3), so that `openssl ts -verify` accepts its tokens.
TIMESTAMP_PURPOSE_OID = ExtendedKeyUsageOID.TIME_STAMPING

CLOCK_SKEW = timedelta(minutes=5)  # certificates start this long before `now`

_E = TypeVar("_E", bound=x509.ExtensionType)


class CertificatePurpose(StrEnum):
    """What a certificate is for: a node's CA (发证), its TLS links, sealing (盖章), or signing the
    province's service-item catalogue releases (事项目录发布), or the province's time-stamp tokens
    (时间戳, RFC 3161)."""

    CA = "ca"
    TLS = "tls"
    SEAL = "seal"
    CATALOG = "catalog"
    TIMESTAMP = "timestamp"


# An SM2 key may seal, or be the CA of a province's SM2 seal tree (印章CA); links stay P-256.
_SM2_PURPOSES = (CertificatePurpose.SEAL, CertificatePurpose.CA)


class IssuanceRefused(Exception):
    """An authority will not issue what was asked; the message says why."""


def utc(moment: datetime) -> datetime:
    """`moment` as an aware UTC datetime (a naive one is taken to be UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@by_identity()
@functools.lru_cache(maxsize=4096)
def division_code_of(certificate: x509.Certificate) -> str:
    """The 12-digit division code a certificate is for; ValueError if missing or contradictory.

    Remembered per certificate (equal certificates are equal DER): a chain is read on every check."""
    return _code_of(certificate.extensions, certificate.subject)


def purpose_of(certificate: x509.Certificate) -> CertificatePurpose:
    """CA, TLS, SEAL, CATALOG or TIMESTAMP, from BasicConstraints, extended key usage and key usage;
    ValueError if none fits."""
    extensions = certificate.extensions
    usage = _extension(extensions, x509.KeyUsage)
    constraints = _extension(extensions, x509.BasicConstraints)
    if constraints is not None and constraints.ca:
        if usage is None or not usage.key_cert_sign:
            raise ValueError("a CA certificate without the keyCertSign key usage")
        return CertificatePurpose.CA
    extended = _extension(extensions, x509.ExtendedKeyUsage)
    purposes = set(extended or [])
    if purposes == {SEAL_PURPOSE_OID}:
        if usage is None or not (usage.digital_signature and usage.content_commitment):
            raise ValueError(
                "a seal certificate without the digitalSignature and contentCommitment key usages"
            )
        return CertificatePurpose.SEAL
    if purposes == {CATALOG_PURPOSE_OID}:
        if usage is None or not usage.digital_signature:
            raise ValueError("a catalogue-release certificate without the digitalSignature key usage")
        return CertificatePurpose.CATALOG
    if purposes == {TIMESTAMP_PURPOSE_OID}:
        if usage is None or not usage.digital_signature:
            raise ValueError("a time-stamping certificate without the digitalSignature key usage")
        return CertificatePurpose.TIMESTAMP
    if purposes and purposes <= {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}:
        if usage is None or not usage.digital_signature:
            raise ValueError("a TLS certificate without the digitalSignature key usage")
        return CertificatePurpose.TLS
    named = ", ".join(sorted(oid.dotted_string for oid in purposes)) or "none"
    raise ValueError(f"not a wuji CA, TLS or seal certificate (extended key usages: {named})")


def make_csr(
    key: PrivateKey,
    code: str,
    purpose: CertificatePurpose,
    name: str = "",
    *,
    holder: str = "",
    department: str = "",
) -> x509.CertificateSigningRequest:
    """A certificate request (证书申请) for node `code`; a seal's names its holder and department."""
    division = DivisionCode.parse(code)
    purpose = CertificatePurpose(purpose)
    if purpose is CertificatePurpose.SEAL and not (holder and department):
        raise ValueError("a seal certificate request names its holder (organisation) and department")
    if isinstance(key, SM2PrivateKey):  # 国密: `cryptography` cannot sign it; asn1crypto builds it
        if purpose not in _SM2_PURPOSES:
            raise ValueError(f"{purpose.value} certificates need an ECDSA P-256 key, not SM2")
        subject = _subject(division, name, holder, department)
        return build_csr(key, subject, [(_code_extension(division), False)])
    _certifiable_key(key.public_key(), purpose)
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_subject(division, name, holder, department))
        .add_extension(_code_extension(division), critical=False)
        .sign(key, certificate_hash(key))
    )


@dataclass
class Authority:
    """A node's CA (发证机构): its key (ECDSA P-256, or SM2 for a 国密 tree) and CA certificate,
    plus the chain above it."""

    key: ec.EllipticCurvePrivateKey | SM2PrivateKey
    certificate: x509.Certificate
    chain: list[x509.Certificate]  # above `certificate`, nearest first, root last ([] for a root)

    @property
    def code(self) -> DivisionCode:
        return DivisionCode.parse(division_code_of(self.certificate))

    @classmethod
    def create_root(
        cls,
        code: str,
        name: str,
        *,
        valid_days: int = 3650,
        now: datetime | None = None,
        algorithm: Algorithm = Algorithm.ECDSA_P256_SHA256,
    ) -> Authority:
        """A province's self-signed root CA (根证书); IssuanceRefused for any other tier."""
        division = DivisionCode.parse(code)
        if division.tier is not Tier.PROVINCE:
            raise IssuanceRefused(
                f"only a province (省) runs a root CA; {division.value} is a {division.tier.label}-tier code"
            )
        if valid_days <= 0:
            raise IssuanceRefused(f"valid_days must be positive, not {valid_days}")
        key: ec.EllipticCurvePrivateKey | SM2PrivateKey
        if Algorithm(algorithm) is Algorithm.SM2_SM3:
            key = SM2PrivateKey.generate()
        elif Algorithm(algorithm) is Algorithm.ECDSA_P256_SHA256:
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            raise IssuanceRefused(f"a CA key is ECDSA P-256 or SM2, not {algorithm}")
        start = utc(now or datetime.now(UTC))
        subject = _subject(division, name)
        public = key.public_key()
        certificate = _sign(
            division,
            subject,
            subject,
            public,
            _ca_extensions(division),
            (start - CLOCK_SKEW, start + timedelta(days=valid_days)),
            key,
            x509.AuthorityKeyIdentifier(_key_identifier(public).digest, None, None),
        )
        return cls(key, certificate, [])

    def issue(
        self,
        csr: x509.CertificateSigningRequest,
        purpose: CertificatePurpose,
        *,
        valid_days: int = 365,
        now: datetime | None = None,
    ) -> x509.Certificate:
        """签发: certify a direct child's CA, or TLS or seal for this node or (at a township) its villages."""
        try:
            sm2_key = sm2_key_of_csr(csr)
        except ValueError as error:
            raise IssuanceRefused(f"{error}: it was altered or not signed by its key") from error
        if sm2_key is None and not csr.is_signature_valid:
            raise IssuanceRefused(
                "the CSR's signature does not verify: it was altered or not signed by its key"
            )
        try:
            division = DivisionCode.parse(_code_of(csr.extensions, csr.subject))
        except ValueError as error:
            raise IssuanceRefused(f"the CSR carries no usable division code: {error}") from error
        refusal = _tier_refusal(self.code, division, CertificatePurpose(purpose))
        if refusal:
            raise IssuanceRefused(refusal)
        if sm2_key is not None:
            if CertificatePurpose(purpose) not in _SM2_PURPOSES:
                raise IssuanceRefused(f"{division.value}: only seal keys and seal CAs may be SM2")
            public_key: PublicKey | SM2PublicKey = sm2_key
        else:
            try:
                public_key = _certifiable_key(csr.public_key(), CertificatePurpose(purpose))
            except ValueError as error:
                raise IssuanceRefused(f"{division.value}: {error}") from error
        return self._certify(
            division,
            public_key,
            CertificatePurpose(purpose),
            _attribute(csr.subject, NameOID.COMMON_NAME),
            _attribute(csr.subject, NameOID.ORGANIZATION_NAME),
            _attribute(csr.subject, NameOID.ORGANIZATIONAL_UNIT_NAME),
            valid_days,
            now,
        )

    def certify_sm2(
        self,
        public_key: SM2PublicKey,
        code: str,
        purpose: CertificatePurpose,
        name: str = "",
        *,
        holder: str = "",
        department: str = "",
        valid_days: int = 365,
        now: datetime | None = None,
    ) -> x509.Certificate:
        """签发 an SM2 key (GB/T 20518), for which there is no CSR in `cryptography`: the key was
        made at this node (its own seal) or handed over with its signed request checked already."""
        division = DivisionCode.parse(code)
        purpose = CertificatePurpose(purpose)
        refusal = _tier_refusal(self.code, division, purpose)
        if refusal:
            raise IssuanceRefused(refusal)
        if purpose is CertificatePurpose.TLS:
            raise IssuanceRefused("TLS certificates hold ECDSA P-256 keys: links do not speak SM2")
        return self._certify(division, public_key, purpose, name, holder, department, valid_days, now)

    def _certify(
        self,
        division: DivisionCode,
        public_key: PublicKey | SM2PublicKey,
        purpose: CertificatePurpose,
        name: str,
        holder: str,
        department: str,
        valid_days: int,
        now: datetime | None,
    ) -> x509.Certificate:
        own = self.code
        if purpose is CertificatePurpose.SEAL and not (holder and department):
            raise IssuanceRefused(
                f"the seal request for {division.value} does not name its holder and department"
            )
        if valid_days <= 0:
            raise IssuanceRefused(f"valid_days must be positive, not {valid_days}")
        start = utc(now or datetime.now(UTC))
        own_end = self.certificate.not_valid_after_utc
        if start >= own_end:
            raise IssuanceRefused(
                f"this CA's certificate ({own.value}) expired on {own_end:%Y-%m-%d}: renew it first"
            )
        subject = _subject(division, name, holder, department)
        if purpose is CertificatePurpose.CA:
            extensions = _ca_extensions(division)
        elif purpose is CertificatePurpose.TLS:
            extensions = _tls_extensions(division)
        elif purpose is CertificatePurpose.CATALOG:
            extensions = _catalog_extensions()
        elif purpose is CertificatePurpose.TIMESTAMP:
            extensions = _timestamp_extensions()
        else:
            extensions = _seal_extensions()
        return _sign(
            division,
            subject,
            self.certificate.subject,
            public_key,
            extensions,
            (start - CLOCK_SKEW, min(start + timedelta(days=valid_days), own_end)),
            self.key,
            _authority_key_identifier(self.certificate),
        )

    def make_crl(
        self,
        revoked: Sequence[tuple[int, datetime]],
        *,
        number: int,
        next_update_days: int = 7,
        now: datetime | None = None,
    ) -> x509.CertificateRevocationList:
        """吊销列表: a CRL of (serial, revocation date) pairs, numbered so a newer one replaces older ones."""
        start = utc(now or datetime.now(UTC))
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(start)
            .next_update(start + timedelta(days=next_update_days))
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(_authority_key_identifier(self.certificate), critical=False)
        )
        for serial, revoked_at in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(utc(revoked_at))
                .build()
            )
        if isinstance(self.key, SM2PrivateKey):  # 国密: asn1crypto builds it, GmSSL signs it
            return build_crl(
                issuer=self.certificate.subject,
                signer=self.key,
                this_update=start,
                next_update=start + timedelta(days=next_update_days),
                revoked=[(serial, utc(revoked_at)) for serial, revoked_at in revoked],
                extensions=[
                    (x509.CRLNumber(number), False),
                    (_authority_key_identifier(self.certificate), False),
                ],
            )
        return builder.sign(self.key, hashes.SHA256())

    def full_chain(self) -> list[x509.Certificate]:
        """This CA's certificate and everything above it, root last."""
        return [self.certificate, *self.chain]


def _tier_refusal(own: DivisionCode, code: DivisionCode, purpose: CertificatePurpose) -> str:
    """Why `own` may not certify `code` for `purpose` (empty if it may)."""
    if own.tier is Tier.VILLAGE:
        return f"{own.value} is a village (村): villages hold end-entity certificates and issue none"
    if purpose is CertificatePurpose.CATALOG and not (own.tier is Tier.PROVINCE and code == own):
        return (
            f"only a province certifies its own catalogue-release key; {own.value} cannot certify one "
            f"for {code.value}"
        )
    if purpose is CertificatePurpose.TIMESTAMP and not (own.tier is Tier.PROVINCE and code == own):
        return (
            f"only a province certifies its own time-stamping key; {own.value} cannot certify one "
            f"for {code.value}"
        )
    if purpose is CertificatePurpose.CA:
        if code.tier is Tier.VILLAGE:
            return f"{code.value} is a village (村): villages get TLS and seal certificates only, never a CA"
        if code.parent != own:
            return (
                f"{own.value} issues CA certificates only to its direct children; "
                f"{code.value} is {_relation(own, code)}"
            )
        return ""
    if code == own or (code.tier is Tier.VILLAGE and code.parent == own):
        return ""
    return (
        f"{own.value} issues {purpose.value} certificates only to itself and, at a township, to its "
        f"villages; {code.value} is {_relation(own, code)}"
    )


def _relation(own: DivisionCode, code: DivisionCode) -> str:
    if not own.is_ancestor_of(code):
        return f"outside its subtree ({code.tier.label})"
    if code.parent == own:
        return f"its direct {code.tier.label}-tier child, which must enroll its own CA"
    return f"{code.tier - own.tier} tiers below it ({code.tier.label}), not a direct child"


def _certifiable_key(public_key: object, purpose: CertificatePurpose) -> PublicKey:
    """The key if `purpose` may certify it (P-256 for CA and TLS, also Ed25519 for seals), else ValueError."""
    if not isinstance(public_key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise ValueError(f"{type(public_key).__name__} keys are not certified: use ECDSA P-256 or Ed25519")
    try:
        algorithm = algorithm_of(public_key)
    except AlgorithmUnavailable as error:
        raise ValueError(str(error)) from error
    if purpose is not CertificatePurpose.SEAL and algorithm is not Algorithm.ECDSA_P256_SHA256:
        raise ValueError(f"{purpose.value} certificates need an ECDSA P-256 key, not {algorithm.value}")
    return public_key


def _subject(division: DivisionCode, name: str, holder: str = "", department: str = "") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if holder:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, holder))
    if department:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, department))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, name or division.value))
    attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, division.value))
    return x509.Name(attributes)


def _code_extension(division: DivisionCode) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(DIVISION_CODE_OID, asn1.encode_der(division.value))


def _code_of(extensions: x509.Extensions, subject: x509.Name) -> str:
    """The division code in the wuji extension, checked against the subject's serialNumber."""
    try:
        extension = extensions.get_extension_for_oid(DIVISION_CODE_OID).value
    except x509.ExtensionNotFound:
        raise ValueError(f"{subject.rfc4514_string()} carries no wuji division-code extension") from None
    try:
        if not isinstance(extension, x509.UnrecognizedExtension):
            raise ValueError("unexpected extension type")
        text = asn1.decode_der(str, extension.value)
    except ValueError as error:
        raise ValueError(f"{subject.rfc4514_string()}: malformed division-code extension") from error
    code = DivisionCode.parse(text).value
    if text != code:
        raise ValueError(f"{subject.rfc4514_string()}: division code {text!r} is not in 12-digit form")
    serial = _attribute(subject, NameOID.SERIAL_NUMBER)
    if serial != code:
        raise ValueError(f"division code {code} disagrees with the subject serialNumber {serial or '(none)'}")
    return code


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _extension(extensions: x509.Extensions, kind: type[_E]) -> _E | None:
    try:
        return extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _sign(
    division: DivisionCode,
    subject: x509.Name,
    issuer: x509.Name,
    public_key: PublicKey | SM2PublicKey,
    extensions: list[tuple[x509.ExtensionType, bool]],
    validity: tuple[datetime, datetime],
    issuer_key: ec.EllipticCurvePrivateKey | SM2PrivateKey,
    authority_key_identifier: x509.AuthorityKeyIdentifier,
) -> x509.Certificate:
    """A certificate with the parts every wuji certificate shares — names, key, serial, SKI, AKI,
    division code — and its purpose's extensions: built by `cryptography` where it can hold both
    keys, by asn1crypto (signing/sm2x509.py) where either key is SM2."""
    shared: list[tuple[x509.ExtensionType, bool]] = [
        (_key_identifier(public_key), False),
        (_code_extension(division), False),
        *extensions,
        (authority_key_identifier, False),
    ]
    not_before, not_after = validity
    if isinstance(public_key, SM2PublicKey) or isinstance(issuer_key, SM2PrivateKey):
        return build_certificate(
            subject=subject,
            issuer=issuer,
            public_key=public_key,  # type: ignore[arg-type]
            serial=x509.random_serial_number(),
            not_before=not_before,
            not_after=not_after,
            extensions=shared,
            signer=issuer_key,
        )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for extension, critical in shared:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _key_identifier(public_key: PublicKey | SM2PublicKey) -> x509.SubjectKeyIdentifier:
    """RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (for SM2, the point)."""
    if isinstance(public_key, SM2PublicKey):
        return x509.SubjectKeyIdentifier(hashlib.sha1(public_key.point).digest())
    return x509.SubjectKeyIdentifier.from_public_key(public_key)


def _authority_key_identifier(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    identifier = _extension(issuer.extensions, x509.SubjectKeyIdentifier)
    if identifier is not None:
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(identifier)
    sm2_key = sm2_public_key_of(issuer)
    if sm2_key is not None:
        return x509.AuthorityKeyIdentifier(_key_identifier(sm2_key).digest, None, None)
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key())  # type: ignore[arg-type]


def _ca_extensions(division: DivisionCode) -> list[tuple[x509.ExtensionType, bool]]:
    # pathLen: how many CA tiers may still follow below (a township's CA certifies villages only)
    return [
        (x509.BasicConstraints(ca=True, path_length=Tier.TOWNSHIP - division.tier), True),
        (_key_usage(key_cert_sign=True, crl_sign=True), True),
    ]


def _tls_extensions(division: DivisionCode) -> list[tuple[x509.ExtensionType, bool]]:
    names: list[x509.GeneralName] = [
        x509.DNSName(f"n{division.value}.wuji"),
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
    ]
    return [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_key_usage(digital_signature=True), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        (x509.SubjectAlternativeName(names), False),
    ]


def _seal_extensions() -> list[tuple[x509.ExtensionType, bool]]:
    return [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_key_usage(digital_signature=True, content_commitment=True), True),
        (x509.ExtendedKeyUsage([SEAL_PURPOSE_OID]), False),
    ]


def _catalog_extensions() -> list[tuple[x509.ExtensionType, bool]]:
    return [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_key_usage(digital_signature=True), True),
        (x509.ExtendedKeyUsage([CATALOG_PURPOSE_OID]), False),
    ]


def _timestamp_extensions() -> list[tuple[x509.ExtensionType, bool]]:
    return [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_key_usage(digital_signature=True, content_commitment=True), True),
        (x509.ExtendedKeyUsage([TIMESTAMP_PURPOSE_OID]), True),
    ]


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )
