"""电子监察 and 好差评 on five real nodes with a shared manual clock: cards, ratings, rectification."""

from __future__ import annotations

import json
import uuid
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import grpc
import pytest
from sqlalchemy import func, select

from node.cases.service import Applicant
from node.cases.states import Action
from node.catalogue import items as catalog
from node.clock import china_morning
from node.config import ConfigError, NodeConfig
from node.runtime.node import Node
from node.store.models import CaseArrival, CaseDeadline, CaseEvent, Rating, RectificationTask
from node.supervision.cards import SupervisionScheduler
from tests.harness import CHAIN, CITY, COUNTY, PROVINCE, TOWNSHIP, VILLAGE, FederationHarness, wait_for
from tests.materials import complete, complete_proto
from tests.pgserver import fresh_database
from tests.test_backup import state_at
from tests.test_federation import act, arrived, submit
from tests.test_window import add as add_staff
from tests.test_window import login as login_staff
from wuji.v1 import case_pb2, desk_pb2

TOWNSHIP_ITEM = "MZ-0003"  # 临时救助对象认定: township, 10 working days promised
MONDAY = china_morning(2025, 11, 3)  # accepted then, a 10-day limit ends Monday 17 November


def accepted_case(federation: FederationHarness) -> case_pb2.Case:
    federation.start_chain()
    case = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM)
    wait_for(lambda: arrived(federation, TOWNSHIP, case.id), what="the case to reach the township")
    act(federation.desk(TOWNSHIP), case.id, case_pb2.ACCEPT)
    return case


def cards_at(federation: FederationHarness, code: str, subtree: str = "") -> list[case_pb2.SupervisionCard]:
    return list(federation.desk(code).ListCards(desk_pb2.ListCardsRequest(subtree=subtree)).cards)


def test_cards_fire_once_each_at_80_percent_and_overdue_and_reach_the_province(federation, clock):
    case = accepted_case(federation)
    township = federation.nodes[TOWNSHIP]

    clock.set(china_morning(2025, 11, 12))  # 7 of 10 working days used
    assert township.tick().raised == []
    clock.set(china_morning(2025, 11, 13))  # 8 of 10: 预警
    assert [c.split(":")[1] for c in township.tick().raised] == ["warning"]
    assert township.tick().raised == []  # stored once, not on every scan
    clock.set(china_morning(2025, 11, 17))  # the deadline day itself is not overdue
    assert township.tick().raised == []
    clock.set(china_morning(2025, 11, 18))
    assert [c.split(":")[1] for c in township.tick().raised] == ["overdue"]
    assert township.tick().raised == []

    for code in (COUNTY, CITY, PROVINCE):
        wait_for(lambda code=code: len(cards_at(federation, code)) == 2, what=f"both cards at {code}")
    at_province = cards_at(federation, PROVINCE)
    assert sorted((c.colour, c.reason) for c in at_province) == [("red", "overdue"), ("yellow", "warning")]
    assert {c.case_id for c in at_province} == {case.id}
    assert all(c.handler == TOWNSHIP and c.deadline == "2025-11-17" for c in at_province)
    assert cards_at(federation, PROVINCE, subtree=TOWNSHIP) == at_province
    assert cards_at(federation, PROVINCE, subtree="430903000000") == []  # another county: none
    # typed full-width by a Chinese input method, the same subtree; a place name is told it wants the code
    full_width = TOWNSHIP.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert cards_at(federation, PROVINCE, subtree=full_width) == at_province
    with pytest.raises(grpc.RpcError, match="下级区划代码 沅江市 有误：应填 6、9 或 12 位数字的区划代码"):
        cards_at(federation, PROVINCE, subtree="沅江市")
    # the cards are part of the case's history at the handler
    seen = federation.desk(TOWNSHIP).GetCase(desk_pb2.GetCaseRequest(case_id=case.id))
    assert [c.colour for c in seen.cards] == ["yellow", "red"]

    # once the case is concluded the next scan closes both cards, up to the province
    conclude(federation, case.id)
    assert sorted(c.split(":")[1] for c in township.tick().closed) == ["overdue", "warning"]
    assert township.tick().closed == []
    wait_for(lambda: cards_at(federation, PROVINCE) == [], what="no open cards at the province")
    history = federation.desk(PROVINCE).ListCards(desk_pb2.ListCardsRequest(include_closed=True)).cards
    assert len(history) == 2 and all(c.HasField("closed_at") for c in history)


def test_a_case_found_overdue_gets_its_red_card_and_no_warning_after_the_fact(federation, clock):
    case = accepted_case(federation)
    township = federation.nodes[TOWNSHIP]
    clock.set(china_morning(2025, 11, 18))  # no scan since 受理: the deadline (17 November) is past
    assert township.tick().raised == [f"{case.id}:overdue"]  # not also a 预警 of 11/10 (110%)
    assert township.tick().raised == []
    clock.set(china_morning(2025, 11, 19))
    assert township.tick().raised == []


