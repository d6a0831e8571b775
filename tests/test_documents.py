"""Printable documents (文书): rendered by a node's desk from its catalogue and cases, read back.

Each PDF is read with pypdf as a citizen's reader would; the fields printed must be the case's and
the item's, times in Asia/Shanghai, and the QR image must be the code of the verification address.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import cast

import grpc
import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

from node.cases.deadlines import CaseClock
from node.catalogue import items as catalog
from node.config import ConfigError, NodeConfig
from node.desk.documents import item_facts
from node.documents import kinds, layout, remedies
from node.documents.facts import (
    Appeal,
    BundleFacts,
    CaseFacts,
    Issuer,
    ItemFacts,
    ListedMaterial,
    ReceiptFacts,
    ResultFacts,
    SealFacts,
    Step,
)
from node.documents.layout import CID_FONT, FALLBACK_CANDIDATES, QR_BORDER, Font, Sheet, markup, qr_code
from node.timeutil import from_timestamp, shanghai
from node.workdays import add_working_days, china_date
from signing.licences import LicenceIdentifier
from signing.seals import SealedDocument
from signing.timestamps import read_token
from tests.harness import CHAIN, COUNTY, PROVINCE, TOWNSHIP, VILLAGE, wait_for
from tests.materials import required_names
from tests.test_cli import log_in, wuji
from tests.test_federation import COUNTY_ITEM, arrived
from tests.test_window import APPLICANT, TOKEN, act, add, login, submit
from wuji.v1 import case_pb2, desk_pb2

COUNTY_NAME = "沅江市政务服务中心"
COUNTY_URL = "https://zwfw.yuanjiang.example.cn/"
VILLAGE_POINT = Issuer("韩家汊社区代办点", VILLAGE)
TOWNSHIP_CENTRE = Issuer("琼湖街道便民服务中心", TOWNSHIP)
PRINTED = datetime(2025, 11, 3, 2, tzinfo=UTC)


@pytest.fixture
def people(federation):
    """The chain, the county named and public, a 代办员 at the village and 民政局 staff at the county."""
    for code in CHAIN:
        settings = {"name": COUNTY_NAME, "public_url": COUNTY_URL} if code == COUNTY else {}
        federation.start(code, **settings)
    wait_for(
        lambda: all(node.describe().catalog_version > 0 for node in federation.nodes.values()),
        what="the catalogue to reach every node",
    )
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    add(village, "agent1", "代办员")
    add(county, "clerk1", "窗口受理", "民政局")
    add(county, "review1", "审核/审批", "民政局")
    return {
        "agent": login(village, "agent1"),
        "clerk": login(county, "clerk1"),
        "reviewer": login(county, "review1"),
    }


def render(desk, token, kind: str, case_id: str = "", item_code: str = "") -> desk_pb2.RenderedDocument:
    request = desk_pb2.RenderDocumentRequest(kind=kind, case_id=case_id, item_code=item_code)
    return desk.RenderDocument(request, metadata=token)


def text_of(pdf: bytes) -> str:
    """The text of every page, with the line breaks of wrapped table cells taken out."""
    reader = PdfReader(io.BytesIO(pdf))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


def assert_qr(pdf: bytes, url: str) -> None:
    """The document's one image is the QR code of url, module for module."""
    images = [image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]
    assert len(images) == 1, "one QR code per document"
    image = images[0].image
    assert image is not None, "the QR code decodes to an image"
    pixels = image.convert("L")
    matrix = qr_code(url).matrix
    scale = pixels.width / (len(matrix) + 2 * QR_BORDER)
    for row, modules in enumerate(matrix):
        for column, dark in enumerate(modules):
            centre = (int((column + QR_BORDER + 0.5) * scale), int((row + QR_BORDER + 0.5) * scale))
            level = cast(int, pixels.getpixel(centre))  # mode "L": one int per pixel
            assert (level < 128) == bool(dark), f"QR module {row},{column} differs"


def to_state(federation, code: str, case_id: str, state: int) -> case_pb2.Case:
    desk = federation.desk(code)
    return wait_for(
        lambda: (c := desk.GetCase(desk_pb2.GetCaseRequest(case_id=case_id))).state == state and c,
        what=f"{case_pb2.CaseState.Name(state)} at {code}",
    )


def chinese_day(day) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def demo_item(code: str) -> ItemFacts:
    """An item of the demo catalogue as the desk describes it to a document."""
    elements = catalog.load_document(catalog.demo_catalog_path()).by_code()[code]
    return item_facts(elements, catalog.listed_materials(elements))


def waiting_case(item: ItemFacts) -> CaseFacts:
    """A case of item taken in at the village point, not yet accepted by the handler."""
    return CaseFacts(
        case_id="430981006001-X",
        item_code=item.code,
        item_name=item.name,
        department=item.department,
        origin="韩家汊社区代办点（430981006001）",
        handler=f"{TOWNSHIP} {item.department}",
        applicant_name="王秀兰",
        applicant_id_number=APPLICANT.id_number,
        applicant_phone="",
        submitted_at=PRINTED,
        verify_url="http://127.0.0.1:8080/verify/430981006001-X",
        state="SUBMITTED",
    )


def test_the_notice_and_the_receipt_state_the_time_limit_as_the_clock_counts_it():
    """The 一次性告知书 said 自受理次日起算 and the 收件回执 of the same item 自受理之日起: the clock
    counts from the day after 受理 (a limit of 1 working day accepted on a Monday ends on the
    Tuesday), and both papers now say so, in the same words."""
    assert CaseClock(date(2025, 11, 3), 1).deadline() == date(2025, 11, 4)
    rule = "10 个工作日（自受理次日起算）"
    item = demo_item("MZ-0003")
    assert item.promised_days == 10 and not item.instant
    notice = text_of(kinds.notice(TOWNSHIP_CENTRE, item, PRINTED))
    assert f"承诺办结时限{rule}" in notice, notice
    case = waiting_case(item)
    received = kinds.receipt_words(VILLAGE_POINT, case, ReceiptFacts(None, None, 10))
    accepted = Step(PRINTED, TOWNSHIP, item.department)
    taken = kinds.receipt_words(TOWNSHIP_CENTRE, case, ReceiptFacts(accepted, date(2025, 11, 17), 10))
    for words in (received, taken):
        assert dict(words.fields)["承诺办结时限"] == rule
        printed = text_of(kinds.receipt_pdf(VILLAGE_POINT, case, words, PRINTED))
        assert f"承诺办结时限{rule}" in printed and "自受理之日起" not in printed


