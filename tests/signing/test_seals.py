"""Sealed documents verify offline; repeated chains are cached without weakening any check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing.pki import CertificatePurpose
from signing.seals import Seal, SealError, SealInfo, attach_revocation_values, verify
from signing.trust import TrustStore
from tests.signing.test_pki import COUNTY, TOWNSHIP, VILLAGE, Tiers, build_tiers, end_entity
from tests.signing.test_timestamps import province_tsa

RESULT = '{"result": "准予", "case": "01JX-430981006001"}'.encode()


@pytest.fixture(scope="module")
def tiers() -> Tiers:
    return build_tiers()


def seal_of_an_expired_key(tiers: Tiers) -> tuple[Seal, datetime]:
    """A village seal whose key was certified 40 days ago for 35 (it expired five days ago), the
    seal itself valid for 60 days from then; and that moment."""
    township = tiers.authorities[TOWNSHIP]
    long_ago = datetime.now(UTC) - timedelta(days=40)
    key, certificate = end_entity(township, VILLAGE, CertificatePurpose.SEAL, now=long_ago, valid_days=35)
    info = SealInfo(
        "seal-old", "样例村民委员会", VILLAGE, "村委会", "公章", long_ago, long_ago + timedelta(days=60)
    )
    return Seal(info, key, certificate, township.full_chain()), long_ago


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
    return Seal(info, key, certificate, township.full_chain())


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


def stamped_at(tsa, moment: datetime):
    """The province's time-stamping service with its clock at `moment` (a document stamped then)."""
    return lambda imprint: tsa.stamp(imprint, at=moment)


def test_a_seal_revoked_after_its_documents_were_verified_refuses_later_ones(tiers):
    seal, trust = village_seal(tiers), TrustStore([tiers.root.certificate])
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    early = seal.apply(RESULT, at=two_hours_ago, timestamp=stamped_at(province_tsa(tiers), two_hours_ago))
    early = early.to_bytes()
    assert verify(early, trust).valid
    revocation = tiers.authorities[TOWNSHIP].make_crl(
        [(seal.certificate.serial_number, datetime.now(UTC) - timedelta(hours=1))], number=1
    )
    late = seal.apply(RESULT, crls=[revocation]).to_bytes()
    check = verify(late, trust)
    assert not check.valid and check.revocation == "revoked"
    assert "was revoked on" in check.reason
    assert verify(early, trust).valid  # attested before the revocation: still good


def test_a_backdated_seal_of_a_revoked_key_is_judged_at_its_attested_time(tiers):
    seal, tsa = village_seal(tiers), province_tsa(tiers)
    revocation = tiers.authorities[TOWNSHIP].make_crl(
        [(seal.certificate.serial_number, datetime.now(UTC) - timedelta(hours=1))], number=3
    )
    trust = TrustStore([tiers.root.certificate], [revocation])
    # the holder claims a time before the revocation; the service stamps the real moment
    backdated = seal.apply(RESULT, at=datetime.now(UTC) - timedelta(hours=2), timestamp=tsa.stamp)
    check = verify(backdated.to_bytes(), trust)
    assert not check.valid
    assert check.step == "吊销 revocation" and "was revoked on" in check.reason
    # without a token the claimed time counts for nothing: judged now, the key is revoked
    unattested = seal.apply(RESULT, at=datetime.now(UTC) - timedelta(hours=2)).to_bytes()
    check = verify(unattested, trust)
    assert not check.valid and "was revoked on" in check.reason
    assert check.time.startswith("未经时间戳证明")


def test_a_seal_of_an_expired_key_backdated_into_its_validity_is_refused(tiers: Tiers) -> None:
    seal, _ = seal_of_an_expired_key(tiers)
    # claims six days ago, when the key was valid; the province stamps today
    document = seal.apply(
        RESULT, at=datetime.now(UTC) - timedelta(days=6), timestamp=province_tsa(tiers).stamp
    )
    check = verify(document.to_bytes(), TrustStore([tiers.root.certificate]))
    assert not check.valid and check.step == "证书链 signer certificate chain"
    assert "expired on" in check.reason


def test_a_signing_time_long_before_its_token_is_refused_as_backdated(tiers):
    seal = village_seal(tiers)
    month_ago = datetime.now(UTC) - timedelta(days=30)
    seal.info = replace(seal.info, valid_from=month_ago - timedelta(days=1))
    document = seal.apply(RESULT, at=month_ago, timestamp=province_tsa(tiers).stamp)
    check = verify(document.to_bytes(), TrustStore([tiers.root.certificate]))
    assert not check.valid and check.step == "时间戳 time-stamp"
    assert check.reason.startswith("倒签 backdated")


