import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wuji.divisions import DivisionCode, InvalidDivisionCode, InvalidTier, Tier

PROVINCE = "430000000000"
CITY = "430900000000"
COUNTY = "430981000000"
TOWNSHIP = "430981006000"
VILLAGE = "430981006001"

GROUP_WIDTHS = (2, 2, 2, 3, 3)
fast = settings(max_examples=150, deadline=None)


# --- strategies -------------------------------------------------------------


@st.composite
def division_codes(draw, max_group: int | None = None, min_tier: int = 1) -> DivisionCode:
    """Valid codes: the first `tier` groups nonzero, the rest zero (no gaps).

    A small `max_group` makes independently drawn codes share prefixes often.
    """
    tier = draw(st.integers(min_tier, 5))
    groups = []
    for depth, width in enumerate(GROUP_WIDTHS, start=1):
        if depth <= tier:
            top = 10**width - 1 if max_group is None else max_group
            groups.append(f"{draw(st.integers(1, top)):0{width}d}")
        else:
            groups.append("0" * width)
    return DivisionCode.parse("".join(groups))


related_codes = division_codes(max_group=2)


@st.composite
def chains(draw) -> tuple[DivisionCode, DivisionCode, DivisionCode]:
    """Three codes on one root-to-leaf chain, strictly increasing in tier."""
    deepest = draw(division_codes(min_tier=3))
    t1, t2, t3 = sorted(draw(st.lists(st.integers(1, deepest.tier), min_size=3, max_size=3, unique=True)))
    return deepest.ancestor_at(Tier(t1)), deepest.ancestor_at(Tier(t2)), deepest.ancestor_at(Tier(t3))


@st.composite
def twelve_digit_strings(draw) -> str:
    """12-digit strings, each group either zero or random, so gaps and valid codes both occur."""
    parts = []
    for width in GROUP_WIDTHS:
        if draw(st.booleans()):
            parts.append("0" * width)
        else:
            parts.append(draw(st.text(alphabet="0123456789", min_size=width, max_size=width)))
    return "".join(parts)


def reference_tier(value: str) -> int:
    """Independent oracle: number of nonzero groups (assumes no gaps)."""
    groups, pos = [], 0
    for width in GROUP_WIDTHS:
        groups.append(value[pos : pos + width])
        pos += width
    return sum(1 for g in groups if int(g) != 0)


def has_gap(value: str) -> bool:
    groups, pos = [], 0
    for width in GROUP_WIDTHS:
        groups.append(int(value[pos : pos + width]))
        pos += width
    seen_zero = False
    for g in groups:
        if g == 0:
            seen_zero = True
        elif seen_zero:
            return True
    return False


# --- Tier -------------------------------------------------------------------


def test_tiers_are_ordered_by_depth():
    assert [t.value for t in Tier] == [1, 2, 3, 4, 5]
    assert Tier.PROVINCE < Tier.CITY < Tier.COUNTY < Tier.TOWNSHIP < Tier.VILLAGE


def test_tier_labels_are_chinese():
    assert [t.label for t in Tier] == ["省", "市", "县", "乡镇", "村"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("county", Tier.COUNTY),
        ("COUNTY", Tier.COUNTY),
        ("County", Tier.COUNTY),
        ("县", Tier.COUNTY),
        ("3", Tier.COUNTY),
        (" township ", Tier.TOWNSHIP),
        ("乡镇", Tier.TOWNSHIP),
        ("村", Tier.VILLAGE),
        ("1", Tier.PROVINCE),
        ("省", Tier.PROVINCE),
        ("市", Tier.CITY),
    ],
)
def test_tier_from_name_accepts_english_chinese_and_depth(name, expected):
    assert Tier.from_name(name) is expected


@pytest.mark.parametrize("name", ["", "0", "6", "town", "乡", "３", "-1", "provinces"])
def test_tier_from_name_rejects_unknown_with_valid_names_listed(name):
    with pytest.raises(InvalidTier) as excinfo:
        Tier.from_name(name)
    message = str(excinfo.value)
    assert repr(name) in message
    for tier in Tier:
        assert tier.name.lower() in message
        assert tier.label in message
    assert isinstance(excinfo.value, ValueError)


# --- parsing examples -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "tier"),
    [
        (PROVINCE, Tier.PROVINCE),
        (CITY, Tier.CITY),
        (COUNTY, Tier.COUNTY),
        (TOWNSHIP, Tier.TOWNSHIP),
        (VILLAGE, Tier.VILLAGE),
    ],
)
def test_sample_codes_have_expected_tier(code, tier):
    assert DivisionCode.parse(code).tier is tier


def test_county_code_pads_from_six_digits():
    assert DivisionCode.parse("430981").value == COUNTY


def test_province_code_pads_from_six_digits():
    code = DivisionCode.parse("430000")
    assert code.value == PROVINCE
    assert code.tier is Tier.PROVINCE


