"""`wuji demo`: five real node processes on loopback, and real cases through them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from node.casestates import Action
from node.client import DeskClient
from node.config import NodeConfig
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2


@dataclass(frozen=True)
class DemoNode:
    code: str
    name: str


# A real chain of division codes in 湖南省; the village point is a sample.
CHAIN = (
    DemoNode("430000000000", "湖南省政务服务中心"),
    DemoNode("430900000000", "益阳市政务服务中心"),
    DemoNode("430981000000", "沅江市政务服务中心"),
    DemoNode("430981001000", "琼湖街道便民服务中心"),
    DemoNode("430981001201", "样例村代办点"),
)
VILLAGE = CHAIN[-1]

# (item code, applicant) submitted at the village: handled at county, township and city.
CASES = (
    ("MZ-0001", "张秀英", "430981196503120021"),
    ("MZ-0003", "李建国", "430981197811230035"),
    ("GJ-0001", "王芳", "430981199002140048"),
)
STARTUP_TIMEOUT = 30.0
STEP_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DemoFederation:
    """The five node processes: configs, logs and databases in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.addresses: dict[str, str] = {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[object] = []

    def write_configs(self) -> dict[str, Path]:
        paths: dict[str, Path] = {}
        parent_address = ""
        for node in CHAIN:
            address = f"127.0.0.1:{_free_port()}"
            config = NodeConfig(
                code=node.code,
                listen=address,
                parent_address=parent_address,
                name=node.name,
                catalog_file="demo" if DivisionCode.parse(node.code).parent is None else "",
                heartbeat_seconds=2.0,
                reconnect_cap_seconds=1.0,
            )
            path = self.folder / node.code / "node.toml"
            config.save(path)
            paths[node.code] = path
            self.addresses[node.code] = address
            parent_address = address
        return paths

    def start(self, paths: dict[str, Path]) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for code, path in paths.items():
            log = (path.parent / "node.log").open("wb")
            self._logs.append(log)
            self.processes[code] = subprocess.Popen(
                [sys.executable, "-m", "node.cli", "node", "run", "--config", str(path)],
                cwd=path.parent,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def check_alive(self) -> None:
        for code, process in self.processes.items():
            if process.poll() is not None:
                log = self.folder / code / "node.log"
                raise RuntimeError(f"node {code} exited with status {process.returncode}; see {log}")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self._logs:
            log.close()  # type: ignore[attr-defined]


def _name_of(code: str) -> str:
    return next((f"{n.name} {code}" for n in CHAIN if n.code == code), code)


def run_demo(console: Console, keep: Path | None) -> int:
    folder = keep.resolve() if keep else Path(tempfile.mkdtemp(prefix="wuji-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    federation = DemoFederation(folder)
    clients: dict[str, DeskClient] = {}
    try:
        console.rule("[bold]wuji demo · 五级 federation on loopback")
        paths = federation.write_configs()
        federation.start(paths)
        started = time.monotonic()
        for node in CHAIN:
            desk = clients[node.code] = DeskClient(federation.addresses[node.code])
            desk.wait_for(lambda d: d.describe(), STARTUP_TIMEOUT, f"{node.name} to start")
            tier = DivisionCode.parse(node.code).tier.label
            console.print(f"  started {tier:<2} {node.name} {node.code} on {federation.addresses[node.code]}")
        village = clients[VILLAGE.code]
        version = village.wait_for(
            lambda d: d.describe().catalog_version, STARTUP_TIMEOUT, "the catalogue to reach the village"
        )
        console.print(
            f"  catalogue release {version} reached the village in {time.monotonic() - started:.1f}s "
            f"({len(village.items().items)} items)"
        )
        federation.check_alive()
        summary = Table("item", "handled at", "status seen at the village", "elapsed")
        for item_code, name, id_number in CASES:
            _run_case(console, clients, item_code, name, id_number, summary)
        console.rule("[bold]summary")
        console.print(summary)
        return 0
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: stopping every node[/]")
        return 130
    except Exception as error:
        console.print(f"[bold red]demo failed:[/] {error}")
        console.print(f"logs are in {folder}")
        keep = keep or folder  # keep the evidence
        return 1
    finally:
        for desk in clients.values():
            desk.close()
        federation.stop()
        if keep:
            console.print(f"everything the run made is in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
        console.print("all nodes stopped")


def _run_case(
    console: Console,
    clients: dict[str, DeskClient],
    item_code: str,
    name: str,
    id_number: str,
    summary: Table,
) -> None:
    village = clients[VILLAGE.code]
    started = time.monotonic()
    case = village.submit(item_code, name, id_number, phone="13800000000")
    handler = clients[case.handler]
    console.rule(f"{case.item_name} ({item_code})")
    console.print(f"  申请 at {_name_of(case.origin)}: case {case.id}", highlight=False)

    arrived = handler.wait_for(lambda d: d.get(case.id), STEP_TIMEOUT, f"case {case.id}")
    console.print(
        f"  hops up   {' → '.join(arrived.events[0].route)} ({time.monotonic() - started:.2f}s)",
        highlight=False,
    )
    for action in (Action.ACCEPT, Action.REVIEW, Action.APPROVE):
        handler.act(case.id, action, note=f"{action.label} by {_name_of(case.handler)}")
        console.print(f"  {action.label} at {_name_of(case.handler)}", highlight=False)

    concluded = village.wait_for(
        lambda d: (c := d.get(case.id)).state == case_pb2.CONCLUDED and c,
        STEP_TIMEOUT,
        "the village to see the conclusion",
    )
    console.print(f"  hops down {' → '.join(concluded.events[-1].route)}", highlight=False)
    elapsed = time.monotonic() - started
    delivered = village.act(case.id, Action.DELIVER, note="结果已交申请人")
    console.print(f"  送达 at {_name_of(case.origin)}: {name} receives the result", highlight=False)
    handler_tier = DivisionCode.parse(case.handler).tier.label
    summary.add_row(
        case.item_name,
        f"{handler_tier} {case.handler}",
        "办结 准予 → 送达" if delivered.state == case_pb2.DELIVERED else str(delivered.state),
        f"{elapsed:.2f}s",
    )
