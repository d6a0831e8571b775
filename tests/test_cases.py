"""The case service on a real database (SQLite file and PostgreSQL): state machine, event log, outbox."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from node.cases import eventlog
from node.cases.applicants import with_check_character
from node.cases.deferrals import DeferralService
from node.cases.service import Applicant, CaseService, Material
from node.cases.states import RULES, Action, State, transition
from node.catalogue import items as catalog
from node.catalogue import releases
from node.clock import SystemClock
from node.errors import IllegalTransition, InvalidInput, NotFound, NotReady, WrongNode
from node.staff.roles import Actor, NotPermitted, Role
from node.store.engine import create_store_engine, migrate, session_factory
from node.store.models import Case, CaseEvent, CaseMaterial, CatalogRelease, ReturnVisit
from node.store.outbound import Outbound
from node.supervision.visits import ReturnVisits
from node.timeutil import as_utc, utcnow
from node.workdays import add_working_days, china_date
from signing.licences import credit_code_check_character, is_valid_credit_code
from sync import outbox
from sync.tables import OutboxEntry
from tests.materials import complete
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2, link_pb2

COUNTY = DivisionCode.parse("430981")
VILLAGE = DivisionCode.parse("430981006001")
APPLICANT = Applicant("李四", "430981198805052347", "13900000000")


@pytest.fixture
def sessions(database_url):
    engine = create_store_engine(database_url)
    migrate(engine)
    factory = session_factory(engine)
    with factory.begin() as session:
        releases.publish(session, catalog.load_document(catalog.demo_catalog_path()), "430000000000")
    yield factory
    engine.dispose()


def service(sessions, here: DivisionCode) -> CaseService:
    return CaseService(here, sessions, Outbound(here))


def count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_case_handled_where_it_was_submitted_goes_through_the_three_steps(sessions):
    county = service(sessions, COUNTY)
    case = county.submit("MZ-0001", APPLICANT, complete("MZ-0001"))
    assert case.handler == case.origin == COUNTY.value
    for action in (Action.ACCEPT, Action.REVIEW, Action.APPROVE, Action.DELIVER):
        case = county.act(case.id, action, note=action.label)
    assert case.state == case_pb2.DELIVERED and case.outcome == case_pb2.APPROVED
    assert [e.version for e in case.events] == [1, 2, 3, 4, 5]
    assert count(sessions, OutboxEntry) == 0  # nobody else holds a copy


def test_submission_writes_case_event_and_outbox_in_one_transaction(sessions):
    village = service(sessions, VILLAGE)
    case = village.submit("MZ-0001", APPLICANT, complete("MZ-0001"))
    with sessions() as session:
        entry = session.scalars(select(OutboxEntry)).one()
        envelope = link_pb2.Envelope.FromString(entry.envelope)
    assert entry.peer == VILLAGE.parent.value and entry.seq == 1
    assert envelope.destination == COUNTY.value and envelope.case_submitted.case.id == case.id
    assert envelope.case_submitted.case.materials[0].content == complete("MZ-0001")[0].content
    assert count(sessions, CaseEvent) == 1


@pytest.mark.parametrize("here", [VILLAGE, COUNTY], ids=["sent on", "handled here"])
def test_the_desk_is_shown_a_new_case_as_it_was_stored(sessions, here):
    # the reply to a submission is built from the rows in hand, not read back: it must be the same
    desk = service(sessions, here)
    for _ in range(2):  # the second finds the link's cursor stored
        submitted = desk.submit("MZ-0001", APPLICANT, complete("MZ-0001"))
        assert submitted == desk.get(submitted.id)
        assert [e.version for e in submitted.events] == [1]
        assert len({m.id for m in submitted.materials}) == len(complete("MZ-0001"))


def test_the_desk_is_shown_a_case_as_its_action_left_it(sessions):
    county = service(sessions, COUNTY)
    case = county.submit("MZ-0001", APPLICANT, complete("MZ-0001"))
    accepted = county.act(case.id, Action.ACCEPT, note="材料齐全")
    assert accepted.state == case_pb2.ACCEPTED and accepted.version == 2
    assert accepted.events[-1].note == "材料齐全"
    assert accepted == county.get(case.id)


def test_a_failure_while_enqueueing_stores_nothing_at_all(sessions, monkeypatch):
    village = service(sessions, VILLAGE)

    def broken_enqueue(*args, **kwargs):
        raise RuntimeError("disk full while enqueueing")

    monkeypatch.setattr(outbox, "enqueue", broken_enqueue)
    with pytest.raises(RuntimeError):
        village.submit("MZ-0001", APPLICANT, complete("MZ-0001"))
    assert count(sessions, Case) == count(sessions, CaseEvent) == count(sessions, CaseMaterial) == 0
    assert count(sessions, OutboxEntry) == 0


def test_illegal_transition_is_refused_with_reason_and_stores_nothing(sessions):
    county = service(sessions, COUNTY)
    case = county.submit("MZ-0001", APPLICANT, complete("MZ-0001"))
    with pytest.raises(IllegalTransition, match="SUBMITTED") as refused:
        county.act(case.id, Action.APPROVE)
    said = "此办件当前为“申请”状态，不能办结(准予)：只有“审核”状态的办件可以办结(准予) ("
    assert str(refused.value).startswith(said)
    with pytest.raises(IllegalTransition):
        county.act(case.id, Action.DELIVER)
    after = county.get(case.id)
    assert after.state == case_pb2.SUBMITTED and after.version == 1
    assert count(sessions, CaseEvent) == 1


def test_unknown_item_is_refused_and_stores_nothing(sessions):
    with pytest.raises(NotFound, match="NO-SUCH"):
        service(sessions, VILLAGE).submit("NO-SUCH", APPLICANT)
    assert count(sessions, Case) == count(sessions, CaseEvent) == count(sessions, OutboxEntry) == 0


def test_a_case_records_its_release_and_an_expired_release_accepts_no_case(sessions):
    county = service(sessions, COUNTY)
    assert county.submit("MZ-0001", APPLICANT, complete("MZ-0001")).catalog_version == 1
    with sessions.begin() as session:
        session.execute(update(CatalogRelease).values(expires_at=utcnow() - timedelta(days=1)))
    with pytest.raises(NotReady, match="catalogue release 1 expired"):
        county.submit("MZ-0001", APPLICANT, complete("MZ-0001"))
    assert count(sessions, Case) == 1


def test_bad_input_is_refused_with_the_field_named(sessions):
    village = service(sessions, VILLAGE)
    with pytest.raises(InvalidInput, match="applicant name"):
        village.submit("MZ-0001", Applicant("", "430981198805052347"), complete("MZ-0001"))
    with pytest.raises(InvalidInput, match="U\\+0007"):
        village.submit("MZ-0001", Applicant("王\x07五", "430981198805052347"), complete("MZ-0001"))
    with pytest.raises(InvalidInput, match="does not match"):
        village.submit("MZ-0001", APPLICANT, [Material("户口簿", b"page 1", sha256="00" * 32)])
    extra = [*complete("MZ-0001"), Material("营业执照", b"%PDF-1.4 licence")]
    said = "不需要材料 营业执照；本事项的申请材料是：居民身份证、"
    with pytest.raises(InvalidInput, match=said) as refused:
        village.submit("MZ-0001", APPLICANT, extra)
    assert "its materials are" not in str(refused.value)  # said in one language, not switched mid-sentence
    assert count(sessions, Case) == 0


@pytest.mark.parametrize("id_number", ["430981198805052345", "43098119880505234", "43098119880505234Y"])
def test_a_malformed_identity_number_is_refused_at_any_window(sessions, id_number):
    """GB 11643: 17 digits and the check character, checked wherever the citizen applies."""
    village = service(sessions, VILLAGE)
    with pytest.raises(InvalidInput, match="身份证号码"):
        village.submit("MZ-0001", Applicant("李四", id_number, "13900000000"), complete("MZ-0001"))
    assert count(sessions, Case) == 0


def test_an_identity_number_is_kept_with_a_capital_x_and_found_however_it_is_typed(sessions):
    """The check character X is often typed as x, and case ids in small letters: the same person
    must be one number, and a search must find them either way."""
    village = service(sessions, VILLAGE)
    case = village.submit("MZ-0001", Applicant("李四", "43098119880519007x"), complete("MZ-0001"))
    assert case.applicant.id_number == "43098119880519007X"
    assert [c.id for c in village.search("43098119880519007x")] == [case.id]
    assert [c.id for c in village.search(case.id.lower())] == [case.id]
    assert village.get(case.id.lower()).id == case.id


def test_a_malformed_identity_number_is_refused_with_its_reason_in_chinese(sessions):
    village = service(sessions, VILLAGE)
    with pytest.raises(InvalidInput, match="有误：应为 18 位：17 位数字加 1 位校验码，现为 17 位"):
        village.submit("MZ-0001", Applicant("李四", "43098119880505234"), complete("MZ-0001"))
    with pytest.raises(InvalidInput, match="有误：前 17 位应全为数字"):  # a digit of another script
        village.submit("MZ-0001", Applicant("李四", "43098119880505234٥"[::-1]), complete("MZ-0001"))
    with pytest.raises(InvalidInput, match="有误：末位校验码应为 7，请核对各位数字"):
        village.submit("MZ-0001", Applicant("李四", "430981198805052345"), complete("MZ-0001"))
    # the check character right, the birth date not a day (two digits mistyped) or still to come
    for first_17, said in (
        ("43098119880230234", "第 7 至 14 位出生日期 19880230 不是有效日期"),
        ("43098120880505234", "第 7 至 14 位出生日期 20880505 不在 1900 年至今天之间"),
    ):
        with pytest.raises(InvalidInput, match=f"有误：{said}，请核对各位数字"):
            village.submit("MZ-0001", Applicant("李四", with_check_character(first_17)), complete("MZ-0001"))
    # one digit mistyped of 430981194803120029, each passing a credit code's check character: they
    # were taken in as companies' codes, and the case found under neither number
    for typo, expected in (
        ("430981194303120029", "2"),
        ("430981194803150029", "5"),
        ("430981180001010023", ""),
    ):
        assert is_valid_credit_code(typo)
        with pytest.raises(
            InvalidInput, match=f"申请人身份证号码 {typo} 有误：(末位校验码应为 {expected}|第 7 至 14 位)"
        ):
            village.submit("MZ-0001", Applicant("王秀兰", typo), complete("MZ-0001"))
    with pytest.raises(InvalidInput, match="前 2 位 99 不是省级行政区的代码"):  # a credit code's check too
        village.submit("MZ-0001", Applicant("王秀兰", "99999919480312002X"), complete("MZ-0001"))
    assert count(sessions, Case) == 0


def test_a_field_pasted_with_the_cell_beside_it_is_refused_saying_so(sessions):
    """A row copied from a spreadsheet into the name field brings the next cell after a tab (a
    column, after a line break): the window says so, instead of keeping 李四<tab>4309… as the name."""
    village = service(sessions, VILLAGE)
    for applicant, label in (
        (Applicant("李四\t43098119880519007X", "43098119880519007X"), "申请人姓名"),
        (Applicant("李四", "43098119880519007X\n13900000000"), "申请人证件号码"),
        (Applicant("李四", "43098119880519007X", "13900000000\t李四"), "手机号"),
    ):
        with pytest.raises(InvalidInput, match=f"{label}中有换行或制表符：只填写{label}本身"):
            village.submit("MZ-0001", applicant, complete("MZ-0001"))
    assert count(sessions, Case) == 0


COMPANY = "91430981MA4L0B" + "123" + credit_code_check_character("91430981MA4L0B123")  # a 食品 shop


def test_a_company_applies_by_its_unified_social_credit_code(sessions):
    """Companies apply for 食品经营许可 and the like by their 统一社会信用代码 (GB 32100), which has a
    check character of its own: taken in (in capitals however typed), and refused with its reason
    when a character is wrong."""
    village = service(sessions, VILLAGE)
    case = village.submit("SJ-0002", Applicant("沅江市某某食品店", COMPANY.lower()), complete("SJ-0002"))
    assert case.applicant.id_number == COMPANY
    wrong = COMPANY[:-1] + ("A" if COMPANY[-1] != "A" else "B")
    with pytest.raises(
        InvalidInput, match=f"申请人统一社会信用代码 {wrong} 有误：末位校验码应为 {COMPANY[-1]}"
    ):
        village.submit("SJ-0002", Applicant("沅江市某某食品店", wrong), complete("SJ-0002"))
    elsewhere = "91YY0981MA4L0B123" + credit_code_check_character("91YY0981MA4L0B123")
    with pytest.raises(InvalidInput, match="第 3 至 8 位 YY0981 不是登记管理机关的行政区划代码"):
        village.submit("SJ-0002", Applicant("沅江市某某食品店", elsewhere), complete("SJ-0002"))
    with pytest.raises(InvalidInput, match="不应有 O"):
        village.submit(
            "SJ-0002", Applicant("沅江市某某食品店", COMPANY.replace("M", "O")), complete("SJ-0002")
        )
    assert count(sessions, Case) == 1


@pytest.mark.parametrize("phone", ["123", "1380000000", "12800000000", "电话13800000000", "0737"])
def test_a_phone_no_one_can_call_back_is_refused_at_the_window(sessions, phone):
    """The 回访 calls every applicant: "123" was taken and stored."""
    village = service(sessions, VILLAGE)
    with pytest.raises(InvalidInput, match=r"申请人手机号 .* 有误"):
        village.submit("MZ-0001", Applicant("李四", "430981198805052347", phone), complete("MZ-0001"))
    assert count(sessions, Case) == 0


@pytest.mark.parametrize(
    ("given", "stored"),
    [("138 0000 0000", "13800000000"), ("138-0000-0000", "13800000000"), ("0737-4221234", "0737-4221234"),
     ("+85291234567", "+85291234567"),
     # a mainland mobile is kept as its 11 digits: a search for them finds the case
     ("+86 138 0737 1234", "13807371234"), ("8613807371234", "13807371234"),
     ("１３８０７３７１２３４", "13807371234"),  # full-width, from a Chinese input method
     ("", "")],
)  # fmt: skip
def test_a_mobile_a_landline_or_an_international_number_is_taken(sessions, given, stored):
    village = service(sessions, VILLAGE)
    case = village.submit("MZ-0001", Applicant("李四", "430981198805052347", given), complete("MZ-0001"))
    assert village.get(case.id).applicant.phone == stored


def test_one_person_typed_in_different_ways_is_one_applicant_and_found_each_way(sessions):
    """A number typed full-width by a Chinese input method or in groups as printed on the card, a
    mobile with +86, a middle dot from another input method: each was refused or stored as another
    person, whom a search for the citizen then did not find."""
    village = service(sessions, VILLAGE)
    typed = [
        Applicant("阿卜杜拉·买买提", "６５０１０２１９８００１０１００１２", "+86 139 9100 0001"),
        Applicant("阿卜杜拉•买买提", "650102 19800101 0012", "139-9100-0001"),
        Applicant("阿卜杜拉・买买提", "650102198001010012", "8613991000001"),
        Applicant("阿卜杜拉 · 买 买 提", "650102198001010012", "13991000001"),  # spaced to line up
    ]
    number = "650102198001010012"
    ids = {village.submit("MZ-0001", applicant, complete("MZ-0001")).id for applicant in typed}
    stored = {(c.applicant.name, c.applicant.id_number, c.applicant.phone) for c in map(village.get, ids)}
    assert stored == {("阿卜杜拉·买买提", number, "13991000001")}
    for needle in ("阿卜杜拉•买买提", "阿卜杜拉·买 买提", "６５０１０２", "650102 1980", "+86 13991000001"):
        assert {c.id for c in village.search(needle)} == ids, needle


def test_a_name_s_dot_typed_as_a_full_stop_is_stored_as_the_dot_and_any_spelling_finds_it(sessions):
    """古丽.艾力 (or ．, 。 from a Chinese input method) was stored as typed: the receipt carried a
    name not on the identity card, and a search for 古丽·艾力 missed it; a name stored with its dot
    was not found with a full stop, a space, without the dot, or by its part after the dot."""
    village = service(sessions, VILLAGE)
    number = "430981200002020069"
    typed = ["古丽.艾力", "古丽．艾力", "古丽。艾力", "古丽 . 艾力"]
    ids = {village.submit("YB-0001", Applicant(name, number), complete("YB-0001")).id for name in typed}
    assert {village.get(case_id).applicant.name for case_id in ids} == {"古丽·艾力"}
    # a space between Chinese characters is a typo when stored (李 德 明), not a dot
    spaced = village.submit("MZ-0001", Applicant("李 德明", "430981198805052347"), complete("MZ-0001"))
    assert village.get(spaced.id).applicant.name == "李德明"
    # a Latin name keeps its full stop
    latin = village.submit("MZ-0001", Applicant("J. Smith", "430981198805052347"), complete("MZ-0001"))
    assert village.get(latin.id).applicant.name == "J. Smith"
    spellings = ("古丽·艾力", "古丽.艾力", "古丽．艾力", "古丽 艾力", "古丽艾力", "古丽艾", "艾力")
    spellings += ("古丽・艾",)
    for needle in spellings:
        assert {c.id for c in village.search(needle)} == ids, needle
    assert {c.id for c in village.search("李德明")} == {spaced.id}


def test_a_place_name_where_the_home_division_code_goes_is_refused_in_words(sessions):
    """An agent types 沅江市 into the 户籍地 field: told it wants the code, with this point's as the
    example, not "only ASCII digits 0-9 are allowed, found '沅' at 0"."""
    village = service(sessions, VILLAGE)
    told = f"户籍地区划代码 沅江市 有误：应填 6、9 或 12 位数字的区划代码（例如本点 {VILLAGE}），不是地名"
    with pytest.raises(InvalidInput, match=told):
        village.submit("MZ-0001", APPLICANT, complete("MZ-0001"), home_division="沅江市")
    assert count(sessions, Case) == 0
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in VILLAGE.value)  # ４３０９８１…
    case = village.submit("MZ-0001", APPLICANT, complete("MZ-0001"), home_division=full_width)
    assert village.get(case.id).home_division == VILLAGE.value  # read as typed, stored as digits


def test_sql_looking_names_are_stored_verbatim(sessions):
    village = service(sessions, VILLAGE)
    name = "Robert'); DROP TABLE case;--"
    case = village.submit("MZ-0001", Applicant(name, "430981198805052347"), complete("MZ-0001"))
    assert village.get(case.id).applicant.name == name


def test_handler_actions_are_refused_at_the_origin(sessions):
    village = service(sessions, VILLAGE)
    case = village.submit("MZ-0001", APPLICANT, complete("MZ-0001"))
    with pytest.raises(WrongNode, match=COUNTY.value) as refused:
        village.act(case.id, Action.ACCEPT)
    # a window reads a whole Chinese sentence first, the English detail after it in brackets
    assert str(refused.value).startswith(
        f"受理只能在办理此办件的节点 {COUNTY} 进行，本节点 {VILLAGE} 不能受理此办件 (accept is taken by"
    ), refused.value
    with pytest.raises(WrongNode) as elsewhere:
        service(sessions, COUNTY).act(case.id, Action.DELIVER)
    assert str(elsewhere.value).startswith(f"送达只能在申请人申请的服务点 {VILLAGE} 进行"), elsewhere.value


def test_withdrawal_at_the_origin_is_sent_to_the_handler(sessions):
    village = service(sessions, VILLAGE)
    case = village.submit("MZ-0001", APPLICANT, complete("MZ-0001"))
    village.act(case.id, Action.WITHDRAW, note="申请人撤回")
    with sessions() as session:
        bodies = [
            link_pb2.Envelope.FromString(e.envelope).WhichOneof("body")
            for e in session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq))
        ]
    assert bodies == ["case_submitted", "case_action"]
    assert village.get(case.id).state == case_pb2.SUBMITTED  # until the handler carries it out


def test_event_log_is_a_hash_chain_and_tampering_is_detected(sessions):
    county = service(sessions, COUNTY)
    for _ in range(3):
        case = county.submit("MZ-0001", APPLICANT, complete("MZ-0001"))
        county.act(case.id, Action.ACCEPT)
    with sessions() as session:
        check = eventlog.verify(session)
    assert check.intact and check.entries == 6
    with sessions.begin() as session:
        session.execute(update(CaseEvent).where(CaseEvent.seq == 4).values(note="改过的记录"))
    with sessions() as session:
        check = eventlog.verify(session)
    assert not check.intact and check.first_broken_seq == 4


def test_events_naming_no_materials_to_correct_keep_the_hash_they_had_before_names_were_kept(sessions):
    """Materials to correct are hashed only when a 补正告知 names them: an entry written before they
    were kept (every entry naming none) hashes as it always did, so old logs still verify; a
    changed name is detected."""
    county = service(sessions, COUNTY)
    case = county.submit("MZ-0001", APPLICANT, complete("MZ-0001"))
    county.act(case.id, Action.REQUEST_CORRECTION, correct=["户口簿"])
    with sessions() as session:
        first, asked = session.scalars(select(CaseEvent).order_by(CaseEvent.seq)).all()
        named = ("seq", "case_id", "version", "action", "from_state", "to_state", "actor_node", "note")
        before = {name: getattr(first, name) for name in named}
        before |= {"at": as_utc(first.at).isoformat(timespec="microseconds"), "route": list(first.route)}
        canonical = json.dumps(before, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert first.hash == hashlib.sha256((eventlog.GENESIS_HASH + canonical).encode()).hexdigest()
        assert asked.correct_materials == ["户口簿"] and eventlog.verify(session).intact
    with sessions.begin() as session:
        session.execute(update(CaseEvent).where(CaseEvent.seq == 2).values(correct_materials=["居民身份证"]))
    with sessions() as session:
        assert eventlog.verify(session).first_broken_seq == 2


@pytest.mark.parametrize("action", list(Action))
def test_each_action_is_legal_exactly_from_its_listed_states(action):
    accepted = action is Action.RETURN  # 退件 is of a case 受理'd (the test below)
    for state in State:
        allowed = state in RULES[action].from_states
        if allowed:
            assert transition(state, action, accepted=accepted, instant=False).to_state in State
        else:
            with pytest.raises(IllegalTransition):
                transition(state, action, accepted=accepted, instant=False)


def test_a_case_not_yet_accepted_is_refused_or_corrected_not_returned():
    for state in (State.SUBMITTED, State.CORRECTION_REQUESTED):
        with pytest.raises(IllegalTransition, match="此办件尚未受理，不能退件"):
            transition(state, Action.RETURN, accepted=False, instant=False)


def test_instant_items_conclude_straight_from_acceptance():
    assert transition(State.ACCEPTED, Action.APPROVE, accepted=True, instant=True).to_state is State.CONCLUDED
    with pytest.raises(IllegalTransition):
        transition(State.ACCEPTED, Action.APPROVE, accepted=True, instant=False)


def test_supplement_returns_to_review_once_accepted():
    def after_supplement(accepted: bool) -> State:
        return transition(
            State.CORRECTION_REQUESTED, Action.SUPPLEMENT, accepted=accepted, instant=False
        ).to_state

    assert after_supplement(accepted=True) is State.UNDER_REVIEW
    assert after_supplement(accepted=False) is State.SUBMITTED


def test_a_search_by_department_staff_is_not_crowded_out_by_other_departments_cases(sessions):
    """At a county hall a name matches more cases of other departments than a page holds: the
    department's own case must still be found, and another department's never shown to its staff."""
    county = service(sessions, COUNTY)
    ids = sorted(county.submit("MZ-0001", APPLICANT, complete("MZ-0001")).id for _ in range(6))
    own = ids[-1]  # last in the id order the search pages by
    with sessions.begin() as session:
        session.execute(update(Case).values(department="民政局"))
        session.execute(update(Case).where(Case.id == own).values(department="人社局"))
    for needle in (f"{COUNTY.value}-", APPLICANT.name):
        found = [case.id for case in county.search(needle, limit=3, department="人社局")]
        assert found == [own], needle
    assert len(county.search(f"{COUNTY.value}-", limit=3)) == 3  # everyone else: any department's
    assert [c.id for c in county.search(APPLICANT.name, department="公安局")] == []


def test_a_department_s_case_list_shows_what_its_search_finds(sessions):
    """The list and the search show department staff the same cases: their department's handled
    here and those of no department (the list had left the latter out)."""
    county = service(sessions, COUNTY)
    ids = [county.submit("MZ-0001", APPLICANT, complete("MZ-0001")).id for _ in range(3)]
    with sessions.begin() as session:
        session.execute(update(Case).where(Case.id == ids[1]).values(department="人社局"))
        session.execute(update(Case).where(Case.id == ids[2]).values(department=""))
    mine = {ids[0], ids[2]}  # 民政局's and the department-less one
    for role in ("handler", ""):
        listed = {case.id for case in county.list_cases(role=role, department="民政局")}
        assert listed == mine, role
    assert {case.id for case in county.search(APPLICANT.name, department="民政局")} == mine
    assert len(county.list_cases(role="handler")) == 3  # no department: every case


def test_a_request_for_correction_says_what_to_correct_and_a_supplement_brings_files(sessions):
    """一次性告知: the 补正告知书 prints the note for the applicant; an empty one told them nothing.
    A 补正材料 without a file put the case back to 申请 with nothing corrected."""
    county = service(sessions, COUNTY)
    case = county.submit("MZ-0001", APPLICANT, complete("MZ-0001"))
    for blank in ("", "  \n "):
        with pytest.raises(InvalidInput, match="补正告知须一次性写明需补正的全部内容"):
            county.act(case.id, Action.REQUEST_CORRECTION, blank)
    assert county.get(case.id).state == case_pb2.SUBMITTED and county.get(case.id).version == case.version
    asked = county.act(case.id, Action.REQUEST_CORRECTION, "户口簿请提供首页和本人页")
    assert asked.state == case_pb2.CORRECTION_REQUESTED
    assert asked.events[-1].note == "户口簿请提供首页和本人页"
    with pytest.raises(InvalidInput, match="补正材料须附补交的文件"):  # nothing supplied: still 补正
        county.act(case.id, Action.SUPPLEMENT, "已补正")
    assert county.get(case.id).state == case_pb2.CORRECTION_REQUESTED
    supplied = county.act(case.id, Action.SUPPLEMENT, "已补正", materials=complete("MZ-0001")[1:2])
    assert supplied.state == case_pb2.SUBMITTED


def test_a_step_refused_to_a_role_names_its_people_once(sessions):
    """ "代办员人员不能受理": 人员 was added to every role's name, 代办员 and 管理员 included."""
    county = service(sessions, COUNTY)
    case_id = county.submit("MZ-0001", APPLICANT, complete("MZ-0001")).id
    agent = Actor(node=COUNTY.value, username="agent1", name="李代办", role=Role.AGENT)
    with pytest.raises(NotPermitted) as refused:
        county.act(case_id, Action.ACCEPT, by=agent)
    assert "无权受理：代办员不能受理，请由窗口受理人员办理 (" in str(refused.value)
    admin = Actor(node=COUNTY.value, username="admin", name="管理", role=Role.ADMIN)
    with pytest.raises(NotPermitted, match="管理员不能受理，请由窗口受理人员办理"):
        county.act(case_id, Action.ACCEPT, by=admin)


