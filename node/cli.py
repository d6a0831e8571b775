"""`wuji`: the command line of a node (Typer + rich). Errors are one clear line and an exit code."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import grpc
import typer
from rich.console import Console
from rich.table import Table

from node.casestates import Action, State
from node.client import DeskClient, material_from
from node.config import ConfigError, NodeConfig
from node.errors import DomainError
from node.identity import IdentityMissing
from node.timeutil import from_timestamp
from signing.keys import KeyFileError
from wuji.divisions import DivisionCode, InvalidDivisionCode
from wuji.v1 import case_pb2, desk_pb2

app = typer.Typer(
    help="wuji (五级): one node program for the five tiers of government service.", no_args_is_help=True
)
node_app = typer.Typer(help="Set up and run this node.", no_args_is_help=True)
case_app = typer.Typer(help="Cases (办件) at a node's desk.", no_args_is_help=True)
catalog_app = typer.Typer(help="The service-item catalogue (事项目录).", no_args_is_help=True)
seal_app = typer.Typer(help="Electronic seals (电子印章) and sealed documents.", no_args_is_help=True)
cert_app = typer.Typer(help="Certificates this node's CA issued.", no_args_is_help=True)
licence_app = typer.Typer(help="Electronic licences (电子证照).", no_args_is_help=True)
supervision_app = typer.Typer(
    help="Electronic supervision (电子监察): cards in a subtree.", no_args_is_help=True
)
app.add_typer(supervision_app, name="supervision")
rating_app = typer.Typer(help="好差评 appeals (申诉复核) against a rating.", no_args_is_help=True)
app.add_typer(rating_app, name="rating")
app.add_typer(licence_app, name="licence")
app.add_typer(seal_app, name="seal")
app.add_typer(cert_app, name="cert")
app.add_typer(node_app, name="node")
app.add_typer(case_app, name="case")
app.add_typer(catalog_app, name="catalog")
peer_app = typer.Typer(
    help="Partner provinces (跨省通办): trust anchors and peer links (at a province).", no_args_is_help=True
)
app.add_typer(peer_app, name="peer")
bundle_app = typer.Typer(help="一件事一次办: bundles of items applied for at once.", no_args_is_help=True)
app.add_typer(bundle_app, name="bundle")

console = Console()
errors = Console(stderr=True)

T = TypeVar("T")

EXIT_USAGE = 2
EXIT_REFUSED = 1
EXIT_UNREACHABLE = 3

ConfigPath = Annotated[
    Path,
    typer.Option("--config", envvar="WUJI_CONFIG", help="the node's node.toml; its certificate is presented"),
]
NodeAddress = Annotated[
    str, typer.Option("--node", envvar="WUJI_NODE", help="host:port of the desk (default: from the config)")
]
Note = Annotated[str, typer.Option("--note", help="a note recorded with the event")]


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _desk_call(config: Path, address: str) -> DeskClient:
    try:
        return DeskClient.for_node(config, address)
    except (ConfigError, IdentityMissing, KeyFileError, OSError) as error:
        fail(str(error))


def _ask(config: Path, address: str, call: Callable[[DeskClient], T]) -> T:
    """One desk call with this node's identity; a refusal or an unreachable node ends the command."""
    with _desk_call(config, address) as desk:
        try:
            return call(desk)
        except grpc.RpcError as error:
            _explain(error, desk.address)


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


@node_app.command("enroll")
def node_enroll(
    config_path: ConfigPath = Path("node.toml"),
    invite: Annotated[
        Path | None, typer.Option(help="the invite file from `wuji node invite` at the parent")
    ] = None,
) -> None:
    """Obtain this node's certificates: from the parent with an invite, or (a province) a new root CA."""
    from node.certificates import remember_crls
    from node.enrollment import EnrollmentRefused, InviteFile, create_root, enroll
    from node.identity import passphrase as key_passphrase

    try:
        config = NodeConfig.load(config_path)
        folder, secret = config.pki_folder(config_path), key_passphrase(config.key_passphrase_file)
    except (ConfigError, KeyFileError, OSError) as error:
        fail(str(error))
    from node.identity import NodeIdentity

    if NodeIdentity.exists(folder):
        fail(f"node {config.code} is enrolled already ({folder}); remove that folder to start over")
    division = config.division
    try:
        if invite is None:
            if division.parent is not None:
                fail("a node below the province needs --invite FILE from `wuji node invite` at its parent")
            create_root(division, config.name, folder, secret)
            console.print(f"created the root CA of province {division} in {folder}")
            return
        identity, crls = enroll(division, config.name, folder, secret, InviteFile.load(invite))
    except (EnrollmentRefused, DomainError) as error:
        fail(str(error), EXIT_REFUSED)
    from node.runtime import open_store

    with open_store(config, config_path) as sessions, sessions.begin() as session:
        remember_crls(session, crls)
    role = "CA and TLS certificates" if identity.authority else "TLS certificate"
    console.print(f"enrolled {division.tier.label} node {division}: {role} issued by {division.parent}")


