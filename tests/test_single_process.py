"""One process per node: a second `wuji node run` of the same configuration refuses to start."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
from pathlib import Path

from node.config import NodeConfig
from node.runtime.cluster import ProcessFederation
from node.runtime.lease import AlreadyRunning, LinkLease, process_holder
from node.store.engine import create_store_engine, migrate, session_factory
from tests.harness import CITY, PROVINCE, wait_for
from tests.test_cli import wuji


def test_a_second_process_of_the_same_node_refuses_to_start_and_the_first_goes_on(tmp_path):
    federation = ProcessFederation(tmp_path, [(PROVINCE, "湖南省")])
    path = federation.paths[PROVINCE]
    try:
        desk = federation.start(PROVINCE)
        try:
            second = wuji("node", "run", "--config", str(path), cwd=path.parent, timeout=120)
        except subprocess.TimeoutExpired as running:
            raise AssertionError("the second process started instead of refusing") from running
        assert second.returncode != 0
        assert f"cannot start node {PROVINCE}" in second.stderr
        assert "in use" in second.stderr or "already runs" in second.stderr
        assert desk.describe().code == PROVINCE  # the first one still answers
        assert federation.terminate(PROVINCE) == 0
    finally:
        federation.stop()
    assert NodeConfig.load(path).code == PROVINCE


def test_a_running_node_shows_what_each_thread_is_doing_when_asked_and_goes_on(tmp_path):
    """`kill -USR1 <pid>` on a node that seems stuck writes every thread's stack to its log."""
    federation = ProcessFederation(tmp_path, [(PROVINCE, "湖南省")])
    try:
        desk = federation.start(PROVINCE)
        federation.processes[PROVINCE].send_signal(signal.SIGUSR1)
        log = federation.paths[PROVINCE].parent / "node.log"

        # the stacks are written thread by thread: read them once the main thread's is there too
        # (reading at the first thread's header failed once, the dump half-written)
        def dumped() -> bool:
            stacks = log.read_text(errors="replace")
            return "Thread 0x" in stacks and "node/cli/nodes.py" in stacks  # the main thread, waiting

        wait_for(dumped, what="every thread's stack, the main thread's among them")
        assert desk.describe().code == PROVINCE and federation.terminate(PROVINCE) == 0
    finally:
        federation.stop()


def test_a_node_stops_when_the_signal_lands_on_one_of_its_other_threads(tmp_path):
    """A SIGTERM sent to the process is handled by whichever thread the kernel picks; a main thread
    asleep until told to stop must still hear it (CI once saw a village never stop, killed at 60 s)."""
    federation = ProcessFederation(tmp_path, [(PROVINCE, "湖南省")])
    try:
        federation.start(PROVINCE)
        process = federation.processes.pop(PROVINCE)
        others = [int(task.name) for task in Path(f"/proc/{process.pid}/task").iterdir()]
        worker = next(tid for tid in others if tid != process.pid)
        assert ctypes.CDLL(None, use_errno=True).tgkill(process.pid, worker, signal.SIGTERM) == 0
        try:
            returncode = process.wait(timeout=60)
        except subprocess.TimeoutExpired as stuck:
            process.kill()
            process.wait()
            raise AssertionError("no stop on a SIGTERM that landed on a thread not the main one") from stuck
        assert returncode == 0
        assert f"node {PROVINCE} stopped" in federation.log_of(PROVINCE).read_text(encoding="utf-8")
    finally:
        federation.stop()


def test_stopping_a_federation_says_which_node_was_killed_stuck_and_which_had_crashed(tmp_path):
    federation = ProcessFederation(tmp_path, [(PROVINCE, "湖南省"), (CITY, "益阳市")])
    federation.start(PROVINCE)
    federation.start(CITY)
    os.kill(federation.processes[PROVINCE].pid, signal.SIGKILL)  # gone before the stop
    os.kill(federation.processes[CITY].pid, signal.SIGSTOP)  # hears nothing until killed
    troubles = federation.stop(timeout=3)
    assert troubles == [
        f"node {PROVINCE} ended with signal SIGKILL (see {federation.log_of(PROVINCE)})",
        f"node {CITY} did not stop within 3 s and was killed "
        f"(what its threads were doing is at the end of {federation.log_of(CITY)})",
    ]
    assert federation.processes == {}


def test_the_lease_tells_a_live_twin_from_a_dead_one_and_from_another_replica(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'node.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    host = socket.gethostname()
    replica = f"{host}:127.0.0.1:7400"

    def lease(holder: str) -> LinkLease:
        return LinkLease(sessions, lambda held: None, holder, term_seconds=60)

    twin = lease(f"{replica} ({host} pid {os.getppid()})")  # a live process with the same name
    twin._tick()
    assert twin.active
    try:
        lease(process_holder(replica)).refuse_twin()
    except AlreadyRunning as refused:
        assert f"process {os.getppid()}" in str(refused)
    else:
        raise AssertionError("a live twin was not noticed")
    lease(process_holder(f"{host}:127.0.0.1:7410")).refuse_twin()  # another replica: fine
    twin.stop()
    dead = subprocess.Popen(["true"])
    dead.wait()
    gone = lease(f"{replica} ({host} pid {dead.pid})")
    gone._tick()
    restarted = lease(process_holder(replica))
    restarted.refuse_twin()  # its holder died without releasing: fine
    restarted._tick()
    assert restarted.active  # and the restarted process takes the lease at once, not after its term
    restarted.stop()
    engine.dispose()
