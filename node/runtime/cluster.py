"""Federations of real nodes on loopback: as processes (demo, fault harness) or in this process
(tests, benchmarks).

Each node gets a folder with its config, keys, SQLite database and log. The province creates its
root CA; every other node is enrolled with a one-time invite from its running parent and then runs
as its own `wuji node run` process, which can be stopped, killed and restarted.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select

from node.clock import Clock
from node.config import NodeConfig
from node.desk.client import DeskClient
from node.runtime.node import Node, open_store
from node.store.models import SealRecord
from node.trust.certificates import remember_crls
from node.trust.enrollment import InviteFile, create_root, enroll, province_seal_algorithm
from node.trust.identity import NodeIdentity, write_private_file
from wuji.divisions import DivisionCode, Tier

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0  # for every node of a federation stopped at once


_LOWEST_PORT = 20_000
PORT_RANGE_ENV = "WUJI_PORT_RANGE"  # "FIRST-LAST": processes choosing ports side by side take one slice each
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port for a node to listen on later, below the kernel's range of ephemeral ports:
    a port from that range (what binding port 0 gives) can be taken, before the node starts, by an
    outgoing connection of a node already running, and the node would then fail to listen.

    A port is free when chosen, not when the node binds it; another process choosing from the same
    range meanwhile could pick it too, so processes that do (the test workers) set WUJI_PORT_RANGE
    to a slice of their own."""
    first, last = port_range()
    for _ in range(1_000):
        port = secrets.randbelow(last - first + 1) + first
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # listened on by something else
        _handed_out.add(port)
        return port
    raise OSError(f"no free loopback port in {first}-{last}")


def port_range() -> tuple[int, int]:
    """Where free_port chooses: WUJI_PORT_RANGE, else from 20000 up to the ephemeral range."""
    given = os.environ.get(PORT_RANGE_ENV)
    if given:
        try:
            first, last = (int(part) for part in given.split("-"))
        except ValueError:
            raise ValueError(f"{PORT_RANGE_ENV} must read FIRST-LAST (e.g. 20000-25999): {given!r}") from None
        if not 0 < first <= last < 65_536:
            raise ValueError(f"{PORT_RANGE_ENV}={given!r} is not a range of ports")
        return first, last
    try:
        ephemeral_from = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_from = 32_768
    return _LOWEST_PORT, max(ephemeral_from - 1, _LOWEST_PORT)


