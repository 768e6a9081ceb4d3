"""A quote version → its PDF (报价单 Quotation), with the words it shows for the search index.

Pure: a ``QuoteDocument`` in, bytes out; no database, no clock (the issue date is the document's
creation date, so the same version renders to the same bytes).

The font: fpdf2 embeds TrueType-outline (``glyf``) fonts correctly. Debian's fonts-noto-cjk ships
CFF-outline collections that fpdf2 2.8 writes as ``FontFile2`` (the TrueType slot) and of which it
can only take the first face (the Japanese one), so the default is the TrueType collection of
fonts-wqy-microhei (文泉驿微米黑, first face Simplified Chinese plus Latin). Any TrueType font
covering Chinese works (``font_path``); nothing is downloaded at run time.
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from fontTools import ttLib
from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableCellFillMode, XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont
from kernel.money import format_amount, format_money

DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT_PACKAGE = "fonts-wqy-microhei"
FONT = "cjk"
# fontTools logs some forty INFO lines for each font subset, i.e. for every PDF: noise, not news.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

STATUS_LABELS = {
    "draft": "草稿 DRAFT",
    "pending_approval": "待审批 PENDING APPROVAL",
    "approved": "已批准 APPROVED",
    "rejected": "已驳回 REJECTED",
    "sent": "已发送 SENT",
}
FINAL_LABEL = "最终版 FINAL"

_MARGIN = 15.0  # mm
_COLUMNS = ("产品 Product", "数量 Qty", "单价 Unit price", "折扣 Discount", "小计 Line total")
_COLUMN_WIDTHS = (78, 18, 32, 22, 30)  # mm, 180 = A4 width minus margins
_INK = (33, 37, 41)
_MUTED = (108, 117, 125)
_FINAL = (25, 135, 84)
_OPEN = (180, 83, 9)


__all__ = [
    "DEFAULT_FONT_PATH",
    "PdfFontMissing",
    "PdfLine",
    "QuoteDocument",
    "RenderedPdf",
    "check_font",
    "format_amount",
    "format_money",
    "render_quote",
]


class PdfFontMissing(RuntimeError):
    """The configured CJK font is not on this machine (a provisioning error, not bad input)."""


@dataclass(frozen=True)
class PdfLine:
    product: str
    quantity: int
    unit_price_minor: int
    discount_pct: Decimal
    line_total_minor: int


@dataclass(frozen=True)
class QuoteDocument:
    number: str  # "Q-2026-000123"
    version: int  # version number n
    is_final: bool
    status: str  # draft / pending_approval / approved / rejected / sent
    customer_name: str
    title: str  # the opportunity's title
    currency: str  # ISO code; amounts in its minor units
    valid_until: date
    issued_on: date
    lines: Sequence[PdfLine]
    subtotal_minor: int
    discount_minor: int
    total_minor: int
    notes: str | None = None
    owner_name: str | None = None
    seller_name: str = "Panorama"


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    text: str  # the words the PDF shows, in reading order (for the search index)
    sha256: str


def format_pct(pct: Decimal) -> str:
    """``Decimal("12.50")`` → ``"12.5%"``; zero → ``"—"`` (no discount on that line)."""
    if pct == 0:
        return "—"
    text = f"{pct.normalize():f}"
    return f"{text}%"


def check_font(font_path: str | None = None) -> str:
    """The font file to embed, or ``PdfFontMissing`` naming the setting and the package."""
    path = font_path or DEFAULT_FONT_PATH
    if not os.path.isfile(path):
        raise PdfFontMissing(
            f"quote PDF font {path!r} not found: install the Debian package {FONT_PACKAGE} "
            "(deploy/local/up.sh does) or set PANORAMA_QUOTE_PDF_FONT_PATH to a TrueType "
            "font covering Chinese"
        )
    return path


@lru_cache(maxsize=2)
def _parsed_font(path: str, mtime: float) -> tuple[TTFFont, bytes]:
    """fpdf2's parse of the font (cmap and widths of ~50k glyphs: about half the render time of
    a short quote) and the file's bytes, once per process and font file version."""
    scratch = FPDF()
    scratch.add_font(FONT, "", path)
    parsed: TTFFont = scratch.fonts[FONT]
    parsed.ttfont.close()
    with open(path, "rb") as fh:
        return parsed, fh.read()


def _add_font(pdf: FPDF, path: str) -> None:
    """``pdf.add_font(FONT, "", path)`` without parsing the font again: the parsed metrics are
    shared (read-only), while the font program, the subset map and the descriptor — which
    subsetting and output change — are this document's own. Renders the same bytes as
    ``add_font`` (tests/unit/test_pdf.py checks)."""
    parsed, data = _parsed_font(path, os.path.getmtime(path))
    font = copy.copy(parsed)
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, fontNumber=0, lazy=True)
    font.desc = copy.copy(parsed.desc)
    font.missing_glyphs = []
    font.hbfont = None
    font.subset = SubsetMap(font)
    pdf.fonts[FONT] = font


class _QuotePdf(FPDF):
    def __init__(self, doc: QuoteDocument) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc = doc

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*_MUTED)
        page = self.page_no()
        where = f"第 {page} / {{nb}} 页  Page {page} of {{nb}}"  # {nb}: the page count, filled in at output
        self.cell(0, 5, f"{self.doc.number} v{self.doc.version}    {where}", align=Align.C)


