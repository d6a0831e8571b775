"""Bringing back cases a neighbour lost when it was restored from a backup.

A restored node announces in its Hello the highest seq it has given on the link (`sent_seq`). If
that is below what this node applied from it, the envelopes above were sent by the node before
the restore and it has lost them — and with them its copies of the cases they concerned: cases
submitted there after the backup, deliveries, withdrawals and ratings made there. This node recorded
which case each applied envelope concerned (inbox.case_id). Of those it handles, its copy being
authoritative, it sends the origin a whole copy (CaseCopy); those it only relayed it asks its
parent for (CaseResyncRequest), and so on up to each case's handler. What this node sent the
restored node it sends again by itself (the link resumes from the restored node's older cursor,
out of the retained outbox); event notices among them for cases the restored node no longer knows
are quarantined there until the copy arrives and settles them.

The limits: only a restored child is repaired this way (a restored parent gets back what its
children send again, not its own actions after the backup), and what the restored node did after
the backup without telling a neighbour is gone."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from node import logs
from node.cases.service import ResultSealing, copy_from_proto, register_new_copy, replay_event
from node.catalogue.items import JOINT
from node.convert import case_to_proto, state_from_proto
from node.errors import InvalidInput, WrongNode, clean_text
from node.store.models import Case, CaseEvent, Rating, RectificationTask, SealedResult
from node.store.outbound import Outbound
from node.supervision.ratings import MAX_COMMENT_LENGTH, rectification_notice, take_rectification_notice
from node.timeutil import from_timestamp, to_timestamp, utcnow
from sync import inbox
from sync.tables import OutboxEntry, QuarantinedEnvelope
from wuji.divisions import DivisionCode, InvalidDivisionCode
from wuji.v1 import case_pb2, link_pb2

log = logging.getLogger(__name__)


class CaseResync:
    """Sends case copies to a restored neighbour, and applies copies arriving after a restore here."""

    def __init__(self, here: DivisionCode, outbound: Outbound, sealing: ResultSealing | None) -> None:
        self.here = here
        self._outbound = outbound
        self._sealing = sealing

    # -- at the neighbour of a restored node ---------------------------------------------------

    def on_peer_hello(self, session: Session, peer: str, role: str, hello: link_pb2.Hello) -> None:
        if role == "parent" and _replaced(session, peer, hello):
            self._submit_again(session, peer)
            return
        if role != "child" or not hello.HasField("sent_seq"):
            return  # a parent's restore is not repaired from below; older versions do not say
        received = inbox.received_seq(session, peer)
        if hello.sent_seq >= received:
            return
        lost = inbox.cases_applied_after(session, peer, hello.sent_seq)
        copied, asked = self._resend(session, DivisionCode.parse(peer), lost)
        log.warning(
            "%s was restored from a backup: it lost envelopes %d…%d it had sent here, about %d case(s); "
            "sent it copies of %d, asked the tiers above for %d",
            peer,
            hello.sent_seq + 1,
            received,
            len(lost),
            copied,
            len(asked),
        )

    def _submit_again(self, session: Session, parent: str) -> None:
        """The parent is a replacement machine with a new database: the cases it handled are gone
        with the lost one. Those whose submission this node still keeps go up again from the outbox;
        the others (sent before a restore of this node) are submitted again from this node's copy.
        What the lost machine did on them after 申请 is not known above: this node's copy still shows it."""
        kept = set()
        for stored in session.scalars(select(OutboxEntry.envelope).where(OutboxEntry.peer == parent)):
            envelope = link_pb2.Envelope.FromString(stored)
            if envelope.WhichOneof("body") == "case_submitted":
                kept.add(envelope.case_submitted.case.id)
        again = resent = 0
        query = select(Case).where(Case.origin == self.here.value, Case.handler == parent)
        for case in session.scalars(query):
            if case.id in kept:
                resent += 1
                continue
            first = session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.version == 1)
            ).first()
            submitted = link_pb2.CaseSubmitted(
                case=case_to_proto(case, self.here.value, with_events=False, with_content=True),
                submitted_by_person=first.actor_person or "" if first else "",
                submitted_by_department=first.actor_department or "" if first else "",
            )
            self._outbound.send(session, parent, case_submitted=submitted)
            again += 1
        log.warning(
            "the parent %s is a replacement machine (a new database): %d case(s) it handles go up again "
            "from this node's outbox, %d submitted again from this node's copies",
            parent,
            resent,
            again,
        )

    def _answer_request(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """A child asks for cases a restored node below it lost: copy those handled here, ask above."""
        request = envelope.case_resync
        try:
            sender, restored = DivisionCode.parse(envelope.origin), DivisionCode.parse(request.restored)
        except InvalidDivisionCode as error:
            raise InvalidInput(f"resync request: {error}") from error
        if sender.parent != self.here or envelope.origin != envelope.sender:
            raise WrongNode(f"a resync request comes from a child of {self.here}, not from {sender}")
        if not restored.is_in_subtree_of(sender):
            raise WrongNode(f"{sender} cannot ask for the cases of {restored}, which is not below it")
        copied, asked = self._resend(session, restored, list(request.case_ids))
        log.info(
            "resync of %s asked by %s: sent %d copies, asked above for %d",
            restored,
            sender,
            copied,
            len(asked),
        )

    def _resend(self, session: Session, restored: DivisionCode, case_ids: list[str]) -> tuple[int, list[str]]:
        """Send the restored node copies of the cases handled here; ask the parent for cases not held here.

        Only cases that originate in the restored node's subtree: nobody obtains others' cases this way.
        """
        copied, elsewhere = 0, []
        for case_id in case_ids:
            if not _originates_in(case_id, restored):
                continue
            case = session.get(Case, case_id)
            if case is None:
                elsewhere.append(case_id)
            elif case.handler == self.here.value and case.origin != self.here.value:
                self._outbound.send(session, case.origin, case_copy=self._copy(session, case))
                copied += 1
        if elsewhere and self.here.parent is not None:
            request = link_pb2.CaseResyncRequest(restored=restored.value, case_ids=elsewhere)
            self._outbound.send(session, self.here.parent.value, case_resync=request)
        elif elsewhere:
            log.warning("no copy of case(s) %s lost by %s is held here", ", ".join(elsewhere), restored)
        return copied, elsewhere

    def _copy(self, session: Session, case: Case) -> link_pb2.CaseCopy:
        copy = link_pb2.CaseCopy(
            case=case_to_proto(case, self.here.value, with_events=True, with_content=True)
        )
        sealed = session.get(SealedResult, case.id)
        if sealed is not None:
            copy.case.sealed_result = sealed.document
        rating = session.get(Rating, case.id)
        if rating is not None:
            copy.rating.CopyFrom(
                link_pb2.CaseRating(
                    case_id=case.id,
                    score=rating.score,
                    comment=rating.comment,
                    rated_at=to_timestamp(rating.rated_at),
                )
            )
        task = session.get(RectificationTask, case.id)
        if task is not None:
            voided = rating is not None and rating.voided_at is not None
            copy.rectification.CopyFrom(rectification_notice(task, voided))
        return copy

    # -- at the restored node ------------------------------------------------------------------

    def receive(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """A case copy for this node, or a request for copies from a child."""
        if envelope.WhichOneof("body") == "case_resync":
            self._answer_request(session, envelope)
        else:
            self._apply_copy(session, envelope)

    def _apply_copy(self, session: Session, envelope: link_pb2.Envelope) -> None:
        """A handler's copy of a case that originated here (or of a 两地联办 part of one, from the
        part's origin): add what this node's copy lacks."""
        copy = envelope.case_copy.case
        if not _part_of_a_case_from_here(session, self.here.value, copy, envelope.origin):
            if copy.origin != self.here.value:
                raise InvalidInput(
                    f"a copy of case {copy.id} goes to its origin {copy.origin}, not {self.here}"
                )
            if envelope.origin != copy.handler or copy.handler == self.here.value:
                raise WrongNode(
                    f"only the handler of case {copy.id} sends copies of it, not {envelope.origin}"
                )
        if not copy.id.startswith(f"{copy.origin}-"):
            raise InvalidInput(f"case id {copy.id} does not carry its origin {copy.origin}")
        events = sorted(copy.events, key=lambda event: event.version)
        if [event.version for event in events] != list(range(1, len(events) + 1)):
            raise InvalidInput(f"the copy of case {copy.id} does not hold its events 1…{len(events)}")
        case = session.scalars(select(Case).where(Case.id == copy.id).with_for_update()).one_or_none()
        restored = 0
        if case is None:
            case = self._register(session, copy, events[0])
            restored = 1
        route = [*envelope.route, self.here.value]
        for event in events:
            if event.version <= case.version:
                continue
            self._replay(session, case, event, route)
            restored += 1
        if copy.sealed_result and self._sealing is not None and session.get(SealedResult, case.id) is None:
            self._sealing.accept_received(session, case.id, copy.sealed_result)
        if envelope.case_copy.HasField("rating") and session.get(Rating, case.id) is None:
            rating = envelope.case_copy.rating
            if rating.case_id != case.id or not 1 <= rating.score <= 5:
                raise InvalidInput(f"the copy of case {case.id} carries a malformed rating")
            session.add(
                Rating(
                    case_id=case.id,
                    score=rating.score,
                    comment=clean_text("comment", rating.comment, MAX_COMMENT_LENGTH),
                    rated_at=from_timestamp(rating.rated_at),
                    origin=case.origin,
                    handler=case.handler,
                )
            )
        if envelope.case_copy.HasField("rectification"):
            rated = session.get(Rating, case.id)
            if rated is None or envelope.case_copy.rectification.case_id != case.id:
                raise InvalidInput(f"the copy of case {case.id} carries a 整改 of no rating of it")
            take_rectification_notice(rated, envelope.case_copy.rectification)
        settled = _settle_quarantine(session, envelope.sender, case)
        log.info(
            "case %s restored from its handler's copy: %d event(s) added, %d quarantined notice(s) settled",
            case.id,
            restored,
            settled,
            extra=logs.case(case.id),
        )

    def _register(self, session: Session, copy: case_pb2.Case, first: case_pb2.CaseEvent) -> Case:
        case = copy_from_proto(copy, utcnow())
        register_new_copy(session, case, actor=first.actor_node, note=first.note, at=from_timestamp(first.at))
        return case

    def _replay(self, session: Session, case: Case, event: case_pb2.CaseEvent, route: list[str]) -> None:
        from_state = state_from_proto(event.from_state)
        if from_state != case.state:
            raise InvalidInput(
                f"case {case.id}: event {event.version} moves from {from_state.value} "
                f"but this copy is in {case.state}"
            )
        replay_event(session, case, event, route)


def _part_of_a_case_from_here(session: Session, here: str, copy: case_pb2.Case, sender: str) -> bool:
    """A 两地联办 part, sent by the handler of its main case (who started it there), to where the
    main case was applied for: the citizen's point follows the partner's side with it."""
    if copy.mode != JOINT or not copy.joint_of or copy.origin != sender:
        return False
    main = session.get(Case, copy.joint_of)
    return main is not None and main.origin == here and main.handler == sender


def _replaced(session: Session, parent: str, hello: link_pb2.Hello) -> bool:
    """True if the parent's database is new (it holds nothing from here and numbered nothing) while
    this node has linked with its code before: a replacement for a lost machine."""
    new = hello.received_seq == 0 and hello.HasField("sent_seq") and not hello.sent_seq
    return new and inbox.received_seq(session, parent) > 0


def _originates_in(case_id: str, restored: DivisionCode) -> bool:
    """Case ids start with their origin's code (<origin>-<ULID>)."""
    try:
        return DivisionCode.parse(case_id.split("-", 1)[0]).is_in_subtree_of(restored)
    except InvalidDivisionCode:
        return False


def _settle_quarantine(session: Session, peer: str, case: Case) -> int:
    """Drop event notices (and 整改 notices) of the case refused here before its copy came (the
    copy holds them)."""
    settled = 0
    for row in session.scalars(select(QuarantinedEnvelope).where(QuarantinedEnvelope.peer == peer)):
        envelope = link_pb2.Envelope.FromString(row.envelope)
        body = envelope.WhichOneof("body")
        if (
            body == "case_event"
            and envelope.case_event.case_id == case.id
            and envelope.case_event.event.version <= case.version
        ) or (body == "rectification" and envelope.rectification.case_id == case.id):
            session.delete(row)
            settled += 1
    return settled
