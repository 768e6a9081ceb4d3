"""The PDF of an approved or sent quote version: rendered once, stored durably (a later render
could differ: fonts, layout), its text kept for the search document."""

from __future__ import annotations

import base64
from datetime import datetime
from decimal import Decimal
from typing import Any

from kernel.errors import NotFound
from kernel.offload import off_hub

from sales.domain import quotes as rules
from sales.domain.pdf import PdfLine, QuoteDocument, render_quote
from sales.handlers.quote_state import context_of, lines_of, load_quote, load_version
from sales.settings import sales_settings
from sales.storage.models import DirectoryUserRow, QuotePdfRow, QuoteRow, QuoteVersionRow
from sales.storage.unit import SalesUnit

MEDIA_TYPE = "application/pdf"


def document_of(unit: SalesUnit, quote: QuoteRow, version: QuoteVersionRow, now: datetime) -> QuoteDocument:
    customer_name, title = context_of(unit, quote)
    owner = unit.session.get(DirectoryUserRow, quote.owner_id)
    return QuoteDocument(
        number=quote.number,
        version=version.n,
        is_final=version.is_final,
        status=version.status,
        customer_name=customer_name or quote.customer_id,
        title=title or quote.number,
        currency=version.currency,
        valid_until=version.valid_until,
        issued_on=now.date(),
        lines=[
            PdfLine(
                product=line.product,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                discount_pct=Decimal(line.discount_pct),
                line_total_minor=line.line_total_minor,
            )
            for line in lines_of(unit, version)
        ],
        subtotal_minor=version.subtotal_minor,
        discount_minor=version.discount_minor,
        total_minor=version.total_minor,
        notes=version.notes,
        owner_name=(owner.display_name or owner.username) if owner is not None else None,
    )


def ensure_pdf(unit: SalesUnit, quote: QuoteRow, version: QuoteVersionRow, now: datetime) -> QuotePdfRow:
    """The version's stored PDF, rendered now if it has none yet."""
    row = unit.session.get(QuotePdfRow, version.id)
    if row is not None:
        return row
    # Seconds of CPU for a long quote: in a thread of its own, not on the service's one hub thread.
    rendered = off_hub(
        render_quote, document_of(unit, quote, version, now), sales_settings().quote_pdf_font_path
    )
    row = QuotePdfRow(
        quote_version_id=version.id,
        content=rendered.content,
        sha256=rendered.sha256,
        text=rendered.text,
        rendered_at=now,
    )
    unit.session.add(row)
    unit.session.flush()
    return row


def filename(quote: QuoteRow, version: QuoteVersionRow) -> str:
    return f"{quote.number}-v{version.n}.pdf"


def get_quote_pdf(unit: SalesUnit, quote_id: Any, n: Any) -> dict[str, Any]:
    quote = load_quote(unit, quote_id)
    version = load_version(unit, quote, n)
    row = unit.session.get(QuotePdfRow, version.id)
    if row is None:
        when = "once it is approved" if version.status not in rules.ISSUED else "when it is re-issued"
        raise NotFound(
            f"version {version.n} of quote {quote.number} is {version.status}: it has a PDF {when}"
        )
    return {
        "filename": filename(quote, version),
        "content_b64": base64.b64encode(row.content).decode("ascii"),
        "sha256": row.sha256,
        "media_type": MEDIA_TYPE,
    }
