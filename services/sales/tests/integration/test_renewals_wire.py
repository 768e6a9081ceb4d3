"""The real sales process consuming ``order.placed`` from ``sales.events`` (as its relay publishes
it): the same event delivered twice and a second event for the same order give one renewal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pika
import pytest
from kernel.envelope import Envelope, make_event
from kernel.identity import SYSTEM
from kernel.testing import TestServers, eventually, publish_event
from sales.handlers import opportunities as ops
from sales.storage.models import OpportunityRow, consumer
from sales_testkit import SALES1
from sqlalchemy import select

pytestmark = pytest.mark.integration

QUEUES = (
    "evt-sales-order.placed--sales.on_order_placed",
    "evt-sales-order.placed--sales.on_order_placed.dlq",
)


@pytest.fixture
def channel(servers: TestServers) -> Iterator[Any]:
    connection = pika.BlockingConnection(pika.URLParameters(servers.rabbitmq_url))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.exchange_declare("sales.events", exchange_type="topic", durable=True)
    for queue in QUEUES:  # nothing left over from an earlier run
        channel.queue_delete(queue)
    yield channel
    for queue in QUEUES:
        channel.queue_delete(queue)
    connection.close()


def publish(channel: Any, event: Envelope) -> None:
    publish_event(channel, "sales.events", event)


# ``channel`` before ``sales_process``: the queues are emptied before the process declares them.
def test_order_placed_over_the_broker_makes_one_renewal(sales, customer, channel, sales_process):
    acme = customer(SALES1, "A科技有限公司")
    deal = sales.run(
        SALES1,
        ops.create_opportunity,
        {
            "customer_id": acme["id"],
            "title": "CRM 一期",
            "amount_minor": 100,
            "expected_close_date": "2026-12-31",
        },
    )
    order = {
        "id": "order-wire-1",
        "number": "SO-2026-000099",
        "contract_id": "contract-wire-1",
        "opportunity_id": deal["id"],
        "customer_id": acme["id"],
        "owner_id": "u-sales1",
        "team_id": "team-east",
        "status": "placed",
        "amount_minor": 100,
        "currency": "CNY",
        "service_start": "2027-01-01",
        "service_end": "2027-12-31",
        "instalments": [],
        "version": 1,
    }

    def placed() -> Envelope:
        return make_event(
            type="order.placed",
            source="sales",
            aggregate_type="order",
            aggregate_id=order["id"],
            version=1,
            actor_id="u-sales1",
            customer_id=acme["id"],
            data=order,
        )

    first, second = placed(), placed()
    for event in (first, first, second):  # a redelivery, then another event for the same order
        publish(channel, event)

    def claimed(unit: Any) -> set[str]:
        t = consumer.processed_events
        return set(unit.session.scalars(select(t.c.event_id).where(t.c.event_id.in_([first.id, second.id]))))

    eventually(lambda: sales.run(SYSTEM, claimed) == {first.id, second.id} or None, timeout=20)

    def renewals(unit: Any) -> list[str]:
        return list(
            unit.session.scalars(
                select(OpportunityRow.title).where(OpportunityRow.renewal_of_order_id == order["id"])
            )
        )

    assert sales.run(SYSTEM, renewals) == ["续约: CRM 一期"]
    assert channel.queue_declare(QUEUES[1], passive=True).method.message_count == 0  # nothing dead-lettered
