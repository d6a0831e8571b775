"""One `Link` per neighbour: its persisted cursors, its live stream, acks, window and heartbeats.

The transport only hands a `Link` two things: incoming frames and a `FrameSink` for outgoing ones.
Over gRPC (sync/transport.py, sync/dialer.py) the incoming frames are the stream's iterator and a
session's two threads drive it; in the simulation (sync/memory.py) the transport drives the session
itself, frame by frame, through `LinkSession.receive` and `LinkSession.send_ready`. Whether this
node dialled or answered makes no difference here, so the same code serves both ends of every link.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeAlias

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from sync import inbox, origin, outbox
from sync.auth import PEER_REFUSED
from wuji.v1 import link_pb2

log = logging.getLogger(__name__)


class EnvelopeRefused(Exception):
    """The envelope is well-formed but must not be applied; it is quarantined with this reason.

    answer: what to enqueue once the refusal stands (e.g. telling a case's origin it was refused),
    run in the transaction that quarantines the envelope, after everything it tried was undone.
    """

    def __init__(self, reason: str, answer: Callable[[Session], None] | None = None) -> None:
        super().__init__(reason)
        self.answer = answer


class _Refused(Exception):
    """Some envelope of an optimistic batch was refused: redo the batch envelope by envelope."""


class LinkProtocolError(Exception):
    """The peer broke the link protocol; the session is closed and will be re-established."""


class LinkHandler(Protocol):
    """What the node supplies to its links (implemented in node/, which sync never imports)."""

    def apply(self, session: Session, envelope: link_pb2.Envelope, peer: str) -> None:
        """Apply one envelope inside the caller's transaction; raise EnvelopeRefused to refuse it."""

    def prepare(self, session: Session, envelopes: Sequence[link_pb2.Envelope]) -> None:
        """Before a batch is applied: read at once what applying each envelope would ask for."""

    def on_peer_hello(self, session: Session, peer: str, role: str, hello: link_pb2.Hello) -> None:
        """A session with the peer opened: enqueue whatever the peer is missing (e.g. catalogue)."""

    def catalog_version(self, session: Session) -> int:
        """The catalogue version announced in this node's Hello."""


@dataclass(frozen=True)
class LinkSettings:
    batch_size: int = 200  # envelopes per frame and per receiving transaction
    # bytes of envelopes per frame (at least one envelope), well under the transport's message limit:
    # cases carrying scanned materials are large, and a frame over the limit could never be sent
    frame_bytes: int = 4 * 1024 * 1024
    window: int = 2000  # envelopes in flight before the sender waits for acks
    heartbeat_seconds: float = 5.0
    idle_timeout_seconds: float = 30.0  # a silent peer is considered gone after this
    # the node's notion of now (what stamps its receipts and time limits); heartbeats carry it, so
    # each end learns how far the other's clock is from its own
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


# clocks further apart than this are worth a word: the receipts and time limits of a node are
# stamped with its own clock
CLOCK_DRIFT_NOTICE = timedelta(minutes=2)


# An outgoing frame: a LinkFrame, or envelopes as the outbox stored them (the same bytes on the wire)
OutgoingFrame: TypeAlias = link_pb2.LinkFrame | link_pb2.StoredEnvelopeFrame


def serialize_frame(frame: OutgoingFrame) -> bytes:
    """gRPC's serializer for outgoing frames of either kind."""
    return frame.SerializeToString()


def as_link_frame(frame: link_pb2.LinkFrame | link_pb2.StoredEnvelopeFrame) -> link_pb2.LinkFrame:
    """A frame handed over without the wire in between (not through gRPC), read as a LinkFrame."""
    if isinstance(frame, link_pb2.StoredEnvelopeFrame):
        return link_pb2.LinkFrame.FromString(frame.SerializeToString())
    return frame


class FrameSink(Protocol):
    """Where a session puts its outgoing frames (the transport's side of the seam)."""

    def put(self, frame: OutgoingFrame) -> None: ...

    def close(self) -> None: ...


class FrameQueue:
    """Outgoing frames of one gRPC stream; iterating it feeds gRPC until the queue is closed."""

    _CLOSED = object()

    def __init__(self) -> None:
        self._queue: queue.Queue[object] = queue.Queue()

    def put(self, frame: OutgoingFrame) -> None:
        self._queue.put(frame)

    def close(self) -> None:
        self._queue.put(self._CLOSED)

    def __iter__(self) -> Iterator[OutgoingFrame]:
        while True:
            item = self._queue.get()
            if item is self._CLOSED:
                return
            assert isinstance(item, link_pb2.LinkFrame | link_pb2.StoredEnvelopeFrame)
            yield item


class Link:
    """Everything about sending to and receiving from one neighbour."""

    def __init__(
        self,
        here: str,
        peer: str,
        role: str,
        sessions: sessionmaker[Session],
        handler: LinkHandler,
        settings: LinkSettings,
        readers: sessionmaker[Session] | None = None,
    ) -> None:
        self.here = here
        self.peer = peer
        self.role = role
        self._sessions = sessions
        self._readers = readers or sessions
        self._handler = handler
        self.settings = settings
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._current: LinkSession | None = None
        self.acked_seq = 0
        self.last_contact: datetime | None = None
        # the peer's clock minus this node's, from its last heartbeat (None until one is heard)
        self.peer_clock_ahead: timedelta | None = None
        # why the link last went down or failed to come up, and when: what an operator asks first
        self.trouble: LinkTrouble | None = None
        # the peer refused this node's certificate as revoked: no attempt will succeed again. Kept
        # until a session opens, so that a later failure of another kind does not hide it
        self.revoked: LinkTrouble | None = None
        # when the link last came up, and when it went down after that (None: not since this
        # process started): an operator asks "since when?" before "why?"
        self.up_since: datetime | None = None
        self.down_since: datetime | None = None
        with sessions.begin() as session:
            state = outbox.link_state(session, peer, role)
            self.acked_seq = state.acked_seq
            self.last_contact = state.last_contact

    # -- signals -------------------------------------------------------------------------------

    def wake(self) -> None:
        """New envelopes were committed for this peer (or acks freed the window)."""
        self._wake.set()

    @property
    def sent_seq(self) -> int:
        current = self._current
        return current.sent_seq if current is not None else self.acked_seq

    @property
    def connected(self) -> bool:
        current = self._current
        return current is not None and not current.closed

    def hello(self) -> link_pb2.Hello:
        """The Hello this node sends the peer: where to resume, and what it holds."""
        with self._readers() as session:
            return link_pb2.Hello(
                node_code=self.here,
                received_seq=inbox.received_seq(session, self.peer),
                catalog_version=self._handler.catalog_version(session),
                sent_seq=outbox.last_given(session, self.peer),
            )

    # -- sessions ------------------------------------------------------------------------------

    def open_session(
        self,
        peer_hello: link_pb2.Hello,
        incoming: Iterator[link_pb2.LinkFrame] | None,
        outgoing: FrameSink,
    ) -> LinkSession:
        """Start exchanging envelopes over a fresh stream; an older stream of this link is closed.

        With incoming frames, the session's own threads read them and send; without (None), the
        transport drives the session through `receive` and `send_ready`.

        If the peer holds envelopes this node no longer knows of (this node was restored from a
        backup, or is a replacement machine with a new database), numbering moves past them; if the
        peer lost envelopes (it was restored), they are sent again from the retained outbox, or
        LinkProtocolError if they were pruned, unless the peer's database is new.
        """
        # a new database (a replacement machine) has received nothing and numbered nothing
        peer_is_new = (
            peer_hello.received_seq == 0 and peer_hello.HasField("sent_seq") and not peer_hello.sent_seq
        )
        with self._sessions.begin() as db:
            resumed = outbox.resume(db, self.peer, self.role, peer_hello.received_seq, peer_is_new)
        if resumed.unexplained:
            raise LinkProtocolError(
                f"{self.peer} claims to hold envelope {resumed.unexplained} of this link, but fewer were "
                "ever sent: its database and ours disagree (if this node was restored from a backup, "
                "restore it with `wuji node restore`, which lets the link resynchronise)"
            )
        if resumed.missing_from:
            raise LinkProtocolError(
                f"{self.peer} resumes from envelope {resumed.missing_from} of this link, which was pruned "
                "after the outbox retention window (or lost when this node was restored from a backup): "
                "it cannot be brought up to date from here"
            )
        if resumed.closed_holes:
            log.warning(
                "link %s -> %s: the peer has a new database (a replacement machine?); the envelopes "
                "kept for it are numbered afresh, %d moved over numbers this node lost in a restore",
                self.here,
                self.peer,
                resumed.closed_holes,
            )
            self.acked_seq = 0
        if resumed.starts_from:
            log.warning(
                "link %s -> %s: the peer has a new database (a replacement machine?); envelopes before "
                "%d were pruned after the outbox retention window, and it is sent those kept from there",
                self.here,
                self.peer,
                resumed.starts_from,
            )
        if resumed.skipped_to:
            log.warning(
                "link %s -> %s: the peer holds envelopes up to %d that this node no longer knows of "
                "(restored from a backup?); numbering continues after them, %d queued envelope(s) moved",
                self.here,
                self.peer,
                resumed.skipped_to,
                resumed.renumbered,
            )
            self.acked_seq = max(self.acked_seq, resumed.skipped_to)
        session = LinkSession(self, peer_hello, outgoing)
        self.revoked = None
        self.up_since, self.down_since = datetime.now(UTC), None
        with self._lock:
            previous, self._current = self._current, session
        if previous is not None:
            previous.close("replaced by a newer stream")
        with self._sessions.begin() as db:
            self._handler.on_peer_hello(db, self.peer, self.role, peer_hello)
        if incoming is None:
            session.resume()
        else:
            session.start(incoming)
        return session

    def close(self, reason: str) -> None:
        with self._lock:
            current, self._current = self._current, None
        if current is not None:
            current.close(reason)

    def note_trouble(self, words: str) -> None:
        """The link went down, or an attempt to bring it up failed, for this reason."""
        self.trouble = LinkTrouble(datetime.now(UTC), words)
        if self.down_since is None:  # the first failure since it was up; redialling keeps the time
            self.down_since = self.trouble.at
        if refused_as_revoked(words):
            self.revoked = self.trouble

    def outbox_depth(self) -> int:
        with self._readers() as session:
            return outbox.depth(session, self.peer)

    def received_seq(self) -> int:
        with self._readers() as session:
            return inbox.received_seq(session, self.peer)

    # -- work done by a session's threads ------------------------------------------------------

    def _acknowledged(self, seq: int) -> None:
        if seq > self.acked_seq:  # the stored cursor is never behind this one: nothing to write else
            with self._sessions.begin() as session:
                outbox.acknowledge(session, self.peer, self.role, seq)
            self.acked_seq = seq
        current = self._current
        if current is None or current.window_full:  # otherwise the ack frees nothing to send
            self.wake()

    def _heard_clock(self, sent_at: Timestamp) -> None:
        try:
            peer_now = sent_at.ToDatetime(tzinfo=UTC)
        except (ValueError, OverflowError):  # not a time at all: nothing to learn from it
            return
        ahead = peer_now - self.settings.clock()  # a heartbeat's transit, milliseconds, is left in
        was_off = self.peer_clock_ahead is not None and abs(self.peer_clock_ahead) > CLOCK_DRIFT_NOTICE
        if abs(ahead) > CLOCK_DRIFT_NOTICE and not was_off:
            log.warning(
                "the clock of %s is %d min %s this node's: receipts and time limits are stamped with "
                "the clock of the node that makes them; the wrong one must be set right",
                self.peer,
                round(abs(ahead).total_seconds() / 60),
                "ahead of" if ahead > timedelta(0) else "behind",
            )
        self.peer_clock_ahead = ahead

    def _pending(self, after_seq: int, limit: int) -> tuple[list[tuple[int, bytes]], bool]:
        """(seq, stored envelope bytes) to send next, sent as stored and never parsed here; and
        whether more may be waiting (the limit or the frame's size was reached)."""
        with self._readers() as session:
            pending = outbox.pending_envelopes(session, self.peer, after_seq, limit)
        size = 0
        for count, (_, envelope) in enumerate(pending):
            size += len(envelope)
            if size > self.settings.frame_bytes and count > 0:
                return pending[:count], True
        return pending, len(pending) >= limit

    def _apply(self, envelopes: Iterable[link_pb2.Envelope]) -> int:
        """Apply a batch in one transaction; returns the seq to acknowledge.

        Optimistic first: the whole batch without SAVEPOINTs. Only if an envelope is refused is the
        batch redone with one SAVEPOINT per envelope, so the refused one is quarantined alone.
        """
        batch = list(envelopes)
        try:
            return self._apply_batch(batch, guarded=False)
        except _Refused:
            return self._apply_batch(batch, guarded=True)

    def _apply_batch(self, envelopes: list[link_pb2.Envelope], guarded: bool) -> int:
        with self._sessions.begin() as session:
            received = inbox.received_seq(session, self.peer)
            self._handler.prepare(session, envelopes)
            applied: list[link_pb2.Envelope] = []
            for envelope in envelopes:
                if not inbox.admit(received, self.peer, envelope.seq):
                    continue  # a resend of something already applied: acked again, applied once
                if guarded:
                    self._apply_one(session, envelope)
                else:
                    try:
                        self._apply_envelope(session, envelope)
                    except DBAPIError:
                        raise
                    except Exception as error:
                        raise _Refused from error
                applied.append(envelope)
                received = envelope.seq
            inbox.record(session, self.peer, applied)
            return received

    def _apply_envelope(self, session: Session, envelope: link_pb2.Envelope) -> None:
        if envelope.sender != self.peer:
            raise EnvelopeRefused(
                f"envelope sender {envelope.sender or '(empty)'} is not this link's peer {self.peer}"
            )
        misplaced = origin.topology_problem(self.here, self.peer, self.role, envelope.origin)
        if misplaced:
            raise EnvelopeRefused(misplaced)
        self._handler.apply(session, envelope, self.peer)

    def _apply_one(self, session: Session, envelope: link_pb2.Envelope) -> None:
        reason: str | None = None
        answer: Callable[[Session], None] | None = None
        try:
            with session.begin_nested():
                self._apply_envelope(session, envelope)
        except EnvelopeRefused as refused:
            reason, answer = str(refused), refused.answer
        except DBAPIError:
            raise  # the database, not the envelope: retry the whole batch later
        except Exception as error:  # a bug must not block the link; keep the envelope for replay
            log.exception(
                "applying envelope %s from %s failed",
                envelope.message_id,
                self.peer,
                extra={"case_id": inbox.case_of(envelope)},
            )
            reason = f"internal error: {error!r}"
        if reason is not None and inbox.applied_before(session, self.peer, envelope):
            # the same message under a new seq: a relay restored from a backup passed it on again
            log.info(
                "envelope %s from %s was applied before; its repeat is ignored",
                envelope.message_id,
                self.peer,
            )
        elif reason is not None:
            log.warning(
                "quarantined envelope %s from %s: %s",
                envelope.message_id,
                self.peer,
                reason,
                extra={"case_id": inbox.case_of(envelope)},
            )
            inbox.quarantine(session, self.peer, envelope, reason)
            if answer is not None:
                self._answer_refusal(session, envelope, answer)

    def _answer_refusal(
        self, session: Session, envelope: link_pb2.Envelope, answer: Callable[[Session], None]
    ) -> None:
        """Enqueue what a refusal answers; if that fails, the refusal still stands and the link goes on."""
        try:
            with session.begin_nested():
                answer(session)
        except DBAPIError:
            raise
        except Exception:
            log.exception(
                "could not answer the refusal of envelope %s from %s", envelope.message_id, self.peer
            )


def describe_error(error: BaseException) -> str:
    """An error in one line: a gRPC call's by its status code and details, not its many-line repr."""
    code, details = getattr(error, "code", None), getattr(error, "details", None)
    if callable(code) and callable(details):
        status = code()
        return f"{getattr(status, 'name', status)}: {details()}"
    return str(error) or type(error).__name__


def refused_as_revoked(words: str) -> bool:
    """True if a link's trouble is the peer refusing this node's certificate, or one above it, as
    revoked: what its revocation lists say (sync/auth.py, signing/trust.py) holds for every attempt."""
    return PEER_REFUSED in words and " was revoked on " in words


@dataclass(frozen=True)
class LinkTrouble:
    at: datetime
    words: str  # as the transport or the session said it (English: operators read it in logs too)


# a stream closed for these reasons left nothing wrong with the link
_NO_TROUBLE = ("node stopping", "replaced by a newer stream")


class LinkSession:
    """One live stream of a link: frames received and sent, by two threads or by the transport."""

    def __init__(self, link: Link, peer_hello: link_pb2.Hello, outgoing: FrameSink) -> None:
        self._link = link
        self._peer_hello = peer_hello
        self._outgoing = outgoing
        self._closed = threading.Event()
        self._last_heard = time.monotonic()
        self.sent_seq = peer_hello.received_seq
        self.close_reason = ""
        # what the last send_ready found: the window full (an ack lets more go), or a full batch
        # (more may be waiting); otherwise the sender waits for a commit's wake-up, not asking again
        self.window_full = False
        self.more_waiting = False

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def start(self, incoming: Iterator[link_pb2.LinkFrame]) -> None:
        name = f"{self._link.here}->{self._link.peer}"
        threading.Thread(target=self._receive, args=(incoming,), name=f"recv {name}", daemon=True).start()
        threading.Thread(target=self._send, name=f"send {name}", daemon=True).start()

    def close(self, reason: str) -> None:
        if self._closed.is_set():
            return
        self.close_reason = reason
        self._closed.set()
        if reason not in _NO_TROUBLE:
            self._link.note_trouble(reason)
        self._outgoing.close()
        self._link.wake()
        log.info("link %s -> %s closed: %s", self._link.here, self._link.peer, reason)

    def wait_closed(self, timeout: float | None = None) -> bool:
        return self._closed.wait(timeout)

    def resume(self) -> None:
        """The peer's Hello said what it holds: everything up to there is acknowledged."""
        self._link._acknowledged(self.sent_seq)

    def receive(self, received: link_pb2.LinkFrame | link_pb2.StoredEnvelopeFrame) -> None:
        """Act on one incoming frame: apply a batch (and acknowledge it), or take an ack."""
        frame = as_link_frame(received)
        link = self._link
        self._last_heard = time.monotonic()
        link.last_contact = datetime.now(UTC)
        kind = frame.WhichOneof("frame")
        if kind == "envelopes":
            applied = link._apply(frame.envelopes.envelopes)
            self._outgoing.put(link_pb2.LinkFrame(ack=link_pb2.Ack(seq=applied)))
        elif kind == "ack":
            link._acknowledged(frame.ack.seq)
        elif kind == "heartbeat":
            if frame.heartbeat.HasField("sent_at"):
                link._heard_clock(frame.heartbeat.sent_at)
        else:
            raise LinkProtocolError(f"unexpected {kind or 'empty'} frame in an open session")

    def send_ready(self) -> bool:
        """Send the next batch of the outbox if the window has room; False if nothing was sent."""
        link = self._link
        acked = link.acked_seq
        room = link.settings.window - (self.sent_seq - acked)
        batch, self.more_waiting = (
            link._pending(self.sent_seq, min(link.settings.batch_size, room)) if room > 0 else ([], False)
        )
        self.window_full = room <= len(batch)
        if self.window_full and link.acked_seq != acked:
            link.wake()  # an ack came in while this was decided, and may have seen the old value
        if not batch:
            return False
        stored = link_pb2.StoredEnvelopes(envelopes=[envelope for _, envelope in batch])
        self._outgoing.put(link_pb2.StoredEnvelopeFrame(envelopes=stored))
        self.sent_seq = batch[-1][0]
        return True

    def _receive(self, incoming: Iterator[link_pb2.LinkFrame]) -> None:
        link = self._link
        try:
            for frame in incoming:
                self.receive(frame)
            self.close("peer ended the stream")
        except Exception as error:  # any failure ends this stream; the link itself lives on
            if not self.closed:
                log.info("link %s -> %s receive failed: %s", link.here, link.peer, error)
            self.close(f"receive failed: {describe_error(error)}")

    def _send(self) -> None:
        link = self._link
        settings = link.settings
        try:
            self.resume()
            last_sent = time.monotonic()
            while not self.closed:
                if time.monotonic() - self._last_heard > settings.idle_timeout_seconds:
                    self.close("peer silent for too long")
                    return
                link._wake.clear()
                if self.send_ready():
                    last_sent = time.monotonic()
                    if self.more_waiting:
                        continue
                if time.monotonic() - last_sent >= settings.heartbeat_seconds:
                    now = Timestamp()
                    now.FromDatetime(settings.clock())
                    self._outgoing.put(link_pb2.LinkFrame(heartbeat=link_pb2.Heartbeat(sent_at=now)))
                    last_sent = time.monotonic()
                link._wake.wait(timeout=settings.heartbeat_seconds / 2)
        except Exception as error:
            log.exception("link %s -> %s send failed", link.here, link.peer)
            self.close(f"send failed: {error}")
