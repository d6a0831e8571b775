"""容缺受理 and 告知承诺制: cases that go ahead with materials missing, on the applicant's word.

容缺受理 (acceptance with deferrable materials missing): materials the item marks deferrable may be
missing at submission; both copies of the case record which, and the date the applicant promised
them by. The handler cannot conclude (APPROVE) while one is missing, unless the item allows it
(conclude_with_deferred). The applicant supplies a missing material where they applied; it
travels to the handler (MaterialSupplied). A promise not kept by its date raises a supervision
card at the handler (node/supervision/cards.py).

告知承诺制 (notification and promise): for an item with notify_promise, the applicant's signed
promise stands in for the proofs the item names that were not handed in. The promise is stored
with both copies of the case; approving such a case opens a post-check (核查) task for the
handler, due a number of working days later.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from node.cases import filekinds
from node.cases import materials as files
from node.cases.materials import Material, checked_material
from node.cases.service import CaseHook
from node.cases.states import Action, State
from node.catalogue import items as catalog
from node.clock import Clock
from node.convert import material_to_proto
from node.errors import IllegalTransition, InvalidInput, NotFound, WrongNode, clean_text
from node.staff.roles import Actor, Duty
from node.store.models import Case, CasePromise, MissingMaterial, PostCheck, ServiceItem
from node.store.outbound import Outbound
from node.timeutil import as_utc, from_timestamp, shanghai, to_timestamp
from node.workdays import WEEKDAYS, add_working_days, china_date, is_working_day
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2, link_pb2

MAX_PROMISE_DAYS = 90  # calendar days a 容缺 promise may reach ahead


def promised_date(
    text: str, what: str, start: date, earliest: date | None = None, *, promised_days: int = 0
) -> date:
    """The date `what` (容缺 materials) is promised by: YYYY-MM-DD, after `earliest` (default `start`,
    the day applied), at most MAX_PROMISE_DAYS after `start` and, for an item promised in
    `promised_days` working days, no later than the last of them counted from `start`."""
    if not text.strip():
        raise InvalidInput(f"{what}须写明承诺补齐日期 (容缺: give the date the material is promised by)")
    try:
        promised = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{what}的承诺补齐日期须写作 YYYY-MM-DD，而不是 {text!r} (the promised date must be an ISO date)"
        ) from None
    if not (earliest or start) < promised <= start + timedelta(days=MAX_PROMISE_DAYS):
        raise InvalidInput(
            f"{what}的承诺补齐日期 {promised.isoformat()} 须在申请日 {start.isoformat()} 之后 "
            f"{MAX_PROMISE_DAYS} 日内 (the promised date must fall after the day applied and within "
            f"{MAX_PROMISE_DAYS} days)"
        )
    last_day = add_working_days(start, promised_days) if promised_days > 0 else None
    if last_day is not None and promised > last_day:
        # the case could not be concluded before the material came: it would be bound to go overdue
        raise InvalidInput(
            f"{what}的承诺补齐日期 {promised.isoformat()} 晚于本事项承诺的办结日期 {last_day.isoformat()}"
            f"（{promised_days} 个工作日）：办件将因等待材料而超期，请约定在 {last_day.isoformat()} 前补齐 "
            "(the promised date must fall within the item's promised time limit)"
        )
    if not is_working_day(promised):  # the window is closed that day: the material could not be handed in
        following = add_working_days(promised, 1)
        raise InvalidInput(
            f"{what}的承诺补齐日期 {promised.isoformat()}（星期{WEEKDAYS[promised.weekday()]}）不是工作日，"
            f"窗口不办公：请选工作日，例如 {following.isoformat()}（星期{WEEKDAYS[following.weekday()]}） "
            "(the promised date must be a working day)"
        )
    return promised


MAX_SIGNATURE_BYTES = 256 * 1024
MAX_PROMISE_LENGTH = 2000
_GIVEN_UP = frozenset({State.REFUSED, State.WITHDRAWN, State.RETURNED})


def extras(
    deferred: Iterable[str], promised_on: str, promise: case_pb2.Promise | None, now: datetime
) -> case_pb2.Case | None:
    """What a desk request asks beyond the plain case: 容缺 materials and a promise (None if nothing);
    both are checked where they are stored, with the case (`on_new_copy`)."""
    names = [name.strip() for name in deferred]
    if not names and promise is None:
        return None
    message = case_pb2.Case(
        missing_materials=[
            case_pb2.MissingMaterial(name=name, promised_on=promised_on.strip()) for name in names
        ]
    )
    if promise is not None:
        message.promise.CopyFrom(promise)
        if not promise.HasField("signed_at"):
            message.promise.signed_at.CopyFrom(to_timestamp(now))
    return message


class LicenceRevoker(Protocol):
    def revoke_of_case(self, session: Session, case_id: str, reason: str) -> list[str]: ...


class DeferralService(CaseHook):
    def __init__(
        self,
        here: DivisionCode,
        sessions: sessionmaker[Session],
        readers: sessionmaker[Session],
        outbound: Outbound,
        clock: Clock,
        licences: LicenceRevoker | None = None,
    ) -> None:
        self.here = here
        self._sessions = sessions
        self._readers = readers
        self._outbound = outbound
        self._clock = clock
        self._licences = licences

    # -- hooks on every case ---------------------------------------------------------------------

    def takes_part_in_new_copy(self, message: case_pb2.Case) -> bool:
        return bool(message.missing_materials) or message.HasField("promise")

    def on_new_copy(self, session: Session, case: Case, message: case_pb2.Case | None) -> None:
        """Check and store the missing materials and the promise a case came with (at both copies)."""
        if message is None or (not message.missing_materials and not message.HasField("promise")):
            return
        item = catalog.item_of_case(session, case.item_code, case.catalog_version)
        if item is None:
            raise NotFound(f"case {case.id}: item {case.item_code} is not held here")
        if message.missing_materials:
            self._store_missing(session, case, item, message.missing_materials, bool(message.bundle_id))
        if message.HasField("promise"):
            self._store_promise(session, case, item, message.promise)

    def before_change(self, session: Session, case: Case, action: Action) -> None:
        if action is Action.SUPPLEMENT:
            self._supplied_by_correction(session, case)
            return
        if action is not Action.APPROVE:
            return
        missing = holding_approval(session, case.id, case.item_code, case.catalog_version)
        if missing:
            owed = "、".join(f"{m.name}（承诺 {m.promised_on.isoformat()} 前补齐）" for m in missing)
            raise IllegalTransition(
                f"容缺材料尚未补齐，不能办结：{owed} (cannot approve case {case.id}: 容缺 materials missing)"
            )

    def before_request(self, session: Session, case: Case, action: Action) -> None:
        if action is Action.SUPPLEMENT:  # the origin's copy counts it as the handler's will
            self._supplied_by_correction(session, case)

    def after_change(self, session: Session, case: Case, action: Action) -> None:
        """Approving a case on a promise opens its 核查 task at the handler."""
        if action is not Action.APPROVE or case.handler != self.here.value:
            return
        if session.get(CasePromise, case.id) is None or session.get(PostCheck, case.id) is not None:
            return
        item = catalog.item_of_case(session, case.item_code, case.catalog_version)
        # a JSON column; the catalogue checked post_check_days is a whole number (node/catalogue/items.py)
        days = (
            int(cast(dict[str, Any], item.notify_promise or {}).get("post_check_days", 20))
            if item is not None
            else 20
        )
        due = add_working_days(china_date(self._clock.now()), days)
        session.add(PostCheck(case_id=case.id, due_on=due, done_at=None, passed=None, finding=""))

    def decorate(self, session: Session, case: Case, view: case_pb2.Case) -> None:
        view.missing_materials.extend(
            _missing_to_proto(m)
            for m in session.scalars(
                select(MissingMaterial)
                .where(MissingMaterial.case_id == case.id)
                .order_by(MissingMaterial.name)
            )
        )
        promise = session.get(CasePromise, case.id)
        if promise is not None:
            view.promise.CopyFrom(_promise_to_proto(promise))
        check = session.get(PostCheck, case.id)
        if check is not None:
            view.post_check.CopyFrom(_check_to_proto(check, case, promise))

    # -- supplying a missing material ----------------------------------------------------------------

    def supply(self, case_id: str, material: Material) -> None:
        """补齐容缺材料 where the citizen applied; the material goes on to the handler."""
        with self._sessions.begin() as session:
            case = session.get(Case, case_id.strip())
            if case is None:
                raise NotFound(f"本节点没有办件 {case_id} (no case {case_id!r} at node {self.here})")
            self.supply_in(session, case, material)

    def supply_in(self, session: Session, case: Case, material: Material) -> None:
        if case.origin != self.here.value:
            raise WrongNode(
                f"a missing material of case {case.id} is supplied where the citizen applied ({case.origin})"
            )
        checked = checked_material(material)
        # as at the application: not empty, within the item's size (the handler's copy checks it again)
        files.check_sizes(catalog.item_of_case(session, case.item_code, case.catalog_version), [checked])
        self._mark_supplied(session, case, checked, self._clock.now())
        if case.handler != self.here.value:
            self._outbound.send(
                session,
                case.handler,
                material_supplied=link_pb2.MaterialSupplied(
                    case_id=case.id,
                    material=material_to_proto(files.stored(checked, files.SUPPLIED), with_content=True),
                    supplied_at=to_timestamp(self._clock.now()),
                ),
            )

    def receive(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """A material supplied at the origin arrives at the handler."""
        supplied = envelope.material_supplied
        case = session.get(Case, supplied.case_id)
        if case is None or case.handler != self.here.value:
            raise InvalidInput(f"case {supplied.case_id} is not handled at {self.here}")
        if envelope.origin != case.origin:
            raise WrongNode(
                f"materials of case {case.id} come from its origin {case.origin}, not {envelope.origin}"
            )
        material = checked_material(files.from_proto(supplied.material), arrived=True)
        self._mark_supplied(session, case, material, from_timestamp(supplied.supplied_at))

    def receive_check_result(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """The handler's 核查 done: the origin's copy of the case shows it (not a task here)."""
        result = envelope.post_check_result
        case = session.get(Case, result.case_id)
        if case is None or case.origin != self.here.value or envelope.origin != case.handler:
            raise WrongNode(f"a 核查 of case {result.case_id} is told by its handler to its origin")
        if session.get(CasePromise, case.id) is None:
            raise InvalidInput(f"case {case.id} was applied for on no promise: it has no 核查")
        try:
            due_on = date.fromisoformat(result.due_on)
        except ValueError:
            raise InvalidInput(f"case {case.id}: the 核查's due date {result.due_on!r} is no date") from None
        check = session.get(PostCheck, case.id) or PostCheck(case_id=case.id)
        check.due_on, check.done_at, check.passed = due_on, from_timestamp(result.done_at), result.passed
        check.finding = clean_text("finding", result.finding, MAX_PROMISE_LENGTH, required=True)
        session.add(check)

    def _mark_supplied(self, session: Session, case: Case, material: Material, at: datetime) -> None:
        if State(case.state) in _GIVEN_UP:
            raise IllegalTransition(
                f"办件 {case.id} 已{State(case.state).label}，不再收取材料 (it takes no more materials)"
            )
        row = session.get(MissingMaterial, (case.id, material.name), with_for_update=True)
        if row is None or row.supplied_at is not None:
            owed = "、".join(m.name for m in _open_missing(session, case.id)) or "无"
            item = catalog.item_of_case(session, case.item_code, case.catalog_version)
            if item is not None and material.name not in {str(m["name"]) for m in item.materials}:
                # not a material the case was spared: "不缺材料 病毒" read as if the case had it
                raise InvalidInput(
                    f"{item.name}（{item.code}）没有材料 {material.name}，本办件尚缺的容缺材料：{owed} "
                    "(the item lists no such material)"
                )
            raise InvalidInput(
                f"办件 {case.id} 不缺材料 {material.name}，尚缺：{owed} (the case is not missing it)"
            )
        row.supplied_at = at
        stored = files.stored(material, files.SUPPLIED)
        stored.case_id = case.id
        session.add(stored)

    def _supplied_by_correction(self, session: Session, case: Case) -> None:
        """A 容缺 material handed in among 补正材料 is supplied: the 补正 form lists every material
        of the item, and a villager asked to hand the same paper in again under 补交容缺材料 would
        come back for nothing while 办结(准予) waited for it (and its card stayed open)."""
        corrected = {m.name for m in case.materials if m.purpose == files.CORRECTION}
        now = self._clock.now()
        for row in _open_missing(session, case.id):
            if row.name in corrected:
                row.supplied_at = now

    # -- 核查 tasks at the handler -------------------------------------------------------------------

    def post_checks(self, include_done: bool = False, department: str = "") -> list[case_pb2.PostCheck]:
        """核查 tasks here (of one department's cases, if given), the earliest due first."""
        query = select(PostCheck, Case).join(Case, Case.id == PostCheck.case_id)
        query = query.where(Case.handler == self.here.value)  # not the results told to the origin
        if department:
            query = query.where(Case.department == department)
        if not include_done:
            query = query.where(PostCheck.done_at.is_(None))
        with self._readers() as session:
            return [
                _check_to_proto(check, case, session.get(CasePromise, case.id))
                for check, case in session.execute(query.order_by(PostCheck.due_on, PostCheck.case_id))
            ]

    def complete_post_check(self, case_id: str, passed: bool, finding: str, by: Actor) -> case_pb2.PostCheck:
        """核查 done: whether what the applicant promised holds, found by the department that
        decided the case (or the operator)."""
        finding = clean_text("finding", finding, MAX_PROMISE_LENGTH, required=True)
        with self._sessions.begin() as session:
            check = session.get(PostCheck, case_id.strip(), with_for_update=True)
            if check is None:
                raise NotFound(
                    f"本节点没有办件 {case_id} 的核查任务 (no post-check (核查) task for it at {self.here})"
                )
            case = session.get(Case, check.case_id)
            assert case is not None
            by.require(Duty.DECIDE, case.department or "")
            if check.done_at is not None:
                raise IllegalTransition(
                    f"办件 {case_id} 的核查已于 {shanghai(check.done_at)}（北京时间）完成 "
                    "(the post-check was done already)"
                )
            check.done_at, check.passed, check.finding = self._clock.now(), passed, finding
            if not passed and self._licences is not None:
                # a licence granted on a promise found untrue is 撤销 (告知承诺制): every node hears
                # of it, so it no longer checks as valid anywhere
                self._licences.revoke_of_case(session, case.id, f"告知承诺核查不属实，依法撤销：{finding}")
            if case.origin != self.here.value:
                self._outbound.send(
                    session,
                    case.origin,
                    post_check_result=link_pb2.PostCheckResult(
                        case_id=case.id,
                        passed=passed,
                        finding=finding,
                        done_at=to_timestamp(check.done_at),
                        due_on=check.due_on.isoformat(),
                    ),
                )
            return _check_to_proto(check, case, session.get(CasePromise, case.id))

    # -- inside ------------------------------------------------------------------------------------

    def _store_missing(
        self,
        session: Session,
        case: Case,
        item: ServiceItem,
        missing: Sequence[case_pb2.MissingMaterial],
        bundle_part: bool,
    ) -> None:
        deferrable = {str(m["name"]) for m in item.materials if m.get("deferrable")}
        given = {m.name for m in case.materials}
        submitted_on = china_date(case.submitted_at)
        names: set[str] = set()
        for wanted in missing:
            name = wanted.name.strip()
            if name not in deferrable:
                allowed = "、".join(sorted(deferrable)) or "无"
                raise InvalidInput(
                    f"{item.name}（{item.code}）的材料 {name} 不可容缺，可容缺的材料：{allowed} "
                    f"({name!r} is not a deferrable material)"
                )
            if name in given or name in names:
                raise InvalidInput(f"材料 {name} 已提交，不能同时容缺 ({name!r}: given and deferred at once)")
            # a bundle's part that starts later keeps the date promised when the bundle was applied for
            earliest = submitted_on - timedelta(days=MAX_PROMISE_DAYS) if bundle_part else None
            limit = 0 if bundle_part else item.promised_days  # a bundle's is checked as the bundle's
            what = f"容缺材料 {name} "
            promised_on = promised_date(wanted.promised_on, what, submitted_on, earliest, promised_days=limit)
            names.add(name)
            session.add(
                MissingMaterial(case_id=case.id, name=name, promised_on=promised_on, supplied_at=None)
            )

    def _store_promise(
        self, session: Session, case: Case, item: ServiceItem, promise: case_pb2.Promise
    ) -> None:
        if not item.notify_promise:
            raise InvalidInput(f"{item.name}（{item.code}）不适用告知承诺制 (the item allows no promise)")
        allowed = set(item.notify_promise.get("replaces", []))  # type: ignore[call-overload]
        replaces = [name.strip() for name in promise.replaces]
        if not replaces or not set(replaces) <= allowed:
            raise InvalidInput(
                f"{item.name}（{item.code}）的告知承诺只能代替 {'、'.join(sorted(allowed))} "
                "(a promise replaces only those proofs)"
            )
        text = clean_text("promise text", promise.text, MAX_PROMISE_LENGTH, required=True)
        signed_by = clean_text("promise signer", promise.signed_by, 100, required=True, single_line=True)
        if signed_by != case.applicant_name:
            raise InvalidInput(
                f"承诺人须为申请人本人 {case.applicant_name} "
                f"(the promise is signed by {signed_by}, not by the applicant {case.applicant_name})"
            )
        if not promise.signature or len(promise.signature) > MAX_SIGNATURE_BYTES:
            raise InvalidInput(
                "告知承诺书须有申请人签字（手写板签名或签字页扫描件）"
                f"(a promise carries the applicant's signature, 1 … {MAX_SIGNATURE_BYTES} bytes)"
            )
        if case.origin == self.here.value:  # judged where it was taken, as a material's file is
            signature_type(promise.signature)
        if not promise.HasField("signed_at"):
            raise InvalidInput("a promise carries the time it was signed")
        # it stands in only for a proof not handed in (a 一件事's one set gives each part every proof
        # it lists): one handed in is no promise's to 核查, nor a 不属实 finding's to mark the result
        given = {m.name for m in case.materials}
        replaces = [name for name in replaces if name not in given]
        if not replaces:
            return
        session.add(
            CasePromise(
                case_id=case.id,
                text=text,
                replaces=replaces,
                signed_by=signed_by,
                signature=promise.signature,
                signed_at=from_timestamp(promise.signed_at),
            )
        )


def signature_type(signature: bytes) -> str:
    """The media type of an applicant's signature by its bytes: a signing pad's image or a scanned
    page, as a window takes materials (node/cases/filekinds.py); InvalidInput for anything else (a
    program, an archive, a text), which the handler would open as the applicant's signature."""
    judged = filekinds.scan_type(signature)
    if judged is not None:
        return judged
    what = filekinds.described(signature)
    raise InvalidInput(
        f"承诺人签字：所给文件是{what}，不能作为签字；请上传手写板签名或签字页的扫描件、照片"
        f"（{filekinds.ACCEPTED_WORDS}） (a signature is a scan or photo, judged by the file's content)"
    )


def holding_approval(
    session: Session, case_id: str, item_code: str, catalog_version: int | None
) -> list[MissingMaterial]:
    """The 容缺 materials still owed that hold back 办结(准予): all of them, unless the item (as
    the case's release had it) concludes without them."""
    item = catalog.item_of_case(session, item_code, catalog_version)
    if item is not None and item.conclude_with_deferred:
        return []
    return _open_missing(session, case_id)


def _open_missing(session: Session, case_id: str) -> list[MissingMaterial]:
    return list(
        session.scalars(
            select(MissingMaterial)
            .where(MissingMaterial.case_id == case_id, MissingMaterial.supplied_at.is_(None))
            .order_by(MissingMaterial.name)
        )
    )


def _missing_to_proto(row: MissingMaterial) -> case_pb2.MissingMaterial:
    message = case_pb2.MissingMaterial(name=row.name, promised_on=row.promised_on.isoformat())
    if row.supplied_at is not None:
        message.supplied_at.CopyFrom(to_timestamp(row.supplied_at))
    return message


def _promise_to_proto(row: CasePromise) -> case_pb2.Promise:
    return case_pb2.Promise(
        text=row.text,
        replaces=row.replaces,
        signed_by=row.signed_by,
        signature=row.signature,
        signed_at=to_timestamp(row.signed_at),
    )


def _check_to_proto(check: PostCheck, case: Case, promise: CasePromise | None) -> case_pb2.PostCheck:
    return case_pb2.PostCheck(
        case_id=case.id,
        item_code=case.item_code,
        item_name=case.item_name,
        due_on=check.due_on.isoformat(),
        done_at=as_utc(check.done_at).isoformat(timespec="seconds") if check.done_at else "",
        passed=bool(check.passed),
        finding=check.finding,
        replaces=promise.replaces if promise is not None else [],
    )
