"""一件事一次办, 容缺受理 and 告知承诺制 on five real nodes: bundles, missing materials, promises."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime

import grpc
import pytest
from sqlalchemy import delete, select

from node.cases.submissions import new_key
from node.catalogue import items as catalog
from node.clock import china_morning
from node.errors import InvalidInput
from node.store.models import Case, Rating, RectificationTask, ServiceItem
from node.timeutil import shanghai
from signing.seals import SealedDocument
from sync.link import EnvelopeRefused
from tests.harness import CITY, COUNTY, PROVINCE, TOWNSHIP, VILLAGE, FederationHarness, wait_for
from tests.materials import EXECUTABLE, complete_proto, required_names
from tests.test_federation import act, arrived
from wuji.v1 import case_pb2, desk_pb2, link_pb2

BUNDLE = "YJS-0001"  # 新生儿出生一件事
BIRTH_PARTS = {  # item → (handler, department)
    "WJ-0002": (TOWNSHIP, "卫生健康委员会"),  # 生育登记
    "GA-0003": (COUNTY, "公安局"),  # 出生登记, before the social security card
    "RS-0001": (COUNTY, "人力资源和社会保障局"),  # 社会保障卡申领, after GA-0003
    "YB-0002": (CITY, "医疗保障局"),  # 生育保险待遇核定
}
APPLICANT = case_pb2.Applicant(name="李四", id_number="430981199203041231", phone="13900000000")
ONE_SET = ["居民身份证", "户口簿", "结婚证", "出生医学证明", "近期免冠彩色照片（可现场采集）"]
COUNTY_ITEM = "MZ-0001"  # 最低生活保障对象认定: 家庭收入和财产状况说明 is 容缺
DEFERRABLE = "家庭收入和财产状况说明"


def materials(names: list[str]) -> list[case_pb2.Material]:
    return [case_pb2.Material(name=name, content=f"%PDF-1.4 {name} 的扫描件".encode()) for name in names]


def submit_bundle(desk, **extra) -> case_pb2.Bundle:
    complete = ONE_SET if "deferred" in extra else [*ONE_SET, "本人银行结算账户"]
    return desk.SubmitBundle(
        desk_pb2.SubmitBundleRequest(
            bundle_code=BUNDLE, applicant=APPLICANT, materials=materials(complete), **extra
        )
    )


def bundle_at(federation: FederationHarness, bundle_id: str) -> case_pb2.Bundle:
    return federation.desk(VILLAGE).GetBundle(desk_pb2.GetBundleRequest(bundle_id=bundle_id))


def part(bundle: case_pb2.Bundle, item: str) -> case_pb2.BundlePart:
    return next(p for p in bundle.parts if p.item_code == item)


def conclude(federation: FederationHarness, handler: str, case_id: str, deny: str = "") -> None:
    desk = federation.desk(handler)
    act(desk, case_id, case_pb2.ACCEPT)
    act(desk, case_id, case_pb2.REVIEW)
    act(desk, case_id, case_pb2.DENY if deny else case_pb2.APPROVE, note=deny or "准予")


def copy_at(federation: FederationHarness, code: str, case_id: str) -> Case | None:
    with federation.nodes[code].sessions() as session:
        case = session.get(Case, case_id)
        if case is not None:
            session.expunge(case)
        return case


def material_names_at(federation: FederationHarness, code: str, case_id: str) -> list[str]:
    seen = federation.desk(code).GetCase(desk_pb2.GetCaseRequest(case_id=case_id))
    return sorted(m.name for m in seen.materials)


def wait_bundle(federation: FederationHarness, bundle_id: str, probe, what: str) -> case_pb2.Bundle:
    def probed() -> case_pb2.Bundle | None:
        bundle = bundle_at(federation, bundle_id)
        return bundle if probe(bundle) else None

    return wait_for(probed, what=what)


def test_four_part_bundle_from_a_village_is_handled_in_parallel_at_each_handler(federation):
    federation.start_chain()
    # the bundle came down in the signed release like any item: the same at every tier
    for code in (TOWNSHIP, VILLAGE):
        items = federation.desk(code).ListItems(desk_pb2.ListItemsRequest()).items
        entry = json.loads(next(i for i in items if i.code == BUNDLE).elements_json)
        assert entry["bundle"] == {"parts": list(BIRTH_PARTS), "after": {"RS-0001": ["GA-0003"]}}
    bundle = submit_bundle(federation.desk(VILLAGE))
    assert bundle.state == "IN_PROGRESS" and bundle.origin == VILLAGE
    started = {p.item_code: p for p in bundle.parts if p.case_id}
    # every part that follows nothing is submitted at once, each to its own handler
    assert set(started) == {"WJ-0002", "GA-0003", "YB-0002"}
    assert part(bundle, "RS-0001").status == "WAITING" and not part(bundle, "RS-0001").case_id
    assert part(bundle, "RS-0001").reason.startswith("待 出生登记（户口登记） 办结后开始")
    for item, p in started.items():
        handler, department = BIRTH_PARTS[item]
        assert p.handler == handler and p.department == department
        wait_for(lambda p=p, h=handler: arrived(federation, h, p.case_id), what=f"{item} at {handler}")
    # parallel: all three wait at their handlers before any of them was acted on
    assert all(
        copy_at(federation, BIRTH_PARTS[i][0], p.case_id).state == "SUBMITTED" for i, p in started.items()
    )

    conclude(federation, COUNTY, started["GA-0003"].case_id)  # 出生登记 concluded: the card may start
    bundle = wait_bundle(
        federation, bundle.id, lambda b: part(b, "RS-0001").case_id, "the social security card to start"
    )
    card_case = part(bundle, "RS-0001").case_id
    wait_for(lambda: arrived(federation, COUNTY, card_case), what="RS-0001 at the county")
    for item in ("WJ-0002", "YB-0002", "RS-0001"):
        conclude(federation, BIRTH_PARTS[item][0], part(bundle, item).case_id)

    done = wait_bundle(federation, bundle.id, lambda b: b.state == "CONCLUDED", "the bundle to conclude")
    assert done.concluded_parts == 4 and done.HasField("concluded_at")
    for p in done.parts:
        handler = BIRTH_PARTS[p.item_code][0]
        assert p.status == "CONCLUDED" and p.outcome == case_pb2.APPROVED and p.handler == handler
        at_handler = copy_at(federation, handler, p.case_id)
        assert at_handler is not None and at_handler.state == "CONCLUDED"  # handled at its own node
        other_handlers = {h for h, _ in BIRTH_PARTS.values()} - {handler}
        assert all(copy_at(federation, other, p.case_id) is None for other in other_handlers)
    # the village's case view names the bundle of a part
    seen = federation.desk(VILLAGE).GetCase(desk_pb2.GetCaseRequest(case_id=card_case))
    assert seen.bundle_id == bundle.id


def test_a_bundle_sent_again_under_its_key_is_taken_in_once(federation):
    federation.start_chain()
    village = federation.desk(VILLAGE)
    key = new_key()
    first, again = (submit_bundle(village, submission_key=key) for _ in range(2))
    assert first.id == again.id and len({p.case_id for p in again.parts if p.case_id}) == 3
    single = desk_pb2.SubmitCaseRequest(
        item_code=COUNTY_ITEM, applicant=APPLICANT, materials=complete_proto(COUNTY_ITEM), submission_key=key
    )
    with pytest.raises(grpc.RpcError) as mistaken:  # the bundle's key sent with a single item
        village.SubmitCase(single)
    assert mistaken.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "已用于另一件申请" in mistaken.value.details()
    assert len(village.ListCases(desk_pb2.ListCasesRequest(role="origin")).cases) == 3


def test_each_handler_receives_only_the_materials_its_item_lists(federation):
    federation.start_chain()
    bundle = submit_bundle(federation.desk(VILLAGE))
    for p in bundle.parts:
        if p.case_id:
            wait_for(
                lambda p=p: arrived(federation, p.handler, p.case_id), what=f"{p.item_code} at {p.handler}"
            )
    assert material_names_at(federation, TOWNSHIP, part(bundle, "WJ-0002").case_id) == [
        "居民身份证",
        "户口簿",
        "结婚证",
    ]
    assert material_names_at(federation, COUNTY, part(bundle, "GA-0003").case_id) == [
        "出生医学证明",
        "居民身份证",
        "户口簿",
        "结婚证",
    ]
    assert material_names_at(federation, CITY, part(bundle, "YB-0002").case_id) == [
        "出生医学证明",
        "居民身份证",
        "本人银行结算账户",
        "结婚证",
    ]
    conclude(federation, COUNTY, part(bundle, "GA-0003").case_id)
    bundle = wait_bundle(federation, bundle.id, lambda b: part(b, "RS-0001").case_id, "RS-0001 to start")
    card_case = part(bundle, "RS-0001").case_id
    wait_for(lambda: arrived(federation, COUNTY, card_case), what="RS-0001 at the county")
    # the part that started later got its share of the one set kept at the village, nothing more
    assert material_names_at(federation, COUNTY, card_case) == [
        "居民身份证",
        "近期免冠彩色照片（可现场采集）",
    ]


def test_each_part_keeps_its_files_names_and_types_at_its_handler_a_later_part_too(federation):
    federation.start_chain()
    named = [
        case_pb2.Material(name=name, content=f"%PDF-1.4 {name}".encode(), file_name=f"{name}.pdf")
        for name in [*ONE_SET, "本人银行结算账户"]
    ]
    named[0] = case_pb2.Material(name=ONE_SET[0], content=b"\xff\xd8\xff\xe0 photo", file_name="身份证.jpg")
    bundle = federation.desk(VILLAGE).SubmitBundle(
        desk_pb2.SubmitBundleRequest(bundle_code=BUNDLE, applicant=APPLICANT, materials=named)
    )
    sent = {
        m.name: (m.file_name, "image/jpeg" if m.file_name.endswith(".jpg") else "application/pdf")
        for m in named
    }

    def files_at(handler: str, case_id: str) -> dict[str, tuple[str, str]]:
        seen = federation.desk(handler).GetCase(desk_pb2.GetCaseRequest(case_id=case_id))
        return {m.name: (m.file_name, m.media_type) for m in seen.materials}

    birth = part(bundle, "GA-0003").case_id
    wait_for(lambda: arrived(federation, COUNTY, birth), what="GA-0003 at the county")
    at_county = files_at(COUNTY, birth)
    assert at_county and all(at_county[name] == sent[name] for name in at_county)
    assert at_county[ONE_SET[0]] == ("身份证.jpg", "image/jpeg")

    conclude(federation, COUNTY, birth)  # the card starts only now, from the files the bundle kept
    card = wait_bundle(federation, bundle.id, lambda b: part(b, "RS-0001").case_id, "the card to start")
    card_case = part(card, "RS-0001").case_id
    wait_for(lambda: arrived(federation, COUNTY, card_case), what="RS-0001 at the county")
    later = files_at(COUNTY, card_case)
    assert later and all(later[name] == sent[name] for name in later)

    with pytest.raises(grpc.RpcError) as program:  # a bundle takes no program either
        federation.desk(VILLAGE).SubmitBundle(
            desk_pb2.SubmitBundleRequest(
                bundle_code=BUNDLE,
                applicant=APPLICANT,
                materials=[
                    *named[1:],
                    case_pb2.Material(name=ONE_SET[0], content=EXECUTABLE, file_name="a.pdf"),
                ],
            )
        )
    assert program.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"{ONE_SET[0]}：文件 a.pdf 是可执行程序" in program.value.details()


def test_a_dependant_waits_and_is_blocked_with_the_reason_when_its_part_is_denied(federation):
    federation.start_chain()
    bundle = submit_bundle(federation.desk(VILLAGE))
    for item in ("WJ-0002", "YB-0002"):
        wait_for(lambda i=item: arrived(federation, BIRTH_PARTS[i][0], part(bundle, i).case_id), what=item)
        conclude(federation, BIRTH_PARTS[item][0], part(bundle, item).case_id)
    seen = wait_bundle(
        federation,
        bundle.id,
        lambda b: part(b, "WJ-0002").status == part(b, "YB-0002").status == "CONCLUDED",
        "two parts concluded",
    )
    # B (the card) still waits for A (出生登记), however far the others got
    assert part(seen, "RS-0001").status == "WAITING" and part(seen, "GA-0003").status == "SUBMITTED"
    assert seen.state == "IN_PROGRESS"

    birth = part(bundle, "GA-0003").case_id
    wait_for(lambda: arrived(federation, COUNTY, birth), what="GA-0003 at the county")
    conclude(federation, COUNTY, birth, deny="出生医学证明与医院存档不符")
    done = wait_bundle(federation, bundle.id, lambda b: b.state == "CONCLUDED", "the bundle to settle")
    denied, blocked = part(done, "GA-0003"), part(done, "RS-0001")
    assert denied.outcome == case_pb2.DENIED and "出生医学证明与医院存档不符" in denied.reason
    assert blocked.status == "BLOCKED" and not blocked.case_id
    # in the citizen's words: the bundle's page shows them (it said "depends on GA-0003, which was …")
    # each worded once: the denial's reason on its own part (it read "办结（不予）：…" inside 办结（…）,
    # and again inside the blocked part's words)
    assert blocked.reason == "前序事项 出生登记（户口登记）（GA-0003）未办成（不予办理），本事项不再办理"
    assert denied.reason == "未办成（不予办理）：出生医学证明与医院存档不符"
    assert done.concluded_parts == 3  # the two approved and the denied one; the blocked one never began


def test_a_missing_deferrable_material_holds_conclusion_until_it_arrives_and_a_late_one_raises_a_card(
    federation, clock
):
    federation.start_chain()
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = village.SubmitCase(  # Monday 3 November, promised by Friday
        desk_pb2.SubmitCaseRequest(
            item_code=COUNTY_ITEM,
            applicant=APPLICANT,
            materials=materials(["居民身份证", "户口簿", "家庭经济状况核对授权书"]),
            deferred=[DEFERRABLE],
            promised_on="2025-11-07",
        )
    )
    assert [(m.name, m.promised_on) for m in case.missing_materials] == [(DEFERRABLE, "2025-11-07")]
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    at_county = county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id))
    assert [m.name for m in at_county.missing_materials] == [DEFERRABLE]
    act(county, case.id, case_pb2.ACCEPT)  # 容缺受理: accepted with the material missing
    act(county, case.id, case_pb2.REVIEW)
    with pytest.raises(grpc.RpcError) as held:
        act(county, case.id, case_pb2.APPROVE)
    assert held.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert f"容缺材料尚未补齐，不能办结：{DEFERRABLE}（承诺 2025-11-07 前补齐）" in held.value.details()

    county_node = federation.nodes[COUNTY]
    clock.set(china_morning(2025, 11, 7))  # the promised day itself is not late
    assert county_node.tick().raised == []
    clock.set(china_morning(2025, 11, 10))
    assert county_node.tick().raised == [f"{case.id}:deferral_overdue"]
    assert county_node.tick().raised == []  # raised once
    wait_for(
        lambda: (
            [c.reason for c in federation.desk(PROVINCE).ListCards(desk_pb2.ListCardsRequest()).cards]
            == ["deferral_overdue"]
        ),
        what="the card at the province",
    )

    blank = case_pb2.Material(name=DEFERRABLE, content=b"", file_name="收入说明.pdf")  # a failed scan
    with pytest.raises(grpc.RpcError) as empty:  # refused where it is handed in, as at the application
        village.SupplyMaterial(desk_pb2.SupplyMaterialRequest(case_id=case.id, material=blank))
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "是空文件" in empty.value.details()
    scan = case_pb2.Material(name=DEFERRABLE, content=b"%PDF-1.4 scan", file_name="收入说明.pdf")
    supplied = village.SupplyMaterial(desk_pb2.SupplyMaterialRequest(case_id=case.id, material=scan))
    assert supplied.missing_materials[0].HasField("supplied_at")
    wait_for(
        lambda: DEFERRABLE in material_names_at(federation, COUNTY, case.id),
        what="the material at the county",
    )
    at_county = county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id))
    kept = next(m for m in at_county.materials if m.name == DEFERRABLE)
    assert (kept.file_name, kept.media_type, kept.size) == ("收入说明.pdf", "application/pdf", 13)
    # supplied (补齐), the promise is kept at last: its card closes with the case still open
    assert county_node.tick().closed == [f"{case.id}:deferral_overdue"]
    wait_for(
        lambda: not federation.desk(PROVINCE).ListCards(desk_pb2.ListCardsRequest()).cards,
        what="the card closed at the province",
    )
    concluded = act(county, case.id, case_pb2.APPROVE)
    assert concluded.state == case_pb2.CONCLUDED
    assert county_node.tick().closed == []

    with pytest.raises(grpc.RpcError) as twice:  # nothing is owed any more
        village.SupplyMaterial(
            desk_pb2.SupplyMaterialRequest(case_id=case.id, material=materials([DEFERRABLE])[0])
        )
    assert twice.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"不缺材料 {DEFERRABLE}，尚缺：无" in twice.value.details()


def test_a_deferred_material_handed_in_among_the_correction_files_counts_as_supplied(federation, clock):
    """The 补正 form lists every material of the item: a 容缺 material handed in there is supplied
    at both copies, with the 补正, and the handler may approve without a second 补交."""
    federation.start_chain()
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = village.SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code=COUNTY_ITEM,
            applicant=APPLICANT,
            materials=materials(["居民身份证", "户口簿", "家庭经济状况核对授权书"]),
            deferred=[DEFERRABLE],
            promised_on="2025-11-07",
        )
    )
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    act(county, case.id, case_pb2.REQUEST_CORRECTION, note="户口簿扫描件看不清，请重新扫描")
    wait_for(
        lambda: copy_at(federation, VILLAGE, case.id).state == "CORRECTION_REQUESTED",
        what="the 补正告知 at the village",
    )
    corrected = village.ActOnCase(
        desk_pb2.ActOnCaseRequest(
            case_id=case.id, action=case_pb2.SUPPLEMENT, materials=materials(["户口簿", DEFERRABLE])
        )
    )
    assert corrected.missing_materials[0].HasField("supplied_at")  # the village's copy, at once

    def supplied_at_county() -> bool:
        seen = county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id))
        return seen.state == case_pb2.SUBMITTED and seen.missing_materials[0].HasField("supplied_at")

    wait_for(supplied_at_county, what="the 补正 at the county, the 容缺 material supplied")
    act(county, case.id, case_pb2.ACCEPT)
    act(county, case.id, case_pb2.REVIEW)
    clock.set(china_morning(2025, 11, 10))  # past the promised day: nothing is owed, no 容缺 card
    assert federation.nodes[COUNTY].tick().raised == []
    assert act(county, case.id, case_pb2.APPROVE, note="准予").state == case_pb2.CONCLUDED


def test_a_signed_promise_replaces_a_proof_and_opens_a_post_check_at_the_handler(federation):
    federation.start_chain()
    promise = case_pb2.Promise(
        text="本人承诺与配偶王五系合法婚姻关系，如有不实愿承担法律责任",
        replaces=["结婚证"],
        signed_by=APPLICANT.name,
        signature=b"\x89PNG handwriting-pad capture of the signature",
    )
    by_another = case_pb2.Promise()
    by_another.CopyFrom(promise)
    by_another.signed_by = "李代办"  # the applicant promises, nobody for them
    with pytest.raises(grpc.RpcError) as someone_else:
        federation.desk(VILLAGE).SubmitCase(
            desk_pb2.SubmitCaseRequest(
                item_code="YB-0002",
                applicant=APPLICANT,
                materials=materials(["居民身份证", "出生医学证明", "本人银行结算账户"]),
                promise=by_another,
            )
        )
    assert f"承诺人须为申请人本人 {APPLICANT.name}" in (someone_else.value.details() or "")
    case = federation.desk(VILLAGE).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code="YB-0002",
            applicant=APPLICANT,
            materials=materials(["居民身份证", "出生医学证明", "本人银行结算账户"]),
            promise=promise,
        )
    )
    assert case.handler == CITY and case.promise.signed_by == APPLICANT.name
    wait_for(lambda: arrived(federation, CITY, case.id), what="the case at the city")
    city = federation.desk(CITY)
    at_city = city.GetCase(desk_pb2.GetCaseRequest(case_id=case.id))
    assert list(at_city.promise.replaces) == ["结婚证"] and at_city.promise.signature == promise.signature
    assert city.ListPostChecks(desk_pb2.ListPostChecksRequest()).checks == []
    conclude(federation, CITY, case.id)
    checks = city.ListPostChecks(desk_pb2.ListPostChecksRequest()).checks
    assert [(c.case_id, list(c.replaces)) for c in checks] == [(case.id, ["结婚证"])] and checks[0].due_on
    done = city.CompletePostCheck(
        desk_pb2.CompletePostCheckRequest(case_id=case.id, passed=False, finding="民政系统无其婚姻登记记录")
    )
    assert not done.passed and done.done_at
    assert city.ListPostChecks(desk_pb2.ListPostChecksRequest()).checks == []
    # the point where the citizen applied hears it: the case's copy there no longer reads as a
    # plain 准予 (it showed nothing of the check), and it is no 核查 task of the point's own
    village = federation.desk(VILLAGE)

    def told() -> case_pb2.PostCheck | None:
        found = village.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).post_check
        return found if found.done_at else None

    at_village = wait_for(told, what="the 核查 at the village")
    assert (at_village.passed, at_village.finding) == (False, "民政系统无其婚姻登记记录")
    assert at_village.done_at == done.done_at and at_village.due_on == checks[0].due_on
    assert village.ListPostChecks(desk_pb2.ListPostChecksRequest(include_done=True)).checks == []
    with pytest.raises(grpc.RpcError) as again:
        city.CompletePostCheck(desk_pb2.CompletePostCheckRequest(case_id=case.id, finding="重复"))
    done_at = shanghai(datetime.fromisoformat(done.done_at))  # a clerk reads when, in Beijing time
    assert (again.value.details() or "").startswith(f"办件 {case.id} 的核查已于 {done_at}（北京时间）完成")
    # the 结婚证 handed in as well: the promise stands in for nothing, and no 核查 will follow
    handed_in = federation.desk(VILLAGE).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code="YB-0002",
            applicant=APPLICANT,
            materials=materials(["居民身份证", "出生医学证明", "结婚证", "本人银行结算账户"]),
            promise=promise,
        )
    )
    assert not handed_in.HasField("promise")


def test_a_licence_granted_on_a_promise_found_untrue_is_revoked_everywhere(federation, tmp_path):
    """告知承诺制: a 核查 that finds the promise 不属实 撤销s the licence the case issued; the
    village, where the applicant holds it, no longer checks it as valid."""
    federation.start_chain()
    proof = "营业执照或者其他主体资格证明文件"
    document = json.loads(catalog.demo_catalog_path().read_text(encoding="utf-8"))
    food = next(item for item in document["items"] if item["code"] == "SJ-0002")  # 食品经营许可 → licence
    food["notify_promise"] = {"replaces": [proof], "post_check_days": 20}
    path = tmp_path / "catalog-food-on-promise.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert federation.nodes[PROVINCE].load_catalog(path) == 2
    wait_for(
        lambda: federation.nodes[VILLAGE].describe().catalog_version == 2, what="release 2 at the village"
    )
    promise = case_pb2.Promise(
        text="本人承诺已依法取得营业执照，如有不实愿承担法律责任",
        replaces=[proof],
        signed_by=APPLICANT.name,
        signature=b"\x89PNG handwriting-pad capture of the signature",
    )
    names = [m["name"] for m in food["materials"] if m["name"] != proof]
    case = federation.desk(VILLAGE).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code="SJ-0002", applicant=APPLICANT, materials=materials(names), promise=promise
        )
    )
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    conclude(federation, COUNTY, case.id)
    county = federation.desk(COUNTY)
    sealed = county.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).sealed_result
    identifier = json.loads(SealedDocument.from_bytes(sealed).content)["licence"]["identifier"]
    village = federation.desk(VILLAGE)
    licence = desk_pb2.CheckLicenceRequest(identifier=identifier)
    county.CompletePostCheck(
        desk_pb2.CompletePostCheckRequest(case_id=case.id, passed=False, finding="查无营业执照")
    )
    status = wait_for(
        lambda: (s := village.CheckLicence(licence)).state == "revoked" and s,
        what="the revocation at the village",
    )
    assert status.reason == "告知承诺核查不属实，依法撤销：查无营业执照" and status.issuer_node == COUNTY


def test_bundle_deferral_and_promise_reach_only_the_parts_whose_items_list_them(federation, clock):
    federation.start_chain()
    promise = case_pb2.Promise(
        text="本人承诺婚姻关系真实", replaces=["结婚证"], signed_by=APPLICANT.name, signature=b"\x89PNG sig"
    )
    village = federation.desk(VILLAGE)
    bundle = village.SubmitBundle(
        desk_pb2.SubmitBundleRequest(
            bundle_code=BUNDLE,
            applicant=APPLICANT,
            materials=materials(ONE_SET),
            deferred=["本人银行结算账户"],
            promised_on="2025-11-14",
            promise=promise,
        )
    )
    cases = {
        p.item_code: village.GetCase(desk_pb2.GetCaseRequest(case_id=p.case_id))
        for p in bundle.parts
        if p.case_id
    }
    assert [m.name for m in cases["YB-0002"].missing_materials] == ["本人银行结算账户"]
    # the 结婚证 was handed in with the one set: no part records a promise for it (YB-0002 did, and
    # its 核查 found 不属实 marked the result on /verify, the proof itself being in its materials)
    assert "结婚证" in [m.name for m in cases["YB-0002"].materials]
    for item in ("WJ-0002", "GA-0003", "YB-0002"):
        assert not cases[item].HasField("promise"), item
    for item in ("WJ-0002", "GA-0003"):
        assert not cases[item].missing_materials
    blank = case_pb2.Material(name="本人银行结算账户", content=b"")
    with pytest.raises(grpc.RpcError) as empty:
        village.SupplyMaterial(desk_pb2.SupplyMaterialRequest(case_id=bundle.id, material=blank))
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "是空文件" in empty.value.details()
    # supplied once for the bundle, it goes to the one part missing it
    village.SupplyMaterial(
        desk_pb2.SupplyMaterialRequest(case_id=bundle.id, material=materials(["本人银行结算账户"])[0])
    )
    yb = cases["YB-0002"].id
    wait_for(lambda: arrived(federation, CITY, yb), what="YB-0002 at the city")
    wait_for(
        lambda: "本人银行结算账户" in material_names_at(federation, CITY, yb), what="the account at the city"
    )
    city = federation.desk(CITY)
    assert not city.GetCase(desk_pb2.GetCaseRequest(case_id=yb)).HasField("promise")
    conclude(federation, CITY, yb)  # nothing was taken on a promise: nothing to 核查
    assert city.ListPostChecks(desk_pb2.ListPostChecksRequest(include_done=True)).checks == []


def test_bad_bundle_requests_are_refused_with_the_reason(federation):
    federation.start_chain()
    village = federation.desk(VILLAGE)
    with pytest.raises(grpc.RpcError) as as_case:
        village.SubmitCase(desk_pb2.SubmitCaseRequest(item_code=BUNDLE, applicant=APPLICANT))
    assert as_case.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "bundle" in as_case.value.details()
    with pytest.raises(grpc.RpcError) as strict:  # 结婚证 is not 容缺 for every part listing it
        village.SubmitBundle(
            desk_pb2.SubmitBundleRequest(
                bundle_code=BUNDLE,
                applicant=APPLICANT,
                materials=materials([m for m in ONE_SET if m != "结婚证"]),
                deferred=["结婚证"],
                promised_on="2099-01-01",
            )
        )
    assert strict.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "WJ-0002" in strict.value.details()
    assert "材料 结婚证 在 WJ-0002、" in strict.value.details() and "中不可容缺" in strict.value.details()
    with pytest.raises(grpc.RpcError) as stray:
        village.SubmitBundle(
            desk_pb2.SubmitBundleRequest(
                bundle_code=BUNDLE, applicant=APPLICANT, materials=materials(["营业执照"])
            )
        )
    assert "营业执照" in stray.value.details()
    with pytest.raises(grpc.RpcError) as elsewhere:  # its parts would each be refused there, later
        village.SubmitBundle(
            desk_pb2.SubmitBundleRequest(
                bundle_code=BUNDLE,
                applicant=APPLICANT,
                materials=materials(ONE_SET),
                home_division="440305001001",
            )
        )
    assert elsewhere.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "户籍地 440305001001 在外省：一件事只在户籍所在省内联办" in elsewhere.value.details()
    assert village.ListCases(desk_pb2.ListCasesRequest()).cases == []  # nothing half-submitted
    with pytest.raises(grpc.RpcError) as no_promise:
        village.SubmitCase(
            desk_pb2.SubmitCaseRequest(
                item_code=COUNTY_ITEM,
                applicant=APPLICANT,
                materials=complete_proto(COUNTY_ITEM),
                promise=case_pb2.Promise(
                    text="承诺", replaces=["户口簿"], signed_by=APPLICANT.name, signature=b"s"
                ),
            )
        )
    assert f"（{COUNTY_ITEM}）不适用告知承诺制" in no_promise.value.details()
    assert village.ListCases(desk_pb2.ListCasesRequest()).cases == []  # nothing half-submitted


def test_catalogue_refuses_a_bundle_with_a_cycle_or_a_missing_part():
    document = json.loads(catalog.demo_catalog_path().read_text(encoding="utf-8"))
    entry = next(item for item in document["items"] if item["code"] == BUNDLE)
    entry["bundle"]["after"] = {"RS-0001": ["GA-0003"], "GA-0003": ["RS-0001"]}
    with pytest.raises(InvalidInput, match="cycle"):
        catalog.parse_document(json.dumps(document).encode())
    entry["bundle"] = {"parts": ["WJ-0002", "NO-SUCH-ITEM"]}
    with pytest.raises(InvalidInput, match="NO-SUCH-ITEM"):
        catalog.parse_document(json.dumps(document).encode())
    items = catalog.load_document(catalog.demo_catalog_path()).by_code()
    assert items[BUNDLE]["bundle"]["after"] == {"RS-0001": ["GA-0003"]}
    assert "bundle" not in items["GA-0003"]  # optional elements stay absent, so digests stay put


def test_bundle_and_deferral_commands_against_running_nodes(federation, tmp_path):
    from tests.test_cli import wuji

    federation.start_chain()
    village = str(federation.config_path(VILLAGE))
    specs = []
    for name in [*ONE_SET, "本人银行结算账户"]:
        path = tmp_path / f"{len(specs)}.pdf"
        path.write_bytes(f"%PDF {name}".encode())
        specs += ["--material", f"{name}={path}"]
    signature = tmp_path / "signature.png"
    signature.write_bytes(b"\x89PNG signature")

    submitted = wuji("bundle", "submit", BUNDLE, "--name", APPLICANT.name, "--id-number", APPLICANT.id_number,
                     *specs, "--promise", "本人承诺婚姻关系真实", "--replaces", "结婚证",
                     "--signature", str(signature), "--config", village)  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    bundle_id = submitted.stdout.split()[0]
    assert bundle_id.startswith(f"{VILLAGE}-B") and "新生儿出生一件事" in submitted.stdout
    shown = wuji("bundle", "show", bundle_id, "--config", village)
    assert shown.returncode == 0 and "办理中：办成 0 项，未办成 0 项，还在办理 4 项" in shown.stdout
    assert "等待前序事项" in shown.stdout
    assert "前置事项" in shown.stdout  # the parts' table, headed in Chinese

    stray = wuji("bundle", "submit", BUNDLE, "--name", APPLICANT.name, "--id-number", APPLICANT.id_number,
                 "--material", f"营业执照={signature}", "--config", village)  # fmt: skip
    assert stray.returncode == 1 and "营业执照" in stray.stderr and "INVALID_ARGUMENT" in stray.stderr

    applicant = ["--name", APPLICANT.name, "--id-number", APPLICANT.id_number]
    given = [f"--material={name}={signature}" for name in required_names(COUNTY_ITEM, (DEFERRABLE,))]
    deferred = wuji("case", "submit", COUNTY_ITEM, *applicant, *given, "--defer", DEFERRABLE,
                    "--promised-on", "2099-01-01", "--config", village)  # fmt: skip
    assert deferred.returncode == 1 and "承诺补齐日期 2099-01-01 须在申请日" in deferred.stderr
    unsigned = wuji("case", "submit", "YB-0002", *applicant, "--promise", "承诺", "--config", village)
    assert unsigned.returncode == 2 and "--signature" in unsigned.stderr

    assert "连接已中断" not in submitted.stdout  # the link up was there
    federation.stop(TOWNSHIP)
    held = wuji("bundle", "submit", BUNDLE, *applicant, *specs, "--promise", "本人承诺婚姻关系真实",
                "--replaces", "结婚证", "--signature", str(signature), "--config", village)  # fmt: skip
    assert held.returncode == 0 and "连接已中断" in held.stdout and "连接恢复后自动报送" in held.stdout


def test_a_material_supply_from_any_node_but_the_origin_is_refused_at_the_handler(federation, clock):
    federation.start_chain()
    case = federation.desk(VILLAGE).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code=COUNTY_ITEM,
            applicant=APPLICANT,
            materials=complete_proto(COUNTY_ITEM, (DEFERRABLE,)),
            deferred=[DEFERRABLE],
            promised_on="2025-11-07",
        )
    )
    wait_for(lambda: arrived(federation, COUNTY, case.id), what="the case at the county")
    forged = link_pb2.Envelope(
        message_id="forged-supply",
        sender=TOWNSHIP,
        origin=TOWNSHIP,  # the township relays the case but did not take the application
        destination=COUNTY,
        material_supplied=link_pb2.MaterialSupplied(case_id=case.id, material=materials([DEFERRABLE])[0]),
    )
    federation.nodes[TOWNSHIP].outbound.signer.sign(forged)  # genuinely the township's
    county = federation.nodes[COUNTY]
    with county.sessions() as session, pytest.raises(EnvelopeRefused, match="from its origin"):
        county.federation.apply(session, forged, TOWNSHIP)
    seen = federation.desk(COUNTY).GetCase(desk_pb2.GetCaseRequest(case_id=case.id))
    assert not seen.missing_materials[0].HasField("supplied_at") and DEFERRABLE not in [
        m.name for m in seen.materials
    ]


def test_a_part_that_cannot_be_submitted_is_blocked_with_the_reason_and_the_news_is_applied(federation):
    federation.start_chain()
    bundle = submit_bundle(federation.desk(VILLAGE))
    with federation.nodes[VILLAGE].sessions.begin() as session:  # the village lost the item's row
        session.execute(delete(ServiceItem).where(ServiceItem.code == "RS-0001"))
    birth = part(bundle, "GA-0003").case_id
    wait_for(lambda: arrived(federation, COUNTY, birth), what="GA-0003 at the county")
    conclude(federation, COUNTY, birth)
    seen = wait_bundle(
        federation, bundle.id, lambda b: part(b, "RS-0001").status == "BLOCKED", "the card to be blocked"
    )
    assert part(seen, "RS-0001").reason.startswith("未能提交：") and "RS-0001" in part(seen, "RS-0001").reason
    assert part(seen, "GA-0003").status == "CONCLUDED"  # the conclusion itself was applied at the village


def test_a_bundle_applied_at_the_township_handles_its_own_part_there(federation, clock):
    federation.start_chain()
    township = federation.desk(TOWNSHIP)
    bundle = township.SubmitBundle(
        desk_pb2.SubmitBundleRequest(
            bundle_code=BUNDLE,
            applicant=APPLICANT,
            materials=materials(ONE_SET),
            deferred=["本人银行结算账户"],
            promised_on="2025-11-14",
        )
    )
    local = part(bundle, "WJ-0002")
    assert local.handler == TOWNSHIP and bundle.origin == TOWNSHIP
    conclude(federation, TOWNSHIP, local.case_id)  # handled where it was applied: no link involved
    seen = township.GetBundle(desk_pb2.GetBundleRequest(bundle_id=bundle.id))
    assert part(seen, "WJ-0002").status == "CONCLUDED" and seen.state == "IN_PROGRESS"
    # supplied through one part's case, the material reaches that part's handler
    yb = part(bundle, "YB-0002").case_id
    wait_for(lambda: arrived(federation, CITY, yb), what="YB-0002 at the city")
    supplied = township.SupplyMaterial(
        desk_pb2.SupplyMaterialRequest(case_id=yb, material=materials(["本人银行结算账户"])[0])
    )
    assert supplied.id == yb and supplied.missing_materials[0].HasField("supplied_at")
    wait_for(
        lambda: "本人银行结算账户" in material_names_at(federation, CITY, yb), what="the account at the city"
    )


def test_a_part_starting_after_the_promised_date_keeps_the_promise_and_its_handler_raises_the_card(
    federation, clock, tmp_path
):
    federation.start_chain()
    photo = "近期免冠彩色照片（可现场采集）"
    document = json.loads(catalog.demo_catalog_path().read_text(encoding="utf-8"))
    card_item = next(item for item in document["items"] if item["code"] == "RS-0001")
    next(m for m in card_item["materials"] if m["name"] == photo)["deferrable"] = True
    path = tmp_path / "catalog-photo-deferrable.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert federation.nodes[PROVINCE].load_catalog(path) == 2
    for code in (VILLAGE, COUNTY):
        wait_for(
            lambda c=code: federation.nodes[c].describe().catalog_version == 2, what=f"release 2 at {code}"
        )

    bundle = federation.desk(VILLAGE).SubmitBundle(  # Monday 3 November: the photo promised by Wednesday
        desk_pb2.SubmitBundleRequest(
            bundle_code=BUNDLE,
            applicant=APPLICANT,
            materials=materials([m for m in [*ONE_SET, "本人银行结算账户"] if m != photo]),
            deferred=[photo],
            promised_on="2025-11-05",
        )
    )
    assert part(bundle, "RS-0001").status == "WAITING"
    birth = part(bundle, "GA-0003").case_id
    wait_for(lambda: arrived(federation, COUNTY, birth), what="GA-0003 at the county")
    clock.set(china_morning(2025, 11, 10))  # 出生登记 concludes the next Monday, after the promised day
    conclude(federation, COUNTY, birth)
    seen = wait_bundle(federation, bundle.id, lambda b: part(b, "RS-0001").case_id, "the card to start")
    card_case = part(seen, "RS-0001").case_id
    wait_for(lambda: arrived(federation, COUNTY, card_case), what="RS-0001 at the county")
    at_county = federation.desk(COUNTY).GetCase(desk_pb2.GetCaseRequest(case_id=card_case))
    assert [(m.name, m.promised_on) for m in at_county.missing_materials] == [(photo, "2025-11-05")]
    assert federation.nodes[COUNTY].tick().raised == [f"{card_case}:deferral_overdue"]


def test_a_later_part_carries_the_bundles_time_and_the_person_who_took_it_in(federation, clock):
    """社会保障卡 (started once 出生登记 is approved) had its own start as 申请时间, its receipt's
    收件人 was the point alone, and `wuji case show` said 窗口 where the other parts said 代办:
    the person who took the bundle in was lost. Its own start stays its 申请 event's time."""
    from tests.test_documents import render, text_of
    from tests.test_window import add, login

    federation.start_chain()
    village = federation.desk(VILLAGE)
    add(village, "agent1", "代办员")
    agent = login(village, "agent1")
    complete = materials([*ONE_SET, "本人银行结算账户"])
    request = desk_pb2.SubmitBundleRequest(bundle_code=BUNDLE, applicant=APPLICANT, materials=complete)
    bundle = village.SubmitBundle(request, metadata=agent)
    first = village.GetCase(desk_pb2.GetCaseRequest(case_id=part(bundle, "GA-0003").case_id), metadata=agent)
    assert first.channel == "agent" and first.events[0].actor_person == "姓名agent1 (agent1)"

    birth = part(bundle, "GA-0003").case_id
    wait_for(lambda: arrived(federation, COUNTY, birth), what="GA-0003 at the county")
    clock.advance_working_days(1)  # 出生登记 is approved the next day: the card starts then
    conclude(federation, COUNTY, birth)
    started = wait_bundle(federation, bundle.id, lambda b: part(b, "RS-0001").case_id, "the card to start")
    card_id = part(started, "RS-0001").case_id
    agent = login(village, "agent1")  # the day's login
    card = village.GetCase(desk_pb2.GetCaseRequest(case_id=card_id), metadata=agent)
    assert card.submitted_at == bundle.submitted_at  # 申请时间: when the family applied
    assert card.events[0].at.seconds > bundle.submitted_at.seconds + 86400  # its own start, as such
    assert card.channel == "agent"  # 代办, as the parts started with the bundle
    assert (card.events[0].actor_person, card.events[0].actor_node) == ("姓名agent1 (agent1)", VILLAGE)
    printed = text_of(render(village, agent, "receipt", card_id).pdf)
    applied = shanghai(datetime.fromtimestamp(bundle.submitted_at.seconds, UTC))
    assert f"申请时间{applied}（北京时间）" in printed, printed
    assert "收件人：姓名agent1" in printed, printed
    # the handler hears who took it in, as for the parts started with the bundle
    wait_for(lambda: arrived(federation, COUNTY, card_id), what="RS-0001 at the county")
    at_county = federation.desk(COUNTY).GetCase(desk_pb2.GetCaseRequest(case_id=card_id))
    assert at_county.events[0].actor_person == "姓名agent1 (agent1)"


