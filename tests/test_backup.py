"""Backup and restore of a node: a restored village resynchronises with its township without loss."""

from __future__ import annotations

import contextlib
import re
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from sqlalchemy import func, select

from node.cases import eventlog
from node.cli.nodes import backups_line
from node.config import ConfigError, NodeConfig
from node.runtime import backup as backups
from node.runtime.backup import BackupError
from node.runtime.lease import LinkLease
from node.runtime.node import Node
from node.store.engine import create_store_engine, migrate, session_factory, sqlite_file
from node.store.models import Case, CaseEvent, Lease, Rating
from node.timeutil import shanghai
from sync import outbox
from sync.tables import QuarantinedEnvelope
from sync.transport import open_channel
from tests.harness import COUNTY, PROVINCE, TOWNSHIP, VILLAGE, FederationHarness, wait_for
from tests.materials import required_names
from tests.test_cli import wuji
from tests.test_federation import COUNTY_ITEM, TOWNSHIP_ITEM, act, submit
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2, desk_pb2, link_pb2

History = list[tuple[int, str, str, str]]


def history(node: Node, case_id: str) -> History:
    """What a user sees of a case's events: version, action, new state, where it was done."""
    with node.readers() as session:
        events = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.version)
        )
        return [(e.version, e.action or "SUBMITTED", e.to_state, e.actor_node) for e in events]


def cases_at(node: Node) -> set[str]:
    with node.readers() as session:
        return set(session.scalars(select(Case.id).where(Case.origin == VILLAGE)))


def rating_at(node: Node, case_id: str) -> int | None:
    with node.readers() as session:
        rating = session.get(Rating, case_id)
        return rating.score if rating else None


def settled(federation: FederationHarness) -> bool:
    """Both ends of the village's link hold nothing unacknowledged."""
    with federation.nodes[VILLAGE].readers() as session:
        up = outbox.depth(session, TOWNSHIP)
    with federation.nodes[TOWNSHIP].readers() as session:
        down = outbox.depth(session, VILLAGE)
    return up == 0 and down == 0


def state_at(desk: object, case_id: str) -> int:
    return desk.GetCase(desk_pb2.GetCaseRequest(case_id=case_id)).state  # type: ignore[attr-defined]


