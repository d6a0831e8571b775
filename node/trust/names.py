"""The names of the offices a node can vouch for, for the pages and papers people read.

A node knows another node only by its division code, but the certificates it holds name their
holders (the subject's common name, e.g. 沅江市政务服务中心, set by the issuing tier): its own chain
names every ancestor up to the province, the register of what its CA issued names its children, and
the partner provinces' roots name those provinces. A citizen's receipt can then read
"沅江市政务服务中心 民政局" where the handler is one of these, and the code where it is not (a county of
another province, a village two tiers down).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from node.store.models import IssuedCertificate
from node.trust import partners
from signing.pki import division_code_of

REFRESH_SECONDS = 60.0  # a newly enrolled child is named on the pages within a minute


class PlaceNames:
    def __init__(
        self,
        here: str,
        own_name: str,
        chain: Iterable[x509.Certificate],
        readers: Callable[[], Session],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fixed = {code: name for code, name in map(_named, chain) if code and name}
        if own_name:
            self._fixed[here] = own_name
        self._readers = readers
        self._clock = clock
        self._known: dict[str, str] = dict(self._fixed)
        self._read_at: float | None = None

    def name_of(self, code: str) -> str:
        """The office's name, or "" when this node holds no certificate naming it."""
        return self._names().get(code, "")

    def place(self, code: str, department: str = "") -> str:
        """沅江市政务服务中心 民政局（430981000000）; "430981000000 民政局" when no name is known."""
        name = self.name_of(code)
        if name:
            return f"{name} {department}（{code}）" if department else f"{name}（{code}）"
        return f"{code} {department}".strip()

    def _names(self) -> dict[str, str]:
        now = self._clock()
        if self._read_at is None or now - self._read_at >= REFRESH_SECONDS:
            with self._readers() as session:
                self._known = {**self._certified_here(session), **self._fixed}
            self._read_at = now
        return self._known

    @staticmethod
    def _certified_here(session: Session) -> dict[str, str]:
        """Children (from the link and CA certificates issued here, newest last) and partner provinces."""
        rows = session.scalars(
            select(IssuedCertificate.pem)
            .where(IssuedCertificate.purpose.in_(("ca", "tls")), IssuedCertificate.revoked_at.is_(None))
            .order_by(IssuedCertificate.issued_at)
        )
        certified = [x509.load_pem_x509_certificate(pem.encode("ascii")) for pem in rows]
        named = map(_named, [*partners.link_anchors(session), *certified])
        return {code: name for code, name in named if name}


def _named(certificate: x509.Certificate) -> tuple[str, str]:
    try:
        code = division_code_of(certificate)
    except ValueError:
        return "", ""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = str(names[0].value) if names else ""
    return code, "" if name == code else name  # a certificate without a name bears the code there
