"""Receivables straight into the ledger, for tests of what happens to them after they exist
(payments, write-offs, the overdue timer) without going through the order events."""

from __future__ import annotations

from datetime import date
from typing import Any

from finance.app import FinanceApp
from finance.contracts.receivables import RECEIVABLE_CREATED
from finance.handlers import payments, receivable_state
from finance.handlers.replicas import CUSTOMERS
from finance.storage.models import ReceivableRow
from finance.storage.unit import FinanceUnit
from finance_testkit import FINANCE
from kernel.clock import utcnow
from kernel.ids import new_id


def add_receivable(
    unit: FinanceUnit,
    customer_id: str,
    amount_minor: int,
    due_date: date,
    *,
    order_id: str | None = None,
    seq: int = 1,
    currency: str = "CNY",
    owner_id: str | None = None,
    team_id: str | None = None,
) -> dict[str, Any]:
    customer = CUSTOMERS.ref(unit, customer_id)
    now = utcnow()
    row = ReceivableRow(
        id=new_id(),
        order_id=order_id or new_id(),
        order_number="SO-2026-000001",
        seq=seq,
        customer_id=customer.id,
        customer_name=customer.name,
        customer_owner_id=customer.owner_id,
        owner_id=owner_id or customer.owner_id,
        team_id=team_id or customer.team_id,
        due_date=due_date,
        currency=currency,
        amount_minor=amount_minor,
        paid_minor=0,
        written_off_minor=0,
        status="open",
        order_version=1,
        version=0,
        created_at=now,
        updated_at=now,
    )
    unit.session.add(row)
    unit.session.flush()
    return receivable_state.publish(unit, row, event_type=RECEIVABLE_CREATED)


def pay_manually(
    finance: FinanceApp, customer_id: str, amount: int, *allocations: tuple[str, int], **extra: Any
) -> Any:
    """A payment recorded by finance on 2026-12-01, allocated to (receivable id, amount) pairs."""
    return finance.run(
        FINANCE,
        payments.record_manual_payment,
        {
            "customer_id": customer_id,
            "received_on": "2026-12-01",
            "amount_minor": amount,
            "allocations": [{"receivable_id": r, "amount_minor": a} for r, a in allocations],
            **extra,
        },
    )
