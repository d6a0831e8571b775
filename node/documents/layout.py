"""The page of every document: A4, a CJK font, a title, tables of fields, a QR code, a footer.

Fonts: a TrueType CJK font is embedded where one is installed (e.g. Debian's fonts-wqy-zenhei);
otherwise reportlab's built-in CID font STSong-Light, which needs no font file and which PDF readers
(and pdftotext, pypdf) read as Chinese text. The Noto CJK fonts are OpenType/CFF, which reportlab
cannot embed, so they are not among the candidates.

A name may hold a character that font lacks (生僻字, often in CJK Extension B, beyond the 65,536
characters the CID font's encoding reaches: it would print as two wrong characters). Such a
character is set in a fallback font that has it (Debian's fonts-hanazono), and where none is
installed it is printed as 〓, the typesetters' mark of a missing character: a document may show a
gap, never another person's name.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import SUBSETN, TTFError, TTFont, makeToUnicodeCMap
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from node.documents.facts import Issuer
from node.timeutil import shanghai

CID_FONT = "STSong-Light"
TRUETYPE_CANDIDATES = (  # (file, sub-font of a collection)
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
    (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"), 0),
)
FALLBACK_CANDIDATES = (  # fonts-hanazono: HanaMinA to Extension A, HanaMinB Extensions B to F
    Path("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"),
    Path("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"),
)
MISSING = "〓"  # 缺字符号
# The CID font's encoding draws GB 2312's middle dot from U+30FB only; names (阿依古丽·买买提) are
# typed with U+00B7 or one of its look-alikes
CID_MIDDLE_DOT = "\u30fb"
MIDDLE_DOTS = frozenset("\u00b7\u2022\u2027\u2219\u22c5\uff65")
QR_SCALE, QR_BORDER = 4, 2  # pixels per module and quiet-zone modules of the QR image
QR_SIZE = 32 * mm
WIDTH = A4[0] - 40 * mm
LABEL_WIDTH = 32 * mm  # the label column of a table of fields
CELL_SIDE = 6  # a table cell's padding left and right, in points (reportlab's default)
PAGE_NUMBER = 20 * mm  # the footer's page number, at the right
FOOTER_BASE = 10 * mm - 2.5  # the footer's lowest line, from the page's foot: its baseline at 10 mm


@dataclass(frozen=True)
class Font:
    """A registered font and the characters it draws (None: every one but those beyond U+FFFF,
    the CID font's, whose coverage reportlab cannot tell)."""

    name: str
    draws: frozenset[int] | None = field(default=None, repr=False)

    def has(self, char: str) -> bool:
        code = ord(char)
        return code <= 0xFFFF if self.draws is None else code in self.draws


def font() -> str:
    """The name of the registered CJK font: an installed TrueType one, else the CID font."""
    return _primary().name


@functools.cache
def _primary() -> Font:
    found = (_truetype("WujiCJK", path, index) for path, index in TRUETYPE_CANDIDATES)
    primary = next((font for font in found if font), None)
    if primary is None:
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
        primary = Font(CID_FONT)
    return primary


@functools.cache
def _fallbacks() -> tuple[Font, ...]:
    """The fallback fonts installed, read when a document first needs one (50 MB of font files)."""
    found = (_truetype(f"WujiRare{n}", path) for n, path in enumerate(FALLBACK_CANDIDATES))
    return tuple(font for font in found if font)


class _TrueType(TTFont):
    """A TrueType font whose subsets' ToUnicode maps read right beyond U+FFFF: reportlab writes such
    a character as its code point (<02> <2A6A5>), which PDF readers take as five hex digits of
    UTF-16 and read as U+2A6A (李⩪ for 李𪚥 when copied, searched or read aloud); PDF wants UTF-16BE,
    a surrogate pair (<D869DEA5>)."""

    def addObjects(self, doc: Any) -> None:
        state = self.state.get(doc)  # addObjects forgets it
        super().addObjects(doc)
        for n, subset in enumerate(state.subsets if state is not None else ()):
            # the subset's name as reportlab's addObjects makes it, which names its ToUnicode stream
            base = b"".join((SUBSETN(n), b"+", self.face.name, self.face.subfontNameX)).decode("pdfdoc")
            if any(code > 0xFFFF for code in subset):
                doc.idToObject["toUnicodeCMap:" + base].content = _to_unicode(base, subset)


def _to_unicode(base: str, subset: list[int]) -> str:
    """reportlab's ToUnicode map of a subset, each character written in UTF-16BE."""
    return re.sub(
        r"^(<[0-9A-F]{2}>) <([0-9A-F]{5,6})>$",
        lambda entry: f"{entry[1]} <{chr(int(entry[2], 16)).encode('utf-16-be').hex().upper()}>",
        makeToUnicodeCMap(base, subset),
        flags=re.MULTILINE,
    )


def _truetype(name: str, path: Path, index: int = 0) -> Font | None:
    if not path.is_file():
        return None
    try:
        registered = _TrueType(name, str(path), subfontIndex=index)
    except TTFError:
        return None
    pdfmetrics.registerFont(registered)
    return Font(name, frozenset(registered.face.charToGlyph))


class Identifier(str):
    """A value printed as one token, such as an electronic licence's number: where it does not fit
    on one line it breaks after a dot, between its parts, never inside one (a CJK paragraph breaks
    between any two characters)."""

    separator = "."


@dataclass(frozen=True)
class Setting:
    """How tightly a sheet is set: USUAL, or COMPACT for a paper that would run a little past one page."""

    leading: float  # of the body text, in points
    gap: float  # the spaces between parts, as a share of the usual ones
    margin: float  # above and below the text
    padding: float  # above and below a table cell's text, in points


USUAL = Setting(leading=16, gap=1.0, margin=18 * mm, padding=3)
COMPACT = Setting(leading=13.5, gap=0.5, margin=14 * mm, padding=1.5)  # the footer stays clear below


@functools.cache
def _styles(setting: Setting = USUAL) -> dict[str, ParagraphStyle]:
    name, tight = font(), setting.leading / USUAL.leading
    body = ParagraphStyle(
        "body", fontName=name, fontSize=10.5, leading=setting.leading, wordWrap="CJK", spaceAfter=3 * tight
    )
    return {
        "body": body,
        "issuer": ParagraphStyle("issuer", parent=body, fontSize=11, alignment=TA_CENTER),
        "title": ParagraphStyle("title", parent=body, fontSize=20, leading=28 * tight, alignment=TA_CENTER),
        "number": ParagraphStyle("number", parent=body, fontSize=9, alignment=TA_RIGHT),
        "heading": ParagraphStyle(
            "heading", parent=body, fontSize=12, leading=20 * tight, spaceBefore=6 * setting.gap
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9.5, leading=13 * tight),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=12 * tight),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        "footer": ParagraphStyle("footer", parent=body, fontSize=8, leading=10, spaceAfter=0),
        "page": ParagraphStyle("page", parent=body, fontSize=8, leading=10, spaceAfter=0, alignment=TA_RIGHT),
    }


