"""Reading an order event's payment plan: what no retry can fix is a poison event (dead-lettered
with the reason at once), and money is never a float."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from finance.handlers.receivables import plan_of
from finance_testkit import order_event
from kernel.consumer import PoisonEvent

ACME = {"id": "c-1", "name": "A科技有限公司", "owner_id": "u-sales1"}


def test_the_plan_by_instalment() -> None:
    order, plan = plan_of(order_event(ACME, [(date(2027, 1, 15), 60_000), (date(2027, 2, 15), 40_000)]))
    assert order.customer_id == "c-1" and order.currency == "CNY"
    assert plan == {1: (date(2027, 1, 15), 60_000), 2: (date(2027, 2, 15), 40_000)}


@pytest.mark.parametrize("amount", [100.0, 12.5, "100", True, 0, -5, 10**16])
def test_an_amount_that_is_not_positive_integer_minor_units_is_refused(amount: Any) -> None:
    event = order_event(ACME, [(date(2027, 1, 15), 100)])
    event.data["instalments"][0]["amount_minor"] = amount
    with pytest.raises(PoisonEvent, match=r"instalments\.0\.amount_minor"):
        plan_of(event)


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda d: d["instalments"][0].update(due_date="15/01/2027"), "instalment 1"),
        (lambda d: d["instalments"].append(dict(d["instalments"][0])), "appears twice"),
        (lambda d: d.update(currency="rmb"), "currency"),
        (lambda d: d.pop("instalments"), "not an order"),
    ],
)
def test_a_broken_order_is_a_poison_event(change: Any, reason: str) -> None:
    event = order_event(ACME, [(date(2027, 1, 15), 100)])
    change(event.data)
    with pytest.raises(PoisonEvent, match=reason):
        plan_of(event)
