"""The in-process transport: links between nodes of one process, driven without threads.

It stands where gRPC stands in production (sync/transport.py, sync/dialer.py) and nothing else
changes: each end is the node's own `Link`, with its outbox, inbox and cursors in its database.
Frames cross as serialized bytes, as they would on the wire, so their sizes are real. The
simulation (`wuji simulate`) runs tens of thousands of nodes this way in one process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sync.link import Link, LinkSession, OutgoingFrame
from wuji.v1 import link_pb2


class _Pipe:
    """One direction of a stream: the sending session's FrameSink, read by the transport."""

    def __init__(self) -> None:
        self.frames: deque[bytes] = deque()
        self.closed = False

    def put(self, frame: OutgoingFrame) -> None:
        if not self.closed:
            self.frames.append(frame.SerializeToString())

    def close(self) -> None:
        self.closed = True


@dataclass
class Traffic:
    """What crossed one link, in each direction."""

    frames: int = 0
    envelopes: int = 0
    bytes: int = 0


@dataclass
class _Stream:
    """An open stream between a child (or a dialling peer) and the node it dialled."""

    dialler_code: str
    dialler: LinkSession
    answerer: LinkSession
    up: _Pipe  # dialler → answerer
    down: _Pipe  # answerer → dialler
    traffic_up: Traffic = field(default_factory=Traffic)
    traffic_down: Traffic = field(default_factory=Traffic)


class MemoryNetwork:
    """Every open in-process stream, and which of them have something to send.

    A node's commit signal (sync.outbox.install_commit_signal) calls `ready(here, peers)`, as it
    wakes a gRPC link's sender in production; `run` then moves frames until no link has work.
    """

    def __init__(self) -> None:
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._ready: dict[tuple[str, str], None] = {}  # insertion-ordered set

    def connect(self, dialler: Link, answerer: Link) -> None:
        """Open a stream as a Dialer would: Hellos cross, then both ends open their sessions."""
        dialler_hello, answerer_hello = dialler.hello(), answerer.hello()
        up, down = _Pipe(), _Pipe()
        answering = answerer.open_session(dialler_hello, None, down)
        dialling = dialler.open_session(answerer_hello, None, up)
        stream = _Stream(dialler.here, dialling, answering, up, down)
        self._streams[(dialler.here, dialler.peer)] = stream
        self._streams[(answerer.here, answerer.peer)] = stream
        self.ready(dialler.here, [dialler.peer])
        self.ready(answerer.here, [answerer.peer])

    def ready(self, here: str, peers: Iterable[str]) -> None:
        for peer in peers:
            self._ready[(here, peer)] = None

    def traffic(self) -> Iterable[tuple[str, str, Traffic]]:
        """(sender, receiver, traffic) for each direction of each stream."""
        for (here, peer), stream in self._streams.items():
            if stream.dialler_code == here:
                yield here, peer, stream.traffic_up
                yield peer, here, stream.traffic_down

    def run(self, after_pump: Callable[[int], None] = lambda envelopes: None) -> int:
        """Move frames until every outbox is drained and acknowledged; returns the envelopes moved.

        after_pump is told, after each link was pumped dry, how many envelopes crossed it.
        """
        moved = 0
        while self._ready:
            key = next(iter(self._ready))
            del self._ready[key]
            stream = self._streams.get(key)
            if stream is not None:
                envelopes = self._pump(stream)
                moved += envelopes
                after_pump(envelopes)
        return moved

    def _pump(self, stream: _Stream) -> int:
        """Send and deliver both ways until neither end has anything (an ack may free the window)."""
        envelopes = 0
        while True:
            sent = stream.dialler.send_ready() | stream.answerer.send_ready()
            if not sent and not stream.up.frames and not stream.down.frames:
                return envelopes
            envelopes += self._deliver(stream.up, stream.answerer, stream.traffic_up)
            envelopes += self._deliver(stream.down, stream.dialler, stream.traffic_down)

    def _deliver(self, pipe: _Pipe, receiver: LinkSession, traffic: Traffic) -> int:
        """Hand the pipe's frames to the receiving session; returns the envelopes among them."""
        envelopes = 0
        while pipe.frames:
            data = pipe.frames.popleft()
            frame = link_pb2.LinkFrame.FromString(data)
            traffic.frames += 1
            traffic.bytes += len(data)
            if frame.WhichOneof("frame") == "envelopes":
                traffic.envelopes += len(frame.envelopes.envelopes)
                envelopes += len(frame.envelopes.envelopes)
            receiver.receive(frame)
        return envelopes
