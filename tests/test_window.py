"""The window's day: staff and logins, role and department checks, complete materials, queues,
search, materials fetched at the handler, 补正 with files, return visits, the person on each event."""

from __future__ import annotations

import concurrent.futures

import grpc
import pytest
from sqlalchemy import select

from node.cases import eventlog
from node.cases.service import copy_from_proto
from node.cases.submissions import new_key
from node.staff.accounts import MAX_FAILURES
from node.store.models import CaseMaterial
from node.timeutil import utcnow
from node.trust.licences import synthetic_credit_code
from sync.tables import QuarantinedEnvelope
from tests.harness import COUNTY, TOWNSHIP, VILLAGE, wait_for
from tests.materials import BATCH, EXECUTABLE, complete_proto, photo, required_names, zipped
from tests.test_federation import COUNTY_ITEM, TOWNSHIP_ITEM, arrived
from tests.test_origin import new_case
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2, desk_pb2

APPLICANT = case_pb2.Applicant(name="王秀兰", id_number="430981196805120021", phone="13907371234")
PASSWORD = "窗口-password-1"
TOKEN = "wuji-staff-token"


def add(desk, username: str, role: str, department: str = "") -> None:
    desk.AddStaff(
        desk_pb2.AddStaffRequest(
            username=username, name=f"姓名{username}", role=role, department=department, password=PASSWORD
        )
    )


def login(desk, username: str, password: str = PASSWORD) -> tuple[tuple[str, str]]:
    reply = desk.Login(desk_pb2.LoginRequest(username=username, password=password))
    return ((TOKEN, reply.token),)


@pytest.fixture
def people(federation):
    """A started chain with a 代办员 at the village and two departments' staff at the county."""
    federation.start_chain()
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    add(village, "agent1", "代办员")
    add(county, "clerk1", "窗口受理", "民政局")
    add(county, "review1", "审核/审批", "民政局")
    add(county, "other1", "窗口受理", "公安局")
    add(county, "boss", "监察")
    return {
        "agent": login(village, "agent1"),
        "clerk": login(county, "clerk1"),
        "reviewer": login(county, "review1"),
        "other": login(county, "other1"),
        "supervisor": login(county, "boss"),
    }


def submit(
    desk, token, item: str = COUNTY_ITEM, leave_out: tuple[str, ...] = (), applicant=APPLICANT, **extra
) -> case_pb2.Case:
    request = desk_pb2.SubmitCaseRequest(
        item_code=item, applicant=applicant, materials=complete_proto(item, leave_out), **extra
    )
    return desk.SubmitCase(request, metadata=token)


def act(
    desk, token, case_id: str, action: case_pb2.CaseAction, note: str = "", materials=()
) -> case_pb2.Case:
    request = desk_pb2.ActOnCaseRequest(case_id=case_id, action=action, note=note, materials=list(materials))
    return desk.ActOnCase(request, metadata=token)


