"""The `wuji` command line as an operator uses it: real processes, real files, real nodes."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import typer
from cryptography import x509
from rich.console import Console

from node.catalogue.items import ELEMENT_NAMES, ELEMENTS
from node.cli import common
from node.cli.cases import (
    bundle_table,
    cards_table,
    cases_table,
    checks_table,
    events_table,
    print_case,
    rectifications_table,
    visits_table,
)
from node.cli.catalog import guide_rows, items_table
from node.cli.common import RESEND_PAUSES, console
from node.cli.login import logged_in_words
from node.cli.nodes import link_down_words, parent_address_doubt
from node.cli.supervision import appeals_table, breakdown_table
from node.config import ConfigError, NodeConfig
from node.staff.accounts import MAX_FAILURES
from node.staff.roles import Actor, NotLoggedIn, Role
from node.store.engine import sqlite_file
from node.timeutil import shanghai, to_timestamp
from tests.harness import (
    CHAIN,
    CITY,
    COUNTY,
    OPERATOR,
    PROVINCE,
    TOWNSHIP,
    VILLAGE,
    FederationHarness,
    wait_for,
)
from tests.materials import BATCH, EXECUTABLE, required_names
from wuji.v1 import case_pb2, desk_pb2

ROOT = Path(__file__).resolve().parent.parent


def wuji(
    *args: str, cwd: Path | None = None, timeout: float = 60, input: str | None = None, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "node.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        timeout=timeout,
        input=input,
        env={**os.environ, "COLUMNS": str(columns)},
    )


def test_node_init_writes_a_config_that_loads(tmp_path):
    result = wuji("node", "init", "430981006", "--listen", "127.0.0.1:7404", "--parent", "127.0.0.1:7403",
                  "--dir", str(tmp_path / "township"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    config = NodeConfig.load(tmp_path / "township" / "node.toml")
    assert config.code == "430981006000" and config.parent_address == "127.0.0.1:7403"
    folder = str(tmp_path / "township")
    again = wuji("node", "init", "430981006", "--parent", "127.0.0.1:7403", "--dir", folder)
    assert again.returncode == 2 and "exists already" in again.stderr


def test_node_init_says_the_next_step_is_to_enroll_not_to_run(tmp_path):
    """Below the province, the next step printed was `wuji node run`, which fails: no certificates."""
    county = wuji("node", "init", "430981", "--parent", "127.0.0.1:7410", "--dir", str(tmp_path / "county"))
    assert county.returncode == 0, county.stderr
    said = county.stdout
    assert "start it with" not in said
    assert f"已写入 {tmp_path / 'county' / 'node.toml'}：县级节点 430981000000，上级 430900000000" in said
    assert "请上级节点 430900000000（127.0.0.1:7410）的操作员" in said
    assert "wuji node invite 430981000000 --config <上级的 node.toml> --out 430981000000.invite" in said
    enroll = f"wuji node enroll --config {tmp_path / 'county' / 'node.toml'} --invite 430981000000.invite"
    assert said.index(enroll) < said.index(f"wuji node run --config {tmp_path / 'county' / 'node.toml'}")
    province = wuji("node", "init", "430000", "--dir", str(tmp_path / "hunan"))
    assert province.returncode == 0, province.stderr
    config = tmp_path / "hunan" / "node.toml"
    assert province.stdout.index(f"wuji node enroll --config {config}") < province.stdout.index(
        f"wuji node run --config {config}"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["43098"], "expected 6, 9 or 12 digits"),
        (["430981006001"], "needs parent_address"),
        (["430000", "--parent", "127.0.0.1:1"], "a province has no parent"),
        (["430981", "--parent", "127.0.0.1:1", "--catalog", "demo"], "only a province loads a catalogue"),
        (["430981", "--parent", "127.0.0.1:1", "--seal-algorithm", "sm2"], "only a province chooses"),
        (["430000", "--seal-algorithm", "ed25519"], "seal_algorithm must be sm2 or p256"),
        (["430981", "--parent", "127.0.0.1"], "parent_address 应为 主机:端口"),
        (["430981", "--parent", "127.0.0.1:99999"], "端口 99999 超出 1–65535"),
        (["430981", "--parent", "127.0.0.1:0"], "端口 0 超出 1–65535"),
        (["430981", "--parent", "127.0.0.1:1", "--listen", "127.0.0.1:99999"], "端口 99999 超出 0–65535"),
        (["430981", "--parent", "127.0.0.1:1", "--listen", "7400"], "listen 应为 主机:端口"),
        (["430000", "--web-listen", "127.0.0.1:8o80"], "端口 '8o80' 不是数字"),
        (
            ["430981006", "--listen", "127.0.0.1:27430", "--parent", "127.0.0.1:27430"],
            "--parent 127.0.0.1:27430 是本节点自己的 --listen 地址：应填上级节点的 listen 地址",
        ),
        (
            ["430981006", "--listen", "0.0.0.0:27430", "--parent", "localhost:27430"],
            "是本节点自己的 --listen 地址",
        ),
    ],
)
def test_node_init_refuses_bad_settings_with_a_clear_message(tmp_path, args, message):
    result = wuji("node", "init", *args, "--dir", str(tmp_path / "n"))
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "n" / "node.toml").exists()


def test_a_division_code_typed_full_width_is_read_as_digits_and_a_wrong_one_refused_in_chinese(tmp_path):
    """The front desk reads ４３０９８１００６００３ as 430981006003; the CLI refused it in English."""
    village = wuji("node", "init", "４３０９８１ ００６ ００３", "--parent", "127.0.0.1:7430",
                   "--dir", str(tmp_path / "village"))  # fmt: skip
    assert village.returncode == 0, village.stderr
    assert NodeConfig.load(tmp_path / "village" / "node.toml").code == "430981006003"
    wrong = wuji("node", "init", "43098x", "--parent", "127.0.0.1:7430", "--dir", str(tmp_path / "wrong"))
    said = " ".join(wrong.stderr.split())
    assert wrong.returncode == 2, said
    assert said.startswith("error: code 应为 6、9 或 12 位数字的区划代码，如 430981"), said
    assert "only ASCII digits 0-9 are allowed, found 'x'" in said


def test_a_child_invited_with_its_code_typed_full_width_gets_the_invite(federation, tmp_path):
    federation.start(PROVINCE)
    invite = tmp_path / "city.invite"
    config = str(federation.config_path(PROVINCE))
    made = wuji("node", "invite", "４３０９００", "--out", str(invite), "--config", config)
    assert made.returncode == 0, made.stderr
    assert json.loads(invite.read_text())["code"] == CHAIN[1]


def test_node_init_reads_an_address_typed_full_width_as_ascii_and_says_so(tmp_path):
    """A Chinese input method types the colon (and digits) full-width: 127.0.0.1：28187."""
    folder = tmp_path / "county"
    made = wuji("node", "init", "430981", "--parent", "127.0.0.1：28187", "--listen", "127.0.0.1:７４２０",
                "--dir", str(folder))  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "--parent 127.0.0.1：28187 读作 127.0.0.1:28187" in made.stdout
    assert "--listen 127.0.0.1:７４２０ 读作 127.0.0.1:7420" in made.stdout
    config = NodeConfig.load(folder / "node.toml")
    assert (config.parent_address, config.listen) == ("127.0.0.1:28187", "127.0.0.1:7420")


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("backup_hour = 1", "没有设置项 backup_hour，是否想写 backup_hours？ (unknown key 'backup_hour'"),
        ('log_levle = "WARNING"', "是否想写 log_level？"),
        ('heartbeat_seconds = "5s"', 'heartbeat_seconds 应为不加引号的数字，不是 "5s"'),
        ('backup_keep = "seven"', 'backup_keep 应为不加引号的整数，不是 "seven"'),
        ("backup_keep = 7.5", "backup_keep 应为不加引号的整数，不是 7.5"),
        ("name = 3", "name 应为加引号的文字，不是 3"),
        ("web_listen = true", "web_listen 应为加引号的文字，不是 true"),
    ],
)
def test_a_mistyped_setting_in_node_toml_is_refused_naming_the_file_and_the_key(tmp_path, line, words):
    """A misspelt key was ignored without a word, and a wrong type ended in a Python traceback."""
    path = tmp_path / "node.toml"
    path.write_text(f'[node]\ncode = "430981"\nparent_address = "127.0.0.1:7410"\n{line}\n', encoding="utf-8")
    refused = wuji("node", "run", "--config", str(path))
    said = " ".join(refused.stderr.split())
    assert refused.returncode == 2 and "Traceback" not in said, said
    assert f"{path}: " in said and words in said


def test_a_setting_written_above_the_node_table_is_refused(tmp_path):
    path = tmp_path / "node.toml"
    path.write_text('log_level = "WARNING"\n[node]\ncode = "430000"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="log_level 写在 \\[node\\] 之外"):
        NodeConfig.load(path)


def test_a_province_initialised_with_sm2_seals_creates_its_sm2_seal_root(tmp_path):
    folder = tmp_path / "guangdong"
    made = wuji("node", "init", "440000", "--seal-algorithm", "sm2", "--dir", str(folder))
    assert made.returncode == 0, made.stderr
    assert NodeConfig.load(folder / "node.toml").seal_algorithm == "sm2"
    (folder / "passphrase").write_text("cli test passphrase")
    config = NodeConfig.load(folder / "node.toml")
    config.key_passphrase_file = str(folder / "passphrase")
    config.save(folder / "node.toml")
    enrolled = wuji("node", "enroll", "--config", str(folder / "node.toml"))
    assert enrolled.returncode == 0, enrolled.stderr
    assert "SM2 seal root" in enrolled.stdout
    seal_root = x509.load_pem_x509_certificate((folder / "pki" / "seal-root.pem").read_bytes())
    root = x509.load_pem_x509_certificate((folder / "pki" / "root.pem").read_bytes())
    assert seal_root.signature_algorithm_oid.dotted_string == "1.2.156.10197.1.501"  # SM2-with-SM3
    assert root.signature_algorithm_oid.dotted_string == "1.2.840.10045.4.3.2"  # links: ECDSA P-256


def test_node_run_says_why_it_cannot_start_instead_of_a_traceback(tmp_path):
    folder = tmp_path / "hunan"
    assert wuji("node", "init", "430000", "--catalog", "demo", "--dir", str(folder)).returncode == 0
    (folder / "passphrase").write_text("cli test passphrase")
    config = NodeConfig.load(folder / "node.toml")
    config.key_passphrase_file = str(folder / "passphrase")
    config.save(folder / "node.toml")
    not_enrolled = wuji("node", "run", "--config", str(folder / "node.toml"))
    assert not_enrolled.returncode == 1 and "Traceback" not in not_enrolled.stderr
    said = " ".join(not_enrolled.stderr.split())
    refused = "error: 节点 430000000000 未能启动 (cannot start node 430000000000)："
    unspaced = "".join(said.split())  # a long line folds where the terminal ends, between any two
    assert unspaced.startswith(f"{''.join(refused.split())}节点430000000000在{folder / 'pki'}中没有证书"), (
        said
    )
    assert "新建的省级节点先运行wujinodeenroll创建本省根证书" in unspaced
    # a start that fails makes no database: an empty one beside the wrong config misleads later
    assert not (folder / "wuji.db").exists()
    enrolled = wuji("node", "enroll", "--config", str(folder / "node.toml"), columns=80)
    assert enrolled.returncode == 0, enrolled.stderr
    said = enrolled.stdout.splitlines()  # "P-256 " ended one line of 80 columns, "seals" began the next
    assert said == [
        "已创建省级节点 430000000000 的根证书 (root CA created)",
        f"  证书和密钥 (in)：{folder / 'pki'}",
        "  印章算法 (seals)：ECDSA P-256 (P-256 seals)",
    ]
    (folder / "passphrase").write_text("not the passphrase the keys were written with")
    wrong = wuji("node", "run", "--config", str(folder / "node.toml"))
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert "(cannot start node 430000000000)：密钥口令不对：打不开密钥文件" in " ".join(wrong.stderr.split())
    assert not (folder / "wuji.db").exists()
    # its address held by another program: said in Chinese, without gRPC's own line before it
    (folder / "passphrase").write_text("cli test passphrase")
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        held = f"127.0.0.1:{other.getsockname()[1]}"
        config = NodeConfig.load(folder / "node.toml")
        config.listen = held
        config.save(folder / "node.toml")
        taken = wuji("node", "run", "--config", str(folder / "node.toml"))
    said = " ".join(taken.stderr.split())
    assert taken.returncode == 1 and "Traceback" not in said
    assert said.startswith(f"{refused}{held} 已被占用"), said
    assert "另一个程序或另一个节点" in said and "add_port" not in said and "Failed to add port" not in said
    assert not (folder / "wuji.db").exists()
    # the enrollment port beside it (listen + 1), which a province's children enroll at
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        config.listen, config.enroll_listen = "127.0.0.1:0", f"127.0.0.1:{port}"
        config.save(folder / "node.toml")
        taken = wuji("node", "run", "--config", str(folder / "node.toml"))
    said = " ".join(taken.stderr.split())
    assert taken.returncode == 1 and f"{refused}127.0.0.1:{port}（这是证书申请端口" in said, said
    assert not (folder / "wuji.db").exists()


def enrolled_province(folder: Path) -> Path:
    """A province's node.toml, its root CA made (nothing run yet): the path of the config."""
    assert wuji("node", "init", "430000", "--catalog", "demo", "--dir", str(folder)).returncode == 0
    (folder / "passphrase").write_text("cli test passphrase")
    config = NodeConfig.load(folder / "node.toml")
    config.key_passphrase_file = str(folder / "passphrase")
    config.save(folder / "node.toml")
    enrolled = wuji("node", "enroll", "--config", str(folder / "node.toml"))
    assert enrolled.returncode == 0, enrolled.stderr
    return folder / "node.toml"


