"""Electronic seals (电子印章) and sealed documents, verifiable offline at any node.

A `Seal` is an organisation's stamp for one department: who holds it, which node, what kind, how
long it is valid, and a sealing key certified by the node's CA (or, for a village, by its
township). A `SealedDocument` binds the exact bytes of a result to a seal: digest, seal, signer
chain, signing time, the revocation lists the signer was checked against, and a signature over
all of it. Verification follows GB/T 38540's order — format, signature, time-stamp, chain at the
attested time and revocation, the certificate matches the seal, the seal's own validity, the
content digest — and names the failed step in Chinese and English, with what its failure means
for whoever relies on the document (`Problem`: altered, untrusted, revoked, …), so that a node can
tell people in their words while the reason stays the detail for operators.

Time is attested, not asserted: the signature is time-stamped by the province's time-stamping
service (RFC 3161, signing/timestamps.py); the token sits beside the signature (it covers the
signature, so the signature cannot cover it) and the document is judged at the token's time. A
document without a token (sealed before tokens existed) is judged at the moment of verification,
since its own signing time is only the sealer's word: a key revoked or expired since then refuses it.

Revocation values travel beside the signature too: lists of the signer chain's CAs issued after the
attested time (what the sealer embeds is older, so it cannot show the key was not revoked then). A
node that holds such lists attaches them to the copy it hands out (`attach_revocation_values`), so
the document proves it was not revoked when it was sealed wherever it is checked, with the roots
alone. Each list is used only once its CA's signature on it verifies.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from signing import algorithms
from signing.algorithms import Algorithm, PrivateKey
from signing.memo import by_identity
from signing.pki import CertificatePurpose, division_code_of
from signing.ses import SES_Signature, make_signature, verify_signature
from signing.sm2x509 import SM2PrivateKey
from signing.timestamps import TimestampRejected, Token, imprint_of, read_token, verify_token
from signing.trust import CertificateOutOfDate, CertificateRevoked, ChainRejected, TrustStore
from wuji.divisions import DivisionCode

FORMAT = "wuji-sealed/1"
SEAL_KINDS = ("公章", "业务专用章", "行政审批专用章", "电子证照专用章")
# A result may wait this long for its time-stamp token (the service unreachable); a signing time
# further before the attested one is a backdated seal.
MAX_TOKEN_DELAY = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=5)  # a signing time this far after the attested one is tolerated
# A sealed document and the content it seals are a few levels deep; JSON nested far deeper is no
# document of ours, and Python's parser would exhaust its recursion on it (RecursionError, no ValueError).
MAX_NESTING = 32
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_BRACKET = re.compile(rb"[\[\]{}]")

# The steps of verification, named in Chinese and English for the verdict.
STEP_FORMAT = "格式 format"
STEP_SIGNATURE = "签名 signature"
STEP_TIMESTAMP = "时间戳 time-stamp"
STEP_CHAIN = "证书链 signer certificate chain"
STEP_REVOCATION = "吊销 revocation"
STEP_SEAL = "印章 seal"
STEP_VALIDITY = "有效期 seal validity"
STEP_DIGEST = "摘要 content digest"


class Problem(StrEnum):
    """What a failed check means for whoever relies on the document; the reason gives the detail."""

    MALFORMED = "malformed"  # not a sealed document this code can read
    ALTERED = "altered"  # the signature or the digest does not match: changed after sealing
    UNTRUSTED = "untrusted"  # the signer's chain reaches no trusted root, or breaks the tier rules
    REVOKED = "revoked"  # a certificate of the chain was revoked by the time judged
    CERTIFICATE_EXPIRED = "certificate expired"  # a certificate of the chain was not valid then
    SEAL_EXPIRED = "seal expired"  # the seal itself was not valid then
    SEAL_MISMATCH = "seal mismatch"  # the seal and the certificate that signed name different holders
    TIMESTAMP = "time-stamp"  # the token does not verify, is another province's, or for other data
    BACKDATED = "backdated"  # the signing time the document claims disagrees with the attested one
    NOT_ATTESTED = "not attested"  # no time-stamp, where one is required
    REVOCATION_UNKNOWN = "revocation unknown"  # no list speaks for the time judged, where one is required
    LICENCE_REVOKED = "licence revoked"  # the electronic licence it carries was revoked (told by a node)


# what a failure at each step means, unless the step says more
_STEP_PROBLEMS = {
    STEP_FORMAT: Problem.MALFORMED,
    STEP_SIGNATURE: Problem.ALTERED,
    STEP_TIMESTAMP: Problem.TIMESTAMP,
    STEP_CHAIN: Problem.UNTRUSTED,
    STEP_REVOCATION: Problem.REVOKED,
    STEP_SEAL: Problem.SEAL_MISMATCH,
    STEP_VALIDITY: Problem.SEAL_EXPIRED,
    STEP_DIGEST: Problem.ALTERED,
}
# the revocation finding when no list covered the signer's chain
NO_REVOCATION_DATA = "无吊销数据 no revocation data: revocation not checked"

Stamper = Callable[[bytes], bytes]  # SHA-256 imprint of a signature -> DER time-stamp token


class SealError(Exception):
    """A seal cannot be used as asked (expired, key and certificate disagree, …)."""


@dataclass(frozen=True)
class SealInfo:
    """The public description of a seal, carried in every document it seals."""

    seal_id: str
    holder: str  # organisation name, e.g. 沅江市民政局
    holder_code: str  # the node's division code
    department: str  # e.g. 民政局
    kind: str  # 公章 / 业务专用章 / …
    valid_from: datetime
    valid_to: datetime
    picture: bytes = b""  # optional image of the stamp (PNG)

    def to_json(self) -> dict[str, Any]:
        return {
            "seal_id": self.seal_id,
            "holder": self.holder,
            "holder_code": self.holder_code,
            "department": self.department,
            "kind": self.kind,
            "valid_from": _iso(self.valid_from),
            "valid_to": _iso(self.valid_to),
            "picture": base64.b64encode(self.picture).decode() if self.picture else "",
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SealInfo:
        return cls(
            seal_id=str(raw["seal_id"]),
            holder=str(raw["holder"]),
            holder_code=str(raw["holder_code"]),
            department=str(raw["department"]),
            kind=str(raw["kind"]),
            valid_from=datetime.fromisoformat(raw["valid_from"]),
            valid_to=datetime.fromisoformat(raw["valid_to"]),
            picture=base64.b64decode(raw.get("picture") or ""),
        )


@dataclass
class Seal:
    """A usable seal: its description, its sealing key and the certificate chain of that key."""

    info: SealInfo
    key: PrivateKey
    certificate: x509.Certificate
    chain: list[x509.Certificate]  # the CA certificates above `certificate`, nearest first
    ses_seal: bytes = b""  # an SM2 seal's GB/T 38540 SESeal (DER), made with the seal

    @property
    def algorithm(self) -> Algorithm:
        return algorithms.algorithm_of(self.key)

    def apply(
        self,
        content: bytes,
        content_type: str = "application/json",
        *,
        crls: list[x509.CertificateRevocationList] | None = None,
        at: datetime | None = None,
        timestamp: Stamper | None = None,
    ) -> SealedDocument:
        """盖章: seal content now; crls are embedded so the document verifies offline later, and
        `timestamp` (the province's time-stamping service) attests the moment of the signature."""
        signing_time = (at or datetime.now(UTC)).astimezone(UTC)
        if not self.info.valid_from <= signing_time <= self.info.valid_to:
            raise SealError(f"seal {self.info.seal_id} is valid {_span(self.info)}, not {_iso(signing_time)}")
        certificate_key = algorithms.public_bytes(algorithms.public_key_of(self.certificate))
        own_key = algorithms.public_bytes(self.key.public_key())
        if certificate_key != own_key:
            raise SealError(f"seal {self.info.seal_id}: the sealing key does not match its certificate")
        document = SealedDocument(
            content=content,
            content_type=content_type,
            digest=hashlib.sha256(content).hexdigest(),
            seal=self.info,
            algorithm=self.algorithm,
            signing_time=signing_time,
            signer_chain=[self.certificate, *self.chain],
            crls=list(crls or []),
            signature=b"",
        )
        document.signature = algorithms.sign(self.key, document.signed_bytes())
        if timestamp is not None:
            document.timestamp = timestamp(imprint_of(document.signature))
        if self.ses_seal and isinstance(self.key, SM2PrivateKey):  # the standard's form, alongside
            document.ses_signature = make_signature(
                seal_der=self.ses_seal,
                data=content,
                signer_key=self.key,
                signer_certificate=self.certificate,
                property_info=f"wuji/{content_type}",
                timestamp=timestamp,
                at=signing_time,
            )
        return document


@dataclass
class SealedDocument:
    content: bytes
    content_type: str
    digest: str  # sha256 hex of content
    seal: SealInfo
    algorithm: Algorithm
    signing_time: datetime
    signer_chain: list[x509.Certificate]  # sealing certificate first
    crls: list[x509.CertificateRevocationList] = field(default_factory=list)
    signature: bytes = b""
    timestamp: bytes = b""  # DER RFC 3161 token over SHA-256 of the signature; not signed itself
    ses_signature: bytes = b""  # GB/T 38540 SES_Signature (DER) over the content; signed in itself
    # CRLs issued after sealing, attached later (module docstring); not signed, each list signed itself
    revocation_values: list[x509.CertificateRevocationList] = field(default_factory=list)

    def imprint(self) -> bytes:
        """What the time-stamp token must cover: the SHA-256 of the signature."""
        return imprint_of(self.signature)

    def _body(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "content_type": self.content_type,
            "content": base64.b64encode(self.content).decode(),
            "digest": {"algorithm": "sha256", "value": self.digest},
            "seal": self.seal.to_json(),
            "algorithm": self.algorithm.value,
            "signing_time": _iso(self.signing_time),
            "signer_chain": [_pem(c.public_bytes(serialization.Encoding.PEM)) for c in self.signer_chain],
            "crls": _crl_pems(self.crls),
        }

    def signed_bytes(self) -> bytes:
        """The canonical bytes the signature covers: every field but the signature."""
        return _canonical(self._body())

    def to_bytes(self) -> bytes:
        body = self._body()
        body["signature"] = base64.b64encode(self.signature).decode()
        if self.timestamp:
            body["timestamp"] = base64.b64encode(self.timestamp).decode()
        if self.ses_signature:
            body["ses_signature"] = base64.b64encode(self.ses_signature).decode()
        if self.revocation_values:
            body["revocation_values"] = _crl_pems(self.revocation_values)
        return _dumps(body)

    @classmethod
    def from_bytes(cls, data: bytes) -> SealedDocument:
        """Parse a sealed document; SealError says what is malformed."""
        return _read(data)[0]


_UNSIGNED = ("signature", "timestamp", "ses_signature", "revocation_values")


def attach_revocation_values(data: bytes, crls: list[x509.CertificateRevocationList]) -> bytes:
    """The document with `crls` as its revocation values (replacing any it had), every other field
    exactly as it was; SealError if it is not a sealed document."""
    try:
        raw = read_json(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise SealError(f"malformed sealed document: {error}") from error
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise SealError("not a wuji sealed document")
    raw.pop("revocation_values", None)
    if crls:
        raw["revocation_values"] = _crl_pems(crls)
    return _dumps(raw)


def nested_too_deep(data: bytes) -> bool:
    """JSON (or what may be) nesting deeper than `MAX_NESTING`: no sealed document, nor its content."""
    if data.count(b"{") + data.count(b"[") <= MAX_NESTING:  # cannot nest deeper: not scanned
        return False
    depth = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub(b"", data)):  # brackets outside strings
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > MAX_NESTING:
            return True
    return False


def read_json(data: bytes) -> Any:
    """JSON from outside (a sealed document, or the content it seals), refused with a ValueError
    when it is not JSON or nests deeper than `MAX_NESTING`, before the parser would recurse that deep."""
    if nested_too_deep(data):
        raise ValueError(f"JSON nested more than {MAX_NESTING} levels deep: no sealed document is")
    return json.loads(data.decode("utf-8"))


def _crl_pems(crls: list[x509.CertificateRevocationList]) -> list[str]:
    return [_pem(crl.public_bytes(serialization.Encoding.PEM)) for crl in crls]


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


@dataclass(frozen=True)
class _Chain:
    """A signer chain as parsed once, with what verification reads from it."""

    certificates: tuple[x509.Certificate, ...]
    names: tuple[str, ...]  # "code name" of each certificate, sealing certificate first
    signer: tuple[str, str, str]  # the sealing certificate's (code, holder, department)
    signer_algorithm: Algorithm | str  # the sealing key's algorithm, or why it is unusable
    canonical: str  # the PEM list in canonical JSON, as it appears in the signed bytes


@functools.lru_cache(maxsize=64)
def _load_crl(pem: str) -> x509.CertificateRevocationList:
    """Parsed once: a node's documents embed the same few CRLs, and the same object is then
    recognised at once by the trust store that already holds it."""
    return x509.load_pem_x509_crl(pem.encode())


@functools.lru_cache(maxsize=256)
def _load_chain(pems: tuple[str, ...]) -> _Chain:
    """Parse a chain's PEMs; cached because every document of one seal carries the same chain,
    and returning the same objects lets the trust store recognise the chain at once."""
    certificates = tuple(x509.load_pem_x509_certificate(pem.encode()) for pem in pems)
    signer = ("", "", "")
    if certificates:
        try:
            code = division_code_of(certificates[0])
        except ValueError:
            code = "?"
        signer = (
            code,
            _name_attribute(certificates[0], NameOID.ORGANIZATION_NAME),
            _name_attribute(certificates[0], NameOID.ORGANIZATIONAL_UNIT_NAME),
        )
    names = tuple(_describe(c) for c in certificates)
    algorithm: Algorithm | str = "no signer certificate"
    if certificates:
        try:
            algorithm = algorithms.algorithm_of(algorithms.public_key_of(certificates[0]))
        except (algorithms.AlgorithmUnavailable, ValueError, UnsupportedAlgorithm) as error:
            algorithm = f"unsupported signer key: {error}"
    return _Chain(certificates, names, signer, algorithm, _canonical_text(list(pems)))


def _read(data: bytes) -> tuple[SealedDocument, bytes, _Chain]:
    """The document, the exact bytes its signature must cover, and its parsed chain; SealError if malformed.

    The signed bytes are the canonical form of the fields as received rather than as re-encoded
    from the parsed objects: the signature then covers exactly what was read, and verifying does
    not re-serialise five certificates.
    """
    try:
        raw = read_json(data)
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            found = raw.get("format") if isinstance(raw, dict) else None
            raise SealError(f"not a wuji sealed document (format {found!r}, expected {FORMAT})")
        chain = _load_chain(tuple(str(pem) for pem in raw["signer_chain"]))
        document = SealedDocument(
            content=base64.b64decode(raw["content"], validate=True),
            content_type=str(raw["content_type"]),
            digest=str(raw["digest"]["value"]),
            seal=SealInfo.from_json(raw["seal"]),
            algorithm=Algorithm(raw["algorithm"]),
            signing_time=datetime.fromisoformat(raw["signing_time"]),
            signer_chain=list(chain.certificates),
            crls=[_load_crl(pem) for pem in raw.get("crls", [])],
            signature=base64.b64decode(raw["signature"], validate=True),
            timestamp=base64.b64decode(raw.get("timestamp") or "", validate=True),
            ses_signature=base64.b64decode(raw.get("ses_signature") or "", validate=True),
            revocation_values=[_load_crl(str(pem)) for pem in raw.get("revocation_values", [])],
        )
        # The canonical form of the fields as read, with the chain's part encoded once per chain:
        # the fields sorting before it and after it are each encoded in one call.
        before = {key: value for key, value in raw.items() if key < "signer_chain" and key not in _UNSIGNED}
        after = {key: value for key, value in raw.items() if key > "signer_chain" and key not in _UNSIGNED}
        parts = [
            _canonical_text(before)[1:-1],
            f'"signer_chain":{chain.canonical}',
            _canonical_text(after)[1:-1],
        ]
        signed = ("{" + ",".join(part for part in parts if part) + "}").encode("utf-8")
    except SealError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as error:
        raise SealError(f"malformed sealed document: {error}") from error
    return document, signed, chain


@dataclass(frozen=True)
class SealCheck:
    """What `verify` found, in words a clerk can read; valid only if every step passed."""

    valid: bool
    reason: str  # "valid" or the first failed step's problem
    seal: SealInfo | None = None
    algorithm: str = ""
    signing_time: datetime | None = None  # the sealer's own word
    chain: tuple[str, ...] = ()  # "code name" of each certificate, sealing certificate first
    revocation: str = "not checked"
    step: str = ""  # the failed step, in Chinese and English ("" when valid)
    problem: Problem | None = None  # what the failure means (None when valid)
    attested_time: datetime | None = None  # the time-stamp token's time, if the document has one
    attested_by: str = ""  # the division code of the time-stamping service that attested it
    time: str = "not checked"  # how the moment the document was judged at was established
    judged_at: datetime | None = None  # that moment (attested, else the time of verification)
    revocation_checked: bool = False  # the sealing certificate's CA has a list issued since the time judged
    revocation_lists: tuple[str, ...] = ()  # then the codes of the issuers whose lists were issued since
    older_list_issued: datetime | None = None  # else when that CA's list here was issued (before that time)
    revoked_since: datetime | None = None  # when the sealing certificate was revoked, after the time judged
    standard: str = ""  # what the GB/T 38540 form alongside (SM2 seals) came to


def verify(
    data: bytes,
    trust: TrustStore,
    *,
    require_timestamp: bool = False,
    require_revocation: bool = False,
    now: datetime | None = None,
) -> SealCheck:
    """Verify a sealed document offline against the trusted roots (and the CRLs known to `trust`).

    The document is judged at its attested time (its time-stamp token), or, without a token, at
    `now`. `require_timestamp` refuses a document without a token; `require_revocation` refuses one
    whose signer chain no revocation list covers.
    """
    try:
        document, signed, chain = _read(data)
    except SealError as error:
        return SealCheck(False, str(error), step=STEP_FORMAT, problem=Problem.MALFORMED)
    seal = document.seal
    partial: dict[str, Any] = {
        "seal": seal,
        "algorithm": document.algorithm.value,
        "signing_time": document.signing_time,
    }

    def refuse(step: str, reason: str, problem: Problem | None = None, **more: Any) -> SealCheck:
        found = problem or _STEP_PROBLEMS.get(step, Problem.MALFORMED)
        return SealCheck(False, reason, step=step, problem=found, **(partial | more))

    if not document.signer_chain:
        return refuse(STEP_FORMAT, "the document carries no signer certificate")
    signer = document.signer_chain[0]
    partial["chain"] = chain.names
    if not isinstance(chain.signer_algorithm, Algorithm):  # Algorithm is a str enum: test it first
        return refuse(STEP_SIGNATURE, chain.signer_algorithm, Problem.MALFORMED)
    if chain.signer_algorithm is not document.algorithm:
        return refuse(STEP_SIGNATURE, "the signer certificate's key does not match the named algorithm")
    if not algorithms.verify(algorithms.public_key_of(signer), document.signature, signed):
        return refuse(STEP_SIGNATURE, "the signature does not match the document (altered after sealing?)")
    try:
        at, how = _judging_time(document, trust, now)
    except _TimeRefused as refused:
        return refuse(STEP_TIMESTAMP, refused.reason, refused.problem)
    partial["time"], partial["judged_at"] = how, at
    if document.timestamp:  # its token was read (and kept) to judge the time
        partial["attested_time"], partial["attested_by"] = at, _token(document.timestamp).tsa_code
    elif require_timestamp:
        return refuse(
            STEP_TIMESTAMP,
            "未经时间戳证明 the signing time is not attested by a time-stamp token",
            Problem.NOT_ATTESTED,
        )
    try:
        path = trust.verify_chain(
            signer,
            document.signer_chain[1:],
            CertificatePurpose.SEAL,
            at=at,
            revoked_before=at,
            brought=(*document.crls, *document.revocation_values),  # counted if the path's CAs signed them
        )
    except ChainRejected as rejected:
        revoked = isinstance(rejected, CertificateRevoked)
        out_of_date = isinstance(rejected, CertificateOutOfDate)
        return refuse(
            STEP_REVOCATION if revoked else STEP_CHAIN,
            f"signer certificate refused at {_iso(at)}: {rejected.reason}",
            Problem.CERTIFICATE_EXPIRED if out_of_date else None,
            revocation="revoked" if revoked else "not established",
        )
    # A list speaks for the moment judged only if it was issued at or after it: an older one
    # (embedded when sealing, or not yet replaced) cannot show the key was not revoked since. The
    # sealing certificate's own CA must have spoken so; a fresh list higher up says nothing of it.
    signers_list = trust.crl_of(path[1]) if len(path) > 1 else None
    checked = _issued_since(signers_list, at)
    codes = (
        tuple(_describe(ca).split(" ")[0] for ca in path[1:] if _issued_since(trust.crl_of(ca), at))
        if checked
        else ()
    )
    older = signers_list.last_update_utc if signers_list is not None and not checked else None
    # revoked after the moment judged (one before it refused above): the document stays valid, but
    # whoever checks it years later must learn that the key was withdrawn since, and when
    revoked_since = _revocation_date(signers_list, path[0])
    revocation = _revocation_finding(at, codes, older) or NO_REVOCATION_DATA
    if revoked_since is not None:
        revocation += f"; 签章后已吊销 revoked since, on {_iso(revoked_since)}"
    partial["revocation_lists"], partial["older_list_issued"] = codes, older
    partial["revoked_since"] = revoked_since
    partial["revocation"] = revocation
    partial["revocation_checked"] = checked
    if require_revocation and not checked:
        return refuse(
            STEP_REVOCATION,
            revocation
            if signers_list is not None
            else "无吊销数据 no revocation list of the sealing certificate's CA",
            Problem.REVOCATION_UNKNOWN,
        )
    mismatch = _seal_mismatch(chain.signer, seal)
    if mismatch:
        return refuse(STEP_SEAL, mismatch)
    if not seal.valid_from <= at <= seal.valid_to:
        return refuse(STEP_VALIDITY, f"judged at {_iso(at)}, outside the seal's validity {_span(seal)}")
    if hashlib.sha256(document.content).hexdigest() != document.digest:
        return refuse(STEP_DIGEST, "the content does not match its digest (altered after sealing)")
    if document.ses_signature:
        standard = verify_signature(
            document.ses_signature, document.content, trust, document.signer_chain[1:]
        )
        if not standard.valid:
            return refuse(standard.step, f"GB/T 38540 签章数据 SES_Signature: {standard.reason}")
        if signer.public_bytes(serialization.Encoding.DER) != _ses_signer(document.ses_signature):
            return refuse(STEP_SEAL, "GB/T 38540 签章数据 SES_Signature: signed by another certificate")
        partial["standard"] = "GB/T 38540 SES_Signature valid"
    return SealCheck(True, "valid", **partial)


def _revocation_date(
    crl: x509.CertificateRevocationList | None, certificate: x509.Certificate
) -> datetime | None:
    """When `crl` says `certificate` was revoked (None if it is not listed, or there is no list)."""
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number) if crl else None
    return entry.revocation_date_utc if entry is not None else None


