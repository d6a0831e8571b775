"""The province's time-stamping service (时间戳服务, RFC 3161) and how a node reaches it.

The province node holds the time-stamping key, certified by its own root for time-stamping only
(`tsa.key`, `tsa.pem` in the PKI folder, made on first use). Any other node asks its parent over
the mTLS enrollment service; a parent that is not the province passes the request on, so a village
reaches the province through its township, county and city. The sealing node never sets the time
of its own seals: the token comes from the province, signed by a key the node does not hold.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from node.errors import NotReady
from node.timeutil import as_utc, utcnow
from node.trust.certificates import CertificateOffice, province_purpose_key
from signing.pki import CertificatePurpose
from signing.timestamps import TimeStampAuthority
from wuji.divisions import DivisionCode

# asks the parent for a token: imprint, nonce -> DER token (NotReady when it cannot be reached)
ParentStamper = Callable[[bytes, int], bytes]


class TimestampUnavailable(NotReady):
    """The province's time-stamping service cannot be reached now: the seal waits for its token."""


def province_tsa(
    session: Session, folder: Path, passphrase: bytes, office: CertificateOffice | None
) -> TimeStampAuthority:
    """Load the province's time-stamping key, or make one and certify it with the root CA."""
    key, chain = province_purpose_key(
        session, folder / "tsa.key", passphrase, office, CertificatePurpose.TIMESTAMP, "时间戳服务"
    )
    return TimeStampAuthority(key, chain)  # type: ignore[arg-type]


class Timestamping:
    """Tokens for this node's seals: stamped here at the province, else fetched up the tree."""

    def __init__(
        self,
        here: DivisionCode,
        sessions: sessionmaker[Session],
        folder: Path,
        passphrase: bytes,
        office: CertificateOffice | None,
        ask_parent: ParentStamper | None,
    ) -> None:
        self.here = here
        self._sessions = sessions
        self._folder = folder
        self._passphrase = passphrase
        self._office = office
        self._ask_parent = ask_parent
        self._tsa: TimeStampAuthority | None = None
        self._lock = threading.Lock()

    @property
    def is_service(self) -> bool:
        """This node runs the service (a province)."""
        return self.here.parent is None

    def authority(self) -> TimeStampAuthority:
        """The province's time-stamping unit; made or renewed a day before its certificate ends."""
        with self._lock:
            renew_at = utcnow() + timedelta(days=1)
            if self._tsa is None or as_utc(self._tsa.chain[0].not_valid_after_utc) <= renew_at:
                with self._sessions.begin() as session:
                    self._tsa = province_tsa(session, self._folder, self._passphrase, self._office)
            return self._tsa

    def stamp(self, imprint: bytes, nonce: int | None = None) -> bytes:
        """A token over `imprint` (SHA-256 of a seal's signature); TimestampUnavailable if the
        province cannot be reached."""
        nonce = secrets.randbits(63) if nonce is None else nonce
        if self.is_service:
            return self.authority().stamp(imprint, nonce=nonce)
        if self._ask_parent is None:
            raise TimestampUnavailable("no parent to reach the province's time-stamping service")
        return self._ask_parent(imprint, nonce)