def test_a_database_in_a_folder_that_does_not_exist_is_named_in_words_not_a_traceback(tmp_path, monkeypatch):
    """`database_url = "sqlite:////nonexistent/dir/x.db"` (a mistyped path, a volume not mounted)
    ended `wuji node run` in 443 lines of SQLAlchemy's traceback, and WUJI_DATABASE_URL the same."""
    path = enrolled_province(tmp_path / "hunan")
    missing = tmp_path / "nonexistent" / "dir" / "x.db"
    config = NodeConfig.load(path)
    config.database_url = f"sqlite:///{missing}"
    config.save(path)
    in_config = wuji("node", "run", "--config", str(path))
    config.database_url = ""
    config.save(path)
    monkeypatch.setenv("WUJI_DATABASE_URL", f"sqlite:///{missing}")
    in_environment = wuji("node", "run", "--config", str(path))
    for ran in (in_config, in_environment):
        said = " ".join(ran.stderr.split())
        assert ran.returncode == 1 and "Traceback" not in said, said
        assert said.startswith(
            f"error: 节点 430000000000 未能启动 (cannot start node 430000000000)：数据库文件 {missing} "
            f"所在的文件夹 {missing.parent} 不存在：请核对 node.toml 的 database_url"
            "（或环境变量 WUJI_DATABASE_URL）"
        ), said
    # enrolling is refused before anything is made (a child's one-time invite would be used up)
    fresh = tmp_path / "fresh"
    assert wuji("node", "init", "430000", "--dir", str(fresh)).returncode == 0
    (fresh / "passphrase").write_text("cli test passphrase")
    config = NodeConfig.load(fresh / "node.toml")
    config.key_passphrase_file = str(fresh / "passphrase")
    config.save(fresh / "node.toml")
    refused = wuji("node", "enroll", "--config", str(fresh / "node.toml"))
    said = " ".join(refused.stderr.split())
    assert refused.returncode == 1 and f"数据库文件 {missing} 所在的文件夹" in said, said
    assert not (fresh / "pki").exists()
    assert not missing.parent.parent.exists()


def test_config_tier_must_agree_with_the_code():
    with pytest.raises(ConfigError, match="contradicts"):
        NodeConfig(code="430981", parent_address="127.0.0.1:1", tier="township")


def test_a_misspelt_sqlite_synchronous_level_is_refused():
    # SQLite itself would take "FUL" silently and keep committing without waiting for the disk
    with pytest.raises(ConfigError, match="sqlite_synchronous must be one of FULL, EXTRA, NORMAL, OFF"):
        NodeConfig(code="430981", parent_address="127.0.0.1:1", sqlite_synchronous="FUL")
    lower_case = NodeConfig(code="430981", parent_address="127.0.0.1:1", sqlite_synchronous="full")
    assert lower_case.sqlite_synchronous == "FULL"


def test_example_configs_for_every_tier_load():
    tiers = {}
    for path in sorted((ROOT / "deploy" / "examples").glob("*.toml")):
        config = NodeConfig.load(path)
        tiers[config.division.tier.name.lower()] = config.code
    assert tiers == {
        "province": CHAIN[0],
        "city": CHAIN[1],
        "county": CHAIN[2],
        "township": CHAIN[3],
        "village": CHAIN[4],
    }


def log_in(username: str, config: str) -> subprocess.CompletedProcess[str]:
    return wuji("login", username, "--password-stdin", "--config", config, input="s3cret-pass\n")


def test_a_login_is_not_sent_to_a_node_of_the_same_code_in_another_federation(federation, tmp_path):
    """A training copy of the federation has nodes of the same codes: a login at the real province
    is not the training copy's business, and its token is never sent there."""
    training = FederationHarness(tmp_path / "training")
    try:
        real, copy = federation.start(PROVINCE), training.start(PROVINCE)
        for node in (real, copy):
            node.staff.add("admin1", "管理员一", "管理员", "", "s3cret-pass", by=OPERATOR)
        real_config, copy_config = str(federation.config_path(PROVINCE)), str(training.config_path(PROVINCE))
        assert log_in("admin1", real_config).returncode == 0
        at_copy = wuji("whoami", "--config", copy_config)
        assert at_copy.returncode == 0 and "not logged in" in at_copy.stdout, at_copy.stderr
        assert "(admin1)" in wuji("whoami", "--config", real_config).stdout
        assert log_in("admin1", copy_config).returncode == 0  # both logins kept, side by side
        assert wuji("logout", "--config", copy_config).returncode == 0
        assert "(admin1) · 管理员" in wuji("whoami", "--config", real_config).stdout
    finally:
        training.stop_all()


def test_a_clerk_whose_password_the_administrator_set_is_told_to_change_it_not_to_ask_a_colleague(
    federation,
):
    """A new clerk's first `wuji case queue` was refused "change the password first", followed by
    这个账号不能办理这件事，请由有此职责的同事办理 — as if the work were someone else's."""
    county = federation.start_chain(CHAIN[:3])[-1]  # its catalogue names the departments
    admin = Actor(node=COUNTY, username="chen.admin", name="陈管理", role=Role.ADMIN)
    county.staff.add("wang.xm", "王小明", "窗口受理", "民政局", "s3cret-pass", by=admin)
    config = str(federation.config_path(COUNTY))
    assert log_in("wang.xm", config).returncode == 0
    refused = wuji("case", "queue", "待受理", "--config", config)
    said = " ".join(refused.stderr.split())
    assert refused.returncode == 1, said
    assert "请先改为只有自己知道的密码再办理： wuji staff passwd wang.xm" in said
    assert "请由有此职责的同事办理" not in said and "PERMISSION_DENIED" not in said, said


def test_a_refusal_says_whose_saved_login_was_used_and_how_to_act_as_another(federation):
    """`wuji staff add` after `wuji login <an agent>` was refused "only a 管理员 manages staff
    accounts", without a word of the login saved on the machine that the command had used."""
    province = federation.start(PROVINCE)
    province.staff.add("jian.cha", "监察员", "监察", "", "s3cret-pass", by=OPERATOR)
    config = str(federation.config_path(PROVINCE))
    add = ("staff", "add", "li.na", "--name", "李娜", "--role", "监察", "--password-stdin",
           "--config", config)  # fmt: skip
    assert log_in("jian.cha", config).returncode == 0
    refused = wuji(*add, input="another-pass\n")
    said = " ".join(refused.stderr.split())
    assert refused.returncode == 1, said
    assert "PERMISSION_DENIED" in said
    assert f"本命令用的是本机保存的 jian.cha 的登录（{os.environ['WUJI_AUTH_FILE']}）" in said
    assert "这个账号不能办理这件事，请由有此职责的同事办理，或问本节点的管理员" in said
    assert "节点操作员" not in said and f"`wuji logout --config {config}`)" in said  # in the brackets
    assert wuji("logout", "--config", config).returncode == 0
    as_operator = wuji(*add, input="another-pass\n")
    assert as_operator.returncode == 0, as_operator.stderr


def test_wuji_login_does_not_tell_which_usernames_exist(federation):
    """`wuji login` answered an account `账号 NAME 已锁定` after its failures, a name that is none
    `用户名或密码错误` forever: anyone could list the staff, then lock them."""
    province = federation.start(PROVINCE)
    province.staff.add("clerk6", "周受理", "监察", "", "s3cret-pass", by=OPERATOR)
    config = str(federation.config_path(PROVINCE))

    def said(username: str) -> list[str]:
        """What the CLI answers the first wrong password and the one after the failures that lock
        (those between are given to the node directly: a CLI process each took 27 s)."""
        replies = []
        for attempt in range(MAX_FAILURES + 1):
            if 0 < attempt < MAX_FAILURES:
                with pytest.raises(NotLoggedIn):
                    province.staff.login(username, "wrong-pass")
                continue
            refused = wuji("login", username, "--password-stdin", "--config", config, input="wrong-pass\n")
            assert refused.returncode == 1
            replies.append(" ".join(refused.stderr.split()).replace(username, "NAME"))
        return replies

    account, nobody = said("clerk6"), said("nobody6")
    assert account == nobody and "已锁定" in account[-1] and "已锁定" not in account[0], account


