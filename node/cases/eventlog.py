"""The node's append-only event log, hash-chained so that a rewritten entry is detectable.

Every append locks the chain head row (SELECT … FOR UPDATE; on SQLite, BEGIN IMMEDIATE already
serialises writers), so concurrent transactions extend one chain instead of forking it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.store.models import CaseEvent, ChainHead
from node.timeutil import as_utc

GENESIS_HASH = "0" * 64
_HEAD = "wuji.eventlog.head"


def _locked_head(session: Session) -> ChainHead:
    """The chain head, locked once per (outermost) transaction and then reused: a batch of events
    costs one SELECT … FOR UPDATE instead of one per event."""
    transaction = session.get_transaction()
    cached = session.info.get(_HEAD)
    if cached is not None and cached[0] is transaction:
        return cached[1]
    head = session.scalars(select(ChainHead).where(ChainHead.id == 1).with_for_update()).one_or_none()
    if head is None:
        head = ChainHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
    session.info[_HEAD] = (transaction, head)
    return head


def _entry_hash(prev_hash: str, event: CaseEvent) -> str:
    body = {
        "seq": event.seq,
        "case_id": event.case_id,
        "version": event.version,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor_node": event.actor_node,
        "note": event.note,
        "at": as_utc(event.at).isoformat(timespec="microseconds"),
        "route": list(event.route),
    }
    # who acted is hashed once it is recorded; entries from before people were named keep their hash
    if event.actor_person:
        body["actor_person"] = event.actor_person
    if event.actor_department:
        body["actor_department"] = event.actor_department
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def append(
    session: Session,
    *,
    case_id: str,
    version: int,
    action: str | None,
    from_state: str | None,
    to_state: str,
    actor_node: str,
    note: str,
    at: datetime,
    route: Sequence[str] = (),
    actor_person: str = "",
    actor_department: str = "",
) -> CaseEvent:
    head = _locked_head(session)
    event = CaseEvent(
        seq=head.seq + 1,
        case_id=case_id,
        version=version,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_node=actor_node,
        actor_person=actor_person or None,
        actor_department=actor_department or None,
        note=note,
        at=at,
        route=list(route),
        prev_hash=head.hash,
    )
    event.hash = _entry_hash(head.hash, event)
    head.seq, head.hash = event.seq, event.hash
    # No flush: the entry is written with the rest of the transaction, so a batch of envelopes
    # inserts its events together (its seq and hash are already final).
    session.add(event)
    return event


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
        if event.seq != count or event.prev_hash != prev_hash or _entry_hash(prev_hash, event) != event.hash:
            return ChainCheck(count, False, event.seq)
        prev_hash = event.hash
    head = session.get(ChainHead, 1)
    if head is not None and (head.seq != count or head.hash != prev_hash):
        return ChainCheck(count, False, head.seq)
    return ChainCheck(count, True)