def text(value: str) -> str:
    """Plain text as paragraph markup: escaped, line breaks kept, each character the document's font
    lacks in a fallback font that has it, else as MISSING."""
    return markup(value, _primary(), _fallbacks)


def markup(value: str, primary: Font, fallbacks: Callable[[], Iterable[Font]] = tuple) -> str:
    """text, with these fonts (fallbacks: called for them when a character needs one)."""
    if primary.draws is None:
        value = "".join(CID_MIDDLE_DOT if char in MIDDLE_DOTS else char for char in value)
    runs: list[tuple[str, str]] = []  # (the font's name, "" for the primary; its characters)
    for char in value:
        if char.isspace() or primary.has(char):
            name = ""
        else:
            name = next((f.name for f in fallbacks() if f.has(char)), "")
            char = char if name else MISSING
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + char)
        else:
            runs.append((name, char))
    return "".join(
        f'<font name="{name}">{escape(chars)}</font>' if name else escape(chars).replace("\n", "<br/>")
        for name, chars in runs
    )


def masked_id(id_number: str) -> str:
    """An identity number as printed for the applicant: the middle hidden (430981********0028)."""
    value = id_number.strip()
    if len(value) <= 8:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def qr_code(url: str) -> segno.QRCode:
    """The QR code a document prints for url (medium error correction, the smallest version)."""
    return segno.make(url, error="m", micro=False)


