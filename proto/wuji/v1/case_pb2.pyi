import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CaseState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CASE_STATE_UNSPECIFIED: _ClassVar[CaseState]
    SUBMITTED: _ClassVar[CaseState]
    ACCEPTED: _ClassVar[CaseState]
    REFUSED: _ClassVar[CaseState]
    CORRECTION_REQUESTED: _ClassVar[CaseState]
    UNDER_REVIEW: _ClassVar[CaseState]
    CONCLUDED: _ClassVar[CaseState]
    DELIVERED: _ClassVar[CaseState]
    WITHDRAWN: _ClassVar[CaseState]
    RETURNED: _ClassVar[CaseState]

class CaseAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CASE_ACTION_UNSPECIFIED: _ClassVar[CaseAction]
    ACCEPT: _ClassVar[CaseAction]
    REFUSE: _ClassVar[CaseAction]
    REQUEST_CORRECTION: _ClassVar[CaseAction]
    SUPPLEMENT: _ClassVar[CaseAction]
    REVIEW: _ClassVar[CaseAction]
    APPROVE: _ClassVar[CaseAction]
    DENY: _ClassVar[CaseAction]
    DELIVER: _ClassVar[CaseAction]
    WITHDRAW: _ClassVar[CaseAction]
    RETURN: _ClassVar[CaseAction]
    SUSPEND: _ClassVar[CaseAction]
    RESUME: _ClassVar[CaseAction]
    EXTEND: _ClassVar[CaseAction]

class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTCOME_UNSPECIFIED: _ClassVar[Outcome]
    APPROVED: _ClassVar[Outcome]
    DENIED: _ClassVar[Outcome]
CASE_STATE_UNSPECIFIED: CaseState
SUBMITTED: CaseState
ACCEPTED: CaseState
REFUSED: CaseState
CORRECTION_REQUESTED: CaseState
UNDER_REVIEW: CaseState
CONCLUDED: CaseState
DELIVERED: CaseState
WITHDRAWN: CaseState
RETURNED: CaseState
CASE_ACTION_UNSPECIFIED: CaseAction
ACCEPT: CaseAction
REFUSE: CaseAction
REQUEST_CORRECTION: CaseAction
SUPPLEMENT: CaseAction
REVIEW: CaseAction
APPROVE: CaseAction
DENY: CaseAction
DELIVER: CaseAction
WITHDRAW: CaseAction
RETURN: CaseAction
SUSPEND: CaseAction
RESUME: CaseAction
EXTEND: CaseAction
OUTCOME_UNSPECIFIED: Outcome
APPROVED: Outcome
DENIED: Outcome

class Applicant(_message.Message):
    __slots__ = ("name", "id_number", "phone")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    name: str
    id_number: str
    phone: str
    def __init__(self, name: _Optional[str] = ..., id_number: _Optional[str] = ..., phone: _Optional[str] = ...) -> None: ...

class Material(_message.Message):
    __slots__ = ("name", "content", "sha256", "file_name", "media_type", "size", "licence", "purpose", "id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    LICENCE_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    content: bytes
    sha256: str
    file_name: str
    media_type: str
    size: int
    licence: str
    purpose: str
    id: int
    def __init__(self, name: _Optional[str] = ..., content: _Optional[bytes] = ..., sha256: _Optional[str] = ..., file_name: _Optional[str] = ..., media_type: _Optional[str] = ..., size: _Optional[int] = ..., licence: _Optional[str] = ..., purpose: _Optional[str] = ..., id: _Optional[int] = ...) -> None: ...

class CaseEvent(_message.Message):
    __slots__ = ("version", "action", "from_state", "to_state", "actor_node", "note", "at", "route", "recorded_at_node", "chain_hash", "sealed_result", "actor_person", "actor_department", "correct_materials")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    FROM_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_NODE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_NODE_FIELD_NUMBER: _ClassVar[int]
    CHAIN_HASH_FIELD_NUMBER: _ClassVar[int]
    SEALED_RESULT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_PERSON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    CORRECT_MATERIALS_FIELD_NUMBER: _ClassVar[int]
    version: int
    action: CaseAction
    from_state: CaseState
    to_state: CaseState
    actor_node: str
    note: str
    at: _timestamp_pb2.Timestamp
    route: _containers.RepeatedScalarFieldContainer[str]
    recorded_at_node: str
    chain_hash: str
    sealed_result: bytes
    actor_person: str
    actor_department: str
    correct_materials: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, version: _Optional[int] = ..., action: _Optional[_Union[CaseAction, str]] = ..., from_state: _Optional[_Union[CaseState, str]] = ..., to_state: _Optional[_Union[CaseState, str]] = ..., actor_node: _Optional[str] = ..., note: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., route: _Optional[_Iterable[str]] = ..., recorded_at_node: _Optional[str] = ..., chain_hash: _Optional[str] = ..., sealed_result: _Optional[bytes] = ..., actor_person: _Optional[str] = ..., actor_department: _Optional[str] = ..., correct_materials: _Optional[_Iterable[str]] = ...) -> None: ...

