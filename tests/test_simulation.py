"""`wuji simulate` at the size of one real county (and a second one across a province border)."""

from __future__ import annotations

from rich.console import Console

from node.runtime.simulation import SimulationPlan, run, select_divisions
from wuji.divisions import Tier


def test_every_case_arrives_once_and_every_node_holds_its_provinces_release(divisions):
    # 沅江市's whole subtree (all its townships and villages), and 南山区's across the border
    plan = SimulationPlan(scale=1.0, within=("430981", "440305"), cases=24)
    result = run(divisions, plan, Console(quiet=True))

    assert result.nodes[Tier.COUNTY] == 2 and result.nodes[Tier.PROVINCE] == 2
    assert result.nodes[Tier.VILLAGE] == len(divisions_below(divisions, "430981", "440305"))
    assert result.cases_sent["same township"] and result.cases_sent["same county"]
    assert result.cases_sent["other province"]
    sent = sum(result.cases_sent.values())
    assert sent == 24
    assert result.cases_arrived_once == sent  # held exactly once at the handler (异地代收代办 across)
    assert result.cases_answered == sent  # and the handler's answer reached the village
    assert result.catalogue_consistent == result.node_count
    assert result.ok
    peers = {key for phase in result.phases for key in phase.messages if key == "省→省"}
    assert peers  # the cross-province cases went through the peer link


def test_the_tree_keeps_a_fraction_of_each_townships_villages(divisions):
    whole = select_divisions(divisions, SimulationPlan(scale=1.0, within=("430981",)))
    tenth = select_divisions(divisions, SimulationPlan(scale=0.1, within=("430981",)))
    above = [d for d in whole if d.tier is not Tier.VILLAGE]
    assert above == [d for d in tenth if d.tier is not Tier.VILLAGE]  # whole tiers above villages
    villages = [d for d in whole if d.tier is Tier.VILLAGE]
    kept = [d for d in tenth if d.tier is Tier.VILLAGE]
    assert set(d.code for d in kept) <= set(d.code for d in villages)
    assert len(villages) * 0.1 - len(above) <= len(kept) <= len(villages) * 0.1 + len(above)


def divisions_below(table, *counties: str) -> list[str]:
    return [
        village.code
        for county in counties
        for township in table.children(county)
        for village in table.children(township.code)
    ]
