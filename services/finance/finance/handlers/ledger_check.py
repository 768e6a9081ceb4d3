"""The ledger's consistency, checked in SQL: what the property tests assert after every random
history and what ops can run on production (``ledger_check`` RPC, admins).

Per instalment: billed = paid + outstanding + written off with nothing negative, its status the
one its balance gives, and what it was paid is exactly the sum of its allocations (from payments
of its own customer and currency). Per payment: its allocated and refunded totals are the sums of
its rows and together never exceed what was received; what it has written off is exactly the sum of
its approved write-offs. Per customer: billed = paid + outstanding +
written off, and no credit below zero.

The rules are SQL predicates, so on a production-sized ledger only the offending rows are read.
"""

from __future__ import annotations

from typing import Any

from kernel.clock import isoformat, utcnow
from kernel.errors import PermissionDenied
from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from finance.domain import ledger
from finance.storage.models import AllocationRow, PaymentRow, ReceivableRow, RefundRow, WriteOffRow
from finance.storage.unit import FinanceUnit


def check_ledger(session: Session, customer_id: str | None = None) -> list[str]:
    """Every violation found (empty when the books balance), in a stable order."""
    return [
        *_receivables(session, customer_id),
        *_payments(session, customer_id),
        *_allocations(session, customer_id),
        *_customers(session, customer_id),
    ]


def ledger_check(unit: FinanceUnit, customer_id: Any = None) -> dict[str, Any]:
    if not unit.caller.is_admin:
        raise PermissionDenied("only admins run the ledger check")
    scope = customer_id if isinstance(customer_id, str) and customer_id else None
    return {"violations": check_ledger(unit.session, scope), "checked_at": isoformat(utcnow())}


def _of(column: Any, customer_id: str | None) -> ColumnElement[bool]:
    return column == customer_id if customer_id is not None else true()


def _expected_status() -> ColumnElement[str]:
    """``ledger.status_of`` in SQL, so only the rows that break a rule leave the database."""
    r = ReceivableRow
    outstanding = r.amount_minor - r.paid_minor - r.written_off_minor
    return case(
        (r.cancelled_at.is_not(None), "cancelled"),
        (and_(outstanding == 0, r.written_off_minor > 0, r.paid_minor == 0), "written_off"),
        (outstanding == 0, "paid"),
        (or_(r.paid_minor > 0, r.written_off_minor > 0), "partially_paid"),
        else_="open",
    )


def _receivables(session: Session, customer_id: str | None) -> list[str]:
    mine = select(ReceivableRow.id).where(_of(ReceivableRow.customer_id, customer_id))
    paid = (
        select(AllocationRow.receivable_id, func.sum(AllocationRow.amount_minor).label("total"))
        .where(AllocationRow.receivable_id.in_(mine) if customer_id is not None else true())
        .group_by(AllocationRow.receivable_id)
        .subquery()
    )
    approved = (
        select(WriteOffRow.receivable_id, func.sum(WriteOffRow.amount_minor).label("total"))
        .where(WriteOffRow.status == "approved", _of(WriteOffRow.customer_id, customer_id))
        .group_by(WriteOffRow.receivable_id)
        .subquery()
    )
    r = ReceivableRow
    allocated = func.coalesce(paid.c.total, 0)
    written_off = func.coalesce(approved.c.total, 0)
    suspect = or_(
        r.paid_minor < 0,
        r.written_off_minor < 0,
        r.paid_minor + r.written_off_minor > r.amount_minor,
        r.status != _expected_status(),
        allocated != r.paid_minor,
        written_off != r.written_off_minor,
    )
    rows = session.execute(
        select(ReceivableRow, allocated, written_off)
        .outerjoin(paid, paid.c.receivable_id == ReceivableRow.id)
        .outerjoin(approved, approved.c.receivable_id == ReceivableRow.id)
        .where(_of(ReceivableRow.customer_id, customer_id), suspect)
        .order_by(ReceivableRow.id)
    ).all()
    found: list[str] = []
    for row, allocated, approved_total in rows:
        balance = ledger.Balance(row.amount_minor, row.paid_minor, row.written_off_minor)
        name = f"receivable {row.id} ({row.order_number}#{row.seq})"
        if min(balance.amount, balance.paid, balance.written_off, balance.outstanding) < 0:
            found.append(
                f"{name}: billed {balance.amount} != paid {balance.paid} + outstanding "
                f"{balance.outstanding} + written off {balance.written_off} with nothing negative"
            )
        expected = ledger.status_of(balance, cancelled=row.cancelled_at is not None)
        if row.status != expected:
            found.append(f"{name}: status {row.status}, its balance says {expected}")
        if int(allocated) != row.paid_minor:
            found.append(f"{name}: paid {row.paid_minor} but its allocations sum to {int(allocated)}")
        if int(approved_total) != row.written_off_minor:
            found.append(
                f"{name}: written off {row.written_off_minor} "
                f"but its approved write-offs sum to {int(approved_total)}"
            )
    return found


