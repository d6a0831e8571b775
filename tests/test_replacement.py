"""A village's laptop is lost: its certificate is revoked at the township and a replacement machine
is enrolled under the same code, exactly as the README says (`wuji cert revoke`, `wuji node init`
in a new folder, `wuji node invite`, `wuji node enroll`, `wuji node run`)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import grpc
import pytest
from sqlalchemy import select

from node.config import NodeConfig
from node.runtime.cluster import free_port
from node.runtime.node import Node
from node.store.engine import create_store_engine, migrate, session_factory
from node.store.models import Case, IssuedCertificate
from node.timeutil import shanghai
from sync import inbox, outbox
from tests.harness import (
    CHAIN,
    COUNTY,
    OPERATOR,
    PASSPHRASE,
    TOWNSHIP,
    VILLAGE,
    FederationHarness,
    wait_for,
)
from tests.test_backup import settled, state_at
from tests.test_cli import wuji
from tests.test_federation import COUNTY_ITEM, TOWNSHIP_ITEM, act, submit
from tests.test_web import ITEM, PASSWORD, logged_in, send_application
from wuji.v1 import case_pb2, link_pb2


def cases_at(node: Node) -> set[str]:
    with node.readers() as session:
        return set(session.scalars(select(Case.id).where(Case.origin == VILLAGE)))


def replace_village(federation: FederationHarness, folder: Path) -> Node:
    """The README's steps for a replacement machine, then `wuji node run` (here, in this process)."""
    township_config = str(federation.config_path(TOWNSHIP))
    revoked = wuji("cert", "revoke", VILLAGE, "--config", township_config)
    assert revoked.returncode == 0, revoked.stderr
    township = federation.nodes[TOWNSHIP]
    made = wuji("node", "init", VILLAGE, "--listen", f"127.0.0.1:{free_port()}", "--web-listen", "off",
                "--parent", township.address, "--dir", str(folder))  # fmt: skip
    assert made.returncode == 0, made.stderr
    invite = folder.parent / "village2.invite"
    invited = wuji("node", "invite", VILLAGE, "--config", township_config, "--out", str(invite))
    assert invited.returncode == 0, invited.stderr
    path = folder / "node.toml"
    enrolled = wuji("node", "enroll", "--config", str(path), "--invite", str(invite))
    assert enrolled.returncode == 0, enrolled.stderr
    config = NodeConfig.load(path)
    config.reconnect_cap_seconds = 0.5  # as the harness's own nodes: the test need not wait 5 s a try
    node = Node(config, path, clock=federation.clock)
    node.start()
    federation.nodes[VILLAGE] = node  # stopped with the federation
    return node


@pytest.mark.parametrize("pruned", [False, True], ids=["recent", "older-than-retention"])
def test_a_replacement_for_a_lost_village_links_up_and_gets_its_cases_back(
    federation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pruned: bool
):
    """A freshly enrolled replacement has a new database that never numbered an envelope: the
    township holds envelopes of the lost machine, and the replacement's numbering continues after
    them (it was refused as a mix-up of databases, every second, and never got the catalogue).
    pruned: the village had been running longer than the township's outbox retention window, so
    what the township sent it first is gone; a new database starts from what is kept."""
    monkeypatch.setenv("WUJI_KEY_PASSPHRASE", PASSPHRASE.decode())
    federation.start_chain()
    village, township = federation.desk(VILLAGE), federation.desk(TOWNSHIP)
    near = submit(village, TOWNSHIP_ITEM, name="丢失前").id
    far = submit(village, COUNTY_ITEM, name="县级办理").id
    wait_for(lambda: near in cases_at(federation.nodes[TOWNSHIP]), what="the case at the township")
    wait_for(lambda: far in cases_at(federation.nodes[COUNTY]), what="the case at the county")
    act(township, near, case_pb2.ACCEPT)
    wait_for(lambda: state_at(village, near) == case_pb2.ACCEPTED and settled(federation), what="quiet links")
    federation.stop(VILLAGE)  # the laptop is lost
    if pruned:
        federation.nodes[TOWNSHIP].config.outbox_retention_days = 0
        assert federation.nodes[TOWNSHIP].prune_outbox() > 0
        act(township, near, case_pb2.REVIEW)  # kept: not yet acknowledged by the lost machine

    replacement = replace_village(federation, tmp_path / "village2")
    wait_for(lambda: (link := replacement.links.find(TOWNSHIP)) and link.connected, what="the link up")
    wait_for(lambda: replacement.describe().catalog_version > 0, what="the catalogue at the replacement")
    wait_for(lambda: cases_at(replacement) == {near, far}, what="the cases back from their handlers")
    desk = federation.desk(VILLAGE)
    wait_for(lambda: state_at(desk, near) == (case_pb2.UNDER_REVIEW if pruned else case_pb2.ACCEPTED),
             what="the case's state at the replacement as at the township")  # fmt: skip

    # the replacement takes cases, and they reach their handler beyond the township
    new = submit(desk, COUNTY_ITEM, name="替换后").id
    wait_for(lambda: new in cases_at(federation.nodes[COUNTY]), what="the new case at the county")
    act(federation.desk(COUNTY), new, case_pb2.ACCEPT)
    wait_for(lambda: state_at(desk, new) == case_pb2.ACCEPTED, what="the county's 受理 at the replacement")


