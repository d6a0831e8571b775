"""The node's append-only event log, hash-chained so that a rewritten entry is detectable.

Every append locks the chain head row (SELECT … FOR UPDATE; on SQLite, BEGIN IMMEDIATE already
serialises writers), so concurrent transactions extend one chain instead of forking it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.store.models import CaseEvent, ChainHead
from node.timeutil import as_utc

GENESIS_HASH = "0" * 64
_HEAD = "wuji.eventlog.head"
_HEAD_FOR_UPDATE = select(ChainHead).where(ChainHead.id == 1).with_for_update()  # built once


def _locked_head(session: Session) -> ChainHead:
    """The chain head, locked once per (outermost) transaction and then reused: a batch of events
    costs one SELECT … FOR UPDATE instead of one per event."""
    transaction = session.get_transaction()
    cached = session.info.get(_HEAD)
    if cached is not None and cached[0] is transaction:
        return cached[1]
    head = session.scalars(_HEAD_FOR_UPDATE).one_or_none()
    if head is None:
        head = ChainHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
    session.info[_HEAD] = (transaction, head)
    return head


_HASHED = (
    "seq", "case_id", "version", "action", "from_state", "to_state", "actor_node", "note", "at", "route"
)  # fmt: skip


def _entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    body = {name: entry[name] for name in _HASHED}
    body["at"] = as_utc(entry["at"]).isoformat(timespec="microseconds")
    body["route"] = list(entry["route"])
    # who acted is hashed once it is recorded; entries from before people were named keep their hash
    if entry["actor_person"]:
        body["actor_person"] = entry["actor_person"]
    if entry["actor_department"]:
        body["actor_department"] = entry["actor_department"]
    # likewise a 补正告知's materials: events without them (all before they were named) keep their hash
    if entry["correct_materials"]:
        body["correct_materials"] = list(entry["correct_materials"])
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _columns(event: CaseEvent) -> dict[str, Any]:
    named = (*_HASHED, "actor_person", "actor_department", "correct_materials")
    return {name: getattr(event, name) for name in named}


class EventFields(TypedDict):
    """What a caller says of a new event; the log adds its seq and the hashes."""

    case_id: str
    version: int
    action: str | None
    from_state: str | None
    to_state: str
    actor_node: str
    note: str
    at: datetime
    route: NotRequired[Sequence[str]]
    actor_person: NotRequired[str]
    actor_department: NotRequired[str]
    correct_materials: NotRequired[Sequence[str]]


def append(session: Session, **fields: Unpack[EventFields]) -> CaseEvent:
    """Append an event to the chain; it is written with the rest of the transaction (no flush), so a
    batch of envelopes inserts its events together (its seq and hash are already final)."""
    event = CaseEvent(**append_row(session, **fields))
    session.add(event)
    return event


def append_row(session: Session, **fields: Unpack[EventFields]) -> dict[str, Any]:
    """Extend the chain by one entry and return its row (every column of case_event), for the
    caller to insert in this transaction: the bulk path of arriving cases (node/cases/arrivals.py)."""
    head = _locked_head(session)
    row: dict[str, Any] = {
        "seq": head.seq + 1,
        "case_id": fields["case_id"],
        "version": fields["version"],
        "action": fields["action"],
        "from_state": fields["from_state"],
        "to_state": fields["to_state"],
        "actor_node": fields["actor_node"],
        "actor_person": fields.get("actor_person") or None,
        "actor_department": fields.get("actor_department") or None,
        "note": fields["note"],
        "at": fields["at"],
        "route": list(fields.get("route", ())),
        "correct_materials": list(fields.get("correct_materials", ())) or None,
        "prev_hash": head.hash,
    }
    row["hash"] = _entry_hash(head.hash, row)
    head.seq, head.hash = row["seq"], row["hash"]
    return row


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    intact: bool
    first_broken_seq: int | None = None


def verify(session: Session) -> ChainCheck:
    """Recompute the whole chain; reports the first entry whose hash or link does not hold."""
    prev_hash = GENESIS_HASH
    count = 0
    for event in session.scalars(select(CaseEvent).order_by(CaseEvent.seq)):
        count += 1
        broken = event.prev_hash != prev_hash or _entry_hash(prev_hash, _columns(event)) != event.hash
        if event.seq != count or broken:
            return ChainCheck(count, False, event.seq)
        prev_hash = event.hash
    head = session.get(ChainHead, 1)
    if head is not None and (head.seq != count or head.hash != prev_hash):
        return ChainCheck(count, False, head.seq)
    return ChainCheck(count, True)
