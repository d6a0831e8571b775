"""The web front desk: plain HTTP against the running nodes' desks, then a real browser (Debian's
chromium driven by Selenium) through a case from a village point to the county and back.

One federation serves the whole module (starting five nodes is the slow part). Screenshots and the
printed receipt go to $WUJI_ARTEFACTS (default tests/artefacts/web/).
"""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import csv
import functools
import hashlib
import html
import io
import json
import os
import re
import shutil
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import grpc
import httpx
import pytest
from sqlalchemy import event, select, update

from node import workdays
from node.cases.service import MAX_NAME_LENGTH
from node.cases.states import Action
from node.catalogue.items import ELEMENT_NAMES
from node.clock import ManualClock, china_morning
from node.documents.kinds import china_day
from node.errors import INTERNAL_ERROR, NotFound
from node.runtime.cluster import free_port
from node.staff.accounts import MAX_FAILURES
from node.staff.roles import Actor, Role
from node.store.engine import sqlite_file
from node.store.models import SealRecord, StatsRollup
from node.timeutil import CHINA_ZONE, as_utc, shanghai
from node.trust.sealing import SealService
from node.web import desk as desk_pages
from node.web import machine, uplink
from node.web.verify import holder_words
from signing.seals import SealedDocument
from tests.conftest import node_databases
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
from tests.materials import BATCH, EXECUTABLE, complete_proto, photo, zipped
from tests.test_cli import wuji
from tests.test_documents import assert_qr, text_of
from tests.test_pki_federation import conclude_at
from wuji.v1 import case_pb2, desk_pb2

ITEM = "RS-0001"  # 社会保障卡申领: a county item (人力资源和社会保障局), two required materials, 即办件
DEPARTMENT = "人力资源和社会保障局"
PHOTO = "近期免冠彩色照片（可现场采集）"  # ITEM's second material
COUNTY_NAME = "沅江市政务服务中心"  # the county's certificates name it so; the other nodes are unnamed
PASSWORD = "desk-password-1"
HTMX_SHA256 = "e209dda5c8235479f3166defc7750e1dbcd5a5c1808b7792fc2e6733768fb447"
ARTEFACTS = Path(os.environ.get("WUJI_ARTEFACTS") or Path(__file__).parent / "artefacts") / "web"


@pytest.fixture(scope="module")
def desks(request, tmp_path_factory):
    """The 湖南 chain; the village and the county serve their front desks, with staff accounts.

    The nodes run on a manual clock on a Monday morning, so time limits stay inside the years the
    working-day calendar covers whatever the day the test runs."""
    databases = contextlib.ExitStack()
    federation = FederationHarness(
        tmp_path_factory.mktemp("web"),
        ManualClock(china_morning(2025, 11, 3)),
        database_for=node_databases(request, databases),
    )
    try:
        for code in CHAIN:
            federation.start(
                code,
                web_listen="127.0.0.1:0" if code in (VILLAGE, TOWNSHIP, COUNTY, CITY) else "off",
                name=COUNTY_NAME if code == COUNTY else "",
            )
        nodes = [federation.nodes[code] for code in CHAIN]
        wait_for(
            lambda: all(n.describe().catalog_version > 0 for n in nodes), what="the catalogue everywhere"
        )
        village, county = federation.nodes[VILLAGE], federation.nodes[COUNTY]
        village.staff.add("agent1", "李代办", "代办员", "", PASSWORD, by=OPERATOR)
        township = federation.nodes[TOWNSHIP]  # its own items, and the villages' cases it relays
        township.staff.add("tclerk", "赵乡镇", "窗口受理", "民政局", PASSWORD, by=OPERATOR)
        county.staff.add("clerk1", "张受理", "窗口受理", DEPARTMENT, PASSWORD, by=OPERATOR)
        county.staff.add("review1", "王审批", "审核/审批", DEPARTMENT, PASSWORD, by=OPERATOR)
        county.staff.add("other1", "赵民政", "窗口受理", "民政局", PASSWORD, by=OPERATOR)
        county.staff.add("mz-review", "郑民政", "审核/审批", "民政局", PASSWORD, by=OPERATOR)
        county.staff.add("boss", "刘监察", "监察", "", PASSWORD, by=OPERATOR)
        county.staff.add("locked1", "钱锁定", "窗口受理", DEPARTMENT, PASSWORD, by=OPERATOR)
        county.staff.add("clerk6", "周受理", "窗口受理", DEPARTMENT, PASSWORD, by=OPERATOR)
        city = federation.nodes[CITY]  # 生育保险待遇核定 (医疗保障局) takes a promise for the 结婚证
        city.staff.add("yb-clerk", "孙医保", "窗口受理", "医疗保障局", PASSWORD, by=OPERATOR)
        city.staff.add("yb-review", "周医保", "审核/审批", "医疗保障局", PASSWORD, by=OPERATOR)
        city.staff.add("gjj-review", "吴公积金", "审核/审批", "住房公积金管理中心", PASSWORD, by=OPERATOR)
        city.staff.add("city-boss", "冯监察", "监察", "", PASSWORD, by=OPERATOR)
        yield federation
    finally:
        federation.stop_all()
        databases.close()


def url(federation, code: str) -> str:
    web = federation.nodes[code].web
    assert web is not None, f"node {code} serves no front desk"
    return web.url.rstrip("/")


# an application form's file field with its material's name: (name, index)
FILE_FIELD = (
    r'<td>([^<]+?)(?: <span class="required">\*</span>)?</td>\s*<td><input type="file" '
    + r'name="file_(\d+)"'
)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def logged_in(federation, code: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url(federation, code), follow_redirects=True, timeout=30)
    token = csrf_of(client.get("/login").text)
    reply = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token})
    assert reply.status_code == 200 and "退出" in reply.text, reply.text
    return client


def submit_case(federation, agent: httpx.Client) -> str:
    case_id = apply(agent)
    county = federation.nodes[COUNTY]
    wait_for(lambda: _has_case(county, case_id), what="the case to reach the county")
    return case_id


SCANS = {
    "file_0": ("身份证.pdf", b"%PDF-1.4 id card", "application/pdf"),
    "file_1": ("照片.jpg", b"\xff\xd8\xff photo", "image/jpeg"),
}


def send_application(agent: httpx.Client, form: str, **files: tuple[str, bytes, str]) -> httpx.Response:
    """The ITEM application form as the agent fills it in: 王秀兰 with the two scans (or `files`
    in their place), sent with the form's CSRF token and submission key — and 确认再次申请 ticked,
    as 王秀兰 applies for ITEM again and again in these tests."""
    key = re.search(r'name="submission" value="([0-9a-f]{32})"', form)
    fields = {
        "csrf": csrf_of(form),
        "applicant_name": "王秀兰",
        "id_number": "430981196805120021",
        "again": "1",
    }
    if key:
        fields["submission"] = key.group(1)
    return agent.post(f"/items/{ITEM}/apply", data=fields, files={**SCANS, **files})


def send_application_as(agent: httpx.Client, form: str, applicant: dict[str, str]) -> httpx.Response:
    """A refused form sent again as it came back: its key and kept files, no file chosen again (and
    确认再次申请 ticked, as send_application does)."""
    fields = {"csrf": csrf_of(form), "again": "1", **applicant}
    for name in ("submission", "held"):
        found = re.search(rf'name="{name}" value="([^"]+)"', form)
        if found:
            fields[name] = found.group(1)
    return agent.post(f"/items/{ITEM}/apply", data=fields)


def apply(agent: httpx.Client) -> str:
    """The id of a case the agent applies for on the form (not waiting for it to go up)."""
    reply = send_application(agent, agent.get(f"/items/{ITEM}/apply").text)
    case_id = receipt_case_id(reply)
    assert f"{COUNTY_NAME} {DEPARTMENT}（{COUNTY}）" in reply.text  # the handler named, from its certificate
    return case_id


def receipt_case_id(reply: httpx.Response) -> str:
    """The case id on a 收件回执 page the application was answered with."""
    assert reply.status_code == 200 and "收件回执" in reply.text, reply.text
    found = re.search(r'id="case-id">([^<]+)<', reply.text)
    assert found, "the receipt names no case"
    return found.group(1)


def concluded_case(federation, agent: httpx.Client) -> str:
    """A case submitted at the village, 受理 and 办结 at the county's pages (a 即办件), and 办结 seen
    at the village."""
    case_id = submit_case(federation, agent)
    clerk, reviewer = logged_in(federation, COUNTY, "clerk1"), logged_in(federation, COUNTY, "review1")
    for person, action in ((clerk, "ACCEPT"), (reviewer, "APPROVE")):  # a 即办件: 办结 from 受理
        token = csrf_of(person.get(f"/cases/{case_id}").text)
        assert person.post(f"/cases/{case_id}/act", data={"csrf": token, "action": action}).status_code == 200
    village = federation.nodes[VILLAGE]
    wait_for(lambda: village.cases.get(case_id).state == case_pb2.CONCLUDED, what="办结 at the village")
    return case_id


def _has_case(node, case_id: str) -> bool:
    return any(c.id == case_id for c in node.cases.list_cases(role="handler"))


def test_the_vendored_htmx_is_the_published_file():
    data = (Path(__file__).parent.parent / "node" / "web" / "static" / "htmx-2.0.4.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == HTMX_SHA256


def test_a_wrong_password_is_refused_and_repeated_failures_lock_the_account(desks):
    client = httpx.Client(base_url=url(desks, COUNTY), timeout=30)
    token = csrf_of(client.get("/login").text)
    refused = client.post("/login", data={"username": "clerk1", "password": "wrong-password", "csrf": token})
    assert refused.status_code == 401 and "用户名或密码错误" in refused.text
    assert client.get("/queues").status_code == 303  # still not logged in: back to the login page
    for _ in range(MAX_FAILURES):
        client.post("/login", data={"username": "locked1", "password": "wrong-password", "csrf": token})
    locked = client.post("/login", data={"username": "locked1", "password": PASSWORD, "csrf": token})
    assert locked.status_code == 401 and "锁定" in locked.text
    # a clerk who forgot the password learns where to turn, before and after the lock
    assert "请找本节点的管理员设置新密码" in client.get("/login").text
    assert "请于 15 分钟后再试；忘记密码请找本节点的管理员设置新密码" in locked.text


def test_the_login_page_does_not_tell_which_usernames_exist(desks):
    """An account (clerk6 here) and a name that is none answer every wrong password alike, the
    lock-out too: nobody lists the staff by trying names."""
    client = httpx.Client(base_url=url(desks, COUNTY), timeout=30)
    token = csrf_of(client.get("/login").text)

    def said(username: str) -> list[tuple[int, str]]:
        replies = []
        for _ in range(MAX_FAILURES + 1):
            typed = {"username": username, "password": "wrong-pass", "csrf": token}
            reply = client.post("/login", data=typed)
            error = re.search(r'id="login-error">([^<]*)<', reply.text)
            replies.append((reply.status_code, error[1].replace(username, "NAME") if error else ""))
        return replies

    account, nobody = said("clerk6"), said("nobody6")
    assert account == nobody and "已锁定" in account[-1][1]


def test_the_administrator_keeps_the_staff_accounts_in_the_browser(desks):
    """工作人员 at the county hall: add a clerk (refusals keep what was typed), unlock a locked account
    with a new password, disable one (its login ends at once); nobody else may open the page."""
    county = desks.nodes[COUNTY]
    county.staff.add("web-admin", "陈管理", "管理员", "", PASSWORD, by=OPERATOR)
    admin = logged_in(desks, COUNTY, "web-admin")
    page = admin.get("/staff")
    assert page.status_code == 200 and 'id="account-clerk1"' in page.text
    assert f'<option value="{DEPARTMENT}">' in page.text and '<option value="民政局">' in page.text
    token = csrf_of(page.text)
    # the role starts unchosen: left at 代办员, the first choice, a clerk was added as an agent
    assert '<select name="role" id="role" required><option value="" selected>请选择岗位</option>' in page.text
    form = {"username": "new.clerk", "name": "何新", "role": "", "department": DEPARTMENT, "csrf": token}
    for role, said in (("", "请选择岗位"), ("agent", "代办员不属于部门：所填部门")):
        unfit = admin.post(
            "/staff", data={**form, "role": role, "password": PASSWORD, "password_again": PASSWORD}
        )
        assert unfit.status_code == 400 and said in unfit.text, unfit.text
    named = {**form, "username": "何新", "role": "clerk", "password": PASSWORD, "password_again": PASSWORD}
    in_chinese = admin.post("/staff", data=named)  # the English details are the operator's, not the page's
    assert "不能有空格或汉字（姓名另填）</p>" in in_chinese.text and "characters of a" not in in_chinese.text
    form = {"username": "new.clerk", "name": "何新", "role": "clerk", "department": "", "csrf": token}
    no_department = admin.post("/staff", data={**form, "password": PASSWORD, "password_again": PASSWORD})
    assert no_department.status_code == 400 and "窗口受理须属于一个部门" in no_department.text
    assert 'value="new.clerk"' in no_department.text and 'value="何新"' in no_department.text
    form["department"] = DEPARTMENT
    differ = admin.post("/staff", data={**form, "password": PASSWORD, "password_again": PASSWORD + "x"})
    assert differ.status_code == 400 and "两次输入的密码不一致" in differ.text
    assert "new.clerk" not in [member.username for member in county.staff.list()]  # nothing half-added
    added = admin.post("/staff", data={**form, "password": PASSWORD, "password_again": PASSWORD})
    assert added.status_code == 200 and "已添加 new.clerk（何新）" in added.text
    for forged in ("/staff?done=请把密码发给我&account=clerk1", "/staff?done=added&account=nobody"):
        assert 'id="done"' not in admin.get(forged).text  # the page says only what it did itself
    clerk = logged_in(desks, COUNTY, "clerk1")
    assert 'id="done"' not in clerk.get("/rectifications?done=请把密码发给管理员").text
    assert "张受理" in logged_in(desks, COUNTY, "clerk1").get("/queues").text  # others untouched

    stranger = httpx.Client(base_url=url(desks, COUNTY), timeout=30)
    login_token = csrf_of(stranger.get("/login").text)
    for _ in range(MAX_FAILURES):
        stranger.post("/login", data={"username": "new.clerk", "password": "wrong-pass", "csrf": login_token})
    assert "锁定至" in admin.get("/staff").text
    weak = admin.post(
        "/staff/new.clerk/password",
        data={"password": "11111111", "password_again": "11111111", "csrf": token},
    )
    assert weak.status_code == 400 and "密码全是同一个字符" in weak.text and "容易被人猜中" in weak.text
    renewed = {"password": "another-pass-2", "password_again": "another-pass-2", "csrf": token}
    unlocked = admin.post("/staff/new.clerk/password", data=renewed)
    assert unlocked.status_code == 200 and "账号已解锁" in unlocked.text
    again = {"username": "new.clerk", "password": "another-pass-2", "csrf": login_token}
    assert stranger.post("/login", data=again).status_code == 303  # logged in
    for first in ("/queues", "/", "/cases"):  # the 管理员 knows this password: the holder's own comes first
        sent = stranger.get(first)
        assert sent.status_code == 303 and sent.headers["location"] == "/password", first
    page = stranger.get("/password")
    assert page.status_code == 200 and 'id="password-to-change"' in page.text
    mine = {"current": "another-pass-2", "password": "only-mine-2026", "password_again": "only-mine-2026"}
    assert stranger.post("/password", data={**mine, "csrf": csrf_of(page.text)}).status_code == 303
    login_token = csrf_of(stranger.get("/login").text)
    again = {"username": "new.clerk", "password": "only-mine-2026", "csrf": login_token}
    assert stranger.post("/login", data=again).status_code == 303  # logged in, sent on to its queues
    assert stranger.get("/queues").status_code == 200

    disabled = admin.post("/staff/new.clerk/disable", data={"csrf": token})
    assert disabled.status_code == 200 and "已停用 new.clerk" in disabled.text
    assert stranger.get("/queues").status_code == 303  # the login ended with the account
    assert not next(m for m in county.staff.list() if m.username == "new.clerk").active
    itself = admin.post("/staff/web-admin/disable", data={"csrf": token})
    assert itself.status_code == 400 and "不能停用自己" in itself.text
    # nor set their own password without the current one: a browser left logged in kept the account
    own = {"password": "taken-over-1", "password_again": "taken-over-1", "csrf": token}
    taken = admin.post("/staff/web-admin/password", data=own)
    assert taken.status_code == 400 and "不能在此重置自己的密码" in taken.text
    assert 'id="own-password"' in taken.text and 'id="password-web-admin"' not in taken.text
    assert admin.get("/staff").status_code == 200  # the login goes on: nothing was changed
    assert logged_in(desks, COUNTY, "clerk1").get("/staff").status_code == 403


def test_a_clerk_who_leaves_is_named_first_responsible_for_the_cases_left_to_colleagues(desks):
    """停用 of a clerk said only 已停用: the director did not learn that the clerk was the 首问负责人
    of cases still being worked on, which colleagues of the department now take on."""
    county = desks.nodes[COUNTY]
    county.staff.add("leave-admin", "黎管理", "管理员", "", PASSWORD, by=OPERATOR)
    county.staff.add("leaver1", "高离职", "窗口受理", DEPARTMENT, PASSWORD, by=OPERATOR)
    county.staff.add("idle1", "常空闲", "窗口受理", DEPARTMENT, PASSWORD, by=OPERATOR)
    leaver = logged_in(desks, COUNTY, "leaver1")
    case_id = submit_case(desks, logged_in(desks, VILLAGE, "agent1"))
    token = csrf_of(leaver.get(f"/cases/{case_id}").text)
    assert leaver.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "ACCEPT"}).status_code == 200
    admin = logged_in(desks, COUNTY, "leave-admin")
    token = csrf_of(admin.get("/staff").text)
    left = admin.post("/staff/leaver1/disable", data={"csrf": token})
    assert left.status_code == 200 and "已停用 leaver1（高离职），其登录已结束" in left.text
    assert f"高离职是 1 件未办结办件的首问负责人（{DEPARTMENT} 1 件）" in left.text, on_screen(left.text)
    assert "请安排该部门的同事接续办理" in left.text
    idle = admin.post("/staff/idle1/disable", data={"csrf": token})
    assert "已停用 idle1" in idle.text and "首问负责人" not in on_screen(idle.text).split("操作记录")[0]


def test_the_administrator_corrects_a_department_a_role_and_enables_an_account(desks):
    """A department typed wrong (民政 for 民政局) was taken and could never be mended; a disabled
    account stayed 停用 for good. Now the department must handle items here, and both are mended."""
    county = desks.nodes[COUNTY]
    county.staff.add("fix-admin", "韩管理", "管理员", "", PASSWORD, by=OPERATOR)
    admin = logged_in(desks, COUNTY, "fix-admin")
    token = csrf_of(admin.get("/staff").text)
    form = {"username": "clerk.typo", "name": "许错字", "role": "clerk", "department": "民政", "csrf": token}
    typo = admin.post("/staff", data={**form, "password": PASSWORD, "password_again": PASSWORD})
    assert typo.status_code == 400 and "没有部门 民政；本节点办理事项的部门有：" in typo.text
    assert f"{DEPARTMENT}" in html.unescape(typo.text.split("没有部门 民政", 1)[1].split("</p>", 1)[0])
    assert "clerk.typo" not in [member.username for member in county.staff.list()]

    county.staff.add("mover", "曹调岗", "窗口受理", DEPARTMENT, PASSWORD, by=OPERATOR)
    mover = logged_in(desks, COUNTY, "mover")
    assert 'id="change-mover"' in admin.get("/staff").text
    refused = admin.post(
        "/staff/mover/change", data={"role": "reviewer", "department": "民证局", "csrf": token}
    )
    assert refused.status_code == 400 and "没有部门 民证局" in refused.text
    assert mover.get("/queues", follow_redirects=False).status_code == 200  # a refused change ends nothing
    moved = admin.post(
        "/staff/mover/change", data={"role": "reviewer", "department": "民政局", "csrf": token}
    )
    assert moved.status_code == 200 and "mover（曹调岗）现为 审核/审批 民政局" in moved.text
    assert mover.get("/queues", follow_redirects=False).status_code == 303  # its login ended with the change
    assert next(m for m in county.staff.list() if m.username == "mover").department == "民政局"
    itself = admin.post(
        "/staff/fix-admin/change", data={"role": "clerk", "department": "民政局", "csrf": token}
    )
    assert itself.status_code == 400 and "不能更改自己的岗位" in itself.text

    assert admin.post("/staff/mover/disable", data={"csrf": token}).status_code == 200
    assert 'id="enable-mover"' in admin.get("/staff").text
    enabled = admin.post("/staff/mover/enable", data={"csrf": token})
    assert enabled.status_code == 200 and "已启用 mover（曹调岗）" in enabled.text
    assert logged_in(desks, COUNTY, "mover").get("/queues").status_code == 200


def test_the_staff_page_says_who_changed_which_account_and_when(desks):
    """操作记录: a county hall could not answer "who disabled clerk6 and when" or "who made li4 a
    审核/审批"; the /staff page lists each change with its time, who made it and what it was."""
    county = desks.nodes[COUNTY]
    county.staff.add("log-admin", "沈管理", "管理员", "", PASSWORD, by=OPERATOR)
    county.staff.add("li4", "李四", "窗口受理", DEPARTMENT, PASSWORD, by=OPERATOR)
    admin = logged_in(desks, COUNTY, "log-admin")
    token = csrf_of(admin.get("/staff").text)
    made = admin.post("/staff/li4/change", data={"role": "reviewer", "department": DEPARTMENT, "csrf": token})
    assert made.status_code == 200 and "li4（李四）现为 审核/审批" in made.text
    same = admin.post("/staff/li4/change", data={"role": "reviewer", "department": DEPARTMENT, "csrf": token})
    assert same.status_code == 200  # nothing changed: nothing to record
    assert admin.post("/staff/li4/disable", data={"csrf": token}).status_code == 200
    itself = admin.post(
        "/staff/log-admin/change", data={"role": "clerk", "department": "民政局", "csrf": token}
    )
    assert itself.status_code == 400 and "不能更改自己的岗位" in itself.text  # not recorded either

    page = admin.get("/staff").text
    assert "<h2>操作记录</h2>" in page
    table = page.split('id="staff-log"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(
        r"<tr>\s*<td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td>(.*?)</td>", table
    )
    now = county.clock.now().astimezone(CHINA_ZONE).strftime("%Y-%m-%d %H:%M")  # Beijing time
    assert [tuple(html.unescape(cell) for cell in row) for row in cells[:4]] == [
        (now, "沈管理（log-admin）", "李四（li4）", "停用"),
        (now, "沈管理（log-admin）", "李四（li4）", "角色 窗口受理→审核/审批"),
        (now, "运维（命令行）", "李四（li4）", f"新建账号（窗口受理，{DEPARTMENT}）"),
        (now, "运维（命令行）", "沈管理（log-admin）", "新建账号（管理员）"),
    ]
    assert len(cells) <= 50 and PASSWORD not in table
    watcher = admin.post("/staff/li4/change", data={"role": "supervisor", "department": "", "csrf": token})
    assert "li4（李四）现为 监察，岗位或部门有变" in watcher.text  # not 监察 ，: a 监察 has no department


def test_a_refused_login_at_the_page_is_in_the_staff_log_with_its_address(desks):
    """Failed logins left no trace an administrator could see; the 操作记录 names the account tried
    and where from, never the password typed."""
    county = desks.nodes[COUNTY]
    county.staff.add("tried", "严被试", "窗口受理", DEPARTMENT, PASSWORD, by=OPERATOR)
    county.staff.add("watch-admin", "程管理", "管理员", "", PASSWORD, by=OPERATOR)
    stranger = httpx.Client(base_url=url(desks, COUNTY), timeout=30)
    token = csrf_of(stranger.get("/login").text)
    refused = stranger.post("/login", data={"username": "tried", "password": "guessed-2026", "csrf": token})
    assert refused.status_code == 401
    table = logged_in(desks, COUNTY, "watch-admin").get("/staff").text.split('id="staff-log"', 1)[1]
    table = html.unescape(table.split("</table>", 1)[0])
    assert "严被试（tried）</td><td>登录失败：密码错误（网页，来自 127.0.0.1）" in table, table
    assert "guessed-2026" not in table


def test_a_form_sent_after_the_login_ended_is_told_lost_on_the_login_page(desks):
    """An agent filled in an application while the same login was ended in another tab: the form
    went to the login page without a word, and the citizen's application was silently gone."""
    agent = logged_in(desks, VILLAGE, "agent1")
    form = agent.get(f"/items/{ITEM}/apply").text
    other_tab = httpx.Client(base_url=url(desks, VILLAGE), cookies=agent.cookies, timeout=30)
    assert other_tab.post("/logout", data={"csrf": csrf_of(form)}).status_code == 303
    sent = send_application(agent, form)
    assert sent.url.path == "/login" and sent.history[0].status_code == 303
    lost = re.search(r'id="login-lost">([^<]*)<', sent.text)
    assert lost and "登录已结束" in lost.group(1) and "没有保存" in lost.group(1), sent.text
    assert 'name="next" value="/items/' in sent.text  # and back to the form after logging in


def test_a_person_changes_their_own_password_given_the_current_one(desks):
    desks.nodes[COUNTY].staff.add("pw.clerk", "蒋改密", "窗口受理", DEPARTMENT, PASSWORD, by=OPERATOR)
    person = logged_in(desks, COUNTY, "pw.clerk")
    page = person.get("/password")
    assert page.status_code == 200 and 'id="own-password"' in page.text  # linked from every page
    token, new = csrf_of(page.text), "only-mine-2026"
    for current, password, again, said in (
        ("not-my-password", new, new, "用户名或密码错误"),
        (PASSWORD, "short", "short", "密码至少 8 位"),
        (PASSWORD, new, new + "x", "两次输入的密码不一致"),
    ):
        form = {"current": current, "password": password, "password_again": again, "csrf": token}
        refused = person.post("/password", data=form)
        assert refused.status_code == 400 and said in refused.text, said
    assert person.get("/queues").status_code == 200  # still logged in, the password unchanged
    changed = person.post("/password", data={"current": PASSWORD, "password": new, "password_again": new,
                                             "csrf": token})  # fmt: skip
    assert changed.status_code == 200 and "密码已修改，请用新密码登录" in changed.text
    assert "工作人员登录" in person.get("/queues").text  # this login ended with the change
    login = {"username": "pw.clerk", "password": PASSWORD, "csrf": csrf_of(person.get("/login").text)}
    assert person.post("/login", data=login).status_code == 401  # the old password is gone
    assert person.post("/login", data={**login, "password": new}).status_code == 200