def test_a_receipt_printed_again_long_after_keeps_the_day_it_was_issued():
    """An auditor reprinting a 2025 case's 受理回执 a year later for a complaint got one signed with
    the day of printing, as if the window had issued it then. It is signed with the day of 受理
    (a 收件回执 before it: the day the application was taken in); when it was printed stays in
    its footer."""
    item = demo_item("MZ-0003")
    taken_in_at = datetime(2025, 3, 10, 1, 30, tzinfo=UTC)
    case = replace(waiting_case(item), submitted_at=taken_in_at)
    reprinted_at = datetime(2026, 12, 8, 2, tzinfo=UTC)
    accepted = Step(datetime(2025, 3, 11, 17, 0, tzinfo=UTC), TOWNSHIP, item.department)  # 12日 in Beijing
    taken = kinds.receipt_words(TOWNSHIP_CENTRE, case, ReceiptFacts(accepted, date(2025, 3, 26), 10))
    text = text_of(kinds.receipt_pdf(TOWNSHIP_CENTRE, case, taken, reprinted_at))
    assert "2025年03月12日" in text and "2026年12月08日" not in text, text
    assert "打印时间：2026-12-08 10:00（北京时间）" in text
    received = kinds.receipt_words(VILLAGE_POINT, case, ReceiptFacts(None, None, 10))
    text = text_of(kinds.receipt_pdf(VILLAGE_POINT, case, received, reprinted_at))
    assert "2025年03月10日" in text and "2026年12月08日" not in text, text


def test_a_bundle_receipt_printed_again_keeps_the_day_the_bundle_was_taken_in():
    """The 一件事收件回执, as the case's: signed with the day of 收件, its footer saying when printed."""
    bundle = BundleFacts(
        bundle_id="430981006001-B01M99TESTBUNDLE",
        code="YJS-0001",
        name="新生儿出生一件事",
        origin="韩家汊社区 政务服务代办点",
        applicant_name="赵小龙",
        applicant_id_number="430981198807150012",
        applicant_phone="",
        submitted_at=datetime(2025, 3, 10, 1, 30, tzinfo=UTC),
        verify_url="https://127.0.0.1/verify/430981006001-B01M99TESTBUNDLE",
    )
    text = text_of(kinds.bundle_receipt(VILLAGE_POINT, bundle, datetime(2026, 12, 8, 2, tzinfo=UTC)))
    assert "2025年03月10日" in text and "2026年12月08日" not in text, text
    assert "打印时间：2026-12-08 10:00（北京时间）" in text


def test_a_notice_without_a_published_phone_says_to_ask_at_the_window_not_a_dash():
    """The 一次性告知书 printed 咨询电话 — where the implementation list gives no phone: a villager
    without one had nothing to call and was not told where to ask. Now the window itself; a
    published number as before."""
    item = demo_item("MZ-0003")
    assert not item.phone
    text = text_of(kinds.notice(VILLAGE_POINT, item, PRINTED))
    assert "咨询方式请在本窗口（韩家汊社区代办点）当面咨询" in text and "咨询电话" not in text, text
    text = text_of(kinds.notice(VILLAGE_POINT, replace(item, phone="0737-2721234"), PRINTED))
    assert "咨询电话0737-2721234" in text and "咨询方式" not in text


def test_the_receipt_pdf_names_who_took_the_application_in_and_where_to_ask_as_its_page_does():
    """The receipt page said 收件人 and 凭办件编号可在收件的服务点查询办理进度, its PDF neither: both
    are the receipt's words (`Receipt`), which both print."""
    item = demo_item("MZ-0003")
    case = waiting_case(item)
    taken_in = Step(PRINTED, VILLAGE, person="赵代办 (agent1)")  # as events record a person
    words = kinds.receipt_words(VILLAGE_POINT, case, ReceiptFacts(None, None, 10, received=taken_in))
    assert words.received_by == "收件人：赵代办　　韩家汊社区代办点（430981006001）"
    assert "凭办件编号可在收件的服务点查询办理进度。" in words.closing
    printed = text_of(kinds.receipt_pdf(TOWNSHIP_CENTRE, case, words, PRINTED)).replace(" ", "")
    assert "收件人：赵代办韩家汊社区代办点（430981006001）" in printed.replace("　", ""), printed
    assert "凭办件编号可在收件的服务点查询办理进度。" in printed and "agent1" not in printed


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_notice_never_ends_on_a_page_holding_only_its_signature():
    """Every 一次性告知书 came out as 2 pages, the second holding only the office and the date: one
    that nearly fits is set to fit one page, and a long one runs on with text above its signature."""
    for issuer in (VILLAGE_POINT, TOWNSHIP_CENTRE):
        for code in ("RS-0002", "MZ-0003", "WJ-0002", "MZ-0001"):
            pages = pages_of(kinds.notice(issuer, demo_item(code), PRINTED))
            signed = issuer.name in pages[0] and "2025年11月03日" in pages[0]
            assert len(pages) == 1 and signed, (code, pages)
    item = demo_item("MZ-0003")
    many = tuple(
        ListedMaterial(f"{m.name}（第{n}份）", form=m.form) for n in range(4) for m in item.materials
    )
    pages = pages_of(kinds.notice(TOWNSHIP_CENTRE, replace(item, materials=many), PRINTED))
    assert len(pages) == 2, pages
    last = pages[-1].replace(" ", "")
    assert "2025年11月03日" in last and "也可在就近的村（社区）代办点" in last, last