def test_township_code_pads_from_nine_digits():
    code = DivisionCode.parse("430981006")
    assert code.value == TOWNSHIP
    assert code.tier is Tier.TOWNSHIP


def test_nine_digit_form_of_a_county_is_accepted():
    assert DivisionCode.parse("430981000").value == COUNTY


def test_surrounding_whitespace_is_stripped():
    assert DivisionCode.parse(" 430981 ").value == COUNTY
    assert DivisionCode.parse("\t430981006001\n").value == VILLAGE


def test_parse_returns_same_object_for_division_code():
    code = DivisionCode.parse(VILLAGE)
    assert DivisionCode.parse(code) is code


def test_direct_construction_validates_and_pads():
    assert DivisionCode("430981") == DivisionCode.parse(COUNTY)
    with pytest.raises(InvalidDivisionCode):
        DivisionCode("43")


def test_str_is_twelve_digit_form():
    assert str(DivisionCode.parse("430981")) == COUNTY


def test_codes_are_hashable_and_equal_across_input_forms():
    assert {DivisionCode.parse("430981"): 1}[DivisionCode.parse(COUNTY)] == 1


def test_codes_are_immutable() -> None:
    code = DivisionCode.parse(COUNTY)
    with pytest.raises(AttributeError):
        code.value = PROVINCE  # type: ignore[misc]


@pytest.mark.parametrize(
    ("code", "short"),
    [
        (PROVINCE, "430000"),
        (CITY, "430900"),
        (COUNTY, "430981"),
        (TOWNSHIP, "430981006"),
        (VILLAGE, "430981006001"),
    ],
)
def test_short_gives_shortest_official_form(code, short):
    assert DivisionCode.parse(code).short() == short


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        (VILLAGE, TOWNSHIP),
        (TOWNSHIP, COUNTY),
        (COUNTY, CITY),
        (CITY, PROVINCE),
    ],
)
def test_parent_is_one_tier_up(code, parent):
    assert DivisionCode.parse(code).parent == DivisionCode.parse(parent)


def test_province_has_no_parent():
    assert DivisionCode.parse(PROVINCE).parent is None


def test_province_property_of_village():
    assert DivisionCode.parse(VILLAGE).province == DivisionCode.parse(PROVINCE)


def test_ancestor_at_own_tier_is_self():
    code = DivisionCode.parse(TOWNSHIP)
    assert code.ancestor_at(Tier.TOWNSHIP) is code


def test_ancestor_at_deeper_tier_is_rejected():
    with pytest.raises(ValueError, match="deeper"):
        DivisionCode.parse(CITY).ancestor_at(Tier.COUNTY)


def test_sample_ancestry():
    province, city, county, township, village = map(
        DivisionCode.parse, (PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE)
    )
    assert province.is_ancestor_of(village)
    assert county.is_ancestor_of(township)
    assert not village.is_ancestor_of(village)
    assert not village.is_ancestor_of(province)
    assert not DivisionCode.parse("440000").is_ancestor_of(village)
    assert village.is_in_subtree_of(city)
    assert village.is_in_subtree_of(village)
    assert not city.is_in_subtree_of(village)


def test_child_toward_steps_one_tier_down():
    county = DivisionCode.parse(COUNTY)
    assert county.child_toward(DivisionCode.parse(VILLAGE)) == DivisionCode.parse(TOWNSHIP)
    province = DivisionCode.parse(PROVINCE)
    assert province.child_toward(DivisionCode.parse(VILLAGE)) == DivisionCode.parse(CITY)


@pytest.mark.parametrize("other", [COUNTY, CITY, "440000"])
def test_child_toward_rejects_code_not_strictly_below(other):
    with pytest.raises(ValueError, match="not strictly below"):
        DivisionCode.parse(COUNTY).child_toward(DivisionCode.parse(other))


def test_sibling_is_not_ancestor_even_with_shared_digits():
    # 430981 vs 430903: same city, different county.
    assert not DivisionCode.parse("430981").is_ancestor_of(DivisionCode.parse("430903001"))


# --- malformed input --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("43", "expected 6, 9 or 12 digits, got 2"),
        ("43098", "expected 6, 9 or 12 digits, got 5"),
        ("4309810060011", "expected 6, 9 or 12 digits, got 13"),
        ("4309810", "expected 6, 9 or 12 digits, got 7"),
        ("43O981", "only ASCII digits"),
        ("４３０９８１", "only ASCII digits"),
        ("430 981", "only ASCII digits"),
        ("+430981", "only ASCII digits"),
        ("-430981", "only ASCII digits"),
        ("43098１", "only ASCII digits"),
        ("000000", "province group is 00"),
        ("000000000000", "province group is 00"),
        ("001000", "province group is 00"),
        ("430000001000", "township group 001 is nonzero but county group 00 is zero"),
        ("430001", "county group 01 is nonzero but city group 00 is zero"),
        ("430900000001", "village group 001 is nonzero but township group 000 is zero"),
    ],
)
def test_malformed_code_raises_clear_error(text, reason):
    with pytest.raises(InvalidDivisionCode) as excinfo:
        DivisionCode.parse(text)
    message = str(excinfo.value)
    assert message.startswith(f"invalid division code {text!r}: ")
    assert reason in message
    assert isinstance(excinfo.value, ValueError)