def test_a_restored_village_gets_back_what_its_township_holds_exactly_once(federation, tmp_path: Path):
    federation.start_chain()
    village, township = federation.desk(VILLAGE), federation.desk(TOWNSHIP)
    config = str(federation.config_path(VILLAGE))

    before = submit(village, TOWNSHIP_ITEM, name="备份前").id
    wait_for(lambda: before in cases_at(federation.nodes[TOWNSHIP]), what="the case at the township")
    act(township, before, case_pb2.ACCEPT)
    wait_for(lambda: state_at(village, before) == case_pb2.ACCEPTED, what="受理 seen at the village")

    backup = tmp_path / "village-backup.db"
    made = wuji("node", "backup", "--to", str(backup), "--config", config)  # while the village runs
    assert made.returncode == 0, made.stderr
    said = "".join(made.stdout.split())  # a long path may wrap
    assert f"数据库已备份到{backup}（{backup.stat().st_size / 1_000_000:,.1f}MB）" in said, made.stdout
    again = wuji("node", "backup", "--to", str(backup), "--config", config)
    assert again.returncode == 1 and "exists already" in again.stderr

    # after the backup, work flows both ways: the township concludes, the village delivers and submits
    for action in (case_pb2.REVIEW, case_pb2.APPROVE):
        act(township, before, action)
    wait_for(lambda: state_at(village, before) == case_pb2.CONCLUDED, what="办结 seen at the village")
    act(village, before, case_pb2.DELIVER)
    after = submit(village, TOWNSHIP_ITEM, name="备份后").id
    waiting = submit(village, TOWNSHIP_ITEM, name="尚未受理").id
    wait_for(
        lambda: {after, waiting} <= cases_at(federation.nodes[TOWNSHIP]), what="new cases at the township"
    )
    for action in (case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE):
        act(township, after, action)
    far = submit(village, COUNTY_ITEM, name="县级办理").id  # relayed by the township to the county
    wait_for(lambda: far in cases_at(federation.nodes[COUNTY]), what="the case at the county")
    act(federation.desk(COUNTY), far, case_pb2.ACCEPT)
    wait_for(lambda: state_at(village, far) == case_pb2.ACCEPTED, what="the county's 受理 at the village")
    wait_for(lambda: len(history(federation.nodes[TOWNSHIP], before)) == 5, what="送达 at the township")
    wait_for(
        lambda: state_at(village, after) == case_pb2.CONCLUDED and settled(federation), what="quiet links"
    )
    village.RateCase(desk_pb2.RateCaseRequest(case_id=after, score=2, comment="等得太久"))  # 不满意
    wait_for(lambda: rating_at(federation.nodes[TOWNSHIP], after) == 2, what="the rating at the township")
    wait_for(lambda: settled(federation), what="quiet links")
    expected = {case_id: history(federation.nodes[TOWNSHIP], case_id) for case_id in (before, after, waiting)}
    assert [v for v, *_ in expected[before]] == [1, 2, 3, 4, 5]
    far_history = history(federation.nodes[COUNTY], far)

    # the village is lost and restored from the backup; meanwhile its township is down too, and a
    # clerk at the village registers a case before the link is back
    federation.stop(VILLAGE)
    federation.stop(TOWNSHIP)
    running = wuji("node", "restore", "--from", str(tmp_path / "missing.db"), "--config", config)
    assert running.returncode == 1 and "no backup file" in running.stderr
    township_config = str(federation.config_path(TOWNSHIP))  # the village's backup, mixed up
    mixed_up = wuji("node", "restore", "--from", str(backup), "--config", township_config)
    assert mixed_up.returncode == 1, mixed_up.stdout
    assert f"不是节点 {TOWNSHIP} 的备份：其中的上级是 {TOWNSHIP}" in mixed_up.stderr
    sibling = DivisionCode.parse("430981006002")  # the same township above it: told by its cases
    with pytest.raises(BackupError, match=f"不是节点 {sibling} 的备份：其中的办件 .* 申请于 {VILLAGE}"):
        backups.restore(f"sqlite:///{tmp_path / 'sibling.db'}", backup, sibling)
    restored = wuji("node", "restore", "--from", str(backup), "--config", config)
    assert restored.returncode == 0, restored.stderr
    said = restored.stdout
    assert f"节点 {VILLAGE} 的数据库已从" in said and "重新同步" in said, said
    restarted = federation.restart(VILLAGE)
    assert cases_at(restarted) == {before}  # the backup's state
    offline = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM, name="恢复后").id
    federation.restart(TOWNSHIP)

    village = federation.desk(VILLAGE)
    expected[offline] = [(1, "SUBMITTED", "SUBMITTED", VILLAGE)]
    wait_for(
        lambda: cases_at(federation.nodes[TOWNSHIP]) == set(expected) and settled(federation),
        what="the resync to finish",
    )
    wait_for(
        lambda: all(history(federation.nodes[VILLAGE], c) == h for c, h in expected.items()),
        what="the village's copies to match the township's",
    )
    wait_for(
        lambda: history(federation.nodes[VILLAGE], far) == far_history,
        what="the village's copy of the county's case to match the county's",
    )
    assert cases_at(federation.nodes[VILLAGE]) == {*expected, far}
    assert cases_at(federation.nodes[TOWNSHIP]) == set(expected)
    expected[far] = far_history
    for code in (VILLAGE, TOWNSHIP):
        node = federation.nodes[code]
        for case_id, events in expected.items():
            if code == TOWNSHIP and case_id == far:
                continue
            assert history(node, case_id) == events, (code, case_id)
        with node.readers() as session:
            assert eventlog.verify(session).intact, code
            per_case = session.execute(
                select(CaseEvent.case_id, func.count())
                .group_by(CaseEvent.case_id)
                .where(CaseEvent.case_id.in_(expected))
            ).all()
            held = {case_id: len(events) for case_id, events in expected.items()}
            if code == TOWNSHIP:
                del held[far]
            assert dict(per_case) == held
            assert session.scalar(select(func.count()).select_from(QuarantinedEnvelope)) == 0, code
    assert rating_at(federation.nodes[VILLAGE], after) == 2  # the rating came back with the copy
    # and the 整改 the 差评 opened at the township, told before the restore, with it
    told = federation.nodes[VILLAGE].ratings.of_case(after)[1]
    assert told is not None and told.deadline
    shown = village.GetCase(desk_pb2.GetCaseRequest(case_id=after))
    assert shown.state == case_pb2.CONCLUDED and shown.outcome == case_pb2.APPROVED
    assert shown.sealed_result  # the township's sealed result came back with the copy
    assert len(shown.materials) == len(required_names(TOWNSHIP_ITEM))

    # the link goes on as usual afterwards, both ways
    act(federation.desk(TOWNSHIP), offline, case_pb2.ACCEPT)
    wait_for(lambda: state_at(village, offline) == case_pb2.ACCEPTED, what="受理 after the resync")
    act(village, after, case_pb2.DELIVER)
    wait_for(lambda: len(history(federation.nodes[TOWNSHIP], after)) == 5, what="送达 after the resync")


