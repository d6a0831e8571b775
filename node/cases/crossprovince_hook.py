"""跨省通办 on the copies of a case (a CaseHook): what the modes add once a case exists.

- 全程网办: the origin asks the applicant's home province to confirm identity facts; the handler
  remembers the question and accepts only once a confirming answer came (node/cases/crossprovince.py).
- 两地联办: the handler's 受理 starts the home province's part, a case of its own; 办结·准予 waits
  for it; 撤回, 办结·不予 or 退件 of the case withdraws it; the case's view lists its parts. A 补正
  the partner asks of its part becomes the case's 补正 (the citizen's point learns what to bring),
  and the files the citizen brings for it go on to the part.
Where a case goes and whether the pair agreed its mode is decided before it exists, in
node/cases/crossprovince.py, called by the case service.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from ulid import ULID

from node.cases import crossprovince
from node.cases.materials import CORRECTION
from node.cases.service import CaseHook, register_new_copy
from node.cases.states import Action, State, transition
from node.catalogue import items as catalog
from node.catalogue.items import JOINT, ONLINE
from node.clock import Clock
from node.convert import action_to_proto, case_to_proto, material_to_proto
from node.errors import IllegalTransition, InvalidInput
from node.store.models import Case, CaseEvent, CaseMaterial, IdentityCheck, SealedResult, ServiceItem
from node.store.outbound import Outbound
from node.timeutil import to_timestamp, utcnow
from wuji.divisions import DivisionCode, Tier
from wuji.v1 import case_pb2, link_pb2

# how a 两地联办 case ends at its handler without the grant its parts are for
_ENDED_UNGRANTED = frozenset({Action.WITHDRAW, Action.DENY, Action.RETURN})

# the case service's change of a case handled here, told to its origin (CaseService.change_as_handler)
# (its session, case, action, note and the item's materials a 补正告知 names to correct)
ChangeAsHandler = Callable[[Session, Case, Action, str, Sequence[str]], None]


class CrossProvinceCases(CaseHook):
    def __init__(
        self, here: DivisionCode, outbound: Outbound, clock: Clock, change_as_handler: ChangeAsHandler
    ) -> None:
        self.here = here
        self._outbound = outbound
        self._clock = clock
        self._change_as_handler = change_as_handler

    def takes_part_in_new_copy(self, message: case_pb2.Case) -> bool:
        return message.mode == ONLINE

    def on_new_copy(self, session: Session, case: Case, message: case_pb2.Case | None) -> None:
        if case.mode != ONLINE:
            return
        if case.handler == self.here.value:  # 受理 waits for the home province's answer
            crossprovince.expect_identity_answer(session, case)
        if case.origin == self.here.value:  # applied for here: ask the home province
            home_province = DivisionCode.parse(case.home_division or "").province.value
            self._outbound.send(session, home_province, identity_query=crossprovince.identity_query(case))

    def before_change(self, session: Session, case: Case, action: Action) -> None:
        if case.handler == self.here.value:
            crossprovince.before_action(session, case, action)

    def before_request(self, session: Session, case: Case, action: Action) -> None:
        crossprovince.before_request(case, action)

    def after_change(self, session: Session, case: Case, action: Action) -> None:
        if case.mode != JOINT:
            return
        if case.joint_of is not None and case.origin == self.here.value:  # our part, changed there
            if action is Action.REQUEST_CORRECTION:
                self._ask_correction_for_part(session, case)
            self._copy_part_to_citizens_point(session, case)
            return
        if case.handler != self.here.value or case.joint_of is not None:
            return
        if action is Action.ACCEPT:
            self._start_joint_part(session, case)
        elif action in _ENDED_UNGRANTED:
            self._withdraw_joint_parts(session, case, action)
        elif action is Action.SUPPLEMENT:
            self._supply_parts_awaiting_correction(session, case)
        elif action is Action.REVIEW:
            self._ask_parts_corrections(session, case)

    def _ask_correction_for_part(self, session: Session, part: Case) -> None:
        """The partner asked a 补正 of the part: the case it belongs to, handled here, asks it of
        the citizen, in the partner's words. Before, the request stopped here, at the part's
        origin: the village where the citizen applied never learnt what to bring."""
        main = session.get(Case, part.joint_of, with_for_update=True)
        if main is not None and main.handler == self.here.value:
            self._ask_of_citizen(session, main, part)

    def _ask_parts_corrections(self, session: Session, case: Case) -> None:
        """审核 began here: 补正 a part was asked for while the case was only 受理'd (no 补正 is
        asked of a case before its 审核) is asked of the citizen now."""
        for part in crossprovince.joint_parts(session, case.id):
            if part.state == State.CORRECTION_REQUESTED:
                self._ask_of_citizen(session, case, part)
                return  # one 补正告知 at a time: the case is in 补正 now

    def _ask_of_citizen(self, session: Session, main: Case, part: Case) -> None:
        try:
            transition(State(main.state), Action.REQUEST_CORRECTION, accepted=main.accepted, instant=False)
        except IllegalTransition:
            return  # 受理'd, not yet in 审核 (asked then), or in a 补正 of its own already
        asked = session.execute(
            select(CaseEvent.note, CaseEvent.correct_materials)
            .where(CaseEvent.case_id == part.id, CaseEvent.action == Action.REQUEST_CORRECTION)
            .order_by(CaseEvent.version.desc())
            .limit(1)
        ).one_or_none()
        words, named = (asked.note, asked.correct_materials or []) if asked is not None else ("", [])
        # the partner's names that the case's own item lists are the village's to offer first; any
        # other (its item is the partner's) is said in the note, so nothing it asked for is lost
        item = catalog.item_of_case(session, main.item_code, main.catalog_version)
        listed = {str(m["name"]) for m in item.materials} if item is not None else set()
        ours = [name for name in named if name in listed]
        others = "、".join(name for name in named if name not in listed)
        words = "；".join(said for said in (others, words) if said)
        province = crossprovince.province_name(session, DivisionCode.parse(part.handler).province.value)
        note = f"{JOINT}：{province}办理的联办部分 {part.id}（{part.item_name}）要求补正：{words}"
        self._change_as_handler(session, main, Action.REQUEST_CORRECTION, note, ours)

    def _copy_part_to_citizens_point(self, session: Session, part: Case) -> None:
        """The point where the citizen applied for the case (a village) holds a copy of the part
        too, brought up to date on each of its changes, with its sealed result: its case page
        lists the part's state and result. Before, only this node, which started the part, knew
        how the partner's side went."""
        main = session.get(Case, part.joint_of)
        if main is None or main.origin == self.here.value:
            return
        session.flush()
        session.expire(part, ["events"])  # the event just recorded is not in the loaded list
        copy = link_pb2.CaseCopy(
            case=case_to_proto(part, self.here.value, with_events=True, with_content=True)
        )
        sealed = session.get(SealedResult, part.id)
        if sealed is not None:
            copy.case.sealed_result = sealed.document
        self._outbound.send(session, main.origin, case_copy=copy)

    def _supply_parts_awaiting_correction(self, session: Session, case: Case) -> None:
        """The citizen brought the 补正 at the case's point of application: the files the part
        holds a material of go on to it, asked as its origin (this node) asks."""
        for part in crossprovince.joint_parts(session, case.id):
            if part.state != State.CORRECTION_REQUESTED:
                continue
            wanted = {m.name for m in part.materials}
            latest: dict[str, CaseMaterial] = {}
            for material in case.materials:
                if material.purpose == CORRECTION and material.name in wanted:
                    latest[material.name] = material
            self._outbound.send(
                session,
                part.handler,
                case_action=link_pb2.CaseActionRequest(
                    case_id=part.id,
                    action=action_to_proto(Action.SUPPLEMENT),
                    note=f"{JOINT}主件 {case.id} 的补正材料",
                    requested_at=to_timestamp(utcnow()),
                    materials=[material_to_proto(m, with_content=True) for m in latest.values()],
                ),
            )

    def decorate(self, session: Session, case: Case, view: case_pb2.Case) -> None:
        if case.mode == JOINT:  # the parts of a 两地联办 case, at its handler
            parts = crossprovince.joint_parts(session, case.id)
            view.parts.extend(crossprovince.part_view(part) for part in parts)
        check = session.get(IdentityCheck, case.id) if case.mode == ONLINE else None
        if check is not None:
            view.identity_check.CopyFrom(crossprovince.identity_view(check))

    def _withdraw_joint_parts(self, session: Session, case: Case, action: Action) -> None:
        """两地联办 ended here without a grant (撤回, 办结·不予, 退件): the home province's part, still
        open there, is withdrawn, asked as its origin asks (this node). Left open, 广东 went on to
        approve a 迁出 for a 迁入 that no longer was: a household struck off with nowhere to go."""
        for part in crossprovince.joint_parts(session, case.id):
            try:
                transition(State(part.state), Action.WITHDRAW, accepted=part.accepted, instant=False)
            except IllegalTransition:
                continue  # concluded there already: nothing to withdraw, and its result stands
            self._outbound.send(
                session,
                part.handler,
                case_action=link_pb2.CaseActionRequest(
                    case_id=part.id,
                    action=action_to_proto(Action.WITHDRAW),
                    note=f"{JOINT}主件 {case.id} 已{action.label}，联办部分随之撤回",
                    requested_at=to_timestamp(utcnow()),
                ),
            )

    def _start_joint_part(self, session: Session, case: Case) -> None:
        """两地联办: on 受理, send the home province's part to its handler there (once)."""
        if case.joint_of is not None or crossprovince.joint_parts(session, case.id):
            return
        item = session.get(ServiceItem, case.item_code)
        if item is None or not item.joint_item or not case.home_division:
            raise InvalidInput(f"case {case.id}: {JOINT} needs the item's partner part and a home division")
        home = DivisionCode.parse(case.home_division)
        offered = crossprovince.partner_item_for(session, home.province.value, item.joint_item, self.here)
        handler = home.ancestor_at(Tier.from_name(offered.handling_tier))
        now = self._clock.now()
        part = Case(
            id=f"{self.here.value}-{ULID()}",
            item_code=offered.code,
            item_name=offered.name,
            origin=self.here.value,
            handler=handler.value,
            home_division=case.home_division,
            mode=JOINT,
            joint_of=case.id,
            state=State.SUBMITTED,
            outcome=None,
            applicant_name=case.applicant_name,
            applicant_id_number=case.applicant_id_number,
            applicant_phone=case.applicant_phone,
            version=1,
            catalog_version=None,
            accepted=False,
            submitted_at=now,
            updated_at=now,
            department=case.department,
            channel=case.channel,
            materials=[
                CaseMaterial(
                    name=m.name,
                    sha256=m.sha256,
                    content=m.content,
                    file_name=m.file_name,
                    media_type=m.media_type,
                    size=m.size,
                    purpose=m.purpose,
                )
                for m in case.materials
            ],
        )
        note = f"{JOINT}：{offered.name}（办件 {case.id} 的联办部分）"
        register_new_copy(session, part, actor=self.here.value, note=note, at=now)
        self._copy_part_to_citizens_point(session, part)
        self._outbound.send(
            session,
            handler.value,
            case_submitted=link_pb2.CaseSubmitted(
                case=case_to_proto(part, self.here.value, with_events=False, with_content=True)
            ),
        )
