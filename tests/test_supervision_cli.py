"""`wuji supervision list`, `wuji case rate|rectify` and `wuji stats` against running nodes."""

from __future__ import annotations

from node.clock import china_morning
from node.timeutil import shanghai
from tests.harness import COUNTY, PROVINCE, TOWNSHIP, VILLAGE, wait_for
from tests.test_cli import wuji
from tests.test_federation import act, arrived, submit
from wuji.v1 import case_pb2, desk_pb2


def test_supervision_rating_and_stats_commands(federation, clock):
    federation.start_chain()
    config = {code: str(federation.config_path(code)) for code in (PROVINCE, COUNTY, TOWNSHIP, VILLAGE)}
    case = submit(federation.desk(VILLAGE), "MZ-0003")
    wait_for(lambda: arrived(federation, TOWNSHIP, case.id), what="the case at the township")
    act(federation.desk(TOWNSHIP), case.id, case_pb2.ACCEPT)
    clock.set(china_morning(2025, 11, 18))  # past the 10-day limit (17 November)
    federation.nodes[TOWNSHIP].tick()

    def listed() -> str:
        result = wuji("supervision", "list", "--config", config[COUNTY])
        return result.stdout if case.id in result.stdout else ""

    shown = wait_for(listed, what="the cards at the county")
    # found overdue at the first scan: a red card, and no 预警 after the fact
    assert "红牌" in shown and "预警" not in shown and "共 1 张：黄牌 0 张，红牌 1 张" in shown
    # the month-end meeting's cards: those raised in the month (China days), the period checked first
    november = wuji(
        "supervision", "list", "--from", "2025-11-01", "--to", "2025-11-30", "--config", config[COUNTY]
    )
    assert november.returncode == 0 and case.id in november.stdout, november.stderr
    december = wuji("supervision", "list", "--from", "2025-12-01", "--config", config[COUNTY])
    assert december.returncode == 0 and case.id not in december.stdout and "没有黄牌或红牌" in december.stdout
    swapped = wuji(
        "supervision", "list", "--from", "2025-11-30", "--to", "2025-11-01", "--config", config[COUNTY]
    )
    assert swapped.returncode != 0 and "请对调两个日期" in swapped.stderr
    # the desk chooses the cards itself, by day raised, colour and department, as the web page does
    desk = federation.desk(COUNTY)
    [card] = desk.ListCards(desk_pb2.ListCardsRequest()).cards
    assert card.department, card

    def chosen(raised_from="", raised_to="", colour="", department="") -> list[str]:
        asked = desk_pb2.ListCardsRequest(
            raised_from=raised_from, raised_to=raised_to, colour=colour, department=department
        )
        return [found.case_id for found in desk.ListCards(asked).cards]

    assert chosen(raised_from="2025-12-01") == [] and chosen(raised_to="2025-11-17") == []
    assert chosen(raised_from="2025-11-18", raised_to="2025-11-18") == [case.id]
    assert chosen(colour="yellow") == [] and chosen(department="公安局") == []
    assert chosen(colour="red", department=card.department) == [case.id]
    yellow = wuji("supervision", "list", "--colour", "黄牌", "--config", config[COUNTY])
    assert yellow.returncode == 0 and "没有黄牌或红牌" in yellow.stdout, yellow.stderr
    red = wuji(
        "supervision", "list", "--colour", "red", "--department", card.department, "--config", config[COUNTY]
    )
    assert red.returncode == 0 and case.id in red.stdout and "红牌 1 张" in red.stdout, red.stderr
    other = wuji("supervision", "list", "--department", "公安局", "--config", config[COUNTY])
    assert other.returncode == 0 and case.id not in other.stdout, other.stderr
    green = wuji("supervision", "list", "--colour", "green", "--config", config[COUNTY])
    assert green.returncode == 2 and "yellow（黄牌）或 red（红牌）" in green.stderr
    elsewhere = wuji("supervision", "list", "--subtree", "430903000000", "--config", config[COUNTY])
    assert elsewhere.returncode == 1 and "not in the subtree" in elsewhere.stderr

    for action in ("review", "conclude"):
        assert wuji("case", action, case.id, "--config", config[TOWNSHIP]).returncode == 0
    wait_for(lambda: "办结" in wuji("case", "show", case.id, "--config", config[VILLAGE]).stdout, what="办结")
    rated = wuji("case", "rate", case.id, "--score", "2", "--comment", "超期", "--config", config[VILLAGE])
    assert rated.returncode == 0 and f"已评价 {case.id}：不满意（2 分）" in rated.stdout, rated.stderr
    assert "差评：已报送办理机构，由其整改并回访" in rated.stdout
    again = wuji("case", "rate", case.id, "--score", "5", "--config", config[VILLAGE])
    assert again.returncode == 1 and "一次一评" in again.stderr

    wait_for(
        lambda: (
            wuji("case", "rectify", case.id, "--visit", "电话回访", "--config", config[TOWNSHIP]).returncode
            == 0
        ),
        what="the rectification task at the township",
    )
    # times people read are Beijing time: the clock stands at 09:00 there (01:00 UTC)
    tasks = wuji("case", "rectifications", "--all", "--config", config[TOWNSHIP])
    assert tasks.returncode == 0 and case.id in tasks.stdout, tasks.stderr
    assert "2025-11-18 09:00" in tasks.stdout and "T01:00" not in tasks.stdout
    assert "共 1 项整改" in tasks.stdout
    appealed = wuji("rating", "appeal", case.id, "--reason", "超期因申请人补正", "--config", config[TOWNSHIP])
    assert appealed.returncode == 0, appealed.stderr
    appeals = wuji("rating", "appeals", "--config", config[TOWNSHIP])
    assert appeals.returncode == 0 and "申诉时间" in appeals.stdout and "超期因申请人补正" in appeals.stdout
    assert "2025-11-18 09:00" in appeals.stdout and "T01:00" not in appeals.stdout
    stats = wuji("stats", "--config", config[TOWNSHIP])
    assert stats.returncode == 0, stats.stderr
    assert "按时办结率" in stats.stdout and "0.0%" in stats.stdout and "差评整改率" in stats.stdout
    assert "100.0%" in stats.stdout  # the one 差评 was rectified
    assert "满意率" in stats.stdout and "部门 department" in stats.stdout  # the per-department table
    backwards = wuji("stats", "--from", "2025-11-30", "--to", "2025-11-01", "--config", config[TOWNSHIP])
    assert backwards.returncode != 0 and "起始日期 2025-11-30 晚于截止日期 2025-11-01" in backwards.stderr
    assert "申请日期：不限（全部办件）" in stats.stdout and "… – …" not in stats.stdout  # no dates given
    pending = wuji("rating", "appeals", "--config", config[TOWNSHIP]).stdout
    assert "待复核" in pending and "2分：超期" in pending and "pending" not in pending

    # the county, the township's supervising tier, decides: the rating is voided
    def appeals_at(code: str) -> str:
        return wuji("rating", "appeals", "--config", config[code]).stdout

    wait_for(lambda: case.id in appeals_at(COUNTY), what="the appeal at the county")
    decided = wuji("rating", "decide", case.id, "--void", "--note", "补正期间不计时",
                   "--config", config[COUNTY])  # fmt: skip
    assert decided.returncode == 0, decided.stderr
    assert f"申诉复核 {case.id}：撤销评价，不再计入统计：补正期间不计时" in decided.stdout
    wait_for(lambda: "撤销评价" in appeals_at(TOWNSHIP), what="the decision at the township")
    assert "补正期间不计时" in appeals_at(TOWNSHIP)


def test_stats_say_when_each_child_counted_its_rollup(federation, clock):
    """`wuji stats` gave a child's row no date: the county could not tell a township's figures of
    this morning from a week-old rollup, where the /stats page says 数据截至."""
    federation.start_chain()
    county, township = federation.nodes[COUNTY], federation.nodes[TOWNSHIP]
    case = submit(federation.desk(VILLAGE), "MZ-0003")
    wait_for(lambda: arrived(federation, TOWNSHIP, case.id), what="the case at the township")
    clock.set(china_morning(2025, 11, 5))
    township.stats.push_rollup()
    wait_for(lambda: TOWNSHIP in county.stats.rollups_as_of(), what="the township's rollup at the county")
    stats = wuji("stats", "--config", str(federation.config_path(COUNTY)))
    assert stats.returncode == 0, stats.stderr
    said = " ".join(stats.stdout.replace("│", " ").split())
    assert f"数据截至 {shanghai(county.stats.rollups_as_of()[TOWNSHIP])}" in said, stats.stdout
    assert "数据截至 2025-11-05 09:00" in said, stats.stdout