def test_a_post_without_the_csrf_token_is_refused(desks):
    agent = logged_in(desks, VILLAGE, "agent1")
    refused = agent.post(
        f"/items/{ITEM}/apply", data={"applicant_name": "王秀兰", "id_number": "430981196805120021"}
    )
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert "李代办" in refused.text  # refused before the page: the header still knows the agent
    forged = agent.post("/logout", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert agent.get("/cases").status_code == 200  # the forged logout did nothing


def test_an_address_without_a_page_says_so_in_chinese_on_the_desks_own_page(desks):
    """Starlette's own 404 read "Not Found" in English, on a bare page without the header."""
    agent = logged_in(desks, VILLAGE, "agent1")
    missing = agent.get("/itmes")  # a typing slip
    assert missing.status_code == 404 and "页面不存在" in missing.text and "Not Found" not in missing.text
    assert 'href="/"' in missing.text and "<nav" in missing.text  # the header and a way home
    assert "李代办" in missing.text and "/login" not in missing.text  # still logged in, and shown so
    wrong_method = agent.get("/staff/agent1/disable")  # a form's address opened as a link
    assert wrong_method.status_code == 405 and "无法打开此页面" in wrong_method.text
    assert "Allow" in wrong_method.headers  # Starlette's header is kept
    absent = httpx.get(url(desks, VILLAGE) + "/static/absent.css")
    assert absent.status_code == 404 and "页面不存在" in absent.text and 'href="/login"' in absent.text


def test_a_full_disk_is_said_in_chinese_and_nothing_of_the_case_is_kept(desks):
    """The village's SQLite may not grow by one page (max_page_count, what a full disk does to it):
    the agent is told so on the desk's page, not "Internal Server Error", and no case is stored."""
    village = desks.nodes[VILLAGE]
    if village.engine.dialect.name != "sqlite":
        pytest.skip("max_page_count is SQLite's")
    before = len(village.cases.list_cases(role="origin"))
    # SQLite keeps the pages it has, none more
    page, over_the_desk_api = _submitted_on_every_connection(desks, "PRAGMA max_page_count = 1")
    assert over_the_desk_api.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert over_the_desk_api.details().startswith("本节点的磁盘已满，此次操作没有保存")
    assert page.status_code == 500, page.text
    assert "本节点的磁盘已满，此次操作没有保存" in page.text and "Internal Server Error" not in page.text
    assert "李代办" in page.text  # the desk's own page, the agent still logged in
    assert len(village.cases.list_cases(role="origin")) == before


def test_a_failure_nobody_foresaw_is_said_in_chinese_without_the_citizens_data(desks):
    """A write the village's database will not take for a reason no service words (here: every
    connection read-only): the agent's page and the Desk API say 本节点内部出错 with what to do,
    never the SQL statement with the applicant's name and number in it; nothing is stored."""
    village = desks.nodes[VILLAGE]
    if village.engine.dialect.name != "sqlite":
        pytest.skip("query_only is SQLite's")
    before = len(village.cases.list_cases(role="origin"))
    page, over_the_desk_api = _submitted_on_every_connection(desks, "PRAGMA query_only = 1")
    assert over_the_desk_api.code() == grpc.StatusCode.INTERNAL
    assert over_the_desk_api.details() == INTERNAL_ERROR
    shown = INTERNAL_ERROR.split(" (")[0]  # the English detail is the log's
    assert page.status_code == 500 and "系统出错" in page.text and shown in page.text
    for said in (over_the_desk_api.details(), page.text):
        assert "430981196805120021" not in said and "INSERT" not in said
    assert len(village.cases.list_cases(role="origin")) == before


def test_a_database_damaged_while_the_node_runs_is_said_so(federation):
    """A torn write while the node runs (its schema page scribbled over here): the agent is told the
    database file is damaged and what the operator does, not 系统出错; the Desk API says DATA_LOSS."""
    for code in CHAIN:
        federation.start(code, web_listen="127.0.0.1:0" if code == VILLAGE else "off")
    village = federation.nodes[VILLAGE]
    database = sqlite_file(village.config.database_url)
    if database is None:
        pytest.skip("a damaged database file is SQLite's")
    wait_for(lambda: village.describe().catalog_version > 0, what="the catalogue")
    village.staff.add("agent1", "李代办", "代办员", "", PASSWORD, by=OPERATOR)
    agent = logged_in(federation, VILLAGE, "agent1")
    form = agent.get(f"/items/{ITEM}/apply").text

    def checkpointed() -> bool:  # everything in the file itself, nothing left in its log
        with contextlib.closing(sqlite3.connect(database)) as connection:
            return connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0

    def scribbled() -> bytes | None:
        """The schema page as it was, once a fresh connection finds it damaged: a write of the
        node's threads in between may have put a good copy of the page in the log, which hides it."""
        wait_for(checkpointed, what="the log copied into the database file")
        village.engine.dispose()  # connections opened from now on read the file
        with database.open("r+b") as file:
            file.seek(100)
            page = file.read(3996)
            file.seek(100)
            file.write(b"\xa5" * 3996)
        with contextlib.closing(sqlite3.connect(database)) as connection:
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.DatabaseError:
                return page
        with database.open("r+b") as file:
            file.seek(100)
            file.write(page)
        return None

    schema = wait_for(scribbled, what="the schema page damaged")
    try:
        page = send_application(agent, form)
        with pytest.raises(grpc.RpcError) as refused:
            federation.desk(VILLAGE).ListCases(desk_pb2.ListCasesRequest())
    finally:  # mended, so that the node stops as it would after a restore
        with database.open("r+b") as file:
            file.seek(100)
            file.write(schema)
        village.engine.dispose()
    assert page.status_code == 500 and "本节点的数据库文件已损坏，此次操作没有完成" in page.text
    assert (
        refused.value.code() == grpc.StatusCode.DATA_LOSS and "wuji node restore" in refused.value.details()
    )


def _submitted_on_every_connection(desks, pragma: str) -> tuple[httpx.Response, grpc.RpcError]:
    """An application at the village's front desk and one over its Desk API while every connection
    to its database has run pragma: the page, and the Desk API's refusal."""
    village = desks.nodes[VILLAGE]
    agent = logged_in(desks, VILLAGE, "agent1")
    form = agent.get(f"/items/{ITEM}/apply").text

    def hobbled(connection, _record) -> None:
        connection.execute(pragma)

    event.listen(village.engine, "connect", hobbled)
    village.engine.dispose()
    try:
        page = send_application(
            agent, form, file_0=("身份证.pdf", b"%PDF-1.4 " + os.urandom(256 * 1024), "application/pdf")
        )
        with pytest.raises(grpc.RpcError) as over_the_desk_api:  # the CLI's way in
            desks.desk(VILLAGE).SubmitCase(
                desk_pb2.SubmitCaseRequest(
                    item_code=ITEM,
                    applicant=case_pb2.Applicant(name="王秀兰", id_number="430981196805120021"),
                    materials=[
                        case_pb2.Material(name=m.name, content=m.content + os.urandom(256 * 1024))
                        for m in complete_proto(ITEM)
                    ],
                )
            )
    finally:
        event.remove(village.engine, "connect", hobbled)
        village.engine.dispose()
    return page, over_the_desk_api.value


def test_a_file_larger_than_any_item_takes_is_refused_by_its_size(desks):
    """A video chosen by mistake is refused by the size the browser sent, not read into the node's
    memory first (a village PC's node would hold all of it); the form comes back filled in."""
    agent = logged_in(desks, VILLAGE, "agent1")
    form = agent.get(f"/items/{ITEM}/apply").text
    reply = send_application(agent, form, file_0=("录像.mp4", bytes(17 * 1024 * 1024), "video/mp4"))
    assert reply.status_code == 400
    assert "的文件 录像.mp4 有 17 MB，超过任何事项能收的 16 MB：请确认选对了文件" in reply.text
    assert 'value="王秀兰"' in reply.text
    # the photo is kept for the form sent again; the video, never read, is to be chosen again
    assert 'id="kept_1">已保留：照片.jpg' in reply.text
    assert 'id="chosen_0">上次选择：录像.mp4（请重新选择）' in reply.text and 'id="kept_0"' not in reply.text
    # a whole form beyond what any page takes is refused before it is spooled to the node's disk
    reply = agent.post(
        f"/items/{ITEM}/apply",
        data={"csrf": csrf_of(form)},
        files={"file_0": ("录像.mp4", bytes(65 * 1024 * 1024), "video/mp4")},
    )
    assert reply.status_code == 400 and "超过一次能收的 64 MB：请确认选对了文件" in reply.text


def test_a_refusal_to_an_htmx_request_lands_where_its_answer_goes(desks):
    agent = logged_in(desks, VILLAGE, "agent1")
    reply = agent.get("/cases", params={"q": "王"}, headers={"HX-Request": "true"})
    assert reply.status_code == 200 and reply.headers["HX-Reswap"] == "innerHTML"
    assert reply.text.startswith('<div class="refusal" role="alert">请输入至少两个字')


def test_a_disk_about_to_fill_is_told_at_the_window(desks, monkeypatch):
    """Before the disk is full (and the window with it), everyone at the point sees how little is left."""
    agent = logged_in(desks, VILLAGE, "agent1")
    assert 'id="disk"' not in agent.get("/items").text  # this machine's disk has room
    monkeypatch.setattr(machine, "free_disk_bytes", lambda _url: int(1.2 * machine.GIB))
    said = re.search(r'id="disk"[^>]*>([^<]+)<', agent.get("/items").text)
    assert said and said.group(1).startswith("本机磁盘只剩 1.2 GB：请尽快告知本节点的运维人员清理")


class SkewedClock:
    """A machine clock set wrong by offset (a flat CMOS battery, a date typed in by hand)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def test_a_village_whose_clock_is_wrong_is_told_so_on_every_page(federation):
    """Its receipts and time limits are stamped with its clock: the parent's heartbeats tell the
    agent how far off it is, and a clock set back before the node's certificate is caught too."""
    federation.start_chain(CHAIN[:-1])
    federation.clock = wrong = SkewedClock(timedelta(minutes=-15))
    village = federation.start(VILLAGE, web_listen="127.0.0.1:0")
    federation.clock = None
    village.staff.add("agent1", "李代办", "代办员", "", PASSWORD, by=OPERATOR)
    agent = logged_in(federation, VILLAGE, "agent1")
    warned = lambda: re.search(r'id="clock"[^>]*>([^<]+)<', agent.get("/items").text)  # noqa: E731
    heard = lambda: (found := warned()) and "本机时钟比上级" in found.group(1) and found.group(1)  # noqa: E731
    words = wait_for(heard, what="the township's heartbeat heard at the village")
    assert f"本机时钟比上级 {TOWNSHIP} 慢 15 分钟" in words and "请校正本机的日期和时间" in words
    status = wuji("node", "status", "--config", str(federation.config_path(TOWNSHIP)))
    assert f"下级 {VILLAGE} 的时钟比本机慢 15 分钟" in status.stdout, status.stdout

    # before any heartbeat is heard (or with no link at all), a clock set back before the node was
    # enrolled is caught by its certificate, issued on the township's clock
    wrong.offset = timedelta(days=-3 * 365)
    words = uplink.clock_trouble(village, TOWNSHIP, None)
    assert words.startswith("本机时钟（20") and "早于本节点证书的生效时间" in words

    wrong.offset = timedelta(seconds=30)  # within two minutes: nothing to say
    wait_for(lambda: warned() is None, what="the warning gone once the clock is right")


def test_a_result_waiting_for_its_time_stamp_is_neither_downloaded_nor_printed_at_the_handler(federation):
    """While the province's time-stamping service is away, a case concluded at the county is sealed
    but not attested (README: the result never leaves unattested): its page says the result waits for
    the time-stamp, and neither the pages nor the CLI hand it out or print its 办结通知书 until the
    province answers."""
    for code in CHAIN:
        federation.start(code, web_listen="127.0.0.1:0" if code == COUNTY else "off")
    wait_for(
        lambda: all(n.describe().catalog_version > 0 for n in federation.nodes.values()), what="the catalogue"
    )
    federation.nodes[COUNTY].staff.add("mz-clerk", "赵民政", "窗口受理", "民政局", PASSWORD, by=OPERATOR)
    federation.stop(PROVINCE)
    village, county = federation.desk(VILLAGE), federation.desk(COUNTY)
    case = village.SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code="MZ-0001",
            applicant=case_pb2.Applicant(name="周敏", id_number="43098119920304001X"),
            materials=complete_proto("MZ-0001"),
        )
    )
    wait_for(lambda: _has_case(federation.nodes[COUNTY], case.id), what="the case at the county")
    for action in (case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE):
        county.ActOnCase(desk_pb2.ActOnCaseRequest(case_id=case.id, action=action, note="同意"))
    waits = "正等待省级时间戳服务证明盖章时间"

    clerk = logged_in(federation, COUNTY, "mz-clerk")
    shown = clerk.get(f"/cases/{case.id}").text
    assert 'id="result-waits"' in shown and waits in shown and "download-result" not in shown, shown
    for path in ("result", "result/print", "documents/result"):
        refused = clerk.get(f"/cases/{case.id}/{path}")
        assert refused.status_code == 409 and waits in refused.text, (path, refused.status_code, refused.text)
    checked = httpx.get(f"{url(federation, COUNTY)}/verify/{case.id}").text
    assert "有效" not in checked and "尚无加盖印章的办理结果" in checked, checked
    config = str(federation.config_path(COUNTY))
    for command in (
        ("case", "result", case.id, "-o", str(federation.folder / "r.sealed")),
        ("doc", "result", case.id),
    ):
        answer = wuji(*command, "--config", config)
        assert answer.returncode != 0 and waits in answer.stderr.replace("\n", ""), (command, answer)

    federation.start(PROVINCE)
    handler = federation.nodes[COUNTY]
    wait_for(
        lambda: handler.complete_awaiting_timestamps() or not handler.cases.result_waits(case.id),
        what="the token",
    )
    shown = clerk.get(f"/cases/{case.id}").text
    assert "download-result" in shown and waits not in shown, shown
    sealed = clerk.get(f"/cases/{case.id}/result")
    assert sealed.status_code == 200 and SealedDocument.from_bytes(sealed.content).timestamp


def test_a_clerk_of_another_department_is_refused_and_roles_are_checked(desks):
    case_id = submit_case(desks, logged_in(desks, VILLAGE, "agent1"))
    other = logged_in(desks, COUNTY, "other1")
    page = other.get(f"/cases/{case_id}")
    assert page.status_code == 403 and "人力资源和社会保障局" in page.text
    token = csrf_of(other.get("/queues").text)
    refused = other.post(f"/cases/{case_id}/act", data={"csrf": token, "action": Action.ACCEPT.value})
    assert refused.status_code == 403
    assert desks.nodes[COUNTY].cases.get(case_id).state == 1  # still 申请
    # 不予受理 without its reason: the 决定书 would print (未说明理由) for the applicant
    clerk = logged_in(desks, COUNTY, "clerk1")
    token = csrf_of(clerk.get(f"/cases/{case_id}").text)
    unexplained = clerk.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "REFUSE", "note": " "})
    assert unexplained.status_code == 400 and "不予受理须写明理由和依据" in unexplained.text
    assert desks.nodes[COUNTY].cases.get(case_id).state == 1
    queue = logged_in(desks, COUNTY, "clerk1").get("/queues?queue=received").text  # the department's
    counted = re.search(r'id="queue-received">待受理（(\d+)）<', queue)
    assert counted and int(counted.group(1)) == queue.count('<td class="code"><a href="/cases/') >= 1
    agent = logged_in(desks, VILLAGE, "agent1")
    assert agent.get("/queues").status_code == 403  # a 代办员 has no department queue
    # the note is asked for in the words of the actions offered: a 补正 list at 受理, a reason to withdraw
    assert (
        "补正：勾选需补正的材料，写明补正要求"
        in logged_in(desks, COUNTY, "clerk1").get(f"/cases/{case_id}").text
    )
    at_village = agent.get(f"/cases/{case_id}").text
    assert 'id="do-WITHDRAW"' in at_village and "撤回的原因" in at_village and "补正：勾选" not in at_village
    assert logged_in(desks, COUNTY, "boss").get("/items/RS-0001/apply").status_code == 403


def test_the_administrator_reads_the_items_the_menu_offers_without_an_apply_button(desks):
    """A 管理员 (the catalogue keeper) clicked 事项 in the menu and met 403 无权使用此页面: the list and
    the 办事指南 are read, the one-time notice too; only 申请 stays with those who take applications."""
    desks.nodes[COUNTY].staff.add("items-admin", "周管理", "管理员", "", PASSWORD, by=OPERATOR)
    admin = logged_in(desks, COUNTY, "items-admin")
    listed = admin.get("/items")
    assert listed.status_code == 200 and f'href="/items/{ITEM}"' in listed.text, listed.text
    assert "/apply" not in listed.text
    guide = admin.get(f"/items/{ITEM}")
    assert guide.status_code == 200 and "办事指南" in guide.text and 'id="apply"' not in guide.text
    assert admin.get(f"/items/{ITEM}/notice").status_code == 200
    assert admin.get(f"/items/{ITEM}/apply").status_code == 403  # reading, not applying
    assert 'id="apply"' in logged_in(desks, VILLAGE, "agent1").get(f"/items/{ITEM}").text


def test_items_are_found_by_name_pinyin_initials_and_code(desks):
    """And by the names people shorten them to: searching 低保 found nothing."""
    agent = logged_in(desks, VILLAGE, "agent1")
    for query in ("社会保障卡", "shbzk", "RS-0001", "rs0001", "ＲＳ－０００１", "社保 卡"):  # as typed too
        found = agent.get("/items", params={"q": query}, headers={"HX-Request": "true"})
        assert "社会保障卡申领" in found.text, query
    # the names people shorten them to: each character of the name's, in its order
    for query, name in (("社保卡", "社会保障卡申领"), ("低保", "最低生活保障")):
        found = agent.get("/items", params={"q": query}, headers={"HX-Request": "true"}).text
        assert name in found, query
    out_of_order = agent.get("/items", params={"q": "保低"}, headers={"HX-Request": "true"}).text
    assert "最低生活保障" not in out_of_order
    notice = agent.get(f"/items/{ITEM}/notice")
    assert "一次性告知书" in notice.text and "近期免冠彩色照片" in notice.text
    # a village point collects, it accepts nothing (it said 我们当场受理)
    assert "本窗口当场收件，转交办理部门受理" in notice.text and "当场受理" not in notice.text
    # where the application goes, as the PDF says it: the office above, by the name the village knows
    assert f"（收件后转交{COUNTY_NAME} {DEPARTMENT}办理）。</p>" in notice.text
    # a 承诺件's limit, as its PDF and its receipts word it: counted as the clock counts it
    assert "承诺办结时限 15 个工作日（自受理次日起算）" in agent.get("/items/MZ-0001/notice").text
    # the 办事指南 names its elements as `wuji catalog show` does (one vocabulary, ELEMENT_NAMES)
    guide = agent.get(f"/items/{ITEM}").text
    for key in ("type", "implementing_body", "statutory_days", "promised_days", "fees", "max_visits"):
        assert f"<th>{ELEMENT_NAMES[key]}</th>" in guide, key


def test_a_bundles_notice_pdf_lists_the_materials_of_its_parts_as_the_screen_does(desks):
    """新生儿出生一件事 lists no materials of its own: the 一次性告知书 gives its parts', each named once,
    on the screen and in the PDF alike (one list, catalogue.listed_materials). It offered 结婚证
    以承诺代替, which the bundle's submission then refused (材料不齐 … 缺少 结婚证)."""
    agent = logged_in(desks, VILLAGE, "agent1")
    screen = agent.get("/items/YJS-0001/notice").text
    names = re.findall(r"<tr><td>\d+</td><td>([^<]+)</td>", screen)
    assert len(names) == 6 and len(set(names)) == 6 and "出生医学证明" in names, names
    text = text_of(agent.get("/items/YJS-0001/notice.pdf").content)
    listed = text[text.index("三、申请材料") : text.index("四、")]
    for number, name in enumerate(names, 1):
        assert f"{number}{name}" in listed, (name, listed)
    # 生育保险待遇核定 takes a promise for the 结婚证, but 出生登记 asks for it all the same: the
    # bundle's notice offers no promise for it (its submission would refuse one), nor its form
    assert "可告知承诺" not in listed and "可承诺" not in screen
    form = agent.get("/items/YJS-0001/apply").text
    assert "> 以承诺代替</label>" not in form and 'name="promise_' not in form
    # and the form says why, where the column is headed 告知承诺 (it said nothing of it)
    assert (
        "不能以承诺代替：生育保险待遇核定虽可告知承诺，但出生登记（户口登记）须提交结婚证；"
        "提交后各事项共用，无须承诺"
    ) in form
    assert form.count('class="hint" id="promise-not-') == 1  # 结婚证 alone: no other part allows one


def test_a_bundles_notice_says_what_the_bundle_does_with_each_material_and_where_each_part_goes(desks):
    """The YJS-0001 一次性告知书 said 户口簿 可用电子证照代替 (出生登记 takes none, and the bundle then
    refused one), printed 结婚证 as 原件 (both parts requiring it ask a 复印件), named one office as
    办理地点 and listed neither the parts nor their time limits."""
    agent = logged_in(desks, VILLAGE, "agent1")
    text = text_of(agent.get("/items/YJS-0001/notice.pdf").content)
    listed = text[text.index("三、申请材料") : text.index("四、各事项办理部门及时限")]
    hukou = listed[listed.index("户口簿") : listed.index("结婚证")]
    assert "可用电子证照代替" not in hukou, hukou
    assert "居民身份证原件必需可用电子证照代替" in listed  # every part takes one for it
    assert "结婚证复印件必需" in listed, listed
    parts = text[text.index("四、各事项办理部门及时限") : text.index("五、办理地点")]
    for row in (
        f"出生登记（户口登记）（GA-0003）{COUNTY_NAME} 公安局3 个工作日（自受理次日起算）收件后即送办理部门",
        f"社会保障卡申领（RS-0001）{COUNTY_NAME} 人力资源和社会保障局即办件（当场办结）"
        + "待出生登记（户口登记）办结后自动开始办理",
        "生育保险待遇核定（YB-0002）",
        "生育登记（WJ-0002）",
    ):
        assert row in parts, (row, parts)
    place = text[text.index("五、办理地点") :]
    assert "一次收件，分送各事项的办理部门办理" in place and "收件后转交" not in place, place
    screen = agent.get("/items/YJS-0001/notice").text  # the page says what the PDF says
    assert "一次收件，分送各事项的办理部门办理" in screen and f"{COUNTY_NAME} 公安局" in screen
    form = agent.get("/items/YJS-0001/apply").text  # and the form offers no licence the bundle refuses
    fields = dict(re.findall(FILE_FIELD, form))
    assert f'name="licence_{fields["户口簿"]}"' not in form
    assert f'name="licence_{fields["居民身份证"]}"' in form


def test_the_print_page_of_a_refusal_or_a_correction_says_what_its_pdf_says(desks):
    """不予受理决定书 and 补正告知书 printed from the browser at the village: signed by the deciding
    office by its name, with the remedies and their periods, the QR code to the 核验 page and the
    materials to check against — the PDF's words (node/documents/kinds.py), not a second text."""
    agent, clerk = logged_in(desks, VILLAGE, "agent1"), logged_in(desks, COUNTY, "clerk1")
    village, signed = desks.nodes[VILLAGE], f"{COUNTY_NAME} {DEPARTMENT}（{COUNTY}）"
    decisions = (
        ("REFUSE", "申请人已在外地领取社会保障卡", case_pb2.REFUSED, "refusal", "不予受理决定书"),
        (
            "REQUEST_CORRECTION",
            "照片须为近期免冠彩色照片",
            case_pb2.CORRECTION_REQUESTED,
            "correction",
            "补正告知书",
        ),
    )
    for action, note, state, kind, title in decisions:
        case_id = submit_case(desks, agent)
        token = csrf_of(clerk.get(f"/cases/{case_id}").text)
        clerk.post(f"/cases/{case_id}/act", data={"csrf": token, "action": action, "note": note})
        wait_for(lambda c=case_id, s=state: village.cases.get(c).state == s, what=f"{action} at the village")
        timeline = agent.get(f"/cases/{case_id}").text
        link = re.search(rf'href="(/cases/{case_id}/events/\d+)">打印{title}<', timeline)
        assert link, timeline
        page = agent.get(link.group(1))
        assert page.status_code == 200, page.text
        pdf = text_of(agent.get(f"/cases/{case_id}/documents/{kind}").content)
        words = re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", page.text))
        said = [title, note, signed, f"/verify/{case_id}", "扫描二维码核验本文书并查询办件进度"]
        if kind == "refusal":
            said += ["六十日内依法向沅江市人民政府申请行政复议", "六个月内依法向沅江市人民法院提起行政诉讼"]
        else:
            said += ["本事项申请材料（供核对）", "居民身份证（原件，必需）", "补正期间不计入办理时限"]
        for words_said in said:
            assert words_said.replace(" ", "") in words, (kind, words_said)
            assert words_said in pdf, (kind, words_said)
        assert "<title>核验二维码</title>" in page.text  # the QR code, as the PDF has it
        # headed by the office that decided, not by the village printing it
        assert f'id="issued-by">{COUNTY_NAME} {DEPARTMENT}</span><br>{title}' in page.text, page.text
        assert f"{COUNTY_NAME} {DEPARTMENT} {title}" in pdf, pdf
    other_event = agent.get(f"/cases/{case_id}/events/1")  # 申请: no letter to print
    assert other_event.status_code == 400 and "没有告知书可打印" in other_event.text


def test_the_clerk_ticks_the_materials_to_correct_and_the_village_is_offered_them_first(desks):
    """The 补正告知 form had only a note: a walker saw "补正内容 请补正" and the village's 补正材料
    form gave no clue which file to bring. The clerk now ticks the item's materials; a 补正 with
    neither is refused with the ticks kept; the village's timeline and form name them first, and
    the 补正告知书 lists them, one a line, before the note."""
    agent, clerk = logged_in(desks, VILLAGE, "agent1"), logged_in(desks, COUNTY, "clerk1")
    village = desks.nodes[VILLAGE]
    case_id = submit_case(desks, agent)
    page = clerk.get(f"/cases/{case_id}").text
    assert f'name="correct" value="{PHOTO}"' in page, page
    ticked = {"csrf": csrf_of(page), "action": "REQUEST_CORRECTION", "correct": [PHOTO], "note": ""}
    assert clerk.post(f"/cases/{case_id}/act", data=ticked).status_code == 200

    wait_for(
        lambda: village.cases.get(case_id).state == case_pb2.CORRECTION_REQUESTED, what="补正 at the village"
    )
    shown = agent.get(f"/cases/{case_id}").text
    assert f"需补正的材料：{PHOTO}" in shown, shown
    form = shown[shown.index('id="supply-form"') :]
    first = re.search(r'<label>([^<]+?) <span class="due" id="asked-0">（补正告知要求补正）</span>', form)
    assert first and first.group(1) == PHOTO, form
    assert 'id="supply-others"' in form and 'id="supply-1"' in form  # the other material still taken
    letter = re.search(rf'href="(/cases/{case_id}/events/\d+)">打印补正告知书<', shown)
    assert letter, shown
    printed = agent.get(letter.group(1)).text
    assert f'<p id="listed">1. {PHOTO}<br></p>' in printed and 'id="statement"' not in printed, printed
    assert f"补正内容1. {PHOTO}" in text_of(agent.get(f"/cases/{case_id}/documents/correction").content)

    again = submit_case(desks, agent)
    token = csrf_of(clerk.get(f"/cases/{again}").text)
    empty = clerk.post(f"/cases/{again}/act", data={"csrf": token, "action": "REQUEST_CORRECTION"})
    assert empty.status_code == 400 and "勾选需补正的材料，或在告知内容中写明" in empty.text, empty.text
    unknown = {"csrf": token, "action": "REQUEST_CORRECTION", "correct": [PHOTO, "结婚证"], "note": "彩色"}
    refused = clerk.post(f"/cases/{again}/act", data=unknown)
    assert refused.status_code == 400 and "没有材料 结婚证" in refused.text, refused.text
    assert f'value="{PHOTO}" id="correct-1" checked' in refused.text  # as the clerk ticked it
    assert desks.nodes[COUNTY].cases.get(again).state == case_pb2.SUBMITTED


