import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from wuji.v1 import case_pb2 as _case_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LoginRequest(_message.Message):
    __slots__ = ("username", "password")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    username: str
    password: str
    def __init__(self, username: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class LoginReply(_message.Message):
    __slots__ = ("token", "expires_at", "staff")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    token: str
    expires_at: _timestamp_pb2.Timestamp
    staff: StaffMember
    def __init__(self, token: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., staff: _Optional[_Union[StaffMember, _Mapping]] = ...) -> None: ...

class LogoutRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class LogoutReply(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WhoAmIRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StaffMember(_message.Message):
    __slots__ = ("username", "name", "role", "role_label", "department", "active", "node", "locked_until")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ROLE_LABEL_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    username: str
    name: str
    role: str
    role_label: str
    department: str
    active: bool
    node: str
    locked_until: _timestamp_pb2.Timestamp
    def __init__(self, username: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ..., role_label: _Optional[str] = ..., department: _Optional[str] = ..., active: _Optional[bool] = ..., node: _Optional[str] = ..., locked_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AddStaffRequest(_message.Message):
    __slots__ = ("username", "name", "role", "department", "password")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    username: str
    name: str
    role: str
    department: str
    password: str
    def __init__(self, username: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ..., department: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class ListStaffRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListStaffResponse(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: _containers.RepeatedCompositeFieldContainer[StaffMember]
    def __init__(self, staff: _Optional[_Iterable[_Union[StaffMember, _Mapping]]] = ...) -> None: ...

class DisableStaffRequest(_message.Message):
    __slots__ = ("username",)
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    username: str
    def __init__(self, username: _Optional[str] = ...) -> None: ...

class EnableStaffRequest(_message.Message):
    __slots__ = ("username",)
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    username: str
    def __init__(self, username: _Optional[str] = ...) -> None: ...

class ChangeStaffRequest(_message.Message):
    __slots__ = ("username", "role", "department")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    username: str
    role: str
    department: str
    def __init__(self, username: _Optional[str] = ..., role: _Optional[str] = ..., department: _Optional[str] = ...) -> None: ...

class SetStaffPasswordRequest(_message.Message):
    __slots__ = ("username", "password", "current_password")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    username: str
    password: str
    current_password: str
    def __init__(self, username: _Optional[str] = ..., password: _Optional[str] = ..., current_password: _Optional[str] = ...) -> None: ...

class ListQueueRequest(_message.Message):
    __slots__ = ("queue", "department", "limit", "offset")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    queue: str
    department: str
    limit: int
    offset: int
    def __init__(self, queue: _Optional[str] = ..., department: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class SearchCasesRequest(_message.Message):
    __slots__ = ("query", "limit")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    query: str
    limit: int
    def __init__(self, query: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class GetMaterialRequest(_message.Message):
    __slots__ = ("case_id", "material_id")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    MATERIAL_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    material_id: int
    def __init__(self, case_id: _Optional[str] = ..., material_id: _Optional[int] = ...) -> None: ...

class ListReturnVisitsRequest(_message.Message):
    __slots__ = ("include_done",)
    INCLUDE_DONE_FIELD_NUMBER: _ClassVar[int]
    include_done: bool
    def __init__(self, include_done: _Optional[bool] = ...) -> None: ...

class ReturnVisit(_message.Message):
    __slots__ = ("case_id", "item_name", "applicant_name", "applicant_phone", "handler", "state", "outcome", "opened_at", "done_at", "visit_outcome", "note", "visitor", "bundle_id")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_NAME_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_PHONE_FIELD_NUMBER: _ClassVar[int]
    HANDLER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    OPENED_AT_FIELD_NUMBER: _ClassVar[int]
    DONE_AT_FIELD_NUMBER: _ClassVar[int]
    VISIT_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    VISITOR_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    item_name: str
    applicant_name: str
    applicant_phone: str
    handler: str
    state: _case_pb2.CaseState
    outcome: _case_pb2.Outcome
    opened_at: _timestamp_pb2.Timestamp
    done_at: _timestamp_pb2.Timestamp
    visit_outcome: str
    note: str
    visitor: str
    bundle_id: str
    def __init__(self, case_id: _Optional[str] = ..., item_name: _Optional[str] = ..., applicant_name: _Optional[str] = ..., applicant_phone: _Optional[str] = ..., handler: _Optional[str] = ..., state: _Optional[_Union[_case_pb2.CaseState, str]] = ..., outcome: _Optional[_Union[_case_pb2.Outcome, str]] = ..., opened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., done_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., visit_outcome: _Optional[str] = ..., note: _Optional[str] = ..., visitor: _Optional[str] = ..., bundle_id: _Optional[str] = ...) -> None: ...

class ListReturnVisitsResponse(_message.Message):
    __slots__ = ("visits",)
    VISITS_FIELD_NUMBER: _ClassVar[int]
    visits: _containers.RepeatedCompositeFieldContainer[ReturnVisit]
    def __init__(self, visits: _Optional[_Iterable[_Union[ReturnVisit, _Mapping]]] = ...) -> None: ...

class RecordReturnVisitRequest(_message.Message):
    __slots__ = ("case_id", "outcome", "note")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    outcome: str
    note: str
    def __init__(self, case_id: _Optional[str] = ..., outcome: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class RenderDocumentRequest(_message.Message):
    __slots__ = ("kind", "item_code", "case_id", "event_version")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    kind: str
    item_code: str
    case_id: str
    event_version: int
    def __init__(self, kind: _Optional[str] = ..., item_code: _Optional[str] = ..., case_id: _Optional[str] = ..., event_version: _Optional[int] = ...) -> None: ...

class RenderedDocument(_message.Message):
    __slots__ = ("kind", "title", "pdf", "file_name", "verify_url")
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PDF_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    VERIFY_URL_FIELD_NUMBER: _ClassVar[int]
    kind: str
    title: str
    pdf: bytes
    file_name: str
    verify_url: str
    def __init__(self, kind: _Optional[str] = ..., title: _Optional[str] = ..., pdf: _Optional[bytes] = ..., file_name: _Optional[str] = ..., verify_url: _Optional[str] = ...) -> None: ...

class SubmitBundleRequest(_message.Message):
    __slots__ = ("bundle_code", "applicant", "materials", "home_division", "deferred", "promised_on", "promise", "submission_key")
    BUNDLE_CODE_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    MATERIALS_FIELD_NUMBER: _ClassVar[int]
    HOME_DIVISION_FIELD_NUMBER: _ClassVar[int]
    DEFERRED_FIELD_NUMBER: _ClassVar[int]
    PROMISED_ON_FIELD_NUMBER: _ClassVar[int]
    PROMISE_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_KEY_FIELD_NUMBER: _ClassVar[int]
    bundle_code: str
    applicant: _case_pb2.Applicant
    materials: _containers.RepeatedCompositeFieldContainer[_case_pb2.Material]
    home_division: str
    deferred: _containers.RepeatedScalarFieldContainer[str]
    promised_on: str
    promise: _case_pb2.Promise
    submission_key: str
    def __init__(self, bundle_code: _Optional[str] = ..., applicant: _Optional[_Union[_case_pb2.Applicant, _Mapping]] = ..., materials: _Optional[_Iterable[_Union[_case_pb2.Material, _Mapping]]] = ..., home_division: _Optional[str] = ..., deferred: _Optional[_Iterable[str]] = ..., promised_on: _Optional[str] = ..., promise: _Optional[_Union[_case_pb2.Promise, _Mapping]] = ..., submission_key: _Optional[str] = ...) -> None: ...

class GetBundleRequest(_message.Message):
    __slots__ = ("bundle_id",)
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    bundle_id: str
    def __init__(self, bundle_id: _Optional[str] = ...) -> None: ...

class SupplyMaterialRequest(_message.Message):
    __slots__ = ("case_id", "material")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    MATERIAL_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    material: _case_pb2.Material
    def __init__(self, case_id: _Optional[str] = ..., material: _Optional[_Union[_case_pb2.Material, _Mapping]] = ...) -> None: ...

class ListPostChecksRequest(_message.Message):
    __slots__ = ("include_done",)
    INCLUDE_DONE_FIELD_NUMBER: _ClassVar[int]
    include_done: bool
    def __init__(self, include_done: _Optional[bool] = ...) -> None: ...

class ListPostChecksResponse(_message.Message):
    __slots__ = ("checks",)
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    checks: _containers.RepeatedCompositeFieldContainer[_case_pb2.PostCheck]
    def __init__(self, checks: _Optional[_Iterable[_Union[_case_pb2.PostCheck, _Mapping]]] = ...) -> None: ...

class CompletePostCheckRequest(_message.Message):
    __slots__ = ("case_id", "passed", "finding")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    FINDING_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    passed: bool
    finding: str
    def __init__(self, case_id: _Optional[str] = ..., passed: _Optional[bool] = ..., finding: _Optional[str] = ...) -> None: ...

class PublishCatalogRequest(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: bytes
    def __init__(self, document: _Optional[bytes] = ...) -> None: ...

class PublishCatalogResponse(_message.Message):
    __slots__ = ("version", "digest", "item_count", "published", "changes")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    version: int
    digest: str
    item_count: int
    published: bool
    changes: CatalogDiff
    def __init__(self, version: _Optional[int] = ..., digest: _Optional[str] = ..., item_count: _Optional[int] = ..., published: _Optional[bool] = ..., changes: _Optional[_Union[CatalogDiff, _Mapping]] = ...) -> None: ...

class PublishCalendarRequest(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: bytes
    def __init__(self, document: _Optional[bytes] = ...) -> None: ...

class GetCalendarRequest(_message.Message):
    __slots__ = ("year",)
    YEAR_FIELD_NUMBER: _ClassVar[int]
    year: int
    def __init__(self, year: _Optional[int] = ...) -> None: ...

class CalendarView(_message.Message):
    __slots__ = ("year", "source", "days_off", "worked_weekends", "working_days")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DAYS_OFF_FIELD_NUMBER: _ClassVar[int]
    WORKED_WEEKENDS_FIELD_NUMBER: _ClassVar[int]
    WORKING_DAYS_FIELD_NUMBER: _ClassVar[int]
    year: int
    source: str
    days_off: _containers.RepeatedScalarFieldContainer[str]
    worked_weekends: _containers.RepeatedScalarFieldContainer[str]
    working_days: int
    def __init__(self, year: _Optional[int] = ..., source: _Optional[str] = ..., days_off: _Optional[_Iterable[str]] = ..., worked_weekends: _Optional[_Iterable[str]] = ..., working_days: _Optional[int] = ...) -> None: ...

class PublishCalendarResponse(_message.Message):
    __slots__ = ("year", "holidays", "workdays", "digest")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    HOLIDAYS_FIELD_NUMBER: _ClassVar[int]
    WORKDAYS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    year: int
    holidays: int
    workdays: int
    digest: str
    def __init__(self, year: _Optional[int] = ..., holidays: _Optional[int] = ..., workdays: _Optional[int] = ..., digest: _Optional[str] = ...) -> None: ...

class VerifyCatalogRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CatalogVerification(_message.Message):
    __slots__ = ("identical", "node_code", "version", "digest", "compared_with", "other_version", "other_digest", "differences", "note")
    IDENTICAL_FIELD_NUMBER: _ClassVar[int]
    NODE_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    COMPARED_WITH_FIELD_NUMBER: _ClassVar[int]
    OTHER_VERSION_FIELD_NUMBER: _ClassVar[int]
    OTHER_DIGEST_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    identical: bool
    node_code: str
    version: int
    digest: str
    compared_with: str
    other_version: int
    other_digest: str
    differences: _containers.RepeatedCompositeFieldContainer[ItemDifference]
    note: str
    def __init__(self, identical: _Optional[bool] = ..., node_code: _Optional[str] = ..., version: _Optional[int] = ..., digest: _Optional[str] = ..., compared_with: _Optional[str] = ..., other_version: _Optional[int] = ..., other_digest: _Optional[str] = ..., differences: _Optional[_Iterable[_Union[ItemDifference, _Mapping]]] = ..., note: _Optional[str] = ...) -> None: ...

class ItemDifference(_message.Message):
    __slots__ = ("code", "name", "problem")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    problem: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., problem: _Optional[str] = ...) -> None: ...

class DiffCatalogRequest(_message.Message):
    __slots__ = ("from_version", "to_version")
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    from_version: int
    to_version: int
    def __init__(self, from_version: _Optional[int] = ..., to_version: _Optional[int] = ...) -> None: ...

class CatalogDiff(_message.Message):
    __slots__ = ("from_version", "to_version", "changes")
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    from_version: int
    to_version: int
    changes: _containers.RepeatedCompositeFieldContainer[ItemChange]
    def __init__(self, from_version: _Optional[int] = ..., to_version: _Optional[int] = ..., changes: _Optional[_Iterable[_Union[ItemChange, _Mapping]]] = ...) -> None: ...

class ItemChange(_message.Message):
    __slots__ = ("code", "name", "kind", "fields")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    kind: str
    fields: _containers.RepeatedCompositeFieldContainer[FieldChange]
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[str] = ..., fields: _Optional[_Iterable[_Union[FieldChange, _Mapping]]] = ...) -> None: ...

class FieldChange(_message.Message):
    __slots__ = ("field", "before", "after")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    field: str
    before: str
    after: str
    def __init__(self, field: _Optional[str] = ..., before: _Optional[str] = ..., after: _Optional[str] = ...) -> None: ...

class ClaimItemRequest(_message.Message):
    __slots__ = ("item_code", "fields")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    item_code: str
    fields: _containers.ScalarMap[str, str]
    def __init__(self, item_code: _Optional[str] = ..., fields: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ItemClaim(_message.Message):
    __slots__ = ("item_code", "item_name", "node_code", "window_address", "phone", "opening_hours", "local_notes", "catalog_version")
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    NODE_CODE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    OPENING_HOURS_FIELD_NUMBER: _ClassVar[int]
    LOCAL_NOTES_FIELD_NUMBER: _ClassVar[int]
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    item_code: str
    item_name: str
    node_code: str
    window_address: str
    phone: str
    opening_hours: str
    local_notes: str
    catalog_version: int
    def __init__(self, item_code: _Optional[str] = ..., item_name: _Optional[str] = ..., node_code: _Optional[str] = ..., window_address: _Optional[str] = ..., phone: _Optional[str] = ..., opening_hours: _Optional[str] = ..., local_notes: _Optional[str] = ..., catalog_version: _Optional[int] = ...) -> None: ...

class AppealRatingRequest(_message.Message):
    __slots__ = ("case_id", "reason")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    reason: str
    def __init__(self, case_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class DecideAppealRequest(_message.Message):
    __slots__ = ("case_id", "void", "note")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VOID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    void: bool
    note: str
    def __init__(self, case_id: _Optional[str] = ..., void: _Optional[bool] = ..., note: _Optional[str] = ...) -> None: ...

class ListAppealsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AppealView(_message.Message):
    __slots__ = ("case_id", "handler", "score", "comment", "reason", "filed_at", "decision", "decision_note", "decided_at", "item_name")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    HANDLER_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    DECISION_NOTE_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    handler: str
    score: int
    comment: str
    reason: str
    filed_at: str
    decision: str
    decision_note: str
    decided_at: str
    item_name: str
    def __init__(self, case_id: _Optional[str] = ..., handler: _Optional[str] = ..., score: _Optional[int] = ..., comment: _Optional[str] = ..., reason: _Optional[str] = ..., filed_at: _Optional[str] = ..., decision: _Optional[str] = ..., decision_note: _Optional[str] = ..., decided_at: _Optional[str] = ..., item_name: _Optional[str] = ...) -> None: ...

class ListAppealsResponse(_message.Message):
    __slots__ = ("appeals",)
    APPEALS_FIELD_NUMBER: _ClassVar[int]
    appeals: _containers.RepeatedCompositeFieldContainer[AppealView]
    def __init__(self, appeals: _Optional[_Iterable[_Union[AppealView, _Mapping]]] = ...) -> None: ...

class RateCaseRequest(_message.Message):
    __slots__ = ("case_id", "score", "comment")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    score: int
    comment: str
    def __init__(self, case_id: _Optional[str] = ..., score: _Optional[int] = ..., comment: _Optional[str] = ...) -> None: ...

class RatingView(_message.Message):
    __slots__ = ("case_id", "score", "comment", "rated_at", "rectification_deadline")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    RATED_AT_FIELD_NUMBER: _ClassVar[int]
    RECTIFICATION_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    score: int
    comment: str
    rated_at: str
    rectification_deadline: str
    def __init__(self, case_id: _Optional[str] = ..., score: _Optional[int] = ..., comment: _Optional[str] = ..., rated_at: _Optional[str] = ..., rectification_deadline: _Optional[str] = ...) -> None: ...

class RectifyCaseRequest(_message.Message):
    __slots__ = ("case_id", "return_visit")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    RETURN_VISIT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    return_visit: str
    def __init__(self, case_id: _Optional[str] = ..., return_visit: _Optional[str] = ...) -> None: ...

class RectificationView(_message.Message):
    __slots__ = ("case_id", "opened_on", "deadline", "return_visit", "done_at", "score", "comment", "item_name", "department", "person")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OPENED_ON_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    RETURN_VISIT_FIELD_NUMBER: _ClassVar[int]
    DONE_AT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    opened_on: str
    deadline: str
    return_visit: str
    done_at: str
    score: int
    comment: str
    item_name: str
    department: str
    person: str
    def __init__(self, case_id: _Optional[str] = ..., opened_on: _Optional[str] = ..., deadline: _Optional[str] = ..., return_visit: _Optional[str] = ..., done_at: _Optional[str] = ..., score: _Optional[int] = ..., comment: _Optional[str] = ..., item_name: _Optional[str] = ..., department: _Optional[str] = ..., person: _Optional[str] = ...) -> None: ...

class ListRectificationsRequest(_message.Message):
    __slots__ = ("include_done", "department")
    INCLUDE_DONE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    include_done: bool
    department: str
    def __init__(self, include_done: _Optional[bool] = ..., department: _Optional[str] = ...) -> None: ...

class ListRectificationsResponse(_message.Message):
    __slots__ = ("tasks",)
    TASKS_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[RectificationView]
    def __init__(self, tasks: _Optional[_Iterable[_Union[RectificationView, _Mapping]]] = ...) -> None: ...

class ListCardsRequest(_message.Message):
    __slots__ = ("subtree", "include_closed", "raised_from", "raised_to", "colour", "department")
    SUBTREE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CLOSED_FIELD_NUMBER: _ClassVar[int]
    RAISED_FROM_FIELD_NUMBER: _ClassVar[int]
    RAISED_TO_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    subtree: str
    include_closed: bool
    raised_from: str
    raised_to: str
    colour: str
    department: str
    def __init__(self, subtree: _Optional[str] = ..., include_closed: _Optional[bool] = ..., raised_from: _Optional[str] = ..., raised_to: _Optional[str] = ..., colour: _Optional[str] = ..., department: _Optional[str] = ...) -> None: ...

class ListCardsResponse(_message.Message):
    __slots__ = ("cards",)
    CARDS_FIELD_NUMBER: _ClassVar[int]
    cards: _containers.RepeatedCompositeFieldContainer[_case_pb2.SupervisionCard]
    def __init__(self, cards: _Optional[_Iterable[_Union[_case_pb2.SupervisionCard, _Mapping]]] = ...) -> None: ...

class StatsRequest(_message.Message):
    __slots__ = ("from_day", "to_day")
    FROM_DAY_FIELD_NUMBER: _ClassVar[int]
    TO_DAY_FIELD_NUMBER: _ClassVar[int]
    from_day: str
    to_day: str
    def __init__(self, from_day: _Optional[str] = ..., to_day: _Optional[str] = ...) -> None: ...

class Figures(_message.Message):
    __slots__ = ("counts", "on_time_rate", "early_rate", "online_rate", "satisfaction", "rectification_rate", "satisfied_rate")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    ON_TIME_RATE_FIELD_NUMBER: _ClassVar[int]
    EARLY_RATE_FIELD_NUMBER: _ClassVar[int]
    ONLINE_RATE_FIELD_NUMBER: _ClassVar[int]
    SATISFACTION_FIELD_NUMBER: _ClassVar[int]
    RECTIFICATION_RATE_FIELD_NUMBER: _ClassVar[int]
    SATISFIED_RATE_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.ScalarMap[str, int]
    on_time_rate: float
    early_rate: float
    online_rate: float
    satisfaction: float
    rectification_rate: float
    satisfied_rate: float
    def __init__(self, counts: _Optional[_Mapping[str, int]] = ..., on_time_rate: _Optional[float] = ..., early_rate: _Optional[float] = ..., online_rate: _Optional[float] = ..., satisfaction: _Optional[float] = ..., rectification_rate: _Optional[float] = ..., satisfied_rate: _Optional[float] = ...) -> None: ...

class Breakdown(_message.Message):
    __slots__ = ("key", "figures", "as_of")
    KEY_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    key: str
    figures: Figures
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, key: _Optional[str] = ..., figures: _Optional[_Union[Figures, _Mapping]] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StatsReport(_message.Message):
    __slots__ = ("node", "from_day", "to_day", "own", "subtree", "reporting_children", "by_department", "by_child")
    NODE_FIELD_NUMBER: _ClassVar[int]
    FROM_DAY_FIELD_NUMBER: _ClassVar[int]
    TO_DAY_FIELD_NUMBER: _ClassVar[int]
    OWN_FIELD_NUMBER: _ClassVar[int]
    SUBTREE_FIELD_NUMBER: _ClassVar[int]
    REPORTING_CHILDREN_FIELD_NUMBER: _ClassVar[int]
    BY_DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    BY_CHILD_FIELD_NUMBER: _ClassVar[int]
    node: str
    from_day: str
    to_day: str
    own: Figures
    subtree: Figures
    reporting_children: _containers.RepeatedScalarFieldContainer[str]
    by_department: _containers.RepeatedCompositeFieldContainer[Breakdown]
    by_child: _containers.RepeatedCompositeFieldContainer[Breakdown]
    def __init__(self, node: _Optional[str] = ..., from_day: _Optional[str] = ..., to_day: _Optional[str] = ..., own: _Optional[_Union[Figures, _Mapping]] = ..., subtree: _Optional[_Union[Figures, _Mapping]] = ..., reporting_children: _Optional[_Iterable[str]] = ..., by_department: _Optional[_Iterable[_Union[Breakdown, _Mapping]]] = ..., by_child: _Optional[_Iterable[_Union[Breakdown, _Mapping]]] = ...) -> None: ...

class RevokeLicenceRequest(_message.Message):
    __slots__ = ("identifier", "reason")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    reason: str
    def __init__(self, identifier: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CheckLicenceRequest(_message.Message):
    __slots__ = ("identifier",)
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    def __init__(self, identifier: _Optional[str] = ...) -> None: ...

class LicenceStatus(_message.Message):
    __slots__ = ("identifier", "state", "issuer_node", "kind", "holder", "revoked_at", "reason")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ISSUER_NODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    state: str
    issuer_node: str
    kind: str
    holder: str
    revoked_at: str
    reason: str
    def __init__(self, identifier: _Optional[str] = ..., state: _Optional[str] = ..., issuer_node: _Optional[str] = ..., kind: _Optional[str] = ..., holder: _Optional[str] = ..., revoked_at: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CreateInviteRequest(_message.Message):
    __slots__ = ("code", "valid_hours")
    CODE_FIELD_NUMBER: _ClassVar[int]
    VALID_HOURS_FIELD_NUMBER: _ClassVar[int]
    code: str
    valid_hours: int
    def __init__(self, code: _Optional[str] = ..., valid_hours: _Optional[int] = ...) -> None: ...

class Invite(_message.Message):
    __slots__ = ("parent_code", "parent_address", "code", "token", "expires_at", "trust_anchors_pem", "seal_algorithm")
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    PARENT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    TRUST_ANCHORS_PEM_FIELD_NUMBER: _ClassVar[int]
    SEAL_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    parent_code: str
    parent_address: str
    code: str
    token: str
    expires_at: str
    trust_anchors_pem: str
    seal_algorithm: str
    def __init__(self, parent_code: _Optional[str] = ..., parent_address: _Optional[str] = ..., code: _Optional[str] = ..., token: _Optional[str] = ..., expires_at: _Optional[str] = ..., trust_anchors_pem: _Optional[str] = ..., seal_algorithm: _Optional[str] = ...) -> None: ...

class RevokeCertificateRequest(_message.Message):
    __slots__ = ("target",)
    TARGET_FIELD_NUMBER: _ClassVar[int]
    target: str
    def __init__(self, target: _Optional[str] = ...) -> None: ...

class RevokeCertificateResponse(_message.Message):
    __slots__ = ("revoked", "crl_number")
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    CRL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    revoked: int
    crl_number: int
    def __init__(self, revoked: _Optional[int] = ..., crl_number: _Optional[int] = ...) -> None: ...

class CreateSealRequest(_message.Message):
    __slots__ = ("holder", "department", "kind", "valid_days", "algorithm", "picture")
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALID_DAYS_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    PICTURE_FIELD_NUMBER: _ClassVar[int]
    holder: str
    department: str
    kind: str
    valid_days: int
    algorithm: str
    picture: bytes
    def __init__(self, holder: _Optional[str] = ..., department: _Optional[str] = ..., kind: _Optional[str] = ..., valid_days: _Optional[int] = ..., algorithm: _Optional[str] = ..., picture: _Optional[bytes] = ...) -> None: ...

class SealDescription(_message.Message):
    __slots__ = ("seal_id", "holder", "holder_code", "department", "kind", "valid_from", "valid_to", "algorithm")
    SEAL_ID_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    HOLDER_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    seal_id: str
    holder: str
    holder_code: str
    department: str
    kind: str
    valid_from: str
    valid_to: str
    algorithm: str
    def __init__(self, seal_id: _Optional[str] = ..., holder: _Optional[str] = ..., holder_code: _Optional[str] = ..., department: _Optional[str] = ..., kind: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ..., algorithm: _Optional[str] = ...) -> None: ...

class SubmitCaseRequest(_message.Message):
    __slots__ = ("item_code", "applicant", "materials", "home_division", "mode", "place_division", "deferred", "promised_on", "promise", "channel", "submission_key")
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    MATERIALS_FIELD_NUMBER: _ClassVar[int]
    HOME_DIVISION_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    PLACE_DIVISION_FIELD_NUMBER: _ClassVar[int]
    DEFERRED_FIELD_NUMBER: _ClassVar[int]
    PROMISED_ON_FIELD_NUMBER: _ClassVar[int]
    PROMISE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_KEY_FIELD_NUMBER: _ClassVar[int]
    item_code: str
    applicant: _case_pb2.Applicant
    materials: _containers.RepeatedCompositeFieldContainer[_case_pb2.Material]
    home_division: str
    mode: str
    place_division: str
    deferred: _containers.RepeatedScalarFieldContainer[str]
    promised_on: str
    promise: _case_pb2.Promise
    channel: str
    submission_key: str
    def __init__(self, item_code: _Optional[str] = ..., applicant: _Optional[_Union[_case_pb2.Applicant, _Mapping]] = ..., materials: _Optional[_Iterable[_Union[_case_pb2.Material, _Mapping]]] = ..., home_division: _Optional[str] = ..., mode: _Optional[str] = ..., place_division: _Optional[str] = ..., deferred: _Optional[_Iterable[str]] = ..., promised_on: _Optional[str] = ..., promise: _Optional[_Union[_case_pb2.Promise, _Mapping]] = ..., channel: _Optional[str] = ..., submission_key: _Optional[str] = ...) -> None: ...

class GetCaseRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class ListCasesRequest(_message.Message):
    __slots__ = ("state", "role", "limit")
    STATE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    state: _case_pb2.CaseState
    role: str
    limit: int
    def __init__(self, state: _Optional[_Union[_case_pb2.CaseState, str]] = ..., role: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListCasesResponse(_message.Message):
    __slots__ = ("cases",)
    CASES_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[_case_pb2.Case]
    def __init__(self, cases: _Optional[_Iterable[_Union[_case_pb2.Case, _Mapping]]] = ...) -> None: ...

class ActOnCaseRequest(_message.Message):
    __slots__ = ("case_id", "action", "note", "days", "materials", "correct_materials")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    MATERIALS_FIELD_NUMBER: _ClassVar[int]
    CORRECT_MATERIALS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    action: _case_pb2.CaseAction
    note: str
    days: int
    materials: _containers.RepeatedCompositeFieldContainer[_case_pb2.Material]
    correct_materials: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, case_id: _Optional[str] = ..., action: _Optional[_Union[_case_pb2.CaseAction, str]] = ..., note: _Optional[str] = ..., days: _Optional[int] = ..., materials: _Optional[_Iterable[_Union[_case_pb2.Material, _Mapping]]] = ..., correct_materials: _Optional[_Iterable[str]] = ...) -> None: ...

class ListItemsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ServiceItem(_message.Message):
    __slots__ = ("code", "name", "type", "department", "handling_tier", "instant", "statutory_days", "promised_days", "legal_basis", "materials", "basic_code", "implementation_code", "handling_code", "level", "online_level", "cross_province", "max_visits", "release_version", "claim", "elements_json")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    HANDLING_TIER_FIELD_NUMBER: _ClassVar[int]
    INSTANT_FIELD_NUMBER: _ClassVar[int]
    STATUTORY_DAYS_FIELD_NUMBER: _ClassVar[int]
    PROMISED_DAYS_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    MATERIALS_FIELD_NUMBER: _ClassVar[int]
    BASIC_CODE_FIELD_NUMBER: _ClassVar[int]
    IMPLEMENTATION_CODE_FIELD_NUMBER: _ClassVar[int]
    HANDLING_CODE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    ONLINE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    CROSS_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    MAX_VISITS_FIELD_NUMBER: _ClassVar[int]
    RELEASE_VERSION_FIELD_NUMBER: _ClassVar[int]
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    ELEMENTS_JSON_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    type: str
    department: str
    handling_tier: str
    instant: bool
    statutory_days: int
    promised_days: int
    legal_basis: str
    materials: _containers.RepeatedCompositeFieldContainer[RequiredMaterial]
    basic_code: str
    implementation_code: str
    handling_code: str
    level: str
    online_level: str
    cross_province: bool
    max_visits: int
    release_version: int
    claim: ItemClaim
    elements_json: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., department: _Optional[str] = ..., handling_tier: _Optional[str] = ..., instant: _Optional[bool] = ..., statutory_days: _Optional[int] = ..., promised_days: _Optional[int] = ..., legal_basis: _Optional[str] = ..., materials: _Optional[_Iterable[_Union[RequiredMaterial, _Mapping]]] = ..., basic_code: _Optional[str] = ..., implementation_code: _Optional[str] = ..., handling_code: _Optional[str] = ..., level: _Optional[str] = ..., online_level: _Optional[str] = ..., cross_province: _Optional[bool] = ..., max_visits: _Optional[int] = ..., release_version: _Optional[int] = ..., claim: _Optional[_Union[ItemClaim, _Mapping]] = ..., elements_json: _Optional[str] = ...) -> None: ...

class RequiredMaterial(_message.Message):
    __slots__ = ("name", "required", "deferrable", "form", "e_licence")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    DEFERRABLE_FIELD_NUMBER: _ClassVar[int]
    FORM_FIELD_NUMBER: _ClassVar[int]
    E_LICENCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    required: bool
    deferrable: bool
    form: str
    e_licence: bool
    def __init__(self, name: _Optional[str] = ..., required: _Optional[bool] = ..., deferrable: _Optional[bool] = ..., form: _Optional[str] = ..., e_licence: _Optional[bool] = ...) -> None: ...

class ListItemsResponse(_message.Message):
    __slots__ = ("catalog_version", "items")
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    catalog_version: int
    items: _containers.RepeatedCompositeFieldContainer[ServiceItem]
    def __init__(self, catalog_version: _Optional[int] = ..., items: _Optional[_Iterable[_Union[ServiceItem, _Mapping]]] = ...) -> None: ...

class DescribeNodeRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class LinkStatus(_message.Message):
    __slots__ = ("peer", "role", "connected", "outbox_depth", "sent_seq", "acked_seq", "received_seq", "peer_name", "peer_clock_ahead_seconds", "address", "trouble", "trouble_at", "last_contact")
    PEER_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    SENT_SEQ_FIELD_NUMBER: _ClassVar[int]
    ACKED_SEQ_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_SEQ_FIELD_NUMBER: _ClassVar[int]
    PEER_NAME_FIELD_NUMBER: _ClassVar[int]
    PEER_CLOCK_AHEAD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TROUBLE_FIELD_NUMBER: _ClassVar[int]
    TROUBLE_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_CONTACT_FIELD_NUMBER: _ClassVar[int]
    peer: str
    role: str
    connected: bool
    outbox_depth: int
    sent_seq: int
    acked_seq: int
    received_seq: int
    peer_name: str
    peer_clock_ahead_seconds: float
    address: str
    trouble: str
    trouble_at: _timestamp_pb2.Timestamp
    last_contact: _timestamp_pb2.Timestamp
    def __init__(self, peer: _Optional[str] = ..., role: _Optional[str] = ..., connected: _Optional[bool] = ..., outbox_depth: _Optional[int] = ..., sent_seq: _Optional[int] = ..., acked_seq: _Optional[int] = ..., received_seq: _Optional[int] = ..., peer_name: _Optional[str] = ..., peer_clock_ahead_seconds: _Optional[float] = ..., address: _Optional[str] = ..., trouble: _Optional[str] = ..., trouble_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_contact: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class NodeDescription(_message.Message):
    __slots__ = ("code", "tier", "name", "catalog_version", "links", "quarantined")
    CODE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    QUARANTINED_FIELD_NUMBER: _ClassVar[int]
    code: str
    tier: str
    name: str
    catalog_version: int
    links: _containers.RepeatedCompositeFieldContainer[LinkStatus]
    quarantined: int
    def __init__(self, code: _Optional[str] = ..., tier: _Optional[str] = ..., name: _Optional[str] = ..., catalog_version: _Optional[int] = ..., links: _Optional[_Iterable[_Union[LinkStatus, _Mapping]]] = ..., quarantined: _Optional[int] = ...) -> None: ...

class NameOfficesRequest(_message.Message):
    __slots__ = ("codes",)
    CODES_FIELD_NUMBER: _ClassVar[int]
    codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, codes: _Optional[_Iterable[str]] = ...) -> None: ...

class OfficeNames(_message.Message):
    __slots__ = ("names",)
    class NamesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAMES_FIELD_NUMBER: _ClassVar[int]
    names: _containers.ScalarMap[str, str]
    def __init__(self, names: _Optional[_Mapping[str, str]] = ...) -> None: ...

class AddPeerRequest(_message.Message):
    __slots__ = ("province", "root_pem", "address", "name")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    ROOT_PEM_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    province: str
    root_pem: bytes
    address: str
    name: str
    def __init__(self, province: _Optional[str] = ..., root_pem: _Optional[bytes] = ..., address: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class RemovePeerRequest(_message.Message):
    __slots__ = ("province",)
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    province: str
    def __init__(self, province: _Optional[str] = ...) -> None: ...

class ListPeersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PeerView(_message.Message):
    __slots__ = ("province", "name", "address", "root_fingerprint", "connected", "items_offered", "items_accepted", "removed", "since", "last_contact", "waiting")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ROOT_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    ITEMS_OFFERED_FIELD_NUMBER: _ClassVar[int]
    ITEMS_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LAST_CONTACT_FIELD_NUMBER: _ClassVar[int]
    WAITING_FIELD_NUMBER: _ClassVar[int]
    province: str
    name: str
    address: str
    root_fingerprint: str
    connected: bool
    items_offered: int
    items_accepted: int
    removed: bool
    since: _timestamp_pb2.Timestamp
    last_contact: _timestamp_pb2.Timestamp
    waiting: int
    def __init__(self, province: _Optional[str] = ..., name: _Optional[str] = ..., address: _Optional[str] = ..., root_fingerprint: _Optional[str] = ..., connected: _Optional[bool] = ..., items_offered: _Optional[int] = ..., items_accepted: _Optional[int] = ..., removed: _Optional[bool] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_contact: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., waiting: _Optional[int] = ...) -> None: ...

class ListPeersResponse(_message.Message):
    __slots__ = ("peers",)
    PEERS_FIELD_NUMBER: _ClassVar[int]
    peers: _containers.RepeatedCompositeFieldContainer[PeerView]
    def __init__(self, peers: _Optional[_Iterable[_Union[PeerView, _Mapping]]] = ...) -> None: ...

class ListPartnerItemsRequest(_message.Message):
    __slots__ = ("province",)
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    province: str
    def __init__(self, province: _Optional[str] = ...) -> None: ...

class PartnerItem(_message.Message):
    __slots__ = ("province", "code", "name", "handling_tier", "department", "modes")
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    HANDLING_TIER_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    MODES_FIELD_NUMBER: _ClassVar[int]
    province: str
    code: str
    name: str
    handling_tier: str
    department: str
    modes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, province: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., handling_tier: _Optional[str] = ..., department: _Optional[str] = ..., modes: _Optional[_Iterable[str]] = ...) -> None: ...

class ListPartnerItemsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[PartnerItem]
    def __init__(self, items: _Optional[_Iterable[_Union[PartnerItem, _Mapping]]] = ...) -> None: ...