def test_a_case_is_worked_by_named_people_and_each_event_says_who(federation, people):
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = submit(village, people["agent"])
    assert case.channel == "agent" and case.department == "民政局"
    assert case.events[0].actor_person == "姓名agent1 (agent1)"
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")

    accepted = act(county, people["clerk"], case.id, case_pb2.ACCEPT, "材料齐全")
    assert accepted.due_on  # the time limit runs from 受理, and both copies show its last day
    wait_for(
        lambda: village.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).due_on == accepted.due_on,
        what="the due date at the village",
    )
    listed = village.ListCases(desk_pb2.ListCasesRequest(role="origin")).cases
    assert [c.due_on for c in listed if c.id == case.id] == [accepted.due_on]
    act(county, people["reviewer"], case.id, case_pb2.REVIEW)
    done = act(county, people["reviewer"], case.id, case_pb2.APPROVE, "准予")
    assert done.due_on == ""  # concluded: no limit runs
    assert done.responsible_person == "姓名clerk1 (clerk1)"  # 首问负责: who received it
    assert [(e.actor_node, e.actor_person, e.actor_department) for e in done.events] == [
        (VILLAGE, "姓名agent1 (agent1)", ""),  # who took the application, named at the handler too
        (COUNTY, "姓名clerk1 (clerk1)", "民政局"),
        (COUNTY, "姓名review1 (review1)", "民政局"),
        (COUNTY, "姓名review1 (review1)", "民政局"),
    ]
    seen = wait_for(
        lambda: (
            (c := village.GetCase(desk_pb2.GetCaseRequest(case_id=case.id))).state == case_pb2.CONCLUDED and c
        ),
        what="办结 at the village",
    )
    assert seen.events[-1].actor_person == "姓名review1 (review1)" and seen.due_on == ""
    assert seen.responsible_person == "姓名clerk1 (clerk1)"
    # 全量回访: the village calls the citizen back, and records what they said
    visits = village.ListReturnVisits(desk_pb2.ListReturnVisitsRequest(), metadata=people["agent"]).visits
    assert [v.case_id for v in visits] == [case.id]
    unanswered = village.RecordReturnVisit(  # nobody answered: the task stays, to call again
        desk_pb2.RecordReturnVisitRequest(case_id=case.id, outcome="未联系上", note="无人接听"),
        metadata=people["agent"],
    )
    assert unanswered.visit_outcome == "未联系上" and not unanswered.done_at.seconds
    assert unanswered.note.startswith("第 1 次回访 ")
    assert unanswered.note.endswith("未联系上（姓名agent1 (agent1)）：无人接听")
    visits = village.ListReturnVisits(desk_pb2.ListReturnVisitsRequest(), metadata=people["agent"]).visits
    assert [v.case_id for v in visits] == [case.id]
    visit = village.RecordReturnVisit(
        desk_pb2.RecordReturnVisitRequest(case_id=case.id, outcome="满意", note="电话回访"),
        metadata=people["agent"],
    )
    assert visit.visit_outcome == "满意" and visit.visitor == "姓名agent1 (agent1)"
    assert visit.note.endswith("：无人接听\n电话回访")  # the call that reached nobody stays on record
    assert village.ListReturnVisits(desk_pb2.ListReturnVisitsRequest()).visits == []
    with pytest.raises(grpc.RpcError) as again:
        village.RecordReturnVisit(desk_pb2.RecordReturnVisitRequest(case_id=case.id, outcome="不满意"))
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_a_return_visit_is_for_the_department_whose_citizen_it_is(federation, people):
    """At a county hall each department's window calls back its own citizens: another department's
    clerk is neither shown the applicant's name and phone nor may record the call."""
    county = federation.desk(COUNTY)
    case = submit(county, people["clerk"])  # applied at the county's 民政局 window, handled there
    act(county, people["clerk"], case.id, case_pb2.ACCEPT)
    act(county, people["reviewer"], case.id, case_pb2.REVIEW)
    act(county, people["reviewer"], case.id, case_pb2.APPROVE)

    def listed(person: str) -> list[str]:
        request = desk_pb2.ListReturnVisitsRequest()
        return [v.case_id for v in county.ListReturnVisits(request, metadata=people[person]).visits]

    assert case.id in listed("clerk") and case.id not in listed("other")
    with pytest.raises(grpc.RpcError) as refused:
        county.RecordReturnVisit(
            desk_pb2.RecordReturnVisitRequest(case_id=case.id, outcome="满意"), metadata=people["other"]
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED and "民政局" in refused.value.details()
    recorded = county.RecordReturnVisit(
        desk_pb2.RecordReturnVisitRequest(case_id=case.id, outcome="满意"), metadata=people["clerk"]
    )
    assert recorded.visitor == "姓名clerk1 (clerk1)"


def test_roles_and_departments_are_checked_on_every_action(federation, people):
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = submit(village, people["agent"])
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    refusals = [
        # another department's: not even shown to its clerk, so not acted on
        (people["other"], case_pb2.ACCEPT, "不属于民政局，不能查看民政局在本节点办理的办件"),
        # a reviewer does not receive cases, and is told who does
        (people["reviewer"], case_pb2.ACCEPT, "审核/审批人员不能受理，请由窗口受理人员办理"),
        (people["supervisor"], case_pb2.ACCEPT, "无权"),
    ]
    for token, action, reason in refusals:
        with pytest.raises(grpc.RpcError) as refused:
            act(county, token, case.id, action)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED and reason in refused.value.details()
    with pytest.raises(grpc.RpcError) as stranger:
        act(county, ((TOKEN, "not-a-token"),), case.id, case_pb2.ACCEPT)
    assert stranger.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as clerk_adds_staff:
        county.AddStaff(desk_pb2.AddStaffRequest(username="x2", name="x", role="代办员", password=PASSWORD),
                        metadata=people["clerk"])  # fmt: skip
    assert clerk_adds_staff.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).state == case_pb2.SUBMITTED  # unchanged


