"""Tier PKI in a running federation: enrollment, mTLS on every link, seals on results, revocation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select, update

from node.errors import InvalidInput
from node.store.engine import create_store_engine, migrate, session_factory
from node.store.models import EnrollmentInvite, RevocationList
from node.timeutil import shanghai
from node.trust.certificates import RevocationIntake
from node.trust.enrollment import EnrollmentRefused, InviteFile, create_root, enroll
from node.trust.stores import TrustStores
from node.trust.timestamping import TimestampUnavailable
from node.web.verify import describe
from signing.algorithms import Algorithm, generate_key
from signing.licences import LicenceIdentifier
from signing.pki import CertificatePurpose, make_csr
from signing.seals import SealedDocument, attach_revocation_values
from signing.seals import verify as verify_sealed
from signing.ses import SES_Signature
from signing.trust import ChainRejected, TrustStore
from sync.transport import TransportSettings, open_channel
from tests.harness import CITY, COUNTY, PASSPHRASE, PROVINCE, TOWNSHIP, VILLAGE, wait_for
from tests.materials import complete_proto
from tests.test_cli import wuji
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2, desk_pb2, desk_pb2_grpc, enroll_pb2, enroll_pb2_grpc

ITEM_AT_COUNTY = "MZ-0001"  # 民政局


def conclude_at(federation, handler: str, item: str = ITEM_AT_COUNTY) -> case_pb2.Case:
    """Submit at the village, conclude at handler, return the case as the village then sees it."""
    village = federation.desk(VILLAGE)
    case = village.SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code=item,
            applicant=case_pb2.Applicant(name="周敏", id_number="43098119920304001X"),
            materials=complete_proto(item),
        )
    )
    desk = federation.desk(handler)
    wait_for(lambda: _exists(desk, case.id), what="the case at its handler")
    for action in (case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE):
        desk.ActOnCase(desk_pb2.ActOnCaseRequest(case_id=case.id, action=action, note="同意"))
    return wait_for(
        lambda: (c := village.GetCase(desk_pb2.GetCaseRequest(case_id=case.id))).sealed_result and c,
        what="the sealed result at the village",
    )


def _exists(desk, case_id: str) -> bool:
    try:
        desk.GetCase(desk_pb2.GetCaseRequest(case_id=case_id))
        return True
    except grpc.RpcError:
        return False


def trust_of(node) -> TrustStore:
    return TrustStore(node.identity.roots)


def test_five_tiers_enroll_from_scratch_and_link_over_mtls(federation):
    nodes = federation.start_chain()
    for node in nodes[1:]:
        parent = node.here.parent.value
        wait_for(lambda n=node, p=parent: n.links.find(p) and n.links.find(p).connected, what="link up")
    assert nodes[2].identity.authority is not None  # the county has a CA issued by the city
    assert nodes[-1].identity.authority is None  # the village has end-entity certificates only
    issuer_codes = [
        c.subject.get_attributes_for_oid(x509.oid.NameOID.SERIAL_NUMBER)[0].value
        for c in nodes[-1].identity.chain
    ]
    assert issuer_codes == [TOWNSHIP, COUNTY, CITY, PROVINCE]

    # a client without a certificate gets nothing from the desk
    plain = grpc.insecure_channel(nodes[2].address)
    with pytest.raises(grpc.RpcError):
        desk_pb2_grpc.DeskStub(plain).DescribeNode(desk_pb2.DescribeNodeRequest(), timeout=5)
    plain.close()
    # nor does another node of the federation: each desk serves its own node's operators
    channel = open_channel(nodes[2].address, nodes[3].transport, peer_code=COUNTY)
    with channel, pytest.raises(grpc.RpcError) as refused:
        desk_pb2_grpc.DeskStub(channel).DescribeNode(desk_pb2.DescribeNodeRequest(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_enrollment_refuses_reused_expired_and_foreign_tokens(federation, tmp_path):
    federation.start_chain((PROVINCE, CITY, COUNTY))
    county = federation.nodes[COUNTY]
    township = DivisionCode.parse(TOWNSHIP)

    # two invites made for one code before either is used: the first makes the node; the second
    # must not make another (two machines of one code: the later takes the links, cases are lost)
    invite = InviteFile.from_message(county.invite(TOWNSHIP, 1))
    spare = InviteFile.from_message(county.invite(TOWNSHIP, 1))
    enroll(township, "", tmp_path / "first", PASSPHRASE, invite)
    with pytest.raises(EnrollmentRefused, match=f"节点 {TOWNSHIP} 已用另一份邀请入网"):
        enroll(township, "", tmp_path / "second", PASSPHRASE, spare)
    with pytest.raises(EnrollmentRefused, match=r"used already on \d{4}-\d\d-\d\d \d\d:\d\d（北京时间）"):
        enroll(township, "", tmp_path / "again", PASSPHRASE, invite)

    # enrolled: a second invite for its code is refused, or a second node would take over its links
    with pytest.raises(InvalidInput, match=f"节点 {TOWNSHIP} 已入网"):
        county.invite(TOWNSHIP, 1)
    neighbour = DivisionCode.parse("430981007000")
    late = InviteFile.from_message(county.invite(neighbour.value, 1))
    with county.sessions.begin() as session:
        expired_at = datetime.now(UTC) - timedelta(minutes=1)
        session.execute(update(EnrollmentInvite).values(expires_at=expired_at))
    with pytest.raises(EnrollmentRefused, match=f"expired on {shanghai(expired_at)}（北京时间）"):
        enroll(neighbour, "", tmp_path / "late", PASSPHRASE, late)
    with pytest.raises(InvalidInput, match="本节点自己的代码"):  # it would revoke the county's own seals
        county.revoke(COUNTY)
    county.revoke(TOWNSHIP)  # the township's machine was lost: its replacement may be invited
    assert county.invite(TOWNSHIP, 1).code == TOWNSHIP

    other = InviteFile.from_message(county.invite("430981008000", 1))
    with pytest.raises(InvalidInput, match=r"^这份邀请是给节点 430981008000 的，不是给本节点 430981006000"):
        enroll(township, "", tmp_path / "other", PASSPHRASE, other)
    elsewhere = f"^430903001000 不是本节点 {COUNTY} 的下级：请到它的上级 430903000000 去邀请它"
    with pytest.raises(InvalidInput, match=elsewhere):
        county.invite("430903001000", 1)  # outside the county's subtree


def test_an_invite_file_that_is_not_there_is_said_so_without_the_errno(tmp_path):
    with pytest.raises(InvalidInput) as missing:
        InviteFile.load(tmp_path / "typo.invite")
    assert str(missing.value).startswith(f"找不到邀请文件 {tmp_path / 'typo.invite'}：请核对文件名")
    assert "Errno" not in str(missing.value)
    (tmp_path / "half.invite").write_text('{"code": "430981006000"}')
    with pytest.raises(InvalidInput, match="不是一份完整的邀请文件"):
        InviteFile.load(tmp_path / "half.invite")


def test_a_node_of_another_province_cannot_join_a_link(federation, tmp_path):
    federation.start_chain((PROVINCE, CITY, COUNTY))
    county = federation.nodes[COUNTY]
    guangdong = create_root(DivisionCode.parse("440000"), "广东省", tmp_path / "gd", PASSPHRASE)
    foreign = TransportSettings(credentials=guangdong.credentials())
    channel = open_channel(county.address, foreign, peer_code=COUNTY)
    with channel, pytest.raises(grpc.RpcError) as refused:
        desk_pb2_grpc.DeskStub(channel).DescribeNode(desk_pb2.DescribeNodeRequest(), timeout=5)
    assert refused.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAUTHENTICATED)
    assert county.describe().links[0].peer == CITY  # no link was opened for the stranger


def test_result_sealed_at_county_verifies_at_village_and_offline(federation, tmp_path):
    federation.start_chain()
    seen = conclude_at(federation, COUNTY)
    document = SealedDocument.from_bytes(seen.sealed_result)
    assert document.seal.holder_code == COUNTY
    assert seen.id in document.content.decode()
    check = verify_sealed(seen.sealed_result, trust_of(federation.nodes[VILLAGE]))
    assert check.valid, check.reason
    # the time is the province's time-stamp, not the county's word
    assert document.timestamp and check.attested_time is not None
    assert check.time.startswith("经时间戳证明") and PROVINCE in check.time

    sealed = tmp_path / "result.sealed"
    sealed.write_bytes(seen.sealed_result)
    roots = tmp_path / "roots.pem"
    roots.write_bytes(federation.nodes[PROVINCE].identity.roots[0].public_bytes(_PEM))
    not_revoked = f"吊销状态 revocation: not revoked at {shanghai(check.attested_time, seconds=True)}"
    # the village's copy carries the county's list issued after the result was attested (it came
    # with the result): the roots alone then show the seal was not revoked when it was made
    assert [crl.issuer for crl in document.revocation_values] == [document.signer_chain[1].subject]
    ok = _seal_verify(sealed, roots, "--require-revocation")
    assert ok.returncode == 0 and "VALID" in ok.stdout and COUNTY in ok.stdout, ok.stdout
    assert f"{not_revoked} (revocation lists of {COUNTY})" in ok.stdout
    # as the county sealed it, the lists it embeds predate it: the roots alone cannot tell
    sealed.write_bytes(attach_revocation_values(seen.sealed_result, []))
    blind = _seal_verify(sealed, roots)
    assert blind.returncode == 0 and "revocation not checked" in blind.stdout
    strict = _seal_verify(sealed, roots, "--require-revocation")
    assert strict.returncode == 1 and "吊销 revocation" in strict.stdout
    # the village holds that list itself
    config = str(federation.config_path(VILLAGE))
    informed = _seal_verify(sealed, None, "--config", config, "--require-revocation")
    assert informed.returncode == 0, informed.stdout
    assert f"{not_revoked} (revocation lists of {COUNTY})" in informed.stdout

    # flip one byte of the content, then one byte of the signature: each fails with a reason
    tampered = SealedDocument.from_bytes(seen.sealed_result)
    tampered.content = tampered.content.replace("准予".encode(), "不予".encode())
    sealed.write_bytes(tampered.to_bytes())
    bad = _seal_verify(sealed, roots)
    assert bad.returncode == 1 and "NOT VALID" in bad.stdout and "signature" in bad.stdout
    assert "结论 meaning:" in bad.stdout and "文件内容在盖章后被改动过" in bad.stdout  # said in Chinese first

    forged = SealedDocument.from_bytes(seen.sealed_result)
    forged.signature = bytes([forged.signature[0] ^ 1]) + forged.signature[1:]
    sealed.write_bytes(forged.to_bytes())
    assert _seal_verify(sealed, roots).returncode == 1

    stranger = create_root(DivisionCode.parse("440000"), "广东省", tmp_path / "gd", PASSPHRASE)
    roots.write_bytes(stranger.roots[0].public_bytes(_PEM))
    sealed.write_bytes(seen.sealed_result)
    untrusted = _seal_verify(sealed, roots)
    assert untrusted.returncode == 1 and "refused" in untrusted.stdout


@pytest.mark.parametrize("algorithm", ["ed25519", "ecdsa-p256-sha256", "sm2-sm3"])
def test_seals_of_each_algorithm_seal_and_verify(federation, algorithm):
    federation.start_chain()
    with federation.nodes[COUNTY].sessions.begin() as session:
        federation.nodes[COUNTY].seals.create(
            session, "沅江市民政局", "民政局", "业务专用章", algorithm=Algorithm(algorithm)
        )
    seen = conclude_at(federation, COUNTY)
    document = SealedDocument.from_bytes(seen.sealed_result)
    assert document.algorithm.value == algorithm and document.seal.department == "民政局"
    check = verify_sealed(seen.sealed_result, trust_of(federation.nodes[VILLAGE]))
    assert check.valid, check.reason
    # an SM2 seal carries the GB/T 38540 signature alongside, time-stamped, and it is checked too
    assert bool(document.ses_signature) is (algorithm == "sm2-sm3")
    if document.ses_signature:
        assert SES_Signature.load(document.ses_signature)["timeStamp"].native
        assert check.standard == "GB/T 38540 SES_Signature valid"
        tampered = SealedDocument.from_bytes(seen.sealed_result)
        altered = bytearray(tampered.ses_signature)
        altered[len(altered) // 3] ^= 0x01  # inside the seal the signature covers
        tampered.ses_signature = bytes(altered)
        refused = verify_sealed(tampered.to_bytes(), trust_of(federation.nodes[VILLAGE]))
        assert not refused.valid and "SES_Signature" in refused.reason


def test_village_seal_is_certified_by_its_township(federation):
    federation.start_chain()
    village = federation.nodes[VILLAGE]
    with village.sessions.begin() as session:
        info = village.seals.create(session, "样例村民委员会", "村委会", "公章")
        seal = village.seals.seal_for(session, "村委会")
    assert info.holder_code == VILLAGE and seal is not None
    document = seal.apply(b'{"proof": "\xe5\xb1\x85\xe4\xbd\x8f\xe8\xaf\x81\xe6\x98\x8e"}')
    assert verify_sealed(document.to_bytes(), trust_of(federation.nodes[COUNTY])).valid
    # the village holds a link certificate from its township (not a CA's): no second invite for it
    with pytest.raises(InvalidInput, match=f"节点 {VILLAGE} 已入网"):
        federation.nodes[TOWNSHIP].invite(VILLAGE, 1)


def test_revoked_township_can_no_longer_link_and_its_later_seals_fail(federation, tmp_path):
    federation.start_chain()
    county, township = federation.nodes[COUNTY], federation.nodes[TOWNSHIP]
    with township.sessions.begin() as session:
        before = township.seals.seal_for(session, "政务服务中心").apply(
            b"sealed before revocation", timestamp=township.timestamping.stamp
        )
    time.sleep(1.1)  # certificate times have whole seconds: keep "before" strictly before

    revoked, number = county.revoke(TOWNSHIP)
    assert revoked >= 1 and number >= 1
    wait_for(lambda: not county.links.find(TOWNSHIP).connected, what="the county to drop the township")
    with county.readers() as session:
        crls = [x509.load_der_x509_crl(d) for d in session.scalars(select(RevocationList.der))]
    trust = TrustStore(county.identity.roots, crls)
    with township.sessions.begin() as session:
        after = township.seals.seal_for(session, "政务服务中心").apply(b"sealed after revocation")
    assert verify_sealed(before.to_bytes(), trust).valid  # attested before the revocation
    late = verify_sealed(after.to_bytes(), trust)
    assert not late.valid and "revoked" in late.reason
    # nor can it have a later seal attested: the county no longer takes its calls
    with pytest.raises(TimestampUnavailable, match="时间戳服务不可达"):
        township.timestamping.stamp(after.imprint())

    # offline: the roots alone cannot see the revocation and say so; the node's CRLs refuse it
    sealed, roots = tmp_path / "after.sealed", tmp_path / "roots.pem"
    sealed.write_bytes(after.to_bytes())
    roots.write_bytes(county.identity.roots[0].public_bytes(_PEM))
    blind = _seal_verify(sealed, roots)
    assert blind.returncode == 0 and "revocation not checked" in blind.stdout
    assert _seal_verify(sealed, roots, "--require-revocation").returncode == 1
    informed = _seal_verify(sealed, None, "--config", str(federation.config_path(COUNTY)))
    assert informed.returncode == 1 and "吊销 revocation" in informed.stdout and "revoked" in informed.stdout
    reason = next(line for line in informed.stdout.splitlines() if "原因 reason:" in line)
    assert "（北京时间）" in reason and "UTC" not in reason and "+00:00" not in reason, reason
    sealed.write_bytes(before.to_bytes())
    earlier = _seal_verify(sealed, None, "--config", str(federation.config_path(COUNTY)))
    # valid, sealed before; the county's list clears the township's CA at that moment, but only the
    # township's own list, none issued since, could clear the certificate the seal was made with
    assert earlier.returncode == 0 and "VALID" in earlier.stdout, earlier.stdout
    assert "revocation not checked" in earlier.stdout and "not revoked at" not in earlier.stdout

    # the township keeps trying; the county keeps refusing
    federation.nodes[TOWNSHIP].links.find(COUNTY).close("test: force a reconnect")
    with pytest.raises(AssertionError):
        wait_for(lambda: county.links.find(TOWNSHIP).connected, timeout=3, what="a revoked link")


def test_a_seal_revoked_after_sealing_verifies_valid_as_made_and_says_when_it_was_revoked(
    federation, tmp_path
):
    """An auditor checking a result years on, after the seal's certificate was withdrawn: the
    result stays valid (it was sealed before), and the verdict says the certificate was revoked
    since, and when, on the command line as on the 核验 page."""
    federation.start_chain()
    county = federation.nodes[COUNTY]
    seen = conclude_at(federation, COUNTY)
    time.sleep(1.1)  # certificate times have whole seconds: keep the revocation strictly after
    sealing_certificate = SealedDocument.from_bytes(seen.sealed_result).signer_chain[0]
    county.revoke(format(sealing_certificate.serial_number, "x"))

    sealed = tmp_path / "result.sealed"
    sealed.write_bytes(seen.sealed_result)
    checked = _seal_verify(sealed, None, "--config", str(federation.config_path(COUNTY)))
    assert checked.returncode == 0, checked.stdout
    headline = checked.stdout.splitlines()[0]
    assert "VALID 有效" in headline and "签章时有效；印章证书已于" in headline, headline
    revocation = next(line for line in checked.stdout.splitlines() if "吊销状态 revocation:" in line)
    assert "签章后已吊销 revoked since, on" in revocation and "+00:00" not in revocation, revocation

    with county.readers() as session:
        crls = [x509.load_der_x509_crl(d) for d in session.scalars(select(RevocationList.der))]
    check = verify_sealed(seen.sealed_result, TrustStore(county.identity.roots, crls))
    assert check.valid and check.revoked_since is not None
    assert check.attested_time is not None and check.revoked_since > check.attested_time
    page = describe(county, seen.sealed_result).revocation  # the 核验 page's words
    assert "该印章证书已于" in page and "吊销，本文件盖章在吊销之前，仍然有效" in page, page


def test_revocation_lists_flow_down_to_the_village(federation):
    federation.start_chain()
    city = federation.nodes[CITY]
    sibling = "430902000000"  # another county of the city, enrolled then revoked
    invite = InviteFile.from_message(city.invite(sibling, 1))
    enroll(DivisionCode.parse(sibling), "", federation.folder / "sibling", PASSPHRASE, invite)
    city.revoke(sibling)

    def village_knows_city_crl() -> bool:
        with federation.nodes[VILLAGE].readers() as session:
            return session.get(RevocationList, CITY) is not None

    wait_for(village_knows_city_crl, what="the city's CRL at the village")


_PEM = serialization.Encoding.PEM


def _seal_verify(path, roots, *options: str) -> subprocess.CompletedProcess[str]:
    trust = ["--trust", str(roots)] if roots else []
    return subprocess.run(
        [sys.executable, "-m", "node.cli", "seal", "verify", str(path), *trust, *options],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_licence_is_issued_sealed_and_its_revocation_reaches_every_node(federation, tmp_path):
    federation.start_chain()
    seen = conclude_at(federation, COUNTY, item="SJ-0001")  # 个体工商户注册登记 → 营业执照
    document = SealedDocument.from_bytes(seen.sealed_result)
    body = json.loads(document.content)
    assert body["document"] == "电子证照" and body["licence"]["kind"] == "营业执照"
    identifier = body["licence"]["identifier"]
    assert identifier.startswith("1.2.156.3005.2.11100000MA0000000M001.")
    assert LicenceIdentifier.parse(identifier).credit_codes_valid()
    assert verify_sealed(seen.sealed_result, trust_of(federation.nodes[VILLAGE])).valid

    county = federation.desk(COUNTY)
    assert county.CheckLicence(desk_pb2.CheckLicenceRequest(identifier=identifier)).state == "valid"
    with pytest.raises(grpc.RpcError) as elsewhere:  # only the issuer revokes
        federation.desk(CITY).RevokeLicence(desk_pb2.RevokeLicenceRequest(identifier=identifier, reason="x"))
    assert elsewhere.value.code() == grpc.StatusCode.NOT_FOUND

    county.RevokeLicence(desk_pb2.RevokeLicenceRequest(identifier=identifier, reason="以欺骗手段取得"))
    for code in (PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE):
        desk = federation.desk(code)
        status = wait_for(
            lambda d=desk: (
                (s := d.CheckLicence(desk_pb2.CheckLicenceRequest(identifier=identifier))).state == "revoked"
                and s
            ),
            what=f"the revocation at {code}",
        )
        assert status.reason == "以欺骗手段取得" and status.issuer_node == COUNTY
    revoked_at = shanghai(datetime.fromisoformat(status.revoked_at))
    checked = wuji("licence", "check", identifier, "--config", str(federation.config_path(VILLAGE)))
    assert f"revoked {revoked_at}（北京时间） by {COUNTY}: 以欺骗手段取得" in checked.stdout, checked.stdout

    # offline at the village, with the node's knowledge: the seal holds, the licence is revoked
    sealed = tmp_path / "licence.sealed"
    sealed.write_bytes(seen.sealed_result)
    offline = _seal_verify(sealed, None, "--config", str(federation.config_path(VILLAGE)))
    assert offline.returncode == 1 and "证照已吊销" in offline.stdout and "以欺骗手段取得" in offline.stdout


def test_a_token_for_one_child_cannot_buy_a_certificate_for_another(federation):
    federation.start_chain((PROVINCE, CITY, COUNTY))
    county = federation.nodes[COUNTY]
    invite = county.invite(TOWNSHIP, 1)
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    csr = make_csr(key, "430981008000", CertificatePurpose.CA, "another township")
    request = enroll_pb2.EnrollRequest(
        token=invite.token, code=TOWNSHIP, ca_csr_pem=csr.public_bytes(serialization.Encoding.PEM)
    )
    credentials = grpc.ssl_channel_credentials(root_certificates=invite.trust_anchors_pem.encode())
    options = [("grpc.ssl_target_name_override", f"n{COUNTY}.wuji")]
    channel = grpc.secure_channel(invite.parent_address, credentials, options=options)
    with channel, pytest.raises(grpc.RpcError) as refused:
        enroll_pb2_grpc.EnrollmentStub(channel).Enroll(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "430981008000" in refused.value.details()
    with county.readers() as session:  # the token is not spent by a refused request
        assert session.scalars(select(EnrollmentInvite.used_at)).all() == [None]


def test_a_result_sealed_while_the_province_is_away_waits_for_its_token(federation):
    federation.start_chain()
    federation.stop(PROVINCE)
    village, county = federation.desk(VILLAGE), federation.nodes[COUNTY]
    case = village.SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code=ITEM_AT_COUNTY,
            applicant=case_pb2.Applicant(name="周敏", id_number="43098119920304001X"),
            materials=complete_proto(ITEM_AT_COUNTY),
        )
    )
    desk = federation.desk(COUNTY)
    wait_for(lambda: _exists(desk, case.id), what="the case at its handler")
    for action in (case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE):
        concluded = desk.ActOnCase(desk_pb2.ActOnCaseRequest(case_id=case.id, action=action, note="同意"))
    assert concluded.state == case_pb2.CONCLUDED
    # sealed, but not attested: it waits at the county, and so does the notice to the village
    with county.readers() as session:
        assert county.seals.awaiting(session, case.id)
    assert county.complete_awaiting_timestamps() == 0
    assert village.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).state != case_pb2.CONCLUDED

    federation.start(PROVINCE)

    def attested() -> bool:  # by the node's own retry job, or by this call, whichever comes first
        county.complete_awaiting_timestamps()
        with county.readers() as session:
            return not county.seals.awaiting(session, case.id)

    wait_for(attested, what="the token, once the province is back")
    seen = wait_for(
        lambda: (c := village.GetCase(desk_pb2.GetCaseRequest(case_id=case.id))).sealed_result and c,
        what="the attested result at the village",
    )
    check = verify_sealed(seen.sealed_result, trust_of(federation.nodes[VILLAGE]))
    assert check.valid, check.reason
    assert check.attested_time is not None and PROVINCE in check.time
    with county.readers() as session:
        assert not county.seals.awaiting(session, case.id)


def test_a_village_sm2_seal_is_certified_by_its_township_from_an_sm2_request(federation):
    federation.start_chain()
    village = federation.nodes[VILLAGE]
    with village.sessions.begin() as session:
        village.seals.create(session, "样例村民委员会", "村委会", "公章", algorithm=Algorithm.SM2_SM3)
        seal = village.seals.seal_for(session, "村委会")
    assert seal is not None and seal.algorithm is Algorithm.SM2_SM3
    document = seal.apply(b'{"proof": "1"}', timestamp=village.timestamping.stamp)
    check = verify_sealed(document.to_bytes(), trust_of(federation.nodes[COUNTY]))
    assert check.valid, check.reason
    assert check.algorithm == "sm2-sm3" and check.attested_time is not None


def test_a_newer_list_revoking_nothing_new_keeps_the_verdict_caches(tmp_path: Path) -> None:
    """A handler sends a fresh list with every result: storing it must not clear every cached chain
    verdict at the node receiving it, unless it revokes something new."""
    authority = create_root(DivisionCode.parse("430000"), "湖南省", tmp_path / "hn", PASSPHRASE).authority
    assert authority is not None, "a root is an authority"
    engine = create_store_engine(f"sqlite:///{tmp_path / 'node.db'}")
    migrate(engine)
    changes: list[int] = []
    intake = RevocationIntake([authority.certificate], lambda: changes.append(1))
    revoked = [(7, datetime.now(UTC))]
    with session_factory(engine).begin() as session:
        assert intake.accept(session, authority.make_crl([], number=1))  # the first list: a change
        assert intake.accept(session, authority.make_crl([], number=2))  # newer, nothing new revoked
        assert intake.accept(session, authority.make_crl(revoked, number=3))
        assert not intake.accept(session, authority.make_crl(revoked, number=3))  # not newer
    engine.dispose()
    assert len(changes) == 2


def test_a_newer_list_is_learned_by_the_nodes_store_and_its_revocations_hold_at_once(tmp_path):
    """The store for the database's lists is not rebuilt for each list a result brings (it learns
    the newer one), yet revocation is as the database says at every call: a certificate the newer
    list revokes is refused at once, and a database gone back to an older list gets a rebuilt store."""
    root = create_root(DivisionCode.parse("430000"), "湖南省", tmp_path / "hn", PASSPHRASE).authority
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    ca = CertificatePurpose.CA
    city = root.issue(make_csr(key, "430900000000", ca), ca)  # the city's CA certificate
    engine = create_store_engine(f"sqlite:///{tmp_path / 'node.db'}")
    migrate(engine)
    stores, intake = TrustStores([root.certificate]), RevocationIntake([root.certificate], lambda: None)
    with session_factory(engine).begin() as session:
        assert intake.accept(session, root.make_crl([], number=1))
        first = stores.store(session)
        first.verify_chain(city, [], ca)  # not revoked
        assert intake.accept(session, root.make_crl([(city.serial_number, datetime.now(UTC))], number=2))
        learned = stores.store(session)
        assert learned is first  # learned the newer list, not rebuilt
        with pytest.raises(ChainRejected, match="revoked"):
            learned.verify_chain(city, [], ca)
        assert not intake.accept(session, root.make_crl([], number=1))  # an older list is not kept
        assert stores.store(session) is first
        # a database restored from a backup holds the older list again: the store is rebuilt from it
        session.execute(
            update(RevocationList).values(
                number=1, der=root.make_crl([], number=1).public_bytes(serialization.Encoding.DER)
            )
        )
        restored = stores.store(session)
        assert restored is not first
        restored.verify_chain(city, [], ca)
    engine.dispose()