def _payments(session: Session, customer_id: str | None) -> list[str]:
    # scoped to the customer's payments, so one customer's check reads only their rows
    mine = select(PaymentRow.id).where(_of(PaymentRow.customer_id, customer_id))
    allocated = (
        select(AllocationRow.payment_id, func.sum(AllocationRow.amount_minor).label("total"))
        .where(AllocationRow.payment_id.in_(mine) if customer_id is not None else true())
        .group_by(AllocationRow.payment_id)
        .subquery()
    )
    refunded = (
        select(RefundRow.payment_id, func.sum(RefundRow.amount_minor).label("total"))
        .where(RefundRow.customer_id == customer_id if customer_id is not None else true())
        .group_by(RefundRow.payment_id)
        .subquery()
    )
    p = PaymentRow
    allocations, refunds = func.coalesce(allocated.c.total, 0), func.coalesce(refunded.c.total, 0)
    suspect = or_(
        allocations != p.allocated_minor,
        refunds != p.refunded_minor,
        and_(p.voided_at.is_not(None), or_(p.allocated_minor != 0, p.refunded_minor != 0)),
        p.allocated_minor < 0,
        p.refunded_minor < 0,
        p.allocated_minor + p.refunded_minor > p.amount_minor,
    )
    rows = session.execute(
        select(PaymentRow, allocations, refunds)
        .outerjoin(allocated, allocated.c.payment_id == PaymentRow.id)
        .outerjoin(refunded, refunded.c.payment_id == PaymentRow.id)
        .where(_of(PaymentRow.customer_id, customer_id), suspect)
        .order_by(PaymentRow.id)
    ).all()
    found: list[str] = []
    for row, allocations, refunds in rows:
        name = f"payment {row.number}"
        if int(allocations) != row.allocated_minor:
            found.append(
                f"{name}: allocated {row.allocated_minor} but its allocations sum to {int(allocations)}"
            )
        if int(refunds) != row.refunded_minor:
            found.append(f"{name}: refunded {row.refunded_minor} but its refunds sum to {int(refunds)}")
        if row.voided_at is not None and (row.allocated_minor or row.refunded_minor):
            found.append(
                f"{name}: void but still allocated {row.allocated_minor} / refunded {row.refunded_minor}"
            )
        if min(row.allocated_minor, row.refunded_minor) < 0 or (
            row.allocated_minor + row.refunded_minor > row.amount_minor
        ):
            found.append(
                f"{name}: allocated {row.allocated_minor} + refunded {row.refunded_minor} "
                f"exceed the {row.amount_minor} received"
            )
    return found


def _allocations(session: Session, customer_id: str | None) -> list[str]:
    """An allocation pays a receivable of the payment's own customer, in its currency."""
    rows = session.execute(
        select(AllocationRow.id, PaymentRow.number, ReceivableRow.id)
        .join(PaymentRow, PaymentRow.id == AllocationRow.payment_id)
        .join(ReceivableRow, ReceivableRow.id == AllocationRow.receivable_id)
        .where(
            (PaymentRow.customer_id != ReceivableRow.customer_id)
            | (PaymentRow.currency != ReceivableRow.currency)
            | (AllocationRow.amount_minor <= 0),
            _of(PaymentRow.customer_id, customer_id) | _of(ReceivableRow.customer_id, customer_id),
        )
        .order_by(AllocationRow.id)
    ).all()
    return [
        f"allocation {allocation} of payment {number} to receivable {receivable}: another customer, "
        "another currency or not positive"
        for allocation, number, receivable in rows
    ]


def _customers(session: Session, customer_id: str | None) -> list[str]:
    billed = session.execute(
        select(
            ReceivableRow.customer_id,
            ReceivableRow.currency,
            func.sum(ReceivableRow.amount_minor),
            func.sum(ReceivableRow.paid_minor),
            func.sum(ReceivableRow.written_off_minor),
            func.sum(ReceivableRow.amount_minor - ReceivableRow.paid_minor - ReceivableRow.written_off_minor),
        )
        .where(_of(ReceivableRow.customer_id, customer_id))
        .group_by(ReceivableRow.customer_id, ReceivableRow.currency)
        .order_by(ReceivableRow.customer_id, ReceivableRow.currency)
    ).all()
    found: list[str] = []
    for customer, currency, amount, paid, written_off, outstanding in billed:
        if int(amount) != int(paid) + int(outstanding) + int(written_off) or int(outstanding) < 0:
            found.append(
                f"customer {customer} ({currency}): billed {amount} != paid {paid} + outstanding "
                f"{outstanding} + written off {written_off}"
            )
    credit = session.execute(
        select(
            PaymentRow.customer_id,
            PaymentRow.currency,
            func.sum(PaymentRow.amount_minor - PaymentRow.allocated_minor - PaymentRow.refunded_minor),
        )
        .where(_of(PaymentRow.customer_id, customer_id), PaymentRow.voided_at.is_(None))
        .group_by(PaymentRow.customer_id, PaymentRow.currency)
        .order_by(PaymentRow.customer_id, PaymentRow.currency)
    ).all()
    found.extend(
        f"customer {customer} ({currency}): credit {int(left)} is negative"
        for customer, currency, left in credit
        if int(left) < 0
    )
    return found
