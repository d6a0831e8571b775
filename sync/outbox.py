"""The transactional outbox: messages are enqueued in the caller's transaction, sent later.

Enqueueing only writes rows; the peers to wake are remembered on the session and signalled
after the transaction commits (see `install_commit_signal`), so nothing is ever sent for a
change that rolled back.

Acknowledged envelopes stay for a retention window (`prune` removes them after it): a peer that
was restored from a backup announces an older received cursor, and is sent again what it lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, event, func, select, update
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from sync import inbox
from sync.origin import OriginSigner
from sync.tables import LinkState, OutboxEntry
from wuji.v1 import link_pb2

_PENDING_WAKE = "wuji.outbox.pending_wake"
_LOCKED_STATES = "wuji.outbox.locked_states"  # (transaction, {peer: LinkState}) of the current one


# statements of every case sent or acknowledged, built once (building one costs more than running it)
_STATE = select(LinkState).where(LinkState.peer == bindparam("peer"))
_STATE_FOR_UPDATE = _STATE.with_for_update()
_PENDING = (
    select(OutboxEntry.seq, OutboxEntry.envelope)
    .where(OutboxEntry.peer == bindparam("peer"), OutboxEntry.seq > bindparam("after_seq"))
    .order_by(OutboxEntry.seq)
    .limit(bindparam("limit"))
)
_ACKNOWLEDGE = (
    update(LinkState)
    .where(LinkState.peer == bindparam("link_peer"), LinkState.acked_seq < bindparam("seq"))
    .values(acked_seq=bindparam("seq"))
    .execution_options(synchronize_session=False)
)


def link_state(session: Session, peer: str, role: str, *, for_update: bool = False) -> LinkState:
    """The cursor row of a link, created on first use."""
    state = session.scalars(_STATE_FOR_UPDATE if for_update else _STATE, {"peer": peer}).one_or_none()
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
    cached: tuple[SessionTransaction | None, dict[str, LinkState]] | None = session.info.get(_LOCKED_STATES)
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


def pending_envelopes(session: Session, peer: str, after_seq: int, limit: int) -> list[tuple[int, bytes]]:
    """(seq, envelope bytes as stored) of what `pending` returns: the sender's hot path, which
    streams the stored bytes as they are instead of building ORM rows and parsing each envelope."""
    rows = session.execute(_PENDING, {"peer": peer, "after_seq": after_seq, "limit": limit})
    return [(seq, envelope) for seq, envelope in rows]


def acknowledge(session: Session, peer: str, role: str, seq: int) -> None:
    """The peer has stored everything up to seq (the envelopes are kept until `prune`).

    One UPDATE that only moves the cursor forward: every ack of a link comes here."""
    moved = session.execute(_ACKNOWLEDGE, {"link_peer": peer, "seq": seq})
    # an UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed as returning Result
    if moved.rowcount == 0:  # type: ignore[attr-defined]  # already there, or no cursor row yet
        state = link_state(session, peer, role, for_update=True)
        if seq > state.acked_seq:
            state.acked_seq = seq


def depth(session: Session, peer: str) -> int:
    """How many envelopes wait for the peer's acknowledgement."""
    acked = select(LinkState.acked_seq).where(LinkState.peer == peer).scalar_subquery()
    query = select(func.count()).where(OutboxEntry.peer == peer, OutboxEntry.seq > func.coalesce(acked, 0))
    return session.scalar(query) or 0


def waiting(session: Session, peer: str) -> list[OutboxEntry]:
    """The envelopes queued for the peer and not yet acknowledged, in seq order."""
    acked = select(LinkState.acked_seq).where(LinkState.peer == peer).scalar_subquery()
    query = select(OutboxEntry).where(OutboxEntry.peer == peer, OutboxEntry.seq > func.coalesce(acked, 0))
    return list(session.scalars(query.order_by(OutboxEntry.seq)))


def is_waiting(session: Session, peer: str, message_id: str) -> bool:
    """True if an envelope with message_id is queued for the peer and not yet acknowledged."""
    acked = select(LinkState.acked_seq).where(LinkState.peer == peer).scalar_subquery()
    query = select(OutboxEntry.id).where(
        OutboxEntry.peer == peer,
        OutboxEntry.message_id == message_id,
        OutboxEntry.seq > func.coalesce(acked, 0),
    )
    return session.scalars(query.limit(1)).first() is not None


