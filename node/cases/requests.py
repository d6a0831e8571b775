"""Where what a point sent its case's handler stands: the case itself, a 撤回, 补正材料.

A village point keeps taking cases while its link is down, and an applicant may withdraw while the
handler is concluding. The citizen asks the point "has it gone up? was my 撤回 done?", so each
thing sent is recorded with its place on the link (`CaseRequest`): still on this node until the
parent acknowledges that envelope, then on its way until the handler's answer comes back, which is
either an event of the action (carried out) or a CaseActionRefused naming why not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from node.cases.states import Action
from node.store.models import CaseRequest
from node.timeutil import as_utc, from_timestamp
from sync.tables import LinkState
from wuji.v1 import link_pb2

SUBMIT = "SUBMIT"  # the case itself, as CaseRequest.action


@dataclass(frozen=True)
class SentRequest:
    """One thing sent for a case, as the point shows it."""

    action: str  # SUBMIT or an Action's value
    requested_at: datetime
    left: bool  # the parent has stored it: it is no longer only on this node
    answered_at: datetime | None
    refusal: str  # the handler's reason, when it was not carried out

    @property
    def what(self) -> str:
        return "办件报送" if self.action == SUBMIT else f"{Action(self.action).label}申请"


def record(
    session: Session, case_id: str, action: str, peer: str, envelope: link_pb2.Envelope, at: datetime
) -> None:
    """The envelope just enqueued (its seq given) to peer carries the case or a request for it,
    made at `at` (a request's own time, which the handler's answer names)."""
    session.add(
        CaseRequest(
            case_id=case_id,
            action=action,
            peer=peer,
            seq=envelope.seq,
            requested_at=at,
            answered_at=None,
            refusal="",
        )
    )


def waiting(session: Session, case_id: str, action: Action) -> CaseRequest | None:
    """A request of this action for the case still without the handler's answer."""
    query = select(CaseRequest).where(
        CaseRequest.case_id == case_id,
        CaseRequest.action == action.value,
        CaseRequest.answered_at.is_(None),
    )
    return session.scalars(query.limit(1)).first()


def has_left(session: Session, request: CaseRequest) -> bool:
    """Whether the parent has stored the envelope that carries the request (acknowledged its seq)."""
    acked = session.scalar(select(LinkState.acked_seq).where(LinkState.peer == request.peer))
    return acked is not None and acked >= request.seq


def carried_out(session: Session, case_id: str, action: Action, at: datetime) -> None:
    """An event of the case came back from its handler: the case arrived there, and a request of
    this action (if one waits) was carried out."""
    session.execute(
        update(CaseRequest)
        .where(
            CaseRequest.case_id == case_id,
            CaseRequest.action.in_((SUBMIT, action.value)),
            CaseRequest.answered_at.is_(None),
        )
        .values(answered_at=at)
    )


def refused(session: Session, answer: link_pb2.CaseActionRefused, action: Action, at: datetime) -> bool:
    """The handler could not carry out the request answer names; False if no such request waits."""
    asked_at = from_timestamp(answer.requested_at)
    for request in session.scalars(
        select(CaseRequest).where(
            CaseRequest.case_id == answer.case_id,
            CaseRequest.action == action.value,
            CaseRequest.answered_at.is_(None),
        )
    ):
        if as_utc(request.requested_at) == asked_at:
            request.answered_at, request.refusal = at, answer.reason
            return True
    return False


def of_case(session: Session, case_id: str) -> list[SentRequest]:
    """What was sent for the case, oldest first, with whether each has left this node."""
    rows = session.execute(
        select(CaseRequest, LinkState.acked_seq)
        .outerjoin(LinkState, LinkState.peer == CaseRequest.peer)
        .where(CaseRequest.case_id == case_id)
        .order_by(CaseRequest.id)
    )
    return [
        SentRequest(
            action=request.action,
            requested_at=as_utc(request.requested_at),
            left=acked is not None and acked >= request.seq,
            answered_at=as_utc(request.answered_at) if request.answered_at else None,
            refusal=request.refusal,
        )
        for request, acked in rows
    ]