def test_a_notice_tells_everything_about_an_item_once(federation, people):
    county = federation.desk(COUNTY)
    county.ClaimItem(
        desk_pb2.ClaimItemRequest(
            item_code=COUNTY_ITEM,
            fields={"window_address": "沅江市政务服务中心二楼12号窗口", "phone": "0737-2221234"},
        )
    )
    notice = render(county, people["clerk"], "notice", item_code=COUNTY_ITEM)
    assert notice.title == "一次性告知书" and notice.file_name == f"一次性告知书-{COUNTY_ITEM}.pdf"
    text = text_of(notice.pdf)
    item = catalog.load_document(catalog.demo_catalog_path()).by_code()[COUNTY_ITEM]
    assert item["name"] in text and COUNTY_NAME in text
    for condition in item["conditions"]:
        assert condition in text
    for material in item["materials"]:
        assert material["name"] in text
    assert f"{item['promised_days']} 个工作日" in text and f"{item['statutory_days']} 个工作日" in text
    assert "不收费" in text and "最多跑1次" in text
    assert "沅江市政务服务中心二楼12号窗口" in text and "0737-2221234" in text  # where: the county's claim
    assert PdfReader(io.BytesIO(notice.pdf)).metadata.title == "一次性告知书"

    paid = text_of(render(federation.desk(VILLAGE), people["agent"], "notice", item_code="GA-0001").pdf)
    assert "居民身份证工本费 20.00 元" in paid
    # a village point collects: it promised 当场受理, at 县级公安局（公安局）政务服务窗口, a made-up office
    assert "材料齐全、符合法定形式的，本窗口当场收件，转交办理部门受理" in paid and "当场受理" not in paid
    # … and it names the office above it sends the application to, as it knows it from its certificate
    assert re.search(rf"办理地点\S+（收件后转交{COUNTY_NAME}公安局办理）", paid.replace(" ", "")), paid
    unclaimed = text_of(render(county, people["clerk"], "notice", item_code="GA-0001").pdf)
    assert "当场受理" in unclaimed and f"办理地点{COUNTY_NAME}（公安局窗口）" in unclaimed.replace(" ", "")


def test_receipt_correction_and_result_of_a_case_as_the_village_and_the_county_print_them(federation, people):
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = submit(village, people["agent"])
    received = render(village, people["agent"], "receipt", case.id)
    assert received.title == "收件回执"  # before the handler's 受理
    assert "待办理部门受理" in text_of(received.pdf)

    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    act(county, people["clerk"], case.id, case_pb2.ACCEPT, "材料齐全")
    accepted = to_state(federation, VILLAGE, case.id, case_pb2.ACCEPTED)
    accept_event = accepted.events[-1]
    promised = add_working_days(china_date(from_timestamp(accept_event.at)), 15)  # MZ-0001: 15 days
    for desk, token, url in (
        (village, people["agent"], f"http://127.0.0.1:8080/verify/{case.id}"),
        (county, people["clerk"], f"{COUNTY_URL.rstrip('/')}/verify/{case.id}"),
    ):
        receipt = render(desk, token, "receipt", case.id[: len(VILLAGE) + 20])  # a unique beginning
        assert receipt.title == "受理回执" and receipt.verify_url == url
        text = text_of(receipt.pdf)
        assert case.id in text and COUNTY_ITEM in text and APPLICANT.name in text
        assert APPLICANT.id_number not in text and APPLICANT.id_number[-4:] in text  # masked
        for name in required_names(COUNTY_ITEM):
            assert name in text
        assert f"承诺办结日期{chinese_day(promised)}前" in text
        assert shanghai(from_timestamp(accept_event.at)) in text  # 受理时间, Beijing time
        assert "受理人民政局 姓名clerk1" in text and "clerk1)" not in text  # the person, not the login
        assert_qr(receipt.pdf, url)
        # the handler by the name its certificate bears, wherever the receipt is printed
        assert f"办理地{COUNTY_NAME} 民政局（{COUNTY}）" in text
    assert COUNTY_NAME in text  # the county prints under its configured name

    act(county, people["reviewer"], case.id, case_pb2.REVIEW)
    act(county, people["clerk"], case.id, case_pb2.REQUEST_CORRECTION, "户口簿请提供首页和本人页")
    to_state(federation, VILLAGE, case.id, case_pb2.CORRECTION_REQUESTED)
    correction = render(village, people["agent"], "correction", case.id)
    text = text_of(correction.pdf)
    assert correction.title == "补正告知书" and "户口簿请提供首页和本人页" in text and case.id in text
    assert all(name in text for name in required_names(COUNTY_ITEM))  # the list to check against
    assert_qr(correction.pdf, correction.verify_url)

    corrected = case_pb2.Material(name="户口簿", content=b"%PDF corrected", file_name="户口簿-补正.pdf")
    act(village, people["agent"], case.id, case_pb2.SUPPLEMENT, "已补正", [corrected])
    wait_for(
        lambda: county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).version == 5,
        what="the correction at the county",
    )
    with pytest.raises(grpc.RpcError) as early:
        render(village, people["agent"], "result", case.id)
    assert early.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "尚未办结" in early.value.details()
    act(county, people["reviewer"], case.id, case_pb2.APPROVE, "准予认定为最低生活保障对象")
    concluded = to_state(federation, VILLAGE, case.id, case_pb2.CONCLUDED)
    sealed = SealedDocument.from_bytes(concluded.sealed_result)

    result = render(village, people["agent"], "result", case.id)
    text = text_of(result.pdf)
    assert result.title == "办结通知书" and case.id in text and "准予认定为最低生活保障对象" in text
    assert f"印章所有者{COUNTY_NAME}" in text and sealed.seal.holder == COUNTY_NAME  # its 公章 bears its name
    attested = read_token(sealed.timestamp).gen_time
    assert f"盖章时间{shanghai(attested, seconds=True)}（北京时间，时间戳服务证明）" in text
    assert sealed.digest in text and "办理结果准予" in text
    assert_qr(result.pdf, f"http://127.0.0.1:8080/verify/{case.id}")
    # where the result is collected, and whom to ask: the point it was applied at, no number made up
    assert f"领取方式请持申请人有效身份证件和本通知书到申请地 {VILLAGE} 领取办理结果" in text, text
    assert f"咨询方式请到申请地 {VILLAGE} 咨询" in text and "咨询电话" not in text
    federation.nodes[VILLAGE].catalog.claim(COUNTY_ITEM, {"phone": "0737-2721234"})  # 认领, with a phone
    text = text_of(render(village, people["agent"], "result", case.id).pdf)
    assert "咨询电话0737-2721234" in text and "咨询方式" not in text


