"""Origin authentication: forged origins are refused and quarantined with the reason, nothing stored.

The attacker is a real node of the federation with its own valid certificate, writing forged
envelopes into its own outbox, so they travel over its real, authenticated link.
"""

from __future__ import annotations

from typing import TypedDict, Unpack

import pytest
from cryptography import x509
from sqlalchemy import select
from ulid import ULID

from node.store.models import Case
from node.timeutil import to_timestamp, utcnow
from signing.pki import CertificatePurpose
from signing.trust import CertificateRevoked
from sync import outbox
from sync.origin import OriginRefused, OriginVerifier, topology_problem
from sync.tables import QuarantinedEnvelope
from tests.harness import CHAIN, COUNTY, TOWNSHIP, VILLAGE, FederationHarness, wait_for
from tests.materials import complete_proto
from wuji.v1 import case_pb2, desk_pb2, link_pb2

COUNTY_ITEM = "MZ-0001"  # handled at the county
TOWNSHIP_ITEM = "MZ-0003"  # handled at the township
NO_SUCH_VILLAGE = "430981006299"


def submit(federation: FederationHarness, at: str, item: str) -> case_pb2.Case:
    return federation.desk(at).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code=item,
            applicant=case_pb2.Applicant(name="张三", id_number="430981199001011237", phone="13800000000"),
            materials=complete_proto(item),
        )
    )


def held(federation: FederationHarness, code: str, case_id: str) -> Case | None:
    with federation.nodes[code].sessions() as session:
        return session.get(Case, case_id)


def quarantined(federation: FederationHarness, code: str) -> dict[str, str]:
    with federation.nodes[code].sessions() as session:
        rows = session.execute(select(QuarantinedEnvelope.message_id, QuarantinedEnvelope.reason)).all()
    return {message_id: reason for message_id, reason in rows}


class Body(TypedDict, total=False):
    """The envelope bodies the tests forge (one at a time, as the envelope's oneof holds one)."""

    case_action: link_pb2.CaseActionRequest
    case_submitted: link_pb2.CaseSubmitted


def forged(origin: str, destination: str, **body: Unpack[Body]) -> link_pb2.Envelope:
    return link_pb2.Envelope(
        message_id=f"forged-{ULID()}",
        origin=origin,
        destination=destination,
        created_at=to_timestamp(utcnow()),
        **body,
    )


def withdrawal(case_id: str) -> Body:
    return {"case_action": link_pb2.CaseActionRequest(case_id=case_id, action=case_pb2.WITHDRAW)}


def new_case(origin: str, handler: str) -> Body:
    case = case_pb2.Case(
        id=f"{origin}-{ULID()}",
        item_code=COUNTY_ITEM,
        item_name="最低生活保障对象认定",
        origin=origin,
        handler=handler,
        state=case_pb2.SUBMITTED,
        applicant=case_pb2.Applicant(name="赵六", id_number="430981197001013452"),
        submitted_at=to_timestamp(utcnow()),
        version=1,
    )
    return {"case_submitted": link_pb2.CaseSubmitted(case=case)}


def send_from(federation: FederationHarness, attacker: str, *envelopes: link_pb2.Envelope) -> None:
    """The attacker node puts envelopes on its link to its parent, as its own software would."""
    node = federation.nodes[attacker]
    above = node.here.parent
    assert above is not None  # an attacker below the province
    parent = above.value
    with node.sessions.begin() as session:
        for envelope in envelopes:
            envelope.sender = attacker
            envelope.route[:] = [attacker]
            outbox.enqueue(session, parent, "parent", envelope)
    node.links.wake([parent])


@pytest.fixture
def chain(federation: FederationHarness) -> FederationHarness:
    federation.start_chain(CHAIN)
    return federation