def test_staff_departments_are_checked_and_accounts_mended_at_the_cli(federation):
    """`wuji staff add clerk8 … --department 民证局` was taken, and nothing could change a role or a
    department, or bring a disabled account back."""
    county = federation.start_chain()[CHAIN.index(COUNTY)]  # the catalogue reaches it
    config = str(federation.config_path(COUNTY))
    add = ("staff", "add", "clerk8", "--name", "王八", "--role", "窗口受理", "--password-stdin",
           "--config", config)  # fmt: skip
    typo = wuji(*add, "--department", "民证局", input="s3cret-pass\n")
    said = " ".join(typo.stderr.split())
    assert typo.returncode == 1 and "没有部门 民证局；本节点办理事项的部门有：" in said and "民政局" in said
    assert wuji(*add, "--department", "民政局", input="s3cret-pass\n").returncode == 0
    assert log_in("clerk8", config).returncode == 0
    refused = wuji("staff", "set", "clerk8", "--role", "监察", "--config", config)
    assert refused.returncode == 1 and "管理员" in refused.stderr  # as clerk8: not theirs to change
    assert wuji("logout", "--config", config).returncode == 0
    token = county.staff.login("clerk8", "s3cret-pass").token  # their login elsewhere (the browser)
    nothing = wuji("staff", "set", "clerk8", "--config", config)  # as the operator from here on
    assert nothing.returncode == 2 and "--role" in nothing.stderr
    wrong = wuji("staff", "set", "clerk8", "--department", "民证局", "--config", config)
    assert wrong.returncode == 1 and "没有部门 民证局" in wrong.stderr
    assert county.staff.actor(token).department == "民政局"  # a refused change ends nothing
    moved = wuji("staff", "set", "clerk8", "--role", "审核", "--config", config)
    assert moved.returncode == 0 and "clerk8 (王八)：审核/审批 民政局" in moved.stdout, moved.stderr
    with pytest.raises(NotLoggedIn):
        county.staff.actor(token)
    assert [(m.role, m.department) for m in county.staff.list() if m.username == "clerk8"] == [
        (Role.REVIEWER, "民政局")
    ]
    assert wuji("staff", "disable", "clerk8", "--config", config).returncode == 0
    assert "停用" in wuji("staff", "list", "--config", config).stdout
    enabled = wuji("staff", "enable", "clerk8", "--config", config)
    assert enabled.returncode == 0 and "启用 clerk8" in enabled.stdout
    log = wuji("staff", "log", "--limit", "3", "--config", config)  # 操作记录, the newest first
    assert log.returncode == 0, log.stderr
    changes = [re.sub(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}  ", "", line) for line in log.stdout.splitlines()]
    assert changes == [
        "运维（命令行）  王八（clerk8）  启用",
        "运维（命令行）  王八（clerk8）  停用",
        "运维（命令行）  王八（clerk8）  角色 窗口受理→审核/审批",
        "只显示最近 3 条，可能还有更早的 (the newest 3; there may be more)",
    ], log.stdout
    assert log_in("clerk8", config).returncode == 0


def material_specs(folder: Path, item: str = "MZ-0001") -> list[str]:
    """--material NAME=FILE for every required material of the item, the files written in folder."""
    specs = []
    for number, name in enumerate(required_names(item)):
        path = folder / f"{number}.pdf"
        path.write_bytes(f"%PDF-1.4 {name}".encode())
        specs += ["--material", f"{name}={path}"]
    return specs


def test_case_commands_against_running_nodes(federation, tmp_path):
    federation.start_chain()
    village, county = str(federation.config_path(VILLAGE)), str(federation.config_path(COUNTY))
    specs = material_specs(tmp_path)
    staff = [(village, "cun1", "代办员", ""), (county, "chuang1", "窗口受理", "民政局"),
             (county, "shen1", "审核", "民政局")]  # fmt: skip
    for config, username, role, department in staff:
        added = wuji("staff", "add", username, "--name", f"员工{username}", "--role", role,
                     "--department", department, "--password-stdin", "--config", config,
                     input="s3cret-pass\n")  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert f"已添加账号 {username}：员工{username}" in added.stdout

    assert log_in("cun1", village).returncode == 0
    assert "员工cun1 (cun1) · 代办员" in wuji("whoami", "--config", village).stdout
    incomplete = wuji("case", "submit", "MZ-0001", "--name", "张三", "--id-number", "430981199001011237",
                      *specs[:2], "--config", village)  # fmt: skip
    assert incomplete.returncode == 1 and "缺少" in incomplete.stderr
    no_file = wuji("case", "submit", "MZ-0001", "--name", "张三", "--id-number", "430981199001011237",
                   "--material", f"户口簿={tmp_path / 'not-scanned.pdf'}", "--config", village)  # fmt: skip
    assert no_file.returncode == 2 and "找不到材料文件" in no_file.stderr and "not-scanned" in no_file.stderr
    (tmp_path / "virus.exe").write_bytes(EXECUTABLE)
    (tmp_path / "身份证.bat").write_bytes(BATCH)
    first = required_names("MZ-0001")[0]
    for bad in ("virus.exe", "身份证.bat"):
        given = [*specs[2:], "--material", f"{first}={tmp_path / bad}"]
        program = wuji("case", "submit", "MZ-0001", "--name", "张三", "--id-number", "430981199001011237",
                       *given, "--config", village)  # fmt: skip
        assert program.returncode == 1 and f"{first}：文件 {bad} 是" in program.stderr, program.stderr
        assert "不能作为申请材料；请上传扫描件或照片（PDF、JPG" in program.stderr
    submitted = wuji("case", "submit", "MZ-0001", "--name", "张三", "--id-number", "430981199001011237",
                     *specs, "--config", village)  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    case_id = submitted.stdout.split()[0]
    assert case_id.startswith(VILLAGE) and "状态 申请" in submitted.stdout and "代办" in submitted.stdout

    def submitted_again() -> str:  # a second case, still 申请: no result yet
        again = wuji("case", "submit", "MZ-0001", "--name", "李四", "--id-number", "430981199001011237",
                     *specs, "--config", village)  # fmt: skip
        assert again.returncode == 0, again.stderr
        return again.stdout.split()[0]

    wait_for(lambda: wuji("case", "show", case_id, "--config", county).returncode == 0, what="case at county")
    operator = wuji("case", "accept", case_id, "--config", county)  # the county's operator, not a person
    assert operator.returncode == 0, operator.stderr
    no_department = wuji("case", "queue", "待受理", "--config", county)  # the operator has none
    assert no_department.returncode == 1 and "请指定部门（--department）" in no_department.stderr
    assert log_in("chuang1", county).returncode == 0
    nothing = wuji("case", "queue", "待受理", "--config", county)  # the case was accepted: none wait
    assert nothing.stdout.strip() == "待受理：没有办件 (no cases)", nothing.stdout  # no empty table
    queue = wuji("case", "queue", "待审核", "--config", county)
    assert queue.returncode == 0 and case_id in queue.stdout and "待审核：共 1 件" in queue.stdout
    refused = wuji("case", "review", case_id, "--config", county)  # a window clerk does not review
    assert refused.returncode == 1 and "PERMISSION_DENIED" in refused.stderr
    assert log_in("shen1", county).returncode == 0
    for command in ("review", "conclude"):
        done = wuji("case", command, case_id[:30], "--note", "ok", "--config", county)  # unique beginning
        assert done.returncode == 0, done.stderr
    assert "员工shen1 (shen1)" in done.stdout and "民政局" in done.stdout
    assert "审核 — ok" in done.stdout and "办结(准予) — ok" in done.stdout  # not "审核 → 审核"
    assert "受理 → " not in done.stdout and "审核 → " not in done.stdout
    shown_at_village = lambda: wuji("case", "show", case_id, "--config", village).stdout  # noqa: E731
    wait_for(lambda: "办结·准予" in shown_at_village(), what="conclusion at village")
    listed = wuji("case", "list", "--role", "origin", "--state", "办结", "--config", village)
    assert case_id in listed.stdout and "共 1 件 (1 case)" in listed.stdout
    found = wuji("case", "search", "43098119900101", "--config", village)
    assert case_id in found.stdout
    saved = wuji("case", "result", case_id, "--config", village, cwd=tmp_path)
    assert saved.returncode == 0 and f"{case_id}.sealed" in saved.stdout, saved.stderr
    said = "".join(saved.stdout.split())  # the county's list came with the result: say what it allows
    assert "仅凭省级根证书即可核验签章时未被吊销" in said and "--trust根证书.pem--require-revocation" in said
    checked = wuji("seal", "verify", str(tmp_path / f"{case_id}.sealed"), "--config", village)
    assert checked.returncode == 0 and "VALID" in checked.stdout, checked.stdout
    not_yet = wuji("case", "result", submitted_again(), "--config", village, cwd=tmp_path)
    page = wuji("case", "list", "--role", "origin", "--limit", "1", "--config", village)  # two cases here
    assert "只显示前 1 件，可能还有更多，用 --limit 显示更多" in page.stdout, page.stdout
    assert not_yet.returncode == 1 and "尚无加盖印章的办理结果" in not_yet.stderr
    visits = wuji("case", "visits", "--config", village)
    assert case_id in visits.stdout and "待回访" in visits.stdout and "共 1 件" in visits.stdout
    assert wuji("case", "visit", case_id, "--outcome", "满意", "--config", village).returncode == 0
    twice = wuji("case", "visit", case_id, "--outcome", "不满意", "--config", village)  # a second click
    assert twice.returncode == 1 and f"办件 {case_id} 已回访" in twice.stderr, twice.stderr
    mistyped = wuji("case", "show", "430981006001-NOPE", "--config", village)
    assert mistyped.returncode == 1 and "本节点没有办件 430981006001-NOPE" in mistyped.stderr
    bad_state = wuji("case", "list", "--state", "明天", "--config", village)
    assert bad_state.returncode == 2 and "办结" in bad_state.stderr
    assert log_in("shen1", county).returncode == 0  # one's own password: the current one, then the new
    changed = wuji("staff", "passwd", "shen1", "--password-stdin", "--config", county,
                   input="s3cret-pass\nnew-secret-2\n")  # fmt: skip
    assert changed.returncode == 0 and "密码已修改，请用新密码重新登录" in changed.stdout, changed.stderr
    ended = wuji("whoami", "--config", county).stdout  # that login ended
    assert "not logged in" in ended and f"未登录 {COUNTY}，以节点操作员身份操作" in ended
    again = wuji("login", "shen1", "--password-stdin", "--config", county, input="new-secret-2\n")
    assert again.returncode == 0
    assert wuji("logout", "--config", county).returncode == 0
    assert "not logged in" in wuji("whoami", "--config", county).stdout
    assert log_in("chuang1", county).returncode == 0  # a login the node then ends (a reset password)
    federation.nodes[COUNTY].staff.set_password("chuang1", "reset-by-admin-1", by=OPERATOR)
    stale = wuji("whoami", "--config", county)
    said = " ".join(stale.stderr.split())
    assert stale.returncode == 1 and f"请重新登录（wuji login 你的用户名 --config {county}）" in said, said
    assert "请找本节点的管理员" in said and "节点操作员" not in said
    gone = wuji("logout", "--config", county)
    assert gone.returncode == 0 and "该登录在节点上已失效" in gone.stdout, gone.stderr
    assert "not logged in" in wuji("whoami", "--config", county).stdout

    unknown = wuji(
        "case", "submit", "NOPE-1", "--name", "张三", "--id-number", "430981199001011237", "--config", village
    )
    assert unknown.returncode == 1 and "unknown item 'NOPE-1'" in unknown.stderr
    assert "事项目录第 1 版中没有事项 NOPE-1" in " ".join(unknown.stderr.split())
    status = wuji("node", "status", "--config", county)
    assert status.returncode == 0 and "430981006000" in status.stdout
    assert "相邻节点" in status.stdout and "下级" in status.stdout and "已连接" in status.stdout


def test_a_submission_whose_answer_is_lost_is_sent_again_and_taken_in_once(federation, tmp_path):
    """The village answers too late for the command (its database held by another writer past the
    call's deadline): the command sends the application again under the same key, and when the
    village can write again it has taken in one case, not two."""
    federation.start_chain()
    village = federation.nodes[VILLAGE]
    database = sqlite_file(village.config.database_url)
    if database is None:
        pytest.skip("the hold on the database is SQLite's write lock")
    before = len(village.cases.list_cases(role="origin"))
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # what a long write at the node does to a submission
    try:
        command = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "case", "submit", "MZ-0001", "--name", "张三",
             "--id-number", "430981199001011237", *material_specs(tmp_path),
             "--config", str(federation.config_path(VILLAGE))],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
            env={**os.environ, "COLUMNS": "200"},
        )  # fmt: skip
        assert command.stderr is not None
        said = command.stderr.readline()  # after the first call's deadline (10 s)
        assert "以同一申请键再发一次" in said and "Deadline Exceeded" in said, said
        time.sleep(RESEND_PAUSES[0] + 1)  # the second sending waits on the database too
    finally:
        holder.rollback()
        holder.close()
    out, err = command.communicate(timeout=60)
    assert command.returncode == 0, said + err
    case_id = out.split()[0]
    assert case_id.startswith(VILLAGE) and "状态 申请" in out
    taken_in = village.cases.list_cases(role="origin")
    assert len(taken_in) == before + 1 and taken_in[0].id == case_id