def concluded_while_the_province_is_away(federation, people) -> str:
    """A case approved at the county while the province's time-stamping service is stopped: its
    result sealed there and waiting for the token. Its id."""
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    federation.stop(PROVINCE)
    case = submit(village, people["agent"])
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    act(county, people["clerk"], case.id, case_pb2.ACCEPT, "材料齐全")
    act(county, people["reviewer"], case.id, case_pb2.REVIEW)
    act(county, people["reviewer"], case.id, case_pb2.APPROVE, "准予认定为最低生活保障对象")
    assert federation.nodes[COUNTY].cases.result_waits(case.id)
    return case.id


def province_back(federation, case_id: str) -> None:
    """The province started again, and the county's waiting result attested."""
    federation.start(PROVINCE)
    handler = federation.nodes[COUNTY]
    wait_for(
        lambda: handler.complete_awaiting_timestamps() or not handler.cases.result_waits(case_id),
        what="the token, once the province is back",
    )


def test_a_result_sealed_while_the_province_was_away_prints_its_attested_time(federation, people):
    """The 办结通知书 printed the sealer's own clock as 盖章时间 while its QR code's /verify page showed
    the time-stamping service's, a minute later when the province had been away."""
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case_id = concluded_while_the_province_is_away(federation, people)
    with pytest.raises(grpc.RpcError) as early:  # not printed before the token (as before)
        render(county, people["clerk"], "result", case_id)
    assert early.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    time.sleep(1)  # the token's second is after the sealer's, whatever the restart takes
    province_back(federation, case_id)
    concluded = to_state(federation, VILLAGE, case_id, case_pb2.CONCLUDED)
    sealed = SealedDocument.from_bytes(concluded.sealed_result)
    attested, claimed = read_token(sealed.timestamp).gen_time, sealed.signing_time
    assert shanghai(attested, seconds=True) != shanghai(claimed, seconds=True)
    for desk, token in ((village, people["agent"]), (county, people["clerk"])):
        text = text_of(render(desk, token, "result", case_id).pdf)
        assert f"盖章时间{shanghai(attested, seconds=True)}（北京时间，时间戳服务证明）" in text, text
        assert shanghai(claimed, seconds=True) not in text


def test_the_handlers_receipt_says_the_result_waits_for_its_time_stamp_not_that_the_case_is_done(
    federation, people
):
    """The handler's 受理回执 said 办件状态 办结 while the sealed result waited for its time-stamp and
    could not be handed out; its case page said so. Now the receipt says what the page says."""
    county = federation.desk(COUNTY)
    case_id = concluded_while_the_province_is_away(federation, people)
    waiting = text_of(render(county, people["clerk"], "receipt", case_id).pdf)
    said = "办件状态办理结果已加盖印章，正等待省级时间戳服务证明盖章时间，暂不能下载或打印"
    assert said in waiting, waiting
    assert "办件状态办结" not in waiting
    province_back(federation, case_id)
    assert "办件状态办结" in text_of(render(county, people["clerk"], "receipt", case_id).pdf)


def test_a_denial_grants_no_licence_and_bears_the_business_seal_not_the_licence_seal(federation, people):
    """办结（不予） of an item whose approval is a licence (SJ-0001, 营业执照): the result names no
    licence and is sealed with the department's 业务专用章; an approval is the licence, sealed with
    the department's 电子证照专用章 (made last here, so it is the department's newest seal)."""
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    with federation.nodes[COUNTY].sessions.begin() as session:
        for kind in ("业务专用章", "电子证照专用章"):
            federation.nodes[COUNTY].seals.create(session, "沅江市市场监督管理局", "市场监督管理局", kind)
    add(county, "sj-clerk", "窗口受理", "市场监督管理局")
    add(county, "sj-review", "审核/审批", "市场监督管理局")
    clerk, reviewer = login(county, "sj-clerk"), login(county, "sj-review")
    printed = {}
    for decision, note in ((case_pb2.DENY, "经营场所不符合规定"), (case_pb2.APPROVE, "准予登记")):
        case = submit(village, people["agent"], item="SJ-0001")
        wait_for(lambda c=case: arrived(federation, COUNTY, c.id), what="the case at the county")
        act(county, clerk, case.id, case_pb2.ACCEPT, "材料齐全")
        act(county, reviewer, case.id, case_pb2.REVIEW)
        act(county, reviewer, case.id, decision, note)
        concluded = to_state(federation, VILLAGE, case.id, case_pb2.CONCLUDED)
        sealed = SealedDocument.from_bytes(concluded.sealed_result)
        printed[decision] = (sealed, text_of(render(village, people["agent"], "result", case.id).pdf))

    denied, text = printed[case_pb2.DENY]
    assert denied.seal.kind == "业务专用章" and denied.seal.department == "市场监督管理局"
    assert "licence" not in json.loads(denied.content) and "办理结果不予许可" in text  # a 行政许可
    assert "印章类型业务专用章" in text and "电子证照专用章" not in text
    assert "营业执照" not in text and "结果名称" not in text and "电子证照" not in text

    approved, text = printed[case_pb2.APPROVE]
    licence = json.loads(approved.content)["licence"]["identifier"]
    assert approved.seal.kind == "电子证照专用章"
    assert "办理结果准予" in text and "结果名称营业执照" in text and f"电子证照{licence}" in text


