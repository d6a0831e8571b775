"""Fuzzing (hypothesis, bounded for CI): the envelope decoder and the case state machine.

Whatever bytes or envelopes arrive, a link either applies them or quarantines them with a reason,
and its cursor moves on by exactly one; whatever actions a clerk tries, a case either moves as the
state machine says or stays exactly as it was.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from node.cases.service import Applicant, CaseService
from node.cases.states import Action, State, transition
from node.catalogue import items as catalog
from node.catalogue import releases
from node.errors import DomainError, IllegalTransition
from node.runtime.federation import FederationHandler
from node.store.engine import create_store_engine, migrate, session_factory
from node.store.models import Case, CaseEvent
from node.store.outbound import Outbound
from node.trust.certificates import RevocationIntake
from node.trust.licences import LicenceService
from signing.trust import TrustStore
from sync.link import Link, LinkSettings
from sync.tables import InboxEntry, QuarantinedEnvelope
from sync.transport import _lenient_parser
from tests.materials import complete
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2, link_pb2

COUNTY = DivisionCode.parse("430981")
TOWNSHIP = "430981006000"
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A county's store and federation handler, without the network: the link calls it directly."""
    engine = create_store_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'county.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        releases.publish(session, catalog.load_document(catalog.demo_catalog_path()), "430000000000")
    outbound = Outbound(COUNTY)
    cases = CaseService(COUNTY, sessions, outbound)
    handler = FederationHandler(
        COUNTY,
        outbound,
        cases,
        RevocationIntake([], lambda: None),
        LicenceService(COUNTY, "", outbound, list),
        lambda session: TrustStore(),
    )
    link = Link(COUNTY.value, TOWNSHIP, "child", sessions, handler, LinkSettings())
    yield sessions, link, cases
    engine.dispose()


@FUZZ
@given(st.binary(max_size=512))
def test_any_bytes_decode_to_a_frame_or_a_clear_refusal(data):
    parsed = _lenient_parser(link_pb2.LinkFrame)(data)
    assert isinstance(parsed, link_pb2.LinkFrame) or parsed.reason.startswith("malformed wuji.v1.LinkFrame")


codes = st.sampled_from(
    ["430981000000", "430981006001", "430981008000", "430900000000", "", "12345", "x" * 12]
)
texts = st.text(max_size=20)
ulids = st.text(alphabet="0123456789ABCDEFGHJK", max_size=26)
materials = st.builds(case_pb2.Material, name=texts, content=st.binary(max_size=16), sha256=texts)
cases = st.builds(
    case_pb2.Case,
    id=st.one_of(texts, st.builds(lambda s: f"430981006001-{s}", ulids)),
    item_code=st.sampled_from(["MZ-0001", "NOPE", ""]),
    origin=codes,
    handler=codes,
    applicant=st.builds(case_pb2.Applicant, name=texts, id_number=texts),
    materials=st.lists(materials, max_size=2),
)
bodies = st.one_of(
    st.builds(lambda c: {"case_submitted": link_pb2.CaseSubmitted(case=c)}, cases),
    st.builds(
        lambda case_id, version, action: {
            "case_event": link_pb2.CaseEventNotice(
                case_id=case_id,
                event=case_pb2.CaseEvent(version=version, action=action, to_state=case_pb2.ACCEPTED),
            )
        },
        texts,
        st.integers(0, 5),
        st.integers(0, 10),
    ),
    st.builds(
        lambda case_id: {
            "case_action": link_pb2.CaseActionRequest(case_id=case_id, action=case_pb2.WITHDRAW)
        },
        texts,
    ),
    st.builds(
        lambda v, d, j: {"catalog_release": link_pb2.CatalogRelease(version=v, digest=d, changed_items=[j])},
        st.integers(0, 3),
        texts,
        st.binary(max_size=32),
    ),
    st.builds(lambda der: {"revocation_list": link_pb2.RevocationList(crl_der=der)}, st.binary(max_size=32)),
    st.just({}),
)
envelopes = st.builds(
    lambda sender, origin, destination, body: link_pb2.Envelope(
        message_id="fuzz", sender=sender, origin=origin, destination=destination, **body
    ),
    st.sampled_from([TOWNSHIP, TOWNSHIP, "430981008000"]),
    codes,
    codes,
    bodies,
)


@FUZZ
@given(st.lists(envelopes, min_size=1, max_size=4))
def test_any_envelope_is_applied_or_quarantined_and_the_link_moves_on(county, batch):
    sessions, link, _ = county
    with sessions() as session:
        start = link.received_seq()
        quarantined_before = session.scalar(select(func.count()).select_from(QuarantinedEnvelope))
    for offset, envelope in enumerate(batch, start=1):
        envelope.seq = start + offset
    acknowledged = link._apply(batch)
    assert acknowledged == start + len(batch)
    with sessions() as session:
        recorded = session.scalar(select(func.count()).select_from(InboxEntry).where(InboxEntry.seq > start))
        quarantined = (
            session.scalar(select(func.count()).select_from(QuarantinedEnvelope)) - quarantined_before
        )
    assert recorded == len(batch)
    assert quarantined <= len(batch)
    assert link._apply(batch) == start + len(batch)  # the same batch again changes nothing


@FUZZ
@given(st.lists(st.sampled_from(list(Action)), min_size=1, max_size=12))
def test_any_action_sequence_follows_the_state_machine_or_changes_nothing(county, actions):
    sessions, _, service = county
    case = service.submit("MZ-0001", Applicant("模糊测试", "430981199001011237"), complete("MZ-0001"))
    state, accepted, version = State.SUBMITTED, False, 1
    for action in actions:
        try:
            expected = transition(state, action, accepted=accepted, instant=False)
        except IllegalTransition:
            expected = None
        try:
            after = service.act(case.id, action)
        except DomainError:
            after = None
        with sessions() as session:
            row = session.get(Case, case.id)
            events = session.scalar(
                select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)
            )
        if expected is None or after is None:
            # refused (illegal, or an applicant's action this county forwards): nothing changed
            assert (row.state, row.version, events) == (state, version, version)
            continue
        state, accepted, version = expected.to_state, accepted or action is Action.ACCEPT, version + 1
        assert (row.state, row.version, events) == (state, version, version)
