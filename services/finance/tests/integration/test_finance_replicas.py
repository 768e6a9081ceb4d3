"""The customer replica finance keeps: filled by an RPC read as the caller, then by events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from finance.app import FinanceApp
from finance.handlers.replicas import CUSTOMERS
from finance_testkit import SALES1, SALES2
from kernel.envelope import make_event
from kernel.errors import NotFound
from kernel.identity import SYSTEM


def test_an_unknown_customer_is_read_as_the_caller_and_kept(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    with pytest.raises(NotFound):  # the customers service's answer to someone else's customer
        finance.run(SALES2, lambda unit: CUSTOMERS.ref(unit, acme["id"]))
    ref = finance.run(SALES1, lambda unit: CUSTOMERS.ref(unit, acme["id"]))
    assert (ref.name, ref.owner_id, ref.name_folded) == ("A科技有限公司", "u-sales1", "a科技")


def test_events_rename_and_delete_the_replica(finance: FinanceApp, customer: Callable[..., Any]) -> None:
    acme = customer(SALES1, "A科技有限公司")
    seen: list[str] = []
    spy = lambda unit, ref: seen.append(ref.name)  # noqa: E731
    CUSTOMERS.republishers.append(spy)
    try:
        finance.run(SALES1, lambda unit: CUSTOMERS.ref(unit, acme["id"]))
        renamed = {**acme, "name": "A科技集团有限公司", "version": acme["version"] + 1}
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
        assert seen == ["A科技集团有限公司"]
        assert finance.run(SYSTEM, lambda unit: CUSTOMERS.names(unit.session, [acme["id"]])) == {
            acme["id"]: "A科技集团有限公司"
        }
        tombstone = make_event(
            type="customer.deleted",
            source="customers",
            aggregate_type="customer",
            aggregate_id=acme["id"],
            version=renamed["version"] + 1,
            actor_id="u-sales1",
            data={"id": acme["id"], "deleted": True, "version": renamed["version"] + 1},
        )
        finance.run(SYSTEM, CUSTOMERS.changed, tombstone)
        with pytest.raises(NotFound):
            finance.run(SYSTEM, lambda unit: CUSTOMERS.ref(unit, acme["id"]))
    finally:
        CUSTOMERS.republishers.remove(spy)  # the services' own republishers stay
