"""Renewals: an order with a service period is renewed once, however often its event arrives."""

from __future__ import annotations

from typing import Any

import pytest
from kernel.consumer import IdempotentConsumer, Outcome, PoisonEvent, in_units
from kernel.envelope import Envelope, make_event
from kernel.identity import SYSTEM
from sales.handlers import opportunities as ops
from sales.handlers import renewals
from sales.storage.models import consumer
from sales_testkit import MANAGER, SALES1
from sqlalchemy import select

pytestmark = pytest.mark.integration

LEAD_DAYS = 60


def order_placed(order: dict[str, Any]) -> Envelope:
    return make_event(
        type="order.placed",
        source="sales",
        aggregate_type="order",
        aggregate_id=order["id"],
        version=1,
        actor_id="u-sales1",
        customer_id=order["customer_id"],
        data=order,
    )


def _order(opportunity: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": "order-0001",
        "number": "SO-2026-000001",
        "contract_id": "contract-0001",
        "opportunity_id": opportunity["id"],
        "customer_id": opportunity["customer_id"],
        "customer_name": opportunity["customer_name"],
        "customer_owner_id": opportunity["customer_owner_id"],
        "owner_id": opportunity["owner_id"],
        "team_id": opportunity["team_id"],
        "status": "placed",
        "amount_minor": 9_900_000,
        "currency": "CNY",
        "service_start": "2027-01-01",
        "service_end": "2027-12-31",
        "instalments": [],
        "version": 1,
        **fields,
    }


@pytest.fixture
def deal(sales, customer) -> dict[str, Any]:
    acme = customer(SALES1, "A科技有限公司")
    return sales.run(  # type: ignore[no-any-return]
        SALES1,
        ops.create_opportunity,
        {
            "customer_id": acme["id"],
            "title": "CRM 一期",
            "amount_minor": 9_900_000,
            "expected_close_date": "2026-12-31",
        },
    )


def renewals_of(sales, order_id: str) -> list[dict[str, Any]]:
    def read(unit):
        rows = unit.session.scalars(
            select(ops.OpportunityRow).where(ops.OpportunityRow.renewal_of_order_id == order_id)
        )
        return [ops.state_of(unit, r) for r in rows]

    return sales.run(SYSTEM, read)


def test_an_order_with_a_service_period_gets_one_renewal(sales, deal):
    created = sales.run(SYSTEM, renewals.create_renewal, order_placed(_order(deal)), LEAD_DAYS)
    assert created is not None
    [renewal] = renewals_of(sales, "order-0001")
    assert renewal["title"] == "续约: CRM 一期"
    assert renewal["customer_id"] == deal["customer_id"] and renewal["customer_name"] == "A科技有限公司"
    assert renewal["owner_id"] == "u-sales1" and renewal["team_id"] == "team-east"
    assert renewal["amount_minor"] == 9_900_000 and renewal["currency"] == "CNY"
    assert renewal["expected_close_date"] == "2027-11-01"  # 60 days before 2027-12-31
    assert renewal["stage"] == "qualification" and renewal["customer_owner_id"] == "u-sales1"
    # an ordinary opportunity of its owner: listed, readable by the team's manager
    assert renewal["id"] in {o["id"] for o in sales.run(MANAGER, ops.list_opportunities)["items"]}


def test_the_same_event_twice_and_two_events_for_one_order_give_one_renewal(sales, deal):
    event = order_placed(_order(deal))
    sales.run(SYSTEM, renewals.create_renewal, event, LEAD_DAYS)
    assert sales.run(SYSTEM, renewals.create_renewal, event, LEAD_DAYS) is None
    again = order_placed(_order(deal))  # a new event id for the same order
    assert again.id != event.id
    assert sales.run(SYSTEM, renewals.create_renewal, again, LEAD_DAYS) is None
    assert len(renewals_of(sales, "order-0001")) == 1


def test_the_unique_order_column_holds_when_the_existence_check_is_passed(sales, deal, monkeypatch):
    """Two deliveries racing both see no renewal yet; the second insert is a quiet no-op."""
    sales.run(SYSTEM, renewals.create_renewal, order_placed(_order(deal)), LEAD_DAYS)
    real_select = renewals.select

    def blind_select(*args: Any) -> Any:  # the existence check finds nothing, as in a race
        stmt = real_select(*args)
        return stmt.where(ops.OpportunityRow.id == "none") if args == (ops.OpportunityRow.id,) else stmt

    monkeypatch.setattr(renewals, "select", blind_select)
    assert sales.run(SYSTEM, renewals.create_renewal, order_placed(_order(deal)), LEAD_DAYS) is None
    assert len(renewals_of(sales, "order-0001")) == 1


def test_through_the_kernel_consumer_a_redelivery_is_a_duplicate(sales, deal):
    consume = IdempotentConsumer(in_units(sales.units), consumer)
    event = order_placed(_order(deal))

    def handler(unit, ev):
        return renewals.create_renewal(unit, ev, LEAD_DAYS)

    assert consume.consume(event, handler) is Outcome.APPLIED
    assert consume.consume(event, handler) is Outcome.DUPLICATE
    assert len(renewals_of(sales, "order-0001")) == 1


def test_no_renewal_without_a_service_period_and_a_renewal_title_stays_flat(sales, deal):
    bare = _order(deal, id="order-0002", service_start=None, service_end=None)
    assert sales.run(SYSTEM, renewals.create_renewal, order_placed(bare), LEAD_DAYS) is None
    assert renewals_of(sales, "order-0002") == []
    sales.run(SYSTEM, renewals.create_renewal, order_placed(_order(deal)), LEAD_DAYS)
    [first] = renewals_of(sales, "order-0001")
    renewed = _order(first, id="order-0003", number="SO-2026-000003")
    sales.run(SYSTEM, renewals.create_renewal, order_placed(renewed), LEAD_DAYS)
    [second] = renewals_of(sales, "order-0003")
    assert second["title"] == "续约: CRM 一期"
    unknown = _order(deal, id="order-0004", opportunity_id="gone")
    sales.run(SYSTEM, renewals.create_renewal, order_placed(unknown), LEAD_DAYS)
    assert renewals_of(sales, "order-0004")[0]["title"] == "续约: SO-2026-000001"


def test_an_order_event_without_its_owner_is_poison(sales, deal):
    with pytest.raises(PoisonEvent):
        sales.run(SYSTEM, renewals.create_renewal, order_placed(_order(deal, owner_id=None)), LEAD_DAYS)
    assert renewals_of(sales, "order-0001") == []
