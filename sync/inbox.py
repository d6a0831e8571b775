"""The inbox: the record of which (link, seq) have been applied, kept with their effects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, bindparam, exists, func, insert, not_, select
from sqlalchemy.orm import Session

from sync.origin import CERTIFICATE_REFUSED
from sync.tables import InboxEntry, QuarantinedEnvelope
from wuji.v1 import link_pb2

MAX_CASE_ID_LENGTH = 64  # the width of inbox.case_id


class SequenceGap(Exception):
    """An envelope arrived with a seq beyond the next expected one: the stream must restart."""


# statements of every batch, built once (building one costs more than SQLite running it)
_RECEIVED_SEQ = select(func.max(InboxEntry.seq)).where(InboxEntry.peer == bindparam("peer"))
_RECORD = insert(InboxEntry)


def received_seq(session: Session, peer: str) -> int:
    """The highest seq applied from peer (contiguous by construction: see admit)."""
    return session.scalar(_RECEIVED_SEQ, {"peer": peer}) or 0


def admit(received: int, peer: str, seq: int) -> bool:
    """True if envelope seq is the next one to apply after received; False if it was applied already.

    The cursor is read from the inbox itself, not kept in link_state: a receiving transaction then
    locks no link_state row, so it cannot deadlock with a transaction enqueueing the other way.
    A link's first envelope may come past 1: a new database (a replacement machine) is sent what
    the peer kept of the link, not what it pruned after its retention window (see outbox.resume).
    """
    if seq <= received:
        return False
    if seq != received + 1 and received > 0:
        raise SequenceGap(f"link {peer}: expected seq {received + 1}, got {seq}")
    return True


def record(session: Session, peer: str, envelopes: Sequence[link_pb2.Envelope]) -> None:
    """Mark the envelopes applied, in the transaction that applied them: one multi-row insert
    for a batch rather than an ORM object per envelope."""
    if not envelopes:
        return
    now = datetime.now(UTC)
    session.execute(
        _RECORD,
        [
            {
                "peer": peer,
                "seq": e.seq,
                "message_id": e.message_id,
                "received_at": now,
                "case_id": case_of(e),
            }
            for e in envelopes
        ],
    )


# bodies whose message names the case it concerns in its case_id
_NAMING_A_CASE = frozenset(
    {
        "case_event",
        "case_action",
        "case_action_refused",
        "case_rating",
        "rating_appeal",
        "appeal_decision",
        "rectification",
        "supervision_card",
        "material_supplied",
        "post_check_result",
    }
)


def case_of(envelope: link_pb2.Envelope) -> str | None:
    """The case an envelope concerns, if its body names one (an over-long id is not a case id)."""
    body = envelope.WhichOneof("body")
    if body in ("case_submitted", "case_copy"):
        case_id = getattr(envelope, body).case.id
    elif body in _NAMING_A_CASE:
        case_id = getattr(envelope, body).case_id
    else:
        return None
    return case_id if 0 < len(case_id) <= MAX_CASE_ID_LENGTH else None


def cases_applied_after(session: Session, peer: str, seq: int) -> list[str]:
    """The cases concerned by envelopes from peer applied here with a seq above seq."""
    query = (
        select(InboxEntry.case_id)
        .where(InboxEntry.peer == peer, InboxEntry.seq > seq, InboxEntry.case_id.is_not(None))
        .distinct()
    )
    return [case_id for case_id in session.scalars(query) if case_id]


def applied_before(session: Session, peer: str, envelope: link_pb2.Envelope) -> bool:
    """True if a message with this envelope's id was applied from peer under an earlier seq."""
    query = select(InboxEntry.seq).where(
        InboxEntry.peer == peer, InboxEntry.message_id == envelope.message_id, InboxEntry.seq < envelope.seq
    )
    return session.scalars(query.limit(1)).first() is not None


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


def settle_signed_again(session: Session) -> list[str]:
    """Drop the quarantined envelopes refused for their origin's certificate (revoked with its
    parent's CA, say) whose message has been applied here since, signed anew by the origin once it
    was enrolled again; the message ids of those dropped. The others stay, and count in the node's
    status, until their origin sends them again."""
    # the link's words stand in brackets after the node's Chinese ones (federation.origin_refused_words)
    refused = select(QuarantinedEnvelope).where(QuarantinedEnvelope.reason.contains(CERTIFICATE_REFUSED))
    settled = []
    for row in session.scalars(refused):
        applied = exists().where(
            InboxEntry.message_id == row.message_id,
            not_(and_(InboxEntry.peer == row.peer, InboxEntry.seq == row.seq)),
            ~exists().where(
                QuarantinedEnvelope.peer == InboxEntry.peer, QuarantinedEnvelope.seq == InboxEntry.seq
            ),
        )
        if session.scalar(select(applied)):
            session.delete(row)
            settled.append(row.message_id)
    return settled
