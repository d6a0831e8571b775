"""The catalogue (事项目录): signed releases reach all five tiers as deltas and stay identical (五级N同)."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, timedelta
from typing import Any

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select

from node.catalogue import items as catalog
from node.catalogue import releases
from node.catalogue.items import CatalogDocument, canonical_item
from node.catalogue.releases import Manifest
from node.documents.kinds import china_day
from node.errors import InvalidInput
from node.runtime.node import Node
from node.store.models import Case, CaseDeadline, CatalogPart, ItemClaim, ServiceItem
from node.timeutil import to_timestamp, utcnow
from signing import seals
from sync import outbox
from sync.tables import InboxEntry, QuarantinedEnvelope
from tests.harness import (
    CHAIN,
    COUNTY,
    OPERATOR,
    PROVINCE,
    TOWNSHIP,
    VILLAGE,
    FederationHarness,
    wait_for,
)
from tests.materials import complete_proto
from tests.test_documents import render, text_of
from tests.test_web import PASSWORD, logged_in
from wuji.v1 import case_pb2, desk_pb2, link_pb2

CHANGED, WITHDRAWN, ADDED = "MZ-0001", "LY-0001", "MZ-0005"


def demo_items() -> list[dict[str, Any]]:
    return copy.deepcopy(catalog.load_document(catalog.demo_catalog_path()).items)


def version_two() -> dict[str, Any]:
    """v2 of the demo catalogue: one item changed, one added, one withdrawn."""
    items = [item for item in demo_items() if item["code"] != WITHDRAWN]
    changed = next(item for item in items if item["code"] == CHANGED)
    changed["promised_days"] = 10
    added = copy.deepcopy(changed)
    added.update(
        code=ADDED,
        name="城乡居民最低生活保障金给付",
        type="行政给付",
        basic_code="050010050000",
        implementation_code="05001005000043300",
        handling_code="0500100500004330001",
    )
    return {"name": "wuji 示例事项目录 v2", "items": [*items, added]}


def publish(federation: FederationHarness, document: dict[str, Any]) -> desk_pb2.PublishCatalogResponse:
    data = json.dumps(document, ensure_ascii=False).encode()
    return federation.desk(PROVINCE).PublishCatalog(desk_pb2.PublishCatalogRequest(document=data))


def version_at(federation: FederationHarness, code: str) -> int:
    return federation.nodes[code].describe().catalog_version


def verify(federation: FederationHarness, code: str) -> desk_pb2.CatalogVerification:
    return federation.desk(code).VerifyCatalog(desk_pb2.VerifyCatalogRequest())


def items_at(federation: FederationHarness, code: str) -> dict[str, desk_pb2.ServiceItem]:
    return {item.code: item for item in federation.desk(code).ListItems(desk_pb2.ListItemsRequest()).items}


def test_v1_then_v2_converges_at_all_five_tiers_and_the_offline_village_catches_up(federation):
    federation.start_chain()
    for code in CHAIN:
        report = verify(federation, code)
        assert report.identical and report.version == 1, report

    federation.stop(VILLAGE)
    published = publish(federation, version_two())
    assert published.published and published.version == 2
    kinds = {change.code: change.kind for change in published.changes.changes}
    assert kinds == {CHANGED: "changed", ADDED: "added", WITHDRAWN: "withdrawn"}

    for code in CHAIN[:-1]:
        wait_for(lambda c=code: version_at(federation, c) == 2, what=f"release 2 at {code}")
    # the township keeps a delta for the absent village: three items, not the whole catalogue
    with federation.nodes[TOWNSHIP].sessions() as session:
        waiting = outbox.waiting(session, VILLAGE)
    deltas = [link_pb2.Envelope.FromString(row.envelope).catalog_release for row in waiting]
    assert [(d.base_version, d.version, len(d.changed_items), list(d.removed_codes)) for d in deltas] == [
        (1, 2, 2, [WITHDRAWN])
    ]

    federation.restart(VILLAGE)
    wait_for(lambda: version_at(federation, VILLAGE) == 2, what="release 2 at the returning village")
    for code in CHAIN:
        report = verify(federation, code)
        assert report.identical and report.version == 2 and not report.differences, report
    at_village = items_at(federation, VILLAGE)
    assert WITHDRAWN not in at_village and ADDED in at_village
    assert at_village[CHANGED].promised_days == 10
    assert at_village[CHANGED].elements_json == items_at(federation, PROVINCE)[CHANGED].elements_json


def test_a_village_offline_during_two_releases_applies_both_deltas_in_order(federation):
    federation.start_chain()
    federation.stop(VILLAGE)
    publish(federation, version_two())
    v3 = version_two()
    next(item for item in v3["items"] if item["code"] == ADDED).update(max_visits=0, online_level="全程网办")
    assert publish(federation, v3).version == 3
    wait_for(lambda: version_at(federation, TOWNSHIP) == 3, what="release 3 at the township")
    with federation.nodes[TOWNSHIP].sessions() as session:
        waiting = outbox.waiting(session, VILLAGE)
    deltas = [link_pb2.Envelope.FromString(row.envelope).catalog_release for row in waiting]
    assert [(d.base_version, d.version, len(d.changed_items)) for d in deltas] == [(1, 2, 2), (2, 3, 1)]

    federation.restart(VILLAGE)
    wait_for(lambda: version_at(federation, VILLAGE) == 3, what="release 3 at the returning village")
    assert verify(federation, VILLAGE).identical
    assert items_at(federation, VILLAGE)[ADDED].max_visits == 0
    with federation.nodes[VILLAGE].sessions() as session:
        assert session.scalar(select(func.count()).select_from(QuarantinedEnvelope)) == 0


def test_releases_split_into_small_parts_still_converge_at_every_tier(federation, monkeypatch):
    monkeypatch.setattr(releases, "PART_BYTES", 2000)  # the demo catalogue then needs ~20 parts
    federation.start_chain()
    publish(federation, version_two())
    for code in CHAIN:
        wait_for(lambda c=code: version_at(federation, c) == 2, what=f"release 2 at {code}")
        assert verify(federation, code).identical
    with federation.nodes[VILLAGE].sessions() as session:
        assert session.scalar(select(func.count()).select_from(QuarantinedEnvelope)) == 0
        assert session.scalar(select(func.count()).select_from(CatalogPart)) == 0
        parts = session.scalar(
            select(func.count()).select_from(InboxEntry).where(InboxEntry.message_id.contains("-part"))
        )
    assert parts > 10


def test_a_child_that_refused_a_damaged_delta_gets_a_fresh_one_when_its_link_reopens(federation):
    federation.start_chain(CHAIN[:4])
    federation.stop(TOWNSHIP)
    publish(federation, version_two())
    wait_for(lambda: version_at(federation, COUNTY) == 2, what="release 2 at the county")
    with federation.nodes[COUNTY].sessions.begin() as session:  # damaged in the outbox, say by a disk
        (entry,) = outbox.waiting(session, TOWNSHIP)
        envelope = link_pb2.Envelope.FromString(entry.envelope)
        envelope.catalog_release.signature = b"\x00" + envelope.catalog_release.signature[1:]
        federation.nodes[COUNTY].outbound.signer.sign(envelope)  # damaged before the county signed it
        entry.envelope = envelope.SerializeToString()

    federation.restart(TOWNSHIP)
    reasons = wait_for(lambda: _quarantined(federation), what="the damaged delta refused")
    assert "bad signature" in reasons[0] and version_at(federation, TOWNSHIP) == 1

    federation.stop(TOWNSHIP)  # the next session's Hello says release 1: the county sends 1 → 2 again
    federation.restart(TOWNSHIP)
    wait_for(lambda: version_at(federation, TOWNSHIP) == 2, what="release 2 at the township")
    assert verify(federation, TOWNSHIP).identical


def test_a_case_keeps_the_release_it_was_judged_by(federation):
    federation.start_chain()
    village = federation.desk(VILLAGE)
    case = village.SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code=CHANGED,
            applicant=case_pb2.Applicant(name="张三", id_number="430981199001011237"),
            materials=complete_proto(CHANGED),
        )
    )
    assert case.catalog_version == 1
    publish(federation, version_two())
    wait_for(lambda: version_at(federation, VILLAGE) == 2, what="release 2 at the village")
    again = village.GetCase(desk_pb2.GetCaseRequest(case_id=case.id))
    assert again.catalog_version == 1
    with federation.nodes[COUNTY].sessions() as session:
        assert catalog.item_at(session, CHANGED, again.catalog_version)["promised_days"] != 10
        assert catalog.item(session, CHANGED).promised_days == 10
    wait_for(
        lambda: (
            federation.desk(COUNTY).GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).catalog_version == 1
        ),
        what="the case at its handler with its release",
    )


def _submit(federation: FederationHarness, item_code: str) -> case_pb2.Case:
    return federation.desk(VILLAGE).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code=item_code,
            applicant=case_pb2.Applicant(name="张三", id_number="430981199001011237"),
            materials=complete_proto(item_code),
        )
    )


def _at(federation: FederationHarness, code: str, case_id: str) -> case_pb2.Case:
    return federation.desk(code).GetCase(desk_pb2.GetCaseRequest(case_id=case_id))


def _arrived(federation: FederationHarness, case_id: str) -> bool:
    with federation.nodes[COUNTY].readers() as session:
        return session.get(Case, case_id) is not None


def _act(federation: FederationHarness, code: str, case_id: str, action: case_pb2.CaseAction) -> None:
    federation.desk(code).ActOnCase(desk_pb2.ActOnCaseRequest(case_id=case_id, action=action))


def _time_limit(federation: FederationHarness, code: str, case_id: str) -> tuple[str, str]:
    """承诺办结时限 and 承诺办结日期 as the receipt printed at node `code` says them."""
    text = text_of(render(federation.desk(code), (), "receipt", case_id).pdf)
    days = re.search(r"承诺办结时限 ?(\d+ 个工作日)", text)
    on = re.search(r"承诺办结日期 ?(\d{4}年\d{2}月\d{2}日)前", text)
    assert days and on, text
    return days.group(1), on.group(1)


def test_a_release_shortening_a_limit_leaves_the_papers_of_a_case_accepted_before_it(federation):
    """受理 under release 1 (MZ-0001: 15 个工作日), then release 2 makes it 10: the handler's clock
    keeps 15 days, and so do the village's reprinted receipt and its last day (it printed 10 days
    and another date: two receipts with different promises in the citizen's hands)."""
    for code in CHAIN:  # the village serves its front desk: the receipt page says what the paper says
        federation.start(code, web_listen="127.0.0.1:0" if code == VILLAGE else "off")
    wait_for(lambda: all(version_at(federation, code) for code in CHAIN), what="the catalogue everywhere")
    federation.nodes[VILLAGE].staff.add("agent1", "李代办", "代办员", "", PASSWORD, by=OPERATOR)
    case = _submit(federation, CHANGED)
    wait_for(lambda: _arrived(federation, case.id), what="the case at the county")
    _act(federation, COUNTY, case.id, case_pb2.ACCEPT)
    accepted = wait_for(
        lambda: (c := _at(federation, VILLAGE, case.id)).due_on and c, what="受理 told to the village"
    )
    promised = _time_limit(federation, VILLAGE, case.id)
    assert promised == _time_limit(federation, COUNTY, case.id)
    assert promised[0] == "15 个工作日"

    publish(federation, version_two())  # MZ-0001: 10 个工作日 from now on
    wait_for(lambda: version_at(federation, VILLAGE) == 2, what="release 2 at the village")
    assert items_at(federation, VILLAGE)[CHANGED].promised_days == 10
    assert _time_limit(federation, VILLAGE, case.id) == promised
    assert _time_limit(federation, COUNTY, case.id) == promised
    assert china_day(date.fromisoformat(accepted.due_on)) == promised[1]
    agent = logged_in(federation, VILLAGE, "agent1")
    on_screen = agent.get(f"/cases/{case.id}/receipt").text
    assert "<th>承诺办结时限</th><td>15 个工作日（自受理次日起算）</td>" in on_screen
    assert f"<th>承诺办结日期</th><td>{promised[1]}前</td>" in on_screen
    assert f"办结期限 {accepted.due_on}" in agent.get(f"/cases/{case.id}").text


