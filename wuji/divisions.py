"""Administrative division codes (统计用区划代码) and the five node tiers.

A node is named by its 12-digit code, grouped ``PP CC DD TTT VVV``
(province, city, county, township, village). The tier is the depth of the
last nonzero group; a nonzero group after a zero group is malformed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache

# End offsets of the PP, CC, DD, TTT and VVV groups, indexed by tier depth (index 0 unused).
_GROUP_END: tuple[int, ...] = (0, 2, 4, 6, 9, 12)
_CODE_LENGTH = 12
_ACCEPTED_LENGTHS = (6, 9, 12)


class InvalidTier(ValueError):
    """Raised when a tier name cannot be resolved."""


class InvalidDivisionCode(ValueError):
    """Raised when text is not a well-formed division code."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"invalid division code {text!r}: {reason}")
        self.text = text
        self.reason = reason

    def __reduce__(self) -> tuple[type[InvalidDivisionCode], tuple[str, str]]:
        return type(self), (self.text, self.reason)


class Tier(IntEnum):
    """Node tier, valued by depth: PROVINCE=1 … VILLAGE=5."""

    PROVINCE = 1  # 省
    CITY = 2  # 市
    COUNTY = 3  # 县
    TOWNSHIP = 4  # 乡镇 (便民服务中心)
    VILLAGE = 5  # 村 (代办点)

    @property
    def label(self) -> str:
        """Chinese label of the tier."""
        return _LABELS[self]

    @classmethod
    def from_name(cls, name: str) -> Tier:
        """Resolve an English name (any case), Chinese label or depth digit to a tier."""
        if isinstance(name, str):
            key = name.strip()
            if key.isascii() and key.isdigit() and int(key) in cls._value2member_map_:
                return cls(int(key))
            for tier in cls:
                if key.upper() == tier.name or key == tier.label:
                    return tier
        valid = ", ".join(f"{t.name.lower()} ({t.label}, {t.value})" for t in cls)
        raise InvalidTier(f"invalid tier {name!r}: expected one of {valid}")


def tier_level_words(name: str) -> str:
    """county → 县级: a handling tier as a catalogue names it, in the words people use; a name
    that is no tier as given."""
    try:
        return f"{Tier.from_name(name).label}级"
    except InvalidTier:
        return name


_LABELS: dict[Tier, str] = {
    Tier.PROVINCE: "省",
    Tier.CITY: "市",
    Tier.COUNTY: "县",
    Tier.TOWNSHIP: "乡镇",
    Tier.VILLAGE: "村",
}


def _normalize(text: str) -> tuple[str, Tier]:
    """Validate ``text`` and return its 12-digit form and tier, or raise InvalidDivisionCode."""
    if not isinstance(text, str):
        raise TypeError(f"division code must be a str, got {type(text).__name__}")
    digits = text.strip()
    if not digits:
        raise InvalidDivisionCode(text, "empty")
    for pos, char in enumerate(digits):
        if not ("0" <= char <= "9"):
            raise InvalidDivisionCode(text, f"only ASCII digits 0-9 are allowed, found {char!r} at {pos}")
    if len(digits) not in _ACCEPTED_LENGTHS:
        raise InvalidDivisionCode(text, f"expected 6, 9 or 12 digits, got {len(digits)}")
    value = digits.ljust(_CODE_LENGTH, "0")
    groups = [value[_GROUP_END[d - 1] : _GROUP_END[d]] for d in range(1, len(_GROUP_END))]
    if int(groups[0]) == 0:
        raise InvalidDivisionCode(text, "province group is 00")
    depth = 1
    while depth < len(groups) and int(groups[depth]) != 0:
        depth += 1
    for d in range(depth, len(groups)):
        if int(groups[d]) != 0:
            # Name the zero group directly above the first stray nonzero one.
            raise InvalidDivisionCode(
                text,
                f"{Tier(d + 1).name.lower()} group {groups[d]} is nonzero "
                f"but {Tier(d).name.lower()} group {groups[d - 1]} is zero",
            )
    return value, Tier(depth)


