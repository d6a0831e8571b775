"""`wuji peer|cert|seal|licence …`: partner provinces, certificates, seals, electronic licences."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

import typer
from cryptography.x509.oid import NameOID
from rich.table import Table

from node.cli.common import (
    EXIT_REFUSED,
    ConfigPath,
    NodeAddress,
    ask,
    ask_named,
    china_time,
    console,
    fail,
    place,
    text_table,
    typed_code,
    unreadable,
)
from node.config import ConfigError
from node.timeutil import as_utc, from_timestamp, shanghai, utcnow
from wuji.divisions import tier_level_words
from wuji.v1 import desk_pb2

peer_app = typer.Typer(
    help="Partner provinces (跨省通办): trust anchors and peer links (at a province).", no_args_is_help=True
)
seal_app = typer.Typer(help="Electronic seals (电子印章) and sealed documents.", no_args_is_help=True)
cert_app = typer.Typer(help="Certificates this node's CA issued.", no_args_is_help=True)
licence_app = typer.Typer(help="Electronic licences (电子证照).", no_args_is_help=True)


@peer_app.command("add")
def peer_add(
    province: Annotated[
        str, typer.Argument(help="the partner province's code, e.g. 440000", parser=typed_code)
    ],
    root: Annotated[Path, typer.Option(help="the partner's root certificate (PEM), exchanged out of band")],
    address: Annotated[str, typer.Option(help="host:port of the partner's node; empty: it dials us")] = "",
    name: Annotated[str, typer.Option(help="display name, e.g. 广东省")] = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Trust a partner province's root and federate with it (both provinces must add each other)."""
    if not root.is_file():
        fail(f"根证书文件 {root} 不存在 (root certificate {root} does not exist)")
    view = ask(config, node, lambda desk: desk.add_peer(province, root.read_bytes(), address, name))
    console.print(
        f"已添加协作省份 {view.province} {view.name}：对方根证书 SHA-256 {view.root_fingerprint}"
        f"（请与对方电话核对）；我方向其开放 {view.items_offered} 个事项 (partner added: compare the root's "
        "SHA-256 with the partner by phone)",
        highlight=False,
    )


