"""The cases whose messages wait in a link's outbox: what stands still while that neighbour is away.

A province holds no copy of most 跨省通办 cases it passes on, so the outbox (the envelopes queued
for the partner and not yet acknowledged) is where it learns which cases wait on the partner.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from google.protobuf.message import DecodeError
from sqlalchemy import select
from sqlalchemy.orm import Session

from node.store.models import Case
from node.timeutil import as_utc
from sync import outbox
from wuji.v1 import link_pb2

# bodies that carry a whole case rather than its id
_WHOLE_CASE = ("case_submitted", "case_copy")


@dataclass(frozen=True)
class WaitingCase:
    case_id: str
    item_name: str  # "" where neither the envelope nor a copy held here names it
    messages: int  # envelopes of the case queued for the neighbour
    queued_at: datetime  # the oldest of them
    held_here: bool = False  # a copy of the case is kept at this node (its page can be opened)


def case_of(envelope: link_pb2.Envelope) -> tuple[str, str]:
    """(case id, item name) an envelope is about; ("", "") for one about no single case."""
    kind = envelope.WhichOneof("body")
    if kind is None:
        return "", ""
    body = getattr(envelope, kind)
    if kind in _WHOLE_CASE:
        return body.case.id, body.case.item_name
    return getattr(body, "case_id", ""), ""


def cases_waiting_for(session: Session, peer: str) -> list[WaitingCase]:
    """The cases with envelopes queued for peer and not yet acknowledged, longest waiting first."""
    found: dict[str, WaitingCase] = {}
    for entry in outbox.waiting(session, peer):
        try:
            case_id, item_name = case_of(link_pb2.Envelope.FromString(entry.envelope))
        except DecodeError:
            continue  # not ours to judge here: the link itself refuses to send it
        if not case_id:
            continue
        earlier = found.get(case_id)
        found[case_id] = WaitingCase(
            case_id,
            (earlier.item_name if earlier else "") or item_name,
            (earlier.messages if earlier else 0) + 1,
            earlier.queued_at if earlier else as_utc(entry.created_at),
        )
    # a case held here names its item where its envelopes (events, requests) do not
    rows = session.execute(select(Case.id, Case.item_name).where(Case.id.in_(list(found))))
    for case_id, held_name in rows:
        case = found[case_id]
        found[case_id] = replace(case, item_name=case.item_name or held_name, held_here=True)
    return list(found.values())


def has_waiting(session: Session, peer: str, case_id: str) -> bool:
    """True if an envelope about case_id waits in peer's outbox."""
    return any(case.case_id == case_id for case in cases_waiting_for(session, peer))
