"""The line in the front desk's header on the link to the parent tier: a village agent sees whether
what is accepted here is going up, and that nothing is lost while it cannot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from node.timeutil import drift_words, shanghai
from sync.link import CLOCK_DRIFT_NOTICE

if TYPE_CHECKING:
    from node.runtime.node import Node
    from sync.link import Link


@dataclass(frozen=True)
class Uplink:
    parent: str  # the parent node's name, or its code
    connected: bool
    waiting: int  # envelopes held here for the parent, not yet acknowledged by it
    clock: str = ""  # what is wrong with this node's clock, if the parent's tells ("" if nothing)
    catalogue: int = 1  # the catalogue release held here: 0 before the parent's first one

    @property
    def words(self) -> str:
        if not self.connected and not self.catalogue:  # never linked: no item can be applied for yet
            return (
                f"尚未连上上级 {self.parent}，还没有收到事项目录，暂时不能受理：请检查网络和上级地址"
                "（wuji node status），连上后目录自动同步"
            )
        if not self.connected:
            held = f"{self.waiting} 条数据保存在本点，" if self.waiting else "本点照常受理，"
            return f"与上级 {self.parent} 的连接已中断：{held}连接恢复后自动报送"
        if self.waiting:
            return f"上级 {self.parent} 已连接，{self.waiting} 条数据正在报送"
        return f"上级 {self.parent} 已连接"


def uplink_of(node: Node) -> Uplink | None:
    """The link to the parent tier now; None at a province (it has none)."""
    parent = node.here.parent
    if parent is None:
        return None
    name = node.names.name_of(parent.value) or parent.value
    link = node.links.find(parent.value)  # a page only looks: the node makes its links
    if link is not None and link.connected:
        return Uplink(name, True, link.outbox_depth(), clock_trouble(node, name, link))
    waiting = link.outbox_depth() if link is not None else 0
    return Uplink(name, False, waiting, clock_trouble(node, name, link), node.catalog_version())


def clock_trouble(node: Node, parent: str, link: Link | None) -> str:
    """Receipts, time limits and events are stamped with this node's clock: a village PC whose
    clock is wrong (a flat CMOS battery, a date typed in by hand) is told so by its parent's
    heartbeats, or, before one is heard, by its own certificate (issued on the parent's clock)."""
    ahead = link.peer_clock_ahead if link is not None else None
    if ahead is not None:
        if abs(ahead) <= CLOCK_DRIFT_NOTICE:
            return ""
        return (
            f"本机时钟比上级 {parent} {drift_words(-ahead)}：受理时间和办理期限都按本机时钟记录，"
            f"请校正本机的日期和时间"
        )
    now = node.clock.now()
    valid_from = node.identity.tls_certificate.not_valid_before_utc
    if now < valid_from:
        return (
            f"本机时钟（{shanghai(now)}）早于本节点证书的生效时间（{shanghai(valid_from)}），日期和时间不对："
            f"受理时间和办理期限都按本机时钟记录，请校正本机的日期和时间"
        )
    return ""