def last_given(session: Session, peer: str) -> int:
    """The highest seq given to an envelope for the peer (0 if none), without creating the link.

    After a restore, the highest the backup held: numbers given since may repeat ones the peer has.
    On a link this database never exchanged anything on, 0, for the same reason: the peer may hold
    envelopes of the node's former machine under the numbers given here.
    """
    row = session.execute(
        select(LinkState.next_seq, LinkState.restored_next_seq, LinkState.acked_seq).where(
            LinkState.peer == peer
        )
    ).one_or_none()
    if row is None or _never_linked(session, peer, row.acked_seq):
        return 0
    return (row.restored_next_seq or row.next_seq) - 1


def _never_linked(session: Session, peer: str, acked_seq: int) -> bool:
    """True if this database never exchanged anything with the peer: the peer never acknowledged an
    envelope, and none was received from it. A link coming up always acknowledges what the peer
    holds, and every parent sends its child the catalogue: a database that has linked is never so."""
    return acked_seq == 0 and inbox.received_seq(session, peer) == 0


def prune(session: Session, older_than: datetime) -> int:
    """Delete acknowledged envelopes created before older_than; returns how many."""
    deleted = 0
    for state in session.scalars(select(LinkState)):
        result = session.execute(
            delete(OutboxEntry).where(
                OutboxEntry.peer == state.peer,
                OutboxEntry.seq <= state.acked_seq,
                OutboxEntry.created_at < older_than,
            )
        )
        deleted += result.rowcount or 0  # type: ignore[attr-defined]
    return deleted


def mark_restored(session: Session) -> int:
    """Called on a database just restored from a backup: remember, per link, where numbering stood.

    Envelopes enqueued from then on may get numbers the peer already holds (it applied what this
    node sent after the backup was taken); `resume` renumbers them once the peer says so.
    """
    states = list(session.scalars(select(LinkState).with_for_update()))
    for state in states:
        state.restored_next_seq = state.next_seq
    return len(states)


@dataclass(frozen=True)
class Resumption:
    """How a link resumes after the peer's Hello."""

    skipped_to: int = 0  # >0: the peer held envelopes up to here that this node no longer knew of
    renumbered: int = 0  # envelopes enqueued since a restore, moved past the peer's cursor
    missing_from: int = 0  # >0: the peer needs envelopes from here on that were already pruned
    # >0: a new database, sent envelopes from here on (those before were pruned; it needs none of them)
    starts_from: int = 0
    unexplained: int = 0  # >0: the peer holds envelopes up to here, never numbered by this node
    # >0: a new database, sent what is kept numbered afresh (this many moved down over holes the
    # node's own restore left); none of it is acknowledged
    closed_holes: int = 0