_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def test_an_application_sent_again_under_its_key_takes_in_one_case(federation, people):
    """A Desk API client whose answer was lost sends the application again under the same key: two
    sendings at the same moment and a third later all answer with the one case; the same key sent
    with another application is refused, not answered with the first one's case."""
    village = federation.desk(VILLAGE)
    before = len(village.ListCases(desk_pb2.ListCasesRequest(role="origin", limit=1000)).cases)
    key = new_key()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        sent = list(pool.map(lambda _: submit(village, people["agent"], submission_key=key), range(2)))
    again = submit(village, people["agent"], submission_key=key)
    # the number as typed at first (full-width, in groups), the same as the number stored
    typed = case_pb2.Applicant(
        name=APPLICANT.name, id_number=" ".join(APPLICANT.id_number).translate(_FULL_WIDTH)
    )
    assert submit(village, people["agent"], submission_key=key, applicant=typed).id == again.id
    assert sent[0].id == sent[1].id == again.id and again.origin == VILLAGE
    assert len(village.ListCases(desk_pb2.ListCasesRequest(role="origin", limit=1000)).cases) == before + 1
    arrived(federation, COUNTY, again.id)
    other_person = case_pb2.Applicant(name="李四", id_number="430981199203041231")
    for mistaken in ({"item": TOWNSHIP_ITEM}, {"applicant": other_person}):
        with pytest.raises(grpc.RpcError) as refused:
            submit(village, people["agent"], submission_key=key, **mistaken)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert f"申请键 {key} 已用于另一件申请" in refused.value.details()
    with pytest.raises(grpc.RpcError) as malformed:
        submit(village, people["agent"], submission_key="not-a-key")
    assert malformed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(village.ListCases(desk_pb2.ListCasesRequest(role="origin", limit=1000)).cases) == before + 1


def test_a_company_applies_by_its_credit_code_and_its_case_reaches_the_handler(federation, people):
    """The handler checks the number again on arrival: a credit code must pass there too."""
    company = case_pb2.Applicant(
        name="沅江市某某食品店", id_number=synthetic_credit_code(DivisionCode.parse(COUNTY))
    )
    case = submit(federation.desk(VILLAGE), people["agent"], applicant=company)
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the company's case at the county")


def test_wrong_passwords_lock_the_account_and_a_disabled_account_cannot_log_in(federation, people):
    county = federation.desk(COUNTY)
    for _ in range(MAX_FAILURES):
        with pytest.raises(grpc.RpcError) as wrong:
            login(county, "clerk1", "wrong-password")
        assert wrong.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as locked:
        login(county, "clerk1")  # even the right password, while locked
    assert "锁定" in locked.value.details()
    county.SetStaffPassword(desk_pb2.SetStaffPasswordRequest(username="clerk1", password="another-password"))
    assert login(county, "clerk1", "another-password")
    county.DisableStaff(desk_pb2.DisableStaffRequest(username="review1"))
    with pytest.raises(grpc.RpcError) as disabled:
        county.WhoAmI(desk_pb2.WhoAmIRequest(), metadata=people["reviewer"])  # its login ended too
    assert disabled.value.code() == grpc.StatusCode.UNAUTHENTICATED
    listed = {m.username: m for m in county.ListStaff(desk_pb2.ListStaffRequest()).staff}
    assert not listed["review1"].active and listed["clerk1"].role_label == "窗口受理"
    assert "password" not in str(listed["clerk1"]).lower().replace("locked", "")