def test_a_decision_names_the_review_body_and_the_court_of_the_deciding_division():
    """The papers said one may appeal but not to whom. 行政复议法 (2023) 第二十四条: a county's,
    city's or province's department is reviewed by its own level's government, a township by the
    county's; 第二十七条: a vertically led one (税务) by the next organ up. The court is the 基层人民法院
    where the organ sits, which only a county-level division names."""
    offices = {"430981000000": "沅江市政务服务中心", "430900000000": "益阳市政务服务中心",
               "430000000000": "湖南省政务服务中心", "440305000000": "南山区政务服务中心",
               "440300000000": "深圳市政务服务中心"}  # fmt: skip

    def named(code: str) -> str:
        return remedies.division_of_office(offices.get(code, ""))

    county = Appeal("沅江市人民政府", "沅江市人民法院")
    assert remedies.appeal_of(COUNTY, "民政局", named) == county
    assert remedies.appeal_of(TOWNSHIP, "政务服务中心", named) == county  # 琼湖街道: the county reviews
    court = "按照行政诉讼法确定的管辖法院"
    assert remedies.appeal_of("430900000000", "交通运输局", named) == Appeal("益阳市人民政府", court)
    assert remedies.appeal_of("430000000000", "司法厅", named) == Appeal("湖南省人民政府", court)
    district = Appeal("深圳市南山区人民政府", "深圳市南山区人民法院")  # a 市辖区 after its city
    assert remedies.appeal_of("440305001000", "民政局", named) == district
    assert remedies.appeal_of(COUNTY, "税务局", named).review_body == "上一级主管部门"
    # no name known: the body by its level, never another's
    assert remedies.appeal_of("450100000000", "民政局", named) == remedies.UNNAMED
    assert remedies.appeal_of("450102003000", "民政局", named).review_body == "所在县（市、区）人民政府"
    assert remedies.division_of_office("琼湖街道便民服务中心") == ""
    assert remedies.division_of_office(f"{COUNTY} 政务服务中心") == ""
    case = waiting_case(demo_item("MZ-0001"))
    letter = kinds.refusal_letter(VILLAGE_POINT, case, Step(PRINTED, COUNTY), county)
    assert letter.closing == (
        "如不服本决定，可以自收到本决定书之日起六十日内依法向沅江市人民政府申请行政复议，"
        "或者在六个月内依法向沅江市人民法院提起行政诉讼。",
    )


def test_a_character_the_font_lacks_is_never_printed_as_another():
    """A 生僻字 beyond U+FFFF went to the CID font as two halves, printed as two wrong characters; a
    middle dot as typed in a name printed as a box. Now: a fallback font that has the character,
    else 〓, the typesetters' mark of a missing one."""
    cid = Font(CID_FONT)
    assert markup("王𠈌明 <付>", cid) == "王〓明 &lt;付&gt;"
    rare = Font("Rare", frozenset({0x2020C}))
    assert markup("王𠈌明", cid, lambda: [rare]) == '王<font name="Rare">𠈌</font>明'
    assert markup("阿依古丽·买买提", cid) == "阿依古丽・买买提"  # GB 2312's middle dot, as the font has it
    truetype = Font("TrueType", frozenset(map(ord, "阿依古丽·买提")))
    assert markup("阿依古丽·买买提\n付", truetype) == "阿依古丽·买买提<br/>〓"


@pytest.fixture(params=["installed", "cid"])
def primary_font(request, monkeypatch) -> Iterator[str]:
    """The documents set in the font this machine has, and in the CID font STSong-Light (what a
    machine without a TrueType CJK font prints with): its name."""
    if request.param == "cid":
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
        monkeypatch.setattr(layout, "_primary", lambda: Font(CID_FONT))
        monkeypatch.setattr(layout, "_fallbacks", tuple)
    layout._styles.cache_clear()  # the styles name the primary font
    yield layout.font()
    layout._styles.cache_clear()


def test_the_footer_is_set_in_the_same_glyphs_as_the_body(primary_font):
    """The footer's "·" between the print time and the node showed as a box in poppler, while the
    "·" of a name on the same paper did not: the footer was drawn raw on the canvas, so the CID
    font got U+00B7, which it has no glyph for (the body maps it to U+30FB), and a TrueType CJK font
    without Latin digits (DroidSansFallback) left the time and codes out. Now it is set as the body."""
    sheet = Sheet("测试", VILLAGE_POINT, PRINTED, "X")
    sheet.paragraph("申请人 阿依古丽·买买提")
    text = PdfReader(io.BytesIO(sheet.render())).pages[0].extract_text()
    dot = re.search("阿依古丽(.)买买提", text)
    assert dot, text
    footer = f"打印时间：{shanghai(PRINTED)}（北京时间） {dot.group(1)} 韩家汊社区代办点（{VILLAGE}）"
    assert footer in text and "第 1 页" in text, (primary_font, text)


def placed_lines(pdf: bytes) -> dict[float, list[tuple[float, str]]]:
    """The text runs of the first page by their baseline (y, in points), each with where it starts (x)."""
    placed: dict[float, list[tuple[float, str]]] = {}

    def visit(value: str, cm: list[float], tm: list[float], *_: object) -> None:
        if value.strip():
            placed.setdefault(round(cm[5] + tm[5], 1), []).append((cm[4] + tm[4], value.strip()))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return placed


