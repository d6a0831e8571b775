"""`wuji rating …`, `wuji supervision …` and `wuji stats`: 好差评 appeals, cards, statistics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from node.cases.states import State
from node.cli.cases import cards_table
from node.cli.common import (
    ConfigPath,
    KeyedTable,
    NodeAddress,
    ask,
    ask_named,
    china_time,
    console,
    fail,
    place,
    print_list,
    text_table,
    wide_terminal,
)
from node.errors import InvalidInput
from node.supervision.period import parse_period
from node.supervision.stats import shown_rate
from node.timeutil import from_timestamp, shanghai
from wuji.v1 import desk_pb2

supervision_app = typer.Typer(
    help="Electronic supervision (电子监察): cards in a subtree.", no_args_is_help=True
)
rating_app = typer.Typer(help="好差评 appeals (申诉复核) against a rating.", no_args_is_help=True)


@rating_app.command("appeal")
def rating_appeal(
    case_id: str,
    reason: Annotated[str, typer.Option(help="why the rating is mistaken or malicious")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """申诉复核: the handling node appeals a rating to its supervising tier."""
    appeal = ask(config, node, lambda desk: desk.appeal(case_id, reason))
    console.print(f"已申诉 {appeal.case_id}：报送上级复核（{appeal.score} 分的评价）", highlight=False)


@rating_app.command("decide")
def rating_decide(
    case_id: str,
    void: Annotated[bool, typer.Option("--void/--uphold", help="void the rating, or let it stand")],
    note: Annotated[str, typer.Option(help="the grounds of the decision")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Decide an appeal at the supervising tier: --void or --uphold the rating."""
    appeal = ask(config, node, lambda desk: desk.decide_appeal(case_id, void, note))
    console.print(f"申诉复核 {appeal.case_id}：{_decision(appeal)}（复核结果发往办理机构）", highlight=False)


