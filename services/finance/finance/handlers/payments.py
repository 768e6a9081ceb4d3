"""Payments (回款): recording one with its allocations, and allocating credit later.

The core the manual entry and the bank-statement import share: ``record_payment`` writes the
payment, pays the receivables it names (each under a row lock, so two payments never both pay
the last yuan of an instalment) and publishes the payment and every receivable it touched, all in
the caller's transaction: a refused allocation leaves no payment behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kernel.clock import isoformat, utcnow
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.ids import new_id
from kernel.numbers import next_number
from kernel.replicas import CustomerRef
from kernel.repository import check_version
from kernel.schema import parse
from sqlalchemy import Select, select

from finance import policy
from finance.contracts.payments import (
    MAX_ALLOCATIONS,
    PAYMENT_RECORDED,
    PAYMENT_UPDATED,
    AllocationIn,
    AllocationsCreate,
    PaymentCreate,
)
from finance.domain import ledger
from finance.handlers import credit_risk, receivable_state
from finance.handlers.replicas import CUSTOMERS
from finance.storage.models import AllocationRow, PaymentRow, ReceivableRow, RefundRow
from finance.storage.unit import FinanceUnit


def require_writer(unit: FinanceUnit) -> None:
    if not policy.can_write(unit.caller):
        raise PermissionDenied("only finance may record payments")


def record_payment(
    unit: FinanceUnit, data: Any, *, source: str = "manual", bank_line_id: str | None = None
) -> dict[str, Any]:
    """A payment from ``data`` (``PaymentCreate``): allocations pay receivables of the same
    customer and currency; the rest stays as the customer's credit."""
    require_writer(unit)
    request = parse(PaymentCreate, data)
    customer = CUSTOMERS.ref(unit, request.customer_id)
    now = utcnow()
    row = PaymentRow(
        id=new_id(),
        number=next_number(unit.session, "payment", "PAY"),
        customer_id=customer.id,
        customer_name=customer.name,
        customer_owner_id=customer.owner_id,
        owner_id=customer.owner_id,
        team_id=customer.team_id,
        received_on=request.received_on,
        currency=request.currency,
        amount_minor=request.amount_minor,
        allocated_minor=0,
        refunded_minor=0,
        payer=request.payer,
        reference=request.reference,
        note=request.note,
        source=source,
        bank_line_id=bank_line_id,
        created_by=unit.caller.user_id,
        version=1,
        created_at=now,
        updated_at=now,
    )
    unit.session.add(row)
    unit.session.flush()
    wanted = request.allocations
    if request.auto_allocate:
        if wanted:
            raise ValidationError.for_field(
                "auto_allocate", "name the allocations or ask for auto_allocate, not both"
            )
        wanted = oldest_first(unit, row.customer_id, row.currency, row.amount_minor)
    apply_allocations(unit, row, wanted)
    state = full_state(unit, row)
    unit.record("payment", "recorded", state, customer_id=row.customer_id, event_type=PAYMENT_RECORDED)
    return state


def record_manual_payment(unit: FinanceUnit, data: Any) -> dict[str, Any]:
    """``record_payment`` over RPC: a person's entry (the source and bank line belong to the import)."""
    return record_payment(unit, data)