def test_an_extension_closes_the_warning_of_the_old_deadline_and_the_new_one_is_warned_of(federation, clock):
    case = accepted_case(federation)
    desk, township = federation.desk(TOWNSHIP), federation.nodes[TOWNSHIP]
    clock.set(china_morning(2025, 11, 13))  # 8 of 10 used: 预警, due 17 November
    assert township.tick().raised == [f"{case.id}:warning"]
    extend = desk_pb2.ActOnCaseRequest(case_id=case.id, action=case_pb2.EXTEND, days=5, note="经批准延期")
    desk.ActOnCase(extend)  # now due 24 November, 8 of 15 used
    result = township.tick()
    assert (result.raised, result.closed) == ([], [f"{case.id}:warning"])
    wait_for(lambda: cards_at(federation, PROVINCE) == [], what="the old warning closed at the province")
    clock.set(china_morning(2025, 11, 20))  # 13 of 15
    assert township.tick().raised == [f"{case.id}:warning@2025-11-24"]
    clock.set(china_morning(2025, 11, 25))
    assert township.tick().raised == [f"{case.id}:overdue"]
    shown = wait_for(
        lambda: (found := cards_at(federation, PROVINCE)) and len(found) == 2 and found,
        what="both cards at the province",
    )
    # the open cards agree on the deadline; the first warning is in the history, closed
    assert all("截止 2025-11-24" in card.detail for card in shown), shown
    history = federation.desk(PROVINCE).ListCards(desk_pb2.ListCardsRequest(include_closed=True)).cards
    (old,) = [card for card in history if card.HasField("closed_at")]
    assert old.reason == "warning" and "截止 2025-11-17" in old.detail


def test_a_case_not_accepted_within_five_working_days_of_arriving_gets_a_red_card(federation, clock):
    """行政许可法 第三十二条: 受理 or not within five working days of receiving the application."""
    federation.start_chain()
    waiting = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM)  # Monday 3 November
    wait_for(lambda: arrived(federation, TOWNSHIP, waiting.id), what="the case at the township")
    township = federation.nodes[TOWNSHIP]
    clock.set(china_morning(2025, 11, 7))
    recent = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM)  # Friday: its five days run on
    wait_for(lambda: arrived(federation, TOWNSHIP, recent.id), what="the second case at the township")
    clock.set(china_morning(2025, 11, 10))  # the fifth working day itself is not late
    assert township.tick().raised == []
    clock.set(china_morning(2025, 11, 11))
    assert township.tick().raised == [f"{waiting.id}:acceptance_overdue"]
    assert township.tick().raised == []
    (card,) = wait_for(lambda: cards_at(federation, PROVINCE), what="the card at the province")
    assert card.colour == "red" and card.department == "民政局" and card.deadline == "2025-11-10"
    assert card.detail.startswith("受理超时: 2025-11-03 收到申请, 应在 5 个工作日内（2025-11-10 前）")
    act(federation.desk(TOWNSHIP), waiting.id, case_pb2.ACCEPT)
    assert township.tick().closed == [f"{waiting.id}:acceptance_overdue"]
    wait_for(lambda: cards_at(federation, PROVINCE) == [], what="the card closed at the province")


def test_no_card_while_the_clock_is_stopped_for_correction_and_the_deadline_moves(federation, clock):
    case = accepted_case(federation)
    township_desk, township = federation.desk(TOWNSHIP), federation.nodes[TOWNSHIP]
    act(township_desk, case.id, case_pb2.REVIEW)
    clock.set(china_morning(2025, 11, 5))  # 2 days used, then 补正
    act(township_desk, case.id, case_pb2.REQUEST_CORRECTION, note="缺低保申请书")

    clock.set(china_morning(2025, 11, 20))  # long past the original deadline, but paused
    assert township.tick().raised == []
    supplement = desk_pb2.ActOnCaseRequest(
        case_id=case.id, action=case_pb2.SUPPLEMENT, materials=complete_proto(TOWNSHIP_ITEM)[:1]
    )
    federation.desk(VILLAGE).ActOnCase(supplement)  # asked at the village, done at the township
    wait_for(
        lambda: (
            township_desk.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).state == case_pb2.UNDER_REVIEW
        ),
        what="the supplement to reach the township",
    )
    with township.sessions() as session:
        row = session.get(CaseDeadline, case.id)
        # 4 and 5 November before the pause, 8 from 21 November on: 21, 24 … 28 November, 1 and 2 December
        assert row.deadline == date(2025, 12, 2) and row.open
    assert township.tick().raised == []  # 8 days left: not even a warning
    # what to correct is told once and whole: asked for again, supervision sees it (once), and
    # names who asked again (the card's 责任人 was empty: the case's 首问负责人, here none)
    add_staff(township_desk, "clerk-mz", "窗口受理", "民政局")
    township_desk.ActOnCase(
        desk_pb2.ActOnCaseRequest(
            case_id=case.id, action=case_pb2.REQUEST_CORRECTION, note="低保申请书未签字"
        ),
        metadata=login_staff(township_desk, "clerk-mz"),
    )
    assert township.tick().raised == [f"{case.id}:correction_repeated"]
    assert township.tick().raised == []
    card = next(c for c in cards_at(federation, TOWNSHIP) if c.case_id == case.id)
    assert card.colour == "yellow" and card.detail.startswith("重复补正: 第 2 次告知补正"), card
    assert card.person == "姓名clerk-mz (clerk-mz)", card
    assert card.detail.endswith("请向责任人核实前次告知为何未一次讲清"), card  # said whole, in Chinese
    assert card.item_name == "临时救助对象认定", card  # for the lists above, where no copy of the case is


