"""Subtree statistics: each node counts what it handles, rollups carry the sums up to the province."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from node.clock import china_morning
from node.store.models import Case, Rating, StatsRollup, SupervisionCard
from node.supervision.cards import CALENDAR_MISSING
from tests.harness import CHAIN, CITY, COUNTY, PROVINCE, TOWNSHIP, VILLAGE, FederationHarness, wait_for
from tests.materials import complete_proto
from tests.test_federation import act, arrived, submit
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2, desk_pb2

TOWNSHIP_ITEM, COUNTY_ITEM, CITY_ITEM = "MZ-0003", "MZ-0001", "GA-0002"  # 10, 15 and 7 working days


def handled(federation: FederationHarness, code: str, case: case_pb2.Case) -> case_pb2.Case:
    wait_for(lambda: arrived(federation, code, case.id), what=f"case {case.id} at {code}")
    return case


def conclude(desk, case_id: str) -> None:
    for action in (case_pb2.ACCEPT, case_pb2.REVIEW, case_pb2.APPROVE):
        act(desk, case_id, action)


def direct_counts(federation: FederationHarness, code: str) -> Counter[str]:
    """What node code handles, counted from its own tables (not through node/supervision/stats.py)."""
    counts: Counter[str] = Counter()
    with federation.nodes[code].sessions() as session:
        mine = Case.handler == code
        for state, number in session.execute(
            select(Case.state, func.count()).where(mine).group_by(Case.state)
        ):
            counts[f"state:{state}"] += number
            counts["cases"] += number
            if state in ("CONCLUDED", "DELIVERED"):
                counts["concluded"] += number
        for (score,) in session.execute(
            select(Rating.score).join(Case, Case.id == Rating.case_id).where(mine)
        ):
            counts["ratings"] += 1
            counts["rating_sum"] += score
            counts["bad_ratings"] += score <= 2
        for (colour,) in session.execute(  # a missing calendar's card is about data, not a case
            select(SupervisionCard.colour).where(
                SupervisionCard.handler == code, SupervisionCard.reason != CALENDAR_MISSING
            )
        ):
            counts[f"cards:{colour}"] += 1
    return counts


def roll_up(federation: FederationHarness) -> None:
    """One supervision tick per node, bottom-up, each rollup arriving before the parent's tick."""
    for code in reversed(CHAIN):
        node = federation.nodes[code]
        node.tick()
        parent = DivisionCode.parse(code).parent
        if parent is None:
            continue
        with node.readers() as session:
            sent, _ = node.stats.subtree_days(session)

        def arrived_rollup(parent: str = parent.value, code: str = code, sent: dict = sent) -> bool:
            with federation.nodes[parent].readers() as session:
                row = session.get(StatsRollup, code)
                return row is not None and {d: Counter(c) for d, c in row.days.items()} == sent

        wait_for(arrived_rollup, what=f"the rollup of {code} at {parent.value}")


