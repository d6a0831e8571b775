"""The link protocol seen from a hand-driven child: resends are applied once, acks are cumulative."""

from __future__ import annotations

import queue

import grpc
import pytest
from sqlalchemy import func, select

from node.runtime.node import Node
from node.store.models import Case
from node.timeutil import to_timestamp, utcnow
from node.trust.enrollment import InviteFile, enroll
from signing.algorithms import Algorithm, generate_key
from signing.pki import CertificatePurpose, make_csr
from sync.origin import OriginSigner
from sync.tables import InboxEntry, QuarantinedEnvelope
from sync.transport import TransportSettings, open_channel
from tests.harness import COUNTY, PASSPHRASE, TOWNSHIP, VILLAGE
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2, link_pb2, link_pb2_grpc

# what the hand-driven township and its village sign with (set by the `township` fixture)
SIGNERS: dict[str, OriginSigner] = {}


class HandDrivenChild:
    """Opens a link to a node as if it were the township, sending exactly what a test says."""

    def __init__(
        self, address: str, settings: TransportSettings, code: str = TOWNSHIP, received_seq: int = 0
    ) -> None:
        self._channel = open_channel(address, settings, peer_code=COUNTY)
        self._outgoing: queue.Queue[link_pb2.LinkFrame | None] = queue.Queue()
        hello = link_pb2.Hello(node_code=code, received_seq=received_seq)
        self._outgoing.put(link_pb2.LinkFrame(hello=hello))
        self._responses = link_pb2_grpc.FederationStub(self._channel).Link(iter(self._outgoing.get, None))

    def next_frame(self, kind: str) -> link_pb2.LinkFrame:
        for frame in self._responses:
            if frame.WhichOneof("frame") == kind:
                return frame
        raise AssertionError(f"stream ended before a {kind} frame")

    def send(self, *envelopes: link_pb2.Envelope) -> None:
        """Send a batch; an unsigned envelope is signed first by its origin, if the test holds its key."""
        for envelope in envelopes:
            if not envelope.origin_signature and envelope.origin in SIGNERS:
                SIGNERS[envelope.origin].sign(envelope)
        self._outgoing.put(link_pb2.LinkFrame(envelopes=link_pb2.EnvelopeBatch(envelopes=envelopes)))

    def close(self) -> None:
        self._outgoing.put(None)
        self._responses.cancel()
        self._channel.close()


def case_envelope(seq: int, case_id: str) -> link_pb2.Envelope:
    return link_pb2.Envelope(
        seq=seq,
        message_id=f"msg-{case_id}",
        sender=TOWNSHIP,
        origin=VILLAGE,
        destination=COUNTY,
        created_at=to_timestamp(utcnow()),
        route=[VILLAGE, TOWNSHIP],
        case_submitted=link_pb2.CaseSubmitted(
            case=case_pb2.Case(
                id=f"{VILLAGE}-{case_id}",
                item_code="MZ-0001",
                item_name="最低生活保障对象认定",
                origin=VILLAGE,
                handler=COUNTY,
                state=case_pb2.SUBMITTED,
                applicant=case_pb2.Applicant(name="赵六", id_number="430981197001013452"),
                submitted_at=to_timestamp(utcnow()),
                version=1,
            )
        ),
    )


def rows(node, model) -> int:
    with node.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def county(federation):
    federation.start_chain(("430000000000", "430900000000", COUNTY))
    return federation.nodes[COUNTY]


@pytest.fixture
def township(county, tmp_path) -> TransportSettings:
    """The township's real certificates (enrolled with the county), without running its node."""
    invite = InviteFile.from_message(county.invite(TOWNSHIP, 1))
    identity, _ = enroll(DivisionCode.parse(TOWNSHIP), "", tmp_path / "township", PASSPHRASE, invite)
    assert identity.authority is not None
    village_key = generate_key(Algorithm.ECDSA_P256_SHA256)
    tls = CertificatePurpose.TLS
    village_certificate = identity.authority.issue(make_csr(village_key, VILLAGE, tls), tls)
    SIGNERS.clear()
    SIGNERS[TOWNSHIP] = OriginSigner(identity.tls_key, identity.tls_certificate, identity.chain[:-1])
    SIGNERS[VILLAGE] = OriginSigner(village_key, village_certificate, identity.chain[:-1])
    return TransportSettings(credentials=identity.credentials())