def test_a_repeated_correction_card_closes_once_the_case_is_accepted(federation):
    """The 重复补正 card stayed open after the case was supplemented and 受理'd, though a card closes
    once its step is left: supplied but still 申请 it stays (a third 补正 may yet be asked), 受理
    closes it, up to the province."""
    federation.start_chain()
    case = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM)
    wait_for(lambda: arrived(federation, TOWNSHIP, case.id), what="the case at the township")
    township_desk, township = federation.desk(TOWNSHIP), federation.nodes[TOWNSHIP]

    def state() -> int:
        return township_desk.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).state

    def supplement() -> None:
        federation.desk(VILLAGE).ActOnCase(
            desk_pb2.ActOnCaseRequest(
                case_id=case.id, action=case_pb2.SUPPLEMENT, materials=complete_proto(TOWNSHIP_ITEM)[:1]
            )
        )
        wait_for(lambda: state() == case_pb2.SUBMITTED, what="the supplement at the township")

    act(township_desk, case.id, case_pb2.REQUEST_CORRECTION, note="缺低保申请书")
    supplement()
    act(township_desk, case.id, case_pb2.REQUEST_CORRECTION, note="低保申请书未签字")
    card_id = f"{case.id}:correction_repeated"
    assert township.tick().raised == [card_id]
    wait_for(lambda: [c.id for c in cards_at(federation, PROVINCE)] == [card_id], what="the card up top")
    supplement()
    assert township.tick().closed == []  # supplied, not yet decided on: still in the 补正 step
    act(township_desk, case.id, case_pb2.ACCEPT)
    assert township.tick().closed == [card_id]
    assert cards_at(federation, TOWNSHIP) == []
    wait_for(lambda: cards_at(federation, PROVINCE) == [], what="the card closed at the province")


def conclude(federation: FederationHarness, case_id: str) -> None:
    township = federation.desk(TOWNSHIP)
    for action in (case_pb2.REVIEW, case_pb2.APPROVE):
        act(township, case_id, action)
    wait_for(
        lambda: (
            federation.desk(VILLAGE).GetCase(desk_pb2.GetCaseRequest(case_id=case_id)).state
            == case_pb2.CONCLUDED
        ),
        what="the village to see the case concluded",
    )


def test_a_bad_rating_opens_a_rectification_task_and_a_red_card_when_left_past_its_deadline(
    federation, clock
):
    case = accepted_case(federation)
    conclude(federation, case.id)
    village = federation.desk(VILLAGE)
    clock.set(china_morning(2025, 11, 7))  # Friday
    rating = village.RateCase(desk_pb2.RateCaseRequest(case_id=case.id, score=1, comment="态度差"))
    assert rating.score == 1
    township = federation.nodes[TOWNSHIP]

    def task() -> RectificationTask | None:
        with township.sessions() as session:
            return session.get(RectificationTask, case.id)

    opened = wait_for(task, what="the rating to open a rectification task at the township")
    assert opened.deadline == date(2025, 11, 28)  # 15 working days after Friday 7 November
    # the village, where the citizen rated, is told the 整改's deadline
    told = wait_for(lambda: village_rectification(federation, case.id), what="the 整改 told to the village")
    assert (told.deadline, told.done_at) == ("2025-11-28", "")
    with township.sessions() as session:
        assert session.get(Rating, case.id).score == 1

    clock.set(china_morning(2025, 11, 28))
    assert township.tick().raised == []
    clock.set(china_morning(2025, 12, 1))
    assert [c.split(":")[1] for c in township.tick().raised] == ["rectification_overdue"]
    wait_for(
        lambda: [c.reason for c in cards_at(federation, PROVINCE)] == ["rectification_overdue"],
        what="the red card at the province",
    )
    # closing the task late keeps the card; a second rating is refused (一次一评)
    done = federation.desk(TOWNSHIP).RectifyCase(
        desk_pb2.RectifyCaseRequest(case_id=case.id, return_visit="12月1日电话回访, 申请人表示认可")
    )
    assert done.done_at
    closed = wait_for(
        lambda: (seen := village_rectification(federation, case.id)) and seen.done_at and seen,
        what="the closed 整改 at the village",
    )
    assert closed.return_visit == "12月1日电话回访, 申请人表示认可" and closed.done_at == done.done_at
    with pytest.raises(grpc.RpcError) as again:
        village.RateCase(desk_pb2.RateCaseRequest(case_id=case.id, score=5))
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "一次一评" in again.value.details()


def village_rectification(federation, case_id: str) -> desk_pb2.RectificationView | None:
    """The 差评整改 as the village, where the citizen rated, shows it."""
    return federation.nodes[VILLAGE].ratings.of_case(case_id)[1]


def test_a_rating_is_given_where_the_applicant_applied_and_only_once_concluded(federation, clock):
    case = accepted_case(federation)
    with pytest.raises(grpc.RpcError) as early:
        federation.desk(VILLAGE).RateCase(desk_pb2.RateCaseRequest(case_id=case.id, score=5))
    assert early.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    conclude(federation, case.id)
    with pytest.raises(grpc.RpcError) as elsewhere:
        federation.desk(TOWNSHIP).RateCase(desk_pb2.RateCaseRequest(case_id=case.id, score=5))
    assert (
        elsewhere.value.code() == grpc.StatusCode.FAILED_PRECONDITION and VILLAGE in elsewhere.value.details()
    )
    with pytest.raises(grpc.RpcError) as bad:
        federation.desk(VILLAGE).RateCase(desk_pb2.RateCaseRequest(case_id=case.id, score=6))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    good = federation.desk(VILLAGE).RateCase(desk_pb2.RateCaseRequest(case_id=case.id, score=5))
    assert good.rectification_deadline == ""  # a good rating opens no task


