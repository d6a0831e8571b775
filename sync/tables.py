"""Tables owned by the link layer: per-link cursors, the outbox, the inbox and quarantine.

They live in the node's one database, beside the node's own tables, so that an effect and the
messages it causes (or the record that a message was applied) commit in one transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class SyncBase(DeclarativeBase):
    pass


class LinkState(SyncBase):
    """The persisted cursors of one link, as seen from this node."""

    __tablename__ = "link_state"

    peer: Mapped[str] = mapped_column(String(12), primary_key=True)
    role: Mapped[str] = mapped_column(String(8))  # parent | child | peer
    next_seq: Mapped[int] = mapped_column(BigInteger, default=1)  # next seq to give an outgoing envelope
    acked_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # highest seq the peer has stored
    received_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # highest contiguous seq applied here
    last_contact: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # set by `wuji node restore` to next_seq as the backup held it: envelopes numbered from here on
    # were enqueued after the restore and are renumbered if the peer already holds those numbers
    restored_next_seq: Mapped[int | None] = mapped_column(BigInteger)


class OutboxEntry(SyncBase):
    """An envelope for the peer. Kept after the peer's acknowledgement for the retention window, so
    a peer restored from a backup can be sent again what it lost; then pruned."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("peer", "seq", name="uq_outbox_peer_seq"),
        Index("ix_outbox_created_at", "created_at"),  # pruning after the retention window
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    peer: Mapped[str] = mapped_column(String(12))
    seq: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InboxEntry(SyncBase):
    """Proof that envelope (peer, seq) was applied; written in the same transaction as its effect."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_message_id", "message_id"),)

    peer: Mapped[str] = mapped_column(String(12), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the case the envelope concerns, if any: what to send back should the peer lose it in a restore
    case_id: Mapped[str | None] = mapped_column(String(64))


class QuarantinedEnvelope(SyncBase):
    """An envelope that was refused: acknowledged so the link goes on, kept so an operator can act."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    peer: Mapped[str] = mapped_column(String(12))
    seq: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