def test_unreachable_node_is_reported_with_its_address(federation):
    federation.start_chain((CHAIN[0],))
    result = wuji("case", "list", "--config", str(federation.config_path(CHAIN[0])), "--node", "127.0.0.1:9")
    assert result.returncode == 3
    assert "cannot reach the node at 127.0.0.1:9" in result.stderr


def test_a_stopped_node_is_said_not_to_be_running_and_how_to_start_it(federation):
    """The operator read gRPC's "failed to connect to all addresses; … Connection refused" alone."""
    federation.start(PROVINCE)
    federation.stop(PROVINCE)
    config = federation.config_path(PROVINCE)
    result = wuji("node", "status", "--config", str(config))
    said = " ".join(result.stderr.split())
    assert result.returncode == 3, said
    assert said.startswith("error: 连不上节点 127.0.0.1:"), said
    assert (
        f"节点没有运行，或地址、端口不对；若是本机的节点，请先启动它： wuji node run --config {config}"
        in (said)
    )
    assert "(cannot reach the node at 127.0.0.1:" in said and "Connection refused" in said


def test_a_link_that_is_down_is_said_with_its_address_and_why(federation):
    """`node status` said 未连接 alone: the IT person could not tell a stopped parent from a wrong
    address or a certificate the parent does not trust without reading the log."""
    province, city = federation.start_chain((PROVINCE, CITY))
    federation.stop(PROVINCE)
    link = city.links.get(PROVINCE, "parent")
    wait_for(
        lambda: link.trouble is not None and "Connection refused" in link.trouble.words, what="a refused dial"
    )
    result = wuji("node", "status", "--config", str(federation.config_path(CITY)))
    said = " ".join(result.stdout.split())
    assert result.returncode == 0, result.stderr
    meaning = "那个地址上没有节点在运行（对方已停止，或地址、端口不对）"
    assert f"上级 {PROVINCE}（{province.address}）未连接：{meaning}" in said, said
    assert "Connection refused" in said and "最近一次连通 20" in said


def test_another_node_at_the_parents_address_is_said_to_be_another_node():
    """The township's operator gave the county's port as the township's: `node status` at the
    village said 对方拒绝了本节点, when the node answering there was not its parent at all."""
    link = desk_pb2.LinkStatus(
        peer=TOWNSHIP, role="parent", address="127.0.0.1:27420", connected=False,
        trouble="UNAVAILABLE: failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:27420: "
        "Custom verification check failed with error: UNAUTHENTICATED: Hostname Verification Check failed.",
    )  # fmt: skip
    said = link_down_words(link)
    assert said.startswith(
        f"上级 {TOWNSHIP}（127.0.0.1:27420）未连接：那个地址上运行的不是上级 {TOWNSHIP}，而是另一个节点"
        "（证书名称不符）：请核对地址（node.toml 的 parent_address） ("
    ), said
    assert "对方拒绝了本节点" not in said


def test_a_parent_address_unlike_the_invites_is_warned_of_not_refused():
    assert parent_address_doubt("127.0.0.1:27430", "127.0.0.1:27430", TOWNSHIP) == ""
    assert parent_address_doubt("county.example:7400", "0.0.0.0:7400", COUNTY) == ""  # it listens on all
    assert parent_address_doubt("127.0.0.1:27420", "", TOWNSHIP) == ""  # an older invite does not say
    doubt = parent_address_doubt("127.0.0.1:27420", "127.0.0.1:27430", TOWNSHIP)
    assert doubt.startswith(
        f"注意：node.toml 的 parent_address 是 127.0.0.1:27420，而邀请里上级 {TOWNSHIP} 的地址是 "
        "127.0.0.1:27430：两者不一致，请核对 parent_address；仍按邀请申请证书"
    )


def test_a_login_says_until_when_in_beijing_time():
    reply = desk_pb2.LoginReply(
        staff=desk_pb2.StaffMember(node=COUNTY, name="王芳", username="wangfang", role_label="受理人员"),
        expires_at=to_timestamp(datetime(2026, 12, 8, 2, 48, tzinfo=UTC)),
    )
    assert logged_in_words(reply).endswith(" · 有效至 2026-12-08 10:48（北京时间）")


def test_a_command_in_a_hint_is_not_cut_in_an_80_column_terminal(monkeypatch):
    """`…请先启动它：wuj` then `i node run --config township/node.toml`: a command glued to Chinese
    text was folded with it where the line ended."""
    terminal = Console(file=io.StringIO(), width=80)
    monkeypatch.setattr(common, "errors", terminal)
    with pytest.raises(typer.Exit):
        common.fail(
            "连不上节点 127.0.0.1:27430：节点没有运行，或地址、端口不对；若是本机的节点，请先启动它："
            "wuji node run --config township/node.toml (cannot reach the node at 127.0.0.1:27430: "
            "failed to connect to all addresses; Connection refused)"
        )
    lines = terminal.file.getvalue().splitlines()
    assert any(line.startswith("wuji node run --config township/node.toml") for line in lines), lines


def city_config(folder: Path, parent: str, passphrase: Path) -> str:
    """`wuji node init` of the city below the harness's province, its keys under passphrase."""
    made = wuji("node", "init", "430900", "--parent", parent, "--web-listen", "off", "--dir", str(folder))
    assert made.returncode == 0, made.stderr
    config = NodeConfig.load(folder / "node.toml")
    config.key_passphrase_file = str(passphrase)
    config.save(folder / "node.toml")
    return str(folder / "node.toml")


def test_an_invite_that_cannot_be_used_says_in_chinese_what_to_do(federation, tmp_path):
    """Enrollment said only gRPC's "failed to connect … Socket closed", or "this token was used
    already on …" without a word of the new invite it takes."""
    province = federation.start(PROVINCE)
    invite = tmp_path / "city.invite"
    parent_config = str(federation.config_path(PROVINCE))
    made = wuji("node", "invite", CHAIN[1], "--out", str(invite), "--config", parent_config)
    assert made.returncode == 0, made.stderr
    enrollment = json.loads(invite.read_text())["parent_address"]
    wrong_port = tmp_path / "wrong-port.invite"  # the parent's links (mTLS), not its enrollment port
    wrong_port.write_text(invite.read_text().replace(enrollment, province.address))
    typo = city_config(tmp_path / "city-typo", "127.0.0.1:9", federation.passphrase_file)  # not its parent's
    unreachable = wuji("node", "enroll", "--config", typo, "--invite", str(wrong_port))
    said = " ".join(unreachable.stderr.split())
    assert unreachable.returncode == 1, said
    assert f"error: 连不上上级节点 {PROVINCE} 的证书申请服务 {province.address}：上级节点没有运行" in said
    assert f"wuji node invite {CHAIN[1]}" in said and "(cannot reach the parent" in said
    warned = f"注意：node.toml 的 parent_address 是 127.0.0.1:9，而邀请里上级 {PROVINCE} 的地址是 "
    warned += province.address
    assert said.startswith(warned), said  # a warning: enrollment was tried all the same
    first = city_config(tmp_path / "city", province.address, federation.passphrase_file)
    enrolled = wuji("node", "enroll", "--config", first, "--invite", str(invite))
    assert enrolled.returncode == 0 and "注意" not in enrolled.stderr, enrolled.stderr
    second = city_config(tmp_path / "city-again", province.address, federation.passphrase_file)
    reused = wuji("node", "enroll", "--config", second, "--invite", str(invite))
    said = " ".join(reused.stderr.split())
    assert reused.returncode == 1, said
    assert f"error: 上级节点 {PROVINCE}（{enrollment}）未发给本节点证书：这份邀请已于 " in said
    assert "用过，每份只能用一次：请上级节点的操作员在上级运行 `wuji node invite 430900000000" in said
    assert "(this token was used already on" in said


