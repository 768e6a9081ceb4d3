"""The real finance process consuming ``order.placed`` / ``order.cancelled`` from ``sales.events``
(as the sales relay publishes them): the same event delivered twice and a re-publish of the same
order version give one receivable per instalment; the cancellation reaches them too."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pika
import pytest
from finance.app import FinanceApp
from finance.handlers.replicas import CUSTOMERS
from finance.storage.models import ReceivableRow, consumer
from finance_testkit import SALES1, order_event
from kernel.envelope import Envelope
from kernel.identity import SYSTEM
from kernel.testing import TestServers, eventually, publish_event, running_service
from sqlalchemy import select

pytestmark = pytest.mark.integration

HANDLERS = ("on_order_placed", "on_order_updated", "on_order_cancelled")
QUEUES = tuple(
    f"evt-sales-order.{event}--finance.{method}{suffix}"
    for event, method in zip(("placed", "updated", "cancelled"), HANDLERS, strict=True)
    for suffix in ("", ".dlq")
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


@pytest.fixture
def finance_process(servers: TestServers, channel: Any, finance: FinanceApp) -> Iterator[None]:
    with running_service(
        "finance", servers.rabbitmq_url, {"PANORAMA_FINANCE_DATABASE_URL": servers.finance_database_url}
    ):
        yield


def publish(channel: Any, event: Envelope) -> None:
    publish_event(channel, "sales.events", event)


def test_order_events_over_the_broker_make_receivables_exactly_once(
    finance: FinanceApp, customer: Callable[..., Any], channel: Any, finance_process: None
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    # The customers service is not running here: finance already knows the customer (its replica),
    # as it does once the customer's first event has arrived.
    finance.run(SALES1, lambda unit: CUSTOMERS.ref(unit, acme["id"]))
    plan = [(date(2027, 1, 15), 60_000), (date(2027, 2, 15), 40_000)]
    first = order_event(acme, plan, order_id="order-wire-1")
    again = order_event(acme, plan, order_id="order-wire-1")  # the same version, published again
    for event in (first, first, again):  # a redelivery, then a re-publish
        publish(channel, event)

    def claimed(ids: list[str]) -> Callable[[Any], set[str]]:
        def read(unit: Any) -> set[str]:
            t = consumer.processed_events
            return set(unit.session.scalars(select(t.c.event_id).where(t.c.event_id.in_(ids))))

        return read

    wanted = {first.id, again.id}
    eventually(lambda: finance.run(SYSTEM, claimed(list(wanted))) == wanted or None, timeout=20)

    def ledger(unit: Any) -> list[tuple[int, int, str]]:
        rows = unit.session.scalars(
            select(ReceivableRow).where(ReceivableRow.order_id == "order-wire-1").order_by(ReceivableRow.seq)
        )
        return [(r.seq, r.amount_minor, r.status) for r in rows]

    assert finance.run(SYSTEM, ledger) == [(1, 60_000, "open"), (2, 40_000, "open")]

    cancelled = order_event(acme, plan, order_id="order-wire-1", type="order.cancelled", version=2)
    publish(channel, cancelled)
    eventually(lambda: finance.run(SYSTEM, claimed([cancelled.id])) == {cancelled.id} or None, timeout=20)
    assert finance.run(SYSTEM, ledger) == [(1, 0, "cancelled"), (2, 0, "cancelled")]
    for dlq in QUEUES[1::2]:  # nothing dead-lettered
        assert channel.queue_declare(dlq, passive=True).method.message_count == 0