def test_a_case_asked_for_correction_twice_prints_each_letter_with_its_own_words(desks):
    """Each 补正告知书 of the timeline links the PDF of its own event, not the latest one's."""
    agent, clerk = logged_in(desks, VILLAGE, "agent1"), logged_in(desks, COUNTY, "clerk1")
    village, county = desks.nodes[VILLAGE], desks.nodes[COUNTY]
    case_id = submit_case(desks, agent)
    notes = ("照片须为近期免冠彩色照片", "户口簿须提供首页和本人页")
    for number, note in enumerate(notes):
        token = csrf_of(clerk.get(f"/cases/{case_id}").text)
        asked = {"csrf": token, "action": "REQUEST_CORRECTION", "note": note}
        clerk.post(f"/cases/{case_id}/act", data=asked)
        wait_for(
            lambda: village.cases.get(case_id).state == case_pb2.CORRECTION_REQUESTED,
            what=f"补正告知 {number + 1} at the village",
        )
        if number == 0:
            token = csrf_of(agent.get(f"/cases/{case_id}").text)
            supplied = agent.post(
                f"/cases/{case_id}/supply",
                data={"csrf": token, "note": "已补正"},
                files={f"file:{PHOTO}": ("照片.jpg", b"\xff\xd8\xff new photo", "image/jpeg")},
            )
            assert supplied.status_code == 200, supplied.text
            wait_for(lambda: county.cases.get(case_id).state == case_pb2.SUBMITTED, what="补正 at the county")
    timeline = agent.get(f"/cases/{case_id}").text
    links = re.findall(rf'href="(/cases/{case_id}/documents/correction\?event=\d+)"', timeline)
    assert len(links) == 2, timeline
    for link, note, other in zip(links, notes, reversed(notes), strict=True):
        pdf = text_of(agent.get(link).content)
        assert note in pdf and other not in pdf, (link, note)
    latest = text_of(agent.get(f"/cases/{case_id}/documents/correction").content)
    assert notes[1] in latest and notes[0] not in latest
    submitted = agent.get(f"/cases/{case_id}/documents/correction?event=1")  # 申请: not a 补正告知
    assert submitted.status_code == 400 and "没有告知书可打印" in submitted.text, submitted.text


def test_documents_print_as_pdf_and_the_qr_page_shows_progress(desks):
    agent = logged_in(desks, VILLAGE, "agent1")
    case_id = submit_case(desks, agent)
    for path in (f"/cases/{case_id}/documents/receipt", f"/items/{ITEM}/notice.pdf"):
        printed = agent.get(path)
        assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
        assert printed.content.startswith(b"%PDF"), path
    stranger = httpx.Client(base_url=url(desks, VILLAGE), timeout=30)  # a citizen's phone: no login
    progress = stranger.get(f"/verify/{case_id}")
    assert progress.status_code == 200 and "社会保障卡申领" in progress.text and "王**" in progress.text
    assert "430981196805120021" not in progress.text
    assert stranger.get(f"/cases/{case_id}/documents/receipt").status_code == 303  # to the login page


def test_the_screen_receipt_names_who_took_the_application_in_not_who_prints_it(desks):
    agent, clerk = logged_in(desks, VILLAGE, "agent1"), logged_in(desks, COUNTY, "clerk1")
    case_id = submit_case(desks, agent)
    wait_for(lambda: desks.nodes[COUNTY].cases.get(case_id), what="the case at the county")
    taker = desks.nodes[VILLAGE].staff.names({"agent1"})["agent1"]
    for desk in (agent, clerk):  # printed at the handler as at the point, the same person and place
        page = desk.get(f"/cases/{case_id}/receipt").text
        said = re.search(r'id="received-by">收件人：([^<]*)</p>', page)
        assert said and said.group(1).split() == [taker, VILLAGE], page
        assert "(agent1)" not in page and "凭办件编号可在收件的服务点查询办理进度" in page
        # the PDF says it too: the receipt's words, printed by both
        printed = text_of(desk.get(f"/cases/{case_id}/documents/receipt").content)
        assert f"收件人：{taker}" in printed and "凭办件编号可在收件的服务点查询办理进度" in printed, printed


def on_screen(page: str) -> str:
    """A page's text as read on the screen: its tags taken out, its entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_the_printed_receipt_names_the_deferred_materials_and_the_promise_the_screen_shows(desks):
    """容缺 and 告知承诺 were on the screen receipt and not in its PDF: both print the receipt's words
    (DocumentDesk.receipt_words), the same on the screen and on paper."""
    promise = case_pb2.Promise(
        text="本人承诺已婚", replaces=["结婚证"], signed_by="王秀兰", signature=b"\x89PNG sig"
    )
    case = desks.desk(VILLAGE).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code="YB-0002",  # 生育保险待遇核定: its bank account may follow, a promise replace 结婚证
            applicant=case_pb2.Applicant(name="王秀兰", id_number="430981196805120021"),
            materials=complete_proto("YB-0002", leave_out=("结婚证", "本人银行结算账户")),
            deferred=["本人银行结算账户"],
            promised_on="2025-11-14",
            promise=promise,
        )
    )
    agent = logged_in(desks, VILLAGE, "agent1")
    screen = on_screen(agent.get(f"/cases/{case.id}/receipt").text)
    printed = text_of(agent.get(f"/cases/{case.id}/documents/receipt").content)
    for said in ("本人银行结算账户，承诺于 2025-11-14 前补交", "本人承诺已婚（代替 结婚证；承诺人 王秀兰）"):
        assert said in screen, screen
        assert said in printed, printed


def test_a_receipt_of_a_jiban_item_says_it_is_concluded_on_the_spot_not_in_0_working_days(desks):
    """社会保障卡申领 is a 即办件 (promised_days 0): its PDF receipt promised 自受理之日起 0 个工作日,
    and after 受理 0 个工作日 by that very day; the screen said nothing. Both now say 即办件（当场办结）
    at the county handling it; at the village taking it in, on the spot once it reaches the county."""
    agent, clerk = logged_in(desks, VILLAGE, "agent1"), logged_in(desks, COUNTY, "clerk1")
    case_id = submit_case(desks, agent)

    def both_say_on_the_spot() -> None:
        for desk, promised in ((agent, "即办件（送达办理部门后当场办结）"), (clerk, "即办件（当场办结）")):
            screen = on_screen(desk.get(f"/cases/{case_id}/receipt").text)
            printed = text_of(desk.get(f"/cases/{case_id}/documents/receipt").content)
            for said in (screen, printed):
                assert f"承诺办结时限{promised}" in said, said
                assert "0 个工作日" not in said and "承诺办结日期" not in said, said

    both_say_on_the_spot()
    token = csrf_of(clerk.get(f"/cases/{case_id}").text)
    assert clerk.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "ACCEPT"}).status_code == 200
    village = desks.nodes[VILLAGE]
    wait_for(lambda: village.cases.get(case_id).state == case_pb2.ACCEPTED, what="受理 at the village")
    both_say_on_the_spot()


def test_the_receipt_page_says_what_its_pdf_says_with_the_qr_code(desks):
    """打印收件回执 had no QR code, no 证件号码 and no 申请地, and said 收件时间 where the PDF says
    申请时间: the page prints the PDF's fields (DocumentDesk.receipt_words) and its QR code."""
    agent = logged_in(desks, VILLAGE, "agent1")
    case_id = submit_case(desks, agent)
    page = agent.get(f"/cases/{case_id}/receipt").text
    screen = re.sub(r"\s+", "", on_screen(page))
    printed = text_of(agent.get(f"/cases/{case_id}/documents/receipt").content)
    fields = re.findall(r"<tr><th>([^<]+)</th><td[^>]*>([^<]*)</td></tr>", page)
    labels = [label for label, _ in fields]
    assert labels[:8] == [
        "办件编号",
        "事项名称",
        "申请人",
        "证件号码",
        "联系电话",
        "申请时间",
        "申请地",
        "办理地",
    ]
    for label, value in fields:
        said = html.unescape(f"{label}{value}")
        assert said.replace(" ", "") in screen and said in printed, (said, printed)
    assert "证件号码430981********0021" in printed and "430981196805120021" not in page
    assert "<title>核验二维码</title>" in page and f"/verify/{case_id}" in screen  # as the PDF's QR code
    assert "扫描二维码核验本文书并查询办件进度" in screen and "收件时间" not in screen
    # 监察 reads the case's papers: the page as well as its PDF (the page alone was refused)
    watching = logged_in(desks, COUNTY, "boss")
    wait_for(lambda: _has_case(desks.nodes[COUNTY], case_id), what="the case at the county")
    assert watching.get(f"/cases/{case_id}/documents/receipt").status_code == 200
    assert watching.get(f"/cases/{case_id}/receipt").status_code == 200


def test_the_case_page_prints_the_receipt_again_where_the_citizen_applied(desks):
    """After the handler's 受理 the agent could not reprint the 受理回执 (受理人, 承诺办结日期) from
    the case page: it had no link to it. Now it links the receipt and its PDF, named as the receipt
    is named then; the handler's page, where no citizen applied, does not."""
    agent = logged_in(desks, VILLAGE, "agent1")
    case_id = submit_case(desks, agent)
    before = agent.get(f"/cases/{case_id}").text
    assert f'<a href="/cases/{case_id}/receipt" id="print-receipt">打印收件回执</a>' in before
    clerk = logged_in(desks, COUNTY, "clerk1")
    token = csrf_of(clerk.get(f"/cases/{case_id}").text)
    assert clerk.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "ACCEPT"}).status_code == 200
    assert 'id="receipt-links"' not in clerk.get(f"/cases/{case_id}").text
    village = desks.nodes[VILLAGE]
    wait_for(lambda: len(village.cases.get(case_id).events) > 1, what="受理 at the village")
    page = agent.get(f"/cases/{case_id}").text
    links = re.search(r'<p id="receipt-links"[^>]*>(.*?)</p>', page)
    assert links, page
    hrefs = re.findall(r'href="([^"]+)"', links.group(1))
    assert hrefs == [f"/cases/{case_id}/receipt", f"/cases/{case_id}/documents/receipt"]
    assert "打印受理回执" in links.group(1) and "受理回执 PDF" in links.group(1)
    reprinted = agent.get(hrefs[0])
    assert reprinted.status_code == 200 and "受理回执" in reprinted.text and "张受理" in reprinted.text
    assert text_of(agent.get(hrefs[1]).content).count("受理回执") >= 1


def test_the_result_page_of_a_denial_says_what_its_pdf_says_with_the_appeal_rights(desks):
    """打印办理结果 of a denial (办结·不予) left out the 行政复议 and 行政诉讼 its PDF has: the page
    prints the 办结通知书's words (DocumentDesk.result_words), headed by the deciding office."""
    agent = logged_in(desks, VILLAGE, "agent1")
    case_id = submit_case(desks, agent)
    clerk, reviewer = logged_in(desks, COUNTY, "clerk1"), logged_in(desks, COUNTY, "review1")
    for person, action in ((clerk, "ACCEPT"), (reviewer, "DENY")):
        token = csrf_of(person.get(f"/cases/{case_id}").text)
        done = person.post(
            f"/cases/{case_id}/act", data={"csrf": token, "action": action, "note": "已在外地申领"}
        )
        assert done.status_code == 200, done.text
    village = desks.nodes[VILLAGE]
    wait_for(lambda: village.cases.get(case_id).state == case_pb2.CONCLUDED, what="办结 at the village")
    page = agent.get(f"/cases/{case_id}/result/print")
    assert page.status_code == 200, page.text
    screen = re.sub(r"\s+", "", on_screen(page.text))
    printed = text_of(agent.get(f"/cases/{case_id}/documents/result").content)
    said = [
        # the paper is a 通知书: the period runs from its receipt, not from a 决定书's
        "如不服本决定，可以自收到本通知书之日起六十日内依法向沅江市人民政府申请行政复议，"
        "或者在六个月内依法向沅江市人民法院提起行政诉讼。",
        "办理结果为：不予办理。",
        "办理结果不予办理",
        "决定内容已在外地申领",
        f"办理部门{DEPARTMENT} 王审批",
        f"{COUNTY_NAME}（电子印章）",
        f"/verify/{case_id}",
    ]
    for words in said:
        assert words.replace(" ", "") in screen, (words, screen)
        assert words in printed, (words, printed)
    assert "本决定书" not in screen and "本决定书" not in printed, printed
    assert f'id="issued-by">{COUNTY_NAME} {DEPARTMENT}</span><br>办结通知书' in page.text
    assert f"{COUNTY_NAME} {DEPARTMENT} 办结通知书" in printed and "<title>核验二维码</title>" in page.text


def test_a_window_clerk_keeps_sight_of_an_application_taken_in_for_another_department(desks):
    """A 民政局 clerk at the county's window takes in an application that another department handles
    here: the receipt is theirs to hand over, and the case theirs to find again; their department's
    colleagues are still shown only their own department's cases."""
    other = logged_in(desks, COUNTY, "other1")
    sent = send_application(other, other.get(f"/items/{ITEM}/apply").text)
    assert sent.status_code == 200 and 'id="received-by">收件人：赵民政' in sent.text, sent.text
    case_id = re.search(r'id="case-id">([^<]+)<', sent.text).group(1)
    assert case_id in other.get("/cases").text  # 在本服务点申请
    assert case_id in other.get("/cases", params={"q": "王秀兰"}).text
    assert other.get(f"/cases/{case_id}").status_code == 200
    missing = other.get(f"/cases/{case_id}/materials/999999")  # a link typed by hand: said in Chinese
    assert missing.status_code == 404 and f"办件 {case_id} 没有第 999999 号材料" in missing.text
    colleague = logged_in(desks, COUNTY, "mz-review")
    assert colleague.get(f"/cases/{case_id}").status_code == 403
    for listed in ("/cases", "/cases?q=王秀兰"):
        assert case_id not in colleague.get(listed).text


def test_a_jiban_item_is_not_extended(desks):
    """A 即办件 (RS-0001: 法定办结时限 0) took a 延期 of 60 working days, its receipt still saying
    当场办结, and 提前办结率 then counted it as early: it offers no 延期, and one posted is refused."""
    agent, clerk = logged_in(desks, VILLAGE, "agent1"), logged_in(desks, COUNTY, "clerk1")
    reviewer = logged_in(desks, COUNTY, "review1")
    case_id = submit_case(desks, agent)
    clerk.post(
        f"/cases/{case_id}/act",
        data={"csrf": csrf_of(clerk.get(f"/cases/{case_id}").text), "action": "ACCEPT"},
    )
    page = reviewer.get(f"/cases/{case_id}").text
    assert 'id="do-APPROVE"' in page and 'id="do-EXTEND"' not in page and 'name="days"' not in page
    extend = {"csrf": csrf_of(page), "action": "EXTEND", "days": "60", "note": "群众要求"}
    refused = reviewer.post(f"/cases/{case_id}/act", data=extend)
    assert refused.status_code == 409, refused.text
    assert "此办件是即办件，应当场办结，法定办结时限为 0 个工作日，不能延期" in refused.text
    assert "延期 60 个工作日" not in reviewer.get(f"/cases/{case_id}").text


def test_a_time_limit_is_extended_once(desks):
    county = desks.nodes[COUNTY]
    case = desks.desk(VILLAGE).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code="MZ-0001",  # 最低生活保障: the county's 民政局, 15 working days promised, 30 by law
            applicant=case_pb2.Applicant(name="何延期", id_number="430981197506120034"),
            materials=complete_proto("MZ-0001"),
        )
    )
    case_id = case.id
    wait_for(lambda: _has_case(county, case_id), what="the case at the county")
    county.cases.act(case_id, Action.ACCEPT, by=OPERATOR)
    reviewer = logged_in(desks, COUNTY, "mz-review")
    page = reviewer.get(f"/cases/{case_id}").text
    assert 'id="do-EXTEND"' in page and 'name="days"' in page
    extend = {"csrf": csrf_of(page), "action": "EXTEND", "days": "5", "note": "需实地核查"}
    for typed, said in (("abc", "请填写延期的工作日天数（整数），不是“abc”"), ("", "请填写延期的工作日天数")):
        unclear = reviewer.post(f"/cases/{case_id}/act", data={**extend, "days": typed})
        assert unclear.status_code == 400 and said in unclear.text and "invalid literal" not in unclear.text
        assert ">需实地核查</textarea>" in unclear.text
    assert reviewer.post(f"/cases/{case_id}/act", data=extend).status_code == 200
    page = reviewer.get(f"/cases/{case_id}").text
    assert "延期 5 个工作日" in page and 'id="do-EXTEND"' not in page and 'name="days"' not in page
    again = reviewer.post(
        f"/cases/{case_id}/act", data={**extend, "csrf": csrf_of(page)}
    )  # an old tab's form
    assert "办理时限只能延长一次" in again.text


def test_the_qr_page_opens_only_for_a_whole_case_id(desks):
    """A case id is the point's code and a ULID, which begins with its time: were a beginning enough,
    a stranger could walk a point's cases of a day from the public page. Staff may type beginnings;
    the QR code carries the whole id."""
    case_id = submit_case(desks, logged_in(desks, VILLAGE, "agent1"))
    stranger = httpx.Client(base_url=url(desks, VILLAGE), timeout=30)
    assert stranger.get(f"/verify/{case_id.lower()}").status_code == 200  # typed from the paper
    unique = case_id[:-6]  # the point's code, the ULID's time and most of its randomness
    assert desks.nodes[VILLAGE].cases.get(unique).id == case_id  # this case's alone
    for beginning in (unique, case_id[:-1]):
        refused = stranger.get(f"/verify/{beginning}")
        assert refused.status_code == 404 and f"本节点没有办件 {beginning}" in refused.text, beginning
        assert "社会保障卡申领" not in refused.text
        # the citizen's page says nothing was found, not 无法办理 (as if a request was refused)
        assert "<h1>查无此件</h1>" in refused.text and "无法办理" not in refused.text


def test_the_verification_page_says_who_sealed_and_who_attested_the_time_in_words(desks):
    agent = logged_in(desks, VILLAGE, "agent1")
    case_id = concluded_case(desks, agent)
    page = httpx.Client(base_url=url(desks, VILLAGE), timeout=30).get(f"/verify/{case_id}").text
    found = re.search(r'id="verdict-holder">([^<]*)<.*id="verdict-basis">([^<]*)<', page, re.DOTALL)
    assert found, page
    holder, basis = found.groups()
    assert basis == f"经 {PROVINCE} 的时间戳服务证明"  # the province bears no name in this chain
    assert holder.count(COUNTY) == 1 and holder.count("政务服务中心") == 1, holder  # each said once
    chain = re.findall(r"<div>(印章证书|签发机构)：(\d{12}) ", page)
    assert chain == [("印章证书", COUNTY), ("签发机构", COUNTY), ("签发机构", CITY), ("签发机构", PROVINCE)]


def test_an_offices_own_seal_is_held_by_the_office_alone_whatever_it_is_called():
    """A township's 公章 (department 政务服务中心, as every office's in the demo) read "琼湖街道便民服务中心
    （430981006000） 政务服务中心", where the county's, named …政务服务中心, had no such suffix."""
    township = holder_words("琼湖街道便民服务中心", TOWNSHIP, "政务服务中心", "公章")
    county = holder_words("沅江市政务服务中心", COUNTY, "政务服务中心", "公章")
    assert (township, county) == (f"琼湖街道便民服务中心（{TOWNSHIP}）", f"沅江市政务服务中心（{COUNTY}）")
    # a department's seal still names its department when the holder's name does not
    department = holder_words("沅江市人民政府", COUNTY, "民政局", "业务专用章")
    assert department == f"沅江市人民政府（{COUNTY}） 民政局"


def test_the_qr_page_masks_the_applicant_in_the_sealed_result_as_well(desks):
    """Anyone holding a paper (or a receipt found in the street) reaches /verify/<case id>: the
    applicant is 王** in the sealed result's content as in the case's line, their number nowhere;
    the item and the outcome stay, to recognise the case by. The file's uploader holds it: in full."""
    agent = logged_in(desks, VILLAGE, "agent1")
    case_id = concluded_case(desks, agent)
    stranger = httpx.Client(base_url=url(desks, VILLAGE), timeout=30)
    page = stranger.get(f"/verify/{case_id}").text
    assert "✔ 有效" in page, page
    assert "王秀兰" not in page and "430981196805120021" not in page, page
    shown = re.search(r'id="verdict-content">([^<]*)<', page)
    assert shown and shown.group(1) == "办件结果：社会保障卡申领，申请人 王**，结论 准予", page
    token = csrf_of(stranger.get("/verify").text)
    sealed = desks.nodes[VILLAGE].cases.get(case_id).sealed_result
    upload = stranger.post(
        "/verify", data={"csrf": token}, files={"document": (f"{case_id}.sealed", sealed, "application/json")}
    ).text
    uploaded = re.search(r'id="verdict-content">([^<]*)<', upload)
    assert uploaded and uploaded.group(1) == "办件结果：社会保障卡申领，申请人 王秀兰，结论 准予", upload


def test_the_forms_refusals_read_in_chinese_first(desks):
    agent = logged_in(desks, VILLAGE, "agent1")
    search = agent.get("/cases", params={"q": "王"})
    assert search.status_code == 400 and "请输入至少两个字" in search.text
    form = csrf_of(agent.get(f"/items/{ITEM}/apply").text)
    named = {"csrf": form, "applicant_name": "王" * (MAX_NAME_LENGTH + 1), "id_number": "430981196805120021"}
    refused = agent.post(f"/items/{ITEM}/apply", data=named)
    assert refused.status_code == 400 and f"申请人姓名不能超过 {MAX_NAME_LENGTH} 个字" in refused.text


def test_an_application_form_sent_twice_takes_in_one_case(desks):
    """A double click on 提交 (two sendings at the same moment) and a reload of the answer (a third,
    later) all end on the one receipt: the village holds one case more, not three."""
    village = desks.nodes[VILLAGE]
    agent = logged_in(desks, VILLAGE, "agent1")
    form = agent.get(f"/items/{ITEM}/apply").text
    key = re.search(r'name="submission" value="([0-9a-f]{32})"', form)
    assert key, "the form carries no submission key"
    before = len(village.cases.list_cases(role="origin"))

    def send() -> str:
        return receipt_case_id(send_application(agent, form))

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        double_click = list(pool.map(lambda _: send(), range(2)))
    assert double_click[0] == double_click[1] == send()
    assert len(village.cases.list_cases(role="origin")) == before + 1
    assert key.group(1) not in agent.get(f"/items/{ITEM}/apply").text  # a new form, a new key


def test_a_second_application_of_the_same_person_and_item_in_progress_is_taken_in_only_when_confirmed(desks):
    """A clerk who lost sight of an application (taken in by a colleague, or a receipt that did not
    print) sent it again: two cases of one citizen went up, each worked on by the handler. The form
    comes back naming the case in progress, and a second one is taken in once 确认再次申请 is ticked."""
    village = desks.nodes[VILLAGE]
    agent = logged_in(desks, VILLAGE, "agent1")
    citizen = {"applicant_name": "赵德胜", "id_number": "430981195503030018"}
    form = agent.get(f"/items/{ITEM}/apply").text
    first = receipt_case_id(agent.post(f"/items/{ITEM}/apply", data={**citizen, **_keyed(form)}, files=SCANS))
    form = agent.get(f"/items/{ITEM}/apply").text
    before = len(village.cases.list_cases(role="origin"))
    again = agent.post(f"/items/{ITEM}/apply", data={**citizen, **_keyed(form)}, files=SCANS)
    assert again.status_code == 400
    said = html.unescape(again.text)
    assert f"赵德胜 已有同一事项在办：{first}（" in said and "收件，申请）" in said, said
    assert 'name="again"' in again.text and 'value="赵德胜"' in again.text
    assert len(village.cases.list_cases(role="origin")) == before  # nothing taken in
    other = {"applicant_name": "赵德胜", "id_number": "430981195503030026"}  # another person: no question
    form = agent.get(f"/items/{ITEM}/apply").text
    assert receipt_case_id(agent.post(f"/items/{ITEM}/apply", data={**other, **_keyed(form)}, files=SCANS))
    confirmed = send_application_as(agent, again.text, {**citizen, "again": "1"})  # its files kept
    second = receipt_case_id(confirmed)
    assert second != first and village.cases.get(second).applicant.id_number == citizen["id_number"]


def _keyed(form: str) -> dict[str, str]:
    """A form's CSRF token and submission key, to send it with."""
    key = re.search(r'name="submission" value="([0-9a-f]{32})"', form)
    assert key, "the form carries no submission key"
    return {"csrf": csrf_of(form), "submission": key.group(1)}


def test_a_form_brought_back_with_the_back_button_does_not_answer_the_next_citizen_with_a_receipt(desks):
    """After the receipt, the agent's Back button brings the filled-in form back; filled in for the
    next citizen and sent, it carried the used key and was answered with the first citizen's receipt
    — the second application silently not taken. The form is no longer kept in the browser's cache,
    and a used key sent with another applicant comes back refused, filled in, on a fresh key."""
    village = desks.nodes[VILLAGE]
    agent = logged_in(desks, VILLAGE, "agent1")
    page = agent.get(f"/items/{ITEM}/apply")
    assert page.headers["cache-control"] == "no-store"
    first = village.cases.get(receipt_case_id(send_application(agent, page.text)))
    key = re.search(r'name="submission" value="([0-9a-f]{32})"', page.text)
    assert key is not None
    next_citizen = {"applicant_name": "刘建国", "id_number": "430981197207070030"}
    reused = agent.post(
        f"/items/{ITEM}/apply",
        data={"csrf": csrf_of(page.text), "submission": key.group(1), **next_citizen},
        files=SCANS,
    )
    assert reused.status_code == 400
    assert f"这张申请表已经提交过，受理为王秀兰的办件 {first.id}；刚才填写的这件申请还没有提交" in reused.text
    assert 'value="刘建国"' in reused.text and key.group(1) not in reused.text  # on a fresh key
    assert not any(c.applicant.name == "刘建国" for c in village.cases.list_cases(role="origin"))
    taken = village.cases.get(receipt_case_id(send_application_as(agent, reused.text, next_citizen)))
    assert (taken.applicant.name, taken.applicant.id_number) == ("刘建国", "430981197207070030")
    assert len(taken.materials) == 2  # the scans chosen with the reused form, kept for it


def test_a_file_sent_with_the_path_on_the_agents_pc_keeps_its_own_name_only(desks):
    """A file name with the folders of the PC it came from (C:\\Users\\<agent>\\Desktop\\…, which
    the form parser already cuts for IE, or /home/<agent>/… from other clients): the handler is not
    shown the agent's folders, and the file downloads under its own name."""
    agent = logged_in(desks, VILLAGE, "agent1")
    form = agent.get(f"/items/{ITEM}/apply").text
    receipt = send_application(
        agent,
        form,
        file_0=("C:\\Users\\李代办\\Desktop\\身份证.pdf", b"%PDF-1.4 id card", "application/pdf"),
        file_1=("/home/agent/照片.jpg", b"\xff\xd8\xff photo", "image/jpeg"),
    )
    case = desks.nodes[VILLAGE].cases.get(receipt_case_id(receipt))
    assert [m.file_name for m in case.materials] == ["身份证.pdf", "照片.jpg"]


