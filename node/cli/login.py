"""`wuji login|logout|whoami` and `wuji staff …`: people at a node, and where the CLI keeps a login.

A login's token is kept per node in the user's own file (`$WUJI_AUTH_FILE`, default
~/.config/wuji/auth.json, mode 0600), like `gh auth` keeps its token; every later command for that
node carries it, so the node names the person in each event and checks their role. A node is known
there by its code and its province's root certificate: a training copy of the federation, or any
other one with a node of the same code, is never sent this one's token.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives import hashes

from node.cli.common import ConfigPath, NodeAddress, ask, console, end_login, fail, node_code, text_table
from node.config import ConfigError, NodeConfig
from node.errors import InvalidInput
from node.staff.accounts import LOG_LIMIT, MAX_LOG_LIMIT, KnownDepartments, StaffService
from node.staff.roles import account_role
from node.timeutil import from_timestamp, shanghai
from node.trust.identity import load_bundle
from wuji.v1 import desk_pb2

staff_app = typer.Typer(
    help="工作人员: staff accounts at a node (管理员 or the node's operator).", no_args_is_help=True
)

Password = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input (for scripts)")
]


def auth_file() -> Path:
    configured = os.environ.get("WUJI_AUTH_FILE")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "wuji" / "auth.json"


def _logins() -> dict[str, dict[str, str]]:
    path = auth_file()
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        fail(f"cannot read the login file {path}: {error}")


def _write(logins: dict[str, dict[str, str]]) -> None:
    path = auth_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(logins, file, ensure_ascii=False, indent=2)
    os.replace(temporary, path)


def login_key(config: Path) -> str:
    """Where the login for the node configured in config is kept: its code and a fingerprint of its
    province's root ("430981000000@3f9a…")."""
    try:
        node = NodeConfig.load(config)
        roots = load_bundle(node.pki_folder(config) / "root.pem")
    except (ConfigError, OSError, ValueError) as error:
        fail(str(error))
    root = roots[0].fingerprint(hashes.SHA256()).hex()[:16] if roots else "not-enrolled"
    return f"{node.code}@{root}"


def _forget(key: str) -> None:
    """Drop the login kept for a node."""
    logins = _logins()
    logins.pop(key, None)
    _write(logins)


def saved_login(config: Path) -> str:
    """The username whose login for the node configured in config is kept here ("" when none)."""
    return _logins().get(login_key(config), {}).get("username", "")


def stored_token(config: Path) -> str:
    return _logins().get(login_key(config), {}).get("token", "")


def _password(from_stdin: bool, prompt: str = "密码 (password): ", confirm: bool = False) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(prompt)
    if confirm and getpass.getpass("再次输入 (again): ") != password:
        fail("the two passwords differ")
    return password


