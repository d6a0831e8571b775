"""A small, strict reader of DER (ITU-T X.690): the few structures wuji reads on every document.

asn1crypto reads any ASN.1 but costs a few hundred microseconds for a time-stamp token, more than
verifying its signature; a node checks a token with every sealed result it receives. This reader
only walks TLVs (tag, length, value) and decodes the handful of primitive types those structures
use. It is strict: one-byte tags only, definite minimal lengths, values inside their parent, no
bytes left over, minimal INTEGERs and OID arcs. Anything else raises `DerError` saying where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

# universal tags (constructed where they always are)
BOOLEAN, INTEGER, OCTET_STRING, OID, GENERALIZED_TIME = 0x01, 0x02, 0x04, 0x06, 0x18
SEQUENCE, SET = 0x30, 0x31


def context(number: int, *, constructed: bool = True) -> int:
    """The tag of a context-specific [number] field (0–30)."""
    return 0x80 | (0x20 if constructed else 0) | number


class DerError(ValueError):
    """The bytes are not the DER expected; the message says what and where."""


@dataclass(slots=True)  # not frozen: a frozen dataclass takes twice as long to make
class Element:
    """One TLV inside `data`: its tag, where it starts, where its value starts and where it ends."""

    data: bytes
    tag: int
    start: int
    value_start: int
    end: int

    @property
    def raw(self) -> bytes:
        """The whole encoding: tag, length and value."""
        return self.data[self.start : self.end]

    @property
    def value(self) -> bytes:
        return self.data[self.value_start : self.end]

    def expect(self, tag: int, what: str) -> Element:
        if self.tag != tag:
            raise DerError(f"{what}: expected tag 0x{tag:02x}, found 0x{self.tag:02x} at offset {self.start}")
        return self

    def children(self) -> list[Element]:
        """The elements a constructed value holds, in order; they must fill it exactly."""
        if not self.tag & 0x20:
            raise DerError(f"the element at offset {self.start} is primitive, not constructed")
        found = []
        data, position, end = self.data, self.value_start, self.end
        while position < end:
            child = _element(data, position, end)
            found.append(child)
            position = child.end
        return found

    def fields(self, what: str) -> Fields:
        return Fields(self, what)

    def only(self, what: str) -> Element:
        """The one element a constructed value holds (an EXPLICIT tag's content)."""
        children = self.children()
        if len(children) != 1:
            raise DerError(f"{what}: expected one element at offset {self.start}, found {len(children)}")
        return children[0]


class Fields:
    """The children of a SEQUENCE read one after the other, optional ones by their tag."""

    def __init__(self, parent: Element, what: str) -> None:
        self._children = parent.children()
        self._next = 0
        self._what = what

    def take(self, tag: int, name: str) -> Element:
        index, children = self._next, self._children
        if index < len(children) and children[index].tag == tag:
            self._next = index + 1
            return children[index]
        raise DerError(f"{self._what}: {name} is missing or out of place")

    def optional(self, tag: int) -> Element | None:
        index, children = self._next, self._children
        if index < len(children) and children[index].tag == tag:
            self._next = index + 1
            return children[index]
        return None

    def rest(self) -> list[Element]:
        """The fields not read yet (extensions the caller does not need)."""
        remaining, self._next = self._children[self._next :], len(self._children)
        return remaining

    def end(self) -> None:
        if self._next != len(self._children):
            extra = self._children[self._next]
            raise DerError(f"{self._what}: unexpected tag 0x{extra.tag:02x} at offset {extra.start}")


def parse(data: bytes, what: str = "DER") -> Element:
    """The single element `data` holds; DerError if anything is malformed or follows it."""
    if not isinstance(data, bytes):
        raise DerError(f"{what}: expected bytes, not {type(data).__name__}")
    element = _element(data, 0, len(data))
    if element.end != len(data):
        raise DerError(f"{what}: {len(data) - element.end} bytes follow the encoding")
    return element


def _element(data: bytes, start: int, limit: int) -> Element:
    if start + 2 > limit:
        raise DerError(f"truncated element at offset {start}")
    tag = data[start]
    if tag & 0x1F == 0x1F:
        raise DerError(f"multi-byte tag at offset {start}: not used by these structures")
    first = data[start + 1]
    position = start + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DerError(f"indefinite length at offset {start}: not DER")
    else:
        count = first & 0x7F
        if count > 4 or position + count > limit:
            raise DerError(f"bad length of {count} bytes at offset {start}")
        length = int.from_bytes(data[position : position + count], "big")
        if length < 0x80 or data[position] == 0:
            raise DerError(f"length at offset {start} is not minimally encoded")
        position += count
    end = position + length
    if end > limit:
        raise DerError(f"element at offset {start} runs past its container ({length} bytes)")
    return Element(data, tag, start, position, end)


# -- primitive values ---------------------------------------------------------------------------


def integer(element: Element, what: str) -> int:
    value = element.expect(INTEGER, what).value
    if not value:
        raise DerError(f"{what}: an empty INTEGER")
    if len(value) > 1 and ((value[0] == 0 and value[1] < 0x80) or (value[0] == 0xFF and value[1] >= 0x80)):
        raise DerError(f"{what}: INTEGER not minimally encoded")
    return int.from_bytes(value, "big", signed=True)


def octets(element: Element, what: str) -> bytes:
    return element.expect(OCTET_STRING, what).value


def oid_contents(dotted: str) -> bytes:
    """The contents octets of an OBJECT IDENTIFIER, to compare with `Element.value`."""
    arcs = [int(arc) for arc in dotted.split(".")]
    encoded = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        groups = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            groups.append(0x80 | (arc & 0x7F))
        encoded.extend(reversed(groups))
    return bytes(encoded)


def oid(element: Element, what: str) -> str:
    """The dotted form of an OBJECT IDENTIFIER."""
    value = element.expect(OID, what).value
    if not value or value[-1] & 0x80:
        raise DerError(f"{what}: truncated OBJECT IDENTIFIER")
    arcs: list[int] = []
    current = 0
    for index, byte in enumerate(value):
        if byte == 0x80 and (index == 0 or not value[index - 1] & 0x80):  # an arc's leading zero
            raise DerError(f"{what}: OBJECT IDENTIFIER arc not minimally encoded")
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(current)
            current = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))


_GENERALIZED = re.compile(rb"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{0,5}[1-9]))?Z")


def generalized_time(element: Element, what: str) -> datetime:
    """A GeneralizedTime in DER's form (UTC, 'Z', no trailing zeros in a fraction; to microseconds)."""
    match = _GENERALIZED.fullmatch(element.expect(GENERALIZED_TIME, what).value)
    if match is None:
        raise DerError(f"{what}: not a DER GeneralizedTime")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction = match.group(7) or b""
    try:
        return datetime(year, month, day, hour, minute, second, int(fraction.ljust(6, b"0") or 0), tzinfo=UTC)
    except ValueError as error:
        raise DerError(f"{what}: {error}") from error
