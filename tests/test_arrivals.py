"""Arriving cases are checked for duplicates without a flush per case, and without wrong answers."""

from __future__ import annotations

from datetime import UTC, datetime

from node.cases import arrivals
from node.store.engine import create_store_engine, migrate, session_factory
from node.store.models import Case

VILLAGE, COUNTY = "430981006001", "430981000000"


def a_case(suffix: str) -> Case:
    now = datetime.now(UTC)
    return Case(
        id=f"{VILLAGE}-{suffix}",
        item_code="MZ-0001",
        item_name="最低生活保障对象认定",
        origin=VILLAGE,
        handler=COUNTY,
        state="SUBMITTED",
        applicant_name="赵六",
        applicant_id_number="430981197001013452",
        applicant_phone="",
        version=1,
        accepted=False,
        submitted_at=now,
        updated_at=now,
    )


def test_stored_added_and_rolled_back_cases_are_told_apart(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'county.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        session.add(a_case("STORED"))
    with sessions.begin() as session:
        arrivals.look_up(session, [f"{VILLAGE}-STORED", f"{VILLAGE}-NEW", f"{VILLAGE}-UNDONE"])
        assert arrivals.exists(session, f"{VILLAGE}-STORED")
        assert not arrivals.exists(session, f"{VILLAGE}-NEW")
        added = a_case("NEW")
        arrivals.added(session, added)
        session.add(added)
        assert arrivals.exists(session, f"{VILLAGE}-NEW")  # pending, not flushed: still known
        with session.begin_nested() as refused:
            undone = a_case("UNDONE")
            arrivals.added(session, undone)
            session.add(undone)
            session.flush()
            refused.rollback()
        assert not arrivals.exists(session, f"{VILLAGE}-UNDONE")  # its savepoint was rolled back
        assert not arrivals.exists(session, f"{VILLAGE}-NEVER-LOOKED-UP")  # asks the database
    with sessions.begin() as session:  # a new transaction forgets what the last one looked up
        assert arrivals.exists(session, f"{VILLAGE}-NEW")
        assert not arrivals.exists(session, f"{VILLAGE}-UNDONE")
    engine.dispose()