@dataclass(frozen=True, order=True)
class DivisionCode:
    """A validated division code, always stored in 12-digit form.

    Ordering is by ``value``, which puts every code before all of its descendants
    (depth-first pre-order). Constructing directly validates and pads like ``parse``.
    """

    value: str
    _tier: Tier = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        value, tier = _normalize(self.value)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "_tier", tier)

    @classmethod
    def parse(cls, text: str | DivisionCode) -> DivisionCode:
        """Parse a 6, 9 or 12-digit code, ignoring surrounding whitespace; a DivisionCode passes through.

        The same text gives the same (immutable) object: a node reads the few codes it meets on
        every envelope and every case, so each is validated once."""
        if isinstance(text, DivisionCode):
            return text
        return _parsed(text) if cls is DivisionCode else cls(text)

    @property
    def tier(self) -> Tier:
        """Tier of the deepest nonzero group."""
        return self._tier

    @property
    def parent(self) -> DivisionCode | None:
        """The code one tier up, or None for a province."""
        tier = self.tier
        if tier == Tier.PROVINCE:
            return None
        return self.ancestor_at(Tier(tier - 1))

    def ancestor_at(self, tier: Tier) -> DivisionCode:
        """The ancestor at ``tier`` (self if it is this code's tier); ValueError if ``tier`` is deeper."""
        tier = Tier(tier)
        own = self.tier
        if tier > own:
            raise ValueError(
                f"cannot take the {tier.name.lower()} ancestor of {own.name.lower()} code {self.value}: "
                f"{tier.name.lower()} is deeper than {own.name.lower()}"
            )
        if tier == own:
            return self
        end = _GROUP_END[tier]
        return _parsed(self.value[:end].ljust(_CODE_LENGTH, "0"))

    def is_ancestor_of(self, other: DivisionCode) -> bool:
        """True if ``other`` lies strictly below this code."""
        own = self.tier
        return other.tier > own and other.value[: _GROUP_END[own]] == self.value[: _GROUP_END[own]]

    def is_in_subtree_of(self, other: DivisionCode) -> bool:
        """True if this code is ``other`` or lies below it."""
        return self == other or other.is_ancestor_of(self)

    def child_toward(self, descendant: DivisionCode) -> DivisionCode:
        """The child of this code (one tier down) on the path to ``descendant``."""
        if not self.is_ancestor_of(descendant):
            raise ValueError(f"{descendant.value} is not strictly below {self.value}")
        return descendant.ancestor_at(Tier(self.tier + 1))

    @property
    def province(self) -> DivisionCode:
        """The province this code belongs to."""
        return self.ancestor_at(Tier.PROVINCE)

    def short(self) -> str:
        """Shortest official form: 6 digits up to county, 9 for a township, 12 for a village."""
        tier = self.tier
        if tier <= Tier.COUNTY:
            return self.value[:6]
        return self.value[: _GROUP_END[tier]]

    def __str__(self) -> str:
        return self.value


def exists(code: str | DivisionCode) -> bool:
    """Whether code names a real division in the installed table (`wuji divisions fetch`).

    Raises division_table.TableMissing when no table is installed: an unknown answer is never
    given as "no".
    """
    from wuji import division_table  # the table module builds on this one

    return division_table.installed().get(code) is not None


def name(code: str | DivisionCode) -> str:
    """The official name of a real division (430981006 → 琼湖街道); KeyError if there is none."""
    from wuji import division_table

    division = division_table.installed().get(code)
    if division is None:
        raise KeyError(f"{DivisionCode.parse(code)} is not in the division table")
    return division.name


@lru_cache(maxsize=65_536)
def _parsed(text: str) -> DivisionCode:
    return DivisionCode(text)
