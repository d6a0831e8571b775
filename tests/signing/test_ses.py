"""GB/T 38540 seals and signatures: DER in and out, checked step by step, time from the token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from signing.algorithms import Algorithm, generate_key
from signing.pki import Authority, CertificatePurpose, make_csr
from signing.ses import SES_Signature, SESeal, make_seal, make_signature, sm3, verify_signature
from signing.sm2x509 import SM2PrivateKey
from signing.timestamps import TimeStampAuthority
from signing.trust import TrustStore
from tests.signing.test_sm2x509 import COUNTY, PROVINCE, SEAL, sm2_tree

DATA = '{"document": "办件结果", "outcome": "准予"}'.encode()


@pytest.fixture(scope="module")
def made() -> tuple[Authority, Authority, SM2PrivateKey, x509.Certificate, bytes, TimeStampAuthority]:
    root, _city, county, seal_key, seal_certificate = sm2_tree()
    now = datetime.now(UTC)
    tsa_key = generate_key(Algorithm.ECDSA_P256_SHA256)
    tsa_certificate = root.issue(
        make_csr(tsa_key, PROVINCE, CertificatePurpose.TIMESTAMP),
        CertificatePurpose.TIMESTAMP,
        now=now - timedelta(hours=2),
    )
    tsa = TimeStampAuthority(tsa_key, [tsa_certificate, root.certificate])  # type: ignore[arg-type]
    seal = make_seal(
        es_id=f"{COUNTY}-1",
        name="南山区民政局业务专用章",
        signer_certificates=[seal_certificate],
        created=now,
        valid_start=now - timedelta(hours=1),
        valid_end=now + timedelta(days=30),
        picture=b"\x89PNG",
        maker_key=county.key,
        maker_certificate=county.certificate,
    )
    return root, county, seal_key, seal_certificate, seal, tsa


def sign(made, data=DATA, **options):
    _, _, seal_key, seal_certificate, seal, tsa = made
    return make_signature(
        seal_der=seal,
        data=data,
        signer_key=seal_key,
        signer_certificate=seal_certificate,
        property_info="wuji/办件结果".encode("unicode_escape").decode(),
        timestamp=tsa.stamp,
        **options,
    )


def test_a_seal_is_der_with_the_standards_header_and_fields(made):
    *_, seal, _ = made
    parsed = SESeal.load(seal)
    info = parsed["eSealInfo"]
    assert info["header"]["ID"].native == "ES" and info["header"]["version"].native == 4
    assert info["esID"].native == f"{COUNTY}-1"
    assert info["property"]["name"].native == "南山区民政局业务专用章"
    assert parsed["signAlgID"].dotted == "1.2.156.10197.1.501"
    assert SESeal.load(parsed.dump()).dump() == seal


def test_a_signature_verifies_at_its_attested_time(made):
    root, county, *_ = made
    der = sign(made)
    parsed = SES_Signature.load(der)
    assert parsed["toSign"]["dataHash"].native == sm3(DATA)
    assert parsed["timeStamp"].native
    check = verify_signature(der, DATA, TrustStore([root.certificate]), county.full_chain())
    assert check.valid, check.reason
    assert check.attested_time is not None


def test_altered_data_fails_at_the_digest_step(made):
    root, county, *_ = made
    check = verify_signature(sign(made), DATA + b" ", TrustStore([root.certificate]), county.full_chain())
    assert not check.valid and check.step == "摘要 content digest"


def test_a_key_the_seal_does_not_list_fails_at_the_seal_step(made):
    root, county, _, _, seal, tsa = made
    other_key = SM2PrivateKey.generate()
    other = county.certify_sm2(
        other_key.public_key(),
        COUNTY,
        SEAL,
        "x",
        holder="南山区民政局",
        department="民政局",
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    der = make_signature(
        seal_der=seal,
        data=DATA,
        signer_key=other_key,
        signer_certificate=other,
        property_info="p",
        timestamp=tsa.stamp,
    )
    check = verify_signature(der, DATA, TrustStore([root.certificate]), county.full_chain())
    assert not check.valid and check.step == "印章 seal" and "not listed" in check.reason


def test_a_changed_signature_time_fails_at_the_signature_step(made):
    root, county, *_ = made
    der = sign(made, at=datetime(2026, 1, 2, tzinfo=UTC))
    altered = der.replace(b"20260102", b"20260101")
    check = verify_signature(altered, DATA, TrustStore([root.certificate]), county.full_chain())
    assert not check.valid and check.step == "签名 signature"
