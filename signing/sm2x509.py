"""SM2 keys in X.509 certificates (GB/T 20518): built and read with asn1crypto.

`cryptography` parses a certificate that holds an SM2 key or carries an SM2 signature (names,
extensions and validity all read as usual), but it can neither hold the key nor make or check the
signature. So this module builds the TBSCertificate with asn1crypto — subjectPublicKeyInfo
id-ecPublicKey on the curve sm2p256v1 (1.2.156.10197.1.301), signature algorithm SM2-with-SM3
(1.2.156.10197.1.501, no parameters) — signs it with GmSSL's SM2 (signing/sm2.py, default signer
ID 1234567812345678, as OpenSSL 3 uses for certificates), and hands the DER to `cryptography` to
load. Extensions are encoded by `cryptography` (`ExtensionType.public_bytes`), so an SM2
certificate carries exactly the extensions a P-256 one does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import core, crl, csr, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing import sm2

SM2_CURVE_OID = "1.2.156.10197.1.301"  # sm2p256v1 (GM/T 0006)
SM2_WITH_SM3_OID = "1.2.156.10197.1.501"  # SM2 signature with SM3 (GM/T 0006)
_ECDSA_SHA256_OID = "1.2.840.10045.4.3.2"
if SM2_CURVE_OID not in keys.NamedCurve._map:  # asn1crypto learns the curve's key size once
    keys.NamedCurve.register("sm2p256v1", SM2_CURVE_OID, 32)


@dataclass(frozen=True)
class SM2PublicKey:
    """An SM2 public key: the 65-byte uncompressed point 04 ‖ x ‖ y."""

    point: bytes

    def verify(self, signature: bytes, data: bytes) -> bool:
        return sm2.verify(self.point, signature, data)

    def subject_public_key_info(self) -> bytes:
        """DER SubjectPublicKeyInfo: id-ecPublicKey on sm2p256v1."""
        return _spki(self.point)


@dataclass(frozen=True)
class SM2PrivateKey:
    """An SM2 private key: the 32-byte scalar (kept in memory; on disk only encrypted, signing/keys.py)."""

    scalar: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> SM2PrivateKey:
        scalar, _ = sm2.generate_keypair()
        return cls(scalar)

    def public_key(self) -> SM2PublicKey:
        return _public_of(self.scalar)

    def sign(self, data: bytes) -> bytes:
        """DER SM2 signature of SM3(Z ‖ data), signer ID 1234567812345678."""
        return sm2.sign(self.scalar, data, public=self.public_key().point)


@functools.cache
def _public_of(scalar: bytes) -> SM2PublicKey:
    return SM2PublicKey(sm2.public_from_private(scalar))


def is_sm2_signed(certificate: x509.Certificate) -> bool:
    return certificate.signature_algorithm_oid.dotted_string == SM2_WITH_SM3_OID


@functools.lru_cache(maxsize=4096)
def sm2_public_key_of(certificate: x509.Certificate) -> SM2PublicKey | None:
    """The certificate's SM2 key, or None when it holds another kind of key (asked of every
    certificate on every chain check, so remembered per certificate)."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    info = asn1_x509.Certificate.load(der)["tbs_certificate"]["subject_public_key_info"]
    algorithm = info["algorithm"]
    if algorithm["algorithm"].native != "ec":
        return None
    parameters = algorithm["parameters"]
    if parameters.name != "named" or parameters.chosen.dotted != SM2_CURVE_OID:
        return None
    return SM2PublicKey(bytes(info["public_key"].native))


