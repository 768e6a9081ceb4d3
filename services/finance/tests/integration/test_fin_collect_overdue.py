"""The overdue timer on the real database: one ``receivable.overdue`` per bucket, the owner told
first and the manager from 31-60, the customer's credit risk following, a payment ending it all."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from finance.app import FinanceApp
from finance.contracts.collections import CUSTOMER_CREDIT_RISK_CHANGED, CreditRisk
from finance.contracts.receivables import RECEIVABLE_OVERDUE, Receivable
from finance.handlers import credit_risk, notifications, overdue, payments
from finance.handlers.receivable_state import business_today
from finance.storage.models import NotificationRow, ReceivableRow, outbox
from finance_ledger_fixtures import add_receivable
from finance_testkit import FINANCE, FINANCE_MANAGER, MANAGER, SALES1, SALES2
from kernel.errors import NotFound, ValidationError
from kernel.identity import SYSTEM
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

# Due dates sit well in the past of the real "today", so a payment recorded now (which
# re-assesses as of the real today) agrees with the injected days of the scans.
DUE = business_today() - timedelta(days=120)


def day(n: int) -> date:
    return DUE + timedelta(days=n)


def events(finance: FinanceApp, event_type: str) -> list[dict[str, Any]]:
    def read(unit: Any) -> list[dict[str, Any]]:
        bodies = unit.session.scalars(
            select(outbox.c.body).where(outbox.c.routing_key == event_type).order_by(outbox.c.seq)
        )
        return [json.loads(b) for b in bodies]

    found: list[dict[str, Any]] = finance.run(SYSTEM, read)
    return found


def told(finance: FinanceApp) -> list[tuple[str, str]]:
    rows = finance.run(
        SYSTEM,
        lambda unit: [
            (r.user_id, r.kind)
            for r in unit.session.scalars(
                select(NotificationRow).order_by(NotificationRow.kind, NotificationRow.user_id)
            )
        ],
    )
    return list(rows)


def test_each_bucket_is_announced_once_owner_first_then_manager(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    due = finance.run(SYSTEM, add_receivable, acme["id"], 100_000, DUE)

    assert finance.run(SYSTEM, overdue.scan_overdue, day(0)) == 0  # due today: not overdue
    assert finance.run(SYSTEM, overdue.scan_overdue, day(1)) == 1
    assert finance.run(SYSTEM, overdue.scan_overdue, day(1)) == 0  # the next tick: nothing new
    assert finance.run(SYSTEM, overdue.scan_overdue, day(30)) == 0  # still 1-30
    announced = events(finance, RECEIVABLE_OVERDUE)
    assert [(e["data"]["overdue_bucket"], e["data"]["overdue_days"]) for e in announced] == [("1-30", 1)]
    Receivable.model_validate(announced[0]["data"])
    assert told(finance) == [("u-sales1", "receivable_overdue:1-30")]  # the owner, not yet the manager

    for n in (31, 45, 61, 61, 91, 200):
        finance.run(SYSTEM, overdue.scan_overdue, day(n))
    announced = events(finance, RECEIVABLE_OVERDUE)
    assert [e["data"]["overdue_bucket"] for e in announced] == ["1-30", "31-60", "61-90", "90+"]
    assert {e["aggregate"]["id"] for e in announced} == {due["id"]}
    assert [e["aggregate"]["version"] for e in announced] == [2, 3, 4, 5]
    assert told(finance) == sorted(
        [
            ("u-manager", "receivable_overdue:31-60"),
            ("u-sales1", "receivable_overdue:31-60"),
            ("u-manager", "receivable_overdue:61-90"),
            ("u-sales1", "receivable_overdue:61-90"),
            ("u-manager", "receivable_overdue:90+"),
            ("u-sales1", "receivable_overdue:90+"),
            ("u-finance", "credit_risk_high"),  # finance hears when the customer turns high-risk
            ("u-finmgr", "credit_risk_high"),
            ("u-sales1", "receivable_overdue:1-30"),
        ],
        key=lambda told: (told[1], told[0]),
    )
    row = finance.run(SYSTEM, lambda unit: unit.session.get(ReceivableRow, due["id"]))
    assert (row.overdue_bucket, row.overdue_since) == ("90+", day(1))


def test_credit_risk_moves_with_the_buckets_and_a_payment_ends_the_overdue_state(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    due = finance.run(SYSTEM, add_receivable, acme["id"], 100_000, DUE)
    for n in (1, 31, 91):
        finance.run(SYSTEM, overdue.scan_overdue, day(n))
    changes = events(finance, CUSTOMER_CREDIT_RISK_CHANGED)
    assert [(e["data"]["previous_level"], e["data"]["level"]) for e in changes] == [
        ("none", "low"),
        ("low", "medium"),
        ("medium", "high"),
    ]
    assert [e["aggregate"] for e in changes][-1]["type"] == "customer_risk"
    assert [e["aggregate"]["version"] for e in changes] == [1, 2, 3]
    assert changes[-1]["aggregate"]["id"] == acme["id"]
    CreditRisk.model_validate(changes[-1]["data"])
    assert finance.run(SYSTEM, overdue.scan_overdue, day(92)) == 0
    assert len(events(finance, CUSTOMER_CREDIT_RISK_CHANGED)) == 3  # unchanged level: no event

    payment = {
        "customer_id": acme["id"],
        "received_on": business_today().isoformat(),
        "amount_minor": 100_000,
        "allocations": [{"receivable_id": due["id"], "amount_minor": 100_000}],
    }
    finance.run(FINANCE, payments.record_payment, payment)
    row = finance.run(SYSTEM, lambda unit: unit.session.get(ReceivableRow, due["id"]))
    assert (row.status, row.overdue_bucket, row.overdue_since) == ("paid", None, None)
    risk = finance.run(SALES1, credit_risk.get_customer_risk, acme["id"])
    assert (risk["level"], risk["overdue_minor"], risk["version"]) == ("none", 0, 4)
    before = len(told(finance))
    assert finance.run(SYSTEM, overdue.scan_overdue, day(150)) == 0  # paid: never again
    assert len(events(finance, RECEIVABLE_OVERDUE)) == 3
    assert len(told(finance)) == before


def test_amounts_and_partial_payments_decide_the_level(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    big = finance.run(SYSTEM, add_receivable, acme["id"], 20_000_000, DUE)  # ¥200,000.00
    finance.run(SYSTEM, add_receivable, acme["id"], 5_000_000, DUE, seq=2, currency="USD")
    finance.run(SYSTEM, overdue.scan_overdue, business_today())
    risk = finance.run(FINANCE, credit_risk.get_customer_risk, acme["id"])
    assert (risk["level"], risk["overdue_minor"], risk["currency"]) == ("high", 20_000_000, "CNY")  # 120 days
    finance.run(
        FINANCE,
        payments.record_payment,
        {
            "customer_id": acme["id"],
            "received_on": business_today().isoformat(),
            "amount_minor": 19_000_000,
            "allocations": [{"receivable_id": big["id"], "amount_minor": 19_000_000}],
        },
    )
    risk = finance.run(FINANCE, credit_risk.get_customer_risk, acme["id"])
    assert (risk["level"], risk["overdue_minor"], risk["currency"]) == ("high", 5_000_000, "USD")  # still 90+


def test_an_instalment_found_long_past_due_announces_its_bucket_once(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    finance.run(SYSTEM, add_receivable, acme["id"], 100_000, DUE)
    finance.run(SYSTEM, overdue.scan_overdue, day(95))
    assert [e["data"]["overdue_bucket"] for e in events(finance, RECEIVABLE_OVERDUE)] == ["90+"]
    assert ("u-manager", "receivable_overdue:90+") in told(finance)
    assert ("u-sales1", "receivable_overdue:90+") in told(finance)


def test_full_batches_are_continued_and_locked_rows_are_skipped(
    finance: FinanceApp, finance_sessions: sessionmaker[Session], customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    made = [finance.run(SYSTEM, add_receivable, acme["id"], 1_000, DUE, seq=i) for i in range(1, 6)]
    other = finance_sessions()  # another service copy mid-transaction on the first instalment
    try:
        other.execute(select(ReceivableRow).where(ReceivableRow.id == made[0]["id"]).with_for_update())
        assert finance.run(SYSTEM, overdue.scan_overdue, day(1), 2) == 2
        assert finance.run(SYSTEM, overdue.scan_overdue, day(1), 2) == 2
        assert finance.run(SYSTEM, overdue.scan_overdue, day(1), 2) == 0  # the locked one waits
    finally:
        other.rollback()
        other.close()
    assert finance.run(SYSTEM, overdue.scan_overdue, day(1), 2) == 1
    announced = events(finance, RECEIVABLE_OVERDUE)
    assert sorted(e["aggregate"]["id"] for e in announced) == sorted(r["id"] for r in made)


def test_notifications_are_listed_and_marked_read_by_their_addressee_only(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    finance.run(SYSTEM, add_receivable, acme["id"], 100_000, DUE)
    finance.run(SYSTEM, overdue.scan_overdue, day(1))
    finance.run(SYSTEM, overdue.scan_overdue, day(31))
    page = finance.run(SALES1, notifications.list_notifications, False, None, 1)
    assert [n["data"]["bucket"] for n in page["items"]] == ["31-60"]  # newest first
    rest = finance.run(SALES1, notifications.list_notifications, False, page["next_cursor"], 1)
    assert [n["data"]["bucket"] for n in rest["items"]] == ["1-30"] and rest["next_cursor"] is None
    assert "逾期" in rest["items"][0]["message"]
    assert finance.run(SALES1, notifications.unread_count) == 2
    first = page["items"][0]["id"]
    with pytest.raises(NotFound):
        finance.run(MANAGER, notifications.mark_notification_read, first)
    read = finance.run(SALES1, notifications.mark_notification_read, first)
    assert read["read_at"] is not None
    assert finance.run(SALES1, notifications.mark_notification_read, first)["read_at"] == read["read_at"]
    unread = finance.run(SALES1, notifications.list_notifications, True)
    assert [n["data"]["bucket"] for n in unread["items"]] == ["1-30"]
    assert finance.run(SALES2, notifications.list_notifications)["items"] == []
    with pytest.raises(ValidationError):
        finance.run(SALES1, notifications.list_notifications, "yes")


def test_credit_risk_is_read_by_who_may_read_the_customers_receivables(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    finance.run(SYSTEM, add_receivable, acme["id"], 100_000, DUE)
    finance.run(SYSTEM, overdue.scan_overdue, day(1))
    for reader in (SALES1, MANAGER, FINANCE, FINANCE_MANAGER):
        assert finance.run(reader, credit_risk.get_customer_risk, acme["id"])["level"] == "low"
    with pytest.raises(NotFound):
        finance.run(SALES2, credit_risk.get_customer_risk, acme["id"])
    quiet = customer(SALES1, "B贸易有限公司")
    assert finance.run(SALES1, credit_risk.get_customer_risk, quiet["id"])["level"] == "none"


def test_two_service_copies_scanning_at_once_announce_each_bucket_once(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    made = [finance.run(SYSTEM, add_receivable, acme["id"], 1_000, DUE, seq=i) for i in range(1, 13)]
    start = threading.Barrier(2)

    def copy() -> None:
        start.wait()
        while finance.run(SYSTEM, overdue.scan_overdue, day(1), 3) == 3:
            pass

    threads = [threading.Thread(target=copy) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    announced = events(finance, RECEIVABLE_OVERDUE)
    assert sorted(e["aggregate"]["id"] for e in announced) == sorted(r["id"] for r in made)
    assert len(told(finance)) == len(made)  # the owner, once per instalment
