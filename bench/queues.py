"""The window's lists at scale: queues and search over many cases in a SQLite file filled by bulk inserts.

A county hall's node holds `count` cases of ten departments in every state, each with an applicant
(name, identity number, phone), a due date and, for one in fifty, a yellow card. Each list a clerk
opens (the five queues of one department, a search by name, identity number, phone and case-id
prefix, the point's newest cases) is timed through the same functions the desk calls
(node/cases/queues.py); the figure is the slowest list's median over repeated calls.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from node.cases import queues
from node.store.engine import create_store_engine, migrate, reader_factory
from wuji.v1 import case_pb2

HANDLER, ORIGIN, ITEM = "430981000000", "430981006001", "MZ-0001"
DEPARTMENTS = tuple(f"部门{i:02d}" for i in range(10))
STATES = ("SUBMITTED", "ACCEPTED", "UNDER_REVIEW", "CORRECTION_REQUESTED", "CONCLUDED", "DELIVERED")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
TODAY = date(2025, 11, 17)
_BATCH = 50_000
_REPEATS = 15


@dataclass
class QueueFigures:
    cases: int
    populate_seconds: float
    slowest_list: str
    slowest_list_ms: float  # median of the slowest list (goal: < 20 ms at 1,000,000 cases)
    lists_ms: dict[str, float]  # median per list


def measure(count: int) -> QueueFigures:
    with tempfile.TemporaryDirectory(prefix="wuji-bench-queues-") as folder:
        engine = create_store_engine(f"sqlite:///{Path(folder) / 'county.db'}")
        migrate(engine)
        started = time.perf_counter()
        probe = _populate(engine, count)
        populated = time.perf_counter() - started
        readers = reader_factory(engine)
        department = DEPARTMENTS[3]
        # the ignores: mypy cannot type a lambda with a default argument (python/mypy#15459)
        lists: dict[str, Callable[[], object]] = {
            f"queue {q.name}": (
                lambda q=q: _with(readers, lambda s: queues.queue(s, HANDLER, q, department, TODAY))  # type: ignore[misc]
            )
            for q in queues.QUEUES
        }
        lists |= {
            f"search {what}": (lambda text=text: _with(readers, lambda s: queues.search(s, text)))  # type: ignore[misc]
            for what, text in probe.items()
        }
        lists["newest of this point"] = lambda: _with(
            readers, lambda s: queues.recent(s, HANDLER, None, "handler")
        )
        timings = {name: _median_ms(call) for name, call in lists.items()}
        engine.dispose()
    slowest = max(timings, key=lambda name: timings[name])
    return QueueFigures(count, populated, slowest, timings[slowest], timings)


def _with(
    readers: sessionmaker[Session], query: Callable[[Session], list[case_pb2.Case]]
) -> list[case_pb2.Case]:
    with readers() as session:
        found = query(session)
    if not found:
        raise AssertionError("a timed list came back empty: the bench would measure nothing")
    return found


def _median_ms(call: Callable[[], object]) -> float:
    call()  # warm the page cache and the statement cache once
    samples = []
    for _ in range(_REPEATS):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def _populate(engine: object, count: int) -> dict[str, str]:
    """Bulk-insert cases (and some yellow cards) in one transaction; the search terms to time."""
    rng = random.Random(20251117)
    connection = engine.raw_connection()  # type: ignore[attr-defined]
    probe: dict[str, str] = {}
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("BEGIN")
        for first in range(0, count, _BATCH):
            cases, cards = [], []
            for i in range(first, min(count, first + _BATCH)):
                case_id = f"{ORIGIN}-{i:010d}"
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
                id_number = f"430981{1950 + i % 60}{1 + i % 12:02d}{1 + i % 28:02d}{i % 10_000:04d}"
                phone = f"139{i:08d}"
                submitted = datetime(2025, 10, 1, 2, tzinfo=UTC) + timedelta(seconds=i * 3)
                due_on = TODAY + timedelta(days=rng.randrange(-5, 25))
                state = STATES[(i // len(DEPARTMENTS)) % len(STATES)]  # every state in every department
                cases.append(
                    (
                        case_id,
                        state,
                        name,
                        id_number,
                        phone,
                        submitted,
                        submitted,
                        DEPARTMENTS[i % len(DEPARTMENTS)],
                        due_on,
                    )
                )
                if i % 50 == 0:
                    cards.append((f"{case_id}:warning", case_id, due_on, submitted.date(), submitted))
                if i == count // 2:
                    probe = {
                        "name": name[:2],
                        "identity number": id_number[:14],
                        "phone": phone[:9],
                        "case id prefix": case_id[:-3],
                    }
            cursor.executemany(
                'INSERT INTO "case" (id, item_code, item_name, origin, handler, state, applicant_name,'
                " applicant_id_number, applicant_phone, version, accepted, submitted_at, updated_at,"
                f" department, channel, due_on) VALUES (?, '{ITEM}', '最低生活保障对象认定', '{ORIGIN}',"
                f" '{HANDLER}', ?, ?, ?, ?, 2, 1, ?, ?, ?, 'window', ?)",
                cases,
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
    return probe