def signature_holds(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """`issuer`'s key signed `certificate` (SM2 or ECDSA P-256), by names and signature."""

    def other() -> bool:
        certificate.verify_directly_issued_by(issuer)
        return True

    return certificate.issuer == issuer.subject and _holds(
        is_sm2_signed(certificate), issuer, certificate.signature, certificate.tbs_certificate_bytes, other
    )


def is_sm2_signed_crl(revocations: x509.CertificateRevocationList) -> bool:
    return revocations.signature_algorithm_oid.dotted_string == SM2_WITH_SM3_OID


def crl_signature_holds(revocations: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """`issuer`'s key signed the CRL (SM2 or ECDSA P-256), by names and signature."""

    def other() -> bool:
        if sm2_public_key_of(issuer) is not None:
            return False
        return revocations.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]

    return revocations.issuer == issuer.subject and _holds(
        is_sm2_signed_crl(revocations), issuer, revocations.signature, revocations.tbs_certlist_bytes, other
    )


def _holds(
    sm2_signed: bool, issuer: x509.Certificate, signature: bytes, signed: bytes, other: Callable[[], bool]
) -> bool:
    """An SM2 signature checked with the issuer's SM2 key; any other with `cryptography` (`other`)."""
    if sm2_signed:
        key = sm2_public_key_of(issuer)
        return key is not None and key.verify(signature, signed)
    try:
        return other()
    except (ValueError, TypeError, InvalidSignature):
        return False


def build_crl(
    *,
    issuer: x509.Name,
    signer: SM2PrivateKey,
    this_update: datetime,
    next_update: datetime,
    revoked: Sequence[tuple[int, datetime]],
    extensions: Sequence[tuple[x509.ExtensionType, bool]],
) -> x509.CertificateRevocationList:
    """A v2 CRL signed SM2-with-SM3 by an SM2 CA (RFC 5280 §5), readable by `cryptography`."""
    algorithm = {"algorithm": SM2_WITH_SM3_OID}
    fields: dict[str, object] = {
        "version": "v2",
        "signature": algorithm,
        "issuer": asn1_x509.Name.load(issuer.public_bytes()),
        "this_update": _time(this_update),
        "next_update": _time(next_update),
        "crl_extensions": [
            {
                "extn_id": extension.oid.dotted_string,
                "critical": critical,
                "extn_value": core.ParsableOctetString(extension.public_bytes()),
            }
            for extension, critical in extensions
        ],
    }
    if revoked:  # an empty list is left out (RFC 5280 §5.1.2.6)
        fields["revoked_certificates"] = [
            {"user_certificate": serial, "revocation_date": _time(when)} for serial, when in revoked
        ]
    tbs = crl.TbsCertList(fields)
    signed = crl.CertificateList(
        {"tbs_cert_list": tbs, "signature_algorithm": algorithm, "signature": signer.sign(tbs.dump())}
    )
    return x509.load_der_x509_crl(signed.dump())


def build_certificate(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public_key: SM2PublicKey | ec.EllipticCurvePublicKey,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    extensions: Sequence[tuple[x509.ExtensionType, bool]],
    signer: SM2PrivateKey | ec.EllipticCurvePrivateKey,
) -> x509.Certificate:
    """A v3 certificate whose key or signature (or both) is SM2, signed by `signer`."""
    if isinstance(public_key, SM2PublicKey):
        spki = keys.PublicKeyInfo.load(public_key.subject_public_key_info())
    else:
        encoded = public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        spki = keys.PublicKeyInfo.load(encoded)
    algorithm = {"algorithm": SM2_WITH_SM3_OID if isinstance(signer, SM2PrivateKey) else _ECDSA_SHA256_OID}
    tbs = asn1_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": algorithm,
            "issuer": asn1_x509.Name.load(issuer.public_bytes()),
            "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
            "subject": asn1_x509.Name.load(subject.public_bytes()),
            "subject_public_key_info": spki,
            "extensions": [
                {
                    "extn_id": extension.oid.dotted_string,
                    "critical": critical,
                    "extn_value": core.ParsableOctetString(extension.public_bytes()),
                }
                for extension, critical in extensions
            ],
        }
    )
    data = tbs.dump()
    if isinstance(signer, SM2PrivateKey):
        signature = signer.sign(data)
    else:
        signature = signer.sign(data, ec.ECDSA(hashes.SHA256()))
    certificate = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature}
    )
    return x509.load_der_x509_certificate(certificate.dump())


def build_csr(
    key: SM2PrivateKey, subject: x509.Name, extensions: Sequence[tuple[x509.ExtensionType, bool]]
) -> x509.CertificateSigningRequest:
    """A PKCS#10 request for an SM2 key, signed with it (SM2-with-SM3), readable by `cryptography`."""
    info = csr.CertificationRequestInfo(
        {
            "version": "v1",
            "subject": asn1_x509.Name.load(subject.public_bytes()),
            "subject_pk_info": keys.PublicKeyInfo.load(key.public_key().subject_public_key_info()),
            "attributes": [
                {
                    "type": "extension_request",
                    "values": [
                        [
                            {
                                "extn_id": extension.oid.dotted_string,
                                "critical": critical,
                                "extn_value": core.ParsableOctetString(extension.public_bytes()),
                            }
                            for extension, critical in extensions
                        ]
                    ],
                }
            ],
        }
    )
    request = csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": {"algorithm": SM2_WITH_SM3_OID},
            "signature": key.sign(info.dump()),
        }
    )
    return x509.load_der_x509_csr(request.dump())


def sm2_key_of_csr(request: x509.CertificateSigningRequest) -> SM2PublicKey | None:
    """The SM2 key of a request whose SM2 signature holds; None for a request of another kind;
    ValueError for an SM2 request its own key did not sign."""
    der = request.public_bytes(serialization.Encoding.DER)
    info = csr.CertificationRequest.load(der)["certification_request_info"]["subject_pk_info"]
    parameters = info["algorithm"]["parameters"]
    if info["algorithm"]["algorithm"].native != "ec" or parameters.name != "named":
        return None
    if parameters.chosen.dotted != SM2_CURVE_OID:
        return None
    key = SM2PublicKey(bytes(info["public_key"].native))
    if request.signature_algorithm_oid.dotted_string != SM2_WITH_SM3_OID or not key.verify(
        request.signature, request.tbs_certrequest_bytes
    ):
        raise ValueError("the SM2 request's signature does not verify")
    return key


@functools.lru_cache(maxsize=1024)
def _spki(point: bytes) -> bytes:
    """Cached: a trust store looks up CRLs by the SPKI of every issuer on a path, on every check."""
    return keys.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "ec",
                "parameters": keys.ECDomainParameters(name="named", value=SM2_CURVE_OID),
            },
            "public_key": point,
        }
    ).dump()


def _time(moment: datetime) -> asn1_x509.Time:
    """UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5)."""
    moment = moment.replace(microsecond=0)
    if moment.year < 2050:
        return asn1_x509.Time(name="utc_time", value=moment)
    return asn1_x509.Time(name="general_time", value=moment)
