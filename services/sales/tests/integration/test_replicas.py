"""The customer replica: filled by an RPC read when no event has arrived, then kept by events."""

from __future__ import annotations

import pytest
from kernel.envelope import make_event
from kernel.errors import NotFound, PermissionDenied
from kernel.identity import SYSTEM
from sales.handlers import replicas
from sales_testkit import SALES1, SALES2

pytestmark = pytest.mark.integration


def test_a_customer_unknown_to_sales_is_read_from_the_customers_service(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    ref = sales.run(SALES1, lambda unit: replicas.customer_ref(unit, acme["id"]).name)
    assert ref == "A科技有限公司"


def test_the_customers_read_check_applies_to_the_replica_fill(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    with pytest.raises((NotFound, PermissionDenied)):  # customers hides what you may not read
        sales.run(SALES2, lambda unit: replicas.customer_ref(unit, acme["id"]))
    with pytest.raises(NotFound):
        sales.run(SALES1, lambda unit: replicas.customer_ref(unit, "no-such-customer"))


def test_events_keep_the_replica_and_an_older_rpc_read_does_not_undo_them(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    renamed = {**acme, "name": "A科技集团", "version": acme["version"] + 1}
    event = make_event(
        type="customer.updated",
        source="customers",
        aggregate_type="customer",
        aggregate_id=acme["id"],
        version=renamed["version"],
        actor_id="u-sales1",
        data=renamed,
    )
    sales.run(SYSTEM, replicas.customer_changed, event)
    assert sales.run(SALES1, lambda unit: replicas.CUSTOMERS.store(unit.session, acme).name) == "A科技集团"
    assert sales.run(SALES1, lambda unit: replicas.customer_ref(unit, acme["id"]).name) == "A科技集团"
