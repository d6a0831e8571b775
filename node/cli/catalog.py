"""`wuji catalog …`: the service-item catalogue (事项目录)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from node.cases.states import State
from node.catalogue.implementation import LOCAL_FIELD_NAMES
from node.catalogue.items import ELEMENT_NAMES, ELEMENTS
from node.cli.common import (
    EXIT_REFUSED,
    ConfigPath,
    KeyedTable,
    NodeAddress,
    ask,
    console,
    fail,
    read_file,
    text_table,
    wide_terminal,
)
from node.errors import DomainError
from node.workdays import SOURCE_WORDS, STATUTORY, WEEKDAYS
from wuji.divisions import tier_level_words
from wuji.v1 import desk_pb2

catalog_app = typer.Typer(help="The service-item catalogue (事项目录).", no_args_is_help=True)
calendar_app = typer.Typer(help="The official working-day calendar (放假安排).", no_args_is_help=True)


@catalog_app.command("list")
def catalog_list(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """List the service items this node holds, with the tier that handles each."""
    reply = ask(config, node, lambda desk: desk.items())
    console.print(items_table(reply.items))
    console.print(
        f"事项目录第 {reply.catalog_version} 版，共 {len(reply.items)} 项 "
        f"(catalogue release {reply.catalog_version}: {len(reply.items)} items)"
    )


def items_table(items: Iterable[desk_pb2.ServiceItem], width: int | None = None) -> Table:
    """事项目录 as a table: a 子项 or 业务办理项 indented under its item, its code kept whole; in a
    narrow terminal (KeyedTable) the name under the code, and type and visits left to `catalog show`."""
    wide = wide_terminal(width)
    kind, visits = (("类型",), ("跑动次数",)) if wide else ((), ())
    headers = (*kind, "部门", "办理层级", "承诺/法定", "网办", *visits, "申请材料")
    table = KeyedTable("事项编码", "事项名称", *headers, width=width)
    for item in items:
        name = item.name + (f" · {item.claim.window_address}" if item.claim.window_address else "")
        cells = [
            item.department,
            tier_level_words(item.handling_tier),
            "即办" if item.instant else f"{item.promised_days}/{item.statutory_days}",
            item.online_level + (" · 跨省通办" if item.cross_province else ""),
            *((str(item.max_visits),) if wide else ()),
            _materials_count(item.materials),
        ]
        code = ("  " * {"子项": 1, "业务办理项": 2}.get(item.level, 0)) + item.code
        table.add_row(code, name, *((item.type,) if wide else ()), *cells)
    return table.table


def _materials_count(materials: Iterable[desk_pb2.RequiredMaterial]) -> str:
    """How many materials and how many may be 容缺: the names are in `catalog show` and 一次性告知书
    (listed here they folded every row over a dozen lines at 80 columns)."""
    listed = list(materials)
    deferrable = sum(1 for material in listed if material.deferrable)
    return f"{len(listed)} 项" + (f"（容缺 {deferrable}）" if deferrable else "")


@catalog_app.command("show")
def catalog_show(
    item: Annotated[str, typer.Argument(help="item code, e.g. MZ-0001")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """办事指南: every element of an item as the release carries it, with this node's local fields."""
    reply = ask(config, node, lambda desk: desk.items())
    found = next((i for i in reply.items if i.code == item.strip()), None)
    if found is None:
        version = reply.catalog_version
        fail(
            f"事项目录第 {version} 版中没有事项 {item} "
            f"(unknown item {item!r}: not in catalogue release {version})",
            EXIT_REFUSED,
        )
    console.print(f"[bold]{found.name}[/] ({found.code}), catalogue release {reply.catalog_version}")
    table = text_table("要素 (element)", "内容")
    for label, text in guide_rows(json.loads(found.elements_json)):
        table.add_row(label, text)
    for name, label in LOCAL_FIELD_NAMES.items():
        value = getattr(found.claim, name)
        if value:
            table.add_row(f"{label} {name}（本节点填写）", value)
    console.print(table)