def test_each_node_runs_exactly_one_supervision_job(federation):
    federation.start_chain()
    for node in federation.nodes.values():
        assert node.scheduler.scan_jobs == 1  # one scan job per node, never one per case
        # and the retry of results waiting for their time-stamp, the save of office names heard,
        # the node's own backup, on SQLite the log's checkpoint, and at the province the watch
        # over its partner links (its tree hears when one is down)
        expected = (5 if node.engine.dialect.name == "sqlite" else 4) + (node.here.parent is None)
        assert node.scheduler.jobs == expected
    with pytest.raises(ValueError):
        SupervisionScheduler(federation.nodes[PROVINCE].here, lambda: None, 0)


def test_a_special_procedure_stops_the_clock_and_an_extension_lengthens_it(federation, clock):
    case = accepted_case(federation)
    desk, township = federation.desk(TOWNSHIP), federation.nodes[TOWNSHIP]

    def deadline() -> date | None:
        with township.sessions() as session:
            return session.get(CaseDeadline, case.id).deadline

    assert deadline() == date(2025, 11, 17)
    clock.set(china_morning(2025, 11, 5))  # 4 and 5 November used
    act(desk, case.id, case_pb2.SUSPEND, note="组织听证")
    assert deadline() is None
    with pytest.raises(grpc.RpcError) as twice:
        act(desk, case.id, case_pb2.SUSPEND, note="组织鉴定")
    assert twice.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    clock.set(china_morning(2025, 11, 25))
    assert township.tick().raised == []  # stopped: no card, though 17 November is long past
    act(desk, case.id, case_pb2.RESUME, note="听证结束")
    assert deadline() == date(2025, 12, 5)  # 8 days left from 26 November
    with pytest.raises(grpc.RpcError) as past_the_law:  # 10 promised, 15 by law: 60 more took it to 70
        desk.ActOnCase(desk_pb2.ActOnCaseRequest(case_id=case.id, action=case_pb2.EXTEND, days=6, note="延"))
    assert past_the_law.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    said = past_the_law.value.details() or ""
    assert "超过本事项的法定办结时限 15 个工作日：最多可延期 5 个工作日" in said, said
    assert deadline() == date(2025, 12, 5)
    extended = desk.ActOnCase(
        desk_pb2.ActOnCaseRequest(case_id=case.id, action=case_pb2.EXTEND, days=5, note="经批准延期")
    )
    assert deadline() == date(2025, 12, 12)
    # none of this hides the case: it stays 受理'd, and each step is in its history
    assert extended.state == case_pb2.ACCEPTED
    assert [e.action for e in extended.events[-3:]] == [case_pb2.SUSPEND, case_pb2.RESUME, case_pb2.EXTEND]
    assert extended.events[-1].note == "延期 5 个工作日: 经批准延期"
    with pytest.raises(grpc.RpcError) as no_days:
        act(desk, case.id, case_pb2.EXTEND, note="经批准延期")
    assert no_days.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (no_days.value.details() or "").startswith("延期天数应为 1 至 ")
    with pytest.raises(grpc.RpcError) as again:  # extended once: no second extension
        desk.ActOnCase(
            desk_pb2.ActOnCaseRequest(case_id=case.id, action=case_pb2.EXTEND, days=10, note="再次延期")
        )
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "办理时限只能延长一次" in (again.value.details() or "") and deadline() == date(2025, 12, 12)


def test_a_decision_or_a_withdrawal_during_a_special_procedure_ends_it_and_the_case_counts_on_time(
    federation, clock
):
    """办结 while a 特别程序 is under way, 特别程序结束 never pressed: the procedure ends that day, in
    the history of both copies, and the stopped days stay out of the limit that 按时办结率 and the
    cards count on. An applicant's 撤回 meanwhile ends it the same way, in the handler's name."""
    case = accepted_case(federation)
    village, desk, township = federation.desk(VILLAGE), federation.desk(TOWNSHIP), federation.nodes[TOWNSHIP]
    withdrawn = submit(village, TOWNSHIP_ITEM)
    wait_for(lambda: arrived(federation, TOWNSHIP, withdrawn.id), what="the second case at the township")
    act(desk, withdrawn.id, case_pb2.ACCEPT)
    act(desk, case.id, case_pb2.REVIEW)
    clock.set(china_morning(2025, 11, 5))  # 4 and 5 November used
    for suspended in (case, withdrawn):
        act(desk, suspended.id, case_pb2.SUSPEND, note="组织听证，约需10个工作日")
    clock.set(china_morning(2025, 11, 25))  # the hearing outlasted the limit of 17 November
    concluded = act(desk, case.id, case_pb2.APPROVE, note="经听证，符合条件")
    assert [(e.action, e.note) for e in concluded.events[-2:]] == [
        (case_pb2.RESUME, "特别程序随办结(准予)结束"),
        (case_pb2.APPROVE, "经听证，符合条件"),
    ]
    assert concluded.events[-2].actor_node == TOWNSHIP
    with township.sessions() as session:
        limit = session.get(CaseDeadline, case.id)
        assert limit.pauses == [["2025-11-05", "2025-11-25"]]
        assert (limit.concluded_on, limit.deadline) == (date(2025, 11, 25), date(2025, 12, 5))
    assert township.tick().raised == []
    stats = desk.GetStats(desk_pb2.StatsRequest())
    assert (stats.own.counts["concluded"], stats.own.counts["on_time"]) == (1, 1)
    assert stats.own.on_time_rate == 1.0

    def village_events(case_id: str) -> list[int]:
        return [e.action for e in village.GetCase(desk_pb2.GetCaseRequest(case_id=case_id)).events]

    wait_for(
        lambda: village_events(case.id)[-2:] == [case_pb2.RESUME, case_pb2.APPROVE],
        what="the procedure's end and the 办结 at the village",
    )
    act(village, withdrawn.id, case_pb2.WITHDRAW, note="申请人不再申请")
    wait_for(
        lambda: village_events(withdrawn.id)[-2:] == [case_pb2.RESUME, case_pb2.WITHDRAW],
        what="the procedure's end and the 撤回 at the village",
    )
    ended = desk.GetCase(desk_pb2.GetCaseRequest(case_id=withdrawn.id)).events[-2]
    assert (ended.note, ended.actor_node, ended.actor_person) == ("特别程序随撤回结束", TOWNSHIP, "")
    with township.sessions() as session:
        assert session.get(CaseDeadline, withdrawn.id).pauses == [["2025-11-05", "2025-11-25"]]


