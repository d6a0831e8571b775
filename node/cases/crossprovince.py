"""跨省通办 cases: the handler and item of each mode, and what a mode requires before 受理 and 办结.

- 异地代收代办 (PROXY): a window here receives and checks a case for an item of the applicant's home
  province; that province's node at the item's tier handles it; the result comes back here.
- 全程网办 (ONLINE): applied for online at the handler's province; the applicant's home province is
  asked to confirm identity facts over the peer link, and the handler accepts only once it has.
- 两地联办 (JOINT): one case with a part in each province; the residence province's handler starts
  the home province's part when it accepts the case and concludes only when that part has.
A pair of provinces agrees per item and mode (the item's `partner_modes`); anything else is refused
where it is asked for, and refused again on arrival (nothing is stored for it there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.cases.applicants import division_in_number, resident_id_problem, typed_division
from node.cases.states import Action, Outcome, State
from node.catalogue.items import CROSS_PROVINCE_MODES, JOINT, ONLINE, PROXY
from node.convert import outcome_to_proto, state_to_proto
from node.errors import IllegalTransition, InvalidInput, NotFound, RefusedOnArrival
from node.store.models import Case, IdentityCheck, PartnerItem, ServiceItem
from node.timeutil import to_timestamp, utcnow
from node.trust import partners
from wuji.divisions import DivisionCode, InvalidDivisionCode, Tier
from wuji.v1 import case_pb2, link_pb2


@dataclass(frozen=True)
class Plan:
    """Where a cross-province case goes and what it is judged by."""

    item_code: str
    item_name: str
    handler: DivisionCode
    catalog_version: int | None  # our release for our items; None for a partner's item


def plan(
    session: Session,
    here: DivisionCode,
    item_code: str,
    mode: str,
    home_division: str,
    place_division: str,
    own_item: Callable[[str], ServiceItem],
    catalog_version: int,
    applicant_number: str = "",
) -> Plan:
    """The handler and item of a new case in mode; InvalidInput says what the pair has not agreed."""
    if mode not in CROSS_PROVINCE_MODES:
        raise InvalidInput(
            f"请选择跨省通办方式：{'、'.join(CROSS_PROVINCE_MODES)} "
            f"(跨省通办 mode must be one of them, not {mode!r})"
        )
    home = _division(HOME, home_division, _home_hint(applicant_number))
    if home.province == here.province:
        raise InvalidInput(
            f"{mode}适用于户籍在外省的申请人，户籍地 {home} 在本省 "
            f"({mode} is for applicants whose home is in another province; {home} is in {here.province})"
        )
    partner = home.province.value
    if mode == PROXY:
        own = session.get(ServiceItem, item_code.strip())
        if own is not None and session.get(PartnerItem, (partner, item_code.strip())) is None:
            # not the partner's to open: an item of ours goes to our own handler
            raise InvalidInput(
                f"{own.name}（{own.code}）是本省事项，不能以{PROXY}交{province_name(session, partner)}办理："
                f"{_home_elsewhere_advice(session, own, partner, choose_here=True)} "
                f"(item {own.code} is this province's own: {PROXY} is for a partner's items)"
            )
        offered = _partner_item(session, partner, item_code, mode, here)
        tier = Tier.from_name(offered.handling_tier)
        return Plan(offered.code, offered.name, _ancestor(home, tier, offered.name), None)
    if session.get(ServiceItem, item_code.strip()) is None:
        theirs = partners.offered_item(session, item_code)
        if theirs is not None:  # a partner's item, applied for in that province: not taken in here
            raise InvalidInput(applied_in_its_province(theirs, province_name(session, theirs.province)))
    item = own_item(item_code)
    agreed = (item.partner_modes or {}).get(partner, [])
    if mode not in agreed:
        raise InvalidInput(
            _not_agreed(item.code, item.name, "本省", province_name(session, partner), mode, agreed)
        )
    if mode == JOINT:
        if not item.joint_item:
            raise InvalidInput(f"{item.name} ({item.code}) names no partner item for {JOINT}")
        _partner_item(session, partner, item.joint_item, JOINT, here)
    base = _division(PLACE, place_division) if place_division else here
    if base.province != here.province:
        raise InvalidInput(
            f"{mode}的事项由本省办理，办理地 {base} 在{province_name(session, base.province.value)}，"
            f"不在本省：请填写本省的办理地区划代码，或留空由本节点所在地办理 "
            f"({mode}: the item is handled in this province, not in {base.province})"
        )
    return Plan(
        item.code, item.name, _ancestor(base, Tier.from_name(item.handling_tier), item.name), catalog_version
    )


def own_window_modes(item: ServiceItem) -> list[str]:
    """The modes an application for an item of ours can be taken in with at a window here, for
    any partner: 全程网办, and 两地联办 where the item names the partner's part. 异地代收代办 of
    our item is what the partner's windows take in for us, never ours."""
    usable: list[str] = []
    for agreed in (item.partner_modes or {}).values():
        usable += [mode for mode in _usable_here(item, agreed) if mode not in usable]
    return usable


