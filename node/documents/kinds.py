"""The documents a window prints, each built from facts on the shared page (layout.py).

一次性告知书 (notice) for an item; for a case 受理回执 (receipt), 补正告知书 (correction),
不予受理决定书 (refusal), 退件通知书 (returned), 延长办理期限告知书 (extension), 特别程序告知书
(suspension) and the 办结 result; for a 一件事 its 一件事收件回执 (bundle), each as PDF bytes. The
five letters are worded once, as a `Letter`, which the PDF and the front desk's print page both show;
a receipt's words (its state, 容缺 materials, 告知承诺, time limit) once, as a `Receipt`, and the
办结 result's as an `Outcome`, likewise. A paper recording a decision (the letters, the result) is
headed by the deciding office wherever it is printed; the window's own papers (notice, receipt) by
the printing node.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from node.cases.states import State, denial_words
from node.documents.facts import (
    Appeal,
    BundleFacts,
    CaseFacts,
    Deferral,
    GivenMaterial,
    Issuer,
    ItemFacts,
    ItemPart,
    PartFacts,
    Promise,
    ReceiptFacts,
    ResultFacts,
    SealFacts,
    Step,
)
from node.documents.layout import Identifier, Sheet, masked_id
from node.documents.remedies import UNNAMED, remedy
from node.staff.roles import name_on_record
from node.timeutil import CHINA_ZONE, as_utc, shanghai
from wuji.divisions import DivisionCode, Tier

TITLES = {
    "notice": "一次性告知书",
    "receipt": "受理回执",
    "correction": "补正告知书",
    "refusal": "不予受理决定书",
    "returned": "退件通知书",
    "extension": "延长办理期限告知书",  # 延期: its reason told to the applicant (行政许可法 第四十二条)
    "suspension": "特别程序告知书",  # 特别程序: which one, and that its time is not counted (第四十五条)
    "result": "办结通知书",
    "bundle": "一件事收件回执",  # of a bundle: everything taken in once, and where each part went
}
RECEIVED_TITLE = "收件回执"  # a receipt printed before the handler's 受理
PURPOSES = {"submitted": "申请", "correction": "补正", "supplied": "补齐"}
VERIFY = "扫描二维码核验本文书并查询办件进度"
PROGRESS = "凭办件编号可在收件的服务点查询办理进度。"  # a receipt's last word to the applicant
# a receipt's 办件状态 where the state's name alone would leave the applicant guessing what follows
STATUS = {
    State.SUBMITTED: "已收件，待办理部门受理",
    State.CORRECTION_REQUESTED: "补正（请按补正告知书补正材料，补正期间不计入办理时限）",
    State.REFUSED: "不予受理（理由及救济途径见不予受理决定书）",
    State.RETURNED: "退件，本件办理终止（理由及救济途径见退件通知书）",
}
INSTANT = "即办件（当场办结）"  # a 即办件's time limit: the day it is taken in, not 0 个工作日
# a 即办件 taken in at a point that does not handle it: on the spot once it reaches the handler
INSTANT_ELSEWHERE = "即办件（送达办理部门后当场办结）"
CLOSED = frozenset({State.REFUSED, State.WITHDRAWN, State.RETURNED, State.CONCLUDED, State.DELIVERED})
# ended without a result: no promised date stands any more, though the case was 受理'd
ENDED = frozenset({State.REFUSED, State.WITHDRAWN, State.RETURNED})


def china_day(moment: datetime | date) -> str:
    """A day as written in Chinese documents: 2026年12月05日 (an instant in Asia/Shanghai)."""
    day = as_utc(moment).astimezone(CHINA_ZONE).date() if isinstance(moment, datetime) else moment
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def visits(max_visits: int) -> str:
    return "零跑动（全程网上办理）" if max_visits == 0 else f"最多跑{max_visits}次"


def notice(issuer: Issuer, item: ItemFacts, printed_at: datetime) -> bytes:
    """一次性告知书: everything an applicant needs for an item, told once."""
    sheet = Sheet(TITLES["notice"], issuer, printed_at, item.code)
    taken = taking_in(_handled_by(issuer, item))
    sheet.paragraph(
        f"申请办理“{item.name}”，请按本告知书一次性准备全部材料；材料齐全、符合法定形式的，{taken}。"
    )
    fees = "；".join(
        f"{fee.name} {fee.amount} 元" + (f"（{fee.basis}）" if fee.basis else "") for fee in item.fees
    )
    sheet.heading("一、事项基本信息").fields(
        [
            ("事项名称", item.name),
            ("事项编码", item.code),
            ("事项类型", item.type),
            ("实施主体", item.implementing_body),
            ("办理部门", f"{item.department}（{item.handling_tier}级办理）"),
            *(
                [
                    (
                        "跨省通办",
                        f"本事项由{item.handled_in}办理，可在本窗口{'、'.join(item.modes)}，材料由办理地审查",
                    )
                ]
                if item.handled_in
                else []
            ),
            ("设定依据", item.legal_basis),
            ("办件类型", "即办件" if item.instant else "承诺件"),
            ("法定办结时限", f"{item.statutory_days} 个工作日"),
            ("承诺办结时限", "当场办结" if item.instant else promised_limit(item.promised_days)),
            ("收费标准", fees or "不收费"),
            ("办理方式", item.online_level),
            ("到现场次数", visits(item.max_visits)),
            ("办理结果", item.result_name or "—"),
        ]
    )
    sheet.heading("二、受理条件").numbered(list(item.conditions) or ["无特别条件"])
    sheet.heading("三、申请材料").table(
        ["序号", "材料名称", "形式", "必要性", "说明"],
        [
            [
                str(index),
                material.name,
                material.form or "—",
                "必需" if material.required else "非必需",
                "；".join(
                    note
                    for note, applies in (
                        ("可容缺后补", material.deferrable),
                        ("可告知承诺", material.promise),
                        ("可用电子证照代替", material.e_licence),
                    )
                    if applies
                )
                or "—",
            ]
            for index, material in enumerate(item.materials, 1)
        ],
        [1, 6, 2, 1.5, 3],
    )
    number = "四"
    if item.parts:  # a 一件事: where each part goes and in what time, since each office has its own
        sheet.heading("四、各事项办理部门及时限").table(
            ["序号", "事项", "办理部门", "承诺办结时限", "说明"],
            notice_parts(item),
            [1, 4, 5, 3.5, 3.5],
        )
        number = "五"
    place = [
        ("办理地点", where_to_apply(issuer, item)),
        # no number is made up where none is published: the window itself answers
        ("咨询电话", item.phone) if item.phone else ("咨询方式", f"请在本窗口（{issuer.name}）当面咨询"),
        ("办公时间", item.opening_hours or "法定工作日"),
    ]
    if item.local_notes:
        place.append(("本地说明", item.local_notes))
    sheet.heading(f"{number}、办理地点").fields(place)
    sheet.paragraph(
        "也可在就近的村（社区）代办点、乡镇（街道）便民服务中心提交申请，由代办员转交办理部门，"
        "办理进度可凭办件编号查询。"
    )
    return sheet.signed([issuer.name, china_day(printed_at)]).render()


def notice_parts(item: ItemFacts) -> list[list[str]]:
    """A 一件事's parts as its 一次性告知书 lists them (the PDF and its page): the office each goes to,
    its time limit, and whether it starts at once or after others."""
    return [_notice_part(index, part) for index, part in enumerate(item.parts, 1)]


def _notice_part(index: int, part: ItemPart) -> list[str]:
    limit = "即办件（当场办结）" if part.instant else promised_limit(part.promised_days)
    after = f"待{'、'.join(part.after)}办结后自动开始办理" if part.after else "收件后即送办理部门"
    return [str(index), f"{part.name}（{part.code}）", part.office, limit, after]


def promised_limit(days: int) -> str:
    """承诺办结时限 in working days, as every paper and page words it: counted as the handler's
    clock counts it (node/cases/deadlines.py, 次日起算), the day of 受理 itself not counted."""
    return f"{days} 个工作日（自受理次日起算）"


def taking_in(handled_here: bool) -> str:
    """What the window does with a complete application, as the 一次性告知书 (and its page) says it."""
    return "当场受理" if handled_here else "本窗口当场收件，转交办理部门受理"


def handled_at(node: str, handling_tier: str, partner: str = "") -> bool:
    """Whether the node handles the item (one of its tier's, of this province), or only takes it in
    for the tier that does (a village point collects: it accepts nothing)."""
    return not partner and Tier.from_name(handling_tier) == DivisionCode.parse(node).tier


def _handled_by(issuer: Issuer, item: ItemFacts) -> bool:
    return handled_at(issuer.code, item.handling_tier, item.handled_in)


def where_to_apply(issuer: Issuer, item: ItemFacts) -> str:
    """办理地点, as the 一次性告知书 and its page say it: the window of the item's implementation list
    (认领), else this window, which takes it in — for a partner province, for the office above
    (named where this node knows its name), or as the department's own. The catalogue's implementing
    body (县级民政局) names a kind of office, not one a citizen can find."""
    if item.window_address:
        return item.window_address
    if item.parts:  # a 一件事: taken in here once, each part sent to its own office
        return f"{issuer.name}（一次收件，分送各事项的办理部门办理，见上表）"
    if item.handled_in:
        return f"{issuer.name}（跨省通办窗口）"
    if not _handled_by(issuer, item):
        return f"{issuer.name}（收件后转交{item.handler_office or item.department}办理）"
    return f"{issuer.name}（{item.department}窗口）"


def _case_fields(case: CaseFacts) -> list[tuple[str, str]]:
    return [
        ("办件编号", case.case_id),
        ("事项名称", f"{case.item_name}（{case.item_code}）"),
        ("申请人", case.applicant_name),
        ("证件号码", masked_id(case.applicant_id_number)),
        ("联系电话", case.applicant_phone or "—"),
        ("申请时间", f"{shanghai(case.submitted_at)}（北京时间）"),
        ("申请地", case.origin),
        *_where_handled(case),
    ]


def _where_handled(case: CaseFacts) -> list[tuple[str, str]]:
    """办理地, and for a case handled across a provincial border its 跨省通办 mode: a paper from a
    partner province's office, handed over at a window here, says so (the office names its province)."""
    return [("办理地", case.handler), *([("办理方式", f"跨省通办（{case.mode}）")] if case.mode else [])]


def _who(step: Step) -> str:
    named = (step.department, name_on_record(step.person))  # "name (login)" on staff screens only
    return " ".join(part for part in named if part) or f"节点 {step.node}"


def _organ(step: Step, issuer: Issuer) -> str:
    """The deciding body as a decision's paper is headed (the office without its code), wherever
    it is printed: a citizen must know who decided, not where the paper came out of a printer."""
    if step.organ:
        return step.organ
    return f"{step.node} {step.department}" if step.department else issuer.name


def _body(step: Step, issuer: Issuer) -> str:
    """The deciding body, as a letter is signed: its office as the desk named it, else the
    department at the node where it acted, else the printing node."""
    if step.office:
        return step.office
    return f"{step.department}（{step.node}）" if step.department else issuer.name


def _materials(sheet: Sheet, materials: tuple[GivenMaterial, ...]) -> None:
    sheet.heading("已收材料").table(
        ["序号", "材料名称", "文件", "大小", "用途"],
        [
            [
                str(index),
                material.name + (f"（电子证照 {material.licence}）" if material.licence else ""),
                material.file_name or "—",
                f"{material.size:,} 字节",
                PURPOSES.get(material.purpose, material.purpose),
            ]
            for index, material in enumerate(materials, 1)
        ]
        or [["—", "无", "", "", ""]],
        [1, 5, 4, 2, 1.2],
    )


@dataclass(frozen=True)
class Receipt:
    """A receipt's words (受理回执, or 收件回执 before 受理): printed the same in the PDF (`receipt_pdf`)
    and on the front desk's receipt page (receipt.html), each beside the case's own fields."""

    title: str
    issued_by: str  # the printing point, above the title: a receipt is the window's own paper
    case_fields: tuple[tuple[str, str], ...]  # the case: its id, item, applicant (masked), where
    fields: tuple[tuple[str, str], ...]  # 受理 and the time limit
    deferred: tuple[str, ...] = ()  # 容缺后补材料, each with the day it is promised by
    promise: str = ""  # 告知承诺: what was promised, in place of which proofs, by whom
    closing: tuple[str, ...] = ()
    verify_url: str = ""  # the 核验 page of the case, which the QR code leads to
    verify_caption: str = VERIFY
    received_by: str = ""  # 收件人: who took the application in, and where (not whoever prints it)
    # the day it is signed with: 受理's, or the application's before it; not the day of printing,
    # or a receipt printed again a year on for a complaint would seem issued then
    dated: datetime | None = None


def receipt_words(issuer: Issuer, case: CaseFacts, facts: ReceiptFacts) -> Receipt:
    """受理回执: the case's state, what was received and the promised date; a 收件回执 before 受理
    (its state: waiting for 受理, 补正, or 不予受理 and no time limit to wait for)."""
    accepted = facts.accepted
    state = State(case.state) if case.state in State.__members__ else State.SUBMITTED
    status = STATUS.get(state, state.label)
    if state in (State.CONCLUDED, State.DELIVERED) and facts.result_waits:
        status = facts.result_waits  # 办结 with nothing to hand out yet would send the citizen for it
    rows = [("办件状态", status)]
    if accepted is not None:
        rows += [("受理时间", f"{shanghai(accepted.at)}（北京时间）"), ("受理人", _who(accepted))]
    if state not in ENDED and (accepted is not None or state not in CLOSED):
        rows += _time_limit(facts)  # closed before 受理, or ended without a result: none runs
    ended = facts.ended
    if state is State.RETURNED and ended is not None:
        rows += [
            ("退件时间", f"{shanghai(ended.at)}（北京时间）"),
            ("退件部门", _who(ended)),
            ("退件理由", ended.note or "（未说明理由）"),
        ]
    closing = "请妥善保管本回执。"
    if state not in CLOSED:
        closing += "补正、特别程序期间不计入办理时限；办理结果将在办结后通知您。"
    return Receipt(
        title=TITLES["receipt"] if accepted else RECEIVED_TITLE,
        issued_by=issuer.name,
        case_fields=tuple(_case_fields(case)),
        fields=tuple(rows),
        deferred=tuple(_deferral(owed) for owed in case.deferred),
        promise=_promised(case.promise),
        closing=(closing, PROGRESS),
        verify_url=case.verify_url,
        received_by=_received_by(facts.received, case.origin),
        dated=accepted.at if accepted else (facts.received.at if facts.received else case.submitted_at),
    )


def _promised(promise: Promise | None) -> str:
    """告知承诺 as a receipt prints it: what was promised, in place of which proofs, by whom."""
    if promise is None or not promise.replaces:
        return ""
    return f"{promise.text}（代替 {'、'.join(promise.replaces)}；承诺人 {promise.signed_by}）"


def _received_by(received: Step | None, origin: str) -> str:
    """收件人: who took the application in, and where (the point alone where no person is on record:
    a part a bundle started by itself)."""
    if received is None:
        return ""
    return "收件人：" + "　　".join(w for w in (name_on_record(received.person), origin) if w)


def _time_limit(facts: ReceiptFacts) -> list[tuple[str, str]]:
    """承诺办结时限 as a receipt promises it: a 即办件's on the spot; else in working days, from 受理
    or to the limit's last day; nothing where the item's limit is not known here (not 0)."""
    if facts.instant:
        return [("承诺办结时限", INSTANT if facts.handled_here else INSTANT_ELSEWHERE)]
    if facts.promised_days is None:
        return []
    if facts.accepted is None:
        return [("承诺办结时限", promised_limit(facts.promised_days))]
    rows = [("承诺办结时限", promised_limit(facts.promised_days))]
    last_day = f"{china_day(facts.promised_on)}前" if facts.promised_on else "—"
    if not facts.extension_days:
        return [*rows, ("承诺办结日期", last_day)]
    # the same figures at the handler and where the citizen applied: the promise, the extension
    # and the last day they make together (not the sum as if it had been promised)
    extended = facts.promised_days + facts.extension_days
    reason = f"；理由：{facts.extension_reason}" if facts.extension_reason else ""
    return [
        *rows,
        ("经批准延期", f"{facts.extension_days} 个工作日（办理时限共 {extended} 个工作日{reason}）"),
        ("延期后办结日期", last_day),
    ]


def _deferral(owed: Deferral) -> str:
    line = f"{owed.name}，承诺于 {owed.promised_on} 前补交"
    return line + (f"（已于{china_day(owed.supplied_at)}补交）" if owed.supplied_at else "")


def receipt_pdf(issuer: Issuer, case: CaseFacts, words: Receipt, printed_at: datetime) -> bytes:
    """A receipt as PDF: the case's fields, its words (`receipt_words`) and the materials received."""
    sheet = Sheet(words.title, issuer, printed_at, case.case_id, headed_by=words.issued_by)
    sheet.fields(list(words.case_fields) + list(words.fields))
    _materials(sheet, case.materials)
    if words.deferred:
        sheet.heading("容缺后补材料").numbered(list(words.deferred))
    if words.promise:
        sheet.heading("告知承诺").paragraph(words.promise)
    for paragraph in words.closing:
        sheet.paragraph(paragraph)
    sheet.qr(words.verify_url, words.verify_caption)
    received = [words.received_by] if words.received_by else []
    return sheet.signed([*received, issuer.name, china_day(words.dated or printed_at)]).render()


PART_WAITS = "待前序事项办结"  # a bundle's part not started yet, as the bundle page says it


def bundle_receipt(issuer: Issuer, bundle: BundleFacts, printed_at: datetime) -> bytes:
    """一件事收件回执: the one application as taken in — the applicant, every material once, 容缺 and
    告知承诺 — and each part with the office it went to, its time limit and its case, so that the
    family holds one paper for the whole 一件事 (each part's own receipt follows its 受理)."""
    sheet = Sheet(TITLES["bundle"], issuer, printed_at, bundle.bundle_id)
    sheet.paragraph(
        f"{bundle.applicant_name}：你申请的“{bundle.name}”（共 {len(bundle.parts)} 个事项）已一次收件。"
        "材料只需提交一次，由本服务点分送各事项的办理部门并联办理；后续事项在前序事项办结后自动开始办理。"
    )
    sheet.fields(
        [
            ("一件事", f"{bundle.name}（{bundle.code}）"),
            ("申请人", bundle.applicant_name),
            ("证件号码", masked_id(bundle.applicant_id_number)),
            ("联系电话", bundle.applicant_phone or "—"),
            ("申请时间", f"{shanghai(bundle.submitted_at)}（北京时间）"),
            ("申请地", bundle.origin),
        ]
    )
    _materials(sheet, bundle.materials)
    if bundle.deferred:
        sheet.heading("容缺后补材料").numbered([_deferral(owed) for owed in bundle.deferred])
    if promise := _promised(bundle.promise):
        sheet.heading("告知承诺").paragraph(promise)
    sheet.heading("各事项办理部门及时限").table(
        ["序号", "事项", "办理机构", "办理时限", "状态", "办件编号"],
        [_part_row(index, part) for index, part in enumerate(bundle.parts, 1)],
        [0.9, 3.2, 4, 3.6, 2.6, 3.6],
    )
    sheet.paragraph(
        "请妥善保管本回执。各事项分别受理、分别办结，另有各自的受理回执和办结通知书；"
        "补正、特别程序期间不计入办理时限。"
    )
    sheet.paragraph("凭一件事编号或各事项的办件编号可在收件的服务点查询办理进度。")
    sheet.qr(bundle.verify_url, "扫描二维码查询一件事各事项的办理进度")
    received = _received_by(bundle.received, bundle.origin)
    # dated the day the bundle was taken in: a copy printed again later must not seem issued then
    dated = china_day(bundle.submitted_at)
    return sheet.signed([*([received] if received else []), issuer.name, dated]).render()


def _part_row(index: int, part: PartFacts) -> list[str]:
    item = f"{part.item_name}（{part.item_code}）"
    return [str(index), item, part.office, _part_limit(part), _part_status(part), part.case_id or "—"]


def _part_limit(part: PartFacts) -> str:
    """A part's time limit as its own receipt words it; one not started yet begins once the parts
    before it are concluded, and one that never will has none."""
    if part.status == "BLOCKED":
        return "不再办理"
    facts = part.limit
    if facts is None:
        return "—"
    state = State(part.status) if part.status in State.__members__ else None
    if state in CLOSED and facts.accepted is None:  # closed before 受理: no time limit ran
        return "—"
    limit = "；".join(value for _, value in _time_limit(facts)) or "—"
    return f"{limit}；{PART_WAITS}后开始" if part.status == "WAITING" else limit


def _part_status(part: PartFacts) -> str:
    if part.status == "WAITING":
        return PART_WAITS
    if part.status == "BLOCKED":
        return f"受阻（{part.reason}）" if part.reason else "受阻"
    state = State(part.status) if part.status in State.__members__ else None
    said = state.label if state is not None else part.status
    if part.outcome:
        said += f"（{part.outcome}）"
    return said


@dataclass(frozen=True)
class Letter:
    """A decision told to the applicant in a letter (补正告知书, 不予受理决定书, 退件通知书): its words,
    printed the same in the PDF (`letter_pdf`) and on the front desk's print page (event_print.html)."""

    kind: str  # correction | refusal | returned
    title: str
    issued_by: str  # the deciding office, above the title (`_organ`), not the printing node
    number: str  # the case id
    addressee: str  # 王秀兰：
    opening: str
    heading: str  # 补正内容 / 不予受理理由 / 退件理由
    statement: str  # what to correct, or why the case is refused: the decision's own words
    fields: tuple[tuple[str, str], ...]
    listed: tuple[str, ...] = ()  # a correction's materials to correct, one a line before the statement
    checklist_heading: str = ""
    checklist: tuple[str, ...] = ()  # a correction's: the item's materials, to check against
    closing: tuple[str, ...] = ()  # what follows: a refusal's remedies, their bodies and periods
    verify_url: str = ""  # the 核验 page of the case, which the QR code leads to
    verify_caption: str = VERIFY
    signature: tuple[str, ...] = ()  # the deciding body and the day


def _opening(case: CaseFacts, reviewed: bool = True) -> str:
    applied = f"你（单位）于{china_day(case.submitted_at)}提出的“{case.item_name}”申请，"
    return applied + ("经审查，" if reviewed else "")


def correction_letter(issuer: Issuer, case: CaseFacts, item: ItemFacts, requested: Step) -> Letter:
    """补正告知书: what to correct, told once, with the item's full material list beside it."""
    return Letter(
        kind="correction",
        title=TITLES["correction"],
        issued_by=_organ(requested, issuer),
        number=case.case_id,
        addressee=f"{case.applicant_name}：",
        opening=_opening(case) + "申请材料不齐全或者不符合法定形式，请按下列要求一次性补正：",
        heading="补正内容",
        listed=tuple(f"{number}. {name}" for number, name in enumerate(requested.materials, 1)),
        statement=requested.note or ("" if requested.materials else "请按办理部门要求补正申请材料。"),
        fields=(
            ("告知时间", f"{shanghai(requested.at)}（北京时间）"),
            ("告知部门", _who(requested)),
            *_where_handled(case),
        ),
        checklist_heading="本事项申请材料（供核对）",
        checklist=tuple(
            f"{m.name}（{m.form or '—'}，{'必需' if m.required else '非必需'}）" for m in item.materials
        ),
        closing=(
            f"补正期间不计入办理时限。请到原申请窗口 {case.origin} 提交补正材料，"
            "收到全部补正材料后继续办理。",
        ),
        verify_url=case.verify_url,
        signature=(_body(requested, issuer), china_day(requested.at)),
    )


def refusal_letter(issuer: Issuer, case: CaseFacts, refused: Step, appeal: Appeal = UNNAMED) -> Letter:
    """不予受理决定书: the decision, its reason and the applicant's remedies, to whom (appeal)."""
    return _decision_letter(
        "refusal", issuer, case, refused, "决定不予受理。", "不予受理理由", (remedy(appeal),)
    )


def returned_letter(issuer: Issuer, case: CaseFacts, returned: Step, appeal: Appeal = UNNAMED) -> Letter:
    """退件通知书: a case 受理'd and then ended without a result, its reason, what the applicant may
    do next and where to challenge it, as a 不予受理决定书 says."""
    closing = ("退件原因消除后，可以重新提出申请。", remedy(appeal, "通知书"))
    return _decision_letter(
        "returned", issuer, case, returned, "决定退件，本件办理终止。", "退件理由", closing
    )


def extension_letter(
    issuer: Issuer, case: CaseFacts, extended: Step, days: int, reason: str, due: date | None
) -> Letter:
    """延长办理期限告知书: the days an approved 延期 adds, its reason and the new last day (due, where
    it is known: None while a 特别程序 stops the clock)."""
    fields = _told(extended, case)
    if due is not None:
        fields.append(("延期后办结日期", f"{china_day(due)}前"))
    return _letter(
        "extension",
        issuer,
        case,
        extended,
        _opening(case, reviewed=False)
        + f"因不能在承诺时限内作出决定，经批准，办理期限延长 {days} 个工作日。",
        ("延期理由", reason or "（未说明理由）"),
        fields,
        ("办理结果将在办结后通知您。",),
    )


def suspension_letter(issuer: Issuer, case: CaseFacts, suspended: Step) -> Letter:
    """特别程序告知书: the 特别程序 (hearing, testing, expert review) and its time, told in writing,
    which the time limit does not count."""
    return _letter(
        "suspension",
        issuer,
        case,
        suspended,
        _opening(case, reviewed=False) + "需依法进行下列特别程序，特别程序所需时间不计入办理时限：",
        ("特别程序及所需时间", suspended.note or "（未说明）"),
        _told(suspended, case),
        ("特别程序结束后继续计算办理时限，办理结果将在办结后通知您。",),
    )


def _told(step: Step, case: CaseFacts) -> list[tuple[str, str]]:
    """A running case's step as its letter dates it: when, by whom, where the case is handled."""
    return [("告知时间", f"{shanghai(step.at)}（北京时间）"), ("告知部门", _who(step)), *_where_handled(case)]


def _decision_letter(
    kind: str,
    issuer: Issuer,
    case: CaseFacts,
    decided: Step,
    decision: str,
    heading: str,
    closing: tuple[str, ...],
) -> Letter:
    """A decision that ends the case against the applicant, with its reason, when and by whom."""
    fields = [
        ("决定时间", f"{shanghai(decided.at)}（北京时间）"),
        ("决定部门", _who(decided)),
        *_where_handled(case),
    ]
    return _letter(
        kind,
        issuer,
        case,
        decided,
        _opening(case) + decision,
        (heading, decided.note or "（未说明理由）"),
        fields,
        closing,
    )


def _letter(
    kind: str,
    issuer: Issuer,
    case: CaseFacts,
    step: Step,
    opening: str,
    statement: tuple[str, str],
    fields: list[tuple[str, str]],
    closing: tuple[str, ...],
) -> Letter:
    """A letter to the applicant about one step of the case, headed and signed by the office that
    took it: statement is its heading and its words."""
    heading, said = statement
    return Letter(
        kind=kind,
        title=TITLES[kind],
        issued_by=_organ(step, issuer),
        number=case.case_id,
        addressee=f"{case.applicant_name}：",
        opening=opening,
        heading=heading,
        statement=said,
        fields=tuple(fields),
        closing=closing,
        verify_url=case.verify_url,
        signature=(_body(step, issuer), china_day(step.at)),
    )


def letter_pdf(issuer: Issuer, letter: Letter, printed_at: datetime) -> bytes:
    """A letter as PDF, printed at issuer's node."""
    sheet = Sheet(letter.title, issuer, printed_at, letter.number, headed_by=letter.issued_by)
    sheet.paragraph(f"{letter.addressee}\n{letter.opening}")
    sheet.heading(letter.heading).paragraph("\n".join(filter(None, (*letter.listed, letter.statement))))
    sheet.fields(list(letter.fields))
    if letter.checklist:
        sheet.heading(letter.checklist_heading).numbered(list(letter.checklist))
    sheet.space()
    for paragraph in letter.closing:
        sheet.paragraph(paragraph)
    sheet.qr(letter.verify_url, letter.verify_caption)
    return sheet.signed(list(letter.signature)).render()


@dataclass(frozen=True)
class Outcome:
    """办结通知书's words: printed the same in the PDF (`result_pdf`) and on the front desk's result
    page (result_print.html)."""

    title: str
    issued_by: str  # the office that concluded the case, above the title
    number: str
    addressee: str
    opening: str
    fields: tuple[tuple[str, str], ...]
    seal: tuple[tuple[str, str], ...]  # 电子印章
    closing: tuple[str, ...] = ()  # a denial's remedies (remedies.remedy)
    verify_url: str = ""
    verify_caption: str = "扫描二维码核验电子印章与办件结果"
    signature: tuple[str, ...] = ()


def result_words(issuer: Issuer, case: CaseFacts, facts: ResultFacts) -> Outcome:
    """办结通知书: the outcome and decision, with the electronic seal that vouches for them; a denial
    worded by the item's type (不予许可, 不予办理), with where to challenge it."""
    concluded, seal = facts.concluded, facts.seal
    granted = facts.outcome == "准予"
    outcome = facts.outcome if granted else denial_words(facts.item_type)
    rows = [
        *_case_fields(case)[:4],
        ("办理结果", outcome),
        *([("结果名称", facts.result_name or "—")] if granted else []),  # a denial grants nothing
        ("决定内容", concluded.note or "—"),
        ("办结时间", f"{shanghai(concluded.at)}（北京时间）"),
        ("办理部门", _who(concluded)),
        *(_where_handled(case) if case.mode else []),  # within the province, the heading names it
    ]
    # the result is handed over (送达) where the case was applied for, whoever decided it
    if granted:
        rows.append(("领取方式", f"请持申请人有效身份证件和本通知书到申请地 {case.origin} 领取办理结果"))
    rows.append(("咨询电话", facts.phone) if facts.phone else ("咨询方式", f"请到申请地 {case.origin} 咨询"))
    if granted and facts.licence:
        rows.append(("电子证照", Identifier(facts.licence)))  # broken between its parts
    return Outcome(
        title=TITLES["result"],
        issued_by=_organ(concluded, issuer),
        number=case.case_id,
        addressee=f"{case.applicant_name}：",
        opening=(
            f"你（单位）于{china_day(case.submitted_at)}提出的“{case.item_name}”申请，"
            f"已于{china_day(concluded.at)}办结，办理结果为：{outcome}。"
        ),
        fields=tuple(rows),
        seal=(
            ("印章所有者", seal.holder),
            ("印章部门", seal.department),
            ("印章类型", seal.kind),
            ("印章编号", seal.seal_id),
            ("盖章时间", sealed_at(seal)),
            ("结果摘要", f"SHA-256 {seal.digest}"),
        ),
        closing=() if granted else (remedy(facts.appeal or UNNAMED, "通知书"),),
        verify_url=case.verify_url,
        signature=(f"{seal.holder}（电子印章）", china_day(seal.attested_at or seal.signed_at)),
    )


def sealed_at(seal: SealFacts) -> str:
    """盖章时间 as the 核验 page (/verify) words it: the time-stamping service's, else the sealer's own
    word. The sealer's clock is not proof, and runs behind the token's when the province was away."""
    if seal.attested_at is not None:
        return f"{shanghai(seal.attested_at, seconds=True)}（北京时间，时间戳服务证明）"
    return f"{shanghai(seal.signed_at, seconds=True)}（北京时间，签章方自述，无时间戳）"


def result_pdf(issuer: Issuer, words: Outcome, printed_at: datetime) -> bytes:
    """办结通知书 as PDF, printed at issuer's node, in its words (`result_words`)."""
    sheet = Sheet(words.title, issuer, printed_at, words.number, headed_by=words.issued_by)
    sheet.paragraph(f"{words.addressee}\n{words.opening}")
    sheet.fields(list(words.fields))
    sheet.heading("电子印章").fields(list(words.seal))
    if words.closing:
        sheet.space()
    for paragraph in words.closing:
        sheet.paragraph(paragraph)
    sheet.qr(words.verify_url, words.verify_caption)
    return sheet.signed(list(words.signature)).render()
