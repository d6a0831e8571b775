"""Subtree statistics: each node counts what it handles, rollups carry the sums up to the province."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from node.clock import ManualClock, china_morning
from node.errors import InvalidInput
from node.store.engine import create_store_engine, migrate, reader_factory, session_factory
from node.store.models import Case, CaseDeadline, Rating, RectificationTask, StatsRollup, SupervisionCard
from node.store.outbound import Outbound
from node.supervision.cards import CALENDAR_MISSING
from node.supervision.stats import ROLLUP_TIME_SHARE, SLOW_COUNT_SECONDS, StatsService, _names_below
from sync.tables import OutboxEntry
from tests.harness import CHAIN, CITY, COUNTY, PROVINCE, TOWNSHIP, VILLAGE, FederationHarness, wait_for
from tests.materials import complete_proto
from tests.test_federation import act, arrived, submit
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2, desk_pb2, link_pb2

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
    # red: the city's case, first scanned when overdue (so no 预警 after the fact), and the online
    # application left 申请 for 8 working days (受理超时); yellow: the township's case at 8 of 10 days
    assert province.counts["cards:red"] == 2 and province.counts["cards:yellow"] == 1
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
    # the departments' figures add up to the node's own, cards included: the city's late case is
    # its department's red card (cards were counted in all only, no department was named late)
    for code in CHAIN:
        report = federation.desk(code).GetStats(desk_pb2.StatsRequest())
        departments = sum((Counter(row.figures.counts) for row in report.by_department), Counter())
        assert +departments == +Counter(report.own.counts), code
    city_departments = federation.desk(CITY).GetStats(desk_pb2.StatsRequest()).by_department
    assert [row.figures.counts["cards:red"] for row in city_departments] == [1]
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


def _case_row(case_id: str, handler: str, at: datetime) -> dict:
    return dict(
        id=case_id, item_code=TOWNSHIP_ITEM, item_name="事项", origin=VILLAGE, handler=handler,
        state="SUBMITTED", applicant_name="张三", applicant_id_number="1", applicant_phone="1",
        version=1, accepted=False, submitted_at=at, updated_at=at,
    )  # fmt: skip


def test_the_province_names_the_offices_of_its_whole_subtree(federation):
    """No envelope from a township reaches the province (cards and rollups are sent on by each
    tier), so its supervisor read 430981006000 where the county's read 琼湖街道便民服务中心."""
    named = {TOWNSHIP: "琼湖街道便民服务中心", VILLAGE: "韩家汊社区代办点", COUNTY: "沅江市政务服务中心"}
    nodes = [federation.start(code, name=named.get(code, "")) for code in CHAIN]
    wait_for(lambda: all(n.describe().catalog_version > 0 for n in nodes), what="the catalogue everywhere")
    province = federation.nodes[PROVINCE]
    assert province.names.name_of(TOWNSHIP) == ""
    roll_up(federation)
    wait_for(lambda: province.names.name_of(TOWNSHIP) == named[TOWNSHIP], what="the township named")
    assert all(province.names.name_of(code) == name for code, name in named.items())
    assert province.names.name_of(CITY) == ""  # none was given: it reads as its code still


def test_a_rollup_names_only_offices_in_its_senders_subtree():
    county = DivisionCode.parse(COUNTY)
    assert _names_below(county, {TOWNSHIP: " 琼湖街道便民服务中心 "}) == {TOWNSHIP: "琼湖街道便民服务中心"}
    with pytest.raises(InvalidInput, match="not in its subtree"):
        _names_below(county, {"430981006000": "琼湖", "430902000000": "资阳区政务服务中心"})
    with pytest.raises(InvalidInput, match="bad code"):
        _names_below(county, {"43098100600": "短了一位"})


def test_a_slow_count_is_not_made_again_until_it_took_a_small_share_of_the_time(tmp_path, clock):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'node.db'}")
    migrate(engine)
    code = DivisionCode.parse(TOWNSHIP)

    def add_case(number: int) -> None:
        with engine.begin() as connection:
            connection.execute(insert(Case), [_case_row(f"P{number}", TOWNSHIP, clock.now())])

    def sent_cases() -> list[int]:
        with engine.connect() as connection:
            envelopes = connection.scalars(select(OutboxEntry.envelope).order_by(OutboxEntry.seq)).all()
        rollups = [link_pb2.Envelope.FromString(envelope).stats_rollup for envelope in envelopes]
        return [sum(day.counts["cases"] for day in rollup.days) for rollup in rollups]

    def service(slow_count_seconds: float = SLOW_COUNT_SECONDS) -> StatsService:
        readers = reader_factory(engine)
        return StatsService(
            code,
            session_factory(engine),
            readers,
            Outbound(code),
            clock,
            slow_count_seconds=slow_count_seconds,
        )

    quick = service()  # counts in milliseconds: a rollup at every tick that finds something new
    add_case(1)
    assert quick.push_rollup() and quick.next_count_at is None
    add_case(2)
    assert quick.push_rollup() and sent_cases() == [1, 2]

    slow = service(slow_count_seconds=0.0)  # every count is "slow": paced
    add_case(3)
    assert slow.push_rollup()
    assert slow.next_count_at is not None and slow.next_count_at > clock.now()
    add_case(4)
    assert not slow.push_rollup()  # too soon after the last count: nothing counted, nothing sent
    assert sent_cases() == [1, 2, 3]
    wait = slow.next_count_at - clock.now()
    assert wait.total_seconds() < 1 / ROLLUP_TIME_SHARE  # the count took well under a second
    clock.advance(wait)
    assert slow.push_rollup() and sent_cases() == [1, 2, 3, 4]
    engine.dispose()