def test_restore_refuses_while_the_node_runs(federation, tmp_path: Path):
    federation.start_chain()
    config = str(federation.config_path(VILLAGE))
    backup = tmp_path / "b.db"
    assert wuji("node", "backup", "--to", str(backup), "--config", config).returncode == 0
    refused = wuji("node", "restore", "--from", str(backup), "--config", config)
    assert refused.returncode == 1 and "stop it before restoring" in refused.stderr


def test_a_damaged_database_is_said_so_and_a_restore_replaces_it(federation, tmp_path: Path):
    """A torn write (a power cut on a cheap disk) leaves the village's SQLite file unreadable: `wuji
    node run` says so and names the newest backup, instead of a traceback; `wuji node restore`, which
    stumbled on the damaged file itself, replaces it and keeps it under another name."""
    federation.start_chain()
    village = federation.nodes[VILLAGE]
    database = sqlite_file(village.config.database_url)
    if database is None:
        pytest.skip("a damaged database file is SQLite's")
    config_path = federation.config_path(VILLAGE)
    config = str(config_path)
    case_id = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM).id
    backup = village.config.backup_folder(config_path) / f"{VILLAGE}-20261207-030000.db"  # as scheduled
    assert wuji("node", "backup", "--to", str(backup), "--config", config).returncode == 0
    federation.stop(VILLAGE)
    with database.open("r+b") as file:  # page 1 after its header: the schema, which SQLite reads first
        file.seek(100)
        file.write(b"\xa5" * 3996)

    refused = wuji("node", "run", "--config", config)
    said = "".join(refused.stderr.split())
    assert refused.returncode == 1 and "数据库文件已损坏，无法启动" in said, refused.stderr
    assert f"最近的自动备份是{backup}" in said and "wujinoderestore" in said
    restored = wuji("node", "restore", "--from", str(backup), "--config", config)
    assert restored.returncode == 0, restored.stderr
    kept = [path for path in database.parent.iterdir() if path.name.startswith(f"{database.name}.replaced-")]
    assert len(kept) == 1 and str(kept[0]) in "".join(restored.stdout.split())
    assert case_id in cases_at(federation.restart(VILLAGE))


def test_envelopes_are_kept_for_the_retention_window_then_a_peer_older_than_it_is_refused(federation):
    federation.start_chain()
    village, township = federation.nodes[VILLAGE], federation.nodes[TOWNSHIP]
    case_id = submit(federation.desk(VILLAGE), TOWNSHIP_ITEM).id
    wait_for(lambda: case_id in cases_at(township), what="the case at the township")
    act(federation.desk(TOWNSHIP), case_id, case_pb2.ACCEPT)
    wait_for(lambda: settled(federation), what="quiet links")
    with township.readers() as session:
        kept = len(outbox.pending(session, VILLAGE, 0, 1000))
    assert kept >= 2 and township.prune_outbox() == 0  # acknowledged, but within the window

    township.config.outbox_retention_days = 0
    assert township.prune_outbox() == kept
    channel = open_channel(township.address, village.transport, peer_code=TOWNSHIP)
    link = channel.stream_stream(
        "/wuji.v1.Federation/Link", response_deserializer=link_pb2.LinkFrame.FromString
    )
    hello = link_pb2.LinkFrame(hello=link_pb2.Hello(node_code=VILLAGE, received_seq=0, sent_seq=1))
    with pytest.raises(grpc.RpcError) as error:
        for _ in link(iter([hello.SerializeToString()]), timeout=20):
            pass
    channel.close()
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "pruned after the outbox retention window" in error.value.details()


