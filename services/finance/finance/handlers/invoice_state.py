"""An invoice's published state, and publishing it; settling the invoices of a paid receivable.

Kept apart from the invoice use cases so the receivable publisher can settle invoices without
importing them (``receivable_state.publish`` calls ``settle_invoices_of``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kernel.audit import diff
from kernel.clock import isoformat, utcnow
from sqlalchemy import select

from finance.contracts.invoices import INVOICE_STATUS_LABELS, INVOICE_UPDATED
from finance.domain import invoices as rules
from finance.storage.models import InvoiceRow
from finance.storage.unit import FinanceUnit


def invoice_state(row: InvoiceRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "customer_id": row.customer_id,
        "customer_name": row.customer_name,
        "customer_owner_id": row.customer_owner_id,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "order_id": row.order_id,
        "receivable_id": row.receivable_id,
        "title": row.title,
        "tax_id": row.tax_id,
        "currency": row.currency,
        "amount_minor": row.amount_minor,
        "tax_rate": rules.rate_text(row.tax_rate),
        "tax_minor": row.tax_minor,
        "net_minor": row.amount_minor - row.tax_minor,
        "status": row.status,
        "status_label": INVOICE_STATUS_LABELS.get(row.status),
        "issued_on": row.issued_on.isoformat() if isinstance(row.issued_on, date) else None,
        "void_reason": row.void_reason,
        "created_by": row.created_by,
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


def publish(
    unit: FinanceUnit, row: InvoiceRow, action: str, event_type: str, before: dict[str, Any]
) -> dict[str, Any]:
    """Emit the invoice's full state as ``event_type`` and audit what changed since ``before``."""
    unit.session.flush()
    state = invoice_state(row)
    unit.record(
        "invoice",
        action,
        state,
        customer_id=row.customer_id,
        changes=diff(before, state, ignore=("version", "updated_at", "status_label")),
        event_type=event_type,
    )
    return state


def settle_invoices_of(unit: FinanceUnit, receivable_id: str) -> None:
    """The receivable is fully paid: its issued invoices are paid too (audited as the payer's act)."""
    rows = unit.session.scalars(
        select(InvoiceRow)
        .where(InvoiceRow.receivable_id == receivable_id, InvoiceRow.status == rules.ISSUED)
        .order_by(InvoiceRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for row in rows:
        before = invoice_state(row)
        row.status = rules.PAID
        row.version += 1
        row.updated_at = utcnow()
        publish(unit, row, "updated", INVOICE_UPDATED, before)
