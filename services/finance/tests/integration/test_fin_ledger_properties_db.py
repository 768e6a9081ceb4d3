"""The ledger's invariants on the real database under random histories of payments, allocations
(at entry and later from credit), refunds and voids across one customer's receivables: after every
history ``check_ledger`` finds nothing, whatever was refused on the way left nothing behind,
and the figures the users see (credit, paid, outstanding) agree with the rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from finance.app import FinanceApp
from finance.handlers import payment_reads, payment_voids, payments, refunds
from finance.handlers.ledger_check import check_ledger
from finance.storage.models import AllocationRow, ReceivableRow
from finance_ledger_fixtures import add_receivable
from finance_testkit import FINANCE, SALES1
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel.errors import Conflict, ValidationError
from kernel.identity import SYSTEM
from sqlalchemy import func, select

SMALL = st.integers(min_value=1, max_value=60_000)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), SMALL, st.lists(st.tuples(st.integers(0, 3), SMALL), max_size=3)),
        st.tuples(
            st.just("allocate"), st.integers(0, 5), st.lists(st.tuples(st.integers(0, 3), SMALL), max_size=2)
        ),
        st.tuples(st.just("refund"), st.integers(0, 5), SMALL),
        st.tuples(st.just("void"), st.integers(0, 5)),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bills=st.lists(st.integers(min_value=1, max_value=80_000), min_size=1, max_size=4), ops=OPS)
def test_random_histories_keep_the_ledger_balanced(
    finance: FinanceApp, customer: Callable[..., Any], bills: list[int], ops: list[Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    receivables = [
        finance.run(
            SYSTEM, add_receivable, acme["id"], amount, date(2026, 10, 1) + timedelta(days=i), seq=i + 1
        )
        for i, amount in enumerate(bills)
    ]
    made: list[dict[str, Any]] = []

    def allocations(picks: list[tuple[int, int]]) -> list[dict[str, Any]]:
        return [
            {"receivable_id": receivables[i % len(receivables)]["id"], "amount_minor": amount}
            for i, amount in picks
        ]

    for op in ops:
        try:
            if op[0] == "pay":
                data = {
                    "customer_id": acme["id"],
                    "received_on": "2026-12-01",
                    "amount_minor": op[1],
                    "allocations": allocations(op[2]),
                }
                made.append(finance.run(FINANCE, payments.record_manual_payment, data))
            elif made and op[0] == "allocate":
                target = made[op[1] % len(made)]
                finance.run(FINANCE, payments.allocate_payment, target["id"], allocations(op[2]), None)
            elif made and op[0] == "void":
                finance.run(FINANCE, payment_voids.void_payment, made[op[1] % len(made)]["id"], "录错")
            elif made:
                target = made[op[1] % len(made)]
                request = {
                    "payment_id": target["id"],
                    "amount_minor": op[2],
                    "refunded_on": "2026-12-02",
                    "reason": "退",
                }
                finance.run(FINANCE, refunds.refund, request)
        except (ValidationError, Conflict):
            pass  # refused, and (the check below proves it) nothing half-written
        assert finance.run(SYSTEM, lambda unit: check_ledger(unit.session, acme["id"])) == []

    def totals(unit: Any) -> tuple[int, int, int]:
        billed, paid, off = unit.session.execute(
            select(
                func.sum(ReceivableRow.amount_minor),
                func.sum(ReceivableRow.paid_minor),
                func.sum(ReceivableRow.written_off_minor),
            ).where(ReceivableRow.customer_id == acme["id"])
        ).one()
        allocated = unit.session.scalar(
            select(func.coalesce(func.sum(AllocationRow.amount_minor), 0))
            .join(ReceivableRow, ReceivableRow.id == AllocationRow.receivable_id)
            .where(ReceivableRow.customer_id == acme["id"])
        )
        assert int(allocated) == int(paid)
        return int(billed), int(paid), int(off)

    billed, paid, written_off = finance.run(SYSTEM, totals)
    outstanding = sum(
        r["outstanding_minor"]
        for r in finance.run(FINANCE, payment_reads.open_receivables_for_payment, acme["id"], "CNY")
    )
    assert billed == sum(bills) == paid + outstanding + written_off
    credit = finance.run(FINANCE, payment_reads.customer_credit, acme["id"])["credits"]
    now = [finance.run(FINANCE, payment_reads.get_payment, p["id"]) for p in made]
    live = [p for p in now if p["status"] == "recorded"]
    received = sum(p["amount_minor"] for p in live)
    refunded = sum(p["refunded_minor"] for p in live)
    assert sum(c["credit_minor"] for c in credit) == received - paid - refunded >= 0
