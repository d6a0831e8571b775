"""GB/T 38540-2020 electronic seal structures (电子印章数据 SESeal, 电子签章数据 SES_Signature), v4.

The ASN.1 module below keeps the standard's type and field names (including its spelling
SES_ESPictrueInfo); asn1crypto encodes and decodes the DER. A seal (`SESeal`) is made once, when
the seal is made (刻制): header "ES" v4, the seal id, its property (type, name, the signer
certificates it may be used with, creation and validity dates), the picture, and the maker's
certificate and signature over `eSealInfo`, `cert` and `signAlgID` (here the maker is the node's
CA, which certifies the seal's key). Each use (签章) is an `SES_Signature`: `toSign` (version, the
whole SESeal, the time, the SM3 hash of the data, a property string), the signer's certificate,
the SM2 signature over the DER of `toSign`, and the RFC 3161 time-stamp token over the signature
value (signing/timestamps.py).

`verify_signature` checks, in the standard's order: format; the signer's signature; the
time-stamp; the signer certificate's chain at the attested time and its revocation; the signer
certificate is listed in the seal; the maker's signature; the seal's validity; the data hash.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing import algorithms
from signing.algorithms import PrivateKey
from signing.pki import CertificatePurpose, utc
from signing.sm2x509 import SM2_WITH_SM3_OID, SM2PrivateKey
from signing.timestamps import TimestampRejected, imprint_of, read_token, verify_token
from signing.trust import ChainRejected, TrustStore

ECDSA_SHA256_OID = "1.2.840.10045.4.3.2"
SES_VERSION = 4
SEAL_TYPE_OFFICIAL = 1  # 单位印章 (GB/T 38540 §A: 1 单位印章, 2 个人印章)
CERT_LIST_CERTS = 1  # certList holds the certificates themselves (2: their digests)
_SKEW = timedelta(minutes=5)

# -- the ASN.1 module (GB/T 38540-2020 annex A, v4) ----------------------------------------------


class ExtData(core.Sequence):
    _fields = [  # noqa: RUF012 - asn1crypto's declaration style
        ("extnID", core.ObjectIdentifier),
        ("critical", core.Boolean, {"default": False}),
        ("extnValue", core.OctetString),
    ]


class ExtensionDatas(core.SequenceOf):
    _child_spec = ExtData


class SES_Header(core.Sequence):
    _fields = [  # noqa: RUF012
        ("ID", core.IA5String),
        ("version", core.Integer),
        ("Vid", core.IA5String),
    ]


class CertInfoList(core.SequenceOf):
    _child_spec = core.OctetString


class CertDigestObj(core.Sequence):
    _fields = [("type", core.PrintableString), ("value", core.OctetString)]  # noqa: RUF012


class CertDigestList(core.SequenceOf):
    _child_spec = CertDigestObj


class SES_CertList(core.Choice):
    _alternatives = [("certs", CertInfoList), ("certDigestList", CertDigestList)]  # noqa: RUF012


class SES_ESPropertyInfo(core.Sequence):
    _fields = [  # noqa: RUF012
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("certListType", core.Integer),
        ("certList", SES_CertList),
        ("createDate", core.GeneralizedTime),
        ("validStart", core.GeneralizedTime),
        ("validEnd", core.GeneralizedTime),
    ]


class SES_ESPictrueInfo(core.Sequence):
    _fields = [  # noqa: RUF012
        ("type", core.IA5String),
        ("data", core.OctetString),
        ("width", core.Integer),
        ("height", core.Integer),
    ]


class SES_SealInfo(core.Sequence):
    _fields = [  # noqa: RUF012
        ("header", SES_Header),
        ("esID", core.IA5String),
        ("property", SES_ESPropertyInfo),
        ("picture", SES_ESPictrueInfo),
        ("extDatas", ExtensionDatas, {"optional": True}),
    ]


class SESeal(core.Sequence):
    _fields = [  # noqa: RUF012
        ("eSealInfo", SES_SealInfo),
        ("cert", core.OctetString),
        ("signAlgID", core.ObjectIdentifier),
        ("signedValue", core.OctetBitString),
    ]


class TBS_Sign(core.Sequence):
    _fields = [  # noqa: RUF012
        ("version", core.Integer),
        ("eseal", SESeal),
        ("timeInfo", core.GeneralizedTime),
        ("dataHash", core.OctetBitString),
        ("propertyInfo", core.IA5String),
        ("extDatas", ExtensionDatas, {"optional": True}),
    ]


class SES_Signature(core.Sequence):
    _fields = [  # noqa: RUF012
        ("toSign", TBS_Sign),
        ("cert", core.OctetString),
        ("signatureAlgID", core.ObjectIdentifier),
        ("signature", core.OctetBitString),
        ("timeStamp", core.OctetBitString, {"implicit": 0, "optional": True}),
    ]


class _MakerSigned(core.Sequence):
    """What the maker signs: eSealInfo, cert and signAlgID, as a SEQUENCE."""

    _fields = [  # noqa: RUF012
        ("eSealInfo", SES_SealInfo),
        ("cert", core.OctetString),
        ("signAlgID", core.ObjectIdentifier),
    ]


# -- making ---------------------------------------------------------------------------------------


def make_seal(
    *,
    es_id: str,
    name: str,
    signer_certificates: list[x509.Certificate],
    created: datetime,
    valid_start: datetime,
    valid_end: datetime,
    picture: bytes,
    maker_key: PrivateKey,
    maker_certificate: x509.Certificate,
    vid: str = "wuji",
) -> bytes:
    """刻制: the DER SESeal, signed by the maker (the node's CA)."""
    info = SES_SealInfo(
        {
            "header": {"ID": "ES", "version": SES_VERSION, "Vid": vid},
            "esID": es_id,
            "property": {
                "type": SEAL_TYPE_OFFICIAL,
                "name": name,
                "certListType": CERT_LIST_CERTS,
                "certList": SES_CertList(
                    name="certs",
                    value=[c.public_bytes(serialization.Encoding.DER) for c in signer_certificates],
                ),
                "createDate": _generalized(created),
                "validStart": _generalized(valid_start),
                "validEnd": _generalized(valid_end),
            },
            "picture": {"type": "png", "data": picture, "width": 0, "height": 0},
        }
    )
    cert = maker_certificate.public_bytes(serialization.Encoding.DER)
    algorithm = _algorithm_oid(maker_key)
    signed = _MakerSigned({"eSealInfo": info, "cert": cert, "signAlgID": algorithm}).dump()
    return SESeal(
        {"eSealInfo": info, "cert": cert, "signAlgID": algorithm, "signedValue": _sign(maker_key, signed)}
    ).dump()


def make_signature(
    *,
    seal_der: bytes,
    data: bytes,
    signer_key: SM2PrivateKey,
    signer_certificate: x509.Certificate,
    property_info: str,
    timestamp: Callable[[bytes], bytes] | None,
    at: datetime | None = None,
) -> bytes:
    """签章: the DER SES_Signature over `data`, time-stamped by the province's service."""
    to_sign = TBS_Sign(
        {
            "version": SES_VERSION,
            "eseal": SESeal.load(seal_der),
            "timeInfo": _generalized(at or datetime.now(UTC)),
            "dataHash": sm3(data),
            "propertyInfo": property_info,
        }
    )
    signature = signer_key.sign(to_sign.dump())
    fields = {
        "toSign": to_sign,
        "cert": signer_certificate.public_bytes(serialization.Encoding.DER),
        "signatureAlgID": SM2_WITH_SM3_OID,
        "signature": signature,
    }
    if timestamp is not None:
        fields["timeStamp"] = timestamp(imprint_of(signature))
    return SES_Signature(fields).dump()


def with_timestamp(der: bytes, timestamp: Callable[[bytes], bytes]) -> bytes:
    """The SES_Signature with the time-stamp token of its signature value added (a signature made
    while the time-stamping service was away)."""
    parsed = SES_Signature.load(der)
    token = timestamp(imprint_of(parsed["signature"].native))
    fields = {name: parsed[name] for name in ("toSign", "cert", "signatureAlgID", "signature")}
    return SES_Signature({**fields, "timeStamp": token}).dump()


# -- verifying ------------------------------------------------------------------------------------


STEP_FORMAT, STEP_SIGNATURE, STEP_TIMESTAMP = "格式 format", "签名 signature", "时间戳 time-stamp"
STEP_CHAIN, STEP_REVOCATION = "证书链 signer certificate chain", "吊销 revocation"
STEP_SEAL, STEP_VALIDITY, STEP_DIGEST = "印章 seal", "有效期 seal validity", "摘要 content digest"


@dataclass(frozen=True)
class SignatureCheck:
    valid: bool
    reason: str
    step: str = ""  # the failed step, in Chinese and English
    seal_id: str = ""
    attested_time: datetime | None = None


def verify_signature(
    der: bytes, data: bytes, trust: TrustStore, chain: list[x509.Certificate], *, now: datetime | None = None
) -> SignatureCheck:
    """Check an SES_Signature over `data`; `chain` holds the CA certificates above the signer."""
    try:
        parsed = SES_Signature.load(der, strict=True)
        to_sign = parsed["toSign"]
        seal = to_sign["eseal"]
        info = seal["eSealInfo"]
        header = info["header"]
        if header["ID"].native != "ES" or header["version"].native != SES_VERSION:
            return SignatureCheck(False, "not a GB/T 38540 v4 seal (header)", STEP_FORMAT)
        seal_id = info["esID"].native
        signer = _certificate(parsed["cert"].native)
        to_sign_der = to_sign.dump()
        signature = parsed["signature"].native
        algorithm = parsed["signatureAlgID"].dotted
        token_der = parsed["timeStamp"].native if parsed["timeStamp"].native is not None else b""
        time_info = utc(to_sign["timeInfo"].native)
        data_hash = to_sign["dataHash"].native
        prop = info["property"]
        cert_list = prop["certList"].dump()
        signer_der = parsed["cert"].native
        if prop["certListType"].native == CERT_LIST_CERTS:
            is_listed = signer_der in CertInfoList.load(cert_list).native
        else:  # certificate digests (SM3 here)
            is_listed = sm3(signer_der) in [entry["value"].native for entry in CertDigestList.load(cert_list)]
        valid_start, valid_end = utc(prop["validStart"].native), utc(prop["validEnd"].native)
        maker = _certificate(seal["cert"].native)
        maker_signed = _MakerSigned(
            {"eSealInfo": info, "cert": seal["cert"], "signAlgID": seal["signAlgID"]}
        ).dump()
        maker_signature = seal["signedValue"].native
        maker_algorithm = seal["signAlgID"].dotted
    except (ValueError, TypeError, KeyError) as error:
        return SignatureCheck(False, f"malformed SES_Signature: {error}", STEP_FORMAT)
    if algorithm != SM2_WITH_SM3_OID:
        return SignatureCheck(
            False, f"signature algorithm {algorithm} is not SM2-with-SM3", STEP_SIGNATURE, seal_id
        )
    signer_key = algorithms.public_key_of(signer)
    if not algorithms.verify(signer_key, signature, to_sign_der):
        return SignatureCheck(
            False, "the SM2 signature does not match (altered after sealing?)", STEP_SIGNATURE, seal_id
        )
    if token_der:
        try:
            at = verify_token(read_token(token_der), signature, trust)
        except TimestampRejected as rejected:
            return SignatureCheck(False, rejected.reason, STEP_TIMESTAMP, seal_id)
    else:
        at = (now or datetime.now(UTC)).astimezone(UTC)
    if time_info > at + _SKEW:
        return SignatureCheck(
            False, "the signature claims a time after its time-stamp", STEP_TIMESTAMP, seal_id
        )
    try:
        trust.verify_chain(signer, chain, CertificatePurpose.SEAL, at=at, revoked_before=at)
    except ChainRejected as rejected:
        step = STEP_REVOCATION if "revoked" in rejected.reason else STEP_CHAIN
        return SignatureCheck(False, f"signer certificate refused: {rejected.reason}", step, seal_id)
    if not is_listed:
        return SignatureCheck(False, "the signer certificate is not listed in the seal", STEP_SEAL, seal_id)
    if maker not in chain:
        return SignatureCheck(False, "the seal's maker is not the CA above the signer", STEP_SEAL, seal_id)
    if maker_algorithm not in (SM2_WITH_SM3_OID, ECDSA_SHA256_OID) or not _maker_signed(
        maker, maker_signature, maker_signed
    ):
        return SignatureCheck(False, "the maker's signature over the seal does not hold", STEP_SEAL, seal_id)
    if not valid_start <= at <= valid_end:
        return SignatureCheck(
            False, f"judged at {at:%Y-%m-%d %H:%M} UTC, outside the seal's validity", STEP_VALIDITY, seal_id
        )
    if data_hash != sm3(data):
        return SignatureCheck(False, "the data does not match its SM3 hash", STEP_DIGEST, seal_id)
    return SignatureCheck(True, "valid", seal_id=seal_id, attested_time=at if token_der else None)


@functools.lru_cache(maxsize=256)
def _certificate(der: bytes) -> x509.Certificate:
    """Parsed once: every signature of one seal carries the same signer and maker certificates."""
    return x509.load_der_x509_certificate(der)


_maker_lock = threading.Lock()
_maker_verdicts: dict[tuple[bytes, bytes, bytes], bool] = {}  # by SM3 of (maker, signature, signed)
_MAKER_VERDICTS = 1024


def _maker_signed(maker: x509.Certificate, signature: bytes, signed: bytes) -> bool:
    """Whether the maker signed the seal. Every signature made with one seal carries the same
    SESeal, so the verdict is remembered by the digests of the exact bytes, as a CA certificate's
    signature is checked once per chain (signing/trust.py); the signer's own signature, the
    time-stamp, the chain's revocation and the data hash are still checked on every call."""
    key = (sm3(maker.public_bytes(serialization.Encoding.DER)), sm3(signature), sm3(signed))
    with _maker_lock:
        known = _maker_verdicts.get(key)
    if known is not None:
        return known
    valid = algorithms.verify(algorithms.public_key_of(maker), signature, signed)
    with _maker_lock:
        if len(_maker_verdicts) >= _MAKER_VERDICTS:
            _maker_verdicts.clear()
        _maker_verdicts[key] = valid
    return valid


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def _algorithm_oid(key: PrivateKey) -> str:
    if isinstance(key, SM2PrivateKey):
        return SM2_WITH_SM3_OID
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return ECDSA_SHA256_OID
    raise ValueError("a GB/T 38540 maker signs with SM2 or ECDSA P-256")


def _sign(key: PrivateKey, data: bytes) -> bytes:
    return algorithms.sign(key, data)


def _generalized(moment: datetime) -> datetime:
    return utc(moment).replace(microsecond=0)
