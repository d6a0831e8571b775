"""The node's own tables (SQLAlchemy 2 typed models). Link-layer tables live in sync/tables.py."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class ServiceItem(Base):
    """A service item (事项) of the catalogue release this node holds: the province's elements only.

    The columns are the catalogue's elements (GB/T 39554 family); every tier holds them unchanged
    (五级N同). What a tier adds locally lives in ItemClaim.
    """

    __tablename__ = "service_item"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    basic_code: Mapped[str] = mapped_column(String(64), default="")  # 基本编码
    implementation_code: Mapped[str] = mapped_column(String(64), default="")  # 实施编码
    handling_code: Mapped[str] = mapped_column(String(64), default="")  # 业务办理项编码
    level: Mapped[str] = mapped_column(String(10), default="主项")  # 主项 / 子项 / 业务办理项
    parent_code: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    department: Mapped[str] = mapped_column(String(100))
    implementing_body: Mapped[str] = mapped_column(String(100), default="")  # 实施主体
    handling_tier: Mapped[str] = mapped_column(String(10))
    instant: Mapped[bool] = mapped_column(Boolean)  # 即办件 (else 承诺件)
    statutory_days: Mapped[int] = mapped_column(Integer)
    promised_days: Mapped[int] = mapped_column(Integer)
    legal_basis: Mapped[str] = mapped_column(Text)
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)  # 受理条件
    materials: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    fees: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)  # 收费
    result_type: Mapped[str] = mapped_column(String(20), default="")
    result_name: Mapped[str] = mapped_column(String(200), default="")
    online_level: Mapped[str] = mapped_column(
        String(10), default="窗口办理"
    )  # 全程网办 / 网上预审 / 窗口办理
    cross_province: Mapped[bool] = mapped_column(Boolean, default=False)  # 跨省通办
    max_visits: Mapped[int] = mapped_column(Integer, default=1)  # 最多跑一次 = 1
    licence: Mapped[dict[str, object] | None] = mapped_column(JSON)  # the 电子证照 a conclusion issues
    # working days a case may stay in a step (state), e.g. {"ACCEPTED": 1, "UNDER_REVIEW": 8}
    step_days: Mapped[dict[str, int] | None] = mapped_column(JSON)
    # 跨省通办 agreements: partner province code → the modes its applicants may use this item in
    partner_modes: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    joint_item: Mapped[str | None] = mapped_column(String(64))  # 两地联办: the partner's part item
    # 一件事: {"parts": [codes], "after": {code: [codes]}}; the item is a bundle, not handled itself
    bundle: Mapped[dict[str, object] | None] = mapped_column(JSON)
    # 告知承诺制: {"replaces": [material names], "post_check_days": n}
    notify_promise: Mapped[dict[str, object] | None] = mapped_column(JSON)
    conclude_with_deferred: Mapped[bool | None] = mapped_column(Boolean)  # 容缺 materials may follow 办结
    max_material_mb: Mapped[int | None] = mapped_column(Integer)  # largest file taken for the item
    release_version: Mapped[int] = mapped_column(BigInteger)  # the release that last changed the item


class ItemClaim(Base):
    """This tier's claim (认领) of an item for its implementation list (实施清单), with local fields only."""

    __tablename__ = "item_claim"

    item_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_address: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(50))
    opening_hours: Mapped[str] = mapped_column(String(200))
    local_notes: Mapped[str] = mapped_column(Text)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CatalogRelease(Base):
    """A catalogue release applied at this node, newest = highest version, with its province signature."""

    __tablename__ = "catalog_release"

    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    items_json: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    province: Mapped[str] = mapped_column(String(12), default="")
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    algorithm: Mapped[str] = mapped_column(String(24), default="")
    signature: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    signer_chain_pem: Mapped[str] = mapped_column(Text, default="")


