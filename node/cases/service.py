"""Cases (办件): submission where the citizen applies, actions at the handler, copies kept in step.

The handling node's copy is authoritative. The node where the citizen applied (the origin) keeps
a replica that applies the handler's events in version order. Each public method is one
transaction that writes the case, appends its event and enqueues what other nodes must learn.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from ulid import ULID

from node import logs
from node.cases import arrivals, crossprovince, deadlines, eventlog, queues, requests, submissions
from node.cases import materials as files
from node.cases.applicants import (
    applicant_number_problem,
    digits_as_typed,
    mainland_mobile,
    name_as_typed,
    typed_division,
)
from node.cases.materials import Material, checked_material
from node.cases.passing import Passage, passages
from node.cases.states import (
    OWES_REASON,
    RULES,
    Action,
    Outcome,
    Performer,
    State,
    denial_words,
    transition,
)
from node.catalogue import items as catalog
from node.catalogue.items import ONLINE
from node.clock import Clock, SystemClock
from node.convert import (
    action_from_proto,
    action_to_proto,
    card_to_proto,
    case_to_proto,
    event_to_proto,
    material_to_proto,
    state_from_proto,
    state_to_proto,
)
from node.errors import (
    IllegalTransition,
    InvalidInput,
    NotFound,
    NotReady,
    RefusedOnArrival,
    WrongNode,
    clean_text,
)
from node.staff.roles import Actor, Duty
from node.store.models import (
    Case,
    CaseArrival,
    CaseDeadline,
    CaseEvent,
    CaseMaterial,
    SealedResult,
    ServiceItem,
    SupervisionCard,
)
from node.store.outbound import Outbound
from node.timeutil import from_timestamp, shanghai, to_timestamp, utcnow
from node.workdays import china_date
from sync.routing import NoRoute
from wuji.divisions import DivisionCode, InvalidDivisionCode, Tier
from wuji.v1 import case_pb2, link_pb2

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 100
# events the handler may announce: its own actions and those it carried out for the applicant
_PERFORMERS_AT_HANDLER = frozenset({Performer.HANDLER, Performer.APPLICANT})
MAX_NOTE_LENGTH = 2000
MAX_EXTENSION_DAYS = 60
# 办结, 退件 or 撤回 while a 特别程序 is under way ends it that day, in the case's history: a
# decision rests on what the hearing or test found, so deciding means the procedure is over, and an
# applicant's 撤回 is not theirs to be refused for it. Left open, the clock stayed stopped for good
# and 按时办结率 counted a case concluded the day it was accepted as late.
_ENDS_SPECIAL_PROCEDURE = frozenset({Action.APPROVE, Action.DENY, Action.RETURN, Action.WITHDRAW})


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str
    phone: str = ""


# what a 回访 can call besides a mainland mobile: a landline with its area code (and an extension),
# or another country's number in international form
_LANDLINE_OR_ABROAD = re.compile(r"0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|\+\d{7,15}")


def applicant_phone(phone: str) -> str:
    """The applicant's phone as a window takes it, spaces (and a mobile's dashes) dropped; "" when
    none was given."""
    given = digits_as_typed(clean_text("applicant phone", phone, 32, single_line=True))
    mobile = mainland_mobile(given)
    if mobile is not None:  # kept as 11 digits, so that a search for them finds the case
        return mobile
    if given and not _LANDLINE_OR_ABROAD.fullmatch(given):
        raise InvalidInput(
            f"申请人手机号 {given} 有误：请填写 11 位手机号，或带区号的固定电话（如 0737-4221234）"
            " (not a phone number)"
        )
    return given


def applicant_as_typed(applicant: Applicant) -> Applicant:
    """The applicant as a window takes them: each field one trimmed line; the number in ASCII without
    spaces and its check character X as printed on the card, the phone as `applicant_phone` keeps
    it, the name's middle dot as the registers write it — however each was typed, searches and
    copies of the same person's cases compare what is stored; InvalidInput naming the field otherwise."""
    name = clean_text(
        "applicant name", applicant.name, MAX_NAME_LENGTH, required=True, single_line=True, person_name=True
    )
    number = clean_text("applicant id number", applicant.id_number, 32, required=True, single_line=True)
    return Applicant(name_as_typed(name), digits_as_typed(number).upper(), applicant_phone(applicant.phone))


class ResultSealing(Protocol):
    """Seals results concluded here and checks sealed results arriving from a handler."""

    def seal_result(
        self, session: Session, case: Case, department: str, note: str, licence: dict[str, Any] | None
    ) -> bytes: ...

    def accept_received(self, session: Session, case_id: str, document: bytes) -> None: ...

    def hold_notice(
        self, session: Session, case_id: str, peer: str, notice: link_pb2.CaseEventNotice
    ) -> bool: ...

    def vouch_unrevoked(self, session: Session, notice: link_pb2.CaseEventNotice) -> None: ...

    def with_revocation_values(self, session: Session, document: bytes) -> bytes: ...

    def awaiting(self, session: Session, case_id: str) -> bool: ...

    def check_licence_stand_in(self, session: Session, material: Material, holder_id_number: str) -> None:
        """无证明: InvalidInput unless the material is a valid, unrevoked licence of the holder."""
        ...


class LicenceIssuer(Protocol):
    def issue(self, session: Session, case: Case, item: ServiceItem) -> dict[str, Any]: ...


class CaseHook:
    """What a service built on cases (bundles, 容缺/告知承诺) adds to them, inside the case's transaction.

    Each method does nothing here; a hook overrides what it needs and raises a DomainError to refuse.
    """

    def on_new_copy(self, session: Session, case: Case, message: case_pb2.Case | None) -> None:
        """A copy of a case was registered here: submitted (message: the extras asked for) or arrived."""

    def takes_part_in_new_copy(self, message: case_pb2.Case) -> bool:
        """Whether on_new_copy has work for a new copy described by message (an arriving case, or a
        submission's mode and extras): if no hook has, an arriving case is stored in bulk and a
        submitted one is shown to the desk without asking the hooks."""
        return type(self).on_new_copy is not CaseHook.on_new_copy

    def before_change(self, session: Session, case: Case, action: Action) -> None:
        """The handler is about to take action on case (already checked by the state machine); a
        补正's files are among case.materials already."""

    def before_request(self, session: Session, case: Case, action: Action) -> None:
        """This node is about to ask the case's handler for action (撤回, 补正材料), as its origin;
        a 补正's files are among case.materials already."""

    def after_change(self, session: Session, case: Case, action: Action) -> None:
        """Action was recorded on this copy of the case (here, or replayed from the other copy)."""

    def decorate(self, session: Session, case: Case, view: case_pb2.Case) -> None:
        """Add what the hook keeps about the case to the view a desk returns."""