def test_ones_own_password_takes_the_current_one_and_anothers_takes_an_admin(federation, people):
    """A login token alone does not take the account: one's own new password needs the current one."""
    county = federation.desk(COUNTY)
    own = desk_pb2.SetStaffPasswordRequest(username="other1", password="other-new-pass")
    with pytest.raises(grpc.RpcError) as no_current:
        county.SetStaffPassword(own, metadata=people["other"])
    assert no_current.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "当前密码未通过验证" in no_current.value.details()
    theirs = desk_pb2.SetStaffPasswordRequest(
        username="clerk1", password="taken-over-1", current_password=PASSWORD
    )
    with pytest.raises(grpc.RpcError) as not_admin:
        county.SetStaffPassword(theirs, metadata=people["other"])
    assert (
        not_admin.value.code() == grpc.StatusCode.PERMISSION_DENIED and "管理员" in not_admin.value.details()
    )
    own.current_password = PASSWORD
    assert county.SetStaffPassword(own, metadata=people["other"]).username == "other1"
    with pytest.raises(grpc.RpcError) as ended:
        county.WhoAmI(desk_pb2.WhoAmIRequest(), metadata=people["other"])  # its login ended with it
    assert ended.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert login(county, "other1", "other-new-pass") and login(county, "clerk1")  # clerk1's unchanged


def test_missing_materials_are_named_and_nothing_is_stored(federation, people):
    village = federation.desk(VILLAGE)
    missing = required_names(COUNTY_ITEM)[:2]
    with pytest.raises(grpc.RpcError) as incomplete:
        submit(village, people["agent"], leave_out=tuple(missing))
    assert incomplete.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert all(name in incomplete.value.details() for name in missing)
    assert "缺少" in incomplete.value.details()
    stray = case_pb2.Material(name="营业执照", content=b"%PDF", file_name="x.pdf")
    with pytest.raises(grpc.RpcError) as unknown:
        village.SubmitCase(
            desk_pb2.SubmitCaseRequest(
                item_code=COUNTY_ITEM, applicant=APPLICANT, materials=[*complete_proto(COUNTY_ITEM), stray]
            ),
            metadata=people["agent"],
        )
    assert "营业执照" in unknown.value.details()
    big = case_pb2.Material(
        name=required_names(COUNTY_ITEM)[0],
        content=b"%PDF-1.4 " + b"\0" * (11 * 1024 * 1024),
        file_name="big.pdf",
    )
    huge = [*complete_proto(COUNTY_ITEM)[1:], big]
    with pytest.raises(grpc.RpcError) as too_big:
        village.SubmitCase(
            desk_pb2.SubmitCaseRequest(item_code=COUNTY_ITEM, applicant=APPLICANT, materials=huge),
            metadata=people["agent"],
        )
    assert "10 MB" in too_big.value.details()
    assert village.ListCases(desk_pb2.ListCasesRequest()).cases == []


def test_only_scans_and_photos_are_taken_judged_by_their_bytes_not_their_names(federation, people):
    village = federation.desk(VILLAGE)
    first = required_names(COUNTY_ITEM)[0]
    refused = [
        ("virus.exe", EXECUTABLE, "可执行程序"),
        ("身份证.pdf", EXECUTABLE, "可执行程序"),  # a program named as a scan is still a program
        ("身份证.bat", BATCH, "脚本或批处理文件"),
        ("身份证.zip", zipped(["scan.txt"]), "压缩包"),
    ]
    for file_name, content, what in refused:
        bad = case_pb2.Material(
            name=first, content=content, file_name=file_name, media_type="application/pdf"
        )
        with pytest.raises(grpc.RpcError) as refusal:
            village.SubmitCase(
                desk_pb2.SubmitCaseRequest(
                    item_code=COUNTY_ITEM,
                    applicant=APPLICANT,
                    materials=[*complete_proto(COUNTY_ITEM)[1:], bad],
                ),
                metadata=people["agent"],
            )
        assert refusal.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert refusal.value.details().startswith(f"{first}：文件 {file_name} 是{what}，不能作为申请材料")
        assert "请上传扫描件或照片（PDF、JPG、PNG、OFD、TIFF" in refusal.value.details()
    assert village.ListCases(desk_pb2.ListCasesRequest()).cases == []

    # a photo and an OFD are taken, their types those their bytes show, not what the sender said
    scans = complete_proto(COUNTY_ITEM)
    scans[0] = case_pb2.Material(
        name=scans[0].name, content=photo(), file_name="IMG_0001", media_type="text/plain"
    )
    scans[1] = case_pb2.Material(name=scans[1].name, content=zipped(["OFD.xml", "Doc_0/Document.xml"]))
    taken = village.SubmitCase(
        desk_pb2.SubmitCaseRequest(item_code=COUNTY_ITEM, applicant=APPLICANT, materials=scans),
        metadata=people["agent"],
    )
    kinds = {m.name: m.media_type for m in taken.materials}
    assert (kinds[scans[0].name], kinds[scans[1].name]) == ("image/jpeg", "application/ofd")
    assert kinds[scans[2].name] == "application/pdf"

    # nor does a correction bring a program
    county = federation.desk(COUNTY)
    wait_for(lambda: arrived(federation, COUNTY, taken.id), what="the case at the county")
    act(county, people["clerk"], taken.id, case_pb2.REQUEST_CORRECTION, "户口簿请提供首页和本人页")
    wait_for(
        lambda: (
            village.GetCase(desk_pb2.GetCaseRequest(case_id=taken.id)).state == case_pb2.CORRECTION_REQUESTED
        ),
        what="补正 at the village",
    )
    program = case_pb2.Material(name="户口簿", content=EXECUTABLE, file_name="户口簿.exe")
    with pytest.raises(grpc.RpcError) as refusal:
        act(village, people["agent"], taken.id, case_pb2.SUPPLEMENT, "已补正", [program])
    assert refusal.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "户口簿：文件 户口簿.exe 是可执行程序" in refusal.value.details()


