"""Five real nodes on loopback: cases travel up to their handler and the news comes back down."""

from __future__ import annotations

import os

import grpc
import pytest
from sqlalchemy import func, select, text

from node.cases.materials import Material
from node.cases.service import Applicant
from node.errors import InvalidInput
from node.store.models import Case, CaseEvent
from sync.tables import InboxEntry
from tests.harness import CHAIN, COUNTY, TOWNSHIP, VILLAGE, FederationHarness, wait_for
from tests.materials import complete_proto, required_names
from wuji.v1 import case_pb2, desk_pb2

COUNTY_ITEM = "MZ-0001"  # 最低生活保障对象认定, handled at county
TOWNSHIP_ITEM = "MZ-0003"  # 临时救助对象认定, handled at township


def submit(desk, item: str, name: str = "张三") -> case_pb2.Case:
    return desk.SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code=item,
            applicant=case_pb2.Applicant(name=name, id_number="430981199001011237", phone="13800000000"),
            materials=complete_proto(item),
        )
    )


def act(desk, case_id: str, action: case_pb2.CaseAction, note: str = "") -> case_pb2.Case:
    return desk.ActOnCase(desk_pb2.ActOnCaseRequest(case_id=case_id, action=action, note=note))


def arrived(federation: FederationHarness, code: str, case_id: str) -> bool:
    with federation.nodes[code].sessions() as session:
        return session.get(Case, case_id) is not None


def test_village_case_is_concluded_at_county_and_seen_concluded_at_village(federation):
    federation.start_chain()
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)

    case = submit(village, COUNTY_ITEM)
    assert case.handler == COUNTY and case.origin == VILLAGE
    assert case.id.startswith(f"{VILLAGE}-")
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case to reach the county")

    for action in (case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE):
        act(county, case.id, action, note="材料齐全")

    seen = wait_for(
        lambda: (
            (c := village.GetCase(desk_pb2.GetCaseRequest(case_id=case.id))).state == case_pb2.CONCLUDED and c
        ),
        what="the village to see the case concluded",
    )
    assert seen.outcome == case_pb2.APPROVED
    assert [e.to_state for e in seen.events] == [
        case_pb2.SUBMITTED,
        case_pb2.ACCEPTED,
        case_pb2.UNDER_REVIEW,
        case_pb2.CONCLUDED,
    ]
    # the news came down through the township to the village
    assert list(seen.events[-1].route) == [COUNTY, TOWNSHIP, VILLAGE]
    at_county = county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id))
    assert list(at_county.events[0].route) == [VILLAGE, TOWNSHIP, COUNTY]


def test_township_item_is_handled_at_the_township(federation):
    federation.start_chain()
    case = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM)
    assert case.handler == TOWNSHIP
    wait_for(lambda: arrived(federation, TOWNSHIP, case.id), what="the case to reach the township")
    assert not arrived(federation, COUNTY, case.id)


def test_cases_accepted_while_county_is_down_arrive_exactly_once_in_order(federation):
    federation.start_chain()
    federation.stop(COUNTY)
    village = federation.desk(VILLAGE)

    ids = [submit(village, COUNTY_ITEM, name=f"申请人{i:02d}").id for i in range(20)]
    # the village and the township go on working while the county is away
    assert len(village.ListCases(desk_pb2.ListCasesRequest(role="origin")).cases) == 20

    county_node = federation.restart(COUNTY)

    def county_count() -> int:
        with county_node.sessions() as session:
            return session.scalar(select(func.count()).select_from(Case))

    wait_for(lambda: county_count() == 20, what="20 cases at the county")
    with county_node.sessions() as session:
        stored = session.scalars(select(Case.id)).all()
        assert sorted(stored) == sorted(ids)  # each exactly once (id is the primary key)
        events = session.execute(select(CaseEvent.case_id, CaseEvent.version).order_by(CaseEvent.seq)).all()
    assert len(events) == 20 and all(version == 1 for _, version in events)
    # arrival order is submission order: the link preserves the village's order
    assert [case_id for case_id, _ in events] == ids

    county = federation.desk(COUNTY)
    for case_id in ids[:3]:
        act(county, case_id, case_pb2.ACCEPT)
    wait_for(
        lambda: all(
            village.GetCase(desk_pb2.GetCaseRequest(case_id=c)).state == case_pb2.ACCEPTED for c in ids[:3]
        ),
        what="acceptances to come back to the village",
    )


