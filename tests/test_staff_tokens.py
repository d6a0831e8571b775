"""Who a login token belongs to, on a real database: until it expires, and never for a disabled account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from node.clock import ManualClock
from node.errors import InvalidInput, NotFound
from node.staff import accounts
from node.staff.accounts import LOCK_MINUTES, LOGIN_HOURS, MAX_FAILURES, KnownDepartments, StaffService
from node.staff.roles import Actor, NotLoggedIn, Role, operator
from node.store.engine import create_store_engine, migrate, session_factory
from node.store.models import StaffAccount, StaffLoginFailure

OPERATOR = operator("430981000000")  # the node's operator, at the command line
DEPARTMENTS = KnownDepartments(["公安局", "民政局"], ["公安局", "民政局", "卫生健康委员会"])


@pytest.fixture
def staff(database_url):
    engine = create_store_engine(database_url)
    migrate(engine)
    clock, sessions = ManualClock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC)), session_factory(engine)
    yield StaffService("430981000000", sessions, lambda: DEPARTMENTS, clock), clock, sessions
    engine.dispose()


def test_a_token_names_its_person_until_it_expires(staff):
    service, clock, _ = staff
    service.add("clerk1", "王受理", "clerk", "民政局", "a long enough password", by=OPERATOR)
    token = service.login("clerk1", "a long enough password").token
    actor = service.actor(token)
    assert (actor.username, actor.name, actor.department) == ("clerk1", "王受理", "民政局")
    assert actor.role is Role.CLERK
    with pytest.raises(NotLoggedIn):
        service.actor(token + "x")
    clock.advance(timedelta(hours=LOGIN_HOURS, seconds=1))
    with pytest.raises(NotLoggedIn, match="过期"):
        service.actor(token)


def test_a_disabled_account_is_refused_even_with_a_live_token(staff):
    service, _, sessions = staff
    service.add("clerk2", "李受理", "clerk", "民政局", "a long enough password", by=OPERATOR)
    token = service.login("clerk2", "a long enough password").token
    # disabling ends the account's logins too; a token left behind (say, by an older version)
    # must still name nobody
    with sessions.begin() as session:
        session.execute(update(StaffAccount).where(StaffAccount.username == "clerk2").values(active=False))
    with pytest.raises(NotLoggedIn, match="停用"):
        service.actor(token)


def test_a_name_pasted_with_the_cell_beside_it_is_refused(staff):
    service, _, _ = staff
    with pytest.raises(InvalidInput, match="姓名中有换行或制表符"):
        service.add("clerk3", "赵受理\t13900000000", "clerk", "民政局", "a long enough password", by=OPERATOR)
    with pytest.raises(InvalidInput, match="部门中有换行或制表符"):
        service.add("clerk3", "赵受理", "clerk", "民政局\n公安局", "a long enough password", by=OPERATOR)
    assert [a.username for a in service.list()] == []


def _refusals(service, username, times):
    said = []
    for _ in range(times):
        with pytest.raises(NotLoggedIn) as refused:
            service.login(username, "not the password")
        said.append(str(refused.value).replace(username, "NAME"))
    return said


def test_a_name_that_is_no_account_locks_as_an_account_does(staff):
    """The lock-out must not tell which usernames exist: same words, same number of failures, same
    time locked, for clerk6 (an account) and nobody6 (none)."""
    service, clock, _ = staff
    service.add("clerk6", "周受理", "clerk", "民政局", "a long enough password", by=OPERATOR)
    account = _refusals(service, "clerk6", MAX_FAILURES + 2)
    nobody = _refusals(service, "nobody6", MAX_FAILURES + 2)
    assert account == nobody
    assert "锁定" in account[MAX_FAILURES - 1] and "已锁定" in account[MAX_FAILURES]
    # and that a 管理员 need not be waited for: their new password unlocks it
    assert all("忘记密码请找本节点的管理员设置新密码" in said for said in account[MAX_FAILURES - 1 :])
    with pytest.raises(NotLoggedIn, match="已锁定"):  # even the right password, while locked
        service.login("clerk6", "a long enough password")
    clock.advance(timedelta(minutes=LOCK_MINUTES, seconds=1))
    assert _refusals(service, "clerk6", 1) == _refusals(service, "nobody6", 1) == [account[0]]
    assert service.login("clerk6", "a long enough password").staff.username == "clerk6"


def test_failures_far_apart_do_not_add_up_and_old_ones_are_forgotten(staff):
    service, clock, sessions = staff
    for name in ("clerk6", "nobody6"):
        _refusals(service, name, MAX_FAILURES - 1)
    clock.advance(timedelta(minutes=LOCK_MINUTES, seconds=1))
    _refusals(service, "someone.else", 1)  # a new failure sweeps the ones whose time is over
    with sessions() as session:
        assert session.scalars(select(StaffLoginFailure.username)).all() == ["someone.else"]
    assert "锁定" not in _refusals(service, "nobody6", 1)[0]


def test_the_same_argon2_work_is_done_whoever_the_name_is(staff, monkeypatch):
    service, _, _ = staff
    service.add("clerk7", "吴受理", "clerk", "民政局", "a long enough password", by=OPERATOR)
    _refusals(service, "clerk7", MAX_FAILURES)  # locked now
    service.add("clerk6", "周受理", "clerk", "民政局", "a long enough password", by=OPERATOR)
    real = accounts._hasher
    verified: list[str] = []

    class Counting:  # the hasher's attributes are read-only: a stand-in that counts
        def verify(self, password_hash: str, password: str) -> bool:
            verified.append(password_hash)
            return real.verify(password_hash, password)

        def hash(self, password: str) -> str:
            raise AssertionError("a refusal hashes nothing more")

    monkeypatch.setattr(accounts, "_hasher", Counting())
    for name in ("clerk7", "nobody7", "clerk6", "no such name!"):  # locked, unknown, unlocked, invalid
        _refusals(service, name, 1)
    assert len(verified) == 4  # one argon2 verification each, on a hash of the same parameters
    assert {real.check_needs_rehash(h) for h in verified} == {False}


def test_a_disabled_account_says_so_only_to_its_password(staff):
    service, _, _ = staff
    service.add("clerk8", "郑受理", "clerk", "民政局", "a long enough password", by=OPERATOR)
    service.disable("clerk8", by=OPERATOR)
    assert _refusals(service, "clerk8", 1) == _refusals(service, "nobody8", 1)
    with pytest.raises(NotLoggedIn, match="停用"):
        service.login("clerk8", "a long enough password")


def test_a_department_must_handle_items_here(staff):
    service, _, _ = staff
    with pytest.raises(InvalidInput, match="没有部门 民证局；本节点办理事项的部门有：公安局、民政局"):
        service.add("clerk8", "郑受理", "窗口受理", "民证局", "a long enough password", by=OPERATOR)
    # a department given to a role without one was dropped without a word: a 代办员 made where a
    # 窗口受理 was meant, the form's role left at its first choice, was "已添加"
    for role in ("监察", "代办员"):
        with pytest.raises(InvalidInput, match=f"{role}不属于部门：所填部门 民政局 不会保存"):
            service.add("sup1", "钱监察", role, "民政局", "a long enough password", by=OPERATOR)
    assert not service.list()  # nothing half-added
    assert service.add("sup1", "钱监察", "监察", "", "a long enough password", by=OPERATOR).department == ""
    # a department of an item handled above: this window takes applications in for it
    assert service.add(
        "clerk8", "郑受理", "窗口受理", "卫生健康委员会", "a long enough password", by=OPERATOR
    ).department
    assert [a.username for a in service.list()] == ["clerk8", "sup1"]


def test_role_and_department_change_with_the_same_checks_and_end_the_logins(staff):
    service, _, _ = staff
    service.add("clerk9", "孙受理", "clerk", "民政局", "a long enough password", by=OPERATOR)
    token = service.login("clerk9", "a long enough password").token
    with pytest.raises(InvalidInput, match="没有部门 民证局"):
        service.change("clerk9", department="民证局", by=OPERATOR)
    with pytest.raises(InvalidInput, match="没有岗位"):
        service.change("clerk9", role="厨师", by=OPERATOR)
    assert service.actor(token).department == "民政局"  # a refused change ends nothing
    assert service.change("clerk9", department="民政局", by=OPERATOR).department == "民政局"  # no change
    assert service.actor(token).username == "clerk9"
    moved = service.change("clerk9", role="审核", department="公安局", by=OPERATOR)
    assert (moved.role, moved.department) == (Role.REVIEWER, "公安局")
    with pytest.raises(NotLoggedIn):
        service.actor(token)
    assert service.change("clerk9", role="监察", by=OPERATOR).department == ""  # a role bound to none
    with pytest.raises(InvalidInput, match="须属于一个部门"):
        service.change("clerk9", role="窗口受理", by=OPERATOR)
    with pytest.raises(NotFound):
        service.change("nobody9", role="监察", by=OPERATOR)


def test_a_disabled_account_is_enabled_again(staff):
    service, _, _ = staff
    service.add("clerk10", "冯受理", "clerk", "民政局", "a long enough password", by=OPERATOR)
    service.disable("clerk10", by=OPERATOR)
    with pytest.raises(InvalidInput, match="已存在"):
        service.add("clerk10", "冯受理", "clerk", "民政局", "a long enough password", by=OPERATOR)
    assert service.enable("clerk10", by=OPERATOR).active
    assert service.login("clerk10", "a long enough password").staff.active


def test_guessable_passwords_are_refused_in_chinese_saying_why(staff):
    """`password`, `12345678`, `11111111` and a password equal to the username were all taken."""
    service, _, _ = staff
    admin = Actor(node="430981000000", username="chen.admin", name="陈管理", role=Role.ADMIN)
    for password, said in (
        ("password", "最常用的密码"),
        ("Password1", "最常用的密码"),
        ("12345678", "连续的数字"),
        ("87654321", "连续的数字"),
        ("qwertyuiop", "键盘上的一排"),
        ("11111111", "同一个字符"),
        ("aaaaaaaaaaaa", "同一个字符"),
        ("12121212", "简单重复"),
        ("weak21071", "用户名"),
        ("weak21071-2026", "用户名"),
        ("张伟张伟是我2026", "姓名"),
    ):
        with pytest.raises(InvalidInput, match=said) as refused:
            service.add("weak21071", "张伟", "代办员", "", password, by=OPERATOR)
        assert "容易被人猜中" in str(refused.value)
    service.add("weak21071", "张伟", "代办员", "", "desk-password-1", by=OPERATOR)
    with pytest.raises(InvalidInput, match="同一个字符"):
        service.set_password("weak21071", "00000000", by=admin)
    with pytest.raises(InvalidInput, match="用户名"):
        service.change_own_password("weak21071", "desk-password-1", "WEAK21071")


def test_a_password_the_administrator_set_is_to_be_changed_by_its_holder(staff):
    """The 管理员 knew the password they set and could log in as the clerk; now the holder changes it
    first. The node's operator adding an account (its first password handed over) is not a 管理员."""
    service, _, _ = staff
    admin = Actor(node="430981000000", username="chen.admin", name="陈管理", role=Role.ADMIN)
    service.add("li4", "李四", "窗口受理", "民政局", "first-pass-2026", by=admin)
    service.add("wang5", "王五", "窗口受理", "民政局", "first-pass-2026", by=OPERATOR)

    def to_change(username: str, password: str) -> bool:  # as the login's person carries it
        return service.actor(service.login(username, password).token).password_to_change

    assert to_change("li4", "first-pass-2026") and not to_change("wang5", "first-pass-2026")
    # "changed" to the password the 管理员 set, it would still be theirs: refused, nothing changes
    with pytest.raises(InvalidInput, match="新密码与当前密码相同"):
        service.change_own_password("li4", "first-pass-2026", "first-pass-2026")
    assert to_change("li4", "first-pass-2026")
    service.change_own_password("li4", "first-pass-2026", "only-mine-2026")
    assert not to_change("li4", "only-mine-2026")
    service.set_password("li4", "reset-by-admin-1", by=admin)
    assert to_change("li4", "reset-by-admin-1")
    service.set_password("li4", "reset-by-operator-1", by=OPERATOR)
    assert not to_change("li4", "reset-by-operator-1")


def test_a_username_not_allowed_is_refused_in_chinese_first(staff):
    """`username 'Bad User': 2–32 characters of a–z…` told an administrator typing 李娜 nothing."""
    service, _, _ = staff
    for username in ("Bad User", "李娜"):
        with pytest.raises(InvalidInput) as refused:
            service.add(username, "李娜", "代办员", "", "desk-password-1", by=OPERATOR)
        said = str(refused.value)
        assert said.startswith(f"用户名 {username} 不合规定：") and "不能有空格或汉字" in said, said