def test_error_message_matches_documented_example():
    with pytest.raises(InvalidDivisionCode) as excinfo:
        DivisionCode.parse("43098")
    assert str(excinfo.value) == "invalid division code '43098': expected 6, 9 or 12 digits, got 5"


def test_invalid_division_code_survives_pickling():
    with pytest.raises(InvalidDivisionCode) as excinfo:
        DivisionCode.parse("43")
    clone = pickle.loads(pickle.dumps(excinfo.value))
    assert str(clone) == str(excinfo.value)
    assert clone.text == "43"


@pytest.mark.parametrize("value", [430981, None, b"430981"])
def test_non_string_input_raises_type_error(value):
    with pytest.raises(TypeError):
        DivisionCode.parse(value)


# --- properties -------------------------------------------------------------


@fast
@given(division_codes())
def test_parse_str_roundtrips(code):
    assert DivisionCode.parse(str(code)) == code
    assert len(code.value) == 12


@fast
@given(division_codes())
def test_parse_short_roundtrips(code):
    short = code.short()
    assert len(short) in (6, 9, 12)
    assert DivisionCode.parse(short) == code


@fast
@given(division_codes())
def test_tier_matches_count_of_nonzero_groups(code):
    assert code.tier == reference_tier(code.value)


@fast
@given(division_codes())
def test_ancestor_at_each_shallower_tier(code):
    for tier in Tier:
        if tier > code.tier:
            with pytest.raises(ValueError):
                code.ancestor_at(tier)
            continue
        ancestor = code.ancestor_at(tier)
        assert ancestor.tier == tier
        assert code.is_in_subtree_of(ancestor)
        if tier < code.tier:
            assert ancestor.is_ancestor_of(code)
            assert ancestor < code
        else:
            assert ancestor == code


@fast
@given(division_codes())
def test_parent_chain_reaches_province_in_tier_minus_one_steps(code):
    steps, current = 0, code
    while (parent := current.parent) is not None:
        assert parent.tier == current.tier - 1
        assert parent.is_ancestor_of(code)
        current = parent
        steps += 1
    assert steps == code.tier - 1
    assert current == code.province
    assert current.tier is Tier.PROVINCE


@fast
@given(chains())
def test_ancestry_along_a_chain(chain):
    a, b, c = chain
    assert a.is_ancestor_of(b) and b.is_ancestor_of(c) and a.is_ancestor_of(c)
    assert not b.is_ancestor_of(a) and not c.is_ancestor_of(b) and not c.is_ancestor_of(a)
    assert a.child_toward(c).parent == a
    assert a.child_toward(c).is_in_subtree_of(a)
    assert c.is_in_subtree_of(a.child_toward(c))


@fast
@given(related_codes, related_codes, related_codes)
def test_is_ancestor_of_is_a_strict_partial_order(a, b, c):
    assert not a.is_ancestor_of(a)
    assert not (a.is_ancestor_of(b) and b.is_ancestor_of(a))
    if a.is_ancestor_of(b) and b.is_ancestor_of(c):
        assert a.is_ancestor_of(c)


@fast
@given(related_codes, related_codes)
def test_is_ancestor_of_matches_prefix_oracle(a, b):
    end = sum(GROUP_WIDTHS[: a.tier])
    expected = a.tier < b.tier and a.value[:end] == b.value[:end]
    assert a.is_ancestor_of(b) == expected
    assert b.is_in_subtree_of(a) == (a == b or expected)
    if expected:
        assert a < b


@fast
@given(division_codes(max_group=3), division_codes(max_group=3))
def test_child_toward_is_the_next_step_down(ancestor, descendant):
    if ancestor.is_ancestor_of(descendant):
        child = ancestor.child_toward(descendant)
        assert child.parent == ancestor
        assert child.tier == ancestor.tier + 1
        assert descendant.is_in_subtree_of(child)
        assert child.is_in_subtree_of(ancestor)
    else:
        with pytest.raises(ValueError):
            ancestor.child_toward(descendant)


@fast
@given(twelve_digit_strings())
def test_twelve_digit_strings_parse_consistently_or_raise_invalid_code(text):
    malformed = text[:2] == "00" or has_gap(text)
    try:
        code = DivisionCode.parse(text)
    except InvalidDivisionCode:
        assert malformed
        return
    assert not malformed
    assert code.value == text
    assert code.tier == reference_tier(text)
    assert DivisionCode.parse(code.short()) == code


@fast
@given(st.text(max_size=14))
def test_arbitrary_text_never_raises_unexpected_exception(text):
    try:
        code = DivisionCode.parse(text)
    except InvalidDivisionCode:
        return
    assert code.value.startswith(text.strip())
