"""Arriving cases are checked for duplicates without a flush per case, and without wrong answers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from node.cases import arrivals, eventlog
from node.store.engine import create_store_engine, migrate, session_factory
from node.store.models import Case, CaseArrival, CaseMaterial

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


def bulk_rows(session, suffix: str) -> dict:
    case = {column.name: getattr(a_case(suffix), column.name) for column in Case.__table__.columns}
    event = eventlog.append_row(
        session,
        case_id=case["id"],
        version=1,
        action=None,
        from_state=None,
        to_state="SUBMITTED",
        actor_node=VILLAGE,
        note="申请",
        at=case["submitted_at"],
        route=[VILLAGE, COUNTY],
    )
    material = {
        "case_id": case["id"],
        "name": "居民身份证",
        "sha256": "0" * 64,
        "content": b"scan",
        "file_name": "id.pdf",
        "media_type": "application/pdf",
        "size": 4,
        "licence": None,
        "purpose": "submitted",
    }
    arrival = {"case_id": case["id"], "arrived_at": case["submitted_at"], "checked": False}
    return {"case": case, "materials": [material], "event_row": event, "arrival": arrival}


def test_cases_added_in_bulk_are_seen_by_later_reads_and_written_at_commit(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'county.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        arrivals.add_rows(session, **bulk_rows(session, "BULK1"))
        assert arrivals.exists(session, f"{VILLAGE}-BULK1")
        # a read later in the transaction sees it (the rows are written before any query runs)
        assert session.get(Case, f"{VILLAGE}-BULK1") is not None
        arrivals.add_rows(session, **bulk_rows(session, "BULK2"))
        ordinary = a_case("ORM")  # the ORM path in the same transaction extends the same chain
        session.add(ordinary)
        eventlog.append(
            session,
            case_id=ordinary.id,
            version=1,
            action=None,
            from_state=None,
            to_state="SUBMITTED",
            actor_node=VILLAGE,
            note="申请",
            at=ordinary.submitted_at,
        )
    with sessions.begin() as session:  # rolled back: nothing of it is written
        arrivals.add_rows(session, **bulk_rows(session, "UNDONE"))
        session.rollback()
    with sessions() as session:
        stored = set(session.scalars(select(Case.id)))
        assert stored == {f"{VILLAGE}-BULK1", f"{VILLAGE}-BULK2", f"{VILLAGE}-ORM"}
        assert session.scalar(select(func.count()).select_from(CaseMaterial)) == 2
        assert session.scalar(select(func.count()).select_from(CaseArrival)) == 2
        assert eventlog.verify(session) == eventlog.ChainCheck(3, True)
    engine.dispose()