def test_a_material_the_item_does_not_list_is_refused_as_such_when_supplied(sessions):
    """Supplying "病毒" answered "不缺材料 病毒，尚缺：无", as if the case had it already."""
    county, income = service(sessions, COUNTY), "家庭收入和财产状况说明"
    deferrals = DeferralService(COUNTY, sessions, sessions, Outbound(COUNTY), SystemClock())
    county.hooks.append(deferrals)
    promised = add_working_days(china_date(SystemClock().now()), 5).isoformat()
    owed = case_pb2.Case(missing_materials=[case_pb2.MissingMaterial(name=income, promised_on=promised)])
    case_id = county.submit("MZ-0001", APPLICANT, complete("MZ-0001", leave_out=(income,)), extras=owed).id
    with pytest.raises(InvalidInput) as unlisted:
        deferrals.supply(case_id, Material("病毒", b"%PDF-1.4 scan", file_name="v.pdf"))
    said = str(unlisted.value)
    assert f"最低生活保障对象认定（MZ-0001）没有材料 病毒，本办件尚缺的容缺材料：{income}" in said
    assert "不缺材料" not in said


def test_a_deferral_the_item_does_not_allow_is_refused_in_words_the_window_reads(sessions):
    county, income = service(sessions, COUNTY), "家庭收入和财产状况说明"
    county.hooks.append(DeferralService(COUNTY, sessions, sessions, Outbound(COUNTY), SystemClock()))
    today = china_date(SystemClock().now())
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)  # the window is closed
    refusals = [
        ("户口簿", "2099-01-01", f"（MZ-0001）的材料 户口簿 不可容缺，可容缺的材料：{income}"),
        (income, "", f"容缺材料 {income} 须写明承诺补齐日期"),
        (income, "下周五", f"容缺材料 {income} 的承诺补齐日期须写作 YYYY-MM-DD"),
        (income, "2099-01-01", f"容缺材料 {income} 的承诺补齐日期 2099-01-01 须在申请日"),
        (income, saturday.isoformat(), f"{saturday.isoformat()}（星期六）不是工作日，窗口不办公"),
        # MZ-0001 is promised in 15 working days: a material owed after them holds the case past them
        (income, add_working_days(today, 16).isoformat(),
         f"晚于本事项承诺的办结日期 {add_working_days(today, 15).isoformat()}（15 个工作日）：办件将因等待"),
    ]  # fmt: skip
    for deferred, promised_on, said in refusals:
        owed = case_pb2.MissingMaterial(name=deferred, promised_on=promised_on)
        given = complete("MZ-0001", leave_out=(deferred,))
        with pytest.raises(InvalidInput, match=said):
            county.submit("MZ-0001", APPLICANT, given, extras=case_pb2.Case(missing_materials=[owed]))
    assert county.list_cases() == []  # nothing half-stored


