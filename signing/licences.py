"""Electronic licence identifiers (电子证照标识) in the shape of GB/T 36904-2018 "电子证照 标识规范".

    1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check character>

e.g. ``1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0``.

What each part is, and where that comes from. The text of GB/T 36904 itself could not be read
for this module; the rules below are what independent public material agrees on, and they are
stated so that a reader with the standard in hand can check them:

- ``1.2.156.3005.2``: the root code (电子证照根代码) under China's OID arc 1.2.156.
- type code (证照类型代码), 21 characters: the 18-character unified social credit code
  (统一社会信用代码, GB 32100-2015) of the authority that *defines* the licence type
  (证照定义机构, e.g. a ministry) followed by a 3-digit sequence number, e.g.
  ``11100000000013338W032`` = defining authority ``11100000000013338W`` + type ``032``.
  Several public implementations document "证照类型代码 长度21位", and a public data dictionary
  pairs ``11100000000013338W`` with 证照定义机构 中华人民共和国住房和城乡建设部.
- issuer code (证照颁发机构代码), 18 characters: the issuing authority's unified social credit
  code.
- serial (流水号): chosen by the issuer; in circulation it is digits and capital letters
  (7 to 32 characters seen: dates plus counters, or a hex UUID in capitals). The check
  character's alphabet is 0-9 and A-Z, so the serial is restricted to that alphabet. The
  1-64 length limit is wuji's choice, not taken from the standard.
- version (版本号): three digits, ``001`` for the first version; wuji also refuses ``000``.
- check character (校验位): ISO/IEC 7064 MOD 37,36 (the hybrid system; GB/T 17710-2008 is the
  identical Chinese adoption) over type code ‖ issuer code ‖ serial ‖ version, i.e. the parts
  after the root code concatenated without the dots. A public summary of GB/T 36904 says the
  check character is computed by ISO/IEC 7064 MOD 37,36 as in GB/T 17710-2008, and this
  computation reproduces the check characters of identifiers found in public code and
  documents (the tests list them). ``check_digit`` returns one character of 0-9A-Z.

MOD 37,36 detects every single-character substitution. It misses a transposition of two
adjacent characters only when their values are cyclic neighbours (like ``4``/``5``, ``A``/``B``
or ``0``/``Z``) and, even then, only for 1 running state in 36.

`is_valid_credit_code` checks a unified social credit code's own check character
(GB 32100-2015: weighted sum mod 31 over the first 17 characters, weights 3^(i-1) mod 31,
alphabet 0-9 and A-Y without I, O, S, V, Z). `LicenceIdentifier.build` requires valid credit
codes by default (wuji issues correct identifiers); `parse` checks their alphabet and length but
not their check characters unless asked, since identifiers from other systems are taken as they
are and the identifier's own check character is what protects it.
"""

from __future__ import annotations

from dataclasses import dataclass

LICENCE_OID_PREFIX = "1.2.156.3005.2"

TYPE_CODE_LENGTH = 21
CREDIT_CODE_LENGTH = 18
SERIAL_MAX_LENGTH = 64
VERSION_LENGTH = 3

# ISO/IEC 7064 MOD 37,36: characters 0-9 and A-Z have the values 0..35.
_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALPHANUMERIC_VALUE = {ch: value for value, ch in enumerate(_ALPHANUMERIC)}
_MOD = 36

# GB 32100-2015: 31 characters (no I, O, S, V, Z), weights 3^(i-1) mod 31 for positions 1..17.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
_CREDIT_VALUE = {ch: value for value, ch in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(CREDIT_CODE_LENGTH - 1))