def test_the_handler_reads_every_file_and_a_correction_carries_new_files(federation, people):
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = submit(village, people["agent"])
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    at_county = county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id), metadata=people["clerk"])
    given = {m.name: m for m in complete_proto(COUNTY_ITEM)}
    assert {m.name for m in at_county.materials} == set(given)
    for material in at_county.materials:
        assert material.content == b"" and material.size == len(given[material.name].content)
        assert material.media_type == "application/pdf" and material.file_name.endswith(".pdf")
        fetched = county.GetMaterial(
            desk_pb2.GetMaterialRequest(case_id=case.id, material_id=material.id), metadata=people["clerk"]
        )
        assert fetched.content == given[material.name].content and fetched.sha256 == material.sha256
    # a copy arrives stored as it was sent (the sending point judged it): one that an old or rogue
    # point sent as a scan but is a program is not handed to the clerk's PC, and says why
    rogue = at_county.materials[0]
    with federation.nodes[COUNTY].sessions.begin() as session:
        session.get(CaseMaterial, rogue.id).content = EXECUTABLE
    with pytest.raises(grpc.RpcError) as refused:
        county.GetMaterial(
            desk_pb2.GetMaterialRequest(case_id=case.id, material_id=rogue.id), metadata=people["clerk"]
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(
        f"{rogue.name}：文件 {rogue.file_name} 是可执行程序，不是扫描件或照片"
    )
    assert f"请申请地 {VILLAGE} 以补正重新收取该材料" in refused.value.details()

    act(county, people["clerk"], case.id, case_pb2.REQUEST_CORRECTION, "户口簿请提供首页和本人页")
    wait_for(
        lambda: (
            village.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).state == case_pb2.CORRECTION_REQUESTED
        ),
        what="补正 at the village",
    )
    corrected = case_pb2.Material(name="户口簿", content=b"%PDF corrected", file_name="户口簿-补正.pdf")
    act(village, people["agent"], case.id, case_pb2.SUPPLEMENT, "已补正", [corrected])
    resumed = wait_for(
        lambda: (
            (c := county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id))).state == case_pb2.SUBMITTED
            and c.version == 3
            and c
        ),
        what="the correction at the county",
    )
    corrections = [m for m in resumed.materials if m.purpose == "correction"]
    assert [(m.name, m.file_name) for m in corrections] == [("户口簿", "户口簿-补正.pdf")]
    assert resumed.events[-1].actor_person == "姓名agent1 (agent1)"  # named by the village, applied here


