"""Between stored rows and the proto contract; nothing else in node/ builds case messages."""

from __future__ import annotations

from typing import Any, cast

from node.cases.states import Action, Outcome, State
from node.catalogue.items import canonical_item, row_to_item
from node.store.models import Case, CaseEvent, CaseMaterial, ItemClaim, ServiceItem, SupervisionCard
from node.timeutil import to_timestamp
from wuji.v1 import case_pb2, desk_pb2


# The enums' names to numbers, for every module (the casts: types-protobuf types an enum's Value() as
# int, while protoc's stubs want the enum's own type, an int subclass, in messages; the same number).
def state_to_proto(state: str | None) -> case_pb2.CaseState:
    return (
        cast(case_pb2.CaseState, case_pb2.CaseState.Value(state))
        if state
        else case_pb2.CASE_STATE_UNSPECIFIED
    )


def outcome_to_proto(outcome: str | None) -> case_pb2.Outcome:
    return (
        cast(case_pb2.Outcome, case_pb2.Outcome.Value(outcome)) if outcome else case_pb2.OUTCOME_UNSPECIFIED
    )


def action_to_proto(action: str | None) -> case_pb2.CaseAction:
    return (
        cast(case_pb2.CaseAction, case_pb2.CaseAction.Value(action))
        if action
        else case_pb2.CASE_ACTION_UNSPECIFIED
    )


def action_from_proto(value: int) -> Action:
    return Action(case_pb2.CaseAction.Name(value))


def state_from_proto(value: int) -> State:
    return State(case_pb2.CaseState.Name(value))


def event_to_proto(event: CaseEvent, recorded_at: str) -> case_pb2.CaseEvent:
    return case_pb2.CaseEvent(
        version=event.version,
        action=action_to_proto(event.action),
        from_state=state_to_proto(event.from_state),
        to_state=state_to_proto(event.to_state),
        actor_node=event.actor_node,
        note=event.note,
        at=to_timestamp(event.at),
        route=event.route,
        recorded_at_node=recorded_at,
        chain_hash=event.hash,
        actor_person=event.actor_person or "",
        actor_department=event.actor_department or "",
        correct_materials=event.correct_materials or [],
    )


def material_to_proto(material: CaseMaterial, *, with_content: bool) -> case_pb2.Material:
    return case_pb2.Material(
        name=material.name,
        sha256=material.sha256,
        content=material.content if with_content else b"",
        file_name=material.file_name or "",
        media_type=material.media_type or "",
        size=material.size if material.size is not None else len(material.content),
        licence=material.licence or "",
        purpose=material.purpose or "",
        id=material.id or 0,
    )


def case_summary(case: Any) -> case_pb2.Case:
    """The fields a list shows, from a Case row or a Core row of the same column names."""
    return case_pb2.Case(
        id=case.id,
        item_code=case.item_code,
        item_name=case.item_name,
        origin=case.origin,
        handler=case.handler,
        state=state_to_proto(case.state),
        outcome=outcome_to_proto(case.outcome),
        applicant=case_pb2.Applicant(
            name=case.applicant_name, id_number=case.applicant_id_number, phone=case.applicant_phone
        ),
        home_division=case.home_division or "",
        submitted_at=to_timestamp(case.submitted_at),
        updated_at=to_timestamp(case.updated_at),
        version=case.version,
        catalog_version=case.catalog_version or 0,
        mode=case.mode or "",
        joint_of=case.joint_of or "",
        department=case.department or "",
        channel=case.channel or "",
        responsible_person=case.responsible_person or "",
        due_on=case.due_on.isoformat() if case.due_on else "",
    )


def case_to_proto(
    case: Case, here: str, *, with_events: bool = True, with_content: bool = False
) -> case_pb2.Case:
    message = case_summary(case)
    message.materials.extend(material_to_proto(m, with_content=with_content) for m in case.materials)
    if with_events:
        message.events.extend(event_to_proto(event, here) for event in case.events)
    return message


def outcome_from_proto(value: int) -> Outcome | None:
    return None if value == case_pb2.OUTCOME_UNSPECIFIED else Outcome(case_pb2.Outcome.Name(value))


def item_to_proto(item: ServiceItem, claim: ItemClaim | None = None) -> desk_pb2.ServiceItem:
    message = desk_pb2.ServiceItem(
        code=item.code,
        name=item.name,
        type=item.type,
        department=item.department,
        handling_tier=item.handling_tier,
        instant=item.instant,
        statutory_days=item.statutory_days,
        promised_days=item.promised_days,
        legal_basis=item.legal_basis,
        materials=[
            desk_pb2.RequiredMaterial(
                name=str(m["name"]),
                required=bool(m.get("required", True)),
                deferrable=bool(m.get("deferrable", False)),
                form=str(m.get("form", "")),
                e_licence=bool(m.get("e_licence", False)),
            )
            for m in item.materials
        ],
        basic_code=item.basic_code,
        implementation_code=item.implementation_code,
        handling_code=item.handling_code,
        level=item.level,
        online_level=item.online_level,
        cross_province=item.cross_province,
        max_visits=item.max_visits,
        release_version=item.release_version,
        elements_json=canonical_item(row_to_item(item)).decode("utf-8"),
    )
    if claim is not None:
        message.claim.CopyFrom(
            desk_pb2.ItemClaim(
                item_code=claim.item_code,
                item_name=item.name,
                window_address=claim.window_address,
                phone=claim.phone,
                opening_hours=claim.opening_hours,
                local_notes=claim.local_notes,
            )
        )
    return message


def card_to_proto(card: SupervisionCard) -> case_pb2.SupervisionCard:
    return case_pb2.SupervisionCard(
        id=card.id,
        case_id=card.case_id,
        handler=card.handler,
        colour=card.colour,
        reason=card.reason,
        detail=card.detail,
        deadline=card.deadline.isoformat() if card.deadline else "",
        submitted_on=card.submitted_on.isoformat(),
        raised_at=to_timestamp(card.raised_at),
        closed_at=to_timestamp(card.closed_at) if card.closed_at else None,
        department=card.department or "",
        person=card.person or "",
        item_name=card.item_name or "",
    )