def guide_rows(elements: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) per element of an item, in the catalogue's order: the element's Chinese name
    beside the key a catalogue file spells it with, its value in words (not JSON)."""
    ordered = [key for key in ELEMENTS if key in elements] + sorted(set(elements) - set(ELEMENTS))
    return [
        (f"{ELEMENT_NAMES.get(key, '')} {key}".strip(), _element_text(key, elements[key])) for key in ordered
    ]


def _element_text(key: str, value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "不收费" if key == "fees" else "—"
    match key:
        case "handling_tier":
            return tier_level_words(value)
        case "instant":
            return "即办件" if value else "承诺件"
        case "statutory_days" | "promised_days":
            return f"{value} 个工作日"
        case "max_visits":
            return f"{value} 次"
        case "max_material_mb":
            return f"{value} MB"
        case "conclude_with_deferred":
            return "容缺材料可在办结后补齐" if value else "容缺材料须在办结前补齐"
        case "conditions":
            return "\n".join(str(condition) for condition in value)
        case "materials":
            return "\n".join(f"{number}、{_material_text(m)}" for number, m in enumerate(value, 1))
        case "fees":
            return "\n".join(
                f"{fee['name']} {fee['amount']} 元" + (f"（依据 {fee['basis']}）" if fee.get("basis") else "")
                for fee in value
            )
        case "licence":
            years = int(value.get("valid_years") or 0)
            valid = f"{years} 年" if years else "长期"
            return f"{value['kind']}（证照类型代码 {value['type_code']}，有效期 {valid}）"
        case "partner_modes":
            return "\n".join(f"{province}：{'、'.join(modes)}" for province, modes in value.items())
        case "bundle":
            order = [f"{later} 在 {'、'.join(first)} 之后" for later, first in value.get("after", {}).items()]
            return "、".join(value["parts"]) + (f"（{'；'.join(order)}）" if order else "（并联办理）")
        case "notify_promise":
            return (
                f"承诺可代替 {'、'.join(value['replaces'])}；办结后 {value['post_check_days']} 个工作日内核查"
            )
        case "step_days":
            return "、".join(f"{State(step).label} {days} 个工作日" for step, days in value.items())
    if isinstance(value, bool):
        return "是" if value else "否"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _material_text(material: dict[str, Any]) -> str:
    notes = [
        material.get("form") or "",
        "必要" if material.get("required") else "非必要",
        "可容缺" if material.get("deferrable") else "",
        "可用电子证照免提交" if material.get("e_licence") else "",
    ]
    return f"{material['name']}（{'，'.join(note for note in notes if note)}）"


@catalog_app.command("publish")
def catalog_publish(
    file: Annotated[Path, typer.Argument(help="the catalogue file (JSON: name and items)")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """发布 (province): make FILE the next signed release; it flows down to every node as deltas."""
    document = read_file(file)
    reply = ask(config, node, lambda desk: desk.publish_catalog(document))
    if not reply.published:
        console.print(
            f"{file} 与现行的事项目录第 {reply.version} 版相同，未发布 "
            f"(equals the current release {reply.version}: nothing published)",
            highlight=False,
        )
        return
    console.print(
        f"已发布事项目录第 [bold]{reply.version}[/] 版：{reply.item_count} 项，摘要 {reply.digest[:16]}…，"
        f"由省级节点签名，将逐级下发 (published catalogue release {reply.version}, signed by the province)",
        highlight=False,
    )
    print_catalog_diff(reply.changes)


@catalog_app.command("verify")
def catalog_verify(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """Prove this node holds exactly its parent's release; exit code 0 only when it does."""
    report = ask(config, node, lambda desk: desk.verify_catalog())
    verdict = "[green]一致 (identical)[/]" if report.identical else "[red]不一致 (DIFFERENT)[/]"
    signed = report.compared_with == "signed release"
    other = "本省签名的发布版本" if signed else f"上级 {report.compared_with} 的"
    console.print(
        f"节点 {report.node_code} 第 {report.version} 版（{report.digest[:16]}…）与{other}"
        f"第 {report.other_version} 版（{report.other_digest[:16]}…）比对：{verdict}",
        highlight=False,
    )
    console.print(f"  {report.note}", highlight=False)
    if report.differences:
        table = text_table("事项编码", "事项名称", "差异")
        for difference in report.differences:
            table.add_row(
                difference.code, difference.name, _PROBLEMS.get(difference.problem, difference.problem)
            )
        console.print(table)
    raise typer.Exit(0 if report.identical else EXIT_REFUSED)


