"""Fault scenarios on real node processes, sized for CI; `python -m tests.faults` runs them large.

Each asserts the figures the README quotes: nothing lost, nothing duplicated, nothing out of order,
every node's event chain intact and (on SQLite) its file consistent after the crashes. Under
WUJI_TEST_NODE_DB=postgresql every node process runs on its own PostgreSQL database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import node_databases
from tests.faults.scenarios import (
    DatabaseFor,
    Figures,
    advanced_clock,
    lossy_link,
    sigkill_rounds,
    sigterm_restart,
    village_cut_off,
)

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def database_for(request: pytest.FixtureRequest) -> Iterator[DatabaseFor | None]:
    with contextlib.ExitStack() as databases:
        yield node_databases(request, databases)


def assert_nothing_lost(figures: Figures, expected_cases: int) -> None:
    print("\n".join(figures.lines()))
    audit = figures.audit
    assert audit.cases >= expected_cases, figures.lines()
    assert (audit.lost, audit.duplicated, audit.out_of_order, audit.broken_chains) == (0, 0, 0, 0), (
        figures.lines()
    )


def test_sigkill_at_random_moments_on_random_tiers_loses_nothing(tmp_path, database_for):
    figures = sigkill_rounds(tmp_path, cases=60, rounds=3, seed=11, database_for=database_for)
    assert figures.notes["kills"] == 3
    assert_nothing_lost(figures, 60)


def test_village_cut_off_accepts_cases_and_drains_them_exactly_once(tmp_path, database_for):
    figures = village_cut_off(tmp_path, cases=150, database_for=database_for)
    assert_nothing_lost(figures, 150)  # the drain time is a figure, reported, not asserted


def test_lossy_delayed_links_still_deliver_every_case_exactly_once(tmp_path, database_for):
    figures = lossy_link(tmp_path, cases=20, database_for=database_for)
    assert figures.notes["chunks dropped (connections broken)"] > 0  # the faults really happened
    assert_nothing_lost(figures, 20)


def test_sigterm_finishes_in_flight_work_and_a_restart_resumes_without_loss(tmp_path, database_for):
    figures = sigterm_restart(tmp_path, cases=40, database_for=database_for)
    assert figures.notes["exit code"] == 0 and figures.notes["stopped cleanly"] == 1
    assert_nothing_lost(figures, 40)


def test_the_harness_can_advance_a_nodes_clock(tmp_path, database_for):
    accepted_at = advanced_clock(tmp_path, days=3, database_for=database_for)
    ahead = accepted_at - datetime.now(UTC)
    assert timedelta(days=2, hours=23) < ahead < timedelta(days=3, hours=1)
