"""The official working-day calendar (国务院办公厅 放假安排) as signed data flowing down the tree.

The province publishes a year's calendar (holidays and 调休 working weekends) signed with its
catalogue key; every node checks the signature against its province's root, keeps the message and
installs the year in node/workdays.py, then passes it to its children. A child says nothing about
calendars in its Hello, so a parent offers every calendar it holds when a child connects; one
already held is ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from node import workdays
from node.catalogue.releases import ReleaseSigner
from node.errors import InvalidInput
from node.store.models import WorkingCalendar
from node.timeutil import from_timestamp, to_timestamp, utcnow
from signing.algorithms import algorithm_of, sign, verify
from signing.pki import CertificatePurpose, division_code_of
from signing.trust import ChainRejected, TrustStore
from wuji.divisions import DivisionCode
from wuji.v1 import link_pb2

log = logging.getLogger(__name__)

MESSAGE_PREFIX = "calendar-"


def parse_document(document: bytes) -> tuple[int, list[date], list[date]]:
    """The year, holidays and worked weekend days of a calendar file; InvalidInput if malformed."""
    try:
        raw: dict[str, Any] = json.loads(document)
        year = int(raw["year"])
        holidays = sorted({date.fromisoformat(day) for day in raw.get("holidays", [])})
        worked = sorted({date.fromisoformat(day) for day in raw.get("workdays", [])})
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidInput(
            '工作日历文件应为 JSON {"year": 年份, "holidays": [放假日期], "workdays": [调休上班日期]}，'
            f"日期写作 2027-01-01：{error} (a calendar file is JSON with ISO dates)"
        ) from error
    strays = [day for day in (*holidays, *worked) if day.year != year]
    if strays:
        raise InvalidInput(
            f"{year} 年的工作日历列有别的年份的日期 {strays[0].isoformat()} "
            f"(the calendar of {year} lists days of another year)"
        )
    if set(holidays) & set(worked):
        day = min(set(holidays) & set(worked)).isoformat()
        raise InvalidInput(f"{day} 既列为放假又列为调休上班 (both a holiday and worked)")
    if any(day.weekday() < 5 for day in worked):
        weekday = next(day for day in worked if day.weekday() < 5).isoformat()
        raise InvalidInput(
            f"调休上班日 workdays 只列周末：{weekday} 是周一至周五，本来就上班 "
            "(调休 working days are weekend days; a weekday is worked anyway)"
        )
    return year, holidays, worked


def publish(
    session: Session, signer: ReleaseSigner, province: DivisionCode, document: bytes
) -> link_pb2.WorkingCalendar:
    """发布 at the province: sign the year's calendar, keep it and count on it from now on."""
    year, holidays, worked = parse_document(document)
    message = link_pb2.WorkingCalendar(
        year=year,
        holidays=[day.isoformat() for day in holidays],
        workdays=[day.isoformat() for day in worked],
        province=province.value,
        published_at=to_timestamp(utcnow()),
        algorithm=algorithm_of(signer.key).value,
        signer_chain_der=[c.public_bytes(serialization.Encoding.DER) for c in signer.chain],
    )
    message.signature = sign(signer.key, _signed(message))
    _keep(session, message)
    return message


def receive(
    session: Session, message: link_pb2.WorkingCalendar, trust: TrustStore, province: DivisionCode
) -> bool:
    """A calendar from the parent: True if it is new here (then kept and installed); InvalidInput
    if it is not signed by this node's province."""
    where = f"working calendar {message.year}"
    if message.province != province.value:
        raise InvalidInput(
            f"{where} comes from {message.province or '?'}, not this node's province {province}"
        )
    if not message.signature or not message.signer_chain_der:
        raise InvalidInput(f"{where} is not signed: refused")
    try:
        chain = [x509.load_der_x509_certificate(der) for der in message.signer_chain_der]
        trust.verify_chain(
            chain[0], chain[1:], CertificatePurpose.CATALOG, at=from_timestamp(message.published_at)
        )
    except (ValueError, ChainRejected) as error:
        raise InvalidInput(f"{where}: the signer's certificate is refused: {error}") from error
    if division_code_of(chain[0]) != province.value:
        raise InvalidInput(f"{where} is signed by {division_code_of(chain[0])}, not by the province")
    if not verify(chain[0].public_key(), message.signature, _signed(message)):  # type: ignore[arg-type]
        raise InvalidInput(f"{where}: bad signature")
    parse_document(_document(message))  # the same rules as at publication
    held = session.get(WorkingCalendar, message.year)
    if held is not None and held.digest == _digest(message):
        return False
    _keep(session, message)
    log.info("working calendar %d from %s installed", message.year, province)
    return True


def held(session: Session) -> list[link_pb2.WorkingCalendar]:
    return [
        link_pb2.WorkingCalendar.FromString(row.message)
        for row in session.scalars(select(WorkingCalendar).order_by(WorkingCalendar.year))
    ]


def install_held(session: Session) -> None:
    """At start: count on every calendar this node holds."""
    workdays.install(_year(message) for message in held(session))


def message_id(message: link_pb2.WorkingCalendar) -> str:
    return f"{MESSAGE_PREFIX}{message.year}-{_digest(message)[:16]}"


def _keep(session: Session, message: link_pb2.WorkingCalendar) -> None:
    row = session.get(WorkingCalendar, message.year)
    if row is None:
        row = WorkingCalendar(year=message.year)
        session.add(row)
    row.province, row.digest = message.province, _digest(message)
    row.message, row.received_at = message.SerializeToString(), utcnow()
    workdays.install([_year(message)])


def _year(message: link_pb2.WorkingCalendar) -> workdays.YearCalendar:
    return workdays.YearCalendar(
        message.year,
        frozenset(date.fromisoformat(day) for day in message.holidays),
        frozenset(date.fromisoformat(day) for day in message.workdays),
    )


def _document(message: link_pb2.WorkingCalendar) -> bytes:
    return json.dumps(
        {"year": message.year, "holidays": list(message.holidays), "workdays": list(message.workdays)}
    ).encode()


def _signed(message: link_pb2.WorkingCalendar) -> bytes:
    return json.dumps(
        {
            "year": message.year,
            "holidays": list(message.holidays),
            "workdays": list(message.workdays),
            "province": message.province,
            "published_at": from_timestamp(message.published_at).isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def _digest(message: link_pb2.WorkingCalendar) -> str:
    return hashlib.sha256(_signed(message) + message.signature).hexdigest()