def test_queues_show_a_departments_cases_by_due_date_and_search_finds_them(federation, people):
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    ids = [submit(village, people["agent"]).id for _ in range(3)]
    for case_id in ids:
        wait_for(lambda c=case_id: arrived(federation, COUNTY, c), what="the cases at the county")

    def queue(name: str, token=people["clerk"]) -> list[str]:
        listed = county.ListQueue(desk_pb2.ListQueueRequest(queue=name), metadata=token)
        return [c.id for c in listed.cases]

    assert queue("待受理") == ids  # first come, first served
    waiting_acceptance = county.ListQueue(desk_pb2.ListQueueRequest(queue="待受理"), metadata=people["clerk"])
    due = federation.nodes[COUNTY].supervision.acceptance_due(ids)  # as the front desk's queue shows it
    assert [c.accept_by for c in waiting_acceptance.cases] == [due[i].isoformat() for i in ids]
    assert queue("received", people["other"]) == []  # 公安局 has none of them
    with pytest.raises(grpc.RpcError) as not_theirs:  # nor does its clerk see 民政局's queue
        county.ListQueue(
            desk_pb2.ListQueueRequest(queue="received", department="民政局"), metadata=people["other"]
        )
    assert not_theirs.value.code() == grpc.StatusCode.PERMISSION_DENIED
    act(county, people["clerk"], ids[1], case_pb2.ACCEPT)
    assert queue("待受理") == [ids[0], ids[2]]
    waiting = county.ListQueue(desk_pb2.ListQueueRequest(queue="待审核"), metadata=people["clerk"]).cases
    assert [c.id for c in waiting] == [ids[1]] and waiting[0].due_on  # the limit runs from 受理
    assert waiting[0].accept_by == ""  # 受理 is done: its own limit is no longer shown
    with pytest.raises(grpc.RpcError) as unknown:
        queue("明天")
    assert "待受理" in unknown.value.details()

    for text in ("王秀", APPLICANT.id_number[:10], APPLICANT.phone, ids[2][:20]):
        found = {c.id for c in county.SearchCases(desk_pb2.SearchCasesRequest(query=text)).cases}
        assert ids[2] in found, text
    assert county.SearchCases(desk_pb2.SearchCasesRequest(query="李四")).cases == []
    unique = ids[0][: len(VILLAGE) + 1 + 26]  # the whole id is one unique prefix
    assert county.GetCase(desk_pb2.GetCaseRequest(case_id=unique)).id == ids[0]
    with pytest.raises(grpc.RpcError) as ambiguous:
        county.GetCase(desk_pb2.GetCaseRequest(case_id=VILLAGE))
    assert "开头的办件不止一件" in ambiguous.value.details()


def test_the_desk_api_shows_department_staff_what_the_front_desk_shows_them(federation, people):
    """A 公安局 clerk at the county neither lists, finds, opens nor downloads a 民政局 case handled
    there, from the CLI as in the browser; the 民政局 clerk and the node's operator do."""
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = submit(village, people["agent"])
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")

    def listed(token) -> list[str]:
        return [c.id for c in county.ListCases(desk_pb2.ListCasesRequest(), metadata=token).cases]

    def found(token) -> list[str]:
        query = desk_pb2.SearchCasesRequest(query=APPLICANT.name)
        return [c.id for c in county.SearchCases(query, metadata=token).cases]

    assert listed(people["other"]) == [] and found(people["other"]) == []
    material_id = county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).materials[0].id  # the county's
    for ask in (
        lambda: county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id), metadata=people["other"]),
        lambda: county.GetMaterial(
            desk_pb2.GetMaterialRequest(case_id=case.id, material_id=material_id),
            metadata=people["other"],
        ),
    ):
        with pytest.raises(grpc.RpcError) as hidden:
            ask()
        assert (
            hidden.value.code() == grpc.StatusCode.PERMISSION_DENIED
            and "不属于民政局，不能查看" in hidden.value.details()
        )
    receipt = desk_pb2.RenderDocumentRequest(kind="receipt", case_id=case.id)
    with pytest.raises(grpc.RpcError) as not_printed:
        county.RenderDocument(receipt, metadata=people["other"])
    assert not_printed.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert county.RenderDocument(receipt, metadata=people["clerk"]).pdf.startswith(b"%PDF")
    with pytest.raises(grpc.RpcError) as not_their_tasks:
        county.ListRectifications(
            desk_pb2.ListRectificationsRequest(department="民政局"), metadata=people["other"]
        )
    assert not_their_tasks.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert listed(people["clerk"]) == [case.id] == found(people["clerk"]) == listed(())  # () : the operator
    assert county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id), metadata=people["clerk"]).id == case.id


