"""What a link's sender puts on the wire: the outbox's stored envelopes, in frames of bounded size."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

from node.store.engine import create_store_engine, migrate, session_factory
from sync import outbox
from sync.link import Link, LinkSession, LinkSettings
from wuji.v1 import case_pb2, link_pb2

TOWNSHIP, VILLAGE = "430981006000", "430981006001"


class Sink:
    """The transport's side of the seam: keeps what the session sends, as the peer would read it."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def put(self, frame: link_pb2.LinkFrame | link_pb2.StoredEnvelopeFrame) -> None:
        self.frames.append(frame.SerializeToString())

    def close(self) -> None:
        pass


def scanned(seq_hint: int, size: int) -> link_pb2.Envelope:
    material = case_pb2.Material(name="户口簿", content=bytes([seq_hint % 251]) * size)
    case = case_pb2.Case(id=f"{VILLAGE}-{seq_hint:026d}", materials=[material])
    return link_pb2.Envelope(
        message_id=f"m{seq_hint}",
        sender=VILLAGE,
        origin=VILLAGE,
        destination=TOWNSHIP,
        case_submitted=link_pb2.CaseSubmitted(case=case),
    )


def test_large_envelopes_leave_in_frames_under_the_limit_each_once_and_in_order(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'village.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    sent = [scanned(i, 300_000) for i in range(7)] + [scanned(7, 1_500_000)]  # the last alone > limit
    with sessions.begin() as db:
        for envelope in sent:
            outbox.enqueue(db, TOWNSHIP, "parent", envelope)
    settings = LinkSettings(frame_bytes=1_000_000)
    link = Link(VILLAGE, TOWNSHIP, "parent", sessions, handler=None, settings=settings)  # type: ignore[arg-type]
    sink = Sink()
    session = LinkSession(link, link_pb2.Hello(node_code=TOWNSHIP, received_seq=0), sink)
    while session.send_ready():
        pass
    frames = [link_pb2.LinkFrame.FromString(data) for data in sink.frames]
    received = [envelope for frame in frames for envelope in frame.envelopes.envelopes]
    assert [e.seq for e in received] == list(range(1, 9))
    assert [e.case_submitted.case.id for e in received] == [e.case_submitted.case.id for e in sent]
    assert [len(frame.envelopes.envelopes) for frame in frames] == [3, 3, 1, 1]
    engine.dispose()


class AckingPeer:
    """A peer that acknowledges every frame it reads, as a receiver does after applying a batch."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.acks: queue.Queue[link_pb2.LinkFrame | None] = queue.Queue()

    def put(self, frame: link_pb2.LinkFrame | link_pb2.StoredEnvelopeFrame) -> None:
        parsed = link_pb2.LinkFrame.FromString(frame.SerializeToString())
        if parsed.WhichOneof("frame") == "envelopes":
            self.received.extend(e.seq for e in parsed.envelopes.envelopes)
            self.acks.put(link_pb2.LinkFrame(ack=link_pb2.Ack(seq=self.received[-1])))

    def close(self) -> None:
        self.acks.put(None)

    def incoming(self) -> Iterator[link_pb2.LinkFrame]:
        while (frame := self.acks.get()) is not None:
            yield frame


def test_a_sender_whose_window_is_full_goes_on_when_acks_free_it(tmp_path: Path) -> None:
    # the sender sleeps between commits; an ack must wake it when, and only when, the window was
    # full: with a 30 s nap between heartbeats, a missed wake-up would stall it past the bound
    engine = create_store_engine(f"sqlite:///{tmp_path / 'village.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as db:
        for i in range(10):
            outbox.enqueue(db, TOWNSHIP, "parent", scanned(i, 10))
    settings = LinkSettings(batch_size=2, window=3, heartbeat_seconds=60, idle_timeout_seconds=120)
    link = Link(VILLAGE, TOWNSHIP, "parent", sessions, handler=None, settings=settings)  # type: ignore[arg-type]
    peer = AckingPeer()
    session = LinkSession(link, link_pb2.Hello(node_code=TOWNSHIP, received_seq=0), peer)
    link._current = session  # as the registry does when a stream opens
    session.start(peer.incoming())
    deadline = time.monotonic() + 20
    while link.acked_seq < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    session.close("test over")
    assert peer.received == list(range(1, 11))
    assert link.acked_seq == 10
    engine.dispose()
