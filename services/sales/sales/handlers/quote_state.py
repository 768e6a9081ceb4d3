"""A quote version as users see it, and the one step that publishes it.

The event's aggregate is the version row (its id and revision), its data the version with the
quote's identity: ``id`` = the quote, ``version`` = the version number n, ``revision`` = the
row version. Loading checks the quote read policy (NotFound when hidden: no existence leak).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kernel.audit import Changes, diff
from kernel.clock import isoformat
from kernel.errors import NotFound, ValidationError
from sqlalchemy import select

from sales import policy
from sales.storage.models import (
    CustomerRefRow,
    OpportunityRow,
    QuoteLineRow,
    QuotePdfRow,
    QuoteRow,
    QuoteVersionRow,
)
from sales.storage.unit import SalesUnit

KIND = "quote"


def ownership(quote: QuoteRow) -> dict[str, Any]:
    return {
        "owner_id": quote.owner_id,
        "team_id": quote.team_id,
        "customer_owner_id": quote.customer_owner_id,
    }


def version_number(value: Any, field: str = "version") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError.for_field(field, "must be a version number (1, 2, …)")
    return value


def load_quote(unit: SalesUnit, quote_id: Any, *, lock: bool = False) -> QuoteRow:
    """The quote if the caller may read it; ``lock``: the quote is the first lock a write takes."""
    if not isinstance(quote_id, str) or not quote_id or len(quote_id) > 64:
        raise NotFound("quote id must be a non-empty string")
    stmt = select(QuoteRow).where(QuoteRow.id == quote_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = unit.session.scalars(stmt).one_or_none()
    if row is None or not policy.QUOTE.can_read(unit.caller, ownership(row)):
        raise NotFound(f"quote {quote_id} does not exist")
    return row


def load_version(unit: SalesUnit, quote: QuoteRow, n: Any, *, lock: bool = False) -> QuoteVersionRow:
    number = version_number(n)
    stmt = select(QuoteVersionRow).where(QuoteVersionRow.quote_id == quote.id, QuoteVersionRow.n == number)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = unit.session.scalars(stmt).one_or_none()
    if row is None:
        raise NotFound(f"quote {quote.number} has no version {number}")
    return row


def lines_of(unit: SalesUnit, version: QuoteVersionRow) -> list[QuoteLineRow]:
    stmt = select(QuoteLineRow).where(QuoteLineRow.quote_version_id == version.id)
    return list(unit.session.scalars(stmt.order_by(QuoteLineRow.position)))


def pdf_text_of(unit: SalesUnit, version: QuoteVersionRow) -> str | None:
    stmt = select(QuotePdfRow.text).where(QuotePdfRow.quote_version_id == version.id)
    return unit.session.scalars(stmt).one_or_none()


def context_of(unit: SalesUnit, quote: QuoteRow) -> tuple[str | None, str | None]:
    """(customer name, opportunity title) for the quote's states."""
    ref = unit.session.get(CustomerRefRow, quote.customer_id)
    title = unit.session.scalars(
        select(OpportunityRow.title).where(OpportunityRow.id == quote.opportunity_id)
    ).one_or_none()
    return (ref.name if ref is not None else None), title


def version_state(
    quote: QuoteRow,
    version: QuoteVersionRow,
    lines: list[QuoteLineRow],
    *,
    customer_name: str | None,
    title: str | None,
    pdf_text: str | None,
) -> dict[str, Any]:
    return {
        "id": quote.id,
        "quote_id": quote.id,
        "version_id": version.id,
        "number": quote.number,
        "version": version.n,
        "status": version.status,
        "is_final": version.is_final,
        "customer_id": quote.customer_id,
        "customer_name": customer_name,
        "owner_id": quote.owner_id,
        "team_id": quote.team_id,
        "customer_owner_id": quote.customer_owner_id,
        "opportunity_id": quote.opportunity_id,
        "title": title,
        "currency": version.currency,
        "valid_until": version.valid_until.isoformat(),
        "lines": [
            {
                "product": line.product,
                "quantity": line.quantity,
                "unit_price_minor": line.unit_price_minor,
                "discount_pct": str(line.discount_pct),
                "line_total_minor": line.line_total_minor,
            }
            for line in lines
        ],
        "subtotal_minor": version.subtotal_minor,
        "discount_minor": version.discount_minor,
        "total_minor": version.total_minor,
        "max_discount_pct": str(version.max_discount_pct),
        "needs_approval": version.needs_approval,
        "submitted_at": isoformat(version.submitted_at),
        "decided_by": version.decided_by,
        "decided_at": isoformat(version.decided_at),
        "decision_comment": version.decision_comment,
        "sent_at": isoformat(version.sent_at),
        "notes": version.notes,
        "pdf_text": pdf_text,
        "created_by": version.created_by,
        "created_at": isoformat(version.created_at),
        "updated_at": isoformat(version.updated_at),
        "revision": version.version,
    }


def state_of(unit: SalesUnit, quote: QuoteRow, version: QuoteVersionRow) -> dict[str, Any]:
    customer_name, title = context_of(unit, quote)
    return version_state(
        quote,
        version,
        lines_of(unit, version),
        customer_name=customer_name,
        title=title,
        pdf_text=pdf_text_of(unit, version),
    )


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    return diff(before, after, ignore=("revision", "updated_at", "lines", "pdf_text"))


def publish(
    unit: SalesUnit,
    quote: QuoteRow,
    version: QuoteVersionRow,
    action: str,
    event_type: str,
    *,
    before: Mapping[str, Any] | None = None,
    extra: Changes | None = None,
) -> dict[str, Any]:
    """Emit the version's current state (caller bumped ``version.version``) and audit the change."""
    unit.session.flush()
    state = state_of(unit, quote, version)
    change_set: Changes = changes(before or {}, state) if before is not None else {}
    change_set.update(extra or {})
    unit.record(
        KIND,
        action,
        state,
        customer_id=quote.customer_id,
        changes=change_set,
        event_type=event_type,
        aggregate=(version.id, version.version),
    )
    return state
