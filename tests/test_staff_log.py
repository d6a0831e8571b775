"""操作记录: every change to a staff account says who made it and when, on a real database (SQLite
and PostgreSQL), written with the change itself; never a password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from node.clock import ManualClock
from node.errors import InvalidInput
from node.staff.accounts import MAX_FAILURES, KnownDepartments, StaffService
from node.staff.roles import Actor, NotLoggedIn, NotPermitted, Role, operator
from node.store.engine import create_store_engine, migrate, session_factory
from node.store.models import StaffChange

HERE = "430981000000"
DEPARTMENTS = KnownDepartments(["公安局", "民政局"], ["公安局", "民政局"])
PASSWORD = "a long enough password"
OPERATOR = operator(HERE)
ADMIN = Actor(node=HERE, username="chen.admin", name="陈管理", role=Role.ADMIN)


@pytest.fixture
def staff(database_url):
    engine = create_store_engine(database_url)
    migrate(engine)
    clock, sessions = ManualClock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC)), session_factory(engine)
    service = StaffService(HERE, sessions, lambda: DEPARTMENTS, clock)
    service.add(ADMIN.username, ADMIN.name, "管理员", "", PASSWORD, by=OPERATOR)
    yield service, clock, sessions
    engine.dispose()


def lines(service: StaffService) -> list[tuple[str, str, str]]:
    return [(c.by_words, c.account_words, c.what) for c in service.log()]


def test_who_changed_which_account_how_and_when_newest_first(staff):
    service, clock, sessions = staff
    service.add("li4", "李四", "窗口受理", "民政局", PASSWORD, by=ADMIN)
    clock.advance(timedelta(minutes=1))
    service.change("li4", role="审核", by=ADMIN)
    service.change("li4", role="审核/审批", department="民政局", by=ADMIN)  # the same: nothing to say
    service.change("li4", department="公安局", by=OPERATOR)
    service.change("li4", role="监察", by=ADMIN)
    service.disable("li4", by=ADMIN)
    service.disable("li4", by=ADMIN)  # disabled already
    service.enable("li4", by=OPERATOR)
    service.set_password("li4", "another long password", by=ADMIN)
    clock.advance(timedelta(minutes=1))
    service.change_own_password("li4", "another long password", "only mine, a third one")

    assert lines(service) == [
        ("李四（li4）", "李四（li4）", "本人修改密码"),
        ("陈管理（chen.admin）", "李四（li4）", "重置密码"),
        ("运维（命令行）", "李四（li4）", "启用"),
        ("陈管理（chen.admin）", "李四（li4）", "停用"),
        ("陈管理（chen.admin）", "李四（li4）", "角色 审核/审批→监察；部门 公安局→（无）"),
        ("运维（命令行）", "李四（li4）", "部门 民政局→公安局"),
        ("陈管理（chen.admin）", "李四（li4）", "角色 窗口受理→审核/审批"),
        ("陈管理（chen.admin）", "李四（li4）", "新建账号（窗口受理，民政局）"),
        ("运维（命令行）", "陈管理（chen.admin）", "新建账号（管理员）"),
    ]
    log = service.log()
    assert log[0].at == datetime(2026, 12, 1, 1, 2, tzinfo=UTC)  # UTC; the desk shows 09:02
    assert log[-2].at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert [c.what for c in service.log(limit=2)] == ["本人修改密码", "重置密码"]
    with sessions() as session:
        recorded = " ".join(f"{c.by} {c.username} {c.what}" for c in session.scalars(select(StaffChange)))
    for secret in (PASSWORD, "another long password", "only mine", "$argon2"):
        assert secret not in recorded


def test_an_administrator_does_not_change_their_own_role_at_any_door(staff):
    service, _, _ = staff
    with pytest.raises(NotPermitted, match="不能更改自己的岗位或部门"):
        service.change(ADMIN.username, role="监察", by=ADMIN)
    assert service.change(ADMIN.username.upper(), role="监察", by=OPERATOR).role is Role.SUPERVISOR
    assert lines(service)[0] == ("运维（命令行）", "陈管理（chen.admin）", "角色 管理员→监察")
    # nor disable their own account (the Desk API, and so the CLI, took it; the page alone refused)
    with pytest.raises(NotPermitted, match="不能停用自己正在使用的账号"):
        service.disable(f" {ADMIN.username.upper()}", by=ADMIN)
    assert next(a for a in service.list() if a.username == ADMIN.username).active
    # nor reset their own password: that takes the current one (change_own_password)
    with pytest.raises(NotPermitted, match="不能在此重置自己的密码"):
        service.set_password(ADMIN.username, "taken over, no current", by=ADMIN)
    service.login(ADMIN.username, PASSWORD)  # still theirs


def test_a_refused_change_is_not_recorded(staff):
    service, _, _ = staff
    before = lines(service)
    with pytest.raises(InvalidInput, match="没有部门 民证局"):
        service.add("wang5", "王五", "窗口受理", "民证局", PASSWORD, by=ADMIN)
    with pytest.raises(InvalidInput, match="已存在"):
        service.add(ADMIN.username, "冒名", "监察", "", PASSWORD, by=ADMIN)
    with pytest.raises(InvalidInput, match="密码至少"):
        service.set_password(ADMIN.username, "short", by=OPERATOR)
    assert lines(service) == before
    with pytest.raises(NotPermitted):  # no change; the wrong current password is a refused login
        service.change_own_password(ADMIN.username, "not the password", "only mine, a third one")
    assert lines(service) == [("未登录者", "陈管理（chen.admin）", "登录失败：密码错误（修改密码）"), *before]


def test_refused_logins_and_lockouts_are_recorded_with_where_they_came_from_never_the_password(staff, caplog):
    """Someone trying passwords on a colleague's account, or on names that are no account, left no
    trace: the 操作记录 now has an account's refused logins and every lock, the node's log each try."""
    service, _, _ = staff
    service.add("li4", "李四", "窗口受理", "民政局", PASSWORD, by=ADMIN)
    caplog.set_level("WARNING", logger="node.staff.accounts")
    for _ in range(MAX_FAILURES):
        with pytest.raises(NotLoggedIn):
            service.login("li4", "guess-one-2026", source="网页，来自 10.0.0.7")
    with pytest.raises(NotLoggedIn, match="已锁定"):
        service.login("li4", PASSWORD, source="命令行，来自 10.0.0.8")
    for _ in range(MAX_FAILURES):
        with pytest.raises(NotLoggedIn):
            service.login("nosuchuser", "guess-two-2026", source="网页，来自 10.0.0.9")

    until = "2026-12-01 09:15"  # Beijing time: locked at 01:00 UTC for fifteen minutes
    assert lines(service)[:3] == [
        (
            "未登录者",
            "nosuchuser",
            f"登录失败：无此账号，连续 5 次，锁定至 {until}（北京时间）（网页，来自 10.0.0.9）",
        ),
        ("未登录者", "李四（li4）", f"登录被拒：账号锁定中，至 {until}（北京时间）（命令行，来自 10.0.0.8）"),
        (
            "未登录者",
            "李四（li4）",
            f"登录失败：密码错误，连续 5 次，锁定至 {until}（北京时间）（网页，来自 10.0.0.7）",
        ),
    ]
    assert [what for _, _, what in lines(service)[3:7]] == ["登录失败：密码错误（网页，来自 10.0.0.7）"] * 4
    logged = [record.getMessage() for record in caplog.records]
    assert sum("nosuchuser" in line and "10.0.0.9" in line for line in logged) == MAX_FAILURES
    assert any("li4" in line and "锁定至" in line for line in logged)
    everything = " ".join(logged) + str(lines(service))
    assert "guess-one" not in everything and "guess-two" not in everything and PASSWORD not in everything