def _issued_since(crl: x509.CertificateRevocationList | None, at: datetime) -> bool:
    return crl is not None and crl.last_update_utc >= at


def _ses_signer(der: bytes) -> bytes:
    return bytes(SES_Signature.load(der)["cert"].native)


class _TimeRefused(Exception):
    """The moment to judge a document at cannot be established: its time-stamp fails."""

    def __init__(self, problem: Problem, reason: str) -> None:
        super().__init__(reason)
        self.problem, self.reason = problem, reason


def _judging_time(document: SealedDocument, trust: TrustStore, now: datetime | None) -> tuple[datetime, str]:
    """(the moment to judge at, how it was established); _TimeRefused if the time-stamp fails."""
    if not document.timestamp:
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        return moment, "未经时间戳证明 not attested: judged at the time of verification"
    try:
        token = _token(document.timestamp)
        attested = verify_token(token, document.signature, trust)
    except TimestampRejected as rejected:
        # after `wuji peer remove` a partner's results fail here first: say that no trusted root
        # vouches for them, not that their time-stamp is broken
        problem = Problem.UNTRUSTED if rejected.untrusted else Problem.TIMESTAMP
        raise _TimeRefused(problem, rejected.reason) from rejected
    province = _province_of(document.signer_chain[-1])
    if _province_of_code(token.tsa_code) != province:
        raise _TimeRefused(
            Problem.TIMESTAMP,
            f"the time-stamp comes from {token.tsa_code}, not from the seal's province {province}",
        )
    claimed = document.signing_time
    if claimed > attested + CLOCK_SKEW:
        raise _TimeRefused(
            Problem.BACKDATED,
            f"the document claims {_iso(claimed)}, after its attested time {_iso(attested)}",
        )
    if claimed < attested - MAX_TOKEN_DELAY:
        raise _TimeRefused(
            Problem.BACKDATED,
            f"倒签 backdated: the document claims {_iso(claimed)}, "
            f"but it was time-stamped at {_iso(attested)}",
        )
    return attested, f"经时间戳证明 attested by the time-stamping service of {token.tsa_code}"