Part = Callable[[Setting], list[Flowable]]  # a part of a sheet, laid out in a setting


class Sheet:
    """A document being built: add its parts in order, then render() the PDF bytes. A paper that
    would run a little past one page is set more tightly to fit on one (COMPACT); a longer one runs
    on, its signature never alone on a page."""

    def __init__(
        self, title: str, issuer: Issuer, printed_at: datetime, number: str = "", headed_by: str = ""
    ) -> None:
        """headed_by: the body named above the title where it is not the printing node (a decision's
        paper is headed by the deciding office wherever it is printed); the footer names the printer."""
        self.title = title
        self._issuer = issuer
        self._printed_at = printed_at
        self._parts: list[Part] = []

        def head(setting: Setting) -> list[Flowable]:
            style = _styles(setting)
            top: list[Flowable] = [
                Paragraph(text(headed_by or issuer.name), style["issuer"]),
                Spacer(1, 2 * mm * setting.gap),
                Paragraph(text(title), style["title"]),
            ]
            if number:
                top.append(Paragraph(text(f"编号：{number}"), style["number"]))
            return [*top, Spacer(1, 4 * mm * setting.gap)]

        self._parts.append(head)

    def heading(self, value: str) -> Sheet:
        return self.paragraph(value, "heading")

    def paragraph(self, value: str, style: str = "body") -> Sheet:
        self._parts.append(lambda setting: [Paragraph(text(value), _styles(setting)[style])])
        return self

    def fields(self, rows: list[tuple[str, str]]) -> Sheet:
        """Label and value pairs, as a two-column ruled table; an Identifier value breaks between
        its parts only."""

        def ruled(setting: Setting) -> list[Flowable]:
            cell, room = _styles(setting)["cell"], WIDTH - LABEL_WIDTH - 2 * CELL_SIDE
            data = [
                [
                    Paragraph(text(label), cell),
                    Paragraph(
                        _between_parts(value, room, cell) if isinstance(value, Identifier) else text(value),
                        cell,
                    ),
                ]
                for label, value in rows
            ]
            return [_ruled(data, [LABEL_WIDTH, WIDTH - LABEL_WIDTH], setting, header=False)]

        self._parts.append(ruled)
        return self

    def table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> Sheet:
        """A ruled table with a header row; widths are shares of the page width."""
        total = sum(widths)

        def ruled(setting: Setting) -> list[Flowable]:
            cell = _styles(setting)["cell"]
            data = [[Paragraph(text(value), cell) for value in row] for row in [header, *rows]]
            return [_ruled(data, [WIDTH * share / total for share in widths], setting, header=True)]

        self._parts.append(ruled)
        return self

    def numbered(self, lines: list[str]) -> Sheet:
        for index, line in enumerate(lines, 1):
            self.paragraph(f"{index}. {line}")
        return self

    def space(self, height: float = 4 * mm) -> Sheet:
        self._parts.append(lambda setting: [Spacer(1, height * setting.gap)])
        return self

    def qr(self, url: str, caption: str) -> Sheet:
        """The QR code of url beside its caption and the url itself (for those without a camera)."""
        png = io.BytesIO()
        qr_code(url).save(png, kind="png", scale=QR_SCALE, border=QR_BORDER)

        def block(setting: Setting) -> list[Flowable]:
            words = Paragraph(text(f"{caption}\n{url}"), _styles(setting)["small"])
            image = Image(io.BytesIO(png.getvalue()), width=QR_SIZE, height=QR_SIZE)
            beside = Table([[image, words]], [QR_SIZE + 4 * mm, None])
            beside.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
            return [Spacer(1, 4 * mm * setting.gap), beside]

        self._parts.append(block)
        return self

    def signed(self, lines: list[str]) -> Sheet:
        """The issuing body and date, at the right, as a letter ends: kept on the page of the part
        above it, so that a paper never ends on a page holding the signature alone."""
        above = self._parts.pop() if len(self._parts) > 1 else None

        def signature(setting: Setting) -> list[Flowable]:
            right = _styles(setting)["right"]
            named = [Paragraph(text(line), right) for line in lines]
            return [
                KeepTogether([*(above(setting) if above else []), Spacer(1, 6 * mm * setting.gap), *named])
            ]

        self._parts.append(signature)
        return self

    def render(self) -> bytes:
        """The PDF: set as usual, or, where that runs past one page and the compact setting fits it
        on one, compactly."""
        pdf, pages = self._build(USUAL)
        if pages > 1:
            compact, fitted = self._build(COMPACT)
            if fitted == 1:
                return compact
        return pdf

    def _build(self, setting: Setting) -> tuple[bytes, int]:
        """The PDF in a setting, and its number of pages."""
        out = io.BytesIO()
        document = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=setting.margin,
            bottomMargin=setting.margin,
            title=self.title,
            author=self._issuer.name,
            subject=f"{self.title}（{self._issuer.code}）",
            creator="wuji",
        )
        issuer = f"{self._issuer.name}（{self._issuer.code}）"
        footer = f"打印时间：{shanghai(self._printed_at)}（北京时间） · {issuer}"

        def page(canvas: Canvas, doc: SimpleDocTemplate) -> None:
            # set as the body is (text()), not drawn raw on the canvas: the CID font has no glyph for
            # U+00B7 (a box in poppler) and a TrueType CJK font may lack the digits of the time
            style = _styles(setting)
            canvas.saveState()
            for value, box, x in (
                (footer, WIDTH - PAGE_NUMBER, 20 * mm),
                (f"第 {doc.page} 页", PAGE_NUMBER, A4[0] - 20 * mm - PAGE_NUMBER),
            ):
                line = Paragraph(text(value), style["footer" if x == 20 * mm else "page"])
                line.wrap(box, 20 * mm)
                line.drawOn(canvas, x, FOOTER_BASE)
            canvas.restoreState()

        document.build(
            [flowable for part in self._parts for flowable in part(setting)],
            onFirstPage=page,
            onLaterPages=page,
        )
        return out.getvalue(), document.page


