"""Reading payments: one with its allocations and refunds, a page of them, a customer's credit,
and the receivables the payment-entry form offers. Every read is filtered by the read policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from kernel.access_sql import visible
from kernel.errors import ValidationError
from kernel.listing import paged, read_filters
from sqlalchemy import ColumnElement, func, select

from finance import policy
from finance.contracts.payments import PAYMENT_SOURCES
from finance.handlers import receivable_state
from finance.handlers.payments import full_state, full_states, load_payment, open_receivables_query
from finance.storage.models import PaymentRow, ReceivableRow
from finance.storage.unit import FinanceUnit

FILTERS = ("customer_id", "source", "received_after", "received_before")
_DATES: dict[str, Callable[[date], ColumnElement[bool]]] = {
    "received_after": lambda day: PaymentRow.received_on >= day,
    "received_before": lambda day: PaymentRow.received_on <= day,
}
MAX_OPEN = 200


def get_payment(unit: FinanceUnit, payment_id: Any) -> dict[str, Any]:
    return full_state(unit, load_payment(unit, payment_id))


def list_payments(
    unit: FinanceUnit, filters: Any = None, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    """Newest first; ``received_after`` / ``received_before`` are inclusive ISO dates."""
    wanted = read_filters(filters, FILTERS, {"source": PAYMENT_SOURCES})
    where: list[ColumnElement[bool]] = []
    for key, compare in _DATES.items():
        if key in wanted:
            where.append(compare(_day(wanted.pop(key), f"filters.{key}")))
    rows, next_cursor = paged(
        unit.session, unit.caller, PaymentRow, policy.PAYMENT, wanted, cursor, limit, where=where
    )
    return {"items": full_states(unit, rows), "next_cursor": next_cursor}


def customer_credit(unit: FinanceUnit, customer_id: Any) -> dict[str, Any]:
    """What the customer has paid and not yet allocated nor been refunded, per currency (of the
    payments the caller may read)."""
    customer = _customer_id(customer_id)
    left = PaymentRow.amount_minor - PaymentRow.allocated_minor - PaymentRow.refunded_minor
    rows = unit.session.execute(
        select(PaymentRow.currency, func.sum(left))
        .where(PaymentRow.customer_id == customer, PaymentRow.voided_at.is_(None), _visible_payments(unit))
        .group_by(PaymentRow.currency)
    ).all()
    credits = [
        {"currency": currency, "credit_minor": int(total)} for currency, total in rows if total and total > 0
    ]
    credits.sort(key=lambda c: (c["currency"] != "CNY", c["currency"]))
    return {"customer_id": customer, "credits": credits}


def open_receivables_for_payment(
    unit: FinanceUnit, customer_id: Any, currency: Any = "CNY"
) -> list[dict[str, Any]]:
    """The customer's unsettled receivables in ``currency``, oldest due first: the rows of the
    payment-entry form, each with what it still owes."""
    customer = _customer_id(customer_id)
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isupper():
        raise ValidationError.for_field("currency", "must be an ISO 4217 code such as CNY")
    columns = {name: getattr(ReceivableRow, name) for name in policy.RECEIVABLE.fields}
    rows = unit.session.scalars(
        open_receivables_query(customer, currency)
        .where(visible(policy.RECEIVABLE, unit.caller, columns))
        .limit(MAX_OPEN)
    )
    today = receivable_state.business_today()
    return [receivable_state.receivable_state(row, today) for row in rows]


def _visible_payments(unit: FinanceUnit) -> ColumnElement[bool]:
    columns = {name: getattr(PaymentRow, name) for name in policy.PAYMENT.fields}
    return visible(policy.PAYMENT, unit.caller, columns)


def _customer_id(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 64:
        raise ValidationError.for_field("customer_id", "must be a customer id")
    return value


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError.for_field(field, "must be a date (YYYY-MM-DD)") from None