def test_illegal_transition_is_refused_over_grpc_and_nothing_is_stored(federation):
    federation.start_chain()
    case = submit(federation.desk(VILLAGE), COUNTY_ITEM)
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case to reach the county")
    county = federation.desk(COUNTY)

    with pytest.raises(grpc.RpcError) as refused:
        act(county, case.id, case_pb2.APPROVE)  # 办结 before 受理 and 审核
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "SUBMITTED" in refused.value.details() and "办结" in refused.value.details()

    with pytest.raises(grpc.RpcError) as elsewhere:
        act(federation.desk(VILLAGE), case.id, case_pb2.ACCEPT)  # 受理 only at the handler
    assert elsewhere.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert COUNTY in elsewhere.value.details()

    after = county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id))
    assert after.state == case_pb2.SUBMITTED and after.version == 1 and len(after.events) == 1


def test_unknown_item_is_refused_over_grpc_and_nothing_is_stored(federation):
    federation.start_chain((*CHAIN[:3],))
    county = federation.desk(COUNTY)
    with pytest.raises(grpc.RpcError) as refused:
        submit(county, "NO-SUCH-ITEM")
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert "NO-SUCH-ITEM" in refused.value.details()
    assert county.ListCases(desk_pb2.ListCasesRequest()).cases == []
    with federation.nodes[COUNTY].sessions() as session:
        assert session.scalar(select(func.count()).select_from(CaseEvent)) == 0


def test_a_case_too_large_to_cross_a_link_is_refused_at_the_window_and_holds_up_nothing(federation):
    # four scans of 4.5 MB each: each within the item's 10 MB, together more than a link message
    # carries; taken in, the case could never leave, and every case queued behind it would wait
    federation.start_chain()
    village = federation.nodes[VILLAGE]
    scans = [
        Material(name, b"%PDF-1.4 " + bytes(4_500_000), file_name=f"{name}.pdf", media_type="application/pdf")
        for name in required_names(COUNTY_ITEM)
    ]
    applicant = Applicant("张三", "430981199001011237", phone="13800000000")
    with pytest.raises(InvalidInput, match=r"要发出的内容共 17\.2 MB，超过节点间一次可传送的上限 15\.9 MB"):
        village.cases.submit(COUNTY_ITEM, applicant, scans)
    with village.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
    following = submit(federation.desk(VILLAGE), COUNTY_ITEM)
    wait_for(lambda: arrived(federation, COUNTY, following.id), what="the next case at the county")


def test_every_received_envelope_is_recorded_with_its_link_and_seq(federation):
    federation.start_chain()
    village = federation.desk(VILLAGE)
    ids = [submit(village, COUNTY_ITEM).id for _ in range(3)]
    wait_for(lambda: all(arrived(federation, COUNTY, i) for i in ids), what="3 cases at the county")
    with federation.nodes[COUNTY].sessions() as session:
        seqs = session.scalars(
            select(InboxEntry.seq).where(InboxEntry.peer == TOWNSHIP).order_by(InboxEntry.seq)
        ).all()
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 3


def test_nodes_run_on_the_database_the_suite_was_asked_for(federation):
    federation.start_chain((CHAIN[0], CHAIN[1]))
    expected = "postgresql" if os.environ.get("WUJI_TEST_NODE_DB") == "postgresql" else "sqlite"
    assert {node.engine.dialect.name for node in federation.nodes.values()} == {expected}


def test_a_node_on_sqlite_has_each_commit_on_the_disk_before_it_answers(federation):
    # a power cut must not take back a receipt already printed or an envelope already acknowledged
    federation.start_chain((CHAIN[0], CHAIN[1]))
    for node in federation.nodes.values():
        if node.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL commits synchronously by its own default")
        with node.engine.connect() as connection:
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
