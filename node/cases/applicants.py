"""The number an applicant is known by at a window: a person's 居民身份证号码 (GB 11643; the residence
permits of 港澳台 residents and the permanent residence cards of foreigners carry numbers of the same
form) or, for a company or another body, its 统一社会信用代码 (GB 32100). Each has a check
character, so a mistyped digit is caught where the applicant still stands at the window. And the
division codes typed beside it (户籍地, 办理地), and the one the number itself carries.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from node.errors import InvalidInput
from node.timeutil import CHINA_ZONE
from signing.licences import (
    CREDIT_CODE_ALPHABET,
    CREDIT_CODE_LENGTH,
    credit_code_check_character,
    is_valid_credit_code,
)
from wuji.divisions import DivisionCode, InvalidDivisionCode

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_FIRST_BIRTH_DATE = date(1900, 1, 1)
# spaces (full-width too) with a Chinese character or the middle dot on both sides
_SPACES_BETWEEN_HAN = re.compile(
    r"(?<=[\u3400-\u9fff\U00020000-\U0003ffff·])[ \u3000]+(?=[\u3400-\u9fff\U00020000-\U0003ffff·])"
)
# how many characters of a name typed without its dot are tried with one at each place (a name is
# a few characters; a longer text is no name)
_UNDOTTED_NAME_LENGTH = 16
# the first two digits of an identity number (GB/T 2260's provinces; 81, 82 and 83 begin the
# residence permits of residents of Hong Kong, Macao and Taiwan, which the window takes as well)
PROVINCE_PREFIXES = frozenset(str(code) for code in (
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
))  # fmt: skip


# The middle dot in the names of several ethnic groups (阿卜杜拉·买买提) is U+00B7, as the household
# registers write it; input methods give look-alikes, which would make one person several names.
_NAME_DOTS = str.maketrans(dict.fromkeys("•・･‧∙⋅\u0387\u2e31", "·"))
_HAN = r"\u3400-\u9fff\U00020000-\U0003ffff"
# a full stop typed for the dot (古丽.艾力, or 。 and ． from a Chinese input method): only between
# Chinese characters, so that J. Smith keeps its stop
_STOP_BETWEEN_HAN = re.compile(rf"(?<=[{_HAN}])[ \u3000]*[.．。｡][ \u3000]*(?=[{_HAN}])")
_SPACES_IN_NAME = re.compile(rf"(?<=[{_HAN}])[ \u3000]+(?=[{_HAN}])")
_MAINLAND_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")


def name_as_typed(name: str) -> str:
    """An applicant's name with its middle dot as the registers write it (a look-alike, or a full
    stop between Chinese characters: 古丽.艾力 is 古丽·艾力), and without the spaces typed between
    its Chinese characters (李 德 明, to line up on a form): the registers hold 李德明, and a search
    for it found nothing. Spaces between words in Latin letters stay."""
    return _SPACES_BETWEEN_HAN.sub("", _STOP_BETWEEN_HAN.sub("·", name.translate(_NAME_DOTS)))


def names_searched(typed: str) -> list[str]:
    """The stored names (or their beginnings) a name typed into a search may be, however its dot
    was typed: as name_as_typed stores it; a space between Chinese characters as the dot (古丽 艾力
    for 古丽·艾力: a name is stored without such a space, but a search is typed in haste); and a
    name typed without its dot with one at each place between its characters (古丽艾力), so that
    names compare as if without their dots. The first is the name as stored."""
    stored = name_as_typed(typed)
    forms = [stored, name_as_typed(_SPACES_IN_NAME.sub("·", typed.translate(_NAME_DOTS)))]
    if "·" not in stored and 2 <= len(stored) <= _UNDOTTED_NAME_LENGTH and re.fullmatch(f"[{_HAN}]+", stored):
        forms += [f"{stored[:cut]}·{stored[cut:]}" for cut in range(1, len(stored))]
    return list(dict.fromkeys(forms))


def digits_as_typed(text: str) -> str:
    """A number as typed at a window: full-width digits and letters (a Chinese input method) as
    ASCII, spaces (groups of digits, as printed on a card) left out."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def mainland_mobile(text: str) -> str | None:
    """The 11 digits of a mainland mobile number however it was typed (+86, 86, dashes, spaces)."""
    found = _MAINLAND_MOBILE.fullmatch(digits_as_typed(text).replace("-", ""))
    return found.group(1) if found else None