@functools.lru_cache(maxsize=256)
def _province_of_code(code: str) -> str:
    return DivisionCode.parse(code).province.value


@functools.lru_cache(maxsize=1024)
def _token(der: bytes) -> Token:
    """Parsed once: a document verified again (a node's cache, a bench) need not re-read its token."""
    return read_token(der)


@by_identity()
def _province_of(certificate: x509.Certificate) -> str:
    try:
        return DivisionCode.parse(division_code_of(certificate)).province.value
    except ValueError:
        return "?"


def _seal_mismatch(signer: tuple[str, str, str], seal: SealInfo) -> str:
    """The sealing certificate (its code, holder, department) must be the seal's."""
    code, holder, department = signer
    if code != seal.holder_code:
        return f"the seal claims node {seal.holder_code} but its certificate is for {code}"
    if holder != seal.holder or department != seal.department:
        return (
            f"the seal names {seal.holder}/{seal.department} but its certificate is for "
            f"{holder or '?'}/{department or '?'}"
        )
    return ""


def _name_attribute(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


@by_identity()
def _describe(certificate: x509.Certificate) -> str:
    try:
        code = division_code_of(certificate)
    except ValueError:
        code = "?"
    return f"{code} {_name_attribute(certificate, NameOID.COMMON_NAME)}".strip()


def _span(seal: SealInfo) -> str:
    return f"{_iso(seal.valid_from)} – {_iso(seal.valid_to)}"


def _revocation_finding(at: datetime, lists: tuple[str, ...], older_issued: datetime | None) -> str:
    """What the lists say of the moment judged: not revoked (lists issued at or after it), or not
    established (only older lists); "" if there were no lists."""
    if lists:
        return f"not revoked at {_iso(at)} (revocation lists of {', '.join(lists)})"
    if older_issued is not None:
        return (
            "吊销数据早于判定时间 the sealing certificate's CA last issued a list known here at "
            f"{_iso(older_issued)}, before {_iso(at)}: revocation at that time not established"
        )
    return ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _pem(data: bytes) -> str:
    return data.decode("ascii")


def _canonical(body: dict[str, Any]) -> bytes:
    return _canonical_text(body).encode("utf-8")


_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _canonical_text(value: object) -> str:
    return _CANONICAL.encode(value)