def test_the_scan_looks_at_a_case_only_on_its_warning_day_and_after_its_deadline(federation, clock):
    case = accepted_case(federation)
    desk, township = federation.desk(TOWNSHIP), federation.nodes[TOWNSHIP]

    def due_on() -> date | None:
        with township.sessions() as session:
            return session.get(CaseDeadline, case.id).due_on

    assert due_on() == date(2025, 11, 3)  # just accepted: the next scan schedules it
    clock.set(china_morning(2025, 11, 4))
    assert township.tick().raised == []
    assert due_on() == date(2025, 11, 13)  # 8 of 10 working days used on Thursday 13 November
    clock.set(china_morning(2025, 11, 5))
    act(desk, case.id, case_pb2.SUSPEND, note="组织听证")
    assert due_on() is None  # stopped: never due
    clock.set(china_morning(2025, 11, 10))
    act(desk, case.id, case_pb2.RESUME, note="听证结束")
    assert township.tick().raised == []
    assert due_on() == date(2025, 11, 18)  # 6-10 November left out: 2 used, 6 more from 11 November
    clock.set(china_morning(2025, 11, 18))
    assert [c.split(":")[1] for c in township.tick().raised] == ["warning"]
    assert due_on() == date(2025, 11, 21)  # the deadline is Thursday 20 November
    clock.set(china_morning(2025, 11, 21))
    assert [c.split(":")[1] for c in township.tick().raised] == ["overdue"]
    assert due_on() is None  # red: nothing more to look at


def test_a_decision_against_the_applicant_or_a_longer_wait_is_not_taken_without_its_reason(federation):
    """不予受理 and 不予许可 (不予办理) print their reason on the document the applicant is given: the
    desk asks for it, rather than print (未说明理由) and card the decision afterwards; 延期, 特别程序 and 退件
    are told to the applicant with theirs."""
    case = accepted_case(federation)
    unheard = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM)
    wait_for(lambda: arrived(federation, TOWNSHIP, unheard.id), what="the second case at the township")
    licence = submit(federation.desk(VILLAGE), "NY-0002")  # 农村村民宅基地审批, a 行政许可
    wait_for(lambda: arrived(federation, TOWNSHIP, licence.id), what="the licence's case at the township")
    township = federation.desk(TOWNSHIP)
    act(township, case.id, case_pb2.REVIEW)
    act(township, licence.id, case_pb2.ACCEPT)
    # 不予许可 is a licence's word (行政许可法); 临时救助对象认定 is a 行政确认: 不予办理
    decisions = ((unheard.id, case_pb2.REFUSE, "不予受理"), (case.id, case_pb2.DENY, "不予办理"))
    decisions += ((licence.id, case_pb2.DENY, "不予许可"),)
    decisions += tuple((case.id, action, said) for action, said in WAITS)
    for case_id, action, said in decisions:
        for note in ("", "  \n "):
            with pytest.raises(grpc.RpcError) as refused:
                act(township, case_id, action, note=note)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert refused.value.details().startswith(f"{said}须写明")
    assert state_at(township, unheard.id) == case_pb2.SUBMITTED
    assert state_at(township, case.id) == case_pb2.UNDER_REVIEW
    assert township.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).events[-1].action == case_pb2.REVIEW
    act(township, unheard.id, case_pb2.REFUSE, note="申请人不在本乡镇居住, 不属于受理范围")
    act(township, case.id, case_pb2.DENY, note="不符合《社会救助暂行办法》第九条规定的条件")
    assert state_at(township, unheard.id) == case_pb2.REFUSED
    assert state_at(township, case.id) == case_pb2.CONCLUDED
    assert federation.nodes[TOWNSHIP].tick().raised == []


# the waits the applicant is told the reason of: 延期 and 特别程序, and 退件 (the case ends after 受理)
WAITS = ((case_pb2.EXTEND, "延期"), (case_pb2.SUSPEND, "特别程序"), (case_pb2.RETURN, "退件"))