class InvalidLicenceIdentifier(ValueError):
    """An identifier, or one of its parts, is malformed; `part` names which one."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(f"{part}: {message}")
        self.part = part


def check_digit(payload: str) -> str:
    """ISO/IEC 7064 MOD 37,36 check character (0-9 or A-Z) of a string of 0-9 and A-Z."""
    if not isinstance(payload, str) or not payload:
        raise InvalidLicenceIdentifier("payload", "must be a non-empty string of 0-9 and A-Z")
    product = _MOD
    for position, ch in enumerate(payload, start=1):
        value = _ALPHANUMERIC_VALUE.get(ch)
        if value is None:
            raise InvalidLicenceIdentifier(
                "payload", f"character {ch!r} at position {position} is not one of 0-9, A-Z"
            )
        total = (product + value) % _MOD or _MOD
        product = (2 * total) % (_MOD + 1)
    return _ALPHANUMERIC[(_MOD + 1 - product) % _MOD]


def credit_code_check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a credit code."""
    if len(first17) != CREDIT_CODE_LENGTH - 1 or any(ch not in _CREDIT_VALUE for ch in first17):
        raise ValueError("need 17 characters of 0-9 and A-Y without I, O, S, V, Z")
    total = sum(_CREDIT_VALUE[ch] * weight for ch, weight in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """True for an 18-character unified social credit code whose check character is right."""
    if not isinstance(code, str) or len(code) != CREDIT_CODE_LENGTH:
        return False
    if any(ch not in _CREDIT_VALUE for ch in code):
        return False
    return credit_code_check_character(code[:-1]) == code[-1]


def _credit_code_shape(part: str, code: str, what: str) -> None:
    if len(code) != CREDIT_CODE_LENGTH:
        raise InvalidLicenceIdentifier(
            part, f"{what} must be {CREDIT_CODE_LENGTH} characters, got {len(code)}"
        )
    for position, ch in enumerate(code, start=1):
        if ch not in _CREDIT_VALUE:
            raise InvalidLicenceIdentifier(
                part,
                f"{what} has {ch!r} at position {position}: a unified social credit code uses "
                "0-9 and capital A-Y without I, O, S, V, Z",
            )


def _check_type_code(type_code: object) -> str:
    if not isinstance(type_code, str):
        raise InvalidLicenceIdentifier("type_code", "must be a string")
    if len(type_code) != TYPE_CODE_LENGTH:
        raise InvalidLicenceIdentifier(
            "type_code",
            f"must be {TYPE_CODE_LENGTH} characters (defining authority's 18-character credit code "
            f"+ 3 digits), got {len(type_code)}",
        )
    _credit_code_shape("type_code", type_code[:CREDIT_CODE_LENGTH], "its defining-authority code")
    if not type_code[CREDIT_CODE_LENGTH:].isascii() or not type_code[CREDIT_CODE_LENGTH:].isdigit():
        raise InvalidLicenceIdentifier(
            "type_code", f"must end in 3 digits (the type's sequence number), got {type_code[18:]!r}"
        )
    return type_code


def _check_issuer_code(issuer_code: object) -> str:
    if not isinstance(issuer_code, str):
        raise InvalidLicenceIdentifier("issuer_code", "must be a string")
    _credit_code_shape("issuer_code", issuer_code, "the issuer's unified social credit code")
    return issuer_code


def _check_serial(serial: object) -> str:
    if isinstance(serial, bool):
        raise InvalidLicenceIdentifier("serial", "must be a string or a non-negative integer")
    if isinstance(serial, int):
        if serial < 0:
            raise InvalidLicenceIdentifier("serial", f"must not be negative, got {serial}")
        serial = str(serial)
    if not isinstance(serial, str):
        raise InvalidLicenceIdentifier("serial", "must be a string or a non-negative integer")
    if not 1 <= len(serial) <= SERIAL_MAX_LENGTH:
        raise InvalidLicenceIdentifier(
            "serial", f"must be 1 to {SERIAL_MAX_LENGTH} characters, got {len(serial)}"
        )
    for position, ch in enumerate(serial, start=1):
        if ch not in _ALPHANUMERIC_VALUE:
            raise InvalidLicenceIdentifier(
                "serial", f"has {ch!r} at position {position}: only digits and capital letters A-Z"
            )
    return serial


def _check_version(version: object) -> str:
    if isinstance(version, bool):
        raise InvalidLicenceIdentifier("version", "must be 3 digits or an integer 1-999")
    if isinstance(version, int):
        if not 1 <= version <= 999:
            raise InvalidLicenceIdentifier("version", f"must be 1-999, got {version}")
        return f"{version:03d}"
    if not isinstance(version, str):
        raise InvalidLicenceIdentifier("version", "must be 3 digits or an integer 1-999")
    if len(version) != VERSION_LENGTH or not version.isascii() or not version.isdigit():
        raise InvalidLicenceIdentifier("version", f"must be exactly 3 digits, got {version!r}")
    if version == "000":
        raise InvalidLicenceIdentifier("version", "versions start at 001")
    return version


@dataclass(frozen=True)
class LicenceIdentifier:
    """An electronic licence identifier; constructing one checks every part and the check character."""

    type_code: str
    issuer_code: str
    serial: str
    version: str
    check_digit: str

    def __post_init__(self) -> None:
        _check_type_code(self.type_code)
        _check_issuer_code(self.issuer_code)
        _check_serial(self.serial)
        if not isinstance(self.version, str):
            raise InvalidLicenceIdentifier("version", "must be a string of 3 digits")
        _check_version(self.version)
        expected = check_digit(self.payload)
        if self.check_digit != expected:
            raise InvalidLicenceIdentifier(
                "check_digit",
                f"is {self.check_digit!r} but the identifier's characters give {expected!r} "
                "(a character was changed or two were swapped)",
            )

    @property
    def payload(self) -> str:
        """What the check character covers: type code ‖ issuer code ‖ serial ‖ version."""
        return f"{self.type_code}{self.issuer_code}{self.serial}{self.version}"

    def __str__(self) -> str:
        return ".".join(
            (
                LICENCE_OID_PREFIX,
                self.type_code,
                self.issuer_code,
                self.serial,
                self.version,
                self.check_digit,
            )
        )

    def credit_codes_valid(self) -> bool:
        """Whether the defining authority's and the issuer's credit codes have right check characters."""
        return is_valid_credit_code(self.type_code[:CREDIT_CODE_LENGTH]) and is_valid_credit_code(
            self.issuer_code
        )

    @classmethod
    def build(
        cls,
        type_code: str,
        issuer_code: str,
        serial: str | int,
        version: str | int = 1,
        *,
        verify_credit_codes: bool = True,
    ) -> LicenceIdentifier:
        """A new identifier with its check character computed.

        By default the defining authority's code (the type code's first 18 characters) and the
        issuer code must be unified social credit codes with right check characters.
        """
        type_code = _check_type_code(type_code)
        issuer_code = _check_issuer_code(issuer_code)
        if verify_credit_codes:
            _require_credit_code("type_code", type_code[:CREDIT_CODE_LENGTH], "defining-authority code")
            _require_credit_code("issuer_code", issuer_code, "issuer code")
        serial = _check_serial(serial)
        version = _check_version(version)
        return cls(
            type_code, issuer_code, serial, version, check_digit(type_code + issuer_code + serial + version)
        )

    @classmethod
    def parse(cls, text: str, *, verify_credit_codes: bool = False) -> LicenceIdentifier:
        """Read an identifier; its check character must match (and, if asked, its credit codes)."""
        if not isinstance(text, str):
            raise InvalidLicenceIdentifier("identifier", f"must be a string, not {type(text).__name__}")
        prefix = LICENCE_OID_PREFIX + "."
        if not text.startswith(prefix):
            raise InvalidLicenceIdentifier(
                "prefix", f"an electronic licence identifier starts with {prefix!r}"
            )
        parts = text[len(prefix) :].split(".")
        if len(parts) != 5:
            raise InvalidLicenceIdentifier(
                "identifier",
                f"after {LICENCE_OID_PREFIX} come 5 dot-separated parts (type code, issuer code, "
                f"serial, version, check character), got {len(parts)}",
            )
        type_code, issuer_code, serial, version, check = parts
        if len(check) != 1 or check not in _ALPHANUMERIC_VALUE:
            raise InvalidLicenceIdentifier("check_digit", f"must be one character of 0-9, A-Z, got {check!r}")
        identifier = cls(type_code, issuer_code, serial, version, check)
        if verify_credit_codes:
            _require_credit_code("type_code", type_code[:CREDIT_CODE_LENGTH], "defining-authority code")
            _require_credit_code("issuer_code", issuer_code, "issuer code")
        return identifier


def _require_credit_code(part: str, code: str, what: str) -> None:
    if not is_valid_credit_code(code):
        expected = credit_code_check_character(code[:-1])
        raise InvalidLicenceIdentifier(
            part, f"{what} {code} fails the GB 32100 check (last character should be {expected!r})"
        )