class CatalogPart(Base):
    """A part of a large catalogue delta, kept until its last part arrives (then applied and deleted)."""

    __tablename__ = "catalog_part"

    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    base_version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    part: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    message: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CatalogDelivery(Base):
    """The release a child will hold once every catalogue message queued for it is applied."""

    __tablename__ = "catalog_delivery"

    peer: Mapped[str] = mapped_column(String(12), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class Case(Base):
    """A case (办件). The handler's row is authoritative; the origin keeps a replica."""

    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_state", "state"),
        Index("ix_case_origin", "origin"),
        Index("ix_case_handler", "handler"),
        # the queues: a department's cases in one state at its handler (ordered by due date via the clock)
        Index("ix_case_queue", "handler", "department", "state", "due_on"),
        Index("ix_case_queue_received", "handler", "department", "state", "submitted_at"),  # 待受理
        Index("ix_case_handler_submitted", "handler", "submitted_at"),  # a handler's newest cases
        Index("ix_case_origin_submitted", "origin", "submitted_at"),  # a point's own cases, newest first
        Index("ix_case_submitted", "submitted_at"),
        Index("ix_case_applicant_name", "applicant_name"),
        Index("ix_case_applicant_id_number", "applicant_id_number"),
        Index("ix_case_applicant_phone", "applicant_phone"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(64))
    item_name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(12))
    handler: Mapped[str] = mapped_column(String(12))
    home_division: Mapped[str | None] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str | None] = mapped_column(String(10))
    applicant_name: Mapped[str] = mapped_column(String(100))
    applicant_id_number: Mapped[str] = mapped_column(String(32))
    applicant_phone: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)  # number of events; a replica applies them in order
    catalog_version: Mapped[int | None] = mapped_column(BigInteger)  # release the item was judged by
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)  # 受理 happened at least once
    mode: Mapped[str | None] = mapped_column(String(12))  # 跨省通办 mode, None within the province
    joint_of: Mapped[str | None] = mapped_column(String(64), index=True)  # 两地联办: the main case
    bundle_id: Mapped[str | None] = mapped_column(String(64), index=True)  # 一件事: the bundle of a part
    department: Mapped[str | None] = mapped_column(String(100))  # the item's handling department
    channel: Mapped[str | None] = mapped_column(String(8))  # window | agent | online (网办率)
    # 首问负责: the person who received the case at its handler, and their department
    responsible_person: Mapped[str | None] = mapped_column(String(100))
    due_on: Mapped[date | None] = mapped_column(Date)  # at the handler: the running limit's last day
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    materials: Mapped[list[CaseMaterial]] = relationship(
        back_populates="case", order_by="CaseMaterial.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[CaseEvent]] = relationship(order_by="CaseEvent.version", viewonly=True)


class CaseMaterial(Base):
    """A file given for a case: the item's material it stands for, and what the file is.

    licence: for 无证明, the identifier of the holder's electronic licence that stands in for the
    paper proof (its sealed document is the content). purpose: submitted | correction | supplied.
    """

    __tablename__ = "case_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    file_name: Mapped[str | None] = mapped_column(String(255))
    media_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    licence: Mapped[str | None] = mapped_column(String(160))
    purpose: Mapped[str | None] = mapped_column(String(12))

    case: Mapped[Case] = relationship(back_populates="materials")


class CaseEvent(Base):
    """One entry of this node's append-only, hash-chained event log."""

    __tablename__ = "case_event"
    __table_args__ = (
        UniqueConstraint("case_id", "version", name="uq_case_event_version"),
        Index("ix_case_event_action", "action"),  # the supervision scan looks for refusals
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str | None] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    actor_node: Mapped[str] = mapped_column(String(12))
    # the person who acted (username and name) and their department; empty for the node itself
    actor_person: Mapped[str | None] = mapped_column(String(100))
    actor_department: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    route: Mapped[list[str]] = mapped_column(JSON)
    # a 补正告知's materials to correct, by the item's names (None for every other event)
    correct_materials: Mapped[list[str] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ChainHead(Base):
    """The last entry of the event log; locked by every append so the chain never forks."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class EnrollmentInvite(Base):
    """A one-time token a parent gives a new child (`wuji node invite`); only its hash is kept."""

    __tablename__ = "enrollment_invite"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IssuedCertificate(Base):
    """Every certificate this node's CA issued, so it can be revoked and listed in the CRL."""

    __tablename__ = "issued_certificate"

    serial: Mapped[str] = mapped_column(String(40), primary_key=True)  # hex
    code: Mapped[str] = mapped_column(String(12), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # tls | ca | seal | timestamp
    pem: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RevocationList(Base):
    """The newest CRL known here from each issuing CA (its own included)."""

    __tablename__ = "revocation_list"

    # the issuing node's code; "<code>:sm2" for the SM2 seal CA of a province that seals with SM2
    issuer: Mapped[str] = mapped_column(String(24), primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger)
    der: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SealRecord(Base):
    """A seal registered at this node; its key lives encrypted in the PKI folder."""

    __tablename__ = "seal"

    seal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    algorithm: Mapped[str] = mapped_column(String(24))
    certificate_pem: Mapped[str] = mapped_column(Text)
    chain_pem: Mapped[str] = mapped_column(Text)
    picture: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AwaitingTimestamp(Base):
    """A result sealed while the province's time-stamping service could not be reached: it waits
    here, with the conclusion notice it travels with, until its token arrives (it never leaves
    unattested)."""

    __tablename__ = "awaiting_timestamp"

    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), primary_key=True)
    peer: Mapped[str] = mapped_column(String(12))  # the other copy, "" when there is none
    notice: Mapped[bytes] = mapped_column(LargeBinary)  # the CaseEventNotice, without its result
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SealedResult(Base):
    """The sealed result document of a concluded case, at the handler and at the origin."""

    __tablename__ = "sealed_result"

    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), primary_key=True)
    document: Mapped[bytes] = mapped_column(LargeBinary)
    seal_id: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Licence(Base):
    """An electronic licence (电子证照) this node issued on concluding a case."""

    __tablename__ = "licence"

    identifier: Mapped[str] = mapped_column(String(160), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(100))
    holder: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LicenceRevocation(Base):
    """A licence revoked by its issuer, known at this node (every node learns every revocation)."""

    __tablename__ = "licence_revocation"

    identifier: Mapped[str] = mapped_column(String(160), primary_key=True)
    issuer_node: Mapped[str] = mapped_column(String(12))
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Lease(Base):
    """Which replica of this node runs its links (several replicas may share one database)."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CaseDeadline(Base):
    """The running time limit (办理时限) of a case handled here: the index the supervision job scans.

    pauses: [[start, end or null], …] as ISO dates (补正, 特别程序); deadline is null while paused.
    due_on: the next day the supervision scan has something to do for the case (its warning day,
    then the day after its deadline); null while paused or once its red card is raised. A state
    change sets it to accepted_on, so the next scan looks at the case again and schedules it.
    """

    __tablename__ = "case_deadline"
    __table_args__ = (
        Index("ix_case_deadline_open_deadline", "open", "deadline"),
        Index("ix_case_deadline_open_due_on", "open", "due_on"),
    )

    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), primary_key=True)
    accepted_on: Mapped[date] = mapped_column(Date)
    promised_days: Mapped[int] = mapped_column(Integer)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    pauses: Mapped[list[list[str | None]]] = mapped_column(JSON)
    deadline: Mapped[date | None] = mapped_column(Date)
    open: Mapped[bool] = mapped_column(Boolean)
    concluded_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)


class CaseArrival(Base):
    """When a case submitted below reached its handler (上报), until the supervision scan checked it."""

    __tablename__ = "case_arrival"
    __table_args__ = (Index("ix_case_arrival_checked", "checked"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), primary_key=True)
    arrived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked: Mapped[bool] = mapped_column(Boolean)


class SupervisionCard(Base):
    """An electronic supervision card (电子监察): yellow 预警 or red 红牌, stored once per case and reason.

    Kept at the handling node and at every ancestor up to the province.
    """

    __tablename__ = "supervision_card"
    __table_args__ = (Index("ix_supervision_card_handler", "handler"),)

    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # <case id>:<reason>
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    handler: Mapped[str] = mapped_column(String(12))
    colour: Mapped[str] = mapped_column(String(8))  # yellow | red
    reason: Mapped[str] = mapped_column(String(24))  # warning | overdue | rectification_overdue
    detail: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    submitted_on: Mapped[date] = mapped_column(Date)  # of the case: the day statistics count it on
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    department: Mapped[str | None] = mapped_column(String(100))  # responsible (the item's department)
    person: Mapped[str | None] = mapped_column(String(100))  # responsible (首问负责), when known
    item_name: Mapped[str | None] = mapped_column(String(200))  # the case's item (none: no case's card)


class Rating(Base):
    """好差评: the applicant's one rating of a concluded case (一次一评, immutable), 1 … 5."""

    __tablename__ = "rating"

    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    origin: Mapped[str] = mapped_column(String(12))
    handler: Mapped[str] = mapped_column(String(12))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # by 申诉复核 only
    department: Mapped[str | None] = mapped_column(String(100))  # who is rated: the department
    person: Mapped[str | None] = mapped_column(String(100))  # and the person responsible (首问负责)
    # at the origin of a case handled elsewhere: what the handler told of the 整改 a 差评 opened
    # there (RectificationNotice); at the handler the RectificationTask holds it and these stay empty
    rectification_deadline: Mapped[date | None] = mapped_column(Date)
    rectified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_visit: Mapped[str] = mapped_column(Text, default="", server_default="")