def home_elsewhere(session: Session, item: ServiceItem, home: DivisionCode) -> str:
    """Why an item of ours applied for without a 跨省通办 mode is refused at the window when the
    applicant's 户籍地 is in another province, and what the window can do instead. Sent on, it was
    refused there by an office that never saw it, in that province's name."""
    partner = home.province.value
    return (
        f"户籍地 {home} 在{_province_or_code(session, partner)}，{item.name}（{item.code}）是本省事项，"
        f"不交外省办理：{_home_elsewhere_advice(session, item, partner, choose_here=False)} "
        f"(home division {home} is in province {partner}: an item of this province is not sent there)"
    )


def _home_elsewhere_advice(session: Session, item: ServiceItem, partner: str, *, choose_here: bool) -> str:
    """What to do for an applicant whose 户籍 is in partner: have it handled here, a mode the
    two provinces agreed that a window here takes in, or apply in that province."""
    owner = _province_or_code(session, partner)
    here = "请选择本省办理并将户籍地留空" if choose_here else "请将户籍地留空"
    usable = _usable_here(item, (item.partner_modes or {}).get(partner, []))
    other = f"，或选择{'、'.join(usable)}" if usable else ""
    return f"由本窗口所在地办理的，{here}{other}；须由户籍地办理的，请申请人向{owner}申请"


def _province_or_code(session: Session, code: str) -> str:
    """A province as people name it, or, where no partner of that name is installed, its code as
    another province's (外省（110000000000）), not a bare number in a sentence."""
    return partners.province_names(session).get(code) or f"外省（{code}）"


def _usable_here(item: ServiceItem, agreed: list[str]) -> list[str]:
    return [mode for mode in agreed if mode == ONLINE or (mode == JOINT and item.joint_item)]


def province_name(session: Session, code: str) -> str:
    """A partner province as people name it (湖南省, the name its anchor was installed under with
    `wuji peer add --name`), else its code."""
    return partners.province_names(session).get(code) or code


def window_modes(offered: PartnerItem) -> list[str]:
    """The modes of a partner's item that a window here takes in: 异地代收代办 only. 全程网办 is
    applied for online in the handling province, and a 两地联办 part is started by the handler of
    the case here it belongs to."""
    return [mode for mode in offered.modes if mode == PROXY]


def applied_in_its_province(offered: PartnerItem, owner: str) -> str:
    """Why a window here does not take in a partner's item that only that province takes in."""
    how = {
        ONLINE: f"{ONLINE}由申请人在{owner}网上申请",
        # the partner's main item (its part is ours, started when the partner accepts it), or its
        # part of one of ours
        JOINT: f"{JOINT}由申请人向{owner}申请，{owner}受理后自动发起本省的联办部分"
        if offered.item.get("joint_item")
        else f"{JOINT}的联办部分由本省受理主件后自动发起",
    }
    ways = "；".join(how[mode] for mode in offered.modes if mode in how) or f"{owner}未开放{PROXY}"
    return (
        f"{offered.name}（{offered.code}）是{owner}的事项，{owner}对本省只开放"
        f"{'、'.join(offered.modes) or '（无）'}：{ways}，本窗口不能代收 "
        f"(item {offered.code} of {offered.province} is not taken in at windows here: {PROXY} is not open)"
    )


def check_arrival(session: Session, here: DivisionCode, incoming: case_pb2.Case) -> None:
    """At the handler: refuse a case in a mode its province has not agreed with the origin's."""
    origin = DivisionCode.parse(incoming.origin)
    if origin.province == here.province:  # within the province, or online / the main joint case
        if incoming.mode not in ("", ONLINE, JOINT) or (incoming.mode == JOINT and incoming.joint_of):
            raise RefusedOnArrival(f"case {incoming.id}: {incoming.mode} cases come from another province")
        if incoming.mode:
            home = DivisionCode.parse(incoming.home_division).province.value
            _require_agreed(session, here, incoming.item_code, home, incoming.mode)
        return
    if incoming.mode not in (PROXY, JOINT):
        raise RefusedOnArrival(
            f"未选择跨省通办方式（{PROXY}或{JOINT}）的办件不能跨省办理，{here.province} 不受理 "
            f"{origin.province} 报来的此件：户籍在外省的申请人请选择跨省通办方式重新申请 "
            f"(case {incoming.id} names no 跨省通办 mode)"
        )
    if incoming.mode == JOINT and not incoming.joint_of:
        raise RefusedOnArrival(f"case {incoming.id}: a {JOINT} part names the case it belongs to")
    _require_agreed(session, here, incoming.item_code, origin.province.value, incoming.mode)


