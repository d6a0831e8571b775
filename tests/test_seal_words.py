"""A sealed document that fails its check is told to people in Chinese first: what the failure means
for them (altered, an unknown signer, revoked, expired, its time-stamp), then the check's own step
and English reason in brackets for operators, its instants in Beijing time. Real seals, real
certificates and a real time-stamping service; the words are the 核验 page's."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from node.timeutil import shanghai
from node.trust.sealcheck import NodeEvidence, failure_words, verify_offline
from signing.seals import Problem, verify
from signing.trust import TrustStore
from tests.signing.test_pki import TOWNSHIP, Tiers, build_tiers
from tests.signing.test_seals import RESULT, seal_of_an_expired_key, stamped_at, village_seal
from tests.signing.test_timestamps import province_tsa


@pytest.fixture(scope="module")
def tiers() -> Tiers:
    return build_tiers()


def trusting(tiers: Tiers) -> TrustStore:
    return TrustStore([tiers.root.certificate])


def test_a_document_altered_after_sealing_reads_so_in_chinese_first(tiers: Tiers) -> None:
    data = village_seal(tiers).apply(RESULT).to_bytes()
    raw = json.loads(data)
    raw["content"] = base64.b64encode(RESULT.replace("准予".encode(), "不予".encode())).decode()
    check = verify(json.dumps(raw, ensure_ascii=False).encode(), trusting(tiers))
    assert check.problem is Problem.ALTERED
    assert failure_words(check) == (
        "文件内容在盖章后被改动过，与电子印章的签名不符 "
        "(签名 signature: the signature does not match the document (altered after sealing?))"
    )


def test_a_seal_of_another_root_reads_as_an_unknown_signer(tiers: Tiers) -> None:
    forged = village_seal(build_tiers())  # the same codes and names, under a root nobody trusts here
    check = verify(forged.apply(RESULT).to_bytes(), trusting(tiers))
    assert check.problem is Problem.UNTRUSTED
    words = failure_words(check)
    assert words.startswith("盖章所用的证书不能追溯到本节点信任的签发机构，无法确认是谁盖的章"), words
    assert "(证书链 signer certificate chain: signer certificate refused at " in words


def test_a_revoked_seal_certificate_reads_as_revoked_with_beijing_times(tiers: Tiers) -> None:
    seal = village_seal(tiers)
    revoked_at = (datetime.now(UTC) - timedelta(hours=1)).replace(second=0, microsecond=0)
    township = tiers.authorities[TOWNSHIP]
    revocation = township.make_crl([(seal.certificate.serial_number, revoked_at)], number=1)
    trust = TrustStore([tiers.root.certificate], [revocation])
    check = verify(seal.apply(RESULT, timestamp=province_tsa(tiers).stamp).to_bytes(), trust)
    assert check.problem is Problem.REVOKED
    words = failure_words(check)
    assert words.startswith(
        "盖章所用的证书在盖章时已被吊销 (吊销 revocation: signer certificate refused at "
    ), words
    assert f"was revoked on {shanghai(revoked_at)}（北京时间）" in words and "UTC" not in words


def test_an_expired_certificate_and_an_expired_seal_read_as_expired(tiers: Tiers) -> None:
    old_key, long_ago = seal_of_an_expired_key(tiers)
    check = verify(old_key.apply(RESULT, at=long_ago + timedelta(days=1)).to_bytes(), trusting(tiers))
    assert check.problem is Problem.CERTIFICATE_EXPIRED
    assert failure_words(check).startswith("盖章所用的证书在盖章时不在有效期内（已过期或尚未生效） (证书链 ")
    seal = village_seal(tiers)
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    seal.info = replace(seal.info, valid_to=two_hours_ago + timedelta(hours=1))
    check = verify(seal.apply(RESULT, at=two_hours_ago).to_bytes(), trusting(tiers))  # judged now
    assert check.problem is Problem.SEAL_EXPIRED
    assert failure_words(check).startswith("电子印章在盖章时不在有效期内 (有效期 seal validity: judged at ")


def test_time_stamp_problems_read_in_chinese_first(tiers: Tiers) -> None:
    seal, tsa = village_seal(tiers), province_tsa(tiers)
    first = seal.apply(RESULT, timestamp=tsa.stamp)
    second = seal.apply(RESULT + b" ")
    second.timestamp = first.timestamp  # a token taken from another document
    check = verify(second.to_bytes(), trusting(tiers))
    assert check.problem is Problem.TIMESTAMP
    assert failure_words(check).startswith("时间戳无效，不能证明盖章的时间 (时间戳 time-stamp: ")
    month_ago = datetime.now(UTC) - timedelta(days=30)
    seal.info = replace(seal.info, valid_from=month_ago - timedelta(days=1))
    backdated = seal.apply(RESULT, at=month_ago, timestamp=stamped_at(tsa, datetime.now(UTC)))
    check = verify(backdated.to_bytes(), trusting(tiers))
    assert check.problem is Problem.BACKDATED
    words = failure_words(check)
    assert words.startswith(
        "文件所载的盖章时间与时间戳证明的时间不符（疑似倒签） (时间戳 time-stamp: 倒签 backdated"
    )
    assert "（北京时间）" in words


def test_a_malformed_file_and_a_revoked_licence_read_in_chinese_first(tiers: Tiers) -> None:
    check = verify(b'{"format": "wuji-sealed/1"}', trusting(tiers))
    assert check.problem is Problem.MALFORMED
    assert failure_words(check).startswith("文件已损坏或不完整，不能作为电子签章文件核验 (格式 format: ")
    licence = json.dumps({"licence": {"identifier": "L-1"}}).encode()
    data = village_seal(tiers).apply(licence).to_bytes()
    evidence = NodeEvidence(revoked_licences={"L-1": "revoked 2025-11-03 by 430981000000: 证照信息有误"})
    check = verify_offline(data, trusting(tiers), evidence)
    assert check.problem is Problem.LICENCE_REVOKED
    assert failure_words(check).startswith(
        "此电子证照已被颁发机关吊销 (证照 licence: 证照已吊销 licence L-1 "
    )


def test_a_valid_document_has_no_problem(tiers: Tiers) -> None:
    check = verify(village_seal(tiers).apply(RESULT).to_bytes(), trusting(tiers))
    assert check.valid and check.problem is None


def test_a_document_stamped_in_a_province_no_longer_trusted_reads_as_an_unknown_signer(tiers: Tiers) -> None:
    """After `wuji peer remove`, a partner's result fails first at its token, whose service no root
    here vouches for: the words say so, not that the time-stamp is broken."""
    elsewhere = build_tiers()  # a province whose root is not (or no longer) trusted here
    data = village_seal(elsewhere).apply(RESULT, timestamp=province_tsa(elsewhere).stamp).to_bytes()
    check = verify(data, trusting(tiers))
    assert check.problem is Problem.UNTRUSTED
    words = failure_words(check)
    assert words.startswith("盖章所用的证书不能追溯到本节点信任的签发机构，无法确认是谁盖的章"), words
    assert "(时间戳 time-stamp: the time-stamping certificate is refused: " in words, words
