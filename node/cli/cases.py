"""`wuji case …` and `wuji bundle …`: cases (办件) and bundles (一件事) at a node's desk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from node.cases.states import Action, State
from node.cli.common import (
    ConfigPath,
    NodeAddress,
    Note,
    ask,
    console,
    fail,
)
from node.desk.client import material_from
from node.timeutil import from_timestamp
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2

case_app = typer.Typer(help="Cases (办件) at a node's desk.", no_args_is_help=True)
bundle_app = typer.Typer(help="一件事一次办: bundles of items applied for at once.", no_args_is_help=True)


def state_text(case: case_pb2.Case) -> str:
    state = State(case_pb2.CaseState.Name(case.state))
    text = f"{state.label} {state.value}"
    if case.outcome:
        text += " · " + ("准予 APPROVED" if case.outcome == case_pb2.APPROVED else "不予 DENIED")
    return text


def print_case(case: case_pb2.Case) -> None:
    console.print(f"[bold]{case.id}[/]  {case.item_name} ({case.item_code})", highlight=False)
    console.print(
        f"  state {state_text(case)} · applied at {case.origin} · handled at {case.handler} · "
        f"applicant {case.applicant.name}"
        + (f" · judged by catalogue release {case.catalog_version}" if case.catalog_version else ""),
        highlight=False,
    )
    if case.events:
        table = Table("v", "when (UTC)", "event", "by", "route")
        for event in case.events:
            to_state = State(case_pb2.CaseState.Name(event.to_state))
            action = case_pb2.CaseAction.Name(event.action) if event.action else "SUBMITTED"
            table.add_row(
                str(event.version),
                from_timestamp(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                f"{to_state.label} {action}" + (f" — {event.note}" if event.note else ""),
                event.actor_node,
                " → ".join(event.route),
            )
        console.print(table)
    if case.mode:
        console.print(
            f"  跨省通办 {case.mode}" + (f" · part of case {case.joint_of}" if case.joint_of else "")
        )
    for part in case.parts:
        part_state = State(case_pb2.CaseState.Name(part.state)).label
        console.print(
            f"  part {part.case_id} ({part.item_name}) at {part.handler}: {part_state}", highlight=False
        )
    if case.HasField("identity_check"):
        check = case.identity_check
        verdict = ("confirmed" if check.confirmed else "NOT confirmed") if check.answered else "waiting"
        console.print(f"  identity check by {check.province}: {verdict} {check.detail}", highlight=False)
    if case.cards:
        console.print(cards_table(case.cards))
    if case.bundle_id:
        console.print(f"  part of bundle {case.bundle_id}", highlight=False)
    for missing in case.missing_materials:
        supplied = (
            f"supplied {from_timestamp(missing.supplied_at):%Y-%m-%d}"
            if missing.HasField("supplied_at")
            else "missing"
        )
        console.print(
            f"  容缺 {missing.name}: promised by {missing.promised_on}, {supplied}", highlight=False
        )
    if case.HasField("promise"):
        console.print(
            f"  告知承诺 signed by {case.promise.signed_by} in place of {'、'.join(case.promise.replaces)}: "
            f"{case.promise.text}",
            highlight=False,
        )
    if case.HasField("post_check"):
        check = case.post_check
        state = f"done {check.done_at}, {'passed' if check.passed else 'failed'}" if check.done_at else "open"
        console.print(f"  核查 due {check.due_on}: {state} {check.finding}", highlight=False)


def cards_table(cards: list[case_pb2.SupervisionCard]) -> Table:
    table = Table("card", "case", "handler", "deadline", "raised (UTC)", "detail", "closed (UTC)")
    for card in cards:
        colour = "[bold yellow]黄牌 预警[/]" if card.colour == "yellow" else "[bold red]红牌[/]"
        table.add_row(
            colour,
            card.case_id,
            card.handler,
            card.deadline,
            from_timestamp(card.raised_at).strftime("%Y-%m-%d %H:%M"),
            card.detail,
            from_timestamp(card.closed_at).strftime("%Y-%m-%d %H:%M") if card.HasField("closed_at") else "",
        )
    return table


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
        fail("a promise (告知承诺) needs the applicant's signature: --signature FILE")
    return case_pb2.Promise(
        text=text, replaces=replaces or [], signed_by=signer, signature=signature.read_bytes()
    )


def _material(spec: str) -> case_pb2.Material:
    name, _, file = spec.rpartition("=") if "=" in spec else ("", "", spec)
    path = Path(file)
    if not path.is_file():
        fail(f"material file {path} does not exist")
    return material_from(path, name.strip())


@case_app.command("submit")
def case_submit(
    item: Annotated[str, typer.Argument(help="item code, e.g. MZ-0001 (see `wuji catalog list`)")],
    name: Annotated[str, typer.Option(help="applicant's name")],
    id_number: Annotated[str, typer.Option(help="applicant's ID number or credit code")],
    phone: Annotated[str, typer.Option(help="applicant's phone")] = "",
    material: Annotated[list[Path] | None, typer.Option(help="a material file (repeatable)")] = None,
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
    for path in material or []:
        if not path.is_file():
            fail(f"material file {path} does not exist")
    signed = _promise(promise, replaces, signature, name)
    case = ask(
        config,
        node,
        lambda desk: desk.submit(
            item,
            name,
            id_number,
            phone,
            material,
            home,
            mode,
            place,
            deferred=defer or [],
            promised_on=promised_on,
            promise=signed,
        ),
    )
    print_case(case)


@case_app.command("show")
def case_show(case_id: str, config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """Show a case and its events as this node knows them."""
    print_case(ask(config, node, lambda desk: desk.get(case_id)))


@case_app.command("list")
def case_list(
    state: Annotated[str, typer.Option(help="only cases in this state, e.g. SUBMITTED")] = "",
    role: Annotated[str, typer.Option(help="'origin' (applied here) or 'handler' (handled here)")] = "",
    limit: int = 100,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """List cases at a node, newest first."""
    try:
        state_value = case_pb2.CaseState.Value(state.upper()) if state else 0
    except ValueError:
        fail(f"unknown state {state!r}; one of: {', '.join(s.value for s in State)}")
    cases = ask(config, node, lambda desk: desk.list(state_value, role, limit))
    table = Table("case", "item", "applicant", "state", "origin", "handler")
    for case in cases:
        table.add_row(
            case.id, case.item_name, case.applicant.name, state_text(case), case.origin, case.handler
        )
    console.print(table)
    console.print(f"{len(cases)} case(s)")


def _act(case_id: str, action: Action, note: str, config: Path, node: str, days: int = 0) -> None:
    case = ask(config, node, lambda desk: desk.act(case_id, action, note, days))
    if (
        action in (Action.WITHDRAW, Action.SUPPLEMENT)
        and case.handler != DivisionCode.parse(case.origin).value
    ):
        console.print(f"{action.label} request sent to the handler {case.handler}")
    print_case(case)


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
    ("request-correction", Action.REQUEST_CORRECTION, "补正: ask the applicant for corrected materials."),
    ("supplement", Action.SUPPLEMENT, "补正材料: the applicant has supplied what was asked."),
    ("review", Action.REVIEW, "审核: start the review of an accepted case."),
    ("deliver", Action.DELIVER, "送达: hand the result to the applicant (where they applied)."),
    ("withdraw", Action.WITHDRAW, "撤回: the applicant withdraws the case."),
    ("return", Action.RETURN, "退件: return the case to the applicant."),
    ("suspend", Action.SUSPEND, "特别程序: a hearing, test or expert review begins; the clock stops."),
    ("resume", Action.RESUME, "特别程序结束: the special procedure is over; the clock runs again."),
):
    _register_action(_command, _action, _summary)


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
    score: Annotated[
        int, typer.Option(min=1, max=5, help="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    ],
    comment: Annotated[str, typer.Option(help="the applicant's comment")] = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """好差评: the applicant rates a concluded case, where they applied (once; final)."""
    rating = ask(config, node, lambda desk: desk.rate(case_id, score, comment))
    console.print(f"rated {rating.case_id}: {rating.score}", highlight=False)
    if rating.rectification_deadline:
        console.print(f"差评: rectification due by {rating.rectification_deadline}", highlight=False)
    elif rating.score <= 2:
        console.print("差评: sent to the handling node, which opens a rectification task", highlight=False)


@case_app.command("rectify")
def case_rectify(
    case_id: str,
    visit: Annotated[str, typer.Option("--visit", help="the return visit (回访) record")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """整改: close a 差评's rectification task with its return visit record (at the handler)."""
    task = ask(config, node, lambda desk: desk.rectify(case_id, visit))
    console.print(f"rectification of {task.case_id} closed (due {task.deadline})", highlight=False)


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
    case = ask(config, node, lambda desk: desk.supply(case_id, supplied))
    if case.id:
        print_case(case)
    console.print(f"{supplied.name} supplied; it goes on to the handler", highlight=False)


