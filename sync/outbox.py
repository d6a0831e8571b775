"""The transactional outbox: messages are enqueued in the caller's transaction, sent later.

Enqueueing only writes rows; the peers to wake are remembered on the session and signalled
after the transaction commits (see `install_commit_signal`), so nothing is ever sent for a
change that rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from sync.tables import LinkState, OutboxEntry
from wuji.v1 import link_pb2

_PENDING_WAKE = "wuji.outbox.pending_wake"
_LOCKED_STATES = "wuji.outbox.locked_states"  # (transaction, {peer: LinkState}) of the current one


def link_state(session: Session, peer: str, role: str, *, for_update: bool = False) -> LinkState:
    """The cursor row of a link, created on first use."""
    query = select(LinkState).where(LinkState.peer == peer)
    if for_update:
        query = query.with_for_update()
    state = session.scalars(query).one_or_none()
    if state is None:
        state = LinkState(peer=peer, role=role, next_seq=1, acked_seq=0, received_seq=0)
        session.add(state)
        session.flush()
    return state


def enqueue(session: Session, peer: str, role: str, envelope: link_pb2.Envelope) -> int:
    """Give the envelope the link's next seq and store it; returns the seq."""
    state = _locked_state(session, peer, role)
    seq = state.next_seq
    state.next_seq = seq + 1
    envelope.seq = seq
    session.add(
        OutboxEntry(
            peer=peer,
            seq=seq,
            message_id=envelope.message_id,
            envelope=envelope.SerializeToString(),
            created_at=datetime.now(UTC),
        )
    )
    session.info.setdefault(_PENDING_WAKE, set()).add(peer)
    return seq


def _locked_state(session: Session, peer: str, role: str) -> LinkState:
    """The link's cursor row, locked once per transaction: a transaction that enqueues many
    messages (a scan raising cards, a batch of forwarded cases) asks for it, and flushes, once."""
    transaction = session.get_transaction()
    cached = session.info.get(_LOCKED_STATES)
    if cached is None or cached[0] is not transaction:
        cached = session.info[_LOCKED_STATES] = (transaction, {})
    state = cached[1].get(peer)
    if state is None or state not in session:  # e.g. created in a savepoint rolled back since
        state = cached[1][peer] = link_state(session, peer, role, for_update=True)
    return state


def pending(session: Session, peer: str, after_seq: int, limit: int) -> list[OutboxEntry]:
    """Unacknowledged envelopes for a peer with seq > after_seq, in seq order."""
    query = (
        select(OutboxEntry)
        .where(OutboxEntry.peer == peer, OutboxEntry.seq > after_seq)
        .order_by(OutboxEntry.seq)
        .limit(limit)
    )
    return list(session.scalars(query))


def acknowledge(session: Session, peer: str, role: str, seq: int) -> None:
    """The peer has stored everything up to seq: forget those envelopes."""
    state = link_state(session, peer, role, for_update=True)
    if seq > state.acked_seq:
        state.acked_seq = seq
    session.execute(delete(OutboxEntry).where(OutboxEntry.peer == peer, OutboxEntry.seq <= seq))


def depth(session: Session, peer: str) -> int:
    """How many envelopes wait for the peer's acknowledgement."""
    return session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.peer == peer)) or 0


def install_commit_signal(factory: sessionmaker[Session], wake: Callable[[Iterable[str]], None]) -> None:
    """After each commit, wake the links whose outbox the transaction wrote to."""

    # SQLAlchemy fires these for SAVEPOINTs too: only the outermost transaction counts, else a link
    # would be woken before its rows are visible and sleep until its next heartbeat.

    @event.listens_for(factory, "after_commit")
    def _wake_after_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return
        peers = session.info.pop(_PENDING_WAKE, None)
        if peers:
            wake(peers)

    @event.listens_for(factory, "after_rollback")
    def _forget_after_rollback(session: Session) -> None:
        if not session.in_nested_transaction():
            session.info.pop(_PENDING_WAKE, None)