def test_a_village_cannot_speak_for_the_township_the_county_or_a_village_that_does_not_exist(chain):
    at_township = submit(chain, TOWNSHIP, COUNTY_ITEM)  # the township's own case, handled at the county
    wait_for(lambda: held(chain, COUNTY, at_township.id), what="the township's case at the county")
    village = chain.nodes[VILLAGE].outbound.signer
    attacks = [
        forged(TOWNSHIP, COUNTY, **withdrawal(at_township.id)),  # unsigned
        village.sign(forged(VILLAGE, COUNTY, **withdrawal(at_township.id))),  # then re-labelled below
        forged(NO_SUCH_VILLAGE, COUNTY, **new_case(NO_SUCH_VILLAGE, COUNTY)),
        forged(COUNTY, COUNTY, **new_case(COUNTY, COUNTY)),
    ]
    attacks[1].origin = TOWNSHIP  # signed by the village, claiming the township
    send_from(chain, VILLAGE, *attacks)
    wait_for(lambda: len(quarantined(chain, TOWNSHIP)) == len(attacks), what="the forgeries quarantined")
    reasons = quarantined(chain, TOWNSHIP)
    for attack in attacks:
        expected = f"passed on a message from {attack.origin}, which is not in its subtree"
        assert expected in reasons[attack.message_id]
    assert held(chain, COUNTY, at_township.id).state == "SUBMITTED"
    for attack in attacks[2:]:
        assert held(chain, COUNTY, attack.case_submitted.case.id) is None
    assert quarantined(chain, COUNTY) == {}  # nothing even reached the county


def test_a_compromised_township_cannot_forge_for_its_villages_cases(chain):
    case = submit(chain, VILLAGE, COUNTY_ITEM)
    wait_for(lambda: held(chain, COUNTY, case.id), what="the village's case at the county")
    township = chain.nodes[TOWNSHIP].outbound.signer
    genuine = chain.nodes[VILLAGE].outbound.signer.sign(forged(VILLAGE, COUNTY, **withdrawal(case.id)))
    altered = link_pb2.Envelope()
    altered.CopyFrom(genuine)
    altered.case_action.case_id = f"{VILLAGE}-{ULID()}"  # the village signed another request
    signed_by_township = forged(TOWNSHIP, COUNTY, **withdrawal(case.id))
    township.sign(signed_by_township)
    signed_by_township.origin = VILLAGE  # the township's own signature, claiming the village
    unsigned = forged(VILLAGE, COUNTY, **withdrawal(case.id))
    invented = forged(NO_SUCH_VILLAGE, COUNTY, **new_case(NO_SUCH_VILLAGE, COUNTY))
    attacks = {
        altered.message_id: (altered, "does not verify"),
        signed_by_township.message_id: (signed_by_township, f"is signed by {TOWNSHIP}"),
        unsigned.message_id: (unsigned, "is not signed by its origin"),
        invented.message_id: (invented, "is not signed by its origin"),
    }
    altered.message_id = "altered-" + altered.message_id  # keep the ids apart in the quarantine
    attacks[altered.message_id] = attacks.pop(genuine.message_id)
    send_from(chain, TOWNSHIP, *(envelope for envelope, _ in attacks.values()))
    wait_for(lambda: len(quarantined(chain, COUNTY)) == len(attacks), what="the forgeries quarantined")
    reasons = quarantined(chain, COUNTY)
    for message_id, (_, reason) in attacks.items():
        assert reason in reasons[message_id], reasons[message_id]
    assert held(chain, COUNTY, case.id).state == "SUBMITTED"
    assert held(chain, COUNTY, invented.case_submitted.case.id) is None


def test_a_genuine_request_from_the_origin_is_applied(chain):
    case = submit(chain, VILLAGE, COUNTY_ITEM)
    wait_for(lambda: held(chain, COUNTY, case.id), what="the case at the county")
    chain.desk(VILLAGE).ActOnCase(desk_pb2.ActOnCaseRequest(case_id=case.id, action=case_pb2.WITHDRAW))
    wait_for(lambda: held(chain, COUNTY, case.id).state == "WITHDRAWN", what="the withdrawal at the county")
    assert quarantined(chain, COUNTY) == {}


def test_the_signature_covers_everything_but_the_hop_fields(chain):
    signer = chain.nodes[VILLAGE].outbound.signer
    trust = chain.nodes[COUNTY].trust_store
    envelope = signer.sign(forged(VILLAGE, COUNTY, **withdrawal(f"{VILLAGE}-{ULID()}")))
    verifier = OriginVerifier()
    envelope.seq, envelope.sender = 42, TOWNSHIP
    envelope.route.extend([VILLAGE, TOWNSHIP])
    verifier.verify(envelope, trust)  # relays change only these
    for change in (
        lambda e: setattr(e, "destination", TOWNSHIP),
        lambda e: setattr(e, "message_id", "another"),
        lambda e: e.created_at.FromSeconds(0),
        lambda e: setattr(e.case_action, "note", "changed"),
    ):
        tampered = link_pb2.Envelope()
        tampered.CopyFrom(envelope)
        change(tampered)
        with pytest.raises(OriginRefused, match="does not verify"):
            verifier.verify(tampered, trust)


