"""`wuji case …` and `wuji bundle …`: cases (办件) and bundles (一件事) at a node's desk."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from node.cases import submissions
from node.cases.bundles import progress
from node.cases.queues import MAX_PAGE, page_size
from node.cases.states import Action, State
from node.cli.common import (
    BUNDLE_ID_WIDTH,
    EXIT_REFUSED,
    CaseTable,
    ConfigPath,
    NodeAddress,
    Note,
    ask,
    ask_named,
    china_time,
    console,
    fail,
    place,
    print_list,
    resending,
    text_table,
    wide_terminal,
)
from node.desk.client import DeskClient, material_from
from node.supervision.ratings import SCORE_LABELS
from node.timeutil import from_timestamp, shanghai
from node.trust.sealing import RESULT_WAITS
from node.web.uplink import Uplink
from signing.seals import SealedDocument, SealError
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2, desk_pb2

case_app = typer.Typer(help="Cases (办件) at a node's desk.", no_args_is_help=True)
bundle_app = typer.Typer(help="一件事一次办: bundles of items applied for at once.", no_args_is_help=True)


CHANNELS = {"window": "窗口", "agent": "代办", "online": "网办"}


def events_table(
    events: Iterable[case_pb2.CaseEvent], names: Mapping[str, str], width: int | None = None
) -> Table:
    """A case's events; in a narrow terminal the route goes under the event, where it differs from
    the route before (a fifth column of division codes squeezed the notes and the people to a few
    characters a line, and every event after 受理 travels the same way down)."""
    wide = wide_terminal(width)
    table = text_table("版本", "时间 (北京时间)", "事件", "办理人", *(("路径",) if wide else ()))
    previous_route = ""
    for event in events:
        to_state = State(case_pb2.CaseState.Name(event.to_state))
        action = Action(case_pb2.CaseAction.Name(event.action)).label if event.action else "申请"
        parts = (place(event.actor_node, names), event.actor_department, event.actor_person)
        words = _event_words(action, to_state)
        if event.correct_materials:
            words += f"（需补正：{'、'.join(event.correct_materials)}）"
        words += f" — {event.note}" if event.note else ""
        route = " → ".join(event.route)
        cells = [words, " ".join(part for part in parts if part)]
        if wide:
            cells.append(route)
        elif route and route != previous_route:
            cells[0] += f"\n经 {route}"
        previous_route = route
        table.add_row(str(event.version), shanghai(from_timestamp(event.at), seconds=True), *cells)
    return table


def state_text(case: case_pb2.Case) -> str:
    text = State(case_pb2.CaseState.Name(case.state)).label
    if case.outcome:
        text += "·" + ("准予" if case.outcome == case_pb2.APPROVED else "不予")
    return text


def parse_state(text: str) -> State:
    """A state from its Chinese name (办结) or its English one (CONCLUDED, concluded)."""
    value = text.strip()
    for state in State:
        if value in (state.label, state.value, state.value.lower()):
            return state
    fail(f"unknown state {value!r}: one of {'、'.join(f'{s.label} ({s.value})' for s in State)}")


def case_codes(case: case_pb2.Case) -> list[str]:
    """The offices a printed case names."""
    codes = [case.origin, case.handler, *(event.actor_node for event in case.events)]
    return [*codes, *(part.handler for part in case.parts), *(card.handler for card in case.cards)]


def _event_words(action: str, to_state: State) -> str:
    """受理, 办结(准予): the state is said only where the action's word does not say it (补正材料 → 申请)."""
    return action if action.startswith(to_state.label) else f"{action} → {to_state.label}"