def test_the_operators_commands_say_what_they_did_in_chinese_first(federation, tmp_path):
    """`wuji node invite`, `wuji node enroll` and `wuji seal create` answered in English only
    (`wrote yiyang.invite for node …`, `enrolled 市 node …`, `seal …: …, valid …`), and a node that
    lost its pki/ was told to run `wuji node enroll`, which takes an invite it did not have."""
    province = federation.start(PROVINCE)
    parent_config = str(federation.config_path(PROVINCE))
    invite = tmp_path / "yiyang.invite"
    made = wuji("node", "invite", CHAIN[1], "--out", str(invite), "--config", parent_config)
    assert made.returncode == 0, made.stderr
    said = "".join(made.stdout.split())
    assert said.startswith(f"已写入节点{CHAIN[1]}的入网邀请{invite}，有效至"), said
    assert "（北京时间），只能用一次：请交给它的运维人员，勿外传(wrote" in said, said
    city = city_config(tmp_path / "city", province.address, federation.passphrase_file)
    lost = wuji("node", "run", "--config", city)
    said = "".join(lost.stderr.split())
    assert lost.returncode == 1, said
    pki = tmp_path / "city" / "pki"
    assert said.startswith(
        f"error:节点{CHAIN[1]}未能启动(cannotstartnode{CHAIN[1]})：节点{CHAIN[1]}在{pki}中没有证书"
    ), said
    assert (
        f"请上级{PROVINCE}的运维人员先wujicertrevoke{CHAIN[1]}，再wujinodeinvite{CHAIN[1]}生成新的邀请"
        in said
    )
    assert "(node430900000000hasnocertificatesin" in said and "getanewinvitefromtheparent" in said
    enrolled = wuji("node", "enroll", "--config", city, "--invite", str(invite))
    assert enrolled.returncode == 0, enrolled.stderr
    assert enrolled.stdout.splitlines() == [
        f"市级节点 {CHAIN[1]} 已入网：上级 {PROVINCE} 签发了本节点的CA 证书和连接证书 (enrolled {CHAIN[1]}: "
        f"CA and TLS certificates issued by {PROVINCE})",
        f"下一步 (next)：wuji node run --config {city}",
    ]
    seal = ("--holder", "湖南省民政厅", "--department", "民政厅", "--kind", "业务专用章")
    sealed = wuji("seal", "create", *seal, "--config", parent_config)
    assert sealed.returncode == 0, sealed.stderr
    said = " ".join(sealed.stdout.split())
    assert re.fullmatch(
        r"已刻制印章 \S+：湖南省民政厅 民政厅 业务专用章，算法 ecdsa-p256-sha256，有效期 "
        r"\d{4}-\d\d-\d\d \d\d:\d\d 至 \d{4}-\d\d-\d\d \d\d:\d\d（北京时间） \(seal \S+ made\)",
        said,
    ), said


def test_a_missing_config_is_a_clear_error(tmp_path):
    result = wuji("case", "list", "--config", str(tmp_path / "nowhere.toml"))
    assert result.returncode == 2
    said = " ".join(result.stderr.split())
    assert said.startswith(f"error: 找不到节点配置文件 {tmp_path / 'nowhere.toml'}：请核对 --config") and (
        "(no node config at" in said
    )


def stop_demo(demo: subprocess.Popen[str]) -> None:
    """A demo a failed assertion left running is stopped as Ctrl-C stops it, its nodes with it: a
    kill would orphan them, and they would run on (and load the machine) through the rest of the run."""
    if demo.poll() is None:
        demo.send_signal(signal.SIGINT)
        try:
            demo.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.communicate()


def demo_process(folder: Path, *options: str) -> subprocess.Popen[str]:
    """`wuji demo --keep folder` running, its output (stderr with it) read line by line."""
    return subprocess.Popen(
        [sys.executable, "-m", "node.cli", "demo", "--keep", str(folder), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        env={**os.environ, "COLUMNS": "200"},
    )


def test_demo_runs_five_nodes_keeps_what_it_made_and_serves_its_desks_until_ctrl_c(tmp_path):
    folder = tmp_path / "demo"
    demo = demo_process(folder, "--serve")
    try:
        assert demo.stdout is not None
        before = ""
        for line in demo.stdout:  # until the nodes are left serving (or the demo ends without)
            before += line
            if "press Ctrl-C" in line:
                break
        assert "press Ctrl-C to stop every node" in before, before
        # the village's front desk, open to the agent the demo made: log in as its 代办员
        account = re.search(r"430981006001 — front desk (\S+)\n\s+agent1\s+(\S{12})", before)
        assert account, before
        desk, password = account.groups()
        with httpx.Client(base_url=desk, follow_redirects=True, timeout=30) as browser:
            csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text).group(1)
            reply = browser.post("/login", data={"username": "agent1", "password": password, "csrf": csrf})
            assert reply.status_code == 200 and "退出" in reply.text, reply.text
        # a trainee stops the township to practise a restart: the demo says so, the others run on
        township = folder / "430981006000" / "node.toml"
        assert f"430981006000 {township}" in before  # its config, named while the nodes serve
        pid = subprocess.run(
            ["pgrep", "-f", "--", f"--config {township}"], capture_output=True, text=True
        ).stdout
        os.kill(int(pid.split()[0]), signal.SIGTERM)
        for line in demo.stdout:
            before += line
            if "node 430981006000 stopped" in line:
                break
        assert "node 430981006000 stopped (exit code 0); the other nodes keep running" in before, before
        assert demo.poll() is None  # still serving
        demo.send_signal(signal.SIGINT)
        after = demo.communicate(timeout=600)[0]
    finally:
        stop_demo(demo)
    assert demo.returncode == 0, before + after
    assert before.count("送达 at 韩家汊社区代办点") == 4 and "电子证照 营业执照" in before
    assert "430981006001 → 430981006000 → 430981000000" in before  # hops up to the county
    for mode in ("异地代收代办", "两地联办", "全程网办"):  # 跨省通办 between 湖南 and 广东
        assert f"跨省通办 · {mode}" in before
    assert before.count("verifies at") == 7 and "DOES NOT VERIFY" not in before
    # each node's front desk, and the people who can log in there
    assert before.count("front desk http://127.0.0.1:") >= 10
    assert re.search(r"agent1\s+\S{12}\s+代办员", before) and "监察" in before
    assert len(re.findall(r"admin1\s+\S{12}\s+管理员", before)) == 10  # one at every node
    assert re.search(r"440305001001 — front desk \S+\n(?: {4}\S.*\n)*? {4}agent1\s+\S{12}\s+代办员", before)
    for supervised in CHAIN[:3]:  # a 监察 at the province, the city and the county
        listed = rf"{supervised} — front desk \S+\n(?: {{4}}\S.*\n)*? {{4}}\S+\s+\S{{12}}\s+监察"
        assert re.search(listed, before), supervised
    assert "agent1" not in after and "all nodes stopped" in after  # the accounts are said once
    for code in CHAIN:  # how to start each kept node again, parents first
        assert f"wuji node run --config {folder / code / 'node.toml'}" in after
        assert (folder / code / "wuji.db").is_file()
        assert "stopped" in (folder / code / "node.log").read_text(encoding="utf-8")
    assert after.index(CHAIN[0]) < after.index(CHAIN[-1])


def test_demo_stops_every_node_on_ctrl_c(tmp_path):
    folder = tmp_path / "demo"
    demo = demo_process(folder)
    try:
        assert demo.stdout is not None
        for line in demo.stdout:  # the condition: the whole 湖南 chain runs (whatever the demo does next)
            if "started 村" in line:
                break
        demo.send_signal(signal.SIGINT)
        output = demo.communicate(timeout=600)[0]  # a generous bound: stopping ten nodes on a busy machine
    finally:
        stop_demo(demo)
    assert demo.returncode == 130, output
    assert "all nodes stopped" in output, output
    assert "did not stop" not in output and "ended with" not in output, output  # none killed, none crashed
    for code in CHAIN:
        log = (folder / code / "node.log").read_text(encoding="utf-8")
        assert f"node {code} stopped" in log, f"{output}\n{code}'s log:\n{log[-4000:]}"


def test_catalog_commands_against_running_nodes(federation, tmp_path):
    from tests.test_catalog import CHANGED, version_two

    federation.start_chain()
    config = {code: str(federation.config_path(code)) for code in CHAIN}
    province, county, township, village = config[CHAIN[0]], config[COUNTY], config[CHAIN[3]], config[VILLAGE]
    catalogue = tmp_path / "v2.json"
    catalogue.write_text(json.dumps(version_two(), ensure_ascii=False), encoding="utf-8")

    published = wuji("catalog", "publish", str(catalogue), "--config", province)
    assert published.returncode == 0, published.stderr
    assert "已发布事项目录第 2 版：" in published.stdout and f"~ 变更 {CHANGED}" in published.stdout
    assert "- 退出目录 LY-0001" in published.stdout and "+ 新增 MZ-0005" in published.stdout
    again = wuji("catalog", "publish", str(catalogue), "--config", province)
    assert "与现行的事项目录第 2 版相同，未发布" in again.stdout, again.stdout
    elsewhere = wuji("catalog", "publish", str(catalogue), "--config", county)
    assert elsewhere.returncode == 1 and "事项目录只由省级节点发布" in elsewhere.stderr

    wait_for(
        lambda: federation.nodes[VILLAGE].describe().catalog_version == 2, what="release 2 at the village"
    )
    verified = wuji("catalog", "verify", "--config", village)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"与上级 {CHAIN[3]} 的第 2 版" in verified.stdout and "一致" in verified.stdout, verified.stdout
    # a withdrawn item is refused as such, not as an item never heard of
    applicant = ("--name", "张三", "--id-number", "430981199001011237")
    withdrawn = wuji("case", "submit", "LY-0001", *applicant, "--config", village)
    said = " ".join(withdrawn.stderr.split())
    assert withdrawn.returncode != 0 and "（LY-0001）已在事项目录第 2 版退出目录，不再受理申请" in said, said

    diff = wuji("catalog", "diff", "1", "2", "--config", county)
    assert diff.returncode == 0 and "第 1 版 → 第 2 版：3 个事项有变化" in diff.stdout, diff.stdout
    assert "承诺时限：15 个工作日 → 10 个工作日" in diff.stdout and "退出目录" in diff.stdout
    demo = Path(__file__).resolve().parent.parent / "node" / "catalogue" / "data" / "demo_catalog.json"
    offline = wuji("catalog", "diff", str(demo), str(catalogue))  # two files: no node needed
    assert offline.returncode == 0 and "承诺时限：15 个工作日 → 10 个工作日" in offline.stdout, offline.stdout

    # the refusals and the answer of 认领 say it in Chinese first, naming what may be filled in
    locked = wuji("catalog", "claim", "MZ-0003", "--set", "statutory_days=5", "--config", township)
    said = " ".join(locked.stderr.split())
    assert locked.returncode == 1, said
    assert "的法定时限（statutory_days）是由省级事项目录第 2 版确定的" in said, said
    assert "只能填写办理地点（window_address）、咨询电话（phone）" in said, said
    unknown = wuji("catalog", "claim", "MZ-0003", "--set", "foo=bar", "--config", township)
    said = " ".join(unknown.stderr.split())
    assert unknown.returncode != 0 and "没有可填写的本地字段 foo：只能填写办理地点" in said, said
    claimed = wuji("catalog", "claim", "MZ-0003", "--phone", "0737-2800000", "--config", township)
    said = " ".join(claimed.stdout.split())
    assert claimed.returncode == 0 and f"节点 {TOWNSHIP} 已认领" in said, said
    assert "咨询电话 0737-2800000" in said, said
    shown = wuji("catalog", "show", "MZ-0003", "--config", township)
    assert shown.returncode == 0 and "statutory_days" in shown.stdout and "0737-2800000" in shown.stdout
    assert "咨询电话 phone" in shown.stdout and "个工作日" in shown.stdout
    listed = wuji("catalog", "list", "--config", village)
    assert listed.returncode == 0 and "GJ-0001-01-01" in listed.stdout and "跨省通办" in listed.stdout
    assert "catalogue release 2" in listed.stdout

    # a township's certificate is the county's to revoke: the province says where to go
    elsewhere = wuji("cert", "revoke", TOWNSHIP, "--config", province)
    assert elsewhere.returncode == 1, elsewhere.stdout
    said = " ".join(elsewhere.stderr.split())
    assert f"{TOWNSHIP} 的证书由它的上级 {COUNTY} 签发" in said
    assert f"请在上级节点上运行 wuji cert revoke {TOWNSHIP}" in said
    federation.stop(TOWNSHIP)  # the village's parent: verify says why it cannot compare, in words
    unverified = wuji("catalog", "verify", "--config", village)
    assert unverified.returncode != 0, unverified.stdout
    said = " ".join(unverified.stderr.split())
    assert f"无法与上级 {TOWNSHIP} 比对事项目录：那个地址上没有节点在运行" in said, said


