"""Quotes (报价单) with versions, approval, a final version and a PDF.

A quote's versions are separate search documents and events: the event's aggregate is the
version (its own id and revision), its data the version as users see it: ``id`` = the quote,
``version`` = the version number, ``version_id`` = the version's own id, ``revision`` = the
version's row version (the event's aggregate version), ``is_final``.

RPC:
    create_quote(caller, opportunity_id, data) -> QuoteVersion (version 1, draft)
        data: {currency, valid_until, lines: [{product, quantity, unit_price_minor, discount_pct}], notes}
    add_quote_version(caller, quote_id, data) -> QuoteVersion (the next version, draft)
    update_quote_version(caller, quote_id, n, data) -> QuoteVersion (a draft only)
    get_quote(caller, quote_id) -> Quote (all versions, which is final)
    get_quote_version(caller, quote_id, n) -> QuoteVersion
    submit_quote_version(caller, quote_id, n) -> QuoteVersion
        (approved at once when the largest line discount is within the auto-approve threshold)
    approve_quote_version(caller, quote_id, n, comment=None)
    reject_quote_version(caller, quote_id, n, comment)   (a rejection needs a comment)
    mark_quote_version_final(caller, quote_id, n) / mark_quote_version_sent(caller, quote_id, n)
    get_quote_pdf(caller, quote_id, n) -> QuotePdf {"filename", "content_b64", "sha256", "media_type"}
    list_quotes(caller, filters=None, cursor=None, limit=50) -> Page[QuoteVersion]
        the current version of each quote (the final one, else the latest), newest first
        filters: customer_id, opportunity_id, status, final_only, all_versions (every version)
    list_pending_approvals(caller, cursor=None, limit=50) -> Page[QuoteVersion]
    list_my_reminders(caller, cursor=None, limit=50) -> Page[Reminder]
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, get_args

from kernel.kinds import SearchKind
from kernel.schema import Day, RequestModel
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from sales.contracts.common import DEFAULT_CURRENCY, Currency, Owned

QuoteStatus = Literal["draft", "pending_approval", "approved", "rejected", "sent"]
QUOTE_STATUSES: tuple[str, ...] = get_args(QuoteStatus)
QUOTE_STATUS_LABELS: dict[str, str] = {
    "draft": "草稿",
    "pending_approval": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "sent": "已发送",
}

QUOTE_VERSION_CREATED = "quote.created"
QUOTE_VERSION_UPDATED = "quote.updated"
QUOTE_SUBMITTED = "quote.submitted"
QUOTE_APPROVED = "quote.approved"
QUOTE_REJECTED = "quote.rejected"
QUOTE_SENT = "quote.sent"
QUOTE_MARKED_FINAL = "quote.marked_final"
QUOTE_EXPIRING = "quote.expiring"

# Limits (the service enforces them; the REST schema publishes them).
MAX_LINES = 200
MAX_PRODUCT_CHARS = 200
MAX_NOTES_CHARS = 5000
MAX_COMMENT_CHARS = 2000


class QuoteLine(BaseModel):
    product: str
    quantity: int
    unit_price_minor: int
    discount_pct: str  # exact decimal as text, e.g. "12.50"
    line_total_minor: int


class QuoteVersion(Owned):
    """A version as users see it (the event data and the search document's source)."""

    quote_id: str
    version_id: str | None = None
    number: str
    status: str
    is_final: bool
    total_minor: int
    currency: str
    opportunity_id: str | None = None
    title: str | None = None
    valid_until: str | None = None
    lines: list[QuoteLine] = []
    subtotal_minor: int | None = None
    discount_minor: int | None = None
    max_discount_pct: str | None = None
    needs_approval: bool | None = None
    submitted_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_comment: str | None = None
    sent_at: datetime | None = None
    notes: str | None = None
    pdf_text: str | None = None
    created_by: str | None = None
    revision: int | None = None


class Quote(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    number: str
    opportunity_id: str
    customer_id: str
    customer_name: str | None = None
    final_version: int | None = None
    latest_version: int | None = None
    versions: list[QuoteVersion]


class QuotePdf(BaseModel):
    filename: str
    content_b64: str
    sha256: str
    media_type: str = "application/pdf"


class Reminder(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    kind: str
    subject_id: str
    message: str
    customer_id: str | None = None
    data: dict[str, object] = {}
    created_at: datetime
    read_at: datetime | None = None


# -- request bodies (the gateway's REST bodies subclass these) -----------------------------------
Product = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PRODUCT_CHARS)]


class QuoteLineIn(RequestModel):
    product: Product
    quantity: StrictInt = Field(ge=1, le=1_000_000_000)
    unit_price_minor: StrictInt = Field(ge=0, le=10**13, description="Unit price in minor units (分)")
    discount_pct: Decimal = Field(
        default=Decimal(0), ge=0, le=100, decimal_places=2, description="Line discount, percent (0–100)"
    )


class QuoteBody(RequestModel):
    currency: Currency = DEFAULT_CURRENCY
    valid_until: Day
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=MAX_LINES)
    notes: str | None = Field(default=None, max_length=MAX_NOTES_CHARS)


class QuoteDecision(RequestModel):
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_CHARS)


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {
    t: QuoteVersion
    for t in (
        QUOTE_VERSION_CREATED,
        QUOTE_VERSION_UPDATED,
        QUOTE_SUBMITTED,
        QUOTE_APPROVED,
        QUOTE_REJECTED,
        QUOTE_SENT,
        QUOTE_MARKED_FINAL,
        QUOTE_EXPIRING,
    )
}
SEARCH_KINDS: tuple[SearchKind, ...] = (SearchKind("quote", "报价", "/quotes/{id}", tuple(EVENT_SCHEMAS)),)