class RatingAppeal(Base):
    """申诉复核: the handler's appeal against a mistaken or malicious rating, decided one tier up.

    Kept at the handler and at the supervising tier (its parent), which holds no copy of the case.
    """

    __tablename__ = "rating_appeal"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handler: Mapped[str] = mapped_column(String(12))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decision: Mapped[str | None] = mapped_column(String(10))  # upheld | voided
    decision_note: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    item_name: Mapped[str | None] = mapped_column(String(200))  # the case's item (none: filed before 0026)


class RectificationTask(Base):
    """整改: opened at the handler by a 差评 (1–2); closed with a return visit (回访) record."""

    __tablename__ = "rectification_task"

    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), primary_key=True)
    opened_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    return_visit: Mapped[str] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatsRollup(Base):
    """A child's aggregated statistics of its whole subtree, per day of submission (no raw cases)."""

    __tablename__ = "stats_rollup"

    child: Mapped[str] = mapped_column(String(12), primary_key=True)
    days: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# -- 跨省通办: partner provinces ------------------------------------------------------------------


class PeerProvince(Base):
    """A partner province federated with this province (kept at the province only)."""

    __tablename__ = "peer_province"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(200), default="")  # empty: the partner dials us
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OfficeName(Base):
    """An office's name as a verified certificate gave it (an envelope's origin chain): how a node
    names offices its own certificates do not, such as a village two tiers down (node/trust/names.py)."""

    __tablename__ = "office_name"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    learned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FormSubmission(Base):
    """An application form as the front desk sent it, by the random key the form carried: sent twice
    (a double click, a reload after a slow answer), it finds what it took in the first time
    (node/cases/submissions.py). Written in the transaction that took the case or bundle in."""

    __tablename__ = "form_submission"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), default="")  # "" for a bundle
    bundle_id: Mapped[str] = mapped_column(String(64), default="")  # "" for a single case
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TrustAnchor(Base):
    """A partner province's root certificate, trusted for its seals and (at the province) its link."""

    __tablename__ = "trust_anchor"

    province: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    root_der: Mapped[bytes] = mapped_column(LargeBinary)
    seal_root_der: Mapped[bytes | None] = mapped_column(LargeBinary)  # its SM2 seal root, if it has one
    installed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signed: Mapped[bytes | None] = mapped_column(
        LargeBinary
    )  # link_pb2.TrustAnchor as the province signed it