def test_a_licence_number_breaks_between_its_parts_with_its_label_beside_it(primary_font):
    """The 办结通知书's 电子证照 number wrapped mid-identifier (…7QW / ER.001.3), and its label sat
    beside the middle of the two lines. Now the label stands beside the first line and the number
    breaks only after a dot."""
    licence = str(
        LicenceIdentifier.build("11100000MA0000000M003", "11430981000000000U", "01M98Q645YHNB1ACJZBF7QWER")
    )
    seal = SealFacts("沅江市残疾人联合会", "残疾人联合会", "电子证照专用章", "S-1", PRINTED, "ab" * 32)
    concluded = Step(PRINTED, COUNTY, "残疾人联合会", note="准予办理残疾人证")
    facts = ResultFacts("准予", concluded, "残疾人证", seal, licence=licence)
    words = kinds.result_words(VILLAGE_POINT, waiting_case(demo_item("CL-0001")), facts)
    placed = placed_lines(kinds.result_pdf(VILLAGE_POINT, words, PRINTED))
    label_x, label_y = next((x, y) for y, runs in placed.items() for x, run in runs if run == "电子证照")
    value = [  # the value column's lines, from the label's line down
        "".join(run for x, run in sorted(placed[y]) if x > label_x + 20)
        for y in sorted(placed, reverse=True)
        if y <= label_y
    ]
    assert value[0].startswith("1.2.156."), (primary_font, value)  # beside the number's first line
    assert value[0] + value[1] == licence and value[0].endswith("."), (primary_font, value)


def test_a_receipt_prints_a_rare_character_of_a_name_or_marks_it_missing(federation, people):
    village = federation.desk(VILLAGE)
    rare = case_pb2.Applicant(name="王𠈌明", id_number=APPLICANT.id_number, phone=APPLICANT.phone)
    case = submit(village, people["agent"], applicant=rare)
    pdf = render(village, people["agent"], "receipt", case.id).pdf
    text = text_of(pdf)
    assert "王" in text and "明" in text and "\u40de" not in text  # 䃞: the CID font's reading of a half
    fonts = {str(font["/BaseFont"]) for page in PdfReader(io.BytesIO(pdf)).pages
             for font in page["/Resources"]["/Font"].values()}  # fmt: skip
    if any(path.is_file() for path in FALLBACK_CANDIDATES):  # Debian's fonts-hanazono (scripts/test)
        assert any("HanaMin" in font for font in fonts), fonts
    else:
        assert "王〓明" in text


def test_a_name_beyond_the_basic_plane_reads_back_as_printed(federation, people, tmp_path):
    """李𪚥 (U+2A6A5) was drawn right, but its text (copy, search, pdftotext) read 李⩪ (U+2A6A): the
    fallback font's ToUnicode map wrote the code point's five hex digits where PDF needs UTF-16BE."""
    if not any(path.is_file() for path in FALLBACK_CANDIDATES):
        pytest.skip("no font here draws U+2A6A5: it is printed as 〓 (the test above)")
    village = federation.desk(VILLAGE)
    rare = case_pb2.Applicant(name="李\U0002a6a5", id_number=APPLICANT.id_number, phone=APPLICANT.phone)
    case = submit(village, people["agent"], applicant=rare)
    pdf = render(village, people["agent"], "receipt", case.id).pdf
    text = text_of(pdf)
    assert "申请人李\U0002a6a5" in text.replace(" ", "") and "\u2a6a" not in text, text
    if shutil.which("pdftotext"):  # poppler, as the walk read it
        printed = tmp_path / "receipt.pdf"
        printed.write_bytes(pdf)
        read = subprocess.run(["pdftotext", str(printed), "-"], capture_output=True, text=True)
        assert "李\U0002a6a5" in read.stdout and "\u2a6a" not in read.stdout, read


def test_a_refusal_prints_its_reason_where_the_citizen_applied(federation, people):
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = submit(village, people["agent"])
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    with pytest.raises(grpc.RpcError) as not_refused:
        render(village, people["agent"], "refusal", case.id)
    assert not_refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    act(county, people["clerk"], case.id, case_pb2.REFUSE, "申请人户籍不在本县，不属于本机关受理范围")
    to_state(federation, VILLAGE, case.id, case_pb2.REFUSED)

    refusal = render(village, people["agent"], "refusal", case.id)
    text = text_of(refusal.pdf)
    assert refusal.title == "不予受理决定书" and case.id in text and APPLICANT.name in text
    assert "不予受理理由申请人户籍不在本县，不属于本机关受理范围" in text
    assert "民政局 姓名clerk1" in text and "clerk1)" not in text
    # whom to appeal to, not only that one may: the county's government and its court
    assert "六十日内依法向沅江市人民政府申请行政复议" in text, text
    assert "六个月内依法向沅江市人民法院提起行政诉讼" in text, text
    assert_qr(refusal.pdf, refusal.verify_url)


