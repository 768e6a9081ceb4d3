"""Refunds: money paid back to a customer out of a payment's unallocated credit (never out of
what already pays a receivable: un-allocate first)."""

from __future__ import annotations

from typing import Any

from kernel.clock import utcnow
from kernel.errors import ValidationError
from kernel.ids import new_id
from kernel.schema import parse

from finance.contracts.payments import PAYMENT_UPDATED, RefundCreate
from finance.handlers.payments import full_state, load_payment, require_live, require_writer
from finance.storage.models import RefundRow
from finance.storage.unit import FinanceUnit


def refund(unit: FinanceUnit, data: Any) -> dict[str, Any]:
    """Refund part of a payment's credit; answers the payment (with its refunds)."""
    require_writer(unit)
    request = parse(RefundCreate, data)
    reason = request.reason.strip()
    if not reason:
        raise ValidationError.for_field("reason", "say why the money goes back")
    payment = load_payment(unit, request.payment_id, lock=True)
    require_live(payment)
    credit = payment.amount_minor - payment.allocated_minor - payment.refunded_minor
    if request.amount_minor > credit:
        raise ValidationError.for_field(
            "amount_minor",
            f"refund at most the payment's unallocated {credit} (asked {request.amount_minor})",
        )
    now = utcnow()
    unit.session.add(
        RefundRow(
            id=new_id(),
            payment_id=payment.id,
            customer_id=payment.customer_id,
            amount_minor=request.amount_minor,
            currency=payment.currency,
            refunded_on=request.refunded_on,
            reason=reason,
            created_by=unit.caller.user_id,
            created_at=now,
        )
    )
    before = payment.refunded_minor
    payment.refunded_minor += request.amount_minor
    payment.version += 1
    payment.updated_at = now
    unit.session.flush()
    state = full_state(unit, payment)
    unit.record(
        "payment",
        "updated",
        state,
        customer_id=payment.customer_id,
        changes={"refunded_minor": [before, payment.refunded_minor], "refund_reason": [None, reason]},
        event_type=PAYMENT_UPDATED,
    )
    return state