class CaseService:
    def __init__(
        self,
        here: DivisionCode,
        sessions: sessionmaker[Session],
        outbound: Outbound,
        readers: sessionmaker[Session] | None = None,
        sealing: ResultSealing | None = None,
        licences: LicenceIssuer | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.here = here
        self.clock = clock or SystemClock()
        self._sessions = sessions
        self._readers = readers or sessions
        self._outbound = outbound
        self.sealing = sealing  # None only where results are not sealed (unit tests of the state machine)
        self._licences = licences
        self.hooks: list[CaseHook] = []  # set by the runtime: 跨省通办, bundles, 容缺 and 告知承诺
        # why no application may be taken here at all, in words ("" while they may): set by the
        # runtime, e.g. the parent refused this node's certificate as revoked (none could be sent)
        self.intake_closed: Callable[[], str] = lambda: ""
        # a neighbour's code as people read it, its office's name with it: set by the runtime
        self.place: Callable[[str], str] = lambda code: code

    # -- the desk ------------------------------------------------------------------------------

    def submit(
        self,
        item_code: str,
        applicant: Applicant,
        materials: Sequence[Material] = (),
        home_division: str = "",
        mode: str = "",
        place_division: str = "",
        extras: case_pb2.Case | None = None,
        by: Actor | None = None,
        channel: str = "",
        submission: str = "",
        refuse_pending: bool = False,
    ) -> case_pb2.Case:
        """申请: register a citizen's case here and send it toward its handler.

        mode: a 跨省通办 mode (node/cases/crossprovince.py), with place_division for 全程网办.
        extras: fields for the hooks (missing_materials, promise, bundle_id), checked by them.
        by: the person at the window (None: the node itself); channel: "online" for 网上申请.
        submission: the front desk form's key (node/cases/submissions.py); a key already used makes
        this transaction fail whole (IntegrityError). refuse_pending: PendingApplication if the
        applicant has the item in progress here (the window then confirms a second application).
        """
        self.require_open()
        # nothing is read back in this transaction: its rows are written in one flush, at the end
        with self._sessions.begin() as session, session.no_autoflush:
            case, first_event = self._register_submission(
                session,
                item_code,
                applicant,
                materials,
                home_division,
                mode,
                place_division,
                extras,
                by,
                channel,
            )
            described = case_pb2.Case(mode=mode.strip())
            if extras is not None:
                described.MergeFrom(extras)
            session.flush()  # the materials' ids, for the view
            submissions.record(session, submission, case.submitted_at, case_id=case.id)
            if refuse_pending:  # asked last: what the form must mend is said first
                submissions.refuse_pending_case(session, case)
            if any(hook.takes_part_in_new_copy(described) for hook in self.hooks):
                return self._view(session, case)
            # a case registered just now has its first event and nothing else a view shows
            view = case_to_proto(case, self.here.value, with_events=False)
            view.events.append(event_to_proto(first_event, self.here.value))
            return view

    def require_open(self) -> None:
        """NotReady if no application may be taken here now (`intake_closed`): asked where people
        apply, not where a 一件事 starts its later parts by itself."""
        closed = self.intake_closed()
        if closed:
            raise NotReady(closed)

    def submit_in(
        self,
        session: Session,
        item_code: str,
        applicant: Applicant,
        materials: Sequence[Material] = (),
        home_division: str = "",
        mode: str = "",
        place_division: str = "",
        extras: case_pb2.Case | None = None,
        by: Actor | None = None,
        channel: str = "",
        taker: Taker | None = None,
    ) -> Case:
        """submit, inside the caller's transaction (a bundle submits its parts in its own); taker:
        who took the application in, as recorded before, for a case the node starts by itself
        (a 一件事's later part: 首问负责 stays with the person who took the bundle in)."""
        case, _ = self._register_submission(
            session,
            item_code,
            applicant,
            materials,
            home_division,
            mode,
            place_division,
            extras,
            by,
            taker.channel if taker is not None else channel,
            taker,
        )
        return case

    def _register_submission(
        self,
        session: Session,
        item_code: str,
        applicant: Applicant,
        materials: Sequence[Material],
        home_division: str,
        mode: str,
        place_division: str,
        extras: case_pb2.Case | None,
        by: Actor | None,
        channel: str,
        taker: Taker | None = None,
    ) -> tuple[Case, CaseEvent]:
        """The new case and its first event (申请), stored and sent on in session."""
        by = by or Actor(self.here.value)
        by.require(Duty.APPLY)
        typed = applicant_as_typed(applicant)
        name, id_number, phone = typed.name, typed.id_number, typed.phone
        problem = applicant_number_problem(id_number)  # a check character, at every window
        if problem:
            raise InvalidInput(problem)
        checked = [checked_material(m) for m in materials]
        catalogue_version = catalog.require_unexpired(session)
        item_here = session.get(ServiceItem, item_code.strip())  # None for a partner province's item
        files.check_sizes(item_here, checked)
        if item_here is not None and not item_here.bundle:
            files.check_complete(
                item_here,
                checked,
                deferred=[m.name for m in extras.missing_materials] if extras is not None else (),
                promised=extras.promise.replaces if extras is not None and extras.HasField("promise") else (),
            )
        for material in checked:
            if material.licence:
                if self.sealing is None:
                    raise InvalidInput("this node cannot check electronic licences")
                self.sealing.check_licence_stand_in(session, material, id_number)
        if mode.strip():
            plan = crossprovince.plan(
                session,
                self.here,
                item_code.strip(),
                mode.strip(),
                home_division,
                place_division,
                lambda code: catalog.item(session, code),
                catalog.current_version(session),
                id_number,
            )
            self._require_route(plan.handler)
        else:
            item = catalog.item(session, item_code.strip())
            if item.bundle:
                raise InvalidInput(f"{item.name} ({item.code}) is a bundle (一件事): submit it as a bundle")
            handler = self._handler_for(session, item, home_division)
            plan = crossprovince.Plan(item.code, item.name, handler, catalogue_version)
        handler = plan.handler
        # as the window reads it (full-width digits), once the path above judged it in its form's words
        home = typed_division(HOME_FIELD, home_division) if home_division.strip() else None
        if mode.strip() == ONLINE and home is not None:  # the home province will confirm identity facts
            self._require_route(home.province)
        now = self.clock.now()
        case = Case(
            id=f"{self.here.value}-{ULID()}",
            item_code=plan.item_code,
            item_name=plan.item_name,
            origin=self.here.value,
            handler=handler.value,
            mode=mode.strip() or None,
            home_division=home.value if home is not None else None,
            state=State.SUBMITTED,
            outcome=None,
            applicant_name=name,
            applicant_id_number=id_number,
            applicant_phone=phone,
            version=1,
            catalog_version=plan.catalog_version,
            accepted=False,
            submitted_at=now,
            updated_at=now,
            department=item_here.department if item_here is not None else None,
            channel=_channel(mode.strip(), channel, by),
            bundle_id=(extras.bundle_id if extras is not None else "") or None,
            materials=[files.stored(m, files.SUBMITTED) for m in checked],
        )
        first_event = register_new_copy(
            session,
            case,
            actor=self.here.value,
            note=f"申请 {plan.item_name}",
            at=now,
            by=None if taker is not None else by,
            person=taker.person if taker is not None else "",
            department=taker.department if taker is not None else "",
        )
        log.info(
            "case %s submitted: %s, handled at %s", case.id, plan.item_code, handler, extra=logs.case(case.id)
        )
        for hook in self.hooks:
            hook.on_new_copy(session, case, extras)
        if handler != self.here:
            message = case_to_proto(case, self.here.value, with_events=False, with_content=True)
            if extras is not None:
                message.missing_materials.extend(extras.missing_materials)
                if extras.HasField("promise"):
                    message.promise.CopyFrom(extras.promise)
                message.bundle_id = extras.bundle_id
            submitted = link_pb2.CaseSubmitted(
                case=message,
                submitted_by_person=first_event.actor_person or "",
                submitted_by_department=first_event.actor_department or "",
            )
            sent = self._outbound.send(session, handler.value, case_submitted=submitted)
            requests.record(
                session, case.id, requests.SUBMIT, self._outbound.route(handler.value)[0], sent, now
            )
        return case, first_event

    def act(
        self,
        case_id: str,
        action: Action,
        note: str = "",
        days: int = 0,
        by: Actor | None = None,
        materials: Sequence[Material] = (),
        correct: Sequence[str] = (),
    ) -> case_pb2.Case:
        """Take an action on a case at this node's desk (受理, 审核, 办结, 送达, 撤回, …).

        days: for 延期 (EXTEND) only, the working days the approved extension adds.
        by: the person acting (None: the node itself); their role and department are checked.
        materials: for 补正材料 (SUPPLEMENT) only, the corrected files.
        correct: for 补正告知 (REQUEST_CORRECTION) only, the item's materials to correct.
        """
        by = by or Actor(self.here.value)
        note = clean_text("note", note, MAX_NOTE_LENGTH)
        correct = files.correction_names(correct)
        if correct and action is not Action.REQUEST_CORRECTION:
            raise InvalidInput(
                f"只有补正告知才勾选需补正的材料 (materials to correct go with REQUEST_CORRECTION, "
                f"not with {action.value})"
            )
        # the 补正告知书 prints both for the applicant, and the village's form offers the materials
        if action is Action.REQUEST_CORRECTION and not note and not correct:
            raise InvalidInput(
                "补正告知须一次性写明需补正的全部内容：勾选需补正的材料，或在告知内容中写明 "
                "(a request for correction names the materials to correct or says what to correct, at once)"
            )
        if action in OWES_REASON and not note and action is not Action.DENY:  # DENY: by its item
            raise InvalidInput(f"{OWES_REASON[action]} ({action.value} needs its reason in the note)")
        checked = [checked_material(m) for m in materials]
        if checked and action is not Action.SUPPLEMENT:
            raise InvalidInput(f"files go with 补正材料 (SUPPLEMENT), not with {action.value}")
        if action is Action.SUPPLEMENT and not checked:
            raise InvalidInput("补正材料须附补交的文件 (a supplement brings the corrected files)")
        if action is Action.EXTEND:
            if not 1 <= days <= MAX_EXTENSION_DAYS:
                raise InvalidInput(
                    f"延期天数应为 1 至 {MAX_EXTENSION_DAYS} 个工作日，不是 {days} "
                    f"(an extension adds 1 … {MAX_EXTENSION_DAYS} working days)"
                )
            note = deadlines.extension_note(days, note)
        elif days:
            raise InvalidInput(
                f"只有延期才填天数 (days go with an extension (EXTEND), not with {action.value})"
            )
        with self._sessions.begin() as session:
            case = self._load(session, case_id, for_update=True)
            by.require(DUTY_OF[action], case.department or "", action.label)
            item = catalog.item_of_case(session, case.item_code, case.catalog_version)
            if action is Action.DENY and not note:
                denial = denial_words(item.type if item is not None else "")
                raise InvalidInput(
                    f"{denial}须写明理由和依据：办结通知书将载明{denial}的理由交给申请人 "
                    "(DENY needs its reason in the note)"
                )
            files.check_sizes(item, checked)
            files.check_correction_names(item, correct)
            if checked:
                files.check_corrections(item, checked, (m.name for m in case.materials), _asked(case))
            rule = RULES[action]
            where = self._where(case, rule.performer)
            if rule.performer is Performer.APPLICANT and where != self.here.value:
                # 撤回 and 补正材料 are the citizen's, asked for where they applied: a handler's
                # clerk taking them would end (or "correct") a case no applicant asked about
                raise WrongNode(
                    f"{action.label}须由申请人在申请地 {where} 提出，本节点 {self.here} "
                    f"不能代为{action.label}：请申请人到申请地（收件的代办点或窗口）办理 "
                    f"({action.value.lower()} is asked for by "
                    f"the applicant where they applied, {where}, not at this node {self.here})"
                )
            if where != self.here.value:
                raise WrongNode(
                    f"{action.label}只能在{rule.performer.label} {where} 进行，"
                    f"本节点 {self.here} 不能{action.label}此办件 "
                    f"({action.value.lower()} is taken by {rule.performer.value} {where}, "
                    f"not at this node {self.here})"
                )
            if rule.performer is Performer.APPLICANT and case.handler != self.here.value:
                # asked for here, carried out by the handler: check now, so the clerk hears at once
                transition(State(case.state), action, accepted=case.accepted, instant=False)
                self._refuse_asked_again(session, case.id, action)
                # kept here as they are sent, before the hooks: a 补正's file may be a 容缺 material's
                case.materials.extend(files.stored(m, files.CORRECTION) for m in checked)
                for hook in self.hooks:
                    hook.before_request(session, case, action)
                asked_at = self.clock.now()
                sent = self._outbound.send(
                    session,
                    case.handler,
                    case_action=link_pb2.CaseActionRequest(
                        case_id=case.id,
                        action=action_to_proto(action),
                        note=note,
                        requested_at=to_timestamp(asked_at),
                        actor_person=by.on_record,
                        actor_department=by.department,
                        materials=[
                            material_to_proto(files.stored(m, files.CORRECTION), with_content=True)
                            for m in checked
                        ],
                    ),
                )
                requests.record(
                    session, case.id, action.value, self._outbound.route(case.handler)[0], sent, asked_at
                )
            else:
                case.materials.extend(files.stored(m, files.CORRECTION) for m in checked)
                self._change(
                    session, case, action, note, actor=self.here.value, days=days, by=by, correct=correct
                )
        # read back after the commit, so the writer's lock is not held for the reply's reads
        with self._readers() as session:
            return self._view(session, self._load(session, case.id))

    def _refuse_asked_again(self, session: Session, case_id: str, action: Action) -> None:
        """InvalidInput if the same request still waits for the handler's answer: a second click
        (or a second visit) would only be refused there, once the first was carried out."""
        asked = requests.waiting(session, case_id, action)
        if asked is None:
            return
        when = f"{shanghai(asked.requested_at)}（北京时间）"
        if not requests.has_left(session, asked):  # the link up is down: it has reached no one yet
            raise InvalidInput(
                f"{action.label}申请（{when}）保存在本点，尚未报送上级：与上级的连接恢复后自动报送，"
                "请勿重复申请；办理结果会显示在本办件的页面上 "
                f"(a {action.value} request for this case waits here for the link up)"
            )
        raise InvalidInput(
            f"{action.label}申请已于 {when}报送办理机构，正等待其办理，请勿重复申请；"
            "办理结果会显示在本办件的页面上 "
            f"(a {action.value} request for this case still waits for the handler's answer)"
        )

    def sent_requests(self, case_id: str) -> list[requests.SentRequest]:
        """What this node sent the case's handler (the case, 撤回, 补正材料) and where each stands."""
        with self._readers() as session:
            return requests.of_case(session, case_id)

    def get(self, case_id: str, by: Actor | None = None) -> case_pb2.Case:
        """One case in full; case_id may be any unique beginning of the id. by: the person asking,
        if they must be shown it (department staff, of another department's case handled here)."""
        with self._readers() as session:
            resolved = self._resolve(session, case_id, by)
            try:
                case = self._load(session, resolved)
            except NotFound as error:
                passed = passages(session, resolved)
                if not passed:
                    raise
                raise NotFound(self._passed_words(resolved, passed)) from error
            if by is not None:
                _require_sight(by, case, self.here)
            return self._view(session, case)

    def passed_through(self, case_id: str) -> bool:
        """Whether messages of this case, held elsewhere, were passed on here (see `passages`)."""
        with self._readers() as session:
            return bool(passages(session, case_id.strip().upper()))

    def _passed_words(self, case_id: str, passed: list[Passage]) -> str:
        """Why a case only passed through here has no page, and what is known of it: each of its
        messages, whence, whither and whether it arrived, the latest last (转送记录)."""
        lines = []
        for passage in passed:
            arrived = "对方已收到" if passage.delivered else "对方尚未收到，保存在本节点，连接恢复后自动转送"
            lines.append(
                f"{shanghai(passage.at)} {passage.what}：从 {self.place(passage.came_from)} 收到，"
                f"转往 {self.place(passage.went_to)}，{arrived}"
            )
        return (
            f"办件 {case_id} 不在本节点办理，本节点只转送它的消息、不保存副本，"
            "办理情况请到办理机构或申请地查询。"
            f"转送记录：{'；'.join(lines)} (case {case_id} only passed through this node)"
        )

    def result_waits(self, case_id: str) -> bool:
        """结果等待时间戳: the case was concluded here and its sealed result waits for the province's
        time-stamp; until the token comes nobody is handed the result (`_view` leaves it out)."""
        with self._readers() as session:
            return self.sealing is not None and self.sealing.awaiting(session, case_id.strip())

    def list_cases(
        self,
        state: State | None = None,
        role: str = "",
        limit: int = 100,
        department: str = "",
        offset: int = 0,
        taker: str = "",
        applied_here: bool = False,
    ) -> list[case_pb2.Case]:
        """This node's cases, newest first from `offset` (no materials, no events); with a
        `department`, what its staff are shown, and what `taker` took in (as `search`);
        applied_here: of those, only the ones applied for here (queues.recent)."""
        with self._readers() as session:
            here = self.here.value
            return queues.recent(session, here, state, role, limit, department, offset, taker, applied_here)

    def items_of(self, case_ids: Iterable[str]) -> dict[str, str]:
        """The item name of each of these cases this node holds a copy of (others are not here)."""
        wanted = sorted(set(case_ids))
        with self._readers() as session:
            return {
                case_id: item_name
                for start in range(0, len(wanted), 500)  # a bound parameter per id: in slices
                for case_id, item_name in session.execute(
                    select(Case.id, Case.item_name).where(Case.id.in_(wanted[start : start + 500]))
                )
            }

    def queue(self, which: str, department: str, limit: int = 50, offset: int = 0) -> list[case_pb2.Case]:
        """A department's queue here (待受理, 待审核, 待办结, 补正中, 即将超期), most urgent first."""
        with self._readers() as session:
            today = china_date(self.clock.now())
            return queues.queue(
                session, self.here.value, queues.queue_named(which), department, today, limit, offset
            )

    def queue_size(self, which: str, department: str) -> int:
        """How many cases a department's queue here holds."""
        with self._readers() as session:
            today = china_date(self.clock.now())
            return queues.queue_size(session, self.here.value, queues.queue_named(which), department, today)

    def search(
        self, text: str, limit: int = 50, department: str = "", taker: str = ""
    ) -> list[case_pb2.Case]:
        """Cases found by applicant or id; of those handled here, only `department`'s when given
        (and those `taker` took in, Actor.on_record)."""
        with self._readers() as session:
            here = self.here.value
            return queues.search(session, text, limit, here=here, department=department, taker=taker)

    def material(self, case_id: str, material_id: int, by: Actor | None = None) -> case_pb2.Material:
        """A material's file, for the handler's desk (and the point where it was given)."""
        with self._readers() as session:
            case = self._load(session, self._resolve(session, case_id, by))
            if by is not None:
                _require_sight(by, case, self.here)
            row = session.get(CaseMaterial, material_id)
            if row is None or row.case_id != case.id:
                raise NotFound(
                    f"办件 {case.id} 没有第 {material_id} 号材料：请从办件页面的材料链接打开 "
                    f"(case {case.id} has no material {material_id})"
                )
            return files.served(row, case.origin)

    # -- messages from other nodes (inside the link's transaction) -----------------------------

    def receive_submitted(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """A case submitted elsewhere arrives at its handler."""
        incoming = envelope.case_submitted.case
        if incoming.handler != self.here.value:
            raise InvalidInput(f"case {incoming.id} is for handler {incoming.handler}, not {self.here}")
        if incoming.origin != envelope.origin:
            raise InvalidInput(
                f"case {incoming.id} names origin {incoming.origin}, but {envelope.origin} sent it"
            )
        if not incoming.id.startswith(f"{envelope.origin}-"):
            raise InvalidInput(f"case id {incoming.id} does not carry its origin {envelope.origin}")
        if arrivals.exists(session, incoming.id):
            raise InvalidInput(f"case {incoming.id} exists already")
        problem = applicant_number_problem(incoming.applicant.id_number.strip())
        if problem:
            raise RefusedOnArrival(f"case {incoming.id}: {problem}")
        crossprovince.check_arrival(session, self.here, incoming)
        now = self.clock.now()
        fields = _copy_fields(incoming, now)
        held, department = arrivals.department(session, incoming.item_code)
        if held:  # the handler's own catalogue names the department (a partner's may not)
            fields["department"] = department
        materials = _copy_materials(incoming)
        # the first event names who took the application at the origin, as the origin's copy does;
        # the acting office is the origin (shown by name wherever events are shown)
        person = clean_text("person", envelope.case_submitted.submitted_by_person, 100)
        department = clean_text("department", envelope.case_submitted.submitted_by_department, 100)
        note = f"申请 {fields['item_name']}"
        at, route = from_timestamp(envelope.created_at), [*envelope.route, self.here.value]
        hooks = [hook for hook in self.hooks if hook.takes_part_in_new_copy(incoming)]
        if not hooks and arrivals.can_add_rows(session):
            self._add_arrived_rows(session, fields, materials, (note, person, department), at, route, now)
        else:
            arrivals.write_pending(session)
            case = Case(**fields, materials=[files.stored(m, purpose) for m, purpose in materials])
            register_new_copy(
                session,
                case,
                actor=case.origin,
                note=note,
                at=at,
                route=route,
                person=person,
                department=department,
            )
            session.add(CaseArrival(case_id=case.id, arrived_at=now, checked=False))  # 上报 on time?
            for hook in hooks:
                hook.on_new_copy(session, case, incoming)
        log.info("case %s arrived from %s", incoming.id, incoming.origin, extra=logs.case(incoming.id))

    def _add_arrived_rows(
        self,
        session: Session,
        fields: dict[str, Any],
        materials: list[tuple[Material, str]],
        submission: tuple[str, str, str],  # the first event's note, person and department
        at: datetime,
        route: list[str],
        now: datetime,
    ) -> None:
        """The same rows as the ORM path writes, kept for one Core executemany per table."""
        case_id = fields["id"]
        note, person, department = submission
        event = eventlog.append_row(
            session,
            case_id=case_id,
            version=1,
            action=None,
            from_state=None,
            to_state=State.SUBMITTED,
            actor_node=fields["origin"],
            note=note,
            at=at,
            route=route,
            actor_person=person,
            actor_department=department,
        )
        arrivals.add_rows(
            session,
            case=_CASE_DEFAULTS | fields,
            materials=[files.stored_row(m, purpose) | {"case_id": case_id} for m, purpose in materials],
            event_row=event,
            arrival={"case_id": case_id, "arrived_at": now, "checked": False},
        )

    def tell_refused(self, session: Session, envelope: link_pb2.Envelope, reason: str) -> None:
        """不予受理 on arrival: the case is not stored here, but its origin learns why (its copy's
        second event, made here, as the handler would have made it)."""
        incoming = envelope.case_submitted.case
        self._outbound.send(
            session,
            envelope.origin,
            case_event=link_pb2.CaseEventNotice(
                case_id=incoming.id, event=self._refusal(f"不予受理: {reason}")
            ),
        )

    def return_undeliverable(self, session: Session, envelope: link_pb2.Envelope, reason: str) -> None:
        """无法送达: a node on the way cannot reach the case's handler; the case goes back to its
        origin as refused (不予受理), with the reason. A node on the way is an ancestor of the
        handler, which the origin accepts this one event from (apply_event_notice)."""
        incoming = envelope.case_submitted.case
        refusal = self._refusal(f"无法送达, 不予受理: {reason}")
        if envelope.origin != self.here.value:
            notice = link_pb2.CaseEventNotice(case_id=incoming.id, event=refusal)
            self._outbound.send(session, envelope.origin, case_event=notice)
            return
        case = session.get(Case, incoming.id, with_for_update=True)
        if case is not None and case.state == State.SUBMITTED and case.version == 1:
            replay_event(session, case, refusal, [self.here.value])
            for hook in self.hooks:
                hook.after_change(session, case, Action.REFUSE)

    def _refusal(self, note: str) -> case_pb2.CaseEvent:
        return case_pb2.CaseEvent(
            version=2,
            action=action_to_proto(Action.REFUSE),
            from_state=state_to_proto(State.SUBMITTED),
            to_state=state_to_proto(State.REFUSED),
            actor_node=self.here.value,
            note=note,
            at=to_timestamp(self.clock.now()),
        )

    def apply_event_notice(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """The other copy of a case changed: replay its event here, in version order."""
        notice = envelope.case_event
        case = self._load(session, notice.case_id, for_update=True)
        event = notice.event
        returned = _returned_on_the_way(case, envelope.origin, event)
        if not returned and (
            envelope.origin not in (case.origin, case.handler) or envelope.origin == self.here.value
        ):
            raise InvalidInput(f"node {envelope.origin} holds no other copy of case {case.id}")
        if event.version <= case.version:
            _require_same_as_known(session, case, event, envelope.origin)
            return  # already known (e.g. the same event relayed twice after a restore)
        if event.version != case.version + 1:
            raise InvalidInput(
                f"case {case.id}: event version {event.version} arrived before {case.version + 1}"
            )
        from_state = state_from_proto(event.from_state)
        if from_state != case.state:
            raise InvalidInput(
                f"case {case.id}: event moves from {from_state.value} but this copy is in {case.state}"
            )
        action = action_from_proto(event.action)
        at_handler = envelope.origin == case.handler or returned
        performers = _PERFORMERS_AT_HANDLER if at_handler else {Performer.ORIGIN}
        if RULES[action].performer not in performers:
            raise WrongNode(f"case {case.id}: node {envelope.origin} may not {action.value.lower()} it")
        if event.sealed_result:
            if self.sealing is None:
                raise InvalidInput(
                    f"case {case.id}: a sealed result arrived but this node cannot check seals"
                )
            self.sealing.accept_received(session, case.id, event.sealed_result)
        replay_event(session, case, event, [*envelope.route, self.here.value])
        if at_handler:  # the time limit runs at the handler; the applicant's point shows its last day
            case.due_on = _day_or_none(notice.due_on, f"case {case.id}: due_on")
            if case.origin == self.here.value:  # the case, and a request of the action, got there
                requests.carried_out(session, case.id, action, self.clock.now())
        for hook in self.hooks:
            hook.after_change(session, case, action)

    def tell_action_refused(self, session: Session, envelope: link_pb2.Envelope, reason: str) -> None:
        """An applicant's request was not carried out here: its origin learns why (CaseActionRefused)."""
        request = envelope.case_action
        answer = link_pb2.CaseActionRefused(
            case_id=request.case_id, action=request.action, reason=reason, requested_at=request.requested_at
        )
        self._outbound.send(session, envelope.origin, case_action_refused=answer)

    def apply_action_refused(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """The handler's answer to a request sent from here that it could not carry out."""
        answer = envelope.case_action_refused
        case = self._load(session, answer.case_id)
        if case.origin != self.here.value or envelope.origin != case.handler:
            raise WrongNode(f"case {case.id}: only its handler answers its origin's requests")
        action = action_from_proto(answer.action)
        reason = clean_text("reason", answer.reason, MAX_NOTE_LENGTH)
        if not requests.refused(session, answer, action, self.clock.now()):
            log.warning("case %s: an answer to no waiting %s request", case.id, action.value)
            return
        log.info(
            "case %s: %s refused by its handler: %s", case.id, action.value, reason, extra=logs.case(case.id)
        )

    def apply_action_request(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """The applicant asked at the origin for an action only the handler may carry out."""
        request = envelope.case_action
        case = self._load(session, request.case_id, for_update=True)
        action = action_from_proto(request.action)
        if case.handler != self.here.value or envelope.origin != case.origin:
            raise WrongNode(f"case {case.id}: action requests go from its origin to its handler")
        if RULES[action].performer is not Performer.APPLICANT:
            raise WrongNode(f"{action.value} is not the applicant's to ask for")
        corrected = [checked_material(files.from_proto(m), arrived=True) for m in request.materials]
        item = catalog.item_of_case(session, case.item_code, case.catalog_version)
        files.check_sizes(item, corrected)
        files.check_corrections(item, corrected, (m.name for m in case.materials), _asked(case))
        case.materials.extend(files.stored(m, files.CORRECTION) for m in corrected)
        self._change(
            session,
            case,
            action,
            clean_text("note", request.note, MAX_NOTE_LENGTH),
            actor=case.origin,
            person=clean_text("person", request.actor_person, 100),
            department=clean_text("department", request.actor_department, 100),
        )

    def change_as_handler(
        self, session: Session, case: Case, action: Action, note: str, correct: Sequence[str] = ()
    ) -> None:
        """An action this node takes on a case it handles without a person at its desk (a 两地联办
        case following what its partner part asked), told to the case's origin as any other.
        correct: a 补正告知's materials to correct, of the case's item."""
        if case.handler != self.here.value:
            raise WrongNode(f"case {case.id} is handled at {case.handler}, not here")
        self._change(session, case, action, note, actor=self.here.value, correct=correct)

    # -- inside -------------------------------------------------------------------------------

    def _change(
        self,
        session: Session,
        case: Case,
        action: Action,
        note: str,
        actor: str,
        days: int = 0,
        by: Actor | None = None,
        person: str = "",
        department: str = "",
        correct: Sequence[str] = (),
    ) -> None:
        """Record action on case (one event); by: a person here, or person/department named by the origin.
        correct: a 补正告知's materials to correct, carried by its event to the origin."""
        if by is not None and by.is_person:
            person, department = by.on_record, by.department
        if action in _ENDS_SPECIAL_PROCEDURE and self._special_procedure_running(session, case):
            # the handler's own decision: its person ends the procedure; an applicant's 撤回: the node
            own = actor == self.here.value
            self._change(
                session,
                case,
                Action.RESUME,
                f"特别程序随{action.label}结束",
                actor=self.here.value,
                person=person if own else "",
                department=department if own else "",
            )
        # as the release the case was applied under had it: a later release that changes or
        # withdraws the item changes neither the case's time limit nor the seal its result takes
        item = catalog.item_of_case(session, case.item_code, case.catalog_version)
        step = transition(
            State(case.state), action, accepted=case.accepted, instant=bool(item and item.instant)
        )
        for hook in self.hooks:
            hook.before_change(session, case, action)
        from_state = case.state
        now = self.clock.now()
        case.state = step.to_state
        if step.outcome is not None:
            case.outcome = step.outcome
        case.accepted = case.accepted or action is Action.ACCEPT
        if action in (Action.ACCEPT, Action.REFUSE) and person and not case.responsible_person:
            case.responsible_person = person  # 首问负责: who received it answers for it
        case.version += 1
        case.updated_at = now
        event = eventlog.append(
            session,
            case_id=case.id,
            version=case.version,
            action=action,
            from_state=from_state,
            to_state=step.to_state,
            actor_node=actor,
            note=note,
            at=now,
            actor_person=person,
            actor_department=department,
            correct_materials=correct,
        )
        if case.handler == self.here.value:
            promised = item.promised_days if item is not None and not item.instant else 0
            statutory = item.statutory_days if item is not None else 0
            deadlines.track(session, case.id, action, promised, china_date(now), days, statutory)
            clock = session.get(CaseDeadline, case.id)
            case.due_on = clock.deadline if clock is not None and clock.open else None  # for the queues
        log.info("case %s: %s → %s", case.id, action.value, step.to_state, extra=logs.case(case.id))
        notice = event_to_proto(event, self.here.value)
        if step.to_state is State.CONCLUDED and self.sealing is not None:
            licence = None
            if item is not None and item.licence and step.outcome is Outcome.APPROVED and self._licences:
                licence = self._licences.issue(session, case, item)
            department = item.department if item else ""
            notice.sealed_result = self.sealing.seal_result(session, case, department, note, licence)
        other_copy = case.origin if self.here.value == case.handler else case.handler
        if other_copy != self.here.value:
            due_on = case.due_on.isoformat() if case.due_on and case.handler == self.here.value else ""
            message = link_pb2.CaseEventNotice(case_id=case.id, event=notice, due_on=due_on)
            # a result still waiting for its time-stamp holds its notice back until the token comes
            sealing = self.sealing
            held = (
                step.to_state is State.CONCLUDED
                and sealing is not None
                and sealing.hold_notice(session, case.id, other_copy, message)
            )
            if not held:
                if sealing is not None:
                    sealing.vouch_unrevoked(session, message)
                self._outbound.send(session, other_copy, case_event=message)
        for hook in self.hooks:
            hook.after_change(session, case, action)

    def _special_procedure_running(self, session: Session, case: Case) -> bool:
        """Whether the handler's clock of the case is stopped for a 特别程序 (a 补正 stops it in a
        state of its own)."""
        return (
            case.handler == self.here.value
            and State(case.state) in RULES[Action.RESUME].from_states
            and deadlines.stopped(session, case.id)
        )

    def _handler_for(self, session: Session, item: ServiceItem, home_division: str) -> DivisionCode:
        """The ancestor, at the item's handling tier, of the applicant's home or of this node; a
        home in another province is refused here (no 跨省通办 mode was chosen)."""
        try:
            tier = Tier.from_name(item.handling_tier)
        except ValueError as error:
            raise InvalidInput(f"{item.name} ({item.code}) names no usable handling tier: {error}") from error
        if self.here.tier is Tier.VILLAGE and tier >= Tier.VILLAGE:
            raise InvalidInput(
                f"{item.name} ({item.code}) is handled at {tier.label} level, which does not exist above "
                f"village {self.here}: refused"
            )
        example = f"（例如本点 {self.here.value}）"
        base = typed_division(HOME_FIELD, home_division, example) if home_division else self.here
        if base.province != self.here.province:
            raise InvalidInput(crossprovince.home_elsewhere(session, item, base))
        if base.tier < tier:
            raise InvalidInput(
                f"{item.name} 由{tier.label}级办理，请填写申请人户籍地区划代码（{tier.label}级或以下） "
                f"({item.name} is handled at {tier.label} level; this node is a {base.tier.label} node, "
                f"so give the applicant's home division at {tier.label} level or below)"
            )
        handler = base.ancestor_at(tier)
        self._require_route(handler)
        return handler

    def _require_route(self, handler: DivisionCode) -> None:
        if handler != self.here:
            try:
                self._outbound.route(handler.value)
            except NoRoute as error:
                raise InvalidInput(str(error)) from error

    def _where(self, case: Case, performer: Performer) -> str:
        if performer is Performer.HANDLER:
            return case.handler
        return case.origin  # ORIGIN, and APPLICANT: asked for there, carried out by the handler

    def _resolve(self, session: Session, case_id: str, by: Actor | None) -> str:
        """The id of the one case starting with case_id among those `by` is shown (all, for None)."""
        if by is None:
            return queues.resolve_id(session, case_id)
        seen = queues.seen_by(self.here.value, by.bound_department, by.on_record)
        return queues.resolve_id(session, case_id, seen)

    def _load(self, session: Session, case_id: str, *, for_update: bool = False) -> Case:
        query = select(Case).where(Case.id == case_id.strip())
        if for_update:
            query = query.with_for_update()
        case = session.scalars(query).one_or_none()
        if case is None:
            raise NotFound(f"本节点没有办件 {case_id} (no case {case_id!r} at node {self.here})")
        return case

    def _view(self, session: Session, case: Case) -> case_pb2.Case:
        session.flush()
        session.refresh(case, ["events"])
        view = case_to_proto(case, self.here.value)
        sealed = session.get(SealedResult, case.id)
        # a result waiting for its time-stamp is not handed out: it never leaves unattested
        if sealed is not None and not (self.sealing is not None and self.sealing.awaiting(session, case.id)):
            document = sealed.document
            view.sealed_result = (
                document if self.sealing is None else self.sealing.with_revocation_values(session, document)
            )
        cards = select(SupervisionCard).where(SupervisionCard.case_id == case.id)
        view.cards.extend(
            card_to_proto(card) for card in session.scalars(cards.order_by(SupervisionCard.raised_at))
        )
        for hook in self.hooks:
            hook.decorate(session, case, view)
        return view


def copy_from_proto(incoming: case_pb2.Case, updated_at: datetime) -> Case:
    """A new local copy (version 1, 申请) of a case another node sent, its text and materials checked."""
    materials = _copy_materials(incoming)
    return Case(
        **_copy_fields(incoming, updated_at),
        materials=[files.stored(m, purpose) for m, purpose in materials],
    )


def _copy_materials(incoming: case_pb2.Case) -> list[tuple[Material, str]]:
    """The materials a case came with, checked, each with its purpose."""
    return [
        (checked_material(files.from_proto(m), arrived=True), m.purpose or files.SUBMITTED)
        for m in incoming.materials
    ]


def _copy_fields(incoming: case_pb2.Case, updated_at: datetime) -> dict[str, Any]:
    """The columns of a new local copy of a case another node sent, its text checked."""
    return {
        "id": incoming.id,
        "item_code": incoming.item_code,
        "item_name": incoming.item_name,
        "origin": incoming.origin,
        "handler": incoming.handler,
        "home_division": incoming.home_division or None,
        "mode": incoming.mode or None,
        "joint_of": incoming.joint_of or None,
        "bundle_id": incoming.bundle_id or None,
        "state": State.SUBMITTED,
        "outcome": None,
        "applicant_name": clean_text(
            "applicant name", incoming.applicant.name, MAX_NAME_LENGTH, required=True
        ),
        "applicant_id_number": clean_text(
            "applicant id number", incoming.applicant.id_number, 32, required=True
        ),
        "applicant_phone": clean_text("applicant phone", incoming.applicant.phone, 32),
        "version": 1,
        "catalog_version": incoming.catalog_version or None,
        "accepted": False,
        "submitted_at": from_timestamp(incoming.submitted_at),
        "updated_at": updated_at,
        "department": incoming.department or None,
        "channel": incoming.channel or None,
        "responsible_person": incoming.responsible_person or None,
    }


# the form's 户籍地 field, for an item of this province (the 跨省通办 one: crossprovince.HOME)
HOME_FIELD = ("户籍地区划代码", "home division")

# the columns of a case row that an arriving case leaves unset (a Core executemany names them all)
_CASE_DEFAULTS: dict[str, Any] = {"due_on": None}


def _require_same_as_known(session: Session, case: Case, event: case_pb2.CaseEvent, sender: str) -> None:
    """An event of a version this copy holds is the same event sent again, or the two copies have
    forked: the other node was restored from a backup older than this event and acted again.
    Dropped silently, the applicant's point kept showing 受理 for a case its handler had refused;
    refused here instead, the envelope is quarantined and counted in `wuji node status`."""
    known = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.version == event.version)
    ).first()
    action = action_from_proto(event.action) if event.action else None
    to_state = state_from_proto(event.to_state)
    if known is None or (known.action == action and known.to_state == to_state):
        return
    held = (State(known.to_state).label, Action(known.action).label if known.action else "申请")
    came = (to_state.label, action.label if action is not None else "申请")
    raise InvalidInput(
        f"办件 {case.id} 的第 {event.version} 步与本节点所存不同（本节点：{held[1]}→{held[0]}，"
        f"{sender} 发来：{came[1]}→{came[0]}）：两个副本已分叉，多半是一方从较早的备份恢复后又办理了此件，"
        f"请两边人工核对 (the copies of the case disagree on event {event.version})"
    )


def _day_or_none(text: str, what: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InvalidInput(
            f"{what} {text} 不是日期，请按 2026-12-31 的格式填写 ({text!r} is not an ISO date)"
        ) from None


def register_new_copy(
    session: Session,
    case: Case,
    *,
    actor: str,
    note: str,
    at: datetime,
    route: Sequence[str] = (),
    by: Actor | None = None,
    person: str = "",
    department: str = "",
) -> CaseEvent:
    """Store a new copy of a case with its submission (version 1) in this node's event log: `by`
    the person here who took it, else `person` and `department` as the origin named them."""
    arrivals.added(session, case)
    session.add(case)
    return eventlog.append(
        session,
        case_id=case.id,
        version=1,
        action=None,
        from_state=None,
        to_state=State.SUBMITTED,
        actor_node=actor,
        note=note,
        at=at,
        route=route,
        actor_person=by.on_record if by is not None else person,
        actor_department=by.department if by is not None else department,
    )


def _returned_on_the_way(case: Case, sender: str, event: case_pb2.CaseEvent) -> bool:
    """A node between origin and handler returns a case it cannot deliver (无法送达): only 不予受理
    of a new case, and only from an ancestor of the handler (the node that holds it for the hop)."""
    try:
        on_the_way = DivisionCode.parse(sender).is_ancestor_of(DivisionCode.parse(case.handler))
    except InvalidDivisionCode:
        return False
    return (
        on_the_way
        and sender != case.origin
        and event.version == 2
        and event.action == action_to_proto(Action.REFUSE)
        and case.state == State.SUBMITTED
    )


def replay_event(session: Session, case: Case, event: case_pb2.CaseEvent, route: Sequence[str]) -> None:
    """Apply the other copy's event to this copy (its checks done by the caller) and log it here."""
    action = action_from_proto(event.action)
    from_state = case.state
    case.state = state_from_proto(event.to_state)
    if action in (Action.APPROVE, Action.DENY):
        case.outcome = Outcome.APPROVED if action is Action.APPROVE else Outcome.DENIED
    case.accepted = case.accepted or action is Action.ACCEPT
    case.version = event.version
    case.updated_at = utcnow()
    eventlog.append(
        session,
        case_id=case.id,
        version=event.version,
        action=action,
        from_state=State(from_state),
        to_state=case.state,
        actor_node=event.actor_node,
        note=event.note,
        at=from_timestamp(event.at),
        route=route,
        actor_person=clean_text("person", event.actor_person, 100),
        actor_department=clean_text("department", event.actor_department, 100),
        correct_materials=files.correction_names(event.correct_materials),
    )
    if action in (Action.ACCEPT, Action.REFUSE) and event.actor_person and not case.responsible_person:
        case.responsible_person = event.actor_person


DUTY_OF: dict[Action, Duty] = {
    Action.ACCEPT: Duty.RECEIVE,
    Action.REFUSE: Duty.RECEIVE,
    Action.REQUEST_CORRECTION: Duty.RECEIVE,
    Action.REVIEW: Duty.DECIDE,
    Action.APPROVE: Duty.DECIDE,
    Action.DENY: Duty.DECIDE,
    Action.RETURN: Duty.DECIDE,
    Action.SUSPEND: Duty.DECIDE,
    Action.RESUME: Duty.DECIDE,
    Action.EXTEND: Duty.DECIDE,
    Action.SUPPLEMENT: Duty.ON_BEHALF,
    Action.WITHDRAW: Duty.ON_BEHALF,
    Action.DELIVER: Duty.ON_BEHALF,
}


@dataclass(frozen=True)
class Taker:
    """Who took an application in, as its case's first event and channel recorded them."""

    person: str  # "name (login)"; "" for the node's operator
    department: str
    channel: str  # agent, window or online


def _channel(mode: str, asked: str, by: Actor) -> str:
    """网办 for online applications, 代办 at a village agent's desk, otherwise the window."""
    if mode == ONLINE or asked.strip() == "online":
        return "online"
    if asked.strip() not in ("", "window", "agent"):
        raise InvalidInput(f"channel {asked!r}: online, agent or window")
    if asked.strip():
        return asked.strip()
    return "agent" if by.role is not None and by.role.value == "agent" else "window"


__all__ = ["Applicant", "CaseService", "IllegalTransition", "Material", "Taker", "checked_material"]


def _asked(case: Case) -> str:
    """What the case's latest 补正告知 asked for, in its words ("" if none was made)."""
    asked = [e for e in case.events if e.action == Action.REQUEST_CORRECTION]
    return max(asked, key=lambda e: e.version).note if asked else ""


def _require_sight(by: Actor, case: Case, here: DivisionCode) -> None:
    """NotPermitted unless `by` is shown the case: Actor.require_sight, told who took it in here."""
    first = case.events[0] if case.events else None
    taker = (first.actor_person or "") if first is not None and first.actor_node == here.value else ""
    by.require_sight(here.value, case.handler, case.department or "", taker)
