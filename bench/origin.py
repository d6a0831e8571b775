"""The cost of origin authentication per envelope: signing at the origin, verifying at the destination.

A village's certificate under a five-tier chain signs a case envelope of the usual size; the
destination verifies it with the chain already known (the steady state: one signature check).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from signing.algorithms import Algorithm, generate_key
from signing.pki import Authority, CertificatePurpose, make_csr
from signing.trust import TrustStore
from sync.origin import OriginSigner, OriginVerifier
from wuji.v1 import case_pb2, link_pb2

CODES = ("430000000000", "430900000000", "430981000000", "430981001000")
VILLAGE = "430981001201"


@dataclass(frozen=True)
class OriginFigures:
    envelope_bytes: int  # a signed case envelope, chain included
    signs_per_s: float
    verifies_per_s: float


def measure(count: int) -> OriginFigures:
    authority = Authority.create_root(CODES[0], "湖南省")
    for code in CODES[1:]:
        key = generate_key(Algorithm.ECDSA_P256_SHA256)
        csr = make_csr(key, code, CertificatePurpose.CA)
        certificate = authority.issue(csr, CertificatePurpose.CA)
        authority = Authority(key, certificate, authority.full_chain())  # type: ignore[arg-type]
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    tls = authority.issue(make_csr(key, VILLAGE, CertificatePurpose.TLS), CertificatePurpose.TLS)
    signer = OriginSigner(key, tls, authority.full_chain()[:-1])
    trust = TrustStore([authority.full_chain()[-1]])
    envelope = link_pb2.Envelope(
        message_id="bench",
        origin=VILLAGE,
        destination=CODES[2],
        case_submitted=link_pb2.CaseSubmitted(
            case=case_pb2.Case(
                id=f"{VILLAGE}-01JBENCH0000000000000000000",
                item_code="MZ-0001",
                item_name="最低生活保障对象认定",
                origin=VILLAGE,
                handler=CODES[2],
                applicant=case_pb2.Applicant(name="张三", id_number="430981199001011237"),
                materials=[case_pb2.Material(name="户口簿", content=b"\0" * 400)],
            )
        ),
    )
    started = time.perf_counter()
    for _ in range(count):
        signer.sign(envelope)
    signs = count / (time.perf_counter() - started)
    verifier = OriginVerifier()
    verifier.verify(envelope, lambda: trust)  # the chain is checked once, then remembered
    started = time.perf_counter()
    for _ in range(count):
        verifier.verify(envelope, lambda: trust)
    verifies = count / (time.perf_counter() - started)
    return OriginFigures(envelope.ByteSize(), signs, verifies)