def before_action(session: Session, case: Case, action: Action) -> None:
    """The handler's gate: 全程网办 waits for the identity answer; 两地联办 for its partner part."""
    if case.mode == ONLINE and action is Action.ACCEPT:
        check = session.get(IdentityCheck, case.id)
        if check is None or not check.answered:
            province = province_name(session, check.province) if check else "申请人户籍地省份"
            raise IllegalTransition(
                f"{ONLINE}办件须待 {province} 核验申请人身份后方可受理，尚未收到答复 "
                f"(case {case.id}: waiting for {province} to confirm the applicant's identity)"
            )
        if not check.confirmed:
            answerer = province_name(session, check.province)
            raise IllegalTransition(
                f"{answerer} 未能核验申请人身份：{check.detail}；请不予受理或请申请人核对身份信息 "
                f"(case {case.id}: {check.province} did not confirm the applicant's identity)"
            )
    if case.mode == JOINT and case.joint_of is None and action is Action.APPROVE:
        parts = joint_parts(session, case.id)
        pending = [p for p in parts if p.state not in (State.CONCLUDED, State.DELIVERED)]
        if not parts or pending:
            waiting = (
                "、".join(f"{p.id}（{p.handler}，{State(p.state).label}）" for p in pending) or "尚未开始"
            )
            raise IllegalTransition(
                f"{JOINT}：合作省的办件尚未办结（{waiting}），此件暂不能办结(准予) "
                f"(case {case.id}: the partner province's part is open)"
            )
        denied = [p for p in parts if p.outcome != Outcome.APPROVED]
        if denied:
            raise IllegalTransition(
                f"{JOINT}：合作省的办件 {denied[0].id} 已在 {denied[0].handler} 办结(不予)，"
                "此件只能办结(不予) "
                f"(case {case.id}: the partner's part was denied; the case can only be denied)"
            )


def before_request(case: Case, action: Action) -> None:
    """The origin's gate: a 两地联办 part is withdrawn only with its main case (the hook's cascade
    on the main case's 撤回, 办结·不予 or 退件). Withdrawn alone, by a clerk of the province that
    started it, it left the main case waiting for a part that would never be concluded."""
    if case.joint_of is not None and action is Action.WITHDRAW:
        raise IllegalTransition(
            f"{JOINT}的联办部分不能单独撤回：申请人撤回主件 {case.joint_of} 时，联办部分随之撤回 "
            f"(case {case.id} is the partner province's part of {case.joint_of}: it is withdrawn with it)"
        )


def joint_parts(session: Session, case_id: str) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.joint_of == case_id).order_by(Case.submitted_at)))


def part_view(part: Case) -> case_pb2.CasePart:
    return case_pb2.CasePart(
        case_id=part.id,
        handler=part.handler,
        item_name=part.item_name,
        state=state_to_proto(part.state),
        outcome=outcome_to_proto(part.outcome),
    )


def identity_view(check: IdentityCheck) -> case_pb2.IdentityCheck:
    return case_pb2.IdentityCheck(
        province=check.province, answered=check.answered, confirmed=check.confirmed, detail=check.detail
    )


# -- identity facts (全程网办) ----------------------------------------------------------------------


def identity_query(case: Case) -> link_pb2.IdentityQuery:
    return link_pb2.IdentityQuery(
        case_id=case.id,
        name=case.applicant_name,
        id_number=case.applicant_id_number,
        home_division=case.home_division or "",
        reply_to=case.handler,
    )


def expect_identity_answer(session: Session, case: Case) -> None:
    """At the handler: remember that the home province was asked (受理 waits for its answer)."""
    if case.home_division and session.get(IdentityCheck, case.id) is None:
        province = DivisionCode.parse(case.home_division).province.value
        session.add(IdentityCheck(case_id=case.id, province=province, asked_at=utcnow(), detail=""))