def recorded_without_its_reason(node: Node, case_id: str, action: Action) -> None:
    """The decision as a node recorded it before its desk asked for the reason (a database an
    earlier version of wuji wrote): its event's note empty."""
    with node.sessions.begin() as session:
        decided = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == action)
        ).one()
        decided.note = ""


def test_a_refusal_recorded_without_a_reason_raises_a_card_and_one_with_a_reason_does_not(federation):
    federation.start_chain()
    village, township = federation.desk(VILLAGE), federation.desk(TOWNSHIP)
    silent, explained = submit(village, TOWNSHIP_ITEM), submit(village, TOWNSHIP_ITEM)
    for case in (silent, explained):
        wait_for(lambda case=case: arrived(federation, TOWNSHIP, case.id), what="the case at the township")
        act(township, case.id, case_pb2.REFUSE, note="申请人不在本乡镇居住, 不属于受理范围")
    node = federation.nodes[TOWNSHIP]
    recorded_without_its_reason(node, silent.id, Action.REFUSE)
    assert node.tick().raised == [f"{silent.id}:refusal_no_reason"]
    assert node.tick().raised == []
    wait_for(
        lambda: [c.case_id for c in cards_at(federation, PROVINCE)] == [silent.id], what="the card up top"
    )


def test_a_denial_recorded_without_a_reason_raises_the_same_card(federation):
    """不予许可 owes its reasons as 不予受理 does (the 办结通知书 prints them for the applicant)."""
    case = accepted_case(federation)
    township_desk, township = federation.desk(TOWNSHIP), federation.nodes[TOWNSHIP]
    act(township_desk, case.id, case_pb2.REVIEW)
    act(township_desk, case.id, case_pb2.DENY, note="不符合《社会救助暂行办法》第九条规定的条件")
    recorded_without_its_reason(township, case.id, Action.DENY)
    assert township.tick().raised == [f"{case.id}:refusal_no_reason"]
    [card] = cards_at(federation, TOWNSHIP)
    assert card.colour == "red" and card.detail.startswith("办结（不予）未说明理由")
    assert township.tick().raised == [] and township.tick().closed == []  # a record: it stays open


def test_an_appeal_decided_one_tier_up_voids_a_malicious_rating(federation, clock):
    case = accepted_case(federation)
    conclude(federation, case.id)
    federation.desk(VILLAGE).RateCase(desk_pb2.RateCaseRequest(case_id=case.id, score=1, comment="乱评"))
    township, county = federation.desk(TOWNSHIP), federation.desk(COUNTY)
    appeal = desk_pb2.AppealRatingRequest(case_id=case.id, reason="申请人未到窗口办理, 评价与事实不符")
    filed = wait_for(lambda: _try(lambda: township.AppealRating(appeal)), what="the rating at the township")
    assert filed.score == 1 and filed.decision == ""
    with pytest.raises(grpc.RpcError) as again:
        township.AppealRating(appeal)
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    wait_for(
        lambda: county.ListAppeals(desk_pb2.ListAppealsRequest()).appeals, what="the appeal at the county"
    )
    with pytest.raises(grpc.RpcError) as not_theirs:  # the city is not the supervising tier
        federation.desk(CITY).DecideAppeal(desk_pb2.DecideAppealRequest(case_id=case.id, void=True, note="-"))
    assert not_theirs.value.code() == grpc.StatusCode.NOT_FOUND
    decided = county.DecideAppeal(
        desk_pb2.DecideAppealRequest(case_id=case.id, void=True, note="经核实属恶意差评")
    )
    assert decided.decision == "voided"

    def voided_at_township() -> bool:
        (seen,) = township.ListAppeals(desk_pb2.ListAppealsRequest()).appeals
        return seen.decision == "voided"

    wait_for(voided_at_township, what="the decision at the township")
    with federation.nodes[TOWNSHIP].sessions() as session:
        assert session.get(Rating, case.id).score == 1  # kept as given, only no longer counted
        assert session.get(RectificationTask, case.id).done_at is not None
    own = township.GetStats(desk_pb2.StatsRequest()).own
    assert own.counts["cases"] == 1 and "ratings" not in own.counts and "bad_ratings" not in own.counts
    # the village hears that the 整改 closed, and why
    told = wait_for(
        lambda: (seen := village_rectification(federation, case.id)) and seen.done_at and seen,
        what="the voided rating's 整改 closed at the village",
    )
    assert told.return_visit == "评价经申诉复核作废: 经核实属恶意差评"
    with federation.nodes[VILLAGE].sessions() as session:
        assert session.get(Rating, case.id).voided_at is not None