def test_a_case_of_an_item_withdrawn_from_the_catalogue_keeps_its_limit_result_name_and_seal(federation):
    """LY-0001 (林业局, 5 个工作日) applied for under release 1, withdrawn by release 2 before 受理:
    the county still accepts it with its 5 days (not 0, carded 即将超期 at once), seals its result
    with the 林业局 seal (not a blank department, nor the centre's 公章), and the 办结通知书 names the
    result. A new application for the item is refused, saying the release that withdrew it."""
    federation.start_chain()
    county = federation.nodes[COUNTY]
    with county.sessions.begin() as session:
        county.seals.create(session, "沅江市林业局", "林业局", "业务专用章")
    case = _submit(federation, WITHDRAWN)
    wait_for(lambda: _arrived(federation, case.id), what="the case at the county")

    publish(federation, version_two())
    wait_for(lambda: version_at(federation, VILLAGE) == 2, what="release 2 at the village")
    assert WITHDRAWN not in items_at(federation, COUNTY)
    with pytest.raises(grpc.RpcError) as refused:
        _submit(federation, WITHDRAWN)
    assert f"（{WITHDRAWN}）已在事项目录第 2 版退出目录，不再受理申请" in (refused.value.details() or "")

    _act(federation, COUNTY, case.id, case_pb2.ACCEPT)
    with county.sessions() as session:
        clock = session.get(CaseDeadline, case.id)
        assert clock is not None and clock.promised_days == 5
    wait_for(lambda: _at(federation, VILLAGE, case.id).due_on, what="受理 told to the village")
    assert _time_limit(federation, VILLAGE, case.id)[0] == "5 个工作日"
    assert _time_limit(federation, COUNTY, case.id) == _time_limit(federation, VILLAGE, case.id)

    _act(federation, COUNTY, case.id, case_pb2.REVIEW)
    _act(federation, COUNTY, case.id, case_pb2.APPROVE)
    done = wait_for(
        lambda: (c := _at(federation, VILLAGE, case.id)).sealed_result and c, what="the result at the village"
    )
    assert seals.SealedDocument.from_bytes(done.sealed_result).seal.department == "林业局"
    result = text_of(render(federation.desk(VILLAGE), (), "result", case.id).pdf)
    assert "准予林木采伐许可证核发决定书" in result, result