def test_a_batch_checked_ahead_gives_each_envelope_its_own_verdict(chain):
    """Forty envelopes checked ahead on the verifying threads, in chunks: the two altered after
    signing (in the first chunk and in the last, partial one) and the unsigned one are refused,
    every other passes, whatever order they are asked for in."""
    signer = chain.nodes[VILLAGE].outbound.signer
    trust = chain.nodes[COUNTY].trust_store
    batch = [signer.sign(forged(VILLAGE, COUNTY, **withdrawal(f"{VILLAGE}-{ULID()}"))) for _ in range(40)]
    for altered in (batch[3], batch[38]):
        altered.case_action.note = "changed after signing"
    batch[20].ClearField("origin_signature")
    verifier = OriginVerifier()
    verifier.verify_ahead(batch, trust)
    refused = {}
    for index in reversed(range(len(batch))):
        try:
            verifier.verify(batch[index], trust)
        except OriginRefused as error:
            refused[index] = str(error)
    assert sorted(refused) == [3, 20, 38]
    assert "does not verify" in refused[3] and "does not verify" in refused[38]
    assert "is not signed" in refused[20]


@pytest.mark.parametrize(
    ("here", "peer", "role", "origin", "refused"),
    [
        (TOWNSHIP, VILLAGE, "child", VILLAGE, False),
        (TOWNSHIP, VILLAGE, "child", TOWNSHIP, True),
        (TOWNSHIP, VILLAGE, "child", "430981006202", True),
        (COUNTY, TOWNSHIP, "child", VILLAGE, False),
        (COUNTY, TOWNSHIP, "child", "430981008201", True),
        (TOWNSHIP, COUNTY, "parent", COUNTY, False),
        (TOWNSHIP, COUNTY, "parent", "430981008201", False),
        (TOWNSHIP, COUNTY, "parent", VILLAGE, True),
        (TOWNSHIP, COUNTY, "parent", TOWNSHIP, True),
        ("430000000000", "440000000000", "peer", "440305001001", False),
        ("430000000000", "440000000000", "peer", "450000000000", True),
        ("430000000000", "440000000000", "peer", VILLAGE, True),
        (COUNTY, TOWNSHIP, "child", "not a code", True),
    ],
)
def test_each_relay_checks_where_an_origin_may_come_from(here, peer, role, origin, refused):
    assert (topology_problem(here, peer, role, origin) is not None) is refused


def test_an_envelope_from_a_revoked_origin_is_quarantined_in_chinese_with_beijing_time(chain):
    """The county's operator read `the origin's certificate is refused: … revoked on 2026-12-07 22:36
    UTC …` behind `隔离报文 1 件`: English only, and the time in UTC."""
    county = chain.nodes[COUNTY]
    signed = chain.nodes[VILLAGE].outbound.signer.sign(
        forged(VILLAGE, COUNTY, **withdrawal(f"{VILLAGE}-{ULID()}"))
    )
    chain.nodes[TOWNSHIP].revoke(VILLAGE)
    certificates = [x509.load_der_x509_certificate(der) for der in signed.origin_chain]

    def revoked_at_the_county() -> bool:
        try:
            county.trust_store().verify_chain(certificates[0], certificates[1:], CertificatePurpose.TLS)
        except CertificateRevoked:
            return True
        return False

    wait_for(revoked_at_the_county, what="the township's revocation list at the county")
    send_from(chain, TOWNSHIP, signed)
    reason = wait_for(
        lambda: quarantined(chain, COUNTY).get(signed.message_id), what="the envelope quarantined"
    )
    assert reason.startswith(
        f"来源节点 {VILLAGE} 的证书或签发它的证书已被吊销，本节点不再接受它发出的报文，报文已隔离 ("
        "the origin's certificate is refused: "
    ), reason
    assert "（北京时间）" in reason and " UTC" not in reason, reason
