"""Messages leave a node through the outbox, addressed by destination, in the caller's transaction.

`Outbound.send` puts a message on the next hop's outbox inside the caller's transaction, so the
message is sent if and only if the change that caused it commits (the transactional outbox, see
docs/architecture.md). Routing picks the neighbour from division codes alone (sync/routing.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session
from ulid import ULID

from node.errors import InvalidInput
from node.timeutil import to_timestamp, utcnow
from sync import outbox
from sync.origin import OriginSigner
from sync.routing import HopKind, NoRoute, next_hop
from sync.transport import DEFAULT_MAX_MESSAGE_BYTES
from wuji.divisions import DivisionCode
from wuji.v1 import link_pb2

# room left in a link message beside the envelope: the frame around it and the route each relay
# appends (a 12-digit code per hop)
LINK_MESSAGE_HEADROOM_BYTES = 64 * 1024
MIB = 1024 * 1024


class Outbound:
    """Addresses messages by destination code; routing picks the neighbour (docs/architecture.md §5)."""

    def __init__(
        self,
        here: DivisionCode,
        peer_provinces: Sequence[str] = (),
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self.here = here
        # a larger envelope could never cross a link, and every envelope queued behind it would wait
        self.max_envelope_bytes = max_message_bytes - LINK_MESSAGE_HEADROOM_BYTES
        # partner provinces with a peer link (跨省通办); replaced whole when a peer is added or removed
        self.peer_provinces: frozenset[str] = frozenset(peer_provinces)
        # signs what this node originates (sync/origin.py); set by the runtime once the node has keys
        self.signer: OriginSigner | None = None

    def route(self, destination: str) -> tuple[str, str]:
        """The (neighbour, role) a message for destination leaves through; NoRoute if none."""
        hop = next_hop(self.here, DivisionCode.parse(destination), self.peer_provinces)
        if hop.kind is HopKind.LOCAL or hop.peer is None:
            raise NoRoute(f"message for {destination} is for this node itself")
        return hop.peer, hop.role

    # **body: one field of the Envelope's body oneof, each of its own message type (hence Any)
    def send(self, session: Session, destination: str, **body: Any) -> link_pb2.Envelope:
        """Enqueue a new message (one body field, e.g. case_submitted=...) for destination."""
        envelope = link_pb2.Envelope(
            message_id=str(ULID()),
            sender=self.here.value,
            origin=self.here.value,
            destination=destination,
            created_at=to_timestamp(utcnow()),
            route=[self.here.value],
            **body,
        )
        self._check_size(envelope)
        self._sign(envelope)
        self._enqueue(session, envelope)
        return envelope

    def relay(self, session: Session, arrived: link_pb2.Envelope) -> None:
        """Pass an envelope for another node one hop further, keeping its id and origin."""
        forwarded = link_pb2.Envelope()
        forwarded.CopyFrom(arrived)
        forwarded.sender = self.here.value
        forwarded.route.append(self.here.value)
        self._enqueue(session, forwarded)

    def send_to_neighbour(
        self,
        session: Session,
        peer: str,
        role: str,
        message_id: str,
        passed_on: link_pb2.Envelope | None = None,
        **body: Any,  # one field of the body oneof, as in `send`
    ) -> None:
        """Enqueue a message for a neighbour itself, unless one with message_id still waits.

        passed_on: a flooded message from elsewhere that this node only passes on: its origin, time
        and signature go on unchanged, readdressed to the neighbour (sync/origin.py FLOODED).
        """
        if outbox.is_waiting(session, peer, message_id):
            return
        envelope = link_pb2.Envelope(
            message_id=message_id,
            sender=self.here.value,
            origin=passed_on.origin if passed_on else self.here.value,
            destination=peer,
            created_at=passed_on.created_at if passed_on else to_timestamp(utcnow()),
            route=[self.here.value],
            **body,
        )
        self._check_size(envelope)
        if passed_on is None:
            self._sign(envelope)
        else:
            envelope.origin_signature = passed_on.origin_signature
            envelope.origin_chain.extend(passed_on.origin_chain)
        outbox.enqueue(session, peer, role, envelope)

    def _check_size(self, envelope: link_pb2.Envelope) -> None:
        """InvalidInput if the envelope cannot cross a link; raised in the caller's transaction,
        so the change that would have sent it is not stored either."""
        size = envelope.ByteSize()
        if size > self.max_envelope_bytes:
            raise InvalidInput(
                f"要发出的内容共 {size / MIB:.1f} MB，超过节点间一次可传送的上限 "
                f"{self.max_envelope_bytes / MIB:.1f} MB；请把材料压缩或降低扫描分辨率后再交，"
                f"未保存 (a message of {size:,} bytes exceeds the link's {self.max_envelope_bytes:,})"
            )

    def _sign(self, envelope: link_pb2.Envelope) -> None:
        if self.signer is not None:
            self.signer.sign(envelope)

    def _enqueue(self, session: Session, envelope: link_pb2.Envelope) -> None:
        peer, role = self.route(envelope.destination)
        outbox.enqueue(session, peer, role, envelope)