def test_a_restored_township_gets_back_what_its_village_and_county_send_again(federation, tmp_path: Path):
    federation.start_chain()
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    config = str(federation.config_path(TOWNSHIP))
    backup = tmp_path / "township-backup.db"
    assert wuji("node", "backup", "--to", str(backup), "--config", config).returncode == 0

    local = submit(village, TOWNSHIP_ITEM, name="乡镇办理").id
    far = submit(village, COUNTY_ITEM, name="县级办理").id
    wait_for(lambda: far in cases_at(federation.nodes[COUNTY]), what="the case at the county")
    act(county, far, case_pb2.ACCEPT)
    wait_for(lambda: state_at(village, far) == case_pb2.ACCEPTED, what="the county's 受理 at the village")
    wait_for(
        lambda: local in cases_at(federation.nodes[TOWNSHIP]) and settled(federation), what="quiet links"
    )

    federation.stop(TOWNSHIP)
    assert wuji("node", "restore", "--from", str(backup), "--config", config).returncode == 0
    township = federation.restart(TOWNSHIP)
    # the village sends its case again; the county's 受理 comes down again, and nothing is repeated
    wait_for(lambda: local in cases_at(township), what="the village's case back at the township")
    act(federation.desk(COUNTY), far, case_pb2.REVIEW)
    wait_for(lambda: state_at(village, far) == case_pb2.UNDER_REVIEW, what="审核 at the village")
    for node in (federation.nodes[VILLAGE], township, federation.nodes[COUNTY]):
        with node.readers() as session:
            assert session.scalar(select(func.count()).select_from(QuarantinedEnvelope)) == 0, node.here
            assert eventlog.verify(session).intact
    assert history(federation.nodes[VILLAGE], far) == history(federation.nodes[COUNTY], far)
    assert history(township, local) == [(1, "SUBMITTED", "SUBMITTED", VILLAGE)]


def test_a_handler_restored_from_before_a_decision_that_decides_again_is_not_taken_silently(
    federation, tmp_path: Path
):
    """The county restored from a backup older than its 受理 refused the case: the village dropped
    the 不予受理 as an event it knew (the same version) and kept showing 受理 — the citizen never
    heard. The envelope is quarantined, saying the copies have forked."""
    federation.start_chain()
    village, config = federation.desk(VILLAGE), str(federation.config_path(COUNTY))
    case_id = submit(village, COUNTY_ITEM, name="分叉").id
    wait_for(lambda: case_id in cases_at(federation.nodes[COUNTY]), what="the case at the county")
    backup = tmp_path / "county-backup.db"
    assert wuji("node", "backup", "--to", str(backup), "--config", config).returncode == 0
    act(federation.desk(COUNTY), case_id, case_pb2.ACCEPT)
    wait_for(lambda: state_at(village, case_id) == case_pb2.ACCEPTED, what="受理 at the village")
    federation.stop(COUNTY)
    assert wuji("node", "restore", "--from", str(backup), "--config", config).returncode == 0
    federation.restart(COUNTY)
    if state_at(federation.desk(COUNTY), case_id) != case_pb2.SUBMITTED:
        pytest.skip("the restored county got its 受理 back before acting again")
    act(federation.desk(COUNTY), case_id, case_pb2.REFUSE, note="材料不全，不予受理")

    def quarantined() -> list[str]:
        with federation.nodes[VILLAGE].readers() as session:
            return list(session.scalars(select(QuarantinedEnvelope.reason)))

    reasons = wait_for(quarantined, what="the refusal held at the village")
    assert any(f"办件 {case_id} 的第 2 步与本节点所存不同（本节点：受理→受理" in r for r in reasons), reasons
    assert any("两个副本已分叉" in r for r in reasons), reasons
    assert state_at(village, case_id) == case_pb2.ACCEPTED  # nothing replayed over it


