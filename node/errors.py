"""The few domain errors node/ raises, and the one check of free text.

node/desk/servicer.py maps each error to one gRPC status, in one place.
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum


class DomainError(Exception):
    """Base of errors a user can act on; the message says what is wrong and what to do."""


class NotFound(DomainError):
    """The case, item or node asked for does not exist here."""


class InvalidInput(DomainError):
    """The request itself is malformed: bad code, empty name, digest mismatch, …"""


class RefusedOnArrival(InvalidInput):
    """A case reached its handler but may not be handled there (e.g. a 跨省通办 mode not agreed):
    nothing is stored for it, and its origin is told it was refused (不予受理)."""


class IllegalTransition(DomainError):
    """The case's state does not allow the action (docs/architecture.md §6)."""


class WrongNode(DomainError):
    """The action must be taken at another node (e.g. 受理 only at the handling node)."""


class NotReady(DomainError):
    """The node cannot serve this yet (e.g. it has not received the catalogue from its parent)."""


# A failure no service refuses in words (a full disk, a damaged database file, a bug) is told to
# people in these words, never in its own: that text may be an SQL statement with a citizen's data
# in its parameters. Both front ends (the web desk and the Desk API) say them.
DISK_FULL = (
    "本节点的磁盘已满，此次操作没有保存：请告知本节点的运维人员清理磁盘后再办 "
    "(the node's disk is full; nothing was saved)"
)
DAMAGED_DATABASE = (
    "本节点的数据库文件已损坏，此次操作没有完成：请告知本节点的运维人员停止节点，用 wuji node restore "
    "从最近的备份恢复 (the node's database file is damaged)"
)
INTERNAL_ERROR = (
    "本节点内部出错，此次操作可能没有完成：请查看办件是否已经保存，再决定是否重做；"
    "一再出错请告知本节点的运维人员，出错经过已记入节点日志 (internal error, logged)"
)
# what a full disk says through SQLite and PostgreSQL; the change that met it was rolled back whole
_DISK_FULL_SAYS = ("database or disk is full", "No space left on device", "could not extend file")
# what SQLite says of a database file it cannot read as one (a torn write, a failing disk)
_DAMAGED_SAYS = ("database disk image is malformed", "malformed database schema", "file is not a database")


class Unforeseen(Enum):
    """What kind of failure no service refuses in words; its value is what people are told."""

    DISK_FULL = DISK_FULL
    DAMAGED_DATABASE = DAMAGED_DATABASE
    INTERNAL = INTERNAL_ERROR


def unforeseen(error: BaseException) -> Unforeseen:
    if _says(error, _DISK_FULL_SAYS):
        return Unforeseen.DISK_FULL
    if is_damaged_database(error):
        return Unforeseen.DAMAGED_DATABASE
    return Unforeseen.INTERNAL


def is_damaged_database(error: BaseException) -> bool:
    return _says(error, _DAMAGED_SAYS)


def _says(error: BaseException, words: tuple[str, ...]) -> bool:
    text = str(error)
    return any(said in text for said in words)


def clean_text(
    field: str,
    value: str,
    max_length: int,
    *,
    required: bool = False,
    single_line: bool = False,
    person_name: bool = False,
) -> str:
    """Trimmed text without control characters (and, `single_line`, without line breaks or tabs;
    `person_name`, without invisible format characters either); InvalidInput says which field is
    wrong, in the words of the window first (the refusal is shown on the front desk's form as it is)."""
    text = unicodedata.normalize("NFC", value.strip())
    label = FIELD_LABELS.get(field, field)
    if required and not text:
        raise InvalidInput(f"请填写{label} ({field} is required)")
    if len(text) > max_length:
        raise InvalidInput(
            f"{label}不能超过 {max_length} 个字 ({field} is longer than {max_length} characters)"
        )
    if single_line and _BREAK.search(text):
        # a row copied from a spreadsheet puts its next cell (the number, the phone) after a tab
        raise InvalidInput(
            f"{label}中有换行或制表符：只填写{label}本身（从表格复制时可能带上了相邻的格子）"
            f" ({field} must be one line)"
        )
    bad = _CONTROL.search(text)
    if bad is not None:
        code = f"U+{ord(bad.group()):04X}"
        raise InvalidInput(
            f"{label}含有不可见的控制字符 {code} ({field} contains the control character {code})"
        )
    hidden = _hidden_format(text) if person_name else None
    if hidden is not None:
        code = f"U+{ord(hidden):04X}"
        raise InvalidInput(
            f"{label}含有不可见的格式字符 {code}（如从右到左改写、零宽字符），会使姓名在纸上或名单中"
            f"显示颠倒或隐去一部分：请删去后重新输入 ({field} contains the invisible format character {code})"
        )
    return text


def _hidden_format(text: str) -> str | None:
    """The first invisible format character (Unicode category Cf: the bidi overrides and isolates
    U+202A–202E, U+2066–2069, the marks U+200E/200F/061C, zero-width spaces, U+FEFF, tags …) in a
    person's name: it reverses or hides what a paper or a list shows of it. A zero-width joiner
    between two symbols (an emoji sequence: 👨 U+200D 👩) is left to the rules on emoji."""
    for index, char in enumerate(text):
        if unicodedata.category(char) != "Cf":
            continue
        if char == _ZWJ and _joins_symbols(text, index):
            continue
        return char
    return None


def _joins_symbols(text: str, index: int) -> bool:
    before = text[:index].rstrip(_EMOJI_MARKS)  # a variation selector or skin tone after the symbol
    after = text[index + 1 :]
    return bool(before and after) and all(unicodedata.category(c) == "So" for c in (before[-1], after[0]))


# what people at the window call the fields `clean_text` checks
FIELD_LABELS = {
    "applicant name": "申请人姓名",
    "applicant id number": "申请人证件号码",
    "applicant phone": "手机号",
    "comment": "评价内容",
    "department": "部门",
    "finding": "核查结论",
    "material name": "材料名称",
    "name": "姓名",
    "note": "意见",
    "person": "经办人",
    "promise signer": "承诺人",
    "promise text": "承诺书内容",
    "reason": "理由",
    "return visit": "回访记录",
}


# Unicode's control characters (category Cc) but tab and newline, and lone surrogates (Cs)
_BREAK = re.compile("[\t\n\u2028\u2029]")  # within one line's field: a paste of more than it
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_ZWJ = "\u200d"
_EMOJI_MARKS = "\ufe0f\ufe0e" + "".join(chr(c) for c in range(0x1F3FB, 0x1F400))  # VS16/15, skin tones
