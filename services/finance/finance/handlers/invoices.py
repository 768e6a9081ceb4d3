"""Invoices: drafts, issuing (the number is taken then), paid, void; reads.

The number comes from the per-year counter at issue, in the issuing transaction: a rolled-back
issue leaves no gap, two concurrent issues never share a number, and a voided invoice keeps its
number (it is never handed out again). Every write locks the invoice row first.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from kernel.audit import diff
from kernel.clock import utcnow
from kernel.errors import NotFound, PermissionDenied, ValidationError
from kernel.ids import new_id
from kernel.listing import paged, read_filters
from kernel.numbers import next_number
from kernel.replicas import CustomerRef
from kernel.repository import check_version
from kernel.schema import parse
from sqlalchemy import select

from finance import policy
from finance.contracts import invoices as c
from finance.domain import invoices as rules
from finance.handlers import receivable_state
from finance.handlers.invoice_state import invoice_state, publish
from finance.handlers.replicas import CUSTOMERS
from finance.settings import finance_settings
from finance.storage.models import InvoiceRow, ReceivableRow
from finance.storage.unit import FinanceUnit

FILTERS = ("customer_id", "status", "order_id", "receivable_id")
NUMBER_KIND, NUMBER_PREFIX = "invoice", "INV"


def tax_rates() -> tuple[Decimal, ...]:
    return rules.parse_rates(finance_settings().invoice_tax_rates)


def require_writer(unit: FinanceUnit) -> None:
    if not policy.can_write(unit.caller):
        raise PermissionDenied("only finance may write invoices")


# -- writes ------------------------------------------------------------------------------------------
def create_invoice(unit: FinanceUnit, data: Any) -> dict[str, Any]:
    """A draft for a customer, optionally for one of its orders or instalments."""
    require_writer(unit)
    request = parse(c.InvoiceCreate, data)
    rate = rules.parse_rate(request.tax_rate, tax_rates())
    customer = CUSTOMERS.ref(unit, request.customer_id)
    receivable = _linked_receivable(unit, customer, request.receivable_id, request.order_id)
    currency = request.currency or (receivable.currency if receivable else "CNY")
    if receivable is not None and currency != receivable.currency:
        raise ValidationError.for_field("currency", f"must be the receivable's {receivable.currency}")
    amount = request.amount_minor if request.amount_minor is not None else _default_amount(receivable)
    now = utcnow()
    row = InvoiceRow(
        id=new_id(),
        number=None,
        customer_id=customer.id,
        customer_name=customer.name,
        customer_owner_id=customer.owner_id,
        # the seller of the order when there is one (they read it as they read its receivable)
        owner_id=receivable.owner_id if receivable else customer.owner_id,
        team_id=receivable.team_id if receivable else customer.team_id,
        order_id=receivable.order_id if receivable else request.order_id,
        receivable_id=receivable.id if receivable else None,
        title=_clean(request.title) or customer.name,
        tax_id=_clean(request.tax_id),
        currency=currency,
        amount_minor=amount,
        tax_rate=rate,
        tax_minor=rules.tax_included(amount, rate),
        status=rules.DRAFT,
        issued_on=None,
        void_reason=None,
        created_by=unit.caller.user_id,
        version=1,
        created_at=now,
        updated_at=now,
    )
    unit.session.add(row)
    return publish(unit, row, "created", c.INVOICE_CREATED, {})


def update_invoice(
    unit: FinanceUnit, invoice_id: Any, changes: Any, expected_version: Any = None
) -> dict[str, Any]:
    """Change a draft's title, tax id, amount or rate (the tax is derived again)."""
    require_writer(unit)
    row = load_invoice(unit, invoice_id, lock=True)
    check_version(row, expected_version, noun="invoice")
    rules.next_status("update", row.status)
    request = parse(c.InvoiceUpdate, changes, field="changes")
    given = request.model_fields_set
    if not given:
        raise ValidationError.for_field("changes", "name at least one field to change")
    before = invoice_state(row)
    if "tax_rate" in given:
        row.tax_rate = rules.parse_rate(request.tax_rate, tax_rates())
    if "amount_minor" in given:
        if request.amount_minor is None:
            raise ValidationError.for_field("amount_minor", "must be an integer amount in minor units (分)")
        row.amount_minor = request.amount_minor
    if "title" in given:
        title = _clean(request.title)
        if title is None:
            raise ValidationError.for_field("title", "must not be empty")
        row.title = title
    if "tax_id" in given:
        row.tax_id = _clean(request.tax_id)
    row.tax_minor = rules.tax_included(row.amount_minor, Decimal(row.tax_rate))
    return _bump(unit, row, "updated", c.INVOICE_UPDATED, before)


def issue_invoice(unit: FinanceUnit, invoice_id: Any, expected_version: Any = None) -> dict[str, Any]:
    """Draft → issued: today's date (business zone) and the next number of that year."""
    return issue_invoice_on(unit, invoice_id, expected_version, today=receivable_state.business_today())


def issue_invoice_on(
    unit: FinanceUnit, invoice_id: Any, expected_version: Any = None, *, today: date
) -> dict[str, Any]:
    """``issue_invoice`` on a given day (tests and data loads; RPC callers cannot backdate)."""
    require_writer(unit)
    row = load_invoice(unit, invoice_id, lock=True)
    check_version(row, expected_version, noun="invoice")
    status = rules.next_status("issue", row.status)
    before = invoice_state(row)
    row.number = next_number(unit.session, NUMBER_KIND, NUMBER_PREFIX, year=today.year)
    row.issued_on = today
    row.status = status
    return _bump(unit, row, "issued", c.INVOICE_ISSUED, before)


