"""The links of one node, by neighbour code, and who may open one."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sync.link import Link, LinkHandler, LinkSettings
from sync.tables import LinkState
from wuji.divisions import DivisionCode, InvalidDivisionCode


class LinkRefused(Exception):
    """A node asked to open a link it has no right to."""


class LinksElsewhere(Exception):
    """This replica is on standby: another replica of the node runs its links."""


class LinkRegistry:
    def __init__(
        self,
        here: DivisionCode,
        sessions: sessionmaker[Session],
        handler: LinkHandler,
        settings: LinkSettings,
        readers: sessionmaker[Session] | None = None,
    ) -> None:
        self.here = here
        self._sessions = sessions
        self._readers = readers or sessions
        self._handler = handler
        self._settings = settings
        self._links: dict[str, Link] = {}
        self._lock = threading.Lock()
        self.active = True  # False on a standby replica (see node/runtime/lease.py)
        self.is_peer: Callable[[str], bool] = lambda code: False  # a partner province (跨省通办)?
        with self._readers() as session:
            known = session.scalars(select(LinkState)).all()
            roles = {state.peer: state.role for state in known}
        for peer, role in roles.items():
            self.get(peer, role)

    def get(self, peer: str, role: str) -> Link:
        """The link to a neighbour, created (with its cursor row) on first use."""
        with self._lock:
            link = self._links.get(peer)
        if link is not None:
            return link
        # built outside the lock: a new Link touches the database, and a transaction that holds
        # the database may be waiting for this lock (e.g. to list children)
        created = Link(
            self.here.value, peer, role, self._sessions, self._handler, self._settings, self._readers
        )
        with self._lock:
            return self._links.setdefault(peer, created)

    def accept(self, peer_code: str) -> Link:
        """The link for a node that dialled us, if it is one of our children."""
        if not self.active:
            raise LinksElsewhere("this replica is on standby; another replica of the node runs its links")
        try:
            peer = DivisionCode.parse(peer_code)
        except InvalidDivisionCode as error:
            raise LinkRefused(str(error)) from error
        if self.is_peer(peer.value):
            return self.get(peer.value, "peer")
        if peer.parent != self.here:
            raise LinkRefused(f"node {peer} is not a child of {self.here}; links are opened by children")
        return self.get(peer.value, "child")

    def find(self, peer: str) -> Link | None:
        with self._lock:
            return self._links.get(peer)

    def children(self) -> list[Link]:
        with self._lock:
            return [link for link in self._links.values() if link.role == "child"]

    def all(self) -> list[Link]:
        with self._lock:
            return list(self._links.values())

    def wake(self, peers: Iterable[str]) -> None:
        with self._lock:
            links = [self._links.get(peer) for peer in peers]
        for link in links:
            if link is not None:
                link.wake()

    def close_all(self, reason: str) -> None:
        for link in self.all():
            link.close(reason)