class ProcessFederation:
    def __init__(
        self,
        folder: Path,
        nodes: Sequence[tuple[str, str]],
        *,
        heartbeat_seconds: float = 2.0,
        reconnect_cap_seconds: float = 1.0,
        database_for: Callable[[str], str] | None = None,
        seal_algorithms: dict[str, str] | None = None,
    ) -> None:
        """nodes: (division code, display name), parents before their children.

        database_for: a database URL per node code (default: a SQLite file beside its config).
        seal_algorithms: a province's code → "sm2" for a province that seals with SM2 (default p256)."""
        self.folder = folder
        self.addresses: dict[str, str] = {}
        self.paths: dict[str, Path] = {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.clients: dict[str, DeskClient] = {}
        self.extra_env: dict[str, dict[str, str]] = {}
        self._logs: list[IO[bytes]] = []
        folder.mkdir(parents=True, exist_ok=True)
        self.passphrase_file = folder / "passphrase"
        write_private_file(self.passphrase_file, secrets.token_urlsafe(24).encode())
        for code, name in nodes:
            division = DivisionCode.parse(code)
            address = f"127.0.0.1:{free_port()}"
            config = NodeConfig(
                code=division.value,
                listen=address,
                enroll_listen=f"127.0.0.1:{free_port()}",
                web_listen=f"127.0.0.1:{free_port()}",
                parent_address=self.addresses[division.parent.value] if division.parent else "",
                name=name,
                catalog_file="demo" if division.parent is None else "",
                heartbeat_seconds=heartbeat_seconds,
                reconnect_cap_seconds=reconnect_cap_seconds,
                key_passphrase_file=str(self.passphrase_file),
                database_url=database_for(division.value) if database_for else "",
                seal_algorithm=(seal_algorithms or {}).get(division.value, "p256"),
            )
            path = folder / division.value / "node.toml"
            config.save(path)
            self.paths[division.value] = path
            self.addresses[division.value] = address

    def dial_parent_through(self, code: str, address: str) -> None:
        """Make node code reach its parent at address (e.g. a fault proxy) from its next start."""
        config = NodeConfig.load(self.paths[code])
        config.parent_address = address
        config.save(self.paths[code])

    def start(self, code: str) -> DeskClient:
        """Enroll the node if needed (its parent must be running), start it, wait for its desk."""
        path = self.paths[code]
        config = NodeConfig.load(path)
        folder = config.pki_folder(path)
        if not NodeIdentity.exists(folder):
            self._enroll(config, path, folder)
        log = self.log_of(code).open("ab")
        self._logs.append(log)
        self.processes[code] = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "node", "run", "--config", str(path)],
            cwd=path.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self.extra_env.get(code, {})},
        )
        desk = self.clients.get(code) or DeskClient.for_node(path)
        self.clients[code] = desk
        desk.wait_for(lambda d: d.describe(), STARTUP_TIMEOUT, f"node {code} to start")
        return desk

    def _enroll(self, config: NodeConfig, path: Path, folder: Path) -> None:
        passphrase = self.passphrase_file.read_bytes()
        parent = config.division.parent
        if parent is None:
            create_root(config.division, config.name, folder, passphrase, province_seal_algorithm(config))
            return
        invite = InviteFile.from_message(self.clients[parent.value].invite(config.code, 1))
        _, crls = enroll(config.division, config.name, folder, passphrase, invite)
        with open_store(config, path) as sessions, sessions.begin() as session:
            remember_crls(session, crls)

    def kill(self, code: str) -> None:
        """SIGKILL: the node gets no chance to finish anything."""
        process = self.processes.pop(code)
        process.kill()
        process.wait()

    def terminate(self, code: str, timeout: float = 15.0) -> int:
        """SIGTERM and wait: the node finishes in-flight work and closes its streams. A node that
        does not stop in time is asked for its threads' stacks (SIGUSR1, `wuji node run`), then
        killed; the error carries the end of its log."""
        process = self.processes.pop(code)
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as stuck:
            _kill_stuck(process)
            tail = self.log_of(code).read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(
                f"node {code} did not stop within {timeout:g} s; the end of its log:\n{tail[-12_000:]}"
            ) from stuck

    def log_of(self, code: str) -> Path:
        return self.paths[code].parent / "node.log"

    def desk(self, code: str) -> DeskClient:
        return self.clients[code]

    def ended(self) -> dict[str, str]:
        """The nodes whose process has ended, and how (exit code 0, signal SIGKILL, …)."""
        return {
            code: exit_words(process.returncode)
            for code, process in self.processes.items()
            if process.poll() is not None
        }

    def check_alive(self) -> None:
        for code, process in self.processes.items():
            if process.poll() is not None:
                log = self.log_of(code)
                raise RuntimeError(f"node {code} exited with status {process.returncode}; see {log}")

    def stop(self, timeout: float = STOP_TIMEOUT) -> list[str]:
        """SIGTERM every node and wait for all; what went wrong with any that did not stop cleanly
        (killed when stuck, its threads' stacks at the end of its log; or ended by a crash)."""
        for desk in self.clients.values():
            desk.close()
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        # a loaded machine may need a while to finish in-flight work (every node stops at once, each
        # allowing its web desk, dialer and server up to 20 s; CI once saw a village killed at 30 s)
        deadline = time.monotonic() + timeout
        troubles: list[str] = []
        for code, process in self.processes.items():
            try:
                returncode = process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill_stuck(process)
                troubles.append(
                    f"node {code} did not stop within {timeout:g} s and was killed "
                    f"(what its threads were doing is at the end of {self.log_of(code)})"
                )
                continue
            if returncode != 0:
                troubles.append(f"node {code} ended with {exit_words(returncode)} (see {self.log_of(code)})")
        self.processes.clear()
        for log in self._logs:
            log.close()
        return troubles