def test_an_attested_document_names_its_time_and_revocation_data(tiers):
    seal, trust = village_seal(tiers), TrustStore([tiers.root.certificate])
    check = verify(seal.apply(RESULT, timestamp=province_tsa(tiers).stamp).to_bytes(), trust)
    assert check.valid, check.reason
    assert check.attested_time is not None
    assert check.time.startswith("经时间戳证明") and "430000000000" in check.time
    assert check.revocation.startswith("无吊销数据") and not check.revocation_checked
    strict = verify(
        seal.apply(RESULT, timestamp=province_tsa(tiers).stamp).to_bytes(), trust, require_revocation=True
    )
    assert not strict.valid and strict.step == "吊销 revocation"
    assert not verify(seal.apply(RESULT).to_bytes(), trust, require_timestamp=True).valid


def test_only_a_revocation_list_issued_since_the_time_judged_shows_the_key_was_not_revoked(tiers):
    """A list from before the seal was made (embedded when sealing, or not yet replaced) cannot
    show the key was not revoked at that time; one issued since can; a revocation in an older list
    still counts."""
    seal, tsa, township = village_seal(tiers), province_tsa(tiers), tiers.authorities[TOWNSHIP]
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    older = township.make_crl([], number=1, now=datetime.now(UTC) - timedelta(hours=2))
    document = seal.apply(RESULT, at=hour_ago, timestamp=stamped_at(tsa, hour_ago), crls=[older])
    check = verify(document.to_bytes(), TrustStore([tiers.root.certificate]))
    assert check.valid and not check.revocation_checked
    assert check.revocation.startswith("吊销数据早于判定时间") and "not established" in check.revocation
    assert check.older_list_issued == older.last_update_utc and check.revocation_lists == ()
    strict = verify(document.to_bytes(), TrustStore([tiers.root.certificate]), require_revocation=True)
    assert not strict.valid and strict.reason.startswith("吊销数据早于判定时间")

    newer = township.make_crl([], number=2)
    check = verify(document.to_bytes(), TrustStore([tiers.root.certificate], [newer]))
    assert check.valid and check.revocation_checked and check.revocation.startswith("not revoked at")
    assert check.revocation_lists == (TOWNSHIP,) and check.older_list_issued is None

    revoked_early = township.make_crl(
        [(seal.certificate.serial_number, hour_ago - timedelta(minutes=30))],
        number=3,
        now=hour_ago - timedelta(minutes=20),
    )
    check = verify(document.to_bytes(), TrustStore([tiers.root.certificate], [revoked_early]))
    assert not check.valid and check.revocation == "revoked"


def test_a_fresh_list_higher_up_the_chain_says_nothing_of_the_sealing_certificate(tiers):
    """The county's list issued since the seal was made cannot show that the township, which
    certified the seal, had not revoked it: only the sealing certificate's own CA can."""
    seal, tsa, township = village_seal(tiers), province_tsa(tiers), tiers.authorities[TOWNSHIP]
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    older = township.make_crl([], number=1, now=datetime.now(UTC) - timedelta(hours=2))
    data = seal.apply(RESULT, at=hour_ago, timestamp=stamped_at(tsa, hour_ago), crls=[older]).to_bytes()
    county_list = tiers.authorities[COUNTY].make_crl([], number=9)
    check = verify(data, TrustStore([tiers.root.certificate], [county_list]))
    assert check.valid and not check.revocation_checked and check.revocation_lists == ()
    assert (
        check.revocation.startswith("吊销数据早于判定时间")
        and check.older_list_issued == older.last_update_utc
    )
    both = TrustStore([tiers.root.certificate], [county_list, township.make_crl([], number=2)])
    assert verify(data, both).revocation_lists == (TOWNSHIP, COUNTY)


