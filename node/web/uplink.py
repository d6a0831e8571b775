"""The line in the front desk's header on the link to the parent tier: a village agent sees whether
what is accepted here is going up, and that nothing is lost while it cannot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from node.runtime.node import Node


@dataclass(frozen=True)
class Uplink:
    parent: str  # the parent node's name, or its code
    connected: bool
    waiting: int  # envelopes held here for the parent, not yet acknowledged by it

    @property
    def words(self) -> str:
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
    if link is None:
        return Uplink(name, False, 0)
    return Uplink(name, link.connected, link.outbox_depth())
