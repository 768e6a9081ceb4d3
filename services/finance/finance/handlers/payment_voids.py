"""Voiding a payment recorded by mistake (a typo, the wrong customer, a bank line matched
wrongly): every allocation it made is undone — the receivables owe that money again, each
published and audited — and the payment stays, marked void, paying nothing and being no credit.
Money already refunded from it went out for real: such a payment cannot be voided."""

from __future__ import annotations

from typing import Any

from kernel.clock import utcnow
from kernel.errors import Conflict, ValidationError
from kernel.repository import check_version
from kernel.schema import parse
from sqlalchemy import delete, select

from finance.contracts.payments import PAYMENT_UPDATED, PaymentVoid
from finance.domain import ledger
from finance.handlers import credit_risk, receivable_state
from finance.handlers.payments import (
    allocations_of,
    full_state,
    load_payment,
    require_live,
    require_writer,
)
from finance.storage.models import AllocationRow, ReceivableRow
from finance.storage.unit import FinanceUnit


def void_payment(
    unit: FinanceUnit, payment_id: Any, reason: Any, expected_version: Any = None
) -> dict[str, Any]:
    require_writer(unit)
    request = parse(PaymentVoid, {"reason": reason})
    text = request.reason.strip()
    if not text:
        raise ValidationError.for_field("reason", "say why the payment is void")
    payment = load_payment(unit, payment_id, lock=True)
    check_version(payment, expected_version, noun="payment")
    require_live(payment)
    if payment.refunded_minor:
        raise Conflict(
            f"payment {payment.number} has refunds and cannot be voided",
            [{"field": "payment_id", "message": "money was refunded from this payment"}],
        )
    allocations = allocations_of(unit, payment.id)
    receivables = {
        r.id: r
        for r in unit.session.scalars(
            select(ReceivableRow)
            .where(ReceivableRow.id.in_({a.receivable_id for a in allocations}))
            .order_by(ReceivableRow.id)  # the lock order of apply_allocations
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    undone = []
    for allocation in allocations:
        receivable = receivables[allocation.receivable_id]
        before = receivable_state.balance_of(receivable)
        after = ledger.unallocate(
            before, allocation.amount_minor, cancelled=receivable.cancelled_at is not None
        )
        receivable.paid_minor, receivable.amount_minor = after.paid, after.amount
        changes: dict[str, Any] = {"paid_minor": [before.paid, after.paid], "payment": [payment.number, None]}
        if after.amount != before.amount:
            changes["amount_minor"] = [before.amount, after.amount]
        receivable_state.publish(unit, receivable, changes=changes)
        undone.append({"receivable_id": allocation.receivable_id, "amount_minor": allocation.amount_minor})
    # The rows go (paid = the sum of a receivable's allocations stays true); the audit keeps them.
    unit.session.execute(delete(AllocationRow).where(AllocationRow.payment_id == payment.id))
    now = utcnow()
    allocated = payment.allocated_minor
    payment.allocated_minor = 0
    payment.voided_at, payment.voided_by, payment.void_reason = now, unit.caller.user_id, text
    payment.version += 1
    payment.updated_at = now
    unit.session.flush()
    state = full_state(unit, payment)
    unit.record(
        "payment",
        "voided",
        state,
        customer_id=payment.customer_id,
        changes={
            "status": ["recorded", "voided"],
            "allocated_minor": [allocated, 0],
            "allocations": [undone, []],
            "void_reason": [None, text],
        },
        event_type=PAYMENT_UPDATED,
    )
    if undone:  # money owed again may be overdue again: the customer's risk follows
        credit_risk.refresh_customer_risk(unit, payment.customer_id)
    return state