def test_the_database_sums_match_a_count_of_each_case_on_its_china_day(
    database_url: str, clock: ManualClock
) -> None:
    """Random cases around China's midnight (16:00 UTC), counted one by one here and summed by
    the database there: per day and per department, replicas of other handlers' cases left out."""
    here, elsewhere = TOWNSHIP, COUNTY
    shanghai = ZoneInfo("Asia/Shanghai")
    rnd = random.Random(19)
    engine = create_store_engine(database_url)
    migrate(engine)
    expected_days: dict[str, Counter[str]] = {}
    expected_departments: Counter[str] = Counter()
    rows: dict[type, list[dict]] = {Case: [], CaseDeadline: [], Rating: [], RectificationTask: []}
    for number in range(400):
        case_id = f"S{number:04d}"
        handler = here if number % 5 else elsewhere
        at = datetime(2026, 3, 1, 15, 0, tzinfo=UTC) + timedelta(
            days=rnd.randrange(4), minutes=rnd.randrange(120)
        )  # 23:00-01:00 in China
        state = rnd.choice(["SUBMITTED", "ACCEPTED", "CONCLUDED", "DELIVERED", "REFUSED"])
        department = rnd.choice(["民政办", "社保所", None])
        channel = rnd.choice(["window", "agent", "online", None])
        rows[Case].append(
            _case_row(case_id, handler, at) | dict(state=state, department=department, channel=channel)
        )
        counts: Counter[str] = Counter({"cases": 1, f"state:{state}": 1, "online": channel == "online"})
        if rnd.random() < 0.9:
            deadline = rnd.choice([None, date(2026, 3, 10)])
            concluded_on = rnd.choice([None, date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11)])
            rows[CaseDeadline].append(
                dict(
                    case_id=case_id, accepted_on=date(2026, 3, 2), promised_days=5, pauses=[],
                    deadline=deadline, open=concluded_on is None, concluded_on=concluded_on, due_on=None,
                )
            )  # fmt: skip
            if concluded_on is not None:
                counts["concluded"] += 1
                if deadline is not None and concluded_on <= deadline:
                    counts["on_time"] += 1
                    counts["early"] += concluded_on < deadline
        if rnd.random() < 0.6:
            score, voided = rnd.randrange(1, 6), rnd.random() < 0.2
            rows[Rating].append(
                dict(
                    case_id=case_id, score=score, comment="", rated_at=at, origin=VILLAGE,
                    handler=handler, voided_at=at if voided else None,
                )
            )  # fmt: skip
            done = rnd.random() < 0.5
            if score <= 2:
                rows[RectificationTask].append(
                    dict(
                        case_id=case_id, opened_on=date(2026, 3, 9), deadline=date(2026, 3, 20),
                        return_visit="", done_at=at if done else None,
                    )
                )  # fmt: skip
            if not voided:
                counts["ratings"] += 1
                counts["rating_sum"] += score
                counts["satisfied"] += score >= 4
                counts["bad_ratings"] += score <= 2
                counts["rectified"] += score <= 2 and done
        if handler == here:
            day = at.astimezone(shanghai).date().isoformat()
            expected_days.setdefault(day, Counter()).update(counts)
            expected_departments[department or "未分部门"] += 1
    cards = [
        dict(
            id=f"card-{n}", case_id="S0001", handler=handler, colour=colour, reason=reason, detail="",
            submitted_on=date(2026, 3, 2), raised_at=datetime(2026, 3, 12, tzinfo=UTC),
        )
        for n, (handler, colour, reason) in enumerate(
            [(here, "yellow", "warning"), (here, "red", "overdue"), (here, "red", "overdue"),
             (here, "red", CALENDAR_MISSING), (elsewhere, "yellow", "warning")]
        )
    ]  # fmt: skip
    expected_days["2026-03-02"].update({"cards:yellow": 1, "cards:red": 2})
    with engine.begin() as connection:
        for model, values in rows.items():
            connection.execute(insert(model), values)
        connection.execute(insert(SupervisionCard), cards)

    code = DivisionCode.parse(here)
    stats = StatsService(code, session_factory(engine), reader_factory(engine), Outbound(code), clock)
    with reader_factory(engine)() as session:
        counted = stats.own_days(session)
    report = stats.report()
    engine.dispose()
    assert set(counted) == set(expected_days)  # five China days from four UTC ones
    for day, counts in expected_days.items():
        assert +counted[day] == +counts, day
    assert {row.key: row.figures.counts["cases"] for row in report.by_department} == expected_departments
