"""Bad and hostile input gets a clear gRPC status and stores nothing (issue: reliability)."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import func, select

from node.store.models import Case, CaseEvent
from sync.tables import InboxEntry
from sync.transport import TransportSettings, open_channel
from tests.harness import COUNTY, TOWNSHIP, VILLAGE, wait_for
from tests.materials import complete_proto
from wuji.v1 import case_pb2, desk_pb2, link_pb2

APPLICANT = case_pb2.Applicant(name="张三", id_number="430981199001011237")


@pytest.fixture
def village(federation):
    federation.start_chain()
    return federation.nodes[VILLAGE]


def raw_desk_call(node, method: str, payload: bytes, max_bytes: int = 16 * 1024 * 1024):
    settings = TransportSettings(max_message_bytes=max_bytes, credentials=node.transport.credentials)
    channel = open_channel(node.address, settings, peer_code=node.here.value)
    call: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
        f"/wuji.v1.Desk/{method}", request_serializer=None, response_deserializer=None
    )
    try:
        return call(payload, timeout=20)
    finally:
        channel.close()


def stored_cases(node) -> tuple[int, int]:
    with node.readers() as session:
        cases = session.scalar(select(func.count()).select_from(Case))
        events = session.scalar(select(func.count()).select_from(CaseEvent))
    return cases, events


def refused(node, method: str, payload: bytes, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as error:
        raw_desk_call(node, method, payload, **kwargs)
    assert stored_cases(node) == (0, 0)
    return error.value


def submission(**fields) -> bytes:
    request = desk_pb2.SubmitCaseRequest(item_code="MZ-0001", applicant=APPLICANT)
    for key, value in fields.items():
        setattr(request, key, value)
    return request.SerializeToString()


def test_malformed_protobuf_bytes_are_invalid_argument(village):
    error = refused(village, "SubmitCase", b"\xff\xff\xff\xff\x0f garbage")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "malformed wuji.v1.SubmitCaseRequest" in error.details()


def test_invalid_utf8_in_a_name_is_invalid_argument(village):
    good = desk_pb2.SubmitCaseRequest(
        item_code="MZ-0001",
        applicant=case_pb2.Applicant(name="ABCD", id_number="430981199001011237"),
        materials=complete_proto("MZ-0001"),
    ).SerializeToString()
    error = refused(village, "SubmitCase", good.replace(b"ABCD", b"\xff\xfe\xc3\x28"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_control_characters_unknown_item_bad_digest_and_bad_codes_are_refused(village):
    cases = [
        (desk_pb2.SubmitCaseRequest(item_code="MZ-0001", applicant=case_pb2.Applicant(
            name="张\x1b[31m三", id_number="430981199001011237")), "control character"),
        (desk_pb2.SubmitCaseRequest(item_code="NO-SUCH", applicant=APPLICANT), "unknown item"),
        (desk_pb2.SubmitCaseRequest(item_code="MZ-0001", applicant=APPLICANT, materials=[
            case_pb2.Material(name="户口簿", content=b"page", sha256="ab" * 32)]), "does not match"),
        (desk_pb2.SubmitCaseRequest(item_code="MZ-0001", applicant=APPLICANT, home_division="43098",
                                    materials=complete_proto("MZ-0001")),
         "invalid division code"),
    ]  # fmt: skip
    for request, reason in cases:
        error = refused(village, "SubmitCase", request.SerializeToString())
        assert error.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND), reason
        assert reason in error.details()


def test_oversized_message_is_refused_by_the_configured_limit(village):
    big = desk_pb2.SubmitCaseRequest(
        item_code="MZ-0001",
        applicant=APPLICANT,
        materials=[case_pb2.Material(name="扫描件", content=b"\0" * (17 * 1024 * 1024))],
    ).SerializeToString()
    error = refused(village, "SubmitCase", big, max_bytes=64 * 1024 * 1024)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_sql_looking_name_is_stored_verbatim_and_harmless(federation, village):
    desk = federation.desk(VILLAGE)
    name = 'x\'); DROP TABLE "case"; --'
    case = desk.SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code="MZ-0001",
            applicant=case_pb2.Applicant(name=name, id_number="430981199001011237"),
            materials=complete_proto("MZ-0001"),
        )
    )
    assert desk.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).applicant.name == name
    county = federation.desk(COUNTY)

    def at_county() -> str | None:
        try:
            return county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).applicant.name
        except grpc.RpcError:
            return None

    assert wait_for(at_county, what="the case at the county") == name


def test_a_malformed_frame_ends_the_link_stream_with_invalid_argument(federation, village):
    county = federation.nodes[COUNTY]
    township = federation.nodes[TOWNSHIP]
    township.links.find(COUNTY).close("test: the township stays away")  # it will redial; race is fine
    channel = open_channel(county.address, township.transport, peer_code=COUNTY)
    link = channel.stream_stream(
        "/wuji.v1.Federation/Link",
        request_serializer=None,
        response_deserializer=link_pb2.LinkFrame.FromString,
    )
    hello = link_pb2.LinkFrame(hello=link_pb2.Hello(node_code=TOWNSHIP, received_seq=0)).SerializeToString()
    with county.readers() as session:
        before = session.scalar(select(func.count()).select_from(InboxEntry))
    with pytest.raises(grpc.RpcError) as error:
        for _ in link(iter([hello, b"\x12\xff\xff\xff\xff\x0f"]), timeout=20):
            pass
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    channel.close()
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "malformed wuji.v1.LinkFrame" in error.value.details()
    with county.readers() as session:
        assert session.scalar(select(func.count()).select_from(InboxEntry)) == before


def test_a_peer_claiming_envelopes_never_sent_is_refused(federation, village):
    county, township = federation.nodes[COUNTY], federation.nodes[TOWNSHIP]
    channel = open_channel(county.address, township.transport, peer_code=COUNTY)
    parse = link_pb2.LinkFrame.FromString
    link = channel.stream_stream(
        "/wuji.v1.Federation/Link", request_serializer=None, response_deserializer=parse
    )
    hello = link_pb2.LinkFrame(hello=link_pb2.Hello(node_code=TOWNSHIP, received_seq=10**9))
    with pytest.raises(grpc.RpcError) as error:
        for _ in link(iter([hello.SerializeToString()]), timeout=20):
            pass
    channel.close()
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "never sent" in error.value.details() or "were ever sent" in error.value.details()
