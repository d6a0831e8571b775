"""Working days never stop silently: a year without its calendar is counted and carded at the province."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from node import workdays
from node.clock import ManualClock, china_morning
from node.store.models import SupervisionCard
from tests.harness import PROVINCE
from wuji.v1 import link_pb2


@pytest.fixture
def clock() -> ManualClock:
    """2026-12-01: chinese-calendar ends with 2026, and deadlines already run into 2027."""
    return ManualClock(china_morning(2026, 12, 1))


@pytest.fixture
def calendar_2027_forgotten() -> Iterator[None]:
    """Put first among a test's fixtures: the nodes of its federation install a 2027 notice as it
    reaches each of them, until they stop; forgotten after that, the rest of the suite counts 2027
    on the calendar it had."""
    yield
    workdays._official.pop(2027, None)
    workdays.is_working_day.cache_clear()
    workdays.year_summary.cache_clear()


def calendar_cards(node) -> dict[str, SupervisionCard]:
    with node.sessions() as session:
        query = select(SupervisionCard).where(SupervisionCard.reason == "calendar_missing")
        return {card.id: card for card in session.scalars(query)}


def test_the_province_is_carded_for_a_year_without_its_calendar_until_it_is_published(
    calendar_2027_forgotten, federation, clock
):
    province = federation.start(PROVINCE)
    province.tick()
    cards = calendar_cards(province)
    assert list(cards) == ["calendar-2027:calendar_missing"]
    card = cards["calendar-2027:calendar_missing"]
    assert card.colour == "yellow" and card.closed_at is None and "2027" in card.detail
    # a command that runs: `wuji calendar publish` takes the notice as a file, not the year
    assert "`wuji calendar publish 2027.json --config <省级节点的 node.toml>`" in card.detail, card.detail
    province.tick()
    assert len(calendar_cards(province)) == 1  # raised once
    workdays.install([workdays.YearCalendar(2027, frozenset({date(2027, 1, 1)}), frozenset())])
    province.tick()
    assert calendar_cards(province)["calendar-2027:calendar_missing"].closed_at is not None


CALENDAR_2027 = {
    "year": 2027,
    "holidays": ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11"],
    "workdays": ["2027-02-06"],  # a Saturday worked (调休) — an invented notice for the test
}


def test_the_province_publishes_a_signed_calendar_that_reaches_the_village(
    calendar_2027_forgotten, federation, tmp_path
):
    import json

    from node.catalogue import calendars
    from node.errors import InvalidInput
    from node.store.models import WorkingCalendar
    from tests.harness import CHAIN, VILLAGE, wait_for
    from tests.test_cli import wuji

    nodes = federation.start_chain(CHAIN)
    province = nodes[0]
    notice = tmp_path / "2027.json"
    notice.write_text(json.dumps(CALENDAR_2027), encoding="utf-8")
    village_config = str(federation.config_path(VILLAGE))
    fallen_back = workdays.fallback_years()
    # before the notice, a clerk who asks hears that 2027 counts on statutory holidays alone
    before = wuji("calendar", "show", "2027", "--config", village_config)
    assert before.returncode == 0, before.stderr
    assert "2027 年工作日历：仅法定节假日与周末" in before.stdout and "wuji calendar publish" in before.stdout
    assert "调休上班（周末上班）0 天：无" in before.stdout
    assert workdays.fallback_years() == fallen_back  # asking carded no year

    published = wuji("calendar", "publish", str(notice), "--config", str(federation.config_path(PROVINCE)))
    assert published.returncode == 0, published.stderr
    assert "已发布 2027 年工作日历：放假 6 天" in published.stdout, published.stdout

    def at_village() -> bytes | None:
        with federation.nodes[VILLAGE].sessions() as session:
            row = session.get(WorkingCalendar, 2027)
            return row.message if row else None

    message = link_pb2.WorkingCalendar.FromString(wait_for(at_village, what="the calendar at the village"))
    assert workdays.source_of(2027) == workdays.OFFICIAL
    assert workdays.is_working_day(date(2027, 2, 6)) and not workdays.is_working_day(date(2027, 2, 11))
    shown = wuji("calendar", "show", "2027", "--config", village_config).stdout
    assert "2027 年工作日历：省级发布的官方日历" in shown
    assert "全年工作日 256 天" in shown  # 261 weekdays, 6 of them off, 1 Saturday worked
    assert "放假（周一至周五不上班）6 天：1月1日（周五） 2月5日（周五） 2月8日（周一）" in shown
    assert "调休上班（周末上班）1 天：2月6日（周六）" in shown
    out_of_range = wuji("calendar", "show", "1990", "--config", village_config)
    assert out_of_range.returncode == 1 and "年份须在 2000–2100 之间" in out_of_range.stderr

    # a calendar altered on the way, or signed by anyone but the province, is refused
    village = federation.nodes[VILLAGE]
    altered = link_pb2.WorkingCalendar()
    altered.CopyFrom(message)
    altered.holidays.append("2027-03-01")
    with village.sessions() as session, pytest.raises(InvalidInput, match="bad signature"):
        calendars.receive(session, altered, village.trust_store(), village.here.province)
    with province.sessions() as session:
        assert [m.year for m in calendars.held(session)] == [2027]


def test_time_limits_running_into_a_year_are_counted_again_on_its_notice(
    calendar_2027_forgotten, federation, clock, tmp_path
):
    """Accepted on 21 December 2026, a 15-working-day limit was counted on statutory holidays alone
    (12 January 2027); the notice, published later, gives 4–8 January off: the limit moves to the
    19th at the handler, while a limit that ends within 2026 stays."""
    import json

    from node.store.models import CaseDeadline, WorkingCalendar
    from tests.harness import CHAIN, COUNTY, VILLAGE, wait_for
    from tests.test_federation import act, arrived, submit
    from wuji.v1 import case_pb2

    federation.start_chain(CHAIN)
    county = federation.nodes[COUNTY]
    clock.set(china_morning(2026, 12, 21))
    crossing, within = (
        submit(federation.desk(VILLAGE), "MZ-0001"),
        submit(federation.desk(VILLAGE), "SJ-0002"),
    )
    for case in (crossing, within):  # 15 and 5 working days
        wait_for(lambda case=case: arrived(federation, COUNTY, case.id), what="the case at the county")
        act(federation.desk(COUNTY), case.id, case_pb2.ACCEPT)

    def deadline(case_id: str) -> date | None:
        with county.sessions() as session:
            row = session.get(CaseDeadline, case_id)
            return row.deadline if row else None

    assert deadline(crossing.id) == date(2027, 1, 12) and deadline(within.id) == date(2026, 12, 28)
    notice = {"year": 2027, "holidays": [f"2027-01-0{day}" for day in (1, 4, 5, 6, 7, 8)], "workdays": []}
    federation.nodes[CHAIN[0]].publish_calendar(json.dumps(notice).encode())

    def installed() -> bool:
        with county.sessions() as session:
            return session.get(WorkingCalendar, 2027) is not None

    wait_for(installed, what="the 2027 notice at the county")
    assert deadline(crossing.id) == date(2027, 1, 19) and deadline(within.id) == date(2026, 12, 28)