def _send_from_county(federation: FederationHarness, message: link_pb2.CatalogRelease, tag: str) -> None:
    """A parent (the county) puts a crafted release on its link to the township."""
    county = federation.nodes[COUNTY]
    with county.sessions.begin() as session:
        county.outbound.send_to_neighbour(
            session, TOWNSHIP, "child", f"crafted-{tag}", catalog_release=message
        )


def _quarantined(federation: FederationHarness) -> list[str]:
    with federation.nodes[TOWNSHIP].sessions() as session:
        return list(session.scalars(select(QuarantinedEnvelope.reason).order_by(QuarantinedEnvelope.id)))


def _signed_but_tampered(province: Node) -> link_pb2.CatalogRelease:
    """Release 3, genuinely signed by the province, shipping one item other than the one it signed."""
    v3 = version_two()
    v3["items"][0]["statutory_days"] += 5
    document = CatalogDocument(v3["name"], [catalog.checked_item(item, "v3") for item in v3["items"]])
    with province.sessions.begin() as session:
        signer = province.release_signer(session)
    now = utcnow().replace(microsecond=0)
    altered = document.items[0]
    manifest = Manifest(
        PROVINCE, document.name, 3, document.digest(), len(document.items), now, now + timedelta(days=30)
    )
    return link_pb2.CatalogRelease(
        version=3,
        name=document.name,
        digest=manifest.digest,
        province=PROVINCE,
        item_count=manifest.item_count,
        published_at=to_timestamp(now),
        expires_at=to_timestamp(manifest.expires_at),
        base_version=2,
        changed_items=[canonical_item(dict(altered, statutory_days=altered["statutory_days"] + 1))],
        algorithm=signer.algorithm.value,
        signature=signer.sign(manifest),
        signer_chain_der=[c.public_bytes(serialization.Encoding.DER) for c in signer.chain],
    )


