"""Quotes (报价单) with versions, approval, a final version and a PDF.

A quote's versions are separate search documents and events: the event's aggregate is the
version (its own id and revision), its data the version as users see it: ``id`` = the quote,
``version`` = the version number, ``is_final``.

RPC:
    create_quote(caller, opportunity_id, data) -> QuoteVersion (version 1, draft)
    add_quote_version(caller, quote_id, data) -> QuoteVersion (the next version)
    get_quote(caller, quote_id) -> Quote (all versions, which is final)
    submit_quote_version / approve_quote_version / reject_quote_version(comment)
    mark_quote_version_final / mark_quote_version_sent (caller, quote_id, n, ...)
    get_quote_pdf(caller, quote_id, n) -> {"filename", "content_b64", "sha256"}
    list_quotes(caller, filters=None, cursor=None, limit=50)
    list_pending_approvals(caller, cursor=None, limit=50)
"""

from __future__ import annotations

from typing import Literal, get_args

from kernel.kinds import SearchKind
from pydantic import BaseModel

from sales.contracts.common import Owned

QuoteStatus = Literal["draft", "pending_approval", "approved", "rejected", "sent"]
QUOTE_STATUSES: tuple[str, ...] = get_args(QuoteStatus)

QUOTE_VERSION_CREATED = "quote.created"
QUOTE_VERSION_UPDATED = "quote.updated"
QUOTE_SUBMITTED = "quote.submitted"
QUOTE_APPROVED = "quote.approved"
QUOTE_REJECTED = "quote.rejected"
QUOTE_SENT = "quote.sent"
QUOTE_MARKED_FINAL = "quote.marked_final"
QUOTE_EXPIRING = "quote.expiring"


class QuoteVersion(Owned):
    quote_id: str
    number: str
    status: str
    is_final: bool
    total_minor: int
    currency: str


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
