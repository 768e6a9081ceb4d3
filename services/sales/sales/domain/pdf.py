"""Quote PDF rendering — PLACEHOLDER of the renderer's interface (another branch owns the real
one with an embedded CJK font; this stand-in uses a core font, so non-Latin-1 characters show as
"?" in the page while ``text`` keeps them exactly)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fpdf import FPDF


@dataclass(frozen=True)
class PdfLine:
    product: str
    quantity: int
    unit_price_minor: int
    discount_pct: Decimal
    line_total_minor: int


@dataclass(frozen=True)
class QuoteDocument:
    number: str
    version: int
    is_final: bool
    status: str
    customer_name: str
    title: str
    currency: str
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
    text: str
    sha256: str


def format_money(amount_minor: int, currency: str) -> str:
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(amount_minor), 100)
    return f"{sign}{currency} {major:,}.{minor:02d}"


def _text_lines(doc: QuoteDocument) -> list[str]:
    lines = [
        f"{doc.seller_name} 报价单 Quotation {doc.number} v{doc.version}"
        + (" (final)" if doc.is_final else ""),
        f"客户 Customer: {doc.customer_name}",
        f"项目 Subject: {doc.title}",
        f"日期 Issued: {doc.issued_on.isoformat()}  有效期至 Valid until: {doc.valid_until.isoformat()}",
    ]
    for i, line in enumerate(doc.lines, 1):
        lines.append(
            f"{i}. {line.product}  x{line.quantity}  @ {format_money(line.unit_price_minor, doc.currency)}"
            f"  -{line.discount_pct}%  = {format_money(line.line_total_minor, doc.currency)}"
        )
    lines += [
        f"小计 Subtotal: {format_money(doc.subtotal_minor, doc.currency)}",
        f"折扣 Discount: {format_money(doc.discount_minor, doc.currency)}",
        f"合计 Total: {format_money(doc.total_minor, doc.currency)}",
    ]
    if doc.notes:
        lines.append(f"备注 Notes: {doc.notes}")
    if doc.owner_name:
        lines.append(f"销售 Sales: {doc.owner_name}")
    return lines


def render_quote(doc: QuoteDocument) -> RenderedPdf:
    lines = _text_lines(doc)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for line in lines:
        printable = line.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, 6, printable, new_x="LMARGIN", new_y="NEXT")
    content = bytes(pdf.output())
    return RenderedPdf(content=content, text="\n".join(lines), sha256=hashlib.sha256(content).hexdigest())
