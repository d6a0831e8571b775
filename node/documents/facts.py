"""What documents are made from: plain facts, gathered by the desk from the catalogue and the case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Issuer:
    """The node printing the document: the window the citizen stands at."""

    name: str  # e.g. 沅江市政务服务中心
    code: str  # its division code


@dataclass(frozen=True)
class ListedMaterial:
    """A material as the item lists it (申请材料)."""

    name: str
    required: bool = True
    deferrable: bool = False  # 容缺: may follow later
    form: str = ""  # 原件 / 复印件 / 原件及复印件 / 电子材料
    e_licence: bool = False  # an electronic licence may stand in (无证明)
    promise: bool = False  # 告知承诺: the applicant's signed promise may replace it


@dataclass(frozen=True)
class Fee:
    name: str
    amount: str  # yuan, e.g. "20.00"
    basis: str = ""


@dataclass(frozen=True)
class ItemPart:
    """One item of a 一件事 as its notice lists it: who handles it and in what time."""

    code: str
    name: str
    office: str  # the handling office and department as this node can name it (沅江市政务服务中心 公安局)
    instant: bool  # 即办件
    promised_days: int
    after: tuple[str, ...] = ()  # the names of the parts it starts after


@dataclass(frozen=True)
class ItemFacts:
    """A service item (事项) as the catalogue describes it, and where this node handles it."""

    code: str
    name: str
    type: str
    department: str
    implementing_body: str
    legal_basis: str
    handling_tier: str  # 省 / 市 / 县 / 乡
    instant: bool  # 即办件 (else 承诺件)
    statutory_days: int
    promised_days: int
    online_level: str
    max_visits: int  # 0 = 零跑动, 1 = 最多跑一次
    result_name: str = ""
    conditions: tuple[str, ...] = ()
    materials: tuple[ListedMaterial, ...] = ()
    fees: tuple[Fee, ...] = ()
    # where (办理地点): this node's implementation list (认领), empty where the item is not claimed
    window_address: str = ""
    phone: str = ""
    opening_hours: str = ""
    local_notes: str = ""
    # the office above this node that handles the item, as this node names it (沅江市政务服务中心
    # 民政局); empty where it handles the item itself, or knows no name for that office
    handler_office: str = ""
    # 跨省通办: a partner province's item, handled in that province (as named here), in these modes
    handled_in: str = ""
    modes: tuple[str, ...] = ()
    parts: tuple[ItemPart, ...] = ()  # a 一件事's items, each handled by its own office


@dataclass(frozen=True)
class GivenMaterial:
    """A file the window took for a case."""

    name: str
    file_name: str = ""
    size: int = 0
    purpose: str = "submitted"  # submitted | correction | supplied
    licence: str = ""  # 无证明: the electronic licence standing in


@dataclass(frozen=True)
class Step:
    """One event of a case: when, where and by whom, and its note."""

    at: datetime
    node: str
    department: str = ""
    person: str = ""
    note: str = ""
    office: str = ""  # the node and department as people read them: 沅江市政务服务中心 民政局（430981000000）
    organ: str = ""  # the same as a decision's paper is headed, without the code: 沅江市政务服务中心 民政局
    materials: tuple[str, ...] = ()  # a 补正告知's materials to correct, by the item's names


@dataclass(frozen=True)
class Appeal:
    """Where a decision against the applicant may be challenged (remedies.py): the 行政复议机关 and
    the court, as its paper names them."""

    review_body: str  # 沅江市人民政府; 上一级主管部门; by its level where no name is known
    court: str  # 沅江市人民法院, or the court as the law fixes it


@dataclass(frozen=True)
class Deferral:
    """A material taken 容缺: missing at submission, promised by a day."""

    name: str
    promised_on: str  # ISO date (China), as the applicant promised it
    supplied_at: datetime | None = None  # None while still missing


@dataclass(frozen=True)
class Promise:
    """告知承诺: what the applicant promised, signed, in place of named proofs."""

    text: str
    replaces: tuple[str, ...]
    signed_by: str


@dataclass(frozen=True)
class CaseFacts:
    """A case (办件) as this node knows it."""

    case_id: str
    item_code: str
    item_name: str
    department: str
    # the applicant's point as people read it: 韩家汊社区代办点（430981006001）; the handling office
    # with its department: 沅江市政务服务中心 民政局（430981000000）; each in another province than the
    # printing node's after that province's name (广东省 南山区政务服务中心 公安局（440305000000）)
    origin: str
    handler: str
    applicant_name: str
    applicant_id_number: str
    applicant_phone: str
    submitted_at: datetime
    verify_url: str  # the verification page the QR code leads to
    materials: tuple[GivenMaterial, ...] = field(default_factory=tuple)
    state: str = ""  # its state (node.cases.states.State), as this node last heard of it
    deferred: tuple[Deferral, ...] = ()  # 容缺后补材料
    promise: Promise | None = None  # 告知承诺, where the applicant signed one
    mode: str = ""  # 跨省通办: 异地代收代办, 两地联办 or 全程网办 (empty: within the province)


@dataclass(frozen=True)
class SealFacts:
    """The electronic seal on a result (电子印章): whose it is and when it was applied."""

    holder: str
    department: str
    kind: str
    seal_id: str
    signed_at: datetime  # the sealer's own clock, as the document claims it
    digest: str  # SHA-256 of the sealed result
    # the time the province's time-stamping service attested (the token's), which /verify shows;
    # None for a result sealed before tokens existed
    attested_at: datetime | None = None


@dataclass(frozen=True)
class ResultFacts:
    """A concluded case's result (办结): the outcome, the decision and the seal vouching for it."""

    outcome: str  # 准予 / 不予
    concluded: Step
    result_name: str  # what an approval grants (结果名称, e.g. 营业执照); a denial grants nothing
    seal: SealFacts
    licence: str = ""  # the electronic licence issued, if any (an approval's only)
    item_type: str = ""  # 行政许可, 行政确认, …: a denial is worded by it (不予许可, 不予办理)
    appeal: Appeal | None = None  # a denial's: where to challenge it (None: by level, unnamed)
    phone: str = ""  # the item's 咨询电话 as this node's implementation list (认领) gives it, if any