class InProcessFederation:
    """Real nodes in this process, each with its own gRPC server on a loopback port and database.

    Nodes are enrolled for real (invite from the running parent, CSR over TLS) and every node above
    the village gets a 公章, so it can conclude cases.
    """

    def __init__(
        self, folder: Path, passphrase: bytes, heartbeat_seconds: float = 1.0, clock: Clock | None = None
    ) -> None:
        self.folder = folder
        self.clock = clock  # shared by every node started here (None: the system clock)
        self.passphrase = passphrase
        self.heartbeat_seconds = heartbeat_seconds
        self.nodes: dict[str, Node] = {}
        self.configs: dict[str, NodeConfig] = {}
        self.passphrase_file = folder / "passphrase"
        write_private_file(self.passphrase_file, passphrase)

    def start(self, code: str, database_url: str = "", port: int = 0, **settings: Any) -> Node:
        """Start the node for code, enrolling it first; its parent must be running already.

        port: where a first start listens (0: one from `free_port`, outside the ephemeral range, so
        that a restart finds its address still free); a restart keeps the address it had.

        settings: further NodeConfig fields for a first start (e.g. metrics_listen); the front desk
        is off unless web_listen is given (e.g. "127.0.0.1:0").
        """
        division = DivisionCode.parse(code)
        config = self.configs.get(division.value)
        if config is None:
            parent = division.parent
            settings.setdefault("web_listen", "off")
            settings.setdefault("backup_dir", str(self.folder / division.value / "backups"))
            if not port:  # its own free port: the default, listen + 1, may be another node's choice
                settings.setdefault("enroll_listen", f"127.0.0.1:{free_port()}")
            config = NodeConfig(
                code=division.value,
                listen=f"127.0.0.1:{port or free_port()}",
                parent_address=self.nodes[parent.value].address if parent else "",
                database_url=database_url or f"sqlite:///{self.folder / (division.value + '.db')}",
                catalog_file="demo" if parent is None else "",
                heartbeat_seconds=self.heartbeat_seconds,
                reconnect_cap_seconds=0.5,
                pki_dir=str(self.folder / division.value / "pki"),
                key_passphrase_file=str(self.passphrase_file),
                **settings,
            )
            self._enroll(config)
        node = Node(config, clock=self.clock)
        node.start()
        if division.tier is not Tier.VILLAGE and not _has_seal(node):
            with node.sessions.begin() as session:
                holder = config.name or f"{division.value} 政务服务中心"
                node.seals.create(session, holder, "政务服务中心", "公章")
        # a restart must come back at the same address, where its children look for it
        config.listen = node.address
        config.save(self.config_path(division.value))
        self.configs[division.value] = config
        self.nodes[division.value] = node
        return node

    def config_path(self, code: str) -> Path:
        return self.folder / code / "node.toml"

    def _enroll(self, config: NodeConfig) -> None:
        division = config.division
        folder = Path(config.pki_dir)
        if division.parent is None:
            create_root(division, config.name, folder, self.passphrase, province_seal_algorithm(config))
            return
        parent = self.nodes[division.parent.value]
        invite = InviteFile.from_message(parent.invite(division.value, 1))
        _, crls = enroll(division, config.name, folder, self.passphrase, invite)
        with open_store(config, None) as sessions, sessions.begin() as session:
            remember_crls(session, crls)

    def stop(self, code: str) -> None:
        self.nodes.pop(code).stop(grace_seconds=1.0)

    def stop_all(self) -> None:
        for code in reversed(list(self.nodes)):
            self.stop(code)


def _kill_stuck(process: subprocess.Popen[bytes]) -> None:
    """Ask a node that does not stop for its threads' stacks (SIGUSR1 makes `wuji node run` write
    them to its log), then kill it."""
    process.send_signal(signal.SIGUSR1)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=2)
    process.kill()
    process.wait()


def exit_words(returncode: int) -> str:
    if returncode < 0:
        return f"signal {signal.Signals(-returncode).name}"
    return f"exit code {returncode}"


def _has_seal(node: Node) -> bool:
    with node.readers() as session:
        return (session.scalar(select(func.count()).select_from(SealRecord)) or 0) > 0
