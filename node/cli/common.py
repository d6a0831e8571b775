"""What every command shares: the consoles, exit codes, options, and one desk call."""

from __future__ import annotations

import errno
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import grpc
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from node.cases.applicants import digits_as_typed
from node.config import ConfigError, NodeConfig
from node.desk.client import DeskClient
from node.timeutil import shanghai
from node.trust.identity import IdentityMissing
from node.trust.names import place as office_place
from signing.keys import KeyFileError

console = Console()
errors = Console(stderr=True)

T = TypeVar("T")

EXIT_USAGE = 2
EXIT_REFUSED = 1
EXIT_UNREACHABLE = 3

CASE_ID_WIDTH = 39  # a division code, "-" and a ULID
BUNDLE_ID_WIDTH = CASE_ID_WIDTH + 1  # a 一件事's: "B" before its ULID
DATE_WIDTH = len("2026-12-20")  # a column of dates kept this wide keeps each whole
# columns of identifiers people copy into the next command: kept whole on one line, never folded
IDENTIFIER_WIDTHS = {
    "办件": CASE_ID_WIDTH,
    "事项编码": 17,  # GJ-0001-01-01, indented two steps as a 业务办理项
    "省份": 12,  # a division code
    "协作省份": 12,
}


def text_table(*headers: str) -> Table:
    """A table whose cells fold onto more lines where the terminal is narrow: Rich otherwise cuts a
    run of text without spaces, which is all of Chinese, to "…"; columns of case ids, item codes and
    division codes (IDENTIFIER_WIDTHS) keep them whole, as people copy them into the next command."""
    return Table(*(_column(header) for header in headers))


def _column(header: str) -> Column:
    width = IDENTIFIER_WIDTHS.get(header)
    if width is not None:
        return Column(header, no_wrap=True, min_width=width)
    return Column(header, overflow="fold")


WIDE_ENOUGH = 120  # columns a table of cases needs to give the item a column of its own


def wide_terminal(width: int | None = None) -> bool:
    """Whether `width` (default: the console's) is WIDE_ENOUGH."""
    return (width or console.width) >= WIDE_ENOUGH


class KeyedTable:
    """A table whose rows are named by an identifier people copy (a column of IDENTIFIER_WIDTHS)
    and a line of words (`under`: an item's name, a card's words). In a terminal narrower than
    WIDE_ENOUGH (`width`, default the console's) the words go under the identifier, in its column:
    beside a whole case id or item code, Chinese columns in 80 folded a character a line."""

    def __init__(self, key: str, under: str, *headers: str, width: int | None = None) -> None:
        self.wide = wide_terminal(width)
        self.table = text_table(key, *((under,) if self.wide else ()), *headers)
        if not self.wide:
            keys = self.table.columns[0]  # the identifier fills its width; longer words fold below it
            keys.width, keys.no_wrap, keys.overflow = IDENTIFIER_WIDTHS[key], False, "fold"

    def add_row(self, key: str, line: str, *cells: str) -> None:
        named = (key, line) if self.wide else (f"{key}\n{line}",)
        self.table.add_row(*named, *cells)

    def keep_dates_whole(self, *headers: str) -> None:
        """Give the columns headed so DATE_WIDTH: a date in them (a limit, when something was done)
        stays on one line, in a narrow terminal that would fold it."""
        for column in self.table.columns:
            if column.header in headers:
                column.width = DATE_WIDTH


class CaseTable(KeyedTable):
    """Cases, each named by its id and its item (or another line of words, `under`)."""

    def __init__(self, *headers: str, width: int | None = None, under: str = "事项") -> None:
        super().__init__("办件", under, *headers, width=width)


def typed_code(text: str) -> str:
    """A division code (or a certificate serial) as typed: full-width digits (a Chinese input
    method) as ASCII, spaces between groups left out, as the front desk reads one."""
    return digits_as_typed(text)


