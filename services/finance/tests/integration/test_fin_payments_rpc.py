"""Payments end to end on the real database: reading, listing (ACL), allocating credit later,
refunds, customer credit, the entry form's open receivables, auto-allocation, the refusals that
leave nothing written, and two concurrent payments on one instalment never over-paying it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from finance.app import FinanceApp
from finance.handlers import ledger_check, payment_reads, payment_voids, payments, refunds
from finance.handlers.replicas import CUSTOMERS
from finance.storage.models import AllocationRow, PaymentRow, ReceivableRow, RefundRow, audit_log, outbox
from finance_ledger_fixtures import add_receivable, pay_manually
from finance_testkit import ADMIN, FINANCE, SALES1, SALES2, SUPPORT
from kernel.envelope import make_event
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import SYSTEM
from sqlalchemy import func, select

Customer = Callable[..., Any]


def _count(finance: FinanceApp, model: Any) -> int:
    return int(finance.run(SYSTEM, lambda unit: unit.session.scalar(select(func.count()).select_from(model))))


@pytest.fixture
def acme(customer: Customer) -> dict[str, Any]:
    state: dict[str, Any] = customer(SALES1, "A科技有限公司")
    return state


def test_get_names_each_instalment_and_list_filters_by_customer_source_and_dates(
    finance: FinanceApp, acme: dict[str, Any], customer: Customer
) -> None:
    due = finance.run(SYSTEM, add_receivable, acme["id"], 100_000, date(2026, 11, 1), seq=2)
    paid = pay_manually(finance, acme["id"], 60_000, (due["id"], 60_000), payer="A科技", reference="SO-1")
    got = finance.run(FINANCE, payment_reads.get_payment, paid["id"])
    assert got["allocations"][0] | {"order_number": "SO-2026-000001", "seq": 2} == got["allocations"][0]
    assert got["refunds"] == [] and got["version"] == 1
    other = customer(SALES2, "B贸易有限公司")
    finance.run(
        FINANCE,
        payments.record_payment,
        {"customer_id": other["id"], "received_on": "2026-10-01", "amount_minor": 5},
        source="bank_import",
    )

    def ids(caller: Any, **filters: str) -> list[str]:
        page = finance.run(caller, payment_reads.list_payments, filters)
        return [p["number"] for p in page["items"]]

    assert len(ids(FINANCE)) == 2
    assert ids(FINANCE, customer_id=acme["id"]) == [paid["number"]]
    assert ids(FINANCE, source="bank_import") != [paid["number"]]
    assert ids(FINANCE, received_after="2026-11-15") == [paid["number"]]
    assert ids(FINANCE, received_before="2026-11-15") == ids(FINANCE, source="bank_import")
    assert ids(SALES1) == [paid["number"]]  # the customer's owner reads theirs only
    assert ids(SUPPORT) == []
    with pytest.raises(NotFound):
        finance.run(SALES2, payment_reads.get_payment, paid["id"])
    with pytest.raises(ValidationError) as bad:
        finance.run(FINANCE, payment_reads.list_payments, {"received_after": "yesterday"})
    assert bad.value.errors[0]["field"] == "filters.received_after"
    with pytest.raises(ValidationError):
        finance.run(FINANCE, payment_reads.list_payments, {"source": "cash"})


def test_credit_is_allocated_later_with_if_match_and_audited(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    paid = pay_manually(finance, acme["id"], 50_000)
    assert paid["unallocated_minor"] == 50_000
    due = finance.run(SYSTEM, add_receivable, acme["id"], 30_000, date(2026, 12, 15))
    with pytest.raises(Conflict):
        finance.run(
            FINANCE,
            payments.allocate_payment,
            paid["id"],
            [{"receivable_id": due["id"], "amount_minor": 1}],
            9,
        )
    after = finance.run(
        FINANCE,
        payments.allocate_payment,
        paid["id"],
        [{"receivable_id": due["id"], "amount_minor": 30_000}],
        paid["version"],
    )
    assert (after["allocated_minor"], after["unallocated_minor"], after["version"]) == (30_000, 20_000, 2)
    assert after["allocations"][0]["order_number"] == "SO-2026-000001"
    credit = finance.run(FINANCE, payment_reads.customer_credit, acme["id"])
    assert credit == {"customer_id": acme["id"], "credits": [{"currency": "CNY", "credit_minor": 20_000}]}
    changes = finance.run(
        SYSTEM,
        lambda unit: [
            (r.actor_id, r.action, r.changes)
            for r in unit.session.execute(
                select(audit_log).where(audit_log.c.entity_id == paid["id"]).order_by(audit_log.c.at)
            )
        ],
    )
    assert ("u-finance", "updated", {"allocated_minor": [0, 30_000]}) in changes
    with pytest.raises(ValidationError) as refused:
        finance.run(FINANCE, payments.allocate_payment, paid["id"], [], None)
    assert refused.value.errors[0]["field"] == "allocations"


def test_refund_comes_from_credit_only_and_updates_the_payment(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    due = finance.run(SYSTEM, add_receivable, acme["id"], 70_000, date(2026, 11, 1))
    paid = pay_manually(finance, acme["id"], 100_000, (due["id"], 70_000))
    request = {
        "payment_id": paid["id"],
        "amount_minor": 30_001,
        "refunded_on": "2026-12-02",
        "reason": "多付",
    }
    with pytest.raises(ValidationError) as too_much:
        finance.run(FINANCE, refunds.refund, request)
    assert too_much.value.errors[0]["field"] == "amount_minor"
    with pytest.raises(PermissionDenied):
        finance.run(SALES1, refunds.refund, {**request, "amount_minor": 1})
    with pytest.raises(ValidationError) as floats:
        finance.run(FINANCE, refunds.refund, {**request, "amount_minor": 100.0})
    assert floats.value.errors[0]["field"] == "amount_minor"
    done = finance.run(FINANCE, refunds.refund, {**request, "amount_minor": 30_000})
    assert (done["refunded_minor"], done["unallocated_minor"], done["version"]) == (30_000, 0, 2)
    assert done["refunds"][0] | {"amount_minor": 30_000, "reason": "多付"} == done["refunds"][0]
    assert finance.run(FINANCE, payment_reads.customer_credit, acme["id"])["credits"] == []
    assert _count(finance, RefundRow) == 1
    events = finance.run(
        SYSTEM,
        lambda unit: [
            json.loads(b)["type"] for b in unit.session.scalars(select(outbox.c.body).order_by(outbox.c.seq))
        ],
    )
    assert events[-1] == "payment.updated"


def test_the_entry_form_offers_open_receivables_oldest_first(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    late = finance.run(SYSTEM, add_receivable, acme["id"], 10_000, date(2026, 12, 1), seq=2)
    early = finance.run(SYSTEM, add_receivable, acme["id"], 20_000, date(2026, 10, 1), seq=1)
    finance.run(SYSTEM, add_receivable, acme["id"], 5_000, date(2026, 9, 1), currency="USD")
    settled = finance.run(SYSTEM, add_receivable, acme["id"], 1_000, date(2026, 8, 1), seq=3)
    pay_manually(finance, acme["id"], 1_000, (settled["id"], 1_000))
    pay_manually(finance, acme["id"], 5_000, (early["id"], 5_000))
    offered = finance.run(FINANCE, payment_reads.open_receivables_for_payment, acme["id"], "CNY")
    assert [(r["id"], r["outstanding_minor"]) for r in offered] == [
        (early["id"], 15_000),
        (late["id"], 10_000),
    ]
    assert finance.run(SUPPORT, payment_reads.open_receivables_for_payment, acme["id"], "CNY") == []
    with pytest.raises(ValidationError):
        finance.run(FINANCE, payment_reads.open_receivables_for_payment, acme["id"], "yuan")


def test_auto_allocate_pays_oldest_first_and_keeps_the_rest_as_credit(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    late = finance.run(SYSTEM, add_receivable, acme["id"], 10_000, date(2026, 12, 1), seq=2)
    early = finance.run(SYSTEM, add_receivable, acme["id"], 20_000, date(2026, 10, 1), seq=1)
    paid = pay_manually(finance, acme["id"], 25_000, auto_allocate=True)
    assert [(a["receivable_id"], a["amount_minor"]) for a in paid["allocations"]] == [
        (early["id"], 20_000),
        (late["id"], 5_000),
    ]
    more = pay_manually(finance, acme["id"], 9_000, auto_allocate=True)
    assert (more["allocated_minor"], more["unallocated_minor"]) == (5_000, 4_000)
    with pytest.raises(ValidationError) as both:
        pay_manually(finance, acme["id"], 1, (late["id"], 1), auto_allocate=True)
    assert both.value.errors[0]["field"] == "auto_allocate"
    assert finance.run(SYSTEM, lambda unit: ledger_check.check_ledger(unit.session)) == []


def test_refusals_leave_nothing_written(
    finance: FinanceApp, acme: dict[str, Any], customer: Customer
) -> None:
    ours = finance.run(SYSTEM, add_receivable, acme["id"], 10_000, date(2026, 11, 1))
    dollars = finance.run(
        SYSTEM, add_receivable, acme["id"], 10_000, date(2026, 11, 1), currency="USD", seq=2
    )
    other = customer(SALES2, "B贸易有限公司")
    theirs = finance.run(SYSTEM, add_receivable, other["id"], 10_000, date(2026, 11, 1))
    before = (_count(finance, PaymentRow), _count(finance, AllocationRow), _count(finance, outbox))
    cases = [
        ((ours["id"], 5_000), (dollars["id"], 5_000)),  # the second in another currency
        ((ours["id"], 5_000), (theirs["id"], 5_000)),  # the second another customer's
        ((ours["id"], 5_000), (ours["id"], 1)),  # named twice
        ((ours["id"], 10_001),),  # more than it owes
        ((ours["id"], 6_000), ("no-such-receivable", 6_000)),
    ]
    fields = []
    for allocations in cases:
        with pytest.raises(ValidationError) as refused:
            pay_manually(finance, acme["id"], 20_000, *allocations)
        fields.append(refused.value.errors[0]["field"])
    assert fields == [
        "allocations.1.receivable_id",
        "allocations.1.receivable_id",
        "allocations",
        "allocations.0.amount_minor",
        "allocations.1.receivable_id",
    ]
    with pytest.raises(ValidationError) as beyond:
        pay_manually(finance, acme["id"], 4_000, (ours["id"], 5_000))  # more than the payment
    assert beyond.value.errors[0]["field"] == "allocations"
    assert (_count(finance, PaymentRow), _count(finance, AllocationRow), _count(finance, outbox)) == before
    row = finance.run(SYSTEM, lambda unit: unit.session.get(ReceivableRow, ours["id"]).paid_minor)
    assert row == 0


@pytest.mark.parametrize("amount", [12.5, 1e3, "100", True, None])
def test_allocations_and_refunds_refuse_non_integer_money(
    finance: FinanceApp, acme: dict[str, Any], amount: Any
) -> None:
    due = finance.run(SYSTEM, add_receivable, acme["id"], 10_000, date(2026, 11, 1))
    with pytest.raises(ValidationError) as refused:
        pay_manually(finance, acme["id"], 20_000, (due["id"], amount))
    assert refused.value.errors[0]["field"] == "allocations.0.amount_minor"


def test_concurrent_payments_on_one_instalment_never_over_pay_it(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    due = finance.run(SYSTEM, add_receivable, acme["id"], 10_000, date(2026, 11, 1))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pay() -> None:
        barrier.wait()
        try:
            pay_manually(finance, acme["id"], 8_000, (due["id"], 8_000))
            outcomes.append("paid")
        except ValidationError as exc:
            outcomes.append(exc.errors[0]["field"])

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["allocations.0.amount_minor", "paid"]
    paid = finance.run(SYSTEM, lambda unit: unit.session.get(ReceivableRow, due["id"]).paid_minor)
    assert paid == 8_000 and _count(finance, PaymentRow) == 1
    assert finance.run(SYSTEM, lambda unit: ledger_check.check_ledger(unit.session)) == []


def test_ledger_check_finds_a_tampered_ledger_and_is_for_admins(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    due = finance.run(SYSTEM, add_receivable, acme["id"], 10_000, date(2026, 11, 1))
    second = finance.run(SYSTEM, add_receivable, acme["id"], 10_000, date(2026, 12, 1), seq=2)
    paid = pay_manually(finance, acme["id"], 10_000, (due["id"], 4_000))
    assert finance.run(ADMIN, ledger_check.ledger_check, acme["id"])["violations"] == []
    with pytest.raises(PermissionDenied):
        finance.run(FINANCE, ledger_check.ledger_check)

    def tamper(unit: Any) -> None:
        unit.session.get(ReceivableRow, due["id"]).paid_minor = 5_000
        unit.session.get(PaymentRow, paid["id"]).refunded_minor = 3_000  # the CHECK stops more
        unit.session.get(ReceivableRow, second["id"]).status = "paid"

    finance.run(SYSTEM, tamper)
    found = finance.run(ADMIN, ledger_check.ledger_check)["violations"]
    assert any("allocations sum to 4000" in v for v in found)
    assert any("refunded 3000 but its refunds sum to 0" in v for v in found)
    assert any("status paid, its balance says open" in v for v in found)
    assert len(found) == 3


def test_voiding_a_mistaken_payment_undoes_its_allocations(finance: FinanceApp, acme: dict[str, Any]) -> None:
    due = finance.run(SYSTEM, add_receivable, acme["id"], 10_000, date(2026, 11, 1))
    paid = pay_manually(finance, acme["id"], 15_000, (due["id"], 10_000))
    with pytest.raises(PermissionDenied):
        finance.run(SALES1, payment_voids.void_payment, paid["id"], "录错了")
    with pytest.raises(ValidationError) as no_reason:
        finance.run(FINANCE, payment_voids.void_payment, paid["id"], " ")
    assert no_reason.value.errors[0]["field"] == "reason"
    with pytest.raises(Conflict):
        finance.run(FINANCE, payment_voids.void_payment, paid["id"], "录错了", 7)
    void = finance.run(FINANCE, payment_voids.void_payment, paid["id"], "录错了客户", paid["version"])
    assert (void["status"], void["allocated_minor"], void["unallocated_minor"], void["allocations"]) == (
        "voided",
        0,
        0,
        [],
    )
    assert void["void_reason"] == "录错了客户" and void["voided_by"] == "u-finance"
    row = finance.run(SYSTEM, lambda unit: unit.session.get(ReceivableRow, due["id"]))
    assert (row.paid_minor, row.status) == (0, "open")
    assert finance.run(FINANCE, payment_reads.customer_credit, acme["id"])["credits"] == []
    assert finance.run(SYSTEM, lambda unit: ledger_check.check_ledger(unit.session)) == []
    audit = finance.run(
        SYSTEM,
        lambda unit: unit.session.execute(
            select(audit_log.c.action, audit_log.c.changes).where(
                audit_log.c.entity_id == paid["id"], audit_log.c.action == "voided"
            )
        ).one(),
    )
    assert audit.changes["allocations"] == [[{"receivable_id": due["id"], "amount_minor": 10_000}], []]
    with pytest.raises(Conflict):  # void is final: no second void, no allocation, no refund
        finance.run(FINANCE, payment_voids.void_payment, paid["id"], "again")
    with pytest.raises(Conflict):
        finance.run(
            FINANCE, payments.allocate_payment, paid["id"], [{"receivable_id": due["id"], "amount_minor": 1}]
        )
    with pytest.raises(Conflict):
        finance.run(
            FINANCE,
            refunds.refund,
            {"payment_id": paid["id"], "amount_minor": 1, "refunded_on": "2026-12-02", "reason": "x"},
        )


def test_a_refunded_payment_cannot_be_voided(finance: FinanceApp, acme: dict[str, Any]) -> None:
    paid = pay_manually(finance, acme["id"], 5_000)
    finance.run(
        FINANCE,
        refunds.refund,
        {"payment_id": paid["id"], "amount_minor": 1_000, "refunded_on": "2026-12-02", "reason": "退"},
    )
    with pytest.raises(Conflict) as refused:
        finance.run(FINANCE, payment_voids.void_payment, paid["id"], "录错了")
    assert refused.value.errors[0]["field"] == "payment_id"


def test_a_renamed_customer_republishes_its_payments(finance: FinanceApp, acme: dict[str, Any]) -> None:
    paid = pay_manually(finance, acme["id"], 5_000)
    renamed = {**acme, "name": "A科技集团有限公司", "owner_id": "u-sales2", "version": acme["version"] + 1}
    event = make_event(
        type="customer.updated",
        source="customers",
        aggregate_type="customer",
        aggregate_id=acme["id"],
        version=renamed["version"],
        actor_id="u-sales1",
        data=renamed,
    )
    finance.run(SYSTEM, CUSTOMERS.changed, event)
    now = finance.run(FINANCE, payment_reads.get_payment, paid["id"])
    assert (now["customer_name"], now["customer_owner_id"], now["version"]) == (
        "A科技集团有限公司",
        "u-sales2",
        2,
    )
    assert [p["id"] for p in finance.run(SALES2, payment_reads.list_payments)["items"]] == [paid["id"]]
    assert finance.run(SALES1, payment_reads.list_payments)["items"] == []