@node_app.command("invite")
def node_invite(
    code: Annotated[str, typer.Argument(help="division code of the child to enroll")],
    hours: Annotated[int, typer.Option(help="hours the one-time token stays valid")] = 24,
    out: Annotated[
        Path | None, typer.Option(help="where to write the invite (default invite-CODE.json)")
    ] = None,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Make a one-time enrollment invite for a child node (hand the file to its operator)."""
    from node.enrollment import InviteFile

    invite = _ask(config, node, lambda desk: desk.invite(code, hours))
    path = out or Path(f"invite-{invite.code}.json")
    InviteFile.from_message(invite).save(path)
    console.print(
        f"wrote {path} for node {invite.code}, valid until {invite.expires_at} (one use, keep it secret)"
    )


@node_app.command("run")
def node_run(
    config_path: ConfigPath = Path("node.toml"),
    log_format: Annotated[
        str, typer.Option("--log-format", help="text, or json: one JSON object per line (default: config)")
    ] = "",
) -> None:
    """Run the node until SIGTERM or Ctrl-C; in-flight work finishes before it stops."""
    try:
        config = NodeConfig.load(config_path)
    except ConfigError as error:
        fail(str(error))
    from node import logs

    try:
        logs.configure(config.code, config.log_level, log_format or config.log_format)
    except ValueError as error:
        fail(f"--log-format: {error}")
    from node.runtime import Node  # imported here: the client commands need no database code

    try:
        node = Node(config, config_path)
        node.start()
    except (DomainError, OSError) as error:
        fail(f"cannot start node {config.code}: {error}", EXIT_REFUSED)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if (log_format or config.log_format) == "text":  # JSON output stays JSON, line after line
        console.print(f"node {config.code} running on {node.address}", highlight=False)
    stop.wait()
    node.stop()


@node_app.command("backup")
def node_backup(
    to: Annotated[Path, typer.Option("--to", help="the backup file to write (never overwritten)")],
    config_path: ConfigPath = Path("node.toml"),
) -> None:
    """Back up the node's database while it runs (SQLite online backup; pg_dump for PostgreSQL)."""
    from node.backup import BackupError, backup

    try:
        config = NodeConfig.load(config_path)
        backup(config.database_url_for(config_path), to)
    except (ConfigError, BackupError) as error:
        fail(str(error), EXIT_REFUSED)
    console.print(f"node {config.code}: database backed up to {to}", highlight=False)


@node_app.command("restore")
def node_restore(
    from_file: Annotated[Path, typer.Option("--from", help="a backup written by `wuji node backup`")],
    config_path: ConfigPath = Path("node.toml"),
) -> None:
    """Replace the stopped node's database by a backup; on its next start it resynchronises."""
    from node.backup import BackupError, restore

    try:
        config = NodeConfig.load(config_path)
        restored = restore(config.database_url_for(config_path), from_file)
    except (ConfigError, BackupError) as error:
        fail(str(error), EXIT_REFUSED)
    console.print(
        f"node {config.code}: database restored from {from_file}; its {restored.links} link(s) resynchronise "
        "with the neighbours when it starts (work done only here after the backup was taken is lost)",
        highlight=False,
    )


@node_app.command("status")
def node_status(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """Show a node's identity, catalogue and links."""
    described = _ask(config, node, lambda desk: desk.describe())
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
    case = _ask(
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
    print_case(_ask(config, node, lambda desk: desk.get(case_id)))


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
    cases = _ask(config, node, lambda desk: desk.list(state_value, role, limit))
    table = Table("case", "item", "applicant", "state", "origin", "handler")
    for case in cases:
        table.add_row(
            case.id, case.item_name, case.applicant.name, state_text(case), case.origin, case.handler
        )
    console.print(table)
    console.print(f"{len(cases)} case(s)")


def _act(case_id: str, action: Action, note: str, config: Path, node: str, days: int = 0) -> None:
    case = _ask(config, node, lambda desk: desk.act(case_id, action, note, days))
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
    rating = _ask(config, node, lambda desk: desk.rate(case_id, score, comment))
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
    task = _ask(config, node, lambda desk: desk.rectify(case_id, visit))
    console.print(f"rectification of {task.case_id} closed (due {task.deadline})", highlight=False)


@rating_app.command("appeal")
def rating_appeal(
    case_id: str,
    reason: Annotated[str, typer.Option(help="why the rating is mistaken or malicious")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """申诉复核: the handling node appeals a rating to its supervising tier."""
    appeal = _ask(config, node, lambda desk: desk.appeal(case_id, reason))
    console.print(f"appeal of the rating of {appeal.case_id} sent to the supervising tier", highlight=False)


@rating_app.command("decide")
def rating_decide(
    case_id: str,
    void: Annotated[bool, typer.Option("--void/--uphold", help="void the rating, or let it stand")],
    note: Annotated[str, typer.Option(help="the grounds of the decision")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Decide an appeal at the supervising tier: --void or --uphold the rating."""
    appeal = _ask(config, node, lambda desk: desk.decide_appeal(case_id, void, note))
    console.print(f"appeal of {appeal.case_id}: rating {appeal.decision}", highlight=False)


@rating_app.command("appeals")
def rating_appeals(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """Appeals filed at this node and appeals waiting for its decision."""
    appeals = _ask(config, node, lambda desk: desk.appeals())
    table = Table("case", "handler", "score", "reason", "filed (UTC)", "decision")
    for appeal in appeals:
        decision = f"{appeal.decision}: {appeal.decision_note}" if appeal.decision else "pending"
        table.add_row(
            appeal.case_id, appeal.handler, str(appeal.score), appeal.reason, appeal.filed_at, decision
        )
    console.print(table)


# -- supervision and statistics ---------------------------------------------------------------


@supervision_app.command("list")
def supervision_list(
    subtree: Annotated[str, typer.Option(help="a node code below this one (default: all of it)")] = "",
    include_closed: Annotated[bool, typer.Option("--all", help="also cards whose cause is over")] = False,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Open supervision cards (黄牌 预警, 红牌) of cases handled in this node's subtree."""
    cards = _ask(config, node, lambda desk: desk.cards(subtree, include_closed))
    console.print(cards_table(cards))
    yellow = sum(card.colour == "yellow" for card in cards)
    console.print(f"{len(cards)} card(s): {yellow} yellow, {len(cards) - yellow} red")


@app.command("stats")
def stats(
    from_day: Annotated[str, typer.Option("--from", help="first day of submission, YYYY-MM-DD")] = "",
    to_day: Annotated[str, typer.Option("--to", help="last day of submission, YYYY-MM-DD")] = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """统计: this node's own figures and its whole subtree's (from its children's rollups)."""
    report = _ask(config, node, lambda desk: desk.stats(from_day, to_day))
    table = Table("figure", f"own ({report.node})", "subtree")
    own, subtree = report.own, report.subtree
    for label, key in (
        ("办件 cases", "cases"),
        *((f"{State(s).label} {s}", f"state:{s}") for s in State),
        ("办结 concluded", "concluded"),
        ("差评 bad ratings", "bad_ratings"),
        ("黄牌 yellow cards", "cards:yellow"),
        ("红牌 red cards", "cards:red"),
    ):
        table.add_row(label, str(own.counts.get(key, 0)), str(subtree.counts.get(key, 0)))
    for label, field in (
        ("按时办结率 on time", "on_time_rate"),
        ("提前办结率 early", "early_rate"),
        ("网办率 online (all window cases for now)", "online_rate"),
        ("差评整改率 rectified", "rectification_rate"),
    ):
        table.add_row(label, f"{getattr(own, field):.1%}", f"{getattr(subtree, field):.1%}")
    table.add_row("满意度 satisfaction (1–5)", f"{own.satisfaction:.2f}", f"{subtree.satisfaction:.2f}")
    console.print(table)
    children = ", ".join(report.reporting_children) or "none yet"
    span = f"{report.from_day or '…'} – {report.to_day or '…'}"
    console.print(f"submitted {span}; rollups from: {children}", highlight=False)


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


# -- catalogue --------------------------------------------------------------------------------


@catalog_app.command("list")
def catalog_list(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """List the service items this node holds, with the tier that handles each."""
    reply = _ask(config, node, lambda desk: desk.items())
    table = Table("code", "name", "type", "department", "handled at", "days", "online", "visits", "materials")
    for item in reply.items:
        table.add_row(
            ("  " * {"子项": 1, "业务办理项": 2}.get(item.level, 0)) + item.code,
            item.name + (f" · {item.claim.window_address}" if item.claim.window_address else ""),
            item.type,
            item.department,
            item.handling_tier,
            "即办" if item.instant else f"{item.promised_days}/{item.statutory_days}",
            item.online_level + (" · 跨省通办" if item.cross_province else ""),
            str(item.max_visits),
            "、".join(m.name + ("（容缺）" if m.deferrable else "") for m in item.materials),
        )
    console.print(table)
    console.print(f"catalogue release {reply.catalog_version}: {len(reply.items)} items")


@catalog_app.command("show")
def catalog_show(
    item: Annotated[str, typer.Argument(help="item code, e.g. MZ-0001")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """办事指南: every element of an item as the release carries it, with this node's local fields."""
    import json

    reply = _ask(config, node, lambda desk: desk.items())
    found = next((i for i in reply.items if i.code == item.strip()), None)
    if found is None:
        fail(f"unknown item {item!r}: not in catalogue release {reply.catalog_version}", EXIT_REFUSED)
    console.print(f"[bold]{found.name}[/] ({found.code}), catalogue release {reply.catalog_version}")
    table = Table("element", "value")
    for name, value in json.loads(found.elements_json).items():
        table.add_row(name, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    for name in ("window_address", "phone", "opening_hours", "local_notes"):
        value = getattr(found.claim, name)
        if value:
            table.add_row(f"{name} (local)", value)
    console.print(table)


@catalog_app.command("publish")
def catalog_publish(
    file: Annotated[Path, typer.Argument(help="the catalogue file (JSON: name and items)")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """发布 (province): make FILE the next signed release; it flows down to every node as deltas."""
    try:
        document = file.read_bytes()
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror}")
    reply = _ask(config, node, lambda desk: desk.publish_catalog(document))
    if not reply.published:
        console.print(f"{file} equals the current release {reply.version}: nothing published")
        return
    console.print(
        f"published catalogue release [bold]{reply.version}[/] ({reply.item_count} items, "
        f"digest {reply.digest[:16]}…), signed by the province",
        highlight=False,
    )
    print_catalog_diff(reply.changes)


@catalog_app.command("verify")
def catalog_verify(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """Prove this node holds exactly its parent's release; exit code 0 only when it does."""
    report = _ask(config, node, lambda desk: desk.verify_catalog())
    verdict = "[green]identical[/]" if report.identical else "[red]DIFFERENT[/]"
    console.print(
        f"node {report.node_code}: release {report.version} ({report.digest[:16]}…) vs "
        f"{report.compared_with}: release {report.other_version} ({report.other_digest[:16]}…): {verdict}",
        highlight=False,
    )
    console.print(f"  {report.note}", highlight=False)
    if report.differences:
        table = Table("code", "name", "problem")
        for difference in report.differences:
            table.add_row(difference.code, difference.name, difference.problem)
        console.print(table)
    raise typer.Exit(0 if report.identical else EXIT_REFUSED)


@catalog_app.command("diff")
def catalog_diff(
    before: Annotated[str, typer.Argument(help="a release version held at the node, or a catalogue file")],
    after: Annotated[str, typer.Argument(help="a release version (0 = current), or a catalogue file")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Show what changed between two releases (or two catalogue files), item by item."""
    from node.catalog import load_document
    from node.catalogdiff import diff_items, to_proto

    if not before.isdigit() and not after.isdigit():
        try:
            old, new = load_document(Path(before)), load_document(Path(after))
        except DomainError as error:
            fail(str(error))
        print_catalog_diff(to_proto(diff_items(old.by_code(), new.by_code()), 0, 0))
        return
    if not (before.isdigit() and after.isdigit()):
        fail("give two release versions, or two catalogue files")
    print_catalog_diff(_ask(config, node, lambda desk: desk.diff_catalog(int(before), int(after))))


def print_catalog_diff(diff: desk_pb2.CatalogDiff) -> None:
    if diff.to_version:
        console.print(f"release {diff.from_version} → {diff.to_version}: {len(diff.changes)} item(s) changed")
    marks = {
        "added": "[green]+ added[/]",
        "withdrawn": "[red]- withdrawn[/]",
        "changed": "[yellow]~ changed[/]",
    }
    for change in diff.changes:
        console.print(f"{marks.get(change.kind, change.kind)} {change.code} {change.name}", highlight=False)
        for field in change.fields:
            console.print(f"    {field.field}: {field.before} → {field.after}", highlight=False)
    if not diff.changes:
        console.print("no differences")


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
            fail(f"--set wants FIELD=VALUE, not {assignment!r}")
        fields[name.strip()] = value
    claim = _ask(config, node, lambda desk: desk.claim_item(item, fields))
    console.print(
        f"{claim.node_code} claims {claim.item_code} {claim.item_name} (release {claim.catalog_version}): "
        f"window {claim.window_address or '-'}, phone {claim.phone or '-'}, "
        f"hours {claim.opening_hours or '-'}",
        highlight=False,
    )


# -- certificates and seals -----------------------------------------------------------------


@peer_app.command("add")
def peer_add(
    province: Annotated[str, typer.Argument(help="the partner province's code, e.g. 440000")],
    root: Annotated[Path, typer.Option(help="the partner's root certificate (PEM), exchanged out of band")],
    address: Annotated[str, typer.Option(help="host:port of the partner's node; empty: it dials us")] = "",
    name: Annotated[str, typer.Option(help="display name, e.g. 广东省")] = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Trust a partner province's root and federate with it (both provinces must add each other)."""
    if not root.is_file():
        fail(f"root certificate {root} does not exist")
    view = _ask(config, node, lambda desk: desk.add_peer(province, root.read_bytes(), address, name))
    console.print(
        f"partner {view.province} {view.name}: root SHA-256 {view.root_fingerprint} "
        f"(compare it with the partner by phone); {view.items_offered} of our item(s) open to it",
        highlight=False,
    )


@peer_app.command("remove")
def peer_remove(
    province: Annotated[str, typer.Argument(help="the partner province's code")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """End a federation: the partner's root is no longer trusted here or below; the link closes."""
    view = _ask(config, node, lambda desk: desk.remove_peer(province))
    console.print(f"partner {view.province} removed; its root is no longer trusted", highlight=False)


@peer_app.command("list")
def peer_list(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """Partner provinces, their link and the items each side opened to the other."""
    table = Table("province", "name", "address", "link", "ours open to it", "its open to us", "root SHA-256")
    for view in _ask(config, node, lambda desk: desk.peers()):
        table.add_row(
            view.province,
            view.name,
            view.address or "(dials us)",
            "connected" if view.connected else "down",
            str(view.items_offered),
            str(view.items_accepted),
            view.root_fingerprint[:16] + "…",
        )
    console.print(table)


@peer_app.command("items")
def peer_items(
    province: Annotated[str, typer.Option(help="only this partner province")] = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Items of partner provinces open to applicants here (跨省通办清单), with their modes."""
    table = Table("province", "code", "name", "handled at", "department", "modes")
    for item in _ask(config, node, lambda desk: desk.partner_items(province)):
        table.add_row(
            item.province, item.code, item.name, item.handling_tier, item.department, ", ".join(item.modes)
        )
    console.print(table)


@cert_app.command("revoke")
def cert_revoke(
    target: Annotated[str, typer.Argument(help="a child's division code, or a certificate serial (hex)")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Revoke certificates this node issued; the new CRL flows down the tree."""
    reply = _ask(config, node, lambda desk: desk.revoke(target))
    console.print(f"revoked; CRL {reply.crl_number} now lists {reply.revoked} certificate(s)")


@seal_app.command("create")
def seal_create(
    holder: Annotated[str, typer.Option(help="the organisation, e.g. 沅江市民政局")],
    department: Annotated[str, typer.Option(help="the department, e.g. 民政局")],
    kind: Annotated[str, typer.Option(help="公章, 业务专用章, 行政审批专用章 or 电子证照专用章")] = "公章",
    days: Annotated[int, typer.Option(help="validity in days")] = 3 * 365,
    algorithm: Annotated[str, typer.Option(help="ecdsa-p256-sha256 or ed25519")] = "ecdsa-p256-sha256",
    picture: Annotated[Path | None, typer.Option(help="an image of the stamp (PNG)")] = None,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """刻制: make a seal with its own sealing key, certified for this node."""
    image = picture.read_bytes() if picture else b""
    seal = _ask(config, node, lambda desk: desk.create_seal(holder, department, kind, days, algorithm, image))
    console.print(
        f"seal {seal.seal_id}: {seal.holder} {seal.department} {seal.kind}, {seal.algorithm}, "
        f"valid {seal.valid_from} – {seal.valid_to}",
        highlight=False,
    )


@seal_app.command("verify")
def seal_verify(
    document: Annotated[Path, typer.Argument(help="a sealed document (*.sealed)")],
    trust: Annotated[
        Path | None, typer.Option(help="trusted root certificates: a PEM file or a folder of them")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="use this node's trusted roots")] = None,
) -> None:
    """Verify a sealed document offline; exit code 0 only when it is valid."""
    from node.sealcheck import describe_check, load_trust

    try:
        store = load_trust(trust, config)
        data = document.read_bytes()
    except (OSError, ValueError, ConfigError) as error:
        fail(str(error))
    from signing.seals import verify

    check = verify(data, store)
    describe_check(console, document, check)
    raise typer.Exit(0 if check.valid else EXIT_REFUSED)


@licence_app.command("check")
def licence_check(
    identifier: Annotated[str, typer.Argument(help="the licence identifier, 1.2.156.3005.2.…")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """What this node knows of a licence: valid (issued here), revoked, or unknown here."""
    _print_licence(_ask(config, node, lambda desk: desk.check_licence(identifier)))


@licence_app.command("revoke")
def licence_revoke(
    identifier: Annotated[str, typer.Argument(help="the licence identifier")],
    reason: Annotated[str, typer.Option(help="why it is revoked (recorded and sent to every node)")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Revoke a licence issued at this node; every node of the province will report it revoked."""
    _print_licence(_ask(config, node, lambda desk: desk.revoke_licence(identifier, reason)))


def _print_licence(status: desk_pb2.LicenceStatus) -> None:
    console.print(f"{status.identifier}: [bold]{status.state}[/]", highlight=False)
    if status.kind:
        console.print(
            f"  {status.kind}, holder {status.holder}, issued by {status.issuer_node}", highlight=False
        )
    if status.state == "revoked":
        console.print(
            f"  revoked {status.revoked_at} by {status.issuer_node}: {status.reason}", highlight=False
        )


# -- demo -------------------------------------------------------------------------------------


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
    case = _ask(config, node, lambda desk: desk.supply(case_id, supplied))
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
    checks = _ask(config, node, lambda desk: desk.post_checks(include_done))
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
    check = _ask(config, node, lambda desk: desk.complete_post_check(case_id, not failed, finding))
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
    bundle = _ask(
        config,
        node,
        lambda desk: desk.submit_bundle(code, applicant, materials, home, defer or [], promised_on, signed),
    )
    print_bundle(bundle)


@bundle_app.command("show")
def bundle_show(bundle_id: str, config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """The bundle's one status, with the progress of each part (where it was applied)."""
    print_bundle(_ask(config, node, lambda desk: desk.get_bundle(bundle_id)))


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
    _ask(config, node, lambda desk: desk.supply(bundle_id, supplied))
    print_bundle(_ask(config, node, lambda desk: desk.get_bundle(bundle_id)))


@app.command("demo")
def demo(
    keep: Annotated[
        Path | None, typer.Option(help="run in DIR and leave configs, databases and logs there")
    ] = None,
) -> None:
    """Start five real nodes (省→市→县→乡镇→村) on loopback and run real cases through them."""
    from node.demo import run_demo

    raise typer.Exit(run_demo(console, keep))


@app.command("bench")
def bench(
    quick: Annotated[bool, typer.Option(help="small sizes (well under 90 s), as CI runs it")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON object instead of the table")
    ] = False,
) -> None:
    """Measure wuji against raw baselines from the same run; results are saved in bench/results/."""
    import json

    from bench.run import print_table, run, save

    result = run(quick)
    path = save(result)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_table(console, result)
        console.print(f"saved {path}")


def main() -> None:
    try:
        app()
    except (InvalidDivisionCode, ConfigError) as error:
        fail(str(error))


if __name__ == "__main__":
    sys.exit(main())