def test_statistics_at_province_county_and_township_agree_with_the_cases(federation, clock):
    federation.start_chain()
    village, township, county, city = (federation.desk(c) for c in (VILLAGE, TOWNSHIP, COUNTY, CITY))

    early = handled(federation, TOWNSHIP, submit(village, TOWNSHIP_ITEM))
    conclude(township, early.id)  # concluded on the day of 受理: early
    waiting = handled(federation, TOWNSHIP, submit(village, TOWNSHIP_ITEM))
    act(township, waiting.id, case_pb2.ACCEPT)
    online = village.SubmitCase(  # 网上申请 entered at the village: only submitted
        desk_pb2.SubmitCaseRequest(
            item_code=TOWNSHIP_ITEM,
            applicant=case_pb2.Applicant(name="网办", id_number="430981199001011237", phone="13800000000"),
            materials=complete_proto(TOWNSHIP_ITEM),
            channel="online",
        )
    )
    handled(federation, TOWNSHIP, online)
    at_county = handled(federation, COUNTY, submit(village, COUNTY_ITEM))
    conclude(county, at_county.id)
    refused = handled(federation, COUNTY, submit(township, COUNTY_ITEM))
    act(county, refused.id, case_pb2.REFUSE, note="不属于受理范围")
    late = handled(federation, CITY, submit(county, CITY_ITEM))
    act(city, late.id, case_pb2.ACCEPT)

    clock.set(china_morning(2025, 11, 13))  # the city's 7-day limit ended on the 12th
    federation.nodes[CITY].tick()
    for action in (case_pb2.REVIEW, case_pb2.APPROVE):
        act(city, late.id, action)  # concluded late
    for case, score in ((early, 2), (at_county, 5)):
        wait_for(
            lambda case=case: (
                village.GetCase(desk_pb2.GetCaseRequest(case_id=case.id)).state == case_pb2.CONCLUDED
            ),
            what="the conclusion at the village",
        )
        village.RateCase(desk_pb2.RateCaseRequest(case_id=case.id, score=score))
    wait_for(lambda: direct_counts(federation, TOWNSHIP)["ratings"] == 1, what="the 差评 at the township")
    wait_for(lambda: direct_counts(federation, COUNTY)["ratings"] == 1, what="the rating at the county")

    roll_up(federation)

    direct = {code: direct_counts(federation, code) for code in CHAIN}
    for code in (PROVINCE, COUNTY, TOWNSHIP):
        report = federation.desk(code).GetStats(desk_pb2.StatsRequest())
        expected = sum(
            (
                counts
                for c, counts in direct.items()
                if DivisionCode.parse(c).is_in_subtree_of(DivisionCode(code))
            ),
            Counter(),
        )
        got = Counter(report.subtree.counts)
        for key, value in expected.items():
            assert got[key] == value, f"{key} at {code}: stats say {got[key]}, the cases {value}"
        assert Counter(report.own.counts)["cases"] == direct[code]["cases"]

    province = federation.desk(PROVINCE).GetStats(desk_pb2.StatsRequest()).subtree
    assert province.counts["cases"] == 6 and province.counts["concluded"] == 3
    assert province.counts["on_time"] == 2 and province.counts["early"] == 2  # the city's case was late
    # red: the city's overdue case; yellow: it, and the township's open case at 8 of 10 days
    assert province.counts["cards:red"] == 1 and province.counts["cards:yellow"] == 2
    assert province.on_time_rate == pytest.approx(2 / 3)
    assert province.satisfaction == pytest.approx(3.5) and province.rectification_rate == 0.0
    assert province.online_rate == pytest.approx(1 / 6)  # 网办率 from the cases' channel
    assert province.satisfied_rate == pytest.approx(1 / 2)  # 满意率: the 5 of the scores 2 and 5
    # by department: the county's own cases under the item's department
    county_report = federation.desk(COUNTY).GetStats(desk_pb2.StatsRequest())
    with federation.nodes[COUNTY].readers() as session:
        county_departments = Counter(
            session.scalars(select(Case.department).where(Case.handler == COUNTY)).all()
        )
    assert {row.key: row.figures.counts["cases"] for row in county_report.by_department} == dict(
        county_departments
    )
    # by child: the province's one child (the city) carries everything below the province
    province_report = federation.desk(PROVINCE).GetStats(desk_pb2.StatsRequest())
    by_child = {row.key: row.figures for row in province_report.by_child}
    assert set(by_child) == {CITY}
    assert by_child[CITY].counts["cases"] == province.counts["cases"] - direct[PROVINCE]["cases"]
    assert by_child[CITY].satisfied_rate == pytest.approx(1 / 2)
    # the province's figures are the sum of its own and every other node's own figures
    owns = sum(
        (Counter(federation.desk(c).GetStats(desk_pb2.StatsRequest()).own.counts) for c in CHAIN), Counter()
    )
    assert +Counter(province.counts) == +owns

    later = federation.desk(PROVINCE).GetStats(desk_pb2.StatsRequest(from_day="2025-11-04"))
    assert later.subtree.counts["cases"] == 0  # every case was submitted on 3 November