def test_a_node_backs_itself_up_on_schedule_and_keeps_the_newest(federation):
    """Nobody at a village point has to remember `wuji node backup`: the node makes its own, each a
    whole database, and keeps the newest backup_keep (a file someone else put there stays)."""
    province = federation.start(PROVINCE, backup_hours=1.2 / 3600, backup_keep=2)
    sqlite = province.engine.dialect.name == "sqlite"
    suffix = ".db" if sqlite else ".dump"  # pg_dump's custom format on PostgreSQL
    folder = province.backup_folder
    folder.mkdir(parents=True, exist_ok=True)
    by_hand = folder / f"{PROVINCE}-before-the-upgrade{suffix}"
    by_hand.write_bytes(b"a copy made by hand")
    made = lambda: sorted(folder.glob(f"{PROVINCE}-2*{suffix}"))  # noqa: E731
    first = wait_for(made, what="a scheduled backup")[0]
    wait_for(lambda: first not in made(), what="the oldest backup removed after the third")
    federation.stop(PROVINCE)  # no backup is made while the files are looked at
    kept = made()
    assert len(kept) == 2 and by_hand.exists()
    said = backups_line(federation.config_path(PROVINCE))  # what `wuji node status` says of them
    assert said.startswith("自动备份") and "共 2 份" in said and said.splitlines()[0].endswith(kept[-1].name)
    assert ("备份与数据库在同一块磁盘上" in said) == sqlite  # the federation's folder holds both
    for backup in kept:
        assert re.fullmatch(rf"{PROVINCE}-\d{{8}}-\d{{6}}\{suffix}", backup.name)
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # citizens' numbers: its owner's only
        if sqlite:
            with contextlib.closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as copy:
                assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                assert copy.execute("SELECT count(*) FROM catalog_release").fetchone()[0] >= 1


def test_a_scheduled_backup_never_fills_the_disk(tmp_path: Path, monkeypatch):
    """Older backups go first, never the newest; if that is not room enough no backup is made, and
    `wuji node status` says why. The disk's free space is played by the test: each older backup
    removed frees its size."""
    database = tmp_path / "node.db"
    engine = create_store_engine(f"sqlite:///{database}")
    migrate(engine)
    engine.dispose()
    copy_bytes = database.stat().st_size
    folder = tmp_path / "backups"
    older = [folder / f"{PROVINCE}-2026120{day}-030000.db" for day in (1, 2, 3)]
    at_3am = datetime(2026, 12, 6, 19, 0, tzinfo=UTC)  # 2026-12-07 03:00 in China
    roomy = copy_bytes + backups.MIN_FREE_AFTER_BACKUP

    def lay_out_older_backups_with(free_before: int) -> None:
        folder.mkdir(exist_ok=True)
        for path in folder.iterdir():
            path.unlink()
        for path in older:
            path.write_bytes(bytes(1_000_000))
        monkeypatch.setattr(
            backups,
            "free_bytes",
            lambda _: free_before + sum(1_000_000 for path in older if not path.exists()),
        )

    lay_out_older_backups_with(roomy - 2_500_000)  # the two older ones free only 2,000,000
    with pytest.raises(BackupError, match="磁盘空间不足"):
        backups.scheduled_backup(f"sqlite:///{database}", folder, PROVINCE, 7, at_3am)
    assert sorted(folder.glob("*.db*")) == older  # nothing removed, no copy, no half copy
    config = tmp_path / "node.toml"
    NodeConfig(code=PROVINCE, backup_dir=str(folder)).save(config)
    assert "上次自动备份未做成（2026-12-07 03:00）：磁盘空间不足" in backups_line(config)

    lay_out_older_backups_with(roomy - 1_500_000)  # the two oldest must go
    made = backups.scheduled_backup(f"sqlite:///{database}", folder, PROVINCE, 7, at_3am)
    assert sorted(folder.glob("*.db*")) == [older[2], made]
    assert backups.last_failure(folder, PROVINCE) is None and "未做成" not in backups_line(config)


def test_backups_on_the_databases_disk_are_said_to_be_lost_with_it(tmp_path: Path):
    """`wuji node status` says so when the backups would sit on the SQLite file's disk (the default,
    beside the config): a failing disk takes both. Another file system is where they belong."""
    database = tmp_path / "node.db"
    url = f"sqlite:///{database}"
    engine = create_store_engine(url)
    migrate(engine)
    engine.dispose()
    assert backups.on_the_databases_disk(url, tmp_path / "backups")  # not made yet: where it will be
    config = tmp_path / "node.toml"
    NodeConfig(code=PROVINCE, database_url=url).save(config)
    assert backups_line(config).endswith("(the backups are on the database's disk)")
    elsewhere = Path("/dev/shm")  # a memory file system on Linux: another device than tmp_path's
    if not elsewhere.is_dir() or elsewhere.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system to put backups on")
    assert not backups.on_the_databases_disk(url, elsewhere / "wuji-backups")
    NodeConfig(code=PROVINCE, database_url=url, backup_dir=str(elsewhere / "wuji-backups")).save(config)
    assert "同一块磁盘" not in backups_line(config)
    assert not backups.on_the_databases_disk("postgresql+psycopg://wuji@db.example/wuji", tmp_path)


