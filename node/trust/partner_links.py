"""Whether a partner province (跨省通办) can be reached, told down the whole tree of the province that
holds the partner link: a village agent whose 跨省通办 case waits on 广东 sees why it waits.

Only the province links to its partners. When such a link's state changes (down once it has stayed
down a while, up again), the province states it in a PeerLinkState it signs; every node keeps the
newest statement per partner and passes it on to its children unchanged, under the province's
signature (sync/origin.py FLOODED). A child that (re)connects is sent the statements it lacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.errors import InvalidInput
from node.store.models import PartnerLinkState
from node.timeutil import as_utc, from_timestamp, to_timestamp, utcnow
from node.trust.partners import NeighbourMail, first_delivery
from wuji.divisions import DivisionCode, InvalidDivisionCode, Tier
from wuji.v1 import link_pb2

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartnerDown:
    """A partner province that cannot be reached, as this node last heard from its province."""

    province: str
    since: datetime | None
    reason: str  # trouble_meaning's words ("" if the province did not know why)


def down_partners(session: Session) -> list[PartnerDown]:
    """The partner provinces this node's province last said it cannot reach."""
    rows = session.scalars(
        select(PartnerLinkState)
        .where(PartnerLinkState.connected.is_(False))
        .order_by(PartnerLinkState.province)
    )
    return [PartnerDown(row.province, as_utc(row.since) if row.since else None, row.reason) for row in rows]


def _message_id(state: link_pb2.PeerLinkState, stated_at: datetime) -> str:
    """One per statement: a child takes each statement once, whichever way it came."""
    word = "up" if state.connected else "down"
    return f"peer-link-{state.province}-{word}-{int(stated_at.timestamp() * 1000)}"


class PartnerLinkStates:
    """Keeps and floods the province's word on its partner links."""

    def __init__(
        self,
        here: DivisionCode,
        outbound: NeighbourMail,
        children: Callable[[], Iterable[str]],
        sign: Callable[[link_pb2.Envelope], object],
    ) -> None:
        self.here = here
        self._outbound = outbound
        self._children = children
        self._sign = sign  # the province's origin signature (Outbound's signer)

    def announce(
        self, session: Session, province: str, connected: bool, since: datetime, reason: str
    ) -> bool:
        """At the province: state a partner link's state to the tree if it is news (True if sent).

        A link that comes up when nothing said it was down is no news; neither is the same state
        again (a reconnect after a blip shorter than the watcher's wait)."""
        row = session.get(PartnerLinkState, province)
        if row is None and connected:
            return False
        if row is not None and row.connected == connected and (connected or row.reason == reason):
            return False
        state = link_pb2.PeerLinkState(
            province=province, connected=connected, since=to_timestamp(since), reason=reason
        )
        stated_at = utcnow()
        envelope = link_pb2.Envelope(
            message_id=_message_id(state, stated_at),
            origin=self.here.value,
            created_at=to_timestamp(stated_at),
            peer_link_state=state,
        )
        self._sign(envelope)  # once: every hop passes it on as it is
        self._keep(session, envelope)
        log.info("partner province %s %s since %s: told the tree", province, _word(connected), since)
        for child in self._children():
            self._send(session, child, session.get(PartnerLinkState, province))
        return True

    def receive(self, session: Session, envelope: link_pb2.Envelope, peer: str) -> None:
        """A statement from this node's province, passed on by its parent: keep it if newer, pass it on."""
        if self.here.tier is Tier.PROVINCE or DivisionCode.parse(peer) != self.here.parent:
            raise InvalidInput(f"partner link states come only from this node's parent, not {peer}")
        if envelope.origin != self.here.province.value:
            raise InvalidInput(
                f"partner link states come only from this node's province, not {envelope.origin}"
            )
        state = envelope.peer_link_state
        try:
            partner = DivisionCode.parse(state.province)
        except InvalidDivisionCode as error:
            raise InvalidInput(f"partner link state for {state.province!r}: {error}") from error
        if partner.tier is not Tier.PROVINCE or partner == self.here.province:
            raise InvalidInput(f"partner link state for {state.province}, which is not a partner province")
        row = session.get(PartnerLinkState, state.province)
        if row is not None and as_utc(row.stated_at) >= from_timestamp(envelope.created_at):
            return  # an older statement overtaken by a newer one
        self._keep(session, envelope)
        for child in self._children():
            self._send(session, child, session.get(PartnerLinkState, state.province))

    def on_child_hello(self, session: Session, child: str) -> None:
        """A child (re)connected: the statements it has not been sent yet."""
        for row in session.scalars(select(PartnerLinkState)):
            self._send(session, child, row)

    def _keep(self, session: Session, envelope: link_pb2.Envelope) -> None:
        state = envelope.peer_link_state
        row = session.get(PartnerLinkState, state.province)
        if row is None:
            row = PartnerLinkState(province=state.province)
            session.add(row)
        row.connected, row.reason = state.connected, state.reason
        row.since = from_timestamp(state.since) if state.HasField("since") else None
        row.stated_at, row.envelope = from_timestamp(envelope.created_at), envelope.SerializeToString()
        session.flush()

    def _send(self, session: Session, child: str, row: PartnerLinkState | None) -> None:
        if row is None:
            return
        signed = link_pb2.Envelope.FromString(row.envelope)
        message_id = signed.message_id
        if not first_delivery(session, child, f"link:{row.province}", message_id):
            return
        self._outbound.send_to_neighbour(
            session, child, "child", message_id, passed_on=signed, peer_link_state=signed.peer_link_state
        )


def _word(connected: bool) -> str:
    return "reachable" if connected else "unreachable"
