"""What a link's sender puts on the wire: the outbox's stored envelopes, in frames of bounded size."""

from __future__ import annotations

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


def test_large_envelopes_leave_in_frames_under_the_limit_each_once_and_in_order(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'village.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    sent = [scanned(i, 300_000) for i in range(7)] + [scanned(7, 1_500_000)]  # the last alone > limit
    with sessions.begin() as session:
        for envelope in sent:
            outbox.enqueue(session, TOWNSHIP, "parent", envelope)
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
