"""Nothing waits forever: a case whose next hop has no enrolled node is carded, then returned."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from ulid import ULID

from node.cases.service import copy_from_proto
from node.store.models import Case, CaseEvent, SupervisionCard
from node.timeutil import to_timestamp, utcnow
from sync import outbox
from tests.harness import CHAIN, CITY, COUNTY, VILLAGE, FederationHarness, wait_for
from wuji.v1 import case_pb2, link_pb2

UNENROLLED_TOWNSHIP = "430981008000"  # a township of the county that never enrolled


def waiting_at_county(federation: FederationHarness) -> int:
    with federation.nodes[COUNTY].sessions() as session:
        return len(outbox.waiting(session, UNENROLLED_TOWNSHIP))


def card(federation: FederationHarness, code: str, case_id: str) -> SupervisionCard | None:
    with federation.nodes[code].sessions() as session:
        return session.get(SupervisionCard, f"{case_id}:undeliverable")


def test_a_case_for_a_township_without_a_node_is_carded_then_returned_to_its_origin(federation):
    federation.start_chain(CHAIN)
    village = federation.nodes[VILLAGE]
    case = case_pb2.Case(
        id=f"{VILLAGE}-{ULID()}",
        item_code="MZ-0003",
        item_name="临时救助对象认定",
        origin=VILLAGE,
        handler=UNENROLLED_TOWNSHIP,
        state=case_pb2.SUBMITTED,
        applicant=case_pb2.Applicant(name="赵六", id_number="430981197001013452"),
        submitted_at=to_timestamp(utcnow()),
        version=1,
    )
    with village.sessions.begin() as session:  # as the window would, for a handler elsewhere
        session.add(copy_from_proto(case, utcnow()))
        village.outbound.send(session, UNENROLLED_TOWNSHIP, case_submitted=link_pb2.CaseSubmitted(case=case))
    wait_for(lambda: waiting_at_county(federation) == 1, what="the case stuck at the county")

    county = federation.nodes[COUNTY]
    county.undeliverable.after = timedelta(hours=1)
    assert county.undeliverable.sweep() == []  # not yet: a card meanwhile
    raised = card(federation, COUNTY, case.id)
    assert raised is not None and raised.colour == "yellow" and raised.closed_at is None
    assert UNENROLLED_TOWNSHIP in raised.detail and "无法送达" in raised.detail
    # it said "将于 1:00:00 后退回" (Python's words for an hour) and was counted nowhere: its handler
    # has no node to count it, and the county counted only its own
    assert "起退回申请地" in raised.detail and ":00:00" not in raised.detail, raised.detail
    assert raised.handler == COUNTY
    with county.readers() as session:
        assert sum(day["cards:yellow"] for day in county.stats.own_days(session).values()) == 1
    wait_for(lambda: card(federation, CITY, case.id), what="the card at the city")

    county.undeliverable.after = timedelta(0)
    assert county.undeliverable.sweep() == [case.id]

    def refused_at_village() -> str | None:
        with village.sessions() as session:
            row = session.get(Case, case.id)
            if row is None or row.state != "REFUSED":
                return None
            notes = select(CaseEvent.note).where(CaseEvent.case_id == case.id).order_by(CaseEvent.version)
            return session.scalars(notes).all()[-1]

    note = wait_for(refused_at_village, what="the case returned to the village")
    assert "无法送达" in note and "不予受理" in note and UNENROLLED_TOWNSHIP in note
    assert card(federation, COUNTY, case.id).closed_at is not None
    assert county.undeliverable.sweep() == []  # the slot holds a placeholder now, nothing more to return
