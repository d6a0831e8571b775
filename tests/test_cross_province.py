"""跨省通办 between two five-tier provinces (湖南 and 广东) on real mTLS links, with real seals."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Literal, cast

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from rich.cells import cell_len
from sqlalchemy import func, select

from node.cases.applicants import division_in_number, with_check_character
from node.config import ConfigError, NodeConfig
from node.documents.kinds import china_day
from node.errors import DomainError
from node.runtime.node import Node
from node.runtime.partnerwatch import PartnerLinkWatch
from node.store.engine import create_store_engine, migrate, session_factory
from node.store.models import Case, PartnerItem, RevocationList, TrustAnchor
from node.timeutil import from_timestamp, to_timestamp, utcnow
from node.trust.identity import pem_bundle
from node.trust.partner_links import PartnerDown, PartnerLinkStates, down_partners
from node.web.partners import PartnerLink, down_words
from node.web.uplink import trouble_meaning
from node.workdays import add_working_days, china_date
from signing import seals
from signing.algorithms import Algorithm
from signing.licences import credit_code_check_character
from signing.pki import CertificatePurpose
from signing.trust import ChainRejected, TrustStore
from sync import outbox
from sync.link import Link
from sync.tables import QuarantinedEnvelope
from tests.conftest import node_databases
from tests.harness import (
    CHAIN,
    CITY,
    COUNTY,
    GD_CHAIN,
    GD_CITY,
    GD_COUNTY,
    GD_PROVINCE,
    GD_VILLAGE,
    OPERATOR,
    PROVINCE,
    PROVINCE_NAMES,
    TOWNSHIP,
    VILLAGE,
    FederationHarness,
    wait_for,
)
from tests.materials import complete, complete_proto
from tests.test_documents import render, text_of
from tests.test_web import PASSWORD, csrf_of, logged_in
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2, desk_pb2, desk_pb2_grpc, link_pb2

HUNAN_RESIDENT = with_check_character("43098119900101123")
GUANGDONG_RESIDENT = with_check_character("44030519850505432")


@pytest.fixture(scope="module")
def provinces(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FederationHarness]:
    """Both five-tier chains, the provinces federated (湖南 dials 广东); 广东 seals with SM2."""
    databases = contextlib.ExitStack()
    folder = tmp_path_factory.mktemp("cross-province")
    harness = FederationHarness(folder, database_for=node_databases(request, databases))
    try:
        for code in (*CHAIN, *GD_CHAIN):
            if code == GD_PROVINCE:
                harness.start(code, seal_algorithm="sm2")
            elif code == PROVINCE:  # tells its tree of 广东 down after 1 s, not 30 s
                harness.start(code, web_listen="127.0.0.1:0", partner_down_notice_seconds=1.0)
            else:  # front desks: 跨省通办 items as the 湖南 代办员 sees them; the cases as handlers do
                desks = (PROVINCE, VILLAGE, COUNTY, GD_VILLAGE, GD_COUNTY, GD_CITY)
                harness.start(code, web_listen="127.0.0.1:0" if code in desks else "off")
        wait_for(
            lambda: all(node.describe().catalog_version > 0 for node in harness.nodes.values()),
            what="each province's catalogue to reach its nodes",
        )
        harness.nodes[VILLAGE].staff.add("agent1", "李代办", "代办员", "", PASSWORD, by=OPERATOR)
        harness.nodes[GD_VILLAGE].staff.add("agent1", "陈代办", "代办员", "", PASSWORD, by=OPERATOR)
        harness.nodes[GD_COUNTY].staff.add("review1", "黄审批", "审核/审批", "公安局", PASSWORD, by=OPERATOR)
        for code in (PROVINCE, COUNTY, GD_COUNTY, GD_CITY):  # 监察: sees every case handled at the node
            harness.nodes[code].staff.add("boss", "刘监察", "监察", "", PASSWORD, by=OPERATOR)
        harness.federate(PROVINCE, GD_PROVINCE)
        wait_for(lambda: _partner_items(harness, VILLAGE), what="广东's offer to reach the 湖南 village")
        wait_for(lambda: _partner_items(harness, GD_VILLAGE), what="湖南's offer to reach the 广东 village")
        yield harness
    finally:
        harness.stop_all()
        databases.close()


def _partner_items(harness: FederationHarness, code: str) -> list[str]:
    with harness.nodes[code].readers() as session:
        return list(session.scalars(select(PartnerItem.code)))


def _submit(
    harness: FederationHarness,
    at: str,
    item: str,
    mode: str,
    home: str,
    id_number: str,
    place_division: str = "",  # "" is proto3's unset
):
    return harness.desk(at).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code=item,
            applicant=case_pb2.Applicant(name="李秀英", id_number=id_number, phone="13800000000"),
            materials=complete_proto(item),
            home_division=home,
            mode=mode,
            place_division=place_division,
        )
    )


def _act(harness: FederationHarness, at: str, case_id: str, *actions: case_pb2.CaseAction) -> case_pb2.Case:
    view = case_pb2.Case()
    for action in actions:
        view = harness.desk(at).ActOnCase(desk_pb2.ActOnCaseRequest(case_id=case_id, action=action))
    return view


def _arrived(harness: FederationHarness, code: str, case_id: str) -> bool:
    with harness.nodes[code].readers() as session:
        return session.get(Case, case_id) is not None


def _state_at(harness: FederationHarness, code: str, case_id: str) -> case_pb2.Case:
    return harness.desk(code).GetCase(desk_pb2.GetCaseRequest(case_id=case_id))


def _concluded_at(harness: FederationHarness, code: str, case_id: str) -> case_pb2.Case | None:
    view = _state_at(harness, code, case_id)
    return view if view.state == case_pb2.CONCLUDED else None


def test_proxy_case_is_received_in_hunan_handled_in_guangdong_and_its_seal_verifies_at_the_village(
    provinces: FederationHarness,
) -> None:
    """异地代收代办 across both five-tier chains: village (湖南) → … → county (广东) and back."""
    case = _submit(provinces, VILLAGE, "KS-0201", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT)
    assert case.handler == GD_COUNTY and case.mode == "异地代收代办"
    wait_for(lambda: _arrived(provinces, GD_COUNTY, case.id), what="the case at the 广东 county")
    _act(provinces, GD_COUNTY, case.id, case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE)
    done = wait_for(lambda: _concluded_at(provinces, VILLAGE, case.id), what="the result at the 湖南 village")

    assert done.outcome == case_pb2.APPROVED
    route = next(event.route for event in done.events if event.action == case_pb2.APPROVE)
    assert list(route) == [GD_COUNTY, GD_CITY, GD_PROVINCE, PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE]
    at_village = seals.verify(done.sealed_result, provinces.nodes[VILLAGE].trust_store())
    assert at_village.valid, at_village.reason
    assert at_village.chain[-1].endswith(GD_PROVINCE) or GD_PROVINCE in " ".join(at_village.chain)
    assert at_village.revocation_lists == (GD_COUNTY,)  # the 广东 county's list came with the result
    hunan_only = TrustStore(provinces.nodes[VILLAGE].identity.roots)
    without_anchor = seals.verify(done.sealed_result, hunan_only)
    assert not without_anchor.valid and without_anchor.reason


def test_a_partner_items_papers_give_its_time_limit_and_name_its_province(
    provinces: FederationHarness,
) -> None:
    """广东's 开具户籍证明 (KS-0201, 3 个工作日) taken in at a 湖南 village: the receipts promise 3
    working days, not 0; its 一次性告知书 prints from 广东's offer, listing what the screen lists; the
    pages name the province 广东省 (its anchor's name), not its code."""
    village = provinces.desk(VILLAGE)  # the node's operator, as `wuji doc` is
    case = _submit(provinces, VILLAGE, "KS-0201", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT)
    received = text_of(render(village, (), "receipt", case.id).pdf)
    assert "承诺办结时限3 个工作日（自受理次日起算）" in received and " 0 个工作日" not in received
    wait_for(lambda: _arrived(provinces, GD_COUNTY, case.id), what="the case at the 广东 county")
    _act(provinces, GD_COUNTY, case.id, case_pb2.ACCEPT)
    accepted = wait_for(
        lambda: (c := _state_at(provinces, VILLAGE, case.id)).state == case_pb2.ACCEPTED and c, what="受理"
    )
    accepted_on = china_date(from_timestamp(accepted.events[-1].at))
    receipt = text_of(render(village, (), "receipt", case.id).pdf)
    assert "承诺办结时限3 个工作日（自受理次日起算）" in receipt and " 0 个工作日" not in receipt
    assert f"承诺办结日期{china_day(add_working_days(accepted_on, 3))}前" in receipt

    agent = logged_in(provinces, VILLAGE, "agent1")
    on_screen = agent.get(f"/cases/{case.id}/receipt").text  # the PDF's words, on the screen too
    assert "<th>承诺办结时限</th><td>3 个工作日（自受理次日起算）</td>" in on_screen
    guide = agent.get("/items/KS-0201").text
    assert "广东省：异地代收代办" in guide and "440000000000" not in guide
    form = agent.get("/items/KS-0201/apply").text
    assert "跨省通办：本事项由广东省办理" in form
    # sent without the 户籍地: it comes back with the one the applicant's number carries, to check
    scans = {
        "file_0": ("身份证.pdf", b"%PDF-1.4 id", "application/pdf"),
        "file_1": ("表.pdf", b"%PDF-1.4 f", "application/pdf"),
    }
    fields = {
        "csrf": csrf_of(form),
        "applicant_name": "陈广",
        "id_number": GUANGDONG_RESIDENT,
        "mode": "异地代收代办",
    }
    without_home = agent.post("/items/KS-0201/apply", data=fields, files=scans)
    assert without_home.status_code == 400 and "跨省通办必填" in without_home.text
    assert (
        'id="home_division" value="440305000000"' in without_home.text
        and 'id="home-suggested"' in without_home.text
    )
    found = agent.get("/items", params={"q": "hjzm"}, headers={"HX-Request": "true"}).text
    assert "外省事项 广东省：异地代收代办" in found
    screen = agent.get("/items/KS-0201/notice").text
    names = re.findall(r"<tr><td>\d+</td><td>([^<]+)</td>", screen)
    assert names == ["居民身份证", "户籍证明申请表"], names
    pdf = agent.get("/items/KS-0201/notice.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf", pdf.text
    notice = text_of(pdf.content)
    assert "开具户籍证明" in notice and "承诺办结时限3 个工作日（自受理次日起算）" in notice
    assert "本事项由广东省办理，可在本窗口异地代收代办" in notice
    listed = notice[notice.index("三、申请材料") : notice.index("四、办理地点")]
    assert all(f"{number}{name}" in listed for number, name in enumerate(names, 1)), listed


def test_a_guangdong_cases_papers_at_the_hunan_village_name_the_province_the_mode_and_the_window(
    provinces: FederationHarness,
) -> None:
    """The 湖南 village's 受理回执, 补正告知书, 不予受理决定书 and 办结通知书 of a case handled in 广东
    said only 办理地 440305000000 公安局: not that it is in 广东省, nor that it is 跨省通办; and
    请在原申请窗口提交补正材料 named no window, on a paper 广东 prints too."""
    village, handler = provinces.desk(VILLAGE), provinces.desk(GD_COUNTY)
    across = "办理方式跨省通办（异地代收代办）"

    def act(case_id: str, action: case_pb2.CaseAction, note: str = "", materials=()) -> None:
        at = handler if action != case_pb2.SUPPLEMENT else village
        at.ActOnCase(
            desk_pb2.ActOnCaseRequest(case_id=case_id, action=action, note=note, materials=list(materials))
        )

    case = _submit(provinces, VILLAGE, "KS-0201", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT)
    receipt = text_of(render(village, (), "receipt", case.id).pdf)
    assert f"办理地广东省 {GD_COUNTY}" in receipt and across in receipt, receipt  # (nodes named by code here)
    wait_for(lambda: _arrived(provinces, GD_COUNTY, case.id), what="the case at the 广东 county")
    act(case.id, case_pb2.REQUEST_CORRECTION, "申请表未签名")
    wait_for(
        lambda: _state_at(provinces, VILLAGE, case.id).state == case_pb2.CORRECTION_REQUESTED, what="补正"
    )
    correction = text_of(render(village, (), "correction", case.id).pdf)
    assert "办理地广东省 " in correction and across in correction, correction
    assert re.search(rf"请到原申请窗口 \S*{VILLAGE}\S* 提交补正材料", correction), correction
    in_guangdong = text_of(render(handler, (), "correction", case.id).pdf)  # the window is in 湖南省
    assert re.search(rf"请到原申请窗口 湖南省 \S*{VILLAGE}\S* 提交补正材料", in_guangdong), in_guangdong
    assert "办理地广东省" not in in_guangdong and across in in_guangdong

    corrected = case_pb2.Material(name="户籍证明申请表", content=b"%PDF signed", file_name="表.pdf")
    act(case.id, case_pb2.SUPPLEMENT, "已签名", [corrected])
    wait_for(lambda: _state_at(provinces, GD_COUNTY, case.id).state == case_pb2.SUBMITTED, what="补正材料")
    for action in (case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE):
        act(case.id, action, "同意")
    wait_for(lambda: _concluded_at(provinces, VILLAGE, case.id), what="the result at the 湖南 village")
    result = text_of(render(village, (), "result", case.id).pdf)
    assert "办理地广东省 " in result and across in result, result

    refused = _submit(provinces, VILLAGE, "KS-0201", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT)
    wait_for(lambda: _arrived(provinces, GD_COUNTY, refused.id), what="the second case in 广东")
    act(refused.id, case_pb2.REFUSE, "申请人已在本地办理")
    wait_for(lambda: _state_at(provinces, VILLAGE, refused.id).state == case_pb2.REFUSED, what="不予受理")
    refusal = text_of(render(village, (), "refusal", refused.id).pdf)
    assert "办理地广东省 " in refusal and across in refusal, refusal


def test_a_result_sealed_in_sm2_at_a_guangdong_county_verifies_at_a_hunan_village(
    provinces: FederationHarness,
) -> None:
    """国密: 广东 seals with SM2 (GB/T 38540 alongside), 湖南 checks it through the anchor."""
    county = provinces.nodes[GD_COUNTY]
    with county.sessions.begin() as session:
        county.seals.create(
            session, "南山区政务服务中心", "政务服务中心", "公章", algorithm=Algorithm.SM2_SM3
        )
    case = _submit(provinces, VILLAGE, "KS-0201", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT)
    wait_for(lambda: _arrived(provinces, GD_COUNTY, case.id), what="the case at the 广东 county")
    _act(provinces, GD_COUNTY, case.id, case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE)
    done = wait_for(lambda: _concluded_at(provinces, VILLAGE, case.id), what="the result at the 湖南 village")

    check = seals.verify(done.sealed_result, provinces.nodes[VILLAGE].trust_store())
    assert check.valid, f"{check.step}: {check.reason}"
    assert check.algorithm == "sm2-sm3" and check.standard == "GB/T 38540 SES_Signature valid"
    assert check.time.startswith("经时间戳证明") and GD_PROVINCE in check.time
    assert check.revocation_lists == (GD_COUNTY,)  # its SM2 seal CA's list, issued after the token
    # sealed in 广东's SM2 seal tree: the county's seal CA, up to the SM2 seal root 湖南 installed
    chain = seals.SealedDocument.from_bytes(done.sealed_result).signer_chain
    seal_authority = county.identity.seal_authority
    assert seal_authority is not None  # 广东 seals with SM2
    assert chain[1:] == seal_authority.full_chain()
    assert chain[-1] == provinces.nodes[GD_PROVINCE].identity.seal_roots[0]
    without_anchor = seals.verify(done.sealed_result, TrustStore(provinces.nodes[VILLAGE].identity.roots))
    assert not without_anchor.valid


def test_an_sm2_seal_of_a_guangdong_village_verifies_at_a_hunan_village(provinces: FederationHarness) -> None:
    """A 广东 village's SM2 seal, certified and made (SESeal) by its township's SM2 seal CA."""
    village = provinces.nodes[GD_VILLAGE]
    with village.sessions.begin() as session:
        village.seals.create(session, "样例社区居民委员会", "居委会", "公章")
        seal = village.seals.seal_for(session, "居委会")
    assert seal is not None and seal.algorithm is Algorithm.SM2_SM3 and seal.ses_seal
    document = seal.apply('{"证明": "居住证明"}'.encode(), timestamp=village.timestamping.stamp)
    check = seals.verify(document.to_bytes(), provinces.nodes[VILLAGE].trust_store())
    assert check.valid, f"{check.step}: {check.reason}"
    assert check.standard == "GB/T 38540 SES_Signature valid" and GD_PROVINCE in check.time


def test_a_licence_revoked_in_hunan_is_reported_revoked_in_guangdong_too(
    provinces: FederationHarness,
) -> None:
    """A licence may be shown in the partner province: its revocation crosses the peer link."""
    case = provinces.nodes[VILLAGE].cases.submit("SJ-0001", _applicant(), complete("SJ-0001"))
    wait_for(lambda: _arrived(provinces, COUNTY, case.id), what="the case at the 湖南 county")
    _act(provinces, COUNTY, case.id, case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE)
    done = wait_for(lambda: _concluded_at(provinces, VILLAGE, case.id), what="the licence at the village")
    identifier = json.loads(seals.SealedDocument.from_bytes(done.sealed_result).content)["licence"][
        "identifier"
    ]

    provinces.desk(COUNTY).RevokeLicence(
        desk_pb2.RevokeLicenceRequest(identifier=identifier, reason="证照信息有误")
    )
    for code in (VILLAGE, GD_PROVINCE, GD_COUNTY, GD_VILLAGE):
        desk = provinces.desk(code)

        def revoked(d: desk_pb2_grpc.DeskStub = desk) -> desk_pb2.LicenceStatus | Literal[False]:
            s = d.CheckLicence(desk_pb2.CheckLicenceRequest(identifier=identifier))
            return s.state == "revoked" and s

        status = wait_for(revoked, what=f"the revocation at {code}")
        assert status.reason == "证照信息有误" and status.issuer_node == COUNTY


def test_joint_case_concludes_only_when_both_provinces_parts_have(provinces: FederationHarness) -> None:
    """两地联办: 湖南 (residence) concludes the 迁入, 广东 (home) handles the 迁出 part."""
    case = _submit(provinces, VILLAGE, "KS-0101", "两地联办", GD_VILLAGE, GUANGDONG_RESIDENT)
    assert case.handler == COUNTY
    wait_for(lambda: _arrived(provinces, COUNTY, case.id), what="the case at the 湖南 county")
    accepted = _act(provinces, COUNTY, case.id, case_pb2.ACCEPT, case_pb2.REVIEW)
    assert [part.handler for part in accepted.parts] == [GD_COUNTY]
    part_id = accepted.parts[0].case_id

    with pytest.raises(grpc.RpcError) as refused:
        _act(provinces, COUNTY, case.id, case_pb2.APPROVE)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "part" in (refused.value.details() or "")

    wait_for(lambda: _arrived(provinces, GD_COUNTY, part_id), what="the 迁出 part at the 广东 county")
    _act(provinces, GD_COUNTY, part_id, case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE)
    part = wait_for(lambda: _concluded_at(provinces, COUNTY, part_id), what="the part's result in 湖南")
    assert seals.verify(part.sealed_result, provinces.nodes[COUNTY].trust_store()).valid

    # each side's case page links the other: the 湖南 clerk finds the part, 广东's the case it is for
    page = logged_in(provinces, COUNTY, "boss").get(f"/cases/{case.id}").text
    assert re.search(rf'<td class="joint-part"><a href="/cases/{part_id}">{part_id}</a> ', page), page
    # 广东 holds the part only: the main case is named, not linked to a page that is not here
    part_page = logged_in(provinces, GD_COUNTY, "boss").get(f"/cases/{part_id}").text
    assert f'<span id="joint-of-elsewhere">{case.id}</span>（两地联办主件，由湖南省 ' in part_page, part_page
    assert f'href="/cases/{case.id}"' not in part_page
    # where the part was started, beside its main case, the link leads to it
    started = logged_in(provinces, COUNTY, "boss").get(f"/cases/{part_id}").text
    assert f'<td id="joint-of"><a href="/cases/{case.id}">{case.id}</a>' in started, started

    _act(provinces, COUNTY, case.id, case_pb2.APPROVE)
    done = wait_for(lambda: _concluded_at(provinces, VILLAGE, case.id), what="the joint case at the village")
    assert done.outcome == case_pb2.APPROVED
    assert _state_at(provinces, COUNTY, case.id).parts[0].state == case_pb2.CONCLUDED


def test_a_joint_case_withdrawn_or_denied_in_hunan_withdraws_its_part_in_guangdong(
    provinces: FederationHarness,
) -> None:
    """The 迁出 part must not go on to 准予 once the 迁入 it was for is withdrawn or denied: the
    citizen would be struck off the 广东 register with no 迁入 anywhere."""
    county = provinces.desk(COUNTY)

    def withdrawn_at(code: str, case_id: str) -> case_pb2.Case | None:
        view = _state_at(provinces, code, case_id)
        return view if view.state == case_pb2.WITHDRAWN else None

    parts: list[tuple[str, str]] = []
    for ending in (case_pb2.WITHDRAW, case_pb2.DENY):
        case = _submit(provinces, VILLAGE, "KS-0101", "两地联办", GD_VILLAGE, GUANGDONG_RESIDENT)
        wait_for(partial(_arrived, provinces, COUNTY, case.id), what="the case at the 湖南 county")
        part_id = _act(provinces, COUNTY, case.id, case_pb2.ACCEPT, case_pb2.REVIEW).parts[0].case_id
        wait_for(partial(_arrived, provinces, GD_COUNTY, part_id), what="the 迁出 part in 广东")
        if ending == case_pb2.WITHDRAW:  # asked for at the village, where the citizen applied
            request = desk_pb2.ActOnCaseRequest(case_id=case.id, action=ending, note="申请人撤回")
            provinces.desk(VILLAGE).ActOnCase(request)
        else:
            _act(provinces, GD_COUNTY, part_id, case_pb2.ACCEPT)  # 广东 has taken it up meanwhile
            county.ActOnCase(desk_pb2.ActOnCaseRequest(case_id=case.id, action=ending, note="不符合迁入条件"))
        parts.append((part_id, case.id))
    for part_id, case_id in parts:
        withdrawn = wait_for(partial(withdrawn_at, GD_COUNTY, part_id), what="the part withdrawn in 广东")
        assert f"两地联办主件 {case_id} 已" in withdrawn.events[-1].note
        wait_for(partial(withdrawn_at, COUNTY, part_id), what="the part's copy in 湖南 withdrawn too")
    with pytest.raises(grpc.RpcError):  # 广东 can no longer approve it
        _act(provinces, GD_COUNTY, parts[1][0], case_pb2.REVIEW)


def test_a_joint_part_is_not_withdrawn_on_its_own_at_the_province_that_started_it(
    provinces: FederationHarness,
) -> None:
    """Only the applicant's 撤回 of the whole case withdraws the 广东 part (the test above): a 湖南
    county clerk who withdrew the part alone left the main case waiting for a part that would never
    be concluded, so that it could never be approved."""
    provinces.nodes[COUNTY].staff.add("ga-clerk", "孙公安", "窗口受理", "公安局", PASSWORD, by=OPERATOR)
    case = _submit(provinces, VILLAGE, "KS-0101", "两地联办", GD_VILLAGE, GUANGDONG_RESIDENT)
    wait_for(partial(_arrived, provinces, COUNTY, case.id), what="the case at the 湖南 county")
    part_id = _act(provinces, COUNTY, case.id, case_pb2.ACCEPT, case_pb2.REVIEW).parts[0].case_id
    wait_for(partial(_arrived, provinces, GD_COUNTY, part_id), what="the 迁出 part in 广东")

    clerk = logged_in(provinces, COUNTY, "ga-clerk")
    page = clerk.get(f"/cases/{part_id}").text
    assert 'id="do-WITHDRAW"' not in page, page  # not offered on the part's page
    refused = clerk.post(f"/cases/{part_id}/act", data={"csrf": csrf_of(page), "action": "WITHDRAW"})
    assert refused.status_code == 409 and f"联办部分不能单独撤回：申请人撤回主件 {case.id}" in refused.text
    with pytest.raises(grpc.RpcError) as cli_refused:
        _act(provinces, COUNTY, part_id, case_pb2.WITHDRAW)
    assert cli_refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "联办部分不能单独撤回" in (cli_refused.value.details() or "")
    time.sleep(1)  # had a request left, 广东 would have it within a heartbeat
    assert _state_at(provinces, GD_COUNTY, part_id).state == case_pb2.SUBMITTED


def test_online_case_waits_for_the_home_province_to_confirm_identity(provinces: FederationHarness) -> None:
    """全程网办: applied online at 广东's province node; 湖南 confirms identity over the peer link."""
    case = _submit(
        provinces, GD_PROVINCE, "KS-0301", "全程网办", VILLAGE, HUNAN_RESIDENT, place_division=GD_CITY
    )
    assert case.handler == GD_CITY
    wait_for(lambda: _arrived(provinces, GD_CITY, case.id), what="the online case at the 广东 city")
    checked = wait_for(
        lambda: (view := _state_at(provinces, GD_CITY, case.id)).identity_check.answered and view,
        what="湖南's identity answer",
    )
    assert checked.identity_check.confirmed, checked.identity_check.detail
    assert checked.identity_check.province == PROVINCE
    # in Chinese, after the answering province's name: no English, no province by its code
    assert (
        checked.identity_check.detail
        == f"身份核验：李秀英，户籍地 {VILLAGE}，身份证号码格式正确，由户籍地所在省签发"
    )
    _act(provinces, GD_CITY, case.id, case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE)
    assert wait_for(lambda: _concluded_at(provinces, GD_PROVINCE, case.id), what="the result online")

    # an identity number not issued in 湖南: not confirmed, so the case cannot be accepted
    doubtful = _submit(
        provinces, GD_PROVINCE, "KS-0301", "全程网办", VILLAGE, GUANGDONG_RESIDENT, place_division=GD_CITY
    )
    wait_for(lambda: _arrived(provinces, GD_CITY, doubtful.id), what="the doubtful case at the city")
    answered = wait_for(
        lambda: (view := _state_at(provinces, GD_CITY, doubtful.id)).identity_check.answered and view,
        what="湖南's answer on the doubtful case",
    )
    assert not answered.identity_check.confirmed
    # the handler's page says so before anyone tries 受理 (it was told only when 受理 was refused)
    page = logged_in(provinces, GD_CITY, "boss").get(f"/cases/{doubtful.id}").text
    shown = re.search(r'<td id="identity-check" class="due red">([^<]+)</td>', page)
    assert shown and "核验未通过" in shown.group(1) and "不是本省签发" in shown.group(1), page
    with pytest.raises(grpc.RpcError) as refused:
        _act(provinces, GD_CITY, doubtful.id, case_pb2.ACCEPT)
    said = f"{PROVINCE_NAMES[PROVINCE]} 未能核验申请人身份：身份证号码不是本省签发"
    assert (refused.value.details() or "").startswith(said), refused.value.details()

    # a 办理地 in the applicant's home province, not here: said in Chinese, the province by its name
    with pytest.raises(grpc.RpcError) as elsewhere:
        _submit(provinces, GD_PROVINCE, "KS-0301", "全程网办", VILLAGE, HUNAN_RESIDENT, place_division=CITY)
    words = elsewhere.value.details() or ""
    assert words.startswith(f"全程网办的事项由本省办理，办理地 {CITY} 在湖南省，不在本省"), words


def test_a_partners_online_only_item_is_not_offered_for_applying_at_a_window_here(
    provinces: FederationHarness,
) -> None:
    """全程网办 is applied for online in the handling province (README): 广东's KS-0301, open to 湖南
    only so, is listed at the 湖南 village but not offered for applying; asked for all the same, it
    is refused in words (the form kept), not with a bare 404 "unknown item"."""
    agent = logged_in(provinces, VILLAGE, "agent1")
    found = agent.get("/items", params={"q": "KS-0301"}, headers={"HX-Request": "true"}).text
    assert "KS-0301" in found and 'href="/items/KS-0301/apply"' not in found, found
    guide = agent.get("/items/KS-0301").text
    said = "是广东省的事项，广东省对本省只开放全程网办：全程网办由申请人在广东省网上申请，本窗口不能代收"
    assert said in guide and 'id="apply"' not in guide, guide
    form = agent.get("/items/KS-0301/apply")
    assert form.status_code == 400 and said in form.text, form.text
    # the English detail after it ("(item KS-0301 of 440000000000 is not taken in …)") is the log's
    assert "not taken in" not in guide and "not taken in" not in form.text, guide
    # a form sent all the same (a page kept open from before): refused on the form, typed input kept
    typed = {
        "csrf": csrf_of(guide),
        "applicant_name": "陈广",
        "id_number": GUANGDONG_RESIDENT,
        "mode": "全程网办",
        "home_division": GD_VILLAGE,
    }
    sent = agent.post("/items/KS-0301/apply", data=typed)
    assert sent.status_code == 400 and said in sent.text and 'value="陈广"' in sent.text, sent.text
    with pytest.raises(grpc.RpcError) as refused:  # the CLI's way, through the desk
        _submit(provinces, VILLAGE, "KS-0301", "全程网办", GD_VILLAGE, GUANGDONG_RESIDENT)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert said in (refused.value.details() or "")


def test_a_mode_the_pair_has_not_agreed_is_refused_and_nothing_reaches_the_partner(
    provinces: FederationHarness,
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        _submit(provinces, VILLAGE, "KS-0301", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "未约定以异地代收代办办理" in (refused.value.details() or "")
    with pytest.raises(grpc.RpcError) as unknown:
        _submit(provinces, VILLAGE, "KS-9999", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT)
    assert (unknown.value.details() or "").startswith("广东省 未向本省申请人开放事项 KS-9999")
    # 湖南's own item sent to 广东: not blamed on 广东 for not opening it
    with pytest.raises(grpc.RpcError) as own:
        _submit(provinces, VILLAGE, "KS-0101", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT)
    words = own.value.details() or ""
    assert "（KS-0101）是本省事项，不能以异地代收代办交广东省办理" in words and "未向本省" not in words, words
    with pytest.raises(grpc.RpcError) as same_province:
        _submit(provinces, VILLAGE, "KS-0201", "异地代收代办", COUNTY, HUNAN_RESIDENT)
    said = f"异地代收代办适用于户籍在外省的申请人，户籍地 {COUNTY}"
    assert (same_province.value.details() or "").startswith(said)
    # the 户籍地 left empty, or a place name typed in it: the agent is told the code the number carries
    for home, words in (
        ("", "请填写申请人户籍地区划代码（跨省通办必填）：按申请人身份证号前 6 位为 440305000000"),
        ("深圳市南山区", "申请人户籍地区划代码 深圳市南山区 有误：应填 6、9 或 12 位数字的区划代码"),
    ):
        with pytest.raises(grpc.RpcError) as unplaced:
            _submit(provinces, VILLAGE, "KS-0301", "异地代收代办", home, GUANGDONG_RESIDENT)
        assert unplaced.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (unplaced.value.details() or "").startswith(words)
    with provinces.nodes[VILLAGE].readers() as session:
        submitted = session.scalar(select(func.count()).select_from(Case).where(Case.item_code == "KS-0301"))
    assert submitted == 0
    for code in GD_CHAIN:
        with provinces.nodes[code].readers() as session:
            assert not session.scalar(
                select(func.count())
                .select_from(Case)
                .where(Case.origin == VILLAGE, Case.item_code == "KS-0301")
            )


def test_the_division_an_applicants_number_carries_is_where_its_home_is_looked_for() -> None:
    company = "91430981MA4L0B2C0"
    assert division_in_number(GUANGDONG_RESIDENT) == ("440305000000", "身份证号前 6 位")
    assert division_in_number(company + credit_code_check_character(company)) == (
        "430981000000",
        "统一社会信用代码第 3 至 8 位",
    )
    assert division_in_number(GUANGDONG_RESIDENT[:-1] + "0") is None  # a wrong check character
    assert division_in_number(with_check_character("44000019850505432")) is None  # no county in it


def test_a_case_for_a_home_in_the_partner_province_without_a_mode_is_refused_at_the_window(
    provinces: FederationHarness,
) -> None:
    """广东's own 开具户籍证明 applied for at a 广东 village for an applicant whose 户籍地 is in 湖南, no
    跨省通办 mode chosen: it went to 湖南 and came back 不予受理 in 湖南's name, from an office that
    never saw it. Now the window refuses it in words (the CLI's way as the form's) and nothing is
    stored or sent."""
    said = (
        f"户籍地 {VILLAGE} 在湖南省，开具户籍证明（KS-0201）是本省事项，不交外省办理："
        "由本窗口所在地办理的，请将户籍地留空；须由户籍地办理的，请申请人向湖南省申请"
    )
    with pytest.raises(grpc.RpcError) as refused:  # `wuji case submit`, through the desk
        _submit(provinces, GD_VILLAGE, "KS-0201", "", VILLAGE, HUNAN_RESIDENT)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (refused.value.details() or "").startswith(said), refused.value.details()
    # the same at a 湖南 window for a 湖南 item and a 广东 户籍地
    with pytest.raises(grpc.RpcError) as hunan:
        _submit(provinces, VILLAGE, "MZ-0001", "", GD_COUNTY, GUANGDONG_RESIDENT)
    assert (hunan.value.details() or "").startswith(f"户籍地 {GD_COUNTY} 在广东省，最低生活保障"), hunan

    # the form: a page kept open from before, sent with the 户籍地 all the same
    agent = logged_in(provinces, GD_VILLAGE, "agent1")
    form = agent.get("/items/KS-0201/apply").text
    fields = {
        "csrf": csrf_of(form),
        "applicant_name": "周湘",
        "id_number": HUNAN_RESIDENT,
        "mode": "",
        "home_division": VILLAGE,
    }
    scans = {
        "file_0": ("身份证.pdf", b"%PDF-1.4 id", "application/pdf"),
        "file_1": ("表.pdf", b"%PDF-1.4 f", "application/pdf"),
    }
    sent = agent.post("/items/KS-0201/apply", data=fields, files=scans)
    assert sent.status_code == 400 and said in sent.text and 'value="周湘"' in sent.text, sent.text
    assert "收件回执" not in sent.text
    for code in (GD_VILLAGE, *CHAIN):
        with provinces.nodes[code].readers() as session:
            stored = session.scalar(
                select(func.count())
                .select_from(Case)
                .where(Case.applicant_name.in_(("周湘", "李秀英")))
                .where(Case.item_code.in_(("KS-0201", "MZ-0001")), Case.mode.is_(None))
            )
        assert not stored, code


def test_a_window_offers_only_the_modes_it_can_take_an_item_in_with(provinces: FederationHarness) -> None:
    """广东's KS-0201 is open to 湖南's windows (异地代收代办): the 广东 village's form offered that mode
    for it and refused it with words that ended 此事项可以异地代收代办办理. Now the form offers no mode
    it would refuse (nor 两地联办 for 广东's part item KS-0102), and asked all the same the refusal
    says in one sentence what to do."""
    agent = logged_in(provinces, GD_VILLAGE, "agent1")
    for code in ("KS-0201", "KS-0102"):
        form = agent.get(f"/items/{code}/apply").text
        assert 'name="mode"' not in form and "<option>异地代收代办" not in form, form
    # 湖南's KS-0101, at a 湖南 window: 两地联办 is taken in here (its part is 广东's KS-0102)
    hunan_form = logged_in(provinces, VILLAGE, "agent1").get("/items/KS-0101/apply").text
    options = re.findall(r"<option[^>]*>([^<]*)</option>", hunan_form)
    assert options == ["本省办理", "两地联办"], options

    with pytest.raises(grpc.RpcError) as refused:
        _submit(provinces, GD_VILLAGE, "KS-0201", "异地代收代办", VILLAGE, HUNAN_RESIDENT)
    words = refused.value.details() or ""
    assert words.startswith(
        "开具户籍证明（KS-0201）是本省事项，不能以异地代收代办交湖南省办理："
        "由本窗口所在地办理的，请选择本省办理并将户籍地留空；须由户籍地办理的，请申请人向湖南省申请"
    ), words
    assert "可以异地代收代办" not in words and "wuji peer" not in words, words


def test_a_partners_joint_item_tells_the_window_where_the_citizen_applies(
    provinces: FederationHarness,
) -> None:
    """湖南's 户口迁入 (KS-0101) at a 广东 village: its main case is accepted in 湖南 (the 迁入地), not by
    本省 (广东), which starts only its part; 湖南's village reads 广东's part item KS-0102 as before."""
    guide = logged_in(provinces, GD_VILLAGE, "agent1").get("/items/KS-0101").text
    said = "两地联办由申请人向湖南省申请，湖南省受理后自动发起本省的联办部分，本窗口不能代收"
    assert said in guide and "由本省受理主件" not in guide, guide
    part = logged_in(provinces, VILLAGE, "agent1").get("/items/KS-0102").text
    assert "两地联办的联办部分由本省受理主件后自动发起" in part, part


def test_the_extension_form_offers_no_more_days_than_the_item_allows(provinces: FederationHarness) -> None:
    """KS-0201 promises 3 working days of a statutory 5: a 延期 may add 2. The form offered 5 (up to
    60), so the first try was always refused; now it offers the 2 the item allows."""
    case = _submit(provinces, VILLAGE, "KS-0201", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT)
    wait_for(lambda: _arrived(provinces, GD_COUNTY, case.id), what="the case at the 广东 county")
    _act(provinces, GD_COUNTY, case.id, case_pb2.ACCEPT)
    reviewer = logged_in(provinces, GD_COUNTY, "review1")
    page = reviewer.get(f"/cases/{case.id}").text
    assert 'name="days" id="days" min="1" max="2" value="2"' in page, page
    token = csrf_of(page)
    extended = reviewer.post(
        f"/cases/{case.id}/act", data={"csrf": token, "action": "EXTEND", "days": "2", "note": "需核查档案"}
    )
    assert extended.status_code == 200 and "延期 2 个工作日" in extended.text, extended.text


def test_a_case_the_handler_province_has_not_agreed_is_refused_on_arrival(
    provinces: FederationHarness,
) -> None:
    """Even if a window holds a stale list, the handler's province checks the agreement itself."""
    with provinces.nodes[VILLAGE].sessions.begin() as session:
        stale = session.get(PartnerItem, (GD_PROVINCE, "KS-0301"))
        assert stale is not None
        stale.modes = ["全程网办", "异地代收代办"]
    case = _submit(provinces, VILLAGE, "KS-0301", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT)
    assert case.handler == GD_CITY

    def refused_at_city() -> list[str]:
        with provinces.nodes[GD_CITY].readers() as session:
            return list(session.scalars(select(QuarantinedEnvelope.reason)))

    reasons = wait_for(refused_at_city, what="the refusal at the 广东 city")
    assert any("not agreed" in reason for reason in reasons)
    assert not _arrived(provinces, GD_CITY, case.id)
    # the window learns it: its copy is refused (不予受理) with the handler's reason
    refused = wait_for(
        lambda: (view := _state_at(provinces, VILLAGE, case.id)).state == case_pb2.REFUSED and view,
        what="the refusal at the 湖南 village",
    )
    assert refused.events[-1].actor_node == GD_CITY and "not agreed" in refused.events[-1].note


def test_cases_submitted_while_the_peer_link_is_down_arrive_exactly_once(
    provinces: FederationHarness,
) -> None:
    quarantined_before = _quarantined(provinces, GD_COUNTY)  # refusals of the module's other tests
    provinces.stop(GD_PROVINCE)
    submitted = [
        _submit(provinces, VILLAGE, "KS-0201", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT).id
        for _ in range(12)
    ]
    time.sleep(1.0)
    assert not any(_arrived(provinces, GD_COUNTY, case_id) for case_id in submitted)
    provinces.restart(GD_PROVINCE)
    wait_for(
        lambda: all(_arrived(provinces, GD_COUNTY, case_id) for case_id in submitted),
        timeout=60,
        what="every case queued behind the peer link",
    )
    with provinces.nodes[GD_COUNTY].readers() as session:
        arrived = session.scalars(select(Case.id).where(Case.id.in_(submitted))).all()
    assert sorted(arrived) == sorted(submitted)
    assert _quarantined(provinces, GD_COUNTY) == quarantined_before


def test_the_province_desk_shows_a_partner_that_is_down_and_the_cases_waiting_on_it(
    provinces: FederationHarness,
) -> None:
    """The 湖南 province's 监察 sees 广东 on the 协作省份 page: up, then down with the cases queued
    for it, and on a case held at the province that 广东 cannot be reached; up again once back."""
    boss = logged_in(provinces, PROVINCE, "boss")
    assert '<a href="/partners">协作省份</a>' in boss.get("/").text
    up = boss.get("/partners").text
    assert "广东省" in _partner_row(up) and "已连接" in _partner_row(up)
    provinces.stop(GD_PROVINCE)
    through_village = _submit(
        provinces, VILLAGE, "KS-0201", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT
    ).id
    at_province = _submit(provinces, PROVINCE, "KS-0201", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT).id
    try:
        page = wait_for(
            lambda: (text := boss.get("/partners").text) and through_village in text and text,
            what="the village's case queued at the province for 广东",
        )
        row = _partner_row(page)
        assert "暂时无法连接" in row and "恢复后自动报送" in row and "已连接" not in row, row
        down_since, last_contact = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", row)  # 北京时间
        assert last_contact <= down_since, row
        assert re.search(r'class="partner-waiting">[1-9]\d* 条', row), row
        _assert_peer_list_says(provinces, down_since, last_contact)
        assert at_province in page and "开具户籍证明" in page
        case_page = boss.get(f"/cases/{at_province}").text
        assert "广东省节点暂时无法连接，恢复后自动报送" in case_page, case_page
    finally:
        provinces.restart(GD_PROVINCE)
    wait_for(lambda: _arrived(provinces, GD_COUNTY, through_village), timeout=60, what="the case in 广东")
    back = wait_for(
        lambda: (text := boss.get("/partners").text) and "已连接" in _partner_row(text) and text,
        what="the page to show 广东 linked again",
    )
    assert through_village not in back
    assert "广东省节点暂时无法连接" not in boss.get(f"/cases/{at_province}").text
    boss.close()


def test_a_village_that_reconnects_hears_that_guangdong_is_down_and_its_case_says_why_it_waits(
    provinces: FederationHarness,
) -> None:
    """Only the province saw 广东 go down: the village's case page said "正转交 …，等待受理" for as
    long as it lasted. Now the province tells its tree; a village off-line meanwhile hears it on
    reconnecting, its header and the case's page say since when, and both clear once 广东 is back."""
    agent = logged_in(provinces, VILLAGE, "agent1")
    county = logged_in(provinces, COUNTY, "boss")
    assert "跨省通办：" not in agent.get("/").text and "跨省通办：" not in county.get("/").text
    provinces.stop(VILLAGE)
    agent.close()
    provinces.stop(GD_PROVINCE)
    try:
        header = wait_for(
            lambda: (text := county.get("/").text) and "跨省通办：广东省节点暂时无法连接" in text and text,
            what="the county to hear that 广东 cannot be reached",
        )
        said = re.search(
            r"跨省通办：广东省节点暂时无法连接（自 (\d{4}-\d\d-\d\d \d\d:\d\d) 起），恢复后自动报送", header
        )
        assert said, header
        provinces.restart(VILLAGE)
        agent = logged_in(provinces, VILLAGE, "agent1")
        wait_for(
            lambda: f"广东省节点暂时无法连接（自 {said.group(1)} 起）" in agent.get("/").text,
            what="the reconnected village to be sent the state on its Hello",
        )
        newcomer = provinces.start(NEW_VILLAGE, web_listen="off")  # enrolls now: no link to it was flooded
        wait_for(
            lambda: _down_partners_at(newcomer) == [GD_PROVINCE],
            what="a village enrolled meanwhile to be sent the state on its Hello",
        )
        provinces.stop(NEW_VILLAGE)
        case_id = _submit(provinces, VILLAGE, "KS-0201", "异地代收代办", GD_VILLAGE, GUANGDONG_RESIDENT).id
        page = agent.get(f"/cases/{case_id}").text
        assert f"广东省节点暂时无法连接（自 {said.group(1)} 起），恢复后自动报送" in page, page
    finally:
        provinces.restart(GD_PROVINCE)
    wait_for(lambda: _arrived(provinces, GD_COUNTY, case_id), timeout=60, what="the case in 广东")
    wait_for(
        lambda: "跨省通办：" not in agent.get("/").text and "跨省通办：" not in county.get("/").text,
        what="the village and county to hear that 广东 is back",
    )
    assert "广东省节点暂时无法连接" not in agent.get(f"/cases/{case_id}").text
    agent.close()
    county.close()


def test_a_partner_link_state_is_taken_only_from_the_own_province_through_the_parent(
    provinces: FederationHarness,
) -> None:
    """A village (or a county) cannot tell its parent, nor a city its county, that 广东 is down."""
    signed_by_province = _peer_link_envelope(provinces, PROVINCE)
    county = provinces.nodes[COUNTY]
    with county.sessions() as session, pytest.raises(DomainError, match="parent"):
        county.partner_links.receive(session, signed_by_province, VILLAGE)
    signed_by_city = _peer_link_envelope(provinces, CITY)
    with county.sessions() as session, pytest.raises(DomainError, match="province"):
        county.partner_links.receive(session, signed_by_city, CITY)
    with county.sessions() as session:
        county.partner_links.receive(session, signed_by_province, CITY)
        assert [down.province for down in down_partners(session)] == [GD_PROVINCE]
        session.rollback()


NEW_VILLAGE = "430981006002"


def _down_partners_at(node: Node) -> list[str]:
    with node.readers() as session:
        return [down.province for down in down_partners(session)]


def _peer_link_envelope(harness: FederationHarness, origin: str) -> link_pb2.Envelope:
    envelope = link_pb2.Envelope(
        message_id=f"peer-link-{GD_PROVINCE}-down-1",
        origin=origin,
        created_at=to_timestamp(utcnow()),
        peer_link_state=link_pb2.PeerLinkState(
            province=GD_PROVINCE, connected=False, since=to_timestamp(utcnow()), reason=""
        ),
    )
    signer = harness.nodes[origin].outbound.signer
    assert signer is not None
    return signer.sign(envelope)


def test_a_partner_link_down_for_distrusted_certificates_is_not_promised_to_come_back() -> None:
    """Redialling does not mend a handshake neither side trusts: the page says an operator must act."""
    trouble = trouble_meaning("SSL handshake failed: CERTIFICATE_VERIFY_FAILED", "协作省份 广东省")
    link = PartnerLink(GD_PROVINCE, "广东省", "gd.example:7400", False, None, None, 3, trouble, [])
    assert "须运维处理后才能报送" in link.words and "恢复后自动报送" not in link.words, link.words
    refused = replace(
        link, trouble=trouble_meaning("failed to connect: Connection refused", "协作省份 广东省")
    )
    assert refused.words.endswith("恢复后自动报送"), refused.words


def test_below_the_province_a_partner_down_for_distrusted_certificates_needs_an_operator() -> None:
    """What the province told of why 广东 is down decides whether a village promises it comes back."""
    distrusted = trouble_meaning("SSL handshake failed: CERTIFICATE_VERIFY_FAILED", "协作省份 广东省")
    since = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
    lasting = down_words("广东省", PartnerDown(GD_PROVINCE, since, distrusted))
    assert lasting.startswith("广东省节点无法连接（自 2026-12-08 10:00 起）"), lasting
    assert "须运维处理后才能报送" in lasting and "恢复后自动报送" not in lasting, lasting
    passing = down_words("广东省", PartnerDown(GD_PROVINCE, since, "对方断开了连接"))
    assert passing == "广东省节点暂时无法连接（自 2026-12-08 10:00 起），恢复后自动报送", passing


def test_a_negative_wait_before_telling_of_a_partner_down_is_refused_when_the_config_loads() -> None:
    with pytest.raises(ConfigError, match="partner_down_notice_seconds"):
        NodeConfig(code=PROVINCE, partner_down_notice_seconds=-1)


class _Link:
    """As much of a sync.link.Link as the watcher reads."""

    def __init__(self, connected: bool, since: datetime) -> None:
        self.connected = connected
        self.up_since: datetime | None = since if connected else None
        self.down_since: datetime | None = None if connected else since


def test_the_province_tells_its_tree_of_a_partner_down_only_once_it_stays_down(tmp_path: Path) -> None:
    """A partner restarting (down for seconds) is not broadcast to every village; down for the
    watcher's wait it is, once; back up it is, once."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'province.db'}")
    migrate(engine)
    sent: list[link_pb2.Envelope] = []

    class Mail:
        def send_to_neighbour(self, session, peer, role, message_id, passed_on=None, **body):
            sent.append(passed_on)

    states = PartnerLinkStates(
        DivisionCode.parse(PROVINCE), Mail(), lambda: [CITY], lambda envelope: envelope
    )
    link = _Link(False, utcnow())
    watch = PartnerLinkWatch(
        session_factory(engine),
        states,
        lambda: [GD_PROVINCE],
        lambda code: cast(Link, link),
        lambda *_: "",
        30,
    )
    assert watch.check() == 0 and not sent  # down for a blip
    link = _Link(False, utcnow() - timedelta(seconds=31))
    assert watch.check() == 1 and watch.check() == 0
    assert [envelope.peer_link_state.connected for envelope in sent] == [False]
    link = _Link(True, utcnow())
    assert watch.check() == 1 and watch.check() == 0
    assert [envelope.peer_link_state.connected for envelope in sent] == [False, True]
    engine.dispose()


def _assert_peer_list_says(harness: FederationHarness, down_since: str, last_contact: str) -> None:
    """`wuji peer list` said only 未连接: not since when, nor the last contact, nor what waits."""
    from tests.test_cli import wuji

    listed = wuji("peer", "list", "--config", str(harness.config_path(PROVINCE)), columns=80)
    assert listed.returncode == 0, listed.stderr
    said = " ".join(listed.stdout.replace("│", " ").split())
    waiting = harness.nodes[PROVINCE].links.get(GD_PROVINCE, "peer").outbox_depth()
    assert "未连接 down" in said and f"自 {down_since}" in said, listed.stdout
    assert f"最近一次连通 {last_contact}" in said and f"{waiting} 条" in said and waiting, listed.stdout
    assert all(cell_len(line) <= 80 for line in listed.stdout.splitlines()), listed.stdout


def _partner_row(page: str) -> str:
    found = re.search(rf'<tr id="partner-{GD_PROVINCE}">(.*?)</tr>', page, re.S)
    assert found, page
    return found.group(1)


def _quarantined(harness: FederationHarness, code: str) -> int:
    with harness.nodes[code].readers() as session:
        return session.scalar(select(func.count()).select_from(QuarantinedEnvelope)) or 0


@pytest.fixture
def three_provinces(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FederationHarness]:
    databases = contextlib.ExitStack()
    harness = FederationHarness(tmp_path, database_for=node_databases(request, databases))
    try:
        for code in (PROVINCE, CITY, GD_PROVINCE, GD_CITY, GD_COUNTY, "450000000000"):
            harness.start(code)
        harness.federate(PROVINCE, GD_PROVINCE)
        yield harness
    finally:
        harness.stop_all()
        databases.close()


def test_a_province_without_a_trust_anchor_cannot_link_and_its_seals_do_not_verify(
    three_provinces: FederationHarness,
) -> None:
    guangxi = three_provinces.nodes["450000000000"]
    hunan = three_provinces.nodes[PROVINCE]
    # 广西 trusts 湖南 and dials it, but 湖南 never installed 广西's root
    guangxi.add_peer(PROVINCE, _root_pem(three_provinces, PROVINCE), hunan.address, "湖南省")
    wait_for(lambda: (link := three_provinces.nodes[GD_PROVINCE].links.find(PROVINCE)) and link.connected)
    time.sleep(2.0)
    assert hunan.links.find("450000000000") is None
    assert not guangxi.links.get(PROVINCE, "peer").connected

    case = guangxi.cases.submit("SF-0001", _applicant(), complete("SF-0001"))
    for action in (case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE):
        three_provinces.desk("450000000000").ActOnCase(
            desk_pb2.ActOnCaseRequest(case_id=case.id, action=action)
        )
    sealed = guangxi.cases.get(case.id).sealed_result
    assert seals.verify(sealed, guangxi.trust_store()).valid
    refused = seals.verify(sealed, hunan.trust_store())
    assert not refused.valid
    assert "450000000000" in refused.reason, refused.reason


def test_partner_crls_cross_the_peer_link_and_removing_the_anchor_ends_the_federation(
    three_provinces: FederationHarness,
) -> None:
    guangdong, hunan_city = three_provinces.nodes[GD_PROVINCE], three_provinces.nodes[CITY]
    wait_for(lambda: _has_anchor(three_provinces, CITY, GD_PROVINCE), what="广东's root at the 湖南 city")
    # a CRL of a lower 广东 CA goes up to its province, across, and down the 湖南 tree
    three_provinces.nodes[GD_CITY].revoke(GD_COUNTY)
    wait_for(lambda: _has_crl(three_provinces, CITY, GD_CITY), what="the 深圳 CA's CRL at the 湖南 city")
    gd_county = three_provinces.nodes[GD_COUNTY].identity
    with pytest.raises(ChainRejected, match="revoked"):
        hunan_city.trust_store().verify_chain(
            gd_county.tls_certificate, gd_county.chain[:-1], CertificatePurpose.TLS
        )
    guangdong.revoke(GD_CITY)
    wait_for(lambda: _has_crl(three_provinces, CITY, GD_PROVINCE), what="广东's CRL at the 湖南 city")
    gd_city = three_provinces.nodes[GD_CITY].identity
    with pytest.raises(ChainRejected, match="revoked"):
        hunan_city.trust_store().verify_chain(
            gd_city.tls_certificate, gd_city.chain[:-1], CertificatePurpose.TLS
        )

    with hunan_city.sessions.begin() as session:  # the 湖南 province said 广东 is down
        hunan_city.partner_links.receive(session, _peer_link_envelope(three_provinces, PROVINCE), PROVINCE)
    assert _down_partners_at(hunan_city) == [GD_PROVINCE]

    # as the README writes it: the short code, read as `peer add` reads it (not as 000000440000)
    from tests.test_cli import wuji

    config = str(three_provinces.config_path(PROVINCE))
    not_a_partner = wuji("peer", "remove", "460000", "--config", config)
    assert not_a_partner.returncode != 0 and "460000000000 不是本省" in not_a_partner.stderr, not_a_partner
    removed = wuji("peer", "remove", GD_PROVINCE[:6], "--config", config)
    assert removed.returncode == 0, removed.stderr
    assert f"已移除协作省份 {GD_PROVINCE} {PROVINCE_NAMES[GD_PROVINCE]}" in removed.stdout, removed.stdout
    wait_for(
        lambda: not _has_anchor(three_provinces, CITY, GD_PROVINCE), what="the anchor gone from the city"
    )
    assert _down_partners_at(hunan_city) == [], "广东 no partner any more, yet said to be unreachable"
    with pytest.raises(grpc.RpcError) as refused:
        _submit(three_provinces, CITY, "KS-0201", "异地代收代办", GD_CITY, GUANGDONG_RESIDENT)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # 广东 ends it too: an online case whose home province can no longer be asked is refused at once
    guangdong.remove_peer(PROVINCE)
    with pytest.raises(grpc.RpcError) as unreachable:
        _submit(
            three_provinces, GD_PROVINCE, "KS-0301", "全程网办", CITY, HUNAN_RESIDENT, place_division=GD_CITY
        )
    assert "peer link" in (unreachable.value.details() or "")


def test_a_new_release_sends_partners_the_changed_list(three_provinces: FederationHarness) -> None:
    from node.catalogue import items as catalog

    wait_for(lambda: _partner_modes(three_provinces, CITY, "KS-0301") == ["全程网办"], what="广东's list")
    document = catalog.load_document(catalog.demo_catalog_path(GD_PROVINCE))
    for item in document.items:
        if item["code"] == "KS-0301":
            item["partner_modes"][PROVINCE] = ["全程网办", "异地代收代办"]
    three_provinces.nodes[GD_PROVINCE].catalog.publish(document)
    wait_for(
        lambda: _partner_modes(three_provinces, CITY, "KS-0301") == ["全程网办", "异地代收代办"],
        what="the new agreement at the 湖南 city",
    )


def test_a_child_cannot_pass_on_a_revocation_list_from_outside_its_subtree(
    three_provinces: FederationHarness,
) -> None:
    from node.trust.certificates import known_crls
    from sync.link import EnvelopeRefused

    three_provinces.nodes[GD_CITY].revoke(GD_COUNTY)
    with three_provinces.nodes[GD_CITY].readers() as session:
        crl = next(c for c in known_crls(session) if GD_CITY in c.issuer.rfc4514_string())
    forged = link_pb2.Envelope(
        message_id="forged-crl",
        sender=COUNTY,
        origin=COUNTY,
        destination=CITY,
        revocation_list=link_pb2.RevocationList(crl_der=crl.public_bytes(serialization.Encoding.DER)),
    )
    _signer_below(three_provinces.nodes[CITY], COUNTY).sign(forged)  # a genuine county of the city
    hunan_city = three_provinces.nodes[CITY]
    with hunan_city.sessions.begin() as session, pytest.raises(EnvelopeRefused, match="not in the subtree"):
        hunan_city.federation.apply(session, forged, COUNTY)


def test_a_partner_may_only_pass_on_its_own_provinces_messages_and_never_trust_anchors(
    three_provinces: FederationHarness,
) -> None:
    from sync.link import EnvelopeRefused

    hunan = three_provinces.nodes[PROVINCE]
    wait_for(lambda: (link := hunan.links.find(GD_PROVINCE)) and link.connected, what="the peer link")
    from_guangxi = link_pb2.Envelope(
        message_id="relayed-for-a-stranger",
        sender=GD_PROVINCE,
        origin="450000000000",
        destination=CITY,
        identity_answer=link_pb2.IdentityAnswer(case_id="x", confirmed=True),
    )
    anchor = link_pb2.Envelope(
        message_id="anchor-from-a-partner",
        sender=GD_PROVINCE,
        origin=GD_PROVINCE,
        destination=PROVINCE,
        trust_anchor=link_pb2.TrustAnchor(
            province="450000000000",
            root_der=three_provinces.nodes["450000000000"]
            .identity.roots[0]
            .public_bytes(serialization.Encoding.DER),
        ),
    )
    guangdong_signer = three_provinces.nodes[GD_PROVINCE].outbound.signer
    assert guangdong_signer is not None
    guangdong_signer.sign(anchor)
    with hunan.sessions.begin() as session:
        with pytest.raises(EnvelopeRefused, match="relayed a message from 450000000000"):
            hunan.federation.apply(session, from_guangxi, GD_PROVINCE)
        with pytest.raises(EnvelopeRefused, match="only from this node's parent"):
            hunan.federation.apply(session, anchor, GD_PROVINCE)
    assert not _has_anchor(three_provinces, PROVINCE, "450000000000")


def _partner_modes(harness: FederationHarness, at: str, code: str) -> list[str]:
    with harness.nodes[at].readers() as session:
        row = session.get(PartnerItem, (GD_PROVINCE, code))
        return list(row.modes) if row else []


def test_peer_commands_show_the_partner_and_refuse_a_certificate_that_is_not_its_root(
    three_provinces: FederationHarness, tmp_path: Path
) -> None:
    from tests.test_cli import wuji

    config = str(three_provinces.config_path(PROVINCE))
    wait_for(lambda: (link := three_provinces.nodes[PROVINCE].links.find(GD_PROVINCE)) and link.connected)
    listed = wuji("peer", "list", "--config", config)
    assert listed.returncode == 0, listed.stderr
    assert GD_PROVINCE in listed.stdout and "connected" in listed.stdout
    # the partner by the name it was added under, at the province and below it
    wait_for(lambda: _partner_items(three_provinces, CITY), what="广东's offer at the 湖南 city")
    for at in (PROVINCE, CITY):
        offered = wuji("peer", "items", "--config", str(three_provinces.config_path(at)))
        assert offered.returncode == 0, offered.stderr
        assert f"{PROVINCE_NAMES[GD_PROVINCE]}（{GD_PROVINCE}）" in offered.stdout, offered.stdout
    not_a_root = tmp_path / "city.pem"
    not_a_root.write_bytes(pem_bundle([three_provinces.nodes[GD_CITY].identity.tls_certificate]))
    refused = wuji("peer", "add", "450000", "--root", str(not_a_root), "--config", config)
    assert refused.returncode != 0
    assert "not a wuji root" in refused.stderr or "root" in refused.stderr
    with three_provinces.nodes[PROVINCE].readers() as session:
        assert session.get(TrustAnchor, "450000000000") is None


def _root_pem(harness: FederationHarness, code: str) -> bytes:
    return pem_bundle(harness.nodes[code].identity.roots)


def _has_anchor(harness: FederationHarness, at: str, province: str) -> bool:
    with harness.nodes[at].readers() as session:
        return session.get(TrustAnchor, province) is not None


def _has_crl(harness: FederationHarness, at: str, issuer: str) -> bool:
    with harness.nodes[at].readers() as session:
        return session.get(RevocationList, issuer) is not None


def _applicant():
    from node.cases.service import Applicant

    return Applicant("覃桂兰", with_check_character("45010219800101001"))


def _signer_below(parent, code: str):
    """An origin signer for a child of `parent` that the harness does not run, certified by `parent`."""
    from signing.algorithms import Algorithm, generate_key
    from signing.pki import Authority, CertificatePurpose, make_csr
    from sync.origin import OriginSigner

    ca, tls = CertificatePurpose.CA, CertificatePurpose.TLS
    ca_key, tls_key = generate_key(Algorithm.ECDSA_P256_SHA256), generate_key(Algorithm.ECDSA_P256_SHA256)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)  # what an Authority takes
    authority = Authority(
        ca_key, parent.identity.authority.issue(make_csr(ca_key, code, ca), ca), parent.identity.chain
    )
    certificate = authority.issue(make_csr(tls_key, code, tls), tls)
    return OriginSigner(tls_key, certificate, authority.full_chain()[:-1])


def test_trust_anchors_below_a_province_are_accepted_only_with_its_own_signature(
    three_provinces: FederationHarness,
) -> None:
    from sync.link import EnvelopeRefused

    wait_for(lambda: _has_anchor(three_provinces, CITY, GD_PROVINCE), what="广东's anchor at the 湖南 city")
    wait_for(lambda: _has_anchor(three_provinces, GD_CITY, PROVINCE), what="湖南's anchor at the 广东 city")
    hunan, city = three_provinces.nodes[PROVINCE], three_provinces.nodes[CITY]
    with city.readers() as session:
        stored = session.get(TrustAnchor, GD_PROVINCE)
        assert stored is not None and stored.signed is not None
        genuine = link_pb2.TrustAnchor.FromString(stored.signed)
    with three_provinces.nodes[GD_CITY].readers() as session:
        stored = session.get(TrustAnchor, PROVINCE)
        assert stored is not None and stored.signed is not None
        signed_by_guangdong = link_pb2.TrustAnchor.FromString(stored.signed)
    guangxi_root = (
        three_provinces.nodes["450000000000"].identity.roots[0].public_bytes(serialization.Encoding.DER)
    )
    unsigned = link_pb2.TrustAnchor(province="450000000000", name="广西壮族自治区", root_der=guangxi_root)
    swapped = link_pb2.TrustAnchor()
    swapped.CopyFrom(genuine)
    swapped.province, swapped.root_der = "450000000000", guangxi_root
    foreign = link_pb2.TrustAnchor()
    foreign.CopyFrom(signed_by_guangdong)
    foreign.province, foreign.root_der = "450000000000", guangxi_root
    for anchor, reason in (
        (unsigned, "is not signed by province"),
        (swapped, "bad signature"),
        (foreign, f"is signed by {GD_PROVINCE}, not by this node's province"),
    ):
        envelope = link_pb2.Envelope(
            message_id=f"anchor-{reason}", origin=PROVINCE, destination=CITY, trust_anchor=anchor
        )
        assert hunan.outbound.signer is not None
        hunan.outbound.signer.sign(envelope)  # the parent passes it on, genuinely
        with city.sessions.begin() as session, pytest.raises(EnvelopeRefused, match=reason):
            city.federation.apply(session, envelope, PROVINCE)
    assert not _has_anchor(three_provinces, CITY, "450000000000")


def test_a_correction_guangdong_asks_of_its_joint_part_reaches_the_village_and_its_files_go_back(
    provinces: FederationHarness,
) -> None:
    """两地联办: 广东's 补正告知 on its 迁出 part stopped at the 湖南 county that started the part; the
    village where the citizen applied was never told what to bring, and the part waited for ever."""
    case = _submit(provinces, VILLAGE, "KS-0101", "两地联办", GD_VILLAGE, GUANGDONG_RESIDENT)
    wait_for(partial(_arrived, provinces, COUNTY, case.id), what="the case at the 湖南 county")
    part_id = _act(provinces, COUNTY, case.id, case_pb2.ACCEPT, case_pb2.REVIEW).parts[0].case_id
    wait_for(partial(_arrived, provinces, GD_COUNTY, part_id), what="the 迁出 part in 广东")
    provinces.desk(GD_COUNTY).ActOnCase(
        desk_pb2.ActOnCaseRequest(
            case_id=part_id,
            action=case_pb2.REQUEST_CORRECTION,
            note="居民户口簿复印件不清晰，请重新提交",
            correct_materials=["居民户口簿"],
        )
    )

    def in_correction_at_village() -> case_pb2.Case | None:
        view = _state_at(provinces, VILLAGE, case.id)
        return view if view.state == case_pb2.CORRECTION_REQUESTED else None

    asked = wait_for(in_correction_at_village, what="the 补正 at the 湖南 village")
    assert f"广东省办理的联办部分 {part_id}" in asked.events[-1].note, asked.events[-1].note
    assert "居民户口簿复印件不清晰" in asked.events[-1].note
    # the material 广东 named is the case's item's too: the village's form offers it first
    assert list(asked.events[-1].correct_materials) == ["居民户口簿"], asked.events[-1]
    waiting = provinces.desk(VILLAGE).ListCases(
        desk_pb2.ListCasesRequest(state=case_pb2.CORRECTION_REQUESTED, role="origin")
    )
    assert case.id in [listed.id for listed in waiting.cases]

    supplied = complete_proto("KS-0101", leave_out=("居民身份证", "迁入地住房证明"))
    provinces.desk(VILLAGE).ActOnCase(
        desk_pb2.ActOnCaseRequest(
            case_id=case.id, action=case_pb2.SUPPLEMENT, note="已重新提交户口簿", materials=supplied
        )
    )

    def supplied_in_guangdong() -> case_pb2.Case | None:
        view = _state_at(provinces, GD_COUNTY, part_id)
        return view if view.state == case_pb2.SUBMITTED else None

    part = wait_for(supplied_in_guangdong, what="the 补正 files at the 广东 county")
    assert [m.name for m in part.materials if m.purpose == "correction"] == ["居民户口簿"]


def test_a_correction_asked_of_the_part_before_the_case_is_reviewed_is_asked_when_it_is(
    provinces: FederationHarness,
) -> None:
    """No 补正 is asked of a case only 受理'd: 广东's, asked then, reaches the village with 审核 in 湖南."""
    case = _submit(provinces, VILLAGE, "KS-0101", "两地联办", GD_VILLAGE, GUANGDONG_RESIDENT)
    wait_for(partial(_arrived, provinces, COUNTY, case.id), what="the case at the 湖南 county")
    part_id = _act(provinces, COUNTY, case.id, case_pb2.ACCEPT).parts[0].case_id
    wait_for(partial(_arrived, provinces, GD_COUNTY, part_id), what="the 迁出 part in 广东")
    provinces.desk(GD_COUNTY).ActOnCase(
        desk_pb2.ActOnCaseRequest(
            case_id=part_id, action=case_pb2.REQUEST_CORRECTION, note="请补交居民户口簿"
        )
    )

    def part_in_correction_in_hunan() -> bool:
        return _state_at(provinces, COUNTY, part_id).state == case_pb2.CORRECTION_REQUESTED

    wait_for(part_in_correction_in_hunan, what="the part's 补正 at the 湖南 county")
    assert _state_at(provinces, COUNTY, case.id).state == case_pb2.ACCEPTED
    reviewed = _act(provinces, COUNTY, case.id, case_pb2.REVIEW)
    assert reviewed.state == case_pb2.CORRECTION_REQUESTED
    assert reviewed.events[-1].note.endswith("要求补正：请补交居民户口簿"), reviewed.events[-1].note

    def in_correction_at_village() -> bool:
        return _state_at(provinces, VILLAGE, case.id).state == case_pb2.CORRECTION_REQUESTED

    wait_for(in_correction_at_village, what="the 补正 at the 湖南 village")


def test_a_proxy_case_for_a_guangdong_office_without_a_node_comes_back_to_the_village_at_once(
    provinces: FederationHarness,
) -> None:
    """The 湖南 window cannot know which 广东 offices have nodes, and the 无法送达 card raised in 广东
    never reaches 湖南: the village saw the case on its way for a day before it came back."""
    no_node = "440306001001"  # 宝安区: a county of 深圳 without a node in the federation
    case = _submit(provinces, VILLAGE, "KS-0201", "异地代收代办", no_node, GUANGDONG_RESIDENT)
    assert case.handler == "440306000000"

    def stuck_at_the_guangdong_city() -> bool:
        with provinces.nodes[GD_CITY].sessions() as session:
            return len(outbox.waiting(session, "440306000000")) == 1

    wait_for(stuck_at_the_guangdong_city, what="the case waiting at the 广东 city")
    assert provinces.nodes[GD_CITY].undeliverable.sweep() == [case.id]

    def refused_at_village() -> case_pb2.Case | None:
        view = _state_at(provinces, VILLAGE, case.id)
        return view if view.state == case_pb2.REFUSED else None

    back = wait_for(refused_at_village, what="the case back at the 湖南 village")
    assert "无法送达" in back.events[-1].note and "440306000000" in back.events[-1].note
    assert "请申请人向户籍地的办理机构申请" in back.events[-1].note, back.events[-1].note


def test_the_village_follows_the_guangdong_part_of_its_joint_case_to_its_sealed_result(
    provinces: FederationHarness,
) -> None:
    """Only the 湖南 county that started the 迁出 part knew how 广东 got on with it: the village
    where the citizen applied saw the 迁入 waiting, and never the part's state or result."""
    case = _submit(provinces, VILLAGE, "KS-0101", "两地联办", GD_VILLAGE, GUANGDONG_RESIDENT)
    wait_for(partial(_arrived, provinces, COUNTY, case.id), what="the case at the 湖南 county")
    part_id = _act(provinces, COUNTY, case.id, case_pb2.ACCEPT, case_pb2.REVIEW).parts[0].case_id

    def parts_at_village() -> list[case_pb2.CasePart]:
        return list(_state_at(provinces, VILLAGE, case.id).parts)

    listed = wait_for(parts_at_village, what="the part listed at the 湖南 village")
    assert [(p.case_id, p.handler, p.state) for p in listed] == [(part_id, GD_COUNTY, case_pb2.SUBMITTED)]

    wait_for(partial(_arrived, provinces, GD_COUNTY, part_id), what="the 迁出 part in 广东")
    _act(provinces, GD_COUNTY, part_id, case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE)

    def concluded_at_village() -> case_pb2.CasePart | None:
        parts = parts_at_village()
        return parts[0] if parts and parts[0].state == case_pb2.CONCLUDED else None

    concluded = wait_for(concluded_at_village, what="the part's result at the 湖南 village")
    assert concluded.outcome == case_pb2.APPROVED
    result = _state_at(provinces, VILLAGE, part_id).sealed_result
    assert seals.verify(result, provinces.nodes[VILLAGE].trust_store()).valid
    agent = logged_in(provinces, VILLAGE, "agent1")
    page = agent.get(f"/cases/{case.id}").text
    assert re.search(rf'<td class="joint-part"><a href="/cases/{part_id}">{part_id}</a> ', page), page
    part_page = agent.get(f"/cases/{part_id}")
    assert part_page.status_code == 200 and "户口迁出（跨省迁移）" in part_page.text
