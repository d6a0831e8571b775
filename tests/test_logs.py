"""Structured logs: `wuji node run` with log_format json writes one JSON object per line."""

from __future__ import annotations

import json
import logging
import re
import signal
from datetime import UTC, datetime, timedelta

from node.cases.states import Action
from node.config import NodeConfig
from node.logs import BufferedLogHandler, JsonLogFormatter, buffered_file, text_formatter
from node.runtime.cluster import ProcessFederation
from tests.harness import PROVINCE, wait_for
from tests.materials import complete_proto
from tests.test_cli import wuji

PROVINCE_ITEM = "SF-0001"  # 律师执业许可, handled at the province


def test_json_logs_carry_the_node_and_the_case_id(tmp_path):
    federation = ProcessFederation(tmp_path, [(PROVINCE, "湖南省")])
    path = federation.paths[PROVINCE]
    config = NodeConfig.load(path)
    config.log_format = "json"
    config.save(path)
    try:
        desk = federation.start(PROVINCE)
        case = desk.submit(PROVINCE_ITEM, "李四", "430981199001011237", "", complete_proto(PROVINCE_ITEM))
        desk.act(case.id, Action.ACCEPT)
        # a stuck node's stacks (kill -USR1) came as ~150 lines of text into the JSON stream
        federation.processes[PROVINCE].send_signal(signal.SIGUSR1)
        log = path.parent / "node.log"
        wait_for(
            lambda: "node/cli/nodes.py" in log.read_text(encoding="utf-8"), what="the main thread's stack"
        )
        assert federation.terminate(PROVINCE) == 0
    finally:
        federation.stop()
    lines = (path.parent / "node.log").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    stacks = {e["thread"]: e["stack"] for e in entries if "stack" in e}
    assert "node/cli/nodes.py" in stacks["MainThread"] and len(stacks) > 1
    assert entries and all({"time", "level", "logger", "message", "node"} <= set(e) for e in entries)
    assert {e["node"] for e in entries} == {PROVINCE}
    about_case = [e for e in entries if e.get("case_id") == case.id]
    assert [e["logger"] for e in about_case] == ["node.cases.service", "node.cases.service"]
    assert "submitted" in about_case[0]["message"] and "ACCEPT" in about_case[1]["message"]
    assert any("listening on" in e["message"] and e["level"] == "INFO" for e in entries)
    # the schema made on this first start is said in one line, without alembic's own two dozen
    assert sum(e["message"].startswith("database created at schema") for e in entries) == 1
    assert not [e for e in entries if e["logger"].startswith("alembic")]


def test_text_log_lines_are_stamped_in_beijing_time_with_the_offset(tmp_path):
    """A node's log said `2026-12-07 16:57:46,483 … listening` (UTC, no zone) while its desk said
    2026-12-08 00:57: an operator read the wrong date. Now every line carries Beijing time and +08:00."""
    late = logging.LogRecord("node.test", logging.INFO, __file__, 1, "listening", None, None)
    late.created = datetime(2026, 12, 7, 16, 57, 46, 483000, tzinfo=UTC).timestamp()
    assert text_formatter(PROVINCE).format(late) == (
        f"2026-12-08 00:57:46.483+08:00 {PROVINCE} INFO node.test: listening"
    )
    assert JsonLogFormatter(PROVINCE).format(late).startswith('{"time": "2026-12-07T16:57:46.483+00:00"')

    federation = ProcessFederation(tmp_path, [(PROVINCE, "湖南省")])
    path = federation.paths[PROVINCE]
    try:
        federation.start(PROVINCE)
        assert federation.terminate(PROVINCE) == 0
    finally:
        federation.stop()
    lines = (path.parent / "node.log").read_text(encoding="utf-8").splitlines()
    stamp = re.compile(rf"(\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{{3}}\+08:00) {PROVINCE} [A-Z]+ ")
    stamped = [found for line in lines if (found := stamp.match(line))]
    assert stamped and any("listening on" in line for line in lines), lines
    for found in stamped:  # the time people in China read now, give or take the run
        moment = datetime.fromisoformat(found.group(1))
        assert abs(moment - datetime.now(UTC)) < timedelta(minutes=5), found.group(0)


def test_an_unknown_log_format_is_refused(tmp_path):
    folder = tmp_path / "province"
    assert wuji("node", "init", "430000", "--catalog", "demo", "--dir", str(folder)).returncode == 0
    refused = wuji("node", "run", "--config", str(folder / "node.toml"), "--log-format", "xml")
    assert refused.returncode == 2 and "must be one of text, json" in refused.stderr


def _logger_to(path, flush_seconds: float) -> tuple[logging.Logger, BufferedLogHandler]:
    handler = BufferedLogHandler(buffered_file(path), flush_seconds)
    logger = logging.getLogger(f"test.buffered.{path.name}")
    logger.propagate = False
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    return logger, handler


def test_info_lines_wait_in_the_buffer_and_a_warning_writes_them_out_in_order(tmp_path):
    path = tmp_path / "node.log"
    logger, handler = _logger_to(path, flush_seconds=60)
    logger.info("案件 1 已受理")
    logger.info("案件 2 已受理")
    assert path.read_text(encoding="utf-8") == ""  # no write per line
    logger.warning("链路中断")
    assert path.read_text(encoding="utf-8").splitlines() == ["案件 1 已受理", "案件 2 已受理", "链路中断"]
    logger.info("案件 3 已受理")
    handler.close()  # as at the process's exit
    assert path.read_text(encoding="utf-8").splitlines()[-1] == "案件 3 已受理"


def test_info_lines_are_written_out_within_the_flush_interval_without_anyone_flushing(tmp_path):
    path = tmp_path / "node.log"
    logger, handler = _logger_to(path, flush_seconds=0.1)
    for round_ in range(3):  # the flusher comes back for lines logged after its last flush
        logger.info("第 %d 批", round_)
        line = f"第 {round_} 批"
        wait_for(lambda line=line: line in path.read_text(encoding="utf-8"), 5, f"{line} written")
    handler.close()
