"""What a node that only passes a case on knows of it (转送记录): the case's messages it relayed,
from which neighbour, to which, and whether that neighbour has them.

A township keeps no copy of a village's case handled at the county; when the village phones "where
is our case?", these are the township's answer: the application went up to the county on such a
day, the county's 退件 came down and waits for the village, which has been offline. They come from
the link tables: the inbox row that records each applied envelope (with the case it concerns) and
the outbox entry of its relay (kept for the outbox's retention window, `outbox_retention_days`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from google.protobuf.message import DecodeError
from sqlalchemy import select
from sqlalchemy.orm import Session

from node.cases.states import Action
from node.timeutil import as_utc
from sync.tables import InboxEntry, LinkState, OutboxEntry
from wuji.v1 import case_pb2, link_pb2

# an envelope's relay is enqueued in the transaction that records its arrival: the same moment,
# give or take a slow commit; the window lets the look-up use the outbox's created_at index
_RELAY_WINDOW = timedelta(minutes=5)

# the kinds of message a village's point is asked about, in its words
_WHAT = {
    "case_action": "申请人的请求",
    "material_supplied": "补交的材料",
    "case_rating": "好差评",
    "case_action_refused": "请求未被办理的答复",
    "post_check_result": "核查结果",
    "rectification": "差评整改",
}


@dataclass(frozen=True)
class Passage:
    """One message of the case that arrived here and was sent on."""

    at: datetime  # when it arrived here (UTC)
    came_from: str  # the neighbour it came from (a division code)
    went_to: str  # the neighbour it was sent on to
    what: str  # what it was, in words: 申请, 办理进展：退件, 申请人的请求（撤回）…
    delivered: bool  # the neighbour it was sent on to has acknowledged it


def passages(session: Session, case_id: str) -> list[Passage]:
    """The case's messages this node relayed, oldest first; [] where none passed here (or their
    relays were pruned after the retention window). The inbox has no index on the case: this is
    for a look-up by hand, not for pages listing many cases."""
    arrivals = session.execute(
        select(InboxEntry.peer, InboxEntry.message_id, InboxEntry.received_at)
        .where(InboxEntry.case_id == case_id)
        .order_by(InboxEntry.received_at, InboxEntry.seq)
    ).all()
    acked: dict[str, int] = {}
    found: list[Passage] = []
    for came_from, message_id, received_at in arrivals:
        at = as_utc(received_at)
        relay = session.scalars(
            select(OutboxEntry)
            .where(
                OutboxEntry.created_at.between(at - _RELAY_WINDOW, at + _RELAY_WINDOW),
                OutboxEntry.message_id == message_id,
            )
            .limit(1)
        ).first()
        if relay is None:  # applied here (a card, a rollup), not passed on; or pruned
            continue
        if relay.peer not in acked:
            state = session.get(LinkState, relay.peer)
            acked[relay.peer] = state.acked_seq if state is not None else 0
        delivered = relay.seq <= acked[relay.peer]
        found.append(Passage(at, came_from, relay.peer, _what(relay.envelope), delivered))
    return found


def _what(stored: bytes) -> str:
    try:
        envelope = link_pb2.Envelope.FromString(stored)
    except DecodeError:
        return "办件消息"
    kind = envelope.WhichOneof("body")
    if kind in ("case_submitted", "case_copy"):
        return "申请"
    if kind == "case_event":
        return f"办理进展：{_action_words(envelope.case_event.event.action)}"
    if kind == "case_action":
        return f"申请人的请求（{_action_words(envelope.case_action.action)}）"
    return _WHAT.get(kind or "", "办件消息")


def _action_words(action: int) -> str:
    name = case_pb2.CaseAction.Name(action)
    return Action(name).label if name in Action.__members__ else "申请"