class WorkingCalendar(Base):
    """A year's official working-day calendar as the province signed it (the whole signed message)."""

    __tablename__ = "working_calendar"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    province: Mapped[str] = mapped_column(String(12))
    digest: Mapped[str] = mapped_column(String(64))
    message: Mapped[bytes] = mapped_column(LargeBinary)  # link_pb2.WorkingCalendar
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PartnerOffer(Base):
    """The signed list of a partner province's items open to this province, as it arrived."""

    __tablename__ = "partner_offer"

    province: Mapped[str] = mapped_column(String(12), primary_key=True)
    message: Mapped[bytes] = mapped_column(LargeBinary)  # the PartnerOffer proto, signature included
    digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PartnerItem(Base):
    """One item of a partner province's offer: what a window here needs to accept a case for it."""

    __tablename__ = "partner_item"

    province: Mapped[str] = mapped_column(String(12), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    handling_tier: Mapped[str] = mapped_column(String(10))
    department: Mapped[str] = mapped_column(String(100))
    modes: Mapped[list[str]] = mapped_column(JSON)
    item: Mapped[dict[str, object]] = mapped_column(JSON)  # every element, as the partner publishes it


class PartnerDelivery(Base):
    """Which anchor or offer (by digest) a child was last sent, so a reconnect resends only news."""

    __tablename__ = "partner_delivery"

    child: Mapped[str] = mapped_column(String(12), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)  # "anchor:<code>" / "offer:<code>"
    digest: Mapped[str] = mapped_column(String(64))


class PartnerLinkState(Base):
    """The newest word from this node's province on its link to a partner province (跨省通办): a
    case waiting on that province shows, at every tier below, that it cannot be reached and since
    when. At the province itself, what it last told its tree."""

    __tablename__ = "partner_link_state"

    province: Mapped[str] = mapped_column(String(12), primary_key=True)  # the partner's division code
    connected: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # when it went down / came up
    reason: Mapped[str] = mapped_column(Text, default="")  # why it is down (trouble_meaning's words)
    stated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # by the province: newest wins
    # the statement as the province signed it, passed on unchanged to children (sync/origin.py FLOODED)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)


class IdentityCheck(Base):
    """全程网办: the applicant's home province confirming identity facts for a case handled here."""

    __tablename__ = "identity_check"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(12))
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[str] = mapped_column(Text, default="")
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Bundle(Base):
    """一件事一次办: one application for several items, kept where the citizen applied (its origin).

    Its state is derived from the part cases; concluded_at is set when the last part settles.
    """

    __tablename__ = "bundle"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # <origin>-B<ULID>
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(12))
    applicant_name: Mapped[str] = mapped_column(String(100))
    applicant_id_number: Mapped[str] = mapped_column(String(32))
    applicant_phone: Mapped[str] = mapped_column(String(32))
    home_division: Mapped[str] = mapped_column(String(12), default="")
    deferred: Mapped[list[str]] = mapped_column(JSON)  # 容缺 materials still missing for parts not started
    promised_on: Mapped[date | None] = mapped_column(Date)
    promise: Mapped[bytes] = mapped_column(LargeBinary, default=b"")  # a serialized case_pb2.Promise
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    concluded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    parts: Mapped[list[BundlePart]] = relationship(
        order_by="BundlePart.position", cascade="all, delete-orphan"
    )
    materials: Mapped[list[BundleMaterial]] = relationship(
        order_by="BundleMaterial.id", cascade="all, delete-orphan"
    )


