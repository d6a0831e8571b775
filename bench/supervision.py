"""The overdue scan (电子监察) over many open cases, in a SQLite file filled by bulk inserts.

The county handles every case; each was accepted on one of the last few weeks' working days
with a 15-working-day limit, carries its 受理 event, and its clock row is scheduled as the scan of
the day before left it, with the yellow card that scan raised for the cases past their warning
share. `due` of them reach their warning share today; the rest are due later.
One scan is timed: it must find the due cases through the index, raise their cards and
reschedule them, and never look at the others.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import cycle
from pathlib import Path

from node.cases.deadlines import CaseClock
from node.clock import ManualClock, china_morning
from node.store.engine import create_store_engine, migrate, reader_factory, session_factory
from node.store.outbound import Outbound
from node.supervision.cards import SupervisionService
from wuji.divisions import DivisionCode

HANDLER, ORIGIN, ITEM = "430981000000", "430981006001", "MZ-0001"
LIMIT = 15  # working days promised
TODAY = date(2025, 11, 17)  # a Monday
_BATCH = 50_000


@dataclass
class ScanFigures:
    open_cases: int
    due_cases: int
    scan_seconds: float
    cards_raised: int
    populate_seconds: float


_Later = tuple[date, date, date, bool]  # accepted on, deadline, next look, warned already


def _schedules(service: SupervisionService) -> tuple[list[_Later], list[tuple[date, date]]]:
    """Accepted-on days with (deadline, next look as of yesterday): those due later and those due today."""
    later, today = [], []
    yesterday = TODAY - timedelta(days=1)
    for back in range(1, 40):
        accepted_on = TODAY - timedelta(days=back)
        clock = CaseClock(accepted_on, LIMIT)
        deadline = clock.deadline()
        assert deadline is not None
        if yesterday > deadline:
            continue  # overdue already: its red card would have been raised
        due_on = service._next_look(clock, deadline, yesterday)
        if due_on is None:
            continue
        if due_on > TODAY:
            later.append(
                (accepted_on, deadline, due_on, clock.share_used(yesterday) >= service.warning_share)
            )
        elif due_on == TODAY and clock.share_used(yesterday) < service.warning_share:
            today.append((accepted_on, deadline))
    return later, today


def measure(open_cases: int, due: int) -> ScanFigures:
    with tempfile.TemporaryDirectory(prefix="wuji-bench-scan-") as folder:
        engine = create_store_engine(f"sqlite:///{Path(folder) / 'county.db'}")
        migrate(engine)
        here = DivisionCode.parse(HANDLER)
        service = SupervisionService(
            here,
            session_factory(engine),
            reader_factory(engine),
            Outbound(here),
            ManualClock(china_morning(TODAY.year, TODAY.month, TODAY.day)),
        )
        later, due_today = _schedules(service)
        started = time.perf_counter()
        _populate(engine, open_cases, due, later, due_today[0])
        populated = time.perf_counter() - started
        started = time.perf_counter()
        result = service.scan()
        seconds = time.perf_counter() - started
        engine.dispose()
    if len(result.raised) != due:
        raise AssertionError(f"the scan raised {len(result.raised)} cards, not the {due} due")
    return ScanFigures(open_cases, due, seconds, len(result.raised), populated)


def _populate(
    engine: object,
    count: int,
    due: int,
    later: list[_Later],
    due_today: tuple[date, date],
) -> None:
    """Bulk-insert the service item, cases, 受理 events, clock rows and yellow cards in one transaction."""
    connection = engine.raw_connection()  # type: ignore[attr-defined]
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("BEGIN")
        cursor.execute(
            "INSERT INTO service_item (code, basic_code, implementation_code, handling_code, level, name,"
            " type, department, implementing_body, handling_tier, instant, statutory_days, promised_days,"
            " legal_basis, conditions, materials, fees, result_type, release_version)"
            " VALUES (?, '', '', '', '主项', '最低生活保障对象认定', '行政确认', '民政局', '', 'county', 0,"
            " 30, ?, '《社会救助暂行办法》', '[]', '[]', '[]', '', 1)",
            (ITEM, LIMIT),
        )
        schedules = cycle(later)
        for first in range(0, count, _BATCH):
            cases, events, clocks, cards = [], [], [], []
            for i in range(first, min(count, first + _BATCH)):
                if i < due:
                    (accepted_on, deadline), due_on, warned = due_today, due_today[0], False
                else:
                    accepted_on, deadline, due_on, warned = next(schedules)
                case_id = f"{ORIGIN}-{i:010d}"
                at = datetime(accepted_on.year, accepted_on.month, accepted_on.day, 2, tzinfo=UTC)
                cases.append((case_id, at, at))
                events.append((i + 1, case_id, at))
                clocks.append((case_id, accepted_on, deadline, due_on))
                if warned:
                    cards.append((f"{case_id}:warning", case_id, deadline, accepted_on, at))
            cursor.executemany(
                'INSERT INTO "case" (id, item_code, item_name, origin, handler, state, applicant_name,'
                " applicant_id_number, applicant_phone, version, accepted, submitted_at, updated_at)"
                f" VALUES (?, '{ITEM}', '最低生活保障对象认定', '{ORIGIN}', '{HANDLER}', 'ACCEPTED',"
                " '压测', '430981199001011237', '', 2, 1, ?, ?)",
                cases,
            )
            cursor.executemany(
                "INSERT INTO case_event (seq, case_id, version, action, from_state, to_state, actor_node,"
                f" note, at, route, prev_hash, hash) VALUES (?, ?, 2, 'ACCEPT', 'SUBMITTED', 'ACCEPTED',"
                f" '{HANDLER}', '', ?, '[]', '', '')",
                events,
            )
            cursor.executemany(
                "INSERT INTO case_deadline (case_id, accepted_on, promised_days, extension_days, pauses,"
                f" deadline, open, concluded_on, due_on) VALUES (?, ?, {LIMIT}, 0, '[]', ?, 1, NULL, ?)",
                clocks,
            )
            cursor.executemany(
                "INSERT INTO supervision_card (id, case_id, handler, colour, reason, detail, deadline,"
                f" submitted_on, raised_at, closed_at) VALUES (?, ?, '{HANDLER}', 'yellow', 'warning',"
                " '预警', ?, ?, ?, NULL)",
                cards,
            )
        cursor.execute("COMMIT")
    finally:
        connection.close()
