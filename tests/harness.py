"""Test helpers around real in-process nodes (node.cluster.InProcessFederation)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import grpc

from node.clock import Clock
from node.runtime.cluster import InProcessFederation
from node.runtime.node import Node
from node.staff.roles import operator
from node.trust.identity import pem_bundle
from sync.transport import open_channel
from wuji.v1 import desk_pb2_grpc

PROVINCE = "430000000000"  # 湖南省
CITY = "430900000000"  # 益阳市
COUNTY = "430981000000"  # 沅江市
TOWNSHIP = "430981006000"
VILLAGE = "430981006001"
CHAIN = (PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE)
# a partner province for 跨省通办 (codes shaped like 广东省 → 深圳市 → 南山区 → 街道 → 社区)
GD_PROVINCE = "440000000000"
GD_CITY = "440300000000"
GD_COUNTY = "440305000000"
GD_TOWNSHIP = "440305001000"
GD_VILLAGE = "440305001001"
GD_CHAIN = (GD_PROVINCE, GD_CITY, GD_COUNTY, GD_TOWNSHIP, GD_VILLAGE)
PROVINCE_NAMES = {
    PROVINCE: "湖南省",
    GD_PROVINCE: "广东省",
}  # as partners name each other (`peer add --name`)
PASSPHRASE = b"harness passphrase, not a secret"
# who sets the tests' staff accounts up: the node's operator at the command line (no person)
OPERATOR = operator("")

T = TypeVar("T")


def wait_for(
    probe: Callable[[], T | Literal[False] | None], timeout: float = 15.0, what: str = "condition"
) -> T:
    """Poll probe until it returns something truthy; fail with what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class FederationHarness(InProcessFederation):
    def __init__(
        self, folder: Path, clock: Clock | None = None, database_for: Callable[[str], str] | None = None
    ) -> None:
        super().__init__(folder, PASSPHRASE, clock=clock)
        self._channels: list[grpc.Channel] = []
        self._database_for = database_for  # code -> URL; None: a SQLite file per node

    def start(self, code: str, database_url: str = "", port: int = 0, **settings: Any) -> Node:
        if not database_url and self._database_for is not None and code not in self.configs:
            database_url = self._database_for(code)
        return super().start(code, database_url, port, **settings)

    def start_chain(self, codes: tuple[str, ...] = CHAIN) -> list[Node]:
        started = [self.start(code) for code in codes]
        wait_for(
            lambda: all(node.describe().catalog_version > 0 for node in started),
            what="the catalogue to reach every node",
        )
        return started

    def federate(self, dialling: str, answering: str) -> None:
        """Make two running provinces partners: each installs the other's root (`wuji peer add`)."""
        first, second = self.nodes[dialling], self.nodes[answering]
        # each root file holds the province's root and, if it seals with SM2, its SM2 seal root
        named = {code: PROVINCE_NAMES.get(code, f"province {code}") for code in (dialling, answering)}
        second.add_peer(dialling, pem_bundle(first.identity.document_roots), "", named[dialling])
        first.add_peer(
            answering, pem_bundle(second.identity.document_roots), second.address, named[answering]
        )

    def restart(self, code: str) -> Node:
        return self.start(code)

    def desk(self, code: str) -> desk_pb2_grpc.DeskStub:
        """A desk client of node code, presenting that node's own certificate (as its operators do)."""
        node = self.nodes[code]
        channel = open_channel(node.address, node.transport, peer_code=code)
        self._channels.append(channel)
        return desk_pb2_grpc.DeskStub(channel)

    def stop_all(self) -> None:
        for channel in self._channels:
            channel.close()
        super().stop_all()
