"""`wuji node …`: set up, enroll, run, back up and restore this node; its status."""

from __future__ import annotations

import shutil
import signal
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import DatabaseError

from node.cli.common import (
    EXIT_REFUSED,
    ConfigPath,
    NodeAddress,
    ask,
    china_time,
    console,
    errors,
    fail,
    text_table,
    typed_code,
)
from node.config import ConfigError, NodeConfig, same_address
from node.errors import DomainError, is_damaged_database
from node.timeutil import drift_words, from_timestamp, shanghai, utcnow
from node.trust.identity import IdentityMissing
from node.web.uplink import CHILD_REVOKED, trouble_meaning
from signing.keys import KeyFileError
from sync.link import CLOCK_DRIFT_NOTICE
from wuji.divisions import DivisionCode
from wuji.v1 import desk_pb2

SIGNAL_LOOK_SECONDS = 0.5  # how soon a running node notices a SIGTERM handled by another thread

node_app = typer.Typer(help="Set up and run this node.", no_args_is_help=True)


@node_app.command("init")
def node_init(
    code: Annotated[
        str, typer.Argument(help="division code of this node (6, 9 or 12 digits)", parser=typed_code)
    ],
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
    web_listen: Annotated[
        str, typer.Option("--web-listen", help="host:port of the web front desk, or off")
    ] = "127.0.0.1:8080",
    seal_algorithm: Annotated[
        str,
        typer.Option(
            "--seal-algorithm",
            help="province only: sm2 (国密 SM2/SM3 seals, GB/T 38540; its whole tree follows) or p256",
        ),
    ] = "p256",
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
            web_listen=web_listen,
            seal_algorithm=seal_algorithm,
        )
    except ConfigError as error:
        fail(str(error))
    if config.parent_address and same_address(config.listen, config.parent_address):
        fail(
            f"--parent {config.parent_address} 是本节点自己的 --listen 地址：应填上级节点的 listen 地址"
            f"（主机:端口）(parent_address is this node's own listen address: give the parent's)"
        )
    folder = directory or Path(f"wuji-{config.code}")
    path = folder / "node.toml"
    if path.exists() and not force:
        fail(f"{path} exists already (use --force to overwrite)")
    config.save(path)
    division = config.division
    addresses = {"--listen": (listen, config.listen), "--parent": (parent, config.parent_address),
                 "--web-listen": (web_listen, config.web_listen)}  # fmt: skip
    for option, (typed, read) in addresses.items():
        if typed.strip() != read and read != "off":  # typed with a Chinese input method
            said = f"{option} {typed} 读作 {read}（全角字符按半角读）(read as {read})"
            console.print(said, highlight=False)
    above = "，省级根节点 (a province root)"
    if division.parent:
        above = f"，上级 {division.parent}（{config.parent_address}）(parent {division.parent})"
    console.print(f"已写入 [bold]{path}[/]：{division.tier.label}级节点 {division}{above}", highlight=False)
    console.print(_next_steps(config, path), highlight=False, soft_wrap=True)  # commands to copy, unfolded


def _next_steps(config: NodeConfig, path: Path) -> str:
    """What to do after `wuji node init`: enroll (a province makes its root CA; any other node needs
    an invite made at its parent), then run."""
    division, run = config.division, f"wuji node run --config {path}"
    if division.parent is None:
        return (
            f"下一步 (next)：\n  wuji node enroll --config {path}   # 创建本省根证书 (creates the root CA)\n"
            f"  {run}"
        )
    invite = f"{division}.invite"
    return (
        f"下一步 (next)：\n"
        f"  1. 请上级节点 {division.parent}（{config.parent_address}）的操作员在上级运行 "
        f"(ask the parent's operator to run there)：\n"
        f"     wuji node invite {division} --config <上级的 node.toml> --out {invite}\n"
        f"     并把邀请文件 {invite} 交给你（一次有效）(and hand you the one-time invite)\n"
        f"  2. wuji node enroll --config {path} --invite {invite}   # 领取本节点证书 (enroll)\n"
        f"  3. {run}"
    )