def test_a_decision_printed_at_the_village_is_headed_by_the_deciding_office_not_the_village(
    federation, people
):
    """不予受理决定书, 补正告知书 and 办结通知书 printed at the village were headed by the village's
    name above the title: the citizen read that the village had refused them. A paper recording a
    decision is headed by the office that made it wherever it is printed; the village's own papers
    (收件回执) keep the village's name, and the footer still says where each was printed."""
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    here = f"{VILLAGE} 政务服务代办点"  # the unnamed village, as issuer_of names it
    decided = f"{COUNTY_NAME} 民政局"

    def head(text: str) -> str:
        """What stands above the number, after the footer (read first): the body and the title."""
        return text.split("编号：")[0].split("页")[-1].replace(" ", "")

    refused, corrected = (submit(village, people["agent"]) for _ in range(2))
    for case in (refused, corrected):
        wait_for(lambda c=case: arrived(federation, COUNTY, c.id), what="the case at the county")
    act(county, people["clerk"], refused.id, case_pb2.REFUSE, "申请人户籍不在本县")
    act(county, people["clerk"], corrected.id, case_pb2.REQUEST_CORRECTION, "户口簿请提供首页和本人页")
    to_state(federation, VILLAGE, refused.id, case_pb2.REFUSED)
    to_state(federation, VILLAGE, corrected.id, case_pb2.CORRECTION_REQUESTED)
    receipt = text_of(render(village, people["agent"], "receipt", refused.id).pdf)
    assert head(receipt) == f"{here}收件回执".replace(" ", ""), receipt
    letters = ((refused, "refusal", "不予受理决定书"), (corrected, "correction", "补正告知书"))
    for case, kind, title in letters:
        text = text_of(render(village, people["agent"], kind, case.id).pdf)
        assert head(text) == f"{decided}{title}".replace(" ", ""), text
        assert re.search(rf"{here}（{VILLAGE}）\s*第 1 页", text), text  # the footer: where it was printed

    denied = submit(village, people["agent"])
    wait_for(lambda: arrived(federation, COUNTY, denied.id), what="the case at the county")
    act(county, people["clerk"], denied.id, case_pb2.ACCEPT, "材料齐全")
    act(county, people["reviewer"], denied.id, case_pb2.REVIEW)
    act(county, people["reviewer"], denied.id, case_pb2.DENY, "家庭收入高于当地低保标准")
    to_state(federation, VILLAGE, denied.id, case_pb2.CONCLUDED)
    text = text_of(render(village, people["agent"], "result", denied.id).pdf)
    assert head(text) == f"{decided}办结通知书".replace(" ", ""), text
    assert "办理部门民政局 姓名review1" in text and "review1)" not in text  # a person's name, not a login
    # a denial of a 行政确认 said only 不予; now worded by the item's type, and whom to appeal to
    assert "办理结果为：不予办理。" in text and "办理结果不予办理" in text, text
    assert "依法向沅江市人民政府申请行政复议" in text and "依法向沅江市人民法院提起行政诉讼" in text, text


def test_a_jiban_item_taken_in_elsewhere_is_concluded_on_the_spot_at_the_handler_not_where_taken_in():
    """A 即办件 taken in at a village and handled at the township promised 即办件（当场办结）
    while it waited for the township: the point taking it in says it is concluded on the spot once
    it reaches the handler; the handler itself still says 当场办结."""
    from datetime import UTC, datetime

    from node.documents import kinds
    from node.documents.facts import CaseFacts, Issuer, ReceiptFacts

    case = CaseFacts(
        case_id="430981006001-X",
        item_code="RS-0002",
        item_name="城乡居民基本养老保险参保登记",
        department="人力资源和社会保障局",
        origin="韩家汊社区代办点（430981006001）",
        handler="430981006000 人力资源和社会保障局",
        applicant_name="王秀兰",
        applicant_id_number=APPLICANT.id_number,
        applicant_phone="",
        submitted_at=datetime(2025, 11, 3, 1, tzinfo=UTC),
        verify_url="http://127.0.0.1:8080/verify/430981006001-X",
        state="SUBMITTED",
    )
    village = Issuer("韩家汊社区代办点", "430981006001")
    said = {
        here: dict(kinds.receipt_words(village, case, ReceiptFacts(None, None, 0, True, here)).fields)
        for here in (False, True)
    }
    assert said[False]["承诺办结时限"] == "即办件（送达办理部门后当场办结）"
    assert said[True]["承诺办结时限"] == "即办件（当场办结）"


def test_a_receipt_says_the_case_waits_for_a_correction_or_was_refused_not_that_it_waits_for_acceptance(
    federation, people
):
    """Before 受理 a receipt said 已收件，待办理部门受理 whatever had become of the case: asked for
    a 补正, it says so; refused, it says 不予受理 and where the reasons are, and promises no time
    limit."""
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = submit(village, people["agent"])
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    act(county, people["clerk"], case.id, case_pb2.REQUEST_CORRECTION, "户口簿请提供首页和本人页")
    to_state(federation, VILLAGE, case.id, case_pb2.CORRECTION_REQUESTED)
    text = text_of(render(village, people["agent"], "receipt", case.id).pdf)
    assert "办件状态补正（请按补正告知书补正材料" in text and "待办理部门受理" not in text

    act(county, people["clerk"], case.id, case_pb2.REFUSE, "申请人户籍不在本县，不属于本机关受理范围")
    to_state(federation, VILLAGE, case.id, case_pb2.REFUSED)
    refused = render(village, people["agent"], "receipt", case.id)
    text = text_of(refused.pdf)
    assert refused.title == "收件回执" and "办件状态不予受理（理由及救济途径见不予受理决定书）" in text
    assert "待办理部门受理" not in text and "承诺办结时限" not in text and "办结后通知您" not in text


def test_only_the_nodes_own_people_may_print(federation, people):
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = submit(village, people["agent"])
    village.Logout(desk_pb2.LogoutRequest(), metadata=people["agent"])
    strangers = (
        (village, people["agent"]),  # logged out
        (village, people["clerk"]),  # a login of another node (accounts are per node)
        (county, ((TOKEN, "not-a-token"),)),
    )
    for desk, token in strangers:
        with pytest.raises(grpc.RpcError) as refused:
            render(desk, token, "receipt", case.id)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as unknown:
        render(county, people["clerk"], "licence", case.id)
    assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "notice" in unknown.value.details()
    with pytest.raises(grpc.RpcError) as no_item:
        render(county, people["clerk"], "notice", item_code="XX-9999")
    assert no_item.value.code() == grpc.StatusCode.NOT_FOUND