def test_bad_signature_lower_version_and_tampered_item_are_refused_and_nothing_changes(federation):
    federation.start_chain(CHAIN[:4])
    publish(federation, version_two())
    wait_for(lambda: version_at(federation, TOWNSHIP) == 2, what="release 2 at the township")
    township = federation.nodes[TOWNSHIP]
    with township.readers() as session:
        digest_before = catalog.digest_of(catalog.held_items(session).values())
    county, province = federation.nodes[COUNTY], federation.nodes[PROVINCE]

    with county.readers() as session:
        genuine_v1 = releases.delta_message(session, 0, catalog.release(session, 1))
        forged = releases.delta_message(session, 2, catalog.release(session, 2))
    forged.version = 3  # claims to be newer: the province never signed this manifest
    _send_from_county(federation, forged, "forged")
    _send_from_county(federation, genuine_v1, "older")  # genuinely signed, but a lower version

    # a release signed with the province's real key whose shipped item was altered on the way
    _send_from_county(federation, _signed_but_tampered(province), "tampered")

    reasons = wait_for(
        lambda: len(_quarantined(federation)) == 3 and _quarantined(federation), what="3 refusals"
    )
    assert "bad signature" in reasons[0]
    assert "not newer than release 2" in reasons[1]
    assert "do not match the signed digest" in reasons[2]
    assert version_at(federation, TOWNSHIP) == 2
    with township.readers() as session:
        assert catalog.digest_of(catalog.held_items(session).values()) == digest_before
    assert verify(federation, TOWNSHIP).identical