@rating_app.command("appeals")
def rating_appeals(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """Appeals filed at this node and appeals waiting for its decision."""
    appeals, names = ask_named(
        config, node, lambda desk: desk.appeals(), lambda found: [appeal.handler for appeal in found]
    )
    print_list(appeals_table(appeals, names), f"共 {len(appeals)} 件申诉" if appeals else "没有申诉")


# a supervising tier's answer to an appeal, as the handler reads it
DECISION_WORDS = {"upheld": "维持评价", "voided": "撤销评价，不再计入统计"}


def _decision(appeal: desk_pb2.AppealView) -> str:
    if not appeal.decision:
        return "待复核"
    words = DECISION_WORDS.get(appeal.decision, appeal.decision)
    return words + (f"：{appeal.decision_note}" if appeal.decision_note else "")


def appeals_table(
    appeals: Iterable[desk_pb2.AppealView], names: Mapping[str, str], width: int | None = None
) -> Table:
    """申诉复核: each appeal named by its case and where it was handled; in a narrow terminal the
    reason with when it was filed, and the decision with when it was made."""
    wide = wide_terminal(width)
    filed_column = ("申诉时间 (北京时间)",) if wide else ()
    table = KeyedTable("办件", "办理地", "评价", "申诉理由", *filed_column, "复核结果", width=width)
    if not wide:
        table.keep_dates_whole("申诉理由", "复核结果")  # each ends in its date
    for appeal in appeals:
        rating = f"{appeal.score}分" + (f"：{appeal.comment}" if appeal.comment else "")
        filed = china_time(appeal.filed_at, marked=False)
        if wide:
            cells = [rating, appeal.reason, filed, _decision(appeal)]
        else:
            decided = china_time(appeal.decided_at, marked=False)
            decision = _decision(appeal) + (f"\n{decided}" if decided else "")
            cells = [rating, f"{appeal.reason}\n{filed} 申诉", decision]
        table.add_row(appeal.case_id, place(appeal.handler, names), *cells)
    return table.table


# -- supervision and statistics ---------------------------------------------------------------


# what `--colour` takes, in either language
COLOUR_TYPED = {
    "yellow": "yellow",
    "黄": "yellow",
    "黄牌": "yellow",
    "red": "red",
    "红": "red",
    "红牌": "red",
}


@supervision_app.command("list")
def supervision_list(
    subtree: Annotated[str, typer.Option(help="a node code below this one (default: all of it)")] = "",
    include_closed: Annotated[bool, typer.Option("--all", help="also cards whose cause is over")] = False,
    from_day: Annotated[str, typer.Option("--from", help="first day raised, YYYY-MM-DD (China)")] = "",
    to_day: Annotated[str, typer.Option("--to", help="last day raised, YYYY-MM-DD (China)")] = "",
    colour: Annotated[str, typer.Option(help="yellow (黄牌) or red (红牌); default both")] = "",
    department: Annotated[str, typer.Option(help="only cards of this handling department, e.g. 民政局")] = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Open supervision cards (黄牌 预警, 红牌) of cases handled in this node's subtree."""
    try:
        parse_period(from_day, to_day)  # refused before the node is asked
    except InvalidInput as refused:
        fail(str(refused))
    asked_colour = COLOUR_TYPED.get(colour.strip().lower(), colour.strip()) if colour.strip() else ""
    if asked_colour not in ("", "yellow", "red"):
        fail(f"牌色只能是 yellow（黄牌）或 red（红牌），不是 {colour} (--colour yellow|red)")
    cards, names = ask_named(
        config,
        node,
        lambda desk: desk.cards(subtree, include_closed, from_day, to_day, asked_colour, department),
        lambda found: [card.handler for card in found],
    )
    yellow = sum(card.colour == "yellow" for card in cards)
    counted = f"共 {len(cards)} 张：黄牌 {yellow} 张，红牌 {len(cards) - yellow} 张"
    print_list(cards_table(cards, names), counted if cards else "没有黄牌或红牌")


def stats(
    from_day: Annotated[str, typer.Option("--from", help="first day of submission, YYYY-MM-DD")] = "",
    to_day: Annotated[str, typer.Option("--to", help="last day of submission, YYYY-MM-DD")] = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """统计: this node's own figures and its whole subtree's (from its children's rollups)."""
    report, names = ask_named(config, node, lambda desk: desk.stats(from_day, to_day), _children_of)
    table = text_table("指标", f"本节点 ({report.node})", "本级及下级")
    own, subtree = report.own, report.subtree
    for label, key in (
        ("办件 cases", "cases"),
        *((f"{State(s).label} {s}", f"state:{s}") for s in State),
        ("已办结（含已送达） concluded", "concluded"),
        ("差评 bad ratings", "bad_ratings"),
        ("黄牌 yellow cards", "cards:yellow"),
        ("红牌 red cards", "cards:red"),
    ):
        table.add_row(label, str(own.counts.get(key, 0)), str(subtree.counts.get(key, 0)))
    for label, field in (
        ("按时办结率 on time", "on_time_rate"),
        ("提前办结率 early", "early_rate"),
        ("网办率 online", "online_rate"),
        ("满意率 satisfied (4–5)", "satisfied_rate"),
        ("差评整改率 rectified", "rectification_rate"),
        ("满意度 satisfaction (1–5)", "satisfaction"),
    ):
        table.add_row(label, shown_rate(own, field), shown_rate(subtree, field))
    console.print(table)
    if report.by_department:
        console.print(breakdown_table("部门 department (own cases)", report.by_department))
    if report.by_child:
        console.print(breakdown_table("下级 child node (its subtree)", report.by_child, names))
    children = "、".join(place(code, names) for code in report.reporting_children) or "尚无 (none yet)"
    span = submission_span(report.from_day, report.to_day)
    console.print(f"申请日期：{span}；下级汇总来自 {children} (rollups from children)", highlight=False)


def submission_span(from_day: str, to_day: str) -> str:
    """The days `wuji stats` counted, as said: 不限 rather than `… – …` when none were given."""
    if from_day and to_day:
        return f"{from_day} 至 {to_day}"
    if from_day:
        return f"{from_day} 起"
    return f"至 {to_day}" if to_day else "不限（全部办件）"


def _children_of(report: desk_pb2.StatsReport) -> list[str]:
    return [*report.reporting_children, *(row.key for row in report.by_child)]


def breakdown_table(
    title: str, rows: Iterable[desk_pb2.Breakdown], names: Mapping[str, str] | None = None
) -> Table:
    """Figures per department, or per child node (`names`: the children's, as the node gives them)."""
    # counts, not case ids: a column headed "办件" is kept as wide as a case id (common.IDENTIFIER_WIDTHS)
    table = text_table(title, "办件数", "办结数", "按时办结率", "网办率", "满意率", "差评", "黄/红牌")
    for row in rows:
        figures = row.figures
        key = place(row.key, names) if names is not None else row.key
        if row.HasField("as_of"):  # a child's rollup: as recent as it counted it, not as this report
            key += f"\n数据截至 {shanghai(from_timestamp(row.as_of))}"
        table.add_row(
            key,
            str(figures.counts.get("cases", 0)),
            str(figures.counts.get("concluded", 0)),
            shown_rate(figures, "on_time_rate"),
            shown_rate(figures, "online_rate"),
            shown_rate(figures, "satisfied_rate"),
            str(figures.counts.get("bad_ratings", 0)),
            f"{figures.counts.get('cards:yellow', 0)}/{figures.counts.get('cards:red', 0)}",
        )
    return table