def answer_identity(here: DivisionCode, query: link_pb2.IdentityQuery, asker: str) -> link_pb2.IdentityAnswer:
    """At the home province: confirm what can be checked here — the home division is ours and the
    resident identity number (GB 11643) is well formed and was issued in this province."""
    if here.tier is not Tier.PROVINCE:
        raise InvalidInput("identity queries are answered by the applicant's home province")
    if DivisionCode.parse(asker).province == here.province:
        raise InvalidInput("identity queries come from a partner province")
    problem = _identity_problem(here, query)
    detail = problem or (
        # shown after the answering province's name (湖南省：核验通过 …), in the partner province
        f"身份核验：{query.name}，户籍地 {query.home_division}，身份证号码格式正确，由户籍地所在省签发"
    )
    return link_pb2.IdentityAnswer(
        case_id=query.case_id, confirmed=problem is None, detail=detail, answered_at=to_timestamp(utcnow())
    )


def record_identity_answer(session: Session, answer: link_pb2.IdentityAnswer, answerer: str) -> None:
    check = session.get(IdentityCheck, answer.case_id)
    if check is None:
        raise NotFound(f"no identity question is open for case {answer.case_id}")
    if answerer != check.province:
        raise InvalidInput(f"case {answer.case_id}: {answerer} answered a question put to {check.province}")
    check.answered, check.confirmed, check.detail = True, answer.confirmed, answer.detail
    check.answered_at = utcnow()


def _identity_problem(here: DivisionCode, query: link_pb2.IdentityQuery) -> str | None:
    try:
        home = DivisionCode.parse(query.home_division)
    except InvalidDivisionCode as error:
        return f"户籍地区划代码有误 (home division: {error})"
    if home.province != here:
        return f"户籍地 {home} 不在本省 (home division {home} is not in province {here})"
    problem = resident_id_problem(query.id_number)
    if problem:
        return f"身份证号码{problem}"
    if query.id_number[:2] != here.value[:2]:
        return f"身份证号码不是本省签发 (the identity number was not issued in province {here})"
    return None


def partner_item_for(session: Session, partner: str, code: str, here: DivisionCode) -> PartnerItem:
    """The partner's item that is the other part of a 两地联办 case."""
    return _partner_item(session, partner, code, JOINT, here)


def _partner_item(session: Session, partner: str, code: str, mode: str, here: DivisionCode) -> PartnerItem:
    offered = session.get(PartnerItem, (partner, code))
    if offered is None:
        raise InvalidInput(
            f"{province_name(session, partner)} 未向本省申请人开放事项 {code}：不在该省报来的跨省通办清单中 "
            f"(province {partner} has not opened item {code!r} to applicants of {here.province}; "
            "see `wuji peer items`)"
        )
    if mode not in offered.modes:
        raise InvalidInput(
            _not_agreed(
                offered.code, offered.name, province_name(session, partner), "本省", mode, offered.modes
            )
        )
    return offered


def _require_agreed(session: Session, here: DivisionCode, item_code: str, partner: str, mode: str) -> None:
    item = session.get(ServiceItem, item_code)
    if item is None:
        raise RefusedOnArrival(f"item {item_code!r} is not in this province's catalogue")
    agreed = (item.partner_modes or {}).get(partner, [])
    if mode not in agreed:
        raise RefusedOnArrival(_not_agreed(item.code, item.name, here.province.value, partner, mode, agreed))


def _not_agreed(code: str, name: str, owner: str, partner: str, mode: str, agreed: list[str]) -> str:
    terms = f"只能以{'、'.join(agreed)}办理" if agreed else "两省尚未约定任何办理方式"
    return (
        f"{name}（{code}）：{owner} 与 {partner} 未约定以{mode}办理，{terms} "
        f"(the two provinces have not agreed {mode} for it)"
    )


# the two division fields of a 跨省通办 application, as the form names them and in English
HOME = ("申请人户籍地区划代码", "home division")
PLACE = ("办理地区划代码", "place of handling")


def _division(what: tuple[str, str], value: str, hint: str = "") -> DivisionCode:
    label, english = what
    if not value.strip():
        raise InvalidInput(f"请填写{label}（跨省通办必填）{hint} ({english} is required for a 跨省通办 case)")
    return typed_division(what, value)


def _home_hint(applicant_number: str) -> str:
    """Where the applicant's number says their 户籍 was: the agent checks it against the 户口簿."""
    carried = division_in_number(applicant_number.strip().upper())
    if carried is None:
        return ""
    code, where = carried
    return f"：按申请人{where}为 {code}，户籍迁移过的请按户口簿填写"


def _ancestor(base: DivisionCode, tier: Tier, name: str) -> DivisionCode:
    if base.tier < tier:
        raise InvalidInput(
            f"{name} 由{tier.label}级办理，请填写{tier.label}级或以下的区划代码 "
            f"({name} is handled at {tier.label} level; give a division at {tier.label} level or below)"
        )
    return base.ancestor_at(tier)


__all__ = ["CROSS_PROVINCE_MODES", "JOINT", "ONLINE", "PROXY", "Plan"]
