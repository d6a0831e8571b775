"""`wuji`: the command line of a node (Typer + rich). Errors are one clear line and an exit code."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, NoReturn

import grpc
import typer
from rich.console import Console
from rich.table import Table

from node.casestates import Action, State
from node.client import DeskClient
from node.config import ConfigError, NodeConfig
from node.errors import DomainError
from node.timeutil import from_timestamp
from wuji.divisions import DivisionCode, InvalidDivisionCode
from wuji.v1 import case_pb2

app = typer.Typer(
    help="wuji (五级): one node program for the five tiers of government service.", no_args_is_help=True
)
node_app = typer.Typer(help="Set up and run this node.", no_args_is_help=True)
case_app = typer.Typer(help="Cases (办件) at a node's desk.", no_args_is_help=True)
catalog_app = typer.Typer(help="The service-item catalogue (事项目录).", no_args_is_help=True)
app.add_typer(node_app, name="node")
app.add_typer(case_app, name="case")
app.add_typer(catalog_app, name="catalog")

console = Console()
errors = Console(stderr=True)

EXIT_USAGE = 2
EXIT_REFUSED = 1
EXIT_UNREACHABLE = 3

NodeAddress = Annotated[str, typer.Option("--node", envvar="WUJI_NODE", help="host:port of the node's desk")]
Note = Annotated[str, typer.Option("--note", help="a note recorded with the event")]


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _desk_call(address: str) -> DeskClient:
    return DeskClient(address)


def _explain(error: grpc.RpcError, address: str) -> NoReturn:
    code = error.code() if isinstance(error, grpc.Call) else None
    details = error.details() if isinstance(error, grpc.Call) else str(error)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        fail(f"cannot reach the node at {address}: {details}", EXIT_UNREACHABLE)
    fail(f"{details} ({code.name if code else 'error'})", EXIT_REFUSED)


# -- node -------------------------------------------------------------------------------------


@node_app.command("init")
def node_init(
    code: Annotated[str, typer.Argument(help="division code of this node (6, 9 or 12 digits)")],
    listen: Annotated[str, typer.Option(help="host:port to listen on")] = "127.0.0.1:7400",
    parent: Annotated[str, typer.Option(help="host:port of the parent node (not for a province)")] = "",
    name: Annotated[str, typer.Option(help="display name, e.g. 沅江市政务服务中心")] = "",
    database_url: Annotated[
        str, typer.Option("--db", help="database URL (default: SQLite beside the config)")
    ] = "",
    catalog_file: Annotated[
        str, typer.Option("--catalog", help="province only: catalogue file, or 'demo'")
    ] = "",
    directory: Annotated[
        Path | None, typer.Option("--dir", help="folder for node.toml (default ./wuji-CODE)")
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite an existing node.toml")] = False,
) -> None:
    """Write a node configuration for CODE."""
    try:
        config = NodeConfig(
            code=code,
            listen=listen,
            parent_address=parent,
            name=name,
            database_url=database_url,
            catalog_file=catalog_file,
        )
    except ConfigError as error:
        fail(str(error))
    folder = directory or Path(f"wuji-{config.code}")
    path = folder / "node.toml"
    if path.exists() and not force:
        fail(f"{path} exists already (use --force to overwrite)")
    config.save(path)
    division = config.division
    console.print(
        f"wrote [bold]{path}[/]: {division.tier.label} node {division}"
        + (f", parent {division.parent} at {parent}" if division.parent else ", a province root")
    )
    console.print(f"start it with: wuji node run --config {path}")


@node_app.command("run")
def node_run(
    config_path: Annotated[Path, typer.Option("--config", help="the node's node.toml")] = Path("node.toml"),
) -> None:
    """Run the node until SIGTERM or Ctrl-C; in-flight work finishes before it stops."""
    try:
        config = NodeConfig.load(config_path)
    except ConfigError as error:
        fail(str(error))
    logging.basicConfig(
        level=config.log_level.upper(),
        format=f"%(asctime)s {config.code} %(levelname)s %(name)s: %(message)s",
    )
    from node.runtime import Node  # imported here: the client commands need no database code

    try:
        node = Node(config, config_path)
        node.start()
    except (DomainError, OSError) as error:
        fail(f"cannot start node {config.code}: {error}", EXIT_REFUSED)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    console.print(f"node {config.code} running on {node.address}", highlight=False)
    stop.wait()
    node.stop()


@node_app.command("status")
def node_status(node: NodeAddress = "127.0.0.1:7400") -> None:
    """Show a node's identity, catalogue and links."""
    with _desk_call(node) as desk:
        try:
            described = desk.describe()
        except grpc.RpcError as error:
            _explain(error, node)
    division = DivisionCode.parse(described.code)
    console.print(
        f"[bold]{described.name or described.code}[/] {division} ({division.tier.label}), "
        f"catalogue release {described.catalog_version}, quarantined envelopes {described.quarantined}"
    )
    table = Table("peer", "role", "connected", "outbox", "sent", "acked", "received")
    for link in described.links:
        table.add_row(
            link.peer,
            link.role,
            "yes" if link.connected else "[red]no[/]",
            str(link.outbox_depth),
            str(link.sent_seq),
            str(link.acked_seq),
            str(link.received_seq),
        )
    console.print(table)