def test_only_a_database_that_never_linked_continues_after_what_the_peer_holds(tmp_path: Path):
    """The parent holds 3 envelopes of this code. A new database (a replacement) continues after
    them, even with envelopes queued before its link came up; a database that has linked before is
    a mix-up of databases (two machines running one node) and stays refused."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'node.db'}")
    migrate(engine)
    sessions = session_factory(engine)

    def send(message_id: str) -> int:
        with sessions.begin() as session:
            return outbox.enqueue(session, TOWNSHIP, "parent", link_pb2.Envelope(message_id=message_id))

    def resume(peer_received: int) -> outbox.Resumption:
        with sessions.begin() as session:
            return outbox.resume(session, TOWNSHIP, "parent", peer_received)

    send("queued before the link came up")
    with sessions() as session:
        assert outbox.last_given(session, TOWNSHIP) == 0  # the parent's 3 are not this database's
    assert resume(3) == outbox.Resumption(skipped_to=3, renumbered=1)
    assert send("next") == 5
    with sessions() as session:
        assert outbox.last_given(session, TOWNSHIP) == 5

    other = tmp_path / "linked.db"  # linked before: it received the parent's catalogue
    engine.dispose()
    engine = create_store_engine(f"sqlite:///{other}")
    migrate(engine)
    sessions = session_factory(engine)
    send("sent and acknowledged")
    with sessions.begin() as session:
        inbox.record(session, TOWNSHIP, [link_pb2.Envelope(seq=1, message_id="catalogue")])
    assert resume(1) == outbox.Resumption()
    assert resume(3) == outbox.Resumption(unexplained=3)
    engine.dispose()


def test_a_revoked_village_says_so_and_takes_no_more_applications(federation):
    """A lost or stolen village machine, revoked at its township, told its agents 本点照常受理 and
    took cases that could never be sent, although its own log said its certificate was revoked."""
    for code in CHAIN:
        federation.start(code, web_listen="127.0.0.1:0" if code == VILLAGE else "off")
    village = federation.nodes[VILLAGE]
    wait_for(lambda: village.describe().catalog_version > 0, what="the catalogue at the village")
    village.staff.add("agent1", "李代办", "代办员", "", PASSWORD, by=OPERATOR)
    agent = logged_in(federation, VILLAGE, "agent1")
    revoked = wuji("cert", "revoke", VILLAGE, "--config", str(federation.config_path(TOWNSHIP)))
    assert revoked.returncode == 0, revoked.stderr

    def header() -> str:
        found = re.search(r'<span id="uplink" class="[^"]*">([^<]*)<', agent.get("/cases").text)
        assert found, "no link line in the header"
        return html.unescape(found.group(1))

    said = wait_for(lambda: "吊销" in (line := header()) and line, what="the revocation in the header")
    assert re.fullmatch(
        rf"本节点的证书已于 \d{{4}}-\d\d-\d\d \d\d:\d\d（北京时间）被上级吊销，上级 {TOWNSHIP} 拒绝连接："
        r"不能再受理，请联系上级运维 \(this node's certificate was revoked\)",
        said,
    ), said
    refused = send_application(agent, agent.get(f"/items/{ITEM}/apply").text)
    assert refused.status_code == 409 and "不能再受理，请联系上级运维" in html.unescape(refused.text)
    with pytest.raises(grpc.RpcError) as desk_refused:  # the Desk API, and so the CLI
        submit(federation.desk(VILLAGE), COUNTY_ITEM)
    assert desk_refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert desk_refused.value.details() == said
    assert cases_at(village) == set()
    status = wuji("node", "status", "--config", str(federation.config_path(VILLAGE)))
    assert f"本节点的证书已被吊销，上级{TOWNSHIP}拒绝连接：不能再受理" in "".join(status.stdout.split()), (
        status.stdout
    )


def test_the_township_says_which_village_it_revoked_and_what_to_do_next(federation):
    """Its status explained the revoked village as a failed TLS handshake, in Chinese; only the
    English in brackets said what had happened, and nothing said what to do."""
    federation.start_chain()
    township = federation.nodes[TOWNSHIP]
    revoked = wuji("cert", "revoke", VILLAGE, "--config", str(federation.config_path(TOWNSHIP)))
    assert revoked.returncode == 0, revoked.stderr
    wait_for(lambda: not township.links.find(VILLAGE).connected, what="the village's link down")
    with township.readers() as session:
        revoked_at = session.scalars(
            select(IssuedCertificate.revoked_at).where(IssuedCertificate.code == VILLAGE)
        ).first()
    assert revoked_at is not None
    status = wuji("node", "status", "--config", str(federation.config_path(TOWNSHIP)))
    said = "".join(status.stdout.split())  # as wrapped to the terminal's width
    expected = (
        f"下级 {VILLAGE} 未连接：下级 {VILLAGE} 的证书已于 {shanghai(revoked_at, seconds=True)}（北京时间）"
        f"吊销；如需替换设备，请 wuji node invite {VILLAGE} (its certificate was revoked)"
    )
    assert "".join(expected.split()) in said, status.stdout
    assert "握手失败" not in said
