"""Sealed documents verify offline; repeated chains are cached without weakening any check."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from signing.pki import CertificatePurpose
from signing.seals import Seal, SealInfo, verify
from signing.trust import TrustStore
from tests.signing.test_pki import TOWNSHIP, VILLAGE, Tiers, build_tiers, end_entity

RESULT = '{"result": "准予", "case": "01JX-430981006001"}'.encode()


@pytest.fixture(scope="module")
def tiers() -> Tiers:
    return build_tiers()


def village_seal(tiers: Tiers) -> Seal:
    township = tiers.authorities[TOWNSHIP]
    key, certificate = end_entity(
        township, VILLAGE, CertificatePurpose.SEAL, now=datetime.now(UTC) - timedelta(days=1)
    )
    now = datetime.now(UTC)
    info = SealInfo(
        "seal-1",
        "样例村民委员会",
        VILLAGE,
        "村委会",
        "公章",
        now - timedelta(days=1),
        now + timedelta(days=30),
    )
    return Seal(info, key, certificate, township.full_chain())  # type: ignore[arg-type]


def test_documents_of_one_seal_verify_again_and_again(tiers):
    seal, trust = village_seal(tiers), TrustStore([tiers.root.certificate])
    for _ in range(3):
        check = verify(seal.apply(RESULT).to_bytes(), trust)
        assert check.valid, check.reason
        assert check.chain[0] == f"{VILLAGE} {VILLAGE}"


def test_a_field_changed_or_added_after_sealing_is_refused(tiers):
    seal, trust = village_seal(tiers), TrustStore([tiers.root.certificate])
    data = seal.apply(RESULT).to_bytes()
    assert verify(data, trust).valid
    for change in ({"content_type": "text/plain"}, {"note": "added later"}):
        raw = json.loads(data) | change
        check = verify(json.dumps(raw, ensure_ascii=False).encode(), trust)
        assert not check.valid
        assert check.reason == "the signature does not match the document (altered after sealing?)"


def test_a_seal_revoked_after_its_documents_were_verified_refuses_later_ones(tiers):
    seal, trust = village_seal(tiers), TrustStore([tiers.root.certificate])
    early = seal.apply(RESULT, at=datetime.now(UTC) - timedelta(hours=2)).to_bytes()
    assert verify(early, trust).valid
    revocation = tiers.authorities[TOWNSHIP].make_crl(
        [(seal.certificate.serial_number, datetime.now(UTC) - timedelta(hours=1))], number=1
    )
    late = seal.apply(RESULT, crls=[revocation]).to_bytes()
    check = verify(late, trust)
    assert not check.valid and check.revocation == "revoked"
    assert "was revoked on" in check.reason
    assert verify(early, trust).valid  # sealed before the revocation: still good


def test_another_seals_chain_is_checked_on_its_own(tiers):
    trust = TrustStore([tiers.root.certificate])
    first, second = village_seal(tiers), village_seal(tiers)
    assert verify(first.apply(RESULT).to_bytes(), trust).valid
    trust.add_crl(
        tiers.authorities[TOWNSHIP].make_crl(
            [(second.certificate.serial_number, datetime.now(UTC) - timedelta(minutes=5))], number=2
        )
    )
    assert not verify(second.apply(RESULT).to_bytes(), trust).valid
    assert verify(first.apply(RESULT).to_bytes(), trust).valid
