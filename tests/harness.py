"""Real nodes in this process: each with its own gRPC server on a loopback port and its own database."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import grpc

from node.config import NodeConfig
from node.runtime import Node
from wuji.divisions import DivisionCode
from wuji.v1 import desk_pb2_grpc

PROVINCE = "430000000000"  # 湖南省
CITY = "430900000000"  # 益阳市
COUNTY = "430981000000"  # 沅江市
TOWNSHIP = "430981001000"
VILLAGE = "430981001201"
CHAIN = (PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE)

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll probe until it returns something truthy; fail with what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class FederationHarness:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.nodes: dict[str, Node] = {}
        self._configs: dict[str, NodeConfig] = {}
        self._channels: list[grpc.Channel] = []

    def start(self, code: str, database_url: str = "", port: int = 0) -> Node:
        """Start the node for code; its parent (if any) must have been started before."""
        division = DivisionCode.parse(code)
        config = self._configs.get(division.value)
        if config is None:
            parent = division.parent
            config = NodeConfig(
                code=division.value,
                listen=f"127.0.0.1:{port}",
                parent_address=self.nodes[parent.value].address if parent else "",
                database_url=database_url or f"sqlite:///{self.folder / (division.value + '.db')}",
                catalog_file="demo" if parent is None else "",
                heartbeat_seconds=1.0,
                reconnect_cap_seconds=0.5,
            )
        node = Node(config)
        node.start()
        # a restart must come back at the same address, where its children look for it
        config.listen = node.address
        self._configs[division.value] = config
        self.nodes[division.value] = node
        return node

    def start_chain(self, codes: tuple[str, ...] = CHAIN) -> list[Node]:
        started = [self.start(code) for code in codes]
        wait_for(
            lambda: all(node.describe().catalog_version > 0 for node in started),
            what="the catalogue to reach every node",
        )
        return started

    def stop(self, code: str) -> None:
        self.nodes.pop(code).stop(grace_seconds=1.0)

    def restart(self, code: str) -> Node:
        return self.start(code)

    def desk(self, code: str) -> desk_pb2_grpc.DeskStub:
        channel = grpc.insecure_channel(self.nodes[code].address)
        self._channels.append(channel)
        return desk_pb2_grpc.DeskStub(channel)

    def stop_all(self) -> None:
        for channel in self._channels:
            channel.close()
        for code in reversed(list(self.nodes)):
            self.stop(code)