def test_cert_list_shows_what_this_node_issued_and_status_warns_of_its_own_expiry(federation):
    """No command showed a certificate's expiry (a node's TLS certificate lasts one year): `cert
    list` lists what the node's CA issued, and `node status` warns 60 days before its own ends."""
    from datetime import timedelta

    from node.cli.nodes import own_certificate_words

    federation.start_chain(CHAIN[:2])
    province, city = (federation.config_path(code) for code in CHAIN[:2])
    issued = federation.nodes[CITY].identity.chain[0]  # the city's CA, certified by the province
    listed = wuji("cert", "list", "--config", str(province))
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if format(issued.serial_number, "x") in line)
    assert CITY in line and " CA " in line and "有效" in line, listed.stdout
    assert "事项目录发布" in listed.stdout and f"{PROVINCE} 事项目录发布（" not in listed.stdout
    assert shanghai(issued.not_valid_after_utc) in line
    assert "共 " in listed.stdout and "wuji cert revoke" in listed.stdout
    ends = federation.nodes[CITY].identity.tls_certificate.not_valid_after_utc  # its own, one year
    assert own_certificate_words(city, ends - timedelta(days=61)) == ""
    soon = own_certificate_words(city, ends - timedelta(days=30, hours=1))
    assert soon.startswith("本节点的连接证书将于 ") and "（还剩 30 天）" in soon
    assert "wuji node enroll" in soon
    assert "已于" in own_certificate_words(city, ends + timedelta(minutes=1))
    status = wuji("node", "status", "--config", str(city))
    assert status.returncode == 0 and "连接证书" not in status.stdout  # a year left: nothing to say


def test_the_catalogue_keepers_tools_say_changes_and_faults_in_chinese(tmp_path):
    """`catalog diff` names changed elements in Chinese and a change of materials by what was added
    and taken out (it printed two whole JSON lists); a catalogue's faults are said in Chinese."""
    from node.catalogue import calendars
    from node.catalogue import items as catalog
    from node.errors import InvalidInput

    demo = catalog.demo_catalog_path()
    document = json.loads(demo.read_text(encoding="utf-8"))
    entry = next(item for item in document["items"] if item["code"] == "MZ-0001")
    dropped = entry["materials"].pop(0)["name"]
    entry["materials"].append({"name": "村（居）委会出具的情况证明", "form": "原件", "required": True})
    entry["conditions"] = ["申请人户籍在本县"]
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    diff = wuji("catalog", "diff", str(demo), str(changed))
    assert diff.returncode == 0, diff.stderr
    assert "新增材料：村（居）委会出具的情况证明（原件，必要）" in diff.stdout, diff.stdout
    assert f"删去材料：{dropped}（" in diff.stdout and "新增受理条件：申请人户籍在本县" in diff.stdout
    assert "[{" not in diff.stdout and "materials" not in diff.stdout

    entry["promised_days"] = entry["statutory_days"] + 1
    position = document["items"].index(entry) + 1
    changed.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    refused = wuji("catalog", "diff", str(demo), str(changed))
    assert refused.returncode != 0
    promised = entry["promised_days"]
    assert f"第 {position} 项（MZ-0001）：承诺时限 {promised} 个工作日长于法定时限" in refused.stderr
    entry["promised_days"], entry["handling_tier"] = 1, "village"
    with pytest.raises(InvalidInput, match="村（社区）代办点只受理和转报办件，不办理事项"):
        catalog.parse_document(json.dumps(document).encode())
    entry["handling_tier"] = "county"
    document["items"].append(dict(entry))
    # the published document was named "catalogue the published file"
    with pytest.raises(InvalidInput, match=r"^所发布的事项目录中事项编码重复：MZ-0001"):
        catalog.parse_document(json.dumps(document).encode())

    weekday = {"year": 2027, "holidays": ["2027-10-01"], "workdays": ["2027-10-08"]}  # a Friday
    with pytest.raises(InvalidInput, match="调休上班日 workdays 只列周末：2027-10-08 是周一至周五"):
        calendars.parse_document(json.dumps(weekday).encode())
    stray = {"year": 2027, "holidays": ["2026-10-01"]}
    with pytest.raises(InvalidInput, match="2027 年的工作日历列有别的年份的日期 2026-10-01"):
        calendars.parse_document(json.dumps(stray).encode())


def test_a_case_shows_its_times_in_beijing_time():
    """Late evening in UTC is the next morning in China: the day shown is Beijing's."""
    evening = datetime(2025, 11, 5, 20, 30, tzinfo=UTC)  # 2025-11-06 04:30 in Beijing
    case = case_pb2.Case(id="430981006001-X", item_name="低保", item_code="MZ-0001", state=case_pb2.SUBMITTED)
    case.submitted_at.CopyFrom(to_timestamp(evening))
    supplied = case.missing_materials.add(name="户口簿", promised_on="2025-11-07")
    supplied.supplied_at.CopyFrom(to_timestamp(evening))
    done = case_pb2.PostCheck(due_on="2025-12-01", done_at=evening.isoformat(), passed=True)
    case.post_check.CopyFrom(done)
    with console.capture() as captured:
        print_case(case)
    shown = captured.get()
    assert "提交 2025-11-06 04:30" in shown
    assert "容缺 户口簿：承诺 2025-11-07 前补齐，2025-11-06 04:30 已补齐" in shown
    assert "核查期限 2025-12-01：2025-11-06 04:30 核查属实" in shown and "2025-11-05" not in shown


def test_a_case_list_in_a_narrow_terminal_keeps_whole_case_ids_and_folds_the_chinese():
    """Rich cuts a run of Chinese (no spaces to wrap at) to "…": at 100 columns every case id read
    "430981006…" and every place "韩家汊社 …", so nobody could tell the cases apart or copy an id."""
    case = case_pb2.Case(
        id="430981006001-01M95PEKR1NM4K2V2XB49ME2N1", item_name="户口迁入（跨省迁移）",
        state=case_pb2.DELIVERED, origin=VILLAGE, handler=COUNTY, due_on="2026-12-20",
    )  # fmt: skip
    case.applicant.name = "黄伟"
    case.submitted_at.CopyFrom(to_timestamp(datetime(2026, 12, 6, 12, 49, tzinfo=UTC)))
    case.supervision = "yellow"
    names = {VILLAGE: "韩家汊社区代办点", COUNTY: "沅江市政务服务中心"}

    def columns_at(width: int) -> list[list[str]]:
        """Each column's lines, without the padding."""
        terminal = Console(width=width, record=True)
        terminal.print(cases_table([case], names, width=width))
        shown = terminal.export_text()
        assert "…" not in shown
        cells = [line.split("│")[1:-1] for line in shown.splitlines() if line.startswith("│")]
        return [[row[index].strip() for row in cells if row[index].strip()] for index in range(len(cells[0]))]

    wide = columns_at(120)
    assert wide[0] == [case.id] and "".join(wide[1]) == "户口迁入（跨省迁移）"
    assert "".join(wide[6]) == f"韩家汊社区代办点（{VILLAGE}）"
    # at 80 the item goes under the id, and the places and the time of submission give way (`case
    # show` has them): nine columns beside a whole case id folded the item one character a line
    assert columns_at(80) == [[case.id, "户口迁入（跨省迁移）"], ["黄伟"], ["送达"], ["2026-12-20 黄牌"]]
    # 待受理: no 办结期限 runs yet, and `case queue 待受理` showed nothing in the column; 受理's own limit now
    case.state, case.due_on, case.accept_by, case.supervision = case_pb2.SUBMITTED, "", "2026-12-11", ""
    assert "".join(columns_at(120)[4]) == "受理期限2026-12-11"  # folded at the space


def test_supervision_cards_in_a_narrow_terminal_put_their_words_under_the_case_id():
    """Nine columns beside a whole case id at 80: the office, the person and the words folded a
    character a line."""
    card = case_pb2.SupervisionCard(
        case_id="430981006001-01M95PEKR1NM4K2V2XB49ME2N1", handler=COUNTY, colour="red", reason="overdue",
        detail="超过承诺时限 2026-12-01 未办结", deadline="2026-12-01", department="民政局", person="窗口1",
    )  # fmt: skip
    card.raised_at.CopyFrom(to_timestamp(datetime(2026, 12, 2, 1, 0, tzinfo=UTC)))

    def rows_at(width: int) -> list[list[str]]:
        terminal = Console(width=width, record=True)
        terminal.print(cards_table([card], {COUNTY: "沅江市政务服务中心"}, width=width))
        lines = [line for line in terminal.export_text().splitlines() if line.startswith("│")]
        return [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]

    assert rows_at(80) == [
        [card.case_id, "民政局 窗口1", "2026-12-01 红牌"],
        ["超过承诺时限 2026-12-01 未办结", "", ""],
    ]
    [wide] = rows_at(200)
    assert wide[:3] == ["红牌", card.case_id, f"沅江市政务服务中心（{COUNTY}）"]
    assert wide[6] == "2026-12-02 09:00"  # raised, in Beijing time


