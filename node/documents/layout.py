"""The page of every document: A4, a CJK font, a title, tables of fields, a QR code, a footer.

Fonts: a TrueType CJK font is embedded where one is installed (e.g. Debian's fonts-wqy-zenhei);
otherwise reportlab's built-in CID font STSong-Light, which needs no font file and which PDF readers
(and pdftotext, pypdf) read as Chinese text. The Noto CJK fonts are OpenType/CFF, which reportlab
cannot embed, so they are not among the candidates.
"""

from __future__ import annotations

import functools
import io
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
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from node.documents.facts import Issuer
from node.timeutil import shanghai

CID_FONT = "STSong-Light"
TRUETYPE_CANDIDATES = (  # (file, sub-font of a collection)
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
    (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"), 0),
)
QR_SCALE, QR_BORDER = 4, 2  # pixels per module and quiet-zone modules of the QR image
QR_SIZE = 32 * mm
WIDTH = A4[0] - 40 * mm


@functools.cache
def font() -> str:
    """The name of the registered CJK font: an installed TrueType one, else the CID font."""
    for path, index in TRUETYPE_CANDIDATES:
        if path.is_file():
            try:
                pdfmetrics.registerFont(TTFont("WujiCJK", str(path), subfontIndex=index))
                return "WujiCJK"
            except TTFError:
                continue
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    name = font()
    body = ParagraphStyle("body", fontName=name, fontSize=10.5, leading=16, wordWrap="CJK", spaceAfter=3)
    return {
        "body": body,
        "issuer": ParagraphStyle("issuer", parent=body, fontSize=11, alignment=TA_CENTER),
        "title": ParagraphStyle("title", parent=body, fontSize=20, leading=28, alignment=TA_CENTER),
        "number": ParagraphStyle("number", parent=body, fontSize=9, alignment=TA_RIGHT),
        "heading": ParagraphStyle("heading", parent=body, fontSize=12, leading=20, spaceBefore=6),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9.5, leading=13),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=12),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
    }


def text(value: str) -> str:
    """Plain text as paragraph markup: escaped, line breaks kept."""
    return escape(value).replace("\n", "<br/>")


def masked_id(id_number: str) -> str:
    """An identity number as printed for the applicant: the middle hidden (430981********0028)."""
    value = id_number.strip()
    if len(value) <= 8:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def qr_code(url: str) -> segno.QRCode:
    """The QR code a document prints for url (medium error correction, the smallest version)."""
    return segno.make(url, error="m", micro=False)


class Sheet:
    """A document being built: add its parts in order, then render() the PDF bytes."""

    def __init__(self, title: str, issuer: Issuer, printed_at: datetime, number: str = "") -> None:
        self.title = title
        self._issuer = issuer
        self._printed_at = printed_at
        self._style = _styles()
        self._story: list[Flowable] = [
            Paragraph(text(issuer.name), self._style["issuer"]),
            Spacer(1, 2 * mm),
            Paragraph(text(title), self._style["title"]),
        ]
        if number:
            self._story.append(Paragraph(text(f"编号：{number}"), self._style["number"]))
        self._story.append(Spacer(1, 4 * mm))

    def heading(self, value: str) -> Sheet:
        self._story.append(Paragraph(text(value), self._style["heading"]))
        return self

    def paragraph(self, value: str, style: str = "body") -> Sheet:
        self._story.append(Paragraph(text(value), self._style[style]))
        return self

    def fields(self, rows: list[tuple[str, str]]) -> Sheet:
        """Label and value pairs, as a two-column ruled table."""
        cell = self._style["cell"]
        data = [[Paragraph(text(label), cell), Paragraph(text(value), cell)] for label, value in rows]
        self._story.append(self._ruled(data, [32 * mm, WIDTH - 32 * mm], header=False))
        return self

    def table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> Sheet:
        """A ruled table with a header row; widths are shares of the page width."""
        cell = self._style["cell"]
        data = [[Paragraph(text(value), cell) for value in row] for row in [header, *rows]]
        total = sum(widths)
        self._story.append(self._ruled(data, [WIDTH * share / total for share in widths], header=True))
        return self

    def numbered(self, lines: list[str]) -> Sheet:
        for index, line in enumerate(lines, 1):
            self.paragraph(f"{index}. {line}")
        return self

    def space(self, height: float = 4 * mm) -> Sheet:
        self._story.append(Spacer(1, height))
        return self

    def qr(self, url: str, caption: str) -> Sheet:
        """The QR code of url beside its caption and the url itself (for those without a camera)."""
        png = io.BytesIO()
        qr_code(url).save(png, kind="png", scale=QR_SCALE, border=QR_BORDER)
        png.seek(0)
        words = Paragraph(text(f"{caption}\n{url}"), self._style["small"])
        block = Table([[Image(png, width=QR_SIZE, height=QR_SIZE), words]], [QR_SIZE + 4 * mm, None])
        block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        self._story += [Spacer(1, 4 * mm), block]
        return self

    def signed(self, lines: list[str]) -> Sheet:
        """The issuing body and date, at the right, as a letter ends."""
        self._story.append(Spacer(1, 6 * mm))
        for line in lines:
            self.paragraph(line, "right")
        return self

    def render(self) -> bytes:
        out = io.BytesIO()
        document = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=18 * mm,
            bottomMargin=18 * mm,
            title=self.title,
            author=self._issuer.name,
            subject=f"{self.title}（{self._issuer.code}）",
            creator="wuji",
        )
        issuer = f"{self._issuer.name}（{self._issuer.code}）"
        footer = f"打印时间：{shanghai(self._printed_at)}（北京时间） · {issuer}"

        def page(canvas: Canvas, doc: SimpleDocTemplate) -> None:
            canvas.saveState()
            canvas.setFont(font(), 8)
            canvas.drawString(20 * mm, 10 * mm, footer)
            canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, f"第 {doc.page} 页")
            canvas.restoreState()

        document.build(list(self._story), onFirstPage=page, onLaterPages=page)
        return out.getvalue()

    def _ruled(self, data: list[list[Paragraph]], widths: list[float], *, header: bool) -> Table:
        table = Table(data, colWidths=widths, repeatRows=1 if header else 0)
        # (command, first cell, last cell, values...): reportlab's table style commands
        style: list[tuple[str, tuple[int, int], tuple[int, int], *tuple[Any, ...]]] = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")))
        else:
            style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#F4F4F4")))
        table.setStyle(TableStyle(style))
        table.spaceAfter = 3 * mm
        return table