def test_revocation_values_attached_later_show_the_key_was_not_revoked_with_the_roots_alone(tiers):
    """Lists issued after the attested time, attached beside the signature, speak for the moment
    judged wherever the copy goes; each counts only if its CA signed it, and a revocation before
    the seal was made in one of them still refuses."""
    seal, tsa, township = village_seal(tiers), province_tsa(tiers), tiers.authorities[TOWNSHIP]
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    older = township.make_crl([], number=1, now=datetime.now(UTC) - timedelta(hours=2))
    data = seal.apply(RESULT, at=hour_ago, timestamp=stamped_at(tsa, hour_ago), crls=[older]).to_bytes()
    assert not verify(data, TrustStore([tiers.root.certificate])).revocation_checked

    copy = attach_revocation_values(data, [township.make_crl([], number=2)])
    check = verify(copy, TrustStore([tiers.root.certificate]))
    assert check.valid and check.revocation_checked, check.reason  # the signature still holds
    assert check.revocation_lists == (TOWNSHIP,) and check.revocation.startswith("not revoked at")
    assert verify(copy, TrustStore([tiers.root.certificate]), require_revocation=True).valid
    assert attach_revocation_values(copy, []) == data  # replaced, every other field as it was

    # a list in the township's name, signed by another key, is not the township's word
    forged = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(township.certificate.subject)
        .last_update(datetime.now(UTC))
        .next_update(datetime.now(UTC) + timedelta(days=1))
        .add_extension(x509.CRLNumber(50), critical=False)  # newer than any the township made
        .sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
    )
    assert not verify(
        attach_revocation_values(data, [forged]), TrustStore([tiers.root.certificate])
    ).revocation_checked

    revoked = township.make_crl([(seal.certificate.serial_number, hour_ago - timedelta(minutes=5))], number=3)
    check = verify(attach_revocation_values(data, [revoked]), TrustStore([tiers.root.certificate]))
    assert not check.valid and check.step == "吊销 revocation" and check.revocation == "revoked"

    garbage = json.loads(copy) | {
        "revocation_values": ["-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"]
    }
    check = verify(json.dumps(garbage).encode(), TrustStore([tiers.root.certificate]))
    assert not check.valid and check.step == "格式 format"
    with pytest.raises(SealError):
        attach_revocation_values(b'{"format": "something else"}', [])


def test_a_store_keeps_no_list_a_document_brings_from_a_ca_off_its_path(tiers):
    """The 核验 page takes documents from anyone: lists that no CA on the document's validated
    path signed are dropped, not kept in the node's store waiting for an issuer (which let an
    upload grow a store without end)."""
    seal, tsa = village_seal(tiers), province_tsa(tiers)
    strangers = build_tiers()  # another 湖南 hierarchy, the same names, keys nobody trusts
    lists = [strangers.authorities[code].make_crl([], number=7) for code in (TOWNSHIP, COUNTY)]
    trust = TrustStore([tiers.root.certificate])
    copy = attach_revocation_values(seal.apply(RESULT, timestamp=tsa.stamp).to_bytes(), lists)
    check = verify(copy, trust)
    assert check.valid and not check.revocation_checked
    assert trust._pending == {}  # what the store holds back is the point


def test_a_token_taken_from_another_document_is_refused(tiers):
    seal, tsa = village_seal(tiers), province_tsa(tiers)
    trust = TrustStore([tiers.root.certificate])
    first = seal.apply(RESULT, timestamp=tsa.stamp)
    second = seal.apply(RESULT + b" ")
    second.timestamp = first.timestamp
    check = verify(second.to_bytes(), trust)
    assert not check.valid and check.step == "时间戳 time-stamp"


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


def deeply_nested(levels: int) -> bytes:
    """`{"a":{"a":…1…}}`: JSON nested deeper than Python's parser recurses (a hostile upload)."""
    return ('{"a":' * levels + "1" + "}" * levels).encode()


def test_json_nested_too_deep_is_a_malformed_document_not_a_recursion_error(tiers):
    trust = TrustStore([tiers.root.certificate])
    for levels in (40, 1000, 5000):
        check = verify(deeply_nested(levels), trust)
        assert not check.valid and check.step == "格式 format" and "nested more than" in check.reason
    sealed = village_seal(tiers).apply(RESULT).to_bytes()
    assert verify(sealed, trust).valid  # a real one is a few levels deep
    with pytest.raises(SealError, match="nested more than"):
        attach_revocation_values(deeply_nested(1000), [])


def test_the_cli_refuses_a_deeply_nested_file_in_words_with_a_failing_exit(tiers, tmp_path):
    roots, document = tmp_path / "root.pem", tmp_path / "deep.sealed"
    roots.write_bytes(tiers.root.certificate.public_bytes(serialization.Encoding.PEM))
    document.write_bytes(deeply_nested(3000))
    done = subprocess.run(
        [sys.executable, "-m", "node.cli", "seal", "verify", str(document), "--trust", str(roots)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stdout + done.stderr and "RecursionError" not in done.stdout + done.stderr
    assert "无效" in done.stdout and "文件已损坏或不完整" in done.stdout, done.stdout