def test_return_visits_in_a_narrow_terminal_keep_the_number_to_call_on_one_line():
    """Seven columns beside a case id at 80 folded the applicant's phone over two lines."""
    visit = desk_pb2.ReturnVisit(
        case_id="430981006001-01M96716DSD03FBW2FZYKJ1Y2P", item_name="最低生活保障对象认定",
        applicant_name="张秀英", applicant_phone="13807371234", outcome=case_pb2.APPROVED,
        visit_outcome="不满意", visitor="代办员1", note="等了很久",
    )  # fmt: skip

    def rows_at(width: int) -> list[list[str]]:
        terminal = Console(width=width, record=True)
        terminal.print(visits_table([visit], width=width))
        lines = [line for line in terminal.export_text().splitlines() if line.startswith("│")]
        return [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]

    assert rows_at(80) == [
        [visit.case_id, "张秀英", "准予", "不满意"],
        ["最低生活保障对象认定", "13807371234", "", "代办员1"],
        ["", "", "", "等了很久"],
    ]
    [wide] = rows_at(160)
    assert wide[2:] == ["张秀英", "13807371234", "准予", "不满意", "代办员1", "等了很久"]


def test_rectification_tasks_in_a_narrow_terminal_read_the_rating_whom_and_when():
    """Six columns beside a case id at 80 folded the comment, the person and both dates."""
    task = desk_pb2.RectificationView(
        case_id="430981006001-01M96716DSD03FBW2FZYKJ1Y2P", item_name="最低生活保障对象认定", score=2,
        comment="排队太久", department="民政局", person="窗口1", deadline="2026-12-20",
        done_at="2026-12-10T01:00:00+00:00",
    )  # fmt: skip
    terminal = Console(width=80, record=True)
    terminal.print(rectifications_table([task], width=80))
    lines = [line for line in terminal.export_text().splitlines() if line.startswith("│")]
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]
    assert [row[0] for row in cells if row[0]] == [task.case_id, "最低生活保障对象认定"]
    columns = ["".join("".join(row[index].split()) for row in cells) for index in (1, 2)]
    assert columns == ["2分：排队太久", "民政局窗口1"]
    assert [row[3] for row in cells if row[3]][:2] == ["2026-12-20", "2026-12-10"]  # each date whole
    assert "".join(row[3] for row in cells).endswith("09:00 完成")


def test_rating_appeals_read_in_chinese_and_in_a_narrow_terminal_keep_their_dates_whole():
    """申诉复核 said "voided: …" and "pending"; beside a case id at 80 the dates folded."""
    filed = desk_pb2.AppealView(
        case_id="430981006001-01M96716DSD03FBW2FZYKJ1Y2P", handler=TOWNSHIP, score=2, comment="超期",
        reason="超期因申请人补正", filed_at="2026-12-10T01:00:00+00:00",
    )  # fmt: skip
    decided = desk_pb2.AppealView()
    decided.CopyFrom(filed)
    decided.decision, decided.decision_note = "voided", "补正期间不计时"
    decided.decided_at = "2026-12-11T02:30:00+00:00"
    names = {TOWNSHIP: "琼湖街道便民服务中心"}
    terminal = Console(width=80, record=True)
    terminal.print(appeals_table([filed, decided], names, width=80))
    lines = [line for line in terminal.export_text().splitlines() if line.startswith("│")]
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]
    assert "".join(row[0] for row in cells).count("琼湖街道便民服务中心") == 2
    assert [row[2] for row in cells if row[2].startswith("20")] == ["2026-12-10", "2026-12-10"]  # whole
    decisions = "".join("".join(row[3].split()) for row in cells)
    assert decisions == "待复核撤销评价，不再计入统计：补正期间不计时2026-12-1110:30"
    assert "".join("".join(row[1].split()) for row in cells) == "2分：超期" * 2
    wide = Console(width=200, record=True)
    wide.print(appeals_table([decided], names, width=200))
    assert "2026-12-10 09:00" in wide.export_text() and "voided" not in wide.export_text()


def test_the_parts_of_a_bundle_in_a_narrow_terminal_read_item_place_and_status():
    """Seven columns beside a case id at 80 folded every part's item, department and place a
    character a line; the parts a part waits for were item codes."""
    bundle = case_pb2.Bundle(
        id="430981006001-B01M96E8A0ZFC1G5735M814JJNH", name="新生儿出生一件事", code="YJS-0001",
        origin=VILLAGE, parts=[
            case_pb2.BundlePart(item_code="GA-0003", item_name="出生登记（户口登记）", department="公安局",
                                handler=COUNTY, case_id="430981006001-01M96E8A18EF5M1XME6QJ6MBAY",
                                status="CONCLUDED", outcome=case_pb2.APPROVED),
            case_pb2.BundlePart(item_code="RS-0001", item_name="社会保障卡申领", handler=COUNTY,
                                department="人力资源和社会保障局", status="WAITING", after=["GA-0003"]),
        ],
    )  # fmt: skip
    names = {COUNTY: "沅江市政务服务中心"}
    terminal = Console(width=80, record=True)
    terminal.print(bundle_table(bundle, names, width=80))
    lines = [line for line in terminal.export_text().splitlines() if line.startswith("│")]
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]
    keys = [row[0] for row in cells if row[0]]
    assert keys[:2] == [bundle.parts[0].case_id, "出生登记（户口登记） (GA-0003)"]
    assert keys[2:] == ["—", "社会保障卡申领 (RS-0001)"]  # not started: no case yet
    places = "".join("".join(row[1].split()) for row in cells)  # words, not a character a line
    county = "沅江市政务服务中心（430981000000）"
    assert places == f"{county}公安局{county}人力资源和社会保障局" and len(lines) <= 8
    statuses = "".join("".join(row[2].split()) for row in cells)
    assert statuses == "办结·准予等待前序事项须先办结：出生登记（户口登记）"
    wide = Console(width=200, record=True)
    wide.print(bundle_table(bundle, names, width=200))
    shown = wide.export_text()
    assert "前置事项" in shown and f"{county} │ 等待前序事项 │ 出生登记（户口登记）" in shown


def test_a_started_bundle_part_no_longer_says_what_it_waits_for():
    """社会保障卡申领 kept 须先办结：出生登记 under 申请 once 出生登记 was approved and it had started;
    the bundle page says only its state, and so does `wuji bundle show` now."""
    card = case_pb2.BundlePart(
        item_code="RS-0001", item_name="社会保障卡申领", department="人力资源和社会保障局", handler=COUNTY,
        case_id="430981006001-01M99192HHHJ7Q87M08RJ5073E", status="SUBMITTED", after=["GA-0003"],
    )  # fmt: skip
    birth = case_pb2.BundlePart(
        item_code="GA-0003", item_name="出生登记（户口登记）", department="公安局", handler=COUNTY,
        case_id="430981006001-01M96E8A18EF5M1XME6QJ6MBAY", status="CONCLUDED", outcome=case_pb2.APPROVED,
    )  # fmt: skip
    bundle = case_pb2.Bundle(id=f"{VILLAGE}-B01M96E8A0ZFC1G5735M814JJNH", origin=VILLAGE, parts=[birth, card])
    for width in (80, 200):
        terminal = Console(width=width, record=True)
        terminal.print(bundle_table(bundle, {}, width=width))
        shown = "".join(terminal.export_text().split())
        assert "须先办结" not in shown and shown.count("出生登记") == 1, shown  # its own row only
        assert "申请" in shown


def test_the_events_of_a_case_in_a_narrow_terminal_keep_the_route_under_the_event():
    """A fifth column of division codes at 80 left the notes and the people a few characters a line."""
    at = to_timestamp(datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    events = [
        case_pb2.CaseEvent(version=1, at=at, to_state=case_pb2.SUBMITTED, actor_node=VILLAGE, note="申请"),
        case_pb2.CaseEvent(
            version=2, at=at, action=case_pb2.ACCEPT, to_state=case_pb2.ACCEPTED, actor_node=COUNTY,
            actor_department="民政局", actor_person="窗口1 (clerk1)", note="材料齐全，予以受理",
            route=[COUNTY, TOWNSHIP, VILLAGE],
        ),
        case_pb2.CaseEvent(version=3, at=at, action=case_pb2.REVIEW, to_state=case_pb2.UNDER_REVIEW,
                           actor_node=COUNTY, note="经审核，符合条件", route=[COUNTY, TOWNSHIP, VILLAGE]),
    ]  # fmt: skip
    names = {COUNTY: "沅江市政务服务中心", VILLAGE: "韩家汊社区代办点"}
    terminal = Console(width=80, record=True)
    terminal.print(events_table(events, names, width=80))
    shown = terminal.export_text()
    lines = [line for line in shown.splitlines() if line.startswith("│")]
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]
    assert "路径" not in shown and all(len(row) == 4 for row in cells)
    said = "".join("".join(row[2].split()) for row in cells)
    route = f"经{COUNTY}→{TOWNSHIP}→{VILLAGE}"
    assert said.endswith(f"受理—材料齐全，予以受理{route}审核—经审核，符合条件"), said  # said once
    people = "".join("".join(row[3].split()) for row in cells)
    assert "沅江市政务服务中心（430981000000）民政局窗口1(clerk1)" in people
    wide = Console(width=200, record=True)
    wide.print(events_table(events, names, width=200))
    assert "路径" in wide.export_text()


def test_post_checks_in_a_narrow_terminal_keep_their_dates_whole():
    """Four columns beside a case id at 80 folded the limit and the time of the check."""
    check = case_pb2.PostCheck(
        case_id="430981006001-01M96716DSD03FBW2FZYKJ1Y2P", item_name="生育保险待遇核定", replaces=["结婚证"],
        due_on="2026-12-20", done_at="2026-12-10T01:00:00+00:00", passed=True, finding="婚姻登记系统核验一致",
    )  # fmt: skip
    terminal = Console(width=80, record=True)
    terminal.print(checks_table([check], width=80))
    lines = [line for line in terminal.export_text().splitlines() if line.startswith("│")]
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]
    assert [row[2] for row in cells if row[2]][:2] == ["2026-12-20", "2026-12-10"]  # each date whole
    assert "".join("".join(row[3].split()) for row in cells) == "属实：婚姻登记系统核验一致"
    assert [row[0] for row in cells if row[0]] == [check.case_id, "生育保险待遇核定"]