def test_a_bundle_is_rated_once_as_a_whole_and_each_handler_receives_the_rating_of_its_part(federation):
    federation.start_chain()
    village = federation.desk(VILLAGE)
    bundle = submit_bundle(village)
    first = part(bundle, "WJ-0002").case_id
    wait_for(lambda: arrived(federation, TOWNSHIP, first), what="WJ-0002 at the township")
    conclude(federation, TOWNSHIP, first)
    wait_bundle(federation, bundle.id, lambda b: part(b, "WJ-0002").status == "CONCLUDED", "WJ-0002 done")
    # 一事一评: a concluded part is not rated on its own, nor the bundle before every part is settled
    with pytest.raises(grpc.RpcError) as single:
        village.RateCase(desk_pb2.RateCaseRequest(case_id=first, score=5))
    assert single.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "一事一评" in single.value.details() and bundle.id in single.value.details()
    with pytest.raises(grpc.RpcError) as early:
        village.RateCase(desk_pb2.RateCaseRequest(case_id=bundle.id, score=5))
    assert early.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "各事项都办结或不予受理后方可整体评价" in early.value.details()
    with federation.nodes[VILLAGE].sessions() as session:
        assert session.scalars(select(Rating)).all() == []  # a refusal records nothing

    done = settled_bundle_from(federation, bundle)
    said = "跑了三个部门的电话"
    rating = village.RateCase(desk_pb2.RateCaseRequest(case_id=done.id, score=2, comment=said))
    assert (rating.case_id, rating.score, rating.comment) == (done.id, 2, said)

    # the one rating reaches each part's handler as that part's: a 差评 opens 整改 at each
    for item, (handler, _) in BIRTH_PARTS.items():
        case_id = part(done, item).case_id

        def task(h: str = handler, c: str = case_id) -> RectificationTask | None:
            with federation.nodes[h].sessions() as session:
                return session.get(RectificationTask, c)

        wait_for(task, what=f"the rating of {item} to open 整改 at {handler}")
        with federation.nodes[handler].sessions() as session:
            got = session.get(Rating, case_id)
            assert (got.score, got.comment) == (2, said)

    # the county's two parts (公安局, 人社局) are told they were rated as one 一件事, to call once;
    # the township's one part has nothing rated with it there
    birth, card = part(done, "GA-0003").case_id, part(done, "RS-0001").case_id
    together = federation.nodes[COUNTY].ratings.rated_together([birth, card])
    assert {case: [o.case_id for o in others] for case, others in together.items()} == {
        birth: [card],
        card: [birth],
    }
    assert together[birth][0].department == "人力资源和社会保障局"
    assert federation.nodes[TOWNSHIP].ratings.rated_together([part(done, "WJ-0002").case_id]) == {}

    with pytest.raises(grpc.RpcError) as twice:
        village.RateCase(desk_pb2.RateCaseRequest(case_id=done.id, score=5))
    assert twice.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "一事一评" in twice.value.details()
    with pytest.raises(grpc.RpcError) as part_after:
        village.RateCase(desk_pb2.RateCaseRequest(case_id=part(done, "YB-0002").case_id, score=5))
    assert part_after.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert federation.nodes[VILLAGE].ratings.of_bundle(done.id).score == 2


def settled_bundle_from(federation: FederationHarness, bundle: case_pb2.Bundle) -> case_pb2.Bundle:
    """Conclude the bundle's parts still open at their handlers (the card after 出生登记)."""
    for item in ("YB-0002", "GA-0003"):
        handler, case_id = BIRTH_PARTS[item][0], part(bundle, item).case_id
        wait_for(functools.partial(arrived, federation, handler, case_id), what=item)
        conclude(federation, handler, case_id)
    bundle = wait_bundle(federation, bundle.id, lambda b: part(b, "RS-0001").case_id, "RS-0001 to start")
    card = part(bundle, "RS-0001").case_id
    wait_for(lambda: arrived(federation, COUNTY, card), what="RS-0001 at the county")
    conclude(federation, COUNTY, card)
    return wait_bundle(federation, bundle.id, lambda b: b.state == "CONCLUDED", "the bundle to settle")
