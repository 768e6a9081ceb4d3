"""Reading receivables: filters (the aging bucket as of a given day), the read policy in SQL,
one receivable with the payments that paid it, and the customer page's summary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from finance.app import FinanceApp
from finance.handlers import payments, receivable_reads
from finance_ledger_fixtures import add_receivable
from finance_testkit import ADMIN, FINANCE, MANAGER, SALES1, SALES2, SUPPORT
from kernel.errors import NotFound, ValidationError
from kernel.identity import SYSTEM

TODAY = date(2027, 6, 30)


@pytest.fixture
def book(finance: FinanceApp, customer: Callable[..., Any]) -> dict[str, Any]:
    """A科技 (SALES1's) owes four instalments: one not due, 10, 45 and 120 days late; B贸易
    (SALES2's) one, 5 days late."""
    acme = customer(SALES1, "A科技有限公司")
    beta = customer(SALES2, "B贸易有限公司")
    made = {
        "future": finance.run(SYSTEM, add_receivable, acme["id"], 10_000, date(2027, 7, 15)),
        "d10": finance.run(SYSTEM, add_receivable, acme["id"], 20_000, date(2027, 6, 20), seq=2),
        "d45": finance.run(SYSTEM, add_receivable, acme["id"], 30_000, date(2027, 5, 16), seq=3),
        "d120": finance.run(SYSTEM, add_receivable, acme["id"], 40_000, date(2027, 3, 2), seq=4),
        "beta": finance.run(SYSTEM, add_receivable, beta["id"], 50_000, date(2027, 6, 25)),
    }
    return {"acme": acme, "beta": beta, **made}


def listed(finance: FinanceApp, caller: Any, **filters: str) -> list[str]:
    page = finance.run(caller, receivable_reads.receivables_on, TODAY, filters or None)
    return [item["id"] for item in page["items"]]


def test_each_aging_bucket_is_a_due_date_range_as_of_today(finance: FinanceApp, book: dict[str, Any]) -> None:
    assert set(listed(finance, FINANCE, bucket="1-30")) == {book["d10"]["id"], book["beta"]["id"]}
    assert listed(finance, FINANCE, bucket="31-60") == [book["d45"]["id"]]
    assert listed(finance, FINANCE, bucket="61-90") == []
    assert listed(finance, FINANCE, bucket="90+") == [book["d120"]["id"]]
    late = finance.run(FINANCE, receivable_reads.receivables_on, TODAY, {"bucket": "90+"})["items"][0]
    assert (late["overdue_days"], late["overdue_bucket"], late["as_of"]) == (120, "90+", "2027-06-30")
    # the edges: 30 days late is still "1-30", 31 days is "31-60"
    for day, bucket in ((date(2027, 7, 20), "1-30"), (date(2027, 7, 21), "31-60")):
        page = finance.run(FINANCE, receivable_reads.receivables_on, day, {"bucket": bucket})
        assert book["d10"]["id"] in {i["id"] for i in page["items"]}


def test_a_paid_instalment_is_in_no_bucket(finance: FinanceApp, book: dict[str, Any]) -> None:
    finance.run(
        FINANCE,
        payments.record_payment,
        {
            "customer_id": book["acme"]["id"],
            "received_on": "2027-06-29",
            "amount_minor": 40_000,
            "allocations": [{"receivable_id": book["d120"]["id"], "amount_minor": 40_000}],
        },
    )
    assert listed(finance, FINANCE, bucket="90+") == []
    assert listed(finance, FINANCE, status="paid") == [book["d120"]["id"]]


def test_filters_are_validated_naming_the_field(finance: FinanceApp, book: dict[str, Any]) -> None:
    for filters, field in (
        ({"bucket": "100+"}, "filters.bucket"),
        ({"status": "late"}, "filters.status"),
        ({"due_before": "tomorrow"}, "filters.due_before"),
        ({"colour": "red"}, "filters.colour"),
    ):
        with pytest.raises(ValidationError) as refused:
            finance.run(FINANCE, receivable_reads.list_receivables, filters)
        assert refused.value.errors[0]["field"] == field
    assert listed(finance, FINANCE, due_before="2027-05-16", due_after="2027-05-16") == [book["d45"]["id"]]
    assert set(listed(finance, FINANCE, customer_name="a科技")) == {
        book[k]["id"] for k in ("future", "d10", "d45", "d120")
    }
    assert listed(finance, FINANCE, customer_name="贸易") == [book["beta"]["id"]]
    assert listed(finance, FINANCE, customer_name="%") == []  # a wildcard is a character here


def test_who_reads_what(finance: FinanceApp, book: dict[str, Any]) -> None:
    everything = {book[k]["id"] for k in ("future", "d10", "d45", "d120", "beta")}
    acme = everything - {book["beta"]["id"]}
    assert set(listed(finance, FINANCE)) == everything
    assert set(listed(finance, ADMIN)) == everything
    assert set(listed(finance, SALES1)) == acme  # their customer's
    assert set(listed(finance, SALES2)) == {book["beta"]["id"]}
    assert set(listed(finance, MANAGER)) == acme  # team-east's (SALES2 is in team-south)
    assert listed(finance, SUPPORT) == []
    assert finance.run(SALES1, receivable_reads.get_receivable, book["d10"]["id"])["id"] == book["d10"]["id"]
    for caller in (SALES2, SUPPORT):
        with pytest.raises(NotFound):
            finance.run(caller, receivable_reads.get_receivable, book["d10"]["id"])
    with pytest.raises(NotFound):
        finance.run(FINANCE, receivable_reads.get_receivable, "no-such-receivable")


def test_pages_are_cursor_paged_newest_first(finance: FinanceApp, book: dict[str, Any]) -> None:
    first = finance.run(FINANCE, receivable_reads.list_receivables, None, None, 2)
    second = finance.run(FINANCE, receivable_reads.list_receivables, None, first["next_cursor"], 2)
    third = finance.run(FINANCE, receivable_reads.list_receivables, None, second["next_cursor"], 2)
    seen = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert seen == sorted(seen, reverse=True) and len(seen) == 5 and third["next_cursor"] is None


def test_a_receivable_names_the_payments_that_paid_it(finance: FinanceApp, book: dict[str, Any]) -> None:
    payment = finance.run(
        FINANCE,
        payments.record_payment,
        {
            "customer_id": book["acme"]["id"],
            "received_on": "2027-06-28",
            "amount_minor": 25_000,
            "allocations": [{"receivable_id": book["d45"]["id"], "amount_minor": 12_000}],
        },
    )
    detail = finance.run(SALES1, receivable_reads.receivable_on, book["d45"]["id"], TODAY)
    assert (detail["paid_minor"], detail["outstanding_minor"], detail["status"]) == (
        12_000,
        18_000,
        "partially_paid",
    )
    [paid_by] = detail["payments"]
    assert (paid_by["payment_number"], paid_by["received_on"], paid_by["amount_minor"]) == (
        payment["number"],
        "2027-06-28",
        12_000,
    )
    assert [line["action"] for line in detail["history"]] == ["updated", "created"]
    assert detail["history"][0]["actor_id"] == FINANCE.user_id
    assert detail["history"][0]["changes"]["paid_minor"] == [0, 12_000]


def test_the_customer_summary(finance: FinanceApp, book: dict[str, Any]) -> None:
    acme_id = book["acme"]["id"]
    empty = finance.run(FINANCE, receivable_reads.summary_on, acme_id, TODAY)
    assert empty["outstanding_minor"] == {"CNY": 100_000} and empty["overdue_minor"] == {"CNY": 90_000}
    assert (empty["open_count"], empty["overdue_count"], empty["last_payment"]) == (4, 3, None)
    assert empty["buckets"] == {
        "1-30": {"CNY": 20_000},
        "31-60": {"CNY": 30_000},
        "61-90": {},
        "90+": {"CNY": 40_000},
    }
    for received_on, amount in (("2027-06-01", 5_000), ("2027-06-20", 7_000)):
        finance.run(
            FINANCE,
            payments.record_payment,
            {
                "customer_id": acme_id,
                "received_on": received_on,
                "amount_minor": amount,
                "allocations": [{"receivable_id": book["d120"]["id"], "amount_minor": amount}],
            },
        )
    summary = finance.run(SALES1, receivable_reads.summary_on, acme_id, TODAY)
    assert summary["outstanding_minor"] == {"CNY": 88_000} and summary["overdue_minor"] == {"CNY": 78_000}
    assert summary["last_payment"]["received_on"] == "2027-06-20"
    assert summary["last_payment"]["amount_minor"] == 7_000
    assert summary["last_payment"]["number"].startswith("PAY-")
    hidden = finance.run(SUPPORT, receivable_reads.summary_on, acme_id, TODAY)
    assert (hidden["outstanding_minor"], hidden["open_count"], hidden["last_payment"]) == ({}, 0, None)
    with pytest.raises(ValidationError):
        finance.run(FINANCE, receivable_reads.receivables_summary, "")
    everyone = finance.run(FINANCE, receivable_reads.summary_on, None, TODAY)
    assert everyone["outstanding_minor"] == {"CNY": 138_000} and everyone["open_count"] == 5
    assert everyone["bucket_counts"] == {"1-30": 2, "31-60": 1, "61-90": 0, "90+": 1}
    assert everyone["last_payment"] is None