def test_only_the_handling_department_appeals_a_rating(federation, clock):
    """申诉: a clerk of another department (who cannot even open the case) and a 监察 are refused, at
    the service, with the words `case rectify` uses; the 民政局's own clerk files it and sees it."""
    case = accepted_case(federation)
    conclude(federation, case.id)
    federation.desk(VILLAGE).RateCase(desk_pb2.RateCaseRequest(case_id=case.id, score=2, comment="慢"))
    township = federation.desk(TOWNSHIP)
    for username, role, department in (("mz1", "窗口受理", "民政局"), ("ny1", "窗口受理", "农业农村局"),
                                       ("sup1", "监察", "")):  # fmt: skip
        add_staff(township, username, role, department)
    own, other, supervisor = (login_staff(township, name) for name in ("mz1", "ny1", "sup1"))
    appeal = desk_pb2.AppealRatingRequest(case_id=case.id, reason="恶意差评")

    def rated_here() -> bool:
        with federation.nodes[TOWNSHIP].sessions() as session:
            return session.get(Rating, case.id) is not None

    wait_for(rated_here, what="the rating at the township")
    with pytest.raises(grpc.RpcError) as refused:
        township.AppealRating(appeal, metadata=other)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "窗口受理 姓名ny1 (ny1) 不属于民政局" in (refused.value.details() or "")
    with pytest.raises(grpc.RpcError) as not_theirs:
        township.AppealRating(appeal, metadata=supervisor)
    assert not_theirs.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "监察人员不能申诉差评，请由窗口受理、审核/审批人员办理" in (not_theirs.value.details() or "")
    assert township.ListAppeals(desk_pb2.ListAppealsRequest()).appeals == []  # nothing filed
    filed = township.AppealRating(appeal, metadata=own)
    assert filed.case_id == case.id and filed.reason == "恶意差评"
    assert [a.case_id for a in township.ListAppeals(desk_pb2.ListAppealsRequest(), metadata=own).appeals] == [
        case.id
    ]
    # another department follows only its own appeals; the 监察 sees them all
    assert township.ListAppeals(desk_pb2.ListAppealsRequest(), metadata=other).appeals == []
    assert len(township.ListAppeals(desk_pb2.ListAppealsRequest(), metadata=supervisor).appeals) == 1


def test_the_desk_shows_cards_statistics_and_appeals_only_to_whom_the_pages_show_them(federation, clock):
    """`wuji supervision list`, `wuji stats` and `wuji rating appeals` ask the Desk API: it refuses
    whom /supervision and /stats refuse (a 窗口受理, a 审核, a village 代办员), in Chinese."""
    case = accepted_case(federation)
    clock.set(china_morning(2025, 11, 18))  # overdue
    federation.nodes[TOWNSHIP].tick()
    county, village = federation.desk(COUNTY), federation.desk(VILLAGE)
    wait_for(lambda: cards_at(federation, COUNTY), what="the card at the county")
    add_staff(county, "clerk1", "窗口受理", "民政局")
    add_staff(county, "review3", "审核", "公安局")
    add_staff(county, "boss", "监察")
    add_staff(village, "agent1", "代办员")
    people = {name: login_staff(county, name) for name in ("clerk1", "review3", "boss")}
    agent = login_staff(village, "agent1")

    def refused(call, token) -> str:
        with pytest.raises(grpc.RpcError) as error:
            call(token)
        assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
        return error.value.details() or ""

    def listed(desk):
        return lambda token: desk.ListCards(desk_pb2.ListCardsRequest(), metadata=token)

    def stats(desk):
        return lambda token: desk.GetStats(desk_pb2.StatsRequest(), metadata=token)

    def appeals(desk):
        return lambda token: desk.ListAppeals(desk_pb2.ListAppealsRequest(), metadata=token)

    for name in ("clerk1", "review3"):
        assert f"({name}) 无权查看黄牌、红牌" in refused(listed(county), people[name])
        assert f"({name}) 无权查看统计" in refused(stats(county), people[name])
    assert "代办员 姓名agent1 (agent1) 无权查看黄牌、红牌" in refused(listed(village), agent)
    assert "无权查看统计" in refused(stats(village), agent)
    assert "无权查看申诉复核" in refused(appeals(village), agent)
    # a department's staff file appeals and follow their own (none here); the 监察 sees everything
    assert appeals(county)(people["clerk1"]).appeals == []
    assert {c.case_id for c in listed(county)(people["boss"]).cards} == {case.id}
    assert stats(county)(people["boss"]).subtree.counts["cases"] == 1
    assert appeals(county)(people["boss"]).appeals == []
    assert {c.case_id for c in listed(county)(()).cards} == {case.id}  # the node's operator: all


def _try(call):
    try:
        return call()
    except grpc.RpcError as error:
        if error.code() is grpc.StatusCode.NOT_FOUND:
            return None
        raise


def test_a_step_over_its_own_limit_raises_a_card(federation, clock, tmp_path):
    federation.start_chain()
    document = json.loads((Path(catalog.demo_catalog_path())).read_text(encoding="utf-8"))
    for item in document["items"]:
        if item["code"] == TOWNSHIP_ITEM:
            item["step_days"] = {"SUBMITTED": 1, "UNDER_REVIEW": 3}  # 受理 within a day, 审核 within three
    path = tmp_path / "catalog-with-steps.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert federation.nodes[PROVINCE].load_catalog(path) == 2
    node = federation.nodes[TOWNSHIP]
    wait_for(lambda: node.describe().catalog_version == 2, what="the new release at the township")

    case = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM)  # Monday 3 November
    wait_for(lambda: arrived(federation, TOWNSHIP, case.id), what="the case at the township")
    clock.set(china_morning(2025, 11, 4))
    assert node.tick().raised == []
    clock.set(china_morning(2025, 11, 5))  # two working days without 受理
    assert node.tick().raised == [f"{case.id}:step:SUBMITTED"]
    desk = federation.desk(TOWNSHIP)
    act(desk, case.id, case_pb2.ACCEPT)
    act(desk, case.id, case_pb2.REVIEW)  # 审核 from Wednesday 5 November
    clock.set(china_morning(2025, 11, 10))
    extend = desk_pb2.ActOnCaseRequest(case_id=case.id, action=case_pb2.EXTEND, days=2, note="复杂")
    desk.ActOnCase(extend)  # not a new step: the step's own clock runs on
    assert node.tick().raised == []
    clock.set(china_morning(2025, 11, 11))
    assert node.tick().raised == [f"{case.id}:step:UNDER_REVIEW"]
    assert node.tick().raised == []