def _between_parts(value: Identifier, width: float, style: ParagraphStyle) -> str:
    """An identifier's markup, broken after its separators only: as many parts on a line as fit
    width (a single part longer than a line still breaks where the paragraph breaks it)."""
    separator = value.separator
    parts = [part + separator for part in value.split(separator)]
    parts[-1] = parts[-1].removesuffix(separator)
    lines = [""]
    for part in parts:
        if lines[-1] and not _one_line(lines[-1] + part, width, style):
            lines.append(part)
        else:
            lines[-1] += part
    return "<br/>".join(map(text, lines))


def _one_line(value: str, width: float, style: ParagraphStyle) -> bool:
    _, height = Paragraph(text(value), style).wrap(width, 100 * style.leading)
    return height < 2 * style.leading


def _ruled(data: list[list[Paragraph]], widths: list[float], setting: Setting, *, header: bool) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0)
    # (command, first cell, last cell, values...): reportlab's table style commands
    style: list[tuple[str, tuple[int, int], tuple[int, int], *tuple[Any, ...]]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        # a label beside the first line of its value, not beside the middle of a long one
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE" if header else "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), setting.padding),
        ("BOTTOMPADDING", (0, 0), (-1, -1), setting.padding),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_SIDE),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_SIDE),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")))
    else:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#F4F4F4")))
    table.setStyle(TableStyle(style))
    table.spaceAfter = 3 * mm * setting.gap
    return table