def test_the_operator_still_administers_and_the_township_has_no_say_over_county_staff(federation, people):
    township = federation.desk(TOWNSHIP)
    me = federation.desk(COUNTY).WhoAmI(desk_pb2.WhoAmIRequest())
    assert me.username == "" and me.node == COUNTY
    assert [m.username for m in township.ListStaff(desk_pb2.ListStaffRequest()).staff] == []
    with pytest.raises(grpc.RpcError) as elsewhere:
        township.Login(desk_pb2.LoginRequest(username="clerk1", password=PASSWORD))  # accounts are per node
    assert elsewhere.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_submitter_named_beyond_what_an_event_keeps_is_quarantined_with_the_reason(federation, people):
    """The origin's word on who took the application is checked like any field of an envelope."""
    village_node = federation.nodes[VILLAGE]
    submitted = new_case(VILLAGE, COUNTY)["case_submitted"]
    submitted.submitted_by_person = "代" * 101
    case = submitted.case
    with village_node.sessions.begin() as session:  # as the window would send it, but named too long
        session.add(copy_from_proto(case, utcnow()))
        village_node.outbound.send(session, COUNTY, case_submitted=submitted)

    def reasons() -> list[str]:
        with federation.nodes[COUNTY].sessions() as session:
            return list(session.scalars(select(QuarantinedEnvelope.reason)))

    found = wait_for(lambda: [r for r in reasons() if case.id in r or "person" in r], what="the refusal")
    assert any("person" in reason and "100" in reason for reason in found), found
    assert not arrived(federation, COUNTY, case.id)


def ask_correction(desk, token, case_id: str, note: str = "", *names: str) -> case_pb2.Case:
    request = desk_pb2.ActOnCaseRequest(
        case_id=case_id, action=case_pb2.REQUEST_CORRECTION, note=note, correct_materials=list(names)
    )
    return desk.ActOnCase(request, metadata=token)


def test_a_correction_names_the_items_materials_and_the_village_learns_them(federation, people):
    """A 补正告知 said only its note ("请补正"): the village could not tell which file to bring. The
    clerk now names the item's materials to correct; a name the item does not list, or a 补正
    saying nothing, is refused and changes nothing; the names reach the village with the event,
    and both event logs still verify."""
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = submit(village, people["agent"])
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    listed = required_names(COUNTY_ITEM)

    with pytest.raises(grpc.RpcError) as unknown:
        ask_correction(county, people["clerk"], case.id, "", "结婚证")
    assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    said = unknown.value.details()
    assert "没有材料 结婚证" in said and "、".join(listed) in said, said
    with pytest.raises(grpc.RpcError) as empty:
        ask_correction(county, people["clerk"], case.id)
    assert "勾选需补正的材料，或在告知内容中写明" in empty.value.details()
    unchanged = county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id), metadata=people["clerk"])
    assert unchanged.state == case_pb2.SUBMITTED and unchanged.version == 1

    asked = ask_correction(county, people["clerk"], case.id, "", listed[1], f" {listed[0]} ", listed[1])
    assert list(asked.events[-1].correct_materials) == [listed[1], listed[0]]  # trimmed, once each
    at_village = wait_for(
        lambda: (
            (c := village.GetCase(desk_pb2.GetCaseRequest(case_id=case.id), metadata=people["agent"])).state
            == case_pb2.CORRECTION_REQUESTED
            and c
        ),
        what="the 补正告知 at the village",
    )
    assert list(at_village.events[-1].correct_materials) == [listed[1], listed[0]]
    for code in (VILLAGE, COUNTY):
        with federation.nodes[code].sessions() as session:
            assert eventlog.verify(session).intact, code

    with pytest.raises(grpc.RpcError) as not_a_correction:
        request = desk_pb2.ActOnCaseRequest(
            case_id=case.id, action=case_pb2.REFUSE, note="不符合条件", correct_materials=[listed[0]]
        )
        county.ActOnCase(request, metadata=people["clerk"])
    assert "只有补正告知才勾选需补正的材料" in not_a_correction.value.details()