def print_case(case: case_pb2.Case, names: Mapping[str, str] | None = None) -> None:
    names = names or {}
    console.print(f"[bold]{case.id}[/]  {case.item_name} ({case.item_code})", highlight=False)
    console.print(
        f"  状态 {state_text(case)} · 申请地 {place(case.origin, names)}"
        + f" · 办理地 {place(case.handler, names)}"
        + (f" {case.department}" if case.department else "")
        + f" · 申请人 {case.applicant.name} · 提交 {shanghai(from_timestamp(case.submitted_at))}"
        + (f" · {CHANNELS.get(case.channel, case.channel)}" if case.channel else "")
        + (f" · 首问负责 {case.responsible_person}" if case.responsible_person else "")
        + (f" · 目录版本 {case.catalog_version}" if case.catalog_version else ""),
        highlight=False,
    )
    if case.materials:
        files = text_table("编号", "材料", "文件", "类型", "大小", "用途")
        for material in case.materials:
            files.add_row(
                str(material.id),
                material.name + (f" (电子证照 {material.licence})" if material.licence else ""),
                material.file_name,
                material.media_type,
                f"{material.size:,} B",
                {"submitted": "申请", "correction": "补正", "supplied": "补齐"}.get(material.purpose, ""),
            )
        console.print(files)
    if case.events:
        console.print(events_table(case.events, names))
    if case.mode:
        console.print(f"  跨省通办 {case.mode}" + (f" · 联办主件 {case.joint_of}" if case.joint_of else ""))
    for part in case.parts:
        part_state = State(case_pb2.CaseState.Name(part.state)).label
        console.print(
            f"  子项 {part.case_id}（{part.item_name}）· 办理地 {place(part.handler, names)} · {part_state}",
            highlight=False,
        )
    if case.HasField("identity_check"):
        check = case.identity_check
        verdict = ("核验通过" if check.confirmed else "核验未通过") if check.answered else "等待答复"
        console.print(f"  身份核验（{check.province}）：{verdict} {check.detail}", highlight=False)
    if case.cards:
        console.print(cards_table(case.cards, names))
    if case.bundle_id:
        console.print(f"  一件事 {case.bundle_id} 的子项", highlight=False)
    for missing in case.missing_materials:
        supplied = (
            f"{shanghai(from_timestamp(missing.supplied_at))} 已补齐"
            if missing.HasField("supplied_at")
            else "未补齐"
        )
        console.print(
            f"  容缺 {missing.name}：承诺 {missing.promised_on} 前补齐，{supplied}", highlight=False
        )
    if case.HasField("promise"):
        console.print(
            f"  告知承诺（{case.promise.signed_by} 签署，代替 {'、'.join(case.promise.replaces)}）："
            f"{case.promise.text}",
            highlight=False,
        )
    if case.HasField("post_check"):
        post_check = case.post_check
        done = china_time(post_check.done_at, marked=False)
        state = f"{done} 核查{_verdict(post_check.passed)}" if post_check.done_at else "待核查"
        console.print(f"  核查期限 {post_check.due_on}：{state} {post_check.finding}", highlight=False)


def cards_table(
    cards: Iterable[case_pb2.SupervisionCard],
    names: Mapping[str, str] | None = None,
    width: int | None = None,
) -> Table:
    """Supervision cards; in a narrow terminal (CaseTable) each card's words go under its case id,
    and the place and times give way to whom it is held against and its limit."""
    if not wide_terminal(width):
        narrow = CaseTable("责任", "时限", width=width, under="说明")
        for card in cards:
            closed = "（已关闭）" if card.HasField("closed_at") else ""
            limit = f"{card.deadline} {_colour_words(card.colour)}{closed}"
            narrow.add_row(card.case_id, card.detail, f"{card.department} {card.person}".strip(), limit)
        return narrow.table
    table = text_table("牌", "办件", "办理地", "责任部门", "责任人", "时限", "亮牌时间", "说明", "关闭时间")
    for card in cards:
        colour = "[bold yellow]黄牌 预警[/]" if card.colour == "yellow" else "[bold red]红牌[/]"
        table.add_row(
            colour,
            card.case_id,
            place(card.handler, names or {}),
            card.department,
            card.person,
            card.deadline,
            shanghai(from_timestamp(card.raised_at)),
            card.detail,
            shanghai(from_timestamp(card.closed_at)) if card.HasField("closed_at") else "",
        )
    return table


def listed_codes(cases: list[case_pb2.Case]) -> list[str]:
    return [code for case in cases for code in (case.origin, case.handler)]


def cases_table(
    cases: list[case_pb2.Case], names: Mapping[str, str] | None = None, width: int | None = None
) -> Table:
    """Cases as a table; in a narrow terminal (CaseTable) the places and the time of submission
    give way too, and the card stands beside the time limit (`case show` has them all)."""
    wide = wide_terminal(width)
    more = ("监察", "申请地", "办理地", "提交时间") if wide else ()
    table = CaseTable("申请人", "状态", "时限", *more, width=width)
    for case in cases:
        limit = case.due_on or (f"受理期限 {case.accept_by}" if case.accept_by else "")
        if not wide:
            due = f"{limit} {_colour_words(case.supervision)}".strip()
            table.add_row(case.id, case.item_name, case.applicant.name, state_text(case), due)
            continue
        table.add_row(
            case.id,
            case.item_name,
            case.applicant.name,
            state_text(case),
            limit,
            _colour_words(case.supervision),
            place(case.origin, names or {}),
            place(case.handler, names or {}),
            shanghai(from_timestamp(case.submitted_at)),
        )
    return table.table