def applicant_number_problem(number: str) -> str | None:
    """Why an applicant's number (in capitals) is neither a well-formed resident identity number
    nor a unified social credit code, said for the window; None when it is one of them."""
    person = resident_id_problem(number)
    if person is None:
        return None
    # a credit code's third and fourth characters begin its registration authority's division
    # (100000: the central organs)
    company = is_valid_credit_code(number) and number[2:4] in PROVINCE_PREFIXES | {"10"}
    if company and not _reads_as_identity_number(number):
        return None
    if len(number) != CREDIT_CODE_LENGTH or number[:17].isdigit():
        return f"申请人身份证号码 {number} 有误：{person}"
    odd = sorted({ch for ch in number if ch not in CREDIT_CODE_ALPHABET})
    if odd:
        return (
            f"申请人统一社会信用代码 {number} 有误：只含数字和除 I、O、S、V、Z 以外的大写字母，"
            f"不应有 {'、'.join(odd)} (not a unified social credit code)"
        )
    if is_valid_credit_code(number):  # its check character right, its division not one
        return (
            f"申请人统一社会信用代码 {number} 有误：第 3 至 8 位 {number[2:8]} 不是登记管理机关的"
            "行政区划代码，请核对各位字符 (the credit code's division is no province's)"
        )
    expected = credit_code_check_character(number[:-1])
    return (
        f"申请人统一社会信用代码 {number} 有误：末位校验码应为 {expected}，请核对各位字符 "
        f"(the credit code's check character should be {expected})"
    )


def _reads_as_identity_number(number: str) -> bool:
    """Whether a number that fails the identity number's checks was meant as one: 17 digits that
    begin with a province and carry a birth date's year and month where an identity number does.
    About one in 31 single-digit typos of an identity number passes the credit code's check
    character; without this it was taken in as a company's code, and the case was then found under
    neither the person's number nor any company's."""
    digits = number[:17]
    if len(number) != CREDIT_CODE_LENGTH or not digits.isascii() or not digits.isdigit():
        return False
    return (
        digits[:2] in PROVINCE_PREFIXES
        and digits[6:8] in ("18", "19", "20")
        and "01" <= digits[10:12] <= "12"
    )


def typed_division(what: tuple[str, str], value: str, example: str = "") -> DivisionCode:
    """A division code as typed in the field `what` (its label, and its name in English);
    InvalidInput when it is none, such as a place name typed where the code goes."""
    try:
        return DivisionCode.parse(digits_as_typed(value))  # full-width digits, or in groups
    except InvalidDivisionCode as error:
        label, english = what
        raise InvalidInput(
            f"{label} {value} 有误：应填 6、9 或 12 位数字的区划代码{example}，不是地名 ({english}: {error})"
        ) from error


def division_in_number(number: str) -> tuple[str, str] | None:
    """The division code an applicant's number carries, as 12 digits, and where in the number: an
    identity number's first six digits name the county where it was first issued (the 户籍 then), a
    credit code's third to eighth its registration authority's; None when there are none. The 户籍
    may have moved since."""
    if resident_id_problem(number) is None:
        digits, where = number[:6], "身份证号前 6 位"
    elif is_valid_credit_code(number):
        digits, where = number[2:8], "统一社会信用代码第 3 至 8 位"
    else:
        return None
    return (digits + "000000", where) if digits.isdigit() and digits[2:] != "0000" else None


def resident_id_problem(id_number: str) -> str | None:
    """Why a 18-character resident identity number (GB 11643) is malformed, or None."""
    if len(id_number) != 18:
        return (
            f"应为 18 位：17 位数字加 1 位校验码，现为 {len(id_number)} 位 "
            "(the identity number must have 17 digits and a check character)"
        )
    if not id_number[:17].isascii() or not id_number[:17].isdigit():
        return "前 17 位应全为数字 (the identity number must have 17 digits and a check character)"
    if id_number[:2] not in PROVINCE_PREFIXES:
        return (
            f"前 2 位 {id_number[:2]} 不是省级行政区的代码，请核对各位数字 "
            "(the identity number begins with no province's code)"
        )
    expected = _check_character(id_number[:17])
    if id_number[17].upper() != expected:
        return (
            f"末位校验码应为 {expected}，请核对各位数字 "
            f"(the identity number's check character should be {expected})"
        )
    # two digits mistyped can keep the check character right (one in eleven); the birth date seldom
    born = id_number[6:14]
    try:
        birth = date(int(born[:4]), int(born[4:6]), int(born[6:]))
    except ValueError:
        return f"第 7 至 14 位出生日期 {born} 不是有效日期，请核对各位数字 (the birth date is not a date)"
    if not _FIRST_BIRTH_DATE <= birth <= datetime.now(CHINA_ZONE).date():
        return (
            f"第 7 至 14 位出生日期 {born} 不在 1900 年至今天之间，请核对各位数字 "
            "(the birth date is not between 1900 and today)"
        )
    return None


def with_check_character(first_17_digits: str) -> str:
    """A resident identity number from its first 17 digits (for tests and the demo)."""
    return first_17_digits + _check_character(first_17_digits)


def _check_character(first_17_digits: str) -> str:
    """GB 11643's ISO 7064 MOD 11-2 check character."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first_17_digits, _ID_WEIGHTS, strict=True)) % 11]
