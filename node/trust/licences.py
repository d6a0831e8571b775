"""Electronic licences (电子证照): issued when a case concludes, revoked by their issuer only.

The identifier follows GB/T 36904's shape (signing/licences.py). A revocation floods the whole
province: it goes to the parent and to every child, and each node passes it on to all its other
neighbours, so every node can report the licence as revoked. The province also tells its partner
provinces (跨省通办), which flood it through their own trees: a licence may be presented there too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.errors import InvalidInput, NotFound, WrongNode
from node.store.models import Case, Licence, LicenceRevocation, ServiceItem
from node.store.outbound import Outbound
from node.timeutil import as_utc, from_timestamp, to_timestamp, utcnow
from signing.licences import InvalidLicenceIdentifier, LicenceIdentifier, credit_code_check_character
from wuji.divisions import DivisionCode
from wuji.v1 import desk_pb2, link_pb2

# neighbours to flood to: (code, role) pairs
Neighbours = Callable[[], Iterable[tuple[str, str]]]


def synthetic_credit_code(code: DivisionCode) -> str:
    """A well-formed 统一社会信用代码 for a node that has none configured (demo and tests only).

    Shape: 1 (机构编制) 1 (机关) + the 6-digit county-level area code + 9 characters from the rest
    of the division code + the GB 32100 check character.
    """
    first17 = f"11{code.value[:6]}000{code.value[6:]}"
    return first17 + credit_code_check_character(first17)


class LicenceService:
    def __init__(
        self, here: DivisionCode, credit_code: str, outbound: Outbound, neighbours: Neighbours
    ) -> None:
        self.here = here
        self.credit_code = credit_code or synthetic_credit_code(here)
        self._outbound = outbound
        self._neighbours = neighbours

    def issue(self, session: Session, case: Case, item: ServiceItem) -> dict[str, Any]:
        """颁发: the licence a concluded case yields; the block goes into the sealed result."""
        spec: dict[str, Any] = item.licence or {}  # a JSON column, checked by the catalogue
        identifier = LicenceIdentifier.build(
            str(spec["type_code"]), self.credit_code, case.id.rsplit("-", 1)[-1], 1
        )
        now = utcnow()
        years = int(spec.get("valid_years", 0) or 0)
        valid_to = now + timedelta(days=365 * years) if years else None
        session.add(
            Licence(
                identifier=str(identifier),
                case_id=case.id,
                kind=str(spec["kind"]),
                holder=case.applicant_name,
                valid_from=now,
                valid_to=valid_to,
            )
        )
        return {
            "identifier": str(identifier),
            "kind": spec["kind"],
            "holder": case.applicant_name,
            "holder_id_number": case.applicant_id_number,
            "issuer_node": self.here.value,
            "issuer_credit_code": self.credit_code,
            "valid_from": now.isoformat(timespec="seconds"),
            "valid_to": valid_to.isoformat(timespec="seconds") if valid_to else "长期",
        }

    def revoke(self, session: Session, identifier: str, reason: str) -> desk_pb2.LicenceStatus:
        """吊销/撤销: only the issuing node revokes; every node hears of it."""
        licence = session.get(Licence, _normalised(identifier))
        if licence is None:
            raise NotFound(f"licence {identifier} was not issued at node {self.here}")
        if not reason.strip():
            raise InvalidInput("a revocation needs a reason")
        if session.get(LicenceRevocation, licence.identifier) is None:
            notice = link_pb2.LicenceRevoked(
                identifier=licence.identifier,
                issuer_node=self.here.value,
                revoked_at=to_timestamp(utcnow()),
                reason=reason.strip(),
            )
            self._record(session, notice)
            self._flood(session, notice, passed_on=None, came_from=None)
        return self.status(session, licence.identifier)

    def revoke_of_case(self, session: Session, case_id: str, reason: str) -> list[str]:
        """撤销 the licences this node issued on concluding the case; the identifiers revoked now."""
        issued = session.scalars(select(Licence.identifier).where(Licence.case_id == case_id)).all()
        fresh = [identifier for identifier in issued if session.get(LicenceRevocation, identifier) is None]
        for identifier in fresh:
            self.revoke(session, identifier, reason)
        return fresh

    def apply_revoked(self, session: Session, envelope: link_pb2.Envelope, peer: str) -> None:
        """A revocation from elsewhere: remember it once and pass it on."""
        notice = envelope.licence_revoked
        if envelope.origin != notice.issuer_node:
            raise WrongNode(
                f"licence {notice.identifier} can only be revoked by its issuer {notice.issuer_node}"
            )
        if session.get(LicenceRevocation, notice.identifier) is not None:
            return
        self._record(session, notice)
        self._flood(session, notice, passed_on=envelope, came_from=peer)

    def status(self, session: Session, identifier: str) -> desk_pb2.LicenceStatus:
        key = _normalised(identifier)
        licence = session.get(Licence, key)
        revoked = session.get(LicenceRevocation, key)
        status = desk_pb2.LicenceStatus(identifier=key, state="unknown here")
        if licence is not None:
            status.state, status.issuer_node = "valid", self.here.value
            status.kind, status.holder = licence.kind, licence.holder
            if licence.valid_to is not None and as_utc(licence.valid_to) < utcnow():
                status.state = "expired"
        if revoked is not None:
            status.state, status.issuer_node = "revoked", revoked.issuer_node
            status.revoked_at = as_utc(revoked.revoked_at).isoformat(timespec="seconds")
            status.reason = revoked.reason
        return status

    def _record(self, session: Session, notice: link_pb2.LicenceRevoked) -> None:
        session.add(
            LicenceRevocation(
                identifier=notice.identifier,
                issuer_node=notice.issuer_node,
                revoked_at=from_timestamp(notice.revoked_at),
                reason=notice.reason,
                received_at=utcnow(),
            )
        )

    def _flood(
        self,
        session: Session,
        notice: link_pb2.LicenceRevoked,
        passed_on: link_pb2.Envelope | None,
        came_from: str | None,
    ) -> None:
        own_province = notice.issuer_node[:2] == self.here.value[:2]
        for peer, role in self._neighbours():
            # a partner province hears of our own licences only; it floods them through its tree
            if peer != came_from and (role != "peer" or own_province):
                self._outbound.send_to_neighbour(
                    session,
                    peer,
                    role,
                    _revocation_message_id(notice.identifier),
                    passed_on=passed_on,
                    licence_revoked=notice,
                )


def _revocation_message_id(identifier: str) -> str:
    """Fits the 64 characters of a message id (an identifier alone may be longer)."""
    return f"licence-revoked-{hashlib.sha256(identifier.encode()).hexdigest()[:40]}"


def _normalised(identifier: str) -> str:
    try:
        return str(LicenceIdentifier.parse(identifier.strip()))
    except InvalidLicenceIdentifier as error:
        raise InvalidInput(f"not a licence identifier: {error}") from error