def test_resent_envelope_with_same_link_and_seq_is_applied_once(county, township):
    child = HandDrivenChild(county.address, township)
    try:
        hello = child.next_frame("hello").hello
        assert hello.node_code == COUNTY and hello.received_seq == 0
        envelope = case_envelope(1, "01JRESEND0000000000000000")
        child.send(envelope)
        assert child.next_frame("ack").ack.seq == 1
        child.send(envelope)  # the same (link, seq) again, as after a lost ack
        assert child.next_frame("ack").ack.seq == 1
    finally:
        child.close()
    assert rows(county, Case) == 1
    with county.sessions() as session:
        recorded = session.scalars(select(InboxEntry.seq).where(InboxEntry.peer == TOWNSHIP)).all()
    assert recorded == [1]

    # a new stream resumes: the county says what it holds, and a resend is still applied once
    again = HandDrivenChild(county.address, township, received_seq=0)
    try:
        assert again.next_frame("hello").hello.received_seq == 1
        again.send(envelope, case_envelope(2, "01JRESEND0000000000000001"))
        assert again.next_frame("ack").ack.seq == 2
    finally:
        again.close()
    assert rows(county, Case) == 2


def test_a_node_that_is_not_a_child_cannot_open_a_link(federation, county):
    city = federation.nodes["430900000000"]
    # a genuine node of the federation, but the county's parent, not its child
    stranger = HandDrivenChild(county.address, city.transport, code=city.here.value)
    with pytest.raises(grpc.RpcError) as refused:
        stranger.next_frame("hello")
    stranger.close()
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "not a child" in refused.value.details()


def test_hello_must_name_the_certificate_holder(county, township):
    impostor = HandDrivenChild(county.address, township, code="430981008000")  # another township
    with pytest.raises(grpc.RpcError) as refused:
        impostor.next_frame("hello")
    impostor.close()
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "certificate is for 430981006000" in refused.value.details()


def test_envelope_whose_sender_is_not_the_peer_is_quarantined_and_the_link_goes_on(county, township):
    child = HandDrivenChild(county.address, township)
    try:
        child.next_frame("hello")
        forged = case_envelope(1, "01JFORGED00000000000000000")
        forged.sender = "430981008000"  # another township
        child.send(forged, case_envelope(2, "01JHONEST00000000000000000"))
        assert child.next_frame("ack").ack.seq == 2
    finally:
        child.close()
    with county.sessions() as session:
        ids = session.scalars(select(Case.id)).all()
    assert ids == [f"{VILLAGE}-01JHONEST00000000000000000"]
    assert county.describe().quarantined == 1


def test_the_origin_cannot_conclude_a_case_by_forging_an_event(county, township):
    child = HandDrivenChild(county.address, township)
    submitted = case_envelope(1, "01JFORGEDEVENT000000000000")
    case_id = submitted.case_submitted.case.id
    forged = link_pb2.Envelope(
        seq=2,
        message_id="msg-forged-approval",
        sender=TOWNSHIP,
        origin=VILLAGE,
        destination=COUNTY,
        created_at=to_timestamp(utcnow()),
        case_event=link_pb2.CaseEventNotice(
            case_id=case_id,
            event=case_pb2.CaseEvent(
                version=2,
                action=case_pb2.APPROVE,
                from_state=case_pb2.SUBMITTED,
                to_state=case_pb2.CONCLUDED,
                actor_node=VILLAGE,
            ),
        ),
    )
    try:
        child.next_frame("hello")
        child.send(submitted, forged)
        assert child.next_frame("ack").ack.seq == 2
    finally:
        child.close()
    with county.sessions() as session:
        case = session.get(Case, case_id)
        assert case.state == "SUBMITTED" and case.version == 1
    assert county.describe().quarantined == 1


