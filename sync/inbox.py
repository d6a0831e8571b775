"""The inbox: the record of which (link, seq) have been applied, kept with their effects."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from sync.outbox import link_state
from sync.tables import InboxEntry, LinkState, QuarantinedEnvelope
from wuji.v1 import link_pb2


class SequenceGap(Exception):
    """An envelope arrived with a seq beyond the next expected one: the stream must restart."""


def received_seq(session: Session, peer: str, role: str) -> int:
    return link_state(session, peer, role).received_seq


def admit(state: LinkState, seq: int) -> bool:
    """True if envelope seq is the next one to apply; False if it was applied already.

    state: the link's cursor row, locked for the batch by the caller.
    """
    if seq <= state.received_seq:
        return False
    if seq != state.received_seq + 1:
        raise SequenceGap(f"link {state.peer}: expected seq {state.received_seq + 1}, got {seq}")
    return True


def record(session: Session, state: LinkState, envelope: link_pb2.Envelope) -> None:
    """Mark the envelope applied, in the transaction that applied it."""
    now = datetime.now(UTC)
    state.received_seq = envelope.seq
    state.last_contact = now
    session.add(
        InboxEntry(peer=state.peer, seq=envelope.seq, message_id=envelope.message_id, received_at=now)
    )


def quarantine(session: Session, peer: str, envelope: link_pb2.Envelope, reason: str) -> None:
    """Keep a refused envelope and why; it still counts as received so the link goes on."""
    session.add(
        QuarantinedEnvelope(
            peer=peer,
            seq=envelope.seq,
            message_id=envelope.message_id,
            reason=reason,
            envelope=envelope.SerializeToString(),
            received_at=datetime.now(UTC),
        )
    )
