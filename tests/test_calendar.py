"""Working days never stop silently: a year without its calendar is counted and carded at the province."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from node import workdays
from node.clock import ManualClock, china_morning
from node.store.models import SupervisionCard
from tests.harness import PROVINCE


@pytest.fixture
def clock() -> ManualClock:
    """2026-12-01: chinese-calendar ends with 2026, and deadlines already run into 2027."""
    return ManualClock(china_morning(2026, 12, 1))


def calendar_cards(node) -> dict[str, SupervisionCard]:
    with node.sessions() as session:
        query = select(SupervisionCard).where(SupervisionCard.reason == "calendar_missing")
        return {card.id: card for card in session.scalars(query)}


def test_the_province_is_carded_for_a_year_without_its_calendar_until_it_is_published(federation, clock):
    province = federation.start(PROVINCE)
    province.tick()
    cards = calendar_cards(province)
    assert list(cards) == ["calendar-2027:calendar_missing"]
    card = cards["calendar-2027:calendar_missing"]
    assert card.colour == "yellow" and card.closed_at is None and "2027" in card.detail
    province.tick()
    assert len(calendar_cards(province)) == 1  # raised once
    try:
        workdays.install([workdays.YearCalendar(2027, frozenset({date(2027, 1, 1)}), frozenset())])
        province.tick()
        assert calendar_cards(province)["calendar-2027:calendar_missing"].closed_at is not None
    finally:
        workdays._official.pop(2027, None)
        workdays.is_working_day.cache_clear()
