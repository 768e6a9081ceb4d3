"""A page of payments: each item is the payment's full state (its allocations naming their
instalments, its refunds), and what the page costs the database does not grow with its length.

The soak found ``GET /api/v1/payments`` answering in ~9 s (half of them past the gateway's 10 s
RPC deadline) while every other finance list took ~1.5 s: the page read each payment's
allocations, instalment labels and refunds one payment at a time, 61 round trips for 20 items,
each one waiting its turn in a busy service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from finance.app import FinanceApp
from finance.handlers import payment_reads, refunds
from finance_ledger_fixtures import add_receivable, pay_manually
from finance_testkit import FINANCE, SALES1, SALES2
from kernel.identity import SYSTEM
from kernel.testing import captured_statements
from sqlalchemy.orm import Session, sessionmaker

pytestmark = pytest.mark.integration


@pytest.fixture
def statements(finance_sessions: sessionmaker[Session]) -> Any:
    with captured_statements(finance_sessions.kw["bind"]) as sent:
        yield sent


def _ledger(finance: FinanceApp, customer: Callable[..., Any]) -> list[str]:
    """Payments of two customers: with two allocations, with one and a refund, on account only."""
    acme = customer(SALES1, "A科技有限公司")
    other = customer(SALES2, "B贸易有限公司")
    first = finance.run(SYSTEM, add_receivable, acme["id"], 100_000, date(2026, 10, 1), seq=1)
    second = finance.run(SYSTEM, add_receivable, acme["id"], 50_000, date(2026, 11, 1), seq=2)
    third = finance.run(SYSTEM, add_receivable, other["id"], 80_000, date(2026, 11, 1), order_id="o-b")
    both = pay_manually(finance, acme["id"], 120_000, (first["id"], 100_000), (second["id"], 20_000))
    refunded = pay_manually(finance, other["id"], 90_000, (third["id"], 80_000))
    finance.run(
        FINANCE,
        refunds.refund,
        {"payment_id": refunded["id"], "amount_minor": 4_000, "refunded_on": "2026-12-02", "reason": "多付"},
    )
    on_account = pay_manually(finance, acme["id"], 7_000)
    return [on_account["id"], refunded["id"], both["id"]]  # newest first


def test_each_item_of_a_page_is_the_payments_full_state(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    newest_first = _ledger(finance, customer)

    page = finance.run(FINANCE, payment_reads.list_payments, None, None, 20)

    assert [p["id"] for p in page["items"]] == newest_first
    assert page["items"] == [finance.run(FINANCE, payment_reads.get_payment, i) for i in newest_first]
    on_account, refunded, both = page["items"]
    assert (on_account["allocations"], on_account["refunds"]) == ([], [])
    assert [(a["seq"], a["amount_minor"]) for a in both["allocations"]] == [(1, 100_000), (2, 20_000)]
    assert both["refunds"] == []
    assert [r["amount_minor"] for r in refunded["refunds"]] == [4_000]
    assert [a["amount_minor"] for a in refunded["allocations"]] == [80_000]
    # pages of one keep every payment's own allocations and refunds, cursor after cursor
    singles, cursor = [], None
    for _ in newest_first:
        one = finance.run(FINANCE, payment_reads.list_payments, None, cursor, 1)
        singles += one["items"]
        cursor = one["next_cursor"]
    assert singles == page["items"]


def test_a_page_costs_the_same_statements_whatever_its_length(
    finance: FinanceApp, customer: Callable[..., Any], statements: list[str]
) -> None:
    newest_first = _ledger(finance, customer)
    finance.run(FINANCE, payment_reads.list_payments, None, None, 1)  # the pool's connection, warmed

    def sent_for(limit: int) -> list[str]:
        statements.clear()
        page = finance.run(FINANCE, payment_reads.list_payments, None, None, limit)
        assert len(page["items"]) == min(limit, len(newest_first))
        return [s for s in statements if s.startswith("SELECT")]

    two, all_three = sent_for(2), sent_for(20)
    # the payments, their allocations, the instalments those name, their refunds
    assert len(two) == len(all_three) == 4, all_three
    assert len(sent_for(1)) == 3  # the newest names no instalment: nothing to label
    seller = finance.run(SALES1, payment_reads.list_payments, None, None, 20)
    assert [p["id"] for p in seller["items"]] == [newest_first[0], newest_first[2]]
