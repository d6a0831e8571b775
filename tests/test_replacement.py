"""A village's laptop is lost: its certificate is revoked at the township and a replacement machine
is enrolled under the same code, exactly as the README says (`wuji cert revoke`, `wuji node init`
in a new folder, `wuji node invite`, `wuji node enroll`, `wuji node run`)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import grpc
import pytest
from sqlalchemy import func, select

from node.config import NodeConfig
from node.runtime.cluster import free_port
from node.runtime.node import Node
from node.store.engine import create_store_engine, migrate, session_factory
from node.store.models import Case, CaseEvent, IssuedCertificate
from node.timeutil import shanghai
from sync import inbox, outbox
from sync.origin import CERTIFICATE_REFUSED
from sync.tables import QuarantinedEnvelope
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


def replace_township(federation: FederationHarness, folder: Path) -> Node:
    """The README's steps for a lost township: `wuji cert revoke` at the county, then `wuji node init`
    in a new folder (at the lost machine's address, where its villages dial), `wuji node invite` at
    the county, `wuji node enroll` and `wuji node run` there (here, in this process)."""
    county_config = str(federation.config_path(COUNTY))
    revoked = wuji("cert", "revoke", TOWNSHIP, "--config", county_config)
    assert revoked.returncode == 0, revoked.stderr
    address = federation.configs[TOWNSHIP].listen
    made = wuji("node", "init", TOWNSHIP, "--listen", address, "--web-listen", "off",
                "--parent", federation.nodes[COUNTY].address, "--dir", str(folder))  # fmt: skip
    assert made.returncode == 0, made.stderr
    invite = folder.parent / "township2.invite"
    invited = wuji("node", "invite", TOWNSHIP, "--config", county_config, "--out", str(invite))
    assert invited.returncode == 0, invited.stderr
    path = folder / "node.toml"
    enrolled = wuji("node", "enroll", "--config", str(path), "--invite", str(invite))
    assert enrolled.returncode == 0, enrolled.stderr
    config = NodeConfig.load(path)
    config.enroll_listen = f"127.0.0.1:{free_port()}"  # listen + 1 may be another test node's port
    config.reconnect_cap_seconds = 0.5
    config.save(path)
    node = Node(config, path, clock=federation.clock)
    node.start()
    federation.nodes[TOWNSHIP] = node  # stopped with the federation
    return node


def held_at(node: Node) -> dict[str, int]:
    """The village's cases held at node, each with how many events its log has there."""
    with node.readers() as session:
        rows = session.execute(
            select(Case.id, func.count(CaseEvent.seq))
            .join(CaseEvent, CaseEvent.case_id == Case.id)
            .where(Case.origin == VILLAGE)
            .group_by(Case.id)
        )
        return {case_id: events for case_id, events in rows}


def quarantined(node: Node) -> list[str]:
    with node.readers() as session:
        return list(session.scalars(select(QuarantinedEnvelope.reason)))


@pytest.mark.parametrize("village_restored", [False, True], ids=["clean", "village-restored-before"])
def test_a_replacement_for_a_lost_township_gets_its_villages_cases_and_none_is_lost(
    federation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, village_restored: bool
):
    """The walk: a township is lost and replaced as the README said. Revoking its CA made the
    village's certificate worthless (the village was told its own was revoked); the village, enrolled
    again by hand, sent its cases up signed with the old certificate, and they were quarantined at
    the county and at the new township, lost without a word; and a village once restored from a
    backup looped on its link ("expected seq 9, got 14") five times a second, sending nothing."""
    monkeypatch.setenv("WUJI_KEY_PASSPHRASE", PASSPHRASE.decode())
    federation.start_chain()
    village_config = str(federation.config_path(VILLAGE))
    village, township = federation.desk(VILLAGE), federation.desk(TOWNSHIP)
    accepted = submit(village, TOWNSHIP_ITEM, name="已受理").id
    waiting = submit(village, TOWNSHIP_ITEM, name="待受理").id
    far = submit(village, COUNTY_ITEM, name="县级办理").id
    wait_for(
        lambda: {accepted, waiting} <= cases_at(federation.nodes[TOWNSHIP]), what="cases at the township"
    )
    wait_for(lambda: far in cases_at(federation.nodes[COUNTY]), what="the case at the county")
    act(township, accepted, case_pb2.ACCEPT)
    wait_for(lambda: state_at(village, accepted) == case_pb2.ACCEPTED and settled(federation), what="quiet")
    if village_restored:  # its outbox then lacks the envelopes sent between the backup and the loss
        backup = tmp_path / "village.db"
        assert wuji("node", "backup", "--to", str(backup), "--config", village_config).returncode == 0
        lost = submit(village, TOWNSHIP_ITEM, name="备份后").id
        wait_for(lambda: lost in cases_at(federation.nodes[TOWNSHIP]) and settled(federation), what="quiet")
        federation.stop(VILLAGE)
        assert wuji("node", "restore", "--from", str(backup), "--config", village_config).returncode == 0
        federation.restart(VILLAGE)
        village = federation.desk(VILLAGE)
        wait_for(lambda: lost in cases_at(federation.nodes[VILLAGE]), what="the case back from the township")
        wait_for(lambda: settled(federation), what="quiet links after the restore")
    at_county = held_at(federation.nodes[COUNTY])

    federation.stop(TOWNSHIP)  # the township's machine is lost
    outage = submit(village, COUNTY_ITEM, name="周六").id  # taken in while the township is down
    replacement = replace_township(federation, tmp_path / "township2")
    wait_for(lambda: (up := replacement.links.find(COUNTY)) and up.connected, what="the replacement linked")

    # the village is told that its township's certificate was revoked, not its own, and what to do
    said = wait_for(lambda: (link := federation.nodes[VILLAGE].links.find(TOWNSHIP)) and link.revoked,
                    what="the village refused by the replacement")  # fmt: skip
    status = "".join(wuji("node", "status", "--config", village_config).stdout.split())
    assert f"上级{TOWNSHIP}的证书已被吊销" in status and "wujinodeenroll--again" in status, status
    assert "本节点的证书已被吊销" not in status, status
    assert said
    later = submit(village, COUNTY_ITEM, name="吊销后").id  # still taken in: it goes up once enrolled again

    # the village is enrolled again from the replacement: one documented command, said in Chinese
    invite = tmp_path / "village2.invite"
    township2_config = str(tmp_path / "township2" / "node.toml")
    invited = wuji("node", "invite", VILLAGE, "--config", township2_config, "--out", str(invite))
    assert invited.returncode == 0, invited.stderr
    federation.stop(VILLAGE)
    plain = wuji("node", "enroll", "--config", village_config, "--invite", str(invite))
    assert plain.returncode != 0 and "--again" in plain.stderr and "已入网" in plain.stderr, plain.stderr
    again = wuji("node", "enroll", "--again", "--config", village_config, "--invite", str(invite))
    assert again.returncode == 0, again.stderr
    federation.restart(VILLAGE)

    county = federation.nodes[COUNTY]
    wait_for(lambda: {outage, later} <= cases_at(county), what="the outage's cases at the county")
    expected_here = {accepted, waiting} | ({lost} if village_restored else set())
    wait_for(
        lambda: set(held_at(replacement)) == expected_here, what="the township's cases at the replacement"
    )
    wait_for(lambda: settled(federation), what="quiet links")
    assert held_at(county) == {**at_county, outage: 1, later: 1}  # each exactly once, nothing replayed twice
    assert quarantined(county) == [] and quarantined(replacement) == []
    # and the replacement handles them
    act(federation.desk(TOWNSHIP), waiting, case_pb2.ACCEPT)
    act(federation.desk(COUNTY), outage, case_pb2.ACCEPT)
    desk = federation.desk(VILLAGE)
    wait_for(
        lambda: state_at(desk, waiting) == case_pb2.ACCEPTED, what="the replacement's 受理 at the village"
    )
    wait_for(lambda: state_at(desk, outage) == case_pb2.ACCEPTED, what="the county's 受理 at the village")


def test_an_envelope_quarantined_for_its_origins_revoked_certificate_is_settled_once_signed_again(
    tmp_path: Path,
):
    """The county quarantined a village's case signed under its lost township's revoked CA, and
    kept counting it (隔离报文 1 件) after the village, enrolled again, sent it signed anew and it was
    applied. A quarantined envelope of another fault, or not yet sent again, stays."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'node.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    revoked = f"{CERTIFICATE_REFUSED}certificate {TOWNSHIP} (乡镇, serial 0x1) was revoked on …"
    with sessions.begin() as session:
        for seq, message_id, reason in (
            (1, "resent", revoked),
            (2, "not yet", revoked),
            (3, "altered", "the signature of its origin does not verify"),
        ):
            envelope = link_pb2.Envelope(seq=seq, message_id=message_id)
            inbox.record(session, TOWNSHIP, [envelope])
            inbox.quarantine(session, TOWNSHIP, envelope, reason)
        # signed anew, it came again through the replacement and was applied; "altered" came again
        # and was refused again
        inbox.record(session, TOWNSHIP, [link_pb2.Envelope(seq=4, message_id="resent")])
        again = link_pb2.Envelope(seq=5, message_id="not yet")
        inbox.record(session, TOWNSHIP, [again])
        inbox.quarantine(session, TOWNSHIP, again, revoked)
    with sessions.begin() as session:
        assert inbox.settle_signed_again(session) == ["resent"]
    with sessions() as session:
        left = session.execute(select(QuarantinedEnvelope.message_id, QuarantinedEnvelope.seq)).all()
    assert sorted(left) == [("altered", 3), ("not yet", 2), ("not yet", 5)]
    engine.dispose()