def test_cards_ratings_and_rollups_on_postgresql(federation, clock, postgres_url):
    """The township and the county keep their tables in PostgreSQL; the rest stay on SQLite."""
    with ExitStack() as databases:
        for code in CHAIN:
            url = ""
            if code in (TOWNSHIP, COUNTY):
                name = f"wuji_sup_{code}_{uuid.uuid4().hex[:8]}"
                url = databases.enter_context(fresh_database(postgres_url, name))
            federation.start(code, database_url=url)
        wait_for(
            lambda: all(n.describe().catalog_version > 0 for n in federation.nodes.values()),
            what="the catalogue everywhere",
        )
        case = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM)
        wait_for(lambda: arrived(federation, TOWNSHIP, case.id), what="the case at the township")
        act(federation.desk(TOWNSHIP), case.id, case_pb2.ACCEPT)
        clock.set(china_morning(2025, 11, 18))
        township = federation.nodes[TOWNSHIP]
        assert [c.split(":")[1] for c in township.tick().raised] == ["overdue"]  # no 预警 after the fact
        assert township.tick().raised == []
        wait_for(lambda: len(cards_at(federation, COUNTY)) == 1, what="the card at the county")
        conclude(federation, case.id)
        federation.desk(VILLAGE).RateCase(desk_pb2.RateCaseRequest(case_id=case.id, score=2))
        wait_for(lambda: _try(lambda: federation.desk(TOWNSHIP).RectifyCase(
            desk_pb2.RectifyCaseRequest(case_id=case.id, return_visit="回访"))), what="the task")  # fmt: skip
        for node in (federation.nodes[VILLAGE], township):
            node.tick()
        county = federation.desk(COUNTY)

        def county_sees_it() -> desk_pb2.Figures | None:
            figures = county.GetStats(desk_pb2.StatsRequest()).subtree
            return figures if figures.counts["bad_ratings"] == 1 else None

        figures = wait_for(county_sees_it, what="the township's rollup at the county")
        assert figures.counts["cases"] == 1 and figures.counts["concluded"] == 1 and figures.on_time_rate == 0
        assert figures.counts["cards:red"] == 1 and figures.rectification_rate == 1.0
        federation.stop_all()  # before the databases are dropped


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"warning_share": 1.5}, "warning_share"),
        ({"warning_share": 0}, "warning_share"),
        ({"rectification_days": 0}, "rectification_days"),
        ({"supervision_interval_seconds": 0}, "supervision_interval_seconds"),
    ],
)
def test_supervision_settings_are_checked_when_the_config_loads(setting, message):
    with pytest.raises(ConfigError, match=message):
        NodeConfig(code=COUNTY, parent_address="127.0.0.1:1", **setting)


def test_every_arrival_of_a_burst_is_looked_at_once_and_only_the_late_ones_carded(federation, clock):
    # the arrivals are read as rows and marked checked a few hundred to a statement
    federation.start_chain()
    federation.stop(TOWNSHIP)
    late = [submit(federation.desk(VILLAGE), TOWNSHIP_ITEM).id for _ in range(2)]  # Monday 3 November
    clock.set(china_morning(2025, 11, 5))
    village = federation.nodes[VILLAGE]
    with village.sessions.begin() as session:  # a burst, submitted on the day it arrives
        for i in range(1_100):
            village.cases.submit_in(
                session,
                TOWNSHIP_ITEM,
                Applicant(f"集中{i:04d}", "430981199001011237"),
                complete(TOWNSHIP_ITEM),
            )
    township = federation.restart(TOWNSHIP)

    def unchecked() -> int:
        with township.readers() as session:
            return session.scalar(select(func.count()).where(CaseArrival.checked.is_(False))) or 0

    def arrivals() -> int:
        with township.readers() as session:
            return session.scalar(select(func.count()).select_from(CaseArrival)) or 0

    wait_for(lambda: arrivals() == 1_102, timeout=120, what="the burst at the township")
    assert unchecked() == 1_102
    first = township.tick()
    assert sorted(first.raised) == sorted(f"{case_id}:forwarding_late" for case_id in late)
    assert unchecked() == 0
    assert township.tick().raised == []


def test_a_case_that_reaches_its_handler_late_raises_a_forwarding_card(federation, clock):
    federation.start_chain()
    on_time = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM)
    wait_for(lambda: arrived(federation, TOWNSHIP, on_time.id), what="the first case at the township")
    federation.stop(TOWNSHIP)  # the village cannot 上报 while its township is away
    late = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM)  # Monday 3 November
    clock.set(china_morning(2025, 11, 5))  # back two working days later
    township = federation.restart(TOWNSHIP)
    wait_for(lambda: arrived(federation, TOWNSHIP, late.id), what="the late case at the township")
    assert township.tick().raised == [f"{late.id}:forwarding_late"]
    assert township.tick().raised == []
    (card,) = wait_for(lambda: cards_at(federation, PROVINCE), what="the card at the province")
    assert card.colour == "yellow" and VILLAGE in card.detail and "2 个工作日" in card.detail
