"""A lease in the node's database: of several replicas sharing it, exactly one runs the links.

Any replica serves the desk (its writes land in the shared outbox); only the lease holder dials the
parent, answers children and sends outbox entries, so nothing is sent twice. The holder renews the
lease every third of its term; if it dies, another replica takes over once the term runs out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from node.store.models import Lease
from node.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)
LINKS = "links"


def default_holder(listen: str) -> str:
    """This replica's name: its host and listening address (distinct for replicas on one host)."""
    return f"{socket.gethostname()}:{listen}"


def process_holder(replica: str) -> str:
    """The lease holder of this process: the replica's name, its host and process id, so two
    processes started from one configuration never both believe they hold the lease."""
    return f"{replica} ({socket.gethostname()} pid {os.getpid()})"


class AlreadyRunning(OSError):
    """Another live process of this replica holds the link lease: this one must not start."""


class LinkLease:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        on_change: Callable[[bool], None],
        holder: str,
        term_seconds: float = 10.0,
    ) -> None:
        self.holder = holder  # unique per process (process_holder); a clean stop releases the lease at once
        self._replica = holder.rpartition(" (")[0] or holder
        self._sessions = sessions
        self._on_change = on_change
        self._term = timedelta(seconds=term_seconds)
        self._stopped = threading.Event()
        self.active = False
        self._thread = threading.Thread(target=self._keep, name="link lease", daemon=True)

    def start(self) -> None:
        self._tick()
        self._thread.start()

    def refuse_twin(self) -> None:
        """AlreadyRunning if a live process on this host holds the lease under this replica's name."""
        with self._sessions() as session:
            lease = session.get(Lease, LINKS)
        if lease is None or lease.holder == self.holder or as_utc(lease.expires_at) <= utcnow():
            return
        if self._twin(lease.holder) is True:
            pid = lease.holder.rpartition(" pid ")[2].rstrip(")")
            raise AlreadyRunning(
                f"this node already runs as process {pid} on this host ({self._replica}); stop it first, "
                "or give a second replica its own listen address and replica_id"
            )

    def _twin(self, holder: str) -> bool | None:
        """Whether `holder` is another process of this replica on this host: True if it is alive,
        False if it died without releasing the lease (it may be taken at once), None if not a twin."""
        replica, _, process = holder.rpartition(" (")
        host, _, pid = process.rstrip(")").partition(" pid ")
        if replica != self._replica or host != socket.gethostname():
            return None
        return _alive(pid)

    def stop(self) -> None:
        self._stopped.set()
        if self.active:
            self._release()

    def _keep(self) -> None:
        while not self._stopped.wait(self._term.total_seconds() / 3):
            self._tick()

    def _tick(self) -> None:
        try:
            held = self._try_acquire()
        except (IntegrityError, OperationalError) as error:  # a rival replica won this round
            log.debug("lease contention: %s", error)
            held = False
        if held != self.active:
            self.active = held
            log.info("replica %s %s the links", self.holder, "now runs" if held else "no longer runs")
            self._on_change(held)

    def _try_acquire(self) -> bool:
        now = utcnow()
        with self._sessions.begin() as session:
            lease = session.scalars(select(Lease).where(Lease.name == LINKS).with_for_update()).one_or_none()
            if lease is None:
                session.add(Lease(name=LINKS, holder=self.holder, expires_at=now + self._term))
                return True
            running = as_utc(lease.expires_at) > now and self._twin(lease.holder) is not False
            if lease.holder != self.holder and running:
                return False
            lease.holder, lease.expires_at = self.holder, now + self._term
            return True

    def _release(self) -> None:
        with self._sessions.begin() as session:
            lease = session.get(Lease, LINKS, with_for_update=True)
            if lease is not None and lease.holder == self.holder:
                lease.expires_at = utcnow()


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