def test_wuji_doc_writes_the_pdf_and_says_where(federation, people, tmp_path):
    village_desk, county_desk = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = submit(village_desk, people["agent"])
    village, county = str(federation.config_path(VILLAGE)), str(federation.config_path(COUNTY))
    anonymous = wuji("doc", "notice", COUNTY_ITEM, "--config", village, cwd=tmp_path)
    assert anonymous.returncode == 0, anonymous.stderr  # the node's operator, on its machine
    written = tmp_path / f"一次性告知书-{COUNTY_ITEM}.pdf"
    assert f"已生成一次性告知书：{written.name}" in anonymous.stdout
    assert "最低生活保障对象认定" in text_of(written.read_bytes())

    federation.desk(VILLAGE).AddStaff(
        desk_pb2.AddStaffRequest(username="cun2", name="员工cun2", role="代办员", password="s3cret-pass")
    )
    assert log_in("cun2", village).returncode == 0
    out = tmp_path / "回执.pdf"
    printed = wuji("doc", "receipt", case.id[: len(VILLAGE) + 20], "-o", str(out), "--config", village)
    assert printed.returncode == 0, printed.stderr
    assert f"已生成收件回执：{out}" in printed.stdout and f"/verify/{case.id}" in printed.stdout
    assert case.id in text_of(out.read_bytes())

    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    act(county_desk, people["clerk"], case.id, case_pb2.REQUEST_CORRECTION, "照片须为近期免冠彩色照片")
    asked = to_state(federation, VILLAGE, case.id, case_pb2.CORRECTION_REQUESTED).events[-1].version
    letter = wuji("doc", "correction", case.id, "--event", str(asked), "--config", village, cwd=tmp_path)
    assert letter.returncode == 0, letter.stderr
    written = tmp_path / f"补正告知书-{case.id}-{asked}.pdf"  # one file per letter
    assert "照片须为近期免冠彩色照片" in text_of(written.read_bytes())
    not_a_letter = wuji("doc", "correction", case.id, "--event", "1", "--config", village)
    assert not_a_letter.returncode == 1 and "没有告知书可打印" in not_a_letter.stderr

    missing = wuji("doc", "result", case.id, "--config", village)
    assert missing.returncode == 1 and "尚未办结" in missing.stderr
    stray = wuji("doc", "refusal", "430981006001-NOSUCHCASE", "--config", county)
    assert stray.returncode == 1 and "NOT_FOUND" in stray.stderr


def test_the_qr_address_comes_from_public_url_or_else_from_web_listen():
    assert NodeConfig(code=COUNTY, parent_address="127.0.0.1:1").verify_url("C1") == (
        "http://127.0.0.1:8080/verify/C1"
    )
    anywhere = NodeConfig(code=COUNTY, parent_address="127.0.0.1:1", web_listen="0.0.0.0:8443")
    assert anywhere.public_base_url == "http://127.0.0.1:8443"
    public = NodeConfig(code=COUNTY, parent_address="127.0.0.1:1", public_url=COUNTY_URL)
    assert public.verify_url("C1") == "https://zwfw.yuanjiang.example.cn/verify/C1"
    with pytest.raises(ConfigError, match="public_url"):
        NodeConfig(code=COUNTY, parent_address="127.0.0.1:1", public_url="zwfw.example.cn")


def test_the_demos_staff_are_named_as_people_for_the_papers_that_print_their_names():
    """The demo named its staff by their role (窗口1, 审批1), which a 不予受理决定书 then printed as
    its 决定部门 (民政局 窗口1): the demo's people have people's names, which papers print."""
    from node.cases.states import Action
    from node.runtime.demo import STAFF_NAMES, DemoStaff
    from node.staff.roles import Role

    class Operator:
        def __init__(self) -> None:
            self.named: list[str] = []

        def add_staff(self, username: str, name: str, role: str, department: str, password: str) -> None:
            self.named.append(name)

        def login(self, username: str, password: str) -> desk_pb2.LoginReply:
            return desk_pb2.LoginReply(token="t")

        def with_token(self, token: str) -> Operator:
            return self

    operator = Operator()
    staff = DemoStaff({COUNTY: operator})
    staff.supervisor(COUNTY)
    for department in ("民政局", "人力资源和社会保障局"):
        staff.for_action(COUNTY, department, Action.REFUSE)
        staff.for_action(COUNTY, department, Action.APPROVE)
    assert operator.named == list(STAFF_NAMES[:5])
    # the demo's county hall had three 陈静 (its 管理员 and two clerks): the names went round all the
    # nodes' people, and the hall's came back to the same one after twelve made elsewhere
    hall = Operator()
    staff = DemoStaff({TOWNSHIP: Operator(), COUNTY: hall})
    staff.admin(COUNTY)
    for department in ("民政局", "公安局", "市场监督管理局", "人力资源和社会保障局", "林业局"):
        staff.for_action(TOWNSHIP, department, Action.ACCEPT)
        staff.for_action(TOWNSHIP, department, Action.APPROVE)
    staff.supervisor(TOWNSHIP)  # eleven elsewhere: the hall's next is the twelfth name after its first
    staff.for_action(COUNTY, "民政局", Action.ACCEPT)
    assert len(set(hall.named)) == 2, hall.named
    roles = ("窗口", "审批", "审核", "代办", "监察", *(role.label for role in Role))
    assert not any(role in name for name in operator.named for role in roles), operator.named


def test_a_correction_letter_lists_the_materials_to_correct_one_a_line_before_the_note():
    """The 补正告知书 printed only the clerk's note (a walker read "补正内容 请补正"): the materials
    the 补正告知 names come first, one a line, then the note; named alone, no stock sentence follows."""
    item = demo_item("MZ-0001")
    case = waiting_case(item)
    named = required_names("MZ-0001")[:2]
    asked = Step(PRINTED, TOWNSHIP, item.department, note="须为原件扫描", materials=tuple(named))
    letter = kinds.correction_letter(TOWNSHIP_CENTRE, case, item, asked)
    assert letter.listed == (f"1. {named[0]}", f"2. {named[1]}") and letter.statement == "须为原件扫描"
    lines = PdfReader(io.BytesIO(kinds.letter_pdf(TOWNSHIP_CENTRE, letter, PRINTED))).pages[0].extract_text()
    heading = lines.splitlines().index("补正内容")
    assert lines.splitlines()[heading + 1 : heading + 4] == [*letter.listed, "须为原件扫描"], lines
    alone = kinds.correction_letter(TOWNSHIP_CENTRE, case, item, replace(asked, note=""))
    assert alone.statement == "" and alone.listed == letter.listed