def test_a_township_cannot_change_a_time_limit_but_may_add_local_fields(federation):
    federation.start_chain(CHAIN[:4])
    township = federation.desk(TOWNSHIP)
    with pytest.raises(grpc.RpcError) as refused:
        township.ClaimItem(desk_pb2.ClaimItemRequest(item_code="MZ-0003", fields={"statutory_days": "5"}))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "statutory_days" in refused.value.details()
    assert "fixed by the province" in refused.value.details()
    with federation.nodes[TOWNSHIP].readers() as session:
        assert session.scalar(select(func.count()).select_from(ItemClaim)) == 0
        assert session.get(ServiceItem, "MZ-0003").statutory_days == 15

    claim = township.ClaimItem(
        desk_pb2.ClaimItemRequest(
            item_code="MZ-0003",
            fields={
                "window_address": "镇便民服务中心 2 号窗口",
                "phone": "0737-2800000",
                "opening_hours": "周一至周五",
            },
        )
    )
    assert claim.window_address == "镇便民服务中心 2 号窗口" and claim.catalog_version == 1
    listed = items_at(federation, TOWNSHIP)["MZ-0003"]
    assert listed.claim.phone == "0737-2800000" and listed.statutory_days == 15
    assert verify(federation, TOWNSHIP).identical  # local fields do not touch the release


def test_a_village_refuses_unknown_items_and_tiers_that_do_not_exist_above_it(federation):
    federation.start_chain()
    village = federation.desk(VILLAGE)
    request = desk_pb2.SubmitCaseRequest(
        item_code="NO-SUCH-ITEM",
        applicant=case_pb2.Applicant(name="张三", id_number="430981199001011237"),
    )
    with pytest.raises(grpc.RpcError) as unknown:
        village.SubmitCase(request)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    assert "NO-SUCH-ITEM" in unknown.value.details() and "catalogue release 1" in unknown.value.details()

    with federation.nodes[VILLAGE].sessions.begin() as session:  # a row no release could carry
        session.get(ServiceItem, "MZ-0003").handling_tier = "village"
    request.item_code = "MZ-0003"
    request.materials.extend(complete_proto("MZ-0003"))
    with pytest.raises(grpc.RpcError) as no_tier:
        village.SubmitCase(request)
    assert no_tier.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "does not exist above village" in no_tier.value.details()
    assert village.ListCases(desk_pb2.ListCasesRequest()).cases == []
    # and the tampered row shows up when the village proves its catalogue against the township
    report = verify(federation, VILLAGE)
    assert not report.identical
    assert [(d.code, d.problem) for d in report.differences] == [("MZ-0003", "differs")]


def test_catalog_diff_names_each_changed_element(federation):
    federation.start_chain(CHAIN[:2])
    publish(federation, version_two())
    diff = federation.desk(PROVINCE).DiffCatalog(desk_pb2.DiffCatalogRequest(from_version=1, to_version=2))
    changed = next(change for change in diff.changes if change.code == CHANGED)
    assert [(f.field, f.after) for f in changed.fields] == [("promised_days", "10")]


