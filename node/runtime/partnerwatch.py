"""At a province: watch the links to partner provinces (跨省通办) and tell the whole tree when one
stays down, or comes back (node/trust/partner_links.py), so the nodes below can say why a case waits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from node.store.models import PartnerLinkState
from node.timeutil import utcnow
from node.trust.partner_links import PartnerLinkStates
from node.web.uplink import needs_operator
from sync.link import Link


class PartnerLinkWatch:
    """Compares each partner link with what the tree was last told; a link down for less than
    `settle_seconds` (a blip, a partner restarting) is not worth telling every village about."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        states: PartnerLinkStates,
        partners: Callable[[], Iterable[str]],
        find_link: Callable[[str], Link | None],
        trouble: Callable[[str, Link | None], str],
        settle_seconds: float,
    ) -> None:
        self._sessions = sessions
        self._states = states
        self._partners = partners
        self._find_link = find_link
        self._trouble = trouble  # why a partner's link is down, in words (trouble_meaning)
        self._settle = timedelta(seconds=settle_seconds)
        self._first_seen_down: dict[str, datetime] = {}  # partners never up since this node started

    def check(self) -> int:
        """Tell the tree of every partner link whose state is news; how many were told."""
        told = 0
        now = utcnow()
        for province in self._partners():
            link = self._find_link(province)
            if link is not None and link.connected:
                self._first_seen_down.pop(province, None)
                since = link.up_since or now
                with self._sessions.begin() as session:
                    told += self._states.announce(session, province, True, since, "")
                continue
            first_seen = self._first_seen_down.setdefault(province, now)
            since = link.down_since if link is not None and link.down_since else first_seen
            if now - since < self._settle:
                continue
            reason = self._trouble(province, link)
            with self._sessions.begin() as session:
                told_before = session.get(PartnerLinkState, province)
                if (
                    told_before is not None
                    and not told_before.connected
                    and needs_operator(told_before.reason) == needs_operator(reason)
                ):
                    reason = told_before.reason  # redialling fails in changing words: not news to a village
                told += self._states.announce(session, province, False, since, reason)
        return told