def _colour_words(colour: str) -> str:
    return {"yellow": "[yellow]黄牌[/]", "red": "[red]红牌[/]"}.get(colour, "")


Defer = Annotated[
    list[str] | None, typer.Option("--defer", help="容缺: a deferrable material missing now (repeatable)")
]
PromisedOn = Annotated[str, typer.Option(help="容缺: ISO date the missing materials are promised by")]
PromiseText = Annotated[str, typer.Option("--promise", help="告知承诺: the text the applicant signed")]
PromiseReplaces = Annotated[
    list[str] | None, typer.Option("--replaces", help="告知承诺: a proof the promise replaces (repeatable)")
]
Signature = Annotated[Path | None, typer.Option(help="告知承诺: the applicant's captured signature (a file)")]
MaterialSpec = Annotated[
    list[str] | None,
    typer.Option("--material", help="NAME=FILE, or FILE named as the item lists it (repeatable)"),
]


def _promise(
    text: str, replaces: list[str] | None, signature: Path | None, signer: str
) -> case_pb2.Promise | None:
    if not text:
        if replaces or signature:
            fail("--replaces and --signature go with --promise")
        return None
    if signature is None or not signature.is_file():
        fail("告知承诺须有申请人签名：--signature FILE (a promise needs the applicant's signature)")
    return case_pb2.Promise(
        text=text, replaces=replaces or [], signed_by=signer, signature=signature.read_bytes()
    )


def _material(spec: str) -> case_pb2.Material:
    name, _, file = spec.rpartition("=") if "=" in spec else ("", "", spec)
    path = Path(file)
    if not path.is_file():
        fail(f"找不到材料文件 {path} (no such material file)")
    return material_from(path, name.strip())


def _licence(spec: str) -> case_pb2.Material:
    """无证明: NAME=IDENTIFIER=FILE, the holder's electronic licence (its sealed file) for a material."""
    parts = spec.split("=", 2)
    if len(parts) != 3 or not all(part.strip() for part in parts):
        fail(f"--licence {spec!r}: give NAME=IDENTIFIER=FILE (the material, the licence, its sealed file)")
    name, identifier, file = (part.strip() for part in parts)
    path = Path(file)
    if not path.is_file():
        fail(f"找不到电子证照文件 {path} (no such licence file)")
    return material_from(path, name, licence=identifier)