def test_only_the_province_publishes(federation):
    federation.start_chain(CHAIN[:2])
    data = json.dumps(version_two(), ensure_ascii=False).encode()
    with pytest.raises(grpc.RpcError) as refused:
        federation.desk(CHAIN[1]).PublishCatalog(desk_pb2.PublishCatalogRequest(document=data))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "only the province publishes" in refused.value.details()


def test_a_catalogue_refuses_a_window_item_said_to_need_no_visit():
    """零跑动 printed on a 窗口办理 item's 一次性告知书 would send the citizen home."""
    document = json.loads(catalog.demo_catalog_path().read_text(encoding="utf-8"))
    entry = next(item for item in document["items"] if item["online_level"] == "窗口办理")
    entry["max_visits"] = 0
    with pytest.raises(InvalidInput, match=f"{entry['code']} 为窗口办理，申请人至少到现场一次"):
        catalog.parse_document(json.dumps(document).encode())
    entry["online_level"] = "全程网办"
    assert catalog.parse_document(json.dumps(document).encode()).by_code()[entry["code"]]["max_visits"] == 0
    guangdong = catalog.load_document(catalog.demo_catalog_path("440000000000"))  # loaded: every item checked
    assert all(item["max_visits"] >= 1 for item in guangdong.items if item["online_level"] == "窗口办理")


def test_the_demo_items_name_implementing_bodies_that_exist() -> None:
    """A township has no 民政局 of its own (乡级民政局 is no office): its items are implemented by the
    乡镇人民政府（街道办事处）, and the 一次性告知书 prints the words as the catalogue has them."""
    for province in ("430000000000", "440000000000"):
        document = catalog.load_document(catalog.demo_catalog_path(province))
        for item in document.items:
            body = item["implementing_body"]
            assert not body.startswith("乡级"), (item["code"], body)
            if item["handling_tier"] == "township" and item["department"] != "政务服务中心":
                assert body == "乡镇人民政府（街道办事处）", (item["code"], body)


def test_publish_refuses_an_item_without_materials_twice_listed_or_instant_with_days(federation):
    """A keeper's slip went to every tier signed: MZ-0001 with `"materials": []` let the village take a
    低保 case with no papers; a 即办件 promised 15 days told the citizen two promises; a material
    listed twice showed five materials at the province and four on the 告知书. Each is refused at
    publish, in the other checks' words, and no release number is used up."""
    federation.start_chain(CHAIN[:1])
    code = "MZ-0001"

    def refusal(change: Any) -> str:
        items = demo_items()
        entry = next(item for item in items if item["code"] == code)
        change(entry)
        with pytest.raises(grpc.RpcError) as refused:
            publish(federation, {"name": "bad", "items": items})
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        position = items.index(entry) + 1
        details = refused.value.details() or ""
        assert details.startswith(f"第 {position} 项（{code}）："), details
        return details

    assert "申请材料 materials 不能为空" in refusal(lambda entry: entry.update(materials=[]))
    assert "申请材料名称重复：居民身份证" in refusal(
        lambda entry: entry["materials"].append(dict(entry["materials"][0]))
    )
    instant = refusal(lambda entry: entry.update(instant=True))  # promised 15, statutory 25
    assert "即办件 instant 当场办结，承诺时限 promised_days 须为 0，不能是 15 个工作日" in instant
    assert version_at(federation, PROVINCE) == 1
    assert publish(federation, version_two()).version == 2  # nothing was used up
    with federation.nodes[PROVINCE].readers() as session:  # a 一件事's materials are its parts': kept
        held = catalog.held_items(session).values()
        assert any(not item["materials"] and "bundle" in item for item in held)


def test_catalog_diff_says_a_material_listed_again() -> None:
    """A release published before duplicates were refused changed MZ-0002 by listing 居民身份证 a
    second time, and `catalog diff` printed `~ 变更 MZ-0002` with nothing under it."""
    from node.cli.catalog import element_change_lines

    before = next(item for item in demo_items() if item["code"] == "MZ-0002")["materials"]
    after = [*before, dict(before[0])]
    assert element_change_lines("materials", before, after) == [f"材料 {before[0]['name']} 列出的次数：1 → 2"]
    lines = element_change_lines("materials", before, before[::-1])
    assert lines == ["申请材料的顺序有调整"]