@case_app.command("checks")
def case_checks(
    include_done: Annotated[bool, typer.Option("--all", help="also post-checks already done")] = False,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """核查: the post-checks of cases approved on a promise (告知承诺), at their handler."""
    checks = ask(config, node, lambda desk: desk.post_checks(include_done))
    table = Table("case", "item", "check", "due", "done", "finding")
    for check in checks:
        done = f"{check.done_at} ({'passed' if check.passed else 'failed'})" if check.done_at else ""
        table.add_row(
            check.case_id, check.item_name, "、".join(check.replaces), check.due_on, done, check.finding
        )
    console.print(table)
    console.print(f"{len(checks)} post-check(s)")


@case_app.command("check")
def case_check(
    case_id: str,
    finding: Annotated[str, typer.Option(help="what the check found")],
    failed: Annotated[bool, typer.Option("--failed", help="the promised facts were not true")] = False,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """核查 done: record the post-check of a case approved on a promise."""
    check = ask(config, node, lambda desk: desk.complete_post_check(case_id, not failed, finding))
    console.print(f"post-check of {check.case_id}: {'passed' if check.passed else 'failed'}", highlight=False)


def print_bundle(bundle: case_pb2.Bundle) -> None:
    console.print(f"[bold]{bundle.id}[/]  {bundle.name} ({bundle.code})", highlight=False)
    state = "办结 CONCLUDED" if bundle.state == "CONCLUDED" else "办理中 IN_PROGRESS"
    console.print(
        f"  state {state} · {bundle.concluded_parts}/{len(bundle.parts)} parts concluded · "
        f"applied at {bundle.origin} · applicant {bundle.applicant.name}",
        highlight=False,
    )
    table = Table("item", "department", "handler", "case", "status", "after", "reason")
    for part in bundle.parts:
        status = part.status
        if part.outcome:
            status += " · " + ("准予" if part.outcome == case_pb2.APPROVED else "不予")
        table.add_row(
            f"{part.item_name} ({part.item_code})",
            part.department,
            part.handler,
            part.case_id,
            status,
            ", ".join(part.after),
            part.reason,
        )
    console.print(table)


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
    bundle = ask(
        config,
        node,
        lambda desk: desk.submit_bundle(code, applicant, materials, home, defer or [], promised_on, signed),
    )
    print_bundle(bundle)


@bundle_app.command("show")
def bundle_show(bundle_id: str, config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """The bundle's one status, with the progress of each part (where it was applied)."""
    print_bundle(ask(config, node, lambda desk: desk.get_bundle(bundle_id)))


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
    print_bundle(ask(config, node, lambda desk: desk.get_bundle(bundle_id)))