@case_app.command("submit")
def case_submit(
    item: Annotated[str, typer.Argument(help="item code, e.g. MZ-0001 (see `wuji catalog list`)")],
    name: Annotated[str, typer.Option(help="applicant's name")],
    id_number: Annotated[str, typer.Option(help="applicant's ID number or credit code")],
    phone: Annotated[str, typer.Option(help="applicant's phone")] = "",
    material: MaterialSpec = None,
    licence: Annotated[
        list[str] | None,
        typer.Option(help="无证明: NAME=IDENTIFIER=FILE, an electronic licence standing in for a material"),
    ] = None,
    channel: Annotated[str, typer.Option(help="online for an application made online (网办)")] = "",
    home: Annotated[str, typer.Option(help="applicant's home division when it decides the handler")] = "",
    mode: Annotated[str, typer.Option(help="跨省通办: 全程网办, 异地代收代办 or 两地联办")] = "",
    place: Annotated[str, typer.Option(help="全程网办: the division where the matter is handled")] = "",
    defer: Defer = None,
    promised_on: PromisedOn = "",
    promise: PromiseText = "",
    replaces: PromiseReplaces = None,
    signature: Signature = None,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """申请: submit a citizen's case at this node (容缺: --defer; 告知承诺: --promise)."""
    files = [_material(spec) for spec in material or []] + [_licence(spec) for spec in licence or []]
    signed = _promise(promise, replaces, signature, name)
    key = submissions.new_key()  # one application, however often it is sent
    case, names = ask_named(
        config,
        node,
        resending(
            lambda desk: desk.submit(
                item,
                name,
                id_number,
                phone,
                files,
                home,
                mode,
                place,
                deferred=defer or [],
                promised_on=promised_on,
                promise=signed,
                channel=channel,
                submission_key=key,
            )
        ),
        case_codes,
    )
    print_case(case, names)
    if case.handler != case.origin:
        _say_if_held(config, node)


def _say_if_held(config: Path, node: str) -> None:
    """While the link up is down, the agent hears that the case waits here and goes up by itself
    (the words of the front desk's header line)."""
    described = ask(config, node, lambda desk: desk.describe())
    parent = next((link for link in described.links if link.role == "parent"), None)
    if parent is not None and not parent.connected:
        held = Uplink(parent.peer_name or parent.peer, False, parent.outbox_depth)
        console.print(f"[yellow]{held.words}[/]", highlight=False)


@case_app.command("show")
def case_show(case_id: str, config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """Show a case, its materials and its events as this node knows them (any unique beginning of
    the id will do)."""
    print_case(*ask_named(config, node, lambda desk: desk.get(case_id), case_codes))


@case_app.command("result")
def case_result(
    case_id: Annotated[str, typer.Argument(help="the case (any unique beginning of its id)")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="the file to write (default: <case id>.sealed)")
    ] = None,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """办理结果: write the case's sealed result (signed, time-stamped) to a file, to hand over or to
    check with `wuji seal verify`."""
    case = ask(config, node, lambda desk: desk.get(case_id))
    concluded = case.state in (case_pb2.CONCLUDED, case_pb2.DELIVERED)
    # concluded here without a result to hand out: it waits for the province's time-stamp
    if (
        not case.sealed_result
        and concluded
        and ask(config, node, lambda desk: desk.describe()).code == case.handler
    ):
        fail(f"办件 {case.id}：{RESULT_WAITS} (the sealed result waits for its time-stamp)", EXIT_REFUSED)
    if not case.sealed_result:
        state = State(case_pb2.CaseState.Name(case.state)).label
        missing = f"办件 {case.id} 在此节点尚无加盖印章的办理结果（状态 {state}）(no sealed result here yet)"
        fail(missing, EXIT_REFUSED)
    target = out or Path(f"{case.id}.sealed")
    try:
        target.write_bytes(case.sealed_result)
    except OSError as error:
        fail(f"cannot write {target}: {error}")
    console.print(f"已保存办理结果：{target}（{len(case.sealed_result):,} 字节）", highlight=False)
    console.print(f"核验：wuji seal verify {target} --config {config}", highlight=False)
    if _carries_revocation_values(case.sealed_result):
        console.print(
            "文件附有签章之后签发的吊销列表：在其他节点或外省，仅凭省级根证书即可核验签章时未被吊销"
            f"（wuji seal verify {target} --trust 根证书.pem --require-revocation）",
            highlight=False,
        )


def _carries_revocation_values(document: bytes) -> bool:
    try:
        return bool(SealedDocument.from_bytes(document).revocation_values)
    except SealError:
        return False


PageLimit = Annotated[int, typer.Option(min=1, max=MAX_PAGE, help="at most this many cases")]
Score = Annotated[
    int, typer.Option(min=1, max=5, help="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
]
Comment = Annotated[str, typer.Option(help="the applicant's comment")]


@case_app.command("list")
def case_list(
    state: Annotated[str, typer.Option(help="only cases in this state, e.g. 办结 or CONCLUDED")] = "",
    role: Annotated[str, typer.Option(help="'origin' (applied here) or 'handler' (handled here)")] = "",
    limit: PageLimit = 100,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """List cases at a node, newest first."""
    state_value = case_pb2.CaseState.Value(parse_state(state).value) if state else 0
    listed = lambda desk: desk.list_cases(state_value, role, limit)  # noqa: E731
    cases, names = ask_named(config, node, listed, listed_codes)
    print_list(cases_table(cases, names), count_line(len(cases), limit))


@case_app.command("queue")
def case_queue(
    queue: Annotated[str, typer.Argument(help="待受理, 待审核, 待办结, 补正中 or 即将超期")],
    department: Annotated[str, typer.Option(help="the department (default: yours)")] = "",
    limit: PageLimit = 50,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """A department's queue at this node, the most urgent first, with due dates and cards."""
    cases, names = ask_named(config, node, lambda desk: desk.queue(queue, department, limit), listed_codes)
    print_list(cases_table(cases, names), f"{queue}：{count_line(len(cases), limit)}")


@case_app.command("search")
def case_search(
    text: Annotated[str, typer.Argument(help="name, identity number, phone or case id (its beginning)")],
    limit: PageLimit = 50,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """查询: cases by the applicant's name, identity number or phone, or by the beginning of an id."""
    cases, names = ask_named(config, node, lambda desk: desk.search(text, limit), listed_codes)
    print_list(cases_table(cases, names), count_line(len(cases), limit))


def count_line(shown: int, limit: int) -> str:
    """How many cases a list shows; when it fills its page, that there may be more (a full page
    of 50 read as "50 cases" hid the rest of a queue)."""
    if shown >= page_size(limit):
        more = "用 --limit 显示更多" if shown < MAX_PAGE else "请按状态或关键词缩小范围"
        return f"只显示前 {shown} 件，可能还有更多，{more} (the first {_cases(shown)}; there may be more)"
    return f"共 {shown} 件 ({_cases(shown)})" if shown else "没有办件 (no cases)"


def _cases(count: int) -> str:
    return f"{count} case" + ("" if count == 1 else "s")


@case_app.command("material")
def case_material(
    case_id: str,
    material_id: Annotated[int, typer.Argument(help="the material's number (编号, see `wuji case show`)")],
    out: Annotated[Path | None, typer.Option(help="where to write the file (default: its own name)")] = None,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Fetch a material's file of a case (at its handler, or where it was given)."""
    material = ask(config, node, lambda desk: desk.material(case_id, material_id))
    target = out or Path(material.file_name or f"material-{material_id}")
    target.write_bytes(material.content)
    console.print(f"{material.name}：已保存 {target}（{len(material.content):,} 字节）", highlight=False)


@case_app.command("visits")
def case_visits(
    include_done: Annotated[bool, typer.Option("--all", help="also visits already recorded")] = False,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """全量回访: the return visits of concluded cases applied for here."""
    visits = ask(config, node, lambda desk: desk.visits(include_done))
    print_list(visits_table(visits), f"共 {len(visits)} 件待回访" if visits else "没有待回访的办件")


def visits_table(visits: Iterable[desk_pb2.ReturnVisit], width: int | None = None) -> Table:
    """The return visits; in a narrow terminal the phone goes under the applicant, and who called
    and what they noted under the visit's outcome (seven columns beside a case id folded the
    number to call over lines)."""
    visits = list(visits)
    if wide_terminal(width):
        table = CaseTable("申请人", "电话", "结果", "回访", "回访人", "说明", width=width)
    else:
        table = CaseTable("申请人 电话", "结果", "回访", width=width)
        if any(visit.bundle_id for visit in visits):  # a bundle's id is a character longer than a case's
            table.table.columns[0].width = BUNDLE_ID_WIDTH
    for visit in visits:
        outcome = "准予" if visit.outcome == case_pb2.APPROVED else "不予" if visit.outcome else ""
        # a 一件事's part: one call for the whole bundle, as the /visits list says
        item = visit.item_name + (f"\n一件事（一次回访）\n{visit.bundle_id}" if visit.bundle_id else "")
        applicant = [visit.applicant_name, visit.applicant_phone]
        called = [visit.visit_outcome or "待回访", visit.visitor, visit.note]
        if not table.wide:
            applicant, called = ["\n".join(applicant)], ["\n".join(part for part in called if part)]
        table.add_row(visit.case_id, item, *applicant, outcome, *called)
    return table.table


@case_app.command("visit")
def case_visit(
    case_id: str,
    outcome: Annotated[str, typer.Option(help="满意, 基本满意, 不满意 or 未联系上")],
    note: Note = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """回访: record the return visit of a concluded case."""
    visit = ask(config, node, lambda desk: desk.record_visit(case_id, outcome, note))
    console.print(f"回访 {visit.case_id}: {visit.visit_outcome} ({visit.visitor})", highlight=False)


@case_app.command("rectifications")
def case_rectifications(
    include_done: Annotated[bool, typer.Option("--all", help="also tasks already closed")] = False,
    department: Annotated[str, typer.Option(help="the department (default: yours)")] = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """差评整改: the rectification tasks at this handler, with the citizen's rating and comment."""
    tasks = ask(config, node, lambda desk: desk.rectifications(include_done, department))
    print_list(rectifications_table(tasks), f"共 {len(tasks)} 项整改" if tasks else "没有整改任务")


def rectifications_table(tasks: Iterable[desk_pb2.RectificationView], width: int | None = None) -> Table:
    """差评整改 tasks; in a narrow terminal the rating with its comment, whom the task is held
    against, and the limit with when it was done (six columns beside a case id folded each a
    character a line)."""
    if wide_terminal(width):
        table = CaseTable("评分", "评价", "责任部门", "责任人", "整改期限", "完成 (北京时间)", width=width)
    else:
        table = CaseTable("评价", "责任", "整改期限", width=width)
        table.keep_dates_whole("整改期限")
    for task in tasks:
        done = china_time(task.done_at, marked=False)
        if table.wide:
            cells = [str(task.score), task.comment, task.department, task.person, task.deadline, done]
        else:
            rating = f"{task.score}分" + (f"：{task.comment}" if task.comment else "")
            cells = [
                rating,
                f"{task.department} {task.person}".strip(),
                task.deadline + (f"\n{done} 完成" if done else ""),
            ]
        table.add_row(task.case_id, task.item_name, *cells)
    return table.table


def _act(
    case_id: str,
    action: Action,
    note: str,
    config: Path,
    node: str,
    days: int = 0,
    materials: list[case_pb2.Material] | None = None,
    correct: Sequence[str] = (),
) -> None:
    case, names = ask_named(
        config, node, lambda desk: desk.act(case_id, action, note, days, materials, correct), case_codes
    )
    if (
        action in (Action.WITHDRAW, Action.SUPPLEMENT)
        and case.handler != DivisionCode.parse(case.origin).value
    ):
        console.print(f"{action.label}已报送办理机构 {place(case.handler, names)}，由其办理", highlight=False)
    print_case(case, names)


def _register_action(command: str, action: Action, summary: str) -> None:
    def run(
        case_id: str, note: Note = "", config: ConfigPath = Path("node.toml"), node: NodeAddress = ""
    ) -> None:
        _act(case_id, action, note, config, node)

    run.__doc__ = summary
    case_app.command(command)(run)


for _command, _action, _summary in (
    ("accept", Action.ACCEPT, "受理: accept a case (at its handling node)."),
    ("refuse", Action.REFUSE, "不予受理: refuse to accept a case."),
    ("review", Action.REVIEW, "审核: start the review of an accepted case."),
    ("deliver", Action.DELIVER, "送达: hand the result to the applicant (where they applied)."),
    ("withdraw", Action.WITHDRAW, "撤回: the applicant withdraws the case."),
    ("return", Action.RETURN, "退件: return the case to the applicant."),
    ("suspend", Action.SUSPEND, "特别程序: a hearing, test or expert review begins; the clock stops."),
    ("resume", Action.RESUME, "特别程序结束: the special procedure is over; the clock runs again."),
):
    _register_action(_command, _action, _summary)


@case_app.command("request-correction")
def case_request_correction(
    case_id: str,
    material: Annotated[
        list[str] | None,
        typer.Option("--material", help="a material of the item to correct, by its name (repeatable)"),
    ] = None,
    note: Note = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """补正: ask the applicant for corrected materials, once: --material NAME for each, and/or --note."""
    _act(case_id, Action.REQUEST_CORRECTION, note, config, node, correct=material or [])


@case_app.command("supplement")
def case_supplement(
    case_id: str,
    material: MaterialSpec = None,
    note: Note = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """补正材料: the applicant supplies the corrected files asked for (--material NAME=FILE)."""
    files = [_material(spec) for spec in material or []]
    _act(case_id, Action.SUPPLEMENT, note, config, node, materials=files)


@case_app.command("conclude")
def case_conclude(
    case_id: str,
    denied: Annotated[bool, typer.Option("--denied", help="conclude with 不予 (default: 准予)")] = False,
    note: Note = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """办结: conclude a reviewed case, approved (准予) or with --denied (不予)."""
    _act(case_id, Action.DENY if denied else Action.APPROVE, note, config, node)


@case_app.command("rate")
def case_rate(
    case_id: str,
    score: Score,
    comment: Comment = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """好差评: the applicant rates a concluded (or refused) case, where they applied (once; final)."""
    _print_rating(ask(config, node, lambda desk: desk.rate(case_id, score, comment)))


def _print_rating(rating: desk_pb2.RatingView) -> None:
    label = SCORE_LABELS.get(rating.score, "")
    console.print(f"已评价 {rating.case_id}：{label}（{rating.score} 分）", highlight=False)
    if rating.rectification_deadline:
        console.print(f"差评：整改期限 {rating.rectification_deadline}", highlight=False)
    elif rating.score <= 2:
        console.print("差评：已报送办理机构，由其整改并回访 (it opens a rectification task)", highlight=False)


@case_app.command("rectify")
def case_rectify(
    case_id: str,
    visit: Annotated[str, typer.Option("--visit", help="the return visit (回访) record")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """整改: close a 差评's rectification task with its return visit record (at the handler)."""
    task = ask(config, node, lambda desk: desk.rectify(case_id, visit))
    console.print(f"整改已办结：{task.case_id}（整改期限 {task.deadline}）", highlight=False)


@case_app.command("extend")
def case_extend(
    case_id: str,
    days: Annotated[int, typer.Option(min=1, help="working days the approved extension adds")],
    note: Note = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """延期: record an approved extension of the time limit (at the handling node)."""
    _act(case_id, Action.EXTEND, note, config, node, days)


@case_app.command("supply")
def case_supply(
    case_id: Annotated[str, typer.Argument(help="the case (or bundle) missing the material")],
    material: Annotated[
        str, typer.Option("--material", help="NAME=FILE, or FILE named as the item lists it")
    ],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """补齐容缺材料: supply a material accepted as missing, where the citizen applied."""
    supplied = _material(material)
    case, names = ask_named(config, node, lambda desk: desk.supply(case_id, supplied), case_codes)
    if case.id:
        print_case(case, names)
    console.print(f"已补齐 {supplied.name}，随办件报送办理机构", highlight=False)


@case_app.command("checks")
def case_checks(
    include_done: Annotated[bool, typer.Option("--all", help="also post-checks already done")] = False,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """核查: the post-checks of cases approved on a promise (告知承诺), at their handler."""
    checks = ask(config, node, lambda desk: desk.post_checks(include_done))
    print_list(checks_table(checks), f"共 {len(checks)} 项核查" if checks else "没有核查任务")


def checks_table(checks: Iterable[case_pb2.PostCheck], width: int | None = None) -> Table:
    """核查 tasks; in a narrow terminal the limit with when it was checked, and the verdict with
    what was found (four columns beside a case id folded the dates)."""
    if wide_terminal(width):
        table = CaseTable("核查内容", "核查期限", "核查时间 (北京时间)", "核查结论", width=width)
    else:
        table = CaseTable("核查内容", "核查期限", "核查结论", width=width)
        table.keep_dates_whole("核查期限")
    for check in checks:
        when = china_time(check.done_at, marked=False)
        if table.wide:
            done = f"{when}（{_verdict(check.passed)}）" if check.done_at else ""
            cells = [check.due_on, done, check.finding]
        else:
            verdict = f"{_verdict(check.passed)}：{check.finding}" if check.done_at else ""
            cells = [check.due_on + (f"\n{when} 核查" if when else ""), verdict]
        table.add_row(check.case_id, check.item_name, "、".join(check.replaces), *cells)
    return table.table


@case_app.command("check")
def case_check(
    case_id: str,
    finding: Annotated[str, typer.Option(help="what the check found")],
    held: Annotated[
        bool,
        typer.Option(
            "--held/--failed",
            help="属实: the promised facts were true, or 不属实: they were not (one must be given)",
        ),
    ],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """核查 done: record the post-check of a case approved on a promise."""
    check = ask(config, node, lambda desk: desk.complete_post_check(case_id, held, finding))
    console.print(f"核查 {check.case_id}：{_verdict(check.passed)}", highlight=False)


def _verdict(passed: bool) -> str:
    """A post-check's finding, in the front desk's words."""
    return "属实" if passed else "不属实"


_PART_STATUS = {"WAITING": "等待前序事项", "BLOCKED": "受阻"}  # as the front desk says them


def show_bundle(config: Path, node: str, call: Callable[[DeskClient], case_pb2.Bundle]) -> case_pb2.Bundle:
    """Ask for a bundle and print it: its one status, then each part, the offices named."""
    bundle, names = ask_named(
        config, node, call, lambda found: [found.origin, *(part.handler for part in found.parts)]
    )
    console.print(f"[bold]{bundle.id}[/]  {bundle.name} ({bundle.code})", highlight=False)
    console.print(
        f"  {progress(bundle)} · 申请地 {place(bundle.origin, names)} · 申请人 {bundle.applicant.name}",
        highlight=False,
    )
    console.print(bundle_table(bundle, names))
    if bundle.rating_score:  # 一事一评: the whole bundle's one rating, as its page says it
        comment = f"“{bundle.rating_comment}”" if bundle.rating_comment else ""
        console.print(
            f"好差评（一事一评）：{bundle.rating_score} 分（{SCORE_LABELS.get(bundle.rating_score, '')}）"
            f"{comment} · {shanghai(from_timestamp(bundle.rated_at))}（北京时间）",
            highlight=False,
        )
    return bundle


def bundle_table(bundle: case_pb2.Bundle, names: Mapping[str, str], width: int | None = None) -> Table:
    """The parts of a bundle, each named by its case (— until it starts) and its item; in a narrow
    terminal where and by whom with the status, and the parts it waits for under the status."""
    item_names = {part.item_code: part.item_name for part in bundle.parts}
    if wide_terminal(width):
        table = CaseTable("部门", "办理地", "状态", "前置事项", "说明", width=width)
    else:
        table = CaseTable("办理地", "状态", width=width)
    for part in bundle.parts:
        known = part.status in State.__members__
        status = _PART_STATUS.get(part.status) or (State(part.status).label if known else part.status)
        if part.outcome:
            status += " · " + ("准予" if part.outcome == case_pb2.APPROVED else "不予")
        # what it waits for, while it waits: once started (or blocked) its own status says it all
        waiting = not part.case_id and part.status == "WAITING"
        after = "、".join(item_names.get(code, code) for code in part.after) if waiting else ""
        if table.wide:
            cells = [part.department, place(part.handler, names), status, after, part.reason]
        else:
            waits = f"\n须先办结：{after}" if after and not part.reason else ""  # the reason says it
            reason = f"\n{part.reason}" if part.reason else ""
            cells = [f"{place(part.handler, names)} {part.department}", status + waits + reason]
        table.add_row(part.case_id or "—", f"{part.item_name} ({part.item_code})", *cells)
    return table.table


@bundle_app.command("submit")
def bundle_submit(
    code: Annotated[str, typer.Argument(help="the bundle's code, e.g. YJS-0001 (see `wuji catalog list`)")],
    name: Annotated[str, typer.Option(help="applicant's name")],
    id_number: Annotated[str, typer.Option(help="applicant's ID number or credit code")],
    phone: Annotated[str, typer.Option(help="applicant's phone")] = "",
    material: MaterialSpec = None,
    home: Annotated[str, typer.Option(help="applicant's home division when it decides the handlers")] = "",
    defer: Defer = None,
    promised_on: PromisedOn = "",
    promise: PromiseText = "",
    replaces: PromiseReplaces = None,
    signature: Signature = None,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """一件事一次办: one application with one set of materials; each part goes to its own handler."""
    materials = [_material(spec) for spec in material or []]
    signed = _promise(promise, replaces, signature, name)
    applicant = case_pb2.Applicant(name=name, id_number=id_number, phone=phone)
    key = submissions.new_key()  # one application, however often it is sent
    bundle = show_bundle(
        config,
        node,
        resending(
            lambda desk: desk.submit_bundle(
                code, applicant, materials, home, defer or [], promised_on, signed, key
            )
        ),
    )
    if any(part.handler != bundle.origin for part in bundle.parts):
        _say_if_held(config, node)


@bundle_app.command("show")
def bundle_show(bundle_id: str, config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """The bundle's one status, with the progress of each part (where it was applied)."""
    show_bundle(config, node, lambda desk: desk.get_bundle(bundle_id))


@bundle_app.command("rate")
def bundle_rate(
    bundle_id: str,
    score: Score,
    comment: Comment = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """一事一评: the applicant rates the whole bundle once every part is settled, where it was applied
    for; each concluded or refused part's handler receives the rating as that part's (once; final)."""
    _print_rating(ask(config, node, lambda desk: desk.rate(bundle_id, score, comment)))


@bundle_app.command("supply")
def bundle_supply(
    bundle_id: str,
    material: Annotated[
        str, typer.Option("--material", help="NAME=FILE, or FILE named as the items list it")
    ],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """补齐容缺材料 once for a bundle: every part missing it receives it."""
    supplied = _material(material)
    ask(config, node, lambda desk: desk.supply(bundle_id, supplied))
    show_bundle(config, node, lambda desk: desk.get_bundle(bundle_id))