# How an item of this node's release differs from its parent's (CatalogVerification's keys).
_PROBLEMS = {"missing here": "本节点缺少此项", "only here": "上级没有此项", "differs": "内容与上级不同"}


@catalog_app.command("diff")
def catalog_diff(
    before: Annotated[str, typer.Argument(help="a release version held at the node, or a catalogue file")],
    after: Annotated[str, typer.Argument(help="a release version (0 = current), or a catalogue file")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Show what changed between two releases (or two catalogue files), item by item."""
    from node.catalogue.diff import diff_items, to_proto
    from node.catalogue.items import load_document

    if not before.isdigit() and not after.isdigit():
        try:
            old, new = load_document(Path(before)), load_document(Path(after))
        except DomainError as error:
            fail(str(error))
        print_catalog_diff(to_proto(diff_items(old.by_code(), new.by_code()), 0, 0))
        return
    if not (before.isdigit() and after.isdigit()):
        fail("请给出两个版本号，或两个事项目录文件 (give two release versions, or two catalogue files)")
    print_catalog_diff(ask(config, node, lambda desk: desk.diff_catalog(int(before), int(after))))


def print_catalog_diff(diff: desk_pb2.CatalogDiff) -> None:
    """Item by item, each changed element by its Chinese name and its values in words; a change of
    materials (or conditions) as what was added and what was taken out, not two JSON lists."""
    if diff.to_version:
        console.print(
            f"第 {diff.from_version} 版 → 第 {diff.to_version} 版：{len(diff.changes)} 个事项有变化",
            highlight=False,
        )
    marks = {
        "added": "[green]+ 新增[/]",
        "withdrawn": "[red]- 退出目录[/]",
        "changed": "[yellow]~ 变更[/]",
    }
    for change in diff.changes:
        console.print(f"{marks.get(change.kind, change.kind)} {change.code} {change.name}", highlight=False)
        for field in change.fields:
            for line in element_change_lines(field.field, json.loads(field.before), json.loads(field.after)):
                console.print(f"    {line}", highlight=False)
    if not diff.changes:
        console.print("没有差异 (no differences)")


def element_change_lines(key: str, before: Any, after: Any) -> list[str]:
    """What a change of one element says in a 目录比对: `承诺时限：10 个工作日 → 5 个工作日`;
    materials and conditions by what was added, taken out or changed among them."""
    label = ELEMENT_NAMES.get(key, key)
    if key == "materials" and isinstance(before, list) and isinstance(after, list):
        old = {material["name"]: material for material in before}
        new = {material["name"]: material for material in after}
        lines = [f"新增材料：{_material_text(new[name])}" for name in new if name not in old]
        lines += [f"删去材料：{_material_text(old[name])}" for name in old if name not in new]
        lines += [
            f"改动材料：{_material_text(old[name])} → {_material_text(new[name])}"
            for name in new
            if name in old and old[name] != new[name]
        ]
        if list(old) != list(new) and set(old) == set(new):
            lines.append("申请材料的顺序有调整")
        # a name listed more or fewer times (a release published before duplicates were refused)
        # is no change by name: say how often each is listed, never print a bare 变更
        counts = [Counter(material["name"] for material in side) for side in (before, after)]
        lines += [
            f"材料 {name} 列出的次数：{counts[0][name]} → {counts[1][name]}"
            for name in new
            if name in old and counts[0][name] != counts[1][name]
        ]
        if not lines and before != after:
            shown = ["；".join(_material_text(m) for m in side) or "—" for side in (before, after)]
            lines.append(f"{label}：{shown[0]} → {shown[1]}")
        return lines
    if key == "conditions" and isinstance(before, list) and isinstance(after, list):
        lines = [f"新增受理条件：{condition}" for condition in after if condition not in before]
        return lines + [f"删去受理条件：{condition}" for condition in before if condition not in after]
    shown = [_element_text(key, value).replace("\n", "；") for value in (before, after)]
    return [f"{label}：{shown[0]} → {shown[1]}"]


@catalog_app.command("claim")
def catalog_claim(
    item: Annotated[
        str, typer.Argument(help="item code to claim (认领) for this node's implementation list")
    ],
    window_address: Annotated[str | None, typer.Option(help="where the window is")] = None,
    phone: Annotated[str | None, typer.Option(help="enquiry phone")] = None,
    opening_hours: Annotated[str | None, typer.Option(help="e.g. 周一至周五 9:00-17:00")] = None,
    local_notes: Annotated[str | None, typer.Option(help="local guidance for applicants")] = None,
    set_field: Annotated[
        list[str] | None, typer.Option("--set", help="FIELD=VALUE (only local fields are accepted)")
    ] = None,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """认领: add an item to this node's implementation list with local fields only."""
    fields = {
        name: value
        for name, value in (
            ("window_address", window_address),
            ("phone", phone),
            ("opening_hours", opening_hours),
            ("local_notes", local_notes),
        )
        if value is not None
    }
    for assignment in set_field or []:
        name, equals, value = assignment.partition("=")
        if not equals:
            fail(
                f"--set 应写成 字段=内容（如 phone=0737-1234567），不是 {assignment} "
                "(--set wants FIELD=VALUE)"
            )
        fields[name.strip()] = value
    claim = ask(config, node, lambda desk: desk.claim_item(item, fields))
    console.print(
        f"节点 {claim.node_code} 已认领 {claim.item_name}（{claim.item_code}，"
        f"事项目录第 {claim.catalog_version} 版）："
        f"办理地点 {claim.window_address or '—'}，咨询电话 {claim.phone or '—'}，"
        f"办公时间 {claim.opening_hours or '—'} "
        f"({claim.node_code} claims {claim.item_code}, release {claim.catalog_version})",
        highlight=False,
    )


@calendar_app.command("publish")
def calendar_publish(
    file: Annotated[Path, typer.Argument(help='JSON {"year": …, "holidays": [...], "workdays": [...]}')],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """发布 (province): the State Council's holidays and 调休 days of a year, signed; they flow down."""
    document = read_file(file)
    reply = ask(config, node, lambda desk: desk.publish_calendar(document))
    console.print(
        f"已发布 [bold]{reply.year}[/] 年工作日历：放假 {reply.holidays} 天，调休上班 {reply.workdays} 天，"
        f"摘要 {reply.digest[:16]}…，由省级节点签名，将逐级下发 (published the working-day calendar of "
        f"{reply.year}, signed by the province)",
        highlight=False,
    )


@calendar_app.command("show")
def calendar_show(
    year: Annotated[int, typer.Argument(help="the year (default: this year in China)")] = 0,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """工作日历: the working days this node counts a year's time limits on, and on whose word."""
    view = ask(config, node, lambda desk: desk.calendar(year))
    source = SOURCE_WORDS.get(view.source, view.source)
    console.print(f"[bold]{view.year} 年工作日历[/]：{source}", highlight=False)
    if view.source == STATUTORY:
        console.print(
            "[yellow]省级节点发布本年放假通知（wuji calendar publish）后，在办的期限即按通知重新计算[/]",
            highlight=False,
        )
    console.print(f"全年工作日 {view.working_days} 天", highlight=False)
    off, worked = view.days_off, view.worked_weekends
    console.print(f"放假（周一至周五不上班）{len(off)} 天：{_days(off)}", highlight=False)
    console.print(f"调休上班（周末上班）{len(worked)} 天：{_days(worked)}", highlight=False)


def _days(days: Iterable[str]) -> str:
    """ISO dates as a notice writes them, 10月1日（周四）; a space between them, where a line may break."""
    shown = []
    for day in map(date.fromisoformat, days):
        shown.append(f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）")
    return " ".join(shown) or "无"
