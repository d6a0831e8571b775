"""Who a login token belongs to, on a real database: until it expires, and never for a disabled account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from node.clock import ManualClock
from node.errors import InvalidInput
from node.staff.accounts import LOGIN_HOURS, StaffService
from node.staff.roles import NotLoggedIn, Role
from node.store.engine import create_store_engine, migrate, session_factory
from node.store.models import StaffAccount


@pytest.fixture
def staff(database_url):
    engine = create_store_engine(database_url)
    migrate(engine)
    clock, sessions = ManualClock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC)), session_factory(engine)
    yield StaffService("430981000000", sessions, clock), clock, sessions
    engine.dispose()


def test_a_token_names_its_person_until_it_expires(staff):
    service, clock, _ = staff
    service.add("clerk1", "王受理", "clerk", "民政局", "a long enough password")
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
    service.add("clerk2", "李受理", "clerk", "民政局", "a long enough password")
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
        service.add("clerk3", "赵受理\t13900000000", "clerk", "民政局", "a long enough password")
    with pytest.raises(InvalidInput, match="部门中有换行或制表符"):
        service.add("clerk3", "赵受理", "clerk", "民政局\n公安局", "a long enough password")
    assert [a.username for a in service.list()] == []
