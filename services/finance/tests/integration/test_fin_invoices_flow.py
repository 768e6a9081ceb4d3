"""Invoices on the real database: drafts, numbering at issue (sequential, unique per year, also
under concurrent issues), void keeps the number, paid with the receivable, reads under ACL."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from finance.app import FinanceApp
from finance.handlers import invoices, payments
from finance.storage.models import InvoiceRow, audit_log, outbox
from finance_ledger_fixtures import add_receivable
from finance_testkit import FINANCE, FINANCE_MANAGER, SALES1, SALES2, SUPPORT
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import SYSTEM
from sqlalchemy import select


@pytest.fixture
def acme(customer: Callable[..., Any]) -> dict[str, Any]:
    state: dict[str, Any] = customer(SALES1, "A科技有限公司")
    return state


def draft(finance: FinanceApp, acme: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"customer_id": acme["id"], "amount_minor": 113_000, "tax_rate": "0.13", **fields}
    state: dict[str, Any] = finance.run(FINANCE, invoices.create_invoice, body)
    return state


def test_a_draft_defaults_its_title_and_derives_its_tax(finance: FinanceApp, acme: dict[str, Any]) -> None:
    invoice = draft(finance, acme, tax_id="91310000MA1K000000")
    assert invoice["status"] == "draft" and invoice["number"] is None
    assert invoice["title"] == "A科技有限公司"
    assert (invoice["tax_rate"], invoice["tax_minor"], invoice["net_minor"]) == ("0.13", 13_000, 100_000)
    assert invoice["version"] == 1 and invoice["customer_owner_id"] == SALES1.user_id


def test_a_linked_receivable_gives_order_amount_currency_and_seller(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    due = finance.run(SYSTEM, add_receivable, acme["id"], 50_000, date(2026, 12, 1), owner_id=SALES2.user_id)
    invoice = finance.run(
        FINANCE,
        invoices.create_invoice,
        {"customer_id": acme["id"], "receivable_id": due["id"], "tax_rate": "0.06"},
    )
    assert (invoice["amount_minor"], invoice["tax_minor"], invoice["currency"]) == (50_000, 2_830, "CNY")
    assert (invoice["order_id"], invoice["owner_id"]) == (due["order_id"], SALES2.user_id)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"tax_rate": "0.17"}, "tax_rate"),
        ({"tax_rate": 0.13}, "tax_rate"),
        ({"amount_minor": 1130.5}, "amount_minor"),
        ({"amount_minor": None}, "amount_minor"),
        ({"receivable_id": "nope"}, "receivable_id"),
        ({"order_id": "nope"}, "order_id"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    finance: FinanceApp, acme: dict[str, Any], fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        draft(finance, acme, **fields)
    assert field in {e["field"] for e in refused.value.errors}
    assert finance.run(SYSTEM, lambda unit: unit.session.scalars(select(InvoiceRow)).all()) == []


def test_another_customers_receivable_is_refused(
    finance: FinanceApp, acme: dict[str, Any], customer: Callable[..., Any]
) -> None:
    other = customer(SALES2, "B贸易有限公司")
    theirs = finance.run(SYSTEM, add_receivable, other["id"], 10_000, date(2026, 12, 1))
    with pytest.raises(ValidationError) as refused:
        draft(finance, acme, receivable_id=theirs["id"])
    assert refused.value.errors[0]["field"] == "receivable_id"


def test_only_finance_writes_invoices(finance: FinanceApp, acme: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        finance.run(
            SALES1, invoices.create_invoice, {"customer_id": acme["id"], "amount_minor": 1, "tax_rate": "0"}
        )


def test_a_draft_is_edited_with_if_match_and_its_tax_follows(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    invoice = draft(finance, acme)
    with pytest.raises(Conflict):
        finance.run(FINANCE, invoices.update_invoice, invoice["id"], {"amount_minor": 10_600}, 7)
    edited = finance.run(
        FINANCE, invoices.update_invoice, invoice["id"], {"amount_minor": 10_600, "tax_rate": "0.06"}, 1
    )
    assert (edited["tax_minor"], edited["version"]) == (600, 2)
    audit = finance.run(
        SYSTEM,
        lambda unit: unit.session.execute(
            select(audit_log.c.actor_id, audit_log.c.changes).where(audit_log.c.action == "updated")
        ).one(),
    )
    assert audit.actor_id == FINANCE.user_id
    assert audit.changes["amount_minor"] == [113_000, 10_600] and audit.changes["tax_minor"] == [13_000, 600]


def test_issuing_numbers_sequentially_and_void_keeps_the_number(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    first, second, third = (draft(finance, acme) for _ in range(3))
    issued_first = finance.run(FINANCE, invoices.issue_invoice, first["id"], 1)
    year = issued_first["issued_on"][:4]
    assert issued_first["number"] == f"INV-{year}-000001" and issued_first["status"] == "issued"
    voided = finance.run(FINANCE, invoices.void_invoice, first["id"], "开错抬头 wrong title")
    assert (voided["status"], voided["number"], voided["void_reason"]) == (
        "void",
        f"INV-{year}-000001",
        "开错抬头 wrong title",
    )
    assert finance.run(FINANCE, invoices.issue_invoice, second["id"])["number"] == f"INV-{year}-000002"
    assert finance.run(FINANCE, invoices.issue_invoice, third["id"])["number"] == f"INV-{year}-000003"
    with pytest.raises(Conflict):
        finance.run(FINANCE, invoices.issue_invoice, first["id"])
    with pytest.raises(Conflict):
        finance.run(FINANCE, invoices.update_invoice, second["id"], {"title": "改"})


def test_numbers_restart_each_year_on_the_business_day(finance: FinanceApp, acme: dict[str, Any]) -> None:
    late, early, next_year = (draft(finance, acme) for _ in range(3))
    on = invoices.issue_invoice_on
    assert finance.run(FINANCE, on, late["id"], today=date(2026, 12, 31))["number"] == "INV-2026-000001"
    assert finance.run(FINANCE, on, early["id"], today=date(2026, 12, 31))["number"] == "INV-2026-000002"
    first = finance.run(FINANCE, on, next_year["id"], today=date(2027, 1, 1))
    assert (first["number"], first["issued_on"]) == ("INV-2027-000001", "2027-01-01")


def test_a_voided_draft_never_took_a_number(finance: FinanceApp, acme: dict[str, Any]) -> None:
    gone = draft(finance, acme)
    assert finance.run(FINANCE, invoices.void_invoice, gone["id"], "重复 duplicate")["number"] is None
    kept = draft(finance, acme)
    assert finance.run(FINANCE, invoices.issue_invoice, kept["id"])["number"].endswith("-000001")
    with pytest.raises(ValidationError):
        finance.run(FINANCE, invoices.void_invoice, kept["id"], "   ")


def test_concurrent_issues_never_share_a_number(finance: FinanceApp, acme: dict[str, Any]) -> None:
    drafts = [draft(finance, acme) for _ in range(8)]
    numbers: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def issue(mine: list[dict[str, Any]]) -> None:
        start.wait()
        for invoice in mine:
            try:
                numbers.append(finance.run(FINANCE, invoices.issue_invoice, invoice["id"])["number"])
            except BaseException as exc:  # reported below
                errors.append(exc)

    threads = [threading.Thread(target=issue, args=(drafts[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    year = numbers[0][4:8]
    assert sorted(numbers) == [f"INV-{year}-{n:06d}" for n in range(1, 9)]


def test_paid_by_hand_or_when_its_receivable_is_fully_paid(finance: FinanceApp, acme: dict[str, Any]) -> None:
    by_hand = draft(finance, acme)
    with pytest.raises(Conflict):
        finance.run(FINANCE, invoices.mark_invoice_paid, by_hand["id"])
    finance.run(FINANCE, invoices.issue_invoice, by_hand["id"])
    assert finance.run(FINANCE, invoices.mark_invoice_paid, by_hand["id"])["status"] == "paid"
    with pytest.raises(Conflict):
        finance.run(FINANCE, invoices.void_invoice, by_hand["id"], "too late")

    due = finance.run(SYSTEM, add_receivable, acme["id"], 30_000, date(2026, 12, 1))
    linked = finance.run(
        FINANCE,
        invoices.create_invoice,
        {"customer_id": acme["id"], "receivable_id": due["id"], "tax_rate": "0.13"},
    )
    finance.run(FINANCE, invoices.issue_invoice, linked["id"])

    def pay(amount: int) -> None:
        finance.run(
            FINANCE,
            payments.record_payment,
            {
                "customer_id": acme["id"],
                "received_on": "2026-12-01",
                "amount_minor": amount,
                "allocations": [{"receivable_id": due["id"], "amount_minor": amount}],
            },
        )

    pay(10_000)
    assert finance.run(FINANCE, invoices.get_invoice, linked["id"])["status"] == "issued"
    pay(20_000)
    settled = finance.run(FINANCE, invoices.get_invoice, linked["id"])
    assert settled["status"] == "paid"
    bodies = finance.run(
        SYSTEM, lambda unit: unit.session.scalars(select(outbox.c.body).order_by(outbox.c.seq)).all()
    )
    events = [
        (e["type"], e["data"]["status"])
        for e in map(json.loads, bodies)
        if e["aggregate"]["id"] == linked["id"]
    ]
    assert [t for t, _ in events] == ["invoice.created", "invoice.issued", "invoice.updated"]
    assert events[-1][1] == "paid"


def test_reads_follow_the_read_policy(
    finance: FinanceApp, acme: dict[str, Any], customer: Callable[..., Any]
) -> None:
    mine = draft(finance, acme)
    other = customer(SALES2, "B贸易有限公司")
    theirs = draft(finance, other)
    assert finance.run(SALES1, invoices.get_invoice, mine["id"])["id"] == mine["id"]
    with pytest.raises(NotFound):
        finance.run(SALES1, invoices.get_invoice, theirs["id"])
    with pytest.raises(NotFound):
        finance.run(SUPPORT, invoices.get_invoice, mine["id"])
    assert [i["id"] for i in finance.run(SALES1, invoices.list_invoices)["items"]] == [mine["id"]]
    assert finance.run(SUPPORT, invoices.list_invoices)["items"] == []
    every = finance.run(FINANCE_MANAGER, invoices.list_invoices, {"status": "draft"})["items"]
    assert {i["id"] for i in every} == {mine["id"], theirs["id"]}
    only = finance.run(FINANCE, invoices.list_invoices, {"customer_id": other["id"]})["items"]
    assert [i["id"] for i in only] == [theirs["id"]]
    with pytest.raises(ValidationError):
        finance.run(FINANCE, invoices.list_invoices, {"status": "lost"})