def test_a_queue_counts_all_its_cases_not_a_page(sessions):
    county = service(sessions, COUNTY)
    ids = [county.submit("MZ-0001", APPLICANT, complete("MZ-0001")).id for _ in range(3)]
    department = county.get(ids[0]).department
    assert len(county.queue("received", department, limit=2)) == 2
    assert county.queue_size("待受理", department) == 3
    county.act(ids[0], Action.ACCEPT)
    assert county.queue_size("received", department) == 2 and county.queue_size("review", department) == 1
    assert county.queue_size("due_soon", department) == len(county.queue("due_soon", department))
    assert county.queue_size("received", "公安局") == 0
    with pytest.raises(InvalidInput, match="department"):
        county.queue_size("received", "")


def test_a_return_visit_that_reaches_nobody_is_called_again_until_the_third_time(sessions):
    county = service(sessions, COUNTY)
    case_id = county.submit("MZ-0001", APPLICANT, complete("MZ-0001")).id
    with sessions.begin() as session:
        session.add(ReturnVisit(case_id=case_id, opened_at=utcnow(), note=""))
    visits = ReturnVisits(COUNTY, sessions, SystemClock())
    agent = Actor(node=COUNTY.value, username="agent1", name="李代办", role=Role.AGENT)
    for call in (1, 2, 3):
        recorded = visits.record(case_id, "未联系上", "无人接听", agent)
        assert recorded.note.count("未联系上（李代办 (agent1)）：无人接听") == call
        assert bool(recorded.done_at.seconds) == (call == 3)  # open to call again, until the third
        assert [v.case_id for v in visits.list()] == ([] if call == 3 else [case_id])
    with pytest.raises(IllegalTransition, match="已回访"):
        visits.record(case_id, "满意", "", agent)