ConfigPath = Annotated[
    Path,
    typer.Option("--config", envvar="WUJI_CONFIG", help="the node's node.toml; its certificate is presented"),
]
NodeAddress = Annotated[
    str, typer.Option("--node", envvar="WUJI_NODE", help="host:port of the desk (default: from the config)")
]
Note = Annotated[str, typer.Option("--note", help="a note recorded with the event")]


def print_list(table: Table, count: str) -> None:
    """A list's table, then the line that counts it; an empty list is its count alone (an empty
    table's frame reads like a screen that failed to load)."""
    if table.row_count:
        console.print(table)
    console.print(count, highlight=False)


# a command in a hint, right after Chinese text: "请先启动它：wuji node run …", "先`wuji cert …`"
_GLUED_COMMAND = re.compile(r"(?<=[^\x00-\x7f（「《])(?=`?wuji )")


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """End the command with `message` on standard error. Rich breaks lines at spaces only, and folds
    a longer run of characters where the line ends: a run of Chinese with a command glued to its end
    was cut inside the command (请先启动它：wuj / i node run …); a space before it keeps it whole."""
    spaced = _GLUED_COMMAND.sub(" ", message)
    errors.print(f"[bold red]error:[/] {escape(spaced)}", highlight=False)  # "[node]" is no markup
    raise typer.Exit(code)


def china_time(iso: str, *, marked: bool = True) -> str:
    """An ISO 8601 instant from a reply (UTC), as people read it: 2026-12-07 09:50（北京时间）, or
    without the mark in a table whose heading names the zone; "" (not happened yet) stays ""."""
    if not iso:
        return ""
    try:
        local = shanghai(datetime.fromisoformat(iso))
    except ValueError:
        return iso
    return f"{local}（北京时间）" if marked else local


def read_file(file: Path) -> bytes:
    """A file the user named, or a usage error that says why it cannot be read."""
    try:
        return file.read_bytes()
    except OSError as error:
        fail(unreadable(error))


# why a file named on the command line cannot be read, as people at a desk say it
_UNREADABLE = {
    errno.ENOENT: "没有这个文件",
    errno.EACCES: "没有读取权限",
    errno.EISDIR: "这是文件夹，不是文件",
}


def unreadable(error: OSError) -> str:
    """读不到文件 x.sealed：没有这个文件 (No such file or directory), not Python's
    [Errno 2] No such file or directory: 'x.sealed'."""
    english = error.strerror or str(error)
    reason = _UNREADABLE.get(error.errno or 0)
    said = f"{reason} ({english})" if reason else english
    return f"读不到文件 {error.filename}：{said}" if error.filename else said


def node_code(config: Path) -> str:
    try:
        return NodeConfig.load(config).code
    except (ConfigError, OSError) as error:
        fail(str(error))


def _desk_call(config: Path, address: str, as_operator: bool) -> DeskClient:
    from node.cli.login import stored_token  # the login file is the login commands' business

    try:
        token = "" if as_operator else stored_token(config)
        return DeskClient.for_node(config, address, token=token)
    except (ConfigError, IdentityMissing, KeyFileError, OSError) as error:
        fail(str(error))


def ask(config: Path, address: str, call: Callable[[DeskClient], T], as_operator: bool = False) -> T:
    """One desk call with this node's identity and the person logged in there (if any); a refusal
    or an unreachable node ends the command."""
    with _desk_call(config, address, as_operator) as desk:
        try:
            return call(desk)
        except grpc.RpcError as error:
            _explain(error, desk.address, config, as_operator)


LOST_ANSWER = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
RESEND_PAUSES = (1.0, 3.0)  # seconds before the second and the third sending