def test_the_form_takes_scans_and_photos_judged_by_their_bytes_not_a_program_or_a_batch_file(desks):
    """A program or a batch file is refused whatever it is named and whatever type the browser
    says; a scan is stored with the type its bytes show."""
    agent = logged_in(desks, VILLAGE, "agent1")
    form = agent.get(f"/items/{ITEM}/apply").text
    reply = send_application(agent, form, file_0=("virus.exe", EXECUTABLE, "application/pdf"))
    assert reply.status_code == 400
    assert (
        "居民身份证：文件 virus.exe 是可执行程序，不能作为申请材料；请上传扫描件或照片（PDF、JPG"
        in reply.text
    )
    assert 'value="王秀兰"' in reply.text  # the form comes back filled in
    # the refused file is not kept (it said "已保留：virus.exe（不必重新选择）"), the good scan is
    assert 'id="kept_0"' not in reply.text and 'id="chosen_0">上次选择：virus.exe（请重新选择）' in reply.text
    assert 'id="kept_1">已保留：' in reply.text
    again = send_application_as(
        agent, reply.text, {"applicant_name": "王秀兰", "id_number": "430981196805120021"}
    )
    assert again.status_code == 400 and "居民身份证" in again.text and "virus.exe" not in again.text
    form = agent.get(f"/items/{ITEM}/apply").text
    reply = send_application(agent, form, file_0=("身份证.bat", BATCH, "image/jpeg"))
    assert reply.status_code == 400 and "文件 身份证.bat 是脚本或批处理文件，不能作为申请材料" in reply.text
    form = agent.get(f"/items/{ITEM}/apply").text
    reply = send_application(agent, form, file_0=("身份证.zip", zipped(["a.txt"]), "application/zip"))
    assert reply.status_code == 400 and "文件 身份证.zip 是压缩包" in reply.text
    form = agent.get(f"/items/{ITEM}/apply").text
    receipt = send_application(
        agent,
        form,
        file_0=("身份证", b"%PDF-1.7\n1 0 obj", "application/octet-stream"),
        file_1=("照片.png", photo(), "image/png"),  # a JPEG named .png is still a JPEG
    )
    case = desks.nodes[VILLAGE].cases.get(receipt_case_id(receipt))
    assert [(m.file_name, m.media_type) for m in case.materials] == [
        ("身份证", "application/pdf"),
        ("照片.png", "image/jpeg"),
    ]


def test_a_form_being_filled_in_while_the_node_restarts_is_still_taken(federation):
    """The village's node restarts (an update, a power cut) while its agent fills in a form: the
    agent is still logged in afterwards and the form, sent then, takes in the case (the desk's
    session cookie outlives the process)."""
    web_port = free_port()
    for code in CHAIN:
        federation.start(code, web_listen=f"127.0.0.1:{web_port}" if code == VILLAGE else "off")
    wait_for(lambda: federation.nodes[VILLAGE].describe().catalog_version > 0, what="the catalogue")
    federation.nodes[VILLAGE].staff.add("agent1", "李代办", "代办员", "", PASSWORD, by=OPERATOR)
    agent = logged_in(federation, VILLAGE, "agent1")
    form = agent.get(f"/items/{ITEM}/apply").text
    federation.stop(VILLAGE)
    federation.restart(VILLAGE)
    assert "李代办" in agent.get("/").text  # still logged in
    case_id = receipt_case_id(send_application(agent, form))
    assert [c.id for c in federation.nodes[VILLAGE].cases.list_cases(role="origin")] == [case_id]


def test_the_case_list_pages_back_to_older_cases(desks, monkeypatch):
    monkeypatch.setattr(desk_pages, "CASES_PER_PAGE", 2)
    agent = logged_in(desks, VILLAGE, "agent1")
    ids = [apply(agent) for _ in range(3)]  # the newest three at this point, the last one newest
    first = agent.get("/cases").text
    assert ids[2] in first and ids[1] in first and ids[0] not in first
    assert 'id="page-older"' in first and 'id="page-newer"' not in first
    second = agent.get("/cases", params={"page": "2"}).text
    assert ids[0] in second and ids[1] not in second and 'id="page-newer"' in second
    for nonsense in ("x", "-3", "9" * 40):  # the first page, or an empty last one: never an error
        assert agent.get("/cases", params={"page": nonsense}).status_code == 200
    for case_id in ids:
        wait_for(lambda c=case_id: _has_case(desks.nodes[COUNTY], c), what="the cases at the county")


def test_the_village_lists_the_results_waiting_to_be_handed_out(desks, monkeypatch):
    """To find what to 送达 the agent read the whole list: /cases?state=办结 was ignored and the page
    had no filter. The list is filtered by state (待送达: 办结 here, not yet 送达), kept in its pages."""
    monkeypatch.setattr(desk_pages, "CASES_PER_PAGE", 1)
    agent = logged_in(desks, VILLAGE, "agent1")
    concluded = [concluded_case(desks, agent) for _ in range(2)]
    waiting = apply(agent)  # applied for, not concluded
    first = agent.get("/cases", params={"state": "待送达"}).text
    assert '<option value="待送达" selected>' in first and 'id="to-deliver"' in first
    assert concluded[1] in first and waiting not in first
    older = re.search(r'href="([^"]+)" id="page-older"', first)
    assert older and "state=%E5%BE%85%E9%80%81%E8%BE%BE" in older.group(1), first
    second = agent.get(html.unescape(older.group(1))).text
    assert concluded[0] in second and waiting not in second
    assert concluded[1] in agent.get("/cases", params={"state": "办结"}).text  # as the tester typed it
    assert waiting in agent.get("/cases", params={"state": "申请"}).text
    assert agent.get("/cases", params={"state": "做完了"}).status_code == 400
    token = csrf_of(agent.get(f"/cases/{concluded[1]}").text)
    delivered = agent.post(
        f"/cases/{concluded[1]}/act", data={"csrf": token, "action": "DELIVER", "note": "当面交付"}
    )
    assert delivered.status_code == 200, delivered.text
    assert concluded[1] not in agent.get("/cases", params={"state": "待送达"}).text
    for case_id, kept in ((concluded[0], True), (concluded[1], False), (waiting, False)):  # a search too
        found = agent.get("/cases", params={"q": case_id, "state": "待送达"}).text
        assert (f'href="/cases/{case_id}"' in found) is kept, case_id
    wait_for(lambda: _has_case(desks.nodes[COUNTY], waiting), what="the case at the county")


def test_a_queue_longer_than_a_page_goes_on_to_the_next(desks, monkeypatch):
    """The 待受理 tab counted 56 while the queue listed its first 50 with no way to the others."""
    monkeypatch.setattr(desk_pages, "CASES_PER_PAGE", 2)
    agent, clerk = logged_in(desks, VILLAGE, "agent1"), logged_in(desks, COUNTY, "clerk1")
    ids = [submit_case(desks, agent) for _ in range(3)]
    waiting = desks.nodes[COUNTY].cases.queue("received", DEPARTMENT, limit=200)
    order = [c.id for c in waiting]  # first come, first served
    pages, number = [], 1
    while True:
        page = clerk.get("/queues", params={"queue": "received", "page": str(number)}).text
        pages.append(re.findall(r'href="/cases/([^"/]+)"', page))
        if 'id="page-older"' not in page:
            break
        assert f"本队列共 {len(order)} 件" in page
        number += 1
    assert [case_id for listed in pages for case_id in listed] == order and len(pages) == -(-len(order) // 2)
    assert all(case_id in order for case_id in ids)


def test_the_form_takes_a_deferred_material_and_a_bundle_in_one_application(desks):
    agent = logged_in(desks, VILLAGE, "agent1")
    form = agent.get("/items/MZ-0001/apply").text  # 最低生活保障: the 4th material may be 容缺
    assert 'name="defer_3"' in form and 'name="defer_0"' not in form and 'name="promised_on"' in form
    plain = agent.get(f"/items/{ITEM}/apply").text  # nothing deferrable, nothing to promise
    assert 'name="promised_on"' not in plain and 'name="promise_text"' not in plain
    files = {f"file_{i}": (f"scan{i}.pdf", b"%PDF-1.4 scan", "application/pdf") for i in range(3)}
    data = {"csrf": csrf_of(form), "applicant_name": "王秀兰", "id_number": "430981196805120021"}
    receipt = agent.post(
        "/items/MZ-0001/apply", data={**data, "defer_3": "1", "promised_on": "2025-11-20"}, files=files
    )
    assert receipt.status_code == 200 and "容缺后补材料" in receipt.text and "2025-11-20" in receipt.text

    form = agent.get("/items/YJS-0001/apply").text  # 新生儿出生一件事: one form for four items
    count = len(re.findall(r'name="file_(\d+)"', form))
    files = {f"file_{i}": (f"scan{i}.pdf", b"%PDF-1.4 scan", "application/pdf") for i in range(count)}
    bundle = agent.post("/items/YJS-0001/apply", data={**data, "csrf": csrf_of(form)}, files=files)
    assert bundle.status_code == 200 and "新生儿出生一件事" in bundle.text and "生育登记" in bundle.text
    assert "等待前序事项" in bundle.text and "WAITING" not in bundle.text  # a part not started yet
    # the page the form's 提交申请并打印受理回执 lands on prints, and links each started part's receipt
    assert 'id="print">打印一件事收件回执' in bundle.text
    started = re.findall(r'href="(/cases/[^"/]+/receipt)" id="receipt-\d+"', bundle.text)
    assert started and all(agent.get(link).status_code == 200 for link in started), bundle.text
    # 首问负责: each started part's receipt names the agent who took the bundle in, as a case's does
    for link in started:
        assert "收件人：李代办" in agent.get(link).text, link
    # its number, as its receipt prints it, finds it (it found 没有办件)
    bundle_id = str(bundle.url).rsplit("/", 1)[-1]
    found = agent.get("/cases", params={"q": bundle_id.lower()})
    assert found.status_code == 200 and str(found.url).endswith(f"/bundles/{bundle_id}"), found.url
    # and the point's list of its bundles (there was none: /bundles answered 404), the newest first
    listed = agent.get("/bundles")
    assert listed.status_code == 200 and 'href="/bundles">一件事</a>' in listed.text
    rows = re.findall(r'<td class="code"><a href="/bundles/([^"]+)">', listed.text)
    assert rows[0] == bundle_id
    first = listed.text.split(f'href="/bundles/{bundle_id}"', 1)[1].split("</tr>", 1)[0]
    assert "新生儿出生一件事" in first and "王秀兰" in first
    assert "办理中：办成 0 项，未办成 0 项，还在办理 4 项" in first


def test_a_bundle_has_its_own_receipt_pdf_from_its_page_and_the_cli(desks, tmp_path):
    """The only paper for a 一件事 was window.print() of its page: no office, 申请时间, 证件号码,
    materials, 容缺 promise, time limits, 收件人, QR code or footer. It is a PDF now, from the page
    and from `wuji doc bundle`, and its QR code opens the bundle's progress."""
    agent = logged_in(desks, VILLAGE, "agent1")
    form = agent.get("/items/YJS-0001/apply").text
    names = re.findall(FILE_FIELD, form)
    index = {name: int(number) for name, number in names}
    owed = index["本人银行结算账户"]
    files = {
        f"file_{i}": (f"scan{i}.pdf", b"%PDF-1.4 scan", "application/pdf")
        for i in index.values()
        if i != owed
    }
    data = {"csrf": csrf_of(form), "applicant_name": "赵小龙", "id_number": "430981198807150012",
            "phone": "13907370002", f"defer_{owed}": "1", "promised_on": "2025-11-14"}  # fmt: skip
    data["again"] = "1"  # the same family may have applied in another test
    page = agent.post("/items/YJS-0001/apply", data=data, files=files)
    assert page.status_code == 200 and "/bundles/" in str(page.url), page.text
    bundle_id = str(page.url).rsplit("/", 1)[-1]
    link = re.search(r'href="([^"]+)" target="_blank" id="print">打印一件事收件回执', page.text)
    assert link and link.group(1) == f"/bundles/{bundle_id}/receipt.pdf", page.text
    pdf = agent.get(link.group(1))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = text_of(pdf.content)
    assert "430981006001 政务服务代办点 一件事收件回执" in text and f"编号：{bundle_id}" in text, text
    assert "申请时间2025-11-03 09:00（北京时间）" in text and "430981********0012" in text
    assert "430981198807150012" not in text
    received = text[text.index("已收材料") : text.index("容缺后补材料")]
    for name in index:
        assert (name in received) == (name != "本人银行结算账户"), (name, received)
    assert "本人银行结算账户，承诺于 2025-11-14 前补交" in text
    parts = text[text.index("各事项办理部门及时限") :]
    departments = {"生育登记": "卫生健康委员会", "出生登记（户口登记）": "公安局",
                   "社会保障卡申领": "人力资源和社会保障局", "生育保险待遇核定": "医疗保障局"}  # fmt: skip
    for item, department in departments.items():
        assert item in parts and department in parts, (item, parts)
    # the office's name and department may wrap in their cell: the break then stands for the space
    assert f"{COUNTY_NAME}公安局" in parts.replace(" ", "") and "个工作日（自受理次日起算）" in parts
    assert "即办件" in parts and "待前序事项办结后开始" in parts  # 社会保障卡 (即办) follows 出生登记
    assert "收件人：李代办" in text and "打印时间：" in text
    verify = f"{url(desks, VILLAGE)}/verify/{bundle_id}"
    assert_qr(pdf.content, verify)
    progress = httpx.get(verify)  # anyone holding the paper: the parts' progress, the name masked
    assert progress.status_code == 200 and "生育保险待遇核定" in progress.text
    assert "赵**" in progress.text and "赵小龙" not in progress.text

    out = tmp_path / "bundle.pdf"
    printed = wuji("doc", "bundle", bundle_id, "-o", str(out), "--config", str(desks.config_path(VILLAGE)))
    assert printed.returncode == 0 and "已生成一件事收件回执" in printed.stdout, printed.stderr
    assert "本人银行结算账户，承诺于 2025-11-14 前补交" in text_of(out.read_bytes())


def settled_bundle(federation) -> case_pb2.Bundle:
    """A 新生儿出生一件事 that ends badly for the family: 生育登记 准予, 生育保险 不予, 出生登记 不予
    and so 社会保障卡 never started (受阻)."""
    from tests.test_bundles import BIRTH_PARTS, conclude, part, submit_bundle, wait_bundle

    bundle = submit_bundle(federation.desk(VILLAGE))
    decisions = {"WJ-0002": "", "YB-0002": "不符合生育保险待遇条件", "GA-0003": "出生医学证明有误"}
    for item, deny in decisions.items():
        handler, case_id = BIRTH_PARTS[item][0], part(bundle, item).case_id
        node = federation.nodes[handler]
        wait_for(functools.partial(_has_case, node, case_id), what=item)
        conclude(federation, handler, case_id, deny=deny)
    return wait_bundle(federation, bundle.id, lambda b: b.state == "CONCLUDED", "the bundle to settle")


def test_a_bundles_progress_is_counted_once_on_its_page_the_list_and_the_cli(desks):
    """One part 准予, one 不予, one 不予受理-like failure and one blocked: /bundles said 已全部办结（已办结
    2 / 4）, the page 已办结 2 / 4；未办成 3 项 (a 不予 counted both ways), the CLI 已办结 2/4 项."""
    bundle = settled_bundle(desks)
    said = "已全部办理完毕：办成 1 项，未办成 3 项"
    agent = logged_in(desks, VILLAGE, "agent1")
    listed = agent.get("/bundles").text
    row = listed.split(f'href="/bundles/{bundle.id}"', 1)[1].split("</tr>", 1)[0]
    assert said in row and "已办结" not in row, row
    shown = agent.get(f"/bundles/{bundle.id}").text
    progress = re.search(r'<p id="bundle-progress">(.*?)</p>', shown, re.S)
    assert progress and said in progress.group(1) and "已办结" not in progress.group(1), shown
    cli = wuji("bundle", "show", bundle.id, "--config", str(desks.config_path(VILLAGE)))
    assert cli.returncode == 0 and said in cli.stdout and "已办结" not in cli.stdout, cli.stdout
    # each part's state worded once: "办结（办结（不予）：…）" nested it, and the blocked part again
    states = [html.unescape(s) for s in re.findall(r"<td>([^<]*(?:办结|受阻|未办成)[^<]*)</td>", shown)]
    assert "未办成（不予办理）：出生医学证明有误" in states, states
    blocked = "受阻（前序事项 出生登记（户口登记）（GA-0003）未办成（不予办理），本事项不再办理）"
    assert blocked in states, states
    assert not any("办结（办结" in s or s.count("出生医学证明有误") > 1 for s in states), states
    # the public page says a denied part is 不予, not plainly 办结 beside its 未办成 count
    public = httpx.get(f"{url(desks, VILLAGE)}/verify/{bundle.id}").text
    assert public.count("办结（不予）") == 2, public


def test_the_family_rates_a_settled_bundle_once_on_its_page_not_each_part(desks):
    """Each part had its own 好差评 form on its case page, so a family rated one 一件事 three times.
    Now the bundle's page takes one rating (一事一评) once every part is settled, and each rated
    part's handler receives it as that part's; a part's page points to the bundle's instead."""
    bundle = settled_bundle(desks)
    agent = logged_in(desks, VILLAGE, "agent1")
    granted = next(p.case_id for p in bundle.parts if p.item_code == "WJ-0002")
    part_page = agent.get(f"/cases/{granted}").text
    assert 'id="rate-form"' not in part_page and 'id="rate-with-bundle"' in part_page, part_page
    page = agent.get(f"/bundles/{bundle.id}").text
    assert 'id="rate-form"' in page and f'action="/bundles/{bundle.id}/rate"' in page, page
    rated = agent.post(
        f"/bundles/{bundle.id}/rate", data={"csrf": csrf_of(page), "score": "1", "comment": "两项都没办成"}
    )
    assert rated.status_code == 200 and 'id="rated"' in rated.text, rated.text
    shown = re.search(r'<p id="bundle-rating">(.*?)</p>', rated.text, re.S)
    assert shown and "1 分（非常不满意）" in shown.group(1) and "两项都没办成" in shown.group(1), rated.text
    assert 'id="bundle-rectification"' in rated.text and 'id="rate-form"' not in rated.text
    for part in (p for p in bundle.parts if p.case_id):  # the blocked part never reached a handler
        handler = desks.nodes[part.handler]
        wait_for(
            lambda h=handler, c=part.case_id: h.ratings.of_case(c)[1] is not None,
            what=f"the 整改 of {part.item_code} at {part.handler}",
        )
        assert handler.ratings.of_case(part.case_id)[0].comment == "两项都没办成"
    again = agent.post(f"/bundles/{bundle.id}/rate", data={"csrf": csrf_of(rated.text), "score": "5"})
    assert again.status_code == 409 and "一事一评" in again.text and 'id="refusal"' in again.text
    cli = wuji("bundle", "rate", bundle.id, "--score", "5", "--config", str(desks.config_path(VILLAGE)))
    assert cli.returncode != 0 and "已评价过" in cli.stdout + cli.stderr, cli.stdout + cli.stderr
    # `wuji bundle show` says the one rating too (it said nothing of it)
    shown_cli = wuji("bundle", "show", bundle.id, "--config", str(desks.config_path(VILLAGE)), columns=80)
    assert shown_cli.returncode == 0, shown_cli.stderr
    assert "好差评（一事一评）：1 分（非常不满意）“两项都没办成” · " in shown_cli.stdout, shown_cli.stdout
    assert "（北京时间）" in shown_cli.stdout.split("一事一评")[1], shown_cli.stdout


def test_a_bundles_family_is_called_back_once_after_the_whole_bundle_is_settled(desks):
    """全量回访 listed each part of a 一件事 as it concluded, so the point called one family three
    times. A part's call now waits for the whole bundle; the list names the bundle, and one call
    recorded for one part is recorded for each of its parts."""
    from tests.test_bundles import BIRTH_PARTS, conclude, part, submit_bundle, wait_bundle

    bundle = submit_bundle(desks.desk(VILLAGE))
    first = part(bundle, "WJ-0002").case_id
    wait_for(functools.partial(_has_case, desks.nodes[TOWNSHIP], first), what="WJ-0002 at the township")
    conclude(desks, TOWNSHIP, first)
    village = desks.nodes[VILLAGE]
    wait_for(lambda: village.cases.get(first).state == case_pb2.CONCLUDED, what="办结 at the village")
    agent = logged_in(desks, VILLAGE, "agent1")
    assert first not in agent.get("/visits").text  # the rest of the family's matter is still in hand

    for item in ("YB-0002", "GA-0003"):
        handler, case_id = BIRTH_PARTS[item][0], part(bundle, item).case_id
        wait_for(functools.partial(_has_case, desks.nodes[handler], case_id), what=item)
        conclude(desks, handler, case_id, deny="不符合条件")  # the card is blocked: never started
    wait_bundle(desks, bundle.id, lambda b: b.state == "CONCLUDED", "the bundle to settle")
    listed = agent.get("/visits").text
    called = [part(bundle, item).case_id for item in ("WJ-0002", "YB-0002", "GA-0003")]
    assert all(f'action="/visits/{case_id}"' in listed for case_id in called), listed
    assert listed.count(f'<small class="bundle-call">一件事 <a href="/bundles/{bundle.id}">') == 3, listed
    # `wuji case visits` names the bundle of each call as the list does, the id whole at 80 columns
    visits = wuji("case", "visits", "--config", str(desks.config_path(VILLAGE)), columns=80)
    assert visits.returncode == 0, visits.stderr
    rows = [line.split("│")[1].strip() for line in visits.stdout.splitlines() if line.startswith("│")]
    for case_id in called:  # its item, then the bundle it belongs to, under its id
        at = rows.index(case_id)
        assert rows[at + 2 : at + 4] == ["一件事（一次回访）", bundle.id], visits.stdout
    done = agent.post(
        f"/visits/{first}", data={"csrf": csrf_of(listed), "outcome": "满意", "note": "一次回访全家"}
    )
    assert done.status_code == 200 and not any(f'action="/visits/{c}"' in done.text for c in called)
    recorded = {v.case_id: v for v in village.visits.list(include_done=True) if v.case_id in called}
    assert len(recorded) == 3
    assert {(v.visit_outcome, v.note) for v in recorded.values()} == {("满意", "一次回访全家")}


def test_the_rectifications_of_one_bundles_rating_at_a_handler_name_each_other(desks):
    """A 差评 of a whole 一件事 opens 整改 for each part, two of them at the county (公安局 and
    人社局): each department called the family back on its own. Their rows now name each other."""
    from tests.test_bundles import conclude, part, settled_bundle_from, submit_bundle

    bundle = submit_bundle(desks.desk(VILLAGE))
    first = part(bundle, "WJ-0002").case_id
    wait_for(functools.partial(_has_case, desks.nodes[TOWNSHIP], first), what="WJ-0002 at the township")
    conclude(desks, TOWNSHIP, first)
    done = settled_bundle_from(desks, bundle)
    desks.desk(VILLAGE).RateCase(
        desk_pb2.RateCaseRequest(case_id=done.id, score=1, comment="三个部门各打电话")
    )
    birth, card = part(done, "GA-0003").case_id, part(done, "RS-0001").case_id
    county = desks.nodes[COUNTY]
    wait_for(lambda: county.ratings.of_case(card)[1] and county.ratings.of_case(birth)[1], what="两项整改")
    listed = logged_in(desks, COUNTY, "boss").get("/rectifications").text
    rows = {
        case: listed.split(f'<a href="/cases/{case}">', 1)[1].split("</tr>", 1)[0] for case in (birth, card)
    }
    assert "人力资源和社会保障局" in rows[birth] and card in rows[birth], rows[birth]
    assert "公安局" in rows[card] and birth in rows[card] and "一件事一事一评" in rows[card], rows[card]


def test_a_refused_application_comes_back_filled_in_and_a_deferred_material_holds_approval(desks):
    """A typo in the identity number costs the window nothing but the files: the form returns with
    the refusal above it and what was typed, the person still logged in; the tier reads 县级. The
    容缺 material is supplied at the village point only, and 办结(准予) is offered once it is in."""
    agent = logged_in(desks, VILLAGE, "agent1")
    found = agent.get("/items", params={"q": "MZ-0001"}, headers={"HX-Request": "true"}).text
    assert "县级" in found and "county" not in found
    assert "县级" in agent.get("/items/MZ-0001").text
    form = agent.get("/items/MZ-0001/apply").text
    typed = {"applicant_name": "王秀兰", "phone": "13907370001", "defer_3": "1", "promised_on": "2025-11-20"}
    scan = {"file_0": ("scan0.pdf", b"%PDF-1.4 scan", "application/pdf")}
    refused = agent.post(
        "/items/MZ-0001/apply",
        data={**typed, "csrf": csrf_of(form), "id_number": "430981195003150023"},
        files=scan,
    )
    assert refused.status_code == 400 and 'id="refusal"' in refused.text
    assert "430981195003150023" in refused.text and "末位校验码应为" in refused.text
    # the browser keeps no chosen file: the desk does, and says so on its row
    assert 'id="kept_0">已保留：scan0.pdf' in refused.text
    assert 'id="kept_1"' not in refused.text and 'id="chosen_1"' not in refused.text  # none was chosen there
    for value in ("王秀兰", "13907370001", "2025-11-20"):
        assert f'value="{value}"' in refused.text, value
    assert 'name="defer_3" value="1" checked' in refused.text and 'id="logout"' in refused.text
    assert not any(c.applicant.name == "王秀兰" and c.applicant.id_number.endswith("23") for c in
                   desks.nodes[VILLAGE].cases.list_cases(role="origin"))  # fmt: skip

    files = {f"file_{i}": (f"scan{i}.pdf", b"%PDF-1.4 scan", "application/pdf") for i in range(3)}
    receipt = agent.post(
        "/items/MZ-0001/apply",
        data={**typed, "csrf": csrf_of(refused.text), "id_number": "430981196805120021", "again": "1"},
        files=files,
    )
    case_id = receipt_case_id(receipt)
    wait_for(lambda: _has_case(desks.nodes[COUNTY], case_id), what="the case at the county")
    # the 容缺 material is supplied at the village point, not offered at the handler
    assert 'id="supply-form"' in agent.get(f"/cases/{case_id}").text
    clerk = logged_in(desks, COUNTY, "other1")
    page = clerk.get(f"/cases/{case_id}").text
    assert 'id="supply-form"' not in page
    accepted = clerk.post(f"/cases/{case_id}/act", data={"csrf": csrf_of(page), "action": "ACCEPT"})
    assert accepted.status_code == 200
    reviewer = logged_in(desks, COUNTY, "mz-review")
    token = csrf_of(reviewer.get(f"/cases/{case_id}").text)
    assert reviewer.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "REVIEW"}).status_code == 200
    waiting = reviewer.get(f"/cases/{case_id}").text  # 办结(准予) only once the material is in
    assert 'id="approval-waits"' in waiting and 'value="APPROVE"' not in waiting and 'value="DENY"' in waiting
    supplied = agent.post(
        f"/cases/{case_id}/supply",
        data={"csrf": csrf_of(receipt.text)},
        files={"file:家庭收入和财产状况说明": ("收入.pdf", b"%PDF-1.4 income", "application/pdf")},
    )
    assert supplied.status_code == 200 and 'id="refusal"' not in supplied.text
    wait_for(lambda: 'value="APPROVE"' in reviewer.get(f"/cases/{case_id}").text, what="办结 offered")