def oldest_first(unit: FinanceUnit, customer_id: str, currency: str, amount: int) -> list[AllocationIn]:
    """Allocations of ``amount`` to the customer's unsettled receivables, oldest due first (what
    is left over stays credit); ``apply_allocations`` locks and re-checks each of them."""
    plan: list[AllocationIn] = []
    left = amount
    locked = unit.session.scalars(
        open_receivables_query(customer_id, currency)
        .order_by(None)
        .order_by(ReceivableRow.id)  # the lock order of apply_allocations: no deadlock between them
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for receivable in sorted(locked, key=lambda r: (r.due_date, r.order_number, r.seq, r.id)):
        if left <= 0:
            break
        take = min(left, receivable_state.balance_of(receivable).outstanding)
        if take > 0:
            plan.append(AllocationIn(receivable_id=receivable.id, amount_minor=take))
            left -= take
    return plan[:MAX_ALLOCATIONS]


def open_receivables_query(customer_id: str, currency: str) -> Select[ReceivableRow]:
    """A customer's open and partially paid receivables in one currency, oldest due first."""
    return (
        select(ReceivableRow)
        .where(
            ReceivableRow.customer_id == customer_id,
            ReceivableRow.currency == currency,
            ReceivableRow.status.in_(("open", "partially_paid")),
        )
        .order_by(ReceivableRow.due_date, ReceivableRow.order_number, ReceivableRow.seq, ReceivableRow.id)
    )


def allocate_payment(
    unit: FinanceUnit, payment_id: Any, allocations: Any, expected_version: Any = None
) -> dict[str, Any]:
    """Use a payment's unallocated credit to pay receivables."""
    require_writer(unit)
    request = parse(AllocationsCreate, {"allocations": allocations})
    row = load_payment(unit, payment_id, lock=True)
    check_version(row, expected_version, noun="payment")
    apply_allocations(unit, row, request.allocations)
    row.version += 1
    row.updated_at = utcnow()
    state = full_state(unit, row)
    unit.record(
        "payment",
        "updated",
        state,
        customer_id=row.customer_id,
        changes={
            "allocated_minor": [
                row.allocated_minor - sum(a.amount_minor for a in request.allocations),
                row.allocated_minor,
            ]
        },
        event_type=PAYMENT_UPDATED,
    )
    return state


def apply_allocations(
    unit: FinanceUnit, payment: PaymentRow, requested: Iterable[AllocationIn]
) -> list[AllocationRow]:
    """Pay each named receivable from ``payment``; refuse what would over-pay either side."""
    require_live(payment)
    wanted = list(requested)
    ids = [a.receivable_id for a in wanted]
    if len(set(ids)) != len(ids):
        raise ValidationError.for_field("allocations", "names a receivable twice")
    total = sum(a.amount_minor for a in wanted)
    available = payment.amount_minor - payment.allocated_minor - payment.refunded_minor
    if total > available:
        raise ValidationError.for_field(
            "allocations", f"allocate at most the payment's unallocated {available} (asked {total})"
        )
    receivables = {
        r.id: r
        for r in unit.session.scalars(
            select(ReceivableRow)
            .where(ReceivableRow.id.in_(ids))
            .order_by(ReceivableRow.id)  # one lock order: concurrent payments never deadlock
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    now = utcnow()
    made: list[AllocationRow] = []
    for index, allocation in enumerate(wanted):
        field = f"allocations.{index}"
        receivable = receivables.get(allocation.receivable_id)
        if receivable is None or receivable.customer_id != payment.customer_id:
            raise ValidationError.for_field(f"{field}.receivable_id", "is not a receivable of this customer")
        if receivable.currency != payment.currency:
            raise ValidationError.for_field(
                f"{field}.receivable_id", f"is in {receivable.currency}, the payment in {payment.currency}"
            )
        if receivable.status == "cancelled":
            raise Conflict(
                f"receivable {receivable.id} is cancelled",
                [{"field": f"{field}.receivable_id", "message": "is cancelled"}],
            )
        before = receivable_state.balance_of(receivable)
        try:
            after = ledger.allocate(before, allocation.amount_minor)
        except ValidationError:
            raise ValidationError.for_field(
                f"{field}.amount_minor",
                f"{allocation.amount_minor} is more than the {before.outstanding} outstanding",
            ) from None
        receivable.paid_minor = after.paid
        row = AllocationRow(
            id=new_id(),
            payment_id=payment.id,
            receivable_id=receivable.id,
            amount_minor=allocation.amount_minor,
            created_by=unit.caller.user_id,
            created_at=now,
        )
        unit.session.add(row)
        made.append(row)
        receivable_state.publish(
            unit,
            receivable,
            changes={"paid_minor": [before.paid, after.paid], "payment": [None, payment.number]},
        )
    payment.allocated_minor += total
    unit.session.flush()
    if made:  # what the customer has overdue changed: its credit risk may have
        credit_risk.refresh_customer_risk(unit, payment.customer_id)
    return made


def require_live(payment: PaymentRow) -> None:
    if payment.voided_at is not None:
        raise Conflict(
            f"payment {payment.number} is void", [{"field": "payment_id", "message": "the payment is void"}]
        )


def load_payment(unit: FinanceUnit, payment_id: Any, *, lock: bool = False) -> PaymentRow:
    if not isinstance(payment_id, str) or not payment_id:
        raise ValidationError.for_field("payment_id", "must be a non-empty string")
    stmt = select(PaymentRow).where(PaymentRow.id == payment_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = unit.session.scalars(stmt).one_or_none()
    if row is None or not policy.PAYMENT.can_read(unit.caller, ownership(row)):
        raise NotFound(f"payment {payment_id} does not exist")
    return row


def ownership(row: Any) -> dict[str, Any]:
    return {"owner_id": row.owner_id, "team_id": row.team_id, "customer_owner_id": row.customer_owner_id}


def allocations_of(unit: FinanceUnit, payment_id: str) -> list[AllocationRow]:
    return list(
        unit.session.scalars(
            select(AllocationRow).where(AllocationRow.payment_id == payment_id).order_by(AllocationRow.id)
        )
    )


def full_state(unit: FinanceUnit, row: PaymentRow) -> dict[str, Any]:
    """The published state: the payment with its allocations (naming each instalment) and refunds."""
    return full_states(unit, [row])[0]


def full_states(unit: FinanceUnit, rows: Sequence[PaymentRow]) -> list[dict[str, Any]]:
    """``full_state`` of each row, in three statements whatever the number of rows (a list page
    read them one payment at a time: 3 round trips per payment, 61 for a page of 20)."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    allocations: dict[str, list[AllocationRow]] = {payment_id: [] for payment_id in ids}
    for allocation in unit.session.scalars(
        select(AllocationRow).where(AllocationRow.payment_id.in_(ids)).order_by(AllocationRow.id)
    ):
        allocations[allocation.payment_id].append(allocation)
    receivable_ids = {a.receivable_id for found in allocations.values() for a in found}
    labels: dict[str, tuple[str, int]] = {}
    if receivable_ids:
        labels = {
            r.id: (r.order_number, r.seq)
            for r in unit.session.execute(
                select(ReceivableRow.id, ReceivableRow.order_number, ReceivableRow.seq).where(
                    ReceivableRow.id.in_(receivable_ids)
                )
            )
        }
    refunds: dict[str, list[RefundRow]] = {payment_id: [] for payment_id in ids}
    for refund in unit.session.scalars(
        select(RefundRow).where(RefundRow.payment_id.in_(ids)).order_by(RefundRow.id)
    ):
        refunds[refund.payment_id].append(refund)
    return [payment_state(row, allocations[row.id], labels=labels, refunds=refunds[row.id]) for row in rows]


def payment_state(
    row: PaymentRow,
    allocations: Iterable[AllocationRow],
    *,
    labels: Mapping[str, tuple[str, int]] | None = None,
    refunds: Iterable[RefundRow] = (),
) -> dict[str, Any]:
    labels = labels or {}
    return {
        "id": row.id,
        "number": row.number,
        "customer_id": row.customer_id,
        "customer_name": row.customer_name,
        "customer_owner_id": row.customer_owner_id,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "received_on": row.received_on.isoformat(),
        "currency": row.currency,
        "amount_minor": row.amount_minor,
        "allocated_minor": row.allocated_minor,
        "refunded_minor": row.refunded_minor,
        # the customer's credit from this payment (none from a void one)
        "unallocated_minor": 0
        if row.voided_at is not None
        else row.amount_minor - row.allocated_minor - row.refunded_minor,
        "payer": row.payer,
        "reference": row.reference,
        "note": row.note,
        "source": row.source,
        "created_by": row.created_by,
        "status": "voided" if row.voided_at is not None else "recorded",
        "voided_at": isoformat(row.voided_at),
        "voided_by": row.voided_by,
        "void_reason": row.void_reason,
        "allocations": [
            {
                "id": a.id,
                "receivable_id": a.receivable_id,
                "amount_minor": a.amount_minor,
                "order_number": labels.get(a.receivable_id, (None, None))[0],
                "seq": labels.get(a.receivable_id, (None, None))[1],
                "created_by": a.created_by,
                "created_at": isoformat(a.created_at),
            }
            for a in allocations
        ],
        "refunds": [
            {
                "id": r.id,
                "amount_minor": r.amount_minor,
                "refunded_on": r.refunded_on.isoformat(),
                "reason": r.reason,
                "created_by": r.created_by,
                "created_at": isoformat(r.created_at),
            }
            for r in refunds
        ],
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


def republish_for_customer(unit: FinanceUnit, ref: CustomerRef) -> None:
    """A payment carries its customer's name, owner and team (its read policy and search document
    do): take the new ones and publish it again (not audited: nothing of the payment changed)."""
    rows = unit.session.scalars(
        select(PaymentRow)
        .where(PaymentRow.customer_id == ref.id)
        .order_by(PaymentRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for row in rows:
        row.customer_name, row.customer_owner_id = ref.name, ref.owner_id
        row.owner_id, row.team_id = ref.owner_id, ref.team_id
        row.version += 1
        row.updated_at = utcnow()
        unit.session.flush()
        unit.record(
            "payment",
            "updated",
            full_state(unit, row),
            customer_id=row.customer_id,
            event_type=PAYMENT_UPDATED,
        )


if republish_for_customer not in CUSTOMERS.republishers:
    CUSTOMERS.republishers.append(republish_for_customer)
