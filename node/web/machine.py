"""What the front desk's header says of the machine the node's database lives on: a disk about to
fill is told to the people at the window while there is still time to clear it (a full disk stops
them taking in cases; see node/errors.py Unforeseen)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from node.store.engine import free_disk_bytes

if TYPE_CHECKING:
    from node.runtime.node import Node

GIB = 1024**3
LOW_DISK_BYTES = 2 * GIB  # a day of scanned materials at a busy hall, and the scheduled backup's room


def low_disk(node: Node) -> str:
    """The warning to show while the database's disk has less than LOW_DISK_BYTES free ("" if not)."""
    free = free_disk_bytes(node.database_url)
    if free is None or free >= LOW_DISK_BYTES:
        return ""
    return f"本机磁盘只剩 {free / GIB:.1f} GB：请尽快告知本节点的运维人员清理；磁盘满后本点将无法受理办件"