def test_the_catalogue_in_a_narrow_terminal_keeps_whole_item_codes_and_says_the_tier_in_chinese():
    """At 80 columns the item code column folded "GJ-0001-01-01" over lines, and the tier read "city"."""
    items = [
        desk_pb2.ServiceItem(
            code="GJ-0001",
            name="住房公积金提取",
            level="主项",
            handling_tier="city",
            department="住房公积金管理中心",
            materials=[
                desk_pb2.RequiredMaterial(name="居民身份证", required=True),
                desk_pb2.RequiredMaterial(name="本人银行结算账户", required=True, deferrable=True),
            ],
        ),
        desk_pb2.ServiceItem(
            code="GJ-0001-01-01", name="购房提取住房公积金", level="业务办理项", handling_tier="county"
        ),
    ]

    def rows_at(width: int) -> list[list[str]]:
        terminal = Console(width=width, record=True)
        terminal.print(items_table(items, width=width))
        shown = terminal.export_text()
        assert "…" not in shown and "事项编码" in shown  # nor is the header of a column of codes folded
        return [line.split("│")[1:-1] for line in shown.splitlines() if line.startswith("│")]

    rows = rows_at(160)
    assert [row[0].strip() for row in rows if row[0].strip()] == ["GJ-0001", "GJ-0001-01-01"]
    assert "".join(row[4] for row in rows).split() == ["市级", "县级"]
    # the materials are counted (their names in `catalog show`): listed, they folded each row
    assert "".join("".join(row[8].split()) for row in rows) == "2项（容缺1）0项"
    # at 80 the name goes under the code, and type and visits give way: nine columns folded each
    # name a character a line
    rows = rows_at(80)
    assert "".join(row[0].strip() for row in rows) == "GJ-0001住房公积金提取GJ-0001-01-01购房提取住房公积金"
    assert rows[0][0].strip() == "GJ-0001" and "GJ-0001-01-01" in [row[0].strip() for row in rows]
    assert "".join(row[2] for row in rows).split() == ["市级", "县级"]
    assert "".join("".join(row[5].split()) for row in rows) == "2项（容缺1）0项"


def test_the_guide_of_an_item_names_each_element_in_chinese_and_says_its_value_in_words():
    """`wuji catalog show` printed the catalogue's keys and JSON: materials as
    [{"deferrable": false, …}], a bundle as {"parts": …}, the tier as "county"."""
    assert set(ELEMENT_NAMES) == set(ELEMENTS)  # a new element needs its name in a 办事指南
    demo = Path(__file__).resolve().parent.parent / "node" / "catalogue" / "data" / "demo_catalog.json"
    items = {item["code"]: item for item in json.loads(demo.read_text(encoding="utf-8"))["items"]}
    guides = {code: dict(guide_rows(item)) for code, item in items.items()}
    for code, guide in guides.items():
        assert list(guide)[:2] == ["事项编码 code", "基本编码 basic_code"], code
        assert not any(mark in text for text in guide.values() for mark in '{["'), code  # no JSON left
    promise = guides["YB-0002"]
    assert promise["办理层级 handling_tier"] == "市级" and promise["法定时限 statutory_days"] == "20 个工作日"
    assert "3、结婚证（复印件，必要，可用电子证照免提交）" in promise["申请材料 materials"].splitlines()
    assert promise["告知承诺制 notify_promise"] == "承诺可代替 结婚证；办结后 20 个工作日内核查"
    assert promise["收费 fees"] == "不收费" and promise["跨省通办 cross_province"] == "否"
    assert guides["GA-0002"]["收费 fees"].startswith("护照工本费 120.00 元（依据 《国家发展改革委")
    assert guides["CL-0001"]["电子证照 licence"].endswith("有效期 10 年）")
    assert (
        guides["YJS-0001"]["一件事 bundle"] == "WJ-0002、GA-0003、RS-0001、YB-0002（RS-0001 在 GA-0003 之后）"
    )
    assert guides["KS-0101"]["跨省通办协作 partner_modes"] == "440000000000：两地联办"
    assert guides["MZ-0004"]["办件类型 instant"] == "即办件"


def test_the_statistics_by_department_keep_their_names_readable_in_a_narrow_terminal():
    """Its count column was headed "办件", the header of case-id columns, and took 39 of 80
    columns: the departments folded one character per line."""
    counts = {"cases": 12, "concluded": 9, "bad_ratings": 1, "cards:yellow": 2, "cards:red": 3}
    figures = desk_pb2.Figures(counts=counts)
    rows = [desk_pb2.Breakdown(key="人力资源和社会保障局", figures=figures)]
    narrow = Console(width=80, record=True)
    narrow.print(breakdown_table("部门 department (own cases)", rows))
    shown = narrow.export_text()
    cells = [line.split("│")[1:-1] for line in shown.splitlines() if line.startswith("│")]
    assert "".join(row[0].strip() for row in cells) == "人力资源和社会保障局"
    assert len(cells) <= 2, shown  # folded over two lines at the most
    assert [cells[0][1].strip(), cells[0][2].strip()] == ["12", "9"]
    assert cells[0][-1].strip() == "2/3"  # 黄牌/红牌: which department was late
    children = [desk_pb2.Breakdown(key=TOWNSHIP, figures=figures)]
    wide = Console(width=160, record=True)
    wide.print(breakdown_table("下级 child node (its subtree)", children, {TOWNSHIP: "琼湖街道便民服务中心"}))
    assert f"琼湖街道便民服务中心（{TOWNSHIP}）" in wide.export_text()  # named, as the web's page names it


def test_numbers_out_of_range_are_refused_before_anything_is_asked(tmp_path):
    """A negative count went into an unsigned protobuf field and came back as a Python traceback."""
    config = str(tmp_path / "node.toml")  # no node: the option is refused first
    for command in (
        ("case", "list", "--limit", "-5"),
        ("case", "queue", "待受理", "--limit", "500"),
        ("case", "search", "张三", "--limit", "0"),
        ("seal", "create", "--holder", "沅江市民政局", "--department", "民政局", "--days", "-5"),
        ("node", "invite", "430981006002", "--hours", "-1"),
    ):
        refused = wuji(*command, "--config", config)
        assert refused.returncode == 2 and "Invalid value for" in refused.stderr, (command, refused.stderr)
        assert "Traceback" not in refused.stdout + refused.stderr


def test_a_post_check_needs_its_verdict_given(tmp_path):
    """`case check` recorded 属实 unless --failed was typed: the verdict is now asked for either way."""
    config = str(tmp_path / "node.toml")  # refused before a node is asked
    unsaid = wuji("case", "check", "430981006001", "--finding", "核验一致", "--config", config)
    assert unsaid.returncode == 2 and "Missing option '--held'" in unsaid.stderr, unsaid.stderr
    said = wuji("case", "check", "430981006001", "--finding", "核验一致", "--failed", "--config", config)
    assert said.returncode == 2 and "no node config" in said.stderr  # the verdict was taken


def test_staff_add_refuses_a_role_before_asking_for_the_password(tmp_path):
    config = str(tmp_path / "node.toml")  # nothing is asked of a node: the role is wrong already
    unknown = wuji("staff", "add", "li.na", "--name", "李娜", "--role", "厨师", "--config", config, input="")
    assert unknown.returncode == 2 and "新密码" not in unknown.stdout + unknown.stderr
    assert "没有岗位 厨师，可选：代办员 (agent)" in unknown.stderr
    no_department = wuji("staff", "add", "li.na", "--name", "李娜", "--role", "审核", "--config", config)
    assert no_department.returncode == 2 and "审核/审批须属于一个部门" in no_department.stderr


def test_a_case_submitted_while_the_link_up_is_down_is_said_to_wait_here(federation, tmp_path):
    """The CLI's counterpart of the front desk's header line: the agent hears the case is kept."""
    federation.start_chain()
    specs = material_specs(tmp_path)
    village = str(federation.config_path(VILLAGE))
    applicant = ["--name", "张三", "--id-number", "430981199001011237"]
    wait_for(lambda: all(link.connected for link in federation.nodes[VILLAGE].links.all()), what="link up")
    linked = wuji("case", "submit", "MZ-0001", *applicant, *specs, "--config", village)
    assert linked.returncode == 0 and "连接已中断" not in linked.stdout
    federation.stop(TOWNSHIP)
    held = wuji("case", "submit", "MZ-0001", *applicant, *specs, "--config", village)
    assert held.returncode == 0, held.stderr
    said = " ".join(held.stdout.split())
    assert f"与上级 {TOWNSHIP} 的连接已中断：" in said and "条数据保存在本点，连接恢复后自动报送" in said


def test_seal_verify_of_a_file_that_is_not_there_says_so_in_words(tmp_path):
    """An auditor mistyping a sealed result's name got `error: [Errno 2] No such file or directory:
    '…'`; now the file is named and the reason said in Chinese first, and the exit is a usage error."""
    roots = tmp_path / "roots.pem"
    roots.write_text("")
    missing = tmp_path / "430981006001-X.sealed"
    checked = wuji("seal", "verify", str(missing), "--trust", str(roots))
    said = " ".join(checked.stderr.split())
    assert checked.returncode == 2, checked
    assert f"读不到文件 {missing}：没有这个文件 (No such file or directory)" in said, said
    assert "Errno" not in said
    missing.write_bytes(b"{}")
    trust = wuji("seal", "verify", str(missing), "--trust", str(tmp_path / "nowhere.pem"))
    said = " ".join(trust.stderr.split())
    assert "读不到文件" in said and "nowhere.pem" in said and "Errno" not in said, said


def test_a_correction_at_the_command_line_names_the_materials_to_bring(federation, tmp_path):
    """`wuji case request-correction` took only --note: now --material NAME (repeatable) names the
    item's materials to correct, a name the item lacks is refused naming those it has, and the
    case's history shows the names at the handler and at the village."""
    federation.start_chain()
    village, county = str(federation.config_path(VILLAGE)), str(federation.config_path(COUNTY))
    submitted = wuji("case", "submit", "MZ-0001", "--name", "张三", "--id-number", "430981199001011237",
                     *material_specs(tmp_path), "--config", village)  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    case_id = submitted.stdout.split()[0]
    wait_for(lambda: wuji("case", "show", case_id, "--config", county).returncode == 0, what="case at county")
    first, second = required_names("MZ-0001")[:2]
    unknown = wuji("case", "request-correction", case_id, "--material", "结婚证", "--config", county)
    assert unknown.returncode == 1 and "没有材料 结婚证" in unknown.stderr and first in unknown.stderr
    asked = wuji("case", "request-correction", case_id, "--material", second, "--material", first,
                 "--note", "须为原件扫描", "--config", county)  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert f"补正告知（需补正：{second}、{first}） — 须为原件扫描" in asked.stdout, asked.stdout
    wait_for(
        lambda: f"（需补正：{second}、{first}）" in wuji("case", "show", case_id, "--config", village).stdout,
        what="the materials to correct at the village",
    )