class BundlePart(Base):
    """One item of a bundle: its case once started, or why it was not (blocked by a part it follows)."""

    __tablename__ = "bundle_part"

    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundle.id"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    after: Mapped[list[str]] = mapped_column(JSON)  # item codes this part starts after
    case_id: Mapped[str | None] = mapped_column(String(64), index=True)
    blocked_reason: Mapped[str] = mapped_column(Text, default="")


class BundleMaterial(Base):
    """The bundle's one set of materials (一次提交), kept for the parts that start later."""

    __tablename__ = "bundle_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundle.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    file_name: Mapped[str | None] = mapped_column(String(255))  # None in bundles before 0019
    media_type: Mapped[str | None] = mapped_column(String(100))


class MissingMaterial(Base):
    """容缺受理: a deferrable material missing at submission, on both copies of the case."""

    __tablename__ = "case_missing_material"
    __table_args__ = (Index("ix_case_missing_material_open", "supplied_at", "promised_on"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    promised_on: Mapped[date] = mapped_column(Date)
    supplied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CasePromise(Base):
    """告知承诺制: the applicant's signed promise that stands in for named proofs."""

    __tablename__ = "case_promise"

    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    replaces: Mapped[list[str]] = mapped_column(JSON)
    signed_by: Mapped[str] = mapped_column(String(100))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CaseRequest(Base):
    """What the applicant's point sent a case's handler: the case itself, a 撤回 or 补正材料.

    Until the handler's answer comes back, the point shows where it is: still here while the link
    to the parent has not acknowledged its envelope (seq), else on its way; an event of the action
    coming back means it was carried out, a CaseActionRefused why it was not."""

    __tablename__ = "case_request"
    __table_args__ = (Index("ix_case_request_case", "case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"))
    action: Mapped[str] = mapped_column(String(20))  # SUBMIT for the case itself, or an Action's value
    peer: Mapped[str] = mapped_column(String(12))  # the link it left by, and its place there
    seq: Mapped[int] = mapped_column(BigInteger)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refusal: Mapped[str] = mapped_column(Text, default="")  # the handler's reason, if refused


class PostCheck(Base):
    """核查: the handler's task, after concluding on a promise, to check the promised facts."""

    __tablename__ = "post_check"
    __table_args__ = (Index("ix_post_check_open", "done_at", "due_on"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    passed: Mapped[bool | None] = mapped_column(Boolean)
    finding: Mapped[str] = mapped_column(Text, default="")


class StaffAccount(Base):
    """A person who works at this node (工作人员): role, department, argon2 password hash."""

    __tablename__ = "staff_account"

    username: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean)
    # no longer read or written since 0020: wrong passwords are counted in staff_login_failure,
    # by the name typed, so that a name that is no account locks as one does
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # set by a 管理员 (new account, reset): its holder changes it before anything else (0023)
    password_to_change: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class StaffLoginFailure(Base):
    """Wrong passwords in a row for a username typed at login, an account's or not (the answers
    must not tell them apart); a row goes when its failures and lock are both over."""

    __tablename__ = "staff_login_failure"

    username: Mapped[str] = mapped_column(String(32), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffChange(Base):
    """操作记录: one change a 管理员 (or the node's operator) made to a staff account, or a person to
    their own password, written in the change's transaction; never a password or its hash."""

    __tablename__ = "staff_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    by: Mapped[str] = mapped_column(String(32))  # the acting account's username; "" the operator
    username: Mapped[str] = mapped_column(String(32))  # whose account
    what: Mapped[str] = mapped_column(String(200))  # 停用, 角色 窗口受理→审核/审批, …


class StaffLogin(Base):
    """A login token's SHA-256 (the token itself is only with the person), until it expires."""

    __tablename__ = "staff_login"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("staff_account.username"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReturnVisit(Base):
    """全量回访: a return visit to the citizen of every concluded case, where they applied."""

    __tablename__ = "return_visit"
    __table_args__ = (Index("ix_return_visit_done", "done_at"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))  # 满意 | 基本满意 | 不满意 | 未联系上
    note: Mapped[str] = mapped_column(Text, default="")
    visitor: Mapped[str | None] = mapped_column(String(100))