def mark_invoice_paid(unit: FinanceUnit, invoice_id: Any, expected_version: Any = None) -> dict[str, Any]:
    require_writer(unit)
    row = load_invoice(unit, invoice_id, lock=True)
    check_version(row, expected_version, noun="invoice")
    status = rules.next_status("pay", row.status)
    before = invoice_state(row)
    row.status = status
    return _bump(unit, row, "updated", c.INVOICE_UPDATED, before)


def void_invoice(
    unit: FinanceUnit, invoice_id: Any, reason: Any, expected_version: Any = None
) -> dict[str, Any]:
    """Draft or issued → void, saying why; an issued invoice's number stays taken."""
    require_writer(unit)
    request = parse(c.InvoiceVoid, {"reason": reason})
    text = _clean(request.reason)
    if text is None:
        raise ValidationError.for_field("reason", "must not be empty")
    row = load_invoice(unit, invoice_id, lock=True)
    check_version(row, expected_version, noun="invoice")
    status = rules.next_status("void", row.status)
    before = invoice_state(row)
    row.status = status
    row.void_reason = text
    return _bump(unit, row, "voided", c.INVOICE_VOIDED, before)


def _bump(
    unit: FinanceUnit, row: InvoiceRow, action: str, event_type: str, before: dict[str, Any]
) -> dict[str, Any]:
    row.version += 1
    row.updated_at = utcnow()
    return publish(unit, row, action, event_type, before)


# -- reads -------------------------------------------------------------------------------------------
def get_invoice(unit: FinanceUnit, invoice_id: Any) -> dict[str, Any]:
    return invoice_state(load_invoice(unit, invoice_id))


def list_invoices(
    unit: FinanceUnit, filters: Any = None, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    wanted = read_filters(filters, FILTERS, {"status": c.INVOICE_STATUSES})
    rows, next_cursor = paged(unit.session, unit.caller, InvoiceRow, policy.INVOICE, wanted, cursor, limit)
    return {"items": [invoice_state(r) for r in rows], "next_cursor": next_cursor}


def load_invoice(unit: FinanceUnit, invoice_id: Any, *, lock: bool = False) -> InvoiceRow:
    if not isinstance(invoice_id, str) or not invoice_id:
        raise ValidationError.for_field("invoice_id", "must be a non-empty string")
    stmt = select(InvoiceRow).where(InvoiceRow.id == invoice_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = unit.session.scalars(stmt).one_or_none()
    if row is None or not policy.INVOICE.can_read(unit.caller, _ownership(row)):
        raise NotFound(f"invoice {invoice_id} does not exist")
    return row


# -- the customer's name or owner changed: re-publish its invoices ------------------------------------
def republish_customer(unit: FinanceUnit, ref: CustomerRef) -> None:
    rows = unit.session.scalars(
        select(InvoiceRow).where(InvoiceRow.customer_id == ref.id).order_by(InvoiceRow.id).with_for_update()
    )
    for row in rows:
        before = invoice_state(row)
        row.customer_name = ref.name
        row.customer_owner_id = ref.owner_id
        if row.receivable_id is None:  # a customer-level invoice is the customer owner's
            row.owner_id, row.team_id = ref.owner_id, ref.team_id
        if diff(before, invoice_state(row)):
            _bump(unit, row, "updated", c.INVOICE_UPDATED, before)


CUSTOMERS.republishers.append(republish_customer)


# -- helpers -----------------------------------------------------------------------------------------
def _linked_receivable(
    unit: FinanceUnit, customer: CustomerRef, receivable_id: str | None, order_id: str | None
) -> ReceivableRow | None:
    """The instalment the invoice bills (it must be this customer's), or None; an order named
    without one must be an order of this customer that finance bills."""
    if receivable_id is None:
        if order_id is not None:
            known = unit.session.scalar(
                select(ReceivableRow.id)
                .where(ReceivableRow.order_id == order_id, ReceivableRow.customer_id == customer.id)
                .limit(1)
            )
            if known is None:
                raise ValidationError.for_field("order_id", "is not an order of this customer")
        return None
    receivable = unit.session.get(ReceivableRow, receivable_id)
    if receivable is None or receivable.customer_id != customer.id:
        raise ValidationError.for_field("receivable_id", "is not a receivable of this customer")
    if order_id is not None and order_id != receivable.order_id:
        raise ValidationError.for_field("order_id", "is not the order of that receivable")
    if receivable.status == "cancelled":
        raise ValidationError.for_field("receivable_id", "is cancelled")
    return receivable


def _default_amount(receivable: ReceivableRow | None) -> int:
    if receivable is None:
        raise ValidationError.for_field("amount_minor", "is required unless a receivable is named")
    if receivable.amount_minor <= 0:
        raise ValidationError.for_field("amount_minor", "is required: the receivable bills nothing")
    return receivable.amount_minor


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None


def _ownership(row: InvoiceRow) -> dict[str, Any]:
    return {"owner_id": row.owner_id, "team_id": row.team_id, "customer_owner_id": row.customer_owner_id}