# -- cases ------------------------------------------------------------------------------------


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
        f"applicant {case.applicant.name}",
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


@case_app.command("submit")
def case_submit(
    item: Annotated[str, typer.Argument(help="item code, e.g. MZ-0001 (see `wuji catalog list`)")],
    name: Annotated[str, typer.Option(help="applicant's name")],
    id_number: Annotated[str, typer.Option(help="applicant's ID number or credit code")],
    phone: Annotated[str, typer.Option(help="applicant's phone")] = "",
    material: Annotated[list[Path] | None, typer.Option(help="a material file (repeatable)")] = None,
    home: Annotated[str, typer.Option(help="applicant's home division when it decides the handler")] = "",
    node: NodeAddress = "127.0.0.1:7400",
) -> None:
    """申请: submit a citizen's case at this node."""
    for path in material or []:
        if not path.is_file():
            fail(f"material file {path} does not exist")
    with _desk_call(node) as desk:
        try:
            case = desk.submit(item, name, id_number, phone, material, home)
        except grpc.RpcError as error:
            _explain(error, node)
    print_case(case)


@case_app.command("show")
def case_show(case_id: str, node: NodeAddress = "127.0.0.1:7400") -> None:
    """Show a case and its events as this node knows them."""
    with _desk_call(node) as desk:
        try:
            print_case(desk.get(case_id))
        except grpc.RpcError as error:
            _explain(error, node)


@case_app.command("list")
def case_list(
    state: Annotated[str, typer.Option(help="only cases in this state, e.g. SUBMITTED")] = "",
    role: Annotated[str, typer.Option(help="'origin' (applied here) or 'handler' (handled here)")] = "",
    limit: int = 100,
    node: NodeAddress = "127.0.0.1:7400",
) -> None:
    """List cases at a node, newest first."""
    try:
        state_value = case_pb2.CaseState.Value(state.upper()) if state else 0
    except ValueError:
        fail(f"unknown state {state!r}; one of: {', '.join(s.value for s in State)}")
    with _desk_call(node) as desk:
        try:
            cases = desk.list(state_value, role, limit)
        except grpc.RpcError as error:
            _explain(error, node)
    table = Table("case", "item", "applicant", "state", "origin", "handler")
    for case in cases:
        table.add_row(
            case.id, case.item_name, case.applicant.name, state_text(case), case.origin, case.handler
        )
    console.print(table)
    console.print(f"{len(cases)} case(s)")


def _act(case_id: str, action: Action, note: str, node: str) -> None:
    with _desk_call(node) as desk:
        try:
            case = desk.act(case_id, action, note)
        except grpc.RpcError as error:
            _explain(error, node)
    if (
        action in (Action.WITHDRAW, Action.SUPPLEMENT)
        and case.handler != DivisionCode.parse(case.origin).value
    ):
        console.print(f"{action.label} request sent to the handler {case.handler}")
    print_case(case)


def _register_action(command: str, action: Action, summary: str) -> None:
    def run(case_id: str, note: Note = "", node: NodeAddress = "127.0.0.1:7400") -> None:
        _act(case_id, action, note, node)

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
):
    _register_action(_command, _action, _summary)


@case_app.command("conclude")
def case_conclude(
    case_id: str,
    denied: Annotated[bool, typer.Option("--denied", help="conclude with 不予 (default: 准予)")] = False,
    note: Note = "",
    node: NodeAddress = "127.0.0.1:7400",
) -> None:
    """办结: conclude a reviewed case, approved (准予) or with --denied (不予)."""
    _act(case_id, Action.DENY if denied else Action.APPROVE, note, node)


# -- catalogue --------------------------------------------------------------------------------


@catalog_app.command("list")
def catalog_list(node: NodeAddress = "127.0.0.1:7400") -> None:
    """List the service items this node holds, with the tier that handles each."""
    with _desk_call(node) as desk:
        try:
            reply = desk.items()
        except grpc.RpcError as error:
            _explain(error, node)
    table = Table("code", "name", "type", "department", "handled at", "days", "materials")
    for item in reply.items:
        table.add_row(
            item.code,
            item.name,
            item.type,
            item.department,
            item.handling_tier,
            "即办" if item.instant else f"{item.promised_days}/{item.statutory_days}",
            "、".join(m.name for m in item.materials),
        )
    console.print(table)
    console.print(f"catalogue release {reply.catalog_version}: {len(reply.items)} items")


# -- demo -------------------------------------------------------------------------------------


@app.command("demo")
def demo(
    keep: Annotated[
        Path | None, typer.Option(help="run in DIR and leave configs, databases and logs there")
    ] = None,
) -> None:
    """Start five real nodes (省→市→县→乡镇→村) on loopback and run real cases through them."""
    from node.demo import run_demo

    raise typer.Exit(run_demo(console, keep))


def main() -> None:
    try:
        app()
    except (InvalidDivisionCode, ConfigError) as error:
        fail(str(error))


if __name__ == "__main__":
    sys.exit(main())