def resending(call: Callable[[DeskClient], T]) -> Callable[[DeskClient], T]:
    """call, sent again while the node does not answer (unreachable, or too slow): for a call under
    a submission key only, which the node takes in once however often it arrives, so a lost answer
    never leaves the citizen's application untaken nor taken twice."""

    def again(desk: DeskClient) -> T:
        for pause in RESEND_PAUSES:
            try:
                return call(desk)
            except grpc.RpcError as error:
                if not isinstance(error, grpc.Call) or error.code() not in LOST_ANSWER:
                    raise
                errors.print(
                    f"节点 {desk.address} 未答复（{error.details()}）：{pause:g} 秒后以同一申请键再发一次，"
                    "不会重复受理 (no answer; sending again under the same submission key)",
                    highlight=False,
                )
                time.sleep(pause)
        return call(desk)

    return again


def end_login(config: Path, address: str) -> bool:
    """Log out at the node; False where the node had ended the login already (it expired, or the
    password was changed), which leaves nothing to end there."""
    with _desk_call(config, address, False) as desk:
        try:
            desk.logout()
        except grpc.RpcError as error:
            if isinstance(error, grpc.Call) and error.code() is grpc.StatusCode.UNAUTHENTICATED:
                return False
            _explain(error, desk.address, config)
    return True


def ask_named(
    config: Path, address: str, call: Callable[[DeskClient], T], codes: Callable[[T], Iterable[str]]
) -> tuple[T, dict[str, str]]:
    """ask, then, on the same connection, the names the node gives the offices its answer names
    (none from a node of an older version: the codes are then shown alone)."""
    with _desk_call(config, address, False) as desk:
        try:
            answer = call(desk)
        except grpc.RpcError as error:
            _explain(error, desk.address, config)
        wanted = {code for code in codes(answer) if code}
        try:
            return answer, desk.office_names(wanted) if wanted else {}
        except grpc.RpcError:
            return answer, {}


def place(code: str, names: Mapping[str, str]) -> str:
    """An office as the node named it (ask_named), or its code alone."""
    return office_place(code, names.get(code, ""))


def _explain(error: grpc.RpcError, address: str, config: Path, as_operator: bool = False) -> NoReturn:
    code = error.code() if isinstance(error, grpc.Call) else None
    details = error.details() if isinstance(error, grpc.Call) else str(error)
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        fail(
            f"节点 {address} 未及时答复：它可能正忙或网络太慢，请稍后再试 "
            f"(cannot reach the node at {address} in time: {details})",
            EXIT_UNREACHABLE,
        )
    if code is grpc.StatusCode.UNAVAILABLE:
        fail(
            f"连不上节点 {address}：节点没有运行，或地址、端口不对；若是本机的节点，请先启动它："
            f"wuji node run --config {config} (cannot reach the node at {address}: {details})",
            EXIT_UNREACHABLE,
        )
    if code is grpc.StatusCode.UNAUTHENTICATED:
        fail(  # said to a clerk: the operator's way out stays in the brackets
            f"{details}：请重新登录（wuji login 你的用户名 --config {config}）；账号被停用或忘了密码，"
            "请找本节点的管理员 (log in again with `wuji login USERNAME --config …`; "
            "the node's operator acts after `wuji logout --config …`)",
            EXIT_REFUSED,
        )
    refused = f"{details} ({code.name if code else 'error'})"
    if code is grpc.StatusCode.PERMISSION_DENIED and not as_operator:
        refused += _whose_login(config)
    fail(refused, EXIT_REFUSED)


def _whose_login(config: Path) -> str:
    """Where a refused command's person came from: the login saved on this machine, and how to act
    as someone else ("" when no login was saved for the node)."""
    from node.cli.login import auth_file, saved_login

    username = saved_login(config)
    if not username:
        return ""
    return (
        f"\n本命令用的是本机保存的 {username} 的登录（{auth_file()}）：这个账号不能办理这件事，"
        f"请由有此职责的同事办理，或问本节点的管理员 (the saved login of {username} was used; "
        f"someone allowed logs in with `wuji login`, the node's operator acts after "
        f"`wuji logout --config {config}`)"
    )