def test_the_files_of_a_refused_application_are_kept_for_the_form_sent_again(desks):
    """The agent chose the scans and mistyped the identity number: the form comes back naming each
    file as kept, and sent again with no file chosen it takes in the case with the files of the
    first sending. A file ticked 不用此文件 is not sent, one chosen again replaces its kept one, and
    once the case is taken in the files are nobody's to take again. A form in another tab, taken in
    meanwhile, leaves them be."""
    agent = logged_in(desks, VILLAGE, "agent1")
    form = agent.get(f"/items/{ITEM}/apply").text
    person = {"applicant_name": "赵桂芳", "id_number": "430981196805120022"}  # a wrong check character
    first = {
        "file_0": ("身份证.pdf", b"%PDF-1.4 the id card chosen first", "application/pdf"),
        "file_1": ("照片.jpg", b"\xff\xd8\xff the photo chosen first", "image/jpeg"),
    }
    refused = agent.post(f"/items/{ITEM}/apply", data={**person, "csrf": csrf_of(form)}, files=first)
    assert refused.status_code == 400 and "末位校验码应为" in refused.text
    assert 'id="kept_0">已保留：身份证.pdf（不必重新选择' in refused.text
    assert 'id="kept_1">已保留：照片.jpg' in refused.text and 'id="chosen_0"' not in refused.text
    assert "已选择的文件也已保留" in refused.text
    # the next citizen's form, taken in from another tab meanwhile, leaves this one's files kept
    receipt_case_id(send_application(agent, agent.get(f"/items/{ITEM}/apply").text))

    def sent_again(page: str, files: dict | None = None, **fields: str) -> httpx.Response:
        held = re.search(r'name="held" value="([^"]+)"', page)
        data = {**person, "id_number": "430981196805120021", "csrf": csrf_of(page), "again": "1", **fields}
        data["held"] = held.group(1) if held else ""
        return agent.post(f"/items/{ITEM}/apply", data=data, files=files)

    without_photo = sent_again(refused.text, drop_file_1="1")
    assert without_photo.status_code == 400 and 'id="refusal"' in without_photo.text
    assert 'id="kept_0">已保留：身份证.pdf' in without_photo.text and 'id="kept_1"' not in without_photo.text
    photo = ("新照片.jpg", b"\xff\xd8\xff the photo chosen again", "image/jpeg")
    taken = sent_again(without_photo.text, {"file_1": photo})
    village = desks.nodes[VILLAGE]
    case = village.cases.get(receipt_case_id(taken))
    assert [(m.file_name, village.cases.material(case.id, m.id).content) for m in case.materials] == [
        ("身份证.pdf", b"%PDF-1.4 the id card chosen first"),
        ("新照片.jpg", b"\xff\xd8\xff the photo chosen again"),
    ]
    # the token of the form last refused takes nothing once its case is in
    again = sent_again(without_photo.text.replace(csrf_of(without_photo.text), csrf_of(taken.text)))
    assert again.status_code == 400 and 'id="kept_0"' not in again.text


def test_an_electronic_licence_stands_in_for_a_material_on_the_form(desks):
    """无证明 at the window: the 营业执照 a county issued (a sealed result) is uploaded with its number
    in place of the paper licence; the number alone, or a licence of someone else, is refused."""
    licence = conclude_at(desks, COUNTY, item="SJ-0001")  # 个体工商户注册登记 → 营业执照, for 周敏
    identifier = json.loads(SealedDocument.from_bytes(licence.sealed_result).content)["licence"]["identifier"]
    agent = logged_in(desks, VILLAGE, "agent1")
    form = agent.get("/items/ZJ-0001/apply").text  # 建筑业企业资质认定 accepts a 营业执照 licence
    names = re.findall(r"<tr><td>([^<*]+?)(?: <span|</td>)", form)
    at = names.index("营业执照")
    assert f'name="licence_{at}"' in form and form.count('name="licence_') == 1  # the one it accepts
    files = {f"file_{i}": (f"scan{i}.pdf", b"%PDF-1.4 scan", "application/pdf") for i in range(len(names))}
    files[f"file_{at}"] = ("营业执照.sealed", licence.sealed_result, "application/octet-stream")
    applicant = {"applicant_name": "周敏", "id_number": "43098119920304001X"}
    taken = agent.post(
        "/items/ZJ-0001/apply",
        data={**applicant, "csrf": csrf_of(form), f"licence_{at}": identifier},
        files=files,
    )
    case_id = receipt_case_id(taken)
    assert desks.nodes[VILLAGE].cases.get(case_id).materials[at].licence == identifier

    other = {**applicant, "id_number": "430981196805120021"}
    token = csrf_of(form)
    someone_else = agent.post(
        "/items/ZJ-0001/apply", data={**other, "csrf": token, f"licence_{at}": identifier}, files=files
    )
    assert someone_else.status_code == 400 and "持证人不是申请人" in someone_else.text
    assert f'value="{identifier}"' in someone_else.text  # the number is kept for the next try
    del files[f"file_{at}"]
    number_only = agent.post(
        "/items/ZJ-0001/apply",
        data={**applicant, "csrf": csrf_of(form), f"licence_{at}": identifier},
        files=files,
    )
    assert number_only.status_code == 400 and "请上传电子证照" in number_only.text
    # a licence of another kind: why it is refused is said in Chinese, not only in the English detail
    form = agent.get(f"/items/{ITEM}/apply").text  # 居民身份证 may be an electronic licence
    wrong_kind = agent.post(
        f"/items/{ITEM}/apply",
        data={**applicant, "csrf": csrf_of(form), "licence_0": identifier},
        files={**SCANS, "file_0": ("营业执照.sealed", licence.sealed_result, "application/octet-stream")},
    )
    assert wrong_kind.status_code == 400, wrong_kind.text
    assert (
        f"居民身份证的电子证照 {identifier}：所交电子证照是营业执照，不能代替居民身份证，"
        "请提交居民身份证或它的电子证照</p>"
    ) in html.unescape(wrong_kind.text)


def test_a_licence_issued_elsewhere_reads_as_issued_by_its_office_not_as_no_record(desks):
    """The village's /verify/<id> of a 营业执照 the county issued ended with "电子证照 …：本节点无此证照
    的记录（非本节点颁发）", which a citizen read as "no such licence", while the county's page said
    有效. Now it says who issued it, that its seal holds, and where its latest state is kept."""
    licence = conclude_at(desks, COUNTY, item="SJ-0001")
    identifier = json.loads(SealedDocument.from_bytes(licence.sealed_result).content)["licence"]["identifier"]

    def licence_line(code: str) -> str:
        page = httpx.Client(base_url=url(desks, code), timeout=30).get(f"/verify/{licence.id}").text
        found = re.search(r"<th>电子证照</th><td>([^<]*)</td>", page)
        assert found and "✔ 有效" in page, page
        return html.unescape(found.group(1))

    assert licence_line(COUNTY) == f"{identifier}：有效"  # the issuer keeps the licence's record
    said = licence_line(VILLAGE)
    assert "无此证照的记录" not in said, said
    assert said == (
        f"{identifier}：由{COUNTY_NAME}（{COUNTY}）颁发，电子印章核验有效；"
        "本节点未收到该证照被吊销的通知（最新状态以颁发机关的记录为准）"
    ), said


def queue_row(person: httpx.Client, queue: str, case_id: str) -> str:
    """The row of a case in a queue's first page."""
    page = person.get("/queues", params={"queue": queue}).text
    row = re.search(rf'<tr[^>]*><td class="code"><a href="/cases/{case_id}">.*?</tr>', page, re.S)
    assert row is not None, f"{case_id} is not in the queue {queue}"
    return row.group(0)


def test_only_the_special_procedure_step_that_applies_is_offered(desks):
    """特别程序 while the clock runs, 特别程序结束 while it is stopped; a refusal keeps the person.
    While it is under way the case says so, with the working days used."""
    case_id = submit_case(desks, logged_in(desks, VILLAGE, "agent1"))
    clerk = logged_in(desks, COUNTY, "clerk1")
    token = csrf_of(clerk.get(f"/cases/{case_id}").text)
    assert clerk.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "ACCEPT"}).status_code == 200
    reviewer = logged_in(desks, COUNTY, "review1")
    page = reviewer.get(f"/cases/{case_id}").text
    assert 'value="SUSPEND"' in page and 'value="RESUME"' not in page
    refused = reviewer.post(
        f"/cases/{case_id}/act", data={"csrf": csrf_of(page), "action": "RESUME", "note": "听证结束"}
    )
    assert refused.status_code == 409 and 'id="refusal"' in refused.text and "特别程序" in refused.text
    assert case_id in refused.text and ">听证结束</textarea>" in refused.text  # on the case, note kept
    assert 'id="logout"' in refused.text and "审核/审批" in refused.text  # still the reviewer's header
    suspended = reviewer.post(
        f"/cases/{case_id}/act", data={"csrf": csrf_of(page), "action": "SUSPEND", "note": "组织听证"}
    )
    assert suspended.status_code == 200
    page = reviewer.get(f"/cases/{case_id}").text
    assert 'value="RESUME"' in page and 'value="SUSPEND"' not in page
    assert 'id="ends-procedure"' in page  # 退件 (办结 after 审核) would end it: the reviewer is told
    # it is said so, here and where the case was applied for: not a 受理 case that has lost its limit
    assert "（特别程序中，办理时限计时暂停）" in page and re.search(
        r"已用 \d+/\d+ 个工作日，计时暂停中", page
    )
    agent = logged_in(desks, VILLAGE, "agent1")
    wait_for(lambda: "特别程序中" in agent.get(f"/cases/{case_id}").text, what="特别程序 at the village")
    # which procedure, and that its time is not counted, told to the applicant in writing
    assert "打印特别程序告知书" in agent.get(f"/cases/{case_id}").text
    letter = re.sub(r"\s", "", text_of(agent.get(f"/cases/{case_id}/documents/suspension").content))
    assert "特别程序告知书" in letter and "特别程序所需时间不计入办理时限" in letter and "组织听证" in letter
    assert "计时暂停（特别程序）" in queue_row(reviewer, "review", case_id)  # the queue's row says it too
    resumed = reviewer.post(
        f"/cases/{case_id}/act", data={"csrf": csrf_of(page), "action": "RESUME", "note": "听证结束"}
    )
    assert (
        resumed.status_code == 200 and "特别程序中" not in resumed.text and "计时暂停中" not in resumed.text
    )
    assert re.search(r'id="time-used">已用 \d+/\d+ 个工作日</span>', resumed.text)
    assert "计时暂停" not in queue_row(reviewer, "review", case_id)


def mz_case(federation, name: str = "周国强") -> str:
    """A 最低生活保障 case (MZ-0001, 民政局: 15 working days promised, 30 by law) submitted at the
    village, arrived at the county."""
    case = federation.desk(VILLAGE).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code="MZ-0001",
            applicant=case_pb2.Applicant(name=name, id_number="430981196805120021", phone="13800000000"),
            materials=complete_proto("MZ-0001"),
        )
    )
    wait_for(lambda: _has_case(federation.nodes[COUNTY], case.id), what="the case at the county")
    return case.id


def acted(person: httpx.Client, case_id: str, action: str, **fields: str) -> httpx.Response:
    token = csrf_of(person.get(f"/cases/{case_id}").text)
    return person.post(f"/cases/{case_id}/act", data={"csrf": token, "action": action, **fields})


def test_an_extension_is_printed_and_shown_the_same_at_the_village_and_the_county(desks):
    """After a 延期 of 10 days the village's 受理回执 said 15 个工作日 and the county's 25, each with the
    same last day and neither naming the 延期: both print the promise, the extension with its reason
    and the last day, on paper and on screen, and both case pages say the 延期."""
    case_id = mz_case(desks)
    clerk, reviewer = logged_in(desks, COUNTY, "other1"), logged_in(desks, COUNTY, "mz-review")
    agent = logged_in(desks, VILLAGE, "agent1")
    assert acted(clerk, case_id, "ACCEPT").status_code == 200
    reason = "需入户核查家庭经济状况，经分管领导批准"
    assert acted(reviewer, case_id, "EXTEND", days="10", note=reason).status_code == 200
    due = desks.nodes[COUNTY].cases.get(case_id).due_on
    wait_for(lambda: desks.nodes[VILLAGE].cases.get(case_id).due_on == due, what="the 延期 at the village")
    last_day = china_day(datetime.fromisoformat(due).date())
    said = (
        "承诺办结时限15个工作日（自受理次日起算）",
        f"经批准延期10个工作日（办理时限共25个工作日；理由：{reason}）",
        f"延期后办结日期{last_day}前",
    )
    for person in (agent, reviewer):
        screen = re.sub(r"\s", "", on_screen(person.get(f"/cases/{case_id}/receipt").text))
        printed = re.sub(r"\s", "", text_of(person.get(f"/cases/{case_id}/documents/receipt").content))
        for words in said:
            assert words in screen, screen
            assert words in printed, printed
        page = person.get(f"/cases/{case_id}").text
        assert f"办结期限 {due}" in page and "（含经批准延期 10 个工作日）" in page, page
        # the reason of a 延期 must be told to the applicant: its letter, from the history as a PDF
        assert "打印延长办理期限告知书" in page
        letter = re.sub(r"\s", "", text_of(person.get(f"/cases/{case_id}/documents/extension").content))
        for words in (
            "延长办理期限告知书",
            "经批准，办理期限延长10个工作日",
            reason,
            f"延期后办结日期{last_day}前",
        ):
            assert words in letter, letter


def test_a_refused_extension_comes_back_with_the_days_typed(desks):
    """延期 of more days than the law leaves was refused with the note kept and the days reset to 5:
    the reviewer saw another number than the one the refusal was about."""
    case_id = mz_case(desks, name="曹雪")
    clerk, reviewer = logged_in(desks, COUNTY, "other1"), logged_in(desks, COUNTY, "mz-review")
    assert acted(clerk, case_id, "ACCEPT").status_code == 200
    refused = acted(reviewer, case_id, "EXTEND", days="20", note="需入户核查")
    assert refused.status_code == 400 and "最多可延期 15 个工作日" in refused.text, refused.text
    assert re.search(r'name="days"[^>]*value="20"', refused.text), refused.text
    assert ">需入户核查</textarea>" in refused.text
    # afresh: 5, up to the 15 the law leaves
    assert 'name="days" id="days" min="1" max="15" value="5"' in reviewer.get(f"/cases/{case_id}").text


def test_the_acceptance_queue_shows_the_last_day_to_decide_on_acceptance(desks):
    """待受理 showed no deadline: 受理 must be decided within 5 working days of arrival (受理超时, a red
    card, the day after). Each row shows that day, in yellow once it is at most a working day away."""
    case_id = mz_case(desks, name="蒋红梅")
    county = desks.nodes[COUNTY]
    clerk = logged_in(desks, COUNTY, "other1")
    arrived = workdays.china_date(county.clock.now())
    last_day = workdays.add_working_days(arrived, 5)
    row = queue_row(clerk, "received", case_id)
    assert f"受理期限 {last_day.isoformat()}" in row and "即将到期" not in row, row
    assert "5 个工作日内决定是否受理" in clerk.get("/queues", params={"queue": "received"}).text
    clock, now = county.clock, county.clock.now()
    assert isinstance(clock, ManualClock)
    try:
        clock.set(china_morning(*(last_day - timedelta(days=1)).timetuple()[:3]))  # a day before
        clerk = logged_in(desks, COUNTY, "other1")  # a login of days ago has ended
        row = queue_row(clerk, "received", case_id)
        assert re.search(r'class="due yellow"><span class="accept-by">受理期限 \S+ 即将到期', row), row
    finally:
        clock.set(now)


def test_the_citizen_refused_at_acceptance_rates_the_refusal_where_they_applied(desks):
    """A 不予受理 case offered no 好差评 at the village: the refused citizen, the one most likely to
    complain, could not rate. It is rated as a concluded case is, and a 差评 reaches the county's
    department as a 整改 task. (送达 of the 不予受理决定书 is still not offered: the state machine
    has no such step.)"""
    agent = logged_in(desks, VILLAGE, "agent1")
    case_id = submit_case(desks, agent)
    clerk = logged_in(desks, COUNTY, "clerk1")
    token = csrf_of(clerk.get(f"/cases/{case_id}").text)
    done = clerk.post(
        f"/cases/{case_id}/act", data={"csrf": token, "action": "REFUSE", "note": "已在外地申领"}
    )
    assert done.status_code == 200, done.text
    assert 'id="rate-form"' not in done.text  # the handler's page: rated where the citizen applied
    village, county = desks.nodes[VILLAGE], desks.nodes[COUNTY]
    wait_for(lambda: village.cases.get(case_id).state == case_pb2.REFUSED, what="不予受理 at the village")
    page = agent.get(f"/cases/{case_id}").text
    assert 'id="rate-form"' in page and 'value="DELIVER"' not in page
    rated = agent.post(
        f"/cases/{case_id}/rate", data={"csrf": csrf_of(page), "score": "2", "comment": "理由没讲清楚"}
    )
    assert rated.status_code == 200 and 'id="rated"' in rated.text, rated.text
    assert "好差评：2 分（不满意）“理由没讲清楚”" in rated.text and 'id="rate-form"' not in rated.text
    wait_for(lambda: county.ratings.of_case(case_id)[1] is not None, what="the 整改 task at the county")
    assert case_id in clerk.get("/rectifications").text


def test_after_conclusion_the_village_calls_back_and_the_department_rectifies_a_poor_rating(desks):
    """全量回访 at the village point and 差评整改 at the county, in the browser's pages: each listed
    with its form; another department may not close the task. The rating and its 整改 stay on the
    case once given and closed."""
    agent = logged_in(desks, VILLAGE, "agent1")
    case_id = concluded_case(desks, agent)
    clerk = logged_in(desks, COUNTY, "clerk1")
    village = desks.nodes[VILLAGE]

    # 办结: in no queue now, but the county's 办件 page lists it among the cases handled there, with
    # the point it was applied at; the village's lists it with the office that handled it
    handled = clerk.get("/cases?role=handler").text
    assert case_id in handled and f"<td>{VILLAGE}</td>" in handled  # the village bears no name here
    assert case_id not in clerk.get("/cases").text  # applied for at the village, not here
    other = logged_in(desks, COUNTY, "other1")  # 民政局 staff: another department's case, not shown
    assert case_id not in other.get("/cases?role=handler").text
    assert case_id not in other.get("/cases?q=王秀兰").text and case_id in clerk.get("/cases?q=王秀兰").text
    at_village = agent.get("/cases").text
    assert f"{COUNTY_NAME} {DEPARTMENT}（{COUNTY}）" in at_village and "role=handler" not in at_village

    listed = agent.get("/visits").text
    assert case_id in listed and "王秀兰" in listed and 'href="/visits"' in listed
    token = csrf_of(listed)
    refused = agent.post(f"/visits/{case_id}", data={"csrf": token, "outcome": "还行"})
    assert refused.status_code == 400 and 'id="refusal"' in refused.text and "满意" in refused.text
    # sent without the outcome chosen: said in words, and what the agent typed is still in its row
    unchosen = agent.post(f"/visits/{case_id}", data={"csrf": token, "note": "电话已接通，群众在外地"})
    assert unchosen.status_code == 400 and f"办件 {case_id} 未选择回访结果" in unchosen.text
    assert "(not" not in unchosen.text and 'value="电话已接通，群众在外地"' in unchosen.text
    # nothing is chosen for the agent: a click on 记录 before the call must not record 满意
    assert '<option value="" selected disabled>请选择结果</option>' in listed
    assert re.search(r"<option[^>]* selected[^>]*>满意", listed) is None
    called = agent.post(f"/visits/{case_id}", data={"csrf": token, "outcome": "不满意", "note": "等了很久"})
    assert called.status_code == 200 and 'id="done"' in called.text
    assert f'action="/visits/{case_id}"' not in called.text  # no longer waiting
    recorded = [v.visit_outcome for v in village.visits.list(include_done=True) if v.case_id == case_id]
    assert recorded == ["不满意"]
    again = agent.post(f"/visits/{case_id}", data={"csrf": token, "outcome": "满意"})  # a second click
    assert again.status_code == 400 and f"办件 {case_id} 已回访" in again.text
    unknown = agent.post("/visits/430981006001-NOSUCHCASE", data={"csrf": token, "outcome": "满意"})
    assert unknown.status_code == 400 and "本节点没有办件 430981006001-NOSUCHCASE 的回访任务" in unknown.text

    # the citizen chooses: no grade is ticked beforehand, and a form sent without one is refused
    rating_form = agent.get(f"/cases/{case_id}").text
    assert 'name="score" value="5" required>' in rating_form and "checked" not in rating_form
    unrated = agent.post(f"/cases/{case_id}/rate", data={"csrf": token, "comment": "排队太久"})
    assert unrated.status_code == 400 and "请群众选择评价等级" in unrated.text
    assert 'id="rate-form"' in unrated.text and 'value="排队太久"' in unrated.text  # the comment kept
    rated = agent.post(f"/cases/{case_id}/rate", data={"csrf": token, "score": "2", "comment": "排队太久"})
    # the case shows the rating given, and no longer the form to give one (sent again: a dead end)
    assert rated.status_code == 200 and 'id="rate-form"' not in rated.text
    assert '<p id="rating">好差评：2 分（不满意）“排队太久”' in rated.text
    # its 整改 is the county's: the point says so (it said nothing of a 整改, before or after)
    handler = f"{COUNTY_NAME} {DEPARTMENT}（{COUNTY}）"
    assert f'<p id="rectification">差评整改：已转 {handler} 整改；' in rated.text
    # and once the county opens it, the point shows its deadline
    told = "差评整改：整改中，期限 "
    wait_for(lambda: told in agent.get(f"/cases/{case_id}").text, what="the deadline told")
    twice = agent.post(f"/cases/{case_id}/rate", data={"csrf": token, "score": "5"})
    assert twice.status_code == 409 and f"办件 {case_id} 已评价过：一次一评，评价提交后不能更改" in twice.text
    county = desks.nodes[COUNTY]
    wait_for(lambda: any(t.case_id == case_id for t in county.ratings.tasks()), what="the task at the county")
    tasks = clerk.get("/rectifications").text
    assert case_id in tasks and "排队太久" in tasks
    # 监察 reads every department's open tasks, with the department, and closes none
    watching = logged_in(desks, COUNTY, "boss")
    read = watching.get("/rectifications").text
    assert case_id in read and f"<td>{DEPARTMENT}</td>" in read and 'href="/rectifications"' in read
    assert f'action="/rectifications/{case_id}"' not in read
    closed_by_boss = watching.post(
        f"/rectifications/{case_id}", data={"csrf": csrf_of(read), "return_visit": "x"}
    )
    assert closed_by_boss.status_code == 403
    other = logged_in(desks, COUNTY, "other1")  # 民政局: not the department that handled it
    own_list = other.get("/rectifications").text
    assert case_id not in own_list
    # with the page's own token: refused for the department, not for a form from elsewhere
    denied = other.post(f"/rectifications/{case_id}", data={"csrf": csrf_of(own_list), "return_visit": "x"})
    assert denied.status_code == 403 and "不属于" in denied.text
    measures = "优化叫号，电话回访已认可"
    done = clerk.post(f"/rectifications/{case_id}", data={"csrf": csrf_of(tasks), "return_visit": measures})
    assert done.status_code == 200 and 'id="done"' in done.text
    closed = [t.return_visit for t in county.ratings.tasks(include_done=True) if t.case_id == case_id]
    assert closed == [measures]
    # closed, the task leaves the list; the case keeps the rating and what was put right
    assert case_id not in clerk.get("/rectifications").text
    page = clerk.get(f"/cases/{case_id}").text
    assert "好差评：2 分（不满意）“排队太久”" in page
    closing = r'<p id="rectification">差评整改：[0-9-]+ [0-9:]+ 整改完成 · 回访记录：'
    assert re.search(closing + measures, page)
    # the village point, where the citizen rated, is told what was put right
    at_point = lambda: re.search(closing + measures, agent.get(f"/cases/{case_id}").text)  # noqa: E731
    wait_for(at_point, what="the 整改 at the point")


def test_a_case_accepted_on_a_promise_is_checked_by_its_department_after_approval(desks):
    """告知承诺 then 核查: the village point applies with a promise in place of the 结婚证; once the
    city approves, the 医疗保障局 reviewer finds the check on the 核查 page and records it; a
    reviewer of another department may not."""
    agent = logged_in(desks, VILLAGE, "agent1")
    form = agent.get("/items/YB-0002/apply").text
    names = re.findall(r"<tr><td>([^<*]+?)(?: <span|</td>)", form)
    promised = names.index("结婚证")
    files = {
        f"file_{i}": (f"scan{i}.pdf", b"%PDF-1.4 scan", "application/pdf")
        for i in range(len(names))
        if i != promised
    }
    data = {"csrf": csrf_of(form), "applicant_name": "王秀兰", "id_number": "430981196805120021",
            f"promise_{promised}": "1", "promise_text": "本人承诺与配偶系合法婚姻关系",
            "again": "1"}  # fmt: skip
    unsigned = agent.post("/items/YB-0002/apply", data=data, files=files)
    assert unsigned.status_code == 400 and "须有申请人签字" in unsigned.text
    assert unsigned.text.count('id="kept_') == len(files)  # the scans wait for the form sent again
    # the signature alone is chosen; a mistyped number then keeps it with the scans
    signature = {"promise_signature": ("签字.png", b"\x89PNG signing pad capture", "image/png")}
    held = re.search(r'name="held" value="([^"]+)"', unsigned.text)
    assert held is not None
    mistyped = {**data, "held": held.group(1), "id_number": "430981196805120022"}
    refused = agent.post("/items/YB-0002/apply", data=mistyped, files=signature)
    assert refused.status_code == 400 and "末位校验码应为" in refused.text
    assert 'id="kept_signature">已保留：签字.png' in refused.text
    held = re.search(r'name="held" value="([^"]+)"', refused.text)
    assert held is not None
    receipt = agent.post("/items/YB-0002/apply", data={**data, "held": held.group(1)})  # no file chosen
    case_id = receipt_case_id(receipt)
    taken = desks.nodes[VILLAGE].cases.get(case_id)
    assert taken.promise.signature == b"\x89PNG signing pad capture" and len(taken.materials) == len(files)
    # the case shows the promise in place of the proof, and its signature opens as the image it is
    shown = agent.get(f"/cases/{case_id}").text
    assert "以承诺代替：结婚证 · 承诺人 王秀兰" in shown and "本人承诺与配偶系合法婚姻关系" in shown
    signed = agent.get(f"/cases/{case_id}/promise/signature")
    assert signed.content == b"\x89PNG signing pad capture" and signed.headers["content-type"] == "image/png"
    city = desks.nodes[CITY]
    wait_for(lambda: _has_case(city, case_id), what="the case at the city")
    clerk, reviewer = logged_in(desks, CITY, "yb-clerk"), logged_in(desks, CITY, "yb-review")
    for person, action in ((clerk, "ACCEPT"), (reviewer, "REVIEW"), (reviewer, "APPROVE")):
        token = csrf_of(person.get(f"/cases/{case_id}").text)
        done = person.post(f"/cases/{case_id}/act", data={"csrf": token, "action": action})
        assert done.status_code == 200 and 'id="refusal"' not in done.text, done.text

    page = reviewer.get("/checks").text
    assert case_id in page and "结婚证" in page and 'href="/checks"' in page
    other = logged_in(desks, CITY, "gjj-review")
    assert case_id not in other.get("/checks").text
    watching = logged_in(desks, CITY, "city-boss")  # 监察: reads the check, records none
    read = watching.get("/checks").text
    assert case_id in read and "结婚证" in read and f'action="/checks/{case_id}"' not in read
    denied = other.post(f"/checks/{case_id}", data={"csrf": csrf_of(page), "passed": "yes", "finding": "x"})
    assert denied.status_code == 403
    # a form without the verdict chosen recorded 不属实 (anything but "yes"); now it is refused
    finding = "婚姻登记系统核验一致"
    unchosen = reviewer.post(f"/checks/{case_id}", data={"csrf": csrf_of(page), "finding": finding})
    assert unchosen.status_code == 400 and "请选择核查结论" in unchosen.text
    assert f'value="{finding}"' in unchosen.text  # what the reviewer found is not typed again
    assert all(c.done_at == "" for c in city.deferrals.post_checks(include_done=True) if c.case_id == case_id)
    assert '<option value="" selected disabled>请选择结论</option>' in page
    assert '<p id="post-check">核查：待核查，核查期限 ' in reviewer.get(f"/cases/{case_id}").text
    checked = reviewer.post(
        f"/checks/{case_id}", data={"csrf": csrf_of(page), "passed": "yes", "finding": "婚姻登记系统核验一致"}
    )
    assert checked.status_code == 200 and 'id="done"' in checked.text
    [recorded] = [c for c in city.deferrals.post_checks(include_done=True) if c.case_id == case_id]
    assert recorded.passed and recorded.finding == "婚姻登记系统核验一致"
    # done, the check leaves the list; the case keeps what it found
    assert case_id not in reviewer.get("/checks").text
    assert re.search(
        r'<p id="post-check">核查：属实（[0-9-]+ [0-9:]+）：婚姻登记系统核验一致',
        reviewer.get(f"/cases/{case_id}").text,
    )
    # and so does the village's copy, and the page the receipt's QR code opens there
    wait_for(lambda: "核查：属实" in agent.get(f"/cases/{case_id}").text, what="the 核查 at the village")
    public = httpx.get(f"{url(desks, VILLAGE)}/verify/{case_id}", timeout=30).text
    assert re.search(r'<p id="post-check">告知承诺核查：属实（[0-9-]+ [0-9:]+）</p>', public)
    assert "婚姻登记系统核验一致" not in public  # what was found stays with the staff


