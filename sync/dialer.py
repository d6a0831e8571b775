"""The lower tier dials: keeps the link to the parent open, reconnecting with capped backoff."""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass

import grpc

from sync.link import FrameQueue, Link, describe_error, serialize_frame
from sync.transport import TransportSettings, open_channel
from wuji.v1 import link_pb2

log = logging.getLogger(__name__)

STEADY_SECONDS = 10.0  # a session open this long was a working link, not one refused at once


@dataclass
class Backoff:
    """Capped exponential backoff with full jitter, so many villages do not reconnect in step."""

    base_seconds: float = 0.2
    cap_seconds: float = 5.0
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap_seconds, self.base_seconds * 2**self.attempt)
        self.attempt += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0


class Dialer:
    """Runs the link to one upstream neighbour for as long as the node runs."""

    def __init__(self, link: Link, address: str, settings: TransportSettings, backoff: Backoff) -> None:
        self._link = link
        self._address = address
        self._settings = settings
        self._backoff = backoff
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"dial {link.peer}", daemon=True)

    @property
    def address(self) -> str:
        return self._address

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        self._link.close("node stopping")
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._connect_once()
            except grpc.RpcError as error:
                log.info("link to %s at %s: %s", self._link.peer, self._address, describe_error(error))
                self._link.note_trouble(describe_error(error))
            except Exception as error:
                log.exception("link to %s at %s failed", self._link.peer, self._address)
                self._link.note_trouble(f"{type(error).__name__}: {error}")
            self._stopped.wait(self._backoff.next_delay())

    def _connect_once(self) -> None:
        with open_channel(self._address, self._settings, peer_code=self._link.peer) as channel:
            outgoing = FrameQueue()
            outgoing.put(link_pb2.LinkFrame(hello=self._link.hello()))
            call = _link_method(channel)(iter(outgoing))
            try:
                first = next(call)
                if not first.HasField("hello") or first.hello.node_code != self._link.peer:
                    raise RuntimeError(
                        f"expected Hello from {self._link.peer}, got {first.WhichOneof('frame')} "
                        f"from {first.hello.node_code or '?'}"
                    )
                session = self._link.open_session(first.hello, call, outgoing)
                opened = time.monotonic()
                while not session.wait_closed(timeout=0.5):
                    if self._stopped.is_set():
                        session.close("node stopping")
                # only a session that held a while starts the backoff afresh: one the peer ends at
                # once (it refuses what it is sent) would otherwise be dialled again five times a second
                if time.monotonic() - opened >= STEADY_SECONDS:
                    self._backoff.reset()
            finally:
                outgoing.close()
                call.cancel()


def _link_method(channel: grpc.Channel) -> grpc.StreamStreamMultiCallable:
    """Federation.Link as the stub has it, but sending stored envelopes as they are too."""
    return channel.stream_stream(
        _LINK_METHOD, request_serializer=serialize_frame, response_deserializer=link_pb2.LinkFrame.FromString
    )


_LINK_METHOD = "/" + link_pb2.DESCRIPTOR.services_by_name["Federation"].full_name + "/Link"
