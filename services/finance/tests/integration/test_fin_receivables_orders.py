"""Receivables from sales order events: made once, re-planned and cancelled with an audit line
naming the event's actor, renamed with their customer."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from finance.app import FinanceApp
from finance.handlers import payments, receivables
from finance.handlers.replicas import CUSTOMERS
from finance.storage.models import ReceivableRow, audit_log, consumer, outbox
from finance_testkit import FINANCE, SALES1, SALES2, order_event
from kernel.consumer import DeadLetter, IdempotentConsumer, Outcome, event_caller, in_units
from kernel.envelope import Envelope, make_event
from kernel.identity import SYSTEM
from sqlalchemy import select

JAN, FEB, MAR = date(2027, 1, 15), date(2027, 2, 15), date(2027, 3, 15)


def consume(finance: FinanceApp, event: Envelope) -> Outcome:
    """What the nameko entrypoint does: claim, version check, handler, in one transaction."""
    consumer_ = IdempotentConsumer(in_units(finance.units), consumer, sleep=lambda _: None)

    def handler(unit: Any, ev: Envelope) -> None:
        receivables.apply_order(unit, ev)

    return consumer_.consume(event, handler)


def ledger(finance: FinanceApp, order_id: str) -> dict[int, tuple[str, int, int, str]]:
    def read(unit: Any) -> dict[int, tuple[str, int, int, str]]:
        rows = unit.session.scalars(select(ReceivableRow).where(ReceivableRow.order_id == order_id))
        return {r.seq: (r.due_date.isoformat(), r.amount_minor, r.paid_minor, r.status) for r in rows}

    return finance.run(SYSTEM, read)


def events(finance: FinanceApp, event_type: str) -> list[dict[str, Any]]:
    def read(unit: Any) -> list[dict[str, Any]]:
        bodies = unit.session.scalars(
            select(outbox.c.body).where(outbox.c.routing_key == event_type).order_by(outbox.c.seq)
        )
        return [json.loads(body) for body in bodies]

    return finance.run(SYSTEM, read)


def audit(finance: FinanceApp, entity_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    def read(unit: Any) -> list[tuple[str, str, dict[str, Any]]]:
        rows = unit.session.execute(
            select(audit_log.c.actor_id, audit_log.c.action, audit_log.c.changes)
            .where(audit_log.c.entity_id == entity_id)
            .order_by(audit_log.c.at, audit_log.c.id)
        )
        return [(r.actor_id, r.action, r.changes) for r in rows]

    return finance.run(SYSTEM, read)


def ids(finance: FinanceApp, order_id: str) -> dict[int, str]:
    def read(unit: Any) -> dict[int, str]:
        rows = unit.session.scalars(select(ReceivableRow).where(ReceivableRow.order_id == order_id))
        return {r.seq: r.id for r in rows}

    return finance.run(SYSTEM, read)


def pay(finance: FinanceApp, customer_id: str, receivable_id: str, amount: int) -> None:
    finance.run(
        FINANCE,
        payments.record_payment,
        {
            "customer_id": customer_id,
            "received_on": "2027-01-10",
            "amount_minor": amount,
            "allocations": [{"receivable_id": receivable_id, "amount_minor": amount}],
        },
    )


@pytest.fixture
def acme(customer: Callable[..., Any]) -> dict[str, Any]:
    state: dict[str, Any] = customer(SALES1, "A科技有限公司")
    return state


# -- order.placed ------------------------------------------------------------------------------------
def test_an_order_placed_makes_one_receivable_per_instalment(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    placed = order_event(acme, [(JAN, 60_000), (FEB, 40_000)])
    states = finance.run(event_caller(placed), receivables.order_placed, placed)
    assert [(s["seq"], s["amount_minor"], s["status"], s["version"]) for s in states] == [
        (1, 60_000, "open", 1),
        (2, 40_000, "open", 1),
    ]
    first = states[0]
    assert first["customer_name"] == "A科技有限公司" and first["customer_owner_id"] == SALES1.user_id
    assert (first["owner_id"], first["team_id"], first["order_number"]) == (
        SALES1.user_id,
        SALES1.team_id,
        "SO-2026-000001",
    )
    assert first["outstanding_minor"] == 60_000 and first["currency"] == "CNY"
    assert len(events(finance, "receivable.created")) == 2
    assert audit(finance, first["id"])[0][:2] == (SALES1.user_id, "created")  # the event's actor


def test_the_same_event_twice_and_an_older_replay_change_nothing(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    order_id = "order-twice"
    placed = order_event(acme, [(JAN, 60_000), (FEB, 40_000)], order_id=order_id)
    assert consume(finance, placed) is Outcome.APPLIED
    assert consume(finance, placed) is Outcome.DUPLICATE  # a redelivery
    again = order_event(acme, [(JAN, 60_000), (FEB, 40_000)], order_id=order_id)  # a re-publish
    assert consume(finance, again) is Outcome.STALE
    updated = order_event(
        acme, [(JAN, 70_000), (FEB, 40_000)], order_id=order_id, type="order.updated", version=2
    )
    assert consume(finance, updated) is Outcome.APPLIED
    replay = order_event(acme, [(JAN, 1_000)], order_id=order_id, version=1)  # an old version, late
    assert consume(finance, replay) is Outcome.STALE
    # and without the consumer's marks, the rows' own order_version still refuses it
    assert finance.run(event_caller(replay), receivables.apply_order, replay) == []
    assert finance.run(event_caller(placed), receivables.apply_order, placed) == []
    assert ledger(finance, order_id) == {
        1: ("2027-01-15", 70_000, 0, "open"),
        2: ("2027-02-15", 40_000, 0, "open"),
    }
    assert len(events(finance, "receivable.created")) == 2


def test_an_update_before_its_placement_still_ends_in_the_same_ledger(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    order_id = "order-out-of-order"
    updated = order_event(
        acme, [(JAN, 50_000), (FEB, 50_000)], order_id=order_id, type="order.updated", version=2
    )
    placed = order_event(acme, [(JAN, 100_000)], order_id=order_id, version=1)
    assert consume(finance, updated) is Outcome.APPLIED
    assert consume(finance, placed) is Outcome.STALE
    assert ledger(finance, order_id) == {
        1: ("2027-01-15", 50_000, 0, "open"),
        2: ("2027-02-15", 50_000, 0, "open"),
    }


def test_an_unreachable_customers_service_does_not_hold_up_the_books(
    finance_sessions: Any, acme: dict[str, Any]
) -> None:
    class Down:
        def get_customer(self, caller: Any, customer_id: str) -> dict[str, Any]:
            raise TimeoutError("customers did not answer")

        def call(self, caller: Any, method: str, **kwargs: Any) -> Any:
            raise TimeoutError("customers did not answer")

    offline = FinanceApp(finance_sessions, Down())
    placed = order_event(acme, [(JAN, 100)], order_id="order-offline")
    [state] = offline.run(event_caller(placed), receivables.apply_order, placed)
    assert (state["customer_name"], state["customer_owner_id"]) == ("A科技有限公司", SALES1.user_id)


def test_a_malformed_order_is_dead_lettered_with_the_reason(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    broken = order_event(acme, [(JAN, 100)])
    broken.data["instalments"][0]["due_date"] = "15/01/2027"
    with pytest.raises(DeadLetter) as dead:
        consume(finance, broken)
    assert "instalment 1" in dead.value.reason
    assert ledger(finance, broken.aggregate.id) == {}


# -- order.updated --------------------------------------------------------------------------------
def test_a_re_plan_moves_re_prices_adds_and_removes_instalments_audited(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    order_id = "order-replan"
    consume(finance, order_event(acme, [(JAN, 30_000), (FEB, 30_000), (MAR, 40_000)], order_id=order_id))
    before = ids(finance, order_id)
    pay(finance, acme["id"], before[1], 10_000)
    change = order_event(
        acme,
        [(JAN, 20_000), (date(2027, 2, 28), 30_000)],
        order_id=order_id,
        type="order.updated",
        version=2,
        owner=SALES2,
    )
    change.data["instalments"].append({"seq": 4, "due_date": "2027-04-15", "amount_minor": 50_000})
    change.data["amount_minor"] = 100_000
    assert consume(finance, change) is Outcome.APPLIED
    assert ledger(finance, order_id) == {
        1: ("2027-01-15", 20_000, 10_000, "partially_paid"),
        2: ("2027-02-28", 30_000, 0, "open"),
        3: ("2027-03-15", 0, 0, "cancelled"),  # removed from the plan: nothing billed any more
        4: ("2027-04-15", 50_000, 0, "open"),
    }
    actor, action, changes = audit(finance, before[1])[-1]
    assert (actor, action) == (SALES2.user_id, "updated")
    assert changes["amount_minor"] == [30_000, 20_000]
    assert changes["owner_id"] == [SALES1.user_id, SALES2.user_id]
    assert audit(finance, before[2])[-1][2]["due_date"] == ["2027-02-15", "2027-02-28"]
    removed = audit(finance, before[3])[-1][2]
    assert removed["status"] == ["open", "cancelled"] and removed["amount_minor"] == [40_000, 0]
    # the removed instalment comes back when the plan names it again
    back = order_event(
        acme,
        [(JAN, 20_000), (date(2027, 2, 28), 30_000), (MAR, 45_000)],
        order_id=order_id,
        type="order.updated",
        version=3,
    )
    consume(finance, back)
    assert ledger(finance, order_id)[3] == ("2027-03-15", 45_000, 0, "open")
    assert audit(finance, before[3])[-1][2]["status"] == ["cancelled", "open"]


def test_a_re_plan_never_bills_less_than_is_settled(finance: FinanceApp, acme: dict[str, Any]) -> None:
    order_id = "order-over-settled"
    consume(finance, order_event(acme, [(JAN, 50_000)], order_id=order_id))
    rid = ids(finance, order_id)[1]
    pay(finance, acme["id"], rid, 30_000)
    cut = order_event(acme, [(JAN, 20_000)], order_id=order_id, type="order.updated", version=2)
    consume(finance, cut)
    assert ledger(finance, order_id) == {1: ("2027-01-15", 30_000, 30_000, "paid")}
    changes = audit(finance, rid)[-1][2]
    assert changes["amount_minor"] == [50_000, 30_000]
    assert changes["over_settled_minor"] == [None, 10_000]  # finance decides: refund or credit


def test_a_due_date_moved_later_forgets_the_overdue_bucket_it_left(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    order_id = "order-moved"
    consume(finance, order_event(acme, [(JAN, 30_000)], order_id=order_id))
    rid = ids(finance, order_id)[1]

    def announced(bucket: str | None) -> Callable[[Any], None]:
        def mark(unit: Any) -> None:
            unit.session.get(ReceivableRow, rid).overdue_bucket = bucket

        return mark

    finance.run(SYSTEM, announced("31-60"))  # as the overdue timer would have, 45 days late
    later = order_event(
        acme, [(date(2027, 3, 10), 30_000)], order_id=order_id, type="order.updated", version=2
    )
    states = finance.run(event_caller(later), receivables.apply_order, later, date(2027, 3, 1))
    assert (states[0]["overdue_days"], states[0]["overdue_bucket"]) == (0, None)
    assert finance.run(SYSTEM, lambda unit: unit.session.get(ReceivableRow, rid).overdue_bucket) is None


# -- order.cancelled --------------------------------------------------------------------------------
def test_a_cancellation_stops_billing_what_is_not_settled(finance: FinanceApp, acme: dict[str, Any]) -> None:
    order_id = "order-cancel"
    consume(finance, order_event(acme, [(JAN, 30_000), (FEB, 30_000), (MAR, 40_000)], order_id=order_id))
    rows = ids(finance, order_id)
    pay(finance, acme["id"], rows[1], 30_000)
    pay(finance, acme["id"], rows[2], 5_000)
    cancelled = order_event(
        acme,
        [(JAN, 30_000), (FEB, 30_000), (MAR, 40_000)],
        order_id=order_id,
        type="order.cancelled",
        version=2,
    )
    assert consume(finance, cancelled) is Outcome.APPLIED
    assert ledger(finance, order_id) == {
        1: ("2027-01-15", 30_000, 30_000, "paid"),  # money received stays received
        2: ("2027-02-15", 5_000, 5_000, "cancelled"),
        3: ("2027-03-15", 0, 0, "cancelled"),
    }
    actor, _, changes = audit(finance, rows[3])[-1]
    assert actor == SALES1.user_id
    assert changes["status"] == ["open", "cancelled"] and changes["reason"] == [None, "order cancelled"]
    assert audit(finance, rows[2])[-1][2]["amount_minor"] == [30_000, 5_000]
    assert len(audit(finance, rows[1])) == 2  # created, paid: the cancellation did not touch it


# -- the customer -----------------------------------------------------------------------------------
def test_a_renamed_or_transferred_customer_re_publishes_its_receivables(
    finance: FinanceApp, acme: dict[str, Any]
) -> None:
    order_id = "order-rename"
    consume(finance, order_event(acme, [(JAN, 30_000)], order_id=order_id))
    moved = {**acme, "name": "A科技集团有限公司", "owner_id": SALES2.user_id, "version": acme["version"] + 1}
    event = make_event(
        type="customer.transferred",
        source="customers",
        aggregate_type="customer",
        aggregate_id=acme["id"],
        version=moved["version"],
        actor_id="u-manager",
        data=moved,
    )
    finance.run(SYSTEM, CUSTOMERS.changed, event)
    rid = ids(finance, order_id)[1]
    [published] = events(finance, "receivable.updated")
    assert published["data"]["customer_name"] == "A科技集团有限公司"
    assert published["data"]["customer_owner_id"] == SALES2.user_id
    assert audit(finance, rid)[-1][2] == {
        "customer_name": ["A科技有限公司", "A科技集团有限公司"],
        "customer_owner_id": [SALES1.user_id, SALES2.user_id],
    }