def test_a_partner_provinces_item_is_found_and_offers_only_its_modes(desks):
    from node.catalogue import items as catalog
    from node.store.models import PartnerItem

    # what a 广东 offer leaves at a 湖南 node (node/trust/partners.py): 开具户籍证明, 异地代收代办
    offered = catalog.load_document(catalog.demo_catalog_path("440000000000")).by_code()["KS-0201"]
    with desks.nodes[VILLAGE].sessions.begin() as session:
        session.merge(
            PartnerItem(
                province="440000000000",
                code="KS-0201",
                name=offered["name"],
                handling_tier=offered["handling_tier"],
                department=offered["department"],
                modes=["异地代收代办"],
                item=offered,
            )
        )
    agent = logged_in(desks, VILLAGE, "agent1")
    found = agent.get("/items", params={"q": "hjzm"}, headers={"HX-Request": "true"})
    assert "开具户籍证明" in found.text and "外省事项 440000000000：异地代收代办" in found.text
    form = agent.get("/items/KS-0201/apply").text
    assert "<option>异地代收代办</option>" in form and "本省办理" not in form and "户籍证明申请表" in form


def test_the_supervisor_sees_each_cards_case_and_whether_it_is_closed(desks):
    """The card list had no status column (with 含已关闭 ticked, closed and open cards looked
    alike), no count, and no way to the case."""
    county = desks.nodes[COUNTY]
    case = desks.desk(VILLAGE).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code="MZ-0001",  # 最低生活保障: the county's 民政局, 15 working days
            applicant=case_pb2.Applicant(name="王秀兰", id_number="430981196805120021"),
            materials=complete_proto("MZ-0001"),
        )
    )
    wait_for(lambda: _has_case(county, case.id), what="the case at the county")
    county.cases.act(case.id, Action.ACCEPT, by=OPERATOR)
    boss = logged_in(desks, COUNTY, "boss")

    def row() -> str:
        found = re.search(
            rf"<tr><td class=\"due (\w+)\">.*?{case.id}.*?</tr>", boss.get("/supervision?closed=1").text, re.S
        )
        return found.group(0) if found else ""

    clock = county.clock
    now = clock.now()
    try:
        clock.set(now + timedelta(days=40))  # far past its 15 working days
        county.tick()
    finally:
        clock.set(now)
    late = row()
    assert "红牌" in late and f'<a href="/cases/{case.id}">{case.id}</a><br>最低生活保障对象认定' in late
    assert '<td class="nowrap">未关闭</td>' in late
    tally = re.search(
        r'<p id="tally">共 (\d+) 张（黄牌（预警） (\d+) 张，红牌（超期） (\d+) 张；未关闭 (\d+) 张）</p>',
        boss.get("/supervision?closed=1").text,
    )
    assert tally and int(tally.group(1)) == int(tally.group(2)) + int(tally.group(3)) >= 1
    open_before = int(tally.group(4))
    for action in (Action.REVIEW, Action.APPROVE):
        county.cases.act(case.id, action, note="准予", by=OPERATOR)
    county.tick()
    closed = row()
    assert re.search(r'<td class="nowrap">[0-9-]+ [0-9:]+ 关闭</td>', closed), closed
    # the table as the filters show it, for the monthly meeting's spreadsheet (there was no export)
    page = boss.get("/supervision?closed=1&colour=red").text
    link = re.search(r'<a href="([^"]+)" id="download">', page)
    assert link and html.unescape(link.group(1)) == "/supervision.csv?closed=1&colour=red"
    download = boss.get(html.unescape(link.group(1)))
    assert download.headers["content-type"].startswith("text/csv")
    assert download.content.startswith("\ufeff牌,办件,事项,办理机构".encode())  # Excel reads it as UTF-8
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    [mine] = [line for line in lines[1:] if line[1] == case.id]
    assert mine[0] == "红牌（超期）" and mine[2] == "最低生活保障对象认定" and mine[4] == "民政局"
    assert mine[3] == f"{COUNTY_NAME}（{COUNTY}）" and re.fullmatch(r"[0-9-]+ [0-9:]+", mine[9])
    assert all(line[0].startswith("红牌") for line in lines[1:])  # the page's filter, kept
    after = re.search(r"未关闭 (\d+) 张", boss.get("/supervision?closed=1").text)
    assert after and int(after.group(1)) < open_before


def red_card_case(desks, applicant: case_pb2.Applicant) -> tuple[case_pb2.Case, date]:
    """A 最低生活保障 case (MZ-0001: the county's 民政局, 15 working days) accepted at the county and
    left 40 days, so that it has a red card; and the day the card was raised (China)."""
    county = desks.nodes[COUNTY]
    case = desks.desk(VILLAGE).SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code="MZ-0001", applicant=applicant, materials=complete_proto("MZ-0001")
        )
    )
    wait_for(lambda: _has_case(county, case.id), what="the case at the county")
    county.cases.act(case.id, Action.ACCEPT, by=OPERATOR)
    clock = county.clock
    now = clock.now()
    try:
        clock.set(now + timedelta(days=40))  # far past its 15 working days: a red card
        county.tick()
    finally:
        clock.set(now)
    return case, workdays.china_date(now + timedelta(days=40))


def test_the_card_list_and_its_csv_keep_to_the_days_the_cards_were_raised(desks):
    """For the month-end 通报 the 监察 could not ask for last month's cards: the list had no dates,
    and its CSV was named by the day it was downloaded. 亮牌日期 from/to filter both now, the CSV is
    named by the period, and 上月亮牌 asks for the month before."""
    county = desks.nodes[COUNTY]
    case, raised = red_card_case(desks, case_pb2.Applicant(name="周八", id_number="430981199202021239"))
    boss = logged_in(desks, COUNTY, "boss")

    def listed(**period: str) -> tuple[str, list[list[str]], str]:
        query = {"closed": "1", **period}
        page = boss.get("/supervision", params=query).text
        download = boss.get("/supervision.csv", params=query)
        lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
        return page, lines[1:], download.headers["content-disposition"]

    page, lines, _ = listed(**{"from": (raised + timedelta(days=1)).isoformat()})
    assert case.id not in page and all(line[1] != case.id for line in lines)
    page, lines, named = listed(**{"from": raised.isoformat(), "to": raised.isoformat()})
    assert case.id in page and [line[1] for line in lines].count(case.id) == 1
    assert f'value="{raised.isoformat()}"' in page  # the form keeps the period asked
    assert named.endswith(quote(f"电子监察-{raised.isoformat()}至{raised.isoformat()}.csv"))
    page, lines, _ = listed(to=(raised - timedelta(days=1)).isoformat())
    assert case.id not in page and all(line[1] != case.id for line in lines)
    swapped = boss.get("/supervision", params={"from": "2026-11-30", "to": "2026-11-01"})
    assert swapped.status_code == 400 and "请对调两个日期" in swapped.text
    # the department is chosen, not guessed: the filter matches its exact name (民政 found nothing)
    page = boss.get("/supervision", params={"closed": "1"}).text
    departments = re.search(r'<datalist id="departments">(.*?)</datalist>', page, re.S)
    assert departments and '<option value="民政局">' in departments.group(1)
    offices = re.search(r'<datalist id="offices">(.*?)</datalist>', page, re.S)
    named = {code: name for code, name in county.names.below(county.here).items() if code != COUNTY}
    assert offices and all(
        f'<option value="{code}">{name}</option>' in offices.group(1) for code, name in named.items()
    )
    today = workdays.china_date(county.clock.now())
    end = today.replace(day=1) - timedelta(days=1)
    link = re.search(r'<a href="([^"]+)" id="last-month">上月亮牌（(\d+)月', boss.get("/supervision").text)
    assert link and int(link.group(2)) == end.month
    assert html.unescape(link.group(1)) == f"/supervision?closed=1&from={end.replace(day=1)}&to={end}"
    stats_page = boss.get("/stats").text
    stats_link = re.search(r'<a href="([^"]+)" id="last-month">', stats_page)
    assert stats_link and html.unescape(stats_link.group(1)) == f"/stats?from={end.replace(day=1)}&to={end}"
    # which department was late: 统计 counts each department's cards (it counted them in all only)
    departments = {row.key: row.figures.counts for row in county.stats.report().by_department}
    assert departments["民政局"]["cards:red"] >= 1
    table = re.search(r'<table class="list" id="by-department">(.*?)</table>', stats_page, re.S)
    row = table and re.search(r"<tr><td>民政局</td>(.*?)</tr>", table.group(1), re.S)
    cells = re.findall(r"<td>([^<]*)</td>", row.group(1)) if row else []
    assert cells[-2:] == [
        str(departments["民政局"].get("cards:yellow", 0)),
        str(departments["民政局"]["cards:red"]),
    ]


def test_the_city_supervisor_sees_the_subtrees_open_rectifications_and_each_cards_item(desks):
    """At the city /rectifications said 没有待整改的差评 while the county had one open, and above the
    handler the card list and its CSV left 事项 empty. No task travels up: the city reads each
    child's counts from its rollup, the red card of a task left past its deadline, and the item the
    card names."""
    agent = logged_in(desks, VILLAGE, "agent1")
    case_id = concluded_case(desks, agent)
    desks.desk(VILLAGE).RateCase(desk_pb2.RateCaseRequest(case_id=case_id, score=2, comment="窗口态度差"))
    county, city = desks.nodes[COUNTY], desks.nodes[CITY]
    wait_for(lambda: any(t.case_id == case_id for t in county.ratings.tasks()), what="the task at the county")

    def county_row() -> list[str]:
        page = logged_in(desks, CITY, "city-boss").get("/rectifications").text
        table = re.search(r'<table class="list" id="rectifications-below">.*?</table>', page, re.S)
        found = table.group(0) if table else ""
        row = re.search(rf"<tr><td>{COUNTY_NAME}（{COUNTY}）</td>(.*?)</tr>", found)
        return re.findall(r"<td[^>]*>(\d+)</td>", row.group(1)) if row else []

    def open_below_county() -> int:  # what the county's subtree holds open, as its nodes count
        return sum(len(desks.nodes[code].ratings.tasks()) for code in CHAIN[2:])

    clock = county.clock
    now = clock.now()
    with city.readers() as session:  # the city keeps the newest rollup: earlier tests ran the clock on
        held = session.get(StatsRollup, COUNTY)
        later = max(now + timedelta(days=40), as_utc(held.as_of) + timedelta(seconds=1) if held else now)
    township = desks.nodes[TOWNSHIP]  # an earlier test's 一件事 left a task open there too

    def township_counted() -> bool:
        with county.readers() as session:
            row = session.get(StatsRollup, TOWNSHIP)
            return row is not None and as_utc(row.as_of) >= later

    try:
        clock.set(later)  # past the 15 working days to rectify
        township.tick()  # the township's rollup goes up to the county first
        wait_for(township_counted, what="the township's rollup at the county")
        county.tick()  # the red card, and the county's rollup, go up
    finally:
        clock.set(now)
    # an earlier test's rollup may be the row first seen: wait for the one sent just now
    counts = wait_for(
        lambda: (row := county_row()) and int(row[2]) == open_below_county() and row,
        what="the county's row at the city, counting the task just opened",
    )
    bad, rectified, still_open = (int(n) for n in counts)
    assert still_open == bad - rectified >= 1, counts
    boss = logged_in(desks, CITY, "city-boss")
    overdue = f"{case_id}:rectification_overdue"
    wait_for(
        lambda: any(card.id == overdue for card in city.supervision.cards()), what="the red card at the city"
    )
    page = boss.get("/rectifications").text
    row = re.search(rf"<tr><td class=\"code\">{case_id}</td>(.*?)</tr>", page)
    assert row and "<td>社会保障卡申领</td>" in row.group(1) and f"<td>{DEPARTMENT}</td>" in row.group(1)


def test_a_department_appeals_a_poor_rating_and_the_tier_above_upholds_or_voids_it_at_the_desk(desks):
    """申诉复核 was the CLI's alone: no page filed an appeal or decided one. The county's department
    appeals from its 差评整改 page; the city's 监察 upholds one and voids the other at /appeals; the
    county sees each decision, and the voided one's 整改 closes. Whoever may not is refused in
    Chinese and nothing is filed or decided."""
    agent = logged_in(desks, VILLAGE, "agent1")
    upheld, voided = concluded_case(desks, agent), concluded_case(desks, agent)
    for case_id in (upheld, voided):
        desks.desk(VILLAGE).RateCase(desk_pb2.RateCaseRequest(case_id=case_id, score=1, comment="态度恶劣"))
    county, city = desks.nodes[COUNTY], desks.nodes[CITY]
    wait_for(
        lambda: {upheld, voided} <= {t.case_id for t in county.ratings.tasks()},
        what="the tasks at the county",
    )

    def filed_at(node) -> set[str]:
        return {appeal.case_id for appeal in node.ratings.appeals()}

    clerk = logged_in(desks, COUNTY, "clerk1")
    tasks = clerk.get("/rectifications").text
    token = csrf_of(tasks)
    assert f'action="/rectifications/{voided}/appeal"' in tasks and 'placeholder="申诉理由"' in tasks
    # another department's clerk, and the county's 监察 (who reads the list), may not appeal
    other = logged_in(desks, COUNTY, "other1")
    other_token = csrf_of(other.get("/rectifications").text)
    denied = other.post(f"/rectifications/{voided}/appeal", data={"csrf": other_token, "reason": "x"})
    assert denied.status_code == 403 and f"不属于{DEPARTMENT}" in denied.text
    boss = logged_in(desks, COUNTY, "boss")
    read = boss.get("/rectifications").text
    assert f'action="/rectifications/{voided}/appeal"' not in read
    by_boss = boss.post(f"/rectifications/{voided}/appeal", data={"csrf": csrf_of(read), "reason": "x"})
    assert by_boss.status_code == 403 and "无权使用此页面" in by_boss.text
    unreasoned = clerk.post(f"/rectifications/{voided}/appeal", data={"csrf": token, "reason": " "})
    assert unreasoned.status_code == 400 and "请填写理由" in unreasoned.text
    assert voided not in filed_at(county)

    reasons = {upheld: "申请人未按约定时间到场", voided: "同一申请人对多件办件恶意差评"}
    for case_id, reason in reasons.items():
        filed = clerk.post(f"/rectifications/{case_id}/appeal", data={"csrf": token, "reason": reason})
        assert filed.status_code == 200 and f'<p class="ok" id="appealed">{case_id} ' in filed.text
        assert f'action="/rectifications/{case_id}/appeal"' not in filed.text  # filed: its row waits
    page = clerk.get("/rectifications").text
    table = re.search(r'<table class="list" id="appeals">.*?</table>', page, re.S)
    assert table and reasons[voided] in table.group(0) and "待上级复核" in table.group(0)
    again = clerk.post(f"/rectifications/{voided}/appeal", data={"csrf": token, "reason": "再申诉"})
    assert again.status_code == 400 and f"办件 {voided} 的评价已申诉过" in again.text

    wait_for(lambda: {upheld, voided} <= filed_at(city), what="the appeals at the city")
    deciding = logged_in(desks, CITY, "city-boss")
    waiting = deciding.get("/appeals").text
    assert (
        'href="/appeals"' in waiting
        and reasons[voided] in waiting
        and f"{COUNTY_NAME}（{COUNTY}）" in waiting
    )
    assert f'action="/appeals/{voided}"' in waiting
    # the city holds no copy of the case: the appeal brought the item's name
    item_name = county.cases.get(voided).item_name
    assert f'<td class="code">{voided}</td><td>{item_name}</td>' in waiting
    # only 监察 decide: the city's window clerk has no such page, and the county's 监察 none to decide
    clerk_above = logged_in(desks, CITY, "yb-clerk")
    assert clerk_above.get("/appeals").status_code == 403
    above_token = csrf_of(clerk_above.get("/cases").text)
    refused = clerk_above.post(
        f"/appeals/{voided}", data={"csrf": above_token, "decision": "void", "note": "x"}
    )
    assert refused.status_code == 403 and "无权使用此页面" in refused.text
    assert voided not in boss.get("/appeals").text  # the county's own appeals are decided above it
    token = csrf_of(waiting)
    undecided = deciding.post(f"/appeals/{voided}", data={"csrf": token, "note": "经核实属恶意差评"})
    assert undecided.status_code == 400 and "请选择维持或作废该评价" in undecided.text
    assert 'value="经核实属恶意差评"' in undecided.text  # what the 监察 typed is kept
    unnoted = deciding.post(f"/appeals/{voided}", data={"csrf": token, "decision": "void", "note": ""})
    assert unnoted.status_code == 400 and "请填写意见" in unnoted.text
    assert not any(a.decision for a in city.ratings.appeals() if a.case_id == voided)

    decided = deciding.post(
        f"/appeals/{voided}", data={"csrf": token, "decision": "void", "note": "经核实属恶意差评"}
    )
    assert decided.status_code == 200 and f'<p class="ok" id="decided">{voided} ' in decided.text
    kept = deciding.post(
        f"/appeals/{upheld}", data={"csrf": token, "decision": "uphold", "note": "服务确有不足"}
    )
    assert kept.status_code == 200 and f'action="/appeals/{upheld}"' not in kept.text
    twice = deciding.post(f"/appeals/{voided}", data={"csrf": token, "decision": "uphold", "note": "改判"})
    assert twice.status_code == 400 and f"办件 {voided} 的申诉已复核" in twice.text

    def decided_at_county() -> bool:
        return all(a.decision for a in county.ratings.appeals() if a.case_id in reasons)

    wait_for(decided_at_county, what="the decisions at the county")
    open_tasks = {t.case_id for t in county.ratings.tasks()}
    assert upheld in open_tasks and voided not in open_tasks  # the voided rating's 整改 closed
    page = clerk.get("/rectifications").text
    table = re.search(r'<table class="list" id="appeals">.*?</table>', page, re.S)
    assert table
    assert re.search(rf"{voided}.*?作废</span>：经核实属恶意差评", table.group(0), re.S)
    assert re.search(rf"{upheld}.*?维持</span>：服务确有不足", table.group(0), re.S)
    rows = re.search(r'<table class="list" id="rectifications">.*?</table>', page, re.S)
    assert rows and upheld in rows.group(0) and voided not in rows.group(0)


def test_above_the_handler_the_card_list_and_its_csv_name_each_cards_item(desks):
    """The city's /supervision and /supervision.csv left 事项 empty: no copy of the case is held
    there. The card names its item now, and the city shows it in the 事项 column."""
    city = desks.nodes[CITY]
    case, _ = red_card_case(desks, case_pb2.Applicant(name="孙七", id_number="430981199001011237"))
    wait_for(
        lambda: any(card.case_id == case.id for card in city.supervision.cards()), what="the card at the city"
    )
    boss = logged_in(desks, CITY, "city-boss")
    listed = boss.get("/supervision").text
    card_row = re.search(rf"<td class=\"code\">{case.id}(<br>[^<]*)?</td>", listed)
    assert card_row and card_row.group(1) == "<br>最低生活保障对象认定", card_row and card_row.group(0)
    assert f'href="/cases/{case.id}"' not in listed  # not held here: no link to a page that has none
    lines = list(csv.reader(io.StringIO(boss.get("/supervision.csv").content.decode("utf-8-sig"))))
    [mine] = [line for line in lines[1:] if line[1] == case.id]
    assert mine[2] == "最低生活保障对象认定" and mine[4] == "民政局", mine
    at_county = logged_in(desks, COUNTY, "boss").get(f"/cases/{case.id}").text
    assert "超期" in at_county  # the handler's case page shows the card


def test_statistics_show_the_figures_of_wuji_stats(desks):
    concluded_case(desks, logged_in(desks, VILLAGE, "agent1"))  # a rate to show, whatever ran before
    boss = logged_in(desks, COUNTY, "boss")
    page = boss.get("/stats")
    report = desks.nodes[COUNTY].stats.report()
    assert page.status_code == 200 and "<svg" in page.text
    assert f"{report.subtree.on_time_rate * 100:.1f}%" in page.text
    assert boss.get("/supervision").status_code == 200
    # the calendars this year's and next year's time limits count on, as `wuji calendar show` says;
    # in December 2026 the next year had none yet (chinese-calendar 1.11 ends with 2026)
    clock = desks.nodes[COUNTY].clock
    now = clock.now()
    try:
        for moment in (now, china_morning(2026, 12, 1)):
            clock.set(moment)
            page = logged_in(desks, COUNTY, "boss").get("/stats")  # a login of that day
            today = workdays.china_date(moment)
            calendars = re.search(r'<table class="list" id="calendars">(.*?)</table>', page.text, re.S)
            assert calendars, "no working-day calendars on the page"
            for year in (today.year, today.year + 1):
                summary = workdays.year_summary(year)
                row = f"<td>{year}</td><td>{workdays.SOURCE_WORDS[summary.source]}</td>"
                assert row in calendars.group(1) and f"{summary.working_days} 天" in calendars.group(1)
            missing = workdays.year_summary(today.year + 1).source == workdays.STATUTORY
            assert ('id="calendar-missing"' in page.text) == missing
            assert (f"{today.year + 1} 年尚无官方工作日历" in page.text) == missing
    finally:
        clock.set(now)


def test_the_statistics_download_for_the_meeting_holds_the_pages_figures(desks):
    """There was nothing to take to the month-end 通报 from 统计: the card list had a CSV, the
    figures had none. /stats.csv holds the period's figures of the node, its subtree, each
    department and each child, as the page and `wuji stats` count them."""
    concluded_case(desks, logged_in(desks, VILLAGE, "agent1"))
    county = desks.nodes[COUNTY]
    desks.nodes[TOWNSHIP].tick()  # the township's rollup: a child's row
    wait_for(lambda: county.stats.report().by_child, what="the township's rollup at the county")
    today = workdays.china_date(county.clock.now()).isoformat()
    boss = logged_in(desks, COUNTY, "boss")
    page = boss.get("/stats", params={"from": today, "to": today}).text
    link = re.search(r'<a href="([^"]+)" id="download">', page)
    assert link and html.unescape(link.group(1)) == f"/stats.csv?from={today}&to={today}"
    # a child's row is as recent as its last rollup: the page says when that was counted
    counted = shanghai(county.stats.rollups_as_of()[TOWNSHIP])
    child_row = re.search(rf"<tr><td>{re.escape(county.names.place(TOWNSHIP))}</td>(.*?)</tr>", page, re.S)
    assert child_row and f'<td class="nowrap">{counted}</td>' in child_row.group(1)
    download = boss.get(html.unescape(link.group(1)))
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"].endswith(quote(f"统计-{today}至{today}.csv"))
    assert download.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert lines[0][1] == f"申请日期：{today}至{today}"
    header, rows = lines[1], {line[0]: dict(zip(lines[1], line, strict=True)) for line in lines[2:]}
    assert header[:3] == ["范围", "办件数", "办结数"] and "红牌" in header and "差评整改率" in header
    report = county.stats.report(today, today)
    assert rows["本级及下级"]["办件数"] == str(report.subtree.counts["cases"]) != "0"
    assert rows["本级及下级"]["按时办结率"] == f"{report.subtree.on_time_rate:.1%}"
    departments = [row for name, row in rows.items() if name.startswith("部门：")]
    assert len(departments) == len(report.by_department) >= 1
    for column in ("办件数", "办结数", "差评", "黄牌", "红牌"):
        assert sum(int(row[column]) for row in departments) == int(rows["本级"][column]), column
    assert [name for name in rows if name.startswith("下级：")] == [
        f"下级：{county.names.place(row.key)}" for row in report.by_child
    ]
    swapped = boss.get("/stats.csv", params={"from": "2026-11-30", "to": "2026-11-01"})
    assert swapped.status_code == 400 and "请对调两个日期" in swapped.text


def test_the_director_sees_the_seals_held_and_which_one_each_departments_results_get(desks):
    """A director asked which seal goes on their departments' results and until when it is good:
    seals were made with `wuji seal create` and shown nowhere after (`wuji seal list` does not
    exist). The 印章 page lists them, and for each department the seal its results get now."""
    boss = logged_in(desks, COUNTY, "boss")
    assert 'href="/seals"' in boss.get("/stats").text  # in the header, beside 统计
    page = boss.get("/seals")
    assert page.status_code == 200
    with desks.nodes[COUNTY].readers() as session:
        official = next(r for r in SealService.held(session) if r.kind == "公章")
    seals = text_of_table(page.text, "seals")
    assert [official.seal_id, official.holder, "政务服务中心", "公章"] == seals[1][:4]
    assert seals[1][-1] == "在用"
    used = {row[0]: row[1] for row in text_of_table(page.text, "department-seals")[1:]}
    assert used[DEPARTMENT] == f"{official.holder} 公章（本部门没有专用章，加盖本节点公章）"
    assert logged_in(desks, COUNTY, "clerk1").get("/seals").status_code == 403  # not a window's page


def text_of_table(page: str, table_id: str) -> list[list[str]]:
    """The cells of the table with that id, row by row, as text."""
    found = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', page, re.S)
    assert found, f"no table {table_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    cell = r"<t[dh][^>]*>(.*?)</t[dh]>"
    text = lambda c: html.unescape(re.sub(r"<[^>]+>", "", c)).strip()  # noqa: E731
    return [[text(c) for c in re.findall(cell, row, re.S)] for row in rows]


def test_the_weekly_chart_ends_with_the_period_asked(desks):
    """A director looking back at October saw October's figures beside a chart of the eight weeks
    up to today: the chart's weeks now end with the filter's last day."""
    boss = logged_in(desks, COUNTY, "boss")
    page = boss.get("/stats", params={"from": "2026-10-01", "to": "2026-10-31"})
    assert page.status_code == 200
    assert "按时办结率与提前办结率（按周，截至 2026-10-31 所在周）" in page.text
    assert "<h2>按时办结率与提前办结率（截至 2026-10-31 所在周的 8 周，按申请周）</h2>" in page.text
    labels = re.findall(r'font-size="10">(\d\d-\d\d)</text>', page.text)
    assert labels[:8] == ["09-07", "09-14", "09-21", "09-28", "10-05", "10-12", "10-19", "10-26"]
    today = workdays.china_date(desks.nodes[COUNTY].clock.now())
    assert f"截至 {today:%Y-%m-%d} 所在周" in boss.get("/stats").text  # no filter: up to today