def test_scheduled_backups_are_configured_with_sensible_bounds():
    with pytest.raises(ConfigError, match="backup_keep"):
        NodeConfig(code=PROVINCE, backup_keep=0)
    with pytest.raises(ConfigError, match="backup_hours"):
        NodeConfig(code=PROVINCE, backup_hours=-1)
    assert NodeConfig(code=PROVINCE).backup_hours == 24  # on by default: daily, the last week kept


def test_a_nodes_database_is_readable_by_its_owner_only(tmp_path: Path, caplog):
    """It holds citizens' identity numbers and staff password hashes; a village PC has other users."""
    made = tmp_path / "new.db"
    create_store_engine(f"sqlite:///{made}").dispose()
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    shared = tmp_path / "shared.db"
    shared.write_bytes(b"")
    shared.chmod(0o644)  # as an older release, or a copy, left it
    with caplog.at_level("WARNING"):
        engine = create_store_engine(f"sqlite:///{shared}")
        migrate(engine)
        engine.dispose()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o600
    assert "readable by others: now by its owner only" in caplog.text
    for part in tmp_path.glob("shared.db-*"):  # SQLite's -wal and -shm take the database's mode
        assert stat.S_IMODE(part.stat().st_mode) == 0o600, part
    backup = tmp_path / "copy.db"
    backups.backup(f"sqlite:///{shared}", backup)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_backup_and_restore_say_in_chinese_what_is_wrong_with_the_file_named(tmp_path: Path):
    """A township's operator gave --to a folder and was told it "exists already"; a file to restore
    that is missing or not a database, and a node that runs (its lease's end in UTC), were said in
    English alone."""
    url = f"sqlite:///{tmp_path / 'node.db'}"
    engine = create_store_engine(url)
    migrate(engine)
    folder = tmp_path / "bk"
    folder.mkdir()
    with pytest.raises(BackupError) as into_folder:
        backups.backup(url, folder, VILLAGE)
    said = str(into_folder.value)
    assert said.startswith(f"{folder} 是一个文件夹：备份写成其中的一个新文件，请给出文件名，如 --to ")
    assert re.search(rf"--to {re.escape(str(folder))}/{VILLAGE}-\d{{4}}-\d\d-\d\d\.db ", said), said
    made = folder / "made.db"
    backups.backup(url, made, VILLAGE)
    with pytest.raises(BackupError, match=f"^{made} 已存在：备份从不覆盖已有的文件"):
        backups.backup(url, made, VILLAGE)
    here = DivisionCode.parse(VILLAGE)
    with pytest.raises(BackupError, match=f"^找不到备份文件 {tmp_path / 'nosuch.db'}：请核对文件名"):
        backups.restore(url, tmp_path / "nosuch.db", here)
    scan = tmp_path / "id.pdf"
    scan.write_bytes(b"%PDF-1.4\n% scan of id\n")
    with pytest.raises(BackupError, match=f"^{scan} 不是节点的备份：它不是 SQLite 数据库文件"):
        backups.restore(url, scan, here)
    sessions = session_factory(engine)
    LinkLease(sessions, lambda held: None, "vm:127.0.0.1:27430 (vm pid 6347)", term_seconds=60)._tick()
    with sessions() as session:
        until = shanghai(session.scalars(select(Lease)).one().expires_at, seconds=True)
    with pytest.raises(BackupError) as running:
        backups.restore(url, made, here)
    assert str(running.value).startswith(
        f"节点正在运行：vm:127.0.0.1:27430 (vm pid 6347) 持有它的连接租约，至 {until}（北京时间）；请先停止"
    )
    assert "UTC" not in str(running.value)
    engine.dispose()


def test_backups_more_often_than_hourly_are_said_in_minutes(tmp_path: Path):
    """`backup_hours = 0.01` was said as 每 0.01 小时一次."""
    config = tmp_path / "node.toml"
    NodeConfig(code=PROVINCE, backup_hours=0.5).save(config)
    assert backups_line(config).startswith("自动备份：每 30 分钟一次，尚无备份")
    NodeConfig(code=PROVINCE, backup_hours=24).save(config)
    assert backups_line(config).startswith("自动备份：每 24 小时一次")