def login(
    username: Annotated[str, typer.Argument(help="your staff username at this node")],
    password_stdin: Password = False,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """登录: log in at a node; later commands for it act as you until the login expires."""
    password = _password(password_stdin)
    reply = ask(config, node, lambda desk: desk.login(username, password), as_operator=True)
    logins = _logins()
    logins[login_key(config)] = {
        "token": reply.token,
        "username": reply.staff.username,
        "expires_at": from_timestamp(reply.expires_at).isoformat(),
    }
    _write(logins)
    console.print(logged_in_words(reply), highlight=False)


def logged_in_words(reply: desk_pb2.LoginReply) -> str:
    """Who is logged in where, and until when (Beijing time)."""
    staff = reply.staff
    return (
        f"已登录 {staff.node}: {staff.name} ({staff.username}) · {staff.role_label}"
        + (f" · {staff.department}" if staff.department else "")
        + f" · 有效至 {shanghai(from_timestamp(reply.expires_at))}（北京时间）"
    )


def logout(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """退出登录: end your login at a node."""
    code = node_code(config)
    if not stored_token(config):
        console.print(f"未登录 {code} (not logged in)", highlight=False)
        return
    ended_here = end_login(config, node)
    _forget(login_key(config))
    console.print(f"已退出 {code}" if ended_here else f"已退出 {code}（该登录在节点上已失效）")


def whoami(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """Who the node takes you for: your account, or the node's operator when not logged in."""
    me = ask(config, node, lambda desk: desk.whoami())
    if not me.username:
        console.print(
            f"未登录 {me.node}，以节点操作员身份操作 (not logged in: `wuji login USERNAME`)", highlight=False
        )
        return
    department = f" · {me.department}" if me.department else ""
    console.print(f"{me.name} ({me.username}) · {me.role_label}{department} at {me.node}", highlight=False)


@staff_app.command("add")
def staff_add(
    username: Annotated[str, typer.Argument(help="login name: a–z, 0–9, '.', '_', '-'")],
    name: Annotated[str, typer.Option(help="the person's name, e.g. 李娜")],
    role: Annotated[str, typer.Option(help="代办员, 窗口受理, 审核/审批, 监察 or 管理员 (or agent, clerk…)")],
    department: Annotated[str, typer.Option(help="the department, for 窗口受理 and 审核/审批")] = "",
    password_stdin: Password = False,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Add a staff account (the password is asked for twice, or read from --password-stdin)."""
    try:
        account_role(role, department)  # before the password is asked for
    except InvalidInput as refused:
        fail(str(refused))
    password = _password(password_stdin, "新密码 (new password): ", confirm=not password_stdin)
    member = ask(config, node, lambda desk: desk.add_staff(username, name, role, department, password))
    console.print(
        f"已添加账号 {member.username}：{member.name} · {member.role_label} {member.department}".rstrip(),
        highlight=False,
    )


@staff_app.command("list")
def staff_list(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """The staff accounts of a node."""
    table = text_table("账号", "姓名", "岗位", "部门", "状态")
    for member in ask(config, node, lambda desk: desk.staff()):
        state = "在用" if member.active else "停用"
        if member.HasField("locked_until"):
            state += f" · 锁定至 {shanghai(from_timestamp(member.locked_until))}"
        table.add_row(member.username, member.name, member.role_label, member.department, state)
    console.print(table)


@staff_app.command("disable")
def staff_disable(username: str, config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """停用: disable an account and end its logins (events keep naming it)."""
    member = ask(config, node, lambda desk: desk.disable_staff(username))
    console.print(f"停用 {member.username} ({member.name})", highlight=False)


@staff_app.command("enable")
def staff_enable(username: str, config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """启用: a disabled account in use again, with its password, role and department as they were."""
    member = ask(config, node, lambda desk: desk.enable_staff(username))
    console.print(f"启用 {member.username} ({member.name})", highlight=False)


@staff_app.command("set")
def staff_set(
    username: str,
    role: Annotated[str, typer.Option(help="the new role (代办员, 窗口受理, 审核/审批, 监察, 管理员)")] = "",
    department: Annotated[
        str | None, typer.Option(help="the new department, one handling items at the node")
    ] = None,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Change an account's role and/or department, checked as `staff add` checks them; the account's
    logins end when either changes."""
    if not role and department is None:
        fail("nothing to change: give --role and/or --department")
    member = ask(config, node, lambda desk: desk.change_staff(username, role, department))
    console.print(
        f"{member.username} ({member.name})：{member.role_label} {member.department}".rstrip()
        + "（岗位或部门有变时其登录已结束 · a change ends the account's logins）",
        highlight=False,
    )


@staff_app.command("passwd")
def staff_passwd(
    username: str,
    password_stdin: Password = False,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Set a new password (your own, given the current one; or anyone's as 管理员); the account's
    logins end. With --password-stdin, your own takes two lines: the current password, the new one."""
    own = _logins().get(login_key(config), {}).get("username") == username.strip().lower()
    current = _password(password_stdin, "当前密码 (current password): ") if own else ""
    password = _password(password_stdin, "新密码 (new password): ", confirm=not password_stdin)
    member = ask(config, node, lambda desk: desk.set_password(username, password, current))
    if own:  # the node ended this login with the change
        _forget(login_key(config))
        console.print(f"密码已修改，请用新密码重新登录：wuji login {member.username}", highlight=False)
        return
    console.print(f"已为 {member.username} 设置新密码，其登录已结束 (password set)", highlight=False)


@staff_app.command("log")
def staff_log(
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_LOG_LIMIT, help="how many changes, the newest first")
    ] = LOG_LIMIT,
    config: ConfigPath = Path("node.toml"),
) -> None:
    """操作记录: who added an account, changed its role or department, disabled, enabled it or set
    its password, and when, the newest first (运维（命令行） is the node's operator). Read from the
    node's database on its machine, as the /staff page shows it."""
    from node.runtime.node import open_store  # the client commands need no database code

    try:
        node_config = NodeConfig.load(config)
    except ConfigError as error:
        fail(str(error))
    with open_store(node_config, config) as sessions:
        no_departments = KnownDepartments(handled_here=[], in_catalogue=[])  # nothing is changed here
        changes = StaffService(node_config.code, sessions, lambda: no_departments).log(limit)
    if not changes:
        console.print(f"{node_config.code} 尚无操作记录 (no staff changes recorded)", highlight=False)
        return
    for change in changes:
        line = f"{shanghai(change.at)}  {change.by_words}  {change.account_words}  {change.what}"
        console.print(line, markup=False, highlight=False, soft_wrap=True)  # a line each, for grep
    if len(changes) == limit:
        console.print(f"只显示最近 {limit} 条，可能还有更早的 (the newest {limit}; there may be more)")
