"""The names of offices, for the pages and papers people read.

A node knows another node by its division code, but certificates name their holders (the subject's
common name, e.g. 沅江市政务服务中心, set when the node enrolled): its own chain names every ancestor
up to the province, the register of what its CA issued names its children, the partner provinces'
roots name those provinces, and the origin chain of every envelope it verifies names the node that
sent it (a village two tiers down, the county of another province that handled a case), and each
child's statistics rollup names the offices of its subtree that none of these name (a province's
supervisor reads every township's cards). Names heard that way are kept (OfficeName), so they
survive a restart. A citizen's receipt then reads
"沅江市政务服务中心 民政局（430981000000）"; an office no certificate here names reads as its code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from node.store.models import IssuedCertificate, OfficeName
from node.timeutil import utcnow
from node.trust import partners
from signing.pki import CertificatePurpose, division_code_of, purpose_of
from wuji.divisions import DivisionCode

log = logging.getLogger(__name__)

REFRESH_SECONDS = 60.0  # a newly enrolled child is named on the pages within a minute
SAVE_SECONDS = 5.0  # names heard are kept this soon after, whether or not a page asked for one


class PlaceNames:
    def __init__(
        self,
        here: str,
        own_name: str,
        chain: Iterable[x509.Certificate],
        readers: Callable[[], Session],
        sessions: sessionmaker[Session] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fixed = {code: name for code, name in map(_named, chain) if code and name}
        if own_name:
            self._fixed[here] = own_name
        self._readers = readers
        self._sessions = sessions  # to keep the names heard (None: read only)
        self._clock = clock
        self._lock = threading.Lock()
        self._unsaved: dict[str, str] = {}  # heard since the last save
        self._known: dict[str, str] = dict(self._fixed)
        self._provinces: dict[str, str] = {}  # partner provinces by their anchors' names
        self._read_at: float | None = None

    def name_of(self, code: str) -> str:
        """The office's name, or "" when no certificate seen here names it."""
        return self._names().get(code, "")

    def office(self, code: str) -> str:
        """The office's name; a partner province no certificate seen here names (at a county, say)
        by the name its anchor was installed under (`wuji peer add --name 广东省`), which comes down
        the tree with the anchor; "" when neither names it."""
        name = self.name_of(code)
        if name or not code.endswith("0" * 10):  # only a province's code names a partner
            return name
        return self.province(code)

    def province(self, code: str) -> str:
        """A partner province as people name it (广东省: the name its anchor was installed under,
        where its root certificate names its office, 广东省政务服务中心), or "" when not named here.
        One not known yet is looked up at once (a few rows): an anchor arrives at any time."""
        self._names()  # the names of every kind read again once they are REFRESH_SECONDS old
        name = self._provinces.get(code)
        if name is None:
            with self._readers() as session:
                self._provinces = partners.province_names(session)
            name = self._provinces.get(code, "")
        return name

    def place(self, code: str, department: str = "") -> str:
        return place(code, self.name_of(code), department)

    def below(self, root: DivisionCode) -> dict[str, str]:
        """The names known here of root and the offices under it (sent up in statistics rollups)."""
        return {
            code: name
            for code, name in self._names().items()
            if DivisionCode.parse(code).is_in_subtree_of(root)
        }

    def told(self, names: Mapping[str, str]) -> None:
        """Names a child reports of its own subtree (checked by the caller), for offices that no
        certificate seen here names: one that does keeps its own. Called, as `heard`, inside the
        link's transaction: only remembered here (a save from this thread would wait for the
        database lock its own transaction holds), saved by `save_heard`."""
        with self._lock:
            known = self._known
            self._unsaved.update({code: name for code, name in names.items() if code not in known})

    def heard(self, certificate: x509.Certificate) -> None:
        """A verified certificate's holder, named (called once per chain the node validates, from
        the link's thread, inside its transaction: only remembered here, saved by `save_heard`)."""
        code, name = _named(certificate)
        if code and name and self._known.get(code) != name:
            with self._lock:
                self._unsaved[code] = name

    def save_heard(self) -> dict[str, str]:
        """Keep the names heard since the last save (every SAVE_SECONDS, on a look-up, at stop);
        returns them."""
        with self._lock:
            unsaved = dict(self._unsaved)
        if unsaved:
            self._save(unsaved)
        return unsaved

    def _names(self) -> dict[str, str]:
        now = self._clock()
        unsaved = self.save_heard()
        if unsaved or self._read_at is None or now - self._read_at >= REFRESH_SECONDS:
            with self._readers() as session:
                rows = session.execute(select(OfficeName.code, OfficeName.name))
                heard = {code: name for code, name in rows}
                self._known = {**heard, **unsaved, **self._certified_here(session), **self._fixed}
                self._provinces = partners.province_names(session)
            self._read_at = now
        return self._known

    def _save(self, names: dict[str, str]) -> None:
        if self._sessions is None:
            return
        try:
            with self._sessions.begin() as session:
                for code, name in names.items():
                    session.merge(OfficeName(code=code, name=name, learned_at=utcnow()))
        except SQLAlchemyError as error:  # e.g. the other replica saved one first: tried again next look
            log.warning("office names not saved yet (%s): %s", ", ".join(names), error)
            return
        with self._lock:
            for code, name in names.items():
                if self._unsaved.get(code) == name:
                    del self._unsaved[code]
            self._known = {**self._known, **names}  # heard again, they are not saved again

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


def place(code: str, name: str, department: str = "") -> str:
    """沅江市政务服务中心 民政局（430981000000）; without a name, "430981000000 民政局"."""
    if name:
        return f"{name} {department}（{code}）" if department else f"{name}（{code}）"
    return f"{code} {department}".strip()


_SEAL_CA_SUFFIX = " 电子印章CA (SM2)"


def seal_ca_name(name: str) -> str:
    """The common name of a node's SM2 seal CA: never the link CA's, so issuer names tell them apart."""
    return f"{name}{_SEAL_CA_SUFFIX}"


def _named(certificate: x509.Certificate) -> tuple[str, str]:
    """The node a certificate is for and its name: a link or CA certificate's common name, its SM2
    seal CA's without the words that tell the two CAs apart (the office is not "… 电子印章CA");
    a seal's or a time-stamp's certificate names no node."""
    try:
        code = division_code_of(certificate)
        purpose = purpose_of(certificate)
    except ValueError:
        return "", ""
    if purpose not in (CertificatePurpose.CA, CertificatePurpose.TLS):
        return "", ""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = str(names[0].value).removesuffix(_SEAL_CA_SUFFIX)[:100] if names else ""
    return code, "" if name == code else name  # a certificate without a name bears the code there