def resync_request(seq: int, restored: str, case_ids: list[str]) -> link_pb2.Envelope:
    return link_pb2.Envelope(
        seq=seq,
        message_id=f"msg-resync-{seq}",
        sender=TOWNSHIP,
        origin=TOWNSHIP,
        destination=COUNTY,
        created_at=to_timestamp(utcnow()),
        route=[TOWNSHIP],
        case_resync=link_pb2.CaseResyncRequest(restored=restored, case_ids=case_ids),
    )


def test_a_child_gets_copies_only_of_cases_from_below_it_after_a_restore(
    county: Node, township: TransportSettings
) -> None:
    child = HandDrivenChild(county.address, township)
    try:
        child.next_frame("hello")
        submitted = case_envelope(1, "01JRESYNC00000000000000000")
        case_id = submitted.case_submitted.case.id
        elsewhere = "430981008201"  # a village of another township
        forged_copy = link_pb2.Envelope()
        forged_copy.CopyFrom(submitted)
        forged_copy.seq, forged_copy.message_id = 5, "msg-forged-copy"
        forged_copy.case_copy.case.CopyFrom(submitted.case_submitted.case)
        child.send(
            submitted,
            resync_request(2, elsewhere, [case_id]),  # not below the asking township: refused
            resync_request(3, VILLAGE, [f"{elsewhere}-01JOTHER000000000000000000"]),  # not the village's
            resync_request(4, VILLAGE, [case_id]),
            forged_copy,  # a copy goes from a handler to the origin, never up to the handler
        )
        copies: list[link_pb2.Envelope] = []
        while not copies:  # after the catalogue the county sends down
            frame = child.next_frame("envelopes")
            copies = [e for e in frame.envelopes.envelopes if e.WhichOneof("body") == "case_copy"]
    finally:
        child.close()
    (copy,) = copies
    assert copy.destination == VILLAGE and copy.origin == COUNTY
    assert copy.case_copy.case.id == case_id and [e.version for e in copy.case_copy.case.events] == [1]
    with county.sessions() as session:
        reasons = session.scalars(select(QuarantinedEnvelope.reason).order_by(QuarantinedEnvelope.seq)).all()
    assert reasons == [
        f"{TOWNSHIP} cannot ask for the cases of {elsewhere}, which is not below it",
        f"a copy of case {case_id} goes to its origin {VILLAGE}, not {COUNTY}",
    ]


def test_a_case_sent_twice_in_one_batch_is_stored_once_and_the_copy_quarantined(county, township):
    child = HandDrivenChild(county.address, township)
    try:
        child.next_frame("hello")
        first = case_envelope(1, "01JTWICE000000000000000000")
        copy = case_envelope(2, "01JTWICE000000000000000000")
        copy.message_id = "msg-a-second-message-for-the-same-case"
        # a batch of cases is written in one flush at commit: the copy must still be caught
        child.send(first, copy)
        assert child.next_frame("ack").ack.seq == 2
        child.send(
            case_envelope(3, "01JAFTER000000000000000000"), case_envelope(4, "01JTWICE000000000000000000")
        )
        assert child.next_frame("ack").ack.seq == 4
    finally:
        child.close()
    with county.sessions() as session:
        ids = sorted(session.scalars(select(Case.id)).all())
    assert ids == [f"{VILLAGE}-01JAFTER000000000000000000", f"{VILLAGE}-01JTWICE000000000000000000"]
    # the copy under its own message id is refused; envelope 4 repeats the first message (same id,
    # new seq, as a relay restored from a backup would send it) and is applied once, not refused
    assert county.describe().quarantined == 1