class Case(_message.Message):
    __slots__ = ("id", "item_code", "item_name", "origin", "handler", "state", "outcome", "applicant", "materials", "home_division", "submitted_at", "updated_at", "version", "events", "sealed_result", "catalog_version", "cards", "mode", "joint_of", "parts", "identity_check", "missing_materials", "promise", "bundle_id", "post_check", "department", "channel", "responsible_person", "due_on", "supervision", "accept_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    HANDLER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    MATERIALS_FIELD_NUMBER: _ClassVar[int]
    HOME_DIVISION_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    SEALED_RESULT_FIELD_NUMBER: _ClassVar[int]
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    JOINT_OF_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_CHECK_FIELD_NUMBER: _ClassVar[int]
    MISSING_MATERIALS_FIELD_NUMBER: _ClassVar[int]
    PROMISE_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    POST_CHECK_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBLE_PERSON_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    SUPERVISION_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    item_code: str
    item_name: str
    origin: str
    handler: str
    state: CaseState
    outcome: Outcome
    applicant: Applicant
    materials: _containers.RepeatedCompositeFieldContainer[Material]
    home_division: str
    submitted_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    version: int
    events: _containers.RepeatedCompositeFieldContainer[CaseEvent]
    sealed_result: bytes
    catalog_version: int
    cards: _containers.RepeatedCompositeFieldContainer[SupervisionCard]
    mode: str
    joint_of: str
    parts: _containers.RepeatedCompositeFieldContainer[CasePart]
    identity_check: IdentityCheck
    missing_materials: _containers.RepeatedCompositeFieldContainer[MissingMaterial]
    promise: Promise
    bundle_id: str
    post_check: PostCheck
    department: str
    channel: str
    responsible_person: str
    due_on: str
    supervision: str
    accept_by: str
    def __init__(self, id: _Optional[str] = ..., item_code: _Optional[str] = ..., item_name: _Optional[str] = ..., origin: _Optional[str] = ..., handler: _Optional[str] = ..., state: _Optional[_Union[CaseState, str]] = ..., outcome: _Optional[_Union[Outcome, str]] = ..., applicant: _Optional[_Union[Applicant, _Mapping]] = ..., materials: _Optional[_Iterable[_Union[Material, _Mapping]]] = ..., home_division: _Optional[str] = ..., submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[int] = ..., events: _Optional[_Iterable[_Union[CaseEvent, _Mapping]]] = ..., sealed_result: _Optional[bytes] = ..., catalog_version: _Optional[int] = ..., cards: _Optional[_Iterable[_Union[SupervisionCard, _Mapping]]] = ..., mode: _Optional[str] = ..., joint_of: _Optional[str] = ..., parts: _Optional[_Iterable[_Union[CasePart, _Mapping]]] = ..., identity_check: _Optional[_Union[IdentityCheck, _Mapping]] = ..., missing_materials: _Optional[_Iterable[_Union[MissingMaterial, _Mapping]]] = ..., promise: _Optional[_Union[Promise, _Mapping]] = ..., bundle_id: _Optional[str] = ..., post_check: _Optional[_Union[PostCheck, _Mapping]] = ..., department: _Optional[str] = ..., channel: _Optional[str] = ..., responsible_person: _Optional[str] = ..., due_on: _Optional[str] = ..., supervision: _Optional[str] = ..., accept_by: _Optional[str] = ...) -> None: ...

class CasePart(_message.Message):
    __slots__ = ("case_id", "handler", "item_name", "state", "outcome")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    HANDLER_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    handler: str
    item_name: str
    state: CaseState
    outcome: Outcome
    def __init__(self, case_id: _Optional[str] = ..., handler: _Optional[str] = ..., item_name: _Optional[str] = ..., state: _Optional[_Union[CaseState, str]] = ..., outcome: _Optional[_Union[Outcome, str]] = ...) -> None: ...

class IdentityCheck(_message.Message):
    __slots__ = ("province", "answered", "confirmed", "detail")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    province: str
    answered: bool
    confirmed: bool
    detail: str
    def __init__(self, province: _Optional[str] = ..., answered: _Optional[bool] = ..., confirmed: _Optional[bool] = ..., detail: _Optional[str] = ...) -> None: ...

class MissingMaterial(_message.Message):
    __slots__ = ("name", "promised_on", "supplied_at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROMISED_ON_FIELD_NUMBER: _ClassVar[int]
    SUPPLIED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    promised_on: str
    supplied_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., promised_on: _Optional[str] = ..., supplied_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Promise(_message.Message):
    __slots__ = ("text", "replaces", "signed_by", "signature", "signed_at")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REPLACES_FIELD_NUMBER: _ClassVar[int]
    SIGNED_BY_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    text: str
    replaces: _containers.RepeatedScalarFieldContainer[str]
    signed_by: str
    signature: bytes
    signed_at: _timestamp_pb2.Timestamp
    def __init__(self, text: _Optional[str] = ..., replaces: _Optional[_Iterable[str]] = ..., signed_by: _Optional[str] = ..., signature: _Optional[bytes] = ..., signed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PostCheck(_message.Message):
    __slots__ = ("case_id", "item_code", "item_name", "due_on", "done_at", "passed", "finding", "replaces")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    DONE_AT_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    FINDING_FIELD_NUMBER: _ClassVar[int]
    REPLACES_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    item_code: str
    item_name: str
    due_on: str
    done_at: str
    passed: bool
    finding: str
    replaces: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, case_id: _Optional[str] = ..., item_code: _Optional[str] = ..., item_name: _Optional[str] = ..., due_on: _Optional[str] = ..., done_at: _Optional[str] = ..., passed: _Optional[bool] = ..., finding: _Optional[str] = ..., replaces: _Optional[_Iterable[str]] = ...) -> None: ...

class Bundle(_message.Message):
    __slots__ = ("id", "code", "name", "origin", "state", "applicant", "submitted_at", "parts", "concluded_parts", "concluded_at", "rating_score", "rating_comment", "rated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    CONCLUDED_PARTS_FIELD_NUMBER: _ClassVar[int]
    CONCLUDED_AT_FIELD_NUMBER: _ClassVar[int]
    RATING_SCORE_FIELD_NUMBER: _ClassVar[int]
    RATING_COMMENT_FIELD_NUMBER: _ClassVar[int]
    RATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    code: str
    name: str
    origin: str
    state: str
    applicant: Applicant
    submitted_at: _timestamp_pb2.Timestamp
    parts: _containers.RepeatedCompositeFieldContainer[BundlePart]
    concluded_parts: int
    concluded_at: _timestamp_pb2.Timestamp
    rating_score: int
    rating_comment: str
    rated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., origin: _Optional[str] = ..., state: _Optional[str] = ..., applicant: _Optional[_Union[Applicant, _Mapping]] = ..., submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., parts: _Optional[_Iterable[_Union[BundlePart, _Mapping]]] = ..., concluded_parts: _Optional[int] = ..., concluded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rating_score: _Optional[int] = ..., rating_comment: _Optional[str] = ..., rated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BundlePart(_message.Message):
    __slots__ = ("item_code", "item_name", "department", "handler", "case_id", "status", "outcome", "reason", "after")
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    HANDLER_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    item_code: str
    item_name: str
    department: str
    handler: str
    case_id: str
    status: str
    outcome: Outcome
    reason: str
    after: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, item_code: _Optional[str] = ..., item_name: _Optional[str] = ..., department: _Optional[str] = ..., handler: _Optional[str] = ..., case_id: _Optional[str] = ..., status: _Optional[str] = ..., outcome: _Optional[_Union[Outcome, str]] = ..., reason: _Optional[str] = ..., after: _Optional[_Iterable[str]] = ...) -> None: ...

class SupervisionCard(_message.Message):
    __slots__ = ("id", "case_id", "handler", "colour", "reason", "detail", "deadline", "submitted_on", "raised_at", "closed_at", "department", "person", "item_name")
    ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    HANDLER_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_ON_FIELD_NUMBER: _ClassVar[int]
    RAISED_AT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    case_id: str
    handler: str
    colour: str
    reason: str
    detail: str
    deadline: str
    submitted_on: str
    raised_at: _timestamp_pb2.Timestamp
    closed_at: _timestamp_pb2.Timestamp
    department: str
    person: str
    item_name: str
    def __init__(self, id: _Optional[str] = ..., case_id: _Optional[str] = ..., handler: _Optional[str] = ..., colour: _Optional[str] = ..., reason: _Optional[str] = ..., detail: _Optional[str] = ..., deadline: _Optional[str] = ..., submitted_on: _Optional[str] = ..., raised_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., department: _Optional[str] = ..., person: _Optional[str] = ..., item_name: _Optional[str] = ...) -> None: ...
