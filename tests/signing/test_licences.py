"""Electronic licence identifiers (GB/T 36904 shape) and unified social credit codes (GB 32100)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signing.licences import (
    LICENCE_OID_PREFIX,
    InvalidLicenceIdentifier,
    LicenceIdentifier,
    check_digit,
    credit_code_check_character,
    is_valid_credit_code,
)

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Identifiers found in public source code and documents (GitHub), made by other software; their
# check characters are what ISO/IEC 7064 MOD 37,36 over the concatenated parts gives. The third
# appears in a public write-up as the file name of an OFD licence from a provincial portal.
PUBLISHED_IDENTIFIERS = [
    "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
    "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
    "1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
]

# Unified social credit codes appearing in those public identifiers and code as 证照定义机构代码 or
# 证照颁发机构代码; one public data dictionary labels 11100000000013338W as 中华人民共和国住房和城乡建设部.
PUBLISHED_CREDIT_CODES = [
    "11100000000013338W",
    "11100000MB0341032Y",
    "11220000013544541J",
    "11430000006122244L",
    "11330105002500287C",
    "11110000000021135M",
    "11370800MB28559184",
    "12110000400777687U",
]

TYPE_CODE = "11100000000013338W009"
ISSUER = "11330105002500287C"


@pytest.mark.parametrize("text", PUBLISHED_IDENTIFIERS)
def test_published_identifiers_parse(text: str):
    identifier = LicenceIdentifier.parse(text, verify_credit_codes=True)
    assert str(identifier) == text
    assert identifier.credit_codes_valid()


def test_parts_of_a_published_identifier():
    identifier = LicenceIdentifier.parse(PUBLISHED_IDENTIFIERS[2])
    assert identifier.type_code == "11100000000013338W009"
    assert identifier.issuer_code == "11330105002500287C"
    assert identifier.serial == "2025052201"
    assert identifier.version == "002"
    assert identifier.check_digit == "0"
    assert identifier.payload == "11100000000013338W00911330105002500287C2025052201002"


def test_build_matches_published_identifier():
    built = LicenceIdentifier.build(TYPE_CODE, ISSUER, 2025052201, 2)
    assert str(built) == PUBLISHED_IDENTIFIERS[2]
    assert LicenceIdentifier.build(TYPE_CODE, ISSUER, "2025052201", "002") == built


def test_round_trip():
    built = LicenceIdentifier.build("11100000000013338W032", "11220000013544541J", "A1B2C3", 7)
    text = str(built)
    assert text.startswith(LICENCE_OID_PREFIX + ".11100000000013338W032.11220000013544541J.A1B2C3.007.")
    assert LicenceIdentifier.parse(text) == built


# --- check character


def test_check_digit_mod_37_36_known_values():
    # hand-checkable: payload "0" → state 36 → 2·36 mod 37 = 35 → check (37 - 35) mod 36 = 2
    assert check_digit("0") == "2"
    assert check_digit("11100000000013338W03211220000013544541J2430599001") == "F"


def test_check_digit_rejects_foreign_characters():
    for payload in ("", "abc", "12-3", "１２３", "A B"):
        with pytest.raises(InvalidLicenceIdentifier) as error:
            check_digit(payload)
        assert error.value.part == "payload"


def test_every_single_character_change_is_detected():
    text = PUBLISHED_IDENTIFIERS[0]
    start = len(LICENCE_OID_PREFIX) + 1
    for i in range(start, len(text) - 2):
        if text[i] == ".":
            continue
        for replacement in ALPHANUMERIC:
            if replacement == text[i]:
                continue
            changed = text[:i] + replacement + text[i + 1 :]
            with pytest.raises(InvalidLicenceIdentifier):
                LicenceIdentifier.parse(changed)


def test_changed_check_character_is_detected():
    text = PUBLISHED_IDENTIFIERS[1]
    for replacement in ALPHANUMERIC.replace(text[-1], ""):
        with pytest.raises(InvalidLicenceIdentifier) as error:
            LicenceIdentifier.parse(text[:-1] + replacement)
        assert error.value.part == "check_digit"


@pytest.mark.parametrize("text", PUBLISHED_IDENTIFIERS)
def test_adjacent_swaps_are_detected(text: str):
    start = len(LICENCE_OID_PREFIX) + 1
    swaps = 0
    for i in range(start, len(text) - 1):
        a, b = text[i], text[i + 1]
        if a == b or "." in (a, b):
            continue
        if (ALPHANUMERIC.index(a) - ALPHANUMERIC.index(b)) % 36 in (1, 35):
            continue  # the documented blind spot: cyclic neighbours, 1 state in 36
        swaps += 1
        with pytest.raises(InvalidLicenceIdentifier):
            LicenceIdentifier.parse(text[:i] + b + a + text[i + 2 :])
    assert swaps >= 10


def test_swap_across_a_dot_is_a_shape_error():
    text = PUBLISHED_IDENTIFIERS[2]
    dot = text.index(".", len(LICENCE_OID_PREFIX) + 1)
    swapped = text[: dot - 1] + text[dot] + text[dot - 1] + text[dot + 1 :]
    with pytest.raises(InvalidLicenceIdentifier) as error:
        LicenceIdentifier.parse(swapped)
    assert error.value.part == "type_code"


# --- malformed parts name themselves


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("1.2.156.3005.3.11100000000013338W009.11330105002500287C.2025052201.002.0", "prefix"),
        ("11100000000013338W009.11330105002500287C.2025052201.002.0", "prefix"),
        (" 1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0", "prefix"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002", "identifier"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025.052201.002.0", "identifier"),
        ("1.2.156.3005.2.11100000000013338W09.11330105002500287C.2025052201.002.0", "type_code"),
        ("1.2.156.3005.2.11100000000013338WA09.11330105002500287C.2025052201.002.0", "type_code"),
        ("1.2.156.3005.2.11100000000013338I009.11330105002500287C.2025052201.002.0", "type_code"),
        ("1.2.156.3005.2.11100000000013338W009.1133010500250028C.2025052201.002.0", "issuer_code"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287c.2025052201.002.0", "issuer_code"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287O.2025052201.002.0", "issuer_code"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287C..002.0", "serial"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025-052201.002.0", "serial"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025O52201x.002.0", "serial"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.02.0", "version"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.0A2.0", "version"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.000.0", "version"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.", "check_digit"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.00", "check_digit"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.a", "check_digit"),
        ("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.1", "check_digit"),
    ],
)
def test_malformed_parts_are_named(text: str, part: str):
    with pytest.raises(InvalidLicenceIdentifier) as error:
        LicenceIdentifier.parse(text)
    assert error.value.part == part
    assert str(error.value).startswith(part + ":")
    assert isinstance(error.value, ValueError)


def test_parse_needs_a_string() -> None:
    with pytest.raises(InvalidLicenceIdentifier):
        LicenceIdentifier.parse(b"1.2.156.3005.2")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "part"),
    [
        ((TYPE_CODE, ISSUER, "", 1), "serial"),
        ((TYPE_CODE, ISSUER, "x" * 3, 1), "serial"),
        ((TYPE_CODE, ISSUER, "A" * 65, 1), "serial"),
        ((TYPE_CODE, ISSUER, -1, 1), "serial"),
        ((TYPE_CODE, ISSUER, True, 1), "serial"),
        ((TYPE_CODE, ISSUER, 1.5, 1), "serial"),
        ((TYPE_CODE, ISSUER, 1, 0), "version"),
        ((TYPE_CODE, ISSUER, 1, 1000), "version"),
        ((TYPE_CODE, ISSUER, 1, "1"), "version"),
        ((TYPE_CODE, ISSUER, 1, True), "version"),
        ((TYPE_CODE[:-1], ISSUER, 1, 1), "type_code"),
        ((TYPE_CODE, ISSUER[:-1] + "D", 1, 1), "issuer_code"),  # fails the GB 32100 check
        (("11100000000013338X009", ISSUER, 1, 1), "type_code"),  # authority code fails the check
        ((None, ISSUER, 1, 1), "type_code"),
    ],
)
def test_build_rejects_bad_parts(arguments: tuple, part: str):
    with pytest.raises(InvalidLicenceIdentifier) as error:
        LicenceIdentifier.build(*arguments)
    assert error.value.part == part


def test_credit_code_checks_can_be_relaxed_or_demanded():
    bad_issuer = ISSUER[:-1] + "D"
    built = LicenceIdentifier.build(TYPE_CODE, bad_issuer, 1, verify_credit_codes=False)
    assert not built.credit_codes_valid()
    assert LicenceIdentifier.parse(str(built)) == built
    with pytest.raises(InvalidLicenceIdentifier, match="should be 'C'") as error:
        LicenceIdentifier.parse(str(built), verify_credit_codes=True)
    assert error.value.part == "issuer_code"


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(InvalidLicenceIdentifier) as error:
        LicenceIdentifier(TYPE_CODE, ISSUER, "2025052201", "002", "1")
    assert error.value.part == "check_digit"
    with pytest.raises(InvalidLicenceIdentifier):
        LicenceIdentifier(TYPE_CODE, ISSUER, "2025052201", 2, "0")  # type: ignore[arg-type]


# --- unified social credit codes (GB 32100-2015)


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_published_credit_codes_are_valid(code: str):
    assert is_valid_credit_code(code)


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_every_changed_credit_code_character_is_detected(code: str):
    for i in range(len(code)):
        for replacement in CREDIT_ALPHABET.replace(code[i], ""):
            assert not is_valid_credit_code(code[:i] + replacement + code[i + 1 :])


@pytest.mark.parametrize(
    "code",
    ["", "11100000000013338", "11100000000013338WW", "11100000000013338w", "1110000000001333IW", None, 111],
)
def test_malformed_credit_codes(code):
    assert is_valid_credit_code(code) is False


def test_credit_code_check_character_needs_17_characters():
    assert credit_code_check_character("11100000000013338") == "W"
    with pytest.raises(ValueError):
        credit_code_check_character("1110000000001333")


# --- properties

credit_codes = st.text(CREDIT_ALPHABET, min_size=17, max_size=17).map(
    lambda s: s + credit_code_check_character(s)
)
type_codes = st.builds(lambda code, n: f"{code}{n:03d}", credit_codes, st.integers(0, 999))
serials = st.one_of(st.text(ALPHANUMERIC, min_size=1, max_size=64), st.integers(0, 10**30))
versions = st.one_of(st.integers(1, 999), st.integers(1, 999).map(lambda n: f"{n:03d}"))


@given(type_codes, credit_codes, serials, versions)
def test_build_str_parse_is_identity(type_code, issuer_code, serial, version):
    built = LicenceIdentifier.build(type_code, issuer_code, serial, version)
    text = str(built)
    assert LicenceIdentifier.parse(text, verify_credit_codes=True) == built
    assert str(LicenceIdentifier.parse(text)) == text
    assert built.serial == str(serial) and int(built.version) == int(version)


@given(st.text(ALPHANUMERIC, min_size=1, max_size=80), st.data())
def test_any_single_substitution_changes_the_check_digit(payload, data):
    i = data.draw(st.integers(0, len(payload) - 1))
    replacement = data.draw(st.sampled_from(ALPHANUMERIC.replace(payload[i], "")))
    assert check_digit(payload[:i] + replacement + payload[i + 1 :]) != check_digit(payload)


@given(st.text(ALPHANUMERIC, min_size=2, max_size=80), st.data())
def test_adjacent_transpositions_of_non_neighbours_change_the_check_digit(payload, data):
    i = data.draw(st.integers(0, len(payload) - 2))
    a, b = payload[i], payload[i + 1]
    distance = (ALPHANUMERIC.index(a) - ALPHANUMERIC.index(b)) % 36
    if distance in (0, 1, 35):
        return
    assert check_digit(payload[:i] + b + a + payload[i + 2 :]) != check_digit(payload)