def test_the_village_agent_sees_whether_the_link_up_is_carrying_the_cases(desks):
    """The header says the parent is connected; while it is down, how much this point holds for it,
    and that it goes up by itself once the link is back."""
    agent = logged_in(desks, VILLAGE, "agent1")
    village = desks.nodes[VILLAGE]

    def uplink() -> str:
        found = re.search(r'<span id="uplink" class="([^"]*)">([^<]*)<', agent.get("/cases").text)
        assert found, "no link line in the header"
        return f"{found.group(1)}: {found.group(2)}"

    assert uplink() == f"uplink: 上级 {TOWNSHIP} 已连接"  # the township bears no name in this chain
    desks.stop(TOWNSHIP)
    try:
        wait_for(lambda: not village.links.get(TOWNSHIP, "parent").connected, what="the link down")
        case_id = apply(agent)
        waiting = village.links.get(TOWNSHIP, "parent").outbox_depth()
        assert waiting >= 1
        stopped = "那个地址上没有节点在运行（对方已停止，或地址、端口不对）"  # once it is dialled again
        held = f"与上级 {TOWNSHIP} 的连接已中断（{stopped}）：{waiting} 条数据保存在本点，连接恢复后自动报送"
        wait_for(lambda: uplink() == f"uplink down: {held}", what=held)
        assert case_id in agent.get("/cases").text  # held and listed here
        # and the case's own page says it has not gone up yet (it showed only 申请, as after it had)
        assert "保存在本点，尚未报送上级" in sent_line(agent, case_id)
    finally:
        desks.restart(TOWNSHIP)
    wait_for(lambda: _has_case(desks.nodes[COUNTY], case_id), what="the held case at the county")
    wait_for(lambda: uplink() == f"uplink: 上级 {TOWNSHIP} 已连接", what="the line back to connected")
    handler = f"{COUNTY_NAME} {DEPARTMENT}（{COUNTY}）"
    wait_for(lambda: "办件已报送上级" in sent_line(agent, case_id), what="the case page: gone up")
    assert f"正转交 {handler}，等待受理" in sent_line(agent, case_id)


def test_the_office_above_sees_a_point_below_is_down_with_its_applicants_results_waiting(desks):
    """A village phoned its township "where is our result?": the township's pages showed the case
    concluded and nothing else, while the village's link had been down and the result sat in the
    township's outbox. Now the header of the office above names each point below that is down
    with something waiting for it, since when, and that it goes down by itself once it is back;
    and the case's page says its news has not reached the applicant's point."""
    case_id = submit_case(desks, logged_in(desks, VILLAGE, "agent1"))
    clerk = logged_in(desks, COUNTY, "clerk1")
    county = desks.nodes[COUNTY]

    def downlinks() -> list[str]:
        page = clerk.get("/cases").text
        return [html.unescape(line) for line in re.findall(r'<p class="downlink"[^>]*>([^<]*)<', page)]

    assert downlinks() == []  # every point below is linked
    desks.stop(TOWNSHIP)
    try:
        wait_for(lambda: not county.links.get(TOWNSHIP, "child").connected, what="the link down")
        assert acted(clerk, case_id, "ACCEPT").status_code == 200  # its notice waits for the township
        waiting = county.links.get(TOWNSHIP, "child").outbox_depth()
        assert waiting >= 1
        shown = downlinks()
        assert len(shown) == 1 and shown[0].startswith(f"下级 {TOWNSHIP} 未连接（最近一次连通 "), shown
        assert f"{waiting} 条办理进展或结果保存在本节点，尚未送达，该点连上后自动送达" in shown[0]
        # and the case's page, which says 受理, says the village cannot know it yet
        held = re.search(r'id="news-held"[^>]*>([^<]*)<', clerk.get(f"/cases/{case_id}").text)
        assert held, "the case page does not say its news waits for the point below"
        told = f"本件的 1 条办理进展尚未送达申请地 {VILLAGE}：与下级 {TOWNSHIP} 的连接已中断"
        assert held.group(1).startswith(told), held.group(1)
    finally:
        desks.restart(TOWNSHIP)
    wait_for(lambda: downlinks() == [], what="the line gone once the township is back")
    wait_for(lambda: 'id="news-held"' not in clerk.get(f"/cases/{case_id}").text, what="news delivered")


def test_a_township_answers_where_a_case_it_only_passed_on_is(desks):
    """The village phoned its township about a case handled at the county: the township's pages and
    `wuji case show` said only 本节点没有办件. Now they say it passed through, each of its messages
    with whence, whither and whether the next office has it: the 受理 waiting for a village that is
    down is told apart from one the village has."""
    case_id = submit_case(desks, logged_in(desks, VILLAGE, "agent1"))
    township = desks.nodes[TOWNSHIP]
    county = f"{COUNTY_NAME}（{COUNTY}）"

    def told() -> str:
        with pytest.raises(NotFound) as refused:
            township.cases.get(case_id)
        return str(refused.value)

    assert "不在本节点办理，本节点只转送它的消息、不保存副本" in told()
    assert f"申请：从 {VILLAGE} 收到，转往 {county}，对方已收到" in told()
    clerk = logged_in(desks, TOWNSHIP, "tclerk")  # the id typed into the search box: its 转送记录
    page = clerk.get("/cases", params={"q": case_id.lower()})
    assert page.status_code == 404 and f"申请：从 {VILLAGE} 收到，转往 {county}，对方已收到" in page.text
    assert "(case " not in page.text  # the English detail is for the log
    shown = wuji("case", "show", case_id, "--config", str(desks.config_path(TOWNSHIP)))
    assert shown.returncode != 0 and "不在本节点办理" in shown.stderr.replace("\n", ""), shown.stderr
    desks.stop(VILLAGE)
    try:
        wait_for(lambda: not township.links.get(VILLAGE, "child").connected, what="the village down")
        assert acted(logged_in(desks, COUNTY, "clerk1"), case_id, "ACCEPT").status_code == 200
        waiting = f"办理进展：受理：从 {county} 收到，转往 {VILLAGE}，对方尚未收到，保存在本节点"
        wait_for(lambda: waiting in told(), what="the 受理 held at the township")
    finally:
        desks.restart(VILLAGE)
    arrived = f"办理进展：受理：从 {county} 收到，转往 {VILLAGE}，对方已收到"
    wait_for(lambda: arrived in told(), what="the 受理 at the village")
    with pytest.raises(NotFound, match="本节点没有办件"):  # one that never passed: as before
        township.cases.get(f"{VILLAGE}-01NEVERPASSEDHERE")


def sent_line(agent: httpx.Client, case_id: str) -> str:
    """What the case page says of what the point sent up for the case, one line each ("" if nothing)."""
    page = agent.get(f"/cases/{case_id}").text
    found = re.findall(r'<p class="sent[^"]*" id="sent-\d+">\s*(.*?)</p>', page, re.S)
    return "\n".join(html.unescape(line).strip() for line in found)


def test_a_withdrawal_the_handler_could_not_carry_out_is_answered_at_the_village(desks):
    """The township was down while the county concluded; the agent withdrew at the applicant's
    word. The 撤回 reached the county after 办结 and was quarantined there: the village page went on
    saying 审核, then 办结, and never that the 撤回 was not done."""
    agent = logged_in(desks, VILLAGE, "agent1")
    village, county = desks.nodes[VILLAGE], desks.nodes[COUNTY]
    case_id = submit_case(desks, agent)
    assert "办件已报送上级" in sent_line(agent, case_id)  # at the county, before its 受理
    desks.stop(TOWNSHIP)
    try:
        clerk, reviewer = logged_in(desks, COUNTY, "clerk1"), logged_in(desks, COUNTY, "review1")
        for person, action in ((clerk, "ACCEPT"), (reviewer, "APPROVE")):  # a 即办件
            token = csrf_of(person.get(f"/cases/{case_id}").text)
            assert (
                person.post(f"/cases/{case_id}/act", data={"csrf": token, "action": action}).status_code
                == 200
            )
        assert county.cases.get(case_id).state == case_pb2.CONCLUDED
        page = agent.get(f"/cases/{case_id}").text
        withdraw = {"csrf": csrf_of(page), "action": "WITHDRAW", "note": "申请人要求撤回"}
        assert agent.post(f"/cases/{case_id}/act", data=withdraw).status_code == 200
        assert "\n撤回申请（" in sent_line(agent, case_id)
        assert sent_line(agent, case_id).endswith(
            "保存在本点，尚未报送上级：与上级的连接恢复后自动报送，无需重新提交"
        )
        assert 'id="do-WITHDRAW"' not in agent.get(f"/cases/{case_id}").text  # not offered twice
        again = agent.post(f"/cases/{case_id}/act", data=withdraw)  # a second click, from the old page
        said = html.unescape(again.text)
        assert again.status_code == 400 and "请勿重复申请" in said
        # still on this node: it was not "报送办理机构", as the second answer said
        assert "保存在本点，尚未报送上级" in said and "报送办理机构" not in said
    finally:
        desks.restart(TOWNSHIP)
    wait_for(lambda: "未被办理" in sent_line(agent, case_id), what="the refused 撤回 at the village")
    assert sent_line(agent, case_id).startswith("撤回申请（")  # the case itself got there: not shown
    assert "未被办理：此办件当前为“办结”状态，不能撤回" in sent_line(agent, case_id)
    assert village.cases.get(case_id).state == case_pb2.CONCLUDED  # the 办结 came down as well


def test_a_handlers_clerk_cannot_withdraw_a_case_applied_for_at_a_village(desks):
    """撤回 is the applicant's, asked for where they applied: a county clerk POSTing action=WITHDRAW
    (or `wuji case withdraw` there) ended a village's case as "withdrawn", with no word of the
    citizen's, even after 受理. A case taken in at the county's own window is still withdrawn there."""
    case_id = submit_case(desks, logged_in(desks, VILLAGE, "agent1"))
    county = desks.nodes[COUNTY]
    clerk = logged_in(desks, COUNTY, "clerk1")
    for before in ("", "ACCEPT"):
        if before:
            token = csrf_of(clerk.get(f"/cases/{case_id}").text)
            clerk.post(f"/cases/{case_id}/act", data={"csrf": token, "action": before})
        page = clerk.get(f"/cases/{case_id}").text
        assert 'id="do-WITHDRAW"' not in page
        withdraw = {"csrf": csrf_of(page), "action": "WITHDRAW", "note": ""}
        refused = clerk.post(f"/cases/{case_id}/act", data=withdraw)
        assert refused.status_code == 409, refused.text
        assert f"撤回须由申请人在申请地 {VILLAGE} 提出" in html.unescape(refused.text)
        assert county.cases.get(case_id).state != case_pb2.WITHDRAWN
    assert county.cases.get(case_id).state == case_pb2.ACCEPTED
    form = clerk.get(f"/items/{ITEM}/apply").text  # applied for at the county's own window
    own = receipt_case_id(send_application(clerk, form))
    token = csrf_of(clerk.get(f"/cases/{own}").text)
    withdraw = {"csrf": token, "action": "WITHDRAW", "note": "申请人要求撤回"}
    assert clerk.post(f"/cases/{own}/act", data=withdraw).status_code == 200
    assert county.cases.get(own).state == case_pb2.WITHDRAWN


def test_a_beginning_of_an_id_names_only_cases_the_person_may_open(desks):
    """/cases/<the start of an id> listed every case whose id began so: a 民政局 clerk at the county
    read off the ids of 人力资源和社会保障局's cases, and opening one named their department."""
    agent = logged_in(desks, VILLAGE, "agent1")
    ids = [submit_case(desks, agent) for _ in range(2)]
    shared = VILLAGE + "-"
    mine = logged_in(desks, COUNTY, "clerk1").get(f"/cases/{shared}")  # 人力资源和社会保障局's own
    assert mine.status_code == 400 and "不止一件" in mine.text
    other = logged_in(desks, COUNTY, "other1")  # 民政局
    listed = other.get(f"/cases/{shared}")
    assert not any(case_id in listed.text for case_id in ids), listed.text
    alone = other.get(f"/cases/{ids[0][:-1]}")  # one case begins so, and it is not theirs
    assert alone.status_code == 404 and ids[0] not in alone.text, alone.text
    assert DEPARTMENT not in alone.text.split("</header>")[-1]


def test_a_correction_takes_only_materials_of_the_item(desks):
    """补正材料 took a file under any name (file:结婚证 for an item with no 结婚证): the case went back
    to 申请 at the handler looking corrected, and the file asked for never came."""
    agent, clerk = logged_in(desks, VILLAGE, "agent1"), logged_in(desks, COUNTY, "clerk1")
    village, county = desks.nodes[VILLAGE], desks.nodes[COUNTY]
    case_id = submit_case(desks, agent)
    token = csrf_of(clerk.get(f"/cases/{case_id}").text)
    asked = {"csrf": token, "action": "REQUEST_CORRECTION", "note": "照片须为近期免冠彩色照片"}
    assert clerk.post(f"/cases/{case_id}/act", data=asked).status_code == 200
    wait_for(lambda: village.cases.get(case_id).state == case_pb2.CORRECTION_REQUESTED, what="补正 asked")
    token = csrf_of(agent.get(f"/cases/{case_id}").text)
    scan = ("x.pdf", b"%PDF-1.4 scan", "application/pdf")
    refused = agent.post(f"/cases/{case_id}/supply", data={"csrf": token}, files={"file:结婚证": scan})
    assert refused.status_code == 400, refused.text
    said = html.unescape(refused.text)
    assert f"社会保障卡申领（{ITEM}）没有材料 结婚证，补正只收本事项的申请材料：居民身份证、{PHOTO}" in said
    assert "补正告知：照片须为近期免冠彩色照片" in said
    assert village.cases.get(case_id).state == case_pb2.CORRECTION_REQUESTED
    assert not any(m.name == "结婚证" for m in village.cases.get(case_id).materials)
    photo_file = {f"file:{PHOTO}": ("照片.jpg", b"\xff\xd8\xff new photo", "image/jpeg")}
    supplied = agent.post(f"/cases/{case_id}/supply", data={"csrf": token}, files=photo_file)
    assert supplied.status_code == 200 and 'id="refusal"' not in supplied.text
    wait_for(lambda: county.cases.get(case_id).state == case_pb2.SUBMITTED, what="补正 at the county")


def test_a_promises_signature_is_judged_by_its_bytes_and_served_as_what_it_is(desks):
    """A program, an archive or a text was taken as the applicant's signature under a 告知承诺 and
    served back to the handler's 查看签字 as application/octet-stream with no extension."""
    agent = logged_in(desks, VILLAGE, "agent1")
    form = agent.get("/items/YB-0002/apply").text
    names = re.findall(r"<tr><td>([^<*]+?)(?: <span|</td>)", form)
    promised = names.index("结婚证")  # replaced by the promise
    files = {
        f"file_{i}": (f"scan{i}.pdf", b"%PDF-1.4 scan", "application/pdf")
        for i in range(len(names))
        if i != promised
    }
    data = {"csrf": csrf_of(form), "applicant_name": "王秀兰", "id_number": "430981196805120021",
            f"promise_{promised}": "1", "promise_text": "本人承诺已婚", "again": "1"}  # fmt: skip
    archive = zipped(["sig.png"])
    for content, what in ((EXECUTABLE, "可执行程序"), (archive, "压缩包"), ("我签了".encode(), "文本文件")):
        signature = {"promise_signature": ("sig.png", content, "image/png")}
        refused = agent.post("/items/YB-0002/apply", data=data, files={**files, **signature})
        assert refused.status_code == 400, refused.text
        assert f"承诺人签字：所给文件是{what}，不能作为签字" in html.unescape(refused.text)
    pad = {"promise_signature": ("sig.png", photo(), "image/png")}  # a JPEG, whatever its name says
    case_id = receipt_case_id(agent.post("/items/YB-0002/apply", data=data, files={**files, **pad}))
    served = agent.get(f"/cases/{case_id}/promise/signature")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content == photo() and served.headers["content-disposition"].endswith(".jpg")


def test_a_name_with_an_invisible_override_or_format_character_is_refused(desks):
    """U+202E (right-to-left override) before a name printed it reversed on papers and in lists
    (`wuji staff log` showed "\u202e王五"); a zero-width space hides inside a name so that one
    person reads as two. Applicants' and staff names refuse them, saying which; emoji are let be."""
    agent = logged_in(desks, VILLAGE, "agent1")

    def applied_as(name: str) -> httpx.Response:
        form = agent.get(f"/items/{ITEM}/apply").text
        key = re.search(r'name="submission" value="([0-9a-f]{32})"', form)
        fields = {"csrf": csrf_of(form), "applicant_name": name, "id_number": "430981196805120021"}
        fields.update(again="1", submission=key.group(1) if key else "")
        return agent.post(f"/items/{ITEM}/apply", data=fields, files=SCANS)

    for hidden in ("\u202e", "\u200b", "\u2066", "\ufeff"):
        refused = applied_as(f"{hidden}王秀兰")
        assert refused.status_code == 400, refused.text
        code = f"U+{ord(hidden):04X}"
        assert f"申请人姓名含有不可见的格式字符 {code}" in html.unescape(refused.text)
    family = "王\U0001f468\u200d\U0001f469"  # an emoji sequence joins with U+200D: not this rule's
    assert "收件回执" in applied_as(family).text
    county = desks.nodes[COUNTY]
    county.staff.add("bidi-admin", "陈管理员", "管理员", "", PASSWORD, by=OPERATOR)
    admin = logged_in(desks, COUNTY, "bidi-admin")
    form = {"username": "clerk8", "name": "\u202e王五", "role": "clerk", "department": DEPARTMENT}
    token = csrf_of(admin.get("/staff").text)
    sent = {**form, "password": PASSWORD, "password_again": PASSWORD, "csrf": token}
    refused = admin.post("/staff", data=sent)
    assert refused.status_code == 400 and "姓名含有不可见的格式字符 U+202E" in html.unescape(refused.text)
    assert "clerk8" not in [member.username for member in county.staff.list()]
    assert county.staff.add("emoji8", family, "代办员", "", PASSWORD, by=OPERATOR).name == family


def test_a_point_never_linked_is_told_it_cannot_take_applications_yet():
    """Its link never came up (a wrong parent address, a revoked certificate): no catalogue, no item
    to apply for — "本点照常受理" would send the agent looking for items that are not there."""
    never = uplink.Uplink("琼湖街道便民服务中心", False, 0, catalogue=0)
    assert never.words.startswith("尚未连上上级 琼湖街道便民服务中心，还没有收到事项目录，暂时不能受理")
    once = uplink.Uplink("琼湖街道便民服务中心", False, 2, catalogue=3)  # linked before: it works on
    assert once.words == "与上级 琼湖街道便民服务中心 的连接已中断：2 条数据保存在本点，连接恢复后自动报送"


def test_a_link_down_for_a_cause_redialling_does_not_mend_says_it_needs_the_operator():
    """After a restore the link failed on mismatched databases, and the header went on promising
    连接恢复后自动报送: it never comes back by itself. Such a trouble says the operator must act."""
    mismatch = uplink.trouble_meaning("receive failed: link 430981006001: expected seq 9, got 14")
    assert mismatch.startswith("双方的数据库对不上")
    held = uplink.Uplink("琼湖街道便民服务中心", False, 4, catalogue=3, trouble=mismatch)
    assert held.words.endswith("：4 条数据保存在本点，须运维处理后才能报送（wuji node status）"), held.words
    refused = uplink.trouble_meaning("SSL handshake failed: CERTIFICATE_VERIFY_FAILED")
    assert "须运维处理" in uplink.Uplink("琼湖街道便民服务中心", False, 0, catalogue=3, trouble=refused).words
    stopped = uplink.trouble_meaning("failed to connect to all addresses; Connection refused")
    words = uplink.Uplink("琼湖街道便民服务中心", False, 4, catalogue=3, trouble=stopped).words
    assert words.endswith("连接恢复后自动报送")  # a parent stopped comes back: it goes up by itself


def test_a_week_without_conclusions_breaks_the_rate_line_instead_of_dropping_to_zero():
    from node.web.supervision import line_chart

    svg = line_chart(["1", "2", "3", "4"], {"按时办结率": [1.0, None, 0.5, 0.5]}, "t")
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 3


def test_a_rate_with_nothing_to_be_a_share_of_reads_as_a_dash_not_as_zero():
    from node.supervision.stats import shown_rate
    from node.web.supervision import bar_chart
    from wuji.v1 import desk_pb2

    none_rated = desk_pb2.Figures(counts={"cases": 3, "concluded": 2, "on_time": 2}, on_time_rate=1.0)
    assert shown_rate(none_rated, "on_time_rate") == "100.0%"
    assert shown_rate(none_rated, "online_rate") == "0.0%"  # three cases, none of them online
    assert shown_rate(none_rated, "satisfaction") == "—" and shown_rate(none_rated, "satisfied_rate") == "—"
    assert shown_rate(none_rated, "rectification_rate") == "—"  # no 差评 to rectify
    rated = desk_pb2.Figures(counts={"ratings": 2, "rating_sum": 9}, satisfaction=4.5)
    assert shown_rate(rated, "satisfaction") == "4.50"
    svg = bar_chart([("满意率", None), ("按时办结率", 0.5)], "比率", percent=True)
    assert svg.count("<rect") == 1 and ">—</text>" in svg and ">50.0%</text>" in svg
    # a bar is measured against the scale's top, not the largest bar: 50% is half the width, and a
    # 满意度 of 2.00 two fifths of it (each filled the whole width when it was the largest)
    assert bar_width(svg) == pytest.approx(370 / 2, abs=0.1)
    assert bar_width(bar_chart([("本级及下级", 2.0)], "满意度（1–5）", full=5)) == pytest.approx(
        370 * 2 / 5, abs=0.1
    )
    assert bar_width(bar_chart([("民政局", 3.0), ("公安局", 6.0)], "办件数")) == pytest.approx(
        370 / 2, abs=0.1
    )


def bar_width(svg: str) -> float:
    """The width of a chart's first bar."""
    found = re.search(r'<rect [^>]*width="([0-9.]+)"', svg)
    assert found, "no bar"
    return float(found.group(1))


def test_a_file_that_is_not_sealed_is_not_valid(desks):
    client = httpx.Client(base_url=url(desks, VILLAGE), timeout=30)
    token = csrf_of(client.get("/verify").text)
    reply = client.post(
        "/verify", data={"csrf": token}, files={"document": ("x.sealed", b"{}", "text/plain")}
    )
    assert reply.status_code == 200 and "无效" in reply.text


def test_a_file_of_deeply_nested_json_is_refused_as_no_sealed_document_not_a_server_error(desks):
    """Anyone may upload here: JSON nested a thousand levels deep exhausted the parser (a 500 and a
    traceback in the node's log); it is no sealed document, and the page says so."""
    citizen = httpx.Client(base_url=url(desks, VILLAGE), timeout=30)
    token = csrf_of(citizen.get("/verify").text)
    for levels in (1000, 5000):
        deep = ('{"a":' * levels + "1" + "}" * levels).encode()
        reply = citizen.post(
            "/verify", data={"csrf": token}, files={"document": ("deep.sealed", deep, "application/json")}
        )
        assert reply.status_code == 400, reply.text
        notice = re.search(r'id="not-sealed">(.*?)</section>', reply.text, re.DOTALL)
        assert notice and "不是本系统的电子签章文件" in notice.group(1), reply.text


def test_a_result_altered_after_sealing_is_told_in_chinese_first(desks):
    """The citizen reads what the failure means; the step and the English reason stay in brackets."""
    case_id = concluded_case(desks, logged_in(desks, VILLAGE, "agent1"))
    raw = json.loads(desks.nodes[VILLAGE].cases.get(case_id).sealed_result)
    content = base64.b64decode(raw["content"]).decode().replace('"准予"', '"不予"')
    raw["content"] = base64.b64encode(content.encode()).decode()
    citizen = httpx.Client(base_url=url(desks, VILLAGE), timeout=30)
    token = csrf_of(citizen.get("/verify").text)
    altered = json.dumps(raw, ensure_ascii=False).encode()
    reply = citizen.post(
        "/verify", data={"csrf": token}, files={"document": ("x.sealed", altered, "text/plain")}
    )
    reason = re.search(r'id="verdict-reason">([^<]*)<', reply.text)
    assert reason and html.unescape(reason.group(1)) == (
        "无效：文件内容在盖章后被改动过，与电子印章的签名不符 "
        "(签名 signature: the signature does not match the document (altered after sealing?))"
    ), reply.text


def test_a_printed_pdf_or_a_photo_is_told_what_to_do_instead_not_judged_invalid(desks):
    """A citizen uploads the 办结通知书 PDF they were given (or a photo of the paper): it is genuine,
    only not a sealed file. The page says so in Chinese and how to check it, with no verdict."""
    agent = logged_in(desks, VILLAGE, "agent1")
    case_id = concluded_case(desks, agent)
    printed = agent.get(f"/cases/{case_id}/documents/result")
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
    citizen = httpx.Client(base_url=url(desks, VILLAGE), timeout=30)
    token = csrf_of(citizen.get("/verify").text)
    for name, data, media, said in (
        ("办结通知书.pdf", printed.content, "application/pdf", "PDF"),
        ("照片.jpg", photo, "image/jpeg", "图片"),
    ):
        reply = citizen.post("/verify", data={"csrf": token}, files={"document": (name, data, media)})
        assert reply.status_code == 200, reply.text
        assert "无效" not in reply.text and 'id="verdict"' not in reply.text, reply.text
        notice = re.search(r'id="not-sealed">(.*?)</section>', reply.text, re.DOTALL)
        assert notice and said in notice.group(1) and "二维码" in notice.group(1), reply.text
        words = re.sub(r"<[^>]+>", "", notice.group(1))
        assert ".sealed" in words and not re.search(r"[A-Za-z]{4,}", words.replace(".sealed", "")), words


def test_files_plainly_not_sealed_are_told_apart_from_sealed_ones_to_judge():
    from node.web.verify import EMPTY, IMAGE, PACKAGE, PDF_PRINTOUT, not_sealed

    assert not_sealed(b'{"format": "wuji-sealed/1"}') is None and not_sealed(b"\n{}") is None  # judged
    webp, heic = b"RIFF\x10\x00\x00\x00WEBPVP8 ", b"\x00\x00\x00\x18ftypheic\x00\x00"
    found = [not_sealed(data) for data in (b"%PDF-1.4\n", webp, heic, b"PK\x03\x04ofd", b" \n")]
    assert [plain.what if plain else "" for plain in found] == [PDF_PRINTOUT, IMAGE, IMAGE, PACKAGE, EMPTY]


# -- in a real browser --------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(
            "Debian's chromium and chromium-driver are absent (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    shutil.rmtree(ARTEFACTS, ignore_errors=True)  # this run's pages only
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