@peer_app.command("remove")
def peer_remove(
    province: Annotated[str, typer.Argument(help="the partner province's code", parser=typed_code)],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """End a federation: the partner's root is no longer trusted here or below; the link closes."""
    view = ask(config, node, lambda desk: desk.remove_peer(province))
    console.print(
        f"已移除协作省份 {view.province} {view.name}：其根证书在本省各节点不再受信任，省际连接已断开 "
        "(partner removed; its root is no longer trusted)",
        highlight=False,
    )


@peer_app.command("list")
def peer_list(config: ConfigPath = Path("node.toml"), node: NodeAddress = "") -> None:
    """Partner provinces: their link (since when up or down, the last contact, what waits to go to
    them) and the items each side opened to the other."""
    console.print(peers_table(ask(config, node, lambda desk: desk.peers())))


ROOT_SHOWN = 16  # hex digits of a partner root's SHA-256 a list shows: `peer add` printed it whole


def peers_table(views: Iterable[desk_pb2.PeerView]) -> Table:
    """As the province's 协作省份 page shows them, stacked to fit 80 columns: the name and root
    under the code, the link's times (北京时间) and address under its state."""
    table = text_table("协作省份", "连接（北京时间）", "待报送", "开放事项")
    province = table.columns[0]  # the code whole; a long name folds under it
    province.width, province.no_wrap, province.overflow = ROOT_SHOWN + 1, False, "fold"
    for view in views:
        link = ["已连接 connected" if view.connected else "[red]未连接[/] down"]
        if view.HasField("since"):
            link.append(f"自 {_peer_time(view, 'since')}")
        link.append(f"最近一次连通 {_peer_time(view, 'last_contact') or '从未连通'}")
        link.append(f"地址 {view.address or '（由对方连入）'}")
        table.add_row(
            f"{view.province}\n{view.name}\n根证书\n{view.root_fingerprint[:ROOT_SHOWN]}…",
            "\n".join(link),
            f"{view.waiting} 条",
            f"我方 {view.items_offered}\n对方 {view.items_accepted}",
        )
    return table


def _peer_time(view: desk_pb2.PeerView, field: Literal["since", "last_contact"]) -> str:
    """A time of the link in Beijing time, or "" where the node has not seen it."""
    return shanghai(from_timestamp(getattr(view, field))) if view.HasField(field) else ""


@peer_app.command("items")
def peer_items(
    province: Annotated[str, typer.Option(help="only this partner province", parser=typed_code)] = "",
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Items of partner provinces open to applicants here (跨省通办清单), with their modes."""
    table = text_table("省份", "事项编码", "事项名称", "办理层级", "部门", "办理模式")
    items, names = ask_named(
        config, node, lambda desk: desk.partner_items(province), lambda items: {i.province for i in items}
    )
    for item in items:
        table.add_row(
            place(item.province, names),  # 广东省（440000000000）: the name its anchor was added under
            item.code,
            item.name,
            tier_level_words(item.handling_tier),
            item.department,
            ", ".join(item.modes),
        )
    console.print(table)


@cert_app.command("revoke")
def cert_revoke(
    target: Annotated[
        str, typer.Argument(help="a child's division code, or a certificate serial (hex)", parser=typed_code)
    ],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Revoke certificates this node issued; the new CRL flows down the tree."""
    reply = ask(config, node, lambda desk: desk.revoke(target))
    console.print(
        f"已吊销：第 {reply.crl_number} 号吊销列表现列出 {reply.revoked} 张证书，并发往各节点 "
        f"(revoked; CRL {reply.crl_number} now lists {reply.revoked} certificate(s))",
        highlight=False,
    )


PURPOSE_WORDS = {
    "tls": "连接",
    "ca": "CA",
    "seal": "印章",
    "timestamp": "时间戳",
    "catalog": "目录签名",
}  # IssuedCertificate.purpose
EXPIRY_NOTICE = timedelta(days=60)  # how early an expiring certificate is pointed out


@cert_app.command("list")
def cert_list(config: ConfigPath = Path("node.toml")) -> None:
    """证书清单: the certificates this node's CA issued, with their holder, serial and expiry."""
    from cryptography import x509
    from sqlalchemy import select

    from node.config import NodeConfig
    from node.runtime.node import open_store
    from node.store.models import IssuedCertificate

    try:
        with open_store(NodeConfig.load(config), config) as sessions, sessions() as session:
            order = (IssuedCertificate.code, IssuedCertificate.issued_at)
            rows = session.scalars(select(IssuedCertificate).order_by(*order)).all()
    except (ConfigError, OSError) as error:
        fail(str(error))
    now = utcnow()
    table = text_table("持有者", "用途", "序号", "有效期至（北京时间）", "状态")
    for row in rows:
        names = x509.load_pem_x509_certificate(row.pem.encode()).subject.get_attributes_for_oid(
            NameOID.COMMON_NAME
        )
        name = str(names[0].value) if names else ""
        table.add_row(
            name if name.startswith(row.code) else place(row.code, {row.code: name}),  # 430000… 时间戳服务
            PURPOSE_WORDS.get(row.purpose, row.purpose),
            row.serial,
            shanghai(row.not_after),
            _certificate_state(row.not_after, row.revoked_at, now),
        )
    console.print(table)
    console.print(
        f"共 {len(rows)} 张；吊销用 wuji cert revoke <下级代码或序号> ({len(rows)} certificate(s))",
        highlight=False,
    )


def _certificate_state(not_after: datetime, revoked_at: datetime | None, now: datetime) -> str:
    if revoked_at is not None:
        return f"[red]已吊销[/]（{shanghai(revoked_at)}）"
    if as_utc(not_after) <= now:
        return "[red]已过期[/]"
    left = as_utc(not_after) - now
    return f"[yellow]{left.days} 天后到期[/]" if left <= EXPIRY_NOTICE else "有效"


@seal_app.command("create")
def seal_create(
    holder: Annotated[str, typer.Option(help="the organisation, e.g. 沅江市民政局")],
    department: Annotated[str, typer.Option(help="the department, e.g. 民政局")],
    kind: Annotated[str, typer.Option(help="公章, 业务专用章, 行政审批专用章 or 电子证照专用章")] = "公章",
    days: Annotated[int, typer.Option(min=1, help="validity in days")] = 3 * 365,
    algorithm: Annotated[
        str,
        typer.Option(
            help="ecdsa-p256-sha256, ed25519 or sm2 (国密 SM2/SM3, sm2-sm3); "
            "default: the province's seal algorithm (`node init --seal-algorithm`)"
        ),
    ] = "",
    picture: Annotated[Path | None, typer.Option(help="an image of the stamp (PNG)")] = None,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """刻制: make a seal with its own sealing key, certified for this node."""
    image = picture.read_bytes() if picture else b""
    seal = ask(config, node, lambda desk: desk.create_seal(holder, department, kind, days, algorithm, image))
    console.print(
        f"已刻制印章 {seal.seal_id}：{seal.holder} {seal.department} {seal.kind}，算法 {seal.algorithm}，"
        f"有效期 {china_time(seal.valid_from, marked=False)} 至 {china_time(seal.valid_to)} "
        f"(seal {seal.seal_id} made)",
        highlight=False,
    )


@seal_app.command("verify")
def seal_verify(
    document: Annotated[Path, typer.Argument(help="a sealed document (*.sealed)")],
    trust: Annotated[
        Path | None, typer.Option(help="trusted root certificates: a PEM file or a folder of them")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="use this node's roots, partner anchors, CRLs and licence revocations"),
    ] = None,
    require_revocation: Annotated[
        bool,
        typer.Option(
            help="fail unless the sealing certificate's CA issued a revocation list since it was sealed"
        ),
    ] = False,
    require_timestamp: Annotated[
        bool, typer.Option(help="fail when the signing time is not attested by a time-stamp token")
    ] = False,
) -> None:
    """Verify a sealed document offline; exit code 0 only when it is valid."""
    from node.trust.sealcheck import describe_check, load_trust, node_evidence, verify_offline

    evidence = None
    try:
        data = document.read_bytes()  # first: the paper in hand is what a mistyped name most likely is
        if config is not None:
            from node.config import NodeConfig
            from node.runtime.node import open_store

            with open_store(NodeConfig.load(config), config) as sessions, sessions() as session:
                evidence = node_evidence(session)
        store = load_trust(trust, config, evidence)
    except OSError as error:  # the document or a --trust file: named, in words (no [Errno 2])
        fail(unreadable(error))
    except (ValueError, ConfigError) as error:
        fail(str(error))
    check = verify_offline(
        data, store, evidence, require_revocation=require_revocation, require_timestamp=require_timestamp
    )
    describe_check(console, document, check)
    raise typer.Exit(0 if check.valid else EXIT_REFUSED)


@licence_app.command("check")
def licence_check(
    identifier: Annotated[str, typer.Argument(help="the licence identifier, 1.2.156.3005.2.…")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """What this node knows of a licence: valid (issued here), revoked, or unknown here."""
    _print_licence(ask(config, node, lambda desk: desk.check_licence(identifier)))


@licence_app.command("revoke")
def licence_revoke(
    identifier: Annotated[str, typer.Argument(help="the licence identifier")],
    reason: Annotated[str, typer.Option(help="why it is revoked (recorded and sent to every node)")],
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """Revoke a licence issued at this node; every node of the province will report it revoked."""
    _print_licence(ask(config, node, lambda desk: desk.revoke_licence(identifier, reason)))


def _print_licence(status: desk_pb2.LicenceStatus) -> None:
    console.print(f"{status.identifier}: [bold]{status.state}[/]", highlight=False)
    if status.kind:
        console.print(
            f"  {status.kind}, holder {status.holder}, issued by {status.issuer_node}", highlight=False
        )
    if status.state == "revoked":
        revoked = f"  revoked {china_time(status.revoked_at)} by {status.issuer_node}: {status.reason}"
        console.print(revoked, highlight=False)
