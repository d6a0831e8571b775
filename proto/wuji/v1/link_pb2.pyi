import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from wuji.v1 import case_pb2 as _case_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CatalogProbe(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CatalogSummary(_message.Message):
    __slots__ = ("node_code", "version", "digest", "items")
    NODE_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    node_code: str
    version: int
    digest: str
    items: _containers.RepeatedCompositeFieldContainer[ItemDigest]
    def __init__(self, node_code: _Optional[str] = ..., version: _Optional[int] = ..., digest: _Optional[str] = ..., items: _Optional[_Iterable[_Union[ItemDigest, _Mapping]]] = ...) -> None: ...

class ItemDigest(_message.Message):
    __slots__ = ("code", "name", "digest")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    digest: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., digest: _Optional[str] = ...) -> None: ...

class LinkFrame(_message.Message):
    __slots__ = ("hello", "envelopes", "ack", "heartbeat")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    ENVELOPES_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    envelopes: EnvelopeBatch
    ack: Ack
    heartbeat: Heartbeat
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., envelopes: _Optional[_Union[EnvelopeBatch, _Mapping]] = ..., ack: _Optional[_Union[Ack, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("node_code", "received_seq", "catalog_version", "software_version", "sent_seq")
    NODE_CODE_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_SEQ_FIELD_NUMBER: _ClassVar[int]
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    SOFTWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    SENT_SEQ_FIELD_NUMBER: _ClassVar[int]
    node_code: str
    received_seq: int
    catalog_version: int
    software_version: str
    sent_seq: int
    def __init__(self, node_code: _Optional[str] = ..., received_seq: _Optional[int] = ..., catalog_version: _Optional[int] = ..., software_version: _Optional[str] = ..., sent_seq: _Optional[int] = ...) -> None: ...

class EnvelopeBatch(_message.Message):
    __slots__ = ("envelopes",)
    ENVELOPES_FIELD_NUMBER: _ClassVar[int]
    envelopes: _containers.RepeatedCompositeFieldContainer[Envelope]
    def __init__(self, envelopes: _Optional[_Iterable[_Union[Envelope, _Mapping]]] = ...) -> None: ...

class StoredEnvelopeFrame(_message.Message):
    __slots__ = ("envelopes",)
    ENVELOPES_FIELD_NUMBER: _ClassVar[int]
    envelopes: StoredEnvelopes
    def __init__(self, envelopes: _Optional[_Union[StoredEnvelopes, _Mapping]] = ...) -> None: ...

class StoredEnvelopes(_message.Message):
    __slots__ = ("envelopes",)
    ENVELOPES_FIELD_NUMBER: _ClassVar[int]
    envelopes: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, envelopes: _Optional[_Iterable[bytes]] = ...) -> None: ...

class Ack(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("sent_at",)
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    sent_at: _timestamp_pb2.Timestamp
    def __init__(self, sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Envelope(_message.Message):
    __slots__ = ("seq", "message_id", "sender", "origin", "destination", "created_at", "route", "origin_signature", "origin_chain", "case_submitted", "case_event", "case_action", "catalog_release", "revocation_list", "licence_revoked", "working_calendar", "supervision_card", "case_rating", "stats_rollup", "rating_appeal", "appeal_decision", "rectification", "trust_anchor", "partner_offer", "identity_query", "identity_answer", "peer_link_state", "material_supplied", "case_action_refused", "post_check_result", "case_copy", "case_resync")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_CHAIN_FIELD_NUMBER: _ClassVar[int]
    CASE_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    CASE_EVENT_FIELD_NUMBER: _ClassVar[int]
    CASE_ACTION_FIELD_NUMBER: _ClassVar[int]
    CATALOG_RELEASE_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_LIST_FIELD_NUMBER: _ClassVar[int]
    LICENCE_REVOKED_FIELD_NUMBER: _ClassVar[int]
    WORKING_CALENDAR_FIELD_NUMBER: _ClassVar[int]
    SUPERVISION_CARD_FIELD_NUMBER: _ClassVar[int]
    CASE_RATING_FIELD_NUMBER: _ClassVar[int]
    STATS_ROLLUP_FIELD_NUMBER: _ClassVar[int]
    RATING_APPEAL_FIELD_NUMBER: _ClassVar[int]
    APPEAL_DECISION_FIELD_NUMBER: _ClassVar[int]
    RECTIFICATION_FIELD_NUMBER: _ClassVar[int]
    TRUST_ANCHOR_FIELD_NUMBER: _ClassVar[int]
    PARTNER_OFFER_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_QUERY_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_ANSWER_FIELD_NUMBER: _ClassVar[int]
    PEER_LINK_STATE_FIELD_NUMBER: _ClassVar[int]
    MATERIAL_SUPPLIED_FIELD_NUMBER: _ClassVar[int]
    CASE_ACTION_REFUSED_FIELD_NUMBER: _ClassVar[int]
    POST_CHECK_RESULT_FIELD_NUMBER: _ClassVar[int]
    CASE_COPY_FIELD_NUMBER: _ClassVar[int]
    CASE_RESYNC_FIELD_NUMBER: _ClassVar[int]
    seq: int
    message_id: str
    sender: str
    origin: str
    destination: str
    created_at: _timestamp_pb2.Timestamp
    route: _containers.RepeatedScalarFieldContainer[str]
    origin_signature: bytes
    origin_chain: _containers.RepeatedScalarFieldContainer[bytes]
    case_submitted: CaseSubmitted
    case_event: CaseEventNotice
    case_action: CaseActionRequest
    catalog_release: CatalogRelease
    revocation_list: RevocationList
    licence_revoked: LicenceRevoked
    working_calendar: WorkingCalendar
    supervision_card: _case_pb2.SupervisionCard
    case_rating: CaseRating
    stats_rollup: StatsRollup
    rating_appeal: RatingAppealNotice
    appeal_decision: AppealDecision
    rectification: RectificationNotice
    trust_anchor: TrustAnchor
    partner_offer: PartnerOffer
    identity_query: IdentityQuery
    identity_answer: IdentityAnswer
    peer_link_state: PeerLinkState
    material_supplied: MaterialSupplied
    case_action_refused: CaseActionRefused
    post_check_result: PostCheckResult
    case_copy: CaseCopy
    case_resync: CaseResyncRequest
    def __init__(self, seq: _Optional[int] = ..., message_id: _Optional[str] = ..., sender: _Optional[str] = ..., origin: _Optional[str] = ..., destination: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., route: _Optional[_Iterable[str]] = ..., origin_signature: _Optional[bytes] = ..., origin_chain: _Optional[_Iterable[bytes]] = ..., case_submitted: _Optional[_Union[CaseSubmitted, _Mapping]] = ..., case_event: _Optional[_Union[CaseEventNotice, _Mapping]] = ..., case_action: _Optional[_Union[CaseActionRequest, _Mapping]] = ..., catalog_release: _Optional[_Union[CatalogRelease, _Mapping]] = ..., revocation_list: _Optional[_Union[RevocationList, _Mapping]] = ..., licence_revoked: _Optional[_Union[LicenceRevoked, _Mapping]] = ..., working_calendar: _Optional[_Union[WorkingCalendar, _Mapping]] = ..., supervision_card: _Optional[_Union[_case_pb2.SupervisionCard, _Mapping]] = ..., case_rating: _Optional[_Union[CaseRating, _Mapping]] = ..., stats_rollup: _Optional[_Union[StatsRollup, _Mapping]] = ..., rating_appeal: _Optional[_Union[RatingAppealNotice, _Mapping]] = ..., appeal_decision: _Optional[_Union[AppealDecision, _Mapping]] = ..., rectification: _Optional[_Union[RectificationNotice, _Mapping]] = ..., trust_anchor: _Optional[_Union[TrustAnchor, _Mapping]] = ..., partner_offer: _Optional[_Union[PartnerOffer, _Mapping]] = ..., identity_query: _Optional[_Union[IdentityQuery, _Mapping]] = ..., identity_answer: _Optional[_Union[IdentityAnswer, _Mapping]] = ..., peer_link_state: _Optional[_Union[PeerLinkState, _Mapping]] = ..., material_supplied: _Optional[_Union[MaterialSupplied, _Mapping]] = ..., case_action_refused: _Optional[_Union[CaseActionRefused, _Mapping]] = ..., post_check_result: _Optional[_Union[PostCheckResult, _Mapping]] = ..., case_copy: _Optional[_Union[CaseCopy, _Mapping]] = ..., case_resync: _Optional[_Union[CaseResyncRequest, _Mapping]] = ...) -> None: ...

class CaseCopy(_message.Message):
    __slots__ = ("case", "rating", "rectification")
    CASE_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    RECTIFICATION_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    rating: CaseRating
    rectification: RectificationNotice
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ..., rating: _Optional[_Union[CaseRating, _Mapping]] = ..., rectification: _Optional[_Union[RectificationNotice, _Mapping]] = ...) -> None: ...

class CaseResyncRequest(_message.Message):
    __slots__ = ("restored", "case_ids")
    RESTORED_FIELD_NUMBER: _ClassVar[int]
    CASE_IDS_FIELD_NUMBER: _ClassVar[int]
    restored: str
    case_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, restored: _Optional[str] = ..., case_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class CaseSubmitted(_message.Message):
    __slots__ = ("case", "submitted_by_person", "submitted_by_department")
    CASE_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_BY_PERSON_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_BY_DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    submitted_by_person: str
    submitted_by_department: str
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ..., submitted_by_person: _Optional[str] = ..., submitted_by_department: _Optional[str] = ...) -> None: ...

class CaseEventNotice(_message.Message):
    __slots__ = ("case_id", "event", "due_on", "revocation_list")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_LIST_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    event: _case_pb2.CaseEvent
    due_on: str
    revocation_list: RevocationList
    def __init__(self, case_id: _Optional[str] = ..., event: _Optional[_Union[_case_pb2.CaseEvent, _Mapping]] = ..., due_on: _Optional[str] = ..., revocation_list: _Optional[_Union[RevocationList, _Mapping]] = ...) -> None: ...

class CaseActionRequest(_message.Message):
    __slots__ = ("case_id", "action", "note", "requested_at", "actor_person", "actor_department", "materials")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_PERSON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    MATERIALS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    action: _case_pb2.CaseAction
    note: str
    requested_at: _timestamp_pb2.Timestamp
    actor_person: str
    actor_department: str
    materials: _containers.RepeatedCompositeFieldContainer[_case_pb2.Material]
    def __init__(self, case_id: _Optional[str] = ..., action: _Optional[_Union[_case_pb2.CaseAction, str]] = ..., note: _Optional[str] = ..., requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor_person: _Optional[str] = ..., actor_department: _Optional[str] = ..., materials: _Optional[_Iterable[_Union[_case_pb2.Material, _Mapping]]] = ...) -> None: ...

class CaseActionRefused(_message.Message):
    __slots__ = ("case_id", "action", "reason", "requested_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    action: _case_pb2.CaseAction
    reason: str
    requested_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., action: _Optional[_Union[_case_pb2.CaseAction, str]] = ..., reason: _Optional[str] = ..., requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CatalogRelease(_message.Message):
    __slots__ = ("version", "name", "digest", "published_at", "expires_at", "province", "item_count", "base_version", "changed_items", "removed_codes", "algorithm", "signature", "signer_chain_der", "part", "parts")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    BASE_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    REMOVED_CODES_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNER_CHAIN_DER_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    version: int
    name: str
    digest: str
    published_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    province: str
    item_count: int
    base_version: int
    changed_items: _containers.RepeatedScalarFieldContainer[bytes]
    removed_codes: _containers.RepeatedScalarFieldContainer[str]
    algorithm: str
    signature: bytes
    signer_chain_der: _containers.RepeatedScalarFieldContainer[bytes]
    part: int
    parts: int
    def __init__(self, version: _Optional[int] = ..., name: _Optional[str] = ..., digest: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., province: _Optional[str] = ..., item_count: _Optional[int] = ..., base_version: _Optional[int] = ..., changed_items: _Optional[_Iterable[bytes]] = ..., removed_codes: _Optional[_Iterable[str]] = ..., algorithm: _Optional[str] = ..., signature: _Optional[bytes] = ..., signer_chain_der: _Optional[_Iterable[bytes]] = ..., part: _Optional[int] = ..., parts: _Optional[int] = ...) -> None: ...

class RevocationList(_message.Message):
    __slots__ = ("issuer", "number", "crl_der", "issuer_chain")
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    CRL_DER_FIELD_NUMBER: _ClassVar[int]
    ISSUER_CHAIN_FIELD_NUMBER: _ClassVar[int]
    issuer: str
    number: int
    crl_der: bytes
    issuer_chain: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, issuer: _Optional[str] = ..., number: _Optional[int] = ..., crl_der: _Optional[bytes] = ..., issuer_chain: _Optional[_Iterable[bytes]] = ...) -> None: ...

class LicenceRevoked(_message.Message):
    __slots__ = ("identifier", "issuer_node", "revoked_at", "reason")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    ISSUER_NODE_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    issuer_node: str
    revoked_at: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, identifier: _Optional[str] = ..., issuer_node: _Optional[str] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class CaseRating(_message.Message):
    __slots__ = ("case_id", "score", "comment", "rated_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    RATED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    score: int
    comment: str
    rated_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., score: _Optional[int] = ..., comment: _Optional[str] = ..., rated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StatsRollup(_message.Message):
    __slots__ = ("node", "days", "as_of", "names")
    class NamesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NODE_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    node: str
    days: _containers.RepeatedCompositeFieldContainer[DayCounts]
    as_of: _timestamp_pb2.Timestamp
    names: _containers.ScalarMap[str, str]
    def __init__(self, node: _Optional[str] = ..., days: _Optional[_Iterable[_Union[DayCounts, _Mapping]]] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., names: _Optional[_Mapping[str, str]] = ...) -> None: ...

class DayCounts(_message.Message):
    __slots__ = ("day", "counts")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    DAY_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    day: str
    counts: _containers.ScalarMap[str, int]
    def __init__(self, day: _Optional[str] = ..., counts: _Optional[_Mapping[str, int]] = ...) -> None: ...

class RatingAppealNotice(_message.Message):
    __slots__ = ("case_id", "handler", "score", "comment", "reason", "filed_at", "item_name")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    HANDLER_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    handler: str
    score: int
    comment: str
    reason: str
    filed_at: _timestamp_pb2.Timestamp
    item_name: str
    def __init__(self, case_id: _Optional[str] = ..., handler: _Optional[str] = ..., score: _Optional[int] = ..., comment: _Optional[str] = ..., reason: _Optional[str] = ..., filed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., item_name: _Optional[str] = ...) -> None: ...

class AppealDecision(_message.Message):
    __slots__ = ("case_id", "voided", "note", "decided_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VOIDED_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    voided: bool
    note: str
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., voided: _Optional[bool] = ..., note: _Optional[str] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RectificationNotice(_message.Message):
    __slots__ = ("case_id", "deadline", "done_at", "return_visit", "voided")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    DONE_AT_FIELD_NUMBER: _ClassVar[int]
    RETURN_VISIT_FIELD_NUMBER: _ClassVar[int]
    VOIDED_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    deadline: str
    done_at: _timestamp_pb2.Timestamp
    return_visit: str
    voided: bool
    def __init__(self, case_id: _Optional[str] = ..., deadline: _Optional[str] = ..., done_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., return_visit: _Optional[str] = ..., voided: _Optional[bool] = ...) -> None: ...

class PeerLinkState(_message.Message):
    __slots__ = ("province", "connected", "since", "reason")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    province: str
    connected: bool
    since: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, province: _Optional[str] = ..., connected: _Optional[bool] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class TrustAnchor(_message.Message):
    __slots__ = ("province", "root_der", "removed", "name", "signed_at", "signature", "signer_chain", "seal_root_der")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    ROOT_DER_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNER_CHAIN_FIELD_NUMBER: _ClassVar[int]
    SEAL_ROOT_DER_FIELD_NUMBER: _ClassVar[int]
    province: str
    root_der: bytes
    removed: bool
    name: str
    signed_at: _timestamp_pb2.Timestamp
    signature: bytes
    signer_chain: _containers.RepeatedScalarFieldContainer[bytes]
    seal_root_der: bytes
    def __init__(self, province: _Optional[str] = ..., root_der: _Optional[bytes] = ..., removed: _Optional[bool] = ..., name: _Optional[str] = ..., signed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., signature: _Optional[bytes] = ..., signer_chain: _Optional[_Iterable[bytes]] = ..., seal_root_der: _Optional[bytes] = ...) -> None: ...

class PartnerOffer(_message.Message):
    __slots__ = ("province", "partner", "offer_json", "signature", "signer_chain")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    OFFER_JSON_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNER_CHAIN_FIELD_NUMBER: _ClassVar[int]
    province: str
    partner: str
    offer_json: bytes
    signature: bytes
    signer_chain: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, province: _Optional[str] = ..., partner: _Optional[str] = ..., offer_json: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., signer_chain: _Optional[_Iterable[bytes]] = ...) -> None: ...

class IdentityQuery(_message.Message):
    __slots__ = ("case_id", "name", "id_number", "home_division", "reply_to")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    HOME_DIVISION_FIELD_NUMBER: _ClassVar[int]
    REPLY_TO_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    name: str
    id_number: str
    home_division: str
    reply_to: str
    def __init__(self, case_id: _Optional[str] = ..., name: _Optional[str] = ..., id_number: _Optional[str] = ..., home_division: _Optional[str] = ..., reply_to: _Optional[str] = ...) -> None: ...

class IdentityAnswer(_message.Message):
    __slots__ = ("case_id", "confirmed", "detail", "answered_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    confirmed: bool
    detail: str
    answered_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., confirmed: _Optional[bool] = ..., detail: _Optional[str] = ..., answered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MaterialSupplied(_message.Message):
    __slots__ = ("case_id", "material", "supplied_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    MATERIAL_FIELD_NUMBER: _ClassVar[int]
    SUPPLIED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    material: _case_pb2.Material
    supplied_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., material: _Optional[_Union[_case_pb2.Material, _Mapping]] = ..., supplied_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PostCheckResult(_message.Message):
    __slots__ = ("case_id", "passed", "finding", "done_at", "due_on")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    FINDING_FIELD_NUMBER: _ClassVar[int]
    DONE_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    passed: bool
    finding: str
    done_at: _timestamp_pb2.Timestamp
    due_on: str
    def __init__(self, case_id: _Optional[str] = ..., passed: _Optional[bool] = ..., finding: _Optional[str] = ..., done_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_on: _Optional[str] = ...) -> None: ...

class WorkingCalendar(_message.Message):
    __slots__ = ("year", "holidays", "workdays", "province", "published_at", "algorithm", "signature", "signer_chain_der")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    HOLIDAYS_FIELD_NUMBER: _ClassVar[int]
    WORKDAYS_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNER_CHAIN_DER_FIELD_NUMBER: _ClassVar[int]
    year: int
    holidays: _containers.RepeatedScalarFieldContainer[str]
    workdays: _containers.RepeatedScalarFieldContainer[str]
    province: str
    published_at: _timestamp_pb2.Timestamp
    algorithm: str
    signature: bytes
    signer_chain_der: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, year: _Optional[int] = ..., holidays: _Optional[_Iterable[str]] = ..., workdays: _Optional[_Iterable[str]] = ..., province: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., algorithm: _Optional[str] = ..., signature: _Optional[bytes] = ..., signer_chain_der: _Optional[_Iterable[bytes]] = ...) -> None: ...