class _Text:
    """The words the PDF shows, collected as they are drawn (no PDF parsing needed)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, *words: str | None) -> None:
        line = " ".join(w for w in words if w)
        if line:
            self.parts.append(line)

    def __str__(self) -> str:
        return "\n".join(self.parts)


def render_quote(doc: QuoteDocument, font_path: str | None = None) -> RenderedPdf:
    path = check_font(font_path)
    pdf = _QuotePdf(doc)
    pdf.set_creation_date(datetime(doc.issued_on.year, doc.issued_on.month, doc.issued_on.day, tzinfo=UTC))
    pdf.set_title(f"{doc.number} v{doc.version}")
    pdf.set_author(doc.seller_name)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    _add_font(pdf, path)
    pdf.alias_nb_pages()
    pdf.add_page()
    text = _Text()
    _header(pdf, doc, text)
    _parties(pdf, doc, text)
    _lines(pdf, doc, text)
    _totals(pdf, doc, text)
    _notes(pdf, doc, text)
    content = bytes(pdf.output())
    return RenderedPdf(content=content, text=str(text), sha256=hashlib.sha256(content).hexdigest())


def _header(pdf: FPDF, doc: QuoteDocument, text: _Text) -> None:
    width = pdf.epw
    pdf.set_text_color(*_INK)
    pdf.set_font(FONT, size=16)
    pdf.cell(width / 2, 9, doc.seller_name)
    pdf.set_font(FONT, size=18)
    pdf.cell(width / 2, 9, "报价单 Quotation", align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    text.add(doc.seller_name, "报价单 Quotation")

    pdf.set_font(FONT, size=10)
    pdf.set_text_color(*_MUTED)
    number = f"No. {doc.number}  版本 Version {doc.version}"
    pdf.cell(width - 60, 7, number)
    stamp = FINAL_LABEL if doc.is_final else STATUS_LABELS.get(doc.status, doc.status)
    colour = _FINAL if doc.is_final else _OPEN
    pdf.set_draw_color(*colour)
    pdf.set_text_color(*colour)
    pdf.set_line_width(0.5)
    pdf.cell(60, 7, stamp, border=1, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    text.add(number, stamp)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(*_MUTED)
    pdf.ln(3)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(3)


def _parties(pdf: FPDF, doc: QuoteDocument, text: _Text) -> None:
    rows = [
        ("客户 Customer", doc.customer_name),
        ("项目 Subject", doc.title),
        ("报价日期 Issued", doc.issued_on.isoformat()),
        ("有效期至 Valid until", doc.valid_until.isoformat()),
        ("币种 Currency", doc.currency),
    ]
    if doc.owner_name:
        rows.append(("销售 Sales contact", doc.owner_name))
    for label, value in rows:
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*_MUTED)
        pdf.cell(40, 6, label)
        pdf.set_font(FONT, size=10)
        pdf.set_text_color(*_INK)
        pdf.multi_cell(pdf.epw - 40, 6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        text.add(label, value)
    pdf.ln(4)


def _lines(pdf: FPDF, doc: QuoteDocument, text: _Text) -> None:
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*_INK)
    pdf.set_draw_color(*_MUTED)
    heading = FontFace(emphasis="", color=_INK, fill_color=(233, 236, 239))
    text.add(*_COLUMNS)
    with pdf.table(
        col_widths=_COLUMN_WIDTHS,
        text_align=(Align.L, Align.R, Align.R, Align.R, Align.R),
        headings_style=heading,
        repeat_headings=1,  # on every page the table continues on
        line_height=5.5,
        cell_fill_color=(248, 249, 250),
        cell_fill_mode=TableCellFillMode.ROWS,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        row = table.row()
        for column in _COLUMNS:
            row.cell(column)
        for line in doc.lines:
            cells = (
                line.product,
                f"{line.quantity:,}",
                format_money(line.unit_price_minor, doc.currency),
                format_pct(line.discount_pct),
                format_money(line.line_total_minor, doc.currency),
            )
            row = table.row()
            for cell in cells:
                row.cell(cell)
            text.add(*cells)
    pdf.ln(3)


def _totals(pdf: FPDF, doc: QuoteDocument, text: _Text) -> None:
    rows = [
        ("小计 Subtotal", format_money(doc.subtotal_minor, doc.currency), 10),
        ("折扣 Discount", format_money(-doc.discount_minor, doc.currency) if doc.discount_minor else "—", 10),
        ("合计 Total", format_money(doc.total_minor, doc.currency), 13),
    ]
    label_width, value_width = 45.0, 45.0
    if pdf.will_page_break(6 * len(rows) + 4):
        pdf.add_page()
    for label, value, size in rows:
        pdf.set_x(pdf.l_margin + pdf.epw - label_width - value_width)
        pdf.set_font(FONT, size=size)
        pdf.set_text_color(*_INK)
        pdf.cell(label_width, 7, label, align=Align.R)
        pdf.cell(value_width, 7, value, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        text.add(label, value)


def _notes(pdf: FPDF, doc: QuoteDocument, text: _Text) -> None:
    if not doc.notes or not doc.notes.strip():
        return
    pdf.ln(5)
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*_MUTED)
    pdf.cell(0, 6, "备注 Notes", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    pdf.set_text_color(*_INK)
    pdf.multi_cell(0, 5.5, doc.notes.strip(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    text.add("备注 Notes", doc.notes.strip())
