"""Next hop from division codes alone (docs/architecture.md §5): no routing tables beyond neighbours."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

from wuji.divisions import DivisionCode


class HopKind(Enum):
    LOCAL = "local"
    CHILD = "child"
    PARENT = "parent"
    PEER = "peer"


@dataclass(frozen=True)
class Hop:
    kind: HopKind
    peer: str | None = None  # the neighbour's code, None for LOCAL

    @property
    def role(self) -> str:
        """The role of the neighbour as stored with the link's cursors."""
        return self.kind.value


class NoRoute(Exception):
    """No neighbour leads to the destination (e.g. another province without a peer link)."""


def next_hop(here: DivisionCode, destination: DivisionCode, peer_provinces: Collection[str] = ()) -> Hop:
    if destination == here:
        return Hop(HopKind.LOCAL)
    if here.is_ancestor_of(destination):
        return Hop(HopKind.CHILD, here.child_toward(destination).value)
    if here.parent is not None:
        return Hop(HopKind.PARENT, here.parent.value)
    target_province = destination.province.value
    if target_province in peer_provinces:
        return Hop(HopKind.PEER, target_province)
    raise NoRoute(
        f"no route from province {here} to {destination}: province {target_province} is not a "
        "federated peer (跨省通办 needs a peer link)"
    )