class Desk:
    """One browser at the desks: log in and out, open pages, wait for text, keep screenshots."""

    def __init__(self, driver, federation) -> None:
        self.driver = driver
        self.federation = federation
        self.shots = 0

    def open(self, code: str, path: str) -> None:
        self.driver.get(url(self.federation, code) + path)

    def login(self, code: str, username: str) -> None:
        from selenium.webdriver.common.by import By

        self.open(code, "/login")
        self.driver.find_element(By.ID, "username").send_keys(username)
        self.driver.find_element(By.ID, "password").send_keys(PASSWORD)
        self.driver.find_element(By.ID, "login").click()
        self.wait_for_text("退出")

    def logout(self) -> None:
        self.click("logout")
        self.wait_for_text("工作人员登录")

    def click(self, element_id: str) -> None:
        """Click the element, found again if the page it was found on was replaced meanwhile (the
        text a test waits for after a form may already stand on the page the form was sent from)."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By

        def clicked() -> bool:
            try:
                self.driver.find_element(By.ID, element_id).click()
            except StaleElementReferenceException:
                return False
            return True

        wait_for(clicked, 30.0, f"#{element_id} to click on {self.driver.current_url}")

    def wait_for_text(self, text: str, timeout: float = 30.0) -> None:
        wait_for(lambda: text in self.driver.page_source, timeout, f"{text!r} on {self.driver.current_url}")

    def shot(self, name: str) -> None:
        self.shots += 1
        self.driver.save_screenshot(str(ARTEFACTS / f"{self.shots:02d}-{name}.png"))


def test_a_note_being_typed_is_not_replaced_when_the_case_moves_on(desks, browser):
    """The case page's timeline refreshes itself every 2 s and holds the forms acting on the case:
    a colleague's 受理 meanwhile replaced the clerk's half-typed note with an empty form. The note
    now stays; a line says the case has moved on, and sending it is refused in words."""
    from selenium.webdriver.common.by import By

    desk = Desk(browser, desks)
    case_id = submit_case(desks, logged_in(desks, VILLAGE, "agent1"))
    desk.login(COUNTY, "clerk1")
    desk.open(COUNTY, f"/cases/{case_id}")
    desk.wait_for_text("受理")
    typed = "身份证复印件不清晰，请补正"
    browser.find_element(By.ID, "note").send_keys(typed)
    colleague = logged_in(desks, COUNTY, "clerk1")  # the same department, at another window
    token = csrf_of(colleague.get(f"/cases/{case_id}").text)
    accepted = colleague.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "ACCEPT"})
    assert accepted.status_code == 200
    moved = browser.find_element(By.ID, "timeline-moved")
    wait_for(moved.is_displayed, 15.0, "the line that the case moved on")
    assert browser.find_element(By.ID, "note").get_attribute("value") == typed
    desk.click("do-REQUEST_CORRECTION")
    desk.wait_for_text("此办件当前为“受理”状态，不能补正告知")


def test_a_case_from_a_village_point_to_the_county_and_back_in_a_browser(desks, browser, tmp_path):
    from selenium.webdriver.common.by import By

    desk = Desk(browser, desks)
    village, county = desks.nodes[VILLAGE], desks.nodes[COUNTY]

    # a wrong password is refused in words; then the village agent finds the item by pinyin
    # initials, reads its guide, applies with two files
    desk.open(VILLAGE, "/login")
    browser.find_element(By.ID, "username").send_keys("agent1")
    browser.find_element(By.ID, "password").send_keys("not-the-password")
    desk.click("login")
    desk.wait_for_text("用户名或密码错误")
    desk.shot("village-login-refused")
    desk.login(VILLAGE, "agent1")
    desk.open(VILLAGE, "/items?q=shbzk")
    desk.wait_for_text("社会保障卡申领")
    desk.shot("village-items")
    browser.find_element(By.LINK_TEXT, "社会保障卡申领").click()
    desk.wait_for_text("办事指南")
    desk.shot("village-guide")
    desk.open(VILLAGE, f"/items/{ITEM}/notice")
    desk.wait_for_text("一次性告知书")
    desk.shot("village-notice")
    browser.back()
    desk.wait_for_text("办事指南")
    desk.click("apply")
    desk.wait_for_text("申请材料")
    browser.find_element(By.ID, "applicant_name").send_keys("王秀英")  # none of hers in progress here
    browser.find_element(By.ID, "id_number").send_keys("430981196908230020")
    browser.find_element(By.ID, "phone").send_keys("13907371234")
    identity, photo = tmp_path / "身份证.pdf", tmp_path / "照片.jpg"
    identity.write_bytes(b"%PDF-1.4 identity card")
    photo.write_bytes(b"\xff\xd8\xff a photo")
    browser.find_element(By.ID, "file_0").send_keys(str(identity))
    browser.find_element(By.ID, "file_1").send_keys(str(photo))
    desk.shot("village-apply")
    desk.click("submit")
    desk.wait_for_text("收件回执")
    case_id = browser.find_element(By.ID, "case-id").text
    desk.shot("village-receipt")
    (ARTEFACTS / "receipt.pdf").write_bytes(__import__("base64").b64decode(browser.print_page()))
    desk.logout()

    # the county clerk finds it in the queue and asks for a correction (补正, 一次性告知)
    wait_for(lambda: _has_case(county, case_id), what="the case to reach the county")
    desk.login(COUNTY, "clerk1")
    desk.open(COUNTY, "/queues?queue=received")
    desk.wait_for_text(case_id)
    desk.shot("county-queue")
    browser.find_element(By.LINK_TEXT, case_id).click()
    desk.wait_for_text("办理过程")
    browser.find_element(By.ID, "note").send_keys("照片不符合要求：请补交白底近期免冠彩色照片")
    desk.shot("county-case")
    desk.click("do-REQUEST_CORRECTION")
    desk.wait_for_text("补正告知")
    # the words stood on the page before the click too: wait for the 补正 itself before leaving
    # (a logout racing the form's answer once left the session logged in, and no login form)
    wait_for(
        lambda: county.cases.get(case_id).state == case_pb2.CORRECTION_REQUESTED, what="补正 at the county"
    )
    desk.shot("county-correction")
    desk.logout()

    # the agent sees the 补正 arrive and supplies the photo
    desk.login(VILLAGE, "agent1")
    desk.open(VILLAGE, f"/cases/{case_id}")
    desk.wait_for_text("补正材料")
    desk.shot("village-correction")
    inputs = browser.find_elements(By.CSS_SELECTOR, "#supply-form input[type=file]")
    photo_input = next(i for i in inputs if "照片" in i.get_attribute("name"))
    new_photo = tmp_path / "新照片.jpg"
    new_photo.write_bytes(b"\xff\xd8\xff a better photo")
    photo_input.send_keys(str(new_photo))
    desk.click("supply")
    desk.wait_for_text("补正材料")
    desk.logout()

    # the clerk accepts (受理); the department's reviewer concludes with the seal (办结·准予)
    wait_for(lambda: county.cases.get(case_id).state == 1, what="the corrected case back at the county")
    desk.login(COUNTY, "clerk1")
    desk.open(COUNTY, f"/cases/{case_id}")
    desk.wait_for_text("新照片.jpg")
    desk.click("do-ACCEPT")
    desk.wait_for_text("受理")
    wait_for(lambda: county.cases.get(case_id).state == case_pb2.ACCEPTED, what="受理 at the county")
    desk.logout()
    desk.login(COUNTY, "review1")
    desk.open(COUNTY, f"/cases/{case_id}")
    desk.wait_for_text("办结(准予)")
    browser.find_element(By.ID, "note").send_keys("准予办理，社会保障卡已制卡")
    desk.click("do-APPROVE")
    desk.wait_for_text("打印办理结果")
    desk.shot("county-concluded")
    desk.logout()

    # the agent sees 办结 by itself, records the citizen's rating, and the result verifies
    desk.login(VILLAGE, "agent1")
    desk.open(VILLAGE, f"/cases/{case_id}")
    wait_for(lambda: "办结" in browser.find_element(By.ID, "state").text, 60, "办结 at the village")
    desk.wait_for_text("好差评")
    desk.shot("village-concluded")
    desk.click("rate")  # nothing chosen: the browser keeps the form (the grade is required)
    assert "评价已记录" not in browser.page_source
    browser.find_element(By.CSS_SELECTOR, 'input[name="score"][value="5"]').click()  # the citizen's choice
    desk.click("rate")
    desk.wait_for_text("评价已记录")
    desk.click("print-result")
    desk.wait_for_text("扫描二维码核验电子印章与办件结果")  # the PDF's words
    desk.shot("village-result")
    sealed = tmp_path / f"{case_id}.sealed"
    sealed.write_bytes(village.cases.get(case_id).sealed_result)  # what the download link serves
    desk.open(VILLAGE, "/verify")
    browser.find_element(By.ID, "document").send_keys(str(sealed))
    desk.click("verify")
    desk.wait_for_text("有效")
    assert "有效" in browser.find_element(By.ID, "verdict-headline").text
    assert "430981000000" in browser.find_element(By.ID, "verdict-holder").text
    assert "时间戳服务证明" in browser.find_element(By.ID, "verdict-time").text  # RFC 3161, the province's
    # the county's list came with the result, issued after it was attested: revocation is checked
    assert "未核验" not in browser.find_element(By.ID, "verdict-headline").text
    revocation = browser.find_element(By.ID, "verdict-revocation").text  # in words, no UTC stamps
    assert revocation == f"签章时证书未被吊销（依据 {COUNTY_NAME}（{COUNTY}） 的吊销列表）"
    desk.shot("village-verify")
    desk.driver.get(f"{url(desks, VILLAGE)}/verify/{case_id}")  # where the printed QR codes lead
    desk.wait_for_text("有效")
    assert "办结" in browser.find_element(By.ID, "progress-state").text
    desk.shot("village-verify-qr")
    # a tablet at the village point: every page fits its width, a wide table scrolls in place
    browser.set_window_size(500, 900)
    pages = (("apply", "/items/MZ-0001/apply", "申请材料"), ("cases", "/cases", case_id),
             ("case", f"/cases/{case_id}", "办理过程"))  # fmt: skip
    for name, path, text in pages:
        desk.open(VILLAGE, path)
        desk.wait_for_text(text)
        page_width = "return document.documentElement.scrollWidth - window.innerWidth"
        assert browser.execute_script(page_width) <= 0, path
        desk.shot(f"village-narrow-{name}")
    # a phone (390 px): the citizen's QR page fits, and the apply form's 容缺 choice is on screen,
    # not in a table scrolled off to the right
    browser.set_window_size(390, 844)
    inner_width = browser.execute_script("return window.innerWidth")
    desk.open(VILLAGE, f"/verify/{case_id}")
    desk.wait_for_text("办理状态")
    assert browser.execute_script(page_width) <= 0
    heading = browser.find_element(By.CSS_SELECTOR, "#case-progress h2")
    assert heading.rect["x"] + heading.rect["width"] <= inner_width  # the whole case id, wrapped
    desk.shot("village-phone-verify")
    desk.open(VILLAGE, "/items/MZ-0001/apply")
    desk.wait_for_text("申请材料")
    deferrable = browser.find_element(By.CSS_SELECTOR, 'input[name^="defer_"]')
    assert deferrable.rect["x"] + deferrable.rect["width"] <= inner_width
    desk.shot("village-phone-apply")
    browser.set_window_size(1280, 1000)
    desk.logout()

    # 监察 at the county: the cards and the statistics, with this case counted
    desk.login(COUNTY, "boss")
    desk.open(COUNTY, "/supervision")
    desk.wait_for_text("电子监察")
    desk.shot("county-supervision")
    desk.open(COUNTY, "/stats")
    desk.wait_for_text("按时办结率")
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    desk.shot("county-stats")


def test_a_desk_beyond_loopback_is_served_over_tls_with_the_nodes_certificate(federation):
    import ssl

    from tests.harness import PROVINCE

    node = federation.start(PROVINCE, web_listen="0.0.0.0:0")
    assert node.web is not None and node.web.tls and node.web.url.startswith("https://")
    trusted = ssl.create_default_context(cadata=(node.identity.folder / "root.pem").read_text())
    with httpx.Client(base_url=f"https://127.0.0.1:{node.web.port}", verify=trusted, timeout=30) as client:
        page = client.get("/login")
    assert page.status_code == 200 and "工作人员登录" in page.text
    cookie = page.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{node.web.port}/login", timeout=10)


def test_a_decision_with_no_seal_to_seal_it_is_refused_in_words_and_the_note_is_kept(desks):
    """办结 needs the department's seal (or the node's 公章): where the node has none valid, the
    reviewer reads in Chinese what is missing and who makes it, and the decision typed stays."""
    agent = logged_in(desks, VILLAGE, "agent1")
    case_id = submit_case(desks, agent)
    clerk, reviewer = logged_in(desks, COUNTY, "clerk1"), logged_in(desks, COUNTY, "review1")
    token = csrf_of(clerk.get(f"/cases/{case_id}").text)
    assert clerk.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "ACCEPT"}).status_code == 200
    county = desks.nodes[COUNTY]
    with county.sessions.begin() as session:  # every seal of the county expired
        kept = {r.seal_id: r.valid_to for r in session.scalars(select(SealRecord))}
        session.execute(update(SealRecord).values(valid_to=datetime.now(UTC) - timedelta(days=1)))
    try:
        decision = "经审核，符合条件，准予办理"
        token = csrf_of(reviewer.get(f"/cases/{case_id}").text)
        refused = reviewer.post(
            f"/cases/{case_id}/act", data={"csrf": token, "action": "APPROVE", "note": decision}
        )
        assert refused.status_code == 409 and 'id="refusal"' in refused.text
        assert f"本节点没有 {DEPARTMENT} 可用的印章（业务专用章或公章），办件未办结" in refused.text
        assert f">{decision}</textarea>" in refused.text  # the decision is not typed again
        assert county.cases.get(case_id).state == case_pb2.ACCEPTED
    finally:
        with county.sessions.begin() as session:
            for seal_id, valid_to in kept.items():
                session.execute(
                    update(SealRecord).where(SealRecord.seal_id == seal_id).values(valid_to=valid_to)
                )
    token = csrf_of(reviewer.get(f"/cases/{case_id}").text)
    done = reviewer.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "APPROVE", "note": decision})
    assert done.status_code == 200 and county.cases.get(case_id).state == case_pb2.CONCLUDED


def test_the_handler_sees_one_person_applying_twice_and_one_number_under_two_names(desks):
    """The point's own question (已有同一事项在办) sees only what was taken in there: the handler's
    case page names the applicant's other case of the item in progress, and the other name their
    identity number was given under, before anyone decides."""
    agent = logged_in(desks, VILLAGE, "agent1")
    number = "430981197203150033"

    def applied(name: str) -> str:
        form = agent.get(f"/items/{ITEM}/apply").text
        fields = {"csrf": csrf_of(form), "applicant_name": name, "id_number": number, "again": "1"}
        key = re.search(r'name="submission" value="([0-9a-f]{32})"', form)
        assert key
        reply = agent.post(f"/items/{ITEM}/apply", data={**fields, "submission": key.group(1)}, files=SCANS)
        return receipt_case_id(reply)

    first, second, misnamed = applied("刘德明"), applied("刘德明"), applied("刘得明")
    county = desks.nodes[COUNTY]
    for case_id in (first, second, misnamed):
        wait_for(lambda c=case_id: _has_case(county, c), what="the cases at the county")
    clerk = logged_in(desks, COUNTY, "clerk1")
    page = clerk.get(f"/cases/{second}").text
    twice = re.search(r'<td class="due yellow" id="applied-twice">(.*?)</td>', page)
    assert twice and twice.group(1).startswith("刘德明 另有同一事项在办：")
    assert (
        first in twice.group(1)
        and misnamed in twice.group(1)
        and f'href="/cases/{second}"' not in twice.group(1)
    )
    assert "身份证号 430981197203150033 在本节点另有办件登记的姓名为 刘得明" in page
    # decided, a case no longer asks: nothing is open to compare it with
    token = csrf_of(page)
    clerk.post(
        f"/cases/{misnamed}/act", data={"csrf": token, "action": "REFUSE", "note": "姓名与身份证件不符"}
    )
    clerk.post(f"/cases/{first}/act", data={"csrf": token, "action": "REFUSE", "note": "重复申请"})
    page = clerk.get(f"/cases/{second}").text
    assert 'id="applied-twice"' not in page and "刘得明" in page  # the other name stays on record
    assert 'id="other-names"' not in clerk.get(f"/cases/{first}").text


def test_the_tab_of_cases_handled_here_lists_only_those_among_the_results_to_hand_out(desks):
    """At the county, /cases?role=handler&state=待送达 (由本服务点办理) listed a case taken in at
    its window and handled elsewhere (a 两地联办 part at 南山区): the 待送达 filter turned the tab
    into the list of cases applied for here. It keeps to cases handled here; the other tab still
    lists the result the county's window hands out."""
    county, city = desks.desk(COUNTY), desks.desk(CITY)
    item = "GA-0002"  # 普通护照签发: a city item, taken in at the county's window
    case = county.SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code=item,
            applicant=case_pb2.Applicant(name="黄伟", id_number="43098119920304001X"),
            materials=complete_proto(item),
        )
    )
    wait_for(lambda: _has_case(desks.nodes[CITY], case.id), what="the case at the city")
    for action in (case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE):
        city.ActOnCase(desk_pb2.ActOnCaseRequest(case_id=case.id, action=action, note="同意"))
    wait_for(
        lambda: desks.nodes[COUNTY].cases.get(case.id).state == case_pb2.CONCLUDED, what="办结 at the county"
    )
    boss = logged_in(desks, COUNTY, "boss")
    handled = boss.get("/cases", params={"role": "handler", "state": "待送达"})
    assert handled.status_code == 200 and 'id="to-deliver"' in handled.text
    assert case.id not in handled.text
    assert 'class="active" id="cases-handler"' in handled.text
    assert case.id in boss.get("/cases", params={"state": "待送达"}).text  # to hand out at this window


def test_a_step_a_colleague_took_first_is_refused_on_the_page_as_the_case_now_stands(desks, monkeypatch):
    """Two clerks pressed 受理 on one case at once: the loser's 409 said why, but the page under it
    still showed 申请 with 受理 / 不予受理 offered again. The refused page reads the case again:
    the colleague's 受理 in its history, no button of the old state, the typed note kept."""
    agent, clerk = logged_in(desks, VILLAGE, "agent1"), logged_in(desks, COUNTY, "clerk1")
    case_id = submit_case(desks, agent)
    page = clerk.get(f"/cases/{case_id}").text
    assert 'id="do-ACCEPT"' in page
    cases = desks.nodes[COUNTY].cases
    colleague = Actor(COUNTY, "clerk6", "周受理", Role.CLERK, DEPARTMENT)
    act = cases.act

    def first_a_colleague(case, action, *args, **kwargs):  # their 受理 lands just before this one
        monkeypatch.setattr(cases, "act", act)
        act(case, Action.ACCEPT, "", 0, colleague)
        return act(case, action, *args, **kwargs)

    monkeypatch.setattr(cases, "act", first_a_colleague)
    lost = clerk.post(
        f"/cases/{case_id}/act", data={"csrf": csrf_of(page), "action": "ACCEPT", "note": "材料齐全"}
    )
    assert lost.status_code == 409 and "此办件当前为“受理”状态，不能受理" in lost.text
    assert '<strong id="state">受理</strong>' in lost.text and "周受理 (clerk6)" in lost.text
    assert 'id="do-ACCEPT"' not in lost.text and 'id="do-REFUSE"' not in lost.text
    assert "材料齐全" in lost.text  # no form to put it back in: shown beside the refusal


def test_a_refusal_of_a_role_or_department_says_in_chinese_whose_step_it_is(desks):
    """A clerk met "…无权执行此操作 (decide): the role clerk may not", "…不属于 民政局: only its staff
    see its cases handled here" and "一次性告知书 belongs to an item: …": each is now a whole Chinese
    sentence saying whom to turn to (the English after it in brackets goes to the log only)."""
    case_id = submit_case(desks, logged_in(desks, VILLAGE, "agent1"))
    clerk, reviewer = logged_in(desks, COUNTY, "clerk1"), logged_in(desks, COUNTY, "review1")
    token = csrf_of(clerk.get(f"/cases/{case_id}").text)
    assert clerk.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "ACCEPT"}).status_code == 200
    approve = clerk.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "APPROVE"})
    assert approve.status_code == 403
    assert "无权办结(准予)：窗口受理人员不能办结(准予)，请由审核/审批人员办理</p>" in approve.text
    token = csrf_of(reviewer.get(f"/cases/{case_id}").text)
    accept = reviewer.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "ACCEPT"})
    assert accept.status_code == 403 and "审核/审批人员不能受理，请由窗口受理人员办理" in accept.text
    hidden = logged_in(desks, COUNTY, "other1").get(f"/cases/{case_id}")
    assert hidden.status_code == 403
    said = f"不属于{DEPARTMENT}，不能查看{DEPARTMENT}在本节点办理的办件：请由{DEPARTMENT}的工作人员查看</p>"
    assert said in hidden.text
    notice = clerk.get(f"/cases/{case_id}/documents/notice")
    assert notice.status_code == 400
    assert f"一次性告知书按事项打印，不属于某一办件：请在事项 {ITEM} 的页面打印" in notice.text
    assert f"/items/{ITEM}/notice.pdf</p>" in notice.text  # the English detail is the log's


def test_a_case_is_returned_only_once_accepted_and_the_applicant_is_told_why_on_paper(desks):
    """A reviewer could 退件 a case still 申请, round the 不予受理 rule (a reason and a 决定书); a case
    returned after 受理 showed no reason where the citizen applied, had no paper, and its 受理回执
    still promised a date. 退件 is now offered only after 受理; its reason is shown beside the state
    at the village, printed in a 退件通知书 with the remedies, and the receipt promises no date."""
    item = "MZ-0001"  # 最低生活保障对象认定 (民政局): 15 working days promised
    village = desks.desk(VILLAGE)
    case = village.SubmitCase(
        desk_pb2.SubmitCaseRequest(
            item_code=item,
            applicant=case_pb2.Applicant(name="马超", id_number="43098119920304001X"),
            materials=complete_proto(item),
        )
    )
    wait_for(lambda: _has_case(desks.nodes[COUNTY], case.id), what="the case at the county")
    reviewer, clerk = logged_in(desks, COUNTY, "mz-review"), logged_in(desks, COUNTY, "other1")
    page = reviewer.get(f"/cases/{case.id}").text
    assert 'id="do-RETURN"' not in page  # still 申请: the window's 不予受理 or 补正告知, not 退件
    early = reviewer.post(
        f"/cases/{case.id}/act", data={"csrf": csrf_of(page), "action": "RETURN", "note": "不符合条件"}
    )
    assert (
        early.status_code == 409
        and "此办件尚未受理，不能退件" in early.text
        and "不予受理决定书" in early.text
    )
    assert desks.nodes[COUNTY].cases.get(case.id).state == case_pb2.SUBMITTED
    token = csrf_of(clerk.get(f"/cases/{case.id}").text)
    assert clerk.post(f"/cases/{case.id}/act", data={"csrf": token, "action": "ACCEPT"}).status_code == 200
    page = reviewer.get(f"/cases/{case.id}").text
    assert 'id="do-RETURN"' in page
    reason = "经核实申请人家庭收入超过当地低保标准"
    returned = reviewer.post(
        f"/cases/{case.id}/act", data={"csrf": csrf_of(page), "action": "RETURN", "note": reason}
    )
    assert returned.status_code == 200 and 'id="returned-reason"' in returned.text
    wait_for(
        lambda: desks.nodes[VILLAGE].cases.get(case.id).state == case_pb2.RETURNED, what="退件 at the village"
    )
    agent = logged_in(desks, VILLAGE, "agent1")
    shown = agent.get(f"/cases/{case.id}").text
    told = re.search(r'id="returned-reason">([^<]*)<', shown)
    assert told and reason in told.group(1), shown
    version = re.search(rf'href="/cases/{case.id}/events/(\d+)">打印退件通知书<', shown)
    assert version, shown
    letter = agent.get(f"/cases/{case.id}/events/{version.group(1)}").text
    assert "退件通知书" in letter and reason in letter and "申请行政复议" in letter
    assert "自收到本通知书之日起" in letter and "本决定书" not in letter, letter
    pdf = text_of(agent.get(f"/cases/{case.id}/documents/returned").content)
    assert "退件通知书" in pdf and reason in pdf and "本件办理终止" in pdf
    receipt = agent.get(f"/cases/{case.id}/receipt").text
    assert "受理回执" in receipt and "退件理由" in receipt and reason in receipt
    assert "承诺办结日期" not in receipt and "承诺办结时限" not in receipt
    assert "承诺办结日期" not in text_of(agent.get(f"/cases/{case.id}/documents/receipt").content)


# what a refusal shows people: its paragraph (a page's, a form's, the login's) or an htmx answer's div
REFUSAL_SHOWN = re.compile(r'<(?:p|div) class="refusal" role="alert"[^>]*>(.*?)</(?:p|div)>', re.S)
CHINESE = re.compile("[\u4e00-\u9fff]")
ENGLISH_DETAIL = re.compile(r" \([A-Za-z'][^)]*[a-z]{2}")


def test_people_at_the_window_read_a_refusal_in_chinese_and_the_log_keeps_it_whole(desks, caplog):
    """An older 代办员 read "用户名或密码错误 (wrong username or password)", "请群众选择评价等级 (a rating is
    1 … 5: …)", "材料不齐 … (missing required materials; …)" on every refusal of the desk. Each of the
    refusals below (forms, login, ratings, 400/403/404 pages, an htmx answer) now reads in Chinese
    only, and node.log keeps it whole with its English detail for the operators. A refusal with no
    Chinese at all would be shown as it is: this list finds it."""
    caplog.set_level("INFO", logger="node.web.app")
    agent, boss = logged_in(desks, VILLAGE, "agent1"), logged_in(desks, COUNTY, "boss")
    clerk = logged_in(desks, COUNTY, "clerk1")
    case_id = concluded_case(desks, agent)
    token = csrf_of(agent.get(f"/cases/{case_id}").text)
    stranger = httpx.Client(base_url=url(desks, VILLAGE), timeout=30)
    wrong = {"username": "agent1", "password": "wrong", "csrf": csrf_of(stranger.get("/login").text)}
    login = stranger.post("/login", data=wrong)
    form = agent.get(f"/items/{ITEM}/apply").text
    refusals = {
        "login": (login, "用户名或密码错误"),
        "missing material": (send_application(agent, form, file_1=("", b"", "image/jpeg")), "缺少"),
        "rating without a grade": (
            agent.post(f"/cases/{case_id}/rate", data={"csrf": token, "comment": "排队太久"}),
            "请群众选择评价等级",
        ),
        "a handler's page (403)": (agent.get("/queues"), "无权使用此页面"),
        "no such case (404)": (agent.get("/cases/430981006001-NOSUCHCASE"), "本节点没有办件"),
        "no such case, htmx": (
            agent.get("/cases/430981006001-NOSUCHCASE", headers={"HX-Request": "true"}),
            "本节点没有办件",
        ),
        "no such page (404)": (agent.get("/no/such/page"), "此地址没有页面"),
        "a statistics date (400)": (
            boss.get("/stats", params={"from": "2026-13-01"}),
            "起始日期 2026-13-01 不是日期",
        ),
        "a subtree's code (400)": (
            boss.get("/supervision", params={"subtree": "沅江市"}),
            "应填 6、9 或 12 位数字的区划代码",
        ),
        "an action no button sends (400)": (
            clerk.post(
                f"/cases/{case_id}/act",
                data={"csrf": csrf_of(clerk.get(f"/cases/{case_id}").text), "action": "NOPE"},
            ),
            "没有“NOPE”这一办理操作",
        ),
        "a clerk's decision (403)": (
            clerk.post(
                f"/cases/{case_id}/act",
                data={"csrf": csrf_of(clerk.get(f"/cases/{case_id}").text), "action": "APPROVE"},
            ),
            "",
        ),
    }
    for what, (reply, expected) in refusals.items():
        shown = [html.unescape(found).strip() for found in REFUSAL_SHOWN.findall(reply.text)]
        assert shown, f"{what}: no refusal shown ({reply.status_code})\n{reply.text[-2000:]}"
        for words in shown:
            assert CHINESE.search(words) and not ENGLISH_DETAIL.search(words), f"{what}: {words}"
            assert expected in words, f"{what}: {words}"
    # the operators' log has each whole, with its English detail
    logged = [record.getMessage() for record in caplog.records if record.name == "node.web.app"]
    assert any("用户名或密码错误 (wrong username or password)" in line for line in logged), logged
    assert any("请群众选择评价等级 (a rating is" in line for line in logged), logged
    assert any("/queues (agent1): " in line and "(the role may not use this page)" in line for line in logged)