@dataclass(frozen=True)
class ReceiptFacts:
    """受理 (or, before it, the window's receipt): when, by whom, and the promised date."""

    accepted: Step | None  # None: received, not yet accepted by the handler
    promised_on: date | None  # the last day of the time limit (None before 受理)
    promised_days: int | None = None  # None: the item's limit is not known here (left out)
    instant: bool = False  # 即办件: concluded on the spot, no time limit in days
    handled_here: bool = True  # printed by the handler itself (else: the spot is the handler's, later)
    received: Step | None = None  # the application taken in (申请): by whom, the receipt's 收件人
    extension_days: int = 0  # 延期: working days an approved extension added to the promised ones
    extension_reason: str = ""  # why, as the handler recorded it (told to the applicant)
    ended: Step | None = None  # 退件: when, by whom and why the case was ended without a result
    # concluded and sealed here, its result waiting for its time-stamp: what the case page says
    # (not to be handed out yet), in place of 办结
    result_waits: str = ""


@dataclass(frozen=True)
class PartFacts:
    """One item of a 一件事 as the bundle's receipt lists it: where it goes and its time limit."""

    item_code: str
    item_name: str
    office: str  # the handling office with its department as people read it (the department alone if unknown)
    case_id: str = ""  # empty until the part starts
    status: str = ""  # its case's state (node.cases.states.State), or WAITING / BLOCKED before it starts
    outcome: str = ""  # 准予 / 不予, once concluded
    reason: str = ""  # why it was blocked, refused or denied
    limit: ReceiptFacts | None = None  # its time limit as its own receipt words it (None: not known here)


@dataclass(frozen=True)
class BundleFacts:
    """A 一件事 (bundle) as the point where it was applied for knows it: one application, one set of
    materials, several parts."""

    bundle_id: str
    code: str
    name: str
    origin: str  # the applicant's point as people read it
    applicant_name: str
    applicant_id_number: str
    applicant_phone: str
    submitted_at: datetime
    verify_url: str  # the page the QR code leads to: every part's progress
    materials: tuple[GivenMaterial, ...] = ()  # taken in once, for every part that lists them
    deferred: tuple[Deferral, ...] = ()  # 容缺后补材料
    promise: Promise | None = None  # 告知承诺
    parts: tuple[PartFacts, ...] = ()
    received: Step | None = None  # who took the bundle in (收件人), where on record
