"""Recording a payment: allocations pay receivables, the rest is credit, a refusal leaves nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from finance.app import FinanceApp
from finance.handlers import payments
from finance.storage.models import PaymentRow, ReceivableRow
from finance_ledger_fixtures import add_receivable
from finance_testkit import FINANCE, SALES1
from kernel.errors import PermissionDenied, ValidationError
from kernel.identity import SYSTEM
from sqlalchemy import func, select


def test_a_payment_pays_what_it_names_and_keeps_the_rest_as_credit(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    first = finance.run(SYSTEM, add_receivable, acme["id"], 100_000, date(2026, 11, 1))
    second = finance.run(SYSTEM, add_receivable, acme["id"], 50_000, date(2026, 12, 1), seq=2)
    payment = finance.run(
        FINANCE,
        payments.record_payment,
        {
            "customer_id": acme["id"],
            "received_on": "2026-12-01",
            "amount_minor": 180_000,
            "payer": "A科技有限公司",
            "reference": "SO-2026-000001",
            "allocations": [
                {"receivable_id": first["id"], "amount_minor": 100_000},
                {"receivable_id": second["id"], "amount_minor": 20_000},
            ],
        },
    )
    assert (payment["allocated_minor"], payment["unallocated_minor"]) == (120_000, 60_000)
    assert payment["number"].startswith("PAY-")
    rows = finance.run(
        SYSTEM,
        lambda unit: {r.id: (r.status, r.paid_minor) for r in unit.session.scalars(select(ReceivableRow))},
    )
    assert rows == {first["id"]: ("paid", 100_000), second["id"]: ("partially_paid", 20_000)}


def test_an_over_allocation_is_refused_and_nothing_is_written(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    due = finance.run(SYSTEM, add_receivable, acme["id"], 10_000, date(2026, 11, 1))
    request = {
        "customer_id": acme["id"],
        "received_on": "2026-12-01",
        "amount_minor": 50_000,
        "allocations": [{"receivable_id": due["id"], "amount_minor": 20_000}],
    }
    with pytest.raises(ValidationError) as refused:
        finance.run(FINANCE, payments.record_payment, request)
    assert refused.value.errors[0]["field"] == "allocations.0.amount_minor"
    assert (
        finance.run(SYSTEM, lambda unit: unit.session.scalar(select(func.count()).select_from(PaymentRow)))
        == 0
    )


@pytest.mark.parametrize("amount", [12.5, "100", True, 0])
def test_money_is_an_integer_of_minor_units(
    finance: FinanceApp, customer: Callable[..., Any], amount: Any
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    with pytest.raises(ValidationError) as refused:
        finance.run(
            FINANCE,
            payments.record_payment,
            {"customer_id": acme["id"], "received_on": "2026-12-01", "amount_minor": amount},
        )
    assert refused.value.errors[0]["field"] == "amount_minor"


def test_sales_may_not_record_payments(finance: FinanceApp, customer: Callable[..., Any]) -> None:
    acme = customer(SALES1, "A科技有限公司")
    with pytest.raises(PermissionDenied):
        finance.run(
            SALES1,
            payments.record_payment,
            {"customer_id": acme["id"], "received_on": "2026-12-01", "amount_minor": 100},
        )
