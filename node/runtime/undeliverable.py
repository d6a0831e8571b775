"""Nothing waits forever: a case whose next hop has no enrolled node goes back to its origin.

A case queued for a child that was never enrolled (or whose certificates were all revoked) cannot
leave. While it waits, this node raises a yellow card (无法送达) that travels up like any card;
after `undeliverable_hours` the case is returned to its origin as 不予受理 with the reason (a
partner province's case for an office that never had a node, at the next sweep), and its
outbox slot is kept as an empty placeholder (the link's numbering must stay contiguous), which the
child ignores should it enrol later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from node.convert import card_to_proto
from node.store.models import IssuedCertificate, SupervisionCard
from node.store.outbound import Outbound
from node.timeutil import as_utc, from_timestamp, shanghai, utcnow
from node.workdays import china_date
from sync import outbox
from sync.tables import LinkState
from wuji.divisions import DivisionCode, InvalidDivisionCode
from wuji.v1 import link_pb2

log = logging.getLogger(__name__)

RETURNED_PREFIX = "returned-"  # message id of the placeholder left in a returned case's slot
UNDELIVERABLE = "undeliverable"


class Undeliverable:
    """The scan for cases stuck behind an unenrolled child (run with the supervision tick)."""

    def __init__(
        self,
        here: DivisionCode,
        sessions: sessionmaker[Session],
        outbound: Outbound,
        return_case: Callable[[Session, link_pb2.Envelope, str], None],
        after_hours: float,
    ) -> None:
        self.here = here
        self._sessions = sessions
        self._outbound = outbound
        self._return_case = return_case
        self.after = timedelta(hours=after_hours)

    def sweep(self) -> list[str]:
        """Card what waits, return what waited too long; the ids of the cases returned."""
        returned: list[str] = []
        now = utcnow()
        with self._sessions.begin() as session:
            children = session.scalars(select(LinkState.peer).where(LinkState.role == "child")).all()
            for child in children:
                if _enrolled(session, child):
                    continue
                never_enrolled = not _ever_enrolled(session, child)
                for entry in outbox.waiting(session, child):
                    envelope = link_pb2.Envelope.FromString(entry.envelope)
                    if envelope.WhichOneof("body") != "case_submitted":
                        continue
                    case = envelope.case_submitted.case
                    reason = f"下级 {child} 尚未入网，办理机构 {case.handler} 收不到此件 (no enrolled node)"
                    returns_at = as_utc(entry.created_at) + self.after
                    if never_enrolled and self._from_partner(envelope):
                        # the partner's window cannot know which offices here have nodes, and no
                        # card raised here reaches it: waiting, its village saw the case on its
                        # way for a day, then returned
                        returns_at = now
                        reason = (
                            f"下级 {child} 从未入网，办理机构 {case.handler} 收不到此件，"
                            "请申请人向户籍地的办理机构申请 (no node was ever enrolled there)"
                        )
                    if now < returns_at:
                        self._card(session, envelope, reason, now, returns_at)
                        continue
                    self._return_case(session, envelope, reason)
                    entry.envelope = self._placeholder(envelope, child).SerializeToString()
                    self._close_card(session, case.id, now)
                    log.warning("case %s returned to %s: %s", case.id, envelope.origin, reason)
                    returned.append(case.id)
        return returned

    def _from_partner(self, envelope: link_pb2.Envelope) -> bool:
        """A case taken in by a partner province's window (异地代收代办, a 两地联办 part)."""
        try:
            return DivisionCode.parse(envelope.origin).province != self.here.province
        except InvalidDivisionCode:
            return False

    def _placeholder(self, envelope: link_pb2.Envelope, child: str) -> link_pb2.Envelope:
        empty = link_pb2.Envelope(
            seq=envelope.seq,
            message_id=RETURNED_PREFIX + envelope.message_id,
            sender=self.here.value,
            origin=self.here.value,
            destination=child,
            created_at=envelope.created_at,
            route=[self.here.value],
        )
        if self._outbound.signer is not None:
            self._outbound.signer.sign(empty)
        return empty

    def _card(
        self, session: Session, envelope: link_pb2.Envelope, reason: str, now: datetime, returns_at: datetime
    ) -> None:
        case = envelope.case_submitted.case
        card_id = f"{case.id}:{UNDELIVERABLE}"
        if session.get(SupervisionCard, card_id) is not None:
            return
        card = SupervisionCard(
            id=card_id,
            case_id=case.id,
            # the node holding the case answers for it while no one can handle it: its statistics
            # count the card (a handler without a node counts nothing) and its subtree lists it
            handler=self.here.value,
            colour="yellow",
            reason=UNDELIVERABLE,
            detail=f"无法送达：{reason}；{shanghai(returns_at)} 起退回申请地 {envelope.origin}",
            deadline=None,
            submitted_on=china_date(from_timestamp(case.submitted_at)),
            raised_at=now,
            department=case.department or None,
            item_name=case.item_name or None,
        )
        session.add(card)
        self._send_up(session, card)

    def _close_card(self, session: Session, case_id: str, now: datetime) -> None:
        card = session.get(SupervisionCard, f"{case_id}:{UNDELIVERABLE}")
        if card is not None and card.closed_at is None:
            card.closed_at = now
            self._send_up(session, card)

    def _send_up(self, session: Session, card: SupervisionCard) -> None:
        if self.here.parent is not None:
            self._outbound.send(session, self.here.parent.value, supervision_card=card_to_proto(card))


def _enrolled(session: Session, code: str) -> bool:
    """True if this node's CA has a certificate for `code` that is not revoked."""
    query = select(IssuedCertificate.serial).where(
        IssuedCertificate.code == code, IssuedCertificate.revoked_at.is_(None)
    )
    return session.scalars(query.limit(1)).first() is not None


def _ever_enrolled(session: Session, code: str) -> bool:
    """True if this node's CA ever certified `code` (a child whose certificates were all revoked
    is being replaced, and may enrol again within the wait)."""
    query = select(IssuedCertificate.serial).where(IssuedCertificate.code == code)
    return session.scalars(query.limit(1)).first() is not None


def is_placeholder(envelope: link_pb2.Envelope) -> bool:
    """The empty slot of a case returned as undeliverable (nothing to apply)."""
    return envelope.WhichOneof("body") is None and envelope.message_id.startswith(RETURNED_PREFIX)
