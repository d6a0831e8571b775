"""Real nodes in this process: each with its own gRPC server on a loopback port and its own database."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import grpc
from sqlalchemy import func, select

from node.certificates import remember_crls
from node.clock import Clock
from node.config import NodeConfig
from node.enrollment import InviteFile, create_root, enroll
from node.models import SealRecord
from node.runtime import Node, open_store
from sync.transport import open_channel
from wuji.divisions import DivisionCode, Tier
from wuji.v1 import desk_pb2_grpc

PROVINCE = "430000000000"  # 湖南省
CITY = "430900000000"  # 益阳市
COUNTY = "430981000000"  # 沅江市
TOWNSHIP = "430981001000"
VILLAGE = "430981001201"
CHAIN = (PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE)
PASSPHRASE = b"harness passphrase, not a secret"

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
    def __init__(self, folder: Path, clock: Clock | None = None) -> None:
        self.folder = folder
        self.clock = clock  # shared by every node started here (None: the system clock)
        self.nodes: dict[str, Node] = {}
        self._configs: dict[str, NodeConfig] = {}
        self._channels: list[grpc.Channel] = []
        self.passphrase_file = folder / "passphrase"
        self.passphrase_file.write_bytes(PASSPHRASE)
        self.passphrase_file.chmod(0o600)

    def start(self, code: str, database_url: str = "", port: int = 0) -> Node:
        """Start the node for code, enrolling it first; its parent must be running already."""
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
                pki_dir=str(self.folder / division.value / "pki"),
                key_passphrase_file=str(self.passphrase_file),
            )
            self.enroll(config)
        node = Node(config, clock=self.clock)
        node.start()
        if division.tier is not Tier.VILLAGE and not self._has_seal(node):
            with node.sessions.begin() as session:
                node.seals.create(session, f"{division.value} 政务服务中心", "政务服务中心", "公章")
        # a restart must come back at the same address, where its children look for it
        config.listen = node.address
        config.save(self.config_path(division.value))  # for the CLI tests
        self._configs[division.value] = config
        self.nodes[division.value] = node
        return node

    def config_path(self, code: str) -> Path:
        return self.folder / code / "node.toml"

    def enroll(self, config: NodeConfig) -> None:
        """Real enrollment: the parent makes an invite, the child redeems it over TLS."""
        division = config.division
        folder = Path(config.pki_dir)
        if division.parent is None:
            create_root(division, config.name, folder, PASSPHRASE)
            return
        parent = self.nodes[division.parent.value]
        invite = InviteFile.from_message(parent.invite(division.value, 1))
        _, crls = enroll(division, config.name, folder, PASSPHRASE, invite)
        with open_store(config, None) as sessions, sessions.begin() as session:
            remember_crls(session, crls)

    @staticmethod
    def _has_seal(node: Node) -> bool:
        with node.readers() as session:
            return session.scalar(select(func.count()).select_from(SealRecord)) > 0

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
        """A desk client of node code, presenting that node's own certificate (as its operators do)."""
        node = self.nodes[code]
        channel = open_channel(node.address, node.transport, peer_code=code)
        self._channels.append(channel)
        return desk_pb2_grpc.DeskStub(channel)

    def stop_all(self) -> None:
        for channel in self._channels:
            channel.close()
        for code in reversed(list(self.nodes)):
            self.stop(code)