@node_app.command("enroll")
def node_enroll(
    config_path: ConfigPath = Path("node.toml"),
    invite: Annotated[
        Path | None, typer.Option(help="the invite file from `wuji node invite` at the parent")
    ] = None,
    again: Annotated[
        bool,
        typer.Option(
            "--again",
            help="enrol an enrolled node anew (its certificate, or its parent's, was revoked); node stopped",
        ),
    ] = False,
) -> None:
    """Obtain this node's certificates: from the parent with an invite, or (a province) a new root CA."""
    from node.trust.certificates import remember_crls
    from node.trust.enrollment import (
        EnrollmentRefused,
        InviteFile,
        create_root,
        enroll,
        province_seal_algorithm,
    )
    from node.trust.identity import passphrase as key_passphrase

    try:
        config = NodeConfig.load(config_path)
        folder, secret = config.pki_folder(config_path), key_passphrase(config.key_passphrase_file)
    except (ConfigError, KeyFileError, OSError) as error:
        fail(str(error))
    from node.trust.identity import NodeIdentity

    enrolled = NodeIdentity.exists(folder)
    if enrolled and not again:
        fail(
            f"节点 {config.code} 已入网（证书在 {folder}）。如果上级吊销了本节点的证书，或上级换了新设备"
            f"（本节点的证书随之失效），请上级运维发新的邀请，停下本节点后运行 `wuji node enroll --again "
            f"--invite <邀请文件> --config {config_path}` 重新入网，再启动本节点 (node {config.code} is "
            "enrolled already: to enrol it anew, stop it and use --again with a new invite)"
        )
    if again and invite is None:
        fail("重新入网需要上级的新邀请：--invite <邀请文件> (--again needs --invite FILE)")
    from node.store.engine import require_database_folder

    try:  # before the invite is used up: the certificates' revocation lists are kept in the database
        require_database_folder(config.database_url_for(config_path))
    except OSError as error:
        fail(str(error), EXIT_REFUSED)
    division = config.division
    staging = folder.with_name(f"{folder.name}.new") if enrolled else folder
    if enrolled:
        from node.runtime.backup import BackupError, require_stopped

        try:
            require_stopped(config.database_url_for(config_path), "重新入网", "enrolling it again")
        except BackupError as error:
            fail(str(error), EXIT_REFUSED)
        shutil.rmtree(staging, ignore_errors=True)  # what a failed attempt left
    try:
        if invite is None:
            if division.parent is not None:
                fail("a node below the province needs --invite FILE from `wuji node invite` at its parent")
            identity = create_root(division, config.name, folder, secret, province_seal_algorithm(config))
            seals = "ECDSA P-256 (P-256 seals)"
            if identity.seals_with_sm2:
                seals = "国密 SM2/SM3，另有一张 SM2 印章根证书 (an SM2 seal root beside it)"
            # short lines: "P-256 seals" at the end of one long line was wrapped between its words;
            # the folder unfolded by Rich, a path to copy whole
            console.print(
                f"已创建省级节点 {division} 的根证书 (root CA created)\n  证书和密钥 (in)：{folder}\n"
                f"  印章算法 (seals)：{seals}",
                highlight=False,
                soft_wrap=True,
            )
            return
        invited = InviteFile.load(invite)
        doubt = parent_address_doubt(config.parent_address, invited.parent_listen, invited.parent_code)
        if doubt:
            errors.print(doubt, highlight=False)
        identity, crls = enroll(division, config.name, staging, secret, invited)
    except (EnrollmentRefused, DomainError) as error:
        fail(str(error), EXIT_REFUSED)
    replaced = None
    if enrolled:  # the old certificates are kept aside, never deleted
        replaced = folder.with_name(f"{folder.name}.replaced-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
        folder.rename(replaced)
        staging.rename(folder)
        identity.folder = folder
    from node.runtime.node import open_store
    from sync import outbox
    from sync.origin import OriginSigner

    with open_store(config, config_path) as sessions, sessions.begin() as session:
        remember_crls(session, crls)
        signer = OriginSigner(identity.tls_key, identity.tls_certificate, identity.chain[:-1])
        signed = outbox.resign(session, signer) if enrolled else 0
    role, english = "连接证书", "TLS certificate"
    if identity.authority:
        role, english = "CA 证书和连接证书", "CA and TLS certificates"
    if identity.seal_authority is not None:
        role, english = f"{role}，以及 SM2 印章 CA 证书", f"{english} and an SM2 seal CA"
    said = f"{division.tier.label}级节点 {division} 已入网：上级 {division.parent} 签发了本节点的{role}"
    if replaced is not None:
        said = (
            f"{division.tier.label}级节点 {division} 已重新入网：上级 {division.parent} "
            f"签发了本节点的新{role}；原有证书留在 {replaced}；本节点保存的 {signed} 条数据"
            "已用新证书重新签名，启动本节点后自动报送"
        )
    console.print(
        f"{said} (enrolled {division}: {english} issued by {division.parent})\n"
        f"下一步 (next)：wuji node run --config {config_path}",
        highlight=False,
        soft_wrap=True,  # the command to copy, unfolded
    )


_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
_ANY_ADDRESS = {"0.0.0.0", "::", "[::]"}


def parent_address_doubt(parent_address: str, parent_listen: str, parent: str) -> str:
    """A warning where the config's parent_address is not where the invite says its parent listens
    (`wuji node invite` writes its listen address in the file); "" where they agree or the invite
    does not say. Only a warning: the operator may know better (a parent behind another address)."""
    if not parent_listen:
        return ""
    host, _, port = parent_address.rpartition(":")
    listen_host, _, listen_port = parent_listen.rpartition(":")
    hosts = {host, listen_host}
    if port == listen_port and (len(hosts) == 1 or hosts <= _LOOPBACK or listen_host in _ANY_ADDRESS):
        return ""
    return (
        f"注意：node.toml 的 parent_address 是 {parent_address}，而邀请里上级 {parent} 的地址是 "
        f"{parent_listen}：两者不一致，请核对 parent_address；仍按邀请申请证书 (warning: parent_address "
        f"{parent_address} is not the address {parent_listen} the invite gives for {parent})"
    )


@node_app.command("invite")
def node_invite(
    code: Annotated[str, typer.Argument(help="division code of the child to enroll", parser=typed_code)],
    hours: Annotated[int, typer.Option(min=1, help="hours the one-time token stays valid")] = 24,
    out: Annotated[
        Path | None, typer.Option(help="where to write the invite (default invite-CODE.json)")
    ] = None,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Make a one-time enrollment invite for a child node (hand the file to its operator)."""
    from node.trust.enrollment import InviteFile

    invite = ask(config, node, lambda desk: desk.invite(code, hours))
    path = out or Path(f"invite-{invite.code}.json")
    listen = NodeConfig.load(config).listen  # the node asked is this config's
    replace(InviteFile.from_message(invite), parent_listen=listen).save(path)
    console.print(
        f"已写入节点 {invite.code} 的入网邀请 {path}，有效至 {china_time(invite.expires_at)}，只能用一次："
        f"请交给它的运维人员，勿外传 (wrote {path} for node {invite.code}; one use, keep it secret)",
        highlight=False,
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
    from node.runtime.node import Node  # imported here: the client commands need no database code

    # the handlers go in before the node answers anyone: a SIGTERM sent once its desk answers (CI did
    # so) must stop it cleanly, not kill it with the default action
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    logs.show_stacks_on_request(log_format or config.log_format)  # `kill -USR1 <pid>`, a stuck node
    try:
        node = Node(config, config_path)
        node.start()
    except (DomainError, IdentityMissing, KeyFileError, OSError) as error:  # not enrolled, wrong passphrase
        fail(f"节点 {config.code} 未能启动 (cannot start node {config.code})：{error}", EXIT_REFUSED)
    except DatabaseError as error:
        if not is_damaged_database(error):
            raise
        fail(_damaged_words(config, config_path, error), EXIT_REFUSED)
    if (log_format or config.log_format) == "text":  # JSON output stays JSON, line after line
        console.print(f"node {config.code} running on {node.address}", highlight=False)
        if node.web is not None:
            console.print(f"front desk (前台) at {node.web.url}", highlight=False)
    # a signal handler runs in the main thread, but the kernel may deliver SIGTERM to any thread (one
    # of gRPC's): a main thread asleep in a plain wait() would then never run it, so wake up to look
    while not stop.wait(SIGNAL_LOOK_SECONDS):
        pass
    node.stop()


def _damaged_words(config: NodeConfig, config_path: Path, error: DatabaseError) -> str:
    """What to do when the node's SQLite file cannot be read: restore the newest backup."""
    from node.runtime.backup import scheduled_backups

    folder = config.backup_folder(config_path)
    made = scheduled_backups(folder, config.code)
    newest = f"最近的自动备份是 {made[-1]}" if made else f"{folder} 中没有本节点的自动备份，请用手头的备份"
    return (
        f"节点 {config.code} 的数据库文件已损坏，无法启动 ({error.orig})：{newest}；用 `wuji node restore "
        f"--from <备份文件> --config {config_path}` 恢复（损坏的文件会改名保留），再启动节点，它会从"
        "相邻节点重新同步备份之后的办件 (the database file is damaged: restore a backup)"
    )


@node_app.command("backup")
def node_backup(
    to: Annotated[Path, typer.Option("--to", help="the backup file to write (never overwritten)")],
    config_path: ConfigPath = Path("node.toml"),
) -> None:
    """Back up the node's database while it runs (SQLite online backup; pg_dump for PostgreSQL)."""
    from node.runtime.backup import BackupError, backup

    try:
        config = NodeConfig.load(config_path)
        # a county's database takes minutes to copy: say so on a terminal meanwhile
        with console.status(f"节点 {config.code}：正在把数据库备份到 {to} …"):
            backup(config.database_url_for(config_path), to, config.code)
    except (ConfigError, BackupError) as error:
        fail(str(error), EXIT_REFUSED)
    size = to.stat().st_size / 1_000_000
    console.print(
        f"节点 {config.code} 的数据库已备份到 {to}（{size:,.1f} MB）(database backed up to {to})",
        highlight=False,
    )


@node_app.command("restore")
def node_restore(
    from_file: Annotated[Path, typer.Option("--from", help="a backup written by `wuji node backup`")],
    config_path: ConfigPath = Path("node.toml"),
) -> None:
    """Replace the stopped node's database by a backup; on its next start it resynchronises."""
    from node.runtime.backup import BackupError, restore

    try:
        config = NodeConfig.load(config_path)
        with console.status(f"节点 {config.code}：正在从 {from_file} 恢复数据库 …"):
            restored = restore(config.database_url_for(config_path), from_file, config.division)
    except (ConfigError, BackupError) as error:
        fail(str(error), EXIT_REFUSED)
    console.print(
        f"节点 {config.code} 的数据库已从 {from_file} 恢复；"
        f"启动后它的 {restored.links} 条连接与相邻节点重新同步"
        f"（备份之后只在本节点做过的工作已丢失）(database restored from {from_file}; its links resynchronise "
        "when it starts)",
        highlight=False,
    )
    if restored.replaced is not None:
        console.print(
            f"被替换的数据库保留为 {restored.replaced}，节点运行正常后可删除 (the replaced database is kept)",
            highlight=False,
        )


LINK_ROLES = {"parent": "上级", "child": "下级", "peer": "协作省份"}  # a link's role, as people say it


@node_app.command("status")
def node_status(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """Show a node's identity, catalogue and links."""
    described = ask(config, node, lambda desk: desk.describe())
    division = DivisionCode.parse(described.code)
    console.print(
        f"[bold]{described.name or described.code}[/] {division} ({division.tier.label}), "
        f"事项目录第 {described.catalog_version} 版 (catalogue release {described.catalog_version}), "
        f"隔离报文 {described.quarantined} 件 (quarantined envelopes)"
    )
    table = text_table("相邻节点", "关系", "连接", "待发", "已发", "已确认", "已收")
    for link in described.links:
        table.add_row(
            f"{link.peer} {link.peer_name}".strip(),
            LINK_ROLES.get(link.role, link.role),
            "已连接" if link.connected else "[red]未连接[/]",
            str(link.outbox_depth),
            str(link.sent_seq),
            str(link.acked_seq),
            str(link.received_seq),
        )
    console.print(table)
    for link in described.links:
        if not link.connected:
            console.print(f"[red]{link_down_words(link, described.code)}[/]", highlight=False)
    for link in described.links:
        ahead = timedelta(seconds=link.peer_clock_ahead_seconds)
        if link.HasField("peer_clock_ahead_seconds") and abs(ahead) > CLOCK_DRIFT_NOTICE:
            neighbour = f"{LINK_ROLES.get(link.role, link.role)} {link.peer}"
            console.print(
                f"[red]{neighbour} 的时钟比本机{drift_words(ahead)}[/]："
                "受理时间和办理期限按各节点自己的时钟记录，时钟不对的一方须校正",
                highlight=False,
            )
    expiring = own_certificate_words(config, utcnow())
    if expiring:
        console.print(f"[red]{expiring}[/]", highlight=False)
    console.print(backups_line(config), highlight=False)


def own_certificate_words(config_path: Path, now: datetime) -> str:
    """A warning where this node's own TLS certificate (pki/tls.pem, one year) ends within 60 days or
    has ended: then no neighbour takes its links; "" otherwise, or where it is not enrolled here."""
    from cryptography import x509

    from node.cli.trust import EXPIRY_NOTICE

    path = NodeConfig.load(config_path).pki_folder(config_path) / "tls.pem"
    try:
        not_after = x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc
    except (OSError, ValueError):
        return ""
    renew = (
        "请及早联系上级节点的运维人员换发：上级 wuji cert revoke 本节点代码后重新 wuji node invite，"
        "本节点用新邀请 wuji node enroll"
    )
    if not_after <= now:
        return (
            f"本节点的连接证书已于 {shanghai(not_after)} 过期，相邻节点不再接受本节点的连接：{renew} "
            "(this node's TLS certificate has expired)"
        )
    if not_after - now <= EXPIRY_NOTICE:
        left = (not_after - now).days
        return (
            f"本节点的连接证书将于 {shanghai(not_after)} 到期（还剩 {left} 天），到期后相邻节点不再接受"
            f"本节点的连接：{renew} (this node's TLS certificate expires within 60 days)"
        )
    return ""


def link_down_words(link: desk_pb2.LinkStatus, here: str = "") -> str:
    """Why a link is down and since when, where it is dialled, and when it last worked: what the
    operator looks for before reading the log."""
    neighbour = f"{LINK_ROLES.get(link.role, link.role)} {link.peer} {link.peer_name}".strip()
    said = f"{neighbour}（{link.address}）未连接" if link.address else f"{neighbour} 未连接"
    if link.role == "child" and link.trouble == CHILD_REVOKED:  # revoked here: what to do next
        at = shanghai(from_timestamp(link.trouble_at), seconds=True)
        said += (
            f"：下级 {link.peer} 的证书已于 {at}（北京时间）吊销；如需替换设备，请 wuji node invite "
            f"{link.peer} ({link.trouble})"
        )
    elif link.trouble:
        at = shanghai(from_timestamp(link.trouble_at), seconds=True)
        setting = "node.toml 的 parent_address" if link.role == "parent" else ""
        role = LINK_ROLES.get(link.role, link.role)
        meaning = trouble_meaning(link.trouble, f"{role} {link.peer}", setting, here)
        said += f"：{meaning} ({at} {link.trouble})"
    elif not link.address:
        said += "：由对方发起连接，对方尚未连上本节点"
    heard = "从未连通"
    if link.HasField("last_contact"):
        heard = f"最近一次连通 {shanghai(from_timestamp(link.last_contact))}"
    return f"{said}；{heard}"


def backups_line(config_path: Path) -> str:
    """What `wuji node status` says of the node's own backups (config backup_hours), as found
    beside it on this machine."""
    from node.runtime.backup import last_failure, on_the_databases_disk, scheduled_backups

    config = NodeConfig.load(config_path)
    if config.backup_hours <= 0:
        return "自动备份：已关闭 (backup_hours = 0; back up with `wuji node backup`)"
    hours = config.backup_hours
    every = f"自动备份：每 {hours:g} 小时一次" if hours >= 1 else f"自动备份：每 {hours * 60:g} 分钟一次"
    folder = config.backup_folder(config_path)
    made = scheduled_backups(folder, config.code)
    said = f"{every}，共 {len(made)} 份，最近一份 {made[-1]}" if made else f"{every}，尚无备份（{folder}）"
    failure = last_failure(folder, config.code)
    if failure:
        said += f"\n上次自动备份未做成（{failure[0]}）：{failure[1]}"
    if on_the_databases_disk(config.database_url_for(config_path), folder):
        said += (
            "\n备份与数据库在同一块磁盘上：这块磁盘损坏时两者一同丢失；请把 backup_dir 设到另一块磁盘或"
            "移动硬盘，或定期把备份拷走 (the backups are on the database's disk)"
        )
    return said