def resume(
    session: Session, peer: str, role: str, peer_received: int, peer_is_new: bool = False
) -> Resumption:
    """Line this node's outbound numbering up with what the peer says it has applied.

    The peer holding more than this node ever numbered means this node lost envelopes it sent (it
    was restored from a backup), or that its database is new: a replacement machine enrolled under
    the code of a lost one, whose envelopes the peer holds. If `mark_restored` says so, or this
    database never exchanged anything with the peer, numbering continues after the peer's cursor,
    and envelopes queued since the restore (or ever, on a new database) move there, instead of
    reusing numbers the peer would ignore as duplicates. A database that has linked before and is
    not marked restored is refused (`unexplained`): two machines running one node, say.
    The peer holding less than this node acknowledged means the peer was restored: it is sent again
    from its cursor, out of the retained envelopes, unless these have been pruned. A peer with a new
    database (peer_is_new: it holds nothing from here and has numbered nothing itself, a replacement
    machine) is sent what is kept: what was pruned is of no use to it (its catalogue, calendars and
    the copies of its cases are sent afresh when it says hello), and there is nothing to bring up to date.
    """
    state = link_state(session, peer, role, for_update=True)
    first_new = state.restored_next_seq or state.next_seq
    if peer_received >= first_new and state.restored_next_seq is None:
        if not _never_linked(session, peer, state.acked_seq):
            # linked before, not restored with `wuji node restore`: a mix-up of databases, not to
            # be papered over
            return Resumption(unexplained=peer_received)
        first_new = 1  # a new database: all it numbered is new to the peer
    state.restored_next_seq = None
    if peer_received >= first_new:
        rows = list(
            session.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.peer == peer, OutboxEntry.seq >= first_new)
                .order_by(OutboxEntry.seq.desc())  # highest first: a new number is never still taken
            )
        )
        next_seq = peer_received + 1 + len(rows)
        for offset, row in enumerate(rows, start=1):
            envelope = link_pb2.Envelope.FromString(row.envelope)
            envelope.seq = row.seq = next_seq - offset
            row.envelope = envelope.SerializeToString()
            session.flush()
        state.next_seq = next_seq
        state.acked_seq = max(state.acked_seq, peer_received)
        return Resumption(skipped_to=peer_received, renumbered=len(rows))
    last_sent = state.next_seq - 1
    if peer_received < last_sent:
        kept = session.execute(
            select(func.min(OutboxEntry.seq), func.count()).where(
                OutboxEntry.peer == peer, OutboxEntry.seq > peer_received
            )
        ).one()
        first_kept, count = kept[0], kept[1] or 0
        if peer_is_new and peer_received == 0:
            # a hole among the kept (numbers this node lost when it was restored from a backup, sent
            # by its former database) would stop the new peer at it for good: it has numbered
            # nothing of this link, so what is kept is numbered afresh, without the hole
            if first_kept is not None and count != last_sent - first_kept + 1:
                return Resumption(closed_holes=_close_holes(session, state, peer))
            if first_kept != peer_received + 1:
                return Resumption(starts_from=first_kept or state.next_seq)
        elif first_kept != peer_received + 1:
            return Resumption(missing_from=peer_received + 1)
        elif count != last_sent - peer_received:
            return Resumption(missing_from=_first_hole(session, peer, peer_received))
    return Resumption()


def _close_holes(session: Session, state: LinkState, peer: str) -> int:
    """Number the kept envelopes of a link one after another from the first kept; the peer, new,
    has acknowledged none of them. Returns how many moved."""
    rows = list(
        session.scalars(select(OutboxEntry).where(OutboxEntry.peer == peer).order_by(OutboxEntry.seq))
    )
    moved = 0
    for seq, row in enumerate(rows, start=rows[0].seq):  # downwards only: a new number is never taken
        if row.seq != seq:
            envelope = link_pb2.Envelope.FromString(row.envelope)
            envelope.seq = row.seq = seq
            row.envelope = envelope.SerializeToString()
            session.flush()
            moved += 1
    state.next_seq = rows[0].seq + len(rows)
    state.acked_seq = 0
    return moved


def _first_hole(session: Session, peer: str, after: int) -> int:
    """The first number above `after` that no kept envelope of the link holds."""
    expected = after + 1
    for seq in session.scalars(
        select(OutboxEntry.seq)
        .where(OutboxEntry.peer == peer, OutboxEntry.seq > after)
        .order_by(OutboxEntry.seq)
    ):
        if seq != expected:
            return expected
        expected += 1
    return expected


def resign(session: Session, signer: OriginSigner) -> int:
    """Sign anew, with the node's current certificate, the kept envelopes it originated under
    another one: after it was enrolled again (its parent's CA revoked with the parent's lost machine,
    or its own certificate revoked and replaced), what it still owes, or sends again to a
    replacement, would be refused everywhere under the old chain. Only the origin itself can do
    this: a relay, or anyone holding the old certificate, cannot. Returns how many were signed."""
    signed = 0
    for row in session.scalars(select(OutboxEntry)):
        envelope = link_pb2.Envelope.FromString(row.envelope)
        if envelope.origin != signer.code or signer.signed_it(envelope):
            continue
        row.envelope = signer.sign(envelope).SerializeToString()
        signed += 1
    return signed


def signed_by_another(session: Session, signer: OriginSigner, look: int = 200) -> bool:
    """True if the newest envelope this node originated among the last `look` kept ones carries
    another certificate than its current one: a cheap look at each start for `resign`'s work."""
    rows = session.scalars(select(OutboxEntry.envelope).order_by(OutboxEntry.id.desc()).limit(look))
    for stored in rows:
        envelope = link_pb2.Envelope.FromString(stored)
        if envelope.origin == signer.code:
            return not signer.signed_it(envelope)
    return False


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
