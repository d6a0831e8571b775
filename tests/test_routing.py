"""Next hop from division codes alone (docs/architecture.md §5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.routing import HopKind, NoRoute, next_hop
from wuji.divisions import DivisionCode, Tier

HUNAN = DivisionCode.parse("430000")
COUNTY = DivisionCode.parse("430981")
TOWNSHIP = DivisionCode.parse("430981006")
VILLAGE = DivisionCode.parse("430981006001")
OTHER_VILLAGE = DivisionCode.parse("430981008205")


def test_messages_route_by_codes():
    assert next_hop(VILLAGE, VILLAGE).kind is HopKind.LOCAL
    assert next_hop(VILLAGE, COUNTY) == next_hop(VILLAGE, OTHER_VILLAGE)
    assert next_hop(VILLAGE, COUNTY).peer == TOWNSHIP.value
    assert next_hop(COUNTY, VILLAGE).peer == TOWNSHIP.value
    assert next_hop(COUNTY, OTHER_VILLAGE).peer == "430981008000"
    assert next_hop(HUNAN, VILLAGE).peer == "430900000000"


def test_province_without_peer_refuses_other_provinces():
    with pytest.raises(NoRoute, match="440000000000"):
        next_hop(HUNAN, DivisionCode.parse("440305"))
    assert next_hop(HUNAN, DivisionCode.parse("440305"), ["440000000000"]).kind is HopKind.PEER


villages = st.builds(
    lambda c, d, t, v: DivisionCode.parse(f"43{c:02d}{d:02d}{t:03d}{v:03d}"),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
)


@given(villages, villages)
def test_following_next_hops_reaches_the_destination_without_loops(start, destination):
    for tier in Tier:
        here = start.ancestor_at(tier) if tier <= start.tier else None
        if here is None:
            continue
        visited = [here]
        while here != destination:
            hop = next_hop(here, destination)
            here = DivisionCode.parse(hop.peer)
            assert here not in visited
            visited.append(here)
        assert len(visited) <= 9
